//! Filing at a crowded site point (拥挤点位归档基准): one site point with 64 open entries, each
//! filed report carrying a real photo fingerprint, and a report arriving there.
//!
//! Each filed report has its own generated scene (1600×1200, JPEG, through
//! `hazardsnap_photo::process`, so up to 320 real keypoints); all are at one site point on one
//! day with similar notes. Two reports arrive: a re-shoot of one entry (its scene cropped by
//! 10 % and shifted, with fresh noise) and a new hazard (a scene of its own). Each is decided by
//! `decide` and by `decide_exhaustive` (every candidate scored with the reference matcher, the
//! code before this benchmark existed) in the same run, interleaved; the two decisions must be
//! equal. Printed: the median of each per arriving report, and one photo pair's comparison.
//!
//! Run with `cargo bench -p hazardsnap-dedup --bench crowded` (`-- --quick`: 7 repetitions
//! instead of 15).

#[path = "../tests/support/scenes.rs"]
mod scenes;

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use hazardsnap_dedup::{Candidate, DedupConfig, ReportFacts, Verdict, decide, decide_exhaustive};
use hazardsnap_model::{Category, Labelled, Location, ReportKind};
use hazardsnap_photo::{Fingerprint, Similarity, compare, compare_reference};
use uuid::Uuid;

const ENTRIES: usize = 64;
const W: u32 = 1600;
const H: u32 = 1200;

const NOTES: [&str; 6] = [
    "液氯储罐区阀门泄漏",
    "储罐区阀门有渗漏",
    "液氯储罐区护栏缺失",
    "储罐区地面油污未清理",
    "液氯储罐区灭火器过期",
    "储罐区配电箱门未关闭",
];

fn facts(id: u128, hour: u32, note: &str, photo: Fingerprint) -> ReportFacts {
    ReportFacts {
        report_id: Uuid::from_u128(id),
        enterprise: "E001".into(),
        kind: ReportKind::Hazard,
        category: Category::ALL[(id % 3) as usize],
        site_code: Some("E001-P07".into()),
        location: Some(Location {
            lat: 36.8 + (id % 5) as f64 * 0.00002,
            lon: 117.87,
            accuracy_m: Some(10.0),
        }),
        captured_at: Utc
            .with_ymd_and_hms(2026, 3, 14, 6 + hour % 12, 0, 0)
            .unwrap(),
        note: note.into(),
        photos: vec![photo],
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let repetitions = if quick { 7 } else { 15 };
    let t0 = Instant::now();
    let images: Vec<_> = (0..ENTRIES as u64 + 1)
        .map(|i| scenes::scene(0xC0FFEE + i, W, H))
        .collect();
    let candidates: Vec<Candidate> = (0..ENTRIES)
        .map(|i| Candidate {
            entry_id: Uuid::from_u128(1000 + i as u128),
            entry_number: format!("E001-2026-{:04}", i + 1),
            report: facts(
                i as u128 + 1,
                i as u32,
                NOTES[i % NOTES.len()],
                scenes::fingerprint(&images[i]),
            ),
        })
        .collect();
    // The re-shoot is of an entry in the second half: the server passes the oldest entry
    // first, so a re-shoot of a recent hazard meets most candidates before its own.
    let dup_of = 41;
    let duplicate = facts(
        9001,
        3,
        NOTES[dup_of % NOTES.len()],
        scenes::fingerprint(&scenes::shifted_crop(&images[dup_of], 77)),
    );
    let fresh = facts(9002, 3, NOTES[1], scenes::fingerprint(&images[ENTRIES]));
    let keypoints: Vec<usize> = candidates
        .iter()
        .map(|c| c.report.photos[0].scene.len())
        .collect();
    println!(
        "crowded site point: {ENTRIES} open entries, {}×{} photos with {}–{} keypoints (generated in {:.1?})",
        W,
        H,
        keypoints.iter().min().unwrap_or(&0),
        keypoints.iter().max().unwrap_or(&0),
        t0.elapsed()
    );

    let cfg = DedupConfig::default();
    println!(
        "| arriving report | verdict | decide_exhaustive (before) | decide (after) | speed-up |"
    );
    println!("|---|---|---|---|---|");
    for (name, incoming) in [
        ("re-shoot of entry 42 (10 % shifted crop)", &duplicate),
        ("new hazard (fresh scene)", &fresh),
    ] {
        let old = decide_exhaustive(incoming, &candidates, &cfg);
        let new = decide(incoming, &candidates, &cfg);
        assert_eq!(
            old, new,
            "the pruned decision must equal the exhaustive one"
        );
        assert_eq!(old.score.to_bits(), new.score.to_bits());
        let (mut before, mut after) = (Vec::new(), Vec::new());
        // Interleaved, so that load from other processes hits both alike.
        for _ in 0..repetitions {
            let t = Instant::now();
            black_box(decide_exhaustive(black_box(incoming), &candidates, &cfg));
            before.push(t.elapsed());
            let t = Instant::now();
            black_box(decide(black_box(incoming), &candidates, &cfg));
            after.push(t.elapsed());
        }
        let (b, a) = (median(before), median(after));
        let verdict = match &new.verdict {
            Verdict::AutoMerge { number, .. } => format!("auto-merge into {number}"),
            Verdict::PossibleDuplicate { number, .. } => format!("flag: {number}"),
            Verdict::New => "new entry".to_owned(),
        };
        println!(
            "| {name} | {verdict} ({:.3}) | {:.0} µs | {:.0} µs | {:.1}× |",
            new.score,
            micros(b),
            micros(a),
            micros(b) / micros(a)
        );
    }

    // Where the time goes: one photo pair, reference and fast.
    let (a, b) = (&fresh.photos[0], &candidates[0].report.photos[0]);
    let time = |f: &dyn Fn() -> Similarity| {
        median(
            (0..repetitions)
                .map(|_| {
                    let t = Instant::now();
                    for _ in 0..20 {
                        black_box(f());
                    }
                    t.elapsed() / 20
                })
                .collect(),
        )
    };
    let reference = time(&|| compare_reference(black_box(a), black_box(b)));
    let fast = time(&|| compare(black_box(a), black_box(b)));
    println!(
        "one unrelated photo pair ({repetitions} runs, median): compare_reference {:.0} µs, compare {:.0} µs",
        micros(reference),
        micros(fast)
    );
}
