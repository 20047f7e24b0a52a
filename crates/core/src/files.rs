//! The photo folder (照片目录): crash-safe writes of stored photos and thumbnails.
//!
//! Photos and thumbnails are content-addressed (`photos/<sha256>.jpg`, `thumbs/<sha256>.jpg`), so
//! a name that exists always holds complete, verified bytes: every file is written to `tmp/`,
//! fsynced, renamed into place, and the folder fsynced, before the database row that refers to it
//! is committed. A crash before the commit leaves only files that no row names; start-up empties
//! `tmp/` and removes such orphans, so after a restart every file is referenced and every
//! reference has its file.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Subfolder of full-size stored photos.
pub const PHOTOS_DIR: &str = "photos";
/// Subfolder of thumbnails.
pub const THUMBS_DIR: &str = "thumbs";
/// Subfolder of files being written.
pub const TMP_DIR: &str = "tmp";

/// The photo folders of one data folder.
#[derive(Debug, Clone)]
pub struct PhotoFiles {
    photos: PathBuf,
    thumbs: PathBuf,
    tmp: PathBuf,
}

/// What start-up cleaned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Partly written files removed from `tmp/`.
    pub temp_files: u64,
    /// Complete files that no report refers to (a crash before the commit, or a deletion whose
    /// file removal was interrupted).
    pub orphans: u64,
}

impl PhotoFiles {
    /// Creates the folders under `root` when missing.
    pub fn open(root: &Path) -> Result<Self> {
        let files = PhotoFiles {
            photos: root.join(PHOTOS_DIR),
            thumbs: root.join(THUMBS_DIR),
            tmp: root.join(TMP_DIR),
        };
        let mut created = false;
        for d in [&files.photos, &files.thumbs, &files.tmp] {
            if !d.is_dir() {
                fs::create_dir_all(d).map_err(Error::io("create photo folder"))?;
                created = true;
            }
        }
        if created {
            sync_dir(root)?;
        }
        Ok(files)
    }

    /// Where the full-size stored photo with this hash lives.
    pub fn photo_path(&self, sha256: &str) -> PathBuf {
        self.photos.join(format!("{sha256}.jpg"))
    }

    /// Where the thumbnail of the photo with this hash lives.
    pub fn thumb_path(&self, sha256: &str) -> PathBuf {
        self.thumbs.join(format!("{sha256}.jpg"))
    }

    /// Writes every `(destination, bytes)` durably: all to temp files first (each fsynced), then
    /// renamed into place, then the destination folders fsynced. When this returns, the files
    /// survive a power cut. A destination that exists already is left alone: its name is its
    /// content's hash, and it was only ever renamed into place complete.
    pub fn write_all(&self, items: &[(PathBuf, &[u8])]) -> Result<()> {
        let mut staged: Vec<(PathBuf, &Path)> = Vec::with_capacity(items.len());
        let result = (|| {
            for (dest, bytes) in items {
                if dest.exists() || staged.iter().any(|(_, d)| d == dest) {
                    continue;
                }
                let tmp = self
                    .tmp
                    .join(format!("{}.part", uuid::Uuid::new_v4().simple()));
                // Registered before the write so a failed write still removes its temp file.
                staged.push((tmp.clone(), dest.as_path()));
                let mut f = File::create(&tmp).map_err(Error::io("create temp photo"))?;
                f.write_all(bytes).map_err(Error::io("write temp photo"))?;
                f.sync_all().map_err(Error::io("fsync temp photo"))?;
            }
            let mut dirs: Vec<&Path> = Vec::new();
            for (tmp, dest) in &staged {
                fs::rename(tmp, dest).map_err(Error::io("move photo into place"))?;
                if let Some(parent) = dest.parent()
                    && !dirs.contains(&parent)
                {
                    dirs.push(parent);
                }
            }
            for d in dirs {
                sync_dir(d)?;
            }
            Ok(())
        })();
        if result.is_err() {
            for (tmp, _) in &staged {
                let _ = fs::remove_file(tmp);
            }
        }
        result
    }

    /// Removes a file; a file already gone is fine (removal is retried by the orphan sweep).
    pub fn remove(&self, path: &Path) -> Result<()> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("remove photo")(e)),
        }
    }

    /// Empties `tmp/`.
    pub fn sweep_temp(&self) -> Result<u64> {
        let mut n = 0;
        for entry in fs::read_dir(&self.tmp).map_err(Error::io("list temp folder"))? {
            let entry = entry.map_err(Error::io("list temp folder"))?;
            self.remove(&entry.path())?;
            n += 1;
        }
        Ok(n)
    }

    /// Removes every photo whose hash is not in `photos` and every thumbnail whose hash is not
    /// in `thumbs`. Files not named like ours are left alone.
    pub fn sweep_orphans(&self, photos: &HashSet<String>, thumbs: &HashSet<String>) -> Result<u64> {
        let mut n = 0;
        for (dir, keep) in [(&self.photos, photos), (&self.thumbs, thumbs)] {
            let mut removed = false;
            for entry in fs::read_dir(dir).map_err(Error::io("list photo folder"))? {
                let entry = entry.map_err(Error::io("list photo folder"))?;
                let name = entry.file_name();
                let Some(sha) = name.to_str().and_then(|n| n.strip_suffix(".jpg")) else {
                    continue;
                };
                if hazardsnap_model::is_sha256_hex(sha) && !keep.contains(sha) {
                    self.remove(&entry.path())?;
                    n += 1;
                    removed = true;
                }
            }
            if removed {
                sync_dir(dir)?;
            }
        }
        Ok(n)
    }

    /// Bytes in the full-size photo folder and in the thumbnail folder.
    pub fn usage(&self) -> Result<(u64, u64)> {
        Ok((dir_bytes(&self.photos)?, dir_bytes(&self.thumbs)?))
    }
}

fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir).map_err(Error::io("list photo folder"))? {
        let entry = entry.map_err(Error::io("list photo folder"))?;
        if let Ok(meta) = entry.metadata()
            && meta.is_file()
        {
            total += meta.len();
        }
    }
    Ok(total)
}

/// Makes a folder's entries (new names, renames, removals) durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    // Opening a directory read-only and fsyncing it is how POSIX persists its entries; Windows
    // cannot open directories this way, and the phone platforms are POSIX.
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("fsync folder"))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_land_complete_and_temp_is_swept() {
        let dir = tempfile::tempdir().unwrap();
        let files = PhotoFiles::open(dir.path()).unwrap();
        let sha = "a".repeat(64);
        let p = files.photo_path(&sha);
        files
            .write_all(&[(p.clone(), b"jpeg bytes".as_slice())])
            .unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"jpeg bytes");
        fs::write(dir.path().join(TMP_DIR).join("x.part"), b"half").unwrap();
        assert_eq!(files.sweep_temp().unwrap(), 1);
        let keep: HashSet<String> = HashSet::new();
        assert_eq!(files.sweep_orphans(&keep, &keep).unwrap(), 1);
        assert!(!p.exists());
    }
}
