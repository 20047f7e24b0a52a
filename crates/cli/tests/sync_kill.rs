//! The phone process killed mid-sync (同步中进程被杀): `hazardsnap sync` on a data folder with
//! 240 queued reports, killed with SIGKILL at seeded random moments several times and started
//! again, against a real server on 127.0.0.1 port 0. At the end every report is on the server
//! exactly once, the phone database passes `integrity_check`, every report is `synced` with its
//! ledger status, and every photo on the server is byte-identical to the phone's file.
//!
//! The seed is printed; set `HAZARDSNAP_FAULT_SEED` to replay one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use hazardsnap_core::{CaptureRequest, HazardCore, PhotoSource, ReportContent};
use hazardsnap_model::Category;
use hazardsnap_server::org::{DEMO_ROSTER, import_roster_text};
use hazardsnap_server::{Config, Server};
use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

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

async fn server(dir: &Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let mut config = Config {
        data_dir: dir.to_owned(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::new()
    };
    // One phone sends hundreds of requests back to back; the rate limit is not under test.
    config.device_rate_per_sec = std::num::NonZeroU32::new(100_000).expect("nonzero");
    config.device_burst = std::num::NonZeroU32::new(100_000).expect("nonzero");
    let server = Server::bind(config).await.expect("bind server");
    import_roster_text(server.state().store.as_ref(), DEMO_ROSTER)
        .await
        .expect("import roster");
    let url = format!("http://{}", server.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    (url, tx)
}

fn sync_cmd(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hazardsnap"));
    c.arg("--data").arg(data).args(["sync", "--json"]);
    c
}

fn server_photo(data: &Path, sha: &str) -> PathBuf {
    data.join("photos")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(sha)
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
    let (url, _stop) = server(srv_dir.path()).await;

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

    let p = rusqlite::Connection::open(phone.path().join("hazardsnap.db")).expect("phone db");
    let check: String = p
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(check, "ok");
    let phone_photos: Vec<(String, String)> = p
        .prepare("SELECT report_id, sha256 FROM photos")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(phone_photos.len(), REPORTS as usize);

    let s =
        rusqlite::Connection::open(srv_dir.path().join("hazardsnap.sqlite3")).expect("server db");
    let per_id: HashMap<String, i64> = s
        .prepare("SELECT id, count(*) FROM reports GROUP BY id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(per_id.len(), REPORTS as usize, "server reports");
    for (report, sha) in &phone_photos {
        assert_eq!(
            per_id.get(report),
            Some(&1),
            "report {report} not exactly once"
        );
        let mine = std::fs::read(phone.path().join("photos").join(format!("{sha}.jpg")))
            .expect("phone photo");
        let theirs = std::fs::read(server_photo(srv_dir.path(), sha)).expect("server photo");
        assert_eq!(hex::encode(Sha256::digest(&mine)), *sha);
        assert!(mine == theirs, "photo {sha} differs on the server");
    }
}
