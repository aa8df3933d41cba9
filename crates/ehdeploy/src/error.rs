//! The crate's error: what stops an operation (as opposed to findings, which are reported).

/// An error that stops an operation. Each variant has a stable [`Error::code`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The request itself is wrong (unknown environment, no files, bad option).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The stable code that crosses every boundary (CLI JSON, Python, C).
    pub fn code(&self) -> crate::api::ErrorCode {
        match self {
            Error::Io { .. } => crate::api::ErrorCode::Io,
            Error::Usage(_) => crate::api::ErrorCode::Usage,
        }
    }

    /// An I/O error about `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
