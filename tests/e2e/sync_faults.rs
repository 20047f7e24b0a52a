//! The sync proven against faults (故障注入同步测试), driven by the real phone core
//! ([`HazardCore`]) over real TCP on loopback:
//!
//! - a fault proxy between phone and server cuts connections at seeded random byte offsets in
//!   both directions, and cuts the answer to report batches after the server has committed
//!   them, while 500 reports with a photo each are synced;
//! - the real `hazardsnap-server` binary is killed with SIGKILL and restarted on the same data
//!   folder several times while 1 000 reports are synced: first at a random moment, then each
//!   time the server has committed a random number of further reports, so that the kills land
//!   between and inside report batches.
//!
//! Both end with the same proof: every report on the server exactly once, none lost, every
//! photo on the server's disk byte-identical to the phone's stored file, every phone report
//! `synced` and knowing its ledger status. The seeds are printed; set `HAZARDSNAP_FAULT_SEED`
//! to replay one.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::exactly_once::assert_exactly_once;
use common::{ROSTER, ServerProcess, TestServer, encode, fast_tempdir, scene};
use hazardsnap_core::{
    CaptureRequest, HazardCore, HazardError, PhotoSource, ReportContent, SyncOptions,
};
use hazardsnap_model::Category;
use hazardsnap_photo::PipelineConfig;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

const CODE: &str = "E001-JOIN-7H3K";
/// The worker pressed "send": backoff does not hold anything back between rounds.
const NOW: SyncOptions = SyncOptions {
    metered_network: false,
    ignore_backoff: true,
};

/// The seed of a run: `HAZARDSNAP_FAULT_SEED` to replay, else fresh.
fn seed(test: &str) -> u64 {
    let seed = std::env::var("HAZARDSNAP_FAULT_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("{test}: seed {seed} (replay with HAZARDSNAP_FAULT_SEED={seed})");
    seed
}

// ---------------------------------------------------------------------------------------------
// The fault proxy (故障代理)
// ---------------------------------------------------------------------------------------------

/// How often the proxy cuts. Budgets are drawn per connection; a connection carries many
/// requests over keep-alive, so a budget lands anywhere in a photo body, a header, or an answer.
#[derive(Debug, Clone, Copy)]
struct Faults {
    /// Chance that a connection's phone→server direction is cut.
    up_cut: f64,
    /// Bytes phone→server before that cut, drawn uniformly below this.
    up_budget: usize,
    /// Chance that a connection's server→phone direction is cut.
    down_cut: f64,
    /// Bytes server→phone before that cut, drawn uniformly below this.
    down_budget: usize,
    /// Chance that the answer to a `POST /api/v1/reports` is cut: the batch is committed on the
    /// server, and the phone never hears it.
    report_answer_cut: f64,
}

impl Faults {
    const NONE: Faults = Faults {
        up_cut: 0.0,
        up_budget: 1,
        down_cut: 0.0,
        down_budget: 1,
        report_answer_cut: 0.0,
    };
}

/// What the proxy did, for the test's log and its sanity asserts.
#[derive(Debug, Default)]
struct ProxyStats {
    connections: AtomicU64,
    refused: AtomicU64,
    up_cuts: AtomicU64,
    down_cuts: AtomicU64,
    report_answers_cut: AtomicU64,
    up_bytes: AtomicU64,
    down_bytes: AtomicU64,
}

impl std::fmt::Display for ProxyStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        write!(
            f,
            "{} connections ({} with the server down), {} cut phone→server, {} cut server→phone \
             ({} report-batch answers cut after commit), {} KiB up, {} KiB down",
            g(&self.connections),
            g(&self.refused),
            g(&self.up_cuts),
            g(&self.down_cuts),
            g(&self.report_answers_cut),
            g(&self.up_bytes) / 1024,
            g(&self.down_bytes) / 1024,
        )
    }
}

/// A TCP proxy on 127.0.0.1 port 0 in front of the server, cutting connections as told. The
/// upstream address can change (a restarted server listens on another port).
struct FaultProxy {
    addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    stats: Arc<ProxyStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    async fn start(upstream: SocketAddr, faults: Faults, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let upstream = Arc::new(Mutex::new(upstream));
        let stats = Arc::new(ProxyStats::default());
        let (up, st) = (upstream.clone(), stats.clone());
        let task = tokio::spawn(async move {
            for n in 0u64.. {
                let Ok((phone, _)) = listener.accept().await else {
                    continue;
                };
                st.connections.fetch_add(1, Ordering::Relaxed);
                // One RNG per connection, from the seed and the connection's number: the
                // faults of a run depend on the seed, not on task scheduling.
                let rng = StdRng::seed_from_u64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let target = *up.lock().unwrap_or_else(|p| p.into_inner());
                tokio::spawn(connection(phone, target, faults, rng, st.clone()));
            }
        });
        FaultProxy {
            addr,
            upstream,
            stats,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Shared between the two directions of one connection: whether the request being answered
/// is a report batch.
#[derive(Default)]
struct Exchange {
    reports_request: std::sync::atomic::AtomicBool,
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The sender closed its side normally.
    Eof,
    /// The proxy cut the connection (or a socket failed): drop both sides at once.
    Cut,
}

async fn connection(
    phone: TcpStream,
    target: SocketAddr,
    faults: Faults,
    mut rng: StdRng,
    stats: Arc<ProxyStats>,
) {
    let Ok(server) = TcpStream::connect(target).await else {
        // The server is down (killed): the phone sees its connection closed.
        stats.refused.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = phone.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let up_budget = rng
        .random_bool(faults.up_cut)
        .then(|| rng.random_range(0..faults.up_budget));
    let down_budget = rng
        .random_bool(faults.down_cut)
        .then(|| rng.random_range(0..faults.down_budget));
    let down_rng = StdRng::seed_from_u64(rng.random());
    let (pr, pw) = phone.into_split();
    let (sr, sw) = server.into_split();
    let exchange = Arc::new(Exchange::default());
    let up = pump_up(pr, sw, up_budget, exchange.clone(), stats.clone());
    let down = pump_down(sr, pw, down_budget, faults, down_rng, exchange, stats);
    tokio::pin!(up, down);
    // A cut in either direction drops both sockets (returning drops them); a normal close
    // of one direction lets the other finish.
    tokio::select! {
        e = &mut up => if e == End::Eof { down.await; },
        e = &mut down => if e == End::Eof { up.await; },
    }
}

/// Forwards `from` to `to` until end of stream, an error, or the byte budget runs out. `look`
/// sees each chunk before it is forwarded and may lower the budget. Answers how it ended and
/// whether that was the budget running out (a deliberate cut).
async fn forward(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut budget: Option<usize>,
    bytes: &AtomicU64,
    mut look: impl FnMut(&[u8], &mut Option<usize>),
) -> (End, bool) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => {
                let _ = to.shutdown().await;
                return (End::Eof, false);
            }
            Ok(n) => n,
            Err(_) => return (End::Cut, false),
        };
        look(&buf[..n], &mut budget);
        let pass = budget.map_or(n, |b| b.min(n));
        if to.write_all(&buf[..pass]).await.is_err() {
            return (End::Cut, false);
        }
        bytes.fetch_add(pass as u64, Ordering::Relaxed);
        if let Some(b) = budget.as_mut() {
            *b -= pass;
            if *b == 0 {
                return (End::Cut, true);
            }
        }
    }
}

/// Phone → server: forwards until the budget runs out, and notes which request is in flight.
async fn pump_up(
    from: OwnedReadHalf,
    to: OwnedWriteHalf,
    budget: Option<usize>,
    exchange: Arc<Exchange>,
    stats: Arc<ProxyStats>,
) -> End {
    let (end, spent) = forward(from, to, budget, &stats.up_bytes, |chunk, _| {
        // Requests on one connection go one after the other (no pipelining), so the last
        // request line seen is the one being answered.
        if let Some(line) = request_line(chunk) {
            exchange
                .reports_request
                .store(line.starts_with(b"POST /api/v1/reports "), Ordering::SeqCst);
        }
    })
    .await;
    if spent {
        stats.up_cuts.fetch_add(1, Ordering::Relaxed);
    }
    end
}

/// Server → phone: forwards until the budget runs out; the answer of a report batch may also
/// be cut part-way, after the server committed the batch.
async fn pump_down(
    from: OwnedReadHalf,
    to: OwnedWriteHalf,
    budget: Option<usize>,
    faults: Faults,
    mut rng: StdRng,
    exchange: Arc<Exchange>,
    stats: Arc<ProxyStats>,
) -> End {
    let mut answer_cut = false;
    let (end, spent) = forward(from, to, budget, &stats.down_bytes, |chunk, budget| {
        if chunk.starts_with(b"HTTP/1.1 ")
            && exchange.reports_request.load(Ordering::SeqCst)
            && rng.random_bool(faults.report_answer_cut)
        {
            // Anywhere in the answer: in its status line, its headers or its JSON.
            let at = rng.random_range(0..chunk.len());
            if budget.is_none_or(|b| at < b) {
                *budget = Some(at);
                answer_cut = true;
            }
        }
    })
    .await;
    if spent {
        stats.down_cuts.fetch_add(1, Ordering::Relaxed);
        if answer_cut {
            stats.report_answers_cut.fetch_add(1, Ordering::Relaxed);
        }
    }
    end
}

/// The request line at the start of a chunk, if the chunk starts a request.
fn request_line(chunk: &[u8]) -> Option<&[u8]> {
    const METHODS: [&[u8]; 5] = [b"GET ", b"HEAD ", b"PUT ", b"POST ", b"DELETE "];
    METHODS
        .iter()
        .any(|m| chunk.starts_with(m))
        .then(|| chunk.split(|b| *b == b'\r').next().unwrap_or(chunk))
}

// ---------------------------------------------------------------------------------------------
// The phone
// ---------------------------------------------------------------------------------------------

/// A distinct 320×240 photo: a scene drawn small and scaled up (drawing it full size in an
/// unoptimised test build costs more than the whole capture).
fn small_photo(seed: u32) -> Vec<u8> {
    let img = scene(seed, 80, 60);
    encode(
        &image::imageops::resize(&img, 320, 240, image::imageops::FilterType::Triangle),
        85,
    )
}

/// Opens a phone core and captures `n` hazards, each with its own small photo (a distinct
/// scene, so the server files distinct hazards).
async fn phone_with_reports(dir: &Path, n: u32, first_seed: u32) -> Arc<HazardCore> {
    let core = HazardCore::open_with(dir, PipelineConfig::default())
        .await
        .expect("open core");
    let started = std::time::Instant::now();
    // A few captures in flight: each one's pipeline runs on a blocking thread.
    let mut tasks: tokio::task::JoinSet<Result<(), HazardError>> = tokio::task::JoinSet::new();
    for i in 0..n {
        if tasks.len() >= 4 {
            let done = tasks.join_next().await.expect("a capture in flight");
            done.expect("capture task").expect("capture");
        }
        let core = core.clone();
        tasks.spawn(async move {
            let mut content = ReportContent::hazard(Category::EquipmentGuarding);
            content.note = format!("故障测试隐患 {i}");
            core.capture(
                CaptureRequest {
                    photos: vec![PhotoSource::Bytes {
                        bytes: small_photo(first_seed + i),
                    }],
                    content,
                    captured_at: None,
                    draft: false,
                },
                None,
            )
            .await
            .map(|_| ())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("capture");
    }
    eprintln!("captured {n} reports in {:.1?}", started.elapsed());
    core
}

/// Enrolls through a connection that may be cut: retried until an answer arrives. A lost
/// answer leaves an unused device on the server, which is harmless.
async fn enroll(core: &HazardCore, url: &str) {
    for _ in 0..50 {
        match core
            .enroll(url.to_owned(), CODE.into(), "故障测试手机".into())
            .await
        {
            Ok(_) => return,
            Err(HazardError::Network { .. }) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("enroll: {e:?}"),
        }
    }
    panic!("enrollment never got through");
}

/// Syncs until the outbox is empty and one run went through to the end of the change feed
/// without an error. Errors on the way are the faults doing their work.
async fn sync_until_done(core: &HazardCore, max_rounds: usize) -> (usize, usize) {
    let mut errors = 0;
    for round in 1..=max_rounds {
        match core.sync(NOW, None, None).await {
            Ok(out) => {
                if out.pending == 0 && out.last_error.is_none() {
                    return (round, errors);
                }
                if out.last_error.is_some() {
                    errors += 1;
                }
            }
            Err(HazardError::Network { .. }) => errors += 1,
            Err(e) => panic!("sync round {round}: unexpected error {e:?}"),
        }
        let counts = core.outbox_counts().await.expect("counts");
        assert_eq!(counts.failed, 0, "a report was marked failed after a fault");
    }
    let counts = core.outbox_counts().await.expect("counts");
    panic!("outbox not empty after {max_rounds} sync rounds: {counts:?}");
}

// ---------------------------------------------------------------------------------------------
// The proof
// ---------------------------------------------------------------------------------------------

/// Reports the server has committed so far, read beside it through its repository (WAL lets
/// a reader in while it writes), from a blocking thread.
fn server_reports(
    repo: &std::sync::Arc<dyn hazardsnap_ledger::Repository>,
    rt: &tokio::runtime::Handle,
) -> i64 {
    rt.block_on(repo.read(|tx| Ok(tx.counts()?)))
        .map_or(0, |c| c.reports as i64)
}

// ---------------------------------------------------------------------------------------------
// 1. Cut connections
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_reports_through_a_proxy_that_cuts_connections() {
    const REPORTS: u32 = 500;
    let seed = seed("cut connections");
    let server = TestServer::start_in(fast_tempdir(), |_| {}).await;
    let upstream: SocketAddr = server
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("server addr");
    let proxy = FaultProxy::start(
        upstream,
        Faults {
            up_cut: 0.9,
            up_budget: 512 * 1024,
            down_cut: 0.4,
            down_budget: 32 * 1024,
            report_answer_cut: 0.5,
        },
        seed,
    )
    .await;
    let phone_dir = fast_tempdir();
    let core = phone_with_reports(phone_dir.path(), REPORTS, 10_000).await;
    enroll(&core, &proxy.url()).await;

    let (rounds, errors) = sync_until_done(&core, 300).await;
    eprintln!(
        "cut connections (seed {seed}): done after {rounds} sync runs, {errors} of them cut short; proxy: {}",
        proxy.stats
    );
    assert!(
        proxy.stats.up_cuts.load(Ordering::Relaxed) > 0
            && proxy.stats.down_cuts.load(Ordering::Relaxed) > 0,
        "the proxy cut nothing: the test proved nothing"
    );
    drop(core);
    assert_exactly_once(phone_dir.path(), server.data.path(), REPORTS as usize).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 2. The server killed
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_reports_while_the_server_is_killed_and_restarted() {
    const REPORTS: u32 = 1000;
    const KILLS: usize = 4;
    let seed = seed("server SIGKILL");
    let work = fast_tempdir();
    let data = work.path().join("server");
    let roster = work.path().join("roster.toml");
    std::fs::write(&roster, ROSTER).expect("roster");
    let out = Command::new(common::server_binary())
        .args(["org", "import", "--data"])
        .arg(&data)
        .arg(&roster)
        .output()
        .expect("org import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let phone_dir = work.path().join("phone");
    let core = phone_with_reports(&phone_dir, REPORTS, 50_000).await;
    let first = ServerProcess::start(&data);
    // The proxy only gives the phone one address across restarts; it cuts nothing itself.
    let proxy = FaultProxy::start(first.addr, Faults::NONE, seed).await;
    enroll(&core, &proxy.url()).await;

    // The killer: SIGKILL and restart on the same folder. The first kill comes at a seeded
    // random moment (most likely while photos go up); each later one once the server has
    // committed a seeded number of further reports, so that the kills land in the middle of
    // report batches, not after the sync has already finished. It reports how many reports
    // the server held at each kill.
    let killer = {
        let data = data.clone();
        let upstream = proxy.upstream.clone();
        // The server is up, its database migrated: read it beside the server, through the
        // same repository it runs on.
        let repo: std::sync::Arc<dyn hazardsnap_ledger::Repository> = std::sync::Arc::new(
            hazardsnap_server::sqlite::SqliteRepository::open(
                data.join(hazardsnap_server::state::DB_FILE),
            )
            .expect("server repository"),
        );
        let rt = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut server = first;
            let mut held_at_kills = Vec::new();
            for k in 0..KILLS {
                if k == 0 {
                    std::thread::sleep(Duration::from_millis(rng.random_range(300..2500)));
                } else {
                    // A share of what is left, so that later kills still find reports to
                    // cut into (batches of 100 commit at once).
                    let before = server_reports(&repo, &rt);
                    let left = (i64::from(REPORTS) - before) / (KILLS - k + 1) as i64;
                    let step = rng.random_range(1..=left.max(1));
                    let give_up = std::time::Instant::now() + Duration::from_secs(60);
                    while server_reports(&repo, &rt) < before + step
                        && std::time::Instant::now() < give_up
                    {
                        std::thread::sleep(Duration::from_millis(rng.random_range(5..40)));
                    }
                }
                held_at_kills.push(server_reports(&repo, &rt));
                server.kill();
                // Down for a moment: the phone's requests meet a closed door.
                std::thread::sleep(Duration::from_millis(rng.random_range(0..400)));
                server = ServerProcess::start(&data);
                *upstream.lock().unwrap_or_else(|p| p.into_inner()) = server.addr;
            }
            (server, held_at_kills)
        })
    };

    let (rounds, errors) = sync_until_done(&core, 400).await;
    let (server, held_at_kills) = killer.await.expect("killer");
    // The sync may have finished before the last kill: one more full run against the
    // survivor proves nothing is left and the feed answers.
    let (more, _) = sync_until_done(&core, 50).await;
    eprintln!(
        "server SIGKILL (seed {seed}): {KILLS} kills with {held_at_kills:?} reports stored, \
         done after {} sync runs, {errors} cut short; proxy: {}",
        rounds + more,
        proxy.stats
    );
    let mid_reports = held_at_kills
        .iter()
        .filter(|&&n| n > 0 && n < i64::from(REPORTS))
        .count();
    assert!(
        mid_reports >= 2,
        "at least two kills must land while reports are still arriving: {held_at_kills:?}"
    );
    server.kill();
    drop(core);
    assert_exactly_once(&phone_dir, &data, REPORTS as usize).await;
}
