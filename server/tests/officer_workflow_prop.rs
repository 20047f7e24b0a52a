//! Property test of the ledger workflow through the real HTTP API: random sequences of
//! officer actions on fresh entries, with `workflow::apply` as the model. After every step the
//! server's answer (status, escalation, pending extension, or the 409 and its allowed moves)
//! must be the model's.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::officer::{self, after_photo, file_hazard, login, plan, post};
use hazardsnap_model::workflow::{EntryState, allowed_actions, apply};
use hazardsnap_model::{Labelled, LedgerAction, Severity};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

fn route(a: LedgerAction, photo: &str, anchor: &str) -> (&'static str, Value) {
    match a {
        LedgerAction::Confirm => ("confirm", plan(20)),
        LedgerAction::Reject => ("reject", json!({"reason": "不是隐患"})),
        LedgerAction::Merge => ("merge", json!({"into": anchor})),
        LedgerAction::Rectified => ("rectified", json!({"note": "已整改", "photos": [photo]})),
        LedgerAction::VerifyAccept => ("verify", json!({"accepted": true})),
        LedgerAction::VerifyReturn => ("verify", json!({"accepted": false, "note": "不合格"})),
        LedgerAction::Escalate => ("escalate", json!({})),
        LedgerAction::RequestExtension => (
            "extension",
            json!({"new_deadline": "2099-06-30", "reason": "备件未到"}),
        ),
        LedgerAction::DecideExtension => (
            "extension/decision",
            json!({"approved": false, "note": "不同意"}),
        ),
    }
}

#[test]
fn the_api_follows_the_workflow_model() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (ts, device, qu, t01, photo, anchor) = rt.block_on(async {
        let ts = officer::start().await;
        let device = ts.enroll("E001-JOIN").await;
        let qu = login(&ts, "qu", "district-pass-1").await;
        // Whoever marked an entry rectified does not verify it: the town verifies.
        let t01 = login(&ts, "t01", "town-pass-1").await;
        let photo = after_photo(&ts, &qu, 77_777).await;
        let anchor = file_hazard(&ts, &device.token, 1, Severity::General, false, "锚点").await;
        (ts, device, qu, t01, photo, anchor.entry_id.to_string())
    });
    let seed = AtomicU32::new(10);
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let actions = (
        any::<bool>(),
        proptest::collection::vec(proptest::sample::select(LedgerAction::ALL.to_vec()), 0..12),
    );
    let result = runner.run(&actions, |(major, actions)| {
        rt.block_on(async {
            let sev = if major {
                Severity::Major
            } else {
                Severity::General
            };
            let n = seed.fetch_add(1, Ordering::Relaxed);
            let f = file_hazard(&ts, &device.token, n, sev, false, "随机").await;
            let mut model = EntryState::new(sev);
            for a in actions {
                let (r, body) = route(a, &photo, &anchor);
                let who = match a {
                    LedgerAction::VerifyAccept | LedgerAction::VerifyReturn => &t01,
                    _ => &qu,
                };
                let (s, v) = post(
                    &ts,
                    who,
                    &format!("/api/v1/ledger/{}/{r}", f.entry_id),
                    &body,
                )
                .await;
                match apply(&model, a) {
                    Ok(next) => {
                        prop_assert_eq!(s, 200, "{:?} from {:?}: {}", a, model, v);
                        prop_assert_eq!(v["status"].as_str(), Some(next.status.wire_name()));
                        prop_assert_eq!(v["escalated"].as_bool(), Some(next.escalated));
                        prop_assert_eq!(
                            v["extension_pending"].as_bool(),
                            Some(next.extension_pending)
                        );
                        let allowed: Vec<String> = allowed_actions(&next)
                            .iter()
                            .map(|x| x.wire_name().to_owned())
                            .collect();
                        let got: Vec<String> = v["allowed_actions"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|x| x.as_str().unwrap().to_owned())
                            .collect();
                        prop_assert_eq!(got, allowed);
                        model = next;
                    }
                    Err(e) => {
                        prop_assert_eq!(s, 409, "{:?} from {:?}: {}", a, model, v);
                        prop_assert_eq!(v["error"].as_str(), Some("illegal_transition"));
                        let want: Vec<&str> = e.allowed.iter().map(|x| x.wire_name()).collect();
                        let got: Vec<&str> = v["allowed"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|x| x.as_str().unwrap())
                            .collect();
                        prop_assert_eq!(got, want);
                    }
                }
            }
            Ok::<(), TestCaseError>(())
        })
    });
    if result.is_ok() {
        // Every case's closes, rejects and merges kept the dedup index of open entries true.
        rt.block_on(ts.assert_open_index_true());
    }
    rt.block_on(ts.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
}
