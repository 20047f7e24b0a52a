//! What an officer is shown (工作人员视图): a ledger line, an entry in full, a report, a
//! suggestion, a reward line, the monthly figures — the answers of the officer API and the
//! content of the web pages, typed for the OpenAPI document.
//!
//! Everything here is already cut to the officer's jurisdiction and already stripped of
//! anonymous reporters: a reporter appears only as a [`ReporterView`], which for an anonymous
//! report holds no device id or name. A handler or a page cannot leak what it never receives.

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::{
    AtRisk, Category, CheckSource, LedgerAction, LedgerStatus, Location, RectificationPlan,
    ReportKind, Severity, SuggestionStatus,
};
use serde::Serialize;
use uuid::Uuid;

pub use crate::repo::rows::{DrawCandidateView, DrawRecord, HistoryEvent};

/// Who reported, as an officer may see it (上报人). For an anonymous report only the fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReporterView {
    /// Whether the report was anonymous (匿名).
    pub anonymous: bool,
    /// The reporting device, for named reports only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Uuid>,
    /// The device's name, for named reports only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// What to show: the device name, or 匿名.
    pub display: String,
}

impl ReporterView {
    /// The view of a reporter: named, or 匿名 with nothing else.
    pub fn new(anonymous: bool, device_id: Uuid, device_name: String) -> ReporterView {
        if anonymous {
            ReporterView {
                anonymous: true,
                device_id: None,
                device_name: None,
                display: "匿名 / anonymous".to_owned(),
            }
        } else {
            ReporterView {
                anonymous: false,
                device_id: Some(device_id),
                display: device_name.clone(),
                device_name: Some(device_name),
            }
        }
    }
}

/// How a ledger list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LedgerSort {
    /// Newest first (the default).
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
    /// Nearest deadline first; entries without one last.
    Deadline,
    /// By ledger number.
    Number,
}

/// Filters of a ledger list (台账查询条件). All optional; combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerFilter {
    /// Enterprise code.
    pub enterprise: Option<String>,
    /// Town code.
    pub town: Option<String>,
    /// Status.
    pub status: Option<LedgerStatus>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Category.
    pub category: Option<Category>,
    /// Only overdue (逾期) entries, or only entries that are not.
    pub overdue: Option<bool>,
    /// Only escalated (挂牌督办) entries, or only entries that are not.
    pub escalated: Option<bool>,
    /// Filed on or after this district date.
    pub from: Option<NaiveDate>,
    /// Filed on or before this district date.
    pub to: Option<NaiveDate>,
    /// Open entries whose deadline falls within this many days from today (not yet overdue).
    pub due_within_days: Option<u32>,
    /// Page, from 1.
    pub page: u32,
    /// Entries per page.
    pub per_page: u32,
    /// Order.
    pub sort: LedgerSort,
}

/// One line of the ledger (台账条目) in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntrySummary {
    /// Entry id.
    pub id: Uuid,
    /// Ledger number, e.g. `E001-2026-0042`.
    pub number: String,
    /// Enterprise code.
    pub enterprise: String,
    /// Enterprise name.
    pub enterprise_name: String,
    /// Town code of the enterprise.
    pub town: String,
    /// Status in the loop.
    pub status: LedgerStatus,
    /// 一般 / 重大.
    pub severity: Severity,
    /// Category.
    pub category: Category,
    /// The reports filed in it, first finder first.
    pub report_ids: Vec<Uuid>,
    /// Past its deadline while open (逾期).
    pub overdue: bool,
    /// Escalated to the bureau (挂牌督办).
    pub escalated: bool,
    /// Where the escalation stands with the bureau, once escalated.
    pub supervision: Option<crate::repo::rows::Supervision>,
    /// An extension request (延期申请) waits for a decision.
    pub extension_pending: bool,
    /// Rectification deadline (整改时限), once confirmed.
    pub deadline: Option<NaiveDate>,
    /// Distinct reporting devices (参与职工).
    pub reporters: u32,
    /// The first finder (首报人); 匿名 for an anonymous one.
    pub first_reporter: Option<ReporterView>,
    /// The report credited as the first finder (for a reward).
    pub credited_report_id: Option<Uuid>,
    /// For a merged entry: the entry it was merged into.
    pub merged_into: Option<Uuid>,
    /// Filed at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// One report as an officer sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportView {
    /// Report id.
    pub id: Uuid,
    /// The ledger entry it is filed in (hazards).
    pub entry_id: Option<Uuid>,
    /// That entry's number.
    pub entry_number: Option<String>,
    /// The suggestion it became (合理化建议).
    pub suggestion_id: Option<Uuid>,
    /// Enterprise code.
    pub enterprise: String,
    /// Hazard or suggestion.
    pub kind: ReportKind,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Who or what is at risk (四保).
    pub at_risk: Vec<AtRisk>,
    /// How it was found (四查).
    pub source: CheckSource,
    /// The worker's note.
    pub note: String,
    /// Site point code.
    pub site_code: Option<String>,
    /// Workshop (车间).
    pub workshop: Option<String>,
    /// Team (班组).
    pub team: Option<String>,
    /// GPS, when the phone had it.
    pub location: Option<Location>,
    /// Captured at, by the phone's clock.
    pub captured_at: DateTime<Utc>,
    /// Received by the server at (what decides the first finder).
    pub received_at: DateTime<Utc>,
    /// The capture time cannot be true (after it was received, or long before the phone was
    /// enrolled): a phone's clock set wrong, or set back. Shown, never decisive.
    pub capture_time_suspect: bool,
    /// Who reported (匿名 for anonymous reports).
    pub reporter: ReporterView,
    /// Photos, by SHA-256 name (`GET /api/v1/photos/{sha256}`).
    pub photos: Vec<String>,
}

/// An entry with everything an officer needs to act on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryDetail {
    /// The list fields.
    #[serde(flatten)]
    pub summary: EntrySummary,
    /// The rectification plan (五到位), once confirmed.
    pub plan: Option<RectificationPlan>,
    /// Deadline asked for by a pending extension request.
    pub requested_deadline: Option<NaiveDate>,
    /// The note of the rectification (整改说明).
    pub rectified_note: Option<String>,
    /// After-photos (整改后照片), by SHA-256 name.
    pub after_photos: Vec<String>,
    /// Filing's grey-zone flag: possibly the same hazard as this entry (疑似重复).
    pub possible_duplicate_of: Option<Uuid>,
    /// The reports, first finder first.
    pub reports: Vec<ReportView>,
    /// The history, oldest first.
    pub history: Vec<HistoryEvent>,
    /// The moves allowed now.
    pub allowed_actions: Vec<LedgerAction>,
}

/// One row of the monthly progress report (月度进展), for an enterprise or a town.
///
/// Counts follow the hazards found in the month (the month's cohort): of those, how many are
/// closed, overdue or escalated now. Rejected and merged entries are not hazards found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyRow {
    /// Enterprise or town code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The town (for enterprise rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// 一般隐患 found.
    pub found_general: u32,
    /// 重大隐患 found.
    pub found_major: u32,
    /// Of those, closed (已整改销号).
    pub rectified: u32,
    /// rectified / found, 0 when none were found.
    pub rectification_rate: f64,
    /// Of those, overdue now.
    pub overdue: u32,
    /// Of those, escalated.
    pub escalated: u32,
    /// Suggestions (合理化建议) received in the month.
    pub suggestions: u32,
    /// Distinct reporting devices in the month (参与职工).
    pub participating_workers: u32,
}

/// The monthly statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyStats {
    /// `YYYY-MM`.
    pub month: String,
    /// Per town.
    pub towns: Vec<MonthlyRow>,
    /// Per enterprise.
    pub enterprises: Vec<MonthlyRow>,
}

/// A suggestion (合理化建议 / 金点子) as officers see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestionView {
    /// Suggestion id.
    pub id: Uuid,
    /// Its number, e.g. `E001-2026-S0007`.
    pub number: String,
    /// Enterprise code.
    pub enterprise: String,
    /// The report it came from.
    pub report_id: Uuid,
    /// The worker's text.
    pub note: String,
    /// Category.
    pub category: Category,
    /// The proposer (匿名 for anonymous ones).
    pub reporter: ReporterView,
    /// Received at.
    pub created_at: DateTime<Utc>,
    /// Adopted (采纳) at, if adopted.
    pub adopted_at: Option<DateTime<Utc>>,
    /// Who adopted it.
    pub adopted_by: Option<String>,
    /// Its own status (received, under review, adopted, not adopted).
    pub status: SuggestionStatus,
    /// The officer's reply, which the worker sees on the phone.
    pub reply: Option<String>,
}

/// What a reward line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// A major hazard found and closed (发现并整改的重大隐患).
    MajorHazard,
    /// An adopted suggestion (被采纳的合理化建议).
    AdoptedSuggestion,
}

/// One line of a reward list (奖励名单).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardLine {
    /// What it rewards.
    pub kind: RewardKind,
    /// The entry or suggestion id.
    pub id: Uuid,
    /// Its number.
    pub number: String,
    /// Enterprise code.
    pub enterprise: String,
    /// The credited report (首报).
    pub credited_report_id: Option<Uuid>,
    /// The credited finder: 匿名 unless a district officer revealed it before.
    pub finder: Option<ReporterView>,
    /// When it was closed or adopted.
    pub at: DateTime<Utc>,
}

/// What adopting a suggestion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adoption {
    /// Adopted now.
    Adopted,
    /// It was adopted before; nothing changed.
    AlreadyAdopted,
}

/// A reporter revealed for a reward (recorded in the audit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revealed {
    /// The report.
    pub report_id: Uuid,
    /// Whether it was anonymous.
    pub anonymous: bool,
    /// The device.
    pub device_id: Uuid,
    /// Its name.
    pub device_name: String,
}
