//! Reports, photos, suggestions, the devices' change feed, reveals and draws on PostgreSQL,
//! statement for statement the twin of `crate::sqlite::reports`: rows in and out, reads cut to
//! a scope through [`sql::scope`]. Lookups SQLite runs once per key are one statement over a
//! bound text array here (`= ANY(?)`), their results put back in the order asked. The rows of
//! several entries come back in the order SQLite's index walk gives them (by entry id, then in
//! the order the reports were stored), spelled out as an `ORDER BY` since PostgreSQL promises
//! no order; with no insertion counter in the schema, "stored" is the reception time, then the
//! report id (the same order unless two reports of one entry arrive in the same millisecond).
//! The feed is written only by [`insert_feed`], which [`Pg::flush`] calls at commit under the
//! device's lock, so the event ids a device reads grow in commit order.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hazardsnap_ledger::repo::query::{Scope, SuggestionQuery};
use hazardsnap_ledger::repo::rows::{
    DrawRecord, FeedEvent, NewReport, PhotoRecord, PhotoUploads, ReportLink, ReportRow,
    RevealRecord, StoredReportKey, SuggestionRecord, SuggestionRow, Tally,
};
use hazardsnap_ledger::{RepoError, RepoResult};
use hazardsnap_model::Labelled;
use hazardsnap_photo::{Fingerprint, SceneSignature};
use tokio_postgres::Row;
use uuid::Uuid;

use super::pg::{Pg, flag, get};
use super::sql::{self, Q, REPORT, SUGGESTION};
use crate::sqlite::{
    from_json, json, parse_ts, parse_ts_opt, parse_uuid, parse_uuid_opt, parse_wire, ts,
};

/// A `BIGINT` column read into a narrower integer (out of range is a corrupt value, as SQLite
/// refuses it).
fn narrow<T: TryFrom<i64>>(r: &Row, i: usize, what: &str) -> RepoResult<T> {
    let n: i64 = get(r, i)?;
    T::try_from(n).map_err(|_| RepoError::Corrupt(format!("{what}: {n} out of range")))
}

/// Decodes stored photo fingerprint columns (sha256 hex, phash, scene bytes).
pub(crate) fn fingerprint(sha: String, phash: Vec<u8>, scene: Vec<u8>) -> RepoResult<Fingerprint> {
    let corrupt = |what: &str| RepoError::Corrupt(format!("photo {sha}: {what}"));
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(&sha, &mut sha256).map_err(|_| corrupt("sha256"))?;
    Ok(Fingerprint {
        sha256,
        phash: phash.try_into().map_err(|_| corrupt("phash"))?,
        scene: SceneSignature::from_bytes(&scene).map_err(|_| corrupt("scene"))?,
    })
}

/// Sizes of the recorded ones of these photos.
pub(crate) fn photo_sizes(pg: &mut Pg<'_>, names: &[String]) -> RepoResult<HashMap<String, u64>> {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    pg.query(
        "SELECT sha256, bytes FROM photos WHERE sha256 = ANY(?1)",
        &[&names],
    )?
    .iter()
    .map(|r| Ok((get(r, 0)?, get::<i64>(r, 1)? as u64)))
    .collect()
}

/// Fingerprints of these photos, in order, skipping unrecorded ones.
pub(crate) fn fingerprints(pg: &mut Pg<'_>, names: &[String]) -> RepoResult<Vec<Fingerprint>> {
    let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
    let found: HashMap<String, (Vec<u8>, Vec<u8>)> = pg
        .query(
            "SELECT sha256, phash, scene FROM photos WHERE sha256 = ANY(?1)",
            &[&wanted],
        )?
        .iter()
        .map(|r| Ok((get(r, 0)?, (get(r, 1)?, get(r, 2)?))))
        .collect::<RepoResult<_>>()?;
    // In the order asked, a name asked twice coming back twice (as SQLite's lookup per name).
    names
        .iter()
        .filter_map(|n| {
            found
                .get(n)
                .map(|(p, s)| fingerprint(n.clone(), p.clone(), s.clone()))
        })
        .collect()
}

/// Whether a photo belongs to a report or an entry inside the scope.
pub(crate) fn photo_in_scope(pg: &mut Pg<'_>, scope: &Scope, sha256: &str) -> RepoResult<bool> {
    let mut q = Q::new(
        "SELECT EXISTS (
             SELECT 1 FROM report_photos rp JOIN reports r ON r.id = rp.report_id
             LEFT JOIN ledger_entries le ON le.id = r.entry_id
             JOIN enterprises en ON en.code = COALESCE(le.enterprise, r.enterprise)
             WHERE rp.sha256 = ",
    );
    q.arg(sha256)
        .push(" AND ")
        .append(sql::scope(scope, &REPORT))
        .push(
            ") OR EXISTS (
             SELECT 1 FROM entry_photos ep JOIN ledger_entries le ON le.id = ep.entry_id
             JOIN enterprises en ON en.code = le.enterprise
             WHERE ep.sha256 = ",
        )
        .arg(sha256)
        .push(" AND ")
        .append(sql::scope(scope, &sql::ENTRY))
        .push(")");
    let rows = pg.query_q(&q)?;
    let row = rows
        .first()
        .ok_or_else(|| RepoError::Worker("SELECT EXISTS returned no row".into()))?;
    get(row, 0)
}

/// Records a verified photo.
pub(crate) fn insert_photo(pg: &mut Pg<'_>, p: &PhotoRecord, at: DateTime<Utc>) -> RepoResult<()> {
    let phash: &[u8] = &p.phash;
    pg.execute(
        "INSERT INTO photos (sha256, bytes, width, height, phash, scene, uploaded_at, uploaded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (sha256) DO NOTHING",
        &[
            &p.sha256,
            &(p.bytes as i64),
            &i64::from(p.width),
            &i64::from(p.height),
            &phash,
            &p.scene,
            &ts(at),
            &p.uploaded_by.map(|d| d.to_string()),
        ],
    )?;
    Ok(())
}

/// The photos a device uploaded at or after `since` (index `photos_uploaded_by`).
pub(crate) fn photo_uploads_since(
    pg: &mut Pg<'_>,
    device: Uuid,
    since: DateTime<Utc>,
) -> RepoResult<PhotoUploads> {
    let r = pg.query_one(
        "SELECT count(*), coalesce(sum(bytes), 0)::BIGINT, min(uploaded_at) FROM photos
         WHERE uploaded_by = ?1 AND uploaded_at >= ?2",
        &[&device.to_string(), &ts(since)],
    )?;
    let oldest: Option<String> = get(&r, 2)?;
    Ok(PhotoUploads {
        photos: get::<i64>(&r, 0)? as u64,
        bytes: get::<i64>(&r, 1)? as u64,
        oldest: oldest.as_deref().map(parse_ts).transpose()?,
    })
}

/// How a report was stored.
pub(crate) fn key(pg: &mut Pg<'_>, id: Uuid) -> RepoResult<Option<StoredReportKey>> {
    pg.query_opt(
        "SELECT device_id, content_sha256, entry_id, suggestion_id FROM reports WHERE id = ?1",
        &[&id.to_string()],
    )?
    .map(|r| {
        Ok(StoredReportKey {
            device_id: parse_uuid(get(&r, 0)?)?,
            content_sha256: get(&r, 1)?,
            entry_id: parse_uuid_opt(get(&r, 2)?)?,
            suggestion_id: parse_uuid_opt(get(&r, 3)?)?,
        })
    })
    .transpose()
}

const REPORT_COLUMNS: &str = "r.id, r.device_id, d.name, r.enterprise, r.submission, r.received_at, r.entry_id, r.suggestion_id";

/// The order SQLite's walk of `reports_entry` gives the reports of several entries: by entry,
/// then in the order they arrived (SQLite's rowid; here their reception time, then id).
const BY_ENTRY: &str = " ORDER BY r.entry_id, r.received_at, r.id";

/// How many entries one statement asks about (SQLite's chunk, kept for the same order).
const CHUNK: usize = 500;

fn report_row(r: &Row) -> RepoResult<ReportRow> {
    Ok(ReportRow {
        id: parse_uuid(get(r, 0)?)?,
        device_id: parse_uuid(get(r, 1)?)?,
        device_name: get(r, 2)?,
        enterprise: get(r, 3)?,
        submission: from_json(get(r, 4)?)?,
        received_at: parse_ts(get(r, 5)?)?,
        entry_id: parse_uuid_opt(get(r, 6)?)?,
        suggestion_id: parse_uuid_opt(get(r, 7)?)?,
    })
}

/// One report inside the scope.
pub(crate) fn report(pg: &mut Pg<'_>, scope: &Scope, id: Uuid) -> RepoResult<Option<ReportRow>> {
    let mut q = Q::new(format!(
        "SELECT {REPORT_COLUMNS} FROM reports r JOIN devices d ON d.id = r.device_id
         LEFT JOIN ledger_entries le ON le.id = r.entry_id
         JOIN enterprises en ON en.code = COALESCE(le.enterprise, r.enterprise)
         WHERE r.id = "
    ));
    q.arg(id).push(" AND ").append(sql::scope(scope, &REPORT));
    pg.query_q(&q)?.last().map(report_row).transpose()
}

/// The reports of these entries.
pub(crate) fn of_entries(pg: &mut Pg<'_>, entries: &[Uuid]) -> RepoResult<Vec<ReportRow>> {
    let mut out = Vec::new();
    for chunk in entries.chunks(CHUNK) {
        let ids: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
        let rows = pg.query(
            &format!(
                "SELECT {REPORT_COLUMNS} FROM reports r JOIN devices d ON d.id = r.device_id
                 WHERE r.entry_id = ANY(?1){BY_ENTRY}"
            ),
            &[&ids],
        )?;
        for r in &rows {
            out.push(report_row(r)?);
        }
    }
    Ok(out)
}

fn link_row(r: &Row) -> RepoResult<ReportLink> {
    Ok(ReportLink {
        id: parse_uuid(get(r, 0)?)?,
        entry_id: parse_uuid_opt(get(r, 1)?)?,
        device_id: parse_uuid(get(r, 2)?)?,
        device_name: get(r, 3)?,
        anonymous: flag(r, 4)?,
        captured_at: parse_ts(get(r, 5)?)?,
        received_at: parse_ts(get(r, 6)?)?,
    })
}

/// The light rows of the reports of these entries.
pub(crate) fn links(pg: &mut Pg<'_>, entries: &[Uuid]) -> RepoResult<Vec<ReportLink>> {
    let mut out = Vec::new();
    for chunk in entries.chunks(CHUNK) {
        let ids: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
        let rows = pg.query(
            &format!(
                "SELECT r.id, r.entry_id, r.device_id, d.name, r.anonymous, r.captured_at,
                        r.received_at
                 FROM reports r JOIN devices d ON d.id = r.device_id
                 WHERE r.entry_id = ANY(?1){BY_ENTRY}"
            ),
            &[&ids],
        )?;
        for r in &rows {
            out.push(link_row(r)?);
        }
    }
    Ok(out)
}

/// Which of these reports were revealed.
pub(crate) fn revealed(pg: &mut Pg<'_>, reports: &[Uuid]) -> RepoResult<HashSet<Uuid>> {
    let ids: Vec<String> = reports.iter().map(Uuid::to_string).collect();
    let found: HashSet<String> = pg
        .query(
            "SELECT DISTINCT report_id FROM reveal_audit WHERE report_id = ANY(?1)",
            &[&ids],
        )?
        .iter()
        .map(|r| get(r, 0))
        .collect::<RepoResult<_>>()?;
    Ok(reports
        .iter()
        .zip(&ids)
        .filter(|(_, s)| found.contains(*s))
        .map(|(id, _)| *id)
        .collect())
}

/// The recorded reveals of a report.
pub(crate) fn reveals(pg: &mut Pg<'_>, report: Uuid) -> RepoResult<Vec<RevealRecord>> {
    pg.query(
        "SELECT actor, reason, at FROM reveal_audit WHERE report_id = ?1 ORDER BY id",
        &[&report.to_string()],
    )?
    .iter()
    .map(|r| {
        Ok(RevealRecord {
            actor: get(r, 0)?,
            reason: get(r, 1)?,
            at: parse_ts(get(r, 2)?)?,
        })
    })
    .collect()
}

/// Distinct reporting devices, by enterprise or town.
pub(crate) fn count_reporters(
    pg: &mut Pg<'_>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    by_town: bool,
) -> RepoResult<Tally> {
    let sql = if by_town {
        REPORTERS_BY_TOWN
    } else {
        REPORTERS_BY_ENTERPRISE
    };
    tally(pg, sql, from, to)
}

/// Distinct phones that reported in a time range, per enterprise (from `reports_received`
/// alone).
const REPORTERS_BY_ENTERPRISE: &str = "SELECT enterprise, count(DISTINCT device_id) FROM reports
     WHERE received_at >= ?1 AND received_at < ?2
       AND device_id NOT IN (SELECT id FROM devices WHERE officer IS NOT NULL)
     GROUP BY enterprise";

/// The same per town.
const REPORTERS_BY_TOWN: &str = "SELECT en.town, count(DISTINCT r.device_id) FROM reports r
     JOIN enterprises en ON en.code = r.enterprise
     WHERE r.received_at >= ?1 AND r.received_at < ?2
       AND r.device_id NOT IN (SELECT id FROM devices WHERE officer IS NOT NULL)
     GROUP BY en.town";

/// A `(key, count)` statement over a time range as a tally.
fn tally(pg: &mut Pg<'_>, sql: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> RepoResult<Tally> {
    let mut out = Tally::new();
    for r in pg.query(sql, &[&ts(from), &ts(to)])? {
        out.insert(get(&r, 0)?, get::<i64>(&r, 1)? as u64);
    }
    Ok(out)
}

/// Stores a report and its photo links.
pub(crate) fn insert(pg: &mut Pg<'_>, r: &NewReport) -> RepoResult<()> {
    let s = &r.submission;
    let id = s.id.to_string();
    pg.execute(
        "INSERT INTO reports (id, device_id, enterprise, kind, category, severity, anonymous,
                              note, site_code, workshop, team, lat, lon, captured_at,
                              received_at, content_sha256, submission)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        &[
            &id,
            &r.device_id.to_string(),
            &r.enterprise,
            &s.kind.wire_name(),
            &s.category.wire_name(),
            &s.severity.wire_name(),
            &i64::from(s.anonymous),
            &s.note,
            &s.site_code,
            &s.workshop,
            &s.team,
            &s.location.map(|l| l.lat),
            &s.location.map(|l| l.lon),
            &ts(s.captured_at),
            &ts(r.received_at),
            &r.content_sha256,
            &json(s)?,
        ],
    )?;
    for (position, p) in s.photos.iter().enumerate() {
        pg.execute(
            "INSERT INTO report_photos (report_id, position, sha256) VALUES (?1, ?2, ?3)",
            &[&id, &(position as i64), &p.sha256],
        )?;
    }
    Ok(())
}

/// Sets a report's ledger enterprise and location cell.
pub(crate) fn set_place(
    pg: &mut Pg<'_>,
    report: Uuid,
    enterprise: &str,
    cell: Option<i64>,
) -> RepoResult<()> {
    pg.execute(
        "UPDATE reports SET enterprise = ?2, location_cell = ?3 WHERE id = ?1",
        &[&report.to_string(), &enterprise, &cell],
    )?;
    Ok(())
}

/// Files a report in an entry.
pub(crate) fn set_entry(pg: &mut Pg<'_>, report: Uuid, entry: Uuid) -> RepoResult<()> {
    pg.execute(
        "UPDATE reports SET entry_id = ?2 WHERE id = ?1",
        &[&report.to_string(), &entry.to_string()],
    )?;
    Ok(())
}

/// Files a report as a suggestion.
pub(crate) fn set_suggestion(pg: &mut Pg<'_>, report: Uuid, suggestion: Uuid) -> RepoResult<()> {
    pg.execute(
        "UPDATE reports SET suggestion_id = ?2 WHERE id = ?1",
        &[&report.to_string(), &suggestion.to_string()],
    )?;
    Ok(())
}

/// Moves every report of an entry to another.
pub(crate) fn move_all(pg: &mut Pg<'_>, from: Uuid, to: Uuid) -> RepoResult<usize> {
    let n = pg.execute(
        "UPDATE reports SET entry_id = ?2 WHERE entry_id = ?1",
        &[&from.to_string(), &to.to_string()],
    )?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// A device's feed events after a cursor (the caller flushed this transaction's own first).
pub(crate) fn feed(
    pg: &mut Pg<'_>,
    device: Uuid,
    after: i64,
    limit: usize,
) -> RepoResult<Vec<(i64, FeedEvent)>> {
    pg.query(
        "SELECT id, report_id, status, entry_id, entry_number, merged_into, reason, at,
                suggestion
         FROM report_events WHERE device_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        &[&device.to_string(), &after, &sql::int(limit as u64)],
    )?
    .iter()
    .map(|r| {
        let entry: Option<String> = get(r, 3)?;
        let number: Option<String> = get(r, 4)?;
        let suggestion: Option<String> = get(r, 8)?;
        Ok((
            get(r, 0)?,
            FeedEvent {
                report_id: parse_uuid(get(r, 1)?)?,
                device_id: device,
                status: parse_wire(get(r, 2)?)?,
                entry_id: parse_uuid(entry.as_deref().unwrap_or_default())?,
                entry_number: number.unwrap_or_default(),
                merged_into: get(r, 5)?,
                reason: get(r, 6)?,
                suggestion: suggestion.as_deref().map(parse_wire).transpose()?,
                at: parse_ts(get(r, 7)?)?,
            },
        ))
    })
    .collect()
}

const SUGGESTION_COLUMNS: &str = "s.id, s.number, s.enterprise, s.year, s.seq, s.status,
    s.created_at, s.updated_at, s.adopted_at, s.adopted_by, s.adopted_note, s.review, s.reply";

fn suggestion_row(r: &Row) -> RepoResult<SuggestionRow> {
    Ok(SuggestionRow {
        id: parse_uuid(get(r, 0)?)?,
        number: get(r, 1)?,
        enterprise: get(r, 2)?,
        year: narrow(r, 3, "suggestion year")?,
        seq: get(r, 4)?,
        status: parse_wire(get(r, 5)?)?,
        created_at: parse_ts(get(r, 6)?)?,
        updated_at: parse_ts(get(r, 7)?)?,
        adopted_at: parse_ts_opt(get(r, 8)?)?,
        adopted_by: get(r, 9)?,
        adopted_note: get(r, 10)?,
        review: parse_wire(get(r, 11)?)?,
        reply: get(r, 12)?,
    })
}

/// A suggestion inside the scope.
pub(crate) fn suggestion(
    pg: &mut Pg<'_>,
    scope: &Scope,
    id: Uuid,
) -> RepoResult<Option<SuggestionRow>> {
    let mut q = Q::new(format!(
        "SELECT {SUGGESTION_COLUMNS} FROM suggestions s
         JOIN enterprises en ON en.code = s.enterprise WHERE s.id = "
    ));
    q.arg(id)
        .push(" AND ")
        .append(sql::scope(scope, &SUGGESTION));
    pg.query_q(&q)?.first().map(suggestion_row).transpose()
}

/// Suggestions with their reports.
pub(crate) fn suggestions(
    pg: &mut Pg<'_>,
    query: &SuggestionQuery,
) -> RepoResult<Vec<SuggestionRecord>> {
    let mut q = Q::new(format!(
        "SELECT {SUGGESTION_COLUMNS}, r.id, r.entry_id, r.device_id, d.name, r.anonymous,
                r.captured_at, r.received_at, r.note, r.category
         FROM suggestions s JOIN enterprises en ON en.code = s.enterprise
         JOIN reports r ON r.suggestion_id = s.id JOIN devices d ON d.id = r.device_id
         WHERE "
    ));
    q.append(sql::scope(&query.scope, &SUGGESTION));
    if let Some(id) = query.id {
        q.push(" AND s.id = ").arg(id);
    }
    match query.adopted_in {
        Some((from, to)) => {
            q.push(" AND s.adopted_at >= ")
                .arg(ts(from))
                .push(" AND s.adopted_at < ")
                .arg(ts(to))
                .push(" ORDER BY s.adopted_at, s.number");
        }
        None => {
            q.push(" ORDER BY s.created_at DESC, s.number DESC");
        }
    }
    q.push(" LIMIT ").arg(sql::int(query.limit));
    pg.query_q(&q)?
        .iter()
        .map(|r| {
            Ok(SuggestionRecord {
                suggestion: suggestion_row(r)?,
                report: ReportLink {
                    id: parse_uuid(get(r, 13)?)?,
                    entry_id: parse_uuid_opt(get(r, 14)?)?,
                    device_id: parse_uuid(get(r, 15)?)?,
                    device_name: get(r, 16)?,
                    anonymous: flag(r, 17)?,
                    captured_at: parse_ts(get(r, 18)?)?,
                    received_at: parse_ts(get(r, 19)?)?,
                },
                note: get(r, 20)?,
                category: parse_wire(get(r, 21)?)?,
            })
        })
        .collect()
}

/// Suggestions received in a period, by enterprise.
pub(crate) fn count_suggestions(
    pg: &mut Pg<'_>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> RepoResult<Tally> {
    tally(
        pg,
        "SELECT enterprise, count(*) FROM suggestions
         WHERE created_at >= ?1 AND created_at < ?2 GROUP BY enterprise",
        from,
        to,
    )
}

/// Stores a new suggestion.
pub(crate) fn insert_suggestion(pg: &mut Pg<'_>, s: &SuggestionRow) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO suggestions (id, number, enterprise, year, seq, status, created_at,
                                  updated_at, adopted_at, adopted_by, adopted_note, review,
                                  reply)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        &[
            &s.id.to_string(),
            &s.number,
            &s.enterprise,
            &i64::from(s.year),
            &s.seq,
            &s.status.wire_name(),
            &ts(s.created_at),
            &ts(s.updated_at),
            &s.adopted_at.map(ts),
            &s.adopted_by,
            &s.adopted_note,
            &s.review.wire_name(),
            &s.reply,
        ],
    )?;
    Ok(())
}

/// Saves a suggestion's changeable columns.
pub(crate) fn update_suggestion(pg: &mut Pg<'_>, s: &SuggestionRow) -> RepoResult<()> {
    pg.execute(
        "UPDATE suggestions SET status = ?2, updated_at = ?3, adopted_at = ?4, adopted_by = ?5,
                adopted_note = ?6, review = ?7, reply = ?8 WHERE id = ?1",
        &[
            &s.id.to_string(),
            &s.status.wire_name(),
            &ts(s.updated_at),
            &s.adopted_at.map(ts),
            &s.adopted_by,
            &s.adopted_note,
            &s.review.wire_name(),
            &s.reply,
        ],
    )?;
    Ok(())
}

/// Records a reveal.
pub(crate) fn append_reveal(
    pg: &mut Pg<'_>,
    report: Uuid,
    actor: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO reveal_audit (report_id, actor, reason, at) VALUES (?1, ?2, ?3, ?4)",
        &[&report.to_string(), &actor, &reason, &ts(at)],
    )?;
    Ok(())
}

/// Records a draw.
pub(crate) fn insert_draw(pg: &mut Pg<'_>, d: &DrawRecord) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO supervision_draws (id, seed, n, town, actor, at, candidates, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            &d.id.to_string(),
            &d.seed,
            &i64::from(d.n),
            &d.town,
            &d.actor,
            &ts(d.at),
            &json(&d.candidates)?,
            &json(&d.result)?,
        ],
    )?;
    Ok(())
}

const DRAW_COLUMNS: &str = "id, seed, n, town, actor, at, candidates, result";

fn draw_record(r: &Row) -> RepoResult<DrawRecord> {
    Ok(DrawRecord {
        id: parse_uuid(get(r, 0)?)?,
        seed: get(r, 1)?,
        n: narrow(r, 2, "draw size")?,
        town: get(r, 3)?,
        actor: get(r, 4)?,
        at: parse_ts(get(r, 5)?)?,
        candidates: from_json(get(r, 6)?)?,
        result: from_json(get(r, 7)?)?,
    })
}

/// A recorded draw.
pub(crate) fn draw(pg: &mut Pg<'_>, id: Uuid) -> RepoResult<Option<DrawRecord>> {
    pg.query_opt(
        &format!("SELECT {DRAW_COLUMNS} FROM supervision_draws WHERE id = ?1"),
        &[&id.to_string()],
    )?
    .as_ref()
    .map(draw_record)
    .transpose()
}

/// Recorded draws, newest first.
pub(crate) fn draws(
    pg: &mut Pg<'_>,
    town: Option<&str>,
    limit: u64,
) -> RepoResult<Vec<DrawRecord>> {
    pg.query(
        &format!(
            "SELECT {DRAW_COLUMNS} FROM supervision_draws
             WHERE ?1::TEXT IS NULL OR town = ?1 ORDER BY at DESC, id DESC LIMIT ?2"
        ),
        &[&town, &sql::int(limit)],
    )?
    .iter()
    .map(draw_record)
    .collect()
}

/// Inserts one change-feed event (called at commit by `Pg::flush`, under the device's lock):
/// its id is drawn from the identity column then, so a device's ids follow commit order.
pub(crate) fn insert_feed(pg: &mut Pg<'_>, e: &FeedEvent) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO report_events
             (report_id, device_id, status, entry_id, entry_number, merged_into, reason, at,
              suggestion)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            &e.report_id.to_string(),
            &e.device_id.to_string(),
            &e.status.wire_name(),
            &e.entry_id.to_string(),
            &e.entry_number,
            &e.merged_into,
            &e.reason,
            &ts(e.at),
            &e.suggestion.map(|s| s.wire_name()),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The same script of reports, photos, suggestions, reveals, draws and feed events on both
    //! backends: every answer must agree, orders and tie-breaks included, with what the
    //! conformance suite does not reach (a name or id asked twice, several reports of one
    //! entry, ties in the newest-first lists, the feed read across a transaction's own events).

    use std::sync::Arc;

    use chrono::TimeZone;
    use hazardsnap_ledger::Repository;
    use hazardsnap_ledger::repo::rows::{
        DeviceRow, DrawCandidateView, EnterpriseRow, EntryRow, TownRow,
    };
    use hazardsnap_ledger::repo::{ReadTx, WriteTx};
    use hazardsnap_model::{
        AtRisk, Category, CheckSource, Industry, LedgerStatus, Location, PhotoRef, ReportKind,
        ReportSubmission, Severity, SuggestionStatus,
    };

    use super::*;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn photo(seed: u8, by: Option<Uuid>) -> PhotoRecord {
        PhotoRecord {
            sha256: hex::encode([seed; 32]),
            bytes: 1000 + u64::from(seed),
            width: 640,
            height: 480,
            phash: [seed.wrapping_mul(37); 32],
            scene: SceneSignature::default().to_bytes(),
            uploaded_by: by,
        }
    }

    fn submission(n: u128, kind: ReportKind, photos: &[&PhotoRecord]) -> ReportSubmission {
        ReportSubmission {
            id: id(n),
            kind,
            category: Category::EquipmentGuarding,
            severity: Severity::General,
            at_risk: vec![AtRisk::Oneself],
            source: CheckSource::WorkerCheck,
            note: format!("上报{n:x}"),
            captured_at: t(4, 0),
            photos: photos
                .iter()
                .map(|p| PhotoRef {
                    sha256: p.sha256.clone(),
                    bytes: p.bytes,
                    width: p.width,
                    height: p.height,
                    phash: None,
                })
                .collect(),
            location: n.is_multiple_of(2).then_some(Location {
                lat: 36.8,
                lon: 117.87,
                accuracy_m: None,
            }),
            site_code: None,
            workshop: None,
            team: None,
            anonymous: n.is_multiple_of(3),
        }
    }

    fn entry(n: u128, seq: i64, escalated: bool) -> EntryRow {
        EntryRow {
            id: id(n),
            number: format!("E001-2026-{seq:04}"),
            enterprise: "E001".into(),
            year: 2026,
            seq,
            status: LedgerStatus::PendingReview,
            severity: Severity::General,
            category: Category::Ppe,
            escalated,
            extension_pending: false,
            requested_deadline: None,
            plan: None,
            deadline: None,
            rectified_note: None,
            merged_into: None,
            possible_duplicate_of: None,
            dedup_decision: None,
            closed_at: None,
            created_at: t(5, 0),
            updated_at: t(5, 0),
            supervision: None,
        }
    }

    fn suggestion_row(n: u128, seq: i64) -> SuggestionRow {
        SuggestionRow {
            id: id(n),
            number: format!("E001-2026-S{seq:04}"),
            enterprise: "E001".into(),
            year: 2026,
            seq,
            status: LedgerStatus::PendingReview,
            created_at: t(6, 0),
            updated_at: t(6, 0),
            adopted_at: None,
            adopted_by: None,
            adopted_note: None,
            review: SuggestionStatus::Received,
            reply: None,
        }
    }

    fn draw_record(n: u128, town: Option<&str>, at: DateTime<Utc>) -> DrawRecord {
        DrawRecord {
            id: id(n),
            seed: format!("{}", u64::MAX - n as u64),
            n: 2,
            town: town.map(str::to_owned),
            actor: "town".into(),
            at,
            candidates: vec![DrawCandidateView {
                code: "E001".into(),
                industry: Industry::Other,
                private_sme: true,
                weight: 3,
            }],
            result: vec!["E001".into()],
        }
    }

    fn feed_event(report: u128, device: u128, n: u32) -> FeedEvent {
        FeedEvent {
            report_id: id(report),
            device_id: id(device),
            status: LedgerStatus::Rectifying,
            entry_id: id(0xe2),
            entry_number: "E001-2026-0002".into(),
            merged_into: (n == 2).then(|| "E001-2026-0001".to_owned()),
            reason: (n != 1).then(|| format!("第{n}步")),
            suggestion: (n == 3).then_some(SuggestionStatus::UnderReview),
            at: t(7, n),
        }
    }

    fn organisation(tx: &mut dyn WriteTx) -> RepoResult<()> {
        for town in ["T01", "T02"] {
            tx.upsert_town(&TownRow {
                code: town.into(),
                name: format!("镇{town}"),
            })?;
        }
        for (code, town) in [("E001", "T01"), ("E002", "T02")] {
            tx.upsert_enterprise(&EnterpriseRow {
                code: code.into(),
                name: format!("企业{code}"),
                town: town.into(),
                industry: Industry::Other,
                private_sme: false,
                active: true,
            })?;
            tx.upsert_enrollment_code(&format!("{code}-JOIN"), code)?;
        }
        for (n, officer) in [(0xd1, None), (0xd2, Some("li.si")), (0xd3, None)] {
            tx.insert_device(&DeviceRow {
                id: id(n),
                token_sha256: [n as u8; 32],
                enterprise: "E001".into(),
                name: format!("手机{n:x}"),
                enrollment_code: "E001-JOIN".into(),
                enrolled_at: t(1, 0),
                revoked_at: None,
                worker: None,
                officer: officer.map(str::to_owned),
            })?;
        }
        Ok(())
    }

    /// Reports filed in two entries, in the order they arrived.
    fn reports(tx: &mut dyn WriteTx) -> RepoResult<()> {
        let (p1, p2) = (photo(1, Some(id(0xd1))), photo(2, None));
        tx.insert_photo(&p1, t(2, 0))?;
        tx.insert_photo(&p2, t(2, 5))?;
        tx.insert_photo(&photo(3, Some(id(0xd1))), t(3, 0))?;
        tx.insert_entry(&entry(0xe1, 1, false))?;
        tx.insert_entry(&entry(0xe2, 2, true))?;
        // (report, device, received, entry): ids not in arrival order.
        for (n, device, hour, e) in [
            (0xa3, 0xd1, 1, 0xe2),
            (0xa1, 0xd2, 2, 0xe1),
            (0xa2, 0xd1, 3, 0xe2),
            (0xa0, 0xd3, 4, 0xe2),
        ] {
            let photos: &[&PhotoRecord] = if n == 0xa0 { &[&p2, &p1] } else { &[&p1] };
            tx.insert_report(&NewReport {
                submission: submission(n, ReportKind::Hazard, photos),
                device_id: id(device),
                enterprise: if n == 0xa1 { "E002" } else { "E001" }.into(),
                received_at: t(5, hour),
                content_sha256: format!("c{n:x}"),
            })?;
            tx.set_report_place(id(n), "E001", (n == 0xa2).then_some(77))?;
            tx.set_report_entry(id(n), id(e))?;
        }
        Ok(())
    }

    fn sorted<T: std::fmt::Debug>(v: impl IntoIterator<Item = T>) -> Vec<String> {
        let mut v: Vec<String> = v.into_iter().map(|x| format!("{x:?}")).collect();
        v.sort();
        v
    }

    fn reads(tx: &mut dyn ReadTx, out: &mut Vec<String>) -> RepoResult<()> {
        let names = |s: &[u8]| -> Vec<String> { s.iter().map(|b| hex::encode([*b; 32])).collect() };
        out.push(format!(
            "{:?}",
            sorted(tx.photo_sizes(&names(&[2, 9, 1, 2]))?)
        ));
        let prints = tx.photo_fingerprints(&names(&[2, 9, 1, 2, 3]))?;
        out.push(format!(
            "{:?}",
            prints.iter().map(|f| f.sha256[0]).collect::<Vec<_>>()
        ));
        for scope in [
            Scope::All,
            Scope::Town("T01".into()),
            Scope::Town("T02".into()),
            Scope::Enterprise("E002".into()),
            Scope::Escalated,
        ] {
            let p = [1u8, 2, 3]
                .map(|s| tx.photo_in_scope(&scope, &hex::encode([s; 32])))
                .into_iter()
                .collect::<RepoResult<Vec<_>>>()?;
            out.push(format!("{scope:?} {p:?}"));
            out.push(format!("{:?}", tx.report(&scope, id(0xa1))?));
        }
        out.push(format!("{:?}", tx.photo_uploads_since(id(0xd1), t(2, 0))?));
        out.push(format!("{:?}", tx.photo_uploads_since(id(0xd1), t(2, 1))?));
        out.push(format!("{:?}", tx.photo_uploads_since(id(0xd2), t(1, 0))?));
        for r in [0xa0, 0xa2, 0x99] {
            out.push(format!("{:?}", tx.report_key(id(r))?));
        }
        let entries = [id(0xe2), id(0xe1), id(0xe2), id(0xee)];
        out.push(format!("{:?}", tx.report_links(&entries)?));
        out.push(format!("{:?}", tx.reports_of_entries(&entries)?));
        out.push(format!("{:?}", tx.report_links(&[])?));
        out.push(format!(
            "{:?}",
            sorted(tx.revealed(&[id(0xa3), id(0xa3), id(0xa0), id(0x99)])?)
        ));
        out.push(format!("{:?}", tx.reveals(id(0xa3))?));
        for by_town in [false, true] {
            out.push(format!(
                "{:?}",
                sorted(tx.count_reporters((t(5, 0), t(5, 4)), by_town)?)
            ));
        }
        for limit in [0, 1, 10] {
            out.push(format!(
                "{:?}",
                tx.suggestions(&SuggestionQuery {
                    scope: Scope::Enterprise("E001".into()),
                    id: None,
                    adopted_in: None,
                    limit,
                })?
            ));
        }
        out.push(format!(
            "{:?}",
            tx.suggestions(&SuggestionQuery {
                scope: Scope::Town("T01".into()),
                id: None,
                adopted_in: Some((t(8, 0), t(9, 0))),
                limit: 10,
            })?
        ));
        out.push(format!(
            "{:?}",
            tx.suggestion_in(&Scope::Town("T02".into()), id(0x51))?
        ));
        out.push(format!(
            "{:?}",
            sorted(tx.count_suggestions((t(6, 0), t(6, 1)))?)
        ));
        out.push(format!("{:?}", tx.draws(None, 2)?));
        out.push(format!("{:?}", tx.draws(None, 10)?));
        out.push(format!("{:?}", tx.draws(Some("T01"), 10)?));
        out.push(format!("{:?}", tx.draw(id(0xf2))?));
        for (device, after, limit) in [(0xd1, 0, 100), (0xd1, 0, 2), (0xd1, 2, 1), (0xd2, 0, 9)] {
            out.push(format!("{:?}", tx.feed_events(id(device), after, limit)?));
        }
        Ok(())
    }

    async fn script(repo: Arc<dyn Repository>) -> Vec<String> {
        let mut out = repo
            .write(|tx| {
                organisation(tx)?;
                reports(tx)?;
                let mut out = Vec::new();
                // The transaction's own feed events are read back before commit.
                tx.append_feed(&feed_event(0xa3, 0xd1, 1))?;
                tx.append_feed(&feed_event(0xa1, 0xd2, 2))?;
                out.push(format!("{:?}", tx.feed_events(id(0xd1), 0, 10)?));
                tx.append_feed(&feed_event(0xa2, 0xd1, 2))?;
                tx.append_feed(&feed_event(0xa3, 0xd1, 3))?;
                for s in [0x51, 0x52] {
                    let n = submission(s, ReportKind::Suggestion, &[]);
                    tx.insert_report(&NewReport {
                        submission: n,
                        device_id: id(0xd1),
                        enterprise: "E001".into(),
                        received_at: t(6, 0),
                        content_sha256: "s".into(),
                    })?;
                    tx.insert_suggestion(&suggestion_row(s, s as i64 - 0x50))?;
                    tx.set_report_suggestion(id(s), id(s))?;
                }
                let mut adopted = suggestion_row(0x52, 2);
                adopted.adopted_at = Some(t(8, 0));
                adopted.adopted_by = Some("district".into());
                adopted.review = SuggestionStatus::Adopted;
                adopted.reply = Some("采纳".into());
                tx.update_suggestion(&adopted)?;
                tx.append_reveal(id(0xa3), "district", "奖励", t(9, 0))?;
                tx.append_reveal(id(0xa3), "town", "核实", t(8, 0))?;
                tx.insert_draw(&draw_record(0xf1, None, t(9, 0)))?;
                tx.insert_draw(&draw_record(0xf3, Some("T01"), t(8, 0)))?;
                tx.insert_draw(&draw_record(0xf2, Some("T02"), t(9, 0)))?;
                Ok(out)
            })
            .await
            .expect("script");
        out.extend(
            repo.read(|tx| {
                let mut out = Vec::new();
                reads(tx, &mut out)?;
                Ok(out)
            })
            .await
            .expect("reads"),
        );
        let moved = repo
            .write(|tx| {
                Ok([
                    tx.move_reports(id(0xe2), id(0xe1))?,
                    tx.move_reports(id(0xe2), id(0xe1))?,
                ])
            })
            .await
            .expect("move");
        out.push(format!("{moved:?}"));
        out.extend(
            repo.read(|tx| {
                Ok(vec![
                    format!("{:?}", tx.report_links(&[id(0xe1), id(0xe2)])?),
                    format!("{:?}", tx.reports_of_entries(&[id(0xe1)])?),
                ])
            })
            .await
            .expect("moved reads"),
        );
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reports_answer_as_on_sqlite() {
        let Some(server) = crate::postgres::testing::server_url() else {
            return;
        };
        let dir = hazardsnap_ledger::conformance::TempDir::new();
        let sqlite = crate::sqlite::SqliteRepository::open(dir.path().join("r.sqlite3"))
            .expect("open SQLite");
        let pg = crate::postgres::testing::fresh_repository(&server).await;
        let expected = script(Arc::new(sqlite)).await;
        let got = script(Arc::new(pg)).await;
        assert_eq!(expected.len(), got.len());
        for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
            assert_eq!(e, g, "answer {i} differs");
        }
    }
}
