//! The roster's workers (职工), the devices they own, the campaign records (活动记录: monthly
//! reports, trainings and drills, supervision visits), the webhooks' cursors and the history
//! they read, on PostgreSQL: statement for statement the twin of `crate::sqlite::records`. A
//! record is stored as the columns it is found by and its body as JSON text, given back
//! exactly. Workers are upserted like the rest of the roster: a write only when a value
//! differs (`IS DISTINCT FROM`), never a delete. Lists SQLite binds as JSON arrays
//! (`json_each`) are bound as one text array here (`= ANY(?)`, `<> ALL(?)`). What several
//! writers need: [`lock_record`] loads a record `FOR UPDATE`; the history read by
//! [`history_after`] is written at commit under one lock (`Pg::flush`), so its ids follow
//! commit order and a cursor over them never skips a late commit.

use std::collections::HashSet;

use hazardsnap_ledger::repo::query::{RecordQuery, WorkerFilter};
use hazardsnap_ledger::repo::rows::{
    DeviceRow, HistoryEvent, HistoryItem, RecordKind, RecordRow, TeamRow, WebhookCursor, WorkerRow,
};
use hazardsnap_ledger::{RepoError, RepoResult};
use tokio_postgres::Row;
use uuid::Uuid;

use super::org::{DEVICE_COLUMNS, device_row};
use super::pg::{Pg, changed, flag, get};
use super::sql::{self, Owner, Q};
use crate::sqlite::{parse_date, parse_ts, parse_ts_opt, parse_uuid, parse_wire, ts};

/// A campaign record `cr`: it names its own town and enterprise.
const RECORD: Owner = Owner {
    enterprise: "cr.enterprise",
    town: "cr.town",
    escalated: "0",
};

pub(crate) fn teams(pg: &mut Pg<'_>, enterprises: &[String]) -> RepoResult<Vec<TeamRow>> {
    pg.query(
        "SELECT t.enterprise, t.workshop, t.name FROM teams t
         JOIN workshops w ON w.enterprise = t.enterprise AND w.name = t.workshop
         WHERE t.enterprise = ANY(?1) AND t.active = 1 AND w.active = 1
         ORDER BY t.enterprise, w.position, t.position",
        &[&enterprises],
    )?
    .iter()
    .map(|r| {
        Ok(TeamRow {
            enterprise: get(r, 0)?,
            workshop: get(r, 1)?,
            team: get(r, 2)?,
        })
    })
    .collect()
}

const WORKER_COLUMNS: &str = "w.code, w.name, w.enterprise, w.workshop, w.team, w.active";

/// A worker from [`WORKER_COLUMNS`].
fn worker_row(r: &Row) -> RepoResult<WorkerRow> {
    Ok(WorkerRow {
        code: get(r, 0)?,
        name: get(r, 1)?,
        enterprise: get(r, 2)?,
        workshop: get(r, 3)?,
        team: get(r, 4)?,
        active: flag(r, 5)?,
    })
}

pub(crate) fn workers(pg: &mut Pg<'_>, f: &WorkerFilter) -> RepoResult<Vec<WorkerRow>> {
    let mut q = Q::new(format!(
        "SELECT {WORKER_COLUMNS} FROM workers w JOIN enterprises en ON en.code = w.enterprise
         WHERE TRUE"
    ));
    if let Some(t) = &f.town {
        q.push(" AND en.town = ").arg(t.clone());
    }
    if let Some(e) = &f.enterprise {
        q.push(" AND w.enterprise = ").arg(e.clone());
    }
    if f.active_only {
        q.push(" AND w.active = 1");
    }
    q.push(" ORDER BY w.code");
    pg.query_q(&q)?.iter().map(worker_row).collect()
}

pub(crate) fn worker(pg: &mut Pg<'_>, code: &str) -> RepoResult<Option<WorkerRow>> {
    pg.query_opt(
        &format!("SELECT {WORKER_COLUMNS} FROM workers w WHERE w.code = ?1"),
        &[&code],
    )?
    .as_ref()
    .map(worker_row)
    .transpose()
}

/// Inserts or updates a worker (and makes it active again); 0 rows changed when the stored
/// worker is already exactly this one.
pub(crate) fn upsert_worker(pg: &mut Pg<'_>, w: &WorkerRow) -> RepoResult<usize> {
    let n = pg.execute(
        "INSERT INTO workers (code, name, enterprise, workshop, team) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, enterprise = excluded.enterprise,
             workshop = excluded.workshop, team = excluded.team, active = 1
         WHERE (workers.name, workers.enterprise, workers.workshop, workers.team, workers.active)
            IS DISTINCT FROM
               (excluded.name, excluded.enterprise, excluded.workshop, excluded.team, 1::BIGINT)",
        &[&w.code, &w.name, &w.enterprise, &w.workshop, &w.team],
    )?;
    Ok(changed(n))
}

/// Deactivates the active workers whose code is not in `keep` (all of them for an empty
/// `keep`, as SQLite's `NOT IN` of an empty set).
pub(crate) fn deactivate_workers(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    let n = pg.execute(
        "UPDATE workers SET active = 0 WHERE active = 1 AND code <> ALL(?1)",
        &[&keep],
    )?;
    Ok(changed(n))
}

/// A device by id (revoked or not).
pub(crate) fn device(pg: &mut Pg<'_>, id: Uuid) -> RepoResult<Option<DeviceRow>> {
    pg.query_opt(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
        &[&id.to_string()],
    )?
    .as_ref()
    .map(device_row)
    .transpose()
}

pub(crate) fn devices_of_workers(
    pg: &mut Pg<'_>,
    workers: &[String],
) -> RepoResult<Vec<DeviceRow>> {
    pg.query(
        &format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE worker = ANY(?1) ORDER BY enrolled_at, id"
        ),
        &[&workers],
    )?
    .iter()
    .map(device_row)
    .collect()
}

pub(crate) fn officer_devices(pg: &mut Pg<'_>) -> RepoResult<HashSet<Uuid>> {
    pg.query("SELECT id FROM devices WHERE officer IS NOT NULL", &[])?
        .iter()
        .map(|r| parse_uuid(get(r, 0)?))
        .collect()
}

/// A desk's enrollment code row is inactive and outside the roster's alphabet (`desk:…`), so
/// it enrolls no phone and no roster import touches it.
pub(crate) fn insert_desk_device(pg: &mut Pg<'_>, d: &DeviceRow) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO enrollment_codes (code, enterprise, active) VALUES (?1, ?2, 0)
         ON CONFLICT (code) DO NOTHING",
        &[&d.enrollment_code, &d.enterprise],
    )?;
    super::org::insert_device(pg, d)
}

pub(crate) fn set_device_worker(
    pg: &mut Pg<'_>,
    device: Uuid,
    worker: Option<&str>,
) -> RepoResult<bool> {
    Ok(pg.execute(
        "UPDATE devices SET worker = ?2 WHERE id = ?1",
        &[&device.to_string(), &worker],
    )? == 1)
}

const RECORD_COLUMNS: &str = "cr.kind, cr.id, cr.key, cr.town, cr.enterprise, cr.day, cr.body,
    cr.created_by, cr.created_at, cr.updated_at";

/// A campaign record from [`RECORD_COLUMNS`].
fn record_row(r: &Row) -> RepoResult<RecordRow> {
    let kind: &str = get(r, 0)?;
    let body: &str = get(r, 6)?;
    Ok(RecordRow {
        kind: RecordKind::from_stored(kind)
            .ok_or_else(|| RepoError::Corrupt(format!("record kind {kind:?}")))?,
        id: parse_uuid(get(r, 1)?)?,
        key: get(r, 2)?,
        town: get(r, 3)?,
        enterprise: get(r, 4)?,
        day: parse_date(get(r, 5)?)?,
        body: serde_json::from_str(body).map_err(RepoError::corrupt)?,
        created_by: get(r, 7)?,
        created_at: parse_ts(get(r, 8)?)?,
        updated_at: parse_ts(get(r, 9)?)?,
    })
}

fn query_records(pg: &mut Pg<'_>, q: &Q) -> RepoResult<Vec<RecordRow>> {
    pg.query_q(q)?.iter().map(record_row).collect()
}

pub(crate) fn records(pg: &mut Pg<'_>, query: &RecordQuery) -> RepoResult<Vec<RecordRow>> {
    let mut q = Q::new(format!(
        "SELECT {RECORD_COLUMNS} FROM campaign_records cr WHERE cr.kind = "
    ));
    q.arg(query.kind.stored()).push(" AND ");
    q.append(sql::scope(&query.scope, &RECORD));
    if let Some(e) = &query.enterprise {
        q.push(" AND cr.enterprise = ").arg(e.clone());
    }
    if let Some(from) = query.from {
        q.push(" AND cr.day >= ").arg(from.to_string());
    }
    if let Some(to) = query.to {
        q.push(" AND cr.day < ").arg(to.to_string());
    }
    q.push(" ORDER BY cr.day, cr.created_at, cr.id LIMIT ")
        .arg(sql::int(query.limit));
    query_records(pg, &q)
}

pub(crate) fn record(pg: &mut Pg<'_>, kind: RecordKind, id: Uuid) -> RepoResult<Option<RecordRow>> {
    let mut q = Q::new(format!(
        "SELECT {RECORD_COLUMNS} FROM campaign_records cr WHERE cr.kind = "
    ));
    q.arg(kind.stored())
        .push(" AND cr.id = ")
        .arg(id.to_string());
    Ok(query_records(pg, &q)?.into_iter().next())
}

/// The query of [`record_by_key`] and [`lock_record`] (a key is unique within its kind).
fn by_key_query(kind: RecordKind, key: &str) -> Q {
    let mut q = Q::new(format!(
        "SELECT {RECORD_COLUMNS} FROM campaign_records cr WHERE cr.kind = "
    ));
    q.arg(kind.stored()).push(" AND cr.key = ").arg(key);
    q
}

pub(crate) fn record_by_key(
    pg: &mut Pg<'_>,
    kind: RecordKind,
    key: &str,
) -> RepoResult<Option<RecordRow>> {
    Ok(query_records(pg, &by_key_query(kind, key))?
        .into_iter()
        .next())
}

/// Inserts a record, or updates the one with its id (never its kind, author or creation).
pub(crate) fn put_record(pg: &mut Pg<'_>, r: &RecordRow) -> RepoResult<()> {
    let body = serde_json::to_string(&r.body).map_err(RepoError::corrupt)?;
    pg.execute(
        "INSERT INTO campaign_records
             (kind, id, key, town, enterprise, day, body, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET key = excluded.key, town = excluded.town,
             enterprise = excluded.enterprise, day = excluded.day, body = excluded.body,
             updated_at = excluded.updated_at
         WHERE campaign_records.kind = excluded.kind",
        &[
            &r.kind.stored(),
            &r.id.to_string(),
            &r.key,
            &r.town,
            &r.enterprise,
            &r.day.to_string(),
            &body,
            &r.created_by,
            &ts(r.created_at),
            &ts(r.updated_at),
        ],
    )?;
    Ok(())
}

/// The history after position `after`, in order, with each entry's number and enterprise.
pub(crate) fn history_after(
    pg: &mut Pg<'_>,
    after: i64,
    limit: u64,
) -> RepoResult<Vec<HistoryItem>> {
    pg.query(
        "SELECT h.id, h.entry_id, le.number, le.enterprise, h.at, h.actor, h.action,
                h.from_status, h.to_status, h.detail
         FROM entry_history h JOIN ledger_entries le ON le.id = h.entry_id
         WHERE h.id > ?1 ORDER BY h.id LIMIT ?2",
        &[&after, &sql::int(limit)],
    )?
    .iter()
    .map(|r| {
        let from: Option<String> = get(r, 7)?;
        Ok(HistoryItem {
            seq: get(r, 0)?,
            entry_id: parse_uuid(get(r, 1)?)?,
            number: get(r, 2)?,
            enterprise: get(r, 3)?,
            event: HistoryEvent {
                at: parse_ts(get(r, 4)?)?,
                actor: get(r, 5)?,
                action: get(r, 6)?,
                from_status: from.as_deref().map(parse_wire).transpose()?,
                to_status: parse_wire(get(r, 8)?)?,
                details: get(r, 9)?,
            },
        })
    })
    .collect()
}

/// The position of the last history event (0 when there is none).
pub(crate) fn history_last(pg: &mut Pg<'_>) -> RepoResult<i64> {
    let r = pg.query_one("SELECT COALESCE(MAX(id), 0) FROM entry_history", &[])?;
    get(&r, 0)
}

pub(crate) fn webhook_cursor(pg: &mut Pg<'_>, target: &str) -> RepoResult<Option<WebhookCursor>> {
    pg.query_opt(
        "SELECT last, attempts, next_at, last_error FROM webhook_cursors WHERE target = ?1",
        &[&target],
    )?
    .map(|r| {
        let attempts: i64 = get(&r, 1)?;
        Ok(WebhookCursor {
            last: get(&r, 0)?,
            attempts: u32::try_from(attempts)
                .map_err(|_| RepoError::Corrupt(format!("webhook attempts {attempts}")))?,
            next_at: parse_ts_opt(get(&r, 2)?)?,
            last_error: get(&r, 3)?,
        })
    })
    .transpose()
}

pub(crate) fn put_webhook_cursor(
    pg: &mut Pg<'_>,
    target: &str,
    w: &WebhookCursor,
) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO webhook_cursors (target, last, attempts, next_at, last_error)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (target) DO UPDATE SET last = excluded.last, attempts = excluded.attempts,
             next_at = excluded.next_at, last_error = excluded.last_error",
        &[
            &target,
            &w.last,
            &i64::from(w.attempts),
            &w.next_at.map(ts),
            &w.last_error,
        ],
    )?;
    Ok(())
}

/// A campaign record by key, loaded `FOR UPDATE`: locked until the transaction ends. (A key
/// not stored yet locks nothing: two writers creating the same record at once meet at the
/// unique index, and the second fails.)
pub(crate) fn lock_record(
    pg: &mut Pg<'_>,
    kind: RecordKind,
    key: &str,
) -> RepoResult<Option<RecordRow>> {
    // The key's own lock first: a record not stored yet has no row to lock, and two writers
    // creating it at once must be ordered as for an existing one (the second then finds the
    // first's record, as on one server), not meet at the unique index.
    pg.execute(
        "SELECT pg_advisory_xact_lock(?1)",
        &[&super::pg::lock_key(
            "record",
            &format!("{}/{key}", kind.stored()),
        )],
    )?;
    let mut q = by_key_query(kind, key);
    q.push(" FOR UPDATE");
    Ok(query_records(pg, &q)?.into_iter().next())
}

#[cfg(test)]
mod tests {
    //! What the conformance suite, one writer at a time, cannot show: two writers of one
    //! campaign record at once.

    use std::sync::Arc;
    use std::time::Duration;

    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::postgres::testing::{fresh_repository, server_url};

    const WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

    /// `lock_record` holds the record until commit: a second writer's `lock_record` waits and
    /// then reads the first one's body (no lost update).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_locked_record_serialises_its_writers() {
        let Some(server) = server_url() else { return };
        let repo = Arc::new(fresh_repository(&server).await);
        let at = Utc.with_ymd_and_hms(2026, 3, 25, 8, 0, 0).unwrap();
        let r = RecordRow {
            kind: RecordKind::MonthlyReport,
            id: Uuid::now_v7(),
            key: Some("2026-03/T01".into()),
            town: Some("T01".into()),
            enterprise: None,
            day: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            body: serde_json::json!({"items": []}),
            created_by: "t01".into(),
            created_at: at,
            updated_at: at,
        };
        repo.run(WRITE, true, move |pg| Ok(put_record(pg, &r)?))
            .await
            .unwrap();
        let add = |item: &'static str, locked: Option<tokio::sync::oneshot::Sender<()>>| {
            move |pg: &mut Pg<'_>| {
                let mut r = lock_record(pg, RecordKind::MonthlyReport, "2026-03/T01")?.unwrap();
                if let Some(locked) = locked {
                    let _ = locked.send(());
                    // Hold the lock while the second writer tries to take it.
                    std::thread::sleep(Duration::from_millis(500));
                }
                r.body["items"].as_array_mut().unwrap().push(item.into());
                put_record(pg, &r)?;
                Ok(())
            }
        };
        let (locked_tx, locked_rx) = tokio::sync::oneshot::channel();
        let first = {
            let repo = repo.clone();
            tokio::spawn(async move {
                repo.run(WRITE, true, add("a", Some(locked_tx)))
                    .await
                    .unwrap()
            })
        };
        locked_rx.await.unwrap();
        repo.run(WRITE, true, add("b", None)).await.unwrap();
        first.await.unwrap();
        let back = repo
            .run(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                false,
                |pg| Ok(record_by_key(pg, RecordKind::MonthlyReport, "2026-03/T01")?.unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(back.body, serde_json::json!({"items": ["a", "b"]}));
    }
}
