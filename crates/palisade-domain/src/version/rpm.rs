//! RPM's order: `[epoch:]version[-release]`, each of version and release compared with the
//! `rpmvercmp` algorithm (alternating digit and letter segments, `~` sorting before anything,
//! `^` after the end but before any further segment). A missing epoch is 0; a missing release
//! sorts before any release, so the order stays total.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmVersion {
    epoch: u64,
    version: String,
    release: Option<String>,
}

impl RpmVersion {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (epoch, rest) = match raw.split_once(':') {
            Some((e, rest)) => (
                e.parse::<u64>()
                    .map_err(|_| format!("the epoch '{e}' is not a whole number"))?,
                rest,
            ),
            None => (0, raw),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r)),
            None => (rest, None),
        };
        if version.is_empty() || release.is_some_and(str::is_empty) {
            return Err("the version or release is empty".into());
        }
        Ok(Self {
            epoch,
            version: version.into(),
            release: release.map(Into::into),
        })
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// RPM's `rpmvercmp`, as in rpm's `rpmio/rpmvercmp.c`.
fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let separator = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';
    loop {
        while a.first().is_some_and(separator) {
            a = &a[1..];
        }
        while b.first().is_some_and(separator) {
            b = &b[1..];
        }
        // A tilde sorts before everything, even the end.
        match (a.first() == Some(&b'~'), b.first() == Some(&b'~')) {
            (true, true) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        // A caret sorts after the end but before any other segment.
        match (a.first() == Some(&b'^'), b.first() == Some(&b'^')) {
            (true, true) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (true, false) => {
                return if b.is_empty() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            (false, true) => {
                return if a.is_empty() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            _ => {}
        }
        if a.is_empty() || b.is_empty() {
            break;
        }
        let numeric = a[0].is_ascii_digit();
        let class = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let la = a.iter().take_while(|c| class(c)).count();
        let lb = b.iter().take_while(|c| class(c)).count();
        let (sa, sb) = (&a[..la], &b[..lb]);
        a = &a[la..];
        b = &b[lb..];
        if sb.is_empty() {
            // Segments of different kinds: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let o = if numeric {
            let trim = |s: &[u8]| -> usize { s.iter().take_while(|c| **c == b'0').count() };
            let (sa, sb) = (&sa[trim(sa)..], &sb[trim(sb)..]);
            sa.len().cmp(&sb.len()).then_with(|| sa.cmp(sb))
        } else {
            sa.cmp(sb)
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    // Whichever has segments left is newer.
    a.is_empty().cmp(&b.is_empty()).reverse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpmvercmp_cases_from_rpm() {
        // A selection of rpm's own rpmvercmp.at expectations.
        for (a, b, want) in [
            ("1.0", "1.0", 0),
            ("1.0", "2.0", -1),
            ("2.0.1", "2.0.1a", -1),
            ("5.5p1", "5.5p10", -1),
            ("10xyz", "10.1xyz", -1),
            ("xyz10", "xyz10.1", -1),
            ("xyz.4", "8", -1),
            ("1.0aa", "1.0a", 1),
            ("2.0", "2_0", 0),
            ("a", "1", -1),
            ("1.0~rc1", "1.0", -1),
            ("1.0~rc1", "1.0~rc2", -1),
            ("1.0~rc1~git123", "1.0~rc1", -1),
            ("1.0^", "1.0", 1),
            ("1.0^git1", "1.0", 1),
            ("1.0^git1", "1.01", -1),
            ("1.0^20160101", "1.0.1", -1),
            ("1.0~rc1^git1", "1.0~rc1", 1),
            ("1.0^git1~pre", "1.0^git1", -1),
            ("20101121", "20101121.0", -1),
            ("00001", "1", 0),
        ] {
            let got = match rpmvercmp(a, b) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            };
            assert_eq!(got, want, "{a} vs {b}");
        }
    }

    #[test]
    fn epoch_and_release() {
        let v = |s| RpmVersion::parse(s).unwrap();
        assert!(v("1:1.0-1") > v("2.0-1"));
        assert!(v("1.0-2.el8") > v("1.0-1.el8"));
        assert!(v("1.0") < v("1.0-1"));
        assert_eq!(v("0:1.0-1"), v("1.0-1"));
        assert!(RpmVersion::parse("x:1.0").is_err());
        assert!(RpmVersion::parse("1.0-").is_err());
    }
}
