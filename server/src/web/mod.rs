//! The officers' web pages (工作人员网页): server-rendered HTML from askama templates
//! (`server/templates/`, auto-escaping on), our own CSS and one small script served from the
//! binary (`assets`), no front-end build, nothing from the internet.
//!
//! Pages call the same [`hazardsnap_ledger::Ledger`] as the JSON API: no rule is written
//! twice; a page only turns a form into an `OfficerAction` and a view into HTML. Every page
//! reads the session cookie ([`Page`]); a visitor without one is sent to the login form.
//!
//! Security: every response carries a Content-Security-Policy without `unsafe-inline`
//! (`default-src 'self'`, `frame-ancestors 'none'`), `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: same-origin` ([`security_headers`]). Every state-changing form carries a
//! CSRF token derived from the session token ([`Page::csrf`]), checked together with the
//! request's `Origin`; the session cookie is HttpOnly, SameSite=Lax, Secure over TLS, and
//! ends after an idle hour.

pub mod assets;
pub mod charts;
pub mod i18n;
pub mod pages;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hazardsnap_ledger::{Actor, ErrorKind, LedgerError, Principal};
use hazardsnap_model::{Labelled, Lang, Role};
use sha2::{Digest, Sha256};

use crate::auth::{cookie_token, same_origin_or_safe, token_sha256};
use crate::error::AppError;
use crate::state::AppState;
use i18n::{Texts, texts};

/// Name of the language preference cookie.
pub const LANG_COOKIE: &str = "hazardsnap_lang";

/// The pages' forms that carry files (multipart): after-photos of a rectification, an
/// officer's filing with photos, the roster. Apart from [`routes`] so that they alone get the
/// body limit of photos; every other form has the small one of a JSON body.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/entries/{id}/rectified", post(pages::rectified))
        .route("/ledger/new", post(pages::file_entry))
        .route("/admin/roster", post(pages::roster))
}

/// The largest body of an [`upload_routes`] form: a report's photos, each a camera's
/// original, and the form's text.
pub const MAX_UPLOAD_FORM_BYTES: usize =
    hazardsnap_model::MAX_PHOTOS_PER_REPORT * pages::MAX_UPLOAD_BYTES + 64 * 1024;

/// A multipart form that could not be read: 413 when its body passed the limit, else 400
/// `invalid_form`.
pub fn unreadable_form(lang: Lang, e: axum::extract::multipart::MultipartError) -> PageError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return PageError::new(
            lang,
            AppError::PayloadTooLarge {
                limit: MAX_UPLOAD_FORM_BYTES as u64,
            },
        );
    }
    PageError::new(
        lang,
        AppError::bad_request("invalid_form", "表单无效 / invalid form"),
    )
}

/// The pages' routes, but for the forms that carry files ([`upload_routes`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/lang", get(pages::switch_lang))
        .route("/review", get(pages::review))
        .route("/entries/{id}", get(pages::entry))
        .route("/entries/{id}/act/{action}", post(pages::act))
        .route("/entries/{id}/notice", get(pages::notice))
        .route("/ledger", get(pages::ledger))
        .route("/ledger/print", get(pages::ledger_print))
        .route("/ledger/new", get(pages::new_entry))
        .route("/notices", get(pages::notices))
        .route("/stats", get(pages::stats))
        .route("/rewards", get(pages::rewards))
        .route("/rewards/register", get(pages::register).post(pages::grant))
        .route("/suggestions", get(pages::suggestions))
        .route("/suggestions/{id}/review", post(pages::review_suggestion))
        .route("/rewards/register.xlsx", get(pages::register_xlsx))
        .route("/rewards/register/{id}/paid", post(pages::paid))
        .route("/rewards/redeem", post(pages::redeem))
        .route("/draws", get(pages::draws).post(pages::create_draw))
        .route("/monthly", get(pages::monthly))
        .route("/monthly/{month}/{town}", get(pages::monthly_town))
        .route(
            "/monthly/{month}/{town}/submit",
            post(pages::submit_monthly),
        )
        .route(
            "/monthly/{month}/{town}/reopen",
            post(pages::reopen_monthly),
        )
        .route(
            "/trainings",
            get(pages::trainings).post(pages::record_training),
        )
        .route("/trainings/{id}", get(pages::training))
        .route(
            "/trainings/{id}/findings/{index}/file",
            post(pages::file_training_finding),
        )
        .route("/visits", get(pages::visits).post(pages::record_visit))
        .route("/visits/{id}", get(pages::visit))
        .route(
            "/visits/{id}/findings/{index}/file",
            post(pages::file_visit_finding),
        )
        .route("/sites", get(pages::sites))
        .route("/admin", get(pages::admin))
        .route("/admin/devices/{id}/revoke", post(pages::revoke_device))
        .route("/admin/codes/{code}", get(pages::code_poster))
        .route("/sites/map.json", get(pages::map_points))
        .route("/thumbs/{sha256}", get(pages::thumbnail))
        .route("/assets/{name}", get(assets::serve))
}

/// Adds the security headers of every answer; the CSP names the map's tile server when one
/// is configured.
pub async fn security_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let tiles = state
        .config
        .map_tiles
        .as_deref()
        .and_then(tile_origin)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; img-src 'self' data:{tiles}; style-src 'self'; script-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Checks a tile URL template: `http(s)://host/…` with `{z}`, `{x}` and `{y}`.
pub fn check_tile_url(url: &str) -> Result<&str, String> {
    if tile_origin(url).is_none() {
        return Err(format!(
            "瓦片地址须为 http(s)://主机/… / the tile URL must be http(s)://host/…: {url}"
        ));
    }
    for part in ["{z}", "{x}", "{y}"] {
        if !url.contains(part) {
            return Err(format!(
                "瓦片地址缺少 {part} / the tile URL lacks {part}: {url}"
            ));
        }
    }
    Ok(url)
}

/// `https://host` of a tile URL template.
fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    (matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains(['{', '}', ' ', ';']))
        .then(|| format!("{scheme}://{host}"))
}

/// The reader's language: the preference cookie, else Chinese.
pub fn lang_of(parts: &Parts) -> Lang {
    lang_of_headers(&parts.headers)
}

/// The reader's language from a request's headers: the preference cookie, else Chinese.
pub fn lang_of_headers(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .map(|(_, v)| Lang::from_tag(v))
        .unwrap_or_default()
}

/// A logged-in officer on a page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Who, with their jurisdiction.
    pub actor: Actor,
    /// The reader's language.
    pub lang: Lang,
    /// The token every form of this session carries.
    pub csrf: String,
    /// The session's token hash (for logout).
    pub session: [u8; 32],
    /// Whether the request changes something and came from another site (refused by
    /// [`Page::check`]).
    cross_site: bool,
}

/// The CSRF token of a session: derived from the session token, which only the session
/// cookie (HttpOnly) holds, so another site can neither read nor compute it.
fn csrf_of(session_token: &str) -> String {
    hex::encode(&Sha256::digest(format!("hazardsnap csrf\n{session_token}"))[..16])
}

/// What a page answers a visitor without a live session: the login form.
pub struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to("/").into_response()
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = lang_of(parts);
        let Some(token) = cookie_token(parts) else {
            return Err(ToLogin.into_response());
        };
        let hash = token_sha256(&token);
        let who = state
            .ledger
            .authenticate(hash, state.now())
            .await
            .map_err(|e| PageError::new(lang, e.into()).into_response())?;
        match who {
            Some(Principal::Officer(officer)) => match Actor::of(officer) {
                Some(actor) => Ok(Page {
                    actor,
                    lang,
                    csrf: csrf_of(&token),
                    session: hash,
                    cross_site: !same_origin_or_safe(parts),
                }),
                None => Err(PageError::new(lang, AppError::Forbidden).into_response()),
            },
            _ => Err(ToLogin.into_response()),
        }
    }
}

impl Page {
    /// The catalogue of the reader's language.
    pub fn t(&self) -> &'static Texts {
        texts(self.lang)
    }

    /// Refuses a form that does not come from our own pages: its CSRF token must be the
    /// session's, and its `Origin` (else `Referer`) our own host.
    pub fn check(&self, csrf: &str) -> Result<(), PageError> {
        let ok = !self.cross_site && !csrf.is_empty() && {
            // Constant time: the token is a secret of the session.
            let (a, b) = (csrf.as_bytes(), self.csrf.as_bytes());
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
        };
        if ok {
            Ok(())
        } else {
            Err(PageError::new(self.lang, crate::auth::csrf_rejected()))
        }
    }

    /// Whether the officer is the district's (administration).
    pub fn is_district(&self) -> bool {
        self.actor.role() == Role::District
    }

    /// The frame every page shares: language, assets, navigation, user.
    pub fn chrome(&self, nav: &'static str, path: &str) -> Chrome {
        Chrome::new(self.lang, nav, path, Some(self))
    }
}

/// What the shared layout (`base.html`) needs.
pub struct Chrome {
    /// The messages.
    pub t: &'static Texts,
    /// The reader's language.
    pub lang: Lang,
    /// `zh-CN` or `en`.
    pub html_lang: &'static str,
    /// The stylesheet's URL.
    pub css: String,
    /// The script's URL.
    pub js: String,
    /// The icon's URL.
    pub icon: String,
    /// The current navigation item (`workbench`, `review`…).
    pub nav: &'static str,
    /// The officer's name and role, when logged in.
    pub user: Option<(String, String)>,
    /// The session's CSRF token (the logout form's).
    pub csrf: String,
    /// Whether the administration link shows.
    pub district: bool,
    /// Whether the monthly report (月报) link shows: district and town officers.
    pub monthly: bool,
    /// Whether the training and drills (培训演练) link shows: all but the bureau.
    pub training: bool,
    /// Whether the supervision (督导) link shows: district and town officers.
    pub supervision: bool,
    /// The other language's switch link.
    pub switch_href: String,
}

impl Chrome {
    /// The frame of a page at `path` (for the language switch's way back).
    pub fn new(lang: Lang, nav: &'static str, path: &str, page: Option<&Page>) -> Chrome {
        let other = match lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        Chrome {
            t: texts(lang),
            lang,
            html_lang: match lang {
                Lang::Zh => "zh-CN",
                Lang::En => "en",
            },
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("favicon.svg"),
            nav,
            user: page.map(|p| {
                (
                    p.actor.name().to_owned(),
                    p.actor.role().label(lang).to_owned(),
                )
            }),
            csrf: page.map(|p| p.csrf.clone()).unwrap_or_default(),
            district: page.is_some_and(Page::is_district),
            monthly: page.is_some_and(|p| matches!(p.actor.role(), Role::District | Role::Town)),
            training: page.is_some_and(|p| {
                matches!(
                    p.actor.role(),
                    Role::District | Role::Town | Role::Enterprise
                )
            }),
            supervision: page
                .is_some_and(|p| matches!(p.actor.role(), Role::District | Role::Town)),
            switch_href: format!(
                "/lang?to={other}&back={}",
                urlencoding::encode(if path.starts_with('/') { path } else { "/" })
            ),
        }
    }

    /// A vocabulary value's label in the reader's language.
    pub fn lab<L: Labelled>(&self, v: &L) -> &'static str {
        v.label(self.lang)
    }

    /// A vocabulary value's wire name.
    pub fn wire<L: Labelled>(&self, v: &L) -> &'static str {
        v.wire_name()
    }

    /// Whether two texts are equal (a form's value and an option's).
    pub fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }

    /// `aria-current="page"` on the current navigation item.
    pub fn current(&self, nav: &str) -> &'static str {
        if self.nav == nav { "page" } else { "false" }
    }
}

/// A page's refusal, rendered as an HTML page in the reader's language with the status of
/// the underlying error.
pub struct PageError {
    lang: Lang,
    error: AppError,
}

impl PageError {
    /// The page of `error`.
    pub fn new(lang: Lang, error: AppError) -> PageError {
        PageError { lang, error }
    }

    /// A refusal of the rules.
    pub fn ledger(lang: Lang, e: LedgerError) -> PageError {
        PageError::new(lang, e.into())
    }
}

impl From<(Lang, LedgerError)> for PageError {
    fn from((lang, e): (Lang, LedgerError)) -> Self {
        PageError::ledger(lang, e)
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let t = texts(self.lang);
        if let AppError::Internal(cause) = &self.error {
            tracing::error!(error = ?cause, "internal error on a page");
        }
        let message = match status {
            StatusCode::NOT_FOUND => t.err_not_found.to_owned(),
            StatusCode::INTERNAL_SERVER_ERROR => t.err_internal.to_owned(),
            StatusCode::FORBIDDEN if self.error.code() == "forbidden" => t.err_forbidden.to_owned(),
            _ => i18n::localize(&self.error.to_string(), self.lang),
        };
        let page = ErrorPage {
            chrome: Chrome::new(self.lang, "", "/", None),
            message,
        };
        (status, render(&page)).into_response()
    }
}

/// Renders a template, or the plain internal-error text.
pub fn render<T: askama::Template>(t: &T) -> Html<String> {
    match t.render() {
        Ok(html) => Html(html),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Html("<!doctype html><title>500</title><p>服务器内部错误 / internal error".to_owned())
        }
    }
}

/// The kind of a rules' refusal that a form shows next to its fields (an input rule), as
/// opposed to one that replaces the page.
pub fn is_form_error(e: &LedgerError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Invalid | ErrorKind::Unprocessable | ErrorKind::Conflict
    )
}

/// A vocabulary value's label in the reader's language.
pub fn label<L: Labelled>(v: L, lang: Lang) -> &'static str {
    v.label(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_follow_the_session() {
        assert_eq!(csrf_of("hss_a"), csrf_of("hss_a"));
        assert_ne!(csrf_of("hss_a"), csrf_of("hss_b"));
        assert_eq!(csrf_of("hss_a").len(), 32);
    }

    #[test]
    fn only_a_plain_tile_origin_enters_the_policy() {
        assert_eq!(
            tile_origin("https://tiles.example.cn/{z}/{x}/{y}.png").as_deref(),
            Some("https://tiles.example.cn")
        );
        assert_eq!(tile_origin("javascript:alert(1)"), None);
        assert_eq!(tile_origin("https://a; script-src *"), None);
    }

    #[test]
    fn a_tile_url_needs_an_origin_and_the_three_placeholders() {
        assert!(check_tile_url("http://10.0.0.5:8081/{z}/{x}/{y}.png").is_ok());
        let e = check_tile_url("http://10.0.0.5/{z}/{x}.png").unwrap_err();
        assert!(e.contains("{y}"), "{e}");
        assert!(check_tile_url("file:///tiles/{z}/{x}/{y}.png").is_err());
        assert!(check_tile_url("tiles/{z}/{x}/{y}.png").is_err());
    }
}
