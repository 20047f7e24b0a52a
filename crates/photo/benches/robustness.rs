//! The robustness table of the fingerprints: for each kind of change (recompression, resize,
//! brightness, 10 % crop, 10 % shift, 3° rotation, a re-shoot from a step aside) and for pairs of
//! different scenes, the distribution of the phash distance, the scene inliers and the combined
//! score, and how often the recommended thresholds call the pair "same".
//!
//! `cargo bench -p hazardsnap-photo --bench robustness` (env `PHOTO_ROBUST_SCENES`, default 12).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Rgb, jpeg, view, world};
use hazardsnap_photo::{
    Fingerprint, PipelineConfig, SAME_PHASH_MAX, SAME_SCENE_MIN_INLIERS, Similarity, compare,
    process,
};

const OUT_W: usize = 1600;
const OUT_H: usize = 1200;
const ZOOM: f32 = 1.2;

struct Shot {
    cx: f32,
    cy: f32,
    zoom: f32,
    angle: f32,
    bright: f32,
    quality: u8,
    half_size: bool,
    seed: u64,
}

const BASE: Shot = Shot {
    cx: 0.5,
    cy: 0.5,
    zoom: ZOOM,
    angle: 0.0,
    bright: 0.0,
    quality: 92,
    half_size: false,
    seed: 1,
};

fn take(wd: &Rgb, s: &Shot) -> Fingerprint {
    let (w, h, zoom) = if s.half_size {
        (OUT_W / 2, OUT_H / 2, s.zoom * 2.0)
    } else {
        (OUT_W, OUT_H, s.zoom)
    };
    let img = view(wd, w, h, s.cx, s.cy, zoom, s.angle, 6.0, s.bright, s.seed);
    process(
        &jpeg(&img, s.quality, None, false),
        &PipelineConfig::default(),
    )
    .expect("process")
    .fingerprint
}

fn variants() -> Vec<(&'static str, Shot)> {
    // The view covers 1920 of the world's 2400 px: 10 % of the view is 0.08 of the world.
    vec![
        (
            "recompress q55",
            Shot {
                quality: 55,
                seed: 2,
                ..BASE
            },
        ),
        (
            "resize 50 %",
            Shot {
                half_size: true,
                seed: 3,
                ..BASE
            },
        ),
        (
            "brightness +30",
            Shot {
                bright: 30.0,
                seed: 4,
                ..BASE
            },
        ),
        (
            "crop 10 %",
            Shot {
                zoom: ZOOM * 0.9,
                seed: 5,
                ..BASE
            },
        ),
        (
            "shift 10 %",
            Shot {
                cx: 0.58,
                seed: 6,
                ..BASE
            },
        ),
        (
            "rotate 3°",
            Shot {
                angle: 3.0,
                seed: 7,
                ..BASE
            },
        ),
        (
            "step aside",
            Shot {
                cx: 0.555,
                cy: 0.52,
                zoom: ZOOM * 0.92,
                angle: -2.0,
                seed: 8,
                ..BASE
            },
        ),
    ]
}

fn stats(v: &mut [f64]) -> String {
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!(
        "{:>5.0} {:>5.0} {:>5.0} {:>5.0} {:>5.0}",
        q(0.0),
        q(0.1),
        q(0.5),
        q(0.9),
        q(1.0)
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: u64 = std::env::var("PHOTO_ROBUST_SCENES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut rows: Vec<(&str, Vec<Similarity>)> = variants()
        .iter()
        .map(|(name, _)| (*name, Vec::new()))
        .collect();
    let mut bases = Vec::new();
    for seed in 0..n {
        let wd = world(500 + seed, 2400, 1800);
        let base = take(&wd, &BASE);
        for (i, (_, shot)) in variants().iter().enumerate() {
            rows[i].1.push(compare(&base, &take(&wd, shot)));
        }
        bases.push(base);
    }
    let mut different = Vec::new();
    for i in 0..bases.len() {
        for j in i + 1..bases.len() {
            different.push(compare(&bases[i], &bases[j]));
        }
    }
    rows.push(("different scenes", different));

    println!("{n} generated scenes, 1600×1200 photos → 1600×1200 stored, fingerprint at 480 px");
    println!(
        "distributions: min p10 median p90 max; 'same' = phash ≤ {SAME_PHASH_MAX} or inliers ≥ {SAME_SCENE_MIN_INLIERS}\n"
    );
    println!(
        "| change | pairs | phash distance (of 256) | scene inliers | score ×100 | called same by phash | by scene | by either |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, sims) in &rows {
        let mut d: Vec<f64> = sims.iter().map(|s| f64::from(s.phash_distance)).collect();
        let mut inl: Vec<f64> = sims.iter().map(|s| f64::from(s.scene_inliers)).collect();
        let mut sc: Vec<f64> = sims.iter().map(|s| f64::from(s.score) * 100.0).collect();
        let by_phash = sims
            .iter()
            .filter(|s| s.phash_distance <= SAME_PHASH_MAX)
            .count();
        let by_scene = sims
            .iter()
            .filter(|s| s.scene_inliers >= SAME_SCENE_MIN_INLIERS)
            .count();
        let same = sims.iter().filter(|s| s.same_scene).count();
        let pct = |k: usize| format!("{:.0} %", 100.0 * k as f64 / sims.len() as f64);
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            sims.len(),
            stats(&mut d),
            stats(&mut inl),
            stats(&mut sc),
            pct(by_phash),
            pct(by_scene),
            pct(same)
        );
    }
}
