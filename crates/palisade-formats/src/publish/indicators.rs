//! Indicators of compromise as STIX 2.1 `indicator` objects, each marked with its TLP 2.0
//! marking definition, for the second TAXII collection. Which indicators a caller receives is
//! decided before they reach here (by TLP and who is asking); this module only writes them.

use super::stix::PALISADE_NS;
use palisade_domain::clock::rfc3339_millis;
use palisade_domain::indicator::{IndicatorType, Tlp};
use serde_json::{Value, json};
use uuid::Uuid;

/// The STIX extension that defines TLP 2.0 marking definitions.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// When the TLP 2.0 marking definitions were created (2022-10-01T00:00:00Z), as they say.
pub const TLP2_CREATED: i64 = 1_664_582_400;

/// The id of the indicators collection.
pub fn collection_id() -> String {
    Uuid::new_v5(&PALISADE_NS, b"collection/indicators").to_string()
}

/// The published id of a TLP 2.0 marking definition.
pub fn marking_id(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
}

/// A TLP 2.0 marking definition as STIX 2.1 publishes it.
pub fn marking(tlp: Tlp) -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id(tlp),
        "created": rfc3339_millis(TLP2_CREATED),
        "name": tlp.label(),
        "extensions": {TLP2_EXTENSION: {
            "extension_type": "property-extension",
            "tlp_2_0": tlp.as_str(),
        }},
    })
}

/// A new STIX id for an indicator, from 16 random bytes (a version 4 UUID). It is random, not
/// name-based, so it says nothing of the case a reader of a shared indicator may not see.
pub fn object_id(random: [u8; 16]) -> String {
    format!(
        "indicator--{}",
        uuid::Builder::from_random_bytes(random).into_uuid()
    )
}

/// What an indicator object is written from.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorFacts<'a> {
    /// Its STIX id ([`object_id`]).
    pub stix_id: &'a str,
    pub kind: IndicatorType,
    /// In canonical form.
    pub value: &'a str,
    pub tlp: Tlp,
    pub description: &'a str,
    /// The case it was seen on (`INC-000042`), for a reader who may see the case; none for
    /// one who may not.
    pub reference: Option<&'a str>,
    pub created_at: i64,
}

/// The STIX pattern that matches the value: `[domain-name:value = 'evil.example']`.
pub fn pattern(kind: IndicatorType, value: &str) -> String {
    let path = match kind {
        IndicatorType::Ipv4 => "ipv4-addr:value",
        IndicatorType::Ipv6 => "ipv6-addr:value",
        IndicatorType::Domain => "domain-name:value",
        IndicatorType::Url => "url:value",
        IndicatorType::Email => "email-addr:value",
        IndicatorType::Sha256 => "file:hashes.'SHA-256'",
        IndicatorType::Sha1 => "file:hashes.'SHA-1'",
        IndicatorType::Md5 => "file:hashes.MD5",
    };
    let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
    format!("[{path} = '{quoted}']")
}

/// The indicator as a STIX 2.1 object, marked with its TLP.
pub fn indicator(i: IndicatorFacts<'_>) -> Value {
    let at = rfc3339_millis(i.created_at);
    let name = format!("{}: {}", i.kind.label(), i.value);
    let seen = i.reference.map(|r| format!("Seen on incident {r}."));
    let description = [
        Some(i.description).filter(|d| !d.is_empty()),
        seen.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let mut object = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": i.stix_id,
        "created": at,
        "modified": at,
        "name": name,
        "indicator_types": ["malicious-activity"],
        "pattern": pattern(i.kind, i.value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": at,
        "object_marking_refs": [marking_id(i.tlp)],
    });
    // STIX has no empty properties: without words to say, the indicator has no description.
    if !description.is_empty() {
        object["description"] = json!(description);
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_the_observable_and_escape_quotes() {
        assert_eq!(
            pattern(IndicatorType::Url, "http://x.example/a'b\\c"),
            "[url:value = 'http://x.example/a\\'b\\\\c']"
        );
        assert_eq!(
            pattern(IndicatorType::Sha256, "ab"),
            "[file:hashes.'SHA-256' = 'ab']"
        );
        assert_eq!(
            pattern(IndicatorType::Md5, "ab"),
            "[file:hashes.MD5 = 'ab']"
        );
    }

    #[test]
    fn an_indicator_is_marked_and_named_stably() {
        let id = object_id([7; 16]);
        assert_eq!(id, "indicator--07070707-0707-4707-8707-070707070707");
        let facts = IndicatorFacts {
            stix_id: &id,
            kind: IndicatorType::Domain,
            value: "evil.example",
            tlp: Tlp::AmberStrict,
            description: "C2 domain.",
            reference: Some("INC-000042"),
            created_at: 1_750_000_000,
        };
        let a = indicator(facts);
        assert_eq!(a, indicator(facts));
        assert_eq!(
            a["object_marking_refs"],
            json!([marking_id(Tlp::AmberStrict)])
        );
        assert_eq!(a["valid_from"], "2025-06-15T15:06:40.000Z");
        assert_eq!(a["description"], "C2 domain. Seen on incident INC-000042.");
        // A reader who may not see the case is not told which it was.
        let shared = indicator(IndicatorFacts {
            reference: None,
            ..facts
        });
        assert_eq!(shared["description"], "C2 domain.");
        let bare = indicator(IndicatorFacts {
            reference: None,
            description: "",
            ..facts
        });
        assert!(bare.get("description").is_none());
        assert_eq!(a["id"], id);
        assert!(id.starts_with("indicator--"));
        let m = marking(Tlp::AmberStrict);
        assert_eq!(m["name"], "TLP:AMBER+STRICT");
        assert_eq!(m["extensions"][TLP2_EXTENSION]["tlp_2_0"], "amber+strict");
        assert_eq!(m["created"], "2022-10-01T00:00:00.000Z");
    }
}
