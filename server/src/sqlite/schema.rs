//! The SQLite schema and its migrations, versioned by `PRAGMA user_version`.
//!
//! Migrations are append-only: a shipped one is never edited; a change is a new entry at the
//! end of [`MIGRATIONS`]. Each runs in its own transaction together with the version bump, so a
//! crash mid-upgrade leaves the previous version intact.
//!
//! The two logs (`entry_history`, `report_events`) refuse UPDATE and DELETE by trigger: they are
//! the audit trail of the closed loop and the source of the devices' change feed cursor.

use hazardsnap_ledger::{RepoError, RepoResult};
use rusqlite::{Connection, TransactionBehavior};

use super::db;

/// Every migration, in order; the schema version is the number applied.
pub const MIGRATIONS: &[&str] = &[
    // 1: organisation, devices, sessions, photos, reports, ledgers, the two logs.
    r#"
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE towns (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE enterprises (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    town TEXT NOT NULL REFERENCES towns(code),
    industry TEXT NOT NULL,
    private_sme INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX enterprises_town ON enterprises(town);

CREATE TABLE workshops (
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (enterprise, name)
) STRICT;

CREATE TABLE teams (
    enterprise TEXT NOT NULL,
    workshop TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (enterprise, workshop, name),
    FOREIGN KEY (enterprise, workshop) REFERENCES workshops(enterprise, name)
) STRICT;

CREATE TABLE site_points (
    code TEXT PRIMARY KEY,
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    name TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    radius_m REAL NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX site_points_enterprise ON site_points(enterprise);

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE enrollment_codes (
    code TEXT PRIMARY KEY,
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    active INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    token_sha256 BLOB NOT NULL UNIQUE,
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    name TEXT NOT NULL,
    enrollment_code TEXT NOT NULL REFERENCES enrollment_codes(code),
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE TABLE sessions (
    token_sha256 BLOB PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    phash BLOB NOT NULL,
    scene BLOB NOT NULL,
    uploaded_at TEXT NOT NULL
) STRICT;

CREATE TABLE number_sequences (
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    year INTEGER NOT NULL,
    series TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (enterprise, year, series)
) STRICT;

CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    merged_into TEXT REFERENCES ledger_entries(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (enterprise, year, seq)
) STRICT;
CREATE INDEX ledger_entries_enterprise_status ON ledger_entries(enterprise, status);

CREATE TABLE suggestions (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (enterprise, year, seq)
) STRICT;
CREATE INDEX suggestions_enterprise ON suggestions(enterprise);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id),
    enterprise TEXT NOT NULL REFERENCES enterprises(code),
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    anonymous INTEGER NOT NULL,
    note TEXT NOT NULL,
    site_code TEXT,
    workshop TEXT,
    team TEXT,
    lat REAL,
    lon REAL,
    captured_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    submission TEXT NOT NULL,
    entry_id TEXT REFERENCES ledger_entries(id),
    suggestion_id TEXT REFERENCES suggestions(id)
) STRICT;
CREATE INDEX reports_device ON reports(device_id);
CREATE INDEX reports_entry ON reports(entry_id);
CREATE INDEX reports_suggestion ON reports(suggestion_id);

CREATE TABLE report_photos (
    report_id TEXT NOT NULL REFERENCES reports(id),
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES photos(sha256),
    PRIMARY KEY (report_id, position)
) STRICT;
CREATE INDEX report_photos_sha256 ON report_photos(sha256);

CREATE TABLE entry_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL REFERENCES ledger_entries(id),
    action TEXT NOT NULL,
    actor TEXT,
    from_status TEXT,
    to_status TEXT NOT NULL,
    detail TEXT,
    at TEXT NOT NULL
) STRICT;
CREATE INDEX entry_history_entry ON entry_history(entry_id, id);

CREATE TABLE report_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports(id),
    device_id TEXT NOT NULL REFERENCES devices(id),
    status TEXT NOT NULL,
    entry_id TEXT,
    entry_number TEXT,
    merged_into TEXT,
    reason TEXT,
    at TEXT NOT NULL
) STRICT;
CREATE INDEX report_events_device ON report_events(device_id, id);

CREATE TRIGGER entry_history_append_only_u BEFORE UPDATE ON entry_history
BEGIN SELECT RAISE(ABORT, 'entry_history is append-only'); END;
CREATE TRIGGER entry_history_append_only_d BEFORE DELETE ON entry_history
BEGIN SELECT RAISE(ABORT, 'entry_history is append-only'); END;
CREATE TRIGGER report_events_append_only_u BEFORE UPDATE ON report_events
BEGIN SELECT RAISE(ABORT, 'report_events is append-only'); END;
CREATE TRIGGER report_events_append_only_d BEFORE DELETE ON report_events
BEGIN SELECT RAISE(ABORT, 'report_events is append-only'); END;
"#,
    // 2: the officer side: the workflow's marks and plan on an entry, after-photos, the audit
    // of anonymous-reporter reveals, adopted suggestions, supervision draws.
    r#"
ALTER TABLE ledger_entries ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger_entries ADD COLUMN extension_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger_entries ADD COLUMN requested_deadline TEXT;
ALTER TABLE ledger_entries ADD COLUMN plan TEXT;
ALTER TABLE ledger_entries ADD COLUMN deadline TEXT;
ALTER TABLE ledger_entries ADD COLUMN rectified_note TEXT;
CREATE INDEX ledger_entries_deadline ON ledger_entries(deadline) WHERE deadline IS NOT NULL;
CREATE INDEX ledger_entries_escalated ON ledger_entries(escalated) WHERE escalated = 1;

CREATE TABLE entry_photos (
    entry_id TEXT NOT NULL REFERENCES ledger_entries(id),
    sha256 TEXT NOT NULL REFERENCES photos(sha256),
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (entry_id, sha256)
) STRICT;
CREATE INDEX entry_photos_sha256 ON entry_photos(sha256);

CREATE TABLE reveal_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports(id),
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
) STRICT;
CREATE TRIGGER reveal_audit_append_only_u BEFORE UPDATE ON reveal_audit
BEGIN SELECT RAISE(ABORT, 'reveal_audit is append-only'); END;
CREATE TRIGGER reveal_audit_append_only_d BEFORE DELETE ON reveal_audit
BEGIN SELECT RAISE(ABORT, 'reveal_audit is append-only'); END;

ALTER TABLE suggestions ADD COLUMN adopted_by TEXT;
ALTER TABLE suggestions ADD COLUMN adopted_at TEXT;
ALTER TABLE suggestions ADD COLUMN adopted_note TEXT;

CREATE TABLE supervision_draws (
    id TEXT PRIMARY KEY,
    seed TEXT NOT NULL,
    n INTEGER NOT NULL,
    town TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    candidates TEXT NOT NULL,
    result TEXT NOT NULL
) STRICT;
CREATE TRIGGER supervision_draws_append_only_u BEFORE UPDATE ON supervision_draws
BEGIN SELECT RAISE(ABORT, 'supervision_draws is append-only'); END;
CREATE TRIGGER supervision_draws_append_only_d BEFORE DELETE ON supervision_draws
BEGIN SELECT RAISE(ABORT, 'supervision_draws is append-only'); END;
"#,
    // 3: deduplication keys (phash bands, location cells) and the possible-duplicate flag.
    super::dedup::MIGRATION,
    // 4: the roster's initial password apart from the officer's current one, so a re-import
    // keeps a password the officer changed and resets it only when the roster's changes.
    // Databases from before start with the current hash as the initial one.
    r#"
ALTER TABLE users ADD COLUMN roster_password_hash TEXT;
UPDATE users SET roster_password_hash = password_hash;
"#,
    // 5: the dedup index of open entries only, kept by triggers; the history-wide keys of 3
    // dropped. Followed by `after_migration`'s backfill of old reports' location cells.
    super::dedup::OPEN_INDEX_MIGRATION,
    // 6: when an entry was closed (销号), kept on the entry instead of searched for in its
    // history (the reward lists and the monthly "rectified in the month" read it), and the
    // orders of the ledger list served by indexes instead of a sort of the whole ledger.
    r#"
ALTER TABLE ledger_entries ADD COLUMN closed_at TEXT;
UPDATE ledger_entries SET closed_at = (
    SELECT MAX(h.at) FROM entry_history h
    WHERE h.entry_id = ledger_entries.id AND h.action = 'verify_accept'
) WHERE status = 'closed';
CREATE INDEX ledger_entries_closed ON ledger_entries(closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX ledger_entries_created ON ledger_entries(created_at, number);
CREATE INDEX ledger_entries_enterprise_created ON ledger_entries(enterprise, created_at, number);
"#,
    // 7: when a session was last used, for the pages' idle timeout.
    r#"
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
"#,
    // 8: the counts of the workbench, the statistics and the ledger page at district scale
    // (`benches/pages.rs`, `BENCH-pages.md`): each read from an index alone, never from the
    // entries' rows. Reporters of a month by when they were received (was a scan of every
    // report); entries closed in a month with their enterprise, district-wide and per
    // enterprise (was a row read per closed entry, or every entry of a town); entries filed in
    // a month with what the counts ask of them, the ledger's newest-first order kept in front;
    // open entries by deadline (the overdue counts walked every deadline ever set, closed ones
    // included). The last matches `le.status IN (…)` as `sql.rs` writes it, the open
    // statuses in the model's order.
    r#"
CREATE INDEX reports_received ON reports(received_at, enterprise, device_id);
DROP INDEX ledger_entries_closed;
CREATE INDEX ledger_entries_closed ON ledger_entries(closed_at, enterprise)
    WHERE closed_at IS NOT NULL;
CREATE INDEX ledger_entries_enterprise_closed ON ledger_entries(enterprise, closed_at)
    WHERE closed_at IS NOT NULL;
DROP INDEX ledger_entries_created;
CREATE INDEX ledger_entries_created
    ON ledger_entries(created_at, number, status, enterprise, severity, category);
CREATE INDEX ledger_entries_open_deadline ON ledger_entries(deadline, enterprise)
    WHERE status IN ('pending_review', 'rectifying', 'awaiting_verification');
"#,
    // 9: the roster's workers, the worker a device belongs to, and the campaign records
    // (monthly reports, trainings and drills, supervision visits).
    super::records::MIGRATION,
    // 10: listed supervision (挂牌督办) as the bureau decided it: requested, accepted with the
    // supervising unit and deadline, or declined (JSON).
    r#"
ALTER TABLE ledger_entries ADD COLUMN supervision TEXT;
"#,
    // 11: a suggestion's own status (金点子: received, under review, adopted, not adopted) with
    // the officer's reply, and the status carried by the phones' change feed.
    r#"
ALTER TABLE suggestions ADD COLUMN review TEXT NOT NULL DEFAULT 'received';
ALTER TABLE suggestions ADD COLUMN reply TEXT;
UPDATE suggestions SET review = 'adopted', reply = adopted_note WHERE adopted_at IS NOT NULL;
ALTER TABLE report_events ADD COLUMN suggestion TEXT;
"#,
    // 12: the device that uploaded each photo, for its per-device quota over a rolling day
    // (`server/src/quota.rs`): counted from what is stored, so a restart forgets nothing.
    // Photos from before are nobody's (they count against no quota).
    r#"
ALTER TABLE photos ADD COLUMN uploaded_by TEXT REFERENCES devices(id);
CREATE INDEX photos_uploaded_by ON photos(uploaded_by, uploaded_at)
    WHERE uploaded_by IS NOT NULL;
"#,
];

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Applies the pragmas every connection needs.
pub fn configure(conn: &Connection) -> RepoResult<()> {
    // WAL lets readers run beside the one writer; FULL makes an acknowledged report survive a
    // power cut, and batching keeps its fsync cost per batch, not per report.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;",
    )
    .map_err(db)?;
    Ok(())
}

/// The part of a migration that SQL cannot do, in the same transaction.
fn after_migration(tx: &rusqlite::Transaction<'_>, version: usize) -> RepoResult<()> {
    if version == 5 {
        super::dedup::backfill_location_cells(tx)?;
    }
    Ok(())
}

/// Brings the database up to [`latest_version`].
pub fn migrate(conn: &mut Connection) -> RepoResult<()> {
    migrate_to(conn, latest_version())
}

/// Brings the database up to `target` (at most [`latest_version`]); tests use it to build a
/// database as an older release left it.
#[doc(hidden)]
pub fn migrate_to(conn: &mut Connection, target: i64) -> RepoResult<()> {
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db)?;
    let supported = latest_version();
    if found > supported {
        return Err(RepoError::TooNew { found, supported });
    }
    let upto = target.clamp(0, supported) as usize;
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(upto)
        .skip(found as usize)
    {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.execute_batch(sql).map_err(db)?;
        after_migration(&tx, i + 1)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(db)?;
        tx.commit().map_err(db)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_from_empty_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("db.sqlite3")).unwrap();
        configure(&conn).unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, latest_version());
    }

    #[test]
    fn refuses_a_newer_database() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("db.sqlite3")).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(RepoError::TooNew { found: 99, .. })
        ));
    }
}
