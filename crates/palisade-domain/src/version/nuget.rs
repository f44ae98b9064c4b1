//! NuGet's order: one to four dot-separated numbers (missing ones are 0, leading zeros allowed),
//! then an optional pre-release (`-beta.2`) compared label by label as in SemVer 2.0 but
//! case-insensitively; build metadata (`+...`) is ignored.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    Number(u64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NugetVersion {
    numbers: [u64; 4],
    pre: Vec<Label>,
}

impl NugetVersion {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let no_build = raw.split_once('+').map_or(raw, |(v, _)| v);
        let (release, pre) = match no_build.split_once('-') {
            Some((r, p)) => (r, Some(p)),
            None => (no_build, None),
        };
        let parts: Vec<&str> = release.split('.').collect();
        if parts.len() > 4 {
            return Err("a NuGet version has at most four numbers".into());
        }
        let mut numbers = [0u64; 4];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("'{part}' is not a number"));
            }
            *slot = part.parse().map_err(|_| format!("'{part}' is too large"))?;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => p
                .split('.')
                .map(|l| {
                    if l.is_empty() || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                        Err(format!("the pre-release label '{l}' is not valid"))
                    } else if l.bytes().all(|b| b.is_ascii_digit()) {
                        l.parse()
                            .map(Label::Number)
                            .map_err(|_| format!("'{l}' is too large"))
                    } else {
                        Ok(Label::Text(l.to_ascii_lowercase()))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Self { numbers, pre })
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Label::Number(a), Label::Number(b)) => a.cmp(b),
            (Label::Text(a), Label::Text(b)) => a.cmp(b),
            (Label::Number(_), Label::Text(_)) => Ordering::Less,
            (Label::Text(_), Label::Number(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NugetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                // A release is newer than any of its pre-releases.
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for NugetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
