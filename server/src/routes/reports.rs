//! `POST /api/v1/reports`: a batch of reports from a phone, one result per report.
//!
//! Protocol validation (`ReportSubmission::validate`, the same rules the phone applies at
//! capture) happens here; idempotency, the photo check and filing happen in the store, in one
//! transaction for the batch. A report that breaks a rule does not fail its batch: it gets its
//! own `invalid` result, so one bad report can never wedge the phone's whole outbox.

use axum::Json;
use axum::extract::State;
use hazardsnap_ledger::CheckedReport;
use hazardsnap_model::{
    ErrorBody, MAX_REPORTS_PER_BATCH, PROTOCOL_VERSION, SubmitOutcome, SubmitReports, SubmitResult,
    SubmitResults,
};

use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// Accepts a batch of reports.
#[utoipa::path(
    post,
    path = "/api/v1/reports",
    tag = "device",
    security(("bearer" = [])),
    request_body(content = SubmitReports, description = "至多 100 份报告，照片须先上传 / at most 100 reports; every photo uploaded first"),
    responses(
        (status = 200, description = "`SubmitResults`: one `SubmitResult` per report, in order; `outcome` is `accepted`, `already_accepted`, `conflict` (`report_conflict`), `missing_photos` (with `missing_photos`) or `invalid`", body = SubmitResults),
        (status = 400, description = "无效 JSON（`invalid_json`）、协议版本不支持（`unsupported_version`）或批次过大（`batch_too_large`）/ invalid JSON, unsupported version or batch too large", body = hazardsnap_model::ErrorBody),
        (status = 401, description = "令牌缺失、无效或已吊销 / token missing, invalid or revoked", body = hazardsnap_model::ErrorBody),
        (status = 413, description = "请求体过大 / body too large", body = hazardsnap_model::ErrorBody),
        (status = 429, description = "请求过于频繁 / rate limited", body = hazardsnap_model::ErrorBody),
    )
)]
pub async fn submit_reports(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    ApiJson(batch): ApiJson<SubmitReports>,
) -> Result<Json<SubmitResults>, AppError> {
    if batch.version != PROTOCOL_VERSION {
        return Err(AppError::bad_request(
            "unsupported_version",
            format!(
                "不支持的协议版本 {}，服务器支持 {PROTOCOL_VERSION} / unsupported protocol version {}, the server speaks {PROTOCOL_VERSION}",
                batch.version, batch.version
            ),
        ));
    }
    if batch.reports.len() > MAX_REPORTS_PER_BATCH {
        return Err(AppError::bad_request(
            "batch_too_large",
            format!(
                "一批最多 {MAX_REPORTS_PER_BATCH} 份报告，收到 {} 份 / at most {MAX_REPORTS_PER_BATCH} reports per batch, got {}",
                batch.reports.len(),
                batch.reports.len()
            ),
        ));
    }
    let now = state.now();
    let mut results: Vec<Option<SubmitResult>> = Vec::with_capacity(batch.reports.len());
    let mut valid = Vec::new();
    for report in batch.reports {
        match report.validate(now) {
            Ok(()) => {
                results.push(None);
                valid.push(CheckedReport::new(report));
            }
            Err(why) => results.push(Some(SubmitResult {
                id: report.id,
                outcome: SubmitOutcome::Invalid,
                entry_id: None,
                entry_number: None,
                status: None,
                missing_photos: Vec::new(),
                error: Some(ErrorBody::from(&why)),
            })),
        }
    }
    let mut stored = if valid.is_empty() {
        Vec::new()
    } else {
        state
            .ledger
            .submit_reports(device.clone(), valid, now)
            .await?
    }
    .into_iter();
    let results: Vec<SubmitResult> = results
        .into_iter()
        .map(|r| r.or_else(|| stored.next()))
        .collect::<Option<_>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("store returned fewer results")))?;
    let accepted = results
        .iter()
        .filter(|r| r.outcome == SubmitOutcome::Accepted)
        .count();
    tracing::info!(device = %device.id, reports = results.len(), accepted, "report batch");
    state.metrics.reports(results.iter().map(|r| r.outcome));
    Ok(Json(SubmitResults { results }))
}
