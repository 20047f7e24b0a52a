//! The district's lists and numbers (统计与名单): monthly statistics, reward lists,
//! suggestions and their adoption, and the supervision draw (督导随机抽查).

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use hazardsnap_model::Jurisdiction;
use hazardsnap_model::supervision::{DrawCandidate, draw};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::OfficerAuth;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::store::officer::{AdoptOutcome, DrawRecord, china_today};

/// Most enterprises one draw may ask for.
pub const MAX_DRAW: u32 = 1000;

fn bad_query(what: &str) -> AppError {
    AppError::bad_request(
        "invalid_query",
        format!("查询参数无效：{what} / invalid query: {what}"),
    )
}

/// `?month=YYYY-MM`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
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
        (status = 200, description = "`{month, towns: [...], enterprises: [...]}`：found_general, found_major, rectified, rectification_rate, overdue, escalated, suggestions, participating_workers（当月发现的隐患中）/ of the hazards found in the month", body = Object),
        (status = 400, description = "月份无效 / invalid month (`invalid_query`)", body = Object),
    )
)]
pub async fn monthly(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<MonthQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Query(q) = query.map_err(|_| bad_query("month"))?;
    let now = Utc::now();
    let month = match q.month.as_deref().map(str::trim) {
        None | Some("") => {
            let t = china_today(now);
            NaiveDate::parse_from_str(&format!("{}-01", t.format("%Y-%m")), "%Y-%m-%d")
                .map_err(AppError::internal)?
        }
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| bad_query("month=YYYY-MM"))?,
    };
    let stats = state
        .store
        .monthly_stats(who.jurisdiction, month, now)
        .await?;
    Ok(Json(json!(stats)))
}

/// `?from=&to=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
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
        (status = 200, description = "`{rewards: [{kind, id, number, enterprise, credited_report_id, finder, at}]}`；匿名者显示为「匿名」，除非区总工会已查看并记录 / anonymous finders show as 匿名 unless revealed by the district", body = Object),
        (status = 400, description = "日期无效 / invalid dates", body = Object),
    )
)]
pub async fn rewards(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Query(q) = query.map_err(|_| bad_query("from/to"))?;
    let date =
        |v: &Option<String>, name: &str, default: NaiveDate| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad_query(name)),
        };
    let today = china_today(Utc::now());
    let from = date(&q.from, "from", NaiveDate::MIN)?;
    let to = date(&q.to, "to", today)?;
    let lines = state.store.rewards(who.jurisdiction, from, to).await?;
    Ok(Json(json!({ "rewards": lines })))
}

/// The suggestions (合理化建议 / 金点子) of the jurisdiction.
#[utoipa::path(
    get,
    path = "/api/v1/suggestions",
    tag = "officer",
    security(("bearer" = [])),
    responses((status = 200, description = "`{suggestions: [...]}`，最新在前 / newest first", body = Object))
)]
pub async fn suggestions(
    State(state): State<AppState>,
    who: OfficerAuth,
) -> Result<Json<serde_json::Value>, AppError> {
    let list = state.store.list_suggestions(who.jurisdiction).await?;
    Ok(Json(json!({ "suggestions": list })))
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
        (status = 200, description = "`{id, adopted: true, already: bool}`", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
    )
)]
pub async fn adopt(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<AdoptBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Path(id) = id.map_err(|_| AppError::NotFound)?;
    let note = body
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    match state
        .store
        .adopt_suggestion(who.jurisdiction, id, who.officer.username, note, Utc::now())
        .await?
    {
        AdoptOutcome::NotFound => Err(AppError::NotFound),
        AdoptOutcome::AlreadyAdopted => {
            Ok(Json(json!({"id": id, "adopted": true, "already": true})))
        }
        AdoptOutcome::Adopted => Ok(Json(json!({"id": id, "adopted": true, "already": false}))),
    }
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

fn with_check(d: DrawRecord) -> serde_json::Value {
    // Anyone can redo the draw from what is recorded; show that it holds.
    let candidates: Vec<DrawCandidate> = d
        .candidates
        .iter()
        .map(|c| DrawCandidate {
            code: c.code.clone(),
            industry: c.industry,
            private_sme: c.private_sme,
        })
        .collect();
    let reproducible = d
        .seed
        .parse::<u64>()
        .is_ok_and(|s| draw(&candidates, d.n as usize, s) == d.result);
    let mut v = json!(d);
    v["reproducible"] = reproducible.into();
    v
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
        (status = 201, description = "`{id, seed, n, town, actor, at, candidates: [{code, industry, private_sme, weight}], result, reproducible}`", body = Object),
        (status = 400, description = "n 无效 / invalid n", body = Object),
        (status = 403, description = "仅区、镇/街道总工会 / district and town officers only", body = Object),
    )
)]
pub async fn create_draw(
    State(state): State<AppState>,
    who: OfficerAuth,
    ApiJson(body): ApiJson<DrawBody>,
) -> Result<Response, AppError> {
    let town = match &who.jurisdiction {
        Jurisdiction::District => None,
        Jurisdiction::Town { town } => Some(town.clone()),
        _ => return Err(AppError::Forbidden),
    };
    if !(1..=MAX_DRAW).contains(&body.n) {
        return Err(AppError::bad_request(
            "invalid_n",
            format!("n 须为 1–{MAX_DRAW} / n must be 1–{MAX_DRAW}"),
        ));
    }
    let seed = body.seed.unwrap_or_else(|| rand::rng().next_u64());
    let d = state
        .store
        .create_draw(town, body.n, seed, who.officer.username, Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(with_check(d))).into_response())
}

/// A recorded draw, re-checked.
#[utoipa::path(
    get,
    path = "/api/v1/supervision/draws/{id}",
    tag = "officer",
    params(("id" = Uuid, Path, description = "抽查编号 / draw id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "记录的抽查与复核结果 / the recorded draw with `reproducible`", body = Object),
        (status = 404, description = "不存在或不在辖区内 / not found", body = Object),
    )
)]
pub async fn get_draw(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Path(id) = id.map_err(|_| AppError::NotFound)?;
    let d = state
        .store
        .get_draw(who.jurisdiction, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(with_check(d)))
}
