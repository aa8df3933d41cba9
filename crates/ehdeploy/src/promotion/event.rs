//! What happens to a release candidate, as events: who did what, to which environment.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::config::Evidence;

/// Who acts, and the roles the caller (e.g. Jenkins) says they have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The principal's name (a Jenkins user id).
    pub name: String,
    /// Their roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Actor {
    /// Whether the actor has one of `roles` (an empty list lets anyone).
    pub fn has_any(&self, roles: &[String]) -> bool {
        roles.is_empty() || self.roles.iter().any(|r| roles.contains(r))
    }
}

/// What a candidate carries for one app: the chart, its version and the image, pinned.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Artifact {
    /// The chart (`ehealth/ehealth-service`).
    pub chart: String,
    /// Its version.
    pub version: String,
    /// The image repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The image digest (`sha256:…`): what actually runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// The artifacts of a candidate, by app.
pub type Artifacts = BTreeMap<String, Artifact>;

/// Defines [`Event`] (internally tagged, as written) and its twin `Tagged` (externally
/// tagged, private) from one list of variants, so that reading an event with its `type` first
/// goes straight into the variant instead of through serde's buffered internal tagging.
macro_rules! events {
    (
        $(#[$meta:meta])*
        pub enum Event {
            $( $(#[$vmeta:meta])* $variant:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? } ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum Event {
            $( $(#[$vmeta])* $variant { $( $(#[$fmeta])* $field: $ty ),* } ),*
        }

        /// [`Event`] externally tagged: what `type` names, then the rest of the object.
        #[derive(Deserialize)]
        #[serde(rename_all = "kebab-case", deny_unknown_fields)]
        enum Tagged {
            $( $(#[$vmeta])* $variant { $( $(#[$fmeta])* $field: $ty ),* } ),*
        }

        impl From<Tagged> for Event {
            fn from(t: Tagged) -> Event {
                match t {
                    $( Tagged::$variant { $( $field ),* } => Event::$variant { $( $field ),* } ),*
                }
            }
        }
    };
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an event: an object with its `type`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field("type"));
        };
        if key == "type" {
            let tag: String = map.next_value()?;
            return Tagged::deserialize(TagFirst { tag, map }).map(Event::from);
        }
        // Any other order: gather the object, then read it the same way.
        let mut object = serde_json::Map::new();
        object.insert(key, map.next_value()?);
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            object.insert(k, v);
        }
        let Some(serde_json::Value::String(tag)) = object.remove("type") else {
            return Err(de::Error::missing_field("type"));
        };
        let tagged = serde_json::Value::Object(
            [(tag, serde_json::Value::Object(object))]
                .into_iter()
                .collect(),
        );
        Tagged::deserialize(tagged)
            .map(Event::from)
            .map_err(de::Error::custom)
    }
}

/// The rest of an event's object, after its `type`, as an externally tagged enum.
struct TagFirst<A> {
    tag: String,
    map: A,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for TagFirst<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for TagFirst<A> {
    type Error = A::Error;
    type Variant = Rest<A>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Rest<A>), A::Error> {
        let variant = seed.deserialize(de::value::StringDeserializer::<A::Error>::new(self.tag))?;
        Ok((variant, Rest(self.map)))
    }
}

/// The fields of an event, after its `type`.
struct Rest<A>(A);

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Rest<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        Err(de::Error::custom("an event has fields"))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, A::Error> {
        Err(de::Error::custom("an event has fields"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("an event has fields"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.0)
    }
}

events! {
    /// One thing that happens to a release candidate.
    ///
    /// JSON: an object whose `type` names the event (`{"type": "promoted", "to": "prod",
    /// …}`). Reading one is fastest with `type` first, as ehdeploy writes it; any order is read.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
    #[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
    pub enum Event {
    /// A candidate: one spec revision and the exact artifacts it carries. Its actor is the
    /// author.
    #[serde(rename_all = "camelCase")]
    CandidateCreated {
        /// The candidate's id (the log's file name).
        candidate: String,
        /// The spec's git commit.
        revision: String,
        /// What it carries, by app.
        artifacts: Artifacts,
    },
    /// The candidate was deployed to an environment, with these artifacts.
    Deployed {
        /// The environment.
        environment: String,
        /// What was deployed, by app.
        artifacts: Artifacts,
    },
    /// Evidence about the deployment in an environment: health, tests, QA, signatures.
    Evidence {
        /// The environment.
        environment: String,
        /// What kind.
        kind: Evidence,
        /// Positive (healthy, passed, approved, verified) or not.
        ok: bool,
        /// A note: the test run, the QA ticket, the verification report.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The actor asks to promote the candidate into an environment.
    PromotionRequested {
        /// The target environment.
        to: String,
    },
    /// The actor approves the promotion into an environment.
    Approved {
        /// The target environment.
        to: String,
    },
    /// The pull request that promotes into an environment was merged.
    #[serde(rename_all = "camelCase")]
    PullRequestMerged {
        /// The target environment.
        to: String,
        /// Its source branch.
        source_branch: String,
        /// Its target branch.
        target_branch: String,
        /// Its number or URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// The actor promotes the candidate into an environment, with these artifacts.
    Promoted {
        /// The target environment.
        to: String,
        /// What the promotion carries, by app.
        artifacts: Artifacts,
    },
    /// The candidate was rolled back in an environment.
    RolledBack {
        /// The environment.
        environment: String,
        /// Why.
        reason: String,
    },
    /// A hotfix: the candidate may skip or shorten what the hotfix lane allows.
    #[serde(rename_all = "camelCase")]
    HotfixOpened {
        /// Why the normal path cannot be taken.
        #[serde(default)]
        justification: String,
        /// The incident or ticket.
        #[serde(default)]
        ticket: String,
        /// The environments it skips.
        #[serde(default)]
        skip: Vec<String>,
    },
    /// The hotfix's follow-up is done: the fix is on `master` and passed what it skipped.
    #[serde(rename_all = "camelCase")]
    HotfixClosed {
        /// The commit on `master` that holds the fix.
        master_revision: String,
    },
    }
}

impl Event {
    /// The event's type, as JSON names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CandidateCreated { .. } => "candidate-created",
            Event::Deployed { .. } => "deployed",
            Event::Evidence { .. } => "evidence",
            Event::PromotionRequested { .. } => "promotion-requested",
            Event::Approved { .. } => "approved",
            Event::PullRequestMerged { .. } => "pull-request-merged",
            Event::Promoted { .. } => "promoted",
            Event::RolledBack { .. } => "rolled-back",
            Event::HotfixOpened { .. } => "hotfix-opened",
            Event::HotfixClosed { .. } => "hotfix-closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_in_any_key_order_and_writes_type_first() {
        let first: Event = serde_json::from_str(r#"{"type":"approved","to":"prod"}"#).unwrap();
        let last: Event = serde_json::from_str(r#"{"to":"prod","type":"approved"}"#).unwrap();
        assert_eq!(first, Event::Approved { to: "prod".into() });
        assert_eq!(first, last);
        assert_eq!(
            serde_json::to_string(&first).unwrap(),
            r#"{"type":"approved","to":"prod"}"#
        );
        let camel: Event = serde_json::from_str(
            r#"{"sourceBranch":"master","type":"pull-request-merged","to":"preprod","targetBranch":"prod"}"#,
        )
        .unwrap();
        assert!(matches!(
            camel,
            Event::PullRequestMerged {
                reference: None,
                ..
            }
        ));
    }

    #[test]
    fn a_bad_event_is_an_error_that_says_why() {
        for (text, why) in [
            (
                r#"{"type":"teleported","to":"prod"}"#,
                "unknown variant `teleported`",
            ),
            (
                r#"{"to":"prod","type":"teleported"}"#,
                "unknown variant `teleported`",
            ),
            (
                r#"{"type":"approved","to":"prod","by":"eve"}"#,
                "unknown field `by`",
            ),
            (
                r#"{"to":"prod","type":"approved","by":"eve"}"#,
                "unknown field `by`",
            ),
            (r#"{"type":"approved"}"#, "missing field `to`"),
            (r#"{"to":"prod"}"#, "missing field `type`"),
            (r#"{}"#, "missing field `type`"),
            (r#"{"type":7,"to":"prod"}"#, "invalid type"),
            (r#"[1]"#, "invalid type"),
        ] {
            let e = serde_json::from_str::<Event>(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
