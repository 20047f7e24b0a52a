//! Reports, photos, suggestions, the devices' change feed, reveals and draws on SQLite: rows
//! in and out, reads cut to a scope through [`sql::scope`].

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
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use uuid::Uuid;

use super::sql::{self, Q, REPORT, SUGGESTION};
use super::{
    db, from_json, json, parse_ts, parse_ts_opt, parse_uuid, parse_uuid_opt, parse_wire, ts,
};

/// `?,?,…` for `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n.max(1)].join(",")
}

/// Decodes stored photo fingerprint columns (sha256 hex, phash, scene bytes).
pub(super) fn fingerprint(sha: String, phash: Vec<u8>, scene: Vec<u8>) -> RepoResult<Fingerprint> {
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
pub(super) fn photo_sizes(c: &Connection, names: &[String]) -> RepoResult<HashMap<String, u64>> {
    let mut stmt = c
        .prepare_cached("SELECT bytes FROM photos WHERE sha256 = ?1")
        .map_err(db)?;
    let mut out = HashMap::new();
    for n in names {
        if let Some(b) = stmt
            .query_row([n], |r| r.get::<_, i64>(0))
            .optional()
            .map_err(db)?
        {
            out.insert(n.clone(), b as u64);
        }
    }
    Ok(out)
}

/// Fingerprints of these photos, in order, skipping unrecorded ones.
pub(super) fn fingerprints(c: &Connection, names: &[String]) -> RepoResult<Vec<Fingerprint>> {
    let mut stmt = c
        .prepare_cached("SELECT sha256, phash, scene FROM photos WHERE sha256 = ?1")
        .map_err(db)?;
    let mut out = Vec::new();
    for n in names {
        if let Some((sha, phash, scene)) = stmt
            .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(db)?
        {
            out.push(fingerprint(sha, phash, scene)?);
        }
    }
    Ok(out)
}

/// Whether a photo belongs to a report or an entry inside the scope.
pub(super) fn photo_in_scope(c: &Connection, scope: &Scope, sha256: &str) -> RepoResult<bool> {
    let mut q = Q::new(
        "SELECT EXISTS (
             SELECT 1 FROM report_photos rp JOIN reports r ON r.id = rp.report_id
             LEFT JOIN ledger_entries le ON le.id = r.entry_id
             JOIN enterprises en ON en.code = COALESCE(le.enterprise, r.enterprise)
             WHERE rp.sha256 = ",
    );
    q.arg(sha256.to_owned())
        .push(" AND ")
        .append(sql::scope(scope, &REPORT))
        .push(
            ") OR EXISTS (
             SELECT 1 FROM entry_photos ep JOIN ledger_entries le ON le.id = ep.entry_id
             JOIN enterprises en ON en.code = le.enterprise
             WHERE ep.sha256 = ",
        )
        .arg(sha256.to_owned())
        .push(" AND ")
        .append(sql::scope(scope, &sql::ENTRY))
        .push(")");
    c.prepare_cached(&q.sql)
        .map_err(db)?
        .query_row(params_from_iter(q.args.iter()), |r| r.get(0))
        .map_err(db)
}

/// Records a verified photo.
pub(super) fn insert_photo(c: &Connection, p: &PhotoRecord, at: DateTime<Utc>) -> RepoResult<()> {
    c.prepare_cached(
        "INSERT INTO photos (sha256, bytes, width, height, phash, scene, uploaded_at, uploaded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (sha256) DO NOTHING",
    )
    .map_err(db)?
    .execute(params![
        p.sha256,
        p.bytes as i64,
        p.width,
        p.height,
        &p.phash[..],
        p.scene,
        ts(at),
        p.uploaded_by.map(|d| d.to_string()),
    ])
    .map_err(db)?;
    Ok(())
}

/// The photos a device uploaded at or after `since` (index `photos_uploaded_by`).
pub(super) fn photo_uploads_since(
    c: &Connection,
    device: Uuid,
    since: DateTime<Utc>,
) -> RepoResult<PhotoUploads> {
    let (photos, bytes, oldest): (i64, i64, Option<String>) = c
        .prepare_cached(
            "SELECT count(*), coalesce(sum(bytes), 0), min(uploaded_at) FROM photos
             WHERE uploaded_by = ?1 AND uploaded_at >= ?2",
        )
        .map_err(db)?
        .query_row(params![device.to_string(), ts(since)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(db)?;
    Ok(PhotoUploads {
        photos: photos as u64,
        bytes: bytes as u64,
        oldest: oldest.as_deref().map(parse_ts).transpose()?,
    })
}

/// How a report was stored.
pub(super) fn key(c: &Connection, id: Uuid) -> RepoResult<Option<StoredReportKey>> {
    let row: Option<(String, String, Option<String>, Option<String>)> = c
        .prepare_cached(
            "SELECT device_id, content_sha256, entry_id, suggestion_id FROM reports WHERE id = ?1",
        )
        .map_err(db)?
        .query_row([id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()
        .map_err(db)?;
    row.map(|(device, content, entry, suggestion)| {
        Ok(StoredReportKey {
            device_id: parse_uuid(&device)?,
            content_sha256: content,
            entry_id: parse_uuid_opt(entry)?,
            suggestion_id: parse_uuid_opt(suggestion)?,
        })
    })
    .transpose()
}

const REPORT_COLUMNS: &str = "r.id, r.device_id, d.name, r.enterprise, r.submission, r.received_at, r.entry_id, r.suggestion_id";

fn report_row(r: &rusqlite::Row<'_>) -> RepoResult<ReportRow> {
    let text = |i: usize| -> RepoResult<String> { r.get(i).map_err(db) };
    let opt = |i: usize| -> RepoResult<Option<String>> { r.get(i).map_err(db) };
    Ok(ReportRow {
        id: parse_uuid(&text(0)?)?,
        device_id: parse_uuid(&text(1)?)?,
        device_name: text(2)?,
        enterprise: text(3)?,
        submission: from_json(&text(4)?)?,
        received_at: parse_ts(&text(5)?)?,
        entry_id: parse_uuid_opt(opt(6)?)?,
        suggestion_id: parse_uuid_opt(opt(7)?)?,
    })
}

fn report_rows(c: &Connection, q: &Q) -> RepoResult<Vec<ReportRow>> {
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let mut rows = stmt.query(params_from_iter(q.args.iter())).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        out.push(report_row(r)?);
    }
    Ok(out)
}

/// One report inside the scope.
pub(super) fn report(c: &Connection, scope: &Scope, id: Uuid) -> RepoResult<Option<ReportRow>> {
    let mut q = Q::new(format!(
        "SELECT {REPORT_COLUMNS} FROM reports r JOIN devices d ON d.id = r.device_id
         LEFT JOIN ledger_entries le ON le.id = r.entry_id
         JOIN enterprises en ON en.code = COALESCE(le.enterprise, r.enterprise)
         WHERE r.id = "
    ));
    q.arg(id.to_string())
        .push(" AND ")
        .append(sql::scope(scope, &REPORT));
    Ok(report_rows(c, &q)?.pop())
}

/// The reports of these entries.
pub(super) fn of_entries(c: &Connection, entries: &[Uuid]) -> RepoResult<Vec<ReportRow>> {
    let mut out = Vec::new();
    for chunk in entries.chunks(500) {
        let mut q = Q::new(format!(
            "SELECT {REPORT_COLUMNS} FROM reports r JOIN devices d ON d.id = r.device_id
             WHERE r.entry_id IN "
        ));
        q.list(chunk.iter().map(Uuid::to_string));
        out.extend(report_rows(c, &q)?);
    }
    Ok(out)
}

fn link_row(r: &rusqlite::Row<'_>) -> RepoResult<ReportLink> {
    let text = |i: usize| -> RepoResult<String> { r.get(i).map_err(db) };
    Ok(ReportLink {
        id: parse_uuid(&text(0)?)?,
        entry_id: parse_uuid_opt(r.get(1).map_err(db)?)?,
        device_id: parse_uuid(&text(2)?)?,
        device_name: text(3)?,
        anonymous: r.get(4).map_err(db)?,
        captured_at: parse_ts(&text(5)?)?,
        received_at: parse_ts(&text(6)?)?,
    })
}

/// The light rows of the reports of these entries.
pub(super) fn links(c: &Connection, entries: &[Uuid]) -> RepoResult<Vec<ReportLink>> {
    let mut out = Vec::new();
    for chunk in entries.chunks(500) {
        let sql = format!(
            "SELECT r.id, r.entry_id, r.device_id, d.name, r.anonymous, r.captured_at,
                    r.received_at
             FROM reports r JOIN devices d ON d.id = r.device_id
             WHERE r.entry_id IN ({})",
            marks(chunk.len())
        );
        let mut stmt = c.prepare_cached(&sql).map_err(db)?;
        let mut rows = stmt
            .query(params_from_iter(chunk.iter().map(Uuid::to_string)))
            .map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            out.push(link_row(r)?);
        }
    }
    Ok(out)
}

/// Which of these reports were revealed.
pub(super) fn revealed(c: &Connection, reports: &[Uuid]) -> RepoResult<HashSet<Uuid>> {
    let mut stmt = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM reveal_audit WHERE report_id = ?1)")
        .map_err(db)?;
    let mut out = HashSet::new();
    for id in reports {
        if stmt
            .query_row([id.to_string()], |r| r.get::<_, bool>(0))
            .map_err(db)?
        {
            out.insert(*id);
        }
    }
    Ok(out)
}

/// The recorded reveals of a report.
pub(super) fn reveals(c: &Connection, report: Uuid) -> RepoResult<Vec<RevealRecord>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT actor, reason, at FROM reveal_audit WHERE report_id = ?1 ORDER BY id",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([report.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (actor, reason, at) = row.map_err(db)?;
        out.push(RevealRecord {
            actor,
            reason,
            at: parse_ts(&at)?,
        });
    }
    Ok(out)
}

/// Distinct reporting devices, by enterprise or town.
pub(super) fn count_reporters(
    c: &Connection,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    by_town: bool,
) -> RepoResult<Tally> {
    let sql = if by_town {
        REPORTERS_BY_TOWN
    } else {
        REPORTERS_BY_ENTERPRISE
    };
    tally(c, sql, params![ts(from), ts(to)])
}

/// Distinct phones that reported in a time range, per enterprise (from `reports_received`
/// alone).
pub(super) const REPORTERS_BY_ENTERPRISE: &str =
    "SELECT enterprise, count(DISTINCT device_id) FROM reports
     WHERE received_at >= ?1 AND received_at < ?2
       AND device_id NOT IN (SELECT id FROM devices WHERE officer IS NOT NULL)
     GROUP BY enterprise";

/// The same per town.
pub(super) const REPORTERS_BY_TOWN: &str =
    "SELECT en.town, count(DISTINCT r.device_id) FROM reports r
     JOIN enterprises en ON en.code = r.enterprise
     WHERE r.received_at >= ?1 AND r.received_at < ?2
       AND r.device_id NOT IN (SELECT id FROM devices WHERE officer IS NOT NULL)
     GROUP BY en.town";

fn tally(c: &Connection, sql: &str, p: impl rusqlite::Params) -> RepoResult<Tally> {
    let mut stmt = c.prepare_cached(sql).map_err(db)?;
    let rows = stmt
        .query_map(p, |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(db)?;
    let mut out = Tally::new();
    for row in rows {
        let (k, n) = row.map_err(db)?;
        out.insert(k, n as u64);
    }
    Ok(out)
}

/// Stores a report and its photo links.
pub(super) fn insert(c: &Connection, r: &NewReport) -> RepoResult<()> {
    let s = &r.submission;
    let id = s.id.to_string();
    c.prepare_cached(
        "INSERT INTO reports (id, device_id, enterprise, kind, category, severity, anonymous,
                              note, site_code, workshop, team, lat, lon, captured_at,
                              received_at, content_sha256, submission)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )
    .map_err(db)?
    .execute(params![
        id,
        r.device_id.to_string(),
        r.enterprise,
        s.kind.wire_name(),
        s.category.wire_name(),
        s.severity.wire_name(),
        s.anonymous,
        s.note,
        s.site_code,
        s.workshop,
        s.team,
        s.location.map(|l| l.lat),
        s.location.map(|l| l.lon),
        ts(s.captured_at),
        ts(r.received_at),
        r.content_sha256,
        json(s)?,
    ])
    .map_err(db)?;
    let mut link = c
        .prepare_cached(
            "INSERT INTO report_photos (report_id, position, sha256) VALUES (?1, ?2, ?3)",
        )
        .map_err(db)?;
    for (position, p) in s.photos.iter().enumerate() {
        link.execute(params![id, position as i64, p.sha256])
            .map_err(db)?;
    }
    Ok(())
}

/// Runs a one-statement update.
fn exec(c: &Connection, sql: &str, p: impl rusqlite::Params) -> RepoResult<usize> {
    c.prepare_cached(sql).map_err(db)?.execute(p).map_err(db)
}

/// Sets a report's ledger enterprise and location cell.
pub(super) fn set_place(
    c: &Connection,
    report: Uuid,
    enterprise: &str,
    cell: Option<i64>,
) -> RepoResult<()> {
    exec(
        c,
        "UPDATE reports SET enterprise = ?2, location_cell = ?3 WHERE id = ?1",
        params![report.to_string(), enterprise, cell],
    )?;
    Ok(())
}

/// Files a report in an entry.
pub(super) fn set_entry(c: &Connection, report: Uuid, entry: Uuid) -> RepoResult<()> {
    exec(
        c,
        "UPDATE reports SET entry_id = ?2 WHERE id = ?1",
        params![report.to_string(), entry.to_string()],
    )?;
    Ok(())
}

/// Files a report as a suggestion.
pub(super) fn set_suggestion(c: &Connection, report: Uuid, suggestion: Uuid) -> RepoResult<()> {
    exec(
        c,
        "UPDATE reports SET suggestion_id = ?2 WHERE id = ?1",
        params![report.to_string(), suggestion.to_string()],
    )?;
    Ok(())
}

/// Moves every report of an entry to another.
pub(super) fn move_all(c: &Connection, from: Uuid, to: Uuid) -> RepoResult<usize> {
    exec(
        c,
        "UPDATE reports SET entry_id = ?2 WHERE entry_id = ?1",
        params![from.to_string(), to.to_string()],
    )
}

/// A device's feed events after a cursor.
pub(super) fn feed(
    c: &Connection,
    device: Uuid,
    after: i64,
    limit: usize,
) -> RepoResult<Vec<(i64, FeedEvent)>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, report_id, status, entry_id, entry_number, merged_into, reason, at,
                    suggestion
             FROM report_events WHERE device_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )
        .map_err(db)?;
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
    );
    let rows = stmt
        .query_map(
            params![device.to_string(), after, sql::int(limit as u64)],
            |r| r.try_into(),
        )
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, report, status, entry, number, merged, reason, at, suggestion): Row =
            row.map_err(db)?;
        out.push((
            id,
            FeedEvent {
                report_id: parse_uuid(&report)?,
                device_id: device,
                status: parse_wire(&status)?,
                entry_id: parse_uuid(entry.as_deref().unwrap_or_default())?,
                entry_number: number.unwrap_or_default(),
                merged_into: merged,
                reason,
                suggestion: suggestion.as_deref().map(parse_wire).transpose()?,
                at: parse_ts(&at)?,
            },
        ));
    }
    Ok(out)
}

/// Appends a feed event.
pub(super) fn append_feed(c: &Connection, e: &FeedEvent) -> RepoResult<()> {
    exec(
        c,
        "INSERT INTO report_events
             (report_id, device_id, status, entry_id, entry_number, merged_into, reason, at,
              suggestion)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            e.report_id.to_string(),
            e.device_id.to_string(),
            e.status.wire_name(),
            e.entry_id.to_string(),
            e.entry_number,
            e.merged_into,
            e.reason,
            ts(e.at),
            e.suggestion.map(|s| s.wire_name())
        ],
    )?;
    Ok(())
}

const SUGGESTION_COLUMNS: &str = "s.id, s.number, s.enterprise, s.year, s.seq, s.status,
    s.created_at, s.updated_at, s.adopted_at, s.adopted_by, s.adopted_note, s.review, s.reply";

fn suggestion_row(r: &rusqlite::Row<'_>) -> RepoResult<SuggestionRow> {
    let text = |i: usize| -> RepoResult<String> { r.get(i).map_err(db) };
    let opt = |i: usize| -> RepoResult<Option<String>> { r.get(i).map_err(db) };
    Ok(SuggestionRow {
        id: parse_uuid(&text(0)?)?,
        number: text(1)?,
        enterprise: text(2)?,
        year: r.get(3).map_err(db)?,
        seq: r.get(4).map_err(db)?,
        status: parse_wire(&text(5)?)?,
        created_at: parse_ts(&text(6)?)?,
        updated_at: parse_ts(&text(7)?)?,
        adopted_at: parse_ts_opt(opt(8)?)?,
        adopted_by: opt(9)?,
        adopted_note: opt(10)?,
        review: parse_wire(&text(11)?)?,
        reply: opt(12)?,
    })
}

/// A suggestion inside the scope.
pub(super) fn suggestion(
    c: &Connection,
    scope: &Scope,
    id: Uuid,
) -> RepoResult<Option<SuggestionRow>> {
    let mut q = Q::new(format!(
        "SELECT {SUGGESTION_COLUMNS} FROM suggestions s
         JOIN enterprises en ON en.code = s.enterprise WHERE s.id = "
    ));
    q.arg(id.to_string())
        .push(" AND ")
        .append(sql::scope(scope, &SUGGESTION));
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let mut rows = stmt.query(params_from_iter(q.args.iter())).map_err(db)?;
    match rows.next().map_err(db)? {
        Some(r) => Ok(Some(suggestion_row(r)?)),
        None => Ok(None),
    }
}

/// Suggestions with their reports.
pub(super) fn suggestions(
    c: &Connection,
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
        q.push(" AND s.id = ").arg(id.to_string());
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
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let mut rows = stmt.query(params_from_iter(q.args.iter())).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let suggestion = suggestion_row(r)?;
        let text = |i: usize| -> RepoResult<String> { r.get(i).map_err(db) };
        out.push(SuggestionRecord {
            suggestion,
            report: ReportLink {
                id: parse_uuid(&text(13)?)?,
                entry_id: parse_uuid_opt(r.get(14).map_err(db)?)?,
                device_id: parse_uuid(&text(15)?)?,
                device_name: text(16)?,
                anonymous: r.get(17).map_err(db)?,
                captured_at: parse_ts(&text(18)?)?,
                received_at: parse_ts(&text(19)?)?,
            },
            note: text(20)?,
            category: parse_wire(&text(21)?)?,
        });
    }
    Ok(out)
}

/// Suggestions received in a period, by enterprise.
pub(super) fn count_suggestions(
    c: &Connection,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> RepoResult<Tally> {
    tally(
        c,
        "SELECT enterprise, count(*) FROM suggestions
         WHERE created_at >= ?1 AND created_at < ?2 GROUP BY enterprise",
        params![ts(from), ts(to)],
    )
}

/// Stores a new suggestion.
pub(super) fn insert_suggestion(c: &Connection, s: &SuggestionRow) -> RepoResult<()> {
    exec(
        c,
        "INSERT INTO suggestions (id, number, enterprise, year, seq, status, created_at,
                                  updated_at, adopted_at, adopted_by, adopted_note, review,
                                  reply)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            s.id.to_string(),
            s.number,
            s.enterprise,
            s.year,
            s.seq,
            s.status.wire_name(),
            ts(s.created_at),
            ts(s.updated_at),
            s.adopted_at.map(ts),
            s.adopted_by,
            s.adopted_note,
            s.review.wire_name(),
            s.reply
        ],
    )?;
    Ok(())
}

/// Saves a suggestion's changeable columns.
pub(super) fn update_suggestion(c: &Connection, s: &SuggestionRow) -> RepoResult<()> {
    exec(
        c,
        "UPDATE suggestions SET status = ?2, updated_at = ?3, adopted_at = ?4, adopted_by = ?5,
                adopted_note = ?6, review = ?7, reply = ?8 WHERE id = ?1",
        params![
            s.id.to_string(),
            s.status.wire_name(),
            ts(s.updated_at),
            s.adopted_at.map(ts),
            s.adopted_by,
            s.adopted_note,
            s.review.wire_name(),
            s.reply
        ],
    )?;
    Ok(())
}

/// Records a reveal.
pub(super) fn append_reveal(
    c: &Connection,
    report: Uuid,
    actor: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    exec(
        c,
        "INSERT INTO reveal_audit (report_id, actor, reason, at) VALUES (?1, ?2, ?3, ?4)",
        params![report.to_string(), actor, reason, ts(at)],
    )?;
    Ok(())
}

/// Records a draw.
pub(super) fn insert_draw(c: &Connection, d: &DrawRecord) -> RepoResult<()> {
    exec(
        c,
        "INSERT INTO supervision_draws (id, seed, n, town, actor, at, candidates, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            d.id.to_string(),
            d.seed,
            d.n,
            d.town,
            d.actor,
            ts(d.at),
            json(&d.candidates)?,
            json(&d.result)?,
        ],
    )?;
    Ok(())
}

type DrawRow = (
    String,
    String,
    u32,
    Option<String>,
    String,
    String,
    String,
    String,
);

fn draw_record(
    (id, seed, n, town, actor, at, candidates, result): DrawRow,
) -> RepoResult<DrawRecord> {
    Ok(DrawRecord {
        id: parse_uuid(&id)?,
        seed,
        n,
        town,
        actor,
        at: parse_ts(&at)?,
        candidates: from_json(&candidates)?,
        result: from_json(&result)?,
    })
}

/// A recorded draw.
pub(super) fn draw(c: &Connection, id: Uuid) -> RepoResult<Option<DrawRecord>> {
    let row: Option<DrawRow> = c
        .prepare_cached(
            "SELECT id, seed, n, town, actor, at, candidates, result FROM supervision_draws
             WHERE id = ?1",
        )
        .map_err(db)?
        .query_row([id.to_string()], |r| r.try_into())
        .optional()
        .map_err(db)?;
    row.map(draw_record).transpose()
}

/// Recorded draws, newest first.
pub(super) fn draws(c: &Connection, town: Option<&str>, limit: u64) -> RepoResult<Vec<DrawRecord>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, seed, n, town, actor, at, candidates, result FROM supervision_draws
             WHERE ?1 IS NULL OR town = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(params![town, sql::int(limit)], |r| r.try_into())
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(draw_record(row.map_err(db)?)?);
    }
    Ok(out)
}
