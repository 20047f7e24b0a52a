//! The map page (地图与现场关键点): the site points of the jurisdiction with their open entries
//! as a list, always; and, when a tile server is configured (`--map-tiles`), the open entries
//! on a Leaflet map (vendored, served by the binary), whose points come from
//! `GET /sites/map.json` with their labels already in the reader's language.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use hazardsnap_ledger::rules::overview::{MAP_LIMIT, SitePointView};
use hazardsnap_model::Labelled;
use serde::Serialize;

use crate::state::AppState;
use crate::web::assets;
use crate::web::i18n::texts;
use crate::web::{Chrome, Page, PageError, render};

/// The map's settings as the page's `#map` element carries them for `map.js`.
pub struct MapSettings {
    tiles: String,
    attribution: String,
    leaflet_js: String,
    leaflet_css: String,
    map_js: String,
}

#[derive(askama::Template)]
#[template(path = "sites.html")]
struct Sites {
    chrome: Chrome,
    sites: Vec<SitePointView>,
    map: Option<MapSettings>,
    limit: u64,
}

impl Sites {
    fn gps(&self, s: &SitePointView) -> String {
        format!("{:.5}, {:.5}", s.point.lat, s.point.lon)
    }
}

/// `GET /sites`: the open entries on a map (with a tile server) and the site points of the
/// jurisdiction with their open entries.
pub async fn sites(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    let lang = page.lang;
    let sites = state
        .ledger
        .site_points(&page.actor)
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let map = state.config.map_tiles.as_ref().map(|tiles| MapSettings {
        tiles: tiles.clone(),
        attribution: state.config.map_attribution.clone().unwrap_or_default(),
        leaflet_js: assets::url("leaflet.js"),
        leaflet_css: assets::url("leaflet.css"),
        map_js: assets::url("map.js"),
    });
    let s = Sites {
        chrome: page.chrome("sites", "/sites"),
        sites,
        map,
        limit: MAP_LIMIT,
    };
    Ok(render(&s).into_response())
}

/// One point of the map, labelled for the reader.
#[derive(Serialize)]
struct Point {
    href: String,
    number: String,
    enterprise: String,
    status: &'static str,
    severity: &'static str,
    category: &'static str,
    major: bool,
    overdue: bool,
    lat: f64,
    lon: f64,
}

/// What `map.js` draws.
#[derive(Serialize)]
struct Points {
    points: Vec<Point>,
    unplaced: u64,
    beyond_limit: u64,
    overdue_label: &'static str,
}

/// `GET /sites/map.json`: the open entries of the jurisdiction with a place, for the map.
pub async fn map_points(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    let lang = page.lang;
    let view = state
        .ledger
        .map(&page.actor, state.now())
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    let points = view
        .points
        .into_iter()
        .map(|p| Point {
            href: format!("/entries/{}", p.id),
            number: p.number,
            enterprise: p.enterprise_name,
            status: p.status.label(lang),
            severity: p.severity.label(lang),
            category: p.category.label(lang),
            major: p.severity == hazardsnap_model::Severity::Major,
            overdue: p.overdue,
            lat: p.lat,
            lon: p.lon,
        })
        .collect();
    Ok(Json(Points {
        points,
        unplaced: view.unplaced,
        beyond_limit: view.beyond_limit,
        overdue_label: texts(lang).wb_overdue,
    })
    .into_response())
}
