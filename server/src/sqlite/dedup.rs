//! The open-entry index of deduplication (在办条目查重索引) on SQLite: its migrations, the
//! candidate lookup of filing as three index searches, the facts scoring reads of a
//! candidate, and the check that the index agrees with the ledger.
//!
//! Which candidates are scored, with what caps, and what the score decides is the rules'
//! (`hazardsnap_ledger::rules::filing`, `hazardsnap_dedup`); this module only answers
//! "which reports of this enterprise's open entries share this key" without scanning the
//! ledger's history.

use std::collections::HashSet;

use hazardsnap_dedup::keys;
use hazardsnap_ledger::repo::query::CandidateQuery;
use hazardsnap_ledger::repo::rows::{CandidateHit, CandidateHits, StoredFacts};
use hazardsnap_ledger::rules::filing::location_cell;
use hazardsnap_ledger::{RepoError, RepoResult};
use hazardsnap_model::{Labelled, LedgerStatus, Location, ReportSubmission};
use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};
use uuid::Uuid;

use super::reports::fingerprint;
use super::{db, from_json, parse_uuid, ts};

/// Schema of the keys, as migration 3 (superseded by [`OPEN_INDEX_MIGRATION`], kept as
/// shipped).
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE report_phash_keys (
    enterprise TEXT NOT NULL,
    key INTEGER NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports(id),
    PRIMARY KEY (enterprise, key, report_id)
) STRICT, WITHOUT ROWID;
ALTER TABLE reports ADD COLUMN location_cell INTEGER;
CREATE INDEX reports_dedup_site ON reports(enterprise, site_code, captured_at)
    WHERE kind = 'hazard' AND site_code IS NOT NULL;
CREATE INDEX reports_dedup_cell ON reports(enterprise, location_cell, captured_at)
    WHERE kind = 'hazard' AND location_cell IS NOT NULL;
ALTER TABLE ledger_entries ADD COLUMN possible_duplicate_of TEXT REFERENCES ledger_entries(id);
ALTER TABLE ledger_entries ADD COLUMN dedup_decision TEXT;
"#;

/// Migration 5: the dedup index of **open** entries only (在办条目查重索引).
///
/// Scoring an arriving report reads the reports of open entries that share a key with it.
/// Kept in the ledger's own tables, those rows lie scattered among the district's whole
/// history, and each lookup got costlier as the history grew (2.7× from 10 000 to 1 000 000
/// entries, see `server/BENCH-dedup.md`). Here they live in three small `WITHOUT ROWID` tables
/// clustered by enterprise, holding exactly the hazard reports of open entries: their keys,
/// the facts scoring reads (the submission, the photos' fingerprints) and the entry's number.
///
/// The tables are kept by triggers, so every path that files, moves, closes, rejects, merges,
/// splits or reopens keeps them true, including paths written later and a bulk load in plain
/// SQL. One trigger does the work: a change of any column of a report the index copies (its
/// entry, enterprise, location cell, kind, site, times, submission) *refreshes* that report
/// (its rows removed, then added again if its entry is open). The others delegate to it by
/// touching `reports.entry_id`: a new report row, a new photo link, an entry whose status
/// crosses between open and not open, an entry's number. Only the entry, enterprise and cell
/// change in normal operation; the rest is covered so that repairs in plain SQL stay true. A
/// report in no entry before and after (a suggestion, or a hazard before filing sets its
/// entry) has nothing to refresh.
///
/// The perceptual-hash band keys are derived in SQL from the stored hash, exactly as
/// `hazardsnap_dedup::keys::phash_keys` derives them (a test holds the two equal): band `b`
/// is `b << 16` joined with the hash's bytes `2b` and `2b + 1`, big-endian. So the keys of a
/// reopened entry, or of reports filed before migration 3 wrote keys, come back without Rust.
///
/// The history-wide key table and indexes of migration 3 go: nothing reads them any more,
/// and every ingest paid for them in the largest tables. The open statuses are spelled out
/// here; `open_statuses_in_sql_are_the_models` holds them equal to `LedgerStatus::is_open`.
pub(crate) const OPEN_INDEX_MIGRATION: &str = r#"
DROP INDEX reports_dedup_site;
DROP INDEX reports_dedup_cell;
DROP TABLE report_phash_keys;

CREATE TABLE dedup_bands (band INTEGER PRIMARY KEY) STRICT;
INSERT INTO dedup_bands (band)
    VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15);

CREATE TABLE dedup_open_reports (
    enterprise TEXT NOT NULL,
    report_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    entry_number TEXT NOT NULL,
    site_code TEXT,
    location_cell INTEGER,
    captured_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    submission TEXT NOT NULL,
    PRIMARY KEY (enterprise, report_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX dedup_open_site ON dedup_open_reports(enterprise, site_code, captured_at)
    WHERE site_code IS NOT NULL;
CREATE INDEX dedup_open_cell ON dedup_open_reports(enterprise, location_cell, captured_at)
    WHERE location_cell IS NOT NULL;

CREATE TABLE dedup_open_photos (
    enterprise TEXT NOT NULL,
    report_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    phash BLOB NOT NULL,
    scene BLOB NOT NULL,
    PRIMARY KEY (enterprise, report_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE dedup_open_keys (
    enterprise TEXT NOT NULL,
    key INTEGER NOT NULL,
    report_id TEXT NOT NULL,
    PRIMARY KEY (enterprise, key, report_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX dedup_open_keys_report ON dedup_open_keys(report_id);

CREATE TRIGGER dedup_open_refresh
AFTER UPDATE OF entry_id, enterprise, location_cell, kind, site_code, captured_at, received_at,
                submission ON reports
WHEN OLD.entry_id IS NOT NULL OR NEW.entry_id IS NOT NULL
BEGIN
    DELETE FROM dedup_open_keys WHERE report_id = OLD.id;
    DELETE FROM dedup_open_photos WHERE enterprise = OLD.enterprise AND report_id = OLD.id;
    DELETE FROM dedup_open_reports WHERE enterprise = OLD.enterprise AND report_id = OLD.id;
    INSERT INTO dedup_open_reports (enterprise, report_id, entry_id, entry_number, site_code,
                                    location_cell, captured_at, received_at, submission)
        SELECT NEW.enterprise, NEW.id, e.id, e.number, NEW.site_code, NEW.location_cell,
               NEW.captured_at, NEW.received_at, NEW.submission
        FROM ledger_entries e
        WHERE e.id = NEW.entry_id AND NEW.kind = 'hazard'
          AND e.status IN ('pending_review', 'rectifying', 'awaiting_verification');
    INSERT INTO dedup_open_photos (enterprise, report_id, position, sha256, phash, scene)
        SELECT o.enterprise, o.report_id, rp.position, p.sha256, p.phash, p.scene
        FROM dedup_open_reports o
        JOIN report_photos rp ON rp.report_id = o.report_id
        JOIN photos p ON p.sha256 = rp.sha256
        WHERE o.enterprise = NEW.enterprise AND o.report_id = NEW.id;
    INSERT OR IGNORE INTO dedup_open_keys (enterprise, key, report_id)
        SELECT o.enterprise,
               (b.band << 16)
             | ((instr('0123456789ABCDEF', substr(hex(o.phash), 4 * b.band + 1, 1)) - 1) << 12)
             | ((instr('0123456789ABCDEF', substr(hex(o.phash), 4 * b.band + 2, 1)) - 1) << 8)
             | ((instr('0123456789ABCDEF', substr(hex(o.phash), 4 * b.band + 3, 1)) - 1) << 4)
             |  (instr('0123456789ABCDEF', substr(hex(o.phash), 4 * b.band + 4, 1)) - 1),
               o.report_id
        FROM dedup_open_photos o, dedup_bands b
        WHERE o.enterprise = NEW.enterprise AND o.report_id = NEW.id AND length(o.phash) = 32;
END;

CREATE TRIGGER dedup_open_report_inserted AFTER INSERT ON reports
WHEN NEW.entry_id IS NOT NULL
BEGIN
    UPDATE reports SET entry_id = entry_id WHERE id = NEW.id;
END;

CREATE TRIGGER dedup_open_photo_linked AFTER INSERT ON report_photos
BEGIN
    UPDATE reports SET entry_id = entry_id WHERE id = NEW.report_id AND entry_id IS NOT NULL;
END;

CREATE TRIGGER dedup_open_number AFTER UPDATE OF number ON ledger_entries
BEGIN
    UPDATE reports SET entry_id = entry_id WHERE entry_id = NEW.id;
END;

CREATE TRIGGER dedup_open_status AFTER UPDATE OF status ON ledger_entries
WHEN (OLD.status IN ('pending_review', 'rectifying', 'awaiting_verification'))
  <> (NEW.status IN ('pending_review', 'rectifying', 'awaiting_verification'))
BEGIN
    UPDATE reports SET entry_id = entry_id WHERE entry_id = NEW.id;
END;

UPDATE reports SET entry_id = entry_id
WHERE entry_id IN (
    SELECT id FROM ledger_entries
    WHERE status IN ('pending_review', 'rectifying', 'awaiting_verification')
);
"#;

/// Runs one candidate query (its SQL selects report id, entry id, entry number).
fn hits(c: &Connection, sql: &str, args: Vec<Value>) -> RepoResult<Vec<CandidateHit>> {
    let mut stmt = c.prepare_cached(sql).map_err(db)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (report, entry, number) = row.map_err(db)?;
        out.push(CandidateHit {
            report_id: parse_uuid(&report)?,
            entry_id: parse_uuid(&entry)?,
            entry_number: number,
        });
    }
    Ok(out)
}

/// The three candidate queries of one arriving report, each keyed by the enterprise (never a
/// scan): by phash band, by site point, by location cell. `None` where the report has no
/// such key.
fn candidate_queries(q: &CandidateQuery) -> [Option<(String, Vec<Value>)>; 3] {
    let (lo, hi) = (ts(q.captured_within.0), ts(q.captured_within.1));
    let me = q.report_id.to_string();
    let by_photo = (!q.phash_keys.is_empty()).then(|| {
        let marks = vec!["?"; q.phash_keys.len()].join(",");
        let sql = format!(
            "SELECT DISTINCT o.report_id, o.entry_id, o.entry_number FROM dedup_open_keys k
             JOIN dedup_open_reports o ON o.enterprise = k.enterprise AND o.report_id = k.report_id
             WHERE k.enterprise = ? AND k.key IN ({marks}) AND k.report_id <> ?
             ORDER BY o.received_at DESC LIMIT {}",
            q.max_by_photo
        );
        let mut args: Vec<Value> = vec![q.enterprise.clone().into()];
        args.extend(q.phash_keys.iter().map(|k| (*k).into()));
        args.push(me.clone().into());
        (sql, args)
    });
    let by_site = q.site_code.as_ref().map(|site| {
        let sql = format!(
            "SELECT report_id, entry_id, entry_number FROM dedup_open_reports
             INDEXED BY dedup_open_site
             WHERE enterprise = ?1 AND site_code = ?2 AND captured_at BETWEEN ?3 AND ?4
               AND report_id <> ?5
             ORDER BY captured_at DESC LIMIT {}",
            q.max_by_place
        );
        let args: Vec<Value> = vec![
            q.enterprise.clone().into(),
            site.clone().into(),
            lo.clone().into(),
            hi.clone().into(),
            me.clone().into(),
        ];
        (sql, args)
    });
    let by_cell = (!q.location_cells.is_empty()).then(|| {
        let marks = vec!["?"; q.location_cells.len()].join(",");
        let sql = format!(
            "SELECT report_id, entry_id, entry_number FROM dedup_open_reports
             INDEXED BY dedup_open_cell
             WHERE enterprise = ? AND location_cell IN ({marks})
               AND captured_at BETWEEN ? AND ? AND report_id <> ?
             ORDER BY captured_at DESC LIMIT {}",
            q.max_by_place
        );
        let mut args: Vec<Value> = vec![q.enterprise.clone().into()];
        args.extend(q.location_cells.iter().map(|c| (*c).into()));
        args.extend([lo.into(), hi.into(), me.into()]);
        (sql, args)
    });
    [by_photo, by_site, by_cell]
}

/// The candidate lookup.
pub(super) fn candidates(c: &Connection, q: &CandidateQuery) -> RepoResult<CandidateHits> {
    let [by_photo, by_site, by_cell] = candidate_queries(q);
    let run = |query: Option<(String, Vec<Value>)>| match query {
        Some((sql, args)) => hits(c, &sql, args),
        None => Ok(Vec::new()),
    };
    Ok(CandidateHits {
        by_photo: run(by_photo)?,
        by_site: run(by_site)?,
        by_cell: run(by_cell)?,
    })
}

/// What scoring needs of a candidate, from the open index: adjacent rows of one enterprise,
/// whatever the size of the ledger's history.
pub(super) fn open_facts(
    c: &Connection,
    enterprise: &str,
    report: Uuid,
) -> RepoResult<StoredFacts> {
    let id = report.to_string();
    let submission: String = c
        .prepare_cached(
            "SELECT submission FROM dedup_open_reports WHERE enterprise = ?1 AND report_id = ?2",
        )
        .map_err(db)?
        .query_row([enterprise, id.as_str()], |r| r.get(0))
        .map_err(db)?;
    let mut stmt = c
        .prepare_cached(
            "SELECT sha256, phash, scene FROM dedup_open_photos
             WHERE enterprise = ?1 AND report_id = ?2 ORDER BY position",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([enterprise, id.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(db)?;
    let mut photos = Vec::new();
    for row in rows {
        let (sha, phash, scene) = row.map_err(db)?;
        photos.push(fingerprint(sha, phash, scene)?);
    }
    Ok(StoredFacts {
        submission: from_json(&submission)?,
        photos,
    })
}

/// `EXPLAIN QUERY PLAN` of each candidate query, one line per plan step: the lookup must
/// search indexes, never scan.
#[doc(hidden)]
pub fn explain_candidate_queries(
    c: &Connection,
    q: &CandidateQuery,
) -> RepoResult<Vec<Vec<String>>> {
    candidate_queries(q)
        .into_iter()
        .flatten()
        .map(|(sql, args)| {
            let mut stmt = c
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .map_err(db)?;
            let rows = stmt
                .query_map(params_from_iter(args), |r| r.get::<_, String>(3))
                .map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .collect()
}

/// Part of migration 5: the location cells of reports stored before migration 3 computed
/// them, open or not (a closed entry may be reopened); the refresh trigger indexes those of
/// open entries. A database from migration 3 on has none left to do.
pub(crate) fn backfill_location_cells(tx: &Connection) -> RepoResult<()> {
    backfill(tx).map_err(db)
}

fn backfill(tx: &Connection) -> rusqlite::Result<()> {
    let rows: Vec<(String, f64, f64)> = tx
        .prepare(
            "SELECT id, lat, lon FROM reports
             WHERE location_cell IS NULL AND lat IS NOT NULL AND lon IS NOT NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare("UPDATE reports SET location_cell = ?2 WHERE id = ?1")?;
    for (id, lat, lon) in rows {
        let at = Location {
            lat,
            lon,
            accuracy_m: None,
        };
        if let Some(cell) = keys::location_cell(&at) {
            update.execute(params![id, cell])?;
        }
    }
    Ok(())
}

/// How the open index differs from what it should hold, one line per difference; empty when
/// it is true. What it should hold is computed afresh from the ledger's own tables, with the
/// open statuses taken from `LedgerStatus::is_open` and the band keys from
/// `hazardsnap_dedup::keys::phash_keys`, so the triggers' SQL is checked against the Rust it
/// restates. For tests and for an operator's check of a database; reads the whole index.
#[doc(hidden)]
pub fn open_index_drift(conn: &Connection) -> RepoResult<Vec<String>> {
    match drift(conn) {
        Ok(d) => Ok(d),
        Err(Drift::Db(e)) => Err(db(e)),
        Err(Drift::Corrupt(m)) => Err(RepoError::Corrupt(m)),
    }
}

/// Why the drift check could not finish.
enum Drift {
    Db(rusqlite::Error),
    Corrupt(String),
}

impl From<rusqlite::Error> for Drift {
    fn from(e: rusqlite::Error) -> Self {
        Drift::Db(e)
    }
}

fn drift(conn: &Connection) -> Result<Vec<String>, Drift> {
    let open = LedgerStatus::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| format!("'{}'", s.wire_name()))
        .collect::<Vec<_>>()
        .join(",");
    let expected_rows = format!(
        "SELECT r.enterprise, r.id, e.id, e.number, r.site_code, r.location_cell, r.captured_at,
                r.received_at, r.submission
         FROM reports r JOIN ledger_entries e ON e.id = r.entry_id
         WHERE r.kind = 'hazard' AND e.status IN ({open})"
    );
    let actual_rows = "SELECT enterprise, report_id, entry_id, entry_number, site_code,
                              location_cell, captured_at, received_at, submission
                       FROM dedup_open_reports";
    let expected_photos = format!(
        "SELECT r.enterprise, r.id, rp.position, p.sha256, p.phash, p.scene
         FROM reports r JOIN ledger_entries e ON e.id = r.entry_id
         JOIN report_photos rp ON rp.report_id = r.id JOIN photos p ON p.sha256 = rp.sha256
         WHERE r.kind = 'hazard' AND e.status IN ({open})"
    );
    let actual_photos = "SELECT enterprise, report_id, position, sha256, phash, scene
                         FROM dedup_open_photos";
    let mut drift = Vec::new();
    for (what, x, y) in [
        ("report missing", &expected_rows, actual_rows),
        (
            "report extra or stale",
            &actual_rows.to_owned(),
            &expected_rows,
        ),
        ("photo missing", &expected_photos, actual_photos),
        (
            "photo extra or stale",
            &actual_photos.to_owned(),
            &expected_photos,
        ),
    ] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM ({x} EXCEPT {y})"))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (enterprise, report) = row?;
            drift.push(format!("{what}: {enterprise} {report}"));
        }
    }
    let mut want: HashSet<(String, i64, String)> = HashSet::new();
    let mut stmt = conn.prepare("SELECT enterprise, report_id, phash FROM dedup_open_photos")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    for row in rows {
        let (enterprise, report, phash): (String, String, Vec<u8>) = row?;
        let phash: [u8; 32] = phash
            .try_into()
            .map_err(|_| Drift::Corrupt(format!("report {report}: phash")))?;
        for k in keys::phash_keys(&phash) {
            want.insert((enterprise.clone(), k, report.clone()));
        }
    }
    let mut stmt = conn.prepare("SELECT enterprise, key, report_id FROM dedup_open_keys")?;
    let have = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<HashSet<(String, i64, String)>, _>>()?;
    for (e, k, r) in want.difference(&have) {
        drift.push(format!("key missing: {e} {k} {r}"));
    }
    for (e, k, r) in have.difference(&want) {
        drift.push(format!("key extra: {e} {k} {r}"));
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT r.id, r.submission, r.location_cell FROM reports r
         JOIN ledger_entries e ON e.id = r.entry_id
         WHERE r.kind = 'hazard' AND e.status IN ({open})"
    ))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    for row in rows {
        let (id, submission, cell): (String, String, Option<i64>) = row?;
        let s: ReportSubmission = serde_json::from_str(&submission)
            .map_err(|e| Drift::Corrupt(format!("report {id}: {e}")))?;
        if location_cell(&s) != cell {
            drift.push(format!("location cell: {id} has {cell:?}"));
        }
    }
    Ok(drift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};
    use hazardsnap_model::{Category, ReportKind};
    use hazardsnap_photo::SceneSignature;

    /// The lookup of an arriving report with every key: a photo, a site point, a location.
    fn incoming() -> CandidateQuery {
        let now = Utc::now();
        CandidateQuery {
            enterprise: "E001".into(),
            report_id: Uuid::now_v7(),
            phash_keys: keys::phash_keys(&[0x5A; 32]),
            site_code: Some("E001-P01".into()),
            location_cells: keys::location_cells(&Location {
                lat: 36.8,
                lon: 117.87,
                accuracy_m: Some(10.0),
            }),
            captured_within: (now - Duration::days(30), now + Duration::days(30)),
            max_by_photo: 256,
            max_by_place: 64,
        }
    }

    /// The candidate lookup must search indexes, never scan a table: the plan's text, not a
    /// timing. The server never runs ANALYZE, so the plan of an empty database is the plan of
    /// a full one.
    #[test]
    fn candidate_queries_search_indexes_and_scan_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("db.sqlite3")).unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let plans = explain_candidate_queries(&conn, &incoming()).unwrap();
        assert_eq!(plans.len(), 3, "phash bands, site point, location cells");
        for plan in &plans {
            for step in plan {
                assert!(
                    step.starts_with("SEARCH ") || step.starts_with("USE TEMP B-TREE"),
                    "not an index search: {step:?} in {plan:?}"
                );
            }
        }
        let expect = [
            "SEARCH k USING PRIMARY KEY (enterprise=? AND key=?)",
            "SEARCH dedup_open_reports USING INDEX dedup_open_site (enterprise=? AND site_code=? AND captured_at>? AND captured_at<?)",
            "SEARCH dedup_open_reports USING INDEX dedup_open_cell (enterprise=? AND location_cell=? AND captured_at>? AND captured_at<?)",
        ];
        for (plan, first) in plans.iter().zip(expect) {
            assert_eq!(plan.first().map(String::as_str), Some(first), "{plan:?}");
        }
    }

    /// A submission as a phone sends it, at a place, with one photo.
    fn submission(kind: ReportKind, lat: f64) -> ReportSubmission {
        ReportSubmission {
            id: uuid::Uuid::now_v7(),
            kind,
            category: Category::EquipmentGuarding,
            severity: hazardsnap_model::Severity::General,
            at_risk: vec![hazardsnap_model::AtRisk::Oneself],
            source: hazardsnap_model::CheckSource::WorkerCheck,
            note: "阀门泄漏".into(),
            captured_at: Utc::now(),
            photos: Vec::new(),
            location: Some(Location {
                lat,
                lon: 117.87,
                accuracy_m: Some(10.0),
            }),
            site_code: Some("E001-P01".into()),
            workshop: None,
            team: None,
            anonymous: false,
        }
    }

    /// Writes an entry, a report in it and the report's photo with plain SQL, as a release
    /// before migration 3 left them: no location cell, no keys.
    fn old_report(
        conn: &rusqlite::Connection,
        n: u8,
        status: &str,
        kind: ReportKind,
    ) -> (String, String, [u8; 32]) {
        let entry = uuid::Uuid::now_v7().to_string();
        let s = submission(kind, 36.8 + f64::from(n) * 0.01);
        let id = s.id.to_string();
        let mut phash = [0u8; 32];
        for (i, b) in phash.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(n.wrapping_mul(101)) ^ 0xA5;
        }
        let sha = hex::encode([n; 32]);
        conn.execute(
            "INSERT INTO ledger_entries (id, number, enterprise, year, seq, status, severity,
                                         category, created_at, updated_at)
             VALUES (?1, ?2, 'E001', 2026, ?3, ?4, 'general', 'equipment_guarding', 'x', 'x')",
            params![entry, format!("E001-2026-{n:04}"), n, status],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO photos (sha256, bytes, width, height, phash, scene, uploaded_at)
             VALUES (?1, 1, 1, 1, ?2, ?3, 'x')",
            params![sha, &phash[..], SceneSignature::default().to_bytes()],
        )
        .unwrap();
        let (entry_col, suggestion) = match kind {
            ReportKind::Hazard => (Some(entry.clone()), None::<String>),
            ReportKind::Suggestion => (None, Some(entry.clone())),
        };
        conn.execute(
            "INSERT INTO reports (id, device_id, enterprise, kind, category, severity, anonymous,
                                  note, site_code, lat, lon, captured_at, received_at,
                                  content_sha256, submission, entry_id, suggestion_id)
             VALUES (?1, 'd', 'E001', ?2, 'equipment_guarding', 'general', 0, ?3, ?4, ?5, ?6,
                     ?7, ?7, 'c', ?8, ?9, ?10)",
            params![
                id,
                kind.wire_name(),
                s.note,
                s.site_code,
                s.location.map(|l| l.lat),
                s.location.map(|l| l.lon),
                ts(s.captured_at),
                serde_json::to_string(&s).unwrap(),
                entry_col,
                suggestion,
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO report_photos (report_id, position, sha256) VALUES (?1, 0, ?2)",
            params![id, sha],
        )
        .unwrap();
        (entry, id, phash)
    }

    fn open_report_ids(conn: &rusqlite::Connection) -> HashSet<String> {
        conn.prepare("SELECT report_id FROM dedup_open_reports")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A database from before migration 3 (no keys, no cells) gains the open index on upgrade,
    /// with keys equal to the Rust ones and the cells backfilled; afterwards the index follows
    /// every status change and every move of a report, by trigger, whatever SQL makes it.
    #[test]
    fn an_old_database_gains_the_open_index_and_it_follows_the_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = rusqlite::Connection::open(dir.path().join("db.sqlite3")).unwrap();
        super::super::schema::configure(&conn).unwrap();
        super::super::schema::migrate_to(&mut conn, 2).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        let (open_entry, open_report, phash) =
            old_report(&conn, 1, "rectifying", ReportKind::Hazard);
        let (closed_entry, closed_report, _) = old_report(&conn, 2, "closed", ReportKind::Hazard);
        let (_, idea, _) = old_report(&conn, 3, "pending_review", ReportKind::Suggestion);
        super::super::schema::migrate(&mut conn).unwrap();

        assert_eq!(open_index_drift(&conn).unwrap(), Vec::<String>::new());
        assert_eq!(open_report_ids(&conn), HashSet::from([open_report.clone()]));
        let cell: Option<i64> = conn
            .query_row("SELECT location_cell FROM dedup_open_reports", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(cell, location_cell(&submission(ReportKind::Hazard, 36.81)));
        let keys: HashSet<i64> = conn
            .prepare("SELECT key FROM dedup_open_keys WHERE report_id = ?1")
            .unwrap()
            .query_map([&open_report], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(keys, keys::phash_keys(&phash).into_iter().collect());

        // Closing, reopening, moving a report, a new report and a new photo link.
        let set = |entry: &str, status: &str| {
            conn.execute(
                "UPDATE ledger_entries SET status = ?2 WHERE id = ?1",
                params![entry, status],
            )
            .unwrap();
        };
        set(&open_entry, "closed");
        assert!(open_report_ids(&conn).is_empty());
        set(&closed_entry, "awaiting_verification");
        assert_eq!(
            open_report_ids(&conn),
            HashSet::from([closed_report.clone()])
        );
        conn.execute(
            "UPDATE reports SET entry_id = ?2 WHERE id = ?1",
            params![open_report, closed_entry],
        )
        .unwrap();
        assert_eq!(
            open_report_ids(&conn),
            HashSet::from([closed_report.clone(), open_report.clone()])
        );
        let number: String = conn
            .query_row(
                "SELECT entry_number FROM dedup_open_reports WHERE report_id = ?1",
                [&open_report],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(number, "E001-2026-0002", "the entry it moved to");
        let (_, fresh, _) = old_report(&conn, 4, "pending_review", ReportKind::Hazard);
        conn.execute(
            "INSERT INTO report_photos (report_id, position, sha256) VALUES (?1, 1, ?2)",
            params![fresh, hex::encode([1u8; 32])],
        )
        .unwrap();
        assert!(open_report_ids(&conn).contains(&fresh));
        assert!(!open_report_ids(&conn).contains(&idea));
        // Filing writes the cell; plain SQL did not, and the check notices.
        let drift = open_index_drift(&conn).unwrap();
        assert_eq!(drift.len(), 1, "{drift:?}");
        let cell = location_cell(&submission(ReportKind::Hazard, 36.84));
        conn.execute(
            "UPDATE reports SET location_cell = ?2 WHERE id = ?1",
            params![fresh, cell],
        )
        .unwrap();
        let indexed: Option<i64> = conn
            .query_row(
                "SELECT location_cell FROM dedup_open_reports WHERE report_id = ?1",
                [&fresh],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed, cell);
        let photos: i64 = conn
            .query_row(
                "SELECT count(*) FROM dedup_open_photos WHERE report_id = ?1",
                [&fresh],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(photos, 2);
        // A repair in plain SQL of a copied column, or of a number, is followed too.
        conn.execute(
            "UPDATE reports SET captured_at = '2016-01-01T00:00:00.000Z' WHERE id = ?1",
            [&fresh],
        )
        .unwrap();
        conn.execute(
            "UPDATE ledger_entries SET number = 'E001-2026-9999' WHERE id =
                 (SELECT entry_id FROM reports WHERE id = ?1)",
            [&fresh],
        )
        .unwrap();
        assert_eq!(open_index_drift(&conn).unwrap(), Vec::<String>::new());
        set(&closed_entry, "merged");
        assert_eq!(open_report_ids(&conn), HashSet::from([fresh]));
        assert_eq!(open_index_drift(&conn).unwrap(), Vec::<String>::new());
    }
}
