//! In-memory rasters and the pixel operations between decode and encode: colour conversion to
//! RGB, orientation (EXIF 方向), resizing and luma extraction.
//!
//! Orientation is applied to the *small* image after the resize, not to the 12 MP decode: the
//! eight EXIF transforms are pure pixel moves, so doing them at 1920 px instead of 4000 px costs
//! a fifth of the memory traffic and gives the same pixels.

use fast_image_resize as fr;

use crate::PhotoError;

/// An 8-bit image with 1 (grey) or 3 (RGB) interleaved channels, rows packed without padding.
#[derive(Debug, Clone)]
pub(crate) struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Vec<u8>,
}

impl Raster {
    pub fn new(width: u32, height: u32, channels: u8, data: Vec<u8>) -> Result<Self, PhotoError> {
        let need = width as usize * height as usize * usize::from(channels);
        if data.len() < need {
            return Err(PhotoError::Corrupt(
                "decoder returned too few pixels".into(),
            ));
        }
        let mut data = data;
        data.truncate(need);
        Ok(Raster {
            width,
            height,
            channels,
            data,
        })
    }

    /// Luma (BT.601, as JPEG's Y) of this raster, one byte a pixel.
    pub fn luma(&self) -> Vec<u8> {
        if self.channels == 1 {
            return self.data.clone();
        }
        self.data
            .chunks_exact(3)
            .map(|p| {
                let y = 19595 * u32::from(p[0]) + 38470 * u32::from(p[1]) + 7471 * u32::from(p[2]);
                ((y + 32768) >> 16) as u8
            })
            .collect()
    }
}

/// Converts decoder CMYK (as ink amounts, 0 = no ink) to RGB.
pub(crate) fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(cmyk.len() / 4 * 3);
    for p in cmyk.chunks_exact(4) {
        let k = 255 - u32::from(p[3]);
        for &c in &p[..3] {
            out.push((((255 - u32::from(c)) * k + 127) / 255) as u8);
        }
    }
    out
}

/// Flattens RGBA onto white: a transparent screenshot should look as it did on screen, not black.
pub(crate) fn rgba_over_white(rgba: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
    for p in rgba.chunks_exact(4) {
        let a = u32::from(p[3]);
        for &c in &p[..3] {
            out.push(((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8);
        }
    }
    out
}

/// Size that fits `w`×`h` into a `side`×`side` box, never enlarging, never below 1 px.
pub(crate) fn fit(w: u32, h: u32, side: u32) -> (u32, u32) {
    let longest = w.max(h);
    if longest <= side {
        return (w, h);
    }
    let scale = f64::from(side) / f64::from(longest);
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, side);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, side);
    (nw, nh)
}

/// Resizes with a Lanczos3 convolution (libvips' reducer), SIMD where the CPU has it. Catmull-Rom
/// was measured too: 1.5 dB less luma PSNR for no measurable time saved (BENCH.md).
pub(crate) fn resize(src: &Raster, w: u32, h: u32) -> Result<Raster, PhotoError> {
    resize_with(src, w, h, fr::FilterType::Lanczos3)
}

pub(crate) fn resize_with(
    src: &Raster,
    w: u32,
    h: u32,
    filter: fr::FilterType,
) -> Result<Raster, PhotoError> {
    if src.width == w && src.height == h {
        return Ok(src.clone());
    }
    let pt = pixel_type(src.channels);
    let src_view = fr::images::ImageRef::new(src.width, src.height, &src.data, pt)
        .map_err(|e| PhotoError::Corrupt(format!("resize source: {e}")))?;
    let mut dst = fr::images::Image::new(w, h, pt);
    let opts = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(filter));
    fr::Resizer::new()
        .resize(&src_view, &mut dst, &opts)
        .map_err(|e| PhotoError::Corrupt(format!("resize: {e}")))?;
    Raster::new(w, h, src.channels, dst.into_vec())
}

/// Shrinks `src` (consumed) to `w`×`h` with Lanczos3, as [`resize`], but with the two passes
/// run separately so that no buffer is faulted in twice: the vertical pass writes a fresh
/// `src.width`×`h` image, and the horizontal pass writes into `src`'s own buffer, which is
/// free by then and at least as large. Returns the result and that intermediate buffer, which
/// the caller can reuse (for the orientation). At 2000×1500 → 1920×1440 this saves ~8 MB of
/// page faults and zeroing, a third of the resize time, with the same pixels.
pub(crate) fn shrink(src: Raster, w: u32, h: u32) -> Result<(Raster, Vec<u8>), PhotoError> {
    if (src.width, src.height) == (w, h) {
        return Ok((src, Vec::new()));
    }
    if w > src.width || h > src.height {
        return Ok((resize(&src, w, h)?, Vec::new()));
    }
    let c = usize::from(src.channels);
    let mut tall = vec![0u8; src.width as usize * h as usize * c];
    convolve(&src, src.width, h, &mut tall)?;
    let mid = Raster {
        width: src.width,
        height: h,
        channels: src.channels,
        data: tall,
    };
    let mut out = src.data;
    out.truncate(w as usize * h as usize * c);
    convolve(&mid, w, h, &mut out)?;
    Ok((
        Raster {
            width: w,
            height: h,
            channels: mid.channels,
            data: out,
        },
        mid.data,
    ))
}

/// One Lanczos3 convolution of `src` into `dst` (w×h, same channels); fast_image_resize runs
/// only the passes whose size changes.
fn convolve(src: &Raster, w: u32, h: u32, dst: &mut [u8]) -> Result<(), PhotoError> {
    let pt = pixel_type(src.channels);
    let src_view = fr::images::ImageRef::new(src.width, src.height, &src.data, pt)
        .map_err(|e| PhotoError::Corrupt(format!("resize source: {e}")))?;
    let mut dst = fr::images::Image::from_slice_u8(w, h, dst, pt)
        .map_err(|e| PhotoError::Corrupt(format!("resize target: {e}")))?;
    let opts =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    fr::Resizer::new()
        .resize(&src_view, &mut dst, &opts)
        .map_err(|e| PhotoError::Corrupt(format!("resize: {e}")))
}

fn pixel_type(channels: u8) -> fr::PixelType {
    if channels == 1 {
        fr::PixelType::U8
    } else {
        fr::PixelType::U8x3
    }
}

/// Applies EXIF orientation `o` (1–8) so that the result displays upright with no tag. The
/// pixels go into `spare` (a buffer the caller no longer needs, so that a 1920 px photo does
/// not fault in another 8 MB of fresh pages); `src`'s own buffer is dropped.
pub(crate) fn orient(src: Raster, o: u8, spare: Vec<u8>) -> Raster {
    if !(2..=8).contains(&o) {
        return src;
    }
    let (w, h) = (src.width as isize, src.height as isize);
    let transposed = o >= 5;
    let (ow, oh) = if transposed { (h, w) } else { (w, h) };
    // Source pixel of display pixel (dx, dy) as sx = x0 + xdx·dx + xdy·dy, sy likewise, so the
    // inner loop is one add per pixel.
    let ((x0, xdx, xdy), (y0, ydx, ydy)) = match o {
        2 => ((w - 1, -1, 0), (0, 0, 1)),
        3 => ((w - 1, -1, 0), (h - 1, 0, -1)),
        4 => ((0, 1, 0), (h - 1, 0, -1)),
        5 => ((0, 0, 1), (0, 1, 0)),
        6 => ((0, 0, 1), (h - 1, -1, 0)),
        7 => ((w - 1, 0, -1), (h - 1, -1, 0)),
        _ => ((w - 1, 0, -1), (0, 1, 0)),
    };
    let mut out = spare;
    out.clear();
    out.resize(src.data.len(), 0);
    let walk = Walk {
        ow,
        oh,
        origin: x0 + y0 * w,
        step_x: xdx + ydx * w,
        step_y: xdy + ydy * w,
    };
    match src.channels {
        1 => walk.copy::<1>(&src.data, &mut out),
        _ => walk.copy::<3>(&src.data, &mut out),
    }
    Raster {
        width: ow as u32,
        height: oh as u32,
        channels: src.channels,
        data: out,
    }
}

/// How display pixels map to source pixels, counted in pixels (not bytes) of the source.
struct Walk {
    ow: isize,
    oh: isize,
    origin: isize,
    step_x: isize,
    step_y: isize,
}

impl Walk {
    /// The pixel size is a constant so that each move is one or two plain loads and stores
    /// instead of a `memcpy` call per pixel (the generic version cost 11 ms at 1920 px).
    fn copy<const C: usize>(&self, src: &[u8], out: &mut [u8]) {
        // 32×32 tiles: a transposing copy walks source columns, and a whole 1920 px column
        // touches 1920 cache lines; a tile's 32 source rows stay in L1.
        const TILE: isize = 32;
        for ty in (0..self.oh).step_by(TILE as usize) {
            for tx in (0..self.ow).step_by(TILE as usize) {
                for dy in ty..(ty + TILE).min(self.oh) {
                    let mut si = self.origin + dy * self.step_y + tx * self.step_x;
                    let start = (dy * self.ow + tx) as usize * C;
                    let end = (dy * self.ow + (tx + TILE).min(self.ow)) as usize * C;
                    for px in out[start..end].chunks_exact_mut(C) {
                        let s = si as usize * C;
                        px.copy_from_slice(&src[s..s + C]);
                        si += self.step_x;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 1920), (1920, 1440));
        assert_eq!(fit(20000, 20, 1920), (1920, 2));
        assert_eq!(fit(1, 1, 1920), (1, 1));
        assert_eq!(fit(30000, 1, 320), (320, 1));
    }

    #[test]
    fn orientation_6_rotates_clockwise() {
        // 2×1 image: red, green. Orientation 6 means "rotate 90° CW to display".
        let r = Raster {
            width: 2,
            height: 1,
            channels: 1,
            data: vec![1, 2],
        };
        let o = orient(r, 6, Vec::new());
        assert_eq!((o.width, o.height), (1, 2));
        assert_eq!(o.data, vec![1, 2]);
        let r = Raster {
            width: 2,
            height: 1,
            channels: 1,
            data: vec![1, 2],
        };
        let o = orient(r, 8, Vec::new());
        assert_eq!(o.data, vec![2, 1]);
    }
}
