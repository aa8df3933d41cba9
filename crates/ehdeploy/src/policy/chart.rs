//! Predefined charts: which chart, from which repository, at which version.

use super::{AppView, Emitter};
use crate::platform::{EnvironmentConfig, Platform};
use crate::rules;
use crate::source::pointer_join;
use crate::spec::DesiredState;

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

pub(crate) fn check(
    out: &mut Emitter<'_>,
    state: &DesiredState,
    view: &AppView<'_>,
    platform: &Platform,
    env: Option<&EnvironmentConfig>,
) {
    let Some(chart) = view.app.chart.as_deref().filter(|c| !c.is_empty()) else {
        return;
    };
    let label = view.label;
    // Pointers are made for a finding only: most apps have none.
    let chart_ptr = || pointer_join(&view.pointer, "chart");
    let Some(config) = platform.chart_of(view.app) else {
        let names: Vec<&str> = platform
            .file
            .charts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        out.at_dsf(
            rules::CHART_NOT_PREDEFINED,
            Some(label),
            &chart_ptr(),
            format!(
                "chart `{chart}` is not a predefined chart of the platform (allowed: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        );
        return;
    };
    if let Some((repo, _)) = chart
        .split_once('/')
        .filter(|_| !crate::spec::is_remote(chart))
    {
        if let Some(url) = state.helm_repos.get(repo) {
            if !same_url(url, &config.repository) {
                out.at_dsf(
                    rules::CHART_WRONG_REPOSITORY,
                    Some(label),
                    &chart_ptr(),
                    format!(
                        "chart `{}` must come from `{}`, but repository `{repo}` is `{url}`",
                        config.name, config.repository
                    ),
                );
            }
        }
    }
    let Some(version_text) = view.app.version.as_deref().filter(|v| !v.is_empty()) else {
        return;
    };
    let version_ptr = || pointer_join(&view.pointer, "version");
    let version = match semver::Version::parse(version_text.trim_start_matches('v')) {
        Ok(v) => v,
        Err(_) => {
            out.at_dsf(
                rules::CHART_VERSION_RANGE,
                Some(label),
                &version_ptr(),
                format!("chart version `{version_text}` is not an exact semver version"),
            );
            return;
        }
    };
    let req = platform.chart_versions.get(&config.name);
    if let Some(req) = req {
        if !req.matches(&version) {
            out.at_dsf(
                rules::CHART_VERSION_RANGE,
                Some(label),
                &version_ptr(),
                format!(
                    "chart `{}` version {version} is outside the allowed range `{req}`",
                    config.name
                ),
            );
            return;
        }
    }
    if env.is_some_and(EnvironmentConfig::requires_newest_chart) {
        let newest = config
            .available
            .iter()
            .filter_map(|v| semver::Version::parse(v).ok())
            .filter(|v| req.is_none_or(|r| r.matches(v)))
            .max();
        if let Some(newest) = newest.filter(|n| *n > version) {
            out.at_dsf(
                rules::CHART_VERSION_NOT_NEWEST,
                Some(label),
                &version_ptr(),
                format!(
                    "chart `{}` is at {version}; the newest allowed version is {newest}",
                    config.name
                ),
            );
        }
    }
}
