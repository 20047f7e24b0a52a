//! `GET /api/v1/device/changes?since=CURSOR`: what became of this device's reports.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use hazardsnap_model::ChangeFeed;
use serde::Deserialize;

use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::state::AppState;

/// The query string.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChangesQuery {
    /// The `cursor` of the previous page; absent, empty or `0` for a full resync.
    pub since: Option<String>,
}

/// One page of the change feed.
#[utoipa::path(
    get,
    path = "/api/v1/device/changes",
    tag = "device",
    params(ChangesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`ChangeFeed`: `{changes: [ReportChange…], cursor, more}`; call again with `since=cursor` while `more`", body = ChangeFeed),
        (status = 400, description = "游标无效 / invalid cursor (`invalid_cursor`)", body = hazardsnap_model::ErrorBody),
        (status = 401, description = "令牌缺失、无效或已吊销 / token missing, invalid or revoked", body = hazardsnap_model::ErrorBody),
        (status = 429, description = "请求过于频繁 / rate limited", body = hazardsnap_model::ErrorBody),
    )
)]
pub async fn device_changes(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<ChangeFeed>, AppError> {
    let bad_cursor = || {
        AppError::bad_request(
            "invalid_cursor",
            "游标无效：应为上一页返回的 cursor / invalid cursor: pass the cursor of the previous page",
        )
    };
    let Query(q) = query.map_err(|_| bad_cursor())?;
    let since = match q.since.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(bad_cursor)?,
    };
    let feed = state
        .ledger
        .changes(device.id, since, state.config.feed_page_size)
        .await?;
    Ok(Json(feed))
}
