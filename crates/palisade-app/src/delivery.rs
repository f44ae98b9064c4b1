//! Delivering the outbox: email over SMTP and text messages through GOV.UK Notify.
//!
//! Every message was written to the outbox in the same transaction as the change that caused
//! it. A background worker claims due messages for a while (a lease), hands each to the courier
//! of its channel, and marks it sent, to be retried later (with exponential backoff), or given
//! up (only when the provider refuses it for good, such as an invalid address). The two
//! channels are independent: text messages go out while the mail server is down. A stopped
//! worker's claims run out and the messages are claimed again; a message marked sent is never
//! sent again. The one window left is a crash between the provider accepting a message and the
//! mark: each email carries a Message-ID and each text a Notify `reference` made from the
//! message's unique key, so a copy sent twice can be recognised.

use crate::{App, Result};
use async_trait::async_trait;
use futures_util::StreamExt;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use palisade_store::OutboxMessage;
use std::sync::Arc;
use std::time::Duration;

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth trying again later: the provider is down, busy or unreachable.
    Transient(String),
    /// The provider refused the message itself (an invalid address or number).
    Permanent(String),
}

/// Sends messages of one channel.
#[async_trait]
pub trait Courier: Send + Sync {
    /// `email` or `sms`, as in the outbox.
    fn channel(&self) -> &'static str;
    /// Sends one message, returning the provider's reference for it.
    async fn send(&self, message: &OutboxMessage) -> std::result::Result<Option<String>, Failure>;
}

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Messages claimed at a time.
    pub batch: i64,
    /// Messages in flight at once.
    pub concurrency: usize,
    /// The first retry waits this long; each further one twice as long, up to `retry_max_secs`.
    pub retry_base_secs: i64,
    pub retry_max_secs: i64,
    /// The pause between rounds when there is nothing to send.
    pub poll: Duration,
    /// The longest one message may take to send, whatever the courier does.
    pub send_timeout: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            batch: 200,
            concurrency: 64,
            retry_base_secs: 30,
            retry_max_secs: 3600,
            poll: Duration::from_secs(5),
            send_timeout: SEND_TIMEOUT,
        }
    }
}

/// The longest one message may take to send, by default (each courier's own timeout too).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

impl DeliverySettings {
    /// How long a claim holds before another worker may take its messages: long enough for the
    /// whole batch to be sent, slot by slot, each at its timeout, so a slow batch is never
    /// claimed (and sent) a second time while it is still going.
    pub fn lease_secs(&self) -> i64 {
        let slots = self.concurrency.max(1) as i64;
        let rounds = (self.batch.max(1) + slots - 1) / slots;
        (rounds + 1) * self.send_timeout.as_secs().max(1) as i64
    }

    /// The wait before the next attempt after `attempts` failed ones (at least one).
    pub fn backoff(&self, attempts: i64) -> i64 {
        let doublings = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(20);
        self.retry_base_secs
            .saturating_mul(1_i64 << doublings)
            .min(self.retry_max_secs)
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retried: usize,
    pub gave_up: usize,
}

impl Round {
    pub fn handled(&self) -> usize {
        self.sent + self.retried + self.gave_up
    }
}

impl App {
    /// Claims the due messages of the couriers' channels and sends them.
    pub async fn deliver_due(
        &self,
        couriers: &[Arc<dyn Courier>],
        settings: &DeliverySettings,
    ) -> Result<Round> {
        let channels: Vec<&str> = couriers.iter().map(|c| c.channel()).collect();
        let now = self.now();
        let claimed = self
            .store
            .claim_outbox(&channels, now, now + settings.lease_secs(), settings.batch)
            .await?;
        let outcomes: Vec<Result<Outcome>> = futures_util::stream::iter(claimed)
            .map(|m| async move {
                let courier = couriers
                    .iter()
                    .find(|c| c.channel() == m.channel)
                    .expect("only the couriers' channels are claimed");
                // A peer that accepts and then never answers must not hold the round (and
                // with it the other channel and escalations) past the message's lease.
                let result = tokio::time::timeout(settings.send_timeout, courier.send(&m))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Failure::Transient(format!(
                            "no answer within {} s",
                            settings.send_timeout.as_secs_f64()
                        )))
                    });
                let at = self.now();
                Ok(match result {
                    Ok(provider_ref) => {
                        self.store
                            .outbox_sent(m.id, at, provider_ref.as_deref())
                            .await?;
                        Outcome::Sent
                    }
                    Err(Failure::Transient(e)) => {
                        let retry_at = at + settings.backoff(m.attempts + 1);
                        tracing::warn!(id = m.id, channel = %m.channel, attempts = m.attempts + 1, error = %e, "delivery failed; will retry");
                        self.store
                            .outbox_failed(m.id, at, &e, Some(retry_at))
                            .await?;
                        Outcome::Retried
                    }
                    Err(Failure::Permanent(e)) => {
                        tracing::warn!(id = m.id, channel = %m.channel, error = %e, "delivery refused; given up");
                        self.store.outbox_failed(m.id, at, &e, None).await?;
                        Outcome::GaveUp
                    }
                })
            })
            .buffer_unordered(settings.concurrency.max(1))
            .collect()
            .await;
        let mut round = Round::default();
        for o in outcomes {
            match o? {
                Outcome::Sent => round.sent += 1,
                Outcome::Retried => round.retried += 1,
                Outcome::GaveUp => round.gave_up += 1,
            }
        }
        Ok(round)
    }
}

enum Outcome {
    Sent,
    Retried,
    GaveUp,
}

/// Runs until `stop` turns true: escalates late responses, then delivers whatever is due, and
/// sleeps when there is nothing left. Errors are logged and the loop goes on.
pub async fn run_worker(
    app: App,
    couriers: Vec<Arc<dyn Courier>>,
    settings: DeliverySettings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = app.escalate_late().await {
            tracing::error!(error = %e, "escalating late responses failed");
        }
        let mut busy = false;
        if !couriers.is_empty() {
            match app.deliver_due(&couriers, &settings).await {
                Ok(round) => busy = round.handled() as i64 >= settings.batch,
                Err(e) => tracing::error!(error = %e, "delivering the outbox failed"),
            }
        }
        if *stop.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

/// Email over SMTP, through a pool of connections.
pub struct SmtpCourier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpCourier {
    /// `url` as `smtp://host:port` (plain, for a relay on a trusted network),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://user:password@host:465`; at most
    /// `connections` open at once (one per message in flight).
    pub fn new(url: &str, from: &str, connections: usize) -> std::result::Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(SEND_TIMEOUT))
            .pool_config(
                lettre::transport::smtp::PoolConfig::new()
                    .max_size(u32::try_from(connections.max(1)).unwrap_or(u32::MAX)),
            )
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("mail_from '{from}': {e}"))?;
        Ok(Self { transport, from })
    }
}

/// A Message-ID from a message's unique outbox key.
fn message_id(key: &str) -> String {
    let local: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("<{local}@palisade.invalid>")
}

#[async_trait]
impl Courier for SmtpCourier {
    fn channel(&self) -> &'static str {
        "email"
    }

    async fn send(&self, m: &OutboxMessage) -> std::result::Result<Option<String>, Failure> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| Failure::Permanent(format!("recipient: {e}")))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&m.subject)
            .message_id(Some(message_id(&m.key)))
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())
            .map_err(|e| Failure::Permanent(format!("message: {e}")))?;
        match self.transport.send(email).await {
            Ok(response) => Ok(Some(response.code().to_string())),
            Err(e) if e.is_permanent() && refuses_the_message(e.status()) => {
                Err(Failure::Permanent(e.to_string()))
            }
            Err(e) => Err(Failure::Transient(e.to_string())),
        }
    }
}

/// Whether a permanent SMTP reply refuses the message itself (an unknown mailbox, a rejected
/// message) rather than Palisade's own standing with the server: 53x replies (authentication
/// required or failed, encryption needed) come from the configuration, and every message would
/// be lost to them, so they are retried until the configuration is put right.
fn refuses_the_message(code: Option<lettre::transport::smtp::response::Code>) -> bool {
    code.is_none_or(|c| !c.to_string().starts_with("53"))
}

/// Text messages through the GOV.UK Notify REST API (`POST /v2/notifications/sms`), signed with
/// a JSON Web Token made from the API key.
pub struct NotifyCourier {
    client: reqwest::Client,
    base_url: String,
    service_id: String,
    secret: jsonwebtoken::EncodingKey,
    template_id: String,
    clock: Arc<dyn palisade_domain::clock::Clock>,
}

/// An API key ends with the service id and the secret, two UUIDs of 36 characters each.
fn split_api_key(key: &str) -> Option<(&str, &str)> {
    let key = key.trim();
    let n = key.len();
    if n < 73 || !key.is_char_boundary(n - 73) {
        return None;
    }
    let service = &key[n - 73..n - 37];
    let secret = &key[n - 36..];
    let uuid = |s: &str| uuid::Uuid::try_parse(s).is_ok();
    (key.as_bytes()[n - 37] == b'-' && uuid(service) && uuid(secret)).then_some((service, secret))
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
}

#[derive(serde::Deserialize)]
struct NotifyCreated {
    id: String,
}

#[derive(serde::Deserialize)]
struct NotifyErrors {
    errors: Vec<NotifyError>,
}

#[derive(serde::Deserialize)]
struct NotifyError {
    error: String,
    message: String,
}

impl NotifyCourier {
    pub fn new(
        api_key: &str,
        base_url: &str,
        template_id: &str,
        clock: Arc<dyn palisade_domain::clock::Clock>,
    ) -> std::result::Result<Self, String> {
        let (service_id, secret) = split_api_key(api_key).ok_or(
            "notify_api_key: not a GOV.UK Notify API key (name, service id and secret key)",
        )?;
        uuid::Uuid::try_parse(template_id)
            .map_err(|_| format!("notify_sms_template_id '{template_id}' is not a template id"))?;
        let client = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .build()
            .map_err(|e| format!("notify: {e}"))?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            service_id: service_id.to_string(),
            secret: jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            template_id: template_id.to_string(),
            clock,
        })
    }

    fn token(&self) -> std::result::Result<String, Failure> {
        let claims = Claims {
            iss: &self.service_id,
            iat: self.clock.now().unix_timestamp(),
        };
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &self.secret)
            .map_err(|e| Failure::Transient(format!("token: {e}")))
    }
}

#[async_trait]
impl Courier for NotifyCourier {
    fn channel(&self) -> &'static str {
        "sms"
    }

    async fn send(&self, m: &OutboxMessage) -> std::result::Result<Option<String>, Failure> {
        let body = serde_json::json!({
            "phone_number": m.recipient,
            "template_id": self.template_id,
            "personalisation": {"body": m.body},
            "reference": m.key,
        });
        let response = self
            .client
            .post(format!("{}/v2/notifications/sms", self.base_url))
            .bearer_auth(self.token()?)
            .json(&body)
            .send()
            .await
            .map_err(|e| Failure::Transient(format!("notify: {e}")))?;
        let status = response.status();
        if status.is_success() {
            let created: NotifyCreated = response
                .json()
                .await
                .map_err(|e| Failure::Transient(format!("notify response: {e}")))?;
            return Ok(Some(created.id));
        }
        let text = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<NotifyErrors>(&text)
            .ok()
            .and_then(|e| e.errors.into_iter().next())
            .map(|e| format!("{}: {}", e.error, e.message))
            .unwrap_or_else(|| text.chars().take(200).collect());
        let message = format!("notify {}: {detail}", status.as_u16());
        // 400 is the message itself (an invalid number, a missing template); the rest (403 a
        // key being rotated, 429 the rate limit, 5xx) may pass later.
        if status == reqwest::StatusCode::BAD_REQUEST {
            Err(Failure::Permanent(message))
        } else {
            Err(Failure::Transient(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_of_the_message_itself_are_final() {
        use lettre::transport::smtp::response::{Category, Code, Detail, Severity};
        let code = |c, d| Some(Code::new(Severity::PermanentNegativeCompletion, c, d));
        // 550 no such mailbox, 554 rejected: final.
        assert!(refuses_the_message(code(
            Category::MailSystem,
            Detail::Zero
        )));
        assert!(refuses_the_message(code(
            Category::MailSystem,
            Detail::Four
        )));
        // 530 authentication required, 535 bad credentials: the configuration, retried.
        assert!(!refuses_the_message(code(
            Category::Unspecified3,
            Detail::Zero
        )));
        assert!(!refuses_the_message(code(
            Category::Unspecified3,
            Detail::Five
        )));
        assert!(
            refuses_the_message(None),
            "a permanent error without a reply"
        );
    }

    #[test]
    fn a_claim_outlasts_its_slowest_batch() {
        let s = DeliverySettings::default();
        // 200 messages, 64 at a time: 4 rounds at 30 s each, and one to spare.
        assert_eq!(s.lease_secs(), 5 * 30);
        let one = DeliverySettings {
            batch: 1,
            concurrency: 0,
            ..s
        };
        assert_eq!(one.lease_secs(), 2 * 30);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = DeliverySettings::default();
        assert_eq!(s.backoff(1), 30);
        assert_eq!(s.backoff(2), 60);
        assert_eq!(s.backoff(3), 120);
        assert_eq!(s.backoff(8), 3600);
        assert_eq!(s.backoff(1000), 3600);
    }

    #[test]
    fn api_keys_split_into_service_and_secret() {
        let key = "palisade_live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
        assert_eq!(
            split_api_key(key),
            Some((
                "26785a09-ab16-4eb0-8407-a37497a57506",
                "3d844edf-8d35-48ac-975b-e847b4f122b0"
            ))
        );
        assert_eq!(split_api_key("short"), None);
        assert_eq!(split_api_key(&key.replace("-3d84", "x3d84")), None);
    }

    #[test]
    fn message_ids_come_from_the_key() {
        assert_eq!(
            message_id("alert:CC-1000:v1:7:email"),
            "<alert.CC-1000.v1.7.email@palisade.invalid>"
        );
    }
}
