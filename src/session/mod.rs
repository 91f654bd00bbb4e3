//! A drill: volunteer commands in, events out; scoring and the debrief. No terminal I/O here.

mod action_lines;
mod alert_rules;
mod blameless;
mod check;
mod claims;
mod cmd;
mod command;
mod complete;
mod debrief;
mod drill;
mod event;
mod gm;
mod html;
mod input;
mod limits;
mod observation;
mod observe;
mod record;
mod render;
mod routine;
mod rubric_lines;
mod score;
mod sheet;
mod text;
mod update_content;

pub use check::{CheckReport, Finding, GmOnly, Solved, Unsolved, check_source, check_walkthrough, gm_only_states};
pub use cmd::parse_severity;
pub use command::{
    Command, CommandError, CommandErrorKind, Invocation, Parsed, command_help, command_summaries, command_table, parse,
};
pub use complete::completions;
pub use debrief::{Debrief, debrief};
pub use drill::Drill;
pub use event::{BudgetLine, DrillEvent, EndReason, EventKind, Role, Visibility};
pub use gm::{
    GmCommand, GmDesk, GmView, InjectWhat, TrackView, gm_command_summaries, gm_completions, gm_feed, inject_names,
};
pub use input::DrillInput;
pub use limits::{MAX_LINE, MAX_TEXT, MAX_TITLE, escape_controls, line_too_long};
pub use record::{ActionTaken, Declaration, Mitigation, Received, Record, RedHerring, ResolvedAlert};
pub use render::volunteer_view;
pub use score::{ScoreLine, Scorecard, score, score_record};
pub use sheet::{briefing_card, describe_trigger, expected_length, gm_sheet};
pub use text::{
    Doc, FIVE_W_QUESTIONS, Line, Span, Style, clock_label, count, five_ws_preamble, offset_label, sparkline, table,
};
