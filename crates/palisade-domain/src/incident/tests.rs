//! The grade table, the clocks to the second, warnings, checks of what was typed.

use super::*;

const AWARE: i64 = 1_796_000_000;

fn facts(l: u8, i: u8) -> GradeFacts<'static> {
    GradeFacts {
        likelihood: Likelihood::from_score(l),
        impact: Impact::from_score(i),
        personal_data: true,
        vulnerable_groups: false,
        cia: &[Cia::Confidentiality, Cia::Availability],
        nis_scope: true,
    }
}

#[test]
fn the_grade_table_follows_the_thresholds() {
    let r = GradingRules::default();
    for l in 1..=5u8 {
        for i in 1..=5u8 {
            let g = r.grade(&facts(l, i));
            assert_eq!(
                g.regulator_reportable,
                l >= 3 && i >= 2,
                "regulator {l}x{i}"
            );
            assert_eq!(g.nis_reportable, i >= 3, "nis {l}x{i}");
        }
    }
}

#[test]
fn the_rules_need_personal_data_scope_and_a_service() {
    let r = GradingRules::default();
    let mut f = facts(5, 5);
    f.personal_data = false;
    assert!(!r.grade(&f).regulator_reportable);
    let mut f = facts(5, 5);
    f.nis_scope = false;
    assert!(!r.grade(&f).nis_reportable);
    let mut f = facts(5, 5);
    f.cia = &[Cia::Confidentiality];
    assert!(
        !r.grade(&f).nis_reportable,
        "confidentiality alone is not a service"
    );
    f.cia = &[Cia::Integrity];
    assert!(r.grade(&f).nis_reportable);
    assert!(nis_scope(OrgType::ItSupplier, Category::Two));
    assert!(nis_scope(OrgType::AcuteTrust, Category::One));
    assert!(!nis_scope(OrgType::GpPractice, Category::Four));
}

#[test]
fn vulnerable_groups_raise_the_grade_to_the_floor() {
    let r = GradingRules::default();
    let mut f = facts(1, 1);
    f.vulnerable_groups = true;
    let g = r.grade(&f);
    assert_eq!(
        (g.likelihood, g.impact),
        (Likelihood::NotLikely, Impact::Minor)
    );
    let mut f = facts(3, 1);
    f.vulnerable_groups = true;
    assert!(
        r.grade(&f).regulator_reportable,
        "likely x minor after the floor"
    );
    let mut f = facts(4, 4);
    f.vulnerable_groups = true;
    let g = r.grade(&f);
    assert_eq!(
        (g.likelihood, g.impact),
        (Likelihood::HighlyLikely, Impact::Serious)
    );
}

fn both() -> Grade {
    GradingRules::default().grade(&facts(4, 4))
}

#[test]
fn a_notification_exactly_at_the_due_second_is_on_time() {
    let r = GradingRules::default();
    let due = AWARE + 72 * 3600;
    let on_time = Reports {
        aware_at: AWARE,
        notified_at: Some(due),
        ..Reports::default()
    };
    let c = r.clocks(&both(), &on_time, due + 10);
    let reg = c.iter().find(|c| c.name == ClockName::Regulator).unwrap();
    assert_eq!(reg.due_at, Some(due));
    assert!(!reg.late);
    let late = Reports {
        notified_at: Some(due + 1),
        ..on_time
    };
    let c = r.clocks(&both(), &late, due + 10);
    let reg = c.iter().find(|c| c.name == ClockName::Regulator).unwrap();
    assert!(reg.late);
    assert_eq!(reg.late_by, Some(1));
    let initial = c.iter().find(|c| c.name == ClockName::NisInitial).unwrap();
    assert_eq!(initial.due_at, Some(AWARE + 24 * 3600));
    assert_eq!(initial.late_by, Some(48 * 3600 + 1));
}

#[test]
fn unmet_clocks_are_late_once_their_time_passes_and_final_starts_at_the_full_report() {
    let r = GradingRules::default();
    let draft = Reports {
        aware_at: AWARE,
        ..Reports::default()
    };
    let at = |c: &[Clock], n: ClockName| *c.iter().find(|c| c.name == n).unwrap();
    let c = r.clocks(&both(), &draft, AWARE + 24 * 3600);
    assert!(
        !at(&c, ClockName::NisInitial).late,
        "exactly at due: not yet late"
    );
    let c = r.clocks(&both(), &draft, AWARE + 24 * 3600 + 1);
    assert!(at(&c, ClockName::NisInitial).late);
    assert!(!at(&c, ClockName::Regulator).late);
    let fin = at(&c, ClockName::NisFinal);
    assert_eq!((fin.due_at, fin.late), (None, false));
    assert_eq!(
        c.last().unwrap().name,
        ClockName::NisFinal,
        "unstarted last"
    );
    let full = Reports {
        notified_at: Some(AWARE + 3600),
        full_at: Some(AWARE + 50 * 3600),
        ..draft
    };
    let c = r.clocks(&both(), &full, AWARE + 51 * 3600);
    assert_eq!(
        at(&c, ClockName::NisFinal).due_at,
        Some(AWARE + 50 * 3600 + 30 * 86_400)
    );
    assert!(!at(&c, ClockName::NisFull).late);
    let none = GradingRules::default().grade(&facts(1, 1));
    assert!(r.clocks(&none, &draft, AWARE).is_empty());
}

#[test]
fn warnings_come_once_at_each_threshold() {
    let r = GradingRules::default();
    let g = GradingRules::default().grade(&GradeFacts {
        nis_scope: false,
        ..facts(4, 4)
    });
    let d = Reports {
        aware_at: AWARE,
        ..Reports::default()
    };
    let at = |h: i64| AWARE + h * 3600;
    let clocks = r.clocks(&g, &d, at(35));
    assert!(
        r.warnings_due(&clocks, &[], at(35)).is_empty(),
        "35 of 72 hours"
    );
    let clocks = r.clocks(&g, &d, at(36));
    assert_eq!(
        r.warnings_due(&clocks, &[], at(36)),
        vec![(ClockName::Regulator, 50)]
    );
    let sent = vec![warning_key(ClockName::Regulator, 50)];
    assert!(r.warnings_due(&clocks, &sent, at(40)).is_empty());
    let clocks = r.clocks(&g, &d, at(58));
    assert_eq!(
        r.warnings_due(&clocks, &sent, at(58)),
        vec![(ClockName::Regulator, 80)]
    );
    let sent80 = vec![warning_key(ClockName::Regulator, 80)];
    assert!(
        r.warnings_due(&clocks, &sent80, at(60)).is_empty(),
        "a later warning covers the earlier one"
    );
    let met = Reports {
        notified_at: Some(at(10)),
        ..d
    };
    let clocks = r.clocks(&g, &met, at(60));
    assert!(
        r.warnings_due(&clocks, &[], at(60)).is_empty(),
        "met clocks never warn"
    );
}

#[test]
fn the_next_warning_is_the_earliest_threshold_not_yet_warned() {
    let r = GradingRules::default();
    let g = r.grade(&GradeFacts {
        nis_scope: false,
        ..facts(4, 4)
    });
    let d = Reports {
        aware_at: AWARE,
        ..Reports::default()
    };
    let clocks = r.clocks(&g, &d, AWARE);
    assert_eq!(r.next_warning_at(&clocks, &[]), Some(AWARE + 36 * 3600));
    let sent = vec![warning_key(ClockName::Regulator, 50)];
    assert_eq!(
        r.next_warning_at(&clocks, &sent),
        Some(AWARE + 57 * 3600 + 36 * 60)
    );
    let percent_gone_then = clocks[0].percent_gone(AWARE + 57 * 3600 + 36 * 60);
    assert_eq!(percent_gone_then, 80);
    let all = vec![warning_key(ClockName::Regulator, 80)];
    assert_eq!(r.next_warning_at(&clocks, &all), None);
    let met = Reports {
        notified_at: Some(AWARE + 60),
        ..d
    };
    assert_eq!(r.next_warning_at(&r.clocks(&g, &met, AWARE), &[]), None);
}

fn input() -> IncidentInput {
    IncidentInput {
        title: "Ransomware on the PACS server".into(),
        description: "Files encrypted overnight.".into(),
        kind: "ransomware".into(),
        started_at: "2026-12-01T22:00:00Z".into(),
        aware_at: "2026-12-02T07:15:00+00:00".into(),
        cia: vec![
            "availability".into(),
            "confidentiality".into(),
            "availability".into(),
        ],
        personal_data: true,
        likelihood: "likely".into(),
        impact: "serious".into(),
        systems: vec![" PACS ".into(), "".into(), "PACS".into()],
        ..IncidentInput::default()
    }
}

#[test]
fn input_is_checked_and_normalised() {
    let now = 1_796_300_000; // 2026-12-02T...
    let f = check(&input(), now).unwrap();
    assert_eq!(f.kind, IncidentKind::Ransomware);
    assert_eq!(f.cia, vec![Cia::Confidentiality, Cia::Availability]);
    assert_eq!(f.systems, vec!["PACS"]);
    assert_eq!(f.aware_at - f.started_at, 9 * 3600 + 15 * 60);
    let bad = IncidentInput {
        kind: "flood".into(),
        aware_at: "2026-12-01T21:00:00Z".into(),
        likelihood: "maybe".into(),
        impact: "9".into(),
        cia: vec!["secrecy".into()],
        title: " ".into(),
        ..input()
    };
    let e = check(&bad, now).unwrap_err();
    let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "title",
            "kind",
            "aware_at",
            "cia[0]",
            "likelihood",
            "impact"
        ]
    );
    let future = IncidentInput {
        aware_at: "2027-01-01T00:00:00Z".into(),
        started_at: "2027-01-01T00:00:00Z".into(),
        ..input()
    };
    let e = check(&future, now).unwrap_err();
    assert_eq!(e.0[0].message, "is in the future");
}

#[test]
fn notifying_needs_a_grade_and_a_reason_when_reportable_to_no_one() {
    let r = GradingRules::default();
    let now = 1_796_300_000;
    let ungraded = check(
        &IncidentInput {
            likelihood: String::new(),
            ..input()
        },
        now,
    )
    .unwrap();
    let e = ungraded.check_notifiable(&r, false).unwrap_err();
    assert_eq!(e.0[0].field, "likelihood");
    let minor = check(
        &IncidentInput {
            likelihood: "not_likely".into(),
            ..input()
        },
        now,
    )
    .unwrap();
    let e = minor.check_notifiable(&r, false).unwrap_err();
    assert_eq!(e.0[0].field, "not_reported_reason");
    let reasoned = IncidentFields {
        not_reported_reason: Some("Contained within minutes; no data left the trust".into()),
        ..minor
    };
    assert!(reasoned.check_notifiable(&r, false).is_ok());
}

#[test]
fn durations_read_in_hours_and_minutes() {
    assert_eq!(duration_text(59), "0 min");
    assert_eq!(duration_text(3600 + 5 * 60), "1 h 05 min");
    assert_eq!(duration_text(86_400 * 2 + 3600), "2 d 1 h 00 min");
}

fn faults(r: &GradingRules) -> Vec<String> {
    match r.check() {
        Ok(()) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.field.clone()).collect(),
    }
}

#[test]
fn the_default_rules_pass_their_own_check() {
    assert_eq!(GradingRules::default().check(), Ok(()));
    let edges = GradingRules {
        regulator_min_likelihood: 1,
        nis_min_impact: 5,
        regulator_hours: 1,
        nis_initial_hours: 72,
        nis_full_hours: 72,
        nis_final_days: MAX_CLOCK_DAYS,
        warn_at_percent: vec![1, 99],
        ..GradingRules::default()
    };
    assert_eq!(
        edges.check(),
        Ok(()),
        "equal NIS hours and the bounds are fine"
    );
    let quiet = GradingRules {
        warn_at_percent: Vec::new(),
        ..GradingRules::default()
    };
    assert_eq!(quiet.check(), Ok(()), "no thresholds: no warnings");
}

#[test]
fn scores_outside_the_scale_are_refused_by_name() {
    let r = GradingRules {
        regulator_min_likelihood: 0,
        regulator_min_impact: 6,
        nis_min_impact: 0,
        vulnerable_min_likelihood: 9,
        vulnerable_min_impact: 0,
        ..GradingRules::default()
    };
    assert_eq!(
        faults(&r),
        [
            "regulator_min_likelihood",
            "regulator_min_impact",
            "nis_min_impact",
            "vulnerable_min_likelihood",
            "vulnerable_min_impact"
        ]
    );
    let e = r.check().unwrap_err();
    assert_eq!(e.0[1].message, "must be a score from 1 to 5, not 6");
}

#[test]
fn clocks_must_be_positive_and_the_initial_notification_first() {
    let r = GradingRules {
        regulator_hours: 0,
        nis_final_days: -1,
        ..GradingRules::default()
    };
    assert_eq!(faults(&r), ["regulator_hours", "nis_final_days"]);
    let r = GradingRules {
        nis_initial_hours: 0,
        nis_full_hours: -5,
        ..GradingRules::default()
    };
    assert_eq!(
        faults(&r),
        ["nis_initial_hours", "nis_full_hours"],
        "one fault each, not an ordering fault on top"
    );
    let r = GradingRules {
        nis_initial_hours: 73,
        ..GradingRules::default()
    };
    let e = r.check().unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!(e.0[0].field, "nis_initial_hours");
    assert!(e.0[0].message.contains("nis_full_hours (72)"), "{e}");
    let r = GradingRules {
        regulator_hours: MAX_CLOCK_HOURS + 1,
        nis_final_days: i64::MAX,
        ..GradingRules::default()
    };
    assert_eq!(
        faults(&r),
        ["regulator_hours", "nis_final_days"],
        "no clock so long its due time overflows"
    );
}

#[test]
fn warning_thresholds_must_be_percentages_rising_without_repeats() {
    for (bad, message) in [
        (
            vec![80, 50],
            "must rise without repeats, such as [50, 80], not [80, 50]",
        ),
        (
            vec![50, 50],
            "must rise without repeats, such as [50, 80], not [50, 50]",
        ),
        (vec![0, 50], "must hold percentages from 1 to 99, not 0"),
        (vec![50, 100], "must hold percentages from 1 to 99, not 100"),
    ] {
        let r = GradingRules {
            warn_at_percent: bad.clone(),
            ..GradingRules::default()
        };
        let e = r.check().unwrap_err();
        assert_eq!(e.0.len(), 1, "{bad:?}");
        assert_eq!(e.0[0].field, "warn_at_percent");
        assert_eq!(e.0[0].message, message);
    }
}
