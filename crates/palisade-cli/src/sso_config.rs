//! The `[oidc]` table of the configuration file: the identity providers people may sign in with,
//! and where password sign-in is switched off. A provider's client secret is never in the file:
//! it comes from `PALISADE_OIDC_<NAME>_CLIENT_SECRET`.

use anyhow::Result;
use palisade_app::sso::{SsoProvider, SsoSettings};
use palisade_delivery::oidc::{OidcClient, OidcConfig};
use palisade_domain::org::OrgType;
use palisade_domain::sso::RoleClaims;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcFile {
    /// `false` switches password sign-in off for everyone.
    #[serde(default)]
    pub password_sign_in: Option<bool>,
    /// Kinds of organisation whose people must use single sign-on.
    #[serde(default)]
    pub password_off_for: Vec<String>,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderFile>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderFile {
    /// The issuer exactly as the provider's tokens name it (discovery is read beneath it).
    pub issuer: String,
    pub client_id: String,
    /// On the sign-in button ("Sign in with ..."); the provider's name when unset.
    pub label: Option<String>,
    /// Scopes beyond `openid` (default: `email profile`).
    pub scopes: Option<Vec<String>>,
    /// The least seconds between two fetches of the keys for an unknown key id (default 60).
    pub key_refresh_seconds: Option<u64>,
    /// How claims grant roles (none when unset).
    pub role_claims: Option<RoleClaims>,
    /// Whether a first sign-in of someone neither linked nor invited makes a new person without
    /// roles (default true); false refuses them until an administrator invites or links them.
    pub create_accounts: Option<bool>,
}

/// The providers, checked: names usable in an address, an issuer each, a secret each.
#[derive(Clone, Default)]
pub struct SsoConfig {
    file: OidcFile,
    /// Never printed: the `Debug` below names the providers that have one.
    secrets: BTreeMap<String, String>,
    off_for: Vec<OrgType>,
}

impl std::fmt::Debug for SsoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoConfig")
            .field("file", &self.file)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("off_for", &self.off_for)
            .finish()
    }
}

/// The environment variable holding a provider's client secret.
pub fn secret_variable(name: &str) -> String {
    format!(
        "PALISADE_OIDC_{}_CLIENT_SECRET",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

impl SsoConfig {
    pub fn check(file: OidcFile, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let mut secrets = BTreeMap::new();
        for (name, p) in &file.providers {
            let ok = !name.is_empty()
                && name.len() <= 32
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                anyhow::bail!(
                    "oidc.providers.{name}: a provider's name is 1 to 32 lower-case letters, digits or hyphens"
                );
            }
            if p.issuer.trim().is_empty() || p.client_id.trim().is_empty() {
                anyhow::bail!("oidc.providers.{name}: issuer and client_id are required");
            }
            let var = secret_variable(name);
            let secret = env(&var)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!("oidc.providers.{name}: set its client secret in {var}")
                })?;
            if let Some(rc) = &p.role_claims
                && (rc.org_claim.is_empty() || rc.role_claim.is_empty())
            {
                anyhow::bail!(
                    "oidc.providers.{name}.role_claims: org_claim and role_claim are required"
                );
            }
            secrets.insert(name.clone(), secret);
        }
        let off_for = file
            .password_off_for
            .iter()
            .map(|t| {
                t.parse::<OrgType>()
                    .map_err(|e| anyhow::anyhow!("oidc.password_off_for: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        if file.password_sign_in == Some(false) && file.providers.is_empty() {
            anyhow::bail!(
                "oidc.password_sign_in is false but no provider is configured: nobody could sign in"
            );
        }
        let cfg = Self {
            file,
            secrets,
            off_for,
        };
        // Each client is made once here, so a bad issuer address fails the start, not a sign-in.
        cfg.settings()?;
        Ok(cfg)
    }

    /// The app's settings, with a client per provider.
    pub fn settings(&self) -> Result<SsoSettings> {
        let mut providers = Vec::new();
        for (name, p) in &self.file.providers {
            let client = OidcClient::new(OidcConfig {
                issuer: p.issuer.trim().to_string(),
                client_id: p.client_id.trim().to_string(),
                client_secret: self.secrets.get(name).cloned().unwrap_or_default(),
                scopes: p
                    .scopes
                    .clone()
                    .unwrap_or_else(|| vec!["email".into(), "profile".into()]),
                key_refresh_interval: Duration::from_secs(p.key_refresh_seconds.unwrap_or(60)),
            })
            .map_err(|e| anyhow::anyhow!("oidc.providers.{name}: {e}"))?;
            providers.push(SsoProvider {
                name: name.clone(),
                label: p.label.clone().unwrap_or_else(|| name.clone()),
                client: Arc::new(client),
                role_claims: p.role_claims.clone(),
                create_accounts: p.create_accounts.unwrap_or(true),
            });
        }
        Ok(SsoSettings {
            providers,
            password_off: self.file.password_sign_in == Some(false),
            password_off_for: self.off_for.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<OidcFile, config::ConfigError> {
        config::Config::builder()
            .add_source(config::File::from_str(toml_text, config::FileFormat::Toml))
            .build()?
            .get::<OidcFile>("oidc")
    }

    fn file(toml_text: &str) -> OidcFile {
        parse(toml_text).unwrap()
    }

    #[test]
    fn providers_need_a_good_name_an_issuer_and_a_secret_from_the_environment() {
        let f = file(
            r#"
            [oidc]
            password_off_for = ["gp_practice"]
            [oidc.providers.nhs-login]
            issuer = "https://id.example.nhs.uk"
            client_id = "palisade"
            label = "NHS Care Identity"
            [oidc.providers.nhs-login.role_claims]
            org_claim = "org_code"
            role_claim = "nhs_roles"
            roles = { lead = "org_lead", staff = "org_member" }
            org_types = ["acute_trust"]
            "#,
        );
        let none = |_: &str| None;
        let err = SsoConfig::check(f.clone(), &none).unwrap_err().to_string();
        assert!(
            err.contains("PALISADE_OIDC_NHS_LOGIN_CLIENT_SECRET"),
            "{err}"
        );
        let env = |k: &str| (k == "PALISADE_OIDC_NHS_LOGIN_CLIENT_SECRET").then(|| "s".to_string());
        let s = SsoConfig::check(f.clone(), &env)
            .unwrap()
            .settings()
            .unwrap();
        assert_eq!(s.providers[0].label, "NHS Care Identity");
        assert_eq!(s.password_off_for, vec![OrgType::GpPractice]);
        assert!(!s.password_off);
        assert!(s.providers[0].create_accounts);
        let rc = s.providers[0].role_claims.clone().unwrap();
        assert_eq!(rc.org_types, vec![OrgType::AcuteTrust]);
        // The secret never shows in the settings' debug output.
        let shown = format!("{:?}", SsoConfig::check(f.clone(), &env).unwrap());
        assert!(
            shown.contains("nhs-login") && !shown.contains("\"s\""),
            "{shown}"
        );

        let mut bad = f.clone();
        let p = bad.providers.remove("nhs-login").unwrap();
        bad.providers.insert("NHS Login".into(), p.clone());
        assert!(
            SsoConfig::check(bad, &env)
                .unwrap_err()
                .to_string()
                .contains("lower-case")
        );
        let mut http = f.clone();
        http.providers.get_mut("nhs-login").unwrap().issuer = "http://id.example.nhs.uk".into();
        assert!(
            SsoConfig::check(http, &env)
                .unwrap_err()
                .to_string()
                .contains("https://")
        );
        let nobody = OidcFile {
            password_sign_in: Some(false),
            ..Default::default()
        };
        assert!(SsoConfig::check(nobody, &env).is_err());
        // A secret in the file is refused: it belongs in the environment.
        let with_secret =
            "[oidc.providers.x]\nissuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = \"s\"";
        assert!(
            parse(with_secret)
                .unwrap_err()
                .to_string()
                .contains("client_secret")
        );
        // Role values keep their case, as providers send them.
        let cased = "[oidc.providers.x]\nissuer = \"https://i\"\nclient_id = \"c\"\n[oidc.providers.x.role_claims]\norg_claim = \"org\"\nrole_claim = \"roles\"\nroles = { R8000 = \"org_lead\" }";
        let rc = file(cased).providers["x"].role_claims.clone().unwrap();
        assert!(rc.roles.contains_key("R8000"), "{rc:?}");
    }
}
