//! Search keys: names folded the same way on every engine, so one question gives one answer.
//!
//! SQLite's `LOWER` folds only ASCII while PostgreSQL's folds every script, so a search for
//! `Élan` found "Élan Care" on one and not the other. Names are therefore stored beside a key
//! folded here, in Rust, and searches compare keys: case is folded and accents are dropped
//! (compatibility decomposition, then without combining marks), so `elan`, `Élan` and `ÉLAN`
//! all find "Élan Care Ltd".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `text` folded for searching: lower case, without accents, with runs of white space as one
/// space and none at either end.
pub fn search_key(text: &str) -> String {
    let folded: String = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_accents_fold_alike() {
        for q in [
            "Élan Care Ltd",
            "ÉLAN CARE LTD",
            "elan  care ltd",
            " Elan Care Ltd ",
        ] {
            assert_eq!(search_key(q), "elan care ltd", "{q}");
        }
        assert_eq!(
            search_key("Ysbyty Gwynedd, Bangor"),
            "ysbyty gwynedd, bangor"
        );
        assert_eq!(
            search_key("Straße"),
            "straße",
            "ß has no simple lower-case pair"
        );
        assert_eq!(search_key("ﬁnch"), "finch", "compatibility forms decompose");
        assert_eq!(search_key(""), "");
    }
}
