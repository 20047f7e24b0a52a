//! The real `hazardsnap-server` binary: `org import` twice changes nothing, a changed roster
//! updates without deleting, SIGKILL mid-ingest and restart loses nothing, SIGTERM shuts down
//! cleanly.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use std::sync::Arc;

use common::{ROSTER, ServerProcess, encode, hazard, org_import, photo_ref, scene, sha256_hex};
use hazardsnap_ledger::Repository;
use hazardsnap_ledger::repo::query::{EnterpriseFilter, EntryOrder, EntryQuery};
use hazardsnap_model::{EnrollResponse, PROTOCOL_VERSION, SubmitOutcome, SubmitResults};
use uuid::Uuid;

/// The server's repository over its database file: the same trait the server runs on, never
/// SQL on its file.
fn repository(db: &Path) -> Arc<dyn Repository> {
    Arc::new(hazardsnap_server::sqlite::SqliteRepository::open(db).expect("repository"))
}

/// A runtime to read the repository from the plain (not async) tests.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// The whole organisation of `ROSTER` as the repository holds it, as text, for before/after
/// comparisons: towns, enterprises, site points, officers (with their password hashes) and
/// enrollment codes.
fn dump(db: &Path) -> Vec<String> {
    let roster = hazardsnap_model::Roster::parse(ROSTER).expect("roster");
    let users: Vec<String> = roster.users.iter().map(|u| u.username.clone()).collect();
    let codes: Vec<String> = roster
        .enrollment_codes
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let (rt, repo) = (runtime(), repository(db));
    let mut out: Vec<String> = rt
        .block_on(repo.read(move |tx| {
            let mut out = Vec::new();
            let mut towns: Vec<_> = tx.town_names()?.into_iter().collect();
            towns.sort();
            out.push(format!("towns: {towns:?}"));
            for e in tx.enterprises(&EnterpriseFilter::default())? {
                out.push(format!("enterprise: {e:?}"));
            }
            for p in tx.site_points_in_box((-90.0, 90.0), (-180.0, 180.0))? {
                out.push(format!("site point: {p:?}"));
            }
            let mut hashes: Vec<_> = tx.roster_password_hashes()?.into_iter().collect();
            hashes.sort();
            out.push(format!("roster passwords: {hashes:?}"));
            for u in &users {
                out.push(format!("user: {:?}", tx.user(u)?));
            }
            for c in &codes {
                out.push(format!("code: {:?}", tx.enrollment_code(c)?));
            }
            Ok(out)
        }))
        .expect("read");
    out.sort();
    out
}

#[test]
fn org_import_twice_changes_nothing_and_a_changed_roster_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("roster.toml");
    std::fs::write(&file, ROSTER).unwrap();
    let db = data.join("hazardsnap.sqlite3");

    let first = org_import(&data, &file);
    assert!(first.contains("roster imported"), "{first}");
    let after_first = dump(&db);
    let second = org_import(&data, &file);
    assert!(second.contains(" 0 rows changed"), "{second}");
    assert_eq!(dump(&db), after_first, "second import changed rows");

    // Passwords are stored as Argon2id hashes only.
    let raw = std::fs::read(&db).unwrap();
    assert!(!raw.windows(18).any(|w| w == b"initial-password-1"));
    assert!(after_first.iter().any(|r| r.contains("$argon2id$")));

    // A changed roster: an enterprise renamed, a code and a user dropped, a password changed.
    let changed = ROSTER
        .replace("某纺织厂", "某纺织有限公司")
        .replace("initial-password-1", "another-password-2")
        .replace(
            "[[enrollment_codes]]\ncode = \"E002-JOIN-9Q2W\"\nenterprise = \"E002\"\n",
            "",
        );
    assert_ne!(changed, ROSTER);
    std::fs::write(&file, &changed).unwrap();
    let third = org_import(&data, &file);
    assert!(!third.contains(" 0 rows changed"), "{third}");
    let (rt, repo) = (runtime(), repository(&db));
    let (name, code, user) = rt
        .block_on(repo.read(|tx| {
            let e002 = tx
                .enterprises(&EnterpriseFilter {
                    codes: Some(vec!["E002".into()]),
                    ..Default::default()
                })?
                .pop()
                .map(|e| e.name);
            Ok((
                e002,
                tx.enrollment_code("E002-JOIN-9Q2W")?,
                tx.user("zhang.san")?,
            ))
        }))
        .unwrap();
    drop(repo);
    assert_eq!(name.as_deref(), Some("某纺织有限公司"));
    let code = code.expect("a dropped code is deactivated, not deleted");
    assert!(!code.active, "a dropped code is deactivated, not deleted");
    let hash = user.expect("user").password_hash;
    assert!(hazardsnap_server::org::verify_password(
        "another-password-2",
        &hash
    ));
    // And importing the changed file again is a no-op too.
    let before = dump(&db);
    assert!(org_import(&data, &file).contains(" 0 rows changed"));
    assert_eq!(dump(&db), before);
}

async fn submit(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    reports: &[hazardsnap_model::ReportSubmission],
) -> Result<SubmitResults, reqwest::Error> {
    http.post(format!("{base}/api/v1/reports"))
        .bearer_auth(token)
        .json(&serde_json::json!({"version": PROTOCOL_VERSION, "reports": reports}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_ingest_then_restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("roster.toml");
    std::fs::write(&file, ROSTER).unwrap();
    org_import(&data, &file);
    let http = reqwest::Client::new();

    let mut proc = ServerProcess::start(&data);
    let e: EnrollResponse = http
        .post(format!("{}/api/v1/enroll", proc.base()))
        .json(&serde_json::json!({"code": "E001-JOIN-7H3K", "device_name": "测试手机"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // 100 hazards, each reported by 10 phones with the same photo: deduplication must keep
    // filing them into 100 entries while the server is killed around it.
    let mut photos = Vec::new();
    for seed in 0..100u32 {
        let photo = encode(&scene(1000 + seed, 320, 240), 85);
        let r = http
            .put(format!(
                "{}/api/v1/photos/{}",
                proc.base(),
                sha256_hex(&photo)
            ))
            .bearer_auth(&e.token)
            .body(photo.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        photos.push(photo);
    }

    let reports: Vec<_> = (0..1000)
        .map(|i| {
            let mut r = hazard(vec![photo_ref(&photos[i % 100], 320, 240)]);
            // Distinct places and notes: only the photo says two reports are one hazard.
            r.site_code = None;
            r.note = format!("隐患 {}", i % 100);
            r
        })
        .collect();
    let mut confirmed: HashMap<Uuid, String> = HashMap::new();
    let mut kills = 0;
    // Killed batches whose answer never came (the interesting case; how many depends on
    // timing, so it is reported, not asserted).
    let mut unanswered = 0;
    // Reports stored by a killed server before it could answer, found on the resend.
    let mut committed_unheard = 0;
    for round in 0.. {
        assert!(round < 50, "ingest never completes");
        let todo: Vec<_> = reports
            .iter()
            .filter(|r| !confirmed.contains_key(&r.id))
            .cloned()
            .collect();
        if todo.is_empty() {
            break;
        }
        let kill_after = if kills < 4 { Some(2 + round) } else { None };
        for (i, batch) in todo.chunks(50).enumerate() {
            let base = proc.base();
            let send = submit(&http, &base, &e.token, batch);
            if kill_after == Some(i) {
                // Kill the server while this batch is in flight: the phone never hears
                // whether it was stored.
                let pid = proc.child.id();
                // Spread the kill over the request's life: before, during and after commit.
                let delay_ms = [2u64, 8, 15, 30][kills % 4];
                let killer = tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                });
                let outcome = send.await;
                let _ = killer.await;
                if outcome.is_err() {
                    unanswered += 1;
                }
                if let Ok(res) = outcome {
                    for r in res.results {
                        assert!(r.outcome.is_delivered(), "{r:?}");
                        confirmed.insert(r.id, r.entry_number.unwrap());
                    }
                }
                break;
            }
            let res = send.await.expect("submit");
            for r in res.results {
                assert!(r.outcome.is_delivered(), "{r:?}");
                if r.outcome == SubmitOutcome::AlreadyAccepted {
                    committed_unheard += 1;
                }
                confirmed.insert(r.id, r.entry_number.unwrap());
            }
        }
        if kill_after.is_some() {
            let _ = proc.child.kill();
            let _ = proc.child.wait();
            kills += 1;
            proc = ServerProcess::start(&data);
        }
    }
    assert_eq!(kills, 4);
    eprintln!(
        "{kills} kills, {unanswered} batches in flight got no answer, \
         {committed_unheard} reports committed before the kill came back already_accepted"
    );

    // Everything again: every report already there, with the number the phone was told.
    for batch in reports.chunks(100) {
        let res = submit(&http, &proc.base(), &e.token, batch).await.unwrap();
        for r in res.results {
            assert_eq!(r.outcome, SubmitOutcome::AlreadyAccepted);
            assert_eq!(Some(&r.entry_number.unwrap()), confirmed.get(&r.id));
        }
    }
    let _ = proc.child.kill();
    let _ = proc.child.wait();

    let repo = repository(&data.join("hazardsnap.sqlite3"));
    let (counts, entries, links) = repo
        .read(|tx| {
            let entries = tx.entries(&EntryQuery {
                scope: hazardsnap_model::Scope::All,
                filter: vec![],
                order: EntryOrder::Number,
                offset: 0,
                limit: 10_000,
            })?;
            let ids: Vec<Uuid> = entries.iter().map(|e| e.entry.id).collect();
            Ok((tx.counts()?, entries, tx.report_links(&ids)?))
        })
        .await
        .unwrap();
    let distinct: std::collections::HashSet<&str> =
        entries.iter().map(|e| e.entry.number.as_str()).collect();
    let max_seq = entries.iter().map(|e| e.entry.seq).max().unwrap_or(0);
    assert_eq!(
        (counts.reports, counts.ledger_entries, distinct.len()),
        (1000, 100, 100)
    );
    // Numbers allocated in the filing transaction: a killed transaction leaves no gap.
    assert_eq!(max_seq, 100);
    let mut per_entry: HashMap<Uuid, usize> = HashMap::new();
    for l in &links {
        *per_entry.entry(l.entry_id.expect("filed")).or_default() += 1;
    }
    let unfiled_or_uneven =
        (counts.reports as usize - links.len()) + per_entry.values().filter(|n| **n != 10).count();
    assert_eq!(unfiled_or_uneven, 0, "every entry holds its 10 reports");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut proc = ServerProcess::start(&dir.path().join("data"));
    let status = Command::new("kill")
        .args(["-TERM", &proc.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = proc.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}
