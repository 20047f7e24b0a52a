//! The pages' assets (静态资源), embedded in the binary: nothing is fetched from the internet,
//! nothing needs a front-end build. Each is served under a name carrying its content hash
//! (`/assets/app.3f2a1b9c.css`), so browsers may keep it for a year and still never run an old
//! script after an upgrade.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const FILES: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/app.js"),
    },
    Asset {
        name: "map.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/map.js"),
    },
    // Leaflet 1.9.4 (BSD-2-Clause, assets/vendor/leaflet/): the map page only.
    Asset {
        name: "leaflet.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/leaflet/leaflet.js"),
    },
    Asset {
        name: "leaflet.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/leaflet/leaflet.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../assets/favicon.svg"),
    },
];

/// Each file's served name, computed once.
fn served() -> &'static Vec<String> {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        FILES
            .iter()
            .map(|a| {
                let hash = hex::encode(&Sha256::digest(a.bytes)[..4]);
                let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
                format!("{stem}.{hash}.{ext}")
            })
            .collect()
    })
}

/// The URL of an embedded file, by its plain name (`app.css`).
pub fn url(name: &str) -> String {
    FILES
        .iter()
        .zip(served())
        .find(|(a, _)| a.name == name)
        .map(|(_, s)| format!("/assets/{s}"))
        .unwrap_or_else(|| format!("/assets/{name}"))
}

/// `GET /assets/{name}`: an embedded file by its hashed name, cached for a year.
pub async fn serve(Path(name): Path<String>) -> Response {
    match FILES.iter().zip(served()).find(|(_, s)| **s == name) {
        Some((a, _)) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(a.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        let css = url("app.css");
        assert!(
            css.starts_with("/assets/app.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/assets/app.12345678.css".len());
        assert_ne!(url("app.js"), url("app.css"));
    }
}
