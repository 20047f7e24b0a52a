//! `hazardsnap-server migrate-store --from A --to B [--photos LOCATION]`: copies a district's
//! whole store between the embedded default (a data folder) and PostgreSQL, in either
//! direction, and verifies it.
//!
//! Rows are copied table by table in the order their foreign keys need, as they are (ids,
//! ledger numbers, the history's and the change feed's sequence numbers included, so phones'
//! cursors and webhook cursors stay valid), with "insert unless present", so a re-run after an
//! interruption copies only what is missing. The derived open-entry index is not copied: the
//! target's own triggers build it from the rows. Each table is then verified: the same number
//! of rows and the same SHA-256 over every row in primary-key order on both sides. Photos go
//! to (or come from) the PostgreSQL side's photo store, `LOCATION` (`s3://bucket/prefix` or a
//! folder), each read back and its hash checked against its name. Run it with the servers
//! stopped; it refuses a target whose rows differ from the source's.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use sha2::{Digest, Sha256};

use crate::photos::{FolderPhotoStore, PhotoStore};
use crate::postgres::PgRepository;
use crate::postgres::pg::Value;
use crate::sqlite::SqliteRepository;
use crate::state::DB_FILE;

/// The copied tables, parents before children. The open-entry index (`dedup_open_*`,
/// `dedup_bands`) is derived and left to the target's triggers; the schema's own version is
/// the target's.
pub const TABLES: &[&str] = &[
    "meta",
    "towns",
    "enterprises",
    "workshops",
    "teams",
    "site_points",
    "users",
    "enrollment_codes",
    "workers",
    "devices",
    "sessions",
    "photos",
    "number_sequences",
    "ledger_entries",
    "suggestions",
    "reports",
    "report_photos",
    "entry_history",
    "report_events",
    "entry_photos",
    "reveal_audit",
    "supervision_draws",
    "campaign_records",
    "webhook_cursors",
];

/// Tables whose id column is drawn from a sequence (PostgreSQL's identity must move past the
/// copied ids).
const IDENTITY_TABLES: &[&str] = &["entry_history", "report_events", "reveal_audit"];

/// What one table's copy found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// The table.
    pub table: String,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows copied by this run (the rest were there already).
    pub copied: u64,
    /// SHA-256 of the source's rows, in primary-key order.
    pub sha256: String,
}

/// What a whole run did.
#[derive(Debug, Clone, Default)]
pub struct MigrateReport {
    /// Per table, in copy order.
    pub tables: Vec<TableReport>,
    /// Photos the source names.
    pub photos: u64,
    /// Photos copied by this run.
    pub photos_copied: u64,
    /// Where the photos are: not copied, when no photo location was given.
    pub photos_note: Option<String>,
}

impl fmt::Display for MigrateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tables {
            writeln!(
                f,
                "{:<18} {:>8} 行 / rows, 本次复制 {:>8} / copied, sha256 {} ✓",
                t.table,
                t.source_rows,
                t.copied,
                &t.sha256[..16]
            )?;
        }
        match &self.photos_note {
            Some(n) => writeln!(f, "{n}")?,
            None => writeln!(
                f,
                "照片 {} 张，本次复制 {} 张，逐张校验哈希 ✓ / {} photos, {} copied, every hash verified",
                self.photos, self.photos_copied, self.photos, self.photos_copied
            )?,
        }
        writeln!(
            f,
            "迁移完成，行数与哈希一致 / store migrated: counts and hashes agree"
        )
    }
}

/// One side of a migration.
enum Side {
    Folder(PathBuf),
    Postgres(String),
}

fn side(s: &str) -> Side {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") || s.contains("host=") {
        Side::Postgres(s.to_owned())
    } else {
        Side::Folder(PathBuf::from(s))
    }
}

/// Rows of a table, as values, with the names of its columns.
struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

fn digest(rows: &[Vec<Value>]) -> String {
    let mut h = Sha256::new();
    for row in rows {
        for v in row {
            match v {
                Value::Null => h.update([0]),
                Value::Integer(i) => {
                    h.update([1]);
                    h.update(i.to_be_bytes());
                }
                Value::Real(r) => {
                    h.update([2]);
                    h.update(r.to_bits().to_be_bytes());
                }
                Value::Text(t) => {
                    h.update([3]);
                    h.update((t.len() as u64).to_be_bytes());
                    h.update(t.as_bytes());
                }
                Value::Blob(b) => {
                    h.update([4]);
                    h.update((b.len() as u64).to_be_bytes());
                    h.update(b);
                }
            }
        }
        h.update([0xff]);
    }
    hex::encode(h.finalize())
}

/// The embedded store's tables, through one connection.
struct SqliteSide {
    conn: rusqlite::Connection,
}

impl SqliteSide {
    fn open(dir: &Path) -> anyhow::Result<SqliteSide> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("无法创建 / cannot create {}", dir.display()))?;
        let path = dir.join(DB_FILE);
        // Creates and migrates it when new.
        drop(SqliteRepository::open(&path)?);
        let conn = rusqlite::Connection::open(&path)?;
        crate::sqlite::schema::configure(&conn)?;
        Ok(SqliteSide { conn })
    }

    fn primary_key(&self, table: &str) -> anyhow::Result<Vec<String>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT name, pk FROM pragma_table_info('{table}')"
        ))?;
        let mut cols: Vec<(i64, String)> = st
            .query_map([], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, String>(0)?)))?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|(pk, _)| *pk > 0)
            .collect();
        cols.sort();
        Ok(cols.into_iter().map(|(_, c)| c).collect())
    }

    fn columns(&self, table: &str) -> anyhow::Result<Vec<String>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))?;
        let cols = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        if cols.is_empty() {
            bail!("没有表 / no table {table}");
        }
        Ok(cols)
    }

    fn read(&self, table: &str, columns: &[String], key: &[String]) -> anyhow::Result<Rows> {
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY {}",
            columns.join(", "),
            key.join(", ")
        );
        let mut st = self.conn.prepare(&sql)?;
        let n = columns.len();
        let rows = st
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(v) => Value::Integer(v),
                            rusqlite::types::ValueRef::Real(v) => Value::Real(v),
                            rusqlite::types::ValueRef::Text(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                            rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Value>>>()
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rows {
            columns: columns.to_vec(),
            rows,
        })
    }

    fn insert(&mut self, table: &str, rows: &Rows) -> anyhow::Result<u64> {
        let tx = self.conn.transaction()?;
        let mut copied = 0;
        {
            let marks = vec!["?"; rows.columns.len()].join(", ");
            let mut st = tx.prepare(&format!(
                "INSERT OR IGNORE INTO {table} ({}) VALUES ({marks})",
                rows.columns.join(", ")
            ))?;
            for row in &rows.rows {
                let args: Vec<rusqlite::types::Value> = row.iter().map(to_sqlite).collect();
                copied += st.execute(rusqlite::params_from_iter(args))? as u64;
            }
        }
        tx.commit()?;
        Ok(copied)
    }

    fn execute(&self, sql: &str, args: &[Value]) -> anyhow::Result<()> {
        let args: Vec<rusqlite::types::Value> = args.iter().map(to_sqlite).collect();
        self.conn.execute(sql, rusqlite::params_from_iter(args))?;
        Ok(())
    }
}

fn to_sqlite(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Integer(i) => rusqlite::types::Value::Integer(*i),
        Value::Real(r) => rusqlite::types::Value::Real(*r),
        Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
        Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
    }
}

/// PostgreSQL's tables, through one connection.
struct PgSide {
    client: tokio_postgres::Client,
}

impl PgSide {
    async fn open(url: &str) -> anyhow::Result<PgSide> {
        // Creates and migrates the schema when new.
        drop(PgRepository::connect(url).await?);
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::warn!(error = %e, "migrate-store: PostgreSQL connection ended");
            }
        });
        Ok(PgSide { client })
    }

    async fn read(&self, table: &str, columns: &[String], key: &[String]) -> anyhow::Result<Rows> {
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY {}",
            columns.join(", "),
            key.join(", ")
        );
        let mut rows = Vec::new();
        for r in self.client.query(&sql, &[]).await? {
            let mut row = Vec::with_capacity(columns.len());
            for (i, c) in r.columns().iter().enumerate() {
                use tokio_postgres::types::Type;
                let v = match *c.type_() {
                    Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Integer),
                    Type::INT4 => r
                        .try_get::<_, Option<i32>>(i)?
                        .map(|v| Value::Integer(v.into())),
                    Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map(Value::Real),
                    Type::TEXT | Type::VARCHAR => {
                        r.try_get::<_, Option<String>>(i)?.map(Value::Text)
                    }
                    Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob),
                    Type::BOOL => r
                        .try_get::<_, Option<bool>>(i)?
                        .map(|b| Value::Integer(b.into())),
                    ref other => bail!(
                        "{table}.{}: 不支持的类型 / unsupported type {other}",
                        c.name()
                    ),
                };
                row.push(v.unwrap_or(Value::Null));
            }
            rows.push(row);
        }
        Ok(Rows {
            columns: columns.to_vec(),
            rows,
        })
    }

    async fn insert(&mut self, table: &str, rows: &Rows) -> anyhow::Result<u64> {
        let tx = self.client.transaction().await?;
        let marks: Vec<String> = (1..=rows.columns.len()).map(|i| format!("${i}")).collect();
        let st = tx
            .prepare(&format!(
                "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
                rows.columns.join(", "),
                marks.join(", ")
            ))
            .await?;
        let mut copied = 0;
        for row in &rows.rows {
            let args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = row
                .iter()
                .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            copied += tx.execute(&st, &args).await?;
        }
        if IDENTITY_TABLES.contains(&table) {
            tx.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 GREATEST((SELECT MAX(id) FROM {table}), 1))"
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(copied)
    }

    async fn execute(&self, sql: &str, args: &[Value]) -> anyhow::Result<()> {
        let sql = crate::postgres::pg::placeholders(sql);
        let args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        self.client.execute(sql.as_ref(), &args).await?;
        Ok(())
    }
}

/// Either side, the same questions.
enum Store {
    Sqlite(Box<SqliteSide>),
    Pg(PgSide),
}

impl Store {
    async fn open(s: &Side) -> anyhow::Result<Store> {
        Ok(match s {
            Side::Folder(d) => {
                let d = d.clone();
                Store::Sqlite(Box::new(
                    tokio::task::spawn_blocking(move || SqliteSide::open(&d)).await??,
                ))
            }
            Side::Postgres(u) => Store::Pg(PgSide::open(u).await?),
        })
    }

    async fn read(&self, table: &str, columns: &[String], key: &[String]) -> anyhow::Result<Rows> {
        match self {
            Store::Sqlite(s) => tokio::task::block_in_place(|| s.read(table, columns, key)),
            Store::Pg(p) => p.read(table, columns, key).await,
        }
    }

    async fn insert(&mut self, table: &str, rows: &Rows) -> anyhow::Result<u64> {
        match self {
            Store::Sqlite(s) => tokio::task::block_in_place(|| s.insert(table, rows)),
            Store::Pg(p) => p.insert(table, rows).await,
        }
    }

    async fn execute(&self, sql: &str, args: &[Value]) -> anyhow::Result<()> {
        match self {
            Store::Sqlite(s) => tokio::task::block_in_place(|| s.execute(sql, args)),
            Store::Pg(p) => p.execute(sql, args).await,
        }
    }
}

/// A photo location: `s3://…` or a folder.
async fn photo_location(spec: &str) -> anyhow::Result<Arc<dyn PhotoStore>> {
    Ok(crate::state::photo_store(Some(spec), Path::new(spec)).await?)
}

/// Copies the photos named by `names` from `from` to `to`, verifying each by its hash.
async fn copy_photos(
    names: &[String],
    from: &dyn PhotoStore,
    to: &dyn PhotoStore,
    staging: &Path,
) -> anyhow::Result<u64> {
    std::fs::create_dir_all(staging)?;
    let mut copied = 0;
    for name in names {
        let present = match to.get(name).await? {
            Some(bytes) => hex::encode(Sha256::digest(&bytes)) == *name,
            None => false,
        };
        if !present {
            let bytes = from.get(name).await?.ok_or_else(|| {
                anyhow!("照片 {name} 在来源中不存在 / photo {name} is missing from the source")
            })?;
            if hex::encode(Sha256::digest(&bytes)) != *name {
                bail!("来源照片 {name} 已损坏 / the source's photo {name} is damaged");
            }
            let tmp = staging.join(format!("{name}.migrate"));
            tokio::fs::write(&tmp, &bytes).await?;
            to.put_file(name, &tmp).await?;
            copied += 1;
        }
        let back = to.get(name).await?.ok_or_else(|| {
            anyhow!("照片 {name} 复制后读不到 / photo {name} unreadable after copy")
        })?;
        if hex::encode(Sha256::digest(&back)) != *name {
            bail!("照片 {name} 复制后哈希不符 / photo {name} has another hash after the copy");
        }
    }
    Ok(copied)
}

/// Runs a migration (see the module's documentation).
pub async fn migrate_store(
    from: &str,
    to: &str,
    photos: Option<&str>,
) -> anyhow::Result<MigrateReport> {
    let (from_side, to_side) = (side(from), side(to));
    let (src_dir, dst_dir) = match (&from_side, &to_side) {
        (Side::Folder(d), Side::Postgres(_)) => (Some(d.clone()), None),
        (Side::Postgres(_), Side::Folder(d)) => (None, Some(d.clone())),
        _ => bail!(
            "一端须为数据目录，另一端为 postgres:// 地址 / one side must be a data folder, the other a postgres:// URL"
        ),
    };
    if let Some(d) = &src_dir
        && !d.join(DB_FILE).exists()
    {
        bail!(
            "{} 中没有数据库 / no database in {}",
            d.display(),
            d.display()
        );
    }
    let source = Store::open(&from_side).await?;
    let mut target = Store::open(&to_side).await?;
    // The primary keys and columns, read from the embedded schema (the same on both sides).
    let reference = {
        let mut conn = rusqlite::Connection::open_in_memory()?;
        crate::sqlite::schema::migrate(&mut conn)?;
        SqliteSide { conn }
    };
    let mut report = MigrateReport::default();
    for table in TABLES {
        let columns = reference.columns(table)?;
        let key = reference.primary_key(table)?;
        let key = if key.is_empty() { columns.clone() } else { key };
        let rows = source.read(table, &columns, &key).await?;
        let copied = if *table == "ledger_entries" {
            // `merged_into` names another entry: rows first without it, then the links.
            let mi = columns
                .iter()
                .position(|c| c == "merged_into")
                .ok_or_else(|| anyhow!("ledger_entries.merged_into"))?;
            let mut bare = Rows {
                columns: rows.columns.clone(),
                rows: rows.rows.clone(),
            };
            for r in &mut bare.rows {
                r[mi] = Value::Null;
            }
            let n = target.insert(table, &bare).await?;
            for r in &rows.rows {
                if r[mi] != Value::Null {
                    target
                        .execute(
                            "UPDATE ledger_entries SET merged_into = ?1 WHERE id = ?2 AND merged_into IS NULL",
                            &[r[mi].clone(), r[0].clone()],
                        )
                        .await?;
                }
            }
            n
        } else {
            target.insert(table, &rows).await?
        };
        let sha = digest(&rows.rows);
        let there = target.read(table, &columns, &key).await?;
        if there.rows.len() != rows.rows.len() || digest(&there.rows) != sha {
            bail!(
                "表 {table} 校验不符：来源 {} 行，目标 {} 行（目标中已有不同的数据？）/ table {table} differs: {} rows in the source, {} in the target (did the target hold other data?)",
                rows.rows.len(),
                there.rows.len(),
                rows.rows.len(),
                there.rows.len()
            );
        }
        report.tables.push(TableReport {
            table: (*table).to_owned(),
            source_rows: rows.rows.len() as u64,
            copied,
            sha256: sha,
        });
    }
    // Photos: to or from the PostgreSQL side's location.
    let names: Vec<String> = source
        .read("photos", &["sha256".to_owned()], &["sha256".to_owned()])
        .await?
        .rows
        .into_iter()
        .filter_map(|r| match r.into_iter().next() {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        })
        .collect();
    report.photos = names.len() as u64;
    match (photos, src_dir, dst_dir) {
        (Some(loc), Some(src), None) => {
            let from_store = FolderPhotoStore::open(src.join("photos"))?;
            let to_store = photo_location(loc).await?;
            report.photos_copied = copy_photos(
                &names,
                &from_store,
                to_store.as_ref(),
                &src.join("uploads").join("migrate"),
            )
            .await?;
        }
        (Some(loc), None, Some(dst)) => {
            let from_store = photo_location(loc).await?;
            let to_store = FolderPhotoStore::open(dst.join("photos"))?;
            report.photos_copied = copy_photos(
                &names,
                from_store.as_ref(),
                &to_store,
                &dst.join("uploads").join("migrate"),
            )
            .await?;
        }
        (None, Some(src), _) => {
            // The photos stay where they are; check every one is there and whole.
            let store = FolderPhotoStore::open(src.join("photos"))?;
            let mut missing = 0usize;
            for n in &names {
                match store.get(n).await? {
                    Some(b) if hex::encode(Sha256::digest(&b)) == *n => {}
                    _ => missing += 1,
                }
            }
            if missing > 0 {
                bail!("{missing} 张照片缺失或损坏 / {missing} photos missing or damaged");
            }
            report.photos_note = Some(format!(
                "照片 {} 张留在 {}（均已校验），以 --data {} 与 --database-url 启动服务 / {} photos stay in {} (all verified): serve with --data {} and --database-url",
                names.len(),
                src.join("photos").display(),
                src.display(),
                names.len(),
                src.join("photos").display(),
                src.display()
            ));
        }
        (None, None, Some(dst)) => {
            report.photos_note = Some(format!(
                "照片未复制：请用 --photos 指明数据库一侧的照片位置，或自行复制到 {} / photos not copied: name the database side's photo location with --photos, or copy them into {}",
                dst.join("photos").display(),
                dst.join("photos").display()
            ));
        }
        _ => unreachable!("one side is a folder"),
    }
    Ok(report)
}
