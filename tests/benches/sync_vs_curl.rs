//! The phone core's sync against `curl` (同步与 curl 对比), over loopback to a fresh in-process
//! server each time: 1 000 reports with one ~400 KB photo each (the size *after* the core's
//! pipeline, which re-encodes), captured into a phone store beforehand (not timed).
//!
//! Timed, each on its own fresh server:
//! - (a) `HazardCore::sync` of the whole outbox: photos (HEAD then PUT), reports in batches,
//!   the change feed. Report ingest throughput (reports/s) is measured inside the same sync,
//!   from the progress callbacks: the time between a batch's last photo and its reports' answer.
//! - (b) `curl` uploading the same stored photo files (`PUT /api/v1/photos/{sha256}` with the
//!   device's Bearer token): one `curl` process for all files over keep-alive (`--config`
//!   listing every upload; the fair, strong form), and a loop of one `curl` process per file.
//!
//! Run: `cargo bench -p hazardsnap-server --bench sync_vs_curl [-- REPORTS [RUNS]]`
//! (defaults 1000 and 3). Prints medians, the ratio and MB/s; results go to `BENCHMARKS.md` by
//! hand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hazardsnap_core::{
    CaptureRequest, HazardCore, PhotoSource, Progress, ProgressListener, ProgressStage,
    ReportContent, SyncOptions,
};
use hazardsnap_model::Category;
use hazardsnap_photo::PipelineConfig;

/// The test roster's enrollment code of enterprise E001.
const CODE: &str = "E001-JOIN-7H3K";
/// The stored size the issue asks for.
const TARGET_BYTES: usize = 400 * 1024;

// The tests' scene generator: every seed is a different hazard (its own objects, colours and
// layout), as 1 000 reports of a real district are, so filing compares each with the few
// look-alikes a real ledger has rather than with every earlier report.
#[allow(unused_imports)]
#[path = "../../server/tests/common/mod.rs"]
mod common;

use common::TestServer;

/// A 1280×960 photo of hazard `seed`: a generated scene under sensor noise of `amp`, which
/// sets the JPEG's size.
fn photo(seed: u32, amp: u32) -> Vec<u8> {
    let (w, h) = (1280u32, 960u32);
    let scene = common::scene(seed, w, h);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let mut v = x.wrapping_mul(374_761_393)
            ^ y.wrapping_mul(668_265_263)
            ^ seed.wrapping_mul(2_246_822_519);
        v = (v ^ (v >> 13)).wrapping_mul(1_274_126_177);
        let noise = |shift: u32| ((v >> shift) % (amp + 1)) as i32 - (amp / 2) as i32;
        let p = scene.get_pixel(x, y).0;
        image::Rgb([
            (i32::from(p[0]) + noise(0)).clamp(0, 255) as u8,
            (i32::from(p[1]) + noise(8)).clamp(0, 255) as u8,
            (i32::from(p[2]) + noise(16)).clamp(0, 255) as u8,
        ])
    });
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
    img.write_with_encoder(enc).expect("encode");
    out
}

/// The noise amplitude whose photo comes out of the core's pipeline near [`TARGET_BYTES`].
fn calibrate(cfg: &PipelineConfig) -> (u32, usize) {
    let stored = |amp| {
        hazardsnap_photo::process(&photo(1, amp), cfg)
            .expect("pipeline")
            .stored
            .len()
    };
    let (mut lo, mut hi) = (0u32, 255u32);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if stored(mid) < TARGET_BYTES {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (hi, stored(hi))
}

/// A fresh server with the tests' roster on `work`.
async fn server(work: &Path) -> TestServer {
    let data = tempfile::tempdir_in(work).expect("tempdir");
    TestServer::start_in(data, |config| {
        // Both contenders send about a thousand requests back to back; the production rate
        // limit would measure itself, not them.
        config.device_rate_per_sec = std::num::NonZeroU32::new(1_000_000).expect("nonzero");
        config.device_burst = std::num::NonZeroU32::new(1_000_000).expect("nonzero");
    })
    .await
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// Progress events with their times, to cut the sync into its photo and report phases.
#[derive(Default)]
struct Timeline(Mutex<Vec<(ProgressStage, Instant)>>);

impl ProgressListener for Timeline {
    fn on_progress(&self, p: Progress) {
        if let Ok(mut v) = self.0.lock() {
            v.push((p.stage, Instant::now()));
        }
    }
}

impl Timeline {
    /// Time spent sending report batches: from the event before each `SendingReports` event
    /// (the batch's last photo, or the previous batch) to it.
    fn reports_time(&self) -> Duration {
        let v = self.0.lock().map(|v| v.clone()).unwrap_or_default();
        v.windows(2)
            .filter(|w| w[1].0 == ProgressStage::SendingReports)
            .map(|w| w[1].1 - w[0].1)
            .sum()
    }
}

struct SyncRun {
    total: Duration,
    reports: Duration,
}

async fn run_sync(template: &Path, work: &Path, n: usize) -> SyncRun {
    let server = server(work).await;
    let phone = tempfile::tempdir_in(work).expect("tempdir");
    copy_dir(template, phone.path());
    let core = HazardCore::open_with(phone.path(), PipelineConfig::default())
        .await
        .expect("open");
    core.enroll(server.base.clone(), CODE.into(), "bench".into())
        .await
        .expect("enroll");
    let timeline = Arc::new(Timeline::default());
    let start = Instant::now();
    let out = core
        .sync(
            SyncOptions {
                metered_network: false,
                ignore_backoff: true,
            },
            Some(timeline.clone() as Arc<dyn ProgressListener>),
            None,
        )
        .await
        .expect("sync");
    let total = start.elapsed();
    assert_eq!(out.uploaded as usize, n, "{out:?}");
    assert_eq!(out.photos_uploaded as usize, n, "{out:?}");
    assert_eq!(out.pending, 0);
    server.stop().await;
    SyncRun {
        total,
        reports: timeline.reports_time(),
    }
}

/// Checks `curl -w '%{http_code}\n'` output: every upload stored.
fn all_created(stdout: &[u8], n: usize) {
    let codes = String::from_utf8_lossy(stdout);
    let created = codes.lines().filter(|l| l.trim() == "201").count();
    assert_eq!(created, n, "curl answers: {codes}");
}

/// One `curl` process, every file over keep-alive.
async fn run_curl_one(files: &[(String, PathBuf)], work: &Path) -> Duration {
    let server = server(work).await;
    let (url, token) = (server.base.clone(), server.enroll(CODE).await.token);
    let config = work.join("curl-uploads.conf");
    {
        let mut f = std::fs::File::create(&config).expect("config");
        writeln!(
            f,
            "silent\nshow-error\nheader = \"Authorization: Bearer {token}\""
        )
        .expect("write");
        writeln!(
            f,
            "header = \"Content-Type: image/jpeg\"\nwrite-out = \"%{{http_code}}\\n\""
        )
        .expect("write");
        for (sha, path) in files {
            writeln!(
                f,
                "upload-file = \"{}\"\nurl = \"{url}/api/v1/photos/{sha}\"\noutput = \"/dev/null\"",
                path.display()
            )
            .expect("write");
        }
    }
    let start = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .arg("--config")
            .arg(&config)
            .output()
            .expect("run curl")
    })
    .await
    .expect("join");
    let t = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    all_created(&out.stdout, files.len());
    server.stop().await;
    t
}

/// One `curl` process per file.
async fn run_curl_loop(files: &[(String, PathBuf)], work: &Path) -> Duration {
    let server = server(work).await;
    let (url, token) = (server.base.clone(), server.enroll(CODE).await.token);
    let count = files.len();
    let files = files.to_vec();
    let start = Instant::now();
    let stdout = tokio::task::spawn_blocking(move || {
        let mut all = Vec::new();
        for (sha, path) in &files {
            let out = Command::new("curl")
                .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}\n", "-T"])
                .arg(path)
                .args(["-H", &format!("Authorization: Bearer {token}")])
                .args(["-H", "Content-Type: image/jpeg"])
                .arg(format!("{url}/api/v1/photos/{sha}"))
                .output()
                .expect("run curl");
            all.extend_from_slice(&out.stdout);
        }
        all
    })
    .await
    .expect("join");
    let t = start.elapsed();
    all_created(&stdout, count);
    server.stop().await;
    t
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter_map(|a| a.parse::<usize>().ok());
    let n = args.next().unwrap_or(1000);
    let runs = args.next().unwrap_or(3).max(1);
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl not found: nothing to compare with");
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");

    // Set-up (not timed): photos sized to ~400 KB after the pipeline, captured into a phone.
    let cfg = PipelineConfig::default();
    let (amp, calibrated) = calibrate(&cfg);
    println!("photos: 1280×960, noise {amp}: {calibrated} bytes after the core's pipeline");
    let template = work.path().join("phone-template");
    let started = Instant::now();
    {
        let core = HazardCore::open_with(&template, cfg.clone())
            .await
            .expect("open");
        for i in 0..n as u32 {
            let mut content = ReportContent::hazard(Category::EquipmentGuarding);
            content.note = format!("基准测试隐患 {i}");
            core.capture(
                CaptureRequest {
                    photos: vec![PhotoSource::Bytes {
                        bytes: photo(100 + i, amp),
                    }],
                    content,
                    captured_at: None,
                    draft: false,
                },
                None,
            )
            .await
            .expect("capture");
        }
    }
    let files: Vec<(String, PathBuf)> = std::fs::read_dir(template.join("photos"))
        .expect("photos")
        .map(|e| {
            let p = e.expect("entry").path();
            let sha = p
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("name")
                .to_owned();
            (sha, p)
        })
        .collect();
    assert_eq!(files.len(), n, "one stored photo per report");
    let bytes: u64 = files
        .iter()
        .map(|(_, p)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "set-up: {n} reports captured in {:.1?}; photos {:.1} MB, mean {} KB",
        started.elapsed(),
        mb,
        bytes / n as u64 / 1024
    );

    let (mut sync_t, mut ingest_t, mut one_t, mut loop_t) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 1..=runs {
        let s = run_sync(&template, work.path(), n).await;
        let c1 = run_curl_one(&files, work.path()).await;
        let cl = run_curl_loop(&files, work.path()).await;
        println!(
            "run {run}: core sync {:.2?} (report batches {:.2?}), curl keep-alive {:.2?}, curl per file {:.2?}",
            s.total, s.reports, c1, cl
        );
        sync_t.push(s.total);
        ingest_t.push(s.reports);
        one_t.push(c1);
        loop_t.push(cl);
    }
    let (s, i, c1, cl) = (
        median(sync_t),
        median(ingest_t),
        median(one_t),
        median(loop_t),
    );
    let rate = |d: Duration| mb / d.as_secs_f64();
    println!("\nmedians of {runs} run(s), {n} reports, {mb:.1} MB of photos, loopback:");
    println!(
        "  core sync (photos + reports + feed): {s:.2?}  {:.1} MB/s",
        rate(s)
    );
    println!(
        "  curl, one process, keep-alive:      {c1:.2?}  {:.1} MB/s  (sync / curl = {:.2})",
        rate(c1),
        s.as_secs_f64() / c1.as_secs_f64()
    );
    println!(
        "  curl, one process per file:         {cl:.2?}  {:.1} MB/s  (sync / curl = {:.2})",
        rate(cl),
        s.as_secs_f64() / cl.as_secs_f64()
    );
    println!(
        "  report ingest within the sync: {:.0} reports/s ({n} reports in {i:.2?}, batches of {})",
        n as f64 / i.as_secs_f64(),
        hazardsnap_model::MAX_REPORTS_PER_BATCH
    );
}
