//! The officer routes of the hazard ledger (隐患台账) and its closed loop (闭环管理): the list
//! with filters, one entry, one report, the workflow's actions, the reveal of an anonymous
//! reporter for a reward, and officers' access to photos.
//!
//! Handlers only translate: the body becomes an [`OfficerAction`], the ledger service applies
//! every rule (input checks, jurisdiction, role, the state machine, the history), and its
//! answer or refusal becomes JSON. Whatever lies outside the jurisdiction answers 404 exactly
//! like what does not exist.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use hazardsnap_ledger::OfficerAction;
use hazardsnap_ledger::views::{
    EntryDetail, EntrySummary, LedgerFilter, LedgerSort, ReportView, Revealed,
};
use hazardsnap_model::{
    Category, ErrorBody, Labelled, LedgerStatus, RectificationPlan, Severity, is_sha256_hex,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::OfficerAuth;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// Most entries per page.
pub const MAX_PER_PAGE: u32 = 200;
/// Entries per page when not asked.
pub const DEFAULT_PER_PAGE: u32 = 50;

/// The query of `GET /api/v1/ledger`. Values are parsed by hand so a bad one is named.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// 企业代码 / enterprise code.
    pub enterprise: Option<String>,
    /// 镇/街道代码 / town code.
    pub town: Option<String>,
    /// 状态 / status: pending_review, rectifying, awaiting_verification, closed, rejected, merged.
    pub status: Option<String>,
    /// 等级 / severity: general, major.
    pub severity: Option<String>,
    /// 类别 / category.
    pub category: Option<String>,
    /// 仅逾期 / only overdue (`true`/`false`).
    pub overdue: Option<String>,
    /// 仅挂牌督办 / only escalated (`true`/`false`).
    pub escalated: Option<String>,
    /// 起始日期（含）/ filed on or after (YYYY-MM-DD, China time).
    pub from: Option<String>,
    /// 截止日期（含）/ filed on or before (YYYY-MM-DD, China time).
    pub to: Option<String>,
    /// N 天内到期 / open entries due within N days.
    pub due_within_days: Option<String>,
    /// 页码，从 1 起 / page, from 1.
    pub page: Option<String>,
    /// 每页条数（最多 200）/ entries per page (at most 200).
    pub per_page: Option<String>,
    /// 排序 / sort: `-created_at` (default), `created_at`, `deadline`, `number`.
    pub sort: Option<String>,
}

fn bad_param(name: &str, value: &str) -> AppError {
    AppError::bad_request(
        "invalid_query",
        format!(
            "查询参数 {name} 的值「{value}」无效 / invalid value '{value}' for query parameter {name}"
        ),
    )
}

fn opt<T>(
    name: &str,
    v: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, AppError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| bad_param(name, s)),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl LedgerQuery {
    /// The filters given, as `name=value` text (for the export's about sheet).
    pub fn describe(&self) -> String {
        let given: Vec<String> = [
            ("enterprise", &self.enterprise),
            ("town", &self.town),
            ("status", &self.status),
            ("severity", &self.severity),
            ("category", &self.category),
            ("overdue", &self.overdue),
            ("escalated", &self.escalated),
            ("from", &self.from),
            ("to", &self.to),
            ("due_within_days", &self.due_within_days),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={v}"))
        })
        .collect();
        if given.is_empty() {
            "全部（辖区内） / all (in your jurisdiction)".to_owned()
        } else {
            given.join(", ")
        }
    }

    /// The store's filter; a bad value is named in a 400.
    pub fn filter(&self) -> Result<LedgerFilter, AppError> {
        Ok(LedgerFilter {
            enterprise: opt("enterprise", &self.enterprise, |s| Some(s.to_owned()))?,
            town: opt("town", &self.town, |s| Some(s.to_owned()))?,
            status: opt("status", &self.status, |s| LedgerStatus::from_wire(s).ok())?,
            severity: opt("severity", &self.severity, |s| Severity::from_wire(s).ok())?,
            category: opt("category", &self.category, |s| Category::from_wire(s).ok())?,
            overdue: opt("overdue", &self.overdue, parse_bool)?,
            escalated: opt("escalated", &self.escalated, parse_bool)?,
            from: opt("from", &self.from, parse_date)?,
            to: opt("to", &self.to, parse_date)?,
            due_within_days: opt("due_within_days", &self.due_within_days, |s| {
                s.parse::<u32>().ok().filter(|d| *d <= 3650)
            })?,
            page: opt("page", &self.page, |s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|p| (1..=1_000_000).contains(p))
            })?
            .unwrap_or(1),
            per_page: opt("per_page", &self.per_page, |s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|p| (1..=MAX_PER_PAGE).contains(p))
            })?
            .unwrap_or(DEFAULT_PER_PAGE),
            sort: opt("sort", &self.sort, |s| match s {
                "-created_at" => Some(LedgerSort::NewestFirst),
                "created_at" => Some(LedgerSort::OldestFirst),
                "deadline" => Some(LedgerSort::Deadline),
                "number" => Some(LedgerSort::Number),
                _ => None,
            })?
            .unwrap_or_default(),
        })
    }
}

/// A path id; a malformed one is as unknown as a well-formed one that does not exist.
pub(crate) fn path_id(p: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, AppError> {
    p.map(|Path(id)| id).map_err(|_| AppError::NotFound)
}

/// The ledger list.
#[utoipa::path(
    get,
    path = "/api/v1/ledger",
    tag = "officer",
    params(LedgerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "一页台账条目 / one page of ledger entries", body = LedgerPage),
        (status = 400, description = "查询参数无效 / invalid query (`invalid_query`)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<LedgerQuery>, QueryRejection>,
) -> Result<Json<LedgerPage>, AppError> {
    let Query(q) = query.map_err(|e| {
        AppError::bad_request(
            "invalid_query",
            format!("查询参数无效 / invalid query: {}", e.body_text()),
        )
    })?;
    let filter = q.filter()?;
    let (page, per_page) = (filter.page, filter.per_page);
    let entries = state
        .ledger
        .list_entries(&who.actor, filter, state.now())
        .await?;
    Ok(Json(LedgerPage {
        entries,
        page,
        per_page,
    }))
}

/// One page of the ledger list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerPage {
    /// The entries of the page.
    pub entries: Vec<EntrySummary>,
    /// The page, from 1.
    pub page: u32,
    /// Entries per page.
    pub per_page: u32,
}

pub(crate) async fn detail_of(
    state: &AppState,
    who: &OfficerAuth,
    id: Uuid,
) -> Result<EntryDetail, AppError> {
    Ok(state
        .ledger
        .entry_detail(&who.actor, id, state.now())
        .await?)
}

/// One entry with its reports, photos, plan and history.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/{id}",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "条目详情：列表字段 + plan, reports, after_photos, history, allowed_actions / the entry in full", body = EntryDetail),
        (status = 404, description = "不存在或不在辖区内 / no such entry in your jurisdiction", body = ErrorBody),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    Ok(Json(detail_of(&state, &who, id).await?))
}

/// One report, with the entry it is filed in.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}",
    tag = "officer",
    params(("id" = Uuid, Path, description = "报告编号 / report id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "报告，含 entry_id；匿名报告不含上报设备 / the report with `entry_id`; no reporting device for anonymous reports", body = ReportView),
        (status = 404, description = "不存在或不在辖区内 / no such report in your jurisdiction", body = ErrorBody),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ReportView>, AppError> {
    let id = path_id(id)?;
    Ok(Json(state.ledger.report_detail(&who.actor, id).await?))
}

/// Applies a step through the ledger and answers the entry to show afterwards.
pub(crate) async fn run(
    state: &AppState,
    who: &OfficerAuth,
    id: Uuid,
    action: OfficerAction,
) -> Result<Json<EntryDetail>, AppError> {
    let shown = state
        .ledger
        .act(&who.actor, id, action, state.now())
        .await?;
    Ok(Json(detail_of(state, who, shown).await?))
}

/// `POST …/confirm` body: the plan (五到位) and level, all required.
pub type ConfirmBody = RectificationPlan;

/// Confirms a report as a hazard with its rectification plan (五到位).
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/confirm",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = RectificationPlan, description = "五到位全部必填，时限不早于今天 / all of the five required; the deadline not before today"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "更新后的条目 / the updated entry", body = EntryDetail),
        (status = 400, description = "方案不完整 / incomplete plan (`plan_incomplete`, `deadline_in_past`, `invalid_json`)", body = ErrorBody),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "当前状态不允许 / illegal transition (`illegal_transition`, with `allowed`)", body = ErrorBody),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(plan): ApiJson<ConfirmBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(&state, &who, id, OfficerAction::Confirm(plan)).await
}

/// `{reason}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// 理由 / reason.
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    pub reason: String,
}

/// Rejects a report: not a hazard (with a reason).
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/reject",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = ReasonBody, example = json!({"reason": "非安全隐患，属正常作业"})),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "更新后的条目 / the updated entry", body = EntryDetail),
        (status = 400, description = "缺少理由 / reason required (`missing_field`)", body = ErrorBody),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "当前状态不允许 / illegal transition", body = ErrorBody),
    )
)]
pub async fn reject(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Reject {
            reason: body.reason,
        },
    )
    .await
}

/// `{into, reason?}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// 并入的条目 / the entry this one duplicates.
    pub into: Uuid,
    /// 理由 / reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Merges this entry into another as a duplicate; its reports move there.
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/merge",
    tag = "officer",
    params(("id" = Uuid, Path, description = "被合并的条目 / the duplicate entry")),
    request_body(content = MergeBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "被合并后的条目 / the merged entry", body = EntryDetail),
        (status = 400, description = "合并到自身 / merge into itself (`merge_into_self`)", body = ErrorBody),
        (status = 404, description = "任一条目不存在或不在辖区内 / either entry not found", body = ErrorBody),
        (status = 409, description = "当前状态不允许或目标已结束 / illegal transition or target closed (`merge_target_closed`)", body = ErrorBody),
    )
)]
pub async fn merge(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Merge {
            into: body.into,
            reason: body.reason,
        },
    )
    .await
}

/// `{report_id, reason}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBody {
    /// 拆出的报告 / the report to move out.
    pub report_id: Uuid,
    /// 理由 / reason.
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    pub reason: String,
}

/// Moves one report out of an entry into a new entry (undoes a wrong merge).
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/split",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = SplitBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "新条目 / the new entry", body = EntryDetail),
        (status = 400, description = "缺少理由 / reason required", body = ErrorBody),
        (status = 404, description = "条目或报告不存在 / entry or report not found", body = ErrorBody),
        (status = 409, description = "条目只有这一份报告 / the only report of the entry (`last_report`)", body = ErrorBody),
    )
)]
pub async fn split(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<SplitBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Split {
            report_id: body.report_id,
            reason: body.reason,
        },
    )
    .await
}

/// `{note, photos}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifiedBody {
    /// 整改说明 / what was done.
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    pub note: String,
    /// 整改后照片的 SHA-256（先用 PUT /api/v1/photos 上传）/ SHA-256 names of after-photos, uploaded first.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// Marks the rectification done, with after-photos.
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/rectified",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = RectifiedBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "更新后的条目 / the updated entry", body = EntryDetail),
        (status = 400, description = "缺少说明或照片 / note or photos missing", body = ErrorBody),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "当前状态不允许 / illegal transition", body = ErrorBody),
        (status = 422, description = "照片未上传 / photo not uploaded (`missing_photos`)", body = ErrorBody),
    )
)]
pub async fn rectified(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<RectifiedBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Rectified {
            note: body.note,
            photos: body.photos,
        },
    )
    .await
}

/// `{accepted, note}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// 验收通过 / accepted.
    pub accepted: bool,
    /// 验收意见 / note.
    #[serde(default)]
    pub note: String,
}

/// Verifies a rectification: closes the entry (销号), or sends it back.
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/verify",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = VerifyBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "更新后的条目 / the updated entry", body = EntryDetail),
        (status = 400, description = "退回须说明 / a send-back needs a note", body = ErrorBody),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "当前状态不允许 / illegal transition", body = ErrorBody),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Verify {
            accepted: body.accepted,
            note: Some(body.note),
        },
    )
    .await
}

/// `{reason?}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// 理由 / reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Escalates a major hazard to the work-safety bureau (挂牌督办).
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/escalate",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = EscalateBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "更新后的条目 / the updated entry", body = EntryDetail),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "非重大隐患、已结束或已督办 / not major, not open or already escalated (`illegal_transition`)", body = ErrorBody),
    )
)]
pub async fn escalate(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<EscalateBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Escalate {
            reason: body.reason,
        },
    )
    .await
}

/// `{new_deadline, reason}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    /// 申请的新时限 / the deadline asked for (YYYY-MM-DD).
    pub new_deadline: NaiveDate,
    /// 理由 / reason.
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    pub reason: String,
}

/// Requests a deadline extension (申请延期).
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/extension",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = ExtensionBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "更新后的条目 / the updated entry", body = EntryDetail),
        (status = 400, description = "理由缺失或日期已过 / reason missing or date in the past", body = ErrorBody),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "当前状态不允许 / illegal transition", body = ErrorBody),
    )
)]
pub async fn request_extension(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ExtensionBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::RequestExtension {
            new_deadline: body.new_deadline,
            reason: body.reason,
        },
    )
    .await
}

/// `{approved, note}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// 批准 / approved.
    pub approved: bool,
    /// 意见 / note.
    #[serde(default)]
    pub note: String,
}

/// Decides a pending extension request (审批延期). Not by the enterprise itself.
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/extension/decision",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = DecisionBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "更新后的条目 / the updated entry", body = EntryDetail),
        (status = 403, description = "企业不能审批自己的延期 / an enterprise cannot decide its own extension", body = ErrorBody),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "没有待审批的申请 / no pending request (`illegal_transition`)", body = ErrorBody),
    )
)]
pub async fn decide_extension(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::DecideExtension {
            approved: body.approved,
            note: Some(body.note),
        },
    )
    .await
}

/// Reveals the reporter of a report, for a reward; district only, every look recorded.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/reveal",
    tag = "officer",
    params(("id" = Uuid, Path, description = "报告编号 / report id")),
    request_body(content = ReasonBody, example = json!({"reason": "2026 年一季度重大隐患奖励"})),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "上报人，已记录审计 / the reporter, recorded in the audit", body = Revealed),
        (status = 400, description = "缺少理由 / reason required", body = ErrorBody),
        (status = 403, description = "仅区总工会可查看 / district officers only", body = ErrorBody),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
    )
)]
pub async fn reveal(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<Revealed>, AppError> {
    let id = path_id(id)?;
    Ok(Json(
        state
            .ledger
            .reveal_reporter(&who.actor, id, body.reason, state.now())
            .await?,
    ))
}

/// A photo, for officers: only photos of reports and entries in their jurisdiction.
#[utoipa::path(
    get,
    path = "/api/v1/photos/{sha256}",
    tag = "officer",
    params(("sha256" = String, Path, description = "照片的 SHA-256 / the photo's SHA-256")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "JPEG 照片 / the JPEG", content_type = "image/jpeg"),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
    )
)]
pub async fn photo(
    State(state): State<AppState>,
    who: OfficerAuth,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    if !is_sha256_hex(&sha256) {
        return Err(AppError::NotFound);
    }
    if !state
        .ledger
        .photo_visible(&who.actor, sha256.clone())
        .await?
    {
        return Err(AppError::NotFound);
    }
    let bytes = state.photos.get(&sha256).await?.ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            // Content-addressed: the bytes never change, but only this officer may see them.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}
