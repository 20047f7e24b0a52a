//! The officer side's storage vocabulary (工作人员端): ledger filters, what an officer is shown
//! of a ledger entry (隐患台账条目) and of a report, and the actions of the closed loop
//! (闭环管理) as the store receives them.
//!
//! Everything an officer reads is already cut to their [`Jurisdiction`](hazardsnap_model::Jurisdiction) by the backend (in its
//! queries, not afterwards) and already stripped of anonymous reporters: these types carry a
//! reporter only as a [`ReporterView`], which for an anonymous report holds no device id or
//! name. A handler therefore cannot leak what it never receives.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hazardsnap_model::{
    Category, IllegalMove, LedgerAction, LedgerStatus, RectificationPlan, ReportKind, Severity,
};
use serde::Serialize;
use uuid::Uuid;

/// Today's date in China (UTC+8 all year), the calendar deadlines are set in.
pub fn china_today(now: DateTime<Utc>) -> NaiveDate {
    (now + Duration::hours(8)).date_naive()
}

/// The first instant (UTC) of a China calendar day.
pub fn china_day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .checked_sub_signed(Duration::hours(8))
        .unwrap_or_default()
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

/// Filters of `GET /api/v1/ledger` (台账查询条件). All optional; combined with AND.
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
    /// Filed on or after this China date.
    pub from: Option<NaiveDate>,
    /// Filed on or before this China date.
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

/// Who reported, as an officer may see it (上报人). For an anonymous report only the fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// One line of the ledger (台账条目) in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// An extension request (延期申请) waits for a decision.
    pub extension_pending: bool,
    /// Rectification deadline (整改时限), once confirmed.
    pub deadline: Option<NaiveDate>,
    /// Distinct reporting devices (参与职工).
    pub reporters: u32,
    /// The first finder (首报人), by capture time; 匿名 for an anonymous one.
    pub first_reporter: Option<ReporterView>,
    /// The report credited for a reward: the first by capture time, then by receipt.
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
    /// The worker's note.
    pub note: String,
    /// Site point code.
    pub site_code: Option<String>,
    /// Workshop (车间).
    pub workshop: Option<String>,
    /// Team (班组).
    pub team: Option<String>,
    /// Captured at, by the phone's clock.
    pub captured_at: DateTime<Utc>,
    /// Received by the server at.
    pub received_at: DateTime<Utc>,
    /// Who reported (匿名 for anonymous reports).
    pub reporter: ReporterView,
    /// Photos, by SHA-256 name (`GET /api/v1/photos/{sha256}`).
    pub photos: Vec<String>,
}

/// One append-only event of an entry's history (台账履历).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an officer's username; none for the filing of a report).
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

/// An entry with everything an officer needs to act on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// The reports, first finder first.
    pub reports: Vec<ReportView>,
    /// The history, oldest first.
    pub history: Vec<HistoryEvent>,
    /// The moves allowed now.
    pub allowed_actions: Vec<LedgerAction>,
}

/// An officer's step on an entry, validated for shape by the HTTP layer.
#[derive(Debug, Clone, PartialEq)]
pub enum OfficerAction {
    /// 确认: the plan (五到位) and level.
    Confirm(RectificationPlan),
    /// 驳回, with a reason.
    Reject {
        /// Why.
        reason: String,
    },
    /// 合并: this entry duplicates `into`.
    Merge {
        /// The surviving entry.
        into: Uuid,
        /// Why, optional.
        reason: Option<String>,
    },
    /// 整改完成, with after-photos.
    Rectified {
        /// What was done.
        note: String,
        /// SHA-256 names of verified after-photos.
        photos: Vec<String>,
    },
    /// 验收: close, or send back.
    Verify {
        /// Accepted (销号) or sent back (退回).
        accepted: bool,
        /// The verifier's note.
        note: String,
    },
    /// 挂牌督办: a major hazard to the bureau.
    Escalate {
        /// Why, optional.
        reason: Option<String>,
    },
    /// 申请延期.
    RequestExtension {
        /// The deadline asked for.
        new_deadline: NaiveDate,
        /// Why.
        reason: String,
    },
    /// 审批延期.
    DecideExtension {
        /// Granted or not.
        approved: bool,
        /// The decision's note.
        note: String,
    },
    /// 拆分: move one report out into a new entry (undoes a wrong merge).
    Split {
        /// The report to move.
        report_id: Uuid,
        /// Why.
        reason: String,
    },
}

impl OfficerAction {
    /// The workflow move this is, if it is one (a split is not a status move).
    pub fn ledger_action(&self) -> Option<LedgerAction> {
        Some(match self {
            OfficerAction::Confirm(_) => LedgerAction::Confirm,
            OfficerAction::Reject { .. } => LedgerAction::Reject,
            OfficerAction::Merge { .. } => LedgerAction::Merge,
            OfficerAction::Rectified { .. } => LedgerAction::Rectified,
            OfficerAction::Verify { accepted: true, .. } => LedgerAction::VerifyAccept,
            OfficerAction::Verify {
                accepted: false, ..
            } => LedgerAction::VerifyReturn,
            OfficerAction::Escalate { .. } => LedgerAction::Escalate,
            OfficerAction::RequestExtension { .. } => LedgerAction::RequestExtension,
            OfficerAction::DecideExtension { .. } => LedgerAction::DecideExtension,
            OfficerAction::Split { .. } => return None,
        })
    }
}

/// What became of an officer's action.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionOutcome {
    /// Done; the entry to show (for a split, the new entry).
    Done(Uuid),
    /// The entry (or the merge target, or the report) is not in the officer's jurisdiction or
    /// does not exist: the same answer for both.
    NotFound,
    /// The workflow refuses the move.
    Illegal(IllegalMove),
    /// Refused for another reason, with the HTTP status, a stable code and bilingual text.
    Refused {
        /// HTTP status.
        status: u16,
        /// Stable code.
        code: &'static str,
        /// 中文 / English.
        message: String,
    },
}

/// What `reveal` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevealOutcome {
    /// No such report in the jurisdiction.
    NotFound,
    /// In the jurisdiction, but this role may not reveal.
    Forbidden,
    /// The reporter, recorded in the audit.
    Revealed {
        /// The device.
        device_id: Uuid,
        /// Its name.
        device_name: String,
        /// Whether the report was anonymous.
        anonymous: bool,
    },
}

/// One row of the monthly progress report (月度进展), for an enterprise or a town.
///
/// Counts follow the hazards found in the month (the month's cohort): of those, how many are
/// closed, overdue or escalated now. Rejected and merged entries are not hazards found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
}

/// What adopting a suggestion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdoptOutcome {
    /// No such suggestion in the jurisdiction.
    NotFound,
    /// It was adopted before; nothing changed.
    AlreadyAdopted,
    /// Adopted now.
    Adopted,
}

/// One line of a reward list (奖励名单).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RewardLine {
    /// `major_hazard` or `adopted_suggestion`.
    pub kind: &'static str,
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

/// A supervision draw (督导随机抽查) as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DrawCandidateView {
    /// Enterprise code.
    pub code: String,
    /// Industry.
    pub industry: hazardsnap_model::Industry,
    /// Private SME (非公中小企业).
    pub private_sme: bool,
    /// Its weight in the draw.
    pub weight: u32,
}
