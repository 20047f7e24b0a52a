//! Deduplication at scale on the server's real SQL path (查重规模基准): candidate lookup and
//! ingest throughput with 10 000 and 1 000 000 entries in the ledgers, next to the floor of a
//! plain indexed insert of the same report rows.
//!
//! Run: `cargo bench -p hazardsnap-server --bench dedup_scale` (10 000 and 1 000 000);
//! `-- --quick` for 10 000 and 100 000; `-- --rebuild` to rebuild the cached databases.
//! Results go to `server/BENCH-dedup.md` by hand.
//!
//! The district: N entries over √N enterprises (100 at 10 k, 1 000 at 1 M), each enterprise
//! filing about one entry a day at 10 site points, so the ledgers hold N/√N days of history
//! (100 days at 10 k, 1 000 at 1 M). A bigger ledger is a bigger district with a longer past,
//! not more hazards per site point per day: that is what a ledger of a million entries is in
//! life, and it keeps the candidate set of one arriving report alike at both sizes, so the
//! comparison measures the index, not a different workload. Entries older than two months are
//! almost all closed; about 2 % stay open (overdue). One entry in ten holds a second, merged
//! report. Fingerprints are random but valid (a 256-bit perceptual hash, a 32-keypoint scene
//! signature); the schema's triggers keep the dedup index of open entries (keys, facts) as
//! filing leaves it.
//!
//! The database is bulk-loaded with the schema's own SQL (one transaction per 50 000 entries,
//! durability off while loading) and cached under `$CARGO_TARGET_DIR/dedup-scale/`; a run works
//! on a copy, except above 1 GiB, where it works in place and says how many earlier runs have
//! ingested into the cache.
//!
//! Measured, per size, in one run:
//! - candidate lookup: `SqliteRepository::lookup_candidates_blocking`, the very function filing runs
//!   when a report arrives, for arriving duplicates of open entries and for new hazards;
//! - ingest: `Ledger::submit_reports` (the service under `POST /api/v1/reports`, without the
//!   HTTP layer), batches of 100, dedup on, half duplicates and half new hazards;
//! - floor: the same report rows inserted into a table of the same columns with one index, in
//!   transactions of 100 with the store's pragmas.

use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use hazardsnap_dedup::ReportFacts;
use hazardsnap_ledger::{CheckedReport, Device, Ledger, Settings};
use hazardsnap_model::{Labelled, ReportSubmission};
use hazardsnap_server::sqlite::SqliteRepository;
use rusqlite::{Connection, params};
use uuid::Uuid;

// The district: its generator, bulk loader and cache, shared with the pages benchmark.
#[path = "district/mod.rs"]
mod district;

use district::{
    Generated, Rng, Scale, device_id, duplicate_of, end_of_history, enterprise_code, new_hazard,
    target_dir, ts, warm,
};

/// Lookups timed per kind, after [`WARMUP`] untimed ones.
const LOOKUPS: usize = 1_000;
const WARMUP: usize = 200;
/// Reports ingested per size, and per batch.
const INGEST: usize = 2_000;
const BATCH: usize = 100;
/// Above this size the cached database is benchmarked in place rather than copied.
const IN_PLACE_BYTES: u64 = 1 << 30;

fn facts(g: &Generated, enterprise: &str) -> ReportFacts {
    let s = &g.submission;
    ReportFacts {
        report_id: s.id,
        enterprise: enterprise.to_owned(),
        kind: s.kind,
        category: s.category,
        site_code: s.site_code.clone(),
        location: s.location,
        captured_at: s.captured_at,
        note: s.note.clone(),
        photos: vec![g.photo.fingerprint()],
    }
}

/// Reports of open entries captured in the last 30 days, with their photo's hash: what an
/// arriving duplicate duplicates.
fn recent_open(
    conn: &Connection,
    n: usize,
) -> anyhow::Result<Vec<(String, ReportSubmission, [u8; 32])>> {
    let mut stmt = conn.prepare(
        "SELECT r.enterprise, r.submission, p.phash FROM reports r
         JOIN ledger_entries e ON e.id = r.entry_id
         JOIN report_photos rp ON rp.report_id = r.id AND rp.position = 0
         JOIN photos p ON p.sha256 = rp.sha256
         WHERE e.status IN ('pending_review', 'rectifying', 'awaiting_verification')
           AND r.captured_at >= ?1
         ORDER BY random() LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(
            params![ts(end_of_history() - Duration::days(30)), n as i64],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(e, s, p)| {
            let s: ReportSubmission = serde_json::from_str(&s)?;
            let p: [u8; 32] = p
                .try_into()
                .map_err(|_| anyhow::anyhow!("phash of 32 bytes"))?;
            Ok((e, s, p))
        })
        .collect()
}

fn enterprise_index(code: &str) -> usize {
    code[1..].parse::<usize>().map(|n| n - 1).unwrap_or(0)
}

/// Median and 99th percentile.
fn quantiles(mut d: Vec<StdDuration>) -> (StdDuration, StdDuration) {
    d.sort();
    let at = |q: f64| d[((d.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Lookups of one kind, as they are timed.
#[derive(Default)]
struct Lookups {
    times: Vec<StdDuration>,
    candidates: usize,
    with_original: usize,
    original_found: usize,
}

impl Lookups {
    /// Times `lookups` through the server's candidate lookup.
    fn time(
        &mut self,
        store: &SqliteRepository,
        lookups: &[(ReportFacts, Option<Uuid>)],
    ) -> anyhow::Result<()> {
        for (f, original) in lookups {
            let t = Instant::now();
            let c =
                store.lookup_candidates_blocking(f, &hazardsnap_dedup::DedupConfig::default())?;
            self.times.push(t.elapsed());
            self.candidates += c.len();
            if let Some(o) = original {
                self.with_original += 1;
                if c.iter().any(|c| c.report.report_id == *o) {
                    self.original_found += 1;
                }
            }
        }
        Ok(())
    }
    fn median_p99(&self) -> (StdDuration, StdDuration) {
        quantiles(self.times.clone())
    }
    fn per_lookup(&self) -> f64 {
        self.candidates as f64 / self.times.len().max(1) as f64
    }
    fn found(&self) -> f64 {
        self.original_found as f64 / self.with_original.max(1) as f64
    }
}

/// One size, ready to be measured.
struct Prepared {
    entries: usize,
    reports: u64,
    open: i64,
    key_rows: i64,
    db_mib: f64,
    build: Option<StdDuration>,
    earlier_ingests: usize,
    in_place: bool,
    work: PathBuf,
    work_floor: PathBuf,
    now: DateTime<Utc>,
    store: SqliteRepository,
    ledger: Ledger,
    floor: Connection,
    dups: Vec<(ReportFacts, Option<Uuid>)>,
    news: Vec<(ReportFacts, Option<Uuid>)>,
    ingest: Vec<(usize, Generated)>,
    dup: Lookups,
    new: Lookups,
    ingest_time: StdDuration,
    entries_before: u64,
    floor_time: StdDuration,
}

fn prepare(
    rt: &tokio::runtime::Runtime,
    scale: Scale,
    cache: &Path,
    rebuild: bool,
) -> anyhow::Result<Prepared> {
    let n = scale.entries;
    let district::Cached {
        district: cached,
        floor: cached_floor,
        build: build_time,
    } = district::ensure_cached(rt, scale, cache, rebuild)?;
    // A copy keeps the cache pristine; a database of gigabytes is used in place instead (the
    // shared build machine has not the disk for two): see `restore`.
    let in_place = std::fs::metadata(&cached)?.len() > IN_PLACE_BYTES;
    let ingested_mark = cache.join(format!("district-{n}.ingested"));
    let earlier_ingests: usize = if in_place {
        std::fs::read_to_string(&ingested_mark)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    } else {
        0
    };
    if in_place {
        // Counted before use: a run that fails half-way must not make the next one resend.
        std::fs::write(&ingested_mark, format!("{}\n", earlier_ingests + 1))?;
    }
    let (work, work_floor) = if in_place {
        (cached.clone(), cached_floor.clone())
    } else {
        let work = cache.join(format!("work-{n}.sqlite3"));
        let work_floor = cache.join(format!("work-floor-{n}.sqlite3"));
        for p in [&work, &work_floor] {
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
        }
        std::fs::copy(&cached, &work)?;
        std::fs::copy(&cached_floor, &work_floor)?;
        (work, work_floor)
    };
    let db_mib = std::fs::metadata(&work)?.len() as f64 / (1 << 20) as f64;

    // A new seed per in-place run: its ingest must not resend the reports of the last one.
    let mut rng = Rng(0xB0B0 ^ n as u64 ^ ((earlier_ingests as u64) << 40));
    let conn = Connection::open(&work)?;
    let open: i64 = conn.query_row(
        "SELECT count(*) FROM ledger_entries
         WHERE status IN ('pending_review', 'rectifying', 'awaiting_verification')",
        [],
        |r| r.get(0),
    )?;
    let key_rows: i64 = conn.query_row("SELECT count(*) FROM dedup_open_keys", [], |r| r.get(0))?;
    let reports: i64 = conn.query_row("SELECT count(*) FROM reports", [], |r| r.get(0))?;
    let originals = recent_open(&conn, LOOKUPS + WARMUP + INGEST / 2)?;
    anyhow::ensure!(
        originals.len() == LOOKUPS + WARMUP + INGEST / 2,
        "too few open entries"
    );

    // Lookups: duplicates of filed open entries (2–30 h later), and new hazards of the last day.
    let dups: Vec<(ReportFacts, Option<Uuid>)> = originals[..LOOKUPS + WARMUP]
        .iter()
        .map(|(e, s, p)| {
            let later = Duration::hours(2 + rng.below(28) as i64);
            let g = duplicate_of(s, p, later, &mut rng);
            (facts(&g, e), Some(s.id))
        })
        .collect();
    let news: Vec<(ReportFacts, Option<Uuid>)> = (0..LOOKUPS + WARMUP)
        .map(|_| {
            let e = rng.below(scale.enterprises);
            let t = end_of_history() - Duration::minutes(rng.below(1440) as i64);
            (
                facts(&new_hazard(e, t, &mut rng), &enterprise_code(e)),
                None,
            )
        })
        .collect();

    // Ingest material: half duplicates of other open entries, half new hazards; photos stored
    // beforehand as the upload route would (not timed).
    let now = end_of_history() + Duration::hours(1);
    let mut ingest: Vec<(usize, Generated)> = originals[LOOKUPS + WARMUP..]
        .iter()
        .map(|(e, s, p)| {
            let later = Duration::hours(2 + rng.below(28) as i64);
            (enterprise_index(e), duplicate_of(s, p, later, &mut rng))
        })
        .collect();
    for _ in 0..INGEST / 2 {
        let e = rng.below(scale.enterprises);
        let t = end_of_history() - Duration::minutes(rng.below(1440) as i64);
        ingest.push((e, new_hazard(e, t, &mut rng)));
    }
    // Shuffle (Fisher–Yates) so every batch mixes both.
    for i in (1..ingest.len()).rev() {
        let j = rng.below(i + 1);
        ingest.swap(i, j);
    }
    drop(conn);
    {
        let mut c = Connection::open(&work)?;
        let tx = c.transaction()?;
        for (_, g) in &ingest {
            tx.execute(
                "INSERT INTO photos (sha256, bytes, width, height, phash, scene, uploaded_at)
                 VALUES (?1, 400000, 1600, 1200, ?2, ?3, ?4)",
                params![g.photo.sha256, &g.photo.phash[..], g.photo.scene, ts(now)],
            )?;
        }
        tx.commit()?;
    }
    // Warm: a server that has been running holds its database in the OS page cache; a run
    // straight after building (or after other jobs pushed it out) would time the disk instead.
    for p in [&work, &work_floor] {
        warm(p)?;
    }
    let store = SqliteRepository::open(&work)?;
    let ledger = Ledger::new(std::sync::Arc::new(store.clone()), Settings::default());
    let floor = Connection::open(&work_floor)?;
    floor.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )?;
    let mut p = Prepared {
        entries: n,
        reports: reports as u64,
        open,
        key_rows,
        db_mib,
        build: build_time,
        earlier_ingests,
        in_place,
        work,
        work_floor,
        now,
        store,
        ledger,
        floor,
        dups,
        news,
        ingest,
        dup: Lookups::default(),
        new: Lookups::default(),
        ingest_time: StdDuration::ZERO,
        entries_before: 0,
        floor_time: StdDuration::ZERO,
    };
    // Warm-up lookups, not timed.
    let mut scratch = Lookups::default();
    scratch.time(&p.store, &p.dups[..WARMUP])?;
    scratch.time(&p.store, &p.news[..WARMUP])?;
    p.entries_before = rt.block_on(p.ledger.counts())?.ledger_entries;
    Ok(p)
}

/// One round of lookups on one size: a slice of the lookups of each kind.
fn lookup_round(p: &mut Prepared, r: usize, rounds: usize) -> anyhow::Result<()> {
    let per = LOOKUPS / rounds;
    let slice = WARMUP + r * per..WARMUP + (r + 1) * per;
    p.dup.time(&p.store, &p.dups[slice.clone()])?;
    p.new.time(&p.store, &p.news[slice])?;
    Ok(())
}

/// One round of ingest and floor batches on one size.
fn ingest_round(
    rt: &tokio::runtime::Runtime,
    p: &mut Prepared,
    r: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    let per = INGEST / rounds;
    let batches = &p.ingest[r * per..(r + 1) * per];
    let t = Instant::now();
    for batch in batches.chunks(BATCH) {
        let device = Device {
            id: device_id(batch[0].0),
            enterprise: enterprise_code(batch[0].0),
        };
        let reports: Vec<CheckedReport> = batch
            .iter()
            .map(|(_, g)| CheckedReport::new(g.submission.clone()))
            .collect();
        let res = rt.block_on(p.ledger.submit_reports(device, reports, p.now))?;
        anyhow::ensure!(
            res.iter()
                .all(|r| r.outcome == hazardsnap_model::SubmitOutcome::Accepted),
            "every report accepted"
        );
    }
    p.ingest_time += t.elapsed();

    // Floor: the same rows, one index, the store's pragmas, transactions of 100.
    let t = Instant::now();
    for batch in batches.chunks(BATCH) {
        let tx = p.floor.transaction()?;
        for (e, g) in batch {
            let s = &g.submission;
            let checked = CheckedReport::new(s.clone());
            tx.prepare_cached(
                "INSERT INTO floor_reports (id, device_id, enterprise, kind, category, severity,
                     anonymous, note, site_code, workshop, team, lat, lon, captured_at,
                     received_at, content_sha256, submission)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                s.id.to_string(),
                device_id(*e).to_string(),
                enterprise_code(*e),
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
                ts(p.now),
                checked.content_sha256,
                serde_json::to_string(s)?,
            ])?;
        }
        tx.commit()?;
    }
    p.floor_time += t.elapsed();
    Ok(())
}

/// Reports merged by the ingest.
fn merged(rt: &tokio::runtime::Runtime, p: &Prepared) -> anyhow::Result<u64> {
    let after = rt.block_on(p.ledger.counts())?.ledger_entries;
    Ok(p.ingest.len() as u64 - (after - p.entries_before))
}

/// Leaves the cache as the next run expects it: a copy is deleted; a database used in place
/// gets the ingested reports moved ten years back and the entries they opened closed, so that the next
/// run finds the same open entries in its time window (the rows stay, as closed history).
fn restore(p: Prepared) -> anyhow::Result<()> {
    let Prepared {
        store,
        ledger,
        floor,
        work,
        work_floor,
        in_place,
        now,
        ..
    } = p;
    drop(ledger);
    drop(store);
    drop(floor);
    if in_place {
        let mut c = Connection::open(&work)?;
        let tx = c.transaction()?;
        let old = ts(end_of_history() - Duration::days(3650));
        // Only the entries the ingest opened: a duplicate merged into an older entry leaves
        // that entry as it was.
        tx.execute(
            "UPDATE ledger_entries SET status = 'closed' WHERE created_at = ?1",
            [ts(now)],
        )?;
        tx.execute(
            "UPDATE reports SET captured_at = ?2 WHERE received_at = ?1",
            params![ts(now), old],
        )?;
        tx.commit()?;
    } else {
        for p in [&work, &work_floor] {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
        }
    }
    Ok(())
}

fn us(d: StdDuration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let rebuild = args.iter().any(|a| a == "--rebuild");
    let sizes: &[usize] = if quick {
        &[10_000, 100_000]
    } else {
        &[10_000, 1_000_000]
    };
    let cache = target_dir().join("dedup-scale");
    std::fs::create_dir_all(&cache)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut prepared = Vec::new();
    for &n in sizes {
        prepared.push(prepare(&rt, Scale::new(n), &cache, rebuild)?);
    }
    for p in &prepared {
        println!(
            "{} entries: {} reports, {} open entries, {} open-index key rows, database {:.0} MiB{}{}",
            p.entries,
            p.reports,
            p.open,
            p.key_rows,
            p.db_mib,
            p.build
                .map(|b| format!(", built in {:.0} s", b.as_secs_f64()))
                .unwrap_or_else(|| ", cached".into()),
            if p.in_place {
                format!(" (in place, after {} earlier runs)", p.earlier_ingests)
            } else {
                String::new()
            }
        );
    }
    // The sizes take turns, round by round, so that both see the same load on a shared box.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average before: {}", load.trim());
    const ROUNDS: usize = 5;
    // Lookups first: the ingest adds entries that later lookups would see.
    for r in 0..ROUNDS {
        for p in prepared.iter_mut() {
            lookup_round(p, r, ROUNDS)?;
        }
    }
    for r in 0..ROUNDS {
        for p in prepared.iter_mut() {
            ingest_round(&rt, p, r, ROUNDS)?;
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average after: {}", load.trim());
    println!();
    println!(
        "| entries | lookup dup median | dup p99 | candidates (dup) | original found | lookup new median | new p99 | candidates (new) | ingest reports/s | merged | floor reports/s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    for p in &prepared {
        let (dm, d99) = p.dup.median_p99();
        let (nm, n99) = p.new.median_p99();
        let ingest = p.ingest.len() as f64 / p.ingest_time.as_secs_f64();
        let floor = p.ingest.len() as f64 / p.floor_time.as_secs_f64();
        println!(
            "| {} | {:.0} µs | {:.0} µs | {:.1} | {:.1} % | {:.0} µs | {:.0} µs | {:.1} | {:.0} | {} / {} | {:.0} |",
            p.entries,
            us(dm),
            us(d99),
            p.dup.per_lookup(),
            p.dup.found() * 100.0,
            us(nm),
            us(n99),
            p.new.per_lookup(),
            ingest,
            merged(&rt, p)?,
            p.ingest.len(),
            floor
        );
        rows.push((p.entries, us(dm), us(d99), us(nm), us(n99), ingest, floor));
    }
    if let [a, b] = &rows[..] {
        println!();
        println!("ratios {} / {} (goal ≤ 2):", b.0, a.0);
        println!(
            "  lookup dup median {:.2}, p99 {:.2}; lookup new median {:.2}, p99 {:.2}",
            b.1 / a.1,
            b.2 / a.2,
            b.3 / a.3,
            b.4 / a.4
        );
        println!(
            "  ingest time per report {:.2}; floor time per row {:.2}",
            a.5 / b.5,
            a.6 / b.6
        );
    }
    for p in prepared {
        restore(p)?;
    }
    Ok(())
}
