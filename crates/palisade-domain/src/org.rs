//! Organisations: codes, types, DSPT categories and the validated shapes the rest of Palisade uses.

use crate::error::{FieldError, FieldErrors, bounded_text};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An organisation code (ODS style: `RX1`, `A81001`, `V12345`). Unique and case-insensitive:
/// it is kept upper-case, so `rx1` and `RX1` are the same organisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OrgCode(String);

impl OrgCode {
    pub const MIN_LEN: usize = 2;
    pub const MAX_LEN: usize = 12;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let v = raw.trim();
        if v.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if !v.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                field,
                format!("'{v}' must contain only letters and digits"),
            ));
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&v.len()) {
            return Err(FieldError::new(
                field,
                format!(
                    "'{v}' must be {} to {} characters",
                    Self::MIN_LEN,
                    Self::MAX_LEN
                ),
            ));
        }
        Ok(Self(v.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for OrgCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        OrgCode::parse("code", &raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal, $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable machine name used in the API, CSV files and storage.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The name people read on pages.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let t = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(t))
                    .ok_or_else(|| {
                        let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        format!("'{t}' is not one of: {}", names.join(", "))
                    })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// The kinds of organisation Palisade serves.
    OrgType {
        AcuteTrust => "acute_trust", "Acute trust",
        MentalHealthTrust => "mental_health_trust", "Mental health trust",
        CommunityTrust => "community_trust", "Community trust",
        AmbulanceTrust => "ambulance_trust", "Ambulance trust",
        Icb => "icb", "Integrated care board",
        Csu => "csu", "Commissioning support unit",
        ArmsLengthBody => "arms_length_body", "Arm's-length body",
        GpPractice => "gp_practice", "GP practice",
        Pharmacy => "pharmacy", "Pharmacy",
        Dentist => "dentist", "Dentist",
        Optician => "optician", "Optician",
        AdultSocialCare => "adult_social_care", "Adult social care provider",
        ItSupplier => "it_supplier", "IT supplier",
        NationalBody => "national_body", "National body",
    }
}

impl OrgType {
    /// The plural people use in a sentence: "GP practices", "pharmacies".
    pub fn plural(self) -> &'static str {
        use OrgType::*;
        match self {
            AcuteTrust => "acute trusts",
            MentalHealthTrust => "mental health trusts",
            CommunityTrust => "community trusts",
            AmbulanceTrust => "ambulance trusts",
            Icb => "integrated care boards",
            Csu => "commissioning support units",
            ArmsLengthBody => "arm's-length bodies",
            GpPractice => "GP practices",
            Pharmacy => "pharmacies",
            Dentist => "dentists",
            Optician => "opticians",
            AdultSocialCare => "adult social care providers",
            ItSupplier => "IT suppliers",
            NationalBody => "national bodies",
        }
    }

    /// "1 pharmacy", "2 pharmacies": the noun for a count.
    pub fn count_noun(self, n: i64) -> String {
        if n != 1 {
            return self.plural().to_string();
        }
        match self {
            OrgType::Pharmacy => "pharmacy".into(),
            OrgType::ArmsLengthBody => "arm's-length body".into(),
            OrgType::NationalBody => "national body".into(),
            other => other
                .plural()
                .strip_suffix('s')
                .unwrap_or(other.plural())
                .to_string(),
        }
    }

    /// The DSPT category an organisation of this type normally falls in (domain §2). Larger IT
    /// suppliers are category 2; key suppliers may be moved to 1 explicitly.
    pub fn default_category(self) -> Category {
        use OrgType::*;
        match self {
            AcuteTrust | MentalHealthTrust | CommunityTrust | AmbulanceTrust | Icb | Csu
            | ArmsLengthBody | NationalBody => Category::One,
            ItSupplier => Category::Two,
            Pharmacy | Dentist | Optician | AdultSocialCare => Category::Three,
            GpPractice => Category::Four,
        }
    }

    pub fn is_trust(self) -> bool {
        matches!(
            self,
            OrgType::AcuteTrust
                | OrgType::MentalHealthTrust
                | OrgType::CommunityTrust
                | OrgType::AmbulanceTrust
        )
    }
}

/// DSPT category 1-4: decides which assessment applies and whether an independent audit is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Category {
    One = 1,
    Two = 2,
    Three = 3,
    Four = 4,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::One,
        Category::Two,
        Category::Three,
        Category::Four,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    /// Categories 1 and 2 need an independent audit of their submission.
    pub fn needs_independent_audit(self) -> bool {
        matches!(self, Category::One | Category::Two)
    }

    /// Large organisations (categories 1 and 2: NHS bodies, key and larger IT suppliers) record
    /// an interim baseline before the deadline; GP practices, care providers and pharmacies do
    /// not.
    pub fn records_interim_baseline(self) -> bool {
        matches!(self, Category::One | Category::Two)
    }
}

impl TryFrom<u8> for Category {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        match n {
            1 => Ok(Category::One),
            2 => Ok(Category::Two),
            3 => Ok(Category::Three),
            4 => Ok(Category::Four),
            other => Err(format!("category {other} is not 1, 2, 3 or 4")),
        }
    }
}

impl From<Category> for u8 {
    fn from(c: Category) -> u8 {
        c.number()
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        t.parse::<u8>()
            .map_err(|_| format!("'{t}' is not a category number (1-4)"))
            .and_then(Category::try_from)
    }
}

/// The NHS England regions, offered on forms and used by the demo. Other region names are
/// accepted (the register is data), but these are what filters suggest first.
pub const REGIONS: &[&str] = &[
    "London",
    "South East",
    "South West",
    "East of England",
    "Midlands",
    "North West",
    "North East and Yorkshire",
];

pub fn parse_region(field: &str, raw: &str) -> Result<String, FieldError> {
    bounded_text(field, raw, 1, 60)
}

pub fn parse_org_name(field: &str, raw: &str) -> Result<String, FieldError> {
    bounded_text(field, raw, 2, 200)
}

/// The fields of an organisation as written by a person, an API client or a CSV line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFields {
    pub code: OrgCode,
    pub name: String,
    pub org_type: OrgType,
    pub category: Category,
    pub region: String,
    pub parent_code: Option<OrgCode>,
}

/// Raw, unvalidated input (strings as typed).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrgInput {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: String,
    #[serde(default)]
    pub category: String,
    pub region: String,
    #[serde(default)]
    pub parent_code: String,
}

impl OrgInput {
    /// Validates every field and reports all problems at once. `prefix` is put before each
    /// field name (e.g. `line 7: `) so a file's errors name their line.
    pub fn validate(&self, prefix: &str) -> Result<OrgFields, FieldErrors> {
        let f = |name: &str| format!("{prefix}{name}");
        let mut errs = FieldErrors::default();
        let code = errs.take(OrgCode::parse(&f("code"), &self.code));
        let name = errs.take(parse_org_name(&f("name"), &self.name));
        let org_type = errs.take(self.org_type.parse::<OrgType>().map_err(|m| {
            FieldError::new(
                f("type"),
                if self.org_type.trim().is_empty() {
                    "is required".into()
                } else {
                    m
                },
            )
        }));
        let category = if self.category.trim().is_empty() {
            org_type.map(OrgType::default_category)
        } else {
            errs.take(
                self.category
                    .parse::<Category>()
                    .map_err(|m| FieldError::new(f("category"), m)),
            )
        };
        let region = errs.take(parse_region(&f("region"), &self.region));
        let parent_code = if self.parent_code.trim().is_empty() {
            Some(None)
        } else {
            errs.take(OrgCode::parse(&f("parent_code"), &self.parent_code))
                .map(Some)
        };
        if let (Some(c), Some(Some(p))) = (&code, &parent_code)
            && c == p
        {
            errs.push(f("parent_code"), "an organisation cannot be its own parent");
        }
        match (code, name, org_type, category, region, parent_code) {
            (
                Some(code),
                Some(name),
                Some(org_type),
                Some(category),
                Some(region),
                Some(parent_code),
            ) if errs.is_empty() => Ok(OrgFields {
                code,
                name,
                org_type,
                category,
                region,
                parent_code,
            }),
            _ => Err(errs),
        }
    }
}

/// The CSV header `orgs import` reads, in order (every organisation listed is active).
pub const ORG_CSV_HEADER: [&str; 6] = ["code", "name", "type", "category", "region", "parent_code"];

/// The header `orgs export` writes and `orgs import` also reads: the import header and whether
/// each organisation is active (`true` or `false`), so an export imports back as it was.
pub const ORG_EXPORT_HEADER: [&str; 7] = [
    "code",
    "name",
    "type",
    "category",
    "region",
    "parent_code",
    "active",
];

/// Checks a parent chain for cycles: `parent_of` answers the current parent code of a code.
/// Returns the offending code when setting `code`'s parent to `new_parent` would close a loop.
pub fn would_cycle(
    code: &OrgCode,
    new_parent: &OrgCode,
    mut parent_of: impl FnMut(&OrgCode) -> Option<OrgCode>,
) -> bool {
    let mut cursor = Some(new_parent.clone());
    let mut steps = 0;
    while let Some(c) = cursor {
        if &c == code {
            return true;
        }
        steps += 1;
        if steps > 64 {
            return true;
        }
        cursor = parent_of(&c);
    }
    false
}

/// One line of an import: its line number (for error messages), its validated fields and
/// whether the organisation is active.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: usize,
    pub fields: OrgFields,
    pub active: bool,
}

impl ImportRow {
    /// A line for an active organisation.
    pub fn new(line: usize, fields: OrgFields) -> Self {
        Self {
            line,
            fields,
            active: true,
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_type_has_a_plural_and_a_singular_for_counts() {
        for t in OrgType::ALL {
            assert_eq!(t.count_noun(0), t.plural());
            assert_eq!(t.count_noun(2), t.plural());
            assert_ne!(t.count_noun(1), t.plural(), "{t}");
        }
        assert_eq!(OrgType::Pharmacy.count_noun(1), "pharmacy");
        assert_eq!(OrgType::GpPractice.count_noun(1), "GP practice");
        assert_eq!(OrgType::ArmsLengthBody.count_noun(1), "arm's-length body");
    }

    use super::*;

    fn input(code: &str, t: &str, cat: &str, parent: &str) -> OrgInput {
        OrgInput {
            code: code.into(),
            name: "Leeds Teaching Hospitals NHS Trust".into(),
            org_type: t.into(),
            category: cat.into(),
            region: "North East and Yorkshire".into(),
            parent_code: parent.into(),
        }
    }

    #[test]
    fn codes_are_case_insensitive_and_bounded() {
        assert_eq!(OrgCode::parse("code", " rx1 ").unwrap().as_str(), "RX1");
        assert!(OrgCode::parse("code", "R").is_err());
        assert!(OrgCode::parse("code", "RX1-01").is_err());
        assert!(OrgCode::parse("code", "ABCDEFGHIJKLM").is_err());
        assert!(OrgCode::parse("code", "ABCDEFGHIJKL").is_ok());
    }

    #[test]
    fn every_type_round_trips_and_has_a_category() {
        for t in OrgType::ALL {
            assert_eq!(t.as_str().parse::<OrgType>().unwrap(), *t);
            assert!((1..=4).contains(&t.default_category().number()));
        }
        assert_eq!(OrgType::ALL.len(), 14);
        assert!(
            "hospital"
                .parse::<OrgType>()
                .unwrap_err()
                .contains("acute_trust")
        );
    }

    #[test]
    fn categories_follow_the_domain() {
        assert_eq!(OrgType::GpPractice.default_category(), Category::Four);
        assert_eq!(OrgType::AdultSocialCare.default_category(), Category::Three);
        assert_eq!(OrgType::Icb.default_category(), Category::One);
        assert!(Category::Two.needs_independent_audit());
        assert!(!Category::Three.needs_independent_audit());
        assert!("5".parse::<Category>().is_err());
        assert!("x".parse::<Category>().is_err());
    }

    #[test]
    fn validate_reports_every_field_with_prefix() {
        let mut bad = input("", "hospital", "9", "");
        bad.region = String::new();
        let errs = bad.validate("line 3: ").unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "line 3: code",
                "line 3: type",
                "line 3: category",
                "line 3: region"
            ]
        );
    }

    #[test]
    fn validate_defaults_category_from_type() {
        let ok = input("a81001", "gp_practice", "", "qwe")
            .validate("")
            .unwrap();
        assert_eq!(ok.category, Category::Four);
        assert_eq!(ok.code.as_str(), "A81001");
        assert_eq!(ok.parent_code.unwrap().as_str(), "QWE");
    }

    #[test]
    fn own_parent_is_refused() {
        let errs = input("RX1", "acute_trust", "1", "rx1")
            .validate("")
            .unwrap_err();
        assert_eq!(errs.0[0].field, "parent_code");
    }

    #[test]
    fn cycles_are_detected() {
        let a = OrgCode::parse("c", "AAA").unwrap();
        let b = OrgCode::parse("c", "BBB").unwrap();
        let c = OrgCode::parse("c", "CCC").unwrap();
        // B's parent is A; making A's parent B closes a loop.
        let parents = |x: &OrgCode| if x == &b { Some(a.clone()) } else { None };
        assert!(would_cycle(&a, &b, parents));
        assert!(!would_cycle(&c, &b, parents));
    }
}
