//! The photo pipeline of hazardsnap (隐患照片处理): from a phone camera's photo to the stored
//! JPEG, its thumbnail and its fingerprints, and the server's re-check of an uploaded photo.
//!
//! * [`process`] runs on the phone at capture: it sniffs the type from the content (JPEG, PNG,
//!   WebP; **iOS converts HEIC to JPEG before calling**, as the core does not decode HEIC),
//!   reads capture time and GPS from EXIF before anything is dropped, applies the EXIF
//!   orientation, and writes a stored photo (longest side ≤ [`PipelineConfig::max_side`], JPEG
//!   near [`PipelineConfig::quality`], within [`PipelineConfig::max_stored_bytes`]) and a
//!   thumbnail, both with no metadata at all.
//! * [`verify_stored`] runs on the server, which trusts nothing: the upload must be a JPEG
//!   within [`Limits`]; it is decoded and its fingerprints recomputed.
//! * [`compare`] says how alike two photos are, with its evidence ([`Similarity`]), so the
//!   ledger can propose merging duplicate reports of the same hazard (重复隐患合并).
//!
//! Fingerprints are a pure function of the stored JPEG's bytes: the phone and the server run
//! the same code ([`fingerprint_stored`]) on the same bytes and get the same values.
//!
//! Every failure is a typed [`PhotoError`]; hostile files (decompression bombs, truncated or
//! corrupt data) are refused from their header where possible, and no input makes it panic.
//!
//! The default build (feature `turbo`) decodes and encodes JPEG with libjpeg-turbo (C with
//! SIMD, vendored by `mozjpeg-sys` and compiled by `cc` with the platform's own clang on
//! Android and iOS; on x86 its SIMD needs `nasm` on the build machine, and without it the
//! build still succeeds in plain C, ~1.4× slower, with a cargo warning that cargo hides).
//! `--no-default-features` is the pure-Rust build (`jpeg-decoder`, `jpeg-encoder`), about 2×
//! slower, for targets without a C toolchain. Both use `fast_image_resize` and `image` (PNG,
//! WebP). Fingerprints from the two builds are not bit-identical (different IDCTs), so a phone
//! and a server comparing `phash` exactly should use the same build; [`compare`] tolerates the
//! difference. Timings, memory and quality against libvips and `djpeg` are in `BENCH.md`.

mod decode;
mod encode;
mod error;
mod metadata;
mod phash;
mod probe;
mod raster;
mod scene;
#[cfg(feature = "turbo")]
mod turbo;

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub use error::PhotoError;
pub use phash::phash_distance;
pub use probe::sniff;
pub use scene::{DESCRIPTOR_BYTES, Keypoint, SceneSignature};

use raster::fit;

/// Longest side of the small copy that fingerprints are computed from (≤ 512 px): a 1920 px
/// stored photo decodes to exactly this at DCT scale 1/4.
pub const FINGERPRINT_SIDE: u32 = 480;

/// Limits against hostile input (输入限制).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file, in bytes (default 40 MiB).
    pub max_input_bytes: usize,
    /// Largest accepted declared width × height, checked from the header before decoding
    /// (default 100 megapixels).
    pub max_pixels: u64,
    /// Wall-clock budget for one photo. Checked between stages; each stage is itself bounded by
    /// the pixel and byte limits (default 10 s, far above the ~0.1–0.5 s a phone needs).
    pub max_decode_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 40 * 1024 * 1024,
            max_pixels: 100_000_000,
            max_decode_time: Duration::from_secs(10),
        }
    }
}

/// What the pipeline produces (处理参数).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Longest side of the stored photo (default 1920).
    pub max_side: u32,
    /// Longest side of the thumbnail (default 320).
    pub thumb_side: u32,
    /// JPEG quality of the stored photo, 1–100 (default 80).
    pub quality: u8,
    /// Byte budget of the stored photo; over it, lower quality then a smaller size are tried
    /// (default 1 MiB).
    pub max_stored_bytes: usize,
    /// Limits against hostile input.
    pub limits: Limits,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            max_side: 1920,
            thumb_side: 320,
            quality: 80,
            max_stored_bytes: 1024 * 1024,
            limits: Limits::default(),
        }
    }
}

/// The input's type, detected from its content (原图格式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// JPEG (JFIF or EXIF).
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy or lossless).
    WebP,
}

/// Facts read from the input's EXIF before it is dropped (拍摄信息).
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureMetadata {
    /// Capture time as the camera's clock showed it (DateTimeOriginal).
    pub captured_at: Option<chrono::NaiveDateTime>,
    /// The camera's UTC offset at capture (OffsetTimeOriginal), when written.
    pub offset: Option<chrono::FixedOffset>,
    /// (latitude, longitude) in degrees, south and west negative.
    pub gps: Option<(f64, f64)>,
    /// The EXIF orientation that was applied (1 = none).
    pub orientation: u8,
}

impl Default for CaptureMetadata {
    fn default() -> Self {
        CaptureMetadata {
            captured_at: None,
            offset: None,
            gps: None,
            orientation: 1,
        }
    }
}

/// Fingerprints of a stored photo (照片指纹), for deduplication.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    /// SHA-256 of the stored JPEG bytes: the content address of the upload.
    pub sha256: [u8; 32],
    /// 256-bit perceptual hash (PDQ-like): robust to recompression, resizing, brightness.
    pub phash: [u8; 32],
    /// Keypoints and descriptors: robust to crops, shifts, small rotations, a step aside.
    pub scene: SceneSignature,
}

impl Fingerprint {
    /// The SHA-256 in lowercase hex (the photo's name in `/api/v1/photos/{sha256}`).
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    /// The perceptual hash in lowercase hex (64 characters).
    pub fn phash_hex(&self) -> String {
        hex::encode(self.phash)
    }
}

/// The result of [`process`] (处理后的照片).
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    /// The stored JPEG, without any metadata.
    pub stored: Vec<u8>,
    /// Width of the stored photo.
    pub width: u32,
    /// Height of the stored photo.
    pub height: u32,
    /// The thumbnail JPEG, without any metadata.
    pub thumbnail: Vec<u8>,
    /// Width of the thumbnail.
    pub thumb_width: u32,
    /// Height of the thumbnail.
    pub thumb_height: u32,
    /// Fingerprints of the stored photo.
    pub fingerprint: Fingerprint,
    /// Capture facts read from the input's EXIF.
    pub metadata: CaptureMetadata,
    /// The input's type.
    pub source_format: SourceFormat,
}

/// The result of [`verify_stored`] (服务器复核结果).
#[derive(Debug, Clone)]
pub struct VerifiedPhoto {
    /// Width from the JPEG frame header.
    pub width: u32,
    /// Height from the JPEG frame header.
    pub height: u32,
    /// Fingerprints recomputed from the bytes.
    pub fingerprint: Fingerprint,
    /// True when the JPEG carries no metadata segment (EXIF, XMP, ICC, comments…); a photo
    /// made by [`process`] always does not.
    pub metadata_free: bool,
}

/// How alike two photos are, with the evidence (相似度及依据).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// 0 (unrelated) to 1 (same photo or same scene beyond doubt).
    pub score: f32,
    /// Hamming distance of the perceptual hashes (0–256; unrelated photos are near 128).
    pub phash_distance: u32,
    /// Descriptor matches that passed the ratio test.
    pub scene_matches: u32,
    /// Matches consistent with one similarity transform (RANSAC inliers).
    pub scene_inliers: u32,
    /// Scale of that transform, b relative to a (1 = same framing size); 0 if none.
    pub scene_scale: f32,
    /// Rotation of that transform in degrees; 0 if none.
    pub scene_rotation_deg: f32,
    /// The stored bytes are identical.
    pub identical: bool,
    /// The verdict at the recommended thresholds (see [`SAME_PHASH_MAX`], [`SAME_SCENE_MIN_INLIERS`]).
    pub same_scene: bool,
}

/// Perceptual-hash distance at or below which two photos are the same picture
/// (recompressed, resized, re-lit); measured in BENCH.md.
pub const SAME_PHASH_MAX: u32 = 40;
/// Scene inliers at or above which two photos show the same scene; measured in BENCH.md.
pub const SAME_SCENE_MIN_INLIERS: u32 = 12;

/// Phone side, at capture: turns a camera photo into the stored photo, thumbnail, fingerprints
/// and capture metadata. HEIC is not accepted: iOS converts it to JPEG first.
pub fn process(input: &[u8], cfg: &PipelineConfig) -> Result<ProcessedPhoto, PhotoError> {
    process_inner(input, cfg, &mut |_| {})
}

/// Time spent in each named stage of [`process_profiled`].
#[doc(hidden)]
pub type StageTimes = Vec<(&'static str, Duration)>;

/// [`process`] reporting the time of each stage (for the benchmark; not a stable API).
#[doc(hidden)]
pub fn process_profiled(
    input: &[u8],
    cfg: &PipelineConfig,
) -> Result<(ProcessedPhoto, StageTimes), PhotoError> {
    let mut stages = Vec::new();
    let mut last = Instant::now();
    let out = process_inner(input, cfg, &mut |name| {
        let now = Instant::now();
        stages.push((name, now - last));
        last = now;
    })?;
    Ok((out, stages))
}

fn process_inner(
    input: &[u8],
    cfg: &PipelineConfig,
    stage: &mut dyn FnMut(&'static str),
) -> Result<ProcessedPhoto, PhotoError> {
    let start = Instant::now();
    let limits = &cfg.limits;
    if input.len() > limits.max_input_bytes {
        return Err(PhotoError::TooLarge {
            bytes: input.len(),
            max: limits.max_input_bytes,
        });
    }
    let probe = probe::probe(input, limits.max_pixels)?;
    let metadata = metadata::read(input);
    stage("probe+exif");
    let max_side = cfg.max_side.max(1);
    let decoded = decode::decode(input, &probe, max_side, limits)?;
    decode::check_deadline(start, limits)?;
    stage("decode");

    let (w, h) = fit(decoded.width, decoded.height, max_side);
    let (resized, spare) = raster::shrink(decoded, w, h)?;
    stage("resize");
    let upright = raster::orient(resized, metadata.orientation, spare);
    stage("orient");
    let (stored, upright) = encode::encode_within(upright, cfg.quality, cfg.max_stored_bytes)?;
    decode::check_deadline(start, limits)?;
    stage("encode");

    let (width, height) = (upright.width, upright.height);
    drop(upright);

    let (_, fingerprint, small) = fingerprint_stored_staged(&stored, limits, stage)?;
    decode::check_deadline(start, limits)?;
    stage("fingerprint");

    // The thumbnail comes from the fingerprint's ≤480 px copy when that is large enough: a
    // 480→320 resize instead of 1920→320, and no second decode.
    let (tw, th) = fit(width, height, cfg.thumb_side.max(1));
    let source = if small.width >= tw && small.height >= th {
        small
    } else {
        upright_again(&stored, limits)?
    };
    let thumb = raster::resize(&source, tw, th)?;
    let thumbnail = encode::encode(&thumb, cfg.quality.min(75))?;
    stage("thumbnail");
    Ok(ProcessedPhoto {
        stored,
        width,
        height,
        thumbnail,
        thumb_width: tw,
        thumb_height: th,
        fingerprint,
        metadata,
        source_format: probe.format,
    })
}

/// Server side: an uploaded stored photo, trusted for nothing. It must be a JPEG within
/// `limits`; all of its entropy-coded data is decoded (at 1/4 DCT scale, so corrupt data is
/// refused without a full-size buffer) and its fingerprints (sha256 of the given bytes, phash,
/// scene) and dimensions recomputed.
pub fn verify_stored(bytes: &[u8], limits: &Limits) -> Result<VerifiedPhoto, PhotoError> {
    let start = Instant::now();
    if bytes.len() > limits.max_input_bytes {
        return Err(PhotoError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_input_bytes,
        });
    }
    let (probe, fingerprint) = fingerprint_probed(bytes, limits)?;
    decode::check_deadline(start, limits)?;
    Ok(VerifiedPhoto {
        width: probe.width,
        height: probe.height,
        fingerprint,
        metadata_free: probe::metadata_free(bytes),
    })
}

/// Fingerprints of a stored JPEG: SHA-256 of the bytes, and phash and scene signature of a
/// ≤ [`FINGERPRINT_SIDE`] px copy decoded at reduced DCT scale.
pub fn fingerprint_stored(bytes: &[u8], limits: &Limits) -> Result<Fingerprint, PhotoError> {
    Ok(fingerprint_probed(bytes, limits)?.1)
}

fn fingerprint_probed(
    bytes: &[u8],
    limits: &Limits,
) -> Result<(probe::Probe, Fingerprint), PhotoError> {
    let (probe, fingerprint, _) = fingerprint_stored_staged(bytes, limits, &mut |_| {})?;
    Ok((probe, fingerprint))
}

/// The stored photo decoded at full size (for a thumbnail side above the fingerprint size).
fn upright_again(stored: &[u8], limits: &Limits) -> Result<raster::Raster, PhotoError> {
    let probe = probe::probe(stored, limits.max_pixels)?;
    decode::decode_jpeg(stored, &probe, probe.width.max(probe.height), limits)
}

fn fingerprint_stored_staged(
    bytes: &[u8],
    limits: &Limits,
    stage: &mut dyn FnMut(&'static str),
) -> Result<(probe::Probe, Fingerprint, raster::Raster), PhotoError> {
    if sniff(bytes).is_some_and(|f| f != SourceFormat::Jpeg) {
        return Err(PhotoError::Unsupported);
    }
    let probe = probe::probe(bytes, limits.max_pixels)?;
    let small = decode::decode_jpeg(bytes, &probe, FINGERPRINT_SIDE, limits)?;
    let (w, h) = fit(small.width, small.height, FINGERPRINT_SIDE);
    let small = if (w, h) == (small.width, small.height) {
        small
    } else {
        raster::resize(&small, w, h)?
    };
    stage("fp-decode");
    let sha256: [u8; 32] = Sha256::digest(bytes).into();
    let luma = small.luma();
    let (w, h) = (small.width as usize, small.height as usize);
    let phash = phash::phash(&luma, w, h);
    stage("fp-sha+phash");
    let scene = scene::extract(&luma, w, h);
    stage("fp-scene");
    Ok((
        probe,
        Fingerprint {
            sha256,
            phash,
            scene,
        },
        small,
    ))
}

/// Compares two fingerprints: perceptual-hash distance, scene matches verified by RANSAC, and a
/// combined score in 0..1.
pub fn compare(a: &Fingerprint, b: &Fingerprint) -> Similarity {
    similarity(a, b, scene::match_scenes(&a.scene, &b.scene))
}

/// [`compare`] for a caller that ignores scene evidence of `min_inliers` inliers or fewer (as
/// deduplication does below its noise floor), and so can skip the geometric verification when
/// it could not reach that.
///
/// Whenever [`compare`] reports more than `min_inliers` scene inliers, this returns exactly the
/// same [`Similarity`]. Otherwise the scene inliers it reports are also `min_inliers` or fewer,
/// but may be 0 where [`compare`] reports a few (with scale and rotation 0, and `score` and
/// `same_scene` computed from that); the perceptual-hash distance, `identical` and
/// `scene_matches` are always exact. With `min_inliers` 0 it is [`compare`].
pub fn compare_at_least(a: &Fingerprint, b: &Fingerprint, min_inliers: u32) -> Similarity {
    similarity(
        a,
        b,
        scene::match_scenes_at_least(&a.scene, &b.scene, min_inliers),
    )
}

/// [`compare`] as first written, one descriptor pair at a time: the reference the fast matcher
/// is tested and benchmarked against. Same results, several times slower; not a stable API.
#[doc(hidden)]
pub fn compare_reference(a: &Fingerprint, b: &Fingerprint) -> Similarity {
    similarity(a, b, scene::match_scenes_reference(&a.scene, &b.scene))
}

/// The descriptor matches of scene `a` in scene `b` before geometric verification, in the order
/// of `a`'s keypoints: `(index in a, index in b)` for every keypoint of `a` whose nearest
/// descriptor in `b` (the first of equally near ones) is close, and clearly nearer than the
/// second nearest (Lowe's ratio test). Several keypoints of `a` may name the same keypoint of
/// `b`; [`compare`] keeps only the best of those before RANSAC. Callers that locate the
/// matched part themselves (where one photo's centre lies in the other) start from these.
pub fn scene_ratio_matches(a: &SceneSignature, b: &SceneSignature) -> Vec<(usize, usize)> {
    scene::ratio_matches(a, b)
}

fn similarity(a: &Fingerprint, b: &Fingerprint, m: scene::SceneMatch) -> Similarity {
    let identical = a.sha256 == b.sha256;
    let d = phash_distance(&a.phash, &b.phash);
    // Each signal maps to 0..1 with 0.5 at its recommended threshold; the stronger one wins.
    let p = ((96.0 - d as f32) / (2.0 * (96.0 - SAME_PHASH_MAX as f32))).clamp(0.0, 1.0);
    let s = (m.inliers as f32 / (2.0 * SAME_SCENE_MIN_INLIERS as f32)).clamp(0.0, 1.0);
    let score = if identical { 1.0 } else { p.max(s) };
    Similarity {
        score,
        phash_distance: d,
        scene_matches: m.matches,
        scene_inliers: m.inliers,
        scene_scale: m.scale,
        scene_rotation_deg: m.rotation_deg,
        identical,
        same_scene: identical || d <= SAME_PHASH_MAX || m.inliers >= SAME_SCENE_MIN_INLIERS,
    }
}
