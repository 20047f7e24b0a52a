//! `GET /healthz` and `GET /api/openapi.json`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

/// Ready when the database answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "system",
    responses(
        (status = 200, description = "就绪 / ready", body = Health, example = json!({"status": "ok"})),
        (status = 503, description = "数据库不可用 / database unavailable", body = hazardsnap_model::ErrorBody),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.ledger.repo().ping().await {
        Ok(()) => Json(Health { status: "ok" }).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "error": "unavailable",
                    "message": "数据库不可用 / database unavailable"
                })),
            )
                .into_response()
        }
    }
}

/// The answer of a ready server.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

/// The OpenAPI 3 document of every route, generated from the handlers' annotations.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "system",
    responses((status = 200, description = "OpenAPI 3 文档 / OpenAPI 3 document", body = Object))
)]
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}
