//! The desired-state model (Helmsman DSF): loading, substitution, merging, effective values.

pub mod values;
