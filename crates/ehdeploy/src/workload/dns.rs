//! DNS host names.
