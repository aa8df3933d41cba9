//! The objects a pipeline reads with `kubectl get deploy,rs,pods -o json`: a Kubernetes `List`
//! of mixed kinds, parsed into the `k8s-openapi` types.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use serde::Deserialize;

/// The deployments, replica sets and pods of a `List` (other kinds are counted and left).
#[derive(Debug, Clone, Default)]
pub struct Objects {
    /// The deployments.
    pub deployments: Vec<Deployment>,
    /// The replica sets.
    pub replica_sets: Vec<ReplicaSet>,
    /// The pods.
    pub pods: Vec<Pod>,
    /// Items of other kinds (services, events…), left alone.
    pub others: usize,
}

/// Why a `List` could not be read: what, and where in the text (1-based line and column; 0
/// when the problem is about an item as a whole).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ObjectsError {
    /// What is wrong.
    pub message: String,
    /// The line, from 1 (0: unknown).
    pub line: usize,
    /// The column, from 1 (0: unknown).
    pub column: usize,
    /// The JSON pointer of the bad item (`/items/3`), when known.
    pub pointer: String,
}

#[derive(Deserialize)]
struct List {
    kind: Option<String>,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

impl Objects {
    /// Parse the JSON of `kubectl get deploy,rs,pods -o json` (a `List`), or of a single
    /// object. Each item must be a valid object of its kind.
    pub fn parse(text: &str) -> Result<Objects, ObjectsError> {
        let at = |e: serde_json::Error, pointer: String| ObjectsError {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
            pointer,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| at(e, String::new()))?;
        let items = match value.get("kind").and_then(|k| k.as_str()) {
            Some("List") | Some("DeploymentList") | Some("ReplicaSetList") | Some("PodList") => {
                let list: List = serde_json::from_value(value).map_err(|e| at(e, String::new()))?;
                let kind = list.kind.unwrap_or_default();
                list.items
                    .into_iter()
                    .map(|mut item| {
                        // Typed lists leave the kind out of their items.
                        if item.get("kind").is_none() {
                            if let (Some(k), Some(o)) =
                                (kind.strip_suffix("List"), item.as_object_mut())
                            {
                                o.insert("kind".into(), k.into());
                            }
                        }
                        item
                    })
                    .collect()
            }
            Some(_) => vec![value],
            None => {
                return Err(ObjectsError {
                    message: "not a Kubernetes object or List: it has no `kind`".into(),
                    line: 1,
                    column: 1,
                    pointer: String::new(),
                })
            }
        };
        let mut objects = Objects::default();
        for (i, item) in items.into_iter().enumerate() {
            let pointer = format!("/items/{i}");
            let wrong = |e: serde_json::Error| ObjectsError {
                message: format!("item {i} is not a valid object of its kind: {e}"),
                line: 0,
                column: 0,
                pointer: pointer.clone(),
            };
            match item.get("kind").and_then(|k| k.as_str()) {
                Some("Deployment") => objects
                    .deployments
                    .push(serde_json::from_value(item).map_err(wrong)?),
                Some("ReplicaSet") => objects
                    .replica_sets
                    .push(serde_json::from_value(item).map_err(wrong)?),
                Some("Pod") => objects
                    .pods
                    .push(serde_json::from_value(item).map_err(wrong)?),
                _ => objects.others += 1,
            }
        }
        Ok(objects)
    }
}
