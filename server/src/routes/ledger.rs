//! The officer routes of the hazard ledger (隐患台账) and its closed loop (闭环管理): the list
//! with filters, one entry, one report, the workflow's actions, the reveal of an anonymous
//! reporter for a reward, and officers' access to photos.
//!
//! Handlers only shape input and output: jurisdiction comes resolved in [`OfficerAuth`], the
//! store filters by it in its queries, and every move goes through the workflow inside the
//! store's transaction. Whatever lies outside the jurisdiction answers 404 exactly like what
//! does not exist.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use hazardsnap_model::workflow::MAX_PLAN_FIELD_CHARS;
use hazardsnap_model::{
    Category, Labelled, LedgerStatus, RectificationPlan, Role, Severity, is_sha256_hex,
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::OfficerAuth;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::store::officer::{
    ActionOutcome, EntryDetail, LedgerFilter, LedgerSort, OfficerAction, RevealOutcome, china_today,
};

/// Most entries per page.
pub const MAX_PER_PAGE: u32 = 200;
/// Entries per page when not asked.
pub const DEFAULT_PER_PAGE: u32 = 50;

/// The query of `GET /api/v1/ledger`. Values are parsed by hand so a bad one is named.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
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
fn path_id(p: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, AppError> {
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
        (status = 200, description = "`{entries: [...], page, per_page}`；每条含 id, number, enterprise, status, severity, category, report_ids, overdue, escalated, deadline, reporters, first_reporter, credited_report_id / each entry with these fields", body = Object),
        (status = 400, description = "查询参数无效 / invalid query (`invalid_query`)", body = Object),
        (status = 401, description = "未登录 / not logged in", body = Object),
        (status = 403, description = "非工作人员令牌 / not an officer's token", body = Object),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<LedgerQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Query(q) = query.map_err(|e| {
        AppError::bad_request(
            "invalid_query",
            format!("查询参数无效 / invalid query: {}", e.body_text()),
        )
    })?;
    let filter = q.filter()?;
    let (page, per_page) = (filter.page, filter.per_page);
    let entries = state
        .store
        .list_entries(who.jurisdiction, filter, Utc::now())
        .await?;
    Ok(Json(json!({
        "entries": entries,
        "page": page,
        "per_page": per_page,
    })))
}

async fn detail_of(state: &AppState, who: &OfficerAuth, id: Uuid) -> Result<EntryDetail, AppError> {
    state
        .store
        .entry_detail(who.jurisdiction.clone(), id, Utc::now())
        .await?
        .ok_or(AppError::NotFound)
}

/// One entry with its reports, photos, plan and history.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/{id}",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "条目详情：列表字段 + plan, reports, after_photos, history, allowed_actions / the entry in full", body = Object),
        (status = 404, description = "不存在或不在辖区内 / no such entry in your jurisdiction", body = Object),
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
        (status = 200, description = "报告，含 entry_id；匿名报告不含上报设备 / the report with `entry_id`; no reporting device for anonymous reports", body = Object),
        (status = 404, description = "不存在或不在辖区内 / no such report in your jurisdiction", body = Object),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Response, AppError> {
    let id = path_id(id)?;
    let r = state
        .store
        .report_detail(who.jurisdiction, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(r).into_response())
}

fn required(field: &'static str, zh: &str, v: &str) -> Result<String, AppError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(AppError::bad_request(
            "missing_field",
            format!("缺少「{zh}」/ '{field}' is required"),
        ));
    }
    if t.chars().count() > MAX_PLAN_FIELD_CHARS {
        return Err(AppError::bad_request(
            "field_too_long",
            format!(
                "「{zh}」过长（最多 {MAX_PLAN_FIELD_CHARS} 字）/ '{field}' too long (at most {MAX_PLAN_FIELD_CHARS} characters)"
            ),
        ));
    }
    Ok(t.to_owned())
}

fn optional(field: &'static str, zh: &str, v: Option<String>) -> Result<Option<String>, AppError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => required(field, zh, s).map(Some),
    }
}

async fn run(
    state: &AppState,
    who: &OfficerAuth,
    id: Uuid,
    action: OfficerAction,
) -> Result<Json<EntryDetail>, AppError> {
    let outcome = state
        .store
        .act(
            who.jurisdiction.clone(),
            id,
            action,
            who.officer.username.clone(),
            Utc::now(),
        )
        .await?;
    match outcome {
        ActionOutcome::Done(shown) => Ok(Json(detail_of(state, who, shown).await?)),
        ActionOutcome::NotFound => Err(AppError::NotFound),
        ActionOutcome::Illegal(m) => Err(AppError::IllegalTransition(m)),
        ActionOutcome::Refused {
            status,
            code,
            message,
        } => Err(AppError::Refused {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT),
            code,
            message,
        }),
    }
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
        (status = 200, description = "更新后的条目 / the updated entry", body = Object),
        (status = 400, description = "方案不完整 / incomplete plan (`plan_incomplete`, `deadline_in_past`, `invalid_json`)", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
        (status = 409, description = "当前状态不允许 / illegal transition (`illegal_transition`, with `allowed`)", body = Object),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(plan): ApiJson<ConfirmBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    plan.validate(china_today(Utc::now()))
        .map_err(|e| AppError::bad_request(e.code(), e.to_string()))?;
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
        (status = 200, description = "更新后的条目 / the updated entry", body = Object),
        (status = 400, description = "缺少理由 / reason required (`missing_field`)", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
        (status = 409, description = "当前状态不允许 / illegal transition", body = Object),
    )
)]
pub async fn reject(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    let reason = required("reason", "理由", &body.reason)?;
    run(&state, &who, id, OfficerAction::Reject { reason }).await
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
        (status = 200, description = "被合并后的条目 / the merged entry", body = Object),
        (status = 400, description = "合并到自身 / merge into itself (`merge_into_self`)", body = Object),
        (status = 404, description = "任一条目不存在或不在辖区内 / either entry not found", body = Object),
        (status = 409, description = "当前状态不允许或目标已结束 / illegal transition or target closed (`merge_target_closed`)", body = Object),
    )
)]
pub async fn merge(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    let reason = optional("reason", "理由", body.reason)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Merge {
            into: body.into,
            reason,
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
        (status = 200, description = "新条目 / the new entry", body = Object),
        (status = 400, description = "缺少理由 / reason required", body = Object),
        (status = 404, description = "条目或报告不存在 / entry or report not found", body = Object),
        (status = 409, description = "条目只有这一份报告 / the only report of the entry (`last_report`)", body = Object),
    )
)]
pub async fn split(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<SplitBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    let reason = required("reason", "理由", &body.reason)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Split {
            report_id: body.report_id,
            reason,
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
        (status = 200, description = "更新后的条目 / the updated entry", body = Object),
        (status = 400, description = "缺少说明或照片 / note or photos missing", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
        (status = 409, description = "当前状态不允许 / illegal transition", body = Object),
        (status = 422, description = "照片未上传 / photo not uploaded (`missing_photos`)", body = Object),
    )
)]
pub async fn rectified(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<RectifiedBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    let note = required("note", "整改说明", &body.note)?;
    if body.photos.is_empty() {
        return Err(AppError::bad_request(
            "missing_field",
            "至少需要一张整改后照片 / at least one after-photo is required",
        ));
    }
    if body.photos.len() > hazardsnap_model::MAX_PHOTOS_PER_REPORT
        || !body.photos.iter().all(|p| is_sha256_hex(p))
    {
        return Err(AppError::bad_request(
            "invalid_photo_hash",
            format!(
                "照片须为 1–{n} 个 64 位小写十六进制 SHA-256 / photos must be 1–{n} lowercase hex SHA-256 names",
                n = hazardsnap_model::MAX_PHOTOS_PER_REPORT
            ),
        ));
    }
    let mut photos = body.photos;
    photos.sort();
    photos.dedup();
    run(&state, &who, id, OfficerAction::Rectified { note, photos }).await
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
        (status = 200, description = "更新后的条目 / the updated entry", body = Object),
        (status = 400, description = "退回须说明 / a send-back needs a note", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
        (status = 409, description = "当前状态不允许 / illegal transition", body = Object),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    let note = if body.accepted {
        optional("note", "验收意见", Some(body.note))?.unwrap_or_default()
    } else {
        required("note", "退回理由", &body.note)?
    };
    run(
        &state,
        &who,
        id,
        OfficerAction::Verify {
            accepted: body.accepted,
            note,
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
        (status = 200, description = "更新后的条目 / the updated entry", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
        (status = 409, description = "非重大隐患、已结束或已督办 / not major, not open or already escalated (`illegal_transition`)", body = Object),
    )
)]
pub async fn escalate(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<EscalateBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    let reason = optional("reason", "理由", body.reason)?;
    run(&state, &who, id, OfficerAction::Escalate { reason }).await
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
        (status = 200, description = "更新后的条目 / the updated entry", body = Object),
        (status = 400, description = "理由缺失或日期已过 / reason missing or date in the past", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
        (status = 409, description = "当前状态不允许 / illegal transition", body = Object),
    )
)]
pub async fn request_extension(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ExtensionBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    let reason = required("reason", "理由", &body.reason)?;
    if body.new_deadline < china_today(Utc::now()) {
        return Err(AppError::bad_request(
            "deadline_in_past",
            "新时限早于今天 / the new deadline lies in the past",
        ));
    }
    run(
        &state,
        &who,
        id,
        OfficerAction::RequestExtension {
            new_deadline: body.new_deadline,
            reason,
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
        (status = 200, description = "更新后的条目 / the updated entry", body = Object),
        (status = 403, description = "企业不能审批自己的延期 / an enterprise cannot decide its own extension", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
        (status = 409, description = "没有待审批的申请 / no pending request (`illegal_transition`)", body = Object),
    )
)]
pub async fn decide_extension(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    let note = optional("note", "意见", Some(body.note))?.unwrap_or_default();
    if who.officer.role == Role::Enterprise {
        // Look first, so that an entry outside the jurisdiction still answers 404.
        detail_of(&state, &who, id).await?;
        return Err(AppError::Forbidden);
    }
    run(
        &state,
        &who,
        id,
        OfficerAction::DecideExtension {
            approved: body.approved,
            note,
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
        (status = 200, description = "`{report_id, anonymous, device_id, device_name}`，已记录审计 / recorded in the audit", body = Object),
        (status = 400, description = "缺少理由 / reason required", body = Object),
        (status = 403, description = "仅区总工会可查看 / district officers only", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
    )
)]
pub async fn reveal(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let id = path_id(id)?;
    let reason = required("reason", "理由", &body.reason)?;
    match state
        .store
        .reveal_reporter(
            who.jurisdiction,
            id,
            who.officer.username,
            reason,
            Utc::now(),
        )
        .await?
    {
        RevealOutcome::NotFound => Err(AppError::NotFound),
        RevealOutcome::Forbidden => Err(AppError::Forbidden),
        RevealOutcome::Revealed {
            device_id,
            device_name,
            anonymous,
        } => Ok(Json(json!({
            "report_id": id,
            "anonymous": anonymous,
            "device_id": device_id,
            "device_name": device_name,
        }))),
    }
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
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
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
        .store
        .photo_visible(who.jurisdiction, sha256.clone())
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
