//! External catalogs (OSCAL, CISO Assistant) map onto the ten-standard shape, and the frameworks
//! shipped in `frameworks/` are valid and shaped as the domain describes.

use palisade_domain::framework::{self, AnswerType, FrameworkKind};
use palisade_domain::org::OrgType;
use palisade_formats::catalogs::{CatalogParams, SourceFormat, from_ciso_assistant, from_oscal};

fn params() -> CatalogParams {
    CatalogParams {
        key: "clinic".into(),
        year: 2026,
        categories: vec![3],
        deadline: "2027-06-30".into(),
        interim_baseline: None,
    }
}

const OSCAL: &str = include_str!("fixtures/oscal-catalog.json");
const CISO: &str = include_str!("fixtures/ciso-library.yaml");
const TEN: &str = include_str!("../../../frameworks/dspt-ten-standard-2026.yaml");
const CAF: &str = include_str!("../../../frameworks/dspt-caf-2026.yaml");

#[test]
fn formats_are_recognised_by_content() {
    assert_eq!(SourceFormat::detect(OSCAL), SourceFormat::OscalCatalog);
    assert_eq!(SourceFormat::detect(CISO), SourceFormat::CisoAssistant);
    assert_eq!(SourceFormat::detect(TEN), SourceFormat::Palisade);
}

#[test]
fn an_oscal_catalog_becomes_standards_assertions_and_items() {
    let f = from_oscal(OSCAL, &params()).expect("imports");
    assert_eq!(f.kind, FrameworkKind::TenStandard);
    assert_eq!(f.name, "Small clinic security catalog");
    assert_eq!(f.version, "0.3");
    let s = f.standards();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].title, "Access");
    assert_eq!(
        s[1].title, "Backups",
        "nested groups fold into their top group"
    );
    let items: Vec<(&str, Option<&str>)> = f
        .items()
        .map(|i| (i.reference.as_str(), i.source_ref.as_deref()))
        .collect();
    assert_eq!(
        items,
        vec![
            ("1.1.1", Some("ACC-1")),
            ("1.1.2", Some("ACC-1(1)")),
            ("1.2.1", Some("acc-2")),
            ("2.1.1", Some("bak-1")),
        ]
    );
    let leavers = f.items().nth(2).unwrap();
    assert!(leavers.text.contains("disabled on their last day"));
    assert!(leavers.text.contains("reviewed monthly"));
    assert!(
        f.items().all(|i| i.answer_type == AnswerType::YesNo
            && i.applicability(OrgType::Pharmacy).is_mandatory())
    );
}

#[test]
fn a_ciso_assistant_library_becomes_the_same_shape() {
    let f = from_ciso_assistant(CISO, &params()).expect("imports");
    assert_eq!(f.name, "Clinic basics");
    assert_eq!(f.version, "2");
    let s = f.standards();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].title, "Governance");
    assert_eq!(s[0].assertions.len(), 2);
    assert_eq!(s[0].assertions[1].items.len(), 2);
    assert_eq!(
        s[1].title, "Network",
        "an assessable top node is its own standard and item"
    );
    let refs: Vec<_> = f
        .items()
        .map(|i| (i.reference.clone(), i.source_ref.clone().unwrap()))
        .collect();
    assert_eq!(
        refs,
        [
            ("1.1.1", "GOV-1"),
            ("1.2.1", "GOV-2.a"),
            ("1.2.2", "GOV-2.b"),
            ("2.1.1", "NET")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[test]
fn a_ciso_library_with_a_dangling_parent_or_wrong_depth_is_refused() {
    let dangling = CISO.replace(
        "parent_urn: urn:intuitem:risk:req_node:palisade-test-clinic:gov-2\n      ref_id: GOV-2.b",
        "parent_urn: urn:intuitem:risk:req_node:palisade-test-clinic:nowhere\n      ref_id: GOV-2.b",
    );
    assert_ne!(dangling, CISO);
    let e = from_ciso_assistant(&dangling, &params())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("requirement_nodes[4].parent_urn") && e.contains("nowhere"),
        "{e}"
    );
    let depth = CISO.replacen("depth: 3", "depth: 2", 1);
    let e = from_ciso_assistant(&depth, &params())
        .unwrap_err()
        .to_string();
    assert!(e.contains("requirement_nodes[3].depth"), "{e}");
    assert!(from_oscal("{\"catalog\": {}}", &params()).is_err());
}

#[test]
fn the_shipped_ten_standard_framework_has_the_published_shape() {
    let f = framework::parse(TEN).expect("shipped file is valid");
    assert_eq!(f.kind, FrameworkKind::TenStandard);
    assert!(f.notice.as_deref().unwrap().contains("illustrative"));
    assert_eq!(f.standards().len(), 10);
    let care = OrgType::AdultSocialCare;
    let mandatory = f
        .items()
        .filter(|i| i.applicability(care).is_mandatory())
        .count();
    let approaching = f
        .items()
        .filter(|i| i.applicability(care).in_approaching())
        .count();
    assert_eq!(
        (mandatory, approaching),
        (42, 26),
        "social care: 42 mandatory, 26 Approaching"
    );
    for t in [OrgType::GpPractice, OrgType::Pharmacy, OrgType::ItSupplier] {
        let n = f
            .items()
            .filter(|i| i.applicability(t).is_mandatory())
            .count();
        assert!((40..=116).contains(&n), "{t}: {n} mandatory items");
    }
    for kind in AnswerType::ALL {
        assert!(f.items().any(|i| i.answer_type == *kind), "no {kind} item");
    }
}

#[test]
fn the_shipped_caf_framework_names_the_caf_outcomes() {
    let f = framework::parse(CAF).expect("shipped file is valid");
    assert_eq!(f.kind, FrameworkKind::Caf);
    let refs: Vec<&str> = f
        .objectives()
        .iter()
        .map(|o| o.reference.as_str())
        .collect();
    assert_eq!(refs, ["A", "B", "C", "D", "E"]);
    assert_eq!(f.outcomes().count(), 47);
    let names: Vec<(&str, &str)> = f
        .outcomes()
        .map(|o| (o.reference.as_str(), o.title.as_str()))
        .collect();
    for (r, t) in [
        ("A1.a", "Board direction"),
        (
            "B2.a",
            "Identity verification, authentication and authorisation",
        ),
        ("C1.e", "Monitoring tools and skills"),
        ("D2.b", "Using incidents to drive improvements"),
        ("E1.a", "Privacy information"),
        ("E3.a", "Information sharing for direct care"),
        ("E4.a", "Managing records"),
    ] {
        assert!(names.contains(&(r, t)), "{r} {t}");
    }
    assert!(
        f.outcomes().any(|o| !o.has_partial()),
        "some outcomes have two columns"
    );
}
