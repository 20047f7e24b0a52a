//! The crash test: `hazardsnap capture` processes killed with SIGKILL at random moments, many
//! times, on one data folder. Afterwards the database passes `integrity_check`, every report
//! whose id a process printed (the core reported it saved) is there with all its photos, no row
//! points at a missing file, no file is left without a row, and no temp file survives a restart.

use std::collections::HashSet;
use std::io::{Cursor, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image::{ImageFormat, Rgb, RgbImage};
use rand::Rng;

const ITERATIONS: usize = 40;

fn jpeg(path: &Path, seed: u32) {
    let (w, h) = (1024, 768);
    let mut img = RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let n = ((x / 13) ^ (y / 7)).wrapping_mul(seed.wrapping_mul(2_654_435_761) | 1) >> 11;
        *p = Rgb([(x % 256) as u8 ^ n as u8, (y % 256) as u8, (n >> 8) as u8]);
    }
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .unwrap();
    std::fs::write(path, out).unwrap();
}

fn capture(data: &Path, photos: &[String], note: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_hazardsnap"))
        .arg("--data")
        .arg(data)
        .arg("capture")
        .args(photos)
        .args(["--note", note, "--category", "equipment_guarding"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hazardsnap")
}

fn printed_id(child: &mut std::process::Child) -> Option<String> {
    let mut out = String::new();
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    let line = out.lines().next()?.trim().to_owned();
    uuid::Uuid::parse_str(&line).ok().map(|u| u.to_string())
}

#[test]
fn sigkill_at_random_moments_loses_nothing_saved_and_leaves_nothing_half() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let photos: Vec<String> = (0..ITERATIONS * 2 + 6)
        .map(|i| {
            let p = work.path().join(format!("p{i}.jpg"));
            jpeg(&p, i as u32 + 1);
            p.to_string_lossy().into_owned()
        })
        .collect();
    let mut saved: HashSet<String> = HashSet::new();

    // Calibrate: how long one uninterrupted capture takes on this (possibly loaded) machine.
    let mut longest = Duration::ZERO;
    for i in 0..3 {
        let start = Instant::now();
        let mut child = capture(&data, &photos[i * 2..i * 2 + 2], "calibration");
        let id = printed_id(&mut child);
        assert!(child.wait().unwrap().success());
        saved.insert(id.expect("calibration capture prints its id"));
        longest = longest.max(start.elapsed());
    }

    let mut rng = rand::rng();
    let (mut killed, mut finished) = (0, 0);
    for i in 3..ITERATIONS + 3 {
        let mut child = capture(&data, &photos[i * 2..i * 2 + 2], &format!("报告 {i}"));
        // Anywhere from start-up to a little after the usual end.
        let delay = longest.mul_f64(rng.random_range(0.0..1.2));
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        } else {
            killed += 1;
        }
        // An id on stdout means the core committed the report before the kill.
        if let Some(id) = printed_id(&mut child) {
            saved.insert(id);
        }
    }
    eprintln!(
        "crash test: {killed} killed, {finished} finished, {} saved",
        saved.len()
    );

    // Restart: a fresh process opens the folder (sweeping what the kills left) and lists.
    let out = Command::new(env!("CARGO_BIN_EXE_hazardsnap"))
        .arg("--data")
        .arg(&data)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: HashSet<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &saved {
        assert!(
            listed.contains(id),
            "report {id} was reported saved but is gone"
        );
    }

    let conn = rusqlite::Connection::open(data.join("hazardsnap.db")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // Every report has both its photos; every row's files exist; every file has a row.
    let mut stmt = conn
        .prepare("SELECT r.id, count(p.sha256) FROM reports r LEFT JOIN photos p ON p.report_id = r.id GROUP BY r.id")
        .unwrap();
    let rows: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), listed.len());
    for (id, n) in &rows {
        assert_eq!(*n, 2, "report {id} has {n} photos");
    }
    let mut stmt = conn.prepare("SELECT DISTINCT sha256 FROM photos").unwrap();
    let shas: HashSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for sha in &shas {
        for dir in ["photos", "thumbs"] {
            let p = data.join(dir).join(format!("{sha}.jpg"));
            let bytes = std::fs::read(&p).unwrap_or_else(|_| panic!("missing {}", p.display()));
            assert!(
                bytes.starts_with(&[0xFF, 0xD8]),
                "not a JPEG: {}",
                p.display()
            );
            if dir == "photos" {
                use sha2::Digest;
                assert_eq!(
                    &hex::encode(sha2::Sha256::digest(&bytes)),
                    sha,
                    "torn photo"
                );
            }
        }
    }
    for dir in ["photos", "thumbs"] {
        for e in std::fs::read_dir(data.join(dir)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let sha = name.trim_end_matches(".jpg");
            assert!(shas.contains(sha), "orphan file {dir}/{name}");
        }
    }
    assert_eq!(
        std::fs::read_dir(data.join("tmp")).unwrap().count(),
        0,
        "temp file survived"
    );
}
