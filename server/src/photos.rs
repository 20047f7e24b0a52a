//! Where photo bytes live: the [`PhotoStore`] trait for verified photos (a folder now, object
//! storage later) and [`UploadStaging`], the local folder where uploads are received, resumed
//! and checked before anything is trusted.
//!
//! Staging is always local disk, whatever the photo store: the bytes must be hashed and decoded
//! before they go anywhere, and a partial upload must survive a cut connection (and a server
//! restart) so the phone can resume from its offset instead of starting over on a slow link.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

/// Home of verified photos, addressed by their lowercase hex SHA-256.
#[async_trait]
pub trait PhotoStore: Send + Sync + 'static {
    /// Moves a verified, fsynced staged file into the store under `sha256`. Idempotent: storing
    /// the same name twice keeps one copy.
    async fn put_file(&self, sha256: &str, staged: &Path) -> io::Result<()>;
    /// The bytes of a stored photo, if present.
    async fn get(&self, sha256: &str) -> io::Result<Option<Vec<u8>>>;
}

/// Photos in a folder, two levels of fan-out (`ab/cd/abcd…`) so no directory grows huge.
#[derive(Debug, Clone)]
pub struct FolderPhotoStore {
    root: PathBuf,
}

impl FolderPhotoStore {
    /// Uses (and creates) `root`.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(FolderPhotoStore { root })
    }

    /// Where the photo named `sha256` lives. The name must already be validated as hex, so it
    /// can never escape the folder.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let (a, b) = (&sha256[0..2], &sha256[2..4]);
        self.root.join(a).join(b).join(sha256)
    }
}

#[async_trait]
impl PhotoStore for FolderPhotoStore {
    async fn put_file(&self, sha256: &str, staged: &Path) -> io::Result<()> {
        let dest = self.path_of(sha256);
        if let Some(dir) = dest.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // On the file system of staging (both under --data) this is an atomic rename: the
        // photo is either absent or complete, never half-written.
        match tokio::fs::rename(staged, &dest).await {
            Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
                // A folder on another file system (`--photos /mnt/shared`, one mount for every
                // replica): copied under a temporary name, synced, renamed there.
                let tmp = dest.with_extension(format!("part-{}", std::process::id()));
                tokio::fs::copy(staged, &tmp).await?;
                tokio::fs::File::open(&tmp).await?.sync_all().await?;
                tokio::fs::rename(&tmp, &dest).await?;
                tokio::fs::remove_file(staged).await
            }
            other => other,
        }
    }

    async fn get(&self, sha256: &str) -> io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path_of(sha256)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The staging folder of uploads in progress, one `.part` file per photo name, and the set of
/// names being written right now (one writer per name).
#[derive(Debug, Clone)]
pub struct UploadStaging {
    dir: PathBuf,
    busy: Arc<Mutex<HashSet<String>>>,
}

/// Exclusive right to write one photo's partial file; released on drop, even when the client
/// disconnects and the handler future is dropped mid-write.
#[derive(Debug)]
pub struct UploadLease {
    sha256: String,
    busy: Arc<Mutex<HashSet<String>>>,
    path: PathBuf,
}

impl UploadLease {
    /// The partial file of this upload.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The photo's name.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

impl Drop for UploadLease {
    fn drop(&mut self) {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        busy.remove(&self.sha256);
    }
}

impl UploadStaging {
    /// Uses (and creates) `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(UploadStaging {
            dir,
            busy: Arc::new(Mutex::new(HashSet::new())),
        })
    }

    fn part_path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}.part"))
    }

    /// Bytes received so far for `sha256` (0 when none).
    pub async fn offset(&self, sha256: &str) -> io::Result<u64> {
        match tokio::fs::metadata(self.part_path(sha256)).await {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Takes the write lease of `sha256`; `None` while another request holds it.
    pub fn lease(&self, sha256: &str) -> Option<UploadLease> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        if !busy.insert(sha256.to_owned()) {
            return None;
        }
        Some(UploadLease {
            sha256: sha256.to_owned(),
            busy: self.busy.clone(),
            path: self.part_path(sha256),
        })
    }

    /// Deletes partial uploads untouched for longer than `max_age` (phones that never came
    /// back); returns how many. A partial being written is skipped.
    pub async fn sweep(&self, max_age: std::time::Duration) -> io::Result<usize> {
        let mut removed = 0;
        let mut dir = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = dir.next_entry().await? {
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".part"))
            else {
                continue;
            };
            let idle = entry
                .metadata()
                .await?
                .modified()?
                .elapsed()
                .unwrap_or_default();
            if idle < max_age {
                continue;
            }
            if let Some(lease) = self.lease(name) {
                self.discard(&lease).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Forgets a partial upload (bad bytes: resuming them would only fail again).
    pub async fn discard(&self, lease: &UploadLease) -> io::Result<()> {
        match tokio::fs::remove_file(lease.path()).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn sweeping_removes_idle_partials_but_not_one_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let staging = UploadStaging::open(dir.path()).unwrap();
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        for name in [&a, &b] {
            std::fs::write(dir.path().join(format!("{name}.part")), b"partial").unwrap();
        }
        assert_eq!(staging.offset(&a).await.unwrap(), 7);
        let writing = staging.lease(&b).unwrap();
        assert!(staging.lease(&b).is_none(), "one writer per photo");
        assert_eq!(staging.sweep(Duration::ZERO).await.unwrap(), 1);
        assert_eq!(staging.offset(&a).await.unwrap(), 0);
        assert_eq!(staging.offset(&b).await.unwrap(), 7);
        // Nothing is old enough under a long limit.
        drop(writing);
        assert_eq!(staging.sweep(Duration::from_secs(3600)).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn the_folder_store_fans_out_and_moves_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = FolderPhotoStore::open(dir.path().join("photos")).unwrap();
        let name = format!("abcd{}", "0".repeat(60));
        let staged = dir.path().join("staged");
        std::fs::write(&staged, b"jpeg").unwrap();
        store.put_file(&name, &staged).await.unwrap();
        assert!(!staged.exists());
        assert!(
            store
                .path_of(&name)
                .starts_with(dir.path().join("photos").join("ab").join("cd"))
        );
        assert_eq!(
            store.get(&name).await.unwrap().as_deref(),
            Some(&b"jpeg"[..])
        );
        assert_eq!(store.get(&"f".repeat(64)).await.unwrap(), None);
    }
}
