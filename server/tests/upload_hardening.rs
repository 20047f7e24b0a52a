//! Upload hardening (上传加固), one test per rule of the OWASP file-upload advice that applies
//! to hazardsnap's two ways in — the phones' content-addressed `PUT /api/v1/photos/{sha256}`
//! and the officers' multipart forms (after-photos of a rectification) — each named for its
//! rule: the type is judged by the content, sizes are limited before the body is read, pixels
//! are limited, stored names are the server's, each device has a quota, each client address a
//! request limit, and the address is written nowhere (`client_address_logs.rs`, a process of
//! its own to capture every log). Metadata stripping is tested with the
//! photo pipeline (`crates/photo`), the rest of the hostile input in `bad_input.rs`. The last
//! test runs the after-photo upload's fuzz driver over its seed corpus (`fuzz/corpus/upload/`)
//! on stable.

mod common;

#[path = "common/upload_driver.rs"]
mod upload_driver;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use common::officer::plan;
use common::{
    TestServer, assert_error, client_from, files_under, hazard, head_only_answer, jpeg, jpeg_bomb,
    photo_ref, png_bomb, sha256_hex,
};
use hazardsnap_server::Config;
use serde_json::{Value, json};
use uuid::Uuid;

const E001: &str = "E001-JOIN-7H3K";
const E002: &str = "E002-JOIN-9Q2W";
const OFFICER: (&str, &str) = ("zhang.san", "initial-password-1");
const BOUNDARY: &str = "upload-hardening-boundary";

/// One part of a multipart form, written by hand so that a test controls every byte.
#[derive(Clone, Copy)]
struct Part<'a> {
    name: &'a str,
    filename: Option<&'a str>,
    content_type: Option<&'a str>,
    body: &'a [u8],
}

impl<'a> Part<'a> {
    fn text(name: &'a str, value: &'a str) -> Part<'a> {
        Part {
            name,
            filename: None,
            content_type: None,
            body: value.as_bytes(),
        }
    }

    fn file(filename: &'a str, content_type: &'a str, body: &'a [u8]) -> Part<'a> {
        Part {
            name: "photos",
            filename: Some(filename),
            content_type: Some(content_type),
            body,
        }
    }
}

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = p.filename {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(t) = p.content_type {
            out.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// An officer's browser on the pages: the session cookie and the forms' CSRF token.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
    token: String,
    csrf: String,
}

impl Browser {
    /// Signs the enterprise officer in and reads the CSRF token off `page`.
    async fn open(s: &TestServer, page: &str) -> Browser {
        let r = s
            .http
            .post(s.url("/api/v1/session"))
            .json(&json!({"username": OFFICER.0, "password": OFFICER.1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_owned();
        let token = r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let html = http
            .get(s.url(page))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf field")
            .to_owned();
        Browser {
            http,
            base: s.url(""),
            cookie,
            token,
            csrf,
        }
    }

    /// Posts a multipart form from our own pages: status, and the redirect's target or the
    /// page.
    async fn post_form(&self, path: &str, body: Vec<u8>) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", self.base.trim_end_matches('/'))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = r.text().await.unwrap_or_default();
        (status, location.unwrap_or(text))
    }

    /// Posts after-photos to the entry's rectification form.
    async fn rectify(&self, entry: Uuid, photos: &[Part<'_>]) -> (u16, String) {
        let mut parts = vec![
            Part::text("csrf", &self.csrf),
            Part::text("note", "已更换阀门密封件"),
        ];
        parts.extend_from_slice(photos);
        self.post_form(&format!("/entries/{entry}/rectified"), multipart(&parts))
            .await
    }

    /// The entry as the API shows it.
    async fn entry(&self, entry: Uuid) -> Value {
        self.http
            .get(format!("{}/api/v1/ledger/{entry}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// A hazard of E001 filed by a phone and confirmed with its plan, so that it is under
/// rectification (整改中) and its page offers the after-photo form; the officer's browser on
/// that page.
async fn rectifying_entry(s: &TestServer, seed: u32) -> (Browser, Uuid) {
    let phone = s.enroll(E001).await;
    let photo = jpeg(seed, 96, 72);
    assert!(
        s.put_photo(&phone.token, &photo)
            .await
            .status()
            .is_success()
    );
    let filed = s
        .submit(&phone.token, vec![hazard(vec![photo_ref(&photo, 96, 72)])])
        .await;
    let entry = filed.results[0].entry_id.expect("filed");
    let browser = Browser::open(s, &format!("/entries/{entry}")).await;
    let r = browser
        .http
        .post(s.url(&format!("/api/v1/ledger/{entry}/confirm")))
        .bearer_auth(&browser.token)
        .json(&plan(10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    (browser, entry)
}

/// A JPEG with `comment` in a COM segment right after its SOI marker: still a JPEG, with
/// another format's text inside (a polyglot).
fn jpeg_with_comment(seed: u32, comment: &[u8]) -> Vec<u8> {
    let j = jpeg(seed, 96, 72);
    let mut out = j[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment);
    out.extend_from_slice(&j[2..]);
    out
}

/// A real PNG image.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

const SVG: &[u8] =
    br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#;
const HTML: &[u8] = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

/// OWASP: validate the file type by its content, never by its name or declared type.
#[tokio::test]
async fn file_type_is_judged_by_content_not_by_name_or_declared_type() {
    let s = TestServer::start().await;
    let (browser, entry) = rectifying_entry(&s, 1).await;
    let phone = s.enroll(E001).await;

    // The API: a JPEG declared as PNG, or as HTML, is a JPEG and stored as one.
    let mut declared_html = Vec::new();
    for (seed, declared) in [(11, "image/png"), (12, "text/html")] {
        let photo = jpeg(seed, 96, 72);
        let r = s
            .http
            .put(s.url(&format!("/api/v1/photos/{}", sha256_hex(&photo))))
            .bearer_auth(&phone.token)
            .header("content-type", declared)
            .body(photo.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "a JPEG declared {declared}");
        declared_html = photo;
    }
    // What it was declared as does not stick: served back, it is a JPEG, never sniffed.
    let mut report = hazard(vec![photo_ref(&declared_html, 96, 72)]);
    report.note = "配电柜门未关".into();
    s.submit(&phone.token, vec![report]).await;
    let r = browser
        .http
        .get(s.url(&format!("/api/v1/photos/{}", sha256_hex(&declared_html))))
        .bearer_auth(&browser.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/jpeg")
    );
    assert_eq!(
        r.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    // What is not a JPEG made by the phone's pipeline is refused, whatever it is declared as:
    // a real PNG (the phone sends only its pipeline's JPEG), SVG, HTML, an HTML page with a
    // JPEG appended, a JPEG carrying an HTML page in a comment (a polyglot; the pipeline
    // writes no comment).
    let mut html_first = HTML.to_vec();
    html_first.extend_from_slice(&jpeg(13, 96, 72));
    let polyglot = jpeg_with_comment(14, b"<html><script>alert(1)</script></html>");
    for (what, bytes) in [
        ("png", png(96, 72)),
        ("svg", SVG.to_vec()),
        ("html", HTML.to_vec()),
        ("html then jpeg", html_first),
        ("jpeg with html inside", polyglot.clone()),
    ] {
        let r = s.put_photo(&phone.token, &bytes).await;
        assert_eq!(r.status(), 422, "{what}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().starts_with("photo_"),
            "{what}: {body}"
        );
    }

    // The pages: a JPEG named and declared as PNG is judged a JPEG and kept; the polyglot is
    // re-encoded, so the stored photo carries no script.
    let before = s.photo_files();
    let named_png = jpeg(15, 96, 72);
    let (status, to) = browser
        .rectify(
            entry,
            &[
                Part::file("after.png", "image/png", &named_png),
                Part::file("after.jpg", "image/jpeg", &polyglot),
            ],
        )
        .await;
    assert_eq!(status, 303, "{to}");
    let after = browser.entry(entry).await;
    let kept: Vec<String> = serde_json::from_value(after["after_photos"].clone()).unwrap();
    assert_eq!(kept.len(), 2, "{after}");
    for name in &kept {
        let bytes = s.state.photos.get(name).await.unwrap().expect("stored");
        assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "stored as a JPEG");
        assert!(
            !bytes.windows(7).any(|w| w == b"<script"),
            "the comment did not survive re-encoding"
        );
    }
    assert_eq!(s.photo_files().len(), before.len() + 2);

    // SVG and HTML named and declared as JPEG are refused on the page; nothing is stored.
    let (_, entry2) = rectifying_entry(&s, 2).await;
    let before = s.photo_files();
    let counts = s.counts().await;
    for bytes in [SVG, HTML] {
        let (status, page) = browser
            .rectify(entry2, &[Part::file("after.jpg", "image/jpeg", bytes)])
            .await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains("不支持的图片格式"), "{page}");
    }
    assert_eq!(s.photo_files(), before);
    assert_eq!(s.counts().await, counts);
    s.stop().await;
}

/// OWASP: limit the size, and refuse before the body is read. The photo API's own case is
/// `bad_input.rs` (`an_oversize_upload_is_refused_before_its_body_is_read`); here the pages:
/// the after-photo form above its limit (a report's photos), and any other form above the
/// small limit of a JSON body (a login form of megabytes would otherwise be buffered).
#[tokio::test]
async fn file_size_is_limited_before_the_body_is_read() {
    let s = TestServer::start().await;
    let (browser, entry) = rectifying_entry(&s, 1).await;
    let files = s.photo_files();
    let origin = browser.base.trim_end_matches('/').to_owned();
    let multipart_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let over_upload = hazardsnap_server::web::MAX_UPLOAD_FORM_BYTES as u64 + 1;
    let text = head_only_answer(
        &s.base,
        "POST",
        &format!("/entries/{entry}/rectified"),
        &[
            ("Cookie", &browser.cookie),
            ("Origin", &origin),
            ("Content-Type", &multipart_type),
        ],
        over_upload,
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let over_form = Config::new().max_json_bytes as u64 + 1;
    let text = head_only_answer(
        &s.base,
        "POST",
        "/login",
        &[
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        over_form,
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // The after-photo form still takes a body far above the small limit (here a field the
    // form does not read, beside its photo).
    let photo = jpeg(16, 96, 72);
    let padding = vec![b'x'; 2 * over_form as usize];
    let (status, to) = browser
        .rectify(
            entry,
            &[
                Part::file("after.jpg", "image/jpeg", &photo),
                Part {
                    name: "padding",
                    filename: None,
                    content_type: None,
                    body: &padding,
                },
            ],
        )
        .await;
    assert_eq!(status, 303, "{to}");
    assert_eq!(s.photo_files().len(), files.len() + 1);
    s.stop().await;
}

/// OWASP: limit what a file may make the server do, here its pixels (a decompression bomb
/// declares billions in a few hundred bytes). The photo API's cases are in `bad_input.rs`;
/// the pages refuse them from the header too, with the message next to the form.
#[tokio::test]
async fn pixel_count_is_limited_before_decoding() {
    let s = TestServer::start().await;
    let (browser, entry) = rectifying_entry(&s, 1).await;
    let files = s.photo_files();
    let counts = s.counts().await;
    for (name, bomb) in [("bomb.png", png_bomb()), ("bomb.jpg", jpeg_bomb())] {
        let (status, page) = browser
            .rectify(entry, &[Part::file(name, "image/jpeg", &bomb)])
            .await;
        assert_eq!(status, 400, "{name}: {page}");
        assert!(page.contains("60000×60000"), "{name}: {page}");
    }
    assert_eq!(s.photo_files(), files);
    assert_eq!(s.counts().await, counts);
    assert_eq!(browser.entry(entry).await["status"], "rectifying");
    s.stop().await;
}

/// OWASP: the server names what it stores; nothing of a client's file name reaches the disk.
#[tokio::test]
async fn stored_files_get_names_the_server_makes() {
    let s = TestServer::start().await;
    let (browser, entry) = rectifying_entry(&s, 1).await;
    let before = s.photo_files();
    let (a, b) = (jpeg(17, 96, 72), jpeg(18, 96, 72));
    let (status, to) = browser
        .rectify(
            entry,
            &[
                Part::file("../../evil.php", "application/x-php", &a),
                Part::file("..\\..\\photos\\evil.jpg", "image/jpeg", &b),
            ],
        )
        .await;
    assert_eq!(status, 303, "{to}");
    let kept: Vec<String> =
        serde_json::from_value(browser.entry(entry).await["after_photos"].clone()).unwrap();
    assert_eq!(kept.len(), 2);
    let photos = s.data.path().join("photos");
    let new: Vec<PathBuf> = s
        .photo_files()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| !before.iter().any(|(q, _)| q == p))
        .collect();
    assert_eq!(new.len(), 2, "{new:?}");
    for path in &new {
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            kept.iter().any(|k| k == name),
            "{name} is a kept photo's name"
        );
        assert_eq!(
            path,
            &photos.join(&name[..2]).join(&name[2..4]).join(name),
            "under its hash-derived place"
        );
        assert_eq!(sha256_hex(&std::fs::read(path).unwrap()), name);
    }
    // No client's name anywhere, in the data folder or around it.
    let root = s.data.path();
    for f in files_under(root) {
        let n = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!n.contains("evil"), "{}", f.display());
    }
    for dir in [root.parent().unwrap(), root, &photos] {
        for name in ["evil.php", "evil.jpg"] {
            assert!(!dir.join(name).exists(), "{}", dir.join(name).display());
        }
    }
    s.stop().await;
}

/// OWASP: limit how much one user may store. Each phone may store so many new photos (and
/// bytes) over a rolling 24 hours, counted from what is stored; a photo already stored never
/// counts again.
#[tokio::test]
async fn each_device_has_a_daily_photo_quota() {
    let tune = |c: &mut Config| c.device_photos_per_day = 2;
    let s = TestServer::start_with(tune).await;
    let a = s.enroll(E001).await;
    let b = s.enroll(E002).await;
    let photos: Vec<Vec<u8>> = (21..25).map(|i| jpeg(i, 96, 72)).collect();
    for p in &photos[..2] {
        assert_eq!(s.put_photo(&a.token, p).await.status(), 201);
    }
    let files = s.photo_files();
    let r = s.put_photo(&a.token, &photos[2]).await;
    let wait: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=24 * 3600).contains(&wait), "{wait}");
    let body = assert_error(r, 429, "device_quota_exceeded").await;
    assert!(body["message"].as_str().unwrap().contains("2 张"), "{body}");
    assert_eq!(s.photo_files(), files, "nothing of the refused photo kept");
    // A photo already stored is not counted again, from that device or another.
    assert_eq!(s.put_photo(&a.token, &photos[0]).await.status(), 200);
    assert_eq!(s.put_photo(&b.token, &photos[1]).await.status(), 200);
    // The quota is per device.
    assert_eq!(s.put_photo(&b.token, &photos[2]).await.status(), 201);

    // Counted from what is stored: a restart forgets nothing.
    let data = s.stop_keep_data().await;
    let s = TestServer::start_in(data, tune).await;
    let r = s.put_photo(&a.token, &photos[3]).await;
    assert_error(r, 429, "device_quota_exceeded").await;
    // A day after its photos were stored, the device has its quota again.
    s.clock
        .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    assert_eq!(s.put_photo(&a.token, &photos[3]).await.status(), 201);
    s.stop().await;
}

/// The quota counts bytes too: a photo whose declared length would pass the day's bytes is
/// refused before its body is read.
#[tokio::test]
async fn the_photo_quota_counts_bytes() {
    let (first, second) = (jpeg(31, 320, 240), jpeg(32, 320, 240));
    let limit = (first.len() + second.len() / 2) as u64;
    let s = TestServer::start_with(|c| c.device_photo_bytes_per_day = limit).await;
    let a = s.enroll(E001).await;
    assert_eq!(s.put_photo(&a.token, &first).await.status(), 201);
    let r = s.put_photo(&a.token, &second).await;
    assert_error(r, 429, "device_quota_exceeded").await;
    // An officer's upload is nobody's device: no quota.
    let officer = common::officer::login(&s, OFFICER.0, OFFICER.1).await;
    assert_eq!(s.put_photo(&officer, &second).await.status(), 201);
    s.stop().await;
}

/// OWASP: limit the rate of requests, per device (`bad_input.rs`:
/// `a_device_that_sends_too_fast_is_slowed_down`) and per client address, before any token is
/// looked up or any body read, for the routes that need no token too.
#[tokio::test]
async fn each_client_address_has_its_own_request_limit() {
    let s = TestServer::start_with(|c| {
        c.client_rate_per_sec = nz(1);
        c.client_burst = nz(3);
    })
    .await;
    let first = client_from([127, 0, 0, 1]);
    let mut limited = None;
    for _ in 0..100 {
        let r = first.get(s.url("/healthz")).send().await.unwrap();
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let r = limited.expect("never limited");
    assert!(r.headers().contains_key("retry-after"));
    assert_error(r, 429, "rate_limited").await;
    // An upload from that address is refused the same way, before its (missing) token is
    // looked at and before its body is read. (Should a request's worth have refilled
    // meanwhile, that one answers as usual, 401, and the next is refused.)
    let photo = jpeg(41, 96, 72);
    let photo_url = s.url(&format!("/api/v1/photos/{}", sha256_hex(&photo)));
    let mut refused = None;
    for _ in 0..100 {
        let r = first
            .put(&photo_url)
            .body(photo.clone())
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status(), 401);
    }
    assert_error(refused.expect("an upload refused"), 429, "rate_limited").await;
    // A browser gets the page in its language, with Retry-After.
    let mut refused = None;
    for _ in 0..100 {
        let r = first
            .get(s.url("/"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let r = refused.expect("a page refused");
    assert!(r.headers().contains_key("retry-after"));
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("请求过于频繁"), "{page}");

    // Another address (another site's NAT) is not affected: it enrolls and uploads.
    let second = client_from([127, 0, 0, 2]);
    let r = second.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = second
        .post(s.url("/api/v1/enroll"))
        .json(&json!({"code": E001, "device_name": "测试手机"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = second
        .put(&photo_url)
        .bearer_auth(&token)
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    s.stop().await;
}

/// The fuzz target of the after-photo upload (`fuzz/fuzz_targets/upload.rs`) over its seed
/// corpus, on stable: every seed as the whole multipart body and as a form's photo, never a
/// 5xx, the data folder consistent after each; at least one seed gets its after-photo
/// accepted (the driver reaches the whole path), and no client-sent name became a file.
#[test]
fn the_after_photo_upload_withstands_its_fuzz_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/upload");
    let seeds = files_under(&dir);
    assert!(seeds.len() >= 7, "a corpus of at least seven seeds");
    let driver = upload_driver::UploadDriver::new();
    let mut accepted = 0;
    for seed in &seeds {
        let bytes = std::fs::read(seed).unwrap();
        let answers = driver
            .run(&bytes)
            .unwrap_or_else(|finding| panic!("{}: {finding}", seed.display()));
        eprintln!("{}: {answers:?}", seed.display());
        if answers.accepted() {
            accepted += 1;
        }
    }
    assert!(accepted >= 1, "no seed got its after-photo accepted");
    for f in files_under(driver.data_dir()) {
        let n = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!n.contains("evil") && n != "x", "{}", f.display());
    }
}
