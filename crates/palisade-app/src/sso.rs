//! Single sign-on with OpenID Connect providers: the authorization code flow with PKCE, `state`
//! and `nonce`; accounts keyed on (issuer, subject); roles from claims; RP-initiated and
//! back-channel logout; and the national administrator's links and invitations.
//!
//! The provider itself (discovery, keys, the token endpoint, signatures) is behind the
//! [`IdentityProvider`] port; the rules a token's claims must pass are in
//! `palisade_domain::sso`, and this module holds the steps between.

use crate::auth::{SignedIn, random_hex, sha256_hex};
use crate::{Actor, App, AppError, Result};
use async_trait::async_trait;
use palisade_domain::org::{OrgCode, OrgType};
use palisade_domain::people::Email;
use palisade_domain::policy::GlobalAction;
use palisade_domain::sso::{
    Account, ClaimedGrant, Expect, Reject, RoleClaims, VerifiedIdentity, check_id_token,
    check_logout_token, choose_account, claimed_grants,
};
use palisade_store::{ClaimGrant, IdentityRecord, IdpSession, LinkTo, NewIdentity, SignInFlow};
use std::sync::Arc;

/// How long a sign-in begun at a provider may take to come back.
const FLOW_SECS: i64 = 10 * 60;
/// How far a provider's clock may be from ours.
const SKEW_SECS: i64 = 120;
/// The oldest token accepted (its `iat`); logout token ids are remembered this long.
const TOKEN_MAX_AGE_SECS: i64 = 10 * 60;
/// How long an invitation to link a first sign-in stands.
pub const INVITATION_SECS: i64 = 30 * 24 * 3600;

/// Claims as decoded from a token whose signature the provider's adapter has checked.
pub type Claims = serde_json::Map<String, serde_json::Value>;

/// A failure at the provider or in its answer, as a reason code for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProviderError(pub &'static str);

/// What the provider is asked to authenticate.
#[derive(Debug, Clone)]
pub struct Authorize<'a> {
    pub state: &'a str,
    pub nonce: &'a str,
    /// The PKCE S256 challenge of the verifier kept for the callback.
    pub code_challenge: &'a str,
    pub redirect_uri: &'a str,
}

/// One OpenID Connect provider, as the app needs it.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// The issuer exactly as its tokens name it.
    fn issuer(&self) -> &str;
    fn client_id(&self) -> &str;
    /// Where to send the browser to sign in.
    async fn authorization_url(&self, a: &Authorize<'_>) -> Result<String, ProviderError>;
    /// Exchanges an authorization code (with the PKCE verifier) for the ID token's claims, its
    /// signature verified against the provider's published keys.
    async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Claims, ProviderError>;
    /// A back-channel logout token's claims, its signature verified.
    async fn logout_token_claims(&self, token: &str) -> Result<Claims, ProviderError>;
    /// The provider's end-session address for a sign-out that returns to `post_logout`.
    async fn end_session_url(&self, post_logout: &str) -> Option<String>;
}

/// A configured provider.
#[derive(Clone)]
pub struct SsoProvider {
    /// In addresses: `/auth/oidc/{name}/...`.
    pub name: String,
    /// On the sign-in button.
    pub label: String,
    pub client: Arc<dyn IdentityProvider>,
    /// How its claims grant roles; `None` grants none.
    pub role_claims: Option<RoleClaims>,
    /// Whether a first sign-in of someone neither linked nor invited makes a new person
    /// (without roles); otherwise it is refused.
    pub create_accounts: bool,
}

/// Single sign-on settings.
#[derive(Clone, Default)]
pub struct SsoSettings {
    pub providers: Vec<SsoProvider>,
    /// Password sign-in switched off entirely.
    pub password_off: bool,
    /// Password sign-in switched off for anyone holding a role at these kinds of organisation.
    pub password_off_for: Vec<OrgType>,
}

/// Why a single sign-on step failed: the reason code goes to the log, the message to the person.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("{message}")]
    Refused {
        reason: &'static str,
        message: &'static str,
    },
    #[error(transparent)]
    App(#[from] AppError),
}

impl SsoError {
    fn refused(reason: &'static str, message: &'static str) -> Self {
        SsoError::Refused { reason, message }
    }
    /// The reason code (for the log), if refused.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            SsoError::Refused { reason, .. } => Some(reason),
            SsoError::App(_) => None,
        }
    }
}

const SIGN_IN_FAILED: &str =
    "Signing in with your organisation's account did not work. Start again from the sign-in page.";

impl From<ProviderError> for SsoError {
    fn from(e: ProviderError) -> Self {
        SsoError::refused(e.0, SIGN_IN_FAILED)
    }
}

impl From<Reject> for SsoError {
    fn from(r: Reject) -> Self {
        SsoError::refused(r.code(), SIGN_IN_FAILED)
    }
}

impl From<palisade_store::StoreError> for SsoError {
    fn from(e: palisade_store::StoreError) -> Self {
        SsoError::App(e.into())
    }
}

/// A sign-in begun: the browser goes to `authorize_url` carrying `browser_token` in a cookie.
#[derive(Debug)]
pub struct SsoStart {
    pub authorize_url: String,
    pub browser_token: String,
}

/// A finished sign-in and where to go next.
#[derive(Debug)]
pub struct SsoSignedIn {
    pub signed: SignedIn,
    pub next: String,
}

/// A person's single sign-on identities, and whether they are invited to link one.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersonIdentities {
    pub identities: Vec<IdentityRecord>,
    pub invited_at: Option<i64>,
}

/// PKCE's S256 challenge of a verifier (RFC 7636, 4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

impl App {
    pub fn with_sso(mut self, sso: SsoSettings) -> Self {
        self.sso = Arc::new(sso);
        self
    }

    /// The providers to offer on the sign-in page: (name, label).
    pub fn sso_providers(&self) -> Vec<(String, String)> {
        self.sso
            .providers
            .iter()
            .map(|p| (p.name.clone(), p.label.clone()))
            .collect()
    }

    /// Whether the password form is offered at all.
    pub fn password_sign_in_on(&self) -> bool {
        !self.sso.password_off
    }

    fn provider(&self, name: &str) -> Result<&SsoProvider, SsoError> {
        self.sso
            .providers
            .iter()
            .find(|p| p.name == name)
            .ok_or(SsoError::App(AppError::NotFound))
    }

    fn provider_by_issuer(&self, issuer: &str) -> Option<&SsoProvider> {
        self.sso
            .providers
            .iter()
            .find(|p| p.client.issuer() == issuer)
    }

    fn expect<'a>(&self, p: &'a SsoProvider) -> Expect<'a> {
        Expect {
            issuer: p.client.issuer(),
            client_id: p.client.client_id(),
            now: self.now(),
            skew: SKEW_SECS,
            max_age: TOKEN_MAX_AGE_SECS,
        }
    }

    /// Begins a sign-in at `provider`: a fresh state, nonce and PKCE verifier, kept for the
    /// callback and bound to this browser.
    pub async fn sso_start(
        &self,
        provider: &str,
        next: &str,
        redirect_uri: &str,
    ) -> Result<SsoStart, SsoError> {
        let p = self.provider(provider)?;
        let (state, nonce, verifier, browser) = (
            random_hex(32),
            random_hex(32),
            random_hex(48),
            random_hex(32),
        );
        let authorize_url = p
            .client
            .authorization_url(&Authorize {
                state: &state,
                nonce: &nonce,
                code_challenge: &pkce_challenge(&verifier),
                redirect_uri,
            })
            .await?;
        self.store
            .begin_sign_in_flow(&SignInFlow {
                state_hash: sha256_hex(&state),
                provider: p.name.clone(),
                browser_hash: sha256_hex(&browser),
                nonce,
                verifier,
                next_path: next.to_string(),
                created_at: self.now(),
            })
            .await?;
        Ok(SsoStart {
            authorize_url,
            browser_token: browser,
        })
    }

    /// Finishes a sign-in: the state must be one this browser began at this provider in the
    /// last ten minutes (and is then spent), the code is exchanged with the verifier, the ID
    /// token checked, the account chosen by (issuer, subject), the roles its claims grant
    /// applied, and a session begun.
    pub async fn sso_finish(
        &self,
        provider: &str,
        state: &str,
        code: &str,
        browser_token: Option<&str>,
        redirect_uri: &str,
    ) -> Result<SsoSignedIn, SsoError> {
        let p = self.provider(provider)?;
        let now = self.now();
        let flow = self
            .store
            .take_sign_in_flow(&sha256_hex(state), now - FLOW_SECS)
            .await?
            .ok_or(SsoError::refused("unknown_or_used_state", SIGN_IN_FAILED))?;
        if flow.provider != p.name {
            return Err(SsoError::refused(
                "state_of_another_provider",
                SIGN_IN_FAILED,
            ));
        }
        if !browser_token
            .is_some_and(|b| crate::auth::secrets_equal(&sha256_hex(b), &flow.browser_hash))
        {
            return Err(SsoError::refused(
                "state_of_another_browser",
                SIGN_IN_FAILED,
            ));
        }
        let claims = p
            .client
            .exchange_code(code, &flow.verifier, redirect_uri)
            .await?;
        let id = check_id_token(&claims, &self.expect(p), &flow.nonce)?;
        let user_id = self.account_for(p, &id).await?;
        let active = |u: Option<palisade_store::User>| {
            u.filter(|u| u.active).ok_or(SsoError::refused(
                "inactive_account",
                "Your account is switched off. Ask a national administrator.",
            ))
        };
        // A switched-off person is refused before their claims may change anything.
        let mut user = active(self.store.get_user(user_id).await?)?;
        if let Some(map) = &p.role_claims
            && self.apply_claimed_roles(user_id, &id, map).await?
        {
            // Read again for the auth version the role changes moved on.
            user = active(self.store.get_user(user_id).await?)?;
        }
        self.store
            .touch_identity(&id.issuer, &id.subject, now)
            .await?;
        let signed = self
            .begin_session(
                user,
                serde_json::json!({"method": "oidc", "provider": p.name}),
                Some(IdpSession {
                    issuer: id.issuer.clone(),
                    subject: id.subject.clone(),
                    sid: id.sid.clone(),
                }),
            )
            .await?;
        Ok(SsoSignedIn {
            signed,
            next: flow.next_path,
        })
    }

    /// The person this identity signs in as, linking or making them on a first sign-in.
    async fn account_for(
        &self,
        provider: &SsoProvider,
        id: &VerifiedIdentity,
    ) -> Result<i64, SsoError> {
        let linked = self.store.linked_user(&id.issuer, &id.subject).await?;
        // An email matches only in plain ASCII: lower-casing other scripts can fold a different
        // address onto someone's (the Kelvin sign onto "k").
        let email = id
            .email
            .as_deref()
            .filter(|e| e.is_ascii())
            .map(str::to_ascii_lowercase);
        let invited = match (&email, id.email_verified, linked) {
            (Some(email), true, None) => {
                self.store
                    .invited_user(email, self.now() - INVITATION_SECS)
                    .await?
            }
            _ => None,
        };
        let account = choose_account(id, |_, _| linked, |_| invited);
        let system = Actor::system();
        let link = |to: LinkTo| NewIdentity {
            to,
            issuer: id.issuer.clone(),
            subject: id.subject.clone(),
            now: self.now(),
        };
        let link_audit = |how: &str| {
            self.draft(
                &system,
                "identity.link",
                "user",
                "",
                None,
                serde_json::json!({"issuer": id.issuer, "subject": id.subject, "how": how}),
            )
        };
        match account {
            Account::Linked(user) => Ok(user),
            Account::Invited(user) => {
                // The invitation is spent in the same transaction: two first sign-ins racing for
                // one invitation link one identity, and the other is refused.
                match self
                    .store
                    .link_identity(&link(LinkTo::Invited(user)), vec![link_audit("invitation")])
                    .await
                {
                    Ok(_) => Ok(user),
                    Err(palisade_store::StoreError::Conflict { .. }) => Err(SsoError::refused(
                        "invitation_already_used",
                        "The invitation to link your account was used already. Ask a national administrator.",
                    )),
                    Err(e) => Err(e.into()),
                }
            }
            Account::New if !provider.create_accounts => Err(SsoError::refused(
                "account_not_linked",
                "Your organisation's account is not linked to a Palisade account. Ask a national administrator to invite you.",
            )),
            Account::New => {
                // A new person needs an email Palisade can write to and trust: the provider must
                // vouch for it, and it must be nobody's here already (an existing person is
                // linked only by an invitation or an administrator, never by a matching email).
                let email = email
                    .as_deref()
                    .filter(|_| id.email_verified)
                    .and_then(|e| Email::parse("email", e).ok())
                    .ok_or(SsoError::refused(
                        "no_verified_email",
                        "Your organisation's account did not share a verified email address, so Palisade cannot make an account for you. Ask a national administrator to link your account.",
                    ))?;
                let name = id
                    .name
                    .as_deref()
                    .and_then(|n| palisade_domain::people::parse_person_name("name", n).ok())
                    .unwrap_or_else(|| email.as_str().to_string());
                let create = self.draft(
                    &system,
                    "user.create",
                    "user",
                    "",
                    None,
                    serde_json::json!({"email": email.as_str(), "name": name, "via": "oidc"}),
                );
                let to = LinkTo::New {
                    email: email.as_str().to_string(),
                    name,
                };
                match self
                    .store
                    .link_identity(&link(to), vec![create, link_audit("first_sign_in")])
                    .await
                {
                    Ok(r) => Ok(r.user_id),
                    Err(palisade_store::StoreError::Conflict { field, .. }) if field == "email" => {
                        Err(SsoError::refused(
                            "email_held_by_unlinked_account",
                            "An account with your email address exists but is not linked to your organisation's account. Ask a national administrator to invite you to link it.",
                        ))
                    }
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// Makes the roles this provider's claims granted the person exactly those the claims name
    /// now (organisations unknown here are skipped); roles granted by hand are left alone.
    /// Returns whether anything changed.
    async fn apply_claimed_roles(
        &self,
        user_id: i64,
        id: &VerifiedIdentity,
        map: &RoleClaims,
    ) -> Result<bool, SsoError> {
        let claimed = claimed_grants(&id.claims, map);
        if claimed.ambiguous {
            tracing::info!(
                issuer = %id.issuer,
                reason = "ambiguous_role_claims",
                "claims name several organisations and several roles without pairing them; none granted"
            );
        }
        let claimed = claimed.grants;
        let codes: Vec<OrgCode> = claimed
            .iter()
            .filter_map(|g| g.org_code.as_deref())
            .filter_map(|c| OrgCode::parse("org", c).ok())
            .collect();
        // Only organisations of the kinds this provider may grant roles at.
        let mut orgs = self.store.orgs_by_codes(&codes).await?;
        orgs.retain(|o| map.org_types.contains(&o.org_type));
        let wanted: Vec<ClaimGrant> = claimed
            .iter()
            .filter_map(|ClaimedGrant { role, org_code }| match org_code {
                None => Some(ClaimGrant {
                    role: *role,
                    org_id: None,
                }),
                Some(code) => orgs.iter().find(|o| &o.code == code).map(|o| ClaimGrant {
                    role: *role,
                    org_id: Some(o.id),
                }),
            })
            .collect();
        let system = Actor::system();
        let issuer = id.issuer.clone();
        let audit_of = |action: &str, g: ClaimGrant| {
            self.draft(
                &system,
                action,
                "user",
                user_id.to_string(),
                g.org_id,
                serde_json::json!({"role": g.role.as_str(), "via": "claims", "issuer": issuer}),
            )
        };
        Ok(self
            .store
            .sync_claimed_grants(user_id, &id.issuer, &wanted, self.now(), &audit_of)
            .await?)
    }

    /// A back-channel logout: the token's signature and claims checked, its id never seen
    /// before, then every session of that provider session (or subject) ended. Returns how many.
    pub async fn sso_backchannel_logout(
        &self,
        provider: &str,
        token: &str,
    ) -> Result<u64, SsoError> {
        let p = self.provider(provider)?;
        let claims = p.client.logout_token_claims(token).await?;
        let logout = check_logout_token(&claims, &self.expect(p))?;
        let audit = self.draft(
            &Actor::system(),
            "session.backchannel_logout",
            "provider",
            p.name.clone(),
            None,
            serde_json::json!({"sid": logout.sid, "subject": logout.subject}),
        );
        // The token's id is remembered in the transaction that ends the sessions: a failure
        // leaves neither, so the provider's retry is not taken for a replay.
        self.store
            .end_provider_sessions(&logout, self.now(), audit)
            .await?
            .ok_or(SsoError::refused(
                "replayed_logout_token",
                "This logout token was used already.",
            ))
    }

    /// Where to send a person signing out of a session begun at a provider: its end-session
    /// address, returning to `post_logout`.
    pub async fn sso_end_session_url(&self, idp: &IdpSession, post_logout: &str) -> Option<String> {
        self.provider_by_issuer(&idp.issuer)?
            .client
            .end_session_url(post_logout)
            .await
    }

    /// Forgets sign-ins never finished and logout token ids too old to be replayed.
    pub async fn purge_sign_in_state(&self) -> Result<u64> {
        let now = self.now();
        Ok(self
            .store
            .purge_sign_in_state(now - FLOW_SECS, now - TOKEN_MAX_AGE_SECS - 2 * SKEW_SECS)
            .await?)
    }

    /// Whether password sign-in is refused to this person (switched off entirely, or for a kind
    /// of organisation they hold a role at).
    pub(crate) async fn password_refused_for(&self, user_id: i64) -> Result<bool> {
        if self.sso.password_off {
            return Ok(true);
        }
        if self.sso.password_off_for.is_empty() {
            return Ok(false);
        }
        let grants = self
            .store
            .grants_of(user_id, &palisade_domain::policy::Scope::All)
            .await?;
        let ids: Vec<i64> = grants.iter().filter_map(|g| g.org_id).collect();
        let orgs = self.store.orgs_by_ids(&ids).await?;
        Ok(orgs
            .iter()
            .any(|o| self.sso.password_off_for.contains(&o.org_type)))
    }

    /// A person's identities and invitation (national administrators only).
    pub async fn identities_of(&self, actor: &Actor, user_id: i64) -> Result<PersonIdentities> {
        actor.require(GlobalAction::ManageAllPeople)?;
        self.store
            .get_user(user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(PersonIdentities {
            identities: self.store.identities_of(user_id).await?,
            // An invitation past its 30 days is shown as none: it links nothing any more.
            invited_at: self
                .store
                .identity_invitation(user_id)
                .await?
                .filter(|at| *at >= self.now() - INVITATION_SECS),
        })
    }

    /// Links an identity to the person with `email` by hand (`palisade admin link-identity`).
    pub async fn link_identity(
        &self,
        actor: &Actor,
        email: &str,
        issuer: &str,
        subject: &str,
    ) -> Result<IdentityRecord> {
        actor.require(GlobalAction::ManageAllPeople)?;
        let issuer = palisade_domain::error::bounded_text("issuer", issuer, 1, 255)?;
        let subject = palisade_domain::error::bounded_text("subject", subject, 1, 255)?;
        let user = self.find_person_by_email(email).await?;
        let audit = self.draft(
            actor,
            "identity.link",
            "user",
            user.id.to_string(),
            None,
            serde_json::json!({"issuer": issuer, "subject": subject, "how": "administrator"}),
        );
        Ok(self
            .store
            .link_identity(
                &NewIdentity {
                    to: LinkTo::Existing(user.id),
                    issuer,
                    subject,
                    now: self.now(),
                },
                vec![audit],
            )
            .await?)
    }

    /// Unlinks one of a person's identities, ending the sessions it began and taking back the
    /// roles its provider's claims granted (each audited as `role.revoke`).
    pub async fn unlink_identity(&self, actor: &Actor, user_id: i64, id: i64) -> Result<()> {
        actor.require(GlobalAction::ManageAllPeople)?;
        // Read first, so that the entry names what went (the row goes with the unlink).
        let identity = self
            .store
            .identities_of(user_id)
            .await?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or(AppError::NotFound)?;
        let audit = self.draft(
            actor,
            "identity.unlink",
            "user",
            user_id.to_string(),
            None,
            serde_json::json!({
                "identity": id, "issuer": identity.issuer, "subject": identity.subject,
            }),
        );
        let issuer = identity.issuer;
        let revoke_of = |g: ClaimGrant| {
            self.draft(
                actor,
                "role.revoke",
                "user",
                user_id.to_string(),
                g.org_id,
                serde_json::json!({"role": g.role.as_str(), "via": "unlink", "issuer": issuer}),
            )
        };
        Ok(self
            .store
            .unlink_identity(user_id, id, audit, &revoke_of)
            .await?)
    }

    /// Invites a person to link their first single sign-on to this account (matched by the
    /// email the provider verifies).
    pub async fn invite_identity(&self, actor: &Actor, user_id: i64) -> Result<()> {
        actor.require(GlobalAction::ManageAllPeople)?;
        let user = self
            .store
            .get_user(user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let audit = self.draft(
            actor,
            "identity.invite",
            "user",
            user.id.to_string(),
            None,
            serde_json::json!({"email": user.email}),
        );
        Ok(self
            .store
            .invite_identity(user.id, actor.user_id, audit)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
