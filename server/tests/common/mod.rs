//! Shared helpers of the server's integration tests: a real server on 127.0.0.1 port 0 over a
//! temporary data folder, a real HTTP client, generated JPEG photos, report builders.
#![allow(dead_code)]

pub mod exactly_once;
pub mod officer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use hazardsnap_ledger::repo::rows::StoreCounts;
use hazardsnap_model::{
    AtRisk, Category, CheckSource, EnrollResponse, PROTOCOL_VERSION, PhotoRef, ReportKind,
    ReportSubmission, Severity, SubmitReports, SubmitResults,
};
use hazardsnap_server::clock::TestClock;
use hazardsnap_server::{AppState, Config, Server};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use uuid::Uuid;

/// A roster for tests: two enterprises in one town, codes for both, one officer.
pub const ROSTER: &str = r#"
[district]
name = "周村区"

[[towns]]
code = "T01"
name = "丝绸路街道"

[[enterprises]]
code = "E001"
name = "某化工有限公司"
town = "T01"
industry = "hazardous_chemicals"
private_sme = true
workshops = [{ name = "一车间", teams = ["甲班", "乙班"] }]
site_points = [{ code = "E001-P01", name = "液氯储罐区", lat = 36.80, lon = 117.87, radius_m = 50 }]

[[enterprises]]
code = "E002"
name = "某纺织厂"
town = "T01"
industry = "other"

[[users]]
username = "zhang.san"
password = "initial-password-1"
role = "enterprise"
scope = "E001"

[[enrollment_codes]]
code = "E001-JOIN-7H3K"
enterprise = "E001"

[[enrollment_codes]]
code = "E002-JOIN-9Q2W"
enterprise = "E002"
"#;

/// A server running in this process.
pub struct TestServer {
    pub base: String,
    pub state: AppState,
    /// The server's clock: move it forward to let deadlines pass, instead of waiting.
    pub clock: Arc<TestClock>,
    pub data: tempfile::TempDir,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with the test roster and default limits.
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server after `tune` adjusted the configuration.
    pub async fn start_with(tune: impl FnOnce(&mut Config)) -> TestServer {
        TestServer::start_roster(ROSTER, tune).await
    }

    /// Starts a server with another roster.
    pub async fn start_roster(roster: &str, tune: impl FnOnce(&mut Config)) -> TestServer {
        TestServer::start_roster_in(tempfile::tempdir().expect("tempdir"), roster, tune).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// Stops the server and hands back its data folder, to start another on it.
    #[allow(dead_code)]
    pub async fn stop_keep_data(mut self) -> tempfile::TempDir {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        let empty = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self.data, empty)
    }

    /// Asserts that the repository's derived structures (the dedup index of open entries)
    /// hold exactly what its rows say they should, through the repository's own check.
    #[allow(dead_code)]
    pub async fn assert_open_index_true(&self) {
        let drift = self
            .state
            .ledger
            .integrity_problems()
            .await
            .expect("drift check");
        assert!(drift.is_empty(), "open index drifted: {drift:#?}");
    }

    /// Enrolls a device with `code`.
    pub async fn enroll(&self, code: &str) -> EnrollResponse {
        self.enroll_named(code, "测试手机").await
    }

    /// Enrolls a device with `code` under a device name.
    pub async fn enroll_named(&self, code: &str, name: &str) -> EnrollResponse {
        let r = self
            .http
            .post(self.url("/api/v1/enroll"))
            .json(&serde_json::json!({"code": code, "device_name": name}))
            .send()
            .await
            .expect("enroll request");
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
        r.json().await.expect("enroll body")
    }

    /// PUT a whole photo; returns the status.
    pub async fn put_photo(&self, token: &str, photo: &[u8]) -> reqwest::Response {
        self.http
            .put(self.url(&format!("/api/v1/photos/{}", sha256_hex(photo))))
            .bearer_auth(token)
            .header("content-type", "image/jpeg")
            .body(photo.to_vec())
            .send()
            .await
            .expect("put photo")
    }

    /// Submits reports.
    pub async fn submit(&self, token: &str, reports: Vec<ReportSubmission>) -> SubmitResults {
        let r = self
            .http
            .post(self.url("/api/v1/reports"))
            .bearer_auth(token)
            .json(&SubmitReports {
                version: PROTOCOL_VERSION,
                reports,
            })
            .send()
            .await
            .expect("submit");
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
        r.json().await.expect("results")
    }

    pub async fn counts(&self) -> StoreCounts {
        self.state.ledger.counts().await.expect("counts")
    }

    /// Every file under the data folder's photo and upload folders, with sizes.
    pub fn photo_files(&self) -> Vec<(PathBuf, u64)> {
        let mut out: Vec<(PathBuf, u64)> = ["photos", "uploads"]
            .iter()
            .flat_map(|sub| files_under(&self.data.path().join(sub)))
            .map(|p| {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                (p, len)
            })
            .collect();
        out.sort();
        out
    }
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A real JPEG of `w`×`h` with a pattern that depends on `seed`.
pub fn jpeg(seed: u32, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let s = seed.wrapping_mul(2654435761);
        let v = x.wrapping_mul(7 + (s % 13)) ^ y.wrapping_mul(3 + (s % 5)) ^ s;
        image::Rgb([
            (v & 0xff) as u8,
            ((x + s) & 0xff) as u8,
            ((y.wrapping_mul(2) + (s >> 8)) & 0xff) as u8,
        ])
    });
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    img.write_with_encoder(enc).expect("encode jpeg");
    out
}

pub fn photo_ref(photo: &[u8], w: u32, h: u32) -> PhotoRef {
    PhotoRef {
        sha256: sha256_hex(photo),
        bytes: photo.len() as u64,
        width: w,
        height: h,
        phash: None,
    }
}

/// A hazard report with the given photos.
pub fn hazard(photos: Vec<PhotoRef>) -> ReportSubmission {
    ReportSubmission {
        id: Uuid::now_v7(),
        kind: ReportKind::Hazard,
        category: Category::EquipmentGuarding,
        severity: Severity::General,
        at_risk: vec![AtRisk::Oneself],
        source: CheckSource::WorkerCheck,
        note: "液氯储罐区阀门泄漏".into(),
        captured_at: Utc::now(),
        photos,
        location: None,
        site_code: Some("E001-P01".into()),
        workshop: Some("一车间".into()),
        team: Some("甲班".into()),
        anonymous: false,
    }
}

/// A suggestion without photos.
pub fn suggestion() -> ReportSubmission {
    ReportSubmission {
        id: Uuid::now_v7(),
        kind: ReportKind::Suggestion,
        category: Category::FixedPosition,
        severity: Severity::General,
        at_risk: vec![],
        source: CheckSource::TeamCrossCheck,
        note: "建议在通道口加装反光镜".into(),
        captured_at: Utc::now(),
        photos: vec![],
        location: None,
        site_code: None,
        workshop: None,
        team: None,
        anonymous: true,
    }
}

/// Asserts an answer is an error with this status and code, in the JSON shape of the API.
pub async fn assert_error(r: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    let body: serde_json::Value = r.json().await.expect("json error body");
    assert_eq!(body["error"], code, "{body}");
    let msg = body["message"].as_str().unwrap_or("");
    assert!(msg.contains(" / "), "bilingual message: {msg}");
    body
}

/// A generated "scene": a smooth background with a few objects, all chosen by `seed`. Scenes of
/// different seeds are different hazards; re-encodings of one scene are the same photo.
pub fn scene(seed: u32, w: u32, h: u32) -> image::RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let base = [next() % 200, next() % 200, next() % 200];
    let objects: Vec<(u32, u32, u32, [u32; 3])> = (0..6)
        .map(|_| {
            (
                next() % w,
                next() % h,
                w / 12 + next() % (w / 5),
                [next() % 256, next() % 256, next() % 256],
            )
        })
        .collect();
    image::RgbImage::from_fn(w, h, |x, y| {
        let mut c = [
            base[0] + x * 55 / w,
            base[1] + y * 55 / h,
            base[2] + (x + y) * 40 / (w + h),
        ];
        for (i, (ox, oy, r, col)) in objects.iter().enumerate() {
            let (dx, dy) = (x.abs_diff(*ox), y.abs_diff(*oy));
            let inside = if i % 2 == 0 {
                dx * dx + dy * dy < r * r
            } else {
                dx < *r && dy < r / 2
            };
            if inside {
                c = *col;
                // Texture inside objects gives the keypoint detector corners to find.
                if (x / 6 + y / 6) % 2 == 0 {
                    c = [c[0] / 2, c[1] / 2, c[2] / 2];
                }
            }
        }
        image::Rgb([
            c[0].min(255) as u8,
            c[1].min(255) as u8,
            c[2].min(255) as u8,
        ])
    })
}

pub fn encode(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    img.write_with_encoder(enc).expect("encode");
    out
}

/// A temporary folder on a memory file system when the machine has one (`/dev/shm`), else
/// the usual temporary folder. For tests that write thousands of small files: each fsync costs
/// a real disk tens of milliseconds, and a SIGKILL loses nothing from the page cache anyway,
/// so crash tests prove the same on either.
pub fn fast_tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("tempdir")
}

impl TestServer {
    /// Like [`TestServer::start_with`], on a data folder the caller chose (e.g. from
    /// [`fast_tempdir`]).
    pub async fn start_in(data: tempfile::TempDir, tune: impl FnOnce(&mut Config)) -> TestServer {
        TestServer::start_roster_in(data, ROSTER, tune).await
    }

    /// A server with `roster` on the data folder `data`.
    pub async fn start_roster_in(
        data: tempfile::TempDir,
        roster: &str,
        tune: impl FnOnce(&mut Config),
    ) -> TestServer {
        let mut config = Config {
            data_dir: data.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..Config::new()
        };
        // Tests fire requests back to back; the production limit is not what they test.
        config.device_rate_per_sec = std::num::NonZeroU32::new(100_000).expect("nonzero");
        config.device_burst = std::num::NonZeroU32::new(100_000).expect("nonzero");
        config.enroll_per_minute = std::num::NonZeroU32::new(100_000).expect("nonzero");
        config.client_rate_per_sec = std::num::NonZeroU32::new(100_000).expect("nonzero");
        config.client_burst = std::num::NonZeroU32::new(100_000).expect("nonzero");
        tune(&mut config);
        if let Some(url) = test_database_url(&config.data_dir) {
            config.database_url = Some(url);
        }
        let clock = Arc::new(TestClock::new());
        let listen = config.listen;
        let state = AppState::start(config)
            .await
            .expect("state")
            .with_clock(clock.clone());
        let server = Server::bind_state(state, listen).await.expect("bind");
        hazardsnap_server::org::import_roster_text(&server.state().ledger, roster)
            .await
            .expect("roster");
        let base = format!("http://{}", server.local_addr());
        let state = server.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
        });
        TestServer {
            base,
            state,
            clock,
            data,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }
}

#[allow(unused_imports)]
pub use exactly_once::{pg_rows_as_text, test_database_url};

/// The `hazardsnap-server` binary: cargo's own path for the server's tests; for the tests of
/// another package (the end-to-end crate), the binary cargo built beside the test executable
/// (`cargo test --workspace` builds it; alone, run `cargo build -p hazardsnap-server` first).
pub fn server_binary() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_hazardsnap-server") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/<test>-<hash> → target/<profile>/hazardsnap-server
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("hazardsnap-server"))
        .expect("target folder");
    assert!(
        bin.exists(),
        "{} not built: run `cargo build -p hazardsnap-server` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
}

/// `hazardsnap-server org import --data DATA ROSTER`, which must succeed; what it printed.
pub fn org_import(data: &Path, roster: &Path) -> String {
    let database: Vec<String> = test_database_url(data)
        .map(|u| vec!["--database-url".to_owned(), u])
        .unwrap_or_default();
    let out = std::process::Command::new(server_binary())
        .args(["org", "import", "--data"])
        .arg(data)
        .args(&database)
        .arg(roster)
        .output()
        .expect("run org import");
    assert!(
        out.status.success(),
        "org import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes the roster `toml` beside the data folder `data` (`DATA.roster.toml`) and imports it
/// ([`org_import`]).
pub fn org_import_text(data: &Path, toml: &str) -> String {
    let file = data.with_extension("roster.toml");
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).expect("roster folder");
    }
    std::fs::write(&file, toml).expect("roster file");
    org_import(data, &file)
}

/// Sends `method path` with a head announcing `length` body bytes (and `headers`) and not
/// one of them; the answer, read until it names `payload_too_large` (a server that waited for
/// the body would never answer, and the test would hang rather than pass).
pub async fn head_only_answer(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    length: u64,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {length}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("payload_too_large") {
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "closed without an answer: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// The real `hazardsnap-server` binary serving a data folder on a free loopback port; killed
/// and reaped when dropped, so a failing test leaves no server behind.
pub struct ServerProcess {
    /// The process.
    pub child: std::process::Child,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts `hazardsnap-server serve` on `data` and waits until it listens.
    pub fn start(data: &Path) -> ServerProcess {
        ServerProcess::spawn(data, &[], "warn", std::process::Stdio::null())
    }

    /// Like [`ServerProcess::start`], with more arguments to `serve`.
    pub fn start_with(data: &Path, args: &[&str]) -> ServerProcess {
        ServerProcess::spawn(data, args, "warn", std::process::Stdio::null())
    }

    /// Like [`ServerProcess::start`], its log at `filter` (an `EnvFilter`, e.g. `debug`)
    /// appended to the file `log`.
    pub fn start_logged(data: &Path, log: &Path, filter: &str) -> ServerProcess {
        ServerProcess::start_logged_env(data, log, filter, &[])
    }

    /// Like [`ServerProcess::start_logged`], with more environment variables.
    pub fn start_logged_env(
        data: &Path,
        log: &Path,
        filter: &str,
        env: &[(&str, &str)],
    ) -> ServerProcess {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        ServerProcess::spawn_env(data, &[], env, filter, file.into())
    }

    fn spawn(
        data: &Path,
        args: &[&str],
        filter: &str,
        stderr: std::process::Stdio,
    ) -> ServerProcess {
        ServerProcess::spawn_env(data, args, &[], filter, stderr)
    }

    fn spawn_env(
        data: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        filter: &str,
        stderr: std::process::Stdio,
    ) -> ServerProcess {
        use std::io::BufRead;
        let database: Vec<String> = test_database_url(data)
            .map(|u| vec!["--database-url".to_owned(), u])
            .unwrap_or_default();
        let child = std::process::Command::new(server_binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(&database)
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", filter)
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn server");
        // Owned by the guard at once, so that a failed start still reaps it.
        let mut proc = ServerProcess {
            child,
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let mut stdout = std::io::BufReader::new(proc.child.stdout.take().expect("stdout"));
        let mut line = String::new();
        loop {
            line.clear();
            let n = stdout.read_line(&mut line).expect("read stdout");
            assert!(n > 0, "server exited before listening");
            if let Some(addr) = line.trim().strip_prefix("listening on ") {
                proc.addr = addr
                    .trim_start_matches("http://")
                    .parse()
                    .expect("listen address");
                // The server prints nothing more to stdout; reading on keeps the pipe open.
                std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
                return proc;
            }
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill(self) {
        drop(self);
    }
}

/// Every file under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A client bound to another loopback address: another client address to the server.
pub fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

/// A PNG header declaring 60000×60000 pixels: a decompression bomb if anyone decoded it.
pub fn png_bomb() -> Vec<u8> {
    let img = image::GrayImage::new(1, 1);
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    // IHDR data starts at byte 16: width then height, big-endian.
    png[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    png
}

/// A real JPEG whose frame header claims 60000×60000 pixels.
pub fn jpeg_bomb() -> Vec<u8> {
    let mut j = jpeg(7, 64, 64);
    let sof = j
        .windows(2)
        .position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2))
        .expect("SOF marker");
    // FFC0, length (2), precision (1), height (2), width (2).
    j[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    j[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    j
}
