//! Accountability over HTTP (问责与奖励): officers file hazards themselves, the bureau takes
//! listed supervision (挂牌督办) or declines it, the unions reclassify and transfer entries
//! (recorded), the reward register (grants, payments, anonymous redemption), and the officers'
//! notices. Every rule is the ledger's; a handler only translates.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use hazardsnap_ledger::OfficerAction;
use hazardsnap_ledger::rules::desk::NewEntry;
use hazardsnap_ledger::rules::notices::Notices;
use hazardsnap_ledger::rules::rewards::RewardView;
use hazardsnap_ledger::views::{EntryDetail, RewardKind};
use hazardsnap_model::{Category, ErrorBody, Funds, Severity};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::OfficerAuth;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::routes::ledger::{detail_of, path_id, run};
use crate::state::AppState;

/// An officer files a hazard (an inspection's, or a hotline call's) in an enterprise of their
/// jurisdiction, through the same filing as a phone's report.
#[utoipa::path(
    post,
    path = "/api/v1/ledger",
    tag = "officer",
    request_body(content = NewEntry, example = json!({
        "enterprise": "E001", "category": "fixed_position", "severity": "general",
        "note": "检查发现仓库消防通道堆放货物", "photos": [], "source": "inspection"
    })),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "已登记（或并入同一隐患的在办条目）/ filed (or joined to an open entry of the same hazard)", body = EntryDetail),
        (status = 400, description = "内容无效 / invalid", body = ErrorBody),
        (status = 403, description = "安监局不在此登记 / not for the bureau", body = ErrorBody),
        (status = 404, description = "企业不存在或不在辖区内 / enterprise not found", body = ErrorBody),
        (status = 422, description = "照片未上传 / photos not uploaded (`missing_photos`)", body = ErrorBody),
    )
)]
pub async fn file_entry(
    State(state): State<AppState>,
    who: OfficerAuth,
    ApiJson(body): ApiJson<NewEntry>,
) -> Result<Response, AppError> {
    let id = state
        .ledger
        .file_entry(&who.actor, body, state.now())
        .await?;
    let detail = detail_of(&state, &who, id).await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

/// `{unit, deadline}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptSupervisionBody {
    /// 督办单位 / the supervising unit.
    pub unit: String,
    /// 督办时限 / the bureau's deadline.
    pub deadline: NaiveDate,
}

/// The bureau accepts an escalation: the entry is listed (挂牌) until the bureau lifts it.
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/supervision/accept",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = AcceptSupervisionBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已挂牌督办 / listed", body = EntryDetail),
        (status = 403, description = "仅安监局 / the bureau only", body = ErrorBody),
        (status = 404, description = "不存在或未提请督办 / not found or not escalated", body = ErrorBody),
        (status = 409, description = "没有待受理的申请 / nothing to decide (`not_requested`)", body = ErrorBody),
    )
)]
pub async fn accept_supervision(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<AcceptSupervisionBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::AcceptSupervision {
            unit: body.unit,
            deadline: body.deadline,
        },
    )
    .await
}

/// `{reason}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// 理由 / reason.
    pub reason: String,
}

/// What the bureau gets back when it declines: the entry leaves its scope with the decision.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Declined {
    /// The entry.
    pub id: Uuid,
    /// Always `declined`.
    pub supervision: String,
}

/// The bureau declines an escalation, with a reason; the unions carry on (and the entry is
/// no longer the bureau's to see).
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/supervision/decline",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = ReasonBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "不予挂牌 / declined", body = Declined),
        (status = 403, description = "仅安监局 / the bureau only", body = ErrorBody),
        (status = 409, description = "没有待受理的申请 / nothing to decide (`not_requested`)", body = ErrorBody),
    )
)]
pub async fn decline_supervision(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<Declined>, AppError> {
    let id = path_id(id)?;
    state
        .ledger
        .act(
            &who.actor,
            id,
            OfficerAction::DeclineSupervision {
                reason: body.reason,
            },
            state.now(),
        )
        .await?;
    Ok(Json(Declined {
        id,
        supervision: "declined".into(),
    }))
}

/// `{category?, severity?, reason}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReclassifyBody {
    /// 新类别 / the new category.
    #[serde(default)]
    pub category: Option<Category>,
    /// 新等级 / the new severity.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// 理由 / reason.
    pub reason: String,
}

/// A union officer changes an entry's category or severity, recorded with the reason.
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/reclassify",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = ReclassifyBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已调整 / reclassified", body = EntryDetail),
        (status = 400, description = "未改变或缺少理由 / nothing changes, or no reason", body = ErrorBody),
        (status = 403, description = "仅区、镇/街道总工会 / district and town unions only", body = ErrorBody),
    )
)]
pub async fn reclassify(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ReclassifyBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Reclassify {
            category: body.category,
            severity: body.severity,
            reason: body.reason,
        },
    )
    .await
}

/// `{enterprise, reason}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// 移交给的企业编码 / the enterprise it belongs to.
    pub enterprise: String,
    /// 理由 / reason.
    pub reason: String,
}

/// A union officer moves a hazard into another enterprise's ledger (a new number there);
/// the answer is the new entry.
#[utoipa::path(
    post,
    path = "/api/v1/ledger/{id}/transfer",
    tag = "officer",
    params(("id" = Uuid, Path, description = "条目编号 / entry id")),
    request_body(content = TransferBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "移交后的新条目 / the new entry", body = EntryDetail),
        (status = 400, description = "企业不在辖区内等 / unknown enterprise etc.", body = ErrorBody),
        (status = 403, description = "仅区、镇/街道总工会 / district and town unions only", body = ErrorBody),
        (status = 409, description = "条目已结束 / not open", body = ErrorBody),
    )
)]
pub async fn transfer(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<EntryDetail>, AppError> {
    let id = path_id(id)?;
    run(
        &state,
        &who,
        id,
        OfficerAction::Transfer {
            enterprise: body.enterprise,
            reason: body.reason,
        },
    )
    .await
}

/// The reward register of the officer's jurisdiction, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/rewards/register",
    tag = "officer",
    security(("bearer" = [])),
    responses((status = 200, description = "奖励登记 / the register", body = [RewardView]))
)]
pub async fn register(
    State(state): State<AppState>,
    who: OfficerAuth,
) -> Result<Json<Vec<RewardView>>, AppError> {
    Ok(Json(state.ledger.rewards_register(&who.actor).await?))
}

/// `{kind, subject_id, amount}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// 奖励类别 / what it rewards.
    pub kind: RewardKind,
    /// 隐患条目或建议编号 / the entry or suggestion.
    pub subject_id: Uuid,
    /// 金额（元）/ amount in yuan.
    #[schema(value_type = String, example = "500.00")]
    pub amount: Funds,
}

/// The district grants a reward: to the finder's roster worker, or against a code the
/// anonymous finder's phone receives (never shown here).
#[utoipa::path(
    post,
    path = "/api/v1/rewards/register",
    tag = "officer",
    request_body(content = GrantBody),
    security(("bearer" = [])),
    responses(
        (status = 404, description = "隐患或建议不存在 / no such hazard or suggestion", body = ErrorBody),
        (status = 201, description = "已登记发放 / granted", body = RewardView),
        (status = 403, description = "仅区总工会 / the district only", body = ErrorBody),
        (status = 409, description = "已奖励过、不符合条件或手机未关联职工 / already rewarded, not rewardable, or the phone is not linked to a worker", body = ErrorBody),
    )
)]
pub async fn grant(
    State(state): State<AppState>,
    who: OfficerAuth,
    ApiJson(body): ApiJson<GrantBody>,
) -> Result<Response, AppError> {
    let g = state
        .ledger
        .grant_reward(
            &who.actor,
            body.kind,
            body.subject_id,
            body.amount,
            state.now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(g.reward)).into_response())
}

/// `{paid_on}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidBody {
    /// 兑付日期 / the day it was paid.
    pub paid_on: NaiveDate,
}

/// The district records that a named reward was paid.
#[utoipa::path(
    post,
    path = "/api/v1/rewards/register/{id}/paid",
    tag = "officer",
    params(("id" = Uuid, Path, description = "奖励编号 / reward id")),
    request_body(content = PaidBody),
    security(("bearer" = [])),
    responses(
        (status = 404, description = "奖励不存在 / no such reward", body = ErrorBody),
        (status = 200, description = "已兑付 / paid", body = RewardView),
        (status = 409, description = "已兑付或为匿名奖励 / already paid, or anonymous", body = ErrorBody),
    )
)]
pub async fn paid(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<PaidBody>,
) -> Result<Json<RewardView>, AppError> {
    let id = path_id(id)?;
    Ok(Json(
        state
            .ledger
            .pay_reward(&who.actor, id, body.paid_on, state.now())
            .await?,
    ))
}

/// `{code}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemBody {
    /// 兑奖码 / the redemption code.
    pub code: String,
}

/// The district pays an anonymous reward to whoever presents its code: once, naming no one.
#[utoipa::path(
    post,
    path = "/api/v1/rewards/redeem",
    tag = "officer",
    request_body(content = RedeemBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已兑付 / paid", body = RewardView),
        (status = 400, description = "兑奖码无效 / unknown code", body = ErrorBody),
        (status = 409, description = "已兑付 / already paid", body = ErrorBody),
    )
)]
pub async fn redeem(
    State(state): State<AppState>,
    who: OfficerAuth,
    ApiJson(body): ApiJson<RedeemBody>,
) -> Result<Json<RewardView>, AppError> {
    Ok(Json(
        state
            .ledger
            .redeem_reward(&who.actor, body.code, state.now())
            .await?,
    ))
}

/// What needs the officer: new reports, due soon, overdue, escalated to them, the monthly
/// report.
#[utoipa::path(
    get,
    path = "/api/v1/notices",
    tag = "officer",
    security(("bearer" = [])),
    responses((status = 200, description = "待办提醒 / the officer's notices", body = Notices))
)]
pub async fn notices(
    State(state): State<AppState>,
    who: OfficerAuth,
) -> Result<Json<Notices>, AppError> {
    Ok(Json(state.ledger.notices(&who.actor, state.now()).await?))
}
