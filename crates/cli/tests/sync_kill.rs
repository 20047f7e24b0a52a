//! The phone process killed mid-sync (同步中进程被杀): `hazardsnap sync` on a data folder with
//! 240 queued reports, killed with SIGKILL at seeded random moments several times and started
//! again, against a real server on 127.0.0.1 port 0. At the end every report is on the server
//! exactly once, the phone database passes `integrity_check`, every report is `synced` with its
//! ledger status, and every photo on the server is byte-identical to the phone's file.
//!
//! The seed is printed; set `HAZARDSNAP_FAULT_SEED` to replay one.

#[path = "../../../server/tests/common/exactly_once.rs"]
mod exactly_once;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use hazardsnap_core::{CaptureRequest, HazardCore, PhotoSource, ReportContent};
use hazardsnap_model::Category;
use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const REPORTS: u32 = 240;
const KILLS: usize = 8;

/// A small JPEG that differs by `seed`: blocks of colour over a gradient.
fn photo(seed: u32) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(u64::from(seed));
    let blocks: Vec<(u32, u32, u32, [u8; 3])> = (0..5)
        .map(|_| {
            (
                rng.random_range(0..320),
                rng.random_range(0..240),
                rng.random_range(20..90),
                [rng.random(), rng.random(), rng.random()],
            )
        })
        .collect();
    let img = RgbImage::from_fn(320, 240, |x, y| {
        for (bx, by, r, c) in &blocks {
            if x.abs_diff(*bx) < *r && y.abs_diff(*by) < *r / 2 {
                return Rgb(*c);
            }
        }
        Rgb([(x * 255 / 320) as u8, (y * 255 / 240) as u8, 96])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .expect("encode");
    out
}

fn sync_cmd(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hazardsnap"));
    c.arg("--data").arg(data).args(["sync", "--json"]);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_killed_at_random_moments_loses_and_duplicates_nothing() {
    let seed: u64 = std::env::var("HAZARDSNAP_FAULT_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("phone SIGKILL: seed {seed} (replay with HAZARDSNAP_FAULT_SEED={seed})");
    let srv_dir = tempfile::tempdir().expect("tempdir");
    let phone = tempfile::tempdir().expect("tempdir");
    let (url, _stop) = support::server(srv_dir.path(), |config| {
        // One phone sends hundreds of requests back to back; the rate limit is not under test.
        config.device_rate_per_sec = std::num::NonZeroU32::new(100_000).expect("nonzero");
        config.device_burst = std::num::NonZeroU32::new(100_000).expect("nonzero");
    })
    .await;

    // Set-up in-process (faster than 240 processes): enroll and queue, then let go of the
    // folder's lock so the CLI can open it.
    {
        let core: Arc<HazardCore> = HazardCore::open(phone.path().to_string_lossy().into_owned())
            .await
            .expect("open");
        core.enroll(url.clone(), "E001-JOIN-DEMO".into(), "杀进程测试".into())
            .await
            .expect("enroll");
        for i in 0..REPORTS {
            let mut content = ReportContent::hazard(Category::Ppe);
            content.note = format!("同步中被杀 {i}");
            core.capture(
                CaptureRequest {
                    photos: vec![PhotoSource::Bytes {
                        bytes: photo(7_000 + i),
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

    let mut rng = StdRng::seed_from_u64(seed);
    let (mut killed, mut finished) = (0, 0);
    for _ in 0..KILLS {
        let mut child = sync_cmd(phone.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn hazardsnap sync");
        // From start-up to well into the photo uploads and report batches.
        let delay = Duration::from_millis(rng.random_range(20..900));
        tokio::time::sleep(delay).await;
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("wait");
        if status.success() {
            finished += 1;
        } else {
            killed += 1;
        }
    }

    // Then left alone until it reports nothing pending and no error.
    let mut runs = 0;
    let last = loop {
        runs += 1;
        assert!(runs <= 20, "sync never completes");
        let out = sync_cmd(phone.path()).output().expect("run sync");
        if !out.status.success() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sync --json");
        if v["pending"] == 0 && v["last_error"].is_null() {
            break v;
        }
    };
    assert_eq!(last["failed"], 0, "{last}");
    eprintln!(
        "phone SIGKILL (seed {seed}): {killed} killed mid-sync, {finished} finished before the \
         kill, then {runs} clean runs"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_hazardsnap"))
        .arg("--data")
        .arg(phone.path())
        .args(["list", "--json"])
        .output()
        .expect("list");
    assert!(out.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list --json");
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), REPORTS as usize);
    for r in listed {
        assert_eq!(r["local_state"], "synced", "{r}");
        assert!(r["server_status"].is_string(), "{r}");
        assert!(r["entry_number"].is_string(), "{r}");
    }

    // The same end state as the server's fault tests: exactly once, filed, photos identical,
    // both databases sound, the dedup index true.
    exactly_once::assert_exactly_once(phone.path(), srv_dir.path(), REPORTS as usize).await;
}
