//! Assignment and deduplication at ingest, through the real server on a loopback port: twenty
//! phones sending the same hazard at the same moment end in one ledger entry with twenty
//! reports and the first finder credited; two different hazards at the same site point on the
//! same day stay two entries; a report lands in the ledger of its site point's enterprise, of
//! the geofence around its location, or of its phone's enterprise, in that order.

mod common;

use chrono::{Duration, Utc};
use common::{TestServer, encode, photo_ref, scene};
use hazardsnap_model::{Location, ReportSubmission, Severity, SubmitOutcome};
use std::collections::HashSet;

/// A report of `photo` at the tank farm site point.
fn report(photo: &[u8], w: u32, h: u32, note: &str) -> ReportSubmission {
    let mut r = common::hazard(vec![photo_ref(photo, w, h)]);
    r.note = note.into();
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_phones_same_hazard_one_entry_first_finder_credited() {
    let srv = TestServer::start().await;
    let base = scene(7, 640, 480);
    let t0 = Utc::now() - Duration::hours(1);

    // Each phone has its own JPEG of the scene (another encoder quality, as another phone
    // would produce) and its own capture time; they are sent in an order unrelated to it.
    let mut phones = Vec::new();
    for i in 0..20u32 {
        let device = srv
            .enroll_named("E001-JOIN-7H3K", &format!("手机{i}"))
            .await;
        let photo = encode(&base, 70 + (i % 20) as u8);
        assert_eq!(srv.put_photo(&device.token, &photo).await.status(), 201);
        let mut r = report(&photo, 640, 480, "液氯储罐区阀门泄漏，地面有积液");
        r.captured_at = t0 + Duration::seconds(i64::from((i * 7) % 20) * 30);
        if i == 13 {
            r.severity = Severity::Major;
        }
        phones.push((device.token, r));
    }
    let first = phones
        .iter()
        .min_by_key(|(_, r)| r.captured_at)
        .map(|(_, r)| r.id)
        .expect("reports");

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(phones.len()));
    let mut tasks = Vec::new();
    for (token, r) in phones.clone() {
        let http = srv.http.clone();
        let url = srv.url("/api/v1/reports");
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let resp = http
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({"version": 1, "reports": [r]}))
                .send()
                .await
                .expect("send");
            assert_eq!(resp.status(), 200);
            resp.json::<hazardsnap_model::SubmitResults>()
                .await
                .expect("json")
        }));
    }
    let mut numbers = HashSet::new();
    for t in tasks {
        let res = t.await.expect("task");
        assert_eq!(res.results[0].outcome, SubmitOutcome::Accepted);
        numbers.insert(res.results[0].entry_number.clone().expect("number"));
    }
    assert_eq!(numbers.len(), 1, "one entry for one hazard: {numbers:?}");

    let counts = srv.counts().await;
    assert_eq!(counts.reports, 20, "every worker's report counts");
    assert_eq!(counts.ledger_entries, 1);

    // Read through the ledger service, as the district sees it.
    let district = hazardsnap_ledger::Actor::of(hazardsnap_ledger::Officer {
        username: "district".into(),
        role: hazardsnap_model::Role::District,
        scope: None,
    })
    .expect("actor");
    let now = chrono::Utc::now();
    let listed = srv
        .state
        .ledger
        .list_entries(
            &district,
            hazardsnap_ledger::views::LedgerFilter {
                page: 1,
                per_page: 10,
                ..Default::default()
            },
            now,
        )
        .await
        .expect("list");
    let entry = srv
        .state
        .ledger
        .entry_detail(&district, listed[0].id, now)
        .await
        .expect("entry");
    // The first finder is the first the server received (a phone's clock decides nothing);
    // with twenty at once that is whichever won the race, and never by capture time alone.
    let received_first = entry
        .reports
        .iter()
        .min_by_key(|r| (r.received_at, r.captured_at, r.id))
        .map(|r| r.id);
    assert_eq!(
        entry.summary.credited_report_id, received_first,
        "the first finder by the server's receive time"
    );
    let _ = first;
    assert_eq!(
        entry.summary.severity,
        hazardsnap_model::Severity::Major,
        "a major report raises the entry"
    );
    let merges = entry
        .history
        .iter()
        .filter(|h| h.action == "auto_merged")
        .count();
    assert_eq!(
        merges, 19,
        "each automatic merge is in the history with its evidence"
    );
    srv.assert_open_index_true().await;
    srv.stop().await;
}

#[tokio::test]
async fn different_hazards_at_the_same_site_on_the_same_day_stay_apart() {
    let srv = TestServer::start().await;
    let device = srv.enroll("E001-JOIN-7H3K").await;
    let mut numbers = HashSet::new();
    for (seed, note) in [(21, "阀门泄漏"), (22, "护栏缺失"), (23, "灭火器过期")] {
        let photo = encode(&scene(seed, 640, 480), 85);
        assert_eq!(srv.put_photo(&device.token, &photo).await.status(), 201);
        let r = report(&photo, 640, 480, note);
        let res = srv.submit(&device.token, vec![r]).await;
        numbers.insert(res.results[0].entry_number.clone().expect("number"));
    }
    assert_eq!(
        numbers.len(),
        3,
        "location and time alone never merge: {numbers:?}"
    );
    srv.assert_open_index_true().await;
    srv.stop().await;
}

#[tokio::test]
async fn assignment_site_point_then_geofence_then_device() {
    let srv = TestServer::start().await;
    // A contractor's phone enrolled to E002 reports at E001's tank farm.
    let contractor = srv.enroll("E002-JOIN-9Q2W").await;
    let mut photos = Vec::new();
    for seed in [31, 32, 33] {
        let photo = encode(&scene(seed, 320, 240), 85);
        assert_eq!(srv.put_photo(&contractor.token, &photo).await.status(), 201);
        photos.push(photo);
    }

    let by_site = report(&photos[0], 320, 240, "储罐区管道腐蚀");
    let mut by_fence = report(&photos[1], 320, 240, "");
    by_fence.site_code = None;
    // 20 m from the tank farm's centre, inside its 50 m geofence.
    by_fence.location = Some(Location {
        lat: 36.80018,
        lon: 117.87,
        accuracy_m: Some(5.0),
    });
    by_fence.note = "另一处：储罐区地面油污".into();
    let mut by_device = report(&photos[2], 320, 240, "");
    by_device.site_code = None;
    by_device.location = Some(Location {
        lat: 36.9,
        lon: 117.9,
        accuracy_m: None,
    });
    by_device.note = "车间门口消防通道堵塞".into();

    let res = srv
        .submit(&contractor.token, vec![by_site, by_fence, by_device])
        .await;
    let numbers: Vec<String> = res
        .results
        .iter()
        .map(|r| r.entry_number.clone().expect("number"))
        .collect();
    assert!(numbers[0].starts_with("E001-"), "{numbers:?}");
    assert!(numbers[1].starts_with("E001-"), "{numbers:?}");
    assert!(numbers[2].starts_with("E002-"), "{numbers:?}");
    srv.assert_open_index_true().await;
    srv.stop().await;
}
