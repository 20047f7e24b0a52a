//! Generated photos with real fingerprints (生成的测试照片), shared by the crowded-site bench
//! and the pruning-equivalence test: distinct procedural scenes drawn into an `RgbImage`,
//! JPEG-encoded and run through `hazardsnap_photo::process`, so that scene matching sees the
//! keypoints a real photo gives rather than hand-made ones.

#![allow(dead_code)]

use hazardsnap_photo::{Fingerprint, PipelineConfig, process};
use image::{Rgb, RgbImage, imageops};

/// A small deterministic generator (SplitMix64): the photos must be the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

fn colour(rng: &mut Rng) -> [f64; 3] {
    [
        rng.range(20.0, 235.0),
        rng.range(20.0, 235.0),
        rng.range(20.0, 235.0),
    ]
}

fn shade(c: [f64; 3], k: f64) -> Rgb<u8> {
    Rgb(c.map(|v| (v * k).clamp(0.0, 255.0) as u8))
}

/// A distinct scene of `w`×`h`: a two-colour gradient with coarse blotches, then a few hundred
/// framed boxes, rings with a spoke, thick bars and checker patches (what FAST corners need).
pub fn scene(seed: u64, w: u32, h: u32) -> RgbImage {
    let mut rng = Rng(seed);
    let (c0, c1) = (colour(&mut rng), colour(&mut rng));
    let cell = 48u32;
    let (gw, gh) = ((w / cell + 2) as usize, (h / cell + 2) as usize);
    let grid: Vec<f64> = (0..gw * gh).map(|_| rng.unit()).collect();
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let t = f64::from(x + y) / f64::from(w + h);
        let (gx, gy) = (x / cell, y / cell);
        let blotch = grid[gy as usize * gw + gx as usize];
        let k = 0.7 + 0.5 * blotch;
        Rgb(std::array::from_fn(|i| {
            ((c0[i] * (1.0 - t) + c1[i] * t) * k).clamp(0.0, 255.0) as u8
        }))
    });
    let put = |img: &mut RgbImage, x: i64, y: i64, p: Rgb<u8>| {
        if (0..i64::from(w)).contains(&x) && (0..i64::from(h)).contains(&y) {
            img.put_pixel(x as u32, y as u32, p);
        }
    };
    for _ in 0..320 {
        let c = colour(&mut rng);
        let x0 = rng.range(0.0, f64::from(w)) as i64;
        let y0 = rng.range(0.0, f64::from(h)) as i64;
        match rng.below(4) {
            0 => {
                let (bw, bh) = (rng.range(20.0, 140.0) as i64, rng.range(20.0, 140.0) as i64);
                for y in y0..y0 + bh {
                    for x in x0..x0 + bw {
                        let edge = x - x0 < 4 || x0 + bw - x <= 4 || y - y0 < 4 || y0 + bh - y <= 4;
                        put(&mut img, x, y, shade(c, if edge { 0.3 } else { 1.0 }));
                    }
                }
            }
            1 => {
                let r = rng.range(10.0, 50.0);
                let a = rng.range(0.0, std::f64::consts::TAU);
                let ri = r as i64 + 1;
                for dy in -ri..=ri {
                    for dx in -ri..=ri {
                        let d = ((dx * dx + dy * dy) as f64).sqrt();
                        if d <= r {
                            let ang = (dy as f64).atan2(dx as f64);
                            let spoke = (ang - a).sin().abs() < 0.15 && (ang - a).cos() > 0.0;
                            let k = if d > r * 0.7 || spoke { 0.25 } else { 1.0 };
                            put(&mut img, x0 + dx, y0 + dy, shade(c, k));
                        }
                    }
                }
            }
            2 => {
                let len = rng.range(60.0, 400.0);
                let a = rng.range(0.0, std::f64::consts::PI);
                let th = rng.range(4.0, 16.0);
                let (dx, dy) = (a.cos(), a.sin());
                for s in 0..len as i64 {
                    for o in -(th as i64)..=(th as i64) {
                        let x = x0 as f64 + dx * s as f64 - dy * o as f64;
                        let y = y0 as f64 + dy * s as f64 + dx * o as f64;
                        let k = 1.0 - 0.5 * (o as f64 / th).abs();
                        put(&mut img, x as i64, y as i64, shade(c, k));
                    }
                }
            }
            _ => {
                let (bw, bh) = (rng.range(30.0, 100.0) as i64, rng.range(12.0, 40.0) as i64);
                let step = rng.range(5.0, 12.0) as i64;
                for y in 0..bh {
                    for x in 0..bw {
                        let k = if (x + y) / step % 2 == 0 { 1.0 } else { 0.1 };
                        put(&mut img, x0 + x, y0 + y, shade(c, k));
                    }
                }
            }
        }
    }
    img
}

/// Adds fresh sensor noise (a re-shoot is another exposure).
pub fn noisy(img: &RgbImage, amplitude: f64, seed: u64) -> RgbImage {
    let mut rng = Rng(seed);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        let n = (rng.unit() - 0.5) * 2.0 * amplitude;
        *p = Rgb(p.0.map(|v| (f64::from(v) + n).clamp(0.0, 255.0) as u8));
    }
    out
}

/// A re-shoot framed differently: the window `(x, y, w, h)` of the scene, with fresh noise.
pub fn reshoot(img: &RgbImage, window: (u32, u32, u32, u32), seed: u64) -> RgbImage {
    let (x, y, w, h) = window;
    noisy(&imageops::crop_imm(img, x, y, w, h).to_image(), 4.0, seed)
}

/// A 10 % shifted crop of a scene: the right and bottom 90 %, with fresh noise.
pub fn shifted_crop(img: &RgbImage, seed: u64) -> RgbImage {
    let (w, h) = img.dimensions();
    reshoot(img, (w / 10, h / 10, w - w / 10, h - h / 10), seed)
}

pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("encode a generated JPEG");
    out
}

/// The fingerprint the phone would compute for this picture.
pub fn fingerprint(img: &RgbImage) -> Fingerprint {
    process(&jpeg(img, 90), &PipelineConfig::default())
        .expect("process a generated photo")
        .fingerprint
}
