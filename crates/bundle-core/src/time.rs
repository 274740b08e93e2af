//! UTC timestamps in RFC 3339 without a date-time dependency.
//!
//! sops stores `lastmodified` as `YYYY-MM-DDTHH:MM:SSZ` and uses its second-precision
//! re-formatting as the MAC's AAD (spec §6.3); the tools also need "now" and age
//! comparisons. Only the proleptic Gregorian calendar and whole seconds are handled.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now (or `SOURCE_DATE_EPOCH` when it is set and valid, so
/// reproducible runs produce identical bytes).
pub fn now_unix() -> i64 {
    if let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return epoch;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small and positive by construction (1..=31 and 1..=12).
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).expect("day of month is in 1..=31");
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).expect("month is in 1..=12");
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
