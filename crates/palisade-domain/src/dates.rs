//! Days as Palisade reads and writes them: `YYYY-MM-DD`, in files, forms, feeds and answers.

use crate::error::FieldError;
use time::Date;

pub(crate) fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date_text(*d))
}

pub(crate) fn ser_opt_date<S: serde::Serializer>(
    d: &Option<Date>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&date_text(*d)),
        None => s.serialize_none(),
    }
}

pub fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The same day `years` years on (earlier when negative), 28 February for 29 February in a year
/// without one: a year after 29 February 2028 is 28 February 2029.
pub fn years_on(d: Date, years: i32) -> Date {
    let year = d.year() + years;
    Date::from_calendar_date(year, d.month(), d.day()).unwrap_or_else(|_| {
        Date::from_calendar_date(year, time::Month::February, 28).expect("28 February exists")
    })
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(field: &str, raw: &str) -> Result<Date, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw.trim(), format).map_err(|_| {
        FieldError::new(
            field,
            format!("'{}' is not a date (YYYY-MM-DD)", raw.trim()),
        )
    })
}

/// Serde for a day as `YYYY-MM-DD`, and for an optional one.
pub(crate) mod opt_iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::iso_date::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|raw| super::parse_date("date", &raw).map_err(serde::de::Error::custom))
            .transpose()
    }
}

pub(crate) mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::date_text(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let raw = String::deserialize(d)?;
        super::parse_date("date", &raw).map_err(serde::de::Error::custom)
    }
}
