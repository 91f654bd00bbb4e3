//! The HTML debrief: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) with the score,
//! charts of the key metrics across the drill with every action marked on them, what really happened, the
//! timeline and the postmortem draft. Built from the same event stream as the Markdown.

use super::Drill;
use super::event::{DrillEvent, EventKind};
use super::observe::format_value;
use super::record::Record;
use super::render::volunteer_view;
use super::score::Scorecard;
use super::text::{clock_label, offset_label};
use crate::scenario::{Comparison, SimDuration, Unit};
use std::fmt::Write;

/// Chart geometry, in SVG user units.
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 28.0;
/// At most this many charts: the page is for reading, not a dashboard.
const MAX_CHARTS: usize = 4;

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One thing the volunteer did that changed the incident's course, numbered on every chart.
struct Marker {
    t: i64,
    label: String,
}

fn markers(events: &[DrillEvent]) -> Vec<Marker> {
    events
        .iter()
        .filter_map(|e| {
            let label = match &e.kind {
                EventKind::Declared { severity, title } => format!("declared {} \"{title}\"", severity.label()),
                EventKind::Action { action, target, arg, result, .. } => {
                    let words = [Some(action.as_str()), target.as_deref(), arg.as_deref()];
                    let label = words.into_iter().flatten().collect::<Vec<_>>().join(" ");
                    if result.is_success() { label } else { format!("{label} ({})", result.label()) }
                }
                EventKind::Diagnosis { text } => format!("diagnosis: {text}"),
                EventKind::StatusUpdate { text, to } => match to {
                    Some(to) => format!("status update to {to}: {text}"),
                    None => format!("status update: {text}"),
                },
                EventKind::Hint { number, .. } => format!("hint {number}"),
                EventKind::RoleTaken { role, name } => format!("{name} took {}", role.short().to_uppercase()),
                _ => return None,
            };
            Some(Marker { t: e.t, label })
        })
        .collect()
}

/// A metric worth a chart: service, metric and the alert threshold drawn on it.
type KeyMetric = (String, String, Option<(Comparison, f64)>);

/// The metrics worth a chart: what the scenario's real (not red-herring) alerts watch, in rule order.
fn key_metrics(drill: &Drill) -> Vec<KeyMetric> {
    let s = drill.scenario();
    let mut keys: Vec<KeyMetric> = Vec::new();
    for rule in s.alerts.iter().filter(|r| !r.red_herring) {
        if !keys.iter().any(|(svc, m, _)| *svc == rule.service && *m == rule.metric) {
            keys.push((rule.service.clone(), rule.metric.clone(), Some((rule.op, rule.threshold))));
        }
    }
    if keys.is_empty()
        && let Some(svc) = s.services.iter().find(|svc| svc.metrics.iter().any(|m| m.name == "error_rate"))
    {
        keys.push((svc.id.clone(), "error_rate".to_string(), None));
    }
    keys.truncate(MAX_CHARTS);
    keys
}

/// Writes up a drill as one HTML page.
pub fn debrief_html(drill: &Drill, card: &Scorecard, markdown: &str) -> String {
    let s = drill.scenario();
    let facts = drill.record();
    let tod = drill.sim().page_time_of_day();
    let mut h = String::new();
    let title = format!("Debrief: {}", s.meta.title);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{}</style>\n\
         </head>\n<body>\n",
        esc(&title),
        STYLE
    );
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        h,
        "<p class=\"meta\">Scenario <code>{}</code> (version <code>{}</code>), seed {}. Source: {}. Paged at {}; the \
         drill ended at {} after {} of simulated time.</p>\n</header>",
        esc(&s.meta.id),
        &s.content_hash()[..12],
        drill.seed(),
        esc(&s.meta.source.to_string()),
        clock_label(tod, 0),
        clock_label(tod, facts.end_t()),
        SimDuration(facts.end_t())
    );
    write_score(&mut h, card);
    write_charts(&mut h, drill, facts);
    write_truth(&mut h, drill);
    write_people(&mut h, facts, tod);
    write_timeline(&mut h, drill);
    if let Some(at) = markdown.find("## Postmortem (draft)") {
        let _ = writeln!(
            h,
            "<section id=\"postmortem\">\n<h2>Postmortem draft (Markdown, ready to paste)</h2>\n<pre>{}</pre>\n</section>",
            esc(markdown[at..].trim_start_matches("## Postmortem (draft)").trim())
        );
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn write_score(h: &mut String, card: &Scorecard) {
    let _ = writeln!(h, "<section id=\"score\">\n<h2>Score: {}/{}</h2>\n<table class=\"score\">", card.total, card.max);
    let _ = writeln!(h, "<thead><tr><th>What</th><th>Points</th><th>When</th><th>Why</th></tr></thead>\n<tbody>");
    for l in &card.lines {
        let points = if l.info {
            "-".to_string()
        } else if l.max > 0 {
            format!("{}/{}", l.points, l.max)
        } else {
            format!("{}", l.points)
        };
        let class = if l.info {
            "info"
        } else if l.points < 0 || l.points < l.max {
            "short"
        } else {
            "full"
        };
        let _ = writeln!(
            h,
            "<tr class=\"{class}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&l.item),
            esc(&points),
            l.at.map_or(String::new(), offset_label),
            esc(&l.detail)
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn write_charts(h: &mut String, drill: &Drill, facts: &Record) {
    let marks = markers(drill.events());
    let tod = drill.sim().page_time_of_day();
    let history = drill.sim().history();
    let end = history.last_t().unwrap_or(0).max(facts.end_t()).max(60);
    // From half an hour before the page (or before impact began, if earlier), within the history held.
    let start = facts.impact_start.unwrap_or(0).min(0).saturating_sub(1800).max(history.first_t());
    let _ = writeln!(
        h,
        "<section id=\"charts\">\n<h2>Key metrics across the drill</h2>\n<p>The red line is the page; the shaded band \
         is user impact; numbered lines are what was done (listed below the charts); dashed lines are alert \
         thresholds.</p>"
    );
    for (service, metric, threshold) in key_metrics(drill) {
        let Some(series) = drill.sim().series_index(&service, &metric) else { continue };
        let unit = drill
            .scenario()
            .services
            .iter()
            .find(|svc| svc.id == service)
            .and_then(|svc| svc.metrics.iter().find(|m| m.name == metric))
            .map_or(Unit::Count, |m| m.unit);
        let (t0, values) = history.series(series, start);
        let chart = Chart { t0, step: history.step(), start, end, values: &values, unit, threshold, tod };
        let _ = writeln!(
            h,
            "<figure class=\"chart\" data-series=\"{}/{}\">\n{}<figcaption>{} <code>{}</code></figcaption>\n</figure>",
            esc(&service),
            esc(&metric),
            chart.svg(&marks, facts),
            esc(&service),
            esc(&metric)
        );
    }
    if !marks.is_empty() {
        h.push_str("<ol class=\"markers\">\n");
        for m in &marks {
            let _ = writeln!(
                h,
                "<li><time>{} ({})</time> {}</li>",
                clock_label(tod, m.t),
                offset_label(m.t),
                esc(&m.label)
            );
        }
        h.push_str("</ol>\n");
    }
    h.push_str("</section>\n");
}

/// One metric's line over the drill.
struct Chart<'a> {
    t0: i64,
    step: i64,
    start: i64,
    end: i64,
    values: &'a [f64],
    unit: Unit,
    threshold: Option<(Comparison, f64)>,
    tod: i64,
}

impl Chart<'_> {
    fn x(&self, t: i64) -> f64 {
        let span = (self.end - self.start).max(1) as f64;
        LEFT + (t - self.start) as f64 / span * (WIDTH - LEFT - RIGHT)
    }

    fn svg(&self, marks: &[Marker], facts: &Record) -> String {
        let top = self
            .values
            .iter()
            .copied()
            .chain(self.threshold.map(|(_, t)| t))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let top = if top > 0.0 { top * 1.1 } else { 1.0 };
        let y = |v: f64| TOP + (1.0 - v / top) * (HEIGHT - TOP - BOTTOM);
        let mut svg = String::new();
        let _ = writeln!(svg, "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" class=\"plot\">");
        let (plot_l, plot_r) = (LEFT, WIDTH - RIGHT);
        for (from, to) in super::action_lines::impact_spans(facts) {
            let (a, b) = (self.x(from.max(self.start)), self.x(to.min(self.end)));
            if b > a {
                let _ = writeln!(
                    svg,
                    "<rect class=\"impact\" x=\"{a:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                    b - a,
                    HEIGHT - TOP - BOTTOM
                );
            }
        }
        // Axes and their labels: zero and the top value, the start, the page and the end.
        let _ = writeln!(
            svg,
            "<line class=\"axis\" x1=\"{plot_l}\" y1=\"{:.1}\" x2=\"{plot_r}\" y2=\"{:.1}\"/>",
            y(0.0),
            y(0.0)
        );
        for v in [0.0, top / 1.1] {
            let _ = writeln!(
                svg,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                plot_l - 6.0,
                y(v) + 4.0,
                esc(&format_value(v, self.unit))
            );
        }
        // The page's own label wins over a start or end label that would overlap it.
        for t in [self.start, self.end].into_iter().filter(|t| (self.x(*t) - self.x(0)).abs() > 90.0) {
            let _ = writeln!(
                svg,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{}</text>",
                self.x(t),
                HEIGHT - 8.0,
                if t == self.start { "start" } else { "end" },
                clock_label(self.tod, t)
            );
        }
        if let Some((op, threshold)) = self.threshold {
            let word = if op == Comparison::Above { "alert above" } else { "alert below" };
            let _ = writeln!(
                svg,
                "<line class=\"threshold\" x1=\"{plot_l}\" y1=\"{0:.1}\" x2=\"{plot_r}\" y2=\"{0:.1}\"/>\
                 <text class=\"tick\" x=\"{1:.1}\" y=\"{2:.1}\" text-anchor=\"end\">{3} {4}</text>",
                y(threshold),
                plot_r,
                y(threshold) - 4.0,
                word,
                esc(&format_value(threshold, self.unit))
            );
        }
        let points: Vec<String> = self
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, v)| format!("{:.1},{:.1}", self.x(self.t0 + i as i64 * self.step), y(*v)))
            .collect();
        let _ = writeln!(svg, "<polyline class=\"series\" points=\"{}\"/>", points.join(" "));
        let page = self.x(0);
        let _ = writeln!(
            svg,
            "<line class=\"page\" x1=\"{page:.1}\" y1=\"{TOP}\" x2=\"{page:.1}\" y2=\"{:.1}\"/>\
             <text class=\"tick page-label\" x=\"{page:.1}\" y=\"{:.1}\" text-anchor=\"middle\">page {}</text>",
            y(0.0),
            HEIGHT - 8.0,
            clock_label(self.tod, 0)
        );
        // Actions a few pixels apart share one label ("1-4"); labels close together go on alternate rows.
        let xs: Vec<f64> = marks.iter().map(|m| self.x(m.t)).collect();
        let mut label_at: Vec<Option<String>> = vec![None; marks.len()];
        let mut i = 0;
        while i < marks.len() {
            let mut j = i;
            while j + 1 < marks.len() && xs[j + 1] - xs[i] < 16.0 {
                j += 1;
            }
            label_at[i] = Some(if i == j { format!("{}", i + 1) } else { format!("{}\u{2013}{}", i + 1, j + 1) });
            i = j + 1;
        }
        let mut rows = [f64::NEG_INFINITY; 2];
        for (n, m) in marks.iter().enumerate() {
            let x = xs[n];
            let _ = write!(
                svg,
                "<g class=\"marker\"><title>{} {}</title><line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>",
                clock_label(self.tod, m.t),
                esc(&m.label),
                y(0.0)
            );
            if let Some(label) = &label_at[n] {
                let width = 10.0 + 6.0 * label.chars().count() as f64;
                let row = rows.iter().position(|last| x - last >= 30.0).unwrap_or(usize::from(rows[0] > rows[1]));
                rows[row] = x + width / 2.0;
                let cy = TOP - 10.0 - 18.0 * row as f64;
                let _ = write!(
                    svg,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"16\" rx=\"8\"/>\
                     <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
                    x - width / 2.0,
                    cy - 8.0,
                    cy + 3.5
                );
            }
            svg.push_str("</g>\n");
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn write_truth(h: &mut String, drill: &Drill) {
    let rc = &drill.scenario().root_cause;
    let _ = writeln!(h, "<section id=\"truth\">\n<h2>What really happened</h2>\n<p>{}</p>", esc(&rc.summary));
    if !rc.trigger.is_empty() {
        let _ = writeln!(h, "<p>Trigger: {}.</p>", esc(&rc.trigger));
    }
    h.push_str("</section>\n");
}

/// Who did what, when several responders played: one row per person.
fn write_people(h: &mut String, facts: &Record, tod: i64) {
    if !facts.several_responders() {
        return;
    }
    let _ = writeln!(h, "<section id=\"people\">\n<h2>Who did what</h2>\n<table class=\"score\">");
    let _ = writeln!(
        h,
        "<thead><tr><th>Who</th><th>Roles</th><th>Commands</th><th>Evidence found</th><th>Updates and actions</th></tr></thead>\n<tbody>"
    );
    for (name, p) in &facts.people {
        let roles: Vec<&str> = p.roles.iter().map(|r| r.title()).collect();
        let mut did: Vec<(i64, String)> = p
            .updates
            .iter()
            .map(|u| {
                let to = u.to.as_deref().map_or(String::new(), |to| format!(" to {to}"));
                (u.t, format!("{} update{to}: {}", clock_label(tod, u.t), u.text))
            })
            .chain(p.actions.iter().map(|(t, a)| (*t, format!("{} {a}", clock_label(tod, *t)))))
            .collect();
        did.sort_by_key(|(t, _)| *t);
        let did: Vec<String> = did.iter().map(|(_, text)| esc(text)).collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            esc(&roles.join(", ")),
            p.commands.len(),
            esc(&p.evidence.join(", ")),
            did.join("<br>")
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn write_timeline(h: &mut String, drill: &Drill) {
    let tod = drill.sim().page_time_of_day();
    let _ = writeln!(
        h,
        "<section id=\"timeline\">\n<h2>Timeline</h2>\n<p>Everything typed and seen; what happened behind the scenes is \
         in italics. Open a command to see its output.</p>\n<ol class=\"timeline\">"
    );
    let mut pending: Option<&str> = None;
    for e in drill.events() {
        let at = format!("<time>{} <small>{}</small></time>", clock_label(tod, e.t), offset_label(e.t));
        match &e.kind {
            EventKind::Command { line, .. } => pending = Some(line),
            EventKind::Output { doc } => {
                let line = pending.take().unwrap_or_default();
                let _ = writeln!(
                    h,
                    "<li class=\"command\">{at}<details><summary><code>{}</code></summary><pre>{}</pre></details></li>",
                    esc(line),
                    esc(&doc.plain_text())
                );
            }
            EventKind::Rejected { line, error } => {
                let _ =
                    writeln!(h, "<li class=\"refused\">{at}<code>{}</code> refused: {}</li>", esc(line), esc(error));
            }
            EventKind::StateEntered { track, .. } if !drill.scenario().in_debrief(track) => {}
            EventKind::StateEntered { track, state, phase } => {
                let _ = writeln!(
                    h,
                    "<li class=\"hidden\">{at}<em>behind the scenes, <code>{}</code> entered <code>{}</code> ({phase})</em></li>",
                    esc(track),
                    esc(state)
                );
            }
            EventKind::EvidenceFound { id } => {
                let _ = writeln!(
                    h,
                    "<li class=\"hidden\">{at}<em>evidence <code>{}</code> was on screen</em></li>",
                    esc(id)
                );
            }
            EventKind::Clock { .. } => {}
            _ => {
                if let Some(doc) = volunteer_view(e, tod) {
                    let _ = writeln!(h, "<li class=\"event\">{at}<pre>{}</pre></li>", esc(doc.plain_text().trim_end()));
                }
            }
        }
    }
    h.push_str("</ol>\n</section>\n");
}

/// Inline styles: the page must render the same with no network.
const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#1b1f24;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
.meta{color:#57606a}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
pre{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap}
table.score{border-collapse:collapse;width:100%}table.score td,table.score th{border-bottom:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.full td.num{color:#1a7f37}tr.short td.num{color:#cf222e}tr.info{color:#57606a}
figure.chart{margin:1em 0}figcaption{color:#57606a;font-size:.9em}
svg.plot{width:100%;height:auto;background:#fbfcfd;border:1px solid #d0d7de}
.series{fill:none;stroke:#0969da;stroke-width:2}.axis{stroke:#8c959f}.threshold{stroke:#bf8700;stroke-dasharray:6 4}
.impact{fill:#ffebe9}.page{stroke:#cf222e;stroke-width:2}.tick{font-size:11px;fill:#57606a}.page-label{fill:#cf222e}
.marker line{stroke:#8250df;stroke-dasharray:3 3}.marker rect{fill:#8250df}.marker text{font-size:10px;fill:#fff;font-weight:bold}
ol.markers li{margin:.2em 0}ol.timeline{list-style:none;padding:0}ol.timeline li{margin:.4em 0}
ol.timeline time{display:inline-block;min-width:9em;color:#57606a;font-variant-numeric:tabular-nums}
li.hidden{color:#6e7781}li.refused{color:#9a6700}li.event pre{display:inline-block;margin:0;vertical-align:top;max-width:40em}
details{display:inline-block;vertical-align:top}summary{cursor:pointer}
";

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
