//! `GET /metrics` (运行指标) on a real server over HTTP: after a phone's enrollment, photo and
//! report and an officer's reads, the Prometheus text counts them by route template and
//! outcome, times them, and holds no id, token or address.

mod common;

use common::{TestServer, hazard, jpeg, photo_ref};

#[tokio::test]
async fn metrics_count_requests_by_template_reports_by_outcome_and_name_no_one() {
    let s = TestServer::start().await;
    let e = s.enroll("E001-JOIN-7H3K").await;
    let photo = jpeg(7, 96, 72);
    assert_eq!(s.put_photo(&e.token, &photo).await.status(), 201);
    let res = s
        .submit(&e.token, vec![hazard(vec![photo_ref(&photo, 96, 72)])])
        .await;
    let entry = res.results[0].entry_id.expect("filed");
    let officer = common::officer::login(&s, "zhang.san", "initial-password-1").await;
    for _ in 0..2 {
        let r = s
            .http
            .get(s.url(&format!("/api/v1/ledger/{entry}")))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    let r = s.http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = r.text().await.unwrap();
    for line in [
        r#"hazardsnap_http_requests_total{method="GET",route="/api/v1/ledger/{id}",status="200"} 2"#,
        r#"hazardsnap_http_requests_total{method="POST",route="/api/v1/reports",status="200"} 1"#,
        r#"hazardsnap_http_requests_total{method="PUT",route="/api/v1/photos/{sha256}",status="201"} 1"#,
        r#"hazardsnap_reports_total{outcome="accepted"} 1"#,
        "hazardsnap_photos_stored_total 1",
        "hazardsnap_uploads_in_progress 0",
    ] {
        assert!(text.contains(line), "missing {line}:\n{text}");
    }
    assert!(text.contains(
        r#"hazardsnap_http_request_duration_seconds_count{method="GET",route="/api/v1/ledger/{id}"} 2"#
    ));
    // Templates only: no entry id, no photo name, no token, no address.
    for secret in [
        entry.to_string(),
        common::sha256_hex(&photo),
        e.token.clone(),
        officer.clone(),
        "127.0.0.1".to_owned(),
    ] {
        assert!(!text.contains(&secret), "the metrics name {secret}");
    }
    s.stop().await;
}
