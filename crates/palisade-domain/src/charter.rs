//! The supplier cyber security charter (`docs/SUPPLIERS.md`): eight commitments an IT supplier
//! signs at board level, kept as a versioned data file like frameworks (`charter/charter.yaml`),
//! and the state of a supplier's signature on a given day.

use crate::dates::iso_date;
use crate::error::{FieldError, FieldErrors, bounded_text, long_text};
use crate::org::string_enum;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

/// The `format` line every charter file starts with.
pub const FORMAT: &str = "palisade-charter/1";

/// The charter Palisade ships, installed when the database opens.
pub const SHIPPED: &str = include_str!("../../../charter/charter.yaml");

string_enum! {
    /// The eight commitments, by their stable keys.
    CommitmentKey {
        SupportedSystems => "supported_systems", "Systems kept in support and patched",
        DsptStandardsMet => "dspt_standards_met", "Annual assessment at Standards Met or better",
        Mfa => "mfa", "Multi-factor authentication",
        Monitoring => "monitoring", "Monitoring around the clock",
        ImmutableBackups => "immutable_backups", "Immutable, tested backups",
        BoardExercising => "board_exercising", "Board-level exercising",
        IncidentReporting => "incident_reporting", "Timely incident reporting",
        SecureDevelopment => "secure_development", "Software built securely",
    }
}

string_enum! {
    /// Where a supplier's signature stands on a day.
    SignatureState {
        NotSigned => "not_signed", "Not signed",
        Signed => "signed", "Signed",
        ReaffirmationDue => "reaffirmation_due", "Reaffirmation due",
        Lapsed => "lapsed", "Lapsed",
        Withdrawn => "withdrawn", "Withdrawn",
    }
}

/// A version of the charter as written in its file and kept, once checked, as canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    pub format: String,
    /// Raised whenever the wording changes; signatories of an older version sign again.
    pub version: u32,
    pub title: String,
    #[serde(with = "iso_date")]
    pub published_on: Date,
    /// Every commitment once, in the order the charter lists them.
    pub commitments: Vec<Commitment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub key: CommitmentKey,
    pub title: String,
    /// What the supplier commits to, in a sentence or two.
    pub wording: String,
    /// The evidence the commitment expects.
    pub evidence: String,
}

impl Charter {
    /// The canonical JSON kept in storage, whose hash tells a changed file from the same one.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("a charter always serialises")
    }
}

/// Parses and checks a charter file (YAML, or JSON, which YAML reads too).
pub fn parse(text: &str) -> Result<Charter, FieldErrors> {
    let c: Charter = yaml_serde::from_str(text)
        .map_err(|e| FieldErrors::from(FieldError::new("file", e.to_string())))?;
    check(&c)?;
    Ok(c)
}

/// Every fault of a charter, named by its path (`commitments[2].wording`).
pub fn check(c: &Charter) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::default();
    if c.format != FORMAT {
        e.push("format", format!("must be {FORMAT}"));
    }
    if c.version == 0 {
        e.push("version", "must be 1 or more");
    }
    e.take(bounded_text("title", &c.title, 1, 200));
    for (i, m) in c.commitments.iter().enumerate() {
        let at = format!("commitments[{i}]");
        e.take(bounded_text(&format!("{at}.title"), &m.title, 1, 200));
        e.take(long_text(&format!("{at}.wording"), &m.wording, 1, 2000));
        e.take(long_text(&format!("{at}.evidence"), &m.evidence, 1, 2000));
        if c.commitments[..i].iter().any(|o| o.key == m.key) {
            e.push(format!("{at}.key"), format!("`{}` is listed twice", m.key));
        }
    }
    let missing: Vec<&str> = CommitmentKey::ALL
        .iter()
        .filter(|k| !c.commitments.iter().any(|m| m.key == **k))
        .map(|k| k.as_str())
        .collect();
    if !missing.is_empty() {
        e.push(
            "commitments",
            format!(
                "must list every commitment; missing: {}",
                missing.join(", ")
            ),
        );
    }
    e.into_result()
}

string_enum! {
    /// Where a supplier's commitment stands on a day.
    CommitmentState {
        Evidenced => "evidenced", "Evidenced",
        LiveMet => "live_met", "Met (checked live)",
        LiveNotMet => "live_not_met", "Not met (checked live)",
        Expired => "expired", "Expired",
        Missing => "missing", "Missing",
    }
}

/// What a supplier has shown for a commitment, as its state needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceFacts {
    /// Until when the statement holds.
    pub expires_on: Date,
    pub certificate_expires_on: Option<Date>,
    /// Documents held for the commitment.
    pub documents: usize,
}

/// The state of a commitment shown by evidence on `today`, with why: evidenced when it has a
/// statement and at least one document, neither the statement nor its certificate expired.
pub fn evidence_state(e: Option<EvidenceFacts>, today: Date) -> (CommitmentState, String) {
    let Some(e) = e else {
        return (CommitmentState::Missing, "no statement yet".into());
    };
    if e.expires_on < today {
        return (
            CommitmentState::Expired,
            format!(
                "the statement expired on {}",
                crate::dates::date_text(e.expires_on)
            ),
        );
    }
    if let Some(c) = e.certificate_expires_on.filter(|c| *c < today) {
        return (
            CommitmentState::Expired,
            format!("the certificate expired on {}", crate::dates::date_text(c)),
        );
    }
    if e.documents == 0 {
        return (
            CommitmentState::Missing,
            "a statement, but no document yet".into(),
        );
    }
    (
        CommitmentState::Evidenced,
        format!(
            "a statement and {} until {}",
            match e.documents {
                1 => "1 document".to_string(),
                n => format!("{n} documents"),
            },
            crate::dates::date_text(e.expires_on)
        ),
    )
}

impl CommitmentKey {
    /// Whether Palisade checks the commitment from what it knows rather than from what the
    /// supplier shows: its estate and alert answers, and its published assessment.
    pub fn checked_live(self) -> bool {
        matches!(self, Self::SupportedSystems | Self::DsptStandardsMet)
    }
}

/// How long a signature lasts before it must be reaffirmed.
pub const SIGNATURE_MONTHS: i32 = 12;
/// How many days before expiry a signature is due for reaffirmation.
pub const REAFFIRM_DAYS: i64 = 30;

/// When a signature made on `signed_on` expires: the same day a year on (28 February for one
/// made on 29 February).
pub fn expires_on(signed_on: Date) -> Date {
    crate::dates::years_on(signed_on, SIGNATURE_MONTHS / 12)
}

/// The last day a signature could be made and expire on or before `day`: [`expires_on`] run
/// backwards, so that a window of expiry days maps onto the window of signing days. After a
/// leap year, 28 February takes 29 February with it (both expire on the 28th).
pub fn last_signed_expiring_by(day: Date) -> Date {
    let signed = crate::dates::years_on(day, -(SIGNATURE_MONTHS / 12));
    let leap_day = Date::from_calendar_date(signed.year(), Month::February, 29);
    match leap_day {
        Ok(leap) if signed.next_day() == Some(leap) && expires_on(leap) <= day => leap,
        _ => signed,
    }
}

/// A signature as its state needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureFacts {
    pub signed_on: Date,
    /// The charter version signed.
    pub version: u32,
    pub withdrawn: bool,
}

/// Where the supplier's latest signature stands on `today`, with the charter's current version:
/// signed through 31 days before expiry, due for reaffirmation from 30 days before through the
/// day of expiry (and from the day a newer charter version is published), lapsed from the day
/// after.
pub fn signature_state(
    latest: Option<SignatureFacts>,
    current_version: u32,
    today: Date,
) -> SignatureState {
    let Some(s) = latest else {
        return SignatureState::NotSigned;
    };
    if s.withdrawn {
        return SignatureState::Withdrawn;
    }
    let expires = expires_on(s.signed_on);
    if today > expires {
        SignatureState::Lapsed
    } else if today >= expires - Duration::days(REAFFIRM_DAYS) || s.version < current_version {
        SignatureState::ReaffirmationDue
    } else {
        SignatureState::Signed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_charter_lists_every_commitment_once() {
        let c = parse(SHIPPED).unwrap();
        assert_eq!(c.version, 1);
        let keys: Vec<CommitmentKey> = c.commitments.iter().map(|m| m.key).collect();
        assert_eq!(keys, CommitmentKey::ALL);
    }

    #[test]
    fn every_fault_is_named_with_its_path() {
        let bad = SHIPPED
            .replace("version: 1", "version: 0")
            .replace("key: mfa", "key: supported_systems")
            .replace("title: Board-level exercising", "title: ' '");
        let errs = parse(&bad).unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "version",
                "commitments[2].key",
                "commitments[5].title",
                "commitments"
            ]
        );
        assert!(errs.0[3].message.contains("mfa"), "{errs:?}");
        let e = parse(&SHIPPED.replace("key: mfa", "key: firewalls")).unwrap_err();
        assert!(e.0[0].message.contains("firewalls"), "{e:?}");
    }

    #[test]
    fn a_signature_is_due_thirty_days_before_expiry_and_lapses_the_day_after() {
        let signed = SignatureFacts {
            signed_on: date!(2026 - 03 - 15),
            version: 1,
            withdrawn: false,
        };
        let expires = date!(2027 - 03 - 15);
        assert_eq!(expires_on(signed.signed_on), expires);
        let at = |d: Date| signature_state(Some(signed), 1, d);
        assert_eq!(at(date!(2026 - 03 - 15)), SignatureState::Signed);
        assert_eq!(at(expires - Duration::days(31)), SignatureState::Signed);
        assert_eq!(
            at(expires - Duration::days(30)),
            SignatureState::ReaffirmationDue
        );
        assert_eq!(at(expires), SignatureState::ReaffirmationDue);
        assert_eq!(at(expires + Duration::days(1)), SignatureState::Lapsed);
        assert_eq!(signature_state(None, 1, expires), SignatureState::NotSigned);
        let withdrawn = SignatureFacts {
            withdrawn: true,
            ..signed
        };
        assert_eq!(
            signature_state(Some(withdrawn), 1, date!(2026 - 04 - 01)),
            SignatureState::Withdrawn
        );
        // A newer charter asks for a new signature at once.
        assert_eq!(
            signature_state(Some(signed), 2, date!(2026 - 04 - 01)),
            SignatureState::ReaffirmationDue
        );
    }

    #[test]
    fn evidence_holds_through_its_expiry_day_and_needs_a_document() {
        let today = date!(2026 - 05 - 01);
        let e = EvidenceFacts {
            expires_on: today,
            certificate_expires_on: Some(today),
            documents: 1,
        };
        assert_eq!(evidence_state(Some(e), today).0, CommitmentState::Evidenced);
        let next = today + Duration::days(1);
        let (state, why) = evidence_state(Some(e), next);
        assert_eq!(
            (state, why.as_str()),
            (
                CommitmentState::Expired,
                "the statement expired on 2026-05-01"
            )
        );
        let cert = EvidenceFacts {
            expires_on: next,
            ..e
        };
        assert_eq!(
            evidence_state(Some(cert), next).1,
            "the certificate expired on 2026-05-01"
        );
        let bare = EvidenceFacts { documents: 0, ..e };
        assert_eq!(
            evidence_state(Some(bare), today).0,
            CommitmentState::Missing
        );
        assert_eq!(evidence_state(None, today).0, CommitmentState::Missing);
    }

    #[test]
    fn a_leap_day_signature_expires_on_the_last_day_of_february() {
        assert_eq!(expires_on(date!(2028 - 02 - 29)), date!(2029 - 02 - 28));
    }

    #[test]
    fn expiry_days_map_back_onto_exactly_the_signatures_expiring_by_them() {
        // Every signing day from 2027 to 2030 against every expiry bound in the years after:
        // a signature expires by `day` exactly when it was made by the day mapped back.
        let first = date!(2027 - 01 - 01);
        let signed: Vec<Date> = (0..4 * 366).map(|n| first + Duration::days(n)).collect();
        for n in 360..5 * 366 {
            let day = first + Duration::days(n);
            let by = last_signed_expiring_by(day);
            for s in &signed {
                assert_eq!(
                    expires_on(*s) <= day,
                    *s <= by,
                    "signed {s}, expiring by {day}"
                );
            }
        }
        assert_eq!(
            last_signed_expiring_by(date!(2029 - 02 - 28)),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            last_signed_expiring_by(date!(2028 - 02 - 29)),
            date!(2027 - 02 - 28)
        );
    }
}
