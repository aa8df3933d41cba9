//! Helm values: merging values files and applying `set`, `setString` and `setFile`.
