//! Container image references.
//!
//! [`ImageRef`] is a reference such as `nginx:1.25` or
//! `registry.ehealth.example/team/app:1.2.3@sha256:…`, normalised the way docker and the OCI
//! distribution reference grammar do it: the registry defaults to `docker.io`, and single-component
//! docker.io names get the `library/` prefix. The grammar is
//! [`oci_spec::distribution::Reference`]'s: the common shape (a registry host, lowercase path
//! components, a tag, a digest) is checked here against the same grammar (a property test
//! holds the two to agreeing), and every other reference is left to oci-spec, whose regular
//! expression takes 30–80 ms of CPU to compile, once per process. This module adds precise
//! error messages, strict digest validation (lowercase hex of the right length for sha256 and
//! sha512) and keeps the tag optional instead of defaulting it to `latest`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use oci_spec::distribution::{ParseError, Reference};

/// The longest tag, in characters.
const MAX_TAG_LEN: usize = 128;

/// The longest repository, in characters (the distribution grammar's `NAME_TOTAL_LENGTH_MAX`).
const MAX_REPOSITORY_LEN: usize = 255;

/// Docker Hub's registry, the default.
const DOCKER_HUB: &str = "docker.io";

/// Docker Hub's older name, normalised to [`DOCKER_HUB`].
const DOCKER_HUB_LEGACY: &str = "index.docker.io";

/// The namespace of Docker Hub's official images (`nginx` is `docker.io/library/nginx`).
const DOCKER_HUB_OFFICIAL: &str = "library";

/// Why a text is not a valid image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    /// The reference is empty.
    #[error("empty image reference")]
    Empty,
    /// There is a tag or digest but no repository name before it, e.g. `:1.0`.
    #[error("image reference `{0}` has no repository name")]
    MissingRepository(String),
    /// The registry host is not a valid host name with an optional port.
    #[error("image reference `{reference}` has invalid registry `{registry}`: expected a host name or IP address with an optional `:port`")]
    InvalidRegistry {
        /// The reference as given.
        reference: String,
        /// The registry as written.
        registry: String,
    },
    /// The repository path contains uppercase letters.
    #[error("image reference `{reference}` has repository `{repository}` with uppercase letters; repository names must be lowercase")]
    UppercaseRepository {
        /// The reference as given.
        reference: String,
        /// The repository path as written.
        repository: String,
    },
    /// The tag is empty or contains characters a tag cannot have.
    #[error("image reference `{reference}` has invalid tag `{tag}`: a tag is letters, digits, `_`, `.` and `-`, not starting with `.` or `-`")]
    InvalidTag {
        /// The reference as given.
        reference: String,
        /// The tag as written.
        tag: String,
    },
    /// The tag is longer than 128 characters.
    #[error(
        "image reference `{reference}` has a tag of {len} characters; at most 128 are allowed"
    )]
    TagTooLong {
        /// The reference as given.
        reference: String,
        /// The tag length in characters.
        len: usize,
    },
    /// The digest is malformed.
    #[error("image reference `{reference}` has invalid digest `{digest}`: {reason}")]
    InvalidDigest {
        /// The reference as given.
        reference: String,
        /// The digest as written.
        digest: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The digest algorithm is neither `sha256` nor `sha512`.
    #[error("image reference `{reference}` uses unsupported digest algorithm `{algorithm}`; expected sha256 or sha512")]
    UnsupportedDigestAlgorithm {
        /// The reference as given.
        reference: String,
        /// The algorithm as written.
        algorithm: String,
    },
    /// The repository name is longer than 255 characters.
    #[error("image reference `{0}` has a repository name longer than 255 characters")]
    NameTooLong(String),
    /// The reference does not follow the reference grammar for another reason.
    #[error("invalid image reference `{reference}`: {reason}")]
    InvalidFormat {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two different tags were given for one image.
    #[error("image reference `{reference}` has conflicting tags `{first}` and `{second}`")]
    ConflictingTag {
        /// The reference as given.
        reference: String,
        /// One tag.
        first: String,
        /// The other tag.
        second: String,
    },
    /// Two different digests were given for one image.
    #[error("image reference `{reference}` has conflicting digests `{first}` and `{second}`")]
    ConflictingDigest {
        /// The reference as given.
        reference: String,
        /// One digest.
        first: String,
        /// The other digest.
        second: String,
    },
}

/// A normalised container image reference: registry, repository, optional tag, optional digest.
///
/// ```
/// use ehdeploy::workload::image::ImageRef;
///
/// let image: ImageRef = "nginx:1.25".parse()?;
/// assert_eq!(image.registry(), "docker.io");
/// assert_eq!(image.repository(), "library/nginx");
/// assert_eq!(image.tag(), Some("1.25"));
/// assert_eq!(image.digest(), None);
/// assert_eq!(image.to_string(), "docker.io/library/nginx:1.25");
///
/// let image: ImageRef = "registry.ehealth.example:5000/team/app".parse()?;
/// assert_eq!(image.registry(), "registry.ehealth.example:5000");
/// assert_eq!(image.repository(), "team/app");
/// assert_eq!(image.tag(), None);
/// assert!(image.is_under("registry.ehealth.example:5000/team"));
///
/// assert!("Team/App:1.0".parse::<ImageRef>().is_err());
/// # Ok::<(), ehdeploy::workload::image::ImageRefError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageRef {
    /// Builds a reference from separate chart values: a repository, a tag and a digest.
    ///
    /// The repository value may carry a registry and even its own tag or digest; the tag value
    /// may itself be `tag@digest`. Empty tag and digest values count as not given (as in Helm
    /// charts, where `tag: ""` means "use the default"). A tag or digest given twice must agree.
    ///
    /// ```
    /// use ehdeploy::workload::image::ImageRef;
    ///
    /// let digest = format!("sha256:{}", "a".repeat(64));
    /// let image = ImageRef::with_tag_and_digest("registry.ehealth.example/team/app", Some("1.2.3"), Some(&digest))?;
    /// assert_eq!(image.to_string(), format!("registry.ehealth.example/team/app:1.2.3@{digest}"));
    ///
    /// let image = ImageRef::with_tag_and_digest("nginx", Some(&format!("1.25@{digest}")), None)?;
    /// assert_eq!(image.tag(), Some("1.25"));
    /// assert_eq!(image.digest(), Some(digest.as_str()));
    ///
    /// assert!(ImageRef::with_tag_and_digest("nginx:1.24", Some("1.25"), None).is_err());
    /// # Ok::<(), ehdeploy::workload::image::ImageRefError>(())
    /// ```
    pub fn with_tag_and_digest(
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Result<ImageRef, ImageRefError> {
        ImageRef::complete(repository.parse()?, repository, tag, digest)
    }

    /// `image`, parsed from `repository`, with the tag and digest of separate chart values
    /// added (see [`ImageRef::with_tag_and_digest`]).
    fn complete(
        mut image: ImageRef,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Result<ImageRef, ImageRefError> {
        let tag = tag.filter(|t| !t.is_empty());
        let digest = digest.filter(|d| !d.is_empty());
        // The reference as written, for error messages only (made when one is).
        let context = Written {
            repository,
            tag,
            digest,
        };

        let (tag, tag_digest) = match tag.map(|t| t.split_once('@').unwrap_or((t, ""))) {
            Some((tag, tag_digest)) => (
                Some(tag).filter(|t| !t.is_empty()),
                Some(tag_digest).filter(|d| !d.is_empty()),
            ),
            None => (None, None),
        };
        if let Some(tag) = tag {
            validate_tag(context, tag)?;
            image.tag = Some(merge(context, image.tag.take(), tag, ConflictKind::Tag)?);
        }
        for digest in [tag_digest, digest].into_iter().flatten() {
            validate_digest(context, digest)?;
            image.digest = Some(merge(
                context,
                image.digest.take(),
                digest,
                ConflictKind::Digest,
            )?);
        }
        Ok(image)
    }

    /// The registry host (with port, if any), e.g. `docker.io` or `registry.ehealth.example:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path within the registry, e.g. `library/nginx` or `team/app`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if the reference has one (no `latest` is assumed).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest as `algorithm:hex`, if the reference has one.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The name without tag or digest: `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Whether `registry/repository` lies under `prefix`, a registry or `registry/path`.
    ///
    /// The match is at a path component boundary: `registry.ehealth.example/a` covers
    /// `registry.ehealth.example/a` and `registry.ehealth.example/a/b` but not
    /// `registry.ehealth.example/ab`. The registry is compared case-insensitively, the path
    /// exactly; a trailing `/` on the prefix is ignored and an empty prefix covers nothing.
    ///
    /// ```
    /// use ehdeploy::workload::image::ImageRef;
    ///
    /// let image: ImageRef = "registry.ehealth.example/a/b:1.0".parse()?;
    /// assert!(image.is_under("registry.ehealth.example"));
    /// assert!(image.is_under("registry.ehealth.example/a"));
    /// assert!(!image.is_under("registry.ehealth.example/a/bc"));
    /// assert!(!image.is_under("registry.ehealth"));
    /// # Ok::<(), ehdeploy::workload::image::ImageRefError>(())
    /// ```
    pub fn is_under(&self, prefix: &str) -> bool {
        let prefix = prefix.trim_end_matches('/');
        let (registry, path) = match prefix.split_once('/') {
            Some((registry, path)) => (registry, Some(path)),
            None => (prefix, None),
        };
        if registry.is_empty() || !registry.eq_ignore_ascii_case(&self.registry) {
            return false;
        }
        match path {
            None => true,
            Some(path) => match self.repository.strip_prefix(path) {
                Some(rest) => rest.is_empty() || rest.starts_with('/'),
                None => false,
            },
        }
    }
}

/// Image repositories parsed once per operation: the reference grammar is a regular
/// expression, and the same repository comes back in every environment. Threads checking
/// apps side by side share one.
#[derive(Debug, Default)]
pub struct ImageRefs {
    parsed: Mutex<HashMap<String, Result<ImageRef, ImageRefError>, foldhash::fast::RandomState>>,
}

impl ImageRefs {
    /// [`ImageRef::with_tag_and_digest`], parsing each distinct repository once.
    ///
    /// ```
    /// use ehdeploy::workload::image::{ImageRef, ImageRefs};
    ///
    /// let images = ImageRefs::default();
    /// for tag in ["1.0", "2.0"] {
    ///     let cached = images.with_tag_and_digest("registry.ehealth.example/team/app", Some(tag), None);
    ///     assert_eq!(cached, ImageRef::with_tag_and_digest("registry.ehealth.example/team/app", Some(tag), None));
    /// }
    /// assert!(images.with_tag_and_digest("Team/App", Some("1.0"), None).is_err());
    /// ```
    pub fn with_tag_and_digest(
        &self,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Result<ImageRef, ImageRefError> {
        // The map is only ever changed by one insert: a panic elsewhere cannot leave it half
        // changed, so a poisoned lock is still good to use.
        let parsed = || self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        let known = parsed().get(repository).cloned();
        let image = match known {
            Some(known) => known?,
            // Parsed outside the lock, so threads wait for each other only to look up.
            None => {
                let fresh = repository.parse::<ImageRef>();
                parsed().insert(repository.to_owned(), fresh.clone());
                fresh?
            }
        };
        ImageRef::complete(image, repository, tag, digest)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for ImageRef {
    type Err = ImageRefError;

    /// Parses and normalises a reference; see [`ImageRef`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ImageRefError::Empty);
        }
        let (name_and_tag, digest) = match s.split_once('@') {
            Some((name_and_tag, digest)) => (name_and_tag, Some(digest)),
            None => (s, None),
        };
        // A tag follows the last `:` that comes after the last `/`.
        let last_component = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag[last_component..].rfind(':') {
            Some(i) => (
                &name_and_tag[..last_component + i],
                Some(&name_and_tag[last_component + i + 1..]),
            ),
            None => (name_and_tag, None),
        };
        if name.is_empty() {
            return Err(ImageRefError::MissingRepository(s.to_owned()));
        }
        let path = repository_path(name);
        let registry = name.strip_suffix(path).and_then(|r| r.strip_suffix('/'));
        if let Some(registry) = registry {
            if !is_valid_registry(registry) {
                return Err(ImageRefError::InvalidRegistry {
                    reference: s.to_owned(),
                    registry: registry.to_owned(),
                });
            }
        }
        if path.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(ImageRefError::UppercaseRepository {
                reference: s.to_owned(),
                repository: path.to_owned(),
            });
        }
        if let Some(tag) = tag {
            validate_tag(s, tag)?;
        }
        if let Some(digest) = digest {
            validate_digest(s, digest)?;
        }

        let (registry, repository) = match common_name(registry, path) {
            Some(normalised) => normalised,
            None => oci_spec_name(s, name)?,
        };
        Ok(ImageRef {
            registry,
            repository,
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }
}

/// The registry and repository of a reference's name (its `registry`, already checked to be
/// valid, and its repository `path`) as [`oci_spec::distribution::Reference`] normalises them,
/// when the path has the common shape that its grammar accepts: components that
/// [`is_path_component`] accepts, at most 255 characters once normalised. Any other name is
/// left to oci-spec (`None`), whose grammar is a regular expression that takes 30–80 ms of CPU
/// to compile, once per process.
fn common_name(registry: Option<&str>, path: &str) -> Option<(String, String)> {
    if !path.split('/').all(is_path_component) {
        return None;
    }
    let registry = match registry {
        None | Some(DOCKER_HUB_LEGACY) => DOCKER_HUB,
        Some(registry) => registry,
    };
    let repository = if registry == DOCKER_HUB && !path.contains('/') {
        format!("{DOCKER_HUB_OFFICIAL}/{path}")
    } else {
        path.to_owned()
    };
    (repository.len() <= MAX_REPOSITORY_LEN).then(|| (registry.to_owned(), repository))
}

/// The registry and repository of `name`, by oci-spec's grammar: what it accepts beyond
/// [`common_name`], and why it refuses a reference.
fn oci_spec_name(reference: &str, name: &str) -> Result<(String, String), ImageRefError> {
    let parsed = Reference::from_str(reference).map_err(|error| match error {
        ParseError::NameTooLong => ImageRefError::NameTooLong(reference.to_owned()),
        other => ImageRefError::InvalidFormat {
            reference: reference.to_string(),
            reason: describe_name_problem(name).unwrap_or_else(|| other.to_string()),
        },
    })?;
    Ok((parsed.registry().to_owned(), parsed.repository().to_owned()))
}

/// Whether `component` is a repository path component of the distribution grammar: runs of
/// `[a-z0-9]` joined by one separator each (`.`, `_`, `__`, or one or more `-`).
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        let run = i;
        while bytes.get(i).is_some_and(|&b| alphanumeric(b)) {
            i += 1;
        }
        if i == run {
            return false;
        }
        if i == bytes.len() {
            return true;
        }
        let separator = i;
        while bytes.get(i).is_some_and(|&b| !alphanumeric(b)) {
            i += 1;
        }
        match bytes.get(separator..i).unwrap_or_default() {
            b"." | b"_" | b"__" => {}
            dashes if dashes.iter().all(|&b| b == b'-') => {}
            _ => return false,
        }
    }
}

/// The repository path of a name: the name without its registry component, if it has one.
///
/// As in docker, the first component is a registry only if it contains `.` or `:` or is
/// `localhost`, and there is more than one component.
fn repository_path(name: &str) -> &str {
    match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => rest,
        _ => name,
    }
}

/// Whether `registry` is `host[:port]` with a DNS-style host (letters, digits, inner `-`).
fn is_valid_registry(registry: &str) -> bool {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    };
    let valid_port = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let valid_label = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    valid_port && host.split('.').all(valid_label)
}

/// Explains what is wrong with the repository path of `name`, if something visibly is.
fn describe_name_problem(name: &str) -> Option<String> {
    for component in repository_path(name).split('/') {
        if component.is_empty() {
            return Some("the repository path has an empty component".to_owned());
        }
        if let Some(c) = component.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        }) {
            return Some(format!(
                "repository path component `{component}` contains `{c}`; only a-z, 0-9, `.`, `_` and `-` are allowed"
            ));
        }
        let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        if !component.starts_with(alphanumeric) || !component.ends_with(alphanumeric) {
            return Some(format!(
                "repository path component `{component}` must start and end with a letter or digit"
            ));
        }
    }
    None
}

/// Checks a tag: 1 to 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
fn validate_tag(reference: impl fmt::Display, tag: &str) -> Result<(), ImageRefError> {
    let valid_chars = tag
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if tag.is_empty() || tag.starts_with(['.', '-']) || !valid_chars {
        return Err(ImageRefError::InvalidTag {
            reference: reference.to_string(),
            tag: tag.to_owned(),
        });
    }
    if tag.len() > MAX_TAG_LEN {
        return Err(ImageRefError::TagTooLong {
            reference: reference.to_string(),
            len: tag.len(),
        });
    }
    Ok(())
}

/// Checks a digest: `sha256:` with 64 or `sha512:` with 128 lowercase hex digits.
fn validate_digest(reference: impl fmt::Display, digest: &str) -> Result<(), ImageRefError> {
    let invalid = |reason| ImageRefError::InvalidDigest {
        reference: reference.to_string(),
        digest: digest.to_owned(),
        reason,
    };
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(invalid(
            "expected `algorithm:hex`, e.g. `sha256:` followed by 64 hex digits",
        ));
    };
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => {
            return Err(ImageRefError::UnsupportedDigestAlgorithm {
                reference: reference.to_string(),
                algorithm: algorithm.to_owned(),
            })
        }
    };
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid("the hex part may contain only 0-9 and a-f"));
    }
    if hex.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(invalid("the hex part must be lowercase"));
    }
    if hex.len() != expected_len {
        return Err(invalid(if expected_len == 64 {
            "a sha256 digest has exactly 64 hex digits"
        } else {
            "a sha512 digest has exactly 128 hex digits"
        }));
    }
    Ok(())
}

/// Which part of a reference two values conflict on.
enum ConflictKind {
    Tag,
    Digest,
}

/// Combines an existing value with a newly given one; they must agree if both are present.
/// A repository with the tag and digest of separate chart values, shown as one reference.
#[derive(Clone, Copy)]
struct Written<'a> {
    repository: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

impl fmt::Display for Written<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.repository)?;
        if let Some(tag) = self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn merge(
    reference: impl fmt::Display,
    existing: Option<String>,
    given: &str,
    kind: ConflictKind,
) -> Result<String, ImageRefError> {
    match existing {
        Some(existing) if existing != given => {
            let (reference, first, second) = (reference.to_string(), existing, given.to_owned());
            Err(match kind {
                ConflictKind::Tag => ImageRefError::ConflictingTag {
                    reference,
                    first,
                    second,
                },
                ConflictKind::Digest => ImageRefError::ConflictingDigest {
                    reference,
                    first,
                    second,
                },
            })
        }
        _ => Ok(given.to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The path components the distribution grammar accepts, and some it does not.
    #[test]
    fn path_components_follow_the_distribution_grammar() {
        for ok in [
            "a",
            "a0",
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a.b_c__d-e--f",
            "0",
        ] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in [
            "", ".a", "a.", "a..b", "a___b", "a_.b", "a-.b", "-a", "a-", "A", "a/b", "é",
        ] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }

    proptest! {
        /// Every reference parsed (by the common shape, or by oci-spec beyond it) is one
        /// oci-spec accepts, normalised the same.
        #[test]
        fn the_common_shape_agrees_with_oci_spec(
            registry in prop::option::of(prop_oneof![
                Just("docker.io"), Just("index.docker.io"), Just("localhost"),
                Just("localhost:5000"), Just("registry.example"), Just("r-1.example:443"),
            ]),
            components in prop::collection::vec("[a-z0-9._-]{1,8}", 1..4),
            long in any::<bool>(),
        ) {
            let mut path = components.join("/");
            if long {
                path = format!("{}/{path}", "x".repeat(250));
            }
            let name = match registry {
                Some(registry) => format!("{registry}/{path}"),
                None => path,
            };
            let reference = format!("{name}:1.0");
            let parsed = reference
                .parse::<ImageRef>()
                .map(|i| (i.registry().to_owned(), i.repository().to_owned()));
            match (parsed, oci_spec_name(&reference, &name)) {
                (Ok(ours), Ok(oci)) => prop_assert_eq!(ours, oci),
                (Ok(ours), Err(e)) => prop_assert!(false, "{} parsed as {:?}, oci-spec: {}", name, ours, e),
                (Err(_), _) => {}
            }
        }
    }

    const SHA256: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn sha512() -> String {
        format!("sha512:{}", "0123456789abcdef".repeat(8))
    }

    fn image(s: &str) -> ImageRef {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    #[test]
    fn parses_and_normalises() {
        let sha512 = sha512();
        /// input, registry, repository, tag, digest, display
        type Case<'a> = (
            String,
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            String,
        );
        let cases: Vec<Case> = vec![
            (
                "nginx".into(),
                "docker.io",
                "library/nginx",
                None,
                None,
                "docker.io/library/nginx".into(),
            ),
            (
                "nginx:1.25".into(),
                "docker.io",
                "library/nginx",
                Some("1.25"),
                None,
                "docker.io/library/nginx:1.25".into(),
            ),
            (
                "nginx:latest".into(),
                "docker.io",
                "library/nginx",
                Some("latest"),
                None,
                "docker.io/library/nginx:latest".into(),
            ),
            (
                "bitnami/redis:7".into(),
                "docker.io",
                "bitnami/redis",
                Some("7"),
                None,
                "docker.io/bitnami/redis:7".into(),
            ),
            (
                "docker.io/nginx".into(),
                "docker.io",
                "library/nginx",
                None,
                None,
                "docker.io/library/nginx".into(),
            ),
            (
                "index.docker.io/nginx:1".into(),
                "docker.io",
                "library/nginx",
                Some("1"),
                None,
                "docker.io/library/nginx:1".into(),
            ),
            (
                "docker.io/library/nginx".into(),
                "docker.io",
                "library/nginx",
                None,
                None,
                "docker.io/library/nginx".into(),
            ),
            (
                "a/b/c/d".into(),
                "docker.io",
                "a/b/c/d",
                None,
                None,
                "docker.io/a/b/c/d".into(),
            ),
            (
                "localhost/app".into(),
                "localhost",
                "app",
                None,
                None,
                "localhost/app".into(),
            ),
            (
                "localhost:5000/app:dev".into(),
                "localhost:5000",
                "app",
                Some("dev"),
                None,
                "localhost:5000/app:dev".into(),
            ),
            (
                "localhost:5000".into(),
                "docker.io",
                "library/localhost",
                Some("5000"),
                None,
                "docker.io/library/localhost:5000".into(),
            ),
            (
                "registry.ehealth.example/team/app:1.2.3".into(),
                "registry.ehealth.example",
                "team/app",
                Some("1.2.3"),
                None,
                "registry.ehealth.example/team/app:1.2.3".into(),
            ),
            (
                "registry.ehealth.example:8443/app".into(),
                "registry.ehealth.example:8443",
                "app",
                None,
                None,
                "registry.ehealth.example:8443/app".into(),
            ),
            (
                "ghcr.io/org/app_name.x-y__z:V1_2.3-rc".into(),
                "ghcr.io",
                "org/app_name.x-y__z",
                Some("V1_2.3-rc"),
                None,
                "ghcr.io/org/app_name.x-y__z:V1_2.3-rc".into(),
            ),
            (
                format!("nginx@{SHA256}"),
                "docker.io",
                "library/nginx",
                None,
                Some(SHA256),
                format!("docker.io/library/nginx@{SHA256}"),
            ),
            (
                format!("quay.io/org/app:1.0@{SHA256}"),
                "quay.io",
                "org/app",
                Some("1.0"),
                Some(SHA256),
                format!("quay.io/org/app:1.0@{SHA256}"),
            ),
            (
                format!("quay.io/org/app@{sha512}"),
                "quay.io",
                "org/app",
                None,
                Some(sha512.as_str()),
                format!("quay.io/org/app@{sha512}"),
            ),
        ];
        for (input, registry, repository, tag, digest, display) in cases {
            let parsed = image(&input);
            assert_eq!(parsed.registry(), registry, "{input}");
            assert_eq!(parsed.repository(), repository, "{input}");
            assert_eq!(parsed.tag(), tag, "{input}");
            assert_eq!(parsed.digest(), digest, "{input}");
            assert_eq!(parsed.to_string(), display, "{input}");
            assert_eq!(parsed.name(), format!("{registry}/{repository}"), "{input}");
            assert_eq!(image(&display), parsed, "{input} round-trips");
        }
        let long_tag = "t".repeat(128);
        assert_eq!(
            image(&format!("app:{long_tag}")).tag(),
            Some(long_tag.as_str())
        );
    }

    #[test]
    fn rejects_malformed_references() {
        let long_tag = "t".repeat(129);
        let long_name = format!("registry.example/{}", "a".repeat(256));
        let short_digest = "sha256:0123";
        let upper_digest = SHA256.to_uppercase().replace("SHA256", "sha256");
        let owned = |s: &str| s.to_owned();
        let cases: Vec<(String, ImageRefError)> = vec![
            (owned(""), ImageRefError::Empty),
            (owned(":1.0"), ImageRefError::MissingRepository(owned(":1.0"))),
            (format!("@{SHA256}"), ImageRefError::MissingRepository(format!("@{SHA256}"))),
            (
                owned("Nginx"),
                ImageRefError::UppercaseRepository {
                    reference: owned("Nginx"),
                    repository: owned("Nginx"),
                },
            ),
            (
                owned("registry.example/Team/app:1"),
                ImageRefError::UppercaseRepository {
                    reference: owned("registry.example/Team/app:1"),
                    repository: owned("Team/app"),
                },
            ),
            (
                owned("nginx:"),
                ImageRefError::InvalidTag {
                    reference: owned("nginx:"),
                    tag: owned(""),
                },
            ),
            (
                owned("nginx:-1"),
                ImageRefError::InvalidTag {
                    reference: owned("nginx:-1"),
                    tag: owned("-1"),
                },
            ),
            (
                owned("nginx:.1"),
                ImageRefError::InvalidTag {
                    reference: owned("nginx:.1"),
                    tag: owned(".1"),
                },
            ),
            (
                owned("nginx:1+2"),
                ImageRefError::InvalidTag {
                    reference: owned("nginx:1+2"),
                    tag: owned("1+2"),
                },
            ),
            (
                owned("nginx:vé"),
                ImageRefError::InvalidTag {
                    reference: owned("nginx:vé"),
                    tag: owned("vé"),
                },
            ),
            (
                format!("nginx:{long_tag}"),
                ImageRefError::TagTooLong {
                    reference: format!("nginx:{long_tag}"),
                    len: 129,
                },
            ),
            (
                owned("nginx@sha256"),
                ImageRefError::InvalidDigest {
                    reference: owned("nginx@sha256"),
                    digest: owned("sha256"),
                    reason: "expected `algorithm:hex`, e.g. `sha256:` followed by 64 hex digits",
                },
            ),
            (
                format!("nginx@{short_digest}"),
                ImageRefError::InvalidDigest {
                    reference: format!("nginx@{short_digest}"),
                    digest: owned(short_digest),
                    reason: "a sha256 digest has exactly 64 hex digits",
                },
            ),
            (
                format!("nginx@{upper_digest}"),
                ImageRefError::InvalidDigest {
                    reference: format!("nginx@{upper_digest}"),
                    digest: upper_digest.clone(),
                    reason: "the hex part must be lowercase",
                },
            ),
            (
                format!("nginx@sha512:{}", "a".repeat(64)),
                ImageRefError::InvalidDigest {
                    reference: format!("nginx@sha512:{}", "a".repeat(64)),
                    digest: format!("sha512:{}", "a".repeat(64)),
                    reason: "a sha512 digest has exactly 128 hex digits",
                },
            ),
            (
                format!("nginx@sha256:{}", "g".repeat(64)),
                ImageRefError::InvalidDigest {
                    reference: format!("nginx@sha256:{}", "g".repeat(64)),
                    digest: format!("sha256:{}", "g".repeat(64)),
                    reason: "the hex part may contain only 0-9 and a-f",
                },
            ),
            (
                format!("nginx@md5:{}", "a".repeat(32)),
                ImageRefError::UnsupportedDigestAlgorithm {
                    reference: format!("nginx@md5:{}", "a".repeat(32)),
                    algorithm: owned("md5"),
                },
            ),
            (long_name.clone(), ImageRefError::NameTooLong(long_name.clone())),
            (
                owned("registry.example/"),
                ImageRefError::InvalidFormat {
                    reference: owned("registry.example/"),
                    reason: owned("the repository path has an empty component"),
                },
            ),
            (
                owned("team//app"),
                ImageRefError::InvalidFormat {
                    reference: owned("team//app"),
                    reason: owned("the repository path has an empty component"),
                },
            ),
            (
                owned("team/app!"),
                ImageRefError::InvalidFormat {
                    reference: owned("team/app!"),
                    reason: owned(
                        "repository path component `app!` contains `!`; only a-z, 0-9, `.`, `_` and `-` are allowed",
                    ),
                },
            ),
            (
                owned(" nginx"),
                ImageRefError::InvalidFormat {
                    reference: owned(" nginx"),
                    reason: owned(
                        "repository path component ` nginx` contains ` `; only a-z, 0-9, `.`, `_` and `-` are allowed",
                    ),
                },
            ),
            (
                owned("team/-app"),
                ImageRefError::InvalidFormat {
                    reference: owned("team/-app"),
                    reason: owned("repository path component `-app` must start and end with a letter or digit"),
                },
            ),
            (
                owned("team/app."),
                ImageRefError::InvalidFormat {
                    reference: owned("team/app."),
                    reason: owned("repository path component `app.` must start and end with a letter or digit"),
                },
            ),
            (
                owned("team/a..b"),
                ImageRefError::InvalidFormat {
                    reference: owned("team/a..b"),
                    reason: owned("invalid reference format"),
                },
            ),
            (
                owned("bad_host.example/app"),
                ImageRefError::InvalidRegistry {
                    reference: owned("bad_host.example/app"),
                    registry: owned("bad_host.example"),
                },
            ),
            (
                owned("registry.example:port/app"),
                ImageRefError::InvalidRegistry {
                    reference: owned("registry.example:port/app"),
                    registry: owned("registry.example:port"),
                },
            ),
            (
                owned("-registry.example/app"),
                ImageRefError::InvalidRegistry {
                    reference: owned("-registry.example/app"),
                    registry: owned("-registry.example"),
                },
            ),
            (
                owned("registry..example/app"),
                ImageRefError::InvalidRegistry {
                    reference: owned("registry..example/app"),
                    registry: owned("registry..example"),
                },
            ),
            (
                owned("team/app@sha256"),
                ImageRefError::InvalidDigest {
                    reference: owned("team/app@sha256"),
                    digest: owned("sha256"),
                    reason: "expected `algorithm:hex`, e.g. `sha256:` followed by 64 hex digits",
                },
            ),
            (
                format!("app@{SHA256}@{SHA256}"),
                ImageRefError::InvalidDigest {
                    reference: format!("app@{SHA256}@{SHA256}"),
                    digest: format!("{SHA256}@{SHA256}"),
                    reason: "the hex part may contain only 0-9 and a-f",
                },
            ),
            (
                owned("nginx:1:2"),
                ImageRefError::InvalidFormat {
                    reference: owned("nginx:1:2"),
                    reason: owned(
                        "repository path component `nginx:1` contains `:`; only a-z, 0-9, `.`, `_` and `-` are allowed",
                    ),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                input.parse::<ImageRef>().as_ref(),
                Err(&expected),
                "{input:?}"
            );
        }
    }

    #[test]
    fn error_messages_name_the_problem() {
        let message = |s: &str| s.parse::<ImageRef>().unwrap_err().to_string();
        assert_eq!(
            message("Team/App:1.0"),
            "image reference `Team/App:1.0` has repository `Team/App` with uppercase letters; repository names must be lowercase"
        );
        assert_eq!(message(""), "empty image reference");
        assert_eq!(
            message("app:1+2"),
            "image reference `app:1+2` has invalid tag `1+2`: a tag is letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
        );
        assert_eq!(
            message("app@sha256:abc"),
            "image reference `app@sha256:abc` has invalid digest `sha256:abc`: a sha256 digest has exactly 64 hex digits"
        );
    }

    #[test]
    fn builds_from_separate_chart_values() {
        let sha512 = sha512();
        let other256 = format!("sha256:{}", "f".repeat(64));
        // repository, tag, digest, display
        let cases: Vec<(String, Option<String>, Option<String>, String)> = vec![
            ("nginx".into(), None, None, "docker.io/library/nginx".into()),
            (
                "nginx".into(),
                Some("1.25".into()),
                None,
                "docker.io/library/nginx:1.25".into(),
            ),
            (
                "nginx".into(),
                Some(String::new()),
                Some(String::new()),
                "docker.io/library/nginx".into(),
            ),
            (
                "nginx:1.25".into(),
                None,
                None,
                "docker.io/library/nginx:1.25".into(),
            ),
            (
                "nginx:1.25".into(),
                Some("1.25".into()),
                None,
                "docker.io/library/nginx:1.25".into(),
            ),
            (
                "nginx".into(),
                None,
                Some(SHA256.into()),
                format!("docker.io/library/nginx@{SHA256}"),
            ),
            (
                "registry.ehealth.example/team/app".into(),
                Some("1.2.3".into()),
                Some(SHA256.into()),
                format!("registry.ehealth.example/team/app:1.2.3@{SHA256}"),
            ),
            (
                "registry.ehealth.example:5000/app".into(),
                Some("2".into()),
                None,
                "registry.ehealth.example:5000/app:2".into(),
            ),
            (
                "app".into(),
                Some(format!("1.2.3@{SHA256}")),
                None,
                format!("docker.io/library/app:1.2.3@{SHA256}"),
            ),
            (
                "app".into(),
                Some(format!("1.2.3@{SHA256}")),
                Some(SHA256.into()),
                format!("docker.io/library/app:1.2.3@{SHA256}"),
            ),
            (
                "app".into(),
                Some(format!("@{SHA256}")),
                None,
                format!("docker.io/library/app@{SHA256}"),
            ),
            (
                format!("quay.io/o/app:1@{SHA256}"),
                Some("1".into()),
                Some(SHA256.into()),
                format!("quay.io/o/app:1@{SHA256}"),
            ),
            (
                "quay.io/o/app".into(),
                None,
                Some(sha512.clone()),
                format!("quay.io/o/app@{sha512}"),
            ),
        ];
        for (repository, tag, digest, display) in cases {
            let built =
                ImageRef::with_tag_and_digest(&repository, tag.as_deref(), digest.as_deref())
                    .unwrap_or_else(|e| panic!("{repository} {tag:?} {digest:?}: {e}"));
            assert_eq!(
                built.to_string(),
                display,
                "{repository} {tag:?} {digest:?}"
            );
            assert_eq!(built, image(&display));
        }

        let errors: Vec<(&str, Option<String>, Option<String>, ImageRefError)> = vec![
            (
                "nginx:1.24",
                Some("1.25".into()),
                None,
                ImageRefError::ConflictingTag {
                    reference: "nginx:1.24:1.25".into(),
                    first: "1.24".into(),
                    second: "1.25".into(),
                },
            ),
            (
                "app",
                Some(format!("1@{SHA256}")),
                Some(other256.clone()),
                ImageRefError::ConflictingDigest {
                    reference: format!("app:1@{SHA256}@{other256}"),
                    first: SHA256.into(),
                    second: other256.clone(),
                },
            ),
            (
                "app",
                Some("1/2".into()),
                None,
                ImageRefError::InvalidTag {
                    reference: "app:1/2".into(),
                    tag: "1/2".into(),
                },
            ),
            (
                "app",
                Some("1:2".into()),
                None,
                ImageRefError::InvalidTag {
                    reference: "app:1:2".into(),
                    tag: "1:2".into(),
                },
            ),
            (
                "app",
                None,
                Some("abc".into()),
                ImageRefError::InvalidDigest {
                    reference: "app@abc".into(),
                    digest: "abc".into(),
                    reason: "expected `algorithm:hex`, e.g. `sha256:` followed by 64 hex digits",
                },
            ),
            (
                "App",
                Some("1".into()),
                None,
                ImageRefError::UppercaseRepository {
                    reference: "App".into(),
                    repository: "App".into(),
                },
            ),
            ("", Some("1".into()), None, ImageRefError::Empty),
        ];
        for (repository, tag, digest, expected) in errors {
            assert_eq!(
                ImageRef::with_tag_and_digest(repository, tag.as_deref(), digest.as_deref()),
                Err(expected),
                "{repository} {tag:?} {digest:?}"
            );
        }
    }

    #[test]
    fn tells_whether_an_image_is_under_a_prefix() {
        let cases = [
            (
                "registry.ehealth.example/a/b:1",
                "registry.ehealth.example",
                true,
            ),
            (
                "registry.ehealth.example/a/b:1",
                "registry.ehealth.example/",
                true,
            ),
            (
                "registry.ehealth.example/a/b:1",
                "REGISTRY.ehealth.example",
                true,
            ),
            (
                "registry.ehealth.example/a/b:1",
                "registry.ehealth.example/a",
                true,
            ),
            (
                "registry.ehealth.example/a/b:1",
                "registry.ehealth.example/a/",
                true,
            ),
            (
                "registry.ehealth.example/a/b:1",
                "registry.ehealth.example/a/b",
                true,
            ),
            (
                "registry.ehealth.example/ab:1",
                "registry.ehealth.example/a",
                false,
            ),
            (
                "registry.ehealth.example/a/b:1",
                "registry.ehealth.example/a/b/c",
                false,
            ),
            (
                "registry.ehealth.example/a/b:1",
                "registry.ehealth.example/A",
                false,
            ),
            ("registry.ehealth.example/a/b:1", "registry.ehealth", false),
            (
                "registry.ehealth.example/a/b:1",
                "registry.ehealth.example.evil",
                false,
            ),
            ("registry.ehealth.example/a/b:1", "", false),
            ("registry.ehealth.example/a/b:1", "/a", false),
            (
                "registry.ehealth.example:5000/a:1",
                "registry.ehealth.example",
                false,
            ),
            (
                "registry.ehealth.example:5000/a:1",
                "registry.ehealth.example:5000",
                true,
            ),
            ("nginx", "docker.io", true),
            ("nginx", "docker.io/library", true),
            ("nginx", "docker.io/library/nginx", true),
            ("bitnami/redis", "docker.io/library", false),
        ];
        for (reference, prefix, expected) in cases {
            assert_eq!(
                image(reference).is_under(prefix),
                expected,
                "{reference} under {prefix}"
            );
        }
    }
}
