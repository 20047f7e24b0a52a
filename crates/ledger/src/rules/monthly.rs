//! The monthly progress report (月报): each town reports its month to the district before the
//! due day of the following month (the 25th unless set otherwise), and the district sees the
//! roll-up, who submitted and who is late.
//!
//! **Figures.** Computed from the ledger for the calendar month (district time), in one place
//! ([`figures`]):
//! - `found_general`, `found_major`: hazards filed in the month (not rejected or merged);
//! - `rectified`: entries closed (销号) in the month, whenever they were found;
//! - `open_at_month_end`: hazards filed before the month ended and not closed by then;
//! - `rectification_rate`: rectified / (rectified + open at month end) — of the hazards in hand
//!   during the month, the share closed in it;
//! - `overdue`: of those open at month end, with a deadline before the month's last day;
//! - `escalated`: of those open at month end, escalated to the bureau;
//! - `suggestions`, `suggestions_adopted`: suggestions received, and adopted, in the month;
//! - `participants`: workers' phones that sent a report in the month (officers' desks never);
//! - `trainings`, `trainees`, `drills`: training sessions, the people they trained (roster
//!   attendees and outside trainees), drills, held in the month.
//!
//! Deadlines and rejections are read as they are now (the ledger keeps no dated copy of
//! them), so a draft's figures can still move; that is why a report is **submitted**: its
//! figures are then stored as they were, and later changes to the ledger do not alter it.
//! Only the district reopens a submitted report, with a reason, recorded; it then shows the
//! live figures again until the town submits anew. A month can be submitted once it is over.
//!
//! **Who.** A town officer reads and submits their town's report; the district reads every
//! town's and reopens; enterprise officers and the bureau have no monthly report.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use hazardsnap_model::{Jurisdiction, Labelled, LedgerStatus, Scope, Severity, TrainingKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{optional_text, required_text};
use crate::calendar::Calendar;
use crate::error::{LedgerError, LedgerResult, RepoError};
use crate::repo::query::{EntryGroup, EntryPredicate, SuggestionQuery};
use crate::repo::rows::{RecordKind, RecordRow};
use crate::repo::{ReadTx, WriteTx};
use crate::rules::access::Actor;
use crate::rules::training::records_in;
use crate::service::Ledger;

/// The figures of a month, for a town or the district.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyFigures {
    /// 一般隐患 found in the month.
    pub found_general: u32,
    /// 重大隐患 found in the month.
    pub found_major: u32,
    /// Entries closed in the month, whenever found.
    pub rectified: u32,
    /// rectified / (rectified + open at month end); 0 when both are 0.
    pub rectification_rate: f64,
    /// Hazards open when the month ended.
    pub open_at_month_end: u32,
    /// Of those, past their deadline on the month's last day.
    pub overdue: u32,
    /// Of those, escalated to the bureau.
    pub escalated: u32,
    /// Suggestions received in the month.
    pub suggestions: u32,
    /// Suggestions adopted in the month.
    pub suggestions_adopted: u32,
    /// Workers' phones that reported in the month (参与职工).
    pub participants: u32,
    /// Training sessions held in the month.
    pub trainings: u32,
    /// People they trained.
    pub trainees: u32,
    /// Drills held in the month.
    pub drills: u32,
}

impl MonthlyFigures {
    fn add(&mut self, o: &MonthlyFigures) {
        self.found_general += o.found_general;
        self.found_major += o.found_major;
        self.rectified += o.rectified;
        self.open_at_month_end += o.open_at_month_end;
        self.overdue += o.overdue;
        self.escalated += o.escalated;
        self.suggestions += o.suggestions;
        self.suggestions_adopted += o.suggestions_adopted;
        self.participants += o.participants;
        self.trainings += o.trainings;
        self.trainees += o.trainees;
        self.drills += o.drills;
        self.rate();
    }

    fn rate(&mut self) {
        let of = self.rectified + self.open_at_month_end;
        self.rectification_rate = if of == 0 {
            0.0
        } else {
            (f64::from(self.rectified) / f64::from(of) * 10_000.0).round() / 10_000.0
        };
    }
}

/// Where a town's report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MonthlyStatus {
    /// Not submitted (or reopened): the figures are live.
    Draft,
    /// Submitted: the figures are as they were then.
    Submitted,
}

/// One step in a report's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyEvent {
    /// `submit` or `reopen`.
    pub action: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The remarks submitted, or the reason for reopening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The stored body of a town's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Stored {
    status: MonthlyStatus,
    #[serde(default)]
    remarks: Option<String>,
    #[serde(default)]
    figures: Option<MonthlyFigures>,
    #[serde(default)]
    submitted_by: Option<String>,
    #[serde(default)]
    submitted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    events: Vec<MonthlyEvent>,
}

/// A town's report of a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Town code.
    pub town: String,
    /// Its name.
    pub town_name: String,
    /// Draft or submitted.
    pub status: MonthlyStatus,
    /// The last day to submit.
    pub due: NaiveDate,
    /// Submitted after the due day, or not submitted and the due day is past.
    pub late: bool,
    /// When submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// By whom.
    pub submitted_by: Option<String>,
    /// The town's remarks.
    pub remarks: Option<String>,
    /// The figures: as submitted, or live for a draft.
    pub figures: MonthlyFigures,
    /// Submissions and reopenings, oldest first.
    pub history: Vec<MonthlyEvent>,
}

/// One town's line in the district's overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyTownLine {
    /// Town code.
    pub town: String,
    /// Name.
    pub name: String,
    /// Draft or submitted.
    pub status: MonthlyStatus,
    /// When submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Late.
    pub late: bool,
    /// The figures.
    pub figures: MonthlyFigures,
}

/// A month's reports of the jurisdiction, and the district's roll-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyOverview {
    /// `YYYY-MM`.
    pub month: String,
    /// The last day to submit.
    pub due: NaiveDate,
    /// Whether the month is over (it can be submitted).
    pub month_over: bool,
    /// Per town.
    pub towns: Vec<MonthlyTownLine>,
    /// The sum of the towns' figures (submitted ones as submitted).
    pub district: MonthlyFigures,
    /// Towns that submitted.
    pub submitted: u32,
    /// Towns late.
    pub late: u32,
}

/// A reminder for the workbench: a month's report due soon or late.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReminder {
    /// The month to report, `YYYY-MM`.
    pub month: String,
    /// The due day.
    pub due: NaiveDate,
    /// Past it.
    pub late: bool,
    /// Towns not yet submitted (for the district; the officer's own town for a town).
    pub towns_missing: Vec<String>,
}

/// The month `YYYY-MM` as its first day.
pub fn parse_month(s: &str) -> LedgerResult<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d").map_err(|_| {
        LedgerError::invalid(
            "invalid_month",
            format!("月份应为 YYYY-MM：{s} / the month must be YYYY-MM: {s}"),
        )
    })
}

/// The due day of a month's report: day `due_day` of the following month (the month's last
/// day when it is shorter).
pub fn due_date(month: NaiveDate, due_day: u32) -> NaiveDate {
    let next = Calendar::month_of(month)
        .checked_add_months(Months::new(1))
        .unwrap_or(month);
    let last = next
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day());
    next.with_day(due_day.clamp(1, last)).unwrap_or(next)
}

/// A town's stored report of a month, or a fresh draft when none was saved yet.
fn stored_or_draft(tx: &mut dyn ReadTx, month: NaiveDate, town: &str) -> LedgerResult<Stored> {
    match tx.record_by_key(RecordKind::MonthlyReport, &key(month, town))? {
        Some(r) => stored(&r),
        None => Ok(Stored {
            status: MonthlyStatus::Draft,
            remarks: None,
            figures: None,
            submitted_by: None,
            submitted_at: None,
            events: Vec::new(),
        }),
    }
}

fn key(month: NaiveDate, town: &str) -> String {
    format!("{}/{town}", month.format("%Y-%m"))
}

/// The month's figures for a scope (a town's, or all), as of `now` for a month not over.
pub fn figures(
    tx: &mut dyn ReadTx,
    calendar: &Calendar,
    scope: &Scope,
    month: NaiveDate,
) -> LedgerResult<MonthlyFigures> {
    let (start, end) = calendar.month(month);
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    let last_day = Calendar::month_of(month)
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(month);
    let found: Vec<LedgerStatus> = LedgerStatus::ALL
        .iter()
        .copied()
        .filter(|s| !matches!(s, LedgerStatus::Rejected | LedgerStatus::Merged))
        .collect();
    let mut count = |filter: Vec<EntryPredicate>| -> LedgerResult<u32> {
        Ok(tx
            .count_entries(scope, &filter, EntryGroup::Total)?
            .get("")
            .copied()
            .unwrap_or(0) as u32)
    };
    let in_month = |s: Severity| {
        vec![
            EntryPredicate::CreatedIn(start, end),
            EntryPredicate::StatusIn(found.clone()),
            EntryPredicate::Severity(s),
        ]
    };
    let open_at_end = vec![
        EntryPredicate::CreatedIn(epoch, end),
        EntryPredicate::StatusIn(found.clone()),
        EntryPredicate::Not(vec![EntryPredicate::ClosedIn(epoch, end)]),
    ];
    let mut f = MonthlyFigures {
        found_general: count(in_month(Severity::General))?,
        found_major: count(in_month(Severity::Major))?,
        rectified: count(vec![EntryPredicate::ClosedIn(start, end)])?,
        open_at_month_end: count(open_at_end.clone())?,
        overdue: count(
            open_at_end
                .iter()
                .cloned()
                .chain([EntryPredicate::DeadlineBefore(last_day)])
                .collect(),
        )?,
        escalated: count(
            open_at_end
                .iter()
                .cloned()
                .chain([EntryPredicate::Escalated(true)])
                .collect(),
        )?,
        ..MonthlyFigures::default()
    };
    let enterprises: Vec<String> = super::campaign::enterprises_of(tx, scope)?
        .into_iter()
        .map(|e| e.code)
        .collect();
    let received = tx.count_suggestions((start, end))?;
    f.suggestions = enterprises
        .iter()
        .map(|e| received.get(e).copied().unwrap_or(0) as u32)
        .sum();
    f.suggestions_adopted = tx
        .suggestions(&SuggestionQuery {
            scope: scope.clone(),
            id: None,
            adopted_in: Some((start, end)),
            limit: 1_000_000,
        })?
        .len() as u32;
    let reporters = tx.count_reporters((start, end), false)?;
    f.participants = enterprises
        .iter()
        .map(|e| reporters.get(e).copied().unwrap_or(0) as u32)
        .sum();
    let first = Calendar::month_of(month);
    let next = first
        .checked_add_days(Days::new(32))
        .map(Calendar::month_of);
    for (_, r) in records_in(tx, scope, None, Some(first), next)? {
        match r.kind {
            TrainingKind::Training => {
                f.trainings += 1;
                f.trainees += r.trainees();
            }
            TrainingKind::Drill => f.drills += 1,
        }
    }
    f.rate();
    Ok(f)
}

fn stored(row: &RecordRow) -> LedgerResult<Stored> {
    serde_json::from_value(row.body.clone())
        .map_err(|e| RepoError::corrupt(format!("monthly report {}: {e}", row.id)).into())
}

fn late(
    status: MonthlyStatus,
    submitted_at: Option<DateTime<Utc>>,
    due: NaiveDate,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> bool {
    match (status, submitted_at) {
        (MonthlyStatus::Submitted, Some(at)) => calendar.today(at) > due,
        _ => calendar.today(now) > due,
    }
}

/// The towns a jurisdiction reports for: the district's all, a town officer's own.
fn towns_of(tx: &mut dyn ReadTx, j: &Jurisdiction) -> LedgerResult<Vec<(String, String)>> {
    let all: Vec<(String, String)> = tx
        .towns()?
        .into_iter()
        .filter(|(_, active)| *active)
        .map(|(t, _)| (t.code, t.name))
        .collect();
    match j {
        Jurisdiction::District => Ok(all),
        Jurisdiction::Town { town } => Ok(all.into_iter().filter(|(c, _)| c == town).collect()),
        _ => Err(LedgerError::forbidden(
            "forbidden",
            "月报由镇/街道总工会报送、区总工会审阅 / monthly reports are for town and district officers",
        )),
    }
}

impl Ledger {
    /// The due day of `month`'s report.
    pub fn monthly_due(&self, month: NaiveDate) -> NaiveDate {
        due_date(month, self.settings.monthly_due_day)
    }

    fn report_of(
        &self,
        tx: &mut dyn ReadTx,
        month: NaiveDate,
        town: &str,
        town_name: String,
        now: DateTime<Utc>,
    ) -> LedgerResult<MonthlyReport> {
        let calendar = self.settings.calendar;
        let due = self.monthly_due(month);
        let s = stored_or_draft(tx, month, town)?;
        let figures = match (&s.status, &s.figures) {
            (MonthlyStatus::Submitted, Some(f)) => f.clone(),
            _ => figures(tx, &calendar, &Scope::Town(town.to_owned()), month)?,
        };
        Ok(MonthlyReport {
            month: month.format("%Y-%m").to_string(),
            town: town.to_owned(),
            town_name,
            late: late(s.status, s.submitted_at, due, &calendar, now),
            status: s.status,
            due,
            submitted_at: s
                .submitted_at
                .filter(|_| s.status == MonthlyStatus::Submitted),
            submitted_by: s
                .submitted_by
                .filter(|_| s.status == MonthlyStatus::Submitted),
            remarks: s.remarks,
            figures,
            history: s.events,
        })
    }

    /// The month's reports of the actor's towns and the district's roll-up.
    pub async fn monthly_overview(
        &self,
        actor: &Actor,
        month: NaiveDate,
        now: DateTime<Utc>,
    ) -> LedgerResult<MonthlyOverview> {
        let j = actor.jurisdiction.clone();
        let this = self.clone();
        let month = Calendar::month_of(month);
        self.repo
            .read(move |tx| {
                let mut towns = Vec::new();
                let mut district = MonthlyFigures::default();
                for (code, name) in towns_of(tx, &j)? {
                    let r = this.report_of(tx, month, &code, name.clone(), now)?;
                    district.add(&r.figures);
                    towns.push(MonthlyTownLine {
                        town: code,
                        name,
                        status: r.status,
                        submitted_at: r.submitted_at,
                        late: r.late,
                        figures: r.figures,
                    });
                }
                let (_, end) = this.settings.calendar.month(month);
                Ok(MonthlyOverview {
                    month: month.format("%Y-%m").to_string(),
                    due: this.monthly_due(month),
                    month_over: now >= end,
                    submitted: towns
                        .iter()
                        .filter(|t| t.status == MonthlyStatus::Submitted)
                        .count() as u32,
                    late: towns.iter().filter(|t| t.late).count() as u32,
                    towns,
                    district,
                })
            })
            .await
    }

    /// One town's report of a month.
    pub async fn monthly_report(
        &self,
        actor: &Actor,
        month: NaiveDate,
        town: String,
        now: DateTime<Utc>,
    ) -> LedgerResult<MonthlyReport> {
        let j = actor.jurisdiction.clone();
        let this = self.clone();
        let month = Calendar::month_of(month);
        self.repo
            .read(move |tx| {
                let (code, name) = towns_of(tx, &j)?
                    .into_iter()
                    .find(|(c, _)| *c == town)
                    .ok_or(LedgerError::NotFound)?;
                this.report_of(tx, month, &code, name, now)
            })
            .await
    }

    /// A town officer submits their town's report of a month that is over: its figures are
    /// stored as they are now.
    pub async fn submit_monthly(
        &self,
        actor: &Actor,
        month: NaiveDate,
        town: String,
        remarks: Option<String>,
        now: DateTime<Utc>,
    ) -> LedgerResult<MonthlyReport> {
        match &actor.jurisdiction {
            Jurisdiction::Town { town: mine } if *mine == town => {}
            Jurisdiction::Town { .. } => return Err(LedgerError::NotFound),
            _ => {
                return Err(LedgerError::forbidden(
                    "forbidden",
                    "月报由镇/街道总工会报送 / the town officer submits the monthly report",
                ));
            }
        }
        let remarks = optional_text("remarks", "说明", remarks.as_deref())?;
        let month = Calendar::month_of(month);
        let (_, end) = self.settings.calendar.month(month);
        if now < end {
            return Err(LedgerError::invalid(
                "month_not_over",
                "本月尚未结束，月末后再报送 / the month is not over: submit after it ends",
            ));
        }
        let this = self.clone();
        let by = actor.name().to_owned();
        let j = actor.jurisdiction.clone();
        self.repo
            .write(move |tx| {
                let (code, name) = towns_of(tx, &j)?
                    .into_iter()
                    .find(|(c, _)| *c == town)
                    .ok_or(LedgerError::NotFound)?;
                let k = key(month, &code);
                let existing = tx.lock_record(RecordKind::MonthlyReport, &k)?;
                let mut s = match &existing {
                    Some(r) => stored(r)?,
                    None => Stored {
                        status: MonthlyStatus::Draft,
                        remarks: None,
                        figures: None,
                        submitted_by: None,
                        submitted_at: None,
                        events: Vec::new(),
                    },
                };
                if s.status == MonthlyStatus::Submitted {
                    return Err(LedgerError::conflict(
                        "already_submitted",
                        "本月月报已报送；如需修改请区总工会退回 / already submitted: the district must reopen it first",
                    ));
                }
                let f = figures(tx, &this.settings.calendar, &Scope::Town(code.clone()), month)?;
                s.status = MonthlyStatus::Submitted;
                s.figures = Some(f);
                s.remarks = remarks.clone();
                s.submitted_by = Some(by.clone());
                s.submitted_at = Some(now);
                s.events.push(MonthlyEvent {
                    action: "submit".into(),
                    by,
                    at: now,
                    text: remarks,
                });
                save(tx, existing, month, &code, &s, now)?;
                this.report_of(tx, month, &code, name, now)
            })
            .await
    }

    /// The district reopens a submitted report, with a reason: it is a draft again.
    pub async fn reopen_monthly(
        &self,
        actor: &Actor,
        month: NaiveDate,
        town: String,
        reason: String,
        now: DateTime<Utc>,
    ) -> LedgerResult<MonthlyReport> {
        if !matches!(actor.jurisdiction, Jurisdiction::District) {
            return Err(LedgerError::forbidden(
                "forbidden",
                "只有区总工会可以退回月报 / only the district reopens a monthly report",
            ));
        }
        let reason = required_text("reason", "退回原因", &reason)?;
        let month = Calendar::month_of(month);
        let this = self.clone();
        let by = actor.name().to_owned();
        let j = actor.jurisdiction.clone();
        self.repo
            .write(move |tx| {
                let (code, name) = towns_of(tx, &j)?
                    .into_iter()
                    .find(|(c, _)| *c == town)
                    .ok_or(LedgerError::NotFound)?;
                let existing = tx.lock_record(RecordKind::MonthlyReport, &key(month, &code))?;
                let mut s = match &existing {
                    Some(r) => stored(r)?,
                    None => {
                        return Err(LedgerError::conflict(
                            "not_submitted",
                            "该月报尚未报送 / this report was not submitted",
                        ));
                    }
                };
                if s.status != MonthlyStatus::Submitted {
                    return Err(LedgerError::conflict(
                        "not_submitted",
                        "该月报尚未报送 / this report was not submitted",
                    ));
                }
                s.status = MonthlyStatus::Draft;
                s.figures = None;
                s.events.push(MonthlyEvent {
                    action: "reopen".into(),
                    by,
                    at: now,
                    text: Some(reason),
                });
                save(tx, existing, month, &code, &s, now)?;
                this.report_of(tx, month, &code, name, now)
            })
            .await
    }

    /// What the workbench reminds of, from the reminder day of the month after a report's
    /// month until it is submitted: the town's own report, or for the district the towns
    /// still missing. None outside that window, or when all are in.
    pub async fn monthly_reminder(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<MonthlyReminder>> {
        if !matches!(
            actor.jurisdiction,
            Jurisdiction::District | Jurisdiction::Town { .. }
        ) {
            return Ok(None);
        }
        let calendar = self.settings.calendar;
        let today = calendar.today(now);
        let month = Calendar::month_of(today)
            .checked_sub_months(Months::new(1))
            .unwrap_or(today);
        let due = self.monthly_due(month);
        if today.day() < self.settings.monthly_reminder_day.min(due.day()) && today <= due {
            return Ok(None);
        }
        // Only which towns have not submitted: each town's record status, never its figures
        // (computing the live figures of ten towns made the district workbench ~800 ms).
        let j = actor.jurisdiction.clone();
        let towns_missing: Vec<String> = self
            .repo
            .read(move |tx| {
                let mut missing = Vec::new();
                for (code, name) in towns_of(tx, &j)? {
                    if stored_or_draft(tx, month, &code)?.status != MonthlyStatus::Submitted {
                        missing.push(name);
                    }
                }
                Ok(missing)
            })
            .await?;
        if towns_missing.is_empty() {
            return Ok(None);
        }
        Ok(Some(MonthlyReminder {
            month: month.format("%Y-%m").to_string(),
            due,
            late: today > due,
            towns_missing,
        }))
    }
}

fn save(
    tx: &mut dyn WriteTx,
    existing: Option<RecordRow>,
    month: NaiveDate,
    town: &str,
    s: &Stored,
    now: DateTime<Utc>,
) -> LedgerResult<()> {
    let body = serde_json::to_value(s).map_err(RepoError::corrupt)?;
    let row = match existing {
        Some(mut r) => {
            r.body = body;
            r.updated_at = now;
            r
        }
        None => RecordRow {
            kind: RecordKind::MonthlyReport,
            id: Uuid::now_v7(),
            key: Some(key(month, town)),
            town: Some(town.to_owned()),
            enterprise: None,
            day: month,
            body,
            created_by: s.submitted_by.clone().unwrap_or_default(),
            created_at: now,
            updated_at: now,
        },
    };
    tx.put_record(&row)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_of_a_month_is_due_in_the_next() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(due_date(d(2026, 11, 1), 25), d(2026, 12, 25));
        assert_eq!(due_date(d(2026, 12, 17), 25), d(2027, 1, 25));
        assert_eq!(
            due_date(d(2027, 1, 1), 31),
            d(2027, 2, 28),
            "clamped to February"
        );
        assert_eq!(parse_month("2026-11").unwrap(), d(2026, 11, 1));
        assert_eq!(parse_month("2026-13").unwrap_err().code(), "invalid_month");
    }

    #[test]
    fn the_rate_is_of_the_hazards_in_hand() {
        let mut f = MonthlyFigures {
            rectified: 3,
            open_at_month_end: 1,
            ..Default::default()
        };
        f.rate();
        assert_eq!(f.rectification_rate, 0.75);
        let mut none = MonthlyFigures::default();
        none.rate();
        assert_eq!(none.rectification_rate, 0.0);
    }
}
