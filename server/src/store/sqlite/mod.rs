//! The embedded default backend: one SQLite file (WAL), one writer connection behind a mutex,
//! a few reader connections, all used from `spawn_blocking` so no SQLite call ever blocks the
//! async runtime.
//!
//! One writer is deliberate: SQLite serialises writers anyway, and a second writing
//! connection only turns that into "database is locked" errors. Every write is one short
//! immediate transaction, so readers (WAL) never wait for it.

mod dedup;
mod feed;
mod filing;
mod ingest;
mod numbers;
mod officer;
mod roster;
pub mod schema;

pub use dedup::open_index_drift;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use hazardsnap_model::{
    ChangeFeed, EnterpriseRef, Jurisdiction, Labelled, Role, Roster, SubmitResult,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use super::officer::{
    ActionOutcome, AdoptOutcome, DrawRecord, EntryDetail, EntrySummary, LedgerFilter, MonthlyStats,
    OfficerAction, ReportView, RevealOutcome, RewardLine, SuggestionView,
};
use super::{
    CheckedReport, Device, Enrolled, ImportSummary, Officer, PhotoRecord, Principal,
    RosterPassword, StatusChange, Store, StoreCounts, StoreError, StoreResult,
};

/// Reader connections kept open; more are opened on demand and dropped after use.
const IDLE_READERS: usize = 4;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    dedup: hazardsnap_dedup::DedupConfig,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

/// Locks a mutex even if a thread panicked while holding it: a panic inside a transaction
/// drops (rolls back) the transaction, so the connection itself is still sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A timestamp as stored: RFC 3339, UTC, milliseconds; sorts as text.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads back a stored timestamp.
pub(crate) fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp {s:?}: {e}")))
}

/// Reads back a stored vocabulary value.
pub(crate) fn parse_wire<T: Labelled>(s: &str) -> StoreResult<T> {
    T::from_wire(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Reads back a stored UUID.
pub(crate) fn parse_uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("uuid {s:?}: {e}")))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and migrates it to the current schema.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        SqliteStore::open_with(path, hazardsnap_dedup::DedupConfig::default())
    }

    /// Opens the database with these deduplication settings.
    pub fn open_with(
        path: impl AsRef<Path>,
        dedup: hazardsnap_dedup::DedupConfig,
    ) -> StoreResult<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path)?;
        schema::configure(&writer)?;
        schema::migrate(&mut writer)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                dedup,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one immediate transaction on the writer connection, on a blocking thread.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&inner.writer);
            // IMMEDIATE takes the write lock up front, so a transaction never fails half-way
            // on a lock upgrade.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(StoreError::Worker)?
    }

    /// Runs `f` on a reader connection, on a blocking thread.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&inner.readers).pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open(&inner.path)?;
                    schema::configure(&c)?;
                    c
                }
            };
            let out = f(&conn);
            let mut idle = lock(&inner.readers);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
            out
        })
        .await
        .map_err(StoreError::Worker)?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    async fn has_no_organisation(&self) -> StoreResult<bool> {
        self.read(|c| {
            let n: i64 = c.query_row("SELECT count(*) FROM enterprises", [], |r| r.get(0))?;
            Ok(n == 0)
        })
        .await
    }

    async fn roster_password_hashes(&self) -> StoreResult<HashMap<String, String>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT username, roster_password_hash FROM users
                 WHERE roster_password_hash IS NOT NULL",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn apply_roster(
        &self,
        roster: Roster,
        passwords: HashMap<String, RosterPassword>,
    ) -> StoreResult<ImportSummary> {
        let now = Utc::now();
        self.write(move |tx| roster::apply(tx, &roster, &passwords, now))
            .await
    }

    async fn enroll(
        &self,
        code: String,
        device_name: String,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Enrolled>> {
        self.write(move |tx| {
            let found: Option<(String, String)> = tx
                .query_row(
                    "SELECT e.code, e.name FROM enrollment_codes c
                     JOIN enterprises e ON e.code = c.enterprise
                     WHERE c.code = ?1 AND c.active = 1 AND e.active = 1",
                    [&code],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((enterprise_code, enterprise_name)) = found else {
                return Ok(None);
            };
            let device_id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO devices (id, token_sha256, enterprise, name, enrollment_code, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    device_id.to_string(),
                    &token_sha256[..],
                    enterprise_code,
                    device_name,
                    code,
                    ts(now)
                ],
            )?;
            Ok(Some(Enrolled {
                device_id,
                enterprise: EnterpriseRef {
                    code: enterprise_code,
                    name: enterprise_name,
                },
            }))
        })
        .await
    }

    async fn authenticate(
        &self,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Principal>> {
        self.read(move |c| {
            let device: Option<(String, String)> = c
                .query_row(
                    "SELECT id, enterprise FROM devices
                     WHERE token_sha256 = ?1 AND revoked_at IS NULL",
                    [&token_sha256[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((id, enterprise)) = device {
                return Ok(Some(Principal::Device(Device {
                    id: parse_uuid(&id)?,
                    enterprise,
                })));
            }
            let officer: Option<(String, String, Option<String>)> = c
                .query_row(
                    "SELECT u.username, u.role, u.scope FROM sessions s
                     JOIN users u ON u.username = s.username
                     WHERE s.token_sha256 = ?1 AND s.revoked_at IS NULL
                       AND s.expires_at > ?2 AND u.active = 1",
                    params![&token_sha256[..], ts(now)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            match officer {
                Some((username, role, scope)) => Ok(Some(Principal::Officer(Officer {
                    username,
                    role: parse_wire::<Role>(&role)?,
                    scope,
                }))),
                None => Ok(None),
            }
        })
        .await
    }

    async fn revoke_device(&self, device_id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![device_id.to_string(), ts(now)],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn create_session(
        &self,
        username: String,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.write(move |tx| {
            let n = tx.execute(
                "INSERT INTO sessions (token_sha256, username, created_at, expires_at)
                 SELECT ?1, username, ?3, ?4 FROM users WHERE username = ?2 AND active = 1",
                params![&token_sha256[..], username, ts(now), ts(expires_at)],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn has_photo(&self, sha256: String) -> StoreResult<bool> {
        self.read(move |c| {
            Ok(
                c.query_row("SELECT 1 FROM photos WHERE sha256 = ?1", [sha256], |_| {
                    Ok(())
                })
                .optional()?
                .is_some(),
            )
        })
        .await
    }

    async fn record_photo(&self, photo: PhotoRecord, now: DateTime<Utc>) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO photos (sha256, bytes, width, height, phash, scene, uploaded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (sha256) DO NOTHING",
                params![
                    photo.sha256,
                    photo.bytes as i64,
                    photo.width,
                    photo.height,
                    &photo.phash[..],
                    photo.scene,
                    ts(now)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn submit_reports(
        &self,
        device: Device,
        reports: Vec<CheckedReport>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SubmitResult>> {
        let inner = Arc::clone(&self.inner);
        self.write(move |tx| {
            reports
                .iter()
                .map(|r| ingest::submit_one(tx, &device, r, now, &inner.dedup))
                .collect()
        })
        .await
    }

    async fn changes(&self, device_id: Uuid, since: i64, limit: usize) -> StoreResult<ChangeFeed> {
        self.read(move |c| feed::page(c, device_id, since, limit))
            .await
    }

    async fn change_entry_status(&self, change: StatusChange) -> StoreResult<bool> {
        self.write(move |tx| filing::change_entry_status(tx, &change))
            .await
    }

    async fn counts(&self) -> StoreResult<StoreCounts> {
        self.read(|c| {
            let n = |table: &str| -> StoreResult<u64> {
                let v: i64 =
                    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                Ok(v as u64)
            };
            Ok(StoreCounts {
                devices: n("devices")?,
                photos: n("photos")?,
                reports: n("reports")?,
                ledger_entries: n("ledger_entries")?,
                suggestions: n("suggestions")?,
                report_events: n("report_events")?,
            })
        })
        .await
    }

    async fn officer_password_hash(&self, username: String) -> StoreResult<Option<String>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT password_hash FROM users WHERE username = ?1 AND active = 1",
                [username],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    async fn set_officer_password(
        &self,
        username: String,
        password_hash: String,
        keep_session: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE username = ?1 AND active = 1",
                params![username, password_hash],
            )?;
            // Whoever knew the old password may hold a session: end all but the current one.
            tx.execute(
                "UPDATE sessions SET revoked_at = ?3
                 WHERE username = ?1 AND token_sha256 != ?2 AND revoked_at IS NULL",
                params![username, &keep_session[..], ts(now)],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn revoke_session(
        &self,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE sessions SET revoked_at = ?2 WHERE token_sha256 = ?1 AND revoked_at IS NULL",
                params![&token_sha256[..], ts(now)],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn list_entries(
        &self,
        jurisdiction: Jurisdiction,
        filter: LedgerFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<EntrySummary>> {
        self.read(move |c| officer::list(c, &jurisdiction, &filter, now))
            .await
    }

    async fn entry_detail(
        &self,
        jurisdiction: Jurisdiction,
        entry_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<EntryDetail>> {
        self.read(move |c| officer::detail(c, &jurisdiction, entry_id, now))
            .await
    }

    async fn report_detail(
        &self,
        jurisdiction: Jurisdiction,
        report_id: Uuid,
    ) -> StoreResult<Option<ReportView>> {
        self.read(move |c| officer::report(c, &jurisdiction, report_id))
            .await
    }

    async fn photo_visible(&self, jurisdiction: Jurisdiction, sha256: String) -> StoreResult<bool> {
        self.read(move |c| officer::photo_visible(c, &jurisdiction, &sha256))
            .await
    }

    async fn act(
        &self,
        jurisdiction: Jurisdiction,
        entry_id: Uuid,
        action: OfficerAction,
        actor: String,
        now: DateTime<Utc>,
    ) -> StoreResult<ActionOutcome> {
        self.write(move |tx| officer::act(tx, &jurisdiction, entry_id, &action, &actor, now))
            .await
    }

    async fn reveal_reporter(
        &self,
        jurisdiction: Jurisdiction,
        report_id: Uuid,
        actor: String,
        reason: String,
        now: DateTime<Utc>,
    ) -> StoreResult<RevealOutcome> {
        self.write(move |tx| officer::reveal(tx, &jurisdiction, report_id, &actor, &reason, now))
            .await
    }

    async fn monthly_stats(
        &self,
        jurisdiction: Jurisdiction,
        month: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<MonthlyStats> {
        self.read(move |c| numbers::monthly(c, &jurisdiction, month, now))
            .await
    }

    async fn rewards(
        &self,
        jurisdiction: Jurisdiction,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<RewardLine>> {
        self.read(move |c| numbers::rewards(c, &jurisdiction, from, to))
            .await
    }

    async fn list_suggestions(
        &self,
        jurisdiction: Jurisdiction,
    ) -> StoreResult<Vec<SuggestionView>> {
        self.read(move |c| numbers::suggestions(c, &jurisdiction))
            .await
    }

    async fn adopt_suggestion(
        &self,
        jurisdiction: Jurisdiction,
        id: Uuid,
        actor: String,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<AdoptOutcome> {
        self.write(move |tx| numbers::adopt(tx, &jurisdiction, id, &actor, note.as_deref(), now))
            .await
    }

    async fn create_draw(
        &self,
        town: Option<String>,
        n: u32,
        seed: u64,
        actor: String,
        now: DateTime<Utc>,
    ) -> StoreResult<DrawRecord> {
        self.write(move |tx| numbers::create_draw(tx, town.as_deref(), n, seed, &actor, now))
            .await
    }

    async fn get_draw(
        &self,
        jurisdiction: Jurisdiction,
        id: Uuid,
    ) -> StoreResult<Option<DrawRecord>> {
        self.read(move |c| numbers::get_draw(c, &jurisdiction, id))
            .await
    }
}
