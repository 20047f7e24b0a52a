//! Ledger numbers (台账编号): `E001-2026-0042` for hazards, `E001-2026-S0007` for
//! suggestions. Each enterprise has one counter per year and series, bumped in the
//! transaction that files: a number is never reused, even when its entry is later rejected,
//! merged or split off, so a number once printed on a notice names one hazard forever.

use chrono::{DateTime, Utc};

use crate::calendar::Calendar;
use crate::error::RepoResult;
use crate::repo::WriteTx;

/// The two numbered series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Hazard ledger entries (隐患).
    Hazard,
    /// Suggestions (合理化建议).
    Suggestion,
}

impl Series {
    /// The series' stored key.
    fn key(self) -> &'static str {
        match self {
            Series::Hazard => "H",
            Series::Suggestion => "S",
        }
    }

    /// The printed number of `seq` in this series.
    pub fn format(self, enterprise: &str, year: i32, seq: i64) -> String {
        match self {
            Series::Hazard => format!("{enterprise}-{year}-{seq:04}"),
            Series::Suggestion => format!("{enterprise}-{year}-S{seq:04}"),
        }
    }
}

/// A number given out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    /// The year (the district's, at filing).
    pub year: i32,
    /// The sequence within enterprise, year and series.
    pub seq: i64,
    /// As printed.
    pub text: String,
}

/// Gives the next number of `series` for `enterprise` at `now`.
pub fn next(
    tx: &mut dyn WriteTx,
    calendar: &Calendar,
    enterprise: &str,
    series: Series,
    now: DateTime<Utc>,
) -> RepoResult<Number> {
    let year = calendar.year(now);
    let seq = tx.next_seq(enterprise, year, series.key())?;
    Ok(Number {
        year,
        seq,
        text: series.format(enterprise, year, seq),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_printed() {
        assert_eq!(Series::Hazard.format("E001", 2026, 42), "E001-2026-0042");
        assert_eq!(
            Series::Suggestion.format("E001", 2026, 7),
            "E001-2026-S0007"
        );
        assert_eq!(
            Series::Hazard.format("E001", 2026, 12345),
            "E001-2026-12345"
        );
    }
}
