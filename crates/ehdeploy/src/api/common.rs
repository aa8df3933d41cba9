//! What several operations load the same way: the platform file, an environment's files, and
//! the findings of a promotion's notes.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::plan::PromotionNote;
use crate::platform::{load_platform, Platform};
use crate::report::Finding;
use crate::source::{pointer_join, Limits, SourceMap};
use crate::spec::{load_spec, normalize, LoadOptions, LoadedSpec};

/// Load the platform file at `at` (a platform repo's folder, or the file itself). `Err` when
/// there is no such file; `None` in the result when the file has errors (in the findings).
pub(super) fn open_platform(
    sources: &mut SourceMap,
    at: &Path,
    limits: &Limits,
) -> Result<(Option<Platform>, Vec<Finding>), Error> {
    let path = if at.is_dir() {
        at.join("platform.yaml")
    } else {
        at.to_path_buf()
    };
    if !path.is_file() {
        let why = if at.is_dir() {
            "no platform.yaml in this folder"
        } else {
            "no such platform file"
        };
        return Err(Error::io(
            &path,
            std::io::Error::new(std::io::ErrorKind::NotFound, why),
        ));
    }
    load_platform(
        sources,
        &path,
        normalize(&path).display().to_string(),
        limits,
    )
    .map_err(|e| Error::io(&path, e))
}

/// Load DSFs merged in order; a read error is reported against the first file, where the
/// merge starts.
pub(super) fn load(
    sources: &mut SourceMap,
    files: &[PathBuf],
    options: &LoadOptions<'_>,
) -> Result<LoadedSpec, Error> {
    load_spec(sources, files, options).map_err(|e| {
        let first = files.first().map_or(Path::new("."), PathBuf::as_path);
        Error::io(first, e)
    })
}

/// The DSFs of an environment, or a usage error that names the environments there are.
pub(super) fn environment_files(platform: &Platform, name: &str) -> Result<Vec<PathBuf>, Error> {
    match platform.environment(name) {
        Some(env) => Ok(env.dsf.iter().map(|d| platform.resolve(d)).collect()),
        None => {
            let names: Vec<&str> = platform
                .file
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            Err(Error::Usage(format!(
                "environment `{name}` is not in the platform file (it has: {})",
                names.join(", ")
            )))
        }
    }
}

/// `promotion/manual` findings for what a promotion into `environment` cannot do, each at the
/// app in the target's spec (in the source's, for an app the target does not have).
pub(super) fn manual_findings(
    notes: Vec<PromotionNote>,
    source: &LoadedSpec,
    target: &LoadedSpec,
    environment: &str,
    sources: &SourceMap,
) -> Vec<Finding> {
    notes
        .into_iter()
        .map(|note| {
            let pointer = pointer_join("/apps", &note.app);
            let tree = [target, source]
                .into_iter()
                .filter_map(|s| s.tree.as_ref())
                .find(|t| t.pointer(&pointer).is_some());
            let mut f = Finding::new(
                crate::rules::PROMOTION_MANUAL,
                crate::Severity::Warning,
                note.message,
            )
            .app(note.app)
            .environment(environment);
            f.location = tree.map(|t| sources.location(t.span_at(&pointer, true), &pointer));
            f
        })
        .collect()
}
