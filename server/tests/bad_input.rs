//! Hostile and broken input to every route: each answer is a 4xx with the JSON error shape,
//! and nothing stored changes (rows and files).

mod common;

use common::*;
use hazardsnap_model::{PROTOCOL_VERSION, SubmitOutcome};

#[tokio::test]
async fn every_bad_input_is_a_json_4xx_and_stores_nothing() {
    let s = TestServer::start().await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    let good = jpeg(1, 320, 240);
    let before = s.counts().await;
    let files_before = s.photo_files();

    // Tokens: none, malformed, unknown, on every authenticated route.
    let sha = sha256_hex(&good);
    let photo_url = s.url(&format!("/api/v1/photos/{sha}"));
    for auth in [
        None,
        Some("Basic abc"),
        Some("Bearer "),
        Some("Bearer hsd_nope"),
    ] {
        let with = |rb: reqwest::RequestBuilder| match auth {
            Some(a) => rb.header("authorization", a),
            None => rb,
        };
        let r = with(s.http.put(&photo_url))
            .body(good.clone())
            .send()
            .await
            .unwrap();
        assert_error(r, 401, "unauthorized").await;
        let r = with(s.http.head(&photo_url)).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let r = with(s.http.post(s.url("/api/v1/reports")))
            .json(&serde_json::json!({"version": 1, "reports": []}))
            .send()
            .await
            .unwrap();
        assert_error(r, 401, "unauthorized").await;
        let r = with(s.http.get(s.url("/api/v1/device/changes")))
            .send()
            .await
            .unwrap();
        assert_error(r, 401, "unauthorized").await;
    }

    // A body that does not hash to its name.
    let other = jpeg(2, 320, 240);
    let r = s
        .http
        .put(&photo_url)
        .bearer_auth(&e.token)
        .body(other.clone())
        .send()
        .await
        .unwrap();
    assert_error(r, 422, "hash_mismatch").await;

    // Bytes that are not an acceptable photo, each under its own (correct) name.
    let truncated = good[..good.len() / 2].to_vec();
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec();
    for (bytes, codes) in [
        (truncated, &["photo_truncated", "photo_corrupt"][..]),
        (html, &["photo_unsupported"][..]),
        (
            png_bomb(),
            &["photo_unsupported", "photo_too_many_pixels"][..],
        ),
        (jpeg_bomb(), &["photo_too_many_pixels"][..]),
    ] {
        let r = s.put_photo(&e.token, &bytes).await;
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        let code = body["error"].as_str().unwrap();
        assert!(codes.contains(&code), "{body}");
        assert!(body["message"].as_str().unwrap().contains("/"), "{body}");
    }

    // A second writer of the same photo while one is running.
    {
        let _held = s.state.staging.lease(&sha).expect("lease");
        let r = s.put_photo(&e.token, &good).await;
        assert_error(r, 409, "upload_in_progress").await;
    }

    // A malformed photo name, a malformed offset header.
    let r = s
        .http
        .put(s.url("/api/v1/photos/..%2F..%2Fetc%2Fpasswd"))
        .bearer_auth(&e.token)
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "invalid_photo_hash").await;
    let r = s
        .http
        .put(&photo_url)
        .bearer_auth(&e.token)
        .header("upload-offset", "-3")
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "invalid_header").await;

    // Oversize, declared: refused from the headers alone.
    let r = s
        .http
        .put(&photo_url)
        .bearer_auth(&e.token)
        .header("upload-length", 100_000_000u64)
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_error(r, 413, "payload_too_large").await;

    // Oversize, streamed without a length: cut off at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..9).map(|_| Ok(vec![0xFFu8; 1024 * 1024])).collect();
    let r = s
        .http
        .put(&photo_url)
        .bearer_auth(&e.token)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    // The server may answer and close before the client finished sending; both prove it.
    if let Ok(r) = r {
        assert_error(r, 413, "payload_too_large").await;
    }

    // JSON routes: invalid JSON, wrong types, wrong content type, wrong version, batch size.
    let post = |path: &str| s.http.post(s.url(path)).bearer_auth(&e.token);
    let r = post("/api/v1/reports")
        .header("content-type", "application/json")
        .body("{\"version\": 1, \"reports\": [")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "invalid_json").await;
    let r = post("/api/v1/reports")
        .json(&serde_json::json!({"version": 1, "reports": [{"id": "x"}]}))
        .send()
        .await
        .unwrap();
    // A field with a wrong value is named, with its own code.
    let body = assert_error(r, 400, "invalid_field").await;
    assert!(
        body["message"].as_str().unwrap().contains("reports[0].id"),
        "{body}"
    );
    let r = post("/api/v1/reports")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(r, 415, "unsupported_media_type").await;
    let r = post("/api/v1/reports")
        .json(&serde_json::json!({"version": 99, "reports": []}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "unsupported_version").await;
    let many: Vec<_> = (0..101).map(|_| suggestion()).collect();
    let r = post("/api/v1/reports")
        .json(&serde_json::json!({"version": PROTOCOL_VERSION, "reports": many}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "batch_too_large").await;
    let r = post("/api/v1/enroll")
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "invalid_json").await;
    let r = post("/api/v1/enroll")
        .json(&serde_json::json!({"code": "NO-SUCH-CODE", "device_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 403, "invalid_enrollment_code").await;
    let r = post("/api/v1/enroll")
        .json(&serde_json::json!({"code": "E001-JOIN-7H3K", "device_name": ""}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "invalid_device_name").await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = post("/api/v1/enroll")
        .json(&serde_json::json!({"code": huge, "device_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 413, "payload_too_large").await;
    let r = s
        .http
        .get(s.url("/api/v1/device/changes?since=abc"))
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "invalid_cursor").await;

    // A report with 1000 photos: refused as invalid, per report (a bad report must not wedge
    // the phone's batch), and stored nowhere.
    let refs: Vec<_> = (0..1000u32)
        .map(|i| hazardsnap_model::PhotoRef {
            sha256: format!("{i:064x}"),
            bytes: 1000,
            width: 10,
            height: 10,
            phash: None,
        })
        .collect();
    let res = s.submit(&e.token, vec![hazard(refs)]).await;
    assert_eq!(res.results[0].outcome, SubmitOutcome::Invalid);
    assert_eq!(
        res.results[0].error.as_ref().unwrap().error,
        "too_many_photos"
    );

    assert_eq!(s.counts().await, before, "rows changed");
    assert_eq!(s.photo_files(), files_before, "files changed");
    s.stop().await;
}

#[tokio::test]
async fn an_oversize_upload_is_refused_before_its_body_is_read() {
    let s = TestServer::start().await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    // Headers announce 1 GB; not one body byte is sent. The answer must still come.
    let auth = format!("Bearer {}", e.token);
    let text = head_only_answer(
        &s.base,
        "PUT",
        &format!("/api/v1/photos/{}", "a".repeat(64)),
        &[("Authorization", &auth)],
        1_000_000_000,
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(s.photo_files().is_empty());
    s.stop().await;
}

#[tokio::test]
async fn a_device_that_sends_too_fast_is_slowed_down() {
    let s = TestServer::start_with(|c| {
        c.device_rate_per_sec = std::num::NonZeroU32::new(1).unwrap();
        c.device_burst = std::num::NonZeroU32::new(3).unwrap();
    })
    .await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    let slow = s.enroll("E002-JOIN-9Q2W").await;
    let mut limited = None;
    for _ in 0..10 {
        let r = s
            .http
            .get(s.url("/api/v1/device/changes"))
            .bearer_auth(&e.token)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("never limited");
    assert!(r.headers().contains_key("retry-after"));
    assert_error(r, 429, "rate_limited").await;
    // The limit is per token: another device is not affected.
    let r = s
        .http
        .get(s.url("/api/v1/device/changes"))
        .bearer_auth(&slow.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}
