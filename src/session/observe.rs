//! Read-only commands: what the volunteer can look at. Everything here is built from simulated
//! telemetry and public scenario data (services, changes, runbooks), never from states or the root cause.

use super::command::{CommandError, CommandErrorKind};
use super::record::{Received, Record, ResolvedAlert};
use super::text::{Doc, Line, Style, clock_label, count, offset_label, sparkline, table};
use crate::promql::QueryValue;
use crate::scenario::{AlertSeverity, Channel, Level, Scenario, SimDuration, Unit};
use crate::sim::{DISPLAY_WINDOWS, Health, LogFilter, Sim, window_label};

/// Formats a metric value for its unit.
pub fn format_value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{:.2}%", v * 100.0),
        Unit::Millis if v >= 1000.0 => format!("{:.2}s", v / 1000.0),
        Unit::Millis if v >= 10.0 => format!("{v:.0}ms"),
        Unit::Millis => format!("{v:.1}ms"),
        Unit::PerSecond => format!("{v:.1}/s"),
        Unit::PerMinute => format!("{v:.1}/min"),
        Unit::Bytes if v >= 1_073_741_824.0 => format!("{:.1}GiB", v / 1_073_741_824.0),
        Unit::Bytes if v >= 1_048_576.0 => format!("{:.1}MiB", v / 1_048_576.0),
        Unit::Bytes => format!("{v:.0}B"),
        // Decimal and binary byte units are shown as the scenario declares them, never converted.
        Unit::KB | Unit::MB | Unit::GB | Unit::TB | Unit::KiB | Unit::MiB | Unit::GiB | Unit::TiB => {
            format!("{v:.1}{}", unit.byte_symbol().unwrap_or(""))
        }
        Unit::Items => format!("{v:.0}"),
        Unit::Count if v.abs() >= 100.0 => format!("{v:.0}"),
        Unit::Count => format!("{v:.1}"),
    }
}

fn health_cell(h: Health) -> (Style, String) {
    match h {
        Health::Healthy => (Style::Good, "healthy".into()),
        Health::Degraded => (Style::Warn, "DEGRADED".into()),
        Health::Down => (Style::Bad, "DOWN".into()),
    }
}

/// Looks a service up by id, or says which ones exist.
pub fn service_index(s: &Scenario, word: &str, name: &str) -> Result<usize, CommandError> {
    s.services.iter().position(|x| x.id == name).ok_or_else(|| CommandError {
        word: word.to_string(),
        kind: CommandErrorKind::Unknown {
            what: "service",
            name: name.to_string(),
            candidates: s.services.iter().map(|x| x.id.clone()).collect(),
        },
    })
}

/// Parses a `--since`-style duration, defaulting when absent.
pub fn duration_arg(word: &str, text: Option<&str>, default: i64) -> Result<i64, CommandError> {
    let Some(text) = text else { return Ok(default) };
    if text.trim().bytes().all(|b| b.is_ascii_digit()) {
        return Err(CommandError {
            word: word.to_string(),
            kind: CommandErrorKind::BadDuration {
                message: format!("`{text}` needs a unit: `{text}s`, `{text}m` or `{text}h`"),
            },
        });
    }
    match SimDuration::parse(text) {
        Ok(d) if d.secs() > 0 => Ok(d.secs()),
        Ok(_) => Err(CommandError {
            word: word.to_string(),
            kind: CommandErrorKind::BadDuration { message: format!("`{text}` must be longer than zero") },
        }),
        Err(err) => Err(CommandError {
            word: word.to_string(),
            kind: CommandErrorKind::BadDuration { message: err.to_string() },
        }),
    }
}

/// `status`: the dashboard.
pub fn status(sim: &Sim, record: &Record) -> Doc {
    let s = sim.scenario();
    let tod = sim.page_time_of_day();
    let mut doc = Doc::line(Line::styled(
        Style::Heading,
        format!("Dashboard at {} ({})", clock_label(tod, sim.now()), offset_label(sim.now())),
    ));
    let cell = |index: usize, metric: &str| {
        let spec = s.services[index].metrics.iter().find(|m| m.name == metric);
        match (sim.series_of(index, metric), spec) {
            (Some(series), Some(spec)) => format_value(sim.latest(series), spec.unit),
            _ => "-".to_string(),
        }
    };
    let mut rows = vec![
        ["SERVICE", "KIND", "HEALTH", "REQUESTS", "ERRORS", "P99", "VERSION"]
            .iter()
            .map(|h| (Style::Dim, h.to_string()))
            .collect::<Vec<_>>(),
    ];
    for (i, svc) in s.services.iter().enumerate() {
        rows.push(vec![
            (Style::Plain, svc.id.clone()),
            (Style::Dim, svc.kind.label().to_string()),
            health_cell(sim.health(i)),
            (Style::Plain, cell(i, "requests")),
            (Style::Plain, cell(i, "error_rate")),
            (Style::Plain, cell(i, "latency_p99")),
            (Style::Dim, sim.inventory().versions[i].clone()),
        ]);
    }
    doc.extend(table(rows));
    for (i, svc) in s.services.iter().enumerate() {
        let (Some(run), Some(fleet)) = (sim.fleet(i), &svc.fleet) else { continue };
        let unhealthy = run.unhealthy();
        let style = if unhealthy == 0 { Style::Good } else { Style::Warn };
        let mut line = Line::plain(format!("{}: ", svc.id))
            .push(style, format!("{unhealthy}/{} {} unhealthy", run.members, fleet.noun));
        if run.down() > 0 {
            line = line.push(Style::Bad, format!(" ({} down)", run.down()));
        }
        doc.push(line);
    }
    let firing: Vec<String> = all_firing(sim, record).into_iter().map(|f| f.0).collect();
    doc.push(if firing.is_empty() {
        Line::styled(Style::Good, "No alerts firing.")
    } else {
        Line::styled(Style::Bad, format!("{} firing: {}", count(firing.len(), "alert"), firing.join(", ")))
            .push(Style::Dim, " (see `alerts`)")
    });
    doc
}

fn firing_alerts(sim: &Sim) -> impl Iterator<Item = (&crate::sim::AlertPlan, i64)> {
    let book = sim.alerts();
    book.rules.iter().zip(&book.status).filter_map(|(rule, st)| st.firing_since.map(|t| (rule, t)))
}

/// An alert firing now: (name, severity, service, since, summary). The simulation's rules first, then
/// alerts the GM injected (`inject alert`), which no rule knows and only the event stream records.
type Firing = (String, AlertSeverity, String, i64, String);

fn all_firing(sim: &Sim, record: &Record) -> Vec<Firing> {
    let mut firing: Vec<Firing> = firing_alerts(sim)
        .map(|(rule, since)| (rule.name.clone(), rule.severity, rule.service.clone(), since, rule.summary.clone()))
        .collect();
    for (name, since) in &record.firing {
        if firing.iter().any(|f| f.0 == *name) {
            continue;
        }
        if let Some((service, severity, summary)) = record.fired_as.get(name) {
            firing.push((name.clone(), *severity, service.clone(), *since, summary.clone()));
        }
    }
    firing
}

/// `alerts`: firing alerts and those resolved in the last hour.
pub fn alerts(sim: &Sim, record: &Record) -> Doc {
    let tod = sim.page_time_of_day();
    let now = sim.now();
    let mut rows = Vec::new();
    for (name, severity, service, since, summary) in all_firing(sim, record) {
        rows.push(vec![
            (Style::Bad, "FIRING".to_string()),
            (Style::Plain, name),
            (Style::Dim, severity.label().to_string()),
            (Style::Plain, service),
            (Style::Plain, format!("since {}", clock_label(tod, since))),
            (Style::Plain, summary),
        ]);
    }
    let resolved = &record.resolved_alerts;
    for ResolvedAlert { name, fired, resolved: cleared } in resolved.iter().rev().filter(|a| now - a.resolved <= 3600) {
        let rule = sim.alerts().rules.iter().find(|r| &r.name == name);
        rows.push(vec![
            (Style::Good, "resolved".to_string()),
            (Style::Plain, name.clone()),
            (Style::Dim, rule.map_or(String::new(), |r| r.severity.label().to_string())),
            (Style::Plain, rule.map_or(String::new(), |r| r.service.clone())),
            (Style::Plain, format!("{}–{}", clock_label(tod, *fired), clock_label(tod, *cleared))),
            (Style::Plain, rule.map_or(String::new(), |r| r.summary.clone())),
        ]);
    }
    let mut doc = if rows.is_empty() {
        Doc::line(Line::styled(Style::Good, "No alerts firing or resolved in the last hour."))
    } else {
        table(rows)
    };
    // The quiet rules are there too: "nothing fired" is something to find out, not to assume.
    if !sim.alerts().rules.is_empty() {
        doc.push(super::alert_rules::summary(sim));
    }
    doc
}

/// `metrics <service> [<metric>]`.
pub fn metrics(
    sim: &Sim,
    service: &str,
    metric: Option<&str>,
    since: i64,
    step: Option<i64>,
    until: Option<i64>,
) -> Result<Doc, CommandError> {
    let s = sim.scenario();
    let index = service_index(s, "metrics", service)?;
    let svc = &s.services[index];
    let tod = sim.page_time_of_day();
    let now = until.unwrap_or(sim.now());
    let from = now - since;
    // A stale tool's answer stops where its data does.
    let series_until = |series: usize| {
        let (t0, mut values) = sim.history().series(series, from);
        let keep = ((now - t0).div_euclid(sim.history().step()) + 1).clamp(0, values.len() as i64);
        values.truncate(keep as usize);
        (t0, values)
    };
    let span = |t0: i64, n: usize| {
        let last = t0 + (n as i64 - 1).max(0) * sim.history().step();
        format!("{}–{}", clock_label(tod, t0), clock_label(tod, last))
    };
    let Some(metric) = metric else {
        let mut rows = vec![
            ["METRIC", "LAST", "MIN", "MAX", "TREND"].iter().map(|h| (Style::Dim, h.to_string())).collect::<Vec<_>>(),
        ];
        let mut window = String::new();
        for m in &svc.metrics {
            let Some(series) = sim.series_index(service, &m.name) else {
                continue;
            };
            let (t0, values) = series_until(series);
            window = span(t0, values.len());
            let (min, max) = min_max(&values);
            rows.push(vec![
                (Style::Plain, m.name.clone()),
                (Style::Plain, format_value(values.last().copied().unwrap_or(0.0), m.unit)),
                (Style::Dim, format_value(min, m.unit)),
                (Style::Dim, format_value(max, m.unit)),
                (Style::Plain, sparkline(&values, 40)),
            ]);
        }
        let mut doc = Doc::line(Line::styled(Style::Heading, format!("{service} metrics, {window}")));
        doc.extend(table(rows));
        return Ok(doc);
    };
    let Some(spec) = svc.metrics.iter().find(|m| m.name == metric) else {
        return Err(CommandError {
            word: "metrics".into(),
            kind: CommandErrorKind::Unknown {
                what: "metric",
                name: metric.to_string(),
                candidates: svc.metrics.iter().map(|m| m.name.clone()).collect(),
            },
        });
    };
    let series = sim.series_index(service, metric).unwrap_or(0);
    let (t0, values) = series_until(series);
    let (min, max) = min_max(&values);
    let unit = spec.unit;
    let mut doc = Doc::line(Line::styled(Style::Heading, format!("{service} {metric}, {}", span(t0, values.len()))));
    if !spec.help.is_empty() {
        doc.push(Line::styled(Style::Dim, spec.help.clone()));
    }
    doc.plain(sparkline(&values, 60));
    doc.plain(format!(
        "min {}  max {}  last {}",
        format_value(min, unit),
        format_value(max, unit),
        format_value(values.last().copied().unwrap_or(0.0), unit)
    ));
    let step_secs = step.unwrap_or_else(|| (since / 12).max(60) / 60 * 60).max(60);
    let stride = (step_secs / sim.history().step()).max(1) as usize;
    let mut rows = Vec::new();
    // Walk back from the newest sample so the latest value is always in the table.
    let mut i = values.len();
    while i > 0 && rows.len() < 500 {
        i -= 1;
        let t = t0 + i as i64 * sim.history().step();
        rows.push(vec![(Style::Dim, clock_label(tod, t)), (Style::Plain, format_value(values[i], unit))]);
        i = i.saturating_sub(stride - 1);
        if stride > 1 && i == 0 {
            break;
        }
    }
    rows.reverse();
    doc.extend(table(rows));
    Ok(doc)
}

fn min_max(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// Parses a log level word.
pub fn level_arg(text: &str) -> Result<Level, CommandError> {
    match text.to_ascii_lowercase().as_str() {
        "debug" => Ok(Level::Debug),
        "info" => Ok(Level::Info),
        "warn" | "warning" => Ok(Level::Warn),
        "error" | "err" => Ok(Level::Error),
        _ => Err(CommandError {
            word: "logs".into(),
            kind: CommandErrorKind::Unknown {
                what: "level",
                name: text.to_string(),
                candidates: ["debug", "info", "warn", "error"].iter().map(|s| s.to_string()).collect(),
            },
        }),
    }
}

/// Arguments of `logs`.
pub struct LogsArgs<'a> {
    /// Service filter.
    pub service: Option<&'a str>,
    /// Text filter.
    pub grep: Option<&'a str>,
    /// Regular expression filter.
    pub regex: Option<regex::Regex>,
    /// Level filter.
    pub level: Option<Level>,
    /// Seconds back.
    pub since: i64,
    /// Newest lines to show.
    pub tail: usize,
    /// Last time shown (a stale tool's); now when absent.
    pub until: Option<i64>,
}

/// Most lines one `logs` command shows.
pub const MAX_TAIL: usize = 1000;

/// `logs`.
pub fn logs(sim: &Sim, args: &LogsArgs) -> Result<Doc, CommandError> {
    let s = sim.scenario();
    let service = match args.service {
        Some(name) => Some(service_index(s, "logs", name)? as u32),
        None => None,
    };
    let filter = LogFilter {
        service,
        min_level: args.level,
        grep: args.grep.map(str::to_string),
        regex: args.regex.clone(),
        since: args.until.unwrap_or(sim.now()) - args.since,
        until: args.until.unwrap_or(sim.now()),
        tail: args.tail,
    };
    let store = sim.logs();
    let hits = store.query(&filter);
    let tod = sim.page_time_of_day();
    let scope = args.service.map_or("all services".to_string(), |s| s.to_string());
    let grep = args.grep.map_or(String::new(), |g| format!(" matching \"{g}\""));
    let mut doc = Doc::line(Line::styled(
        Style::Heading,
        format!(
            "{} from {scope}{grep} in the last {} (newest last{})",
            count(hits.len(), "line"),
            SimDuration(args.since),
            if hits.len() == MAX_TAIL { "; at most 1000 are shown, narrow with --since or --grep" } else { "" }
        ),
    ));
    for i in hits {
        let line = store.line(i);
        let service = &s.services[line.service as usize].id;
        let (style, level) = match line.level {
            Level::Debug => (Style::Dim, "DEBUG"),
            Level::Info => (Style::Plain, "INFO "),
            Level::Warn => (Style::Warn, "WARN "),
            Level::Error => (Style::Bad, "ERROR"),
        };
        doc.push(
            Line::styled(Style::Dim, format!("{} ", clock_label(tod, line.t)))
                .push(style, level)
                .push(Style::Plain, " ")
                .push(Style::Plain, service.clone())
                .push(Style::Plain, " ".repeat(14usize.saturating_sub(service.chars().count()) + 1))
                .push(Style::Plain, line.text.to_string()),
        );
    }
    Ok(doc)
}

/// `deps <service>`.
pub fn deps(sim: &Sim, service: &str) -> Result<Doc, CommandError> {
    let s = sim.scenario();
    let index = service_index(s, "deps", service)?;
    let svc = &s.services[index];
    let mut doc =
        Doc::line(Line::styled(Style::Heading, service.to_string()).push(
            Style::Dim,
            if svc.description.is_empty() { String::new() } else { format!(": {}", svc.description) },
        ));
    // An edge that crosses network elements shows its path, `web -> [lb-east] -> api`.
    let row = |id: &str, path: String, d: &crate::scenario::Dependency| {
        let i = s.services.iter().position(|x| x.id == id).unwrap_or(0);
        vec![
            (Style::Plain, format!("  {}", if d.via.is_empty() { id.to_string() } else { path })),
            (Style::Dim, d.coupling.label().to_string()),
            (Style::Dim, format!("{:.0}% of requests", d.weight * 100.0)),
            health_cell(sim.health(i)),
        ]
    };
    let calls: Vec<_> =
        svc.depends_on.iter().map(|d| row(&d.on, crate::scenario::path_label(service, &d.via, &d.on), d)).collect();
    doc.plain(if calls.is_empty() { "calls nothing".to_string() } else { "calls:".to_string() });
    doc.extend(table(calls));
    let incoming: Vec<(&str, &crate::scenario::Dependency)> = s
        .services
        .iter()
        .flat_map(|other| other.depends_on.iter().filter(|d| d.on == service).map(move |d| (other.id.as_str(), d)))
        .collect();
    let callers: Vec<_> =
        incoming.iter().map(|(id, d)| row(id, crate::scenario::path_label(id, &d.via, service), d)).collect();
    doc.plain(if callers.is_empty() { "called by nothing".to_string() } else { "called by:".to_string() });
    doc.extend(table(callers));
    let mut crossed: Vec<&String> =
        svc.depends_on.iter().chain(incoming.iter().map(|(_, d)| *d)).flat_map(|d| &d.via).collect();
    crossed.sort();
    crossed.dedup();
    if !crossed.is_empty() {
        doc.plain("network:");
        doc.extend(table(crossed.into_iter().map(|id| element_row(sim, id)).collect()));
    }
    Ok(doc)
}

/// A network element as its monitoring shows it: health, loss, round-trip time and flows cut when it is
/// monitored (`visible`), otherwise only that nobody watches it.
fn element_row(sim: &Sim, id: &str) -> Vec<(Style, String)> {
    let s = sim.scenario();
    let Some(k) = s.network.iter().position(|e| e.id == id) else { return vec![(Style::Plain, format!("  [{id}]"))] };
    let e = &s.network[k];
    let mut row = vec![(Style::Plain, format!("  [{id}]")), (Style::Dim, e.kind.label().to_string())];
    match sim.network_element(k).filter(|_| e.visible) {
        Some(r) => {
            row.push(health_cell(r.health));
            row.push((Style::Dim, format!("loss {:.1}%", r.loss * 100.0)));
            row.push((Style::Dim, format!("rtt {:.0} ms", r.rtt)));
            if r.cut > 0.0 {
                row.push((Style::Bad, format!("{:.0}% of flows cut", r.cut * 100.0)));
            }
        }
        None => row.push((Style::Dim, "not monitored".to_string())),
    }
    row
}

/// `changes`: deploys, config and flag changes that have happened, newest first.
pub fn changes(sim: &Sim, since: i64) -> Doc {
    let s = sim.scenario();
    let now = sim.now();
    let tod = sim.page_time_of_day();
    let mut all: Vec<(i64, String, String, String, String)> = s
        .changes
        .iter()
        .filter(|c| c.at.secs() <= now)
        .map(|c| (c.at.secs(), c.service.clone(), c.kind.label().to_string(), c.summary.clone(), c.author.clone()))
        .collect();
    for c in &sim.inventory().changes {
        let (t, service, kind, summary) = (&c.t, &c.service, &c.kind, &c.summary);
        let author = c.author.clone().unwrap_or_else(|| "you".to_string());
        all.push((*t, s.services[*service as usize].id.clone(), kind.label().to_string(), summary.clone(), author));
    }
    all.retain(|(t, ..)| now - t <= since);
    all.sort_by_key(|(t, ..)| std::cmp::Reverse(*t));
    if all.is_empty() {
        return Doc::line(Line::plain(format!("No changes in the last {}.", SimDuration(since))));
    }
    let rows = all
        .into_iter()
        .map(|(t, service, kind, summary, author)| {
            let days_ago = -(tod + t).div_euclid(86_400);
            let day = match days_ago {
                0 => String::new(),
                1 => " yesterday".to_string(),
                n => format!(" {n} days ago"),
            };
            vec![
                (Style::Dim, format!("{}{day}", clock_label(tod, t))),
                (Style::Dim, SimDuration(now - t).to_string() + " ago"),
                (Style::Plain, service),
                (Style::Dim, kind),
                (Style::Plain, summary),
                (Style::Dim, if author.is_empty() { String::new() } else { format!("by {author}") }),
            ]
        })
        .collect();
    table(rows)
}

/// `flags`.
pub fn flags(sim: &Sim) -> Doc {
    let s = sim.scenario();
    if s.flags.is_empty() {
        return Doc::line(Line::plain("No feature flags."));
    }
    let rows = s
        .flags
        .iter()
        .map(|f| {
            let value = sim.inventory().flags.get(&f.id).cloned().unwrap_or_else(|| f.value.clone());
            vec![
                (Style::Plain, f.id.clone()),
                (Style::Dim, f.service.clone()),
                (Style::Heading, value),
                (Style::Dim, f.description.clone()),
            ]
        })
        .collect();
    table(rows)
}

/// `config <service>`.
pub fn config(sim: &Sim, service: &str) -> Result<Doc, CommandError> {
    let s = sim.scenario();
    let index = service_index(s, "config", service)?;
    let mut values = s.services[index].config.clone();
    for ((svc, key), value) in &sim.inventory().config {
        if *svc as usize == index {
            values.insert(key.clone(), value.clone());
        }
    }
    if values.is_empty() {
        return Ok(Doc::line(Line::plain(format!("{service} has no configuration values on record."))));
    }
    Ok(table(values.into_iter().map(|(k, v)| vec![(Style::Plain, k), (Style::Heading, v)]).collect()))
}

/// `runbook [<name>]`.
pub fn runbook(s: &Scenario, name: Option<&str>) -> Result<Doc, CommandError> {
    let Some(name) = name else {
        if s.runbooks.is_empty() {
            return Ok(Doc::line(Line::plain("No runbooks.")));
        }
        let mut doc = table(
            s.runbooks.iter().map(|r| vec![(Style::Plain, r.id.clone()), (Style::Dim, r.title.clone())]).collect(),
        );
        doc.push(Line::styled(Style::Dim, "Read one with `runbook <name>`."));
        return Ok(doc);
    };
    let book = s.runbooks.iter().find(|r| r.id == name).ok_or_else(|| CommandError {
        word: "runbook".into(),
        kind: CommandErrorKind::Unknown {
            what: "runbook",
            name: name.to_string(),
            candidates: s.runbooks.iter().map(|r| r.id.clone()).collect(),
        },
    })?;
    let mut doc = Doc::line(Line::styled(Style::Heading, book.title.clone()));
    for line in book.body.lines() {
        doc.plain(line);
    }
    Ok(doc)
}

/// `inbox` / `tickets`: messages delivered so far.
pub fn inbox(tod: i64, messages: &[Received], only: Option<Channel>) -> Doc {
    let shown: Vec<_> = messages.iter().filter(|m| only.is_none_or(|o| o == m.channel)).collect();
    if shown.is_empty() {
        return Doc::line(Line::plain(if only == Some(Channel::Ticket) { "No tickets." } else { "No messages." }));
    }
    let mut doc = Doc::new();
    for Received { t, from, channel, text } in shown {
        doc.push(
            Line::styled(Style::Dim, format!("{} [{}] ", clock_label(tod, *t), channel_word(*channel)))
                .push(Style::Heading, from.clone())
                .push(Style::Plain, ": ")
                .push(Style::Plain, text.clone()),
        );
    }
    doc
}

/// `chat` or `ticket`.
pub fn channel_word(c: Channel) -> &'static str {
    match c {
        Channel::Chat => "chat",
        Channel::Ticket => "ticket",
    }
}

/// `slo [<service>]`: SLI, budget left, burn rates per window and the severity they imply.
pub fn slo(sim: &Sim, service: Option<&str>) -> Result<Doc, CommandError> {
    let book = sim.slos();
    if book.slos.is_empty() {
        return Ok(Doc::line(Line::plain("No SLOs are defined for this system.")));
    }
    if let Some(name) = service {
        service_index(sim.scenario(), "slo", name)?;
        if !book.slos.iter().any(|s| s.service == name) {
            let mut with: Vec<String> = book.slos.iter().map(|s| s.service.clone()).collect();
            with.sort();
            with.dedup();
            return Err(CommandError {
                word: "slo".into(),
                kind: CommandErrorKind::Usage {
                    message: format!("`{name}` has no SLO; services with SLOs: {}", with.join(", ")),
                },
            });
        }
    }
    let mut windows: Vec<usize> = DISPLAY_WINDOWS.to_vec();
    windows.extend(book.tiers.iter().flat_map(|t| [Some(t.window), t.short_window]).flatten());
    windows.sort_unstable();
    windows.dedup();
    let mut doc = Doc::new();
    for (i, run) in book.slos.iter().enumerate().filter(|(_, r)| service.is_none_or(|s| s == r.service)) {
        let what = run.describe();
        let left = run.budget_remaining();
        doc.push(
            Line::styled(
                Style::Heading,
                format!("{} {what} SLO {:.2}% over {}", run.service, run.target * 100.0, window_label(run.window)),
            )
            .push(
                if left < 0.0 {
                    Style::Bad
                } else if left < 0.5 {
                    Style::Warn
                } else {
                    Style::Plain
                },
                format!(": {:.1}% of the error budget left", left * 100.0),
            ),
        );
        let mut rows = vec![
            ["  WINDOW", "SLI", "BURN RATE", "BUDGET USED"]
                .iter()
                .map(|h| (Style::Dim, h.to_string()))
                .collect::<Vec<_>>(),
        ];
        for &w in &windows {
            let burn = run.burn_rate(w);
            rows.push(vec![
                (Style::Plain, format!("  {}", window_label(w))),
                (Style::Plain, format!("{:.3}%", run.sli(w) * 100.0)),
                (if burn >= 1.0 { Style::Warn } else { Style::Plain }, format!("{burn:.2}")),
                (Style::Plain, format!("{:.2}%", run.consumed(w) * 100.0)),
            ]);
        }
        doc.extend(table(rows));
        doc.push(match book.severity(i) {
            Some(tier) => Line::styled(Style::Bad, format!("  severity: {}", tier.name)).push(
                Style::Dim,
                format!(" (at least {:.0}% of the budget in {})", tier.budget * 100.0, window_label(tier.window)),
            ),
            None => Line::styled(Style::Good, "  severity: none (burning within policy)"),
        });
    }
    Ok(doc)
}

/// Most rows `query` prints.
const QUERY_ROWS: usize = 50;

/// `query [--precise] <expr>`: evaluates a PromQL expression at the drill's now; `precise` prints every
/// digit of each value as Prometheus does, else at most four decimals.
pub fn query(sim: &Sim, expr: &str, precise: bool) -> Result<Doc, CommandError> {
    let number = |v: f64| if precise { crate::promql::go_float(v) } else { number(v) };
    let answer = sim.query(expr).map_err(|e| CommandError {
        word: "query".into(),
        kind: CommandErrorKind::Usage { message: e.to_string().lines().next().unwrap_or("").to_string() },
    })?;
    let page = sim.page_time_of_day();
    // Evaluated now, as Prometheus evaluates an instant query; a selector reads the newest sample (every minute).
    let now = clock_label(page, sim.now());
    let at = match sim.history().last_t() {
        Some(t) if t != sim.now() => format!("{now} (now; newest samples {})", clock_label(page, t)),
        _ => now,
    };
    let mut doc = Doc::line(Line::styled(Style::Dim, format!("{expr} at {at}")));
    match answer.value {
        QueryValue::Scalar(v) => doc.plain(format!("scalar  {}", number(v))),
        QueryValue::String(text) => doc.plain(format!("string  {text:?}")),
        QueryValue::Vector(samples) if samples.is_empty() => doc.plain("no series"),
        QueryValue::Matrix(series) if series.is_empty() => doc.plain("no series"),
        // The evaluator's order is already stable: series order, label order after aggregation, value order for topk.
        QueryValue::Vector(samples) => {
            let total = samples.len();
            let rows = samples
                .into_iter()
                .take(QUERY_ROWS)
                .map(|s| vec![(Style::Plain, series_name(&s.labels)), (Style::Heading, number(s.value))])
                .collect();
            doc.extend(table(rows));
            if total > QUERY_ROWS {
                doc.push(Line::styled(Style::Dim, format!("… and {} more", total - QUERY_ROWS)));
            }
        }
        // A range selector: each series' samples in the window, newest last.
        QueryValue::Matrix(series) => {
            let total = series.len();
            let rows = series
                .into_iter()
                .take(QUERY_ROWS)
                .map(|s| {
                    let points: Vec<String> = s
                        .points
                        .iter()
                        .map(|&(t, v)| format!("{} @{}", number(v), clock_label(page, t.div_euclid(1000))))
                        .collect();
                    vec![(Style::Plain, series_name(&s.labels)), (Style::Heading, points.join("  "))]
                })
                .collect();
            doc.extend(table(rows));
            if total > QUERY_ROWS {
                doc.push(Line::styled(Style::Dim, format!("… and {} more", total - QUERY_ROWS)));
            }
        }
    }
    for note in answer.notes {
        doc.push(Line::styled(Style::Dim, note));
    }
    Ok(doc)
}

/// `name{a="x",b="y"}`.
fn series_name(labels: &[(String, String)]) -> String {
    let name = labels.iter().find(|(n, _)| n == "__name__").map_or("", |(_, v)| v.as_str());
    let rest: Vec<String> =
        labels.iter().filter(|(n, _)| n != "__name__").map(|(n, v)| format!("{n}=\"{v}\"")).collect();
    format!("{name}{{{}}}", rest.join(","))
}

/// A number with at most four decimals and no trailing zeros.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

/// `deps` without a service: every service with what it calls, dependencies listed before their callers.
pub fn topology(sim: &Sim) -> Doc {
    let s = sim.scenario();
    let order = crate::scenario::dependency_order(s).unwrap_or_else(|_| (0..s.services.len()).collect());
    let rows = order
        .into_iter()
        .map(|i| {
            let svc = &s.services[i];
            let calls: Vec<String> = svc
                .depends_on
                .iter()
                .map(|d| match d.via.as_slice() {
                    [] => format!("{} ({})", d.on, d.coupling),
                    via => format!("{} ({}, via [{}])", d.on, d.coupling, via.join("] [")),
                })
                .collect();
            vec![
                (Style::Plain, svc.id.clone()),
                health_cell(sim.health(i)),
                (
                    Style::Dim,
                    if calls.is_empty() { "calls nothing".to_string() } else { format!("calls {}", calls.join(", ")) },
                ),
            ]
        })
        .collect();
    table(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_units_are_shown_as_declared() {
        assert_eq!(format_value(12.5, Unit::GB), "12.5GB");
        assert_eq!(format_value(12.5, Unit::GiB), "12.5GiB");
        assert_eq!(format_value(1500.0, Unit::MB), "1500.0MB", "a declared unit is never converted");
        assert_eq!(format_value(0.5, Unit::TiB), "0.5TiB");
        assert_eq!(format_value(3.0, Unit::KB), "3.0kB");
        assert_eq!(format_value(1_610_612_736.0, Unit::Bytes), "1.5GiB", "plain bytes get binary prefixes");
    }
}
