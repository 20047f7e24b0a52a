//! The phone database's schema and its migrations.
//!
//! A fresh database gets [`CURRENT_SCHEMA`] at once; an older one is walked forward by
//! [`upgrade_from`], one version at a time, inside one transaction. The version is SQLite's
//! `PRAGMA user_version`. Migrations are append-only: a phone in a drawer may come back with any
//! older version, so a step that has shipped is never edited, only followed by another.
//! `tests/schema_upgrade.rs` opens a snapshot of every older version, upgrades it and checks that
//! the result has exactly the schema of a fresh database.
//!
//! Times are integer milliseconds since the Unix epoch (UTC); vocabularies are stored by their
//! wire names (never renamed, see `hazardsnap_model::enums`).

use rusqlite::{Connection, Transaction};

use crate::error::{Error, Result};

/// The version [`CURRENT_SCHEMA`] describes.
pub const VERSION: i64 = 3;

/// The whole schema of a fresh database at [`VERSION`].
pub const CURRENT_SCHEMA: &str = r#"
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    at_risk TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    captured_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    lat REAL,
    lon REAL,
    accuracy_m REAL,
    site_code TEXT,
    workshop TEXT,
    team TEXT,
    anonymous INTEGER NOT NULL DEFAULT 0,
    local_state TEXT NOT NULL DEFAULT 'draft'
        CHECK (local_state IN ('draft', 'queued', 'synced', 'failed')),
    queued_at INTEGER,
    synced_at INTEGER,
    retry_count INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error TEXT,
    fail_code TEXT,
    fail_reason TEXT,
    server_status TEXT,
    entry_id TEXT,
    entry_number TEXT,
    merged_into TEXT,
    server_reason TEXT,
    server_changed_at INTEGER,
    suggestion_status TEXT
) STRICT;
CREATE INDEX reports_by_captured ON reports (captured_at DESC, id DESC);
CREATE INDEX reports_by_state ON reports (local_state, captured_at DESC, id DESC);
CREATE TABLE photos (
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    thumb_bytes INTEGER NOT NULL,
    thumb_width INTEGER NOT NULL,
    thumb_height INTEGER NOT NULL,
    phash TEXT,
    source_format TEXT,
    pruned_at INTEGER,
    PRIMARY KEY (report_id, position)
) STRICT;
CREATE INDEX photos_by_sha ON photos (sha256);
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE report_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
) STRICT;
CREATE INDEX report_events_by_report ON report_events (report_id, seq);
CREATE TABLE uploaded_photos (
    sha256 TEXT PRIMARY KEY NOT NULL,
    uploaded_at INTEGER NOT NULL
) STRICT;
CREATE TABLE trainings (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    topic TEXT NOT NULL,
    hours REAL NOT NULL
) STRICT;
"#;

/// Version 1 → 2: the history of each report (shown to the worker) and the photos the server is
/// known to have (so that sync skips their upload). Reports of version 1 get a `created` event
/// from their creation time so that every report has a history.
const V2: &str = r#"
CREATE TABLE report_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
) STRICT;
CREATE INDEX report_events_by_report ON report_events (report_id, seq);
CREATE TABLE uploaded_photos (
    sha256 TEXT PRIMARY KEY NOT NULL,
    uploaded_at INTEGER NOT NULL
) STRICT;
INSERT INTO report_events (report_id, at, event)
    SELECT id, created_at, 'created' FROM reports ORDER BY created_at, id;
INSERT INTO report_events (report_id, at, event)
    SELECT id, queued_at, 'queued' FROM reports WHERE queued_at IS NOT NULL
    ORDER BY queued_at, id;
"#;

/// Brings the database to [`VERSION`]: creates it when empty, upgrades it when older. Refuses a
/// newer database (an app downgrade) rather than guess at a schema it does not know.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == VERSION {
        return Ok(());
    }
    if version > VERSION {
        return Err(Error::Corrupt(format!(
            "database schema {version} is newer than this app's {VERSION}"
        )));
    }
    let tx = conn.transaction()?;
    if version == 0 && is_empty(&tx)? {
        tx.execute_batch(CURRENT_SCHEMA)?;
    } else {
        upgrade_from(&tx, version)?;
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

fn is_empty(tx: &Transaction<'_>) -> Result<bool> {
    let n: i64 = tx.query_row(
        "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
        [],
        |r| r.get(0),
    )?;
    Ok(n == 0)
}

/// Walks an older schema forward, one shipped step after another.
pub fn upgrade_from(tx: &Transaction<'_>, from: i64) -> Result<()> {
    let mut v = from;
    while v < VERSION {
        match v {
            1 => tx.execute_batch(V2)?,
            2 => tx.execute_batch(V3)?,
            other => {
                return Err(Error::Corrupt(format!(
                    "no upgrade path from schema version {other}"
                )));
            }
        }
        v += 1;
    }
    Ok(())
}

/// Version 2 → 3: a suggestion's own status as the server last sent it (received, under
/// review, adopted, not adopted), and the trainings and drills of the worker the phone belongs
/// to (安全培训记录), replaced as a whole by each sync.
const V3: &str = r#"
ALTER TABLE reports ADD COLUMN suggestion_status TEXT;
CREATE TABLE trainings (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    topic TEXT NOT NULL,
    hours REAL NOT NULL
) STRICT;
"#;
