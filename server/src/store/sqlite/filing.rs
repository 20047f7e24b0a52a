//! Filing (归档): what becomes of an accepted report, and every later status change of a
//! ledger entry, as seen by the change feed.
//!
//! [`file_report`] is the ONE place that decides where a report goes: to the enterprise of its
//! site point, geofence or device (see [`super::dedup`]); a hazard (隐患) then joins an open
//! entry of that enterprise's hazard ledger (隐患台账) when the deduplication score says it is
//! the same hazard, or opens a new entry (flagged "possible duplicate of N" in the grey zone);
//! a suggestion (合理化建议) goes to the enterprise's suggestion list and is never merged. All
//! of it happens in the transaction that stores the report, so two phones sending the same
//! hazard at once cannot both open an entry.
//!
//! Numbers (`E001-2026-0042`, suggestions `E001-2026-S0007`) come from a per-enterprise,
//! per-year, per-series counter bumped in the filing transaction: a number is never reused,
//! even if the entry is later rejected or merged.

use chrono::{DateTime, Datelike, Duration, Utc};
use hazardsnap_dedup::{DedupConfig, Verdict};
use hazardsnap_model::{Labelled, LedgerStatus, ReportKind, Severity};
use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::{dedup, parse_uuid, parse_wire, ts};
use crate::store::{CheckedReport, Device, StatusChange, StoreResult};

/// Where a report was filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filed {
    /// The ledger entry, or the suggestion.
    pub id: Uuid,
    /// Its number.
    pub number: String,
    /// Its status.
    pub status: LedgerStatus,
}

/// The year a number belongs to. The campaign runs in China: a report received at 07:00 UTC on
/// 1 January is already in the new year there.
fn ledger_year(now: DateTime<Utc>) -> i32 {
    // China Standard Time is UTC+8 all year (no daylight saving).
    (now + Duration::hours(8)).year()
}

/// Allocates the next number of a series; the row is created on first use.
fn next_seq(tx: &Transaction<'_>, enterprise: &str, year: i32, series: &str) -> StoreResult<i64> {
    Ok(tx.query_row(
        "INSERT INTO number_sequences (enterprise, year, series, last) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (enterprise, year, series) DO UPDATE SET last = last + 1
         RETURNING last",
        params![enterprise, year, series],
        |r| r.get(0),
    )?)
}

/// Appends one event to the change feed of the report's device.
#[allow(clippy::too_many_arguments)]
fn append_event(
    tx: &Transaction<'_>,
    report_id: &str,
    device_id: &str,
    status: LedgerStatus,
    entry_id: &Uuid,
    entry_number: &str,
    merged_into: Option<&str>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO report_events
             (report_id, device_id, status, entry_id, entry_number, merged_into, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            report_id,
            device_id,
            status.wire_name(),
            entry_id.to_string(),
            entry_number,
            merged_into,
            reason,
            ts(at)
        ],
    )?;
    Ok(())
}

/// Files a freshly inserted report. The report row and its photo links exist (with no entry
/// yet).
pub(crate) fn file_report(
    tx: &Transaction<'_>,
    device: &Device,
    report: &CheckedReport,
    now: DateTime<Utc>,
    cfg: &DedupConfig,
) -> StoreResult<Filed> {
    let s = &report.submission;
    let report_id = s.id.to_string();
    let enterprise = dedup::assign_enterprise(tx, s, device)?;
    // The location cell goes in with the enterprise, before the report joins an entry: the
    // open index (see `dedup::OPEN_INDEX_MIGRATION`) is then refreshed once, when it joins.
    tx.execute(
        "UPDATE reports SET enterprise = ?2, location_cell = ?3 WHERE id = ?1",
        params![report_id, enterprise, dedup::location_cell(s)],
    )?;
    let enterprise = enterprise.as_str();
    let year = ledger_year(now);
    let filed = match s.kind {
        ReportKind::Hazard => {
            let facts = dedup::facts(tx, &report_id)?;
            let candidates = dedup::candidates(tx, &facts, cfg)?;
            let decision = hazardsnap_dedup::decide(&facts, &candidates, cfg);
            let detail =
                serde_json::json!({ "report_id": report_id, "decision": decision }).to_string();
            match &decision.verdict {
                Verdict::AutoMerge { entry, number } => {
                    join_entry(tx, &report_id, entry, number, s.severity, &detail, now)?
                }
                Verdict::PossibleDuplicate { entry, .. } => {
                    let filed = open_entry(tx, report, enterprise, year, now)?;
                    tx.execute(
                        "UPDATE ledger_entries SET possible_duplicate_of = ?2, dedup_decision = ?3
                         WHERE id = ?1",
                        params![filed.id.to_string(), entry.to_string(), detail],
                    )?;
                    tx.execute(
                        "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
                         VALUES (?1, 'possible_duplicate', NULL, ?2, ?2, ?3, ?4)",
                        params![filed.id.to_string(), filed.status.wire_name(), detail, ts(now)],
                    )?;
                    filed
                }
                Verdict::New => open_entry(tx, report, enterprise, year, now)?,
            }
        }
        ReportKind::Suggestion => {
            let seq = next_seq(tx, enterprise, year, "S")?;
            let number = format!("{enterprise}-{year}-S{seq:04}");
            let id = Uuid::now_v7();
            let status = LedgerStatus::PendingReview;
            tx.execute(
                "INSERT INTO suggestions (id, number, enterprise, year, seq, status, created_at,
                                          updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    id.to_string(),
                    number,
                    enterprise,
                    year,
                    seq,
                    status.wire_name(),
                    ts(now)
                ],
            )?;
            tx.execute(
                "UPDATE reports SET suggestion_id = ?2 WHERE id = ?1",
                params![report_id, id.to_string()],
            )?;
            Filed { id, number, status }
        }
    };
    append_event(
        tx,
        &report_id,
        &device.id.to_string(),
        filed.status,
        &filed.id,
        &filed.number,
        None,
        None,
        now,
    )?;
    Ok(filed)
}

/// Opens a new hazard ledger entry for the report.
fn open_entry(
    tx: &Transaction<'_>,
    report: &CheckedReport,
    enterprise: &str,
    year: i32,
    now: DateTime<Utc>,
) -> StoreResult<Filed> {
    let s = &report.submission;
    let report_id = s.id.to_string();
    let id = Uuid::now_v7();
    let status = LedgerStatus::PendingReview;
    let seq = next_seq(tx, enterprise, year, "H")?;
    let number = format!("{enterprise}-{year}-{seq:04}");
    tx.execute(
        "INSERT INTO ledger_entries (id, number, enterprise, year, seq, status, severity,
                                     category, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            id.to_string(),
            number,
            enterprise,
            year,
            seq,
            status.wire_name(),
            s.severity.wire_name(),
            s.category.wire_name(),
            ts(now)
        ],
    )?;
    tx.execute(
        "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
         VALUES (?1, 'reported', NULL, NULL, ?2, ?3, ?4)",
        params![id.to_string(), status.wire_name(), report_id, ts(now)],
    )?;
    tx.execute(
        "UPDATE reports SET entry_id = ?2 WHERE id = ?1",
        params![report_id, id.to_string()],
    )?;
    Ok(Filed { id, number, status })
}

/// Files the report into an existing open entry (自动合并): the report still counts (its
/// worker took part, and may be the first finder), the ledger keeps one entry. A major report
/// raises a general entry to major: the officer must not miss that a worker judged it major.
fn join_entry(
    tx: &Transaction<'_>,
    report_id: &str,
    entry: &Uuid,
    number: &str,
    severity: Severity,
    detail: &str,
    now: DateTime<Utc>,
) -> StoreResult<Filed> {
    let entry_id = entry.to_string();
    let (status, entry_severity): (String, String) = tx.query_row(
        "SELECT status, severity FROM ledger_entries WHERE id = ?1",
        [&entry_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    tx.execute(
        "UPDATE reports SET entry_id = ?2 WHERE id = ?1",
        params![report_id, entry_id],
    )?;
    tx.execute(
        "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
         VALUES (?1, 'auto_merged', NULL, ?2, ?2, ?3, ?4)",
        params![entry_id, status, detail, ts(now)],
    )?;
    if severity == Severity::Major && entry_severity != Severity::Major.wire_name() {
        tx.execute(
            "UPDATE ledger_entries SET severity = 'major', updated_at = ?2 WHERE id = ?1",
            params![entry_id, ts(now)],
        )?;
        tx.execute(
            "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
             VALUES (?1, 'severity_raised', NULL, ?2, ?2, ?3, ?4)",
            params![entry_id, status, report_id, ts(now)],
        )?;
    }
    Ok(Filed {
        id: *entry,
        number: number.to_owned(),
        status: parse_wire(&status)?,
    })
}

/// Where an already stored report is filed now.
pub(crate) fn where_filed(tx: &Transaction<'_>, report_id: &str) -> StoreResult<Option<Filed>> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT COALESCE(e.id, s.id), COALESCE(e.number, s.number), COALESCE(e.status, s.status)
             FROM reports r
             LEFT JOIN ledger_entries e ON e.id = r.entry_id
             LEFT JOIN suggestions s ON s.id = r.suggestion_id
             WHERE r.id = ?1",
            [report_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match row {
        Some((Some(id), Some(number), Some(status))) => Ok(Some(Filed {
            id: parse_uuid(&id)?,
            number,
            status: parse_wire(&status)?,
        })),
        _ => Ok(None),
    }
}

/// Records a status change of a ledger entry: the entry, its history, and one change-feed event
/// per report filed in it.
pub(crate) fn change_entry_status(
    tx: &Transaction<'_>,
    change: &StatusChange,
) -> StoreResult<bool> {
    let entry_id = change.entry_id.to_string();
    let current: Option<(String, String)> = tx
        .query_row(
            "SELECT status, number FROM ledger_entries WHERE id = ?1",
            [&entry_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((from_status, number)) = current else {
        return Ok(false);
    };
    let merged_into_number: Option<String> = match change.merged_into {
        Some(target) => {
            let n = tx
                .query_row(
                    "SELECT number FROM ledger_entries WHERE id = ?1",
                    [target.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if n.is_none() {
                return Ok(false);
            }
            n
        }
        None => None,
    };
    tx.execute(
        "UPDATE ledger_entries SET status = ?2, updated_at = ?3,
                merged_into = COALESCE(?4, merged_into)
         WHERE id = ?1",
        params![
            entry_id,
            change.status.wire_name(),
            ts(change.at),
            change.merged_into.map(|u| u.to_string())
        ],
    )?;
    tx.execute(
        "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            entry_id,
            change.action,
            change.actor,
            from_status,
            change.status.wire_name(),
            change.reason,
            ts(change.at)
        ],
    )?;
    let mut stmt = tx.prepare("SELECT id, device_id FROM reports WHERE entry_id = ?1")?;
    let reports: Vec<(String, String)> = stmt
        .query_map([&entry_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (report_id, device_id) in reports {
        append_event(
            tx,
            &report_id,
            &device_id,
            change.status,
            &change.entry_id,
            &number,
            merged_into_number.as_deref(),
            change.reason.as_deref(),
            change.at,
        )?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_ledger_year_is_china_time() {
        let new_year_in_china = Utc.with_ymd_and_hms(2026, 12, 31, 17, 0, 0).unwrap();
        assert_eq!(ledger_year(new_year_in_china), 2027);
        let still_old = Utc.with_ymd_and_hms(2026, 12, 31, 15, 59, 0).unwrap();
        assert_eq!(ledger_year(still_old), 2026);
    }
}
