//! The one error type of the HTTP layer, [`AppError`], and how it renders.
//!
//! Every refusal the server makes leaves through here as `{"error": code, "message": text}`
//! with a 4xx or 5xx status (`CONTRACT.md`), so that the phone can branch on the stable code and
//! show the bilingual text. Internal failures are logged with their cause and answered with a
//! generic message: database paths or SQL never reach a client.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hazardsnap_ledger::{ErrorKind, LedgerError, RepoError};
use hazardsnap_model::{ErrorBody, IllegalMove, Labelled};

/// The header of resumable uploads that carries the byte offset (tus-like).
pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No token, an unknown token, or a revoked one: all the same to the caller.
    #[error("未授权：令牌缺失、无效或已吊销 / unauthorized: token missing, invalid or revoked")]
    Unauthorized,
    /// The enrollment code is unknown or no longer active.
    #[error("注册码无效或已停用 / enrollment code unknown or no longer active")]
    UnknownEnrollmentCode,
    /// The body is not the JSON the route expects.
    #[error("请求体不是有效的 JSON / invalid JSON body: {0}")]
    InvalidJson(String),
    /// The body is not declared as JSON.
    #[error("请求体必须是 application/json / the body must be application/json")]
    UnsupportedMediaType,
    /// The body is larger than the route accepts.
    #[error("请求体过大：最多 {limit} 字节 / body too large: at most {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A request parameter is malformed.
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// Bilingual text.
        message: String,
    },
    /// The uploaded bytes do not hash to the photo's name.
    #[error("照片内容与其 SHA-256 名称不符 / the photo's bytes do not match its SHA-256 name")]
    HashMismatch,
    /// The photo pipeline refused the bytes (not a photo, truncated, too many pixels…).
    #[error("{message}")]
    PhotoRejected {
        /// The photo pipeline's stable code.
        code: &'static str,
        /// Its bilingual text.
        message: String,
    },
    /// A resumed upload names another offset than the server holds.
    #[error(
        "续传位置不符：服务器已有 {current} 字节 / upload offset mismatch: the server holds {current} bytes"
    )]
    OffsetMismatch {
        /// Bytes the server holds.
        current: u64,
    },
    /// Another upload of the same photo is running.
    #[error("同一张照片正在上传中，请稍后重试 / the same photo is being uploaded, retry later")]
    UploadInProgress,
    /// The caller sends too fast.
    #[error(
        "请求过于频繁，请 {retry_after_secs} 秒后重试 / too many requests, retry in {retry_after_secs} s"
    )]
    RateLimited {
        /// Seconds until a retry may pass.
        retry_after_secs: u64,
    },
    /// The device stored as many photos (or bytes) as its quota allows over the last 24 hours.
    #[error(
        "本设备 24 小时内存储的照片已达上限（{photos} 张或 {mib} MiB），请 {retry_after_secs} 秒后重试 / this device has stored its quota of photos for 24 hours ({photos} photos or {mib} MiB); retry in {retry_after_secs} s"
    )]
    DeviceQuotaExceeded {
        /// Photos per device per 24 hours.
        photos: u64,
        /// The byte quota in MiB.
        mib: u64,
        /// Seconds until the oldest counted photo leaves the 24 hours.
        retry_after_secs: u64,
    },
    /// The route does not exist, or what it names lies outside the caller's jurisdiction.
    #[error("未找到 / not found")]
    NotFound,
    /// Authenticated, but this kind of account may not do this (a device on an officer route,
    /// an enterprise officer deciding an extension, a reveal by anyone but the district).
    #[error("无权执行此操作 / not allowed for this account")]
    Forbidden,
    /// Wrong username or password (never says which).
    #[error("用户名或密码错误 / wrong username or password")]
    InvalidCredentials,
    /// Too many failed logins: wait before trying again.
    #[error(
        "登录失败次数过多，请 {retry_after_secs} 秒后重试 / too many failed logins, retry in {retry_after_secs} s"
    )]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The ledger workflow refuses the move; the allowed ones are named.
    #[error("{0}")]
    IllegalTransition(IllegalMove),
    /// A refusal with its own status and code (conflicts, unprocessable input).
    #[error("{message}")]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// Bilingual text.
        message: String,
    },
    /// Something failed inside the server; the cause is logged, not sent.
    #[error("服务器内部错误，请稍后重试 / internal server error, retry later")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::UnknownEnrollmentCode => StatusCode::FORBIDDEN,
            AppError::InvalidJson(_) | AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::HashMismatch | AppError::PhotoRejected { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::OffsetMismatch { .. } | AppError::UploadInProgress => StatusCode::CONFLICT,
            AppError::RateLimited { .. } | AppError::DeviceQuotaExceeded { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::IllegalTransition(_) => StatusCode::CONFLICT,
            AppError::Refused { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable snake_case code of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::UnknownEnrollmentCode => "invalid_enrollment_code",
            AppError::InvalidJson(_) => "invalid_json",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::BadRequest { code, .. } | AppError::PhotoRejected { code, .. } => code,
            AppError::HashMismatch => "hash_mismatch",
            AppError::OffsetMismatch { .. } => "upload_offset_mismatch",
            AppError::UploadInProgress => "upload_in_progress",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::DeviceQuotaExceeded { .. } => "device_quota_exceeded",
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::IllegalTransition(_) => IllegalMove::CODE,
            AppError::Refused { code, .. } => code,
            AppError::Internal(_) => "internal",
        }
    }

    /// A malformed parameter.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// Wraps an unexpected failure.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        AppError::Internal(e.into())
    }
}

/// What the rules refuse, as an answer: the kind decides the status, the code and the text
/// are the rule's own.
impl From<LedgerError> for AppError {
    fn from(e: LedgerError) -> Self {
        let status = match e.kind() {
            ErrorKind::NotFound => return AppError::NotFound,
            ErrorKind::Internal => return AppError::Internal(e.into()),
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Conflict => StatusCode::CONFLICT,
        };
        match e {
            LedgerError::Illegal(m) => AppError::IllegalTransition(m),
            other => AppError::Refused {
                status,
                code: other.code(),
                message: other.to_string(),
            },
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let body = ErrorBody::new(self.code(), self.to_string());
        let mut response = match &self {
            // The pages offer the allowed moves as buttons: name them as data too.
            AppError::IllegalTransition(m) => {
                let mut v = serde_json::to_value(&body).unwrap_or_default();
                v["status"] = m.from.wire_name().into();
                v["allowed"] = m.allowed.iter().map(|a| a.wire_name()).collect();
                (status, Json(v)).into_response()
            }
            _ => (status, Json(body)).into_response(),
        };
        let headers = response.headers_mut();
        match self {
            AppError::OffsetMismatch { current } => {
                headers.insert(UPLOAD_OFFSET, HeaderValue::from(current));
            }
            AppError::RateLimited { retry_after_secs }
            | AppError::DeviceQuotaExceeded {
                retry_after_secs, ..
            }
            | AppError::TooManyAttempts { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            AppError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

/// Gives a JSON body to the answers that the framework and the tower layers make on their own
/// (405, 408 on timeout, 413, a panic's 500…), so that every error a client sees has the same
/// shape. Answers that are already JSON, the pages' own HTML error pages, and successes pass
/// unchanged.
pub async fn json_error_bodies<B>(response: axum::http::Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let response = response.map(axum::body::Body::new);
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let has_body = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if has_body {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "未找到 / not found"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "不支持该请求方法 / method not allowed",
        ),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "请求超时 / request timed out"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "请求体过大 / body too large"),
        s if s.is_client_error() => ("bad_request", "请求无效 / bad request"),
        _ => (
            "internal",
            "服务器内部错误，请稍后重试 / internal server error, retry later",
        ),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    let mut fresh = (status, Json(ErrorBody::new(code, message))).into_response();
    // Keep headers such as Upload-Offset, Allow or the request id, but let the new body's
    // content type and length win.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && !fresh.headers().contains_key(name) {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}
