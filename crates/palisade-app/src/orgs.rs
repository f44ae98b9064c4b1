//! Organisations and their contacts.

use crate::{Actor, App, AppError, Result};
use palisade_domain::org::{OrgCode, OrgInput};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::people::{AlertChannels, ContactFields, ContactInput, ContactRole};
use palisade_domain::policy::{GlobalAction, OrgAction, OrgId};
use palisade_store::{Contact, OrgFilter, Organisation};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// An organisation the actor may see, with its ancestry for further policy questions.
#[derive(Debug, Clone)]
pub struct OrgView {
    pub org: Organisation,
    pub ancestry: Vec<OrgId>,
}

/// How many organisations an [`OrgCache`] holds before it starts again: the whole register
/// (about 56,000) with room to spare, at a few hundred bytes each.
const ORG_CACHE_LIMIT: usize = 100_000;

/// Organisations and their chains by code, each as read at a version of the register
/// ([`palisade_store::FoundOrg`]). Nearly every request about an organisation starts by
/// reading it and its chain, to check the actor's grants against them. Every change to an
/// organisation moves the register's version on in the change's own transaction, and each
/// request reads the version in the statement that checks its credentials
/// ([`Actor::register_version`]); a request that saw the version an entry was read at takes
/// the entry as it stands. One that saw another version reads the organisation again.
pub(crate) struct OrgCache {
    held: Mutex<HashMap<String, (i64, OrgView)>>,
    limit: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for OrgCache {
    fn default() -> Self {
        Self::holding(ORG_CACHE_LIMIT)
    }
}

impl OrgCache {
    /// An empty cache that holds at most `limit` organisations.
    fn holding(limit: usize) -> Self {
        Self {
            held: Mutex::default(),
            limit,
            hits: AtomicU64::default(),
            misses: AtomicU64::default(),
        }
    }

    /// The organisation `code` as read at `version`, if held; counted as a hit or a miss (an
    /// actor with no version always misses).
    fn get(&self, code: &str, version: Option<i64>) -> Option<OrgView> {
        let found = version.and_then(|version| {
            let held = self.held.lock().ok()?;
            held.get(code)
                .filter(|(at, _)| *at == version)
                .map(|(_, view)| view.clone())
        });
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `view`, read at `version`, in place of whatever was held for `code`: a read just
    /// made is never wrong, whereas a version held may belong to a history the database has
    /// since gone back on (a restore). Two reads racing cost a hit at worst, never a wrong one.
    fn put(&self, code: &str, version: i64, view: &OrgView) {
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        if held.len() >= self.limit && !held.contains_key(code) {
            held.clear();
        }
        held.insert(code.to_string(), (version, view.clone()));
    }

    /// How many look-ups it answered, and how many it sent to the database.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

/// A partial change as typed: absent fields stay as they are; `parent_code: Some(None)` (or an
/// empty code) removes the parent.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub org_type: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub parent_code: Option<Option<String>>,
    pub active: Option<bool>,
}

fn org_json(o: &Organisation) -> serde_json::Value {
    serde_json::json!({
        "code": o.code, "name": o.name, "type": o.org_type.as_str(), "category": o.category.number(),
        "region": o.region, "parent_code": o.parent_code, "active": o.active,
    })
}

// Personal details are summarised, not copied, into the permanent log.
fn contact_json(c: &Contact) -> serde_json::Value {
    contact_summary(&c.name, c.role, c.mobile.is_some(), c.alert_channels)
}

fn fields_json(f: &ContactFields) -> serde_json::Value {
    contact_summary(&f.name, f.role, f.mobile.is_some(), f.alert_channels)
}

fn contact_summary(
    name: &str,
    role: ContactRole,
    has_mobile: bool,
    channels: AlertChannels,
) -> serde_json::Value {
    serde_json::json!({"name": name, "role": role.as_str(), "has_mobile": has_mobile, "alert_channels": channels.as_str()})
}

impl App {
    /// Finds an organisation the actor may `action`. An organisation they may not even see is
    /// reported as not found, so codes cannot be probed.
    pub async fn org_for(&self, actor: &Actor, code: &str, action: OrgAction) -> Result<OrgView> {
        let code = OrgCode::parse("code", code).map_err(|_| AppError::NotFound)?;
        let view = self
            .org_as_seen_by(actor, &code)
            .await?
            .ok_or(AppError::NotFound)?;
        if !actor.principal.may(OrgAction::View, &view.ancestry) {
            return Err(AppError::NotFound);
        }
        if !actor.principal.may(action, &view.ancestry) {
            return Err(AppError::Forbidden);
        }
        Ok(view)
    }

    /// The organisation `code` and its chain as they stood when the actor's credentials were
    /// read: from [`OrgCache`] when it holds them at that version of the register, otherwise
    /// from the database (and kept for the next request). Checks nothing about the actor.
    async fn org_as_seen_by(&self, actor: &Actor, code: &OrgCode) -> Result<Option<OrgView>> {
        let cache = &self.org_cache;
        if let Some(view) = cache.get(code.as_str(), actor.register_version) {
            return Ok(Some(view));
        }
        let Some(found) = self.store.find_org_as_of(code).await? else {
            return Ok(None);
        };
        let view = OrgView {
            org: found.org,
            ancestry: found.ancestry,
        };
        cache.put(code.as_str(), found.register_version, &view);
        Ok(Some(view))
    }

    /// How many organisations [`App::org_for`] took from its cache, and how many it read.
    pub fn org_cache_counts(&self) -> (u64, u64) {
        self.org_cache.counts()
    }

    pub async fn list_orgs(
        &self,
        actor: &Actor,
        filter: &OrgFilter,
        page: PageRequest,
    ) -> Result<Page<Organisation>> {
        let scope = actor.principal.scope(OrgAction::View);
        Ok(self.store.list_orgs(&scope, filter, page).await?)
    }

    pub async fn regions(&self, actor: &Actor) -> Result<Vec<String>> {
        Ok(self
            .store
            .regions(&actor.principal.scope(OrgAction::View))
            .await?)
    }

    pub async fn org_counts(&self, actor: &Actor) -> Result<Vec<(String, i64)>> {
        Ok(self
            .store
            .count_orgs(&actor.principal.scope(OrgAction::View))
            .await?)
    }

    /// The children of an organisation the actor may see.
    pub async fn children(&self, view: &OrgView) -> Result<Vec<Organisation>> {
        Ok(self.store.children_of(view.org.id).await?)
    }

    pub async fn create_org(&self, actor: &Actor, input: &OrgInput) -> Result<Organisation> {
        actor.require(GlobalAction::CreateOrganisation)?;
        let fields = input.validate("")?;
        let audit = self.draft(
            actor,
            "organisation.create",
            "organisation",
            fields.code.as_str(),
            None,
            serde_json::json!({}),
        );
        let org = self.store.create_org(&fields, audit).await?;
        tracing::info!(code = %org.code, "organisation created");
        Ok(org)
    }

    pub async fn update_org(
        &self,
        actor: &Actor,
        code: &str,
        patch: &OrgPatch,
    ) -> Result<Organisation> {
        let view = self.org_for(actor, code, OrgAction::Edit).await?;
        let o = &view.org;
        let category = patch
            .category
            .clone()
            .unwrap_or_else(|| o.category.number().to_string());
        let input = OrgInput {
            code: o.code.clone(),
            name: patch.name.clone().unwrap_or_else(|| o.name.clone()),
            org_type: patch
                .org_type
                .clone()
                .unwrap_or_else(|| o.org_type.as_str().to_string()),
            category,
            region: patch.region.clone().unwrap_or_else(|| o.region.clone()),
            parent_code: match &patch.parent_code {
                None => o.parent_code.clone().unwrap_or_default(),
                Some(p) => p.clone().unwrap_or_default(),
            },
        };
        let fields = input.validate("")?;
        let active = patch.active.unwrap_or(o.active);
        let before = org_json(o);
        let mut audit = self.draft(
            actor,
            "organisation.update",
            "organisation",
            o.code.clone(),
            Some(o.id),
            serde_json::json!({}),
        );
        let updated_preview = Organisation {
            name: fields.name.clone(),
            org_type: fields.org_type,
            category: fields.category,
            region: fields.region.clone(),
            parent_code: fields.parent_code.as_ref().map(|c| c.to_string()),
            active,
            ..o.clone()
        };
        audit.summary = serde_json::json!({"before": before, "after": org_json(&updated_preview)});
        if active != o.active {
            audit.action = if active {
                "organisation.reactivate"
            } else {
                "organisation.deactivate"
            }
            .into();
        }
        Ok(self.store.update_org(o.id, &fields, active, audit).await?)
    }

    pub async fn list_contacts(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<(OrgView, Vec<Contact>)> {
        let view = self.org_for(actor, code, OrgAction::ViewContacts).await?;
        let contacts = self.store.list_contacts(view.org.id).await?;
        Ok((view, contacts))
    }

    pub async fn get_contact(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
    ) -> Result<(OrgView, Contact)> {
        let view = self.org_for(actor, code, OrgAction::ViewContacts).await?;
        let c = self
            .store
            .get_contact(view.org.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((view, c))
    }

    pub async fn create_contact(
        &self,
        actor: &Actor,
        code: &str,
        input: &ContactInput,
    ) -> Result<Contact> {
        let view = self.org_for(actor, code, OrgAction::ManageContacts).await?;
        let fields = input.validate()?;
        let audit = self.contact_created(actor, view.org.id, &fields);
        Ok(self
            .store
            .create_contact(view.org.id, &fields, audit)
            .await?)
    }

    pub async fn update_contact(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
        input: &ContactInput,
    ) -> Result<Contact> {
        let view = self.org_for(actor, code, OrgAction::ManageContacts).await?;
        let before = self
            .store
            .get_contact(view.org.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let fields = input.validate()?;
        let audit = self.draft(
            actor,
            "contact.update",
            "contact",
            id.to_string(),
            Some(view.org.id),
            serde_json::json!({
                "before": contact_json(&before),
                "after": fields_json(&fields),
                "email_changed": before.email != fields.email.as_str(),
                "mobile_changed": before.mobile.as_deref() != fields.mobile.as_ref().map(|m| m.as_str()),
            }),
        );
        Ok(self
            .store
            .update_contact(view.org.id, id, &fields, audit)
            .await?)
    }

    /// The audit entry for a new contact of the organisation `org_id`.
    pub(crate) fn contact_created(
        &self,
        actor: &Actor,
        org_id: OrgId,
        fields: &ContactFields,
    ) -> palisade_domain::audit::AuditDraft {
        self.draft(
            actor,
            "contact.create",
            "contact",
            "",
            Some(org_id),
            fields_json(fields),
        )
    }

    pub async fn delete_contact(&self, actor: &Actor, code: &str, id: i64) -> Result<()> {
        let view = self.org_for(actor, code, OrgAction::ManageContacts).await?;
        let before = self
            .store
            .get_contact(view.org.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let audit = self.draft(
            actor,
            "contact.delete",
            "contact",
            id.to_string(),
            Some(view.org.id),
            serde_json::json!({"before": contact_json(&before)}),
        );
        Ok(self.store.delete_contact(view.org.id, id, audit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_domain::org::OrgType;

    fn view(code: &str, name: &str) -> OrgView {
        OrgView {
            org: Organisation {
                id: 1,
                code: code.into(),
                name: name.into(),
                org_type: OrgType::GpPractice,
                category: OrgType::GpPractice.default_category(),
                region: "London".into(),
                parent_id: None,
                parent_code: None,
                active: true,
                created_at: 0,
                updated_at: 0,
            },
            ancestry: vec![1],
        }
    }

    /// An entry answers only a request that saw the version it was read at; anything else,
    /// and an actor with no version, misses and is counted so.
    #[test]
    fn an_entry_answers_only_its_own_version() {
        let cache = OrgCache::default();
        cache.put("A81001", 7, &view("A81001", "Practice"));
        assert_eq!(cache.get("A81001", Some(7)).unwrap().org.name, "Practice");
        assert!(cache.get("A81001", Some(8)).is_none(), "a later version");
        assert!(cache.get("A81001", Some(6)).is_none(), "an earlier version");
        assert!(cache.get("A81001", None).is_none(), "no version");
        assert!(cache.get("B82001", Some(7)).is_none(), "another code");
        assert_eq!(cache.counts(), (1, 4));
    }

    /// A fresh read replaces what was held, even at a lower version (a database put back to an
    /// earlier point): the entry from the lost history answers nobody afterwards.
    #[test]
    fn a_fresh_read_replaces_what_was_held() {
        let cache = OrgCache::default();
        cache.put("A81001", 9, &view("A81001", "Lost"));
        cache.put("A81001", 5, &view("A81001", "Restored"));
        assert!(cache.get("A81001", Some(9)).is_none());
        assert_eq!(cache.get("A81001", Some(5)).unwrap().org.name, "Restored");
    }

    /// Full, the cache starts again for a new code, and keeps replacing a code it holds.
    #[test]
    fn a_full_cache_starts_again() {
        let cache = OrgCache::holding(2);
        cache.put("A1", 1, &view("A1", "One"));
        cache.put("A2", 1, &view("A2", "Two"));
        cache.put("A2", 2, &view("A2", "Two again"));
        assert!(
            cache.get("A1", Some(1)).is_some(),
            "a held code replaced in place"
        );
        cache.put("A3", 2, &view("A3", "Three"));
        assert!(cache.get("A1", Some(1)).is_none(), "cleared to make room");
        assert!(cache.get("A2", Some(2)).is_none(), "cleared to make room");
        assert_eq!(cache.get("A3", Some(2)).unwrap().org.name, "Three");
    }
}
