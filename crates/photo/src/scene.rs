//! The scene signature (场景特征): local keypoints with binary descriptors, in the manner of ORB
//! (FAST corners, intensity-centroid orientation, rotated BRIEF), and their geometric
//! verification.
//!
//! A global hash sees a 10 % crop or a step to the side as a different picture; ten workers
//! photographing the same leaking valve never frame it alike. Local corners that match *and* agree
//! on one similarity transform (RANSAC) recognise the same scene under such changes, while
//! unrelated photos rarely give more than a handful of consistent matches by chance.

use strength_reduce::StrengthReducedU64;

use crate::PhotoError;

/// Bytes of one descriptor (256 binary tests).
pub const DESCRIPTOR_BYTES: usize = 32;
const MAGIC: &[u8; 4] = b"HSS1";
const KEYPOINT_BYTES: usize = 2 + 2 + 1 + 1 + DESCRIPTOR_BYTES;

/// One keypoint: position in the fingerprint image's pixels, orientation, pyramid level and
/// descriptor.
#[derive(Debug, Clone, PartialEq)]
pub struct Keypoint {
    /// Column, in pixels of the ≤512 px fingerprint image.
    pub x: f32,
    /// Row, in pixels of the ≤512 px fingerprint image.
    pub y: f32,
    /// Orientation in radians, quantised to 1/256 turn when stored.
    pub angle: f32,
    /// Pyramid level the corner was found on (0 = full fingerprint size).
    pub level: u8,
    /// Rotated-BRIEF descriptor.
    pub descriptor: [u8; DESCRIPTOR_BYTES],
}

/// The keypoints of one photo, with the size of the image they were found in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SceneSignature {
    pub(crate) width: u16,
    pub(crate) height: u16,
    pub(crate) keypoints: Vec<Keypoint>,
}

impl SceneSignature {
    /// Width of the fingerprint image the keypoints refer to.
    pub fn width(&self) -> u32 {
        u32::from(self.width)
    }

    /// Height of the fingerprint image the keypoints refer to.
    pub fn height(&self) -> u32 {
        u32::from(self.height)
    }

    /// The keypoints, strongest first.
    pub fn keypoints(&self) -> &[Keypoint] {
        &self.keypoints
    }

    /// Number of keypoints (a flat wall or a dark photo has few).
    pub fn len(&self) -> usize {
        self.keypoints.len()
    }

    /// True when no keypoint was found.
    pub fn is_empty(&self) -> bool {
        self.keypoints.is_empty()
    }

    /// Compact binary form for a database BLOB: `HSS1`, width, height, count (u16 LE), then per
    /// keypoint x·16, y·16 (u16 LE), angle (u8, 1/256 turn), level (u8), descriptor (32 bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.keypoints.len().min(usize::from(u16::MAX));
        let mut out = Vec::with_capacity(10 + n * KEYPOINT_BYTES);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.width.to_le_bytes());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for k in &self.keypoints[..n] {
            out.extend_from_slice(&((k.x * 16.0).round().clamp(0.0, 65535.0) as u16).to_le_bytes());
            out.extend_from_slice(&((k.y * 16.0).round().clamp(0.0, 65535.0) as u16).to_le_bytes());
            let turn = k.angle.rem_euclid(std::f32::consts::TAU) / std::f32::consts::TAU;
            out.push(((turn * 256.0).round() as u32 % 256) as u8);
            out.push(k.level);
            out.extend_from_slice(&k.descriptor);
        }
        out
    }

    /// Parses [`SceneSignature::to_bytes`] output; rejects anything malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<SceneSignature, PhotoError> {
        let bad = || PhotoError::Corrupt("scene signature".into());
        if bytes.len() < 10 || &bytes[..4] != MAGIC {
            return Err(bad());
        }
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let (width, height, n) = (u16_at(4), u16_at(6), usize::from(u16_at(8)));
        if bytes.len() != 10 + n * KEYPOINT_BYTES {
            return Err(bad());
        }
        let keypoints = bytes[10..]
            .chunks_exact(KEYPOINT_BYTES)
            .map(|c| {
                let mut descriptor = [0u8; DESCRIPTOR_BYTES];
                descriptor.copy_from_slice(&c[6..]);
                Keypoint {
                    x: f32::from(u16::from_le_bytes([c[0], c[1]])) / 16.0,
                    y: f32::from(u16::from_le_bytes([c[2], c[3]])) / 16.0,
                    angle: f32::from(c[4]) / 256.0 * std::f32::consts::TAU,
                    level: c[5],
                    descriptor,
                }
            })
            .collect();
        Ok(SceneSignature {
            width,
            height,
            keypoints,
        })
    }
}

/// Most keypoints kept per photo: about 12 KB as a BLOB, and a 320×320 brute-force match in
/// well under a millisecond.
const MAX_KEYPOINTS: usize = 320;
/// Pyramid levels and their scale step: framing in a re-shoot differs by up to ~1.5×.
const LEVELS: usize = 4;
const LEVEL_STEP: f32 = 1.25;
/// Margin kept free around a keypoint: the orientation patch has radius 15.
const BORDER: usize = 16;
const PATCH_RADIUS: i32 = 15;
/// BRIEF test points lie within this radius, so that every rotation stays inside the border.
const BRIEF_RADIUS: f32 = 13.0;
const ANGLE_BINS: usize = 32;
const GRID_CELLS: usize = 8;

/// The FAST circle of radius 3, clockwise from 12 o'clock.
const CIRCLE: [(i32, i32); 16] = [
    (0, -3),
    (1, -3),
    (2, -2),
    (3, -1),
    (3, 0),
    (3, 1),
    (2, 2),
    (1, 3),
    (0, 3),
    (-1, 3),
    (-2, 2),
    (-3, 1),
    (-3, 0),
    (-3, -1),
    (-2, -2),
    (-1, -3),
];

/// A deterministic generator, so the BRIEF pattern is the same on every phone and server.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Approximately normal (sum of four uniforms), mean 0, deviation `sd`.
    fn gauss(&mut self, sd: f32) -> f32 {
        let s: f32 = (0..4).map(|_| self.unit()).sum::<f32>() - 2.0;
        s * sd * (3.0f32).sqrt()
    }
}

/// 256 point pairs per angle bin, rotated in advance.
struct Pattern {
    offsets: Vec<[(i32, i32); 2]>,
}

fn pattern() -> &'static Pattern {
    static P: std::sync::OnceLock<Pattern> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut base = Vec::with_capacity(256);
        while base.len() < 256 {
            let mut pt = || loop {
                let (x, y) = (rng.gauss(5.5), rng.gauss(5.5));
                if x * x + y * y <= BRIEF_RADIUS * BRIEF_RADIUS {
                    return (x, y);
                }
            };
            let (p, q) = (pt(), pt());
            if (p.0 - q.0).abs() + (p.1 - q.1).abs() >= 2.0 {
                base.push([p, q]);
            }
        }
        let mut offsets = Vec::with_capacity(256 * ANGLE_BINS);
        for bin in 0..ANGLE_BINS {
            let a = bin as f32 / ANGLE_BINS as f32 * std::f32::consts::TAU;
            let (s, c) = a.sin_cos();
            for pair in &base {
                let rot = |(x, y): (f32, f32)| {
                    (
                        (c * x - s * y).round() as i32,
                        (s * x + c * y).round() as i32,
                    )
                };
                offsets.push([rot(pair[0]), rot(pair[1])]);
            }
        }
        Pattern { offsets }
    })
}

struct Level {
    w: usize,
    h: usize,
    img: Vec<u8>,
    scale: f32,
}

fn downscale(src: &[u8], w: usize, h: usize, nw: usize, nh: usize) -> Vec<u8> {
    // Area average: the levels only need to be alias-free, not sharp.
    let mut out = vec![0u8; nw * nh];
    for y in 0..nh {
        let y0 = y * h / nh;
        let y1 = ((y + 1) * h / nh).max(y0 + 1).min(h);
        for x in 0..nw {
            let x0 = x * w / nw;
            let x1 = ((x + 1) * w / nw).max(x0 + 1).min(w);
            let mut sum = 0u32;
            for yy in y0..y1 {
                sum += src[yy * w + x0..yy * w + x1]
                    .iter()
                    .map(|&v| u32::from(v))
                    .sum::<u32>();
            }
            out[y * nw + x] = (sum / ((y1 - y0) * (x1 - x0)) as u32) as u8;
        }
    }
    out
}

/// Summed-area table with a zero first row and column: BRIEF compares 5×5 box means (as ORB
/// does) rather than single pixels, which noise would flip; only ~160 k sums are needed, so
/// this beats blurring whole levels.
fn integral(img: &[u8], w: usize, h: usize) -> Vec<u32> {
    let iw = w + 1;
    let mut sat = vec![0u32; iw * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row += u32::from(img[y * w + x]);
            sat[(y + 1) * iw + x + 1] = sat[y * iw + x + 1] + row;
        }
    }
    sat
}

fn box5(sat: &[u32], w: usize, x: usize, y: usize) -> u32 {
    let iw = w + 1;
    let (x0, y0, x1, y1) = (x - 2, y - 2, x + 3, y + 3);
    sat[y1 * iw + x1] + sat[y0 * iw + x0] - sat[y0 * iw + x1] - sat[y1 * iw + x0]
}

/// Flat-index offsets of the FAST circle for rows of width `w`.
fn circle_offsets(w: usize) -> [isize; 16] {
    CIRCLE.map(|(dx, dy)| dy as isize * w as isize + dx as isize)
}

/// Corner strength of the FAST-9 corner at flat index `i` whose circle masks are `bright` and
/// `dark` (bit k set when circle pixel k is brighter than centre + `t`, or darker than centre −
/// `t`): the sum of the circle's contrast beyond `t`, at least 1.
fn fast_strength(img: &[u8], i: usize, offs: &[isize; 16], t: u8, bright: u16, dark: u16) -> u32 {
    let c = img[i];
    let (hi, lo) = (c.saturating_add(t), c.saturating_sub(t));
    let mut strength = 0u32;
    for (k, &o) in offs.iter().enumerate() {
        let v = img[i.wrapping_add_signed(o)];
        if bright & (1 << k) != 0 {
            strength += u32::from(v - hi);
        } else if dark & (1 << k) != 0 {
            strength += u32::from(lo - v);
        }
    }
    strength.max(1)
}

/// FAST-9 strengths of one row: `score[x]` for the pixels `x0..x0 + n` of the row starting at
/// flat index `row`. The sixteen circle comparisons run over the whole row at once (plain
/// loops over byte slices, which the compiler turns into SIMD compares), building a 16-bit
/// mask per pixel; only pixels with nine or more set bits are checked for a contiguous arc.
/// Same corners and strengths as testing pixel by pixel, several times faster.
#[allow(clippy::too_many_arguments)]
fn fast_row(
    img: &[u8],
    row: usize,
    x0: usize,
    offs: &[isize; 16],
    t: u8,
    bright: &mut [u16],
    dark: &mut [u16],
    score: &mut [u32],
) {
    let n = score.len();
    let centre = &img[row + x0..row + x0 + n];
    bright.fill(0);
    dark.fill(0);
    for (k, &o) in offs.iter().enumerate() {
        let start = (row + x0).wrapping_add_signed(o);
        let ring = &img[start..start + n];
        let bit = 1u16 << k;
        for (((b, d), &v), &c) in bright.iter_mut().zip(dark.iter_mut()).zip(ring).zip(centre) {
            // Saturating bounds give the same answers as signed arithmetic: a centre within
            // `t` of 255 has no brighter neighbour, within `t` of 0 no darker one.
            *b |= if v > c.saturating_add(t) { bit } else { 0 };
            *d |= if v < c.saturating_sub(t) { bit } else { 0 };
        }
    }
    for (x, s) in score.iter_mut().enumerate() {
        let (b, d) = (bright[x], dark[x]);
        let corner = (b.count_ones() >= 9 && has_arc(u32::from(b)))
            || (d.count_ones() >= 9 && has_arc(u32::from(d)));
        *s = if corner {
            fast_strength(img, row + x0 + x, offs, t, b, d)
        } else {
            0
        };
    }
}

fn has_arc(m: u32) -> bool {
    let mut r = m | (m << 16);
    let orig = r;
    for s in 1..9 {
        r &= orig >> s;
    }
    r != 0
}

fn harris(img: &[u8], w: usize, x: usize, y: usize) -> f32 {
    let (mut a, mut b, mut c) = (0f32, 0f32, 0f32);
    for yy in y - 3..=y + 3 {
        for xx in x - 3..=x + 3 {
            let ix = f32::from(img[yy * w + xx + 1]) - f32::from(img[yy * w + xx - 1]);
            let iy = f32::from(img[(yy + 1) * w + xx]) - f32::from(img[(yy - 1) * w + xx]);
            a += ix * ix;
            b += iy * iy;
            c += ix * iy;
        }
    }
    a * b - c * c - 0.04 * (a + b) * (a + b)
}

fn centroid_angle(img: &[u8], w: usize, x: usize, y: usize) -> f32 {
    let (mut m10, mut m01) = (0i64, 0i64);
    for dy in -PATCH_RADIUS..=PATCH_RADIUS {
        let span = ((PATCH_RADIUS * PATCH_RADIUS - dy * dy) as f32).sqrt() as i32;
        let row = (y as i32 + dy) as usize * w;
        for dx in -span..=span {
            let v = i64::from(img[row + (x as i32 + dx) as usize]);
            m10 += i64::from(dx) * v;
            m01 += i64::from(dy) * v;
        }
    }
    (m01 as f32).atan2(m10 as f32)
}

struct Candidate {
    x: usize,
    y: usize,
    level: usize,
    score: f32,
}

fn detect(level: &Level, li: usize, t: u8, out: &mut Vec<Candidate>) {
    let (w, h) = (level.w, level.h);
    if w <= 2 * BORDER || h <= 2 * BORDER {
        return;
    }
    // Non-maximum suppression on the cheap FAST strength first; the Harris measure, which ranks
    // corners better but costs a 7×7 window, is computed only for the survivors.
    let mut score = vec![0u32; w * h];
    let offs = circle_offsets(w);
    let n = w - 2 * BORDER;
    let (mut bright, mut dark) = (vec![0u16; n], vec![0u16; n]);
    for y in BORDER..h - BORDER {
        let row = y * w;
        fast_row(
            &level.img,
            row,
            BORDER,
            &offs,
            t,
            &mut bright,
            &mut dark,
            &mut score[row + BORDER..row + BORDER + n],
        );
    }
    for y in BORDER..h - BORDER {
        for x in BORDER..w - BORDER {
            let s = score[y * w + x];
            if s == 0 {
                continue;
            }
            let is_max = (y - 1..=y + 1).all(|yy| {
                (x - 1..=x + 1).all(|xx| {
                    let o = score[yy * w + xx];
                    (yy == y && xx == x) || o < s || (o == s && (yy, xx) > (y, x))
                })
            });
            if is_max {
                let r = harris(&level.img, w, x, y);
                if r > 0.0 {
                    out.push(Candidate {
                        x,
                        y,
                        level: li,
                        score: r,
                    });
                }
            }
        }
    }
}

/// Finds keypoints in a w×h luma image and describes them.
pub(crate) fn extract(luma: &[u8], w: usize, h: usize) -> SceneSignature {
    let mut sig = SceneSignature {
        width: u16::try_from(w).unwrap_or(u16::MAX),
        height: u16::try_from(h).unwrap_or(u16::MAX),
        keypoints: Vec::new(),
    };
    if w <= 2 * BORDER || h <= 2 * BORDER || luma.len() < w * h {
        return sig;
    }
    let mut levels = vec![Level {
        w,
        h,
        img: luma[..w * h].to_vec(),
        scale: 1.0,
    }];
    for i in 1..LEVELS {
        let scale = LEVEL_STEP.powi(i as i32);
        let (nw, nh) = (
            (w as f32 / scale).round() as usize,
            (h as f32 / scale).round() as usize,
        );
        if nw <= 2 * BORDER || nh <= 2 * BORDER {
            break;
        }
        let img = downscale(luma, w, h, nw, nh);
        levels.push(Level {
            w: nw,
            h: nh,
            img,
            scale,
        });
    }
    let mut cands = Vec::new();
    for t in [20u8, 8] {
        cands.clear();
        for (li, level) in levels.iter().enumerate() {
            detect(level, li, t, &mut cands);
        }
        // Low-contrast scenes (dim workshops) need a lower threshold to find enough corners.
        if cands.len() >= MAX_KEYPOINTS * 2 {
            break;
        }
    }
    cands.sort_by(|a, b| b.score.total_cmp(&a.score));
    // Spread the keypoints over the picture: the strongest corners cluster on one textured
    // object, which a crop could remove entirely.
    let cell_cap = (MAX_KEYPOINTS / (GRID_CELLS * GRID_CELLS)).max(1) * 2;
    let mut per_cell = vec![0usize; GRID_CELLS * GRID_CELLS];
    let mut chosen = Vec::with_capacity(MAX_KEYPOINTS);
    let mut rest = Vec::new();
    for c in cands {
        let s = levels[c.level].scale;
        let gx = ((c.x as f32 * s) as usize * GRID_CELLS / w).min(GRID_CELLS - 1);
        let gy = ((c.y as f32 * s) as usize * GRID_CELLS / h).min(GRID_CELLS - 1);
        let cell = gy * GRID_CELLS + gx;
        if per_cell[cell] < cell_cap && chosen.len() < MAX_KEYPOINTS {
            per_cell[cell] += 1;
            chosen.push(c);
        } else {
            rest.push(c);
        }
    }
    let room = MAX_KEYPOINTS.saturating_sub(chosen.len());
    chosen.extend(rest.into_iter().take(room));

    let sats: Vec<Vec<u32>> = levels.iter().map(|l| integral(&l.img, l.w, l.h)).collect();
    let pat = pattern();
    for c in chosen {
        let level = &levels[c.level];
        let angle = centroid_angle(&level.img, level.w, c.x, c.y);
        let bin = ((angle.rem_euclid(std::f32::consts::TAU) / std::f32::consts::TAU
            * ANGLE_BINS as f32)
            .round() as usize)
            % ANGLE_BINS;
        let sat = &sats[c.level];
        let mut descriptor = [0u8; DESCRIPTOR_BYTES];
        for (i, [p, q]) in pat.offsets[bin * 256..(bin + 1) * 256].iter().enumerate() {
            let at = |(dx, dy): (i32, i32)| {
                box5(
                    sat,
                    level.w,
                    (c.x as i32 + dx) as usize,
                    (c.y as i32 + dy) as usize,
                )
            };
            if at(*p) < at(*q) {
                descriptor[i / 8] |= 1 << (i % 8);
            }
        }
        sig.keypoints.push(Keypoint {
            x: c.x as f32 * level.scale,
            y: c.y as f32 * level.scale,
            angle,
            level: c.level as u8,
            descriptor,
        });
    }
    sig
}

/// Result of matching two signatures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SceneMatch {
    pub matches: u32,
    pub inliers: u32,
    pub scale: f32,
    pub rotation_deg: f32,
}

fn hamming(a: &[u8; DESCRIPTOR_BYTES], b: &[u8; DESCRIPTOR_BYTES]) -> u32 {
    let mut d = 0;
    for i in 0..DESCRIPTOR_BYTES / 8 {
        let x = u64::from_le_bytes(a[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        let y = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        d += (x ^ y).count_ones();
    }
    d
}

/// Descriptor distance above which a pair is never a match (of 256 bits).
const MAX_DESCRIPTOR_DISTANCE: u32 = 72;
/// Lowe's ratio test: the best match must be clearly better than the second best.
const RATIO: f32 = 0.85;
const RANSAC_ITERATIONS: usize = 500;
/// Inlier tolerance, as a fraction of the longer side of image b (5 px at 480 px).
const INLIER_TOLERANCE: f32 = 0.0105;
/// Accepted transforms: a re-shoot is framed bigger or smaller, but not 2× and not sideways.
const MIN_SCALE: f32 = 0.55;
const MAX_SCALE: f32 = 1.8;
const MAX_ROTATION: f32 = 0.35; // radians, ~20°
const ANGLE_AGREEMENT: f32 = 0.6; // radians, keypoint orientation noise

#[derive(Clone, Copy)]
struct Pair {
    ax: f32,
    ay: f32,
    bx: f32,
    by: f32,
    dangle: f32,
}

fn wrap(a: f32) -> f32 {
    let t = std::f32::consts::TAU;
    let r = a.rem_euclid(t);
    if r > std::f32::consts::PI { r - t } else { r }
}

/// Matches descriptors and verifies them geometrically.
pub(crate) fn match_scenes(a: &SceneSignature, b: &SceneSignature) -> SceneMatch {
    match_scenes_at_least(a, b, 0)
}

/// [`match_scenes`], except that when the one-to-one descriptor matches are `min_inliers` or
/// fewer, RANSAC is skipped and the result has `inliers` 0: inliers are a subset of the
/// matches, so they could not have exceeded `min_inliers` either. `matches` is always exact.
pub(crate) fn match_scenes_at_least(
    a: &SceneSignature,
    b: &SceneSignature,
    min_inliers: u32,
) -> SceneMatch {
    let mut result = SceneMatch::default();
    if a.keypoints.len() < 2 || b.keypoints.len() < 2 {
        return result;
    }
    // For each keypoint of b, the best keypoint of a that chose it (one-to-one matches).
    let mut best_for_b: Vec<Option<(u32, usize)>> = vec![None; b.keypoints.len()];
    nearest_neighbours(a, b, |ia, j1, d1| match best_for_b[j1] {
        Some((d, _)) if d <= d1 => {}
        _ => best_for_b[j1] = Some((d1, ia)),
    });
    let pairs = one_to_one_pairs(a, b, &best_for_b);
    result.matches = pairs.len() as u32;
    if pairs.len() < 3 || result.matches <= min_inliers {
        return result;
    }
    verify(&pairs, b, result)
}

/// The ratio-test matches of a to b, in the order of a's keypoints: `(ia, ib)` for each keypoint
/// of a whose nearest descriptor in b is within [`MAX_DESCRIPTOR_DISTANCE`] and clearly nearer
/// than the second nearest (the first of equally near ones). Several keypoints of a may choose
/// the same keypoint of b; [`match_scenes`] keeps only the best of them.
pub(crate) fn ratio_matches(a: &SceneSignature, b: &SceneSignature) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    nearest_neighbours(a, b, |ia, ib, _| out.push((ia, ib)));
    out
}

fn one_to_one_pairs(
    a: &SceneSignature,
    b: &SceneSignature,
    best_for_b: &[Option<(u32, usize)>],
) -> Vec<Pair> {
    best_for_b
        .iter()
        .enumerate()
        .filter_map(|(ib, m)| {
            let (_, ia) = (*m)?;
            let (ka, kb) = (&a.keypoints[ia], &b.keypoints[ib]);
            Some(Pair {
                ax: ka.x,
                ay: ka.y,
                bx: kb.x,
                by: kb.y,
                dangle: wrap(kb.angle - ka.angle),
            })
        })
        .collect()
}

/// RANSAC over at least three pairs: the similarity transform most pairs agree on.
///
/// Same hypotheses, same counts and same winner as [`verify_reference`]; it only avoids work
/// whose result is known. All hypotheses are drawn and screened first, without branches (the
/// screening outcome of a random hypothesis is a coin toss that a branch predictor loses):
/// those closer than 10 px, out of scale, or rotated beyond the limit by a clear margin are
/// dropped without computing their rotation. The rest are then counted in their drawn order,
/// with their rotation computed once (not again for the count).
fn verify(pairs: &[Pair], b: &SceneSignature, result: SceneMatch) -> SceneMatch {
    let tol = INLIER_TOLERANCE * f32::from(b.width.max(b.height)).max(1.0);
    let tol2 = tol * tol;
    let count = |m: (f32, f32, f32, f32), rot: f32| inliers(pairs, tol2, m, rot);
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D ^ pairs.len() as u64);
    // RANSAC draws two indices per hypothesis, and a 64-bit division costs more than the rest
    // of a rejected hypothesis: a remainder by multiplication is exact and cheaper.
    let modulo = StrengthReducedU64::new(pairs.len().max(1) as u64);
    let mut kept = [(0usize, 0usize); RANSAC_ITERATIONS];
    let mut n = 0;
    for _ in 0..RANSAC_ITERATIONS {
        let i = (rng.next() % modulo) as usize;
        let j = (rng.next() % modulo) as usize;
        let (den, re, im) = hypothesis(pairs[i], pairs[j]);
        let scale = (re * re + im * im).sqrt();
        // The negation of the reference's reasons to skip. (A NaN `den`, which the reference
        // lets past its first test, gives a NaN scale, refused by `contains` in both.) Those at
        // least atan(0.37) ≈ 0.3547 rad (or a quarter turn) from upright are out of
        // ±MAX_ROTATION by a margin far beyond the rounding of `atan2`; the scale check
        // excludes re = im = 0, the one input where atan2 would say 0.
        let plausible = (den >= 100.0)
            & (MIN_SCALE..=MAX_SCALE).contains(&scale)
            & !((re <= 0.0) | (im.abs() > re * CLEARLY_TOO_ROTATED));
        // Written always, kept only if plausible: n is at most the hypotheses drawn before.
        kept[n] = (i, j);
        n += usize::from(plausible);
    }
    let mut best = (0u32, (1.0, 0.0, 0.0, 0.0));
    for &(i, j) in &kept[..n] {
        let (p, q) = (pairs[i], pairs[j]);
        let (_, re, im) = hypothesis(p, q);
        let rot = im.atan2(re);
        if rot.abs() > MAX_ROTATION {
            continue;
        }
        let tx = p.bx - (re * p.ax - im * p.ay);
        let ty = p.by - (im * p.ax + re * p.ay);
        let n = count((re, im, tx, ty), rot);
        if n > best.0 {
            best = (n, (re, im, tx, ty));
        }
    }
    with_transform(result, best)
}

/// The squared length of the segment p→q in a, and the complex ratio (db / da), which is the
/// scale·rotation of the similarity taking p and q to their matches; the same operations in
/// the same order as [`verify_reference`].
#[inline(always)]
fn hypothesis(p: Pair, q: Pair) -> (f32, f32, f32) {
    let (dax, day) = (q.ax - p.ax, q.ay - p.ay);
    let (dbx, dby) = (q.bx - p.bx, q.by - p.by);
    let den = dax * dax + day * day;
    let re = (dbx * dax + dby * day) / den;
    let im = (dby * dax - dbx * day) / den;
    (den, re, im)
}

/// tan(0.3547): a rotation `atan2(im, re)` with `|im| > re · this` is certainly beyond
/// [`MAX_ROTATION`] (tan 0.35 = 0.3650).
const CLEARLY_TOO_ROTATED: f32 = 0.37;

/// The pairs that the similarity `(re, im, tx, ty)` with rotation `rot` takes to their
/// matches, within `tol2` (squared) in position and [`ANGLE_AGREEMENT`] in orientation.
#[inline(always)]
fn inliers(pairs: &[Pair], tol2: f32, (re, im, tx, ty): (f32, f32, f32, f32), rot: f32) -> u32 {
    pairs
        .iter()
        .filter(|p| {
            let px = re * p.ax - im * p.ay + tx - p.bx;
            let py = im * p.ax + re * p.ay + ty - p.by;
            px * px + py * py <= tol2 && wrap(p.dangle - rot).abs() <= ANGLE_AGREEMENT
        })
        .count() as u32
}

/// The match with RANSAC's best transform `(inliers, (re, im, tx, ty))`, when at least two
/// pairs agree on it.
fn with_transform(mut result: SceneMatch, best: (u32, (f32, f32, f32, f32))) -> SceneMatch {
    if best.0 >= 2 {
        let (re, im, _, _) = best.1;
        result.inliers = best.0;
        result.scale = (re * re + im * im).sqrt();
        result.rotation_deg = im.atan2(re).to_degrees();
    }
    result
}

/// [`verify`] as first written: the reference of the tests and benchmarks.
fn verify_reference(pairs: &[Pair], b: &SceneSignature, result: SceneMatch) -> SceneMatch {
    let tol = INLIER_TOLERANCE * f32::from(b.width.max(b.height)).max(1.0);
    let tol2 = tol * tol;
    let count = |m: (f32, f32, f32, f32)| inliers(pairs, tol2, m, m.1.atan2(m.0));
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D ^ pairs.len() as u64);
    let mut best = (0u32, (1.0, 0.0, 0.0, 0.0));
    for _ in 0..RANSAC_ITERATIONS {
        let i = (rng.next() % pairs.len() as u64) as usize;
        let j = (rng.next() % pairs.len() as u64) as usize;
        let (p, q) = (pairs[i], pairs[j]);
        let (dax, day) = (q.ax - p.ax, q.ay - p.ay);
        let (dbx, dby) = (q.bx - p.bx, q.by - p.by);
        let den = dax * dax + day * day;
        if den < 100.0 {
            continue; // closer than 10 px: the rotation and scale would be noise
        }
        // The complex ratio (db / da) is the scale·rotation of the similarity.
        let re = (dbx * dax + dby * day) / den;
        let im = (dby * dax - dbx * day) / den;
        let scale = (re * re + im * im).sqrt();
        let rot = im.atan2(re);
        if !(MIN_SCALE..=MAX_SCALE).contains(&scale) || rot.abs() > MAX_ROTATION {
            continue;
        }
        let tx = p.bx - (re * p.ax - im * p.ay);
        let ty = p.by - (im * p.ax + re * p.ay);
        let n = count((re, im, tx, ty));
        if n > best.0 {
            best = (n, (re, im, tx, ty));
        }
    }
    with_transform(result, best)
}

// ---------------------------------------------------------------------------------------------
// Nearest descriptors
//
// Matching two signatures compares every descriptor of one with every descriptor of the other
// (320 × 320 Hamming distances); a server filing a report at a crowded site point does this for
// every open entry there, so this loop is the cost of filing. It stays exact brute force, made
// fast rather than approximate: the descriptors of b are regrouped as columns of 64-bit words
// (word k of every keypoint side by side), each distance is packed with its index into one
// `u32` key so that "nearest, first of equals" and "second nearest" are plain running minima
// over 16 lanes, and the loop is compiled three times (AVX-512 with its vector popcount, AVX2,
// the baseline), chosen at run time. Every variant computes the same integers, so the matches
// are identical on every machine; `match_scenes_reference` keeps the original loop as the
// oracle of the tests.

/// 64-bit words per descriptor.
const WORDS: usize = DESCRIPTOR_BYTES / 8;
/// Distances are packed as `distance << INDEX_BITS | index`.
const INDEX_BITS: u32 = 16;

fn words(d: &[u8; DESCRIPTOR_BYTES]) -> [u64; WORDS] {
    std::array::from_fn(|k| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&d[k * 8..k * 8 + 8]);
        u64::from_le_bytes(w)
    })
}

/// The descriptors of b, word k of every keypoint contiguous.
struct Columns {
    words: [Vec<u64>; WORDS],
    len: usize,
}

impl Columns {
    fn new(keypoints: &[Keypoint]) -> Columns {
        let mut words: [Vec<u64>; WORDS] =
            std::array::from_fn(|_| Vec::with_capacity(keypoints.len()));
        for kp in keypoints {
            for (col, w) in words.iter_mut().zip(self::words(&kp.descriptor)) {
                col.push(w);
            }
        }
        Columns {
            words,
            len: keypoints.len(),
        }
    }
}

/// Calls `found(ia, ib, d1)` for each keypoint of a, in order, whose nearest keypoint ib of b
/// (the first of equally near ones) lies within [`MAX_DESCRIPTOR_DISTANCE`] and passes the
/// ratio test against the second nearest.
fn nearest_neighbours(
    a: &SceneSignature,
    b: &SceneSignature,
    mut found: impl FnMut(usize, usize, u32),
) {
    let n = b.keypoints.len();
    if n == 0 {
        return;
    }
    if n >= 1 << INDEX_BITS || !vector_kernel() {
        // So many keypoints never come from `extract` (at most MAX_KEYPOINTS) nor `from_bytes`
        // (a u16 count); kept exact anyway, the slow way. Without AVX2, x86 has no vector
        // popcount, and the kernel gains nothing over this loop (measured: same speed).
        for (ia, ka) in a.keypoints.iter().enumerate() {
            let (d1, j1, d2) = nearest_two_scalar(&ka.descriptor, &b.keypoints);
            if accepted(d1, d2) {
                found(ia, j1, d1);
            }
        }
        return;
    }
    let cols = Columns::new(&b.keypoints);
    let mut keys = vec![(u32::MAX, u32::MAX); a.keypoints.len()];
    nearest_two(&a.keypoints, &cols, &mut keys);
    for (ia, &(k1, k2)) in keys.iter().enumerate() {
        let d1 = k1 >> INDEX_BITS;
        // No second keypoint in b: the second distance stays "infinite", as in the scalar loop.
        let d2 = if k2 == u32::MAX {
            u32::MAX
        } else {
            k2 >> INDEX_BITS
        };
        if accepted(d1, d2) {
            found(ia, (k1 & ((1 << INDEX_BITS) - 1)) as usize, d1);
        }
    }
}

fn accepted(d1: u32, d2: u32) -> bool {
    d1 <= MAX_DESCRIPTOR_DISTANCE && (d1 as f32) < RATIO * d2 as f32
}

/// Nearest and second nearest distance to `d` among `b`, and the first nearest index.
fn nearest_two_scalar(d: &[u8; DESCRIPTOR_BYTES], b: &[Keypoint]) -> (u32, usize, u32) {
    let (mut d1, mut d2, mut j1) = (u32::MAX, u32::MAX, 0);
    for (ib, kb) in b.iter().enumerate() {
        let d = hamming(d, &kb.descriptor);
        if d < d1 {
            d2 = d1;
            d1 = d;
            j1 = ib;
        } else if d < d2 {
            d2 = d;
        }
    }
    (d1, j1, d2)
}

/// Whether [`nearest_two`] beats [`nearest_two_scalar`] here: on x86 it needs AVX2 (or
/// AVX-512); elsewhere (NEON on ARM) the compiler's vector popcount is used.
fn vector_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        true
    }
}

/// For each keypoint of a, the smallest and second smallest packed key over b (`u32::MAX` when
/// b has fewer keypoints).
fn nearest_two(a: &[Keypoint], cols: &Columns, out: &mut [(u32, u32)]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("popcnt")
        {
            // SAFETY: the CPU has the features the function is compiled for (checked above).
            unsafe { nearest_two_avx512(a, cols, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
        {
            // SAFETY: as above.
            unsafe { nearest_two_avx2(a, cols, out) };
            return;
        }
    }
    nearest_two_kernel(a, cols, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx512bw,avx512vl,popcnt")]
fn nearest_two_avx512(a: &[Keypoint], cols: &Columns, out: &mut [(u32, u32)]) {
    nearest_two_kernel(a, cols, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn nearest_two_avx2(a: &[Keypoint], cols: &Columns, out: &mut [(u32, u32)]) {
    nearest_two_kernel(a, cols, out);
}

/// Lanes of the running minima: wide enough for the compiler to fill a vector register.
const LANES: usize = 16;

#[inline(always)]
fn nearest_two_kernel(a: &[Keypoint], cols: &Columns, out: &mut [(u32, u32)]) {
    let n = cols.len;
    let whole = n / LANES * LANES;
    for (ka, o) in a.iter().zip(out.iter_mut()) {
        let aw = words(&ka.descriptor);
        // Keys are distinct (they carry the index), so the two smallest keys are the nearest
        // (first of equals) and the second nearest, ties included, as in the scalar loop.
        let mut m1 = [u32::MAX; LANES];
        let mut m2 = [u32::MAX; LANES];
        let mut index: [u32; LANES] = std::array::from_fn(|l| l as u32);
        for base in (0..whole).step_by(LANES) {
            let mut d = [0u32; LANES];
            for (col, &w) in cols.words.iter().zip(&aw) {
                let col = &col[base..base + LANES];
                for l in 0..LANES {
                    d[l] += (col[l] ^ w).count_ones();
                }
            }
            for l in 0..LANES {
                let k = (d[l] << INDEX_BITS) | index[l];
                m2[l] = m2[l].min(m1[l].max(k));
                m1[l] = m1[l].min(k);
                index[l] += LANES as u32;
            }
        }
        // The smallest key is the smallest lane minimum; the second smallest is the second
        // minimum of that lane or the minimum of another lane.
        let mut k1 = m1.iter().copied().fold(u32::MAX, u32::min);
        let mut k2 = m1
            .iter()
            .map(|&k| if k == k1 { u32::MAX } else { k })
            .chain(m2.iter().copied())
            .fold(u32::MAX, u32::min);
        let mut push = |k: u32| {
            if k < k1 {
                k2 = k1;
                k1 = k;
            } else if k < k2 {
                k2 = k;
            }
        };
        for j in whole..n {
            let d: u32 = cols
                .words
                .iter()
                .zip(&aw)
                .map(|(col, &w)| (col[j] ^ w).count_ones())
                .sum();
            push((d << INDEX_BITS) | j as u32);
        }
        *o = (k1, k2);
    }
}

// ---------------------------------------------------------------------------------------------
// The reference

/// The matcher as first written (scalar distances, one pair at a time): the oracle the fast
/// path is tested against, and the "before" of the benchmarks.
pub(crate) fn match_scenes_reference(a: &SceneSignature, b: &SceneSignature) -> SceneMatch {
    let mut result = SceneMatch::default();
    if a.keypoints.len() < 2 || b.keypoints.len() < 2 {
        return result;
    }
    let mut best_for_b: Vec<Option<(u32, usize)>> = vec![None; b.keypoints.len()];
    for (ia, ka) in a.keypoints.iter().enumerate() {
        let (d1, j1, d2) = nearest_two_scalar(&ka.descriptor, &b.keypoints);
        if d1 <= MAX_DESCRIPTOR_DISTANCE && (d1 as f32) < RATIO * d2 as f32 {
            match best_for_b[j1] {
                Some((d, _)) if d <= d1 => {}
                _ => best_for_b[j1] = Some((d1, ia)),
            }
        }
    }
    let pairs = one_to_one_pairs(a, b, &best_for_b);
    result.matches = pairs.len() as u32;
    if pairs.len() < 3 {
        return result;
    }
    verify_reference(&pairs, b, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_reject_garbage() {
        let sig = SceneSignature {
            width: 480,
            height: 360,
            keypoints: vec![Keypoint {
                x: 12.5,
                y: 300.0,
                angle: 1.0,
                level: 2,
                descriptor: [7; 32],
            }],
        };
        let back = SceneSignature::from_bytes(&sig.to_bytes()).expect("round trip");
        assert_eq!(back.len(), 1);
        assert_eq!(back.keypoints[0].x, 12.5);
        assert_eq!(back.keypoints[0].descriptor, [7; 32]);
        assert!(SceneSignature::from_bytes(b"HSS1").is_err());
        assert!(SceneSignature::from_bytes(&sig.to_bytes()[..20]).is_err());
    }

    #[test]
    fn arcs() {
        assert!(has_arc(0b1_1111_1111));
        assert!(has_arc(0xF01F)); // wraps around
        assert!(!has_arc(0xF00F));
        assert!(!has_arc(0b1111_1111));
        assert!(!has_arc(0));
    }

    /// Random keypoints with random descriptors in a `w`×`h` image.
    fn random_signature(rng: &mut XorShift, n: usize, w: u16, h: u16) -> SceneSignature {
        let keypoints = (0..n)
            .map(|_| Keypoint {
                x: 16.0 + rng.unit() * (f32::from(w) - 32.0),
                y: 16.0 + rng.unit() * (f32::from(h) - 32.0),
                angle: rng.unit() * std::f32::consts::TAU,
                level: 0,
                descriptor: std::array::from_fn(|_| rng.next() as u8),
            })
            .collect();
        SceneSignature {
            width: w,
            height: h,
            keypoints,
        }
    }

    /// A second view of `a`: its first `shared` keypoints moved by one similarity transform
    /// (up to ~26° and 0.5–1.9×, so some hypotheses fall on each side of the limits), their
    /// descriptors with a few bits flipped, some exact duplicates (distance ties), and
    /// `extra` unrelated keypoints, interleaved.
    fn second_view(
        rng: &mut XorShift,
        a: &SceneSignature,
        shared: usize,
        extra: usize,
    ) -> SceneSignature {
        let scale = 0.5 + rng.unit() * 1.4;
        let rot = (rng.unit() - 0.5) * 0.9;
        let (re, im) = (scale * rot.cos(), scale * rot.sin());
        let (tx, ty) = (rng.unit() * 60.0, rng.unit() * 40.0);
        let mut b = random_signature(rng, extra, a.width, a.height);
        for ka in a.keypoints.iter().take(shared) {
            let mut descriptor = ka.descriptor;
            for _ in 0..(rng.next() % 40) {
                let bit = (rng.next() % 256) as usize;
                descriptor[bit / 8] ^= 1 << (bit % 8);
            }
            let kb = Keypoint {
                x: re * ka.x - im * ka.y + tx + (rng.unit() - 0.5) * 3.0,
                y: im * ka.x + re * ka.y + ty + (rng.unit() - 0.5) * 3.0,
                angle: ka.angle + rot + (rng.unit() - 0.5) * 0.4,
                level: 0,
                descriptor,
            };
            let at = (rng.next() as usize) % (b.keypoints.len() + 1);
            if rng.next().is_multiple_of(8) {
                b.keypoints.insert(at, kb.clone());
            }
            b.keypoints.insert(at, kb);
        }
        b
    }

    /// The ratio-test matches the way the reference finds them.
    fn ratio_matches_reference(a: &SceneSignature, b: &SceneSignature) -> Vec<(usize, usize)> {
        a.keypoints
            .iter()
            .enumerate()
            .filter_map(|(ia, ka)| {
                let (d1, j1, d2) = nearest_two_scalar(&ka.descriptor, &b.keypoints);
                (!b.keypoints.is_empty() && accepted(d1, d2)).then_some((ia, j1))
            })
            .collect()
    }

    const SIZES: [usize; 12] = [0, 1, 2, 3, 5, 15, 16, 17, 33, 64, 150, 320];

    #[test]
    fn fast_matching_equals_the_reference() {
        let mut rng = XorShift(0x1234_5678_9ABC_DEF1);
        let mut verified = 0;
        for &na in &SIZES {
            for &nb in &SIZES {
                let a = random_signature(&mut rng, na, 480, 360);
                let shared = nb.min(na) * 2 / 3;
                let b = second_view(&mut rng, &a, shared, nb - shared);
                let reference = match_scenes_reference(&a, &b);
                assert_eq!(match_scenes(&a, &b), reference, "{na}×{nb}");
                assert_eq!(
                    ratio_matches(&a, &b),
                    ratio_matches_reference(&a, &b),
                    "{na}×{nb}"
                );
                verified += usize::from(reference.inliers > 0);
                // The other way round: b's duplicates now tie on the side of a.
                assert_eq!(match_scenes(&b, &a), match_scenes_reference(&b, &a));
            }
        }
        assert!(verified > 40, "{verified}");
    }

    #[test]
    fn every_kernel_finds_the_same_nearest_two() {
        let mut rng = XorShift(0xFEED_F00D_1234_5678);
        for &n in &SIZES {
            let a = random_signature(&mut rng, 40, 480, 360);
            let b = second_view(&mut rng, &a, n / 2, n - n / 2);
            let cols = Columns::new(&b.keypoints);
            let expected: Vec<(u32, u32)> = a
                .keypoints
                .iter()
                .map(|ka| {
                    let mut keys: Vec<u32> = b
                        .keypoints
                        .iter()
                        .enumerate()
                        .map(|(j, kb)| (hamming(&ka.descriptor, &kb.descriptor) << 16) | j as u32)
                        .collect();
                    keys.sort_unstable();
                    (
                        keys.first().copied().unwrap_or(u32::MAX),
                        keys.get(1).copied().unwrap_or(u32::MAX),
                    )
                })
                .collect();
            let mut out = vec![(0, 0); a.len()];
            nearest_two_kernel(&a.keypoints, &cols, &mut out);
            assert_eq!(out, expected, "portable, {n}");
            nearest_two(&a.keypoints, &cols, &mut out);
            assert_eq!(out, expected, "dispatched, {n}");
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("popcnt")
                {
                    // SAFETY: the features were just detected.
                    unsafe { nearest_two_avx2(&a.keypoints, &cols, &mut out) };
                    assert_eq!(out, expected, "avx2, {n}");
                }
            }
        }
    }

    #[test]
    fn skipping_verification_below_the_minimum_changes_nothing_above_it() {
        let mut rng = XorShift(0x0BAD_CAFE_0000_0001);
        for round in 0..60 {
            let a = random_signature(&mut rng, 40 + round, 480, 360);
            let b = second_view(&mut rng, &a, round / 3, 30);
            let full = match_scenes_reference(&a, &b);
            for min in 0..=full.matches + 2 {
                let bounded = match_scenes_at_least(&a, &b, min);
                assert_eq!(bounded.matches, full.matches);
                if full.inliers > min {
                    assert_eq!(bounded, full, "round {round}, min {min}");
                } else {
                    assert!(bounded.inliers <= min, "round {round}, min {min}");
                }
            }
        }
    }
}
