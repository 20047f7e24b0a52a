//! The roster's workers (职工), the devices they own, and the campaign records (活动记录:
//! monthly reports, trainings and drills, supervision visits) on SQLite. A record is stored as
//! the columns it is found by and its body as JSON text, given back exactly; what the body
//! means is the rules' business. Workers are upserted like the rest of the roster: a write
//! only when a value differs, never a delete.

use hazardsnap_ledger::repo::query::{RecordQuery, WorkerFilter};
use hazardsnap_ledger::repo::rows::{
    DeviceRow, HistoryEvent, HistoryItem, RecordKind, RecordRow, TeamRow, WebhookCursor, WorkerRow,
};
use hazardsnap_ledger::{RepoError, RepoResult};
use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use uuid::Uuid;

use super::sql::{self, Owner, Q};
use super::{db, parse_date, parse_ts, parse_ts_opt, parse_uuid, parse_wire, ts};

/// A campaign record `cr`: it names its own town and enterprise.
const RECORD: Owner = Owner {
    enterprise: "cr.enterprise",
    town: "cr.town",
    escalated: "0",
};

pub(super) fn teams(c: &Connection, enterprises: &[String]) -> RepoResult<Vec<TeamRow>> {
    let list = serde_json::Value::from(enterprises.to_vec()).to_string();
    let mut stmt = c
        .prepare_cached(
            "SELECT t.enterprise, t.workshop, t.name FROM teams t
             JOIN workshops w ON w.enterprise = t.enterprise AND w.name = t.workshop
             WHERE t.enterprise IN (SELECT value FROM json_each(?1))
               AND t.active = 1 AND w.active = 1
             ORDER BY t.enterprise, w.position, t.position",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([list], |r| {
            Ok(TeamRow {
                enterprise: r.get(0)?,
                workshop: r.get(1)?,
                team: r.get(2)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

const WORKER_COLUMNS: &str = "w.code, w.name, w.enterprise, w.workshop, w.team, w.active";

fn worker_row(r: &Row<'_>) -> rusqlite::Result<WorkerRow> {
    Ok(WorkerRow {
        code: r.get(0)?,
        name: r.get(1)?,
        enterprise: r.get(2)?,
        workshop: r.get(3)?,
        team: r.get(4)?,
        active: r.get(5)?,
    })
}

pub(super) fn workers(c: &Connection, f: &WorkerFilter) -> RepoResult<Vec<WorkerRow>> {
    let mut q = Q::new(format!(
        "SELECT {WORKER_COLUMNS} FROM workers w JOIN enterprises en ON en.code = w.enterprise
         WHERE 1"
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
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let rows = stmt
        .query_map(params_from_iter(q.args.iter()), worker_row)
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(super) fn worker(c: &Connection, code: &str) -> RepoResult<Option<WorkerRow>> {
    c.prepare_cached(&format!(
        "SELECT {WORKER_COLUMNS} FROM workers w WHERE w.code = ?1"
    ))
    .map_err(db)?
    .query_row([code], worker_row)
    .optional()
    .map_err(db)
}

pub(super) fn upsert_worker(c: &Connection, w: &WorkerRow) -> RepoResult<usize> {
    c.prepare_cached(
        "INSERT INTO workers (code, name, enterprise, workshop, team) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, enterprise = excluded.enterprise,
             workshop = excluded.workshop, team = excluded.team, active = 1
         WHERE (workers.name, workers.enterprise, workers.workshop, workers.team, workers.active)
            IS NOT (excluded.name, excluded.enterprise, excluded.workshop, excluded.team, 1)",
    )
    .map_err(db)?
    .execute(params![w.code, w.name, w.enterprise, w.workshop, w.team])
    .map_err(db)
}

pub(super) fn deactivate_workers(c: &Connection, keep: &[String]) -> RepoResult<usize> {
    let list = serde_json::Value::from(keep.to_vec()).to_string();
    c.prepare_cached(
        "UPDATE workers SET active = 0
         WHERE active = 1 AND code NOT IN (SELECT value FROM json_each(?1))",
    )
    .map_err(db)?
    .execute([list])
    .map_err(db)
}

/// The columns of a device, in the order [`device_row`] reads them.
pub(super) const DEVICE_COLUMNS: &str =
    "id, token_sha256, enterprise, name, enrollment_code, enrolled_at, revoked_at, worker, officer";

/// A device row from [`DEVICE_COLUMNS`].
pub(super) fn device_row(r: &Row<'_>) -> rusqlite::Result<RepoResult<DeviceRow>> {
    let id: String = r.get(0)?;
    let token: Vec<u8> = r.get(1)?;
    let enrolled: String = r.get(5)?;
    let revoked: Option<String> = r.get(6)?;
    let (enterprise, name, code, worker, officer) =
        (r.get(2)?, r.get(3)?, r.get(4)?, r.get(7)?, r.get(8)?);
    Ok((|| {
        Ok(DeviceRow {
            id: parse_uuid(&id)?,
            token_sha256: token
                .try_into()
                .map_err(|_| RepoError::Corrupt("device token".into()))?,
            enterprise,
            name,
            enrollment_code: code,
            enrolled_at: parse_ts(&enrolled)?,
            revoked_at: parse_ts_opt(revoked)?,
            worker,
            officer,
        })
    })())
}

/// Devices matching `condition` (SQL on the `devices` columns, with `?` bound to `args`).
pub(super) fn devices_where(
    c: &Connection,
    condition: &str,
    args: &[rusqlite::types::Value],
) -> RepoResult<Vec<DeviceRow>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE {condition}"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), device_row)
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(db)??);
    }
    Ok(out)
}

pub(super) fn device(c: &Connection, id: Uuid) -> RepoResult<Option<DeviceRow>> {
    Ok(devices_where(c, "id = ?", &[id.to_string().into()])?
        .into_iter()
        .next())
}

pub(super) fn devices_of_workers(c: &Connection, workers: &[String]) -> RepoResult<Vec<DeviceRow>> {
    let list = serde_json::Value::from(workers.to_vec()).to_string();
    devices_where(
        c,
        "worker IN (SELECT value FROM json_each(?)) ORDER BY enrolled_at, id",
        &[list.into()],
    )
}

pub(super) fn officer_devices(c: &Connection) -> RepoResult<HashSet<Uuid>> {
    let mut stmt = c
        .prepare_cached("SELECT id FROM devices WHERE officer IS NOT NULL")
        .map_err(db)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
    let mut out = HashSet::new();
    for id in rows {
        out.insert(parse_uuid(&id.map_err(db)?)?);
    }
    Ok(out)
}

/// A desk's enrollment code row is inactive and outside the roster's alphabet (`desk:…`), so
/// it enrolls no phone and no roster import touches it.
pub(super) fn insert_desk_device(c: &Connection, d: &DeviceRow) -> RepoResult<()> {
    c.prepare_cached(
        "INSERT INTO enrollment_codes (code, enterprise, active) VALUES (?1, ?2, 0)
         ON CONFLICT (code) DO NOTHING",
    )
    .map_err(db)?
    .execute(params![d.enrollment_code, d.enterprise])
    .map_err(db)?;
    super::org::insert_device(c, d)
}

pub(super) fn set_device_worker(
    c: &Connection,
    device: Uuid,
    worker: Option<&str>,
) -> RepoResult<bool> {
    Ok(
        c.prepare_cached("UPDATE devices SET worker = ?2 WHERE id = ?1")
            .map_err(db)?
            .execute(params![device.to_string(), worker])
            .map_err(db)?
            == 1,
    )
}

const RECORD_COLUMNS: &str = "cr.kind, cr.id, cr.key, cr.town, cr.enterprise, cr.day, cr.body,
    cr.created_by, cr.created_at, cr.updated_at";

type RawRecord = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
);

fn record_row(raw: RawRecord) -> RepoResult<RecordRow> {
    let (kind, id, key, town, enterprise, day, body, by, created, updated) = raw;
    Ok(RecordRow {
        kind: RecordKind::from_stored(&kind)
            .ok_or_else(|| RepoError::Corrupt(format!("record kind {kind:?}")))?,
        id: parse_uuid(&id)?,
        key,
        town,
        enterprise,
        day: parse_date(&day)?,
        body: serde_json::from_str(&body).map_err(RepoError::corrupt)?,
        created_by: by,
        created_at: parse_ts(&created)?,
        updated_at: parse_ts(&updated)?,
    })
}

fn query_records(c: &Connection, q: &Q) -> RepoResult<Vec<RecordRow>> {
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let rows = stmt
        .query_map(params_from_iter(q.args.iter()), |r| RawRecord::try_from(r))
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(record_row(row.map_err(db)?)?);
    }
    Ok(out)
}

pub(super) fn records(c: &Connection, query: &RecordQuery) -> RepoResult<Vec<RecordRow>> {
    let mut q = Q::new(format!(
        "SELECT {RECORD_COLUMNS} FROM campaign_records cr WHERE cr.kind = "
    ));
    q.arg(query.kind.stored().to_owned()).push(" AND ");
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
    query_records(c, &q)
}

pub(super) fn record(c: &Connection, kind: RecordKind, id: Uuid) -> RepoResult<Option<RecordRow>> {
    let mut q = Q::new(format!(
        "SELECT {RECORD_COLUMNS} FROM campaign_records cr WHERE cr.kind = "
    ));
    q.arg(kind.stored().to_owned())
        .push(" AND cr.id = ")
        .arg(id.to_string());
    Ok(query_records(c, &q)?.into_iter().next())
}

pub(super) fn record_by_key(
    c: &Connection,
    kind: RecordKind,
    key: &str,
) -> RepoResult<Option<RecordRow>> {
    let mut q = Q::new(format!(
        "SELECT {RECORD_COLUMNS} FROM campaign_records cr WHERE cr.kind = "
    ));
    q.arg(kind.stored().to_owned())
        .push(" AND cr.key = ")
        .arg(key.to_owned());
    Ok(query_records(c, &q)?.into_iter().next())
}

pub(super) fn put_record(c: &Connection, r: &RecordRow) -> RepoResult<()> {
    let body = serde_json::to_string(&r.body).map_err(RepoError::corrupt)?;
    c.prepare_cached(
        "INSERT INTO campaign_records
             (kind, id, key, town, enterprise, day, body, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET key = excluded.key, town = excluded.town,
             enterprise = excluded.enterprise, day = excluded.day, body = excluded.body,
             updated_at = excluded.updated_at
         WHERE campaign_records.kind = excluded.kind",
    )
    .map_err(db)?
    .execute(params![
        r.kind.stored(),
        r.id.to_string(),
        r.key,
        r.town,
        r.enterprise,
        r.day.to_string(),
        body,
        r.created_by,
        ts(r.created_at),
        ts(r.updated_at),
    ])
    .map_err(db)?;
    Ok(())
}

pub(super) fn history_after(
    c: &Connection,
    after: i64,
    limit: u64,
) -> RepoResult<Vec<HistoryItem>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT h.id, h.entry_id, le.number, le.enterprise, h.at, h.actor, h.action,
                    h.from_status, h.to_status, h.detail
             FROM entry_history h JOIN ledger_entries le ON le.id = h.entry_id
             WHERE h.id > ?1 ORDER BY h.id LIMIT ?2",
        )
        .map_err(db)?;
    type Raw = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        Option<String>,
    );
    let rows = stmt
        .query_map(params![after, sql::int(limit)], |r| Raw::try_from(r))
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, entry, number, enterprise, at, actor, action, from, to, detail) =
            row.map_err(db)?;
        out.push(HistoryItem {
            seq,
            entry_id: parse_uuid(&entry)?,
            number,
            enterprise,
            event: HistoryEvent {
                at: parse_ts(&at)?,
                actor,
                action,
                from_status: from.as_deref().map(parse_wire).transpose()?,
                to_status: parse_wire(&to)?,
                details: detail,
            },
        });
    }
    Ok(out)
}

pub(super) fn history_last(c: &Connection) -> RepoResult<i64> {
    c.query_row("SELECT COALESCE(MAX(id), 0) FROM entry_history", [], |r| {
        r.get(0)
    })
    .map_err(db)
}

pub(super) fn webhook_cursor(c: &Connection, target: &str) -> RepoResult<Option<WebhookCursor>> {
    let row: Option<(i64, u32, Option<String>, Option<String>)> = c
        .prepare_cached(
            "SELECT last, attempts, next_at, last_error FROM webhook_cursors WHERE target = ?1",
        )
        .map_err(db)?
        .query_row([target], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()
        .map_err(db)?;
    row.map(|(last, attempts, next_at, last_error)| {
        Ok(WebhookCursor {
            last,
            attempts,
            next_at: parse_ts_opt(next_at)?,
            last_error,
        })
    })
    .transpose()
}

pub(super) fn put_webhook_cursor(
    c: &Connection,
    target: &str,
    w: &WebhookCursor,
) -> RepoResult<()> {
    c.prepare_cached(
        "INSERT INTO webhook_cursors (target, last, attempts, next_at, last_error)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (target) DO UPDATE SET last = excluded.last, attempts = excluded.attempts,
             next_at = excluded.next_at, last_error = excluded.last_error",
    )
    .map_err(db)?
    .execute(params![
        target,
        w.last,
        w.attempts,
        w.next_at.map(ts),
        w.last_error
    ])
    .map_err(db)?;
    Ok(())
}

/// The migration that adds workers, the device–worker link and the campaign records.
pub(super) const MIGRATION: &str = r#"
CREATE TABLE workers (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    workshop TEXT,
    team TEXT,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX workers_enterprise ON workers(enterprise, code);
ALTER TABLE devices ADD COLUMN worker TEXT REFERENCES workers(code);
CREATE INDEX devices_worker ON devices(worker) WHERE worker IS NOT NULL;
ALTER TABLE devices ADD COLUMN officer TEXT;
CREATE TABLE campaign_records (
    kind TEXT NOT NULL,
    id TEXT PRIMARY KEY,
    key TEXT,
    town TEXT,
    enterprise TEXT,
    day TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX campaign_records_key ON campaign_records(kind, key) WHERE key IS NOT NULL;
CREATE INDEX campaign_records_day ON campaign_records(kind, day, created_at, id);
CREATE INDEX campaign_records_town ON campaign_records(kind, town, day);
CREATE INDEX campaign_records_enterprise ON campaign_records(kind, enterprise, day);
CREATE TABLE webhook_cursors (
    target TEXT PRIMARY KEY,
    last INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT,
    last_error TEXT
) STRICT;
"#;
