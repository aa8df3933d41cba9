//! `verify` (feature `signatures`): the images of a spec, or images named, against the
//! platform's trust policy, offline from an OCI layout or from their registry (feature
//! `registry`); one verdict per image, the findings in the report formats of `validate`, the
//! verified digests written into the spec (`pin`), and the result recorded as a release
//! candidate's `signatures-verified` evidence.

use std::collections::BTreeMap;
use std::path::PathBuf;

use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};

use super::common::{environment_files, load, open_platform};
use super::error::{ApiError, ErrorCode};
use super::plan::{file_changes, load_environments, FileChange, IndexMapOf, Usage};
use super::validate::{infer_environment, limits, lookup, tag, yes, AppsValues};
use super::{release_event, ReleaseEventRequest, ReleaseEventResponse};
use crate::platform::Platform;
use crate::promotion::{Actor, Event, Evidence};
use crate::report::{Finding, Report, Severity};
use crate::rules;
use crate::signing::{
    verify_all, BundleFiles, ImageStore, ImageVerdict, Job, Layout, DEFAULT_CONCURRENCY,
};
use crate::source::{Node, NodeKind, SourceMap, Span};
use crate::spec::{effective_values, LoadOptions, LoadedSpec, ValuesCache};
use crate::trust::{Outcome, TrustPolicy};
use crate::workload::image::ImageRef;
use crate::workload::Workload;

/// Ask to verify images' signatures against the platform's trust policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyRequest {
    /// The platform repo's folder, or its `platform.yaml` (its `signatures:` is the policy).
    pub platform: PathBuf,
    /// The environment whose requirements apply (default: every environment of the platform;
    /// with `files`, the one whose `dsf` lists them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// DSFs (merged in order) whose images to verify, instead of the environments' own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PathBuf>,
    /// Images to verify (`registry/repository:tag[@digest]`), besides any spec's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// An OCI image layout to verify from, offline; without it, each image's registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<PathBuf>,
    /// Folders of Sigstore bundle files (`cosign sign --bundle`), besides the platform's
    /// `signatures.bundles`: each bundle counts for the images it signs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bundles: Vec<PathBuf>,
    /// How registries are reached (feature `registry`).
    #[cfg(feature = "registry")]
    #[serde(default)]
    pub registry: crate::signing::RegistryOptions,
    /// At most this many images verified at once (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Pin: write the verified digest of each allowed image the spec names by tag alone into
    /// the spec (where the app writes its digest, else its own values file).
    #[serde(default)]
    pub pin: bool,
    /// With `pin`, write the files (otherwise only say what would change).
    #[serde(default)]
    pub write: bool,
    /// The release candidate whose audit log records the result as `signatures-verified`
    /// evidence for `environment` (positive when every image is allowed there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    /// Who records it (with `candidate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// Variables for `$VAR` substitution, before the process environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// Whether the process environment supplies variables too (default true).
    #[serde(default = "yes")]
    pub process_env: bool,
    /// Largest file accepted, in bytes (default 16 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
}

/// One image verified: where the spec names it, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifiedImage {
    /// The environment whose requirement applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The app that runs it (none: an image named in the request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The image as the spec or the request names it, normalised.
    pub reference: String,
    /// Whether the spec names it by digest.
    pub pinned: bool,
    /// The verdict.
    pub verdict: ImageVerdict,
}

/// What `verify` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyResponse {
    /// Every image verified, by environment and app, in the spec's order.
    pub images: Vec<VerifiedImage>,
    /// `signature/refused`, `signature/unverifiable` and `image/digest-required` findings, and
    /// what loading the specs found.
    pub report: Report,
    /// With `pin`: the files the digests are written into.
    pub files: Vec<FileChange>,
    /// Whether those files were written.
    pub written: bool,
    /// The evidence recorded in the candidate's audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<ReleaseEventResponse>,
}

/// A [`VerifyResponse`] and the sources its findings point into (for rendering them).
#[derive(Debug, Clone)]
pub struct Verified {
    /// The answer.
    pub response: VerifyResponse,
    /// Every file read.
    pub sources: SourceMap,
}

/// Verify every image of the request's specs and images against the platform's trust policy.
/// A store that fails (a registry down, answering garbage) refuses the image as
/// `signature/unverifiable`: never a pass.
pub fn verify(request: &VerifyRequest) -> Result<Verified, ApiError> {
    verify_with_progress(request, &|_, _| {})
}

/// [`verify`], calling `progress(done, total)` as each image is verified.
pub fn verify_with_progress(
    request: &VerifyRequest,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Verified, ApiError> {
    if request.write && !request.pin {
        return Err(ApiError::new(
            ErrorCode::Usage,
            "`write` writes pinned digests: give `pin` too",
        ));
    }
    if request.candidate.is_some() != request.actor.is_some() {
        return Err(ApiError::new(
            ErrorCode::Usage,
            "give the candidate and the actor who records its evidence together",
        ));
    }
    if request.candidate.is_some() && request.environment.is_none() {
        return Err(ApiError::new(
            ErrorCode::Usage,
            "signatures are recorded as evidence for one environment: give the environment",
        ));
    }
    let limits = limits(request.max_file_bytes);
    let mut sources = SourceMap::new();
    let (platform, mut findings) = open_platform(&mut sources, &request.platform, &limits)?;
    let Some(platform) = platform else {
        return Err(ApiError::new(
            ErrorCode::Usage,
            "the platform file has errors: run `ehdeploy check`",
        ));
    };
    let policy = trust_policy(&platform)?;
    if let Some(env) = &request.environment {
        environment_files(&platform, env)?;
    }
    let vars = lookup(&request.vars, request.process_env);
    let options = LoadOptions {
        limits,
        vars: Some(&vars),
        substitute_values: false,
    };
    // The specs: the files given, or the environments' own.
    let mut specs: Vec<(Option<String>, LoadedSpec)> = Vec::new();
    if !request.files.is_empty() {
        let env = request
            .environment
            .clone()
            .or_else(|| infer_environment(&platform, &request.files));
        specs.push((env, load(&mut sources, &request.files, &options)?));
    } else if request.images.is_empty() {
        let names: Vec<String> = match &request.environment {
            Some(e) => vec![e.clone()],
            None => platform
                .file
                .environments
                .iter()
                .map(|e| e.name.clone())
                .collect(),
        };
        for name in names {
            let files = environment_files(&platform, &name)?;
            specs.push((Some(name), load(&mut sources, &files, &options)?));
        }
    }
    let mut cache = ValuesCache::new();
    let mut values: Vec<AppsValues> = Vec::new();
    for (env, spec) in &specs {
        // What keeps a spec from loading; its other findings are `validate`'s.
        let errors = spec
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error);
        findings.extend(tag(errors.cloned().collect(), env.as_deref()));
        values.push(enabled_values(
            &mut sources,
            spec,
            &mut cache,
            &options,
            &mut findings,
        ));
    }
    let mut targets = Vec::new();
    for ((env, spec), values) in specs.iter().zip(&values) {
        targets.extend(spec_targets(&platform, env.as_deref(), spec, values));
    }
    for text in &request.images {
        let image: ImageRef = text.parse().map_err(|e| {
            ApiError::new(
                ErrorCode::Usage,
                format!("`{text}` is not an image reference: {e}"),
            )
        })?;
        targets.push(Target {
            environment: request.environment.clone(),
            label: None,
            app: None,
            image,
            place: None,
            digest_pointer: None,
        });
    }
    let store = open_store(request)?;
    let mut folders = platform_bundles(&platform);
    folders.extend(request.bundles.iter().cloned());
    let bundles = BundleFiles::open(&folders).map_err(|e| {
        ApiError::new(ErrorCode::Io, format!("the bundle files: {e}")).with_help(
            "each file of a bundle folder ending in .json or .sigstore must be a Sigstore bundle",
        )
    })?;
    let store = bundles.over(store.as_ref());
    let concurrency = request.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    let images = run(&store, policy, &targets, concurrency, progress);
    findings.extend(verdict_findings(
        &platform, &targets, &images, &sources, true,
    ));

    let mut files = Vec::new();
    if request.pin {
        let (changes, notes) = pin_edits(
            &mut sources,
            &cache,
            &platform,
            &options,
            &specs,
            &values,
            &targets,
            &images,
        )?;
        files = changes;
        findings.extend(notes);
    }
    if request.write {
        for change in &files {
            let path = PathBuf::from(&change.path);
            std::fs::write(&path, &change.after).map_err(|e| crate::Error::io(&path, e))?;
        }
        // What was pinned is no longer to be pinned; what could not be written still is (a
        // `promotion/manual` finding says why).
        let manual: Vec<(Option<String>, Option<String>)> = findings
            .iter()
            .filter(|f| f.rule == rules::PROMOTION_MANUAL)
            .map(|f| (f.environment.clone(), f.app.clone()))
            .collect();
        findings.retain(|f| {
            f.rule != rules::IMAGE_DIGEST_REQUIRED
                || manual.contains(&(f.environment.clone(), f.app.clone()))
        });
    }
    let recorded = match (&request.candidate, &request.actor, &request.environment) {
        (Some(candidate), Some(actor), Some(environment)) => Some(record(
            &request.platform,
            candidate,
            actor,
            environment,
            &images,
        )?),
        _ => None,
    };
    let apps = values.iter().map(IndexMap::len).sum();
    let report = Report::new(findings, sources.files().count(), apps, specs.len());
    Ok(Verified {
        response: VerifyResponse {
            images,
            report,
            written: request.write && !files.is_empty(),
            files,
            recorded,
        },
        sources,
    })
}

/// One image to verify: where it comes from, and where to report and pin it.
struct Target {
    environment: Option<String>,
    /// The app's label in the spec, and its release name.
    label: Option<String>,
    app: Option<String>,
    image: ImageRef,
    /// The span and pointer of the value that names the image.
    place: Option<(Span, String)>,
    /// Where the app's profile writes a digest (a values pointer), for pinning.
    digest_pointer: Option<String>,
}

fn trust_policy(platform: &Platform) -> Result<&TrustPolicy, ApiError> {
    platform.trust.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Usage,
            "the platform file has no trust policy: nothing says who must sign which image",
        )
        .with_help("add `signatures:` to platform.yaml (docs/signing.md)")
    })
}

/// The platform's bundle folders (`signatures.bundles`), resolved.
fn platform_bundles(platform: &Platform) -> Vec<PathBuf> {
    platform
        .file
        .signatures
        .iter()
        .flat_map(|s| &s.bundles)
        .map(|dir| platform.resolve(dir))
        .collect()
}

fn open_store(request: &VerifyRequest) -> Result<Box<dyn ImageStore>, ApiError> {
    if let Some(dir) = &request.layout {
        let layout = Layout::open(dir).map_err(|e| {
            ApiError::new(
                ErrorCode::Io,
                format!("the OCI layout {}: {e}", dir.display()),
            )
        })?;
        return Ok(Box::new(layout));
    }
    #[cfg(feature = "registry")]
    {
        crate::signing::Registry::new(&request.registry)
            .map(|r| Box::new(r) as Box<dyn ImageStore>)
            .map_err(|e| ApiError::new(ErrorCode::Usage, e.to_string()))
    }
    #[cfg(not(feature = "registry"))]
    Err(ApiError::new(
        ErrorCode::Usage,
        "this build reads no registry (feature `registry`): give an OCI layout",
    ))
}

/// The enabled apps' effective values of `spec`.
fn enabled_values(
    sources: &mut SourceMap,
    spec: &LoadedSpec,
    cache: &mut ValuesCache,
    options: &LoadOptions<'_>,
    findings: &mut Vec<Finding>,
) -> AppsValues {
    let mut out = IndexMap::new();
    let Some(tree) = &spec.tree else {
        return out;
    };
    for (label, _) in spec.enabled_apps() {
        if let Some(values) = effective_values(sources, cache, tree, label, options, findings) {
            out.insert(label.clone(), values);
        }
    }
    out
}

/// The image of each app of `values` that its chart profile names (a malformed one is
/// `validate`'s to report, and is not verified).
fn spec_targets(
    platform: &Platform,
    environment: Option<&str>,
    spec: &LoadedSpec,
    values: &AppsValues,
) -> Vec<Target> {
    let mut out = Vec::new();
    let Some(state) = &spec.state else {
        return out;
    };
    for (label, values) in values {
        let Some(app) = state.apps.as_ref().and_then(|a| a.get(label)) else {
            continue;
        };
        let Some(profile) = platform.profile_of(app) else {
            continue;
        };
        let w = Workload::read(&values.values, profile);
        let Some(Ok(image)) = w.image_ref() else {
            continue;
        };
        let field = w.digest.as_ref().or(w.tag.as_ref()).or(w.image.as_ref());
        out.push(Target {
            environment: environment.map(str::to_string),
            label: Some(label.clone()),
            app: Some(app.name.clone().unwrap_or_else(|| label.clone())),
            place: field.map(|f| (f.node.span, values.pointer_of(f.node, &f.pointer))),
            digest_pointer: profile
                .digest
                .as_ref()
                .and_then(|p| p.key_pointer().map(str::to_string)),
            image,
        });
    }
    out
}

/// Verifies each distinct (image, environment) once, and answers for every target.
fn run(
    store: &dyn ImageStore,
    policy: &TrustPolicy,
    targets: &[Target],
    concurrency: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<VerifiedImage> {
    let mut jobs: IndexSet<Job> = IndexSet::new();
    let indices: Vec<usize> = targets
        .iter()
        .map(|t| {
            jobs.insert_full(Job {
                image: t.image.clone(),
                environment: t.environment.clone(),
            })
            .0
        })
        .collect();
    let jobs: Vec<Job> = jobs.into_iter().collect();
    let verdicts = verify_all(store, &jobs, policy, concurrency, progress);
    targets
        .iter()
        .zip(indices)
        .filter_map(|(t, i)| {
            Some(VerifiedImage {
                environment: t.environment.clone(),
                app: t.app.clone(),
                reference: t.image.to_string(),
                pinned: t.image.digest().is_some(),
                verdict: verdicts.get(i)?.clone(),
            })
        })
        .collect()
}

/// The findings of the verdicts: `signature/unverifiable` when the store failed,
/// `signature/refused` (a warning where the policy only warns), and, with `pins`, each
/// allowed image that must be pinned where it is not.
fn verdict_findings(
    platform: &Platform,
    targets: &[Target],
    images: &[VerifiedImage],
    sources: &SourceMap,
    pins: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (t, v) in targets.iter().zip(images) {
        let env = t.environment.as_deref();
        let verdict = &v.verdict;
        let (rule, message) = if let Some(why) = &verdict.unverifiable {
            (
                rules::SIGNATURE_UNVERIFIABLE,
                format!(
                    "the signatures of `{}` could not be read: {why}",
                    v.reference
                ),
            )
        } else if !verdict.decision.allowed {
            let at = env.map(|e| format!(" in {e}")).unwrap_or_default();
            let digest = match (&verdict.digest, v.pinned) {
                (Some(d), false) => format!(" ({d})"),
                _ => String::new(),
            };
            let message = format!(
                "`{}`{digest} is refused{at}: {}",
                v.reference, verdict.decision.message
            );
            (rules::SIGNATURE_REFUSED, message)
        } else if pins
            && !v.pinned
            && env
                .and_then(|e| platform.environment(e))
                .is_some_and(|e| e.requires_digest())
        {
            let Some(digest) = &verdict.digest else {
                continue;
            };
            (
                rules::IMAGE_DIGEST_REQUIRED,
                format!(
                    "`{}` must be pinned by digest in {}: it is {digest} (`ehdeploy verify --pin --write` writes it)",
                    v.reference,
                    env.unwrap_or_default()
                ),
            )
        } else {
            continue;
        };
        let Some(mut severity) = platform.severity(rule, env) else {
            continue;
        };
        if verdict.outcome == Outcome::Warned {
            severity = severity.min(Severity::Warning);
        }
        let mut f = Finding::new(rule, severity, message);
        f.app = t.app.clone();
        f.environment = t.environment.clone();
        f.location = t
            .place
            .as_ref()
            .map(|(span, pointer)| sources.location(*span, pointer));
        out.push(f);
    }
    out
}

/// The edits that write each allowed, verified digest that the spec does not pin, per
/// environment, into files of that environment's app alone; what cannot be written is a
/// `promotion/manual` finding.
#[allow(clippy::too_many_arguments)]
fn pin_edits(
    sources: &mut SourceMap,
    cache: &ValuesCache,
    platform: &Platform,
    options: &LoadOptions<'_>,
    specs: &[(Option<String>, LoadedSpec)],
    values: &[AppsValues],
    targets: &[Target],
    images: &[VerifiedImage],
) -> Result<(Vec<FileChange>, Vec<Finding>), ApiError> {
    let mut edits: IndexMap<PathBuf, Vec<crate::source::TextEdit>> = IndexMap::new();
    let mut findings = Vec::new();
    // Every environment's spec, for who owns which file: loaded once, when a pin needs it.
    let mut every: Option<IndexMapOf> = None;
    for ((env, spec), values) in specs.iter().zip(values) {
        let Some(env) = env else {
            return Err(ApiError::new(
                ErrorCode::Usage,
                "pinning writes into one environment's files: give the environment",
            ));
        };
        let mut pins: Vec<(String, String, Node)> = Vec::new();
        let mut notes = Vec::new();
        let unpinned = targets.iter().zip(images).filter(|(t, v)| {
            t.environment.as_deref() == Some(env) && !v.pinned && v.verdict.decision.allowed
        });
        for (t, v) in unpinned {
            let (Some(label), Some(digest)) = (&t.label, &v.verdict.digest) else {
                continue;
            };
            let Some(span) = values.get(label).map(|v| v.values.span) else {
                continue;
            };
            match &t.digest_pointer {
                Some(pointer) => pins.push((
                    label.clone(),
                    pointer.clone(),
                    Node::new(NodeKind::Str(digest.clone()), span),
                )),
                None => notes.push(crate::plan::PromotionNote {
                    app: label.clone(),
                    message: format!("pin `{label}` to {digest} by hand: its chart profile names no single digest value"),
                }),
            }
        }
        if !pins.is_empty() {
            let all = match every.take() {
                Some(all) => all,
                None => load_environments(sources, platform, options, env)?.0,
            };
            let usage = Usage::of(&all, env);
            every = Some(all);
            if let Some(side) = crate::plan::Side::from_values(spec, platform, values.clone()) {
                let pinned = crate::plan::value_edits(
                    &side,
                    &pins,
                    &crate::plan::EditContext {
                        platform,
                        sources,
                        cache,
                        ownership: &usage,
                    },
                );
                for (file, e) in pinned.files {
                    edits.entry(file).or_default().extend(e);
                }
                notes.extend(pinned.notes);
            }
        }
        findings.extend(super::common::manual_findings(
            notes, spec, spec, env, sources,
        ));
    }
    Ok((file_changes(edits, sources), findings))
}

/// Records the verdicts for `environment` as `signatures-verified` evidence: positive only
/// when every image is allowed (an image the policy only warns about is not verified).
fn record(
    platform: &std::path::Path,
    candidate: &str,
    actor: &Actor,
    environment: &str,
    images: &[VerifiedImage],
) -> Result<ReleaseEventResponse, ApiError> {
    let refused: Vec<String> = images
        .iter()
        .filter(|i| !i.verdict.decision.allowed)
        .map(|i| {
            format!(
                "{}: {}",
                i.app.as_deref().unwrap_or(&i.reference),
                i.verdict
                    .unverifiable
                    .as_deref()
                    .unwrap_or(&i.verdict.decision.message)
            )
        })
        .collect();
    let note = if refused.is_empty() {
        let digests: Vec<String> = images
            .iter()
            .map(|i| {
                format!(
                    "{}@{}",
                    i.verdict.name,
                    i.verdict.digest.as_deref().unwrap_or("?")
                )
            })
            .collect();
        format!("{} image(s) verified: {}", images.len(), digests.join(", "))
    } else {
        format!("refused: {}", refused.join("; "))
    };
    release_event(&ReleaseEventRequest {
        platform: platform.to_path_buf(),
        candidate: candidate.to_string(),
        actor: actor.clone(),
        event: Event::Evidence {
            environment: environment.to_string(),
            kind: Evidence::SignaturesVerified,
            ok: refused.is_empty(),
            note: Some(note),
        },
        at: None,
    })
}

/// `check`'s signature findings: every enabled app's image of each environment, verified
/// offline from the platform's layout (`signatures.layout`); nothing when it names none. A
/// layout that cannot be opened is one `signature/unverifiable` finding at the setting.
pub(super) fn check_signatures(
    platform: &Platform,
    specs: &[(String, LoadedSpec, AppsValues)],
    sources: &SourceMap,
) -> Vec<Finding> {
    let (Some(policy), Some(dir)) = (
        platform.trust.as_ref(),
        platform
            .file
            .signatures
            .as_ref()
            .and_then(|s| s.layout.as_ref()),
    ) else {
        return Vec::new();
    };
    let unreadable = |pointer: &str, what: String| {
        let span = platform.tree.span_at(pointer, false);
        vec![
            Finding::new(rules::SIGNATURE_UNVERIFIABLE, Severity::Error, what)
                .at(sources.location(span, pointer)),
        ]
    };
    let layout = match Layout::open(&platform.resolve(dir)) {
        Ok(l) => l,
        Err(e) => {
            return unreadable(
                "/signatures/layout",
                format!("the platform's image layout `{dir}` cannot be read: {e}"),
            )
        }
    };
    let bundles = match BundleFiles::open(&platform_bundles(platform)) {
        Ok(b) => b,
        Err(e) => {
            return unreadable(
                "/signatures/bundles",
                format!("the platform's bundle files cannot be read: {e}"),
            )
        }
    };
    let store = bundles.over(&layout);
    let mut targets = Vec::new();
    for (env, spec, values) in specs {
        targets.extend(spec_targets(platform, Some(env), spec, values));
    }
    let images = run(&store, policy, &targets, DEFAULT_CONCURRENCY, &|_, _| {});
    verdict_findings(platform, &targets, &images, sources, false)
}
