//! Benchmarks of the phone core (`cargo bench -p hazardsnap-core`):
//!
//! 1. capture of one 12 MP photo end to end (file read, pipeline, photo and thumbnail files
//!    written with fsync, row committed) against the photo pipeline alone on the same bytes;
//! 2. listing the newest 50 of 100 000 stored reports (first page, a filtered page, a later
//!    page by cursor).
//!
//! A plain `main` with medians over repeated runs, no harness: the numbers go to `BENCH.md`.

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use hazardsnap_core::store::Store;
use hazardsnap_core::{
    CaptureRequest, HazardCore, ListQuery, LocalState, PhotoSource, ReportContent,
};
use hazardsnap_model::Category;
use hazardsnap_photo::PipelineConfig;
use image::{ImageFormat, Rgb, RgbImage};

fn photo_12mp(seed: u32) -> Vec<u8> {
    let (w, h) = (4000, 3000);
    let img = RgbImage::from_fn(w, h, |x, y| {
        let n = ((x / 23) ^ (y / 17)).wrapping_mul(seed.wrapping_mul(2_654_435_761) | 1) >> 9;
        Rgb([
            ((x * 255 / w) as u8) ^ (n as u8 & 0x3F),
            (y * 255 / h) as u8,
            (n >> 8) as u8,
        ])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .expect("encode");
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn bench_capture(work: &Path) {
    const PHOTOS: u32 = 5;
    const ROUNDS: usize = 4;
    let cfg = PipelineConfig::default();
    let photos: Vec<_> = (0..PHOTOS)
        .map(|i| {
            let p = work.join(format!("p{i}.jpg"));
            std::fs::write(&p, photo_12mp(i + 1)).expect("write photo");
            p
        })
        .collect();
    let size = std::fs::metadata(&photos[0]).map(|m| m.len()).unwrap_or(0);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let data = work.join("data");
    let core = rt
        .block_on(HazardCore::open(data.to_string_lossy().into_owned()))
        .expect("open");
    let request = |p: &Path| CaptureRequest {
        photos: vec![PhotoSource::Path {
            path: p.to_string_lossy().into_owned(),
        }],
        content: ReportContent::hazard(Category::EquipmentGuarding),
        captured_at: None,
        draft: false,
    };

    // Interleaved, so a change of machine load hits both sides alike. Every capture stores a
    // new report; the same photo again would find its files already there and skip the writes,
    // so each round uses a store of its own.
    let (mut pipeline, mut end_to_end, mut prepare, mut files, mut row) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let split = Store::open(&work.join(format!("split{round}"))).expect("open split store");
        let mut split = split;
        let round_core = if round == 0 {
            core.clone()
        } else {
            rt.block_on(HazardCore::open(
                work.join(format!("data{round}"))
                    .to_string_lossy()
                    .into_owned(),
            ))
            .expect("open")
        };
        for (i, p) in photos.iter().enumerate() {
            // The three measurements in a rotating order: whichever runs first after a store
            // write or a thread hop pays for cold caches and fresh allocator pages.
            for step in 0..3 {
                match (i + round + step) % 3 {
                    0 => {
                        let t = Instant::now();
                        let bytes = std::fs::read(p).expect("read");
                        let out = hazardsnap_photo::process(&bytes, &cfg).expect("pipeline");
                        pipeline.push(t.elapsed());
                        std::hint::black_box(out);
                    }
                    1 => {
                        let t = Instant::now();
                        rt.block_on(round_core.capture(request(p), None))
                            .expect("capture");
                        end_to_end.push(t.elapsed());
                    }
                    _ => {
                        // The same work split in its parts, on the calling thread.
                        let t = Instant::now();
                        let report =
                            hazardsnap_core::capture::prepare(&request(p), &cfg, &|_, _| {})
                                .expect("prepare");
                        prepare.push(t.elapsed());
                        let (f, r) = split.insert_timed(&report).expect("insert");
                        files.push(f);
                        row.push(r);
                    }
                }
            }
        }
    }
    let runs = pipeline.len();
    let (p, e) = (median(pipeline), median(end_to_end));
    println!("## Capture of one 12 MP photo ({runs} runs, interleaved, median)\n");
    println!("input: 4000×3000 JPEG, {:.1} MB\n", size as f64 / 1e6);
    println!("| what | median |");
    println!("| --- | --- |");
    println!(
        "| photo pipeline alone (read file + `hazardsnap_photo::process`) | {:.1} ms |",
        ms(p)
    );
    println!(
        "| capture end to end through `HazardCore::capture` (read file, pipeline, checks, 2 files fsynced + renamed + folder fsynced, row committed) | {:.1} ms |",
        ms(e)
    );
    println!(
        "| storage overhead | {:.1} ms ({:+.1} %) |",
        ms(e) - ms(p),
        (ms(e) / ms(p) - 1.0) * 100.0
    );
    let (f, r) = (median(files), median(row));
    println!(
        "| split: prepare (read, pipeline, checks) | {:.1} ms |",
        ms(median(prepare))
    );
    println!(
        "| split: photo + thumbnail files durable | {:.1} ms |",
        ms(f)
    );
    println!("| split: report row committed | {:.1} ms |", ms(r));
    println!(
        "| storage alone (files + row) / pipeline | {:+.1} % |\n",
        (ms(f) + ms(r)) / ms(p) * 100.0
    );
}

fn bench_list(work: &Path) {
    const REPORTS: usize = 100_000;
    let data = work.join("list");
    let mut store = Store::open(&data).expect("open");
    let t = Instant::now();
    {
        // Bulk setup straight in SQL: the capture path is measured above.
        let conn = store.conn();
        conn.execute_batch("BEGIN").expect("begin");
        let mut ins = conn
            .prepare(
                "INSERT INTO reports (id, kind, category, severity, source, note, captured_at,
                    created_at, updated_at, local_state)
                 VALUES (?1, 'hazard', 'ppe', 'general', 'worker_check', ?2, ?3, ?3, ?3, ?4)",
            )
            .expect("prepare");
        let mut photo = conn
            .prepare(
                "INSERT INTO photos (report_id, position, sha256, bytes, width, height,
                    thumb_bytes, thumb_width, thumb_height) VALUES (?1, 0, ?2, 400000, 1920,
                    1440, 20000, 320, 240)",
            )
            .expect("prepare");
        let states = ["draft", "queued", "synced", "synced", "synced", "failed"];
        for i in 0..REPORTS {
            let id = uuid::Uuid::now_v7().to_string();
            let at = 1_760_000_000_000i64 + (i as i64) * 60_000;
            ins.execute(rusqlite::params![
                id,
                format!("未戴安全帽 {i}"),
                at,
                states[i % 6]
            ])
            .expect("insert");
            photo
                .execute(rusqlite::params![id, format!("{i:064x}")])
                .expect("insert photo");
        }
        conn.execute_batch("COMMIT; ANALYZE").expect("commit");
    }
    let setup = t.elapsed();
    let _ = &mut store;

    let time = |q: &ListQuery| {
        let mut v = Vec::new();
        for _ in 0..300 {
            let t = Instant::now();
            let page = store.list(q).expect("list");
            v.push(t.elapsed());
            std::hint::black_box(page);
        }
        v.sort();
        (v[v.len() / 2], v[v.len() * 99 / 100])
    };
    let first = ListQuery::default();
    let queued = ListQuery {
        states: vec![LocalState::Queued],
        ..Default::default()
    };
    let page1 = store.list(&first).expect("list");
    let later = ListQuery {
        cursor: page1.next_cursor.clone(),
        ..Default::default()
    };
    println!("## Listing the newest 50 of {REPORTS} reports (300 runs)\n");
    println!(
        "setup: {REPORTS} reports with one photo each in {:.1} s\n",
        setup.as_secs_f64()
    );
    println!("| query | median | p99 |");
    println!("| --- | --- | --- |");
    for (name, q) in [
        ("newest 50, no filter", &first),
        ("newest 50 queued (state filter)", &queued),
        ("second page by cursor", &later),
    ] {
        let (m, p99) = time(q);
        println!("| {name} | {:.3} ms | {:.3} ms |", ms(m), ms(p99));
    }
    let t = Instant::now();
    let counts = store.counts().expect("counts");
    println!(
        "| outbox counts (GROUP BY state) | {:.3} ms | |",
        ms(t.elapsed())
    );
    let t = Instant::now();
    drop(store);
    let _ = Store::open(&data).expect("reopen");
    println!(
        "| open with integrity_check + sweep ({REPORTS} reports) | {:.1} ms | |\n",
        ms(t.elapsed())
    );
    std::hint::black_box(counts);
}

fn main() {
    // `cargo test --benches` runs this with `--bench`-less args; keep that cheap.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    bench_capture(work.path());
    bench_list(work.path());
}
