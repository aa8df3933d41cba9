//! Which analysis an app with canary on is judged by: its own values first, then the
//! platform file's analysis for it, then the platform file's default.

use crate::platform::Platform;
use crate::workload::{Field, Workload};

use super::Analysis;

/// Where an app's analysis was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AnalysisSource {
    /// The app's values, at this JSON pointer of its effective values.
    Values(String),
    /// The platform file's `canary.apps.<app>`.
    PlatformApp,
    /// The platform file's `canary.analysis`.
    PlatformDefault,
}

impl AnalysisSource {
    /// Where, in words (`the app's values at /canary/analysis`).
    pub fn describe(&self, app: &str) -> String {
        match self {
            AnalysisSource::Values(pointer) => format!("the app's values at {pointer}"),
            AnalysisSource::PlatformApp => format!("platform.yaml at /canary/apps/{app}"),
            AnalysisSource::PlatformDefault => "platform.yaml at /canary/analysis".into(),
        }
    }
}

/// The analysis of `app`, read through its chart profile into `workload`, and where it was
/// found; `None` when neither the values nor the platform file give one. An analysis in the
/// values that is not one (a wrong type, an unknown key) is an `Err` with serde's message and
/// the value it is about.
pub fn app_analysis<'w>(
    platform: &Platform,
    app: &str,
    workload: &Workload<'w>,
) -> Option<Result<(Analysis, AnalysisSource), (Field<'w>, String)>> {
    if let Some(field) = &workload.canary_analysis {
        return Some(
            serde_json::from_value::<Analysis>(field.node.to_json())
                .map(|a| (a, AnalysisSource::Values(field.pointer.to_string())))
                .map_err(|e| (field.clone(), e.to_string())),
        );
    }
    let canary = platform.file.canary.as_ref()?;
    if let Some(analysis) = canary.apps.get(app) {
        return Some(Ok((analysis.clone(), AnalysisSource::PlatformApp)));
    }
    canary
        .analysis
        .clone()
        .map(|a| Ok((a, AnalysisSource::PlatformDefault)))
}
