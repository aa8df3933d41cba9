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
    check_specs_keeping_values(sources, &[(spec, environment)], platform, cache, options)
        .pop()
        .unwrap_or_default()
}

/// One environment's spec, as [`check_specs_keeping_values`] goes through it.
struct EnvSpec<'a> {
    state: &'a DesiredState,
    tree: &'a Node,
    environment: Option<&'a str>,
    enabled: Vec<(&'a String, &'a App)>,
    /// The syntax findings of the values files this environment read first.
    read_findings: Vec<Finding>,
    /// Helmsman's own checks.
    helmsman: Emitter<'a>,
}

/// [`check_spec_keeping_values`] of several environments' specs (each with its environment's
/// name), in one go: the findings and values of each, in the order given, as each alone would
/// give them.
///
/// Every environment's values files are read first, in that order (a file's syntax findings
/// go to the first environment that reads it). Then the apps are checked app by app across
/// the environments, on as many threads as the cores, so that the values files an app's
/// environments share (its `common.yaml`) are merged from memory still in the CPU's cache,
/// not fetched again from main memory once per environment.
pub fn check_specs_keeping_values(
    sources: &mut SourceMap,
    specs: &[(&LoadedSpec, Option<&str>)],
    platform: Option<&Platform>,
    cache: &mut ValuesCache,
    options: &LoadOptions<'_>,
) -> Vec<(Vec<Finding>, IndexMap<String, AppValues>)> {
    let threads = crate::parallel::cpu_threads();
    let mut envs: Vec<Option<EnvSpec<'_>>> = Vec::with_capacity(specs.len());
    for &(spec, environment) in specs {
        let (Some(state), Some(tree)) = (&spec.state, &spec.tree) else {
            envs.push(None);
            continue;
        };
        let mut read_findings = Vec::new();
        let mut enabled = Vec::new();
        if platform.is_some() {
            enabled = spec.enabled_apps().collect();
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
        }
        let mut helmsman = Emitter::new(platform, environment, tree);
        helmsman::check(&mut helmsman, state, cache);
        envs.push(Some(EnvSpec {
            state,
            tree,
            environment,
            enabled,
            read_findings,
            helmsman,
        }));
    }
    let (sources, cache) = (&*sources, &*cache);
    let contexts: Vec<Option<Context<'_>>> = envs
        .iter()
        .map(|env| {
            let (env, platform) = (env.as_ref()?, platform?);
            Some(Context {
                sources,
                cache,
                state: env.state,
                tree: env.tree,
                platform,
                environment: env.environment,
                env: env.environment.and_then(|e| platform.environment(e)),
            })
        })
        .collect();
    // Each app, with where it is enabled: (environment, place among its enabled apps).
    let mut rows: IndexMap<&str, Vec<(usize, usize)>> = IndexMap::new();
    for (e, env) in envs.iter().enumerate() {
        for (i, (label, _)) in env.iter().flat_map(|env| env.enabled.iter()).enumerate() {
            rows.entry(label.as_str()).or_default().push((e, i));
        }
    }
    let rows: Vec<&[(usize, usize)]> = rows.values().map(Vec::as_slice).collect();
    let checked = crate::parallel::map(&rows, threads, |row| {
        row.iter()
            .map(|&(e, i)| {
                let (context, env) = (contexts.get(e)?.as_ref()?, envs.get(e)?.as_ref()?);
                let &(label, app) = env.enabled.get(i)?;
                context.check(label, app)
            })
            .collect::<Vec<_>>()
    });
    let mut apps: Vec<Vec<Option<AppChecked<'_>>>> = envs
        .iter()
        .map(|env| {
            env.iter()
                .flat_map(|env| &env.enabled)
                .map(|_| None)
                .collect()
        })
        .collect();
    for (row, checked) in rows.iter().zip(checked) {
        for (&(e, i), app) in row.iter().zip(checked) {
            if let Some(slot) = apps.get_mut(e).and_then(|apps| apps.get_mut(i)) {
                *slot = app;
            }
        }
    }
    envs.into_iter()
        .zip(apps)
        .map(|(env, apps)| {
            let mut kept = IndexMap::new();
            let Some(env) = env else {
                return (Vec::new(), kept);
            };
            let mut out = Emitter::new(platform, env.environment, env.tree);
            let mut read_findings = env.read_findings;
            if platform.is_some() {
                let mut hosts = Vec::new();
                for app in apps.into_iter().flatten() {
                    out.append(app.emitted);
                    read_findings.extend(app.merge_findings);
                    hosts.extend(app.hosts);
                    kept.insert(app.label.clone(), app.values);
                }
                network::check_environment(&mut out, &hosts);
            }
            out.append(env.helmsman);
            let mut findings = out.into_findings(sources);
            findings.extend(read_findings);
            (findings, kept)
        })
        .collect()
}
