//! What the bindings cost on top of the Rust API, in one run.
//!
//! Generates the 5-environment benchmark platform (500 apps per environment, see
//! `support/platform.rs`) and times, the same way in each language:
//! - a no-op call (`version`): the best mean of 5 batches of 100,000 calls;
//! - checking the platform: the median of 15 runs after 3 warm-ups;
//!
//! Each side is measured 3 times, in turn (the machine drifts), and the median taken.
//!
//! Rust: `api::check` (typed, no JSON) is the baseline; `api::call("check")` adds the JSON.
//! C: `bindings/c/bench/bench_bindings.c` against the release `libehdeploy.so`.
//! Python: `bindings/python/bench/bench_bindings.py` with the release wheel (typed `Report`).
//! `scripts/bench-bindings.sh` builds those two and runs this; it prints each figure and the
//! ratios to Rust. Criterion also reports the Rust figures (`bindings/rust/*`).
//! Figures: `docs/performance.md`.

// A benchmark fails loudly on bad setup, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/platform.rs"]
mod platform;
mod support;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::Criterion;
use ehdeploy::api::{self, CheckRequest};
use support::TempRepo;

const APPS: usize = 500;

/// How many times each side is measured, in turn.
const ROUNDS: usize = 3;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn request(dir: &Path) -> CheckRequest {
    CheckRequest {
        platform_dir: dir.to_path_buf(),
        process_env: false,
        ..Default::default()
    }
}

/// The best mean, in ns, of 5 batches of 100,000 calls of `f`.
fn noop_ns(mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..100_000 {
                f();
            }
            start.elapsed().as_nanos() as f64 / 100_000.0
        })
        .fold(f64::INFINITY, f64::min)
}

/// The median, in ns, of 15 runs of `f` after 3 warm-ups.
fn check_ns(mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    median(
        (0..15)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_nanos() as f64
            })
            .collect(),
    )
}

/// Run another language's side; its `noop_ns` and `check_ns`, or why not.
fn other(cmd: &[String], dir: &Path) -> Result<(f64, f64), String> {
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .arg(dir)
        .output()
        .map_err(|e| format!("{}: {e} (run scripts/bench-bindings.sh)", cmd[0]))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("no `{key}` in: {text}"))
    };
    Ok((value("noop_ns")?, value("check_ns")?))
}

fn main() {
    let root = TempRepo::new("bindings");
    platform::generate(&root.0, APPS);
    let dir = root.0.canonicalize().unwrap();
    // To profile one side by hand: keep a copy of the platform where this variable says.
    if let Some(keep) = std::env::var_os("EHDEPLOY_BENCH_KEEP") {
        platform::generate(Path::new(&keep), APPS);
    }
    let typed = request(&dir);
    let json = api::to_json(&typed);
    assert_eq!(api::check(&typed).unwrap().report.summary.errors, 0);

    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(10))
        .sample_size(20);
    let mut group = c.benchmark_group("bindings/rust");
    group.bench_function("noop_call_json", |b| {
        b.iter(|| black_box(api::call("version", "{}").unwrap()))
    });
    group.bench_function("check_typed", |b| {
        b.iter(|| black_box(api::check(&typed).unwrap()))
    });
    group.bench_function("check_call_json", |b| {
        b.iter(|| black_box(api::call("check", &json).unwrap()))
    });
    group.finish();
    c.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }

    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let c_bench = std::env::var("EHDEPLOY_BENCH_C").unwrap_or_else(|_| {
        repo.join("target/c-bench/bench_bindings")
            .display()
            .to_string()
    });
    let python = std::env::var("EHDEPLOY_BENCH_PYTHON").unwrap_or_else(|_| {
        repo.join("target/venv-bench/bin/python")
            .display()
            .to_string()
    });
    let py_script = repo.join("bindings/python/bench/bench_bindings.py");
    let sides: [(&str, Vec<String>); 2] = [
        ("C ABI", vec![c_bench]),
        ("Python", vec![python, py_script.display().to_string()]),
    ];
    // The machine drifts by a few percent over a minute: interleave the sides, ROUNDS times,
    // and take each side's median round.
    let mut rust_noop = Vec::new();
    let mut rust_check = Vec::new();
    let mut rust_json = Vec::new();
    let mut measured: Vec<Result<Vec<(f64, f64)>, String>> = vec![Ok(Vec::new()); sides.len()];
    for _ in 0..ROUNDS {
        rust_noop.push(noop_ns(|| {
            black_box(api::call("version", "{}").unwrap());
        }));
        rust_check.push(check_ns(|| {
            black_box(api::check(&typed).unwrap());
        }));
        rust_json.push(check_ns(|| {
            black_box(api::call("check", &json).unwrap());
        }));
        for ((_, cmd), m) in sides.iter().zip(&mut measured) {
            if let Ok(rounds) = m {
                match other(cmd, &dir) {
                    Ok(figures) => rounds.push(figures),
                    Err(why) => *m = Err(why),
                }
            }
        }
    }
    let (rust_noop, rust_check, rust_json) =
        (median(rust_noop), median(rust_check), median(rust_json));

    println!("\nbindings: {APPS} apps x 5 environments; no-op = `version`");
    println!(
        "{:<22} {:>12} {:>14} {:>10}",
        "", "no-op", "check", "vs Rust"
    );
    println!(
        "{:<22} {:>9.0} ns {:>11.1} ms {:>10}",
        "Rust api::check",
        rust_noop,
        rust_check / 1e6,
        "1.000"
    );
    println!(
        "{:<22} {:>12} {:>11.1} ms {:>10.3}",
        "Rust api::call (JSON)",
        "",
        rust_json / 1e6,
        rust_json / rust_check
    );
    for ((name, _), side) in sides.iter().zip(measured) {
        match side.map(|rounds| {
            let (noop, check): (Vec<f64>, Vec<f64>) = rounds.into_iter().unzip();
            (median(noop), median(check))
        }) {
            Ok((noop, check)) => println!(
                "{:<22} {:>9.0} ns {:>11.1} ms {:>10.3}",
                name,
                noop,
                check / 1e6,
                check / rust_check
            ),
            Err(why) => println!("{name:<22} not measured: {}", why.trim()),
        }
    }
}
