//! The audit log resists tampering and concurrent writers.
//!
//! A real log of eight entries is written with `record` (one event refused), then copies of
//! its text are damaged the ways a careless or hostile hand would: a byte flipped in an
//! event, in a hash, in a `prev`; an entry dropped, two swapped, one inserted; the file cut
//! short or its last entry removed; an entry edited with its hash recomputed; garbage,
//! non-UTF-8 bytes, a missing hash, an accepted event before the candidate. Each time
//! `verify` names the first bad entry with the exact [`ProblemCode`], entry and line, and
//! `record` refuses to append to the damaged file and leaves it byte for byte as it was.
//!
//! Refused events are logged and change nothing; replaying a log gives the state `apply`
//! gives in memory; and several processes (this test binary, re-executed as a writer) or
//! threads appending at once leave a log that verifies, every line whole, `seq` 0..N, every
//! decision the one re-deciding the events in the log's order gives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use ehdeploy::promotion::{
    apply, entry_line, record, verify, Actor, Artifact, Artifacts, Decision, Event, Evidence,
    LogEntry, LogError, LogProblem, Pipeline, PipelineConfig, ProblemCode, Recorded, Release,
    Verified, GENESIS,
};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The pipeline `inttest → exttest`, no gates but the order.
fn pipeline() -> Pipeline {
    let (pipeline, problems) = Pipeline::compile(
        &["inttest".into(), "exttest".into()],
        &PipelineConfig::default(),
    );
    assert!(problems.is_empty(), "{problems:?}");
    pipeline
}

/// A fresh, empty directory of its own for one test (removed by [`Scratch`]'s drop).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ehdeploy-audit-log-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn actor(name: &str) -> Actor {
    Actor {
        name: name.into(),
        roles: vec![],
    }
}

fn t0() -> Timestamp {
    "2026-11-26T09:00:00Z".parse().unwrap()
}

fn at(minutes: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(minutes)
}

fn artifacts() -> Artifacts {
    let mut a = Artifacts::new();
    a.insert(
        "portal".into(),
        Artifact {
            chart: "ehealth/ehealth-service".into(),
            version: "1.2.3".into(),
            image: Some("registry.example/portal".into()),
            digest: Some(format!("sha256:{}", "ab".repeat(32))),
        },
    );
    a
}

fn created() -> Event {
    Event::CandidateCreated {
        candidate: "rc-1".into(),
        revision: "abc123".into(),
        artifacts: artifacts(),
    }
}

fn deployed(environment: &str) -> Event {
    Event::Deployed {
        environment: environment.into(),
        artifacts: artifacts(),
    }
}

fn evidence(environment: &str, kind: Evidence, note: Option<&str>) -> Event {
    Event::Evidence {
        environment: environment.into(),
        kind,
        ok: true,
        note: note.map(str::to_string),
    }
}

/// The events of the reference log, in order, with who and when. Entry 4 is refused (a
/// promotion nobody requested); the others are accepted.
fn script() -> Vec<(Actor, Event, Timestamp)> {
    vec![
        (actor("alice"), created(), at(0)),
        (actor("jenkins"), deployed("inttest"), at(1)),
        (
            actor("jenkins"),
            evidence("inttest", Evidence::DeployedHealthy, None),
            at(2),
        ),
        (
            actor("jenkins"),
            evidence("inttest", Evidence::TestsPassed, Some("run 42")),
            at(3),
        ),
        (
            actor("bob"),
            Event::Promoted {
                to: "exttest".into(),
                artifacts: artifacts(),
            },
            at(4),
        ),
        (
            actor("bob"),
            Event::PromotionRequested {
                to: "exttest".into(),
            },
            at(5),
        ),
        (
            actor("bob"),
            Event::Promoted {
                to: "exttest".into(),
                artifacts: artifacts(),
            },
            at(6),
        ),
        (actor("jenkins"), deployed("exttest"), at(7)),
    ]
}

/// The reference log: written with `record` at `path`; its text and what each record said.
fn build_log(path: &Path) -> (String, Vec<Recorded>) {
    let pipeline = pipeline();
    let recorded: Vec<Recorded> = script()
        .iter()
        .map(|(who, event, when)| record(path, who, event, &pipeline, *when).unwrap())
        .collect();
    (std::fs::read_to_string(path).unwrap(), recorded)
}

/// The reference log's text, built in a scratch directory of its own.
fn reference_log() -> String {
    let dir = Scratch::new("reference");
    build_log(&dir.path("rc-1.jsonl")).0
}

/// The lines of a log, without their newlines (the text must end with one).
fn lines(text: &str) -> Vec<String> {
    assert!(text.ends_with('\n'));
    text.lines().map(str::to_string).collect()
}

/// Lines back into a log, each ended by a newline.
fn unlines(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `text` with the first `from` of line `index` (from 0) replaced by `to`.
fn edit_line(text: &str, index: usize, from: &str, to: &str) -> String {
    let mut ls = lines(text);
    assert!(
        ls[index].contains(from),
        "line {index} has no `{from}`: {}",
        ls[index]
    );
    ls[index] = ls[index].replacen(from, to, 1);
    unlines(&ls)
}

/// `text` with the first hex digit of field `field` (`hash`, `prev`) of line `index` changed.
fn flip_hex_field(text: &str, index: usize, field: &str) -> String {
    let mut ls = lines(text);
    let key = format!("\"{field}\":\"");
    let at = ls[index].find(&key).unwrap() + key.len();
    let mut bytes = ls[index].clone().into_bytes();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    ls[index] = String::from_utf8(bytes).unwrap();
    unlines(&ls)
}

/// The entry on line `index` of `text`, parsed.
fn entry(text: &str, index: usize) -> LogEntry {
    serde_json::from_str(&lines(text)[index]).unwrap()
}

/// The line an entry makes (with its hash recomputed), and that hash.
fn remake(e: &LogEntry) -> (String, String) {
    entry_line(e.seq, e.at, &e.actor, &e.event, &e.decision, &e.prev)
}

/// The problem `verify` finds, asserting its code, entry and line (`entry + 1`).
fn problem(text: &str, expected_head: Option<&str>, code: ProblemCode, entry: u64) -> LogProblem {
    let problem = match verify(text, &pipeline(), expected_head) {
        Ok(v) => panic!(
            "verified ({} entries, head {}), expected {code:?} at entry {entry}",
            v.entries.len(),
            v.head
        ),
        Err(p) => p,
    };
    assert_eq!(
        (problem.code, problem.entry, problem.line),
        (code, entry, entry + 1),
        "{}",
        problem.message
    );
    problem
}

fn verified(text: &str, expected_head: Option<&str>) -> Verified {
    verify(text, &pipeline(), expected_head)
        .unwrap_or_else(|p| panic!("line {}: {:?}: {}", p.line, p.code, p.message))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Write `bytes` as a log, try to `record` one more event on it: the problem `record`
/// reports, after asserting the file did not change by a byte.
fn record_on(name: &str, bytes: &[u8]) -> LogError {
    let dir = Scratch::new(name);
    let path = dir.path("rc-1.jsonl");
    std::fs::write(&path, bytes).unwrap();
    let result = record(
        &path,
        &actor("jenkins"),
        &evidence("inttest", Evidence::QaApproved, Some("late")),
        &pipeline(),
        at(60),
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the log changed");
    match result {
        Ok(r) => panic!("recorded entry {} on a damaged log", r.entry.seq),
        Err(e) => e,
    }
}

/// Re-decide a log's events in its order with `apply`: every recorded decision must be what
/// `apply` decides, and the final state what `verify` replays.
fn assert_decisions_replay(v: &Verified) {
    let pipeline = pipeline();
    let mut state = Release::default();
    for e in &v.entries {
        match (
            apply(&state, &e.actor, &e.event, &pipeline, e.at),
            &e.decision,
        ) {
            (Ok(next), Decision::Accepted) => state = next,
            (Err(refusal), Decision::Refused { reasons }) => {
                assert_eq!(&refusal.reasons, reasons, "entry {}", e.seq)
            }
            (got, recorded) => panic!("entry {}: recorded {recorded:?}, apply says {got:?}", e.seq),
        }
    }
    assert_eq!(state, v.release);
}

// ---------------------------------------------------------------------------------------
// The reference log itself
// ---------------------------------------------------------------------------------------

#[test]
fn reference_log_verifies_and_every_line_is_its_canonical_entry() {
    let dir = Scratch::new("canonical");
    let (text, recorded) = build_log(&dir.path("rc-1.jsonl"));
    let v = verified(&text, None);
    assert_eq!(v.entries.len(), 8);
    assert_eq!(v.head, recorded[7].entry.hash);
    assert_eq!(v.release, recorded[7].release);
    let mut prev = GENESIS.to_string();
    for (i, (line, r)) in lines(&text).iter().zip(&recorded).enumerate() {
        let e = &v.entries[i];
        assert_eq!(e, &r.entry);
        assert_eq!(e.seq, i as u64);
        assert_eq!(e.prev, prev);
        // `hash` is the SHA-256 of the line's bytes before `,"hash":"`, the line is exactly
        // what `entry_line` makes, and the fields come in the documented order.
        let cut = line.find(",\"hash\":\"").unwrap();
        assert_eq!(sha256_hex(&line.as_bytes()[..cut]), e.hash);
        assert_eq!(remake(e), (line.clone(), e.hash.clone()));
        let keys: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
                .unwrap()
                .keys()
                .cloned()
                .collect();
        assert_eq!(
            keys,
            ["seq", "at", "actor", "event", "decision", "prev", "hash"]
        );
        prev.clone_from(&e.hash);
    }
    // The anchor the caller keeps: the head matches.
    verified(&text, Some(&v.head));
}

// ---------------------------------------------------------------------------------------
// Edited bytes
// ---------------------------------------------------------------------------------------

#[test]
fn flipped_byte_in_an_event_is_a_hash_problem_at_that_entry() {
    let text = reference_log();
    // A letter of the environment name.
    let bad = edit_line(&text, 3, "\"inttest\"", "\"inttesu\"");
    let p = problem(&bad, None, ProblemCode::Hash, 3);
    assert!(p.message.contains("edited"), "{}", p.message);
    // A digit of the note.
    problem(
        &edit_line(&text, 3, "run 42", "run 43"),
        None,
        ProblemCode::Hash,
        3,
    );
    // A digit of the time (still a valid time).
    let bad = edit_line(&text, 3, "09:03:00", "09:03:01");
    problem(&bad, None, ProblemCode::Hash, 3);
    // The decision.
    let bad = edit_line(
        &text,
        4,
        "\"outcome\":\"refused\"",
        "\"outcome\":\"accepted\"",
    );
    problem(&bad, None, ProblemCode::Hash, 4);
}

#[test]
fn flipped_byte_in_the_last_entry_is_detected() {
    let text = reference_log();
    let p = problem(
        &edit_line(&text, 7, "\"exttest\"", "\"exttesu\""),
        None,
        ProblemCode::Hash,
        7,
    );
    assert!(p.message.contains("entry 7"), "{}", p.message);
    // The time of the last entry.
    problem(
        &edit_line(&text, 7, "09:07:00", "09:08:00"),
        None,
        ProblemCode::Hash,
        7,
    );
    // The actor of the last entry.
    problem(
        &edit_line(&text, 7, "\"jenkins\"", "\"jenkinz\""),
        None,
        ProblemCode::Hash,
        7,
    );
}

/// An entry's own `hash` and `prev` are its content as much as its event: a changed digit in
/// either fails that entry's hash (checked before the chain), so it is `Hash` at that entry,
/// not `Chain` at the next.
#[test]
fn flipped_byte_in_a_hash_or_prev_field_is_a_hash_problem_at_that_entry() {
    let text = reference_log();
    problem(
        &flip_hex_field(&text, 3, "hash"),
        None,
        ProblemCode::Hash,
        3,
    );
    problem(
        &flip_hex_field(&text, 3, "prev"),
        None,
        ProblemCode::Hash,
        3,
    );
    problem(
        &flip_hex_field(&text, 0, "prev"),
        None,
        ProblemCode::Hash,
        0,
    );
    problem(
        &flip_hex_field(&text, 7, "hash"),
        None,
        ProblemCode::Hash,
        7,
    );
    problem(
        &flip_hex_field(&text, 7, "prev"),
        None,
        ProblemCode::Hash,
        7,
    );
}

// ---------------------------------------------------------------------------------------
// Removed, reordered, inserted entries
// ---------------------------------------------------------------------------------------

#[test]
fn dropped_entry_is_a_sequence_problem_at_its_place() {
    let text = reference_log();
    let mut ls = lines(&text);
    ls.remove(4);
    let p = problem(&unlines(&ls), None, ProblemCode::Sequence, 4);
    assert!(p.message.contains("says it is entry 5"), "{}", p.message);
    assert!(
        p.message.contains("removed, inserted or reordered"),
        "{}",
        p.message
    );
    // The first entry dropped: entry 0 says it is entry 1.
    let mut ls = lines(&text);
    ls.remove(0);
    problem(&unlines(&ls), None, ProblemCode::Sequence, 0);
}

#[test]
fn swapped_entries_are_detected_at_the_first_of_them() {
    let text = reference_log();
    let mut ls = lines(&text);
    ls.swap(2, 3);
    let p = problem(&unlines(&ls), None, ProblemCode::Sequence, 2);
    assert!(p.message.contains("reordered"), "{}", p.message);
    // The last two swapped.
    let mut ls = lines(&text);
    ls.swap(6, 7);
    problem(&unlines(&ls), None, ProblemCode::Sequence, 6);
}

/// Swapped entries renumbered and re-hashed in their new order, by someone who recomputes
/// `seq` and `hash` but leaves `prev` alone: the chain breaks at the first.
#[test]
fn swapped_and_renumbered_entries_break_the_chain() {
    let text = reference_log();
    let mut ls = lines(&text);
    let (mut a, mut b) = (entry(&text, 3), entry(&text, 2));
    a.seq = 2;
    b.seq = 3;
    ls[2] = remake(&a).0;
    ls[3] = remake(&b).0;
    let p = problem(&unlines(&ls), None, ProblemCode::Chain, 2);
    assert!(
        p.message.contains("does not follow entry 1"),
        "{}",
        p.message
    );
}

/// A forged entry, with the right `seq`, `prev` and hash, slipped in: the entry after it
/// is out of sequence.
#[test]
fn inserted_entry_is_detected_at_the_next() {
    let text = reference_log();
    let before = entry(&text, 4);
    let (forged, _) = entry_line(
        5,
        at(4),
        &actor("mallory"),
        &evidence("inttest", Evidence::QaApproved, None),
        &Decision::Accepted,
        &before.hash,
    );
    let mut ls = lines(&text);
    ls.insert(5, forged);
    problem(&unlines(&ls), None, ProblemCode::Sequence, 6);
}

// ---------------------------------------------------------------------------------------
// Cut short, tail removed
// ---------------------------------------------------------------------------------------

#[test]
fn file_cut_in_the_middle_of_the_last_line_is_malformed_cut_short() {
    let text = reference_log();
    let start = text[..text.len() - 1].rfind('\n').unwrap() + 1;
    let cut = &text[..start + (text.len() - start) / 2];
    let p = problem(cut, None, ProblemCode::Malformed, 7);
    assert!(p.message.contains("cut short"), "{}", p.message);
    // Only the final newline missing: cut short too.
    let p = problem(&text[..text.len() - 1], None, ProblemCode::Malformed, 7);
    assert!(p.message.contains("cut short"), "{}", p.message);
    // Cut in the middle of an earlier line (the rest of the file lost).
    let third = lines(&text)[..3].iter().map(|l| l.len() + 1).sum::<usize>();
    problem(&text[..third + 10], None, ProblemCode::Malformed, 3);
}

/// No chain shows its own end removed: without an anchor the shorter log verifies; with
/// the head kept elsewhere, it is `Head`, after the entries that remain.
#[test]
fn removed_last_entry_verifies_alone_but_not_against_the_kept_head() {
    let text = reference_log();
    let head = verified(&text, None).head;
    let mut ls = lines(&text);
    ls.pop();
    let shorter = unlines(&ls);
    let v = verified(&shorter, None);
    assert_eq!(v.entries.len(), 7);
    assert_eq!(v.head, entry(&text, 6).hash);
    let p = problem(&shorter, Some(&head), ProblemCode::Head, 7);
    assert!(p.message.contains("removed from its end"), "{}", p.message);
    assert!(p.message.contains(&head), "{}", p.message);
    // Everything removed: an empty log, at GENESIS, is not the kept head either.
    problem("", Some(&head), ProblemCode::Head, 0);
    // An entry appended after the anchor was taken: `Head` too.
    let anchored_at_7 = v.head.clone();
    problem(&text, Some(&anchored_at_7), ProblemCode::Head, 8);
}

// ---------------------------------------------------------------------------------------
// Edits by someone who recomputes hashes
// ---------------------------------------------------------------------------------------

#[test]
fn edited_entry_with_recomputed_hash_breaks_the_chain_at_the_next() {
    let text = reference_log();
    let mut e = entry(&text, 3);
    e.event = evidence("inttest", Evidence::TestsPassed, Some("run 43"));
    let mut ls = lines(&text);
    ls[3] = remake(&e).0;
    let bad = unlines(&ls);
    let p = problem(&bad, None, ProblemCode::Chain, 4);
    assert!(
        p.message.contains("does not follow entry 3"),
        "{}",
        p.message
    );
    // Edited last entry, re-hashed: only the kept head shows it.
    let head = verified(&text, None).head;
    let mut e = entry(&text, 7);
    e.actor = actor("mallory");
    let mut ls = lines(&text);
    ls[7] = remake(&e).0;
    let bad = unlines(&ls);
    verified(&bad, None);
    problem(&bad, Some(&head), ProblemCode::Head, 8);
}

/// The whole tail rewritten from entry 3, every `prev` and `hash` recomputed: a consistent
/// chain, which only the kept head tells from the real one.
#[test]
fn rewritten_tail_verifies_alone_but_not_against_the_kept_head() {
    let text = reference_log();
    let head = verified(&text, None).head;
    let mut ls = lines(&text);
    let mut prev = entry(&text, 2).hash;
    for (i, line) in ls.iter_mut().enumerate().skip(3) {
        let mut e: LogEntry = serde_json::from_str(line).unwrap();
        if i == 3 {
            e.event = evidence("inttest", Evidence::TestsPassed, Some("run 43"));
        }
        e.prev = prev;
        let (l, h) = remake(&e);
        *line = l;
        prev = h;
    }
    let bad = unlines(&ls);
    assert_eq!(verified(&bad, None).entries.len(), 8);
    problem(&bad, Some(&head), ProblemCode::Head, 8);
}

// ---------------------------------------------------------------------------------------
// Lines that are not entries
// ---------------------------------------------------------------------------------------

#[test]
fn garbage_line_is_malformed() {
    let text = reference_log();
    let mut ls = lines(&text);
    ls[5] = "garbage".into();
    let p = problem(&unlines(&ls), None, ProblemCode::Malformed, 5);
    assert!(p.message.contains("no hash"), "{}", p.message);
    // Something that looks like it has a hash, but is not JSON.
    ls[5] = format!("not json,\"hash\":\"{GENESIS}\"}}");
    let p = problem(&unlines(&ls), None, ProblemCode::Malformed, 5);
    assert!(p.message.contains("not a log entry"), "{}", p.message);
    // An empty line.
    let mut ls = lines(&text);
    ls.insert(2, String::new());
    problem(&unlines(&ls), None, ProblemCode::Malformed, 2);
}

#[test]
fn non_utf8_bytes_are_malformed_or_a_hash_problem() {
    let text = reference_log();
    // A line of raw bytes, read leniently: not an entry.
    let mut bytes = Vec::new();
    for (i, l) in lines(&text).iter().enumerate() {
        if i == 5 {
            bytes.extend_from_slice(b"\xff\xfe\x00garbage\x80");
        } else {
            bytes.extend_from_slice(l.as_bytes());
        }
        bytes.push(b'\n');
    }
    problem(
        &String::from_utf8_lossy(&bytes),
        None,
        ProblemCode::Malformed,
        5,
    );
    // A byte inside a string replaced by an invalid one: still JSON once read leniently,
    // but not the bytes that were hashed.
    let bad = text.replacen("run 42", "run \u{fffd}2", 1);
    problem(&bad, None, ProblemCode::Hash, 3);
}

#[test]
fn line_missing_its_hash_is_malformed() {
    let text = reference_log();
    let mut ls = lines(&text);
    let cut = ls[2].find(",\"hash\":\"").unwrap();
    ls[2] = format!("{}}}", &ls[2][..cut]);
    let p = problem(&unlines(&ls), None, ProblemCode::Malformed, 2);
    assert!(p.message.contains("entry 2 has no hash"), "{}", p.message);
    // The hash's value emptied: the key is there, the value does not match.
    let mut ls = lines(&text);
    let e = entry(&text, 2);
    ls[2] = ls[2].replace(&e.hash, "");
    problem(&unlines(&ls), None, ProblemCode::Hash, 2);
}

#[test]
fn unknown_or_duplicate_field_is_malformed() {
    let text = reference_log();
    problem(
        &edit_line(&text, 1, "{\"seq\":1,", "{\"seq\":1,\"extra\":1,"),
        None,
        ProblemCode::Malformed,
        1,
    );
    // A field after the hash (outside what the hash covers) is rejected, not ignored.
    let mut ls = lines(&text);
    ls[1] = format!("{},\"seq\":1}}", ls[1].strip_suffix('}').unwrap());
    problem(&unlines(&ls), None, ProblemCode::Malformed, 1);
}

#[test]
fn empty_log_verifies_with_no_entries_at_genesis() {
    let v = verified("", None);
    assert!(v.entries.is_empty());
    assert_eq!(v.head, GENESIS);
    assert_eq!(v.release, Release::default());
    verified("", Some(GENESIS));
}

// ---------------------------------------------------------------------------------------
// The candidate
// ---------------------------------------------------------------------------------------

#[test]
fn accepted_event_before_the_candidate_is_a_candidate_problem() {
    let (line, _) = entry_line(
        0,
        at(0),
        &actor("mallory"),
        &deployed("inttest"),
        &Decision::Accepted,
        GENESIS,
    );
    let p = problem(&format!("{line}\n"), None, ProblemCode::Candidate, 0);
    assert!(p.message.contains("creates its candidate"), "{}", p.message);
    // Behind a real first entry's prefix: a refused event first is fine, an accepted one not.
    let (refused, h) = entry_line(
        0,
        at(0),
        &actor("jenkins"),
        &deployed("inttest"),
        &Decision::Refused { reasons: vec![] },
        GENESIS,
    );
    let (accepted, _) = entry_line(
        1,
        at(1),
        &actor("jenkins"),
        &deployed("inttest"),
        &Decision::Accepted,
        &h,
    );
    problem(
        &format!("{refused}\n{accepted}\n"),
        None,
        ProblemCode::Candidate,
        1,
    );
}

#[test]
fn second_accepted_candidate_is_a_candidate_problem() {
    let text = reference_log();
    let last = entry(&text, 7);
    let (line, _) = entry_line(
        8,
        at(8),
        &actor("mallory"),
        &created(),
        &Decision::Accepted,
        &last.hash,
    );
    problem(&format!("{text}{line}\n"), None, ProblemCode::Candidate, 8);
}

/// An event recorded before the candidate exists is refused, logged, and the candidate
/// created after it is the log's first accepted event.
#[test]
fn refused_event_before_the_candidate_is_logged_and_the_log_verifies() {
    let dir = Scratch::new("before-candidate");
    let path = dir.path("rc-1.jsonl");
    let p = pipeline();
    let first = record(&path, &actor("jenkins"), &deployed("inttest"), &p, at(0)).unwrap();
    let Decision::Refused { reasons } = &first.entry.decision else {
        panic!("{:?}", first.entry.decision)
    };
    assert_eq!(reasons[0].code.as_str(), "candidate/missing");
    assert_eq!(first.release, Release::default());
    let second = record(&path, &actor("alice"), &created(), &p, at(1)).unwrap();
    assert_eq!(second.entry.decision, Decision::Accepted);
    let v = verified(
        &std::fs::read_to_string(&path).unwrap(),
        Some(&second.entry.hash),
    );
    assert_eq!(v.entries.len(), 2);
    assert_eq!(v.release, second.release);
}

// ---------------------------------------------------------------------------------------
// `record` on a damaged log
// ---------------------------------------------------------------------------------------

#[test]
fn record_refuses_a_corrupt_log_and_leaves_it_untouched() {
    let text = reference_log();
    let mut dropped = lines(&text);
    dropped.remove(4);
    let cases: Vec<(&str, String, ProblemCode, u64)> = vec![
        (
            "edited",
            edit_line(&text, 3, "run 42", "run 43"),
            ProblemCode::Hash,
            3,
        ),
        ("dropped", unlines(&dropped), ProblemCode::Sequence, 4),
        (
            "cut",
            text[..text.len() - 20].to_string(),
            ProblemCode::Malformed,
            7,
        ),
        (
            "garbage",
            format!("{text}garbage\n"),
            ProblemCode::Malformed,
            8,
        ),
    ];
    for (name, bad, code, at_entry) in cases {
        match record_on(name, bad.as_bytes()) {
            LogError::Corrupt { problem, path } => {
                assert_eq!(
                    (problem.code, problem.entry, problem.line),
                    (code, at_entry, at_entry + 1),
                    "{name}"
                );
                assert!(path.ends_with("rc-1.jsonl"));
            }
            e => panic!("{name}: {e}"),
        }
    }
}

/// A log with bytes that are not UTF-8 does not verify: `record` says so, as for any other
/// damage (`Corrupt`, malformed at the line of the first bad byte), not as an I/O error.
#[test]
fn record_refuses_a_non_utf8_log_as_corrupt() {
    let text = reference_log();
    let mut bytes = text.clone().into_bytes();
    let third = lines(&text)[..3].iter().map(|l| l.len() + 1).sum::<usize>();
    bytes[third + 3] = 0xff;
    match record_on("non-utf8", &bytes) {
        LogError::Corrupt { problem, .. } => {
            assert_eq!(
                (problem.code, problem.entry, problem.line),
                (ProblemCode::Malformed, 3, 4)
            );
            assert!(problem.message.contains("not UTF-8"), "{}", problem.message);
        }
        e => panic!("{e:?}"),
    }
    // In the first line.
    let mut first = text.clone().into_bytes();
    first[1] = 0x80;
    match record_on("non-utf8-first", &first) {
        LogError::Corrupt { problem, .. } => {
            assert_eq!(
                (problem.code, problem.entry, problem.line),
                (ProblemCode::Malformed, 0, 1)
            );
        }
        e => panic!("{e:?}"),
    }
    // An entry before the bad bytes was edited: that is the first bad entry.
    let mut both = edit_line(&text, 1, "\"inttest\"", "\"inttesu\"").into_bytes();
    both[third + 3] = 0xff;
    match record_on("non-utf8-after-edit", &both) {
        LogError::Corrupt { problem, .. } => {
            assert_eq!(
                (problem.code, problem.entry, problem.line),
                (ProblemCode::Hash, 1, 2)
            );
        }
        e => panic!("{e:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Refused events, replay
// ---------------------------------------------------------------------------------------

#[test]
fn refused_events_are_logged_with_reasons_and_change_nothing() {
    let dir = Scratch::new("refused");
    let (text, recorded) = build_log(&dir.path("rc-1.jsonl"));
    let refused = &recorded[4];
    let Decision::Refused { reasons } = &refused.entry.decision else {
        panic!("{:?}", refused.entry.decision)
    };
    let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["gate/not-requested"]);
    assert_eq!(reasons[0].environment.as_deref(), Some("exttest"));
    // The line says so.
    let line = &lines(&text)[4];
    assert!(
        line.contains(
            "\"decision\":{\"outcome\":\"refused\",\"reasons\":[{\"code\":\"gate/not-requested\""
        ),
        "{line}"
    );
    // The state after it is the state before it, in `record`'s answer and in the replay.
    assert_eq!(refused.release, recorded[3].release);
    let ls = lines(&text);
    let upto = |n: usize| verified(&unlines(&ls[..n]), None).release;
    assert_eq!(upto(5), upto(4));
    assert_ne!(upto(4), upto(3));
    // Every other event was accepted.
    for (i, r) in recorded.iter().enumerate().filter(|(i, _)| *i != 4) {
        assert_eq!(r.entry.decision, Decision::Accepted, "entry {i}");
    }
    // A refused event as the last entry still moves the head.
    let more = record(
        &dir.path("rc-1.jsonl"),
        &actor("jenkins"),
        &evidence("prod", Evidence::QaApproved, None),
        &pipeline(),
        at(8),
    )
    .unwrap();
    assert!(
        matches!(&more.entry.decision, Decision::Refused { reasons } if reasons[0].code.as_str() == "environment/unknown")
    );
    assert_eq!(more.release, recorded[7].release);
    let v = verified(
        &std::fs::read_to_string(dir.path("rc-1.jsonl")).unwrap(),
        Some(&more.entry.hash),
    );
    assert_eq!(v.release, recorded[7].release);
}

#[test]
fn replay_equals_applying_the_events_in_memory() {
    let dir = Scratch::new("replay");
    let (text, recorded) = build_log(&dir.path("rc-1.jsonl"));
    let p = pipeline();
    let mut state = Release::default();
    for (i, ((who, event, when), r)) in script().iter().zip(&recorded).enumerate() {
        match apply(&state, who, event, &p, *when) {
            Ok(next) => {
                assert_eq!(r.entry.decision, Decision::Accepted, "entry {i}");
                state = next;
            }
            Err(refusal) => assert_eq!(
                r.entry.decision,
                Decision::Refused {
                    reasons: refusal.reasons
                },
                "entry {i}"
            ),
        }
        assert_eq!(r.release, state, "entry {i}");
        // The log up to here replays to the same state.
        let prefix = unlines(&lines(&text)[..=i]);
        assert_eq!(
            verified(&prefix, Some(&r.entry.hash)).release,
            state,
            "entry {i}"
        );
    }
    let v = verified(&text, None);
    assert_eq!(v.release, state);
    assert_decisions_replay(&v);
    let candidate = v.release.candidate.as_ref().unwrap();
    assert_eq!(
        (candidate.id.as_str(), candidate.author.as_str()),
        ("rc-1", "alice")
    );
}

// ---------------------------------------------------------------------------------------
// Concurrent writers
// ---------------------------------------------------------------------------------------

const WRITERS: usize = 4;
const PER_WRITER: usize = 25;
const THREADS: usize = 8;
const ENV_LOG: &str = "EHDEPLOY_AUDIT_LOG_TEST_WRITER_LOG";
const ENV_ID: &str = "EHDEPLOY_AUDIT_LOG_TEST_WRITER_ID";
const ENV_GO: &str = "EHDEPLOY_AUDIT_LOG_TEST_WRITER_GO";

/// The events writer `id` appends: a deployment of inttest every fifth, evidence with a note
/// naming the writer and the event otherwise. Their decisions depend on the interleaving.
fn append_as_writer(path: &Path, id: usize) {
    let p = pipeline();
    let who = actor(&format!("writer-{id}"));
    for i in 0..PER_WRITER {
        let event = if i % 5 == 0 {
            deployed("inttest")
        } else {
            evidence("inttest", Evidence::ALL[i % 4], Some(&format!("w{id}-{i}")))
        };
        let when = at(i64::try_from(1 + i).unwrap());
        record(path, &who, &event, &p, when).unwrap();
    }
}

/// Not a test on its own: the writer child that `concurrent_processes_never_lose_or_interleave`
/// runs (this binary re-executed with the environment naming the log). Does nothing otherwise.
#[test]
fn writer_child_process() {
    let (Ok(path), Ok(id)) = (std::env::var(ENV_LOG), std::env::var(ENV_ID)) else {
        return;
    };
    // Start together: wait for the parent's signal.
    let go = PathBuf::from(std::env::var(ENV_GO).unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !go.exists() {
        assert!(Instant::now() < deadline, "no go signal");
        std::thread::sleep(Duration::from_millis(1));
    }
    append_as_writer(Path::new(&path), id.parse().unwrap());
}

/// The log after concurrent writers: it verifies, has `1 + writers × PER_WRITER` whole lines
/// with `seq` 0..N, each writer's entries all there and in its order, and every decision the
/// one re-deciding the events in the log's order gives (no writer decided on a stale log).
fn assert_concurrent_log(path: &Path, writers: usize) {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let v = verified(&text, None);
    let n = 1 + writers * PER_WRITER;
    assert_eq!(v.entries.len(), n);
    assert_eq!(text.matches('\n').count(), n);
    for (i, line) in lines(&text).iter().enumerate() {
        let e: LogEntry = serde_json::from_str(line)
            .unwrap_or_else(|err| panic!("line {}: {err}: {line}", i + 1));
        assert_eq!(e.seq, i as u64);
        assert_eq!(e.hash, v.entries[i].hash);
    }
    for id in 0..writers {
        let name = format!("writer-{id}");
        let mine: Vec<&LogEntry> = v.entries.iter().filter(|e| e.actor.name == name).collect();
        assert_eq!(mine.len(), PER_WRITER, "{name}");
        // In the writer's order: its times never go back, and its notes come in order.
        assert!(mine.windows(2).all(|w| w[0].at < w[1].at), "{name}");
        let notes: Vec<String> = mine
            .iter()
            .filter_map(|e| match &e.event {
                Event::Evidence { note, .. } => note.clone(),
                _ => None,
            })
            .collect();
        let expected: Vec<String> = (0..PER_WRITER)
            .filter(|i| i % 5 != 0)
            .map(|i| format!("w{id}-{i}"))
            .collect();
        assert_eq!(notes, expected, "{name}");
    }
    assert_decisions_replay(&v);
}

#[test]
fn concurrent_processes_never_lose_or_interleave() {
    let dir = Scratch::new("processes");
    let path = dir.path("rc-1.jsonl");
    let go = dir.path("go");
    record(&path, &actor("alice"), &created(), &pipeline(), at(0)).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..WRITERS)
        .map(|id| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "writer_child_process",
                    "--test-threads=1",
                    "--nocapture",
                ])
                .env(ENV_LOG, &path)
                .env(ENV_ID, id.to_string())
                .env(ENV_GO, &go)
                .spawn()
                .unwrap()
        })
        .collect();
    // Let them start, then release them at once.
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&go, b"").unwrap();
    for mut child in children {
        let status = child.wait().unwrap();
        assert!(status.success(), "a writer failed: {status}");
    }
    assert_concurrent_log(&path, WRITERS);
}

#[test]
fn concurrent_threads_never_lose_or_interleave() {
    let dir = Scratch::new("threads");
    let path = dir.path("rc-1.jsonl");
    record(&path, &actor("alice"), &created(), &pipeline(), at(0)).unwrap();
    let barrier = std::sync::Barrier::new(THREADS);
    std::thread::scope(|s| {
        for id in 0..THREADS {
            let (path, barrier) = (&path, &barrier);
            s.spawn(move || {
                barrier.wait();
                append_as_writer(path, id);
            });
        }
    });
    assert_concurrent_log(&path, THREADS);
}

/// A log that does not exist yet is created, its directory too, by the first `record`.
#[test]
fn record_creates_the_log_and_its_directory() {
    let dir = Scratch::new("create");
    let path = dir.path("logs/nested/rc-1.jsonl");
    let r = record(&path, &actor("alice"), &created(), &pipeline(), at(0)).unwrap();
    assert_eq!((r.entry.seq, r.entry.prev.as_str()), (0, GENESIS));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(verified(&text, Some(&r.entry.hash)).entries, vec![r.entry]);
}
