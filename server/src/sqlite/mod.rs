//! The embedded default backend (内置存储): one SQLite file (WAL), one writer connection behind
//! a mutex, a few reader connections, all used from `spawn_blocking` so no SQLite call ever
//! blocks the async runtime. It implements the ledger's [`Repository`]: it loads and saves
//! rows and translates the rules' primitive predicates (`sql`), and decides nothing.
//!
//! One writer is deliberate: SQLite serialises writers anyway, and a second writing
//! connection only turns that into "database is locked" errors. Every write is one short
//! immediate transaction (which takes the write lock up front, so every entry a unit of work
//! loads is already locked for update), and readers (WAL) never wait for it.
//!
//! Layout: [`schema`] (migrations), `sql` (the one translation of scopes and predicates),
//! `org` (organisation, officers, devices, sessions), `entries` (ledger entries, history,
//! numbers), `reports` (reports, photos, suggestions, the change feed, draws), `dedup` (the
//! open-entry index and its candidate lookup), `tx` (the trait implementations delegating to
//! them).

mod dedup;
mod entries;
mod org;
mod records;
mod reports;
pub mod schema;
mod sql;
mod tx;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use hazardsnap_ledger::repo::{Erased, ReadWork, Repository, WriteWork};
use hazardsnap_ledger::{LedgerResult, RepoError, RepoResult};
use hazardsnap_model::Labelled;
use rusqlite::{Connection, TransactionBehavior};
use uuid::Uuid;

pub use tx::Sql;

/// Reader connections kept open; more are opened on demand and dropped after use.
const IDLE_READERS: usize = 4;

/// Turns a SQLite error into a repository error.
pub(crate) fn db(e: rusqlite::Error) -> RepoError {
    RepoError::Database(Box::new(e))
}

/// The SQLite repository. Cheap to clone.
#[derive(Clone)]
pub struct SqliteRepository {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
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
pub(crate) fn parse_ts(s: &str) -> RepoResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| RepoError::Corrupt(format!("timestamp {s:?}: {e}")))
}

/// Reads back an optional stored timestamp.
pub(crate) fn parse_ts_opt(s: Option<String>) -> RepoResult<Option<DateTime<Utc>>> {
    s.as_deref().map(parse_ts).transpose()
}

/// Reads back a stored vocabulary value.
pub(crate) fn parse_wire<T: Labelled>(s: &str) -> RepoResult<T> {
    T::from_wire(s).map_err(|e| RepoError::Corrupt(e.to_string()))
}

/// Reads back a stored UUID.
pub(crate) fn parse_uuid(s: &str) -> RepoResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| RepoError::Corrupt(format!("uuid {s:?}: {e}")))
}

/// Reads back an optional stored UUID.
pub(crate) fn parse_uuid_opt(s: Option<String>) -> RepoResult<Option<Uuid>> {
    s.as_deref().map(parse_uuid).transpose()
}

/// Reads back a stored date.
pub(crate) fn parse_date(s: &str) -> RepoResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| RepoError::Corrupt(format!("date {s:?}: {e}")))
}

/// A value as JSON text.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> RepoResult<String> {
    serde_json::to_string(v).map_err(RepoError::corrupt)
}

/// A value from stored JSON text.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> RepoResult<T> {
    serde_json::from_str(s).map_err(RepoError::corrupt)
}

impl SqliteRepository {
    /// Opens (creating if needed) the database file and migrates it to the current schema.
    pub fn open(path: impl AsRef<Path>) -> RepoResult<SqliteRepository> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path).map_err(db)?;
        schema::configure(&writer)?;
        schema::migrate(&mut writer)?;
        Ok(SqliteRepository {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one immediate transaction on the writer connection, on this thread: for
    /// benchmarks and checks that run outside the runtime. Committed only when `commit`.
    #[doc(hidden)]
    pub fn write_blocking<T>(
        &self,
        commit: bool,
        f: impl FnOnce(&mut Sql<'_>) -> LedgerResult<T>,
    ) -> LedgerResult<T> {
        let mut conn = lock(&self.inner.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let out = f(&mut Sql::new(&tx))?;
        if commit {
            tx.commit().map_err(db)?;
        }
        Ok(out)
    }

    /// Runs exactly the candidate lookup filing runs for `incoming`, in a transaction that is
    /// rolled back (blocking: call it from a plain thread). For the scale benchmark.
    #[doc(hidden)]
    pub fn lookup_candidates_blocking(
        &self,
        incoming: &hazardsnap_dedup::ReportFacts,
        cfg: &hazardsnap_dedup::DedupConfig,
    ) -> LedgerResult<Vec<hazardsnap_dedup::Candidate>> {
        self.write_blocking(false, |tx| {
            Ok(hazardsnap_ledger::rules::filing::lookup_candidates(
                tx, incoming, cfg,
            )?)
        })
    }

    /// `EXPLAIN QUERY PLAN` of each candidate query of `query`, one line per plan step.
    #[doc(hidden)]
    pub fn explain_candidate_queries_blocking(
        &self,
        query: &hazardsnap_ledger::repo::query::CandidateQuery,
    ) -> RepoResult<Vec<Vec<String>>> {
        let conn = lock(&self.inner.writer);
        dedup::explain_candidate_queries(&conn, query)
    }

    fn read_blocking(inner: &Inner, work: ReadWork) -> LedgerResult<Erased> {
        let pooled = lock(&inner.readers).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open(&inner.path).map_err(db)?;
                schema::configure(&c)?;
                c
            }
        };
        // A deferred transaction: one consistent snapshot for the whole unit of work.
        let out = match conn.transaction() {
            Ok(tx) => {
                let out = work(&mut Sql::new(&tx));
                drop(tx);
                out
            }
            Err(e) => Err(db(e).into()),
        };
        let mut idle = lock(&inner.readers);
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

fn worker(e: tokio::task::JoinError) -> hazardsnap_ledger::LedgerError {
    RepoError::Worker(e.to_string()).into()
}

#[async_trait]
impl Repository for SqliteRepository {
    async fn read_erased(&self, work: ReadWork) -> LedgerResult<Erased> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || SqliteRepository::read_blocking(&inner, work))
            .await
            .map_err(worker)?
    }

    async fn write_erased(&self, work: WriteWork) -> LedgerResult<Erased> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&inner.writer);
            // IMMEDIATE takes the write lock up front, so a transaction never fails half-way
            // on a lock upgrade.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let out = work(&mut Sql::new(&tx))?;
            tx.commit().map_err(db)?;
            Ok(out)
        })
        .await
        .map_err(worker)?
    }

    async fn ping(&self) -> RepoResult<()> {
        let inner = self.inner.clone();
        let r = tokio::task::spawn_blocking(move || {
            SqliteRepository::read_blocking(&inner, Box::new(|_| Ok(Box::new(()) as Erased)))
                .map(|_| ())
        })
        .await
        .map_err(|e| RepoError::Worker(e.to_string()))?;
        r.map_err(|e| match e {
            hazardsnap_ledger::LedgerError::Repo(r) => r,
            other => RepoError::Worker(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {

    hazardsnap_ledger::repository_conformance!(|dir: &std::path::Path| {
        std::sync::Arc::new(
            super::SqliteRepository::open(dir.join("conformance.sqlite3")).expect("open"),
        ) as std::sync::Arc<dyn hazardsnap_ledger::Repository>
    });
}
