//! A drill: volunteer commands in, events out; scoring and the debrief. No terminal I/O here.

mod check;
mod command;
mod complete;
mod debrief;
mod drill;
mod event;
mod html;
mod limits;
mod observe;
mod render;
mod score;
mod text;

pub use check::{Solved, check_walkthrough};
pub use command::{Command, CommandError, CommandErrorKind, Parsed, command_help, command_summaries, parse};
pub use complete::completions;
pub use debrief::{Debrief, debrief};
pub use drill::{Drill, parse_severity};
pub use event::{BudgetLine, DrillEvent, EndReason, EventKind, Role, Visibility};
pub use limits::{MAX_LINE, MAX_TEXT, MAX_TITLE, escape_controls, line_too_long};
pub use render::volunteer_view;
pub use score::{ScoreLine, Scorecard, score};
pub use text::{Doc, Line, Span, Style, clock_label, count, offset_label, sparkline, table};
