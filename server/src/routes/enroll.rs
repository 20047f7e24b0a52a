//! `POST /api/v1/enroll`: an enrollment code (注册码) from the enterprise union becomes a device
//! id and a bearer token. The token is shown once, here; the server keeps only its hash.

use axum::Json;
use axum::extract::State;
use hazardsnap_model::{EnrollRequest, EnrollResponse};

use crate::auth::{DEVICE_TOKEN_PREFIX, new_token, token_sha256};
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// Longest accepted enrollment code and device name, in characters.
const MAX_FIELD_CHARS: usize = 64;

/// Enrolls a phone.
#[utoipa::path(
    post,
    path = "/api/v1/enroll",
    tag = "device",
    request_body(content = EnrollRequest),
    responses(
        (status = 200, description = "已注册 / enrolled", body = EnrollResponse),
        (status = 400, description = "无效 JSON 或字段 / invalid JSON or field (`invalid_json`, `invalid_device_name`)", body = hazardsnap_model::ErrorBody),
        (status = 403, description = "注册码无效或已停用 / unknown or inactive code (`invalid_enrollment_code`)", body = hazardsnap_model::ErrorBody),
        (status = 429, description = "请求过于频繁 / too many enrollments (`rate_limited`)", body = hazardsnap_model::ErrorBody),
    )
)]
pub async fn enroll(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, AppError> {
    if state.enroll_limiter.check().is_err() {
        return Err(AppError::RateLimited {
            retry_after_secs: 5,
        });
    }
    let code = req.code.trim().to_owned();
    if code.is_empty() || code.chars().count() > MAX_FIELD_CHARS {
        return Err(AppError::UnknownEnrollmentCode);
    }
    let name = req.device_name.trim().to_owned();
    if name.is_empty()
        || name.chars().count() > MAX_FIELD_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(AppError::bad_request(
            "invalid_device_name",
            format!(
                "设备名称必须为 1–{MAX_FIELD_CHARS} 个字符且不含控制字符 / the device name must be 1–{MAX_FIELD_CHARS} characters without control characters"
            ),
        ));
    }
    let token = new_token(DEVICE_TOKEN_PREFIX);
    let enrolled = state
        .ledger
        .enroll(code, name, req.worker, token_sha256(&token), state.now())
        .await?
        .ok_or(AppError::UnknownEnrollmentCode)?;
    tracing::info!(device = %enrolled.device_id, enterprise = %enrolled.enterprise.code, "device enrolled");
    Ok(Json(EnrollResponse {
        device_id: enrolled.device_id,
        token,
        enterprise: enrolled.enterprise,
    }))
}
