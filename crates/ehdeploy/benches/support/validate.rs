//! The body of the `validate` and `validate_mimalloc` benchmarks: generate the platform repos,
//! then time parsing them with `serde_yaml` and checking them with ehdeploy. See
//! `benches/validate.rs`.

use super::platform::{generate, ENVS};
use super::support::TempRepo;

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Bencher, BenchmarkId, Criterion, SamplingMode, Throughput};
use ehdeploy::api::{check, CheckRequest};

/// Apps per environment of each generated repo.
const SIZES: [usize; 3] = [500, 1_000, 2_000];

/// Read and parse every file with serde_yaml: the floor any validator pays.
fn parse_all(files: &[PathBuf]) -> usize {
    let mut n = 0;
    for f in files {
        let text = fs::read_to_string(f).unwrap();
        let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        n += usize::from(!v.is_null());
        black_box(v);
    }
    n
}

/// The CPU time the process has used so far, on all its threads.
fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec.unsigned_abs(), t.tv_nsec.try_into().unwrap_or(0))
}

fn request(dir: &Path) -> CheckRequest {
    CheckRequest {
        platform_dir: dir.to_path_buf(),
        process_env: false,
        ..Default::default()
    }
}

/// A group that checks each generated repo, timed by `routine`.
fn check_group(
    c: &mut Criterion,
    name: &str,
    repos: &[(usize, PathBuf, Vec<PathBuf>)],
    routine: impl Fn(&mut Bencher<'_>, &CheckRequest),
) {
    let mut group = c.benchmark_group(name);
    group.sampling_mode(SamplingMode::Flat);
    for (n, dir, _) in repos {
        group.throughput(Throughput::Elements((*n * ENVS.len()) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &request(dir), &routine);
    }
    group.finish();
}

/// Generate the repos, then time each group; `suffix` ends each group's name (the same groups
/// run under another global allocator keep their own history).
pub fn run(suffix: &str) {
    let root = TempRepo::new("validate");

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(12))
        .configure_from_args();

    let repos: Vec<(usize, PathBuf, Vec<PathBuf>)> = SIZES
        .iter()
        .map(|&n| {
            let dir = root.0.join(format!("apps-{n}"));
            let files = generate(&dir, n);
            // Once, outside the timing: the generated platform is clean.
            let checked = check(&request(&dir)).expect("check runs");
            let s = &checked.report.summary;
            assert_eq!(
                s.errors, 0,
                "the generated platform has errors: {:#?}",
                &checked.report.findings[..checked.report.findings.len().min(5)]
            );
            assert_eq!(s.apps, n * ENVS.len());
            eprintln!(
                "apps-{n}: {} files, {} apps over {} environments, {} errors, {} warnings, {} infos",
                files.len(),
                s.apps,
                s.environments,
                s.errors,
                s.warnings,
                s.infos
            );
            (n, dir, files)
        })
        .collect();

    {
        let mut group = c.benchmark_group(format!("serde_yaml_parse{suffix}"));
        // Iterations take 50 ms to 1 s: equal-sized samples fit the measurement time.
        group.sampling_mode(SamplingMode::Flat);
        for (n, _, files) in &repos {
            group.throughput(Throughput::Elements((*n * ENVS.len()) as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), files, |b, files| {
                b.iter(|| parse_all(black_box(files)))
            });
        }
        group.finish();
    }
    check_group(
        &mut c,
        &format!("ehdeploy_check{suffix}"),
        &repos,
        |b, req| {
            b.iter(|| {
                check(black_box(req))
                    .expect("check runs")
                    .report
                    .summary
                    .errors
            })
        },
    );
    // The same check, timed by the CPU time of all the process's threads: what the check
    // costs, whatever the cores it is spread over.
    check_group(
        &mut c,
        &format!("ehdeploy_check_cpu{suffix}"),
        &repos,
        |b, req| {
            b.iter_custom(|iters| {
                let start = cpu_time();
                for _ in 0..iters {
                    black_box(check(black_box(req)).expect("check runs"));
                }
                cpu_time() - start
            })
        },
    );

    c.final_summary();
    drop(root);
}
