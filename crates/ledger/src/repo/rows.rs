//! The rows the repository loads and saves: plain data, one struct per stored thing, no rule.
//!
//! What a field *means* for the loop (whether an entry is overdue, who was first, what an
//! officer may see) is decided above, in [`crate::rules`]; a backend only has to store these
//! faithfully and give them back.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::{
    Category, Industry, LedgerStatus, RectificationPlan, ReportSubmission, Role, Severity,
    SuggestionStatus,
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
    /// Listed supervision (挂牌督办) since the entry was escalated.
    pub supervision: Option<Supervision>,
}

/// Where an escalation to the work-safety bureau stands (挂牌督办).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupervisionState {
    /// Escalated; the bureau has not decided.
    Requested,
    /// The bureau accepted: the entry is listed (挂牌) until the bureau lifts it (摘牌).
    Accepted,
    /// The bureau declined, with a reason; the unions carry on.
    Declined,
    /// The bureau verified the rectification and lifted it (摘牌): closed.
    Lifted,
}

/// Listed supervision of an entry, as the bureau decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supervision {
    /// Where it stands.
    pub state: SupervisionState,
    /// The supervising unit (督办单位), once accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The bureau's deadline, once accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    /// Who decided last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The decision's reason or note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// For a suggestion: its own status.
    pub suggestion: Option<SuggestionStatus>,
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
    /// Its own status (received, under review, adopted, not adopted).
    pub review: SuggestionStatus,
    /// The officer's reply, which the worker sees on the phone.
    pub reply: Option<String>,
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
    /// The device that uploaded it, counted against that device's photo quota; none for a
    /// photo an officer uploaded or the server made (a page's after-photo, the demo's).
    pub uploaded_by: Option<Uuid>,
}

/// The photos one device stored since a moment: what its photo quota (照片配额) counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhotoUploads {
    /// Photos it was the first to store.
    pub photos: u64,
    /// Their bytes.
    pub bytes: u64,
    /// When the oldest of them was stored.
    pub oldest: Option<DateTime<Utc>>,
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
    /// The worker (职工 code of the roster) it belongs to, when known.
    pub worker: Option<String>,
    /// For an officer's desk (`rules::desk`): the officer. A desk is not a phone.
    pub officer: Option<String>,
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

/// A worker (职工) of the roster, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRow {
    /// Code, unique in the district.
    pub code: String,
    /// Name.
    pub name: String,
    /// Enterprise code.
    pub enterprise: String,
    /// Workshop (车间).
    pub workshop: Option<String>,
    /// Team (班组).
    pub team: Option<String>,
    /// Still in the roster.
    pub active: bool,
}

/// A team (班组) of an enterprise's workshop, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    /// Enterprise code.
    pub enterprise: String,
    /// Workshop (车间).
    pub workshop: String,
    /// Team.
    pub team: String,
}

/// What kind of campaign record (活动记录) a [`RecordRow`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A town's monthly progress report (月报), keyed `YYYY-MM/TOWN`.
    MonthlyReport,
    /// A safety training session (安全培训) or an emergency drill (应急演练).
    Training,
    /// A supervision visit (督导检查) to an enterprise.
    Visit,
    /// A reward granted (奖励登记), keyed by its subject.
    Reward,
}

impl RecordKind {
    /// The stored name (stable: never renamed).
    pub fn stored(self) -> &'static str {
        match self {
            RecordKind::MonthlyReport => "monthly_report",
            RecordKind::Training => "training",
            RecordKind::Visit => "visit",
            RecordKind::Reward => "reward",
        }
    }

    /// The kind of a stored name.
    pub fn from_stored(s: &str) -> Option<RecordKind> {
        [
            RecordKind::MonthlyReport,
            RecordKind::Training,
            RecordKind::Visit,
            RecordKind::Reward,
        ]
        .into_iter()
        .find(|k| k.stored() == s)
    }
}

/// A campaign record as stored: the columns records are found by, and the record itself as a
/// JSON document whose shape belongs to the rules of its kind (`rules::monthly`,
/// `rules::training`, `rules::visits`). A backend stores the body as it is given.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    /// Kind.
    pub kind: RecordKind,
    /// Id.
    pub id: Uuid,
    /// Unique within its kind when set (a monthly report's `YYYY-MM/TOWN`).
    pub key: Option<String>,
    /// The town it belongs to.
    pub town: Option<String>,
    /// The enterprise it belongs to.
    pub enterprise: Option<String>,
    /// The day it is about (a report's month's first day, a session's or a visit's date).
    pub day: NaiveDate,
    /// The record.
    pub body: serde_json::Value,
    /// Made by (an officer's username).
    pub created_by: String,
    /// Made at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A history event with where it stands in the district's whole history (its sequence) and
/// its entry's number and enterprise: what the outgoing webhooks send.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    /// Position in the whole history, increasing.
    pub seq: i64,
    /// The entry.
    pub entry_id: Uuid,
    /// Its number.
    pub number: String,
    /// Its enterprise.
    pub enterprise: String,
    /// The event.
    pub event: HistoryEvent,
}

/// How far an outgoing webhook target has been sent the history, and its retry state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookCursor {
    /// The last history sequence delivered.
    pub last: i64,
    /// Failed attempts at the next one.
    pub attempts: u32,
    /// Not before this (backoff).
    pub next_at: Option<DateTime<Utc>>,
    /// The last failure.
    pub last_error: Option<String>,
}
