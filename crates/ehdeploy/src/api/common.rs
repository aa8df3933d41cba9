//! What several operations load the same way: the platform file, an environment's files, and
//! the findings of a promotion's notes.

use std::path::{Path, PathBuf};

use super::error::{ApiError, ErrorCode};
use crate::error::Error;
use crate::plan::PromotionNote;
use crate::platform::{load_platform, Platform};
use crate::report::{Finding, Severity};
use crate::source::{pointer_join, Limits, SourceMap};
use crate::spec::{
    effective_values, load_spec, normalize, App, AppValues, LoadOptions, LoadedSpec, ValuesCache,
};

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
    load_spec(sources, files, options).map_err(|e| load_error(files, e))
}

/// An environment's DSFs could not be read: the error, at its first file.
pub(super) fn load_error(files: &[PathBuf], e: std::io::Error) -> Error {
    Error::io(files.first().map_or(Path::new("."), PathBuf::as_path), e)
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

/// An environment's spec, loaded with its platform, as the roll-out operations read it:
/// variables from the process environment, values files as written.
pub(super) struct Environment {
    /// Every file read, for locations.
    pub sources: SourceMap,
    /// The platform, without errors.
    pub platform: Platform,
    /// The environment's DSFs, merged.
    pub spec: LoadedSpec,
    /// The values files parsed so far, for the next app that uses them too.
    cache: ValuesCache,
}

impl Environment {
    /// Load the platform at `platform` and the spec of `environment`; a platform file with
    /// errors is a usage error.
    pub fn open(platform: &Path, environment: &str) -> Result<Environment, ApiError> {
        let mut sources = SourceMap::new();
        let limits = Limits::default();
        let (platform, _) = open_platform(&mut sources, platform, &limits)?;
        let Some(platform) = platform else {
            return Err(ApiError::new(
                ErrorCode::Usage,
                "the platform file has errors: run `ehdeploy check`",
            ));
        };
        let files = environment_files(&platform, environment)?;
        let options = Self::options(&limits);
        let spec = load(&mut sources, &files, &options)?;
        Ok(Environment {
            sources,
            platform,
            spec,
            cache: ValuesCache::new(),
        })
    }

    fn options(limits: &Limits) -> LoadOptions<'static> {
        LoadOptions {
            limits: *limits,
            vars: Some(&PROCESS_ENV),
            substitute_values: false,
        }
    }

    /// The enabled apps, each with its label and its namespace.
    pub fn enabled_apps(&self) -> impl Iterator<Item = (&String, &App)> {
        self.spec.enabled_apps()
    }

    /// The effective values of the app `label`, or the findings that kept them from being
    /// read (a values file missing or broken).
    pub fn values(&mut self, label: &str) -> Result<AppValues, Vec<Finding>> {
        let Some(tree) = &self.spec.tree else {
            return Err(Vec::new());
        };
        let mut findings = Vec::new();
        let options = Self::options(&Limits::default());
        let values = effective_values(
            &mut self.sources,
            &mut self.cache,
            tree,
            label,
            &options,
            &mut findings,
        );
        match values {
            Some(values) if !findings.iter().any(|f| f.severity == Severity::Error) => Ok(values),
            _ => Err(findings),
        }
    }
}

/// Variables from the process environment.
static PROCESS_ENV: fn(&str) -> Option<String> = |name| std::env::var(name).ok();

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
