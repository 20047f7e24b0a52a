//! Ingest and ledger-list speed of two `hazardsnap-server` binaries side by side (接收与台账查询
//! 基准), over real HTTP on loopback: how a change to the server moved them.
//!
//! ```text
//! cargo bench -p hazardsnap-tests --bench ledger_api -- BIN_BEFORE BIN_AFTER [REPORTS] [ROUNDS]
//! ```
//!
//! Each round runs each binary in turn (the order alternates between rounds) on a fresh data
//! folder: `org import` of a district of 2 towns and 6 enterprises, `serve` on a free port,
//! one enrolled phone per enterprise, every report's photo uploaded before the clock starts.
//! Then, timed:
//!
//! - **ingest**: `REPORTS` hazards (default 2 000), each with its own photo of its own scene,
//!   in batches of 100 through `POST /api/v1/reports` (idempotency check, photo check, filing
//!   with the deduplication lookup, numbering, history, change feed, one transaction per
//!   batch); reports per second.
//! - **ledger list**: the district officer's `GET /api/v1/ledger` as the pages ask it — the
//!   default page of 50, page 10, by status, overdue only, one town by deadline — 40 requests
//!   each; the median latency per request.
//!
//! The table gives the median over rounds of each figure and the ratio after/before.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hazardsnap_model::{PROTOCOL_VERSION, ReportSubmission};
use serde_json::json;

const ROSTER: &str = r#"
[district]
name = "周村区"

[[towns]]
code = "T01"
name = "丝绸路街道"

[[towns]]
code = "T02"
name = "永安街道"

[[enterprises]]
code = "E001"
name = "某化工有限公司"
town = "T01"
industry = "hazardous_chemicals"

[[enterprises]]
code = "E002"
name = "某纺织厂"
town = "T01"
industry = "other"

[[enterprises]]
code = "E003"
name = "某建材公司"
town = "T01"
industry = "building_materials"

[[enterprises]]
code = "E004"
name = "某机械厂"
town = "T02"
industry = "metallurgy"

[[enterprises]]
code = "E005"
name = "某运输公司"
town = "T02"
industry = "transport"

[[enterprises]]
code = "E006"
name = "某食品厂"
town = "T02"
industry = "other"

[[users]]
username = "qu"
password = "district-pass-1"
role = "district"

[[enrollment_codes]]
code = "E001-JOIN"
enterprise = "E001"

[[enrollment_codes]]
code = "E002-JOIN"
enterprise = "E002"

[[enrollment_codes]]
code = "E003-JOIN"
enterprise = "E003"

[[enrollment_codes]]
code = "E004-JOIN"
enterprise = "E004"

[[enrollment_codes]]
code = "E005-JOIN"
enterprise = "E005"

[[enrollment_codes]]
code = "E006-JOIN"
enterprise = "E006"
"#;

const LIST_QUERIES: &[(&str, &str)] = &[
    ("default page", ""),
    ("page 10", "?page=10"),
    ("by status", "?status=pending_review&sort=number"),
    ("overdue only", "?overdue=true"),
    ("town, by deadline", "?town=T02&sort=deadline"),
];
const LIST_REQUESTS: usize = 40;

struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &Path, data: &Path) -> anyhow::Result<Running> {
    let roster = data.with_extension("toml");
    std::fs::write(&roster, ROSTER)?;
    let out = Command::new(bin)
        .args(["org", "import", "--data"])
        .arg(data)
        .arg(&roster)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "org import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut reader, &mut line)?;
    // Keep draining what else the server prints, so it never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow::anyhow!("unexpected first line {line:?}"))?
        .to_owned();
    Ok(Running { child, base: addr })
}

/// What one run of one binary measured.
#[derive(Debug, Clone)]
struct Run {
    ingest_per_s: f64,
    list_ms: Vec<f64>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The photos and reports of a run: report `i` is sent by the phone of enterprise `i % 6`.
struct Workload {
    photos: Vec<Vec<u8>>,
    reports: Vec<ReportSubmission>,
}

fn workload(n: usize) -> Workload {
    let mut photos = Vec::with_capacity(n);
    let mut reports = Vec::with_capacity(n);
    for i in 0..n {
        let photo = common::encode(&common::scene(10_000 + i as u32, 64, 48), 80);
        let mut r = common::hazard(vec![common::photo_ref(&photo, 64, 48)]);
        r.site_code = None;
        r.note = format!("隐患 {i}");
        photos.push(photo);
        reports.push(r);
    }
    Workload { photos, reports }
}

async fn run_once(bin: &Path, work: &Workload) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let server = start(bin, &data)?;
    let http = reqwest::Client::new();
    let base = server.base.clone();
    let mut tokens = Vec::new();
    for e in 1..=6 {
        let v: serde_json::Value = http
            .post(format!("{base}/api/v1/enroll"))
            .json(&json!({"code": format!("E00{e}-JOIN"), "device_name": format!("基准手机{e}")}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        tokens.push(v["token"].as_str().unwrap_or_default().to_owned());
    }
    for (i, p) in work.photos.iter().enumerate() {
        let sha = common::sha256_hex(p);
        http.put(format!("{base}/api/v1/photos/{sha}"))
            .bearer_auth(&tokens[i % 6])
            .header("content-type", "image/jpeg")
            .body(p.clone())
            .send()
            .await?
            .error_for_status()?;
    }
    // Ingest: batches of 100, each batch from one phone.
    let t = Instant::now();
    let mut sent = 0usize;
    for (b, chunk) in work.reports.chunks(600).enumerate() {
        for (phone, token) in tokens.iter().enumerate() {
            let batch: Vec<&ReportSubmission> = chunk
                .iter()
                .enumerate()
                .filter(|(i, _)| (b * 600 + i) % 6 == phone)
                .map(|(_, r)| r)
                .collect();
            for part in batch.chunks(100) {
                let v: serde_json::Value = http
                    .post(format!("{base}/api/v1/reports"))
                    .bearer_auth(token)
                    .json(&json!({"version": PROTOCOL_VERSION, "reports": part}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                sent += v["results"].as_array().map_or(0, Vec::len);
            }
        }
    }
    let ingest = t.elapsed();
    anyhow::ensure!(sent == work.reports.len(), "sent {sent}");
    let login: serde_json::Value = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "qu", "password": "district-pass-1"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    let mut list_ms = Vec::new();
    for (_, q) in LIST_QUERIES {
        let mut times = Vec::new();
        for _ in 0..LIST_REQUESTS {
            let t = Instant::now();
            let r = http
                .get(format!("{base}/api/v1/ledger{q}"))
                .bearer_auth(&token)
                .send()
                .await?
                .error_for_status()?;
            let _ = r.bytes().await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        list_ms.push(median(times));
    }
    drop(server);
    Ok(Run {
        ingest_per_s: work.reports.len() as f64 / ingest.as_secs_f64(),
        list_ms,
    })
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    anyhow::ensure!(
        args.len() >= 2,
        "usage: cargo bench -p hazardsnap-tests --bench ledger_api -- BIN_BEFORE BIN_AFTER [REPORTS] [ROUNDS]"
    );
    let bins: Vec<PathBuf> = args[..2].iter().map(PathBuf::from).collect();
    let n: usize = args.get(2).map_or(Ok(2000), |s| s.parse())?;
    let rounds: usize = args.get(3).map_or(Ok(3), |s| s.parse())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    eprintln!("generating {n} photos…");
    let work = workload(n);
    let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let r = rt.block_on(run_once(&bins[i], &work))?;
            eprintln!(
                "round {round} {}: ingest {:.0} reports/s, list {:?} ms",
                if i == 0 { "before" } else { "after" },
                r.ingest_per_s,
                r.list_ms
                    .iter()
                    .map(|m| (m * 100.0).round() / 100.0)
                    .collect::<Vec<_>>()
            );
            runs[i].push(r);
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    let ingest = |i: usize| median(runs[i].iter().map(|r| r.ingest_per_s).collect());
    println!("| figure ({n} reports, median of {rounds}) | before | after | after/before |");
    println!("| --- | ---: | ---: | ---: |");
    let (a, b) = (ingest(0), ingest(1));
    println!("| ingest, reports/s | {a:.0} | {b:.0} | {:.2}× |", b / a);
    for (q, (name, query)) in LIST_QUERIES.iter().enumerate() {
        let m = |i: usize| median(runs[i].iter().map(|r| r.list_ms[q]).collect());
        let (a, b) = (m(0), m(1));
        println!(
            "| ledger list, {name} (`{}`), ms | {a:.2} | {b:.2} | {:.2}× |",
            if query.is_empty() {
                "/api/v1/ledger"
            } else {
                query
            },
            b / a
        );
    }
    Ok(())
}
