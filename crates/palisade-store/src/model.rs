//! What the store returns: records with their database ids, already converted to domain types.

use palisade_domain::org::{Category, OrgCode, OrgType};
use palisade_domain::people::{ContactRole, Role};
use palisade_domain::policy::{OrgId, Scope};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organisation {
    pub id: OrgId,
    pub code: String,
    pub name: String,
    pub org_type: OrgType,
    pub category: Category,
    pub region: String,
    pub parent_id: Option<OrgId>,
    pub parent_code: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Matches code or name, case-insensitively.
    pub q: Option<String>,
    pub org_type: Option<OrgType>,
    pub category: Option<Category>,
    pub region: Option<String>,
    pub active: Option<bool>,
}

pub use palisade_domain::org::ImportRow;

/// Who imports, when, so each change gets its audit entry.
#[derive(Debug, Clone)]
pub struct ImportAudit {
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub org_id: OrgId,
    pub name: String,
    pub role: ContactRole,
    pub email: String,
    pub mobile: Option<String>,
    pub alert_channels: palisade_domain::people::AlertChannels,
    pub reminders: palisade_domain::people::ReminderDelivery,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub auth_version: i64,
    pub has_password: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub now: i64,
    /// A role given in the same transaction, with its audit entry, so nobody is left with an
    /// account and no role when the grant fails.
    pub first_grant: Option<FirstGrant>,
}

#[derive(Debug, Clone)]
pub struct FirstGrant {
    pub role: Role,
    pub org_id: Option<OrgId>,
    pub audit: palisade_domain::audit::AuditDraft,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantRecord {
    pub role: Role,
    pub org_id: Option<OrgId>,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
}

/// A sign-in attempt to claim before its password is checked.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pub user_id: i64,
    pub now: i64,
    /// Failures in a row that lock the account.
    pub threshold: i64,
    /// When a lock made by this attempt ends.
    pub lock_until: i64,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub auth_version: i64,
    pub now: i64,
    pub expires_at: i64,
    /// The identity provider's session this one began from (single sign-on), if any.
    pub idp: Option<IdpSession>,
}

/// The provider session a Palisade session began from: a back-channel logout of it ends ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpSession {
    pub issuer: String,
    pub subject: String,
    pub sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub csrf_token: String,
    /// The user's auth version when the session was made; a newer one on the user means their
    /// roles changed and the session id must rotate.
    pub auth_version: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The provider session it began from, for single sign-on sessions.
    pub idp: Option<IdpSession>,
    /// The person, read in the same query (one read per request, not two).
    pub user: User,
    /// The register's version as the session was read ([`FoundOrg`]).
    pub register_version: i64,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: i64,
    pub label: String,
    pub token_hash: String,
    pub prefix: String,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub label: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// An API token as every request reads it: the token, its owner, the owner's roles everywhere,
/// and the register's version ([`OrgStore::find_org_as_of`]) at the moment they were read.
///
/// [`OrgStore::find_org_as_of`]: crate::OrgStore::find_org_as_of
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token: ApiToken,
    pub user: User,
    pub grants: Vec<GrantRecord>,
    pub register_version: i64,
}

/// An organisation, its ancestry (its own id first, then its parent's...) and the version of
/// the register they were read at. Every change to an organisation moves the version on in the
/// change's own transaction, so the three stand together while the version stays.
#[derive(Debug, Clone)]
pub struct FoundOrg {
    pub org: Organisation,
    pub ancestry: Vec<OrgId>,
    pub register_version: i64,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub org_id: Option<OrgId>,
    pub entity_type: Option<String>,
}

/// An audit entry as listed, with the organisation code it concerns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub org_code: Option<String>,
    pub summary: String,
}

pub(crate) fn parse_code(code: &str) -> Option<OrgCode> {
    OrgCode::parse("code", code).ok()
}

/// An imported framework version (the document itself is fetched separately).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameworkRecord {
    pub id: i64,
    pub key: String,
    pub year: i32,
    pub version: String,
    pub kind: palisade_domain::framework::FrameworkKind,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    pub categories: Vec<Category>,
    pub content_hash: String,
    pub imported_at: i64,
}

/// A validated framework to store, with its canonical document.
#[derive(Debug, Clone)]
pub struct NewFramework {
    pub key: String,
    pub year: i32,
    pub version: String,
    pub kind: palisade_domain::framework::FrameworkKind,
    pub name: String,
    pub deadline: String,
    pub categories: Vec<Category>,
    pub content_hash: String,
    pub document: String,
}

/// One organisation's assessment for one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentRecord {
    pub id: i64,
    pub org_id: OrgId,
    pub year: i32,
    pub framework_id: i64,
    pub submitted: bool,
    pub status: palisade_domain::assessment::Status,
    pub published_at: Option<i64>,
    /// Moved on by every change to the assessment, its answers, evidence or certificates, and
    /// by submitting and reopening it. A save of answers plans from a read made before it takes
    /// the writer and keeps its writes only if this has not moved since, so a change to the
    /// answers or the submitted flag that did not move it could be overwritten; a submission
    /// publishes only at the revision it evaluated, so one to evidence or certificates could
    /// be left out of its status.
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which assessment a write is for; the row is created on the first write.
#[derive(Debug, Clone, Copy)]
pub struct AssessmentKey {
    pub org_id: OrgId,
    pub year: i32,
    pub framework_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AnswerRecord {
    #[serde(rename = "ref")]
    pub reference: String,
    pub value: String,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

/// What is recorded under one assessment (see [`crate::AssessmentStore::assessment_parts`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssessmentParts {
    pub answers: Vec<AnswerRecord>,
    pub certificates: Vec<CertificateRecord>,
    pub evidence: Vec<EvidenceRecord>,
    /// Newest first.
    pub publications: Vec<PublicationRecord>,
}

/// One answer to write: `value: None` clears it. With `expected_version`, the write is refused
/// when someone else has changed the answer since it was read (0 means "was unanswered").
#[derive(Debug, Clone)]
pub struct AnswerChange {
    pub reference: String,
    pub value: Option<String>,
    pub expected_version: Option<i64>,
}

/// An assessment as a save of answers reads it before taking the writer
/// ([`crate::AssessmentStore::read_for_save`]), with the value and version of each answer it
/// looked up, in one statement: the caller decides with it what the save may do (the framework,
/// whether the assessment is locked), and the save plans against it.
#[derive(Debug, Clone)]
pub struct AnswersRead {
    pub record: AssessmentRecord,
    /// The references looked up.
    pub refs: Vec<String>,
    /// The value and version of each of those answered, by reference.
    pub current: std::collections::HashMap<String, (String, i64)>,
}

impl AnswersRead {
    /// Whether the read is of the assessment `key` and looked up every answer `changes` touch.
    pub fn covers(&self, key: AssessmentKey, changes: &[AnswerChange]) -> bool {
        self.record.org_id == key.org_id
            && self.record.year == key.year
            && changes.iter().all(|c| self.refs.contains(&c.reference))
    }
}

/// One component of an organisation's current inventory, with its position in the upload's
/// file order (from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredComponent {
    pub position: i64,
    #[serde(flatten)]
    pub component: palisade_domain::inventory::Component,
}

/// One inventory upload: its format and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryUpload {
    pub id: i64,
    pub format: palisade_domain::inventory::InventoryFormat,
    pub components: i64,
    pub added: i64,
    pub removed: i64,
    pub uploaded_at: i64,
}

/// A component an upload added (or removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryChange {
    pub added: bool,
    pub asset: String,
    pub asset_type: palisade_domain::inventory::AssetType,
    pub vendor: String,
    pub product: String,
    pub version: Option<String>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
}

/// A data feed's latest import: how many items, the newest date its data gives (Unix time),
/// and when it was imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedRecord {
    pub name: String,
    pub digest: String,
    pub items: i64,
    pub data_time: Option<i64>,
    pub imported_at: i64,
}

/// One day's national count: organisations with unsupported systems, those systems, and the
/// organisations with an inventory at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EstateDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub organisations: i64,
    pub devices: i64,
    pub estates: i64,
}

/// A recorded mitigation of one system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMitigation {
    pub id: i64,
    pub recorded_at: i64,
    pub mitigation: palisade_domain::eol::Mitigation,
}

/// Who makes a change and when.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub at: i64,
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicationRecord {
    pub status: palisade_domain::assessment::Status,
    pub published_at: i64,
    pub published_by: Option<String>,
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CertificateRecord {
    pub kind: String,
    pub reference: String,
    /// `YYYY-MM-DD`.
    pub expires_on: String,
    pub recorded_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub kind: String,
    pub reference: String,
    pub expires_on: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct EvidenceRecord {
    pub id: i64,
    #[serde(rename = "ref")]
    pub reference: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    #[serde(skip)]
    pub object_key: String,
    pub uploaded_at: i64,
    pub uploaded_by: Option<String>,
}

/// An evidence document to record; its bytes are already in the object store under `object_key`.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub reference: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub object_key: String,
}

/// Active organisations in one (type, category, region, status) cell of the national picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    pub org_type: OrgType,
    pub category: Category,
    pub region: String,
    pub status: palisade_domain::assessment::Status,
    pub orgs: i64,
    /// Of those, how many first published after the deadline.
    pub late: i64,
}

pub use palisade_domain::assessment::PublicStatus;

#[derive(Debug, Clone, Default)]
pub struct StatusFilter {
    pub q: Option<String>,
    pub org_type: Option<OrgType>,
    pub category: Option<Category>,
    pub region: Option<String>,
    pub status: Option<palisade_domain::assessment::Status>,
}

/// An assessment's improvement plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: i64,
    pub assessment_id: i64,
    pub state: palisade_domain::plan::PlanState,
    pub revision: i64,
    /// The SIRO who signed it off, as named in the organisation's contacts then.
    pub siro_name: Option<String>,
    pub signed_off_at: Option<i64>,
    pub signed_off_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub reviewed_by: Option<String>,
    pub review_note: Option<String>,
    pub updated_at: i64,
}

/// One action of a plan.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PlanActionRecord {
    #[serde(rename = "ref")]
    pub reference: String,
    pub action: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub target_date: String,
    /// `YYYY-MM-DD`, once done.
    pub done_on: Option<String>,
}

/// A plan as the national review list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSummary {
    pub code: String,
    pub name: String,
    pub org_type: OrgType,
    pub year: i32,
    pub state: palisade_domain::plan::PlanState,
    pub status: palisade_domain::assessment::Status,
    pub actions: i64,
    /// Actions not done whose target date is before the day asked about.
    pub overdue: i64,
    pub updated_at: i64,
}

/// What the national plans list shows.
#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    pub year: Option<i32>,
    pub state: Option<palisade_domain::plan::PlanState>,
    /// Only plans with an action overdue today.
    pub overdue_only: bool,
}

/// The national team's decision on a signed-off plan.
#[derive(Debug, Clone)]
pub struct PlanDecision {
    pub approve: bool,
    pub note: String,
    /// Approval that turns the assessment's published Standards Not Met into Plan Agreed.
    pub agree: bool,
}

/// An independent audit of one assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct IndependentAuditRecord {
    pub id: i64,
    pub assessment_id: i64,
    pub state: palisade_domain::independent_audit::AuditState,
    pub revision: i64,
    /// On the framework's assurance scale.
    pub rating: Option<String>,
    pub veracity: Option<palisade_domain::independent_audit::Veracity>,
    pub summary: String,
    /// The auditor's email.
    pub auditor: Option<String>,
    pub issued_at: Option<i64>,
    pub updated_at: i64,
}

/// The auditor's judgement of one item or outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditFindingRecord {
    #[serde(rename = "ref")]
    pub reference: String,
    pub agrees: bool,
    pub comment: String,
}

/// What an auditor saves: the whole report as it stands.
#[derive(Debug, Clone)]
pub struct AuditReport {
    pub rating: Option<String>,
    pub veracity: Option<palisade_domain::independent_audit::Veracity>,
    pub summary: String,
    pub findings: Vec<AuditFindingRecord>,
    /// Issue it to the organisation (it is then fixed).
    pub issue: bool,
}

/// A whole assessment written at once: answers and, optionally, its publication (for seeding a
/// national demo, where one call per organisation would take minutes).
#[derive(Debug, Clone)]
pub struct SeededAssessment {
    pub key: AssessmentKey,
    /// (reference, canonical value)
    pub answers: Vec<(String, String)>,
    /// Evidence documents attached, as uploads would attach them (their objects already stored).
    pub documents: Vec<NewEvidence>,
    pub publish: Option<palisade_domain::assessment::Status>,
    /// The audit entries the organisation's own calls would have written.
    pub audit: Vec<palisade_domain::audit::AuditDraft>,
}

/// A contact for an organisation that has none, written in bulk (the national demo).
#[derive(Debug, Clone)]
pub struct SeededContact {
    pub org_id: OrgId,
    pub fields: palisade_domain::people::ContactFields,
    /// The audit entry the organisation's own call would have written (its entity is filled in).
    pub audit: palisade_domain::audit::AuditDraft,
}

/// A cyber alert as stored, at its current version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRecord {
    pub id: i64,
    pub reference: String,
    pub state: palisade_domain::alert::AlertState,
    pub version: i64,
    pub fields: palisade_domain::alert::AlertFields,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    /// Organisations with a response to it.
    pub responses: i64,
}

/// One version of an alert: when, by whom, and what changed from the one before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertVersionRecord {
    pub version: i64,
    pub at: i64,
    pub by: Option<String>,
    pub published: bool,
    pub changed: Vec<String>,
}

/// Which alerts a list shows.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Only those with a response from an organisation in this scope (an organisation's view);
    /// `None` for the national team's view of every alert.
    pub responding: Option<Scope>,
    pub state: Option<palisade_domain::alert::AlertState>,
    pub severity: Option<palisade_domain::alert::Severity>,
}

/// An alert as a search finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertTitle {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub severity: String,
    pub state: String,
    pub published_at: Option<i64>,
    /// It names the CVE asked about (always false when none was).
    pub names_cve: bool,
}

/// An alert in a list, with (for an organisation's view) the response that brought it there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertListItem {
    pub alert: AlertRecord,
    pub response: Option<ResponseRecord>,
}

/// One organisation's response to an alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseRecord {
    pub alert_id: i64,
    pub org_id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_type: palisade_domain::org::OrgType,
    pub region: String,
    pub status: palisade_domain::alert::ResponseStatus,
    pub due_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub applies: Option<bool>,
    pub reason: Option<String>,
    pub closure: Option<palisade_domain::alert::Closure>,
    pub risk_owner: Option<String>,
    pub closed_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub revision: i64,
    pub updated_at: i64,
    /// Remediation actions recorded, and of those not yet complete.
    pub actions: i64,
    pub open_actions: i64,
}

impl ResponseRecord {
    /// The response as the domain's rules see it.
    pub fn state(&self) -> palisade_domain::alert::ResponseState {
        palisade_domain::alert::ResponseState {
            status: self.status,
            due_at: self.due_at,
            applies: self.applies,
            actions: usize::try_from(self.actions).unwrap_or(0),
            open_actions: usize::try_from(self.open_actions).unwrap_or(0),
            escalated_at: self.escalated_at,
        }
    }
}

/// Which responses the board shows.
#[derive(Debug, Clone, Default)]
pub struct ResponseFilter {
    pub status: Option<palisade_domain::alert::ResponseStatus>,
    /// Only responses late at this time.
    pub late_at: Option<i64>,
    pub org_type: Option<palisade_domain::org::OrgType>,
    pub region: Option<String>,
    /// Part of an organisation's code or name.
    pub q: String,
}

/// Responses counted by status and organisation type, with how many of them are late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseCount {
    pub status: palisade_domain::alert::ResponseStatus,
    pub org_type: palisade_domain::org::OrgType,
    pub count: i64,
    pub late: i64,
}

/// A remediation action of a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ResponseActionRecord {
    pub id: i64,
    pub action: String,
    pub owner: String,
    pub due_on: String,
    pub progress: Option<String>,
    pub done_on: Option<String>,
    pub updated_at: i64,
}

/// A remediation action added or brought up to date by a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionWrite {
    Add {
        action: String,
        owner: String,
        due_on: String,
    },
    Update {
        id: i64,
        progress: Option<String>,
        done_on: Option<String>,
    },
}

/// One organisation's step, as decided by the domain's rules, to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseWrite {
    pub org_id: i64,
    /// The revision the step was decided from; a different one stored means someone else
    /// stepped in between, and the whole batch is refused.
    pub expected_revision: i64,
    pub status: palisade_domain::alert::ResponseStatus,
    pub due_at: Option<i64>,
    pub acknowledged: bool,
    /// `Some` when the step records applicability (with the reason when it does not apply).
    pub applicability: Option<(bool, Option<String>)>,
    pub closure: Option<(palisade_domain::alert::Closure, Option<String>)>,
    pub action: Option<ActionWrite>,
}

/// A notification about an alert. Its texts may say `{reference}`, which the store fills in with
/// the alert's reference (a new alert's is only known inside the transaction that numbers it).
/// A channel without a body is not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Unique per change: with the contact and channel it makes each message's outbox key.
    pub key: String,
    pub subject: String,
    pub email_body: Option<String>,
    pub sms_body: Option<String>,
    /// Whether the text goes to every contact who takes texts (`both` and `sms`), or only to
    /// those who chose texts alone, for whom a text is the only way to hear of it.
    pub sms_to_all: bool,
}

impl Notice {
    /// The notice with `{reference}` filled in.
    pub fn for_alert(&self, reference: &str) -> Notice {
        let fill = |s: &str| s.replace("{reference}", reference);
        Notice {
            key: fill(&self.key),
            subject: fill(&self.subject),
            email_body: self.email_body.as_deref().map(fill),
            sms_body: self.sms_body.as_deref().map(fill),
            sms_to_all: self.sms_to_all,
        }
    }
}

/// Who a notice about an alert reaches: the contacts in `role` at the organisations responding
/// to it, narrowed to one organisation or to those late at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipients {
    pub role: palisade_domain::people::ContactRole,
    pub org: Option<OrgId>,
    pub late_at: Option<i64>,
    /// Every contact with a mobile number gets the text, whatever their channels (the national
    /// relay, for when email is down).
    pub override_channels: bool,
}

impl Recipients {
    /// The alert contacts of every responding organisation, by their own channels.
    pub fn alert_contacts() -> Self {
        Recipients {
            role: palisade_domain::people::ContactRole::AlertContact,
            org: None,
            late_at: None,
            override_channels: false,
        }
    }
}

/// One late response to escalate: the message to its SIRO and the audit entry.
#[derive(Debug, Clone)]
pub struct Escalation {
    pub late: LateResponse,
    pub notice: Notice,
    pub audit: palisade_domain::audit::AuditDraft,
}

/// A response past its due time, with what a message about it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LateResponse {
    pub alert_id: i64,
    pub reference: String,
    pub title: String,
    pub severity: String,
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    pub status: String,
    pub due_at: i64,
    pub escalated_at: Option<i64>,
    pub chased_at: Option<i64>,
}

/// How the outbox stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxSummary {
    pub pending: i64,
    pub sent: i64,
    pub gave_up: i64,
    /// When the oldest message still waiting was queued.
    pub oldest_pending_at: Option<i64>,
}

/// What one reading of an organisation's inventory went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotRead {
    /// The upload that left the inventory read (`None`: there is none).
    pub upload_id: Option<i64>,
    pub components: usize,
}

/// A message waiting in (or sent from) the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub gave_up_at: Option<i64>,
    pub last_error: Option<String>,
    pub provider_ref: Option<String>,
    /// Times claimed for sending, this claim included: above one, an earlier attempt may have
    /// reached the provider.
    pub claims: i64,
}

/// One published version of an alert: a store-free record, so the writers in
/// `palisade-formats` take it without the store.
pub use palisade_domain::alert::PublishedVersion;

/// Which published versions to read. Rows come oldest first (`at`, alert, version), or newest
/// first with `newest_first`; `after` continues from the row with that key.
#[derive(Debug, Clone, Default)]
pub struct PublishedQuery {
    /// Only each alert's current version.
    pub latest_only: bool,
    pub reference: Option<String>,
    /// Only alerts first published in this year.
    pub year: Option<i32>,
    /// Only versions published strictly after / before these times.
    pub added_after: Option<i64>,
    pub added_before: Option<i64>,
    pub newest_first: bool,
    pub after: Option<(i64, i64, i64)>,
    pub limit: i64,
}
