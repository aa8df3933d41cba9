//! Roll-out health on recorded `kubectl get deploy,rs,pods -o json` lists, one per situation
//! (written by hand from the Kubernetes API's shapes, in `tests/rollout/`): every state, the
//! next step, the reason and the failing containers, exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehdeploy::rollout::{health, AppRollout, NextAction, Objects, RolloutState, Wanted};

fn objects(fixture: &str) -> Objects {
    let path = format!(
        "{}/tests/rollout/{fixture}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Objects::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn patient_api(fixture: &str) -> AppRollout {
    let wanted = [Wanted {
        app: "patient-api".into(),
        namespace: Some("medilink".into()),
    }];
    let mut r = health(&objects(fixture), Some(&wanted));
    assert_eq!(r.apps.len(), 1);
    r.apps.remove(0)
}

/// (pod, reason, restarts, probe, last state) of a problem.
type Row = (String, String, i32, Option<String>, Option<String>);

/// Each problem as a [`Row`].
fn problems(r: &AppRollout) -> Vec<Row> {
    r.problems
        .iter()
        .map(|p| {
            (
                p.pod.clone(),
                p.reason.clone(),
                p.restarts,
                p.probe.clone(),
                p.last_state.clone(),
            )
        })
        .collect()
}

#[test]
fn all_healthy() {
    let r = patient_api("healthy");
    assert_eq!(
        (r.state, r.next),
        (RolloutState::Healthy, NextAction::Nothing)
    );
    assert_eq!(r.reason, "3 of 3 replicas of the new revision ready");
    assert_eq!(r.revision.as_deref(), Some("2"));
    assert_eq!(
        (r.replicas.updated, r.replicas.ready, r.replicas.old_ready),
        (3, 3, 0)
    );
    assert!(r.problems.is_empty());
}

#[test]
fn a_roll_out_in_progress_waits() {
    let r = patient_api("progressing");
    assert_eq!(
        (r.state, r.next),
        (RolloutState::Progressing, NextAction::Wait)
    );
    assert_eq!(r.reason, "1 of 3 replicas updated, 3 ready");
    assert_eq!(r.replicas.old_ready, 3);
    assert!(
        r.problems.is_empty(),
        "a container being created is not a problem"
    );
}

#[test]
fn crash_looping_new_pods_behind_healthy_old_ones() {
    let r = patient_api("crashloop");
    assert_eq!(
        (r.state, r.next),
        (
            RolloutState::Stalled,
            NextAction::FixConfigurationOrRollBack
        )
    );
    assert_eq!(
        r.reason,
        "the new pods never became ready (patient-api-7d9f-dddd1/patient-api: CrashLoopBackOff, \
         5 restarts); the old pods keep serving (3 ready); fix the configuration or roll back"
    );
    assert_eq!(
        problems(&r),
        [(
            "patient-api-7d9f-dddd1".into(),
            "CrashLoopBackOff".into(),
            5,
            None,
            Some("terminated: Error, exit code 1".into())
        )]
    );
    assert!(r.problems[0]
        .message
        .as_deref()
        .unwrap()
        .starts_with("back-off 2m40s"));
}

#[test]
fn an_image_that_cannot_be_pulled() {
    let r = patient_api("imagepull");
    assert_eq!(
        (r.state, r.next),
        (
            RolloutState::Stalled,
            NextAction::FixConfigurationOrRollBack
        )
    );
    assert!(
        r.reason
            .ends_with("the old pods keep serving (3 ready); fix the image reference or roll back"),
        "{}",
        r.reason
    );
    assert_eq!(
        problems(&r),
        [(
            "patient-api-7d9f-eeee1".into(),
            "ImagePullBackOff".into(),
            0,
            None,
            None
        )]
    );
}

#[test]
fn an_oom_kill() {
    let r = patient_api("oomkilled");
    assert_eq!(r.state, RolloutState::Stalled);
    assert_eq!(
        problems(&r),
        [(
            "patient-api-7d9f-ffff1".into(),
            "OOMKilled".into(),
            2,
            None,
            Some("terminated: OOMKilled, exit code 137".into())
        )]
    );
}

#[test]
fn a_readiness_probe_that_never_passes_names_the_probe() {
    let r = patient_api("readiness-deadline");
    assert_eq!(
        (r.state, r.next),
        (
            RolloutState::Stalled,
            NextAction::FixConfigurationOrRollBack
        )
    );
    assert_eq!(
        problems(&r),
        [(
            "patient-api-7d9f-gggg1".into(),
            "NotReady".into(),
            0,
            Some("readiness probe: HTTP GET /health/ready on port 8080".into()),
            None
        )]
    );
}

#[test]
fn ready_then_failing_after_taking_over_is_rolled_back() {
    let r = patient_api("degraded");
    assert_eq!(
        (r.state, r.next),
        (RolloutState::Degraded, NextAction::RollBack)
    );
    assert!(r
        .reason
        .starts_with("the new revision took over and 1 of 3 replicas are ready now"));
    let liveness = Some("liveness probe: HTTP GET /health/live on port 8080".to_string());
    let killed = Some("terminated: Error, exit code 137".to_string());
    assert_eq!(
        problems(&r),
        [
            (
                "patient-api-7d9f-hhhh2".into(),
                "NotReady".into(),
                4,
                liveness.clone(),
                killed.clone()
            ),
            (
                "patient-api-7d9f-hhhh3".into(),
                "NotReady".into(),
                4,
                liveness,
                killed
            ),
        ]
    );
}

#[test]
fn every_deployment_when_no_app_is_named_and_unknown_when_missing() {
    let all = health(&objects("healthy"), None);
    assert_eq!(all.apps.len(), 1);
    assert_eq!(all.apps[0].app, "patient-api", "by its release label");
    let missing = health(
        &objects("healthy"),
        Some(&[Wanted {
            app: "patient-portal".into(),
            namespace: Some("medilink".into()),
        }]),
    );
    assert_eq!(
        (missing.apps[0].state, missing.apps[0].next),
        (RolloutState::Unknown, NextAction::Investigate)
    );
    assert_eq!(
        missing.apps[0].reason,
        "no deployment of `patient-portal` in namespace `medilink` among the objects"
    );
    // The wrong namespace does not match.
    let elsewhere = health(
        &objects("healthy"),
        Some(&[Wanted {
            app: "patient-api".into(),
            namespace: Some("carebridge".into()),
        }]),
    );
    assert_eq!(elsewhere.apps[0].state, RolloutState::Unknown);
}

#[test]
fn malformed_objects_are_clear_errors() {
    let e = Objects::parse("{\"kind\": \"List\", \"items\": [").unwrap_err();
    assert_eq!((e.line, e.column), (1, 27), "the end of the text");
    let e = Objects::parse("{\"items\": []}").unwrap_err();
    assert_eq!(
        e.message,
        "not a Kubernetes object or List: it has no `kind`"
    );
    // A pod whose restart count is not a number.
    let e = Objects::parse(
        r#"{"kind":"List","items":[{"kind":"Service"},{"kind":"Pod","metadata":{"name":"p"},
            "status":{"containerStatuses":[{"name":"c","restartCount":"many"}]}}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.pointer, "/items/1");
    assert!(
        e.message
            .starts_with("item 1 is not a valid object of its kind: invalid type"),
        "{}",
        e.message
    );
    // Other kinds are counted and left.
    let o =
        Objects::parse(r#"{"kind":"List","items":[{"kind":"Service","metadata":{"name":"s"}}]}"#)
            .unwrap();
    assert_eq!((o.others, o.deployments.len()), (1, 0));
    // A typed list's items have no kind of their own.
    let o = Objects::parse(r#"{"kind":"PodList","items":[{"metadata":{"name":"p"}}]}"#).unwrap();
    assert_eq!(o.pods.len(), 1);
}

/// A platform repo in a fresh folder with one environment `test` running `patient-api` in
/// `medilink`, and the candidate `c1` deployed there.
struct Platform(std::path::PathBuf);

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn deployed_platform() -> Platform {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ehdeploy-rollout-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("platform.yaml"),
        "name: t\nenvironments:\n  - name: test\n    dsf: [test.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("test.yaml"),
        "namespaces:\n  medilink: {}\napps:\n  patient-api:\n    namespace: medilink\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.0.0\n",
    )
    .unwrap();
    let artifacts: ehdeploy::promotion::Artifacts = [(
        "patient-api".to_string(),
        ehdeploy::promotion::Artifact {
            chart: "ehealth/ehealth-service".into(),
            version: "2.0.0".into(),
            image: None,
            digest: None,
        },
    )]
    .into();
    for event in [
        ehdeploy::promotion::Event::CandidateCreated {
            candidate: "c1".into(),
            revision: "abc".into(),
            artifacts: artifacts.clone(),
        },
        ehdeploy::promotion::Event::Deployed {
            environment: "test".into(),
            artifacts,
        },
    ] {
        ehdeploy::api::release_event(&ehdeploy::api::ReleaseEventRequest {
            platform: dir.clone(),
            candidate: "c1".into(),
            actor: jenkins(),
            event,
            at: None,
        })
        .unwrap();
    }
    Platform(dir)
}

fn jenkins() -> ehdeploy::promotion::Actor {
    ehdeploy::promotion::Actor {
        name: "jenkins".into(),
        roles: vec![],
    }
}

/// The evidence recorded for `c1` after reading `fixture`: (ok, note), or none.
fn recorded(platform: &Platform, fixture: &str) -> Option<(bool, String)> {
    let answer = ehdeploy::api::rollout_health(&ehdeploy::api::RolloutHealthRequest {
        objects: format!(
            "{}/tests/rollout/{fixture}.json",
            env!("CARGO_MANIFEST_DIR")
        )
        .into(),
        platform: Some(platform.0.clone()),
        environment: Some("test".into()),
        apps: vec![],
        candidate: Some("c1".into()),
        actor: Some(jenkins()),
    })
    .unwrap();
    let recorded = answer.recorded?;
    assert!(matches!(
        recorded.decision,
        ehdeploy::promotion::Decision::Accepted
    ));
    match recorded.entry.event {
        ehdeploy::promotion::Event::Evidence {
            environment,
            kind: ehdeploy::promotion::Evidence::DeployedHealthy,
            ok,
            note,
        } if environment == "test" => Some((ok, note.unwrap_or_default())),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_finished_roll_out_is_recorded_as_deployed_healthy_evidence_and_a_running_one_is_not() {
    let platform = deployed_platform();
    assert_eq!(recorded(&platform, "progressing"), None);
    assert_eq!(
        recorded(&platform, "healthy"),
        Some((true, "healthy: patient-api".into()))
    );
    let (ok, note) = recorded(&platform, "crashloop").unwrap();
    assert!(!ok);
    assert!(note.starts_with("patient-api: "), "{note}");
    // Two decisions recorded, the log verifies.
    let verified = ehdeploy::api::verify_log(&ehdeploy::api::VerifyLogRequest {
        platform: platform.0.clone(),
        candidate: "c1".into(),
        head: None,
    })
    .unwrap();
    assert!(verified.ok);
    assert_eq!(verified.entries, 4);
    // Recording needs the platform and the environment.
    let e = ehdeploy::api::rollout_health(&ehdeploy::api::RolloutHealthRequest {
        objects: format!("{}/tests/rollout/healthy.json", env!("CARGO_MANIFEST_DIR")).into(),
        platform: None,
        environment: None,
        apps: vec![],
        candidate: Some("c1".into()),
        actor: Some(jenkins()),
    })
    .unwrap_err();
    assert_eq!(e.code, ehdeploy::api::ErrorCode::Usage);
}
