//! The outbox (发件箱) state machine of a report on the phone, as pure functions.
//!
//! A report is a `draft` (草稿) while the worker may still edit or delete it, `queued` (待发送)
//! once handed to the outbox, `synced` (已发送) when the server accepted it, `failed` (发送失败)
//! when the server refused it for good. The rules live here, apart from SQL, so that the store
//! asks this module before every change and the property tests can check the store against it:
//! nothing leaves `queued` except by a server answer, and a queued report never changes content.

use serde::{Deserialize, Serialize};

/// Where a report stands on the phone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, uniffi::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum LocalState {
    /// 草稿: editable and deletable, not sent.
    Draft,
    /// 待发送: waiting for the network; immutable.
    Queued,
    /// 已发送: the server accepted it; its ledger status follows.
    Synced,
    /// 发送失败: the server refused it for good (reason kept); never retried.
    Failed,
}

impl LocalState {
    /// Every state.
    pub const ALL: [LocalState; 4] = [
        LocalState::Draft,
        LocalState::Queued,
        LocalState::Synced,
        LocalState::Failed,
    ];

    /// The stable name stored in the database and printed by the CLI.
    pub fn wire_name(self) -> &'static str {
        match self {
            LocalState::Draft => "draft",
            LocalState::Queued => "queued",
            LocalState::Synced => "synced",
            LocalState::Failed => "failed",
        }
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            LocalState::Draft => "草稿",
            LocalState::Queued => "待发送",
            LocalState::Synced => "已发送",
            LocalState::Failed => "发送失败",
        }
    }

    /// Parses a stored name.
    pub fn from_wire(s: &str) -> Option<LocalState> {
        LocalState::ALL.into_iter().find(|v| v.wire_name() == s)
    }
}

impl std::fmt::Display for LocalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl std::str::FromStr for LocalState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LocalState::from_wire(s).ok_or_else(|| {
            format!("未知的状态「{s}」，可选：draft, queued, synced, failed / unknown state '{s}', expected one of: draft, queued, synced, failed")
        })
    }
}

/// Something that can happen to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxEvent {
    /// The worker changes the content.
    Edit,
    /// The worker deletes the report (a draft), or dismisses one the server refused.
    Delete,
    /// The worker sends the draft: it joins the outbox.
    Queue,
    /// The server accepted the report (or had it already).
    ServerAccepted,
    /// The server refused it for good (conflict, invalid).
    ServerRefused,
    /// Sending failed in a way that may pass (network, 5xx, photos missing): try again later.
    TransientFailure,
    /// The server's change feed reports a new ledger status.
    ServerStatus,
}

/// What an event does to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The report is now in this state.
    To(LocalState),
    /// The report is gone.
    Deleted,
    /// The event does not apply in this state; nothing changes.
    Refused,
}

/// The outbox's rules. Every change of a stored report goes through this function first.
pub fn transition(state: LocalState, event: OutboxEvent) -> Transition {
    use LocalState::*;
    use OutboxEvent::*;
    match (state, event) {
        (Draft, Edit) => Transition::To(Draft),
        (Draft, Delete) => Transition::Deleted,
        (Draft, Queue) => Transition::To(Queued),
        // Queued reports are out of the worker's hands: only the server moves them.
        (Queued, ServerAccepted) => Transition::To(Synced),
        (Queued, ServerRefused) => Transition::To(Failed),
        (Queued, TransientFailure) => Transition::To(Queued),
        // A status in the change feed proves the server has the report even if the answer to
        // the submission was lost on the way.
        (Queued, ServerStatus) => Transition::To(Synced),
        // A lost answer makes the phone send again; the server answers "already accepted".
        (Synced, ServerAccepted) => Transition::To(Synced),
        (Synced, ServerStatus) => Transition::To(Synced),
        // A refused report can never succeed; the worker may only dismiss it.
        (Failed, Delete) => Transition::Deleted,
        _ => Transition::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_but_the_server_moves_a_queued_report() {
        for ev in [OutboxEvent::Edit, OutboxEvent::Delete, OutboxEvent::Queue] {
            assert_eq!(transition(LocalState::Queued, ev), Transition::Refused);
        }
        assert_eq!(
            transition(LocalState::Queued, OutboxEvent::TransientFailure),
            Transition::To(LocalState::Queued)
        );
    }

    #[test]
    fn state_names_round_trip() {
        for s in LocalState::ALL {
            assert_eq!(s.wire_name().parse::<LocalState>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert!("sent".parse::<LocalState>().is_err());
    }
}
