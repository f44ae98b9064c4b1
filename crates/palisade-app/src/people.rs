//! People and the roles they hold.

use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldErrors;
use palisade_domain::org::OrgCode;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::people::{Email, Role, check_password, parse_person_name};
use palisade_domain::policy::{GlobalAction, OrgAction, OrgId, Scope};
use palisade_store::{FirstGrant, GrantRecord, NewUser, User};

/// A new person as typed. `password` may be empty when they will sign in another way later.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewPersonInput {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub password: String,
}

impl App {
    /// Which organisations' ancestry a role in `org_code` concerns (empty for national roles),
    /// after checking the actor may grant or remove it there.
    async fn grant_target(
        &self,
        actor: &Actor,
        role: Role,
        org_code: Option<&str>,
    ) -> Result<Option<OrgId>> {
        match (
            role.is_national(),
            org_code.filter(|c| !c.trim().is_empty()),
        ) {
            (true, Some(_)) => Err(AppError::invalid(
                "org",
                format!("{} is a national role: give no organisation", role.as_str()),
            )),
            (false, None) => Err(AppError::invalid(
                "org",
                format!(
                    "{} is held in an organisation: give its code",
                    role.as_str()
                ),
            )),
            (true, None) => {
                if actor.principal.may_grant(role, &[]) {
                    Ok(None)
                } else {
                    Err(AppError::Forbidden)
                }
            }
            (false, Some(code)) => {
                let code = OrgCode::parse("org", code)?;
                let (org, ancestry) = self.store.find_org(&code).await?.ok_or_else(|| {
                    AppError::invalid("org", format!("no organisation has code '{code}'"))
                })?;
                if !actor.principal.may(OrgAction::View, &ancestry) {
                    return Err(AppError::invalid(
                        "org",
                        format!("no organisation has code '{code}'"),
                    ));
                }
                if !actor.principal.may_grant(role, &ancestry) {
                    return Err(AppError::Forbidden);
                }
                Ok(Some(org.id))
            }
        }
    }

    /// Creates a person with a first role. National admins may create anyone; organisation leads
    /// may create members and leads of the organisations they lead.
    pub async fn create_person(
        &self,
        actor: &Actor,
        input: &NewPersonInput,
        role: Role,
        org_code: Option<&str>,
    ) -> Result<User> {
        let mut errs = FieldErrors::default();
        let email = errs.take(Email::parse("email", &input.email));
        let name = errs.take(parse_person_name("name", &input.name));
        if !input.password.is_empty() {
            errs.take(check_password("password", &input.password));
        }
        errs.into_result()?;
        let (email, name) = (email.expect("checked"), name.expect("checked"));
        let org_id = self.grant_target(actor, role, org_code).await?;
        let password_hash = if input.password.is_empty() {
            None
        } else {
            Some(crate::auth::hash_password_off_thread(&input.password).await?)
        };
        let audit = self.draft(
            actor,
            "user.create",
            "user",
            "",
            org_id,
            serde_json::json!({"email": email.as_str(), "name": name}),
        );
        let grant_audit = self.draft(
            actor,
            "role.grant",
            "user",
            "",
            org_id,
            serde_json::json!({"role": role.as_str(), "email": email.as_str()}),
        );
        let new = NewUser {
            email: email.as_str().to_string(),
            name,
            password_hash,
            now: self.now(),
            first_grant: Some(FirstGrant {
                role,
                org_id,
                audit: grant_audit,
            }),
        };
        match self.store.create_user(&new, audit).await {
            Ok(user) => Ok(user),
            // Someone with this email exists: they are invited to the role like anyone else, and
            // the caller learns nothing more (neither that they existed, nor their other roles,
            // nor is their password or name changed). The password above was still hashed, so
            // both answers take as long.
            // The grant was checked above (`grant_target`); `grant_role`'s own check, that the
            // caller already sees the person, would answer "not found" for someone outside the
            // caller's organisations and so tell whether the address has an account.
            Err(palisade_store::StoreError::Conflict { field, .. }) if field == "email" => {
                let user = self
                    .store
                    .find_user_by_email(&email)
                    .await?
                    .ok_or(AppError::NotFound)?;
                match self.add_grant(actor, &user, role, org_id).await {
                    Ok(()) | Err(palisade_store::StoreError::Conflict { .. }) => Ok(user),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// People the actor may see: everyone for national admins and analysts, else the people holding
    /// roles in organisations the actor may see people of.
    pub async fn list_people(
        &self,
        actor: &Actor,
        q: &str,
        page: PageRequest,
    ) -> Result<Page<User>> {
        let scope = if actor.principal.may_global(GlobalAction::ManageAllPeople) {
            Scope::All
        } else {
            actor.principal.scope(OrgAction::ViewPeople)
        };
        Ok(self.store.list_users(&scope, q, page).await?)
    }

    /// One person and their grants, if the actor may see them.
    pub async fn get_person(
        &self,
        actor: &Actor,
        user_id: i64,
    ) -> Result<(User, Vec<GrantRecord>)> {
        let user = self
            .store
            .get_user(user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        // Others see a person only through organisations whose people they may see, and only
        // the roles held there: nothing about the person's roles elsewhere. One query, scoped
        // in SQL as every list is.
        let scope = if actor.user_id == Some(user_id) {
            Scope::All
        } else {
            actor.principal.scope(OrgAction::ViewPeople)
        };
        let grants = self.store.grants_of(user_id, &scope).await?;
        if grants.is_empty() && scope != Scope::All {
            return Err(AppError::NotFound);
        }
        Ok((user, grants))
    }

    pub async fn people_of_org(&self, actor: &Actor, code: &str) -> Result<Vec<(User, Role)>> {
        let view = self.org_for(actor, code, OrgAction::ViewPeople).await?;
        Ok(self.store.people_of_org(view.org.id).await?)
    }

    pub async fn grant_role(
        &self,
        actor: &Actor,
        user_id: i64,
        role: Role,
        org_code: Option<&str>,
    ) -> Result<()> {
        // Only people the actor can already see: no pulling strangers into an organisation.
        let (user, _) = self.get_person(actor, user_id).await?;
        let org_id = self.grant_target(actor, role, org_code).await?;
        Ok(self.add_grant(actor, &user, role, org_id).await?)
    }

    /// Grants a role already checked (`grant_target`) with its audit entry.
    async fn add_grant(
        &self,
        actor: &Actor,
        user: &User,
        role: Role,
        org_id: Option<OrgId>,
    ) -> palisade_store::Result<()> {
        let audit = self.draft(
            actor,
            "role.grant",
            "user",
            user.id.to_string(),
            org_id,
            serde_json::json!({"role": role.as_str(), "email": user.email}),
        );
        self.store.add_grant(user.id, role, org_id, audit).await
    }

    pub async fn revoke_role(
        &self,
        actor: &Actor,
        user_id: i64,
        role: Role,
        org_code: Option<&str>,
    ) -> Result<()> {
        // Only people the actor can already see: no pulling strangers into an organisation.
        let (user, _) = self.get_person(actor, user_id).await?;
        let org_id = self.grant_target(actor, role, org_code).await?;
        if actor.user_id == Some(user_id) && role == Role::NationalAdmin {
            return Err(AppError::invalid(
                "role",
                "you cannot remove your own national administrator role",
            ));
        }
        let audit = self.draft(
            actor,
            "role.revoke",
            "user",
            user.id.to_string(),
            org_id,
            serde_json::json!({"role": role.as_str(), "email": user.email}),
        );
        Ok(self
            .store
            .remove_grant(user.id, role, org_id, audit)
            .await?)
    }

    pub async fn set_person_active(&self, actor: &Actor, user_id: i64, active: bool) -> Result<()> {
        actor.require(GlobalAction::ManageAllPeople)?;
        if actor.user_id == Some(user_id) && !active {
            return Err(AppError::invalid(
                "active",
                "you cannot deactivate yourself",
            ));
        }
        let user = self
            .store
            .get_user(user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let action = if active {
            "user.reactivate"
        } else {
            "user.deactivate"
        };
        let audit = self.draft(
            actor,
            action,
            "user",
            user.id.to_string(),
            None,
            serde_json::json!({"email": user.email}),
        );
        Ok(self.store.set_user_active(user_id, active, audit).await?)
    }

    pub async fn find_person_by_email(&self, email: &str) -> Result<User> {
        let email = Email::parse("email", email)?;
        self.store
            .find_user_by_email(&email)
            .await?
            .ok_or_else(|| AppError::invalid("email", format!("no one has email '{email}'")))
    }
}
