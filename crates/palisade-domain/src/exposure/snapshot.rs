//! The index written out and read back, so that a server restarts without reading every
//! inventory again: each identity with its versions as written and the keys at each version,
//! in a small format of its own (a magic number, then lengths and little-endian numbers). A
//! version is parsed again once per distinct version on reading, not once per component.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use super::{ExposureIndex, Identity, Versions};
use crate::version::Version;

const MAGIC: &[u8; 8] = b"PALXIDX1";

fn put_u64(w: &mut impl Write, n: u64) -> io::Result<()> {
    w.write_all(&n.to_le_bytes())
}

fn put_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    put_u64(w, s.len() as u64)?;
    w.write_all(s.as_bytes())
}

fn put_keys(w: &mut impl Write, keys: &[i64]) -> io::Result<()> {
    put_u64(w, keys.len() as u64)?;
    let mut bytes = Vec::with_capacity(keys.len() * 8);
    for k in keys {
        bytes.extend_from_slice(&k.to_le_bytes());
    }
    w.write_all(&bytes)
}

/// Reading that names what was cut short or wrong.
fn bad(what: &str) -> String {
    format!("the exposure index snapshot is damaged ({what})")
}

fn get_u64(r: &mut impl Read) -> Result<u64, String> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).map_err(|_| bad("cut short"))?;
    Ok(u64::from_le_bytes(b))
}

/// `n` bytes, never allocating more than the input holds.
fn get_bytes(r: &mut impl Read, n: u64) -> Result<Vec<u8>, String> {
    // Sized up front for what a sound snapshot holds, never beyond 1 MiB before it arrives.
    let mut out = Vec::with_capacity(n.min(1 << 20) as usize);
    r.take(n)
        .read_to_end(&mut out)
        .map_err(|_| bad("unreadable"))?;
    if out.len() as u64 != n {
        return Err(bad("cut short"));
    }
    Ok(out)
}

fn get_str(r: &mut impl Read) -> Result<String, String> {
    let n = get_u64(r)?;
    String::from_utf8(get_bytes(r, n)?).map_err(|_| bad("text is not UTF-8"))
}

fn get_keys(r: &mut impl Read) -> Result<Vec<i64>, String> {
    let n = get_u64(r)?;
    let bytes = get_bytes(r, n.checked_mul(8).ok_or_else(|| bad("a count overflows"))?)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("eight bytes")))
        .collect())
}

/// Writes numbers as the snapshot writes keys, for what a caller keeps beside the index.
pub fn write_numbers(w: &mut impl Write, numbers: &[i64]) -> io::Result<()> {
    put_keys(w, numbers)
}

/// Reads what [`write_numbers`] wrote.
pub fn read_numbers(r: &mut impl Read) -> Result<Vec<i64>, String> {
    get_keys(r)
}

impl ExposureIndex<i64> {
    /// Writes every identity, its versions as written and the keys at each.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(MAGIC)?;
        put_u64(w, self.by_identity.len() as u64)?;
        for (identity, slot) in &self.by_identity {
            match identity {
                Identity::Package {
                    kind,
                    namespace,
                    name,
                } => {
                    w.write_all(&[0])?;
                    put_str(w, kind)?;
                    put_str(w, namespace)?;
                    put_str(w, name)?;
                }
                Identity::Product { vendor, product } => {
                    w.write_all(&[1])?;
                    put_str(w, vendor)?;
                    put_str(w, product)?;
                }
            }
            put_u64(w, slot.by_text.len() as u64)?;
            for (text, i) in &slot.by_text {
                put_str(w, text)?;
                put_u64(w, *i as u64)?;
            }
            put_u64(w, slot.slots.len() as u64)?;
            for (_, keys) in &slot.slots {
                put_keys(w, keys)?;
            }
            put_keys(w, &slot.unknown)?;
        }
        Ok(())
    }

    /// Reads what [`Self::write_to`] wrote; fails, saying why, on anything else.
    pub fn read_from(r: &mut impl Read) -> Result<Self, String> {
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic).map_err(|_| bad("cut short"))?;
        if &magic != MAGIC {
            return Err(bad("not a snapshot of this version"));
        }
        let mut index = Self::new();
        for _ in 0..get_u64(r)? {
            let mut tag = [0u8; 1];
            r.read_exact(&mut tag).map_err(|_| bad("cut short"))?;
            let identity = match tag[0] {
                0 => Identity::Package {
                    kind: get_str(r)?,
                    namespace: get_str(r)?,
                    name: get_str(r)?,
                },
                1 => Identity::Product {
                    vendor: get_str(r)?,
                    product: get_str(r)?,
                },
                _ => return Err(bad("an unknown kind of identity")),
            };
            let scheme = identity.scheme().map_err(|e| bad(&e))?;
            let mut by_text = foldhash::HashMap::default();
            for _ in 0..get_u64(r)? {
                let text = get_str(r)?;
                let i = get_u64(r)? as usize;
                by_text.insert(text.into_boxed_str(), i);
            }
            let count = get_u64(r)? as usize;
            if by_text.values().any(|i| *i >= count) {
                return Err(bad("a version names no slot"));
            }
            // Each slot's version, parsed from one of the texts written for it.
            let mut versions: Vec<Option<Version>> = vec![None; count.min(by_text.len())];
            if versions.len() != count {
                return Err(bad("a slot has no version"));
            }
            for (text, i) in &by_text {
                if versions[*i].is_none() {
                    versions[*i] = Some(Version::parse(scheme, text).map_err(|e| bad(&e))?);
                }
            }
            let mut slots = Vec::with_capacity(count);
            let mut order = BTreeMap::new();
            let mut len = 0;
            for (i, v) in versions.into_iter().enumerate() {
                let v = v.ok_or_else(|| bad("a slot has no version"))?;
                let keys = get_keys(r)?;
                len += keys.len();
                order.insert(v.clone(), i);
                slots.push((v, keys));
            }
            let unknown = get_keys(r)?;
            len += unknown.len();
            index.len += len;
            index.by_identity.insert(
                identity,
                Versions {
                    scheme,
                    by_text,
                    slots,
                    order,
                    unknown,
                    len,
                },
            );
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposure::{Affects, Rule};
    use crate::version::{Scheme, VersionRange};

    fn package(name: &str) -> Identity {
        Identity::Package {
            kind: "maven".into(),
            namespace: "org.example".into(),
            name: name.into(),
        }
    }

    fn everything(ix: &ExposureIndex<i64>) -> Vec<(Identity, String, Vec<i64>)> {
        let mut out = Vec::new();
        ix.for_each_version(|identity, text, keys| {
            let mut keys = keys.to_vec();
            keys.sort();
            out.push((identity.clone(), text.to_string(), keys));
        });
        out.sort();
        out
    }

    #[test]
    fn an_index_read_back_answers_as_the_one_written() {
        let mut ix = ExposureIndex::new();
        let windows = Identity::Product {
            vendor: "microsoft".into(),
            product: "windows".into(),
        };
        for (org, v) in [(1, "2.14.1"), (2, "2.17.0"), (3, "2.14.1"), (4, "1.2")] {
            ix.insert(&package("core"), Some(v), org).unwrap();
        }
        // Two texts of one version share a slot; a removal leaves an empty one behind.
        ix.insert(&package("core"), Some("2.17"), 5).unwrap();
        ix.insert(&package("core"), Some("3.0.0"), 6).unwrap();
        assert!(ix.remove(&package("core"), Some("3.0.0"), 6));
        ix.insert(&package("core"), None, 7).unwrap();
        ix.insert(&windows, Some("10 22H2"), 1).unwrap();
        ix.insert(&windows, None, 8).unwrap();

        let mut bytes = Vec::new();
        ix.write_to(&mut bytes).unwrap();
        let back = ExposureIndex::read_from(&mut bytes.as_slice()).unwrap();
        assert_eq!(back.len(), ix.len());
        assert_eq!(everything(&back), everything(&ix));
        let range = Rule {
            identity: package("core"),
            affects: Affects::Range(VersionRange::parse("vers:maven/>=2.0|<2.17").unwrap()),
        };
        let exactly = Rule {
            identity: package("core"),
            affects: Affects::Exactly(Version::parse(Scheme::Maven, "2.17.0").unwrap()),
        };
        let all = Rule {
            identity: windows.clone(),
            affects: Affects::All,
        };
        for rule in [&range, &exactly, &all] {
            let (mut a, mut b) = (ix.matches(rule), back.matches(rule));
            a.sort();
            b.sort();
            assert_eq!(a, b);
        }
        assert_eq!(
            back.matches(&exactly).len(),
            2,
            "2.17 and 2.17.0 are one version"
        );

        // What was read back changes as the original would.
        let mut back = back;
        back.insert(&package("core"), Some("3.0.0"), 9).unwrap();
        assert!(back.remove(&windows, None, 8));
        ix.insert(&package("core"), Some("3.0.0"), 9).unwrap();
        assert!(ix.remove(&windows, None, 8));
        assert_eq!(everything(&back), everything(&ix));
        assert_eq!(back.len(), ix.len());
    }

    #[test]
    fn a_damaged_snapshot_is_refused_not_half_read() {
        let mut ix = ExposureIndex::new();
        ix.insert(&package("core"), Some("1.0"), 1).unwrap();
        let mut bytes = Vec::new();
        ix.write_to(&mut bytes).unwrap();
        for cut in [0, 4, 9, bytes.len() - 1] {
            let err = ExposureIndex::read_from(&mut &bytes[..cut]).unwrap_err();
            assert!(err.contains("damaged"), "{err}");
        }
        let mut other = bytes.clone();
        other[0] = b'X';
        assert!(ExposureIndex::read_from(&mut other.as_slice()).is_err());
        // A count far beyond the data is refused without allocating for it.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&1u64.to_le_bytes());
        huge.push(1);
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(ExposureIndex::read_from(&mut huge.as_slice()).is_err());
    }
}
