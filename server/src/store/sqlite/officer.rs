//! The officer side on SQLite: jurisdiction-scoped reads of the ledger (隐患台账) and the
//! workflow's writes (闭环管理), each action one transaction.
//!
//! Jurisdiction is turned into ONE SQL condition, [`scope`], that every read of an entry, a
//! report or a photo goes through: what lies outside is never loaded, so it cannot be shown.
//! Actions re-read the entry under the write lock and pass its state through
//! [`workflow::apply`], so two officers acting at once cannot both move the same entry.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hazardsnap_model::workflow::{self, EntryState};
use hazardsnap_model::{
    Jurisdiction, Labelled, LedgerAction, LedgerStatus, RectificationPlan, Severity,
};
use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::{filing, parse_ts, parse_uuid, parse_wire, ts};
use crate::store::officer::{
    ActionOutcome, EntryDetail, EntrySummary, HistoryEvent, LedgerFilter, LedgerSort,
    OfficerAction, ReportView, ReporterView, RevealOutcome, china_day_start, china_today,
};
use crate::store::{StatusChange, StoreError, StoreResult};

/// Open statuses, as SQL.
const OPEN: &str = "('pending_review','rectifying','awaiting_verification')";

/// The jurisdiction as a condition on `le` (ledger_entries) and `en` (its enterprise), with
/// the value of `:scope` when it needs one.
fn scope(j: &Jurisdiction) -> (&'static str, Option<String>) {
    match j {
        Jurisdiction::District => ("1", None),
        Jurisdiction::Town { town } => ("en.town = :scope", Some(town.clone())),
        Jurisdiction::Enterprise { enterprise } => {
            ("le.enterprise = :scope", Some(enterprise.clone()))
        }
        Jurisdiction::Bureau => ("le.escalated = 1", None),
    }
}

/// Named parameters built up with a query.
#[derive(Default)]
struct Params(Vec<(&'static str, Box<dyn ToSql>)>);

impl Params {
    fn push(&mut self, name: &'static str, v: impl ToSql + 'static) {
        self.0.push((name, Box::new(v)));
    }
    fn refs(&self) -> Vec<(&str, &dyn ToSql)> {
        self.0.iter().map(|(n, v)| (*n, v.as_ref())).collect()
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn parse_date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| corrupt(format!("date {s:?}: {e}")))
}

const SUMMARY_COLUMNS: &str = "le.id, le.number, le.enterprise, en.name, en.town, le.status,
    le.severity, le.category, le.escalated, le.extension_pending, le.deadline, le.merged_into,
    le.created_at, le.updated_at";

type SummaryRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    bool,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SummaryRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
        r.get(13)?,
    ))
}

/// Completes a summary row with its reports (first finder first) and the computed fields.
fn summary(c: &Connection, row: SummaryRow, today: NaiveDate) -> StoreResult<EntrySummary> {
    let (id, number, enterprise, enterprise_name, town, status, severity, category) =
        (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7);
    let status: LedgerStatus = parse_wire(&status)?;
    let deadline = row.10.as_deref().map(parse_date).transpose()?;
    let mut stmt = c.prepare_cached(
        "SELECT r.id, r.device_id, d.name, r.anonymous FROM reports r
         JOIN devices d ON d.id = r.device_id
         WHERE r.entry_id = ?1 ORDER BY r.captured_at, r.received_at, r.id",
    )?;
    let reports: Vec<(String, String, String, bool)> = stmt
        .query_map([&id], |r| r.try_into())?
        .collect::<Result<_, _>>()?;
    let mut devices: Vec<&str> = reports.iter().map(|r| r.1.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    let first = reports
        .first()
        .map(|(_, dev, name, anon)| {
            Ok::<_, StoreError>(ReporterView::new(*anon, parse_uuid(dev)?, name.clone()))
        })
        .transpose()?;
    Ok(EntrySummary {
        id: parse_uuid(&id)?,
        number,
        enterprise,
        enterprise_name,
        town,
        status,
        severity: parse_wire(&severity)?,
        category: parse_wire(&category)?,
        report_ids: reports
            .iter()
            .map(|r| parse_uuid(&r.0))
            .collect::<StoreResult<_>>()?,
        overdue: status.is_open() && deadline.is_some_and(|d| d < today),
        escalated: row.8,
        extension_pending: row.9,
        deadline,
        reporters: devices.len() as u32,
        first_reporter: first,
        credited_report_id: reports.first().map(|r| parse_uuid(&r.0)).transpose()?,
        merged_into: row.11.as_deref().map(parse_uuid).transpose()?,
        created_at: parse_ts(&row.12)?,
        updated_at: parse_ts(&row.13)?,
    })
}

/// The ledger list.
pub(super) fn list(
    c: &Connection,
    j: &Jurisdiction,
    f: &LedgerFilter,
    now: DateTime<Utc>,
) -> StoreResult<Vec<EntrySummary>> {
    let today = china_today(now);
    let (cond, value) = scope(j);
    let mut sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM ledger_entries le
         JOIN enterprises en ON en.code = le.enterprise WHERE {cond}"
    );
    let mut p = Params::default();
    if let Some(v) = value {
        p.push(":scope", v);
    }
    if let Some(e) = &f.enterprise {
        sql.push_str(" AND le.enterprise = :enterprise");
        p.push(":enterprise", e.clone());
    }
    if let Some(t) = &f.town {
        sql.push_str(" AND en.town = :town");
        p.push(":town", t.clone());
    }
    if let Some(s) = f.status {
        sql.push_str(" AND le.status = :status");
        p.push(":status", s.wire_name());
    }
    if let Some(s) = f.severity {
        sql.push_str(" AND le.severity = :severity");
        p.push(":severity", s.wire_name());
    }
    if let Some(s) = f.category {
        sql.push_str(" AND le.category = :category");
        p.push(":category", s.wire_name());
    }
    let overdue_sql =
        format!("(le.deadline IS NOT NULL AND le.deadline < :today AND le.status IN {OPEN})");
    let mut needs_today = false;
    match f.overdue {
        Some(true) => {
            sql.push_str(&format!(" AND {overdue_sql}"));
            needs_today = true;
        }
        Some(false) => {
            sql.push_str(&format!(" AND NOT {overdue_sql}"));
            needs_today = true;
        }
        None => {}
    }
    if let Some(days) = f.due_within_days {
        sql.push_str(&format!(
            " AND le.status IN {OPEN} AND le.deadline IS NOT NULL
              AND le.deadline >= :today AND le.deadline <= :due_by"
        ));
        needs_today = true;
        let due_by = today + Duration::days(i64::from(days.min(3650)));
        p.push(":due_by", due_by.to_string());
    }
    if needs_today {
        p.push(":today", today.to_string());
    }
    match f.escalated {
        Some(true) => sql.push_str(" AND le.escalated = 1"),
        Some(false) => sql.push_str(" AND le.escalated = 0"),
        None => {}
    }
    if let Some(d) = f.from {
        sql.push_str(" AND le.created_at >= :from");
        p.push(":from", ts(china_day_start(d)));
    }
    if let Some(d) = f.to {
        sql.push_str(" AND le.created_at < :to");
        p.push(":to", ts(china_day_start(d + Duration::days(1))));
    }
    sql.push_str(match f.sort {
        LedgerSort::NewestFirst => " ORDER BY le.created_at DESC, le.number DESC",
        LedgerSort::OldestFirst => " ORDER BY le.created_at, le.number",
        LedgerSort::Deadline => " ORDER BY le.deadline IS NULL, le.deadline, le.number",
        LedgerSort::Number => " ORDER BY le.number",
    });
    sql.push_str(" LIMIT :limit OFFSET :offset");
    let per_page = f.per_page.max(1);
    p.push(":limit", i64::from(per_page));
    p.push(
        ":offset",
        i64::from(f.page.max(1) - 1) * i64::from(per_page),
    );
    let mut stmt = c.prepare(&sql)?;
    let rows: Vec<SummaryRow> = stmt
        .query_map(p.refs().as_slice(), summary_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(|r| summary(c, r, today)).collect()
}

fn summary_in_scope(
    c: &Connection,
    j: &Jurisdiction,
    entry_id: &Uuid,
    today: NaiveDate,
) -> StoreResult<Option<EntrySummary>> {
    let (cond, value) = scope(j);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM ledger_entries le
         JOIN enterprises en ON en.code = le.enterprise WHERE le.id = :id AND {cond}"
    );
    let mut p = Params::default();
    p.push(":id", entry_id.to_string());
    if let Some(v) = value {
        p.push(":scope", v);
    }
    let row = c
        .query_row(&sql, p.refs().as_slice(), summary_row)
        .optional()?;
    row.map(|r| summary(c, r, today)).transpose()
}

/// Photos of a report, in order.
fn report_photos(c: &Connection, report_id: &str) -> StoreResult<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT sha256 FROM report_photos WHERE report_id = ?1 ORDER BY position",
    )?;
    Ok(stmt
        .query_map([report_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

const REPORT_COLUMNS: &str = "r.id, r.entry_id, le.number, r.suggestion_id, r.enterprise,
    r.kind, r.category, r.severity, r.note, r.site_code, r.workshop, r.team, r.captured_at,
    r.received_at, r.anonymous, r.device_id, d.name";

fn report_row(c: &Connection, r: &rusqlite::Row<'_>) -> StoreResult<ReportView> {
    let id: String = r.get(0)?;
    let entry_id: Option<String> = r.get(1)?;
    let suggestion_id: Option<String> = r.get(3)?;
    let kind: String = r.get(5)?;
    let category: String = r.get(6)?;
    let severity: String = r.get(7)?;
    let captured: String = r.get(12)?;
    let received: String = r.get(13)?;
    let device: String = r.get(15)?;
    Ok(ReportView {
        photos: report_photos(c, &id)?,
        id: parse_uuid(&id)?,
        entry_id: entry_id.as_deref().map(parse_uuid).transpose()?,
        entry_number: r.get(2)?,
        suggestion_id: suggestion_id.as_deref().map(parse_uuid).transpose()?,
        enterprise: r.get(4)?,
        kind: parse_wire(&kind)?,
        category: parse_wire(&category)?,
        severity: parse_wire(&severity)?,
        note: r.get(8)?,
        site_code: r.get(9)?,
        workshop: r.get(10)?,
        team: r.get(11)?,
        captured_at: parse_ts(&captured)?,
        received_at: parse_ts(&received)?,
        reporter: ReporterView::new(r.get(14)?, parse_uuid(&device)?, r.get(16)?),
    })
}

/// One entry in full.
pub(super) fn detail(
    c: &Connection,
    j: &Jurisdiction,
    entry_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Option<EntryDetail>> {
    let Some(summary) = summary_in_scope(c, j, &entry_id, china_today(now))? else {
        return Ok(None);
    };
    let id = entry_id.to_string();
    let (plan, requested, note): (Option<String>, Option<String>, Option<String>) = c.query_row(
        "SELECT plan, requested_deadline, rectified_note FROM ledger_entries WHERE id = ?1",
        [&id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let plan: Option<RectificationPlan> = plan
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(corrupt)?;
    let mut stmt = c.prepare_cached(
        "SELECT sha256 FROM entry_photos WHERE entry_id = ?1 ORDER BY added_at, sha256",
    )?;
    let after_photos: Vec<String> = stmt
        .query_map([&id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM reports r JOIN devices d ON d.id = r.device_id
         LEFT JOIN ledger_entries le ON le.id = r.entry_id
         WHERE r.entry_id = ?1 ORDER BY r.captured_at, r.received_at, r.id"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query([&id])?;
    let mut reports = Vec::new();
    while let Some(r) = rows.next()? {
        reports.push(report_row(c, r)?);
    }
    let mut stmt = c.prepare_cached(
        "SELECT at, actor, action, from_status, to_status, detail FROM entry_history
         WHERE entry_id = ?1 ORDER BY id",
    )?;
    type H = (
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        Option<String>,
    );
    let raw: Vec<H> = stmt
        .query_map([&id], |r| r.try_into())?
        .collect::<Result<_, _>>()?;
    let history = raw
        .into_iter()
        .map(|(at, actor, action, from, to, details)| {
            Ok(HistoryEvent {
                at: parse_ts(&at)?,
                actor,
                action,
                from_status: from.as_deref().map(parse_wire).transpose()?,
                to_status: parse_wire(&to)?,
                details,
            })
        })
        .collect::<StoreResult<_>>()?;
    let state = EntryState {
        status: summary.status,
        severity: summary.severity,
        escalated: summary.escalated,
        extension_pending: summary.extension_pending,
    };
    Ok(Some(EntryDetail {
        allowed_actions: workflow::allowed_actions(&state),
        summary,
        plan,
        requested_deadline: requested.as_deref().map(parse_date).transpose()?,
        rectified_note: note,
        after_photos,
        reports,
        history,
    }))
}

/// The condition under which a report (`r`) is inside the jurisdiction: its entry is, or, for
/// a suggestion, its enterprise is (the bureau sees no suggestions).
fn report_scope(j: &Jurisdiction) -> (&'static str, Option<String>) {
    match j {
        Jurisdiction::District => ("1", None),
        Jurisdiction::Town { town } => ("en.town = :scope", Some(town.clone())),
        Jurisdiction::Enterprise { enterprise } => (
            "COALESCE(le.enterprise, r.enterprise) = :scope",
            Some(enterprise.clone()),
        ),
        Jurisdiction::Bureau => ("le.escalated = 1", None),
    }
}

/// One report.
pub(super) fn report(
    c: &Connection,
    j: &Jurisdiction,
    report_id: Uuid,
) -> StoreResult<Option<ReportView>> {
    let (cond, value) = report_scope(j);
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM reports r JOIN devices d ON d.id = r.device_id
         LEFT JOIN ledger_entries le ON le.id = r.entry_id
         JOIN enterprises en ON en.code = COALESCE(le.enterprise, r.enterprise)
         WHERE r.id = :id AND {cond}"
    );
    let mut p = Params::default();
    p.push(":id", report_id.to_string());
    if let Some(v) = value {
        p.push(":scope", v);
    }
    let mut stmt = c.prepare(&sql)?;
    let mut rows = stmt.query(p.refs().as_slice())?;
    match rows.next()? {
        Some(r) => Ok(Some(report_row(c, r)?)),
        None => Ok(None),
    }
}

/// Whether a photo belongs to a report or an entry inside the jurisdiction.
pub(super) fn photo_visible(c: &Connection, j: &Jurisdiction, sha256: &str) -> StoreResult<bool> {
    let (rcond, value) = report_scope(j);
    let (econd, _) = scope(j);
    let sql = format!(
        "SELECT EXISTS (
             SELECT 1 FROM report_photos rp JOIN reports r ON r.id = rp.report_id
             LEFT JOIN ledger_entries le ON le.id = r.entry_id
             JOIN enterprises en ON en.code = COALESCE(le.enterprise, r.enterprise)
             WHERE rp.sha256 = :sha AND {rcond})
         OR EXISTS (
             SELECT 1 FROM entry_photos ep JOIN ledger_entries le ON le.id = ep.entry_id
             JOIN enterprises en ON en.code = le.enterprise
             WHERE ep.sha256 = :sha AND {econd})"
    );
    let mut p = Params::default();
    p.push(":sha", sha256.to_owned());
    if let Some(v) = value {
        p.push(":scope", v);
    }
    Ok(c.query_row(&sql, p.refs().as_slice(), |r| r.get(0))?)
}

/// Reveals a reporter (for rewards) and records the look.
pub(super) fn reveal(
    tx: &Transaction<'_>,
    j: &Jurisdiction,
    report_id: Uuid,
    actor: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<RevealOutcome> {
    let (cond, value) = report_scope(j);
    let sql = format!(
        "SELECT r.device_id, d.name, r.anonymous FROM reports r
         JOIN devices d ON d.id = r.device_id
         LEFT JOIN ledger_entries le ON le.id = r.entry_id
         JOIN enterprises en ON en.code = COALESCE(le.enterprise, r.enterprise)
         WHERE r.id = :id AND {cond}"
    );
    let mut p = Params::default();
    p.push(":id", report_id.to_string());
    if let Some(v) = value {
        p.push(":scope", v);
    }
    let found: Option<(String, String, bool)> = tx
        .query_row(&sql, p.refs().as_slice(), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((device, name, anonymous)) = found else {
        return Ok(RevealOutcome::NotFound);
    };
    if !j.may_reveal_for_reward() {
        return Ok(RevealOutcome::Forbidden);
    }
    tx.execute(
        "INSERT INTO reveal_audit (report_id, actor, reason, at) VALUES (?1, ?2, ?3, ?4)",
        params![report_id.to_string(), actor, reason, ts(now)],
    )?;
    Ok(RevealOutcome::Revealed {
        device_id: parse_uuid(&device)?,
        device_name: name,
        anonymous,
    })
}

/// An entry as the workflow sees it, read under the write lock.
struct Current {
    state: EntryState,
    number: String,
    enterprise: String,
    requested_deadline: Option<NaiveDate>,
}

fn current(tx: &Transaction<'_>, j: &Jurisdiction, id: &Uuid) -> StoreResult<Option<Current>> {
    let (cond, value) = scope(j);
    let sql = format!(
        "SELECT le.status, le.severity, le.escalated, le.extension_pending, le.number,
                le.enterprise, le.requested_deadline
         FROM ledger_entries le JOIN enterprises en ON en.code = le.enterprise
         WHERE le.id = :id AND {cond}"
    );
    let mut p = Params::default();
    p.push(":id", id.to_string());
    if let Some(v) = value {
        p.push(":scope", v);
    }
    type Row = (String, String, bool, bool, String, String, Option<String>);
    let row: Option<Row> = tx
        .query_row(&sql, p.refs().as_slice(), |r| r.try_into())
        .optional()?;
    row.map(
        |(status, severity, escalated, pending, number, enterprise, req)| {
            Ok(Current {
                state: EntryState {
                    status: parse_wire(&status)?,
                    severity: parse_wire::<Severity>(&severity)?,
                    escalated,
                    extension_pending: pending,
                },
                number,
                enterprise,
                requested_deadline: req.as_deref().map(parse_date).transpose()?,
            })
        },
    )
    .transpose()
}

/// A history event that does not change the status.
fn note_history(
    tx: &Transaction<'_>,
    entry_id: &str,
    action: &str,
    actor: &str,
    status: LedgerStatus,
    detail: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
        params![entry_id, action, actor, status.wire_name(), detail, ts(now)],
    )?;
    Ok(())
}

fn refused(status: u16, code: &'static str, message: impl Into<String>) -> ActionOutcome {
    ActionOutcome::Refused {
        status,
        code,
        message: message.into(),
    }
}

fn with_reason(head: String, reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{head}：{r}"),
        None => head,
    }
}

/// Applies an officer's action.
pub(super) fn act(
    tx: &Transaction<'_>,
    j: &Jurisdiction,
    entry_id: Uuid,
    action: &OfficerAction,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<ActionOutcome> {
    let Some(cur) = current(tx, j, &entry_id)? else {
        return Ok(ActionOutcome::NotFound);
    };
    let id = entry_id.to_string();
    let next = match action.ledger_action() {
        Some(a) => match workflow::apply(&cur.state, a) {
            Ok(n) => n,
            Err(e) => return Ok(ActionOutcome::Illegal(e)),
        },
        None => cur.state,
    };
    let change = |action: LedgerAction, reason: String, merged_into: Option<Uuid>| StatusChange {
        entry_id,
        status: next.status,
        actor: actor.to_owned(),
        action: action.wire_name().to_owned(),
        reason: Some(reason),
        merged_into,
        at: now,
    };
    match action {
        OfficerAction::Confirm(plan) => {
            let json = serde_json::to_string(plan).map_err(corrupt)?;
            tx.execute(
                "UPDATE ledger_entries SET plan = ?2, deadline = ?3 WHERE id = ?1",
                params![id, json, plan.deadline.to_string()],
            )?;
            let text = format!(
                "整改方案：责任 {}；措施 {}；资金 {} 元；时限 {}；预案 {}；层级 {} / plan: responsible {}; measures {}; funds {} yuan; deadline {}; contingency {}; level {}",
                plan.responsible,
                plan.measures,
                plan.funds,
                plan.deadline,
                plan.contingency,
                plan.level.label_zh(),
                plan.responsible,
                plan.measures,
                plan.funds,
                plan.deadline,
                plan.contingency,
                plan.level.wire_name(),
            );
            filing::change_entry_status(tx, &change(LedgerAction::Confirm, text, None))?;
        }
        OfficerAction::Reject { reason } => {
            filing::change_entry_status(tx, &change(LedgerAction::Reject, reason.clone(), None))?;
        }
        OfficerAction::Merge { into, reason } => {
            if *into == entry_id {
                return Ok(refused(
                    400,
                    "merge_into_self",
                    "不能合并到自身 / an entry cannot be merged into itself",
                ));
            }
            let Some(target) = current(tx, j, into)? else {
                return Ok(ActionOutcome::NotFound);
            };
            if !target.state.status.is_open() {
                return Ok(refused(
                    409,
                    "merge_target_closed",
                    format!(
                        "目标条目 {} 已结束（{}），不能并入 / target entry {} is no longer open ({})",
                        target.number,
                        target.state.status.label_zh(),
                        target.number,
                        target.state.status.wire_name()
                    ),
                ));
            }
            let text = with_reason(
                format!("合并至 {} / merged into {}", target.number, target.number),
                reason.as_deref(),
            );
            filing::change_entry_status(tx, &change(LedgerAction::Merge, text, Some(*into)))?;
            // The surviving entry holds every report and photo; each still counts.
            let moved = tx.execute(
                "UPDATE reports SET entry_id = ?2 WHERE entry_id = ?1",
                params![id, into.to_string()],
            )?;
            note_history(
                tx,
                &into.to_string(),
                "merge_in",
                actor,
                target.state.status,
                &with_reason(
                    format!(
                        "并入 {}（{moved} 份报告）/ {} merged in ({moved} reports)",
                        cur.number, cur.number
                    ),
                    reason.as_deref(),
                ),
                now,
            )?;
            tx.execute(
                "UPDATE ledger_entries SET updated_at = ?2 WHERE id = ?1",
                params![into.to_string(), ts(now)],
            )?;
            tx.execute(
                "UPDATE ledger_entries SET extension_pending = 0 WHERE id = ?1",
                [&id],
            )?;
        }
        OfficerAction::Rectified { note, photos } => {
            for p in photos {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1)",
                    [p],
                    |r| r.get(0),
                )?;
                if !known {
                    return Ok(refused(
                        422,
                        "missing_photos",
                        format!("整改后照片 {p} 尚未上传 / after-photo {p} has not been uploaded"),
                    ));
                }
            }
            for p in photos {
                tx.execute(
                    "INSERT INTO entry_photos (entry_id, sha256, added_by, added_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![id, p, actor, ts(now)],
                )?;
            }
            tx.execute(
                "UPDATE ledger_entries SET rectified_note = ?2, extension_pending = 0,
                        requested_deadline = NULL WHERE id = ?1",
                params![id, note],
            )?;
            filing::change_entry_status(tx, &change(LedgerAction::Rectified, note.clone(), None))?;
        }
        OfficerAction::Verify { accepted, note } => {
            let a = if *accepted {
                LedgerAction::VerifyAccept
            } else {
                LedgerAction::VerifyReturn
            };
            filing::change_entry_status(tx, &change(a, note.clone(), None))?;
        }
        OfficerAction::Escalate { reason } => {
            tx.execute(
                "UPDATE ledger_entries SET escalated = 1, updated_at = ?2 WHERE id = ?1",
                params![id, ts(now)],
            )?;
            note_history(
                tx,
                &id,
                LedgerAction::Escalate.wire_name(),
                actor,
                cur.state.status,
                &with_reason(
                    "提请安监局挂牌督办 / escalated to the work-safety bureau".to_owned(),
                    reason.as_deref(),
                ),
                now,
            )?;
        }
        OfficerAction::RequestExtension {
            new_deadline,
            reason,
        } => {
            tx.execute(
                "UPDATE ledger_entries SET extension_pending = 1, requested_deadline = ?2,
                        updated_at = ?3 WHERE id = ?1",
                params![id, new_deadline.to_string(), ts(now)],
            )?;
            note_history(
                tx,
                &id,
                LedgerAction::RequestExtension.wire_name(),
                actor,
                cur.state.status,
                &format!(
                    "申请延期至 {new_deadline}：{reason} / extension to {new_deadline} requested: {reason}"
                ),
                now,
            )?;
        }
        OfficerAction::DecideExtension { approved, note } => {
            let text = match (approved, cur.requested_deadline) {
                (true, Some(d)) => {
                    tx.execute(
                        "UPDATE ledger_entries SET deadline = ?2 WHERE id = ?1",
                        params![id, d.to_string()],
                    )?;
                    format!("批准延期至 {d}：{note} / extension to {d} approved: {note}")
                }
                _ => format!("不批准延期：{note} / extension refused: {note}"),
            };
            tx.execute(
                "UPDATE ledger_entries SET extension_pending = 0, requested_deadline = NULL,
                        updated_at = ?2 WHERE id = ?1",
                params![id, ts(now)],
            )?;
            note_history(
                tx,
                &id,
                LedgerAction::DecideExtension.wire_name(),
                actor,
                cur.state.status,
                &text,
                now,
            )?;
        }
        OfficerAction::Split { report_id, reason } => {
            return split(tx, &cur, entry_id, *report_id, reason, actor, now);
        }
    }
    Ok(ActionOutcome::Done(entry_id))
}

/// Moves one report out of an entry into a new entry of the same enterprise.
fn split(
    tx: &Transaction<'_>,
    cur: &Current,
    entry_id: Uuid,
    report_id: Uuid,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<ActionOutcome> {
    let id = entry_id.to_string();
    let report: Option<(String, String, String)> = tx
        .query_row(
            "SELECT device_id, severity, category FROM reports WHERE id = ?1 AND entry_id = ?2",
            params![report_id.to_string(), id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((device_id, severity, category)) = report else {
        return Ok(refused(
            404,
            "not_found",
            "该条目中没有这份报告 / this entry holds no such report",
        ));
    };
    let count: i64 = tx.query_row(
        "SELECT count(*) FROM reports WHERE entry_id = ?1",
        [&id],
        |r| r.get(0),
    )?;
    if count < 2 {
        return Ok(refused(
            409,
            "last_report",
            "条目只有这一份报告，无需拆分 / the entry holds only this report: nothing to split",
        ));
    }
    let year = china_today(now).format("%Y").to_string();
    let year: i32 = year.parse().map_err(corrupt)?;
    // The same per-enterprise counter as filing, so a number is never reused.
    let seq: i64 = tx.query_row(
        "INSERT INTO number_sequences (enterprise, year, series, last) VALUES (?1, ?2, 'H', 1)
         ON CONFLICT (enterprise, year, series) DO UPDATE SET last = last + 1
         RETURNING last",
        params![cur.enterprise, year],
        |r| r.get(0),
    )?;
    let number = format!("{}-{year}-{seq:04}", cur.enterprise);
    let new_id = Uuid::now_v7();
    let status = LedgerStatus::PendingReview;
    tx.execute(
        "INSERT INTO ledger_entries (id, number, enterprise, year, seq, status, severity,
                                     category, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            new_id.to_string(),
            number,
            cur.enterprise,
            year,
            seq,
            status.wire_name(),
            severity,
            category,
            ts(now)
        ],
    )?;
    tx.execute(
        "UPDATE reports SET entry_id = ?2 WHERE id = ?1",
        params![report_id.to_string(), new_id.to_string()],
    )?;
    note_history(
        tx,
        &id,
        "split",
        actor,
        cur.state.status,
        &format!(
            "拆出报告 {report_id} 至 {number}：{reason} / report {report_id} split out into {number}: {reason}"
        ),
        now,
    )?;
    tx.execute(
        "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status, detail, at)
         VALUES (?1, 'split_from', ?2, NULL, ?3, ?4, ?5)",
        params![
            new_id.to_string(),
            actor,
            status.wire_name(),
            format!(
                "自 {} 拆出报告 {report_id}：{reason} / report {report_id} split out of {}: {reason}",
                cur.number, cur.number
            ),
            ts(now)
        ],
    )?;
    tx.execute(
        "INSERT INTO report_events
             (report_id, device_id, status, entry_id, entry_number, merged_into, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)",
        params![
            report_id.to_string(),
            device_id,
            status.wire_name(),
            new_id.to_string(),
            number,
            reason,
            ts(now)
        ],
    )?;
    Ok(ActionOutcome::Done(new_id))
}
