//! The end state every sync fault test must reach (恰好一次): every phone report on the server
//! exactly once and filed, every photo byte-identical on both sides, every phone report synced
//! with its ledger status known, both databases sound, the dedup index true. Shared by the
//! server's fault tests and the phone CLI's kill test (included there by `#[path]`), so that
//! both prove the same thing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Where the server keeps the photo named `sha` under its data folder `data`.
pub fn server_photo(data: &Path, sha: &str) -> PathBuf {
    data.join("photos")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(sha)
}

/// All rows of `sql`, each read by `row`, into any collection.
fn rows<T, C: FromIterator<T>>(
    db: &rusqlite::Connection,
    sql: &str,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> C {
    db.prepare(sql)
        .expect("prepare")
        .query_map([], row)
        .expect("query")
        .collect::<Result<C, _>>()
        .expect("rows")
}

/// Every phone report on the server exactly once, filed, with byte-identical photos; every
/// phone report synced with its ledger status known. The server side is read through its
/// repository (the same trait the server runs on), never with SQL on its file.
pub async fn assert_exactly_once(phone: &Path, server: &Path, expected: usize) {
    assert_all_exactly_once(&[phone.to_path_buf()], server, expected).await;
}

/// [`assert_exactly_once`] for many phones of one server: `expected` reports on all phones
/// together, and the server holds exactly those.
pub async fn assert_all_exactly_once(phones: &[PathBuf], server: &Path, expected: usize) {
    let mut phone_reports = Vec::new();
    let mut phone_photos = Vec::new();
    for phone in phones {
        let p = rusqlite::Connection::open(phone.join("hazardsnap.db")).expect("phone db");
        let check: String = p
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(check, "ok", "phone database {}", phone.display());
        let reports: Vec<(String, String, Option<String>, Option<String>)> = rows(
            &p,
            "SELECT id, local_state, server_status, entry_number FROM reports",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        );
        phone_reports.extend(reports);
        let photos: Vec<(String, String)> = rows(
            &p,
            "SELECT report_id, sha256 FROM photos ORDER BY report_id, position",
            |r| Ok((r.get(0)?, r.get(1)?)),
        );
        phone_photos.extend(photos.into_iter().map(|(r, s)| (phone.clone(), r, s)));
    }
    assert_eq!(phone_reports.len(), expected, "phone reports");
    for (id, state, status, number) in &phone_reports {
        assert_eq!(state, "synced", "report {id}");
        assert!(status.is_some(), "report {id}: server status unknown");
        assert!(number.is_some(), "report {id}: ledger number unknown");
    }

    let repo: std::sync::Arc<dyn hazardsnap_ledger::Repository> = match test_database_url(server) {
        Some(url) => std::sync::Arc::new(
            hazardsnap_server::postgres::PgRepository::connect(&url)
                .await
                .expect("server repository"),
        ),
        None => std::sync::Arc::new(
            hazardsnap_server::sqlite::SqliteRepository::open(
                server.join(hazardsnap_server::state::DB_FILE),
            )
            .expect("server repository"),
        ),
    };
    let ids: Vec<uuid::Uuid> = phone_reports
        .iter()
        .map(|(id, ..)| id.parse().expect("report id"))
        .collect();
    let (drift, counts, stored) = repo
        .read(move |tx| {
            let mut stored = HashMap::new();
            for id in ids {
                if let Some(r) = tx.report(&hazardsnap_model::Scope::All, id)? {
                    stored.insert(id.to_string(), r);
                }
            }
            Ok((tx.integrity_problems()?, tx.counts()?, stored))
        })
        .await
        .expect("server rows");
    assert!(drift.is_empty(), "open index drifted: {drift:#?}");
    let lost: Vec<_> = phone_reports
        .iter()
        .filter(|(id, ..)| !stored.contains_key(id))
        .map(|(id, ..)| id)
        .collect();
    assert!(lost.is_empty(), "lost on the server: {lost:?}");
    // Report ids are the repository's keys: "stored once" is "every id found, and no more
    // reports than ids".
    assert_eq!(
        counts.reports as usize, expected,
        "server holds other reports"
    );
    let unfiled: Vec<_> = stored
        .values()
        .filter(|r| r.entry_id.is_none())
        .map(|r| r.id)
        .collect();
    assert!(
        unfiled.is_empty(),
        "reports not filed into a ledger entry: {unfiled:?}"
    );
    let server_photos: HashSet<(String, String)> = stored
        .values()
        .flat_map(|r| {
            r.submission
                .photos
                .iter()
                .map(|ph| (r.id.to_string(), ph.sha256.clone()))
        })
        .collect();
    assert_eq!(server_photos.len(), phone_photos.len());
    for (phone, report, sha) in &phone_photos {
        assert!(
            server_photos.contains(&(report.clone(), sha.clone())),
            "report {report} lacks photo {sha} on the server"
        );
        let mine =
            std::fs::read(phone.join("photos").join(format!("{sha}.jpg"))).expect("phone photo");
        let theirs = std::fs::read(server_photo(server, sha))
            .unwrap_or_else(|e| panic!("server photo {sha}: {e}"));
        assert_eq!(
            hex::encode(Sha256::digest(&mine)),
            *sha,
            "phone photo {sha} torn"
        );
        assert!(mine == theirs, "photo {sha} differs on the server");
    }
}

/// The database the tests' servers use for the data folder `data`: none (the embedded
/// default in the folder) unless `HAZARDSNAP_TEST_BACKEND=postgres`, then a fresh PostgreSQL
/// database on the server `HAZARDSNAP_TEST_PG` names, made once per data folder (remembered in
/// it, so a restarted server finds its database again). The test script runs the end-to-end
/// suites both ways.
#[allow(dead_code)]
pub fn test_database_url(data: &Path) -> Option<String> {
    if std::env::var("HAZARDSNAP_TEST_BACKEND").as_deref() != Ok("postgres") {
        return None;
    }
    let marker = data.join(".test-database-url");
    if let Ok(u) = std::fs::read_to_string(&marker) {
        return Some(u);
    }
    let server = std::env::var("HAZARDSNAP_TEST_PG").expect(
        "HAZARDSNAP_TEST_BACKEND=postgres needs HAZARDSNAP_TEST_PG (scripts/pg-cluster.sh)",
    );
    let url = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(hazardsnap_server::postgres::testing::fresh_database(
                &server,
            ))
    })
    .join()
    .expect("create a test database");
    std::fs::create_dir_all(data).expect("data folder");
    std::fs::write(&marker, &url).expect("remember the test database");
    Some(url)
}

/// Every row of every table of a PostgreSQL test database, as PostgreSQL's text of the row,
/// by table: what a sweep for data that must not be stored reads instead of a database file.
#[allow(dead_code)]
pub async fn pg_rows_as_text(url: &str) -> Vec<(String, Vec<u8>)> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(conn);
    let mut all = Vec::new();
    let tables = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .await
        .expect("tables");
    for t in tables {
        let table: String = t.get(0);
        let mut text = Vec::new();
        for r in client
            .query(&format!("SELECT t::text FROM {table} t"), &[])
            .await
            .expect("rows")
        {
            text.extend(r.get::<_, String>(0).into_bytes());
            text.push(b'\n');
        }
        all.push((table, text));
    }
    all
}
