//! The server's storage API: one trait, [`Store`], that the HTTP handlers and the roster import
//! speak to, with the embedded SQLite backend in [`sqlite`].
//!
//! No SQL and no database type crosses this boundary, so that a PostgreSQL backend can be added
//! beside the SQLite one (issue: scaling out) without touching a handler. Arguments are owned
//! because a backend may move them to a blocking thread.
//!
//! The write methods are each one short transaction. Two of them are the seams that later
//! features hang on: [`Store::submit_reports`] files every accepted report through one filing
//! function (ledger assignment and deduplication go there), and [`Store::change_entry_status`]
//! is how every status change of a ledger entry (隐患台账条目) is recorded, so that the devices'
//! change feed sees it.

pub mod officer;
pub mod sqlite;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hazardsnap_model::{
    ChangeFeed, EnterpriseRef, Jurisdiction, LedgerStatus, ReportSubmission, Role, Roster,
    SubmitResult,
};

use officer::{
    ActionOutcome, AdoptOutcome, DrawRecord, EntryDetail, EntrySummary, LedgerFilter, MonthlyStats,
    OfficerAction, ReportView, RevealOutcome, RewardLine, SuggestionView,
};
use uuid::Uuid;

/// A failure of the storage backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("数据库错误 / database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database was written by a newer server.
    #[error(
        "数据库版本 {found} 高于本程序支持的 {supported}，请升级服务器 / database schema {found} is newer than the supported {supported}: upgrade the server"
    )]
    TooNew {
        /// Schema version found.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("数据库中的数据无效 / corrupt stored value: {0}")]
    Corrupt(String),
    /// The blocking worker thread died.
    #[error("后台任务失败 / background task failed")]
    Worker(#[source] tokio::task::JoinError),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// An enrolled phone (设备).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its id.
    pub id: Uuid,
    /// Code of the enterprise it is enrolled to.
    pub enterprise: String,
}

/// An officer (工会/安监 人员), as known from a session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Town or enterprise code of the role's jurisdiction.
    pub scope: Option<String>,
}

/// Who a bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A phone.
    Device(Device),
    /// An officer with a live session.
    Officer(Officer),
}

/// What a successful enrollment made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// The new device's id.
    pub device_id: Uuid,
    /// Its enterprise.
    pub enterprise: EnterpriseRef,
}

/// A photo that passed verification, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRecord {
    /// Lowercase hex SHA-256 of the bytes: the photo's name.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Perceptual hash the server computed (256 bits).
    pub phash: [u8; 32],
    /// The scene signature the server computed, as its stable bytes.
    pub scene: Vec<u8>,
}

/// A report that passed protocol validation, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedReport {
    /// The report as submitted.
    pub submission: ReportSubmission,
    /// SHA-256 of its canonical JSON: what "the same content" means for idempotency.
    pub content_sha256: String,
}

impl CheckedReport {
    /// Wraps a validated submission, computing its content hash.
    pub fn new(submission: ReportSubmission) -> Self {
        use sha2::Digest;
        // The struct's own serialization is canonical: field order is fixed and floats
        // round-trip, so equal reports give equal bytes whatever JSON the phone sent.
        let canonical = serde_json::to_vec(&submission).unwrap_or_default();
        let content_sha256 = hex::encode(sha2::Sha256::digest(&canonical));
        CheckedReport {
            submission,
            content_sha256,
        }
    }
}

/// A status change of a ledger entry (台账条目状态变更), made by an officer.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// The entry.
    pub entry_id: Uuid,
    /// The new status.
    pub status: LedgerStatus,
    /// Who did it (username), for the history.
    pub actor: String,
    /// What was done, e.g. `confirm`, `reject`, `merge`.
    pub action: String,
    /// The officer's reason or note (rejections carry one).
    pub reason: Option<String>,
    /// For a merge: the entry it was merged into.
    pub merged_into: Option<Uuid>,
    /// When.
    pub at: DateTime<Utc>,
}

/// An officer's password as the import hands it to the store: already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

/// What a roster import does with one officer's password (密码).
///
/// The roster carries each officer's *initial* password. An officer who changed it through
/// the API keeps their own on every later import; only a different initial password in the
/// roster (the administrator's deliberate reset) replaces it, and then ends their sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterPassword {
    /// The roster's initial password is the one imported before: leave both hashes alone.
    Unchanged,
    /// A new officer, or a reset: this hash becomes both the initial and the current password.
    Set(PasswordHash),
}

/// What a roster import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Towns in the roster.
    pub towns: usize,
    /// Enterprises in the roster.
    pub enterprises: usize,
    /// Officers in the roster.
    pub users: usize,
    /// Enrollment codes in the roster.
    pub enrollment_codes: usize,
    /// Rows inserted, updated or deactivated: 0 when the same roster is imported again.
    pub changed_rows: usize,
}

/// Row counts of what devices have sent, to prove that a refused request stored nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Enrolled devices.
    pub devices: u64,
    /// Recorded photos.
    pub photos: u64,
    /// Accepted reports.
    pub reports: u64,
    /// Hazard ledger entries.
    pub ledger_entries: u64,
    /// Suggestions.
    pub suggestions: u64,
    /// Events of the change feed.
    pub report_events: u64,
}

/// The storage backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the backend answers (for `/healthz`).
    async fn ping(&self) -> StoreResult<()>;

    /// Whether no organisation was ever imported (for `--demo`).
    async fn has_no_organisation(&self) -> StoreResult<bool>;

    /// The hash of the initial password each officer got from the last roster import, by
    /// username, so a re-import can tell an unchanged roster password from a reset.
    async fn roster_password_hashes(&self) -> StoreResult<HashMap<String, String>>;

    /// Loads or updates the roster in one transaction. Anything no longer in the roster is
    /// deactivated, never deleted. `passwords` says, for every user, whether their password is
    /// set from the roster or left as it is.
    async fn apply_roster(
        &self,
        roster: Roster,
        passwords: HashMap<String, RosterPassword>,
    ) -> StoreResult<ImportSummary>;

    /// Turns an active enrollment code into a device whose token hashes to `token_sha256`.
    /// `None` when the code is unknown or inactive.
    async fn enroll(
        &self,
        code: String,
        device_name: String,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Enrolled>>;

    /// Who the token with this hash belongs to, if it is live.
    async fn authenticate(
        &self,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Principal>>;

    /// Revokes a device's token. `false` when no such live device exists.
    async fn revoke_device(&self, device_id: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Records an officer's session token (login itself is the officer side's work). `false`
    /// when the user is unknown or inactive.
    async fn create_session(
        &self,
        username: String,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Whether a verified photo with this name is recorded.
    async fn has_photo(&self, sha256: String) -> StoreResult<bool>;

    /// Records a verified photo (idempotent).
    async fn record_photo(&self, photo: PhotoRecord, now: DateTime<Utc>) -> StoreResult<()>;

    /// Stores a batch of validated reports from `device` in one transaction and files each
    /// accepted one; one result per report, in order. Idempotent by report id.
    async fn submit_reports(
        &self,
        device: Device,
        reports: Vec<CheckedReport>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SubmitResult>>;

    /// The device's change feed after the event cursor `since` (0: from the start), at most
    /// `limit` events.
    async fn changes(&self, device_id: Uuid, since: i64, limit: usize) -> StoreResult<ChangeFeed>;

    /// Changes an entry's status, appends it to the entry's history and tells every report
    /// filed in it through the change feed. `false` when the entry does not exist.
    async fn change_entry_status(&self, change: StatusChange) -> StoreResult<bool>;

    /// Row counts, for tests and the bench.
    async fn counts(&self) -> StoreResult<StoreCounts>;

    // --- The officer side. Every read takes the officer's jurisdiction and filters by it in
    // the backend's own query; what lies outside is reported exactly like what does not exist.

    /// The stored password hash of an active officer.
    async fn officer_password_hash(&self, username: String) -> StoreResult<Option<String>>;

    /// Replaces an officer's password hash and ends every other session of theirs.
    async fn set_officer_password(
        &self,
        username: String,
        password_hash: String,
        keep_session: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Ends a session (logout). `false` when it was not live.
    async fn revoke_session(&self, token_sha256: [u8; 32], now: DateTime<Utc>)
    -> StoreResult<bool>;

    /// The ledger entries inside `jurisdiction` that match `filter`.
    async fn list_entries(
        &self,
        jurisdiction: Jurisdiction,
        filter: LedgerFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<EntrySummary>>;

    /// One entry with its reports, photos, plan and history; `None` outside the jurisdiction.
    async fn entry_detail(
        &self,
        jurisdiction: Jurisdiction,
        entry_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<EntryDetail>>;

    /// One report; `None` outside the jurisdiction.
    async fn report_detail(
        &self,
        jurisdiction: Jurisdiction,
        report_id: Uuid,
    ) -> StoreResult<Option<ReportView>>;

    /// Whether a photo belongs to a report or an entry inside the jurisdiction.
    async fn photo_visible(&self, jurisdiction: Jurisdiction, sha256: String) -> StoreResult<bool>;

    /// Applies an officer's action through the workflow, in one transaction.
    async fn act(
        &self,
        jurisdiction: Jurisdiction,
        entry_id: Uuid,
        action: OfficerAction,
        actor: String,
        now: DateTime<Utc>,
    ) -> StoreResult<ActionOutcome>;

    /// The monthly statistics of the China calendar month starting on `month`.
    async fn monthly_stats(
        &self,
        jurisdiction: Jurisdiction,
        month: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<MonthlyStats>;

    /// Major hazards closed and suggestions adopted between two China dates (inclusive).
    async fn rewards(
        &self,
        jurisdiction: Jurisdiction,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<RewardLine>>;

    /// The suggestions inside the jurisdiction, newest first.
    async fn list_suggestions(
        &self,
        jurisdiction: Jurisdiction,
    ) -> StoreResult<Vec<SuggestionView>>;

    /// Adopts a suggestion (采纳).
    async fn adopt_suggestion(
        &self,
        jurisdiction: Jurisdiction,
        id: Uuid,
        actor: String,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<AdoptOutcome>;

    /// Draws `n` enterprises (of `town`, or of the district) from `seed` and records the draw.
    async fn create_draw(
        &self,
        town: Option<String>,
        n: u32,
        seed: u64,
        actor: String,
        now: DateTime<Utc>,
    ) -> StoreResult<DrawRecord>;

    /// A recorded draw; a town officer sees only the draws of their town.
    async fn get_draw(
        &self,
        jurisdiction: Jurisdiction,
        id: Uuid,
    ) -> StoreResult<Option<DrawRecord>>;

    /// Reveals the reporter of a report for a reward, recording who asked, when and why.
    async fn reveal_reporter(
        &self,
        jurisdiction: Jurisdiction,
        report_id: Uuid,
        actor: String,
        reason: String,
        now: DateTime<Utc>,
    ) -> StoreResult<RevealOutcome>;
}
