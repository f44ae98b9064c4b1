//! Properties of the parsers that every organisation, person and contact passes through.

use palisade_domain::org::OrgCode;
use palisade_domain::people::{Email, Mobile};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// A code parses exactly when, trimmed, it is 2-12 ASCII letters and digits; then it is
    /// upper-case and parsing it again in any case gives the same code. Half the inputs are
    /// drawn from near-codes, so both sides of the rule are reached in every run.
    #[test]
    fn org_codes_are_canonical(raw in prop_oneof!["[A-Za-z0-9 ]{0,14}", "\\PC{0,16}"]) {
        let t = raw.trim();
        let shaped = (OrgCode::MIN_LEN..=OrgCode::MAX_LEN).contains(&t.len())
            && t.chars().all(|c| c.is_ascii_alphanumeric());
        match OrgCode::parse("code", &raw) {
            Ok(code) => {
                prop_assert!(shaped, "{raw:?} parsed");
                prop_assert_eq!(code.as_str(), t.to_ascii_uppercase());
                prop_assert_eq!(OrgCode::parse("code", &t.to_lowercase()).unwrap(), code.clone());
            }
            Err(_) => prop_assert!(!shaped, "{raw:?} refused"),
        }
    }

    /// Valid ODS-shaped codes always parse, whatever their case and surrounding spaces.
    #[test]
    fn ods_shaped_codes_parse(code in "[A-Za-z][A-Za-z0-9]{1,7}", pad in " {0,3}") {
        let parsed = OrgCode::parse("code", &format!("{pad}{code}{pad}")).unwrap();
        prop_assert_eq!(parsed.as_str(), code.to_ascii_uppercase());
    }

    /// Emails that parse are lower-case, trimmed and idempotent.
    #[test]
    fn emails_are_canonical(raw in "\\PC{0,40}") {
        if let Ok(e) = Email::parse("email", &raw) {
            prop_assert_eq!(e.as_str(), e.as_str().to_lowercase());
            prop_assert!(!e.as_str().contains(char::is_whitespace));
            prop_assert_eq!(Email::parse("email", e.as_str()).unwrap(), e.clone());
        }
    }

    /// UK mobiles in any common spacing normalise to the same E.164 form.
    #[test]
    fn uk_mobiles_normalise(digits in "[0-9]{9}") {
        let national = format!("07{}", &digits[..3]);
        let rest = &digits[3..];
        let a = Mobile::parse("m", &format!("{national} {rest}")).unwrap();
        let b = Mobile::parse("m", &format!("+44 7{}-{rest}", &digits[..3])).unwrap();
        prop_assert_eq!(a.as_str(), format!("+447{digits}"));
        prop_assert_eq!(a, b);
    }
}

mod exposure {
    use palisade_domain::alert::AffectedProduct;
    use palisade_domain::exposure::{ExposureIndex, Identity, rules_for_product};
    use palisade_domain::ident::{Purl, Vers};
    use palisade_domain::version::{Scheme, Version, VersionRange};
    use proptest::prelude::*;

    /// A Maven-ish version from a small alphabet, so ranges and components often meet.
    fn version() -> impl Strategy<Value = String> {
        (
            0u8..4,
            0u8..12,
            proptest::option::of(0u8..3),
            prop_oneof!["", "-alpha", "-rc1", "-SNAPSHOT", "-sp1"],
        )
            .prop_map(|(a, b, c, q)| match c {
                Some(c) => format!("{a}.{b}.{c}{q}"),
                None => format!("{a}.{b}{q}"),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// The index answers a range exactly as checking every component with `contains` would,
        /// and as `Rule::names` does for one component.
        #[test]
        fn index_matches_equal_a_scan(
            components in proptest::collection::vec(version(), 0..60),
            bounds in proptest::collection::vec((version(), 0usize..6), 1..6),
        ) {
            let ops = ["<", "<=", ">", ">=", "", "!="];
            let mut seen = std::collections::BTreeSet::new();
            let mut constraints = Vec::new();
            for (v, op) in &bounds {
                if seen.insert(Version::parse(Scheme::Maven, v).unwrap()) {
                    constraints.push(format!("{}{v}", ops[*op]));
                }
            }
            let vers = format!("vers:maven/{}", constraints.join("|"));
            let range = VersionRange::parse(&vers).unwrap();
            let purl = Purl::parse("pkg:maven/org.example/lib").unwrap();
            let mut ix = ExposureIndex::new();
            for (i, c) in components.iter().enumerate() {
                ix.insert(&Identity::of_purl(&purl), Some(c.as_str()), i).unwrap();
            }
            let product = AffectedProduct {
                name: "lib".into(),
                cpe: None,
                purl: Some(purl),
                vers: Some(Vers::parse(&vers).unwrap()),
            };
            let rules = rules_for_product(&product).unwrap();
            let mut got = ix.matches(&rules[0]);
            got.sort();
            let want: Vec<usize> = components
                .iter()
                .enumerate()
                .filter(|(_, c)| range.contains(&Version::parse(Scheme::Maven, c).unwrap()))
                .map(|(i, _)| i)
                .collect();
            let named: Vec<usize> = components
                .iter()
                .enumerate()
                .filter(|(_, c)| rules[0].names(&Identity::of_purl(product.purl.as_ref().unwrap()), Some(c.as_str())))
                .map(|(i, _)| i)
                .collect();
            prop_assert_eq!(&got, &want, "{}", vers);
            prop_assert_eq!(named, want, "{}", vers);
        }
    }
}
