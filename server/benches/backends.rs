//! The backends side by side (issue 17): report ingest throughput and ledger-list latency on the
//! embedded SQLite file, on PostgreSQL, and on two replicas of the server sharing one
//! PostgreSQL behind a round-robin proxy, over real HTTP on loopback, in one run.
//!
//! Ingest: six phones send reports at once (batches of 10, each report its own small photo of
//! its own scene, uploaded before the clock starts, so each report is a new entry). Two shapes:
//! "spread" (two phones per enterprise, three enterprises) and "one enterprise" (all six in
//! one: on PostgreSQL every report then waits for that enterprise's filing lock, which is the
//! cost of filing correctly across replicas). Ledger list: the district officer's first page
//! (`GET /api/v1/ledger`), one request after another, median and 95th percentile.
//!
//! Run: `scripts/pg-cluster.sh start /tmp/bench-pg` (PostgreSQL's default durability: no
//! `--fast`), then `HAZARDSNAP_TEST_PG="<printed URL>" cargo bench -p hazardsnap-server --bench
//! backends [REPORTS_PER_PHONE]` (default 150). Without `HAZARDSNAP_TEST_PG` only SQLite runs.
//! Results go to BENCHMARKS.md by hand.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hazardsnap_model::{PROTOCOL_VERSION, ReportSubmission, SubmitOutcome, SubmitResults};
use tokio::net::{TcpListener, TcpStream};

#[allow(unused_imports)]
#[path = "../tests/common/mod.rs"]
mod common;

use common::TestServer;
use common::officer::DISTRICT;

const PHONES: usize = 6;
const BATCH: usize = 10;
const LIST_REQUESTS: usize = 200;
const ROUNDS: usize = 3;

/// A round-robin TCP proxy: each new connection goes to the next replica.
async fn round_robin(replicas: Vec<SocketAddr>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        for n in 0usize.. {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let target = replicas[n % replicas.len()];
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    // As a load balancer does: no Nagle delay on either side.
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    addr
}

/// One configuration under test: its servers, and where clients connect.
struct Setup {
    servers: Vec<TestServer>,
    base: String,
}

async fn server(database: Option<String>) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    TestServer::start_roster_in(dir, DISTRICT, move |c| {
        c.database_url = database;
    })
    .await
}

async fn setup(pg: Option<&str>, replicas: usize) -> Setup {
    let database = match pg {
        Some(s) => Some(hazardsnap_server::postgres::testing::fresh_database(s).await),
        None => None,
    };
    let mut servers = Vec::new();
    for _ in 0..replicas {
        servers.push(server(database.clone()).await);
    }
    let base = if replicas > 1 {
        let addrs = servers
            .iter()
            .map(|s| s.base.trim_start_matches("http://").parse().expect("addr"))
            .collect();
        format!("http://{}", round_robin(addrs).await)
    } else {
        servers[0].base.clone()
    };
    Setup { servers, base }
}

/// Reports of `phones` phones (enrolled with `codes[phone % codes.len()]`), each report with
/// its own photo already uploaded; the phones' tokens.
async fn prepared(
    s: &Setup,
    codes: &[&str],
    per_phone: usize,
    seed: &mut u32,
) -> Vec<(String, Vec<ReportSubmission>)> {
    let ts = &s.servers[0];
    let mut out = Vec::new();
    for p in 0..PHONES {
        let e = ts.enroll(codes[p % codes.len()]).await;
        let mut reports = Vec::with_capacity(per_phone);
        for _ in 0..per_phone {
            *seed += 1;
            let photo = common::encode(&common::scene(*seed, 160, 120), 85);
            let r = ts.put_photo(&e.token, &photo).await;
            assert!(r.status().is_success(), "photo upload {}", r.status());
            let mut report = common::hazard(vec![common::photo_ref(&photo, 160, 120)]);
            report.site_code = None;
            report.workshop = None;
            report.team = None;
            reports.push(report);
        }
        out.push((e.token, reports));
    }
    out
}

/// Reports per second of every phone sending its reports at once through `base`.
async fn ingest(base: &str, phones: Vec<(String, Vec<ReportSubmission>)>) -> f64 {
    let total: usize = phones.iter().map(|(_, r)| r.len()).sum();
    let t = Instant::now();
    let tasks: Vec<_> = phones
        .into_iter()
        .map(|(token, reports)| {
            let base = base.to_owned();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for chunk in reports.chunks(BATCH) {
                    let res: SubmitResults = http
                        .post(format!("{base}/api/v1/reports"))
                        .bearer_auth(&token)
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
                            .all(|r| r.outcome == SubmitOutcome::Accepted),
                        "{res:?}"
                    );
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("phone");
    }
    total as f64 / t.elapsed().as_secs_f64()
}

/// Median and 95th percentile of the district officer's first ledger page.
async fn ledger_list(s: &Setup) -> (Duration, Duration) {
    let token = common::officer::login(&s.servers[0], "qu", "district-pass-1").await;
    let http = reqwest::Client::new();
    let mut times = Vec::with_capacity(LIST_REQUESTS);
    for _ in 0..LIST_REQUESTS {
        let t = Instant::now();
        let r = http
            .get(format!("{}/api/v1/ledger", s.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("ledger");
        assert_eq!(r.status(), 200);
        let _ = r.bytes().await.expect("body");
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 95 / 100])
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let per_phone: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(150);
    let pg = std::env::var("HAZARDSNAP_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty());
    let mut setups = vec![("SQLite (embedded)", None, 1)];
    if let Some(u) = &pg {
        setups.push(("PostgreSQL, one server", Some(u.as_str()), 1));
        setups.push(("PostgreSQL, two replicas", Some(u.as_str()), 2));
    } else {
        eprintln!("HAZARDSNAP_TEST_PG not set: SQLite only");
    }
    println!(
        "{PHONES} phones at once, {per_phone} reports each, batches of {BATCH}; ledger list: {LIST_REQUESTS} requests; median of {ROUNDS} rounds"
    );
    println!(
        "| backend | ingest, spread (reports/s) | ingest, one enterprise (reports/s) | ledger list median (ms) | p95 (ms) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut seed = 50_000u32;
    for (name, pg, replicas) in setups {
        // Three rounds, each on a fresh store; the median of each figure.
        let mut rounds = Vec::new();
        for _ in 0..ROUNDS {
            let s = setup(pg, replicas).await;
            let codes = ["E001-JOIN", "E002-JOIN", "E003-JOIN"];
            let spread = prepared(&s, &codes, per_phone, &mut seed).await;
            let spread = ingest(&s.base, spread).await;
            let one = prepared(&s, &["E001-JOIN"], per_phone, &mut seed).await;
            let one = ingest(&s.base, one).await;
            let (median, p95) = ledger_list(&s).await;
            eprintln!(
                "{name}: {spread:.0} / {one:.0} reports/s, ledger {:.2} / {:.2} ms",
                median.as_secs_f64() * 1000.0,
                p95.as_secs_f64() * 1000.0
            );
            rounds.push([
                spread,
                one,
                median.as_secs_f64() * 1000.0,
                p95.as_secs_f64() * 1000.0,
            ]);
            for server in s.servers {
                server.stop().await;
            }
        }
        let mid = |i: usize| {
            let mut v: Vec<f64> = rounds.iter().map(|r| r[i]).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        println!(
            "| {name} | {:.0} | {:.0} | {:.2} | {:.2} |",
            mid(0),
            mid(1),
            mid(2),
            mid(3)
        );
    }
}
