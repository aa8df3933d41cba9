//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `word`, if one is close enough to be a likely misspelling
/// (case-insensitive Jaro–Winkler similarity of at least 0.8).
///
/// ```
/// use ehdeploy::suggest::did_you_mean;
/// assert_eq!(did_you_mean("namespce", ["namespace", "name"]), Some("namespace"));
/// assert_eq!(did_you_mean("purge", ["namespace", "chart"]), None);
/// ```
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
