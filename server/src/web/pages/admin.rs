//! Administration (管理), the district's alone: the officers and their scopes, the enrollment
//! codes with a printable QR poster for the notice board, the enrolled phones with "revoke"
//! for a lost one, and the roster import from the browser with a preview of what it changes.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use hazardsnap_ledger::repo::rows::EnrollmentCodeRow;
use hazardsnap_model::{EnrollmentLink, Labelled, Lang, Roster};
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;
use uuid::Uuid;

use super::local;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::i18n::{localize, texts};
use crate::web::{Chrome, Page, PageError, render};

/// One line of a roster preview: what, which, how, detail.
type ChangeLine = (String, String, String, String);

/// One phone as listed.
pub struct DeviceLine {
    id: Uuid,
    name: String,
    enterprise: String,
    enrolled: String,
    revoked: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "admin.html")]
struct Admin {
    chrome: Chrome,
    flash: Option<&'static str>,
    error: Option<String>,
    preview: Option<Vec<ChangeLine>>,
    roster_text: String,
    officers: Vec<(String, String, String, bool)>,
    codes: Vec<EnrollmentCodeRow>,
    devices: Vec<DeviceLine>,
}

/// The admin page, with a flash, an error or a roster preview.
async fn admin_page(
    state: &AppState,
    page: &Page,
    flash: Option<&'static str>,
    error: Option<String>,
    preview: Option<(Vec<ChangeLine>, String)>,
) -> Result<Admin, PageError> {
    let lang = page.lang;
    let e = |e| PageError::ledger(lang, e);
    let calendar = *state.ledger.calendar();
    let officers = state
        .ledger
        .officers(&page.actor)
        .await
        .map_err(e)?
        .into_iter()
        .map(|o| {
            (
                o.username,
                o.role.label(lang).to_owned(),
                o.scope.unwrap_or_default(),
                o.active,
            )
        })
        .collect();
    let codes = state
        .ledger
        .enrollment_codes(&page.actor)
        .await
        .map_err(e)?;
    let devices = state
        .ledger
        .devices(&page.actor)
        .await
        .map_err(e)?
        .into_iter()
        .map(|d| DeviceLine {
            id: d.id,
            name: d.name,
            enterprise: d.enterprise,
            enrolled: local(&calendar, d.enrolled_at),
            revoked: d.revoked_at.map(|t| local(&calendar, t)),
        })
        .collect();
    let (preview, roster_text) = match preview {
        Some((p, text)) => (Some(p), text),
        None => (None, String::new()),
    };
    Ok(Admin {
        chrome: page.chrome("admin", "/admin"),
        flash,
        error,
        preview,
        roster_text,
        officers,
        codes,
        devices,
    })
}

/// `GET /admin`.
pub async fn admin(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    Ok(render(&admin_page(&state, &page, None, None, None).await?).into_response())
}

/// A form with only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/devices/{id}/revoke`: a lost phone's token stops working.
pub async fn revoke_device(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    page.check(&f.csrf)?;
    let lang = page.lang;
    let id = super::id_of(&id, lang)?;
    state
        .ledger
        .revoke_phone(&page.actor, id, state.now())
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    Ok(Redirect::to("/admin").into_response())
}

/// What a roster change is called.
fn kind_label(kind: &str, lang: Lang) -> String {
    let t = texts(lang);
    match kind {
        "town" => t.lg_town,
        "enterprise" => t.lg_enterprise,
        "officer" => t.ad_officers,
        "enrollment_code" => t.ad_code,
        "site_point" => t.en_site_point,
        other => other,
    }
    .to_owned()
}

fn change_label(change: &str, lang: Lang) -> &'static str {
    match (change, lang) {
        ("add", Lang::Zh) => "新增",
        ("add", Lang::En) => "add",
        ("update", Lang::Zh) => "修改",
        ("update", Lang::En) => "update",
        (_, Lang::Zh) => "停用",
        (_, Lang::En) => "deactivate",
    }
}

/// `POST /admin/roster`: `action=preview` shows what importing the uploaded roster would
/// change; `action=apply` imports the previewed text (idempotent: the same roster twice
/// changes nothing).
pub async fn roster(
    State(state): State<AppState>,
    page: Page,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let bad = |e| crate::web::unreadable_form(lang, e);
    let (mut csrf, mut action, mut text) = (String::new(), String::new(), String::new());
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "action" => action = field.text().await.map_err(bad)?,
            "roster_file" | "roster_text" => {
                let t = field.text().await.map_err(bad)?;
                if !t.trim().is_empty() {
                    text = t;
                }
            }
            _ => {}
        }
    }
    page.check(&csrf)?;
    let roster = match Roster::parse(&text) {
        Ok(r) => r,
        Err(e) => {
            let p = admin_page(
                &state,
                &page,
                None,
                Some(localize(&e.to_string(), lang)),
                None,
            )
            .await?;
            return Ok((axum::http::StatusCode::BAD_REQUEST, render(&p)).into_response());
        }
    };
    if action == "apply" {
        // The district's own check, before the import hashes passwords and writes.
        state
            .ledger
            .officers(&page.actor)
            .await
            .map_err(|e| PageError::ledger(lang, e))?;
        crate::org::import_roster(&state.ledger, roster)
            .await
            .map_err(|e| PageError::new(lang, AppError::internal(e)))?;
        let p = admin_page(&state, &page, Some(texts(lang).ad_imported), None, None).await?;
        return Ok(render(&p).into_response());
    }
    let changes = state
        .ledger
        .roster_preview(&page.actor, roster)
        .await
        .map_err(|e| PageError::ledger(lang, e))?
        .into_iter()
        .map(|c| {
            (
                kind_label(c.kind, lang),
                c.key,
                change_label(c.change, lang).to_owned(),
                localize(&c.detail, lang),
            )
        })
        .collect();
    let p = admin_page(&state, &page, None, None, Some((changes, text))).await?;
    Ok(render(&p).into_response())
}

#[derive(askama::Template)]
#[template(path = "code.html")]
struct CodePoster {
    chrome: Chrome,
    code: String,
    enterprise: String,
    qr: String,
    link: String,
}

/// This server's base URL as the browser reached it (for the QR code's link).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if crate::auth::over_tls(headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// `GET /admin/codes/{code}`: a printable poster with the code's QR, which a worker scans to
/// enroll a phone.
pub async fn code_poster(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let codes = state
        .ledger
        .enrollment_codes(&page.actor)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let found = codes
        .into_iter()
        .find(|c| c.code == code && c.active && c.enterprise_active)
        .ok_or_else(|| PageError::new(lang, AppError::NotFound))?;
    let link = EnrollmentLink {
        server: base_url(&headers),
        code: found.code.clone(),
    }
    .to_uri();
    let qr = QrCode::new(link.as_bytes())
        .map_err(|e| PageError::new(lang, AppError::internal(anyhow::anyhow!(e))))?
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // The renderer's XML prologue is not HTML; the SVG element itself is.
    let qr = qr
        .find("<svg")
        .map(|i| qr[i..].to_owned())
        .unwrap_or_default();
    let p = CodePoster {
        chrome: page.chrome("admin", &format!("/admin/codes/{code}")),
        enterprise: format!("{}（{}）", found.enterprise_name, found.enterprise),
        code: found.code,
        qr,
        link,
    };
    Ok(render(&p).into_response())
}
