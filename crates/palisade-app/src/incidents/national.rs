//! The national team's side of incidents: the triage board, triage, and messages and notes on
//! the case.

use super::*;
use palisade_domain::people::Email;

/// A national triage decision; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct TriageInput {
    pub severity: Option<String>,
    /// A national person's email; empty to unassign.
    pub assignee: Option<String>,
    pub status: Option<String>,
    /// Organisation codes amber indicators are shared with.
    pub shared_with: Option<Vec<String>>,
    pub note: String,
    pub expected_revision: Option<i64>,
}

/// The national board's filters as typed.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    pub status: String,
    pub kind: String,
    pub severity: String,
    /// At least this impact (a scale name).
    pub impact: String,
    /// `yes` or `no`.
    pub reportable: String,
    pub late: bool,
    pub open: bool,
    pub region: String,
    pub org_type: String,
    /// An email, or `me`.
    pub assignee: String,
    /// Only the cases an alert was drafted from.
    pub alert: String,
}

impl App {
    /// The national triage board: every notified incident, filtered.
    pub async fn incident_board(
        &self,
        actor: &Actor,
        q: &BoardQuery,
        page: PageRequest,
    ) -> Result<Page<IncidentRecord>> {
        actor.require(GlobalAction::ViewAllIncidents)?;
        let filter = self.board_filter(actor, q).await?;
        Ok(self
            .store
            .list_incidents(&Scope::All, &filter, page)
            .await?)
    }

    async fn board_filter(&self, actor: &Actor, q: &BoardQuery) -> Result<IncidentFilter> {
        let mut e = FieldErrors::default();
        let reportable = match q.reportable.trim() {
            "" => None,
            "yes" | "true" => Some(true),
            "no" | "false" => Some(false),
            other => {
                e.push("reportable", format!("'{other}' is not yes or no"));
                None
            }
        };
        let mut filter = IncidentFilter {
            status: e.optional("status", &q.status),
            kind: e.optional("kind", &q.kind),
            severity: e.optional::<Severity>("severity", &q.severity),
            min_impact: e
                .optional::<Impact>("impact", &q.impact)
                .map(incident::Scale::score),
            reportable,
            late_at: q.late.then(|| self.now()),
            open: q.open,
            region: Some(q.region.trim().to_string()).filter(|r| !r.is_empty()),
            org_type: e.optional("type", &q.org_type),
            alert_reference: Some(q.alert.trim().to_string()).filter(|a| !a.is_empty()),
            ..IncidentFilter::default()
        };
        match q.assignee.trim() {
            "" => {}
            "me" => filter.assignee_id = Some(actor.user_id.unwrap_or(-1)),
            email => match Email::parse("assignee", email) {
                Ok(email) => {
                    filter.assignee_id = Some(
                        self.store
                            .find_user_by_email(&email)
                            .await?
                            .map_or(-1, |u| u.id),
                    )
                }
                Err(err) => e.0.push(err),
            },
        }
        e.into_result()?;
        Ok(filter)
    }

    /// The national team's triage: severity, assignee, status and sharing, with a note.
    pub async fn triage_incident(
        &self,
        actor: &Actor,
        id: i64,
        t: TriageInput,
    ) -> Result<IncidentView> {
        actor.require(GlobalAction::TriageIncidents)?;
        let (org, record) = self.national_incident(actor, id).await?;
        let now = self.now();
        let mut e = FieldErrors::default();
        let severity: Option<Severity> =
            e.optional("severity", t.severity.as_deref().unwrap_or(""));
        let status: Option<IncidentStatus> =
            e.optional("status", t.status.as_deref().unwrap_or(""));
        if status.is_some_and(|s| !IncidentStatus::TRIAGE.contains(&s)) {
            e.push("status", "a notified incident cannot go back to draft");
        }
        let note = message_text("note", &t.note, false)?;
        let assignee = match t.assignee.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(raw) => match Email::parse("assignee", raw) {
                Err(err) => {
                    e.0.push(err);
                    None
                }
                Ok(email) => match self.national_person(&email).await? {
                    Some(id) => Some(Some((id, email.as_str().to_string()))),
                    None => {
                        e.push("assignee", "is not an active member of the national team");
                        None
                    }
                },
            },
        };
        let shared_with = match &t.shared_with {
            None => None,
            Some(codes) => Some(self.org_codes(&mut e, codes).await?),
        };
        e.into_result()?;
        let mut state = record.state.clone();
        let mut changes = Map::new();
        let mut change = |name: &str, before: Value, after: Value| {
            if before != after {
                changes.insert(name.into(), json!([before, after]));
            }
        };
        if let Some(s) = severity {
            change("severity", json!(state.severity), json!(s));
            state.severity = Some(s);
        }
        if let Some(a) = assignee {
            // Recorded by email, as people read it.
            let after = a.as_ref().map(|(_, email)| email.clone());
            if a.as_ref().map(|(id, _)| *id) != state.assignee_id {
                change("assignee", json!(record.assignee), json!(after));
            }
            state.assignee_id = a.map(|(id, _)| id);
        }
        if let Some(codes) = shared_with {
            change("shared_with", json!(state.shared_with), json!(codes));
            state.shared_with = codes;
        }
        if let Some(s) = status {
            change("status", json!(state.status), json!(s));
            state.status = s;
            // Closed since the first close; any other status is not closed.
            if s == IncidentStatus::Closed {
                state.closed_at.get_or_insert(now);
            } else {
                state.closed_at = None;
            }
            if s == IncidentStatus::Contained {
                state.fields.contained = true;
                state.contained_at.get_or_insert(now);
            }
        }
        if state.triaged_at.is_none() && (status.is_some() || severity.is_some()) {
            state.triaged_at = Some(now);
            // Triage moves a notified incident on, unless a status was chosen.
            if status.is_none() && state.status == IncidentStatus::Notified {
                change(
                    "status",
                    json!(state.status),
                    json!(IncidentStatus::Triaged),
                );
                state.status = IncidentStatus::Triaged;
            }
        }
        if changes.is_empty() && note.is_empty() {
            return Err(AppError::invalid(
                "note",
                "nothing to record: change something or write a note",
            ));
        }
        let state = self.derive(state, Self::nis_scope(&org.org), now);
        let audit = self.incident_audit(
            actor,
            "incident.triage",
            Some(id),
            org.org.id,
            Value::Object(changes.clone()),
        );
        let entry = NewEntry {
            kind: EntryKind::Triage,
            text: note,
            changes,
            report: None,
            shared: false,
            from_national: true,
        };
        self.save(
            actor,
            &org,
            Save {
                record: &record,
                expected: t.expected_revision,
                state,
                entry: Some(entry),
                audit,
                at: now,
            },
        )
        .await
    }

    /// The id of an active person holding a national role, by email.
    async fn national_person(&self, email: &Email) -> Result<Option<i64>> {
        let Some(user) = self.store.find_user_by_email(email).await? else {
            return Ok(None);
        };
        let grants = self.store.grants_of(user.id, &Scope::All).await?;
        Ok((user.active && grants.iter().any(|g| g.role.is_national())).then_some(user.id))
    }

    /// The organisations named, each known, as their canonical codes.
    async fn org_codes(&self, e: &mut FieldErrors, raw: &[String]) -> Result<Vec<String>> {
        let mut codes = Vec::new();
        for (i, c) in raw.iter().enumerate() {
            match OrgCode::parse(&format!("shared_with[{i}]"), c) {
                Ok(code) if !codes.contains(&code) => codes.push(code),
                Ok(_) => {}
                Err(err) => e.0.push(err),
            }
        }
        let known = self.store.orgs_by_codes(&codes).await?;
        for c in &codes {
            if !known.iter().any(|o| o.code == c.as_str()) {
                e.push("shared_with", format!("no organisation has the code {c}"));
            }
        }
        Ok(codes.into_iter().map(|c| c.as_str().to_string()).collect())
    }

    /// A message on the case: from the organisation (always seen by both sides), or from the
    /// national team, as a message the organisation sees or a note it never does.
    pub async fn add_incident_message(
        &self,
        actor: &Actor,
        target: MessageTarget<'_>,
        text: &str,
        internal: bool,
    ) -> Result<IncidentView> {
        let from_national = matches!(target, MessageTarget::National { .. });
        let (org, record, shared) = match target {
            MessageTarget::Organisation { code, id } => {
                let (org, record) = self
                    .org_incident(actor, code, id, OrgAction::ReportIncidents)
                    .await?;
                if record.state.status == IncidentStatus::Draft {
                    return Err(conflict("status", "notify the incident first"));
                }
                (org, record, true)
            }
            MessageTarget::National { id } => {
                actor.require(GlobalAction::TriageIncidents)?;
                let (org, record) = self.national_incident(actor, id).await?;
                (org, record, !internal)
            }
        };
        let text = message_text("text", text, true)?;
        let now = self.now();
        let kind = if shared {
            EntryKind::Message
        } else {
            EntryKind::Note
        };
        let audit = self.incident_audit(
            actor,
            if shared {
                "incident.message"
            } else {
                "incident.note"
            },
            Some(record.id),
            org.org.id,
            json!({ "length": text.chars().count() }),
        );
        let entry = NewEntry {
            kind,
            text,
            changes: Map::new(),
            report: None,
            shared,
            from_national,
        };
        // An entry only: the incident, and the revision open forms hold, stay as they are.
        self.store
            .add_incident_entry(
                record.id,
                &entry,
                Stamp {
                    at: now,
                    user_id: actor.user_id,
                },
                audit,
            )
            .await?;
        self.view_of(actor, record, &org).await
    }
}

/// Which side writes a message.
#[derive(Debug, Clone, Copy)]
pub enum MessageTarget<'a> {
    Organisation { code: &'a str, id: i64 },
    National { id: i64 },
}

/// The longest text the relay sends (one text message).
const TEXT_MAX_CHARS: usize = crate::alerts::RELAY_MAX_CHARS;

impl App {
    /// Drafts a cyber alert from a case (national admins who manage alerts): its title, a
    /// summary, and the indicators anyone may see (TLP:CLEAR: a published alert goes out in
    /// the public feeds, where TLP:GREEN may not) carried over; the
    /// case keeps the alert's reference, so the board finds the cases of an alert. The draft is
    /// edited and published as any other.
    pub async fn draft_alert_from_incident(
        &self,
        actor: &Actor,
        id: i64,
        severity: Option<&str>,
    ) -> Result<(IncidentView, palisade_store::AlertRecord)> {
        actor.require(GlobalAction::ManageAlerts)?;
        actor.require(GlobalAction::TriageIncidents)?;
        let (org, record) = self.national_incident(actor, id).await?;
        if let Some(a) = &record.state.alert_reference {
            return Err(conflict(
                "alert",
                &format!("alert {a} was drafted from this case already"),
            ));
        }
        let f = &record.state.fields;
        let severity = match severity.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => s.to_string(),
            None => match record.state.severity {
                Some(Severity::Critical | Severity::High) => "high",
                Some(Severity::Low) => "low",
                _ => "medium",
            }
            .to_string(),
        };
        let shareable: Vec<String> = self
            .store
            .incident_indicators(id)
            .await?
            .into_iter()
            .filter(|i| {
                i.tlp
                    .visible_to(palisade_domain::indicator::Audience::Public)
            })
            .map(|i| {
                format!(
                    "- {} {} ({})",
                    i.indicator_type.label(),
                    i.value,
                    i.tlp.label()
                )
            })
            .collect();
        let mut body = format!(
            "A {} incident reported to the national team.",
            f.kind.label().to_lowercase()
        );
        if !shareable.is_empty() {
            body.push_str("\n\nIndicators of compromise:\n");
            body.push_str(&shareable.join("\n"));
        }
        let input = palisade_domain::alert::AlertInput {
            title: f.title.chars().take(200).collect(),
            severity,
            alert_type: "threat_bulletin".into(),
            summary: format!(
                "{}: check your systems for the signs below.",
                f.kind.label()
            ),
            body,
            ..palisade_domain::alert::AlertInput::default()
        };
        let alert = self
            .create_alert_noting(
                actor,
                &input,
                false,
                Some(json!({ "incident": incident_reference(id) })),
            )
            .await?;
        let state = IncidentState {
            alert_reference: Some(alert.reference.clone()),
            ..record.state.clone()
        };
        let mut changes = Map::new();
        changes.insert("alert".into(), json!([Value::Null, alert.reference]));
        // A draft made of a case is the national team's until published: the entry is theirs
        // too, not in the organisation's log (the case's answers leave its reference out).
        let audit = self.draft(
            actor,
            "incident.alert",
            "incident",
            incident_reference(id),
            None,
            json!({ "alert": alert.reference }),
        );
        let entry = NewEntry {
            kind: EntryKind::Triage,
            text: format!("Alert {} drafted from the case.", alert.reference),
            changes,
            report: None,
            shared: false,
            from_national: true,
        };
        let v = self
            .save(
                actor,
                &org,
                Save {
                    record: &record,
                    expected: None,
                    state,
                    entry: Some(entry),
                    audit,
                    at: self.now(),
                },
            )
            .await?;
        Ok((v, alert))
    }

    /// Texts the contacts of the reporting organisation and of those named on the case, through
    /// the national relay (whatever channels they chose). Returns how many texts were queued.
    pub async fn text_incident_contacts(&self, actor: &Actor, id: i64, text: &str) -> Result<u64> {
        actor.require(GlobalAction::TriageIncidents)?;
        let (org, record) = self.national_incident(actor, id).await?;
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::invalid("text", "is required"));
        }
        if text.chars().count() > TEXT_MAX_CHARS {
            return Err(AppError::invalid(
                "text",
                format!("must be at most {TEXT_MAX_CHARS} characters (one text message)"),
            ));
        }
        let mut org_ids = vec![org.org.id];
        let codes: Vec<OrgCode> = record
            .state
            .shared_with
            .iter()
            .filter_map(|c| OrgCode::parse("code", c).ok())
            .collect();
        for o in self.store.orgs_by_codes(&codes).await? {
            if !org_ids.contains(&o.id) {
                org_ids.push(o.id);
            }
        }
        let now = self.now();
        // The same text twice in one second is one press of the button sent twice: queued once.
        let digest = &crate::auth::sha256_hex(text)[..16];
        let notice = palisade_store::Notice {
            key: format!("incident:{id}:text:{now}:{digest}"),
            subject: format!("{}: national relay", incident_reference(id)),
            email_body: None,
            sms_body: Some(text.to_string()),
            sms_to_all: true,
        };
        let audit = self.incident_audit(
            actor,
            "incident.text",
            Some(id),
            org.org.id,
            json!({ "organisations": org_ids.len() }),
        );
        Ok(self
            .store
            .queue_incident_texts(
                &org_ids,
                &notice,
                Stamp {
                    at: now,
                    user_id: actor.user_id,
                },
                audit,
            )
            .await?)
    }
}
