//! The outbox's figures: kept as messages are queued, sent, retried and given up, they always
//! equal a count of the messages themselves, and a second report of the same change counts
//! nothing twice.

use super::*;

fn digest(n: u32) -> NewDigest {
    NewDigest {
        key: format!("digest:2026-12-06:person{n}@example.nhs.uk"),
        email: format!("person{n}@example.nhs.uk"),
        org_id: None,
        subject: "Your day in Palisade".into(),
        body: "Nothing needs you today.".into(),
        items: Vec::new(),
    }
}

/// The summary as counted from the messages, to hold the kept figures against.
async fn counted(s: &SqlStore) -> (i64, i64, i64) {
    let all = s.outbox(false, 1_000).await.unwrap();
    let count = |f: fn(&OutboxMessage) -> bool| all.iter().filter(|m| f(m)).count() as i64;
    (
        count(|m| m.sent_at.is_none() && m.gave_up_at.is_none()),
        count(|m| m.sent_at.is_some()),
        count(|m| m.gave_up_at.is_some()),
    )
}

async fn kept(s: &SqlStore) -> (i64, i64, i64, Option<i64>) {
    let o = s.outbox_summary().await.unwrap();
    (o.pending, o.sent, o.gave_up, o.oldest_pending_at)
}

#[tokio::test]
async fn outbox_figures_are_kept_with_each_change() {
    for db in TestDb::all().await {
        let s = &db.store;
        assert_eq!(kept(s).await, (0, 0, 0, None), "{:?}", db.engine());

        // Queued at two times: a digest already queued under its key is not counted again.
        let first = [digest(1), digest(2), digest(3)];
        assert_eq!(s.queue_digests(&first, 100).await.unwrap(), 3);
        assert_eq!(
            s.queue_digests(&[digest(3), digest(4)], 105).await.unwrap(),
            1
        );
        assert_eq!(kept(s).await, (4, 0, 0, Some(100)));

        let claimed = s.claim_outbox(&["email"], 200, 320, 10).await.unwrap();
        assert_eq!(claimed.len(), 4);
        let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();

        // Sent, and told twice: counted once.
        s.outbox_sent(ids[0], 201, Some("ref-1")).await.unwrap();
        s.outbox_sent(ids[0], 202, Some("ref-1")).await.unwrap();
        // To be retried: still pending.
        s.outbox_failed(ids[1], 201, "busy", Some(500))
            .await
            .unwrap();
        // Given up, and told again: counted once.
        s.outbox_failed(ids[2], 201, "refused", None).await.unwrap();
        s.outbox_failed(ids[2], 202, "refused", None).await.unwrap();
        assert_eq!(kept(s).await, (2, 1, 1, Some(100)));

        // A failure reported after the message was sent changes nothing.
        s.outbox_failed(ids[0], 203, "late report", None)
            .await
            .unwrap();
        // A given-up message retried by hand is pending again, and then sent.
        s.outbox_failed(ids[2], 204, "tried again", Some(600))
            .await
            .unwrap();
        assert_eq!(kept(s).await, (3, 1, 0, Some(100)));
        s.outbox_sent(ids[2], 601, None).await.unwrap();
        // A message given up and then reported sent (a provider's late answer) counts as both,
        // as the messages themselves say, and is no longer pending twice over.
        s.outbox_failed(ids[3], 600, "refused", None).await.unwrap();
        assert_eq!(kept(s).await, (1, 2, 1, Some(100)));
        s.outbox_sent(ids[3], 601, None).await.unwrap();
        assert_eq!(kept(s).await, (1, 3, 1, Some(100)));
        assert_eq!(counted(s).await, (1, 3, 1));

        s.outbox_sent(ids[1], 700, None).await.unwrap();
        assert_eq!(kept(s).await, (0, 4, 1, None));
        assert_eq!(counted(s).await, (0, 4, 1));
    }
}

/// Claims take each channel's oldest due messages, the channels in turn, so that a backlog on one
/// never holds back the other; and only the channels asked for.
#[tokio::test]
async fn a_claim_takes_the_oldest_due_of_its_channels() {
    for db in TestDb::all().await {
        let s = &db.store;
        // Ten texts due first (as waiting for a Notify service), then email and texts in turn.
        let mut rows = Vec::new();
        for n in 0..10 {
            rows.push(("sms", 100 + n));
        }
        for n in 0..4 {
            rows.push(("email", 200 + n));
            rows.push(("sms", 200 + n));
        }
        for (n, (channel, due)) in rows.iter().enumerate() {
            db.execute(&format!(
                "INSERT INTO outbox (key, channel, recipient, subject, body, created_at, \
                 next_attempt_at) VALUES ('m{n}', '{channel}', 'r{n}', 's', 'b', {due}, {due})"
            ))
            .await
            .unwrap();
        }
        let keys = |claimed: &[OutboxMessage]| -> Vec<String> {
            claimed.iter().map(|m| m.key.clone()).collect()
        };
        // Email alone: the texts before them are not taken.
        let email = s.claim_outbox(&["email"], 300, 400, 3).await.unwrap();
        assert_eq!(keys(&email), ["m10", "m12", "m14"], "{:?}", db.engine());
        // Both channels: the last email is taken beside the oldest texts, not after every one,
        // and comes first to send; the texts fill what email leaves of the batch.
        let both = s
            .claim_outbox(&["sms", "email"], 300, 400, 6)
            .await
            .unwrap();
        assert_eq!(
            keys(&both),
            ["m16", "m0", "m1", "m2", "m3", "m4"],
            "{:?}",
            db.engine()
        );
        // A message claimed already is left out.
        let rest = s
            .claim_outbox(&["sms", "email"], 300, 400, 20)
            .await
            .unwrap();
        assert_eq!(
            keys(&rest),
            ["m5", "m6", "m7", "m8", "m9", "m11", "m13", "m15", "m17"],
            "{:?}",
            db.engine()
        );
        assert!(both.iter().chain(&rest).all(|m| m.claims == 1));
        // A channel no courier serves claims nothing.
        assert!(
            s.claim_outbox(&["fax"], 300, 400, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// With both channels plentiful the batch is split between them, the odd one to email, and a
/// batch of one or none is kept to.
#[tokio::test]
async fn a_batch_is_shared_between_channels_at_its_edges() {
    for db in TestDb::all().await {
        let s = &db.store;
        for (n, channel) in [
            "email", "email", "email", "email", "sms", "sms", "sms", "sms",
        ]
        .iter()
        .enumerate()
        {
            db.execute(&format!(
                "INSERT INTO outbox (key, channel, recipient, subject, body, created_at, \
                 next_attempt_at) VALUES ('{channel}{n}', '{channel}', 'r{n}', 's', 'b', 100, 100)"
            ))
            .await
            .unwrap();
        }
        let keys = |claimed: Vec<OutboxMessage>| -> Vec<String> {
            claimed.into_iter().map(|m| m.key).collect()
        };
        let claim = |limit| s.claim_outbox(&["email", "sms"], 200, 300, limit);
        assert!(claim(0).await.unwrap().is_empty(), "{:?}", db.engine());
        assert_eq!(
            keys(claim(5).await.unwrap()),
            ["email0", "sms4", "email1", "sms5", "email2"],
            "{:?}",
            db.engine()
        );
        assert_eq!(
            keys(claim(1).await.unwrap()),
            ["email3"],
            "{:?}",
            db.engine()
        );
        assert_eq!(
            keys(claim(8).await.unwrap()),
            ["sms6", "sms7"],
            "{:?}",
            db.engine()
        );
    }
}
