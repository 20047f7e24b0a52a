//! The supervision pages (督导): a year's visit coverage (high-risk industries first, the
//! enterprises not visited yet marked), the visits, a form to record one — prefilled from a
//! draw's enterprise (`/visits?new=E001&draw=…`) — and one visit's page with its findings, each
//! unfiled one with a form to file it as a hazard of the enterprise. District and town officers
//! record; an enterprise officer reads the visits of their enterprise. The rules are
//! `rules::visits`; the draws stay on `/draws`, linked both ways.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use hazardsnap_ledger::rules::visits::{NewVisit, VisitView};
use hazardsnap_model::{Category, Labelled, Lang, Role, Severity, VisitRating};
use serde::Deserialize;
use uuid::Uuid;

use super::training::{FileForm, done_message};
use super::{
    FieldError, FindingLine, finding_lines, id_of, index_of, lines, local, options, refusal_status,
};
use crate::state::AppState;
use crate::web::i18n::{localize, texts};
use crate::web::{Chrome, Page, PageError, is_form_error, render};

/// Draws offered in the form's select.
const DRAWS_OFFERED: usize = 30;

/// `?year=&enterprise=&new=&draw=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    year: Option<String>,
    enterprise: Option<String>,
    /// An enterprise to record a visit to (from a draw): the form opens prefilled.
    new: Option<String>,
    /// The draw that picked it.
    draw: Option<String>,
}

/// One enterprise's line of the coverage.
pub struct CoverageLine {
    code: String,
    name: String,
    industry: &'static str,
    high_risk: bool,
    visits: u32,
    last_visit: String,
    last_rating: &'static str,
}

/// One visit of the list.
pub struct VisitLine {
    id: Uuid,
    date: String,
    enterprise: String,
    rating: &'static str,
    findings: String,
    team: String,
}

/// The visit form's values, kept when it is refused.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct VisitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    draw_id: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    checked: String,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    remarks: String,
}

#[derive(askama::Template)]
#[template(path = "visits.html")]
struct List {
    chrome: Chrome,
    year: i32,
    enterprise: String,
    summary: String,
    coverage: Vec<CoverageLine>,
    visits: Vec<VisitLine>,
    may_visit: bool,
    open_form: bool,
    enterprises: Vec<(String, String)>,
    draws: Vec<(String, String)>,
    ratings: Vec<(&'static str, &'static str)>,
    today: String,
    values: VisitForm,
    refused: Option<FieldError>,
}

impl List {
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

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

async fn list_page(
    state: &AppState,
    page: &Page,
    q: &ListQuery,
    values: Option<VisitForm>,
    refused: Option<FieldError>,
) -> Result<List, PageError> {
    let lang = page.lang;
    let t = texts(lang);
    let e = |e| PageError::ledger(lang, e);
    let now = state.now();
    let calendar = *state.ledger.calendar();
    let today = calendar.today(now);
    let year = q
        .year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(today.year());
    let enterprise = text(&q.enterprise);
    let coverage = state
        .ledger
        .visit_coverage(&page.actor, year)
        .await
        .map_err(e)?;
    let visits = state
        .ledger
        .visits(&page.actor, enterprise.clone())
        .await
        .map_err(e)?;
    let draws = state.ledger.draws(&page.actor).await.map_err(e)?;
    let mut enterprises: Vec<(String, String)> = coverage
        .lines
        .iter()
        .map(|l| (l.enterprise.clone(), l.name.clone()))
        .collect();
    enterprises.sort();
    let may_visit =
        matches!(page.actor.role(), Role::District | Role::Town) && !enterprises.is_empty();
    let summary = super::fill(
        t.vi_summary,
        &[
            ("hv", &coverage.high_risk_visited.to_string()),
            ("h", &coverage.high_risk.to_string()),
            ("v", &coverage.visited.to_string()),
            ("n", &coverage.enterprises.to_string()),
        ],
    );
    let prefill = text(&q.new);
    let open_form = refused.is_some() || prefill.is_some();
    let values = values.unwrap_or_else(|| VisitForm {
        enterprise: prefill.clone().unwrap_or_default(),
        date: today.to_string(),
        draw_id: text(&q.draw)
            .filter(|d| Uuid::parse_str(d).is_ok())
            .unwrap_or_default(),
        rating: VisitRating::Fair.wire_name().to_owned(),
        ..VisitForm::default()
    });
    let mut path = format!("/visits?year={year}");
    if let Some(e) = &enterprise {
        path.push_str(&format!("&enterprise={}", urlencoding::encode(e)));
    }
    Ok(List {
        chrome: page.chrome("supervision", &path),
        year,
        summary,
        coverage: coverage
            .lines
            .iter()
            .filter(|l| enterprise.as_deref().is_none_or(|e| e == l.enterprise))
            .map(|l| CoverageLine {
                code: l.enterprise.clone(),
                name: l.name.clone(),
                industry: l.industry.label(lang),
                high_risk: l.high_risk,
                visits: l.visits,
                last_visit: l.last_visit.map(|d| d.to_string()).unwrap_or_default(),
                last_rating: l.last_rating.map(|r| r.label(lang)).unwrap_or_default(),
            })
            .collect(),
        visits: visits
            .iter()
            .filter(|v| v.record.date.year() == year)
            .map(|v| VisitLine {
                id: v.id,
                date: v.record.date.to_string(),
                enterprise: v.enterprise_name.clone(),
                rating: v.record.rating.label(lang),
                findings: if v.record.findings.is_empty() {
                    String::new()
                } else {
                    super::fill(
                        t.tr_filed_n,
                        &[
                            (
                                "filed",
                                &v.record
                                    .findings
                                    .iter()
                                    .filter(|f| f.entry_id.is_some())
                                    .count()
                                    .to_string(),
                            ),
                            ("n", &v.record.findings.len().to_string()),
                        ],
                    )
                },
                team: v.record.team.join(t.sep),
            })
            .collect(),
        may_visit,
        open_form,
        enterprises,
        draws: draws
            .iter()
            .take(DRAWS_OFFERED)
            .map(|d| {
                (
                    d.draw.id.to_string(),
                    format!(
                        "{} · {}",
                        local(&calendar, d.draw.at),
                        d.draw.result.join(t.sep)
                    ),
                )
            })
            .collect(),
        ratings: options::<VisitRating>(lang),
        today: today.to_string(),
        enterprise: enterprise.unwrap_or_default(),
        values,
        refused,
    })
}

/// `GET /visits?year=&enterprise=&new=&draw=`.
pub async fn visits(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(render(&list_page(&state, &page, &q, None, None).await?).into_response())
}

/// The form as a new visit, or its own refusal of a field.
fn new_visit(f: &VisitForm, lang: Lang) -> Result<NewVisit, FieldError> {
    let t = texts(lang);
    let enterprise = f.enterprise.trim();
    if enterprise.is_empty() {
        return Err(FieldError::at("enterprise", t.fe_choose));
    }
    let date = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::at("date", t.fe_date))?;
    let draw_id = match f.draw_id.trim() {
        "" => None,
        d => Some(Uuid::parse_str(d).map_err(|_| FieldError::at("draw_id", t.fe_choose))?),
    };
    let rating = VisitRating::from_wire(f.rating.trim())
        .map_err(|_| FieldError::at("rating", t.fe_choose))?;
    let remarks = Some(f.remarks.trim().to_owned()).filter(|r| !r.is_empty());
    Ok(NewVisit {
        enterprise: enterprise.to_owned(),
        date,
        draw_id,
        team: lines(&f.team),
        checked: f.checked.clone(),
        findings: lines(&f.findings),
        rating,
        remarks,
    })
}

/// The rules' refusals that name no field, placed at the field they concern.
const VISIT_FIELDS: &[(&str, &str)] = &[("not_drawn", "draw_id"), ("date_in_future", "date")];

/// `POST /visits`: records a supervision visit.
pub async fn record_visit(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<VisitForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let lang = page.lang;
    let q = ListQuery::default();
    let refused = |fe: FieldError, status| {
        let (state, page, q, f) = (&state, &page, &q, f.clone());
        async move {
            let p = list_page(state, page, q, Some(f), Some(fe)).await?;
            Ok::<Response, PageError>((status, render(&p)).into_response())
        }
    };
    let new = match new_visit(&f, lang) {
        Ok(n) => n,
        Err(fe) => return refused(fe, axum::http::StatusCode::BAD_REQUEST).await,
    };
    match state
        .ledger
        .record_visit(&page.actor, new, state.now())
        .await
    {
        Ok(v) => Ok(Redirect::to(&format!("/visits/{}?done=visit", v.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            let status = refusal_status(&e);
            refused(FieldError::of(&e, lang, VISIT_FIELDS), status).await
        }
        Err(e) => Err(PageError::ledger(lang, e)),
    }
}

#[derive(askama::Template)]
#[template(path = "visit.html")]
struct Detail {
    chrome: Chrome,
    v: VisitView,
    flash: Option<&'static str>,
    industry: &'static str,
    rating: &'static str,
    recorded_at: String,
    draw: Option<String>,
    findings: Vec<FindingLine>,
    file_base: String,
    categories: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
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
        .visit(&page.actor, id)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    // The draw that picked the enterprise, by when it was made and what it drew (the draws
    // the officer may see; an enterprise officer sees none).
    let draw = match v.record.draw_id {
        Some(d) => state
            .ledger
            .draws(&page.actor)
            .await
            .map_err(|e| PageError::ledger(lang, e))?
            .into_iter()
            .find(|x| x.draw.id == d)
            .map(|x| {
                format!(
                    "{} · {}",
                    local(&calendar, x.draw.at),
                    x.draw.result.join(texts(lang).sep)
                )
            }),
        None => None,
    };
    Ok(Detail {
        draw,
        chrome: page.chrome("supervision", &format!("/visits/{id}")),
        flash,
        industry: v.industry.label(lang),
        rating: v.record.rating.label(lang),
        recorded_at: local(&calendar, v.created_at),
        findings: finding_lines(&v.record.findings, refused),
        file_base: format!("/visits/{id}"),
        categories: options::<Category>(lang),
        severities: options::<Severity>(lang),
        v,
    })
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /visits/{id}`.
pub async fn visit(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let id = id_of(&id, page.lang)?;
    let flash = done_message(page.t(), d.done.as_deref());
    Ok(render(&detail_page(&state, &page, id, flash, None).await?).into_response())
}

/// `POST /visits/{id}/findings/{index}/file`: a visit's finding becomes a hazard of the
/// visited enterprise.
pub async fn file_visit_finding(
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
        .file_visit_finding(&page.actor, id, index, category, severity, state.now())
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/visits/{id}?done=filed#finding-{index}")).into_response())
        }
        Err(e) if is_form_error(&e) => {
            let m = localize(&e.to_string(), lang);
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
    fn a_visit_form_becomes_a_new_visit() {
        let f = VisitForm {
            enterprise: " E001 ".into(),
            date: "2026-11-20".into(),
            team: "区总工会 张三\n\n区安监局 李四\n".into(),
            checked: "隐患台账".into(),
            findings: "消防通道堆放杂物\n".into(),
            rating: "fair".into(),
            ..VisitForm::default()
        };
        let n = new_visit(&f, Lang::Zh).unwrap();
        assert_eq!(n.enterprise, "E001");
        assert_eq!(n.team.len(), 2);
        assert_eq!(n.findings, ["消防通道堆放杂物"]);
        assert_eq!(n.draw_id, None);
        assert_eq!(n.remarks, None);
        let bad = VisitForm {
            draw_id: "not-a-draw".into(),
            ..f
        };
        assert_eq!(
            new_visit(&bad, Lang::En).unwrap_err().field.as_deref(),
            Some("draw_id")
        );
    }
}
