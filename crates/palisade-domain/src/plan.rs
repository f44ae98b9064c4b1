//! Improvement plans (domain §2): one action per unmet mandatory item or below-profile outcome,
//! with an owner and a target date within the framework's horizon; signed off by the SIRO and
//! reviewed by the national team, whose approval turns Standards Not Met into Plan Agreed.

use crate::dates::{date_text, parse_date};
use crate::error::{FieldErrors, bounded_text};
use crate::org::string_enum;
use time::{Date, Month};

string_enum! {
    /// Where a plan is in its review.
    PlanState {
        Draft => "draft", "Draft",
        SignedOff => "signed_off", "Signed off, awaiting national review",
        Approved => "approved", "Approved by the national team",
        Returned => "returned", "Returned for changes",
    }
}

impl PlanState {
    /// The organisation may change its actions (an approved or signed-off plan is settled until
    /// the national team returns it).
    pub fn editable(self) -> bool {
        matches!(self, PlanState::Draft | PlanState::Returned)
    }

    /// The plan counts as "an action plan" for Approaching Standards: signed off by the SIRO.
    pub fn signed(self) -> bool {
        matches!(self, PlanState::SignedOff | PlanState::Approved)
    }
}

/// An action as typed (a form row or an API item).
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    pub reference: String,
    pub action: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub target_date: String,
}

/// A checked action, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAction {
    pub reference: String,
    pub action: String,
    pub owner: String,
    pub target_date: Date,
}

/// `day` moved on by `months`, on the same day of the month or the month's last day.
pub fn add_months(day: Date, months: u32) -> Date {
    let total = day.month() as u32 - 1 + months;
    let year = day.year() + (total / 12) as i32;
    let month = Month::try_from((total % 12 + 1) as u8).expect("1..=12");
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, day.day().min(last)).expect("a valid day")
}

/// Checks a whole plan. `plannable` is what the plan may cover (what Met still needs, plus
/// anything already planned); an action must fall due between `today` and the horizon.
pub fn check_actions(
    inputs: &[ActionInput],
    plannable: &[String],
    today: Date,
    horizon_months: u32,
) -> Result<Vec<PlannedAction>, FieldErrors> {
    let mut errs = FieldErrors::default();
    let mut out = Vec::with_capacity(inputs.len());
    let mut seen = std::collections::HashSet::new();
    let latest = add_months(today, horizon_months);
    for input in inputs {
        let r = input.reference.trim();
        let field = |name: &str| format!("actions.{r}.{name}");
        if !plannable.iter().any(|p| p == r) {
            errs.push(
                format!("actions.{r}"),
                "is not something Met still needs; plan only for unmet items or outcomes below target",
            );
            continue;
        }
        if !seen.insert(r.to_string()) {
            errs.push(format!("actions.{r}"), "has more than one action");
            continue;
        }
        let action = errs.take(bounded_text(&field("action"), &input.action, 1, 2000));
        let owner = errs.take(bounded_text(&field("owner"), &input.owner, 1, 200));
        let due = errs.take(parse_date(&field("target_date"), &input.target_date));
        if let Some(d) = due {
            if d < today {
                errs.push(field("target_date"), "must not be in the past");
            } else if d > latest {
                errs.push(
                    field("target_date"),
                    format!(
                        "must be within {horizon_months} months, by {}",
                        date_text(latest)
                    ),
                );
            }
        }
        if let (Some(action), Some(owner), Some(target_date)) = (action, owner, due) {
            out.push(PlannedAction {
                reference: r.to_string(),
                action,
                owner,
                target_date,
            });
        }
    }
    errs.into_result()?;
    Ok(out)
}

/// Every reference Met still needs has an action.
pub fn covers<'a>(needed: &[String], planned: impl IntoIterator<Item = &'a str>) -> bool {
    let planned: std::collections::HashSet<&str> = planned.into_iter().collect();
    needed.iter().all(|n| planned.contains(n.as_str()))
}

/// An action not done by its target date is overdue from the day after.
pub fn overdue(target_date: Date, done: bool, today: Date) -> bool {
    !done && today > target_date
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn input(r: &str, due: &str) -> ActionInput {
        ActionInput {
            reference: r.into(),
            action: "Write and approve the policy".into(),
            owner: "IG lead".into(),
            target_date: due.into(),
        }
    }

    #[test]
    fn months_are_added_on_the_calendar() {
        assert_eq!(add_months(date!(2026 - 11 - 24), 6), date!(2027 - 05 - 24));
        assert_eq!(add_months(date!(2026 - 08 - 31), 6), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 08 - 31), 6), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 12 - 15), 1), date!(2027 - 01 - 15));
    }

    #[test]
    fn actions_are_checked_against_what_is_needed_and_the_horizon() {
        let today = date!(2026 - 11 - 24);
        let needed = vec!["1.1.1".to_string(), "1.1.2".to_string()];
        let ok = check_actions(&[input("1.1.1", "2027-05-24")], &needed, today, 6).unwrap();
        assert_eq!(ok[0].target_date, date!(2027 - 05 - 24));
        let err = |inputs: &[ActionInput]| {
            check_actions(inputs, &needed, today, 6)
                .unwrap_err()
                .0
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        assert!(err(&[input("1.1.1", "2027-05-25")]).contains("within 6 months, by 2027-05-24"));
        assert!(err(&[input("1.1.1", "2026-11-23")]).contains("must not be in the past"));
        assert!(err(&[input("9.9.9", "2027-01-01")]).contains("actions.9.9.9: is not something"));
        assert!(
            err(&[input("1.1.1", "2027-01-01"), input("1.1.1", "2027-01-02")])
                .contains("more than one action")
        );
        let mut blank = input("1.1.2", "soon");
        blank.owner = " ".into();
        let e = err(&[blank]);
        assert!(
            e.contains("actions.1.1.2.owner: is required")
                && e.contains("actions.1.1.2.target_date")
        );
    }

    #[test]
    fn coverage_and_lateness() {
        let needed = vec!["A1.a".to_string(), "B2.b".to_string()];
        assert!(covers(&needed, ["B2.b", "A1.a", "C1.a"]));
        assert!(!covers(&needed, ["A1.a"]));
        assert!(covers(&[], []));
        let due = date!(2027 - 01 - 31);
        assert!(!overdue(due, false, due));
        assert!(overdue(due, false, date!(2027 - 02 - 01)));
        assert!(!overdue(due, true, date!(2027 - 02 - 01)));
    }

    #[test]
    fn only_draft_and_returned_plans_change() {
        assert!(PlanState::Draft.editable() && PlanState::Returned.editable());
        assert!(!PlanState::SignedOff.editable() && !PlanState::Approved.editable());
        assert!(PlanState::SignedOff.signed() && PlanState::Approved.signed());
        assert!(!PlanState::Returned.signed());
    }
}
