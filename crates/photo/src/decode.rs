//! Decoding under limits (受限解码): JPEG at reduced size through DCT scaling, PNG and WebP
//! through the `image` crate, all to 8-bit grey or RGB.
//!
//! A camera JPEG of 4000×3000 only ever becomes a ≤1920 px photo, so the JPEG decoder is asked
//! for the smallest DCT scale (1/2, 1/4, 1/8) that still covers the target size: the inverse DCT,
//! colour conversion and buffers shrink by the square of that factor, and only the entropy
//! decoding runs at full size. Decoders are third-party code facing hostile input, so each call
//! runs under `catch_unwind`: a decoder bug becomes [`PhotoError::Internal`], not a crash of the
//! phone app or of a server worker.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use crate::probe::Probe;
use crate::raster::{Raster, rgba_over_white};
use crate::{Limits, PhotoError, SourceFormat};

/// Progressive JPEGs from cameras and encoders have about 10 scans; each extra scan re-walks
/// the whole coefficient buffer, so a file with thousands of tiny scans is a CPU bomb.
const MAX_JPEG_SCANS: u32 = 128;

fn guarded<T>(f: impl FnOnce() -> Result<T, PhotoError>) -> Result<T, PhotoError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(PhotoError::Internal))
}

/// Checks the wall-clock budget between stages: decoders cannot be interrupted mid-call, but
/// the pixel and scan limits bound each call, and no further stage starts once over budget.
pub(crate) fn check_deadline(start: Instant, limits: &Limits) -> Result<(), PhotoError> {
    if start.elapsed() > limits.max_decode_time {
        Err(PhotoError::Timeout)
    } else {
        Ok(())
    }
}

/// Decodes `bytes` (already probed) so that the longest side is at least `min_side` when the
/// source allows it, and not much more when DCT scaling can avoid it.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    min_side: u32,
    limits: &Limits,
) -> Result<Raster, PhotoError> {
    match probe.format {
        SourceFormat::Jpeg => decode_jpeg(bytes, probe, min_side, limits),
        SourceFormat::Png | SourceFormat::WebP => decode_other(bytes, probe, limits),
    }
}

#[cfg(not(feature = "turbo"))]
fn map_jpeg_err(e: jpeg_decoder::Error) -> PhotoError {
    match e {
        jpeg_decoder::Error::Format(m) => PhotoError::Corrupt(m),
        jpeg_decoder::Error::Unsupported(_) => PhotoError::Unsupported,
        jpeg_decoder::Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Truncated
        }
        jpeg_decoder::Error::Io(e) => PhotoError::Corrupt(e.to_string()),
        jpeg_decoder::Error::Internal(_) => PhotoError::Internal,
    }
}

pub(crate) fn decode_jpeg(
    bytes: &[u8],
    probe: &Probe,
    min_side: u32,
    limits: &Limits,
) -> Result<Raster, PhotoError> {
    if probe.scans > MAX_JPEG_SCANS {
        return Err(PhotoError::Corrupt(format!(
            "JPEG with {} scans",
            probe.scans
        )));
    }
    #[cfg(feature = "turbo")]
    {
        let _ = limits;
        crate::turbo::decode_jpeg(bytes, probe, min_side)
    }
    #[cfg(not(feature = "turbo"))]
    guarded(|| {
        let mut dec = jpeg_decoder::Decoder::new(bytes);
        // Full-size coefficient planes (progressive) plus output: bound them by the pixel limit.
        let budget = usize::try_from(limits.max_pixels.saturating_mul(4)).unwrap_or(usize::MAX);
        dec.set_max_decoding_buffer_size(budget);
        dec.read_info().map_err(map_jpeg_err)?;
        let longest = probe.width.max(probe.height);
        if min_side < longest {
            let s = f64::from(min_side) / f64::from(longest);
            let rw = (f64::from(probe.width) * s).ceil().clamp(1.0, 65535.0) as u16;
            let rh = (f64::from(probe.height) * s).ceil().clamp(1.0, 65535.0) as u16;
            dec.scale(rw, rh).map_err(map_jpeg_err)?;
        }
        let pixels = dec.decode().map_err(map_jpeg_err)?;
        let info = dec
            .info()
            .ok_or_else(|| PhotoError::Corrupt("no JPEG frame".into()))?;
        let (w, h) = (u32::from(info.width), u32::from(info.height));
        match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 => Raster::new(w, h, 1, pixels),
            jpeg_decoder::PixelFormat::RGB24 => Raster::new(w, h, 3, pixels),
            jpeg_decoder::PixelFormat::CMYK32 => {
                Raster::new(w, h, 3, crate::raster::cmyk_to_rgb(&pixels))
            }
            jpeg_decoder::PixelFormat::L16 => Err(PhotoError::Unsupported),
        }
    })
}

fn decode_other(bytes: &[u8], probe: &Probe, limits: &Limits) -> Result<Raster, PhotoError> {
    use image::ImageDecoder;
    guarded(|| {
        let mut lim = image::Limits::default();
        lim.max_image_width = Some(probe.width);
        lim.max_image_height = Some(probe.height);
        // RGBA16 output is the largest the decoders produce, plus working buffers.
        lim.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(1 << 24));
        let cursor = std::io::Cursor::new(bytes);
        let map = |e: image::ImageError| match e {
            image::ImageError::Limits(_) => PhotoError::TooManyPixels {
                width: probe.width,
                height: probe.height,
                max: limits.max_pixels,
            },
            image::ImageError::Unsupported(_) => PhotoError::Unsupported,
            image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                PhotoError::Truncated
            }
            other => PhotoError::Corrupt(other.to_string()),
        };
        let mut dec: Box<dyn ImageDecoder> = match probe.format {
            SourceFormat::Png => {
                Box::new(image::codecs::png::PngDecoder::new(cursor).map_err(map)?)
            }
            _ => Box::new(image::codecs::webp::WebPDecoder::new(cursor).map_err(map)?),
        };
        dec.set_limits(lim).map_err(map)?;
        let (w, h) = dec.dimensions();
        if (w, h) != (probe.width, probe.height) {
            return Err(PhotoError::Corrupt("header dimensions disagree".into()));
        }
        let img = image::DynamicImage::from_decoder(dec).map_err(map)?;
        if img.color().has_alpha() {
            let rgba = img.into_rgba8();
            Raster::new(w, h, 3, rgba_over_white(rgba.as_raw()))
        } else if img.color().has_color() {
            Raster::new(w, h, 3, img.into_rgb8().into_raw())
        } else {
            Raster::new(w, h, 1, img.into_luma8().into_raw())
        }
    })
}
