//! Outgoing webhooks (事件推送): every step on every entry, as JSON, to a district's group chat
//! or its own systems. The ledger's append-only history **is** the persisted queue: a target
//! keeps a cursor (the last history sequence it was sent), so a restart loses nothing and the
//! events leave in the order they happened. A failed delivery is retried with a growing pause
//! ([`backoff`]) and holds back the later ones (a chat reads in order). Delivery is at least
//! once: a receiver that answered but whose answer was lost sees the event again, with the
//! same `id`, to drop. Nothing of this runs inside a request: the server's sender task reads
//! the history on its own.
//!
//! What an event carries: the entry's number, enterprise, the step, the statuses, the
//! officer who took it and their note — never a reporter or a device (an anonymous worker
//! stays anonymous to their enterprise's chat).

use chrono::{DateTime, Duration, Utc};
use hazardsnap_model::LedgerStatus;
use serde::Serialize;
use uuid::Uuid;

use crate::error::LedgerResult;
use crate::repo::rows::{HistoryItem, WebhookCursor};
use crate::service::Ledger;

/// Events sent per batch at most.
pub const BATCH: u64 = 50;
/// The longest pause between two attempts.
pub const MAX_BACKOFF: Duration = Duration::minutes(10);

/// One event as the receiver gets it (the request's JSON body).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEvent {
    /// The event's id: its history sequence, increasing (drop a repeated one).
    pub id: i64,
    /// `entry.<step>`, e.g. `entry.reported`, `entry.confirm`, `entry.escalate`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The entry.
    pub entry_id: Uuid,
    /// Its ledger number.
    pub number: String,
    /// Its enterprise's code.
    pub enterprise: String,
    /// The status before, when the step moved it.
    pub from_status: Option<LedgerStatus>,
    /// The status after.
    pub status: LedgerStatus,
    /// The officer who took the step (none for filing).
    pub actor: Option<String>,
    /// The step's reason, note or plan.
    pub detail: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<HistoryItem> for WebhookEvent {
    fn from(h: HistoryItem) -> Self {
        WebhookEvent {
            id: h.seq,
            kind: format!("entry.{}", h.event.action),
            entry_id: h.entry_id,
            number: h.number,
            enterprise: h.enterprise,
            from_status: h.event.from_status,
            status: h.event.to_status,
            actor: h.event.actor,
            detail: h.event.details,
            at: h.event.at,
        }
    }
}

/// The pause after `attempts` failures in a row: 2, 4, 8 … seconds, at most [`MAX_BACKOFF`].
pub fn backoff(attempts: u32) -> Duration {
    let secs = 1i64 << attempts.clamp(1, 16);
    Duration::seconds(secs).min(MAX_BACKOFF)
}

/// What a sender should do now.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookWork {
    /// Wait until then (a backoff).
    WaitUntil(DateTime<Utc>),
    /// Send these, in order.
    Send(Vec<WebhookEvent>),
    /// Nothing new.
    Idle,
}

impl Ledger {
    /// The next events for `target`. A target seen for the first time starts at the end of
    /// the history: it receives what happens from now on, not the past.
    pub async fn webhook_work(
        &self,
        target: String,
        now: DateTime<Utc>,
    ) -> LedgerResult<WebhookWork> {
        self.repo
            .write(move |tx| {
                let cursor = match tx.webhook_cursor(&target)? {
                    Some(c) => c,
                    None => {
                        let c = WebhookCursor {
                            last: tx.history_last()?,
                            ..WebhookCursor::default()
                        };
                        tx.put_webhook_cursor(&target, &c)?;
                        c
                    }
                };
                if let Some(at) = cursor.next_at.filter(|at| *at > now) {
                    return Ok(WebhookWork::WaitUntil(at));
                }
                let events: Vec<WebhookEvent> = tx
                    .history_after(cursor.last, BATCH)?
                    .into_iter()
                    .map(WebhookEvent::from)
                    .collect();
                Ok(if events.is_empty() {
                    WebhookWork::Idle
                } else {
                    WebhookWork::Send(events)
                })
            })
            .await
    }

    /// Records that event `id` reached `target`.
    pub async fn webhook_delivered(&self, target: String, id: i64) -> LedgerResult<()> {
        self.repo
            .write(move |tx| {
                let mut c = tx.webhook_cursor(&target)?.unwrap_or_default();
                if id > c.last {
                    c.last = id;
                }
                c.attempts = 0;
                c.next_at = None;
                c.last_error = None;
                tx.put_webhook_cursor(&target, &c)?;
                Ok(())
            })
            .await
    }

    /// Records a failed attempt; when to try again.
    pub async fn webhook_failed(
        &self,
        target: String,
        error: String,
        now: DateTime<Utc>,
    ) -> LedgerResult<DateTime<Utc>> {
        self.repo
            .write(move |tx| {
                let mut c = tx.webhook_cursor(&target)?.unwrap_or_default();
                c.attempts = c.attempts.saturating_add(1);
                let next = now + backoff(c.attempts);
                c.next_at = Some(next);
                c.last_error = Some(error.chars().take(500).collect());
                tx.put_webhook_cursor(&target, &c)?;
                Ok(next)
            })
            .await
    }

    /// A target's cursor and the events waiting for it (for `/metrics` and the admin page).
    pub async fn webhook_backlog(&self, target: String) -> LedgerResult<(WebhookCursor, i64)> {
        self.repo
            .read(move |tx| {
                let c = tx.webhook_cursor(&target)?.unwrap_or_default();
                let last = tx.history_last()?;
                Ok((c.clone(), (last - c.last).max(0)))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_grows_and_stops_growing() {
        assert_eq!(backoff(1), Duration::seconds(2));
        assert_eq!(backoff(3), Duration::seconds(8));
        assert_eq!(backoff(30), MAX_BACKOFF);
        assert!((1..20).all(|a| backoff(a) <= backoff(a + 1)));
    }
}
