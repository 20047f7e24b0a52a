//! Ingest throughput of the embedded default (one SQLite file, WAL, synchronous=FULL), over
//! real HTTP on loopback: reports per second at several batch sizes, and photo uploads (~400 KB
//! JPEGs, hashed and fully decoded by the server) per second.
//!
//! Run: `cargo bench -p hazardsnap-server --bench ingest` (optional argument: reports per
//! batch-size run, default 3000). Results go to `server/BENCH.md` by hand.

use std::time::Instant;

use chrono::Utc;
use hazardsnap_model::{
    AtRisk, Category, CheckSource, PROTOCOL_VERSION, PhotoRef, ReportKind, ReportSubmission,
    Severity, SubmitOutcome, SubmitResults,
};
use uuid::Uuid;

// The tests' server start-up and roster (E001 with site point E001-P01, 一车间 / 甲班).
#[allow(unused_imports)]
#[path = "../tests/common/mod.rs"]
mod common;

use common::{TestServer, sha256_hex};

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
    let server = TestServer::start_in(tempfile::tempdir().expect("tempdir"), |config| {
        config.device_rate_per_sec = std::num::NonZeroU32::new(1_000_000).expect("nz");
        config.device_burst = std::num::NonZeroU32::new(1_000_000).expect("nz");
    })
    .await;
    let (base, http) = (server.base.clone(), server.http.clone());
    let e = server.enroll("E001-JOIN-7H3K").await;

    // Photos.
    let photos: Vec<Vec<u8>> = (0..40).map(|i| photo(i, 1280, 960)).collect();
    let total_bytes: usize = photos.iter().map(Vec::len).sum();
    let t = Instant::now();
    for p in &photos {
        let sha = sha256_hex(p);
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

    // Every report its own small photo of its own scene, uploaded before the clock starts:
    // reports that all share one photo are one hazard, and filing would merge them all into a
    // single entry instead of measuring what the heading says.
    let mut seed = 10_000u32;
    let mut photographed = async |n: usize| -> Vec<PhotoRef> {
        let mut refs = Vec::with_capacity(n);
        for _ in 0..n {
            seed += 1;
            let p = common::encode(&common::scene(seed, 160, 120), 85);
            let r = server.put_photo(&e.token, &p).await;
            assert!(r.status().is_success(), "photo upload {}", r.status());
            refs.push(common::photo_ref(&p, 160, 120));
        }
        refs
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
        let reports: Vec<_> = photographed(n).await.iter().map(report).collect();
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
    let reports: Vec<_> = photographed(per_run).await.iter().map(report).collect();
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
