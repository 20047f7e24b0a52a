//! Lists and numbers over real HTTP: monthly statistics per town and enterprise, reward lists
//! with the credited finder (匿名 unless revealed), suggestions and their adoption, and the
//! recorded, re-checkable supervision draw.

mod common;

use common::officer::{self, after_photo, file_hazard, get, login, plan, post};
use common::suggestion;
use hazardsnap_model::Severity;
use serde_json::{Value, json};

fn month_now() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m")
        .to_string()
}

#[tokio::test]
async fn monthly_statistics_rewards_and_suggestions() {
    let ts = officer::start().await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let e001 = login(&ts, "e001", "enterprise-pass-1").await;
    let t02 = login(&ts, "t02", "town-pass-2").await;
    let a = ts.enroll_named("E001-JOIN", "甲的手机").await;
    let b = ts.enroll_named("E001-JOIN", "乙的手机").await;
    let c = ts.enroll_named("E003-JOIN", "丙的手机").await;

    // E001: a major found anonymously and closed, a general one open; E003: one general.
    let major = file_hazard(&ts, &a.token, 1, Severity::Major, true, "重大").await;
    let _general = file_hazard(&ts, &b.token, 2, Severity::General, false, "一般").await;
    let _other = file_hazard(&ts, &c.token, 3, Severity::General, false, "别处").await;
    post(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/escalate", major.entry_id),
        &json!({}),
    )
    .await;
    post(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/confirm", major.entry_id),
        &plan(5),
    )
    .await;
    let after = after_photo(&ts, &qu, 700).await;
    // The enterprise marks it rectified; the district verifies (separated duties).
    post(
        &ts,
        &e001,
        &format!("/api/v1/ledger/{}/rectified", major.entry_id),
        &json!({"note": "修好", "photos": [after]}),
    )
    .await;
    let (s, v) = post(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/verify", major.entry_id),
        &json!({"accepted": true}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let sug = suggestion();
    let res = ts.submit(&b.token, vec![sug.clone()]).await;
    let sug_id = res.results[0].entry_id.unwrap();

    let (s, body) = get(
        &ts,
        &qu,
        &format!("/api/v1/stats/monthly?month={}", month_now()),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let e = v["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "E001")
        .unwrap();
    assert_eq!(e["found_major"], 1);
    assert_eq!(e["found_general"], 1);
    assert_eq!(e["rectified"], 1);
    assert_eq!(e["rectification_rate"], 0.5);
    assert_eq!(e["escalated"], 1);
    assert_eq!(e["suggestions"], 1);
    assert_eq!(e["participating_workers"], 2);
    let t01 = v["towns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "T01")
        .unwrap();
    assert_eq!(t01["found_general"], 1);
    assert_eq!(t01["participating_workers"], 2);
    let t02row = v["towns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "T02")
        .unwrap();
    assert_eq!(t02row["found_general"], 1);
    // A town sees only its own rows.
    let (_, body) = get(&ts, &t02, "/api/v1/stats/monthly").await;
    assert!(!body.contains("E001") && body.contains("E003"), "{body}");
    let (s, _) = get(&ts, &qu, "/api/v1/stats/monthly?month=2026-13").await;
    assert_eq!(s, 400);

    // Rewards: the closed major hazard, finder 匿名 for everyone until the district reveals.
    let (s, body) = get(&ts, &e001, "/api/v1/rewards").await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.contains("匿名")
            && !body.contains("甲的手机")
            && !body.contains(&a.device_id.to_string())
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["rewards"][0]["credited_report_id"],
        major.report_id.to_string()
    );
    let (s, _) = post(
        &ts,
        &qu,
        &format!("/api/v1/reports/{}/reveal", major.report_id),
        &json!({"reason": "季度奖励"}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, body) = get(&ts, &qu, "/api/v1/rewards").await;
    assert!(body.contains("甲的手机"), "{body}");
    let (_, body) = get(&ts, &e001, "/api/v1/rewards").await;
    assert!(
        !body.contains("甲的手机"),
        "a reveal is for the district only: {body}"
    );

    // Suggestions: listed, adopted once, then on the reward list (proposer anonymous).
    let (_, body) = get(&ts, &e001, "/api/v1/suggestions").await;
    assert!(
        body.contains(&sug_id.to_string()) && !body.contains("乙的手机"),
        "{body}"
    );
    let (s, _) = post(
        &ts,
        &t02,
        &format!("/api/v1/suggestions/{sug_id}/adopt"),
        &json!({}),
    )
    .await;
    assert_eq!(s, 404, "another town's suggestion does not exist for t02");
    let (s, v) = post(
        &ts,
        &e001,
        &format!("/api/v1/suggestions/{sug_id}/adopt"),
        &json!({"note": "好主意"}),
    )
    .await;
    assert_eq!((s, v["already"].as_bool()), (200, Some(false)));
    let (_, v) = post(
        &ts,
        &e001,
        &format!("/api/v1/suggestions/{sug_id}/adopt"),
        &json!({}),
    )
    .await;
    assert_eq!(v["already"], true);
    let (_, body) = get(&ts, &e001, "/api/v1/rewards").await;
    assert!(body.contains("adopted_suggestion") && body.contains(&sug_id.to_string()));
    ts.stop().await;
}

#[tokio::test]
async fn supervision_draws_are_recorded_and_reproducible() {
    let ts = officer::start().await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let t01 = login(&ts, "t01", "town-pass-1").await;
    let t02 = login(&ts, "t02", "town-pass-2").await;
    let e001 = login(&ts, "e001", "enterprise-pass-1").await;

    let (s, v) = post(
        &ts,
        &qu,
        "/api/v1/supervision/draws",
        &json!({"n": 2, "seed": 20260125}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["seed"], "20260125");
    assert_eq!(v["result"].as_array().unwrap().len(), 2);
    assert_eq!(v["candidates"].as_array().unwrap().len(), 3);
    assert_eq!(v["reproducible"], true);
    // The same seed over the same enterprises draws the same.
    let (_, again) = post(
        &ts,
        &qu,
        "/api/v1/supervision/draws",
        &json!({"n": 2, "seed": 20260125}),
    )
    .await;
    assert_eq!(again["result"], v["result"]);
    let id = v["id"].as_str().unwrap();
    let (s, body) = get(&ts, &qu, &format!("/api/v1/supervision/draws/{id}")).await;
    assert_eq!(s, 200);
    let back: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(back["result"], v["result"]);
    assert_eq!(back["reproducible"], true);

    // A town draws among its own enterprises; another town cannot see that draw.
    let (s, v) = post(&ts, &t01, "/api/v1/supervision/draws", &json!({"n": 5})).await;
    assert_eq!(s, 201, "{v}");
    let codes: Vec<&str> = v["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        codes.iter().all(|c| *c == "E001" || *c == "E002"),
        "{codes:?}"
    );
    assert!(v["seed"].as_str().unwrap().parse::<u64>().is_ok());
    let tid = v["id"].as_str().unwrap();
    assert_eq!(
        get(&ts, &t02, &format!("/api/v1/supervision/draws/{tid}"))
            .await
            .0,
        404
    );
    assert_eq!(
        get(&ts, &t01, &format!("/api/v1/supervision/draws/{tid}"))
            .await
            .0,
        200
    );
    assert_eq!(
        get(&ts, &t01, &format!("/api/v1/supervision/draws/{id}"))
            .await
            .0,
        404
    );
    let (s, _) = post(&ts, &e001, "/api/v1/supervision/draws", &json!({"n": 1})).await;
    assert_eq!(s, 403);
    let (s, _) = post(&ts, &qu, "/api/v1/supervision/draws", &json!({"n": 0})).await;
    assert_eq!(s, 400);
    ts.stop().await;
}

/// The phone's latest view of a report, from the device's change feed.
async fn phone_view(ts: &common::TestServer, token: &str, report: uuid::Uuid) -> Value {
    let feed: Value = ts
        .http
        .get(ts.url("/api/v1/device/changes?since=0"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|c| c["report_id"] == report.to_string())
        .cloned()
        .expect("the report in the feed")
}

#[tokio::test]
async fn suggestions_move_received_under_review_decided_with_a_reply_on_the_phone() {
    let ts = officer::start().await;
    let e001 = login(&ts, "e001", "enterprise-pass-1").await;
    let bureau = login(&ts, "ajj", "bureau-pass-1").await;
    let a = ts.enroll_named("E001-JOIN", "甲的手机").await;
    let (one, two) = (suggestion(), suggestion());
    let res = ts.submit(&a.token, vec![one.clone(), two.clone()]).await;
    let (s1, s2) = (
        res.results[0].entry_id.unwrap(),
        res.results[1].entry_id.unwrap(),
    );
    let v = phone_view(&ts, &a.token, one.id).await;
    assert_eq!(
        (v["suggestion"].as_str(), v["status"].as_str()),
        (Some("received"), Some("pending_review"))
    );

    let review = |id: uuid::Uuid, body: Value| {
        let (ts, e001) = (&ts, &e001);
        async move { post(ts, e001, &format!("/api/v1/suggestions/{id}/review"), &body).await }
    };
    // Under review, with a reply the worker sees.
    let (s, v) = review(
        s1,
        json!({"status": "under_review", "reply": "已转设备科评估"}),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (200, Some("under_review")),
        "{v}"
    );
    let v = phone_view(&ts, &a.token, one.id).await;
    assert_eq!(v["suggestion"], "under_review");
    assert_eq!(v["reason"], "已转设备科评估");
    // Not adopted needs a reason; a back step or an unknown status is refused.
    let (s, v) = review(s1, json!({"status": "not_adopted"})).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("missing_field")),
        "{v}"
    );
    let (s, _) = review(s1, json!({"status": "received"})).await;
    assert_eq!(s, 400);
    let (s, v) = review(s1, json!({"status": "maybe"})).await;
    assert_eq!(s, 400, "{v}");
    let (s, _) = review(
        s1,
        json!({"status": "not_adopted", "reply": "现有防护已满足要求，感谢建议"}),
    )
    .await;
    assert_eq!(s, 200);
    let v = phone_view(&ts, &a.token, one.id).await;
    assert_eq!(
        (
            v["suggestion"].as_str(),
            v["status"].as_str(),
            v["reason"].as_str()
        ),
        (
            Some("not_adopted"),
            Some("rejected"),
            Some("现有防护已满足要求，感谢建议")
        )
    );
    // A decision is final, through either door.
    let (s, v) = review(s1, json!({"status": "adopted"})).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (409, Some("suggestion_decided")),
        "{v}"
    );
    let (s, _) = post(
        &ts,
        &e001,
        &format!("/api/v1/suggestions/{s1}/adopt"),
        &json!({}),
    )
    .await;
    assert_eq!(s, 409);
    // The bureau never sees suggestions.
    let (s, _) = post(
        &ts,
        &bureau,
        &format!("/api/v1/suggestions/{s2}/review"),
        &json!({"status": "adopted"}),
    )
    .await;
    assert_eq!(s, 404);
    // Adopted: on the phone, in the list, on the reward list.
    let (s, _) = review(
        s2,
        json!({"status": "adopted", "reply": "好主意，全厂推广"}),
    )
    .await;
    assert_eq!(s, 200);
    let v = phone_view(&ts, &a.token, two.id).await;
    assert_eq!(
        (v["suggestion"].as_str(), v["status"].as_str()),
        (Some("adopted"), Some("closed"))
    );
    let (_, body) = get(&ts, &e001, "/api/v1/suggestions").await;
    let list: Value = serde_json::from_str(&body).unwrap();
    let by_id = |id: uuid::Uuid| {
        list["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id.to_string())
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(s1)["status"], "not_adopted");
    assert_eq!(by_id(s2)["status"], "adopted");
    assert_eq!(by_id(s2)["reply"], "好主意，全厂推广");
    assert!(by_id(s2)["adopted_at"].is_string());
    let (_, body) = get(&ts, &e001, "/api/v1/rewards").await;
    assert!(body.contains(&s2.to_string()) && !body.contains(&s1.to_string()));
    ts.stop().await;
}
