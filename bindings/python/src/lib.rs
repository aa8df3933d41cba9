//! `ehdeploy._native`: the one function the Python package needs, [`call`], over
//! `ehdeploy::api::call`. Everything typed lives in Python (`python/ehdeploy/`); nothing here
//! knows an operation.

use pyo3::prelude::*;

/// Run operation `op` on a JSON request, without the GIL. Returns `(True, answer_json)` or
/// `(False, error_json)`; panics inside ehdeploy come back as `(False, …)` with code `panic`.
#[pyfunction]
fn call(py: Python<'_>, op: &str, request: &str) -> (bool, String) {
    py.detach(|| match ehdeploy::api::call(op, request) {
        Ok(answer) => (true, answer),
        Err(error) => (false, error.to_json()),
    })
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(call, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
