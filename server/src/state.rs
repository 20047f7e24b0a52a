//! The server's configuration ([`Config`]) and the typed state every handler receives
//! ([`AppState`]): the ledger service (the rules over the repository), the photo store, the
//! upload staging folder, the rate limiters (per device token, per client address) and the
//! uploads counted in the devices' photo quotas, the clock.

use hazardsnap_dedup::DedupConfig;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use hazardsnap_ledger::{Calendar, Ledger, RepoError, Repository, Settings};
use hazardsnap_model::MAX_PHOTO_BYTES;
use hazardsnap_photo::Limits;
use tokio::sync::Semaphore;

use crate::client::{ClientKey, ClientKeys};
use crate::clock::{Clock, SystemClock};
use crate::photos::{FolderPhotoStore, PhotoStore, UploadStaging};
use crate::quota::PhotoQuota;
use crate::sqlite::SqliteRepository;
use crate::throttle::LoginThrottle;

/// Name of the SQLite file inside the data folder.
pub const DB_FILE: &str = "hazardsnap.sqlite3";

/// How the server runs. [`Config::new`] gives the defaults of `CONTRACT.md`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data folder: the SQLite file, `photos/` and `uploads/` live in it.
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Largest photo upload, in bytes.
    pub max_photo_bytes: u64,
    /// Largest JSON body, in bytes.
    pub max_json_bytes: usize,
    /// Whole-request time limit. A photo upload cut by it keeps its partial bytes for resuming.
    pub request_timeout: Duration,
    /// Sustained requests per second one device token may make.
    pub device_rate_per_sec: NonZeroU32,
    /// Requests a device token may burst above the sustained rate.
    pub device_burst: NonZeroU32,
    /// Enrollments per minute for the whole server: codes are guessable secrets.
    pub enroll_per_minute: NonZeroU32,
    /// Sustained requests per second from one client address (its keyed hash, never the
    /// address: [`crate::client`]); a whole factory may sit behind one NAT address.
    pub client_rate_per_sec: NonZeroU32,
    /// Requests one client address may burst above its sustained rate.
    pub client_burst: NonZeroU32,
    /// New photos one device may store over a rolling 24 hours ([`crate::quota`]).
    pub device_photos_per_day: u64,
    /// Bytes of new photos one device may store over a rolling 24 hours.
    pub device_photo_bytes_per_day: u64,
    /// Photos decoded at the same time (each may hold up to `max_photo_bytes` plus pixels).
    pub concurrent_verifications: usize,
    /// Change-feed events per page.
    pub feed_page_size: usize,
    /// Limits of the photo pipeline for uploaded photos.
    pub photo_limits: Limits,
    /// A partial upload untouched this long is deleted.
    pub partial_upload_ttl: Duration,
    /// How long an officer's session (会话) lasts after login.
    pub session_ttl: Duration,
    /// An officer's session ends after this long unused (闲置超时).
    pub session_idle: Duration,
    /// The tile server of the site points' map (e.g. `https://tiles.example/{z}/{x}/{y}.png`);
    /// none: the site points are shown as a list (districts often have no internet).
    pub map_tiles: Option<String>,
    /// The attribution the tile server's licence asks to be shown on the map.
    pub map_attribution: Option<String>,
    /// Where the ledger's events are pushed (`--webhook-url`, `--webhook-secret`).
    pub webhook: Option<crate::webhooks::WebhookTarget>,
    /// Deduplication thresholds and weights. `serve` reads them from `DATA/dedup.toml` when
    /// that file exists (every field optional), else the measured defaults.
    pub dedup: DedupConfig,
    /// The district's calendar: its time zone decides "today" for deadlines and the year of
    /// ledger numbers (default `Asia/Shanghai`).
    pub calendar: Calendar,
    /// The day of the following month a town's monthly report is due (月报截止日, 1–28).
    pub monthly_due_day: u32,
    /// PostgreSQL instead of the embedded SQLite file (`--database-url postgres://…`); the
    /// data folder then keeps only the upload staging (and the photos, unless `photos`).
    pub database_url: Option<String>,
    /// S3-compatible storage for the photos instead of `DATA/photos` (`--photos
    /// s3://bucket/prefix`; endpoint and credentials from the `AWS_*` environment).
    pub photos: Option<String>,
}

const fn nz(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(v) => v,
        None => NonZeroU32::MIN,
    }
}

impl Config {
    /// Defaults: `./hazardsnap-data`, `127.0.0.1:8080`.
    pub fn new() -> Config {
        Config {
            data_dir: PathBuf::from("./hazardsnap-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_photo_bytes: MAX_PHOTO_BYTES,
            // 100 reports of 9 photos with long notes stay far below this.
            max_json_bytes: 2 * 1024 * 1024,
            request_timeout: Duration::from_secs(120),
            device_rate_per_sec: nz(50),
            device_burst: nz(200),
            enroll_per_minute: nz(60),
            // A factory's shift of phones syncing at once behind one NAT address stays far
            // below this; a single address flooding does not.
            client_rate_per_sec: nz(100),
            client_burst: nz(5_000),
            // A worker photographs a few dozen hazards on a busy day.
            device_photos_per_day: 2_000,
            device_photo_bytes_per_day: 2 << 30,
            concurrent_verifications: 4,
            feed_page_size: 500,
            photo_limits: Limits {
                max_input_bytes: MAX_PHOTO_BYTES as usize,
                // Stored photos are at most 1920 px on a side; anything far above is hostile.
                max_pixels: 4096 * 4096,
                ..Limits::default()
            },
            partial_upload_ttl: Duration::from_secs(7 * 24 * 3600),
            // One working day: a forgotten browser on a shared office PC does not stay logged in.
            session_ttl: Duration::from_secs(12 * 3600),
            // An hour unused: an office PC left logged in does not stay so all afternoon.
            session_idle: Duration::from_secs(3600),
            monthly_due_day: 25,
            map_tiles: None,
            map_attribution: None,
            webhook: None,
            dedup: DedupConfig::default(),
            calendar: Calendar::default(),
            database_url: None,
            photos: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data folder or the listener could not be set up.
    #[error("无法准备 {path}：{source} / cannot prepare {path}: {source}")]
    Io {
        /// What was being set up.
        path: String,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened or migrated.
    #[error("{0}")]
    Store(#[from] RepoError),
    /// `DATA/dedup.toml` is not a valid deduplication configuration.
    #[error(
        "查重配置 {path} 无效：{message} / invalid deduplication configuration {path}: {message}"
    )]
    DedupConfig {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// A start-up error about `path`.
fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> StartError {
    let path = path.display().to_string();
    move |source| StartError::Io { path, source }
}

/// What every backend keeps in the data folder: the folder itself, `DATA/dedup.toml` read over
/// the configured thresholds, the upload staging.
fn local_parts(mut config: Config) -> Result<(Config, UploadStaging), StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(io_error(&config.data_dir))?;
    config.dedup = dedup_config(&config.data_dir, &config.dedup)?;
    let uploads_dir = config.data_dir.join("uploads");
    let staging = UploadStaging::open(&uploads_dir).map_err(io_error(&uploads_dir))?;
    Ok((config, staging))
}

/// The photo store a configuration names: the folder, or S3-compatible storage
/// ([`crate::photos_s3::photo_store_from`]).
pub(crate) async fn photo_store(
    spec: Option<&str>,
    folder: &std::path::Path,
) -> std::io::Result<Arc<dyn PhotoStore>> {
    crate::photos_s3::photo_store_from(spec, folder).await
}

/// Reads `DATA/dedup.toml` over the configured defaults, when the file exists.
fn dedup_config(data_dir: &std::path::Path, base: &DedupConfig) -> Result<DedupConfig, StartError> {
    let path = data_dir.join("dedup.toml");
    let bad = |message: String| StartError::DedupConfig {
        path: path.display().to_string(),
        message,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(*base),
        Err(e) => return Err(bad(e.to_string())),
    };
    let cfg: DedupConfig = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    cfg.validate().map_err(|e| bad(e.to_string()))?;
    Ok(cfg)
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The ledger: every rule, over the repository.
    pub ledger: Ledger,
    /// Verified photos.
    pub photos: Arc<dyn PhotoStore>,
    /// Uploads in progress.
    pub staging: UploadStaging,
    /// Per-device-token request limiter.
    pub device_limiter: Arc<DefaultKeyedRateLimiter<[u8; 32]>>,
    /// Server-wide enrollment limiter.
    pub enroll_limiter: Arc<DefaultDirectRateLimiter>,
    /// Per-client-address request limiter, keyed by the address's keyed hash.
    pub client_limiter: Arc<DefaultKeyedRateLimiter<ClientKey>>,
    /// The process's random key of client addresses' hashes.
    pub client_keys: Arc<ClientKeys>,
    /// The uploads running per device, counted in its photo quota with what is stored.
    pub photo_quota: Arc<PhotoQuota>,
    /// Bounds the photos being decoded at once, and so the memory they take.
    pub verify_slots: Arc<Semaphore>,
    /// Failed-login counters.
    pub login_throttle: Arc<LoginThrottle>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// The configuration.
    pub config: Arc<Config>,
    /// What `/metrics` reports.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// Opens the embedded default under `config.data_dir`: SQLite file, photo folder, staging.
    pub fn open(config: Config) -> Result<AppState, StartError> {
        let (config, staging) = local_parts(config)?;
        let repo = SqliteRepository::open(config.data_dir.join(DB_FILE))?;
        let photos_dir = config.data_dir.join("photos");
        let photos = FolderPhotoStore::open(&photos_dir).map_err(io_error(&photos_dir))?;
        Ok(AppState::with_parts(
            Arc::new(repo),
            Arc::new(photos),
            staging,
            config,
        ))
    }

    /// Opens what the configuration names: the embedded default, or PostgreSQL
    /// (`database_url`) and S3-compatible photo storage (`photos`), each independently; the
    /// upload staging is always `DATA/uploads`.
    pub async fn start(config: Config) -> Result<AppState, StartError> {
        let (config, staging) = local_parts(config)?;
        let repo: Arc<dyn Repository> = match &config.database_url {
            Some(url) => Arc::new(crate::postgres::PgRepository::connect(url).await?),
            None => Arc::new(SqliteRepository::open(config.data_dir.join(DB_FILE))?),
        };
        let photos_dir = config.data_dir.join("photos");
        let photos = photo_store(config.photos.as_deref(), &photos_dir)
            .await
            .map_err(io_error(&photos_dir))?;
        Ok(AppState::with_parts(repo, photos, staging, config))
    }

    /// Assembles a state from its parts (another backend, a test).
    pub fn with_parts(
        repo: Arc<dyn Repository>,
        photos: Arc<dyn PhotoStore>,
        staging: UploadStaging,
        config: Config,
    ) -> AppState {
        let ledger = Ledger::new(
            repo,
            Settings {
                calendar: config.calendar,
                dedup: config.dedup,
                session_idle: chrono::Duration::from_std(config.session_idle)
                    .unwrap_or(chrono::Duration::hours(1)),
                monthly_due_day: config.monthly_due_day,
                // Reminders start five days before the due day.
                monthly_reminder_day: config.monthly_due_day.saturating_sub(5).max(1),
            },
        );
        let device_quota =
            Quota::per_second(config.device_rate_per_sec).allow_burst(config.device_burst);
        let enroll_quota = Quota::per_minute(config.enroll_per_minute);
        let client_quota =
            Quota::per_second(config.client_rate_per_sec).allow_burst(config.client_burst);
        AppState {
            ledger,
            photos,
            staging,
            device_limiter: Arc::new(RateLimiter::keyed(device_quota)),
            enroll_limiter: Arc::new(RateLimiter::direct(enroll_quota)),
            client_limiter: Arc::new(RateLimiter::keyed(client_quota)),
            client_keys: Arc::new(ClientKeys::new()),
            photo_quota: Arc::new(PhotoQuota::new()),
            verify_slots: Arc::new(Semaphore::new(config.concurrent_verifications.max(1))),
            login_throttle: Arc::new(LoginThrottle::new()),
            clock: Arc::new(SystemClock),
            config: Arc::new(config),
            metrics: Arc::new(crate::metrics::Metrics::new()),
        }
    }

    /// The same state on another clock (a test's).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> AppState {
        self.clock = clock;
        self
    }

    /// Now, by the state's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
