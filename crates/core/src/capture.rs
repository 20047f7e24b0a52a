//! Capture (随手拍): from the worker's photos and words to a [`NewReport`] ready to store.
//!
//! Everything that can refuse a report happens here, before anything touches the data folder:
//! the cheap checks first (an empty report or a 10 000-character note is refused before any
//! photo is decoded), then the photo pipeline on each photo, then the protocol's full validation
//! with the real photo hashes. Only a report that passed all of it reaches
//! [`crate::store::Store::insert`], so a refused capture stores nothing at all.

use std::fs::File;
use std::io::Read;

use chrono::{DateTime, Local, TimeZone, Utc};
use hazardsnap_model::{Location, MAX_CLOCK_SKEW_SECS, PhotoRef};
use hazardsnap_photo::{PipelineConfig, ProcessedPhoto, SourceFormat};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::outbox::LocalState;
use crate::store::{NewReport, StoredPhoto, submission_of};
use crate::types::{CaptureRequest, PhotoSource};

/// Reads a photo file, refusing files larger than the pipeline would accept before reading
/// them (a worker may pick a 2 GB video by mistake).
fn read_photo(index: usize, source: &PhotoSource, max: usize) -> Result<Vec<u8>> {
    match source {
        PhotoSource::Bytes { bytes } => Ok(bytes.clone()),
        PhotoSource::Path { path } => {
            let unreadable = |source| Error::PhotoUnreadable { index, source };
            let file = File::open(path).map_err(unreadable)?;
            let meta = file.metadata().map_err(unreadable)?;
            if !meta.is_file() {
                return Err(unreadable(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a regular file",
                )));
            }
            if meta.len() > max as u64 {
                return Err(Error::PhotoFileTooLarge {
                    index,
                    bytes: meta.len(),
                });
            }
            let mut bytes = Vec::with_capacity(meta.len() as usize);
            // `take` guards against a file that grows while it is read.
            file.take(max as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(unreadable)?;
            if bytes.len() > max {
                return Err(Error::PhotoFileTooLarge {
                    index,
                    bytes: bytes.len() as u64,
                });
            }
            Ok(bytes)
        }
    }
}

fn format_name(f: SourceFormat) -> &'static str {
    match f {
        SourceFormat::Jpeg => "jpeg",
        SourceFormat::Png => "png",
        SourceFormat::WebP => "webp",
    }
}

/// The capture time the photo's camera recorded, if it is believable: in the camera's stated
/// offset, else the phone's own zone; never in the future.
fn exif_time(p: &ProcessedPhoto, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let naive = p.metadata.captured_at?;
    let t = match p.metadata.offset {
        Some(off) => off
            .from_local_datetime(&naive)
            .single()?
            .with_timezone(&Utc),
        None => Local
            .from_local_datetime(&naive)
            .earliest()?
            .with_timezone(&Utc),
    };
    ((t - now).num_seconds() <= MAX_CLOCK_SKEW_SECS).then_some(t)
}

/// Called after each photo went through the pipeline: `(done, total)`.
pub type PhotoProgress<'a> = &'a dyn Fn(u64, u64);

/// Runs the checks and the photo pipeline. Stores nothing.
pub fn prepare(
    req: &CaptureRequest,
    cfg: &PipelineConfig,
    progress: PhotoProgress<'_>,
) -> Result<NewReport> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let captured_at = req.captured_at.map(DateTime::<Utc>::from).unwrap_or(now);
    let state = if req.draft {
        LocalState::Draft
    } else {
        LocalState::Queued
    };

    // Cheap checks first, with stand-in photo references of the right count.
    let mut draft = NewReport {
        id,
        content: req.content.clone(),
        captured_at,
        photos: Vec::new(),
        state,
    };
    let mut sub = submission_of(&draft);
    sub.photos = (0..req.photos.len())
        .map(|i| PhotoRef {
            sha256: format!("{i:064x}"),
            bytes: 1,
            width: 1,
            height: 1,
            phash: None,
        })
        .collect();
    sub.validate(now)?;

    let total = req.photos.len() as u64;
    let mut processed = Vec::with_capacity(req.photos.len());
    for (index, source) in req.photos.iter().enumerate() {
        let bytes = read_photo(index, source, cfg.limits.max_input_bytes)?;
        let p = hazardsnap_photo::process(&bytes, cfg)
            .map_err(|source| Error::Photo { index, source })?;
        processed.push(p);
        progress(index as u64 + 1, total);
    }

    if let Some(first) = processed.first() {
        if req.captured_at.is_none()
            && let Some(t) = exif_time(first, now)
        {
            draft.captured_at = t;
        }
        if draft.content.location.is_none()
            && let Some((lat, lon)) = first.metadata.gps
        {
            draft.content.location = Some(Location {
                lat,
                lon,
                accuracy_m: None,
            });
        }
    }
    draft.photos = processed
        .into_iter()
        .map(|p| StoredPhoto {
            sha256: p.fingerprint.sha256_hex(),
            phash: Some(p.fingerprint.phash_hex()),
            source_format: Some(format_name(p.source_format).to_owned()),
            width: p.width,
            height: p.height,
            thumb_width: p.thumb_width,
            thumb_height: p.thumb_height,
            stored: p.stored,
            thumbnail: p.thumbnail,
        })
        .collect();
    submission_of(&draft).validate(now)?;
    Ok(draft)
}
