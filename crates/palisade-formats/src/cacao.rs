//! Playbooks as OASIS CACAO 2.0 JSON, out and in.
//!
//! Out: a start step, one `action` step per playbook step in order (a `manual` command holding
//! the guidance, the acting side as an `organization` agent), and an end step. What CACAO has no
//! property for (the phase, the step key, the due offset, the playbook's key, version and
//! kinds) travels in a Palisade extension, declared under `extension_definitions`, so a
//! playbook exported and imported again is the same playbook. Identifiers are name-based UUIDs,
//! so every export of a playbook carries the same ids and versions differ by `modified`.
//!
//! In: any sequential CACAO playbook (start, actions linked by `on_completion` or
//! `on_success`, end; at most [`MAX_STEPS`] actions). Without the extension, the key comes from
//! the name and the CACAO id (so two playbooks of one name stay apart and a new revision of one
//! keeps its key), the version is left to the importer (the next one when the content
//! changed), the phase is the playbook's name, the step key comes from its position, the acting
//! side from the agent's name, and a step `timeout` becomes a due offset from applying the
//! playbook. Branching steps are refused by name.

use palisade_domain::clock::rfc3339_millis;
use palisade_domain::error::FieldErrors;
use palisade_domain::incident::IncidentKind;
use palisade_domain::incident::playbook::{
    self, Due, DueFrom, MAX_STEPS, Phase, Playbook, Step, StepActor,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

/// The namespace of every name-based id Palisade writes into CACAO.
const NAMESPACE: Uuid = Uuid::from_u128(0xf572c529_df01_4d1b_b148_fef5d9576b6e);

fn id(kind: &str, name: &str) -> String {
    format!("{kind}--{}", Uuid::new_v5(&NAMESPACE, name.as_bytes()))
}

fn extension_id() -> String {
    id("extension-definition", "palisade-playbook")
}

fn agent_id(actor: StepActor) -> String {
    id("organization", &format!("agent:{}", actor.as_str()))
}

fn agent_name(actor: StepActor) -> &'static str {
    match actor {
        StepActor::Organisation => "The reporting organisation",
        StepActor::National => "The national cyber security team",
    }
}

/// The text as a JSON document when it is a CACAO playbook (its `spec_version` says so);
/// none when it is something else, such as a Palisade playbook file.
pub fn detect(text: &str) -> Option<Value> {
    serde_json::from_str::<Value>(text).ok().filter(|v| {
        v.get("spec_version")
            .and_then(Value::as_str)
            .is_some_and(|s| s.starts_with("cacao"))
    })
}

/// A CACAO playbook read as a Palisade playbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub playbook: Playbook,
    /// Whether the document gave its version (Palisade's extension does). When it did not,
    /// `playbook.version` is 1 and the importer numbers it after the versions it keeps.
    pub versioned: bool,
}

/// The playbook as a CACAO 2.0 document. `created` is when its first version was imported and
/// `modified` when this version was (Unix seconds).
pub fn export(p: &Playbook, created: i64, modified: i64) -> Value {
    let ext = extension_id();
    let creator = id("identity", "palisade-national-team");
    let steps: Vec<(&Phase, &Step)> = p.steps().collect();
    let step_id = |s: &Step| id("action", &format!("{}:{}", p.key, s.key));
    let start = id("start", &format!("{}:start", p.key));
    let end = id("end", &format!("{}:end", p.key));
    let mut workflow = Map::new();
    let first = steps.first().map_or(end.clone(), |(_, s)| step_id(s));
    workflow.insert(
        start.clone(),
        json!({"type": "start", "name": "Start", "on_completion": first}),
    );
    for (n, (phase, s)) in steps.iter().enumerate() {
        let next = steps.get(n + 1).map_or(end.clone(), |(_, s)| step_id(s));
        let mut palisade = json!({"phase": phase.title, "step": s.key, "actor": s.actor.as_str()});
        if let Some(d) = s.due {
            palisade["due_hours"] = d.hours.into();
            palisade["due_from"] = d.from.as_str().into();
        }
        workflow.insert(
            step_id(s),
            json!({
                "type": "action",
                "name": s.title,
                "description": s.guidance,
                "commands": [{"type": "manual", "command": s.guidance}],
                "agent": agent_id(s.actor),
                "on_completion": next,
                "step_extensions": {ext.clone(): palisade},
            }),
        );
    }
    workflow.insert(end, json!({"type": "end", "name": "End"}));
    let agents: Map<String, Value> = StepActor::ALL
        .iter()
        .map(|a| {
            (
                agent_id(*a),
                json!({"type": "organization", "name": agent_name(*a)}),
            )
        })
        .collect();
    json!({
        "type": "playbook",
        "spec_version": "cacao-2.0",
        "id": id("playbook", &p.key),
        "name": p.title,
        "description": p.description,
        "playbook_types": ["investigation", "mitigation", "remediation"],
        "created_by": creator,
        "created": rfc3339_millis(created.min(modified)),
        "modified": rfc3339_millis(modified),
        "labels": p.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "workflow_start": start,
        "workflow": workflow,
        "agent_definitions": agents,
        "extension_definitions": {ext.clone(): {
            "type": "extension-definition",
            "name": "Palisade playbook",
            "created_by": creator,
            "schema": "urn:palisade:cacao-extension:playbook:1",
            "version": "1",
        }},
        "playbook_extensions": {ext: {"key": p.key, "version": p.version}},
    })
}

/// Whether `s` is a CACAO identifier of this object type (`type--uuid`, versions 1 to 5).
fn is_identifier(s: &str, kind: &str) -> bool {
    s.strip_prefix(kind)
        .and_then(|r| r.strip_prefix("--"))
        .and_then(|u| Uuid::try_parse(u).ok())
        .is_some_and(|u| {
            (1..=5).contains(&u.get_version_num())
                && u.get_variant() == uuid::Variant::RFC4122
                && s.len() == kind.len() + 2 + 36
        })
}

fn is_timestamp(s: &str) -> bool {
    s.ends_with('Z')
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Reads a CACAO 2.0 playbook (as [`detect`] gives it) into a Palisade playbook, naming every
/// fault by its JSON path.
pub fn import(doc: &Value) -> Result<Imported, FieldErrors> {
    let mut e = FieldErrors::default();
    if !doc.is_object() {
        return Err(FieldErrors::one("file", "must be a JSON object"));
    }
    if str_at(doc, "type") != Some("playbook") {
        e.push("type", "must be \"playbook\"");
    }
    if str_at(doc, "spec_version") != Some("cacao-2.0") {
        e.push("spec_version", "must be \"cacao-2.0\"");
    }
    if !str_at(doc, "id").is_some_and(|s| is_identifier(s, "playbook")) {
        e.push("id", "must be playbook-- and a UUID");
    }
    if !str_at(doc, "created_by").is_some_and(|s| is_identifier(s, "identity")) {
        e.push("created_by", "must be identity-- and a UUID");
    }
    for key in ["created", "modified"] {
        if !str_at(doc, key).is_some_and(is_timestamp) {
            e.push(key, "must be an RFC 3339 UTC timestamp ending in Z");
        }
    }
    let name = str_at(doc, "name").unwrap_or_default().trim().to_string();
    if name.is_empty() {
        e.push("name", "is required");
    }
    let ext = extension_id();
    let own = doc
        .get("playbook_extensions")
        .and_then(|x| x.get(&ext))
        .cloned()
        .unwrap_or(Value::Null);
    let agents = doc.get("agent_definitions").and_then(Value::as_object);
    let Some(workflow) = doc.get("workflow").and_then(Value::as_object) else {
        e.push("workflow", "is required: an object of workflow steps");
        return Err(e);
    };
    let Some(start) = str_at(doc, "workflow_start").filter(|s| workflow.contains_key(*s)) else {
        e.push("workflow_start", "must name a step in workflow");
        return Err(e);
    };

    let mut steps = Vec::new();
    let mut seen = BTreeSet::new();
    let mut at = start.to_string();
    loop {
        let field = format!("workflow.{at}");
        if !seen.insert(at.clone()) {
            e.push(field, "is reached twice: loops cannot be imported");
            break;
        }
        if steps.len() > MAX_STEPS {
            e.push("workflow", format!("holds more than {MAX_STEPS} actions"));
            break;
        }
        let Some(step) = workflow.get(&at) else {
            e.push(field, "is named as a next step but is not in workflow");
            break;
        };
        let kind = str_at(step, "type").unwrap_or_default();
        if !is_identifier(&at, kind) {
            e.push(&field, "must be its type, --, and a UUID");
        }
        match kind {
            "start" if at == start => {}
            "end" => break,
            "action" if at != start => {
                if let Some(s) = action(&mut e, &field, step, &ext, agents, steps.len()) {
                    steps.push(s);
                }
            }
            "start" | "action" => e.push(
                format!("{field}.type"),
                "a workflow begins with one start step, then actions",
            ),
            other => e.push(
                format!("{field}.type"),
                format!("`{other}` steps cannot be imported: only start, action and end"),
            ),
        }
        let next = str_at(step, "on_completion").or_else(|| str_at(step, "on_success"));
        match next {
            Some(n) => at = n.to_string(),
            None => {
                e.push(
                    format!("{field}.on_completion"),
                    "is required: every step before the end names the next",
                );
                break;
            }
        }
        if !e.is_empty() {
            break;
        }
    }
    e.into_result()?;

    let key = match own.get("key").and_then(Value::as_str) {
        Some(k) => k.to_string(),
        None => foreign_key(&name, str_at(doc, "id").unwrap_or_default()),
    };
    let version = match own.get("version") {
        None => None,
        Some(v) => match v.as_u64().and_then(|v| u32::try_from(v).ok()) {
            Some(v) => Some(v),
            None => {
                return Err(FieldErrors::one(
                    format!("playbook_extensions.{ext}.version"),
                    "must be a whole number",
                ));
            }
        },
    };
    let kinds = doc
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str()?.parse::<IncidentKind>().ok())
        .collect();
    let mut phases: Vec<Phase> = Vec::new();
    for (phase, s) in steps {
        match phases.last_mut() {
            Some(p) if p.title == phase => p.steps.push(s),
            _ => phases.push(Phase {
                title: phase,
                steps: vec![s],
            }),
        }
    }
    if phases.iter().all(|p| p.title.is_empty()) {
        for p in &mut phases {
            p.title = name.clone();
        }
    }
    let p = Playbook {
        format: playbook::FORMAT.to_string(),
        key,
        version: version.unwrap_or(1),
        title: name,
        description: str_at(doc, "description")
            .map(str::to_string)
            .unwrap_or_else(|| "Imported from CACAO.".into()),
        kinds,
        phases,
    };
    playbook::check(&p)?;
    Ok(Imported {
        playbook: p,
        versioned: version.is_some(),
    })
}

/// One action step, with the phase it belongs to.
fn action(
    e: &mut FieldErrors,
    field: &str,
    step: &Value,
    ext: &str,
    agents: Option<&Map<String, Value>>,
    position: usize,
) -> Option<(String, Step)> {
    let own = step.get("step_extensions").and_then(|x| x.get(ext));
    let own_str = |k: &str| own.and_then(|o| str_at(o, k));
    let title = str_at(step, "name").unwrap_or_default().trim().to_string();
    if title.is_empty() {
        e.push(format!("{field}.name"), "is required");
    }
    let commands = step.get("commands").and_then(Value::as_array);
    if commands.is_none_or(Vec::is_empty) {
        e.push(format!("{field}.commands"), "needs at least one command");
    }
    let agent = str_at(step, "agent").and_then(|a| agents?.get(a));
    let Some(agent) = agent else {
        e.push(
            format!("{field}.agent"),
            "must name an entry of agent_definitions",
        );
        return None;
    };
    let actor = match own_str("actor") {
        Some(a) => match a.parse::<StepActor>() {
            Ok(a) => a,
            Err(m) => {
                e.push(format!("{field}.step_extensions.actor"), m);
                return None;
            }
        },
        None if str_at(agent, "name")
            .is_some_and(|n| n.to_ascii_lowercase().contains("national")) =>
        {
            StepActor::National
        }
        None => StepActor::Organisation,
    };
    let due = match (own.and_then(|o| o.get("due_hours")), own_str("due_from")) {
        (Some(h), Some(from)) => {
            let hours = h.as_u64().and_then(|h| u32::try_from(h).ok());
            match (hours, from.parse::<DueFrom>()) {
                (Some(hours), Ok(from)) => Some(Due { hours, from }),
                _ => {
                    e.push(
                        format!("{field}.step_extensions"),
                        "due_hours must be a whole number and due_from awareness or application",
                    );
                    return None;
                }
            }
        }
        _ => step.get("timeout").and_then(Value::as_u64).map(|ms| Due {
            hours: u32::try_from(ms.div_ceil(3_600_000)).unwrap_or(u32::MAX),
            from: DueFrom::Application,
        }),
    };
    let guidance = str_at(step, "description")
        .map(str::to_string)
        .or_else(|| {
            commands?
                .iter()
                .find_map(|c| str_at(c, "command").map(str::to_string))
        })
        .unwrap_or_default();
    Some((
        own_str("phase").unwrap_or_default().to_string(),
        Step {
            key: own_str("step")
                .map(str::to_string)
                .unwrap_or_else(|| format!("step-{}", position + 1)),
            title,
            guidance,
            actor,
            due,
        },
    ))
}

/// The key of a playbook from elsewhere: its name as a slug, then the first eight hex digits of
/// its CACAO id, which stays the same across the playbook's revisions (`cacao-` and the digits
/// when the name has no ASCII letters or digits).
fn foreign_key(name: &str, id: &str) -> String {
    let uuid = id.rsplit("--").next().unwrap_or_default();
    let tag: String = uuid
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(8)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut base = slug(name);
    base.truncate(64 - 9);
    let base = base.trim_end_matches('-');
    if base.is_empty() {
        format!("cacao-{tag}")
    } else {
        format!("{base}-{tag}")
    }
}

/// A key from a name: lower-case letters and digits, hyphens between words.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for w in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w.to_ascii_lowercase());
    }
    out.chars()
        .take(64)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_domain::incident::playbook::{SHIPPED, parse};

    #[test]
    fn every_shipped_playbook_survives_export_and_import() {
        for text in SHIPPED {
            let p = parse(text).unwrap();
            let doc = export(&p, 1_700_000_000, 1_750_000_000);
            let back = import(&doc).unwrap_or_else(|e| panic!("{}: {e:?}", p.key));
            assert!(back.versioned);
            let back = back.playbook;
            assert_eq!(back, p);
            assert!(detect(&doc.to_string()).is_some());
            assert_eq!(doc["created"], "2023-11-14T22:13:20.000Z");
        }
        assert!(detect(SHIPPED[0]).is_none());
    }

    #[test]
    fn ids_are_stable_across_exports_and_versions() {
        let p = parse(SHIPPED[0]).unwrap();
        let mut later = p.clone();
        later.version += 1;
        let (a, b) = (export(&p, 0, 10), export(&later, 0, 20));
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["workflow_start"], b["workflow_start"]);
        assert_ne!(a["modified"], b["modified"]);
    }

    /// A playbook from elsewhere: no Palisade extension, a timeout, an agent named national.
    fn foreign() -> Value {
        json!({
            "type": "playbook", "spec_version": "cacao-2.0",
            "id": "playbook--3f2d1b1e-6a3c-4c8e-9a55-1c2b3d4e5f60",
            "name": "Phishing Response (v3)",
            "created_by": "identity--5b1f7a4e-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
            "created": "2024-01-02T03:04:05Z", "modified": "2024-02-03T04:05:06.123Z",
            "labels": ["phishing", "email"],
            "workflow_start": "start--0b7c2d8e-1f3a-4b5c-8d6e-7f8a9b0c1d2e",
            "workflow": {
                "start--0b7c2d8e-1f3a-4b5c-8d6e-7f8a9b0c1d2e": {"type": "start",
                    "on_completion": "action--1c8d3e9f-2a4b-4c6d-9e7f-8a9b0c1d2e3f"},
                "action--1c8d3e9f-2a4b-4c6d-9e7f-8a9b0c1d2e3f": {"type": "action",
                    "name": "Purge the message", "timeout": 5_400_000,
                    "commands": [{"type": "manual", "command": "Remove it from every mailbox."}],
                    "agent": "organization--2d9e4f0a-3b5c-4d7e-8f9a-0b1c2d3e4f5a",
                    "on_success": "end--3e0f5a1b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"},
                "end--3e0f5a1b-4c6d-4e8f-9a0b-1c2d3e4f5a6b": {"type": "end"}
            },
            "agent_definitions": {"organization--2d9e4f0a-3b5c-4d7e-8f9a-0b1c2d3e4f5a":
                {"type": "organization", "name": "National SOC"}}
        })
    }

    #[test]
    fn a_foreign_playbook_imports_with_sensible_defaults() {
        let imported = import(&foreign()).unwrap();
        assert!(!imported.versioned);
        let p = imported.playbook;
        assert_eq!(p.key, "phishing-response-v3-3f2d1b1e");
        assert_eq!(p.version, 1);
        assert_eq!(p.kinds, [IncidentKind::Phishing]);
        assert_eq!(p.phases.len(), 1);
        assert_eq!(p.phases[0].title, "Phishing Response (v3)");
        let s = &p.phases[0].steps[0];
        assert_eq!(
            (s.key.as_str(), s.actor, s.guidance.as_str()),
            (
                "step-1",
                StepActor::National,
                "Remove it from every mailbox."
            )
        );
        assert_eq!(
            s.due,
            Some(Due {
                hours: 2,
                from: DueFrom::Application
            })
        );
    }

    #[test]
    fn foreign_keys_keep_apart_and_survive_names_without_ascii() {
        let mut d = foreign();
        d["name"] = "Réponse à l'hameçonnage".into();
        assert_eq!(
            import(&d).unwrap().playbook.key,
            "r-ponse-l-hame-onnage-3f2d1b1e"
        );
        d["name"] = "フィッシング対応".into();
        assert_eq!(import(&d).unwrap().playbook.key, "cacao-3f2d1b1e");
        // A UUID in capitals (which CACAO allows) still gives a lower-case key.
        d["id"] = "playbook--3F2D1B1E-6A3C-4C8E-9A55-1C2B3D4E5F60".into();
        assert_eq!(import(&d).unwrap().playbook.key, "cacao-3f2d1b1e");
        d["name"] = "x".repeat(100).into();
        let key = import(&d).unwrap().playbook.key;
        assert_eq!(key.len(), 64, "{key}");
        assert!(key.ends_with("x-3f2d1b1e"));
    }

    #[test]
    fn only_whole_versions_and_at_most_two_hundred_actions_import() {
        let ext = extension_id();
        let mut d = foreign();
        d["playbook_extensions"] = json!({&ext: {"version": "2.5"}});
        assert_eq!(
            fields_of(&d),
            [format!("playbook_extensions.{ext}.version")]
        );
        d["playbook_extensions"] = json!({&ext: {"version": 3}});
        let imported = import(&d).unwrap();
        assert!(imported.versioned);
        assert_eq!(imported.playbook.version, 3);

        // A chain of 201 actions is refused while walking it.
        let mut d = foreign();
        let agent = "organization--2d9e4f0a-3b5c-4d7e-8f9a-0b1c2d3e4f5a";
        let start = d["workflow_start"].as_str().unwrap().to_string();
        let end = "end--3e0f5a1b-4c6d-4e8f-9a0b-1c2d3e4f5a6b";
        let mut workflow = json!({end: {"type": "end"}});
        let action = |n: usize| id("action", &n.to_string());
        let chain = |count: usize, workflow: &mut Value| {
            workflow[&start] = json!({"type": "start", "on_completion": action(0)});
            for n in 0..count {
                let next = if n + 1 == count {
                    end.to_string()
                } else {
                    action(n + 1)
                };
                workflow[action(n)] = json!({"type": "action", "name": format!("Step {n}"),
                    "commands": [{"type": "manual", "command": "Do it."}],
                    "agent": agent, "on_completion": next});
            }
        };
        chain(MAX_STEPS, &mut workflow);
        d["workflow"] = workflow.clone();
        assert_eq!(import(&d).unwrap().playbook.steps().count(), MAX_STEPS);
        chain(MAX_STEPS + 1, &mut workflow);
        d["workflow"] = workflow;
        assert_eq!(fields_of(&d), ["workflow"]);
    }

    fn fields_of(doc: &Value) -> Vec<String> {
        import(doc)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_broken_playbook_is_refused_naming_the_path() {
        let action = "action--1c8d3e9f-2a4b-4c6d-9e7f-8a9b0c1d2e3f";
        let mut d = foreign();
        d["spec_version"] = "cacao-1.0".into();
        d["created"] = "2024-01-02 03:04:05".into();
        d["id"] = "playbook--not-a-uuid".into();
        assert_eq!(fields_of(&d), ["spec_version", "id", "created"]);

        let mut d = foreign();
        d["workflow"][action]["agent"] =
            "organization--9d9e4f0a-3b5c-4d7e-8f9a-0b1c2d3e4f5a".into();
        assert_eq!(fields_of(&d), [format!("workflow.{action}.agent")]);

        let mut d = foreign();
        d["workflow"][action]["type"] = "parallel".into();
        assert_eq!(
            fields_of(&d),
            [
                format!("workflow.{action}"),
                format!("workflow.{action}.type")
            ]
        );

        let mut d = foreign();
        d["workflow"][action]["on_success"] = d["workflow_start"].clone();
        let f = fields_of(&d);
        assert_eq!(f.len(), 1);
        assert!(f[0].starts_with("workflow.start--"), "{f:?}");

        let mut d = foreign();
        d["workflow_start"] = "start--00000000-0000-4000-8000-000000000000".into();
        assert_eq!(fields_of(&d), ["workflow_start"]);

        assert_eq!(
            import(&json!([1])).unwrap_err().0[0].message,
            "must be a JSON object"
        );
        assert!(detect("[1]").is_none());
        assert!(detect("format: palisade-playbook/1").is_none());
        assert!(detect(&foreign().to_string()).is_some());
    }
}
