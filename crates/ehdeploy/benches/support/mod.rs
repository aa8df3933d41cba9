//! What the benchmarks' generated platform repos have in common: names, digests, clean-up.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// Suppliers (namespaces) the apps are spread over.
pub const SUPPLIERS: usize = 20;

/// The supplier (namespace) of app `i`.
pub fn supplier(i: usize) -> String {
    format!("supplier-{:02}", i % SUPPLIERS)
}

/// The name of app `i`.
pub fn app(i: usize) -> String {
    format!("app-{i:05}")
}

/// A stable, valid-looking sha256 digest for seed `i`.
pub fn digest(i: usize) -> String {
    let mut x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xd1b5_4a32_d192_ed03;
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for _ in 0..4 {
        x ^= x >> 31;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 27;
        let _ = write!(s, "{x:016x}");
    }
    s
}

/// Removes the generated repos when the run ends, even on a panic.
pub struct TempRepo(pub PathBuf);

impl TempRepo {
    /// A fresh folder name under the temporary directory, for the benchmark `name`.
    pub fn new(name: &str) -> TempRepo {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        TempRepo(std::env::temp_dir().join(format!(
            "ehdeploy-bench-{name}-{}-{nanos}",
            std::process::id()
        )))
    }
}

impl Drop for TempRepo {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
