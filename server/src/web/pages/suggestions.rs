//! The suggestions page (金点子): the safety suggestions of the officer's jurisdiction, newest
//! first, each with its own status (received, under review, adopted, not adopted), the
//! proposer (匿名 for an anonymous one) and the reply the worker sees on the phone; a review
//! form on every undecided one. The rules are the ledger's (`suggestions`,
//! `review_suggestion`): a decision is final, not adopting needs a reply, the bureau sees none.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hazardsnap_model::{Labelled, SuggestionStatus};
use serde::Deserialize;
use uuid::Uuid;

use super::{FieldError, finder_name, local, refusal_status};
use crate::state::AppState;
use crate::web::{Chrome, Page, PageError, is_form_error, render};

/// One suggestion as shown.
pub struct SuggestionLine {
    id: Uuid,
    number: String,
    enterprise: String,
    category: &'static str,
    note: String,
    proposer: String,
    anonymous: bool,
    received: String,
    status: &'static str,
    /// The status's code, for the badge's colour.
    status_code: &'static str,
    decided: bool,
    reply: String,
}

#[derive(askama::Template)]
#[template(path = "suggestions.html")]
struct SuggestionsPage {
    chrome: Chrome,
    flash: Option<&'static str>,
    /// The suggestion whose form was refused, and why.
    error: Option<(Uuid, FieldError)>,
    lines: Vec<SuggestionLine>,
    /// The moves a review form offers: code and words.
    moves: Vec<(&'static str, &'static str)>,
}

impl SuggestionsPage {
    /// The refusal of suggestion `id`'s form, if it was refused.
    fn err(&self, id: &Uuid) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(e, _)| e == id)
            .map(|(_, f)| f.message.as_str())
    }
}

/// `?done=…`.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn page_of(
    state: &AppState,
    page: &Page,
    flash: Option<&'static str>,
    error: Option<(Uuid, FieldError)>,
) -> Result<SuggestionsPage, PageError> {
    let lang = page.lang;
    let calendar = *state.ledger.calendar();
    let list = state
        .ledger
        .suggestions(&page.actor)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let lines = list
        .into_iter()
        .map(|s| SuggestionLine {
            id: s.id,
            number: s.number,
            enterprise: s.enterprise,
            category: s.category.label(lang),
            note: s.note,
            proposer: finder_name(&s.reporter, lang),
            anonymous: s.reporter.anonymous,
            received: local(&calendar, s.created_at),
            status: s.status.label(lang),
            status_code: s.status.wire_name(),
            decided: s.status.is_decided(),
            reply: s.reply.unwrap_or_default(),
        })
        .collect();
    let moves = [
        SuggestionStatus::UnderReview,
        SuggestionStatus::Adopted,
        SuggestionStatus::NotAdopted,
    ]
    .into_iter()
    .map(|s| (s.wire_name(), s.label(lang)))
    .collect();
    Ok(SuggestionsPage {
        // Under the rewards in the navigation: adopted suggestions join the reward lists.
        chrome: page.chrome("rewards", "/suggestions"),
        flash,
        error,
        lines,
        moves,
    })
}

/// `GET /suggestions`.
pub async fn suggestions(
    State(state): State<AppState>,
    page: Page,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let flash = done.done.is_some().then_some(page.t().done_suggestion);
    let p = page_of(&state, &page, flash, None).await?;
    Ok(render(&p).into_response())
}

/// The review form.
#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reply: String,
}

/// `POST /suggestions/{id}/review`: moves a suggestion on, with the reply the worker sees.
pub async fn review_suggestion(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let id = super::id_of(&id, page.lang)?;
    let Ok(to) = SuggestionStatus::from_wire(f.status.trim()) else {
        let fe = FieldError::at("status", page.t().fe_choose);
        let p = page_of(&state, &page, None, Some((id, fe))).await?;
        return Ok((axum::http::StatusCode::BAD_REQUEST, render(&p)).into_response());
    };
    let reply = Some(f.reply.trim().to_owned()).filter(|r| !r.is_empty());
    match state
        .ledger
        .review_suggestion(&page.actor, id, to, reply, state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/suggestions?done=review#s-{id}")).into_response()),
        Err(e) if is_form_error(&e) => {
            let status = refusal_status(&e);
            let fe = FieldError::of(&e, page.lang, &[("suggestion_decided", "status")]);
            let p = page_of(&state, &page, None, Some((id, fe))).await?;
            Ok((status, render(&p)).into_response())
        }
        Err(e) => Err(PageError::ledger(page.lang, e)),
    }
}
