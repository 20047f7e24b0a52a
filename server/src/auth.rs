//! Bearer tokens: how they are made, how they are stored (only their SHA-256), and the axum
//! extractors that turn an `Authorization` header into a [`Device`] or a [`Principal`], or an
//! officer's header or session cookie into an [`OfficerAuth`] with its [`Actor`] (the officer
//! and the jurisdiction every read and action of theirs is cut to, resolved by the ledger's
//! rules).
//!
//! A token is 32 random bytes; hashing it with plain SHA-256 is enough (no password stretching)
//! because it is not guessable. Missing, unknown and revoked tokens all answer the same 401, so
//! the answer tells an attacker nothing. Each authenticated request also draws from the
//! token's rate limit.
//!
//! Cross-site request forgery: a browser sends the session cookie along with requests other
//! sites make it send. The cookie is SameSite=Strict, and on top of that a cookie-authenticated
//! request that changes something must carry an `Origin` (or `Referer`) naming the host it was
//! sent to — the officers' own pages — or it is refused with 403 `csrf_rejected`. Bearer tokens
//! are never sent by a browser on its own, so they need no such check.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN, REFERER};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use governor::clock::{Clock, DefaultClock};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::state::AppState;
use hazardsnap_ledger::{Actor, Device, Principal};

/// Name of the officers' session cookie (HttpOnly, SameSite=Lax, Secure over TLS).
pub const SESSION_COOKIE: &str = "hazardsnap_session";

/// Whether the request reached us over TLS (directly, or through a proxy that says so).
pub fn over_tls(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The session cookie: HttpOnly (page scripts never hold it), SameSite=Lax (other sites'
/// requests that change something never carry it; a link from elsewhere still opens the
/// page logged in), Secure when served over TLS. An empty value with age 0 clears it.
pub fn session_cookie(
    value: &str,
    max_age_secs: u64,
    request: &axum::http::HeaderMap,
) -> Result<axum::http::HeaderValue, AppError> {
    let secure = if over_tls(request) { "; Secure" } else { "" };
    axum::http::HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .map_err(AppError::internal)
}

/// Prefix of device tokens, so a leaked one is recognisable in logs and scanners.
pub const DEVICE_TOKEN_PREFIX: &str = "hsd_";
/// Prefix of officer session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "hss_";

/// A fresh random token with `prefix`.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// What the server stores of a token.
pub fn token_sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// How a request presented its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presented {
    Bearer,
    Cookie,
}

/// The refusal of a cookie-authenticated change that did not come from our own pages.
pub(crate) fn csrf_rejected() -> AppError {
    AppError::Refused {
        status: StatusCode::FORBIDDEN,
        code: "csrf_rejected",
        message: "请求来源与服务器不符，已拒绝（请从本系统页面操作，或使用 Bearer 令牌） / \
                  the request's origin does not match this server (act from its own pages, \
                  or use a Bearer token)"
            .into(),
    }
}

/// Whether a cookie-authenticated request may go on: reading always; changing only when its
/// `Origin`, else its `Referer`, names the host the request was sent to.
pub(crate) fn same_origin_or_safe(parts: &Parts) -> bool {
    if parts.method.is_safe() {
        return true;
    }
    let Some(host) = parts.headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let source = parts
        .headers
        .get(ORIGIN)
        .or_else(|| parts.headers.get(REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<Uri>().ok());
    source
        .and_then(|uri| {
            uri.authority()
                .map(|a| a.as_str().eq_ignore_ascii_case(host))
        })
        .unwrap_or(false)
}

/// The session token and how it came: the bearer token, else the session cookie.
fn presented_token(parts: &Parts) -> Option<(String, Presented)> {
    session_token(parts).map(|t| {
        let how = if bearer(parts).is_some() {
            Presented::Bearer
        } else {
            Presented::Cookie
        };
        (t, how)
    })
}

async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, AppError> {
    let token = bearer(parts).ok_or(AppError::Unauthorized)?;
    principal_of(token, state).await
}

async fn principal_of(token: &str, state: &AppState) -> Result<Principal, AppError> {
    let hash = token_sha256(token);
    let who = state
        .ledger
        .authenticate(hash, state.now())
        .await?
        .ok_or(AppError::Unauthorized)?;
    // Only known tokens are counted, so random tokens cannot fill the limiter's memory.
    if let Err(not_until) = state.device_limiter.check_key(&hash) {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    Ok(who)
}

/// The session token of a request: the bearer token, else the session cookie.
fn session_token(parts: &Parts) -> Option<String> {
    if let Some(t) = bearer(parts) {
        return Some(t.to_owned());
    }
    cookie_token(parts)
}

/// The session cookie's token.
pub(crate) fn cookie_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == SESSION_COOKIE && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// An officer with a live session (工作人员), and what they may see.
#[derive(Debug, Clone)]
pub struct OfficerAuth {
    /// Who, with their jurisdiction (辖区).
    pub actor: Actor,
    /// The session's token hash (for logout and password change).
    pub session: [u8; 32],
}

impl FromRequestParts<AppState> for OfficerAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (token, how) = presented_token(parts).ok_or(AppError::Unauthorized)?;
        if how == Presented::Cookie && !same_origin_or_safe(parts) {
            return Err(csrf_rejected());
        }
        let hash = token_sha256(&token);
        match state.ledger.authenticate(hash, state.now()).await? {
            None => Err(AppError::Unauthorized),
            // A phone's token is real but not an officer's: say so rather than "who are you".
            Some(Principal::Device(_)) => Err(AppError::Forbidden),
            Some(Principal::Officer(officer)) => Ok(OfficerAuth {
                // A role whose scope is missing (a roster error) sees nothing, not everything.
                actor: Actor::of(officer).ok_or(AppError::Forbidden)?,
                session: hash,
            }),
        }
    }
}

/// An authenticated phone.
#[derive(Debug, Clone)]
pub struct DeviceAuth(pub Device);

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match principal(parts, state).await? {
            Principal::Device(d) => Ok(DeviceAuth(d)),
            // An officer's token on a device route is as good as none.
            Principal::Officer(_) => Err(AppError::Unauthorized),
        }
    }
}

/// A phone or an officer: who may upload photos. Phones present their bearer token; officers
/// their bearer token or, from the review pages, their session cookie (after-photos of a
/// rectification).
#[derive(Debug, Clone)]
pub struct UploaderAuth(pub Principal);

impl FromRequestParts<AppState> for UploaderAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (token, how) = presented_token(parts).ok_or(AppError::Unauthorized)?;
        if how == Presented::Cookie && !same_origin_or_safe(parts) {
            return Err(csrf_rejected());
        }
        match principal_of(&token, state).await? {
            // Only officers are given cookies: a device token in one is refused like none.
            Principal::Device(_) if how == Presented::Cookie => Err(AppError::Unauthorized),
            who => Ok(UploaderAuth(who)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_prefixed() {
        let a = new_token(DEVICE_TOKEN_PREFIX);
        let b = new_token(DEVICE_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("hsd_") && a.len() == 4 + 64);
        assert_eq!(token_sha256(&a), token_sha256(&a));
    }
}
