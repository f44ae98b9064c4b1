//! The tamper-evident audit log: each entry's hash covers its content and the previous entry's
//! hash, so altering, removing or reordering any row breaks the chain from that point on.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a use-case asks to be recorded, in the same transaction as its change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditDraft {
    /// When the change happened (Unix seconds, from the injected clock).
    pub at: i64,
    pub actor_user_id: Option<i64>,
    /// Who, as people read it: an email address, or `system` / `cli` for automatic changes.
    pub actor: String,
    /// `organisation.create`, `contact.delete`, `session.sign_in` ...
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub org_id: Option<i64>,
    /// Before/after summary as JSON. Never holds secrets (passwords, tokens).
    pub summary: serde_json::Value,
}

impl AuditDraft {
    /// [`entry_fields`] of the entry this draft becomes, its summary written as `summary`.
    pub fn fields(&self, summary: &str) -> Vec<u8> {
        entry_fields(
            self.at,
            self.actor_user_id,
            &self.actor,
            &self.action,
            &self.entity_type,
            &self.entity_id,
            self.org_id,
            summary,
        )
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub org_id: Option<i64>,
    pub summary: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry chained to `prev_hash`: the previous hash and the entry's sequence
/// number, then its own fields (`fields`, from [`entry_fields`]), each length-prefixed so no two
/// different entries can serialise to the same bytes.
pub fn chain_hash(prev_hash: &str, seq: i64, fields: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(fields.len() + 100);
    push_field(&mut bytes, prev_hash);
    push_field(&mut bytes, &seq.to_string());
    bytes.extend_from_slice(fields);
    hex::encode(Sha256::digest(&bytes))
}

/// What [`chain_hash`] hashes after `prev_hash` and `seq`: the entry's own fields, each
/// length-prefixed. A store that learns the previous hash and the sequence number only as it
/// writes (PostgreSQL, in the statement that locks the chain's head) prefixes those two itself,
/// each as its length in eight big-endian bytes followed by its UTF-8 text, and hashes the
/// whole with SHA-256.
#[allow(clippy::too_many_arguments)]
pub fn entry_fields(
    at: i64,
    actor_user_id: Option<i64>,
    actor: &str,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    org_id: Option<i64>,
    summary: &str,
) -> Vec<u8> {
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
    let mut bytes = Vec::new();
    for part in [
        &at.to_string(),
        &opt(actor_user_id),
        actor,
        action,
        entity_type,
        entity_id,
        &opt(org_id),
        summary,
    ] {
        push_field(&mut bytes, part);
    }
    bytes
}

/// `part` as [`chain_hash`] hashes it: its length in eight big-endian bytes, then its bytes.
fn push_field(bytes: &mut Vec<u8>, part: &str) {
    bytes.extend((part.len() as u64).to_be_bytes());
    bytes.extend(part.as_bytes());
}

impl AuditEntry {
    pub fn compute_hash(&self) -> String {
        let fields = entry_fields(
            self.at,
            self.actor_user_id,
            &self.actor,
            &self.action,
            &self.entity_type,
            &self.entity_id,
            self.org_id,
            &self.summary,
        );
        chain_hash(&self.prev_hash, self.seq, &fields)
    }
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at entry {seq}: {reason}")]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Incremental verifier: feed entries in `seq` order, then call [`ChainVerifier::finish`] with the
/// recorded head (last seq and hash) to catch removal of the newest entries too.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.expected_seq {
            return Err(ChainBreak {
                seq: self.expected_seq,
                reason: format!(
                    "expected entry {} but found {} (entries removed or reordered)",
                    self.expected_seq, e.seq
                ),
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "does not follow the previous entry".into(),
            });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "content was altered after it was written".into(),
            });
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        self.checked += 1;
        Ok(())
    }

    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq != last || (head_seq > 0 && head_hash != self.prev_hash) {
            return Err(ChainBreak {
                seq: last + 1,
                reason: format!(
                    "the log ends at entry {last} but {head_seq} entries were written (newest entries removed)"
                ),
            });
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: 1_700_000_000 + seq,
                    actor_user_id: Some(1),
                    actor: "admin@example.nhs.uk".into(),
                    action: "organisation.update".into(),
                    entity_type: "organisation".into(),
                    entity_id: format!("RX{seq}"),
                    org_id: Some(seq),
                    summary: format!("{{\"n\":{seq}}}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: (i64, &str)) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.push(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, (5, &c[4].hash.clone())).unwrap(), 5);
        assert_eq!(verify(&[], (0, GENESIS_HASH)).unwrap(), 0);
    }

    #[test]
    fn altered_entry_is_named() {
        let mut c = chain(5);
        let head = c[4].hash.clone();
        c[2].summary = "{\"n\":99}".into();
        assert_eq!(verify(&c, (5, &head)).unwrap_err().seq, 3);
    }

    #[test]
    fn rehashed_alteration_breaks_the_next_link() {
        let mut c = chain(5);
        let head = c[4].hash.clone();
        c[1].actor = "someone-else".into();
        c[1].hash = c[1].compute_hash();
        assert_eq!(verify(&c, (5, &head)).unwrap_err().seq, 3);
    }

    #[test]
    fn removed_entry_is_named() {
        let mut c = chain(5);
        let head = c[4].hash.clone();
        c.remove(1);
        assert_eq!(verify(&c, (5, &head)).unwrap_err().seq, 2);
    }

    #[test]
    fn reordered_entries_are_caught() {
        let mut c = chain(5);
        let head = c[4].hash.clone();
        c.swap(1, 2);
        let (a, b) = (c[1].seq, c[2].seq);
        c[1].seq = b;
        c[2].seq = a;
        assert_eq!(verify(&c, (5, &head)).unwrap_err().seq, 2);
    }

    #[test]
    fn removed_tail_is_caught_by_the_head() {
        let c = chain(5);
        let head = c[4].hash.clone();
        assert_eq!(verify(&c[..3], (5, &head)).unwrap_err().seq, 4);
    }

    /// The hashed bytes are a format: PostgreSQL's append works them out in SQL from the same
    /// description, so a change here must be made there too, and breaks every stored chain.
    #[test]
    fn the_hash_is_sha256_of_length_prefixed_utf8_fields() {
        let fields = entry_fields(
            1_700_000_000,
            None,
            "Zoë",
            "answers.save",
            "assessment",
            "42",
            None,
            "{\"x\":1}",
        );
        let hash = chain_hash("abc", 7, &fields);
        assert_eq!(
            hash,
            "ea1caae601148900c58139d8cd69453fa44fe1e5d06722427f4ffa4c56fa5888"
        );
    }

    #[test]
    fn field_boundaries_matter() {
        let a = chain_hash(
            "p",
            1,
            &entry_fields(1, None, "ab", "c", "e", "i", None, "s"),
        );
        let b = chain_hash(
            "p",
            1,
            &entry_fields(1, None, "a", "bc", "e", "i", None, "s"),
        );
        assert_ne!(a, b);
    }
}
