//! The training and drills pages (培训演练): a year's coverage against the plan per town and
//! per enterprise (behind the plan first: training rate, drills, teams not drilled, workers not
//! trained), the records with filters, a form to record a training session or a drill, the
//! Excel export; and one record's page with its attendees, teams and findings, each unfiled
//! finding of a drill with a form to file it as a hazard of the enterprise.
//!
//! The form names attendees by their roster codes and teams as `车间/班组` lines (the ledger
//! offers no list of an enterprise's workers and teams to pick from); the rules
//! (`rules::training`) check them against the roster and refuse what they do not know.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use hazardsnap_ledger::rules::training::{
    Coverage, EnterpriseCoverage, NewTraining, TeamRef, TownCoverage, TrainingFilter, TrainingView,
};
use hazardsnap_model::{Category, Labelled, Lang, Severity, TrainingKind};
use serde::Deserialize;
use uuid::Uuid;

use super::home::percent;
use super::{
    FieldError, FindingLine, finding_lines, id_of, index_of, lines, local, options, refusal_status,
};
use crate::state::AppState;
use crate::web::i18n::{Texts, texts};
use crate::web::{Chrome, Page, PageError, is_form_error, render};

/// Workers named in the coverage table before "and n more".
const NAMES_SHOWN: usize = 3;
/// Teams named in the coverage table before "…".
const TEAMS_SHOWN: usize = 4;

/// `?year=&kind=&enterprise=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    year: Option<String>,
    kind: Option<String>,
    enterprise: Option<String>,
}

/// One enterprise's coverage as shown.
pub struct EnterpriseLine {
    code: String,
    name: String,
    town: String,
    workers: u32,
    trained: u32,
    rate: String,
    trainings: u32,
    drills: u32,
    teams_missing: String,
    untrained: u32,
    untrained_names: String,
    on_plan: bool,
}

/// One record of the list.
pub struct RecordLine {
    id: Uuid,
    date: String,
    kind: &'static str,
    drill: bool,
    enterprise: String,
    topic: String,
    hours: String,
    people: u32,
    findings: String,
}

/// The record form's values, kept when it is refused.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TrainingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    trainer: String,
    #[serde(default)]
    attendees: String,
    #[serde(default)]
    outside_trainees: String,
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    teams: String,
    #[serde(default)]
    findings: String,
}

#[derive(askama::Template)]
#[template(path = "trainings.html")]
struct List {
    chrome: Chrome,
    year: i32,
    kind: String,
    enterprise: String,
    kinds: Vec<(&'static str, &'static str)>,
    enterprises: Vec<(String, String)>,
    towns: Vec<TownCoverage>,
    lines: Vec<EnterpriseLine>,
    records: Vec<RecordLine>,
    may_record: bool,
    today: String,
    values: TrainingForm,
    refused: Option<FieldError>,
}

impl List {
    fn pct(&self, rate: &f64) -> String {
        percent(*rate)
    }

    /// Whether the refusal concerns `field`.
    fn err(&self, field: &str) -> bool {
        self.refused
            .as_ref()
            .is_some_and(|e| e.field.as_deref() == Some(field))
    }

    /// Whether the refusal names no field.
    fn general(&self) -> bool {
        self.refused.as_ref().is_some_and(|e| e.field.is_none())
    }

    /// The refusal's message.
    fn err_text(&self) -> &str {
        self.refused.as_ref().map_or("", |e| e.message.as_str())
    }
}

/// A team as a line of the form and of the pages: `车间/班组`.
fn team_text(t: &TeamRef) -> String {
    format!("{}/{}", t.workshop, t.team)
}

fn enterprise_line(
    c: &EnterpriseCoverage,
    towns: &HashMap<String, String>,
    t: &Texts,
) -> EnterpriseLine {
    let mut teams: Vec<String> = c
        .teams_missing
        .iter()
        .take(TEAMS_SHOWN)
        .map(team_text)
        .collect();
    if c.teams_missing.len() > TEAMS_SHOWN {
        teams.push("…".to_owned());
    }
    let untrained = c.workers.saturating_sub(c.trained);
    let names: Vec<&str> = c
        .untrained
        .iter()
        .take(NAMES_SHOWN)
        .map(|w| if w.name.is_empty() { &w.code } else { &w.name })
        .map(String::as_str)
        .collect();
    let shown = names.len() as u32;
    let mut untrained_names = names.join(t.sep);
    if untrained > shown && shown > 0 {
        untrained_names.push(' ');
        untrained_names.push_str(&super::fill(
            t.tr_and_more,
            &[("n", &(untrained - shown).to_string())],
        ));
    }
    EnterpriseLine {
        code: c.enterprise.clone(),
        name: c.name.clone(),
        town: towns
            .get(&c.town)
            .cloned()
            .unwrap_or_else(|| c.town.clone()),
        workers: c.workers,
        trained: c.trained,
        rate: percent(c.training_rate),
        trainings: c.trainings,
        drills: c.drills,
        teams_missing: teams.join(t.sep),
        untrained,
        untrained_names,
        on_plan: c.on_plan,
    }
}

/// Builds the list page for `q`, with the form's values and refusal.
async fn list_page(
    state: &AppState,
    page: &Page,
    q: &ListQuery,
    values: Option<TrainingForm>,
    refused: Option<FieldError>,
) -> Result<List, PageError> {
    let lang = page.lang;
    let t = texts(lang);
    let now = state.now();
    let calendar = *state.ledger.calendar();
    let today = calendar.today(now);
    let year = q
        .year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(today.year());
    let kind = q
        .kind
        .as_deref()
        .and_then(|k| TrainingKind::from_wire(k).ok());
    let enterprise = q
        .enterprise
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    let coverage: Coverage = state
        .ledger
        .training_coverage(&page.actor, year)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let records = state
        .ledger
        .trainings(
            &page.actor,
            TrainingFilter {
                enterprise: enterprise.clone(),
                kind,
                from: NaiveDate::from_ymd_opt(year, 1, 1),
                to: NaiveDate::from_ymd_opt(year, 12, 31),
            },
        )
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let town_names: HashMap<String, String> = coverage
        .towns
        .iter()
        .map(|c| (c.town.clone(), c.name.clone()))
        .collect();
    let mut enterprises: Vec<(String, String)> = coverage
        .enterprises
        .iter()
        .map(|e| (e.enterprise.clone(), e.name.clone()))
        .collect();
    enterprises.sort();
    let lines = coverage
        .enterprises
        .iter()
        .filter(|c| enterprise.as_deref().is_none_or(|e| e == c.enterprise))
        .map(|c| enterprise_line(c, &town_names, t))
        .collect();
    let records = records
        .iter()
        .map(|r| {
            let filed = r
                .record
                .findings
                .iter()
                .filter(|f| f.entry_id.is_some())
                .count();
            let n = r.record.findings.len();
            RecordLine {
                id: r.id,
                date: r.record.date.to_string(),
                kind: r.record.kind.label(lang),
                drill: r.record.kind == TrainingKind::Drill,
                enterprise: r.enterprise_name.clone(),
                topic: r.record.topic.clone(),
                hours: r.record.hours.to_string(),
                people: r.record.trainees(),
                findings: if n == 0 {
                    String::new()
                } else {
                    super::fill(
                        t.tr_filed_n,
                        &[("filed", &filed.to_string()), ("n", &n.to_string())],
                    )
                },
            }
        })
        .collect();
    let values = values.unwrap_or_else(|| TrainingForm {
        enterprise: enterprise.clone().unwrap_or_default(),
        kind: "training".to_owned(),
        date: today.to_string(),
        ..TrainingForm::default()
    });
    let mut path = format!("/trainings?year={year}");
    if let Some(k) = kind {
        path.push_str(&format!("&kind={}", k.wire_name()));
    }
    if let Some(e) = &enterprise {
        path.push_str(&format!("&enterprise={}", urlencoding::encode(e)));
    }
    Ok(List {
        chrome: page.chrome("training", &path),
        year,
        kind: kind.map(|k| k.wire_name().to_owned()).unwrap_or_default(),
        enterprise: enterprise.unwrap_or_default(),
        kinds: options::<TrainingKind>(lang),
        may_record: !enterprises.is_empty(),
        enterprises,
        towns: coverage.towns,
        lines,
        records,
        today: today.to_string(),
        values,
        refused,
    })
}

/// `GET /trainings?year=&kind=&enterprise=`.
pub async fn trainings(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let p = list_page(&state, &page, &q, None, None).await?;
    Ok(render(&p).into_response())
}

/// Worker codes from a text: one per line, or separated by spaces, commas or 、.
fn codes(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Teams from `车间/班组` lines; the first line that is not one is refused.
fn teams(text: &str) -> Result<Vec<TeamRef>, String> {
    lines(text)
        .into_iter()
        .map(|l| {
            let (workshop, team) = l.split_once(['/', '／']).ok_or_else(|| l.clone())?;
            let (workshop, team) = (workshop.trim(), team.trim());
            if workshop.is_empty() || team.is_empty() {
                return Err(l.clone());
            }
            Ok(TeamRef {
                workshop: workshop.to_owned(),
                team: team.to_owned(),
            })
        })
        .collect()
}

/// The form as a new record, or its own refusal of a field.
fn new_training(f: &TrainingForm, lang: Lang) -> Result<NewTraining, FieldError> {
    let t = texts(lang);
    let enterprise = f.enterprise.trim();
    if enterprise.is_empty() {
        return Err(FieldError::at("enterprise", t.fe_choose));
    }
    let kind =
        TrainingKind::from_wire(f.kind.trim()).map_err(|_| FieldError::at("kind", t.fe_choose))?;
    let date = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::at("date", t.fe_date))?;
    let hours: f64 = f
        .hours
        .trim()
        .parse()
        .map_err(|_| FieldError::at("hours", t.fe_hours))?;
    let outside_trainees: u32 = match f.outside_trainees.trim() {
        "" => 0,
        n => n
            .parse()
            .map_err(|_| FieldError::at("outside_trainees", t.fe_count))?,
    };
    let teams = teams(&f.teams)
        .map_err(|line| FieldError::at("teams", super::fill(t.fe_team_line, &[("line", &line)])))?;
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(NewTraining {
        enterprise: enterprise.to_owned(),
        kind,
        date,
        topic: f.topic.clone(),
        hours,
        trainer: text(&f.trainer),
        attendees: codes(&f.attendees),
        outside_trainees,
        photos: Vec::new(),
        scenario: text(&f.scenario),
        teams,
        findings: lines(&f.findings),
    })
}

/// The rules' refusals that name no field, placed at the field they concern.
const TRAINING_FIELDS: &[(&str, &str)] = &[
    ("unknown_workers", "attendees"),
    ("unknown_team", "teams"),
    ("drill_only", "teams"),
    ("invalid_hours", "hours"),
    ("date_in_future", "date"),
];

/// `POST /trainings`: records a training session or a drill.
pub async fn record_training(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<TrainingForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let lang = page.lang;
    let q = ListQuery {
        enterprise: Some(f.enterprise.clone()),
        ..ListQuery::default()
    };
    let refused = |fe: FieldError, status| {
        let (state, page, q, f) = (&state, &page, &q, f.clone());
        async move {
            let p = list_page(state, page, q, Some(f), Some(fe)).await?;
            Ok::<Response, PageError>((status, render(&p)).into_response())
        }
    };
    let new = match new_training(&f, lang) {
        Ok(n) => n,
        Err(fe) => return refused(fe, axum::http::StatusCode::BAD_REQUEST).await,
    };
    match state
        .ledger
        .record_training(&page.actor, new, state.now())
        .await
    {
        Ok(v) => Ok(Redirect::to(&format!("/trainings/{}?done=training", v.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            let status = refusal_status(&e);
            refused(FieldError::of(&e, lang, TRAINING_FIELDS), status).await
        }
        Err(e) => Err(PageError::ledger(lang, e)),
    }
}

/// An attendee as shown.
pub struct Attendee {
    code: String,
    name: String,
    team: String,
}

#[derive(askama::Template)]
#[template(path = "training.html")]
struct Detail {
    chrome: Chrome,
    v: TrainingView,
    flash: Option<&'static str>,
    kind: &'static str,
    drill: bool,
    hours: String,
    recorded_at: String,
    attendees: Vec<Attendee>,
    teams: String,
    findings: Vec<FindingLine>,
    file_base: String,
    categories: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// What a done step says.
pub(super) fn done_message(t: &'static Texts, done: Option<&str>) -> Option<&'static str> {
    match done? {
        "training" => Some(t.done_training),
        "visit" => Some(t.done_visit),
        "filed" => Some(t.done_filed),
        _ => None,
    }
}

async fn detail_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    flash: Option<&'static str>,
    refused: Option<(usize, String)>,
) -> Result<Detail, PageError> {
    let lang = page.lang;
    let calendar = *state.ledger.calendar();
    let v = state
        .ledger
        .training(&page.actor, id)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    Ok(Detail {
        chrome: page.chrome("training", &format!("/trainings/{id}")),
        flash,
        kind: v.record.kind.label(lang),
        drill: v.record.kind == TrainingKind::Drill,
        hours: v.record.hours.to_string(),
        recorded_at: local(&calendar, v.created_at),
        attendees: v
            .attendee_names
            .iter()
            .map(|a| Attendee {
                code: a.code.clone(),
                name: a.name.clone(),
                team: a.team.as_ref().map(team_text).unwrap_or_default(),
            })
            .collect(),
        teams: v
            .record
            .teams
            .iter()
            .map(team_text)
            .collect::<Vec<_>>()
            .join(texts(lang).sep),
        findings: finding_lines(&v.record.findings, refused),
        file_base: format!("/trainings/{id}"),
        categories: options::<Category>(lang),
        severities: options::<Severity>(lang),
        v,
    })
}

/// `GET /trainings/{id}`.
pub async fn training(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let id = id_of(&id, page.lang)?;
    let flash = done_message(page.t(), d.done.as_deref());
    Ok(render(&detail_page(&state, &page, id, flash, None).await?).into_response())
}

/// The filing form of a finding.
#[derive(Debug, Deserialize)]
pub struct FileForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) category: String,
    #[serde(default)]
    pub(super) severity: String,
}

impl FileForm {
    /// The category and severity chosen, or the form's refusal.
    pub(super) fn parse(&self, lang: Lang) -> Result<(Category, Severity), String> {
        let t = texts(lang);
        let c = Category::from_wire(self.category.trim()).map_err(|_| t.fe_choose.to_owned())?;
        let s = Severity::from_wire(self.severity.trim()).map_err(|_| t.fe_choose.to_owned())?;
        Ok((c, s))
    }
}

/// `POST /trainings/{id}/findings/{index}/file`: a drill's finding becomes a hazard of the
/// enterprise; the record then links to the entry.
pub async fn file_training_finding(
    State(state): State<AppState>,
    page: Page,
    Path((id, index)): Path<(String, String)>,
    Form(f): Form<FileForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let lang = page.lang;
    let id = id_of(&id, lang)?;
    let index = index_of(&index, lang)?;
    let (category, severity) = match f.parse(lang) {
        Ok(v) => v,
        Err(m) => {
            let p = detail_page(&state, &page, id, None, Some((index, m))).await?;
            return Ok((axum::http::StatusCode::BAD_REQUEST, render(&p)).into_response());
        }
    };
    match state
        .ledger
        .file_training_finding(&page.actor, id, index, category, severity, state.now())
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/trainings/{id}?done=filed#finding-{index}")).into_response(),
        ),
        Err(e) if is_form_error(&e) => {
            let m = crate::web::i18n::localize(&e.to_string(), lang);
            let p = detail_page(&state, &page, id, None, Some((index, m))).await?;
            Ok((refusal_status(&e), render(&p)).into_response())
        }
        Err(e) => Err(PageError::ledger(lang, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_codes_split_on_lines_spaces_and_commas() {
        assert_eq!(
            codes("W1\nW2, W3，W4、W5 ;W6\n\n"),
            ["W1", "W2", "W3", "W4", "W5", "W6"]
        );
        assert!(codes("  \n").is_empty());
    }

    #[test]
    fn teams_are_workshop_slash_team_lines() {
        let t = teams("电解车间/甲班\n 液氯包装车间 ／ 乙班 \n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].workshop, "液氯包装车间");
        assert_eq!(t[1].team, "乙班");
        assert_eq!(teams("甲班").unwrap_err(), "甲班");
        assert_eq!(teams("电解车间/").unwrap_err(), "电解车间/");
    }

    #[test]
    fn a_form_with_a_bad_number_is_refused_at_its_field() {
        let f = TrainingForm {
            enterprise: "E001".into(),
            kind: "training".into(),
            date: "2026-11-20".into(),
            hours: "two".into(),
            ..TrainingForm::default()
        };
        assert_eq!(
            new_training(&f, Lang::Zh).unwrap_err().field.as_deref(),
            Some("hours")
        );
        let f = TrainingForm {
            hours: "1.5".into(),
            outside_trainees: "3".into(),
            ..f
        };
        let n = new_training(&f, Lang::En).unwrap();
        assert_eq!(n.hours, 1.5);
        assert_eq!(n.outside_trainees, 3);
    }
}
