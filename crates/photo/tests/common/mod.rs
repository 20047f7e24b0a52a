//! Test and bench fixtures: synthetic "photo-like" scenes and hand-assembled EXIF.
//!
//! Nothing is downloaded: every image is generated from a seed. A scene is a "world" image of a
//! workshop-like clutter (boxes, pipes, valves, grates, labels, textured surfaces), and a photo is
//! a *view* of that world (position, scale, rotation) plus fresh sensor noise, so a re-shoot from
//! a step aside is a different view of the same world rather than a pixel edit of one photo.
//! Flat synthetic images decode unrealistically fast; these are textured and noisy like camera
//! output.
#![allow(dead_code)]

/// A packed 8-bit RGB image.
#[derive(Clone)]
pub struct Rgb {
    pub w: usize,
    pub h: usize,
    pub data: Vec<u8>,
}

/// A deterministic generator (no test depends on the platform's randomness).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn f(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.f()
    }
    pub fn color(&mut self) -> [f32; 3] {
        [
            self.range(20.0, 235.0),
            self.range(20.0, 235.0),
            self.range(20.0, 235.0),
        ]
    }
}

fn hash2(x: i64, y: i64, seed: u64) -> f32 {
    let mut h = (x as u64).wrapping_mul(0x9E37_79B1) ^ (y as u64).wrapping_mul(0x85EB_CA77) ^ seed;
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    (h >> 40) as f32 / (1u64 << 24) as f32
}

/// Smooth value noise in 0..1 at lattice spacing `cell` pixels.
fn value_noise(x: f32, y: f32, cell: f32, seed: u64) -> f32 {
    let (fx, fy) = (x / cell, y / cell);
    let (ix, iy) = (fx.floor() as i64, fy.floor() as i64);
    let (tx, ty) = (fx - ix as f32, fy - iy as f32);
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let a = hash2(ix, iy, seed);
    let b = hash2(ix + 1, iy, seed);
    let c = hash2(ix, iy + 1, seed);
    let d = hash2(ix + 1, iy + 1, seed);
    (a + (b - a) * sx) + ((c + (d - c) * sx) - (a + (b - a) * sx)) * sy
}

/// Renders a world of `w`×`h` pixels for `seed`.
pub fn world(seed: u64, w: usize, h: usize) -> Rgb {
    let mut rng = Rng::new(seed);
    let unit = w.max(h) as f32 / 1000.0;
    let base = rng.color();
    let base2 = rng.color();
    let mut px = vec![0f32; w * h * 3];
    // Background: a lit wall/floor gradient with a multi-octave surface texture.
    for y in 0..h {
        for x in 0..w {
            let (xf, yf) = (x as f32, y as f32);
            let t = yf / h as f32;
            let n = value_noise(xf, yf, 60.0 * unit, seed) * 0.5
                + value_noise(xf, yf, 13.0 * unit, seed ^ 1) * 0.3
                + value_noise(xf, yf, 3.0 * unit, seed ^ 2) * 0.2;
            let i = (y * w + x) * 3;
            for c in 0..3 {
                px[i + c] = (base[c] * (1.0 - t) + base2[c] * t) * (0.6 + 0.7 * n);
            }
        }
    }
    let shapes = 60 + (rng.next() % 40) as usize;
    for _ in 0..shapes {
        let kind = rng.next() % 5;
        let col = rng.color();
        let cx = rng.range(0.0, w as f32);
        let cy = rng.range(0.0, h as f32);
        let size = rng.range(8.0, 90.0) * unit;
        let tex_seed = rng.next();
        let tex_cell = rng.range(2.0, 12.0) * unit;
        match kind {
            0 | 1 => {
                // Box / panel / label, optionally with stripes.
                let (hw, hh) = (size * rng.range(0.3, 1.5), size * rng.range(0.3, 1.5));
                let stripes = rng.f() < 0.4;
                let stripe_w = rng.range(3.0, 12.0) * unit;
                let col2 = rng.color();
                fill(&mut px, w, h, cx - hw, cy - hh, cx + hw, cy + hh, |x, y| {
                    let n = value_noise(x, y, tex_cell, tex_seed);
                    let alt = stripes && (((x + y) / stripe_w) as i64) % 2 == 0;
                    let c = if alt { col2 } else { col };
                    Some([
                        c[0] * (0.75 + 0.5 * n),
                        c[1] * (0.75 + 0.5 * n),
                        c[2] * (0.75 + 0.5 * n),
                    ])
                });
            }
            2 => {
                // Valve / gauge: a ring with a darker centre.
                let r = size * 0.7;
                fill(&mut px, w, h, cx - r, cy - r, cx + r, cy + r, |x, y| {
                    let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
                    if d > r {
                        None
                    } else if d > r * 0.6 {
                        Some(col)
                    } else {
                        let k = 0.4 + 0.3 * value_noise(x, y, tex_cell, tex_seed);
                        Some([col[0] * k, col[1] * k, col[2] * k])
                    }
                });
            }
            3 => {
                // Pipe: a long shaded bar, horizontal or vertical.
                let horiz = rng.f() < 0.5;
                let len = size * rng.range(3.0, 8.0);
                let th = size * 0.25;
                let (x0, y0, x1, y1) = if horiz {
                    (cx - len, cy - th, cx + len, cy + th)
                } else {
                    (cx - th, cy - len, cx + th, cy + len)
                };
                fill(&mut px, w, h, x0, y0, x1, y1, |x, y| {
                    let t = if horiz { (y - cy) / th } else { (x - cx) / th };
                    let k = 1.1 - 0.6 * t * t;
                    Some([col[0] * k, col[1] * k, col[2] * k])
                });
            }
            _ => {
                // Grate / text block: small dark cells.
                let cell = rng.range(4.0, 10.0) * unit;
                let (hw, hh) = (size * rng.range(0.5, 1.5), size * rng.range(0.2, 0.8));
                let fill_seed = rng.next();
                fill(&mut px, w, h, cx - hw, cy - hh, cx + hw, cy + hh, |x, y| {
                    let (ix, iy) = ((x / cell) as i64, (y / cell) as i64);
                    let inner = (x / cell).fract() < 0.7 && (y / cell).fract() < 0.7;
                    if inner && hash2(ix, iy, fill_seed) < 0.6 {
                        Some([col[0] * 0.3, col[1] * 0.3, col[2] * 0.3])
                    } else {
                        Some([col[0].max(150.0), col[1].max(150.0), col[2].max(150.0)])
                    }
                });
            }
        }
    }
    Rgb {
        w,
        h,
        data: px.iter().map(|v| v.clamp(0.0, 255.0) as u8).collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn fill(
    px: &mut [f32],
    w: usize,
    h: usize,
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    f: impl Fn(f32, f32) -> Option<[f32; 3]>,
) {
    let xa = x0.max(0.0) as usize;
    let ya = y0.max(0.0) as usize;
    let xb = (x1.max(0.0) as usize).min(w);
    let yb = (y1.max(0.0) as usize).min(h);
    for y in ya..yb {
        for x in xa..xb {
            if let Some(c) = f(x as f32, y as f32) {
                let i = (y * w + x) * 3;
                px[i..i + 3].copy_from_slice(&c);
            }
        }
    }
}

/// A photo of `world`: an `out_w`×`out_h` view centred at (`cx`, `cy`) (fractions of the world),
/// covering `zoom` world pixels per output pixel, rotated by `angle_deg`, with sensor noise of
/// amplitude `noise` drawn from `shot_seed`, brightness offset `bright`.
#[allow(clippy::too_many_arguments)]
pub fn view(
    world: &Rgb,
    out_w: usize,
    out_h: usize,
    cx: f32,
    cy: f32,
    zoom: f32,
    angle_deg: f32,
    noise: f32,
    bright: f32,
    shot_seed: u64,
) -> Rgb {
    let (s, c) = angle_deg.to_radians().sin_cos();
    let (wcx, wcy) = (cx * world.w as f32, cy * world.h as f32);
    let mut data = vec![0u8; out_w * out_h * 3];
    let mut rng = Rng::new(shot_seed);
    for y in 0..out_h {
        for x in 0..out_w {
            let (dx, dy) = (
                (x as f32 - out_w as f32 / 2.0) * zoom,
                (y as f32 - out_h as f32 / 2.0) * zoom,
            );
            let wx = (wcx + c * dx - s * dy).clamp(0.0, (world.w - 2) as f32);
            let wy = (wcy + s * dx + c * dy).clamp(0.0, (world.h - 2) as f32);
            let (ix, iy) = (wx as usize, wy as usize);
            let (fx, fy) = (wx - ix as f32, wy - iy as f32);
            let n = (rng.f() - 0.5) * 2.0 * noise;
            for ch in 0..3 {
                let p = |xx: usize, yy: usize| f32::from(world.data[(yy * world.w + xx) * 3 + ch]);
                let top = p(ix, iy) * (1.0 - fx) + p(ix + 1, iy) * fx;
                let bot = p(ix, iy + 1) * (1.0 - fx) + p(ix + 1, iy + 1) * fx;
                let v = top * (1.0 - fy) + bot * fy + n + bright;
                data[(y * out_w + x) * 3 + ch] = v.clamp(0.0, 255.0) as u8;
            }
        }
    }
    Rgb {
        w: out_w,
        h: out_h,
        data,
    }
}

/// A straight photo of a whole world with camera-like noise.
pub fn photo(seed: u64, w: usize, h: usize) -> Rgb {
    let wd = world(seed, w + 4, h + 4);
    view(&wd, w, h, 0.5, 0.5, 1.0, 0.0, 6.0, 0.0, seed ^ 0xABCD)
}

/// Encodes RGB as JPEG with optional EXIF (TIFF bytes), progressive or not.
pub fn jpeg(img: &Rgb, quality: u8, exif: Option<&[u8]>, progressive: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    if let Some(e) = exif {
        enc.add_exif_metadata(e).expect("exif fits");
    }
    enc.set_progressive(progressive);
    enc.encode(
        &img.data,
        img.w as u16,
        img.h as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .expect("encode");
    out
}

/// Encodes as a CMYK JPEG (as print workflows and some scanners write).
pub fn jpeg_cmyk(img: &Rgb, quality: u8) -> Vec<u8> {
    let cmyk: Vec<u8> = img
        .data
        .chunks_exact(3)
        .flat_map(|p| {
            // Ink amounts: K takes the common darkness, C/M/Y the rest.
            let k = 255 - u32::from(p[0].max(p[1]).max(p[2]));
            let conv = |v: u8| {
                if k == 255 {
                    0
                } else {
                    ((255 - u32::from(v) - k) * 255 / (255 - k)) as u8
                }
            };
            [conv(p[0]), conv(p[1]), conv(p[2]), k as u8]
        })
        .collect();
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.encode(
        &cmyk,
        img.w as u16,
        img.h as u16,
        jpeg_encoder::ColorType::Cmyk,
    )
    .expect("encode");
    out
}

/// Encodes RGBA as PNG.
pub fn png_rgba(w: u32, h: u32, rgba: &[u8]) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(rgba, w, h, image::ExtendedColorType::Rgba8)
        .expect("png");
    out
}

/// Encodes RGB as lossless WebP.
pub fn webp(img: &Rgb) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(
            &img.data,
            img.w as u32,
            img.h as u32,
            image::ExtendedColorType::Rgb8,
        )
        .expect("webp");
    out
}

/// The identifying strings planted in test EXIF; none may survive into an output.
pub const MAKER_NOTE: &[u8] = b"MAKERNOTE-SECRET-SERIAL-HS0042";
pub const CAMERA_MAKE: &str = "HazardCam";
pub const BODY_SERIAL: &str = "BODY-SN-778899";

struct Ifd {
    entries: Vec<(u16, u16, u32, Vec<u8>)>, // tag, type, count, value bytes
}

fn ascii(s: &str) -> (u16, u32, Vec<u8>) {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    (2, v.len() as u32, v)
}

fn rationals(vals: &[(u32, u32)]) -> (u16, u32, Vec<u8>) {
    let mut v = Vec::new();
    for (n, d) in vals {
        v.extend_from_slice(&n.to_le_bytes());
        v.extend_from_slice(&d.to_le_bytes());
    }
    (5, vals.len() as u32, v)
}

impl Ifd {
    fn new() -> Self {
        Ifd {
            entries: Vec::new(),
        }
    }
    fn add(&mut self, tag: u16, (ty, count, val): (u16, u32, Vec<u8>)) {
        self.entries.push((tag, ty, count, val));
    }
    fn size(&self) -> usize {
        2 + 12 * self.entries.len()
            + 4
            + self
                .entries
                .iter()
                .map(|e| {
                    if e.3.len() > 4 {
                        e.3.len() + (e.3.len() & 1)
                    } else {
                        0
                    }
                })
                .sum::<usize>()
    }
    /// Writes at `base` (offset from TIFF start); pointer entries are patched by the caller.
    fn write(&self, out: &mut Vec<u8>, base: usize) {
        let mut entries = self.entries.clone();
        entries.sort_by_key(|e| e.0);
        let mut extra = Vec::new();
        let extra_base = base + 2 + 12 * entries.len() + 4;
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, ty, count, val) in &entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            if val.len() <= 4 {
                let mut v = val.clone();
                v.resize(4, 0);
                out.extend_from_slice(&v);
            } else {
                out.extend_from_slice(&((extra_base + extra.len()) as u32).to_le_bytes());
                extra.extend_from_slice(val);
                if val.len() & 1 == 1 {
                    extra.push(0);
                }
            }
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&extra);
    }
}

fn dms(deg: f64) -> [(u32, u32); 3] {
    let d = deg.abs();
    let whole = d.floor();
    let min = ((d - whole) * 60.0).floor();
    let sec = ((d - whole) * 60.0 - min) * 60.0;
    [
        (whole as u32, 1),
        (min as u32, 1),
        ((sec * 1000.0).round() as u32, 1000),
    ]
}

/// A little-endian TIFF/EXIF block with orientation, camera make, times, offset, GPS, a maker
/// note and a body serial: what a phone camera writes.
pub fn exif_blob(orientation: u16, gps: Option<(f64, f64)>) -> Vec<u8> {
    let mut exif = Ifd::new();
    exif.add(0x9003, ascii("2026:03:14 09:26:53"));
    exif.add(0x9011, ascii("+08:00"));
    exif.add(0x927C, (7, MAKER_NOTE.len() as u32, MAKER_NOTE.to_vec()));
    exif.add(0xA431, ascii(BODY_SERIAL));
    let mut gps_ifd = Ifd::new();
    if let Some((lat, lon)) = gps {
        gps_ifd.add(0x0000, (1, 4, vec![2, 3, 0, 0]));
        gps_ifd.add(0x0001, ascii(if lat < 0.0 { "S" } else { "N" }));
        gps_ifd.add(0x0002, rationals(&dms(lat)));
        gps_ifd.add(0x0003, ascii(if lon < 0.0 { "W" } else { "E" }));
        gps_ifd.add(0x0004, rationals(&dms(lon)));
    }
    let mut ifd0 = Ifd::new();
    ifd0.add(0x010F, ascii(CAMERA_MAKE));
    ifd0.add(0x0110, ascii("HC-1 Pro"));
    ifd0.add(0x0112, (3, 1, orientation.to_le_bytes().to_vec()));
    ifd0.add(0x0132, ascii("2026:03:14 09:26:53"));
    // Pointers: sizes are known before writing, so offsets can be computed up front.
    ifd0.add(0x8769, (4, 1, vec![0; 4]));
    if gps.is_some() {
        ifd0.add(0x8825, (4, 1, vec![0; 4]));
    }
    let ifd0_off = 8;
    let exif_off = ifd0_off + ifd0.size();
    let gps_off = exif_off + exif.size();
    for e in &mut ifd0.entries {
        if e.0 == 0x8769 {
            e.3 = (exif_off as u32).to_le_bytes().to_vec();
        } else if e.0 == 0x8825 {
            e.3 = (gps_off as u32).to_le_bytes().to_vec();
        }
    }
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&(ifd0_off as u32).to_le_bytes());
    ifd0.write(&mut out, ifd0_off);
    exif.write(&mut out, exif_off);
    if gps.is_some() {
        gps_ifd.write(&mut out, gps_off);
    }
    out
}

/// True when `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
