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

#[cfg(test)]
mod tests {
    use super::*;

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
