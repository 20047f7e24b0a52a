//! The history of an entry (台账履历) and what a status change tells the phones: the one
//! place both are written.
//!
//! Every step of the loop records who, when, what and why in the entry's append-only
//! history; nothing is deleted. A step that changes the entry's status also tells every
//! report filed in it, through its device's change feed, so each worker who took part sees
//! what became of their report ([`move_to`]). Steps that do not change the status
//! (an escalation, an extension request, a merge into this entry) are only noted
//! ([`note`]).

use chrono::{DateTime, Utc};
use hazardsnap_model::LedgerStatus;
use uuid::Uuid;

use crate::error::RepoResult;
use crate::repo::WriteTx;
use crate::repo::rows::{EntryRow, FeedEvent, HistoryEvent};

/// What an action records, besides its name.
#[derive(Debug, Clone, Default)]
pub struct Step<'a> {
    /// Who (an officer's username); none for filing's own steps.
    pub actor: Option<&'a str>,
    /// The reason, note or plan, as text.
    pub detail: Option<String>,
}

impl<'a> Step<'a> {
    /// A step by an officer.
    pub fn by(actor: &'a str, detail: impl Into<String>) -> Step<'a> {
        Step {
            actor: Some(actor),
            detail: Some(detail.into()),
        }
    }

    /// A step of filing (no officer).
    pub fn filing(detail: impl Into<String>) -> Step<'static> {
        Step {
            actor: None,
            detail: Some(detail.into()),
        }
    }
}

/// Appends an event of `entry` with its status before (`from`) and now.
fn append(
    tx: &mut dyn WriteTx,
    entry: &EntryRow,
    action: &str,
    from: Option<LedgerStatus>,
    step: Step<'_>,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    tx.append_history(
        entry.id,
        &HistoryEvent {
            at,
            actor: step.actor.map(str::to_owned),
            action: action.to_owned(),
            from_status: from,
            to_status: entry.status,
            details: step.detail,
        },
    )
}

/// Records the first event of a new entry (its status before is none).
pub fn opened(
    tx: &mut dyn WriteTx,
    entry: &EntryRow,
    action: &str,
    step: Step<'_>,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    append(tx, entry, action, None, step, at)
}

/// Saves `entry` (changed by the caller, status unchanged) and notes a step that does not
/// move it in the loop.
pub fn note(
    tx: &mut dyn WriteTx,
    entry: &mut EntryRow,
    action: &str,
    step: Step<'_>,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    entry.updated_at = at;
    tx.update_entry(entry)?;
    append(tx, entry, action, Some(entry.status), step, at)
}

/// Notes a step on an entry without changing any of its columns (filing's own notes).
pub fn note_unchanged(
    tx: &mut dyn WriteTx,
    entry: &EntryRow,
    action: &str,
    step: Step<'_>,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    append(tx, entry, action, Some(entry.status), step, at)
}

/// Moves `entry` (changed by the caller in any other column) to status `to`: saves it,
/// records the step, and tells every report filed in it. `merged_into` names the surviving
/// entry of a merge, by id and number.
pub fn move_to(
    tx: &mut dyn WriteTx,
    entry: &mut EntryRow,
    to: LedgerStatus,
    action: &str,
    step: Step<'_>,
    merged_into: Option<(Uuid, &str)>,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    let from = entry.status;
    entry.status = to;
    entry.updated_at = at;
    if let Some((id, _)) = merged_into {
        entry.merged_into = Some(id);
    }
    if to == LedgerStatus::Closed && from != LedgerStatus::Closed {
        entry.closed_at = Some(at);
    }
    tx.update_entry(entry)?;
    let reason = step.detail.clone();
    append(tx, entry, action, Some(from), step, at)?;
    for report in tx.report_links(&[entry.id])? {
        tx.append_feed(&FeedEvent {
            report_id: report.id,
            device_id: report.device_id,
            status: to,
            entry_id: entry.id,
            entry_number: entry.number.clone(),
            merged_into: merged_into.map(|(_, number)| number.to_owned()),
            reason: reason.clone(),
            suggestion: None,
            at,
        })?;
    }
    Ok(())
}
