//! The platform's view of an app: image, replicas, memory, ports, env, secrets, DNS, probes.

pub mod dns;
pub mod image;
pub mod quantity;
mod view;

pub use view::{Field, Named, Workload};
