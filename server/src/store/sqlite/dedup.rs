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
use hazardsnap_model::{Location, ReportSubmission};
use hazardsnap_photo::{Fingerprint, SceneSignature};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};

use super::{parse_uuid, ts};
use crate::store::{Device, StoreError, StoreResult};

/// Schema of the keys, as migration 3.
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

/// Reads what scoring needs of one stored report (also of the one being filed: its row and
/// photos are stored before it is filed).
pub(crate) fn facts(tx: &Transaction<'_>, report_id: &str) -> StoreResult<ReportFacts> {
    let (enterprise, submission): (String, String) = tx.query_row(
        "SELECT enterprise, submission FROM reports WHERE id = ?1",
        [report_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let s: ReportSubmission = serde_json::from_str(&submission)
        .map_err(|e| StoreError::Corrupt(format!("report {report_id}: {e}")))?;
    let mut stmt = tx.prepare_cached(
        "SELECT p.sha256, p.phash, p.scene FROM report_photos rp
         JOIN photos p ON p.sha256 = rp.sha256
         WHERE rp.report_id = ?1 ORDER BY rp.position",
    )?;
    let photos = stmt
        .query_map([report_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?
        .map(|row| {
            let (sha, phash, scene) = row?;
            let corrupt = |what: &str| StoreError::Corrupt(format!("photo {sha}: {what}"));
            let mut sha256 = [0u8; 32];
            hex::decode_to_slice(&sha, &mut sha256).map_err(|_| corrupt("sha256"))?;
            Ok(Fingerprint {
                sha256,
                phash: phash.try_into().map_err(|_| corrupt("phash"))?,
                scene: SceneSignature::from_bytes(&scene).map_err(|_| corrupt("scene"))?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
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
/// number, and reads only indexes keyed by the enterprise (never a scan of the ledger).
fn candidate_queries(incoming: &ReportFacts, cfg: &DedupConfig) -> Vec<(String, Vec<Value>)> {
    let window = Duration::seconds((cfg.candidate_window_days * 86_400.0) as i64);
    let (lo, hi) = (
        ts(incoming.captured_at - window),
        ts(incoming.captured_at + window),
    );
    let open = "e.status IN ('pending_review', 'rectifying', 'awaiting_verification')";
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
            "SELECT DISTINCT r.id, e.id, e.number FROM report_phash_keys k
             JOIN reports r ON r.id = k.report_id
             JOIN ledger_entries e ON e.id = r.entry_id
             WHERE k.enterprise = ? AND k.key IN ({marks}) AND r.id <> ? AND {open}
             ORDER BY r.received_at DESC LIMIT {MAX_CANDIDATES}"
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
            "SELECT r.id, e.id, e.number FROM reports r
             JOIN ledger_entries e ON e.id = r.entry_id
             WHERE r.enterprise = ?1 AND r.kind = 'hazard' AND r.site_code = ?2
               AND r.captured_at BETWEEN ?3 AND ?4 AND r.id <> ?5 AND {open}
             ORDER BY r.captured_at DESC LIMIT {MAX_PLACE_CANDIDATES}"
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
                "SELECT r.id, e.id, e.number FROM reports r
                 JOIN ledger_entries e ON e.id = r.entry_id
                 WHERE r.enterprise = ? AND r.kind = 'hazard' AND r.location_cell IN ({marks})
                   AND r.captured_at BETWEEN ? AND ? AND r.id <> ? AND {open}
                 ORDER BY r.captured_at DESC LIMIT {MAX_PLACE_CANDIDATES}"
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
                report: facts(tx, &report_id)?,
            })
        })
        .collect()
}

/// Stores the lookup keys of a filed report so later arrivals find it.
pub(crate) fn index_report(tx: &Transaction<'_>, f: &ReportFacts) -> StoreResult<()> {
    let id = f.report_id.to_string();
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO report_phash_keys (enterprise, key, report_id) VALUES (?1, ?2, ?3)",
    )?;
    for p in &f.photos {
        for k in keys::phash_keys(&p.phash) {
            stmt.execute(params![f.enterprise, k, id])?;
        }
    }
    let cell = f.location.as_ref().and_then(keys::location_cell);
    tx.execute(
        "UPDATE reports SET location_cell = ?2 WHERE id = ?1",
        params![id, cell],
    )?;
    Ok(())
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
            "SEARCH r USING INDEX reports_dedup_site (enterprise=? AND site_code=? AND captured_at>? AND captured_at<?)",
            "SEARCH r USING INDEX reports_dedup_cell (enterprise=? AND location_cell=? AND captured_at>? AND captured_at<?)",
        ];
        for (plan, first) in plans.iter().zip(expect) {
            assert_eq!(plan.first().map(String::as_str), Some(first), "{plan:?}");
        }
    }
}
