//! The rules of the ledger, each with one definition. Where a new rule goes:
//!
//! | rule | module |
//! | --- | --- |
//! | who may see what (jurisdiction → [`Scope`](crate::repo::query::Scope)) | `hazardsnap_model::Jurisdiction::scope` |
//! | which statuses are open | `hazardsnap_model::LedgerStatus::is_open`, [`open_statuses`] |
//! | when an entry is overdue, due soon | [`overdue`], [`is_overdue`], [`due_within`] |
//! | "today", a day's and a month's bounds, the year of a number | [`crate::Calendar`] |
//! | what a required text is | [`required_text`], [`optional_text`] |
//! | how a ledger or suggestion number is given | [`numbering`] |
//! | what goes into an entry's history; what a status change tells the phones | [`history`] |
//! | where a report is filed (assignment, duplicates, idempotency) | [`filing`] |
//! | which moves are allowed and who may make them (separated duties, listed supervision); what a merge, split or transfer moves | [`workflow`] (the state machine itself: `hazardsnap_model::workflow`) |
//! | who found an entry first (the server's receive time); a suspect capture time; what an officer is shown of a reporter, an entry, a report | [`reads`] |
//! | what a phone's report status becomes | [`feed`] |
//! | devices, sessions, passwords | [`access`] |
//! | the roster import | [`roster`] |
//! | monthly statistics, reward lists, suggestions, supervision draws | [`campaign`] |
//! | the towns' monthly report: its figures, submission, reopening, due day, reminders | [`monthly`] |
//! | training and drills, their coverage; a worker's own training | [`training`] |
//! | supervision visits and their coverage | [`visits`] |
//! | the reward register: who is rewarded, once, anonymous codes, payment | [`rewards`] |
//! | hazards officers file (inspection, hotline, a drill's or a visit's finding): the desk | [`desk`] |
//! | an officer's notices | [`notices`] |
//! | the outgoing webhooks: the history as the queue, the retry pause | [`webhooks`] |
//! | what the pages show at a glance: workbench, ledger page counts, inbox, statistics | [`overview`] |
//! | administration: officers, enrollment codes, phones, roster preview (district only) | [`admin`] |

pub mod access;
pub mod admin;
pub mod campaign;
pub mod desk;
pub mod feed;
pub mod filing;
pub mod history;
pub mod monthly;
pub mod notices;
pub mod numbering;
pub mod overview;
pub mod reads;
pub mod rewards;
pub mod roster;
pub mod training;
pub mod visits;
pub mod webhooks;
pub mod workflow;

use chrono::{Days, NaiveDate};
use hazardsnap_model::{Labelled, LedgerStatus};

use crate::error::{LedgerError, LedgerResult};
use crate::repo::query::EntryPredicate;

/// Characters of an officer's text (a reason, a note, a plan's field) at most.
pub const MAX_TEXT_CHARS: usize = hazardsnap_model::workflow::MAX_PLAN_FIELD_CHARS;

/// The open statuses (在办), in the model's order: an open entry can receive duplicates and
/// become overdue.
pub fn open_statuses() -> Vec<LedgerStatus> {
    LedgerStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.is_open())
        .collect()
}

/// Whether an entry is overdue (逾期) on `today`: open, with a deadline before today.
pub fn is_overdue(status: LedgerStatus, deadline: Option<NaiveDate>, today: NaiveDate) -> bool {
    status.is_open() && deadline.is_some_and(|d| d < today)
}

/// [`is_overdue`] as a query: all of these hold.
pub fn overdue(today: NaiveDate) -> Vec<EntryPredicate> {
    vec![
        EntryPredicate::StatusIn(open_statuses()),
        EntryPredicate::DeadlineBefore(today),
    ]
}

/// Open entries due within `days` from `today`, not yet overdue.
pub fn due_within(today: NaiveDate, days: u32) -> Vec<EntryPredicate> {
    let until = today
        .checked_add_days(Days::new(u64::from(days.min(3650))))
        .unwrap_or(today);
    vec![
        EntryPredicate::StatusIn(open_statuses()),
        EntryPredicate::DeadlineWithin(today, until),
    ]
}

/// A required text: trimmed, not empty, not longer than [`MAX_TEXT_CHARS`].
pub fn required_text(field: &'static str, zh: &'static str, v: &str) -> LedgerResult<String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(LedgerError::Missing { field, zh });
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(LedgerError::TooLong {
            field,
            zh,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(t.to_owned())
}

/// An optional text: absent or blank is none; otherwise as [`required_text`].
pub fn optional_text(
    field: &'static str,
    zh: &'static str,
    v: Option<&str>,
) -> LedgerResult<Option<String>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => required_text(field, zh, s).map(Some),
    }
}

/// Adds a reason to a history text when there is one: `head：reason`.
pub(crate) fn with_reason(head: String, reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{head}：{r}"),
        None => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_is_open_and_past_its_deadline() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
        let past = today.pred_opt();
        assert!(is_overdue(LedgerStatus::Rectifying, past, today));
        assert!(!is_overdue(LedgerStatus::Rectifying, Some(today), today));
        assert!(!is_overdue(LedgerStatus::Closed, past, today));
        assert!(!is_overdue(LedgerStatus::PendingReview, None, today));
        assert_eq!(
            open_statuses(),
            [
                LedgerStatus::PendingReview,
                LedgerStatus::Rectifying,
                LedgerStatus::AwaitingVerification
            ]
        );
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(required_text("reason", "理由", "  x ").unwrap(), "x");
        assert_eq!(
            required_text("reason", "理由", " ").unwrap_err().code(),
            "missing_field"
        );
        let long = "字".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            required_text("reason", "理由", &long).unwrap_err().code(),
            "field_too_long"
        );
        assert_eq!(optional_text("reason", "理由", Some("  ")).unwrap(), None);
    }
}
