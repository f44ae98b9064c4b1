//! Single sign-on against a real OpenID provider: panva's `oidc-provider` (OpenID Certified),
//! started per test on loopback from `tests/oidc/provider.mjs` (the script
//! `PALISADE_TEST_OIDC_PROVIDER` names; CI installs its packages and sets it). Palisade serves on
//! a loopback port too, so that the provider's redirects and back-channel logouts reach it, and
//! a small cookie-keeping client plays the browser through the provider's login page.

use crate::support::*;
use palisade_app::sso::{SsoProvider, SsoSettings};
use palisade_delivery::oidc::{OidcClient, OidcConfig};
use palisade_domain::clock::Clock;
use palisade_domain::sso::RoleClaims;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::time::Duration;

const CLIENT_ID: &str = "palisade";
const SECRET: &str = "a-client-secret-for-tests-only-0123456789";

/// The provider's script, or `None` (skipping the test) outside CI when it is not set up.
fn provider_script() -> Option<std::path::PathBuf> {
    match std::env::var_os("PALISADE_TEST_OIDC_PROVIDER") {
        Some(p) => Some(p.into()),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI sets PALISADE_TEST_OIDC_PROVIDER for the single sign-on tests"
            );
            eprintln!(
                "skipped: set PALISADE_TEST_OIDC_PROVIDER to tests/oidc/provider.mjs (after npm ci there)"
            );
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The provider process, killed when dropped.
struct Provider {
    child: std::process::Child,
    script: std::path::PathBuf,
    port: u16,
    env: Vec<(String, String)>,
    issuer: String,
}

impl Provider {
    fn start(script: &std::path::Path, port: u16, env: Vec<(String, String)>) -> Self {
        let mut child = std::process::Command::new("node")
            .arg(script)
            .envs(env.iter().cloned())
            .env("OIDC_PORT", port.to_string())
            .env("OIDC_TEST_HELPERS", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("node runs the provider");
        let mut line = String::new();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut line).unwrap();
        // The rest of its output is read (and dropped) for as long as it runs: a closed pipe
        // would end the provider at its next line.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let issuer = line
            .strip_prefix("ready ")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
            .to_string();
        Self {
            child,
            script: script.to_path_buf(),
            port,
            env,
            issuer,
        }
    }

    /// Stops the provider and starts it again on the same port, with a new signing key.
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        *self = Self::start(&self.script.clone(), self.port, self.env.clone());
    }

    /// `claims` signed with the provider's own key (a token it would not issue itself).
    async fn sign(&self, claims: Value, header: Value) -> String {
        reqwest::Client::new()
            .post(format!("{}/test/sign", self.issuer))
            .json(&json!({"claims": claims, "header": header}))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser enough for the flow: one cookie jar (both servers are on 127.0.0.1, where a browser
/// shares cookies across ports too) and redirects followed by hand.
struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

struct Page {
    status: u16,
    url: String,
    body: String,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || v.to_ascii_lowercase().contains("max-age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_string(), val.to_string());
            }
        }
    }

    /// One request; the redirect's target (absolute) if it is one.
    async fn once(
        &mut self,
        method: &str,
        url: &str,
        form: &[(&str, &str)],
    ) -> (Page, Option<String>) {
        let req = if method == "POST" {
            self.http.post(url).form(form)
        } else {
            self.http.get(url)
        };
        let res = req
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&res);
        let status = res.status().as_u16();
        let next = res.headers().get("location").map(|l| {
            reqwest::Url::parse(url)
                .unwrap()
                .join(l.to_str().unwrap())
                .unwrap()
                .to_string()
        });
        let body = res.text().await.unwrap();
        (
            Page {
                status,
                url: url.to_string(),
                body,
            },
            next,
        )
    }

    /// A request, then every redirect after it; the page it ends on.
    async fn go(&mut self, method: &str, url: &str, form: &[(&str, &str)]) -> Page {
        let (mut page, mut next) = self.once(method, url, form).await;
        for _ in 0..20 {
            let Some(to) = next else { return page };
            (page, next) = self.once("GET", &to, &[]).await;
        }
        panic!("too many redirects");
    }

    /// Signs in at Palisade through the provider's login page as `login` (the account's sub).
    async fn sign_in(&mut self, palisade: &str, login: &str) -> Page {
        let form = self
            .go(
                "GET",
                &format!("{palisade}/auth/oidc/test/start?next=/alerts"),
                &[],
            )
            .await;
        assert_eq!(form.status, 200, "the provider's login page: {}", form.body);
        let action = form_action(&form);
        self.go(
            "POST",
            &action,
            &[("prompt", "login"), ("login", login), ("password", "any")],
        )
        .await
    }

    fn session(&self) -> Option<String> {
        self.jar.get("palisade_session").cloned()
    }
}

/// The absolute address a page's (first) form posts to.
fn form_action(page: &Page) -> String {
    let start = page.body.find("action=\"").expect("a form") + 8;
    let end = start + page.body[start..].find('"').unwrap();
    let action = page.body[start..end].replace("&amp;", "&");
    reqwest::Url::parse(&page.url)
        .unwrap()
        .join(&action)
        .unwrap()
        .to_string()
}

/// Palisade on a loopback port with one provider, `test`, and the provider itself.
struct Sso {
    h: H,
    palisade: String,
    provider: Provider,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn accounts() -> Value {
    json!({
        "alice-sub": {"email": "alice@rx1.nhs.uk", "email_verified": true, "name": "Alice Lead",
                      "org_code": "RX1", "nhs_roles": ["lead", "csoc"]},
        "bob-sub": {"email": "bob@r17.nhs.uk", "email_verified": true, "name": "Bob Invited"},
        "eve-sub": {"email": "carol@r17.nhs.uk", "email_verified": true, "name": "Not Carol",
                    "org_code": "RX1", "nhs_roles": "lead"},
        "gp-sub": {"email": "gp@a81001.nhs.uk", "email_verified": true, "name": "Gail Practice",
                   "org_code": "A81001", "nhs_roles": "lead"},
        "dan-sub": {"email": "dan@r17.nhs.uk", "email_verified": false, "name": "Dan Unverified"},
    })
}

async fn sso(h: H, script: &std::path::Path) -> Sso {
    // The provider stamps its tokens with the wall clock, so Palisade's clock is brought to it.
    let wall = palisade_domain::clock::SystemClock.now() - h.clock.now();
    h.clock.advance(wall);
    let (port, provider_port) = (free_port(), free_port());
    let palisade = format!("http://127.0.0.1:{port}");
    let clients = json!([{
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "redirect_uris": [format!("{palisade}/auth/oidc/test/callback")],
        "post_logout_redirect_uris": [format!("{palisade}/sign-in")],
        "backchannel_logout_uri": format!("{palisade}/auth/oidc/test/backchannel-logout"),
    }]);
    let provider = Provider::start(
        script,
        provider_port,
        vec![
            ("OIDC_CLIENTS".into(), clients.to_string()),
            ("OIDC_ACCOUNTS".into(), accounts().to_string()),
        ],
    );
    let client = OidcClient::new(OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        scopes: vec!["email".into(), "profile".into(), "nhs".into()],
        key_refresh_interval: Duration::ZERO,
    })
    .unwrap();
    let role_claims = RoleClaims {
        org_claim: "org_code".into(),
        role_claim: "nhs_roles".into(),
        roles: [
            ("lead".to_string(), Role::OrgLead),
            ("csoc".to_string(), Role::NationalAnalyst),
        ]
        .into_iter()
        .collect(),
        org_types: vec![palisade_domain::org::OrgType::AcuteTrust],
        allow_national: false,
    };
    let h = h.with_app(|app| {
        app.alerts.public_url = palisade.clone();
        *app = app.clone().with_sso(SsoSettings {
            providers: vec![SsoProvider {
                name: "test".into(),
                label: "Test Identity".into(),
                client: Arc::new(client),
                role_claims: Some(role_claims),
                create_accounts: true,
            }],
            ..Default::default()
        });
    });
    h.org("RX1", "acute_trust", "").await;
    h.org("R17", "acute_trust", "").await;
    h.org("A81001", "gp_practice", "").await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let state = AppState::new(
        h.app.clone(),
        WebConfig {
            cookie_secure: false,
            rate_limits: None,
            ..Default::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(palisade_web::serve(state, listener, async move {
        let _ = stopped.await;
    }));
    Sso {
        h,
        palisade,
        provider,
        _stop: stop,
    }
}

/// Whether a session cookie is signed in now.
async fn signed_in(h: &H, session: &str) -> bool {
    h.page(Method::GET, "/alerts", session, None).await.status == StatusCode::OK
}

async fn sso_first_sign_in_makes_a_person_with_the_roles_their_claims_map(h: H) {
    let Some(script) = provider_script() else {
        return;
    };
    let s = sso(h, &script).await;
    // The sign-in page offers the provider beside the password form.
    let page = anonymous(&s.h, "/sign-in").await;
    assert!(
        page.text().contains("Sign in with Test Identity"),
        "{}",
        page.text()
    );
    assert!(page.text().contains("name=\"password\""));

    let mut b = Browser::new();
    let done = b.sign_in(&s.palisade, "alice-sub").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.url
            .starts_with(&format!("{}/auth/oidc/test/callback?", s.palisade))
    );
    assert!(done.body.contains("url=/alerts"), "{}", done.body);
    let session = b.session().expect("signed in");
    assert!(signed_in(&s.h, &session).await);

    // A new person, keyed on (issuer, subject), holding the lead role at RX1 from the claims,
    // and not the national role the claims name too (national roles need allow_national).
    let user =
        s.h.app
            .find_person_by_email("alice@rx1.nhs.uk")
            .await
            .unwrap();
    assert_eq!(user.name, "Alice Lead");
    let ids = s.h.app.identities_of(&Actor::cli(), user.id).await.unwrap();
    assert_eq!(ids.identities.len(), 1);
    assert_eq!(
        (
            ids.identities[0].issuer.as_str(),
            ids.identities[0].subject.as_str()
        ),
        (s.provider.issuer.as_str(), "alice-sub")
    );
    let actor = s.h.app.actor_of(&user).await.unwrap();
    let roles: Vec<_> =
        s.h.app
            .my_roles(&actor)
            .await
            .unwrap()
            .into_iter()
            .map(|g| (g.role, g.org_code))
            .collect();
    assert_eq!(roles, vec![(Role::OrgLead, Some("RX1".to_string()))]);

    // A provider for trusts grants nothing at a general practice, whatever its claims say.
    let mut gp = Browser::new();
    assert_eq!(gp.sign_in(&s.palisade, "gp-sub").await.status, 200);
    let gail =
        s.h.app
            .find_person_by_email("gp@a81001.nhs.uk")
            .await
            .unwrap();
    let gail = s.h.app.actor_of(&gail).await.unwrap();
    assert!(s.h.app.my_roles(&gail).await.unwrap().is_empty());

    // A second sign-in finds the same person; the callback's address, replayed, signs nobody in.
    let mut again = Browser::new();
    let second = again.sign_in(&s.palisade, "alice-sub").await;
    assert_eq!(second.status, 200);
    assert_eq!(
        s.h.app
            .find_person_by_email("alice@rx1.nhs.uk")
            .await
            .unwrap()
            .id,
        user.id
    );
    let mut replay = Browser::new();
    replay.jar = again.jar.clone();
    replay.jar.remove("palisade_session");
    let replayed = replay.go("GET", &second.url, &[]).await;
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    assert!(replayed.body.contains("Start again from the sign-in page"));
    assert!(replay.session().is_none());

    // A callback in another browser (without the flow's cookie) is refused too.
    let mut other = Browser::new();
    let form = other
        .go("GET", &format!("{}/auth/oidc/test/start", s.palisade), &[])
        .await;
    let action = form_action(&form);
    let mut stolen = Browser::new();
    stolen.jar = other.jar.clone();
    stolen.jar.remove("palisade_sso");
    let (_, to_provider) = stolen
        .once(
            "POST",
            &action,
            &[
                ("prompt", "login"),
                ("login", "alice-sub"),
                ("password", "x"),
            ],
        )
        .await;
    let at_callback = stolen.go("GET", &to_provider.unwrap(), &[]).await;
    assert_eq!(at_callback.status, 400, "{}", at_callback.body);
    assert!(stolen.session().is_none());

    // The provider's refusal is shown plainly.
    let refused = anonymous(&s.h, "/auth/oidc/test/callback?error=access_denied&state=x").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let unknown = anonymous(&s.h, "/auth/oidc/nobody/start").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
per_engine!(
    sso_first_sign_in_makes_a_person_with_the_roles_their_claims_map,
    sso_first_sign_in_makes_a_person_with_the_roles_their_claims_map_sqlite,
    sso_first_sign_in_makes_a_person_with_the_roles_their_claims_map_postgres,
);

async fn sso_links_only_invited_people_and_never_by_an_email_alone(h: H) {
    let Some(script) = provider_script() else {
        return;
    };
    let s = sso(h, &script).await;
    let (bob, _) =
        s.h.person("bob@r17.nhs.uk", Role::OrgMember, Some("R17"))
            .await;
    let (carol, _) =
        s.h.person("carol@r17.nhs.uk", Role::OrgMember, Some("R17"))
            .await;
    s.h.person("dan@r17.nhs.uk", Role::OrgMember, Some("R17"))
        .await;

    // Bob is invited: his first sign-in links to his account, with his roles.
    s.h.app.invite_identity(&Actor::cli(), bob).await.unwrap();
    let mut b = Browser::new();
    assert_eq!(b.sign_in(&s.palisade, "bob-sub").await.status, 200);
    let ids = s.h.app.identities_of(&Actor::cli(), bob).await.unwrap();
    assert_eq!(ids.identities.len(), 1);
    assert_eq!(ids.invited_at, None, "the invitation is spent");

    // Eve's provider account claims Carol's (verified) email, but Carol was not invited: no
    // account is selected, and none made.
    let mut e = Browser::new();
    let refused = e.sign_in(&s.palisade, "eve-sub").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("not linked"), "{}", refused.body);
    assert!(e.session().is_none());
    assert!(
        s.h.app
            .identities_of(&Actor::cli(), carol)
            .await
            .unwrap()
            .identities
            .is_empty()
    );

    // Dan's email is unverified: even once he is invited it links nothing.
    let dan =
        s.h.app
            .find_person_by_email("dan@r17.nhs.uk")
            .await
            .unwrap();
    s.h.app
        .invite_identity(&Actor::cli(), dan.id)
        .await
        .unwrap();
    let mut d = Browser::new();
    let refused = d.sign_in(&s.palisade, "dan-sub").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(d.session().is_none());

    // An administrator links Carol by hand; then Eve's identity signs in as Carol.
    s.h.app
        .link_identity(
            &Actor::cli(),
            "carol@r17.nhs.uk",
            &s.provider.issuer,
            "eve-sub",
        )
        .await
        .unwrap();
    let mut e = Browser::new();
    assert_eq!(e.sign_in(&s.palisade, "eve-sub").await.status, 200);
    assert!(signed_in(&s.h, &e.session().unwrap()).await);
    // A switched-off person is refused, whatever their provider says, before the claims can
    // give back the lead role an administrator took away.
    let carol_roles = || async {
        let p =
            s.h.app
                .find_person_by_email("carol@r17.nhs.uk")
                .await
                .unwrap();
        let a = s.h.app.actor_of(&p).await.unwrap();
        s.h.app
            .my_roles(&a)
            .await
            .unwrap()
            .into_iter()
            .map(|g| (g.role, g.org_code))
            .collect::<Vec<_>>()
    };
    assert!(
        carol_roles()
            .await
            .contains(&(Role::OrgLead, Some("RX1".to_string())))
    );
    s.h.app
        .revoke_role(&Actor::cli(), carol, Role::OrgLead, Some("RX1"))
        .await
        .unwrap();
    s.h.app
        .set_person_active(&Actor::cli(), carol, false)
        .await
        .unwrap();
    let mut e = Browser::new();
    let off = e.sign_in(&s.palisade, "eve-sub").await;
    assert_eq!(off.status, 400, "{}", off.body);
    assert!(off.body.contains("switched off"), "{}", off.body);
    assert!(e.session().is_none());
    assert_eq!(
        carol_roles().await,
        vec![(Role::OrgMember, Some("R17".to_string()))]
    );
    // Only national administrators link, unlink and invite.
    let (_, _) =
        s.h.person("lead@r17.nhs.uk", Role::OrgLead, Some("R17"))
            .await;
    let lead =
        s.h.app
            .find_person_by_email("lead@r17.nhs.uk")
            .await
            .unwrap();
    let lead = s.h.app.actor_of(&lead).await.unwrap();
    assert!(s.h.app.invite_identity(&lead, carol).await.is_err());
    assert!(s.h.app.identities_of(&lead, carol).await.is_err());
}
per_engine!(
    sso_links_only_invited_people_and_never_by_an_email_alone,
    sso_links_only_invited_people_and_never_by_an_email_alone_sqlite,
    sso_links_only_invited_people_and_never_by_an_email_alone_postgres,
);

async fn sso_back_channel_logout_ends_the_session_and_refuses_bad_tokens(h: H) {
    let Some(script) = provider_script() else {
        return;
    };
    let mut s = sso(h, &script).await;
    let mut b = Browser::new();
    b.sign_in(&s.palisade, "alice-sub").await;
    let session = b.session().unwrap();
    assert!(signed_in(&s.h, &session).await);

    // Signing out at the provider (here at its end-session page, confirmed) tells every client
    // by back-channel: Palisade's session of that provider session ends within a moment.
    let end = format!(
        "{}/session/end?client_id={CLIENT_ID}&post_logout_redirect_uri={}",
        s.provider.issuer,
        urlenc(&format!("{}/sign-in", s.palisade))
    );
    let confirm = b.go("GET", &end, &[]).await;
    let xsrf = confirm
        .body
        .split("name=\"xsrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let ended = b
        .go(
            "POST",
            &form_action(&confirm),
            &[("xsrf", &xsrf), ("logout", "yes")],
        )
        .await;
    assert!(
        ended.url.starts_with(&format!("{}/sign-in", s.palisade)),
        "{}",
        ended.url
    );
    let mut gone = false;
    for _ in 0..50 {
        if !signed_in(&s.h, &session).await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the back-channel logout ended the session");

    // Signing out at Palisade goes on to the provider's end-session page (RP-initiated logout).
    let mut other = Browser::new();
    other.sign_in(&s.palisade, "alice-sub").await;
    let other_session = other.session().unwrap();
    let home = s.h.page(Method::GET, "/", &other_session, None).await;
    let csrf = csrf_of(&home.text());
    // A page, not a redirect, moves on to the provider: the app's `form-action 'self'` would
    // stop a browser following a form's redirect to another site.
    let (page, redirect) = other
        .once(
            "POST",
            &format!("{}/sign-out", s.palisade),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(redirect, None);
    let out = page
        .body
        .split("http-equiv=\"refresh\" content=\"0;url=")
        .nth(1)
        .expect("a page that moves on to the provider")
        .to_string();
    assert!(
        out.starts_with(&format!(
            "{}/session/end?client_id={CLIENT_ID}",
            s.provider.issuer
        )),
        "{out}"
    );
    assert!(!signed_in(&s.h, &other_session).await);

    // Tokens minted with the provider's key: one good, then bad ones, each refused with 400.
    let mut b = Browser::new();
    b.sign_in(&s.palisade, "alice-sub").await;
    let session = b.session().unwrap();
    let now = s.h.clock.now().unix_timestamp();
    let logout = |jti: &str, aud: &str, iat: i64| {
        json!({"iss": s.provider.issuer, "aud": aud, "iat": iat, "jti": jti, "sub": "alice-sub",
               "events": {"http://schemas.openid.net/event/backchannel-logout": {}}})
    };
    let post = |token: String| {
        let url = format!("{}/auth/oidc/test/backchannel-logout", s.palisade);
        async move {
            let res = reqwest::Client::new()
                .post(url)
                .form(&[("logout_token", token)])
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let typ = json!({"typ": "logout+jwt"});
    let good = s
        .provider
        .sign(logout("j-1", CLIENT_ID, now), typ.clone())
        .await;
    let wrong_aud = s
        .provider
        .sign(logout("j-2", "someone-else", now), typ.clone())
        .await;
    let stale = s
        .provider
        .sign(logout("j-3", CLIENT_ID, now - 3600), typ.clone())
        .await;
    let mut with_nonce = logout("j-4", CLIENT_ID, now);
    with_nonce["nonce"] = json!("n");
    let with_nonce = s.provider.sign(with_nonce, typ.clone()).await;
    // A token typed as something else (an ID token's "JWT") is not a logout token.
    let typed_as_id_token = s
        .provider
        .sign(logout("j-10", CLIENT_ID, now), json!({"typ": "JWT"}))
        .await;
    // Algorithm confusion: an unsigned token, and one signed with a shared secret.
    let unsigned = {
        use base64::Engine;
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            b64(json!({"alg": "none"})),
            b64(logout("j-8", CLIENT_ID, now))
        )
    };
    let hmac = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            typ: Some("logout+jwt".into()),
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        },
        &logout("j-9", CLIENT_ID, now),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let mut expired = logout("j-7", CLIENT_ID, now - 200);
    expired["exp"] = json!(now - 130);
    let expired = s.provider.sign(expired, typ.clone()).await;
    let mut tampered = s
        .provider
        .sign(logout("j-5", CLIENT_ID, now), typ.clone())
        .await;
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for (token, reason) in [
        (wrong_aud, "wrong_audience"),
        (stale, "issued_too_long_ago"),
        (with_nonce, "logout_token_has_nonce"),
        (expired, "expired"),
        (tampered, "bad_signature"),
        ("not.a.token".to_string(), "malformed_token"),
        (unsigned, "malformed_token"),
        (hmac, "unaccepted_algorithm"),
        (typed_as_id_token, "not_a_logout_token"),
    ] {
        let (status, body) = post(token).await;
        assert_eq!(
            (status, body.contains(reason)),
            (400, true),
            "{reason}: {body}"
        );
        assert!(signed_in(&s.h, &session).await, "{reason} ended nothing");
    }
    assert_eq!(post(good.clone()).await.0, 200);
    assert!(!signed_in(&s.h, &session).await);
    let (status, body) = post(good).await;
    assert_eq!(
        (status, body.contains("replayed_logout_token")),
        (400, true),
        "{body}"
    );

    // The provider rotates its key (a restart makes a new one): the next sign-in fetches the
    // new key and works, and a token of the old key no longer passes.
    let old = s
        .provider
        .sign(logout("j-6", CLIENT_ID, now), typ.clone())
        .await;
    s.provider.restart();
    let mut b = Browser::new();
    assert_eq!(b.sign_in(&s.palisade, "alice-sub").await.status, 200);
    assert!(signed_in(&s.h, &b.session().unwrap()).await);
    let (status, body) = post(old).await;
    assert_eq!(
        (status, body.contains("unknown_signing_key")),
        (400, true),
        "{body}"
    );

    // The audit log holds each step.
    let (_, admin) =
        s.h.person("admin@example.nhs.uk", Role::NationalAdmin, None)
            .await;
    let actions = s.h.audit_actions(&admin).await;
    for a in [
        "identity.link",
        "session.sign_in",
        "session.backchannel_logout",
        "role.grant",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}
per_engine!(
    sso_back_channel_logout_ends_the_session_and_refuses_bad_tokens,
    sso_back_channel_logout_ends_the_session_and_refuses_bad_tokens_sqlite,
    sso_back_channel_logout_ends_the_session_and_refuses_bad_tokens_postgres,
);

async fn sso_links_are_shown_and_changed_by_national_admins_only(h: H) {
    h.org("RX1", "acute_trust", "").await;
    h.person("admin@example.nhs.uk", Role::NationalAdmin, None)
        .await;
    let (bob, _) = h
        .person("bob@rx1.nhs.uk", Role::OrgMember, Some("RX1"))
        .await;
    h.person("lead@rx1.nhs.uk", Role::OrgLead, Some("RX1"))
        .await;
    let (admin, csrf) = h.sign_in("admin@example.nhs.uk", PASSWORD).await.unwrap();
    let page = h
        .page(Method::GET, &format!("/people/{bob}"), &admin, None)
        .await;
    assert!(
        page.text()
            .contains("No account at an identity provider is linked."),
        "{}",
        page.text()
    );
    let invite = format!("/people/{bob}/identities/invite");
    let res = h
        .page(
            Method::POST,
            &invite,
            &admin,
            Some(format!("csrf_token={csrf}")),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let invited = h
        .page(Method::GET, &format!("/people/{bob}"), &admin, None)
        .await
        .text();
    assert!(invited.contains("Invited on"), "{invited}");
    // Thirty days on, the invitation is spent by time: shown as none, and renewable.
    h.clock
        .advance(time::Duration::days(30) + time::Duration::seconds(1));
    // (The session has long ended too.)
    let (admin, csrf) = h.sign_in("admin@example.nhs.uk", PASSWORD).await.unwrap();
    let lapsed = h
        .page(Method::GET, &format!("/people/{bob}"), &admin, None)
        .await
        .text();
    assert!(
        !lapsed.contains("Invited on") && lapsed.contains("Invite to link at the next sign-in"),
        "{lapsed}"
    );
    let res = h
        .page(
            Method::POST,
            &invite,
            &admin,
            Some(format!("csrf_token={csrf}")),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    h.app
        .link_identity(
            &Actor::cli(),
            "bob@rx1.nhs.uk",
            "https://id.example.nhs.uk",
            "bob-7",
        )
        .await
        .unwrap();
    let page = h
        .page(Method::GET, &format!("/people/{bob}"), &admin, None)
        .await
        .text();
    assert!(
        page.contains("https://id.example.nhs.uk") && page.contains("bob-7"),
        "{page}"
    );
    assert!(
        !page.contains("Invited on"),
        "the link spent the invitation: {page}"
    );
    let id = h
        .app
        .identities_of(&Actor::cli(), bob)
        .await
        .unwrap()
        .identities[0]
        .id;
    let unlink = format!("/people/{bob}/identities/{id}/unlink");

    // An organisation lead sees the person but not their links, and cannot change them.
    let (lead, lead_csrf) = h.sign_in("lead@rx1.nhs.uk", PASSWORD).await.unwrap();
    let page = h
        .page(Method::GET, &format!("/people/{bob}"), &lead, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains("Single sign-on"));
    for path in [&invite, &unlink] {
        let res = h
            .page(
                Method::POST,
                path,
                &lead,
                Some(format!("csrf_token={lead_csrf}")),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }

    let res = h
        .page(
            Method::POST,
            &unlink,
            &admin,
            Some(format!("csrf_token={csrf}")),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        h.app
            .identities_of(&Actor::cli(), bob)
            .await
            .unwrap()
            .identities
            .is_empty()
    );
    let (_, token) = h
        .person("auditor@example.nhs.uk", Role::NationalAdmin, None)
        .await;
    let actions = h.audit_actions(&token).await;
    for a in ["identity.invite", "identity.link", "identity.unlink"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}
per_engine!(
    sso_links_are_shown_and_changed_by_national_admins_only,
    sso_links_are_shown_and_changed_by_national_admins_only_sqlite,
    sso_links_are_shown_and_changed_by_national_admins_only_postgres,
);

async fn sso_password_sign_in_can_be_switched_off(h: H) {
    h.org("RX1", "acute_trust", "").await;
    h.org("A81001", "gp_practice", "").await;
    h.person("admin@example.nhs.uk", Role::NationalAdmin, None)
        .await;
    h.person("lead@rx1.nhs.uk", Role::OrgLead, Some("RX1"))
        .await;
    h.person("gp@a81001.nhs.uk", Role::OrgLead, Some("A81001"))
        .await;
    // Off for people of general practices: the right password is told to use their provider;
    // a wrong one answers as ever, so the switch tells a guesser nothing.
    let h = h.with_app(|app| {
        *app = app.clone().with_sso(SsoSettings {
            password_off_for: vec![palisade_domain::org::OrgType::GpPractice],
            ..Default::default()
        });
    });
    assert!(h.sign_in("lead@rx1.nhs.uk", PASSWORD).await.is_ok());
    let refused = h.sign_in("gp@a81001.nhs.uk", PASSWORD).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused
            .text()
            .contains("Password sign-in is switched off for your account"),
        "{}",
        refused.text()
    );
    let wrong = h
        .sign_in("gp@a81001.nhs.uk", "not the password")
        .await
        .unwrap_err();
    assert!(
        wrong
            .text()
            .contains("Enter a correct email address and password")
    );

    // Off entirely: no password form, and a post is refused.
    let h = h.with_app(|app| {
        *app = app.clone().with_sso(SsoSettings {
            password_off: true,
            ..Default::default()
        });
    });
    assert!(
        !anonymous(&h, "/sign-in")
            .await
            .text()
            .contains("name=\"password\"")
    );
    let refused = h
        .sign_in("admin@example.nhs.uk", PASSWORD)
        .await
        .unwrap_err();
    assert!(refused.text().contains("Password sign-in is switched off"));
}
per_engine!(
    sso_password_sign_in_can_be_switched_off,
    sso_password_sign_in_can_be_switched_off_sqlite,
    sso_password_sign_in_can_be_switched_off_postgres,
);
