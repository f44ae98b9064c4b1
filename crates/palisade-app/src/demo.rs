//! Demo data: a synthetic national register in the proportions of the real one (about 210 trusts,
//! 42 ICBs, thousands of practices, pharmacies, dentists, opticians and care providers), a few
//! contacts, and one sign-in per role. Names and codes are made up but shaped like the real ones;
//! the same codes come out every time, so running the demo twice changes nothing.

mod charter;
mod incidents;

use crate::{Actor, App, AppError, Result};
use palisade_domain::alert::{AlertInput, ProductInput};
use palisade_domain::assessment::{Facts, StatusInputs, decide_status, evaluate};
use palisade_domain::framework::{AnswerType, FrameworkKind, Level};
use palisade_domain::org::{Category, OrgCode, OrgFields, OrgType, REGIONS};
use palisade_domain::page::PageRequest;
use palisade_domain::people::{ContactInput, Role};
use palisade_domain::policy::{Grant, OrgAction, Principal, Scope};
use palisade_store::{
    AssessmentKey, ImportReport, ImportRow, NewEvidence, SeededAssessment, SeededContact,
};

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
    /// Assessments answered by this run (none when run again).
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
            .map(|(i, fields)| ImportRow::new(i + 1, fields))
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
                Some(CARE_GROUP),
            ),
            (
                Role::OrgLead,
                "supplier@example.nhs.uk",
                "Sue Supplier",
                Some(charter::SUPPLIER),
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
            match self.find_person_by_email(email).await {
                // Run before: make sure the printed password and role still hold.
                Ok(user) => {
                    if !self.password_is(user.id, DEMO_PASSWORD).await? {
                        self.set_password(&actor, user.id, DEMO_PASSWORD).await?;
                    }
                    match self.grant_role(&actor, user.id, role, org).await {
                        Ok(()) | Err(AppError::Conflict { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Err(AppError::Invalid(_)) => {
                    self.create_person(&actor, &input, role, org).await?;
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
        for org_code in [lead_org, "R42", "R43", "QAA", CARE_GROUP] {
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
                    alert_channels: String::new(),
                    // The information governance lead takes the daily digest, so the demo's
                    // outbox shows one.
                    reminders: if role == "ig_lead" { "daily" } else { "each" }.into(),
                };
                self.create_contact(&actor, org_code, &input).await?;
            }
        }
        progress("adding every other organisation's cyber desk");
        self.seed_cyber_desks(&actor).await?;
        progress("importing the frameworks");
        self.import_demo_frameworks(&actor).await?;
        progress("publishing alerts");
        self.seed_alerts(&actor).await?;
        progress("answering assessments");
        let assessments = self.seed_assessments(lead_org).await?;
        progress("adding product lifecycles and an inventory");
        self.seed_estate(&actor, lead_org).await?;
        progress("reporting incidents");
        self.seed_incidents(&actor, lead_org, CARE_GROUP).await?;
        progress("signing the supplier charter");
        self.seed_charter(&actor).await?;
        self.seed_suppliers(lead_org, CARE_GROUP).await?;
        Ok(DemoReport {
            organisations,
            sign_ins,
            assessments,
        })
    }

    /// The shipped frameworks and, when the current cycle is later than theirs, the same
    /// carried to it (`Framework::carried_to`): the demo answers the current cycle's
    /// assessments whatever year it runs in.
    async fn import_demo_frameworks(&self, actor: &Actor) -> Result<()> {
        let year = self.current_year();
        for text in SHIPPED_FRAMEWORKS {
            let shipped = palisade_domain::framework::parse(text)?;
            self.import_parsed(actor, &shipped).await?;
            if shipped.year < year {
                self.import_parsed(actor, &shipped.carried_to(year)).await?;
            }
        }
        Ok(())
    }

    /// A few product lifecycles (unless lifecycles were imported) and, once, an inventory for the
    /// lead organisation uploaded by its lead, with unsupported Windows 7, Windows 10, Windows
    /// Server 2012 R2 and Python 2.7 among current systems.
    async fn seed_estate(&self, actor: &Actor, org: &str) -> Result<()> {
        if self.store.feed(crate::estate::EOL_FEED).await?.is_none() {
            let files: Vec<(String, String)> = DEMO_LIFECYCLES
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect();
            self.import_eol(actor, &files).await?;
        }
        let view = self.org_for(actor, org, OrgAction::View).await?;
        let uploads = self
            .store
            .list_uploads(view.org.id, PageRequest::new(Some(1), Some(1)))
            .await?;
        if uploads.total > 0 {
            return Ok(());
        }
        let lead = self.find_person_by_email("lead@example.nhs.uk").await?;
        let lead = self.actor_of(&lead).await?;
        self.upload_inventory(
            &lead,
            org,
            palisade_domain::inventory::InventoryFormat::Csv,
            demo_inventory().as_bytes(),
        )
        .await?;
        Ok(())
    }

    /// Three alerts, unless there are alerts already: a High one about a vulnerability (with
    /// CVEs, a package and a range, remediation), published to acute trusts and ICBs and then
    /// updated; a Medium attack methodology published to everyone; and a draft.
    async fn seed_alerts(&self, actor: &Actor) -> Result<()> {
        let any = self
            .list_alerts(
                actor,
                Default::default(),
                palisade_domain::page::PageRequest::new(None, Some(1)),
            )
            .await?;
        if any.total > 0 {
            return Ok(());
        }
        let log4j = |remediation: &str| AlertInput {
            title: "Remote code execution in Apache Log4j 2 (Log4Shell)".into(),
            severity: "high".into(),
            alert_type: "vulnerability".into(),
            summary:
                "Apache Log4j 2 lets an attacker who can get a crafted string logged run code \
                      on the server. Exploitation is widespread."
                    .into(),
            body: "JNDI lookups in log messages fetch and run code from servers the attacker \
                   controls. Any system that logs text an outsider can influence is at risk."
                .into(),
            cves: vec!["CVE-2021-44228".into(), "CVE-2021-45046".into()],
            products: vec![ProductInput {
                name: "Apache Log4j core".into(),
                purl: Some("pkg:maven/org.apache.logging.log4j/log4j-core".into()),
                vers: Some("vers:maven/>=2.0.0|<2.17.1".into()),
                cpe: Some("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*".into()),
            }],
            exploited: true,
            remediation: remediation.into(),
            org_types: vec!["acute_trust".into(), "icb".into()],
            response_required: true,
            ..AlertInput::default()
        };
        let first = log4j("Upgrade Log4j to 2.17.1 or later.");
        let alert = self.create_alert(actor, &first, true).await?;
        let second = log4j(
            "Upgrade Log4j to 2.17.1 or later. Where that is not yet possible, remove the \
             JndiLookup class from the classpath and restrict outbound LDAP.",
        );
        self.update_alert(actor, &alert.reference, alert.version, &second, false)
            .await?;
        let phishing = AlertInput {
            title: "Phishing emails impersonating NHS payroll".into(),
            severity: "medium".into(),
            alert_type: "attack_methodology".into(),
            summary: "Emails claiming a payroll correction ask staff to sign in on a look-alike \
                      page that harvests passwords and one-time codes."
                .into(),
            remediation: "Warn staff, block the sending domains and reset any password entered \
                          on the page."
                .into(),
            response_required: true,
            ..AlertInput::default()
        };
        self.create_alert(actor, &phishing, true).await?;
        let draft = AlertInput {
            title: "Session token leak in Citrix NetScaler ADC".into(),
            severity: "high".into(),
            alert_type: "vulnerability".into(),
            summary: "NetScaler ADC and Gateway disclose session tokens to unauthenticated \
                      requests."
                .into(),
            cves: vec!["CVE-2023-4966".into()],
            products: vec![ProductInput {
                name: "Citrix NetScaler ADC 13.1".into(),
                cpe: Some(
                    "cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1:*:*:*:*:*:*:*"
                        .into(),
                ),
                ..ProductInput::default()
            }],
            org_types: vec!["acute_trust".into()],
            response_required: true,
            ..AlertInput::default()
        };
        self.create_alert(actor, &draft, false).await?;
        Ok(())
    }

    /// Answers the current year's assessments as organisations would, so that the national
    /// report reads like the real one (domain.md §2: 82% of trusts, about three in four care
    /// providers): nineteen in twenty category 1 bodies answer their CAF-aligned assessment and
    /// submit, and 86 in 100 of them reach every target; 23 in 25 other organisations submit
    /// their ten-standard one, 84 in 100 of them with every item met and a document for each
    /// document item (one shared demonstration policy, when evidence storage is configured), a few short.
    /// Certificates are left to people trying the product. The lead's own organisation is left
    /// untouched, and the care group's is answered but left open so its lead can add evidence.
    /// Safe to run twice.
    async fn seed_assessments(&self, keep_fresh: &str) -> Result<u64> {
        let year = self.current_year();
        let today = self.today();
        let orgs = self.store.export_orgs(&Scope::All).await?;
        let mut frameworks = std::collections::HashMap::new();
        for c in Category::ALL {
            if let Some(f) = self.store.current_framework(year, c).await? {
                frameworks.insert(c, self.framework(f.id).await?);
            }
        }
        let stamp = self.stamp(&Actor::cli());
        let policy = self.demo_policy().await?;
        let mut written = 0;
        let mut others = 0usize;
        let mut batch = Vec::new();
        for (i, org) in orgs.iter().enumerate() {
            if org.code == keep_fresh || !org.active {
                continue;
            }
            let Some((record, tree)) = frameworks.get(&org.category) else {
                continue; // no framework for this category
            };
            let roll = demo_roll(&org.code);
            let answers: Vec<(String, String)> = if tree.kind == FrameworkKind::Caf {
                tree.outcomes()
                    .enumerate()
                    .flat_map(|(n, o)| {
                        // 86 in 100 bodies reach every target; the rest fall short on a few.
                        let short = roll >= 86 && (n + roll as usize).is_multiple_of(9);
                        o.igps.iter().map(move |g| {
                            let yes = match g.level {
                                Level::NotAchieved => short,
                                _ => true,
                            };
                            (g.reference.clone(), yes_no(yes))
                        })
                    })
                    .collect()
            } else {
                others += 1;
                // Every organisation has started; most have answered everything they can
                // without documents, a few only part of it.
                let answered = if roll < 8 {
                    10 + roll as usize
                } else {
                    usize::MAX
                };
                tree.items()
                    .filter(|it| it.applicability(org.org_type).applies())
                    .take(answered)
                    .filter_map(|it| {
                        let value = match it.answer_type {
                            // A few answer no somewhere and fall short.
                            AnswerType::YesNo => yes_no(!(12..16).contains(&roll)),
                            AnswerType::Text => "Recorded in the governance file".to_string(),
                            AnswerType::Date => "2026-09-15".to_string(),
                            AnswerType::Number => "96".to_string(),
                            AnswerType::Document | AnswerType::Certificate => return None,
                        };
                        Some((it.reference.clone(), value))
                    })
                    .collect()
            };
            let submits = if tree.kind == FrameworkKind::Caf {
                i % 20 != 3
            } else {
                org.code != CARE_GROUP && others % 25 < 23
            };
            // Those who answered everything attach a document to each document item.
            let documents: Vec<NewEvidence> = match &policy {
                Some(p)
                    if tree.kind != FrameworkKind::Caf && roll >= 12 && org.code != CARE_GROUP =>
                {
                    tree.items()
                        .filter(|it| {
                            it.answer_type == AnswerType::Document
                                && it.applicability(org.org_type).applies()
                        })
                        .map(|it| NewEvidence {
                            reference: it.reference.clone(),
                            ..p.clone()
                        })
                        .collect()
                }
                _ => Vec::new(),
            };
            // The status the organisation's own submission would publish (no plan, no history).
            let publish = submits.then(|| {
                let facts = Facts {
                    answers: answers.iter().cloned().collect(),
                    documents: documents.iter().map(|d| (d.reference.clone(), 1)).collect(),
                    ..Facts::default()
                };
                let e = evaluate(tree, org.org_type, org.category, &facts, today);
                decide_status(StatusInputs {
                    met: e.met,
                    approaching_met: e.approaching_met,
                    exceeding_certificate: e.exceeding_certificate,
                    plan_covers_unmet: false,
                    plan_approved: false,
                    previous: None,
                })
            });
            let mut audit = vec![self.draft(
                &Actor::cli(),
                "assessment.answers",
                "assessment",
                "",
                Some(org.id),
                serde_json::json!({"year": year, "answers": answers.len(), "demo": true}),
            )];
            if let Some(status) = publish {
                audit.push(self.draft(
                    &Actor::cli(),
                    "assessment.submit",
                    "assessment",
                    "",
                    Some(org.id),
                    serde_json::json!({"year": year, "status": status.as_str(), "late": false, "demo": true}),
                ));
            }
            batch.push(SeededAssessment {
                key: AssessmentKey {
                    org_id: org.id,
                    year,
                    framework_id: record.id,
                },
                answers,
                documents,
                publish,
                audit,
            });
            if batch.len() == SEED_BATCH {
                written += self.store.seed_assessments(&batch, stamp).await?;
                batch.clear();
            }
        }
        written += self.store.seed_assessments(&batch, stamp).await?;
        self.seed_evidence(year).await?;
        Ok(written as u64)
    }

    /// The demonstration policy every seeded document item points at: stored once (when evidence
    /// storage is configured), so thousands of assessments cost one object.
    async fn demo_policy(&self) -> Result<Option<NewEvidence>> {
        let Some(objects) = self.objects.as_deref() else {
            return Ok(None);
        };
        let text = "Demonstration policy\n\nThis document stands for the policies, records and \
                    minutes an organisation uploads as evidence. It was added by palisade demo.\n";
        let key = "evidence/demo/demonstration-policy.txt";
        objects
            .put(key, bytes::Bytes::from_static(text.as_bytes()))
            .await?;
        Ok(Some(NewEvidence {
            reference: String::new(),
            filename: "demonstration-policy.txt".into(),
            content_type: "text/plain".into(),
            size: text.len() as i64,
            sha256: crate::auth::sha256_hex(text),
            object_key: key.into(),
        }))
    }

    /// An alert contact (email only) for every active organisation that has no contact yet, so
    /// a national alert reaches every organisation's inbox, as it would in the real register.
    async fn seed_cyber_desks(&self, actor: &Actor) -> Result<usize> {
        let orgs = self.store.export_orgs(&Scope::All).await?;
        let mut added = 0;
        for chunk in orgs
            .iter()
            .filter(|o| o.active)
            .collect::<Vec<_>>()
            .chunks(SEED_BATCH * 5)
        {
            let mut batch = Vec::with_capacity(chunk.len());
            for org in chunk {
                let fields = ContactInput {
                    name: "Cyber Desk".into(),
                    role: "alert_contact".into(),
                    email: format!("cyber.desk@{}.example.nhs.uk", org.code.to_lowercase()),
                    mobile: String::new(),
                    alert_channels: String::new(),
                    reminders: String::new(),
                }
                .validate()?;
                let audit = self.contact_created(actor, org.id, &fields);
                batch.push(SeededContact {
                    org_id: org.id,
                    fields,
                    audit,
                });
            }
            added += self.store.seed_contacts(&batch).await?;
        }
        Ok(added)
    }

    /// The care group's privacy notice, so the demo shows an evidence document (when evidence
    /// storage is configured).
    async fn seed_evidence(&self, year: i32) -> Result<()> {
        if self.objects.is_none() {
            return Ok(());
        }
        let actor = Actor::cli();
        let view = match self.assessment(&actor, CARE_GROUP, year).await {
            Ok(v) => v,
            Err(AppError::NotFound | AppError::Invalid(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if !view.evidence.is_empty() || view.submitted() {
            return Ok(());
        }
        let org_type = view.org.org.org_type;
        let Some(item) = view.tree.items().find(|it| {
            it.answer_type == AnswerType::Document && it.applicability(org_type).is_mandatory()
        }) else {
            return Ok(());
        };
        let notice = format!(
            "{} privacy notice\n\nWe hold the care records of the people we support, share them \
             only with their GP, the local authority and the NHS when their care needs it, and \
             keep them for eight years.\n",
            view.org.org.name
        );
        let lead = demo_lead(view.org.org.id);
        let reference = item.reference.clone();
        self.upload_evidence(
            &lead,
            CARE_GROUP,
            year,
            &reference,
            "privacy-notice.txt",
            bytes::Bytes::from(notice),
        )
        .await?;
        Ok(())
    }
}

/// The demo care provider, whose lead tries evidence uploads.
const CARE_GROUP: &str = "CH000000";

/// Assessments written per transaction when seeding.
const SEED_BATCH: usize = 200;

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// The demo acting as an organisation's lead.
fn demo_lead(org_id: i64) -> Actor {
    Actor {
        user_id: None,
        label: "demo".into(),
        register_version: None,
        principal: Principal {
            user_id: 0,
            grants: vec![Grant {
                role: Role::OrgLead,
                org_id: Some(org_id),
            }],
        },
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

/// Product lifecycles for the demonstration, in the endoflife.date format (a short subset).
const DEMO_LIFECYCLES: [(&str, &str); 3] = [
    ("windows.md", include_str!("../demo/lifecycles/windows.md")),
    (
        "windows-server.md",
        include_str!("../demo/lifecycles/windows-server.md"),
    ),
    ("python.md", include_str!("../demo/lifecycles/python.md")),
];

/// The demo trust's inventory: a ward of workstations (a few still on Windows 7 or Windows 10),
/// servers, and the software on them.
fn demo_inventory() -> String {
    let mut csv =
        String::from("asset,asset_type,vendor,product,version,cpe,purl,internet_facing,location\n");
    for i in 1..=40 {
        let version = match i {
            1..=3 => "7 SP1",
            4..=12 => "10 22H2",
            _ => "11 24H2 (E)",
        };
        csv.push_str(&format!(
            "WS-{i:04},workstation,Microsoft,Windows,{version},,,no,Ward {}\n",
            1 + i % 4
        ));
    }
    csv.push_str(
        "SRV-PACS-01,server,Microsoft,Windows Server,2012 R2,,,no,Data centre\n\
         SRV-WEB-01,server,Microsoft,Windows Server,2022,,,yes,Data centre\n\
         SRV-APP-01,server,Microsoft,Windows Server,2019,,,no,Data centre\n\
         SRV-APP-01,application,Python Software Foundation,Python,2.7.18,,,no,Data centre\n\
         SRV-WEB-01,application,Python Software Foundation,Python,3.12.4,,,yes,Data centre\n\
         SRV-WEB-01,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,yes,Data centre\n\
         SRV-APP-01,library,,,,,pkg:pypi/django@4.2.1,no,Data centre\n",
    );
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The demo ships one cycle's frameworks and must still answer assessments after that
    /// cycle's deadline, as any later year's demonstration does.
    #[tokio::test]
    async fn the_demo_answers_the_current_cycle_in_a_later_year() {
        let db = palisade_store::testkit::TestDb::sqlite().await.unwrap();
        // 1 August 2028, noon UTC: the cycle starting in 2028.
        let clock = palisade_domain::clock::ManualClock::new(palisade_domain::clock::from_unix(
            1_848_744_000,
        ));
        let app = App::new(
            std::sync::Arc::new(db.store.clone()),
            std::sync::Arc::new(clock),
            crate::AuthSettings::default(),
        );
        assert_eq!(app.current_year(), 2028);
        let report = app.seed_demo(Scale::Default, |_| {}).await.unwrap();
        assert!(report.assessments > 1_000, "{}", report.assessments);
        let frameworks = app.list_frameworks().await.unwrap();
        for (key, version) in [
            ("dspt-ten-standard", "2028-29.1"),
            ("dspt-caf-aligned", "2028-29.1"),
        ] {
            assert!(
                frameworks
                    .iter()
                    .any(|f| f.key == key && f.year == 2028 && f.version == version),
                "{key}: {frameworks:?}"
            );
        }
        // Run again: nothing imported twice.
        app.seed_demo(Scale::Default, |_| {}).await.unwrap();
        assert_eq!(app.list_frameworks().await.unwrap().len(), frameworks.len());
        db.cleanup().await;
    }

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
