//! JPEG encoding of the stored photo and the thumbnail (存档照片与缩略图编码), under a byte budget.
//!
//! The encoder writes only a JFIF header and the image: no EXIF, XMP, ICC or embedded
//! thumbnail can reach the output because nothing from the input is passed to it. Over a weak
//! factory network the byte budget matters more than the last bit of quality, so an oversized
//! result is re-encoded at lower quality, then at a smaller size.

use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder};

use crate::PhotoError;
use crate::raster::{Raster, fit, resize};

/// Lowest quality tried before shrinking the picture instead.
const MIN_QUALITY: u8 = 50;
/// Below this longest side a hazard photo stops being useful evidence.
const MIN_SIDE: u32 = 480;

/// Encodes `img` as a baseline 4:2:0 JPEG (4:4:4 from quality 90 up, as libjpeg does).
pub(crate) fn encode(img: &Raster, quality: u8) -> Result<Vec<u8>, PhotoError> {
    #[cfg(feature = "turbo")]
    if img.width <= 65535 && img.height <= 65535 {
        return crate::turbo::encode(img, quality);
    }
    let w = u16::try_from(img.width).map_err(|_| PhotoError::Corrupt("width over 65535".into()))?;
    let h =
        u16::try_from(img.height).map_err(|_| PhotoError::Corrupt("height over 65535".into()))?;
    let mut out = Vec::with_capacity(img.data.len() / 8 + 1024);
    let mut enc = Encoder::new(&mut out, quality.clamp(1, 100));
    enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    let ct = if img.channels == 1 {
        ColorType::Luma
    } else {
        ColorType::Rgb
    };
    enc.encode(&img.data, w, h, ct)
        .map_err(|e| PhotoError::Corrupt(format!("encode: {e}")))?;
    Ok(out)
}

/// Encodes within `max_bytes`: the configured quality first, then lower qualities, then smaller
/// sizes. Returns the bytes and the raster actually encoded (its size may have shrunk).
pub(crate) fn encode_within(
    img: Raster,
    quality: u8,
    max_bytes: usize,
) -> Result<(Vec<u8>, Raster), PhotoError> {
    let first = encode(&img, quality)?;
    if first.len() <= max_bytes {
        return Ok((first, img));
    }
    let mut q = quality;
    while q > MIN_QUALITY {
        q = q.saturating_sub(10).max(MIN_QUALITY);
        let bytes = encode(&img, q)?;
        if bytes.len() <= max_bytes {
            return Ok((bytes, img));
        }
    }
    let mut current = img;
    loop {
        let longest = current.width.max(current.height);
        if longest <= MIN_SIDE {
            return Err(PhotoError::OverBudget { max: max_bytes });
        }
        let side = (longest * 4 / 5).max(MIN_SIDE);
        let (w, h) = fit(current.width, current.height, side);
        current = resize(&current, w, h)?;
        let bytes = encode(&current, MIN_QUALITY)?;
        if bytes.len() <= max_bytes {
            return Ok((bytes, current));
        }
    }
}
