//! Officer sessions (工作人员登录): `POST /api/v1/session` (log in), `DELETE /api/v1/session`
//! (log out), `POST /api/v1/session/password` (change one's password).
//!
//! A session token is random (like a device token) and stored only as its SHA-256; it is
//! answered in the body for API clients and set as an HttpOnly, SameSite=Strict cookie for the
//! web pages, so page scripts never hold it and other sites cannot ride on it. Passwords are
//! checked with Argon2id on a blocking thread; an unknown username costs the same hash as a
//! wrong password so timing does not tell which usernames exist.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use crate::auth::{OfficerAuth, SESSION_TOKEN_PREFIX, new_token, session_cookie, token_sha256};
use crate::client::ClientKey;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::org::{hash_password, verify_password};
use crate::state::AppState;

/// Shortest new password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in characters (Argon2 would hash anything; bound the work).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// `POST /api/v1/session` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// 用户名 / username.
    pub username: String,
    /// 密码 / password.
    pub password: String,
}

/// What a login answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SessionOpened {
    /// 会话令牌（作为 Bearer 令牌使用）/ the session token (use it as a Bearer token).
    pub token: String,
    /// 用户名 / username.
    pub username: String,
    /// 角色 / role.
    pub role: hazardsnap_model::Role,
    /// 镇街或企业代码 / town or enterprise code of the role.
    pub scope: Option<String>,
    /// 会话到期时间 / when the session ends.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/v1/session/password` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// 原密码 / current password.
    pub old_password: String,
    /// 新密码（至少 8 字符）/ new password (at least 8 characters).
    pub new_password: String,
}

/// A hash of a password nobody has, so that unknown usernames cost a real verification.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that is never valid").unwrap_or_default())
}

async fn password_matches(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<bool, AppError> {
    let stored = state.ledger.password_hash(username.to_owned()).await?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| decoy_hash().to_owned());
        verify_password(&password, &hash) && known
    })
    .await
    .map_err(AppError::internal)
}

/// An officer signed in: the new session's token and when it ends.
pub struct SignedIn {
    /// The session token (the cookie's value, the API's bearer token).
    pub token: String,
    /// Who.
    pub officer: hazardsnap_ledger::Officer,
    /// When the session ends at the latest.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Checks a username and password (throttled per username and client; an unknown username
/// costs the same hash as a wrong password) and opens a session. The one way in, for the API
/// and the login form alike.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    client: Option<ClientKey>,
) -> Result<SignedIn, AppError> {
    let username = username.trim().to_owned();
    if username.is_empty() || password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::InvalidCredentials);
    }
    state
        .login_throttle
        .check(&username, client, Instant::now())
        .map_err(|retry_after_secs| AppError::TooManyAttempts { retry_after_secs })?;
    if !password_matches(state, &username, password).await? {
        state
            .login_throttle
            .failed(&username, client, Instant::now());
        tracing::info!(user = %username, "failed officer login");
        return Err(AppError::InvalidCredentials);
    }
    state.login_throttle.succeeded(&username);
    let token = new_token(SESSION_TOKEN_PREFIX);
    let now = state.now();
    let ttl = state.config.session_ttl;
    let expires_at = now + chrono::Duration::from_std(ttl).map_err(AppError::internal)?;
    let Some(officer) = state
        .ledger
        .open_session(username, token_sha256(&token), now, expires_at)
        .await?
    else {
        // Deactivated between the check and now.
        return Err(AppError::InvalidCredentials);
    };
    Ok(SignedIn {
        token,
        officer,
        expires_at,
    })
}

/// Logs an officer in.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "officer",
    request_body(content = LoginRequest, example = json!({"username": "zhang.san", "password": "…"})),
    responses(
        (status = 200, description = "会话已建立，并设置会话 Cookie / the session, and the session cookie is set", body = SessionOpened,
            example = json!({"token": "hss_…", "username": "zhang.san", "role": "enterprise", "scope": "E001", "expires_at": "2026-03-14T21:30:00Z"})),
        (status = 401, description = "用户名或密码错误 / wrong username or password (`invalid_credentials`)", body = hazardsnap_model::ErrorBody),
        (status = 429, description = "失败次数过多（`too_many_attempts`）或本地址请求过于频繁（`rate_limited`），`Retry-After` 秒后再试 / too many failed logins (`too_many_attempts`) or requests from this address (`rate_limited`); retry after `Retry-After` seconds", body = hazardsnap_model::ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    client: Option<Extension<ClientKey>>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    let client = client.map(|Extension(key)| key);
    let s = sign_in(&state, &req.username, &req.password, client).await?;
    let mut response = Json(SessionOpened {
        token: s.token.clone(),
        username: s.officer.username,
        role: s.officer.role,
        scope: s.officer.scope,
        expires_at: s.expires_at,
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&s.token, state.config.session_ttl.as_secs(), &headers)?,
    );
    Ok(response)
}

/// Logs out: ends this session and clears the cookie.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "officer",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "已退出 / logged out"),
        (status = 401, description = "未登录 / not logged in", body = hazardsnap_model::ErrorBody),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    who: OfficerAuth,
) -> Result<Response, AppError> {
    state.ledger.end_session(who.session, state.now()).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, &headers)?);
    Ok(response)
}

/// Changes the officer's own password; every other session of theirs ends.
#[utoipa::path(
    post,
    path = "/api/v1/session/password",
    tag = "officer",
    security(("bearer" = [])),
    request_body(content = PasswordChange),
    responses(
        (status = 204, description = "已修改 / changed"),
        (status = 400, description = "新密码太短或太长 / new password too short or too long (`weak_password`)", body = hazardsnap_model::ErrorBody),
        (status = 401, description = "原密码错误或未登录 / wrong current password or not logged in", body = hazardsnap_model::ErrorBody),
        (status = 429, description = "失败次数过多（`too_many_attempts`）或请求过于频繁（`rate_limited`）/ too many failed attempts (`too_many_attempts`) or requests (`rate_limited`)", body = hazardsnap_model::ErrorBody),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    client: Option<Extension<ClientKey>>,
    who: OfficerAuth,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<Response, AppError> {
    let client = client.map(|Extension(key)| key);
    let username = who.actor.name().to_owned();
    let n = req.new_password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(AppError::bad_request(
            "weak_password",
            format!(
                "新密码须为 {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} 个字符 / the new password must have {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters"
            ),
        ));
    }
    // A stolen session must not be a free oracle for the old password either.
    state
        .login_throttle
        .check(&username, client, Instant::now())
        .map_err(|retry_after_secs| AppError::TooManyAttempts { retry_after_secs })?;
    if !password_matches(&state, &username, &req.old_password).await? {
        state
            .login_throttle
            .failed(&username, client, Instant::now());
        return Err(AppError::InvalidCredentials);
    }
    let new = req.new_password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    state
        .ledger
        .set_password(username, hash, who.session, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
