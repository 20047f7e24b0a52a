//! The HTTP surface: every route of the device side and of the officers, and the layers composed once around them
//! (request id, tracing, panic catching, timeout, compression, JSON error bodies, the request
//! limit per client address).

pub mod accountability;
pub mod campaign;
pub mod campaign_export;
pub mod changes;
pub mod enroll;
pub mod export;
pub mod ledger;
pub mod numbers;
pub mod photos;
pub mod reports;
pub mod session;
pub mod system;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::middleware::map_response;
use axum::routing::{get, post, put};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{AppError, json_error_bodies};
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// An unknown address: a page in the reader's language for a browser, the JSON error for
/// everything else (and always under `/api/`).
async fn not_found(request: Request<axum::body::Body>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, _) = request.into_parts();
    let wants_page = !parts.uri.path().starts_with("/api/")
        && parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if wants_page {
        crate::web::PageError::new(crate::web::lang_of(&parts), AppError::NotFound).into_response()
    } else {
        AppError::NotFound.into_response()
    }
}

/// Builds the application: routes, state and layers.
pub fn router(state: AppState) -> Router {
    let json_limit = state.config.max_json_bytes;
    let timeout = state.config.request_timeout;

    // Photo bodies are streamed under their own limit, never buffered by an extractor.
    let photos = Router::new()
        .route(
            "/api/v1/photos/{sha256}",
            put(photos::put_photo)
                .head(photos::head_photo)
                .get(ledger::photo),
        )
        .layer(DefaultBodyLimit::disable());

    let json = Router::new()
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/api/openapi.json", get(system::openapi_json))
        .route("/api/v1/enroll", post(enroll::enroll))
        .route("/api/v1/reports", post(reports::submit_reports))
        .route("/api/v1/device/changes", get(changes::device_changes))
        .route(
            "/api/v1/session",
            post(session::login).delete(session::logout),
        )
        .route("/api/v1/session/password", post(session::change_password))
        .route(
            "/api/v1/ledger",
            get(ledger::list).post(accountability::file_entry),
        )
        .route(
            "/api/v1/ledger/{id}/supervision/accept",
            post(accountability::accept_supervision),
        )
        .route(
            "/api/v1/ledger/{id}/supervision/decline",
            post(accountability::decline_supervision),
        )
        .route(
            "/api/v1/ledger/{id}/reclassify",
            post(accountability::reclassify),
        )
        .route(
            "/api/v1/ledger/{id}/transfer",
            post(accountability::transfer),
        )
        .route(
            "/api/v1/rewards/register",
            get(accountability::register).post(accountability::grant),
        )
        .route(
            "/api/v1/rewards/register/{id}/paid",
            post(accountability::paid),
        )
        .route("/api/v1/rewards/redeem", post(accountability::redeem))
        .route("/api/v1/notices", get(accountability::notices))
        .route("/api/v1/ledger/export.xlsx", get(export::ledger_xlsx))
        .route("/api/v1/ledger/export.csv", get(export::ledger_csv))
        .route("/api/v1/ledger/{id}", get(ledger::detail))
        .route("/api/v1/ledger/{id}/confirm", post(ledger::confirm))
        .route("/api/v1/ledger/{id}/reject", post(ledger::reject))
        .route("/api/v1/ledger/{id}/merge", post(ledger::merge))
        .route("/api/v1/ledger/{id}/split", post(ledger::split))
        .route("/api/v1/ledger/{id}/rectified", post(ledger::rectified))
        .route("/api/v1/ledger/{id}/verify", post(ledger::verify))
        .route("/api/v1/ledger/{id}/escalate", post(ledger::escalate))
        .route(
            "/api/v1/ledger/{id}/extension",
            post(ledger::request_extension),
        )
        .route(
            "/api/v1/ledger/{id}/extension/decision",
            post(ledger::decide_extension),
        )
        .route("/api/v1/reports/{id}", get(ledger::report))
        .route("/api/v1/reports/{id}/reveal", post(ledger::reveal))
        .route("/api/v1/stats/monthly", get(numbers::monthly))
        .route("/api/v1/rewards", get(numbers::rewards))
        .route("/api/v1/suggestions", get(numbers::suggestions))
        .route("/api/v1/suggestions/{id}/adopt", post(numbers::adopt))
        .route(
            "/api/v1/suggestions/{id}/review",
            post(numbers::review_suggestion),
        )
        .route(
            "/api/v1/supervision/draws",
            post(numbers::create_draw).get(campaign::list_draws),
        )
        .route("/api/v1/monthly/{month}", get(campaign::monthly_overview))
        .route(
            "/api/v1/monthly/{month}/export.xlsx",
            get(campaign::monthly_xlsx),
        )
        .route(
            "/api/v1/monthly/{month}/{town}",
            get(campaign::monthly_report),
        )
        .route(
            "/api/v1/monthly/{month}/{town}/submit",
            post(campaign::submit_monthly),
        )
        .route(
            "/api/v1/monthly/{month}/{town}/reopen",
            post(campaign::reopen_monthly),
        )
        .route(
            "/api/v1/trainings",
            get(campaign::trainings).post(campaign::record_training),
        )
        .route(
            "/api/v1/trainings/coverage",
            get(campaign::training_coverage),
        )
        .route(
            "/api/v1/trainings/export.xlsx",
            get(campaign::trainings_xlsx),
        )
        .route("/api/v1/trainings/{id}", get(campaign::training))
        .route(
            "/api/v1/trainings/{id}/findings/{index}/file",
            post(campaign::file_training_finding),
        )
        .route(
            "/api/v1/supervision/visits",
            get(campaign::visits).post(campaign::record_visit),
        )
        .route("/api/v1/supervision/visits/{id}", get(campaign::visit))
        .route(
            "/api/v1/supervision/visits/{id}/findings/{index}/file",
            post(campaign::file_visit_finding),
        )
        .route(
            "/api/v1/supervision/coverage",
            get(campaign::visit_coverage),
        )
        .route("/api/v1/device/trainings", get(campaign::device_trainings))
        .route("/api/v1/devices/{id}/worker", post(campaign::link_worker))
        .route("/api/v1/supervision/draws/{id}", get(numbers::get_draw))
        // The tower layer refuses a too-long Content-Length before reading the body; the
        // extractor limit catches bodies that do not announce their length.
        .layer(RequestBodyLimitLayer::new(json_limit))
        .layer(DefaultBodyLimit::max(json_limit));

    // The pages: forms with the small limit of a JSON body, and the forms that carry photos
    // from the browser (each photo is resized before it is kept) with the limit of a report's
    // photos; both refused from `Content-Length` before the body is read, like the JSON.
    let pages = crate::web::routes()
        .layer(RequestBodyLimitLayer::new(json_limit))
        .layer(DefaultBodyLimit::max(json_limit));
    let page_uploads = crate::web::upload_routes()
        .layer(RequestBodyLimitLayer::new(
            crate::web::MAX_UPLOAD_FORM_BYTES,
        ))
        .layer(DefaultBodyLimit::max(crate::web::MAX_UPLOAD_FORM_BYTES));

    Router::new()
        .merge(photos)
        .merge(json)
        .merge(pages)
        .merge(page_uploads)
        // Routed requests are counted by their route's template (`crate::metrics`).
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::record,
        ))
        .fallback(not_found)
        // Every request draws from its client's limit first, before a token is looked up or
        // a body read; the client's address goes no further than this layer.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::client::limit_per_client,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::web::security_headers,
        ))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    // No client address or user agent in the span: the logs must not tie a
                    // report to a worker's phone or network.
                    TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                        let id = req
                            .headers()
                            .get(REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(map_response(json_error_bodies))
                .layer(CatchPanicLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    timeout,
                ))
                .layer(CompressionLayer::new()),
        )
}
