//! `HEAD` and `PUT /api/v1/photos/{sha256}`: content-addressed, resumable photo upload.
//!
//! The protocol is tus-like, reduced to what a phone needs:
//! - `HEAD` answers 200 when the photo is stored, else 404 with `Upload-Offset: N`, the bytes
//!   of a partial upload the server holds (0 when none).
//! - `PUT` without `Upload-Offset` starts over; with `Upload-Offset: N` it appends from N, and
//!   answers 409 with the server's `Upload-Offset` when N is not what the server holds.
//! - An optional `Upload-Length: TOTAL` lets a client send a photo in several PUTs: while fewer
//!   bytes than TOTAL are held the answer is 204 with `Upload-Offset`. Without it a PUT must
//!   complete the photo.
//!
//! Nothing from the phone is trusted: the body is streamed to a staging file under a byte limit
//! (413 up front when `Content-Length` already says too much), hashed against its name, and
//! decoded by the photo pipeline, which recomputes size and fingerprints itself. Only then is it
//! moved into the photo store and recorded. A cut connection keeps the bytes received so far.
//! A phone's new photo must also fit its device's quota over a rolling day ([`crate::quota`]),
//! asked before the body is read; a photo already stored is answered 200 before that.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hazardsnap_model::is_sha256_hex;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::auth::UploaderAuth;
use crate::error::{AppError, UPLOAD_OFFSET};
use crate::photos::UploadLease;
use crate::state::AppState;
use hazardsnap_ledger::Principal;
use hazardsnap_ledger::repo::rows::PhotoRecord;

/// Total size of the photo, for uploads in several PUTs.
pub const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");

fn check_name(sha256: &str) -> Result<(), AppError> {
    if is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "invalid_photo_hash",
            "照片名称必须是 64 位小写十六进制 SHA-256 / the photo name must be a 64-character lowercase hex SHA-256",
        ))
    }
}

fn header_u64(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, AppError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| {
                AppError::bad_request(
                    "invalid_header",
                    format!("请求头 {name} 必须是非负整数 / header {name} must be a non-negative integer"),
                )
            }),
    }
}

fn with_offset(status: StatusCode, offset: u64) -> Response {
    let mut r = status.into_response();
    r.headers_mut()
        .insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    r
}

/// Whether a photo is stored, or how much of it a partial upload holds.
#[utoipa::path(
    head,
    path = "/api/v1/photos/{sha256}",
    tag = "device",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "照片字节的 SHA-256（小写十六进制）/ lowercase hex SHA-256 of the photo's bytes")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "已存储 / stored"),
        (status = 404, description = "未存储；`Upload-Offset` 为已收到的字节数 / not stored; `Upload-Offset` holds the bytes received so far",
            headers(("Upload-Offset" = u64, description = "已收到的字节数 / bytes held"))),
        (status = 400, description = "名称无效 / invalid name"),
        (status = 401, description = "令牌缺失、无效或已吊销 / token missing, invalid or revoked"),
    )
)]
pub async fn head_photo(
    State(state): State<AppState>,
    UploaderAuth(_who): UploaderAuth,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    check_name(&sha256)?;
    if state.ledger.has_photo(sha256.clone()).await? {
        return Ok(StatusCode::OK.into_response());
    }
    let offset = state.staging.offset(&sha256).await?;
    Ok(with_offset(StatusCode::NOT_FOUND, offset))
}

/// Uploads (or resumes uploading) a photo.
#[utoipa::path(
    put,
    path = "/api/v1/photos/{sha256}",
    tag = "device",
    params(
        ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "照片字节的 SHA-256 / SHA-256 of the photo's bytes"),
        ("Upload-Offset" = Option<u64>, Header, minimum = 0, maximum = 8_388_608, description = "从此字节续传；缺省则重新开始 / resume from this byte; absent: start over"),
        ("Upload-Length" = Option<u64>, Header, minimum = 0, maximum = 8_388_608, description = "照片总字节数（至多 8 MiB），用于分多次上传 / total bytes (at most 8 MiB), for an upload in several PUTs"),
    ),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "照片字节（处理后的 JPEG）/ the stored JPEG's bytes"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "已校验并存储 / verified and stored", body = PhotoStored,
            example = json!({"sha256": "9f86…", "bytes": 412345, "width": 1920, "height": 1440})),
        (status = 200, description = "早已存储 / already stored", body = PhotoAlreadyStored),
        (status = 204, description = "部分已收到（带 `Upload-Length` 时）/ part received (with `Upload-Length`)",
            headers(("Upload-Offset" = u64, description = "已收到的字节数 / bytes held"))),
        (status = 400, description = "名称或请求头无效、上传中断 / invalid name or header, upload interrupted", body = hazardsnap_model::ErrorBody),
        (status = 401, description = "令牌缺失、无效或已吊销 / token missing, invalid or revoked", body = hazardsnap_model::ErrorBody),
        (status = 409, description = "续传位置不符（`upload_offset_mismatch`，带 `Upload-Offset`）或正在上传 / offset mismatch or upload in progress", body = hazardsnap_model::ErrorBody),
        (status = 413, description = "照片过大 / photo too large (`payload_too_large`)", body = hazardsnap_model::ErrorBody),
        (status = 422, description = "内容与名称不符（`hash_mismatch`）或不是有效照片（`photo_*`）/ bytes do not match the name, or not a valid photo", body = hazardsnap_model::ErrorBody),
        (status = 429, description = "请求过于频繁（`rate_limited`），或本设备 24 小时内存储的新照片已达配额（`device_quota_exceeded`）；`Retry-After` 秒后再试 / too many requests (`rate_limited`), or this device stored its quota of new photos for 24 hours (`device_quota_exceeded`); retry after `Retry-After` seconds", body = hazardsnap_model::ErrorBody,
            headers(("Retry-After" = u64, description = "等待秒数 / seconds to wait"))),
    )
)]
pub async fn put_photo(
    State(state): State<AppState>,
    UploaderAuth(who): UploaderAuth,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    check_name(&sha256)?;
    let max = state.config.max_photo_bytes;
    if state.ledger.has_photo(sha256.clone()).await? {
        return Ok((
            StatusCode::OK,
            Json(PhotoAlreadyStored {
                sha256,
                status: "already_stored",
            }),
        )
            .into_response());
    }
    let offset = header_u64(&headers, &UPLOAD_OFFSET)?;
    let total = header_u64(&headers, &UPLOAD_LENGTH)?;
    let content_length = header_u64(&headers, &header::CONTENT_LENGTH)?;
    let too_large = AppError::PayloadTooLarge { limit: max };
    // Refuse before reading a byte when the headers already say too much.
    if total.is_some_and(|t| t > max)
        || offset
            .unwrap_or(0)
            .saturating_add(content_length.unwrap_or(0))
            > max
    {
        return Err(too_large);
    }
    // A phone's new photo counts against its quota, refused before a byte is read; the slot
    // holds its place until the photo is recorded or refused.
    let device = match &who {
        Principal::Device(d) => Some(d.id),
        Principal::Officer(_) => None,
    };
    let _quota_slot = match device {
        Some(id) => {
            let incoming = total.unwrap_or(
                offset
                    .unwrap_or(0)
                    .saturating_add(content_length.unwrap_or(0)),
            );
            Some(crate::quota::admit(&state, id, incoming, state.now()).await?)
        }
        None => None,
    };

    let lease = state
        .staging
        .lease(&sha256)
        .ok_or(AppError::UploadInProgress)?;
    let _receiving = state.metrics.upload_started();
    let received = receive(&state, &lease, offset, body, max).await?;

    if let Some(total) = total {
        if received < total {
            return Ok(with_offset(StatusCode::NO_CONTENT, received));
        }
        if received > total {
            state.staging.discard(&lease).await?;
            return Err(AppError::bad_request(
                "upload_length_mismatch",
                format!(
                    "收到 {received} 字节，多于声明的 {total} 字节 / received {received} bytes, more than the declared {total}"
                ),
            ));
        }
    }

    // Decode under a slot: each verification holds the file and its pixels in memory.
    let slot = state
        .verify_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(AppError::internal)?;
    let path = lease.path().to_path_buf();
    let limits = state.config.photo_limits.clone();
    let expected = sha256.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let bytes = std::fs::read(&path)?;
        if hex::encode(Sha256::digest(&bytes)) != expected {
            return Ok::<_, std::io::Error>(Err(AppError::HashMismatch));
        }
        Ok(match hazardsnap_photo::verify_stored(&bytes, &limits) {
            // The phone's pipeline drops every metadata block; a photo that still carries one
            // (EXIF with GPS and serial numbers, XMP, a thumbnail) was not made by it, and the
            // server would otherwise serve it as it came.
            Ok(v) if !v.metadata_free => Err(AppError::PhotoRejected {
                code: "photo_has_metadata",
                message: "照片带有元数据（EXIF、GPS、缩略图等），请用应用拍摄或处理后再上传 / the photo carries metadata (EXIF, GPS, a thumbnail…): send it as the app processes it".into(),
            }),
            Ok(v) => Ok((bytes.len() as u64, v)),
            Err(e) => Err(AppError::PhotoRejected {
                code: e.code(),
                message: e.to_string(),
            }),
        })
    })
    .await
    .map_err(AppError::internal)??;
    let (bytes, verified) = match checked {
        Ok(v) => v,
        Err(refusal) => {
            // Bad bytes would only fail again on resume: forget them.
            state.staging.discard(&lease).await?;
            return Err(refusal);
        }
    };

    state.photos.put_file(&sha256, lease.path()).await?;
    state
        .ledger
        .record_photo(
            PhotoRecord {
                sha256: sha256.clone(),
                bytes,
                width: verified.width,
                height: verified.height,
                phash: verified.fingerprint.phash,
                scene: verified.fingerprint.scene.to_bytes(),
                uploaded_by: device,
            },
            state.now(),
        )
        .await?;
    tracing::info!(photo = %sha256, bytes, "photo stored");
    state.metrics.photo_stored();
    Ok((
        StatusCode::CREATED,
        Json(PhotoStored {
            sha256,
            bytes,
            width: verified.width,
            height: verified.height,
        }),
    )
        .into_response())
}

/// A photo verified and stored now.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PhotoStored {
    /// Its name.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// A photo that was stored before.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PhotoAlreadyStored {
    /// Its name.
    pub sha256: String,
    /// Always `already_stored`.
    pub status: &'static str,
}

/// Streams the body into the lease's partial file, from `offset` (appending) or from scratch;
/// returns the bytes the partial file holds afterwards.
async fn receive(
    state: &AppState,
    lease: &UploadLease,
    offset: Option<u64>,
    body: Body,
    max: u64,
) -> Result<u64, AppError> {
    let mut file = match offset {
        Some(n) => {
            let current = state.staging.offset(lease.sha256()).await?;
            if current != n {
                return Err(AppError::OffsetMismatch { current });
            }
            tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(lease.path())
                .await?
        }
        None => tokio::fs::File::create(lease.path()).await?,
    };
    let mut received = offset.unwrap_or(0);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                // The phone went away mid-photo: keep what arrived so it can resume.
                file.flush().await?;
                tracing::info!(error = %e, received, "photo upload interrupted");
                return Err(AppError::bad_request(
                    "upload_interrupted",
                    format!(
                        "上传中断，已收到 {received} 字节，可续传 / upload interrupted after {received} bytes; resume it"
                    ),
                ));
            }
        };
        if received + chunk.len() as u64 > max {
            drop(file);
            state.staging.discard(lease).await?;
            return Err(AppError::PayloadTooLarge { limit: max });
        }
        file.write_all(&chunk).await?;
        received += chunk.len() as u64;
    }
    file.flush().await?;
    // The photo is recorded as stored right after; its bytes must be on disk first.
    file.sync_all().await?;
    Ok(received)
}

/// Keeps a photo the server made itself (a page's after-photo, resized and stripped by the
/// photo pipeline; the demo's): written to the staging folder and made durable, moved into
/// the photo store, recorded. Its record.
pub async fn keep_processed(
    state: &AppState,
    p: &hazardsnap_photo::ProcessedPhoto,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PhotoRecord, AppError> {
    let sha = p.fingerprint.sha256_hex();
    let staged = state
        .config
        .data_dir
        .join("uploads")
        .join(format!("made-{sha}.part"));
    {
        use tokio::io::AsyncWriteExt;
        let mut f = tokio::fs::File::create(&staged).await?;
        f.write_all(&p.stored).await?;
        f.sync_all().await?;
    }
    state.photos.put_file(&sha, &staged).await?;
    let record = PhotoRecord {
        sha256: sha,
        bytes: p.stored.len() as u64,
        width: p.width,
        height: p.height,
        phash: p.fingerprint.phash,
        scene: p.fingerprint.scene.to_bytes(),
        uploaded_by: None,
    };
    state.ledger.record_photo(record.clone(), now).await?;
    Ok(record)
}
