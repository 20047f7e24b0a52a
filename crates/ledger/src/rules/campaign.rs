//! The campaign's numbers and lists (统计与名单): the monthly progress per town and
//! enterprise, the reward lists (奖励名单), suggestions and their adoption (金点子采纳), the
//! reveal of an anonymous finder for a reward, and the recorded supervision draws
//! (督导随机抽查).
//!
//! Like every officer read, each is cut to the jurisdiction's scope in the repository's query;
//! the bureau sees only what was escalated to it (and so no suggestions and no workers).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::supervision::{DrawCandidate, draw};
use hazardsnap_model::{
    Jurisdiction, Labelled, Lang, LedgerStatus, Role, Scope, Severity, SuggestionStatus,
};
use serde::Serialize;
use uuid::Uuid;

use super::reads::{finder_order, reporter};
use super::{optional_text, overdue, required_text};
use crate::error::{LedgerError, LedgerResult, RepoResult};
use crate::repo::ReadTx;
use crate::repo::query::{
    EnterpriseFilter, EntryGroup, EntryOrder, EntryPredicate, EntryQuery, SuggestionQuery,
};
use crate::repo::rows::{
    DrawCandidateView, DrawRecord, EnterpriseRow, FeedEvent, ReportLink, Tally,
};
use crate::rules::access::Actor;
use crate::service::Ledger;
use crate::views::{
    Adoption, MonthlyRow, MonthlyStats, Revealed, RewardKind, RewardLine, SuggestionView,
};

/// Most enterprises one draw may ask for.
pub const MAX_DRAW: u32 = 1000;
/// Suggestions listed at most.
const MAX_SUGGESTIONS: u64 = 1000;

/// A recorded draw, with the check that it can be redone from what is recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawView {
    /// The draw as recorded.
    #[serde(flatten)]
    pub draw: DrawRecord,
    /// Whether re-running the draw from its seed and candidates gives the recorded result.
    pub reproducible: bool,
}

impl DrawView {
    fn of(d: DrawRecord) -> DrawView {
        let candidates: Vec<DrawCandidate> = d
            .candidates
            .iter()
            .map(|c| DrawCandidate {
                code: c.code.clone(),
                industry: c.industry,
                private_sme: c.private_sme,
            })
            .collect();
        let reproducible = d
            .seed
            .parse::<u64>()
            .is_ok_and(|s| draw(&candidates, d.n as usize, s) == d.result);
        DrawView {
            draw: d,
            reproducible,
        }
    }
}

fn rate(done: u32, of: u32) -> f64 {
    if of == 0 {
        0.0
    } else {
        // Two decimals are what the report prints; round here so every client agrees.
        (f64::from(done) / f64::from(of) * 10_000.0).round() / 10_000.0
    }
}

/// The enterprises a scope reports on, in (town, code) order: the bureau's are those with
/// an escalated entry.
pub(crate) fn enterprises_of(tx: &mut dyn ReadTx, scope: &Scope) -> RepoResult<Vec<EnterpriseRow>> {
    let filter = match scope {
        Scope::All => EnterpriseFilter::default(),
        Scope::Town(t) => EnterpriseFilter {
            town: Some(t.clone()),
            ..Default::default()
        },
        Scope::Enterprise(e) => EnterpriseFilter {
            codes: Some(vec![e.clone()]),
            ..Default::default()
        },
        Scope::Escalated => EnterpriseFilter {
            codes: Some(
                tx.count_entries(scope, &[], EntryGroup::Enterprise)?
                    .into_keys()
                    .collect(),
            ),
            ..Default::default()
        },
    };
    let mut list = tx.enterprises(&filter)?;
    list.sort_by(|a, b| (&a.town, &a.code).cmp(&(&b.town, &b.code)));
    Ok(list)
}

fn get(t: &Tally, k: &str) -> u32 {
    t.get(k).copied().unwrap_or(0) as u32
}

impl Ledger {
    /// The monthly statistics (月度进展) of the district month starting on `month`: of the
    /// hazards found in the month (not rejected, not merged), how many are closed, overdue
    /// and escalated now; suggestions received and workers taking part in the month.
    pub async fn monthly_stats(
        &self,
        actor: &Actor,
        month: NaiveDate,
        now: DateTime<Utc>,
    ) -> LedgerResult<MonthlyStats> {
        let calendar = self.settings.calendar;
        let (start, end) = calendar.month(month);
        let today = calendar.today(now);
        let scope = actor.jurisdiction.scope();
        let enterprise_only = matches!(actor.jurisdiction, Jurisdiction::Enterprise { .. });
        let month_text = month.format("%Y-%m").to_string();
        self.repo
            .read(move |tx| {
                let found = vec![
                    EntryPredicate::CreatedIn(start, end),
                    EntryPredicate::StatusIn(
                        LedgerStatus::ALL
                            .iter()
                            .copied()
                            .filter(|s| !matches!(s, LedgerStatus::Rejected | LedgerStatus::Merged))
                            .collect(),
                    ),
                ];
                let mut count = |extra: Vec<EntryPredicate>| {
                    let mut f = found.clone();
                    f.extend(extra);
                    tx.count_entries(&scope, &f, EntryGroup::Enterprise)
                };
                let general = count(vec![EntryPredicate::Severity(Severity::General)])?;
                let major = count(vec![EntryPredicate::Severity(Severity::Major)])?;
                let closed = count(vec![EntryPredicate::StatusIn(vec![LedgerStatus::Closed])])?;
                let late = count(overdue(today))?;
                let escalated = count(vec![EntryPredicate::Escalated(true)])?;
                // The bureau receives escalated hazards, not the enterprises' suggestions or
                // workers.
                let bureau = scope == Scope::Escalated;
                let (suggestions, workers, town_workers) = if bureau {
                    Default::default()
                } else {
                    (
                        tx.count_suggestions((start, end))?,
                        tx.count_reporters((start, end), false)?,
                        tx.count_reporters((start, end), true)?,
                    )
                };
                let town_names = tx.town_names()?;
                let mut enterprises = Vec::new();
                let mut towns: Vec<MonthlyRow> = Vec::new();
                for en in enterprises_of(tx, &scope)? {
                    let c = en.code.as_str();
                    let found = get(&general, c) + get(&major, c);
                    let row = MonthlyRow {
                        code: en.code.clone(),
                        name: en.name.clone(),
                        town: Some(en.town.clone()),
                        found_general: get(&general, c),
                        found_major: get(&major, c),
                        rectified: get(&closed, c),
                        rectification_rate: rate(get(&closed, c), found),
                        overdue: get(&late, c),
                        escalated: get(&escalated, c),
                        suggestions: get(&suggestions, c),
                        participating_workers: get(&workers, c),
                    };
                    if towns.last().is_none_or(|t| t.code != en.town) {
                        towns.push(MonthlyRow {
                            participating_workers: if enterprise_only {
                                // An enterprise officer sees only their own workers.
                                row.participating_workers
                            } else {
                                get(&town_workers, &en.town)
                            },
                            code: en.town.clone(),
                            name: town_names.get(&en.town).cloned().unwrap_or_default(),
                            ..MonthlyRow::default()
                        });
                    }
                    if let Some(t) = towns.last_mut() {
                        t.found_general += row.found_general;
                        t.found_major += row.found_major;
                        t.rectified += row.rectified;
                        t.overdue += row.overdue;
                        t.escalated += row.escalated;
                        t.suggestions += row.suggestions;
                        t.rectification_rate = rate(t.rectified, t.found_general + t.found_major);
                    }
                    enterprises.push(row);
                }
                Ok(MonthlyStats {
                    month: month_text,
                    towns,
                    enterprises,
                })
            })
            .await
    }

    /// The reward lists between two district dates (inclusive): major hazards closed, and
    /// suggestions adopted, with their credited finders — 匿名 unless the district revealed
    /// the report before (recorded) and the reader is the district.
    pub async fn rewards(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> LedgerResult<Vec<RewardLine>> {
        let (start, end) = self.settings.calendar.days(from, to);
        let scope = actor.jurisdiction.scope();
        let may_reveal = actor.jurisdiction.may_reveal_for_reward();
        self.repo
            .read(move |tx| {
                let entries = tx.entries(&EntryQuery {
                    scope: scope.clone(),
                    filter: vec![
                        EntryPredicate::Severity(Severity::Major),
                        EntryPredicate::StatusIn(vec![LedgerStatus::Closed]),
                        EntryPredicate::ClosedIn(start, end),
                    ],
                    order: EntryOrder::ClosedAt,
                    offset: 0,
                    limit: u64::MAX >> 1,
                })?;
                let ids: Vec<Uuid> = entries.iter().map(|r| r.entry.id).collect();
                let mut first: HashMap<Uuid, ReportLink> = HashMap::new();
                for l in tx.report_links(&ids)? {
                    let Some(e) = l.entry_id else { continue };
                    match first.get(&e) {
                        Some(f) if finder_order(f, &l).is_le() => {}
                        _ => {
                            first.insert(e, l);
                        }
                    }
                }
                let suggestions = tx.suggestions(&SuggestionQuery {
                    scope,
                    id: None,
                    adopted_in: Some((start, end)),
                    limit: u64::MAX >> 1,
                })?;
                let credited: Vec<Uuid> = first
                    .values()
                    .map(|l| l.id)
                    .chain(suggestions.iter().map(|s| s.report.id))
                    .collect();
                let revealed: HashSet<Uuid> = if may_reveal {
                    tx.revealed(&credited)?
                } else {
                    HashSet::new()
                };
                let finder = |l: &ReportLink| {
                    reporter(
                        l.anonymous && !revealed.contains(&l.id),
                        l.device_id,
                        &l.device_name,
                    )
                };
                // A hazard an officer filed first (`rules::desk`) earns no worker a reward.
                let desks = tx.officer_devices()?;
                let mut out = Vec::new();
                for rec in entries {
                    let e = rec.entry;
                    let f = first.get(&e.id);
                    if f.is_some_and(|l| desks.contains(&l.device_id)) {
                        continue;
                    }
                    out.push(RewardLine {
                        kind: RewardKind::MajorHazard,
                        id: e.id,
                        number: e.number,
                        enterprise: e.enterprise,
                        credited_report_id: f.map(|l| l.id),
                        finder: f.map(finder),
                        at: e.closed_at.unwrap_or(e.updated_at),
                    });
                }
                for s in suggestions {
                    out.push(RewardLine {
                        kind: RewardKind::AdoptedSuggestion,
                        id: s.suggestion.id,
                        number: s.suggestion.number,
                        enterprise: s.suggestion.enterprise,
                        credited_report_id: Some(s.report.id),
                        finder: Some(finder(&s.report)),
                        at: s.suggestion.adopted_at.unwrap_or(s.suggestion.updated_at),
                    });
                }
                Ok(out)
            })
            .await
    }

    /// The suggestions inside the jurisdiction, newest first.
    pub async fn suggestions(&self, actor: &Actor) -> LedgerResult<Vec<SuggestionView>> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                Ok(tx
                    .suggestions(&SuggestionQuery {
                        scope,
                        id: None,
                        adopted_in: None,
                        limit: MAX_SUGGESTIONS,
                    })?
                    .into_iter()
                    .map(|s| SuggestionView {
                        reporter: reporter(
                            s.report.anonymous,
                            s.report.device_id,
                            &s.report.device_name,
                        ),
                        id: s.suggestion.id,
                        number: s.suggestion.number,
                        enterprise: s.suggestion.enterprise,
                        report_id: s.report.id,
                        note: s.note,
                        category: s.category,
                        created_at: s.suggestion.created_at,
                        adopted_at: s.suggestion.adopted_at,
                        adopted_by: s.suggestion.adopted_by,
                        status: s.suggestion.review,
                        reply: s.suggestion.reply,
                    })
                    .collect())
            })
            .await
    }

    /// Adopts a suggestion (采纳) inside the jurisdiction, so it enters the reward list: a
    /// review to [`SuggestionStatus::Adopted`] with the note as the reply.
    pub async fn adopt_suggestion(
        &self,
        actor: &Actor,
        id: Uuid,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> LedgerResult<Adoption> {
        match self
            .review_suggestion(actor, id, SuggestionStatus::Adopted, note, now)
            .await
        {
            Ok(_) => Ok(Adoption::Adopted),
            Err(LedgerError::Conflict { .. }) => {
                let scope = actor.jurisdiction.scope();
                let s = self
                    .repo
                    .read(move |tx| Ok(tx.suggestion_in(&scope, id)?))
                    .await?
                    .ok_or(LedgerError::NotFound)?;
                if s.review == SuggestionStatus::Adopted {
                    Ok(Adoption::AlreadyAdopted)
                } else {
                    Err(decided(s.review))
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Moves a suggestion on (金点子处理): received → under review → adopted or not adopted,
    /// with a reply the worker sees on the phone (required when not adopting). A decision is
    /// final. Adopting enters it in the reward list. The bureau, which never sees
    /// suggestions, cannot.
    pub async fn review_suggestion(
        &self,
        actor: &Actor,
        id: Uuid,
        to: SuggestionStatus,
        reply: Option<String>,
        now: DateTime<Utc>,
    ) -> LedgerResult<SuggestionStatus> {
        let reply = optional_text("reply", "答复", reply.as_deref())?;
        if to == SuggestionStatus::Received {
            return Err(LedgerError::invalid(
                "invalid_status",
                "只能改为评估中、已采纳或未采纳 / a suggestion moves to under review, adopted or not adopted",
            ));
        }
        if to == SuggestionStatus::NotAdopted && reply.is_none() {
            return Err(LedgerError::Missing {
                field: "reply",
                zh: "答复（未采纳的理由）",
            });
        }
        if actor.role() == Role::Bureau {
            return Err(LedgerError::NotFound);
        }
        let scope = actor.jurisdiction.scope();
        let by = actor.name().to_owned();
        self.repo
            .write(move |tx| {
                let rec = tx
                    .suggestions(&SuggestionQuery {
                        scope,
                        id: Some(id),
                        adopted_in: None,
                        limit: 1,
                    })?
                    .pop()
                    .ok_or(LedgerError::NotFound)?;
                let mut s = rec.suggestion;
                if s.review.is_decided() {
                    return Err(decided(s.review));
                }
                if s.review == to {
                    return Ok(to);
                }
                s.review = to;
                s.status = to.ledger_status();
                if reply.is_some() {
                    s.reply = reply;
                }
                if to == SuggestionStatus::Adopted {
                    s.adopted_at = Some(now);
                    s.adopted_by = Some(by);
                    s.adopted_note = s.reply.clone();
                }
                s.updated_at = now;
                tx.update_suggestion(&s)?;
                tx.append_feed(&FeedEvent {
                    report_id: rec.report.id,
                    device_id: rec.report.device_id,
                    status: s.status,
                    entry_id: s.id,
                    entry_number: s.number.clone(),
                    merged_into: None,
                    reason: s.reply.clone(),
                    suggestion: Some(to),
                    at: now,
                })?;
                Ok(to)
            })
            .await
    }

    /// Reveals the reporter of a report for a reward — the district only, every look recorded
    /// with who asked, when and why.
    pub async fn reveal_reporter(
        &self,
        actor: &Actor,
        report: Uuid,
        reason: String,
        now: DateTime<Utc>,
    ) -> LedgerResult<Revealed> {
        let reason = required_text("reason", "理由", &reason)?;
        let scope = actor.jurisdiction.scope();
        let may = actor.jurisdiction.may_reveal_for_reward();
        let by = actor.name().to_owned();
        self.repo
            .write(move |tx| {
                let r = tx.report(&scope, report)?.ok_or(LedgerError::NotFound)?;
                if !may {
                    return Err(LedgerError::forbidden(
                        "forbidden",
                        "仅区总工会可查看匿名上报人 / only the district may reveal a reporter",
                    ));
                }
                tx.append_reveal(report, &by, &reason, now)?;
                Ok(Revealed {
                    report_id: report,
                    anonymous: r.submission.anonymous,
                    device_id: r.device_id,
                    device_name: r.device_name,
                })
            })
            .await
    }

    /// Draws `n` enterprises for supervision (of the actor's town, or of the district) from
    /// `seed`, weighted towards high-risk industries and private SMEs, and records the draw.
    pub async fn create_draw(
        &self,
        actor: &Actor,
        n: u32,
        seed: u64,
        now: DateTime<Utc>,
    ) -> LedgerResult<DrawView> {
        let town = match &actor.jurisdiction {
            Jurisdiction::District => None,
            Jurisdiction::Town { town } => Some(town.clone()),
            _ => {
                return Err(LedgerError::forbidden(
                    "forbidden",
                    "仅区、镇/街道总工会可抽查 / only district and town officers draw",
                ));
            }
        };
        if !(1..=MAX_DRAW).contains(&n) {
            return Err(LedgerError::invalid(
                "invalid_n",
                format!("n 须为 1–{MAX_DRAW} / n must be 1–{MAX_DRAW}"),
            ));
        }
        let by = actor.name().to_owned();
        self.repo
            .write(move |tx| {
                let candidates: Vec<DrawCandidate> = tx
                    .enterprises(&EnterpriseFilter {
                        town: town.clone(),
                        codes: None,
                        active_only: true,
                    })?
                    .into_iter()
                    .map(|e| DrawCandidate {
                        code: e.code,
                        industry: e.industry,
                        private_sme: e.private_sme,
                    })
                    .collect();
                let result = draw(&candidates, n as usize, seed);
                let record = DrawRecord {
                    id: Uuid::now_v7(),
                    seed: seed.to_string(),
                    n,
                    town,
                    actor: by,
                    at: now,
                    candidates: candidates
                        .iter()
                        .map(|c| DrawCandidateView {
                            weight: c.weight(),
                            code: c.code.clone(),
                            industry: c.industry,
                            private_sme: c.private_sme,
                        })
                        .collect(),
                    result,
                };
                tx.insert_draw(&record)?;
                Ok(DrawView::of(record))
            })
            .await
    }

    /// The recorded draws the actor may see, newest first: the district's all, a town
    /// officer's those of their town.
    pub async fn draws(&self, actor: &Actor) -> LedgerResult<Vec<DrawView>> {
        let town = match &actor.jurisdiction {
            Jurisdiction::District => None,
            Jurisdiction::Town { town } => Some(town.clone()),
            _ => return Ok(Vec::new()),
        };
        self.repo
            .read(move |tx| {
                Ok(tx
                    .draws(town.as_deref(), 200)?
                    .into_iter()
                    .map(DrawView::of)
                    .collect())
            })
            .await
    }

    /// A recorded draw: the district sees every draw, a town officer the draws of their town.
    pub async fn get_draw(&self, actor: &Actor, id: Uuid) -> LedgerResult<DrawView> {
        let j = actor.jurisdiction.clone();
        self.repo
            .read(move |tx| {
                let d = tx.draw(id)?.ok_or(LedgerError::NotFound)?;
                let visible = match &j {
                    Jurisdiction::District => true,
                    Jurisdiction::Town { town } => d.town.as_ref() == Some(town),
                    _ => false,
                };
                if !visible {
                    return Err(LedgerError::NotFound);
                }
                Ok(DrawView::of(d))
            })
            .await
    }
}

/// The refusal for a suggestion already decided.
fn decided(status: SuggestionStatus) -> LedgerError {
    LedgerError::conflict(
        "suggestion_decided",
        format!(
            "该建议已处理（{}），不能再改 / this suggestion was already decided ({})",
            status.label(Lang::Zh),
            status.label(Lang::En)
        ),
    )
}
