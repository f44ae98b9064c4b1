//! Email over SMTP (lettre), through a pool of connections to the relay (see [`crate::relay`]).

use crate::relay::{Relay, RelayError};
use async_trait::async_trait;
use lettre::Message;
use lettre::message::{Mailbox, header::ContentType};
use palisade_app::delivery::{Courier, Failure, SEND_TIMEOUT};
use palisade_store::OutboxMessage;

/// Email over SMTP, through a pool of connections.
pub struct SmtpCourier {
    relay: Relay,
    from: Mailbox,
}

impl SmtpCourier {
    /// `url` as `smtp://host:port` (plain, for a relay on a trusted network),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://user:password@host:465`; at most
    /// `connections` open at once (one per message in flight).
    pub fn new(url: &str, from: &str, connections: usize) -> std::result::Result<Self, String> {
        let relay =
            Relay::new(url, connections, SEND_TIMEOUT).map_err(|e| format!("smtp_url: {e}"))?;
        let from = from
            .parse()
            .map_err(|e| format!("mail_from '{from}': {e}"))?;
        Ok(Self { relay, from })
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
        match self.relay.send(email.envelope(), &email.formatted()).await {
            Ok(response) => Ok(Some(response.code().to_string())),
            Err(RelayError::Smtp(e)) if e.is_permanent() && refuses_the_message(e.status()) => {
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
    fn message_ids_come_from_the_key() {
        assert_eq!(
            message_id("alert:CC-1000:v1:7:email"),
            "<alert.CC-1000.v1.7.email@palisade.invalid>"
        );
    }
}
