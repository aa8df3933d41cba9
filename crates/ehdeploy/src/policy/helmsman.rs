//! Helmsman's own checks, all of them, on every app (enabled or not), as `helmsman validate`
//! does, but reporting every problem rather than the first.

use std::collections::HashMap;
use std::path::Path;

use super::{Emitter, HOOK_OPTIONS, LIFECYCLE_HOOKS};
use crate::rules;
use crate::source::pointer_join;
use crate::spec::{is_manifest, is_remote, DesiredState, ValuesCache};

pub(crate) fn check(out: &mut Emitter<'_>, state: &DesiredState, files: &mut ValuesCache) {
    check_settings(out, state);
    for (name, url) in &state.helm_repos {
        if let Err(why) = check_url(url) {
            let pointer = pointer_join("/helmRepos", name);
            out.at_dsf(
                rules::HELMSMAN_REPO_URL_INVALID,
                None,
                &pointer,
                format!("helm repository `{name}` has an invalid URL `{url}`: {why}"),
            );
        }
    }
    if let Some(hooks) = state
        .settings
        .as_ref()
        .and_then(|s| s.global_hooks.as_ref())
    {
        check_hooks(out, None, "/settings/globalHooks", hooks);
    }
    let Some(apps) = &state.apps else {
        return;
    };
    let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
    for (label, app) in apps {
        let ptr = pointer_join("/apps", label);
        let at = |key: &str| pointer_join(&ptr, key);
        let name = app.release_name(label);
        let label_s = Some(label.as_str());
        match app.namespace.as_deref().filter(|n| !n.is_empty()) {
            None => out.at_dsf(
                rules::HELMSMAN_NAMESPACE_MISSING,
                label_s,
                &ptr,
                format!("app `{label}` has no namespace"),
            ),
            Some(ns) => {
                if let Some(first) = seen.insert((name, ns), label) {
                    out.at_dsf(
                        rules::HELMSMAN_DUPLICATE_RELEASE,
                        label_s,
                        &ptr,
                        format!("release `{name}` in namespace `{ns}` is defined twice (also by app `{first}`)"),
                    );
                }
                if ns != "kube-system" && !state.namespaces.contains_key(ns) {
                    out.at_dsf(
                        rules::HELMSMAN_NAMESPACE_UNDEFINED,
                        label_s,
                        &at("namespace"),
                        format!("app `{label}` uses namespace `{ns}`, which is not defined under `namespaces`"),
                    );
                }
            }
        }
        check_chart(out, state, files, label, &ptr, app.chart.as_deref());
        if app.version.as_deref().is_none_or(str::is_empty) {
            out.at_dsf(
                rules::HELMSMAN_VERSION_MISSING,
                label_s,
                &ptr,
                format!("app `{label}` has no chart version"),
            );
        }
        if let Some(p) = app.priority.filter(|p| *p > 0) {
            out.at_dsf(
                rules::HELMSMAN_PRIORITY_POSITIVE,
                label_s,
                &at("priority"),
                format!("priority {p} is positive; Helmsman accepts only 0 or negative priorities"),
            );
        }
        for (single, plural, has_both) in [
            (
                "valuesFile",
                "valuesFiles",
                app.values_file.is_some() && !app.values_files.is_empty(),
            ),
            (
                "secretsFile",
                "secretsFiles",
                app.secrets_file.is_some() && !app.secrets_files.is_empty(),
            ),
        ] {
            if has_both {
                out.at_dsf(
                    rules::HELMSMAN_EXCLUSIVE_FILES,
                    label_s,
                    &at(single),
                    format!("`{single}` and `{plural}` are used together"),
                );
            }
        }
        let referenced = app
            .all_values_files()
            .into_iter()
            .chain(app.all_secrets_files());
        for (key, path) in referenced {
            let pointer = format!("{ptr}/{key}");
            if path.is_empty() && key == "valuesFile" {
                continue;
            }
            check_file(out, files, label, &pointer, path, true);
        }
        for (key, path) in &app.set_file {
            check_file(
                out,
                files,
                label,
                &pointer_join(&at("setFile"), key),
                path,
                false,
            );
        }
        if let Some(hooks) = &app.hooks {
            check_hooks(out, Some(label), &at("hooks"), hooks);
        }
    }
}

/// Helmsman's checks of `settings` and `certificates` (those that need no cluster).
fn check_settings(out: &mut Emitter<'_>, state: &DesiredState) {
    let rule = rules::HELMSMAN_SETTINGS_INVALID;
    let Some(settings) = &state.settings else {
        return;
    };
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    let certs = state.certificates.clone().unwrap_or_default();
    let has_cert = |k: &str| certs.get(k).is_some_and(|v| !v.is_empty());
    let bearer = settings.bearer_token == Some(true);
    if let Some(uri) = settings.cluster_uri.as_deref().filter(|u| !u.is_empty()) {
        if let Err(why) = check_url(uri) {
            out.at_dsf(
                rule,
                None,
                "/settings/clusterURI",
                format!("`clusterURI` `{uri}` is not a valid URL: {why}"),
            );
        }
        if !set(&settings.kube_context) {
            out.at_dsf(
                rule,
                None,
                "/settings",
                "`kubeContext` is required when `clusterURI` is set".into(),
            );
        }
        if !bearer && !has_cert("caClient") {
            for (value, key) in [
                (&settings.username, "username"),
                (&settings.password, "password"),
            ] {
                if !set(value) {
                    out.at_dsf(rule, None, "/settings", format!("`{key}` is required to connect to `clusterURI` without a bearer token or client certificate"));
                }
            }
        }
        let needed: &[&str] = if bearer {
            &["caCrt"]
        } else {
            &["caCrt", "caKey"]
        };
        for key in needed {
            if !has_cert(key) {
                out.at_dsf(
                    rule,
                    None,
                    "/certificates",
                    format!("certificate `{key}` is required to connect to `clusterURI`"),
                );
            }
        }
    } else if bearer {
        out.at_dsf(
            rule,
            None,
            "/settings/bearerToken",
            "`bearerToken` is on, but no `clusterURI` is set".into(),
        );
    }
    for (value, key) in [
        (&settings.slack_webhook, "slackWebhook"),
        (&settings.ms_teams_webhook, "msTeamsWebhook"),
    ] {
        if let Some(url) = value.as_deref().filter(|u| !u.is_empty()) {
            if let Err(why) = check_url(url) {
                out.at_dsf(
                    rule,
                    None,
                    &format!("/settings/{key}"),
                    format!("`{key}` is not a valid URL: {why}"),
                );
            }
        }
    }
    if set(&settings.eyaml_private_key_path) != set(&settings.eyaml_public_key_path) {
        out.at_dsf(
            rule,
            None,
            "/settings",
            "`eyamlPrivateKeyPath` and `eyamlPublicKeyPath` are needed together".into(),
        );
    }
    if settings.eyaml_gkms == Some(true) {
        for (value, key) in [
            (&settings.eyaml_gkms_project, "eyamlGkmsProject"),
            (&settings.eyaml_gkms_location, "eyamlGkmsLocation"),
            (&settings.eyaml_gkms_keyring, "eyamlGkmsKeyring"),
            (&settings.eyaml_gkms_crypto_key, "eyamlGkmsCryptoKey"),
        ] {
            if !set(value) {
                out.at_dsf(
                    rule,
                    None,
                    "/settings/eyamlGkms",
                    format!("`eyamlGkms` needs `{key}`"),
                );
            }
        }
    }
    for (key, value) in &certs {
        if !value.is_empty() && !is_remote(value) && !Path::new(value).is_file() {
            out.at_dsf(rule, None, &pointer_join("/certificates", key), format!("certificate `{key}` is neither a bucket or web URL nor an existing file: `{value}`"));
        }
    }
}

/// Helmsman's checks of an app's chart: a local folder, or `repo/chart` from a repository the
/// DSF names.
fn check_chart(
    out: &mut Emitter<'_>,
    state: &DesiredState,
    files: &mut ValuesCache,
    label: &str,
    ptr: &str,
    chart: Option<&str>,
) {
    let pointer = || pointer_join(ptr, "chart");
    let app = Some(label);
    let Some(chart) = chart.filter(|c| !c.is_empty()) else {
        out.at_dsf(
            rules::HELMSMAN_CHART_INVALID,
            app,
            ptr,
            format!("app `{label}` has no chart; write it as `repo/chart`"),
        );
        return;
    };
    if is_remote(chart) {
        return;
    }
    let local = chart.starts_with('/') || chart.starts_with("./") || chart.starts_with("../");
    let is_dir = files.is_dir(Path::new(chart));
    if local || is_dir {
        if !is_dir {
            out.at_dsf(
                rules::HELMSMAN_CHART_INVALID,
                app,
                &pointer(),
                format!("local chart `{chart}` is not a folder"),
            );
        }
        return;
    }
    let Some((repo, name)) = chart.split_once('/') else {
        out.at_dsf(
            rules::HELMSMAN_CHART_INVALID,
            app,
            &pointer(),
            format!("chart `{chart}` must be of the form `repo/chart` (or a local chart folder)"),
        );
        return;
    };
    if repo.is_empty() || name.is_empty() {
        out.at_dsf(
            rules::HELMSMAN_CHART_INVALID,
            app,
            &pointer(),
            format!("chart `{chart}` must be of the form `repo/chart`"),
        );
        return;
    }
    if !state.helm_repos.contains_key(repo)
        && !state.preconfigured_helm_repos.iter().any(|r| r == repo)
    {
        let hint = crate::suggest::did_you_mean(repo, state.helm_repos.keys().map(String::as_str))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        out.at_dsf(
            rules::HELMSMAN_REPO_UNDEFINED,
            app,
            &pointer(),
            format!("chart `{chart}` comes from repository `{repo}`, which is not in `helmRepos` or `preconfiguredHelmRepos`{hint}"),
        );
    }
}

fn check_file(
    out: &mut Emitter<'_>,
    files: &mut ValuesCache,
    label: &str,
    pointer: &str,
    path: &str,
    manifest: bool,
) {
    if is_remote(path) {
        if let Err(why) = check_url(path) {
            out.at_dsf(
                rules::HELMSMAN_FILE_EXTENSION,
                Some(label),
                pointer,
                format!("`{path}` is not a valid URL: {why}"),
            );
        }
        return;
    }
    if path.is_empty() || !files.is_file(Path::new(path)) {
        out.at_dsf(
            rules::SPEC_FILE_MISSING,
            Some(label),
            pointer,
            format!("file `{path}` does not exist"),
        );
    } else if manifest && !is_manifest(path) {
        out.at_dsf(
            rules::HELMSMAN_FILE_EXTENSION,
            Some(label),
            pointer,
            format!("`{path}` must be a .yaml, .yml or .json file"),
        );
    }
}

fn check_hooks(out: &mut Emitter<'_>, app: Option<&str>, ptr: &str, hooks: &crate::spec::Hooks) {
    for (key, value) in hooks {
        let pointer = pointer_join(ptr, key);
        let problem = if LIFECYCLE_HOOKS.contains(&key.as_str()) {
            match value.as_str().map(str::trim) {
                None | Some("") => Some(format!("hook `{key}` must name a manifest or a command")),
                Some(hook) if is_manifest(hook) && !hook.contains(char::is_whitespace) => {
                    if is_remote(hook) {
                        check_url(hook)
                            .err()
                            .map(|why| format!("hook `{key}`: `{hook}` is not a valid URL: {why}"))
                    } else if !Path::new(hook).is_file() {
                        Some(format!("hook `{key}`: manifest `{hook}` does not exist"))
                    } else {
                        None
                    }
                }
                Some(_) => None,
            }
        } else if HOOK_OPTIONS.contains(&key.as_str()) {
            match key.as_str() {
                "deleteOnSuccess" if !value.is_boolean() => {
                    Some(format!("`deleteOnSuccess` must be true or false, not {value}"))
                }
                "successTimeout" => match value.as_str() {
                    Some(t) if is_duration(t) => None,
                    _ => Some(format!("`successTimeout` must be a duration such as `90s` or `5m`, not {value}")),
                },
                "successCondition" if value.as_str().is_none_or(str::is_empty) => {
                    Some(format!("`successCondition` must name a condition such as `Complete` or `Ready`, not {value}"))
                }
                _ => None,
            }
        } else {
            let known = LIFECYCLE_HOOKS.iter().chain(HOOK_OPTIONS.iter()).copied();
            let hint = crate::suggest::did_you_mean(key, known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Some(format!("`{key}` is not a hook type{hint}"))
        };
        if let Some(message) = problem {
            let loc = out.dsf(
                &pointer,
                !LIFECYCLE_HOOKS.contains(&key.as_str()) && !HOOK_OPTIONS.contains(&key.as_str()),
            );
            out.emit(rules::HELMSMAN_HOOK_INVALID, app, loc, message);
        }
    }
}

/// A Go duration (`90s`, `1m30s`, `2h`, `500ms`).
fn is_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(*u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// A URL as Go's `url.ParseRequestURI` accepts it for a repository: `scheme://host…` (or an
/// absolute path), no spaces or control characters, and basic auth with both parts.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("it is empty".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains spaces or control characters".into());
    }
    if url.starts_with('/') {
        return Ok(());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("it has no scheme (such as `https://`)".into());
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(format!("`{scheme}` is not a URL scheme"));
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() && scheme != "file" {
        return Err("it has no host".into());
    }
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        match userinfo.split_once(':') {
            Some((_, pass)) if !pass.is_empty() => {}
            _ => return Err("it has a user name but no password".into()),
        }
    }
    Ok(())
}
