//! The pipeline compiled from the platform file: environments in order, each with its gates
//! parsed (roles, durations, windows in the time zone), and the hotfix lane.

use std::collections::HashMap;

use jiff::civil::{DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};

use super::config::{Day, Entry, Evidence, PipelineConfig, StageConfig};
use crate::source::escape_pointer_token;

/// The release pipeline: what [`apply`](super::apply) checks every event against.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The stages, in promotion order (one per environment of the platform).
    pub stages: Vec<Stage>,
    /// The time zone of windows and of the times refusals name.
    pub time_zone: TimeZone,
    /// Its IANA name (`UTC` by default).
    pub time_zone_name: String,
    /// The hotfix lane, if the platform has one.
    pub hotfix: Option<Hotfix>,
}

/// One environment's gates.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The environment.
    pub environment: String,
    /// How a candidate gets in.
    pub entry: Entry,
    /// Roles that may request and perform the promotion (empty: anyone).
    pub promoters: Vec<String>,
    /// Roles whose approvals count (empty: anyone's).
    pub approvers: Vec<String>,
    /// Distinct approvals needed.
    pub approvals: u32,
    /// Approvers are never the author or the requester.
    pub four_eyes: bool,
    /// Weekly blocked windows.
    pub blocked: Vec<Weekly>,
    /// Freezes.
    pub freezes: Vec<Frozen>,
    /// Evidence needed to leave.
    pub exit_evidence: Vec<Evidence>,
    /// Time to run here before leaving.
    pub soak: SignedDuration,
}

/// A weekly blocked window, compiled.
#[derive(Debug, Clone)]
pub struct Weekly {
    /// Days (all when empty).
    pub days: Vec<Weekday>,
    /// Start of the day's window.
    pub from: Time,
    /// End of the day's window; `None` is midnight at the end of the day.
    pub to: Option<Time>,
}

/// A freeze, compiled.
#[derive(Debug, Clone)]
pub struct Frozen {
    /// Start (inclusive).
    pub from: Timestamp,
    /// End (exclusive).
    pub to: Timestamp,
    /// Why.
    pub reason: Option<String>,
}

/// The hotfix lane, compiled.
#[derive(Debug, Clone, Default)]
pub struct Hotfix {
    /// Environments a hotfix may skip.
    pub may_skip: Vec<String>,
    /// Shorter soak times during a hotfix, by environment.
    pub soak: HashMap<String, SignedDuration>,
    /// A justification is required.
    pub require_justification: bool,
    /// A ticket id is required.
    pub require_ticket: bool,
    /// A role one approver of each promotion during a hotfix must have.
    pub approval_role: Option<String>,
}

impl Pipeline {
    /// The pipeline of these environments (in order) with the platform file's `pipeline:`
    /// section; the problems as (JSON pointer in the platform file, message) pairs.
    pub fn compile(
        environments: &[String],
        config: &PipelineConfig,
    ) -> (Pipeline, Vec<(String, String)>) {
        let mut problems = Vec::new();
        let zone_name = config.time_zone.clone().unwrap_or_else(|| "UTC".into());
        let time_zone = match TimeZone::get(&zone_name) {
            Ok(tz) => tz,
            Err(e) => {
                problems.push((
                    "/pipeline/timeZone".into(),
                    format!("`{zone_name}` is not a time zone: {e}"),
                ));
                TimeZone::UTC
            }
        };
        for name in config.stages.keys() {
            if !environments.contains(name) {
                problems.push((
                    format!("/pipeline/stages/{}", escape_pointer_token(name)),
                    format!("`{name}` is not an environment of the platform"),
                ));
            }
        }
        let default = StageConfig {
            four_eyes: true,
            ..Default::default()
        };
        let stages = environments
            .iter()
            .map(|env| {
                let config = config.stages.get(env).unwrap_or(&default);
                let at = format!("/pipeline/stages/{}", escape_pointer_token(env));
                compile_stage(env, config, &at, &time_zone, &mut problems)
            })
            .collect();
        let hotfix = config.hotfix.as_ref().map(|h| {
            for (i, env) in h.may_skip.iter().enumerate() {
                if !environments.contains(env) {
                    problems.push((
                        format!("/pipeline/hotfix/maySkip/{i}"),
                        format!("`{env}` is not an environment of the platform"),
                    ));
                }
                if environments.first() == Some(env) {
                    problems.push((
                        format!("/pipeline/hotfix/maySkip/{i}"),
                        format!("`{env}` is where a candidate starts: it cannot be skipped"),
                    ));
                }
            }
            let soak = h
                .soak
                .iter()
                .filter_map(|(env, text)| {
                    let at = format!("/pipeline/hotfix/soak/{}", escape_pointer_token(env));
                    if !environments.contains(env) {
                        problems
                            .push((at, format!("`{env}` is not an environment of the platform")));
                        return None;
                    }
                    duration(text, &at, &mut problems).map(|d| (env.clone(), d))
                })
                .collect();
            Hotfix {
                may_skip: h.may_skip.clone(),
                soak,
                require_justification: h.require_justification,
                require_ticket: h.require_ticket,
                approval_role: h.approval_role.clone(),
            }
        });
        let pipeline = Pipeline {
            stages,
            time_zone,
            time_zone_name: zone_name,
            hotfix,
        };
        (pipeline, problems)
    }

    /// The position of an environment in the pipeline.
    pub fn index(&self, environment: &str) -> Option<usize> {
        self.stages
            .iter()
            .position(|s| s.environment == environment)
    }

    /// `at` as a person reads it in the pipeline's time zone: `Mon 08:00 Europe/Copenhagen`.
    pub fn local(&self, at: Timestamp) -> String {
        let z: Zoned = at.to_zoned(self.time_zone.clone());
        format!(
            "{} {}",
            z.strftime("%a %Y-%m-%d %H:%M"),
            self.time_zone_name
        )
    }

    /// When promotions into `stage` are allowed again, if `now` is inside one of its blocked
    /// windows or freezes (`None`: allowed now); with the freeze's reason, if one holds it.
    pub fn blocked_until(
        &self,
        stage: &Stage,
        now: Timestamp,
    ) -> Option<(Timestamp, Option<String>)> {
        let mut at = now;
        let mut reason = None;
        // Windows may chain (Fri 12:00-24:00, then Sat and Sun): follow them to the end.
        for _ in 0..64 {
            let mut moved = false;
            for f in &stage.freezes {
                if f.from <= at && at < f.to {
                    at = f.to;
                    reason = reason.or_else(|| f.reason.clone());
                    moved = true;
                }
            }
            let local = at.to_zoned(self.time_zone.clone());
            for w in &stage.blocked {
                if let Some(end) = w.end_if_inside(&local) {
                    at = end;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        (at != now).then_some((at, reason))
    }
}

impl Weekly {
    /// The end of this window if `local` is inside it.
    fn end_if_inside(&self, local: &Zoned) -> Option<Timestamp> {
        if !self.days.is_empty() && !self.days.contains(&local.weekday()) {
            return None;
        }
        let time = local.time();
        let inside = time >= self.from && self.to.is_none_or(|to| time < to);
        if !inside {
            return None;
        }
        let end = match self.to {
            Some(to) => local.with().time(to).build().ok()?,
            None => local.tomorrow().ok()?.start_of_day().ok()?,
        };
        Some(end.timestamp())
    }
}

fn compile_stage(
    env: &str,
    c: &StageConfig,
    at: &str,
    tz: &TimeZone,
    problems: &mut Vec<(String, String)>,
) -> Stage {
    let blocked = c
        .blocked
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let at = format!("{at}/blocked/{i}");
            let from = w
                .from
                .as_deref()
                .and_then(|t| time_of_day(t, &format!("{at}/from"), problems))
                .unwrap_or(Time::midnight());
            let to =
                w.to.as_deref()
                    .filter(|t| *t != "24:00")
                    .and_then(|t| time_of_day(t, &format!("{at}/to"), problems));
            if to.is_some_and(|to| to <= from) {
                problems.push((
                    format!("{at}/to"),
                    "the window ends before it starts".into(),
                ));
            }
            Weekly {
                days: w.days.iter().map(|d| weekday(*d)).collect(),
                from,
                to,
            }
        })
        .collect();
    let freezes = c
        .freezes
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let at = format!("{at}/freezes/{i}");
            let from = local_instant(&f.from, tz, &format!("{at}/from"), problems)?;
            let to = local_instant(&f.to, tz, &format!("{at}/to"), problems)?;
            if to <= from {
                problems.push((
                    format!("{at}/to"),
                    "the freeze ends before it starts".into(),
                ));
            }
            Some(Frozen {
                from,
                to,
                reason: f.reason.clone(),
            })
        })
        .collect();
    let soak = c
        .exit
        .soak
        .as_deref()
        .and_then(|s| duration(s, &format!("{at}/exit/soak"), problems))
        .unwrap_or(SignedDuration::ZERO);
    if let Entry::PullRequest {
        source_branch,
        target_branch,
    } = &c.entry
    {
        if source_branch == target_branch {
            problems.push((
                format!("{at}/entry"),
                format!("a pull request into `{env}` goes from one branch to another"),
            ));
        }
    }
    Stage {
        environment: env.to_string(),
        entry: c.entry.clone(),
        promoters: c.promoters.clone(),
        approvers: c.approvers.clone(),
        approvals: c.approvals,
        four_eyes: c.four_eyes,
        blocked,
        freezes,
        exit_evidence: c.exit.evidence.clone(),
        soak,
    }
}

fn weekday(d: Day) -> Weekday {
    match d {
        Day::Mon => Weekday::Monday,
        Day::Tue => Weekday::Tuesday,
        Day::Wed => Weekday::Wednesday,
        Day::Thu => Weekday::Thursday,
        Day::Fri => Weekday::Friday,
        Day::Sat => Weekday::Saturday,
        Day::Sun => Weekday::Sunday,
    }
}

/// `24h`, `90m`, `2d`, `1h 30m` (or ISO 8601, `PT24H`); never negative.
fn duration(text: &str, at: &str, problems: &mut Vec<(String, String)>) -> Option<SignedDuration> {
    // Days are 24 hours here: a soak time is elapsed time, not calendar days.
    let parsed = text
        .strip_suffix('d')
        .and_then(|d| d.trim().parse::<i64>().ok())
        .map(|d| SignedDuration::from_hours(d.saturating_mul(24)))
        .map_or_else(
            || text.parse::<SignedDuration>().map_err(|e| e.to_string()),
            Ok,
        );
    match parsed {
        Ok(d) if !d.is_negative() => Some(d),
        Ok(_) => {
            problems.push((at.into(), format!("`{text}` is negative")));
            None
        }
        Err(e) => {
            problems.push((
                at.into(),
                format!("`{text}` is not a duration (`24h`, `90m`, `2d`): {e}"),
            ));
            None
        }
    }
}

fn time_of_day(text: &str, at: &str, problems: &mut Vec<(String, String)>) -> Option<Time> {
    match text.parse::<Time>() {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push((
                at.into(),
                format!("`{text}` is not a time of day (`HH:MM`): {e}"),
            ));
            None
        }
    }
}

/// A local date-time (`2026-12-21T08:00`) or date (`2026-12-21`, its midnight) in `tz`.
fn local_instant(
    text: &str,
    tz: &TimeZone,
    at: &str,
    problems: &mut Vec<(String, String)>,
) -> Option<Timestamp> {
    let civil = text.parse::<DateTime>().or_else(|_| {
        text.parse::<jiff::civil::Date>()
            .map(|d| d.to_datetime(Time::midnight()))
    });
    match civil.and_then(|dt| dt.to_zoned(tz.clone())) {
        Ok(z) => Some(z.timestamp()),
        Err(e) => {
            problems.push((
                at.into(),
                format!("`{text}` is not a local date-time (`2026-12-21T08:00`) or date: {e}"),
            ));
            None
        }
    }
}
