//! Supervision visits (督导检查): the supervision team's record of a visit to an enterprise —
//! usually one a draw picked (`rules::campaign`: the draw is kept with its seed, so anyone can
//! redo it) — with the team, what was checked, the findings and a rating; a finding becomes a
//! hazard of the enterprise with one action, filed by the officer's desk (`rules::desk`).
//!
//! The plan asks every enterprise of the high-risk industries to be visited once a year;
//! [`Ledger::visit_coverage`] lists the year's coverage, high-risk industries first and the
//! enterprises not visited yet at the top. District and town officers visit (the town within
//! its own enterprises); enterprise officers read the visits of their enterprise; the bureau
//! has no part in it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::{Category, Industry, Jurisdiction, Role, Severity, VisitRating};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::desk;
use super::training::{Finding, enterprise, in_scope};
use super::{optional_text, required_text};
use crate::error::{LedgerError, LedgerResult, RepoError};
use crate::repo::ReadTx;
use crate::repo::query::{EnterpriseFilter, RecordQuery};
use crate::repo::rows::{EnterpriseRow, RecordKind, RecordRow};
use crate::rules::access::Actor;
use crate::service::Ledger;

/// Members, or findings, one visit lists at most.
pub const MAX_VISIT_LIST: usize = 200;
const MAX_VISITS: u64 = 5_000;

/// A visit as recorded (the stored body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitRecord {
    /// The day of the visit.
    pub date: NaiveDate,
    /// The draw that picked the enterprise, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw_id: Option<Uuid>,
    /// The supervision team's members (督导组成员).
    pub team: Vec<String>,
    /// What was checked (检查内容).
    pub checked: String,
    /// The findings.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The rating.
    pub rating: VisitRating,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// A new visit, as entered.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewVisit {
    /// Enterprise code.
    pub enterprise: String,
    /// The day (not in the future).
    pub date: NaiveDate,
    /// The draw that picked it.
    #[serde(default)]
    pub draw_id: Option<Uuid>,
    /// Team members.
    pub team: Vec<String>,
    /// What was checked.
    pub checked: String,
    /// Findings, as texts.
    #[serde(default)]
    pub findings: Vec<String>,
    /// The rating.
    pub rating: VisitRating,
    /// Remarks.
    #[serde(default)]
    pub remarks: Option<String>,
}

/// A visit as officers see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitView {
    /// Id.
    pub id: Uuid,
    /// Enterprise code.
    pub enterprise: String,
    /// Its name.
    pub enterprise_name: String,
    /// Its town.
    pub town: String,
    /// Its industry.
    pub industry: Industry,
    /// The record.
    #[serde(flatten)]
    pub record: VisitRecord,
    /// Recorded by.
    pub created_by: String,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
}

/// An enterprise's visits in a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitCoverageLine {
    /// Enterprise code.
    pub enterprise: String,
    /// Name.
    pub name: String,
    /// Town.
    pub town: String,
    /// Industry.
    pub industry: Industry,
    /// A high-risk industry (高危行业).
    pub high_risk: bool,
    /// Visits in the year.
    pub visits: u32,
    /// The last visit's day.
    pub last_visit: Option<NaiveDate>,
    /// Its rating.
    pub last_rating: Option<VisitRating>,
}

/// The year's visit coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitCoverage {
    /// The year.
    pub year: i32,
    /// High-risk enterprises.
    pub high_risk: u32,
    /// Of those, visited.
    pub high_risk_visited: u32,
    /// All enterprises.
    pub enterprises: u32,
    /// Of those, visited.
    pub visited: u32,
    /// Per enterprise: high-risk first, the unvisited first within each.
    pub lines: Vec<VisitCoverageLine>,
}

fn may_visit(actor: &Actor, e: &EnterpriseRow) -> LedgerResult<()> {
    if !matches!(actor.role(), Role::District | Role::Town) {
        return Err(LedgerError::forbidden(
            "forbidden",
            "督导检查由区、镇/街道总工会登记 / district and town officers record supervision visits",
        ));
    }
    if in_scope(&actor.jurisdiction.scope(), e) {
        Ok(())
    } else {
        Err(LedgerError::NotFound)
    }
}

fn parse(row: &RecordRow) -> LedgerResult<VisitRecord> {
    serde_json::from_value(row.body.clone())
        .map_err(|e| RepoError::corrupt(format!("visit {}: {e}", row.id)).into())
}

fn view(row: &RecordRow, record: VisitRecord, e: &EnterpriseRow) -> VisitView {
    VisitView {
        id: row.id,
        enterprise: e.code.clone(),
        enterprise_name: e.name.clone(),
        town: e.town.clone(),
        industry: e.industry,
        record,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
    }
}

fn enterprises_by_code(tx: &mut dyn ReadTx) -> LedgerResult<HashMap<String, EnterpriseRow>> {
    Ok(tx
        .enterprises(&EnterpriseFilter::default())?
        .into_iter()
        .map(|e| (e.code.clone(), e))
        .collect())
}

impl Ledger {
    /// Records a supervision visit to an enterprise of the actor's jurisdiction.
    pub async fn record_visit(
        &self,
        actor: &Actor,
        new: NewVisit,
        now: DateTime<Utc>,
    ) -> LedgerResult<VisitView> {
        let today = self.settings.calendar.today(now);
        let actor = actor.clone();
        self.repo
            .write(move |tx| {
                let e = enterprise(tx, &new.enterprise)?.ok_or(LedgerError::NotFound)?;
                may_visit(&actor, &e)?;
                if new.date > today {
                    return Err(LedgerError::invalid(
                        "date_in_future",
                        "日期不能晚于今天 / the date cannot be after today",
                    ));
                }
                if let Some(draw) = new.draw_id {
                    let d = tx.draw(draw)?.ok_or(LedgerError::NotFound)?;
                    if !d.result.contains(&e.code) {
                        return Err(LedgerError::invalid(
                            "not_drawn",
                            format!(
                                "该次抽查未抽中企业 {} / that draw did not pick enterprise {}",
                                e.code, e.code
                            ),
                        ));
                    }
                }
                let mut team = Vec::new();
                for m in &new.team {
                    if let Some(m) = optional_text("team", "督导组成员", Some(m))?
                        && !team.contains(&m)
                    {
                        team.push(m);
                    }
                }
                if team.is_empty() {
                    return Err(LedgerError::Missing {
                        field: "team",
                        zh: "督导组成员",
                    });
                }
                if team.len() > MAX_VISIT_LIST || new.findings.len() > MAX_VISIT_LIST {
                    return Err(LedgerError::invalid(
                        "too_many",
                        format!("最多 {MAX_VISIT_LIST} 项 / at most {MAX_VISIT_LIST} items"),
                    ));
                }
                let mut findings = Vec::new();
                for f in &new.findings {
                    if let Some(note) = optional_text("findings", "发现问题", Some(f))? {
                        findings.push(Finding {
                            note,
                            entry_id: None,
                            entry_number: None,
                        });
                    }
                }
                let record = VisitRecord {
                    date: new.date,
                    draw_id: new.draw_id,
                    team,
                    checked: required_text("checked", "检查内容", &new.checked)?,
                    findings,
                    rating: new.rating,
                    remarks: optional_text("remarks", "备注", new.remarks.as_deref())?,
                };
                let row = RecordRow {
                    kind: RecordKind::Visit,
                    id: Uuid::now_v7(),
                    key: None,
                    town: Some(e.town.clone()),
                    enterprise: Some(e.code.clone()),
                    day: record.date,
                    body: serde_json::to_value(&record).map_err(RepoError::corrupt)?,
                    created_by: actor.name().to_owned(),
                    created_at: now,
                    updated_at: now,
                };
                tx.put_record(&row)?;
                Ok(view(&row, record, &e))
            })
            .await
    }

    /// The visits of the actor's jurisdiction (of one enterprise, when named), newest first.
    pub async fn visits(
        &self,
        actor: &Actor,
        enterprise: Option<String>,
    ) -> LedgerResult<Vec<VisitView>> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                let names = enterprises_by_code(tx)?;
                let rows = tx.records(&RecordQuery {
                    kind: RecordKind::Visit,
                    scope,
                    enterprise,
                    from: None,
                    to: None,
                    limit: MAX_VISITS,
                })?;
                let mut out = Vec::new();
                for row in rows.iter().rev() {
                    let code = row.enterprise.clone().unwrap_or_default();
                    if let Some(e) = names.get(&code) {
                        out.push(view(row, parse(row)?, e));
                    }
                }
                Ok(out)
            })
            .await
    }

    /// One visit, inside the actor's jurisdiction.
    pub async fn visit(&self, actor: &Actor, id: Uuid) -> LedgerResult<VisitView> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                let row = tx
                    .record(RecordKind::Visit, id)?
                    .ok_or(LedgerError::NotFound)?;
                let names = enterprises_by_code(tx)?;
                let e = names
                    .get(row.enterprise.as_deref().unwrap_or_default())
                    .filter(|e| in_scope(&scope, e))
                    .ok_or(LedgerError::NotFound)?;
                Ok(view(&row, parse(&row)?, e))
            })
            .await
    }

    /// Files finding `index` of a visit as a hazard of the visited enterprise.
    pub async fn file_visit_finding(
        &self,
        actor: &Actor,
        id: Uuid,
        index: usize,
        category: Category,
        severity: Severity,
        now: DateTime<Utc>,
    ) -> LedgerResult<VisitView> {
        let actor = actor.clone();
        let settings = self.settings.clone();
        self.repo
            .write(move |tx| {
                let mut row = tx
                    .record(RecordKind::Visit, id)?
                    .ok_or(LedgerError::NotFound)?;
                let e = enterprise(tx, row.enterprise.as_deref().unwrap_or_default())?
                    .ok_or(LedgerError::NotFound)?;
                may_visit(&actor, &e)?;
                let mut record = parse(&row)?;
                let date = record.date;
                let finding = record
                    .findings
                    .get_mut(index)
                    .ok_or(LedgerError::NotFound)?;
                if finding.entry_id.is_some() {
                    return Err(LedgerError::conflict(
                        "already_filed",
                        "该问题已登记为隐患 / this finding is already in the ledger",
                    ));
                }
                let filed = desk::file(
                    tx,
                    &settings,
                    &actor,
                    &e,
                    desk::Finding {
                        note: format!("【督导检查】{}", finding.note),
                        category,
                        severity,
                        photos: Vec::new(),
                        origin: format!(
                            "督导检查（{date}）发现 / found by a supervision visit ({date})"
                        ),
                        site_code: None,
                    },
                    now,
                )?;
                finding.entry_id = Some(filed.0);
                finding.entry_number = Some(filed.1);
                row.body = serde_json::to_value(&record).map_err(RepoError::corrupt)?;
                row.updated_at = now;
                tx.put_record(&row)?;
                Ok(view(&row, record, &e))
            })
            .await
    }

    /// The visits of `year` against the plan: every high-risk enterprise once.
    pub async fn visit_coverage(&self, actor: &Actor, year: i32) -> LedgerResult<VisitCoverage> {
        let scope = actor.jurisdiction.scope();
        let j = actor.jurisdiction.clone();
        let from = NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| LedgerError::invalid("invalid_year", "年份无效 / invalid year"))?;
        let to = NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(from);
        self.repo
            .read(move |tx| {
                let enterprises: Vec<EnterpriseRow> = if matches!(j, Jurisdiction::Bureau) {
                    Vec::new()
                } else {
                    tx.enterprises(&EnterpriseFilter {
                        active_only: true,
                        ..Default::default()
                    })?
                    .into_iter()
                    .filter(|e| in_scope(&scope, e))
                    .collect()
                };
                let rows = tx.records(&RecordQuery {
                    kind: RecordKind::Visit,
                    scope,
                    enterprise: None,
                    from: Some(from),
                    to: Some(to),
                    limit: MAX_VISITS,
                })?;
                let mut by: HashMap<String, (u32, NaiveDate, VisitRating)> = HashMap::new();
                for row in &rows {
                    let r = parse(row)?;
                    let code = row.enterprise.clone().unwrap_or_default();
                    let v = by.entry(code).or_insert((0, r.date, r.rating));
                    v.0 += 1;
                    if r.date >= v.1 {
                        v.1 = r.date;
                        v.2 = r.rating;
                    }
                }
                let mut lines: Vec<VisitCoverageLine> = enterprises
                    .iter()
                    .map(|e| {
                        let v = by.get(&e.code);
                        VisitCoverageLine {
                            enterprise: e.code.clone(),
                            name: e.name.clone(),
                            town: e.town.clone(),
                            industry: e.industry,
                            high_risk: e.industry.is_high_risk(),
                            visits: v.map_or(0, |v| v.0),
                            last_visit: v.map(|v| v.1),
                            last_rating: v.map(|v| v.2),
                        }
                    })
                    .collect();
                lines.sort_by(|a, b| {
                    b.high_risk
                        .cmp(&a.high_risk)
                        .then((a.visits > 0).cmp(&(b.visits > 0)))
                        .then(a.enterprise.cmp(&b.enterprise))
                });
                let count = |f: &dyn Fn(&VisitCoverageLine) -> bool| {
                    lines.iter().filter(|l| f(l)).count() as u32
                };
                Ok(VisitCoverage {
                    year,
                    high_risk: count(&|l| l.high_risk),
                    high_risk_visited: count(&|l| l.high_risk && l.visits > 0),
                    enterprises: lines.len() as u32,
                    visited: count(&|l| l.visits > 0),
                    lines,
                })
            })
            .await
    }
}
