//! The rules: Helmsman's own checks, and the platform's rules on each app's workload.
//!
//! Each rule has a stable id in [`crate::rules`]; its severity comes from the platform file
//! (environment, then platform, then the rule's default), and `off` silences it.

mod canary;
mod chart;
mod emit;
mod helmsman;
mod image;
mod network;
mod resources;
mod secrets;

use indexmap::IndexMap;

use crate::platform::{CompiledProfile, EnvironmentConfig, Platform};
use crate::report::Finding;
use crate::source::{pointer_join, Node, SourceMap};
use crate::spec::{
    merged_values, read_values_files, App, AppValues, DesiredState, LoadOptions, LoadedSpec,
    ValuesCache,
};
use crate::workload::Workload;

pub(crate) use emit::{Emitter, Place};

/// Helmsman's lifecycle hook keys.
pub const LIFECYCLE_HOOKS: [&str; 6] = [
    "preInstall",
    "postInstall",
    "preUpgrade",
    "postUpgrade",
    "preDelete",
    "postDelete",
];

/// Helmsman's hook option keys.
pub const HOOK_OPTIONS: [&str; 3] = ["successCondition", "successTimeout", "deleteOnSuccess"];

/// One app as the platform rules see it.
pub(crate) struct AppView<'a> {
    pub label: &'a str,
    pub app: &'a App,
    pub pointer: String,
    pub values: AppValues,
    pub profile: Option<&'a CompiledProfile>,
}

/// What every app of an environment is checked against.
struct Context<'a> {
    sources: &'a SourceMap,
    cache: &'a ValuesCache,
    state: &'a DesiredState,
    tree: &'a Node,
    platform: &'a Platform,
    environment: Option<&'a str>,
    /// The environment's configuration in the platform file.
    env: Option<&'a EnvironmentConfig>,
}

/// One app checked: its findings, its host names and its effective values.
struct AppChecked<'a> {
    label: &'a String,
    emitted: Emitter<'a>,
    merge_findings: Vec<Finding>,
    hosts: Vec<network::HostUse<'a>>,
    values: AppValues,
}

impl<'a> Context<'a> {
    /// Check the app `label` whole: its effective values, its workload, the platform's rules
    /// on them (`None` when the tree has no such app).
    fn check(&self, label: &'a String, app: &'a App) -> Option<AppChecked<'a>> {
        let (platform, state, env) = (self.platform, self.state, self.env);
        let mut merge_findings = Vec::new();
        let values = merged_values(
            self.sources,
            self.cache,
            self.tree,
            label,
            &mut merge_findings,
        )?;
        let mut out = Emitter::new(Some(platform), self.environment, self.tree);
        let view = AppView {
            label,
            app,
            pointer: pointer_join("/apps", label),
            values,
            profile: platform.profile_of(app).map(|p| &**p),
        };
        let mut hosts = Vec::new();
        chart::check(&mut out, state, &view, platform, env);
        if let Some(profile) = view.profile {
            let w = Workload::read(&view.values.values, profile);
            image::check(&mut out, &view, &w, platform, env, self.cache.images());
            resources::check(&mut out, &view, &w, platform, env);
            secrets::check(&mut out, &view, &w, platform);
            network::check_app(&mut out, state, &view, &w, platform, env);
            canary::check(&mut out, &view, &w, platform);
            hosts = network::hosts_of(&view, &w);
        }
        secrets::check_plaintext(&mut out, &view, platform);
        Some(AppChecked {
            label,
            emitted: out,
            merge_findings,
            hosts,
            values: view.values,
        })
    }
}

/// Run every rule on a loaded spec. With a platform (and the environment's name), the
/// platform's rules run on each enabled app's effective values too; without one, only
/// Helmsman's own checks run.
pub fn check_spec(
    sources: &mut SourceMap,
    spec: &LoadedSpec,
    platform: Option<&Platform>,
    environment: Option<&str>,
    cache: &mut ValuesCache,
    options: &LoadOptions<'_>,
) -> Vec<Finding> {
    check_spec_keeping_values(sources, spec, platform, environment, cache, options).0
}

/// [`check_spec`], also giving the effective values of every enabled app it computed (with a
/// platform), for the next step to use without computing them again.
pub fn check_spec_keeping_values(
    sources: &mut SourceMap,
    spec: &LoadedSpec,
    platform: Option<&Platform>,
    environment: Option<&str>,
    cache: &mut ValuesCache,
    options: &LoadOptions<'_>,
) -> (Vec<Finding>, IndexMap<String, AppValues>) {
    let mut kept = IndexMap::new();
    let (Some(state), Some(tree)) = (&spec.state, &spec.tree) else {
        return (Vec::new(), kept);
    };
    let mut read_findings = Vec::new();
    let mut out = Emitter::new(platform, environment, tree);
    if let Some(platform) = platform {
        let enabled: Vec<(&String, &App)> = state
            .apps
            .iter()
            .flatten()
            .filter(|(_, app)| app.enabled == Some(true))
            .collect();
        // Every app's values files first, then each app whole (values, workload, rules); both
        // on as many threads as the cores, in the apps' order.
        let threads = crate::parallel::cpu_threads();
        let labels = enabled.iter().map(|(label, _)| label.as_str());
        read_values_files(
            sources,
            cache,
            tree,
            labels,
            options,
            &mut read_findings,
            threads,
        );
        let context = Context {
            sources,
            cache,
            state,
            tree,
            platform,
            environment,
            env: environment.and_then(|e| platform.environment(e)),
        };
        let mut hosts = Vec::new();
        for app in
            crate::parallel::map(&enabled, threads, |&(label, app)| context.check(label, app))
        {
            let Some(app) = app else {
                continue;
            };
            out.append(app.emitted);
            read_findings.extend(app.merge_findings);
            hosts.extend(app.hosts);
            kept.insert(app.label.clone(), app.values);
        }
        network::check_environment(&mut out, &hosts);
    }
    helmsman::check(&mut out, state, cache);
    let mut findings = out.into_findings(sources);
    findings.extend(read_findings);
    (findings, kept)
}
