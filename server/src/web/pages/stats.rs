//! The statistics page (统计): per town and enterprise (the monthly figures), per category
//! with the month before for comparison, per severity, and the twelve months up to the month
//! chosen, as tables and as SVG charts drawn by the server.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use hazardsnap_ledger::Calendar;
use hazardsnap_ledger::views::MonthlyRow;
use hazardsnap_model::Labelled;
use serde::Deserialize;

use super::home::{percent, trend_chart};
use crate::state::AppState;
use crate::web::charts::row_bars;
use crate::web::{Chrome, Page, PageError, render};

#[derive(askama::Template)]
#[template(path = "stats.html")]
struct Stats {
    chrome: Chrome,
    month: String,
    towns: Vec<MonthlyRow>,
    enterprises: Vec<MonthlyRow>,
    by_category: Vec<(&'static str, u64, u64)>,
    by_severity: Vec<(&'static str, u64)>,
    trend_chart: String,
    category_chart: String,
}

impl Stats {
    fn percent(&self, r: &f64) -> String {
        percent(*r)
    }
}

/// `?month=YYYY-MM`.
#[derive(Debug, Deserialize)]
pub struct Month {
    month: Option<String>,
}

/// `GET /stats`.
pub async fn stats(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<Month>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let now = state.now();
    let this = Calendar::month_of(state.ledger.calendar().today(now));
    let month = q
        .month
        .as_deref()
        .and_then(|m| NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").ok())
        .unwrap_or(this);
    let monthly = state
        .ledger
        .monthly_stats(&page.actor, month, now)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let s = state
        .ledger
        .statistics(&page.actor, month)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let t = page.t();
    let by_category: Vec<(&'static str, u64, u64)> = s
        .by_category
        .iter()
        .zip(&s.previous_by_category)
        .map(|((c, n), (_, p))| (c.label(lang), *n, *p))
        .collect();
    let rows: Vec<(String, u64, Option<u64>)> = by_category
        .iter()
        .map(|(l, n, p)| ((*l).to_owned(), *n, Some(*p)))
        .collect();
    let page_view = Stats {
        chrome: page.chrome("stats", "/stats"),
        month: month.format("%Y-%m").to_string(),
        towns: monthly.towns,
        enterprises: monthly.enterprises,
        category_chart: row_bars(t.stat_by_category, &rows),
        by_category,
        by_severity: s
            .by_severity
            .iter()
            .map(|(v, n)| (v.label(lang), *n))
            .collect(),
        trend_chart: trend_chart(t.stat_by_month, &s.trend, lang),
    };
    Ok(render(&page_view).into_response())
}
