//! Settings: built-in defaults, then a TOML file, then environment variables and flags.

use anyhow::{Context, Result};
use palisade_app::AuthSettings;
use palisade_app::delivery::{Courier, DeliverySettings};
use palisade_delivery::{NotifyCourier, SmtpCourier};
use palisade_domain::incident::GradingRules;
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

pub const DEFAULT_DATABASE: &str = "sqlite://palisade.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Evidence documents live in this directory, beside a SQLite database file (or in the working
/// directory for PostgreSQL) unless configured otherwise.
pub const DEFAULT_EVIDENCE_DIR: &str = "palisade-evidence";

fn default_evidence_dir(database_url: &str) -> std::path::PathBuf {
    palisade_store::sqlite_path(database_url)
        .and_then(|file| file.parent().map(|dir| dir.join(DEFAULT_EVIDENCE_DIR)))
        .unwrap_or_else(|| DEFAULT_EVIDENCE_DIR.into())
}

/// The TOML file. Every key is optional.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    listen: Option<String>,
    max_connections: Option<u32>,
    cookie_secure: Option<bool>,
    session_idle_minutes: Option<i64>,
    session_absolute_hours: Option<i64>,
    lockout_threshold: Option<i64>,
    lockout_minutes: Option<i64>,
    evidence_dir: Option<String>,
    evidence_s3_bucket: Option<String>,
    evidence_s3_endpoint: Option<String>,
    evidence_s3_region: Option<String>,
    evidence_max_mb: Option<i64>,
    alert_prefix: Option<String>,
    alert_high_due_hours: Option<i64>,
    alert_medium_due_hours: Option<i64>,
    alert_update_days: Option<i64>,
    public_url: Option<String>,
    alert_publisher: Option<String>,
    alert_sms_severities: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    notify_api_key: Option<String>,
    notify_base_url: Option<String>,
    notify_sms_template_id: Option<String>,
    delivery_concurrency: Option<i64>,
    request_timeout_seconds: Option<i64>,
    header_read_timeout_seconds: Option<i64>,
    max_components_per_organisation: Option<i64>,
    /// A file for the exposure index between starts (each server its own).
    exposure_index_snapshot: Option<String>,
    max_client_connections: Option<i64>,
    national_figures_at_once: Option<i64>,
    rate_limit_per_second: Option<i64>,
    rate_limit_burst: Option<i64>,
    token_rate_limit_per_second: Option<i64>,
    token_rate_limit_burst: Option<i64>,
    sign_in_rate_limit_per_second: Option<i64>,
    sign_in_rate_limit_burst: Option<i64>,
    client_ip_header: Option<String>,
    metrics_token: Option<String>,
    /// Offsets before deadlines at which reminders go, comma-separated.
    reminder_alert_hours: Option<String>,
    reminder_assessment_days: Option<String>,
    reminder_baseline_days: Option<String>,
    reminder_plan_days: Option<String>,
    reminder_mitigation_days: Option<String>,
    reminder_charter_days: Option<String>,
    /// How often the reminder job runs.
    reminder_every_minutes: Option<i64>,
    /// The hour of the day (UK time) from which the daily digests of reminders go.
    reminder_digest_hour: Option<i64>,
    /// Where the feeds job reads the feeds: a directory, or an https:// address.
    feed_source: Option<String>,
    /// How often the feeds job reads them.
    feed_refresh_minutes: Option<i64>,
    /// The `[incident_grading]` table: the rules that turn an incident's grade into duties and
    /// deadlines. A key left out keeps its default. Set in the file only: the environment does
    /// not reach into tables.
    incident_grading: Option<GradingRules>,
    /// The `[oidc]` table: identity providers for single sign-on (`sso_config`).
    oidc: Option<crate::sso_config::OidcFile>,
}

/// File keys that hold a table, which no `PALISADE_<KEY>` variable sets.
const TABLES: [&str; 2] = ["incident_grading", "oidc"];

/// The GOV.UK Notify service, unless configured otherwise.
pub const DEFAULT_NOTIFY_URL: &str = "https://api.notifications.service.gov.uk";

/// Where notifications go: email over SMTP, text messages through GOV.UK Notify. A channel
/// left unconfigured keeps its messages in the outbox until it is configured.
#[derive(Clone, Default)]
pub struct DeliveryConfig {
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub notify_api_key: Option<String>,
    pub notify_base_url: String,
    pub notify_sms_template_id: Option<String>,
    /// Messages in flight at once, and so the most SMTP connections held open.
    pub concurrency: usize,
}

/// The most messages a worker keeps in flight (and connections it opens to the mail server).
const MAX_DELIVERY_CONCURRENCY: i64 = 256;

impl std::fmt::Debug for DeliveryConfig {
    // The SMTP URL may hold a password and the API key is a secret: neither is ever printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("smtp", &self.smtp_url.is_some())
            .field("mail_from", &self.mail_from)
            .field("notify", &self.notify_api_key.is_some())
            .field("notify_base_url", &self.notify_base_url)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl DeliveryConfig {
    /// How the worker paces itself.
    pub fn settings(&self) -> DeliverySettings {
        DeliverySettings {
            concurrency: self.concurrency,
            ..DeliverySettings::default()
        }
    }

    /// A courier for each configured channel; a configuration that cannot work is refused
    /// here, at start, not at the first message.
    pub fn couriers(&self) -> Result<Vec<Arc<dyn Courier>>> {
        let mut out: Vec<Arc<dyn Courier>> = Vec::new();
        if let Some(url) = &self.smtp_url {
            out.push(Arc::new(
                SmtpCourier::new(url, &self.mail_from, self.concurrency)
                    .map_err(|e| anyhow::anyhow!(e))?,
            ));
        }
        match (&self.notify_api_key, &self.notify_sms_template_id) {
            (Some(key), Some(template)) => out.push(Arc::new(
                NotifyCourier::new(
                    key,
                    &self.notify_base_url,
                    template,
                    Arc::new(palisade_domain::clock::SystemClock),
                )
                .map_err(|e| anyhow::anyhow!(e))?,
            )),
            (None, None) => {}
            _ => anyhow::bail!("set both notify_api_key and notify_sms_template_id, or neither"),
        }
        Ok(out)
    }
}

/// Where evidence documents are kept.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidenceStore {
    Local(std::path::PathBuf),
    S3(palisade_objects::S3Settings),
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen: String,
    pub max_connections: u32,
    pub cookie_secure: bool,
    pub evidence: EvidenceStore,
    pub evidence_max_bytes: usize,
    pub alerts: palisade_app::alerts::AlertSettings,
    pub delivery: DeliveryConfig,
    /// Longest a request may take before it is answered 503.
    pub request_timeout: std::time::Duration,
    pub connections: palisade_web::ConnectionLimits,
    /// Requests for the national figures one server works on at once.
    pub figures_at_once: usize,
    pub inventory: palisade_app::inventory::InventorySettings,
    pub rate_limits: palisade_web::RateLimits,
    /// The bearer token `/metrics` asks for; without one `/metrics` is not served.
    pub metrics_token: Option<palisade_web::Secret>,
    /// The incident grading rules, checked.
    pub incident_rules: GradingRules,
    pub reminders: palisade_app::reminders::ReminderSettings,
    pub jobs: palisade_app::jobs::JobSettings,
    /// Where the feeds job reads the feeds (a directory or a web address), checked.
    pub feed_source: Option<String>,
    /// The identity providers, checked, with their secrets.
    pub sso: crate::sso_config::SsoConfig,
    auth: AuthSettings,
}

/// A comma-separated list of offsets (`24, 4`), each a whole number from 0 up.
fn offsets(name: &str, raw: Option<&str>, default: Vec<i64>) -> Result<Vec<i64>> {
    let Some(raw) = raw else { return Ok(default) };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<i64>() {
            Ok(n) if (0..=3650).contains(&n) => Ok(n),
            _ => Err(anyhow::anyhow!(
                "{name}: '{s}' is not a whole number from 0 to 3650"
            )),
        })
        .collect()
}

/// The keys a configuration file may hold: `FileConfig`'s fields, as serde names them.
fn file_keys() -> Vec<String> {
    match serde_json::to_value(FileConfig::default()) {
        Ok(serde_json::Value::Object(m)) => m.into_iter().map(|(k, _)| k).collect(),
        _ => Vec::new(),
    }
}

impl Settings {
    /// Defaults, then the file, then `PALISADE_*` environment variables; `database` and `listen`
    /// come from flags or environment (clap merges those) and win over the file.
    pub fn load(
        file: Option<&Path>,
        database: Option<String>,
        listen: Option<String>,
    ) -> Result<Self> {
        Self::load_with(file, database, listen, &|k| std::env::var(k).ok())
    }

    fn load_with(
        file: Option<&Path>,
        database: Option<String>,
        listen: Option<String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        // Defaults, then the file, then `PALISADE_<KEY>` for each file key (other `PALISADE_*`
        // variables, such as `PALISADE_LOG`, are not configuration keys and are left alone).
        let mut sources = config::Config::builder();
        if let Some(p) = file {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            sources = sources.add_source(config::File::from_str(&text, config::FileFormat::Toml));
        }
        let vars: std::collections::HashMap<String, String> = file_keys()
            .into_iter()
            .filter(|k| !TABLES.contains(&k.as_str()))
            .filter_map(|k| {
                let var = format!("PALISADE_{}", k.to_ascii_uppercase());
                env(&var).map(|v| (var, v.trim().to_string()))
            })
            .collect();
        sources =
            sources.add_source(config::Environment::with_prefix("PALISADE").source(Some(vars)));
        let where_ = file.map_or_else(
            || "the environment".to_string(),
            |p| format!("{} or the environment", p.display()),
        );
        let fc: FileConfig = sources
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| anyhow::anyhow!("invalid configuration in {where_}: {e}"))?;
        let incident_rules = fc.incident_grading.unwrap_or_default();
        incident_rules.check().map_err(|errs| {
            let faults: Vec<String> = errs
                .0
                .iter()
                .map(|e| format!("incident_grading.{} {}", e.field, e.message))
                .collect();
            anyhow::anyhow!("{}", faults.join("; "))
        })?;
        let d = AuthSettings::default();
        let positive = |name: &str, v: Option<i64>| match v {
            Some(n) if n <= 0 => Err(anyhow::anyhow!("{name} must be a positive number")),
            other => Ok(other),
        };
        positive("max_connections", fc.max_connections.map(i64::from))?;
        positive("session_idle_minutes", fc.session_idle_minutes)?;
        positive("session_absolute_hours", fc.session_absolute_hours)?;
        positive("lockout_threshold", fc.lockout_threshold)?;
        positive("lockout_minutes", fc.lockout_minutes)?;
        positive("evidence_max_mb", fc.evidence_max_mb)?;
        positive("alert_high_due_hours", fc.alert_high_due_hours)?;
        positive("alert_medium_due_hours", fc.alert_medium_due_hours)?;
        positive("alert_update_days", fc.alert_update_days)?;
        positive("delivery_concurrency", fc.delivery_concurrency)?;
        positive("request_timeout_seconds", fc.request_timeout_seconds)?;
        positive(
            "header_read_timeout_seconds",
            fc.header_read_timeout_seconds,
        )?;
        positive(
            "max_components_per_organisation",
            fc.max_components_per_organisation,
        )?;
        positive("max_client_connections", fc.max_client_connections)?;
        positive("national_figures_at_once", fc.national_figures_at_once)?;
        positive("reminder_every_minutes", fc.reminder_every_minutes)?;
        positive("feed_refresh_minutes", fc.feed_refresh_minutes)?;
        let rd = palisade_app::reminders::ReminderSettings::default();
        let reminders = palisade_app::reminders::ReminderSettings {
            alert_hours: offsets(
                "reminder_alert_hours",
                fc.reminder_alert_hours.as_deref(),
                rd.alert_hours,
            )?,
            assessment_days: offsets(
                "reminder_assessment_days",
                fc.reminder_assessment_days.as_deref(),
                rd.assessment_days,
            )?,
            baseline_days: offsets(
                "reminder_baseline_days",
                fc.reminder_baseline_days.as_deref(),
                rd.baseline_days,
            )?,
            plan_days: offsets(
                "reminder_plan_days",
                fc.reminder_plan_days.as_deref(),
                rd.plan_days,
            )?,
            mitigation_days: offsets(
                "reminder_mitigation_days",
                fc.reminder_mitigation_days.as_deref(),
                rd.mitigation_days,
            )?,
            charter_days: offsets(
                "reminder_charter_days",
                fc.reminder_charter_days.as_deref(),
                rd.charter_days,
            )?,
            digest_hour: match fc.reminder_digest_hour {
                None => rd.digest_hour,
                Some(h) => u8::try_from(h).ok().filter(|h| *h < 24).ok_or_else(|| {
                    anyhow::anyhow!("reminder_digest_hour must be a whole hour from 0 to 23")
                })?,
            },
            batch: rd.batch,
        };
        let mut jobs = palisade_app::jobs::JobSettings::default();
        if let Some(m) = fc.reminder_every_minutes {
            jobs.reminders_every_secs = m * 60;
        }
        if let Some(m) = fc.feed_refresh_minutes {
            jobs.feeds_every_secs = m * 60;
        }
        let feed_source = fc
            .feed_source
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(location) = &feed_source {
            palisade_delivery::feeds::feed_source(location).map_err(|e| anyhow::anyhow!(e))?;
        }
        let rate = |name: &str, v: Option<i64>, default: std::num::NonZeroU32| match v {
            None => Ok(default),
            Some(n) => u32::try_from(n)
                .ok()
                .and_then(std::num::NonZeroU32::new)
                .ok_or_else(|| anyhow::anyhow!("{name} must be a positive number")),
        };
        let dl = palisade_web::RateLimits::default();
        let rate_limits =
            palisade_web::RateLimits {
                client: palisade_web::Rate {
                    per_second: rate(
                        "rate_limit_per_second",
                        fc.rate_limit_per_second,
                        dl.client.per_second,
                    )?,
                    burst: rate("rate_limit_burst", fc.rate_limit_burst, dl.client.burst)?,
                },
                token: palisade_web::Rate {
                    per_second: rate(
                        "token_rate_limit_per_second",
                        fc.token_rate_limit_per_second,
                        dl.token.per_second,
                    )?,
                    burst: rate(
                        "token_rate_limit_burst",
                        fc.token_rate_limit_burst,
                        dl.token.burst,
                    )?,
                },
                sign_in: palisade_web::Rate {
                    per_second: rate(
                        "sign_in_rate_limit_per_second",
                        fc.sign_in_rate_limit_per_second,
                        dl.sign_in.per_second,
                    )?,
                    burst: rate(
                        "sign_in_rate_limit_burst",
                        fc.sign_in_rate_limit_burst,
                        dl.sign_in.burst,
                    )?,
                },
                client_header: match fc.client_ip_header.filter(|h| !h.trim().is_empty()) {
                    None => None,
                    Some(h) => Some(h.trim().parse().map_err(|_| {
                        anyhow::anyhow!("client_ip_header {h:?} is not a header name")
                    })?),
                },
            };
        if fc
            .delivery_concurrency
            .is_some_and(|n| n > MAX_DELIVERY_CONCURRENCY)
        {
            anyhow::bail!("delivery_concurrency must be at most {MAX_DELIVERY_CONCURRENCY}");
        }
        let mut alerts = palisade_app::alerts::AlertSettings::default();
        if let Some(p) = &fc.alert_prefix {
            alerts.prefix = palisade_domain::alert::parse_prefix(p)
                .map_err(|m| anyhow::anyhow!("alert_prefix: {m}"))?;
        }
        for (severity, hours) in [
            (
                palisade_domain::alert::Severity::High,
                fc.alert_high_due_hours,
            ),
            (
                palisade_domain::alert::Severity::Medium,
                fc.alert_medium_due_hours,
            ),
        ] {
            if let Some(h) = hours {
                for entry in alerts.rules.due_secs.iter_mut() {
                    if entry.0 == severity {
                        entry.1 = Some(h * 3600);
                    }
                }
            }
        }
        if let Some(d) = fc.alert_update_days {
            alerts.rules.update_every_secs = d * 24 * 3600;
        }
        let listen = listen
            .or(fc.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        alerts.public_url = match fc.public_url {
            Some(u) => {
                let u = u.trim().trim_end_matches('/').to_string();
                let parsed = url::Url::parse(&u)
                    .map_err(|e| anyhow::anyhow!("public_url {u:?} is not a URL: {e}"))?;
                if !matches!(parsed.scheme(), "http" | "https")
                    || parsed.path() != "/"
                    || parsed.query().is_some()
                    || parsed.fragment().is_some()
                    || !parsed.username().is_empty()
                    || parsed.password().is_some()
                {
                    anyhow::bail!(
                        "public_url must be an http(s) address without a path, query or user, such as https://palisade.example.nhs.uk"
                    );
                }
                parsed.origin().ascii_serialization()
            }
            None => format!("http://{listen}"),
        };
        if let Some(p) = fc.alert_publisher.filter(|p| !p.trim().is_empty()) {
            alerts.publisher = p.trim().to_string();
        }
        if let Some(list) = &fc.alert_sms_severities {
            alerts.sms_severities = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<palisade_domain::alert::Severity>()
                        .map_err(|m| anyhow::anyhow!("alert_sms_severities: {m}"))
                })
                .collect::<anyhow::Result<_>>()?;
        }
        let database_url = database
            .or(fc.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        let evidence = match (fc.evidence_s3_bucket, fc.evidence_dir) {
            (Some(_), Some(_)) => {
                anyhow::bail!("set evidence_dir or evidence_s3_bucket, not both")
            }
            (Some(bucket), None) => EvidenceStore::S3(palisade_objects::S3Settings {
                bucket,
                endpoint: fc.evidence_s3_endpoint,
                region: fc.evidence_s3_region,
            }),
            (None, dir) => {
                if fc.evidence_s3_endpoint.is_some() || fc.evidence_s3_region.is_some() {
                    anyhow::bail!(
                        "evidence_s3_endpoint and evidence_s3_region need evidence_s3_bucket"
                    );
                }
                EvidenceStore::Local(
                    dir.map_or_else(|| default_evidence_dir(&database_url), Into::into),
                )
            }
        };
        Ok(Self {
            database_url,
            listen,
            max_connections: fc.max_connections.unwrap_or(8),
            cookie_secure: fc.cookie_secure.unwrap_or(true),
            evidence,
            alerts,
            delivery: DeliveryConfig {
                smtp_url: fc.smtp_url.filter(|u| !u.trim().is_empty()),
                mail_from: fc
                    .mail_from
                    .unwrap_or_else(|| "Palisade <alerts@palisade.invalid>".into()),
                notify_api_key: fc.notify_api_key.filter(|k| !k.trim().is_empty()),
                notify_base_url: fc
                    .notify_base_url
                    .unwrap_or_else(|| DEFAULT_NOTIFY_URL.into()),
                notify_sms_template_id: fc.notify_sms_template_id.filter(|t| !t.trim().is_empty()),
                concurrency: fc
                    .delivery_concurrency
                    .map_or(DeliverySettings::default().concurrency, |n| n as usize),
            },
            inventory: palisade_app::inventory::InventorySettings {
                max_components: fc
                    .max_components_per_organisation
                    .map_or(palisade_app::inventory::DEFAULT_MAX_COMPONENTS, |n| {
                        n as usize
                    }),
                index_snapshot: fc
                    .exposure_index_snapshot
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .map(std::path::PathBuf::from),
            },
            connections: {
                let d = palisade_web::ConnectionLimits::default();
                palisade_web::ConnectionLimits {
                    header_read_timeout: fc
                        .header_read_timeout_seconds
                        .map_or(d.header_read_timeout, |s| {
                            std::time::Duration::from_secs(s as u64)
                        }),
                    max_connections: fc
                        .max_client_connections
                        .map_or(d.max_connections, |n| n as usize),
                }
            },
            request_timeout: std::time::Duration::from_secs(
                fc.request_timeout_seconds.map_or(60, |s| s as u64),
            ),
            figures_at_once: fc
                .national_figures_at_once
                .map_or(palisade_web::default_figures_at_once(), |n| n as usize),
            rate_limits,
            metrics_token: fc
                .metrics_token
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .map(palisade_web::Secret),
            incident_rules,
            reminders,
            jobs,
            feed_source,
            sso: crate::sso_config::SsoConfig::check(fc.oidc.unwrap_or_default(), env)?,
            evidence_max_bytes: fc
                .evidence_max_mb
                .map_or(palisade_app::evidence::DEFAULT_MAX_EVIDENCE_BYTES, |mb| {
                    mb as usize * 1024 * 1024
                }),
            auth: AuthSettings {
                session_idle_secs: fc
                    .session_idle_minutes
                    .map_or(d.session_idle_secs, |m| m * 60),
                session_absolute_secs: fc
                    .session_absolute_hours
                    .map_or(d.session_absolute_secs, |h| h * 3600),
                lockout_threshold: fc.lockout_threshold.unwrap_or(d.lockout_threshold),
                lockout_secs: fc.lockout_minutes.map_or(d.lockout_secs, |m| m * 60),
            },
        })
    }

    /// The evidence store these settings name.
    pub fn objects(&self) -> Result<palisade_app::evidence::Objects> {
        let made = match &self.evidence {
            EvidenceStore::Local(dir) => palisade_objects::Storage::local(dir),
            EvidenceStore::S3(s3) => palisade_objects::Storage::s3(s3),
        };
        made.map(|s| s.into_objects(self.evidence_max_bytes))
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    pub fn auth(&self) -> AuthSettings {
        self.auth.clone()
    }

    /// The engine's name, for messages: the URL itself may hold a password and is never printed.
    pub fn engine_name(&self) -> &'static str {
        palisade_store::Engine::of_url(&self.database_url)
            .map(|e| e.name())
            .unwrap_or("unknown")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_defaults_to_the_listen_address_and_must_be_a_site_root() {
        let none = |_: &str| None;
        let d = Settings::load_with(None, None, Some("127.0.0.1:9".into()), &none).unwrap();
        assert_eq!(d.alerts.public_url, "http://127.0.0.1:9");
        let with = |url: &'static str| {
            move |k: &str| (k == "PALISADE_PUBLIC_URL").then(|| url.to_string())
        };
        let s = Settings::load_with(None, None, None, &with("https://p.example.nhs.uk/")).unwrap();
        assert_eq!(
            s.alerts.public_url, "https://p.example.nhs.uk",
            "no trailing slash"
        );
        for bad in [
            "p.example.nhs.uk",
            "ftp://p.example.nhs.uk",
            "https://p.example.nhs.uk/alerts",
            "https://p.example.nhs.uk/?x=1",
            "https://p.example.nhs.uk/#top",
            "https://user:secret@p.example.nhs.uk",
        ] {
            let e = Settings::load_with(None, None, None, &with(bad)).unwrap_err();
            assert!(e.to_string().contains("public_url"), "{bad}: {e}");
        }
    }

    #[test]
    fn request_limits_default_safely_and_refuse_nonsense() {
        let none = |_: &str| None;
        let d = Settings::load_with(None, None, None, &none).unwrap();
        assert_eq!(d.rate_limits, palisade_web::RateLimits::default());
        assert_eq!(d.request_timeout, std::time::Duration::from_secs(60));
        let env = |k: &str| match k {
            "PALISADE_RATE_LIMIT_PER_SECOND" => Some("5".to_string()),
            "PALISADE_TOKEN_RATE_LIMIT_BURST" => Some("9".to_string()),
            "PALISADE_SIGN_IN_RATE_LIMIT_BURST" => Some("7".to_string()),
            "PALISADE_CLIENT_IP_HEADER" => Some("X-Forwarded-For".to_string()),
            "PALISADE_REQUEST_TIMEOUT_SECONDS" => Some("15".to_string()),
            "PALISADE_MAX_CLIENT_CONNECTIONS" => Some("20".to_string()),
            "PALISADE_NATIONAL_FIGURES_AT_ONCE" => Some("3".to_string()),
            "PALISADE_MAX_COMPONENTS_PER_ORGANISATION" => Some("5000".to_string()),
            "PALISADE_EXPOSURE_INDEX_SNAPSHOT" => Some("/var/lib/palisade/index".to_string()),
            _ => None,
        };
        let s = Settings::load_with(None, None, None, &env).unwrap();
        assert_eq!(s.rate_limits.client.per_second.get(), 5);
        assert_eq!(s.rate_limits.client.burst, d.rate_limits.client.burst);
        assert_eq!(s.rate_limits.token.burst.get(), 9);
        assert_eq!(s.rate_limits.sign_in.burst.get(), 7);
        assert_eq!(
            s.rate_limits.sign_in.per_second,
            d.rate_limits.sign_in.per_second
        );
        assert_eq!(
            s.rate_limits.client_header.as_ref().map(|h| h.as_str()),
            Some("x-forwarded-for")
        );
        assert_eq!(s.request_timeout, std::time::Duration::from_secs(15));
        assert_eq!(s.connections.max_connections, 20);
        assert_eq!(s.figures_at_once, 3);
        assert_eq!(s.inventory.max_components, 5000);
        assert_eq!(
            s.inventory.index_snapshot.as_deref(),
            Some(std::path::Path::new("/var/lib/palisade/index"))
        );
        assert_eq!(
            d.inventory,
            palisade_app::inventory::InventorySettings::default()
        );
        assert_eq!(
            s.connections.header_read_timeout,
            d.connections.header_read_timeout
        );
        for (key, bad) in [
            ("PALISADE_RATE_LIMIT_PER_SECOND", "0"),
            ("PALISADE_RATE_LIMIT_BURST", "-3"),
            ("PALISADE_TOKEN_RATE_LIMIT_PER_SECOND", "99999999999"),
            ("PALISADE_REQUEST_TIMEOUT_SECONDS", "0"),
            ("PALISADE_NATIONAL_FIGURES_AT_ONCE", "0"),
            ("PALISADE_CLIENT_IP_HEADER", "not a header"),
        ] {
            let env = move |k: &str| (k == key).then(|| bad.to_string());
            let e = Settings::load_with(None, None, None, &env).unwrap_err();
            let name = key.trim_start_matches("PALISADE_").to_ascii_lowercase();
            assert!(e.to_string().contains(&name), "{key}={bad}: {e}");
        }
    }

    #[test]
    fn delivery_concurrency_defaults_to_the_worker_and_is_bounded() {
        let none = |_: &str| None;
        let d = Settings::load_with(None, None, None, &none).unwrap();
        assert_eq!(
            d.delivery.settings().concurrency,
            DeliverySettings::default().concurrency
        );
        let with = |n: &'static str| {
            move |k: &str| (k == "PALISADE_DELIVERY_CONCURRENCY").then(|| n.to_string())
        };
        let s = Settings::load_with(None, None, None, &with("8")).unwrap();
        assert_eq!(s.delivery.settings().concurrency, 8);
        assert_eq!(
            Settings::load_with(None, None, None, &with("256"))
                .unwrap()
                .delivery
                .concurrency,
            256
        );
        for bad in ["0", "-1", "257", "many"] {
            let e = Settings::load_with(None, None, None, &with(bad)).unwrap_err();
            assert!(e.to_string().contains("delivery_concurrency"), "{bad}: {e}");
        }
    }

    #[test]
    fn flags_win_over_file_over_defaults() {
        let dir = std::env::temp_dir().join(format!("palisade-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("p.toml");
        std::fs::write(&f, "database_url = \"sqlite://file.db\"\nlisten = \"0.0.0.0:9\"\nsession_idle_minutes = 5\n").unwrap();
        let s = Settings::load(Some(&f), None, Some("127.0.0.1:1".into())).unwrap();
        assert_eq!(s.database_url, "sqlite://file.db");
        assert_eq!(s.listen, "127.0.0.1:1");
        assert_eq!(s.auth().session_idle_secs, 300);
        let d = Settings::load(None, None, None).unwrap();
        assert_eq!(
            (d.database_url.as_str(), d.listen.as_str()),
            (DEFAULT_DATABASE, DEFAULT_LISTEN)
        );
        let env = |k: &str| match k {
            "PALISADE_SESSION_IDLE_MINUTES" => Some("7".to_string()),
            "PALISADE_COOKIE_SECURE" => Some("false".to_string()),
            _ => None,
        };
        let e = Settings::load_with(Some(&f), None, None, &env).unwrap();
        assert_eq!(
            (e.auth().session_idle_secs, e.cookie_secure),
            (420, false),
            "environment wins over the file"
        );
        let bad = |k: &str| (k == "PALISADE_LOCKOUT_MINUTES").then(|| "soon".to_string());
        assert!(
            Settings::load_with(None, None, None, &bad)
                .unwrap_err()
                .to_string()
                .contains("lockout_minutes")
        );
        // Only file keys are looked up, so this holds by construction; the binary's tests run
        // `serve` with PALISADE_LOG set, which is where a regression would show.
        let unrelated = |k: &str| (k == "PALISADE_LOG").then(|| "debug".to_string());
        assert!(
            Settings::load_with(None, None, None, &unrelated).is_ok(),
            "PALISADE_LOG and the like are not configuration keys"
        );
        let zero = |k: &str| (k == "PALISADE_SESSION_IDLE_MINUTES").then(|| "0".to_string());
        assert!(Settings::load_with(None, None, None, &zero).is_err());
        assert_eq!(
            (d.evidence.clone(), d.evidence_max_bytes),
            (
                EvidenceStore::Local(DEFAULT_EVIDENCE_DIR.into()),
                palisade_app::evidence::DEFAULT_MAX_EVIDENCE_BYTES
            )
        );
        let beside = Settings::load(
            None,
            Some("sqlite:///srv/p/palisade.db?mode=rwc".into()),
            None,
        )
        .unwrap();
        assert_eq!(
            beside.evidence,
            EvidenceStore::Local("/srv/p/palisade-evidence".into())
        );
        let s3 = |k: &str| match k {
            "PALISADE_EVIDENCE_S3_BUCKET" => Some("evidence".to_string()),
            "PALISADE_EVIDENCE_S3_ENDPOINT" => Some("http://127.0.0.1:9000".to_string()),
            "PALISADE_EVIDENCE_MAX_MB" => Some("5".to_string()),
            _ => None,
        };
        let e = Settings::load_with(None, None, None, &s3).unwrap();
        assert_eq!(
            e.evidence,
            EvidenceStore::S3(palisade_objects::S3Settings {
                bucket: "evidence".into(),
                endpoint: Some("http://127.0.0.1:9000".into()),
                region: None,
            })
        );
        assert_eq!(e.evidence_max_bytes, 5 * 1024 * 1024);
        let both = |k: &str| match k {
            "PALISADE_EVIDENCE_S3_BUCKET" | "PALISADE_EVIDENCE_DIR" => Some("x".to_string()),
            _ => None,
        };
        assert!(Settings::load_with(None, None, None, &both).is_err());
        std::fs::write(&f, "databse_url = \"x\"\n").unwrap();
        assert!(
            Settings::load(Some(&f), None, None).is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn incident_grading_is_a_table_whose_missing_keys_keep_their_defaults() {
        let dir = std::env::temp_dir().join(format!("palisade-cfg-grading-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("grading.toml");
        let load = |toml: &str| {
            std::fs::write(&f, toml).unwrap();
            Settings::load_with(Some(&f), None, None, &|_: &str| None)
        };
        let none = |_: &str| None;
        let d = Settings::load_with(None, None, None, &none).unwrap();
        assert_eq!(d.incident_rules, GradingRules::default());
        let s =
            load("listen = \"127.0.0.1:9\"\n\n[incident_grading]\nregulator_hours = 48\n").unwrap();
        assert_eq!(
            s.incident_rules,
            GradingRules {
                regulator_hours: 48,
                ..GradingRules::default()
            }
        );
        let s = load("[incident_grading]\nwarn_at_percent = [25, 50, 90]\nnis_min_impact = 4\n")
            .unwrap();
        assert_eq!(
            (
                s.incident_rules.warn_at_percent,
                s.incident_rules.nis_min_impact
            ),
            (vec![25, 50, 90], 4)
        );
        for (toml, key) in [
            (
                "warn_at_percent = [80, 50]",
                "incident_grading.warn_at_percent",
            ),
            (
                "regulator_min_impact = 0",
                "incident_grading.regulator_min_impact",
            ),
            ("nis_final_days = 0", "incident_grading.nis_final_days"),
            (
                "nis_initial_hours = 96",
                "incident_grading.nis_initial_hours",
            ),
            ("regulatr_hours = 48", "regulatr_hours"),
            ("regulator_hours = \"soon\"", "regulator_hours"),
            ("nis_min_impact = 300", "nis_min_impact"),
        ] {
            let e = load(&format!("[incident_grading]\n{toml}\n")).unwrap_err();
            assert!(e.to_string().contains(key), "{toml}: {e}");
        }
        let env = |k: &str| (k == "PALISADE_INCIDENT_GRADING").then(|| "x".to_string());
        assert_eq!(
            Settings::load_with(None, None, None, &env)
                .unwrap()
                .incident_rules,
            GradingRules::default(),
            "the environment does not set the table"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
