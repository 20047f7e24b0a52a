//! Ingest throughput of the embedded default (one SQLite file, WAL, synchronous=FULL), over
//! real HTTP on loopback: reports per second at several batch sizes, and photo uploads (~400 KB
//! JPEGs, hashed and fully decoded by the server) per second.
//!
//! Run: `cargo bench -p hazardsnap-server --bench ingest` (optional argument: reports per
//! batch-size run, default 3000). Results go to `server/BENCH.md` by hand.

use std::time::Instant;

use chrono::Utc;
use hazardsnap_model::{
    AtRisk, Category, CheckSource, EnrollResponse, PROTOCOL_VERSION, PhotoRef, ReportKind,
    ReportSubmission, Severity, SubmitOutcome, SubmitResults,
};
use hazardsnap_server::{Config, Server};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const ROSTER: &str = r#"
[district]
name = "周村区"
[[towns]]
code = "T01"
name = "丝绸路街道"
[[enterprises]]
code = "E001"
name = "某化工有限公司"
town = "T01"
industry = "hazardous_chemicals"
[[enrollment_codes]]
code = "E001-JOIN-BENCH"
enterprise = "E001"
"#;

fn photo(seed: u32, w: u32, h: u32) -> Vec<u8> {
    // Noise-like content so the JPEG is photo-sized (~400 KB at 1600×1200).
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let mut v =
            x.wrapping_mul(374761393) ^ y.wrapping_mul(668265263) ^ seed.wrapping_mul(2246822519);
        v = (v ^ (v >> 13)).wrapping_mul(1274126177);
        let base = ((x / 40 + y / 40 + seed) % 7 * 30) as u8;
        image::Rgb([
            base.wrapping_add((v & 0x3f) as u8),
            base,
            base.wrapping_add(((v >> 8) & 0x3f) as u8),
        ])
    });
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    img.write_with_encoder(enc).expect("encode");
    out
}

fn report(photo: &PhotoRef) -> ReportSubmission {
    ReportSubmission {
        id: Uuid::now_v7(),
        kind: ReportKind::Hazard,
        category: Category::EquipmentGuarding,
        severity: Severity::General,
        at_risk: vec![AtRisk::Oneself],
        source: CheckSource::WorkerCheck,
        note: "液氯储罐区阀门泄漏，地面有积液".into(),
        captured_at: Utc::now(),
        photos: vec![photo.clone()],
        location: None,
        site_code: Some("E001-P01".into()),
        workshop: Some("一车间".into()),
        team: Some("甲班".into()),
        anonymous: false,
    }
}

#[tokio::main]
async fn main() {
    let per_run: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::new()
    };
    config.device_rate_per_sec = std::num::NonZeroU32::new(1_000_000).expect("nz");
    config.device_burst = std::num::NonZeroU32::new(1_000_000).expect("nz");
    let server = Server::bind(config).await.expect("bind");
    hazardsnap_server::org::import_roster_text(server.state().store.as_ref(), ROSTER)
        .await
        .expect("roster");
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server.run(std::future::pending()));
    let http = reqwest::Client::new();
    let e: EnrollResponse = http
        .post(format!("{base}/api/v1/enroll"))
        .json(&serde_json::json!({"code": "E001-JOIN-BENCH", "device_name": "bench"}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("enroll body");

    // Photos.
    let photos: Vec<Vec<u8>> = (0..40).map(|i| photo(i, 1280, 960)).collect();
    let total_bytes: usize = photos.iter().map(Vec::len).sum();
    let t = Instant::now();
    for p in &photos {
        let sha = hex::encode(Sha256::digest(p));
        let r = http
            .put(format!("{base}/api/v1/photos/{sha}"))
            .bearer_auth(&e.token)
            .body(p.clone())
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 201);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "photo upload (sequential, one connection): {} photos, mean {:.0} KB: {:.1} photos/s, {:.1} MB/s",
        photos.len(),
        total_bytes as f64 / photos.len() as f64 / 1024.0,
        photos.len() as f64 / secs,
        total_bytes as f64 / secs / 1e6
    );

    let first = &photos[0];
    let pref = PhotoRef {
        sha256: hex::encode(Sha256::digest(first)),
        bytes: first.len() as u64,
        width: 1280,
        height: 960,
        phash: None,
    };
    println!("report ingest, {per_run} reports per row (each a new ledger entry):");
    println!("| batch size | reports/s | ms per batch |");
    println!("| ---: | ---: | ---: |");
    for batch in [1usize, 10, 50, 100] {
        let n = if batch == 1 {
            per_run.min(500)
        } else {
            per_run
        };
        let reports: Vec<_> = (0..n).map(|_| report(&pref)).collect();
        let t = Instant::now();
        for chunk in reports.chunks(batch) {
            let res: SubmitResults = http
                .post(format!("{base}/api/v1/reports"))
                .bearer_auth(&e.token)
                .json(&serde_json::json!({"version": PROTOCOL_VERSION, "reports": chunk}))
                .send()
                .await
                .expect("submit")
                .json()
                .await
                .expect("results");
            assert!(
                res.results
                    .iter()
                    .all(|r| r.outcome == SubmitOutcome::Accepted)
            );
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "| {batch} | {:.0} | {:.2} |",
            n as f64 / secs,
            secs * 1000.0 / (n as f64 / batch as f64)
        );
    }

    // Re-sending (the phone lost the answers): idempotent path.
    let reports: Vec<_> = (0..per_run).map(|_| report(&pref)).collect();
    for chunk in reports.chunks(100) {
        let _: SubmitResults = http
            .post(format!("{base}/api/v1/reports"))
            .bearer_auth(&e.token)
            .json(&serde_json::json!({"version": PROTOCOL_VERSION, "reports": chunk}))
            .send()
            .await
            .expect("submit")
            .json()
            .await
            .expect("results");
    }
    let t = Instant::now();
    for chunk in reports.chunks(100) {
        let res: SubmitResults = http
            .post(format!("{base}/api/v1/reports"))
            .bearer_auth(&e.token)
            .json(&serde_json::json!({"version": PROTOCOL_VERSION, "reports": chunk}))
            .send()
            .await
            .expect("submit")
            .json()
            .await
            .expect("results");
        assert!(
            res.results
                .iter()
                .all(|r| r.outcome == SubmitOutcome::AlreadyAccepted)
        );
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "re-send of {per_run} already accepted reports, batches of 100: {:.0} reports/s",
        per_run as f64 / secs
    );
}
