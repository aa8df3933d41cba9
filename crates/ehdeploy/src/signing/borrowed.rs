//! The JSON of an image store's small documents (`index.json`, a signature manifest) read
//! without copying what is not kept: strings borrowed from the document where they need no
//! unescaping, names compared in place, and of a map of annotations only the values asked for.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// A string of the document: borrowed from it, or unescaped into a copy.
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'de>, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(s)))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(s.to_string())))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(s)))
    }
}

/// A string that is checked to be one and not kept.
pub(super) struct AnyString;

impl<'de> Deserialize<'de> for AnyString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AnyString, D::Error> {
        deserializer.deserialize_str(StrVisitor(|_: &str| AnyString))
    }
}

/// Whether a string (a map's key) is the one given; the string is not copied.
pub(super) struct Is<'n>(pub(super) &'n str);

impl<'de> DeserializeSeed<'de> for Is<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(StrVisitor(|s: &str| s == self.0))
    }
}

/// Which of the names given a string (a map's key) is; the string is not copied.
struct Which<'n, const N: usize>(&'n [&'n str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for Which<'_, N> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(StrVisitor(|s: &str| self.0.iter().position(|n| *n == s)))
    }
}

/// A string, looked at without being copied.
struct StrVisitor<F>(F);

impl<'de, T, F: FnOnce(&str) -> T> Visitor<'de> for StrVisitor<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
        Ok((self.0)(s))
    }
}

/// A map of annotations (names to strings) read for the values of `names` alone: every value
/// is checked to be a string, and the last of a repeated name wins (as a map of them would
/// have it), but only those of `names` are kept, in their order.
///
/// For a field: `#[serde(borrow, default, deserialize_with = "…")]` with a function that
/// calls `deserializer.deserialize_map(Annotations(&[…]))`.
pub(super) struct Annotations<'n, const N: usize>(pub(super) &'n [&'n str; N]);

impl<'de, const N: usize> Visitor<'de> for Annotations<'_, N> {
    type Value = [Option<Cow<'de, str>>; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = [const { None }; N];
        while let Some(which) = map.next_key_seed(Which(self.0))? {
            match which.and_then(|i| kept.get_mut(i)) {
                Some(slot) => *slot = Some(map.next_value::<Text<'de>>()?.0),
                None => {
                    map.next_value::<AnyString>()?;
                }
            }
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn kept(json: &str) -> Result<[Option<String>; 2], serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        let kept = de.deserialize_map(Annotations(&["a", "b"]))?;
        Ok(kept.map(|v| v.map(Cow::into_owned)))
    }

    /// The names asked for are kept (unescaped where they need it), the last of a repeated
    /// one wins, the others are skipped; a value that is not a string is an error, kept or
    /// not.
    #[test]
    fn annotations_keep_the_names_asked_for_and_check_every_value() {
        assert_eq!(
            kept(r#"{"b": "x\"y", "c": "z", "a": "1", "a": "2"}"#).unwrap(),
            [Some("2".to_string()), Some("x\"y".to_string())]
        );
        assert_eq!(kept("{}").unwrap(), [None, None]);
        assert!(kept(r#"{"c": 1}"#).is_err());
        assert!(kept(r#"{"a": null}"#).is_err());
        assert!(kept(r#"["a"]"#).is_err());
    }

    /// A string without escapes is borrowed from the document; one with escapes is copied.
    #[test]
    fn text_is_borrowed_unless_it_needs_unescaping() {
        let plain: Text<'_> = serde_json::from_str(r#""sha256:ab""#).unwrap();
        assert!(matches!(plain.0, Cow::Borrowed("sha256:ab")));
        let escaped: Text<'_> = serde_json::from_str(r#""a\u0062""#).unwrap();
        assert!(matches!(escaped.0, Cow::Owned(ref s) if s == "ab"));
    }
}
