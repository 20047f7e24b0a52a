//! Accountability over real HTTP, one test per rule: a phone whose clock was set back does not
//! win first finder; a reward follows a lowered severity; an anonymous reporter's code redeems
//! once and names no one; rewards go to roster workers, once; the enterprise cannot close a
//! listed (挂牌) hazard and only the bureau lifts it; whoever marked an entry rectified cannot
//! verify it, and a major hazard is verified at town level or above; a merge across
//! enterprises is refused and a transfer moves the hazard instead; officers file entries
//! themselves; the notices; and the outgoing webhook, signed, retried, delivered once, and
//! kept across a restart.

mod common;

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use common::officer::{DISTRICT, get, login, plan, post};
use common::{TestServer, hazard, jpeg, photo_ref, sha256_hex};
use hazardsnap_model::{Severity, SubmitOutcome};
use serde_json::{Value, json};
use uuid::Uuid;

fn roster() -> String {
    format!(
        "{DISTRICT}\n[[workers]]\ncode = \"E001-W01\"\nname = \"王强\"\nenterprise = \"E001\"\n\n[[workers]]\ncode = \"E001-W02\"\nname = \"李娜\"\nenterprise = \"E001\"\n"
    )
}

async fn start() -> TestServer {
    TestServer::start_roster(&roster(), |_| {}).await
}

/// Files a hazard from a phone; the submit result's entry and the report id.
async fn file(
    ts: &TestServer,
    token: &str,
    photo: &[u8],
    severity: Severity,
    anonymous: bool,
    captured_ago: Duration,
) -> (Uuid, Uuid) {
    assert!(ts.put_photo(token, photo).await.status().is_success());
    let mut r = hazard(vec![photo_ref(photo, 96, 72)]);
    r.severity = severity;
    r.anonymous = anonymous;
    r.site_code = None;
    r.captured_at = Utc::now() - captured_ago;
    let res = ts.submit(token, vec![r.clone()]).await;
    let out = &res.results[0];
    assert_eq!(out.outcome, SubmitOutcome::Accepted, "{out:?}");
    (out.entry_id.expect("entry"), r.id)
}

async fn act(ts: &TestServer, token: &str, entry: Uuid, step: &str, body: Value) -> (u16, Value) {
    post(ts, token, &format!("/api/v1/ledger/{entry}/{step}"), &body).await
}

/// Confirms, marks rectified (by `rectifier`) and verifies (by `verifier`).
async fn close(ts: &TestServer, rectifier: &str, verifier: &str, entry: Uuid, seed: u32) {
    let (s, v) = act(ts, rectifier, entry, "confirm", plan(10)).await;
    assert_eq!(s, 200, "{v}");
    let after = jpeg(seed, 80, 60);
    assert!(ts.put_photo(rectifier, &after).await.status().is_success());
    let (s, v) = act(
        ts,
        rectifier,
        entry,
        "rectified",
        json!({"note": "已整改", "photos": [sha256_hex(&after)]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = act(ts, verifier, entry, "verify", json!({"accepted": true})).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn a_phone_clock_set_back_does_not_win_first_finder() {
    let ts = start().await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let honest = ts.enroll_named("E001-JOIN", "先报的手机").await;
    let late = ts.enroll_named("E001-JOIN", "后报的手机").await;
    let photo = jpeg(11, 96, 72);
    let (entry, first) = file(
        &ts,
        &honest.token,
        &photo,
        Severity::Major,
        false,
        Duration::minutes(5),
    )
    .await;
    // The same hazard, sent later, from a phone whose clock says three days ago.
    let (joined, backdated) = file(
        &ts,
        &late.token,
        &photo,
        Severity::Major,
        false,
        Duration::days(3),
    )
    .await;
    assert_eq!(joined, entry, "the same photo joins the entry");
    let (_, body) = get(&ts, &qu, &format!("/api/v1/ledger/{entry}")).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["credited_report_id"],
        first.to_string(),
        "the server's receive time decides"
    );
    let reports = v["reports"].as_array().unwrap();
    let late_view = reports
        .iter()
        .find(|r| r["id"] == backdated.to_string())
        .unwrap();
    assert_eq!(
        late_view["capture_time_suspect"], true,
        "captured long before its phone enrolled"
    );
    let first_view = reports
        .iter()
        .find(|r| r["id"] == first.to_string())
        .unwrap();
    assert_eq!(first_view["capture_time_suspect"], false);
}

#[tokio::test]
async fn rewards_go_to_people_once_and_follow_the_severity() {
    let ts = start().await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let t01 = login(&ts, "t01", "town-pass-1").await;
    let e001 = login(&ts, "e001", "enterprise-pass-1").await;
    let named = ts.enroll_named("E001-JOIN", "王强的手机").await;
    let anon = ts.enroll_named("E001-JOIN", "某人的手机").await;

    // A named major hazard, closed: the phone must belong to a worker first.
    let (entry, _) = file(
        &ts,
        &named.token,
        &jpeg(21, 96, 72),
        Severity::Major,
        false,
        Duration::minutes(5),
    )
    .await;
    close(&ts, &e001, &t01, entry, 201).await;
    let grant = json!({"kind": "major_hazard", "subject_id": entry, "amount": "500"});
    let (s, v) = post(&ts, &t01, "/api/v1/rewards/register", &grant).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (403, Some("forbidden")),
        "the district grants"
    );
    let (s, v) = post(&ts, &qu, "/api/v1/rewards/register", &grant).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (409, Some("finder_not_linked")),
        "{v}"
    );
    let (s, _) = post(
        &ts,
        &e001,
        &format!("/api/v1/devices/{}/worker", named.device_id),
        &json!({"worker": "E001-W01"}),
    )
    .await;
    assert_eq!(s, 204);
    let (s, reward) = post(&ts, &qu, "/api/v1/rewards/register", &grant).await;
    assert_eq!(s, 201, "{reward}");
    assert_eq!(
        (reward["worker"].as_str(), reward["worker_name"].as_str()),
        (Some("E001-W01"), Some("王强"))
    );
    assert_eq!(reward["amount"], "500.00");
    let (s, v) = post(&ts, &qu, "/api/v1/rewards/register", &grant).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (409, Some("already_rewarded")),
        "no reward twice"
    );
    let (s, v) = post(
        &ts,
        &qu,
        &format!(
            "/api/v1/rewards/register/{}/paid",
            reward["id"].as_str().unwrap()
        ),
        &json!({"paid_on": "2026-12-01"}),
    )
    .await;
    assert_eq!((s, v["paid_by"].as_str()), (200, Some("qu")), "{v}");

    // A severity lowered by the town takes the reward with it.
    let (lowered, _) = file(
        &ts,
        &named.token,
        &jpeg(22, 96, 72),
        Severity::Major,
        false,
        Duration::minutes(5),
    )
    .await;
    let (s, v) = act(
        &ts,
        &e001,
        lowered,
        "reclassify",
        json!({"severity": "general", "reason": "x"}),
    )
    .await;
    assert_eq!(s, 403, "an enterprise does not lower its own hazard: {v}");
    let (s, v) = act(
        &ts,
        &t01,
        lowered,
        "reclassify",
        json!({"severity": "general", "reason": "复核为一般隐患"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["severity"], "general");
    assert!(v["history"].to_string().contains("复核为一般隐患"));
    close(&ts, &e001, &t01, lowered, 202).await;
    let (s, v) = post(
        &ts,
        &qu,
        "/api/v1/rewards/register",
        &json!({"kind": "major_hazard", "subject_id": lowered, "amount": "500"}),
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (409, Some("not_rewardable")),
        "{v}"
    );
    let (_, body) = get(&ts, &qu, "/api/v1/rewards").await;
    assert!(
        !body.contains(&lowered.to_string()),
        "not on the reward list either"
    );

    // An anonymous finder: a code on the phone, redeemed once, nobody named.
    let (anon_entry, anon_report) = file(
        &ts,
        &anon.token,
        &jpeg(23, 96, 72),
        Severity::Major,
        true,
        Duration::minutes(5),
    )
    .await;
    close(&ts, &e001, &t01, anon_entry, 203).await;
    let (s, reward) = post(
        &ts,
        &qu,
        "/api/v1/rewards/register",
        &json!({"kind": "major_hazard", "subject_id": anon_entry, "amount": "800"}),
    )
    .await;
    assert_eq!(s, 201, "{reward}");
    assert_eq!(
        (reward["anonymous"].clone(), reward["worker"].clone()),
        (json!(true), Value::Null)
    );
    let text = reward.to_string();
    assert!(
        !text.contains("某人的手机") && !text.contains(&anon.device_id.to_string()),
        "{text}"
    );
    let feed: Value = ts
        .http
        .get(ts.url("/api/v1/device/changes?since=0"))
        .bearer_auth(&anon.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notice = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["report_id"] == anon_report.to_string())
        .filter_map(|c| c["reason"].as_str())
        .find(|r| r.contains("兑奖码"))
        .expect("the reward notice on the phone")
        .to_owned();
    let code: String = notice
        .split("兑奖码 ")
        .nth(1)
        .unwrap()
        .chars()
        .take(9)
        .collect();
    let (_, register) = get(&ts, &e001, "/api/v1/rewards/register").await;
    assert!(!register.contains(&code), "the code is on the phone only");
    let (s, v) = post(
        &ts,
        &qu,
        "/api/v1/rewards/redeem",
        &json!({"code": "ZZZZ-ZZZZ"}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("unknown_code")));
    let (s, v) = post(
        &ts,
        &qu,
        "/api/v1/rewards/redeem",
        &json!({"code": code.to_lowercase()}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["paid_by"].as_str(), v["worker"].clone()),
        (Some("qu"), Value::Null)
    );
    let (s, v) = post(&ts, &qu, "/api/v1/rewards/redeem", &json!({"code": code})).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (409, Some("already_paid")),
        "once"
    );
}

#[tokio::test]
async fn only_the_bureau_lifts_a_listed_hazard() {
    let ts = start().await;
    let t01 = login(&ts, "t01", "town-pass-1").await;
    let e001 = login(&ts, "e001", "enterprise-pass-1").await;
    let ajj = login(&ts, "ajj", "bureau-pass-1").await;
    let phone = ts.enroll("E001-JOIN").await;
    let (entry, _) = file(
        &ts,
        &phone.token,
        &jpeg(31, 96, 72),
        Severity::Major,
        false,
        Duration::minutes(5),
    )
    .await;

    let (s, _) = act(&ts, &e001, entry, "escalate", json!({})).await;
    assert_eq!(s, 403, "an enterprise does not escalate itself");
    let mut listed = plan(10);
    listed["level"] = json!("bureau_supervised");
    let (s, v) = act(&ts, &e001, entry, "confirm", listed).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("invalid_level")),
        "{v}"
    );
    let (s, v) = act(
        &ts,
        &ajj,
        entry,
        "supervision/accept",
        json!({"unit": "x", "deadline": "2099-01-01"}),
    )
    .await;
    assert_eq!(s, 404, "not escalated: outside the bureau's scope: {v}");
    let (s, v) = act(
        &ts,
        &t01,
        entry,
        "escalate",
        json!({"reason": "企业整改不力"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["supervision"]["state"], "requested");
    let (_, notices) = get(&ts, &ajj, "/api/v1/notices").await;
    assert!(notices.contains("escalated_to_me"), "{notices}");
    let (s, _) = act(
        &ts,
        &t01,
        entry,
        "supervision/accept",
        json!({"unit": "x", "deadline": "2099-01-01"}),
    )
    .await;
    assert_eq!(s, 403, "the bureau accepts");
    let deadline = (Utc::now() + Duration::days(20)).date_naive();
    let (s, v) = act(
        &ts,
        &ajj,
        entry,
        "supervision/accept",
        json!({"unit": "区安监局执法大队", "deadline": deadline}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["supervision"]["state"].as_str(), v["escalated"].as_bool()),
        (Some("accepted"), Some(true))
    );
    let (s, v) = act(&ts, &ajj, entry, "confirm", plan(5)).await;
    assert_eq!(s, 403, "the bureau does not rectify: {v}");
    let (s, v) = act(&ts, &e001, entry, "confirm", plan(60)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["plan"]["level"], "bureau_supervised");
    assert_eq!(
        v["plan"]["deadline"],
        deadline.to_string(),
        "within the bureau's deadline"
    );
    let after = jpeg(301, 80, 60);
    assert!(ts.put_photo(&e001, &after).await.status().is_success());
    let (s, v) = act(
        &ts,
        &e001,
        entry,
        "rectified",
        json!({"note": "已整改", "photos": [sha256_hex(&after)]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    for who in [&e001, &t01] {
        let (s, v) = act(&ts, who, entry, "verify", json!({"accepted": true})).await;
        assert_eq!((s, v["error"].as_str()), (403, Some("supervised")), "{v}");
    }
    let (_, notices) = get(&ts, &ajj, "/api/v1/notices").await;
    assert!(notices.contains("awaiting_lift"), "{notices}");
    let (s, v) = act(
        &ts,
        &ajj,
        entry,
        "verify",
        json!({"accepted": true, "note": "现场核查合格，摘牌"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["supervision"]["state"].as_str()),
        (Some("closed"), Some("lifted"))
    );

    // Declined: back to the unions, with the reason.
    let (other, _) = file(
        &ts,
        &phone.token,
        &jpeg(32, 96, 72),
        Severity::Major,
        false,
        Duration::minutes(5),
    )
    .await;
    let (s, _) = act(&ts, &t01, other, "escalate", json!({})).await;
    assert_eq!(s, 200);
    let (s, v) = act(
        &ts,
        &ajj,
        other,
        "supervision/decline",
        json!({"reason": "企业已在整改，暂不挂牌"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, body) = get(&ts, &t01, &format!("/api/v1/ledger/{other}")).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["supervision"]["state"].as_str(), v["escalated"].as_bool()),
        (Some("declined"), Some(false))
    );
    let (s, _) = get(&ts, &ajj, &format!("/api/v1/ledger/{other}")).await;
    assert_eq!(s, 404, "no longer the bureau's");
}

#[tokio::test]
async fn duties_are_separated() {
    let ts = start().await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let t01 = login(&ts, "t01", "town-pass-1").await;
    let e001 = login(&ts, "e001", "enterprise-pass-1").await;
    let phone = ts.enroll("E001-JOIN").await;
    let (entry, _) = file(
        &ts,
        &phone.token,
        &jpeg(41, 96, 72),
        Severity::General,
        false,
        Duration::minutes(5),
    )
    .await;
    let (s, _) = act(&ts, &t01, entry, "confirm", plan(10)).await;
    assert_eq!(s, 200);
    let after = jpeg(401, 80, 60);
    assert!(ts.put_photo(&t01, &after).await.status().is_success());
    let (s, _) = act(
        &ts,
        &t01,
        entry,
        "rectified",
        json!({"note": "已整改", "photos": [sha256_hex(&after)]}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = act(&ts, &t01, entry, "verify", json!({"accepted": true})).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (403, Some("separation_of_duties")),
        "{v}"
    );
    let (s, v) = act(&ts, &qu, entry, "verify", json!({"accepted": true})).await;
    assert_eq!(s, 200, "another officer verifies: {v}");

    let (major, _) = file(
        &ts,
        &phone.token,
        &jpeg(42, 96, 72),
        Severity::Major,
        false,
        Duration::minutes(5),
    )
    .await;
    let (s, _) = act(&ts, &t01, major, "confirm", plan(10)).await;
    assert_eq!(s, 200);
    let after = jpeg(402, 80, 60);
    assert!(ts.put_photo(&t01, &after).await.status().is_success());
    let (s, _) = act(
        &ts,
        &t01,
        major,
        "rectified",
        json!({"note": "已整改", "photos": [sha256_hex(&after)]}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = act(&ts, &e001, major, "verify", json!({"accepted": true})).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (403, Some("major_needs_town")),
        "{v}"
    );
}

#[tokio::test]
async fn merges_stay_in_one_enterprise_and_officers_file_and_transfer() {
    let ts = start().await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let t01 = login(&ts, "t01", "town-pass-1").await;
    let e001 = login(&ts, "e001", "enterprise-pass-1").await;
    let ajj = login(&ts, "ajj", "bureau-pass-1").await;
    let phone = ts.enroll("E001-JOIN").await;
    let (in_e001, _) = file(
        &ts,
        &phone.token,
        &jpeg(51, 96, 72),
        Severity::General,
        false,
        Duration::minutes(5),
    )
    .await;

    // Officers file hazards themselves: the town for an enterprise of its town.
    let photo = jpeg(52, 96, 72);
    assert!(ts.put_photo(&t01, &photo).await.status().is_success());
    let new = json!({"enterprise": "E002", "category": "fixed_position", "severity": "general",
                     "note": "检查发现仓库消防通道堆放货物", "photos": [sha256_hex(&photo)], "source": "inspection"});
    let (s, v) = post(&ts, &e001, "/api/v1/ledger", &new).await;
    assert_eq!(s, 404, "another enterprise: {v}");
    let (s, v) = post(&ts, &ajj, "/api/v1/ledger", &new).await;
    assert_eq!(s, 403, "{v}");
    let mut elsewhere = new.clone();
    elsewhere["site"] = json!("E001-P01");
    let (s, v) = post(&ts, &t01, "/api/v1/ledger", &elsewhere).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("unknown_site")), "{v}");
    let (s, filed) = post(&ts, &t01, "/api/v1/ledger", &new).await;
    assert_eq!(s, 201, "{filed}");
    assert!(filed["number"].as_str().unwrap().starts_with("E002-"));
    assert!(
        filed["history"].to_string().contains("工作人员检查发现"),
        "{filed}"
    );
    let in_e002: Uuid = filed["id"].as_str().unwrap().parse().unwrap();

    let (s, v) = act(&ts, &qu, in_e001, "merge", json!({"into": in_e002})).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (409, Some("cross_enterprise_merge")),
        "{v}"
    );
    let (s, v) = act(
        &ts,
        &e001,
        in_e001,
        "transfer",
        json!({"enterprise": "E002", "reason": "x"}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    let (s, moved) = act(
        &ts,
        &t01,
        in_e001,
        "transfer",
        json!({"enterprise": "E002", "reason": "隐患位于相邻的纺织厂围墙内"}),
    )
    .await;
    assert_eq!(s, 200, "{moved}");
    assert!(moved["number"].as_str().unwrap().starts_with("E002-"));
    assert_eq!(
        moved["reports"].as_array().unwrap().len(),
        1,
        "the report moved with it"
    );
    let (_, body) = get(&ts, &qu, &format!("/api/v1/ledger/{in_e001}")).await;
    let old: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(old["status"], "merged");
    assert!(
        old["history"]
            .to_string()
            .contains("隐患位于相邻的纺织厂围墙内")
    );
    let moved_id: Uuid = moved["id"].as_str().unwrap().parse().unwrap();
    let (s, v) = act(
        &ts,
        &qu,
        moved_id,
        "merge",
        json!({"into": in_e002, "reason": "同一隐患"}),
    )
    .await;
    assert_eq!(s, 200, "within one enterprise: {v}");
}

/// What the receiver got: the event header, the signature header, the body.
type Deliveries = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A webhook receiver on loopback: fails the first `fail` requests, and every request while
/// `down` is set.
struct Receiver {
    url: String,
    got: Deliveries,
    down: Arc<std::sync::atomic::AtomicBool>,
    failed: Arc<Mutex<usize>>,
}

async fn receiver(fail: usize) -> Receiver {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    use std::sync::atomic::Ordering;
    let got: Deliveries = Arc::default();
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let failed: Arc<Mutex<usize>> = Arc::default();
    let (g, d, f) = (got.clone(), down.clone(), failed.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (g, d, f) = (g.clone(), d.clone(), f.clone());
            async move {
                {
                    let mut f = f.lock().unwrap();
                    if *f < fail || d.load(Ordering::SeqCst) {
                        *f += 1;
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                }
                let h = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                g.lock().unwrap().push((
                    h("x-hazardsnap-event"),
                    h("x-hazardsnap-signature"),
                    body.to_vec(),
                ));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        url,
        got,
        down,
        failed,
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn kinds(got: &[(String, String, Vec<u8>)]) -> Vec<String> {
    got.iter()
        .map(|(_, _, b)| {
            serde_json::from_slice::<Value>(b).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn webhooks_are_signed_retried_delivered_once_and_survive_a_restart() {
    use std::sync::atomic::Ordering;
    let rx = receiver(2).await;
    let target = hazardsnap_server::webhooks::WebhookTarget {
        url: rx.url.clone(),
        secret: "群聊密钥".into(),
    };
    let t = target.clone();
    let ts = TestServer::start_roster_in(common::fast_tempdir(), &roster(), move |c| {
        c.webhook = Some(t)
    })
    .await;
    let _ = target.cursor_name();
    // The sender starts at the end of the history: let it set its cursor first.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let t01 = login(&ts, "t01", "town-pass-1").await;
    let phone = ts.enroll("E001-JOIN").await;
    let (entry, _) = file(
        &ts,
        &phone.token,
        &jpeg(61, 96, 72),
        Severity::Major,
        false,
        Duration::minutes(5),
    )
    .await;
    let (s, _) = act(&ts, &t01, entry, "escalate", json!({"reason": "挂牌"})).await;
    assert_eq!(s, 200);
    // Two failures first (then a pause of 2 s, then 4 s), then both events, in order.
    wait_until("two deliveries", || rx.got.lock().unwrap().len() >= 2).await;
    assert_eq!(*rx.failed.lock().unwrap(), 2);
    {
        let got = rx.got.lock().unwrap();
        assert_eq!(
            kinds(&got),
            ["entry.reported", "entry.escalate"],
            "in order, once each"
        );
        for (id, sig, body) in got.iter() {
            assert_eq!(
                sig,
                &hazardsnap_server::webhooks::signature("群聊密钥", body),
                "signed"
            );
            let v: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(v["id"].to_string(), *id);
            assert_eq!(
                v["number"].as_str().map(|n| n.starts_with("E001-")),
                Some(true)
            );
            assert!(
                !String::from_utf8_lossy(body).contains("测试手机"),
                "no device in an event"
            );
        }
    }

    // The receiver goes away; a step happens; the server is stopped and started again.
    rx.down.store(true, Ordering::SeqCst);
    let failed_before = *rx.failed.lock().unwrap();
    let (s, _) = act(&ts, &t01, entry, "confirm", plan(10)).await;
    assert_eq!(s, 200);
    wait_until("a failed attempt", || {
        *rx.failed.lock().unwrap() > failed_before
    })
    .await;
    let data = ts.stop_keep_data().await;
    let t = target.clone();
    let ts = TestServer::start_roster_in(data, &roster(), move |c| c.webhook = Some(t)).await;
    rx.down.store(false, Ordering::SeqCst);
    wait_until("the step made before the restart", || {
        rx.got.lock().unwrap().len() >= 3
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let got = rx.got.lock().unwrap().clone();
    assert_eq!(
        kinds(&got),
        ["entry.reported", "entry.escalate", "entry.confirm"],
        "none lost, none twice"
    );
    let ids: Vec<&String> = got.iter().map(|(id, _, _)| id).collect();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|i| i.parse::<i64>().unwrap());
    sorted.dedup();
    assert_eq!(ids, sorted);
    ts.stop().await;
}
