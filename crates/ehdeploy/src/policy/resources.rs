//! Replicas, memory, probes and container ports.

use std::collections::HashMap;

use super::{AppView, Emitter};
use crate::platform::{EnvironmentConfig, Platform};
use crate::rules;
use crate::source::{Node, NodeKind};
use crate::workload::quantity::Quantity;
use crate::workload::{Field, Workload};

fn quantity(node: &Node) -> Result<Quantity, String> {
    match &node.kind {
        NodeKind::Int(i) if *i >= 0 => Ok(Quantity::from_bytes(*i as u64)),
        NodeKind::Str(s) => s.parse::<Quantity>().map_err(|e| e.to_string()),
        NodeKind::Float(f) => f.to_string().parse::<Quantity>().map_err(|e| e.to_string()),
        _ => Err(format!(
            "a memory quantity must be text such as `512Mi`, not a {}",
            node.kind_name()
        )),
    }
}

fn is_declared(node: Option<&Field<'_>>) -> bool {
    node.is_some_and(|f| match &f.node.kind {
        NodeKind::Null => false,
        NodeKind::Str(s) => !s.trim().is_empty(),
        NodeKind::Map(m) => !m.is_empty(),
        NodeKind::Bool(b) => *b,
        _ => true,
    })
}

pub(crate) fn check(
    out: &mut Emitter<'_>,
    view: &AppView<'_>,
    w: &Workload<'_>,
    platform: &Platform,
    env: Option<&EnvironmentConfig>,
) {
    let label = view.label;
    let values = &view.values;
    let profile = view.profile;
    // replicas
    if let (Some(env), Some(r)) = (env, &w.replicas) {
        let min = env.min_replicas();
        match r.node.kind {
            NodeKind::Int(n) if n >= i64::from(min) => {}
            NodeKind::Int(n) => out.at_value(
                rules::REPLICAS_MINIMUM,
                label,
                values,
                r,
                format!("{n} replicas is below the minimum of {min} in {}", env.name),
            ),
            _ => out.at_value(
                rules::REPLICAS_MINIMUM,
                label,
                values,
                r,
                format!(
                    "the replica count must be a whole number, not a {}",
                    r.node.kind_name()
                ),
            ),
        }
    }
    // memory
    let has_memory_paths =
        profile.is_some_and(|p| p.memory_request.is_some() || p.memory_limit.is_some());
    if has_memory_paths {
        let mut parsed = [None, None];
        for (i, (field, what)) in [(&w.memory_request, "request"), (&w.memory_limit, "limit")]
            .into_iter()
            .enumerate()
        {
            match field {
                None => {
                    let loc = out.dsf(&view.pointer, false);
                    out.emit(
                        rules::MEMORY_MISSING,
                        Some(label),
                        loc,
                        format!("app `{label}` sets no memory {what}"),
                    );
                }
                Some(f) => match quantity(f.node) {
                    Ok(q) => parsed[i] = Some((q, f)),
                    Err(e) => out.at_value(rules::MEMORY_INVALID, label, values, f, e),
                },
            }
        }
        if let [Some((req, _)), Some((lim, lim_field))] = &parsed {
            if req > lim {
                out.at_value(
                    rules::MEMORY_REQUEST_ABOVE_LIMIT,
                    label,
                    values,
                    lim_field,
                    format!("the memory request {req} is above the limit {lim}"),
                );
            }
        }
        if let (Some(env), [_, Some((lim, f))]) = (env, &parsed) {
            if let Some(max) = platform.max_memory.get(&env.name) {
                if lim > max {
                    out.at_value(
                        rules::MEMORY_LIMIT_MAXIMUM,
                        label,
                        values,
                        f,
                        format!(
                            "the memory limit {lim} is above the maximum of {max} in {}",
                            env.name
                        ),
                    );
                }
            }
        }
    }
    // probes
    for (declared, path, rule, what) in [
        (
            is_declared(w.liveness.as_ref()),
            profile.and_then(|p| p.liveness_probe.as_ref()),
            rules::PROBES_LIVENESS,
            "liveness",
        ),
        (
            is_declared(w.readiness.as_ref()),
            profile.and_then(|p| p.readiness_probe.as_ref()),
            rules::PROBES_READINESS,
            "readiness",
        ),
    ] {
        if let (false, Some(path)) = (declared, path) {
            let loc = out.dsf(&view.pointer, false);
            out.emit(
                rule,
                Some(label),
                loc,
                format!("app `{label}` declares no {what} probe (`{path}`)"),
            );
        }
    }
    // ports
    let mut seen: HashMap<i64, &Field<'_>> = HashMap::new();
    for port in &w.ports {
        let n = match &port.node.kind {
            NodeKind::Int(n) => Some(*n),
            NodeKind::Str(s) => s.parse::<i64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (1..=65535).contains(&n) => {
                if seen.insert(n, port).is_some() {
                    out.at_value(
                        rules::PORTS_DUPLICATE,
                        label,
                        values,
                        port,
                        format!("container port {n} is listed twice"),
                    );
                }
            }
            _ => {
                let text = port
                    .node
                    .scalar_text()
                    .unwrap_or_else(|| port.node.kind_name().to_string());
                out.at_value(
                    rules::PORTS_INVALID,
                    label,
                    values,
                    port,
                    format!("container port `{text}` is not a port number from 1 to 65535"),
                );
            }
        }
    }
}
