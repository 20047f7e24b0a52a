//! The PostgreSQL schema and its migrations, versioned in `schema_version`.
//!
//! The same tables and columns as the embedded backend's (`crate::sqlite::schema`), typed
//! mechanically: SQLite's `INTEGER` is `BIGINT` (flags included: 0/1), `REAL` is `DOUBLE
//! PRECISION`, `TEXT` stays `TEXT` (timestamps as RFC 3339 text in UTC with milliseconds, which
//! sorts; UUIDs as text) and compares byte by byte (`COLLATE "C"`, as SQLite does, whatever the
//! database's locale), `BLOB` is `BYTEA`. Migrations are append-only, their own list (the
//! first one is the whole schema of SQLite's version 12); each runs in its own transaction with
//! its version bump. All of it runs under a session advisory lock, so replicas starting
//! together migrate once, one after the other.

use hazardsnap_ledger::{RepoError, RepoResult};

use super::pg::{db, lock_key};

/// Every migration, in order; the schema version is the number applied.
pub const MIGRATIONS: &[&str] = &[
    // 1: everything of the embedded schema's version 12.
    r#"
CREATE TABLE meta (
    key TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE towns (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE enterprises (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    town TEXT COLLATE "C" NOT NULL REFERENCES towns(code),
    industry TEXT COLLATE "C" NOT NULL,
    private_sme BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);

CREATE INDEX enterprises_town ON enterprises(town);

CREATE TABLE workshops (
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    name TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (enterprise, name)
);

CREATE TABLE teams (
    enterprise TEXT COLLATE "C" NOT NULL,
    workshop TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (enterprise, workshop, name),
    FOREIGN KEY (enterprise, workshop) REFERENCES workshops(enterprise, name)
);

CREATE TABLE site_points (
    code TEXT COLLATE "C" PRIMARY KEY,
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    name TEXT COLLATE "C" NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    radius_m DOUBLE PRECISION NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);

CREATE INDEX site_points_enterprise ON site_points(enterprise);

CREATE TABLE users (
    username TEXT COLLATE "C" PRIMARY KEY,
    password_hash TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL,
    scope TEXT COLLATE "C",
    active BIGINT NOT NULL DEFAULT 1
, roster_password_hash TEXT COLLATE "C");

CREATE TABLE enrollment_codes (
    code TEXT COLLATE "C" PRIMARY KEY,
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    active BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE workers (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    workshop TEXT COLLATE "C",
    team TEXT COLLATE "C",
    active BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE devices (
    id TEXT COLLATE "C" PRIMARY KEY,
    token_sha256 BYTEA NOT NULL UNIQUE,
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    name TEXT COLLATE "C" NOT NULL,
    enrollment_code TEXT COLLATE "C" NOT NULL REFERENCES enrollment_codes(code),
    enrolled_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C"
, worker TEXT COLLATE "C" REFERENCES workers(code), officer TEXT COLLATE "C");

CREATE TABLE sessions (
    token_sha256 BYTEA PRIMARY KEY,
    username TEXT COLLATE "C" NOT NULL REFERENCES users(username),
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C"
, last_seen_at TEXT COLLATE "C");

CREATE TABLE photos (
    sha256 TEXT COLLATE "C" PRIMARY KEY,
    bytes BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    phash BYTEA NOT NULL,
    scene BYTEA NOT NULL,
    uploaded_at TEXT COLLATE "C" NOT NULL
, uploaded_by TEXT COLLATE "C" REFERENCES devices(id));

CREATE TABLE number_sequences (
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    year BIGINT NOT NULL,
    series TEXT COLLATE "C" NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (enterprise, year, series)
);

CREATE TABLE ledger_entries (
    id TEXT COLLATE "C" PRIMARY KEY,
    number TEXT COLLATE "C" NOT NULL UNIQUE,
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    severity TEXT COLLATE "C" NOT NULL,
    category TEXT COLLATE "C" NOT NULL,
    merged_into TEXT COLLATE "C" REFERENCES ledger_entries(id),
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL, escalated BIGINT NOT NULL DEFAULT 0, extension_pending BIGINT NOT NULL DEFAULT 0, requested_deadline TEXT COLLATE "C", plan TEXT COLLATE "C", deadline TEXT COLLATE "C", rectified_note TEXT COLLATE "C", possible_duplicate_of TEXT COLLATE "C" REFERENCES ledger_entries(id), dedup_decision TEXT COLLATE "C", closed_at TEXT COLLATE "C", supervision TEXT COLLATE "C",
    UNIQUE (enterprise, year, seq)
);

CREATE INDEX ledger_entries_enterprise_status ON ledger_entries(enterprise, status);

CREATE TABLE suggestions (
    id TEXT COLLATE "C" PRIMARY KEY,
    number TEXT COLLATE "C" NOT NULL UNIQUE,
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL, adopted_by TEXT COLLATE "C", adopted_at TEXT COLLATE "C", adopted_note TEXT COLLATE "C", review TEXT COLLATE "C" NOT NULL DEFAULT 'received', reply TEXT COLLATE "C",
    UNIQUE (enterprise, year, seq)
);

CREATE INDEX suggestions_enterprise ON suggestions(enterprise);

CREATE TABLE reports (
    id TEXT COLLATE "C" PRIMARY KEY,
    device_id TEXT COLLATE "C" NOT NULL REFERENCES devices(id),
    enterprise TEXT COLLATE "C" NOT NULL REFERENCES enterprises(code),
    kind TEXT COLLATE "C" NOT NULL,
    category TEXT COLLATE "C" NOT NULL,
    severity TEXT COLLATE "C" NOT NULL,
    anonymous BIGINT NOT NULL,
    note TEXT COLLATE "C" NOT NULL,
    site_code TEXT COLLATE "C",
    workshop TEXT COLLATE "C",
    team TEXT COLLATE "C",
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    captured_at TEXT COLLATE "C" NOT NULL,
    received_at TEXT COLLATE "C" NOT NULL,
    content_sha256 TEXT COLLATE "C" NOT NULL,
    submission TEXT COLLATE "C" NOT NULL,
    entry_id TEXT COLLATE "C" REFERENCES ledger_entries(id),
    suggestion_id TEXT COLLATE "C" REFERENCES suggestions(id)
, location_cell BIGINT);

CREATE INDEX reports_device ON reports(device_id);

CREATE INDEX reports_entry ON reports(entry_id);

CREATE INDEX reports_suggestion ON reports(suggestion_id);

CREATE TABLE report_photos (
    report_id TEXT COLLATE "C" NOT NULL REFERENCES reports(id),
    position BIGINT NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL REFERENCES photos(sha256),
    PRIMARY KEY (report_id, position)
);

CREATE INDEX report_photos_sha256 ON report_photos(sha256);

CREATE TABLE entry_history (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    entry_id TEXT COLLATE "C" NOT NULL REFERENCES ledger_entries(id),
    action TEXT COLLATE "C" NOT NULL,
    actor TEXT COLLATE "C",
    from_status TEXT COLLATE "C",
    to_status TEXT COLLATE "C" NOT NULL,
    detail TEXT COLLATE "C",
    at TEXT COLLATE "C" NOT NULL
);

CREATE INDEX entry_history_entry ON entry_history(entry_id, id);

CREATE TABLE report_events (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    report_id TEXT COLLATE "C" NOT NULL REFERENCES reports(id),
    device_id TEXT COLLATE "C" NOT NULL REFERENCES devices(id),
    status TEXT COLLATE "C" NOT NULL,
    entry_id TEXT COLLATE "C",
    entry_number TEXT COLLATE "C",
    merged_into TEXT COLLATE "C",
    reason TEXT COLLATE "C",
    at TEXT COLLATE "C" NOT NULL
, suggestion TEXT COLLATE "C");

CREATE INDEX report_events_device ON report_events(device_id, id);

CREATE INDEX ledger_entries_deadline ON ledger_entries(deadline) WHERE deadline IS NOT NULL;

CREATE INDEX ledger_entries_escalated ON ledger_entries(escalated) WHERE escalated = 1;

CREATE TABLE entry_photos (
    entry_id TEXT COLLATE "C" NOT NULL REFERENCES ledger_entries(id),
    sha256 TEXT COLLATE "C" NOT NULL REFERENCES photos(sha256),
    added_by TEXT COLLATE "C" NOT NULL,
    added_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (entry_id, sha256)
);

CREATE INDEX entry_photos_sha256 ON entry_photos(sha256);

CREATE TABLE reveal_audit (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    report_id TEXT COLLATE "C" NOT NULL REFERENCES reports(id),
    actor TEXT COLLATE "C" NOT NULL,
    reason TEXT COLLATE "C" NOT NULL,
    at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE supervision_draws (
    id TEXT COLLATE "C" PRIMARY KEY,
    seed TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    town TEXT COLLATE "C",
    actor TEXT COLLATE "C" NOT NULL,
    at TEXT COLLATE "C" NOT NULL,
    candidates TEXT COLLATE "C" NOT NULL,
    result TEXT COLLATE "C" NOT NULL
);

CREATE TABLE dedup_bands (band BIGINT PRIMARY KEY);

CREATE TABLE dedup_open_reports (
    enterprise TEXT COLLATE "C" NOT NULL,
    report_id TEXT COLLATE "C" NOT NULL,
    entry_id TEXT COLLATE "C" NOT NULL,
    entry_number TEXT COLLATE "C" NOT NULL,
    site_code TEXT COLLATE "C",
    location_cell BIGINT,
    captured_at TEXT COLLATE "C" NOT NULL,
    received_at TEXT COLLATE "C" NOT NULL,
    submission TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (enterprise, report_id)
);

CREATE INDEX dedup_open_site
    ON dedup_open_reports(enterprise, site_code, captured_at, report_id)
    WHERE site_code IS NOT NULL;

CREATE INDEX dedup_open_cell
    ON dedup_open_reports(enterprise, location_cell, captured_at, report_id)
    WHERE location_cell IS NOT NULL;

CREATE TABLE dedup_open_photos (
    enterprise TEXT COLLATE "C" NOT NULL,
    report_id TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL,
    phash BYTEA NOT NULL,
    scene BYTEA NOT NULL,
    PRIMARY KEY (enterprise, report_id, position)
);

CREATE TABLE dedup_open_keys (
    enterprise TEXT COLLATE "C" NOT NULL,
    key BIGINT NOT NULL,
    report_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (enterprise, key, report_id)
);

CREATE INDEX dedup_open_keys_report ON dedup_open_keys(report_id);

CREATE INDEX ledger_entries_enterprise_created ON ledger_entries(enterprise, created_at, number);

CREATE INDEX reports_received ON reports(received_at, enterprise, device_id);

CREATE INDEX ledger_entries_closed ON ledger_entries(closed_at, enterprise)
    WHERE closed_at IS NOT NULL;

CREATE INDEX ledger_entries_enterprise_closed ON ledger_entries(enterprise, closed_at)
    WHERE closed_at IS NOT NULL;

CREATE INDEX ledger_entries_created
    ON ledger_entries(created_at, number, status, enterprise, severity, category);

CREATE INDEX ledger_entries_open_deadline ON ledger_entries(deadline, enterprise)
    WHERE status IN ('pending_review', 'rectifying', 'awaiting_verification');

CREATE INDEX workers_enterprise ON workers(enterprise, code);

CREATE INDEX devices_worker ON devices(worker) WHERE worker IS NOT NULL;

CREATE TABLE campaign_records (
    kind TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" PRIMARY KEY,
    key TEXT COLLATE "C",
    town TEXT COLLATE "C",
    enterprise TEXT COLLATE "C",
    day TEXT COLLATE "C" NOT NULL,
    body TEXT COLLATE "C" NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);

CREATE UNIQUE INDEX campaign_records_key ON campaign_records(kind, key) WHERE key IS NOT NULL;

CREATE INDEX campaign_records_day ON campaign_records(kind, day, created_at, id);

CREATE INDEX campaign_records_town ON campaign_records(kind, town, day);

CREATE INDEX campaign_records_enterprise ON campaign_records(kind, enterprise, day);

CREATE TABLE webhook_cursors (
    target TEXT COLLATE "C" PRIMARY KEY,
    last BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at TEXT COLLATE "C",
    last_error TEXT COLLATE "C"
);

CREATE INDEX photos_uploaded_by ON photos(uploaded_by, uploaded_at)
    WHERE uploaded_by IS NOT NULL;

-- The logs are append-only (SQLite's `RAISE(ABORT, …)` triggers): a row is never changed or
-- removed, TRUNCATE included.
CREATE FUNCTION refuse_change_of_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;

CREATE TRIGGER entry_history_append_only BEFORE UPDATE OR DELETE ON entry_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER entry_history_append_only_t BEFORE TRUNCATE ON entry_history
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER report_events_append_only BEFORE UPDATE OR DELETE ON report_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER report_events_append_only_t BEFORE TRUNCATE ON report_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER reveal_audit_append_only BEFORE UPDATE OR DELETE ON reveal_audit
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER reveal_audit_append_only_t BEFORE TRUNCATE ON reveal_audit
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER supervision_draws_append_only BEFORE UPDATE OR DELETE ON supervision_draws
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER supervision_draws_append_only_t BEFORE TRUNCATE ON supervision_draws
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_log();

-- The open-entry index of deduplication (在办条目查重索引), kept by triggers as SQLite's
-- migration 5 keeps it (`crate::postgres::dedup` says why and how): what SQLite's refresh
-- trigger does is the function `dedup_open_refresh`, and every trigger calls it directly
-- instead of touching `reports.entry_id`. The open statuses and the band keys are restated
-- as SQLite restates them; `open_index_drift` checks them against the Rust definitions.
INSERT INTO dedup_bands (band)
    VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15);

-- Removes report `old_id` (indexed under `old_enterprise`) from the index, then indexes
-- report `new_id` as it now is if it is a hazard in an open entry. The caller holds the row
-- lock of report `new_id`; the entry is read `FOR SHARE`, so a concurrent change of its
-- status or number waits for this transaction, or this refresh waits for that one and reads
-- the status it committed.
CREATE FUNCTION dedup_open_refresh(old_enterprise TEXT, old_id TEXT, new_id TEXT)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    e RECORD;
BEGIN
    DELETE FROM dedup_open_keys WHERE report_id = old_id;
    DELETE FROM dedup_open_photos WHERE enterprise = old_enterprise AND report_id = old_id;
    DELETE FROM dedup_open_reports WHERE enterprise = old_enterprise AND report_id = old_id;
    SELECT id, enterprise, entry_id, kind, site_code, location_cell, captured_at, received_at,
           submission
        INTO r FROM reports WHERE id = new_id;
    IF NOT FOUND OR r.entry_id IS NULL OR r.kind <> 'hazard' THEN
        RETURN;
    END IF;
    SELECT id, number, status INTO e FROM ledger_entries WHERE id = r.entry_id FOR SHARE;
    IF NOT FOUND
       OR e.status NOT IN ('pending_review', 'rectifying', 'awaiting_verification') THEN
        RETURN;
    END IF;
    INSERT INTO dedup_open_reports (enterprise, report_id, entry_id, entry_number, site_code,
                                    location_cell, captured_at, received_at, submission)
        VALUES (r.enterprise, r.id, e.id, e.number, r.site_code, r.location_cell,
                r.captured_at, r.received_at, r.submission);
    INSERT INTO dedup_open_photos (enterprise, report_id, position, sha256, phash, scene)
        SELECT r.enterprise, r.id, rp.position, p.sha256, p.phash, p.scene
        FROM report_photos rp JOIN photos p ON p.sha256 = rp.sha256
        WHERE rp.report_id = r.id;
    INSERT INTO dedup_open_keys (enterprise, key, report_id)
        SELECT o.enterprise,
               (b.band << 16)
             | (get_byte(o.phash, 2 * b.band::INT) << 8)
             |  get_byte(o.phash, 2 * b.band::INT + 1),
               o.report_id
        FROM dedup_open_photos o, dedup_bands b
        WHERE o.enterprise = r.enterprise AND o.report_id = r.id AND length(o.phash) = 32
        ON CONFLICT DO NOTHING;
END
$$;

-- A change of a column the index copies (SQLite's `dedup_open_refresh`). The statement
-- holds the report's row lock.
CREATE FUNCTION dedup_open_report_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dedup_open_refresh(OLD.enterprise, OLD.id, NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER dedup_open_refresh
AFTER UPDATE OF entry_id, enterprise, location_cell, kind, site_code, captured_at, received_at,
                submission ON reports
FOR EACH ROW WHEN (OLD.entry_id IS NOT NULL OR NEW.entry_id IS NOT NULL)
EXECUTE FUNCTION dedup_open_report_changed();

-- A new report row, already in an entry.
CREATE FUNCTION dedup_open_report_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dedup_open_refresh(NEW.enterprise, NEW.id, NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER dedup_open_report_inserted AFTER INSERT ON reports
FOR EACH ROW WHEN (NEW.entry_id IS NOT NULL)
EXECUTE FUNCTION dedup_open_report_inserted();

-- A new photo link of a report in an entry: the report's row locked first (its newest
-- version, so the enterprise it is indexed under is current).
CREATE FUNCTION dedup_open_photo_linked() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ent TEXT;
BEGIN
    SELECT enterprise INTO ent FROM reports
        WHERE id = NEW.report_id AND entry_id IS NOT NULL FOR NO KEY UPDATE;
    IF FOUND THEN
        PERFORM dedup_open_refresh(ent, NEW.report_id, NEW.report_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER dedup_open_photo_linked AFTER INSERT ON report_photos
FOR EACH ROW EXECUTE FUNCTION dedup_open_photo_linked();

-- An entry whose number changes, or whose status crosses between open and not open: each of
-- its reports, their rows locked in id order (a report moved away meanwhile is skipped, one
-- moved in has waited for this entry's lock and is seen).
CREATE FUNCTION dedup_open_entry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rep RECORD;
BEGIN
    FOR rep IN SELECT id, enterprise FROM reports WHERE entry_id = NEW.id
               ORDER BY id FOR NO KEY UPDATE
    LOOP
        PERFORM dedup_open_refresh(rep.enterprise, rep.id, rep.id);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER dedup_open_number AFTER UPDATE OF number ON ledger_entries
FOR EACH ROW EXECUTE FUNCTION dedup_open_entry_changed();

CREATE TRIGGER dedup_open_status AFTER UPDATE OF status ON ledger_entries
FOR EACH ROW
WHEN ((OLD.status IN ('pending_review', 'rectifying', 'awaiting_verification'))
      <> (NEW.status IN ('pending_review', 'rectifying', 'awaiting_verification')))
EXECUTE FUNCTION dedup_open_entry_changed();
"#,
];

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database to [`latest_version`], under the migration lock.
pub async fn migrate(client: &tokio_postgres::Client) -> RepoResult<()> {
    let key = lock_key("migrate", "");
    client
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .await
        .map_err(db)?;
    let out = migrate_locked(client).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .await
        .map_err(db);
    out.and(unlocked.map(|_| ()))
}

async fn migrate_locked(client: &tokio_postgres::Client) -> RepoResult<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE \
             CHECK (only_row), version BIGINT NOT NULL);
             INSERT INTO schema_version (version) VALUES (0) ON CONFLICT DO NOTHING",
        )
        .await
        .map_err(db)?;
    let found: i64 = client
        .query_one("SELECT version FROM schema_version", &[])
        .await
        .map_err(db)?
        .get(0);
    let supported = latest_version();
    if found > supported {
        return Err(RepoError::TooNew { found, supported });
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        let sql = format!("BEGIN; {m}\n; UPDATE schema_version SET version = {version}; COMMIT;");
        if let Err(e) = client.batch_execute(&sql).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(db(e));
        }
        tracing::info!(version, "PostgreSQL schema migrated");
    }
    Ok(())
}
