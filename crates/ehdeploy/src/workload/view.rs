//! Reading an app's effective values through a chart profile.

use crate::platform::CompiledProfile;
use crate::source::{pointer_join, Node, NodeKind};
use crate::spec::values::ValuesPath;
use crate::workload::image::{ImageRef, ImageRefError, ImageRefs};

/// A value of the effective values with its JSON pointer in the values tree.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// The value.
    pub node: &'a Node,
    /// Its pointer in the effective values.
    pub pointer: String,
}

/// A named entry (environment variable, secret reference).
#[derive(Debug, Clone)]
pub struct Named<'a> {
    /// The name.
    pub name: String,
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
    pub fn read(values: &'a Node, profile: &CompiledProfile) -> Workload<'a> {
        let one = |path: &Option<ValuesPath>| -> Option<Field<'a>> {
            path.as_ref()?
                .get(values)
                .into_iter()
                .find(|(_, n)| !n.is_null())
                .map(|(pointer, node)| Field { node, pointer })
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
                                    pointer: pointer_join(&pointer, &i.to_string()),
                                });
                            }
                        }
                    }
                    _ => out.push(Field { node, pointer }),
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
                                name: k.to_string(),
                                field: Field {
                                    node: &e.value,
                                    pointer: pointer_join(&pointer, k),
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
                                name: name.to_string(),
                                field: Field { node, pointer },
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
