//! Maven's order, as `org.apache.maven.artifact.versioning.ComparableVersion` defines it: the
//! version splits into numbers and qualifiers at `.`, `-` and digit/letter transitions; `-` and a
//! transition open a sub-list, while a qualifier after a dot stays in its list (`2.0.a` > `2-1`);
//! trailing zeros and the release qualifiers `ga` and `final` are dropped; known qualifiers order
//! `alpha < beta < milestone < rc = cr < snapshot < (release) < sp`, and unknown ones come after,
//! alphabetically. This is the order the `vers` specification's cases and `univers` follow
//! (Maven 3.9 later made `release` an alias of the release too; here it is an unknown qualifier).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros ("" is zero).
    Int(String),
    /// A qualifier, already mapped to its comparable form (see `comparable`).
    Str(String),
    List(Vec<Item>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MavenVersion(Vec<Item>);

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// The comparable form of the release qualifier ("").
const RELEASE: &str = "5";

/// A qualifier's comparable form: its rank among the known ones, or after all of them.
fn comparable(q: &str, followed_by_digit: bool) -> String {
    let q = match (q, followed_by_digit) {
        ("a", true) => "alpha",
        ("b", true) => "beta",
        ("m", true) => "milestone",
        ("ga" | "final", _) => "",
        ("cr", _) => "rc",
        (q, _) => q,
    };
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn int(digits: &str) -> Item {
    Item::Int(digits.trim_start_matches('0').to_string())
}

fn item(is_digit: bool, text: &str) -> Item {
    if is_digit {
        int(text)
    } else {
        Item::Str(comparable(text, false))
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(q) => q == RELEASE,
            Item::List(l) => l.is_empty(),
        }
    }

    /// Compares with a missing item (`None`) too, as a shorter list is padded.
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(d), None) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Str(q), None) => q.as_str().cmp(RELEASE),
            (Item::List(l), None) => l.first().map_or(Ordering::Equal, |i| i.compare(None)),
            (Item::Int(a), Some(Item::Int(b))) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(a), Some(Item::Str(b))) => a.cmp(b),
            (Item::Str(_), Some(_)) => Ordering::Less,
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => compare_lists(a, b),
        }
    }
}

fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = match (a.get(i), b.get(i)) {
            (Some(l), r) => l.compare(r),
            (None, Some(r)) => r.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items (zeros, release qualifiers, empty lists), looking past sub-lists.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// A list under construction: the path of open sub-lists from the root.
struct Builder {
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn push(&mut self, i: Item) {
        self.stack.last_mut().expect("root list").push(i);
    }
    fn open(&mut self) {
        self.stack.push(Vec::new());
    }
    fn finish(mut self) -> Vec<Item> {
        while self.stack.len() > 1 {
            let mut inner = self.stack.pop().expect("checked length");
            normalize(&mut inner);
            self.push(Item::List(inner));
        }
        let mut root = self.stack.pop().expect("root list");
        normalize(&mut root);
        root
    }
}

impl MavenVersion {
    /// Every string is a Maven version (Maven orders anything it is given).
    pub fn parse(raw: &str) -> Self {
        let v = raw.to_lowercase();
        let mut b = Builder {
            stack: vec![Vec::new()],
        };
        let mut is_digit = false;
        let mut start = 0;
        for (i, c) in v.char_indices() {
            if c == '.' || c == '-' {
                if i == start {
                    b.push(Item::Int(String::new()));
                } else {
                    b.push(item(is_digit, &v[start..i]));
                }
                start = i + 1;
                if c == '-' {
                    b.open();
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    let q = &v[start..i];
                    b.push(Item::Str(comparable(q, true)));
                    start = i;
                    b.open();
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    b.push(int(&v[start..i]));
                    start = i;
                    b.open();
                }
                is_digit = false;
            }
        }
        if v.len() > start {
            b.push(item(is_digit, &v[start..]));
        }
        Self(b.finish())
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.0, &other.0)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
