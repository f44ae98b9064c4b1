//! Palisade's use-cases. Every operation takes the acting [`Actor`], asks the policy in
//! `palisade_domain::policy` whether it may proceed, and hands the change to the store together
//! with its audit entry, so the change and its record commit or fail together.

pub mod alerts;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod charter;
pub mod csaf_import;
pub mod delivery;
pub mod demo;
pub mod digests;
mod error;
pub mod estate;
pub mod evidence;
pub mod exports;
pub mod exposure;
mod exposure_snapshot;
pub mod feed_refresh;
pub mod import;
pub mod incidents;
pub mod independent_audit;
pub mod inventory;
pub mod jobs;
mod known_exploited;
mod org_exposure;
pub mod orgs;
pub mod people;
pub mod plans;
pub mod posture;
pub mod publications;
pub mod reminders;
pub mod report;
pub mod search;
pub mod sso;
pub mod supplier_exposure;
pub mod supplier_notices;
pub mod suppliers;
pub mod worklist;

pub use error::AppError;

use palisade_domain::audit::AuditDraft;
use palisade_domain::clock::Clock;
use palisade_domain::people::Role;
use palisade_domain::policy::{Grant, Principal};
use palisade_store::Store;
use std::sync::Arc;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Settings for sign-in and sessions.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session ends after this long without a request, to within a minute: the time of the
    /// last request is written at most once a minute, so busy pages do not write on every hit.
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in, however active.
    pub session_absolute_secs: i64,
    /// Failed sign-ins in a row before the account is locked.
    pub lockout_threshold: i64,
    pub lockout_secs: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            lockout_threshold: 5,
            lockout_secs: 15 * 60,
        }
    }
}

/// The application: the store, the clock and settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// Private: every read and write goes through a use-case that checks the actor.
    store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub auth: AuthSettings,
    pub frameworks: Arc<assessments::FrameworkCache>,
    /// Where evidence documents are stored; uploads are refused until one is configured.
    pub objects: Option<Arc<evidence::Objects>>,
    /// Where the feeds job reads the feeds; without one it does nothing.
    pub(crate) feed_source: Option<Arc<dyn feed_refresh::FeedSource>>,
    pub alerts: alerts::AlertSettings,
    pub inventory: inventory::InventorySettings,
    /// How often each background job runs.
    pub jobs: jobs::JobSettings,
    /// When reminders go before deadlines.
    pub reminders: reminders::ReminderSettings,
    /// The rules that turn an incident's grade into duties and deadlines.
    pub incident_rules: Arc<palisade_domain::incident::GradingRules>,
    /// The TAXII collection's objects, rebuilt when something new is published.
    pub(crate) stix: Arc<std::sync::Mutex<Option<Arc<publications::stix::CachedCatalog>>>>,
    /// The feeds' items as last read (product lifecycles, known exploited vulnerabilities).
    pub(crate) feeds_cache: Arc<estate::FeedsCache>,
    /// Every organisation's components by identity and version, for exposure questions.
    pub(crate) estate_index: Arc<exposure::EstateIndex>,
    /// What each assessment still needs for Standards Met, for worklists.
    pub(crate) needed_cache: Arc<worklist::NeededCache>,
    /// Each organisation's unsupported systems as last counted, for worklists.
    pub(crate) unmitigated_cache: Arc<estate::UnmitigatedCache>,
    /// The national posture as last worked out.
    pub(crate) posture_cache: Arc<posture::PostureCache>,
    pub(crate) report_cache: Arc<report::ReportCache>,
    /// Organisations and their chains by the register's version, for [`App::org_for`].
    pub(crate) org_cache: Arc<orgs::OrgCache>,
    /// The identity providers people may sign in with, and where passwords are switched off.
    pub(crate) sso: Arc<sso::SsoSettings>,
}

/// Who is acting: a signed-in person, an API token's owner, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// As written in the audit log: the person's email, or `cli`.
    pub label: String,
    pub principal: Principal,
    /// The version of the register of organisations as the actor's credentials were read, in
    /// the same statement: organisations held at that version are taken as they stand, without
    /// reading them again ([`orgs::OrgCache`]). `None` for an actor not made from a token or
    /// a session (the command line, the worker, the demo, sign-in), which reads them every time.
    pub register_version: Option<i64>,
}

impl Actor {
    /// The operator at the command line, who holds the machine and so acts as national admin.
    pub fn cli() -> Self {
        Self {
            user_id: None,
            label: "cli".into(),
            register_version: None,
            principal: Principal {
                user_id: 0,
                grants: vec![Grant {
                    role: Role::NationalAdmin,
                    org_id: None,
                }],
            },
        }
    }
}

impl Actor {
    /// The background worker (escalations): acts on its own rules, never on a person's grants.
    pub fn system() -> Self {
        Self {
            user_id: None,
            label: "system".into(),
            register_version: None,
            principal: Principal {
                user_id: 0,
                grants: Vec::new(),
            },
        }
    }

    /// Refuses with [`AppError::Forbidden`] unless the actor may do a national-level action.
    pub fn require(&self, action: palisade_domain::policy::GlobalAction) -> Result<()> {
        if self.principal.may_global(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, auth: AuthSettings) -> Self {
        Self {
            store,
            clock,
            auth,
            frameworks: Arc::default(),
            objects: None,
            feed_source: None,
            alerts: alerts::AlertSettings::default(),
            inventory: inventory::InventorySettings::default(),
            jobs: jobs::JobSettings::default(),
            reminders: reminders::ReminderSettings::default(),
            incident_rules: Arc::default(),
            stix: Arc::default(),
            feeds_cache: Arc::default(),
            estate_index: Arc::default(),
            needed_cache: Arc::default(),
            unmitigated_cache: Arc::default(),
            posture_cache: Arc::default(),
            report_cache: Arc::default(),
            org_cache: Arc::default(),
            sso: Arc::default(),
        }
    }

    /// Stores evidence documents in `objects`.
    pub fn with_objects(mut self, objects: evidence::Objects) -> Self {
        self.objects = Some(Arc::new(objects));
        self
    }

    pub fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Whether the database answers: for the health and readiness probes.
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// Closes the store's connections, for a process about to exit: what it wrote is then in
    /// the database file alone. Nothing may use the store after it.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// An audit entry for `actor` doing `action` now.
    pub(crate) fn draft(
        &self,
        actor: &Actor,
        action: &str,
        entity_type: &str,
        entity_id: impl Into<String>,
        org_id: Option<i64>,
        summary: serde_json::Value,
    ) -> AuditDraft {
        AuditDraft {
            at: self.now(),
            actor_user_id: actor.user_id,
            actor: actor.label.clone(),
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id: entity_id.into(),
            org_id,
            summary,
        }
    }
}
