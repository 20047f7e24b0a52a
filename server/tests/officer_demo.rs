//! The living demo: on the demo roster, `demo::load_demo_reports` leaves entries in every
//! status, overdue and escalated ones among them, visible to the demo officers over HTTP.

mod common;

use common::TestServer;
use common::officer::{get, login};
use hazardsnap_model::Roster;
use hazardsnap_server::org::DEMO_ROSTER;
use serde_json::Value;

#[tokio::test]
async fn the_demo_district_is_alive() {
    let ts = TestServer::start_roster(DEMO_ROSTER, |_| {}).await;
    let roster = Roster::parse(DEMO_ROSTER).unwrap();
    let made = hazardsnap_server::demo::load_demo_reports(&ts.state, &roster)
        .await
        .unwrap();
    assert!(!made.is_empty());
    let district = roster
        .users
        .iter()
        .find(|u| u.role == hazardsnap_model::Role::District)
        .unwrap();
    let token = login(&ts, &district.username, &district.password).await;
    let (s, body) = get(&ts, &token, "/api/v1/ledger?per_page=200").await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert!(entries.len() >= 24, "{}", entries.len());
    for status in [
        "pending_review",
        "rectifying",
        "awaiting_verification",
        "closed",
        "rejected",
        "merged",
    ] {
        assert!(
            entries.iter().any(|e| e["status"] == status),
            "no {status} entry"
        );
    }
    assert!(
        entries.iter().any(|e| e["overdue"] == true),
        "no overdue entry"
    );
    assert!(
        entries.iter().any(|e| e["escalated"] == true),
        "no escalated entry"
    );
    // Photos of the demo are real, viewable photos.
    let photo = {
        let id = entries[0]["id"].as_str().unwrap();
        let (_, d) = get(&ts, &token, &format!("/api/v1/ledger/{id}")).await;
        let d: Value = serde_json::from_str(&d).unwrap();
        d["reports"][0]["photos"][0].as_str().map(str::to_owned)
    };
    if let Some(sha) = photo {
        let r = ts
            .http
            .get(ts.url(&format!("/api/v1/photos/{sha}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
    }
    // The demo's merges, closes and rejects went through the store: the open-entry index
    // followed them.
    ts.assert_open_index_true().await;
    ts.stop().await;
}
