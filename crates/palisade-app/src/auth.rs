//! Sign-in, sessions and API tokens.
//!
//! Passwords are hashed with argon2id. Session ids and API tokens are 256-bit random values; only
//! their SHA-256 is stored, so a copy of the database lets nobody sign in.

use crate::{Actor, App, AppError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use palisade_domain::people::{Email, check_password};
use palisade_domain::policy::{Grant, Principal, Scope};
use palisade_store::{ApiToken, GrantRecord, IdpSession, LoginAttempt, NewSession, NewToken, User};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How often (seconds) a session's or token's last-use time is written: often enough for idle
/// expiry, rare enough not to turn every read into a write.
const TOUCH_EVERY: i64 = 60;

pub const TOKEN_PREFIX: &str = "pal_";

pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    hex::encode(b)
}

/// SHA-256 of text or bytes, as lower-case hex.
pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}

/// Compares two secrets in constant time.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AppError::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// How many passwords are hashed or checked at once, at most: one per core. Argon2id is slow on
/// purpose (tens of milliseconds and 19 MiB each), so it runs on the blocking pool behind this
/// bound: a flood of sign-ins queues for it, and the threads every other request runs on (health
/// probes, pages, the API) stay free.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        tokio::sync::Semaphore::new(cores)
    })
}

/// Runs `work` (a password hash or check) off the request threads, within the bound above.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// [`hash_password`] off the request threads.
pub async fn hash_password_off_thread(password: &str) -> Result<String> {
    let password = password.to_string();
    hashing(move || hash_password(&password)).await?
}

/// [`verify_password`] off the request threads; `None` checks against the decoy, so an unknown
/// account costs the same as a wrong password.
async fn verify_off_thread(hash: Option<String>, password: &str) -> Result<bool> {
    let password = password.to_string();
    hashing(move || match hash {
        Some(h) => verify_password(&h, &password),
        None => {
            verify_password(decoy_hash(), &password);
            false
        }
    })
    .await
}

/// A hash of a password nobody has, verified against when the email is unknown so that a wrong
/// email costs the same time as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_hex(16)).unwrap_or_default())
}

#[derive(Debug)]
pub struct SignedIn {
    /// Goes in the cookie; never stored.
    pub session_token: String,
    pub csrf_token: String,
    pub user: User,
}

/// A live session, resolved for one request.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub actor: Actor,
    pub user: User,
    pub csrf_token: String,
    /// Set when the session id was rotated (the person's roles changed): the new cookie value.
    pub rotated_token: Option<String>,
    /// The organisations the person holds a role at, by code (none for national roles alone),
    /// for the menu's links to their own organisation.
    pub organisations: Vec<String>,
    /// The identity provider's session this one began from (single sign-on), if any.
    pub idp: Option<IdpSession>,
}

/// Why a sign-in failed, as the person is told: one answer for a wrong password, an unknown
/// email and a locked account alike, so that no answer tells whether an account exists.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignInError {
    #[error(
        "Enter a correct email address and password. After several failed attempts an account is locked for a while."
    )]
    BadCredentials,
    /// Told only after the right password: this person signs in with their organisation's
    /// account instead.
    #[error(
        "Password sign-in is switched off for your account. Sign in with your organisation's account instead."
    )]
    PasswordOff,
}

impl App {
    /// A person acting with the roles they hold now.
    pub async fn actor_of(&self, user: &User) -> Result<Actor> {
        let grants = self.store.grants_of(user.id, &Scope::All).await?;
        Ok(actor(user, &grants, None))
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<std::result::Result<SignedIn, SignInError>> {
        if self.sso.password_off {
            return Ok(Err(SignInError::PasswordOff));
        }
        let now = self.now();
        let user = match Email::parse("email", email) {
            Ok(e) => self.store.find_user_by_email(&e).await?,
            Err(_) => None,
        };
        let Some(user) = user.filter(|u| u.active) else {
            verify_off_thread(None, password).await?;
            return Ok(Err(SignInError::BadCredentials));
        };
        let attempt = LoginAttempt {
            user_id: user.id,
            now,
            threshold: self.auth.lockout_threshold,
            lock_until: now + self.auth.lockout_secs,
        };
        // The attempt is counted before the (slow) password check, so parallel guesses cannot
        // all pass a lock that one of them is about to set.
        // A locked account answers exactly as a wrong password or an unknown email does, and
        // takes as long (the decoy check), so a lock tells nobody that the account exists.
        let Some(attempts) = self.store.claim_login_attempt(&attempt).await? else {
            verify_off_thread(None, password).await?;
            tracing::info!(user_id = user.id, "sign-in refused: the account is locked");
            return Ok(Err(SignInError::BadCredentials));
        };
        let hash = self.store.password_hash(user.id).await?;
        let ok = verify_off_thread(hash, password).await?;
        if !ok {
            tracing::info!(user_id = user.id, attempts, "sign-in failed");
            if attempts >= self.auth.lockout_threshold {
                let actor = Actor {
                    user_id: Some(user.id),
                    label: user.email.clone(),
                    register_version: None,
                    principal: Principal {
                        user_id: user.id,
                        grants: vec![],
                    },
                };
                let audit = self.draft(
                    &actor,
                    "session.locked",
                    "user",
                    user.id.to_string(),
                    None,
                    serde_json::json!({"failed_attempts": attempts, "locked_until": attempt.lock_until}),
                );
                self.store.append_audit(audit).await?;
            }
            return Ok(Err(SignInError::BadCredentials));
        }
        self.store.record_login_success(user.id).await?;
        if self.password_refused_for(user.id).await? {
            tracing::info!(
                user_id = user.id,
                "sign-in refused: password sign-in is off for this person"
            );
            return Ok(Err(SignInError::PasswordOff));
        }
        Ok(Ok(self
            .begin_session(user, serde_json::json!({}), None)
            .await?))
    }

    /// Begins a session for a person who has just proved who they are (by password, or at an
    /// identity provider whose session `idp` it then belongs to), audited as a sign-in with
    /// `summary`.
    pub(crate) async fn begin_session(
        &self,
        user: User,
        summary: serde_json::Value,
        idp: Option<IdpSession>,
    ) -> Result<SignedIn> {
        let actor = self.actor_of(&user).await?;
        let audit = self.draft(
            &actor,
            "session.sign_in",
            "user",
            user.id.to_string(),
            None,
            summary,
        );
        let now = self.now();
        let session_token = random_hex(32);
        let csrf_token = random_hex(32);
        self.store
            .create_session(
                &NewSession {
                    id_hash: sha256_hex(&session_token),
                    user_id: user.id,
                    csrf_token: csrf_token.clone(),
                    auth_version: user.auth_version,
                    now,
                    expires_at: now + self.auth.session_absolute_secs,
                    idp,
                },
                Some(audit),
            )
            .await?;
        Ok(SignedIn {
            session_token,
            csrf_token,
            user,
        })
    }

    /// Resolves a session cookie. Expired or unknown sessions give `None` (and are removed).
    pub async fn session(&self, token: &str) -> Result<Option<SessionContext>> {
        if token.len() != 64 {
            return Ok(None);
        }
        let id_hash = sha256_hex(token);
        let Some(s) = self.store.get_session(&id_hash).await? else {
            return Ok(None);
        };
        let now = self.now();
        if !s.user.active
            || now >= s.expires_at
            || now - s.last_seen_at >= self.auth.session_idle_secs
        {
            self.store.delete_session(&id_hash, None).await?;
            return Ok(None);
        }
        let user = s.user;
        let mut rotated_token = None;
        if s.auth_version != user.auth_version {
            // Roles changed since this session began: carry on under a new session id.
            let new_token = random_hex(32);
            self.store
                .rotate_session(
                    &id_hash,
                    &NewSession {
                        id_hash: sha256_hex(&new_token),
                        user_id: user.id,
                        csrf_token: s.csrf_token.clone(),
                        auth_version: user.auth_version,
                        now,
                        expires_at: s.expires_at,
                        idp: s.idp.clone(),
                    },
                )
                .await?;
            rotated_token = Some(new_token);
        } else if now - s.last_seen_at >= TOUCH_EVERY {
            self.store.touch_session(&id_hash, now).await?;
        }
        let grants = self.store.grants_of(user.id, &Scope::All).await?;
        let mut organisations: Vec<String> =
            grants.iter().filter_map(|g| g.org_code.clone()).collect();
        organisations.sort();
        organisations.dedup();
        Ok(Some(SessionContext {
            actor: actor(&user, &grants, Some(s.register_version)),
            user,
            csrf_token: s.csrf_token,
            rotated_token,
            organisations,
            idp: s.idp,
        }))
    }

    /// Removes sessions past their lifetime or idle limit; returns how many went.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = self.now();
        Ok(self
            .store
            .purge_sessions(now, now - self.auth.session_idle_secs)
            .await?)
    }

    /// The roles the acting person holds, everywhere (none for the command line).
    pub async fn my_roles(&self, actor: &Actor) -> Result<Vec<GrantRecord>> {
        match actor.user_id {
            Some(id) => Ok(self.store.grants_of(id, &Scope::All).await?),
            None => Ok(Vec::new()),
        }
    }

    pub async fn sign_out(&self, token: &str, actor: &Actor) -> Result<()> {
        let audit = self.draft(
            actor,
            "session.sign_out",
            "user",
            actor.user_id.unwrap_or(0).to_string(),
            None,
            serde_json::json!({}),
        );
        self.store
            .delete_session(&sha256_hex(token), Some(audit))
            .await?;
        Ok(())
    }

    /// The person behind a bearer token, or `None` when it is unknown, revoked or its owner inactive.
    pub async fn bearer(&self, token: &str) -> Result<Option<Actor>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let Some(found) = self
            .store
            .find_token(&sha256_hex(token))
            .await?
            .filter(|found| found.user.active)
        else {
            return Ok(None);
        };
        let now = self.now();
        let t = &found.token;
        if t.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
            self.store.touch_token(t.id, now).await?;
        }
        Ok(Some(actor(
            &found.user,
            &found.grants,
            Some(found.register_version),
        )))
    }

    /// Makes an API token for the acting person. The plain token is returned once, never stored.
    pub async fn create_api_token(&self, actor: &Actor, label: &str) -> Result<(ApiToken, String)> {
        let user_id = actor.user_id.ok_or(AppError::Forbidden)?;
        self.create_token_for(actor, user_id, label).await
    }

    /// Makes an API token for `user_id` (the CLI's `admin create-token`).
    pub async fn create_token_for(
        &self,
        actor: &Actor,
        user_id: i64,
        label: &str,
    ) -> Result<(ApiToken, String)> {
        let label = palisade_domain::error::bounded_text("label", label, 1, 80)?;
        let plain = format!("{TOKEN_PREFIX}{}", random_hex(24));
        let prefix: String = plain.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let audit = self.draft(
            actor,
            "api_token.create",
            "api_token",
            "",
            None,
            serde_json::json!({"label": label, "user_id": user_id, "prefix": prefix}),
        );
        let token = self
            .store
            .create_token(
                &NewToken {
                    user_id,
                    label,
                    token_hash: sha256_hex(&plain),
                    prefix,
                    now: self.now(),
                },
                audit,
            )
            .await?;
        Ok((token, plain))
    }

    pub async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>> {
        let user_id = actor.user_id.ok_or(AppError::Forbidden)?;
        Ok(self.store.list_tokens(user_id).await?)
    }

    pub async fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let user_id = actor.user_id.ok_or(AppError::Forbidden)?;
        let audit = self.draft(
            actor,
            "api_token.revoke",
            "api_token",
            id.to_string(),
            None,
            serde_json::json!({}),
        );
        Ok(self
            .store
            .revoke_token(user_id, id, self.now(), audit)
            .await?)
    }

    /// Sets a person's password (CLI or the person themself).
    /// Whether `password` is the person's password now (false when they have none).
    pub(crate) async fn password_is(&self, user_id: i64, password: &str) -> Result<bool> {
        match self.store.password_hash(user_id).await? {
            Some(hash) => verify_off_thread(Some(hash), password).await,
            None => Ok(false),
        }
    }

    pub async fn set_password(&self, actor: &Actor, user_id: i64, password: &str) -> Result<()> {
        check_password("password", password)?;
        let hash = hash_password_off_thread(password).await?;
        let audit = self.draft(
            actor,
            "user.set_password",
            "user",
            user_id.to_string(),
            None,
            serde_json::json!({}),
        );
        Ok(self.store.set_password(user_id, &hash, audit).await?)
    }
}

/// The person `user` acting with `grants`, their credentials read at the register's
/// `register_version` (see [`Actor::register_version`]).
fn actor(user: &User, grants: &[GrantRecord], register_version: Option<i64>) -> Actor {
    Actor {
        user_id: Some(user.id),
        label: user.email.clone(),
        principal: principal(user.id, grants),
        register_version,
    }
}

/// A person's grants as a policy principal.
fn principal(user_id: i64, grants: &[GrantRecord]) -> Principal {
    Principal {
        user_id,
        grants: grants
            .iter()
            .map(|g| Grant {
                role: g.role,
                org_id: g.org_id,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime thread stays free while a hash runs: here the "hash" waits for the runtime to
    /// do something else, which it could never do if the work blocked the runtime's one thread
    /// (the test then fails after ten seconds instead of hanging).
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_leaves_the_request_threads_free() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let work = hashing(move || rx.recv_timeout(std::time::Duration::from_secs(10)).is_ok());
        let other = async move {
            tokio::task::yield_now().await;
            tx.send(()).unwrap();
        };
        let (done, ()) = tokio::join!(work, other);
        assert!(done.unwrap(), "the runtime was held while the work ran");
    }

    #[test]
    fn argon2id_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn tokens_are_random_and_compare_in_constant_time() {
        let a = random_hex(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32));
        assert!(secrets_equal(&a, &a.clone()));
        assert!(!secrets_equal(&a, &random_hex(32)));
        assert!(!secrets_equal("ab", "abc"));
    }
}
