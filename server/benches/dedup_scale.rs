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

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use hazardsnap_dedup::{ReportFacts, keys};
use hazardsnap_ledger::{CheckedReport, Device, Ledger, Settings};
use hazardsnap_model::{
    AtRisk, Category, CheckSource, Labelled, Location, PhotoRef, ReportKind, ReportSubmission,
    Severity,
};
use hazardsnap_photo::{Fingerprint, SceneSignature};
use hazardsnap_server::sqlite::SqliteRepository;
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Entries loaded per transaction.
const CHUNK: usize = 50_000;
/// Site points per enterprise.
const SITES: usize = 10;
/// Keypoints per generated scene signature (a real photo has up to 320; see the notes).
const KEYPOINTS: usize = 32;
/// Lookups timed per kind, after [`WARMUP`] untimed ones.
const LOOKUPS: usize = 1_000;
const WARMUP: usize = 200;
/// Reports ingested per size, and per batch.
const INGEST: usize = 2_000;
const BATCH: usize = 100;
/// Above this size the cached database is benchmarked in place rather than copied.
const IN_PLACE_BYTES: u64 = 1 << 30;

const CATEGORIES: [&str; 8] = [
    "rules",
    "standard_work",
    "equipment_guarding",
    "ppe",
    "fixed_position",
    "key_points",
    "occupational_health",
    "other",
];
const NOTES: [&str; 12] = [
    "液氯储罐区阀门泄漏，地面有积液",
    "二号车间冲床防护罩缺失",
    "配电箱门未关闭，线路裸露",
    "消防通道被货物堵塞",
    "叉车司机未系安全带",
    "高处作业未挂安全带",
    "脚手架护栏松动",
    "灭火器压力不足",
    "员工未佩戴防护眼镜",
    "粉尘浓度高，除尘器不工作",
    "化学品未分类存放",
    "楼梯扶手断裂",
];

/// A small deterministic generator (SplitMix64): reproducible districts without caring about
/// a crate's sampling API.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn bytes32(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for c in b.chunks_exact_mut(8) {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        b
    }
}

/// One size of the benchmark.
#[derive(Clone, Copy)]
struct Scale {
    entries: usize,
    enterprises: usize,
}

impl Scale {
    fn new(entries: usize) -> Scale {
        let enterprises = ((entries as f64).sqrt().round() as usize).max(1);
        Scale {
            entries,
            enterprises,
        }
    }
    fn span(&self) -> Duration {
        Duration::seconds((self.entries as f64 / self.enterprises as f64 * 86_400.0) as i64)
    }
}

fn end_of_history() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("valid date")
}

fn enterprise_code(e: usize) -> String {
    format!("E{:04}", e + 1)
}

fn site_code(e: usize, p: usize) -> String {
    format!("{}-P{:02}", enterprise_code(e), p + 1)
}

/// Site points ~130 m apart within an enterprise, enterprises ~1.3 km apart.
fn site_position(e: usize, p: usize) -> (f64, f64) {
    (
        36.70 + (e / 40) as f64 * 0.012 + (p / 5) as f64 * 0.0012,
        117.80 + (e % 40) as f64 * 0.015 + (p % 5) as f64 * 0.0015,
    )
}

fn roster(scale: Scale) -> String {
    let mut t = String::from("[district]\nname = \"周村区\"\n");
    for town in 0..10 {
        t += &format!(
            "[[towns]]\ncode = \"T{:02}\"\nname = \"街道{town}\"\n",
            town + 1
        );
    }
    for e in 0..scale.enterprises {
        let code = enterprise_code(e);
        let sites: Vec<String> = (0..SITES)
            .map(|p| {
                let (lat, lon) = site_position(e, p);
                format!(
                    "{{ code = \"{}\", name = \"点位{p}\", lat = {lat:.6}, lon = {lon:.6}, radius_m = 50 }}",
                    site_code(e, p)
                )
            })
            .collect();
        t += &format!(
            "[[enterprises]]\ncode = \"{code}\"\nname = \"企业{e}\"\ntown = \"T{:02}\"\nindustry = \"chemicals\"\nprivate_sme = true\nsite_points = [{}]\n",
            e % 10 + 1,
            sites.join(", ")
        );
        t += &format!("[[enrollment_codes]]\ncode = \"{code}-JOIN\"\nenterprise = \"{code}\"\n");
    }
    t
}

fn device_id(e: usize) -> Uuid {
    Uuid::from_u128(0xD0D0_0000_0000_4000_8000_0000_0000_0000 | e as u128)
}

/// A valid scene signature of random keypoints (the stored form `SceneSignature::to_bytes`).
fn scene_bytes(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(10 + KEYPOINTS * 38);
    out.extend_from_slice(b"HSS1");
    out.extend_from_slice(&480u16.to_le_bytes());
    out.extend_from_slice(&360u16.to_le_bytes());
    out.extend_from_slice(&(KEYPOINTS as u16).to_le_bytes());
    for _ in 0..KEYPOINTS {
        out.extend_from_slice(&((rng.below(448) + 16) as u16 * 16).to_le_bytes());
        out.extend_from_slice(&((rng.below(328) + 16) as u16 * 16).to_le_bytes());
        out.push(rng.below(256) as u8);
        out.push(rng.below(4) as u8);
        out.extend_from_slice(&rng.bytes32());
    }
    out
}

fn flip_bits(phash: &[u8; 32], bits: usize, rng: &mut Rng) -> [u8; 32] {
    let mut h = *phash;
    let mut flipped = Vec::new();
    while flipped.len() < bits {
        let b = rng.below(256);
        if !flipped.contains(&b) {
            flipped.push(b);
            h[b / 8] ^= 1 << (b % 8);
        }
    }
    h
}

/// A photo as the server stores it.
struct Photo {
    sha256: String,
    phash: [u8; 32],
    scene: Vec<u8>,
}

impl Photo {
    fn random(phash: [u8; 32], rng: &mut Rng) -> Photo {
        Photo {
            sha256: hex::encode(rng.bytes32()),
            phash,
            scene: scene_bytes(rng),
        }
    }
    fn reference(&self) -> PhotoRef {
        PhotoRef {
            sha256: self.sha256.clone(),
            bytes: 400_000,
            width: 1600,
            height: 1200,
            phash: None,
        }
    }
    fn fingerprint(&self) -> Fingerprint {
        let mut sha256 = [0u8; 32];
        hex::decode_to_slice(&self.sha256, &mut sha256).expect("generated hex");
        Fingerprint {
            sha256,
            phash: self.phash,
            scene: SceneSignature::from_bytes(&self.scene).expect("generated scene"),
        }
    }
}

/// A report being generated: what the phone sent and the photo behind it.
struct Generated {
    submission: ReportSubmission,
    photo: Photo,
}

fn v7_at(t: DateTime<Utc>, rng: &mut Rng) -> Uuid {
    // The phone makes the id at capture: a UUIDv7 of the capture time; random low bits.
    let ms = t.timestamp_millis().max(0) as u128;
    let rand = (rng.next() as u128) << 64 | rng.next() as u128;
    let bits = (ms << 80) | (rand & ((1u128 << 80) - 1));
    let bits = (bits & !(0xF << 76)) | (0x7 << 76);
    let bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    Uuid::from_u128(bits)
}

#[allow(clippy::too_many_arguments)]
fn submission(
    id: Uuid,
    category: &str,
    note: &str,
    site: Option<String>,
    location: Option<Location>,
    captured_at: DateTime<Utc>,
    photo: &Photo,
    major: bool,
) -> ReportSubmission {
    ReportSubmission {
        id,
        kind: ReportKind::Hazard,
        category: Category::from_wire(category).expect("known category"),
        severity: if major {
            Severity::Major
        } else {
            Severity::General
        },
        at_risk: vec![AtRisk::Oneself],
        source: CheckSource::WorkerCheck,
        note: note.to_owned(),
        captured_at,
        photos: vec![photo.reference()],
        location,
        site_code: site,
        workshop: Some("一车间".into()),
        team: Some("甲班".into()),
        anonymous: false,
    }
}

fn near(e: usize, p: usize, rng: &mut Rng) -> Location {
    let (lat, lon) = site_position(e, p);
    // ±25 m of jitter, inside the site point's 50 m geofence.
    Location {
        lat: lat + (rng.unit() - 0.5) * 0.00045,
        lon: lon + (rng.unit() - 0.5) * 0.00056,
        accuracy_m: Some(10.0),
    }
}

/// A new hazard at enterprise `e`, captured at `t`.
fn new_hazard(e: usize, t: DateTime<Utc>, rng: &mut Rng) -> Generated {
    let p = rng.below(SITES);
    let site = rng.chance(0.8).then(|| site_code(e, p));
    let location = rng.chance(0.9).then(|| near(e, p, rng));
    let photo = Photo::random(rng.bytes32(), rng);
    let s = submission(
        v7_at(t, rng),
        CATEGORIES[rng.below(CATEGORIES.len())],
        NOTES[rng.below(NOTES.len())],
        site,
        location,
        t,
        &photo,
        rng.chance(0.05),
    );
    Generated {
        submission: s,
        photo,
    }
}

/// Another worker's report of the same hazard: the photo re-encoded (12 phash bits off), the
/// same place, category and note, `later` after the original.
fn duplicate_of(
    orig: &ReportSubmission,
    phash: &[u8; 32],
    later: Duration,
    rng: &mut Rng,
) -> Generated {
    let photo = Photo::random(flip_bits(phash, 12, rng), rng);
    let t = orig.captured_at + later;
    let location = orig.location.map(|l| Location {
        lat: l.lat + (rng.unit() - 0.5) * 0.0001,
        lon: l.lon + (rng.unit() - 0.5) * 0.0001,
        accuracy_m: l.accuracy_m,
    });
    let s = submission(
        v7_at(t, rng),
        orig.category.wire_name(),
        &orig.note,
        orig.site_code.clone(),
        location,
        t,
        &photo,
        false,
    );
    Generated {
        submission: s,
        photo,
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

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

/// The status of an entry opened `age` ago: recent ones are still being handled, old ones are
/// closed or rejected but for a few overdue.
fn status_for(age: Duration, rng: &mut Rng) -> &'static str {
    let d = age.num_days();
    let u = rng.unit();
    let (open, closed) = match d {
        0..7 => (1.0, 0.0),
        7..30 => (0.6, 0.35),
        30..60 => (0.15, 0.8),
        _ => (0.02, 0.93),
    };
    if u < open {
        match rng.below(3) {
            0 if d < 14 => "pending_review",
            2 if d >= 7 => "awaiting_verification",
            _ => "rectifying",
        }
    } else if u < open + closed {
        "closed"
    } else {
        "rejected"
    }
}

/// Inserts a report row and its photo as ingest and filing leave them (entry set, keys
/// written).
fn insert_report(
    tx: &rusqlite::Transaction<'_>,
    g: &Generated,
    enterprise: &str,
    device: &Uuid,
    entry_id: &str,
    received_at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let s = &g.submission;
    let id = s.id.to_string();
    let checked = CheckedReport::new(s.clone());
    tx.prepare_cached(
        "INSERT INTO photos (sha256, bytes, width, height, phash, scene, uploaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        g.photo.sha256,
        400_000i64,
        1600,
        1200,
        &g.photo.phash[..],
        g.photo.scene,
        ts(received_at)
    ])?;
    tx.prepare_cached(
        "INSERT INTO reports (id, device_id, enterprise, kind, category, severity, anonymous,
                              note, site_code, workshop, team, lat, lon, captured_at,
                              received_at, content_sha256, submission, entry_id, location_cell)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19)",
    )?
    .execute(params![
        id,
        device.to_string(),
        enterprise,
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
        ts(received_at),
        checked.content_sha256,
        serde_json::to_string(s).expect("serialisable"),
        entry_id,
        s.location.as_ref().and_then(keys::location_cell),
    ])?;
    // The schema's triggers put the report into the dedup index of open entries when its
    // entry is open, as filing does.
    tx.prepare_cached(
        "INSERT INTO report_photos (report_id, position, sha256) VALUES (?1, 0, ?2)",
    )?
    .execute(params![id, g.photo.sha256])?;
    Ok(())
}

/// Builds the district's database at `path` (roster through the store, ledgers bulk-loaded).
fn build(rt: &tokio::runtime::Runtime, scale: Scale, path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    rt.block_on(async {
        let ledger = Ledger::new(
            std::sync::Arc::new(SqliteRepository::open(path)?),
            Settings::default(),
        );
        hazardsnap_server::org::import_roster_text(&ledger, &roster(scale)).await?;
        anyhow::Ok(())
    })?;
    let mut conn = Connection::open(path)?;
    // Loading only: no fsync, no rollback journal, a large cache. Rows are consistent by
    // construction, so the foreign keys are not checked row by row.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;
         PRAGMA cache_size = -1000000;",
    )?;
    {
        let tx = conn.transaction()?;
        for e in 0..scale.enterprises {
            tx.execute(
                "INSERT INTO devices (id, token_sha256, enterprise, name, enrollment_code, enrolled_at)
                 VALUES (?1, ?2, ?3, '手机', ?4, ?5)",
                params![
                    device_id(e).to_string(),
                    &Sha256::digest(device_id(e).as_bytes())[..],
                    enterprise_code(e),
                    format!("{}-JOIN", enterprise_code(e)),
                    ts(end_of_history() - scale.span() - Duration::days(1))
                ],
            )?;
        }
        tx.commit()?;
    }
    let mut rng = Rng(scale.entries as u64);
    let end = end_of_history();
    let span = scale.span();
    let mut seqs: std::collections::HashMap<(usize, i32), i64> = Default::default();
    let mut k = 0;
    while k < scale.entries {
        let tx = conn.transaction()?;
        for _ in 0..CHUNK.min(scale.entries - k) {
            let created = end - span
                + Duration::milliseconds(
                    (span.num_milliseconds() as f64 * (k + 1) as f64 / scale.entries as f64) as i64,
                );
            let e = rng.below(scale.enterprises);
            let code = enterprise_code(e);
            let first = new_hazard(
                e,
                created - Duration::minutes(rng.below(120) as i64),
                &mut rng,
            );
            let year = (created + Duration::hours(8)).year();
            let seq = seqs.entry((e, year)).or_insert(0);
            *seq += 1;
            let entry_id = v7_at(created, &mut rng).to_string();
            let status = status_for(end - created, &mut rng);
            let s = &first.submission;
            tx.prepare_cached(
                "INSERT INTO ledger_entries (id, number, enterprise, year, seq, status, severity,
                                             category, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            )?
            .execute(params![
                entry_id,
                format!("{code}-{year}-{seq:04}"),
                code,
                year,
                *seq,
                status,
                s.severity.wire_name(),
                s.category.wire_name(),
                ts(created)
            ])?;
            tx.prepare_cached(
                "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
                 VALUES (?1, 'reported', NULL, NULL, 'pending_review', ?2, ?3)",
            )?
            .execute(params![entry_id, s.id.to_string(), ts(created)])?;
            insert_report(&tx, &first, &code, &device_id(e), &entry_id, created)?;
            if k % 10 == 9 {
                let later = Duration::minutes(30 + rng.below(150) as i64);
                let dup = duplicate_of(s, &first.photo.phash, later, &mut rng);
                let d = (e + 1 + rng.below(scale.enterprises)) % scale.enterprises;
                insert_report(&tx, &dup, &code, &device_id(d), &entry_id, created + later)?;
            }
            k += 1;
        }
        tx.commit()?;
        eprint!("\r  loaded {k} / {} entries", scale.entries);
    }
    eprintln!();
    {
        let tx = conn.transaction()?;
        for ((e, year), last) in &seqs {
            tx.execute(
                "INSERT INTO number_sequences (enterprise, year, series, last) VALUES (?1, ?2, 'H', ?3)",
                params![enterprise_code(*e), year, last],
            )?;
        }
        tx.commit()?;
    }
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}

/// The floor: a table of the report columns with one index (its primary key), filled with the
/// same rows as the district's reports.
fn build_floor(district: &Path, floor: &Path) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(floor);
    let conn = Connection::open(district)?;
    conn.execute("ATTACH DATABASE ?1 AS f", [floor.display().to_string()])?;
    conn.execute_batch(
        "PRAGMA f.journal_mode = OFF; PRAGMA f.synchronous = OFF;
         CREATE TABLE f.floor_reports (
            id TEXT PRIMARY KEY, device_id TEXT NOT NULL, enterprise TEXT NOT NULL,
            kind TEXT NOT NULL, category TEXT NOT NULL, severity TEXT NOT NULL,
            anonymous INTEGER NOT NULL, note TEXT NOT NULL, site_code TEXT, workshop TEXT,
            team TEXT, lat REAL, lon REAL, captured_at TEXT NOT NULL, received_at TEXT NOT NULL,
            content_sha256 TEXT NOT NULL, submission TEXT NOT NULL
         ) STRICT;
         INSERT INTO f.floor_reports SELECT id, device_id, enterprise, kind, category, severity,
            anonymous, note, site_code, workshop, team, lat, lon, captured_at, received_at,
            content_sha256, submission FROM main.reports ORDER BY id;
         PRAGMA f.journal_mode = WAL;",
    )?;
    Ok(())
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
    let cached = cache.join(format!("district-{n}.sqlite3"));
    let cached_floor = cache.join(format!("floor-{n}.sqlite3"));
    let done = cache.join(format!("district-{n}.done"));
    let mut build_time = None;
    // A cache built by another schema version is rebuilt, not migrated: the bench measures
    // the layout a fresh district of this release has.
    let stamp = format!(
        "built schema {}\n",
        hazardsnap_server::sqlite::schema::latest_version()
    );
    if rebuild || std::fs::read_to_string(&done).ok().as_deref() != Some(stamp.as_str()) {
        let _ = std::fs::remove_file(&done);
        let _ = std::fs::remove_file(cache.join(format!("district-{n}.ingested")));
        eprintln!(
            "building {n} entries over {} enterprises…",
            scale.enterprises
        );
        let t = Instant::now();
        build(rt, scale, &cached)?;
        build_floor(&cached, &cached_floor)?;
        build_time = Some(t.elapsed());
        std::fs::write(&done, &stamp)?;
        eprintln!("  built in {:.0} s", t.elapsed().as_secs_f64());
    }
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

/// Reads a file once, so that its pages are in the OS page cache.
fn warm(path: &Path) -> std::io::Result<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 8 << 20];
    while f.read(&mut buf)? > 0 {}
    Ok(())
}

/// `$CARGO_TARGET_DIR`, or the target directory this bench binary was built into.
fn target_dir() -> PathBuf {
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(t);
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target"))
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
