//! The trust policy: which images must be signed, by which authorities, how many of them,
//! per environment; and the decision for an image from what each authority's verification
//! found. Pure: verifying signatures is [`crate::signing`]'s (feature `signatures`).
//!
//! - **First match.** Policies are tried in order; the first whose image globs match the
//!   image's normalised name (`registry.example/team/app`, no tag or digest) decides alone.
//!   An image no policy names is denied unless `unmatched: allow` says otherwise.
//! - **Distinct authorities.** The threshold counts authorities, never signatures: two
//!   signatures by one key count once (Connaisseur counted signatures and had to fix it as a
//!   security bug). Only the policy's authorities and the environment's required ones count.
//! - **Per environment.** An environment can require more authorities (prod: the platform's
//!   release key), raise the threshold, or only warn.
//! - **No signature is never a pass**: an image with none is `unsigned`.
//!
//! ```
//! use ehdeploy::trust::{decide, AuthorityCheck, TrustConfig, TrustPolicy, TrustReason};
//! let config: TrustConfig = serde_json::from_str(r#"{
//!     "authorities": {"ci": {"key": "Cargo.toml"}, "release": {"key": "Cargo.toml"}},
//!     "policies": [{"images": ["registry.example/**"], "authorities": ["ci"],
//!                   "environments": {"prod": {"require": ["release"]}}}]
//! }"#).unwrap();
//! let envs = ["test".to_string(), "prod".to_string()];
//! let (policy, problems) = TrustPolicy::compile(&config, std::path::Path::new("."), &envs);
//! assert!(problems.is_empty(), "{problems:?}");
//! let ci = [AuthorityCheck { authority: "ci".into(), verified: true, reason: None, message: None }];
//! let test = policy.requirement("registry.example/team/api", Some("test"));
//! assert!(decide(&test, &ci).allowed);
//! let prod = policy.requirement("registry.example/team/api", Some("prod"));
//! assert_eq!(decide(&prod, &ci).reason, Some(TrustReason::RequiredMissing));
//! ```

mod config;
mod policy;
#[cfg(test)]
mod tests;

pub use config::{
    AuthorityConfig, DigestAlgorithm, EnvironmentPolicy, KeylessConfig, Mode, PolicyConfig,
    TrustConfig, Unmatched,
};
pub use policy::{
    decide, Authority, AuthorityCheck, ImageDecision, Matcher, Outcome, Requirement, TrustPolicy,
    TrustReason,
};
