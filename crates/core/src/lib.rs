//! The hazardsnap phone core (隐患随手拍手机核心): what Kotlin and Swift call, and what the
//! desktop CLI `hazardsnap` drives.
//!
//! This file is the public uniffi surface and nothing else: one [`HazardCore`] object opened on
//! a data folder, with async methods that run their database and file work on uniffi's tokio
//! runtime (`spawn_blocking`, never `block_on`). The work itself lives in the modules:
//! [`store`] (SQLite and the photo folder), [`capture`] (photo pipeline to a report),
//! [`outbox`] (the state rules), [`schema`] (migrations), [`files`] (crash-safe files),
//! [`error`] (the internal error and the public [`HazardError`]).
//!
//! One `HazardCore` per app: it holds an exclusive lock on its data folder until it is dropped.
//! Kotlin does not free uniffi objects by itself: call `close()` (or use `use {}`) when the
//! app shuts down, or simply keep one for the process's life.

pub mod capture;
pub mod error;
pub mod files;
pub mod outbox;
pub mod schema;
pub mod store;
pub mod sync;
pub mod types;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::Utc;
pub use error::HazardError;
use error::{Error, Result};
use hazardsnap_photo::PipelineConfig;
pub use outbox::LocalState;
use store::Store;
pub use sync::{CancelToken, Enrollment, SyncOptions, SyncOutcome};
pub use types::*;

uniffi::setup_scaffolding!();

/// What a long operation reports while it runs (进度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProgressStage {
    /// Photos through the pipeline (capture).
    ProcessingPhotos,
    /// Photo bytes sent to the server.
    UploadingPhotos,
    /// Reports sent to the server.
    SendingReports,
    /// Status changes received from the server.
    FetchingChanges,
}

/// One progress step: `done` of `total` units (photos, bytes or reports, by stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Progress {
    pub stage: ProgressStage,
    pub done: u64,
    pub total: u64,
}

/// Implemented by the app to follow long operations. Called from a background thread: post to
/// the UI thread before touching views.
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    /// One step of progress.
    fn on_progress(&self, progress: Progress);
}

/// The phone core on one data folder (数据目录).
#[derive(uniffi::Object)]
pub struct HazardCore {
    store: Arc<Mutex<Store>>,
    pipeline: PipelineConfig,
    root: PathBuf,
}

impl std::fmt::Debug for HazardCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HazardCore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl HazardCore {
    /// Runs `f` with the store on a blocking thread.
    async fn with_store<T, F>(&self, f: F) -> Result<T, HazardError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let joined = tokio::task::spawn_blocking(move || {
            let mut guard = store
                .lock()
                .map_err(|_| Error::Task("store lock poisoned".into()))?;
            f(&mut guard)
        })
        .await;
        match joined {
            Ok(r) => r.map_err(HazardError::from),
            Err(e) => Err(Error::Task(e.to_string()).into()),
        }
    }

    /// Opens the core with a given photo pipeline configuration (tests and benchmarks).
    pub async fn open_with(
        data_dir: &Path,
        pipeline: PipelineConfig,
    ) -> Result<Arc<Self>, HazardError> {
        let root = data_dir.to_owned();
        let r2 = root.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&r2))
            .await
            .map_err(|e| HazardError::from(Error::Task(e.to_string())))??;
        Ok(Arc::new(HazardCore {
            store: Arc::new(Mutex::new(store)),
            pipeline,
            root,
        }))
    }

    /// Runs `f` with the store on the calling thread (the CLI's synchronous paths and tests).
    pub fn store_blocking<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut guard = self
            .store
            .lock()
            .map_err(|_| Error::Task("store lock poisoned".into()))?;
        f(&mut guard)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl HazardCore {
    /// Opens (or creates) the data folder. Fails with `Busy` when another core has it open.
    /// A damaged database is moved aside and a fresh one started: check [`Self::damage_notice`].
    #[uniffi::constructor]
    pub async fn open(data_dir: String) -> Result<Arc<Self>, HazardError> {
        Self::open_with(Path::new(&data_dir), PipelineConfig::default()).await
    }

    /// The data folder this core works on.
    pub fn data_dir(&self) -> String {
        self.root.to_string_lossy().into_owned()
    }

    /// Takes a new report: runs the photo pipeline, stores photos and report, and returns the
    /// report's id. Queued for sending unless `request.draft`. Nothing is stored on error.
    pub async fn capture(
        &self,
        request: CaptureRequest,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<String, HazardError> {
        let cfg = self.pipeline.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            let progress = |done, total| {
                if let Some(l) = &listener {
                    l.on_progress(Progress {
                        stage: ProgressStage::ProcessingPhotos,
                        done,
                        total,
                    });
                }
            };
            capture::prepare(&request, &cfg, &progress)
        })
        .await
        .map_err(|e| HazardError::from(Error::Task(e.to_string())))??;
        let id = prepared.id.to_string();
        self.with_store(move |s| s.insert(&prepared)).await?;
        Ok(id)
    }

    /// Replaces what a draft says (its photos stay). Refused once queued.
    pub async fn edit_draft(&self, id: String, content: ReportContent) -> Result<(), HazardError> {
        self.with_store(move |s| s.edit_draft(&id, &content)).await
    }

    /// Deletes a draft, or dismisses a report the server refused. Refused for queued and
    /// synced reports.
    pub async fn delete_report(&self, id: String) -> Result<(), HazardError> {
        self.with_store(move |s| s.delete(&id)).await
    }

    /// Sends a draft to the outbox; from then on it cannot change.
    pub async fn queue_report(&self, id: String) -> Result<(), HazardError> {
        self.with_store(move |s| s.queue(&id)).await
    }

    /// Reports newest first, filtered, one page at a time.
    pub async fn list_reports(&self, query: ListQuery) -> Result<ReportPage, HazardError> {
        self.with_store(move |s| s.list(&query)).await
    }

    /// One report with its photos and history.
    pub async fn get_report(&self, id: String) -> Result<ReportDetail, HazardError> {
        self.with_store(move |s| s.get(&id)).await
    }

    /// The thumbnail (JPEG) of a photo, by its sha256.
    pub async fn thumbnail(&self, sha256: String) -> Result<Vec<u8>, HazardError> {
        self.with_store(move |s| {
            // The name becomes a path: only a real hash may pass.
            if !hazardsnap_model::is_sha256_hex(&sha256) {
                return Err(Error::NotFound);
            }
            std::fs::read(s.files().thumb_path(&sha256)).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::NotFound,
                _ => Error::io("read thumbnail")(e),
            })
        })
        .await
    }

    /// Reports per local state.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, HazardError> {
        self.with_store(|s| s.counts()).await
    }

    /// Space used by the data folder.
    pub async fn storage_use(&self) -> Result<StorageUse, HazardError> {
        self.with_store(|s| s.storage_use()).await
    }

    /// Removes the full-size photos of reports closed or rejected on the server more than
    /// `older_than_days` days ago; thumbnails stay.
    pub async fn prune_photos(&self, older_than_days: u32) -> Result<PruneOutcome, HazardError> {
        self.with_store(move |s| s.prune_photos(older_than_days, Utc::now()))
            .await
    }

    /// Set when the database was found damaged and moved aside, until acknowledged.
    pub async fn damage_notice(&self) -> Result<Option<DamageNotice>, HazardError> {
        self.with_store(|s| s.damage_notice()).await
    }

    /// The worker has been told about the damaged database.
    pub async fn acknowledge_damage(&self) -> Result<(), HazardError> {
        self.with_store(|s| s.acknowledge_damage()).await
    }

    /// The worker's own trainings and drills (我的培训), as the last sync brought them, with the
    /// hours of the phone's current year. Works offline.
    pub async fn my_trainings(&self) -> Result<MyTrainings, HazardError> {
        let year = chrono::Datelike::year(&chrono::Local::now());
        self.with_store(move |s| s.trainings(year)).await
    }
}

/// The version of the core library, for support screens.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
