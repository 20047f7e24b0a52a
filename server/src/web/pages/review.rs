//! The review inbox (待审核): new reports of the jurisdiction, newest first, with every
//! report's photos large enough to judge, keyboard-driven (`j`/`k`/`Enter`/`c`/`r`).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use hazardsnap_ledger::views::EntrySummary;
use serde::Deserialize;

use super::{finder_name, local};
use crate::state::AppState;
use crate::web::i18n::texts;
use crate::web::{Chrome, Page, PageError, render};

/// Entries per inbox page.
const PER_PAGE: u32 = 20;

/// One entry of the inbox as shown.
pub struct Item {
    summary: EntrySummary,
    note: String,
    photos: Vec<String>,
    place: String,
    first_finder: String,
    created: String,
    duplicate: bool,
    /// Listed supervision's state (class, words), once escalated.
    supervision: Option<(&'static str, &'static str)>,
}

#[derive(askama::Template)]
#[template(path = "review.html")]
struct Review {
    chrome: Chrome,
    items: Vec<Item>,
    total: u64,
    prev: Option<u32>,
    next: Option<u32>,
}

/// `?page=`.
#[derive(Debug, Deserialize)]
pub struct PageNo {
    page: Option<u32>,
}

/// `GET /review`.
pub async fn review(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<PageNo>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let n = q.page.unwrap_or(1).clamp(1, 100_000);
    let calendar = *state.ledger.calendar();
    let (items, total) = state
        .ledger
        .review_inbox(&page.actor, n, PER_PAGE, state.now())
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let t = texts(lang);
    let items = items
        .into_iter()
        .map(|i| Item {
            first_finder: i
                .summary
                .first_reporter
                .as_ref()
                .map(|r| finder_name(r, lang))
                .unwrap_or_else(|| t.none.to_owned()),
            created: local(&calendar, i.summary.created_at),
            duplicate: i.possible_duplicate,
            supervision: i
                .summary
                .supervision
                .as_ref()
                .map(|v| super::entry::supervision_state(v.state, lang)),
            place: i.place.join(" · "),
            note: i.note,
            photos: i.photos,
            summary: i.summary,
        })
        .collect();
    let r = Review {
        chrome: page.chrome("review", "/review"),
        items,
        total,
        prev: (n > 1).then(|| n - 1),
        next: (u64::from(n) * u64::from(PER_PAGE) < total).then(|| n + 1),
    };
    Ok(render(&r).into_response())
}
