//! Candidate lookup at scale (候选检索基准): does finding duplicate candidates stay flat from
//! 10 000 to 1 000 000 filed reports?
//!
//! Run with `cargo bench -p hazardsnap-dedup --bench lookup` (add `-- --quick` for a smaller
//! run). A synthetic district is indexed: 500 enterprises with 20 site points each, 50 reports
//! a day across the district, so 10 000 reports span 200 days and 1 000 000 span 55 years (both
//! longer than the ±60-day candidate window, so that the place buckets are equally full); each
//! report has one photo (a random 256-bit perceptual hash), 80 % a site code, 90 % GPS. Queries
//! are arriving duplicates (the hash of a filed photo with 12 bits flipped, as a re-encode
//! gives, same site, a few hours later) and arriving reports of new hazards (fresh hash). A
//! second scenario puts every report in one enterprise: the worst case for the place buckets.
//!
//! Printed next to it, the floor: a plain `HashMap` insert and get of the same rows, and a
//! `BTreeMap` insert keyed by (enterprise, site, time) as an SQL index would be.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use hazardsnap_dedup::{CandidateIndex, DedupConfig, IndexKeys};
use hazardsnap_model::Location;
use uuid::Uuid;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn hash(&mut self) -> [u8; 32] {
        let mut h = [0u8; 32];
        for chunk in h.chunks_exact_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        h
    }
}

const SITES_PER_ENTERPRISE: u64 = 20;
const REPORTS_PER_DAY: f64 = 50.0;

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2016, 1, 1, 0, 0, 0).unwrap()
}

fn site_location(enterprise: u64, site: u64) -> Location {
    Location {
        lat: 36.5 + (enterprise % 40) as f64 * 0.02 + site as f64 * 0.0009,
        lon: 117.6 + (enterprise / 40) as f64 * 0.02,
        accuracy_m: Some(10.0),
    }
}

fn row(rng: &mut Rng, enterprises: u64, span_days: f64) -> IndexKeys {
    let e = rng.below(enterprises);
    let site = rng.below(SITES_PER_ENTERPRISE);
    let mut loc = site_location(e, site);
    loc.lat += (rng.unit() - 0.5) * 0.0002;
    loc.lon += (rng.unit() - 0.5) * 0.0002;
    IndexKeys {
        enterprise: format!("E{e:04}"),
        site_code: (rng.unit() < 0.8).then(|| format!("E{e:04}-P{site:02}")),
        location: (rng.unit() < 0.9).then_some(loc),
        captured_at: epoch()
            + chrono::Duration::seconds((rng.unit() * span_days * 86_400.0) as i64),
        phashes: vec![rng.hash()],
    }
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn per_op(total: Duration, n: usize) -> f64 {
    total.as_secs_f64() * 1e9 / n.max(1) as f64
}

/// Median over batches of the time per call of `f`.
fn median_ns(batches: usize, per_batch: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut times: Vec<f64> = (0..batches)
        .map(|b| {
            let start = Instant::now();
            for i in 0..per_batch {
                f(b * per_batch + i);
            }
            per_op(start.elapsed(), per_batch)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

struct Outcome {
    insert_ns: f64,
    floor_hash_insert_ns: f64,
    floor_btree_insert_ns: f64,
    dup_query_ns: f64,
    new_query_ns: f64,
    floor_get_ns: f64,
    hits_per_dup: f64,
    hits_per_new: f64,
    found_original: f64,
    rss_mib: f64,
}

fn run(n: usize, enterprises: u64, queries: usize) -> Outcome {
    let cfg = DedupConfig::default();
    let span_days = n as f64 / REPORTS_PER_DAY;
    let mut rng = Rng(42 ^ n as u64 ^ enterprises << 32);
    let rows: Vec<(Uuid, IndexKeys)> = (0..n)
        .map(|i| {
            (
                Uuid::from_u128(i as u128 + 1),
                row(&mut rng, enterprises, span_days),
            )
        })
        .collect();

    // The floor: plain inserts of the same rows.
    let start = Instant::now();
    let mut plain: HashMap<Uuid, &IndexKeys> = HashMap::with_capacity(n);
    for (id, keys) in &rows {
        plain.insert(*id, keys);
    }
    let floor_hash_insert_ns = per_op(start.elapsed(), n);
    let start = Instant::now();
    let mut btree: BTreeMap<(&str, Option<&str>, i64, Uuid), ()> = BTreeMap::new();
    for (id, keys) in &rows {
        btree.insert(
            (
                keys.enterprise.as_str(),
                keys.site_code.as_deref(),
                keys.captured_at.timestamp(),
                *id,
            ),
            (),
        );
    }
    let floor_btree_insert_ns = per_op(start.elapsed(), n);
    black_box(&btree);

    let rss_before = rss_kib();
    let start = Instant::now();
    let mut index = CandidateIndex::new();
    for (id, keys) in &rows {
        index.insert(*id, keys).expect("insert");
    }
    let insert_ns = per_op(start.elapsed(), n);
    let rss_mib = match (rss_before, rss_kib()) {
        (Some(a), Some(b)) => b.saturating_sub(a) as f64 / 1024.0,
        _ => f64::NAN,
    };

    // Arriving duplicates: a filed report's photo re-encoded (12 bits flipped), same place,
    // a few hours later.
    let dups: Vec<(Uuid, IndexKeys)> = (0..queries)
        .map(|_| {
            let (id, filed) = &rows[rng.below(n as u64) as usize];
            let mut q = filed.clone();
            for _ in 0..12 {
                let bit = rng.below(256) as usize;
                q.phashes[0][bit / 8] ^= 1 << (bit % 8);
            }
            q.captured_at += chrono::Duration::hours(rng.below(8) as i64);
            (*id, q)
        })
        .collect();
    let news: Vec<IndexKeys> = (0..queries)
        .map(|_| row(&mut rng, enterprises, span_days))
        .collect();

    let batches = 9;
    let per_batch = queries / batches;
    let mut hits = 0usize;
    let mut found = 0usize;
    let dup_query_ns = median_ns(batches, per_batch, |i| {
        let (original, q) = &dups[i];
        let h = index.query(q, &cfg);
        hits += h.len();
        found += usize::from(h.iter().any(|x| x.report_id == *original));
    });
    let n_dup = batches * per_batch;
    let mut new_hits = 0usize;
    let new_query_ns = median_ns(batches, per_batch, |i| {
        new_hits += index.query(&news[i], &cfg).len();
    });
    let floor_get_ns = median_ns(batches, per_batch, |i| {
        black_box(plain.get(&dups[i].0));
    });
    Outcome {
        insert_ns,
        floor_hash_insert_ns,
        floor_btree_insert_ns,
        dup_query_ns,
        new_query_ns,
        floor_get_ns,
        hits_per_dup: hits as f64 / n_dup as f64,
        hits_per_new: new_hits as f64 / n_dup as f64,
        found_original: found as f64 / n_dup as f64,
        rss_mib,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[usize] = if quick {
        &[10_000, 100_000]
    } else {
        &[10_000, 1_000_000]
    };
    let queries = 45_000;
    println!(
        "| scenario | reports | index insert | floor: HashMap insert | floor: BTreeMap insert | \
         lookup, duplicate | lookup, new hazard | floor: HashMap get | candidates/lookup (dup, new) | original found | index RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, enterprises) in [("district, 500 enterprises", 500u64), ("one enterprise", 1)] {
        for &n in sizes {
            let o = run(n, enterprises, queries);
            println!(
                "| {name} | {n} | {:.0} ns | {:.0} ns | {:.0} ns | {:.2} µs | {:.2} µs | {:.0} ns | {:.1}, {:.1} | {:.1} % | {:.0} MiB |",
                o.insert_ns,
                o.floor_hash_insert_ns,
                o.floor_btree_insert_ns,
                o.dup_query_ns / 1000.0,
                o.new_query_ns / 1000.0,
                o.floor_get_ns,
                o.hits_per_dup,
                o.hits_per_new,
                o.found_original * 100.0,
                o.rss_mib,
            );
        }
    }
}
