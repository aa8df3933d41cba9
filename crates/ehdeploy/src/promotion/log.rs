//! The audit log: every event, accepted or refused, one JSON line each, hash-chained.
//!
//! A line is `{"seq":…,"at":…,"actor":…,"event":…,"decision":…,"prev":…,"hash":…}`. `hash` is
//! the SHA-256 (hex) of the line's bytes before `,"hash":"`, so it covers every field,
//! including `prev`, the previous entry's `hash` (64 zeros for the first). An edited entry
//! fails its own hash; a removed, inserted or reordered one breaks `seq` and the chain. What
//! no chain can show alone is the removal of the last entries: [`verify`] returns the head
//! hash and the number of entries, for the caller to compare with a copy kept elsewhere (a
//! commit message, a build's description), and `verify-log --head` does.
//!
//! Appends hold an exclusive lock on the file from reading the head to the fsync, and write
//! the line in one `write` with `O_APPEND`: two writers never lose or interleave an entry.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::event::{Actor, Event};
use super::pipeline::Pipeline;
use super::refusal::{Reason, Refusal};
use super::state::{apply_in_place, change, Release};

/// `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What was decided about an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "outcome", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Decision {
    /// The event was applied.
    Accepted,
    /// The event was refused, for these reasons; it changed nothing but the log.
    Refused {
        /// Every unmet gate.
        reasons: Vec<Reason>,
    },
}

/// One line of the log (`schemas/audit-entry.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// Its position, from 0.
    pub seq: u64,
    /// When the event happened (the decision's time).
    #[schemars(with = "String")]
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
    /// What.
    pub event: Event,
    /// The decision.
    pub decision: Decision,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev: String,
    /// SHA-256 (hex) of this line up to `,"hash":"`.
    pub hash: String,
}

/// The fields an entry's hash covers, in the line's order.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    at: Timestamp,
    actor: &'a Actor,
    event: &'a Event,
    decision: &'a Decision,
    prev: &'a str,
}

/// The line of an entry (without its newline) and its hash.
pub fn entry_line(
    seq: u64,
    at: Timestamp,
    actor: &Actor,
    event: &Event,
    decision: &Decision,
    prev: &str,
) -> (String, String) {
    let body = Body {
        seq,
        at,
        actor,
        event,
        decision,
        prev,
    };
    // Plain data with string keys: serialising cannot fail.
    let mut line = serde_json::to_string(&body).unwrap_or_default();
    line.pop(); // the closing brace
    let hash = hex(&Sha256::digest(line.as_bytes()));
    line.push_str(",\"hash\":\"");
    line.push_str(&hash);
    line.push_str("\"}");
    (line, hash)
}

/// The SHA-256 of `bytes`, in lowercase hex.
#[cfg_attr(not(feature = "signatures"), allow(dead_code))]
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `bytes` in lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    hex_digits(bytes).map(char::from).collect()
}

/// The lowercase hex digits of `bytes`, two per byte.
fn hex_digits(bytes: &[u8]) -> impl Iterator<Item = u8> + '_ {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
}

/// How a log is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemCode {
    /// A line is not an entry (not JSON, a field missing or unknown, cut short).
    Malformed,
    /// An entry's hash does not match its content: it was edited.
    Hash,
    /// An entry's `prev` is not the previous entry's hash: entries were removed, inserted or
    /// reordered before it.
    Chain,
    /// An entry's `seq` is not its position.
    Sequence,
    /// The first entry does not create the candidate, or a later one does.
    Candidate,
    /// The log ends elsewhere than the head the caller expected: entries were removed from
    /// (or added to) its end.
    Head,
}

/// The first bad entry of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogProblem {
    /// The entry's position (its expected `seq`).
    pub entry: u64,
    /// Its line, from 1.
    pub line: u64,
    /// What is wrong.
    pub code: ProblemCode,
    /// For a person.
    pub message: String,
}

/// A log that verified, replayed.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The entries.
    pub entries: Vec<LogEntry>,
    /// The last entry's hash ([`GENESIS`] for an empty log).
    pub head: String,
    /// The state the accepted events give.
    pub release: Release,
}

/// Verify a log's text and replay it: every entry's hash, `seq` and `prev`, then the
/// accepted events applied in order (as recorded: the pipeline may have changed since, so
/// the recorded decisions are not re-made). With `expected_head`, the last hash must be it.
pub fn verify(
    text: &str,
    pipeline: &Pipeline,
    expected_head: Option<&str>,
) -> Result<Verified, LogProblem> {
    let mut entries = Vec::new();
    let (_, head, release) = walk(text, pipeline, expected_head, Some(&mut entries))?;
    Ok(Verified {
        entries,
        head,
        release,
    })
}

/// A log that verified and replayed, without its entries.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// How many entries.
    pub entries: u64,
    /// The last entry's hash ([`GENESIS`] for an empty log).
    pub head: String,
    /// The state the accepted events give.
    pub release: Release,
}

/// [`verify`] without keeping the entries: what status and recording need, for a log of any
/// length.
pub fn replay(
    text: &str,
    pipeline: &Pipeline,
    expected_head: Option<&str>,
) -> Result<Replayed, LogProblem> {
    let (entries, head, release) = walk(text, pipeline, expected_head, None)?;
    Ok(Replayed {
        entries,
        head,
        release,
    })
}

/// Verify and replay every entry of `text`, pushing each onto `keep` if given: the number of
/// entries, the head and the state.
fn walk(
    text: &str,
    pipeline: &Pipeline,
    expected_head: Option<&str>,
    mut keep: Option<&mut Vec<LogEntry>>,
) -> Result<(u64, String, Release), LogProblem> {
    let mut head = GENESIS.to_string();
    let mut release = Release::default();
    let mut n: u64 = 0;
    let threads = crate::parallel::cpu_threads();
    let mut lines = text.split_inclusive('\n').peekable();
    let mut block: Vec<&str> = Vec::with_capacity(BLOCK);
    while lines.peek().is_some() {
        block.clear();
        block.extend(lines.by_ref().take(BLOCK));
        // Parsing and hashing each line is most of the work, and lines do not depend on each
        // other: done in parallel; the chain, in order.
        for parsed in parse_block(&block, n, threads) {
            let entry = parsed?;
            let problem = |code, message: String| LogProblem {
                entry: n,
                line: n + 1,
                code,
                message,
            };
            if entry.seq != n {
                return Err(problem(
                    ProblemCode::Sequence,
                    format!(
                        "entry {n} says it is entry {}: entries were removed, inserted or reordered",
                        entry.seq
                    ),
                ));
            }
            if entry.prev != head {
                return Err(problem(
                    ProblemCode::Chain,
                    format!(
                        "entry {n} does not follow entry {}: entries were removed, inserted or reordered",
                        n.saturating_sub(1)
                    ),
                ));
            }
            // The first accepted event creates the candidate; no later one does.
            let creates = matches!(entry.event, Event::CandidateCreated { .. });
            if entry.decision == Decision::Accepted && creates == release.candidate.is_some() {
                return Err(problem(
                    ProblemCode::Candidate,
                    format!("entry {n}: a log's first accepted event creates its candidate, and no other does"),
                ));
            }
            let accepted = entry.decision == Decision::Accepted;
            head.clone_from(&entry.hash);
            // A kept entry keeps its event; otherwise the event moves into the state.
            match keep.as_mut() {
                Some(kept) => {
                    if accepted {
                        let event = entry.event.clone();
                        change(&mut release, &entry.actor, event, pipeline, entry.at);
                    }
                    kept.push(entry);
                }
                None if accepted => {
                    change(&mut release, &entry.actor, entry.event, pipeline, entry.at);
                }
                None => {}
            }
            n += 1;
        }
    }
    if let Some(expected) = expected_head {
        if expected != head {
            return Err(LogProblem {
                entry: n,
                line: n + 1,
                code: ProblemCode::Head,
                message: format!("the log ends at {head} after {n} entries, not at {expected}: entries were removed from its end, or added"),
            });
        }
    }
    Ok((n, head, release))
}

/// Lines parsed at a time.
const BLOCK: usize = 4096;

/// Each line of `lines` (entries `first`, `first + 1`, …) parsed and checked against its own
/// hash, in order; on `threads` threads when there are enough lines to be worth it.
fn parse_block(lines: &[&str], first: u64, threads: usize) -> Vec<Result<LogEntry, LogProblem>> {
    let numbered: Vec<(u64, &str)> = (first..).zip(lines.iter().copied()).collect();
    let threads = if lines.len() < 512 { 1 } else { threads };
    crate::parallel::map(&numbered, threads, |&(n, raw)| parse_line(raw, n))
}

/// Entry `n`'s line (with its newline) parsed and checked against its own hash.
fn parse_line(raw: &str, n: u64) -> Result<LogEntry, LogProblem> {
    let problem = |code, message: String| LogProblem {
        entry: n,
        line: n + 1,
        code,
        message,
    };
    let Some(line) = raw.strip_suffix('\n') else {
        return Err(problem(
            ProblemCode::Malformed,
            format!("entry {n} has no end of line: the log was cut short"),
        ));
    };
    let Some(cut) = line.rfind(",\"hash\":\"") else {
        return Err(problem(
            ProblemCode::Malformed,
            format!("entry {n} has no hash"),
        ));
    };
    let entry: LogEntry = serde_json::from_str(line).map_err(|e| {
        problem(
            ProblemCode::Malformed,
            format!("entry {n} is not a log entry: {e}"),
        )
    })?;
    if !hash_is(&line.as_bytes()[..cut], &entry.hash) {
        return Err(problem(
            ProblemCode::Hash,
            format!("entry {n} does not match its hash: it was edited"),
        ));
    }
    Ok(entry)
}

/// Whether `hex` is the SHA-256 of `bytes`, in lowercase hex (nothing allocated).
pub(crate) fn hash_is(bytes: &[u8], hex: &str) -> bool {
    hex_digits(&Sha256::digest(bytes)).eq(hex.bytes())
}

/// The first bad entry of a log whose bytes are UTF-8 up to `valid`: an entry before the
/// line of the first invalid byte, or that line's entry.
fn not_utf8(bytes: &[u8], valid: usize, pipeline: &Pipeline) -> LogProblem {
    let start = bytes[..valid]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // The bytes before `valid` are UTF-8, and a line starts at `start`.
    let before = std::str::from_utf8(&bytes[..start]).unwrap_or_default();
    match verify(before, pipeline, None) {
        Err(problem) => problem,
        Ok(verified) => {
            let n = verified.entries.len() as u64;
            LogProblem {
                entry: n,
                line: n + 1,
                code: ProblemCode::Malformed,
                message: format!("entry {n} is not UTF-8 text"),
            }
        }
    }
}

/// Why recording failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file could not be read, locked or written.
    #[error("{path}: {source}")]
    Io {
        /// The log.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The log does not verify; nothing was appended.
    #[error("{path}: line {}: {}", problem.line, problem.message)]
    Corrupt {
        /// The log.
        path: PathBuf,
        /// Its first bad entry.
        problem: LogProblem,
    },
}

/// What recording an event did.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The entry appended.
    pub entry: LogEntry,
    /// The state after it (unchanged when refused).
    pub release: Release,
}

/// Decide `event` against the log at `path` (created if missing) and append the entry,
/// accepted or refused, under an exclusive lock.
pub fn record(
    path: &Path,
    actor: &Actor,
    event: &Event,
    pipeline: &Pipeline,
    now: Timestamp,
) -> Result<Recorded, LogError> {
    let io = |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file: File = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    file.lock().map_err(io)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let corrupt = |problem| LogError::Corrupt {
        path: path.to_path_buf(),
        problem,
    };
    // Bytes that are not UTF-8 are a log that does not verify, like any other damage: the
    // first bad entry is before them, or the entry they are in.
    let text = String::from_utf8(bytes).map_err(|e| {
        corrupt(not_utf8(
            e.as_bytes(),
            e.utf8_error().valid_up_to(),
            pipeline,
        ))
    })?;
    let verified = replay(&text, pipeline, None).map_err(corrupt)?;
    let mut release = verified.release;
    let decision = match apply_in_place(&mut release, actor, event, pipeline, now) {
        Ok(()) => Decision::Accepted,
        Err(Refusal { reasons }) => Decision::Refused { reasons },
    };
    let seq = verified.entries;
    let (mut line, hash) = entry_line(seq, now, actor, event, &decision, &verified.head);
    line.push('\n');
    file.write_all(line.as_bytes()).map_err(io)?;
    file.sync_data().map_err(io)?;
    // The lock goes with the file.
    Ok(Recorded {
        entry: LogEntry {
            seq,
            at: now,
            actor: actor.clone(),
            event: event.clone(),
            decision,
            prev: verified.head,
            hash,
        },
        release,
    })
}
