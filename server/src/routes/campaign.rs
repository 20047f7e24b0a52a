//! The campaign's records over HTTP (活动记录): the monthly progress reports (月报) with their
//! submission, reopening and Excel export; training sessions and drills (安全培训、应急演练)
//! with their coverage; supervision visits (督导检查) and their coverage; the draws as a list;
//! and what a worker's phone reads of its own training. Handlers only translate: every rule is
//! the ledger's (`hazardsnap_ledger::rules::{monthly, training, visits}`).

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use hazardsnap_ledger::DrawView;
use hazardsnap_ledger::rules::monthly::{MonthlyOverview, MonthlyReport, parse_month};
use hazardsnap_ledger::rules::training::{Coverage, NewTraining, TrainingFilter, TrainingView};
use hazardsnap_ledger::rules::visits::{NewVisit, VisitCoverage, VisitView};
use hazardsnap_model::{Category, DeviceTrainings, ErrorBody, Severity};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{DeviceAuth, OfficerAuth};
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::routes::campaign_export;
use crate::state::AppState;

fn bad_query(e: QueryRejection) -> AppError {
    AppError::bad_request(
        "invalid_query",
        format!("查询参数无效 / invalid query: {}", e.body_text()),
    )
}

/// `{remarks?}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// 说明 / the town's remarks.
    #[serde(default)]
    pub remarks: Option<String>,
}

/// `{reason}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    /// 退回原因 / why it is reopened.
    pub reason: String,
}

/// A month's reports of the officer's towns, with the district roll-up.
#[utoipa::path(
    get,
    path = "/api/v1/monthly/{month}",
    tag = "campaign",
    params(("month" = String, Path, description = "月份 YYYY-MM / the month")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "各镇街月报状态与数字、全区汇总 / each town's report and the roll-up", body = MonthlyOverview),
        (status = 400, description = "月份无效 / invalid month", body = ErrorBody),
        (status = 403, description = "仅区、镇/街道总工会 / district and town officers only", body = ErrorBody),
    )
)]
pub async fn monthly_overview(
    State(state): State<AppState>,
    who: OfficerAuth,
    month: Result<Path<String>, PathRejection>,
) -> Result<Json<MonthlyOverview>, AppError> {
    let Path(month) = month.map_err(|_| AppError::NotFound)?;
    let month = parse_month(&month)?;
    Ok(Json(
        state
            .ledger
            .monthly_overview(&who.actor, month, state.now())
            .await?,
    ))
}

/// One town's report of a month.
#[utoipa::path(
    get,
    path = "/api/v1/monthly/{month}/{town}",
    tag = "campaign",
    params(
        ("month" = String, Path, description = "月份 YYYY-MM / the month"),
        ("town" = String, Path, description = "镇街编码 / town code"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 400, description = "月份无效 / invalid month (`invalid_month`)", body = ErrorBody),
        (status = 200, description = "月报：状态、数字、说明、经过 / the report", body = MonthlyReport),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
    )
)]
pub async fn monthly_report(
    State(state): State<AppState>,
    who: OfficerAuth,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<MonthlyReport>, AppError> {
    let Path((month, town)) = path.map_err(|_| AppError::NotFound)?;
    let month = parse_month(&month)?;
    Ok(Json(
        state
            .ledger
            .monthly_report(&who.actor, month, town, state.now())
            .await?,
    ))
}

/// The town officer submits the town's report: its figures are kept as they are now.
#[utoipa::path(
    post,
    path = "/api/v1/monthly/{month}/{town}/submit",
    tag = "campaign",
    params(
        ("month" = String, Path, description = "月份 YYYY-MM / the month"),
        ("town" = String, Path, description = "镇街编码 / town code"),
    ),
    request_body(content = SubmitBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已报送 / submitted", body = MonthlyReport),
        (status = 400, description = "月份未结束等 / the month is not over (`month_not_over`)", body = ErrorBody),
        (status = 403, description = "仅本镇街工作人员报送 / only the town's officer submits", body = ErrorBody),
        (status = 409, description = "已报送 / already submitted", body = ErrorBody),
    )
)]
pub async fn submit_monthly(
    State(state): State<AppState>,
    who: OfficerAuth,
    path: Result<Path<(String, String)>, PathRejection>,
    ApiJson(body): ApiJson<SubmitBody>,
) -> Result<Json<MonthlyReport>, AppError> {
    let Path((month, town)) = path.map_err(|_| AppError::NotFound)?;
    let month = parse_month(&month)?;
    Ok(Json(
        state
            .ledger
            .submit_monthly(&who.actor, month, town, body.remarks, state.now())
            .await?,
    ))
}

/// The district reopens a submitted report, with a reason.
#[utoipa::path(
    post,
    path = "/api/v1/monthly/{month}/{town}/reopen",
    tag = "campaign",
    params(
        ("month" = String, Path, description = "月份 YYYY-MM / the month"),
        ("town" = String, Path, description = "镇街编码 / town code"),
    ),
    request_body(content = ReopenBody),
    security(("bearer" = [])),
    responses(
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 200, description = "已退回，恢复为草稿 / reopened: a draft again", body = MonthlyReport),
        (status = 400, description = "缺少原因 / the reason is missing", body = ErrorBody),
        (status = 403, description = "仅区总工会 / the district only", body = ErrorBody),
        (status = 409, description = "尚未报送 / not submitted", body = ErrorBody),
    )
)]
pub async fn reopen_monthly(
    State(state): State<AppState>,
    who: OfficerAuth,
    path: Result<Path<(String, String)>, PathRejection>,
    ApiJson(body): ApiJson<ReopenBody>,
) -> Result<Json<MonthlyReport>, AppError> {
    let Path((month, town)) = path.map_err(|_| AppError::NotFound)?;
    let month = parse_month(&month)?;
    Ok(Json(
        state
            .ledger
            .reopen_monthly(&who.actor, month, town, body.reason, state.now())
            .await?,
    ))
}

pub(crate) fn xlsx(bytes: Vec<u8>, ascii_name: String, chinese_name: &str) -> Response {
    let encoded: String = chinese_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A month's reports as a spreadsheet: the roll-up and each town, figures in the API's order.
#[utoipa::path(
    get,
    path = "/api/v1/monthly/{month}/export.xlsx",
    tag = "campaign",
    params(("month" = String, Path, description = "月份 YYYY-MM / the month")),
    security(("bearer" = [])),
    responses(
        (status = 400, description = "月份无效 / invalid month (`invalid_month`)", body = ErrorBody),
        (status = 200, description = "月报电子表格 / the reports as a spreadsheet", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "仅区、镇/街道总工会 / district and town officers only", body = ErrorBody),
    )
)]
pub async fn monthly_xlsx(
    State(state): State<AppState>,
    who: OfficerAuth,
    month: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(month) = month.map_err(|_| AppError::NotFound)?;
    let month = parse_month(&month)?;
    let now = state.now();
    let overview = state
        .ledger
        .monthly_overview(&who.actor, month, now)
        .await?;
    let calendar = *state.ledger.calendar();
    let by = who.actor.name().to_owned();
    let name = overview.month.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        campaign_export::monthly(&overview, &calendar, &by, now)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    Ok(xlsx(
        bytes,
        format!("monthly-report-{name}.xlsx"),
        &format!("月报-{name}.xlsx"),
    ))
}

/// The recorded supervision draws the officer may see, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/supervision/draws",
    tag = "campaign",
    security(("bearer" = [])),
    responses((status = 200, description = "抽查记录，含复核结果 / the draws, each re-checked", body = [DrawView]))
)]
pub async fn list_draws(
    State(state): State<AppState>,
    who: OfficerAuth,
) -> Result<Json<Vec<DrawView>>, AppError> {
    Ok(Json(state.ledger.draws(&who.actor).await?))
}

/// Records a training session or a drill.
#[utoipa::path(
    post,
    path = "/api/v1/trainings",
    tag = "campaign",
    request_body(content = NewTraining, example = json!({
        "enterprise": "E001", "kind": "training", "date": "2026-11-20", "topic": "危险化学品泄漏处置",
        "hours": 2.0, "trainer": "区安监局 李工", "attendees": ["E001-W0001"], "outside_trainees": 3
    })),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "已登记 / recorded", body = TrainingView),
        (status = 400, description = "内容无效（不在名册的职工、未知班组、未来日期…）/ invalid", body = ErrorBody),
        (status = 404, description = "企业不存在或不在辖区内 / enterprise not found", body = ErrorBody),
        (status = 422, description = "照片未上传 / photos not uploaded (`missing_photos`)", body = ErrorBody),
    )
)]
pub async fn record_training(
    State(state): State<AppState>,
    who: OfficerAuth,
    ApiJson(body): ApiJson<NewTraining>,
) -> Result<Response, AppError> {
    let v = state
        .ledger
        .record_training(&who.actor, body, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The trainings and drills of the jurisdiction, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/trainings",
    tag = "campaign",
    params(TrainingFilter),
    security(("bearer" = [])),
    responses(
        (status = 400, description = "参数无效 / invalid parameter (`invalid_query`)", body = ErrorBody),
        (status = 200, description = "培训与演练记录 / the records", body = [TrainingView]),
    )
)]
pub async fn trainings(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<TrainingFilter>, QueryRejection>,
) -> Result<Json<Vec<TrainingView>>, AppError> {
    let Query(f) = query.map_err(bad_query)?;
    Ok(Json(state.ledger.trainings(&who.actor, f).await?))
}

/// One training or drill.
#[utoipa::path(
    get,
    path = "/api/v1/trainings/{id}",
    tag = "campaign",
    params(("id" = Uuid, Path, description = "记录编号 / record id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "记录 / the record", body = TrainingView),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
    )
)]
pub async fn training(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<TrainingView>, AppError> {
    let Path(id) = id.map_err(|_| AppError::NotFound)?;
    Ok(Json(state.ledger.training(&who.actor, id).await?))
}

/// `{category, severity}`: how a finding is filed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileFindingBody {
    /// 隐患类别 / category.
    pub category: Category,
    /// 隐患等级 / severity.
    pub severity: Severity,
}

/// Files a drill's finding as a hazard of the enterprise.
#[utoipa::path(
    post,
    path = "/api/v1/trainings/{id}/findings/{index}/file",
    tag = "campaign",
    params(
        ("id" = Uuid, Path, description = "演练记录编号 / the drill's id"),
        ("index" = u32, Path, description = "第几个问题（从 0 起）/ the finding's index, from 0"),
    ),
    request_body(content = FileFindingBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已登记为隐患，记录带台账编号 / filed; the record names the entry", body = TrainingView),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "已登记过 / already filed", body = ErrorBody),
    )
)]
pub async fn file_training_finding(
    State(state): State<AppState>,
    who: OfficerAuth,
    path: Result<Path<(Uuid, usize)>, PathRejection>,
    ApiJson(body): ApiJson<FileFindingBody>,
) -> Result<Json<TrainingView>, AppError> {
    let Path((id, index)) = path.map_err(|_| AppError::NotFound)?;
    Ok(Json(
        state
            .ledger
            .file_training_finding(
                &who.actor,
                id,
                index,
                body.category,
                body.severity,
                state.now(),
            )
            .await?,
    ))
}

/// `?year=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// 年度（缺省为今年）/ the year (default this year).
    pub year: Option<i32>,
}

fn year_of(state: &AppState, q: Result<Query<YearQuery>, QueryRejection>) -> Result<i32, AppError> {
    let Query(q) = q.map_err(bad_query)?;
    Ok(q.year
        .unwrap_or_else(|| state.ledger.calendar().today(state.now()).year()))
}

/// Training and drill coverage of a year against the plan, behind-plan first.
#[utoipa::path(
    get,
    path = "/api/v1/trainings/coverage",
    tag = "campaign",
    params(YearQuery),
    security(("bearer" = [])),
    responses(
        (status = 400, description = "参数无效 / invalid year (`invalid_query`)", body = ErrorBody),
        (status = 200, description = "培训、演练覆盖情况 / coverage", body = Coverage))
)]
pub async fn training_coverage(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Json<Coverage>, AppError> {
    let year = year_of(&state, query)?;
    Ok(Json(
        state.ledger.training_coverage(&who.actor, year).await?,
    ))
}

/// A year's trainings, drills and coverage as a spreadsheet.
#[utoipa::path(
    get,
    path = "/api/v1/trainings/export.xlsx",
    tag = "campaign",
    params(YearQuery),
    security(("bearer" = [])),
    responses(
        (status = 400, description = "参数无效 / invalid year (`invalid_query`)", body = ErrorBody),
        (status = 200, description = "培训演练电子表格 / the records and coverage as a spreadsheet", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
)]
pub async fn trainings_xlsx(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let year = year_of(&state, query)?;
    let records = state
        .ledger
        .trainings(
            &who.actor,
            TrainingFilter {
                from: chrono::NaiveDate::from_ymd_opt(year, 1, 1),
                to: chrono::NaiveDate::from_ymd_opt(year, 12, 31),
                ..Default::default()
            },
        )
        .await?;
    let coverage = state.ledger.training_coverage(&who.actor, year).await?;
    let calendar = *state.ledger.calendar();
    let by = who.actor.name().to_owned();
    let now = state.now();
    let bytes = tokio::task::spawn_blocking(move || {
        campaign_export::trainings(&records, &coverage, &calendar, &by, now)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    Ok(xlsx(
        bytes,
        format!("training-{year}.xlsx"),
        &format!("培训演练-{year}.xlsx"),
    ))
}

/// Records a supervision visit.
#[utoipa::path(
    post,
    path = "/api/v1/supervision/visits",
    tag = "campaign",
    request_body(content = NewVisit, example = json!({
        "enterprise": "E001", "date": "2026-11-20", "team": ["区总工会 张三", "区安监局 李四"],
        "checked": "隐患台账、五到位落实、应急预案", "findings": ["消防通道堆放杂物"], "rating": "fair"
    })),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "已登记 / recorded", body = VisitView),
        (status = 400, description = "内容无效 / invalid", body = ErrorBody),
        (status = 403, description = "仅区、镇/街道总工会 / district and town officers only", body = ErrorBody),
        (status = 404, description = "企业或抽查不存在 / not found", body = ErrorBody),
    )
)]
pub async fn record_visit(
    State(state): State<AppState>,
    who: OfficerAuth,
    ApiJson(body): ApiJson<NewVisit>,
) -> Result<Response, AppError> {
    let v = state
        .ledger
        .record_visit(&who.actor, body, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `?enterprise=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    /// 企业编码 / only this enterprise.
    pub enterprise: Option<String>,
}

/// The visits of the jurisdiction, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/supervision/visits",
    tag = "campaign",
    params(VisitQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "督导检查记录 / the visits", body = [VisitView]))
)]
pub async fn visits(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<VisitQuery>, QueryRejection>,
) -> Result<Json<Vec<VisitView>>, AppError> {
    let Query(q) = query.map_err(bad_query)?;
    Ok(Json(state.ledger.visits(&who.actor, q.enterprise).await?))
}

/// One visit.
#[utoipa::path(
    get,
    path = "/api/v1/supervision/visits/{id}",
    tag = "campaign",
    params(("id" = Uuid, Path, description = "记录编号 / visit id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "记录 / the visit", body = VisitView),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
    )
)]
pub async fn visit(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<VisitView>, AppError> {
    let Path(id) = id.map_err(|_| AppError::NotFound)?;
    Ok(Json(state.ledger.visit(&who.actor, id).await?))
}

/// Files a visit's finding as a hazard of the visited enterprise.
#[utoipa::path(
    post,
    path = "/api/v1/supervision/visits/{id}/findings/{index}/file",
    tag = "campaign",
    params(
        ("id" = Uuid, Path, description = "记录编号 / visit id"),
        ("index" = u32, Path, description = "第几个问题（从 0 起）/ the finding's index, from 0"),
    ),
    request_body(content = FileFindingBody),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已登记为隐患 / filed", body = VisitView),
        (status = 404, description = "不存在或不在辖区内 / not found", body = ErrorBody),
        (status = 409, description = "已登记过 / already filed", body = ErrorBody),
    )
)]
pub async fn file_visit_finding(
    State(state): State<AppState>,
    who: OfficerAuth,
    path: Result<Path<(Uuid, usize)>, PathRejection>,
    ApiJson(body): ApiJson<FileFindingBody>,
) -> Result<Json<VisitView>, AppError> {
    let Path((id, index)) = path.map_err(|_| AppError::NotFound)?;
    Ok(Json(
        state
            .ledger
            .file_visit_finding(
                &who.actor,
                id,
                index,
                body.category,
                body.severity,
                state.now(),
            )
            .await?,
    ))
}

/// The year's visits against the plan (every high-risk enterprise once).
#[utoipa::path(
    get,
    path = "/api/v1/supervision/coverage",
    tag = "campaign",
    params(YearQuery),
    security(("bearer" = [])),
    responses(
        (status = 400, description = "参数无效 / invalid year (`invalid_query`)", body = ErrorBody),
        (status = 200, description = "督导覆盖情况，高危行业在前 / coverage, high-risk first", body = VisitCoverage))
)]
pub async fn visit_coverage(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Json<VisitCoverage>, AppError> {
    let year = year_of(&state, query)?;
    Ok(Json(state.ledger.visit_coverage(&who.actor, year).await?))
}

/// The trainings and drills of the worker this phone belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/device/trainings",
    tag = "device",
    security(("bearer" = [])),
    responses((status = 200, description = "本人参加的培训与演练 / the worker's own trainings", body = DeviceTrainings))
)]
pub async fn device_trainings(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
) -> Result<Json<DeviceTrainings>, AppError> {
    let worker = state.ledger.device_worker(device.id).await?;
    let trainings = match &worker {
        Some(w) => state.ledger.worker_trainings(w.clone()).await?,
        None => Vec::new(),
    };
    Ok(Json(DeviceTrainings { worker, trainings }))
}

/// `{worker}`: the worker a phone belongs to (null to unlink).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkWorkerBody {
    /// 职工编码；null 取消关联 / the worker's code; null unlinks.
    pub worker: Option<String>,
}

/// Links an enrolled phone to a worker of its enterprise's roster (or unlinks it).
#[utoipa::path(
    post,
    path = "/api/v1/devices/{id}/worker",
    tag = "officer",
    params(("id" = Uuid, Path, description = "设备编号 / device id")),
    request_body(content = LinkWorkerBody),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "已关联 / linked"),
        (status = 400, description = "名册中没有该职工 / no such worker (`unknown_worker`)", body = ErrorBody),
        (status = 404, description = "设备不存在或不在辖区内 / not found", body = ErrorBody),
    )
)]
pub async fn link_worker(
    State(state): State<AppState>,
    who: OfficerAuth,
    id: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<LinkWorkerBody>,
) -> Result<StatusCode, AppError> {
    let Path(id) = id.map_err(|_| AppError::NotFound)?;
    state
        .ledger
        .link_device_worker(&who.actor, id, body.worker)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
