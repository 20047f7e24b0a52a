//! The monthly report pages (月报): for the district, every town's report of a month (已报送 or
//! 未报送, 逾期, when, the key figures) with the district's roll-up and a link to each town's
//! report; for a town officer, their own town's report directly. A town's report shows all its
//! figures, its status, due day, remarks and history; the town submits a month that is over,
//! the district reopens a submitted one with a reason. The rules are the ledger's
//! (`rules::monthly`): who may read, submit or reopen, when a month can be submitted, the
//! figures and whether a report is late; a page only shows them and passes the forms on.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Months, NaiveDate};
use hazardsnap_ledger::Calendar;
use hazardsnap_ledger::rules::monthly::{
    MonthlyFigures, MonthlyReport, MonthlyStatus, parse_month,
};
use hazardsnap_model::{Jurisdiction, Lang, Role};
use serde::Deserialize;

use super::home::percent;
use super::{FieldError, local, refusal_status};
use crate::state::AppState;
use crate::web::i18n::{Texts, localize, texts};
use crate::web::{Chrome, Page, PageError, is_form_error, render};

/// `?month=YYYY-MM&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
    done: Option<String>,
}

/// One town's line of the overview.
pub struct TownLine {
    code: String,
    name: String,
    submitted: bool,
    late: bool,
    submitted_at: String,
    f: MonthlyFigures,
}

#[derive(askama::Template)]
#[template(path = "monthly.html")]
struct Overview {
    chrome: Chrome,
    error: Option<String>,
    month: String,
    due: String,
    month_over: bool,
    summary: String,
    towns: Vec<TownLine>,
    district: MonthlyFigures,
}

impl Overview {
    fn pct(&self, rate: &f64) -> String {
        percent(*rate)
    }
}

/// The month before the current one (district calendar): the one a town reports now.
fn previous_month(state: &AppState) -> NaiveDate {
    let this = Calendar::month_of(state.ledger.calendar().today(state.now()));
    this.checked_sub_months(Months::new(1)).unwrap_or(this)
}

/// `GET /monthly?month=YYYY-MM`: the district's overview; a town officer goes to their town's
/// report. Enterprise officers and the bureau have none (the rules answer 403).
pub async fn monthly(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<MonthQuery>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let t = page.t();
    let (month, error) = match q.month.as_deref().filter(|m| !m.trim().is_empty()) {
        None => (previous_month(&state), None),
        Some(m) => match parse_month(m) {
            Ok(m) => (m, None),
            Err(e) => (previous_month(&state), Some(localize(&e.to_string(), lang))),
        },
    };
    let label = month.format("%Y-%m").to_string();
    if let Jurisdiction::Town { town } = &page.actor.jurisdiction
        && error.is_none()
    {
        let to = format!("/monthly/{label}/{}", urlencoding::encode(town));
        return Ok(Redirect::to(&to).into_response());
    }
    let now = state.now();
    let calendar = *state.ledger.calendar();
    let o = state
        .ledger
        .monthly_overview(&page.actor, month, now)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let summary = super::fill(
        t.mo_summary,
        &[
            ("n", &o.submitted.to_string()),
            ("of", &o.towns.len().to_string()),
            ("late", &o.late.to_string()),
        ],
    );
    let view = Overview {
        chrome: page.chrome("monthly", &format!("/monthly?month={label}")),
        error,
        month: o.month,
        due: o.due.to_string(),
        month_over: o.month_over,
        summary,
        towns: o
            .towns
            .into_iter()
            .map(|l| TownLine {
                code: l.town,
                name: l.name,
                submitted: l.status == MonthlyStatus::Submitted,
                late: l.late,
                submitted_at: l
                    .submitted_at
                    .map(|at| local(&calendar, at))
                    .unwrap_or_default(),
                f: l.figures,
            })
            .collect(),
        district: o.district,
    };
    Ok(render(&view).into_response())
}

/// One step of a report's history as shown.
pub struct HistoryLine {
    when: String,
    who: String,
    action: &'static str,
    reopen: bool,
    text: String,
}

/// The submit and reopen forms' values, kept when refused.
#[derive(Debug, Default)]
pub struct Values {
    remarks: String,
    reason: String,
}

#[derive(askama::Template)]
#[template(path = "monthly_town.html")]
struct TownPage {
    chrome: Chrome,
    r: MonthlyReport,
    submitted: bool,
    flash: Option<&'static str>,
    /// The refused form (`submit` or `reopen`) and its refusal.
    refused: Option<(&'static str, FieldError)>,
    values: Values,
    /// Label, value, and whether it is a part of the line above (其中…).
    figures: Vec<(&'static str, String, bool)>,
    due: String,
    submitted_at: String,
    history: Vec<HistoryLine>,
    may_submit: bool,
    not_over: bool,
    may_reopen: bool,
    district: bool,
}

impl TownPage {
    /// Whether form `form` was refused.
    fn refused_form(&self, form: &str) -> bool {
        self.refused.as_ref().is_some_and(|(f, _)| *f == form)
    }

    /// Whether form `form` was refused at `field`.
    fn err(&self, form: &str, field: &str) -> bool {
        self.refused
            .as_ref()
            .is_some_and(|(f, e)| *f == form && e.field.as_deref() == Some(field))
    }

    /// Whether form `form` was refused as a whole (no field named).
    fn general(&self, form: &str) -> bool {
        self.refused
            .as_ref()
            .is_some_and(|(f, e)| *f == form && e.field.is_none())
    }

    /// The refusal's message.
    fn err_text(&self) -> &str {
        self.refused
            .as_ref()
            .map_or("", |(_, e)| e.message.as_str())
    }
}

/// The figures of a month in the report's order, with their labels.
fn figure_rows(t: &Texts, f: &MonthlyFigures) -> Vec<(&'static str, String, bool)> {
    vec![
        (t.fig_found_general, f.found_general.to_string(), false),
        (t.fig_found_major, f.found_major.to_string(), false),
        (t.fig_rectified, f.rectified.to_string(), false),
        (t.fig_rate, percent(f.rectification_rate), false),
        (t.fig_open, f.open_at_month_end.to_string(), false),
        (t.fig_overdue, f.overdue.to_string(), true),
        (t.fig_escalated, f.escalated.to_string(), true),
        (t.fig_suggestions, f.suggestions.to_string(), false),
        (t.fig_adopted, f.suggestions_adopted.to_string(), false),
        (t.fig_participants, f.participants.to_string(), false),
        (t.fig_trainings, f.trainings.to_string(), false),
        (t.fig_trainees, f.trainees.to_string(), false),
        (t.fig_drills, f.drills.to_string(), false),
    ]
}

fn done_message(t: &'static Texts, done: Option<&str>) -> Option<&'static str> {
    match done? {
        "submit" => Some(t.done_submit),
        "reopen" => Some(t.done_reopen),
        _ => None,
    }
}

/// Builds a town's report page.
async fn town_page(
    state: &AppState,
    page: &Page,
    month: NaiveDate,
    town: String,
    flash: Option<&'static str>,
    refused: Option<(&'static str, FieldError)>,
    mut values: Values,
) -> Result<TownPage, PageError> {
    let lang = page.lang;
    let t = texts(lang);
    let now = state.now();
    let calendar = *state.ledger.calendar();
    let r = state
        .ledger
        .monthly_report(&page.actor, month, town, now)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let submitted = r.status == MonthlyStatus::Submitted;
    // A reopened report offers its earlier remarks again.
    if values.remarks.is_empty() && refused.is_none() {
        values.remarks = r.remarks.clone().unwrap_or_default();
    }
    // Whether the month is over, to offer the form only then (the rule still decides).
    let over = now >= calendar.month(month).1;
    let role = page.actor.role();
    let history = r
        .history
        .iter()
        .map(|h| HistoryLine {
            when: local(&calendar, h.at),
            who: h.by.clone(),
            reopen: h.action == "reopen",
            action: if h.action == "reopen" {
                t.mo_ev_reopen
            } else {
                t.mo_ev_submit
            },
            text: h.text.clone().unwrap_or_default(),
        })
        .collect();
    Ok(TownPage {
        chrome: page.chrome(
            "monthly",
            &format!("/monthly/{}/{}", r.month, urlencoding::encode(&r.town)),
        ),
        figures: figure_rows(t, &r.figures),
        due: r.due.to_string(),
        submitted_at: r
            .submitted_at
            .map(|at| local(&calendar, at))
            .unwrap_or_default(),
        history,
        may_submit: role == Role::Town && !submitted && over,
        not_over: role == Role::Town && !submitted && !over,
        may_reopen: role == Role::District && submitted,
        district: role == Role::District,
        submitted,
        flash,
        refused,
        values,
        r,
    })
}

/// The month of a page's address, or the page's 404.
fn month_of(month: &str, lang: Lang) -> Result<NaiveDate, PageError> {
    parse_month(month).map_err(|_| PageError::new(lang, crate::error::AppError::NotFound))
}

/// `GET /monthly/{month}/{town}`: one town's report.
pub async fn monthly_town(
    State(state): State<AppState>,
    page: Page,
    Path((month, town)): Path<(String, String)>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, PageError> {
    let month = month_of(&month, page.lang)?;
    let flash = done_message(page.t(), q.done.as_deref());
    let p = town_page(&state, &page, month, town, flash, None, Values::default()).await?;
    Ok(render(&p).into_response())
}

/// The submit and reopen forms' fields.
#[derive(Debug, Deserialize)]
pub struct MonthlyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    remarks: String,
    #[serde(default)]
    reason: String,
}

/// The answer to a submit or reopen: back to the report saying what happened, or the form
/// again with the refusal next to its field.
async fn answer(
    state: &AppState,
    page: &Page,
    month: NaiveDate,
    town: String,
    form: &'static str,
    done: Result<(), hazardsnap_ledger::LedgerError>,
    values: Values,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!(
            "/monthly/{}/{}?done={form}",
            month.format("%Y-%m"),
            urlencoding::encode(&town)
        ))
        .into_response()),
        Err(e) if is_form_error(&e) => {
            let status: StatusCode = refusal_status(&e);
            let fe = FieldError::of(&e, page.lang, &[]);
            let p = town_page(state, page, month, town, None, Some((form, fe)), values).await?;
            Ok((status, render(&p)).into_response())
        }
        Err(e) => Err(PageError::ledger(page.lang, e)),
    }
}

/// `POST /monthly/{month}/{town}/submit`: the town submits its report.
pub async fn submit_monthly(
    State(state): State<AppState>,
    page: Page,
    Path((month, town)): Path<(String, String)>,
    Form(f): Form<MonthlyForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let month = month_of(&month, page.lang)?;
    let done = state
        .ledger
        .submit_monthly(
            &page.actor,
            month,
            town.clone(),
            Some(f.remarks.clone()),
            state.now(),
        )
        .await
        .map(|_| ());
    let values = Values {
        remarks: f.remarks,
        reason: String::new(),
    };
    answer(&state, &page, month, town, "submit", done, values).await
}

/// `POST /monthly/{month}/{town}/reopen`: the district reopens a submitted report.
pub async fn reopen_monthly(
    State(state): State<AppState>,
    page: Page,
    Path((month, town)): Path<(String, String)>,
    Form(f): Form<MonthlyForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let month = month_of(&month, page.lang)?;
    let done = state
        .ledger
        .reopen_monthly(
            &page.actor,
            month,
            town.clone(),
            f.reason.clone(),
            state.now(),
        )
        .await
        .map(|_| ());
    let values = Values {
        remarks: String::new(),
        reason: f.reason,
    };
    answer(&state, &page, month, town, "reopen", done, values).await
}
