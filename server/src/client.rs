//! Client addresses (客户端地址), never kept: the one place that reads a connection's peer
//! address turns it at once into a [`ClientKey`], a keyed hash, and every later use (the
//! per-address request limit here, the failed-login counter of [`crate::throttle`]) sees only
//! that key. Nothing writes an address or its key to the database or the logs.
//!
//! The key is HMAC-SHA256 under 32 random bytes drawn when the server starts and held only in
//! its memory, so the same address gives the same key for the life of the process and
//! nothing that outlives it (a log, a database, a key seen in a dump taken after a restart)
//! can be matched to an address. Honest limit: a dump of the *running* process holds the
//! random key too, and the IPv4 space is small enough to hash through; the key keeps
//! addresses out of everything written down, not out of a live process's memory.
//!
//! An IPv6 client is keyed by its /64 network: one phone or household gets a whole /64 and
//! could otherwise change its address for every request. An IPv4-mapped IPv6 address is its
//! IPv4 address.
//!
//! The limit per address (`Config::client_rate_per_sec`, `Config::client_burst`) is generous
//! because a whole factory sits behind one NAT address: it stops one address flooding the
//! server (unauthenticated routes and uploads included, before any body is read or any token
//! looked up), not a busy site. Behind a reverse proxy every client shares the proxy's
//! address: raise the limit there (`--client-rate-per-sec`) and limit per address at the
//! proxy.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::AppError;
use crate::state::AppState;

/// What the server knows of a client's address: a keyed hash of it (of its /64 for IPv6),
/// valid for the life of the process.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey([u8; 16]);

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not even the key in debug output: it has no use outside the process.
        f.write_str("ClientKey(…)")
    }
}

/// The process's random key for [`ClientKey`]s.
pub struct ClientKeys {
    secret: [u8; 32],
}

impl std::fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientKeys(…)")
    }
}

impl Default for ClientKeys {
    fn default() -> Self {
        ClientKeys::new()
    }
}

impl ClientKeys {
    /// A fresh random key.
    pub fn new() -> ClientKeys {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        ClientKeys { secret }
    }

    /// The key of an address.
    pub fn of(&self, ip: IpAddr) -> ClientKey {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(m) => m,
            // HMAC takes a key of any length; this arm is never taken.
            Err(_) => return ClientKey([0; 16]),
        };
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                mac.update(b"4");
                mac.update(&v4.octets());
            }
            IpAddr::V6(v6) => {
                mac.update(b"6");
                mac.update(&v6.octets()[..8]);
            }
        }
        let digest = mac.finalize().into_bytes();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        ClientKey(key)
    }
}

/// Middleware of every route: replaces the connection's peer address by its [`ClientKey`]
/// (handlers read `Extension<ClientKey>`; the address itself is taken out of the request)
/// and draws one request from that key's limit, answering 429 `rate_limited` with
/// `Retry-After` when it is spent. A request without a peer address (a test driving the
/// router directly) passes unlimited.
pub async fn limit_per_client(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(ConnectInfo(peer)) = request.extensions_mut().remove::<ConnectInfo<SocketAddr>>()
    else {
        return next.run(request).await;
    };
    let key = state.client_keys.of(peer.ip());
    if let Err(not_until) = state.client_limiter.check_key(&key) {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return refusal(&request, wait.as_secs().max(1));
    }
    request.extensions_mut().insert(key);
    next.run(request).await
}

/// The 429 of a spent limit: the JSON error, or for a browser outside `/api/` the error page
/// in its language; `Retry-After` on both.
fn refusal(request: &Request, retry_after_secs: u64) -> Response {
    let error = AppError::RateLimited { retry_after_secs };
    let wants_page = !request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if !wants_page {
        return error.into_response();
    }
    let lang = crate::web::lang_of_headers(request.headers());
    let mut response = crate::web::PageError::new(lang, error).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_address_and_the_process_key() {
        let keys = ClientKeys::new();
        let a: IpAddr = [192, 0, 2, 7].into();
        let b: IpAddr = [192, 0, 2, 8].into();
        assert_eq!(keys.of(a), keys.of(a));
        assert_ne!(keys.of(a), keys.of(b));
        // Another process (another random key) cannot match them.
        assert_ne!(ClientKeys::new().of(a), keys.of(a));
        // The IPv4-mapped form is the same client.
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(keys.of(mapped), keys.of(a));
        assert_eq!(format!("{:?}", keys.of(a)), "ClientKey(…)");
    }

    #[test]
    fn an_ipv6_client_is_its_64_network() {
        let keys = ClientKeys::new();
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_net: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_net: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(keys.of(one), keys.of(same_net));
        assert_ne!(keys.of(one), keys.of(other_net));
    }
}
