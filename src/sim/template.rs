//! Log line templates with placeholders filled from the seeded log stream.

use rand::Rng;

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
    /// `{ms}`: a latency near the service's p50.
    Millis,
}

impl Template {
    /// Parses `text`; unknown `{...}` stays literal.
    pub fn parse(text: &str) -> Template {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut literal = String::new();
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open..];
            let slot = [
                ("{id}", Part::Id),
                ("{user}", Part::User),
                ("{ip}", Part::Ip),
                ("{n}", Part::Number),
                ("{ms}", Part::Millis),
            ]
            .into_iter()
            .find(|(name, _)| after.starts_with(name));
            match slot {
                Some((name, part)) => {
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                    rest = &after[name.len()..];
                }
                None => {
                    literal.push('{');
                    rest = &after[1..];
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Template(parts)
    }

    /// Renders with values drawn from `rng`; `p50_ms` centres `{ms}`.
    pub fn render(&self, rng: &mut impl Rng, p50_ms: f32) -> String {
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
                Part::Millis => {
                    let ms = p50_ms.max(1.0) * (0.5 + rng.random::<f32>() * 1.5);
                    out.push_str(&format!("{ms:.0}"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Template;
    use rand::SeedableRng;

    #[test]
    fn fills_known_slots_and_keeps_other_braces() {
        let t = Template::parse("GET {x} {id} by {user} {ms}ms");
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let line = t.render(&mut rng, 20.0);
        assert!(line.starts_with("GET {x} "), "{line}");
        assert!(line.contains(" by user_"), "{line}");
        assert!(line.ends_with("ms"), "{line}");
        assert!(!line.contains("{id}"));
    }
}
