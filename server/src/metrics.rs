//! What the server counts for its operators (运行指标), served at `GET /metrics` in the
//! Prometheus text format (OpenMetrics) for a Prometheus or VictoriaMetrics to scrape:
//!
//! - `hazardsnap_http_requests_total{method, route, status}` and
//!   `hazardsnap_http_request_duration_seconds{method, route}`: every routed request, labelled
//!   by the route's template (`/api/v1/ledger/{id}`), never by the path it was called with, so
//!   no id, token or name reaches a label and the series stay few;
//! - `hazardsnap_reports_total{outcome}`: reports of phones' batches by their outcome
//!   (`accepted`, `already_accepted`, `missing_photos`, `conflict`, `invalid`);
//! - `hazardsnap_photos_stored_total`: photos verified and stored;
//! - `hazardsnap_webhook_backlog`: ledger events waiting for the webhook target (when one is
//!   configured), read from the database at each scrape;
//! - `hazardsnap_uploads_in_progress`: photo uploads being received now.
//!
//! Counters live in the process: each replica reports its own, as Prometheus expects. Nothing
//! about a client is in them. The route is open like `/healthz` (counts only); a district that
//! exposes the server beyond its network should keep `/metrics` behind its proxy.

use std::sync::atomic::AtomicI64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hazardsnap_model::SubmitOutcome;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::state::AppState;

/// A request's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

/// A route's labels (latency).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// A report outcome's label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

type Latency = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    reports: Family<OutcomeLabels, Counter>,
    photos_stored: Counter,
    webhook_backlog: Gauge<i64, AtomicI64>,
    uploads_in_progress: Gauge<i64, AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("hazardsnap");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Latency = Family::new_with_constructor(latency_histogram);
        let reports = Family::<OutcomeLabels, Counter>::default();
        let photos_stored = Counter::default();
        let webhook_backlog = Gauge::<i64, AtomicI64>::default();
        let uploads_in_progress = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route template",
            latency.clone(),
        );
        registry.register(
            "reports",
            "Reports of phones' batches by outcome",
            reports.clone(),
        );
        registry.register(
            "photos_stored",
            "Photos verified and stored",
            photos_stored.clone(),
        );
        registry.register(
            "webhook_backlog",
            "Ledger events waiting for the webhook target",
            webhook_backlog.clone(),
        );
        registry.register(
            "uploads_in_progress",
            "Photo uploads being received",
            uploads_in_progress.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            reports,
            photos_stored,
            webhook_backlog,
            uploads_in_progress,
        }
    }

    /// Counts the outcomes of one batch.
    pub fn reports(&self, outcomes: impl IntoIterator<Item = SubmitOutcome>) {
        for o in outcomes {
            let outcome = serde_json::to_value(o)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("{o:?}"));
            self.reports.get_or_create(&OutcomeLabels { outcome }).inc();
        }
    }

    /// Counts a stored photo.
    pub fn photo_stored(&self) {
        self.photos_stored.inc();
    }

    /// One more upload being received; the guard counts it out when dropped.
    pub fn upload_started(&self) -> UploadGauge<'_> {
        self.uploads_in_progress.inc();
        UploadGauge(&self.uploads_in_progress)
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16().to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// An upload counted in `hazardsnap_uploads_in_progress` until dropped.
#[derive(Debug)]
pub struct UploadGauge<'a>(&'a Gauge<i64, AtomicI64>);

impl Drop for UploadGauge<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Middleware of the routed requests: counts each by its route template and times it.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`: the metrics in the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    responses(
        (status = 200, description = "运行指标（Prometheus/OpenMetrics 文本格式）/ the server's metrics in the Prometheus (OpenMetrics) text format", body = String, content_type = "application/openmetrics-text"),
    )
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Some(target) = &state.config.webhook
        && let Ok((_, waiting)) = state.ledger.webhook_backlog(target.cursor_name()).await
    {
        state.metrics.webhook_backlog.set(waiting);
    }
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_template_and_outcome() {
        let m = Metrics::new();
        m.observe("GET", "/api/v1/ledger/{id}", StatusCode::OK, 0.004);
        m.observe("GET", "/api/v1/ledger/{id}", StatusCode::OK, 0.002);
        m.reports([SubmitOutcome::Accepted, SubmitOutcome::Accepted]);
        m.reports([SubmitOutcome::MissingPhotos]);
        {
            let _a = m.upload_started();
            assert_eq!(m.uploads_in_progress.get(), 1);
        }
        assert_eq!(m.uploads_in_progress.get(), 0);
        let text = m.encode().unwrap();
        assert!(
            text.contains(
                r#"hazardsnap_http_requests_total{method="GET",route="/api/v1/ledger/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"hazardsnap_reports_total{outcome="accepted"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"hazardsnap_reports_total{outcome="missing_photos"} 1"#),
            "{text}"
        );
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
