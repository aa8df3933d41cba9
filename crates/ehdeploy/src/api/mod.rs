//! The operations layer: each operation once, as a request type and a result, for the CLI
//! and every binding to call.

mod validate;

pub use validate::{check, validate, CheckRequest, Checked, ValidateRequest};
