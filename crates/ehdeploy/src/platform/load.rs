//! Loading and checking the platform file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

use super::model::{ChartConfig, EnvironmentConfig, PlatformFile, RuleLevel};
use super::profile::{ChartProfile, CompiledProfile};
use crate::report::{Finding, Severity};
use crate::rules::{self, RuleId};
use crate::schema::{self, Document};
use crate::source::{read_file, Limits, Node, SourceMap};
use crate::workload::quantity::Quantity;

/// A loaded, checked platform: the file, where it is, and what was compiled out of it.
#[derive(Debug, Clone)]
pub struct Platform {
    /// The file as written.
    pub file: PlatformFile,
    /// The folder relative paths resolve against.
    pub root: PathBuf,
    /// The located tree, to point findings at the platform file.
    pub tree: Node,
    /// Allowed versions per chart name.
    pub chart_versions: IndexMap<String, semver::VersionReq>,
    /// Every profile by name, compiled: the built-in ones and the file's.
    pub profiles: IndexMap<String, Arc<CompiledProfile>>,
    /// Maximum memory per environment name.
    pub max_memory: IndexMap<String, Quantity>,
    /// The values paths a promotion carries, beyond the chart profile's image.
    pub portable: Vec<crate::spec::values::ValuesPath>,
    /// The release pipeline, compiled (no gates but the order when the file has none).
    pub pipeline: crate::promotion::Pipeline,
    /// The trust policy, compiled (none: images are not checked for signatures).
    pub trust: Option<crate::trust::TrustPolicy>,
}

impl Platform {
    /// A platform from an already parsed file, with the problems found in it as
    /// (JSON pointer, message) pairs.
    pub fn from_file(
        file: PlatformFile,
        root: PathBuf,
        tree: Node,
    ) -> (Platform, Vec<(String, String)>) {
        let mut findings = Vec::new();
        let mut bad = |pointer: String, message: String| {
            findings.push((pointer, message));
        };
        let mut profiles: IndexMap<String, Arc<CompiledProfile>> = ["ehealth-service", "generic"]
            .into_iter()
            .filter_map(|n| {
                ChartProfile::builtin(n).map(|p| (n.to_string(), Arc::new(p.compile().0)))
            })
            .collect();
        for (name, p) in &file.profiles {
            let (compiled, malformed) = p.compile();
            for (key, path) in malformed {
                bad(
                    format!(
                        "/profiles/{}/{key}",
                        crate::source::escape_pointer_token(name)
                    ),
                    format!("`{path}` is not a values path (dotted keys, `[N]`, `[*]`)"),
                );
            }
            profiles.insert(name.clone(), Arc::new(compiled));
        }
        let mut chart_versions = IndexMap::new();
        for (i, chart) in file.charts.iter().enumerate() {
            if let Some(v) = &chart.versions {
                match semver::VersionReq::parse(v) {
                    Ok(req) => {
                        chart_versions.insert(chart.name.clone(), req);
                    }
                    Err(e) => bad(
                        format!("/charts/{i}/versions"),
                        format!("`{v}` is not a semver requirement: {e}"),
                    ),
                }
            }
            for (j, a) in chart.available.iter().enumerate() {
                if let Err(e) = semver::Version::parse(a) {
                    bad(
                        format!("/charts/{i}/available/{j}"),
                        format!("`{a}` is not a semver version: {e}"),
                    );
                }
            }
            if let Some(p) = &chart.profile {
                if !profiles.contains_key(p) {
                    let hint = crate::suggest::did_you_mean(p, profiles.keys().map(String::as_str))
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    bad(
                        format!("/charts/{i}/profile"),
                        format!("unknown chart profile `{p}`{hint}"),
                    );
                }
            }
        }
        let mut max_memory = IndexMap::new();
        let mut names = std::collections::HashSet::new();
        for (i, env) in file.environments.iter().enumerate() {
            if !names.insert(env.name.as_str()) {
                bad(
                    format!("/environments/{i}/name"),
                    format!("environment `{}` is listed twice", env.name),
                );
            }
            if let Some(m) = &env.max_memory {
                match m.parse::<Quantity>() {
                    Ok(q) => {
                        max_memory.insert(env.name.clone(), q);
                    }
                    Err(e) => bad(format!("/environments/{i}/maxMemory"), e.to_string()),
                }
            }
        }
        let mut portable = Vec::new();
        for (i, path) in file.promotion.portable.iter().enumerate() {
            match crate::spec::values::ValuesPath::parse(path) {
                Some(p) => portable.push(p),
                None => bad(
                    format!("/promotion/portable/{i}"),
                    format!("`{path}` is not a values path (dotted keys, `[N]`, `[*]`)"),
                ),
            }
        }
        if let Some(canary) = &file.canary {
            let analyses = canary
                .analysis
                .iter()
                .map(|a| ("/canary/analysis".to_string(), a));
            let apps = canary.apps.iter().map(|(app, a)| {
                let at = format!("/canary/apps/{}", crate::source::escape_pointer_token(app));
                (at, a)
            });
            for (at, analysis) in analyses.chain(apps) {
                for problem in analysis.validate().err().unwrap_or_default() {
                    bad(format!("{at}{}", problem.pointer), problem.message);
                }
            }
        }
        let env_names: Vec<String> = file.environments.iter().map(|e| e.name.clone()).collect();
        let (pipeline, problems) = crate::promotion::Pipeline::compile(
            &env_names,
            &file.pipeline.clone().unwrap_or_default(),
        );
        findings.extend(problems);
        let trust = file.signatures.as_ref().map(|config| {
            let (trust, problems) = crate::trust::TrustPolicy::compile(config, &root, &env_names);
            findings.extend(problems);
            trust
        });
        let platform = Platform {
            trust,
            pipeline,
            file,
            root,
            tree,
            chart_versions,
            profiles,
            max_memory,
            portable,
        };
        (platform, findings)
    }

    /// The predefined chart an app uses (by the chart's name, whatever its repository).
    pub fn chart_of(&self, app: &crate::spec::App) -> Option<&ChartConfig> {
        let chart = app.chart.as_deref()?;
        let name = chart.rsplit('/').next().unwrap_or(chart);
        self.file.charts.iter().find(|c| c.name == name)
    }

    /// The profile that reads an app's values: its predefined chart's (default `generic`).
    pub fn profile_of(&self, app: &crate::spec::App) -> Option<&Arc<CompiledProfile>> {
        let chart = self.chart_of(app)?;
        self.profiles
            .get(chart.profile.as_deref().unwrap_or("generic"))
    }

    /// The environment of a name.
    pub fn environment(&self, name: &str) -> Option<&EnvironmentConfig> {
        self.file.environments.iter().find(|e| e.name == name)
    }

    /// The severity of `rule` in `env` (`None`: the rule is off there): the environment's
    /// setting, else the platform's, else the rule's default.
    pub fn severity(&self, rule: RuleId, env: Option<&str>) -> Option<Severity> {
        let level = env
            .and_then(|e| self.environment(e))
            .and_then(|e| e.rules.get(&rule))
            .or_else(|| self.file.rules.get(&rule));
        match level {
            None => Some(rule.default_severity()),
            Some(RuleLevel::Error) => Some(Severity::Error),
            Some(RuleLevel::Warning) => Some(Severity::Warning),
            Some(RuleLevel::Info) => Some(Severity::Info),
            Some(RuleLevel::Off) => None,
        }
    }

    /// The absolute path of a path written in the platform file.
    pub fn resolve(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }
}

/// Read, schema-check and compile the platform file at `path`.
pub fn load_platform(
    sources: &mut SourceMap,
    path: &Path,
    display: String,
    limits: &Limits,
) -> std::io::Result<(Option<Platform>, Vec<Finding>)> {
    let parsed = read_file(sources, path, display, limits, None)?;
    let mut findings = parsed.findings;
    let Some(tree) = parsed.root else {
        return Ok((None, findings));
    };
    let checked = schema::check(Document::Platform, &tree, sources);
    findings.extend(checked.findings);
    if !checked.invalid.is_empty() {
        return Ok((None, findings));
    }
    let file: PlatformFile = match serde_json::from_value(tree.to_json()) {
        Ok(f) => f,
        Err(e) => {
            findings.push(
                Finding::new(rules::PLATFORM_INVALID, Severity::Error, e.to_string())
                    .at(sources.file_location(parsed.file)),
            );
            return Ok((None, findings));
        }
    };
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let (platform, more) = Platform::from_file(file, root, tree);
    for (pointer, message) in more {
        let span = platform.tree.span_at(&pointer, false);
        findings.push(
            Finding::new(rules::PLATFORM_INVALID, Severity::Error, message)
                .at(sources.location(span, &pointer)),
        );
    }
    Ok((Some(platform), findings))
}
