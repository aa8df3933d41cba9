//! Canary releases: an app with canary on has a valid analysis to be judged by.

use super::{AppView, Emitter};
use crate::canary::{app_analysis, AnalysisSource};
use crate::platform::Platform;
use crate::rules;
use crate::workload::{Field, Workload};

pub(crate) fn check(
    out: &mut Emitter<'_>,
    view: &AppView<'_>,
    w: &Workload<'_>,
    platform: &Platform,
) {
    let Some(switch) = w.canary.as_ref().filter(|_| w.canary_enabled()) else {
        return;
    };
    match app_analysis(platform, view.label, w) {
        None => out.at_value(
            rules::CANARY_NO_ANALYSIS,
            view.label,
            &view.values,
            switch,
            "canary is on, and neither the app's values nor the platform file give the analysis that judges it".into(),
        ),
        Some(Err((field, message))) => out.at_value(
            rules::CANARY_INVALID_ANALYSIS,
            view.label,
            &view.values,
            &field,
            format!("the canary analysis is not one: {message}"),
        ),
        // The platform file's analyses are checked when the platform is loaded.
        Some(Ok((analysis, AnalysisSource::Values(pointer)))) => {
            let Some(node) = w.canary_analysis.as_ref().map(|f| f.node) else {
                return;
            };
            for problem in analysis.validate().err().unwrap_or_default() {
                let inner = node.pointer(&problem.pointer).unwrap_or(node);
                let field = Field {
                    node: inner,
                    pointer: format!("{pointer}{}", problem.pointer).into(),
                };
                out.at_value(
                    rules::CANARY_INVALID_ANALYSIS,
                    view.label,
                    &view.values,
                    &field,
                    problem.message,
                );
            }
        }
        Some(Ok(_)) => {}
    }
}
