//! DNS host names and the service mesh.

use std::collections::HashMap;

use super::{AppView, Emitter, Place};
use crate::platform::{EnvironmentConfig, Platform};
use crate::rules;
use crate::source::pointer_join;
use crate::spec::DesiredState;
use crate::workload::dns::{is_under_domain, validate_hostname};
use crate::workload::Workload;

/// Per app: host names valid and under the domain; namespace carries the mesh label.
pub(crate) fn check_app(
    out: &mut Emitter<'_>,
    state: &DesiredState,
    view: &AppView<'_>,
    w: &Workload<'_>,
    platform: &Platform,
    env: Option<&EnvironmentConfig>,
) {
    let label = view.label;
    for host in &w.hosts {
        let Some(name) = host.node.as_str() else {
            out.at_value(
                rules::DNS_INVALID,
                label,
                &view.values,
                host,
                format!("a host name must be text, not a {}", host.node.kind_name()),
            );
            continue;
        };
        if let Err(e) = validate_hostname(name) {
            out.at_value(
                rules::DNS_INVALID,
                label,
                &view.values,
                host,
                format!("host name `{name}` is not valid: {e}"),
            );
        } else if let Some(domain) = env.and_then(|e| e.domain.as_deref()) {
            if !is_under_domain(name, domain) {
                out.at_value(
                    rules::DNS_DOMAIN,
                    label,
                    &view.values,
                    host,
                    format!("host name `{name}` is not under the environment's domain `{domain}`"),
                );
            }
        }
    }
    if let Some(mesh) = &platform.file.mesh {
        let Some(ns) = view.app.namespace.as_deref() else {
            return;
        };
        let Some(namespace) = state.namespaces.get(ns) else {
            return;
        };
        let value = namespace.as_ref().and_then(|n| n.labels.get(&mesh.label));
        if value != Some(&mesh.value) {
            let pointer = pointer_join("/namespaces", ns);
            let found = value.map_or("no such label".to_string(), |v| format!("`{v}`"));
            out.at_dsf(
                rules::MESH_INJECTION,
                Some(label),
                &pointer,
                format!(
                    "namespace `{ns}` of app `{label}` needs the label `{}: {}` ({found})",
                    mesh.label, mesh.value
                ),
            );
        }
    }
}

/// One use of a host name, kept for the environment-wide check.
pub(crate) struct HostUse<'a> {
    pub app: &'a str,
    pub name: String,
    pub place: Place,
}

/// The host names an app uses.
pub(crate) fn hosts_of<'a>(view: &AppView<'a>, w: &Workload<'_>) -> Vec<HostUse<'a>> {
    w.hosts
        .iter()
        .filter_map(|host| {
            Some(HostUse {
                app: view.label,
                name: host.node.as_str()?.to_string(),
                place: Place::of_value(&view.values, host),
            })
        })
        .collect()
}

/// Across the environment: each host name used by one app only.
pub(crate) fn check_environment(out: &mut Emitter<'_>, hosts: &[HostUse<'_>]) {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for host in hosts {
        let key = host.name.to_ascii_lowercase();
        match seen.get(&key) {
            Some(first) if *first != host.app => out.emit(
                rules::DNS_DUPLICATE,
                Some(host.app),
                host.place.clone(),
                format!("host name `{}` is also used by app `{first}`", host.name),
            ),
            Some(_) => {}
            None => {
                seen.insert(key, host.app);
            }
        }
    }
}
