//! The district's lists and numbers (统计与名单): monthly statistics, reward lists,
//! suggestions and their adoption, and the supervision draw (督导随机抽查).

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use hazardsnap_ledger::views::{Adoption, MonthlyStats, RewardLine, SuggestionView};
use hazardsnap_ledger::{Calendar, DrawView};
use hazardsnap_model::{ErrorBody, SuggestionStatus};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::OfficerAuth;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::state::AppState;

fn bad_query(what: &str) -> AppError {
    AppError::bad_request(
        "invalid_query",
        format!("查询参数无效：{what} / invalid query: {what}"),
    )
}

/// `?month=YYYY-MM`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// 月份 YYYY-MM（中国时间）；缺省为本月 / the month, YYYY-MM (China time); default this month.
    pub month: Option<String>,
}

/// Monthly statistics per town and enterprise (月度进展).
#[utoipa::path(
    get,
    path = "/api/v1/stats/monthly",
    tag = "officer",
    params(MonthQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "按镇街、企业的月度进展（当月发现的隐患中）/ per town and enterprise, of the hazards found in the month", body = MonthlyStats),
        (status = 400, description = "月份无效 / invalid month (`invalid_query`)", body = ErrorBody),
    )
)]
pub async fn monthly(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<MonthQuery>, QueryRejection>,
) -> Result<Json<MonthlyStats>, AppError> {
    let Query(q) = query.map_err(|_| bad_query("month"))?;
    let now = state.now();
    let month = match q.month.as_deref().map(str::trim) {
        None | Some("") => Calendar::month_of(state.ledger.calendar().today(now)),
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| bad_query("month=YYYY-MM"))?,
    };
    Ok(Json(
        state.ledger.monthly_stats(&who.actor, month, now).await?,
    ))
}

/// `?from=&to=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// 起始日期（含）/ from (YYYY-MM-DD, inclusive).
    pub from: Option<String>,
    /// 截止日期（含）/ to (YYYY-MM-DD, inclusive).
    pub to: Option<String>,
}

/// Reward lists (奖励名单): major hazards found and closed, adopted suggestions.
#[utoipa::path(
    get,
    path = "/api/v1/rewards",
    tag = "officer",
    params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "奖励名单；匿名者显示为「匿名」，除非区总工会已查看并记录 / the reward lists; anonymous finders show as 匿名 unless revealed by the district", body = RewardList),
        (status = 400, description = "日期无效 / invalid dates", body = ErrorBody),
    )
)]
pub async fn rewards(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<RewardList>, AppError> {
    let Query(q) = query.map_err(|_| bad_query("from/to"))?;
    let date =
        |v: &Option<String>, name: &str, default: NaiveDate| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad_query(name)),
        };
    let today = state.ledger.calendar().today(state.now());
    let from = date(
        &q.from,
        "from",
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today),
    )?;
    let to = date(&q.to, "to", today)?;
    let rewards = state.ledger.rewards(&who.actor, from, to).await?;
    Ok(Json(RewardList { rewards }))
}

/// The reward lists.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RewardList {
    /// Major hazards closed and suggestions adopted in the period.
    pub rewards: Vec<RewardLine>,
}

/// The suggestions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionList {
    /// Newest first.
    pub suggestions: Vec<SuggestionView>,
}

/// What adopting did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Adopted {
    /// The suggestion.
    pub id: Uuid,
    /// Always true: it is adopted now.
    pub adopted: bool,
    /// It was adopted before; nothing changed.
    pub already: bool,
}

/// The suggestions (合理化建议 / 金点子) of the jurisdiction.
#[utoipa::path(
    get,
    path = "/api/v1/suggestions",
    tag = "officer",
    security(("bearer" = [])),
    responses((status = 200, description = "合理化建议，最新在前 / the suggestions, newest first", body = SuggestionList))
)]
pub async fn suggestions(
    State(state): State<AppState>,
    who: OfficerAuth,
) -> Result<Json<SuggestionList>, AppError> {
    let suggestions = state.ledger.suggestions(&who.actor).await?;
    Ok(Json(SuggestionList { suggestions }))
}

/// `{note?}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptBody {
    /// 意见 / note.
    #[serde(default)]
    pub note: Option<String>,
}

/// Adopts a suggestion (采纳), so it enters the reward list.
#[utoipa::path(
    post,
    path = "/api/v1/suggestions/{id}/adopt",
    tag = "officer",
    params(("id" = Uuid, Path, description = "建议编号 / suggestion id")),
    request_body(content = AdoptBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已采纳 / adopted", body = Adopted),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "已决定不采纳 / already decided as not adopted (`suggestion_decided`)", body = ErrorBody),
    )
)]
pub async fn adopt(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<AdoptBody>,
) -> Result<Json<Adopted>, AppError> {
    let Path(id) = id.map_err(|_| AppError::NotFound)?;
    let done = state
        .ledger
        .adopt_suggestion(&who.actor, id, body.note, state.now())
        .await?;
    Ok(Json(Adopted {
        id,
        adopted: true,
        already: done == Adoption::AlreadyAdopted,
    }))
}

/// `{status, reply?}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewSuggestionBody {
    /// 改为：评估中、已采纳或未采纳 / the new status: under_review, adopted or not_adopted.
    pub status: SuggestionStatus,
    /// 答复职工（未采纳时必填）/ the reply the worker sees (required when not adopted).
    #[serde(default)]
    pub reply: Option<String>,
}

/// `{id, status}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionReviewed {
    /// 建议编号 / suggestion id.
    pub id: Uuid,
    /// 现在的状态 / its status now.
    pub status: SuggestionStatus,
}

/// Moves a suggestion on (金点子处理): under review, adopted (it enters the reward list) or
/// not adopted, with a reply the worker sees on the phone. A decision is final.
#[utoipa::path(
    post,
    path = "/api/v1/suggestions/{id}/review",
    tag = "officer",
    params(("id" = Uuid, Path, description = "建议编号 / suggestion id")),
    request_body(content = ReviewSuggestionBody, example = json!({
        "status": "not_adopted", "reply": "现有防护已满足要求，感谢建议"
    })),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已更新 / updated", body = SuggestionReviewed),
        (status = 400, description = "状态无效，或未采纳未说明理由 / invalid status, or no reply for not adopted (`missing_field`)", body = ErrorBody),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "已处理，不能再改 / already decided (`suggestion_decided`)", body = ErrorBody),
    )
)]
pub async fn review_suggestion(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ReviewSuggestionBody>,
) -> Result<Json<SuggestionReviewed>, AppError> {
    let Path(id) = id.map_err(|_| AppError::NotFound)?;
    let status = state
        .ledger
        .review_suggestion(&who.actor, id, body.status, body.reply, state.now())
        .await?;
    Ok(Json(SuggestionReviewed { id, status }))
}

/// `{n, seed?}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    /// 抽取企业数 / enterprises to draw.
    pub n: u32,
    /// 随机种子（缺省随机生成）/ seed (random when absent).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// Draws enterprises for supervision (督导随机抽查), weighted towards high-risk industries and
/// private SMEs, and records the draw with its seed.
#[utoipa::path(
    post,
    path = "/api/v1/supervision/draws",
    tag = "officer",
    request_body(content = DrawBody, example = json!({"n": 3, "seed": 20260125})),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "记录的抽查，含复核结果 / the recorded draw with `reproducible`", body = DrawView),
        (status = 400, description = "n 无效 / invalid n", body = ErrorBody),
        (status = 403, description = "仅区、镇/街道总工会 / district and town officers only", body = ErrorBody),
    )
)]
pub async fn create_draw(
    State(state): State<AppState>,
    who: OfficerAuth,
    ApiJson(body): ApiJson<DrawBody>,
) -> Result<Response, AppError> {
    let seed = body.seed.unwrap_or_else(|| rand::rng().next_u64());
    let d = state
        .ledger
        .create_draw(&who.actor, body.n, seed, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

/// A recorded draw, re-checked.
#[utoipa::path(
    get,
    path = "/api/v1/supervision/draws/{id}",
    tag = "officer",
    params(("id" = Uuid, Path, description = "抽查编号 / draw id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "记录的抽查与复核结果 / the recorded draw with `reproducible`", body = DrawView),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
    )
)]
pub async fn get_draw(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<DrawView>, AppError> {
    let Path(id) = id.map_err(|_| AppError::NotFound)?;
    Ok(Json(state.ledger.get_draw(&who.actor, id).await?))
}
