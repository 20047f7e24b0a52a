//! The sync proven against faults (故障注入同步测试), driven by the real phone core
//! ([`HazardCore`]) over real TCP on loopback:
//!
//! - a fault proxy ([`hazardsnap_tests::fault_proxy`]) between phone and server cuts connections at seeded random byte offsets in
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
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::exactly_once::assert_exactly_once;
use common::{ROSTER, ServerProcess, TestServer, encode, fast_tempdir, scene};
use hazardsnap_core::{
    CaptureRequest, HazardCore, HazardError, PhotoSource, ReportContent, SyncOptions,
};
use hazardsnap_model::Category;
use hazardsnap_photo::PipelineConfig;
use hazardsnap_tests::fault_proxy::{FaultProxy, Faults};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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
            ..Faults::NONE
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
    common::org_import_text(&data, ROSTER);

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
