//! Operations by name: the request and response types of each, and [`call`] / [`call_json`]
//! that every binding goes through.

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::error::{ApiError, ErrorCode};
use super::ops;

/// One operation: its name, its request and response types, and what it does.
///
/// Adding an operation: implement this trait in [`ops`](super::ops), list it in
/// `operations!` below, and add it to every binding in the same change (`docs/bindings.md`).
pub trait Operation {
    /// The name callers use (`validate`, `promotion_plan`, …).
    const NAME: &'static str;
    /// What it does, in one line.
    const SUMMARY: &'static str;
    /// The request (`deny_unknown_fields`).
    type Request: DeserializeOwned + schemars::JsonSchema;
    /// The response.
    type Response: Serialize + schemars::JsonSchema;
    /// Run it.
    fn run(request: Self::Request) -> Result<Self::Response, ApiError>;
}

/// An operation as [`operations`] lists it.
#[derive(Debug, Clone, Copy)]
pub struct OperationInfo {
    /// The name callers use.
    pub name: &'static str,
    /// What it does, in one line.
    pub summary: &'static str,
    request_schema: fn(&str) -> Value,
    response_schema: fn(&str) -> Value,
    run: fn(&str) -> Result<String, ApiError>,
}

impl OperationInfo {
    /// The JSON Schema of the request (`schemas/api/<name>.request.schema.json`).
    pub fn request_schema(&self) -> Value {
        (self.request_schema)(&format!("api/{}.request", self.name))
    }

    /// The JSON Schema of the response (`schemas/api/<name>.response.schema.json`).
    pub fn response_schema(&self) -> Value {
        (self.response_schema)(&format!("api/{}.response", self.name))
    }
}

fn info<O: Operation>() -> OperationInfo {
    OperationInfo {
        name: O::NAME,
        summary: O::SUMMARY,
        request_schema: crate::schema::schema_for::<O::Request>,
        response_schema: crate::schema::schema_for::<O::Response>,
        run: run_json::<O>,
    }
}

macro_rules! operations {
    ($($(#[$attr:meta])* $op:ty),* $(,)?) => {
        /// Every operation, in the order of `docs/bindings.md`.
        pub fn operations() -> &'static [OperationInfo] {
            static ALL: std::sync::OnceLock<Vec<OperationInfo>> = std::sync::OnceLock::new();
            // One push per operation, so that an operation can be behind a `cfg`.
            #[allow(clippy::vec_init_then_push)]
            ALL.get_or_init(|| {
                let mut all = Vec::new();
                $($(#[$attr])* all.push(info::<$op>());)*
                all
            })
        }
    };
}

operations![
    ops::Version,
    ops::Rules,
    ops::Schema,
    ops::Validate,
    ops::Check,
    ops::Plan,
    ops::PromotionPlan,
    ops::PromoteSpec,
    ops::ReleaseEvent,
    ops::ReleaseStatus,
    ops::VerifyLog,
    ops::ReleaseArtifacts,
    ops::RolloutHealth,
    ops::CanaryDecide,
    ops::CanaryResources,
    #[cfg(feature = "prometheus")]
    ops::CanaryAnalyze,
    #[cfg(feature = "git")]
    ops::Rollback,
    #[cfg(feature = "signatures")]
    ops::Verify,
    #[cfg(feature = "fault-injection")]
    ops::Panic,
];

/// The JSON of every response and error: pretty-printed, keys in declaration order. The CLI's
/// `--format json` prints this too, so every caller gets the same bytes.
pub fn to_json<T: Serialize>(value: &T) -> String {
    // The response types are plain data with string keys: serialising cannot fail. Should it
    // ever, the caller gets a JSON null rather than a panic.
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into())
}

fn run_json<O: Operation>(request: &str) -> Result<String, ApiError> {
    let request: O::Request =
        serde_json::from_str(request).map_err(|e| ApiError::request(O::NAME, &e))?;
    O::run(request).map(|response| to_json(&response))
}

/// Run the operation `op` on a JSON request; the response as JSON, or the error.
///
/// A panic inside the operation is caught and returned as an error with code
/// [`ErrorCode::Panic`]: no caller, across any boundary, sees an unwind.
///
/// ```
/// let version = ehdeploy::api::call("version", "{}")?;
/// assert!(version.contains(env!("CARGO_PKG_VERSION")));
/// # Ok::<(), ehdeploy::api::ApiError>(())
/// ```
pub fn call(op: &str, request: &str) -> Result<String, ApiError> {
    let Some(found) = operations().iter().find(|o| o.name == op) else {
        return Err(unknown(op));
    };
    guarded(op, || (found.run)(request))
}

/// `run()`, with a panic turned into an [`ErrorCode::Panic`] error.
fn guarded(op: &str, run: impl FnOnce() -> Result<String, ApiError>) -> Result<String, ApiError> {
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(
            ApiError::new(ErrorCode::Panic, format!("`{op}` panicked: {what}"))
                .with_help("this is a bug in ehdeploy; please report it with the request"),
        )
    })
}

/// [`call`], with an error given as its JSON (`{"error": {...}}`) instead of `Err`.
///
/// ```
/// let answer = ehdeploy::api::call_json("nope", "{}");
/// assert!(answer.contains("\"unknown-operation\""));
/// ```
pub fn call_json(op: &str, request: &str) -> String {
    call(op, request).unwrap_or_else(|e| e.to_json())
}

fn unknown(op: &str) -> ApiError {
    let names = operations().iter().map(|o| o.name);
    let error = ApiError::new(
        ErrorCode::UnknownOperation,
        format!("no operation named `{op}`"),
    );
    match crate::suggest::did_you_mean(op, names.clone()) {
        Some(name) => error.with_help(format!("did you mean `{name}`?")),
        None => error.with_help(format!(
            "the operations are: {}",
            names.collect::<Vec<_>>().join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::panic)]
    fn a_panic_becomes_an_error_with_its_message() {
        let e = guarded("validate", || panic!("boom {}", 42)).unwrap_err();
        assert_eq!(e.code, ErrorCode::Panic);
        assert_eq!(e.message, "`validate` panicked: boom 42");
        let e = guarded("check", || panic!("static")).unwrap_err();
        assert_eq!(e.message, "`check` panicked: static");
    }

    #[test]
    fn every_operation_has_a_distinct_snake_case_name() {
        let names: Vec<&str> = operations().iter().map(|o| o.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }
}
