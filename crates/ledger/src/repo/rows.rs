//! The rows the repository loads and saves: plain data, one struct per stored thing, no rule.
//!
//! What a field *means* for the loop (whether an entry is overdue, who was first, what an
//! officer may see) is decided above, in [`crate::rules`]; a backend only has to store these
//! faithfully and give them back.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::{
    Category, Industry, LedgerStatus, RectificationPlan, ReportSubmission, Role, Severity,
};
use hazardsnap_photo::Fingerprint;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A hazard ledger entry (隐患台账条目) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryRow {
    /// Id.
    pub id: Uuid,
    /// Ledger number, e.g. `E001-2026-0042`. Never changes, never reused.
    pub number: String,
    /// Enterprise code.
    pub enterprise: String,
    /// Year of the number.
    pub year: i32,
    /// Sequence of the number within enterprise and year.
    pub seq: i64,
    /// Status in the loop.
    pub status: LedgerStatus,
    /// 一般 / 重大.
    pub severity: Severity,
    /// Category.
    pub category: Category,
    /// Escalated to the bureau (挂牌督办).
    pub escalated: bool,
    /// An extension request waits for a decision.
    pub extension_pending: bool,
    /// The deadline a pending extension asks for.
    pub requested_deadline: Option<NaiveDate>,
    /// The rectification plan (五到位), once confirmed.
    pub plan: Option<RectificationPlan>,
    /// The deadline in force (the plan's, or an approved extension's).
    pub deadline: Option<NaiveDate>,
    /// The note of the rectification (整改说明).
    pub rectified_note: Option<String>,
    /// For a merged entry, the entry it was merged into.
    pub merged_into: Option<Uuid>,
    /// The grey-zone flag of filing: possibly the same hazard as this entry.
    pub possible_duplicate_of: Option<Uuid>,
    /// The deduplication decision recorded at filing (JSON).
    pub dedup_decision: Option<String>,
    /// When it was closed (销号).
    pub closed_at: Option<DateTime<Utc>>,
    /// Filed at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// An entry with what a list shows of its enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryRecord {
    /// The entry.
    pub entry: EntryRow,
    /// The enterprise's name.
    pub enterprise_name: String,
    /// The enterprise's town code.
    pub town: String,
}

/// A report (上报) as stored, with its device's name.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// Id (the phone's UUIDv7).
    pub id: Uuid,
    /// The sending device.
    pub device_id: Uuid,
    /// Its name.
    pub device_name: String,
    /// The enterprise whose ledger received it (its site point's, geofence's or device's).
    pub enterprise: String,
    /// The submission as the phone sent it.
    pub submission: ReportSubmission,
    /// Received by the server at.
    pub received_at: DateTime<Utc>,
    /// The entry it is filed in (hazards).
    pub entry_id: Option<Uuid>,
    /// The suggestion it became.
    pub suggestion_id: Option<Uuid>,
}

/// What lists need of a report: enough to tell who found an entry first, and who took part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLink {
    /// Report id.
    pub id: Uuid,
    /// Its entry.
    pub entry_id: Option<Uuid>,
    /// The sending device.
    pub device_id: Uuid,
    /// Its name.
    pub device_name: String,
    /// Whether the report is anonymous.
    pub anonymous: bool,
    /// Captured at, by the phone's clock.
    pub captured_at: DateTime<Utc>,
    /// Received at, by the server's clock.
    pub received_at: DateTime<Utc>,
}

/// A report arriving from a phone, to be inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    /// The submission.
    pub submission: ReportSubmission,
    /// The sending device.
    pub device_id: Uuid,
    /// The device's enterprise (filing may move the report to another ledger).
    pub enterprise: String,
    /// Received at.
    pub received_at: DateTime<Utc>,
    /// SHA-256 of the submission's canonical JSON (idempotency).
    pub content_sha256: String,
}

/// How an already stored report was sent: enough to decide idempotency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReportKey {
    /// The device that sent it.
    pub device_id: Uuid,
    /// Its content hash.
    pub content_sha256: String,
    /// The entry it is filed in.
    pub entry_id: Option<Uuid>,
    /// The suggestion it became.
    pub suggestion_id: Option<Uuid>,
}

/// One append-only event of an entry's history (台账履历).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an officer's username; none for what filing did).
    pub actor: Option<String>,
    /// What, e.g. `reported`, `confirm`, `merge`, `request_extension`.
    pub action: String,
    /// Status before.
    pub from_status: Option<LedgerStatus>,
    /// Status after.
    pub to_status: LedgerStatus,
    /// The reason, note or plan, as text.
    pub details: Option<String>,
}

/// An event of a device's change feed: what became of one of its reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// The report.
    pub report_id: Uuid,
    /// Its device.
    pub device_id: Uuid,
    /// The status of its entry (or suggestion).
    pub status: LedgerStatus,
    /// The entry (or suggestion) id.
    pub entry_id: Uuid,
    /// Its number.
    pub entry_number: String,
    /// For a merge, the number of the surviving entry.
    pub merged_into: Option<String>,
    /// The officer's reason or note.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A recorded reveal of an anonymous reporter (查看匿名上报人记录).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealRecord {
    /// Who looked.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A suggestion (合理化建议 / 金点子) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionRow {
    /// Id.
    pub id: Uuid,
    /// Number, e.g. `E001-2026-S0007`.
    pub number: String,
    /// Enterprise code.
    pub enterprise: String,
    /// Year of the number.
    pub year: i32,
    /// Sequence of the number.
    pub seq: i64,
    /// Status.
    pub status: LedgerStatus,
    /// Received at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
    /// Adopted (采纳) at.
    pub adopted_at: Option<DateTime<Utc>>,
    /// Adopted by.
    pub adopted_by: Option<String>,
    /// The adoption's note.
    pub adopted_note: Option<String>,
}

/// A suggestion with the report it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionRecord {
    /// The suggestion.
    pub suggestion: SuggestionRow,
    /// Its report.
    pub report: ReportLink,
    /// The worker's text.
    pub note: String,
    /// Its category.
    pub category: Category,
}

/// A photo that passed verification (照片记录).
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

/// A town (镇/街道).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// An enterprise (企业).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Town code.
    pub town: String,
    /// Industry.
    pub industry: Industry,
    /// Private SME (非公中小企业).
    pub private_sme: bool,
    /// Still in the roster.
    pub active: bool,
}

/// A site point (现场关键点), often marked with a QR code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SitePoint {
    /// Code.
    pub code: String,
    /// Enterprise code.
    pub enterprise: String,
    /// Name.
    pub name: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Geofence radius in metres.
    pub radius_m: f64,
}

/// An officer account (工作人员账号).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Login name.
    pub username: String,
    /// Argon2id PHC string of the current password.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Town or enterprise code of the role.
    pub scope: Option<String>,
    /// Still in the roster.
    pub active: bool,
}

/// An enrollment code with the state of its enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrollmentCodeRow {
    /// The code.
    pub code: String,
    /// Its enterprise's code.
    pub enterprise: String,
    /// Its enterprise's name.
    pub enterprise_name: String,
    /// The code is still in the roster.
    pub active: bool,
    /// Its enterprise is still in the roster.
    pub enterprise_active: bool,
}

/// An enrolled phone (设备).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    /// Id.
    pub id: Uuid,
    /// SHA-256 of its token.
    pub token_sha256: [u8; 32],
    /// Enterprise code.
    pub enterprise: String,
    /// Name the worker gave it.
    pub name: String,
    /// The code it enrolled with.
    pub enrollment_code: String,
    /// When.
    pub enrolled_at: DateTime<Utc>,
    /// Revoked (a lost phone) at.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An officer's session (会话).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of its token.
    pub token_sha256: [u8; 32],
    /// Whose.
    pub username: String,
    /// Opened at.
    pub created_at: DateTime<Utc>,
    /// Ends at.
    pub expires_at: DateTime<Utc>,
    /// Ended early (logout, password change) at.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last used at (for the idle timeout); none until first used after opening.
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A supervision draw (督导随机抽查) as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawRecord {
    /// Draw id.
    pub id: Uuid,
    /// The seed, as a decimal string (a u64 does not fit every JSON reader).
    pub seed: String,
    /// Enterprises asked for.
    pub n: u32,
    /// The town it was limited to, if any.
    pub town: Option<String>,
    /// Who drew.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The candidates with their weights, in code order.
    pub candidates: Vec<DrawCandidateView>,
    /// The drawn enterprise codes, in draw order.
    pub result: Vec<String>,
}

/// A candidate of a draw, with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawCandidateView {
    /// Enterprise code.
    pub code: String,
    /// Industry.
    pub industry: Industry,
    /// Private SME (非公中小企业).
    pub private_sme: bool,
    /// Its weight in the draw.
    pub weight: u32,
}

/// One place in an enterprise's open entries that an arriving report may duplicate: a report,
/// its entry and the entry's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateHit {
    /// The candidate report.
    pub report_id: Uuid,
    /// Its open entry.
    pub entry_id: Uuid,
    /// The entry's number.
    pub entry_number: String,
}

/// The candidates of one arriving report, by the key that found them, each list in the
/// order the query asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandidateHits {
    /// Sharing a perceptual-hash band with one of its photos, newest received first.
    pub by_photo: Vec<CandidateHit>,
    /// At the same site point in the time window, newest captured first.
    pub by_site: Vec<CandidateHit>,
    /// In a nearby location cell in the time window, newest captured first.
    pub by_cell: Vec<CandidateHit>,
}

/// What scoring needs of a stored report: its submission and its photos' fingerprints.
#[derive(Debug, Clone)]
pub struct StoredFacts {
    /// The submission.
    pub submission: ReportSubmission,
    /// Fingerprints of its photos, in order.
    pub photos: Vec<Fingerprint>,
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

/// Counts by a key (an enterprise code, a town code, a status' wire name…).
pub type Tally = HashMap<String, u64>;
