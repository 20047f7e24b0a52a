//! The generated district of the server's scale benchmarks (基准测试用的区县): N ledger
//! entries over √N enterprises with their history, statuses, reports, photos, site points and
//! roster, bulk-loaded with the schema's own SQL and cached under
//! `$CARGO_TARGET_DIR/dedup-scale/`. Shared by `dedup_scale.rs` (which describes the district
//! in full) and `pages.rs`, each including it with `#[path = "district/mod.rs"] mod district;`.
//! A change here changes both benchmarks' data: the cache stamp is the schema version only.

// Each benchmark uses a part of what is here.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use hazardsnap_dedup::keys;
use hazardsnap_ledger::{CheckedReport, Ledger, Settings};
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
pub const CHUNK: usize = 50_000;
/// Site points per enterprise.
pub const SITES: usize = 10;
/// Keypoints per generated scene signature (a real photo has up to 320; see the notes).
pub const KEYPOINTS: usize = 32;

pub const CATEGORIES: [&str; 8] = [
    "rules",
    "standard_work",
    "equipment_guarding",
    "ppe",
    "fixed_position",
    "key_points",
    "occupational_health",
    "other",
];
pub const NOTES: [&str; 12] = [
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
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for c in b.chunks_exact_mut(8) {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        b
    }
}

/// One size of the benchmark.
#[derive(Clone, Copy)]
pub struct Scale {
    pub entries: usize,
    pub enterprises: usize,
}

impl Scale {
    pub fn new(entries: usize) -> Scale {
        let enterprises = ((entries as f64).sqrt().round() as usize).max(1);
        Scale {
            entries,
            enterprises,
        }
    }
    pub fn span(&self) -> Duration {
        Duration::seconds((self.entries as f64 / self.enterprises as f64 * 86_400.0) as i64)
    }
}

pub fn end_of_history() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("valid date")
}

pub fn enterprise_code(e: usize) -> String {
    format!("E{:04}", e + 1)
}

pub fn site_code(e: usize, p: usize) -> String {
    format!("{}-P{:02}", enterprise_code(e), p + 1)
}

/// Site points ~130 m apart within an enterprise, enterprises ~1.3 km apart.
pub fn site_position(e: usize, p: usize) -> (f64, f64) {
    (
        36.70 + (e / 40) as f64 * 0.012 + (p / 5) as f64 * 0.0012,
        117.80 + (e % 40) as f64 * 0.015 + (p % 5) as f64 * 0.0015,
    )
}

pub fn roster(scale: Scale) -> String {
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

pub fn device_id(e: usize) -> Uuid {
    Uuid::from_u128(0xD0D0_0000_0000_4000_8000_0000_0000_0000 | e as u128)
}

/// A valid scene signature of random keypoints (the stored form `SceneSignature::to_bytes`).
pub fn scene_bytes(rng: &mut Rng) -> Vec<u8> {
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

pub fn flip_bits(phash: &[u8; 32], bits: usize, rng: &mut Rng) -> [u8; 32] {
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
pub struct Photo {
    pub sha256: String,
    pub phash: [u8; 32],
    pub scene: Vec<u8>,
}

impl Photo {
    pub fn random(phash: [u8; 32], rng: &mut Rng) -> Photo {
        Photo {
            sha256: hex::encode(rng.bytes32()),
            phash,
            scene: scene_bytes(rng),
        }
    }
    pub fn reference(&self) -> PhotoRef {
        PhotoRef {
            sha256: self.sha256.clone(),
            bytes: 400_000,
            width: 1600,
            height: 1200,
            phash: None,
        }
    }
    pub fn fingerprint(&self) -> Fingerprint {
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
pub struct Generated {
    pub submission: ReportSubmission,
    pub photo: Photo,
}

pub fn v7_at(t: DateTime<Utc>, rng: &mut Rng) -> Uuid {
    // The phone makes the id at capture: a UUIDv7 of the capture time; random low bits.
    let ms = t.timestamp_millis().max(0) as u128;
    let rand = (rng.next() as u128) << 64 | rng.next() as u128;
    let bits = (ms << 80) | (rand & ((1u128 << 80) - 1));
    let bits = (bits & !(0xF << 76)) | (0x7 << 76);
    let bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    Uuid::from_u128(bits)
}

#[allow(clippy::too_many_arguments)]
pub fn submission(
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

pub fn near(e: usize, p: usize, rng: &mut Rng) -> Location {
    let (lat, lon) = site_position(e, p);
    // ±25 m of jitter, inside the site point's 50 m geofence.
    Location {
        lat: lat + (rng.unit() - 0.5) * 0.00045,
        lon: lon + (rng.unit() - 0.5) * 0.00056,
        accuracy_m: Some(10.0),
    }
}

/// A new hazard at enterprise `e`, captured at `t`.
pub fn new_hazard(e: usize, t: DateTime<Utc>, rng: &mut Rng) -> Generated {
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
pub fn duplicate_of(
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

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The status of an entry opened `age` ago: recent ones are still being handled, old ones are
/// closed or rejected but for a few overdue.
pub fn status_for(age: Duration, rng: &mut Rng) -> &'static str {
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
pub fn insert_report(
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
pub fn build(rt: &tokio::runtime::Runtime, scale: Scale, path: &Path) -> anyhow::Result<()> {
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
pub fn build_floor(district: &Path, floor: &Path) -> anyhow::Result<()> {
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

/// Reads a file once, so that its pages are in the OS page cache.
pub fn warm(path: &Path) -> std::io::Result<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 8 << 20];
    while f.read(&mut buf)? > 0 {}
    Ok(())
}

/// `$CARGO_TARGET_DIR`, or the target directory this bench binary was built into.
pub fn target_dir() -> PathBuf {
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(t);
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The cached district of one size, as [`ensure_cached`] leaves it.
pub struct Cached {
    /// The district's database (never written by a benchmark that copies it).
    pub district: PathBuf,
    /// `dedup_scale`'s floor table of the same reports.
    pub floor: PathBuf,
    /// How long building took, when this call built it.
    pub build: Option<StdDuration>,
}

/// The cached district of `scale` under `cache`, built first when missing, when built by
/// another schema version, or when `rebuild` is asked.
pub fn ensure_cached(
    rt: &tokio::runtime::Runtime,
    scale: Scale,
    cache: &Path,
    rebuild: bool,
) -> anyhow::Result<Cached> {
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
    Ok(Cached {
        district: cached,
        floor: cached_floor,
        build: build_time,
    })
}
