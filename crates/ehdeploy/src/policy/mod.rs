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

use crate::platform::{CompiledProfile, Platform};
use crate::report::Finding;
use crate::source::{pointer_join, SourceMap};
use crate::spec::{effective_values, App, AppValues, LoadOptions, LoadedSpec, ValuesCache};
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
        let env = environment.and_then(|e| platform.environment(e));
        let mut hosts = Vec::new();
        // Each app whole, one after the other, while its values are fresh in memory.
        for (label, app) in state.apps.iter().flatten() {
            if app.enabled != Some(true) {
                continue;
            }
            let Some(values) =
                effective_values(sources, cache, tree, label, options, &mut read_findings)
            else {
                continue;
            };
            let pointer = pointer_join("/apps", label);
            let profile = platform.profile_of(app).map(|p| &**p);
            let view = AppView {
                label,
                app,
                pointer,
                values,
                profile,
            };
            chart::check(&mut out, state, &view, platform, env);
            if let Some(profile) = view.profile {
                let w = Workload::read(&view.values.values, profile);
                image::check(&mut out, &view, &w, platform, env, cache.images());
                resources::check(&mut out, &view, &w, platform, env);
                secrets::check(&mut out, &view, &w, platform);
                network::check_app(&mut out, state, &view, &w, platform, env);
                canary::check(&mut out, &view, &w, platform);
                hosts.extend(network::hosts_of(&view, &w));
            }
            secrets::check_plaintext(&mut out, &view, platform);
            kept.insert(label.clone(), view.values);
        }
        network::check_environment(&mut out, &hosts);
    }
    helmsman::check(&mut out, state, cache);
    let mut findings = out.into_findings(sources);
    findings.extend(read_findings);
    (findings, kept)
}
