//! The platform file (`platform.yaml`): environments in promotion order, official registries,
//! predefined charts and their profiles, the service mesh, secrets detection and rule settings.
//! Everything the platform allows is data here, with defaults that describe the platform as
//! DESIGN.md tells it.

mod load;
mod model;
mod profile;

pub use load::{load_platform, Platform};
pub use model::{ChartConfig, EnvironmentConfig, Mesh, PlatformFile, RuleLevel, SecretsConfig};
pub use profile::{ChartProfile, CompiledProfile};
