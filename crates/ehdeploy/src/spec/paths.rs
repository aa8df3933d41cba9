//! Paths written in desired-state files: resolution against the file's folder, lexically.

use std::path::{Component, Path, PathBuf};

/// Whether a reference is a URL (or bucket) rather than a local path.
pub fn is_remote(reference: &str) -> bool {
    ["http://", "https://", "s3://", "gs://", "az://", "oci://"]
        .iter()
        .any(|p| reference.starts_with(p))
}

/// `path` against `base`, with `.` and `..` resolved lexically (no file system access).
///
/// ```
/// use std::path::Path;
/// use ehdeploy::spec::resolve_path;
/// assert_eq!(resolve_path(Path::new("envs"), "../values/a.yaml"), Path::new("values/a.yaml"));
/// assert_eq!(resolve_path(Path::new("envs"), "/abs/a.yaml"), Path::new("/abs/a.yaml"));
/// ```
pub fn resolve_path(base: &Path, path: &str) -> PathBuf {
    normalize(&base.join(path))
}

/// Remove `.` and resolve `..` lexically; leading `..` of a relative path stay.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}
