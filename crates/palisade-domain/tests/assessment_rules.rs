//! Frameworks as data and the assessment rules: file validation, item and outcome evaluation, and
//! every combination of the inputs that decide a status.

use palisade_domain::assessment::{
    CertificateFact, Facts, Needs, Status, StatusInputs, before_deadline, canonical_answer,
    days_left_text, decide_status, evaluate, outcome_level,
};
use palisade_domain::framework::{self, Level};
use palisade_domain::org::{Category, OrgType};
use serde_json::json;
use time::macros::date;

const TEN: &str = r#"
format: palisade-framework/1
key: test-ten
version: "1"
year: 2026
kind: ten_standard
name: Test toolkit
categories: [3, 4]
deadline: 2027-06-30
interim_baseline: 2026-12-31
assurance_ratings: [Substantial, Limited]
certificates:
  - {key: cyber_essentials_plus, name: Cyber Essentials Plus, exceeds: true}
type_groups:
  care: [adult_social_care]
standards:
  - ref: "1"
    title: Personal confidential data
    group: people
    assertions:
      - ref: "1.1"
        text: Lawful use
        items:
          - {ref: "1.1.1", text: Has a DPO?, answer: yes_no, mandatory: [all], approaching: [care]}
          - {ref: "1.1.2", text: DPO name, answer: text, mandatory: [care], optional: [gp_practice]}
  - ref: "3"
    title: Training
    group: people
    assertions:
      - ref: "3.1"
        text: Staff are trained
        items:
          - {ref: "3.1.1", text: Percent trained, answer: number, min: 95, mandatory: [care, gp_practice]}
          - {ref: "3.1.2", text: Last review, answer: date, optional: [care]}
          - {ref: "3.1.3", text: Training policy, answer: document, mandatory: [gp_practice]}
          - {ref: "3.1.4", text: CE+, answer: certificate, certificate: cyber_essentials_plus, optional: [all]}
"#;

const CAF: &str = r#"
format: palisade-framework/1
key: test-caf
version: "1"
year: 2026
kind: caf
name: Test CAF
categories: [1]
deadline: 2027-06-30
assurance_ratings: [Substantial]
objectives:
  - ref: A
    title: Managing security risk
    principles:
      - ref: A1
        title: Governance
        outcomes:
          - ref: A1.a
            title: Board direction
            igps:
              - {ref: A1.a.1, level: not_achieved, text: No board discussion}
              - {ref: A1.a.2, level: partially_achieved, text: Some discussion}
              - {ref: A1.a.3, level: achieved, text: Regular discussion}
              - {ref: A1.a.4, level: achieved, text: Board member owns risk}
          - ref: A1.c
            title: Decision-making
            igps:
              - {ref: A1.c.1, level: not_achieved, text: Unclear}
              - {ref: A1.c.2, level: achieved, text: Clear}
profile:
  name: Test profile
  targets:
    A1.a: {"1": partially_achieved}
    A1.c: {"1": achieved}
"#;

fn ten() -> framework::Framework {
    framework::parse(TEN).expect("the test toolkit is valid")
}

fn caf() -> framework::Framework {
    framework::parse(CAF).expect("the test CAF is valid")
}

fn errors_of(text: &str) -> Vec<String> {
    framework::parse(text)
        .expect_err("should be refused")
        .0
        .into_iter()
        .map(|e| e.to_string())
        .collect()
}

fn answers(pairs: &[(&str, &str)]) -> Facts {
    Facts {
        answers: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Facts::default()
    }
}

const TODAY: time::Date = date!(2027 - 03 - 01);

#[test]
fn a_valid_file_resolves_groups_and_applicability() {
    let f = ten();
    assert_eq!(f.items().count(), 6);
    let item = f.items().find(|i| i.reference == "1.1.1").unwrap();
    assert_eq!(
        item.mandatory_for.len(),
        OrgType::ALL.len(),
        "`all` expands"
    );
    assert!(
        item.applicability(OrgType::AdultSocialCare)
            .in_approaching()
    );
    assert!(!item.applicability(OrgType::GpPractice).in_approaching());
    let dpo = f.items().find(|i| i.reference == "1.1.2").unwrap();
    assert!(!dpo.applicability(OrgType::Pharmacy).applies());
    assert!(dpo.applicability(OrgType::GpPractice).applies());
    assert!(!dpo.applicability(OrgType::GpPractice).is_mandatory());
}

#[test]
fn references_know_their_section_and_text() {
    let t = ten();
    assert_eq!(t.section_of("3.1.3"), Some("3"));
    assert_eq!(t.section_of("1.1.1"), Some("1"));
    assert_eq!(t.node("3.1.3").map(|n| n.text()), Some("Training policy"));
    assert_eq!(t.section_of("9.9.9"), None);
    let c = caf();
    assert_eq!(c.section_of("A1.c"), Some("A"), "an outcome");
    assert_eq!(c.section_of("A1.a.3"), Some("A"), "an IGP");
    assert_eq!(
        c.node("A1.a.3").map(|n| n.text()),
        Some("Regular discussion")
    );
}

#[test]
fn canonical_json_reads_back_to_the_same_framework() {
    for f in [ten(), caf()] {
        let again = framework::parse(&f.canonical_json()).expect("canonical form parses");
        assert_eq!(again, f);
        assert_eq!(again.canonical_json(), f.canonical_json());
    }
}

#[test]
fn broken_files_are_refused_with_their_paths() {
    let broken_tree = TEN.replace("ref: \"3.1.2\"", "ref: \"3.2.2\"");
    assert!(
        errors_of(&broken_tree)
            .iter()
            .any(|e| e.contains("standards[1].assertions[0].items[1].ref")
                && e.contains("not under assertion \"3.1\"")),
        "{:?}",
        errors_of(&broken_tree)
    );
    let duplicate = TEN.replace("ref: \"3.1.2\"", "ref: \"3.1.1\"");
    assert!(
        errors_of(&duplicate)
            .iter()
            .any(|e| e.contains("used more than once"))
    );
    let bad_type = TEN.replace("optional: [gp_practice]", "optional: [hospital]");
    assert!(
        errors_of(&bad_type)
            .iter()
            .any(|e| e.contains("items[1].optional[0]"))
    );
    let bad_answer = TEN.replace("answer: date", "answer: colour");
    assert!(errors_of(&bad_answer).iter().any(|e| e.contains(".answer")));
    let not_subset = TEN.replace(
        "min: 95, mandatory: [care, gp_practice]}",
        "min: 95, mandatory: [care, gp_practice], approaching: [pharmacy]}",
    );
    assert!(
        errors_of(&not_subset)
            .iter()
            .any(|e| e.contains("approaching") && e.contains("pharmacy"))
    );
    let both = TEN.replace("optional: [gp_practice]", "optional: [care]");
    assert!(
        errors_of(&both)
            .iter()
            .any(|e| e.contains("both mandatory and optional"))
    );
    let unknown_cert = TEN.replace("certificate: cyber_essentials_plus,", "certificate: iso,");
    assert!(
        errors_of(&unknown_cert)
            .iter()
            .any(|e| e.contains("certificates"))
    );
    let typo = TEN.replace("deadline:", "dedline:");
    assert!(errors_of(&typo)[0].contains("unknown field"));
    let bad_level = CAF.replace("level: partially_achieved", "level: mostly");
    assert!(
        errors_of(&bad_level)
            .iter()
            .any(|e| e.contains("igps[1].level"))
    );
    let no_target = CAF.replace("    A1.c: {\"1\": achieved}\n", "");
    assert!(
        errors_of(&no_target)
            .iter()
            .any(|e| e.contains("profile.targets.A1.c.1"))
    );
    let two_column_partial = CAF.replace(
        "A1.c: {\"1\": achieved}",
        "A1.c: {\"1\": partially_achieved}",
    );
    assert!(
        errors_of(&two_column_partial)
            .iter()
            .any(|e| e.contains("no Partially achieved level"))
    );
    let no_achieved = CAF.replace(
        "level: achieved, text: Clear",
        "level: not_achieved, text: Clear",
    );
    assert!(
        errors_of(&no_achieved)
            .iter()
            .any(|e| e.contains("needs at least one Achieved"))
    );
    let principle_elsewhere = CAF.replace("- ref: A1\n", "- ref: B1\n");
    assert!(
        errors_of(&principle_elsewhere)
            .iter()
            .any(|e| e.contains("not under objective \"A\""))
    );
}

#[test]
fn answers_are_checked_against_the_item_type() {
    let f = ten();
    let care = OrgType::AdultSocialCare;
    let ok = |r: &str, v| canonical_answer(&f, care, r, &v);
    assert_eq!(ok("1.1.1", json!(true)).unwrap().unwrap(), "yes");
    assert_eq!(ok("1.1.1", json!("No")).unwrap().unwrap(), "no");
    assert!(
        ok("1.1.1", json!(3))
            .unwrap_err()
            .message
            .contains("yes or no")
    );
    assert_eq!(ok("3.1.1", json!(96.5)).unwrap().unwrap(), "96.5");
    assert_eq!(ok("3.1.1", json!(" 97 ")).unwrap().unwrap(), "97");
    assert!(ok("3.1.1", json!("lots")).is_err());
    assert!(ok("3.1.1", json!(true)).is_err());
    assert_eq!(
        ok("3.1.2", json!("2026-05-01")).unwrap().unwrap(),
        "2026-05-01"
    );
    assert!(
        ok("3.1.2", json!("01/05/2026"))
            .unwrap_err()
            .message
            .contains("YYYY-MM-DD")
    );
    assert_eq!(
        ok("1.1.2", json!("  Jo Bloggs ")).unwrap().unwrap(),
        "Jo Bloggs"
    );
    assert_eq!(ok("1.1.2", json!(null)).unwrap(), None, "null clears");
    assert!(ok("1.1.2", json!(5)).is_err());
    assert!(
        ok("3.1.4", json!("yes"))
            .unwrap_err()
            .message
            .contains("certificate")
    );
    let err = ok("9.9.9", json!(true)).unwrap_err();
    assert_eq!(err.field, "answers.9.9.9");
    assert!(err.message.contains("not an item"));
    // 3.1.3 is for GP practices only.
    assert!(
        canonical_answer(&f, care, "3.1.3", &json!("x"))
            .unwrap_err()
            .message
            .contains("does not apply")
    );
    let c = caf();
    assert_eq!(
        canonical_answer(&c, OrgType::AcuteTrust, "A1.a.3", &json!(true))
            .unwrap()
            .unwrap(),
        "yes"
    );
    assert_eq!(
        canonical_answer(
            &c,
            OrgType::AcuteTrust,
            "A1.a",
            &json!("Board minutes of May")
        )
        .unwrap()
        .unwrap(),
        "Board minutes of May"
    );
}

#[test]
fn evaluation_lists_what_met_and_approaching_still_need() {
    let f = ten();
    let care = OrgType::AdultSocialCare;
    let e = evaluate(&f, care, Category::Three, &Facts::default(), TODAY);
    assert!(!e.met && !e.approaching_met);
    assert_eq!(e.needed_for_met, vec!["1.1.1", "1.1.2", "3.1.1"]);
    assert_eq!(e.needed_for_approaching, vec!["1.1.1"]);
    assert_eq!(
        e.needs,
        Needs {
            unanswered: 3,
            evidence: 0,
            not_met: 0
        }
    );
    assert_eq!(e.needs.text(), "3 mandatory items unanswered");
    let e = evaluate(
        &f,
        care,
        Category::Three,
        &answers(&[("1.1.1", "yes")]),
        TODAY,
    );
    assert!(e.approaching_met && !e.met);
    assert_eq!(e.sections[0].required_met, 1);
    assert_eq!(e.sections[0].required, 2);
    let almost = answers(&[("1.1.1", "yes"), ("1.1.2", "Jo"), ("3.1.1", "94.9")]);
    assert_eq!(
        evaluate(&f, care, Category::Three, &almost, TODAY).needed_for_met,
        vec!["3.1.1"]
    );
    let e = evaluate(&f, care, Category::Three, &almost, TODAY);
    assert_eq!(
        (e.needs.not_met, e.needs.total()),
        (1, 1),
        "95 is the minimum"
    );
    assert_eq!(e.needs.text(), "1 answer not yet meeting its item");
    let mut all = answers(&[("1.1.1", "yes"), ("1.1.2", "Jo"), ("3.1.1", "95")]);
    let e = evaluate(&f, care, Category::Three, &all, TODAY);
    assert!(e.met && !e.exceeding_certificate);
    all.certificates.push(CertificateFact {
        kind: "cyber_essentials_plus".into(),
        expires_on: TODAY,
    });
    assert!(evaluate(&f, care, Category::Three, &all, TODAY).exceeding_certificate);
    let tomorrow = TODAY.next_day().unwrap();
    assert!(
        !evaluate(&f, care, Category::Three, &all, tomorrow).exceeding_certificate,
        "an expired certificate does not count"
    );
    // A GP practice needs the training policy document.
    let gp = answers(&[("1.1.1", "yes"), ("3.1.1", "99")]);
    let e = evaluate(&f, OrgType::GpPractice, Category::Four, &gp, TODAY);
    assert_eq!(e.needed_for_met, vec!["3.1.3"]);
    assert_eq!(
        e.needs.text(),
        "1 piece of evidence missing",
        "the document is evidence"
    );
    let mut gp = gp;
    gp.documents.insert("3.1.3".into(), 1);
    assert!(evaluate(&f, OrgType::GpPractice, Category::Four, &gp, TODAY).met);
}

/// Every truth assignment of a three-column outcome's four indicators, checked against the rule
/// as the domain text states it.
#[test]
fn caf_outcome_levels_follow_the_rule_for_every_assignment() {
    let f = caf();
    let outcome = f.outcomes().next().unwrap();
    for bits in 0u8..16 {
        let set = |i: u8| bits & (1 << i) != 0;
        let mut facts = Facts::default();
        for (i, r) in ["A1.a.1", "A1.a.2", "A1.a.3", "A1.a.4"].iter().enumerate() {
            facts.answers.insert(
                r.to_string(),
                if set(i as u8) { "yes" } else { "no" }.into(),
            );
        }
        let expected = if set(0) {
            Level::NotAchieved
        } else if set(2) && set(3) {
            Level::Achieved
        } else if set(1) {
            Level::PartiallyAchieved
        } else {
            Level::NotAchieved
        };
        assert_eq!(outcome_level(outcome, &facts), expected, "bits {bits:04b}");
    }
    // A two-column outcome never lands on Partially achieved.
    let two = f.outcomes().nth(1).unwrap();
    assert_eq!(outcome_level(two, &Facts::default()), Level::NotAchieved);
    assert_eq!(
        outcome_level(two, &answers(&[("A1.c.2", "yes")])),
        Level::Achieved
    );
    assert_eq!(
        outcome_level(two, &answers(&[("A1.c.1", "yes"), ("A1.c.2", "yes")])),
        Level::NotAchieved
    );
}

#[test]
fn caf_met_means_every_outcome_at_its_profile_target() {
    let f = caf();
    let partial = answers(&[("A1.a.2", "yes"), ("A1.c.2", "yes")]);
    let e = evaluate(&f, OrgType::AcuteTrust, Category::One, &partial, TODAY);
    assert!(e.met, "A1.a's target is partially achieved");
    assert!(!e.approaching_met, "CAF has no Approaching subset");
    let short = answers(&[("A1.a.2", "yes")]);
    let e = evaluate(&f, OrgType::AcuteTrust, Category::One, &short, TODAY);
    assert_eq!(e.needed_for_met, vec!["A1.c"]);
    assert_eq!(e.needs.unanswered, 1, "no indicator of A1.c answered");
    assert_eq!(e.outcomes[1].level, Level::NotAchieved);
}

/// Every combination of the six inputs (2^5 flags x 7 previous statuses).
#[test]
fn status_decision_is_exhaustively_as_the_table_says() {
    let previous: Vec<Option<Status>> = std::iter::once(None)
        .chain(Status::ALL.iter().copied().map(Some))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for bits in 0u8..32 {
        for prev in &previous {
            let b = |i: u8| bits & (1 << i) != 0;
            let i = StatusInputs {
                met: b(0),
                approaching_met: b(1),
                exceeding_certificate: b(2),
                plan_covers_unmet: b(3),
                plan_approved: b(4),
                previous: *prev,
            };
            let s = decide_status(i);
            seen.insert(s);
            assert_ne!(s, Status::NotPublished);
            // Exceeded exactly when met with the certificate; Met exactly when met without it.
            assert_eq!(
                s == Status::StandardsExceeded,
                i.met && i.exceeding_certificate
            );
            assert_eq!(s == Status::StandardsMet, i.met && !i.exceeding_certificate);
            // Approaching only off the back of the subset and a plan, never two years running.
            if s == Status::ApproachingStandards {
                assert!(!i.met && i.approaching_met && i.plan_covers_unmet);
                assert_ne!(i.previous, Some(Status::ApproachingStandards));
            }
            if !i.met
                && i.approaching_met
                && i.plan_covers_unmet
                && i.previous != Some(Status::ApproachingStandards)
            {
                assert_eq!(s, Status::ApproachingStandards);
            }
            // Plan Agreed is Not Met with an approved plan, never a better status.
            if s == Status::PlanAgreed {
                assert!(!i.met && i.plan_approved && i.plan_covers_unmet);
            }
            if s == Status::StandardsNotMet {
                assert!(!i.met);
                assert!(!(i.plan_approved && i.plan_covers_unmet));
            }
        }
    }
    assert_eq!(
        seen.len(),
        5,
        "every published status is reachable: {seen:?}"
    );
}

#[test]
fn days_left_reads_naturally() {
    let d = date!(2027 - 06 - 30);
    assert_eq!(days_left_text(d, date!(2027 - 06 - 30)), "due today");
    assert_eq!(days_left_text(d, date!(2027 - 06 - 29)), "1 day left");
    assert_eq!(days_left_text(d, date!(2027 - 06 - 01)), "29 days left");
    assert_eq!(days_left_text(d, date!(2027 - 07 - 01)), "1 day overdue");
    assert_eq!(days_left_text(d, date!(2027 - 07 - 10)), "10 days overdue");
}

#[test]
fn the_cycle_turns_on_the_first_of_july() {
    use palisade_domain::assessment::{current_year, year_label};
    assert_eq!(current_year(date!(2026 - 06 - 30)), 2025);
    assert_eq!(current_year(date!(2026 - 07 - 01)), 2026);
    assert_eq!(current_year(date!(2026 - 11 - 24)), 2026);
    assert_eq!(year_label(2026), "2026-27");
    assert_eq!(year_label(2099), "2099-00");
}

/// What is stored reads back as the type it was given in: the inverse of `canonical_answer`.
#[test]
fn stored_answers_read_back_in_their_own_type() {
    use palisade_domain::assessment::answer_json;
    let f = ten();
    let care = OrgType::AdultSocialCare;
    for (r, v) in [
        ("1.1.1", json!(true)),
        ("1.1.1", json!(false)),
        ("3.1.1", json!(96.5)),
        ("3.1.2", json!("2026-05-01")),
        ("1.1.2", json!("Jo Bloggs")),
    ] {
        let stored = canonical_answer(&f, care, r, &v).unwrap().unwrap();
        assert_eq!(answer_json(&f, r, &stored), v, "{r}");
    }
    let c = caf();
    assert_eq!(answer_json(&c, "A1.a.2", "yes"), json!(true));
    assert_eq!(answer_json(&c, "A1.a", "minutes"), json!("minutes"));
    // Every reference is found through the index, and nothing else is.
    for r in ["1.1.1", "3.1.4", "A1.a", "A1.a.4", "A1.c.2"] {
        assert!(f.node(r).is_some() || c.node(r).is_some(), "{r}");
    }
    for r in ["1", "1.1", "A", "A1", "A1.a.9", ""] {
        assert!(f.node(r).is_none() && c.node(r).is_none(), "{r}");
    }
}

#[test]
fn the_deadline_day_is_still_before_the_deadline() {
    let d = date!(2027 - 06 - 30);
    assert!(before_deadline(d, date!(2027 - 06 - 29)));
    assert!(before_deadline(d, d));
    assert!(!before_deadline(d, date!(2027 - 07 - 01)));
}

/// The demonstration carries its frameworks to the cycle it runs in: the same questions, the
/// dates and the cycle's label moved, and still a framework that validates.
#[test]
fn a_framework_carried_to_a_later_cycle_moves_its_dates_and_label() {
    let shipped = framework::parse(include_str!("../../../frameworks/dspt-caf-2026.yaml")).unwrap();
    let carried = shipped.carried_to(2028);
    assert_eq!(carried.year, 2028);
    assert_eq!(carried.version, "2028-29.1");
    assert_eq!(
        carried.name,
        "Data Security and Protection Toolkit 2028-29 (CAF-aligned)"
    );
    assert_eq!(carried.deadline, date!(2029 - 06 - 30));
    assert_eq!(carried.interim_baseline, Some(date!(2028 - 12 - 31)));
    assert_eq!(carried.outcomes().count(), shipped.outcomes().count());
    // Stored as its canonical document, it reads back as the same framework.
    assert_eq!(
        framework::parse(&carried.canonical_json()).unwrap(),
        carried
    );

    // A version without the label keeps it beside; 29 February falls on the 28th.
    let mut leap = framework::parse(TEN).unwrap();
    leap.version = "7".into();
    leap.deadline = date!(2028 - 02 - 29);
    let carried = leap.carried_to(2027);
    assert_eq!(carried.version, "7 (2027-28)");
    assert_eq!(carried.deadline, date!(2029 - 02 - 28));
    assert_eq!(carried.interim_baseline, Some(date!(2027 - 12 - 31)));
}

#[test]
fn only_large_organisations_record_an_interim_baseline() {
    let ten = ten();
    assert_eq!(ten.interim_baseline, Some(date!(2026 - 12 - 31)));
    for (category, records) in [
        (Category::One, true),
        (Category::Two, true),
        (Category::Three, false),
        (Category::Four, false),
    ] {
        assert_eq!(
            ten.interim_baseline_for(category),
            records.then_some(date!(2026 - 12 - 31)),
            "{category:?}"
        );
    }
}
