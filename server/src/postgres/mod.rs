//! The PostgreSQL backend (`--database-url postgres://…`), for districts that outgrow one
//! machine: several stateless replicas of the server share one database. It implements the
//! ledger's [`Repository`] exactly as the embedded backend does (the same rows, the same
//! conformance suite) and decides nothing.
//!
//! Connections come from a pool (`deadpool-postgres` over `tokio-postgres`). A unit of work runs
//! on a blocking thread holding one connection ([`pg::Pg`]). Reads are one `REPEATABLE READ
//! READ ONLY` transaction (one snapshot). Writes are `READ COMMITTED` transactions made safe for
//! several writers by locks, never by process memory:
//! - filing into an enterprise's ledger takes that enterprise's advisory lock first (at the
//!   candidate lookup), so two replicas filing the same hazard at once file it one after the
//!   other, and the second finds the first's entry;
//! - an entry or a campaign record changed by a rule is loaded `FOR UPDATE`;
//! - numbers come from a counter row updated in place (its row lock orders them);
//! - the change feed and the history are written at commit, each device's feed under its own
//!   lock and the history under one lock, in that order, so their cursors follow commit order
//!   (a plain `id > since` over a sequence would skip a row that commits after a later one).
//!
//! Lock order: filing lock → entry/record rows → device feed locks (by id) → history lock.
//! Where it cannot hold, the database detects the deadlock and fails one unit of work, which
//! the phone or the officer repeats: two merges of the same two entries in opposite
//! directions, or a unit that reads the feed or the history in the middle (which writes what it
//! kept so far, taking those locks early) and then appends for a device of a smaller id.
//!
//! Layout mirrors `crate::sqlite`: [`schema`] (migrations, applied at start under an advisory
//! lock so replicas starting together do not race), `sql` (scopes and predicates), `org`,
//! `entries`, `reports`, `records`, `dedup` (the open-entry index kept by PL/pgSQL triggers),
//! `tx` (the trait implementations).

mod dedup;
mod entries;
mod org;
pub mod pg;
mod records;
mod reports;
pub mod schema;
mod sql;
mod tx;

use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use hazardsnap_ledger::repo::{Erased, ReadWork, Repository, WriteWork};
use hazardsnap_ledger::{LedgerError, LedgerResult, RepoError, RepoResult};
use tokio::runtime::Handle;

pub use pg::Pg;

/// Connections kept in the pool per replica.
const POOL_SIZE: usize = 16;

/// The PostgreSQL repository. Cheap to clone.
#[derive(Clone)]
pub struct PgRepository {
    pool: Pool,
}

/// A pooled connection inside a transaction: dropped without [`TxGuard::finish`] (a panic in
/// the unit of work), the connection is detached from the pool and closed, so no transaction
/// is ever left open on a connection the pool hands out again.
struct TxGuard {
    client: Option<deadpool_postgres::Object>,
}

impl TxGuard {
    fn client(&self) -> &deadpool_postgres::Object {
        self.client.as_ref().expect("present until finished")
    }

    fn finish(mut self) {
        self.client.take();
    }
}

impl Drop for TxGuard {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            drop(deadpool_postgres::Object::take(c));
        }
    }
}

fn worker(e: tokio::task::JoinError) -> LedgerError {
    RepoError::Worker(e.to_string()).into()
}

impl PgRepository {
    /// Connects to `url` (`postgres://user:password@host:port/db`, or `host=/socket/dir` in
    /// the key=value form) and migrates the database to the current schema under an advisory
    /// lock.
    pub async fn connect(url: &str) -> RepoResult<PgRepository> {
        let config =
            tokio_postgres::Config::from_str(url).map_err(|e| RepoError::Database(Box::new(e)))?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| RepoError::Worker(e.to_string()))?;
        let repo = PgRepository { pool };
        {
            let client = repo.get().await?;
            schema::migrate(&client).await?;
        }
        Ok(repo)
    }

    async fn get(&self) -> RepoResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => pg::db(e),
            other => RepoError::Worker(other.to_string()),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        begin: &'static str,
        write: bool,
        work: impl FnOnce(&mut Pg<'_>) -> LedgerResult<T> + Send + 'static,
    ) -> LedgerResult<T> {
        let client = self.get().await?;
        let rt = Handle::current();
        tokio::task::spawn_blocking(move || {
            let guard = TxGuard {
                client: Some(client),
            };
            rt.block_on(guard.client().batch_execute(begin))
                .map_err(pg::db)?;
            let mut tx = Pg::new(guard.client(), &rt, write);
            let out = work(&mut tx).and_then(|v| {
                if write {
                    tx.flush()?;
                }
                Ok(v)
            });
            let end = if out.is_ok() && write {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            rt.block_on(guard.client().batch_execute(end))
                .map_err(pg::db)?;
            guard.finish();
            out
        })
        .await
        .map_err(worker)?
    }
}

#[async_trait]
impl Repository for PgRepository {
    async fn read_erased(&self, work: ReadWork) -> LedgerResult<Erased> {
        self.run(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            false,
            move |tx| work(tx),
        )
        .await
    }

    async fn write_erased(&self, work: WriteWork) -> LedgerResult<Erased> {
        self.run("BEGIN ISOLATION LEVEL READ COMMITTED", true, move |tx| {
            work(tx)
        })
        .await
    }

    async fn ping(&self) -> RepoResult<()> {
        let client = self.get().await?;
        client.simple_query("SELECT 1").await.map_err(pg::db)?;
        Ok(())
    }
}

/// A repository as the ledger takes it.
pub fn shared(repo: PgRepository) -> Arc<dyn Repository> {
    Arc::new(repo)
}

/// Tests against a real PostgreSQL: `HAZARDSNAP_TEST_PG` names a server (a URL whose user may
/// create databases); each test gets a database of its own. Without it the tests say so and
/// pass, unless `HAZARDSNAP_REQUIRE_PG` is set (the test script and CI set both).
#[doc(hidden)]
pub mod testing {
    use super::PgRepository;

    /// The test server's URL, if one is configured.
    pub fn server_url() -> Option<String> {
        match std::env::var("HAZARDSNAP_TEST_PG") {
            Ok(u) if !u.is_empty() => Some(u),
            _ => {
                assert!(
                    std::env::var_os("HAZARDSNAP_REQUIRE_PG").is_none(),
                    "HAZARDSNAP_REQUIRE_PG is set but HAZARDSNAP_TEST_PG is not"
                );
                eprintln!("HAZARDSNAP_TEST_PG not set: PostgreSQL test skipped");
                None
            }
        }
    }

    /// `url` with its database replaced by `db`.
    pub fn with_database(url: &str, db: &str) -> String {
        let mut config: tokio_postgres::Config = url.parse().expect("test server URL");
        config.dbname(db);
        // Back to a key=value string the driver parses (host may be a socket folder).
        let mut parts = Vec::new();
        for h in config.get_hosts() {
            match h {
                tokio_postgres::config::Host::Tcp(s) => parts.push(format!("host={s}")),
                tokio_postgres::config::Host::Unix(p) => {
                    parts.push(format!("host={}", p.display()))
                }
            }
        }
        if let Some(p) = config.get_ports().first() {
            parts.push(format!("port={p}"));
        }
        if let Some(u) = config.get_user() {
            parts.push(format!("user={u}"));
        }
        if let Some(pw) = config.get_password() {
            parts.push(format!("password={}", String::from_utf8_lossy(pw)));
        }
        parts.push(format!("dbname={db}"));
        parts.join(" ")
    }

    /// Creates a fresh, empty database on the test server; its URL.
    pub async fn fresh_database(server: &str) -> String {
        let name = format!("hz_{}", uuid::Uuid::now_v7().simple());
        let (client, conn) = tokio_postgres::connect(server, tokio_postgres::NoTls)
            .await
            .expect("connect to the test server");
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        drop(client);
        let _ = task.await;
        with_database(server, &name)
    }

    /// A repository on a fresh database of the test server.
    pub async fn fresh_repository(server: &str) -> PgRepository {
        let url = fresh_database(server).await;
        PgRepository::connect(&url).await.expect("connect")
    }
}

#[cfg(test)]
mod tests {
    /// Replicas starting together on a new database: every one connects, the schema is
    /// migrated once, and the version is the newest.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replicas_starting_together_migrate_once() {
        let Some(server) = super::testing::server_url() else {
            return;
        };
        let url = super::testing::fresh_database(&server).await;
        let starts: Vec<_> = (0..6)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { super::PgRepository::connect(&url).await })
            })
            .collect();
        for s in starts {
            s.await.expect("task").expect("a replica starts");
        }
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        let version: i64 = client
            .query_one("SELECT version FROM schema_version", &[])
            .await
            .expect("version")
            .get(0);
        assert_eq!(version, super::schema::latest_version());
        let bands: i64 = client
            .query_one("SELECT COUNT(*) FROM dedup_bands", &[])
            .await
            .expect("bands")
            .get(0);
        assert_eq!(bands, 16, "the migration's rows are there once");
    }

    /// The conformance suite on PostgreSQL (each test on its own database).
    mod conformance {
        hazardsnap_ledger::repository_conformance!(|_dir: &std::path::Path| {
            let server = match crate::postgres::testing::server_url() {
                Some(s) => s,
                // Without a server the embedded backend stands in, so the suite still runs.
                None => {
                    return std::sync::Arc::new(
                        crate::sqlite::SqliteRepository::open(_dir.join("c.sqlite3"))
                            .expect("open"),
                    )
                        as std::sync::Arc<dyn hazardsnap_ledger::Repository>;
                }
            };
            let repo = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(crate::postgres::testing::fresh_repository(&server))
            });
            std::sync::Arc::new(repo) as std::sync::Arc<dyn hazardsnap_ledger::Repository>
        });
    }
}
