//! Ledger entries (隐患台账条目) on PostgreSQL, statement for statement the twin of
//! `crate::sqlite::entries`: loading and saving rows, their history and after-photos, the
//! number counters, lists and counts through the translations of [`sql`]. Three things differ
//! because several replicas write at once: [`lock_entry`] loads the entry row `FOR UPDATE`
//! (its enterprise row stays unlocked); [`next_seq`] is one upsert whose row lock orders
//! concurrent callers, so a number is never handed out twice nor skipped (a rolled-back
//! transaction rolls its increment back too); and the history is written only by
//! [`insert_history`], which [`Pg::flush`] calls at commit under the history lock, so the ids
//! drawn from the identity column follow commit order. Lists of ids are bound as one text
//! array (`= ANY(?)`) where SQLite binds chunks of `?`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hazardsnap_ledger::repo::query::{EntryGroup, EntryPredicate, EntryQuery, Scope};
use hazardsnap_ledger::repo::rows::{EntryRecord, EntryRow, HistoryEvent, Tally};
use hazardsnap_ledger::{RepoError, RepoResult};
use hazardsnap_model::Labelled;
use tokio_postgres::Row;
use uuid::Uuid;

use super::pg::{Pg, flag, get};
use super::sql::{self, ENTRY, Q};
use crate::sqlite::{
    from_json, json, parse_date, parse_ts, parse_ts_opt, parse_uuid, parse_uuid_opt, parse_wire, ts,
};

/// The columns of an [`EntryRecord`], in the order [`record`] reads them.
const COLUMNS: &str = "le.id, le.number, le.enterprise, le.year, le.seq, le.status, le.severity,
    le.category, le.escalated, le.extension_pending, le.requested_deadline, le.plan,
    le.deadline, le.rectified_note, le.merged_into, le.possible_duplicate_of,
    le.dedup_decision, le.closed_at, le.created_at, le.updated_at, en.name, en.town,
    le.supervision";

const FROM: &str = " FROM ledger_entries le JOIN enterprises en ON en.code = le.enterprise";

/// Reads a row of [`COLUMNS`].
fn record(r: &Row) -> RepoResult<EntryRecord> {
    let opt = |i: usize| -> RepoResult<Option<String>> { get(r, i) };
    let year: i64 = get(r, 3)?;
    Ok(EntryRecord {
        entry: EntryRow {
            id: parse_uuid(get(r, 0)?)?,
            number: get(r, 1)?,
            enterprise: get(r, 2)?,
            year: i32::try_from(year)
                .map_err(|_| RepoError::Corrupt(format!("entry year {year}")))?,
            seq: get(r, 4)?,
            status: parse_wire(get(r, 5)?)?,
            severity: parse_wire(get(r, 6)?)?,
            category: parse_wire(get(r, 7)?)?,
            escalated: flag(r, 8)?,
            extension_pending: flag(r, 9)?,
            requested_deadline: opt(10)?.as_deref().map(parse_date).transpose()?,
            plan: opt(11)?.as_deref().map(from_json).transpose()?,
            deadline: opt(12)?.as_deref().map(parse_date).transpose()?,
            rectified_note: opt(13)?,
            merged_into: parse_uuid_opt(opt(14)?)?,
            possible_duplicate_of: parse_uuid_opt(opt(15)?)?,
            dedup_decision: opt(16)?,
            closed_at: parse_ts_opt(opt(17)?)?,
            created_at: parse_ts(get(r, 18)?)?,
            updated_at: parse_ts(get(r, 19)?)?,
            supervision: opt(22)?.as_deref().map(from_json).transpose()?,
        },
        enterprise_name: get(r, 20)?,
        town: get(r, 21)?,
    })
}

/// Runs a query of [`COLUMNS`].
fn records(pg: &mut Pg<'_>, q: &Q) -> RepoResult<Vec<EntryRecord>> {
    pg.query_q(q)?.iter().map(record).collect()
}

/// The query of [`entry`] and [`lock_entry`].
fn entry_query(scope: &Scope, id: Uuid) -> Q {
    let mut q = Q::new(format!("SELECT {COLUMNS}{FROM} WHERE le.id = "));
    q.arg(id.to_string())
        .push(" AND ")
        .append(sql::scope(scope, &ENTRY));
    q
}

/// One entry inside `scope`.
pub(crate) fn entry(pg: &mut Pg<'_>, scope: &Scope, id: Uuid) -> RepoResult<Option<EntryRecord>> {
    Ok(records(pg, &entry_query(scope, id))?.pop())
}

/// A list of entries.
pub(crate) fn entries(pg: &mut Pg<'_>, query: &EntryQuery) -> RepoResult<Vec<EntryRecord>> {
    let mut q = Q::new(format!("SELECT {COLUMNS}{FROM} WHERE "));
    q.append(sql::scope(&query.scope, &ENTRY))
        .push(" AND ")
        .append(sql::all(&query.filter))
        .push(sql::order(query.order))
        .push(" LIMIT ")
        .arg(sql::int(query.limit))
        .push(" OFFSET ")
        .arg(sql::int(query.offset));
    records(pg, &q)
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
    // The total's key `''` is an untyped literal: typed as text, as the driver reads it.
    let key_column = if group == EntryGroup::Total {
        "''::TEXT"
    } else {
        key
    };
    let mut q = Q::new(format!("SELECT {key_column}, count(*){from} WHERE "));
    q.append(sql::scope(scope, &ENTRY))
        .push(" AND ")
        .append(sql::all(filter));
    if group != EntryGroup::Total {
        q.push(&format!(" GROUP BY {key}"));
    }
    q
}

/// Counts of entries, grouped.
pub(crate) fn count(
    pg: &mut Pg<'_>,
    scope: &Scope,
    filter: &[EntryPredicate],
    group: EntryGroup,
) -> RepoResult<Tally> {
    let q = count_query(scope, filter, group);
    let mut out = Tally::new();
    for r in pg.query_q(&q)? {
        let (k, n): (String, i64) = (get(&r, 0)?, get(&r, 1)?);
        // A total without GROUP BY answers a row of 0 where a grouped count answers none.
        if n > 0 {
            out.insert(k, n as u64);
        }
    }
    Ok(out)
}

/// Distinct entries with one of `statuses` holding a report made at each site point.
pub(crate) fn count_by_site(
    pg: &mut Pg<'_>,
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
    let mut out = Tally::new();
    for r in pg.query_q(&q)? {
        let (k, n): (String, i64) = (get(&r, 0)?, get(&r, 1)?);
        out.insert(k, n as u64);
    }
    Ok(out)
}

/// Ids as the text array an `= ANY(?)` binds.
fn id_texts(ids: &[Uuid]) -> Vec<String> {
    ids.iter().map(Uuid::to_string).collect()
}

/// The histories of these entries, each in the order it was written.
pub(crate) fn history_of(
    pg: &mut Pg<'_>,
    ids: &[Uuid],
) -> RepoResult<HashMap<Uuid, Vec<HistoryEvent>>> {
    let mut out: HashMap<Uuid, Vec<HistoryEvent>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = pg.query(
        "SELECT entry_id, at, actor, action, from_status, to_status, detail
         FROM entry_history WHERE entry_id = ANY(?1) ORDER BY entry_id, id",
        &[&id_texts(ids)],
    )?;
    for r in rows {
        let from: Option<String> = get(&r, 4)?;
        out.entry(parse_uuid(get(&r, 0)?)?)
            .or_default()
            .push(HistoryEvent {
                at: parse_ts(get(&r, 1)?)?,
                actor: get(&r, 2)?,
                action: get(&r, 3)?,
                from_status: from.as_deref().map(parse_wire).transpose()?,
                to_status: parse_wire(get(&r, 5)?)?,
                details: get(&r, 6)?,
            });
    }
    Ok(out)
}

/// The after-photos of these entries.
pub(crate) fn photos_of(pg: &mut Pg<'_>, ids: &[Uuid]) -> RepoResult<HashMap<Uuid, Vec<String>>> {
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = pg.query(
        "SELECT entry_id, sha256 FROM entry_photos WHERE entry_id = ANY(?1)
         ORDER BY entry_id, added_at, sha256",
        &[&id_texts(ids)],
    )?;
    for r in rows {
        out.entry(parse_uuid(get(&r, 0)?)?)
            .or_default()
            .push(get(&r, 1)?);
    }
    Ok(out)
}

/// Stores a new entry.
pub(crate) fn insert(pg: &mut Pg<'_>, e: &EntryRow) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO ledger_entries (id, number, enterprise, year, seq, status, severity,
             category, escalated, extension_pending, requested_deadline, plan, deadline,
             rectified_note, merged_into, possible_duplicate_of, dedup_decision, closed_at,
             created_at, updated_at, supervision)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21)",
        &[
            &e.id.to_string(),
            &e.number,
            &e.enterprise,
            &i64::from(e.year),
            &e.seq,
            &e.status.wire_name(),
            &e.severity.wire_name(),
            &e.category.wire_name(),
            &i64::from(e.escalated),
            &i64::from(e.extension_pending),
            &e.requested_deadline.map(|d| d.to_string()),
            &e.plan.as_ref().map(json).transpose()?,
            &e.deadline.map(|d| d.to_string()),
            &e.rectified_note,
            &e.merged_into.map(|u| u.to_string()),
            &e.possible_duplicate_of.map(|u| u.to_string()),
            &e.dedup_decision,
            &e.closed_at.map(ts),
            &ts(e.created_at),
            &ts(e.updated_at),
            &e.supervision.as_ref().map(json).transpose()?,
        ],
    )?;
    Ok(())
}

/// Saves an entry's changeable columns. The number is not among them: the open-entry index
/// follows a number change by trigger, and a number never changes.
pub(crate) fn update(pg: &mut Pg<'_>, e: &EntryRow) -> RepoResult<()> {
    pg.execute(
        "UPDATE ledger_entries SET status = ?2, severity = ?3, category = ?4, escalated = ?5,
             extension_pending = ?6, requested_deadline = ?7, plan = ?8, deadline = ?9,
             rectified_note = ?10, merged_into = ?11, possible_duplicate_of = ?12,
             dedup_decision = ?13, closed_at = ?14, updated_at = ?15, supervision = ?16
         WHERE id = ?1",
        &[
            &e.id.to_string(),
            &e.status.wire_name(),
            &e.severity.wire_name(),
            &e.category.wire_name(),
            &i64::from(e.escalated),
            &i64::from(e.extension_pending),
            &e.requested_deadline.map(|d| d.to_string()),
            &e.plan.as_ref().map(json).transpose()?,
            &e.deadline.map(|d| d.to_string()),
            &e.rectified_note,
            &e.merged_into.map(|u| u.to_string()),
            &e.possible_duplicate_of.map(|u| u.to_string()),
            &e.dedup_decision,
            &e.closed_at.map(ts),
            &ts(e.updated_at),
            &e.supervision.as_ref().map(json).transpose()?,
        ],
    )?;
    Ok(())
}

/// Adds an after-photo (a second add of the same photo changes nothing).
pub(crate) fn add_photo(
    pg: &mut Pg<'_>,
    entry: Uuid,
    sha256: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO entry_photos (entry_id, sha256, added_by, added_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        &[&entry.to_string(), &sha256, &actor, &ts(at)],
    )?;
    Ok(())
}

/// The next number of a series; the counter row is created on first use. One statement: a
/// concurrent caller waits on the counter row (or on the first caller's insert of it) and
/// then increments the committed value, so numbers never repeat and never skip.
pub(crate) fn next_seq(
    pg: &mut Pg<'_>,
    enterprise: &str,
    year: i32,
    series: &str,
) -> RepoResult<i64> {
    let r = pg.query_one(
        "INSERT INTO number_sequences (enterprise, year, series, last) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (enterprise, year, series)
             DO UPDATE SET last = number_sequences.last + 1
         RETURNING last",
        &[&enterprise, &i64::from(year), &series],
    )?;
    get(&r, 0)
}

/// Inserts one history event (called at commit by `Pg::flush`, under the history lock).
pub(crate) fn insert_history(pg: &mut Pg<'_>, entry: Uuid, event: &HistoryEvent) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            &entry.to_string(),
            &event.action,
            &event.actor,
            &event.from_status.map(|s| s.wire_name()),
            &event.to_status.wire_name(),
            &event.details,
            &ts(event.at),
        ],
    )?;
    Ok(())
}

/// An entry inside `scope`, loaded `FOR UPDATE OF le`: the entry row is locked until the
/// transaction ends, its enterprise's row is not.
pub(crate) fn lock_entry(
    pg: &mut Pg<'_>,
    scope: &Scope,
    id: Uuid,
) -> RepoResult<Option<EntryRecord>> {
    let mut q = entry_query(scope, id);
    q.push(" FOR UPDATE OF le");
    Ok(records(pg, &q)?.pop())
}

#[cfg(test)]
mod tests {
    //! What the conformance suite, one writer at a time, cannot show: several writers at once.

    use std::sync::Arc;
    use std::time::Duration;

    use chrono::TimeZone;
    use hazardsnap_ledger::LedgerError;
    use hazardsnap_model::{Category, LedgerStatus, Severity};

    use super::*;
    use crate::postgres::PgRepository;
    use crate::postgres::testing::{fresh_repository, server_url};

    const WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

    /// A fresh database with town `T01` and enterprise `E001`.
    async fn repository(server: &str) -> Arc<PgRepository> {
        let repo = Arc::new(fresh_repository(server).await);
        repo.run(WRITE, true, |pg| {
            pg.execute("INSERT INTO towns (code, name) VALUES ('T01', '一镇')", &[])?;
            pg.execute(
                "INSERT INTO enterprises (code, name, town, industry, private_sme)
                 VALUES ('E001', '一厂', 'T01', 'chemical', 0)",
                &[],
            )?;
            Ok(())
        })
        .await
        .unwrap();
        repo
    }

    fn new_entry() -> EntryRow {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        EntryRow {
            id: Uuid::now_v7(),
            number: "E001-2026-0001".into(),
            enterprise: "E001".into(),
            year: 2026,
            seq: 1,
            status: LedgerStatus::PendingReview,
            severity: Severity::General,
            category: Category::Ppe,
            escalated: false,
            extension_pending: false,
            requested_deadline: None,
            plan: None,
            deadline: None,
            rectified_note: None,
            merged_into: None,
            possible_duplicate_of: None,
            dedup_decision: None,
            closed_at: None,
            created_at: at,
            updated_at: at,
            supervision: None,
        }
    }

    /// Writers drawing numbers of one series at once (the first ones racing to create its
    /// counter) get 1, 2, 3… each exactly once; a rolled-back draw is drawn again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn numbers_from_several_writers_never_repeat_nor_skip() {
        let Some(server) = server_url() else { return };
        let repo = repository(&server).await;
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let repo = repo.clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..5 {
                    let n = repo
                        .run(WRITE, true, |pg| {
                            let n = next_seq(pg, "E001", 2026, "H")?;
                            // Hold the counter's row a moment, so the writers overlap.
                            std::thread::sleep(Duration::from_millis(3));
                            Ok(n)
                        })
                        .await
                        .unwrap();
                    got.push(n);
                }
                got
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort_unstable();
        assert_eq!(all, (1..=50).collect::<Vec<i64>>());
        let failed = repo
            .run(WRITE, true, |pg| {
                next_seq(pg, "E001", 2026, "H")?;
                Err::<(), _>(LedgerError::from(RepoError::Worker("give up".into())))
            })
            .await;
        assert!(failed.is_err());
        let next = repo
            .run(WRITE, true, |pg| Ok(next_seq(pg, "E001", 2026, "H")?))
            .await
            .unwrap();
        assert_eq!(next, 51);
    }

    /// `lock_entry` holds the entry's row until commit: a second writer's `lock_entry` waits
    /// and then reads the first one's change (no lost update); the enterprise's row stays free.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_locked_entry_serialises_its_writers_but_not_its_enterprise() {
        let Some(server) = server_url() else { return };
        let repo = repository(&server).await;
        let e = new_entry();
        let id = e.id;
        repo.run(WRITE, true, move |pg| Ok(insert(pg, &e)?))
            .await
            .unwrap();

        let (locked_tx, locked_rx) = tokio::sync::oneshot::channel();
        let first = {
            let repo = repo.clone();
            tokio::spawn(async move {
                repo.run(WRITE, true, move |pg| {
                    let mut e = lock_entry(pg, &Scope::All, id)?.unwrap().entry;
                    let _ = locked_tx.send(());
                    std::thread::sleep(Duration::from_millis(600));
                    e.rectified_note = Some("A".into());
                    update(pg, &e)?;
                    Ok(())
                })
                .await
                .unwrap()
            })
        };
        locked_rx.await.unwrap();

        // The enterprise is not locked by the entry's lock.
        repo.run(WRITE, true, |pg| {
            pg.query_one("SELECT set_config('lock_timeout', '200ms', true)", &[])?;
            pg.execute(
                "UPDATE enterprises SET name = '一厂改' WHERE code = 'E001'",
                &[],
            )?;
            Ok(())
        })
        .await
        .expect("the enterprise row is free while its entry is locked");

        let seen = repo
            .run(WRITE, true, move |pg| {
                let mut e = lock_entry(pg, &Scope::All, id)?.unwrap().entry;
                let seen = e.rectified_note.clone();
                e.rectified_note = Some(format!("{}B", seen.as_deref().unwrap_or("")));
                update(pg, &e)?;
                Ok(seen)
            })
            .await
            .unwrap();
        first.await.unwrap();
        assert_eq!(
            seen.as_deref(),
            Some("A"),
            "the second writer saw the first's"
        );
        let last = repo
            .run(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                false,
                move |pg| Ok(entry(pg, &Scope::All, id)?.unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(last.entry.rectified_note.as_deref(), Some("AB"));
        assert_eq!(last.enterprise_name, "一厂改");
        // Out of scope, nothing is loaded (nor locked).
        let other = repo
            .run(WRITE, true, move |pg| {
                Ok(lock_entry(pg, &Scope::Town("T02".into()), id)?)
            })
            .await
            .unwrap();
        assert!(other.is_none());
    }
}
