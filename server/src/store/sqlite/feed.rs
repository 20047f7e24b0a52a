//! The device change feed (`GET /api/v1/device/changes`), read from the append-only
//! `report_events` log.
//!
//! The cursor is the id of the last event a page covered. Event ids only grow and events are
//! never rewritten, so any cursor stays valid forever, and `since = 0` replays the whole log:
//! a phone that lost its state can always rebuild it from the server's data alone.

use std::collections::HashMap;

use hazardsnap_model::{ChangeFeed, ReportChange};
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::{parse_ts, parse_uuid, parse_wire};
use crate::store::StoreResult;

/// One page of a device's feed: events after `since`, at most `limit`, folded to the latest
/// state of each report, ordered by that latest event.
pub(super) fn page(
    c: &Connection,
    device_id: Uuid,
    since: i64,
    limit: usize,
) -> StoreResult<ChangeFeed> {
    let limit = limit.max(1);
    let mut stmt = c.prepare_cached(
        "SELECT id, report_id, status, entry_id, entry_number, merged_into, reason, at
         FROM report_events WHERE device_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    )?;
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = stmt
        .query_map(
            params![device_id.to_string(), since, (limit + 1) as i64],
            |r| r.try_into(),
        )?
        .collect::<Result<_, _>>()?;
    let more = rows.len() > limit;
    let rows = &rows[..rows.len().min(limit)];
    let cursor = rows.last().map_or(since, |r| r.0);

    // Fold: a report changed three times in the page is sent once, in its latest state.
    let mut latest: HashMap<&str, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        latest.insert(row.1.as_str(), i);
    }
    let mut picks: Vec<usize> = latest.into_values().collect();
    picks.sort_unstable();
    let changes = picks
        .into_iter()
        .map(|i| {
            let (_, report_id, status, entry_id, entry_number, merged_into, reason, at) = &rows[i];
            Ok(ReportChange {
                report_id: parse_uuid(report_id)?,
                status: parse_wire(status)?,
                entry_id: entry_id.as_deref().map(parse_uuid).transpose()?,
                entry_number: entry_number.clone(),
                merged_into: merged_into.clone(),
                reason: reason.clone(),
                changed_at: parse_ts(at)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(ChangeFeed {
        changes,
        cursor: cursor.to_string(),
        more,
    })
}
