//! Cyber alerts: the national team drafts, publishes and updates them; each organisation in scope
//! works through the response loop. Deadlines and step order are the domain's rules
//! (`palisade_domain::alert`); this module asks the policy, decides each step, and hands the
//! change, its audit entries and its notifications to the store in one transaction.

use crate::exports::{Download, csv_in_chunks, in_chunks};
use crate::{Actor, App, AppError, Result};
use palisade_domain::alert::{
    AlertFields, AlertInput, AlertState, Closure, ResponseRules, Severity, Step, check_action_due,
    take_step,
};
use palisade_domain::clock::{from_unix, long_date_time, rfc3339_opt};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{GlobalAction, OrgAction, Scope};
use palisade_store::{
    ActionWrite, AlertFilter, AlertListItem, AlertRecord, AlertSave, AlertVersionRecord,
    Escalation, LateResponse, Notice, OutboxSummary, Recipients, ResponseActionRecord,
    ResponseCount, ResponseFilter, ResponseRecord, ResponseWrite,
};

/// Alert numbering and response deadlines, from configuration.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    /// References are `{prefix}-{number}` (`CC-4123`).
    pub prefix: String,
    /// The number of the very first alert.
    pub first_number: i64,
    pub rules: ResponseRules,
    /// Where Palisade is reached from outside (`https://palisade.example.nhs.uk`): the feeds'
    /// links and the CSAF provider's URLs start with it.
    pub public_url: String,
    /// Who publishes the alerts, as the feeds name them.
    pub publisher: String,
    /// The severities texted to every contact who takes texts; for the others only contacts who
    /// chose texts alone get a text (every alert reaches every contact one way or the other).
    pub sms_severities: Vec<Severity>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            prefix: "CC".into(),
            first_number: 1000,
            rules: ResponseRules::default(),
            public_url: "http://127.0.0.1:8080".into(),
            publisher: "NHS national cyber security team".into(),
            sms_severities: vec![Severity::High],
        }
    }
}

/// An alert with its history, as a reader may see it.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub alert: AlertRecord,
    pub versions: Vec<AlertVersionRecord>,
}

/// The organisations an alert names and how many have a response (see `App::alert_reach`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub codes: Vec<String>,
    pub responses: i64,
}

/// One organisation's response to an alert, with its actions.
#[derive(Debug, Clone)]
pub struct ResponseView {
    pub alert: AlertRecord,
    pub response: ResponseRecord,
    pub actions: Vec<ResponseActionRecord>,
    /// Whether the reader may take the response's steps.
    pub may_respond: bool,
}

/// A step as asked for, before the rules decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRequest {
    Acknowledge,
    Applicability {
        applies: bool,
        reason: String,
    },
    AddAction {
        action: String,
        owner: String,
        due_on: String,
    },
    UpdateAction {
        id: i64,
        progress: String,
        done: bool,
    },
    Close {
        closure: Closure,
        siro: String,
    },
}

impl StepRequest {
    fn step(&self) -> Step {
        match self {
            StepRequest::Acknowledge => Step::Acknowledge,
            StepRequest::Applicability { applies, reason } => Step::Applicability {
                applies: *applies,
                reason: reason.clone(),
            },
            StepRequest::AddAction { .. } | StepRequest::UpdateAction { .. } => Step::Remediation,
            StepRequest::Close { closure, siro } => Step::Close {
                closure: *closure,
                siro: siro.clone(),
            },
        }
    }
}

fn text(field: &str, v: &str, min: usize, max: usize) -> Result<String> {
    Ok(palisade_domain::error::bounded_text(field, v, min, max)?)
}

/// Like [`text`], for fields typed into a text area (line breaks allowed).
fn paragraph(field: &str, v: &str, min: usize, max: usize) -> Result<String> {
    Ok(palisade_domain::error::long_text(field, v, min, max)?)
}

impl App {
    /// Whether the actor sees every alert and response (the national team).
    fn national_reader(actor: &Actor) -> bool {
        actor.principal.may_global(GlobalAction::ViewAlertResponses)
    }

    /// Who an alert reaches beyond its content, for `actor`: the organisations it names and how
    /// many have a response. National readers see it; to anyone else it would tell of other
    /// organisations (and references are sequential, so every alert could be walked), so it is
    /// `None` for them, and the use-cases that hand them an alert have already removed it.
    pub fn alert_reach(actor: &Actor, alert: &AlertRecord) -> Option<Reach> {
        Self::national_reader(actor).then(|| Reach {
            codes: alert
                .fields
                .audience
                .codes
                .iter()
                .map(|c| c.to_string())
                .collect(),
            responses: alert.responses,
        })
    }

    /// `alert` as `actor` may see it: without its reach unless they are a national reader.
    fn as_seen_by(actor: &Actor, mut alert: AlertRecord) -> AlertRecord {
        if !Self::national_reader(actor) {
            alert.fields.audience.codes.clear();
            alert.responses = 0;
        }
        alert
    }

    /// The alert with this reference, if the actor may read it: the national team reads every
    /// alert; everyone else reads published ones (their content is public).
    pub(crate) async fn readable_alert(
        &self,
        actor: &Actor,
        reference: &str,
    ) -> Result<AlertRecord> {
        let alert = self
            .store
            .find_alert(reference)
            .await?
            .ok_or(AppError::NotFound)?;
        if alert.state == AlertState::Draft && !Self::national_reader(actor) {
            return Err(AppError::NotFound);
        }
        Ok(alert)
    }

    /// Who an alert reaches: the ids of the active organisations its audience includes.
    async fn audience_ids(&self, fields: &AlertFields) -> Result<Vec<i64>> {
        let a = &fields.audience;
        // An alert for named organisations only reads those; any other reads the register.
        let orgs = if a.org_types.is_empty() && a.categories.is_empty() && !a.codes.is_empty() {
            self.store.orgs_by_codes(&a.codes).await?
        } else {
            self.store.export_orgs(&Scope::All).await?
        };
        let known: std::collections::HashSet<&str> = orgs.iter().map(|o| o.code.as_str()).collect();
        let unknown: Vec<&str> = a
            .codes
            .iter()
            .map(|c| c.as_str())
            .filter(|c| !known.contains(c))
            .collect();
        if !unknown.is_empty() {
            return Err(AppError::invalid(
                "codes",
                format!("no organisation has the code {}", unknown.join(", ")),
            ));
        }
        Ok(orgs
            .iter()
            .filter(|o| o.active && a.includes(&o.code, o.org_type, o.category, &o.region))
            .map(|o| o.id)
            .collect())
    }

    /// What an alert's contacts receive on publication or update (`{reference}` is filled in by
    /// the store).
    fn notice(
        &self,
        version: i64,
        fields: &AlertFields,
        due_at: Option<i64>,
        changed: &[String],
    ) -> Notice {
        let due = due_at.map(|d| long_date_time(from_unix(d)));
        let what = if changed.is_empty() {
            "New".to_string()
        } else {
            "Updated".to_string()
        };
        let mut email = format!(
            "{what} {} alert {{reference}}: {}\n\n{}\n",
            fields.severity.label(),
            fields.title,
            fields.summary
        );
        if !changed.is_empty() {
            email.push_str(&format!("\nWhat changed: {}.\n", changed.join(", ")));
        }
        if fields.exploited {
            email.push_str("\nExploitation of this vulnerability is known.\n");
        }
        if !fields.cves.is_empty() {
            let cves: Vec<&str> = fields.cves.iter().map(|c| c.as_str()).collect();
            email.push_str(&format!("\nCVEs: {}\n", cves.join(", ")));
        }
        if !fields.remediation.is_empty() {
            email.push_str(&format!("\nWhat to do:\n{}\n", fields.remediation));
        }
        match &due {
            Some(d) => email.push_str(&format!(
                "\nAcknowledge this alert and record your response by {d}.\n"
            )),
            None if fields.response_required => {
                email.push_str("\nRecord your organisation's response in Palisade.\n");
            }
            None => {}
        }
        // Every alert has a text: contacts who chose texts alone hear of every one, and those
        // who take both hear by text of the severities configured as urgent.
        let mut sms = format!(
            "NHS Cyber Alert {{reference}} ({}): {}.",
            fields.severity.label(),
            fields.title
        );
        if let Some(d) = &due {
            sms.push_str(&format!(" Respond by {d}."));
        }
        Notice {
            key: format!("alert:{{reference}}:v{version}"),
            subject: format!(
                "[{{reference}}] {what} {} alert: {}",
                fields.severity.label(),
                fields.title
            ),
            email_body: Some(email),
            sms_body: Some(sms),
            sms_to_all: self.alerts.sms_severities.contains(&fields.severity),
        }
    }

    /// Drafts an alert, publishing it at once with `publish`.
    pub async fn create_alert(
        &self,
        actor: &Actor,
        input: &AlertInput,
        publish: bool,
    ) -> Result<AlertRecord> {
        self.create_alert_noting(actor, input, publish, None).await
    }

    /// [`App::create_alert`], with `source` (what it came from) added to the creation's audit
    /// entry.
    pub(crate) async fn create_alert_noting(
        &self,
        actor: &Actor,
        input: &AlertInput,
        publish: bool,
        source: Option<serde_json::Value>,
    ) -> Result<AlertRecord> {
        actor.require(GlobalAction::ManageAlerts)?;
        let fields = input.validate()?;
        // One instant for the whole publication: its time, its responses' first deadline.
        let stamp = self.stamp(actor);
        let save = self
            .alert_save(fields, Vec::new(), publish, false, 1, stamp.at)
            .await?;
        let mut created = self.alert_audit(actor, "alert.create", &save);
        if let Some(source) = source {
            created.summary["source"] = source;
        }
        let mut audit = vec![created];
        if publish {
            audit.push(self.alert_audit(actor, "alert.publish", &save));
        }
        Ok(self
            .store
            .create_alert(
                &self.alerts.prefix,
                self.alerts.first_number,
                &save,
                stamp,
                audit,
            )
            .await?)
    }

    /// Changes an alert as a new version (provided nobody changed it since `expected_version`).
    /// A published alert stays published and its organisations are told what changed; a draft is
    /// published with `publish`.
    pub async fn update_alert(
        &self,
        actor: &Actor,
        reference: &str,
        expected_version: i64,
        input: &AlertInput,
        publish: bool,
    ) -> Result<AlertRecord> {
        actor.require(GlobalAction::ManageAlerts)?;
        let current = self.readable_alert(actor, reference).await?;
        if current.version != expected_version {
            // Checked here too, before "nothing changed" is judged against a newer version.
            return Err(palisade_store::stale_alert(&current).into());
        }
        let fields = input.validate()?;
        let changed: Vec<String> = fields
            .changes_since(&current.fields)
            .into_iter()
            .map(str::to_string)
            .collect();
        let published = current.state == AlertState::Published;
        if changed.is_empty() && (published || !publish) {
            return Err(AppError::invalid("alert", "nothing changed"));
        }
        let publish = publish || published;
        let stamp = self.stamp(actor);
        // A draft's first publication is news; a published alert's change is an update.
        let save = self
            .alert_save(
                fields,
                changed,
                publish,
                published,
                current.version + 1,
                stamp.at,
            )
            .await?;
        let mut draft = self.alert_audit(
            actor,
            if published {
                "alert.update"
            } else if publish {
                "alert.publish"
            } else {
                "alert.edit"
            },
            &save,
        );
        draft.entity_id = current.reference.clone();
        Ok(self
            .store
            .save_alert(current.id, expected_version, &save, stamp, vec![draft])
            .await?)
    }

    async fn alert_save(
        &self,
        fields: AlertFields,
        changed: Vec<String>,
        publish: bool,
        update: bool,
        version: i64,
        at: i64,
    ) -> Result<AlertSave> {
        // A first publication is news, not a change: what was edited while it was a draft is
        // not the public's business, and the feeds show a version's changes as an update.
        let changed = if publish && !update {
            Vec::new()
        } else {
            changed
        };
        let targets = if publish {
            self.audience_ids(&fields).await?
        } else {
            Vec::new()
        };
        let due_at = self
            .alerts
            .rules
            .first_due(fields.severity, fields.response_required, at);
        // A new alert's reference is only known inside the store's transaction, which fills
        // in `{reference}` (see `Notice`).
        let notice = publish.then(|| {
            // An update leaves existing responses' deadlines as they were, so it names none.
            if update {
                self.notice(version, &fields, None, &changed)
            } else {
                self.notice(version, &fields, due_at, &[])
            }
        });
        Ok(AlertSave {
            fields,
            changed,
            publish,
            targets,
            due_at,
            notice,
        })
    }

    fn alert_audit(
        &self,
        actor: &Actor,
        action: &str,
        save: &AlertSave,
    ) -> palisade_domain::audit::AuditDraft {
        self.draft(
            actor,
            action,
            "alert",
            "",
            None,
            serde_json::json!({
                "title": save.fields.title,
                "severity": save.fields.severity.as_str(),
                "changed": save.changed,
                "organisations": save.targets.len(),
            }),
        )
    }

    pub async fn alert(&self, actor: &Actor, reference: &str) -> Result<AlertView> {
        let alert = self.readable_alert(actor, reference).await?;
        let mut versions = self.store.alert_versions(alert.id).await?;
        // Who in the national team made each version is theirs to know: an organisation reads
        // what changed and when, not a colleague's email address.
        if !Self::national_reader(actor) {
            versions.iter_mut().for_each(|v| v.by = None);
        }
        Ok(AlertView {
            alert: Self::as_seen_by(actor, alert),
            versions,
        })
    }

    /// The national team's list of every alert, or an organisation's alerts (one row per
    /// response of an organisation the actor acts for), open ones first.
    pub async fn list_alerts(
        &self,
        actor: &Actor,
        mut filter: AlertFilter,
        page: PageRequest,
    ) -> Result<Page<AlertListItem>> {
        filter.responding = if Self::national_reader(actor) {
            filter.responding.take()
        } else {
            Some(actor.principal.scope(OrgAction::ViewAlerts))
        };
        let mut listed = self.store.list_alerts(&filter, page).await?;
        listed.items = listed
            .items
            .into_iter()
            .map(|mut item| {
                item.alert = Self::as_seen_by(actor, item.alert);
                item
            })
            .collect();
        Ok(listed)
    }

    /// Responses to an alert: every one for the national team, otherwise those of the
    /// organisations the actor acts for.
    pub async fn alert_responses(
        &self,
        actor: &Actor,
        reference: &str,
        filter: &ResponseFilter,
        page: Option<PageRequest>,
    ) -> Result<(AlertRecord, Page<ResponseRecord>)> {
        let alert = self.readable_alert(actor, reference).await?;
        let scope = Self::response_scope(actor);
        let page = self.store.responses(alert.id, &scope, filter, page).await?;
        Ok((alert, page))
    }

    /// Whose responses the actor reads: every organisation's for the national team, otherwise
    /// those of the organisations the actor acts for.
    fn response_scope(actor: &Actor) -> Scope {
        if Self::national_reader(actor) {
            Scope::All
        } else {
            actor.principal.scope(OrgAction::ViewAlerts)
        }
    }

    /// Counts for the national response board.
    pub async fn response_counts(
        &self,
        actor: &Actor,
        reference: &str,
    ) -> Result<Vec<ResponseCount>> {
        actor.require(GlobalAction::ViewAlertResponses)?;
        let alert = self.readable_alert(actor, reference).await?;
        Ok(self.store.response_counts(alert.id, self.now()).await?)
    }

    /// One organisation's response and its actions.
    pub async fn alert_response(
        &self,
        actor: &Actor,
        reference: &str,
        org_code: &str,
    ) -> Result<ResponseView> {
        let alert = self.readable_alert(actor, reference).await?;
        let org = self.org_for(actor, org_code, OrgAction::ViewAlerts).await?;
        let response = self
            .store
            .response(alert.id, org.org.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let actions = self.store.response_actions(alert.id, org.org.id).await?;
        Ok(ResponseView {
            alert,
            response,
            actions,
            may_respond: actor
                .principal
                .may(OrgAction::RespondToAlerts, &org.ancestry),
        })
    }

    /// Takes one step for one or several organisations at once, all or nothing.
    pub async fn respond(
        &self,
        actor: &Actor,
        reference: &str,
        org_codes: &[String],
        request: &StepRequest,
    ) -> Result<Vec<ResponseRecord>> {
        self.respond_at(actor, reference, org_codes, None, request)
            .await
    }

    /// Takes one step for one organisation's response, provided it is still at `revision` (the
    /// revision the caller last read) when one is given: a response that moved on is a conflict,
    /// so a client never acts on a state it has not seen.
    pub async fn respond_one(
        &self,
        actor: &Actor,
        reference: &str,
        org_code: &str,
        revision: Option<i64>,
        request: &StepRequest,
    ) -> Result<ResponseRecord> {
        self.respond_at(actor, reference, &[org_code.to_string()], revision, request)
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)
    }

    async fn respond_at(
        &self,
        actor: &Actor,
        reference: &str,
        org_codes: &[String],
        revision: Option<i64>,
        request: &StepRequest,
    ) -> Result<Vec<ResponseRecord>> {
        if org_codes.is_empty() {
            return Err(AppError::invalid(
                "org_codes",
                "name at least one organisation",
            ));
        }
        let alert = self.readable_alert(actor, reference).await?;
        let now = self.now();
        let today = self.today();
        let step = request.step();
        let action = match request {
            StepRequest::AddAction {
                action,
                owner,
                due_on,
            } => Some(ActionWrite::Add {
                action: paragraph("action", action, 1, 1000)?,
                owner: text("owner", owner, 1, 200)?,
                due_on: check_action_due(due_on, today)
                    .map_err(|m| AppError::invalid("due_on", m))?
                    .to_string(),
            }),
            StepRequest::UpdateAction { id, progress, done } => Some(ActionWrite::Update {
                id: *id,
                progress: Some(progress.trim())
                    .filter(|p| !p.is_empty())
                    .map(|p| paragraph("progress", p, 1, 2000))
                    .transpose()?,
                done_on: done.then(|| today.to_string()),
            }),
            _ => None,
        };
        // The texts as validated (trimmed, line breaks normalised) are what is stored.
        let (reason, siro) = match request {
            StepRequest::Applicability { reason, .. } => {
                (Some(paragraph("reason", reason, 0, 2000)?), None)
            }
            StepRequest::Close { siro, .. } => (None, Some(text("siro", siro, 0, 200)?)),
            _ => (None, None),
        };
        let mut writes = Vec::new();
        let mut audit = Vec::new();
        let mut orgs = Vec::new();
        for code in org_codes {
            let org = self
                .org_for(actor, code, OrgAction::RespondToAlerts)
                .await?;
            let response = self
                .store
                .response(alert.id, org.org.id)
                .await?
                .ok_or_else(|| {
                    AppError::invalid(
                        "org_codes",
                        format!("{} is not in scope of {}", org.org.code, alert.reference),
                    )
                })?;
            if let Some(seen) = revision
                && seen != response.revision
            {
                return Err(AppError::Conflict {
                    field: "revision".into(),
                    message: format!(
                        "{}: the response has changed since revision {seen} (it is at {}): read it again",
                        org.org.code, response.revision
                    ),
                });
            }
            let outcome =
                take_step(&response.state(), &step, &self.alerts.rules, now).map_err(|m| {
                    AppError::Conflict {
                        field: step.name().into(),
                        message: format!("{}: {m}", org.org.code),
                    }
                })?;
            writes.push(ResponseWrite {
                org_id: org.org.id,
                expected_revision: response.revision,
                status: outcome.status,
                due_at: outcome.due_at,
                acknowledged: matches!(step, Step::Acknowledge),
                applicability: match &step {
                    Step::Applicability { applies, .. } => {
                        Some((*applies, reason.clone().filter(|r| !r.is_empty())))
                    }
                    _ => None,
                },
                closure: match &step {
                    Step::Close { closure, .. } => Some((
                        *closure,
                        (*closure == Closure::RiskAccepted)
                            .then(|| siro.clone().unwrap_or_default()),
                    )),
                    _ => None,
                },
                action: action.clone(),
            });
            audit.push(self.draft(
                actor,
                &format!("alert.{}", step.name()),
                "alert_response",
                format!("{}/{}", alert.reference, org.org.code),
                Some(org.org.id),
                step_summary(request),
            ));
            orgs.push(org.org.id);
        }
        self.store
            .record_responses(alert.id, &writes, self.stamp(actor), audit)
            .await?;
        let mut out = Vec::new();
        for id in orgs {
            if let Some(r) = self.store.response(alert.id, id).await? {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Late responses are escalated this many at a time.
const ESCALATION_BATCH: i64 = 500;

/// The longest text the national relay sends (one text message).
pub const RELAY_MAX_CHARS: usize = 160;

impl App {
    /// Escalates every late response not escalated yet, once, to its organisation's SIRO
    /// contacts (the worker calls this each round). Returns how many were escalated.
    pub async fn escalate_late(&self) -> Result<usize> {
        let mut escalated = 0;
        loop {
            let now = self.now();
            let late = self.store.late_unescalated(now, ESCALATION_BATCH).await?;
            let n = late.len();
            let batch: Vec<Escalation> = late
                .into_iter()
                .map(|l| Escalation {
                    notice: escalation_notice(&l),
                    audit: self.draft(
                        &Actor::system(),
                        "alert.escalate",
                        "alert_response",
                        format!("{}/{}", l.reference, l.org_code),
                        Some(l.org_id),
                        serde_json::json!({"due_at": rfc3339_opt(Some(l.due_at))}),
                    ),
                    late: l,
                })
                .collect();
            escalated += self.store.escalate(&batch, now).await?;
            if (n as i64) < ESCALATION_BATCH {
                return Ok(escalated);
            }
        }
    }

    /// The national chase list: responses escalated and still late, of one alert or of all.
    pub async fn chase_list(
        &self,
        actor: &Actor,
        reference: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<LateResponse>> {
        actor.require(GlobalAction::ViewAlertResponses)?;
        let alert_id = match reference {
            Some(r) => Some(self.readable_alert(actor, r).await?.id),
            None => None,
        };
        Ok(self.store.chase_list(alert_id, self.now(), page).await?)
    }

    /// Chases every organisation late with its response to an alert: their alert contacts get
    /// a reminder (at most one a day per alert). Returns the number of messages queued.
    pub async fn chase_late(&self, actor: &Actor, reference: &str) -> Result<u64> {
        actor.require(GlobalAction::ManageAlerts)?;
        let alert = self.readable_alert(actor, reference).await?;
        if alert.state != AlertState::Published {
            return Err(AppError::invalid(
                "alert",
                "only a published alert has responses to chase",
            ));
        }
        let now = self.now();
        let today = self.today();
        let f = &alert.fields;
        let notice = Notice {
            key: format!("chase:{}:{today}", alert.reference),
            subject: format!(
                "[{}] Your response is overdue: {}",
                alert.reference, f.title
            ),
            email_body: Some(format!(
                "Your organisation's response to {} alert {} ({}) is overdue.\n\n\
                 Acknowledge the alert and record where your response stands in Palisade today. \
                 Late responses are reported to the national team and your SIRO.\n",
                f.severity.label(),
                alert.reference,
                f.title
            )),
            sms_body: Some(format!(
                "NHS Cyber Alert {}: your response is overdue. Please respond in Palisade today.",
                alert.reference
            )),
            // Overdue is urgent, whatever the alert's severity.
            sms_to_all: true,
        };
        let recipients = Recipients {
            late_at: Some(now),
            ..Recipients::alert_contacts()
        };
        let audit = self.draft(
            actor,
            "alert.chase",
            "alert",
            alert.reference.clone(),
            None,
            serde_json::json!({}),
        );
        Ok(self
            .store
            .notify(alert.id, &notice, &recipients, self.stamp(actor), audit)
            .await?)
    }

    /// The national relay: a short text to the alert contacts of every organisation in scope,
    /// whatever channels they chose (for when email is down or an alert cannot wait). Returns
    /// the number of texts queued.
    pub async fn relay_text(&self, actor: &Actor, reference: &str, text: &str) -> Result<u64> {
        actor.require(GlobalAction::ManageAlerts)?;
        let alert = self.readable_alert(actor, reference).await?;
        if alert.state != AlertState::Published {
            return Err(AppError::invalid(
                "alert",
                "publish the alert before relaying it",
            ));
        }
        let text = text.trim();
        let body = if text.is_empty() {
            format!(
                "NHS Cyber Alert {} ({}): {}. Details by email and in Palisade.",
                alert.reference,
                alert.fields.severity.label(),
                alert.fields.title
            )
            .chars()
            .take(RELAY_MAX_CHARS)
            .collect()
        } else if text.chars().count() > RELAY_MAX_CHARS {
            return Err(AppError::invalid(
                "text",
                format!("must be at most {RELAY_MAX_CHARS} characters (one text message)"),
            ));
        } else {
            text.to_string()
        };
        // The same text twice in one second is one press of the button sent twice: queued once.
        let digest = &crate::auth::sha256_hex(&body)[..16];
        let notice = Notice {
            key: format!("relay:{}:{}:{digest}", alert.reference, self.now()),
            subject: format!("[{}] {}", alert.reference, alert.fields.title),
            email_body: None,
            sms_body: Some(body.clone()),
            sms_to_all: true,
        };
        let recipients = Recipients {
            override_channels: true,
            ..Recipients::alert_contacts()
        };
        let audit = self.draft(
            actor,
            "alert.relay",
            "alert",
            alert.reference.clone(),
            None,
            serde_json::json!({"text": body}),
        );
        Ok(self
            .store
            .notify(alert.id, &notice, &recipients, self.stamp(actor), audit)
            .await?)
    }

    /// How the outbox stands (national roles).
    pub async fn outbox_summary(&self, actor: &Actor) -> Result<OutboxSummary> {
        actor.require(GlobalAction::ViewAlertResponses)?;
        Ok(self.store.outbox_summary().await?)
    }
}

/// What a late response's SIRO receives.
fn escalation_notice(l: &LateResponse) -> Notice {
    let due = long_date_time(from_unix(l.due_at));
    let severity = l
        .severity
        .parse::<Severity>()
        .map_or(l.severity.as_str(), |s| s.label());
    Notice {
        key: format!("escalation:{}:{}", l.reference, l.org_code),
        subject: format!(
            "[{}] Escalation: {} has not responded to a cyber alert",
            l.reference, l.org_name
        ),
        email_body: Some(format!(
            "You are the senior information risk owner (SIRO) for {} ({}).\n\n\
             Its response to {} alert {} ({}) was due by {due} and is late.\n\n\
             Please make sure the alert is acknowledged and the response recorded in Palisade. \
             Organisations still late are on the national chase list.\n",
            l.org_name, l.org_code, severity, l.reference, l.title
        )),
        sms_body: Some(format!(
            "NHS Cyber Alert {}: {} ({}) is late responding (due {due}). As SIRO, please act.",
            l.reference, l.org_name, l.org_code
        )),
        sms_to_all: true,
    }
}

impl App {
    /// Responses as CSV (every match), with the alert's reference: the alert and the actor's
    /// right to it are checked now, the rows read as the download is sent.
    pub async fn alert_responses_csv(
        &self,
        actor: &Actor,
        reference: &str,
        filter: &ResponseFilter,
    ) -> Result<(String, Download)> {
        let alert = self.readable_alert(actor, reference).await?;
        let (store, scope, filter) = (
            self.store.clone(),
            Self::response_scope(actor),
            filter.clone(),
        );
        let next = move |after: Option<String>, limit| {
            let (store, scope, filter) = (store.clone(), scope.clone(), filter.clone());
            async move {
                store
                    .responses_after(alert.id, &scope, &filter, after.as_deref(), limit)
                    .await
            }
        };
        let now = self.now();
        let csv = csv_in_chunks(
            &RESPONSE_CSV_HEADER,
            in_chunks(next, |r: &ResponseRecord| &r.org_code).await?,
            move |r| response_cells(r, now),
        );
        Ok((alert.reference, csv))
    }
}

/// A response as a row of the responses CSV, late or not at `now`.
fn response_cells(r: &ResponseRecord, now: i64) -> Vec<String> {
    let time = |t: Option<i64>| rfc3339_opt(t).unwrap_or_default();
    vec![
        r.org_code.clone(),
        r.org_name.clone(),
        r.org_type.as_str().to_string(),
        r.region.clone(),
        r.status.as_str().to_string(),
        time(r.due_at),
        r.state().late(now).to_string(),
        r.applies.map(|a| a.to_string()).unwrap_or_default(),
        r.closure
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        time(r.closed_at),
        time(r.escalated_at),
    ]
}

/// The columns of the responses CSV.
pub const RESPONSE_CSV_HEADER: [&str; 11] = [
    "org_code",
    "org_name",
    "org_type",
    "region",
    "status",
    "due_at",
    "late",
    "applies",
    "closure",
    "closed_at",
    "escalated_at",
];

/// What the audit log keeps of a step (no free text beyond the reason and the action).
fn step_summary(request: &StepRequest) -> serde_json::Value {
    match request {
        StepRequest::Acknowledge => serde_json::json!({}),
        StepRequest::Applicability { applies, reason } => {
            serde_json::json!({"applies": applies, "reason": reason.trim()})
        }
        StepRequest::AddAction { action, due_on, .. } => {
            serde_json::json!({"action": action.trim(), "due_on": due_on.trim()})
        }
        StepRequest::UpdateAction { id, done, .. } => {
            serde_json::json!({"action_id": id, "done": done})
        }
        StepRequest::Close { closure, siro } => {
            serde_json::json!({"closure": closure.as_str(), "siro": siro.trim()})
        }
    }
}
