//! An officer's notices (待办提醒): what needs them now, computed from the ledger as it
//! stands (nothing to mark read, nothing to go stale) — new reports to review, hazards due
//! within three days, overdue ones, escalations waiting for the bureau's decision (for the
//! bureau), listed hazards awaiting the bureau's verification, and the monthly report due.
//! Each names its first entries. The workers' own notices (confirmed, merged, rectified,
//! rejected with the reason, a reward granted) travel in their phones' change feed.

use chrono::{DateTime, Utc};
use hazardsnap_model::{Jurisdiction, LedgerStatus};
use serde::Serialize;
use uuid::Uuid;

use super::{due_within, overdue};
use crate::error::LedgerResult;
use crate::repo::query::{EntryOrder, EntryPredicate, EntryQuery};
use crate::repo::rows::{EntryRecord, SupervisionState};
use crate::rules::access::Actor;
use crate::rules::monthly::MonthlyReminder;
use crate::service::Ledger;

/// Entries named per notice at most.
const NAMED: u64 = 10;

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// New reports waiting for review.
    NewReports,
    /// Open hazards due within three days.
    DueSoon,
    /// Overdue hazards.
    Overdue,
    /// Escalations waiting for the bureau's decision.
    EscalatedToMe,
    /// Listed hazards rectified, waiting for the bureau to verify and lift.
    AwaitingLift,
}

/// An entry a notice names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeEntry {
    /// Entry id.
    pub id: Uuid,
    /// Its number.
    pub number: String,
    /// Its enterprise's name.
    pub enterprise_name: String,
    /// Its deadline.
    pub deadline: Option<chrono::NaiveDate>,
}

/// One notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    /// What it is about.
    pub kind: NoticeKind,
    /// How many entries.
    pub count: u64,
    /// The first of them.
    pub entries: Vec<NoticeEntry>,
}

/// The monthly report's reminder, as the notices carry it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyNotice {
    /// The month to report, `YYYY-MM`.
    pub month: String,
    /// Due on.
    pub due: chrono::NaiveDate,
    /// Past it.
    pub late: bool,
    /// Towns not yet submitted (names).
    pub towns_missing: Vec<String>,
}

/// An officer's notices.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notices {
    /// Those with something in them, most urgent first.
    pub notices: Vec<Notice>,
    /// The monthly report, when due soon or late.
    pub monthly: Option<MonthlyNotice>,
}

fn named(r: EntryRecord) -> NoticeEntry {
    NoticeEntry {
        id: r.entry.id,
        number: r.entry.number,
        enterprise_name: r.enterprise_name,
        deadline: r.entry.deadline,
    }
}

impl Ledger {
    /// The actor's notices at `now`.
    pub async fn notices(&self, actor: &Actor, now: DateTime<Utc>) -> LedgerResult<Notices> {
        let today = self.settings.calendar.today(now);
        let scope = actor.jurisdiction.scope();
        let bureau = matches!(actor.jurisdiction, Jurisdiction::Bureau);
        let notices = self
            .repo
            .read(move |tx| {
                let mut out = Vec::new();
                let mut add = |tx: &mut dyn crate::repo::ReadTx,
                               kind: NoticeKind,
                               filter: Vec<EntryPredicate>,
                               keep: &dyn Fn(&EntryRecord) -> bool|
                 -> LedgerResult<()> {
                    let list = tx.entries(&EntryQuery {
                        scope: scope.clone(),
                        filter,
                        order: EntryOrder::Deadline,
                        offset: 0,
                        limit: 5_000,
                    })?;
                    let list: Vec<EntryRecord> = list.into_iter().filter(|r| keep(r)).collect();
                    if !list.is_empty() {
                        out.push(Notice {
                            kind,
                            count: list.len() as u64,
                            entries: list.into_iter().take(NAMED as usize).map(named).collect(),
                        });
                    }
                    Ok(())
                };
                let all = |_: &EntryRecord| true;
                let state_is = |s: SupervisionState| {
                    move |r: &EntryRecord| {
                        r.entry.supervision.as_ref().is_some_and(|x| x.state == s)
                    }
                };
                if bureau {
                    add(
                        tx,
                        NoticeKind::EscalatedToMe,
                        vec![EntryPredicate::Escalated(true)],
                        &state_is(SupervisionState::Requested),
                    )?;
                    add(
                        tx,
                        NoticeKind::AwaitingLift,
                        vec![EntryPredicate::StatusIn(vec![
                            LedgerStatus::AwaitingVerification,
                        ])],
                        &state_is(SupervisionState::Accepted),
                    )?;
                    add(tx, NoticeKind::Overdue, overdue(today), &all)?;
                } else {
                    add(tx, NoticeKind::Overdue, overdue(today), &all)?;
                    add(tx, NoticeKind::DueSoon, due_within(today, 3), &all)?;
                    add(
                        tx,
                        NoticeKind::NewReports,
                        vec![EntryPredicate::StatusIn(vec![LedgerStatus::PendingReview])],
                        &all,
                    )?;
                }
                Ok(out)
            })
            .await?;
        let monthly = self
            .monthly_reminder(actor, now)
            .await?
            .map(|r: MonthlyReminder| MonthlyNotice {
                month: r.month,
                due: r.due,
                late: r.late,
                towns_missing: r.towns_missing,
            });
        Ok(Notices { notices, monthly })
    }
}
