//! People, their roles, and organisation contacts.

use crate::error::{FieldError, FieldErrors, bounded_text};
use crate::org::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// What a person may do. National roles apply everywhere; the others are held per organisation.
    Role {
        NationalAdmin => "national_admin", "National administrator",
        NationalAnalyst => "national_analyst", "National analyst",
        OrgLead => "org_lead", "Organisation lead",
        OrgMember => "org_member", "Organisation member",
        Auditor => "auditor", "Independent auditor",
    }
}

impl Role {
    /// National roles are held without an organisation; every other role needs one.
    pub fn is_national(self) -> bool {
        matches!(self, Role::NationalAdmin | Role::NationalAnalyst)
    }
}

string_enum! {
    /// The part a contact plays for their organisation.
    ContactRole {
        Siro => "siro", "Senior information risk owner (SIRO)",
        SecurityLead => "security_lead", "Security lead",
        IgLead => "ig_lead", "Information governance lead",
        CaldicottGuardian => "caldicott_guardian", "Caldicott guardian",
        Dpo => "dpo", "Data protection officer",
        AlertContact => "alert_contact", "Alert contact",
    }
}

/// An email address, kept lower-case so it can identify a person case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let v = raw.trim().to_lowercase();
        if v.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        let bad = || {
            FieldError::new(
                field,
                format!("'{v}' is not an email address like name@example.nhs.uk"),
            )
        };
        if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = v.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(bad());
        }
        Ok(Self(v))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mobile number in E.164 form (`+447700900123`). UK numbers may be typed as `07700 900123`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Mobile(String);

impl Mobile {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let bad = || {
            FieldError::new(
                field,
                format!(
                    "'{}' is not a mobile number like 07700 900123 or +447700900123",
                    raw.trim()
                ),
            )
        };
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_string()
        } else if let Some(rest) = compact.strip_prefix("07") {
            format!("447{rest}")
        } else {
            return Err(bad());
        };
        if !digits.chars().all(|c| c.is_ascii_digit()) || !(8..=15).contains(&digits.len()) {
            return Err(bad());
        }
        if digits.starts_with("44") && !(digits.starts_with("447") && digits.len() == 12) {
            return Err(FieldError::new(
                field,
                format!(
                    "'{}' is not a UK mobile number (07 and 9 more digits)",
                    raw.trim()
                ),
            ));
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn parse_person_name(field: &str, raw: &str) -> Result<String, FieldError> {
    bounded_text(field, raw, 1, 120)
}

/// Password rule: long enough to resist guessing, short enough to hash cheaply (argon2 input).
pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < 12 {
        return Err(FieldError::new(field, "must be at least 12 characters"));
    }
    if n > 256 {
        return Err(FieldError::new(field, "must be at most 256 characters"));
    }
    if password.trim().is_empty() {
        return Err(FieldError::new(field, "must not be only spaces"));
    }
    Ok(())
}

string_enum! {
    /// How a contact wants alert notifications: email, text message, or both. A contact without
    /// a mobile number can only have email.
    AlertChannels {
        Both => "both", "Email and text message",
        Email => "email", "Email only",
        Sms => "sms", "Text message only",
    }
}

string_enum! {
    /// How a contact wants reminders of deadlines days away: each by itself as it falls due, or
    /// collected into one email a day. Reminders of alert responses, due within hours, always go
    /// at once, and texts are never collected.
    ReminderDelivery {
        Each => "each", "Each reminder as it falls due",
        Daily => "daily", "One email a day (daily digest)",
    }
}

impl AlertChannels {
    pub fn email(self) -> bool {
        self != AlertChannels::Sms
    }
    pub fn sms(self) -> bool {
        self != AlertChannels::Email
    }
}

/// A contact as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactInput {
    pub name: String,
    pub role: String,
    pub email: String,
    #[serde(default)]
    pub mobile: String,
    /// `both`, `email` or `sms`; empty means both (email only without a mobile number).
    #[serde(default)]
    pub alert_channels: String,
    /// `each` or `daily`; empty means each.
    #[serde(default)]
    pub reminders: String,
}

/// A valid contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFields {
    pub name: String,
    pub role: ContactRole,
    pub email: Email,
    pub mobile: Option<Mobile>,
    pub alert_channels: AlertChannels,
    pub reminders: ReminderDelivery,
}

impl ContactInput {
    pub fn validate(&self) -> Result<ContactFields, FieldErrors> {
        let mut errs = FieldErrors::default();
        let name = errs.take(parse_person_name("name", &self.name));
        let role = errs.take(ContactRole::from_str(&self.role).map_err(|m| {
            FieldError::new(
                "role",
                if self.role.trim().is_empty() {
                    "is required".into()
                } else {
                    m
                },
            )
        }));
        let email = errs.take(Email::parse("email", &self.email));
        let mobile = if self.mobile.trim().is_empty() {
            Some(None)
        } else {
            errs.take(Mobile::parse("mobile", &self.mobile)).map(Some)
        };
        let has_mobile = matches!(mobile, Some(Some(_)));
        let channels = match self.alert_channels.trim() {
            "" if has_mobile => Some(AlertChannels::Both),
            "" => Some(AlertChannels::Email),
            raw => errs.take(
                AlertChannels::from_str(raw).map_err(|m| FieldError::new("alert_channels", m)),
            ),
        };
        let channels = match channels {
            Some(c) if c.sms() && mobile == Some(None) => {
                errs.push(
                    "alert_channels",
                    "text messages need a mobile number; add one or choose email only",
                );
                None
            }
            c => c,
        };
        let reminders = match self.reminders.trim() {
            "" => Some(ReminderDelivery::Each),
            raw => errs
                .take(ReminderDelivery::from_str(raw).map_err(|m| FieldError::new("reminders", m))),
        };
        match (name, role, email, mobile, channels, reminders) {
            (
                Some(name),
                Some(role),
                Some(email),
                Some(mobile),
                Some(alert_channels),
                Some(reminders),
            ) => Ok(ContactFields {
                name,
                role,
                email,
                mobile,
                alert_channels,
                reminders,
            }),
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse("email", " Jo.Bloggs@NHS.net ")
                .unwrap()
                .as_str(),
            "jo.bloggs@nhs.net"
        );
        for bad in [
            "",
            "jo",
            "jo@",
            "@nhs.net",
            "jo@nhs",
            "jo@@nhs.net",
            "jo bloggs@nhs.net",
            "jo@nhs..net",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mobiles_normalise_to_e164() {
        assert_eq!(
            Mobile::parse("m", "07700 900123").unwrap().as_str(),
            "+447700900123"
        );
        assert_eq!(
            Mobile::parse("m", "+44 7700-900123").unwrap().as_str(),
            "+447700900123"
        );
        assert_eq!(
            Mobile::parse("m", "+353851234567").unwrap().as_str(),
            "+353851234567"
        );
        for bad in [
            "",
            "0113 243 3144",
            "07700 90012",
            "+44 113 243 3144",
            "+12",
            "07700 9001x3",
        ] {
            assert!(Mobile::parse("m", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_edges() {
        assert!(check_password("p", "elevenchars").is_err());
        assert!(check_password("p", "twelve chars").is_ok());
        assert!(check_password("p", "            ").is_err());
        assert!(check_password("p", &"x".repeat(257)).is_err());
    }

    #[test]
    fn roles_and_contact_roles_parse() {
        assert_eq!("ORG_LEAD".parse::<Role>().unwrap(), Role::OrgLead);
        assert!(Role::NationalAnalyst.is_national());
        assert!(!Role::Auditor.is_national());
        assert_eq!(ContactRole::ALL.len(), 6);
        assert!("boss".parse::<ContactRole>().unwrap_err().contains("siro"));
    }

    #[test]
    fn contact_validation_names_every_field() {
        let c = ContactInput {
            name: "".into(),
            role: "x".into(),
            email: "y".into(),
            mobile: "z".into(),
            alert_channels: "fax".into(),
            reminders: "weekly".into(),
        };
        let fields: Vec<String> = c
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "role",
                "email",
                "mobile",
                "alert_channels",
                "reminders"
            ]
        );
        let ok = ContactInput {
            name: "Sam Patel".into(),
            role: "siro".into(),
            email: "sam@nhs.net".into(),
            mobile: "".into(),
            alert_channels: "".into(),
            reminders: "".into(),
        };
        let fields = ok.validate().unwrap();
        assert_eq!(fields.mobile, None);
        assert_eq!(fields.reminders, ReminderDelivery::Each, "each by default");
        let digest = ContactInput {
            reminders: "daily".into(),
            ..ok.clone()
        };
        assert_eq!(
            digest.validate().unwrap().reminders,
            ReminderDelivery::Daily
        );
        assert_eq!(fields.alert_channels, AlertChannels::Email);
        let texts_without_mobile = ContactInput {
            alert_channels: "sms".into(),
            ..ok.clone()
        };
        let errs = texts_without_mobile.validate().unwrap_err().0;
        assert_eq!(errs[0].field, "alert_channels");
        let with_mobile = ContactInput {
            mobile: "07700 900123".into(),
            ..ok.clone()
        };
        assert_eq!(
            with_mobile.validate().unwrap().alert_channels,
            AlertChannels::Both
        );
        let texts_only = ContactInput {
            alert_channels: "sms".into(),
            ..with_mobile
        };
        let f = texts_only.validate().unwrap();
        assert!(f.alert_channels.sms() && !f.alert_channels.email());
    }
}
