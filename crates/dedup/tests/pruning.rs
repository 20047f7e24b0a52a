//! The pruned `decide` against the exhaustive one (剪枝等价性): same decision, bit for bit.
//!
//! `decide` skips the photo comparison of a candidate that could not beat the best so far,
//! compares photos with the fast matcher, and skips geometric verification where it could not
//! count; `decide_exhaustive` scores every candidate in full with the reference matcher. Over
//! many seeded candidate sets built from real fingerprints (generated scenes, their re-shoots,
//! neighbouring views that share a background, a re-encode, a photo without keypoints) with
//! ties, repeated entries, candidates without photos or with several, the same photo file on
//! both sides, other enterprises and suggestions, the two must return equal `Decision`s with
//! bit-identical scores.

#[path = "support/scenes.rs"]
mod scenes;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hazardsnap_dedup::{
    Candidate, DedupConfig, ReportFacts, Signal, Weights, decide, decide_exhaustive, score_pair,
};
use hazardsnap_model::{Category, Labelled, Location, ReportKind};
use hazardsnap_photo::{Fingerprint, SceneSignature, compare, compare_reference};
use image::imageops;
use scenes::Rng;
use uuid::Uuid;

const W: u32 = 800;
const H: u32 = 600;

/// A small pool of real fingerprints with every relation dedup distinguishes.
fn pool() -> Vec<Fingerprint> {
    let mut out = Vec::new();
    for seed in 0..3u64 {
        let canvas = scenes::scene(0xDED0 + seed, W + W / 2, H);
        let view = |x: u32, noise: u64| {
            scenes::reshoot(&canvas, (x, 0, W, H), noise ^ seed.wrapping_mul(0x9E37))
        };
        let original = view(W / 4, 1);
        out.push(scenes::fingerprint(&original));
        // A re-shoot: shifted crop.
        out.push(scenes::fingerprint(&scenes::shifted_crop(&original, 2)));
        // A neighbouring hazard: a view sharing part of the background, centred elsewhere.
        out.push(scenes::fingerprint(&view(W / 2, 3)));
        // The same picture re-encoded and rescaled: near perceptual hash.
        let small = imageops::resize(
            &original,
            W * 6 / 10,
            H * 6 / 10,
            imageops::FilterType::Triangle,
        );
        out.push(scenes::fingerprint(&small));
    }
    // Unrelated scenes.
    for seed in 10..12u64 {
        out.push(scenes::fingerprint(&scenes::scene(0xDED0 + seed, W, H)));
    }
    // A photo whose scene found nothing (a dark corner), with the hash of the first one.
    out.push(Fingerprint {
        sha256: [0xAB; 32],
        phash: out[0].phash,
        scene: SceneSignature::default(),
    });
    out
}

const NOTES: [&str; 8] = [
    "液氯储罐区阀门泄漏",
    "储罐区阀门有渗漏，存在安全隐患",
    "液氯储罐区护栏缺失",
    "发现安全隐患需要整改",
    "",
    "漏",
    "３号泵防护罩缺失！",
    "3号泵 防护罩缺失 现场没有人",
];

fn day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 8, 0, 0).unwrap()
}

fn report(rng: &mut Rng, id: u128, pool: &[Fingerprint]) -> ReportFacts {
    let photos = match rng.below(10) {
        0 => Vec::new(),
        1 | 2 => (0..2 + rng.below(2))
            .map(|_| pool[rng.below(pool.len())].clone())
            .collect(),
        _ => vec![pool[rng.below(pool.len())].clone()],
    };
    ReportFacts {
        report_id: Uuid::from_u128(id),
        enterprise: if rng.chance(0.05) { "E002" } else { "E001" }.into(),
        kind: if rng.chance(0.05) {
            ReportKind::Suggestion
        } else {
            ReportKind::Hazard
        },
        category: Category::ALL[rng.below(Category::ALL.len())],
        site_code: match rng.below(4) {
            0 => None,
            1 => Some("E001-P02".into()),
            _ => Some("E001-P01".into()),
        },
        location: rng.chance(0.7).then(|| Location {
            lat: 36.8 + rng.range(-0.001, 0.001),
            lon: 117.87,
            accuracy_m: rng.chance(0.5).then_some(12.0),
        }),
        captured_at: day() + Duration::minutes(rng.below(20 * 24 * 60) as i64 - 10 * 24 * 60),
        note: NOTES[rng.below(NOTES.len())].into(),
        photos,
    }
}

fn configs() -> Vec<DedupConfig> {
    let d = DedupConfig::default();
    vec![
        d,
        // Scene evidence from fewer inliers, and no floor for off-centre matches.
        DedupConfig {
            scene_inliers_min: 2,
            scene_inliers_full: 10,
            off_centre_floor: 0.0,
            ..d
        },
        // Context that adds up past 1 (ties at the clamp) and a weak photo weight.
        DedupConfig {
            weights: Weights {
                photo: 0.3,
                text: 0.5,
                place: 0.4,
                time: 0.3,
                category: 0.3,
            },
            ..d
        },
        // Invalid, but decide must still agree with itself: photos count against.
        DedupConfig {
            weights: Weights {
                photo: -0.2,
                ..d.weights
            },
            ..d
        },
    ]
}

#[test]
fn pruned_decide_equals_exhaustive_decide() {
    let pool = pool();
    // The pool must contain what the pruning has to get right: scene matches that count.
    let cfg = DedupConfig::default();
    let reshoot = compare(&pool[0], &pool[1]);
    assert!(reshoot.scene_inliers > cfg.scene_inliers_min, "{reshoot:?}");
    for (i, a) in pool.iter().enumerate() {
        for b in &pool[i..] {
            assert_eq!(compare(a, b), compare_reference(a, b));
        }
    }

    let configs = configs();
    let mut rng = Rng(0x5EED);
    // Decisions with a best entry, and those whose best scored 1 (everything after it pruned).
    let (mut certain, mut decided, mut scene) = (0, 0, 0);
    for set in 0..400u128 {
        let cfg = &configs[set as usize % configs.len()];
        let incoming = report(&mut rng, 1, &pool);
        let n = rng.below(14);
        let mut candidates: Vec<Candidate> = Vec::new();
        for k in 0..n as u128 {
            let c = match rng.below(8) {
                // A tie: the very same report filed in another entry.
                0 if !candidates.is_empty() => {
                    let mut c = candidates[rng.below(candidates.len())].clone();
                    c.entry_id = Uuid::from_u128(100 + k);
                    c
                }
                // Another report of an entry already proposed.
                1 if !candidates.is_empty() => {
                    let entry = candidates[rng.below(candidates.len())].entry_id;
                    Candidate {
                        entry_id: entry,
                        entry_number: format!("E001-2026-{:04}", entry.as_u128()),
                        report: report(&mut rng, 10 + k, &pool),
                    }
                }
                // The arriving report itself (idempotency, never a candidate).
                2 if rng.chance(0.2) => Candidate {
                    entry_id: Uuid::from_u128(100 + k),
                    entry_number: format!("E001-2026-{:04}", 100 + k),
                    report: incoming.clone(),
                },
                _ => Candidate {
                    entry_id: Uuid::from_u128(100 + k),
                    entry_number: format!("E001-2026-{:04}", 100 + k),
                    report: report(&mut rng, 10 + k, &pool),
                },
            };
            candidates.push(c);
        }
        let exhaustive = decide_exhaustive(&incoming, &candidates, cfg);
        let pruned = decide(&incoming, &candidates, cfg);
        assert_eq!(pruned, exhaustive, "set {set}");
        assert_eq!(
            pruned.score.to_bits(),
            exhaustive.score.to_bits(),
            "set {set}"
        );
        for (p, e) in pruned.evidence.iter().zip(&exhaustive.evidence) {
            assert_eq!(
                p.contribution.to_bits(),
                e.contribution.to_bits(),
                "set {set}"
            );
        }
        decided += usize::from(exhaustive.closest_entry.is_some());
        scene += usize::from(exhaustive.evidence.iter().any(|e| {
            matches!(
                e.signal,
                Signal::SameScene {
                    centre_offset: Some(_),
                    ..
                }
            )
        }));
        certain += usize::from(exhaustive.score >= 1.0);
        // A pair on its own scores as it does inside the decision.
        if let (Some(c), Some(entry)) = (candidates.first(), exhaustive.closest_entry)
            && c.entry_id == entry
            && candidates.iter().filter(|x| x.entry_id == entry).count() == 1
        {
            assert_eq!(
                score_pair(&incoming, &c.report, cfg).score,
                exhaustive.score
            );
        }
    }
    // The sets exercised the interesting cases, not just empty decisions.
    assert!(decided > 250, "{decided}");
    assert!(certain > 20, "{certain}");
    assert!(scene > 20, "{scene}");
    eprintln!("{decided} decisions, {certain} certain, {scene} on a located scene match");
}
