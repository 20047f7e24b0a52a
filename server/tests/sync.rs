//! The device side of the sync protocol against a real server over real HTTP: enrollment,
//! photo upload with HEAD and resume, report ingest idempotency, the change feed.

mod common;

use chrono::Utc;
use common::*;
use hazardsnap_model::{ChangeFeed, LedgerStatus, SubmitOutcome};
use hazardsnap_server::auth::{SESSION_TOKEN_PREFIX, new_token, token_sha256};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn enrollment_gives_a_token_stored_only_as_a_hash() {
    let s = TestServer::start().await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    assert_eq!(e.enterprise.code, "E001");
    assert_eq!(e.enterprise.name, "某化工有限公司");
    assert!(e.token.starts_with("hsd_"));
    // The token works...
    let r = s
        .http
        .get(s.url("/api/v1/device/changes"))
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // ...and the database does not contain it (the SQLite file and its log, or every row of
    // every PostgreSQL table as text).
    let stored: Vec<Vec<u8>> = match common::test_database_url(s.data.path()) {
        Some(url) => common::pg_rows_as_text(&url)
            .await
            .into_iter()
            .map(|(_, text)| text)
            .collect(),
        None => vec![
            std::fs::read(s.data.path().join("hazardsnap.sqlite3")).unwrap(),
            std::fs::read(s.data.path().join("hazardsnap.sqlite3-wal")).unwrap_or_default(),
        ],
    };
    for bytes in stored {
        assert!(
            !bytes
                .windows(e.token.len())
                .any(|w| w == e.token.as_bytes()),
            "plain token stored"
        );
    }
    // A revoked token is refused like a wrong one.
    assert!(
        s.state
            .ledger
            .revoke_device(e.device_id, Utc::now())
            .await
            .unwrap()
    );
    let r = s
        .http
        .get(s.url("/api/v1/device/changes"))
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "unauthorized").await;
    s.stop().await;
}

#[tokio::test]
async fn photo_upload_head_and_skip_when_stored() {
    let s = TestServer::start().await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    let photo = jpeg(1, 320, 240);
    let url = s.url(&format!("/api/v1/photos/{}", sha256_hex(&photo)));

    let r = s
        .http
        .head(&url)
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["upload-offset"], "0");

    let r = s.put_photo(&e.token, &photo).await;
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["width"], 320);
    assert_eq!(body["height"], 240);
    assert_eq!(body["bytes"], photo.len());

    let r = s
        .http
        .head(&url)
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Uploading again is harmless and does not store a second copy.
    let r = s.put_photo(&e.token, &photo).await;
    assert_eq!(r.status(), 200);
    let files = s.photo_files();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].1, photo.len() as u64);
    assert_eq!(std::fs::read(&files[0].0).unwrap(), photo, "byte-identical");
    s.stop().await;
}

#[tokio::test]
async fn an_upload_in_several_puts_resumes_from_its_offset() {
    let s = TestServer::start().await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    let photo = jpeg(2, 640, 480);
    let total = photo.len();
    let url = s.url(&format!("/api/v1/photos/{}", sha256_hex(&photo)));
    let third = total / 3;

    let r = s
        .http
        .put(&url)
        .bearer_auth(&e.token)
        .header("upload-length", total)
        .body(photo[..third].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["upload-offset"], third.to_string());

    let r = s
        .http
        .head(&url)
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["upload-offset"], third.to_string());

    // A resume from the wrong offset is refused with the server's offset.
    let r = s
        .http
        .put(&url)
        .bearer_auth(&e.token)
        .header("upload-offset", 5)
        .header("upload-length", total)
        .body(photo[5..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["upload-offset"], third.to_string());
    assert_error(r, 409, "upload_offset_mismatch").await;

    let r = s
        .http
        .put(&url)
        .bearer_auth(&e.token)
        .header("upload-offset", third)
        .header("upload-length", total)
        .body(photo[third..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .http
        .head(&url)
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn a_connection_cut_mid_photo_keeps_the_bytes_for_resuming() {
    let s = TestServer::start().await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    let photo = jpeg(3, 800, 600);
    let sha = sha256_hex(&photo);
    let half = photo.len() / 2;

    // A raw connection that announces the whole photo, sends half, and hangs up.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PUT /api/v1/photos/{sha} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        e.token,
        photo.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&photo[..half]).await.unwrap();
    tcp.flush().await.unwrap();
    drop(tcp);

    // The server finishes writing what it received on its own time: wait for it by state,
    // not by the clock.
    let url = s.url(&format!("/api/v1/photos/{sha}"));
    let mut offset = 0u64;
    for _ in 0..600 {
        let r = s
            .http
            .head(&url)
            .bearer_auth(&e.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        offset = r.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        if offset == half as u64 && s.state.staging.lease(&sha).is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(offset, half as u64);

    let r = s
        .http
        .put(&url)
        .bearer_auth(&e.token)
        .header("upload-offset", offset)
        .body(photo[half..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let stored: Vec<_> = s
        .photo_files()
        .into_iter()
        .filter(|(p, _)| p.ends_with(&sha))
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(std::fs::read(&stored[0].0).unwrap(), photo);
    s.stop().await;
}

#[tokio::test]
async fn officers_may_upload_after_photos_with_a_session_token() {
    let s = TestServer::start().await;
    let token = new_token(SESSION_TOKEN_PREFIX);
    let now = Utc::now();
    assert!(
        s.state
            .ledger
            .open_session(
                "zhang.san".into(),
                token_sha256(&token),
                now,
                now + chrono::Duration::hours(1)
            )
            .await
            .unwrap()
            .is_some()
    );
    let photo = jpeg(4, 320, 240);
    assert_eq!(s.put_photo(&token, &photo).await.status(), 201);
    // But an officer is not a device: no reports through the device route.
    let r = s
        .http
        .get(s.url("/api/v1/device/changes"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "unauthorized").await;
    s.stop().await;
}

#[tokio::test]
async fn report_ingest_is_idempotent_and_refuses_conflicts_and_missing_photos() {
    let s = TestServer::start().await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    let p0 = encode(&scene(9, 320, 240), 85);
    let p1 = encode(&scene(10, 320, 240), 85);
    let p2 = encode(&scene(11, 320, 240), 85);
    assert_eq!(s.put_photo(&e.token, &p0).await.status(), 201);
    assert_eq!(s.put_photo(&e.token, &p1).await.status(), 201);

    // Neither the client's address nor its user agent is kept with what it sends.
    let marker_ua = "HazardPhone/9.9 (worker-phone-7731)";
    let r = s
        .http
        .post(s.url("/api/v1/reports"))
        .bearer_auth(&e.token)
        .header("user-agent", marker_ua)
        .header("x-forwarded-for", "203.0.113.77")
        .json(&hazardsnap_model::SubmitReports {
            version: hazardsnap_model::PROTOCOL_VERSION,
            reports: vec![hazard(vec![photo_ref(&p0, 320, 240)])],
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for f in ["hazardsnap.sqlite3", "hazardsnap.sqlite3-wal"] {
        let bytes = std::fs::read(s.data.path().join(f)).unwrap_or_default();
        for needle in [marker_ua.as_bytes(), b"203.0.113.77", b"127.0.0.1"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{f} holds {needle:?}"
            );
        }
    }
    let baseline = s.counts().await;

    // Missing photo: refused with the list, nothing stored.
    let mut r1 = hazard(vec![photo_ref(&p1, 320, 240), photo_ref(&p2, 320, 240)]);
    let res = s.submit(&e.token, vec![r1.clone()]).await;
    assert_eq!(res.results[0].outcome, SubmitOutcome::MissingPhotos);
    assert_eq!(res.results[0].missing_photos, vec![sha256_hex(&p2)]);
    assert_eq!(
        res.results[0].error.as_ref().unwrap().error,
        "missing_photos"
    );
    assert_eq!(s.counts().await, baseline);

    assert_eq!(s.put_photo(&e.token, &p2).await.status(), 201);
    let first = s.submit(&e.token, vec![r1.clone()]).await.results.remove(0);
    assert_eq!(first.outcome, SubmitOutcome::Accepted);
    assert_eq!(first.status, Some(LedgerStatus::PendingReview));
    let number = first.entry_number.clone().unwrap();
    let year = (Utc::now() + chrono::Duration::hours(8))
        .format("%Y")
        .to_string();
    assert_eq!(number, format!("E001-{year}-0002"));

    // The same report again (a phone that lost the answer): the same result.
    let again = s.submit(&e.token, vec![r1.clone()]).await.results.remove(0);
    assert_eq!(again.outcome, SubmitOutcome::AlreadyAccepted);
    assert_eq!(again.entry_id, first.entry_id);
    assert_eq!(again.entry_number, first.entry_number);
    assert_eq!(s.counts().await.reports, 2);
    assert_eq!(s.counts().await.ledger_entries, 2);

    // Same id, other content: conflict, the stored report unchanged.
    r1.note = "改过的说明".into();
    let c = s.submit(&e.token, vec![r1.clone()]).await.results.remove(0);
    assert_eq!(c.outcome, SubmitOutcome::Conflict);
    assert_eq!(c.error.unwrap().error, "report_conflict");

    // The same id from another device is a conflict too, even with the same content.
    let other = s.enroll("E001-JOIN-7H3K").await;
    r1.note = "液氯储罐区阀门泄漏".into();
    let c = s
        .submit(&other.token, vec![r1.clone()])
        .await
        .results
        .remove(0);
    assert_eq!(c.outcome, SubmitOutcome::Conflict);

    // A batch: a second hazard (its own photo: a shared photo would make it the same
    // hazard), a suggestion, an invalid one; numbering goes on.
    let p3 = encode(&scene(12, 320, 240), 85);
    assert_eq!(s.put_photo(&e.token, &p3).await.status(), 201);
    let h2 = hazard(vec![photo_ref(&p3, 320, 240)]);
    let sug = suggestion();
    let mut bad = hazard(vec![]);
    bad.note = "没有照片".into();
    let res = s
        .submit(&e.token, vec![h2.clone(), sug.clone(), bad.clone()])
        .await
        .results;
    assert_eq!(res[0].outcome, SubmitOutcome::Accepted);
    assert_eq!(
        res[0].entry_number.as_deref(),
        Some(format!("E001-{year}-0003").as_str())
    );
    assert_eq!(res[1].outcome, SubmitOutcome::Accepted);
    assert_eq!(
        res[1].entry_number.as_deref(),
        Some(format!("E001-{year}-S0001").as_str())
    );
    assert_eq!(res[2].outcome, SubmitOutcome::Invalid);
    assert_eq!(res[2].error.as_ref().unwrap().error, "hazard_without_photo");
    let counts = s.counts().await;
    assert_eq!(
        (counts.reports, counts.ledger_entries, counts.suggestions),
        (4, 3, 1)
    );

    // The same id twice in one batch counts once.
    let h3 = hazard(vec![photo_ref(&p1, 320, 240)]);
    let res = s
        .submit(&e.token, vec![h3.clone(), h3.clone()])
        .await
        .results;
    assert_eq!(res[0].outcome, SubmitOutcome::Accepted);
    assert_eq!(res[1].outcome, SubmitOutcome::AlreadyAccepted);
    assert_eq!(res[0].entry_id, res[1].entry_id);
    s.stop().await;
}

async fn feed(s: &TestServer, token: &str, since: Option<&str>) -> ChangeFeed {
    let mut req = s
        .http
        .get(s.url("/api/v1/device/changes"))
        .bearer_auth(token);
    if let Some(c) = since {
        req = req.query(&[("since", c)]);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_change_feed_pages_and_rebuilds_from_zero() {
    let s = TestServer::start_with(|c| c.feed_page_size = 3).await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    let other = s.enroll("E002-JOIN-9Q2W").await;
    // Five different hazards (five different scenes): five entries.
    let mut reports = Vec::new();
    for seed in 0..5 {
        let p = encode(&scene(20 + seed, 320, 240), 85);
        assert_eq!(s.put_photo(&e.token, &p).await.status(), 201);
        reports.push(hazard(vec![photo_ref(&p, 320, 240)]));
    }
    let results = s.submit(&e.token, reports.clone()).await.results;
    // Another device's report never shows in this feed.
    s.submit(&other.token, vec![suggestion()]).await;

    // An officer rejects the first entry, through the workflow like every status change.
    let entry = results[0].entry_id.unwrap();
    let officer = hazardsnap_ledger::Actor::of(hazardsnap_ledger::Officer {
        username: "zhang.san".into(),
        role: hazardsnap_model::Role::Enterprise,
        scope: Some("E001".into()),
    })
    .unwrap();
    s.state
        .ledger
        .act(
            &officer,
            entry,
            hazardsnap_ledger::OfficerAction::Reject {
                reason: "非安全隐患".into(),
            },
            Utc::now(),
        )
        .await
        .unwrap();

    // Full resync in pages of 3 events: 6 events, 5 reports, latest state of each.
    let mut cursor: Option<String> = None;
    let mut latest = std::collections::HashMap::new();
    let mut pages = 0;
    loop {
        let page = feed(&s, &e.token, cursor.as_deref()).await;
        pages += 1;
        for c in &page.changes {
            latest.insert(c.report_id, c.clone());
        }
        cursor = Some(page.cursor.clone());
        if !page.more {
            break;
        }
        assert!(pages < 10, "feed does not end");
    }
    assert_eq!(pages, 2);
    assert_eq!(latest.len(), 5);
    let first = &latest[&reports[0].id];
    assert_eq!(first.status, LedgerStatus::Rejected);
    assert_eq!(first.reason.as_deref(), Some("非安全隐患"));
    for r in &reports[1..] {
        assert_eq!(latest[&r.id].status, LedgerStatus::PendingReview);
        assert!(latest[&r.id].entry_number.is_some());
    }

    // Nothing new after the last cursor; "0" and absent both rebuild everything.
    let tail = feed(&s, &e.token, cursor.as_deref()).await;
    assert!(tail.changes.is_empty() && !tail.more);
    assert_eq!(tail.cursor, cursor.clone().unwrap());
    let zero = feed(&s, &e.token, Some("0")).await;
    let absent = feed(&s, &e.token, None).await;
    assert_eq!(zero, absent);

    // The other device sees only its own suggestion.
    let theirs = feed(&s, &other.token, None).await;
    assert_eq!(theirs.changes.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn the_openapi_document_covers_every_route() {
    let s = TestServer::start().await;
    let r = s.http.get(s.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method) in [
        ("/healthz", "get"),
        ("/api/openapi.json", "get"),
        ("/api/v1/enroll", "post"),
        ("/api/v1/photos/{sha256}", "head"),
        ("/api/v1/photos/{sha256}", "put"),
        ("/api/v1/reports", "post"),
        ("/api/v1/device/changes", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    // Every route that needs a token documents the 401, every JSON body its 400/413/415, and
    // every error answer is the one ErrorBody (tests/api fuzzes the routes against all of it).
    let error_ref = "#/components/schemas/ErrorBody";
    assert_eq!(
        doc["components"]["schemas"]["ErrorBody"]["required"],
        serde_json::json!(["error", "message"])
    );
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(responses.contains_key("401"), "{method} {path}: no 401");
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: no {status}"
                    );
                }
            }
            for (status, response) in responses {
                if method != "head" && (status.starts_with('4') || status.starts_with('5')) {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"], error_ref,
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    // The wire types are documented from the model's own definitions.
    assert_eq!(
        doc["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/SubmitReports"
    );
    assert_eq!(
        doc["components"]["schemas"]["PhotoRef"]["properties"]["bytes"]["format"],
        "uint64"
    );
    let category = &doc["components"]["schemas"]["Category"]["enum"];
    assert!(
        category
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("equipment_guarding"))
    );
    let r = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}
