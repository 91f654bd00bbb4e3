//! Processes in the format: metrics derived from other metrics by an expression, controllers (an
//! autoscaler) that chase a target with a delay and limits and that actions can pause, hold or resume, and
//! capacities (restarts per minute, a quota) that limit how fast a recovery goes, shared by every recovery
//! drawing on them.

use super::SimDuration;
use serde::{Deserialize, Serialize};

/// The scenario's processes; every list is optional.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Processes {
    /// Metrics computed each tick from other metrics.
    #[serde(default)]
    pub derived: Vec<Derived>,
    /// Feedback loops that move one metric to keep another near a target.
    #[serde(default)]
    pub controllers: Vec<Controller>,
    /// Limits on how fast recoveries go, per minute.
    #[serde(default)]
    pub capacities: Vec<Capacity>,
    /// Metrics that climb back (or fall) to a value while a state lasts, as fast as a capacity allows.
    #[serde(default)]
    pub recoveries: Vec<Recovery>,
}

impl Processes {
    /// Whether no process is declared.
    pub fn is_empty(&self) -> bool {
        self.derived.is_empty()
            && self.controllers.is_empty()
            && self.capacities.is_empty()
            && self.recoveries.is_empty()
    }
}

/// A metric whose value is an expression over other metrics.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Derived {
    /// Service of the derived metric.
    pub service: String,
    /// The derived metric (declared in the service's `metrics`).
    pub metric: String,
    /// The expression: numbers, metrics (`load`, or `service.metric` for another service's), `+ - * /`,
    /// parentheses, `min(a, b)`, `max(a, b)`, `ceil(x)`, `floor(x)`.
    pub expr: String,
}

/// A controller: every tick it decides a new value for `adjusts` so that `watches` nears `target`
/// (proportionally, as Kubernetes' horizontal autoscaler does), which takes effect `delay` later.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Name used by `Control` effects.
    pub id: String,
    /// The service both metrics belong to.
    pub service: String,
    /// The metric it reads (e.g. `cpu`).
    pub watches: String,
    /// The value it aims `watches` at.
    pub target: f64,
    /// The metric it sets (e.g. `instances`).
    pub adjusts: String,
    /// How long a decision takes to take effect.
    #[serde(default)]
    pub delay: SimDuration,
    /// Lowest value it sets.
    pub min: f64,
    /// Highest value it sets.
    pub max: f64,
    /// Largest change per decision (0 = no limit).
    #[serde(default)]
    pub max_step: f64,
}

/// A rate limit shared by every recovery that draws on it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Name used by recoveries and `SetCapacity`.
    pub id: String,
    /// Units of recovery per minute (e.g. servers restarted per minute).
    pub per_minute: f64,
    /// One line for the GM sheet.
    #[serde(default)]
    pub description: String,
}

/// A metric that moves toward `to` while any of `during` is a current state, starting from its value at that
/// moment, by no more than its share of `capacity` each minute.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    /// Service.
    pub service: String,
    /// Metric (e.g. `servers_up`).
    pub metric: String,
    /// Where it ends.
    pub to: f64,
    /// The capacity it draws on.
    pub capacity: String,
    /// States during which it runs.
    pub during: Vec<String>,
}

/// What an effect does to a controller.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub enum ControlMode {
    /// Decides again (after a pause or hold).
    Resume,
    /// Stops deciding; the value stays where it is (decisions in flight are dropped).
    Pause,
    /// Pins the value at this number (an operator override) until resumed.
    Hold(f64),
}

/// A parsed derived-metric expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number.
    Number(f64),
    /// A metric: (service, metric).
    Metric(String, String),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a op b`.
    Binary(Box<Expr>, BinOp, Box<Expr>),
    /// `f(args)`.
    Call(Func, Vec<Expr>),
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (division by zero gives 0).
    Div,
}

/// Functions an expression can call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// Smaller of two.
    Min,
    /// Larger of two.
    Max,
    /// Round up.
    Ceil,
    /// Round down.
    Floor,
}

impl Func {
    fn named(name: &str) -> Option<(Func, usize)> {
        Some(match name {
            "min" => (Func::Min, 2),
            "max" => (Func::Max, 2),
            "ceil" => (Func::Ceil, 1),
            "floor" => (Func::Floor, 1),
            _ => return None,
        })
    }
}

/// Why an expression does not parse: the byte offset and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset in the expression.
    pub offset: usize,
    /// What was found and what was expected.
    pub message: String,
}

impl Expr {
    /// Parses `text`; a bare metric name belongs to `service`.
    pub fn parse(text: &str, service: &str) -> Result<Expr, ExprError> {
        let mut p = Parser { text, at: 0, service };
        let e = p.sum()?;
        p.skip();
        if p.at < text.len() {
            return Err(p.error(format!("unexpected `{}`; expected an operator or the end", p.rest_word())));
        }
        Ok(e)
    }

    /// Every metric it reads, in order.
    pub fn metrics(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Metric(s, m) = e {
                out.push((s.as_str(), m.as_str()));
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Neg(x) => x.walk(f),
            Expr::Binary(a, _, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.walk(f)),
            Expr::Number(_) | Expr::Metric(..) => {}
        }
    }

    /// Evaluates with `value` giving each metric's current value.
    pub fn eval(&self, value: &impl Fn(&str, &str) -> f64) -> f64 {
        match self {
            Expr::Number(n) => *n,
            Expr::Metric(s, m) => value(s, m),
            Expr::Neg(x) => -x.eval(value),
            Expr::Binary(a, op, b) => {
                let (a, b) = (a.eval(value), b.eval(value));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div if b == 0.0 => 0.0,
                    BinOp::Div => a / b,
                }
            }
            Expr::Call(f, args) => {
                let x = |i: usize| args[i].eval(value);
                match f {
                    Func::Min => x(0).min(x(1)),
                    Func::Max => x(0).max(x(1)),
                    Func::Ceil => x(0).ceil(),
                    Func::Floor => x(0).floor(),
                }
            }
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
    service: &'a str,
}

impl Parser<'_> {
    fn error(&self, message: String) -> ExprError {
        ExprError { offset: self.at, message }
    }

    fn skip(&mut self) {
        while self.text[self.at..].starts_with(' ') {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip();
        self.text[self.at..].chars().next()
    }

    fn rest_word(&self) -> &str {
        let rest = &self.text[self.at..];
        &rest[..rest.find(' ').unwrap_or(rest.len())]
    }

    fn sum(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.product()?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.at += 1;
            let op = if op == '+' { BinOp::Add } else { BinOp::Sub };
            left = Expr::Binary(Box::new(left), op, Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.at += 1;
            let op = if op == '*' { BinOp::Mul } else { BinOp::Div };
            left = Expr::Binary(Box::new(left), op, Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        match self.peek() {
            Some('-') => {
                self.at += 1;
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            Some('(') => {
                self.at += 1;
                let e = self.sum()?;
                self.close()?;
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.name(),
            Some(_) => {
                Err(self.error(format!("unexpected `{}`; expected a number, a metric or `(`", self.rest_word())))
            }
            None => Err(self.error("the expression ends early; expected a number, a metric or `(`".into())),
        }
    }

    fn close(&mut self) -> Result<(), ExprError> {
        if self.peek() == Some(')') {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error("expected `)`".into()))
        }
    }

    fn number(&mut self) -> Result<Expr, ExprError> {
        let rest = &self.text[self.at..];
        let len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let n = rest[..len].parse::<f64>().map_err(|_| self.error(format!("bad number `{}`", &rest[..len])))?;
        self.at += len;
        Ok(Expr::Number(n))
    }

    /// A metric (`load`, `api.load`; service ids may hold `-`, so subtraction needs spaces around it) or a call.
    fn name(&mut self) -> Result<Expr, ExprError> {
        let start = self.at;
        let rest = &self.text[start..];
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c))).unwrap_or(rest.len());
        let word = &rest[..len];
        self.at += len;
        if self.peek() == Some('(') {
            let (func, arity) = Func::named(word).ok_or_else(|| ExprError {
                offset: start,
                message: format!("unknown function `{word}`; expected min, max, ceil or floor"),
            })?;
            self.at += 1;
            let mut args = vec![self.sum()?];
            while self.peek() == Some(',') {
                self.at += 1;
                args.push(self.sum()?);
            }
            self.close()?;
            if args.len() != arity {
                return Err(ExprError {
                    offset: start,
                    message: format!(
                        "`{word}` takes {arity} argument{}, not {}",
                        if arity == 1 { "" } else { "s" },
                        args.len()
                    ),
                });
            }
            return Ok(Expr::Call(func, args));
        }
        Ok(match word.rsplit_once('.') {
            Some((service, metric)) => Expr::Metric(service.to_string(), metric.to_string()),
            None => Expr::Metric(self.service.to_string(), word.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str) -> f64 {
        let e = Expr::parse(text, "api").expect("parses");
        e.eval(&|s, m| match (s, m) {
            ("api", "load") => 1000.0,
            ("api", "per_instance") => 60.0,
            ("users-db", "connections") => 7.0,
            _ => f64::NAN,
        })
    }

    #[test]
    fn expressions_evaluate_with_precedence_functions_and_other_services() {
        assert_eq!(eval("ceil(load / per_instance)"), 17.0);
        assert_eq!(eval("load / per_instance"), 1000.0 / 60.0);
        assert_eq!(eval("2 + 3 * 4 - -1"), 15.0);
        assert_eq!(eval("(2 + 3) * 4"), 20.0);
        assert_eq!(eval("max(users-db.connections - 10, 0)"), 0.0);
        assert_eq!(eval("min(load, 5) / 0"), 0.0, "division by zero gives 0, not infinity");
        assert_eq!(eval("floor(7.9)"), 7.0);
        let e = Expr::parse("max(users-db.connections, load)", "api").unwrap();
        assert_eq!(e.metrics(), vec![("users-db", "connections"), ("api", "load")]);
    }

    #[test]
    fn bad_expressions_say_where_and_what() {
        let err = |t: &str| Expr::parse(t, "api").unwrap_err();
        assert_eq!(
            err("load +"),
            ExprError { offset: 6, message: "the expression ends early; expected a number, a metric or `(`".into() }
        );
        assert_eq!(err("load load").message, "unexpected `load`; expected an operator or the end");
        assert_eq!(err("sqrt(load)").message, "unknown function `sqrt`; expected min, max, ceil or floor");
        assert_eq!(err("min(load)").message, "`min` takes 2 arguments, not 1");
        assert_eq!(err("(load").message, "expected `)`");
        assert_eq!(err("load % 2").offset, 5);
    }
}
