//! Indicators of compromise on an incident, and who may see them under the Traffic Light
//! Protocol (TLP 2.0).

use crate::error::FieldError;
use crate::org::string_enum;
use std::net::{Ipv4Addr, Ipv6Addr};

string_enum! {
    /// What an indicator is.
    IndicatorType {
        Ipv4 => "ipv4", "IPv4 address",
        Ipv6 => "ipv6", "IPv6 address",
        Domain => "domain", "Domain name",
        Url => "url", "URL",
        Email => "email", "Email address",
        Sha256 => "sha256", "SHA-256 file hash",
        Sha1 => "sha1", "SHA-1 file hash",
        Md5 => "md5", "MD5 file hash",
    }
}

string_enum! {
    /// TLP 2.0: how far an indicator may be shared.
    Tlp {
        Clear => "clear", "TLP:CLEAR",
        Green => "green", "TLP:GREEN",
        Amber => "amber", "TLP:AMBER",
        AmberStrict => "amber+strict", "TLP:AMBER+STRICT",
        Red => "red", "TLP:RED",
    }
}

/// Who is asking, as far as TLP cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Not signed in.
    Public,
    /// Signed in for organisations other than those below.
    Community,
    /// Named by the national team on the case (amber is shared with it).
    SharedWith,
    /// The organisation that reported the incident.
    Reporter,
    /// The national team.
    National,
}

impl Tlp {
    /// Whether `who` may see an indicator marked so: clear to anyone, green to every signed-in
    /// organisation, amber to the reporter, the organisations named on the case and the national
    /// team, amber+strict to the reporter and the national team, red to the national team only.
    pub fn visible_to(self, who: Audience) -> bool {
        use Audience::*;
        match self {
            Tlp::Clear => true,
            Tlp::Green => who != Public,
            Tlp::Amber => matches!(who, SharedWith | Reporter | National),
            Tlp::AmberStrict => matches!(who, Reporter | National),
            Tlp::Red => who == National,
        }
    }
}

fn domain_ok(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|t| t.starts_with("xn--") || t.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// Checks `raw` as an indicator of `kind` and gives its canonical form (lower case where case
/// does not matter, a domain without its final dot, an IPv6 address compressed).
pub fn check_value(kind: IndicatorType, raw: &str) -> Result<String, FieldError> {
    let v = raw.trim();
    let bad = |what: &str| FieldError::new("value", format!("'{v}' is not {what}"));
    if v.is_empty() {
        return Err(FieldError::new("value", "is required"));
    }
    match kind {
        IndicatorType::Ipv4 => v
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .map_err(|_| bad("an IPv4 address")),
        IndicatorType::Ipv6 => v
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .map_err(|_| bad("an IPv6 address")),
        IndicatorType::Domain => {
            let d = v.trim_end_matches('.').to_ascii_lowercase();
            domain_ok(&d)
                .then_some(d)
                .ok_or_else(|| bad("a domain name"))
        }
        IndicatorType::Email => {
            let (local, domain) = v.rsplit_once('@').ok_or_else(|| bad("an email address"))?;
            let domain = domain.to_ascii_lowercase();
            let local_ok = !local.is_empty()
                && local.len() <= 64
                && !local.chars().any(|c| c.is_whitespace() || c == '@');
            (local_ok && domain_ok(&domain))
                .then(|| format!("{local}@{domain}"))
                .ok_or_else(|| bad("an email address"))
        }
        IndicatorType::Url => {
            let u = url::Url::parse(v).map_err(|_| bad("a URL"))?;
            let scheme_ok = matches!(u.scheme(), "http" | "https" | "ftp");
            (scheme_ok && u.host().is_some())
                .then(|| u.to_string())
                .ok_or_else(|| bad("an http, https or ftp URL with a host"))
        }
        IndicatorType::Sha256 | IndicatorType::Sha1 | IndicatorType::Md5 => {
            let len = match kind {
                IndicatorType::Sha256 => 64,
                IndicatorType::Sha1 => 40,
                _ => 32,
            };
            (v.len() == len && v.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| v.to_ascii_lowercase())
                .ok_or_else(|| bad(&format!("a {} ({len} hexadecimal digits)", kind.label())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IndicatorType::*;

    #[test]
    fn values_are_checked_and_made_canonical() {
        let ok = |k, v: &str| check_value(k, v).unwrap();
        assert_eq!(ok(Ipv4, " 203.0.113.7 "), "203.0.113.7");
        assert_eq!(ok(Ipv6, "2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
        assert_eq!(ok(Domain, "Evil.Example.COM."), "evil.example.com");
        assert_eq!(
            ok(Domain, "xn--bcher-kva.xn--tckwe"),
            "xn--bcher-kva.xn--tckwe"
        );
        assert_eq!(ok(Email, "Payroll@Evil.Example"), "Payroll@evil.example");
        assert_eq!(
            ok(Url, "https://evil.example/a?b=1"),
            "https://evil.example/a?b=1"
        );
        assert_eq!(
            ok(Md5, "D41D8CD98F00B204E9800998ECF8427E"),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        for (k, v) in [
            (Ipv4, "203.0.113.256"),
            (Ipv4, "2001:db8::1"),
            (Ipv6, "203.0.113.7"),
            (Domain, "localhost"),
            (Domain, "-bad.example"),
            (Domain, "a..example"),
            (Domain, "example.123"),
            (Email, "no-at-sign.example"),
            (Email, "a b@example.com"),
            (Url, "javascript:alert(1)"),
            (Url, "not a url"),
            (Sha256, "d41d8cd98f00b204e9800998ecf8427e"),
            (Sha1, "zz41d8cd98f00b204e9800998ecf8427e0000000"),
            (Md5, ""),
        ] {
            let e = check_value(k, v).unwrap_err();
            assert_eq!(e.field, "value", "{k:?} {v}");
        }
    }

    #[test]
    fn tlp_decides_who_sees_what() {
        use Audience::*;
        let table = [
            (Tlp::Clear, [true, true, true, true, true]),
            (Tlp::Green, [false, true, true, true, true]),
            (Tlp::Amber, [false, false, true, true, true]),
            (Tlp::AmberStrict, [false, false, false, true, true]),
            (Tlp::Red, [false, false, false, false, true]),
        ];
        for (tlp, row) in table {
            for (who, want) in [Public, Community, SharedWith, Reporter, National]
                .into_iter()
                .zip(row)
            {
                assert_eq!(tlp.visible_to(who), want, "{tlp:?} to {who:?}");
            }
        }
        assert_eq!("AMBER+STRICT".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert!("amber-strict".parse::<Tlp>().is_err());
    }
}
