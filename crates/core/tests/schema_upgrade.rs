//! Every older schema, as a snapshot with data, upgrades to exactly the schema of a fresh
//! database, keeping its rows.

use std::path::Path;

use hazardsnap_core::schema::VERSION;
use hazardsnap_core::store::{DB_FILE, Store};
use rusqlite::Connection;

/// The snapshots of every schema version that ever shipped, oldest first.
const SNAPSHOTS: &[(i64, &str)] = &[
    (1, include_str!("schema/v1.sql")),
    (2, include_str!("schema/v2.sql")),
];

/// `(type, name, normalized sql)` of every schema object.
fn schema_of(conn: &Connection) -> Vec<(String, String, String)> {
    let mut stmt = conn
        .prepare(
            "SELECT type, name, COALESCE(sql, '') FROM sqlite_master
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let sql: String = r.get(2)?;
        Ok((r.get(0)?, r.get(1)?, normalize(&sql)))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// The SQL with its insignificant whitespace removed: runs of whitespace become one space, and
/// none is kept next to `,`, `(` or `)` (an `ALTER TABLE … ADD COLUMN` splices its column in
/// as `, name TYPE` right after the last one, wherever the original had its line breaks).
fn normalize(sql: &str) -> String {
    let spaced = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(spaced.len());
    for c in spaced.chars() {
        if matches!(c, ',' | '(' | ')') && out.ends_with(' ') {
            out.pop();
        }
        if c == ' ' && (out.ends_with(',') || out.ends_with('(')) {
            continue;
        }
        out.push(c);
    }
    out
}

fn seed(dir: &Path, sql: &str) {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn every_snapshot_upgrades_to_the_fresh_schema() {
    assert_eq!(
        SNAPSHOTS.last().map(|s| s.0),
        Some(VERSION - 1),
        "add a snapshot per version"
    );
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Store::open(fresh_dir.path()).unwrap();
    let fresh_schema = schema_of(fresh.conn());

    for (version, sql) in SNAPSHOTS {
        let dir = tempfile::tempdir().unwrap();
        seed(dir.path(), sql);
        let store = Store::open(dir.path()).unwrap();
        let v: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, VERSION, "from v{version}");
        assert_eq!(schema_of(store.conn()), fresh_schema, "from v{version}");

        // The rows are still there and read back through the current code.
        let queued = store.get("01900000-0000-7000-8000-000000000001").unwrap();
        assert_eq!(queued.content.note, "液氯储罐区阀门泄漏");
        assert_eq!(queued.photos.len(), 1);
        let events: Vec<_> = queued.history.iter().map(|h| h.event.as_str()).collect();
        assert_eq!(events, ["created", "queued"], "history backfilled");
        let draft = store.get("01900000-0000-7000-8000-000000000002").unwrap();
        assert_eq!(draft.history.len(), 1);
        assert_eq!(
            store.setting("server_url").unwrap().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        let fk: Vec<(String,)> = {
            let mut stmt = store.conn().prepare("PRAGMA foreign_key_check").unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?,)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert!(fk.is_empty(), "{fk:?}");
    }
}

#[test]
fn a_newer_database_is_refused_not_mangled() {
    let dir = tempfile::tempdir().unwrap();
    {
        let _ = Store::open(dir.path()).unwrap();
    }
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.pragma_update(None, "user_version", VERSION + 1)
        .unwrap();
    drop(conn);
    assert!(Store::open(dir.path()).is_err());
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, VERSION + 1);
}
