//! A located tree read as a typed value by serde, strictly: the first key a struct does not
//! know, or the first value of the wrong type, ends it.
//!
//! It sees the tree as [`crate::schema::dsf_json`] shows it to the schema: a null member of a
//! mapping is an absent one, except the members of a mapping under a key named `namespaces`.
//! A document it reads without error is therefore one the schema check would accept, read
//! into the same value; any other document is left to the schema check, which says what is
//! wrong with it and where.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::mapping::Mapping;
use super::node::{Entry, Node, NodeKind};

/// Read `node` as a `T`, strictly (see the module's description).
///
/// ```
/// use ehdeploy::source::{from_node_strict, parse_bytes, Limits, SourceMap};
/// use ehdeploy::spec::DesiredState;
///
/// let mut sources = SourceMap::new();
/// let text = "context: prod\nsettings:\n  kubeContext: prod\n  username: null\n";
/// let parsed = parse_bytes(&mut sources, "a.yaml".as_ref(), "a.yaml".into(), text.into(), &Limits::default(), None);
/// let root = parsed.root.unwrap();
/// let state: DesiredState = from_node_strict(&root).unwrap();
/// assert_eq!(state.context.as_deref(), Some("prod"));
///
/// // A key the model does not know is not passed over.
/// let text = "context: prod\nsettings:\n  kubeContex: prod\n";
/// let parsed = parse_bytes(&mut sources, "b.yaml".as_ref(), "b.yaml".into(), text.into(), &Limits::default(), None);
/// assert!(from_node_strict::<DesiredState>(&parsed.root.unwrap()).is_err());
/// ```
pub fn from_node_strict<'a, T: serde::Deserialize<'a>>(node: &'a Node) -> Result<T, Mismatch> {
    T::deserialize(Strict {
        node,
        keep_nulls: false,
    })
}

/// Why a tree was not read strictly as a typed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(String);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Mismatch {}

impl de::Error for Mismatch {
    fn custom<M: fmt::Display>(msg: M) -> Mismatch {
        Mismatch(msg.to_string())
    }
}

/// One node to read; `keep_nulls` when it is the value of a `namespaces` key.
#[derive(Clone, Copy)]
struct Strict<'a> {
    node: &'a Node,
    keep_nulls: bool,
}

/// Whether a mapping's entry is seen: a null member is an absent one, unless nulls are kept.
fn seen(keep_nulls: bool) -> impl Fn(&(&str, &Entry)) -> bool {
    move |(_, e)| keep_nulls || !e.value.is_null()
}

impl<'a> Strict<'a> {
    fn map(self, map: &'a Mapping) -> Entries<'a, impl Iterator<Item = (&'a str, &'a Entry)>> {
        Entries {
            entries: map.iter().filter(seen(self.keep_nulls)),
            value: None,
        }
    }
}

impl<'de> de::Deserializer<'de> for Strict<'de> {
    type Error = Mismatch;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
        match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => visitor.visit_i64(*i),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            NodeKind::Str(s) => visitor.visit_borrowed_str(s),
            NodeKind::Seq(items) => visitor.visit_seq(Items {
                items: items.iter(),
            }),
            NodeKind::Map(map) => visitor.visit_map(self.map(map)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
        if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Mismatch> {
        let NodeKind::Map(map) = &self.node.kind else {
            return self.deserialize_any(visitor);
        };
        if let Some((key, _)) = map
            .iter()
            .filter(seen(self.keep_nulls))
            .find(|(k, _)| !fields.contains(k))
        {
            return Err(Mismatch(format!("`{name}` has no field `{key}`")));
        }
        visitor.visit_map(self.map(map))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// A sequence's items.
struct Items<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Mismatch;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Mismatch> {
        self.items
            .next()
            .map(|node| {
                seed.deserialize(Strict {
                    node,
                    keep_nulls: false,
                })
            })
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A mapping's entries, each key then its value.
struct Entries<'a, I> {
    entries: I,
    value: Option<(&'a str, &'a Node)>,
}

impl<'de, I: Iterator<Item = (&'de str, &'de Entry)>> MapAccess<'de> for Entries<'de, I> {
    type Error = Mismatch;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Mismatch> {
        let Some((key, entry)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, &entry.value));
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Mismatch> {
        let (key, node) = self
            .value
            .take()
            .ok_or_else(|| Mismatch("a value asked for before its key".into()))?;
        seed.deserialize(Strict {
            node,
            keep_nulls: key == "namespaces",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::test_tree;
    use crate::spec::{DesiredState, Scalar};

    fn read(text: &str) -> Result<DesiredState, Mismatch> {
        from_node_strict(&test_tree(text))
    }

    #[test]
    fn a_null_member_is_an_absent_one_except_a_namespace() {
        let state = read(
            "context: null\nnotAField: null\nnamespaces:\n  web:\n  api:\n    protected: null\napps: null\n",
        )
        .unwrap();
        assert_eq!(state.context, None);
        let namespaces: Vec<(&str, bool)> = state
            .namespaces
            .iter()
            .map(|(k, v)| (k.as_str(), v.is_some()))
            .collect();
        assert_eq!(namespaces, [("web", false), ("api", true)]);
        assert_eq!(state.apps, None);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        let err = read("apps:\n  a:\n    purge: true\n").unwrap_err();
        assert_eq!(err.to_string(), "`App` has no field `purge`");
        assert!(read("context: 1\n").is_err());
        assert!(read("apps:\n  a:\n    enabled: \"true\"\n").is_err());
        assert!(read("namespaces:\n  web: staging\n").is_err());
        assert!(read("- a\n").is_err());
    }

    #[test]
    fn values_are_read_as_the_model_types_them() {
        let state = read(
            "metadata:\n  org: x\n  n: 2\n  f: 1.5\n  b: true\napps:\n  a:\n    enabled: yes\n    priority: -3\n    valuesFiles: [a.yaml, b.yaml]\n    set:\n      k: v\n",
        )
        .unwrap();
        let metadata: Vec<(&str, &Scalar)> = state
            .metadata
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        assert_eq!(
            metadata,
            [
                ("org", &Scalar::String("x".into())),
                ("n", &Scalar::Number(2.into())),
                (
                    "f",
                    &Scalar::Number(serde_json::Number::from_f64(1.5).unwrap())
                ),
                ("b", &Scalar::Bool(true)),
            ]
        );
        let app = &state.apps.as_ref().unwrap()["a"];
        assert_eq!(app.enabled, Some(true));
        assert_eq!(app.priority, Some(-3));
        assert_eq!(app.values_files, ["a.yaml", "b.yaml"]);
        assert_eq!(app.set.len(), 1);
    }
}
