//! The front door: `GET /` (the login form for a visitor, the workbench for an officer, with
//! the monthly report's reminder when one is due), logging in and out by form, and the
//! language switch.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use hazardsnap_ledger::rules::overview::{MonthPoint, NeedsMe};
use hazardsnap_ledger::views::MonthlyRow;
use hazardsnap_model::Lang;
use serde::Deserialize;

use crate::auth::{same_origin_or_safe, session_cookie};
use crate::client::ClientKey;
use crate::error::AppError;
use crate::routes::session::sign_in;
use crate::state::AppState;
use crate::web::charts::{Group, grouped_bars};
use crate::web::i18n::texts;
use crate::web::{Chrome, LANG_COOKIE, Page, PageError, lang_of, render};

#[derive(askama::Template)]
#[template(path = "login.html")]
struct Login {
    chrome: Chrome,
    error: Option<&'static str>,
    username: String,
}

#[derive(askama::Template)]
#[template(path = "workbench.html")]
struct Workbench {
    chrome: Chrome,
    needs: NeedsMe,
    month: MonthlyRow,
    month_label: String,
    rate: String,
    chart: String,
    reminder: Option<Reminder>,
    /// How many things the notices hold.
    notices: u64,
}

/// The workbench's notice of a monthly report due or late (月报提醒).
pub struct Reminder {
    /// What it says.
    pub(crate) text: String,
    /// The report's page.
    pub(crate) href: String,
    /// Past the due day.
    pub(crate) late: bool,
}

/// The reminder's sentence: the town's own report, or the towns the district still waits for.
pub(super) fn reminder_of(
    r: hazardsnap_ledger::rules::monthly::MonthlyReminder,
    district: bool,
    lang: Lang,
) -> Option<Reminder> {
    let t = texts(lang);
    let month = hazardsnap_ledger::rules::monthly::parse_month(&r.month).ok()?;
    let words = super::month_words(month, lang);
    let due = super::day_words(r.due, lang);
    let towns = r.towns_missing.join(t.sep);
    let message = match (district, r.late) {
        (false, false) => t.wb_monthly_due,
        (false, true) => t.wb_monthly_late,
        (true, false) => t.wb_monthly_missing,
        (true, true) => t.wb_monthly_missing_late,
    };
    Some(Reminder {
        text: super::fill(
            message,
            &[("month", &words), ("due", &due), ("towns", &towns)],
        ),
        href: format!("/monthly?month={}", r.month),
        late: r.late,
    })
}

fn login_page(lang: Lang, error: Option<&'static str>, username: String) -> Login {
    Login {
        chrome: Chrome::new(lang, "", "/", None),
        error,
        username,
    }
}

/// The month axis' labels: `11月` or `Nov`.
pub fn month_label(m: chrono::NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    match lang {
        Lang::Zh => format!("{}月", m.month()),
        Lang::En => m.format("%b").to_string(),
    }
}

/// A share as a percentage.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// Found and closed per month, as a chart.
pub fn trend_chart(title: &str, points: &[MonthPoint], lang: Lang) -> String {
    let groups: Vec<Group> = points
        .iter()
        .map(|p| Group {
            label: month_label(p.month, lang),
            values: vec![p.found, p.closed],
        })
        .collect();
    grouped_bars(title, &groups)
}

/// `GET /`: the workbench (工作台), or the login form.
pub async fn home(State(state): State<AppState>, parts: Parts) -> Result<Response, PageError> {
    let mut parts = parts;
    let page = match Page::from_request_parts(&mut parts, &state).await {
        Ok(p) => p,
        Err(_) => {
            let lang = lang_of(&parts);
            return Ok(render(&login_page(lang, None, String::new())).into_response());
        }
    };
    let lang = page.lang;
    let now = state.now();
    let (needs, month, points) = state
        .ledger
        .workbench(&page.actor, now)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let reminder = state
        .ledger
        .monthly_reminder(&page.actor, now)
        .await
        .map_err(|e| PageError::ledger(lang, e))?
        .and_then(|r| reminder_of(r, page.is_district(), lang));
    let notices = super::accountability::notice_count(&state, &page).await?;
    let t = page.t();
    let today = state.ledger.calendar().today(now);
    let w = Workbench {
        reminder,
        notices,
        chrome: page.chrome("workbench", "/"),
        rate: percent(month.rectification_rate),
        month_label: today.format("%Y-%m").to_string(),
        chart: trend_chart(t.wb_trend, &points, lang),
        needs,
        month,
    };
    Ok(render(&w).into_response())
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`: the login form. The same sign-in as the API (throttled, Argon2id); the
/// session cookie is set and the officer lands on the workbench.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Option<Extension<ClientKey>>,
    parts: Parts,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(&parts);
    if !same_origin_or_safe(&parts) {
        return Err(PageError::new(lang, crate::auth::csrf_rejected()));
    }
    let client = client.map(|Extension(key)| key);
    match sign_in(&state, &f.username, &f.password, client).await {
        Ok(s) => {
            let cookie = session_cookie(&s.token, state.config.session_ttl.as_secs(), &headers)
                .map_err(|e| PageError::new(lang, e))?;
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(r)
        }
        Err(AppError::InvalidCredentials) => Ok((
            StatusCode::UNAUTHORIZED,
            render(&login_page(
                lang,
                Some(texts(lang).login_failed),
                f.username.trim().to_owned(),
            )),
        )
            .into_response()),
        Err(AppError::TooManyAttempts { .. }) => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            render(&login_page(
                lang,
                Some(texts(lang).login_throttled),
                f.username.trim().to_owned(),
            )),
        )
            .into_response()),
        Err(e) => Err(PageError::new(lang, e)),
    }
}

/// The logout form's field.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session, clears the cookie, back to the login form.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    state
        .ledger
        .end_session(page.session, state.now())
        .await
        .map_err(|e| PageError::ledger(page.lang, e))?;
    let cookie = session_cookie("", 0, &headers).map_err(|e| PageError::new(page.lang, e))?;
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(r)
}

/// `?to=en&back=/path`.
#[derive(Debug, Deserialize)]
pub struct LangSwitch {
    to: Option<String>,
    back: Option<String>,
}

/// `GET /lang`: remembers the reader's language (a preference, not a session) and goes back.
pub async fn switch_lang(Query(q): Query<LangSwitch>) -> Response {
    let lang = Lang::from_tag(q.to.as_deref().unwrap_or("zh"));
    let value = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    // Only a path of this site: never a redirect elsewhere.
    let back = q
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".to_owned());
    let mut r = Redirect::to(&back).into_response();
    if let Ok(v) = format!("{LANG_COOKIE}={value}; Path=/; SameSite=Lax; Max-Age=31536000").parse()
    {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use hazardsnap_ledger::rules::monthly::MonthlyReminder;

    fn reminder(late: bool) -> MonthlyReminder {
        MonthlyReminder {
            month: "2026-10".into(),
            due: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            late,
            towns_missing: vec!["丝绸路街道".into(), "北郊镇".into()],
        }
    }

    #[test]
    fn the_reminder_names_the_month_the_due_day_and_the_towns_missing() {
        let town = reminder_of(reminder(false), false, Lang::Zh).unwrap();
        assert_eq!(town.text, "10 月月报请于 11 月 25 日前报送");
        assert_eq!(town.href, "/monthly?month=2026-10");
        assert!(!town.late);
        let late = reminder_of(reminder(true), false, Lang::Zh).unwrap();
        assert!(late.text.contains("已逾期"), "{}", late.text);
        let district = reminder_of(reminder(true), true, Lang::En).unwrap();
        assert_eq!(
            district.text,
            "Towns late with the report for October 2026 (due 25 November): 丝绸路街道, 北郊镇"
        );
    }
}
