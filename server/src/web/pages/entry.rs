//! The entry page (台账条目): every report with its photos side by side, the place, the
//! finders (匿名 for the anonymous), the plan, the history as a timeline, before and after
//! photos, the possible duplicate beside this entry, and a form for each step the officer may
//! take now (asked of the ledger, [`hazardsnap_ledger::rules::workflow::Permitted`]): the
//! loop's steps, listed supervision (挂牌督办: the bureau accepts with a unit and a deadline or
//! declines with a reason, and alone verifies and lifts a listed entry), reclassification and
//! transfer. A step's refusal is shown next to the field it concerns; a success says what
//! happened.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use hazardsnap_ledger::repo::rows::{Supervision, SupervisionState};
use hazardsnap_ledger::rules::workflow::Permitted;
use hazardsnap_ledger::views::EntryDetail;
use hazardsnap_ledger::{LedgerError, OfficerAction};
use hazardsnap_model::{
    Category, Funds, Labelled, Lang, RectificationLevel, RectificationPlan, Severity,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{finder_name, history_action, local};
use crate::state::AppState;
use crate::web::i18n::{Texts, localize, texts};
use crate::web::{Chrome, Page, PageError, is_form_error, render};

/// A refusal shown on a form: which form, which field, what.
pub struct FormError {
    /// The form (`confirm`, `reject`…).
    pub action: String,
    /// The field, when the refusal concerns one.
    pub field: Option<String>,
    /// The message, in the reader's language.
    pub message: String,
}

/// The confirm form's values, kept when it is refused.
#[derive(Default)]
pub struct PlanValues {
    responsible: String,
    measures: String,
    funds: String,
    deadline: String,
    contingency: String,
    level: String,
}

/// One report as its card shows it.
pub struct ReportCard {
    id: Uuid,
    finder: String,
    captured: String,
    received: String,
    photos: Vec<String>,
    note: String,
    category: &'static str,
    severity: &'static str,
    source: &'static str,
    at_risk: String,
    place: String,
    gps: Option<String>,
}

/// The possible duplicate beside this entry.
pub struct Duplicate {
    id: Uuid,
    number: String,
    status: &'static str,
    photos: Vec<String>,
    note: String,
}

/// Where listed supervision (挂牌督办) stands, as shown.
pub struct SupervisionLine {
    /// `requested`, `accepted`, `declined` or `lifted` (the badge's class).
    state: &'static str,
    /// The state in words.
    label: &'static str,
    unit: String,
    deadline: String,
    by: String,
    at: String,
    note: String,
    /// Who and when: the escalating officer while it waits, else the bureau's decision.
    by_label: &'static str,
    at_label: &'static str,
}

/// A supervision's state in the reader's language, with its code.
pub(crate) fn supervision_state(s: SupervisionState, lang: Lang) -> (&'static str, &'static str) {
    let t = texts(lang);
    match s {
        SupervisionState::Requested => ("requested", t.sv_requested),
        SupervisionState::Accepted => ("accepted", t.sv_listed),
        SupervisionState::Declined => ("declined", t.sv_declined),
        SupervisionState::Lifted => ("lifted", t.sv_lifted),
    }
}

fn supervision_line(
    s: &Supervision,
    calendar: &hazardsnap_ledger::Calendar,
    lang: Lang,
) -> SupervisionLine {
    let (state, label) = supervision_state(s.state, lang);
    let t = texts(lang);
    let (by_label, at_label) = match s.state {
        SupervisionState::Requested => (t.sv_requested_by, t.sv_requested_at),
        _ => (t.sv_by, t.sv_at),
    };
    SupervisionLine {
        by_label,
        at_label,
        state,
        label,
        unit: s.unit.clone().unwrap_or_default(),
        deadline: s.deadline.map(|d| d.to_string()).unwrap_or_default(),
        by: s.by.clone().unwrap_or_default(),
        at: local(calendar, s.at),
        note: s.note.clone().unwrap_or_default(),
    }
}

/// One event of the history.
pub struct HistoryLine {
    when: String,
    who: String,
    action: String,
    detail: String,
}

#[derive(askama::Template)]
#[template(path = "entry.html")]
struct EntryPage {
    chrome: Chrome,
    e: EntryDetail,
    flash: Option<&'static str>,
    form_error: Option<FormError>,
    open: String,
    values: PlanValues,
    levels: Vec<(&'static str, &'static str)>,
    today: String,
    first_finder: String,
    other_finders: String,
    created: String,
    reports: Vec<ReportCard>,
    before: Vec<String>,
    duplicate: Option<Duplicate>,
    can_merge: bool,
    actions: Vec<String>,
    history: Vec<HistoryLine>,
    may: Permitted,
    supervision: Option<SupervisionLine>,
    categories: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    enterprises: Vec<(String, String)>,
}

impl EntryPage {
    /// Whether the refused form's field is `field` (the confirm form).
    fn err(&self, field: &str) -> bool {
        self.err_in("confirm", field)
    }

    /// Whether the refused form is `action` and its field `field` (or no field at all).
    fn err_in(&self, action: &str, field: &str) -> bool {
        self.form_error
            .as_ref()
            .is_some_and(|f| f.action == action && f.field.as_deref().is_none_or(|x| x == field))
    }

    /// The refusal's message.
    fn err_text(&self) -> &str {
        self.form_error.as_ref().map_or("", |f| f.message.as_str())
    }
}

/// `?done=…`: what the step just made did.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn done_message(t: &'static Texts, done: &str) -> Option<&'static str> {
    Some(match done {
        "confirm" => t.done_confirm,
        "reject" => t.done_reject,
        "merge" => t.done_merge,
        "not_duplicate" => t.done_not_duplicate,
        "rectified" => t.done_rectified,
        "verify_accept" => t.done_verify_accept,
        "verify_return" => t.done_verify_return,
        "escalate" => t.done_escalate,
        "request_extension" => t.done_request_extension,
        "decide_extension" => t.done_decide_extension,
        "split" => t.done_split,
        "accept_supervision" => t.done_accept_supervision,
        "reclassify" => t.done_reclassify,
        "transfer" => t.done_transfer,
        "filed" => t.done_filed_entry,
        _ => return None,
    })
}

/// Builds the entry page.
async fn page_of(
    state: &AppState,
    page: &Page,
    id: Uuid,
    flash: Option<&'static str>,
    form_error: Option<FormError>,
    values: PlanValues,
) -> Result<EntryPage, PageError> {
    let lang = page.lang;
    let now = state.now();
    let calendar = *state.ledger.calendar();
    let e = state
        .ledger
        .entry_detail(&page.actor, id, now)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let may = state
        .ledger
        .permitted(&page.actor, id)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let enterprises = if may.transfer {
        state
            .ledger
            .enterprise_choices(&page.actor)
            .await
            .map_err(|e| PageError::ledger(lang, e))?
            .into_iter()
            .filter(|x| x.code != e.summary.enterprise)
            .map(|x| (x.code, x.name))
            .collect()
    } else {
        Vec::new()
    };
    let duplicate = match e.possible_duplicate_of {
        Some(other) if e.summary.status.is_open() => {
            match state.ledger.entry_detail(&page.actor, other, now).await {
                Ok(d) => Some(Duplicate {
                    id: d.summary.id,
                    number: d.summary.number.clone(),
                    status: d.summary.status.label(lang),
                    photos: d.reports.iter().flat_map(|r| r.photos.clone()).collect(),
                    note: d
                        .reports
                        .iter()
                        .map(|r| r.note.trim())
                        .find(|n| !n.is_empty())
                        .unwrap_or_default()
                        .to_owned(),
                }),
                // The other entry left the officer's jurisdiction, or is gone: nothing to show.
                Err(LedgerError::NotFound) => None,
                Err(err) => return Err(PageError::ledger(lang, err)),
            }
        }
        _ => None,
    };
    let reports: Vec<ReportCard> = e
        .reports
        .iter()
        .map(|r| ReportCard {
            id: r.id,
            finder: finder_name(&r.reporter, lang),
            captured: local(&calendar, r.captured_at),
            received: local(&calendar, r.received_at),
            photos: r.photos.clone(),
            note: r.note.clone(),
            category: r.category.label(lang),
            severity: r.severity.label(lang),
            source: r.source.label(lang),
            at_risk: r
                .at_risk
                .iter()
                .map(|a| a.label(lang))
                .collect::<Vec<_>>()
                .join("、"),
            place: [&r.site_code, &r.workshop, &r.team]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" · "),
            gps: r.location.map(|l| format!("{:.5}, {:.5}", l.lat, l.lon)),
        })
        .collect();
    let t = texts(lang);
    let first_finder = e
        .summary
        .first_reporter
        .as_ref()
        .map(|r| finder_name(r, lang))
        .unwrap_or_else(|| t.none.to_owned());
    let mut others: Vec<String> = reports.iter().skip(1).map(|r| r.finder.clone()).collect();
    others.dedup();
    let history = e
        .history
        .iter()
        .map(|h| HistoryLine {
            when: local(&calendar, h.at),
            who: h.actor.clone().unwrap_or_else(|| t.en_filing.to_owned()),
            action: history_action(&h.action, lang),
            detail: h
                .details
                .as_deref()
                .map(|d| {
                    // Filing's evidence (JSON) and report ids are for auditors (the API
                    // has them); the page shows the officers' words.
                    if d.starts_with('{') || Uuid::parse_str(d).is_ok() {
                        String::new()
                    } else {
                        localize(d, lang)
                    }
                })
                .unwrap_or_default(),
        })
        .collect();
    let open = form_error
        .as_ref()
        .map(|f| f.action.clone())
        .unwrap_or_default();
    Ok(EntryPage {
        chrome: page.chrome("ledger", &format!("/entries/{id}")),
        flash,
        open,
        values,
        levels: RectificationLevel::ALL
            .iter()
            .map(|l| (l.wire_name(), l.label(lang)))
            .collect(),
        today: calendar.today(now).to_string(),
        first_finder,
        other_finders: others.join("、"),
        created: local(&calendar, e.summary.created_at),
        before: reports.iter().flat_map(|r| r.photos.clone()).collect(),
        can_merge: may.actions.iter().any(|a| a.wire_name() == "merge"),
        actions: may
            .actions
            .iter()
            .map(|a| a.wire_name().to_owned())
            .collect(),
        history,
        supervision: e
            .summary
            .supervision
            .as_ref()
            .map(|s| supervision_line(s, &calendar, lang)),
        categories: super::options::<Category>(lang),
        severities: super::options::<Severity>(lang),
        enterprises,
        may,
        reports,
        duplicate,
        form_error,
        e,
    })
}

/// `GET /entries/{id}`.
pub async fn entry(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let id = super::id_of(&id, page.lang)?;
    let flash = done.done.as_deref().and_then(|d| done_message(page.t(), d));
    let p = page_of(&state, &page, id, flash, None, PlanValues::default()).await?;
    Ok(render(&p).into_response())
}

/// The fields of every step's form (each form sends its own).
#[derive(Debug, Default, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    reason: Option<String>,
    note: Option<String>,
    into: Option<String>,
    accepted: Option<String>,
    approved: Option<String>,
    responsible: Option<String>,
    measures: Option<String>,
    funds: Option<String>,
    deadline: Option<String>,
    contingency: Option<String>,
    level: Option<String>,
    new_deadline: Option<String>,
    report_id: Option<String>,
    unit: Option<String>,
    category: Option<String>,
    severity: Option<String>,
    enterprise: Option<String>,
}

/// A form's own refusal (a value that does not parse), before the rules are asked.
fn field_error(action: &str, field: &str, lang: Lang) -> FormError {
    let t = texts(lang);
    let (zh, en) = match field {
        "funds" => (
            "资金须为不小于零的金额（元，最多两位小数）",
            "funds must be an amount in yuan, at most two decimals",
        ),
        "deadline" | "new_deadline" => ("请填写有效日期", "enter a valid date"),
        "level" => ("请选择整改层级", "choose a level"),
        "category" => ("请选择类别", "choose a category"),
        "severity" => ("请选择等级", "choose a severity"),
        "into" => (
            "未找到该编号的条目（或不在您的辖区内）",
            "no entry with this number in your jurisdiction",
        ),
        _ => (t.form_has_errors, t.form_has_errors),
    };
    FormError {
        action: action.to_owned(),
        field: Some(field.to_owned()),
        message: match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        },
    }
}

fn date(s: Option<&str>) -> Option<NaiveDate> {
    s.and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
}

/// The step a form asks for, or the form's own refusal.
async fn action_of(
    state: &AppState,
    page: &Page,
    action: &str,
    f: &ActForm,
) -> Result<OfficerAction, FormError> {
    let lang = page.lang;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(match action {
        "confirm" => {
            let funds = Funds::parse_yuan(f.funds.as_deref().unwrap_or("0"))
                .ok_or_else(|| field_error(action, "funds", lang))?;
            let deadline =
                date(f.deadline.as_deref()).ok_or_else(|| field_error(action, "deadline", lang))?;
            let level = f
                .level
                .as_deref()
                .and_then(|l| RectificationLevel::from_wire(l).ok())
                .ok_or_else(|| field_error(action, "level", lang))?;
            OfficerAction::Confirm(RectificationPlan {
                responsible: text(&f.responsible),
                measures: text(&f.measures),
                funds,
                deadline,
                contingency: text(&f.contingency),
                level,
            })
        }
        "reject" => OfficerAction::Reject {
            reason: text(&f.reason),
        },
        "merge" => {
            let into = f.into.as_deref().unwrap_or_default().trim();
            let into = match Uuid::parse_str(into) {
                Ok(id) => id,
                Err(_) => state
                    .ledger
                    .entry_id_by_number(&page.actor, into.to_owned())
                    .await
                    .map_err(|_| field_error(action, "into", lang))?,
            };
            OfficerAction::Merge {
                into,
                reason: f.reason.clone(),
            }
        }
        "not_duplicate" => OfficerAction::NotDuplicate {
            reason: f.reason.clone(),
        },
        "verify" => OfficerAction::Verify {
            accepted: f.accepted.as_deref() == Some("true"),
            note: f.note.clone(),
        },
        "escalate" => OfficerAction::Escalate {
            reason: f.reason.clone(),
        },
        "request_extension" => OfficerAction::RequestExtension {
            new_deadline: date(f.new_deadline.as_deref())
                .ok_or_else(|| field_error(action, "new_deadline", lang))?,
            reason: text(&f.reason),
        },
        "decide_extension" => OfficerAction::DecideExtension {
            approved: f.approved.as_deref() == Some("true"),
            note: f.note.clone(),
        },
        "split" => OfficerAction::Split {
            report_id: f
                .report_id
                .as_deref()
                .and_then(|r| Uuid::parse_str(r).ok())
                .ok_or_else(|| field_error(action, "report_id", lang))?,
            reason: text(&f.reason),
        },
        "accept_supervision" => OfficerAction::AcceptSupervision {
            unit: text(&f.unit),
            deadline: date(f.deadline.as_deref())
                .ok_or_else(|| field_error(action, "deadline", lang))?,
        },
        "decline_supervision" => OfficerAction::DeclineSupervision {
            reason: text(&f.reason),
        },
        "reclassify" => OfficerAction::Reclassify {
            category: Some(
                f.category
                    .as_deref()
                    .and_then(|c| Category::from_wire(c).ok())
                    .ok_or_else(|| field_error(action, "category", lang))?,
            ),
            severity: Some(
                f.severity
                    .as_deref()
                    .and_then(|c| Severity::from_wire(c).ok())
                    .ok_or_else(|| field_error(action, "severity", lang))?,
            ),
            reason: text(&f.reason),
        },
        "transfer" => OfficerAction::Transfer {
            enterprise: text(&f.enterprise),
            reason: text(&f.reason),
        },
        _ => {
            return Err(FormError {
                action: action.to_owned(),
                field: None,
                message: texts(lang).err_not_found.to_owned(),
            });
        }
    })
}

/// What a done step is called in `?done=`.
fn done_code(action: &OfficerAction) -> &'static str {
    match action {
        OfficerAction::Confirm(_) => "confirm",
        OfficerAction::Reject { .. } => "reject",
        OfficerAction::Merge { .. } => "merge",
        OfficerAction::NotDuplicate { .. } => "not_duplicate",
        OfficerAction::Rectified { .. } => "rectified",
        OfficerAction::Verify { accepted: true, .. } => "verify_accept",
        OfficerAction::Verify { .. } => "verify_return",
        OfficerAction::Escalate { .. } => "escalate",
        OfficerAction::RequestExtension { .. } => "request_extension",
        OfficerAction::DecideExtension { .. } => "decide_extension",
        OfficerAction::Split { .. } => "split",
        OfficerAction::AcceptSupervision { .. } => "accept_supervision",
        OfficerAction::DeclineSupervision { .. } => "decline_supervision",
        OfficerAction::Reclassify { .. } => "reclassify",
        OfficerAction::Transfer { .. } => "transfer",
    }
}

/// Applies a step through the ledger: on success back to the entry shown afterwards, saying
/// what happened; a refusal of an input rule or of the loop re-renders the page with it next
/// to its field; anything else is an error page.
async fn apply(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: &str,
    action: Result<OfficerAction, FormError>,
    values: PlanValues,
) -> Result<Response, PageError> {
    let refused = |fe: FormError, status: StatusCode, values: PlanValues| async move {
        let p = page_of(state, page, id, None, Some(fe), values).await?;
        Ok::<Response, PageError>((status, render(&p)).into_response())
    };
    let action = match action {
        Ok(a) => a,
        Err(fe) => return refused(fe, StatusCode::BAD_REQUEST, values).await,
    };
    let code = done_code(&action);
    match state.ledger.act(&page.actor, id, action, state.now()).await {
        // A declined escalation leaves the bureau's sight: it goes back to its notices.
        Ok(_) if code == "decline_supervision" => {
            Ok(Redirect::to(&format!("/notices?done={code}")).into_response())
        }
        Ok(shown) => Ok(Redirect::to(&format!("/entries/{shown}?done={code}")).into_response()),
        Err(e) if is_form_error(&e) => {
            let status = match e.kind() {
                hazardsnap_ledger::ErrorKind::Conflict => StatusCode::CONFLICT,
                hazardsnap_ledger::ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::BAD_REQUEST,
            };
            let fe = FormError {
                action: form.to_owned(),
                field: e.field().map(str::to_owned),
                message: localize(&e.to_string(), page.lang),
            };
            refused(fe, status, values).await
        }
        Err(e) => Err(PageError::ledger(page.lang, e)),
    }
}

/// `POST /entries/{id}/act/{action}`: one step, from its form.
pub async fn act(
    State(state): State<AppState>,
    page: Page,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let id = super::id_of(&id, page.lang)?;
    let values = PlanValues {
        responsible: f.responsible.clone().unwrap_or_default(),
        measures: f.measures.clone().unwrap_or_default(),
        funds: f.funds.clone().unwrap_or_default(),
        deadline: f.deadline.clone().unwrap_or_default(),
        contingency: f.contingency.clone().unwrap_or_default(),
        level: f.level.clone().unwrap_or_default(),
    };
    let step = action_of(&state, &page, &action, &f).await;
    apply(&state, &page, id, &action, step, values).await
}

/// `POST /entries/{id}/rectified`: the rectification with after-photos uploaded from the
/// browser. Every photo goes through the photo pipeline like a phone's (decoded under limits,
/// oriented, resized, re-encoded without metadata) before it is kept.
pub async fn rectified(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let id = super::id_of(&id, lang)?;
    let mut csrf = String::new();
    let mut note = String::new();
    let mut files: Vec<Vec<u8>> = Vec::new();
    let bad = |e| crate::web::unreadable_form(lang, e);
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "note" => note = field.text().await.map_err(bad)?,
            "photos" => {
                let bytes = field.bytes().await.map_err(bad)?;
                if !bytes.is_empty() {
                    files.push(bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    page.check(&csrf)?;
    let most = hazardsnap_model::MAX_PHOTOS_PER_REPORT;
    if files.len() > most {
        let fe = FormError {
            action: "rectified".into(),
            field: Some("photos".into()),
            message: match lang {
                Lang::Zh => format!("最多 {most} 张照片"),
                Lang::En => format!("at most {most} photos"),
            },
        };
        return apply(
            &state,
            &page,
            id,
            "rectified",
            Err(fe),
            PlanValues::default(),
        )
        .await;
    }
    let mut names = Vec::new();
    for bytes in files {
        match super::photos::keep_upload(&state, bytes).await {
            Ok(sha) => names.push(sha),
            Err(message) => {
                let fe = FormError {
                    action: "rectified".into(),
                    field: Some("photos".into()),
                    message: localize(&message, lang),
                };
                return apply(
                    &state,
                    &page,
                    id,
                    "rectified",
                    Err(fe),
                    PlanValues::default(),
                )
                .await;
            }
        }
    }
    let step = OfficerAction::Rectified {
        note,
        photos: names,
    };
    apply(
        &state,
        &page,
        id,
        "rectified",
        Ok(step),
        PlanValues::default(),
    )
    .await
}

#[derive(askama::Template)]
#[template(path = "notice.html")]
struct Notice {
    chrome: Chrome,
    e: EntryDetail,
    photos: Vec<String>,
    today: String,
    issued_by: String,
    found: String,
    note: String,
    place: String,
}

/// `GET /entries/{id}/notice`: the printable rectification notice (隐患整改通知书), A4.
pub async fn notice(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let id = super::id_of(&id, lang)?;
    let now = state.now();
    let calendar = *state.ledger.calendar();
    let e = state
        .ledger
        .entry_detail(&page.actor, id, now)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let first = e.reports.first();
    let n = Notice {
        chrome: page.chrome("ledger", &format!("/entries/{id}/notice")),
        photos: e
            .reports
            .iter()
            .flat_map(|r| r.photos.clone())
            .take(4)
            .collect(),
        today: calendar.today(now).to_string(),
        // The issuing unit, then who issued it.
        issued_by: format!(
            "{}{}{}{}",
            page.actor.role().label(lang),
            texts(lang).lp,
            page.actor.name(),
            texts(lang).rp
        ),
        found: local(&calendar, e.summary.created_at),
        note: e
            .reports
            .iter()
            .map(|r| r.note.trim())
            .find(|n| !n.is_empty())
            .unwrap_or_default()
            .to_owned(),
        place: first
            .map(|r| {
                [&r.site_code, &r.workshop, &r.team]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default(),
        e,
    };
    Ok(render(&n).into_response())
}
