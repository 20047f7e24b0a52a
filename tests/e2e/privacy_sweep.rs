//! The privacy sweep (隐私检查): a worker's phone and an office's browser use the real server
//! binary from a marked address (`127.0.0.23`, with `X-Forwarded-For`, `X-Real-IP` and
//! `Forwarded` claiming `198.51.100.77`) under a marked user agent; the worker types a mobile
//! number into their phone's name and their notes; a hostile client uploads a camera photo with
//! EXIF, GPS, a serial number and an embedded thumbnail. Officers then work, export the ledger,
//! the monthly report, the training record and the reward register.
//!
//! Afterwards, nowhere — the server's database file with its WAL, its log at `debug`, any
//! export (spreadsheet cells unzipped, CSV, pages) — holds the address, the user agent or the
//! mobile number; the camera photo was refused; every photo the server serves carries no EXIF,
//! GPS, XMP, maker notes or embedded thumbnail (checked by walking the JPEG's segments, and by
//! `exiftool` where it is installed).
//!
//! The camera fixture `tests/fixtures/camera-gps.jpg` was made from `demo-valve.jpg` with
//! `vipsthumbnail` and `exiftool` (Make, Model, SerialNumber, Artist with a mobile number,
//! DateTimeOriginal, GPS position, ThumbnailImage, XMP Creator).

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use common::officer::DISTRICT;
use common::{ServerProcess, fast_tempdir, sha256_hex};
use hazardsnap_model::{PROTOCOL_VERSION, ReportSubmission};
use serde_json::{Value, json};

/// The address the clients connect from.
const CLIENT_IP: &str = "127.0.0.23";
/// The address proxies' headers claim.
const FORWARDED_IP: &str = "198.51.100.77";
/// The user agent every request carries.
const AGENT: &str = "PrivacySweepAgent/7.7 (Android 14; 隐私检查)";
/// The worker's mobile number.
const MOBILE: &str = "13912345678";
/// Its other spellings a search must also miss.
const MOBILE_SPELLED: [&str; 3] = ["139 1234 5678", "139-1234-5678", "1234 5678"];

fn client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in [
        ("x-forwarded-for", FORWARDED_IP.to_owned()),
        ("x-real-ip", FORWARDED_IP.to_owned()),
        ("forwarded", format!("for={FORWARDED_IP};proto=http")),
    ] {
        headers.insert(name, value.parse().expect("header"));
    }
    reqwest::Client::builder()
        .local_address(IpAddr::V4(CLIENT_IP.parse::<Ipv4Addr>().expect("ip")))
        .user_agent(AGENT)
        .default_headers(headers)
        .build()
        .expect("client")
}

/// Every marker the sweep must not find.
fn markers() -> Vec<String> {
    let mut m = vec![
        CLIENT_IP.to_owned(),
        FORWARDED_IP.to_owned(),
        "PrivacySweepAgent".to_owned(),
        "隐私检查".to_owned(),
        MOBILE.to_owned(),
        "SN-PRIVACY-0042".to_owned(),
    ];
    m.extend(MOBILE_SPELLED.iter().map(|s| (*s).to_owned()));
    m
}

/// Fails naming the marker and the place when `bytes` holds a marker.
fn sweep(place: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for m in markers() {
        assert!(!text.contains(&m), "{place} holds {m:?}");
    }
}

/// Every file of a spreadsheet (an xlsx is a zip of XML), unzipped, swept.
fn sweep_xlsx(place: &str, xlsx: &[u8]) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("an xlsx is a zip");
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("zip member");
        let name = f.name().map(|n| n.to_string()).unwrap_or_default();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).expect("unzip");
        sweep(&format!("{place} ({name})"), &bytes);
    }
}

/// The JPEG's segments before the image data: none may carry metadata. JFIF (APP0) and the
/// Adobe colour transform (APP14) are allowed; EXIF and its thumbnail (APP1), XMP (APP1), ICC
/// (APP2), IPTC (APP13), any other APPn and comments (COM) are not.
fn assert_no_metadata(place: &str, jpeg: &[u8]) {
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "{place}: not a JPEG");
    let mut pos = 2;
    loop {
        assert_eq!(jpeg[pos], 0xFF, "{place}: marker expected at {pos}");
        let marker = jpeg[pos + 1];
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        let body = &jpeg[pos + 4..pos + 2 + len];
        match marker {
            0xE0 => assert!(body.starts_with(b"JFIF\0"), "{place}: APP0 other than JFIF"),
            0xEE => assert!(
                body.starts_with(b"Adobe"),
                "{place}: APP14 other than Adobe"
            ),
            0xE1..=0xEF | 0xFE => panic!("{place}: metadata segment 0x{marker:02X}"),
            _ => {}
        }
        pos += 2 + len;
    }
    // An independent reader, where it is installed (CI installs it).
    let Ok(out) = std::process::Command::new("exiftool")
        .args(["-j", "-G", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(jpeg)?;
            child.wait_with_output()
        })
    else {
        eprintln!("exiftool not installed: the segment walk alone checked {place}");
        return;
    };
    let tags: Value = serde_json::from_slice(&out.stdout).expect("exiftool json");
    for key in tags[0].as_object().expect("exiftool object").keys() {
        let group = key.split(':').next().unwrap_or_default();
        assert!(
            !matches!(
                group,
                "EXIF" | "XMP" | "IPTC" | "ICC_Profile" | "MakerNotes"
            ) && !key.contains("GPS")
                && !key.contains("Thumbnail"),
            "{place}: exiftool finds {key}"
        );
    }
}

async fn ok_json(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let text = r.text().await.expect("body");
    assert!(status.is_success(), "{what}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn ok_bytes(r: reqwest::Response, what: &str) -> Vec<u8> {
    let status = r.status();
    let bytes = r.bytes().await.expect("body").to_vec();
    assert!(status.is_success(), "{what}: {status}");
    bytes
}

/// What a phone sends for one captured photo: the pipeline's output (no metadata) and its
/// reference.
fn captured(camera: &[u8]) -> (Vec<u8>, hazardsnap_model::PhotoRef) {
    let out = hazardsnap_photo::process(camera, &hazardsnap_photo::PipelineConfig::default())
        .expect("pipeline");
    let r = common::photo_ref(&out.stored, out.width, out.height);
    (out.stored, r)
}

fn report(photo: hazardsnap_model::PhotoRef, note: &str, anonymous: bool) -> ReportSubmission {
    let mut r = common::hazard(vec![photo]);
    r.note = note.to_owned();
    r.anonymous = anonymous;
    r.site_code = None;
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_address_agent_or_mobile_number_anywhere_and_no_photo_metadata() {
    let work = fast_tempdir();
    let data = work.path().join("server");
    common::org_import_text(&data, DISTRICT);
    let log = work.path().join("server.log");
    // Everything the server's own crates say, and the HTTP layers' requests and answers.
    let server = ServerProcess::start_logged(&data, &log, "debug");
    let base = server.base();
    let http = client();
    let url = |p: &str| format!("{base}{p}");

    // The worker's phone: enrolled under a name with the mobile number in it.
    let enrolled = ok_json(
        http.post(url("/api/v1/enroll"))
            .json(&json!({"code": "E001-JOIN", "device_name": format!("王师傅 {MOBILE} 的手机")}))
            .send()
            .await
            .expect("enroll"),
        "enroll",
    )
    .await;
    let device = enrolled["token"].as_str().expect("token").to_owned();

    // A hostile client sends the camera's file as it is: refused, nothing stored.
    let camera =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/camera-gps.jpg"))
            .expect("camera fixture");
    let r = http
        .put(url(&format!("/api/v1/photos/{}", sha256_hex(&camera))))
        .bearer_auth(&device)
        .body(camera.clone())
        .send()
        .await
        .expect("put camera photo");
    assert_eq!(r.status(), 422, "a photo with EXIF and GPS must be refused");
    let body: Value = r.json().await.expect("error body");
    assert_eq!(body["error"], "photo_has_metadata", "{body}");

    // The phone's way: the pipeline's photo, then three reports with the number in the notes
    // (one named, one anonymous, one suggestion).
    let (photo, photo_ref) = captured(&camera);
    ok_bytes(
        http.put(url(&format!("/api/v1/photos/{}", photo_ref.sha256)))
            .bearer_auth(&device)
            .body(photo.clone())
            .send()
            .await
            .expect("put photo"),
        "photo",
    )
    .await;
    let named = report(
        photo_ref.clone(),
        &format!("阀门漏气\u{202E}，联系我 {MOBILE}\u{0}"),
        false,
    );
    let anonymous = report(photo_ref.clone(), "护栏缺失 电话 139-1234-5678 匿名", true);
    let mut suggestion = common::suggestion();
    suggestion.note = "建议加装护栏，有事打 139 1234 5678".into();
    let results = ok_json(
        http.post(url("/api/v1/reports"))
            .bearer_auth(&device)
            .json(&json!({"version": PROTOCOL_VERSION, "reports": [named, anonymous, suggestion]}))
            .send()
            .await
            .expect("submit"),
        "submit",
    )
    .await;
    let entry = results["results"][0]["entry_id"]
        .as_str()
        .expect("filed")
        .to_owned();
    ok_json(
        http.get(url("/api/v1/device/changes"))
            .bearer_auth(&device)
            .send()
            .await
            .expect("feed"),
        "feed",
    )
    .await;

    // The officers: log in, read, act, export everything there is to export.
    let login = |u: &'static str, p: &'static str| {
        let http = http.clone();
        let url = url("/api/v1/session");
        async move {
            let v = ok_json(
                http.post(url)
                    .json(&json!({"username": u, "password": p}))
                    .send()
                    .await
                    .expect("login"),
                "login",
            )
            .await;
            v["token"].as_str().expect("token").to_owned()
        }
    };
    let ent = login("e001", "enterprise-pass-1").await;
    let town = login("t01", "town-pass-1").await;
    let district = login("qu", "district-pass-1").await;
    let detail = ok_json(
        http.get(url(&format!("/api/v1/ledger/{entry}")))
            .bearer_auth(&ent)
            .send()
            .await
            .expect("detail"),
        "detail",
    )
    .await;
    sweep(
        "the entry as its enterprise reads it",
        detail.to_string().as_bytes(),
    );
    // The control: the note is there, masked and without its bidi override and NUL — the
    // sweep looks where the number would be.
    assert!(
        detail
            .to_string()
            .contains("阀门漏气，联系我 139****5678\""),
        "{detail}"
    );
    ok_json(
        http.post(url(&format!("/api/v1/ledger/{entry}/confirm")))
            .bearer_auth(&ent)
            .json(&common::officer::plan(10))
            .send()
            .await
            .expect("confirm"),
        "confirm",
    )
    .await;

    let mut exports: Vec<(String, Vec<u8>)> = Vec::new();
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    for (who, path) in [
        (&ent, "/api/v1/ledger/export.xlsx".to_owned()),
        (&ent, "/api/v1/ledger/export.csv".to_owned()),
        (&town, "/api/v1/ledger/export.csv".to_owned()),
        (&district, "/api/v1/ledger/export.xlsx".to_owned()),
        (&district, format!("/api/v1/monthly/{month}/export.xlsx")),
        (&district, "/api/v1/trainings/export.xlsx".to_owned()),
        (&district, "/api/v1/devices".to_owned()),
        (&ent, format!("/api/v1/ledger/{entry}")),
        (&district, "/api/v1/suggestions".to_owned()),
        (&district, "/api/v1/rewards/register".to_owned()),
    ] {
        let r = http
            .get(url(&path))
            .bearer_auth(who)
            .send()
            .await
            .expect("export");
        if r.status() == 404 {
            // A route this build does not have.
            continue;
        }
        exports.push((path.clone(), ok_bytes(r, &path).await));
    }
    assert!(
        exports.len() >= 8,
        "too few exports read: {}",
        exports.len()
    );
    let suggestions = exports
        .iter()
        .find(|(p, _)| p == "/api/v1/suggestions")
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .expect("suggestions read");
    assert!(suggestions.contains("有事打 139****5678"), "{suggestions}");
    for (place, bytes) in &exports {
        if bytes.starts_with(b"PK") {
            sweep_xlsx(place, bytes);
        } else {
            sweep(place, bytes);
        }
    }

    // Served photos carry no metadata.
    let served = ok_bytes(
        http.get(url(&format!("/api/v1/photos/{}", photo_ref.sha256)))
            .bearer_auth(&ent)
            .send()
            .await
            .expect("photo"),
        "served photo",
    )
    .await;
    assert_eq!(served, photo, "the served photo is the stored one");
    assert_no_metadata("the served photo", &served);

    // Shut down hard (a crash leaves the WAL in place: it is swept too), then sweep the disk.
    server.kill();
    let mut swept: Vec<PathBuf> = Vec::new();
    let database = common::test_database_url(&data);
    if let Some(url) = &database {
        // On PostgreSQL: every row of every table, as text.
        for (table, text) in common::pg_rows_as_text(url).await {
            sweep(&format!("table {table}"), &text);
            swept.push(PathBuf::from(table));
        }
    }
    for entry in std::fs::read_dir(&data).expect("data folder") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.starts_with(hazardsnap_server::state::DB_FILE) {
            sweep(&name, &std::fs::read(&path).expect("database file"));
            swept.push(path);
        }
    }
    assert!(!swept.is_empty(), "no database file found");
    let log_text = std::fs::read(&log).expect("log");
    assert!(
        log_text.len() > 1000,
        "the log is nearly empty: the sweep would prove nothing"
    );
    sweep("the server log", &log_text);
    // The mobile number reached the database masked, so the notes are still there to read.
    let names: Vec<String> = match &database {
        Some(url) => {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("database");
            tokio::spawn(conn);
            client
                .query("SELECT name FROM devices", &[])
                .await
                .expect("devices")
                .iter()
                .map(|r| r.get(0))
                .collect()
        }
        None => {
            let db = rusqlite::Connection::open(data.join(hazardsnap_server::state::DB_FILE))
                .expect("database");
            db.prepare("SELECT name FROM devices")
                .expect("devices")
                .query_map([], |r| r.get(0))
                .expect("rows")
                .collect::<Result<_, _>>()
                .expect("names")
        }
    };
    assert!(
        names.iter().any(|n| n == "王师傅 139****5678 的手机"),
        "{names:?}"
    );
}
