//! Time: one clock, one calendar, one spelling, for the engine and for the tools.
//!
//! - [`Timestamp`]: a UTC instant in whole seconds within years 0000–9999, written in the one
//!   canonical RFC 3339 spelling `2025-01-10T12:00:00Z`. The evidence log hashes that spelling,
//!   so parsing then printing a stored time must give the same text; offsets other than `Z`
//!   are accepted on input and converted, fractions of a second are dropped.
//! - [`Now`]: "now" for a run, under the one rule every tool follows for `SOURCE_DATE_EPOCH`:
//!   set and non-empty, it must be whole seconds since the epoch and is used (so reproducible
//!   runs produce identical bytes); set but invalid, it is an input error ([`InvalidTime`],
//!   exit 2), never silently ignored; unset or empty, the system clock is used.
//! - sops' own reading of `lastmodified` ([`parse_rfc3339`], [`format_rfc3339`],
//!   [`lastmodified_aad`]): lenient as Go's `time.Parse` is, since the MAC's AAD is its
//!   second-precision re-formatting (`docs/sops-format.md` §6.3).
//!
//! The calendar is the proleptic Gregorian day count (days since 1970-01-01), written once
//! here ([`days_in_month`] is also what the YAML and value parsers check dates with).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const SECS_PER_DAY: i64 = 86_400;

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z, within years 0000–9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A time that could not be read; `reason` says which part is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time `{value}`: {reason}\nhint: {}", hint(reason))]
pub struct InvalidTime {
    /// The text given.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Timestamp {
    /// The earliest representable time, 0000-01-01T00:00:00Z.
    pub const MIN: Self = Self(days_from_civil(0, 1, 1) * SECS_PER_DAY);
    /// The latest representable time, 9999-12-31T23:59:59Z.
    pub const MAX: Self = Self(days_from_civil(9999, 12, 31) * SECS_PER_DAY + SECS_PER_DAY - 1);

    /// The time `secs` seconds after the Unix epoch, if within years 0000–9999.
    pub fn from_unix(secs: i64) -> Option<Self> {
        (Self::MIN.0..=Self::MAX.0)
            .contains(&secs)
            .then_some(Self(secs))
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// The current time of the system clock (the epoch if the clock is before it).
    pub fn now() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(Self::MAX.0));
        Self(secs.min(Self::MAX.0))
    }

    /// Reads a `SOURCE_DATE_EPOCH` value: a non-negative integer of seconds.
    pub fn from_source_date_epoch(value: &str) -> Result<Self, InvalidTime> {
        let invalid = |reason| InvalidTime {
            value: value.to_owned(),
            reason,
        };
        let trimmed = value.trim();
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "SOURCE_DATE_EPOCH must be a whole number of seconds",
            ));
        }
        trimmed
            .parse::<i64>()
            .ok()
            .and_then(Self::from_unix)
            .ok_or_else(|| invalid("SOURCE_DATE_EPOCH is out of range"))
    }

    /// The time `secs` seconds later (saturating at the representable range).
    #[must_use]
    pub fn plus_seconds(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs).clamp(Self::MIN.0, Self::MAX.0))
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn seconds_since(self, earlier: Self) -> i64 {
        self.0 - earlier.0
    }

    /// Parses an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`).
    pub fn parse_rfc3339(value: &str) -> Result<Self, InvalidTime> {
        let invalid = |reason| InvalidTime {
            value: value.to_owned(),
            reason,
        };
        let b = value.as_bytes();
        if b.len() < 20 {
            return Err(invalid("too short for YYYY-MM-DDTHH:MM:SSZ"));
        }
        let days = parse_date(&b[..10]).map_err(invalid)?;
        if !matches!(b[10], b'T' | b't' | b' ') {
            return Err(invalid("expected `T` between date and time"));
        }
        let (hour, minute, second) = (num(&b[11..13]), num(&b[14..16]), num(&b[17..19]));
        if b[13] != b':' || b[16] != b':' {
            return Err(invalid("expected HH:MM:SS"));
        }
        let (Some(hour), Some(minute), Some(second)) = (hour, minute, second) else {
            return Err(invalid("expected HH:MM:SS"));
        };
        if hour > 23 || minute > 59 || second > 59 {
            return Err(invalid(
                "hour, minute or second out of range (leap seconds are not accepted)",
            ));
        }
        let mut rest = &b[19..];
        if let Some(after_dot) = rest.strip_prefix(b".") {
            let digits = after_dot.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(invalid("expected digits after the decimal point"));
            }
            rest = &after_dot[digits..];
        }
        let offset = match rest {
            b"Z" | b"z" => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let (Some(oh), Some(om)) = (num(&[*h1, *h2]), num(&[*m1, *m2])) else {
                    return Err(invalid("expected an offset ±HH:MM"));
                };
                if oh > 23 || om > 59 {
                    return Err(invalid("offset out of range"));
                }
                let secs = i64::from(oh) * 3600 + i64::from(om) * 60;
                if *sign == b'+' { secs } else { -secs }
            }
            [] => return Err(invalid("missing time zone (`Z` or ±HH:MM)")),
            _ => return Err(invalid("expected `Z` or an offset ±HH:MM at the end")),
        };
        let local = days * SECS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Self::from_unix(local - offset).ok_or_else(|| invalid("out of the years 0000-9999"))
    }

    /// Parses either a date (`YYYY-MM-DD`, meaning its midnight UTC) or an RFC 3339 date-time.
    pub fn parse_date_or_rfc3339(value: &str) -> Result<Self, InvalidTime> {
        if value.len() == 10 {
            let days = parse_date(value.as_bytes()).map_err(|reason| InvalidTime {
                value: value.to_owned(),
                reason,
            })?;
            return Ok(Self(days * SECS_PER_DAY));
        }
        Self::parse_rfc3339(value)
    }

    /// The canonical spelling without separators, for use in ids: `20250110T120000Z`.
    pub fn compact(self) -> String {
        let (year, month, day, hour, minute, second) = self.parts();
        format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
    }

    /// The date part, `YYYY-MM-DD`.
    pub fn date(self) -> String {
        let (year, month, day, ..) = self.parts();
        format!("{year:04}-{month:02}-{day:02}")
    }

    fn parts(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(SECS_PER_DAY);
        let secs = self.0.rem_euclid(SECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        (year, month, day, secs / 3600, secs % 3600 / 60, secs % 60)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day, hour, minute, second) = self.parts();
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"
        )
    }
}

impl std::str::FromStr for Timestamp {
    type Err = InvalidTime;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_rfc3339(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

fn hint(reason: &str) -> &'static str {
    if reason.starts_with("SOURCE_DATE_EPOCH") {
        "set SOURCE_DATE_EPOCH to whole seconds since 1970-01-01T00:00:00Z, or unset it"
    } else {
        "write UTC RFC 3339, e.g. 2025-01-10T12:00:00Z"
    }
}

fn num(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, checking the day exists.
fn parse_date(b: &[u8]) -> Result<i64, &'static str> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err("expected a date YYYY-MM-DD");
    }
    let (Some(y), Some(m), Some(d)) = (num(&b[..4]), num(&b[5..7]), num(&b[8..10])) else {
        return Err("expected a date YYYY-MM-DD");
    };
    if !(1..=12).contains(&m) {
        return Err("month out of range");
    }
    if d < 1 || d > days_in_month(i64::from(y), m) {
        return Err("day out of range for the month");
    }
    Ok(days_from_civil(i64::from(y), i64::from(m), i64::from(d)))
}

/// "Now" for a run: the time, and whether the user fixed it (`SOURCE_DATE_EPOCH`, or a tool's
/// `--at`). A fixed time is part of an execution's identity in the evidence log; the clock's
/// is not, so a retried run stays idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// The time.
    pub at: Timestamp,
    /// True when given by the user rather than read from the clock.
    pub explicit: bool,
}

impl Now {
    /// A time given by the user.
    pub fn fixed(at: Timestamp) -> Self {
        Self { at, explicit: true }
    }

    /// The system clock.
    pub fn clock() -> Self {
        Self {
            at: Timestamp::now(),
            explicit: false,
        }
    }

    /// The one `SOURCE_DATE_EPOCH` rule (module docs), reading the process environment.
    pub fn from_env() -> Result<Self, InvalidTime> {
        Self::from_source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
    }

    /// The one `SOURCE_DATE_EPOCH` rule for a value already read: `None` or empty means the
    /// clock; anything else must be whole seconds.
    pub fn from_source_date_epoch(value: Option<&str>) -> Result<Self, InvalidTime> {
        match value {
            Some(v) if !v.is_empty() => Ok(Self::fixed(Timestamp::from_source_date_epoch(v)?)),
            _ => Ok(Self::clock()),
        }
    }
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Parses RFC 3339 (`Z` or `±hh:mm`, optional fraction, which is dropped) to Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let canonical = crate::value::canonical_time(s, false)?;
    let b = canonical.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { canonical.get(r)?.parse().ok() };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = 19;
    if b.get(rest) == Some(&b'.') {
        rest += 1;
        while b.get(rest).is_some_and(u8::is_ascii_digit) {
            rest += 1;
        }
    }
    let offset = match &canonical[rest..] {
        "Z" => 0,
        zone => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            sign * (zone.get(1..3)?.parse::<i64>().ok()? * 3600
                + zone.get(4..6)?.parse::<i64>().ok()? * 60)
        }
    };
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// sops' AAD form of `lastmodified`: parsed, then printed with second precision, `Z` for
/// a zero offset and `±hh:mm` otherwise (Go `time.RFC3339`).
pub fn lastmodified_aad(s: &str) -> Option<String> {
    let canonical = crate::value::canonical_time(s, false)?;
    let (head, zone) = canonical.split_at(19);
    let zone = zone.find(['Z', '+', '-']).map_or("Z", |i| &zone[i..]);
    Some(format!("{head}{zone}"))
}

/// Days in `month` (1–12) of the proleptic Gregorian `year`.
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date. Years are counted from March so
/// that the leap day is the last day of the counted year; 400-year eras repeat exactly.
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month 1–12, day 1–31).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let m = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let y = year_of_era + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(
            Timestamp::parse_rfc3339("1970-01-01T00:00:00Z")
                .unwrap()
                .unix(),
            0
        );
        // 2000-03-01 follows a leap day (2000 is a leap year: divisible by 400).
        assert_eq!(
            Timestamp::parse_rfc3339("2000-03-01T00:00:00Z")
                .unwrap()
                .unix(),
            951_868_800
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2025-01-10T12:00:00Z")
                .unwrap()
                .unix(),
            1_736_510_400
        );
        assert_eq!(
            Timestamp::from_unix(1_736_510_400).unwrap().to_string(),
            "2025-01-10T12:00:00Z"
        );
        assert_eq!(Timestamp::MIN.to_string(), "0000-01-01T00:00:00Z");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        // Every day from 1900 to 2300 prints and parses back to itself.
        let start = Timestamp::parse_rfc3339("1900-01-01T23:59:59Z").unwrap();
        for day in 0..146_097 {
            let t = start.plus_seconds(day * SECS_PER_DAY);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_string()).unwrap(), t);
        }
    }

    #[test]
    fn offsets_and_fractions_become_utc_seconds() {
        let t = Timestamp::parse_rfc3339("2025-01-10T09:30:15.987-03:00").unwrap();
        assert_eq!(t.to_string(), "2025-01-10T12:30:15Z");
        assert_eq!(t.compact(), "20250110T123015Z");
        assert_eq!(t.date(), "2025-01-10");
    }

    #[test]
    fn rejects_malformed_times() {
        for (value, reason) in [
            ("2025-01-10", "too short for YYYY-MM-DDTHH:MM:SSZ"),
            ("2025-01-10T12:00:00", "too short for YYYY-MM-DDTHH:MM:SSZ"),
            (
                "2025-01-10T12:00:00+0100",
                "expected `Z` or an offset ±HH:MM at the end",
            ),
            ("2025-02-29T12:00:00Z", "day out of range for the month"),
            ("2025-13-01T12:00:00Z", "month out of range"),
            (
                "2025-01-10T24:00:00Z",
                "hour, minute or second out of range (leap seconds are not accepted)",
            ),
            ("2025-01-10X12:00:00Z", "expected `T` between date and time"),
            (
                "2025-01-10T12:00:00.Z",
                "expected digits after the decimal point",
            ),
        ] {
            assert_eq!(
                Timestamp::parse_rfc3339(value).unwrap_err().reason,
                reason,
                "{value}"
            );
        }
    }

    #[test]
    fn date_or_time_and_source_date_epoch() {
        assert_eq!(
            Timestamp::parse_date_or_rfc3339("2024-02-29")
                .unwrap()
                .to_string(),
            "2024-02-29T00:00:00Z"
        );
        assert!(Timestamp::parse_date_or_rfc3339("2023-02-29").is_err());
        assert_eq!(
            Timestamp::from_source_date_epoch("86400")
                .unwrap()
                .to_string(),
            "1970-01-02T00:00:00Z"
        );
        assert!(Timestamp::from_source_date_epoch("-1").is_err());
        assert!(Timestamp::from_source_date_epoch("1e9").is_err());
    }

    #[test]
    fn formats_and_parses() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        assert_eq!(
            parse_rfc3339("2024-02-29T01:00:00+01:00"),
            Some(1_709_164_800)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00.999Z"),
            Some(1_709_164_800)
        );
        assert_eq!(parse_rfc3339("2024-02-30T00:00:00Z"), None);
        for t in [0, 951_782_400, 1_798_761_599, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
    }

    #[test]
    fn aad_form() {
        assert_eq!(
            lastmodified_aad("2026-11-29T05:51:49Z").as_deref(),
            Some("2026-11-29T05:51:49Z")
        );
        assert_eq!(
            lastmodified_aad("2026-11-29T05:51:49+00:00").as_deref(),
            Some("2026-11-29T05:51:49Z")
        );
        assert_eq!(
            lastmodified_aad("2026-11-29T05:51:49.000Z").as_deref(),
            Some("2026-11-29T05:51:49Z")
        );
        assert_eq!(
            lastmodified_aad("2026-11-29T05:51:49+01:00").as_deref(),
            Some("2026-11-29T05:51:49+01:00")
        );
    }

    #[test]
    fn one_source_date_epoch_rule() {
        assert!(!Now::from_source_date_epoch(None).unwrap().explicit);
        assert!(!Now::from_source_date_epoch(Some("")).unwrap().explicit);
        let fixed = Now::from_source_date_epoch(Some("86400")).unwrap();
        assert_eq!((fixed.at.unix(), fixed.explicit), (86_400, true));
        let bad = Now::from_source_date_epoch(Some("yesterday")).unwrap_err();
        assert_eq!(
            bad.reason,
            "SOURCE_DATE_EPOCH must be a whole number of seconds"
        );
        assert!(bad.to_string().contains("hint: set SOURCE_DATE_EPOCH"));
    }

    #[test]
    fn days_in_month_follows_the_leap_rules() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2023, 4), 30);
        assert_eq!(days_in_month(2023, 12), 31);
    }
}
