//! [`Pg`]: one pooled PostgreSQL connection inside one transaction, driven from a blocking
//! thread. The ledger's units of work are synchronous closures; here each statement is sent
//! through the async driver and waited for with the runtime's handle (`block_on` is allowed on
//! a `spawn_blocking` thread), statements are prepared once per connection and cached.
//!
//! SQL is written as in the embedded backend: `?` and `?N` placeholders (turned into `$N`
//! here, outside quoted text), the same table and column names, timestamps as RFC 3339 text,
//! UUIDs as text, integers as `BIGINT`. Arguments are either the driver's own typed values
//! (`&[&(dyn ToSql + Sync)]`) or the dynamic `Value` of a built query (`sql::Q`).
//!
//! What makes several writers safe is also here, because the rules cannot see it: the change
//! feed and the history are appended at commit (`Pg::flush`), under locks taken in one fixed
//! order (each affected device, then the history), so their sequence numbers are handed out in
//! commit order and a reader following a cursor never skips a row that commits late.

use std::borrow::Cow;
use std::collections::BTreeSet;

use bytes::BytesMut;
use hazardsnap_ledger::repo::rows::{FeedEvent, HistoryEvent};
use hazardsnap_ledger::{RepoError, RepoResult};
use tokio::runtime::Handle;
use tokio_postgres::Row;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use uuid::Uuid;

/// Turns a driver error into a repository error.
pub(crate) fn db(e: tokio_postgres::Error) -> RepoError {
    RepoError::Database(Box::new(e))
}

/// Column `i` of a row.
pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    r: &'a Row,
    i: usize,
) -> RepoResult<T> {
    r.try_get(i).map_err(db)
}

/// A 0/1 `BIGINT` flag of a row (any non-zero is true, as SQLite reads it).
pub(crate) fn flag(r: &Row, i: usize) -> RepoResult<bool> {
    Ok(get::<i64>(r, i)? != 0)
}

/// A count of changed rows as the trait reports it.
pub(crate) fn changed(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A dynamically typed argument, as SQLite's: what a built query binds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// SQL NULL (of whatever type the statement expects).
    Null,
    /// An integer (`BIGINT`; narrower integer parameters take it when it fits).
    Integer(i64),
    /// A float (`DOUBLE PRECISION`).
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (`BYTEA`).
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Integer(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Integer(v.into())
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Integer(v.into())
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}
impl From<Uuid> for Value {
    fn from(v: Uuid) -> Value {
        Value::Text(v.to_string())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Value::Real(f) => f.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in `to_sql` (a mismatch is the driver's error there).
        true
    }

    to_sql_checked!();
}

/// `?` and `?N` placeholders as PostgreSQL's `$N`, outside quoted text and comments.
pub(crate) fn placeholders(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut next = 1usize;
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A stable 64-bit key of an advisory lock: a namespace and a name.
pub(crate) fn lock_key(namespace: &str, name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(namespace.as_bytes());
    h.update([0]);
    h.update(name.as_bytes());
    let d = h.finalize();
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// The key of the lock every history append takes at commit.
pub(crate) const HISTORY_LOCK: &str = "history";
/// The namespace of a device's change-feed lock.
pub(crate) const FEED_LOCK: &str = "feed";
/// The namespace of an enterprise's filing lock.
pub(crate) const FILING_LOCK: &str = "filing";

/// A connection inside one transaction, as the ledger's `ReadTx`/`WriteTx`.
pub struct Pg<'c> {
    client: &'c deadpool_postgres::Client,
    rt: &'c Handle,
    write: bool,
    feed: Vec<FeedEvent>,
    history: Vec<(Uuid, HistoryEvent)>,
    filing_locks: BTreeSet<String>,
}

impl<'c> Pg<'c> {
    /// Wraps a connection whose transaction the caller began.
    pub(crate) fn new(client: &'c deadpool_postgres::Client, rt: &'c Handle, write: bool) -> Self {
        Pg {
            client,
            rt,
            write,
            feed: Vec::new(),
            history: Vec::new(),
            filing_locks: BTreeSet::new(),
        }
    }

    fn prepare(&self, sql: &str) -> RepoResult<tokio_postgres::Statement> {
        let sql = placeholders(sql);
        self.rt
            .block_on(self.client.prepare_cached(&sql))
            .map_err(db)
    }

    /// Rows of a statement with typed arguments.
    pub(crate) fn query(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> RepoResult<Vec<Row>> {
        let st = self.prepare(sql)?;
        self.rt.block_on(self.client.query(&st, args)).map_err(db)
    }

    /// At most one row of a statement with typed arguments (more is an error).
    pub(crate) fn query_opt(
        &self,
        sql: &str,
        args: &[&(dyn ToSql + Sync)],
    ) -> RepoResult<Option<Row>> {
        let st = self.prepare(sql)?;
        self.rt
            .block_on(self.client.query_opt(&st, args))
            .map_err(db)
    }

    /// Exactly one row of a statement with typed arguments.
    pub(crate) fn query_one(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> RepoResult<Row> {
        let st = self.prepare(sql)?;
        self.rt
            .block_on(self.client.query_one(&st, args))
            .map_err(db)
    }

    /// Runs a statement with typed arguments; the rows it changed.
    pub(crate) fn execute(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> RepoResult<u64> {
        let st = self.prepare(sql)?;
        self.rt.block_on(self.client.execute(&st, args)).map_err(db)
    }

    /// Rows of a built query.
    pub(crate) fn query_q(&self, q: &super::sql::Q) -> RepoResult<Vec<Row>> {
        let args: Vec<&(dyn ToSql + Sync)> =
            q.args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        self.query(&q.sql, &args)
    }

    /// Takes (once per transaction) the lock that serialises filing into `enterprise`'s
    /// ledger across every replica: two reports of one hazard arriving at two replicas are
    /// filed one after the other, so the second finds the first's entry. Released at commit.
    pub(crate) fn lock_filing(&mut self, enterprise: &str) -> RepoResult<()> {
        if !self.write || self.filing_locks.contains(enterprise) {
            return Ok(());
        }
        self.execute(
            "SELECT pg_advisory_xact_lock(?1)",
            &[&lock_key(FILING_LOCK, enterprise)],
        )?;
        self.filing_locks.insert(enterprise.to_owned());
        Ok(())
    }

    /// Keeps a change-feed event until commit.
    pub(crate) fn defer_feed(&mut self, event: &FeedEvent) {
        self.feed.push(event.clone());
    }

    /// Keeps a history event until commit.
    pub(crate) fn defer_history(&mut self, entry: Uuid, event: &HistoryEvent) {
        self.history.push((entry, event.clone()));
    }

    /// Writes the kept feed and history events, each under its lock, in one fixed order
    /// (devices by id, then the history), and holds the locks until the transaction ends:
    /// sequence numbers are drawn after the lock, so they follow commit order. Runs before
    /// commit, and before any read of the feed or the history inside the same transaction.
    pub(crate) fn flush(&mut self) -> RepoResult<()> {
        if !self.feed.is_empty() {
            let devices: BTreeSet<Uuid> = self.feed.iter().map(|e| e.device_id).collect();
            for d in devices {
                self.execute(
                    "SELECT pg_advisory_xact_lock(?1)",
                    &[&lock_key(FEED_LOCK, &d.to_string())],
                )?;
            }
            for e in std::mem::take(&mut self.feed) {
                super::reports::insert_feed(self, &e)?;
            }
        }
        if !self.history.is_empty() {
            self.execute(
                "SELECT pg_advisory_xact_lock(?1)",
                &[&lock_key(HISTORY_LOCK, "")],
            )?;
            for (entry, e) in std::mem::take(&mut self.history) {
                super::entries::insert_history(self, entry, &e)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)"
        );
        assert_eq!(placeholders("x = ?2 OR y = ?1"), "x = $2 OR y = $1");
        assert!(matches!(placeholders("SELECT 1"), Cow::Borrowed(_)));
    }

    #[test]
    fn lock_keys_differ_by_namespace() {
        assert_ne!(lock_key(FEED_LOCK, "a"), lock_key(FILING_LOCK, "a"));
        assert_eq!(lock_key(FEED_LOCK, "a"), lock_key(FEED_LOCK, "a"));
    }
}
