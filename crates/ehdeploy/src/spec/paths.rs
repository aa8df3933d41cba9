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
    let mut out: Vec<Component<'_>> = Vec::with_capacity(16);
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
    let mut normal = PathBuf::with_capacity(path.as_os_str().len());
    normal.extend(out);
    normal
}

/// A path's text as findings and trees show it: its own bytes when they are UTF-8 (no copy),
/// else [`Path::display`]'s.
pub(crate) fn path_text(path: PathBuf) -> String {
    path.into_os_string()
        .into_string()
        .unwrap_or_else(|p| Path::new(&p).display().to_string())
}

/// [`path_text`] of a borrowed path (a copy of its text).
pub(crate) fn shown_path(path: &Path) -> String {
    path_text(path.to_path_buf())
}
