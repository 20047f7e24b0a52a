-- Snapshot of the phone database at schema version 2, with a few rows, as a phone of that
-- version left it. Never edit: tests/schema_upgrade.rs upgrades it and compares the result
-- with a fresh database of the current version.
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
    server_changed_at INTEGER
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

INSERT INTO reports (id, kind, category, severity, at_risk, source, note, captured_at,
    created_at, updated_at, lat, lon, workshop, anonymous, local_state, queued_at)
VALUES
    ('01900000-0000-7000-8000-000000000001', 'hazard', 'equipment_guarding', 'major',
     '["oneself","equipment"]', 'worker_check', '液氯储罐区阀门泄漏', 1767225600000,
     1767225601000, 1767225601000, 36.8012, 117.8703, '一车间', 1, 'queued', 1767225602000),
    ('01900000-0000-7000-8000-000000000002', 'suggestion', 'other', 'general', '[]',
     'team_cross_check', '建议在通道口加装反光镜', 1767312000000, 1767312001000,
     1767312001000, NULL, NULL, NULL, 0, 'draft', NULL);
INSERT INTO photos (report_id, position, sha256, bytes, width, height, thumb_bytes,
    thumb_width, thumb_height, phash, source_format)
VALUES ('01900000-0000-7000-8000-000000000001', 0,
    '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 412345, 1920, 1440,
    20480, 320, 240, NULL, 'jpeg');
INSERT INTO settings (key, value) VALUES ('server_url', 'http://127.0.0.1:8080');
INSERT INTO report_events (report_id, at, event) VALUES
    ('01900000-0000-7000-8000-000000000001', 1767225601000, 'created'),
    ('01900000-0000-7000-8000-000000000001', 1767225602000, 'queued'),
    ('01900000-0000-7000-8000-000000000002', 1767312001000, 'created');
INSERT INTO uploaded_photos (sha256, uploaded_at) VALUES
    ('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 1767225603000);
PRAGMA user_version = 2;
