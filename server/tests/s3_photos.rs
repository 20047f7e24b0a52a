//! The S3 photo store (`photos_s3`) against real S3 servers over HTTP, configured the way an
//! operator configures it (an `s3://bucket/prefix` address and the `AWS_*` settings, here
//! handed over explicitly instead of through the process's environment): an in-process s3s
//! server on a loopback port (s3s's S3 protocol over s3s-fs's folder, with signature
//! checking), and, when `HAZARDSNAP_TEST_MOTO` names the command of one, a moto server
//! (`moto_server`, `pip install 'moto[server]'`) in a process of its own, an S3 written
//! independently of both s3s and the `object_store` client; without it that test is skipped
//! (and fails when `HAZARDSNAP_REQUIRE_MOTO` is set). Each stores a small photo and a
//! multi-part one, reads them back byte for byte, stores them again (nothing sent), and reads
//! a missing one as absent; and a whole server whose photos live in S3 takes a phone's photo
//! over HTTP and serves it back to an officer. Median timings of a 5 MiB and an 8 MiB photo
//! (`MAX_PHOTO_BYTES`) are printed (`--nocapture`) for BENCHMARKS.md.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ROSTER, hazard, jpeg, photo_ref, sha256_hex};
use hazardsnap_model::{EnrollResponse, PROTOCOL_VERSION, SubmitReports, SubmitResults};
use hazardsnap_server::photos::{PhotoStore, UploadStaging};
use hazardsnap_server::photos_s3::{PART_SIZE, S3PhotoStore, Stored};
use hazardsnap_server::sqlite::SqliteRepository;
use hazardsnap_server::state::DB_FILE;
use hazardsnap_server::{AppState, Config, Server};
use hyper_util::rt::TokioIo;
use object_store::ObjectStoreExt;

const ACCESS_KEY: &str = "hazardsnap-test";
const SECRET_KEY: &str = "hazardsnap-test-secret";
const BUCKET: &str = "photos";

/// An s3s-fs server on 127.0.0.1, storing buckets as folders of `root`; stops when dropped.
struct S3sServer {
    endpoint: String,
    root: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl S3sServer {
    /// Serves a fresh folder with the bucket [`BUCKET`], checking signatures with the test's
    /// key pair.
    async fn start() -> S3sServer {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket folder");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let service = {
            let mut b = s3s::service::S3ServiceBuilder::new(fs);
            b.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            b.build()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        S3sServer {
            endpoint,
            root,
            task,
        }
    }

    /// The settings an operator would export for this server.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ]
    }

    /// Where s3s-fs keeps `key` of the bucket.
    fn file_of(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }
}

impl Drop for S3sServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `n` bytes of a pattern that depends on `seed` (not compressible to nothing, not a JPEG:
/// the store does not look inside).
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Stages `data` as a file in `dir` and stores it under its hash; the name and how.
async fn put(store: &S3PhotoStore, dir: &Path, data: &[u8]) -> (String, Stored) {
    let name = sha256_hex(data);
    let staged = dir.join(format!("{name}.part"));
    std::fs::write(&staged, data).expect("stage");
    let how = store.store_file(&name, &staged).await.expect("store");
    assert!(
        !staged.exists(),
        "the staged file is removed after the upload"
    );
    (name, how)
}

/// The same assertions for any S3 server; `on_disk` finds a stored object's file where the
/// server keeps it (s3s-fs), to check it independently of the client. Returns the timings
/// of storing and reading a 5 MiB and an 8 MiB photo.
async fn exercise(
    store: &S3PhotoStore,
    prefix: &str,
    on_disk: Option<&dyn Fn(&str) -> PathBuf>,
) -> Vec<(String, Duration, Duration)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = jpeg(1, 64, 48);
    // Three parts: two full ones and a short last one.
    let large = bytes(2, 2 * PART_SIZE + 12_345);
    for (data, expected) in [
        (&small, Stored::Whole),
        (&large, Stored::Multipart { parts: 3 }),
    ] {
        let (name, how) = put(store, dir.path(), data).await;
        assert_eq!(how, expected, "{} bytes", data.len());
        let back = store.get(&name).await.expect("get").expect("stored");
        assert_eq!(back.len(), data.len());
        assert_eq!(sha256_hex(&back), name, "read back byte for byte");
        // Named like the photo folder's files, under the prefix.
        let key = format!("{prefix}/{}/{}/{name}", &name[0..2], &name[2..4]);
        let meta = store
            .object_store()
            .head(&key.as_str().into())
            .await
            .expect("object at the fan-out name");
        assert_eq!(meta.size, data.len() as u64);
        if let Some(on_disk) = on_disk {
            assert_eq!(std::fs::read(on_disk(&key)).expect("file"), *data);
        }
        // Again: the object is there with the same size, nothing is sent, and the staged
        // copy is still consumed.
        let (_, again) = put(store, dir.path(), data).await;
        assert_eq!(again, Stored::AlreadyThere);
        assert_eq!(
            store.get(&name).await.expect("get").as_deref(),
            Some(&data[..])
        );
    }
    assert_eq!(
        store.get(&sha256_hex(b"never stored")).await.expect("get"),
        None,
        "a missing photo reads as absent, not as an error"
    );

    let mut timings = Vec::new();
    for (label, n) in [("5 MiB", 5 << 20), ("8 MiB", 8 << 20)] {
        let (mut puts, mut gets) = (Vec::new(), Vec::new());
        for round in 0..TIMED_ROUNDS {
            // Other bytes each round: a new photo, not the idempotent skip.
            let data = bytes((n + round) as u64, n);
            let t = Instant::now();
            let (name, how) = put(store, dir.path(), &data).await;
            puts.push(t.elapsed());
            assert_ne!(how, Stored::AlreadyThere);
            let t = Instant::now();
            let back = store.get(&name).await.expect("get").expect("stored");
            gets.push(t.elapsed());
            assert_eq!(back, data);
        }
        timings.push((label.to_owned(), median(puts), median(gets)));
    }
    timings
}

/// Photos of each size timed, for the medians printed.
const TIMED_ROUNDS: usize = 5;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn report(server: &str, timings: &[(String, Duration, Duration)]) {
    for (label, put, get) in timings {
        println!(
            "s3 photo store, {server}: {label} photo put {:.1} ms, get {:.1} ms (median of {TIMED_ROUNDS})",
            put.as_secs_f64() * 1e3,
            get.as_secs_f64() * 1e3
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_round_trip_through_an_in_process_s3_server() {
    let s3 = S3sServer::start().await;
    let store =
        S3PhotoStore::from_url_with_env(&format!("s3://{BUCKET}/hazardsnap/photos"), s3.env())
            .expect("store");
    let on_disk = |key: &str| s3.file_of(key);
    let timings = exercise(&store, "hazardsnap/photos", Some(&on_disk)).await;
    report("s3s-fs (in process)", &timings);

    // A wrong secret: the server refuses the signature, and both directions report it as an
    // error with the cause, never as "absent".
    let mut env = s3.env();
    env.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    env.push(("AWS_SECRET_ACCESS_KEY", "wrong".into()));
    let wrong = S3PhotoStore::from_url_with_env(&format!("s3://{BUCKET}/hazardsnap/photos"), env)
        .expect("store");
    let dir = tempfile::tempdir().expect("tempdir");
    let staged = dir.path().join("x.part");
    std::fs::write(&staged, b"photo").expect("stage");
    let err = wrong
        .put_file(&sha256_hex(b"photo"), &staged)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("object store"), "{err}");
    assert!(staged.exists(), "a failed upload keeps the staged file");
    let err = wrong
        .get(&sha256_hex(b"never stored"))
        .await
        .expect_err("refused, not absent");
    assert!(err.to_string().contains("hazardsnap/photos/"), "{err}");
}

/// A moto server (`HAZARDSNAP_TEST_MOTO`, e.g. `moto_server`) on a free loopback port;
/// killed when dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Moto {
    /// Starts `command` (split at spaces) with `-H 127.0.0.1 -p PORT` and waits until it
    /// answers.
    async fn start(command: &str) -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut words = command.split_whitespace();
        let program = words.next().expect("HAZARDSNAP_TEST_MOTO names a command");
        let child = std::process::Command::new(program)
            .args(words)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let http = reqwest::Client::new();
        loop {
            if http.get(&moto.endpoint).send().await.is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "{command} did not start in 60 s");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_round_trip_through_moto() {
    let Ok(command) = std::env::var("HAZARDSNAP_TEST_MOTO") else {
        assert!(
            std::env::var_os("HAZARDSNAP_REQUIRE_MOTO").is_none(),
            "HAZARDSNAP_REQUIRE_MOTO is set but HAZARDSNAP_TEST_MOTO names no moto server"
        );
        eprintln!("skipped: set HAZARDSNAP_TEST_MOTO=moto_server (pip install 'moto[server]')");
        return;
    };
    let moto = Moto::start(&command).await;
    // moto checks no signature: the bucket is made with a plain request.
    let made = reqwest::Client::new()
        .put(format!("{}/{BUCKET}", moto.endpoint))
        .send()
        .await
        .expect("create bucket");
    assert!(made.status().is_success(), "{:?}", made.text().await);
    let env = [
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
    ];
    let store =
        S3PhotoStore::from_url_with_env(&format!("s3://{BUCKET}/district"), env).expect("store");
    let timings = exercise(&store, "district", None).await;
    report("moto (separate process)", &timings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_photos_live_in_s3_stores_and_serves_them() {
    let s3 = S3sServer::start().await;
    let store =
        S3PhotoStore::from_url_with_env(&format!("s3://{BUCKET}/srv"), s3.env()).expect("store");
    let data = tempfile::tempdir().expect("tempdir");
    let config = Config {
        data_dir: data.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        photos: Some(format!("s3://{BUCKET}/srv")),
        ..Config::new()
    };
    let repo = SqliteRepository::open(data.path().join(DB_FILE)).expect("sqlite");
    let staging = UploadStaging::open(data.path().join("uploads")).expect("staging");
    let state = AppState::with_parts(Arc::new(repo), Arc::new(store), staging, config);
    let server = Server::bind_state(state, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    hazardsnap_server::org::import_roster_text(&server.state().ledger, ROSTER)
        .await
        .expect("roster");
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .run(async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
    });
    let http = reqwest::Client::new();

    // A phone enrolls, uploads a photo and files a hazard with it.
    let r = http
        .post(format!("{base}/api/v1/enroll"))
        .json(&serde_json::json!({"code": "E001-JOIN-7H3K", "device_name": "测试手机"}))
        .send()
        .await
        .expect("enroll");
    assert_eq!(r.status(), 200);
    let phone: EnrollResponse = r.json().await.expect("enrollment");
    let photo = jpeg(11, 640, 480);
    let sha = sha256_hex(&photo);
    let r = http
        .put(format!("{base}/api/v1/photos/{sha}"))
        .bearer_auth(&phone.token)
        .header("content-type", "image/jpeg")
        .body(photo.clone())
        .send()
        .await
        .expect("put photo");
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let r = http
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(&phone.token)
        .json(&SubmitReports {
            version: PROTOCOL_VERSION,
            reports: vec![hazard(vec![photo_ref(&photo, 640, 480)])],
        })
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), 200);
    let filed: SubmitResults = r.json().await.expect("results");
    assert!(filed.results[0].entry_id.is_some(), "{filed:?}");

    // The photo is in the bucket, under the fan-out name, and nowhere in the data folder.
    let key = format!("srv/{}/{}/{sha}", &sha[0..2], &sha[2..4]);
    assert_eq!(
        std::fs::read(s3.file_of(&key)).expect("in the bucket"),
        photo
    );
    let leftovers: Vec<_> = common::files_under(&data.path().join("uploads"))
        .into_iter()
        .chain(common::files_under(&data.path().join("photos")))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // An officer of the enterprise sees it, byte for byte, read back from S3.
    let r = http
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"username": "zhang.san", "password": "initial-password-1"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let session: serde_json::Value = r.json().await.expect("session");
    let token = session["token"].as_str().expect("token");
    let r = http
        .get(format!("{base}/api/v1/photos/{sha}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get photo");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let served = r.bytes().await.expect("photo bytes");
    assert_eq!(sha256_hex(&served), sha);

    // The same photo again (a phone retrying after a lost answer) is accepted without a
    // second copy.
    let r = http
        .put(format!("{base}/api/v1/photos/{sha}"))
        .bearer_auth(&phone.token)
        .header("content-type", "image/jpeg")
        .body(photo.clone())
        .send()
        .await
        .expect("put again");
    assert!(r.status().is_success(), "{}", r.status());

    let _ = stop.send(());
    task.await.expect("server task");
}
