//! The operations layer: each operation once, as a request type and a result, for the CLI
//! and every binding to call.

mod common;
mod plan;
mod validate;

pub use plan::{
    plan, promote_spec, promotion_plan, FileChange, PlanRequest, Planned, PromoteSpecRequest,
    PromotedSpec, PromotionRequest,
};
pub use validate::{check, validate, CheckRequest, Checked, ValidateRequest};
