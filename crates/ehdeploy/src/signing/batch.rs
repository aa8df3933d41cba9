//! Many images verified at once: each distinct (image, environment) once, on at most
//! `concurrency` threads over one store, with progress reported as each finishes.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::image::{verify_image, ImageVerdict};
use super::store::ImageStore;
use crate::trust::TrustPolicy;
use crate::workload::image::ImageRef;

/// The default bound on images verified at once: a registry is asked a few requests per
/// image, and eight keep one busy without looking like an attack.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// One image to verify, in an environment (none: the policy's base requirement).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Job {
    /// The image.
    pub image: ImageRef,
    /// The environment whose requirement applies.
    pub environment: Option<String>,
}

/// Verifies every job against `policy` from `store`, at most `concurrency` at a time (at least
/// one), calling `progress(done, total)` as each finishes; the verdicts in the jobs' order.
///
/// ```
/// use ehdeploy::signing::{verify_all, Job, Layout};
/// use ehdeploy::trust::TrustPolicy;
/// # let dir = std::env::temp_dir().join(format!("ehdeploy-doc-batch-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # std::fs::write(dir.join("index.json"), r#"{"schemaVersion":2,"manifests":[]}"#).unwrap();
/// let layout = Layout::open(&dir)?;
/// let jobs = vec![Job { image: "registry.example/team/api:1.0".parse().unwrap(), environment: None }];
/// let verdicts = verify_all(&layout, &jobs, &TrustPolicy::default(), 4, &|_, _| {});
/// assert!(!verdicts[0].decision.allowed); // not in the layout: never a pass
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ehdeploy::signing::SignatureError>(())
/// ```
pub fn verify_all(
    store: &dyn ImageStore,
    jobs: &[Job],
    policy: &TrustPolicy,
    concurrency: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<ImageVerdict> {
    let total = jobs.len();
    let done = AtomicUsize::new(0);
    crate::parallel::map(jobs, concurrency, |job| {
        let verdict = verify_image(store, &job.image, policy, job.environment.as_deref());
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        verdict
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::signing::Layout;

    /// The verdicts come in the jobs' order whatever the workers' order, one per job, and
    /// progress counts every job once.
    #[test]
    fn verdicts_are_in_the_jobs_order_and_progress_counts_each_once() {
        let dir = std::env::temp_dir().join(format!("ehdeploy-batch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("index.json"),
            r#"{"schemaVersion":2,"manifests":[]}"#,
        )
        .unwrap();
        let layout = Layout::open(&dir).unwrap();
        let jobs: Vec<Job> = (0..203)
            .map(|i| Job {
                image: format!("registry.example/team/app-{i}:1.0")
                    .parse()
                    .unwrap(),
                environment: None,
            })
            .collect();
        for concurrency in [1, 3, 8, 500] {
            let calls = AtomicUsize::new(0);
            let most = AtomicUsize::new(0);
            let progress = |done: usize, total: usize| {
                assert_eq!(total, jobs.len());
                calls.fetch_add(1, Ordering::Relaxed);
                most.fetch_max(done, Ordering::Relaxed);
            };
            let verdicts = verify_all(
                &layout,
                &jobs,
                &TrustPolicy::default(),
                concurrency,
                &progress,
            );
            let names: Vec<String> = verdicts.iter().map(|v| v.name.clone()).collect();
            let expected: Vec<String> = (0..203)
                .map(|i| format!("registry.example/team/app-{i}"))
                .collect();
            assert_eq!(names, expected, "concurrency {concurrency}");
            assert_eq!(calls.into_inner(), jobs.len());
            assert_eq!(most.into_inner(), jobs.len());
        }
        assert!(verify_all(&layout, &[], &TrustPolicy::default(), 4, &|_, _| {}).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
