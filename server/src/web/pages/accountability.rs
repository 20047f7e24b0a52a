//! The accountability pages (问责与奖励): the officer's notices (待办提醒: new reports, due in
//! three days, overdue, escalated to the bureau, listed hazards to lift, the monthly report),
//! an officer filing a hazard themselves (an inspection's or a hotline call's, with photos
//! uploaded from the browser through the photo pipeline), and the reward register (奖励发放登记:
//! what was granted, for what, how much, approved by, paid on and by; 匿名 for an anonymous
//! finder, never a name) with the district's grant, paid and redeem forms and its Excel
//! export. Every rule is the ledger's (`file_entry`, `grant_reward`, `pay_reward`,
//! `redeem_reward`, `notices`): a handler only translates a form and renders the answer.

use std::collections::HashSet;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate};
use hazardsnap_ledger::LedgerError;
use hazardsnap_ledger::rules::desk::{NewEntry, OfficerSource};
use hazardsnap_ledger::rules::monthly::MonthlyReminder;
use hazardsnap_ledger::rules::notices::NoticeKind;
use hazardsnap_ledger::rules::rewards::RewardView;
use hazardsnap_ledger::views::RewardKind;
use hazardsnap_model::{Category, Funds, Labelled, Lang, Severity};
use serde::Deserialize;
use uuid::Uuid;

use super::home::{Reminder, reminder_of};
use super::{FieldError, local, options, refusal_status};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::i18n::{Texts, localize, texts};
use crate::web::{Chrome, Page, PageError, is_form_error, render};

/// `?done=…`: what the form just sent did.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Notices

/// One notice as shown.
pub struct NoticeBlock {
    /// The kind's code (its section's id).
    kind: &'static str,
    /// What it is about.
    title: &'static str,
    /// How many entries.
    count: u64,
    /// The first of them: id, number, enterprise, deadline.
    entries: Vec<(Uuid, String, String, String)>,
    /// All of them, on the ledger's (or the review's) page.
    all: &'static str,
}

#[derive(askama::Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    chrome: Chrome,
    flash: Option<&'static str>,
    blocks: Vec<NoticeBlock>,
    monthly: Option<Reminder>,
}

fn notice_words(kind: NoticeKind, t: &'static Texts) -> (&'static str, &'static str, &'static str) {
    match kind {
        NoticeKind::NewReports => ("new_reports", t.nt_new_reports, "/review"),
        NoticeKind::DueSoon => (
            "due_soon",
            t.nt_due_soon,
            "/ledger?due_within_days=3&sort=deadline",
        ),
        NoticeKind::Overdue => (
            "overdue",
            t.nt_overdue,
            "/ledger?overdue=true&sort=deadline",
        ),
        NoticeKind::EscalatedToMe => ("escalated_to_me", t.nt_escalated_to_me, "/ledger"),
        NoticeKind::AwaitingLift => (
            "awaiting_lift",
            t.nt_awaiting_lift,
            "/ledger?status=awaiting_verification",
        ),
    }
}

/// How many things the officer's notices hold (the workbench's tile).
pub(super) async fn notice_count(state: &AppState, page: &Page) -> Result<u64, PageError> {
    let n = state
        .ledger
        .notices(&page.actor, state.now())
        .await
        .map_err(|e| PageError::ledger(page.lang, e))?;
    Ok(n.notices.iter().map(|x| x.count).sum::<u64>() + u64::from(n.monthly.is_some()))
}

/// `GET /notices`: what needs the officer now, each entry linking to its page.
pub async fn notices(
    State(state): State<AppState>,
    page: Page,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let t = page.t();
    let n = state
        .ledger
        .notices(&page.actor, state.now())
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let blocks = n
        .notices
        .into_iter()
        .map(|x| {
            let (kind, title, all) = notice_words(x.kind, t);
            NoticeBlock {
                kind,
                title,
                count: x.count,
                entries: x
                    .entries
                    .into_iter()
                    .map(|e| {
                        (
                            e.id,
                            e.number,
                            e.enterprise_name,
                            e.deadline.map(|d| d.to_string()).unwrap_or_default(),
                        )
                    })
                    .collect(),
                all,
            }
        })
        .collect();
    let monthly = n.monthly.and_then(|m| {
        reminder_of(
            MonthlyReminder {
                month: m.month,
                due: m.due,
                late: m.late,
                towns_missing: m.towns_missing,
            },
            page.is_district(),
            lang,
        )
    });
    let p = NoticesPage {
        chrome: page.chrome("notices", "/notices"),
        flash: match done.done.as_deref() {
            Some("decline_supervision") => Some(t.done_decline_supervision),
            _ => None,
        },
        blocks,
        monthly,
    };
    Ok(render(&p).into_response())
}

// ---------------------------------------------------------------------------------------
// An officer files an entry

/// The filing form's values, kept when it is refused.
#[derive(Debug, Default)]
pub struct EntryValues {
    enterprise: String,
    category: String,
    severity: String,
    source: String,
    note: String,
    site: String,
}

#[derive(askama::Template)]
#[template(path = "new_entry.html")]
struct NewEntryPage {
    chrome: Chrome,
    error: Option<FieldError>,
    values: EntryValues,
    enterprises: Vec<(String, String)>,
    categories: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    most_photos: usize,
}

impl NewEntryPage {
    /// Whether the refusal concerns `field` (or stands above the form).
    fn err(&self, field: &str) -> bool {
        self.error
            .as_ref()
            .is_some_and(|e| e.field.as_deref() == Some(field))
    }

    /// Whether the refusal names no field: it stands above the form.
    fn general(&self) -> bool {
        self.error.as_ref().is_some_and(|e| e.field.is_none())
    }

    /// The refusal's message.
    fn err_text(&self) -> &str {
        self.error.as_ref().map_or("", |e| e.message.as_str())
    }

    /// The photos field's label, with the most photos.
    fn photos_label(&self) -> String {
        super::fill(
            self.chrome.t.ne_photos,
            &[("n", &self.most_photos.to_string())],
        )
    }
}

/// The bureau files nothing: it receives what is escalated.
fn may_file(page: &Page) -> Result<(), PageError> {
    if !hazardsnap_ledger::Ledger::may_file_entries(&page.actor) {
        Err(PageError::new(page.lang, AppError::Forbidden))
    } else {
        Ok(())
    }
}

async fn new_entry_page(
    state: &AppState,
    page: &Page,
    error: Option<FieldError>,
    values: EntryValues,
) -> Result<NewEntryPage, PageError> {
    let lang = page.lang;
    let t = page.t();
    let enterprises = state
        .ledger
        .enterprise_choices(&page.actor)
        .await
        .map_err(|e| PageError::ledger(lang, e))?
        .into_iter()
        .map(|e| (e.code, e.name))
        .collect();
    Ok(NewEntryPage {
        chrome: page.chrome("ledger", "/ledger/new"),
        error,
        values,
        enterprises,
        categories: options::<Category>(lang),
        severities: options::<Severity>(lang),
        sources: vec![("inspection", t.ne_inspection), ("hotline", t.ne_hotline)],
        most_photos: hazardsnap_model::MAX_PHOTOS_PER_REPORT,
    })
}

/// `GET /ledger/new`: the form.
pub async fn new_entry(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    may_file(&page)?;
    let p = new_entry_page(&state, &page, None, EntryValues::default()).await?;
    Ok(render(&p).into_response())
}

/// `POST /ledger/new`: files the hazard with its photos (multipart); on success, the new
/// entry's page says so.
pub async fn file_entry(
    State(state): State<AppState>,
    page: Page,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let lang = page.lang;
    may_file(&page)?;
    let bad = |e| crate::web::unreadable_form(lang, e);
    let mut csrf = String::new();
    let mut v = EntryValues::default();
    let mut files: Vec<Vec<u8>> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "photos" => {
                let bytes = field.bytes().await.map_err(bad)?;
                if !bytes.is_empty() {
                    files.push(bytes.to_vec());
                }
            }
            _ => {
                let text = field.text().await.map_err(bad)?;
                match name.as_str() {
                    "csrf" => csrf = text,
                    "enterprise" => v.enterprise = text.trim().to_owned(),
                    "category" => v.category = text,
                    "severity" => v.severity = text,
                    "source" => v.source = text,
                    "note" => v.note = text,
                    "site" => v.site = text.trim().to_owned(),
                    _ => {}
                }
            }
        }
    }
    page.check(&csrf)?;
    let refused = |error: FieldError, status: StatusCode, values: EntryValues| {
        let (state, page) = (&state, &page);
        async move {
            let p = new_entry_page(state, page, Some(error), values).await?;
            Ok::<Response, PageError>((status, render(&p)).into_response())
        }
    };
    let t = texts(lang);
    let choose = |field: &str| FieldError::at(field, t.fe_choose);
    if v.enterprise.is_empty() {
        return refused(choose("enterprise"), StatusCode::BAD_REQUEST, v).await;
    }
    let Ok(category) = Category::from_wire(&v.category) else {
        return refused(choose("category"), StatusCode::BAD_REQUEST, v).await;
    };
    let Ok(severity) = Severity::from_wire(&v.severity) else {
        return refused(choose("severity"), StatusCode::BAD_REQUEST, v).await;
    };
    let source = match v.source.as_str() {
        "inspection" => OfficerSource::Inspection,
        "hotline" => OfficerSource::Hotline,
        _ => return refused(choose("source"), StatusCode::BAD_REQUEST, v).await,
    };
    let most = hazardsnap_model::MAX_PHOTOS_PER_REPORT;
    if files.len() > most {
        let message = match lang {
            Lang::Zh => format!("最多 {most} 张照片"),
            Lang::En => format!("at most {most} photos"),
        };
        return refused(
            FieldError::at("photos", message),
            StatusCode::BAD_REQUEST,
            v,
        )
        .await;
    }
    // Every photo through the pipeline (resized, stripped) before the ledger sees its name.
    let mut photos = Vec::new();
    for bytes in files {
        match super::photos::keep_upload(&state, bytes).await {
            Ok(sha) => photos.push(sha),
            Err(message) => {
                return refused(
                    FieldError::at("photos", localize(&message, lang)),
                    StatusCode::BAD_REQUEST,
                    v,
                )
                .await;
            }
        }
    }
    let new = NewEntry {
        enterprise: v.enterprise.clone(),
        category,
        severity,
        note: v.note.clone(),
        photos,
        source,
        site: Some(v.site.clone()).filter(|s| !s.is_empty()),
    };
    match state.ledger.file_entry(&page.actor, new, state.now()).await {
        Ok(id) => Ok(Redirect::to(&format!("/entries/{id}?done=filed")).into_response()),
        // An enterprise outside the jurisdiction is, for this officer, no enterprise.
        Err(LedgerError::NotFound) => {
            refused(
                FieldError::at("enterprise", t.err_not_found),
                StatusCode::BAD_REQUEST,
                v,
            )
            .await
        }
        Err(e) if is_form_error(&e) => {
            let status = refusal_status(&e);
            refused(
                FieldError::of(&e, lang, &[("unknown_site", "site")]),
                status,
                v,
            )
            .await
        }
        Err(e) => Err(PageError::ledger(lang, e)),
    }
}

// ---------------------------------------------------------------------------------------
// The reward register

/// One line of the register as shown.
pub struct RegisterLine {
    id: Uuid,
    number: String,
    href: Option<String>,
    kind: &'static str,
    enterprise: String,
    /// The worker's name and code, or 匿名.
    finder: String,
    anonymous: bool,
    amount: String,
    approved_by: String,
    granted_at: String,
    paid_on: String,
    paid_by: String,
}

/// A reward the district may still grant: its form value and its words.
pub struct Candidate {
    value: String,
    label: String,
}

#[derive(askama::Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    flash: Option<&'static str>,
    /// The refused form (`grant`, `paid`, `redeem`) and its refusal.
    error: Option<(String, FieldError)>,
    /// The reward whose paid form was refused.
    error_id: Option<Uuid>,
    district: bool,
    lines: Vec<RegisterLine>,
    candidates: Vec<Candidate>,
    today: String,
}

impl RegisterPage {
    /// Whether form `form` was refused (at `field`, or above the form).
    fn err(&self, form: &str, field: &str) -> bool {
        self.error
            .as_ref()
            .is_some_and(|(f, e)| f == form && e.field.as_deref().is_none_or(|x| x == field))
    }

    /// Whether the paid form of reward `id` was refused.
    fn err_paid(&self, id: &Uuid) -> bool {
        self.error_id.as_ref() == Some(id)
    }

    /// The refusal's message.
    fn err_text(&self) -> &str {
        self.error.as_ref().map_or("", |(_, e)| e.message.as_str())
    }
}

fn kind_words(kind: RewardKind, t: &'static Texts) -> &'static str {
    match kind {
        RewardKind::MajorHazard => t.rw_major,
        RewardKind::AdoptedSuggestion => t.rw_suggestion,
    }
}

/// The finder as the register shows them: the worker's name (and roster code), or 匿名.
fn rewarded(r: &RewardView, lang: Lang) -> String {
    if r.anonymous {
        return texts(lang).anonymous.to_owned();
    }
    match (&r.worker_name, &r.worker) {
        (Some(n), Some(c)) => format!("{n}{}{c}{}", texts(lang).lp, texts(lang).rp),
        (Some(n), None) => n.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => String::new(),
    }
}

async fn register_page(
    state: &AppState,
    page: &Page,
    flash: Option<&'static str>,
    error: Option<(String, FieldError)>,
    error_id: Option<Uuid>,
) -> Result<RegisterPage, PageError> {
    let lang = page.lang;
    let t = page.t();
    let calendar = *state.ledger.calendar();
    let today = calendar.today(state.now());
    let register = state
        .ledger
        .rewards_register(&page.actor)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let district = page.is_district();
    let candidates = if district {
        // What the reward lists of the last year hold that the register does not yet.
        let granted: HashSet<Uuid> = register.iter().map(|r| r.subject_id).collect();
        state
            .ledger
            .rewards(&page.actor, today - Duration::days(366), today)
            .await
            .map_err(|e| PageError::ledger(lang, e))?
            .into_iter()
            .filter(|l| !granted.contains(&l.id))
            .map(|l| Candidate {
                value: format!(
                    "{}:{}",
                    match l.kind {
                        RewardKind::MajorHazard => "hazard",
                        RewardKind::AdoptedSuggestion => "suggestion",
                    },
                    l.id
                ),
                label: format!(
                    "{} · {} · {}",
                    l.number,
                    kind_words(l.kind, t),
                    l.finder
                        .as_ref()
                        .map(|f| super::finder_name(f, lang))
                        .unwrap_or_default()
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    let lines = register
        .iter()
        .map(|r| RegisterLine {
            id: r.id,
            number: r.number.clone(),
            href: (r.kind == RewardKind::MajorHazard).then(|| format!("/entries/{}", r.subject_id)),
            kind: kind_words(r.kind, t),
            enterprise: r.enterprise.clone(),
            finder: rewarded(r, lang),
            anonymous: r.anonymous,
            amount: r.amount.to_string(),
            approved_by: r.approved_by.clone(),
            granted_at: local(&calendar, r.granted_at),
            paid_on: r.paid_on.map(|d| d.to_string()).unwrap_or_default(),
            paid_by: r.paid_by.clone().unwrap_or_default(),
        })
        .collect();
    Ok(RegisterPage {
        chrome: page.chrome("rewards", "/rewards/register"),
        flash,
        error,
        error_id,
        district,
        lines,
        candidates,
        today: today.to_string(),
    })
}

/// `GET /rewards/register`.
pub async fn register(
    State(state): State<AppState>,
    page: Page,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let t = page.t();
    let flash = match done.done.as_deref() {
        Some("grant") => Some(t.done_grant),
        Some("paid") => Some(t.done_paid),
        Some("redeem") => Some(t.done_redeem),
        _ => None,
    };
    let p = register_page(&state, &page, flash, None, None).await?;
    Ok(render(&p).into_response())
}

/// Answers a register form: back to the register saying what happened, or the register with
/// the refusal next to its field.
async fn answer_register<T>(
    state: &AppState,
    page: &Page,
    form: &str,
    id: Option<Uuid>,
    result: Result<T, LedgerError>,
    fields: &[(&str, &str)],
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/rewards/register?done={form}")).into_response()),
        Err(e) if is_form_error(&e) => {
            let status = refusal_status(&e);
            let fe = FieldError::of(&e, page.lang, fields);
            let p = register_page(state, page, None, Some((form.to_owned(), fe)), id).await?;
            Ok((status, render(&p)).into_response())
        }
        Err(e) => Err(PageError::ledger(page.lang, e)),
    }
}

/// A refusal of a register form before the rules are asked.
async fn refuse_register(
    state: &AppState,
    page: &Page,
    form: &str,
    id: Option<Uuid>,
    fe: FieldError,
) -> Result<Response, PageError> {
    let p = register_page(state, page, None, Some((form.to_owned(), fe)), id).await?;
    Ok((StatusCode::BAD_REQUEST, render(&p)).into_response())
}

/// The grant form.
#[derive(Debug, Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    amount: String,
}

/// `POST /rewards/register`: the district grants a reward.
pub async fn grant(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<GrantForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let t = page.t();
    let subject = f.subject.split_once(':').and_then(|(k, id)| {
        let kind = match k {
            "hazard" => RewardKind::MajorHazard,
            "suggestion" => RewardKind::AdoptedSuggestion,
            _ => return None,
        };
        Uuid::parse_str(id).ok().map(|id| (kind, id))
    });
    let Some((kind, id)) = subject else {
        let fe = FieldError::at("subject", t.fe_choose);
        return refuse_register(&state, &page, "grant", None, fe).await;
    };
    let Some(amount) = Funds::parse_yuan(f.amount.trim()) else {
        let fe = FieldError::at("amount", t.fe_amount);
        return refuse_register(&state, &page, "grant", None, fe).await;
    };
    let result = state
        .ledger
        .grant_reward(&page.actor, kind, id, amount, state.now())
        .await;
    answer_register(
        &state,
        &page,
        "grant",
        None,
        result,
        &[
            ("invalid_amount", "amount"),
            ("already_rewarded", "subject"),
            ("not_rewardable", "subject"),
            ("finder_not_linked", "subject"),
            ("found_by_officer", "subject"),
        ],
    )
    .await
}

/// The paid form.
#[derive(Debug, Deserialize)]
pub struct PaidForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    paid_on: String,
}

/// `POST /rewards/register/{id}/paid`: the district records a named reward as paid.
pub async fn paid(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<PaidForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let id = super::id_of(&id, page.lang)?;
    let Ok(paid_on) = NaiveDate::parse_from_str(f.paid_on.trim(), "%Y-%m-%d") else {
        let fe = FieldError::at("paid_on", page.t().fe_date);
        return refuse_register(&state, &page, "paid", Some(id), fe).await;
    };
    let result = state
        .ledger
        .pay_reward(&page.actor, id, paid_on, state.now())
        .await;
    answer_register(&state, &page, "paid", Some(id), result, &[]).await
}

/// The redeem form.
#[derive(Debug, Deserialize)]
pub struct RedeemForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// `POST /rewards/redeem`: the district pays an anonymous reward against its code.
pub async fn redeem(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<RedeemForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let result = state
        .ledger
        .redeem_reward(&page.actor, f.code, state.now())
        .await;
    answer_register(
        &state,
        &page,
        "redeem",
        None,
        result,
        &[("unknown_code", "code")],
    )
    .await
}

/// `GET /rewards/register.xlsx`: the register as a spreadsheet, Chinese headers first.
pub async fn register_xlsx(
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let register = state
        .ledger
        .rewards_register(&page.actor)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let calendar = *state.ledger.calendar();
    let now = state.now();
    let by = page.actor.name().to_owned();
    let bytes = tokio::task::spawn_blocking(move || {
        crate::routes::campaign_export::rewards_register(&register, &calendar, &by, now)
    })
    .await
    .map_err(|e| PageError::new(lang, AppError::internal(e)))?
    .map_err(|e| PageError::new(lang, AppError::internal(e)))?;
    let day = calendar.today(now);
    Ok(crate::routes::campaign::xlsx(
        bytes,
        format!("reward-register-{day}.xlsx"),
        &format!("奖励发放登记-{day}.xlsx"),
    ))
}
