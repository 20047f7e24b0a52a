//! Photos on the pages: thumbnails large enough to judge a hazard by (480 px, made once from
//! the stored photo and kept beside it), and after-photos uploaded from the browser, which go
//! through the same photo pipeline as a phone's before they are kept.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hazardsnap_model::is_sha256_hex;
use hazardsnap_photo::PipelineConfig;

use crate::error::AppError;
use crate::state::AppState;
use crate::web::{Page, PageError};

/// Longest side of a page thumbnail.
const THUMB_SIDE: u32 = 480;
/// Largest photo a browser may upload (a camera's original; it is resized before it is kept).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// Runs the photo pipeline on a blocking thread, within the server's bound on photos decoded
/// at once.
async fn pipeline(
    state: &AppState,
    bytes: Vec<u8>,
    cfg: PipelineConfig,
) -> Result<hazardsnap_photo::ProcessedPhoto, String> {
    let _slot = state
        .verify_slots
        .acquire()
        .await
        .map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || hazardsnap_photo::process(&bytes, &cfg))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Keeps a photo uploaded from the browser: resized and stripped of every metadata by the
/// photo pipeline (a JPEG, PNG or WebP under the server's limits), then stored and recorded.
/// Its name, or the refusal's bilingual text.
pub async fn keep_upload(state: &AppState, bytes: Vec<u8>) -> Result<String, String> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(format!(
            "照片过大：最多 {} MB / photo too large: at most {} MB",
            MAX_UPLOAD_BYTES >> 20,
            MAX_UPLOAD_BYTES >> 20
        ));
    }
    let cfg = PipelineConfig {
        // A camera's original, up to 50 megapixels; decoded 4 at a time at most.
        limits: hazardsnap_photo::Limits {
            max_input_bytes: MAX_UPLOAD_BYTES,
            max_pixels: 50_000_000,
            ..state.config.photo_limits.clone()
        },
        ..PipelineConfig::default()
    };
    let p = pipeline(state, bytes, cfg).await?;
    crate::routes::photos::keep_processed(state, &p, state.now())
        .await
        .map(|r| r.sha256)
        .map_err(|e| e.to_string())
}

/// `GET /thumbs/{sha256}`: a photo's thumbnail, only within the officer's jurisdiction (like
/// the photo itself).
pub async fn thumbnail(
    State(state): State<AppState>,
    page: Page,
    Path(sha256): Path<String>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let not_found = || PageError::new(lang, AppError::NotFound);
    if !is_sha256_hex(&sha256) {
        return Err(not_found());
    }
    let visible = state
        .ledger
        .photo_visible(&page.actor, sha256.clone())
        .await
        .map_err(|e| PageError::ledger(lang, e))?;
    if !visible {
        return Err(not_found());
    }
    let path = state
        .config
        .data_dir
        .join("thumbs")
        .join(&sha256[..2])
        .join(format!("{sha256}.jpg"));
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(_) => {
            let stored = state
                .photos
                .get(&sha256)
                .await
                .map_err(|e| PageError::new(lang, e.into()))?
                .ok_or_else(not_found)?;
            let cfg = PipelineConfig {
                thumb_side: THUMB_SIDE,
                limits: state.config.photo_limits.clone(),
                ..PipelineConfig::default()
            };
            let p = pipeline(&state, stored, cfg)
                .await
                .map_err(|e| PageError::new(lang, AppError::internal(anyhow::anyhow!(e))))?;
            // A cache: written to a temporary name and renamed, so a reader never sees half.
            if let Some(dir) = path.parent() {
                let _ = tokio::fs::create_dir_all(dir).await;
                let tmp = dir.join(format!("{sha256}.{}.part", std::process::id()));
                if tokio::fs::write(&tmp, &p.thumbnail).await.is_ok() {
                    let _ = tokio::fs::rename(&tmp, &path).await;
                }
            }
            p.thumbnail
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}
