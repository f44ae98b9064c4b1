//! Single sign-on: identities linked to people, invitations to link, sign-in flows, logout
//! tokens seen, the sessions a provider session holds, and roles granted by claims.

use crate::audit::append;
use crate::error::corrupt;
use crate::people::{bump_auth_version, keep_an_admin};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::people::Role;
use palisade_domain::policy::OrgId;
use palisade_domain::sso::Logout;
use sqlx::FromRow;

/// A sign-in begun at a provider: what the callback must match and what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFlow {
    /// SHA-256 of the `state` sent to the provider.
    pub state_hash: String,
    pub provider: String,
    /// SHA-256 of the value in the browser's flow cookie, so only the browser that began the
    /// sign-in can finish it.
    pub browser_hash: String,
    pub nonce: String,
    /// The PKCE code verifier.
    pub verifier: String,
    /// Where to go once signed in (a local path).
    pub next_path: String,
    pub created_at: i64,
}

/// An identity at a provider, linked to a person.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct IdentityRecord {
    pub id: i64,
    pub user_id: i64,
    pub issuer: String,
    pub subject: String,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// Whom an identity is linked to: a person already here, or a new one made in the same
/// transaction.
#[derive(Debug, Clone)]
pub enum LinkTo {
    Existing(i64),
    /// A person by their invitation, spent in the same transaction (a conflict if it is gone).
    Invited(i64),
    New {
        email: String,
        name: String,
    },
}

#[derive(Debug, Clone)]
pub struct NewIdentity {
    pub to: LinkTo,
    pub issuer: String,
    pub subject: String,
    pub now: i64,
}

/// A role a provider's claims grant, resolved to an organisation id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimGrant {
    pub role: Role,
    pub org_id: Option<OrgId>,
}

#[async_trait]
pub trait IdentityStore: Send + Sync {
    async fn begin_sign_in_flow(&self, flow: &SignInFlow) -> Result<()>;
    /// Removes and returns the flow with this state, if it began at or after `not_before`: a
    /// state is good once.
    async fn take_sign_in_flow(
        &self,
        state_hash: &str,
        not_before: i64,
    ) -> Result<Option<SignInFlow>>;
    /// The person linked to (issuer, subject).
    async fn linked_user(&self, issuer: &str, subject: &str) -> Result<Option<i64>>;
    /// The person with this email whom a national administrator invited to link an identity,
    /// at or after `invited_after`.
    async fn invited_user(&self, email: &str, invited_after: i64) -> Result<Option<i64>>;
    /// Links an identity (to a person, or to a new person without roles), consuming the person's
    /// invitation, with its audit entries (the person's creation first, when new). A second link
    /// of the same (issuer, subject) is a conflict.
    async fn link_identity(
        &self,
        new: &NewIdentity,
        audits: Vec<AuditDraft>,
    ) -> Result<IdentityRecord>;
    async fn touch_identity(&self, issuer: &str, subject: &str, now: i64) -> Result<()>;
    async fn identities_of(&self, user_id: i64) -> Result<Vec<IdentityRecord>>;
    /// Unlinks an identity of a person, ends the sessions it began and takes back the roles its
    /// provider's claims granted, each with its entry (`role.revoke` from `revoke_of`) after
    /// `audit`'s.
    async fn unlink_identity(
        &self,
        user_id: i64,
        id: i64,
        audit: AuditDraft,
        revoke_of: &(dyn Fn(ClaimGrant) -> AuditDraft + Send + Sync),
    ) -> Result<()>;
    /// Invites a person to link the identity of their first single sign-on (by their email),
    /// or renews their invitation.
    async fn invite_identity(&self, user_id: i64, by: Option<i64>, audit: AuditDraft)
    -> Result<()>;
    /// When the person was invited, if they are still to link.
    async fn identity_invitation(&self, user_id: i64) -> Result<Option<i64>>;
    /// A back-channel logout: remembers the token's id and ends the sessions the provider session
    /// began (by its `sid`, and with `sub` too, the subject's sessions that recorded no `sid`;
    /// by `sub` alone, every one of the subject's), in one transaction. `None`, with nothing
    /// ended, when the token's id was seen already (a replay). The audit entry is written only
    /// when sessions ended.
    async fn end_provider_sessions(
        &self,
        logout: &Logout,
        now: i64,
        audit: AuditDraft,
    ) -> Result<Option<u64>>;
    /// Makes the roles `issuer`'s claims granted a person exactly `wanted`, leaving roles granted
    /// by hand alone; each grant and removal with its audit entry (from `audit_of`). Returns
    /// whether anything changed.
    async fn sync_claimed_grants(
        &self,
        user_id: i64,
        issuer: &str,
        wanted: &[ClaimGrant],
        now: i64,
        audit_of: &(dyn Fn(&str, ClaimGrant) -> AuditDraft + Send + Sync),
    ) -> Result<bool>;
    /// Forgets flows begun before `flows_before` and logout tokens seen before `tokens_before`.
    async fn purge_sign_in_state(&self, flows_before: i64, tokens_before: i64) -> Result<u64>;
}

const IDENTITY_COLUMNS: &str = "id, user_id, issuer, subject, created_at, last_sign_in_at";

#[async_trait]
impl IdentityStore for SqlStore {
    async fn begin_sign_in_flow(&self, f: &SignInFlow) -> Result<()> {
        sqlx::query(
            "INSERT INTO sign_in_flows (state_hash, provider, browser_hash, nonce, verifier, next_path, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(f.state_hash.clone())
        .bind(f.provider.clone())
        .bind(f.browser_hash.clone())
        .bind(f.nonce.clone())
        .bind(f.verifier.clone())
        .bind(f.next_path.clone())
        .bind(f.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn take_sign_in_flow(
        &self,
        state_hash: &str,
        not_before: i64,
    ) -> Result<Option<SignInFlow>> {
        #[derive(FromRow)]
        struct Row {
            state_hash: String,
            provider: String,
            browser_hash: String,
            nonce: String,
            verifier: String,
            next_path: String,
            created_at: i64,
        }
        // One statement: two callbacks with the same state cannot both take it.
        let row = sqlx::query_as::<_, Row>(
            "DELETE FROM sign_in_flows WHERE state_hash = $1 \
             RETURNING state_hash, provider, browser_hash, nonce, verifier, next_path, created_at",
        )
        .bind(state_hash.to_string())
        .fetch_optional(&self.write)
        .await?;
        Ok(row
            .filter(|r| r.created_at >= not_before)
            .map(|r| SignInFlow {
                state_hash: r.state_hash,
                provider: r.provider,
                browser_hash: r.browser_hash,
                nonce: r.nonce,
                verifier: r.verifier,
                next_path: r.next_path,
                created_at: r.created_at,
            }))
    }

    async fn linked_user(&self, issuer: &str, subject: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2")
                .bind(issuer.to_string())
                .bind(subject.to_string())
                .fetch_optional(&self.read)
                .await?,
        )
    }

    async fn invited_user(&self, email: &str, invited_after: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT u.id FROM identity_invitations i JOIN users u ON u.id = i.user_id \
             WHERE u.email = $1 AND u.active = 1 AND i.created_at >= $2",
        )
        .bind(email.to_lowercase())
        .bind(invited_after)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn link_identity(
        &self,
        new: &NewIdentity,
        audits: Vec<AuditDraft>,
    ) -> Result<IdentityRecord> {
        let mut tx = self.begin().await?;
        let user_id = match &new.to {
            LinkTo::Existing(id) | LinkTo::Invited(id) => *id,
            LinkTo::New { email, name } => sqlx::query_scalar(
                "INSERT INTO users (email, name, password_hash, active, failed_logins, auth_version, created_at, updated_at, search_name) \
                 VALUES ($1, $2, NULL, 1, 0, 1, $3, $3, $4) RETURNING id",
            )
            .bind(email.to_lowercase())
            .bind(name.clone())
            .bind(new.now)
            .bind(palisade_domain::search::search_key(name))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                if StoreError::is_unique_violation(&e) {
                    StoreError::conflict("email", "someone with this email exists already")
                } else {
                    e.into()
                }
            })?,
        };
        let row = sqlx::query_as::<_, IdentityRecord>(sqlx::AssertSqlSafe(format!(
            "INSERT INTO identities (user_id, issuer, subject, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {IDENTITY_COLUMNS}"
        )))
        .bind(user_id)
        .bind(new.issuer.clone())
        .bind(new.subject.clone())
        .bind(new.now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::conflict("subject", "this identity is linked to someone already")
            } else {
                e.into()
            }
        })?;
        let spent = sqlx::query("DELETE FROM identity_invitations WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if matches!(new.to, LinkTo::Invited(_)) && spent != 1 {
            return Err(StoreError::conflict(
                "invitation",
                "the invitation was used already",
            ));
        }
        for mut a in audits {
            if a.entity_id.is_empty() {
                a.entity_id = user_id.to_string();
            }
            append(&mut tx, &a).await?;
        }
        tx.commit().await?;
        Ok(row)
    }

    async fn touch_identity(&self, issuer: &str, subject: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE identities SET last_sign_in_at = $1 WHERE issuer = $2 AND subject = $3",
        )
        .bind(now)
        .bind(issuer.to_string())
        .bind(subject.to_string())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn identities_of(&self, user_id: i64) -> Result<Vec<IdentityRecord>> {
        Ok(sqlx::query_as::<_, IdentityRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {IDENTITY_COLUMNS} FROM identities WHERE user_id = $1 ORDER BY issuer, subject"
        )))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    async fn unlink_identity(
        &self,
        user_id: i64,
        id: i64,
        audit: AuditDraft,
        revoke_of: &(dyn Fn(ClaimGrant) -> AuditDraft + Send + Sync),
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let gone: Option<(String, String)> = sqlx::query_as(
            "DELETE FROM identities WHERE id = $1 AND user_id = $2 RETURNING issuer, subject",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((issuer, subject)) = gone else {
            return Err(StoreError::NotFound);
        };
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND idp_issuer = $2 AND idp_subject = $3",
        )
        .bind(user_id)
        .bind(issuer.clone())
        .bind(subject)
        .execute(&mut *tx)
        .await?;
        // The roles that provider's claims granted go with the link: nothing would renew them,
        // and they must not outlive it.
        let revoked: Vec<(String, Option<i64>)> = sqlx::query_as(
            "DELETE FROM role_grants WHERE user_id = $1 AND claimed_by = $2 \
             RETURNING role, org_id",
        )
        .bind(user_id)
        .bind(issuer)
        .fetch_all(&mut *tx)
        .await?;
        if revoked
            .iter()
            .any(|(r, _)| r == Role::NationalAdmin.as_str())
        {
            keep_an_admin(&mut tx).await?;
        }
        if !revoked.is_empty() {
            bump_auth_version(&mut tx, user_id, audit.at).await?;
        }
        append(&mut tx, &audit).await?;
        // Each role taken back in the log of the organisation it was held at, as any other
        // removal of a role is.
        for (role, org_id) in revoked {
            let role = role
                .parse()
                .map_err(|_| corrupt("role_grants.role", &role))?;
            append(&mut tx, &revoke_of(ClaimGrant { role, org_id })).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn invite_identity(
        &self,
        user_id: i64,
        by: Option<i64>,
        audit: AuditDraft,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO identity_invitations (user_id, invited_by, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET invited_by = excluded.invited_by, created_at = excluded.created_at",
        )
        .bind(user_id)
        .bind(by)
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn identity_invitation(&self, user_id: i64) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT created_at FROM identity_invitations WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    async fn end_provider_sessions(
        &self,
        logout: &Logout,
        now: i64,
        audit: AuditDraft,
    ) -> Result<Option<u64>> {
        let mut tx = self.begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO logout_tokens (issuer, jti, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (issuer, jti) DO NOTHING",
        )
        .bind(logout.issuer.clone())
        .bind(logout.jti.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            return Ok(None);
        }
        let issuer = logout.issuer.clone();
        let ended = match (logout.sid.clone(), logout.subject.clone()) {
            (Some(sid), Some(sub)) => sqlx::query(
                "DELETE FROM sessions WHERE idp_issuer = $1 AND idp_subject = $3 \
                 AND (idp_sid = $2 OR idp_sid IS NULL)",
            )
            .bind(issuer)
            .bind(sid)
            .bind(sub),
            (Some(sid), None) => {
                sqlx::query("DELETE FROM sessions WHERE idp_issuer = $1 AND idp_sid = $2")
                    .bind(issuer)
                    .bind(sid)
            }
            (None, Some(sub)) => {
                sqlx::query("DELETE FROM sessions WHERE idp_issuer = $1 AND idp_subject = $2")
                    .bind(issuer)
                    .bind(sub)
            }
            (None, None) => sqlx::query("SELECT 1 WHERE 1 = 0"),
        }
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended > 0 {
            append(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(Some(ended))
    }

    async fn sync_claimed_grants(
        &self,
        user_id: i64,
        issuer: &str,
        wanted: &[ClaimGrant],
        now: i64,
        audit_of: &(dyn Fn(&str, ClaimGrant) -> AuditDraft + Send + Sync),
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let held: Vec<(String, Option<i64>, Option<String>)> =
            sqlx::query_as("SELECT role, org_id, claimed_by FROM role_grants WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
        let held: Vec<(ClaimGrant, Option<String>)> = held
            .into_iter()
            .filter_map(|(role, org, by)| {
                let role = role.parse().ok()?;
                Some((ClaimGrant { role, org_id: org }, by))
            })
            .collect();
        let mut changed = false;
        let mut admin_removed = false;
        for (g, by) in &held {
            if by.as_deref() == Some(issuer) && !wanted.contains(g) {
                sqlx::query(
                    "DELETE FROM role_grants WHERE user_id = $1 AND role = $2 AND COALESCE(org_id, 0) = $3",
                )
                .bind(user_id)
                .bind(g.role.as_str())
                .bind(g.org_id.unwrap_or(0))
                .execute(&mut *tx)
                .await?;
                admin_removed |= g.role == Role::NationalAdmin;
                append(&mut tx, &audit_of("role.revoke", *g)).await?;
                changed = true;
            }
        }
        for g in wanted {
            // A role held already (by hand or by these claims) is left as it is.
            if held.iter().any(|(h, _)| h == g) {
                continue;
            }
            sqlx::query(
                "INSERT INTO role_grants (user_id, role, org_id, created_at, claimed_by) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user_id)
            .bind(g.role.as_str())
            .bind(g.org_id)
            .bind(now)
            .bind(issuer.to_string())
            .execute(&mut *tx)
            .await?;
            append(&mut tx, &audit_of("role.grant", *g)).await?;
            changed = true;
        }
        if admin_removed {
            keep_an_admin(&mut tx).await?;
        }
        if changed {
            bump_auth_version(&mut tx, user_id, now).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn purge_sign_in_state(&self, flows_before: i64, tokens_before: i64) -> Result<u64> {
        let flows = sqlx::query("DELETE FROM sign_in_flows WHERE created_at < $1")
            .bind(flows_before)
            .execute(&self.write)
            .await?
            .rows_affected();
        let tokens = sqlx::query("DELETE FROM logout_tokens WHERE seen_at < $1")
            .bind(tokens_before)
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(flows + tokens)
    }
}
