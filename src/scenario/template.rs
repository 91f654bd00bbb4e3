//! Log line templates (the format of `logs` and `Logs` symptoms) with placeholders filled from a seeded stream: random values (`{id}`,
//! `{user}`, `{ip}`, `{n}`, `{ms}`), ranges (`{n:1..8}`), choices (`{one_of:[GET,POST]}`) and identities
//! shared across services (`{ref:request}`: the same ids at the edge and the backend in the same minute).

use rand::Rng;

/// How many distinct values a `{ref:name}` identity takes in one simulated minute: every template that names
/// it draws from the same few, so a request id logged at the edge shows up at the backend too.
pub const REF_POOL: u64 = 4;

/// A template split into literal text and placeholders.
#[derive(Clone, Debug, PartialEq)]
pub struct Template(Vec<Part>);

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Text(String),
    /// `{id}`: a request id.
    Id,
    /// `{user}`: a user name.
    User,
    /// `{ip}`: a private address.
    Ip,
    /// `{n}`: a small number.
    Number,
    /// `{n:lo..hi}`: a whole number in `lo..=hi`.
    Range(i64, i64),
    /// `{one_of:[a,b,c]}`: one of the choices.
    OneOf(Vec<String>),
    /// `{ref:name}`: an identity shared by every template naming it, drawn from the minute's few values.
    Ref(String),
    /// `{ms}`: a latency near the service's p50.
    Millis,
}

/// Why a `{...}` slot that looks like a range, a choice or an identity cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset of the slot's `{` in the template.
    pub offset: usize,
    /// What was found and what was expected.
    pub message: String,
}

impl Template {
    /// Parses `text`; an unknown `{...}` stays literal, and so does a malformed range or choice (the
    /// validator reports those with [`Template::check`] before a world is built).
    pub fn parse(text: &str) -> Template {
        Template::read(text).unwrap_or_else(|_| Template(vec![Part::Text(text.to_string())]))
    }

    /// Reads `text`, refusing a malformed `{n:..}`, `{one_of:..}` or `{ref:..}` slot.
    pub fn check(text: &str) -> Result<(), TemplateError> {
        Template::read(text).map(|_| ())
    }

    fn read(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut at = 0;
        while let Some(open) = text[at..].find('{').map(|o| at + o) {
            literal.push_str(&text[at..open]);
            let after = &text[open..];
            let Some((part, len)) = slot(after).map_err(|message| TemplateError { offset: open, message })? else {
                literal.push('{');
                at = open + 1;
                continue;
            };
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(part);
            at = open + len;
        }
        literal.push_str(&text[at..]);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template(parts))
    }

    /// Renders with values drawn from `rng`; `p50_ms` centres `{ms}`; `tick` (the simulated minute's time)
    /// picks the values a `{ref:..}` identity takes.
    pub fn render(&self, rng: &mut impl Rng, p50_ms: f32, tick: i64) -> String {
        let mut out = String::with_capacity(96);
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Id => out.push_str(&format!("{:08x}", rng.random::<u32>())),
                Part::User => out.push_str(&format!("user_{:05}", rng.random_range(0..100_000))),
                Part::Ip => out.push_str(&format!(
                    "10.{}.{}.{}",
                    rng.random_range(0..8),
                    rng.random::<u8>(),
                    rng.random_range(1..255)
                )),
                Part::Number => out.push_str(&rng.random_range(1..2000).to_string()),
                Part::Range(lo, hi) => out.push_str(&rng.random_range(*lo..=*hi).to_string()),
                Part::OneOf(choices) => out.push_str(&choices[rng.random_range(0..choices.len())]),
                Part::Ref(name) => {
                    out.push_str(&format!("{:08x}", identity(name, tick, rng.random_range(0..REF_POOL))))
                }
                Part::Millis => {
                    let ms = p50_ms.max(1.0) * (0.5 + rng.random::<f32>() * 1.5);
                    out.push_str(&format!("{ms:.0}"));
                }
            }
        }
        out
    }
}

/// The `k`-th value identity `name` takes in the minute of `tick`: a hash, so every service computes the same
/// ids without sharing state (FNV-1a over the name, the minute and `k`, folded to 32 bits).
fn identity(name: &str, tick: i64, k: u64) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let minute = tick.div_euclid(60).to_le_bytes();
    for b in name.bytes().chain(minute).chain(k.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h ^ (h >> 32)) as u32
}

/// The placeholder at the start of `after` (which starts with `{`) and its length; `Ok(None)` for text that
/// is not a placeholder.
fn slot(after: &str) -> Result<Option<(Part, usize)>, String> {
    const FIXED: [(&str, Part); 5] =
        [("{id}", Part::Id), ("{user}", Part::User), ("{ip}", Part::Ip), ("{n}", Part::Number), ("{ms}", Part::Millis)];
    if let Some((name, part)) = FIXED.into_iter().find(|(name, _)| after.starts_with(name)) {
        return Ok(Some((part, name.len())));
    }
    let (word, body) = match ["n:", "one_of:", "ref:"].into_iter().find(|w| after[1..].starts_with(w)) {
        Some(word) => (word, &after[1 + word.len()..]),
        None => return Ok(None),
    };
    let close = match word {
        // A choice list may hold `}` only after its `]`.
        "one_of:" => body.find("]}").map(|c| c + 1),
        _ => body.find('}'),
    }
    .ok_or_else(|| format!("`{{{word}` is not closed; expected `}}`"))?;
    let inner = &body[..close];
    let len = 1 + word.len() + close + 1;
    let part = match word {
        "n:" => range(inner)?,
        "one_of:" => choices(inner)?,
        _ => {
            let ok = !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(format!(
                    "bad identity name `{inner}` in `{{ref:..}}`; expected letters, digits, `_` or `-`"
                ));
            }
            Part::Ref(inner.to_string())
        }
    };
    Ok(Some((part, len)))
}

fn range(inner: &str) -> Result<Part, String> {
    let bad = || format!("bad range `{inner}` in `{{n:..}}`; expected two whole numbers like `{{n:1..8}}`");
    let (lo, hi) = inner.split_once("..").ok_or_else(bad)?;
    let (lo, hi) = (lo.trim().parse::<i64>().map_err(|_| bad())?, hi.trim().parse::<i64>().map_err(|_| bad())?);
    if lo > hi {
        return Err(format!("empty range `{inner}` in `{{n:..}}`; the first number must not exceed the second"));
    }
    Ok(Part::Range(lo, hi))
}

fn choices(inner: &str) -> Result<Part, String> {
    let list = inner
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .ok_or_else(|| format!("bad choice list `{inner}`; expected `{{one_of:[a,b,c]}}`"))?;
    let items: Vec<String> = list.split(',').map(|c| c.trim().to_string()).collect();
    if items.iter().any(String::is_empty) {
        return Err(format!("empty choice in `{{one_of:[{list}]}}`; expected words separated by commas"));
    }
    Ok(Part::OneOf(items))
}

#[cfg(test)]
mod tests {
    use super::{Template, TemplateError};
    use rand::SeedableRng;

    fn rng() -> rand_pcg::Pcg64Mcg {
        rand_pcg::Pcg64Mcg::seed_from_u64(7)
    }

    #[test]
    fn fills_known_slots_and_keeps_other_braces() {
        let t = Template::parse("GET {x} {id} by {user} {ms}ms");
        let line = t.render(&mut rng(), 20.0, 0);
        assert!(line.starts_with("GET {x} "), "{line}");
        assert!(line.contains(" by user_"), "{line}");
        assert!(line.ends_with("ms"), "{line}");
        assert!(!line.contains("{id}"));
    }

    #[test]
    fn ranges_and_choices_stay_within_what_they_declare() {
        let t = Template::parse("{one_of:[GET, POST,PUT]} /v1/items retries={n:1..3} shard={n:-2..-2}");
        let mut rng = rng();
        let lines: Vec<String> = (0..200).map(|_| t.render(&mut rng, 20.0, 0)).collect();
        assert_eq!(lines[0], "POST /v1/items retries=2 shard=-2");
        for method in ["GET ", "POST ", "PUT "] {
            assert!(lines.iter().any(|l| l.starts_with(method)), "{method} never chosen");
        }
        for n in 1..=3 {
            assert!(lines.iter().any(|l| l.contains(&format!("retries={n} "))), "{n} never drawn");
        }
        assert!(lines.iter().all(|l| l.ends_with(" shard=-2")));
        let retries: Vec<&str> =
            lines.iter().map(|l| l.split("retries=").nth(1).unwrap().split(' ').next().unwrap()).collect();
        assert!(retries.iter().all(|r| ["1", "2", "3"].contains(r)), "{retries:?}");
    }

    #[test]
    fn an_identity_takes_the_same_few_values_in_every_service_within_a_minute() {
        let edge = Template::parse("edge GET /x request_id={ref:request}");
        let backend = Template::parse("backend SELECT for request_id={ref:request}");
        let mut a = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let mut b = rand_pcg::Pcg64Mcg::seed_from_u64(99);
        let id = |line: String| line.rsplit('=').next().unwrap().to_string();
        let at_edge: std::collections::BTreeSet<String> = (0..50).map(|_| id(edge.render(&mut a, 1.0, 120))).collect();
        let at_backend: std::collections::BTreeSet<String> =
            (0..50).map(|_| id(backend.render(&mut b, 1.0, 179))).collect();
        assert_eq!(at_edge.len(), super::REF_POOL as usize);
        assert_eq!(at_edge, at_backend, "same minute, same ids");
        let next_minute: std::collections::BTreeSet<String> =
            (0..50).map(|_| id(backend.render(&mut b, 1.0, 180))).collect();
        assert!(next_minute.is_disjoint(&at_edge), "a new minute, new requests");
        assert_eq!(super::identity("request", 120, 0), super::identity("request", 150, 0));
        assert_eq!(format!("{:08x}", super::identity("request", 0, 0)), "25d079c7");
    }

    #[test]
    fn malformed_slots_are_refused_with_where_and_what() {
        let err = |t: &str| Template::check(t).unwrap_err();
        assert_eq!(
            err("x {n:8..1} y"),
            TemplateError {
                offset: 2,
                message: "empty range `8..1` in `{n:..}`; the first number must not exceed the second".into()
            }
        );
        assert_eq!(err("{n:1-8}").message, "bad range `1-8` in `{n:..}`; expected two whole numbers like `{n:1..8}`");
        assert_eq!(
            err("a {one_of:[x,,y]}").message,
            "empty choice in `{one_of:[x,,y]}`; expected words separated by commas"
        );
        assert_eq!(err("a {one_of:x}").message, "`{one_of:` is not closed; expected `}`");
        assert_eq!(
            err("{ref:a b}").message,
            "bad identity name `a b` in `{ref:..}`; expected letters, digits, `_` or `-`"
        );
        assert_eq!(Template::check("{unknown} {n} {n:0..0}"), Ok(()));
        // A template the validator would refuse still renders literally rather than panicking.
        assert_eq!(Template::parse("{n:9..1}").render(&mut rng(), 1.0, 0), "{n:9..1}");
    }
}
