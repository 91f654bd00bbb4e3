//! What any action visibly does on a real system, whether or not it helps: a rollback changes the version
//! and the deploy log, a restart writes shutdown and startup lines, scaling and failovers leave change
//! entries, a flag flips. Without this, probing with `mitigate` and watching `changes` and `status` would show
//! which actions the scenario models. When the scenario models an action, its own effects win (see
//! `sim::incident::apply_routine`).

use crate::scenario::{ChangeKind, Effect, Level, Scenario};

/// The service an action on `target` shows on, and the effects it shows, for an action named `action`.
/// `version` is the service's current version.
pub fn routine_effects(
    s: &Scenario,
    action: &str,
    target: &str,
    arg: Option<&str>,
    version: impl Fn(&str) -> String,
) -> Option<(String, Vec<Effect>)> {
    if let Some(flag) = s.flags.iter().find(|f| f.id == target) {
        // An action with an argument sets the flag to it (`mitigate set-rollout new_handler 30%`).
        let value = arg.map_or_else(|| off_value(&flag.value).to_string(), str::to_string);
        let effects = vec![
            Effect::SetFlag { flag: flag.id.clone(), value: value.to_string() },
            change(&flag.service, ChangeKind::Flag, format!("flag {} set to {value}", flag.id)),
            log(&flag.service, Level::Info, format!("feature flag {} changed to {value}; reloading", flag.id)),
        ];
        return Some((flag.service.clone(), effects));
    }
    let service = s.services.iter().find(|x| x.id == target)?.id.clone();
    let word = action.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| word.contains(w));
    let effects = if has(&["rollback", "roll-back", "revert", "downgrade"]) {
        let current = version(&service);
        let previous = previous_version(&current);
        let mut effects = vec![
            change(&service, ChangeKind::Rollback, format!("rollback of {service} to {previous} (was {current})")),
            log(&service, Level::Info, format!("deploy: rolling {service} back from {current} to {previous}")),
            log(&service, Level::Info, format!("{service} {previous} started; ready to serve")),
        ];
        if !current.is_empty() {
            effects.push(Effect::Version { service: service.clone(), version: previous });
        }
        effects
    } else if has(&["restart", "bounce", "reboot", "recycle"]) {
        vec![
            change(&service, ChangeKind::Infra, format!("restart of every {service} instance")),
            log(&service, Level::Warn, "received SIGTERM; draining connections and shutting down".to_string()),
            log(&service, Level::Info, format!("{service} started; ready to serve")),
        ]
    } else if has(&["scale", "add-capacity", "resize"]) {
        vec![
            change(&service, ChangeKind::Infra, format!("scaled {service} out by 2 instances")),
            log(&service, Level::Info, "autoscaler: 2 new instances ready and in rotation".to_string()),
        ]
    } else if has(&["failover", "promote", "switchover"]) {
        vec![
            change(&service, ChangeKind::Infra, format!("failover of {service}: standby promoted")),
            log(&service, Level::Warn, "promoted standby to primary; old primary fenced".to_string()),
        ]
    } else {
        vec![
            change(&service, ChangeKind::Infra, format!("{action} on {service}")),
            log(&service, Level::Info, format!("operator action `{action}` completed")),
        ]
    };
    Some((service, effects))
}

fn change(service: &str, kind: ChangeKind, summary: String) -> Effect {
    Effect::Change { service: service.to_string(), kind, summary, author: None }
}

fn log(service: &str, level: Level, text: String) -> Effect {
    Effect::Log { service: service.to_string(), level, text }
}

/// `on` -> `off`, `true` -> `false`, `enabled` -> `disabled`, anything else -> `off`.
fn off_value(value: &str) -> &'static str {
    match value.to_ascii_lowercase().as_str() {
        "true" | "false" => "false",
        "enabled" | "disabled" => "disabled",
        "1" | "0" => "0",
        _ => "off",
    }
}

/// The release before `version`: its last non-zero number lowered by one (`v2.15.0` -> `v2.14.0`).
pub fn previous_version(version: &str) -> String {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let bytes = version.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            groups.push((start, i));
        } else {
            i += 1;
        }
    }
    for &(start, end) in groups.iter().rev() {
        match version[start..end].parse::<u64>() {
            Ok(n) if n > 0 => return format!("{}{}{}", &version[..start], n - 1, &version[end..]),
            _ => {}
        }
    }
    if version.is_empty() { "the previous release".to_string() } else { format!("{version}~1") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_versions() {
        assert_eq!(previous_version("v2.15.0"), "v2.14.0");
        assert_eq!(previous_version("v3.182.0"), "v3.181.0");
        assert_eq!(previous_version("1.0.3"), "1.0.2");
        assert_eq!(previous_version("0.0.0"), "0.0.0~1");
        assert_eq!(previous_version(""), "the previous release");
    }
}
