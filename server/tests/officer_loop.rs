//! The closed loop (闭环) through the API: a report sent by an enrolled device, confirmed with
//! its plan, rectified with an after-photo, sent back, rectified again, verified and closed,
//! and the phone sees every status in its change feed; every illegal move answers 409 naming
//! the allowed ones; merge and split with history; extensions; overdue and due-soon lists.

mod common;

use common::assert_error;
use common::officer::{self, after_photo, file_hazard, get, login, plan, post};
use hazardsnap_model::workflow::{EntryState, allowed_actions};
use hazardsnap_model::{Labelled, LedgerAction, LedgerStatus, Severity};
use serde_json::{Value, json};

/// A body that would be valid for the action, so that only the state can refuse it.
fn body_for(a: LedgerAction, sha: &str, other: &str) -> (String, Value) {
    match a {
        LedgerAction::Confirm => ("confirm".into(), plan(10)),
        LedgerAction::Reject => ("reject".into(), json!({"reason": "不是隐患"})),
        LedgerAction::Merge => ("merge".into(), json!({"into": other})),
        LedgerAction::Rectified => (
            "rectified".into(),
            json!({"note": "已更换", "photos": [sha]}),
        ),
        LedgerAction::VerifyAccept => ("verify".into(), json!({"accepted": true, "note": "合格"})),
        LedgerAction::VerifyReturn => (
            "verify".into(),
            json!({"accepted": false, "note": "未完成"}),
        ),
        LedgerAction::Escalate => ("escalate".into(), json!({})),
        LedgerAction::RequestExtension => (
            "extension".into(),
            json!({"new_deadline": "2099-01-01", "reason": "备件未到"}),
        ),
        LedgerAction::DecideExtension => (
            "extension/decision".into(),
            json!({"approved": true, "note": "同意"}),
        ),
    }
}

#[tokio::test]
async fn the_whole_loop_and_every_illegal_move() {
    let ts = officer::start().await;
    let device = ts.enroll_named("E001-JOIN", "王师傅的手机").await;
    let town = login(&ts, "t01", "town-pass-1").await;
    let ent = login(&ts, "e001", "enterprise-pass-1").await;
    let f = file_hazard(&ts, &device.token, 1, Severity::Major, false, "阀门泄漏").await;
    let other = file_hazard(&ts, &device.token, 2, Severity::General, false, "护栏缺失").await;
    let sha = after_photo(&ts, &ent, 900).await;
    let id = f.entry_id;
    let path = |a: &str| format!("/api/v1/ledger/{id}/{a}");

    // The path through the loop, with the state the model expects after each step.
    let steps: Vec<(LedgerAction, &str)> = vec![
        (LedgerAction::Escalate, "pending_review"),
        (LedgerAction::Confirm, "rectifying"),
        (LedgerAction::RequestExtension, "rectifying"),
        (LedgerAction::DecideExtension, "rectifying"),
        (LedgerAction::Rectified, "awaiting_verification"),
        (LedgerAction::VerifyReturn, "rectifying"),
        (LedgerAction::Rectified, "awaiting_verification"),
        (LedgerAction::VerifyAccept, "closed"),
    ];
    let mut state = EntryState::new(Severity::Major);
    for (action, want) in steps {
        // Every move the model forbids here answers 409 and names the allowed ones.
        let allowed = allowed_actions(&state);
        for a in LedgerAction::ALL
            .iter()
            .copied()
            .filter(|a| !allowed.contains(a))
        {
            let (route, body) = body_for(a, &sha, &other.entry_id.to_string());
            if a == LedgerAction::VerifyReturn && allowed.contains(&LedgerAction::VerifyAccept) {
                continue; // same route as an allowed move
            }
            let (s, v) = post(&ts, &town, &path(&route), &body).await;
            assert_eq!(s, 409, "{a:?} from {:?}: {v}", state.status);
            assert_eq!(v["error"], "illegal_transition");
            let named: Vec<&str> = v["allowed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            let want_named: Vec<&str> = allowed.iter().map(|a| a.wire_name()).collect();
            assert_eq!(named, want_named);
            assert!(v["message"].as_str().unwrap().contains(" / "));
        }
        let (route, body) = body_for(action, &sha, &other.entry_id.to_string());
        // Separated duties: the town escalates, decides extensions and verifies this major
        // hazard; the enterprise does the rest.
        let who = if matches!(
            action,
            LedgerAction::Escalate
                | LedgerAction::DecideExtension
                | LedgerAction::VerifyAccept
                | LedgerAction::VerifyReturn
        ) {
            &town
        } else {
            &ent
        };
        let (s, v) = post(&ts, who, &path(&route), &body).await;
        assert_eq!(s, 200, "{action:?}: {v}");
        assert_eq!(v["status"], want, "{action:?}");
        state = hazardsnap_model::workflow::apply(&state, action).unwrap();
        assert_eq!(v["escalated"], state.escalated);
        assert_eq!(v["extension_pending"], state.extension_pending);
    }

    let (s, body) = get(&ts, &ent, &format!("/api/v1/ledger/{id}")).await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["deadline"], "2099-01-01",
        "the approved extension moved the deadline"
    );
    assert_eq!(v["after_photos"][0], sha.as_str());
    assert_eq!(v["plan"]["responsible"], "设备科 王工");
    assert_eq!(v["first_reporter"]["device_name"], "王师傅的手机");
    assert_eq!(v["credited_report_id"], f.report_id.to_string());
    let actions: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "reported",
            "escalate",
            "confirm",
            "request_extension",
            "decide_extension",
            "rectified",
            "verify_return",
            "rectified",
            "verify_accept"
        ]
    );
    let actors: Vec<&Value> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|h| &h["actor"])
        .collect();
    assert!(
        actors
            .iter()
            .all(|a| a.as_str().is_some_and(|a| a == "e001" || a == "t01"))
    );
    assert!(v["allowed_actions"].as_array().unwrap().is_empty());

    // The phone saw the status changes, the last one being closed.
    let r = ts
        .http
        .get(ts.url("/api/v1/device/changes?since=0"))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap();
    let feed: Value = r.json().await.unwrap();
    let mine = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["report_id"] == f.report_id.to_string())
        .unwrap()
        .clone();
    assert_eq!(mine["status"], "closed");

    // Missing or invalid input is refused before any move.
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/reject", other.entry_id),
        &json!({"reason": " "}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("missing_field")));
    let mut p = plan(10);
    p["contingency"] = json!("");
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/confirm", other.entry_id),
        &p,
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("plan_incomplete")));
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/confirm", other.entry_id),
        &plan(-3),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("deadline_in_past")));
    let mut p = plan(10);
    p.as_object_mut().unwrap().remove("level");
    let r = ts
        .http
        .post(ts.url(&format!("/api/v1/ledger/{}/confirm", other.entry_id)))
        .bearer_auth(&ent)
        .json(&p)
        .send()
        .await
        .unwrap();
    // The missing field is named, with its own code (not the body's `invalid_json`).
    assert_error(r, 400, "missing_field").await;
    // A body is an object: serde would read an empty array as a body of defaults (fuzzing found
    // `[]` adopted a suggestion), and the escalation body is all defaults.
    let r = ts
        .http
        .post(ts.url(&format!("/api/v1/ledger/{}/escalate", other.entry_id)))
        .bearer_auth(&ent)
        .json(&serde_json::json!([]))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "invalid_json").await;
    // An after-photo that was never uploaded.
    post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/confirm", other.entry_id),
        &plan(5),
    )
    .await;
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/rectified", other.entry_id),
        &json!({"note": "好了", "photos": ["ab".repeat(32)]}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (422, Some("missing_photos")));
    // A general hazard cannot be escalated (and an enterprise escalates nothing).
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/escalate", other.entry_id),
        &json!({}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")));
    let (s, v) = post(
        &ts,
        &town,
        &format!("/api/v1/ledger/{}/escalate", other.entry_id),
        &json!({}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("illegal_transition")));
    // An enterprise does not decide its own extension.
    post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/extension", other.entry_id),
        &json!({"new_deadline": "2099-02-01", "reason": "等备件"}),
    )
    .await;
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/extension/decision", other.entry_id),
        &json!({"approved": true}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")));
    ts.stop().await;
}

#[tokio::test]
async fn merge_moves_the_reports_and_split_undoes_it_with_history() {
    let ts = officer::start().await;
    let a = ts.enroll_named("E001-JOIN", "甲").await;
    let b = ts.enroll_named("E001-JOIN", "乙").await;
    let ent = login(&ts, "e001", "enterprise-pass-1").await;
    let first = file_hazard(&ts, &a.token, 11, Severity::General, false, "阀门泄漏").await;
    let dup = file_hazard(&ts, &b.token, 12, Severity::General, true, "阀门漏了").await;

    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/merge", first.entry_id),
        &json!({"into": first.entry_id}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("merge_into_self")));
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/merge", dup.entry_id),
        &json!({"into": first.entry_id, "reason": "同一阀门"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "merged");
    assert_eq!(v["merged_into"], first.entry_id.to_string());
    ts.assert_open_index_true().await;

    let (_, body) = get(&ts, &ent, &format!("/api/v1/ledger/{}", first.entry_id)).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["report_ids"].as_array().unwrap().len(), 2);
    assert_eq!(v["reporters"], 2);
    assert_eq!(v["credited_report_id"], first.report_id.to_string());
    assert!(body.contains("merge_in") && body.contains("同一阀门"));
    // The report answers with the entry it now lives in.
    let (_, body) = get(&ts, &ent, &format!("/api/v1/reports/{}", dup.report_id)).await;
    let r: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(r["entry_id"], first.entry_id.to_string());

    // A merged entry cannot be the target of another merge.
    let third = file_hazard(&ts, &a.token, 13, Severity::General, false, "地面油污").await;
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/merge", third.entry_id),
        &json!({"into": dup.entry_id}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("merge_target_closed")));

    // Split it back out: a new entry, with history on both sides.
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/split", first.entry_id),
        &json!({"report_id": dup.report_id, "reason": "其实是另一个阀门"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "pending_review");
    assert_eq!(v["report_ids"][0], dup.report_id.to_string());
    assert_ne!(v["id"], first.entry_id.to_string());
    assert_eq!(v["history"][0]["action"], "split_from");
    let (_, body) = get(&ts, &ent, &format!("/api/v1/ledger/{}", first.entry_id)).await;
    assert!(body.contains("\"split\"") && body.contains("其实是另一个阀门"));
    let (s, v) = post(
        &ts,
        &ent,
        &format!("/api/v1/ledger/{}/split", first.entry_id),
        &json!({"report_id": first.report_id, "reason": "x"}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("last_report")));
    ts.assert_open_index_true().await;
    ts.stop().await;
}

#[tokio::test]
async fn overdue_and_due_soon_are_marked_and_listable() {
    let ts = officer::start().await;
    let d = ts.enroll("E001-JOIN").await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let late = file_hazard(&ts, &d.token, 21, Severity::General, false, "a").await;
    let soon = file_hazard(&ts, &d.token, 22, Severity::General, false, "b").await;
    let far = file_hazard(&ts, &d.token, 23, Severity::General, false, "c").await;
    post(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/confirm", late.entry_id),
        &plan(1),
    )
    .await;
    post(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/confirm", soon.entry_id),
        &plan(2),
    )
    .await;
    post(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/confirm", far.entry_id),
        &plan(60),
    )
    .await;
    // Time passes: two days on the server's clock, and the deadline of `late` (tomorrow)
    // lies in the past, that of `soon` (in two days) is today.
    ts.clock.advance(chrono::Duration::days(2));
    // The session of two days ago has ended (sessions last a working day): log in again.
    let qu = login(&ts, "qu", "district-pass-1").await;

    let list = |q: &'static str| {
        let (ts, qu) = (&ts, &qu);
        async move {
            let (s, body) = get(ts, qu, &format!("/api/v1/ledger{q}")).await;
            assert_eq!(s, 200, "{body}");
            let v: Value = serde_json::from_str(&body).unwrap();
            v["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["id"].as_str().unwrap().to_owned(),
                        e["overdue"].as_bool().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let all = list("").await;
    assert_eq!(all.len(), 3);
    for (id, overdue) in &all {
        assert_eq!(*overdue, *id == late.entry_id.to_string());
    }
    assert_eq!(
        list("?overdue=true").await,
        vec![(late.entry_id.to_string(), true)]
    );
    assert_eq!(
        list("?due_within_days=7").await,
        vec![(soon.entry_id.to_string(), false)]
    );
    assert_eq!(list("?overdue=false&sort=deadline").await.len(), 2);
    assert_eq!(list("?status=rectifying&enterprise=E001&town=T01&severity=general&category=equipment_guarding").await.len(), 3);
    assert_eq!(list("?per_page=2&page=2&sort=number").await.len(), 1);
    assert!(list("?status=closed").await.is_empty());
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    assert_eq!(
        list(Box::leak(
            format!("?from={today}&to={today}").into_boxed_str()
        ))
        .await
        .len(),
        3
    );
    let (s, body) = get(&ts, &qu, "/api/v1/ledger?status=done").await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("invalid_query"));
    ts.stop().await;
}

#[test]
fn the_expected_states_are_those_of_the_model() {
    // Guards the table of the loop test against drifting from the model.
    let s = EntryState::new(Severity::Major);
    assert_eq!(s.status, LedgerStatus::PendingReview);
    assert!(allowed_actions(&s).contains(&LedgerAction::Escalate));
}
