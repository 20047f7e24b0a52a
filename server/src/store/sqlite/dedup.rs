//! Assignment and deduplication at filing time (归属与查重), on the embedded SQLite backend.
//!
//! A hazard report goes to the enterprise of the site point the worker scanned or chose (a
//! contractor may report on a host's site), else the site point whose geofence holds the
//! report's location, else the enterprise the device is enrolled to. Then the report is scored
//! against the reports of that enterprise's open entries that share indexed keys with it —
//! perceptual-hash bands of any photo, the site point, or a location cell, within the time
//! window — never by scanning the ledger. The score and its two thresholds are
//! `hazardsnap_dedup`'s; this module only finds the candidates and records the decision.
//!
//! Everything runs inside the writer's transaction that stores the report, and the embedded
//! backend has exactly one writer: two phones sending the same hazard in the same second are
//! filed one after the other, and the second sees the first's entry. Concurrency safety is by
//! construction, not by timing.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use hazardsnap_dedup::{Candidate, DedupConfig, ReportFacts, keys};
use hazardsnap_model::{Labelled, LedgerStatus, Location, ReportSubmission};
use hazardsnap_photo::{Fingerprint, SceneSignature};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};

use super::{parse_uuid, ts};
use crate::store::{Device, StoreError, StoreResult};

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

/// Candidates scored per arriving report at most: the newest matches win. Keeps a pathological
/// ledger (every report at one site point) from making ingest quadratic.
const MAX_CANDIDATES: usize = 256;
/// Of those, candidates found by place alone (same site point or location cell): each costs a
/// keypoint comparison, and a site point with more open entries than this in the time window
/// is far beyond what one enterprise's union officer could review anyway.
const MAX_PLACE_CANDIDATES: usize = 64;
/// Reports of one entry scored per arriving report at most, the newest first. An entry scores
/// as its best-matching report, and the reports of one entry show the same hazard: the tenth
/// worker's photo is as good a witness as the hundredth. Without this cap an entry that keeps
/// gathering duplicates (a hazard everyone walks past) makes each new duplicate cost more
/// than the last.
const MAX_REPORTS_PER_ENTRY: usize = 8;

/// The ledger whose enterprise receives the report.
pub(crate) fn assign_enterprise(
    tx: &Transaction<'_>,
    s: &ReportSubmission,
    device: &Device,
) -> StoreResult<String> {
    if let Some(code) = &s.site_code {
        let owner: Option<String> = tx
            .query_row(
                "SELECT enterprise FROM site_points WHERE code = ?1 AND active = 1",
                [code],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(owner) = owner {
            return Ok(owner);
        }
    }
    if let Some(loc) = &s.location {
        // Geofences are at most 10 km (the roster's limit): a bounding box of that size
        // narrows the rows before the exact distance.
        let dlat = 10_000.0 / 111_000.0;
        let dlon = dlat / loc.lat.to_radians().cos().max(0.01);
        let mut stmt = tx.prepare_cached(
            "SELECT enterprise, lat, lon, radius_m FROM site_points
             WHERE active = 1 AND lat BETWEEN ?1 AND ?2 AND lon BETWEEN ?3 AND ?4
             ORDER BY code",
        )?;
        let rows = stmt.query_map(
            params![
                loc.lat - dlat,
                loc.lat + dlat,
                loc.lon - dlon,
                loc.lon + dlon
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, f64>(3)?,
                ))
            },
        )?;
        let mut best: Option<(f64, String)> = None;
        for row in rows {
            let (enterprise, lat, lon, radius) = row?;
            let centre = Location {
                lat,
                lon,
                accuracy_m: None,
            };
            let d = loc.distance_m(&centre);
            if d <= radius && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, enterprise));
            }
        }
        if let Some((_, enterprise)) = best {
            return Ok(enterprise);
        }
    }
    Ok(device.enterprise.clone())
}

/// Decodes stored photo fingerprint columns (sha256 hex, phash, scene bytes).
fn fingerprint(sha: String, phash: Vec<u8>, scene: Vec<u8>) -> StoreResult<Fingerprint> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("photo {sha}: {what}"));
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(&sha, &mut sha256).map_err(|_| corrupt("sha256"))?;
    Ok(Fingerprint {
        sha256,
        phash: phash.try_into().map_err(|_| corrupt("phash"))?,
        scene: SceneSignature::from_bytes(&scene).map_err(|_| corrupt("scene"))?,
    })
}

/// Builds the facts of a report from its stored submission and fingerprints.
fn to_facts(
    report_id: &str,
    enterprise: String,
    submission: &str,
    photos: Vec<Fingerprint>,
) -> StoreResult<ReportFacts> {
    let s: ReportSubmission = serde_json::from_str(submission)
        .map_err(|e| StoreError::Corrupt(format!("report {report_id}: {e}")))?;
    Ok(ReportFacts {
        report_id: s.id,
        enterprise,
        kind: s.kind,
        category: s.category,
        site_code: s.site_code,
        location: s.location,
        captured_at: s.captured_at,
        note: s.note,
        photos,
    })
}

/// Reads what scoring needs of one stored report, from the ledger's own tables: the report
/// being filed (its row and photos are stored before it is filed), which is not in the open
/// index yet.
pub(crate) fn facts(tx: &Transaction<'_>, report_id: &str) -> StoreResult<ReportFacts> {
    let (enterprise, submission): (String, String) = tx.query_row(
        "SELECT enterprise, submission FROM reports WHERE id = ?1",
        [report_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT p.sha256, p.phash, p.scene FROM report_photos rp
         JOIN photos p ON p.sha256 = rp.sha256
         WHERE rp.report_id = ?1 ORDER BY rp.position",
    )?;
    let photos = stmt
        .query_map([report_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .map(|row| {
            let (sha, phash, scene) = row?;
            fingerprint(sha, phash, scene)
        })
        .collect::<StoreResult<Vec<_>>>()?;
    to_facts(report_id, enterprise, &submission, photos)
}

/// Reads what scoring needs of a candidate, from the open index: adjacent rows of one
/// enterprise, whatever the size of the ledger's history.
fn open_facts(tx: &Transaction<'_>, enterprise: &str, report_id: &str) -> StoreResult<ReportFacts> {
    let submission: String = tx
        .prepare_cached(
            "SELECT submission FROM dedup_open_reports WHERE enterprise = ?1 AND report_id = ?2",
        )?
        .query_row([enterprise, report_id], |r| r.get(0))?;
    let mut stmt = tx.prepare_cached(
        "SELECT sha256, phash, scene FROM dedup_open_photos
         WHERE enterprise = ?1 AND report_id = ?2 ORDER BY position",
    )?;
    let photos = stmt
        .query_map([enterprise, report_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .map(|row| {
            let (sha, phash, scene) = row?;
            fingerprint(sha, phash, scene)
        })
        .collect::<StoreResult<Vec<_>>>()?;
    to_facts(report_id, enterprise.to_owned(), &submission, photos)
}

/// A candidate row: report id, entry id, entry number.
type Hit = (String, String, String);

/// Runs one candidate query (its SQL selects report id, entry id, entry number).
fn hits(tx: &Transaction<'_>, sql: &str, args: Vec<Value>) -> StoreResult<Vec<Hit>> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The candidate queries of one arriving report: each selects report id, entry id, entry
/// number from the open index, keyed by the enterprise (never a scan).
fn candidate_queries(incoming: &ReportFacts, cfg: &DedupConfig) -> Vec<(String, Vec<Value>)> {
    let window = Duration::seconds((cfg.candidate_window_days * 86_400.0) as i64);
    let (lo, hi) = (
        ts(incoming.captured_at - window),
        ts(incoming.captured_at + window),
    );
    let me = incoming.report_id.to_string();
    let mut queries = Vec::new();

    // The same photo, re-encoded or resized: any phash band in common, whenever it was taken.
    let bands: Vec<i64> = incoming
        .photos
        .iter()
        .flat_map(|p| keys::phash_keys(&p.phash))
        .collect();
    if !bands.is_empty() {
        let marks = vec!["?"; bands.len()].join(",");
        let sql = format!(
            "SELECT DISTINCT o.report_id, o.entry_id, o.entry_number FROM dedup_open_keys k
             JOIN dedup_open_reports o ON o.enterprise = k.enterprise AND o.report_id = k.report_id
             WHERE k.enterprise = ? AND k.key IN ({marks}) AND k.report_id <> ?
             ORDER BY o.received_at DESC LIMIT {MAX_CANDIDATES}"
        );
        let mut args: Vec<Value> = vec![incoming.enterprise.clone().into()];
        args.extend(bands.iter().map(|k| (*k).into()));
        args.push(me.clone().into());
        queries.push((sql, args));
    }
    // A re-shoot of the same place: the same site point, or a nearby location cell, in the
    // time window.
    if let Some(site) = &incoming.site_code {
        let sql = format!(
            "SELECT report_id, entry_id, entry_number FROM dedup_open_reports
             INDEXED BY dedup_open_site
             WHERE enterprise = ?1 AND site_code = ?2 AND captured_at BETWEEN ?3 AND ?4
               AND report_id <> ?5
             ORDER BY captured_at DESC LIMIT {MAX_PLACE_CANDIDATES}"
        );
        let args: Vec<Value> = vec![
            incoming.enterprise.clone().into(),
            site.clone().into(),
            lo.clone().into(),
            hi.clone().into(),
            me.clone().into(),
        ];
        queries.push((sql, args));
    }
    if let Some(loc) = &incoming.location {
        let cells = keys::location_cells(loc);
        if !cells.is_empty() {
            let marks = vec!["?"; cells.len()].join(",");
            let sql = format!(
                "SELECT report_id, entry_id, entry_number FROM dedup_open_reports
                 INDEXED BY dedup_open_cell
                 WHERE enterprise = ? AND location_cell IN ({marks})
                   AND captured_at BETWEEN ? AND ? AND report_id <> ?
                 ORDER BY captured_at DESC LIMIT {MAX_PLACE_CANDIDATES}"
            );
            let mut args: Vec<Value> = vec![incoming.enterprise.clone().into()];
            args.extend(cells.iter().map(|c| (*c).into()));
            args.extend([lo.into(), hi.into(), me.into()]);
            queries.push((sql, args));
        }
    }
    queries
}

/// The reports of open entries of `incoming.enterprise` that share a key with it, oldest entry
/// first, as scoring candidates.
pub(crate) fn candidates(
    tx: &Transaction<'_>,
    incoming: &ReportFacts,
    cfg: &DedupConfig,
) -> StoreResult<Vec<Candidate>> {
    let mut ids: Vec<Hit> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut per_entry: HashMap<String, usize> = HashMap::new();
    for (sql, args) in candidate_queries(incoming, cfg) {
        for r in hits(tx, &sql, args)? {
            if seen.contains(&r.0) {
                continue;
            }
            let n = per_entry.entry(r.1.clone()).or_default();
            if *n >= MAX_REPORTS_PER_ENTRY {
                continue;
            }
            *n += 1;
            seen.insert(r.0.clone());
            ids.push(r);
        }
    }
    ids.truncate(MAX_CANDIDATES);
    // Oldest entry first: `decide` breaks ties towards the first candidate, and the oldest
    // entry is the one the first finder opened.
    ids.sort_by(|a, b| a.2.cmp(&b.2));
    ids.into_iter()
        .map(|(report_id, entry_id, entry_number)| {
            Ok(Candidate {
                entry_id: parse_uuid(&entry_id)?,
                entry_number,
                report: open_facts(tx, &incoming.enterprise, &report_id)?,
            })
        })
        .collect()
}

/// The location cell a report is stored under (written with its enterprise, before it joins
/// an entry, so the open index is refreshed once).
pub(crate) fn location_cell(s: &ReportSubmission) -> Option<i64> {
    s.location.as_ref().and_then(keys::location_cell)
}

/// Part of migration 5: the location cells of reports stored before migration 3 computed
/// them, open or not (a closed entry may be reopened); the refresh trigger indexes those of
/// open entries. A database from migration 3 on has none left to do.
pub(crate) fn backfill_location_cells(tx: &Transaction<'_>) -> StoreResult<()> {
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
pub fn open_index_drift(conn: &rusqlite::Connection) -> StoreResult<Vec<String>> {
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
            .map_err(|_| StoreError::Corrupt(format!("report {report}: phash")))?;
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
            .map_err(|e| StoreError::Corrupt(format!("report {id}: {e}")))?;
        if location_cell(&s) != cell {
            drift.push(format!("location cell: {id} has {cell:?}"));
        }
    }
    Ok(drift)
}

/// Hooks for the scale benchmark (`benches/dedup_scale.rs`): the candidate lookup of filing,
/// run outside of filing. Not part of the storage API ([`crate::store::Store`]).
impl super::SqliteStore {
    /// Runs exactly the candidate lookup `file_report` runs for `incoming`, in a transaction
    /// that is rolled back, on the writer connection (blocking: call it from a plain thread).
    #[doc(hidden)]
    pub fn lookup_candidates_blocking(
        &self,
        incoming: &ReportFacts,
    ) -> StoreResult<Vec<Candidate>> {
        let mut conn = super::lock(&self.inner.writer);
        let tx = conn.transaction()?;
        let out = candidates(&tx, incoming, &self.inner.dedup);
        tx.rollback()?;
        out
    }

    /// `EXPLAIN QUERY PLAN` of each candidate query for `incoming`, one line per plan step.
    #[doc(hidden)]
    pub fn explain_candidate_queries_blocking(
        &self,
        incoming: &ReportFacts,
    ) -> StoreResult<Vec<Vec<String>>> {
        let conn = super::lock(&self.inner.writer);
        candidate_queries(incoming, &self.inner.dedup)
            .into_iter()
            .map(|(sql, args)| {
                let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let rows = stmt
                    .query_map(params_from_iter(args), |r| r.get::<_, String>(3))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use hazardsnap_model::{Category, ReportKind};

    /// An arriving report with every key: a photo, a site point, a location.
    fn incoming() -> ReportFacts {
        ReportFacts {
            report_id: uuid::Uuid::now_v7(),
            enterprise: "E001".into(),
            kind: ReportKind::Hazard,
            category: Category::EquipmentGuarding,
            site_code: Some("E001-P01".into()),
            location: Some(Location {
                lat: 36.8,
                lon: 117.87,
                accuracy_m: Some(10.0),
            }),
            captured_at: Utc::now(),
            note: "阀门泄漏".into(),
            photos: vec![Fingerprint {
                sha256: [7; 32],
                phash: [0x5A; 32],
                scene: SceneSignature::default(),
            }],
        }
    }

    /// The candidate lookup must search indexes, never scan a table: the plan's text, not a
    /// timing. The server never runs ANALYZE, so the plan of an empty database is the plan of
    /// a full one.
    #[test]
    fn candidate_queries_search_indexes_and_scan_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::SqliteStore::open(dir.path().join("db.sqlite3")).unwrap();
        let plans = store
            .explain_candidate_queries_blocking(&incoming())
            .unwrap();
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
