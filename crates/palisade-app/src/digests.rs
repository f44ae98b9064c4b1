//! The daily digest: one email a day carrying the reminders collected for a contact who chose
//! it (see [`crate::reminders`]), sent by the `digest` job.
//!
//! The job runs through the day; from the configured hour (UK time) each address with reminders
//! waiting has them in one email, whose key (`digest:{day}:{address}`) lets it go once a day.
//! Reminders collected after that day's digest wait for the next day's. A person who is a
//! contact of several organisations (a care group's lead of each home) has one email for all of
//! them, grouped by organisation.

use crate::{App, Result};
use palisade_domain::clock::uk_local;
use palisade_domain::dates::date_text;
use palisade_store::{DigestItem, NewDigest};

/// Contacts read and sent to at a time: the job's memory is one page of addresses and their
/// items.
const RECIPIENTS_PER_PAGE: i64 = 200;

/// The reminders a digest lists in full; the rest are counted and point to the home page.
const LISTED: usize = 100;

impl App {
    /// Sends each address its digest of the reminders waiting for it, once a day from the
    /// digest hour. Returns the digests queued.
    pub async fn send_digests(&self) -> Result<u64> {
        let (local, _) = uk_local(self.now());
        if local.hour() < self.reminders.digest_hour {
            return Ok(0);
        }
        let day = date_text(local.date());
        let mut sent = 0;
        let mut after: Option<i64> = None;
        loop {
            let page = self
                .store
                .digest_recipients(after, RECIPIENTS_PER_PAGE)
                .await?;
            let Some(last) = page.last().map(|(contact, _)| *contact) else {
                return Ok(sent);
            };
            // An address shared by several contacts has one digest for all of them: its items
            // are read by address, so a later page no longer finds them waiting.
            let mut emails: Vec<String> = page.iter().map(|(_, e)| e.clone()).collect();
            emails.sort_unstable();
            emails.dedup();
            let items = self.store.digest_items(&emails).await?;
            let digests: Vec<NewDigest> = items
                .chunk_by(|a, b| a.email == b.email)
                .map(|items| digest(&day, items, &self.alerts.public_url))
                .collect();
            sent += self.store.queue_digests(&digests, self.now()).await?;
            if (page.len() as i64) < RECIPIENTS_PER_PAGE {
                return Ok(sent);
            }
            after = Some(last);
        }
    }
}

/// The digest of `items` (one address's, ordered by organisation) for `day`.
fn digest(day: &str, items: &[DigestItem], public_url: &str) -> NewDigest {
    let email = items.first().map(|i| i.email.clone()).unwrap_or_default();
    let single_org = items
        .first()
        .map(|f| f.org_id)
        .filter(|id| items.iter().all(|i| i.org_id == *id));
    let n = items.len();
    let orgs = items.chunk_by(|a, b| a.org_id == b.org_id).count();
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut body = format!(
        "Palisade collected {} for you since your last digest, about {}.\n",
        plural(n, "reminder", "reminders"),
        plural(orgs, "organisation", "organisations")
    );
    let mut listed = 0;
    for group in items.chunk_by(|a, b| a.org_id == b.org_id) {
        if listed == LISTED {
            break;
        }
        let first = &group[0];
        body.push_str(&format!(
            "\n== {} ({}) ==\n",
            first.org_name, first.org_code
        ));
        for item in group.iter().take(LISTED - listed) {
            body.push_str(&format!("\n* {}\n", item.subject));
            for line in item.body.lines() {
                if line.is_empty() {
                    body.push('\n');
                } else {
                    body.push_str(&format!("  {line}\n"));
                }
            }
            listed += 1;
        }
    }
    if n > listed {
        let rest = n - listed;
        let noun = if rest == 1 { "reminder" } else { "reminders" };
        body.push_str(&format!(
            "\n... and {rest} more {noun}. Your home page lists everything due: {public_url}/\n"
        ));
    }
    body.push_str(
        "\nYou have reminders as one email a day. To have each as it falls due, ask your \
         organisation to change your contact details in Palisade.\n",
    );
    NewDigest {
        key: format!("digest:{day}:{email}"),
        email,
        org_id: single_org,
        subject: format!(
            "Palisade daily digest {day}: {}",
            plural(n, "reminder", "reminders")
        ),
        body,
        items: items.iter().map(|i| i.id).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, org: i64, subject: &str) -> DigestItem {
        DigestItem {
            id,
            email: "sam@nhs.net".into(),
            org_id: org,
            org_code: format!("ORG{org}"),
            org_name: format!("Home {org}"),
            subject: subject.into(),
            body: "First line.\n\nLink: https://x/".into(),
            created_at: 0,
        }
    }

    #[test]
    fn a_digest_groups_by_organisation_and_carries_every_item() {
        let items = [item(1, 1, "A"), item(2, 1, "B"), item(3, 2, "C")];
        let d = digest("2026-12-05", &items, "https://p");
        assert_eq!(d.key, "digest:2026-12-05:sam@nhs.net");
        assert_eq!(d.items, vec![1, 2, 3]);
        assert_eq!(d.org_id, None, "two organisations");
        assert_eq!(d.subject, "Palisade daily digest 2026-12-05: 3 reminders");
        assert!(d.body.contains("3 reminders for you"), "{}", d.body);
        assert!(d.body.contains("about 2 organisations"));
        assert_eq!(d.body.matches("== Home 1 (ORG1) ==").count(), 1);
        assert!(
            d.body
                .contains("\n* C\n  First line.\n\n  Link: https://x/\n")
        );
        assert!(!d.body.contains("more."));
        let one = digest("2026-12-05", &items[..1], "https://p");
        assert_eq!(one.org_id, Some(1));
        assert!(one.subject.ends_with(": 1 reminder"));
    }

    #[test]
    fn a_long_digest_lists_the_first_hundred_and_counts_the_rest() {
        let items: Vec<DigestItem> = (0..130).map(|i| item(i, i / 10, "S")).collect();
        let d = digest("2026-12-05", &items, "https://p");
        assert_eq!(d.items.len(), 130, "every item is carried");
        assert_eq!(d.body.matches("\n* S\n").count(), LISTED);
        assert!(d.body.contains("... and 30 more reminders."), "{}", d.body);
    }
}
