//! Delivering the outbox: the worker and the [`Courier`] port each channel's adapter implements
//! (email over SMTP and text messages through GOV.UK Notify live in `palisade-delivery`).
//!
//! Every message was written to the outbox in the same transaction as the change that caused
//! it. A background worker claims due messages for a while (a lease), hands each to the courier
//! of its channel, and marks it sent, to be retried later (with exponential backoff), or given
//! up (only when the provider refuses it for good, such as an invalid address). The two
//! channels are independent: text messages go out while the mail server is down. A stopped
//! worker's claims run out and the messages are claimed again; a message marked sent is never
//! sent again.
//!
//! The window left is a provider accepting a message whose outcome is never recorded: the
//! worker stopped between sending and marking it, or the provider took it and then did not
//! answer in time. GOV.UK Notify does not de-duplicate on `reference`, so a text claimed before
//! is first looked up by its reference (the message's unique key) and, when Notify already has
//! it, recorded as sent under that notification instead of sent again. SMTP has no such
//! question; each email carries a Message-ID made from the key, so a copy sent twice can be
//! recognised by the reader's mail client.

use crate::{App, Result};
use async_trait::async_trait;
use futures_util::StreamExt;
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
    /// The provider's reference for `message` if an earlier attempt already reached it, asked
    /// before sending a message claimed before. `Ok(None)` when the provider has no record of
    /// it, or (the default) when the provider cannot be asked, as with SMTP.
    async fn already_sent(
        &self,
        _message: &OutboxMessage,
    ) -> std::result::Result<Option<String>, Failure> {
        Ok(None)
    }
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
    /// Claims the due messages of the couriers' channels (each channel's oldest, the channels in
    /// turn) and sends them.
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
                let result = tokio::time::timeout(settings.send_timeout, send_once(courier, &m))
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

/// Sends `m` unless an earlier claim's attempt already reached the provider, in which case the
/// provider's reference for that one is the answer. A failure to ask is a failure to send: a
/// message is never sent again blind.
async fn send_once(
    courier: &Arc<dyn Courier>,
    m: &OutboxMessage,
) -> std::result::Result<Option<String>, Failure> {
    if m.claims > 1
        && let Some(earlier) = courier.already_sent(m).await?
    {
        tracing::info!(id = m.id, channel = %m.channel, "the provider already had this message; recorded, not sent again");
        return Ok(Some(earlier));
    }
    courier.send(m).await
}

enum Outcome {
    Sent,
    Retried,
    GaveUp,
}

/// Runs until `stop` turns true: delivers whatever is due, and sleeps when there is nothing
/// left. Errors are logged and the loop goes on. Every server runs one: each message is claimed
/// by one of them at a time, so they share the outbox between them.
pub async fn run_worker(
    app: App,
    couriers: Vec<Arc<dyn Courier>>,
    settings: DeliverySettings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
