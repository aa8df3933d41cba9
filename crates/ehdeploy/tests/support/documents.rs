//! The YAML and TOML files under a folder, for tests that go through every one of them.

// A folder that cannot be read fails the test, as in the tests themselves.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Every `.yaml`, `.yml` and `.toml` file under `dir`, at any depth, sorted by path.
pub fn documents(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "toml")
            ) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}
