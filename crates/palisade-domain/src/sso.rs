//! Single sign-on rules: what an identity provider's ID token and back-channel logout token must
//! say before Palisade believes them, which account a verified identity selects, and the roles a
//! provider's claims grant.
//!
//! The signature is checked before these rules run (by the adapter that holds the provider's
//! keys); everything here works on the decoded claims and is pure.

use crate::org::OrgType;
use crate::people::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The event a back-channel logout token must carry (OpenID Connect Back-Channel Logout 1.0, 2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Why a token or a sign-in was refused: a reason code for the log (never the token itself) and
/// the one sentence the person is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    Malformed,
    Issuer,
    Audience,
    AuthorisedParty,
    Expired,
    IssuedInFuture,
    NotYetValid,
    TooOld,
    Nonce,
    MissingSubject,
    LogoutEvent,
    LogoutNonce,
    LogoutSubject,
    MissingJti,
}

impl Reject {
    /// The reason code written to the log.
    pub fn code(self) -> &'static str {
        match self {
            Reject::Malformed => "malformed_claims",
            Reject::Issuer => "wrong_issuer",
            Reject::Audience => "wrong_audience",
            Reject::AuthorisedParty => "wrong_azp",
            Reject::Expired => "expired",
            Reject::IssuedInFuture => "issued_in_future",
            Reject::NotYetValid => "not_yet_valid",
            Reject::TooOld => "issued_too_long_ago",
            Reject::Nonce => "wrong_nonce",
            Reject::MissingSubject => "missing_sub",
            Reject::LogoutEvent => "missing_logout_event",
            Reject::LogoutNonce => "logout_token_has_nonce",
            Reject::LogoutSubject => "logout_token_names_no_session",
            Reject::MissingJti => "missing_jti",
        }
    }
}

/// What Palisade expects of a token from one provider, at one moment.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// Unix seconds.
    pub now: i64,
    /// How far the provider's clock may differ from ours (seconds).
    pub skew: i64,
    /// The oldest `iat` accepted (seconds before `now`).
    pub max_age: i64,
}

/// `aud` is one string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, id: &str) -> bool {
        match self {
            Audience::One(a) => a == id,
            Audience::Many(v) => v.iter().any(|a| a == id),
        }
    }
    fn len(&self) -> usize {
        match self {
            Audience::One(_) => 1,
            Audience::Many(v) => v.len(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Registered {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    azp: Option<String>,
    nonce: Option<String>,
    jti: Option<String>,
    sid: Option<String>,
    events: Option<serde_json::Map<String, Value>>,
}

/// The checks both kinds of token share: issuer, audience, authorised party, issue time and
/// (when present) expiry.
fn check_common(r: &Registered, e: &Expect<'_>) -> Result<(), Reject> {
    if r.iss.as_deref() != Some(e.issuer) {
        return Err(Reject::Issuer);
    }
    let aud = r.aud.as_ref().ok_or(Reject::Audience)?;
    if !aud.contains(e.client_id) {
        return Err(Reject::Audience);
    }
    // With several audiences the authorised party must be named, and it must be us.
    match r.azp.as_deref() {
        Some(azp) if azp != e.client_id => return Err(Reject::AuthorisedParty),
        None if aud.len() > 1 => return Err(Reject::AuthorisedParty),
        _ => {}
    }
    let iat = r.iat.ok_or(Reject::Malformed)?;
    if iat > e.now + e.skew {
        return Err(Reject::IssuedInFuture);
    }
    if iat < e.now - e.max_age - e.skew {
        return Err(Reject::TooOld);
    }
    if let Some(exp) = r.exp
        && exp + e.skew <= e.now
    {
        return Err(Reject::Expired);
    }
    if r.nbf.is_some_and(|nbf| nbf > e.now + e.skew) {
        return Err(Reject::NotYetValid);
    }
    Ok(())
}

/// A person as the provider vouches for them, after the ID token's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    /// The provider's session, when it says (for back-channel logout by session).
    pub sid: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// Every claim, for the role mapping.
    pub claims: serde_json::Map<String, Value>,
}

/// Checks an ID token's claims (OpenID Connect Core 1.0, 3.1.3.7): issuer, audience, authorised
/// party, expiry (required), issue time and the nonce this sign-in sent.
pub fn check_id_token(
    claims: &serde_json::Map<String, Value>,
    e: &Expect<'_>,
    nonce: &str,
) -> Result<VerifiedIdentity, Reject> {
    let r: Registered =
        serde_json::from_value(Value::Object(claims.clone())).map_err(|_| Reject::Malformed)?;
    check_common(&r, e)?;
    if r.exp.is_none() {
        return Err(Reject::Expired);
    }
    if r.nonce.as_deref() != Some(nonce) {
        return Err(Reject::Nonce);
    }
    let subject = r
        .sub
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .ok_or(Reject::MissingSubject)?;
    let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(VerifiedIdentity {
        issuer: e.issuer.to_string(),
        subject,
        sid: r.sid.filter(|s| !s.is_empty()),
        email: text("email"),
        email_verified: claims.get("email_verified") == Some(&Value::Bool(true)),
        name: text("name"),
        claims: claims.clone(),
    })
}

/// Which Palisade sessions a verified logout token ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    pub issuer: String,
    pub jti: String,
    /// When the token was issued: a token is remembered (against replay) until it is too old.
    pub iat: i64,
    pub sid: Option<String>,
    pub subject: Option<String>,
}

/// Checks a back-channel logout token's claims (Back-Channel Logout 1.0, 2.6): as an ID token's,
/// plus a `jti`, the logout event, a `sid` or `sub`, and no `nonce`.
pub fn check_logout_token(
    claims: &serde_json::Map<String, Value>,
    e: &Expect<'_>,
) -> Result<Logout, Reject> {
    let r: Registered =
        serde_json::from_value(Value::Object(claims.clone())).map_err(|_| Reject::Malformed)?;
    check_common(&r, e)?;
    if r.nonce.is_some() {
        return Err(Reject::LogoutNonce);
    }
    let event = r
        .events
        .as_ref()
        .and_then(|ev| ev.get(BACKCHANNEL_LOGOUT_EVENT));
    if !matches!(event, Some(Value::Object(_))) {
        return Err(Reject::LogoutEvent);
    }
    let sid = r.sid.filter(|s| !s.is_empty());
    let subject = r.sub.filter(|s| !s.is_empty());
    if sid.is_none() && subject.is_none() {
        return Err(Reject::LogoutSubject);
    }
    let jti = r
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 255)
        .ok_or(Reject::MissingJti)?;
    Ok(Logout {
        issuer: e.issuer.to_string(),
        jti,
        iat: r.iat.unwrap_or(e.now),
        sid,
        subject,
    })
}

/// The account a verified identity signs in to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    /// The identity is already linked to this person.
    Linked(i64),
    /// Not linked yet: a national administrator invited this person, whose email the provider
    /// asserts as verified; the identity is linked to them now.
    Invited(i64),
    /// Nobody: a new person is made, with no roles until one is granted.
    New,
}

/// Chooses the account for an identity. Only `(issuer, subject)` can select an account already
/// linked; an email selects one only the first time, only when the provider asserts it verified,
/// and only a person a national administrator invited to link.
///
/// `linked` finds the person linked to an (issuer, subject); `invited` finds the invited person
/// with an email.
pub fn choose_account(
    id: &VerifiedIdentity,
    linked: impl FnOnce(&str, &str) -> Option<i64>,
    invited: impl FnOnce(&str) -> Option<i64>,
) -> Account {
    if let Some(user) = linked(&id.issuer, &id.subject) {
        return Account::Linked(user);
    }
    match id.email.as_deref() {
        Some(email) if id.email_verified => invited(&email.to_lowercase())
            .map(Account::Invited)
            .unwrap_or(Account::New),
        _ => Account::New,
    }
}

/// How one provider's claims map to Palisade roles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoleClaims {
    /// The claim holding the organisation's code (a string or a list).
    pub org_claim: String,
    /// The claim holding the person's roles: a string or a list of them (each held at the
    /// organisation the other claim names), or a list of `{"org": CODE, "role": VALUE}` pairs.
    pub role_claim: String,
    /// The provider's role value -> Palisade role.
    pub roles: BTreeMap<String, Role>,
    /// The kinds of organisation at which this provider's claims may grant roles: none unless
    /// listed, so a provider run for one kind of organisation cannot make leads of another.
    #[serde(default)]
    pub org_types: Vec<OrgType>,
    /// Whether a claim may grant a national role at all (off unless set explicitly).
    #[serde(default)]
    pub allow_national: bool,
}

/// A role granted by the provider's claims: at an organisation (by code), or national.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClaimedGrant {
    pub role: Role,
    pub org_code: Option<String>,
}

/// The roles a provider's claims grant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claimed {
    pub grants: Vec<ClaimedGrant>,
    /// The claims named several organisations and several organisation roles without saying
    /// which role is held where: those roles were granted nowhere.
    pub ambiguous: bool,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn org_code(raw: &str) -> Option<String> {
    let c = raw.trim().to_uppercase();
    (!c.is_empty()).then_some(c)
}

/// The roles these claims grant under `map`. A pair `{"org", "role"}` grants its role at its
/// organisation. A plain role value is held at the organisation the organisation claim names;
/// with several organisations, only when there is one such role (a lead of RX1 who is staff at
/// R17 must not become lead of both: with several of each, none is granted and `ambiguous` says
/// so). A national role only when the mapping allows national roles, never tied to an
/// organisation. Unknown role values grant nothing. Which organisations are allowed (by kind) is
/// the caller's to check, once it knows their kinds.
pub fn claimed_grants(claims: &serde_json::Map<String, Value>, map: &RoleClaims) -> Claimed {
    let orgs: Vec<String> = strings(claims.get(&map.org_claim))
        .iter()
        .filter_map(|c| org_code(c))
        .collect();
    let mut grants = Vec::new();
    let mut grant = |role: Role, org: Option<String>| {
        if role.is_national() {
            if map.allow_national {
                grants.push(ClaimedGrant {
                    role,
                    org_code: None,
                });
            }
        } else if let Some(org) = org {
            grants.push(ClaimedGrant {
                role,
                org_code: Some(org),
            });
        }
    };
    if let Some(Value::Array(items)) = claims.get(&map.role_claim) {
        for item in items.iter().filter_map(Value::as_object) {
            let (Some(org), Some(value)) = (
                item.get("org").and_then(Value::as_str).and_then(org_code),
                item.get("role").and_then(Value::as_str),
            ) else {
                continue;
            };
            if let Some(&role) = map.roles.get(value) {
                grant(role, Some(org));
            }
        }
    }
    let mut plain = Vec::new();
    for value in strings(claims.get(&map.role_claim)) {
        match map.roles.get(&value) {
            Some(&role) if role.is_national() => grant(role, None),
            Some(&role) => plain.push(role),
            None => {}
        }
    }
    plain.sort();
    plain.dedup();
    let ambiguous = orgs.len() > 1 && plain.len() > 1;
    if !ambiguous {
        for &role in &plain {
            for org in &orgs {
                grant(role, Some(org.clone()));
            }
        }
    }
    grants.sort();
    grants.dedup();
    Claimed { grants, ambiguous }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn expect() -> Expect<'static> {
        Expect {
            issuer: "https://id.example.nhs.uk",
            client_id: "palisade",
            now: NOW,
            skew: 60,
            max_age: 600,
        }
    }

    fn map(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn id_claims() -> serde_json::Map<String, Value> {
        map(json!({
            "iss": "https://id.example.nhs.uk", "aud": "palisade", "sub": "abc",
            "iat": NOW - 5, "exp": NOW + 300, "nonce": "n0nce",
            "email": "Alice@Example.nhs.uk", "email_verified": true, "sid": "s1"
        }))
    }

    fn with(
        mut c: serde_json::Map<String, Value>,
        k: &str,
        v: Value,
    ) -> serde_json::Map<String, Value> {
        if v.is_null() {
            c.remove(k);
        } else {
            c.insert(k.into(), v);
        }
        c
    }

    #[test]
    fn a_good_id_token_passes_and_says_who() {
        let id = check_id_token(&id_claims(), &expect(), "n0nce").unwrap();
        assert_eq!(id.subject, "abc");
        assert_eq!(id.sid.as_deref(), Some("s1"));
        assert!(id.email_verified);
    }

    #[test]
    fn each_id_token_check_has_its_reason() {
        let e = expect();
        let cases = [
            (
                with(id_claims(), "iss", json!("https://evil.example")),
                Reject::Issuer,
            ),
            (
                with(id_claims(), "aud", json!("someone-else")),
                Reject::Audience,
            ),
            (
                with(id_claims(), "aud", json!(["palisade", "other"])),
                Reject::AuthorisedParty,
            ),
            (
                with(id_claims(), "azp", json!("other")),
                Reject::AuthorisedParty,
            ),
            (with(id_claims(), "exp", json!(NOW - 61)), Reject::Expired),
            (with(id_claims(), "exp", Value::Null), Reject::Expired),
            (
                with(id_claims(), "iat", json!(NOW + 61)),
                Reject::IssuedInFuture,
            ),
            (
                with(id_claims(), "nbf", json!(NOW + 61)),
                Reject::NotYetValid,
            ),
            (with(id_claims(), "iat", json!(NOW - 661)), Reject::TooOld),
            (with(id_claims(), "nonce", json!("other")), Reject::Nonce),
            (with(id_claims(), "nonce", Value::Null), Reject::Nonce),
            (
                with(id_claims(), "sub", Value::Null),
                Reject::MissingSubject,
            ),
            (
                with(id_claims(), "iat", json!("yesterday")),
                Reject::Malformed,
            ),
        ];
        for (claims, want) in cases {
            assert_eq!(
                check_id_token(&claims, &e, "n0nce").unwrap_err(),
                want,
                "{claims:?}"
            );
        }
        // Within the skew both ways, and several audiences with us as the authorised party.
        let ok = with(
            with(id_claims(), "exp", json!(NOW - 59)),
            "iat",
            json!(NOW + 59),
        );
        assert!(check_id_token(&ok, &e, "n0nce").is_ok());
        let ok = with(
            with(id_claims(), "aud", json!(["palisade", "x"])),
            "azp",
            json!("palisade"),
        );
        assert!(check_id_token(&ok, &e, "n0nce").is_ok());
        // email_verified must be the boolean true, not a string.
        let unverified = with(id_claims(), "email_verified", json!("true"));
        assert!(
            !check_id_token(&unverified, &e, "n0nce")
                .unwrap()
                .email_verified
        );
    }

    fn logout_claims() -> serde_json::Map<String, Value> {
        map(json!({
            "iss": "https://id.example.nhs.uk", "aud": "palisade", "sub": "abc", "sid": "s1",
            "iat": NOW - 5, "jti": "j1", "events": {BACKCHANNEL_LOGOUT_EVENT: {}}
        }))
    }

    #[test]
    fn logout_tokens_need_the_event_a_session_and_no_nonce() {
        let e = expect();
        let ok = check_logout_token(&logout_claims(), &e).unwrap();
        assert_eq!((ok.jti.as_str(), ok.sid.as_deref()), ("j1", Some("s1")));
        let no_sid = with(logout_claims(), "sid", Value::Null);
        assert_eq!(
            check_logout_token(&no_sid, &e).unwrap().subject.as_deref(),
            Some("abc")
        );
        let cases = [
            (
                with(logout_claims(), "nonce", json!("n")),
                Reject::LogoutNonce,
            ),
            (
                with(logout_claims(), "events", json!({})),
                Reject::LogoutEvent,
            ),
            (
                with(
                    logout_claims(),
                    "events",
                    json!({BACKCHANNEL_LOGOUT_EVENT: "yes"}),
                ),
                Reject::LogoutEvent,
            ),
            (
                with(
                    with(logout_claims(), "sid", Value::Null),
                    "sub",
                    Value::Null,
                ),
                Reject::LogoutSubject,
            ),
            (
                with(logout_claims(), "jti", Value::Null),
                Reject::MissingJti,
            ),
            (
                with(logout_claims(), "aud", json!("other")),
                Reject::Audience,
            ),
            (
                with(logout_claims(), "iss", json!("https://other")),
                Reject::Issuer,
            ),
            (
                with(logout_claims(), "iat", json!(NOW - 700)),
                Reject::TooOld,
            ),
            (
                with(logout_claims(), "exp", json!(NOW - 100)),
                Reject::Expired,
            ),
        ];
        for (claims, want) in cases {
            assert_eq!(
                check_logout_token(&claims, &e).unwrap_err(),
                want,
                "{claims:?}"
            );
        }
    }

    fn nhs_map(allow_national: bool) -> RoleClaims {
        RoleClaims {
            org_claim: "org_code".into(),
            role_claim: "nhs_roles".into(),
            roles: [
                ("lead".to_string(), Role::OrgLead),
                ("staff".to_string(), Role::OrgMember),
                ("csoc".to_string(), Role::NationalAnalyst),
            ]
            .into_iter()
            .collect(),
            org_types: vec![OrgType::AcuteTrust],
            allow_national,
        }
    }

    #[test]
    fn claims_grant_mapped_roles_at_the_claimed_organisations_only() {
        let g = |v: Value, allow| claimed_grants(&map(v), &nhs_map(allow));
        let lead_at = |org: &str| ClaimedGrant {
            role: Role::OrgLead,
            org_code: Some(org.into()),
        };
        // One role at each of several organisations.
        let c = g(
            json!({"org_code": ["rx1", "R17"], "nhs_roles": ["lead", "unknown", "csoc"]}),
            false,
        );
        assert_eq!(c.grants, vec![lead_at("R17"), lead_at("RX1")]);
        assert!(!c.ambiguous);
        // A national role only when the mapping says so, and never tied to an organisation.
        let c = g(
            json!({"org_code": ["rx1", "R17"], "nhs_roles": ["lead", "csoc"]}),
            true,
        );
        assert!(c.grants.contains(&ClaimedGrant {
            role: Role::NationalAnalyst,
            org_code: None
        }));
        // A single string works as a list of one; no organisation claim grants no org role.
        assert_eq!(
            g(json!({"org_code": "RX1", "nhs_roles": "staff"}), false)
                .grants
                .len(),
            1
        );
        assert!(g(json!({"nhs_roles": "staff"}), false).grants.is_empty());
        // Lead of one and staff of another, said flatly: nobody can tell which is which, so
        // neither is granted anywhere (never lead of both).
        let c = g(
            json!({"org_code": ["RX1", "R17"], "nhs_roles": ["lead", "staff"]}),
            false,
        );
        assert_eq!((c.grants.len(), c.ambiguous), (0, true));
        // Said in pairs, each role lands at its own organisation.
        let c = g(
            json!({"nhs_roles": [{"org": "rx1", "role": "lead"}, {"org": "R17", "role": "staff"},
                                 {"org": "R18", "role": "unknown"}, {"role": "lead"}]}),
            false,
        );
        assert_eq!(
            c.grants,
            vec![
                lead_at("RX1"),
                ClaimedGrant {
                    role: Role::OrgMember,
                    org_code: Some("R17".into())
                }
            ]
        );
    }

    fn identity(
        sub: String,
        email: String,
        verified: bool,
        extra: Vec<(String, String)>,
    ) -> VerifiedIdentity {
        let mut claims = serde_json::Map::new();
        for (k, v) in extra {
            claims.insert(k, Value::String(v));
        }
        VerifiedIdentity {
            issuer: "https://id.example.nhs.uk".into(),
            subject: sub,
            sid: None,
            email: Some(email),
            email_verified: verified,
            name: Some("Anyone".into()),
            claims,
        }
    }

    proptest! {
        /// Once linked, the account follows (issuer, subject) whatever else the token says; and
        /// without a link no email, name or other claim selects an existing account unless the
        /// provider asserts the email verified and that exact person was invited.
        #[test]
        fn only_issuer_and_subject_select_a_linked_account(
            sub in "[a-z0-9]{1,12}",
            email in "[a-z]{1,8}@example\\.nhs\\.uk",
            verified in any::<bool>(),
            extra in proptest::collection::vec(("[a-z_]{1,10}", "[a-zA-Z0-9@.]{0,12}"), 0..5),
            linked_sub in "[a-z0-9]{1,12}",
            invited_email in "[a-z]{1,8}@example\\.nhs\\.uk",
        ) {
            let id = identity(sub.clone(), email.clone(), verified, extra);
            let account = choose_account(
                &id,
                |iss, s| (iss == "https://id.example.nhs.uk" && s == linked_sub).then_some(7),
                |e| (e == invited_email).then_some(9),
            );
            let want = if sub == linked_sub {
                Account::Linked(7)
            } else if verified && email == invited_email {
                Account::Invited(9)
            } else {
                Account::New
            };
            prop_assert_eq!(account, want);
        }
    }
}
