//! The per-device photo quota (每台设备照片配额): how many new photos, and how many bytes of
//! them, one device may store over a rolling 24 hours (`Config::device_photos_per_day`,
//! `Config::device_photo_bytes_per_day`). Past it an upload is refused before its body is
//! read, 429 `device_quota_exceeded`, with `Retry-After` the time until the oldest counted
//! photo leaves the 24 hours; the phone keeps the photo in its outbox and sends it later.
//!
//! What counts is what is stored: each photo's row names the device that first uploaded it
//! (`photos.uploaded_by`, migration 12), so a restart forgets nothing, and a photo already
//! stored (the same SHA-256, from any device) is answered "already stored" before the quota
//! is asked, never counted again. Photos officers upload and photos the server makes count
//! against no device.
//!
//! Uploads of the device still running are counted too, so that many uploads started at once
//! cannot all pass a quota that has room for one; only an upload that starts in the instant
//! another one finishes may see the stored count before that photo is in it, and pass one
//! photo over. Bytes are the stored photos' plus the size this upload declares
//! (`Upload-Length`, else `Content-Length`); uploads running meanwhile may pass the byte
//! quota by their own sizes (at most 8 MiB each).
//!
//! The defaults are far above use: a worker photographs a few dozen hazards on a busy day;
//! 2 000 photos or 2 GiB a day is what only a broken or hostile client reaches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::state::AppState;

/// The rolling window of the quota.
pub const QUOTA_WINDOW: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The uploads of each device running now.
#[derive(Debug, Default)]
pub struct PhotoQuota {
    running: Mutex<HashMap<Uuid, u64>>,
}

/// A running upload's place in its device's quota, given back when dropped.
#[derive(Debug)]
pub struct QuotaSlot {
    quota: Arc<PhotoQuota>,
    device: Uuid,
}

impl Drop for QuotaSlot {
    fn drop(&mut self) {
        let mut running = self.quota.running();
        if let Some(n) = running.get_mut(&self.device) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.device);
            }
        }
    }
}

impl PhotoQuota {
    /// No upload running.
    pub fn new() -> PhotoQuota {
        PhotoQuota::default()
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, u64>> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Admits a new photo of `device` of `incoming` bytes (as far as the request's headers tell,
/// else 0) into its quota, or refuses it. The slot counts the upload as running until it is
/// dropped, after the photo is recorded or refused.
pub async fn admit(
    state: &AppState,
    device: Uuid,
    incoming: u64,
    now: DateTime<Utc>,
) -> Result<QuotaSlot, AppError> {
    let max_photos = state.config.device_photos_per_day;
    let max_bytes = state.config.device_photo_bytes_per_day;
    let window = chrono::Duration::from_std(QUOTA_WINDOW).map_err(AppError::internal)?;
    let stored = state
        .ledger
        .photo_uploads_since(device, now - window)
        .await?;
    let quota = state.photo_quota.clone();
    let mut running = quota.running();
    let now_running = running.get(&device).copied().unwrap_or(0);
    let over = stored.photos.saturating_add(now_running) >= max_photos
        || stored.bytes.saturating_add(incoming) > max_bytes;
    if over {
        // When the oldest counted photo leaves the window; uploads still running hold the
        // rest, and those finish within the request time limit.
        let wait = stored
            .oldest
            .map(|oldest| (oldest + window - now).num_seconds())
            .unwrap_or_else(|| state.config.request_timeout.as_secs() as i64);
        return Err(AppError::DeviceQuotaExceeded {
            photos: max_photos,
            mib: max_bytes >> 20,
            retry_after_secs: wait.max(1) as u64,
        });
    }
    *running.entry(device).or_insert(0) += 1;
    drop(running);
    Ok(QuotaSlot {
        quota: state.photo_quota.clone(),
        device,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_given_back_when_dropped() {
        let quota = Arc::new(PhotoQuota::new());
        let device = Uuid::now_v7();
        quota.running().insert(device, 2);
        let a = QuotaSlot {
            quota: quota.clone(),
            device,
        };
        let b = QuotaSlot {
            quota: quota.clone(),
            device,
        };
        drop(a);
        assert_eq!(quota.running().get(&device), Some(&1));
        drop(b);
        assert!(
            quota.running().is_empty(),
            "no entry left for an idle device"
        );
    }
}
