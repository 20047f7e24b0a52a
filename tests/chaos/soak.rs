//! The chaos soak (混沌浸泡测试): a program, bounded in time and in reports, that shakes the
//! whole system at once and then checks that nothing was lost, doubled or bent.
//!
//! - **Phones in many processes.** Each phone is a data folder driven by the real phone CLI
//!   (`hazardsnap capture`, `hazardsnap sync`, one process per command, as an app is opened and
//!   closed). Phones of two enterprises photograph scenes from a shared pool, so the same
//!   hazard arrives from several phones (overlapping duplicates). A share of the commands is
//!   killed with SIGKILL at a random moment: mid-capture, mid-upload, mid-feed.
//! - **A faulty network.** Phones reach the server only through the [`FaultProxy`], which cuts
//!   connections in both directions, resets them, stalls them, trickles them and cuts report
//!   batches' answers after the commit.
//! - **A server that dies.** The real `hazardsnap-server` binary is killed with SIGKILL at
//!   random intervals and restarted on the same data folder.
//! - **Officers at work.** Each enterprise's officer and its town's union officer drive the
//!   ledger through the API at the same time: confirm with a plan, reject, mark rectified with
//!   an after-photo, verify and close. Each scene has a plan drawn from the seed, and a hazard
//!   is closed or rejected only once every report of its scene is in (so that the outcome does
//!   not depend on arrival order and can be replayed).
//!
//! When the time is up, the network calms and the server stays up; phones sync until their
//! outboxes are empty and officers finish their plans. Then the proof: every report any phone
//! stored is on the server exactly once and filed, every photo byte-identical with its hash,
//! every outbox empty, every phone's change feed brought back the status its report's entry
//! has on the server, ledger numbers unique, the open index true; and the ledgers equal a
//! **fault-free replay** — the same phones' same reports captured on fresh phones and synced
//! to a fresh server with no fault, the same officers' plans — entry for entry (enterprise,
//! category, status, and which reports it holds).
//!
//! Run by `cargo test --workspace` (a short run); alone, after building the two binaries:
//! `cargo build -p hazardsnap-server -p hazardsnap-cli && cargo test -p hazardsnap-tests --test
//! chaos_soak`. Tuned by `HAZARDSNAP_SOAK_SECONDS` (the longest chaos phase, default 150),
//! `HAZARDSNAP_SOAK_PHONES` (default 8), `HAZARDSNAP_SOAK_REPORTS` (per phone, default 300)
//! and `HAZARDSNAP_FAULT_SEED` (replays a run). RELIABILITY.md records the long runs.
//!
//! On PostgreSQL (`HAZARDSNAP_TEST_BACKEND=postgres`, `HAZARDSNAP_TEST_PG`), with
//! `HAZARDSNAP_SOAK_REPLICAS=2` the chaos phase runs several replicas of the server on one
//! database, each in its own folder, the proxy handing connections to them in turn and the
//! killer killing any of them; the replay still runs one server, so "equal to the replay" is
//! "several replicas file what one server files".

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::exactly_once::assert_all_exactly_once;
use common::officer::DISTRICT;
use common::{ServerProcess, encode, scene, server_binary, sha256_hex};
use hazardsnap_model::{Category, Labelled};
use hazardsnap_tests::fault_proxy::{FaultProxy, Faults};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// The settings of a run
// ---------------------------------------------------------------------------------------------

/// A run's size and seed.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// How long the chaos lasts.
    chaos: Duration,
    /// How many phones.
    phones: usize,
    /// Reports each phone captures, at most (fewer if the chaos time runs out first).
    reports: usize,
    /// The seed of everything drawn.
    seed: u64,
    /// Replicas of the server on one database during the chaos (more than one needs
    /// `HAZARDSNAP_TEST_BACKEND=postgres`); the replay always runs one server.
    replicas: usize,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

impl Run {
    fn from_env() -> Run {
        Run {
            chaos: Duration::from_secs(env("HAZARDSNAP_SOAK_SECONDS", 150)),
            phones: env("HAZARDSNAP_SOAK_PHONES", 8usize).max(2),
            reports: env("HAZARDSNAP_SOAK_REPORTS", 300usize).max(1),
            seed: env("HAZARDSNAP_FAULT_SEED", rand::rng().random()),
            replicas: env("HAZARDSNAP_SOAK_REPLICAS", 1usize).max(1),
        }
    }
}

/// The faults of the chaos phase.
const CHAOS: Faults = Faults {
    up_cut: 0.5,
    up_budget: 48 * 1024,
    down_cut: 0.35,
    down_budget: 16 * 1024,
    report_answer_cut: 0.3,
    reset: 0.5,
    stall: 0.01,
    max_stall: Duration::from_millis(2500),
    trickle: 0.05,
};
/// Chance that a phone's command is killed (after up to [`PHONE_KILL_AFTER`]).
const PHONE_KILL: f64 = 0.2;
/// The latest moment a phone's command is killed: most captures and syncs take longer.
const PHONE_KILL_AFTER: Duration = Duration::from_millis(400);
/// The server's limit per client address is for one factory's NAT; every phone and officer
/// of the soak shares one loopback address at many times a factory's pace, so it is lifted
/// (the limit has its own tests, `server/tests/upload_hardening.rs`).
const SERVER_ARGS: &[&str] = &[
    "--client-rate-per-sec",
    "1000000",
    "--client-burst",
    "1000000",
];
/// How long the calm phase may take before the run is declared stuck.
const SETTLE_LIMIT: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------------
// The workload: who photographs what
// ---------------------------------------------------------------------------------------------

/// The enterprises phones belong to: code, enrollment code, officer, town officer.
const ENTERPRISES: [Enterprise; 2] = [
    Enterprise {
        code: "E001",
        join: "E001-JOIN",
        officer: ("e001", "enterprise-pass-1"),
        town: ("t01", "town-pass-1"),
    },
    Enterprise {
        code: "E003",
        join: "E003-JOIN",
        officer: ("e003", "enterprise-pass-3"),
        town: ("t02", "town-pass-2"),
    },
];

#[derive(Debug, Clone, Copy)]
struct Enterprise {
    code: &'static str,
    join: &'static str,
    officer: (&'static str, &'static str),
    town: (&'static str, &'static str),
}

/// A hazard scene: its enterprise (index into [`ENTERPRISES`]) and number there.
type Scene = (usize, u32);

/// What the officers will do with a scene's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Confirm, and once every report is in: rectify, verify, close.
    Close,
    /// Confirm only: the entry stays in rectification.
    Confirm,
    /// Once every report is in: reject.
    Reject,
}

impl Plan {
    /// Whether an entry in `status` is where this plan leaves it: at its end, or where its end
    /// can no longer be reached (an entry holding two scenes, confirmed under one's plan and
    /// then counted under the other's, which the duplicate finder merged).
    fn done(self, status: &str) -> bool {
        status == self.end()
            || match self {
                Plan::Close => status == "rejected",
                Plan::Confirm | Plan::Reject => {
                    !matches!(status, "pending_review") && status != "merged"
                }
            }
    }

    /// The status the scene's entries end in.
    fn end(self) -> &'static str {
        match self {
            Plan::Close => "closed",
            Plan::Confirm => "rectifying",
            Plan::Reject => "rejected",
        }
    }
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The workload of a run: a pure function of the run, so the replay captures the same.
#[derive(Debug, Clone)]
struct Workload {
    run: Run,
    /// Scenes per enterprise.
    scenes: u32,
    /// The scene photos, one file each.
    photos: PathBuf,
}

impl Workload {
    fn new(run: Run, dir: &Path) -> Workload {
        // Three reports per scene, from three phones (`scene_of`): enough duplicates to
        // merge, never more than an entry takes (`MAX_REPORTS_PER_ENTRY`, 8), so which entry a
        // report joins does not depend on arrival order.
        let per_enterprise = run.phones.div_ceil(ENTERPRISES.len()) * run.reports;
        let scenes = (per_enterprise as u32 / 3).max(3);
        let photos = dir.join("scenes");
        std::fs::create_dir_all(&photos).expect("scene folder");
        for e in 0..ENTERPRISES.len() {
            for k in 0..scenes {
                // Drawn at half size (drawing is slow in a test build), detailed enough that
                // thousands of scenes stay apart for the duplicate finder.
                let img = scene(100_000 * (e as u32 + 1) + k, 160, 120);
                let big =
                    image::imageops::resize(&img, 320, 240, image::imageops::FilterType::Triangle);
                std::fs::write(photos.join(format!("{e}-{k}.jpg")), encode(&big, 85))
                    .expect("scene photo");
            }
        }
        Workload {
            run,
            scenes,
            photos,
        }
    }

    fn enterprise_of(&self, phone: usize) -> usize {
        phone % ENTERPRISES.len()
    }

    /// The scene of phone `phone`'s `i`-th report: the enterprise's phones take turns, and
    /// each run of three reports in that order is one scene — the same hazard from three
    /// phones (two, where the enterprise has two).
    fn scene_of(&self, phone: usize, i: usize) -> Scene {
        let e = self.enterprise_of(phone);
        let n = ENTERPRISES.len();
        let phones_of_e = (self.run.phones + n - 1 - e) / n;
        let g = i * phones_of_e + phone / n;
        (e, ((g / 3) % self.scenes as usize) as u32)
    }

    fn plan_of(&self, s: Scene) -> Plan {
        match mix(self.run.seed ^ 0x5CE7E ^ ((s.0 as u64) << 40) ^ u64::from(s.1)) % 10 {
            0..=5 => Plan::Close,
            6..=7 => Plan::Confirm,
            _ => Plan::Reject,
        }
    }

    /// The note of phone `phone`'s `i`-th report: names it, so officers and checks can tell.
    fn note(&self, phone: usize, i: usize) -> String {
        let (e, k) = self.scene_of(phone, i);
        format!("随手拍 soak:{phone}:{i}:{e}:{k}")
    }

    /// How many reports each scene gets when phone `p` captures `counts[p]`.
    fn expected(&self, counts: &[usize]) -> HashMap<Scene, usize> {
        let mut out = HashMap::new();
        for (p, &n) in counts.iter().enumerate() {
            for i in 0..n {
                *out.entry(self.scene_of(p, i)).or_insert(0) += 1;
            }
        }
        out
    }
}

/// A report's key in the workload, read back from its note: phone, number.
fn key_of(note: &str) -> Option<(usize, usize, Scene)> {
    let rest = &note[note.find("soak:")? + 5..];
    let mut it = rest.split(':').map(|s| s.trim().parse::<u64>().ok());
    let (p, i, e, k) = (it.next()??, it.next()??, it.next()??, it.next()??);
    Some((p as usize, i as usize, (e as usize, k as u32)))
}

// ---------------------------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Tally {
    captures: AtomicU64,
    syncs: AtomicU64,
    phone_kills: AtomicU64,
    server_kills: AtomicU64,
    officer_actions: AtomicU64,
    officer_conflicts: AtomicU64,
    officer_errors: AtomicU64,
}

fn add(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------------

/// The `hazardsnap` CLI binary cargo built beside this test (`cargo test --workspace` builds
/// it; alone, `cargo build -p hazardsnap-cli`).
fn cli_binary() -> PathBuf {
    let server = server_binary();
    let cli = server.with_file_name("hazardsnap");
    assert!(
        cli.exists(),
        "{} not built: run `cargo build -p hazardsnap-cli`",
        cli.display()
    );
    cli
}

/// How a phone command ended.
#[derive(Debug)]
enum Ran {
    /// It finished: success and standard output.
    Done(bool, String),
    /// It was killed.
    Killed,
}

/// Runs one phone command, killing it with SIGKILL after a random moment when `kill` says so.
async fn phone_command(data: &Path, args: &[&str], kill: Option<Duration>) -> Ran {
    let mut child = tokio::process::Command::new(cli_binary())
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn hazardsnap");
    let mut stdout = child.stdout.take().expect("stdout");
    let read = tokio::spawn(async move {
        let mut s = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut s).await;
        s
    });
    let status = match kill {
        Some(after) => {
            tokio::select! {
                s = child.wait() => Some(s),
                () = tokio::time::sleep(after) => None,
            }
        }
        None => Some(child.wait().await),
    };
    match status {
        Some(s) => Ran::Done(s.is_ok_and(|s| s.success()), read.await.unwrap_or_default()),
        None => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            Ran::Killed
        }
    }
}

/// How many reports a phone has stored (its own count, after a kill).
async fn stored(data: &Path) -> usize {
    match phone_command(data, &["storage", "--json"], None).await {
        Ran::Done(true, out) => {
            let v: Value = serde_json::from_str(&out).expect("storage json");
            v["report_count"].as_u64().expect("report_count") as usize
        }
        other => panic!(
            "{}: the phone does not open after a kill: {other:?}",
            data.display()
        ),
    }
}

/// One phone's life: enroll, then capture and sync in bursts until it has `target` reports or
/// the chaos time is up, its commands killed at random when `chaos`. Answers how many reports
/// it stored.
async fn phone_life(
    w: Arc<Workload>,
    phone: usize,
    data: PathBuf,
    url: String,
    target: usize,
    chaos: Option<Instant>,
    tally: Arc<Tally>,
) -> usize {
    let mut rng = StdRng::seed_from_u64(mix(w.run.seed ^ 0xF0E ^ phone as u64));
    let e = ENTERPRISES[w.enterprise_of(phone)];
    // Enrollment is not killed (a phone enrolls once, before it has anything to lose); a lost
    // answer only leaves an unused device on the server.
    let name = format!("浸泡测试手机 {phone}");
    loop {
        let args = [
            "enroll", "--server", &url, "--code", e.join, "--name", &name,
        ];
        if let Ran::Done(true, _) = phone_command(&data, &args, None).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let killing = |rng: &mut StdRng| {
        (chaos.is_some_and(|end| Instant::now() < end) && rng.random_bool(PHONE_KILL))
            .then(|| rng.random_range(Duration::ZERO..PHONE_KILL_AFTER))
    };
    let mut have = 0;
    while have < target && chaos.is_none_or(|end| Instant::now() < end) {
        for _ in 0..rng.random_range(1..=4) {
            if have >= target {
                break;
            }
            let (sk, kk) = w.scene_of(phone, have);
            let photo = w.photos.join(format!("{sk}-{kk}.jpg"));
            let note = w.note(phone, have);
            let category = Category::ALL[kk as usize % Category::ALL.len()].wire_name();
            let photo = photo.to_string_lossy().into_owned();
            let args = ["capture", &photo, "--note", &note, "--category", category];
            match phone_command(&data, &args, killing(&mut rng)).await {
                Ran::Done(true, _) => {
                    have += 1;
                    add(&tally.captures);
                }
                Ran::Done(false, _) => panic!("phone {phone}: capture failed"),
                Ran::Killed => {
                    add(&tally.phone_kills);
                    // Stored or not: the phone's own store says.
                    have = stored(&data).await;
                }
            }
        }
        match phone_command(&data, &["sync", "--json"], killing(&mut rng)).await {
            Ran::Killed => add(&tally.phone_kills),
            Ran::Done(..) => add(&tally.syncs),
        }
    }
    have
}

/// Syncs a phone until its outbox is empty and one sync ran through without an error.
async fn sync_until_done(phone: usize, data: &Path) {
    for round in 0.. {
        if let Ran::Done(true, out) = phone_command(data, &["sync", "--json"], None).await {
            let v: Value = serde_json::from_str(&out).expect("sync json");
            assert_eq!(v["failed"], 0, "phone {phone}: a report failed: {v}");
            if v["pending"] == 0 && v["last_error"].is_null() {
                return;
            }
        }
        assert!(
            round < 300,
            "phone {phone}: outbox not empty after 300 syncs"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Officers
// ---------------------------------------------------------------------------------------------

/// Where the officers find the server (directly, not through the proxy).
type Address = Arc<Mutex<std::net::SocketAddr>>;

fn base(addr: &Address) -> String {
    format!("http://{}", *addr.lock().unwrap_or_else(|p| p.into_inner()))
}

/// An officer's API client that logs in again when its session is gone and reports transport
/// errors as `None` (the server may be down).
struct Desk {
    http: reqwest::Client,
    addr: Address,
    login: (&'static str, &'static str),
    token: Option<String>,
}

impl Desk {
    fn new(addr: Address, login: (&'static str, &'static str)) -> Desk {
        Desk {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("http client"),
            addr,
            login,
            token: None,
        }
    }

    async fn token(&mut self) -> Option<String> {
        if self.token.is_none() {
            let r = self
                .http
                .post(format!("{}/api/v1/session", base(&self.addr)))
                .json(&json!({"username": self.login.0, "password": self.login.1}))
                .send()
                .await
                .ok()?;
            if r.status() != 200 {
                return None;
            }
            let v: Value = r.json().await.ok()?;
            self.token = v["token"].as_str().map(str::to_owned);
        }
        self.token.clone()
    }

    /// A call: status and JSON body, or `None` when the server did not answer.
    async fn call(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        bytes: Option<Vec<u8>>,
    ) -> Option<(u16, Value)> {
        let token = self.token().await?;
        let mut rb = self
            .http
            .request(method, format!("{}{path}", base(&self.addr)))
            .bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        if let Some(b) = bytes {
            rb = rb.body(b);
        }
        let r = rb.send().await.ok()?;
        let status = r.status().as_u16();
        let text = r.text().await.ok()?;
        if status == 401 {
            self.token = None;
            return None;
        }
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn get(&mut self, path: &str) -> Option<Value> {
        match self.call(reqwest::Method::GET, path, None, None).await? {
            (200, v) => Some(v),
            _ => None,
        }
    }
}

/// Every entry the desk sees, in full (list, then each entry's detail), or `None` when the
/// server did not answer throughout.
async fn all_entries(desk: &mut Desk, known: &mut HashMap<String, Value>) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    for page in 1.. {
        let v = desk
            .get(&format!(
                "/api/v1/ledger?per_page=200&page={page}&sort=number"
            ))
            .await?;
        let entries = v["entries"].as_array().cloned().unwrap_or_default();
        let last = entries.len() < 200;
        for summary in entries {
            let id = summary["id"].as_str().unwrap_or_default().to_owned();
            // A detail is read again only when the entry moved or gained a report.
            let fresh = match known.get(&id) {
                Some(d)
                    if d["status"] == summary["status"]
                        && d["report_ids"] == summary["report_ids"] =>
                {
                    d.clone()
                }
                _ => {
                    let d = desk.get(&format!("/api/v1/ledger/{id}")).await?;
                    known.insert(id, d.clone());
                    d
                }
            };
            out.push(fresh);
        }
        if last {
            break;
        }
    }
    Some(out)
}

/// The scene of an entry: its first report's.
fn scene_of_entry(entry: &Value) -> Option<Scene> {
    entry["reports"]
        .as_array()?
        .iter()
        .filter_map(|r| key_of(r["note"].as_str()?))
        .map(|(_, _, s)| s)
        .min()
}

/// One enterprise's officers working its ledger until every scene is where its plan ends.
/// `expected` is how many reports each scene will get (updated when the phones stop).
async fn officers(
    w: Arc<Workload>,
    enterprise: usize,
    addr: Address,
    expected: Arc<Mutex<HashMap<Scene, usize>>>,
    calm: Arc<AtomicBool>,
    tally: Arc<Tally>,
    progress: Arc<Mutex<String>>,
) {
    let e = ENTERPRISES[enterprise];
    let mut ent = Desk::new(addr.clone(), e.officer);
    let mut town = Desk::new(addr, e.town);
    let mut known = HashMap::new();
    let mut after_photos = 0u32;
    loop {
        let Some(entries) = all_entries(&mut ent, &mut known).await else {
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        };
        let expected_now = expected.lock().unwrap_or_else(|p| p.into_inner()).clone();
        // Reports of each scene on the server, over all entries.
        let mut arrived: HashMap<Scene, usize> = HashMap::new();
        for entry in &entries {
            for r in entry["reports"].as_array().into_iter().flatten() {
                if let Some((_, _, s)) = r["note"].as_str().and_then(key_of) {
                    *arrived.entry(s).or_insert(0) += 1;
                }
            }
        }
        let complete = |s: &Scene| arrived.get(s) == expected_now.get(s) && arrived.contains_key(s);
        let mut settled = true;
        for entry in &entries {
            let Some(s) = scene_of_entry(entry) else {
                continue;
            };
            let plan = w.plan_of(s);
            let status = entry["status"].as_str().unwrap_or_default();
            let id = entry["id"].as_str().unwrap_or_default();
            if !plan.done(status) {
                settled = false;
            }
            let path = |a: &str| format!("/api/v1/ledger/{id}/{a}");
            let answer = match (status, plan) {
                ("pending_review", Plan::Close | Plan::Confirm) => {
                    let deadline = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();
                    let body = json!({
                        "responsible": "设备科 王工",
                        "measures": "按标准整改",
                        "funds": "500.00",
                        "deadline": deadline.to_string(),
                        "contingency": "设置警戒区",
                        "level": "workshop"
                    });
                    ent.call(reqwest::Method::POST, &path("confirm"), Some(&body), None)
                        .await
                }
                ("pending_review", Plan::Reject) if complete(&s) => {
                    let body = json!({"reason": "经核查不构成隐患"});
                    ent.call(reqwest::Method::POST, &path("reject"), Some(&body), None)
                        .await
                }
                ("rectifying", Plan::Close) if complete(&s) => {
                    after_photos += 1;
                    let img = scene(900_000 + enterprise as u32 * 10_000 + after_photos, 64, 48);
                    let photo = encode(&img, 80);
                    let sha = sha256_hex(&photo);
                    let put = ent
                        .call(
                            reqwest::Method::PUT,
                            &format!("/api/v1/photos/{sha}"),
                            None,
                            Some(photo),
                        )
                        .await;
                    if put.is_none_or(|(st, _)| !(200..300).contains(&st)) {
                        None
                    } else {
                        let body = json!({"note": "已整改", "photos": [sha]});
                        ent.call(reqwest::Method::POST, &path("rectified"), Some(&body), None)
                            .await
                    }
                }
                ("awaiting_verification", _) => {
                    let body = json!({"accepted": true, "note": "验收合格"});
                    town.call(reqwest::Method::POST, &path("verify"), Some(&body), None)
                        .await
                }
                _ => continue,
            };
            match answer {
                Some((st, _)) if (200..300).contains(&st) => add(&tally.officer_actions),
                // The entry moved since it was read (an answer lost to a kill): re-read next round.
                Some((409, _)) => add(&tally.officer_conflicts),
                Some((st, v)) if st != 429 => {
                    add(&tally.officer_errors);
                    eprintln!("officer of {}: {st} {v}", e.code);
                }
                _ => {}
            }
        }
        // Every scene expected has arrived in full and every entry is where its plan ends.
        let incomplete = expected_now
            .iter()
            .filter(|((se, _), _)| *se == enterprise)
            .filter(|(s, _)| !complete(s))
            .count();
        let all_in = incomplete == 0;
        let unsettled = entries
            .iter()
            .filter(|e| {
                scene_of_entry(e)
                    .is_some_and(|s| !w.plan_of(s).done(e["status"].as_str().unwrap_or_default()))
            })
            .count();
        *progress.lock().unwrap_or_else(|p| p.into_inner()) = format!(
            "{}: {} entries, {unsettled} not where their plan ends, {incomplete} scenes not all in",
            e.code,
            entries.len()
        );
        if calm.load(Ordering::SeqCst) && settled && all_in {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The ledger as compared
// ---------------------------------------------------------------------------------------------

/// An entry as compared between runs: enterprise, category, status, its reports' keys.
type Compared = (String, String, String, Vec<(usize, usize)>);

/// The whole ledger as the district union sees it, and each report's entry status.
async fn ledger_of(addr: Address) -> (Vec<Compared>, HashMap<String, String>, Vec<String>) {
    let mut desk = Desk::new(addr, ("qu", "district-pass-1"));
    let entries = all_entries(&mut desk, &mut HashMap::new())
        .await
        .expect("the district ledger");
    let mut compared = Vec::new();
    let mut status_of_report = HashMap::new();
    let mut numbers = Vec::new();
    for e in &entries {
        let status = e["status"].as_str().unwrap_or_default().to_owned();
        let mut keys = Vec::new();
        for r in e["reports"].as_array().into_iter().flatten() {
            let (p, i, _) = key_of(r["note"].as_str().unwrap_or_default()).expect("a soak note");
            keys.push((p, i));
            status_of_report.insert(
                r["id"].as_str().unwrap_or_default().to_owned(),
                status.clone(),
            );
        }
        keys.sort_unstable();
        numbers.push(e["number"].as_str().unwrap_or_default().to_owned());
        compared.push((
            e["enterprise"].as_str().unwrap_or_default().to_owned(),
            e["category"].as_str().unwrap_or_default().to_owned(),
            status,
            keys,
        ));
    }
    compared.sort();
    (compared, status_of_report, numbers)
}

/// Each phone report's status as the phone's change feed left it.
fn phone_statuses(phone: &Path) -> Vec<(String, Option<String>)> {
    let db = rusqlite::Connection::open(phone.join("hazardsnap.db")).expect("phone db");
    let mut st = db
        .prepare("SELECT id, server_status FROM reports")
        .expect("prepare");
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

// ---------------------------------------------------------------------------------------------
// A whole run
// ---------------------------------------------------------------------------------------------

/// What a run (chaotic or calm) left behind.
struct Outcome {
    server_data: PathBuf,
    phones: Vec<PathBuf>,
    counts: Vec<usize>,
    ledger: Vec<Compared>,
}

/// Runs the workload in `dir`: with chaos (faults, kills, for `run.chaos`) or calm, each phone
/// capturing up to `targets[p]` reports; then settles and reads the ledger back.
async fn run_workload(
    w: Arc<Workload>,
    dir: &Path,
    targets: Vec<usize>,
    chaotic: bool,
    tally: Arc<Tally>,
) -> (Outcome, Arc<FaultProxy>) {
    let run = w.run;
    let data = dir.join("server");
    std::fs::create_dir_all(dir).expect("run folder");
    common::org_import_text(&data, DISTRICT);
    // Replica 0 serves from `server`; the others from folders of their own (their upload
    // staging) on the same database.
    let replicas = if chaotic { run.replicas } else { 1 };
    let folders: Vec<PathBuf> = (0..replicas)
        .map(|i| match i {
            0 => data.clone(),
            i => dir.join(format!("server-{i}")),
        })
        .collect();
    if replicas > 1 {
        let url = common::test_database_url(&data)
            .expect("several replicas need HAZARDSNAP_TEST_BACKEND=postgres");
        for f in &folders[1..] {
            std::fs::create_dir_all(f).expect("replica folder");
            std::fs::write(f.join(".test-database-url"), &url).expect("replica database");
        }
    }
    // Replicas share one photo folder (in production S3, or one mount): replica 0's.
    let mut args: Vec<String> = SERVER_ARGS.iter().map(|a| (*a).to_owned()).collect();
    if replicas > 1 {
        args.push("--photos".into());
        args.push(data.join("photos").display().to_string());
    }
    let args = Arc::new(args);
    let start = |folder: &Path, args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ServerProcess::start_with(folder, &args)
    };
    let servers: Vec<ServerProcess> = folders.iter().map(|f| start(f, &args)).collect();
    let proxy = Arc::new(
        FaultProxy::start(
            servers[0].addr,
            if chaotic { CHAOS } else { Faults::NONE },
            run.seed,
        )
        .await,
    );
    if replicas > 1 {
        proxy.set_replicas(servers.iter().map(|s| s.addr).collect());
    }
    let addr: Address = proxy.upstream.clone();
    let calm = Arc::new(AtomicBool::new(!chaotic));
    let chaos_end = chaotic.then(|| Instant::now() + run.chaos);

    // The server killer: SIGKILL at random, restart on the same folder, until the chaos ends
    // (its time is up, or every phone has captured all it had to).
    let phones_done = Arc::new(AtomicBool::new(false));
    let killer = {
        let (proxy, folders, tally) = (proxy.clone(), folders.clone(), tally.clone());
        let phones_done = phones_done.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(mix(run.seed ^ 0xD1E));
            let mut servers: Vec<Option<ServerProcess>> = servers.into_iter().map(Some).collect();
            while let Some(end) = chaos_end {
                let at = Instant::now() + Duration::from_millis(rng.random_range(2_000..8_000));
                while Instant::now() < at.min(end) && !phones_done.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                if Instant::now() < at {
                    break;
                }
                let victim = rng.random_range(0..servers.len());
                if let Some(s) = servers[victim].take() {
                    s.kill();
                }
                add(&tally.server_kills);
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..1500))).await;
                let (d, args) = (folders[victim].clone(), args.clone());
                let server = tokio::task::spawn_blocking(move || start(&d, &args))
                    .await
                    .expect("restart");
                if victim == 0 {
                    proxy.set_upstream(server.addr);
                }
                if servers.len() > 1 {
                    proxy.set_replica(victim, server.addr);
                }
                servers[victim] = Some(server);
            }
            servers.into_iter().flatten().collect::<Vec<_>>()
        })
    };

    let expected = Arc::new(Mutex::new(w.expected(&targets)));
    let progress: Vec<Arc<Mutex<String>>> = (0..ENTERPRISES.len())
        .map(|_| Arc::new(Mutex::new(String::new())))
        .collect();
    let desks: Vec<_> = (0..ENTERPRISES.len())
        .map(|e| {
            tokio::spawn(officers(
                w.clone(),
                e,
                addr.clone(),
                expected.clone(),
                calm.clone(),
                tally.clone(),
                progress[e].clone(),
            ))
        })
        .collect();
    let phones: Vec<PathBuf> = (0..run.phones)
        .map(|p| dir.join(format!("phone-{p}")))
        .collect();
    let lives: Vec<_> = phones
        .iter()
        .enumerate()
        .map(|(p, d)| {
            tokio::spawn(phone_life(
                w.clone(),
                p,
                d.clone(),
                proxy.url(),
                targets[p],
                chaos_end,
                tally.clone(),
            ))
        })
        .collect();
    let mut counts = Vec::new();
    for l in lives {
        counts.push(l.await.expect("phone"));
    }
    phones_done.store(true, Ordering::SeqCst);
    // Calm: the killer stops, the network heals, phones empty their outboxes.
    let servers = killer.await.expect("killer");
    proxy.set_faults(Faults::NONE);
    *expected.lock().unwrap_or_else(|p| p.into_inner()) = w.expected(&counts);
    calm.store(true, Ordering::SeqCst);
    let phones_synced = Arc::new(AtomicU64::new(0));
    let settle = async {
        let syncs: Vec<_> = phones
            .iter()
            .enumerate()
            .map(|(p, d)| {
                let (d, synced) = (d.clone(), phones_synced.clone());
                tokio::spawn(async move {
                    sync_until_done(p, &d).await;
                    add(&synced);
                })
            })
            .collect();
        for s in syncs {
            s.await.expect("sync");
        }
        for d in desks {
            d.await.expect("officers");
        }
        // The officers' last moves reach the phones.
        for (p, d) in phones.iter().enumerate() {
            sync_until_done(p, d).await;
        }
    };
    if tokio::time::timeout(SETTLE_LIMIT, settle).await.is_err() {
        let desks: Vec<String> = progress
            .iter()
            .map(|p| p.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect();
        panic!(
            "the calm phase did not settle in {SETTLE_LIMIT:?}: {} of {} phones synced; officers: {desks:?}",
            get(&phones_synced),
            phones.len()
        );
    }
    let (ledger, status_of_report, numbers) = ledger_of(addr).await;
    for s in servers {
        s.kill();
    }

    // The change feeds brought every status back.
    for (p, d) in phones.iter().enumerate() {
        for (id, status) in phone_statuses(d) {
            assert_eq!(
                status.as_deref(),
                status_of_report.get(&id).map(String::as_str),
                "phone {p}, report {id}: the feed did not bring the entry's status"
            );
        }
    }
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), numbers.len(), "a ledger number used twice");
    (
        Outcome {
            server_data: data,
            phones,
            counts,
            ledger,
        },
        proxy,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let run = Run::from_env();
    eprintln!(
        "chaos soak: {run:?} (replay with HAZARDSNAP_FAULT_SEED={})",
        run.seed
    );
    let started = Instant::now();
    let work = common::fast_tempdir();
    let w = Arc::new(Workload::new(run, work.path()));

    let chaos_dir = work.path().join("chaos");
    let tally = Arc::new(Tally::default());
    let (chaos, proxy) = run_workload(
        w.clone(),
        &chaos_dir,
        vec![run.reports; run.phones],
        true,
        tally.clone(),
    )
    .await;
    let stored: usize = chaos.counts.iter().sum();
    assert_all_exactly_once(&chaos.phones, &chaos.server_data, stored).await;
    let chaos_time = started.elapsed();

    // The fault-free replay: the same reports on fresh phones, a fresh server, no fault.
    let replay_dir = work.path().join("replay");
    let (replay, _) = run_workload(
        w.clone(),
        &replay_dir,
        chaos.counts.clone(),
        false,
        Arc::new(Tally::default()),
    )
    .await;
    assert_eq!(replay.counts, chaos.counts, "the replay captured otherwise");
    assert_all_exactly_once(&replay.phones, &replay.server_data, stored).await;
    // Scenes the duplicate finder confused: filed in one entry with another scene, in either
    // run. Two different hazards that look alike may or may not be merged depending on what
    // else is open when each arrives (an entry an officer closed takes no more reports), so
    // for them arrival order legitimately decides; every other entry must be equal.
    let scenes_of = |e: &Compared| -> Vec<Scene> {
        let mut s: Vec<Scene> = e.3.iter().map(|&(p, i)| w.scene_of(p, i)).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let confused: std::collections::HashSet<Scene> = chaos
        .ledger
        .iter()
        .chain(&replay.ledger)
        .map(scenes_of)
        .filter(|s| s.len() > 1)
        .flatten()
        .collect();
    let clear = |l: &[Compared]| -> Vec<Compared> {
        l.iter()
            .filter(|e| scenes_of(e).iter().all(|s| !confused.contains(s)))
            .cloned()
            .collect()
    };
    let (mine, theirs) = (clear(&chaos.ledger), clear(&replay.ledger));
    let only_chaos: Vec<&Compared> = mine
        .iter()
        .filter(|e| !theirs.contains(e))
        .take(8)
        .collect();
    let only_replay: Vec<&Compared> = theirs
        .iter()
        .filter(|e| !mine.contains(e))
        .take(8)
        .collect();
    assert!(
        mine.len() == theirs.len() && only_chaos.is_empty() && only_replay.is_empty(),
        "the ledger differs from the fault-free replay outside {} confused scenes ({} entries vs \
         {}): only after the chaos {only_chaos:?}; only in the replay {only_replay:?}",
        confused.len(),
        mine.len(),
        theirs.len()
    );
    let mixed = chaos
        .ledger
        .iter()
        .filter(|e| scenes_of(e).len() > 1)
        .count();
    let by_status: BTreeMap<&str, usize> = chaos.ledger.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(e.2.as_str()).or_insert(0) += 1;
        m
    });
    eprintln!(
        "chaos soak (seed {}): {} phones, {stored} reports stored ({} captures, {} syncs), \
         {} phone kills, {} server kills, {} faults injected; proxy: {}; officers: {} actions, \
         {} conflicts, {} errors; {} entries {by_status:?}, {mixed} holding two scenes, {} scenes confused (left out of the comparison); lost 0, duplicated 0, ledger equal \
         to the fault-free replay; chaos and settle {:.0?}, all {:.0?}",
        run.seed,
        run.phones,
        get(&tally.captures),
        get(&tally.syncs),
        get(&tally.phone_kills),
        get(&tally.server_kills),
        proxy.stats.faults(),
        proxy.stats,
        get(&tally.officer_actions),
        get(&tally.officer_conflicts),
        get(&tally.officer_errors),
        chaos.ledger.len(),
        confused.len(),
        chaos_time,
        started.elapsed(),
    );
    assert_eq!(get(&tally.officer_errors), 0, "officers met errors");
    assert!(
        get(&tally.server_kills) > 0 && get(&tally.phone_kills) > 0 && proxy.stats.faults() > 0,
        "the soak injected nothing: it proved nothing"
    );
}
