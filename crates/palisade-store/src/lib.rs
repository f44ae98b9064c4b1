//! Palisade's persistence, behind traits.
//!
//! One implementation, [`SqlStore`], serves both engines through sqlx's `Any` driver: SQLite is the
//! embedded default and PostgreSQL the engine for deployments with several `palisade serve`
//! processes. Each engine has its own migrations (`migrations/sqlite`, `migrations/postgres`) with
//! the same tables; the SQL in this crate is written to run unchanged on both (`$1` placeholders,
//! integer times and flags, `RETURNING`, recursive CTEs). The conformance tests in `tests/` run on
//! SQLite always and on PostgreSQL when `PALISADE_TEST_POSTGRES_URL` is set.
//!
//! SQLite writes go through a single writer connection using `BEGIN IMMEDIATE`, so a
//! read-then-write transaction can never fail with `SQLITE_BUSY` on upgrade; reads use a pool.

mod alerts;
mod answer_saves;
mod assessment_parts;
mod assessments;
mod audit;
mod board;
mod charter;
mod conns;
mod db;
mod delivery;
mod digests;
mod error;
mod estate;
mod figures;
mod identities;
mod incidents;
mod independent_audit;
mod indicators;
mod inventory;
mod jobs;
pub mod model;
mod orgs;
mod people;
mod plans;
mod playbooks;
mod posture;
mod published;
pub mod query_plans;
mod reminders;
mod sessions;
mod supplier_notices;
mod supplier_sboms;
mod suppliers;
pub mod testkit;
pub mod volume;
mod wal;
mod worklist;

pub use alerts::{AlertSave, stale_alert};
pub use charter::{
    AlertAnswer, CharterCertificate, CharterDocument, CharterFacts, CharterRecord, CharterStore,
    CommitmentRecord, NewCharterDocument, NewCommitment, NewSignature, Signatory, SignatureRecord,
};
pub use db::{Engine, SqlStore, sqlite_path};
pub use delivery::OUTBOX_CHANNELS;
pub use digests::{DigestItem, DigestStore, NewDigest};
pub use error::StoreError;
pub use identities::{ClaimGrant, IdentityRecord, IdentityStore, LinkTo, NewIdentity, SignInFlow};
pub use incidents::{
    EntryKind, IncidentEntry, IncidentFacts, IncidentFilter, IncidentRecord, IncidentState,
    IncidentStore, NewEntry, incident_id, incident_reference,
};
pub use indicators::{
    FeedIndicator, FeedQuery, FeedReader, IndicatorFound, IndicatorRecord, IndicatorStore,
    NewIndicator,
};
pub use jobs::{JobClaim, JobEnd, JobRecord, JobRun, JobStore};
pub use model::*;
pub use playbooks::{NewPlaybook, PlaybookRecord, PlaybookStore, TaskRecord};
pub use posture::{AcknowledgedOnDay, AssessmentProgress, OpenAlertFigures, PostureStore};
pub use reminders::{Cursor, NewReminder, Queued, ReminderDue, ReminderStore, ReminderWindow};
pub use supplier_notices::{
    NewSupplierNotice, NoticeRecipient, ReceivedNotice, SentNotice, SupplierNoticeRecord,
    SupplierNoticeStore,
};
pub use supplier_sboms::{NewSbom, NewVex, SbomRecord, SupplierSbomStore, VexRecord};
pub use suppliers::{
    CustomerRecord, LinkChange, LinkRecord, NewLink, ProductRecord, SupplierStore, VersionRecord,
};
pub use worklist::{
    AlertResponseFacts, AssessmentFacts, DueAction, OpenTask, UnansweredMessage, WorklistFacts,
};

use async_trait::async_trait;
use palisade_domain::assessment::Status;
use palisade_domain::audit::{AuditDraft, AuditEntry};
use palisade_domain::org::{Category, OrgCode, OrgFields};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::people::{ContactFields, Email, Role};
use palisade_domain::policy::{OrgId, Scope};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[async_trait]
pub trait OrgStore: Send + Sync {
    /// The organisation with this code, with its ancestry (its own id first, then its parent's...).
    async fn find_org(&self, code: &OrgCode) -> Result<Option<(Organisation, Vec<OrgId>)>> {
        Ok(self
            .find_org_as_of(code)
            .await?
            .map(|found| (found.org, found.ancestry)))
    }
    /// [`OrgStore::find_org`], with the register's version the same statement read: the two
    /// stand together for as long as the register stays at that version.
    async fn find_org_as_of(&self, code: &OrgCode) -> Result<Option<FoundOrg>>;
    /// The organisations with these codes (unknown codes are simply not there), by code.
    async fn orgs_by_codes(&self, codes: &[OrgCode]) -> Result<Vec<Organisation>>;
    /// The organisations with these ids (unknown ids are left out).
    async fn orgs_by_ids(&self, ids: &[OrgId]) -> Result<Vec<Organisation>>;
    /// A page of these organisations' ids, in code order (unknown ids are left out): for
    /// answers about thousands of organisations that show 50 of them.
    async fn org_page_by_code(
        &self,
        ids: &std::collections::HashSet<OrgId>,
        page: PageRequest,
    ) -> Result<Vec<OrgId>>;
    /// The ids of the organisations no longer active.
    async fn inactive_orgs(&self) -> Result<Vec<OrgId>>;
    async fn get_org(&self, id: OrgId) -> Result<Option<Organisation>>;
    async fn list_orgs(
        &self,
        scope: &Scope,
        filter: &OrgFilter,
        page: PageRequest,
    ) -> Result<Page<Organisation>>;
    async fn children_of(&self, id: OrgId) -> Result<Vec<Organisation>>;
    /// Every organisation in scope, ordered by code (for exports).
    async fn export_orgs(&self, scope: &Scope) -> Result<Vec<Organisation>>;
    /// The next `limit` of those organisations after the code `after` (from the first with
    /// none): the register's download reads it a chunk at a time.
    async fn export_orgs_after(
        &self,
        scope: &Scope,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Organisation>>;
    async fn regions(&self, scope: &Scope) -> Result<Vec<String>>;
    async fn count_orgs(&self, scope: &Scope) -> Result<Vec<(String, i64)>>;
    async fn create_org(&self, fields: &OrgFields, audit: AuditDraft) -> Result<Organisation>;
    async fn update_org(
        &self,
        id: OrgId,
        fields: &OrgFields,
        active: bool,
        audit: AuditDraft,
    ) -> Result<Organisation>;
    /// Upserts every row in one transaction; any bad row (unknown parent, cycle) rolls back all.
    async fn import_orgs(&self, rows: &[ImportRow], audit: ImportAudit) -> Result<ImportReport>;

    async fn list_contacts(&self, org_id: OrgId) -> Result<Vec<Contact>>;
    async fn get_contact(&self, org_id: OrgId, id: i64) -> Result<Option<Contact>>;
    async fn create_contact(
        &self,
        org_id: OrgId,
        fields: &ContactFields,
        audit: AuditDraft,
    ) -> Result<Contact>;
    async fn update_contact(
        &self,
        org_id: OrgId,
        id: i64,
        fields: &ContactFields,
        audit: AuditDraft,
    ) -> Result<Contact>;
    async fn delete_contact(&self, org_id: OrgId, id: i64, audit: AuditDraft) -> Result<()>;
    /// Adds each contact whose organisation has no contact yet, with its audit entry, in one
    /// transaction (the national demo's bulk path). Returns how many were added.
    async fn seed_contacts(&self, batch: &[SeededContact]) -> Result<usize>;
}

#[async_trait]
pub trait PeopleStore: Send + Sync {
    async fn create_user(&self, new: &NewUser, audit: AuditDraft) -> Result<User>;
    async fn get_user(&self, id: i64) -> Result<Option<User>>;
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>>;
    async fn password_hash(&self, user_id: i64) -> Result<Option<String>>;
    async fn list_users(&self, scope: &Scope, q: &str, page: PageRequest) -> Result<Page<User>>;
    /// The person's roles held in organisations within `scope` (and national roles, for
    /// [`Scope::All`]).
    async fn grants_of(&self, user_id: i64, scope: &Scope) -> Result<Vec<GrantRecord>>;
    async fn people_of_org(&self, org_id: OrgId) -> Result<Vec<(User, Role)>>;
    async fn add_grant(
        &self,
        user_id: i64,
        role: Role,
        org_id: Option<OrgId>,
        audit: AuditDraft,
    ) -> Result<()>;
    async fn remove_grant(
        &self,
        user_id: i64,
        role: Role,
        org_id: Option<OrgId>,
        audit: AuditDraft,
    ) -> Result<()>;
    async fn set_user_active(&self, user_id: i64, active: bool, audit: AuditDraft) -> Result<()>;
    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        audit: AuditDraft,
    ) -> Result<()>;
    /// Claims one sign-in attempt before its password is checked, in one statement: `None`
    /// while the account is locked; otherwise the attempt is counted (afresh once a lock has run
    /// out) and the account locked when the count reaches the threshold. Returns the count.
    async fn claim_login_attempt(&self, attempt: &LoginAttempt) -> Result<Option<i64>>;
    /// The password was right: the count and the lock are cleared.
    async fn record_login_success(&self, user_id: i64) -> Result<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, s: &NewSession, audit: Option<AuditDraft>) -> Result<()>;
    async fn get_session(&self, id_hash: &str) -> Result<Option<SessionRecord>>;
    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()>;
    /// Replaces a session id with a new one (same user and CSRF token, the user's new auth version).
    async fn rotate_session(&self, old_id_hash: &str, new: &NewSession) -> Result<()>;
    async fn delete_session(&self, id_hash: &str, audit: Option<AuditDraft>) -> Result<()>;
    async fn purge_sessions(&self, now: i64, idle_cutoff: i64) -> Result<u64>;

    async fn create_token(&self, t: &NewToken, audit: AuditDraft) -> Result<ApiToken>;
    async fn list_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>>;
    async fn revoke_token(&self, user_id: i64, id: i64, now: i64, audit: AuditDraft) -> Result<()>;
    /// The unrevoked token with this hash, its owner, the owner's roles everywhere, and the
    /// register's version, all read in one statement. The owner may have been made inactive
    /// since: callers check `active`.
    async fn find_token(&self, token_hash: &str) -> Result<Option<TokenOwner>>;
    async fn touch_token(&self, id: i64, now: i64) -> Result<()>;
}

/// Data feeds with their items, and mitigations of unsupported systems.
#[async_trait]
pub trait EstateStore: Send + Sync {
    /// Every feed's latest import, by name.
    async fn feeds(&self) -> Result<Vec<FeedRecord>>;
    async fn feed(&self, name: &str) -> Result<Option<FeedRecord>>;
    /// Replaces a feed's items (key, JSON body) in one transaction with the feed's record and
    /// the audit entry; `false`, and nothing written, when the feed already holds data with the
    /// same digest.
    async fn replace_feed(
        &self,
        feed: &FeedRecord,
        items: &[(String, String)],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<bool>;
    /// Adds or replaces these items (key, JSON body) of a feed, keeping the others, in one
    /// transaction with the feed's record and the audit entry; returns how many were new or
    /// different (0, with nothing written, when the feed held them all already).
    async fn merge_feed(
        &self,
        name: &str,
        items: &[(String, String)],
        batch_digest: &str,
        data_time: Option<i64>,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<usize>;
    /// A feed's items' JSON bodies, by key.
    async fn feed_items(&self, feed: &str) -> Result<Vec<String>>;
    /// Records (or replaces) the mitigation of one system of the organisation.
    async fn save_mitigation(
        &self,
        org_id: OrgId,
        mitigation: &palisade_domain::eol::Mitigation,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<StoredMitigation>;
    /// Withdraws a mitigation; `false` when the organisation has none with this id.
    async fn delete_mitigation(&self, org_id: OrgId, id: i64, audit: AuditDraft) -> Result<bool>;
    /// The organisation's mitigations, by system.
    async fn mitigations(&self, org_id: OrgId) -> Result<Vec<StoredMitigation>>;
    /// These organisations' mitigations, each organisation's by system (those with none left
    /// out).
    async fn mitigations_of(
        &self,
        org_ids: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, Vec<StoredMitigation>>>;
    /// Every extended-support agreement, with its organisation.
    async fn extended_support(&self) -> Result<Vec<(OrgId, StoredMitigation)>>;
    /// Records (or replaces) one day's national count of unsupported systems.
    async fn record_estate_day(&self, day: &EstateDay) -> Result<()>;
    /// The latest `limit` days recorded, oldest first.
    async fn estate_days(&self, limit: i64) -> Result<Vec<EstateDay>>;
}

#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Replaces the organisation's inventory with `components` in one transaction and records
    /// the upload with what appeared and disappeared; on any failure the previous inventory stays.
    async fn replace_inventory(
        &self,
        org_id: OrgId,
        format: palisade_domain::inventory::InventoryFormat,
        components: &[palisade_domain::inventory::Component],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<InventoryUpload>;
    /// The organisation's current components, in upload order.
    async fn list_components(
        &self,
        org_id: OrgId,
        page: PageRequest,
    ) -> Result<Page<StoredComponent>>;
    /// Hands each of the organisation's current components to `each`, in file order, a chunk
    /// at a time from one statement (so one upload's inventory, never a mix of two): the whole
    /// inventory is never held. Says which upload left them and how many there were.
    async fn each_component(
        &self,
        org_id: OrgId,
        each: &mut (dyn FnMut(palisade_domain::inventory::Component) + Send),
    ) -> Result<SnapshotRead>;
    /// The upload each of these organisations' current inventory comes from (those with one).
    async fn snapshot_uploads(
        &self,
        org_ids: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, i64>>;
    /// These organisations' current inventories (those with one): each with the upload that
    /// left it and its components, whole.
    async fn snapshots_of(
        &self,
        org_ids: &[OrgId],
    ) -> Result<Vec<(OrgId, i64, Vec<palisade_domain::inventory::Component>)>>;
    /// Up to `orgs` organisations' current inventories after `after_org` (by id): each with the
    /// upload that left it and its components, whole.
    async fn snapshot_batch(
        &self,
        after_org: OrgId,
        orgs: i64,
    ) -> Result<Vec<(OrgId, i64, Vec<palisade_domain::inventory::Component>)>>;
    /// The newest upload's id (0 before any).
    async fn last_upload_id(&self) -> Result<i64>;
    /// The organisation and time of an upload, to recognise it again.
    async fn upload_stamp(&self, id: i64) -> Result<Option<(OrgId, i64)>>;
    /// Uploads after `after_id` (id, organisation), oldest first. Upload ids are taken under the
    /// write lock, so they are committed in order on both engines.
    async fn uploads_after(&self, after_id: i64) -> Result<Vec<(i64, OrgId)>>;
    /// Everything one upload added and removed.
    async fn all_changes(&self, upload_id: i64) -> Result<Vec<InventoryChange>>;
    /// The organisation's uploads, newest first.
    async fn list_uploads(&self, org_id: OrgId, page: PageRequest)
    -> Result<Page<InventoryUpload>>;
    /// What one of the organisation's uploads added and removed; `None` when the upload is not
    /// the organisation's.
    async fn upload_changes(
        &self,
        org_id: OrgId,
        upload_id: i64,
        page: PageRequest,
    ) -> Result<Option<Page<InventoryChange>>>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, draft: AuditDraft) -> Result<i64>;
    async fn list_audit(
        &self,
        scope: &Scope,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>>;
    /// Entries with `seq > after`, oldest first, at most `limit`.
    async fn audit_batch(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>>;
    async fn audit_head(&self) -> Result<(i64, String)>;
}

#[async_trait]
pub trait AssessmentStore: Send + Sync {
    /// Stores a framework version; importing the same content again changes nothing and returns
    /// `false`.
    async fn import_framework(
        &self,
        new: &NewFramework,
        audit: AuditDraft,
    ) -> Result<(FrameworkRecord, bool)>;
    async fn list_frameworks(&self) -> Result<Vec<FrameworkRecord>>;
    /// A framework and its canonical document.
    async fn framework_document(&self, id: i64) -> Result<Option<(FrameworkRecord, String)>>;
    /// The newest framework imported for this year and category.
    async fn current_framework(
        &self,
        year: i32,
        category: Category,
    ) -> Result<Option<FrameworkRecord>>;

    async fn get_assessment(&self, org_id: OrgId, year: i32) -> Result<Option<AssessmentRecord>>;
    /// The assessment for `org_id` and `year`, if there is one, with the answers `refs` name,
    /// in one statement: what a save of those answers reads first ([`Self::save_answers`]).
    async fn read_for_save(
        &self,
        org_id: OrgId,
        year: i32,
        refs: &[&str],
    ) -> Result<Option<AnswersRead>>;
    /// What is recorded under an assessment: its answers, certificates, documents (not those
    /// removed) and publications (newest first), read in one statement.
    async fn assessment_parts(&self, assessment_id: i64) -> Result<AssessmentParts>;
    /// The assessment for `org_id` and `year`, if there is one, with its parts, in one
    /// statement: [`Self::get_assessment`] and [`Self::assessment_parts`] together, for a view.
    async fn assessment_with_parts(
        &self,
        org_id: OrgId,
        year: i32,
    ) -> Result<Option<(AssessmentRecord, AssessmentParts)>>;
    /// One document of an assessment (not one that was removed).
    async fn evidence_item(&self, assessment_id: i64, id: i64) -> Result<Option<EvidenceRecord>>;
    /// Records an uploaded document (creating the assessment if needed).
    async fn add_evidence(
        &self,
        key: AssessmentKey,
        evidence: &NewEvidence,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<(AssessmentRecord, EvidenceRecord)>;
    /// Takes a document off the assessment (its row stays, marked removed).
    async fn remove_evidence(
        &self,
        key: AssessmentKey,
        id: i64,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<AssessmentRecord>;
    /// Writes many answers at once (creating the assessment if needed). A reference named twice
    /// is refused ([`StoreError::Invalid`]). The answers are read before the writer is taken
    /// (`read`, when the caller read them with [`Self::read_for_save`] and that read covers
    /// every change; otherwise here) and written only if the assessment has not changed since;
    /// otherwise the save is done again with its read under the writer. Answers whose
    /// `expected_version` is stale are refused ([`StoreError::Stale`], naming each), and
    /// nothing is written. Returns the assessment and the references that actually changed.
    async fn save_answers(
        &self,
        key: AssessmentKey,
        changes: &[AnswerChange],
        read: Option<AnswersRead>,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<(AssessmentRecord, Vec<String>)>;
    /// Writes many new assessments in one transaction: each assessment row, its answers, its
    /// publication and its audit entries. Organisations that already have an assessment that
    /// year are skipped (and none of their entries written). Returns how many were written.
    async fn seed_assessments(&self, batch: &[SeededAssessment], stamp: Stamp) -> Result<usize>;
    /// Replaces the assessment's certificates.
    async fn set_certificates(
        &self,
        key: AssessmentKey,
        certificates: &[NewCertificate],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<AssessmentRecord>;
    /// Locks the assessment and records a publication of `status`, provided nothing changed since
    /// `expected_revision` was read (the status was decided from that revision).
    async fn publish(
        &self,
        key: AssessmentKey,
        expected_revision: i64,
        status: Status,
        late: bool,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<AssessmentRecord>;
    /// Unlocks a submitted assessment for changes; its published status stands until republished.
    async fn reopen(
        &self,
        assessment_id: i64,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<AssessmentRecord>;

    /// Active organisations counted by type, category, region and current status for a year,
    /// read from the counts each change keeps (`figures`), not by counting organisations.
    async fn status_counts(&self, year: i32) -> Result<Vec<StatusCount>>;
    /// A number that moves on with every change to what the national figures rest on (the
    /// counts, a framework's deadline): figures worked out at one version stand until it moves.
    async fn figures_version(&self) -> Result<i64>;
    /// Organisations in scope with their current status for a year, by code; every match when
    /// `page` is `None` (exports).
    async fn list_statuses(
        &self,
        scope: &Scope,
        year: i32,
        filter: &StatusFilter,
        page: Option<PageRequest>,
    ) -> Result<Page<PublicStatus>>;
    /// The next `limit` of those statuses after the organisation code `after` (from the first
    /// with none): an export reads every match a chunk at a time.
    async fn statuses_after(
        &self,
        scope: &Scope,
        year: i32,
        filter: &StatusFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PublicStatus>>;
}

#[async_trait]
pub trait AdminStore: Send + Sync {
    fn engine(&self) -> Engine;
    async fn ping(&self) -> Result<()>;
    /// Closes every connection and waits for them to go. On SQLite the last one copies the
    /// write-ahead log back into the database file and removes it. Calls after it fail.
    async fn close(&self);
    /// A consistent online copy of an SQLite database to `path` (SQLite only).
    async fn backup_to(&self, path: &std::path::Path) -> Result<()>;
}

/// Improvement plans: their actions, SIRO sign-off and national review.
#[async_trait]
pub trait PlanStore: Send + Sync {
    async fn plan(&self, assessment_id: i64) -> Result<Option<PlanRecord>>;
    async fn plan_actions(&self, plan_id: i64) -> Result<Vec<PlanActionRecord>>;
    /// Replaces the plan's actions (creating the plan, as a draft, if needed), provided the plan
    /// is still at `expected_revision` (0 for a plan not yet started) and may change.
    async fn save_plan(
        &self,
        assessment_id: i64,
        expected_revision: i64,
        actions: &[PlanActionRecord],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<PlanRecord>;
    /// Marks actions done (with the day) or not done, at any state of the plan.
    async fn mark_actions(
        &self,
        plan_id: i64,
        done: &[(String, Option<String>)],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<PlanRecord>;
    /// Records the SIRO's sign-off of a draft or returned plan at `expected_revision`.
    async fn sign_off_plan(
        &self,
        plan_id: i64,
        expected_revision: i64,
        siro_name: &str,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<PlanRecord>;
    /// The national team's decision on a signed-off plan. With `agree`, the assessment's
    /// published Standards Not Met becomes Plan Agreed, as a new publication.
    async fn review_plan(
        &self,
        plan_id: i64,
        expected_revision: i64,
        decision: &PlanDecision,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<PlanRecord>;
    /// Plans of the organisations in `scope`, newest change first, with their actions counted
    /// and those overdue on `today` (`YYYY-MM-DD`).
    async fn list_plans(
        &self,
        scope: &Scope,
        filter: &PlanFilter,
        today: &str,
        page: PageRequest,
    ) -> Result<Page<PlanSummary>>;
}

/// Independent audits of submitted assessments.
#[async_trait]
pub trait IndependentAuditStore: Send + Sync {
    async fn independent_audit(&self, assessment_id: i64)
    -> Result<Option<IndependentAuditRecord>>;
    async fn audit_findings(&self, audit_id: i64) -> Result<Vec<AuditFindingRecord>>;
    /// Replaces the report (creating it if needed) provided it is still at `expected_revision`
    /// (0 for a new one) and not yet issued; with `issue`, it is issued and fixed.
    async fn save_independent_audit(
        &self,
        assessment_id: i64,
        expected_revision: i64,
        report: &AuditReport,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<IndependentAuditRecord>;
}

/// Cyber alerts, the responses of the organisations in their scope, and the outbox.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Stores a new alert numbered after the last one (`{prefix}-{seq}`, from `first_seq` for the
    /// very first), as version 1; published at once when `save.publish`. The audit entries get
    /// the new reference as their entity id.
    async fn create_alert(
        &self,
        prefix: &str,
        first_seq: i64,
        save: &AlertSave,
        stamp: Stamp,
        audit: Vec<AuditDraft>,
    ) -> Result<AlertRecord>;
    /// Writes a new version, provided the alert is still at `expected_version`; publishing
    /// creates the responses of organisations newly in scope and queues the notice.
    async fn save_alert(
        &self,
        alert_id: i64,
        expected_version: i64,
        save: &AlertSave,
        stamp: Stamp,
        audit: Vec<AuditDraft>,
    ) -> Result<AlertRecord>;
    async fn find_alert(&self, reference: &str) -> Result<Option<AlertRecord>>;
    /// Every alert's reference and title, newest first, for search (titles are matched in
    /// Rust, folded alike for both engines), each saying whether it names `cve`.
    async fn alert_titles(&self, cve: Option<&str>) -> Result<Vec<AlertTitle>>;
    async fn list_alerts(
        &self,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> Result<Page<AlertListItem>>;
    /// Every version, newest first.
    async fn alert_versions(&self, alert_id: i64) -> Result<Vec<AlertVersionRecord>>;
    async fn response(&self, alert_id: i64, org_id: OrgId) -> Result<Option<ResponseRecord>>;
    /// Responses of organisations in `scope`, by code; all matches when `page` is `None`.
    async fn responses(
        &self,
        alert_id: i64,
        scope: &Scope,
        filter: &ResponseFilter,
        page: Option<PageRequest>,
    ) -> Result<Page<ResponseRecord>>;
    /// The next `limit` of those responses after the organisation code `after` (from the first
    /// with none): an export reads every match a chunk at a time.
    async fn responses_after(
        &self,
        alert_id: i64,
        scope: &Scope,
        filter: &ResponseFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ResponseRecord>>;
    /// Every response counted by status and organisation type, late ones as of `now`.
    async fn response_counts(&self, alert_id: i64, now: i64) -> Result<Vec<ResponseCount>>;
    async fn response_actions(
        &self,
        alert_id: i64,
        org_id: OrgId,
    ) -> Result<Vec<ResponseActionRecord>>;
    /// Writes steps for one or several organisations in one transaction: if any response moved
    /// on since its step was decided, none is written.
    async fn record_responses(
        &self,
        alert_id: i64,
        writes: &[ResponseWrite],
        stamp: Stamp,
        audit: Vec<AuditDraft>,
    ) -> Result<()>;
    /// Responses past their due time and not yet escalated, the longest overdue first.
    async fn late_unescalated(&self, now: i64, limit: i64) -> Result<Vec<LateResponse>>;
    /// Marks each late response escalated and queues its notice to its organisation's SIRO,
    /// with its audit entry (which records how many messages went), all in one transaction; a
    /// response answered or escalated since it was read is skipped. Returns how many were
    /// escalated.
    async fn escalate(&self, batch: &[Escalation], now: i64) -> Result<usize>;
    /// The national chase list: escalated responses still late at `now`, of one alert or all.
    async fn chase_list(
        &self,
        alert_id: Option<i64>,
        now: i64,
        page: PageRequest,
    ) -> Result<Page<LateResponse>>;
    /// Queues `notice` to the `recipients` of an alert with the audit entry (which gets the
    /// number of messages); when the recipients are those late, their responses are marked
    /// chased. Returns the number of messages queued.
    async fn notify(
        &self,
        alert_id: i64,
        notice: &Notice,
        recipients: &Recipients,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<u64>;
    /// Outbox messages, oldest first (only those still to send with `pending_only`).
    async fn outbox(&self, pending_only: bool, limit: i64) -> Result<Vec<OutboxMessage>>;
}

/// The outbox as a delivery worker sees it.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` messages on `channels` that are due at `now` and not claimed by
    /// another worker, until `lease_until`: each channel's oldest due, the channels sharing the
    /// batch (one with less due leaves the rest to the others), in turn, in the order to send.
    async fn claim_outbox(
        &self,
        channels: &[&str],
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>>;
    async fn outbox_sent(&self, id: i64, at: i64, provider_ref: Option<&str>) -> Result<()>;
    /// A failed attempt: tried again from `retry_at`, or given up for good with `None`.
    async fn outbox_failed(
        &self,
        id: i64,
        at: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()>;
    async fn outbox_summary(&self) -> Result<OutboxSummary>;
}

/// What each person's worklist rests on (see `worklist.rs`).
#[async_trait]
pub trait WorklistStore: Send + Sync {
    /// The active organisations in scope (those granted and everything beneath them), by code,
    /// at most `limit`; none for [`Scope::All`]: a worklist is never the whole register.
    async fn acting_orgs(&self, scope: &Scope, limit: i64) -> Result<Vec<Organisation>>;
    /// For these organisations: their responses to published alerts, `year`'s assessments,
    /// open plan actions due on or before `horizon`
    /// (`YYYY-MM-DD`), and open playbook tasks of incidents not closed.
    async fn worklist_facts(
        &self,
        org_ids: &[OrgId],
        year: i32,
        horizon: &str,
    ) -> Result<WorklistFacts>;
    /// What the evaluation of each of these assessments needs: answers, documents, certificates.
    async fn assessment_facts(
        &self,
        assessments: Vec<AssessmentRecord>,
    ) -> Result<Vec<AssessmentFacts>>;
}

/// What has been published, for the public feeds.
#[async_trait]
pub trait PublishedStore: Send + Sync {
    async fn published_versions(&self, q: &PublishedQuery) -> Result<Vec<PublishedVersion>>;
    /// Each year with published alerts (by first publication, UTC), oldest first, and how many.
    async fn published_years(&self) -> Result<Vec<(i32, i64)>>;
    /// How many versions have been published and when the newest was: published versions are
    /// never changed, so this changes exactly when there is something new.
    async fn published_stamp(&self) -> Result<(i64, Option<i64>)>;
}

pub trait Store:
    OrgStore
    + PeopleStore
    + SessionStore
    + AuditStore
    + AssessmentStore
    + PlanStore
    + IndependentAuditStore
    + AlertStore
    + InventoryStore
    + EstateStore
    + OutboxStore
    + PublishedStore
    + IncidentStore
    + IndicatorStore
    + PlaybookStore
    + CharterStore
    + SupplierStore
    + SupplierNoticeStore
    + SupplierSbomStore
    + WorklistStore
    + JobStore
    + ReminderStore
    + DigestStore
    + IdentityStore
    + PostureStore
    + AdminStore
{
}
impl<
    T: OrgStore
        + PeopleStore
        + SessionStore
        + AuditStore
        + AssessmentStore
        + PlanStore
        + IndependentAuditStore
        + AlertStore
        + InventoryStore
        + EstateStore
        + OutboxStore
        + PublishedStore
        + IncidentStore
        + IndicatorStore
        + PlaybookStore
        + CharterStore
        + SupplierStore
        + SupplierNoticeStore
        + SupplierSbomStore
        + WorklistStore
        + JobStore
        + ReminderStore
        + DigestStore
        + IdentityStore
        + PostureStore
        + AdminStore,
> Store for T
{
}
