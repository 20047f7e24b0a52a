//! Each rule holds through every door (每条规则，每个入口): the same refusal whether an officer
//! asks through the HTTP API or a caller goes to the ledger service directly (as the web
//! pages and the demo do). A rule lives once, in `hazardsnap-ledger`; these tests catch a
//! door that would bypass it.

mod common;

use chrono::Utc;
use common::TestServer;
use common::officer::{Filed, after_photo, file_hazard, login, plan, post, start};
use hazardsnap_ledger::{Actor, ErrorKind, LedgerError, Officer, OfficerAction};
use hazardsnap_model::{
    Funds, LedgerStatus, RectificationLevel, RectificationPlan, Role, Severity,
};
use serde_json::{Value, json};
use uuid::Uuid;

fn actor(username: &str, role: Role, scope: Option<&str>) -> Actor {
    Actor::of(Officer {
        username: username.into(),
        role,
        scope: scope.map(str::to_owned),
    })
    .expect("actor")
}

fn district() -> Actor {
    actor("qu", Role::District, None)
}

fn a_plan() -> RectificationPlan {
    RectificationPlan {
        responsible: "设备科 王工".into(),
        measures: "更换阀门密封件".into(),
        funds: Funds(80_000),
        deadline: (Utc::now() + chrono::Duration::days(40)).date_naive(),
        contingency: "关闭上游阀门".into(),
        level: RectificationLevel::Workshop,
    }
}

/// Asks through the API and through the service; both must refuse with `code` (and the API
/// with `status`).
#[allow(clippy::too_many_arguments)]
async fn refused_at_both_doors(
    ts: &TestServer,
    token: &str,
    path: &str,
    body: Value,
    who: &Actor,
    entry: Uuid,
    action: OfficerAction,
    (status, code): (u16, &str),
) {
    let (s, v) = post(ts, token, path, &body).await;
    assert_eq!((s, v["error"].as_str()), (status, Some(code)), "API: {v}");
    let direct = ts
        .state
        .ledger
        .act(who, entry, action, Utc::now())
        .await
        .expect_err("the service must refuse too");
    assert_eq!(direct.code(), code, "service: {direct}");
    let kind = match status {
        404 => ErrorKind::NotFound,
        403 => ErrorKind::Forbidden,
        409 => ErrorKind::Conflict,
        422 => ErrorKind::Unprocessable,
        _ => ErrorKind::Invalid,
    };
    assert_eq!(direct.kind(), kind, "service: {direct}");
}

/// Takes an entry to closed through the API: `token` confirms and verifies, the enterprise's
/// officer marks it rectified (whoever marks it may not verify it).
async fn close(ts: &TestServer, token: &str, e: &Filed) {
    let rectifier = login(ts, "e001", "enterprise-pass-1").await;
    let base = format!("/api/v1/ledger/{}", e.entry_id);
    let (s, v) = post(ts, token, &format!("{base}/confirm"), &plan(10)).await;
    assert_eq!(s, 200, "{v}");
    let photo = after_photo(ts, token, 901).await;
    let (s, v) = post(
        ts,
        &rectifier,
        &format!("{base}/rectified"),
        &json!({"note": "已整改", "photos": [photo]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post(
        ts,
        token,
        &format!("{base}/verify"),
        &json!({"accepted": true, "note": "合格"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("closed")), "{v}");
}

#[tokio::test]
async fn a_closed_entry_cannot_be_merged_either_way() {
    let ts = start().await;
    let d = ts.enroll("E001-JOIN").await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let closed = file_hazard(&ts, &d.token, 31, Severity::General, false, "护栏缺失").await;
    let open = file_hazard(&ts, &d.token, 32, Severity::General, false, "地面油污").await;
    close(&ts, &qu, &closed).await;
    // The closed entry as the duplicate: the state machine refuses the merge.
    refused_at_both_doors(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/merge", closed.entry_id),
        json!({"into": open.entry_id}),
        &district(),
        closed.entry_id,
        OfficerAction::Merge {
            into: open.entry_id,
            reason: None,
        },
        (409, "illegal_transition"),
    )
    .await;
    // The closed entry as the target: nothing merges into a closed entry.
    refused_at_both_doors(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/merge", open.entry_id),
        json!({"into": closed.entry_id}),
        &district(),
        open.entry_id,
        OfficerAction::Merge {
            into: closed.entry_id,
            reason: None,
        },
        (409, "merge_target_closed"),
    )
    .await;
    ts.stop().await;
}

#[tokio::test]
async fn a_rejected_entry_cannot_be_confirmed() {
    let ts = start().await;
    let d = ts.enroll("E001-JOIN").await;
    let qu = login(&ts, "qu", "district-pass-1").await;
    let e = file_hazard(&ts, &d.token, 41, Severity::General, false, "正常工艺").await;
    let (s, v) = post(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/reject", e.entry_id),
        &json!({"reason": "非安全隐患"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("rejected")), "{v}");
    refused_at_both_doors(
        &ts,
        &qu,
        &format!("/api/v1/ledger/{}/confirm", e.entry_id),
        plan(10),
        &district(),
        e.entry_id,
        OfficerAction::Confirm(a_plan()),
        (409, "illegal_transition"),
    )
    .await;
    ts.stop().await;
}

#[tokio::test]
async fn outside_the_jurisdiction_is_not_found_at_every_door() {
    let ts = start().await;
    let d = ts.enroll("E001-JOIN").await;
    let e = file_hazard(&ts, &d.token, 51, Severity::Major, false, "液氯阀门泄漏").await;
    // E003's officer, and T02's: E001 lies outside both.
    for (user, pass, role, scope) in [
        ("e003", "enterprise-pass-3", Role::Enterprise, "E003"),
        ("t02", "town-pass-2", Role::Town, "T02"),
    ] {
        let token = login(&ts, user, pass).await;
        let who = actor(user, role, Some(scope));
        refused_at_both_doors(
            &ts,
            &token,
            &format!("/api/v1/ledger/{}/reject", e.entry_id),
            json!({"reason": "不是我们的"}),
            &who,
            e.entry_id,
            OfficerAction::Reject {
                reason: "不是我们的".into(),
            },
            (404, "not_found"),
        )
        .await;
        // Reads: the entry, its report, its photo.
        let (s, _) =
            common::officer::get(&ts, &token, &format!("/api/v1/ledger/{}", e.entry_id)).await;
        assert_eq!(s, 404);
        assert!(matches!(
            ts.state
                .ledger
                .entry_detail(&who, e.entry_id, Utc::now())
                .await,
            Err(LedgerError::NotFound)
        ));
        let (s, _) =
            common::officer::get(&ts, &token, &format!("/api/v1/reports/{}", e.report_id)).await;
        assert_eq!(s, 404);
        assert!(matches!(
            ts.state.ledger.report_detail(&who, e.report_id).await,
            Err(LedgerError::NotFound)
        ));
        let (s, _) =
            common::officer::get(&ts, &token, &format!("/api/v1/photos/{}", e.photo)).await;
        assert_eq!(s, 404);
        assert!(
            !ts.state
                .ledger
                .photo_visible(&who, e.photo.clone())
                .await
                .unwrap()
        );
    }
    // The bureau sees only what was escalated to it: not this entry, yet.
    let ajj = login(&ts, "ajj", "bureau-pass-1").await;
    let bureau = actor("ajj", Role::Bureau, None);
    refused_at_both_doors(
        &ts,
        &ajj,
        &format!("/api/v1/ledger/{}/verify", e.entry_id),
        json!({"accepted": true}),
        &bureau,
        e.entry_id,
        OfficerAction::Verify {
            accepted: true,
            note: None,
        },
        (404, "not_found"),
    )
    .await;
    ts.stop().await;
}

#[tokio::test]
async fn an_enterprise_cannot_grant_itself_more_time_and_a_reason_is_required() {
    let ts = start().await;
    let d = ts.enroll("E001-JOIN").await;
    let own = login(&ts, "e001", "enterprise-pass-1").await;
    let e = file_hazard(&ts, &d.token, 61, Severity::General, false, "灭火器过期").await;
    let base = format!("/api/v1/ledger/{}", e.entry_id);
    let (s, v) = post(&ts, &own, &format!("{base}/confirm"), &plan(5)).await;
    assert_eq!(s, 200, "{v}");
    let later = (Utc::now() + chrono::Duration::days(30)).date_naive();
    let (s, v) = post(
        &ts,
        &own,
        &format!("{base}/extension"),
        &json!({"new_deadline": later, "reason": "备件未到"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let enterprise = actor("e001", Role::Enterprise, Some("E001"));
    refused_at_both_doors(
        &ts,
        &own,
        &format!("{base}/extension/decision"),
        json!({"approved": true, "note": "同意"}),
        &enterprise,
        e.entry_id,
        OfficerAction::DecideExtension {
            approved: true,
            note: Some("同意".into()),
        },
        (403, "forbidden"),
    )
    .await;
    // A send-back without a reason, at both doors: the same input rule.
    refused_at_both_doors(
        &ts,
        &own,
        &format!("{base}/reject"),
        json!({"reason": "  "}),
        &enterprise,
        e.entry_id,
        OfficerAction::Reject {
            reason: "  ".into(),
        },
        (400, "missing_field"),
    )
    .await;
    // Nothing refused changed the entry.
    let detail = ts
        .state
        .ledger
        .entry_detail(&enterprise, e.entry_id, Utc::now())
        .await
        .unwrap();
    assert_eq!(detail.summary.status, LedgerStatus::Rectifying);
    assert!(detail.summary.extension_pending);
    ts.stop().await;
}
