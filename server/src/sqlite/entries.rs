//! Ledger entries (隐患台账条目) on SQLite: loading and saving rows, their history and
//! after-photos, the number counters, lists and counts through the translations of [`sql`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hazardsnap_ledger::RepoResult;
use hazardsnap_ledger::repo::query::{EntryGroup, EntryPredicate, EntryQuery, Scope};
use hazardsnap_ledger::repo::rows::{EntryRecord, EntryRow, HistoryEvent, Tally};
use hazardsnap_model::Labelled;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use uuid::Uuid;

use super::sql::{self, ENTRY, Q};
use super::{
    db, from_json, json, parse_date, parse_ts, parse_ts_opt, parse_uuid, parse_uuid_opt,
    parse_wire, ts,
};

/// The columns of an [`EntryRecord`], in the order [`record`] reads them.
const COLUMNS: &str = "le.id, le.number, le.enterprise, le.year, le.seq, le.status, le.severity,
    le.category, le.escalated, le.extension_pending, le.requested_deadline, le.plan,
    le.deadline, le.rectified_note, le.merged_into, le.possible_duplicate_of,
    le.dedup_decision, le.closed_at, le.created_at, le.updated_at, en.name, en.town,
    le.supervision";

const FROM: &str = " FROM ledger_entries le JOIN enterprises en ON en.code = le.enterprise";

/// Reads a row of [`COLUMNS`].
fn record(r: &rusqlite::Row<'_>) -> RepoResult<EntryRecord> {
    let text = |i: usize| -> RepoResult<String> { r.get(i).map_err(db) };
    let opt = |i: usize| -> RepoResult<Option<String>> { r.get(i).map_err(db) };
    Ok(EntryRecord {
        entry: EntryRow {
            id: parse_uuid(&text(0)?)?,
            number: text(1)?,
            enterprise: text(2)?,
            year: r.get(3).map_err(db)?,
            seq: r.get(4).map_err(db)?,
            status: parse_wire(&text(5)?)?,
            severity: parse_wire(&text(6)?)?,
            category: parse_wire(&text(7)?)?,
            escalated: r.get(8).map_err(db)?,
            extension_pending: r.get(9).map_err(db)?,
            requested_deadline: opt(10)?.as_deref().map(parse_date).transpose()?,
            plan: opt(11)?.as_deref().map(from_json).transpose()?,
            deadline: opt(12)?.as_deref().map(parse_date).transpose()?,
            rectified_note: opt(13)?,
            merged_into: parse_uuid_opt(opt(14)?)?,
            possible_duplicate_of: parse_uuid_opt(opt(15)?)?,
            dedup_decision: opt(16)?,
            closed_at: parse_ts_opt(opt(17)?)?,
            created_at: parse_ts(&text(18)?)?,
            updated_at: parse_ts(&text(19)?)?,
            supervision: opt(22)?.as_deref().map(from_json).transpose()?,
        },
        enterprise_name: text(20)?,
        town: text(21)?,
    })
}

/// Runs a query of [`COLUMNS`].
fn records(c: &Connection, q: &Q) -> RepoResult<Vec<EntryRecord>> {
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let mut rows = stmt.query(params_from_iter(q.args.iter())).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        out.push(record(r)?);
    }
    Ok(out)
}

/// One entry inside `scope`.
pub(super) fn entry(c: &Connection, scope: &Scope, id: Uuid) -> RepoResult<Option<EntryRecord>> {
    let mut q = Q::new(format!("SELECT {COLUMNS}{FROM} WHERE le.id = "));
    q.arg(id.to_string())
        .push(" AND ")
        .append(sql::scope(scope, &ENTRY));
    Ok(records(c, &q)?.pop())
}

/// A list of entries.
pub(super) fn entries(c: &Connection, query: &EntryQuery) -> RepoResult<Vec<EntryRecord>> {
    let mut q = Q::new(format!("SELECT {COLUMNS}{FROM} WHERE "));
    q.append(sql::scope(&query.scope, &ENTRY))
        .push(" AND ")
        .append(sql::all(&query.filter))
        .push(sql::order(query.order))
        .push(" LIMIT ")
        .arg(sql::int(query.limit))
        .push(" OFFSET ")
        .arg(sql::int(query.offset));
    records(c, &q)
}

/// The query of [`count`]: the enterprise joined only when the count needs its town, no
/// grouping for a total (a sort of every entry counted, for one group).
fn count_query(scope: &Scope, filter: &[EntryPredicate], group: EntryGroup) -> Q {
    let key = sql::group(group);
    let from = if sql::needs_enterprise(scope, filter, group) {
        FROM
    } else {
        " FROM ledger_entries le"
    };
    let mut q = Q::new(format!("SELECT {key}, count(*){from} WHERE "));
    q.append(sql::scope(scope, &ENTRY))
        .push(" AND ")
        .append(sql::all(filter));
    if group != EntryGroup::Total {
        q.push(&format!(" GROUP BY {key}"));
    }
    q
}

/// Counts of entries, grouped.
pub(super) fn count(
    c: &Connection,
    scope: &Scope,
    filter: &[EntryPredicate],
    group: EntryGroup,
) -> RepoResult<Tally> {
    let q = count_query(scope, filter, group);
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let rows = stmt
        .query_map(params_from_iter(q.args.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(db)?;
    let mut out = Tally::new();
    for row in rows {
        let (k, n) = row.map_err(db)?;
        // A total without GROUP BY answers a row of 0 where a grouped count answers none.
        if n > 0 {
            out.insert(k, n as u64);
        }
    }
    Ok(out)
}

/// Distinct entries with one of `statuses` holding a report made at each site point.
pub(super) fn count_by_site(
    c: &Connection,
    scope: &Scope,
    statuses: &[hazardsnap_model::LedgerStatus],
) -> RepoResult<Tally> {
    let mut q = Q::new(
        "SELECT r.site_code, count(DISTINCT le.id) FROM reports r
         JOIN ledger_entries le ON le.id = r.entry_id
         JOIN enterprises en ON en.code = le.enterprise
         WHERE r.site_code IS NOT NULL AND le.status IN ",
    );
    q.list(statuses.iter().map(|s| s.wire_name().to_owned()))
        .push(" AND ")
        .append(sql::scope(scope, &ENTRY))
        .push(" GROUP BY r.site_code");
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let rows = stmt
        .query_map(params_from_iter(q.args.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(db)?;
    let mut out = Tally::new();
    for row in rows {
        let (k, n) = row.map_err(db)?;
        out.insert(k, n as u64);
    }
    Ok(out)
}

/// `?,?,…` for `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n.max(1)].join(",")
}

/// The histories of these entries.
pub(super) fn history_of(
    c: &Connection,
    ids: &[Uuid],
) -> RepoResult<HashMap<Uuid, Vec<HistoryEvent>>> {
    let mut out: HashMap<Uuid, Vec<HistoryEvent>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT entry_id, at, actor, action, from_status, to_status, detail
             FROM entry_history WHERE entry_id IN ({}) ORDER BY entry_id, id",
            marks(chunk.len())
        );
        let mut stmt = c.prepare_cached(&sql).map_err(db)?;
        type Row = (
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            String,
            Option<String>,
        );
        let rows = stmt
            .query_map(params_from_iter(chunk.iter().map(Uuid::to_string)), |r| {
                r.try_into()
            })
            .map_err(db)?;
        for row in rows {
            let (entry, at, actor, action, from, to, details): Row = row.map_err(db)?;
            out.entry(parse_uuid(&entry)?)
                .or_default()
                .push(HistoryEvent {
                    at: parse_ts(&at)?,
                    actor,
                    action,
                    from_status: from.as_deref().map(parse_wire).transpose()?,
                    to_status: parse_wire(&to)?,
                    details,
                });
        }
    }
    Ok(out)
}

/// The after-photos of these entries.
pub(super) fn photos_of(c: &Connection, ids: &[Uuid]) -> RepoResult<HashMap<Uuid, Vec<String>>> {
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT entry_id, sha256 FROM entry_photos WHERE entry_id IN ({})
             ORDER BY entry_id, added_at, sha256",
            marks(chunk.len())
        );
        let mut stmt = c.prepare_cached(&sql).map_err(db)?;
        let rows = stmt
            .query_map(params_from_iter(chunk.iter().map(Uuid::to_string)), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(db)?;
        for row in rows {
            let (entry, sha) = row.map_err(db)?;
            out.entry(parse_uuid(&entry)?).or_default().push(sha);
        }
    }
    Ok(out)
}

/// Stores a new entry.
pub(super) fn insert(c: &Connection, e: &EntryRow) -> RepoResult<()> {
    c.prepare_cached(
        "INSERT INTO ledger_entries (id, number, enterprise, year, seq, status, severity,
             category, escalated, extension_pending, requested_deadline, plan, deadline,
             rectified_note, merged_into, possible_duplicate_of, dedup_decision, closed_at,
             created_at, updated_at, supervision)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21)",
    )
    .map_err(db)?
    .execute(params![
        e.id.to_string(),
        e.number,
        e.enterprise,
        e.year,
        e.seq,
        e.status.wire_name(),
        e.severity.wire_name(),
        e.category.wire_name(),
        e.escalated,
        e.extension_pending,
        e.requested_deadline.map(|d| d.to_string()),
        e.plan.as_ref().map(json).transpose()?,
        e.deadline.map(|d| d.to_string()),
        e.rectified_note,
        e.merged_into.map(|u| u.to_string()),
        e.possible_duplicate_of.map(|u| u.to_string()),
        e.dedup_decision,
        e.closed_at.map(ts),
        ts(e.created_at),
        ts(e.updated_at),
        e.supervision.as_ref().map(json).transpose()?,
    ])
    .map_err(db)?;
    Ok(())
}

/// Saves an entry's changeable columns. The number is not among them: the open-entry index
/// follows a number change by trigger, and a number never changes.
pub(super) fn update(c: &Connection, e: &EntryRow) -> RepoResult<()> {
    c.prepare_cached(
        "UPDATE ledger_entries SET status = ?2, severity = ?3, category = ?4, escalated = ?5,
             extension_pending = ?6, requested_deadline = ?7, plan = ?8, deadline = ?9,
             rectified_note = ?10, merged_into = ?11, possible_duplicate_of = ?12,
             dedup_decision = ?13, closed_at = ?14, updated_at = ?15, supervision = ?16
         WHERE id = ?1",
    )
    .map_err(db)?
    .execute(params![
        e.id.to_string(),
        e.status.wire_name(),
        e.severity.wire_name(),
        e.category.wire_name(),
        e.escalated,
        e.extension_pending,
        e.requested_deadline.map(|d| d.to_string()),
        e.plan.as_ref().map(json).transpose()?,
        e.deadline.map(|d| d.to_string()),
        e.rectified_note,
        e.merged_into.map(|u| u.to_string()),
        e.possible_duplicate_of.map(|u| u.to_string()),
        e.dedup_decision,
        e.closed_at.map(ts),
        ts(e.updated_at),
        e.supervision.as_ref().map(json).transpose()?,
    ])
    .map_err(db)?;
    Ok(())
}

/// Adds an after-photo.
pub(super) fn add_photo(
    c: &Connection,
    entry: Uuid,
    sha256: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    c.prepare_cached(
        "INSERT INTO entry_photos (entry_id, sha256, added_by, added_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    )
    .map_err(db)?
    .execute(params![entry.to_string(), sha256, actor, ts(at)])
    .map_err(db)?;
    Ok(())
}

/// Appends to an entry's history.
pub(super) fn append_history(c: &Connection, entry: Uuid, h: &HistoryEvent) -> RepoResult<()> {
    c.prepare_cached(
        "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .map_err(db)?
    .execute(params![
        entry.to_string(),
        h.action,
        h.actor,
        h.from_status.map(|s| s.wire_name()),
        h.to_status.wire_name(),
        h.details,
        ts(h.at),
    ])
    .map_err(db)?;
    Ok(())
}

/// The next number of a series; the counter row is created on first use.
pub(super) fn next_seq(
    c: &Connection,
    enterprise: &str,
    year: i32,
    series: &str,
) -> RepoResult<i64> {
    c.prepare_cached(
        "INSERT INTO number_sequences (enterprise, year, series, last) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (enterprise, year, series) DO UPDATE SET last = last + 1
         RETURNING last",
    )
    .map_err(db)?
    .query_row(params![enterprise, year, series], |r| r.get(0))
    .optional()
    .map_err(db)?
    .ok_or_else(|| hazardsnap_ledger::RepoError::Corrupt("number counter".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use hazardsnap_ledger::rules::{open_statuses, overdue};
    use hazardsnap_model::LedgerStatus;
    use rusqlite::types::Value;

    /// `EXPLAIN QUERY PLAN` of a query, one line per step.
    fn plan(c: &Connection, sql: &str, args: &[Value]) -> Vec<String> {
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// The counts of the workbench and the statistics page read one index each, never the
    /// entries' rows nor a whole table (at 100 000 entries they were 40–80 ms apiece; see
    /// `BENCH-pages.md`). The plan's text, not a timing: the server never runs ANALYZE, so the
    /// plan of an empty database is the plan of a full one.
    #[test]
    fn the_pages_counts_search_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Connection::open(dir.path().join("db.sqlite3")).unwrap();
        super::super::schema::migrate(&mut c).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        let (a, b) = (
            Utc.with_ymd_and_hms(2026, 9, 30, 16, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap(),
        );
        let mut found = open_statuses();
        found.push(LedgerStatus::Closed);
        let town = Scope::Town("T01".into());
        let cases: [(&str, Q, &str); 5] = [
            (
                "overdue, district",
                count_query(&Scope::All, &overdue(today), EntryGroup::Total),
                "SEARCH le USING INDEX ledger_entries_open_deadline",
            ),
            (
                "closed in a month, district",
                count_query(
                    &Scope::All,
                    &[EntryPredicate::ClosedIn(a, b)],
                    EntryGroup::Total,
                ),
                "SEARCH le USING COVERING INDEX ledger_entries_closed",
            ),
            (
                "closed in a month, town",
                count_query(&town, &[EntryPredicate::ClosedIn(a, b)], EntryGroup::Total),
                "SEARCH le USING COVERING INDEX ledger_entries_enterprise_closed",
            ),
            (
                "found in a month, district, per enterprise",
                count_query(
                    &Scope::All,
                    &[
                        EntryPredicate::CreatedIn(a, b),
                        EntryPredicate::StatusIn(found),
                    ],
                    EntryGroup::Enterprise,
                ),
                "SEARCH le USING COVERING INDEX ledger_entries_created",
            ),
            (
                "escalated and open, district",
                count_query(
                    &Scope::All,
                    &[
                        EntryPredicate::Escalated(true),
                        EntryPredicate::StatusIn(open_statuses()),
                    ],
                    EntryGroup::Total,
                ),
                "SEARCH le USING INDEX ledger_entries_escalated",
            ),
        ];
        for (name, q, expect) in cases {
            let p = plan(&c, &q.sql, &q.args);
            assert!(
                p.iter().any(|s| s.starts_with(expect)),
                "{name}: {p:?} in {}",
                q.sql
            );
            assert!(
                p.iter().all(|s| !s.starts_with("SCAN")),
                "{name} scans: {p:?}"
            );
        }
        let range = [Value::Text(ts(a)), Value::Text(ts(b))];
        for sql in [
            super::super::reports::REPORTERS_BY_ENTERPRISE,
            super::super::reports::REPORTERS_BY_TOWN,
        ] {
            let p = plan(&c, sql, &range);
            assert!(
                p.iter()
                    .any(|s| s.contains("USING COVERING INDEX reports_received")),
                "{p:?}"
            );
            // The reports are searched, never scanned (the officers' phones, a small table,
            // may be).
            let scans_reports = |s: &String| {
                s.starts_with("SCAN reports") || s == "SCAN r" || s.starts_with("SCAN r ")
            };
            assert!(!p.iter().any(scans_reports), "{p:?}");
        }
    }
}
