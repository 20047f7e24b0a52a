//! What an officer reads (查阅): the ledger list, one entry in full, one report, whether a
//! photo may be shown — each cut to the officer's jurisdiction in the repository's own query
//! (what lies outside is never loaded), each with the rules of what is shown: who found an
//! entry first and is credited for it, how many workers took part, whether it is overdue,
//! and that an anonymous reporter appears only as 匿名.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::Scope;
use uuid::Uuid;

use super::{due_within, overdue};
use crate::calendar::Calendar;
use crate::error::{LedgerError, LedgerResult, RepoResult};
use crate::repo::ReadTx;
use crate::repo::query::{EntryOrder, EntryPredicate, EntryQuery};
use crate::repo::rows::{EntryRecord, ReportLink, ReportRow};
use crate::rules::access::Actor;
use crate::rules::workflow::allowed_actions;
use crate::service::Ledger;
use crate::views::{EntryDetail, EntrySummary, LedgerFilter, LedgerSort, ReportView, ReporterView};

/// The order in which the reports of an entry are shown and credited: the first is the first
/// finder (首报人). The **server's** receive time decides: a phone's clock is the worker's to
/// set, so a clock turned back must not win a reward; the capture time only breaks a tie.
pub fn finder_order(a: &ReportLink, b: &ReportLink) -> std::cmp::Ordering {
    (a.received_at, a.captured_at, a.id).cmp(&(b.received_at, b.captured_at, b.id))
}

/// How far a phone's capture time may run ahead of the server's receive time before it is
/// flagged (a phone clock a little fast is common).
pub const CAPTURE_AHEAD_TOLERANCE: chrono::Duration = chrono::Duration::minutes(10);
/// How long before its device enrolled a report may say it was captured before it is flagged
/// (a photo taken offline just before enrolling is plausible; months before is not).
pub const CAPTURE_BEFORE_ENROLLMENT_TOLERANCE: chrono::Duration = chrono::Duration::days(2);

/// Whether a report's capture time cannot be true: after it was received, or long before its
/// phone was enrolled. Shown to officers; never decisive (the receive time is).
pub fn capture_time_suspect(
    captured_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    enrolled_at: Option<DateTime<Utc>>,
) -> bool {
    captured_at > received_at + CAPTURE_AHEAD_TOLERANCE
        || enrolled_at.is_some_and(|e| captured_at < e - CAPTURE_BEFORE_ENROLLMENT_TOLERANCE)
}

/// The reporter as an officer may see them.
pub fn reporter(anonymous: bool, device_id: Uuid, device_name: &str) -> ReporterView {
    ReporterView::new(anonymous, device_id, device_name.to_owned())
}

/// The light rows of a report.
pub(crate) fn link_of(r: &ReportRow) -> ReportLink {
    ReportLink {
        id: r.id,
        entry_id: r.entry_id,
        device_id: r.device_id,
        device_name: r.device_name.clone(),
        anonymous: r.submission.anonymous,
        captured_at: r.submission.captured_at,
        received_at: r.received_at,
    }
}

/// A ledger line from its entry and its reports (in any order).
pub(crate) fn summary(
    rec: EntryRecord,
    mut reports: Vec<ReportLink>,
    today: NaiveDate,
) -> EntrySummary {
    reports.sort_by(finder_order);
    let devices: BTreeSet<Uuid> = reports.iter().map(|r| r.device_id).collect();
    let first = reports.first();
    let e = rec.entry;
    EntrySummary {
        overdue: super::is_overdue(e.status, e.deadline, today),
        first_reporter: first.map(|r| reporter(r.anonymous, r.device_id, &r.device_name)),
        credited_report_id: first.map(|r| r.id),
        report_ids: reports.iter().map(|r| r.id).collect(),
        reporters: devices.len() as u32,
        id: e.id,
        number: e.number,
        enterprise: e.enterprise,
        enterprise_name: rec.enterprise_name,
        town: rec.town,
        status: e.status,
        severity: e.severity,
        category: e.category,
        escalated: e.escalated,
        supervision: e.supervision,
        extension_pending: e.extension_pending,
        deadline: e.deadline,
        merged_into: e.merged_into,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

/// Ledger lines for these entries, with their reports loaded in one batch.
pub(crate) fn summaries(
    tx: &mut dyn ReadTx,
    records: Vec<EntryRecord>,
    today: NaiveDate,
) -> RepoResult<Vec<EntrySummary>> {
    let ids: Vec<Uuid> = records.iter().map(|r| r.entry.id).collect();
    let mut by_entry: HashMap<Uuid, Vec<ReportLink>> = HashMap::new();
    for link in tx.report_links(&ids)? {
        if let Some(e) = link.entry_id {
            by_entry.entry(e).or_default().push(link);
        }
    }
    Ok(records
        .into_iter()
        .map(|rec| {
            let links = by_entry.remove(&rec.entry.id).unwrap_or_default();
            summary(rec, links, today)
        })
        .collect())
}

/// A report as an officer sees it.
pub(crate) fn report_view(
    r: ReportRow,
    entry_number: Option<String>,
    enrolled_at: Option<DateTime<Utc>>,
) -> ReportView {
    let s = r.submission;
    ReportView {
        capture_time_suspect: capture_time_suspect(s.captured_at, r.received_at, enrolled_at),
        reporter: reporter(s.anonymous, r.device_id, &r.device_name),
        photos: s.photos.into_iter().map(|p| p.sha256).collect(),
        id: r.id,
        entry_id: r.entry_id,
        entry_number,
        suggestion_id: r.suggestion_id,
        enterprise: r.enterprise,
        kind: s.kind,
        category: s.category,
        severity: s.severity,
        at_risk: s.at_risk,
        source: s.source,
        note: s.note,
        site_code: s.site_code,
        workshop: s.workshop,
        team: s.team,
        location: s.location,
        captured_at: s.captured_at,
        received_at: r.received_at,
    }
}

/// The list filter as predicates, in the district's calendar on `today`.
pub(crate) fn predicates(
    calendar: &Calendar,
    f: &LedgerFilter,
    today: NaiveDate,
) -> Vec<EntryPredicate> {
    let mut p = Vec::new();
    if let Some(e) = &f.enterprise {
        p.push(EntryPredicate::Enterprise(e.clone()));
    }
    if let Some(t) = &f.town {
        p.push(EntryPredicate::Town(t.clone()));
    }
    if let Some(s) = f.status {
        p.push(EntryPredicate::StatusIn(vec![s]));
    }
    if let Some(s) = f.severity {
        p.push(EntryPredicate::Severity(s));
    }
    if let Some(c) = f.category {
        p.push(EntryPredicate::Category(c));
    }
    match f.overdue {
        Some(true) => p.extend(overdue(today)),
        Some(false) => p.push(EntryPredicate::Not(overdue(today))),
        None => {}
    }
    if let Some(days) = f.due_within_days {
        p.extend(due_within(today, days));
    }
    if let Some(x) = f.escalated {
        p.push(EntryPredicate::Escalated(x));
    }
    if f.from.is_some() || f.to.is_some() {
        let start = f
            .from
            .map_or(DateTime::<Utc>::MIN_UTC, |d| calendar.day_start(d));
        let end =
            f.to.map_or(DateTime::<Utc>::MAX_UTC, |d| calendar.days(d, d).1);
        p.push(EntryPredicate::CreatedIn(start, end));
    }
    p
}

/// The order of a list.
pub(crate) fn order(sort: LedgerSort) -> EntryOrder {
    match sort {
        LedgerSort::NewestFirst => EntryOrder::NewestFirst,
        LedgerSort::OldestFirst => EntryOrder::OldestFirst,
        LedgerSort::Deadline => EntryOrder::Deadline,
        LedgerSort::Number => EntryOrder::Number,
    }
}

/// The detail of an entry inside `scope`.
pub(crate) fn detail(
    tx: &mut dyn ReadTx,
    scope: &Scope,
    id: Uuid,
    today: NaiveDate,
) -> RepoResult<Option<EntryDetail>> {
    let Some(rec) = tx.entry(scope, id)? else {
        return Ok(None);
    };
    Ok(details(tx, vec![rec], &[id], today)?.pop())
}

impl Ledger {
    /// The ledger lines inside the actor's jurisdiction that match `filter`, one page.
    pub async fn list_entries(
        &self,
        actor: &Actor,
        filter: LedgerFilter,
        now: DateTime<Utc>,
    ) -> LedgerResult<Vec<EntrySummary>> {
        let calendar = self.settings.calendar;
        let today = calendar.today(now);
        let per_page = u64::from(filter.per_page.max(1));
        let query = EntryQuery {
            scope: actor.jurisdiction.scope(),
            filter: predicates(&calendar, &filter, today),
            order: order(filter.sort),
            offset: u64::from(filter.page.max(1) - 1) * per_page,
            limit: per_page,
        };
        self.repo
            .read(move |tx| {
                let records = tx.entries(&query)?;
                Ok(summaries(tx, records, today)?)
            })
            .await
    }

    /// Entries in full inside the actor's jurisdiction that match `filter`, every page, in
    /// number order, read in batches (the ledger export); at most `limit`, else `None`.
    pub async fn export_entries(
        &self,
        actor: &Actor,
        filter: LedgerFilter,
        limit: usize,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<Vec<EntryDetail>>> {
        let calendar = self.settings.calendar;
        let today = calendar.today(now);
        let scope = actor.jurisdiction.scope();
        let filter = predicates(&calendar, &filter, today);
        self.repo
            .read(move |tx| {
                let records = tx.entries(&EntryQuery {
                    scope: scope.clone(),
                    filter,
                    order: EntryOrder::Number,
                    offset: 0,
                    limit: limit as u64 + 1,
                })?;
                if records.len() > limit {
                    return Ok(None);
                }
                let mut out = Vec::with_capacity(records.len());
                for batch in records.chunks(EXPORT_BATCH) {
                    let ids: Vec<Uuid> = batch.iter().map(|r| r.entry.id).collect();
                    out.extend(details(tx, batch.to_vec(), &ids, today)?);
                }
                Ok(Some(out))
            })
            .await
    }

    /// One entry with its reports, photos, plan and history; not found outside the
    /// jurisdiction.
    pub async fn entry_detail(
        &self,
        actor: &Actor,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> LedgerResult<EntryDetail> {
        let today = self.settings.calendar.today(now);
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| detail(tx, &scope, id, today)?.ok_or(LedgerError::NotFound))
            .await
    }

    /// The id of the entry numbered `number` inside the jurisdiction; not found outside it.
    pub async fn entry_id_by_number(&self, actor: &Actor, number: String) -> LedgerResult<Uuid> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                tx.entries(&EntryQuery {
                    scope,
                    filter: vec![EntryPredicate::Number(number.trim().to_owned())],
                    order: EntryOrder::Number,
                    offset: 0,
                    limit: 1,
                })?
                .pop()
                .map(|r| r.entry.id)
                .ok_or(LedgerError::NotFound)
            })
            .await
    }

    /// One report; not found outside the jurisdiction.
    pub async fn report_detail(&self, actor: &Actor, id: Uuid) -> LedgerResult<ReportView> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                let r = tx.report(&scope, id)?.ok_or(LedgerError::NotFound)?;
                let number = match r.entry_id {
                    Some(e) => tx.entry(&Scope::All, e)?.map(|rec| rec.entry.number),
                    None => None,
                };
                let enrolled = tx.device(r.device_id)?.map(|d| d.enrolled_at);
                Ok(report_view(r, number, enrolled))
            })
            .await
    }

    /// Whether a photo belongs to a report or an entry inside the jurisdiction.
    pub async fn photo_visible(&self, actor: &Actor, sha256: String) -> LedgerResult<bool> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| Ok(tx.photo_in_scope(&scope, &sha256)?))
            .await
    }
}

/// Entries read per batch by the export: one query for their reports, one for their photos
/// and history each, instead of one per entry.
const EXPORT_BATCH: usize = 200;

/// Entries in full, their reports, after-photos and history read in batches.
fn details(
    tx: &mut dyn ReadTx,
    records: Vec<EntryRecord>,
    ids: &[Uuid],
    today: NaiveDate,
) -> RepoResult<Vec<EntryDetail>> {
    let mut reports: HashMap<Uuid, Vec<ReportRow>> = HashMap::new();
    for r in tx.reports_of_entries(ids)? {
        if let Some(e) = r.entry_id {
            reports.entry(e).or_default().push(r);
        }
    }
    let mut photos = tx.entry_photos_of(ids)?;
    let mut history = tx.history_of(ids)?;
    let mut enrolled: HashMap<Uuid, Option<DateTime<Utc>>> = HashMap::new();
    for r in reports.values().flatten() {
        if let std::collections::hash_map::Entry::Vacant(slot) = enrolled.entry(r.device_id) {
            slot.insert(tx.device(r.device_id)?.map(|d| d.enrolled_at));
        }
    }
    Ok(records
        .into_iter()
        .map(|rec| {
            let e = rec.entry.clone();
            let mut rs = reports.remove(&e.id).unwrap_or_default();
            let links: Vec<ReportLink> = rs.iter().map(link_of).collect();
            let mut sorted = links.clone();
            sorted.sort_by(finder_order);
            let rank: HashMap<Uuid, usize> =
                sorted.iter().enumerate().map(|(i, l)| (l.id, i)).collect();
            rs.sort_by_key(|r| rank.get(&r.id).copied().unwrap_or(usize::MAX));
            EntryDetail {
                allowed_actions: allowed_actions(&e),
                plan: e.plan.clone(),
                requested_deadline: e.requested_deadline,
                rectified_note: e.rectified_note.clone(),
                after_photos: photos.remove(&e.id).unwrap_or_default(),
                possible_duplicate_of: e.possible_duplicate_of,
                reports: rs
                    .into_iter()
                    .map(|r| {
                        let at = enrolled.get(&r.device_id).copied().flatten();
                        report_view(r, Some(e.number.clone()), at)
                    })
                    .collect(),
                history: history.remove(&e.id).unwrap_or_default(),
                summary: summary(rec, links, today),
            }
        })
        .collect())
}
