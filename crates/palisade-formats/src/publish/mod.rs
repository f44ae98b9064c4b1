//! What Palisade publishes about its alerts, written for others to read: the Atom feed
//! (`atom`), the CSAF 2.0 provider's documents and listings (`csaf`) and the STIX 2.1 objects of
//! the TAXII collection (`stix`). Each is built from published versions of alerts
//! ([`PublishedVersion`](palisade_domain::alert::PublishedVersion)) and the [`Publisher`];
//! nothing here reads the store or the clock, and nothing names an organisation, a response or
//! a person. (Reading other publishers' CSAF advisories is `crate::csaf`.)

pub mod atom;
pub mod csaf;
pub mod indicators;
pub mod stix;

use palisade_domain::alert::AlertFields;

/// Who publishes the alerts and where they are read: what the documents take from
/// configuration.
#[derive(Debug, Clone, Copy)]
pub struct Publisher<'a> {
    /// Who publishes the alerts, as the documents name them.
    pub name: &'a str,
    /// Where Palisade is reached from outside (`https://palisade.example.nhs.uk`): every link
    /// starts with it.
    pub public_url: &'a str,
}

impl Publisher<'_> {
    /// `path` under the public address.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.namespace())
    }

    /// The public page of an alert.
    pub fn alert_link(&self, reference: &str) -> String {
        self.link(&format!("/public/alerts/{reference}"))
    }

    /// The public address without a trailing `/`, as CSAF names the publisher's namespace.
    pub fn namespace(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }
}

/// When a published version was made, to the millisecond, as CSAF and STIX write versions.
/// Times are stored in seconds; the milliseconds carry the version number, so two versions
/// published within the same second still read in order.
pub fn version_time(at: i64, version: i64) -> String {
    let t = palisade_domain::clock::rfc3339_millis(at);
    format!("{}{:03}Z", &t[..t.len() - 4], version.rem_euclid(1000))
}

/// An alert as plain text: what changed, the body, CVEs, products and what to do.
pub fn plain_text(f: &AlertFields, changed: &[String]) -> String {
    let mut out = String::new();
    if !changed.is_empty() {
        out.push_str(&format!("Updated: {} changed.\n\n", changed.join(", ")));
    }
    out.push_str(&f.summary);
    out.push('\n');
    if !f.body.is_empty() {
        out.push_str(&format!("\n{}\n", f.body));
    }
    if f.exploited {
        out.push_str("\nExploitation is known.\n");
    }
    if !f.cves.is_empty() {
        let cves: Vec<&str> = f.cves.iter().map(|c| c.as_str()).collect();
        out.push_str(&format!("\nCVEs: {}\n", cves.join(", ")));
    }
    if !f.products.is_empty() {
        out.push_str("\nAffected products:\n");
        for p in &f.products {
            out.push_str(&format!("- {}\n", p.name));
        }
    }
    if !f.remediation.is_empty() {
        out.push_str(&format!("\nWhat to do:\n{}\n", f.remediation));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Publisher;

    #[test]
    fn version_times_order_versions_within_a_second() {
        assert_eq!(
            super::version_time(1_720_949_400, 2),
            "2024-07-14T09:30:00.002Z"
        );
        assert!(super::version_time(1_720_949_400, 3) > super::version_time(1_720_949_400, 2));
    }

    #[test]
    fn links_start_with_the_public_address_whatever_its_trailing_slash() {
        for url in ["https://p.example", "https://p.example/"] {
            let p = Publisher {
                name: "Team",
                public_url: url,
            };
            assert_eq!(p.namespace(), "https://p.example");
            assert_eq!(
                p.alert_link("CC-1000"),
                "https://p.example/public/alerts/CC-1000"
            );
        }
    }
}
