//! The sync client against the real server: the server's library started in-process on
//! 127.0.0.1 port 0 with the demo roster, driven by the real core over real HTTP.

mod support;

use std::io::Cursor;
use std::sync::Arc;

use hazardsnap_core::{
    CaptureRequest, HazardCore, HazardError, ListQuery, LocalState, PhotoSource, ReportContent,
    SyncOptions,
};
use hazardsnap_model::{Category, LedgerStatus, ReportKind, SuggestionStatus, TrainingKind};
use image::{ImageFormat, Rgb, RgbImage};

fn jpeg(seed: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(800, 600, |x, y| {
        let n = ((x / 19) ^ (y / 11)).wrapping_mul(seed.wrapping_mul(2_654_435_761) | 1) >> 7;
        Rgb([(x as u8) ^ (n as u8), (y as u8), (n >> 8) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .unwrap();
    out
}

const NOW: SyncOptions = SyncOptions {
    metered_network: false,
    ignore_backoff: true,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_send_and_follow_status() {
    let srv_dir = tempfile::tempdir().unwrap();
    let phone_dir = tempfile::tempdir().unwrap();
    let (url, _stop) = support::server(srv_dir.path(), |_| {}).await;
    let core: Arc<HazardCore> = HazardCore::open(phone_dir.path().to_string_lossy().into_owned())
        .await
        .unwrap();

    // Offline capture before enrollment; sync refuses with a typed error.
    let mut ids = Vec::new();
    for seed in 1..=3 {
        let mut content = ReportContent::hazard(Category::EquipmentGuarding);
        content.note = format!("阀门泄漏 {seed}");
        ids.push(
            core.capture(
                CaptureRequest {
                    photos: vec![PhotoSource::Bytes { bytes: jpeg(seed) }],
                    content,
                    captured_at: None,
                    draft: false,
                },
                None,
            )
            .await
            .unwrap(),
        );
    }
    let mut suggestion = ReportContent::hazard(Category::Other);
    suggestion.kind = ReportKind::Suggestion;
    suggestion.note = "建议在通道口加装反光镜".into();
    ids.push(
        core.capture(
            CaptureRequest {
                photos: vec![],
                content: suggestion,
                captured_at: None,
                draft: false,
            },
            None,
        )
        .await
        .unwrap(),
    );
    let err = core.sync(NOW, None, None).await.unwrap_err();
    assert!(matches!(err, HazardError::NotEnrolled { .. }), "{err:?}");

    let bad = core
        .enroll(url.clone(), "NO-SUCH-CODE".into(), "测试手机".into())
        .await;
    assert!(bad.is_err(), "{bad:?}");
    let e = core
        .enroll(url.clone(), "E001-JOIN-DEMO".into(), "测试手机".into())
        .await
        .unwrap();
    assert_eq!(e.enterprise_code, "E001");
    assert_eq!(core.enrollment().await.unwrap(), Some(e));

    // The "only on unmetered networks" setting holds everything back on mobile data.
    core.set_unmetered_only(true).await.unwrap();
    let held = core
        .sync(
            SyncOptions {
                metered_network: true,
                ignore_backoff: true,
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert!(held.skipped_metered);
    assert_eq!(held.pending, 4);

    let out = core.sync(NOW, None, None).await.unwrap();
    assert_eq!(
        (out.uploaded, out.failed, out.pending),
        (4, 0, 0),
        "{out:?}"
    );
    assert_eq!(out.photos_uploaded, 3);
    for id in &ids {
        let d = core.get_report(id.clone()).await.unwrap();
        assert_eq!(d.local_state, LocalState::Synced, "{id}");
        assert!(d.server.status.is_some(), "{d:?}");
    }
    let first = core.get_report(ids[0].clone()).await.unwrap();
    assert_eq!(first.server.status, Some(LedgerStatus::PendingReview));
    assert!(first.server.entry_number.is_some());

    // A second run sends nothing again and uploads no photo again.
    let again = core.sync(NOW, None, None).await.unwrap();
    assert_eq!(
        (again.uploaded, again.photos_uploaded, again.pending),
        (0, 0, 0)
    );
    let page = core
        .list_reports(ListQuery {
            states: vec![LocalState::Synced],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_network_error_and_keeps_the_outbox() {
    let srv_dir = tempfile::tempdir().unwrap();
    let phone_dir = tempfile::tempdir().unwrap();
    let (url, stop) = support::server(srv_dir.path(), |_| {}).await;
    let core = HazardCore::open(phone_dir.path().to_string_lossy().into_owned())
        .await
        .unwrap();
    core.enroll(url, "E001-JOIN-DEMO".into(), "测试手机".into())
        .await
        .unwrap();
    let id = core
        .capture(
            CaptureRequest {
                photos: vec![PhotoSource::Bytes { bytes: jpeg(9) }],
                content: ReportContent::hazard(Category::Ppe),
                captured_at: None,
                draft: false,
            },
            None,
        )
        .await
        .unwrap();
    let _ = stop.send(());
    // Give the listener a moment to close; the client's own retries cover the rest.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let err = core.sync(NOW, None, None).await.unwrap_err();
    assert!(matches!(err, HazardError::Network { .. }), "{err:?}");
    let d = core.get_report(id).await.unwrap();
    assert_eq!(d.local_state, LocalState::Queued);
    assert_eq!(d.retry_count, 1);
    assert!(d.last_error.is_some());
}

/// Logs an officer in over the API and answers the bearer token.
async fn officer_token(http: &reqwest::Client, url: &str, user: &str, pass: &str) -> String {
    let v: serde_json::Value = http
        .post(format!("{url}/api/v1/session"))
        .json(&serde_json::json!({"username": user, "password": pass}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_sees_their_training_and_their_suggestion_answered() {
    let srv_dir = tempfile::tempdir().unwrap();
    let phone_dir = tempfile::tempdir().unwrap();
    let (url, _stop) = support::server(srv_dir.path(), |_| {}).await;
    let core: Arc<HazardCore> = HazardCore::open(phone_dir.path().to_string_lossy().into_owned())
        .await
        .unwrap();
    // Before any sync: an empty list, offline.
    let none = core.my_trainings().await.unwrap();
    assert!(none.trainings.is_empty() && none.worker.is_none() && none.synced_at.is_none());

    let e = core
        .enroll(url.clone(), "E001-JOIN-DEMO".into(), "王建国的手机".into())
        .await
        .unwrap();
    let mut idea = ReportContent::hazard(Category::Other);
    idea.kind = ReportKind::Suggestion;
    idea.note = "建议在液氯库门口加装洗眼器".into();
    let idea_id = core
        .capture(
            CaptureRequest {
                photos: vec![],
                content: idea,
                captured_at: None,
                draft: false,
            },
            None,
        )
        .await
        .unwrap();
    let out = core.sync(NOW, None, None).await.unwrap();
    assert_eq!(out.uploaded, 1);
    assert!(!out.trainings_changed, "not linked to a worker yet");
    let d = core.get_report(idea_id.clone()).await.unwrap();
    assert_eq!(d.server.suggestion_status, Some(SuggestionStatus::Received));

    // The enterprise links the phone to its worker and records a training he attended; the
    // officer answers the suggestion.
    let http = reqwest::Client::new();
    let union = officer_token(&http, &url, "union.e001", "demo-e001-2026").await;
    http.post(format!("{url}/api/v1/devices/{}/worker", e.device_id))
        .bearer_auth(&union)
        .json(&serde_json::json!({"worker": "E001-W0001"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    for (topic, who) in [
        ("液氯泄漏应急处置", vec!["E001-W0001", "E001-W0002"]),
        ("别人的培训", vec!["E001-W0003"]),
    ] {
        let r = http
            .post(format!("{url}/api/v1/trainings"))
            .bearer_auth(&union)
            .json(&serde_json::json!({
                "enterprise": "E001", "kind": "training", "date": today - chrono::Days::new(1),
                "topic": topic, "hours": 2.5, "attendees": who
            }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let list: serde_json::Value = http
        .get(format!("{url}/api/v1/suggestions"))
        .bearer_auth(&union)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sid = list["suggestions"][0]["id"].as_str().unwrap().to_owned();
    http.post(format!("{url}/api/v1/suggestions/{sid}/review"))
        .bearer_auth(&union)
        .json(&serde_json::json!({"status": "adopted", "reply": "已采纳，下月安装"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    let out = core.sync(NOW, None, None).await.unwrap();
    assert!(out.trainings_changed, "{out:?}");
    let mine = core.my_trainings().await.unwrap();
    assert_eq!(mine.worker.as_deref(), Some("E001-W0001"));
    let topics: Vec<&str> = mine.trainings.iter().map(|t| t.topic.as_str()).collect();
    assert_eq!(topics, ["液氯泄漏应急处置"], "only his own");
    assert_eq!(mine.trainings[0].kind, TrainingKind::Training);
    assert_eq!(mine.trainings[0].hours, 2.5);
    assert!(mine.synced_at.is_some());
    let d = core.get_report(idea_id.clone()).await.unwrap();
    assert_eq!(d.server.suggestion_status, Some(SuggestionStatus::Adopted));
    assert_eq!(d.server.reason.as_deref(), Some("已采纳，下月安装"));
    assert_eq!(d.history.last().map(|h| h.event.as_str()), Some("adopted"));
    // Nothing new: the list stays, and is readable with the server gone.
    let again = core.sync(NOW, None, None).await.unwrap();
    assert!(!again.trainings_changed);
    drop(_stop);
    assert_eq!(core.my_trainings().await.unwrap().trainings.len(), 1);
}
