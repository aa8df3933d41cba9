//! The desired-state model (Helmsman DSF): loading, substitution, merging, effective values.

mod effective;
mod load;
mod model;
mod paths;
pub mod values;

pub use effective::{
    effective_values, merged_values, read_values_files, values_files, AppValues, ValuesCache,
};
pub(crate) use load::is_manifest;
pub use load::{load_spec, load_specs, LoadOptions, LoadedSpec};
pub use model::{
    App, CustomQuota, DesiredState, Hooks, Limit, Namespace, Quotas, Resources, Scalar, Settings,
    SpecFile, StatePath,
};
pub use paths::{is_remote, normalize, resolve_path};
