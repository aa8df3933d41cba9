use std::path::Path;

use super::*;

fn config(json: &str) -> TrustConfig {
    serde_json::from_str(json).unwrap()
}

fn envs() -> Vec<String> {
    vec!["test".into(), "prod".into()]
}

/// Keys are any existing file here: the policy checks they exist, not what they hold.
const AUTHORITIES: &str = r#""authorities": {
    "ci": {"key": "Cargo.toml"},
    "release": {"key": "Cargo.toml"},
    "qa": {"keyless": {"issuer": "https://issuer.example", "subjectRegExp": "^qa@"}}
}"#;

fn policy(policies: &str, rest: &str) -> TrustPolicy {
    let (policy, problems) = TrustPolicy::compile(
        &config(&format!(
            "{{{AUTHORITIES}, \"policies\": {policies}{rest}}}"
        )),
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &envs(),
    );
    assert!(problems.is_empty(), "{problems:?}");
    policy
}

fn check(authority: &str, verified: bool) -> AuthorityCheck {
    AuthorityCheck {
        authority: authority.into(),
        verified,
        reason: (!verified).then(|| "signature-invalid".into()),
        message: None,
    }
}

#[test]
fn the_threshold_counts_distinct_authorities_never_signatures() {
    let p = policy(
        r#"[{"images": ["registry.example/**"], "authorities": ["ci", "release", "qa"], "threshold": 2}]"#,
        "",
    );
    let req = p.requirement("registry.example/team/api", Some("test"));
    // The same key twice: one authority.
    let twice = decide(&req, &[check("ci", true), check("ci", true)]);
    assert_eq!(twice.reason, Some(TrustReason::ThresholdNotMet));
    assert_eq!(twice.passed, ["ci"]);
    assert_eq!(twice.message, "1 of 2 distinct authorities verified (ci)");
    let two = decide(
        &req,
        &[
            check("ci", true),
            check("qa", true),
            check("release", false),
        ],
    );
    assert!(two.allowed);
    assert_eq!(two.passed, ["ci", "qa"]);
    // An authority the policy does not list does not count.
    let stranger = decide(&req, &[check("ci", true), check("stranger", true)]);
    assert_eq!(stranger.reason, Some(TrustReason::ThresholdNotMet));
}

#[test]
fn nothing_verified_is_unsigned_with_each_authority_s_reason() {
    let p = policy(
        r#"[{"images": ["registry.example/*/*"], "authorities": ["ci"]}]"#,
        "",
    );
    let req = p.requirement("registry.example/team/api", None);
    let none = decide(&req, &[]);
    assert_eq!(
        (none.allowed, none.reason),
        (false, Some(TrustReason::Unsigned))
    );
    assert_eq!(
        none.message,
        "no authority's signature verified (no signature)"
    );
    let bad = decide(&req, &[check("ci", false)]);
    assert_eq!(
        bad.message,
        "no authority's signature verified (ci: signature-invalid)"
    );
}

#[test]
fn an_environment_requires_more_and_may_only_warn() {
    let p = policy(
        r#"[{"images": ["registry.example/**"], "authorities": ["ci"],
             "environments": {"prod": {"require": ["release"], "threshold": 2},
                              "test": {"mode": "warn"}}}]"#,
        "",
    );
    let prod = p.requirement("registry.example/a", Some("prod"));
    assert_eq!(*prod.authorities, ["ci", "release"]);
    assert_eq!((prod.threshold, prod.mode), (2, Mode::Enforce));
    let d = decide(&prod, &[check("ci", true)]);
    assert_eq!(d.reason, Some(TrustReason::RequiredMissing));
    assert_eq!(d.missing, ["release"]);
    assert!(decide(&prod, &[check("ci", true), check("release", true)]).allowed);
    let test = p.requirement("registry.example/a", Some("test"));
    let d = decide(&test, &[]);
    assert_eq!((d.allowed, d.mode), (false, Mode::Warn));
}

#[test]
fn the_first_matching_policy_decides_and_unnamed_images_are_denied_by_default() {
    let policies = r#"[{"images": ["registry.example/team/api"], "authorities": ["release"]},
                      {"images": ["registry.example/**"], "authorities": ["ci"]}]"#;
    let p = policy(policies, "");
    assert_eq!(
        p.requirement("registry.example/team/api", None).policy,
        Some(0)
    );
    assert_eq!(
        p.requirement("registry.example/team/web", None).policy,
        Some(1)
    );
    // `*` stays within a segment, `**` crosses them.
    let q = policy(
        r#"[{"images": ["registry.example/*"], "authorities": ["ci"]}]"#,
        "",
    );
    assert_eq!(
        q.requirement("registry.example/team/api", None).policy,
        None
    );
    let other = p.requirement("docker.io/library/nginx", None);
    let d = decide(&other, &[]);
    assert_eq!(d.reason, Some(TrustReason::NoPolicy));
    let open = policy(policies, r#", "unmatched": "allow""#);
    assert!(decide(&open.requirement("docker.io/library/nginx", None), &[]).allowed);
}

#[test]
fn every_problem_of_a_policy_is_reported_where_it_is() {
    let (_, problems) = TrustPolicy::compile(
        &config(
            r#"{"authorities": {
                   "nothing": {},
                   "both": {"key": "Cargo.toml", "keyless": {"issuer": "i", "subject": "s"}},
                   "gone": {"key": "no-such.pub"},
                   "loose": {"keyless": {"issuer": "i", "subjectRegExp": "(", "trustedRoot": "no-root.json"}},
                   "half": {"keyless": {"subject": "s"}}
               },
               "policies": [
                   {"images": [], "authorities": ["nothin"], "threshold": 0},
                   {"images": [" "], "authorities": ["gone", "gone"], "threshold": 2,
                    "environments": {"staging": {"require": ["x"], "threshold": 5}}}
               ]}"#,
        ),
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &envs(),
    );
    let pointers: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/signatures/authorities/nothing",
            "/signatures/authorities/both",
            "/signatures/authorities/gone/key",
            "/signatures/authorities/loose/keyless/subjectRegExp",
            "/signatures/authorities/loose/keyless/trustedRoot",
            "/signatures/authorities/half/keyless",
            "/signatures/policies/0/images",
            "/signatures/policies/0/authorities/0",
            "/signatures/policies/0/threshold",
            "/signatures/policies/1/images/0",
            "/signatures/policies/1/threshold",
            "/signatures/policies/1/environments/staging",
            "/signatures/policies/1/environments/staging/require/0",
            "/signatures/policies/1/environments/staging/threshold",
        ]
    );
    assert_eq!(
        problems[7].1,
        "no authority `nothin` (did you mean `nothing`?)"
    );
    assert_eq!(
        problems[10].1,
        "threshold 2 is more than the 1 distinct authorities listed: no image can meet it"
    );
}

/// The authorities that count are the policy's, each once, then those the environment
/// requires that it does not list; decided the same whichever way they were gathered.
#[test]
fn a_requirement_lists_each_authority_once_with_the_environments_own() {
    let p = policy(
        r#"[{"images": ["registry.example/**"], "authorities": ["ci", "ci", "release"],
             "environments": {"prod": {"require": ["qa"]}, "test": {"require": ["ci"]}}}]"#,
        "",
    );
    let names = |env: Option<&str>| {
        p.requirement("registry.example/a", env)
            .authorities
            .to_vec()
    };
    assert_eq!(names(None), ["ci", "release"]);
    assert_eq!(names(Some("test")), ["ci", "release"]);
    assert_eq!(names(Some("prod")), ["ci", "release", "qa"]);
    let q = policy(
        r#"[{"images": ["registry.example/**"], "authorities": ["release", "ci"],
             "environments": {"test": {"require": ["ci"]}}}]"#,
        "",
    );
    let test = q.requirement("registry.example/a", Some("test"));
    assert_eq!(*test.authorities, ["release", "ci"]);
    assert_eq!(*test.required, ["ci"]);
    let d = decide(&test, &[check("release", true), check("ci", true)]);
    assert_eq!(
        (d.allowed, d.message.as_str()),
        (true, "signed by ci, release")
    );
    assert_eq!(d.passed, ["ci", "release"]);
}
