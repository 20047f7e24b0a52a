//! The open-entry index of deduplication (在办条目查重索引) on PostgreSQL: the candidate
//! lookup of filing as three index searches by enterprise, the facts scoring reads of a
//! candidate, and the check that the index agrees with the ledger. The twin of
//! `crate::sqlite::dedup`, with the same tables (`dedup_open_reports`, `dedup_open_photos`,
//! `dedup_open_keys`, `dedup_bands`) holding exactly the hazard reports of open entries.
//!
//! The index is kept by the PL/pgSQL triggers of migration 1 (`super::schema`), never by Rust
//! code, so every path that files, moves, closes, rejects, merges, splits or reopens, a repair
//! in plain SQL and a bulk copy (`migrate-store`) keep it true. One function,
//! `dedup_open_refresh(old enterprise, old id, new id)`, does what SQLite's refresh trigger
//! does: removes a report's rows, then adds them again from the report, its entry, its photo
//! links and the photos if the report is a hazard in an open entry, the band keys derived in
//! SQL from the stored hash (band `b` is `b << 16` joined with bytes `2b` and `2b + 1`,
//! big-endian, as `hazardsnap_dedup::keys::phash_keys`). The triggers call it directly where
//! SQLite's delegate by touching `reports.entry_id`: a change of a column the index copies
//! (`UPDATE OF` the same columns), a new report row in an entry, a new photo link, an entry's
//! number, an entry whose status crosses between open and not open. So no report row gets a
//! new version only to fire a trigger.
//!
//! SQLite has one writer; here transactions run side by side, so the triggers lock: every
//! refresh holds the report's row (`FOR NO KEY UPDATE`, or the row its statement changes) and
//! reads the entry `FOR SHARE`. A report joining an entry whose status another transaction
//! is changing waits for it and reads the status it committed; an entry's change that waited
//! for a report joining it sees that report (each statement of a trigger function takes a
//! fresh snapshot under `READ COMMITTED`). [`open_index_drift`] recomputes the index from
//! the ledger with the Rust definitions (`LedgerStatus::is_open`, `keys::phash_keys`).
//!
//! Which candidates are scored, with what caps, and what the score decides is the rules'
//! (`hazardsnap_ledger::rules::filing`, `hazardsnap_dedup`); this module only answers "which
//! reports of this enterprise's open entries share this key".

use std::collections::HashSet;

use hazardsnap_dedup::keys;
use hazardsnap_ledger::repo::query::CandidateQuery;
use hazardsnap_ledger::repo::rows::{CandidateHit, CandidateHits, StoredFacts};
use hazardsnap_ledger::rules::filing::location_cell;
use hazardsnap_ledger::{RepoError, RepoResult};
use hazardsnap_model::{Labelled, LedgerStatus, ReportSubmission};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::pg::{Pg, get};
use super::reports::fingerprint;
use super::sql::int;
use crate::sqlite::{from_json, parse_uuid, ts};

/// The hits of one candidate query (its SQL selects report id, entry id, entry number).
fn hits(rows: Vec<Row>) -> RepoResult<Vec<CandidateHit>> {
    rows.iter()
        .map(|r| {
            Ok(CandidateHit {
                report_id: parse_uuid(&get::<String>(r, 0)?)?,
                entry_id: parse_uuid(&get::<String>(r, 1)?)?,
                entry_number: get(r, 2)?,
            })
        })
        .collect()
}

/// The photo query: reports sharing a band key, newest received first, each once (as SQLite's
/// `DISTINCT`). Driven from the keys, always: the matching reports are found in the key index
/// and each is then read by its primary key (`LATERAL … OFFSET 0` keeps the planner from
/// turning it around). Left to the planner, a young district's stale statistics made it walk
/// every open report of the enterprise and probe the keys for each (60 ms a report at 900 open
/// reports in `benches/backends.rs`).
const BY_PHOTO: &str = "
    SELECT o.report_id, o.entry_id, o.entry_number
    FROM (SELECT DISTINCT k.report_id FROM dedup_open_keys k
          WHERE k.enterprise = ?1 AND k.key = ANY(?2) AND k.report_id <> ?3) m
    CROSS JOIN LATERAL (
        SELECT r.report_id, r.entry_id, r.entry_number, r.received_at
        FROM dedup_open_reports r
        WHERE r.enterprise = ?1 AND r.report_id = m.report_id
        OFFSET 0) o
    ORDER BY o.received_at DESC, o.report_id DESC LIMIT ?4";

/// The site query: reports at the site point captured in the window, newest first. The
/// `IS NOT NULL`s name the partial indexes' conditions, so the planner can always use them.
const BY_SITE: &str = "
    SELECT report_id, entry_id, entry_number FROM dedup_open_reports
    WHERE enterprise = ?1 AND site_code IS NOT NULL AND site_code = ?2
      AND captured_at BETWEEN ?3 AND ?4 AND report_id <> ?5
    ORDER BY captured_at DESC, report_id DESC LIMIT ?6";

/// The cell query: reports in the cells captured in the window, newest first.
const BY_CELL: &str = "
    SELECT report_id, entry_id, entry_number FROM dedup_open_reports
    WHERE enterprise = ?1 AND location_cell IS NOT NULL AND location_cell = ANY(?2)
      AND captured_at BETWEEN ?3 AND ?4 AND report_id <> ?5
    ORDER BY captured_at DESC, report_id DESC LIMIT ?6";

/// Runs `run` on each candidate query of `q` (SQL and arguments), `None` where the report
/// has no such key: by phash band, by site point, by location cell, each keyed by the
/// enterprise. Ties in time go to the larger (later made) report id, the order SQLite's
/// `WITHOUT ROWID` index gives the site query.
fn each_query<T>(
    q: &CandidateQuery,
    mut run: impl FnMut(&str, &[&(dyn ToSql + Sync)]) -> RepoResult<T>,
) -> RepoResult<[Option<T>; 3]> {
    let (lo, hi) = (ts(q.captured_within.0), ts(q.captured_within.1));
    let me = q.report_id.to_string();
    let (photo_cap, place_cap) = (int(q.max_by_photo as u64), int(q.max_by_place as u64));
    let by_photo = if q.phash_keys.is_empty() {
        None
    } else {
        Some(run(
            BY_PHOTO,
            &[&q.enterprise, &q.phash_keys, &me, &photo_cap],
        )?)
    };
    let by_site = match &q.site_code {
        Some(site) => Some(run(
            BY_SITE,
            &[&q.enterprise, site, &lo, &hi, &me, &place_cap],
        )?),
        None => None,
    };
    let by_cell = if q.location_cells.is_empty() {
        None
    } else {
        Some(run(
            BY_CELL,
            &[&q.enterprise, &q.location_cells, &lo, &hi, &me, &place_cap],
        )?)
    };
    Ok([by_photo, by_site, by_cell])
}

/// The candidate lookup.
pub(crate) fn candidates(pg: &mut Pg<'_>, q: &CandidateQuery) -> RepoResult<CandidateHits> {
    let [by_photo, by_site, by_cell] = each_query(q, |sql, args| hits(pg.query(sql, args)?))?;
    Ok(CandidateHits {
        by_photo: by_photo.unwrap_or_default(),
        by_site: by_site.unwrap_or_default(),
        by_cell: by_cell.unwrap_or_default(),
    })
}

/// What scoring needs of a candidate, from the open index: adjacent rows of one enterprise,
/// whatever the size of the ledger's history. A report not in the index is an error, as on
/// SQLite.
pub(crate) fn open_facts(
    pg: &mut Pg<'_>,
    enterprise: &str,
    report: Uuid,
) -> RepoResult<StoredFacts> {
    let id = report.to_string();
    let row = pg.query_one(
        "SELECT submission FROM dedup_open_reports WHERE enterprise = ?1 AND report_id = ?2",
        &[&enterprise, &id],
    )?;
    let submission: String = get(&row, 0)?;
    let photos = pg
        .query(
            "SELECT sha256, phash, scene FROM dedup_open_photos
             WHERE enterprise = ?1 AND report_id = ?2 ORDER BY position",
            &[&enterprise, &id],
        )?
        .iter()
        .map(|r| fingerprint(get(r, 0)?, get(r, 1)?, get(r, 2)?))
        .collect::<RepoResult<Vec<_>>>()?;
    Ok(StoredFacts {
        submission: from_json(&submission)?,
        photos,
    })
}

/// How the open index differs from what it should hold, one line per difference; empty when
/// it is true. What it should hold is computed afresh from the ledger's own tables, with the
/// open statuses taken from `LedgerStatus::is_open` and the band keys from
/// `hazardsnap_dedup::keys::phash_keys`, so the triggers' SQL is checked against the Rust it
/// restates. For tests and for an operator's check of a database; reads the whole index.
pub(crate) fn open_index_drift(pg: &mut Pg<'_>) -> RepoResult<Vec<String>> {
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
                       FROM dedup_open_reports"
        .to_owned();
    let expected_photos = format!(
        "SELECT r.enterprise, r.id, rp.position, p.sha256, p.phash, p.scene
         FROM reports r JOIN ledger_entries e ON e.id = r.entry_id
         JOIN report_photos rp ON rp.report_id = r.id JOIN photos p ON p.sha256 = rp.sha256
         WHERE r.kind = 'hazard' AND e.status IN ({open})"
    );
    let actual_photos = "SELECT enterprise, report_id, position, sha256, phash, scene
                         FROM dedup_open_photos"
        .to_owned();
    let mut drift = Vec::new();
    for (what, x, y) in [
        ("report missing", &expected_rows, &actual_rows),
        ("report extra or stale", &actual_rows, &expected_rows),
        ("photo missing", &expected_photos, &actual_photos),
        ("photo extra or stale", &actual_photos, &expected_photos),
    ] {
        for r in pg.query(&format!("SELECT * FROM ({x} EXCEPT {y}) AS d"), &[])? {
            let (enterprise, report): (String, String) = (get(&r, 0)?, get(&r, 1)?);
            drift.push(format!("{what}: {enterprise} {report}"));
        }
    }
    let mut want: HashSet<(String, i64, String)> = HashSet::new();
    for r in pg.query(
        "SELECT enterprise, report_id, phash FROM dedup_open_photos",
        &[],
    )? {
        let (enterprise, report, phash): (String, String, Vec<u8>) =
            (get(&r, 0)?, get(&r, 1)?, get(&r, 2)?);
        let phash: [u8; 32] = phash
            .try_into()
            .map_err(|_| RepoError::Corrupt(format!("report {report}: phash")))?;
        for k in keys::phash_keys(&phash) {
            want.insert((enterprise.clone(), k, report.clone()));
        }
    }
    let have = pg
        .query(
            "SELECT enterprise, key, report_id FROM dedup_open_keys",
            &[],
        )?
        .iter()
        .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?)))
        .collect::<RepoResult<HashSet<(String, i64, String)>>>()?;
    for (e, k, r) in want.difference(&have) {
        drift.push(format!("key missing: {e} {k} {r}"));
    }
    for (e, k, r) in have.difference(&want) {
        drift.push(format!("key extra: {e} {k} {r}"));
    }
    for r in pg.query(
        &format!(
            "SELECT r.id, r.submission, r.location_cell FROM reports r
             JOIN ledger_entries e ON e.id = r.entry_id
             WHERE r.kind = 'hazard' AND e.status IN ({open})"
        ),
        &[],
    )? {
        let (id, submission, cell): (String, String, Option<i64>) =
            (get(&r, 0)?, get(&r, 1)?, get(&r, 2)?);
        let s: ReportSubmission = serde_json::from_str(&submission)
            .map_err(|e| RepoError::Corrupt(format!("report {id}: {e}")))?;
        if location_cell(&s) != cell {
            drift.push(format!("location cell: {id} has {cell:?}"));
        }
    }
    Ok(drift)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;
    use std::time::Duration;

    use chrono::{TimeZone, Utc};

    use crate::postgres::pg::db;
    use hazardsnap_ledger::Repository;
    use hazardsnap_model::{Category, Location, ReportKind};
    use hazardsnap_photo::SceneSignature;
    use tokio_postgres::{Client, NoTls};

    use super::*;
    use crate::postgres::PgRepository;
    use crate::postgres::pg::placeholders;
    use crate::postgres::testing::{fresh_database, server_url};

    /// A fresh database with one town, two enterprises and a device; a plain client on it
    /// and the repository.
    struct Db {
        url: String,
        c: Client,
        repo: Arc<dyn Repository>,
    }

    async fn client(url: &str) -> Client {
        let (c, conn) = tokio_postgres::connect(url, NoTls).await.expect("connect");
        tokio::spawn(conn);
        c
    }

    async fn setup() -> Option<Db> {
        let server = server_url()?;
        let url = fresh_database(&server).await;
        let repo: Arc<dyn Repository> =
            Arc::new(PgRepository::connect(&url).await.expect("migrate"));
        let c = client(&url).await;
        c.batch_execute(
            "INSERT INTO towns (code, name) VALUES ('T01', 't');
             INSERT INTO enterprises (code, name, town, industry, private_sme)
                 VALUES ('E001', 'a', 'T01', 'x', 0), ('E002', 'b', 'T01', 'x', 0);
             INSERT INTO enrollment_codes (code, enterprise) VALUES ('C1', 'E001');
             INSERT INTO devices (id, token_sha256, enterprise, name, enrollment_code,
                                  enrolled_at)
                 VALUES ('d', '\\x00', 'E001', 'p', 'C1', 'x');",
        )
        .await
        .expect("organisation");
        Some(Db { url, c, repo })
    }

    impl Db {
        async fn sql(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> u64 {
            self.c.execute(sql, args).await.expect(sql)
        }

        /// An entry of E001 with number `E001-2026-000n`.
        async fn entry(&self, n: i64, status: &str) -> String {
            let id = Uuid::now_v7().to_string();
            self.sql(
                "INSERT INTO ledger_entries (id, number, enterprise, year, seq, status, severity,
                                             category, created_at, updated_at)
                 VALUES ($1, $2, 'E001', 2026, $3, $4, 'general', 'equipment_guarding', 'x',
                         'x')",
                &[&id, &format!("E001-2026-{n:04}"), &n, &status],
            )
            .await;
            id
        }

        async fn status(&self, entry: &str, status: &str) {
            self.sql(
                "UPDATE ledger_entries SET status = $2 WHERE id = $1",
                &[&entry, &status],
            )
            .await;
        }

        /// A photo (its sha256, its perceptual hash).
        async fn photo(&self, n: u8) -> (String, [u8; 32]) {
            let mut phash = [0u8; 32];
            for (i, b) in phash.iter_mut().enumerate() {
                *b = (i as u8).wrapping_mul(37).wrapping_add(n.wrapping_mul(101)) ^ 0xA5;
            }
            let sha = hex::encode([n; 32]);
            self.sql(
                "INSERT INTO photos (sha256, bytes, width, height, phash, scene, uploaded_at)
                 VALUES ($1, 1, 1, 1, $2, $3, 'x')",
                &[&sha, &&phash[..], &SceneSignature::default().to_bytes()],
            )
            .await;
            (sha, phash)
        }

        /// A report of E001 with its cell, in `entry` (or none), linked to `photos`.
        async fn report(
            &self,
            n: u8,
            entry: Option<&str>,
            kind: ReportKind,
            photos: &[&str],
        ) -> String {
            let s = submission(kind, n);
            let id = s.id.to_string();
            let loc = s.location.expect("placed");
            self.sql(
                "INSERT INTO reports (id, device_id, enterprise, kind, category, severity,
                                      anonymous, note, site_code, lat, lon, captured_at,
                                      received_at, content_sha256, submission, entry_id,
                                      location_cell)
                 VALUES ($1, 'd', 'E001', $2, 'equipment_guarding', 'general', 0, $3, $4, $5,
                         $6, $7, $7, 'c', $8, $9, $10)",
                &[
                    &id,
                    &kind.wire_name(),
                    &s.note,
                    &s.site_code,
                    &loc.lat,
                    &loc.lon,
                    &ts(s.captured_at),
                    &serde_json::to_string(&s).unwrap(),
                    &entry,
                    &location_cell(&s),
                ],
            )
            .await;
            for (i, sha) in photos.iter().enumerate() {
                self.link(&id, i as i64, sha).await;
            }
            id
        }

        async fn link(&self, report: &str, position: i64, sha: &str) {
            self.sql(
                "INSERT INTO report_photos (report_id, position, sha256) VALUES ($1, $2, $3)",
                &[&report, &position, &sha],
            )
            .await;
        }

        /// The index's reports: (enterprise, report, entry number).
        async fn indexed(&self) -> BTreeSet<(String, String, String)> {
            self.c
                .query(
                    "SELECT enterprise, report_id, entry_number FROM dedup_open_reports",
                    &[],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect()
        }

        async fn keys_of(&self, report: &str) -> BTreeSet<i64> {
            self.c
                .query(
                    "SELECT key FROM dedup_open_keys WHERE report_id = $1",
                    &[&report],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect()
        }

        async fn drift(&self) -> Vec<String> {
            self.repo
                .read(|tx| Ok(tx.integrity_problems()?))
                .await
                .expect("drift")
        }

        async fn no_drift(&self, after: &str) {
            assert_eq!(self.drift().await, Vec::<String>::new(), "after {after}");
        }
    }

    fn submission(kind: ReportKind, n: u8) -> ReportSubmission {
        ReportSubmission {
            id: Uuid::now_v7(),
            kind,
            category: Category::EquipmentGuarding,
            severity: hazardsnap_model::Severity::General,
            at_risk: vec![hazardsnap_model::AtRisk::Oneself],
            source: hazardsnap_model::CheckSource::WorkerCheck,
            note: "阀门泄漏".into(),
            captured_at: Utc.with_ymd_and_hms(2026, 3, 1, 8, n.into(), 0).unwrap(),
            photos: Vec::new(),
            location: Some(Location {
                lat: 36.8 + f64::from(n) * 0.01,
                lon: 117.87,
                accuracy_m: Some(10.0),
            }),
            site_code: Some("E001-P01".into()),
            workshop: None,
            team: None,
            anonymous: false,
        }
    }

    fn row(report: &str, number: i64) -> (String, String, String) {
        (
            "E001".into(),
            report.into(),
            format!("E001-2026-{number:04}"),
        )
    }

    fn rust_keys(hashes: &[[u8; 32]]) -> BTreeSet<i64> {
        hashes.iter().flat_map(keys::phash_keys).collect()
    }

    /// Entries driven through every status, merges, a split, reopenings, renumbering, moves
    /// between enterprises, new photo links and repairs, all in plain SQL: the triggers keep
    /// the index equal to what the Rust definitions compute from the ledger at every step.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_index_follows_every_change_made_in_sql() {
        let Some(db) = setup().await else { return };
        let e1 = db.entry(1, "pending_review").await;
        let e2 = db.entry(2, "closed").await;
        let e3 = db.entry(3, "rectifying").await;
        let ((p1, h1), (p2, h2), (p3, h3)) =
            (db.photo(1).await, db.photo(2).await, db.photo(3).await);
        let r1 = db
            .report(1, Some(&e1), ReportKind::Hazard, &[&p1, &p2])
            .await;
        let r2 = db.report(2, Some(&e2), ReportKind::Hazard, &[&p3]).await;
        let r3 = db.report(3, Some(&e3), ReportKind::Hazard, &[]).await;
        let _idea = db
            .report(4, Some(&e1), ReportKind::Suggestion, &[&p1])
            .await;
        let loose = db.report(5, None, ReportKind::Hazard, &[&p3]).await;
        db.no_drift("filing").await;
        assert_eq!(
            db.indexed().await,
            BTreeSet::from([row(&r1, 1), row(&r3, 3)])
        );
        assert_eq!(db.keys_of(&r1).await, rust_keys(&[h1, h2]));
        assert!(db.keys_of(&r3).await.is_empty(), "no photo, no key");

        // Every status, in and out of the open ones (a reopening among them).
        for s in LedgerStatus::ALL
            .iter()
            .chain(LedgerStatus::ALL.iter().rev())
        {
            db.status(&e1, s.wire_name()).await;
            let has = db.indexed().await.contains(&row(&r1, 1));
            assert_eq!(has, s.is_open(), "{s:?}");
            db.no_drift(s.wire_name()).await;
        }
        db.status(&e1, "pending_review").await;

        // Filing joins the loose report to an entry; a merge moves e3's reports into e1.
        db.sql(
            "UPDATE reports SET entry_id = $2 WHERE id = $1",
            &[&loose, &e3],
        )
        .await;
        assert!(db.indexed().await.contains(&row(&loose, 3)));
        assert_eq!(db.keys_of(&loose).await, rust_keys(&[h3]));
        db.sql(
            "UPDATE reports SET entry_id = $2 WHERE entry_id = $1",
            &[&e3, &e1],
        )
        .await;
        db.sql(
            "UPDATE ledger_entries SET status = 'merged', merged_into = $2 WHERE id = $1",
            &[&e3, &e1],
        )
        .await;
        assert_eq!(
            db.indexed().await,
            BTreeSet::from([row(&r1, 1), row(&r3, 1), row(&loose, 1)])
        );
        db.no_drift("merge").await;

        // A split takes r3 back into e3, reopened.
        db.sql(
            "UPDATE reports SET entry_id = $2 WHERE id = $1",
            &[&r3, &e3],
        )
        .await;
        db.sql(
            "UPDATE ledger_entries SET status = 'pending_review', merged_into = NULL
             WHERE id = $1",
            &[&e3],
        )
        .await;
        assert_eq!(
            db.indexed().await,
            BTreeSet::from([row(&r1, 1), row(&r3, 3), row(&loose, 1)])
        );
        db.no_drift("split").await;

        // Merged into a closed entry: no candidate; reopening that entry brings it back.
        db.sql(
            "UPDATE reports SET entry_id = $2 WHERE id = $1",
            &[&r1, &e2],
        )
        .await;
        assert!(!db.indexed().await.iter().any(|(_, r, _)| *r == r1));
        assert!(db.keys_of(&r1).await.is_empty());
        db.status(&e2, "rectifying").await;
        assert!(db.indexed().await.contains(&row(&r1, 2)));
        assert!(db.indexed().await.contains(&row(&r2, 2)));
        db.sql(
            "UPDATE reports SET entry_id = $2 WHERE id = $1",
            &[&r1, &e1],
        )
        .await;
        db.status(&e2, "closed").await;
        db.no_drift("closed merge").await;

        // A renumbered entry, a report moved to another enterprise and back, a new photo.
        db.sql(
            "UPDATE ledger_entries SET number = 'E001-2026-0009' WHERE id = $1",
            &[&e1],
        )
        .await;
        assert!(db.indexed().await.contains(&row(&r1, 9)));
        db.sql(
            "UPDATE reports SET enterprise = 'E002' WHERE id = $1",
            &[&r1],
        )
        .await;
        let indexed = db.indexed().await;
        assert!(indexed.contains(&("E002".into(), r1.clone(), "E001-2026-0009".into())));
        assert!(!indexed.contains(&row(&r1, 9)));
        db.no_drift("another enterprise").await;
        db.sql(
            "UPDATE reports SET enterprise = 'E001' WHERE id = $1",
            &[&r1],
        )
        .await;
        db.link(&r3, 0, &p2).await;
        assert_eq!(db.keys_of(&r3).await, rust_keys(&[h2]));
        db.no_drift("a photo").await;

        // Many entries in one statement.
        db.sql("UPDATE ledger_entries SET status = 'closed'", &[])
            .await;
        assert!(db.indexed().await.is_empty());
        db.sql(
            "UPDATE ledger_entries SET status = 'awaiting_verification' WHERE id = ANY($1)",
            &[&vec![e1.clone(), e3.clone()]],
        )
        .await;
        assert_eq!(
            db.indexed().await,
            BTreeSet::from([row(&r1, 9), row(&r3, 3), row(&loose, 9)])
        );
        db.no_drift("many").await;

        // A kind changed and back, a repair of a copied column, a cell only SQL got wrong.
        db.sql(
            "UPDATE reports SET kind = 'suggestion' WHERE id = $1",
            &[&r3],
        )
        .await;
        assert!(!db.indexed().await.contains(&row(&r3, 3)));
        db.sql("UPDATE reports SET kind = 'hazard' WHERE id = $1", &[&r3])
            .await;
        db.sql(
            "UPDATE reports SET captured_at = '2016-01-01T00:00:00.000Z' WHERE id = $1",
            &[&r1],
        )
        .await;
        db.no_drift("repairs").await;
        db.sql(
            "UPDATE reports SET location_cell = NULL WHERE id = $1",
            &[&r3],
        )
        .await;
        let drift = db.drift().await;
        assert_eq!(drift, [format!("location cell: {r3} has None")]);
        db.sql(
            "UPDATE reports SET location_cell = $2 WHERE id = $1",
            &[&r3, &location_cell(&submission(ReportKind::Hazard, 3))],
        )
        .await;
        db.no_drift("the end").await;
        assert_eq!(db.keys_of(&r1).await, rust_keys(&[h1, h2]));
    }

    /// Waits until a backend of this database waits for a lock; fails after ten seconds.
    async fn until_one_waits(observer: &Client) {
        for _ in 0..200 {
            let n: i64 = observer
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if n > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the second writer never waited for the first");
    }

    /// One transaction changes an entry's status while another moves a report in or out of
    /// it, in either order: the second waits for the first, and the index is true after
    /// both commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_leave_the_index_true() {
        let Some(db) = setup().await else { return };
        let e = db.entry(1, "pending_review").await;
        let other = db.entry(2, "pending_review").await;
        let (p, _) = db.photo(1).await;
        let r = db.report(1, Some(&other), ReportKind::Hazard, &[&p]).await;
        let observer = client(&db.url).await;

        // The entry closes first; the report moves into it meanwhile.
        let (c1, c2) = (client(&db.url).await, client(&db.url).await);
        c1.batch_execute("BEGIN").await.unwrap();
        c1.execute(
            "UPDATE ledger_entries SET status = 'closed' WHERE id = $1",
            &[&e],
        )
        .await
        .unwrap();
        let (re, rr) = (e.clone(), r.clone());
        let mover = tokio::spawn(async move {
            c2.batch_execute("BEGIN").await.unwrap();
            c2.execute(
                "UPDATE reports SET entry_id = $1 WHERE id = $2",
                &[&re, &rr],
            )
            .await
            .unwrap();
            c2.batch_execute("COMMIT").await.unwrap();
        });
        until_one_waits(&observer).await;
        c1.batch_execute("COMMIT").await.unwrap();
        mover.await.unwrap();
        assert!(db.indexed().await.is_empty());
        db.no_drift("close, then move in").await;

        // The report moves in first; the entry closes meanwhile.
        db.status(&e, "pending_review").await;
        db.sql(
            "UPDATE reports SET entry_id = $2 WHERE id = $1",
            &[&r, &other],
        )
        .await;
        let (c1, c2) = (client(&db.url).await, client(&db.url).await);
        c2.batch_execute("BEGIN").await.unwrap();
        c2.execute("UPDATE reports SET entry_id = $1 WHERE id = $2", &[&e, &r])
            .await
            .unwrap();
        let ce = e.clone();
        let closer = tokio::spawn(async move {
            c1.batch_execute("BEGIN").await.unwrap();
            c1.execute(
                "UPDATE ledger_entries SET status = 'closed' WHERE id = $1",
                &[&ce],
            )
            .await
            .unwrap();
            c1.batch_execute("COMMIT").await.unwrap();
        });
        until_one_waits(&observer).await;
        c2.batch_execute("COMMIT").await.unwrap();
        closer.await.unwrap();
        assert!(db.indexed().await.is_empty());
        db.no_drift("move in, then close").await;

        // The report moves out to an open entry while its entry reopens.
        let (c1, c2) = (client(&db.url).await, client(&db.url).await);
        c2.batch_execute("BEGIN").await.unwrap();
        c2.execute(
            "UPDATE reports SET entry_id = $1 WHERE id = $2",
            &[&other, &r],
        )
        .await
        .unwrap();
        let ce = e.clone();
        let opener = tokio::spawn(async move {
            c1.batch_execute("BEGIN").await.unwrap();
            c1.execute(
                "UPDATE ledger_entries SET status = 'rectifying' WHERE id = $1",
                &[&ce],
            )
            .await
            .unwrap();
            c1.batch_execute("COMMIT").await.unwrap();
        });
        until_one_waits(&observer).await;
        c2.batch_execute("COMMIT").await.unwrap();
        opener.await.unwrap();
        assert_eq!(db.indexed().await, BTreeSet::from([row(&r, 2)]));
        db.no_drift("move out, reopen").await;
    }

    /// The logs take new rows and refuse every change and removal, as SQLite's triggers do.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_logs_are_append_only() {
        let Some(db) = setup().await else { return };
        let e = db.entry(1, "pending_review").await;
        let r = db.report(1, Some(&e), ReportKind::Hazard, &[]).await;
        db.sql(
            "INSERT INTO entry_history (entry_id, action, to_status, at)
             VALUES ($1, 'filed', 'pending_review', 'x')",
            &[&e],
        )
        .await;
        db.sql(
            "INSERT INTO report_events (report_id, device_id, status, at)
             VALUES ($1, 'd', 'filed', 'x')",
            &[&r],
        )
        .await;
        db.sql(
            "INSERT INTO reveal_audit (report_id, actor, reason, at) VALUES ($1, 'a', 'r', 'x')",
            &[&r],
        )
        .await;
        db.sql(
            "INSERT INTO supervision_draws (id, seed, n, actor, at, candidates, result)
             VALUES ('x', '1', 1, 'a', 'x', '[]', '[]')",
            &[],
        )
        .await;
        for (table, column) in [
            ("entry_history", "action"),
            ("report_events", "status"),
            ("reveal_audit", "reason"),
            ("supervision_draws", "result"),
        ] {
            for sql in [
                format!("UPDATE {table} SET {column} = {column}"),
                format!("DELETE FROM {table}"),
                format!("TRUNCATE {table}"),
            ] {
                let e = db.c.batch_execute(&sql).await.expect_err(&sql);
                let message = e.as_db_error().map(|d| d.message().to_owned());
                assert_eq!(message, Some(format!("{table} is append-only")), "{sql}");
            }
            let n: i64 =
                db.c.query_one(&format!("SELECT count(*) FROM {table}"), &[])
                    .await
                    .unwrap()
                    .get(0);
            assert_eq!(n, 1, "{table}");
        }
    }

    /// The three candidate queries on a district's worth of open entries (statistics
    /// gathered): each reads indexes by enterprise, none scans a table.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn candidate_queries_search_indexes_by_enterprise() {
        let Some(db) = setup().await else { return };
        db.c.batch_execute(
            "INSERT INTO enterprises (code, name, town, industry, private_sme)
                 SELECT 'E' || (100 + i), 'x', 'T01', 'x', 0 FROM generate_series(0, 49) i;
             INSERT INTO ledger_entries (id, number, enterprise, year, seq, status, severity,
                                         category, created_at, updated_at)
                 SELECT 'e' || i, 'N' || i, 'E' || (100 + i % 50), 2026, i,
                        CASE WHEN i % 3 = 0 THEN 'closed' ELSE 'rectifying' END, 'general',
                        'x', 'x', 'x'
                 FROM generate_series(1, 6000) i;
             INSERT INTO photos (sha256, bytes, width, height, phash, scene, uploaded_at)
                 SELECT md5(i::text) || md5((-i)::text), 1, 1, 1,
                        decode(md5(i::text) || md5((i + 1)::text), 'hex'), '\\x', 'x'
                 FROM generate_series(1, 6000) i;
             INSERT INTO reports (id, device_id, enterprise, kind, category, severity,
                                  anonymous, note, site_code, captured_at, received_at,
                                  content_sha256, submission, entry_id, location_cell)
                 SELECT 'r' || i, 'd', 'E' || (100 + i % 50), 'hazard', 'x', 'general', 0, '',
                        'S' || (i % 7),
                        to_char(timestamp '2026-01-01' + i * interval '1 minute',
                                'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                        to_char(timestamp '2026-01-01' + i * interval '1 minute',
                                'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                        'c', '{}', 'e' || i, 1000 + i % 40
                 FROM generate_series(1, 6000) i;
             INSERT INTO report_photos (report_id, position, sha256)
                 SELECT 'r' || i, 0, md5(i::text) || md5((-i)::text)
                 FROM generate_series(1, 6000) i;
             ANALYZE;",
        )
        .await
        .unwrap();
        let open: i64 =
            db.c.query_one("SELECT count(*) FROM dedup_open_reports", &[])
                .await
                .unwrap()
                .get(0);
        assert_eq!(open, 4000);
        let q = CandidateQuery {
            enterprise: "E117".into(),
            report_id: Uuid::now_v7(),
            phash_keys: keys::phash_keys(&[0x5A; 32]),
            site_code: Some("S3".into()),
            location_cells: (1000..1009).collect(),
            captured_within: (
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 1, 3, 0, 0, 0).unwrap(),
            ),
            max_by_photo: 256,
            max_by_place: 64,
        };
        let plans = each_query(&q, |sql, args| {
            let sql = format!("EXPLAIN {}", placeholders(sql));
            let rows = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(db.c.query(&sql, args))
            })
            .map_err(db_err)?;
            Ok(rows
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<Vec<_>>())
        })
        .unwrap();
        for plan in plans.iter().flatten() {
            let text = plan.join("\n");
            assert!(!text.contains("Seq Scan"), "a table scan:\n{text}");
            assert!(
                text.contains("Index Cond: ((enterprise = 'E117'"),
                "not a lookup by enterprise:\n{text}"
            );
        }
    }

    fn db_err(e: tokio_postgres::Error) -> RepoError {
        db(e)
    }
}
