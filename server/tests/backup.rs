//! The online backup (在线备份) of the embedded default, with the real binaries: while a
//! `hazardsnap-server serve` process files a phone's reports as fast as it sends them,
//! `hazardsnap-server backup` is run three times. Each backup is a sound database as of one
//! commit (integrity check, every report it holds filed, no more reports than the server had
//! when the backup ended, no fewer than when it began); the last one, with the photo folder
//! copied after it, serves the same ledger from a new server process. A backup to a folder
//! that cannot be written fails with a clear message and leaves no file behind.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{
    ROSTER, ServerProcess, hazard, jpeg, org_import_text, photo_ref, server_binary, sha256_hex,
};
use hazardsnap_ledger::Repository;
use hazardsnap_model::{PROTOCOL_VERSION, Scope};
use hazardsnap_server::sqlite::SqliteRepository;
use hazardsnap_server::state::DB_FILE;
use serde_json::{Value, json};

fn run(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(server_binary())
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run hazardsnap-server")
}

/// Reports stored, read through the repository (the server's own trait).
async fn reports_in(db: &Path) -> (u64, u64, Vec<String>) {
    let repo: Arc<dyn Repository> = Arc::new(SqliteRepository::open(db).expect("open"));
    repo.read(|tx| {
        let counts = tx.counts()?;
        let problems = tx.integrity_problems()?;
        Ok((counts.reports, counts.ledger_entries, problems))
    })
    .await
    .expect("read")
}

/// A phone sending one report after another until told to stop; how many were accepted.
async fn phone(base: String, stop: Arc<AtomicBool>) -> u32 {
    let http = reqwest::Client::new();
    let enrolled: Value = http
        .post(format!("{base}/api/v1/enroll"))
        .json(&json!({"code": "E001-JOIN-7H3K", "device_name": "备份测试手机"}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("enroll body");
    let token = enrolled["token"].as_str().expect("token").to_owned();
    let mut sent = 0;
    while !stop.load(Ordering::SeqCst) {
        let photo = jpeg(10_000 + sent, 96, 72);
        let r = http
            .put(format!("{base}/api/v1/photos/{}", sha256_hex(&photo)))
            .bearer_auth(&token)
            .body(photo.clone())
            .send()
            .await
            .expect("photo");
        assert!(r.status().is_success(), "photo {}", r.status());
        let r = http
            .post(format!("{base}/api/v1/reports"))
            .bearer_auth(&token)
            .json(&json!({"version": PROTOCOL_VERSION,
                "reports": [hazard(vec![photo_ref(&photo, 96, 72)])]}))
            .send()
            .await
            .expect("report");
        assert_eq!(r.status(), 200);
        sent += 1;
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_taken_while_reports_arrive_are_whole_and_restore() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("live");
    org_import_text(&data, ROSTER);
    let server = ServerProcess::start(&data);
    let stop = Arc::new(AtomicBool::new(false));
    let sender = tokio::spawn(phone(server.base(), stop.clone()));
    let live_db = data.join(DB_FILE);

    let mut last = None;
    for n in 0..3 {
        // Let some reports arrive, then back up in the middle of the stream.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let before = reports_in(&live_db).await.0;
        let file = work.path().join(format!("backup-{n}.sqlite3"));
        let out = tokio::task::spawn_blocking({
            let (data, file) = (data.clone(), file.clone());
            move || run(&["backup", file.to_str().expect("utf-8 path")], &data)
        })
        .await
        .expect("backup");
        let after = reports_in(&live_db).await.0;
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            said.contains("已备份") && said.contains("backed up"),
            "{said}"
        );
        let (reports, entries, problems) = reports_in(&file).await;
        eprintln!("backup {n}: {reports} reports (the server had {before} before, {after} after)");
        assert!(problems.is_empty(), "backup {n}: {problems:?}");
        assert!(
            (before..=after).contains(&reports),
            "backup {n} holds {reports} reports; the server had {before} before and {after} after"
        );
        assert!(entries > 0 && entries <= reports);
        last = Some((file, reports));
    }
    stop.store(true, Ordering::SeqCst);
    let sent = sender.await.expect("phone");
    server.kill();
    let (file, reports) = last.expect("a backup");
    assert!(
        u64::from(sent) > reports,
        "the phone kept sending after the last backup ({sent} sent, {reports} backed up)"
    );

    // Restore: the backup as the database, the photo folder copied after it.
    let restored = work.path().join("restored");
    std::fs::create_dir_all(&restored).expect("restored folder");
    std::fs::copy(&file, restored.join(DB_FILE)).expect("copy backup");
    let out = Command::new("cp")
        .arg("-a")
        .arg(data.join("photos"))
        .arg(&restored)
        .status()
        .expect("cp");
    assert!(out.success());
    let server = ServerProcess::start(&restored);
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/api/v1/session", server.base()))
        .json(&json!({"username": "zhang.san", "password": "initial-password-1"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let token = login["token"].as_str().expect("token");
    let mut listed = 0u64;
    let mut first = None;
    for n in 1.. {
        let page: Value = http
            .get(format!(
                "{}/api/v1/ledger?per_page=200&page={n}",
                server.base()
            ))
            .bearer_auth(token)
            .send()
            .await
            .expect("ledger")
            .json()
            .await
            .expect("ledger body");
        let entries = page["entries"].as_array().expect("entries");
        listed += entries
            .iter()
            .map(|e| e["report_ids"].as_array().map_or(0, Vec::len) as u64)
            .sum::<u64>();
        first = first.or_else(|| entries.first().map(|e| e["id"].clone()));
        if entries.len() < 200 {
            break;
        }
    }
    assert_eq!(listed, reports, "the restored ledger holds every report");
    // Every photo the restored ledger names is served.
    let first = first.expect("an entry");
    let detail: Value = http
        .get(format!(
            "{}/api/v1/ledger/{}",
            server.base(),
            first.as_str().expect("id")
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("detail")
        .json()
        .await
        .expect("detail body");
    let repo = SqliteRepository::open(restored.join(DB_FILE)).expect("open restored");
    let repo: Arc<dyn Repository> = Arc::new(repo);
    let id = detail["reports"][0]["id"]
        .as_str()
        .expect("report id")
        .parse()
        .expect("uuid");
    let report = repo
        .read(move |tx| Ok(tx.report(&Scope::All, id)?))
        .await
        .expect("report")
        .expect("stored");
    for p in &report.submission.photos {
        let r = http
            .get(format!("{}/api/v1/photos/{}", server.base(), p.sha256))
            .bearer_auth(token)
            .send()
            .await
            .expect("photo");
        assert_eq!(r.status(), 200, "photo {}", p.sha256);
    }
    server.kill();
}

#[test]
fn a_backup_that_cannot_be_written_leaves_nothing() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("live");
    org_import_text(&data, ROSTER);
    // No database: a clear refusal.
    let empty = work.path().join("empty");
    let out = run(&["backup", "x.sqlite3"], &empty);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("没有数据库") && err.contains("no database"),
        "{err}"
    );
    // A folder that does not exist: refused, nothing left anywhere.
    let target = work.path().join("no-such-folder").join("b.sqlite3");
    let out = run(&["backup", target.to_str().expect("utf-8")], &data);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("错误") && err.contains("error"), "{err}");
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .expect("work")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
