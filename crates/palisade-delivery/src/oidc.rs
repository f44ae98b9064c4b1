//! An OpenID Connect provider over HTTPS: discovery from the issuer's
//! `/.well-known/openid-configuration`, its published keys (JWKS, fetched again when a token names
//! a key not yet seen, so a rotation needs no restart), the token endpoint, and signature checks
//! with `jsonwebtoken`. The claims' own rules are `palisade_domain::sso`'s, applied by the app.

use crate::web::{is_loopback, read_capped};
use async_trait::async_trait;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use palisade_app::sso::{Authorize, Claims, IdentityProvider, ProviderError};
use serde::Deserialize;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The largest answer read from a provider (discovery, keys, tokens).
const MAX_ANSWER_BYTES: usize = 512 * 1024;
/// How long discovery is trusted before it is read again.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// The signature algorithms accepted: asymmetric only (never `HS*`, and `none` is not one).
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A provider's configuration as Palisade is given it.
#[derive(Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    /// Never logged.
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// The least time between two fetches of the keys prompted by an unknown key id, so a
    /// stream of forged tokens cannot make Palisade hammer the provider.
    pub key_refresh_interval: Duration,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(set)")
            .field("scopes", &self.scopes)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    end_session_endpoint: Option<String>,
}

struct Keys {
    set: JwkSet,
    fetched: Option<Instant>,
}

pub struct OidcClient {
    cfg: OidcConfig,
    http: reqwest::Client,
    metadata: Mutex<Option<(Metadata, Instant)>>,
    keys: Mutex<Keys>,
}

impl OidcClient {
    /// A client for `cfg.issuer`; nothing is fetched until the first sign-in. The issuer must be
    /// an `https://` address (plain HTTP only on this machine, for tests and the demo).
    pub fn new(cfg: OidcConfig) -> Result<Self, String> {
        let url = reqwest::Url::parse(&cfg.issuer)
            .map_err(|e| format!("issuer {}: not a web address: {e}", cfg.issuer))?;
        let loopback = is_loopback(&url);
        if url.scheme() != "https" && !loopback {
            return Err(format!(
                "issuer {}: must be an https:// address (plain http only to this machine)",
                cfg.issuer
            ));
        }
        if cfg.client_id.is_empty() || cfg.client_secret.is_empty() {
            return Err(format!(
                "issuer {}: the client id and secret are required",
                cfg.issuer
            ));
        }
        let http = reqwest::Client::builder()
            .https_only(!loopback)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            cfg,
            http,
            metadata: Mutex::new(None),
            keys: Mutex::new(Keys {
                set: JwkSet { keys: Vec::new() },
                fetched: None,
            }),
        })
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        url: &str,
        reason: &'static str,
    ) -> Result<T, ProviderError> {
        let res = self.http.get(url).send().await.map_err(|e| {
            tracing::warn!(issuer = %self.cfg.issuer, reason, error = %e, "identity provider unreachable");
            ProviderError(reason)
        })?;
        if !res.status().is_success() {
            tracing::warn!(issuer = %self.cfg.issuer, reason, status = %res.status(), "identity provider refused");
            return Err(ProviderError(reason));
        }
        let body = read_capped(res, MAX_ANSWER_BYTES)
            .await
            .map_err(|_| ProviderError(reason))?;
        serde_json::from_slice(&body).map_err(|_| ProviderError(reason))
    }

    /// The provider's metadata, read again after an hour.
    async fn metadata(&self) -> Result<Metadata, ProviderError> {
        let mut held = self.metadata.lock().await;
        if let Some((m, at)) = held.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.cfg.issuer.trim_end_matches('/')
        );
        let m: Metadata = self.get_json(&url, "discovery_failed").await?;
        // OpenID Connect Discovery 1.0, 4.3: the metadata must name the issuer asked about.
        if m.issuer != self.cfg.issuer {
            tracing::warn!(issuer = %self.cfg.issuer, "discovery names another issuer");
            return Err(ProviderError("discovery_issuer_mismatch"));
        }
        *held = Some((m.clone(), Instant::now()));
        Ok(m)
    }

    /// The key for `kid`: from the key set read within the hour, else (or when `kid` is not in
    /// it, and the last fetch is older than the refresh interval) from the set read again, so a
    /// key the provider withdraws stops working within the hour and a new one works at once.
    /// The fetch happens outside the lock; its time is set before it, so a provider that fails
    /// is not asked again for every forged key id.
    async fn key(&self, kid: Option<&str>) -> Result<Jwk, ProviderError> {
        let find = |set: &JwkSet| match kid {
            Some(k) => set.find(k).cloned(),
            // No key id: acceptable only when the provider publishes a single key.
            None => (set.keys.len() == 1).then(|| set.keys[0].clone()),
        };
        {
            let mut keys = self.keys.lock().await;
            let age = keys.fetched.map(|at| at.elapsed());
            let fresh = age.is_some_and(|a| a < METADATA_TTL);
            if fresh && let Some(k) = find(&keys.set) {
                return Ok(k);
            }
            if fresh && age.is_some_and(|a| a < self.cfg.key_refresh_interval) {
                return Err(ProviderError("unknown_signing_key"));
            }
            keys.fetched = Some(Instant::now());
        }
        let uri = self.metadata().await?.jwks_uri;
        let set: JwkSet = self.get_json(&uri, "keys_unavailable").await?;
        let found = find(&set);
        self.keys.lock().await.set = set;
        found.ok_or(ProviderError("unknown_signing_key"))
    }

    /// Checks a token's signature against the provider's keys and returns its claims, unchecked
    /// otherwise.
    async fn verified_claims(&self, token: &str) -> Result<Claims, ProviderError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| ProviderError("malformed_token"))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(ProviderError("unaccepted_algorithm"));
        }
        let jwk = self.key(header.kid.as_deref()).await?;
        // A key published for encryption (or not for verifying) signs nothing.
        let for_signing = !matches!(
            jwk.common.public_key_use,
            Some(ref u) if *u != jsonwebtoken::jwk::PublicKeyUse::Signature
        ) && jwk
            .common
            .key_operations
            .as_ref()
            .is_none_or(|ops| ops.contains(&jsonwebtoken::jwk::KeyOperations::Verify));
        if !for_signing {
            return Err(ProviderError("key_not_for_signing"));
        }
        if let Some(alg) = jwk.common.key_algorithm
            && alg.to_string() != format!("{:?}", header.alg)
        {
            return Err(ProviderError("algorithm_not_the_keys"));
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| ProviderError("unusable_key"))?;
        // The claims (expiry, audience, issuer...) are checked by the domain's rules, each with
        // its own reason; here only the signature.
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|d| d.claims)
            .map_err(|_| ProviderError("bad_signature"))
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[async_trait]
impl IdentityProvider for OidcClient {
    fn issuer(&self) -> &str {
        &self.cfg.issuer
    }

    fn client_id(&self) -> &str {
        &self.cfg.client_id
    }

    async fn authorization_url(&self, a: &Authorize<'_>) -> Result<String, ProviderError> {
        let m = self.metadata().await?;
        let mut url = reqwest::Url::parse(&m.authorization_endpoint)
            .map_err(|_| ProviderError("discovery_failed"))?;
        let mut scopes = vec!["openid".to_string()];
        scopes.extend(self.cfg.scopes.iter().filter(|s| *s != "openid").cloned());
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.cfg.client_id)
            .append_pair("redirect_uri", a.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", a.state)
            .append_pair("nonce", a.nonce)
            .append_pair("code_challenge", a.code_challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Claims, ProviderError> {
        let m = self.metadata().await?;
        let res = self
            .http
            .post(&m.token_endpoint)
            .basic_auth(&self.cfg.client_id, Some(&self.cfg.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(issuer = %self.cfg.issuer, error = %e, "the token endpoint is unreachable");
                ProviderError("token_endpoint_unreachable")
            })?;
        if !res.status().is_success() {
            tracing::info!(issuer = %self.cfg.issuer, status = %res.status(), "the token endpoint refused the code");
            return Err(ProviderError("code_refused"));
        }
        let body = read_capped(res, MAX_ANSWER_BYTES)
            .await
            .map_err(|_| ProviderError("token_answer_unreadable"))?;
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|_| ProviderError("token_answer_unreadable"))?;
        let id_token = answer.id_token.ok_or(ProviderError("no_id_token"))?;
        self.verified_claims(&id_token).await
    }

    async fn logout_token_claims(&self, token: &str) -> Result<Claims, ProviderError> {
        // Back-Channel Logout 1.0, 2.4: a logout token may be typed explicitly; typed as
        // anything else (an ID token's "JWT"), it is not one.
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| ProviderError("malformed_token"))?;
        let typ = header.typ.as_deref().map(str::to_ascii_lowercase);
        if typ.is_some_and(|t| t != "logout+jwt" && t != "application/logout+jwt") {
            return Err(ProviderError("not_a_logout_token"));
        }
        self.verified_claims(token).await
    }

    async fn end_session_url(&self, post_logout: &str) -> Option<String> {
        let m = self.metadata().await.ok()?;
        let mut url = reqwest::Url::parse(m.end_session_endpoint.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.cfg.client_id)
            .append_pair("post_logout_redirect_uri", post_logout);
        Some(url.into())
    }
}
