//! [`ApiJson`]: the JSON body extractor of every route, which refuses bad input with the
//! server's own `{error, message}` instead of axum's plain-text rejections.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::state::AppState;

/// A JSON body of type `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::UnsupportedMediaType),
            // serde's own message names the field, the line and the column; axum's wrapper
            // around it adds nothing a client can use.
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::InvalidJson(innermost(&e))),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(AppError::InvalidJson(innermost(&e))),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(AppError::PayloadTooLarge {
                    limit: state.config.max_json_bytes as u64,
                })
            }
            Err(other) => Err(AppError::InvalidJson(other.body_text())),
        }
    }
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
