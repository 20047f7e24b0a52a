//! Safety training (安全培训) and emergency drills (应急演练): the records of each enterprise,
//! and their coverage against the plan — every worker trained at least once a year, every
//! enterprise at least two drills a year with every team (班组) taking part.
//!
//! A record names its attendees from the roster's workers (and counts outside trainees), its
//! photos (the sign-in sheet, the session) by the hashes of uploaded photos, and, for a drill,
//! the scenario, the teams that took part and the findings. A finding becomes a hazard in the
//! enterprise's ledger with one action ([`Ledger::file_training_finding`]): it is filed like
//! any report, by the officer's desk (`rules::desk`), and the record keeps the entry's number.
//!
//! Who may record: the district, the town officer for the town's enterprises, the enterprise
//! officer for their own; the bureau has no part in it. Like every read, records are cut to
//! the jurisdiction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hazardsnap_model::{Category, Role, Scope, Severity, TrainingKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::desk;
use super::{optional_text, required_text};
use crate::error::{LedgerError, LedgerResult, RepoResult};
use crate::repo::query::{EnterpriseFilter, RecordQuery, WorkerFilter};
use crate::repo::rows::{EnterpriseRow, RecordKind, RecordRow, TeamRow};
use crate::repo::{ReadTx, WriteTx};
use crate::rules::access::Actor;
use crate::service::Ledger;

/// Most attendees, photos, teams or findings one record lists.
pub const MAX_LIST: usize = 2_000;
/// Most photos one record keeps.
pub const MAX_RECORD_PHOTOS: usize = 12;
/// Records listed at most.
const MAX_RECORDS: u64 = 5_000;
/// Drills an enterprise must hold in a year.
pub const DRILLS_PER_YEAR: usize = 2;

/// A team (班组) named by its workshop (车间).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamRef {
    /// Workshop.
    pub workshop: String,
    /// Team.
    pub team: String,
}

/// A finding of a drill (演练发现的问题), and the entry it became, if it was filed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// What was found.
    pub note: String,
    /// The ledger entry it was filed as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<Uuid>,
    /// That entry's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_number: Option<String>,
}

/// A training session or a drill as recorded (the stored body of the record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingRecord {
    /// Training or drill.
    pub kind: TrainingKind,
    /// The day it was held.
    pub date: NaiveDate,
    /// Topic (主题); for a drill, its name.
    pub topic: String,
    /// Hours (学时).
    pub hours: f64,
    /// Trainer or organiser (授课人/组织者).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainer: Option<String>,
    /// The roster's workers who took part, by code.
    #[serde(default)]
    pub attendees: Vec<String>,
    /// People taking part who are not in the roster (外部参训人数).
    #[serde(default)]
    pub outside_trainees: u32,
    /// Photos of the sign-in sheet or the session (sha256 of uploaded photos).
    #[serde(default)]
    pub photos: Vec<String>,
    /// For a drill: the scenario (演练情景).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// For a drill: the teams taking part.
    #[serde(default)]
    pub teams: Vec<TeamRef>,
    /// For a drill: what it found.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

impl TrainingRecord {
    /// People trained: the roster's attendees and the outside trainees.
    pub fn trainees(&self) -> u32 {
        self.attendees.len() as u32 + self.outside_trainees
    }
}

/// A new record, as an officer enters it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTraining {
    /// Enterprise code.
    pub enterprise: String,
    /// Training or drill.
    pub kind: TrainingKind,
    /// The day it was held (not in the future).
    pub date: NaiveDate,
    /// Topic; for a drill, its name.
    pub topic: String,
    /// Hours, more than 0 and at most 24.
    pub hours: f64,
    /// Trainer or organiser.
    #[serde(default)]
    pub trainer: Option<String>,
    /// Attending workers' codes (of the enterprise's roster).
    #[serde(default)]
    pub attendees: Vec<String>,
    /// Trainees from outside the roster.
    #[serde(default)]
    pub outside_trainees: u32,
    /// Uploaded photos' sha256.
    #[serde(default)]
    pub photos: Vec<String>,
    /// A drill's scenario.
    #[serde(default)]
    pub scenario: Option<String>,
    /// A drill's teams.
    #[serde(default)]
    pub teams: Vec<TeamRef>,
    /// A drill's findings, as texts.
    #[serde(default)]
    pub findings: Vec<String>,
}

/// An attendee as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendeeView {
    /// Worker code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Team, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamRef>,
}

/// A record as officers see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingView {
    /// Id.
    pub id: Uuid,
    /// Enterprise code.
    pub enterprise: String,
    /// Its name.
    pub enterprise_name: String,
    /// Its town.
    pub town: String,
    /// The record.
    #[serde(flatten)]
    pub record: TrainingRecord,
    /// The attendees with their names.
    pub attendee_names: Vec<AttendeeView>,
    /// Recorded by.
    pub created_by: String,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
}

/// Which records a list wants.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TrainingFilter {
    /// Only this enterprise.
    pub enterprise: Option<String>,
    /// Only trainings or only drills.
    pub kind: Option<TrainingKind>,
    /// Held on or after.
    pub from: Option<NaiveDate>,
    /// Held on or before.
    pub to: Option<NaiveDate>,
}

/// One enterprise's coverage in a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseCoverage {
    /// Enterprise code.
    pub enterprise: String,
    /// Name.
    pub name: String,
    /// Town.
    pub town: String,
    /// Workers in the roster (active).
    pub workers: u32,
    /// Of those, trained at least once in the year.
    pub trained: u32,
    /// trained / workers (1 when the roster lists none).
    pub training_rate: f64,
    /// The workers not trained yet, by code and name (at most 50 listed).
    pub untrained: Vec<AttendeeView>,
    /// Training sessions held.
    pub trainings: u32,
    /// Drills held.
    pub drills: u32,
    /// Teams in the roster.
    pub teams: u32,
    /// Of those, taking part in at least one drill of the year.
    pub teams_drilled: u32,
    /// The teams not drilled yet.
    pub teams_missing: Vec<TeamRef>,
    /// On plan: every worker trained, at least two drills, every team drilled.
    pub on_plan: bool,
}

/// A town's coverage: its enterprises summed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TownCoverage {
    /// Town code.
    pub town: String,
    /// Name.
    pub name: String,
    /// Workers.
    pub workers: u32,
    /// Trained.
    pub trained: u32,
    /// trained / workers.
    pub training_rate: f64,
    /// Enterprises.
    pub enterprises: u32,
    /// Of those, with at least two drills.
    pub enterprises_drilled: u32,
    /// Of those, on plan.
    pub enterprises_on_plan: u32,
}

/// Training and drill coverage of a year, behind-plan first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    /// The year.
    pub year: i32,
    /// Per town.
    pub towns: Vec<TownCoverage>,
    /// Per enterprise, those behind the plan first.
    pub enterprises: Vec<EnterpriseCoverage>,
}

/// A worker's own training, as their phone shows it (the wire type, shared with the phone).
pub use hazardsnap_model::WorkerTraining;

fn rate(done: u32, of: u32) -> f64 {
    if of == 0 {
        1.0
    } else {
        (f64::from(done) / f64::from(of) * 10_000.0).round() / 10_000.0
    }
}

/// Whether the actor may keep records of the enterprise (role first, then jurisdiction).
pub(crate) fn may_record(actor: &Actor, e: &EnterpriseRow) -> LedgerResult<()> {
    if actor.role() == Role::Bureau {
        return Err(LedgerError::forbidden(
            "forbidden",
            "安监局不登记培训、演练与督导 / the bureau does not keep these records",
        ));
    }
    if in_scope(&actor.jurisdiction.scope(), e) {
        Ok(())
    } else {
        Err(LedgerError::NotFound)
    }
}

/// Whether an enterprise lies in a scope.
pub(crate) fn in_scope(scope: &Scope, e: &EnterpriseRow) -> bool {
    match scope {
        Scope::All => true,
        Scope::Town(t) => &e.town == t,
        Scope::Enterprise(c) => &e.code == c,
        Scope::Escalated => false,
    }
}

/// The enterprise of a code, if it is active.
pub(crate) fn enterprise(tx: &mut dyn ReadTx, code: &str) -> RepoResult<Option<EnterpriseRow>> {
    Ok(tx
        .enterprises(&EnterpriseFilter {
            codes: Some(vec![code.to_owned()]),
            active_only: true,
            ..Default::default()
        })?
        .into_iter()
        .next())
}

fn parse(row: &RecordRow) -> LedgerResult<TrainingRecord> {
    serde_json::from_value(row.body.clone())
        .map_err(|e| crate::error::RepoError::corrupt(format!("training {}: {e}", row.id)).into())
}

/// The records of a scope whose days fall in `[from, to)`, parsed.
pub(crate) fn records_in(
    tx: &mut dyn ReadTx,
    scope: &Scope,
    enterprise: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> LedgerResult<Vec<(RecordRow, TrainingRecord)>> {
    let rows = tx.records(&RecordQuery {
        kind: RecordKind::Training,
        scope: scope.clone(),
        enterprise,
        from,
        to,
        limit: MAX_RECORDS,
    })?;
    rows.into_iter()
        .map(|r| {
            let body = parse(&r)?;
            Ok((r, body))
        })
        .collect()
}

fn view(
    tx: &mut dyn ReadTx,
    row: &RecordRow,
    record: TrainingRecord,
    names: &HashMap<String, (String, String)>,
) -> LedgerResult<TrainingView> {
    let code = row.enterprise.clone().unwrap_or_default();
    let (enterprise_name, town) = names.get(&code).cloned().unwrap_or_default();
    let mut attendee_names = Vec::new();
    for a in &record.attendees {
        let w = tx.worker(a)?;
        attendee_names.push(AttendeeView {
            code: a.clone(),
            name: w.as_ref().map(|w| w.name.clone()).unwrap_or_default(),
            team: w.and_then(|w| {
                Some(TeamRef {
                    workshop: w.workshop?,
                    team: w.team?,
                })
            }),
        });
    }
    Ok(TrainingView {
        id: row.id,
        enterprise: code,
        enterprise_name,
        town,
        record,
        attendee_names,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
    })
}

fn enterprise_names(tx: &mut dyn ReadTx) -> RepoResult<HashMap<String, (String, String)>> {
    Ok(tx
        .enterprises(&EnterpriseFilter::default())?
        .into_iter()
        .map(|e| (e.code, (e.name, e.town)))
        .collect())
}

/// Checks a new record against the roster and the photos; the stored body.
fn checked(
    tx: &mut dyn WriteTx,
    n: &NewTraining,
    today: NaiveDate,
) -> LedgerResult<TrainingRecord> {
    if n.date > today {
        return Err(LedgerError::invalid(
            "date_in_future",
            "日期不能晚于今天 / the date cannot be after today",
        ));
    }
    let topic = required_text("topic", "主题", &n.topic)?;
    if !(n.hours.is_finite() && n.hours > 0.0 && n.hours <= 24.0) {
        return Err(LedgerError::invalid(
            "invalid_hours",
            "学时须大于 0 且不超过 24 / hours must be more than 0 and at most 24",
        ));
    }
    let trainer = optional_text("trainer", "授课人", n.trainer.as_deref())?;
    let scenario = optional_text("scenario", "演练情景", n.scenario.as_deref())?;
    for (len, what) in [
        (n.attendees.len(), "attendees"),
        (n.teams.len(), "teams"),
        (n.findings.len(), "findings"),
    ] {
        if len > MAX_LIST {
            return Err(LedgerError::invalid(
                "too_many",
                format!("{what} 最多 {MAX_LIST} 项 / {what}: at most {MAX_LIST}"),
            ));
        }
    }
    if n.photos.len() > MAX_RECORD_PHOTOS {
        return Err(LedgerError::invalid(
            "too_many_photos",
            format!("照片最多 {MAX_RECORD_PHOTOS} 张 / at most {MAX_RECORD_PHOTOS} photos"),
        ));
    }
    if n.kind == TrainingKind::Training && (!n.teams.is_empty() || !n.findings.is_empty()) {
        return Err(LedgerError::invalid(
            "drill_only",
            "参演班组和演练发现仅用于应急演练 / teams and findings belong to a drill",
        ));
    }
    if n.kind == TrainingKind::Drill && n.teams.is_empty() {
        return Err(LedgerError::Missing {
            field: "teams",
            zh: "参演班组",
        });
    }
    // Attendees: the enterprise's active workers, each once.
    let workers: HashSet<String> = tx
        .workers(&WorkerFilter {
            enterprise: Some(n.enterprise.clone()),
            active_only: true,
            ..Default::default()
        })?
        .into_iter()
        .map(|w| w.code)
        .collect();
    let mut seen = HashSet::new();
    let mut attendees = Vec::new();
    let mut unknown = Vec::new();
    for a in &n.attendees {
        let a = a.trim().to_owned();
        if a.is_empty() || !seen.insert(a.clone()) {
            continue;
        }
        if workers.contains(&a) {
            attendees.push(a);
        } else {
            unknown.push(a);
        }
    }
    if !unknown.is_empty() {
        return Err(LedgerError::invalid(
            "unknown_workers",
            format!(
                "不是本企业名册中的职工：{} / not workers of the enterprise's roster: {}",
                unknown.join("、"),
                unknown.join(", ")
            ),
        ));
    }
    if attendees.is_empty() && n.outside_trainees == 0 {
        return Err(LedgerError::Missing {
            field: "attendees",
            zh: "参加人员",
        });
    }
    // Teams: the enterprise's, each once.
    let known: HashSet<TeamRef> = tx
        .teams(std::slice::from_ref(&n.enterprise))?
        .into_iter()
        .map(|t| TeamRef {
            workshop: t.workshop,
            team: t.team,
        })
        .collect();
    let mut teams: Vec<TeamRef> = Vec::new();
    for t in &n.teams {
        if !known.contains(t) {
            return Err(LedgerError::invalid(
                "unknown_team",
                format!(
                    "本企业没有班组「{}/{}」/ the enterprise has no team '{}/{}'",
                    t.workshop, t.team, t.workshop, t.team
                ),
            ));
        }
        if !teams.contains(t) {
            teams.push(t.clone());
        }
    }
    let mut findings = Vec::new();
    for f in &n.findings {
        if let Some(note) = optional_text("findings", "演练发现", Some(f))? {
            findings.push(Finding {
                note,
                entry_id: None,
                entry_number: None,
            });
        }
    }
    // Photos: uploaded and verified, like every photo the ledger points at.
    let mut photos: Vec<String> = Vec::new();
    for p in &n.photos {
        if !photos.contains(p) {
            photos.push(p.clone());
        }
    }
    let stored = tx.photo_sizes(&photos)?;
    let missing: Vec<String> = photos
        .iter()
        .filter(|p| !stored.contains_key(*p))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(LedgerError::MissingPhotos(missing));
    }
    Ok(TrainingRecord {
        kind: n.kind,
        date: n.date,
        topic,
        hours: (n.hours * 10.0).round() / 10.0,
        trainer,
        attendees,
        outside_trainees: n.outside_trainees,
        photos,
        scenario,
        teams,
        findings,
    })
}

impl Ledger {
    /// Records a training session or a drill of an enterprise in the actor's jurisdiction.
    pub async fn record_training(
        &self,
        actor: &Actor,
        new: NewTraining,
        now: DateTime<Utc>,
    ) -> LedgerResult<TrainingView> {
        let today = self.settings.calendar.today(now);
        let actor = actor.clone();
        self.repo
            .write(move |tx| {
                let e = enterprise(tx, &new.enterprise)?.ok_or(LedgerError::NotFound)?;
                may_record(&actor, &e)?;
                let record = checked(tx, &new, today)?;
                let row = RecordRow {
                    kind: RecordKind::Training,
                    id: Uuid::now_v7(),
                    key: None,
                    town: Some(e.town.clone()),
                    enterprise: Some(e.code.clone()),
                    day: record.date,
                    body: serde_json::to_value(&record)
                        .map_err(crate::error::RepoError::corrupt)?,
                    created_by: actor.name().to_owned(),
                    created_at: now,
                    updated_at: now,
                };
                tx.put_record(&row)?;
                let names = HashMap::from([(e.code.clone(), (e.name.clone(), e.town.clone()))]);
                view(tx, &row, record, &names)
            })
            .await
    }

    /// The records of the actor's jurisdiction, newest first.
    pub async fn trainings(
        &self,
        actor: &Actor,
        filter: TrainingFilter,
    ) -> LedgerResult<Vec<TrainingView>> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                let to = filter.to.and_then(|d| d.succ_opt());
                let names = enterprise_names(tx)?;
                let mut out = Vec::new();
                for (row, record) in records_in(tx, &scope, filter.enterprise, filter.from, to)? {
                    if filter.kind.is_some_and(|k| k != record.kind) {
                        continue;
                    }
                    out.push(view(tx, &row, record, &names)?);
                }
                out.reverse();
                Ok(out)
            })
            .await
    }

    /// One record, inside the actor's jurisdiction.
    pub async fn training(&self, actor: &Actor, id: Uuid) -> LedgerResult<TrainingView> {
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                let row = tx
                    .record(RecordKind::Training, id)?
                    .ok_or(LedgerError::NotFound)?;
                let e = enterprise_of(tx, &row)?;
                if !in_scope(&scope, &e) {
                    return Err(LedgerError::NotFound);
                }
                let record = parse(&row)?;
                let names = HashMap::from([(e.code.clone(), (e.name.clone(), e.town.clone()))]);
                view(tx, &row, record, &names)
            })
            .await
    }

    /// Files finding `index` of a drill as a hazard of its enterprise (by the officer's desk,
    /// through the same filing as a phone's report, duplicates included), and keeps the
    /// entry's number on the finding. Filing it twice is refused.
    pub async fn file_training_finding(
        &self,
        actor: &Actor,
        id: Uuid,
        index: usize,
        category: Category,
        severity: Severity,
        now: DateTime<Utc>,
    ) -> LedgerResult<TrainingView> {
        let actor = actor.clone();
        let settings = self.settings.clone();
        self.repo
            .write(move |tx| {
                let mut row = tx
                    .record(RecordKind::Training, id)?
                    .ok_or(LedgerError::NotFound)?;
                let e = enterprise_of(tx, &row)?;
                may_record(&actor, &e)?;
                let mut record = parse(&row)?;
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
                let note = format!("【应急演练：{}】{}", record.topic, finding.note);
                let filed = desk::file(
                    tx,
                    &settings,
                    &actor,
                    &e,
                    desk::Finding {
                        note,
                        category,
                        severity,
                        photos: Vec::new(),
                        origin: format!(
                            "应急演练（{}）发现 / found in a drill ({})",
                            record.date, record.date
                        ),
                        site_code: None,
                    },
                    now,
                )?;
                finding.entry_id = Some(filed.0);
                finding.entry_number = Some(filed.1);
                row.body =
                    serde_json::to_value(&record).map_err(crate::error::RepoError::corrupt)?;
                row.updated_at = now;
                tx.put_record(&row)?;
                let names = HashMap::from([(e.code.clone(), (e.name.clone(), e.town.clone()))]);
                view(tx, &row, record, &names)
            })
            .await
    }

    /// Training and drill coverage of `year` in the actor's jurisdiction.
    pub async fn training_coverage(&self, actor: &Actor, year: i32) -> LedgerResult<Coverage> {
        let scope = actor.jurisdiction.scope();
        if actor.role() == Role::Bureau {
            return Ok(Coverage {
                year,
                towns: Vec::new(),
                enterprises: Vec::new(),
            });
        }
        let from = NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| LedgerError::invalid("invalid_year", "年份无效 / invalid year"))?;
        let to = NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(from);
        self.repo
            .read(move |tx| {
                let enterprises: Vec<EnterpriseRow> = tx
                    .enterprises(&EnterpriseFilter {
                        active_only: true,
                        ..Default::default()
                    })?
                    .into_iter()
                    .filter(|e| in_scope(&scope, e))
                    .collect();
                let codes: Vec<String> = enterprises.iter().map(|e| e.code.clone()).collect();
                let town_names = tx.town_names()?;
                let workers = tx.workers(&WorkerFilter {
                    active_only: true,
                    ..Default::default()
                })?;
                let teams: Vec<TeamRow> = tx.teams(&codes)?;
                let records = records_in(tx, &scope, None, Some(from), Some(to))?;
                coverage(year, &enterprises, &town_names, &workers, &teams, &records)
            })
            .await
    }

    /// The worker a device belongs to, if it is linked to one.
    pub async fn device_worker(&self, device: Uuid) -> LedgerResult<Option<String>> {
        self.repo
            .read(move |tx| Ok(tx.device(device)?.and_then(|d| d.worker)))
            .await
    }

    /// The trainings a worker took part in, newest first: what their phone shows.
    pub async fn worker_trainings(&self, worker: String) -> LedgerResult<Vec<WorkerTraining>> {
        self.repo
            .read(move |tx| {
                let Some(w) = tx.worker(&worker)? else {
                    return Ok(Vec::new());
                };
                let mut out: Vec<WorkerTraining> = records_in(
                    tx,
                    &Scope::Enterprise(w.enterprise.clone()),
                    None,
                    None,
                    None,
                )?
                .into_iter()
                .filter(|(_, r)| r.attendees.contains(&worker))
                .map(|(row, r)| WorkerTraining {
                    id: row.id,
                    kind: r.kind,
                    date: r.date,
                    topic: r.topic,
                    hours: r.hours,
                })
                .collect();
                out.reverse();
                Ok(out)
            })
            .await
    }
}

fn enterprise_of(tx: &mut dyn ReadTx, row: &RecordRow) -> LedgerResult<EnterpriseRow> {
    let code = row.enterprise.clone().unwrap_or_default();
    tx.enterprises(&EnterpriseFilter {
        codes: Some(vec![code]),
        ..Default::default()
    })?
    .into_iter()
    .next()
    .ok_or(LedgerError::NotFound)
}

/// The coverage figures, from the roster and the year's records (pure: tested on its own).
pub fn coverage(
    year: i32,
    enterprises: &[EnterpriseRow],
    town_names: &HashMap<String, String>,
    workers: &[crate::repo::rows::WorkerRow],
    teams: &[TeamRow],
    records: &[(RecordRow, TrainingRecord)],
) -> LedgerResult<Coverage> {
    let mut trained: HashSet<&str> = HashSet::new();
    let mut sessions: HashMap<&str, (u32, u32)> = HashMap::new();
    let mut drilled: HashSet<(&str, &TeamRef)> = HashSet::new();
    for (row, r) in records {
        if r.date.year() != year {
            continue;
        }
        let e = row.enterprise.as_deref().unwrap_or_default();
        let s = sessions.entry(e).or_default();
        match r.kind {
            TrainingKind::Training => {
                s.0 += 1;
                trained.extend(r.attendees.iter().map(String::as_str));
            }
            TrainingKind::Drill => {
                s.1 += 1;
                for t in &r.teams {
                    drilled.insert((e, t));
                }
            }
        }
    }
    let mut rows = Vec::new();
    for e in enterprises {
        let mine: Vec<_> = workers.iter().filter(|w| w.enterprise == e.code).collect();
        let untrained: Vec<AttendeeView> = mine
            .iter()
            .filter(|w| !trained.contains(w.code.as_str()))
            .map(|w| AttendeeView {
                code: w.code.clone(),
                name: w.name.clone(),
                team: w
                    .workshop
                    .clone()
                    .zip(w.team.clone())
                    .map(|(workshop, team)| TeamRef { workshop, team }),
            })
            .collect();
        let team_refs: Vec<TeamRef> = teams
            .iter()
            .filter(|t| t.enterprise == e.code)
            .map(|t| TeamRef {
                workshop: t.workshop.clone(),
                team: t.team.clone(),
            })
            .collect();
        let teams_missing: Vec<TeamRef> = team_refs
            .iter()
            .filter(|t| !drilled.contains(&(e.code.as_str(), *t)))
            .cloned()
            .collect();
        let (trainings, drills) = sessions.get(e.code.as_str()).copied().unwrap_or_default();
        let n_workers = mine.len() as u32;
        let n_trained = n_workers - untrained.len() as u32;
        let on_plan =
            untrained.is_empty() && drills as usize >= DRILLS_PER_YEAR && teams_missing.is_empty();
        rows.push(EnterpriseCoverage {
            enterprise: e.code.clone(),
            name: e.name.clone(),
            town: e.town.clone(),
            workers: n_workers,
            trained: n_trained,
            training_rate: rate(n_trained, n_workers),
            untrained: untrained.into_iter().take(50).collect(),
            trainings,
            drills,
            teams: team_refs.len() as u32,
            teams_drilled: (team_refs.len() - teams_missing.len()) as u32,
            teams_missing,
            on_plan,
        });
    }
    let mut towns: BTreeMap<String, TownCoverage> = BTreeMap::new();
    for r in &rows {
        let t = towns.entry(r.town.clone()).or_insert_with(|| TownCoverage {
            town: r.town.clone(),
            name: town_names.get(&r.town).cloned().unwrap_or_default(),
            workers: 0,
            trained: 0,
            training_rate: 0.0,
            enterprises: 0,
            enterprises_drilled: 0,
            enterprises_on_plan: 0,
        });
        t.workers += r.workers;
        t.trained += r.trained;
        t.enterprises += 1;
        t.enterprises_drilled += u32::from(r.drills as usize >= DRILLS_PER_YEAR);
        t.enterprises_on_plan += u32::from(r.on_plan);
    }
    let mut towns: Vec<TownCoverage> = towns.into_values().collect();
    for t in &mut towns {
        t.training_rate = rate(t.trained, t.workers);
    }
    // Behind the plan first, the furthest behind at the top.
    rows.sort_by(|a, b| {
        a.on_plan
            .cmp(&b.on_plan)
            .then(a.training_rate.total_cmp(&b.training_rate))
            .then(a.enterprise.cmp(&b.enterprise))
    });
    Ok(Coverage {
        year,
        towns,
        enterprises: rows,
    })
}
