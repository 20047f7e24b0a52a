//! Photos in S3-compatible object storage (对象存储: AWS S3, MinIO, Ceph RGW, a cloud vendor's
//! S3 API), behind the same [`PhotoStore`] trait as the photo folder, through the
//! `object_store` crate. Objects are named like the folder's files,
//! `<prefix>/ab/cd/<sha256>`, so a photo folder copied into a bucket (`aws s3 sync`) is a
//! valid store. The endpoint, region and credentials come from the usual `AWS_*` environment
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`/`AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ALLOW_HTTP=true` for a plain-http
//! endpoint); an endpoint makes path-style requests (`endpoint/bucket/key`), which every
//! S3-compatible server answers.
//!
//! A verified photo is uploaded from its staged file and the staged file removed: in one
//! request up to [`PART_SIZE`], above that as a multipart upload of [`PART_SIZE`] parts read
//! one at a time (at most [`PARTS_IN_FLIGHT`] being sent), so a large file is never whole in
//! memory. Either way the object appears whole or not at all. A photo already stored with the
//! same size is not sent again (the name is its hash). A multipart upload cut off midway
//! (the server stopped) leaves parts that S3 keeps and bills until aborted: give the bucket a
//! lifecycle rule that aborts incomplete multipart uploads after a day.
//!
//! The credentials need `s3:GetObject`, `s3:PutObject` and `s3:ListBucket` on the bucket: S3
//! answers a missing object with 403 instead of 404 to a caller without `ListBucket`, and a
//! missing photo must read as absent, not as an error.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::BytesMut;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::photos::{FolderPhotoStore, PhotoStore};

/// Size of a multipart upload's parts, and the largest file sent in one request: S3's
/// smallest allowed part (all parts but the last must be at least this).
pub const PART_SIZE: usize = 5 * 1024 * 1024;

/// Parts of one upload being sent at once; with the one being read, the memory one upload
/// holds is at most `(PARTS_IN_FLIGHT + 1) * PART_SIZE`.
pub const PARTS_IN_FLIGHT: usize = 2;

/// How long a request is retried (5xx, timeouts, cut connections) before the error is
/// reported: below the server's whole-request limit (120 s), so an unreachable bucket
/// answers the phone with an error it can retry rather than a cut connection.
const RETRY_FOR: Duration = Duration::from_secs(60);

/// How [`S3PhotoStore::store_file`] stored a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// An object of the same name and size was already there: nothing was sent.
    AlreadyThere,
    /// Sent in one request.
    Whole,
    /// Sent as a multipart upload of this many parts.
    Multipart {
        /// Parts sent.
        parts: usize,
    },
}

/// Photos in a bucket of an S3-compatible object store, under a prefix.
#[derive(Debug, Clone)]
pub struct S3PhotoStore {
    store: Arc<dyn ObjectStore>,
    /// The prefix's segments (none: the bucket's root).
    prefix: Vec<String>,
}

/// An I/O error of the object store, with the action, the object and the cause.
fn s3_error(action: &str, what: &str, e: object_store::Error) -> io::Error {
    let kind = match &e {
        object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(
        kind,
        format!("对象存储{action}失败 {what}：{e} / object store {action} failed for {what}: {e}"),
    )
}

impl S3PhotoStore {
    /// The store of `url` (`s3://bucket` or `s3://bucket/prefix`), configured from the
    /// process's `AWS_*` environment variables (see the module's documentation). Nothing is
    /// sent: a wrong endpoint or credentials show at the first upload or read.
    pub fn from_url(url: &str) -> io::Result<S3PhotoStore> {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        S3PhotoStore::from_url_with_env(url, env)
    }

    /// Like [`S3PhotoStore::from_url`], with `env` in place of the process's environment:
    /// pairs named like the environment variables (`AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`…);
    /// names not starting with `AWS_`, or unknown to the S3 client, are ignored.
    pub fn from_url_with_env<K, V>(
        url: &str,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> io::Result<S3PhotoStore>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let invalid = |why: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("照片存储地址无效 {url}：{why} / invalid photo store address {url}: {why}"),
            )
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("应为 s3://桶/前缀 / expected s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid("缺少桶名 / no bucket name"));
        }
        let mut builder = AmazonS3Builder::new();
        for (key, value) in env {
            let key = key.as_ref();
            if !key.starts_with("AWS_") {
                continue;
            }
            if let Ok(config) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(config, value);
            }
        }
        let store = builder
            .with_bucket_name(bucket)
            .with_retry(RetryConfig {
                retry_timeout: RETRY_FOR,
                ..RetryConfig::default()
            })
            .build()
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(S3PhotoStore::with_store(Arc::new(store), prefix))
    }

    /// Photos in `store` under `prefix` (`""`: at the root); e.g. an in-memory store in a
    /// test.
    pub fn with_store(store: Arc<dyn ObjectStore>, prefix: &str) -> S3PhotoStore {
        let prefix = prefix
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        S3PhotoStore { store, prefix }
    }

    /// The underlying object store.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The object of the photo named `sha256`: `<prefix>/ab/cd/<sha256>`. Refuses a name
    /// that is not lowercase hex of at least 4 characters (it is validated before it gets
    /// here; this keeps a bad one from naming another object).
    pub fn object_of(&self, sha256: &str) -> io::Result<ObjectPath> {
        if sha256.len() < 4
            || !sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("照片名无效 / invalid photo name: {sha256:?}"),
            ));
        }
        let segments =
            self.prefix
                .iter()
                .map(String::as_str)
                .chain([&sha256[0..2], &sha256[2..4], sha256]);
        Ok(ObjectPath::from_iter(segments))
    }

    /// Uploads the staged file as the photo `sha256` (skipped when an object of that name
    /// and size is already there), then removes the staged file; how it was stored.
    pub async fn store_file(&self, sha256: &str, staged: &Path) -> io::Result<Stored> {
        let object = self.object_of(sha256)?;
        let size = tokio::fs::metadata(staged).await?.len();
        // Any error here (a 403 for a missing object, say) only means "not known to be
        // there": uploading again is harmless, and a real fault shows in the upload.
        let there = matches!(self.store.head(&object).await, Ok(meta) if meta.size == size);
        let how = if there {
            Stored::AlreadyThere
        } else if size <= PART_SIZE as u64 {
            let bytes = tokio::fs::read(staged).await?;
            self.store
                .put(&object, PutPayload::from(bytes))
                .await
                .map_err(|e| s3_error("上传 / upload", object.as_ref(), e))?;
            Stored::Whole
        } else {
            let parts = self.upload_in_parts(&object, staged).await?;
            Stored::Multipart { parts }
        };
        match tokio::fs::remove_file(staged).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        Ok(how)
    }

    /// A multipart upload of `staged` to `object`, read part by part; the parts sent. On an
    /// error the upload is aborted (its parts deleted).
    async fn upload_in_parts(&self, object: &ObjectPath, staged: &Path) -> io::Result<usize> {
        let what = object.as_ref();
        let upload = self
            .store
            .put_multipart(object)
            .await
            .map_err(|e| s3_error("上传 / upload", what, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let sent = async {
            let mut file = tokio::fs::File::open(staged).await?;
            let mut parts = 0;
            loop {
                let mut part = BytesMut::with_capacity(PART_SIZE);
                while part.len() < PART_SIZE {
                    if file.read_buf(&mut part).await? == 0 {
                        break;
                    }
                }
                if part.is_empty() {
                    break;
                }
                let last = part.len() < PART_SIZE;
                writer
                    .wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(|e| s3_error("上传 / upload", what, e))?;
                writer.put(part.freeze());
                parts += 1;
                if last {
                    break;
                }
            }
            Ok::<_, io::Error>(parts)
        }
        .await;
        match sent {
            Ok(parts) => {
                // `finish` aborts the upload itself when completing it fails.
                writer
                    .finish()
                    .await
                    .map_err(|e| s3_error("上传 / upload", what, e))?;
                Ok(parts)
            }
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(object = %what, error = %abort, "cannot abort a multipart upload");
                }
                Err(e)
            }
        }
    }
}

#[async_trait]
impl PhotoStore for S3PhotoStore {
    async fn put_file(&self, sha256: &str, staged: &Path) -> io::Result<()> {
        self.store_file(sha256, staged).await.map(|_| ())
    }

    async fn get(&self, sha256: &str) -> io::Result<Option<Vec<u8>>> {
        let object = self.object_of(sha256)?;
        let what = object.as_ref();
        let found = match self.store.get(&object).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(s3_error("读取 / read", what, e)),
        };
        let bytes = found
            .bytes()
            .await
            .map_err(|e| s3_error("读取 / read", what, e))?;
        Ok(Some(bytes.into()))
    }
}

/// The photo store `spec` names: the folder `folder` when none, S3-compatible storage for
/// `s3://bucket/prefix` (configured from the `AWS_*` environment: [`S3PhotoStore::from_url`]).
/// Any other scheme is refused.
pub async fn photo_store_from(
    spec: Option<&str>,
    folder: &Path,
) -> io::Result<Arc<dyn PhotoStore>> {
    match spec {
        None => Ok(Arc::new(FolderPhotoStore::open(folder)?)),
        Some(url) if url.starts_with("s3://") => Ok(Arc::new(S3PhotoStore::from_url(url)?)),
        // A folder of its own, e.g. one mount shared by every replica.
        Some(path) if !path.contains("://") => Ok(Arc::new(FolderPhotoStore::open(path)?)),
        Some(other) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "不支持的照片存储 / unsupported photo store: {other} (应为 s3://桶/前缀或文件夹 / expected s3://bucket/prefix or a folder)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn name(seed: u8) -> String {
        hex::encode([seed; 32])
    }

    #[test]
    fn objects_fan_out_under_the_prefix() {
        let store = S3PhotoStore::with_store(Arc::new(InMemory::new()), "/hazardsnap/photos/");
        let n = format!("abcd{}", "0".repeat(60));
        assert_eq!(
            store.object_of(&n).unwrap().as_ref(),
            format!("hazardsnap/photos/ab/cd/{n}")
        );
        let root = S3PhotoStore::with_store(Arc::new(InMemory::new()), "");
        assert_eq!(root.object_of(&n).unwrap().as_ref(), format!("ab/cd/{n}"));
        for bad in ["", "abc", "../../etc/passwd", "ABCD0000", "ab/cd"] {
            assert!(store.object_of(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn puts_are_idempotent_and_large_files_go_in_parts() {
        let dir = tempfile::tempdir().unwrap();
        let memory = Arc::new(InMemory::new());
        let store = S3PhotoStore::with_store(memory.clone(), "p");
        let small = vec![7u8; 1000];
        let large: Vec<u8> = (0..PART_SIZE * 2 + 123).map(|i| (i % 251) as u8).collect();
        for (seed, bytes, how) in [
            (1, &small, Stored::Whole),
            (2, &large, Stored::Multipart { parts: 3 }),
        ] {
            let staged = dir.path().join("staged");
            std::fs::write(&staged, bytes).unwrap();
            assert_eq!(store.store_file(&name(seed), &staged).await.unwrap(), how);
            assert!(!staged.exists());
            assert_eq!(store.get(&name(seed)).await.unwrap().as_ref(), Some(bytes));
            std::fs::write(&staged, bytes).unwrap();
            assert_eq!(
                store.store_file(&name(seed), &staged).await.unwrap(),
                Stored::AlreadyThere
            );
            assert!(!staged.exists());
        }
        // A different size under the same name (a damaged object) is replaced.
        let staged = dir.path().join("staged");
        std::fs::write(&staged, b"other").unwrap();
        assert_eq!(
            store.store_file(&name(1), &staged).await.unwrap(),
            Stored::Whole
        );
        assert_eq!(store.get(&name(3)).await.unwrap(), None);
        // A missing staged file is an error, not a silent success.
        let err = store.put_file(&name(4), &staged).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn only_folders_and_s3_are_photo_stores() {
        let dir = tempfile::tempdir().unwrap();
        assert!(photo_store_from(None, dir.path()).await.is_ok());
        let err = photo_store_from(Some("gs://bucket/x"), dir.path())
            .await
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .starts_with("不支持的照片存储 / unsupported photo store: gs://bucket/x"),
            "{err}"
        );
        let err = S3PhotoStore::from_url_with_env("s3:///x", [("AWS_REGION", "r")])
            .err()
            .unwrap();
        assert!(err.to_string().contains("no bucket name"), "{err}");
        assert!(
            S3PhotoStore::from_url_with_env(
                "s3://bucket/some/prefix",
                [
                    ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
                    ("AWS_ALLOW_HTTP", "true"),
                    ("AWS_REGION", "us-east-1"),
                    ("AWS_PROFILE", "ignored"),
                    ("HOME", "ignored"),
                ],
            )
            .is_ok()
        );
    }
}
