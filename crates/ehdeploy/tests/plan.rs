//! Plans over the example platform's prod environment, changed in realistic ways, and over a
//! real Helmsman file: each test asserts the exact plan (decisions, changes, risks, order).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ehdeploy::api::{plan, PlanRequest};
use ehdeploy::plan::Plan;

#[path = "support/example.rs"]
mod example;
use example::{copy_dir, example};

/// Two copies of the example platform, `old` untouched and `new` edited.
struct Repos {
    root: PathBuf,
}

impl Repos {
    fn new(name: &str) -> Repos {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("plan-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        copy_dir(&example(), &root.join("old"));
        copy_dir(&example(), &root.join("new"));
        Repos { root }
    }

    /// Replace `from` (exactly once) by `to` in a file of the new copy.
    fn edit(self, file: &str, from: &str, to: &str) -> Repos {
        let path = self.root.join("new").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(from).count(), 1, "`{from}` in {file}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self
    }

    fn plan(&self, env: &str) -> Plan {
        let planned = plan(&PlanRequest {
            old: vec![self.root.join(format!("old/envs/{env}.yaml"))],
            new: vec![self.root.join(format!("new/envs/{env}.yaml"))],
            platform: Some(self.root.join("new/platform.yaml")),
            environment: Some(env.into()),
            process_env: false,
            ..Default::default()
        })
        .unwrap();
        let errors: Vec<_> = planned
            .report
            .findings
            .iter()
            .filter(|f| f.severity == ehdeploy::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        planned.plan
    }
}

impl Repos {
    /// Plan promoting `from` into `to` in the new copy; the plan and the findings as
    /// `rule file:line:column app`.
    fn promotion(&self, from: &str, to: &str, apps: &[&str]) -> (Plan, Vec<String>) {
        let planned = ehdeploy::api::promotion_plan(&ehdeploy::api::PromotionRequest {
            platform: self.root.join("new"),
            from: from.into(),
            to: to.into(),
            apps: apps.iter().map(|a| a.to_string()).collect(),
            process_env: false,
            ..Default::default()
        })
        .unwrap();
        let prefix = format!(
            "{}/",
            ehdeploy::spec::normalize(&self.root.join("new")).display()
        );
        let notes = planned
            .report
            .findings
            .iter()
            .filter(|f| f.rule.as_str() != "schema/unknown-key")
            .map(|f| {
                let l = f.location.as_ref().unwrap();
                format!(
                    "{} {}:{}:{} {}",
                    f.rule,
                    l.file.trim_start_matches(&prefix),
                    l.line,
                    l.column,
                    f.app.as_deref().unwrap_or("-")
                )
            })
            .collect();
        (planned.plan, notes)
    }
}

impl Drop for Repos {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// One line per action that does something, one per change and risk under it.
fn lines(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for a in &plan.actions {
        if a.decision == ehdeploy::plan::Decision::Noop {
            continue;
        }
        out.push(format!("{} {} {}", a.priority, a.decision.as_str(), a.app));
        for c in &a.changes {
            let show = |v: &Option<serde_json::Value>| {
                v.as_ref().map_or("-".to_string(), |v| v.to_string())
            };
            let field = c
                .field
                .as_deref()
                .map(|f| format!(" [{f}]"))
                .unwrap_or_default();
            out.push(format!(
                "  {}{field}: {} -> {}",
                c.path,
                show(&c.from),
                show(&c.to)
            ));
        }
        for r in &a.risks {
            out.push(format!("  ! {}", r.id));
        }
    }
    out
}

#[test]
fn the_same_spec_plans_to_nothing() {
    let plan = Repos::new("same").plan("prod");
    assert!(lines(&plan).is_empty(), "{:?}", lines(&plan));
    assert_eq!(plan.summary.noop, 8);
    assert!(!plan.summary.has_changes());
}

#[test]
fn a_chart_bump_and_a_new_image() {
    let plan = Repos::new("bump")
        .edit("envs/prod.yaml", "  patient-portal:\n    namespace: medilink\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.4.1", "  patient-portal:\n    namespace: medilink\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 3.0.0")
        .edit("values/patient-api/common.yaml", "imageTag: 3.14.2", "imageTag: 3.13.0")
        .plan("prod");
    assert_eq!(
        lines(&plan),
        [
            "-5 change patient-api",
            "  values/imageTag [image.tag]: \"3.14.2\" -> \"3.13.0\"",
            "  ! risk/image-downgrade",
            "0 change patient-portal",
            "  version: \"2.4.1\" -> \"3.0.0\"",
            "  ! risk/chart-major",
        ]
    );
}

#[test]
fn replicas_memory_and_dns() {
    let plan = Repos::new("sizing")
        .edit(
            "values/notifications/prod.yaml",
            "replicaCount: 2",
            "replicaCount: 0",
        )
        .edit(
            "values/notifications/prod.yaml",
            "  limits:\n    memory: 1Gi",
            "  limits:\n    memory: 256Mi",
        )
        .edit(
            "values/patient-api/prod.yaml",
            "hostname: patient-api.ehealth.example",
            "hostname: api.ehealth.example",
        )
        .plan("prod");
    assert_eq!(
        lines(&plan),
        [
            "-5 change patient-api",
            "  values/ingress/hostname [hosts]: \"patient-api.ehealth.example\" -> \"api.ehealth.example\"",
            "  ! risk/dns-removed",
            "-5 change notifications",
            "  values/replicaCount [replicas]: 2 -> 0",
            "  values/resources/limits/memory [memory.limit]: \"1Gi\" -> \"256Mi\"",
            "  ! risk/replicas-zero",
            "  ! risk/memory-cut",
        ]
    );
}

#[test]
fn disabling_and_dropping_apps_removes_them_untracked_last() {
    let plan = Repos::new("remove")
        .edit(
            "envs/prod.yaml",
            "  lab-archive:\n    namespace: nordlab\n    enabled: true",
            "  lab-archive:\n    namespace: nordlab\n    enabled: false",
        )
        .edit("envs/prod.yaml", "  referrals:\n", "  referrals-gone:\n")
        .plan("prod");
    let l = lines(&plan);
    // referrals is untracked (gone) and comes last; referrals-gone is new.
    assert_eq!(
        l.first().map(String::as_str),
        Some("0 create referrals-gone")
    );
    assert!(l.contains(&"0 remove lab-archive".to_string()), "{l:?}");
    assert!(
        l.contains(&"  ! risk/production-removal".to_string()),
        "{l:?}"
    );
    let last_action = plan.actions.last().unwrap();
    assert_eq!(
        (last_action.app.as_str(), last_action.decision.as_str()),
        ("referrals", "remove")
    );
    assert!(
        last_action.reason.contains("untracked"),
        "{}",
        last_action.reason
    );
    assert_eq!((plan.summary.create, plan.summary.remove), (1, 2));
}

#[test]
fn a_namespace_move_and_a_protected_namespace() {
    let plan = Repos::new("move")
        .edit(
            "envs/prod.yaml",
            "  appointments:\n    namespace: carebridge",
            "  appointments:\n    namespace: medilink",
        )
        .edit(
            "envs/prod.yaml",
            "  nordlab:\n    labels:",
            "  nordlab:\n    protected: true\n    labels:",
        )
        .edit(
            "values/lab-results/prod.yaml",
            "replicaCount: 2",
            "replicaCount: 3",
        )
        .plan("prod");
    assert_eq!(
        lines(&plan),
        [
            "0 move-namespace appointments",
            "  namespace: \"carebridge\" -> \"medilink\"",
            "  ! risk/namespace-move",
            "0 protected lab-results",
            "  values/replicaCount [replicas]: 2 -> 3",
            "  ! risk/protected",
        ]
    );
}

#[test]
fn a_chart_rename_and_edits_of_a_shared_values_file() {
    let plan = Repos::new("rename")
        .edit(
            "envs/prod.yaml",
            "  appointments:\n    namespace: carebridge\n    enabled: true\n    chart: ehealth/ehealth-service",
            "  appointments:\n    namespace: carebridge\n    enabled: true\n    chart: ehealth/ehealth-worker",
        )
        .edit("values/lab-results/common.yaml", "containerPort: 8080", "containerPort: 8443")
        .edit("values/lab-results/common.yaml", "  httpPath: /health/readiness", "  httpPath: /health/ready")
        .edit("values/appointments/common.yaml", "  LOG_LEVEL: INFO", "  LOG_LEVEL: DEBUG")
        .plan("prod");
    assert_eq!(
        lines(&plan),
        [
            "0 replace-chart appointments",
            "  chart: \"ehealth/ehealth-service\" -> \"ehealth/ehealth-worker\"",
            "  values/env/LOG_LEVEL [env.LOG_LEVEL]: \"INFO\" -> \"DEBUG\"",
            "0 change lab-results",
            "  values/containerPort [ports]: 8080 -> 8443",
            "  values/readinessProbe/httpPath [probes.readiness]: \"/health/readiness\" -> \"/health/ready\"",
        ]
    );
}

#[test]
fn a_release_rename_is_an_uninstall_and_an_install() {
    let plan = Repos::new("release-rename")
        .edit(
            "envs/prod.yaml",
            "  lab-results:\n    namespace: nordlab",
            "  lab-results:\n    name: lab-results-v2\n    namespace: nordlab",
        )
        .plan("prod");
    assert_eq!(
        lines(&plan),
        [
            "0 replace-chart lab-results",
            "  name: - -> \"lab-results-v2\""
        ]
    );
    let action = plan
        .actions
        .iter()
        .find(|a| a.app == "lab-results")
        .unwrap();
    assert_eq!(action.release, "lab-results-v2");
    assert!(action.reason.contains("renamed"), "{}", action.reason);
}

#[test]
fn secrets_never_show() {
    let plan = Repos::new("secret")
        .edit(
            "envs/prod.yaml",
            "    secretsFile: ../secrets/carebridge/notifications.prod.yaml",
            "    secretsFile: ../secrets/carebridge/notifications.preprod.yaml\n    setString:\n      rabbitmq.password: hunter2",
        )
        .plan("prod");
    assert_eq!(
        lines(&plan),
        [
            "-5 change notifications",
            "  secretsFile: \"../secrets/carebridge/notifications.prod.yaml\" -> \"../secrets/carebridge/notifications.preprod.yaml\"",
            "  values/rabbitmq/password: - -> \"***\"",
        ]
    );
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains("hunter2"));
    assert!(json.contains("\"secret\":true"));
}

#[test]
fn a_real_helmsman_file_changed() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/helmsman");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("plan-real-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let old = fixtures.join("mkubaczyk__helmsman/examples/composition/main.yaml");
    // The composition: main + argo + artifactory + kyverno, with a chart bump in a copy of argo.
    let text = std::fs::read_to_string(
        fixtures.join("mkubaczyk__helmsman/examples/composition/argo.yaml"),
    )
    .unwrap();
    let version = text
        .lines()
        .find(|l| l.trim_start().starts_with("version:"))
        .unwrap()
        .trim()
        .to_string();
    let new_argo = dir.join("argo.yaml");
    std::fs::write(&new_argo, text.replacen(&version, "version: \"99.0.0\"", 1)).unwrap();
    let planned = plan(&PlanRequest {
        old: vec![
            old.clone(),
            fixtures.join("mkubaczyk__helmsman/examples/composition/argo.yaml"),
        ],
        new: vec![old, new_argo],
        process_env: false,
        ..Default::default()
    })
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // argo is `protected: true` in that file: Helmsman would not apply the bump.
    assert_eq!(
        lines(&planned.plan),
        [
            "-3 protected argo",
            "  version: \"0.8.5\" -> \"99.0.0\"",
            "  ! risk/protected",
            "  ! risk/chart-major",
        ]
    );
}

#[test]
fn promoting_inttest_to_exttest_carries_the_chart_and_shows_the_downgrade() {
    let (plan, notes) = Repos::new("promote-int").promotion("inttest", "exttest", &[]);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        lines(&plan),
        [
            "0 change referrals",
            "  version: \"2.4.1\" -> \"2.4.0\"",
            "  ! risk/chart-downgrade",
            "0 change lab-results",
            "  values/imageTag [image.tag]: \"2.11.4\" -> \"2.12.0-rc.1\"",
        ]
    );
}

#[test]
fn promoting_into_preprod_carries_the_image_and_asks_for_its_digest() {
    let (plan, notes) = Repos::new("promote-pre").promotion("exttest", "preprod", &[]);
    assert_eq!(
        lines(&plan),
        [
            "0 change patient-portal",
            "  values/imageTag [image.tag]: \"2.8.3\" -> \"2.9.0\"",
            "  values/imageDigest [image.digest]: \"sha256:12450b427e57f455becb699acdb0b4b8a8f31891f2bb795090c8aad8990432cb\" -> -",
        ]
    );
    // The tag comes from exttest's own values file; environment settings stay preprod's.
    let tag = &plan
        .actions
        .iter()
        .find(|a| a.app == "patient-portal")
        .unwrap()
        .changes[0];
    assert_eq!(
        tag.location.as_ref().unwrap().file.rsplit('/').next(),
        Some("exttest.yaml")
    );
    assert_eq!(
        notes,
        ["promotion/manual envs/preprod.yaml:49:3 patient-portal"]
    );
}

#[test]
fn a_promoted_app_the_target_lacks_is_left_to_a_person() {
    let repos =
        Repos::new("promote-new").edit("envs/exttest.yaml", "  referrals:\n", "  referrals-v2:\n");
    let (plan, notes) = repos.promotion("inttest", "exttest", &["referrals", "lab-results"]);
    assert_eq!(notes, ["promotion/manual envs/inttest.yaml:86:3 referrals"]);
    // Only the apps asked for are promoted: lab-results carries its image. The new app is
    // proposed with what the promotion carries (its DSF entry and image), none of inttest's own
    // values: its DNS, replicas, memory and secrets are left for a person.
    assert_eq!(
        lines(&plan),
        [
            "0 change lab-results",
            "  values/imageTag [image.tag]: \"2.11.4\" -> \"2.12.0-rc.1\"",
            "0 create referrals",
            "  namespace: - -> \"carebridge\"",
            "  enabled: - -> true",
            "  chart: - -> \"ehealth/ehealth-service\"",
            "  version: - -> \"2.4.0\"",
            "  wait: - -> true",
            "  timeout: - -> 300",
            "  values/image [image.repository]: - -> \"registry.ehealth.example/carebridge/referrals\"",
            "  values/imageTag [image.tag]: - -> \"1.9.3\"",
        ]
    );
    assert_eq!(plan.summary.noop, 7);
}

#[test]
fn promoting_the_same_artifacts_again_changes_nothing() {
    let (plan, notes) = Repos::new("promote-same").promotion("preprod", "prod", &[]);
    assert!(notes.is_empty(), "{notes:?}");
    assert!(!plan.summary.has_changes(), "{:?}", lines(&plan));
}

mod properties {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// A random app: enabled or not, namespace, chart version, priority, `set` values.
    #[derive(Debug, Clone)]
    struct AppSpec {
        enabled: bool,
        namespace: &'static str,
        version: &'static str,
        priority: i64,
        set: BTreeMap<&'static str, i64>,
    }

    fn app() -> impl Strategy<Value = AppSpec> {
        (
            any::<bool>(),
            prop::sample::select(vec!["n1", "n2"]),
            prop::sample::select(vec!["1.0.0", "1.1.0", "2.0.0"]),
            -3i64..=0,
            prop::collection::btree_map(
                prop::sample::select(vec!["x", "y.z", "y.w", "q"]),
                0i64..4,
                0..4,
            ),
        )
            .prop_map(|(enabled, namespace, version, priority, set)| AppSpec {
                enabled,
                namespace,
                version,
                priority,
                set,
            })
    }

    fn spec() -> impl Strategy<Value = BTreeMap<&'static str, AppSpec>> {
        prop::collection::btree_map(prop::sample::select(vec!["a", "b", "c", "d"]), app(), 0..4)
    }

    fn dsf(apps: &BTreeMap<&'static str, AppSpec>) -> String {
        let mut s = String::from(
            "namespaces:\n  n1: {}\n  n2: {}\nhelmRepos:\n  r: https://charts.example\napps:\n",
        );
        if apps.is_empty() {
            s.push_str("  {}\n");
        }
        for (name, a) in apps {
            s.push_str(&format!(
                "  {name}:\n    namespace: {}\n    enabled: {}\n    chart: r/c\n    version: {}\n    priority: {}\n",
                a.namespace, a.enabled, a.version, a.priority
            ));
            if !a.set.is_empty() {
                s.push_str("    set:\n");
                for (k, v) in &a.set {
                    s.push_str(&format!("      {k}: {v}\n"));
                }
            }
        }
        s
    }

    /// Effective state: each enabled app's values, flattened to pointer → value.
    type State = BTreeMap<String, BTreeMap<String, serde_json::Value>>;

    fn expected(apps: &BTreeMap<&'static str, AppSpec>) -> State {
        apps.iter()
            .filter(|(_, a)| a.enabled)
            .map(|(name, a)| {
                let values = a
                    .set
                    .iter()
                    .map(|(k, v)| (format!("/{}", k.replace('.', "/")), serde_json::json!(v)))
                    .collect();
                (name.to_string(), values)
            })
            .collect()
    }

    /// Apply a plan's value changes to a state.
    fn apply(mut state: State, plan: &Plan) -> State {
        use ehdeploy::plan::Decision;
        for a in &plan.actions {
            match a.decision {
                Decision::Remove => {
                    state.remove(&a.app);
                }
                Decision::Noop => {}
                _ => {
                    let values = state.entry(a.app.clone()).or_default();
                    for c in a.changes.iter().filter(|c| c.path.starts_with("values/")) {
                        let pointer = c.path.trim_start_matches("values").to_string();
                        match &c.to {
                            Some(v) => {
                                values.insert(pointer, v.clone());
                            }
                            None => {
                                values.remove(&pointer);
                            }
                        }
                    }
                }
            }
        }
        state
    }

    fn plan_of(old: &str, new: &str, case: &str) -> Plan {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("plan-prop-{}-{case}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("old.yaml"), old).unwrap();
        std::fs::write(dir.join("new.yaml"), new).unwrap();
        let planned = plan(&PlanRequest {
            old: vec![dir.join("old.yaml")],
            new: vec![dir.join("new.yaml")],
            process_env: false,
            ..Default::default()
        })
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            !planned.report.fails_at(ehdeploy::Severity::Error),
            "{:?}",
            planned.report
        );
        planned.plan
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn a_plan_turns_the_old_state_into_the_new_one(a in spec(), b in spec(), case in any::<u64>()) {
            let plan = plan_of(&dsf(&a), &dsf(&b), &case.to_string());
            prop_assert_eq!(apply(expected(&a), &plan), expected(&b));
            // Execution order: tracked actions by priority, then untracked removals.
            let keys: Vec<(bool, i64)> = plan
                .actions
                .iter()
                .map(|x| (x.reason.contains("untracked"), x.priority))
                .collect();
            let mut sorted = keys.clone();
            sorted.sort();
            prop_assert_eq!(keys, sorted);
        }

        #[test]
        fn the_plan_of_a_spec_to_itself_changes_nothing(a in spec(), case in any::<u64>()) {
            let text = dsf(&a);
            let plan = plan_of(&text, &text, &format!("same-{case}"));
            prop_assert!(!plan.summary.has_changes());
            prop_assert!(plan.actions.iter().all(|x| x.changes.is_empty() && x.risks.is_empty()));
        }
    }
}

mod promote_spec {
    use ehdeploy::api::{
        promote_spec, validate, PromoteSpecRequest, PromotionRequest, ValidateRequest,
    };

    use super::*;

    fn write(repos: &Repos, from: &str, to: &str) -> ehdeploy::api::PromotedSpec {
        promote_spec(&PromoteSpecRequest {
            promotion: PromotionRequest {
                platform: repos.root.join("new"),
                from: from.into(),
                to: to.into(),
                process_env: false,
                ..Default::default()
            },
            write: true,
        })
        .unwrap()
    }

    /// The lines that differ between the old and the new copy of a file: `-old` and `+new`.
    fn changed_lines(repos: &Repos, file: &str) -> Vec<String> {
        let read = |side: &str| std::fs::read_to_string(repos.root.join(side).join(file)).unwrap();
        let (old, new) = (read("old"), read("new"));
        similar::TextDiff::from_lines(&old, &new)
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .map(|c| {
                format!(
                    "{}{}",
                    if c.tag() == similar::ChangeTag::Delete {
                        "-"
                    } else {
                        "+"
                    },
                    c.value().trim_end()
                )
            })
            .collect()
    }

    fn errors_of(repos: &Repos, env: &str) -> Vec<String> {
        let checked = validate(&ValidateRequest {
            files: vec![repos.root.join(format!("new/envs/{env}.yaml"))],
            platform: Some(repos.root.join("new/platform.yaml")),
            process_env: false,
            ..Default::default()
        })
        .unwrap();
        checked
            .report
            .findings
            .iter()
            .filter(|f| f.severity == ehdeploy::Severity::Error)
            .map(|f| format!("{} {}", f.rule, f.app.as_deref().unwrap_or("-")))
            .collect()
    }

    #[test]
    fn writes_only_the_promoted_lines_validates_and_replans_to_nothing() {
        let repos = Repos::new("write-int");
        let done = write(&repos, "inttest", "exttest");
        let paths: Vec<&str> = done
            .files
            .iter()
            .map(|f| f.path.rsplit("/new/").next().unwrap())
            .collect();
        assert_eq!(
            paths,
            ["envs/exttest.yaml", "values/lab-results/exttest.yaml"]
        );
        assert_eq!(
            changed_lines(&repos, "envs/exttest.yaml"),
            ["-    version: 2.4.1", "+    version: 2.4.0"]
        );
        // lab-results' tag is in its common file, shared by every environment: exttest's own
        // file gets the override.
        assert_eq!(
            changed_lines(&repos, "values/lab-results/exttest.yaml"),
            ["+imageTag: 2.12.0-rc.1"]
        );
        assert!(errors_of(&repos, "exttest").is_empty());
        let (plan, notes) = repos.promotion("inttest", "exttest", &[]);
        assert!(!plan.summary.has_changes(), "{:?}", lines(&plan));
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn an_image_from_a_shared_file_gets_an_override_and_a_stale_digest_goes() {
        let repos = Repos::new("write-pre");
        let done = write(&repos, "exttest", "preprod");
        let paths: Vec<&str> = done
            .files
            .iter()
            .map(|f| f.path.rsplit("/new/").next().unwrap())
            .collect();
        // common.yaml is shared by every environment: never edited; preprod's own file is.
        assert_eq!(paths, ["values/patient-portal/preprod.yaml"]);
        assert_eq!(
            changed_lines(&repos, "values/patient-portal/preprod.yaml"),
            [
                "-imageDigest: sha256:12450b427e57f455becb699acdb0b4b8a8f31891f2bb795090c8aad8990432cb",
                "+imageTag: 2.9.0",
            ]
        );
        assert!(changed_lines(&repos, "values/patient-portal/common.yaml").is_empty());
        let notes: Vec<&str> = done
            .report
            .findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect();
        assert_eq!(notes, ["promotion/manual"]);
        // What is left for a person is exactly what the note says: pin the new digest.
        assert_eq!(
            errors_of(&repos, "preprod"),
            ["image/digest-required patient-portal"]
        );
        let (plan, _) = repos.promotion("exttest", "preprod", &[]);
        assert!(!plan.summary.has_changes(), "{:?}", lines(&plan));
    }

    #[test]
    fn without_write_nothing_is_written() {
        let repos = Repos::new("dry");
        let done = promote_spec(&PromoteSpecRequest {
            promotion: PromotionRequest {
                platform: repos.root.join("new"),
                from: "inttest".into(),
                to: "exttest".into(),
                process_env: false,
                ..Default::default()
            },
            write: false,
        })
        .unwrap();
        assert_eq!(done.files.len(), 2);
        assert!(done.files[0]
            .unified_diff()
            .contains("-    version: 2.4.1\n+    version: 2.4.0\n"));
        assert!(changed_lines(&repos, "envs/exttest.yaml").is_empty());
    }
}

#[test]
fn promote_spec_leaves_a_new_app_to_a_person() {
    let repos =
        Repos::new("write-new").edit("envs/exttest.yaml", "  referrals:\n", "  referrals-v2:\n");
    let done = ehdeploy::api::promote_spec(&ehdeploy::api::PromoteSpecRequest {
        promotion: ehdeploy::api::PromotionRequest {
            platform: repos.root.join("new"),
            from: "inttest".into(),
            to: "exttest".into(),
            apps: vec!["referrals".into()],
            process_env: false,
            ..Default::default()
        },
        write: true,
    })
    .unwrap();
    assert!(done.files.is_empty());
    // (inttest's deliberate unknown key aside)
    let rules: Vec<&str> = done
        .report
        .findings
        .iter()
        .map(|f| f.rule.as_str())
        .filter(|r| *r != "schema/unknown-key")
        .collect();
    assert_eq!(rules, ["promotion/manual"]);
}
