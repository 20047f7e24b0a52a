//! The phone's change feed (状态推送): what became of a device's reports.
//!
//! The feed is read from an append-only log of events; its cursor is the id of the last
//! event a page covered. Event ids only grow and events are never rewritten, so any cursor
//! stays valid forever and `since = 0` replays the whole log: a phone that lost its state can
//! always rebuild it from the server's data alone. A page folds a report changed several
//! times into its latest state.

use std::collections::HashMap;

use hazardsnap_model::{ChangeFeed, ReportChange};
use uuid::Uuid;

use crate::error::LedgerResult;
use crate::service::Ledger;

impl Ledger {
    /// The device's change feed after the cursor `since` (0: from the start), at most
    /// `limit` events, folded to the latest state of each report, ordered by that latest
    /// event.
    pub async fn changes(
        &self,
        device: Uuid,
        since: i64,
        limit: usize,
    ) -> LedgerResult<ChangeFeed> {
        let limit = limit.max(1);
        self.repo
            .read(move |tx| {
                let mut events = tx.feed_events(device, since, limit + 1)?;
                let more = events.len() > limit;
                events.truncate(limit);
                let cursor = events.last().map_or(since, |(id, _)| *id);
                let mut latest: HashMap<Uuid, usize> = HashMap::new();
                for (i, (_, e)) in events.iter().enumerate() {
                    latest.insert(e.report_id, i);
                }
                let mut picks: Vec<usize> = latest.into_values().collect();
                picks.sort_unstable();
                let changes = picks
                    .into_iter()
                    .map(|i| {
                        let e = &events[i].1;
                        ReportChange {
                            report_id: e.report_id,
                            status: e.status,
                            entry_id: Some(e.entry_id),
                            entry_number: Some(e.entry_number.clone()),
                            merged_into: e.merged_into.clone(),
                            reason: e.reason.clone(),
                            suggestion: e.suggestion,
                            changed_at: e.at,
                        }
                    })
                    .collect();
                Ok(ChangeFeed {
                    changes,
                    cursor: cursor.to_string(),
                    more,
                })
            })
            .await
    }
}
