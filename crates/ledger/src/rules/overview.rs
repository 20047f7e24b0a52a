//! What the officers' pages show at a glance (概览): the workbench's "what needs me now", a
//! ledger page with its total and counts per status, the review inbox with each entry's
//! photos, the statistics by category, severity and month, the site points with their open
//! entries. Each is cut to the officer's scope in the repository's queries, like every read.

use std::collections::HashMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use hazardsnap_model::{Category, Labelled, LedgerStatus, Scope, Severity};
use serde::Serialize;
use uuid::Uuid;

use super::reads::{order, predicates, summaries};
use super::{due_within, is_overdue, open_statuses, overdue};
use crate::calendar::Calendar;
use crate::error::{LedgerResult, RepoResult};
use crate::repo::ReadTx;
use crate::repo::query::{EnterpriseFilter, EntryGroup, EntryPredicate, EntryQuery};
use crate::repo::rows::{ReportRow, SitePoint, Tally};
use crate::rules::access::Actor;
use crate::service::Ledger;
use crate::views::{EntrySummary, LedgerFilter, MonthlyRow};

/// The counts of the workbench (工作台): what needs the officer now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NeedsMe {
    /// Reports waiting for review.
    pub to_review: u64,
    /// Open entries due within 7 days.
    pub due_soon: u64,
    /// Overdue entries.
    pub overdue: u64,
    /// Open entries escalated to the bureau.
    pub escalated: u64,
    /// Entries awaiting verification.
    pub awaiting_verification: u64,
}

/// Hazards found and closed in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthPoint {
    /// The month's first day.
    pub month: NaiveDate,
    /// Entries filed in the month (rejected and merged ones are not hazards found).
    pub found: u64,
    /// Entries closed in the month, whenever found.
    pub closed: u64,
}

/// One ledger page with what its header shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerPageView {
    /// The entries of the page.
    pub entries: Vec<EntrySummary>,
    /// Entries matching the filter, all pages.
    pub total: u64,
    /// Entries matching the filter but its status, per status, in the loop's order.
    pub by_status: Vec<(LedgerStatus, u64)>,
}

/// An entry of the review inbox (待审核) with what an officer judges it by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxItem {
    /// The ledger line.
    pub summary: EntrySummary,
    /// The first finder's note.
    pub note: String,
    /// Every report's photos, first finder's first.
    pub photos: Vec<String>,
    /// The site point, workshop and team of the first report.
    pub place: Vec<String>,
    /// Filing flagged it as possibly the same hazard as another entry.
    pub possible_duplicate: bool,
}

/// The statistics page's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    /// Hazards filed in the month, per category (every category, in order).
    pub by_category: Vec<(Category, u64)>,
    /// Per severity.
    pub by_severity: Vec<(Severity, u64)>,
    /// The same month before, per category, for comparison.
    pub previous_by_category: Vec<(Category, u64)>,
    /// Found and closed per month, the oldest first, ending with the month.
    pub trend: Vec<MonthPoint>,
}

/// A site point (现场关键点) with its open entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SitePointView {
    /// The point.
    pub point: SitePoint,
    /// Open entries with a report at it.
    pub open_entries: u64,
}

/// An open entry placed on the map (地图): where its first report with a place was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapPoint {
    /// The entry.
    pub id: Uuid,
    /// Its ledger number.
    pub number: String,
    /// Its enterprise's name.
    pub enterprise_name: String,
    /// Status in the loop.
    pub status: LedgerStatus,
    /// 一般 / 重大.
    pub severity: Severity,
    /// Category.
    pub category: Category,
    /// Open past its deadline.
    pub overdue: bool,
    /// Latitude (WGS 84, as the phone or the site point gives it).
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// The open entries on the map, and how many open entries have no place at all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapView {
    /// Placed entries, the most recent first.
    pub points: Vec<MapPoint>,
    /// Of the most recent open entries, those with no GPS location and no known site point.
    pub unplaced: u64,
    /// Open entries beyond the map's limit (not drawn).
    pub beyond_limit: u64,
}

/// The most open entries a map draws at once.
pub const MAP_LIMIT: u64 = 2_000;

/// Statuses of hazards found (not rejected, not merged).
fn found_statuses() -> Vec<LedgerStatus> {
    LedgerStatus::ALL
        .iter()
        .copied()
        .filter(|s| !matches!(s, LedgerStatus::Rejected | LedgerStatus::Merged))
        .collect()
}

fn total(t: Tally) -> u64 {
    t.values().sum()
}

fn count(tx: &mut dyn ReadTx, scope: &Scope, filter: &[EntryPredicate]) -> RepoResult<u64> {
    Ok(total(tx.count_entries(scope, filter, EntryGroup::Total)?))
}

/// Found and closed in each of the `n` months ending with the month of `last`.
fn trend(
    tx: &mut dyn ReadTx,
    calendar: &Calendar,
    scope: &Scope,
    last: NaiveDate,
    n: u32,
) -> RepoResult<Vec<MonthPoint>> {
    let last = Calendar::month_of(last);
    (0..n)
        .rev()
        .map(|back| {
            let month = last.checked_sub_months(Months::new(back)).unwrap_or(last);
            let (start, end) = calendar.month(month);
            Ok(MonthPoint {
                month,
                found: count(
                    tx,
                    scope,
                    &[
                        EntryPredicate::CreatedIn(start, end),
                        EntryPredicate::StatusIn(found_statuses()),
                    ],
                )?,
                closed: count(tx, scope, &[EntryPredicate::ClosedIn(start, end)])?,
            })
        })
        .collect()
}

/// Per-category counts of hazards filed in `[start, end)`, every category in order.
fn by_category(
    tx: &mut dyn ReadTx,
    scope: &Scope,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> RepoResult<Vec<(Category, u64)>> {
    let t = tx.count_entries(
        scope,
        &[
            EntryPredicate::CreatedIn(start, end),
            EntryPredicate::StatusIn(found_statuses()),
        ],
        EntryGroup::Category,
    )?;
    Ok(Category::ALL
        .iter()
        .map(|c| (*c, t.get(c.wire_name()).copied().unwrap_or(0)))
        .collect())
}

impl Ledger {
    /// What needs the officer now, the month's figures (summed over the jurisdiction) and
    /// the last six months.
    pub async fn workbench(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> LedgerResult<(NeedsMe, MonthlyRow, Vec<MonthPoint>)> {
        let calendar = self.settings.calendar;
        let today = calendar.today(now);
        let scope = actor.jurisdiction.scope();
        let month = self
            .monthly_stats(actor, Calendar::month_of(today), now)
            .await?;
        let mut sum = MonthlyRow::default();
        for t in &month.towns {
            sum.found_general += t.found_general;
            sum.found_major += t.found_major;
            sum.rectified += t.rectified;
            sum.overdue += t.overdue;
            sum.escalated += t.escalated;
            sum.suggestions += t.suggestions;
            sum.participating_workers += t.participating_workers;
        }
        let found = sum.found_general + sum.found_major;
        sum.rectification_rate = if found == 0 {
            0.0
        } else {
            (f64::from(sum.rectified) / f64::from(found) * 10_000.0).round() / 10_000.0
        };
        let (needs, points) = self
            .repo
            .read(move |tx| {
                let status = |s: LedgerStatus| vec![EntryPredicate::StatusIn(vec![s])];
                let needs = NeedsMe {
                    to_review: count(tx, &scope, &status(LedgerStatus::PendingReview))?,
                    due_soon: count(tx, &scope, &due_within(today, 7))?,
                    overdue: count(tx, &scope, &overdue(today))?,
                    escalated: count(
                        tx,
                        &scope,
                        &[
                            EntryPredicate::Escalated(true),
                            EntryPredicate::StatusIn(open_statuses()),
                        ],
                    )?,
                    awaiting_verification: count(
                        tx,
                        &scope,
                        &status(LedgerStatus::AwaitingVerification),
                    )?,
                };
                Ok((needs, trend(tx, &calendar, &scope, today, 6)?))
            })
            .await?;
        Ok((needs, sum, points))
    }

    /// One page of the ledger with its total and its counts per status.
    pub async fn ledger_page(
        &self,
        actor: &Actor,
        filter: LedgerFilter,
        now: DateTime<Utc>,
    ) -> LedgerResult<LedgerPageView> {
        let calendar = self.settings.calendar;
        let today = calendar.today(now);
        let scope = actor.jurisdiction.scope();
        let per_page = u64::from(filter.per_page.max(1));
        let preds = predicates(&calendar, &filter, today);
        let without_status = predicates(
            &calendar,
            &LedgerFilter {
                status: None,
                ..filter.clone()
            },
            today,
        );
        let query = EntryQuery {
            scope: scope.clone(),
            filter: preds.clone(),
            order: order(filter.sort),
            offset: u64::from(filter.page.max(1) - 1) * per_page,
            limit: per_page,
        };
        self.repo
            .read(move |tx| {
                let records = tx.entries(&query)?;
                let entries = summaries(tx, records, today)?;
                let total = count(tx, &scope, &preds)?;
                let t = tx.count_entries(&scope, &without_status, EntryGroup::Status)?;
                let by_status = LedgerStatus::ALL
                    .iter()
                    .map(|s| (*s, t.get(s.wire_name()).copied().unwrap_or(0)))
                    .collect();
                Ok(LedgerPageView {
                    entries,
                    total,
                    by_status,
                })
            })
            .await
    }

    /// The review inbox: entries pending review, newest first, with every report's photos.
    pub async fn review_inbox(
        &self,
        actor: &Actor,
        page: u32,
        per_page: u32,
        now: DateTime<Utc>,
    ) -> LedgerResult<(Vec<InboxItem>, u64)> {
        let today = self.settings.calendar.today(now);
        let scope = actor.jurisdiction.scope();
        let per_page = u64::from(per_page.max(1));
        let filter = vec![EntryPredicate::StatusIn(vec![LedgerStatus::PendingReview])];
        let query = EntryQuery {
            scope: scope.clone(),
            filter: filter.clone(),
            order: crate::repo::query::EntryOrder::NewestFirst,
            offset: u64::from(page.max(1) - 1) * per_page,
            limit: per_page,
        };
        self.repo
            .read(move |tx| {
                let records = tx.entries(&query)?;
                let ids: Vec<Uuid> = records.iter().map(|r| r.entry.id).collect();
                let flagged: std::collections::HashSet<Uuid> = records
                    .iter()
                    .filter(|r| r.entry.possible_duplicate_of.is_some())
                    .map(|r| r.entry.id)
                    .collect();
                let mut reports: HashMap<Uuid, Vec<ReportRow>> = HashMap::new();
                for r in tx.reports_of_entries(&ids)? {
                    if let Some(e) = r.entry_id {
                        reports.entry(e).or_default().push(r);
                    }
                }
                let total = count(tx, &scope, &filter)?;
                let items = summaries(tx, records, today)?
                    .into_iter()
                    .map(|summary| {
                        let mut rs = reports.remove(&summary.id).unwrap_or_default();
                        // First finder first, as the summary lists them.
                        rs.sort_by_key(|r| {
                            summary
                                .report_ids
                                .iter()
                                .position(|id| *id == r.id)
                                .unwrap_or(usize::MAX)
                        });
                        let first = rs.first().map(|r| &r.submission);
                        InboxItem {
                            possible_duplicate: flagged.contains(&summary.id),
                            note: rs
                                .iter()
                                .map(|r| r.submission.note.trim())
                                .find(|n| !n.is_empty())
                                .unwrap_or_default()
                                .to_owned(),
                            place: first
                                .map(|s| {
                                    [&s.site_code, &s.workshop, &s.team]
                                        .into_iter()
                                        .flatten()
                                        .cloned()
                                        .collect()
                                })
                                .unwrap_or_default(),
                            photos: rs
                                .iter()
                                .flat_map(|r| r.submission.photos.iter().map(|p| p.sha256.clone()))
                                .collect(),
                            summary,
                        }
                    })
                    .collect();
                Ok((items, total))
            })
            .await
    }

    /// The statistics of the month starting on `month`: by category and severity, the
    /// month before by category, and the twelve months ending with it.
    pub async fn statistics(&self, actor: &Actor, month: NaiveDate) -> LedgerResult<Statistics> {
        let calendar = self.settings.calendar;
        let scope = actor.jurisdiction.scope();
        let month = Calendar::month_of(month);
        let previous = month.checked_sub_months(Months::new(1)).unwrap_or(month);
        self.repo
            .read(move |tx| {
                let range = calendar.month(month);
                let by_sev = tx.count_entries(
                    &scope,
                    &[
                        EntryPredicate::CreatedIn(range.0, range.1),
                        EntryPredicate::StatusIn(found_statuses()),
                    ],
                    EntryGroup::Severity,
                )?;
                Ok(Statistics {
                    by_category: by_category(tx, &scope, range)?,
                    by_severity: Severity::ALL
                        .iter()
                        .map(|s| (*s, by_sev.get(s.wire_name()).copied().unwrap_or(0)))
                        .collect(),
                    previous_by_category: by_category(tx, &scope, calendar.month(previous))?,
                    trend: trend(tx, &calendar, &scope, month, 12)?,
                })
            })
            .await
    }

    /// The active site points of the enterprises in the jurisdiction, with their open entries.
    pub async fn site_points(&self, actor: &Actor) -> LedgerResult<Vec<SitePointView>> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                let mine: std::collections::HashSet<String> = match &scope {
                    Scope::All => tx
                        .enterprises(&EnterpriseFilter::default())?
                        .into_iter()
                        .map(|e| e.code)
                        .collect(),
                    Scope::Town(t) => tx
                        .enterprises(&EnterpriseFilter {
                            town: Some(t.clone()),
                            ..Default::default()
                        })?
                        .into_iter()
                        .map(|e| e.code)
                        .collect(),
                    Scope::Enterprise(e) => [e.clone()].into(),
                    Scope::Escalated => tx
                        .count_entries(&scope, &[], EntryGroup::Enterprise)?
                        .into_keys()
                        .collect(),
                };
                let open = tx.count_entries_by_site(&scope, &open_statuses())?;
                Ok(tx
                    .site_points_in_box((-90.0, 90.0), (-180.0, 180.0))?
                    .into_iter()
                    .filter(|p| mine.contains(&p.enterprise))
                    .map(|p| SitePointView {
                        open_entries: open.get(&p.code).copied().unwrap_or(0),
                        point: p,
                    })
                    .collect())
            })
            .await
    }
}

impl Ledger {
    /// The open entries of the officer's jurisdiction on a map: each at its first report's
    /// GPS location, else at its first report's site point; the most recent [`MAP_LIMIT`].
    pub async fn map(&self, actor: &Actor, now: DateTime<Utc>) -> LedgerResult<MapView> {
        let today = self.settings.calendar.today(now);
        let scope = actor.jurisdiction.scope();
        let open = vec![EntryPredicate::StatusIn(open_statuses())];
        let query = EntryQuery {
            scope: scope.clone(),
            filter: open.clone(),
            order: crate::repo::query::EntryOrder::NewestFirst,
            offset: 0,
            limit: MAP_LIMIT,
        };
        self.repo
            .read(move |tx| {
                let records = tx.entries(&query)?;
                let total = count(tx, &scope, &open)?;
                let ids: Vec<Uuid> = records.iter().map(|r| r.entry.id).collect();
                let mut reports = tx.reports_of_entries(&ids)?;
                reports.sort_by_key(|r| (r.submission.captured_at, r.id));
                let mut sites: HashMap<String, Option<(f64, f64)>> = HashMap::new();
                let mut place: HashMap<Uuid, (f64, f64)> = HashMap::new();
                for r in &reports {
                    let Some(entry) = r.entry_id else { continue };
                    if place.contains_key(&entry) {
                        continue;
                    }
                    let at = match (&r.submission.location, &r.submission.site_code) {
                        (Some(l), _) => Some((l.lat, l.lon)),
                        (None, Some(code)) => match sites.get(code) {
                            Some(p) => *p,
                            None => {
                                let p = tx.site_point(code)?.map(|p| (p.lat, p.lon));
                                sites.insert(code.clone(), p);
                                p
                            }
                        },
                        (None, None) => None,
                    };
                    if let Some(at) = at {
                        place.insert(entry, at);
                    }
                }
                let points: Vec<MapPoint> = records
                    .into_iter()
                    .filter_map(|r| {
                        let (lat, lon) = place.get(&r.entry.id).copied()?;
                        let e = r.entry;
                        Some(MapPoint {
                            overdue: is_overdue(e.status, e.deadline, today),
                            id: e.id,
                            number: e.number,
                            enterprise_name: r.enterprise_name,
                            status: e.status,
                            severity: e.severity,
                            category: e.category,
                            lat,
                            lon,
                        })
                    })
                    .collect();
                let drawn = ids.len() as u64;
                Ok(MapView {
                    unplaced: drawn - points.len() as u64,
                    beyond_limit: total.saturating_sub(drawn),
                    points,
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_means_not_rejected_nor_merged() {
        let s = found_statuses();
        assert!(s.contains(&LedgerStatus::Closed));
        assert!(!s.contains(&LedgerStatus::Rejected));
        assert!(!s.contains(&LedgerStatus::Merged));
    }
}
