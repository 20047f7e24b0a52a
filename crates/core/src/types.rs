//! The records and enums the app sees through the FFI, and the domain vocabularies re-exported
//! to Kotlin and Swift.
//!
//! The vocabularies (report kind, category, severity, the "four protects", the "four checks",
//! ledger status) are the model crate's own enums, declared to uniffi as remote types so that
//! the apps and the server share one definition. Times cross the FFI as `SystemTime` (Kotlin
//! `java.time.Instant`, Swift `Date`, Python `datetime`).

use std::time::SystemTime;

use hazardsnap_model::{
    AtRisk, Category, CheckSource, LedgerStatus, Location, ReportKind, Severity, SuggestionStatus,
    TrainingKind,
};

use crate::outbox::LocalState;

#[uniffi::remote(Enum)]
pub enum ReportKind {
    Hazard,
    Suggestion,
}

#[uniffi::remote(Enum)]
pub enum Category {
    Rules,
    StandardWork,
    EquipmentGuarding,
    Ppe,
    FixedPosition,
    KeyPoints,
    OccupationalHealth,
    Other,
}

#[uniffi::remote(Enum)]
pub enum Severity {
    General,
    Major,
}

#[uniffi::remote(Enum)]
pub enum AtRisk {
    Oneself,
    Others,
    Equipment,
    Environment,
}

#[uniffi::remote(Enum)]
pub enum CheckSource {
    WorkerCheck,
    ExpertCheck,
    RepresentativePatrol,
    TeamCrossCheck,
}

#[uniffi::remote(Enum)]
pub enum LedgerStatus {
    PendingReview,
    Rectifying,
    AwaitingVerification,
    Closed,
    Rejected,
    Merged,
}

#[uniffi::remote(Enum)]
pub enum SuggestionStatus {
    Received,
    UnderReview,
    Adopted,
    NotAdopted,
}

#[uniffi::remote(Enum)]
pub enum TrainingKind {
    Training,
    Drill,
}

#[uniffi::remote(Record)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

/// Where a photo comes from: a file the camera wrote, or bytes the app holds.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum PhotoSource {
    /// A file path readable by the app.
    Path { path: String },
    /// The encoded image (JPEG, PNG or WebP).
    Bytes { bytes: Vec<u8> },
}

/// What the worker says about a hazard: everything of a report but its photos (报告内容).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReportContent {
    /// 隐患 or 合理化建议.
    pub kind: ReportKind,
    /// One of the "six checks" (六查) or the two others.
    pub category: Category,
    /// 一般 or 重大.
    pub severity: Severity,
    /// The "four protects" (四保) at risk.
    pub at_risk: Vec<AtRisk>,
    /// The "four checks" (四查): how it was found.
    pub source: CheckSource,
    /// What the worker wrote.
    pub note: String,
    /// 车间.
    pub workshop: Option<String>,
    /// 班组.
    pub team: Option<String>,
    /// The site point code (现场关键点), often scanned from a QR code.
    pub site_code: Option<String>,
    /// GPS position; when absent, the first photo's EXIF position is used if it has one.
    pub location: Option<Location>,
    /// Hide the reporter at enterprise level (匿名).
    pub anonymous: bool,
}

impl ReportContent {
    /// A hazard of category "other" with nothing else said: the app's starting point.
    pub fn hazard(category: Category) -> Self {
        ReportContent {
            kind: ReportKind::Hazard,
            category,
            severity: Severity::General,
            at_risk: Vec::new(),
            source: CheckSource::WorkerCheck,
            note: String::new(),
            workshop: None,
            team: None,
            site_code: None,
            location: None,
            anonymous: false,
        }
    }
}

/// A new report: its photos and what the worker says (随手拍).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CaptureRequest {
    /// In the order taken; at most 9.
    pub photos: Vec<PhotoSource>,
    /// The rest of the report.
    pub content: ReportContent,
    /// When the hazard was seen; when absent, the first photo's EXIF time, else now.
    pub captured_at: Option<SystemTime>,
    /// Keep it as an editable draft instead of queueing it for sending.
    pub draft: bool,
}

/// One photo of a report as stored on the phone.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PhotoInfo {
    /// Lowercase hex SHA-256 of the stored photo: its name on the server too.
    pub sha256: String,
    /// Size of the stored photo.
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    /// Path of the full-size photo, `None` once pruned (清理).
    pub path: Option<String>,
    /// Path of the thumbnail (缩略图); thumbnails are never pruned.
    pub thumbnail_path: String,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

/// What the server made of a report (台账状态).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ServerView {
    /// The ledger status of the entry the report is filed in.
    pub status: Option<LedgerStatus>,
    /// The ledger number (台账编号), e.g. `E001-2026-0042`.
    pub entry_number: Option<String>,
    /// When merged: the number of the entry it was merged into (合并).
    pub merged_into: Option<String>,
    /// When rejected: the officer's reason (驳回理由).
    pub reason: Option<String>,
    /// When the server last changed it.
    pub changed_at: Option<SystemTime>,
    /// For a suggestion: its own status (已收到, 评估中, 已采纳, 未采纳); the officer's reply is
    /// in `reason`.
    pub suggestion_status: Option<SuggestionStatus>,
}

/// A training session or drill the worker took part in (我的培训).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TrainingRecord {
    /// The server's id of the record.
    pub id: String,
    /// Training or drill.
    pub kind: TrainingKind,
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The topic, or a drill's scenario.
    pub topic: String,
    /// Hours.
    pub hours: f64,
}

/// The worker's own trainings and drills, as the last sync brought them (我的培训记录).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MyTrainings {
    /// The worker's roster code, when the enterprise linked this phone to a worker; without
    /// one the list is empty.
    pub worker: Option<String>,
    /// Newest first.
    pub trainings: Vec<TrainingRecord>,
    /// Hours of training and drills in the current calendar year.
    pub hours_this_year: f64,
    /// When the list was last brought from the server (none: never).
    pub synced_at: Option<SystemTime>,
}

/// A report in a list (报告列表项).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReportSummary {
    /// The UUIDv7 made at capture.
    pub id: String,
    pub local_state: LocalState,
    pub kind: ReportKind,
    pub category: Category,
    pub severity: Severity,
    /// The note, cut to 80 characters.
    pub note_preview: String,
    pub captured_at: SystemTime,
    pub photo_count: u32,
    /// Thumbnail of the first photo, if any.
    pub thumbnail_path: Option<String>,
    pub server: ServerView,
    /// Sending attempts that failed and will be retried.
    pub retry_count: u32,
    /// For `failed`: the server's reason.
    pub fail_reason: Option<String>,
}

/// One step of a report's history (处理记录).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HistoryEvent {
    pub at: SystemTime,
    /// `created`, `edited`, `queued`, `retry`, `synced`, `failed`, or a ledger status name.
    pub event: String,
    /// A short detail (the server's reason, a ledger number).
    pub detail: Option<String>,
}

/// One report with everything the phone knows of it (报告详情).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReportDetail {
    pub id: String,
    pub local_state: LocalState,
    pub content: ReportContent,
    pub captured_at: SystemTime,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    pub photos: Vec<PhotoInfo>,
    pub server: ServerView,
    pub retry_count: u32,
    /// The last transient sending error, for the "why is this still waiting" screen.
    pub last_error: Option<String>,
    pub fail_code: Option<String>,
    pub fail_reason: Option<String>,
    /// Oldest first.
    pub history: Vec<HistoryEvent>,
}

/// Which reports to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ListQuery {
    /// Only these local states; empty means all.
    pub states: Vec<LocalState>,
    /// Only this kind.
    pub kind: Option<ReportKind>,
    /// Only reports captured at or after this time.
    pub captured_from: Option<SystemTime>,
    /// Only reports captured before this time.
    pub captured_before: Option<SystemTime>,
    /// Page size; 0 means 50, more than 500 means 500.
    pub limit: u32,
    /// `next_cursor` of the previous page, for the next one.
    pub cursor: Option<String>,
}

/// A page of reports.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReportPage {
    pub items: Vec<ReportSummary>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Space the data folder uses (存储占用).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StorageUse {
    /// The database with its WAL.
    pub database_bytes: u64,
    /// Full-size photos.
    pub photo_bytes: u64,
    /// Thumbnails.
    pub thumbnail_bytes: u64,
    pub report_count: u64,
    pub photo_count: u64,
    /// Photos whose full-size file was pruned.
    pub pruned_photo_count: u64,
}

/// What pruning freed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PruneOutcome {
    /// Full-size photo files removed.
    pub photos_pruned: u64,
    pub bytes_freed: u64,
}

/// Counts per local state (for badges).
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct OutboxCounts {
    pub draft: u64,
    pub queued: u64,
    pub synced: u64,
    pub failed: u64,
}

/// The database was damaged and moved aside (数据库损坏): the app must tell the worker, and the
/// old file can be sent to support. Nothing was deleted.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DamageNotice {
    /// Folder where the damaged database and its photos were moved.
    pub moved_to: String,
    /// What was wrong, in words safe to show (no content).
    pub reason: String,
    pub at: SystemTime,
}
