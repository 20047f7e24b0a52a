//! The online backup of the embedded default (在线备份): `hazardsnap-server backup --data DIR
//! FILE` copies the district's SQLite database while the server runs and keeps writing.
//!
//! The copy is SQLite's own `VACUUM INTO`, run in one read transaction: in WAL mode a reader
//! sees one committed state and never blocks the writer, so the backup is exactly the database
//! as of one commit — never a torn mix — and the server goes on filing reports meanwhile. It is
//! written beside `FILE` under a temporary name, checked (`PRAGMA integrity_check`, the schema
//! version, the row counts), synced to disk, and only then renamed to `FILE`: a backup that
//! fails or is interrupted never leaves a half file under the name a restore would use.
//!
//! Photos are not in the database: they are files named by their SHA-256 under `DIR/photos`,
//! written once and never changed. The database only names photos already stored when it
//! committed, so copying the photo folder *after* the database (`rsync -a DIR/photos/ …`)
//! always gives a consistent pair; the command prints how many photos the backup names and
//! whether each is on disk now.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::photos::FolderPhotoStore;
use crate::state::DB_FILE;

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    /// The backup file.
    pub file: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The schema version it carries.
    pub schema_version: i64,
    /// Reports in it.
    pub reports: i64,
    /// Ledger entries in it.
    pub entries: i64,
    /// Photos it names.
    pub photos: i64,
    /// Of those, the ones missing from the data folder's photo store now (should be none).
    pub photos_missing: i64,
}

/// Why a backup failed; the target file is then untouched.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// No database in the data folder.
    #[error("数据目录中没有数据库 {0} / no database in the data folder: {0}")]
    NoDatabase(PathBuf),
    /// SQLite refused.
    #[error("数据库错误 / database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The copy failed its check.
    #[error("备份校验失败 / the backup failed its check: {0}")]
    Check(String),
    /// A file operation failed.
    #[error("文件错误 / file error: {0}")]
    Io(#[from] std::io::Error),
}

/// Copies the database of the data folder `data` into `file` while the server may run.
pub fn backup(data: &Path, file: &Path) -> Result<BackupSummary, BackupError> {
    let db = data.join(DB_FILE);
    if !db.is_file() {
        return Err(BackupError::NoDatabase(db));
    }
    let source = Connection::open_with_flags(
        &db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The server may hold the write lock for a moment; a reader only waits for WAL recovery.
    source.busy_timeout(std::time::Duration::from_secs(30))?;

    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let partial = file.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let result = copy_and_check(&source, &partial, data);
    match result {
        Ok(mut summary) => {
            std::fs::rename(&partial, file)?;
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                // The rename itself reaches the disk.
                std::fs::File::open(dir)?.sync_all()?;
            }
            summary.file = file.to_path_buf();
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn copy_and_check(
    source: &Connection,
    partial: &Path,
    data: &Path,
) -> Result<BackupSummary, BackupError> {
    source.execute("VACUUM INTO ?1", [partial.to_string_lossy().as_ref()])?;
    std::fs::File::open(partial)?.sync_all()?;

    let copy = Connection::open_with_flags(partial, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(BackupError::Check(check));
    }
    let live_version: i64 = source.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let schema_version: i64 = copy.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if schema_version != live_version {
        return Err(BackupError::Check(format!(
            "schema version {schema_version} ≠ {live_version}"
        )));
    }
    let count = |table: &str| -> Result<i64, rusqlite::Error> {
        copy.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
    };
    let (reports, entries, photos) = (
        count("reports")?,
        count("ledger_entries")?,
        count("photos")?,
    );
    let store = FolderPhotoStore::open(data.join("photos"))?;
    let mut missing = 0;
    let mut names = copy.prepare("SELECT sha256 FROM photos")?;
    let mut rows = names.query([])?;
    while let Some(row) = rows.next()? {
        let sha: String = row.get(0)?;
        // Names in the database were validated as hex SHA-256 when stored.
        if sha.len() != 64 || !store.path_of(&sha).is_file() {
            missing += 1;
        }
    }
    Ok(BackupSummary {
        file: partial.to_path_buf(),
        bytes: std::fs::metadata(partial)?.len(),
        schema_version,
        reports,
        entries,
        photos,
        photos_missing: missing,
    })
}
