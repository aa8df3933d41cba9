//! The one error every binding sees: a stable code, a message, help and locations.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::report::Location;

/// The stable code of an [`ApiError`]. It crosses every boundary as the kebab-case string
/// (`"invalid-request"`), as a Python exception class, and as a C status value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The request is not valid JSON, or not the operation's request type (unknown field,
    /// wrong type, missing field).
    InvalidRequest,
    /// No operation has this name.
    UnknownOperation,
    /// A file could not be read (or written).
    Io,
    /// The request asks for something that cannot be done (unknown environment, no files).
    Usage,
    /// The operation panicked: a bug in ehdeploy. The process goes on.
    Panic,
    /// A binding was given an argument it cannot pass on: a NULL pointer, or text that is not
    /// UTF-8 (the C ABI's callers only).
    InvalidArgument,
    /// A release's audit log does not verify (edited, cut, reordered): nothing was recorded.
    AuditLog,
}

impl ErrorCode {
    /// The code as text, as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid-request",
            ErrorCode::UnknownOperation => "unknown-operation",
            ErrorCode::Io => "io",
            ErrorCode::Usage => "usage",
            ErrorCode::Panic => "panic",
            ErrorCode::InvalidArgument => "invalid-argument",
            ErrorCode::AuditLog => "audit-log",
        }
    }
}

/// Why an operation gave no answer. Findings are answers, not errors: a spec full of errors
/// is a successful `validate`.
///
/// ```
/// let e = ehdeploy::api::call("validat", "{}").unwrap_err();
/// assert_eq!(e.code, ehdeploy::api::ErrorCode::UnknownOperation);
/// assert_eq!(e.help.as_deref(), Some("did you mean `validate`?"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong, in one line.
    pub message: String,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where: the file that could not be read, or the place in the request (`file` is
    /// `<request>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

/// How an error travels as JSON: `{"error": {...}}`. No response has a top-level `error` key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorResponse {
    /// The error.
    pub error: ApiError,
}

impl ApiError {
    /// An error without help or locations.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            help: None,
            locations: Vec::new(),
        }
    }

    /// The same error with help.
    pub fn with_help(mut self, help: impl Into<String>) -> ApiError {
        self.help = Some(help.into());
        self
    }

    /// A request that does not parse as the operation's request type, located in the request.
    pub(crate) fn request(op: &str, e: &serde_json::Error) -> ApiError {
        let mut error = ApiError::new(
            ErrorCode::InvalidRequest,
            format!("invalid `{op}` request: {}", strip_position(e)),
        )
        .with_help(format!(
            "the request is described by schemas/api/{op}.request.schema.json"
        ));
        if e.line() > 0 {
            error.locations.push(Location {
                file: "<request>".into(),
                line: u32::try_from(e.line()).unwrap_or(u32::MAX),
                column: u32::try_from(e.column()).unwrap_or(u32::MAX),
                pointer: String::new(),
            });
        }
        error
    }

    /// The error as JSON (`{"error": {...}}`), pretty-printed like every response.
    pub fn to_json(&self) -> String {
        super::operation::to_json(&ErrorResponse {
            error: self.clone(),
        })
    }
}

/// serde_json's message without its " at line L column C" (the location says it).
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match &e {
            Error::Io { path, .. } => ApiError {
                code: e.code(),
                message: e.to_string(),
                help: None,
                locations: vec![Location {
                    file: path.clone(),
                    line: 0,
                    column: 0,
                    pointer: String::new(),
                }],
            },
            Error::Usage(message) => ApiError::new(e.code(), message.clone()),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error[{}]: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}
