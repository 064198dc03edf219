//! Whose clock says what. Segmind's request history dates its rows by its
//! own clock, sometimes without a time zone; our attempts are dated by
//! ours. A row's time is turned into an interval on our clock, as wide as
//! what is not known: the offset between the clocks (measured from the
//! `Date` header of Segmind's answers) and a missing zone (±14 hours).

use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::event::At;

/// How far a wall clock without a zone can be from UTC: UTC−12 to UTC+14.
pub const ZONE_UNCERTAINTY: Duration = Duration::from_secs(14 * 3600);

/// A `Date` header is whole seconds, truncated.
const DATE_RESOLUTION_MS: i64 = 1000;

/// The offset of Segmind's clock from ours: Segmind's time = ours +
/// `offset_ms`, give or take `uncertainty_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// Segmind's time minus ours, in milliseconds.
    pub offset_ms: i64,
    /// How far the true offset may be from it, in milliseconds.
    pub uncertainty_ms: i64,
}

impl Offset {
    /// Nothing measured: any offset up to a zone's worth.
    pub const UNKNOWN: Offset = Offset {
        offset_ms: 0,
        uncertainty_ms: ZONE_UNCERTAINTY.as_millis() as i64,
    };

    /// The offset one answer shows: asked at `sent`, answered at `received`
    /// (our clock), dated `date` by the server (its `Date` header).
    pub fn measured(sent: At, received: At, date: SystemTime) -> Self {
        let server = At::from(date).0 as i64;
        let (sent, received) = (sent.0 as i64, received.0.max(sent.0) as i64);
        // The server's moment is in [date, date + 1 s); ours in [sent, received].
        let low = server - received;
        let high = server + DATE_RESOLUTION_MS - sent;
        Self::between(low, high)
    }

    fn between(low: i64, high: i64) -> Self {
        Self {
            offset_ms: low + (high - low) / 2,
            uncertainty_ms: (high - low + 1) / 2,
        }
    }

    fn bounds(self) -> (i64, i64) {
        (
            self.offset_ms - self.uncertainty_ms,
            self.offset_ms + self.uncertainty_ms,
        )
    }

    /// What two readings say together: the overlap of their intervals, or,
    /// when they disagree (a clock was stepped between them), both.
    pub fn combine(self, other: Offset) -> Offset {
        let (a_low, a_high) = self.bounds();
        let (b_low, b_high) = other.bounds();
        let (low, high) = (a_low.max(b_low), a_high.min(b_high));
        if low <= high {
            Self::between(low, high)
        } else {
            Self::between(a_low.min(b_low), a_high.max(b_high))
        }
    }
}

/// When a row says it was created, on Segmind's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Milliseconds since the epoch, read as UTC.
    pub ms: i64,
    /// Whether the text named its zone (or was an epoch number).
    pub zoned: bool,
}

/// Reads a row's `created_at`: RFC 3339 with or without a zone (and with
/// a space for the `T`), or seconds (or milliseconds) since the epoch.
pub fn stamp(value: &Value) -> Option<Stamp> {
    match value {
        Value::Number(n) => {
            let n = n.as_f64()?;
            if !n.is_finite() || n < 0.0 {
                return None;
            }
            // Past the year 5138 in seconds is milliseconds.
            let ms = if n > 1e11 { n } else { n * 1000.0 };
            (ms < 253_402_300_800_000.0).then_some(Stamp {
                ms: ms as i64,
                zoned: true,
            })
        }
        Value::String(text) => {
            let text = text.trim().replacen(' ', "T", 1);
            let zoned = has_zone(&text);
            let parsed = humantime::parse_rfc3339_weak(&text)
                .or_else(|_| humantime::parse_rfc3339(&text))
                .ok()
                .or_else(|| {
                    // parse_rfc3339_weak takes no offset; apply it by hand.
                    let (local, sign, hours, minutes) = split_offset(&text)?;
                    let base = humantime::parse_rfc3339_weak(local).ok()?;
                    let shift = Duration::from_secs(hours * 3600 + minutes * 60);
                    if sign > 0 {
                        base.checked_sub(shift)
                    } else {
                        base.checked_add(shift)
                    }
                })?;
            let ms = parsed
                .duration_since(SystemTime::UNIX_EPOCH)
                .ok()?
                .as_millis();
            Some(Stamp {
                ms: i64::try_from(ms).ok()?,
                zoned,
            })
        }
        _ => None,
    }
}

/// Whether an RFC 3339 text ends with a zone: `Z` or `±hh:mm`.
fn has_zone(text: &str) -> bool {
    text.ends_with('Z') || text.ends_with('z') || split_offset(text).is_some()
}

/// `(local part, sign, hours, minutes)` of a text ending in `±hh:mm`.
fn split_offset(text: &str) -> Option<(&str, i32, u64, u64)> {
    let cut = text.len().checked_sub(6)?;
    let (local, zone) = text.split_at_checked(cut)?;
    let bytes = zone.as_bytes();
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if !local.contains('T') || bytes[3] != b':' {
        return None;
    }
    let hours = zone.get(1..3)?.parse().ok()?;
    let minutes = zone.get(4..6)?.parse().ok()?;
    Some((local, sign, hours, minutes))
}

/// A row's creation as an interval on our clock, milliseconds since the
/// epoch: `None` when it has no readable time (it could be any time).
/// A stamp without a zone is read in `zone` (milliseconds east of UTC)
/// when the zone is known, else it may be ±14 hours off.
pub fn on_our_clock(stamp: Option<Stamp>, offset: Offset, zone: Option<i64>) -> Option<(i64, i64)> {
    let stamp = stamp?;
    let (utc, zone_slack) = match (stamp.zoned, zone) {
        (true, _) => (stamp.ms, 0),
        (false, Some(zone)) => (stamp.ms - zone, 0),
        (false, None) => (stamp.ms, ZONE_UNCERTAINTY.as_millis() as i64),
    };
    let ours = utc - offset.offset_ms;
    let slack = offset.uncertainty_ms + zone_slack;
    Some((ours - slack, ours + slack))
}

/// Offsets of a clock measured from answers, at most this uncertain: the
/// zone of stamps without one can then be told from them.
const MEASURED: i64 = 60_000;

/// Zones are quarter hours from UTC−12 to UTC+14.
const QUARTER_HOUR: i64 = 900_000;

/// The zone of stamps written without one, when the evidence agrees on it:
/// each `(attempt, stamp, first_sent, reach_by)` is a row that records an
/// attempt's body, and says which zones would put it where the attempt
/// could have arrived. The zone most attempts agree on wins, if at least
/// two do and no other zone has as many. `None` when the clock offset was
/// not measured (the zone cannot be told from the offset then).
pub fn zone_of_zoneless(pairs: &[(usize, i64, At, At)], offset: Offset) -> Option<i64> {
    if offset.uncertainty_ms > MEASURED {
        return None;
    }
    let (west, east) = (-12 * 4 * QUARTER_HOUR, 14 * 4 * QUARTER_HOUR);
    let mut support: std::collections::BTreeMap<i64, std::collections::BTreeSet<usize>> =
        Default::default();
    for &(attempt, stamp, first_sent, reach_by) in pairs {
        let low = stamp - offset.offset_ms - reach_by.0 as i64 - offset.uncertainty_ms;
        let high = stamp - offset.offset_ms - first_sent.0 as i64 + offset.uncertainty_ms;
        let mut zone = low.max(west).div_euclid(QUARTER_HOUR) * QUARTER_HOUR;
        while zone <= high.min(east) {
            if zone >= low {
                support.entry(zone).or_default().insert(attempt);
            }
            zone += QUARTER_HOUR;
        }
    }
    let mut ranked: Vec<(usize, i64)> = support.iter().map(|(z, a)| (a.len(), *z)).collect();
    ranked.sort_unstable_by_key(|r| std::cmp::Reverse(r.0));
    match ranked.as_slice() {
        [(best, zone), rest @ ..] if *best >= 2 && rest.first().is_none_or(|r| r.0 < *best) => {
            Some(*zone)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stamps_in_every_form() {
        let utc = stamp(&json!("2026-12-04T10:00:00Z")).unwrap();
        assert!(utc.zoned);
        let offset = stamp(&json!("2026-12-04T02:00:00-08:00")).unwrap();
        assert_eq!(offset, utc);
        let local = stamp(&json!("2026-12-04 10:00:00")).unwrap();
        assert_eq!((local.ms, local.zoned), (utc.ms, false));
        let millis = stamp(&json!("2026-12-04T10:00:00.250Z")).unwrap();
        assert_eq!(millis.ms, utc.ms + 250);
        assert_eq!(stamp(&json!(utc.ms / 1000)).unwrap(), utc);
        assert_eq!(stamp(&json!(utc.ms)).unwrap(), utc);
        for nonsense in [
            json!("yesterday"),
            json!(-1),
            json!(null),
            json!(1e300),
            json!(""),
        ] {
            assert_eq!(stamp(&nonsense), None, "{nonsense}");
        }
    }

    #[test]
    fn the_offset_is_measured_within_the_date_header_resolution() {
        let sent = At(1_000_000);
        let received = At(1_000_200);
        // The server's clock is 400 s behind ours.
        let date = At(1_000_100 - 400_000).time();
        let offset = Offset::measured(sent, received, date);
        let (low, high) = offset.bounds();
        assert!(low <= -400_100 && -400_000 <= high, "{offset:?}");
        assert!(offset.uncertainty_ms <= 700, "{offset:?}");
        // A second reading narrows it; a contradicting one widens it.
        let narrower = offset.combine(Offset::measured(
            At(2_000_000),
            At(2_000_010),
            At(2_000_005 - 400_000).time(),
        ));
        assert!(narrower.uncertainty_ms <= offset.uncertainty_ms);
        let stepped = offset.combine(Offset::measured(sent, received, At(1_000_100).time()));
        assert!(stepped.uncertainty_ms > 190_000, "{stepped:?}");
    }

    #[test]
    fn a_zoneless_stamp_is_a_wide_interval() {
        let stamp = Stamp {
            ms: 50_000_000,
            zoned: false,
        };
        let exact = Offset {
            offset_ms: 0,
            uncertainty_ms: 0,
        };
        let (low, high) = on_our_clock(Some(stamp), exact, None).unwrap();
        assert_eq!(high - low, 2 * ZONE_UNCERTAINTY.as_millis() as i64);
        assert_eq!(on_our_clock(None, Offset::UNKNOWN, None), None);
        // In UTC−8, 50,000 s local is 50,000 s + 8 h UTC.
        let eight = 8 * 3_600_000;
        assert_eq!(
            on_our_clock(Some(stamp), exact, Some(-eight)),
            Some((50_000_000 + eight, 50_000_000 + eight))
        );
    }

    #[test]
    fn the_zone_is_what_most_attempts_agree_on() {
        let offset = Offset {
            offset_ms: 2_000,
            uncertainty_ms: 600,
        };
        let eight = 8 * 3_600_000;
        // Rows written in UTC−8 for attempts sent at 10 s and 20 s.
        let pairs = [
            (0, 10_500 + 2_000 - eight, At(10_000), At(11_000)),
            (1, 20_500 + 2_000 - eight, At(20_000), At(21_000)),
            // Another folder's identical job, 20 hours earlier: no zone fits.
            (2, 30_500 - 20 * 3_600_000, At(30_000), At(31_000)),
        ];
        assert_eq!(zone_of_zoneless(&pairs, offset), Some(-eight));
        // One attempt alone does not decide; nor does an unmeasured clock.
        assert_eq!(zone_of_zoneless(&pairs[..1], offset), None);
        assert_eq!(zone_of_zoneless(&pairs, Offset::UNKNOWN), None);
    }
}
