//! Demo data: a synthetic national register in the proportions of the real one (about 210 trusts,
//! 42 ICBs, thousands of practices, pharmacies, dentists, opticians and care providers), a few
//! contacts, and one sign-in per role. Names and codes are made up but shaped like the real ones;
//! the same codes come out every time, so running the demo twice changes nothing.

use crate::assessments::AnswerInput as AssessmentAnswer;
use crate::{Actor, App, AppError, Result};
use palisade_domain::framework::{AnswerType, FrameworkKind, Level};
use palisade_domain::org::{Category, OrgCode, OrgFields, OrgType, REGIONS};
use palisade_domain::people::{ContactInput, Role};
use palisade_domain::policy::{Grant, Principal, Scope};
use palisade_store::{ImportReport, ImportRow};

const PLACES: &[&str] = &[
    "Aldbury",
    "Ashcombe",
    "Barrowfield",
    "Bedwyn",
    "Belford",
    "Birchwood",
    "Bramley",
    "Brackenfield",
    "Bridgemoor",
    "Brockley",
    "Calder",
    "Carrow",
    "Castleford",
    "Chadwell",
    "Charnwood",
    "Chesterton",
    "Clayfield",
    "Colnbrook",
    "Coombe",
    "Cranleigh",
    "Dalesworth",
    "Denholme",
    "Dunmore",
    "Eastleigh",
    "Elmstead",
    "Fairford",
    "Farnley",
    "Fenwick",
    "Fieldhouse",
    "Foxton",
    "Garside",
    "Glenfield",
    "Greystoke",
    "Hadley",
    "Halstow",
    "Harewood",
    "Hartfield",
    "Hawksmoor",
    "Heathcote",
    "Helmsley",
    "Highbury",
    "Holbrook",
    "Ingleby",
    "Kelmscott",
    "Kingsmead",
    "Kirkby Vale",
    "Langford",
    "Larkhill",
    "Lea Bridge",
    "Linthorpe",
    "Longridge",
    "Marlow Heath",
    "Medway Vale",
    "Merefield",
    "Millbrook",
    "Moorside",
    "Netherfield",
    "Newbold",
    "Northgate",
    "Oakham Vale",
    "Orchard Hill",
    "Ottery",
    "Padstow Cross",
    "Pemberton",
    "Penhill",
    "Queensbury",
    "Ravenscar",
    "Redbourne",
    "Ribbleton",
    "Rivermead",
    "Rosedale",
    "Rushden",
    "Saltwood",
    "Sandhurst",
    "Sedgefield",
    "Shelford",
    "Silverdale",
    "Southwold",
    "Stainforth",
    "Stanwell",
    "Stockbridge",
    "Stourton",
    "Sutton Marsh",
    "Tamworth Green",
    "Thornbury",
    "Tilford",
    "Tolworth",
    "Upton Magna",
    "Wakerley",
    "Walbrook",
    "Waltham Cross",
    "Wansford",
    "Wedmore",
    "Wellow",
    "Westcombe",
    "Whitfield",
    "Wickham",
    "Winslow",
    "Woodhall",
    "Wrenbury",
    "Yarwell",
    "Yeadon",
];

/// How much of the national register to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// All trusts, ICBs and national bodies, and one in twenty of the rest (about 3,000): seconds.
    Default,
    /// The whole register, about 56,000 organisations.
    Full,
}

/// (type, full-scale count, code prefix)
const MIX: &[(OrgType, usize, &str)] = &[
    (OrgType::NationalBody, 1, "X"),
    (OrgType::ArmsLengthBody, 15, "T"),
    (OrgType::Icb, 42, "Q"),
    (OrgType::Csu, 4, "0C"),
    (OrgType::AcuteTrust, 135, "R"),
    (OrgType::MentalHealthTrust, 50, "R"),
    (OrgType::CommunityTrust, 15, "R"),
    (OrgType::AmbulanceTrust, 10, "R"),
    (OrgType::ItSupplier, 1_400, "8J"),
    (OrgType::GpPractice, 6_300, ""),
    (OrgType::Pharmacy, 11_000, "F"),
    (OrgType::Dentist, 9_000, "V"),
    (OrgType::Optician, 5_000, "TP"),
    (OrgType::AdultSocialCare, 23_000, "CH"),
];

fn place(i: usize) -> &'static str {
    PLACES[i % PLACES.len()]
}

fn region(i: usize) -> &'static str {
    REGIONS[i % REGIONS.len()]
}

/// A two-character suffix from a number: 0-9 then A-Z, as in ODS trust codes (`RA1`, `RX9`).
fn alnum(mut n: usize, width: usize) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut s = vec![b'0'; width];
    for slot in s.iter_mut().rev() {
        *slot = DIGITS[n % DIGITS.len()];
        n /= DIGITS.len();
    }
    String::from_utf8(s).unwrap_or_default()
}

fn name_for(t: OrgType, i: usize) -> String {
    let p = place(i);
    let n = i / PLACES.len();
    let nth = if n == 0 {
        String::new()
    } else {
        format!(" {}", n + 1)
    };
    match t {
        OrgType::NationalBody => "National Cyber Security Operations Centre".into(),
        OrgType::ArmsLengthBody => format!("{p} Health Data Agency{nth}"),
        OrgType::Icb => format!("NHS {p} Integrated Care Board{nth}"),
        OrgType::Csu => format!("{p} Commissioning Support Unit"),
        OrgType::AcuteTrust => format!("{p} Teaching Hospitals NHS Foundation Trust{nth}"),
        OrgType::MentalHealthTrust => format!("{p} Partnership NHS Foundation Trust{nth}"),
        OrgType::CommunityTrust => format!("{p} Community Health Services NHS Trust{nth}"),
        OrgType::AmbulanceTrust => format!("{p} Ambulance Service NHS Trust{nth}"),
        OrgType::ItSupplier => format!("{p} Clinical Systems Ltd{nth}"),
        OrgType::GpPractice => format!("{p} Medical Practice{nth}"),
        OrgType::Pharmacy => format!("{p} Pharmacy{nth}"),
        OrgType::Dentist => format!("{p} Dental Care{nth}"),
        OrgType::Optician => format!("{p} Opticians{nth}"),
        OrgType::AdultSocialCare => format!("{p} Care Home{nth}"),
    }
}

fn code(s: &str) -> OrgCode {
    OrgCode::parse("code", s).expect("demo codes are valid")
}

/// The demo register. Trusts' codes run R00..; practices sit under ICBs; every tenth care home is
/// the headquarters of a care group with the nine homes after it beneath.
pub fn register(scale: Scale) -> Vec<OrgFields> {
    let mut out = Vec::new();
    let mut trust_no = 0usize;
    let icb_codes: Vec<String> = (0..42).map(|i| format!("Q{}", alnum(i, 2))).collect();
    for &(t, full, prefix) in MIX {
        let count = match scale {
            Scale::Full => full,
            Scale::Default if full <= 250 => full,
            Scale::Default => full.div_ceil(20),
        };
        for i in 0..count {
            let (code_s, parent) = match t {
                OrgType::NationalBody => ("X26".to_string(), None),
                OrgType::Icb => (icb_codes[i].clone(), None),
                OrgType::AcuteTrust
                | OrgType::MentalHealthTrust
                | OrgType::CommunityTrust
                | OrgType::AmbulanceTrust => {
                    trust_no += 1;
                    (format!("R{}", alnum(trust_no + 40, 2)), None)
                }
                OrgType::GpPractice => {
                    let letter = (b'A' + (i % 26) as u8) as char;
                    (
                        format!("{letter}{:05}", 81_000 + i),
                        Some(icb_codes[i % icb_codes.len()].clone()),
                    )
                }
                OrgType::AdultSocialCare => {
                    let parent = (i % 10 != 0).then(|| format!("{prefix}{:06}", i - i % 10));
                    (format!("{prefix}{i:06}"), parent)
                }
                OrgType::ItSupplier | OrgType::Csu | OrgType::ArmsLengthBody => {
                    (format!("{prefix}{}", alnum(i, 3)), None)
                }
                _ => (format!("{prefix}{:05}", i), None),
            };
            let category = match t {
                // The biggest suppliers are key suppliers (category 1).
                OrgType::ItSupplier if i < 20 => Category::One,
                _ => t.default_category(),
            };
            let mut name = name_for(t, i);
            if t == OrgType::AdultSocialCare && i % 10 == 0 {
                name = format!("{} Care Group", place(i));
            }
            out.push(OrgFields {
                code: code(&code_s),
                name,
                org_type: t,
                category,
                region: region(i).to_string(),
                parent_code: parent.map(|p| code(&p)),
            });
        }
    }
    out
}

/// One sign-in printed by the demo.
#[derive(Debug, Clone)]
pub struct DemoSignIn {
    pub role: Role,
    pub email: String,
    pub org: Option<String>,
}

/// The password of every demo account. Demo data only: never use it on a real deployment.
pub const DEMO_PASSWORD: &str = "palisade-demo-password";

#[derive(Debug)]
pub struct DemoReport {
    pub organisations: ImportReport,
    pub sign_ins: Vec<DemoSignIn>,
    /// Assessments submitted by this run.
    pub assessments: u64,
}

impl App {
    pub async fn seed_demo(&self, scale: Scale, progress: impl Fn(&str)) -> Result<DemoReport> {
        let actor = Actor {
            label: "demo".into(),
            ..Actor::cli()
        };
        let orgs = register(scale);
        progress(&format!("writing {} organisations", orgs.len()));
        let rows: Vec<ImportRow> = orgs
            .into_iter()
            .enumerate()
            .map(|(i, fields)| ImportRow {
                line: i + 1,
                fields,
            })
            .collect();
        let organisations = self.import_orgs(&actor, &rows).await?;

        let lead_org = "R41"; // the first acute trust
        let people = [
            (
                Role::NationalAdmin,
                "admin@example.nhs.uk",
                "Alex Admin",
                None,
            ),
            (
                Role::NationalAnalyst,
                "analyst@example.nhs.uk",
                "Ana Analyst",
                None,
            ),
            (
                Role::OrgLead,
                "lead@example.nhs.uk",
                "Lee Lead",
                Some(lead_org),
            ),
            (
                Role::OrgMember,
                "member@example.nhs.uk",
                "Mo Member",
                Some(lead_org),
            ),
            (
                Role::Auditor,
                "auditor@example.nhs.uk",
                "Aud Itor",
                Some(lead_org),
            ),
            (
                Role::OrgLead,
                "caregroup@example.nhs.uk",
                "Cara Group",
                Some("CH000000"),
            ),
        ];
        progress("creating demo sign-ins");
        let mut sign_ins = Vec::new();
        for (role, email, name, org) in people {
            let input = crate::people::NewPersonInput {
                email: email.into(),
                name: name.into(),
                password: DEMO_PASSWORD.into(),
            };
            match self.create_person(&actor, &input, role, org).await {
                Ok(_) => {}
                Err(AppError::Conflict { .. }) => {
                    // Run before: make sure the printed password and role still hold.
                    let user = self.find_person_by_email(email).await?;
                    self.set_password(&actor, user.id, DEMO_PASSWORD).await?;
                    match self.grant_role(&actor, user.id, role, org).await {
                        Ok(()) | Err(AppError::Conflict { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
            sign_ins.push(DemoSignIn {
                role,
                email: email.into(),
                org: org.map(str::to_string),
            });
        }

        progress("adding contacts");
        let contacts = [
            ("siro", "Sam Okafor", "sam.okafor", "07700 900101"),
            ("security_lead", "Priya Shah", "priya.shah", "07700 900102"),
            ("ig_lead", "Tom Hughes", "tom.hughes", ""),
            ("alert_contact", "Cyber Desk", "cyber.desk", "07700 900103"),
        ];
        for org_code in [lead_org, "R42", "R43", "QAA", "CH000000"] {
            let (view, existing) = match self.list_contacts(&actor, org_code).await {
                Ok(v) => v,
                Err(AppError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            if !existing.is_empty() {
                continue;
            }
            for (role, name, user, mobile) in contacts {
                let input = ContactInput {
                    name: name.into(),
                    role: role.into(),
                    email: format!("{user}@{}.example.nhs.uk", view.org.code.to_lowercase()),
                    mobile: mobile.into(),
                };
                self.create_contact(&actor, org_code, &input).await?;
            }
        }
        progress("importing the 2026-27 frameworks");
        for text in SHIPPED_FRAMEWORKS {
            self.import_framework(&actor, text, None).await?;
        }
        progress("answering assessments");
        let assessments = self.seed_assessments(lead_org).await?;
        Ok(DemoReport {
            organisations,
            sign_ins,
            assessments,
        })
    }

    /// Answers the current year's assessments as organisations would: every category 1 body
    /// answers its CAF-aligned assessment and submits it (most reach their profile), and a share
    /// of the others are part-way through the ten-standard one. The lead's own organisation is
    /// left untouched for people trying the product. Safe to run twice.
    async fn seed_assessments(&self, keep_fresh: &str) -> Result<u64> {
        let year = self.current_year();
        let orgs = self.store.export_orgs(&Scope::All).await?;
        let mut submitted = 0;
        let mut others = 0usize;
        for (i, org) in orgs.iter().enumerate() {
            if org.code == keep_fresh || !org.active {
                continue;
            }
            let lead = Actor {
                user_id: None,
                label: "demo".into(),
                principal: Principal {
                    user_id: 0,
                    grants: vec![Grant {
                        role: Role::OrgLead,
                        org_id: Some(org.id),
                    }],
                },
            };
            let view = match self.assessment(&lead, &org.code, year).await {
                Ok(v) => v,
                Err(AppError::Invalid(_)) => continue, // no framework for this category
                Err(e) => return Err(e),
            };
            if view.submitted() {
                continue;
            }
            let roll = demo_roll(&org.code);
            let answers: Vec<AssessmentAnswer> = if view.tree.kind == FrameworkKind::Caf {
                view.tree
                    .outcomes()
                    .enumerate()
                    .flat_map(|(n, o)| {
                        // 82 in 100 bodies reach every target; the rest fall short on a few.
                        let short = roll >= 82 && (n + roll as usize).is_multiple_of(9);
                        o.igps.iter().map(move |g| AssessmentAnswer {
                            reference: g.reference.clone(),
                            value: serde_json::Value::Bool(match g.level {
                                Level::NotAchieved => short,
                                _ => true,
                            }),
                            expected_version: None,
                        })
                    })
                    .collect()
            } else {
                others += 1;
                if others % 4 != 1 {
                    continue;
                }
                view.tree
                    .items()
                    .filter(|it| it.applicability(org.org_type).applies())
                    .take(10 + (roll as usize % 50))
                    .filter_map(|it| {
                        let value = match it.answer_type {
                            AnswerType::YesNo => serde_json::json!(!roll.is_multiple_of(7)),
                            AnswerType::Text => {
                                serde_json::json!("Recorded in the governance file")
                            }
                            AnswerType::Date => serde_json::json!("2026-09-15"),
                            AnswerType::Number => serde_json::json!(96),
                            AnswerType::Document | AnswerType::Certificate => return None,
                        };
                        Some(AssessmentAnswer {
                            reference: it.reference.clone(),
                            value,
                            expected_version: None,
                        })
                    })
                    .collect()
            };
            if answers.is_empty() {
                continue;
            }
            self.save_answers(&lead, &org.code, year, &answers).await?;
            if view.tree.kind == FrameworkKind::Caf && i % 10 != 3 {
                self.submit(&lead, &org.code, year).await?;
                submitted += 1;
            }
        }
        Ok(submitted)
    }
}

/// The frameworks shipped with Palisade (illustrative wording; see `frameworks/`).
pub const SHIPPED_FRAMEWORKS: [&str; 2] = [
    include_str!("../../../frameworks/dspt-ten-standard-2026.yaml"),
    include_str!("../../../frameworks/dspt-caf-2026.yaml"),
];

/// A stable number 0-99 per organisation, so the demo is the same every run.
fn demo_roll(code: &str) -> u8 {
    let h = code.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    (h % 100) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn register_has_the_national_proportions() {
        let full = register(Scale::Full);
        assert!((55_000..=57_000).contains(&full.len()), "{}", full.len());
        let trusts = full.iter().filter(|o| o.org_type.is_trust()).count();
        assert_eq!(trusts, 210);
        let codes: HashSet<_> = full.iter().map(|o| o.code.clone()).collect();
        assert_eq!(codes.len(), full.len(), "codes are unique");
        // Every parent is in the register.
        assert!(
            full.iter()
                .filter_map(|o| o.parent_code.as_ref())
                .all(|p| codes.contains(p))
        );
        let small = register(Scale::Default);
        assert!((2_500..=3_500).contains(&small.len()), "{}", small.len());
        assert_eq!(small.iter().filter(|o| o.org_type.is_trust()).count(), 210);
        assert!(
            small
                .iter()
                .any(|o| o.code.as_str() == "R41" && o.org_type == OrgType::AcuteTrust)
        );
    }
}
