//! Response playbooks: versioned plans of phases and steps, written as data files like
//! frameworks (`playbooks/*.yaml`, `docs/INCIDENTS.md`). Applied to a case, each step becomes a
//! task with its due time.

use super::IncidentKind;
use crate::error::{FieldError, FieldErrors};
use crate::org::string_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The `format` line every playbook file starts with.
pub const FORMAT: &str = "palisade-playbook/1";

/// The longest a step's due offset may be: a year.
const MAX_DUE_HOURS: u32 = 24 * 366;
/// Most steps a playbook holds: each becomes a task on every case it is applied to.
pub const MAX_STEPS: usize = 200;

string_enum! {
    /// Who carries out a step.
    StepActor {
        Organisation => "organisation", "The organisation",
        National => "national", "The national team",
    }
}

string_enum! {
    /// What a step's due offset counts from.
    DueFrom {
        Awareness => "awareness", "awareness",
        Application => "application", "applying the playbook",
    }
}

string_enum! {
    /// Where a case's task stands.
    TaskState {
        Open => "open", "Open",
        Done => "done", "Done",
        NotApplicable => "not_applicable", "Not applicable",
    }
}

/// A playbook as written in its file and kept, once checked, as canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    pub format: String,
    /// Lower-case letters, digits and hyphens: `ransomware`.
    pub key: String,
    /// Raised whenever the content changes; a case keeps the version it was given.
    pub version: u32,
    pub title: String,
    pub description: String,
    /// The kinds of incident it answers, offered first on a case of that kind.
    #[serde(default)]
    pub kinds: Vec<IncidentKind>,
    pub phases: Vec<Phase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub title: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique within the playbook: lower-case letters, digits and hyphens.
    pub key: String,
    pub title: String,
    pub guidance: String,
    pub actor: StepActor,
    /// When the task falls due; a step without one is never overdue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Due>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Due {
    pub hours: u32,
    pub from: DueFrom,
}

/// A task a playbook step makes on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub position: u32,
    pub phase: String,
    pub step_key: String,
    pub title: String,
    pub guidance: String,
    pub actor: StepActor,
    pub due_at: Option<i64>,
}

impl Playbook {
    /// Every step with its phase's title, in order.
    pub fn steps(&self) -> impl Iterator<Item = (&Phase, &Step)> {
        self.phases
            .iter()
            .flat_map(|p| p.steps.iter().map(move |s| (p, s)))
    }

    /// The tasks for a case its organisation became aware of at `aware_at`, applied at `now`.
    pub fn tasks(&self, aware_at: i64, now: i64) -> Vec<NewTask> {
        self.steps()
            .enumerate()
            .map(|(n, (phase, s))| NewTask {
                position: u32::try_from(n).unwrap_or(u32::MAX),
                phase: phase.title.clone(),
                step_key: s.key.clone(),
                title: s.title.clone(),
                guidance: s.guidance.clone(),
                actor: s.actor,
                due_at: s.due.map(|d| {
                    let base = match d.from {
                        DueFrom::Awareness => aware_at,
                        DueFrom::Application => now,
                    };
                    base + i64::from(d.hours) * 3600
                }),
            })
            .collect()
    }

    /// The playbook as a file `parse` reads back.
    pub fn to_yaml(&self) -> String {
        yaml_serde::to_string(self).expect("a playbook always serialises")
    }

    /// The canonical JSON kept in storage, whose hash tells a changed file from the same one.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("a playbook always serialises")
    }
}

/// The playbooks Palisade ships, installed at start-up (`playbooks/`).
pub const SHIPPED: &[&str] = &[
    include_str!("../../../../playbooks/ransomware.yaml"),
    include_str!("../../../../playbooks/personal-data-breach.yaml"),
    include_str!("../../../../playbooks/supplier-compromise.yaml"),
    include_str!("../../../../playbooks/denial-of-service.yaml"),
    include_str!("../../../../playbooks/unsupported-system-exploited.yaml"),
    include_str!("../../../../playbooks/account-compromise.yaml"),
];

/// Parses and checks a playbook file (YAML, or JSON, which YAML reads too).
pub fn parse(text: &str) -> Result<Playbook, FieldErrors> {
    let p: Playbook = yaml_serde::from_str(text)
        .map_err(|e| FieldErrors::from(FieldError::new("file", e.to_string())))?;
    check(&p)?;
    Ok(p)
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn text(e: &mut FieldErrors, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        e.push(field, "is required");
    } else if value.chars().count() > max {
        e.push(field, format!("is longer than {max} characters"));
    }
}

/// Checks a playbook, whatever it was read from, naming every fault at once.
pub fn check(p: &Playbook) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::default();
    if p.format != FORMAT {
        e.push("format", format!("must be {FORMAT}"));
    }
    if !is_key(&p.key) {
        e.push(
            "key",
            "must be lower-case letters, digits and hyphens (at most 64)",
        );
    }
    if p.version == 0 {
        e.push("version", "must be 1 or more");
    }
    text(&mut e, "title", &p.title, 200);
    text(&mut e, "description", &p.description, 4000);
    if p.phases.is_empty() {
        e.push("phases", "needs at least one phase");
    }
    if p.steps().count() > MAX_STEPS {
        e.push("phases", format!("hold at most {MAX_STEPS} steps in all"));
    }
    let mut keys = BTreeSet::new();
    for (i, phase) in p.phases.iter().enumerate() {
        text(&mut e, &format!("phases[{i}].title"), &phase.title, 200);
        if phase.steps.is_empty() {
            e.push(format!("phases[{i}].steps"), "needs at least one step");
        }
        for (j, s) in phase.steps.iter().enumerate() {
            let at = format!("phases[{i}].steps[{j}]");
            if !is_key(&s.key) {
                e.push(
                    format!("{at}.key"),
                    "must be lower-case letters, digits and hyphens (at most 64)",
                );
            } else if !keys.insert(s.key.as_str()) {
                e.push(format!("{at}.key"), format!("`{}` is used twice", s.key));
            }
            text(&mut e, &format!("{at}.title"), &s.title, 200);
            text(&mut e, &format!("{at}.guidance"), &s.guidance, 4000);
            if let Some(d) = s.due
                && (d.hours == 0 || d.hours > MAX_DUE_HOURS)
            {
                e.push(
                    format!("{at}.due.hours"),
                    format!("must be from 1 to {MAX_DUE_HOURS}"),
                );
            }
        }
    }
    e.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "format: palisade-playbook/1
key: test-plan
version: 2
title: Test plan
description: For tests.
kinds: [ransomware]
phases:
  - title: Contain
    steps:
      - key: isolate
        title: Isolate
        guidance: Take it off the network.
        actor: organisation
        due: { hours: 4, from: awareness }
      - key: advise
        title: Advise
        guidance: Call back.
        actor: national
        due: { hours: 2, from: application }
      - key: learn
        title: Learn
        guidance: Write it down.
        actor: organisation
";

    #[test]
    fn a_good_file_makes_tasks_due_from_their_anchor() {
        let p = parse(GOOD).unwrap();
        let tasks = p.tasks(1_000, 50_000);
        assert_eq!(tasks.len(), 3);
        assert_eq!(tasks[0].due_at, Some(1_000 + 4 * 3600));
        assert_eq!(tasks[1].due_at, Some(50_000 + 2 * 3600));
        assert_eq!(tasks[1].actor, StepActor::National);
        assert_eq!(tasks[2].due_at, None);
        assert_eq!(tasks[2].position, 2);
        assert_eq!(tasks[0].phase, "Contain");
        assert_eq!(parse(&p.to_yaml()).unwrap(), p);
    }

    #[test]
    fn every_fault_is_named_with_its_path() {
        let bad = GOOD
            .replace("key: advise", "key: isolate")
            .replace("hours: 4", "hours: 0")
            .replace("version: 2", "version: 0")
            .replace("title: Learn", "title: ' '");
        let errs = parse(&bad).unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "version",
                "phases[0].steps[0].due.hours",
                "phases[0].steps[1].key",
                "phases[0].steps[2].title"
            ]
        );
    }

    #[test]
    fn due_hours_run_from_one_hour_to_a_leap_year() {
        for (hours, ok) in [(1, true), (8_784, true), (8_785, false), (0, false)] {
            let text = GOOD.replace("hours: 4", &format!("hours: {hours}"));
            assert_eq!(parse(&text).is_ok(), ok, "{hours} hours");
        }
    }

    #[test]
    fn a_playbook_holds_at_most_two_hundred_steps() {
        let mut p = parse(GOOD).unwrap();
        let step = p.phases[0].steps[2].clone();
        let fill = |p: &mut Playbook, n: usize| {
            p.phases[0].steps.truncate(2);
            for i in 0..n - 2 {
                p.phases[0].steps.push(Step {
                    key: format!("step-{i}"),
                    ..step.clone()
                });
            }
        };
        fill(&mut p, MAX_STEPS);
        assert!(check(&p).is_ok());
        fill(&mut p, MAX_STEPS + 1);
        let e = check(&p).unwrap_err();
        assert_eq!(e.0[0].field, "phases", "{e:?}");
    }

    #[test]
    fn unknown_fields_and_values_are_refused_by_name() {
        let e = parse(&GOOD.replace("actor: national", "actor: regulator")).unwrap_err();
        assert!(e.0[0].message.contains("regulator"), "{e:?}");
        let e = parse(&GOOD.replace("kinds:", "kind:")).unwrap_err();
        assert!(e.0[0].message.contains("kind"), "{e:?}");
    }

    #[test]
    fn the_shipped_playbooks_parse() {
        for text in SHIPPED {
            let p = parse(text).unwrap_or_else(|e| panic!("{e:?}"));
            assert!(p.steps().count() >= 4, "{}", p.key);
        }
    }
}
