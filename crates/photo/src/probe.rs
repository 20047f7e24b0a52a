//! Content sniffing and header probing (格式识别与文件头检查), before any large allocation.
//!
//! The decoders allocate a frame buffer sized from the header, so a 40-byte file that declares
//! 60000×60000 pixels would ask for gigabytes. This module reads only the container headers
//! (JPEG markers, PNG IHDR, WebP VP8/VP8L/VP8X) to learn the declared size and to notice a
//! truncated file cheaply; the pipeline refuses the file before the decoder sees it.

use crate::{PhotoError, SourceFormat};

/// What the header says about an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Probe {
    pub format: SourceFormat,
    pub width: u32,
    pub height: u32,
    /// JPEG only: number of components in the frame (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK).
    pub components: u8,
    /// JPEG only: start-of-scan markers seen (progressive files have many; a hostile one
    /// thousands, each of which re-walks the whole coefficient buffer).
    pub scans: u32,
}

/// Detects the image type from its first bytes; the file name is never trusted.
pub fn sniff(bytes: &[u8]) -> Option<SourceFormat> {
    if bytes.len() >= 3 && bytes[..3] == [0xFF, 0xD8, 0xFF] {
        Some(SourceFormat::Jpeg)
    } else if bytes.len() >= 8 && bytes[..8] == *b"\x89PNG\r\n\x1a\n" {
        Some(SourceFormat::Png)
    } else if bytes.len() >= 12 && bytes[..4] == *b"RIFF" && bytes[8..12] == *b"WEBP" {
        Some(SourceFormat::WebP)
    } else {
        None
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    Some(
        u32::from(*b.get(at)?) | u32::from(*b.get(at + 1)?) << 8 | u32::from(*b.get(at + 2)?) << 16,
    )
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads the header of `bytes` and checks the declared size against `max_pixels`.
pub(crate) fn probe(bytes: &[u8], max_pixels: u64) -> Result<Probe, PhotoError> {
    let format = sniff(bytes).ok_or_else(|| {
        // A cut-off signature is a truncated file, not a foreign one.
        let prefix_of =
            |sig: &[u8]| !bytes.is_empty() && bytes.len() < sig.len() && sig.starts_with(bytes);
        let riff = bytes.len() < 12 && b"RIFF".starts_with(&bytes[..bytes.len().min(4)]);
        if prefix_of(&[0xFF, 0xD8, 0xFF])
            || prefix_of(b"\x89PNG\r\n\x1a\n")
            || (!bytes.is_empty() && riff)
        {
            PhotoError::Truncated
        } else {
            PhotoError::Unsupported
        }
    })?;
    let p = match format {
        SourceFormat::Jpeg => probe_jpeg(bytes)?,
        SourceFormat::Png => probe_png(bytes)?,
        SourceFormat::WebP => probe_webp(bytes)?,
    };
    if p.width == 0 || p.height == 0 {
        return Err(PhotoError::BadDimensions {
            width: p.width,
            height: p.height,
        });
    }
    if u64::from(p.width) * u64::from(p.height) > max_pixels {
        return Err(PhotoError::TooManyPixels {
            width: p.width,
            height: p.height,
            max: max_pixels,
        });
    }
    Ok(p)
}

fn probe_jpeg(b: &[u8]) -> Result<Probe, PhotoError> {
    let mut pos = 2;
    let mut frame: Option<(u32, u32, u8)> = None;
    loop {
        // Markers may be padded with any number of 0xFF fill bytes.
        while b.get(pos) == Some(&0xFF) && b.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&ff), Some(&marker)) = (b.get(pos), b.get(pos + 1)) else {
            return Err(PhotoError::Truncated);
        };
        if ff != 0xFF {
            return Err(PhotoError::Corrupt("JPEG marker expected".into()));
        }
        pos += 2;
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            0xD9 => {
                return Err(PhotoError::Corrupt(
                    "JPEG ends before any image data".into(),
                ));
            }
            _ => {}
        }
        let len = usize::from(be16(b, pos).ok_or(PhotoError::Truncated)?);
        if len < 2 {
            return Err(PhotoError::Corrupt("JPEG segment length below 2".into()));
        }
        let seg_end = pos + len;
        if seg_end > b.len() {
            return Err(PhotoError::Truncated);
        }
        match marker {
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if frame.is_some() {
                    return Err(PhotoError::Corrupt("JPEG has two frame headers".into()));
                }
                if len < 8 {
                    return Err(PhotoError::Corrupt("JPEG frame header too short".into()));
                }
                if !matches!(marker, 0xC0..=0xC2) {
                    // Lossless, hierarchical and arithmetic-coded JPEGs do not come out of cameras.
                    return Err(PhotoError::Unsupported);
                }
                let h = u32::from(be16(b, pos + 3).ok_or(PhotoError::Truncated)?);
                let w = u32::from(be16(b, pos + 5).ok_or(PhotoError::Truncated)?);
                let n = *b.get(pos + 7).ok_or(PhotoError::Truncated)?;
                if !matches!(n, 1 | 3 | 4) {
                    return Err(PhotoError::Corrupt(format!("JPEG with {n} components")));
                }
                frame = Some((w, h, n));
            }
            0xDA => {
                let (width, height, components) =
                    frame.ok_or_else(|| PhotoError::Corrupt("JPEG scan before frame".into()))?;
                let rest = &b[seg_end..];
                // 0xFF inside entropy-coded data is always stuffed (FF 00) or a restart marker,
                // so FF DA / FF D9 in the rest are real markers.
                let scans = 1 + count_pair(rest, 0xDA);
                if memchr::memmem::rfind(rest, &[0xFF, 0xD9]).is_none() {
                    return Err(PhotoError::Truncated);
                }
                return Ok(Probe {
                    format: SourceFormat::Jpeg,
                    width,
                    height,
                    components,
                    scans,
                });
            }
            _ => {}
        }
        pos = seg_end;
    }
}

fn count_pair(hay: &[u8], second: u8) -> u32 {
    let n = memchr::memmem::find_iter(hay, &[0xFF, second]).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn probe_png(b: &[u8]) -> Result<Probe, PhotoError> {
    if b.len() < 33 {
        return Err(PhotoError::Truncated);
    }
    if b[12..16] != *b"IHDR" {
        return Err(PhotoError::Corrupt("PNG without IHDR first".into()));
    }
    let width = be32(b, 16).ok_or(PhotoError::Truncated)?;
    let height = be32(b, 20).ok_or(PhotoError::Truncated)?;
    if !b.windows(4).rev().take(64).any(|w| w == b"IEND") {
        return Err(PhotoError::Truncated);
    }
    Ok(Probe {
        format: SourceFormat::Png,
        width,
        height,
        components: 0,
        scans: 0,
    })
}

fn probe_webp(b: &[u8]) -> Result<Probe, PhotoError> {
    let riff_len = le32(b, 4).ok_or(PhotoError::Truncated)? as usize;
    if riff_len.saturating_add(8) > b.len() {
        return Err(PhotoError::Truncated);
    }
    let tag = b.get(12..16).ok_or(PhotoError::Truncated)?;
    let (width, height) = match tag {
        b"VP8X" => (
            le24(b, 24).ok_or(PhotoError::Truncated)? + 1,
            le24(b, 27).ok_or(PhotoError::Truncated)? + 1,
        ),
        b"VP8L" => {
            if b.get(20) != Some(&0x2F) {
                return Err(PhotoError::Corrupt("VP8L signature".into()));
            }
            let bits = le32(b, 21).ok_or(PhotoError::Truncated)?;
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        b"VP8 " => {
            if b.get(23..26) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err(PhotoError::Corrupt("VP8 start code".into()));
            }
            let w = u32::from(u16::from_le_bytes([
                *b.get(26).ok_or(PhotoError::Truncated)?,
                *b.get(27).ok_or(PhotoError::Truncated)?,
            ]));
            let h = u32::from(u16::from_le_bytes([
                *b.get(28).ok_or(PhotoError::Truncated)?,
                *b.get(29).ok_or(PhotoError::Truncated)?,
            ]));
            (w & 0x3FFF, h & 0x3FFF)
        }
        _ => return Err(PhotoError::Corrupt("unknown WebP chunk".into())),
    };
    Ok(Probe {
        format: SourceFormat::WebP,
        width,
        height,
        components: 0,
        scans: 0,
    })
}

/// True when a JPEG has no segment that can carry metadata: only JFIF (APP0) and Adobe
/// colour-transform (APP14) application segments, and no comment.
pub(crate) fn metadata_free(b: &[u8]) -> bool {
    let mut pos = 2;
    loop {
        while b.get(pos) == Some(&0xFF) && b.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (b.get(pos), b.get(pos + 1)) else {
            return false;
        };
        pos += 2;
        if matches!(marker, 0xD8 | 0x01 | 0xD0..=0xD7) {
            continue;
        }
        if marker == 0xDA {
            return true;
        }
        let Some(len) = be16(b, pos) else {
            return false;
        };
        let body = b.get(pos + 2..pos + usize::from(len)).unwrap_or(&[]);
        match marker {
            0xE0 if body.starts_with(b"JFIF\0") => {}
            0xEE if body.starts_with(b"Adobe") => {}
            0xE0..=0xEF | 0xFE => return false,
            _ => {}
        }
        pos += usize::from(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_ignores_garbage() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"GIF89a...."), None);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(SourceFormat::Jpeg));
    }

    #[test]
    fn probe_never_panics_on_prefixes() {
        let mut jpeg = vec![
            0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 8, 0xEA, 0x60, 0xEA, 0x60, 3,
        ];
        jpeg.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 63, 0, 0xFF, 0xD9]);
        for cut in 0..jpeg.len() {
            let _ = probe(&jpeg[..cut], 1 << 30);
        }
        assert!(matches!(
            probe(&jpeg, 100_000_000),
            Err(PhotoError::TooManyPixels { .. })
        ));
    }
}
