//! `hazardsnap-server migrate-store` with the real binary (issue 17): the demo district moved
//! from the embedded default to PostgreSQL and back. The ledger read through the repository is
//! the same on all three (entries, reports, histories, after-photos), every table's rows and
//! hash agree (the command checks them), a second run copies nothing, every photo arrives with
//! its hash, and a server started on the migrated database serves the same ledger.
//!
//! Needs `HAZARDSNAP_TEST_PG` (the test script starts a throwaway cluster); skipped without it.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::{ServerProcess, server_binary, sha256_hex};
use hazardsnap_ledger::Repository;
use hazardsnap_ledger::repo::query::{EntryOrder, EntryQuery, Scope};

/// The whole ledger as text: every entry with its reports, history and after-photos, in
/// number order.
async fn ledger_dump(repo: Arc<dyn Repository>) -> String {
    repo.read(|tx| {
        let entries = tx.entries(&EntryQuery {
            scope: Scope::All,
            filter: Vec::new(),
            order: EntryOrder::Number,
            offset: 0,
            limit: 1_000_000,
        })?;
        let ids: Vec<uuid::Uuid> = entries.iter().map(|e| e.entry.id).collect();
        let mut reports = tx.reports_of_entries(&ids)?;
        reports.sort_by_key(|r| r.id);
        let history = tx.history_of(&ids)?;
        let photos = tx.entry_photos_of(&ids)?;
        let mut out = String::new();
        for e in &entries {
            out.push_str(&format!("{e:?}\n"));
            out.push_str(&format!("  history {:?}\n", history.get(&e.entry.id)));
            out.push_str(&format!("  photos {:?}\n", photos.get(&e.entry.id)));
        }
        for r in &reports {
            out.push_str(&format!("{r:?}\n"));
        }
        out.push_str(&format!("{:?}\n", tx.counts()?));
        Ok(out)
    })
    .await
    .expect("read the ledger")
}

fn migrate(from: &str, to: &str, photos: &Path) -> String {
    let out = std::process::Command::new(server_binary())
        .args(["migrate-store", "--from", from, "--to", to, "--photos"])
        .arg(photos)
        .output()
        .expect("run migrate-store");
    assert!(
        out.status.success(),
        "migrate-store {from} → {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Names and hashes of the photos under a folder store.
fn photo_hashes(dir: &Path) -> BTreeSet<(String, String)> {
    common::files_under(dir)
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, sha256_hex(&std::fs::read(&p).unwrap()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_district_moves_to_postgresql_and_back() {
    let Some(server) = hazardsnap_server::postgres::testing::server_url() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let a = work.path().join("a");
    // The demo district, made by the real server on the embedded default.
    ServerProcess::start_with(&a, &["--demo"]).kill();
    let sqlite_a: Arc<dyn Repository> = Arc::new(
        hazardsnap_server::sqlite::SqliteRepository::open(
            a.join(hazardsnap_server::state::DB_FILE),
        )
        .unwrap(),
    );
    let before = ledger_dump(sqlite_a).await;
    assert!(before.contains("reports: "), "{before}");

    let url = hazardsnap_server::postgres::testing::fresh_database(&server).await;
    let pg_photos = work.path().join("pg-photos");
    let out = migrate(a.to_str().unwrap(), &url, &pg_photos);
    assert!(out.contains("counts and hashes agree"), "{out}");
    // Safe to re-run: nothing is copied twice.
    let again = migrate(a.to_str().unwrap(), &url, &pg_photos);
    for line in again.lines().filter(|l| l.contains("rows")) {
        assert!(
            line.contains("本次复制        0"),
            "second run copied: {line}"
        );
    }
    assert!(again.contains(", 0 copied"), "{again}");

    let pg: Arc<dyn Repository> = Arc::new(
        hazardsnap_server::postgres::PgRepository::connect(&url)
            .await
            .unwrap(),
    );
    assert_eq!(
        ledger_dump(pg.clone()).await,
        before,
        "the ledger on PostgreSQL"
    );
    let drift = pg.read(|tx| Ok(tx.integrity_problems()?)).await.unwrap();
    assert!(drift.is_empty(), "the open index on PostgreSQL: {drift:?}");

    // And back, into a new data folder.
    let b = work.path().join("b");
    let out = migrate(&url, b.to_str().unwrap(), &pg_photos);
    assert!(out.contains("counts and hashes agree"), "{out}");
    let sqlite_b: Arc<dyn Repository> = Arc::new(
        hazardsnap_server::sqlite::SqliteRepository::open(
            b.join(hazardsnap_server::state::DB_FILE),
        )
        .unwrap(),
    );
    assert_eq!(
        ledger_dump(sqlite_b).await,
        before,
        "the ledger back on SQLite"
    );
    let hashes_a = photo_hashes(&a.join("photos"));
    assert!(!hashes_a.is_empty());
    assert!(
        hashes_a.iter().all(|(n, h)| n == h),
        "photo names are their hashes"
    );
    assert_eq!(
        photo_hashes(&pg_photos),
        hashes_a,
        "photos on the PostgreSQL side"
    );
    assert_eq!(photo_hashes(&b.join("photos")), hashes_a, "photos back");

    // A server on the migrated database serves the same ledger as the original.
    let on_pg = ServerProcess::start_with(&work.path().join("c"), &["--database-url", &url]);
    let on_a = ServerProcess::start(&a);
    let http = reqwest::Client::new();
    let mut ledgers = Vec::new();
    for s in [&on_a, &on_pg] {
        let token: serde_json::Value = http
            .post(format!("{}/api/v1/session", s.base()))
            .json(&serde_json::json!({"username": "district.admin", "password": "demo-district-2026"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["token"].as_str().expect("demo login").to_owned();
        let ledger: serde_json::Value = http
            .get(format!("{}/api/v1/ledger?per_page=200", s.base()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ledgers.push(ledger);
    }
    assert_eq!(ledgers[0], ledgers[1], "the served ledgers");
    on_pg.kill();
    on_a.kill();
}
