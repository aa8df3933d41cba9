//! Reading an app's effective values through a chart profile.

use std::borrow::Cow;

use crate::platform::CompiledProfile;
use crate::source::{pointer_join, Node, NodeKind};
use crate::spec::values::ValuesPath;
use crate::workload::image::{ImageRef, ImageRefError, ImageRefs};

/// A value of the effective values with its JSON pointer in the values tree.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// The value.
    pub node: &'a Node,
    /// Its pointer in the effective values: the profile's own, for a path of keys only (most
    /// profile paths; no copy is made of it for each app).
    pub pointer: Cow<'a, str>,
}

/// A named entry (environment variable, secret reference).
#[derive(Debug, Clone)]
pub struct Named<'a> {
    /// The name.
    pub name: &'a str,
    /// The value.
    pub field: Field<'a>,
}

/// The platform's view of one app, read out of its effective values.
#[derive(Debug, Clone, Default)]
pub struct Workload<'a> {
    /// Image repository.
    pub image: Option<Field<'a>>,
    /// Image tag.
    pub tag: Option<Field<'a>>,
    /// Image digest.
    pub digest: Option<Field<'a>>,
    /// Replica count.
    pub replicas: Option<Field<'a>>,
    /// Memory request.
    pub memory_request: Option<Field<'a>>,
    /// Memory limit.
    pub memory_limit: Option<Field<'a>>,
    /// Container ports.
    pub ports: Vec<Field<'a>>,
    /// Environment variables.
    pub env: Vec<Named<'a>>,
    /// Secret references.
    pub secrets: Vec<Named<'a>>,
    /// DNS host names.
    pub hosts: Vec<Field<'a>>,
    /// Liveness probe.
    pub liveness: Option<Field<'a>>,
    /// Readiness probe.
    pub readiness: Option<Field<'a>>,
    /// Canary switch.
    pub canary: Option<Field<'a>>,
    /// The app's own canary analysis.
    pub canary_analysis: Option<Field<'a>>,
}

impl<'a> Workload<'a> {
    /// Read `values` through `profile`. Null values count as unset.
    pub fn read(values: &'a Node, profile: &'a CompiledProfile) -> Workload<'a> {
        let one = |path: &'a Option<ValuesPath>| -> Option<Field<'a>> {
            let path = path.as_ref()?;
            if let Some(pointer) = path.key_pointer() {
                // The one place a path of keys names: no list of matches, no copied pointer.
                return path
                    .first(values)
                    .filter(|n| !n.is_null())
                    .map(|node| Field {
                        node,
                        pointer: Cow::Borrowed(pointer),
                    });
            }
            path.get(values)
                .into_iter()
                .find(|(_, n)| !n.is_null())
                .map(|(pointer, node)| Field {
                    node,
                    pointer: Cow::Owned(pointer),
                })
        };
        let many = |path: &Option<ValuesPath>| -> Vec<Field<'a>> {
            let Some(path) = path.as_ref() else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for (pointer, node) in path.get(values) {
                match &node.kind {
                    NodeKind::Null => {}
                    NodeKind::Seq(items) => {
                        for (i, n) in items.iter().enumerate() {
                            if !n.is_null() {
                                out.push(Field {
                                    node: n,
                                    pointer: Cow::Owned(pointer_join(&pointer, &i.to_string())),
                                });
                            }
                        }
                    }
                    _ => out.push(Field {
                        node,
                        pointer: Cow::Owned(pointer),
                    }),
                }
            }
            out
        };
        let named = |path: &Option<ValuesPath>| -> Vec<Named<'a>> {
            let mut out = Vec::new();
            let Some(path) = path.as_ref() else {
                return out;
            };
            for (pointer, node) in path.get(values) {
                match &node.kind {
                    NodeKind::Map(m) => {
                        for (k, e) in m.iter() {
                            out.push(Named {
                                name: k,
                                field: Field {
                                    node: &e.value,
                                    pointer: Cow::Owned(pointer_join(&pointer, k)),
                                },
                            });
                        }
                    }
                    NodeKind::Seq(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let Some(name) = item.get("name").and_then(Node::as_str) else {
                                continue;
                            };
                            let item_pointer = pointer_join(&pointer, &i.to_string());
                            let (node, pointer) = match item.get("value") {
                                Some(v) => (v, pointer_join(&item_pointer, "value")),
                                None => (item, item_pointer),
                            };
                            out.push(Named {
                                name,
                                field: Field {
                                    node,
                                    pointer: Cow::Owned(pointer),
                                },
                            });
                        }
                    }
                    _ => {}
                }
            }
            out
        };
        Workload {
            image: one(&profile.image),
            tag: one(&profile.tag),
            digest: one(&profile.digest),
            replicas: one(&profile.replicas),
            memory_request: one(&profile.memory_request),
            memory_limit: one(&profile.memory_limit),
            ports: many(&profile.ports),
            env: named(&profile.env),
            secrets: named(&profile.secrets),
            hosts: many(&profile.hosts),
            liveness: one(&profile.liveness_probe),
            readiness: one(&profile.readiness_probe),
            canary: one(&profile.canary),
            canary_analysis: one(&profile.canary_analysis),
        }
    }

    /// The image the app runs: its repository, tag and digest as one reference; none when the
    /// values name no repository. A malformed one comes with the field to report it at (the
    /// digest's, else the tag's, else the repository's).
    pub fn image_ref(&self) -> Option<Result<ImageRef, (ImageRefError, &Field<'a>)>> {
        self.image_ref_with(ImageRef::with_tag_and_digest)
    }

    /// [`Workload::image_ref`], with each distinct repository parsed once in `images`.
    pub fn image_ref_in(
        &self,
        images: &ImageRefs,
    ) -> Option<Result<ImageRef, (ImageRefError, &Field<'a>)>> {
        self.image_ref_with(|repository, tag, digest| {
            images.with_tag_and_digest(repository, tag, digest)
        })
    }

    /// [`Workload::image_ref`], building the reference with `build` (repository, tag, digest).
    fn image_ref_with(
        &self,
        build: impl FnOnce(&str, Option<&str>, Option<&str>) -> Result<ImageRef, ImageRefError>,
    ) -> Option<Result<ImageRef, (ImageRefError, &Field<'a>)>> {
        let image = self.image.as_ref()?;
        let repository = image.node.scalar_text().filter(|s| !s.is_empty())?;
        let text = |f: &Option<Field<'a>>| {
            f.as_ref()
                .and_then(|f| f.node.scalar_text())
                .filter(|s| !s.is_empty())
        };
        let (tag, digest) = (text(&self.tag), text(&self.digest));
        Some(
            build(&repository, tag.as_deref(), digest.as_deref()).map_err(|e| {
                let at = if digest.is_some() {
                    self.digest.as_ref()
                } else {
                    self.tag.as_ref()
                };
                (e, at.unwrap_or(image))
            }),
        )
    }

    /// Whether canary releases are switched on.
    pub fn canary_enabled(&self) -> bool {
        self.canary
            .as_ref()
            .is_some_and(|c| matches!(c.node.kind, NodeKind::Bool(true)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::test_tree;

    const VALUES: &str = "\
image:
  repository: registry.example/app
  tag: null
ports: [8080, null, 9090]
env:
  LOG_LEVEL: INFO
  DB_URL: jdbc:x
secrets:
  - name: db
    value: vault:db
  - name: queue
hosts:
  - name: a.example
  - name: b.example
";

    fn profile() -> CompiledProfile {
        let path = |p: &str| ValuesPath::parse(p);
        CompiledProfile {
            image: path("image.repository"),
            tag: path("image.tag"),
            ports: path("ports"),
            env: path("env"),
            secrets: path("secrets"),
            hosts: path("hosts[*].name"),
            ..Default::default()
        }
    }

    #[test]
    fn reads_each_field_with_its_pointer() {
        let (values, profile) = (test_tree(VALUES), profile());
        let w = Workload::read(&values, &profile);
        let image = w.image.as_ref().unwrap();
        assert_eq!(image.node.as_str(), Some("registry.example/app"));
        // A path of keys only gives the profile's own pointer, not a copy of it.
        assert!(matches!(image.pointer, Cow::Borrowed("/image/repository")));
        assert!(w.tag.is_none(), "a null value counts as unset");
        let ports: Vec<(&str, &NodeKind)> = w
            .ports
            .iter()
            .map(|f| (&*f.pointer, &f.node.kind))
            .collect();
        assert_eq!(
            ports,
            [
                ("/ports/0", &NodeKind::Int(8080)),
                ("/ports/2", &NodeKind::Int(9090))
            ]
        );
        let env: Vec<(&str, &str)> = w.env.iter().map(|n| (n.name, &*n.field.pointer)).collect();
        assert_eq!(
            env,
            [("LOG_LEVEL", "/env/LOG_LEVEL"), ("DB_URL", "/env/DB_URL")]
        );
        let secrets: Vec<(&str, &str)> = w
            .secrets
            .iter()
            .map(|n| (n.name, &*n.field.pointer))
            .collect();
        assert_eq!(
            secrets,
            [("db", "/secrets/0/value"), ("queue", "/secrets/1")]
        );
        let hosts: Vec<(&str, Option<&str>)> = w
            .hosts
            .iter()
            .map(|f| (&*f.pointer, f.node.as_str()))
            .collect();
        assert_eq!(
            hosts,
            [
                ("/hosts/0/name", Some("a.example")),
                ("/hosts/1/name", Some("b.example"))
            ]
        );
    }
}
