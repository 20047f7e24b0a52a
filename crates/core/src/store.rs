//! The report store (报告库): one data folder with the SQLite database and the photo folder.
//!
//! One [`Store`] owns the folder: an exclusive lock file keeps a second process (or a second
//! core in the same app) out, and the store's single connection is the only writer, so
//! "database is locked" cannot happen. Every write is one short `IMMEDIATE` transaction. The
//! outbox rules of [`crate::outbox`] are checked inside the transaction that applies them.
//!
//! Opening also repairs what a crash or a damaged file left behind: a database that SQLite
//! cannot read, or that fails `integrity_check`, is moved aside with its photos into
//! `damaged/<time>/` (never deleted: unsent reports exist nowhere else) and a fresh one is
//! started; partly written photo files are removed from `tmp/`; photo files that no report
//! names are removed.

use std::collections::HashSet;
use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use hazardsnap_model::{
    AtRisk, Category, CheckSource, DeviceTrainings, LedgerStatus, Location, PhotoRef, ReportChange,
    ReportKind, ReportSubmission, Severity, SubmitOutcome, SubmitResult, SuggestionStatus,
    TrainingKind,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::files::{PhotoFiles, Swept, sync_dir};
use crate::outbox::{LocalState, OutboxEvent, Transition, transition};
use crate::schema;
use crate::types::{
    DamageNotice, HistoryEvent, ListQuery, MyTrainings, OutboxCounts, PhotoInfo, PruneOutcome,
    ReportContent, ReportDetail, ReportPage, ReportSummary, ServerView, StorageUse, TrainingRecord,
};

/// The setting naming the roster worker the phone belongs to, as the server last said.
const KEY_WORKER: &str = "worker";
/// The setting holding when the trainings were last brought from the server.
const KEY_TRAININGS_AT: &str = "trainings_synced_at";

/// Sets or clears a setting inside a transaction.
fn put_setting(tx: &rusqlite::Transaction<'_>, key: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) => tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, v],
        )?,
        None => tx.execute("DELETE FROM settings WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// The database file inside the data folder.
pub const DB_FILE: &str = "hazardsnap.db";
/// The lock file inside the data folder.
pub const LOCK_FILE: &str = "hazardsnap.lock";
/// Where damaged databases are moved.
pub const DAMAGED_DIR: &str = "damaged";

const DAMAGE_KEY: &str = "damage_notice";
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

/// A photo after the pipeline, ready to be stored with its report.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub sha256: String,
    pub stored: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    pub thumb_width: u32,
    pub thumb_height: u32,
    pub phash: Option<String>,
    pub source_format: Option<String>,
}

impl StoredPhoto {
    fn to_ref(&self) -> PhotoRef {
        PhotoRef {
            sha256: self.sha256.clone(),
            bytes: self.stored.len() as u64,
            width: self.width,
            height: self.height,
            phash: self.phash.clone(),
        }
    }
}

/// A report ready to be committed: validated, its photos processed.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub id: Uuid,
    pub content: ReportContent,
    pub captured_at: DateTime<Utc>,
    pub photos: Vec<StoredPhoto>,
    pub state: LocalState,
}

/// The open data folder.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    files: PhotoFiles,
    root: PathBuf,
    swept: Swept,
    // Held for the store's life: the OS releases it when the process dies, even by SIGKILL.
    _lock: File,
}

/// Milliseconds since the epoch.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A `SystemTime` from milliseconds since the epoch; out-of-range values clamp to the epoch.
pub fn system_time(ms: i64) -> SystemTime {
    if ms >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(Duration::from_millis(ms.unsigned_abs()))
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// Milliseconds since the epoch of a `SystemTime`.
pub fn system_ms(t: SystemTime) -> i64 {
    ms(DateTime::<Utc>::from(t))
}

fn now_ms() -> i64 {
    ms(Utc::now())
}

fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

enum OpenFailure {
    /// The file is damaged; the text says how (no content).
    Damaged(String),
    Other(Error),
}

impl From<rusqlite::Error> for OpenFailure {
    fn from(e: rusqlite::Error) -> Self {
        if is_damage(&e) {
            OpenFailure::Damaged(format!("{e}"))
        } else {
            OpenFailure::Other(e.into())
        }
    }
}

fn open_checked(path: &Path) -> Result<Connection, OpenFailure> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // WAL: readers never block the writer; FULL: a committed report survives a power cut (the
    // phone writes a few reports a day, so the extra fsync costs nothing that matters).
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Android has no writable temp folder for SQLite's spill files.
    conn.pragma_update(None, "temp_store", 2)?;
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    drop(stmt);
    if problems.first().map(String::as_str) != Some("ok") {
        let n = problems.len();
        return Err(OpenFailure::Damaged(format!(
            "integrity_check found {n} problem(s)"
        )));
    }
    Ok(conn)
}

impl Store {
    /// Opens (or creates) the data folder at `root`.
    pub fn open(root: &Path) -> Result<Store> {
        fs::create_dir_all(root).map_err(Error::io("create data folder"))?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join(LOCK_FILE))
            .map_err(Error::io("open lock file"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(Error::Busy),
            Err(TryLockError::Error(e)) => return Err(Error::io("lock data folder")(e)),
        }
        let db_path = root.join(DB_FILE);
        let (mut conn, damage) = match open_checked(&db_path) {
            Ok(conn) => (conn, None),
            Err(OpenFailure::Other(e)) => return Err(e),
            Err(OpenFailure::Damaged(reason)) => {
                let notice = quarantine(root, &reason)?;
                match open_checked(&db_path) {
                    Ok(conn) => (conn, Some(notice)),
                    Err(OpenFailure::Other(e)) => return Err(e),
                    Err(OpenFailure::Damaged(reason)) => {
                        return Err(Error::Corrupt(format!("fresh database damaged: {reason}")));
                    }
                }
            }
        };
        schema::migrate(&mut conn)?;
        let files = PhotoFiles::open(root)?;
        let mut store = Store {
            conn,
            files,
            root: root.to_owned(),
            swept: Swept::default(),
            _lock: lock,
        };
        if let Some(notice) = damage {
            store.set_setting(DAMAGE_KEY, &damage_to_json(&notice))?;
        }
        store.swept = store.sweep()?;
        Ok(store)
    }

    /// The data folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The photo folders.
    pub fn files(&self) -> &PhotoFiles {
        &self.files
    }

    /// What opening cleaned up.
    pub fn swept(&self) -> Swept {
        self.swept
    }

    /// The connection, for tests and benchmarks that inspect the database.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    fn sweep(&self) -> Result<Swept> {
        let temp_files = self.files.sweep_temp()?;
        let photos = self.strings("SELECT DISTINCT sha256 FROM photos WHERE pruned_at IS NULL")?;
        let thumbs = self.strings("SELECT DISTINCT sha256 FROM photos")?;
        let orphans = self.files.sweep_orphans(&photos, &thumbs)?;
        if temp_files + orphans > 0 {
            tracing::info!(
                temp_files,
                orphans,
                "swept leftovers of an interrupted write"
            );
        }
        Ok(Swept {
            temp_files,
            orphans,
        })
    }

    fn strings(&self, sql: &str) -> Result<HashSet<String>> {
        let mut stmt = self.conn.prepare(sql)?;
        let set = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(set)
    }

    /// The notice of a damaged database moved aside, until [`Store::acknowledge_damage`].
    pub fn damage_notice(&self) -> Result<Option<DamageNotice>> {
        match self.setting(DAMAGE_KEY)? {
            Some(json) => Ok(Some(damage_from_json(&json)?)),
            None => Ok(None),
        }
    }

    /// The app has told the worker about the damage.
    pub fn acknowledge_damage(&mut self) -> Result<()> {
        self.delete_setting(DAMAGE_KEY)
    }

    /// A setting (device token, server URL, sync cursor…).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Stores a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes a setting.
    pub fn delete_setting(&mut self, key: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM settings WHERE key = ?1", [key])?;
        tx.commit()?;
        Ok(())
    }

    /// Stores a captured report: photo files first (durably), then the row. When this returns
    /// `Ok`, the report survives a crash; when it fails or the process dies before, nothing of
    /// it is visible (files without a row are swept at the next start).
    pub fn insert(&mut self, report: &NewReport) -> Result<()> {
        self.insert_timed(report).map(|_| ())
    }

    /// [`Self::insert`], returning how long the durable file writes and the row's commit took
    /// (the capture benchmark splits the storage overhead with it).
    pub fn insert_timed(&mut self, report: &NewReport) -> Result<(Duration, Duration)> {
        let started = Instant::now();
        let mut items = Vec::with_capacity(report.photos.len() * 2);
        for p in &report.photos {
            items.push((self.files.photo_path(&p.sha256), p.stored.as_slice()));
            items.push((self.files.thumb_path(&p.sha256), p.thumbnail.as_slice()));
        }
        self.files.write_all(&items)?;
        let files = started.elapsed();

        let now = now_ms();
        let c = &report.content;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let queued_at = (report.state == LocalState::Queued).then_some(now);
        tx.execute(
            "INSERT INTO reports (id, kind, category, severity, at_risk, source, note,
                captured_at, created_at, updated_at, lat, lon, accuracy_m, site_code, workshop,
                team, anonymous, local_state, queued_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                ?17, ?18)",
            params![
                report.id.to_string(),
                c.kind.to_string(),
                c.category.to_string(),
                c.severity.to_string(),
                serde_json::to_string(&c.at_risk)?,
                c.source.to_string(),
                c.note,
                ms(report.captured_at),
                now,
                c.location.map(|l| l.lat),
                c.location.map(|l| l.lon),
                c.location.and_then(|l| l.accuracy_m),
                c.site_code,
                c.workshop,
                c.team,
                c.anonymous,
                report.state.wire_name(),
                queued_at,
            ],
        )?;
        {
            let mut ins = tx.prepare(
                "INSERT INTO photos (report_id, position, sha256, bytes, width, height,
                    thumb_bytes, thumb_width, thumb_height, phash, source_format)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for (i, p) in report.photos.iter().enumerate() {
                ins.execute(params![
                    report.id.to_string(),
                    i as i64,
                    p.sha256,
                    p.stored.len() as i64,
                    p.width,
                    p.height,
                    p.thumbnail.len() as i64,
                    p.thumb_width,
                    p.thumb_height,
                    p.phash,
                    p.source_format,
                ])?;
            }
        }
        add_event(&tx, &report.id.to_string(), now, "created", None)?;
        if report.state == LocalState::Queued {
            add_event(&tx, &report.id.to_string(), now, "queued", None)?;
        }
        tx.commit()?;
        Ok((files, started.elapsed() - files))
    }

    fn state_of(tx: &Connection, id: &str) -> Result<LocalState> {
        let s: Option<String> = tx
            .query_row("SELECT local_state FROM reports WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let s = s.ok_or(Error::NotFound)?;
        LocalState::from_wire(&s).ok_or_else(|| Error::Corrupt(format!("local_state {s}")))
    }

    /// Replaces the content of a draft (草稿). Queued and later reports are refused.
    pub fn edit_draft(&mut self, id: &str, content: &ReportContent) -> Result<()> {
        let id = canonical_id(id)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state = Self::state_of(&tx, &id)?;
        if transition(state, OutboxEvent::Edit) == Transition::Refused {
            return Err(Error::NotEditable(state));
        }
        // The edited draft must still be a report the server would take.
        let mut sub = submission_in(&tx, &id)?;
        apply_content(&mut sub, content);
        sub.validate_content(Utc::now())?;
        let now = now_ms();
        tx.execute(
            "UPDATE reports SET kind = ?2, category = ?3, severity = ?4, at_risk = ?5,
                source = ?6, note = ?7, lat = ?8, lon = ?9, accuracy_m = ?10, site_code = ?11,
                workshop = ?12, team = ?13, anonymous = ?14, updated_at = ?15
             WHERE id = ?1 AND local_state = 'draft'",
            params![
                id,
                content.kind.to_string(),
                content.category.to_string(),
                content.severity.to_string(),
                serde_json::to_string(&content.at_risk)?,
                content.source.to_string(),
                content.note,
                content.location.map(|l| l.lat),
                content.location.map(|l| l.lon),
                content.location.and_then(|l| l.accuracy_m),
                content.site_code,
                content.workshop,
                content.team,
                content.anonymous,
                now,
            ],
        )?;
        add_event(&tx, &id, now, "edited", None)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes a draft, or dismisses a report the server refused for good. Its photo files are
    /// removed once no other report refers to them.
    pub fn delete(&mut self, id: &str) -> Result<()> {
        let id = canonical_id(id)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state = Self::state_of(&tx, &id)?;
        if transition(state, OutboxEvent::Delete) != Transition::Deleted {
            return Err(Error::NotEditable(state));
        }
        let shas: Vec<String> = {
            let mut stmt = tx.prepare("SELECT sha256 FROM photos WHERE report_id = ?1")?;
            stmt.query_map([&id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        tx.execute("DELETE FROM reports WHERE id = ?1", [&id])?;
        let mut unreferenced = Vec::new();
        for sha in shas {
            let still: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1)",
                [&sha],
                |r| r.get(0),
            )?;
            if !still {
                unreferenced.push(sha);
            }
        }
        tx.commit()?;
        // After the commit: a crash here leaves orphan files, which the next start sweeps.
        for sha in unreferenced {
            self.files.remove(&self.files.photo_path(&sha))?;
            self.files.remove(&self.files.thumb_path(&sha))?;
        }
        Ok(())
    }

    /// Hands a draft to the outbox (待发送). From then on it is immutable.
    pub fn queue(&mut self, id: &str) -> Result<()> {
        let id = canonical_id(id)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state = Self::state_of(&tx, &id)?;
        if transition(state, OutboxEvent::Queue) != Transition::To(LocalState::Queued) {
            return Err(Error::NotEditable(state));
        }
        let sub = submission_in(&tx, &id)?;
        sub.validate(Utc::now())?;
        let now = now_ms();
        tx.execute(
            "UPDATE reports SET local_state = 'queued', queued_at = ?2, updated_at = ?2
             WHERE id = ?1 AND local_state = 'draft'",
            params![id, now],
        )?;
        add_event(&tx, &id, now, "queued", None)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies the server's answer to one submitted report. Returns the new state, or `None`
    /// when the answer does not apply (unknown report, or not in a state that was sent).
    pub fn apply_submit_result(&mut self, result: &SubmitResult) -> Result<Option<LocalState>> {
        let id = result.id.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state = match Self::state_of(&tx, &id) {
            Ok(s) => s,
            Err(Error::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let now = now_ms();
        let event = if result.outcome.is_delivered() {
            OutboxEvent::ServerAccepted
        } else if result.outcome.is_permanent_failure() {
            OutboxEvent::ServerRefused
        } else {
            OutboxEvent::TransientFailure
        };
        let Transition::To(next) = transition(state, event) else {
            return Ok(None);
        };
        match event {
            OutboxEvent::ServerAccepted => {
                tx.execute(
                    "UPDATE reports SET local_state = 'synced',
                        synced_at = COALESCE(synced_at, ?2), next_attempt_at = NULL,
                        last_error = NULL,
                        server_status = COALESCE(?3, server_status),
                        entry_id = COALESCE(?4, entry_id),
                        entry_number = COALESCE(?5, entry_number),
                        server_changed_at = CASE WHEN ?3 IS NULL THEN server_changed_at
                            ELSE COALESCE(server_changed_at, ?2) END
                     WHERE id = ?1",
                    params![
                        id,
                        now,
                        result.status.map(|s| s.to_string()),
                        result.entry_id.map(|u| u.to_string()),
                        result.entry_number,
                    ],
                )?;
                if state != LocalState::Synced {
                    add_event(&tx, &id, now, "synced", result.entry_number.as_deref())?;
                }
            }
            OutboxEvent::ServerRefused => {
                let (code, reason) = match &result.error {
                    Some(e) => (e.error.clone(), e.message.clone()),
                    None => (
                        match result.outcome {
                            SubmitOutcome::Conflict => "conflict",
                            _ => "invalid",
                        }
                        .to_owned(),
                        "服务器拒收了该报告 / the server refused the report".to_owned(),
                    ),
                };
                tx.execute(
                    "UPDATE reports SET local_state = 'failed', fail_code = ?2,
                        fail_reason = ?3, next_attempt_at = NULL
                     WHERE id = ?1",
                    params![id, code, reason],
                )?;
                add_event(&tx, &id, now, "failed", Some(&reason))?;
            }
            _ => {
                let reason = result
                    .error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_else(|| "照片尚未上传 / photos not uploaded yet".into());
                bump_retry(&tx, &id, now, &reason, None)?;
                // The server lacks these photos whatever we believed: upload them again.
                for sha in &result.missing_photos {
                    tx.execute("DELETE FROM uploaded_photos WHERE sha256 = ?1", [sha])?;
                }
            }
        }
        tx.commit()?;
        Ok(Some(next))
    }

    /// Records a sending attempt that failed in a way that may pass (network down, server
    /// busy): the report stays queued, its retry count grows, and it waits until
    /// `next_attempt_at` (ms) when given.
    pub fn record_transient_failure(
        &mut self,
        id: &str,
        reason: &str,
        next_attempt_at: Option<i64>,
    ) -> Result<bool> {
        let id = canonical_id(id)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state = Self::state_of(&tx, &id)?;
        if transition(state, OutboxEvent::TransientFailure) == Transition::Refused {
            return Ok(false);
        }
        bump_retry(&tx, &id, now_ms(), reason, next_attempt_at)?;
        tx.commit()?;
        Ok(true)
    }

    /// Applies one entry of the server's change feed. Returns whether it changed anything.
    pub fn apply_change(&mut self, change: &ReportChange) -> Result<bool> {
        let id = change.report_id.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state = match Self::state_of(&tx, &id) {
            Ok(s) => s,
            Err(Error::NotFound) => return Ok(false),
            Err(e) => return Err(e),
        };
        if transition(state, OutboxEvent::ServerStatus) == Transition::Refused {
            return Ok(false);
        }
        let before: StoredServer = tx.query_row(
            "SELECT server_status, entry_number, merged_into, server_reason, suggestion_status
                 FROM reports WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let after = (
            Some(change.status.to_string()),
            change.entry_number.clone(),
            change.merged_into.clone(),
            change.reason.clone(),
            change.suggestion.map(|s| s.to_string()),
        );
        let now = now_ms();
        if state == LocalState::Queued {
            add_event(&tx, &id, now, "synced", change.entry_number.as_deref())?;
        }
        tx.execute(
            "UPDATE reports SET local_state = 'synced', synced_at = COALESCE(synced_at, ?2),
                next_attempt_at = NULL, last_error = NULL,
                server_status = ?3, entry_id = COALESCE(?4, entry_id),
                entry_number = COALESCE(?5, entry_number), merged_into = ?6,
                server_reason = ?7, server_changed_at = ?8, suggestion_status = ?9
             WHERE id = ?1",
            params![
                id,
                now,
                after.0,
                change.entry_id.map(|u| u.to_string()),
                after.1,
                after.2,
                after.3,
                ms(change.changed_at),
                after.4,
            ],
        )?;
        let changed = before != after || state == LocalState::Queued;
        if before.0 != after.0 || before.4 != after.4 {
            let detail = change
                .merged_into
                .as_deref()
                .or(change.reason.as_deref())
                .or(change.entry_number.as_deref());
            // A suggestion's history names its own status, a hazard's its ledger status.
            let name = match change.suggestion {
                Some(s) => hazardsnap_model::Labelled::wire_name(s),
                None => hazardsnap_model::Labelled::wire_name(change.status),
            };
            add_event(&tx, &id, ms(change.changed_at), name, detail)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Replaces the worker's trainings with the server's answer, all or nothing. Returns
    /// whether the list changed.
    pub fn replace_trainings(&mut self, answer: &DeviceTrainings) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before: Vec<(String, String, String, String, f64)> = {
            let mut stmt =
                tx.prepare_cached("SELECT id, kind, day, topic, hours FROM trainings ORDER BY id")?;
            stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let mut after: Vec<(String, String, String, String, f64)> = answer
            .trainings
            .iter()
            .map(|t| {
                (
                    t.id.to_string(),
                    t.kind.to_string(),
                    t.date.format("%Y-%m-%d").to_string(),
                    t.topic.clone(),
                    t.hours,
                )
            })
            .collect();
        after.sort_by(|a, b| a.0.cmp(&b.0));
        after.dedup_by(|a, b| a.0 == b.0);
        let changed = before != after;
        if changed {
            tx.execute("DELETE FROM trainings", [])?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO trainings (id, kind, day, topic, hours) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for t in &after {
                ins.execute(params![t.0, t.1, t.2, t.3, t.4])?;
            }
        }
        put_setting(&tx, KEY_WORKER, answer.worker.as_deref())?;
        put_setting(&tx, KEY_TRAININGS_AT, Some(&now_ms().to_string()))?;
        tx.commit()?;
        Ok(changed)
    }

    /// The worker's trainings as last synced, newest first, with this year's hours.
    pub fn trainings(&self, year: i32) -> Result<MyTrainings> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, day, topic, hours FROM trainings ORDER BY day DESC, id DESC",
        )?;
        let rows: Vec<(String, String, String, String, f64)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let year_prefix = format!("{year:04}-");
        let mut hours_this_year = 0.0;
        let mut trainings = Vec::with_capacity(rows.len());
        for (id, kind, day, topic, hours) in rows {
            if day.starts_with(&year_prefix) {
                hours_this_year += hours;
            }
            trainings.push(TrainingRecord {
                id,
                kind: parse::<TrainingKind>(kind, "training kind")?,
                date: day,
                topic,
                hours,
            });
        }
        Ok(MyTrainings {
            worker: self.setting(KEY_WORKER)?,
            trainings,
            hours_this_year,
            synced_at: self
                .setting(KEY_TRAININGS_AT)?
                .and_then(|v| v.parse::<i64>().ok())
                .map(system_time),
        })
    }

    /// One report with its photos and history.
    pub fn get(&self, id: &str) -> Result<ReportDetail> {
        let id = canonical_id(id)?;
        let mut detail = self
            .conn
            .query_row(
                "SELECT id, local_state, kind, category, severity, at_risk, source, note,
                    captured_at, created_at, updated_at, lat, lon, accuracy_m, site_code,
                    workshop, team, anonymous, retry_count, last_error, fail_code,
                    fail_reason, server_status, entry_number, merged_into, server_reason,
                    server_changed_at, suggestion_status
                 FROM reports WHERE id = ?1",
                [&id],
                detail_from_row,
            )
            .optional()?
            .ok_or(Error::NotFound)??;
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, bytes, width, height, thumb_width, thumb_height, pruned_at
             FROM photos WHERE report_id = ?1 ORDER BY position",
        )?;
        detail.photos = stmt
            .query_map([&id], |r| {
                let sha: String = r.get(0)?;
                let pruned: Option<i64> = r.get(6)?;
                Ok(PhotoInfo {
                    path: pruned
                        .is_none()
                        .then(|| path_string(&self.files.photo_path(&sha))),
                    thumbnail_path: path_string(&self.files.thumb_path(&sha)),
                    bytes: r.get::<_, i64>(1)? as u64,
                    width: r.get(2)?,
                    height: r.get(3)?,
                    thumb_width: r.get(4)?,
                    thumb_height: r.get(5)?,
                    sha256: sha,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, event, detail FROM report_events WHERE report_id = ?1 ORDER BY seq",
        )?;
        detail.history = stmt
            .query_map([&id], |r| {
                Ok(HistoryEvent {
                    at: system_time(r.get(0)?),
                    event: r.get(1)?,
                    detail: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(detail)
    }

    /// Reports newest first (by capture time), filtered, one page at a time.
    pub fn list(&self, q: &ListQuery) -> Result<ReportPage> {
        let limit = match q.limit {
            0 => DEFAULT_PAGE,
            n => n.min(MAX_PAGE),
        };
        let mut sql = String::from(
            "SELECT r.id, r.local_state, r.kind, r.category, r.severity, substr(r.note, 1, 80),
                r.captured_at,
                (SELECT count(*) FROM photos p WHERE p.report_id = r.id),
                (SELECT p.sha256 FROM photos p WHERE p.report_id = r.id AND p.position = 0),
                r.server_status, r.entry_number, r.merged_into, r.server_reason,
                r.server_changed_at, r.retry_count, r.fail_reason, r.suggestion_status
             FROM reports r WHERE 1",
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if !q.states.is_empty() {
            let marks = vec!["?"; q.states.len()].join(", ");
            sql.push_str(&format!(" AND r.local_state IN ({marks})"));
            args.extend(q.states.iter().map(|s| s.wire_name().to_owned().into()));
        }
        if let Some(kind) = q.kind {
            sql.push_str(" AND r.kind = ?");
            args.push(kind.to_string().into());
        }
        if let Some(from) = q.captured_from {
            sql.push_str(" AND r.captured_at >= ?");
            args.push(system_ms(from).into());
        }
        if let Some(before) = q.captured_before {
            sql.push_str(" AND r.captured_at < ?");
            args.push(system_ms(before).into());
        }
        if let Some(cursor) = &q.cursor {
            let (at, id) = parse_cursor(cursor)?;
            sql.push_str(" AND (r.captured_at, r.id) < (?, ?)");
            args.push(at.into());
            args.push(id.into());
        }
        sql.push_str(" ORDER BY r.captured_at DESC, r.id DESC LIMIT ?");
        args.push(i64::from(limit + 1).into());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut items: Vec<ReportSummary> = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                summary_from_row(r, &self.files)
            })?
            .collect::<rusqlite::Result<Result<_>>>()??;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|last| format!("{}:{}", system_ms(last.captured_at), last.id))
        } else {
            None
        };
        Ok(ReportPage { items, next_cursor })
    }

    /// Reports per local state.
    pub fn counts(&self) -> Result<OutboxCounts> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT local_state, count(*) FROM reports GROUP BY local_state")?;
        let mut counts = OutboxCounts::default();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            let n = n as u64;
            match LocalState::from_wire(&state) {
                Some(LocalState::Draft) => counts.draft = n,
                Some(LocalState::Queued) => counts.queued = n,
                Some(LocalState::Synced) => counts.synced = n,
                Some(LocalState::Failed) => counts.failed = n,
                None => return Err(Error::Corrupt(format!("local_state {state}"))),
            }
        }
        Ok(counts)
    }

    /// Space used by the data folder. Photo sizes come from the database (each distinct file
    /// once), not from walking the folders, so this stays fast with many photos.
    pub fn storage_use(&self) -> Result<StorageUse> {
        let mut database_bytes = 0;
        for suffix in ["", "-wal"] {
            if let Ok(meta) = fs::metadata(self.root.join(format!("{DB_FILE}{suffix}"))) {
                database_bytes += meta.len();
            }
        }
        let (photo_bytes, thumbnail_bytes, photo_count, pruned, report_count) =
            self.conn.query_row(
                "SELECT
                    (SELECT COALESCE(SUM(b), 0) FROM
                        (SELECT MAX(bytes) AS b FROM photos WHERE pruned_at IS NULL
                         GROUP BY sha256)),
                    (SELECT COALESCE(SUM(b), 0) FROM
                        (SELECT MAX(thumb_bytes) AS b FROM photos GROUP BY sha256)),
                    (SELECT count(*) FROM photos),
                    (SELECT count(*) FROM photos WHERE pruned_at IS NOT NULL),
                    (SELECT count(*) FROM reports)",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )?;
        Ok(StorageUse {
            database_bytes,
            photo_bytes: photo_bytes as u64,
            thumbnail_bytes: thumbnail_bytes as u64,
            report_count: report_count as u64,
            photo_count: photo_count as u64,
            pruned_photo_count: pruned as u64,
        })
    }

    /// Removes the full-size photos of reports the server closed (已销号) or rejected more than
    /// `older_than_days` days before `now`; thumbnails stay. The server keeps the originals.
    pub fn prune_photos(
        &mut self,
        older_than_days: u32,
        now: DateTime<Utc>,
    ) -> Result<PruneOutcome> {
        let cutoff = ms(now) - i64::from(older_than_days) * 86_400_000;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let candidates: Vec<(String, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT DISTINCT p.sha256, p.bytes FROM photos p JOIN reports r ON r.id = p.report_id
                 WHERE p.pruned_at IS NULL AND r.local_state = 'synced'
                   AND r.server_status IN ('closed', 'rejected')
                   AND r.server_changed_at <= ?1",
            )?;
            stmt.query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let now_ms = ms(now);
        tx.execute(
            "UPDATE photos SET pruned_at = ?2 WHERE pruned_at IS NULL AND report_id IN
                (SELECT id FROM reports WHERE local_state = 'synced'
                   AND server_status IN ('closed', 'rejected') AND server_changed_at <= ?1)",
            params![cutoff, now_ms],
        )?;
        let mut removable = Vec::new();
        for (sha, bytes) in candidates {
            // Another report (not closed yet) may show the very same photo.
            let still: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1 AND pruned_at IS NULL)",
                [&sha],
                |r| r.get(0),
            )?;
            if !still {
                removable.push((sha, bytes));
            }
        }
        tx.commit()?;
        let mut outcome = PruneOutcome {
            photos_pruned: 0,
            bytes_freed: 0,
        };
        for (sha, bytes) in removable {
            self.files.remove(&self.files.photo_path(&sha))?;
            outcome.photos_pruned += 1;
            outcome.bytes_freed += bytes as u64;
        }
        Ok(outcome)
    }

    /// The report as the sync protocol sends it.
    pub fn submission(&self, id: &str) -> Result<ReportSubmission> {
        submission_in(&self.conn, &canonical_id(id)?)
    }

    /// Which of these photos the server is known to have.
    pub fn uploaded_photos(&self, shas: &[String]) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM uploaded_photos WHERE sha256 = ?1")?;
        let mut out = HashSet::new();
        for sha in shas {
            if stmt.exists([sha])? {
                out.insert(sha.clone());
            }
        }
        Ok(out)
    }

    /// Remembers that the server has this photo (it verified the bytes against the name).
    pub fn mark_uploaded(&mut self, sha256: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR IGNORE INTO uploaded_photos (sha256, uploaded_at) VALUES (?1, ?2)",
            params![sha256, now_ms()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The ids of queued reports due for sending at `now_ms`, oldest capture first.
    pub fn due_queued(&self, now_ms: i64, limit: u32) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM reports WHERE local_state = 'queued'
               AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)
             ORDER BY captured_at, id LIMIT ?2",
        )?;
        let ids = stmt
            .query_map(params![now_ms, limit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }
}

fn bump_retry(
    tx: &Connection,
    id: &str,
    now: i64,
    reason: &str,
    next_attempt_at: Option<i64>,
) -> Result<()> {
    tx.execute(
        "UPDATE reports SET retry_count = retry_count + 1, last_error = ?2,
            next_attempt_at = ?3
         WHERE id = ?1",
        params![id, reason, next_attempt_at],
    )?;
    add_event(tx, id, now, "retry", Some(reason))?;
    Ok(())
}

fn add_event(tx: &Connection, id: &str, at: i64, event: &str, detail: Option<&str>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO report_events (report_id, at, event, detail) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id, at, event, detail])?;
    Ok(())
}

/// Parses an id from the app and gives it the canonical (lowercase, hyphenated) form it is
/// stored under.
pub fn canonical_id(id: &str) -> Result<String> {
    Uuid::parse_str(id.trim())
        .map(|u| u.to_string())
        .map_err(|_| Error::BadId)
}

fn parse_cursor(cursor: &str) -> Result<(i64, String)> {
    let (at, id) = cursor.split_once(':').ok_or(Error::BadCursor)?;
    let at = at.parse::<i64>().map_err(|_| Error::BadCursor)?;
    Ok((at, canonical_id(id).map_err(|_| Error::BadCursor)?))
}

fn path_string(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn parse<T: std::str::FromStr>(s: String, what: &str) -> Result<T> {
    s.parse::<T>()
        .map_err(|_| Error::Corrupt(format!("stored {what} unreadable")))
}

/// What a change compares before and after: status, entry number, merged into, reason,
/// suggestion status.
type StoredServer = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The server's columns of a report as stored: status, entry number, merged into, reason,
/// changed at, suggestion status.
type ServerColumns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

fn server_view(c: ServerColumns) -> Result<ServerView> {
    let (status, entry_number, merged_into, reason, changed_at, suggestion) = c;
    Ok(ServerView {
        status: status
            .map(|s| parse::<LedgerStatus>(s, "ledger status"))
            .transpose()?,
        entry_number,
        merged_into,
        reason,
        changed_at: changed_at.map(system_time),
        suggestion_status: suggestion
            .map(|s| parse::<SuggestionStatus>(s, "suggestion status"))
            .transpose()?,
    })
}

fn summary_from_row(r: &Row<'_>, files: &PhotoFiles) -> rusqlite::Result<Result<ReportSummary>> {
    let state: String = r.get(1)?;
    let first_sha: Option<String> = r.get(8)?;
    let raw = (
        r.get::<_, String>(2)?,
        r.get::<_, String>(3)?,
        r.get::<_, String>(4)?,
    );
    let server: ServerColumns = (
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
        r.get(13)?,
        r.get(16)?,
    );
    let id: String = r.get(0)?;
    let note_preview: String = r.get(5)?;
    let captured_at: i64 = r.get(6)?;
    let photo_count: i64 = r.get(7)?;
    let retry_count: i64 = r.get(14)?;
    let fail_reason: Option<String> = r.get(15)?;
    Ok((|| {
        Ok(ReportSummary {
            id,
            local_state: parse(state, "local state")?,
            kind: parse::<ReportKind>(raw.0, "kind")?,
            category: parse::<Category>(raw.1, "category")?,
            severity: parse::<Severity>(raw.2, "severity")?,
            note_preview,
            captured_at: system_time(captured_at),
            photo_count: photo_count as u32,
            thumbnail_path: first_sha.map(|s| path_string(&files.thumb_path(&s))),
            server: server_view(server)?,
            retry_count: retry_count as u32,
            fail_reason,
        })
    })())
}

fn location(lat: Option<f64>, lon: Option<f64>, accuracy_m: Option<f64>) -> Option<Location> {
    Some(Location {
        lat: lat?,
        lon: lon?,
        accuracy_m,
    })
}

fn content_from_row(r: &Row<'_>, base: usize) -> rusqlite::Result<Result<ReportContent>> {
    // Columns from `base`: kind, category, severity, at_risk, source, note, (3 skipped:
    // captured/created/updated), lat, lon, accuracy_m, site_code, workshop, team, anonymous.
    let kind: String = r.get(base)?;
    let category: String = r.get(base + 1)?;
    let severity: String = r.get(base + 2)?;
    let at_risk: String = r.get(base + 3)?;
    let source: String = r.get(base + 4)?;
    let note: String = r.get(base + 5)?;
    let loc = location(r.get(base + 9)?, r.get(base + 10)?, r.get(base + 11)?);
    let site_code: Option<String> = r.get(base + 12)?;
    let workshop: Option<String> = r.get(base + 13)?;
    let team: Option<String> = r.get(base + 14)?;
    let anonymous: bool = r.get(base + 15)?;
    Ok((|| {
        Ok(ReportContent {
            kind: parse(kind, "kind")?,
            category: parse(category, "category")?,
            severity: parse(severity, "severity")?,
            at_risk: serde_json::from_str::<Vec<AtRisk>>(&at_risk)?,
            source: parse::<CheckSource>(source, "source")?,
            note,
            workshop,
            team,
            site_code,
            location: loc,
            anonymous,
        })
    })())
}

fn detail_from_row(r: &Row<'_>) -> rusqlite::Result<Result<ReportDetail>> {
    let content = content_from_row(r, 2)?;
    let id: String = r.get(0)?;
    let state: String = r.get(1)?;
    let captured_at: i64 = r.get(8)?;
    let created_at: i64 = r.get(9)?;
    let updated_at: i64 = r.get(10)?;
    let retry_count: i64 = r.get(18)?;
    let last_error: Option<String> = r.get(19)?;
    let fail_code: Option<String> = r.get(20)?;
    let fail_reason: Option<String> = r.get(21)?;
    let server: ServerColumns = (
        r.get(22)?,
        r.get(23)?,
        r.get(24)?,
        r.get(25)?,
        r.get(26)?,
        r.get(27)?,
    );
    Ok((|| {
        Ok(ReportDetail {
            id,
            local_state: parse(state, "local state")?,
            content: content?,
            captured_at: system_time(captured_at),
            created_at: system_time(created_at),
            updated_at: system_time(updated_at),
            photos: Vec::new(),
            server: server_view(server)?,
            retry_count: retry_count as u32,
            last_error,
            fail_code,
            fail_reason,
            history: Vec::new(),
        })
    })())
}

fn apply_content(sub: &mut ReportSubmission, c: &ReportContent) {
    sub.kind = c.kind;
    sub.category = c.category;
    sub.severity = c.severity;
    sub.at_risk = c.at_risk.clone();
    sub.source = c.source;
    sub.note = c.note.clone();
    sub.location = c.location;
    sub.site_code = c.site_code.clone();
    sub.workshop = c.workshop.clone();
    sub.team = c.team.clone();
    sub.anonymous = c.anonymous;
}

/// Builds the wire form of a new report (for validation before anything is stored).
pub fn submission_of(report: &NewReport) -> ReportSubmission {
    let mut sub = ReportSubmission {
        id: report.id,
        kind: report.content.kind,
        category: report.content.category,
        severity: report.content.severity,
        at_risk: Vec::new(),
        source: report.content.source,
        note: String::new(),
        captured_at: report.captured_at,
        photos: report.photos.iter().map(StoredPhoto::to_ref).collect(),
        location: None,
        site_code: None,
        workshop: None,
        team: None,
        anonymous: false,
    };
    apply_content(&mut sub, &report.content);
    sub
}

fn submission_in(conn: &Connection, id: &str) -> Result<ReportSubmission> {
    let (content, captured_at) = conn
        .query_row(
            "SELECT id, local_state, kind, category, severity, at_risk, source, note,
                captured_at, created_at, updated_at, lat, lon, accuracy_m, site_code,
                workshop, team, anonymous
             FROM reports WHERE id = ?1",
            [id],
            |r| Ok((content_from_row(r, 2)?, r.get::<_, i64>(8)?)),
        )
        .optional()?
        .ok_or(Error::NotFound)?;
    let content = content?;
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, bytes, width, height, phash FROM photos WHERE report_id = ?1
         ORDER BY position",
    )?;
    let photos = stmt
        .query_map([id], |r| {
            Ok(PhotoRef {
                sha256: r.get(0)?,
                bytes: r.get::<_, i64>(1)? as u64,
                width: r.get(2)?,
                height: r.get(3)?,
                phash: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let captured_at = DateTime::<Utc>::from_timestamp_millis(captured_at)
        .ok_or_else(|| Error::Corrupt("captured_at".into()))?;
    let mut sub = ReportSubmission {
        id: Uuid::parse_str(id).map_err(|_| Error::BadId)?,
        kind: content.kind,
        category: content.category,
        severity: content.severity,
        at_risk: Vec::new(),
        source: content.source,
        note: String::new(),
        captured_at,
        photos,
        location: None,
        site_code: None,
        workshop: None,
        team: None,
        anonymous: false,
    };
    apply_content(&mut sub, &content);
    Ok(sub)
}

fn damage_to_json(n: &DamageNotice) -> String {
    serde_json::json!({
        "moved_to": n.moved_to,
        "reason": n.reason,
        "at": system_ms(n.at),
    })
    .to_string()
}

fn damage_from_json(s: &str) -> Result<DamageNotice> {
    let v: serde_json::Value = serde_json::from_str(s)?;
    Ok(DamageNotice {
        moved_to: v["moved_to"].as_str().unwrap_or_default().to_owned(),
        reason: v["reason"].as_str().unwrap_or_default().to_owned(),
        at: system_time(v["at"].as_i64().unwrap_or_default()),
    })
}

/// Moves the damaged database (with its WAL) and the photo folders into `damaged/<time>/`.
fn quarantine(root: &Path, reason: &str) -> Result<DamageNotice> {
    let now = Utc::now();
    let base = root.join(DAMAGED_DIR);
    let mut dest = base.join(now.format("%Y%m%dT%H%M%S%.3fZ").to_string());
    let mut n = 1;
    while dest.exists() {
        dest = base.join(format!("{}-{n}", now.format("%Y%m%dT%H%M%S%.3fZ")));
        n += 1;
    }
    fs::create_dir_all(&dest).map_err(Error::io("create damaged-database folder"))?;
    for name in [
        DB_FILE.to_owned(),
        format!("{DB_FILE}-wal"),
        format!("{DB_FILE}-shm"),
        crate::files::PHOTOS_DIR.to_owned(),
        crate::files::THUMBS_DIR.to_owned(),
    ] {
        let from = root.join(&name);
        if from.exists() {
            fs::rename(&from, dest.join(&name)).map_err(Error::io("move damaged database"))?;
        }
    }
    sync_dir(&dest)?;
    sync_dir(&base)?;
    sync_dir(root)?;
    tracing::warn!(reason, "damaged database moved aside");
    Ok(DamageNotice {
        moved_to: path_string(&dest),
        reason: format!(
            "数据库文件损坏，已移到一旁并新建 / the database file was damaged, moved aside and replaced ({reason})"
        ),
        at: SystemTime::from(now),
    })
}
