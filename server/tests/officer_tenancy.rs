//! Tenancy and anonymity, generated over every officer route × every role × own and other
//! jurisdiction, against a real server over real HTTP.
//!
//! The expected visibility of every entry comes from the model's rule
//! ([`Jurisdiction::covers`]), not from the server: outside one's jurisdiction every route must
//! answer 404 exactly as for an entry that does not exist, and no answer (of any status) may
//! contain a trace of another jurisdiction's entries, reports, photos or devices. Anonymous
//! reporters must not appear in any ordinary answer to any officer.

mod common;

use std::collections::BTreeMap;

use common::TestServer;
use common::officer::{self, OFFICERS, after_photo, file_hazard, get, login, plan, post, town_of};
use hazardsnap_model::{Jurisdiction, Severity};
use serde_json::{Value, json};
use uuid::Uuid;

/// One closed entry of the matrix, with everything that identifies it.
#[derive(Debug, Clone)]
struct Target {
    enterprise: &'static str,
    escalated: bool,
    entry: Uuid,
    report: Uuid,
    markers: Vec<String>,
    photo: String,
    after: String,
}

struct World {
    ts: TestServer,
    tokens: BTreeMap<&'static str, String>,
    targets: Vec<Target>,
    /// An open entry of each enterprise (for merges into the targets).
    open: BTreeMap<&'static str, (Uuid, bool)>,
    /// Device id and name of devices that only ever reported anonymously.
    anonymous_devices: Vec<(String, String)>,
    named_device_names: Vec<String>,
    /// Each enterprise's suggestion: id and note.
    suggestions: Vec<(&'static str, String, String)>,
}

fn jurisdiction(user: &str) -> Jurisdiction {
    match user {
        "qu" => Jurisdiction::District,
        "ajj" => Jurisdiction::Bureau,
        "t01" => Jurisdiction::Town { town: "T01".into() },
        "t02" => Jurisdiction::Town { town: "T02".into() },
        "e001" => Jurisdiction::Enterprise {
            enterprise: "E001".into(),
        },
        _ => Jurisdiction::Enterprise {
            enterprise: "E003".into(),
        },
    }
}

async fn world() -> World {
    let ts = officer::start().await;
    let mut tokens = BTreeMap::new();
    for (u, p) in OFFICERS {
        tokens.insert(*u, login(&ts, u, p).await);
    }
    let qu = tokens["qu"].clone();
    let mut targets = Vec::new();
    let mut open = BTreeMap::new();
    let mut anonymous_devices = Vec::new();
    let mut named_device_names = Vec::new();
    let mut suggestions = Vec::new();
    let mut seed = 100;
    for ent in ["E001", "E002", "E003"] {
        let code = format!("{ent}-JOIN");
        let named_name = format!("具名手机-{ent}");
        let anon_name = format!("匿名手机-{ent}");
        let named = ts.enroll_named(&code, &named_name).await;
        let anon = ts.enroll_named(&code, &anon_name).await;
        anonymous_devices.push((anon.device_id.to_string(), anon_name.clone()));
        named_device_names.push(named_name.clone());
        for (major, device) in [(false, &named), (true, &anon)] {
            seed += 1;
            let note = format!("标记-{ent}-{seed}");
            let sev = if major {
                Severity::Major
            } else {
                Severity::General
            };
            let f = file_hazard(&ts, &device.token, seed, sev, major, &note).await;
            let escalated = major && ent != "E002";
            let id = f.entry_id;
            if escalated {
                let (s, v) = post(
                    &ts,
                    &qu,
                    &format!("/api/v1/ledger/{id}/escalate"),
                    &json!({}),
                )
                .await;
                assert_eq!(s, 200, "{v}");
            }
            let (s, v) = post(&ts, &qu, &format!("/api/v1/ledger/{id}/confirm"), &plan(30)).await;
            assert_eq!(s, 200, "{v}");
            let after = after_photo(&ts, &qu, 5000 + seed).await;
            // The town marks it rectified, the district verifies (separated duties).
            let town = tokens[officer::town_of(ent).to_lowercase().as_str()].clone();
            let (s, v) = post(
                &ts,
                &town,
                &format!("/api/v1/ledger/{id}/rectified"),
                &json!({"note": format!("整改-{note}"), "photos": [after]}),
            )
            .await;
            assert_eq!(s, 200, "{v}");
            let (s, v) = post(
                &ts,
                &qu,
                &format!("/api/v1/ledger/{id}/verify"),
                &json!({"accepted": true}),
            )
            .await;
            assert_eq!(s, 200, "{v}");
            let mut markers = vec![
                id.to_string(),
                f.number.clone(),
                f.report_id.to_string(),
                note,
                f.photo.clone(),
                after.clone(),
                device.device_id.to_string(),
            ];
            markers.push(if major {
                anon_name.clone()
            } else {
                named_name.clone()
            });
            targets.push(Target {
                enterprise: ent,
                escalated,
                entry: id,
                report: f.report_id,
                markers,
                photo: f.photo,
                after,
            });
        }
        seed += 1;
        let opener = ts.enroll_named(&code, &format!("开放手机-{ent}")).await;
        let o = file_hazard(
            &ts,
            &opener.token,
            seed,
            Severity::Major,
            false,
            &format!("开放-{ent}"),
        )
        .await;
        let escalated = ent == "E003";
        if escalated {
            post(
                &ts,
                &qu,
                &format!("/api/v1/ledger/{}/escalate", o.entry_id),
                &json!({}),
            )
            .await;
        }
        open.insert(ent, (o.entry_id, escalated));
        let mut sug = common::suggestion();
        sug.note = format!("建议-{ent}-加装反光镜");
        let res = ts.submit(&opener.token, vec![sug.clone()]).await;
        suggestions.push((ent, res.results[0].entry_id.unwrap().to_string(), sug.note));
    }
    World {
        ts,
        tokens,
        targets,
        open,
        anonymous_devices,
        named_device_names,
        suggestions,
    }
}

/// Whether `user` sees the suggestions of `ent` (the bureau sees none).
fn sees_suggestions(user: &str, ent: &str) -> bool {
    user != "ajj" && jurisdiction(user).covers(ent, town_of(ent), false)
}

fn covers(user: &str, t: &Target) -> bool {
    jurisdiction(user).covers(t.enterprise, town_of(t.enterprise), t.escalated)
}

/// Asserts a body carries nothing of the entries `user` may not see.
fn assert_no_leak(w: &World, user: &str, what: &str, body: &str) {
    for t in w.targets.iter().filter(|t| !covers(user, t)) {
        for m in &t.markers {
            assert!(
                !body.contains(m.as_str()),
                "{user} {what}: leaked {m} of {}",
                t.enterprise
            );
        }
    }
    for (ent, (id, esc)) in &w.open {
        if !jurisdiction(user).covers(ent, town_of(ent), *esc) {
            assert!(
                !body.contains(&id.to_string()),
                "{user} {what}: leaked open entry of {ent}"
            );
        }
    }
}

#[tokio::test]
async fn every_route_every_role_own_and_other_jurisdiction() {
    let w = world().await;
    let mut checked = 0;
    let mut leaks_checked = 0;
    for (user, _) in OFFICERS {
        let token = &w.tokens[user];
        let j = jurisdiction(user);
        // The list shows exactly the covered entries, whatever the filter asks for.
        for q in [
            "",
            "?enterprise=E003",
            "?town=T02",
            "?status=closed",
            "?escalated=true",
            "?severity=major&per_page=200",
        ] {
            let (s, body) = get(&w.ts, token, &format!("/api/v1/ledger{q}")).await;
            assert_eq!(s, 200);
            assert_no_leak(&w, user, "list", &body);
            leaks_checked += 1;
            if q.is_empty() {
                for t in w.targets.iter().filter(|t| covers(user, t)) {
                    assert!(
                        body.contains(&t.entry.to_string()),
                        "{user} misses {:?}",
                        t.entry
                    );
                }
            }
        }
        // The numbers and lists of the district: nothing of another jurisdiction either.
        for path in [
            "/api/v1/stats/monthly",
            "/api/v1/rewards",
            "/api/v1/suggestions",
        ] {
            let (s, body) = get(&w.ts, token, path).await;
            assert_eq!(s, 200, "{user} {path}: {body}");
            assert_no_leak(&w, user, path, &body);
            leaks_checked += 1;
        }
        let (_, body) = get(&w.ts, token, "/api/v1/stats/monthly").await;
        let stats: Value = serde_json::from_str(&body).unwrap();
        for row in stats["enterprises"].as_array().unwrap() {
            let ent = row["code"].as_str().unwrap();
            let escalated_there = w.targets.iter().any(|t| t.enterprise == ent && t.escalated);
            assert!(
                j.covers(ent, town_of(ent), escalated_there),
                "{user} sees statistics of {ent}"
            );
        }
        for (ent, id, _) in &w.suggestions {
            let (s, v) = post(
                &w.ts,
                token,
                &format!("/api/v1/suggestions/{id}/adopt"),
                &json!({}),
            )
            .await;
            if sees_suggestions(user, ent) {
                assert_eq!(s, 200, "{user} adopt {ent}: {v}");
            } else {
                assert_eq!(s, 404, "{user} adopt {ent}: {v}");
            }
            assert_no_leak(&w, user, "adopt", &v.to_string());
        }
        let own_open = w
            .open
            .iter()
            .find(|(ent, (_, esc))| j.covers(ent, town_of(ent), *esc))
            .map(|(_, (id, _))| *id);
        for t in &w.targets {
            let inside = covers(user, t);
            let e = t.entry;
            let mut answers: Vec<(String, u16, String)> = Vec::new();
            for path in [
                format!("/api/v1/ledger/{e}"),
                format!("/api/v1/reports/{}", t.report),
                format!("/api/v1/photos/{}", t.photo),
                format!("/api/v1/photos/{}", t.after),
            ] {
                let (s, body) = get(&w.ts, token, &path).await;
                answers.push((path, s, body));
            }
            let posts: Vec<(String, Value)> = vec![
                (format!("/api/v1/ledger/{e}/confirm"), plan(10)),
                (format!("/api/v1/ledger/{e}/reject"), json!({"reason": "r"})),
                (
                    format!("/api/v1/ledger/{e}/merge"),
                    json!({"into": own_open.unwrap_or(e)}),
                ),
                (
                    format!("/api/v1/ledger/{e}/split"),
                    json!({"report_id": t.report, "reason": "r"}),
                ),
                (
                    format!("/api/v1/ledger/{e}/rectified"),
                    json!({"note": "n", "photos": [t.after]}),
                ),
                (
                    format!("/api/v1/ledger/{e}/verify"),
                    json!({"accepted": true}),
                ),
                (
                    format!("/api/v1/ledger/{e}/verify"),
                    json!({"accepted": false, "note": "n"}),
                ),
                (format!("/api/v1/ledger/{e}/escalate"), json!({})),
                (
                    format!("/api/v1/ledger/{e}/extension"),
                    json!({"new_deadline": "2099-01-01", "reason": "r"}),
                ),
                (
                    format!("/api/v1/ledger/{e}/extension/decision"),
                    json!({"approved": true}),
                ),
                (
                    format!("/api/v1/reports/{}/reveal", t.report),
                    json!({"reason": "奖励核对"}),
                ),
            ];
            for (path, body) in posts {
                let (s, v) = post(&w.ts, token, &path, &body).await;
                answers.push((path, s, v.to_string()));
            }
            // Merging one's own open entry into this one: the target must be visible too.
            if let Some(open) = own_open {
                let (s, v) = post(
                    &w.ts,
                    token,
                    &format!("/api/v1/ledger/{open}/merge"),
                    &json!({"into": e}),
                )
                .await;
                answers.push((format!("merge {open} into {e}"), s, v.to_string()));
            }
            for (path, s, body) in answers {
                checked += 1;
                if inside {
                    assert_ne!(s, 404, "{user} {path} inside: {body}");
                    assert!(s < 500, "{user} {path}: {body}");
                } else {
                    assert_eq!(s, 404, "{user} {path} outside: {body}");
                    assert!(body.contains("not_found"), "{body}");
                }
                assert_no_leak(&w, user, &path, &body);
            }
        }
    }
    // Six officers × six entries × sixteen routes.
    assert!(checked >= 6 * 6 * 15, "{checked}");
    assert!(leaks_checked >= 36);
    w.ts.stop().await;
}

#[tokio::test]
async fn no_officer_ever_receives_an_anonymous_reporter() {
    let w = world().await;
    let mut bodies = Vec::new();
    for (user, _) in OFFICERS {
        let token = &w.tokens[user];
        let (_, list) = get(&w.ts, token, "/api/v1/ledger?per_page=200").await;
        let v: Value = serde_json::from_str(&list).unwrap();
        bodies.push(list.clone());
        for path in [
            "/api/v1/stats/monthly",
            "/api/v1/rewards",
            "/api/v1/suggestions",
        ] {
            bodies.push(get(&w.ts, token, path).await.1);
        }
        for e in v["entries"].as_array().unwrap() {
            let (_, d) = get(
                &w.ts,
                token,
                &format!("/api/v1/ledger/{}", e["id"].as_str().unwrap()),
            )
            .await;
            for r in e["report_ids"].as_array().unwrap() {
                let (_, rb) = get(
                    &w.ts,
                    token,
                    &format!("/api/v1/reports/{}", r.as_str().unwrap()),
                )
                .await;
                bodies.push(rb);
            }
            bodies.push(d);
        }
    }
    let all = bodies.join("\n");
    for (id, name) in &w.anonymous_devices {
        assert!(
            !all.contains(id.as_str()),
            "anonymous device id {id} leaked"
        );
        assert!(
            !all.contains(name.as_str()),
            "anonymous device name {name} leaked"
        );
    }
    assert!(all.contains("匿名"));
    // The search can see reporters at all: the named ones are there.
    for n in &w.named_device_names {
        assert!(all.contains(n.as_str()), "named reporter {n} not shown");
    }

    // Reveal: district only, with a reason, recorded.
    let anon = w
        .targets
        .iter()
        .find(|t| t.enterprise == "E001" && t.escalated)
        .unwrap();
    let path = format!("/api/v1/reports/{}/reveal", anon.report);
    let (s, v) = post(
        &w.ts,
        &w.tokens["e001"],
        &path,
        &json!({"reason": "想知道"}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")));
    let (s, v) = post(&w.ts, &w.tokens["qu"], &path, &json!({"reason": ""})).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = post(
        &w.ts,
        &w.tokens["qu"],
        &path,
        &json!({"reason": "重大隐患奖励"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["device_name"], "匿名手机-E001");
    // The look is recorded (read through the repository; that the audit refuses UPDATE and
    // DELETE is the SQLite backend's schema test).
    let report = anon.report;
    let log =
        w.ts.state
            .ledger
            .repo()
            .read(move |tx| Ok(tx.reveals(report)?))
            .await
            .unwrap();
    let found = log
        .iter()
        .find(|r| r.reason == "重大隐患奖励")
        .expect("recorded");
    assert_eq!(
        (found.actor.as_str(), found.reason.as_str()),
        ("qu", "重大隐患奖励")
    );
    w.ts.stop().await;
}
