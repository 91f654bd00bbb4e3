//! The scenario file format: serde types read from RON.
//!
//! Everything here is plain data. Hidden truth (the root cause, GM notes, the states themselves) lives in
//! these types too, which is why the session never hands a volunteer anything built from them directly.

use super::SimDuration;
pub use super::fleet::{Fleet, MAX_FLEET, Members, member_owner};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The newest scenario format version this build reads.
pub const SCHEMA_VERSION: u32 = 1;

/// One historical incident, scripted as a state machine over a simulated topology.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; see [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Who, what and where from.
    pub meta: Meta,
    /// Wall-clock anchoring and history length.
    #[serde(default)]
    pub clock: ClockSpec,
    /// The simulated topology.
    pub services: Vec<Service>,
    /// Deploys and configuration changes, visible once their time has come.
    #[serde(default)]
    pub changes: Vec<Change>,
    /// Feature flags and their values.
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// Threshold alert rules over metrics.
    #[serde(default)]
    pub alerts: Vec<AlertRule>,
    /// Service level objectives.
    #[serde(default)]
    pub slos: Vec<Slo>,
    /// How budget burn maps to severities.
    #[serde(default)]
    pub severity_policy: SeverityPolicy,
    /// Parallel state machines; the first one is the incident whose resolution ends the drill well.
    pub tracks: Vec<Track>,
    /// Mitigations and other actions a volunteer can take with `mitigate`.
    pub actions: Vec<Action>,
    /// Numbers actions accumulate, which triggers can compare.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<Counter>,
    /// The hidden truth, revealed in the debrief.
    pub root_cause: RootCause,
    /// Graded hints, mildest first.
    #[serde(default)]
    pub hints: Vec<Hint>,
    /// Runbooks the volunteer can read.
    #[serde(default)]
    pub runbooks: Vec<Runbook>,
    /// Messages from simulated people (chat, tickets).
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Simulated time each command costs, overriding the defaults, keyed by command name.
    #[serde(default)]
    pub costs: BTreeMap<String, SimDuration>,
    /// How a run is scored.
    pub rubric: Rubric,
    /// The commands of a good run; tests play them to prove the scenario is solvable.
    pub walkthrough: Vec<String>,
    /// Teams the volunteer can `escalate` to or `page`, and what they answer (without one, the GM answers).
    #[serde(default)]
    pub teams: Vec<Team>,
    /// Free-form notes for the Game Master.
    #[serde(default)]
    pub gm_notes: String,
    /// What the Game Master can inject, and how solo mode stands in for a GM.
    #[serde(default)]
    pub gm: GmSpec,
    /// Derived metrics, controllers, capacities and capacity-limited recoveries.
    // Left out of the content hash when empty, so files written before processes keep their version.
    #[serde(default, skip_serializing_if = "super::Processes::is_empty")]
    pub processes: super::Processes,
    /// The responders' own tools and how states degrade them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<super::Tool>,
    /// On-demand diagnostics the volunteer runs with `run` (a profiler, `EXPLAIN`, a heap dump).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<super::Diagnostic>,
    /// Links, gateways, load balancers and DNS zones that dependency edges cross (`via`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<super::NetworkElement>,
    /// Traffic patterns (daily shape, top-of-hour spikes, weekends and holidays) applied to request rates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load: Vec<super::LoadPattern>,
}

/// The Game Master's tools in a scenario: named injects, scripted answers and hint pacing for solo mode.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GmSpec {
    /// The scenario's `Gm("...")` triggers, described for the GM console.
    #[serde(default)]
    pub injects: Vec<Inject>,
    /// Answers to a volunteer's `ask` when no GM is there, matched by keywords.
    #[serde(default)]
    pub answers: Vec<ScriptedAnswer>,
    /// In solo mode, offer the next hint after this long without progress.
    #[serde(default)]
    pub hint_after: Option<SimDuration>,
}

/// A named GM trigger.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    /// The name `Gm("...")` triggers use and the GM types after `inject`.
    pub name: String,
    /// What firing it does, for the GM.
    #[serde(default)]
    pub description: String,
    /// In solo mode (no GM), fire it by itself at this time after the page.
    #[serde(default)]
    pub auto: Option<SimDuration>,
}

/// A scripted answer to `ask`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedAnswer {
    /// The question matches when it contains any of these words (case-insensitive).
    pub keywords: Vec<String>,
    /// Who answers, e.g. `Dana (DBA)`.
    #[serde(default)]
    pub from: String,
    /// The answer.
    pub text: String,
}

impl Scenario {
    /// SHA-256 (hex) of the scenario's parsed content: its version, unchanged by reformatting or comments.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A team that can be escalated to or paged.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Name used by `escalate <id>` and `page <id>`.
    pub id: String,
    /// Who answers, as the inbox shows them.
    pub from: String,
    /// What they answer; empty when the Game Master answers live.
    #[serde(default)]
    pub answer: String,
}

/// Identification and framing of a scenario.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short stable identifier, e.g. `signup-outage`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// What the volunteer is told when paged.
    pub briefing: String,
    /// What really happened, for the GM.
    pub gm_summary: String,
    /// Where it comes from: the public postmortem's address (or "seed example") and the incident's date,
    /// written `source: "https://…"` or `source: (url: "https://…", date: "2019-07-02")`.
    pub source: Source,
    /// How hard the drill is.
    #[serde(default)]
    pub difficulty: Difficulty,
    /// Free tags for the wheel to pick by.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What a volunteer should learn.
    #[serde(default)]
    pub objectives: Vec<String>,
    /// How long a drill usually takes (default: twice the rubric's mitigation goal).
    #[serde(default)]
    pub length: Option<SimDuration>,
}

/// Where a scenario comes from: the public postmortem and the day the incident happened, or, for an
/// invented training example, what it is and the day it was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    /// Link to the public postmortem, or a phrase such as "the seed guide's own example".
    pub url: String,
    /// `YYYY-MM-DD`: the day the real incident happened, or the day an invented example was written.
    pub date: Option<String>,
    /// An invented (composite) training example, not a real incident: the debrief says so rather than
    /// implying a real postmortem.
    pub invented: bool,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.date, self.invented) {
            (Some(date), true) => write!(f, "invented example, not a real incident ({}, written {date})", self.url),
            (None, true) => write!(f, "invented example, not a real incident ({})", self.url),
            (Some(date), false) => write!(f, "{} (incident of {date})", self.url),
            (None, false) => f.write_str(&self.url),
        }
    }
}

impl From<&str> for Source {
    fn from(url: &str) -> Source {
        Source { url: url.to_string(), date: None, invented: false }
    }
}

impl Serialize for Source {
    // Without a date, a plain string as before, so older scenarios keep their content hash.
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if self.date.is_none() && !self.invented {
            return ser.serialize_str(&self.url);
        }
        let fields = 1 + usize::from(self.date.is_some()) + usize::from(self.invented);
        let mut st = ser.serialize_struct("Source", fields)?;
        st.serialize_field("url", &self.url)?;
        if let Some(date) = &self.date {
            st.serialize_field("date", date)?;
        }
        if self.invented {
            st.serialize_field("invented", &true)?;
        }
        st.end()
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(SourceVisitor)
    }
}

struct SourceVisitor;

impl<'de> serde::de::Visitor<'de> for SourceVisitor {
    type Value = Source;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string or `(url: \"…\", date: \"YYYY-MM-DD\", invented: true)`")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Source, E> {
        Ok(Source::from(v))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Source, A::Error> {
        use serde::de::Error;
        let (mut url, mut date, mut invented) = (None, None, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "url" => url = Some(map.next_value::<String>()?),
                "date" => {
                    let d: String = map.next_value()?;
                    if !is_iso_date(&d) {
                        return Err(A::Error::custom(format!(
                            "`source.date` is `{d}`; expected the incident's date as YYYY-MM-DD, e.g. \"2019-07-02\""
                        )));
                    }
                    date = Some(d);
                }
                "invented" => invented = map.next_value::<bool>()?,
                other => return Err(A::Error::unknown_field(other, &["url", "date", "invented"])),
            }
        }
        let url = url.ok_or_else(|| A::Error::missing_field("url"))?;
        Ok(Source { url, date, invented })
    }
}

/// Whether `d` is a calendar date written `YYYY-MM-DD`.
fn is_iso_date(d: &str) -> bool {
    let parts: Vec<&str> = d.split('-').collect();
    let [y, m, day] = parts[..] else { return false };
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten()
    };
    match (num(y, 4), num(m, 2), num(day, 2)) {
        (Some(y), Some(m), Some(day)) => {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            (1..=12).contains(&m) && day >= 1 && day <= days[m as usize - 1]
        }
        _ => false,
    }
}

/// Drill difficulty.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Difficulty {
    /// A first drill.
    Easy,
    /// Typical.
    #[default]
    Medium,
    /// For experienced on-callers.
    Hard,
}

/// Wall-clock anchoring of simulated time.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// Time of day of the page, `HH:MM`.
    #[serde(default = "default_page_time")]
    pub page_time: String,
    /// How much history exists before the page.
    #[serde(default = "default_history")]
    pub history: SimDuration,
    /// The page's date, `YYYY-MM-DD`; `time` shows it with its weekday.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The time zone the clock reads in, as people say it (`UTC`, `PST`); shown by `time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

fn default_page_time() -> String {
    "09:00".to_string()
}

fn default_history() -> SimDuration {
    SimDuration(2 * 3600)
}

impl ClockSpec {
    /// Seconds after midnight of `page_time`, or `None` if it is not a valid `HH:MM`.
    pub fn page_time_of_day(&self) -> Option<i64> {
        let (h, m) = self.page_time.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
        ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 3600 + m * 60)
    }
}

impl Default for ClockSpec {
    fn default() -> Self {
        ClockSpec { page_time: default_page_time(), history: default_history(), date: None, zone: None }
    }
}

/// A simulated service, host, database, queue or probe.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Unique name used in commands (`logs auth`).
    pub id: String,
    /// What sort of thing it is.
    #[serde(default)]
    pub kind: ServiceKind,
    /// One line shown by `deps`.
    #[serde(default)]
    pub description: String,
    /// Currently deployed version.
    #[serde(default)]
    pub version: String,
    /// Whether users talk to it directly (SLOs usually live here).
    #[serde(default)]
    pub user_facing: bool,
    /// What it calls.
    #[serde(default)]
    pub depends_on: Vec<Dependency>,
    /// Its metrics.
    #[serde(default)]
    pub metrics: Vec<MetricSpec>,
    /// Background log lines from healthy traffic.
    #[serde(default)]
    pub logs: Vec<LogSpec>,
    /// Configuration values shown by `config`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Its members, when it is a fleet of alike hosts, pods or regions (see [`Fleet`]); its metrics then
    /// model one member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<Fleet>,
}

/// What sort of component a service is.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum ServiceKind {
    /// An application service.
    #[default]
    Service,
    /// A database.
    Database,
    /// A host or VM.
    Host,
    /// A queue or stream.
    Queue,
    /// A cache.
    Cache,
    /// A load balancer or edge.
    Edge,
    /// A synthetic probe measuring from outside.
    Probe,
    /// A third party.
    External,
}

/// An edge in the topology.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// The service depended on.
    pub on: String,
    /// How failure travels along this edge.
    #[serde(default)]
    pub coupling: Coupling,
    /// Share of the dependent's requests that touch this dependency (0..=1).
    #[serde(default = "one")]
    pub weight: f64,
    /// Network elements (in `network`) the calls cross, caller side first; their loss, latency and
    /// partitions reach the caller.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

fn one() -> f64 {
    1.0
}

/// How a dependency's failure reaches its dependents.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Coupling {
    /// Errors and latency pass straight through.
    #[default]
    Hard,
    /// A fallback hides errors; latency still leaks.
    Soft,
    /// Calls go through a queue: errors become backlog, not failures.
    Async,
}

/// A metric of a service and its healthy model.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    /// Name, e.g. `error_rate`, `latency_p99`, `signups_per_min`.
    pub name: String,
    /// Unit, for display.
    #[serde(default)]
    pub unit: Unit,
    /// Healthy mean value.
    pub baseline: f64,
    /// Noise as a fraction of the value (0.05 = ±5% standard deviation).
    #[serde(default)]
    pub noise: f64,
    /// Daily cycle amplitude as a fraction (0.3 = 30% busier at the daily peak).
    #[serde(default)]
    pub seasonality: f64,
    /// One line of help.
    #[serde(default)]
    pub help: String,
    /// Another metric of the same service this one never exceeds (in-use connections <= `db_pool_size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounded_by: Option<String>,
    /// A fixed upper bound (e.g. 8 cores), beyond what the unit already bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// For a latency in `Millis`: the client's timeout. Values are capped at it; on `latency_p99` the
    /// requests slower than it become errors of the service's `error_rate`, as a real client would show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<SimDuration>,
}

/// Units for display, and the bounds the simulation keeps each metric within (see `sim::bounds`).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Unit {
    /// A plain number, never negative.
    #[default]
    Count,
    /// A whole number of things (connections, instances, queue items): rounded each tick, never negative.
    Items,
    /// A fraction 0..=1, shown as a percentage: kept within 0..=1 after noise and symptoms.
    Ratio,
    /// Milliseconds.
    Millis,
    /// Per second.
    PerSecond,
    /// Per minute.
    PerMinute,
    /// Bytes, shown with binary prefixes (`1.5GiB`).
    Bytes,
    /// Kilobytes (1000 bytes), values written and shown in kB.
    KB,
    /// Megabytes (10^6 bytes).
    MB,
    /// Gigabytes (10^9 bytes).
    GB,
    /// Terabytes (10^12 bytes).
    TB,
    /// Kibibytes (1024 bytes), values written and shown in KiB.
    KiB,
    /// Mebibytes (2^20 bytes).
    MiB,
    /// Gibibytes (2^30 bytes).
    GiB,
    /// Tebibytes (2^40 bytes).
    TiB,
}

impl Unit {
    /// The symbol a value in a declared byte unit is shown with (`GB`, `GiB`), if it is one.
    pub fn byte_symbol(self) -> Option<&'static str> {
        Some(match self {
            Unit::KB => "kB",
            Unit::MB => "MB",
            Unit::GB => "GB",
            Unit::TB => "TB",
            Unit::KiB => "KiB",
            Unit::MiB => "MiB",
            Unit::GiB => "GiB",
            Unit::TiB => "TiB",
            _ => return None,
        })
    }
}

/// A background log line template.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSpec {
    /// Level of the line.
    #[serde(default)]
    pub level: Level,
    /// Text with placeholders `{id}`, `{user}`, `{ip}`, `{n}`, `{ms}`.
    pub template: String,
    /// Lines per simulated minute.
    pub rate: f64,
}

/// Log levels.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Debugging chatter.
    Debug,
    /// Normal operation.
    #[default]
    Info,
    /// Something odd.
    Warn,
    /// A failure.
    Error,
}

/// A deploy or configuration change.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// When, relative to the page.
    pub at: SimDuration,
    /// Which service.
    pub service: String,
    /// Deploy, config, flag, infra.
    #[serde(default)]
    pub kind: ChangeKind,
    /// What changed, as the deploy tool would say it.
    pub summary: String,
    /// Who shipped it.
    #[serde(default)]
    pub author: String,
}

/// Sorts of change.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum ChangeKind {
    /// A code deploy.
    #[default]
    Deploy,
    /// A configuration change.
    Config,
    /// A feature flag flip.
    Flag,
    /// Infrastructure work.
    Infra,
    /// A rollback.
    Rollback,
}

/// A feature flag.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Flag {
    /// Flag name.
    pub id: String,
    /// Service that reads it.
    pub service: String,
    /// Current value.
    pub value: String,
    /// One line of description.
    #[serde(default)]
    pub description: String,
}

/// A threshold alert rule over one metric.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Alert name, e.g. `SignupRateLow`.
    pub name: String,
    /// Service whose metric is watched.
    pub service: String,
    /// Metric watched.
    pub metric: String,
    /// Comparison.
    pub op: Comparison,
    /// Threshold.
    pub threshold: f64,
    /// How long the condition must hold before firing.
    #[serde(default)]
    pub sustained: SimDuration,
    /// Page or ticket.
    #[serde(default)]
    pub severity: AlertSeverity,
    /// Text shown when it fires.
    pub summary: String,
    /// Marks noise that has nothing to do with the incident.
    #[serde(default)]
    pub red_herring: bool,
    /// The tool (in `tools`) that evaluates the rule: while it is unavailable the rule is not evaluated
    /// (no alert), while it is stale the rule's status is frozen, while it is slow the alert fires late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<String>,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Comparison {
    /// Greater than.
    Above,
    /// Less than.
    Below,
}

impl Comparison {
    /// Whether `value` meets the comparison against `threshold`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::Below => value < threshold,
        }
    }
}

/// Alert routing severity.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertSeverity {
    /// Informational.
    Info,
    /// Files a ticket.
    Ticket,
    /// Pages the on-caller.
    #[default]
    Page,
}

/// A service level objective.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Service measured.
    pub service: String,
    /// What is measured.
    #[serde(default)]
    pub kind: SloKind,
    /// Target good fraction, e.g. 0.999.
    pub target: f64,
    /// Compliance window.
    #[serde(default = "default_slo_window")]
    pub window: SimDuration,
}

fn default_slo_window() -> SimDuration {
    SimDuration(30 * 86_400)
}

/// SLI definitions.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
pub enum SloKind {
    /// Good requests are those that do not fail (from `error_rate`).
    #[default]
    Availability,
    /// Good requests finish under the threshold (from `latency_p99`, milliseconds).
    Latency(f64),
}

/// Which budget-burn policy decides severities and burn alerts.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub enum SeverityPolicy {
    /// The seed guide's four tiers over 1h, 1d, 1w, 1w (Critical at 2% of the budget in 1 hour).
    #[default]
    SeedGuide,
    /// The SRE workbook's multi-window, multi-burn-rate alerts.
    Workbook,
    /// Tiers written out in the scenario.
    Custom(Vec<SeverityTier>),
}

/// One tier of a custom severity policy.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeverityTier {
    /// Tier name, e.g. `Critical`.
    pub name: String,
    /// Fraction of the window's budget consumed…
    pub budget: f64,
    /// …within this long window.
    pub window: SimDuration,
    /// Optional short window that must also burn at the same rate (multi-window alerts).
    #[serde(default)]
    pub short_window: Option<SimDuration>,
    /// Whether the tier pages (otherwise it files a ticket).
    #[serde(default)]
    pub page: bool,
}

/// One state machine of the scenario.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Track {
    /// Track name.
    pub id: String,
    /// State the track starts in when history begins.
    pub initial: String,
    /// Its states.
    pub states: Vec<State>,
    /// Whether its states appear in the debrief and the score (false: a GM-only track, such as the
    /// background noise the GM runs, shown only in the GM's view).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub debrief: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A state of the incident.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Unique across all tracks.
    pub id: String,
    /// What is going on, for the GM.
    #[serde(default)]
    pub description: String,
    /// Where the incident stands in this state.
    #[serde(default)]
    pub phase: Phase,
    /// Continuous effects while in the state.
    #[serde(default)]
    pub symptoms: Vec<Symptom>,
    /// One-shot effects on entry.
    #[serde(default)]
    pub on_enter: Vec<Effect>,
    /// One-shot effects on exit.
    #[serde(default)]
    pub on_exit: Vec<Effect>,
    /// Ways out, checked in order; the first whose trigger holds wins.
    #[serde(default)]
    pub transitions: Vec<Transition>,
    /// Dependency edges whose coupling or weight differ while the state is current.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub couplings: Vec<CouplingOverride>,
    /// On entry (after the page), this much time passes at once, and the responders are told so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<super::TimeSkip>,
}

/// A dependency edge's coupling or weight while a state holds (a service that tolerates a failing dependency
/// until it marks itself unhealthy; a maintenance page that stops passing backend errors on).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CouplingOverride {
    /// The dependent service.
    pub service: String,
    /// The service it depends on (one of its `depends_on`).
    pub on: String,
    /// The coupling in force instead of the declared one.
    #[serde(default)]
    pub coupling: Option<Coupling>,
    /// The weight in force instead of the declared one.
    #[serde(default)]
    pub weight: Option<f64>,
}

/// Where the incident stands.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Phase {
    /// Nothing wrong yet.
    Normal,
    /// Users are hurt.
    #[default]
    Impact,
    /// Impact has stopped but the cause remains.
    Mitigated,
    /// Fixed.
    Resolved,
}

/// A continuous effect of a state.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Symptom {
    /// Moves a metric away from its healthy model.
    Metric {
        /// Service.
        service: String,
        /// Metric name.
        metric: String,
        /// The shift.
        shift: Shift,
        /// Reach the full shift gradually over this long after entering the state.
        #[serde(default)]
        ramp: SimDuration,
        /// Start this long after entering the state.
        #[serde(default)]
        delay: SimDuration,
        /// Only while this condition holds (e.g. `In("feature.on")`); always when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<Trigger>,
        /// Which members of a fleet it hits (default: all). Not serialised when `All`, so scenarios without
        /// fleets keep their content hash.
        #[serde(default, skip_serializing_if = "Members::is_all")]
        members: Members,
    },
    /// Emits log lines.
    Logs {
        /// Service.
        service: String,
        /// Level.
        #[serde(default)]
        level: Level,
        /// Template, as in [`LogSpec`].
        template: String,
        /// Lines per minute.
        rate: f64,
    },
    /// Impairs a network element (see `network`): the edges that cross it carry it to their callers.
    Network {
        /// The element.
        element: String,
        /// Packet loss (0..=1) in place of its healthy loss.
        #[serde(default)]
        loss: Option<f64>,
        /// Milliseconds added to its round-trip time.
        #[serde(default)]
        latency: Option<f64>,
        /// Share of the flows across it that are cut (0..=1; 1 is a full partition).
        #[serde(default)]
        partition: Option<f64>,
        /// Reach the full impairment gradually over this long after entering the state.
        #[serde(default)]
        ramp: SimDuration,
        /// Start this long after entering the state.
        #[serde(default)]
        delay: SimDuration,
    },
}

/// How a symptom moves a metric.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub enum Shift {
    /// Replace the value.
    Set(f64),
    /// Multiply the value.
    Scale(f64),
    /// Add to the value.
    Add(f64),
}

/// A one-shot effect.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Effect {
    /// Writes one log line.
    Log {
        /// Service.
        service: String,
        /// Level.
        #[serde(default)]
        level: Level,
        /// Text.
        text: String,
    },
    /// Records a change (e.g. the rollback appearing in the deploy log).
    Change {
        /// Service.
        service: String,
        /// Kind.
        #[serde(default)]
        kind: ChangeKind,
        /// Summary.
        summary: String,
        /// Who made it (default: the volunteer, shown as `you`).
        #[serde(default)]
        author: Option<String>,
    },
    /// Sets a configuration value shown by `config`.
    SetConfig {
        /// Service.
        service: String,
        /// Key.
        key: String,
        /// New value.
        value: String,
    },
    /// Sets a service's deployed version.
    Version {
        /// Service.
        service: String,
        /// New version.
        version: String,
    },
    /// Sets a feature flag.
    SetFlag {
        /// Flag.
        flag: String,
        /// New value.
        value: String,
    },
    /// Sets a capacity's rate (a quota raised, restarts sped up).
    SetCapacity {
        /// Capacity id.
        capacity: String,
        /// New units per minute.
        per_minute: f64,
    },
    /// Pauses, holds or resumes a controller.
    Control {
        /// Controller id.
        controller: String,
        /// What to do.
        mode: super::ControlMode,
    },
}

/// A way out of a state.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// Destination state (same track).
    pub to: String,
    /// When to take it.
    pub when: Trigger,
}

/// A condition that makes a transition (or a message) happen.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Trigger {
    /// Simulated time since the page reaches this offset.
    At(SimDuration),
    /// Time spent in the current state (for messages: since the page).
    After(SimDuration),
    /// The volunteer ran `mitigate <action> [<target>] [<argument>]` (while in this state).
    Action {
        /// Action id.
        action: String,
        /// Target, if it matters.
        #[serde(default)]
        target: Option<String>,
        /// What the action's argument must be, if it matters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        arg: Option<ArgTest>,
        /// How much of a staged or partial action must be done (`Above(0.0)`: its first stage); without it
        /// the trigger waits for the action to be complete.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done: Option<ArgTest>,
    },
    /// A scenario counter compares with a value.
    Counter {
        /// Counter id.
        counter: String,
        /// Comparison.
        op: Comparison,
        /// Value.
        value: f64,
    },
    /// The volunteer ran a command (e.g. looked at `logs users-db`).
    Command {
        /// Command name.
        command: String,
        /// First argument, if it matters.
        #[serde(default)]
        target: Option<String>,
        /// Text the typed line must contain, if it matters (e.g. `--grep constraint`).
        #[serde(default)]
        contains: Option<String>,
    },
    /// A metric condition held for a while.
    Metric {
        /// Service.
        service: String,
        /// Metric.
        metric: String,
        /// Comparison.
        op: Comparison,
        /// Threshold.
        value: f64,
        /// How long it must hold.
        #[serde(default)]
        sustained: SimDuration,
    },
    /// The GM fired this named trigger.
    Gm(String),
    /// Another state has been reached (any track); stays true once it has.
    Reached(String),
    /// A state (`"state"` or `"track.state"`) is its track's current state now.
    In(String),
    /// Holds on each tick with this probability, drawn from the drill's seeded stream.
    Chance(f64),
    /// Time in the current state reached a delay drawn uniformly between the two bounds on entry.
    AfterRandom(SimDuration, SimDuration),
    /// Every inner trigger holds.
    All(Vec<Trigger>),
    /// Any inner trigger holds.
    Any(Vec<Trigger>),
    /// The inner trigger does not hold (e.g. a manager asks "is this an incident?" only if nobody declared).
    Not(Box<Trigger>),
}

/// Something the volunteer can do with `mitigate`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Action word, e.g. `rollback`.
    pub id: String,
    /// One line for `help mitigate`.
    pub summary: String,
    /// Valid targets (services or flags); empty means the action takes none.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Simulated time it takes.
    #[serde(default)]
    pub cost: Option<SimDuration>,
    /// What the volunteer is told; `{target}` and `{arg}` are replaced.
    pub result: String,
    /// The argument it takes after its target (`mitigate admit 30%`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arg: Option<ActionArg>,
    /// A counter each landed action adds its argument to (1 without an argument).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<String>,
    /// Results that depend on the state: the first whose `when` holds when the action is typed decides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<super::ActionOutcome>,
    /// The stages a success lands in (default: all at once when it completes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<super::Stage>,
}

/// A typed, bounded argument of an action.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionArg {
    /// Its name in `help mitigate`, e.g. `share`.
    pub name: String,
    /// What it is.
    pub kind: ArgType,
    /// Smallest value accepted (a percent as a fraction, a duration in seconds).
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest value accepted.
    #[serde(default)]
    pub max: Option<f64>,
}

/// The type of an action's argument.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub enum ArgType {
    /// `30%`, compared as the fraction 0.3.
    Percent,
    /// A whole number, `12`.
    Count,
    /// A duration, `5m`, compared in seconds.
    Duration,
    /// One of these words, compared by `Is`.
    Choice(Vec<String>),
}

/// A condition on an action's argument.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub enum ArgTest {
    /// Less than (strict).
    Below(f64),
    /// Greater than (strict).
    Above(f64),
    /// Within the bounds, inclusive.
    Between(f64, f64),
    /// This choice.
    Is(String),
}

impl ArgTest {
    /// Whether an argument's value (`number`, or `text` for a choice) passes.
    pub fn holds(&self, number: f64, text: &str) -> bool {
        match self {
            ArgTest::Below(x) => number < *x,
            ArgTest::Above(x) => number > *x,
            ArgTest::Between(lo, hi) => (*lo..=*hi).contains(&number),
            ArgTest::Is(word) => text == word,
        }
    }
}

/// A number the scenario accumulates from actions (players admitted so far).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    /// Name used by `counts` and `Counter` triggers.
    pub id: String,
    /// Starting value.
    #[serde(default)]
    pub initial: f64,
    /// What it counts, for the GM.
    #[serde(default)]
    pub description: String,
}

/// The hidden truth.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    /// One paragraph revealed in the debrief.
    pub summary: String,
    /// The trigger of the incident.
    #[serde(default)]
    pub trigger: String,
    /// Groups of alternatives; a diagnosis names the cause when it matches one word of every group.
    pub keywords: Vec<Vec<String>>,
    /// The five Ws, answered.
    pub five_ws: FiveWs,
    /// Plausible causes that are not the real one (often the red herrings); a diagnosis asserting one of
    /// them is told so and credited only for what it gets right.
    #[serde(default)]
    pub wrong_causes: Vec<WrongCause>,
}

/// A plausible but wrong cause.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WrongCause {
    /// What it claims, e.g. "the database is overloaded".
    pub summary: String,
    /// Groups of alternatives; a diagnosis asserts this cause when it asserts one word of every group.
    pub keywords: Vec<Vec<String>>,
}

/// What, where, why, when, who.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FiveWs {
    /// What the system is trying to do.
    pub what: String,
    /// Where it fails.
    #[serde(rename = "where")]
    pub where_: String,
    /// Why it fails.
    pub why: String,
    /// When it started.
    pub when: String,
    /// Who is affected.
    pub who: String,
}

/// One graded hint.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Hint {
    /// Hint text.
    pub text: String,
    /// The objective it helps with; `hint` gives the next hint about the first objective not yet met.
    #[serde(default)]
    pub about: Option<Objective>,
}

/// What a volunteer has to get done, in the order a hint looks for the first one not yet met.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Objective {
    /// Declare the incident.
    Declare,
    /// Find the evidence.
    Investigate,
    /// Stop the user impact.
    Mitigate,
    /// Name the root cause.
    Diagnose,
    /// Keep stakeholders informed.
    Communicate,
}

impl Objective {
    /// The order in which hints look for the first objective not yet met.
    pub const ORDER: [Objective; 5] =
        [Objective::Declare, Objective::Investigate, Objective::Mitigate, Objective::Diagnose, Objective::Communicate];
}

/// A runbook.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// Name used by `runbook <name>`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Body text.
    pub body: String,
}

/// A message from a simulated person.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Who sends it.
    pub from: String,
    /// Where it arrives.
    #[serde(default)]
    pub channel: Channel,
    /// When it arrives.
    pub when: Trigger,
    /// The text.
    pub text: String,
    /// Marks chatter unrelated to the incident.
    #[serde(default)]
    pub red_herring: bool,
}

/// Where a message arrives.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Channel {
    /// Team chat.
    #[default]
    Chat,
    /// A customer support ticket.
    Ticket,
}

/// How a run is scored.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    /// Declare an incident within this long of the page.
    pub declare: Goal,
    /// Severities acceptable for the declaration.
    #[serde(default)]
    pub expected_severity: Vec<Severity>,
    /// Stop user impact within this long.
    pub mitigate: Goal,
    /// Points for naming the root cause with `diagnose`.
    pub root_cause: u32,
    /// Evidence a good investigation finds.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Status update cadence.
    pub updates: Cadence,
    /// Points for filling all three roles.
    #[serde(default)]
    pub roles: u32,
    /// Actions that make things worse.
    #[serde(default)]
    pub harmful: Vec<Harm>,
    /// Actions that help, each worth points once when taken at the right moment (pausing the automation that
    /// fights you, canarying a fix in one place first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub good: Vec<Reward>,
    /// Points lost per hint.
    #[serde(default)]
    pub hint_penalty: u32,
    /// Audiences beyond the incident channel (status page, executives), each with its own cadence and
    /// content; `update --to <id>` posts to one. `updates` scores the incident channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<Audience>,
    /// Points for the 5 Ws, each answer judged against the truth (0: not scored).
    #[serde(default, skip_serializing_if = "FiveWsGoal::is_unscored")]
    pub five_ws: FiveWsGoal,
    /// Responder habits scored: acknowledging pages, silencing noise, escalating, replying.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responders: Vec<ResponderGoal>,
    /// Points lost for each changing action (`mitigate`) typed by someone not holding OL (0: not scored).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub only_ol_acts: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// An audience for status updates, with its own cadence and what each update to it must say.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// The word `update --to` takes, e.g. `status-page`, `execs`.
    pub id: String,
    /// How people call it, e.g. "the public status page".
    #[serde(default)]
    pub name: String,
    /// An update at least this often once declared.
    pub every: SimDuration,
    /// Points.
    pub points: u32,
    /// What each update to it must say; empty means who is affected, what is being done and when the next
    /// update comes.
    #[serde(default)]
    pub must_say: Vec<UpdateContent>,
}

/// Something an update must say.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum UpdateContent {
    /// Who is affected.
    WhoIsAffected,
    /// What is being done.
    WhatIsBeingDone,
    /// When the next update comes.
    NextUpdate,
    /// One of these words (case-insensitive), described for the score as `what`.
    Words {
        /// What the words stand for, e.g. "the business impact".
        what: String,
        /// Any of them says it.
        any: Vec<String>,
    },
}

/// How the 5 Ws are scored: each answer against the truth, by keyword groups when given (an answer is right
/// when it asserts one word of every group), else by the words it shares with the truth.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FiveWsGoal {
    /// Points for all five right.
    #[serde(default)]
    pub points: u32,
    /// Keyword groups for `what`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub what: Vec<Vec<String>>,
    /// Keyword groups for `where`.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub where_: Vec<Vec<String>>,
    /// Keyword groups for `why`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<Vec<String>>,
    /// Keyword groups for `when`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<Vec<String>>,
    /// Keyword groups for `who`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub who: Vec<Vec<String>>,
}

impl FiveWsGoal {
    /// Whether the rubric leaves the 5 Ws unscored.
    pub fn is_unscored(&self) -> bool {
        self.points == 0
    }

    /// The keyword groups for question `w` (`what`, `where`, …).
    pub fn keywords(&self, w: &str) -> &[Vec<String>] {
        match w {
            "what" => &self.what,
            "where" => &self.where_,
            "why" => &self.why,
            "when" => &self.when,
            "who" => &self.who,
            _ => &[],
        }
    }
}

impl FiveWs {
    /// The true answer to question `w` (`what`, `where`, …).
    pub fn answer(&self, w: &str) -> &str {
        match w {
            "what" => &self.what,
            "where" => &self.where_,
            "why" => &self.why,
            "when" => &self.when,
            "who" => &self.who,
            _ => "",
        }
    }
}

/// A responder habit the rubric scores.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum ResponderGoal {
    /// Acknowledge each paging alert within this long of its firing.
    Ack {
        /// Deadline after the alert fires.
        within: SimDuration,
        /// Points.
        points: u32,
        /// Why it matters, for the score.
        #[serde(default)]
        why: String,
    },
    /// Silence this alert (noise that would page again) while it fires.
    Silence {
        /// Alert name.
        alert: String,
        /// Points.
        points: u32,
        /// Why it matters.
        #[serde(default)]
        why: String,
    },
    /// Escalate to or page this team, within this long of the page when given.
    Escalate {
        /// Team id.
        team: String,
        /// Deadline after the page.
        #[serde(default)]
        within: Option<SimDuration>,
        /// Points.
        points: u32,
        /// Why it matters.
        #[serde(default)]
        why: String,
    },
    /// Reply to this person (a stakeholder who wrote), within this long of their first message when given.
    Reply {
        /// The sender, or the first word of their name.
        to: String,
        /// Deadline after their first message.
        #[serde(default)]
        within: Option<SimDuration>,
        /// Points.
        points: u32,
        /// Why it matters.
        #[serde(default)]
        why: String,
    },
}

impl ResponderGoal {
    /// Points available.
    pub fn points(&self) -> u32 {
        match self {
            ResponderGoal::Ack { points, .. }
            | ResponderGoal::Silence { points, .. }
            | ResponderGoal::Escalate { points, .. }
            | ResponderGoal::Reply { points, .. } => *points,
        }
    }
}

/// A goal with a deadline: full points in time, half within twice the time, none after.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    /// Deadline after the page.
    pub within: SimDuration,
    /// Points.
    pub points: u32,
}

/// A piece of evidence: found when the volunteer's own output shows the text.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Short id.
    pub id: String,
    /// What it shows.
    pub description: String,
    /// Text that, once shown to the volunteer by a telemetry command, counts as finding it (when there is
    /// no `observe`).
    #[serde(default)]
    pub seen: String,
    /// The fact as observations, any of which finds it: found when a command's result covers one, whichever
    /// command that was.
    #[serde(default)]
    pub observe: Vec<Observation>,
    /// Points.
    pub points: u32,
}

/// A fact about the system that a volunteer can observe.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Observation {
    /// This metric of this service: covered by `metrics <service>`, by `status` for its columns (requests,
    /// error_rate, latency_p99), by `slo` for an SLO's service, by a `query` naming the metric.
    Metric { service: String, metric: String },
    /// Log lines of this service containing this text: covered by `logs` showing one.
    Log { service: String, contains: String },
    /// A change whose summary contains this text: covered by `changes` showing it.
    Change { contains: String },
    /// A message from this person: covered by `inbox` or `tickets` showing it.
    Message { from: String },
    /// A diagnostic's output containing this text: covered by `run <diagnostic>` showing it.
    Diagnostic { diagnostic: String, contains: String },
}

/// Communication cadence.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cadence {
    /// An update at least this often once declared.
    pub every: SimDuration,
    /// Points.
    pub points: u32,
}

/// An action that hurts.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Harm {
    /// Action id.
    pub action: String,
    /// Target, if it matters.
    #[serde(default)]
    pub target: Option<String>,
    /// Only when taken at such a moment (every condition holds); empty: whenever it is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<ActionMoment>,
    /// Why it hurts, for the debrief.
    pub why: String,
    /// Points lost.
    pub penalty: u32,
}

/// An action that helps: the first time it is taken at the right moment earns its points.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reward {
    /// Action id.
    pub action: String,
    /// Target, if it matters.
    #[serde(default)]
    pub target: Option<String>,
    /// When it must be taken to count (every condition holds); empty: whenever it is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<ActionMoment>,
    /// Why it helps, for the score and the debrief.
    pub why: String,
    /// Points.
    pub points: u32,
}

/// A condition on the moment a rubric's action was taken, read from the drill's record.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub enum ActionMoment {
    /// This state (`"state"` or `"track.state"`) was its track's current state when the action was typed.
    In(String),
    /// Typed before the first time this other action was (it holds if that one never was).
    Before {
        /// Action id.
        action: String,
        /// Target, if it matters.
        #[serde(default)]
        target: Option<String>,
    },
    /// Typed after this other action had been.
    After {
        /// Action id.
        action: String,
        /// Target, if it matters.
        #[serde(default)]
        target: Option<String>,
    },
    /// Typed within this long of the page.
    Within(SimDuration),
}

/// Incident severity as declared.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Critical.
    Sev1,
    /// Major.
    Sev2,
    /// Minor.
    Sev3,
    /// Low.
    Sev4,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 4] = [Severity::Sev1, Severity::Sev2, Severity::Sev3, Severity::Sev4];

    /// `SEV1` … `SEV4`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1",
            Severity::Sev2 => "SEV2",
            Severity::Sev3 => "SEV3",
            Severity::Sev4 => "SEV4",
        }
    }
}

/// Gives a closed enum the one word users see for each variant, as `label()` and `Display`, so no
/// `{:?}` reaches a person (or a PromQL label value).
macro_rules! labels {
    ($($ty:ident { $($variant:ident => $label:literal),+ $(,)? })+) => {$(
        impl $ty {
            /// The word users see.
            pub fn label(self) -> &'static str {
                match self {
                    $($ty::$variant => $label,)+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    )+};
}

labels! {
    Difficulty { Easy => "Easy", Medium => "Medium", Hard => "Hard" }
    ServiceKind {
        Service => "service",
        Database => "database",
        Host => "host",
        Queue => "queue",
        Cache => "cache",
        Edge => "edge",
        Probe => "probe",
        External => "external",
    }
    Coupling { Hard => "hard", Soft => "soft", Async => "async" }
    ChangeKind { Deploy => "deploy", Config => "config", Flag => "flag", Infra => "infra", Rollback => "rollback" }
    AlertSeverity { Info => "info", Ticket => "ticket", Page => "page" }
    Phase { Normal => "Normal", Impact => "Impact", Mitigated => "Mitigated", Resolved => "Resolved" }
}

/// The state a trigger names, written `"state"` or `"track.state"`: the plain id when a state has it,
/// otherwise the part after the track's name and a dot.
pub fn state_name(name: &str, exists: impl Fn(&str) -> bool) -> Option<&str> {
    if exists(name) {
        return Some(name);
    }
    let (_, state) = name.split_once('.')?;
    exists(state).then_some(state)
}

impl Trigger {
    /// Whether this trigger draws from the drill's chance stream (`Chance`, `AfterRandom`).
    pub fn draws(&self) -> bool {
        match self {
            Trigger::Chance(_) | Trigger::AfterRandom(..) => true,
            Trigger::All(inner) | Trigger::Any(inner) => inner.iter().any(Trigger::draws),
            Trigger::Not(inner) => inner.draws(),
            _ => false,
        }
    }
}

impl Scenario {
    /// Whether the track `track` appears in the debrief and the score (not a GM-only track).
    pub fn in_debrief(&self, track: &str) -> bool {
        self.tracks.iter().find(|t| t.id == track).is_none_or(|t| t.debrief)
    }

    /// Whether anything in the scenario happens by chance, so the same walkthrough can end differently
    /// with another seed.
    pub fn has_chance(&self) -> bool {
        let states = self.tracks.iter().flat_map(|t| &t.states);
        let symptom_when =
            |st: &State| st.symptoms.iter().any(|s| matches!(s, Symptom::Metric { when: Some(t), .. } if t.draws()));
        self.messages.iter().any(|m| m.when.draws())
            || states.clone().any(|st| st.transitions.iter().any(|t| t.when.draws()) || symptom_when(st))
    }
}
