//! The ledger page (隐患台账): the API's filters as a form, sort and paging, overdue rows
//! highlighted, counts per status, links to the spreadsheet and CSV exports with the same
//! filters, and a printable ledger.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use hazardsnap_ledger::views::{EntrySummary, LedgerSort};
use hazardsnap_model::{Category, Labelled, Lang, LedgerStatus, Severity};
use uuid::Uuid;

use super::{finder_name, local};
use crate::error::AppError;
use crate::routes::ledger::LedgerQuery;
use crate::state::AppState;
use crate::web::i18n::{localize, texts};
use crate::web::{Chrome, Page, PageError, render};

/// Entries printed at most.
const MAX_PRINT: usize = 2000;

/// The query's values as the form shows them.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Values {
    enterprise: String,
    town: String,
    status: String,
    severity: String,
    category: String,
    overdue: String,
    escalated: String,
    from: String,
    to: String,
    due_within_days: String,
    sort: String,
}

impl Values {
    fn of(q: &LedgerQuery) -> Values {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        Values {
            enterprise: s(&q.enterprise),
            town: s(&q.town),
            status: s(&q.status),
            severity: s(&q.severity),
            category: s(&q.category),
            overdue: s(&q.overdue),
            escalated: s(&q.escalated),
            from: s(&q.from),
            to: s(&q.to),
            due_within_days: s(&q.due_within_days),
            sort: s(&q.sort),
        }
    }

    /// `?a=b&…` of the non-empty values, and `page` when given.
    fn query(&self, page: Option<u32>) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("enterprise", &self.enterprise),
            ("town", &self.town),
            ("status", &self.status),
            ("severity", &self.severity),
            ("category", &self.category),
            ("overdue", &self.overdue),
            ("escalated", &self.escalated),
            ("from", &self.from),
            ("to", &self.to),
            ("due_within_days", &self.due_within_days),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect();
        if let Some(p) = page {
            pairs.push(("page", p.to_string()));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!(
                "?{}",
                serde_urlencoded::to_string(&pairs).unwrap_or_default()
            )
        }
    }
}

/// One row as shown.
pub struct Row {
    id: Uuid,
    number: String,
    enterprise: String,
    town: String,
    category: &'static str,
    severity: &'static str,
    major: bool,
    status: &'static str,
    status_wire: &'static str,
    overdue: bool,
    escalated: bool,
    /// Listed supervision's state (class, words), once escalated.
    supervision: Option<(&'static str, &'static str)>,
    found: String,
    deadline: String,
    reporters: u32,
    finder: String,
}

fn row(s: &EntrySummary, lang: Lang, calendar: &hazardsnap_ledger::Calendar) -> Row {
    Row {
        id: s.id,
        number: s.number.clone(),
        enterprise: s.enterprise_name.clone(),
        town: s.town.clone(),
        category: s.category.label(lang),
        severity: s.severity.label(lang),
        major: s.severity == Severity::Major,
        status: s.status.label(lang),
        status_wire: s.status.wire_name(),
        overdue: s.overdue,
        escalated: s.escalated,
        supervision: s
            .supervision
            .as_ref()
            .map(|v| super::entry::supervision_state(v.state, lang)),
        found: local(calendar, s.created_at),
        deadline: s.deadline.map(|d| d.to_string()).unwrap_or_default(),
        reporters: s.reporters,
        finder: s
            .first_reporter
            .as_ref()
            .map(|r| finder_name(r, lang))
            .unwrap_or_default(),
    }
}

#[derive(askama::Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    error: Option<String>,
    /// Whether the officer may file an entry themselves (all but the bureau).
    may_file: bool,
    q: Values,
    query: String,
    statuses: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    sorts: Vec<(&'static str, &'static str)>,
    counts: Vec<(&'static str, &'static str, u64)>,
    total: u64,
    rows: Vec<Row>,
    page_no: u32,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
}

impl LedgerPage {
    /// This page's filter with another status, from the first page.
    fn with_status(&self, status: &str) -> String {
        let mut v = self.q.clone();
        v.status = status.to_owned();
        format!("/ledger{}", v.query(None))
    }
}

fn options<L: Labelled>(lang: Lang) -> Vec<(&'static str, &'static str)> {
    L::ALL
        .iter()
        .map(|v| (v.wire_name(), v.label(lang)))
        .collect()
}

/// Parses the raw query; a bad one is named and the unfiltered ledger shown.
fn parse(raw: Option<&str>, lang: Lang) -> (LedgerQuery, Option<String>) {
    let q: LedgerQuery = match serde_urlencoded::from_str(raw.unwrap_or_default()) {
        Ok(q) => q,
        Err(e) => {
            return (
                LedgerQuery::default(),
                Some(localize(
                    &format!("查询参数无效 / invalid query: {e}"),
                    lang,
                )),
            );
        }
    };
    match q.filter() {
        Ok(_) => (q, None),
        Err(e) => (LedgerQuery::default(), Some(localize(&e.to_string(), lang))),
    }
}

/// `GET /ledger`.
pub async fn ledger(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let (q, error) = parse(raw.as_deref(), lang);
    let filter = q.filter().map_err(|e| PageError::new(lang, e))?;
    let (page_no, per_page) = (filter.page, filter.per_page);
    let calendar = *state.ledger.calendar();
    let view = state
        .ledger
        .ledger_page(&page.actor, filter, state.now())
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let t = texts(lang);
    let values = Values::of(&q);
    let pages = view.total.div_ceil(u64::from(per_page)).max(1);
    let p = LedgerPage {
        chrome: page.chrome("ledger", &format!("/ledger{}", values.query(None))),
        error,
        may_file: hazardsnap_ledger::Ledger::may_file_entries(&page.actor),
        query: values.query(None),
        statuses: options::<LedgerStatus>(lang),
        severities: options::<Severity>(lang),
        categories: options::<Category>(lang),
        sorts: vec![
            ("-created_at", t.lg_sort_newest),
            ("created_at", t.lg_sort_oldest),
            ("deadline", t.lg_sort_deadline),
            ("number", t.lg_sort_number),
        ],
        counts: view
            .by_status
            .iter()
            .map(|(s, n)| (s.wire_name(), s.label(lang), *n))
            .collect(),
        total: view.total,
        rows: view
            .entries
            .iter()
            .map(|e| row(e, lang, &calendar))
            .collect(),
        page_no,
        pages,
        prev: (page_no > 1).then(|| format!("/ledger{}", values.query(Some(page_no - 1)))),
        next: (u64::from(page_no) < pages)
            .then(|| format!("/ledger{}", values.query(Some(page_no + 1)))),
        q: values,
    };
    Ok(render(&p).into_response())
}

/// One printed row.
pub struct PrintRow {
    number: String,
    enterprise: String,
    category: &'static str,
    severity: &'static str,
    note: String,
    status: &'static str,
    overdue: bool,
    responsible: String,
    measures: String,
    deadline: String,
    finder: String,
}

#[derive(askama::Template)]
#[template(path = "ledger_print.html")]
struct LedgerPrint {
    chrome: Chrome,
    query: String,
    filter_text: String,
    today: String,
    rows: Vec<PrintRow>,
}

/// `GET /ledger/print`: the ledger with the same filters, every page, as a printable A4
/// table in number order.
pub async fn ledger_print(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let (q, _) = parse(raw.as_deref(), lang);
    let mut filter = q.filter().map_err(|e| PageError::new(lang, e))?;
    filter.sort = LedgerSort::Number;
    let now = state.now();
    let details = state
        .ledger
        .export_entries(&page.actor, filter, MAX_PRINT, now)
        .await
        .map_err(|e| PageError::ledger(lang, e))?
        .ok_or_else(|| {
            PageError::new(
                lang,
                AppError::bad_request(
                    "export_too_large",
                    format!(
                        "条目超过 {MAX_PRINT} 条，请缩小范围 / more than {MAX_PRINT} entries: narrow the filter"
                    ),
                ),
            )
        })?;
    let values = Values::of(&q);
    let rows = details
        .iter()
        .map(|d| {
            let s = &d.summary;
            PrintRow {
                number: s.number.clone(),
                enterprise: s.enterprise_name.clone(),
                category: s.category.label(lang),
                severity: s.severity.label(lang),
                note: d
                    .reports
                    .iter()
                    .map(|r| r.note.trim())
                    .find(|n| !n.is_empty())
                    .unwrap_or_default()
                    .to_owned(),
                status: s.status.label(lang),
                overdue: s.overdue,
                responsible: d
                    .plan
                    .as_ref()
                    .map(|p| p.responsible.clone())
                    .unwrap_or_default(),
                measures: d
                    .plan
                    .as_ref()
                    .map(|p| p.measures.clone())
                    .unwrap_or_default(),
                deadline: s.deadline.map(|d| d.to_string()).unwrap_or_default(),
                finder: s
                    .first_reporter
                    .as_ref()
                    .map(|r| finder_name(r, lang))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let p = LedgerPrint {
        chrome: page.chrome("ledger", "/ledger/print"),
        query: values.query(None),
        filter_text: localize(&q.describe(), lang),
        today: state.ledger.calendar().today(now).to_string(),
        rows,
    };
    Ok(render(&p).into_response())
}
