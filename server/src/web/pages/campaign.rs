//! The campaign's lists as pages: the reward lists (奖励名单) and the supervision draws
//! (督导抽查) with a form for a new one; each drawn enterprise links to its visits and to the
//! visit form prefilled with it and the draw (`/visits`).

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use hazardsnap_ledger::views::{RewardKind, RewardLine};
use hazardsnap_model::Jurisdiction;
use rand::RngCore;
use serde::Deserialize;

use super::{finder_name, local};
use crate::state::AppState;
use crate::web::i18n::localize;
use crate::web::{Chrome, Page, PageError, render};

/// One reward line as shown.
pub struct Line {
    number: String,
    href: Option<String>,
    enterprise: String,
    finder: String,
    at: String,
}

#[derive(askama::Template)]
#[template(path = "rewards.html")]
struct Rewards {
    chrome: Chrome,
    from: String,
    to: String,
    sections: Vec<(&'static str, Vec<Line>)>,
}

/// `?from=&to=`.
#[derive(Debug, Deserialize)]
pub struct Range {
    from: Option<String>,
    to: Option<String>,
}

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
}

/// `GET /rewards`: the year so far unless a period is chosen.
pub async fn rewards(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<Range>,
) -> Result<Response, PageError> {
    use chrono::Datelike;
    let lang = page.lang;
    let calendar = *state.ledger.calendar();
    let today = calendar.today(state.now());
    let to = date(&q.to).unwrap_or(today);
    let from = date(&q.from)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
    let lines = state
        .ledger
        .rewards(&page.actor, from, to)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let show = |l: &RewardLine| Line {
        number: l.number.clone(),
        href: (l.kind == RewardKind::MajorHazard).then(|| format!("/entries/{}", l.id)),
        enterprise: l.enterprise.clone(),
        finder: l
            .finder
            .as_ref()
            .map(|f| finder_name(f, lang))
            .unwrap_or_default(),
        at: local(&calendar, l.at),
    };
    let t = page.t();
    let r = Rewards {
        chrome: page.chrome("rewards", "/rewards"),
        from: from.to_string(),
        to: to.to_string(),
        sections: vec![
            (
                t.rw_major,
                lines
                    .iter()
                    .filter(|l| l.kind == RewardKind::MajorHazard)
                    .map(show)
                    .collect(),
            ),
            (
                t.rw_suggestion,
                lines
                    .iter()
                    .filter(|l| l.kind == RewardKind::AdoptedSuggestion)
                    .map(show)
                    .collect(),
            ),
        ],
    };
    Ok(render(&r).into_response())
}

/// One draw as shown.
pub struct DrawLine {
    id: uuid::Uuid,
    at: String,
    town: String,
    n: u32,
    seed: String,
    actor: String,
    result: Vec<String>,
    reproducible: bool,
}

#[derive(askama::Template)]
#[template(path = "draws.html")]
struct Draws {
    chrome: Chrome,
    error: Option<String>,
    may_draw: bool,
    draws: Vec<DrawLine>,
}

async fn draws_page(
    state: &AppState,
    page: &Page,
    error: Option<String>,
) -> Result<Draws, PageError> {
    let lang = page.lang;
    let calendar = *state.ledger.calendar();
    let list = state
        .ledger
        .draws(&page.actor)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let t = page.t();
    Ok(Draws {
        chrome: page.chrome("supervision", "/draws"),
        error,
        may_draw: matches!(
            page.actor.jurisdiction,
            Jurisdiction::District | Jurisdiction::Town { .. }
        ),
        draws: list
            .into_iter()
            .map(|d| DrawLine {
                id: d.draw.id,
                at: local(&calendar, d.draw.at),
                town: d.draw.town.clone().unwrap_or_else(|| t.lg_all.to_owned()),
                n: d.draw.n,
                seed: d.draw.seed.clone(),
                actor: d.draw.actor.clone(),
                result: d.draw.result.clone(),
                reproducible: d.reproducible,
            })
            .collect(),
    })
}

/// `GET /draws`.
pub async fn draws(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    Ok(render(&draws_page(&state, &page, None).await?).into_response())
}

/// The draw form.
#[derive(Debug, Deserialize)]
pub struct DrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    seed: String,
}

/// `POST /draws`: a new draw, recorded with its seed.
pub async fn create_draw(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<DrawForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let n: u32 = f.n.trim().parse().unwrap_or(0);
    let seed = match f.seed.trim() {
        "" => rand::rng().next_u64(),
        s => s.parse().unwrap_or(0),
    };
    match state
        .ledger
        .create_draw(&page.actor, n, seed, state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to("/draws").into_response()),
        Err(e) if super::super::is_form_error(&e) => {
            let message = localize(&e.to_string(), page.lang);
            let p = draws_page(&state, &page, Some(message)).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, render(&p)).into_response())
        }
        Err(e) => Err(PageError::ledger(page.lang, e)),
    }
}
