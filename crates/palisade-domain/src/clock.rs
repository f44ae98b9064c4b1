//! Time is injected: every rule that depends on "now" receives it from a [`Clock`].

use time::OffsetDateTime;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The real wall clock; the only place in Palisade that reads system time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that tests move by hand; it can also move on by a step after every reading, so that a
/// test can tell one instant read once from two reads of the clock.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<(OffsetDateTime, time::Duration)>);

impl ManualClock {
    pub fn new(at: OffsetDateTime) -> Self {
        Self(std::sync::Mutex::new((at, time::Duration::ZERO)))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut t = self.0.lock().expect("clock poisoned");
        t.0 += by;
    }

    /// From now on, every reading moves the clock on by `step` (zero to stop).
    pub fn tick_each_read(&self, step: time::Duration) {
        self.0.lock().expect("clock poisoned").1 = step;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let mut t = self.0.lock().expect("clock poisoned");
        let (now, step) = *t;
        t.0 = now + step;
        now
    }
}

/// Formats a time as RFC 3339 UTC (`2024-07-14T09:30:00Z`), the API's one time format.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A stored time (Unix seconds) as RFC 3339 UTC with milliseconds (`2024-07-14T09:30:00.000Z`),
/// as CSAF and STIX write times.
pub fn rfc3339_millis(secs: i64) -> String {
    let t = rfc3339(from_unix(secs));
    format!("{}.000Z", t.trim_end_matches('Z'))
}

/// An optional stored time (Unix seconds) as RFC 3339, for API fields that may be empty.
pub fn rfc3339_opt(secs: Option<i64>) -> Option<String> {
    secs.map(|t| rfc3339(from_unix(t)))
}

/// Seconds since the Unix epoch to a UTC time (storage keeps times as integers on both engines).
pub fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The UTC day of a stored instant, `2024-07-14`.
pub fn day_of(secs: i64) -> String {
    crate::dates::date_text(from_unix(secs).date())
}

/// A time people read in a message: "14:30 UTC on 26 November 2026".
pub fn long_date_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:02}:{:02} UTC on {} {} {}",
        t.hour(),
        t.minute(),
        t.day(),
        t.month(),
        t.year()
    )
}

/// The start of British Summer Time in `year`: 01:00 UTC on the last Sunday of March (the end:
/// of October), as the Summer Time Order fixes it.
fn last_sunday_one_am(year: i32, month: time::Month) -> i64 {
    let last =
        time::Date::from_calendar_date(year, month, 31).expect("March and October have 31 days");
    let back = i64::from(last.weekday().number_days_from_sunday());
    (last.midnight().assume_utc() - time::Duration::days(back) + time::Duration::hours(1))
        .unix_timestamp()
}

/// Whether UK clocks are on summer time (BST, UTC+1) at this instant.
fn uk_summer_time(secs: i64) -> bool {
    let year = from_unix(secs).year();
    secs >= last_sunday_one_am(year, time::Month::March)
        && secs < last_sunday_one_am(year, time::Month::October)
}

/// An instant as UK clocks show it, with the zone: `16 June 2025, 08:00 BST`.
pub fn uk_time(secs: i64) -> String {
    let (t, zone) = uk_local(secs);
    format!(
        "{} {} {}, {:02}:{:02} {zone}",
        t.day(),
        t.month(),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// The UK wall-clock reading of an instant and its zone name.
pub fn uk_local(secs: i64) -> (time::PrimitiveDateTime, &'static str) {
    let summer = uk_summer_time(secs);
    let offset = if summer { 3600 } else { 0 };
    let t = from_unix(secs + offset);
    (
        time::PrimitiveDateTime::new(t.date(), t.time()),
        if summer { "BST" } else { "GMT" },
    )
}

/// The same UK wall-clock reading a calendar year before `secs` (28 February for 29 February):
/// "the same point last year" beside a figure.
pub fn a_year_before(secs: i64) -> i64 {
    let t = uk_local(secs).0;
    from_uk_local(time::PrimitiveDateTime::new(
        crate::dates::years_on(t.date(), -1),
        t.time(),
    ))
}

/// The instant a UK wall-clock reading names. In the hour repeated when the clocks go back the
/// earlier (summer) reading is taken; a reading in the hour skipped in spring is read as GMT.
pub fn from_uk_local(t: time::PrimitiveDateTime) -> i64 {
    let as_utc = t.assume_utc().unix_timestamp();
    let summer = as_utc - 3600;
    if uk_summer_time(summer) {
        summer
    } else {
        as_utc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_time_follows_summer_time_to_the_second() {
        // 2025: BST from 30 March 01:00 UTC to 26 October 01:00 UTC.
        let start = 1_743_296_400; // 2025-03-30T01:00:00Z
        assert!(!uk_summer_time(start - 1));
        assert!(uk_summer_time(start));
        let end = 1_761_440_400; // 2025-10-26T01:00:00Z
        assert!(uk_summer_time(end - 1));
        assert!(!uk_summer_time(end));
        assert_eq!(uk_time(1_750_057_200), "16 June 2025, 08:00 BST");
        assert_eq!(uk_time(1_764_770_400), "3 December 2025, 14:00 GMT");
        let local = |s: &str| {
            time::PrimitiveDateTime::parse(
                s,
                time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"),
            )
            .unwrap()
        };
        assert_eq!(from_uk_local(local("2025-06-16T08:00")), 1_750_057_200);
        assert_eq!(from_uk_local(local("2025-12-03T14:00")), 1_764_770_400);
        // 01:30 on 26 October 2025 happens twice: the summer one is 00:30 UTC.
        assert_eq!(from_uk_local(local("2025-10-26T01:30")), end - 1800);
        assert_eq!(uk_local(end - 1800).1, "BST");
    }

    #[test]
    fn a_year_before_is_the_calendar_year_not_365_days() {
        // 30 June 2028 12:00 BST, with 29 February 2028 in between: 30 June 2027 12:00 BST.
        assert_eq!(a_year_before(1_845_975_600), 1_814_353_200);
        // 29 February 2028 09:00 GMT: 28 February 2027 09:00 GMT.
        assert_eq!(a_year_before(1_835_427_600), 1_803_805_200);
        // 00:30 BST on 1 July 2027 (23:30 UTC on 30 June): 00:30 BST on 1 July 2026.
        assert_eq!(a_year_before(1_814_398_200), 1_782_862_200);
    }

    #[test]
    fn long_date_time_reads_naturally() {
        let t = from_unix(1_795_703_400); // 2026-11-26T14:30:00Z
        assert_eq!(long_date_time(t), "14:30 UTC on 26 November 2026");
    }

    #[test]
    fn rfc3339_is_utc_without_fraction() {
        let t = from_unix(1_720_949_400);
        assert_eq!(rfc3339(t), "2024-07-14T09:30:00Z");
        assert_eq!(
            rfc3339_millis(t.unix_timestamp()),
            "2024-07-14T09:30:00.000Z"
        );
    }

    #[test]
    fn manual_clock_advances() {
        let c = ManualClock::new(from_unix(0));
        c.advance(time::Duration::hours(48));
        assert_eq!(c.now().unix_timestamp(), 48 * 3600);
    }
}
