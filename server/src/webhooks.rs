//! The outgoing webhook sender (事件推送): a task beside the server that reads the ledger's
//! history from its target's cursor (`hazardsnap_ledger::rules::webhooks`) and POSTs each
//! event as JSON, signed with HMAC-SHA256 over the exact body bytes:
//!
//! ```text
//! POST <url>
//! Content-Type: application/json
//! X-Hazardsnap-Event: 4711                       (the event id, increasing; drop a repeat)
//! X-Hazardsnap-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//! ```
//!
//! A 2xx answer moves the cursor; anything else (or no answer within 10 s) is a failure,
//! recorded with a growing pause before the next attempt. Requests never wait for it: the
//! sender runs on its own and the history it reads is written by the requests' transactions.

use std::time::Duration;

use chrono::Utc;
use hazardsnap_ledger::rules::webhooks::WebhookWork;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// Where the events go.
#[derive(Clone)]
pub struct WebhookTarget {
    /// The receiver's URL.
    pub url: String,
    /// The shared secret of the signature.
    pub secret: String,
}

impl std::fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl WebhookTarget {
    /// The name the cursor is kept under: a hash of the URL (one cursor per receiver).
    pub fn cursor_name(&self) -> String {
        format!(
            "webhook:{}",
            hex::encode(&Sha256::digest(self.url.as_bytes())[..12])
        )
    }
}

/// `sha256=<hex>` of the body under the secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How often an idle sender looks for new events.
const POLL: Duration = Duration::from_secs(2);

/// Runs the sender until the task is aborted.
pub async fn run(state: AppState, target: WebhookTarget) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("hazardsnap-webhook/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook sender cannot start");
            return;
        }
    };
    let name = target.cursor_name();
    loop {
        let now = state.now();
        let work = match state.ledger.webhook_work(name.clone(), now).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "webhook sender cannot read the history");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        match work {
            WebhookWork::Idle => tokio::time::sleep(POLL).await,
            WebhookWork::WaitUntil(at) => {
                let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                tokio::time::sleep(wait.min(POLL)).await;
            }
            WebhookWork::Send(events) => {
                for event in events {
                    let body = match serde_json::to_vec(&event) {
                        Ok(b) => b,
                        Err(e) => {
                            tracing::error!(error = %e, "webhook event does not serialise");
                            break;
                        }
                    };
                    let sent = http
                        .post(&target.url)
                        .header("content-type", "application/json")
                        .header("x-hazardsnap-event", event.id.to_string())
                        .header("x-hazardsnap-signature", signature(&target.secret, &body))
                        .body(body)
                        .send()
                        .await;
                    let failure = match sent {
                        Ok(r) if r.status().is_success() => None,
                        Ok(r) => Some(format!("HTTP {}", r.status())),
                        Err(e) => Some(e.without_url().to_string()),
                    };
                    let delivered = match failure {
                        None => {
                            let saved =
                                state.ledger.webhook_delivered(name.clone(), event.id).await;
                            if let Err(e) = &saved {
                                tracing::warn!(error = %e, "webhook cursor not saved");
                            }
                            saved.is_ok()
                        }
                        Some(error) => {
                            tracing::warn!(event = event.id, %error, "webhook delivery failed");
                            if let Err(e) = state
                                .ledger
                                .webhook_failed(name.clone(), error, state.now())
                                .await
                            {
                                tracing::warn!(error = %e, "webhook failure not recorded");
                            }
                            false
                        }
                    };
                    if !delivered {
                        // The rest waits for the retry, in order.
                        break;
                    }
                }
            }
        }
    }
}
