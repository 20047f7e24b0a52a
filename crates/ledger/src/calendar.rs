//! The district's calendar (辖区日历): the one definition of "today", of a day's and a month's
//! bounds, and of the year a ledger number belongs to, in the district's time zone.
//!
//! Deadlines (整改时限) are calendar dates where the district is, and a ledger year turns at
//! midnight there, not in UTC. The zone is a setting (default `Asia/Shanghai`) with a real time
//! zone type, so a district elsewhere, or China with daylight saving should it ever return,
//! needs no code change. Everything stored and sent on the wire stays UTC.

use chrono::{DateTime, Datelike, Days, LocalResult, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The default zone of a district: China Standard Time.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// The district's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    zone: Tz,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::new(DEFAULT_TIME_ZONE)
    }
}

impl Calendar {
    /// A calendar in `zone`.
    pub fn new(zone: Tz) -> Calendar {
        Calendar { zone }
    }

    /// Parses an IANA zone name such as `Asia/Shanghai`.
    pub fn from_name(name: &str) -> Result<Calendar, String> {
        name.parse::<Tz>()
            .map(Calendar::new)
            .map_err(|_| {
                format!("未知时区「{name}」/ unknown time zone '{name}' (an IANA name such as Asia/Shanghai)")
            })
    }

    /// The zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The calendar date in the district at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.zone).date_naive()
    }

    /// The year a ledger number takes at `now` (a report received at 07:00 UTC on 1 January
    /// is already in the new year in China).
    pub fn year(&self, now: DateTime<Utc>) -> i32 {
        self.today(now).year()
    }

    /// The first instant (UTC) of a district day. A day whose midnight does not exist (a
    /// daylight-saving jump) starts at its first existing minute.
    pub fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        let mut at = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        for _ in 0..180 {
            match self.zone.from_local_datetime(&at) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    return t.with_timezone(&Utc);
                }
                LocalResult::None => at += chrono::Duration::minutes(1),
            }
        }
        at.and_utc()
    }

    /// The instants `[start, end)` of the district days `from..=to`.
    pub fn days(&self, from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.day_start(from),
            self.day_start(to.checked_add_days(Days::new(1)).unwrap_or(to)),
        )
    }

    /// The first day of the month holding `day`.
    pub fn month_of(day: NaiveDate) -> NaiveDate {
        day.with_day(1).unwrap_or(day)
    }

    /// The instants `[start, end)` of the district month starting on `first`.
    pub fn month(&self, first: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let first = Calendar::month_of(first);
        let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
        (self.day_start(first), self.day_start(next))
    }

    /// A time as the district reads it, `YYYY-MM-DD HH:MM`.
    pub fn local_minute(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.zone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_ledger_year_turns_at_midnight_in_china() {
        let c = Calendar::default();
        let new_year_in_china = Utc.with_ymd_and_hms(2026, 12, 31, 17, 0, 0).unwrap();
        assert_eq!(c.year(new_year_in_china), 2027);
        let still_old = Utc.with_ymd_and_hms(2026, 12, 31, 15, 59, 0).unwrap();
        assert_eq!(c.year(still_old), 2026);
    }

    #[test]
    fn days_and_months_start_at_local_midnight() {
        let c = Calendar::default();
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(
            c.day_start(d),
            Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap()
        );
        let (start, end) = c.month(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap());
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap());
        assert_eq!(
            c.today(Utc.with_ymd_and_hms(2026, 3, 13, 16, 30, 0).unwrap()),
            NaiveDate::from_ymd_opt(2026, 3, 14).unwrap()
        );
    }

    #[test]
    fn another_zone_and_a_missing_midnight() {
        let c = Calendar::from_name("America/Sao_Paulo").unwrap();
        // Brazil's 2018 daylight saving started at midnight on 4 November: 00:00 did not exist.
        let d = NaiveDate::from_ymd_opt(2018, 11, 4).unwrap();
        let start = c.day_start(d);
        assert_eq!(start, Utc.with_ymd_and_hms(2018, 11, 4, 3, 0, 0).unwrap());
        assert!(Calendar::from_name("Mars/Olympus").is_err());
        assert_eq!(c.local_minute(start), "2018-11-04 01:00");
    }
}
