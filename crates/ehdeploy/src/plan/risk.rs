//! Risk notes: stable ids for what deserves a reviewer's second look in a plan.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The stable id of a risk note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum RiskId {
    /// The chart's major version goes up.
    #[serde(rename = "risk/chart-major")]
    ChartMajor,
    /// The chart version goes down.
    #[serde(rename = "risk/chart-downgrade")]
    ChartDowngrade,
    /// The image tag goes down (by semver).
    #[serde(rename = "risk/image-downgrade")]
    ImageDowngrade,
    /// Replicas go to zero.
    #[serde(rename = "risk/replicas-zero")]
    ReplicasZero,
    /// The memory limit is cut by more than half.
    #[serde(rename = "risk/memory-cut")]
    MemoryCut,
    /// A DNS host name is no longer served.
    #[serde(rename = "risk/dns-removed")]
    DnsRemoved,
    /// The new spec changes a protected release.
    #[serde(rename = "risk/protected")]
    Protected,
    /// An app is removed from production.
    #[serde(rename = "risk/production-removal")]
    ProductionRemoval,
    /// A namespace move: Helmsman uninstalls and reinstalls; persistent volumes are not moved.
    #[serde(rename = "risk/namespace-move")]
    NamespaceMove,
}

impl RiskId {
    /// Every risk id.
    pub const ALL: [RiskId; 9] = [
        RiskId::ChartMajor,
        RiskId::ChartDowngrade,
        RiskId::ImageDowngrade,
        RiskId::ReplicasZero,
        RiskId::MemoryCut,
        RiskId::DnsRemoved,
        RiskId::Protected,
        RiskId::ProductionRemoval,
        RiskId::NamespaceMove,
    ];

    /// The id as text.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskId::ChartMajor => "risk/chart-major",
            RiskId::ChartDowngrade => "risk/chart-downgrade",
            RiskId::ImageDowngrade => "risk/image-downgrade",
            RiskId::ReplicasZero => "risk/replicas-zero",
            RiskId::MemoryCut => "risk/memory-cut",
            RiskId::DnsRemoved => "risk/dns-removed",
            RiskId::Protected => "risk/protected",
            RiskId::ProductionRemoval => "risk/production-removal",
            RiskId::NamespaceMove => "risk/namespace-move",
        }
    }
}

impl std::fmt::Display for RiskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
