//! Text messages through the GOV.UK Notify REST API.

use async_trait::async_trait;
use palisade_app::delivery::{Courier, Failure, SEND_TIMEOUT};
use palisade_store::OutboxMessage;
use std::sync::Arc;

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

/// A page of `GET /v2/notifications`: the newest first.
#[derive(serde::Deserialize)]
struct NotifyList {
    notifications: Vec<NotifyListed>,
}

#[derive(serde::Deserialize)]
struct NotifyListed {
    id: String,
    #[serde(default)]
    reference: Option<String>,
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
        Err(refusal(response).await)
    }

    async fn already_sent(
        &self,
        m: &OutboxMessage,
    ) -> std::result::Result<Option<String>, Failure> {
        let response = self
            .client
            .get(format!("{}/v2/notifications", self.base_url))
            .bearer_auth(self.token()?)
            .query(&[("template_type", "sms"), ("reference", m.key.as_str())])
            .send()
            .await
            .map_err(|e| Failure::Transient(format!("notify lookup: {e}")))?;
        if !response.status().is_success() {
            // Whatever the reason, the question went unanswered: try again later, never blind.
            return Err(match refusal(response).await {
                Failure::Permanent(m) | Failure::Transient(m) => Failure::Transient(m),
            });
        }
        let list: NotifyList = response
            .json()
            .await
            .map_err(|e| Failure::Transient(format!("notify lookup response: {e}")))?;
        Ok(list
            .notifications
            .into_iter()
            .find(|n| n.reference.as_deref() == Some(m.key.as_str()))
            .map(|n| n.id))
    }
}

/// Why Notify refused a request, from its documented error body.
async fn refusal(response: reqwest::Response) -> Failure {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<NotifyErrors>(&text)
        .ok()
        .and_then(|e| e.errors.into_iter().next())
        .map(|e| format!("{}: {}", e.error, e.message))
        .unwrap_or_else(|| text.chars().take(200).collect());
    let message = format!("notify {}: {detail}", status.as_u16());
    // 400 is the message itself (an invalid number, a missing template); the rest (403 a key
    // being rotated, 429 the rate limit, 5xx) may pass later.
    if status == reqwest::StatusCode::BAD_REQUEST {
        Failure::Permanent(message)
    } else {
        Failure::Transient(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
