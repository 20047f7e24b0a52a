//! An in-memory candidate index (候选索引): which filed reports could an arriving report
//! duplicate, found without scanning the ledger.
//!
//! It is the reference for what the server does with SQL over the same keys (see
//! [`crate::keys`]), and what tests and benchmarks use. Three ways in, all scoped to the
//! enterprise:
//!
//! - perceptual-hash bands: exact buckets, then the full Hamming distance is verified, which
//!   finds the same photo re-encoded whatever its place and time;
//! - the site point code, within the candidate time window;
//! - the place cell and its neighbours, within the candidate time window: a re-shoot from
//!   another angle has another hash and is found by where and when it was taken.
//!
//! The index stores keys and the perceptual hashes (for verification), never the photos' scene
//! signatures: a million entries must fit in memory.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hazardsnap_model::Location;
use hazardsnap_photo::phash_distance;
use uuid::Uuid;

use crate::config::DedupConfig;
use crate::keys::{band_keys, location_cell, location_cells};
use crate::score::ReportFacts;

/// What the index needs of a report (the same for an arriving and a filed one).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexKeys {
    /// Enterprise code: candidates never cross enterprises.
    pub enterprise: String,
    /// Site point code.
    pub site_code: Option<String>,
    /// GPS position.
    pub location: Option<Location>,
    /// Capture time.
    pub captured_at: DateTime<Utc>,
    /// Perceptual hashes of the photos.
    pub phashes: Vec<[u8; 32]>,
}

impl From<&ReportFacts> for IndexKeys {
    fn from(r: &ReportFacts) -> Self {
        IndexKeys {
            enterprise: r.enterprise.clone(),
            site_code: r.site_code.clone(),
            location: r.location,
            captured_at: r.captured_at,
            phashes: r.photos.iter().map(|p| p.phash).collect(),
        }
    }
}

/// A filed report the index proposes, and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The filed report.
    pub report_id: Uuid,
    /// Smallest perceptual-hash distance between the photos, when found by hash.
    pub phash_distance: Option<u32>,
    /// Found by the same site point code.
    pub same_site: bool,
    /// Found by the place cells.
    pub nearby: bool,
}

/// FNV-1a then a SplitMix64 finaliser: stable across runs and platforms (std's hasher is
/// seeded per process), and well mixed so that combined keys do not cluster.
fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator so that ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Keys of one report, as stored.
struct Slot {
    id: Uuid,
    enterprise: u64,
    /// The first photo's hash inline (most reports have one photo): verifying a bucket hit
    /// then costs no second memory access.
    first_phash: Option<[u8; 32]>,
    more_phashes: Vec<[u8; 32]>,
    site: Option<u64>,
    cell: Option<u64>,
    time: i64,
}

/// A bucket holds one slot directly or, with the top bit set, the index of an overflow list:
/// most buckets hold one report, and a million reports × 16 bands must stay compact.
const OVERFLOW: u32 = 1 << 31;

/// The in-memory candidate index.
#[derive(Default)]
pub struct CandidateIndex {
    slots: Vec<Option<Slot>>,
    free_slots: Vec<u32>,
    by_id: HashMap<Uuid, u32>,
    hash_buckets: HashMap<u64, u32>,
    overflow: Vec<Vec<u32>>,
    free_overflow: Vec<u32>,
    /// Place key → (capture time in seconds, slot), sorted: one hash lookup and a binary
    /// search give the reports of one site point or cell within a time window.
    places: HashMap<u64, Vec<(i64, u32)>>,
}

impl Slot {
    fn phashes(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.first_phash.iter().chain(self.more_phashes.iter())
    }
}

/// Why a report could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("索引已满（最多 {max} 条）/ candidate index full (at most {max} reports)")]
    Full { max: u32 },
}

fn enterprise_key(code: &str) -> u64 {
    stable_hash(&[b"enterprise", code.trim().as_bytes()])
}

fn band_bucket(enterprise: u64, band_key: i64) -> u64 {
    mix(enterprise ^ mix(band_key as u64 ^ 0x5048_4153_4800_0000))
}

fn site_key(enterprise: u64, site: &str) -> Option<u64> {
    let site = site.trim();
    (!site.is_empty()).then(|| stable_hash(&[&enterprise.to_le_bytes(), b"site", site.as_bytes()]))
}

fn cell_key(enterprise: u64, cell: i64) -> u64 {
    stable_hash(&[&enterprise.to_le_bytes(), b"cell", &cell.to_le_bytes()])
}

impl CandidateIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reports indexed.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds a filed report (replacing what was indexed under the same id).
    pub fn insert(&mut self, report_id: Uuid, keys: &IndexKeys) -> Result<(), IndexError> {
        self.remove(report_id);
        let slot_no = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                let n = u32::try_from(self.slots.len())
                    .ok()
                    .filter(|n| *n < OVERFLOW)
                    .ok_or(IndexError::Full { max: OVERFLOW })?;
                self.slots.push(None);
                n
            }
        };
        let enterprise = enterprise_key(&keys.enterprise);
        let slot = Slot {
            id: report_id,
            enterprise,
            first_phash: keys.phashes.first().copied(),
            more_phashes: keys.phashes.iter().skip(1).copied().collect(),
            site: keys
                .site_code
                .as_deref()
                .and_then(|s| site_key(enterprise, s)),
            cell: keys
                .location
                .as_ref()
                .and_then(location_cell)
                .map(|c| cell_key(enterprise, c)),
            time: keys.captured_at.timestamp(),
        };
        for bucket in Self::hash_buckets_of(&slot) {
            self.bucket_add(bucket, slot_no);
        }
        for place in [slot.site, slot.cell].into_iter().flatten() {
            let list = self.places.entry(place).or_default();
            let at = list.partition_point(|&e| e < (slot.time, slot_no));
            list.insert(at, (slot.time, slot_no));
        }
        self.by_id.insert(report_id, slot_no);
        self.slots[slot_no as usize] = Some(slot);
        Ok(())
    }

    /// Removes a report (its entry was closed, rejected or merged away); false if absent.
    pub fn remove(&mut self, report_id: Uuid) -> bool {
        let Some(slot_no) = self.by_id.remove(&report_id) else {
            return false;
        };
        let Some(slot) = self.slots.get_mut(slot_no as usize).and_then(Option::take) else {
            return false;
        };
        for bucket in Self::hash_buckets_of(&slot) {
            self.bucket_remove(bucket, slot_no);
        }
        for place in [slot.site, slot.cell].into_iter().flatten() {
            if let Some(list) = self.places.get_mut(&place) {
                list.retain(|&e| e != (slot.time, slot_no));
                if list.is_empty() {
                    self.places.remove(&place);
                }
            }
        }
        self.free_slots.push(slot_no);
        true
    }

    fn hash_buckets_of(slot: &Slot) -> Vec<u64> {
        let mut buckets: Vec<u64> = slot
            .phashes()
            .flat_map(band_keys)
            .map(|k| band_bucket(slot.enterprise, k))
            .collect();
        // Two photos of one report may share a band value; one entry per bucket is enough.
        buckets.sort_unstable();
        buckets.dedup();
        buckets
    }

    fn bucket_add(&mut self, bucket: u64, slot_no: u32) {
        match self.hash_buckets.get(&bucket).copied() {
            None => {
                self.hash_buckets.insert(bucket, slot_no);
            }
            Some(v) if v & OVERFLOW != 0 => self.overflow[(v & !OVERFLOW) as usize].push(slot_no),
            Some(single) => {
                let list = vec![single, slot_no];
                let at = match self.free_overflow.pop() {
                    Some(at) => {
                        self.overflow[at as usize] = list;
                        at
                    }
                    None => {
                        self.overflow.push(list);
                        (self.overflow.len() - 1) as u32
                    }
                };
                self.hash_buckets.insert(bucket, at | OVERFLOW);
            }
        }
    }

    fn bucket_remove(&mut self, bucket: u64, slot_no: u32) {
        match self.hash_buckets.get(&bucket).copied() {
            Some(v) if v & OVERFLOW != 0 => {
                let at = (v & !OVERFLOW) as usize;
                let list = &mut self.overflow[at];
                list.retain(|&s| s != slot_no);
                if list.len() == 1 {
                    let last = list[0];
                    self.overflow[at] = Vec::new();
                    self.free_overflow.push(at as u32);
                    self.hash_buckets.insert(bucket, last);
                }
            }
            Some(v) if v == slot_no => {
                self.hash_buckets.remove(&bucket);
            }
            _ => {}
        }
    }

    fn bucket_slots(&self, bucket: u64) -> &[u32] {
        match self.hash_buckets.get(&bucket) {
            None => &[],
            Some(v) if v & OVERFLOW != 0 => &self.overflow[(v & !OVERFLOW) as usize],
            Some(v) => std::slice::from_ref(v),
        }
    }

    /// The filed reports that could be duplicates of `report`, in index order (stable).
    pub fn query(&self, report: &IndexKeys, cfg: &DedupConfig) -> Vec<Hit> {
        const BY_SITE: u8 = 1;
        const NEARBY: u8 = 2;
        let enterprise = enterprise_key(&report.enterprise);
        // (slot, phash distance, place flags); merged per slot at the end. A sort beats a
        // hash map here: most lookups find a handful of reports.
        let mut found: Vec<(u32, Uuid, Option<u32>, u8)> = Vec::new();

        for phash in &report.phashes {
            for key in band_keys(phash) {
                for &slot_no in self.bucket_slots(band_bucket(enterprise, key)) {
                    let Some(slot) = self.slots.get(slot_no as usize).and_then(Option::as_ref)
                    else {
                        continue;
                    };
                    if slot.enterprise != enterprise {
                        continue;
                    }
                    let Some(d) = slot.phashes().map(|h| phash_distance(phash, h)).min() else {
                        continue;
                    };
                    if d <= cfg.candidate_phash_radius {
                        found.push((slot_no, slot.id, Some(d), 0));
                    }
                }
            }
        }

        let window = (cfg.candidate_window_days * 86_400.0) as i64;
        let t = report.captured_at.timestamp();
        let (from, to) = (t.saturating_sub(window), t.saturating_add(window));
        let mut places: Vec<(u64, u8)> = Vec::with_capacity(10);
        if let Some(site) = report
            .site_code
            .as_deref()
            .and_then(|s| site_key(enterprise, s))
        {
            places.push((site, BY_SITE));
        }
        if let Some(loc) = &report.location {
            places.extend(
                location_cells(loc)
                    .into_iter()
                    .map(|c| (cell_key(enterprise, c), NEARBY)),
            );
        }
        for (place, flag) in places {
            let Some(list) = self.places.get(&place) else {
                continue;
            };
            let start = list.partition_point(|&(time, _)| time < from);
            for &(time, slot_no) in &list[start..] {
                if time > to {
                    break;
                }
                // Place keys are hashes: a collision with another enterprise is possible, if
                // unlikely, and must not leak candidates across enterprises.
                if let Some(slot) = self.slots.get(slot_no as usize).and_then(Option::as_ref)
                    && slot.enterprise == enterprise
                {
                    found.push((slot_no, slot.id, None, flag));
                }
            }
        }

        found.sort_unstable_by_key(|f| f.0);
        let mut hits: Vec<Hit> = Vec::new();
        let mut last: Option<u32> = None;
        for (slot_no, report_id, distance, flags) in found {
            if last != Some(slot_no) {
                last = Some(slot_no);
                hits.push(Hit {
                    report_id,
                    phash_distance: None,
                    same_site: false,
                    nearby: false,
                });
            }
            if let Some(hit) = hits.last_mut() {
                if let Some(d) = distance {
                    hit.phash_distance = Some(hit.phash_distance.map_or(d, |x| x.min(d)));
                }
                hit.same_site |= flags & BY_SITE != 0;
                hit.nearby |= flags & NEARBY != 0;
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn keys(enterprise: &str, site: Option<&str>, lat: f64, day: u32, phash: u8) -> IndexKeys {
        IndexKeys {
            enterprise: enterprise.into(),
            site_code: site.map(Into::into),
            location: Some(Location {
                lat,
                lon: 117.87,
                accuracy_m: None,
            }),
            captured_at: Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap(),
            phashes: vec![[phash; 32]],
        }
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn finds_by_hash_site_and_place_within_the_enterprise() {
        let cfg = DedupConfig::default();
        let mut index = CandidateIndex::new();
        index
            .insert(id(1), &keys("E001", Some("P1"), 36.8, 1, 0x11))
            .unwrap();
        // Same photo hash, elsewhere, later than the time window: found by hash.
        index
            .insert(id(2), &keys("E001", None, 30.0, 28, 0xEE))
            .unwrap();
        // Another enterprise at the same place with the same hash: never found.
        index
            .insert(id(3), &keys("E002", Some("P1"), 36.8, 1, 0x11))
            .unwrap();
        // Nearby (100 m) without a site code: found by cell.
        index
            .insert(id(4), &keys("E001", None, 36.8009, 2, 0x77))
            .unwrap();
        assert_eq!(index.len(), 4);

        let mut q = keys("E001", Some("P1"), 36.8, 1, 0x11);
        q.phashes.push([0xEE; 32]);
        let hits = index.query(&q, &cfg);
        let ids: Vec<Uuid> = hits.iter().map(|h| h.report_id).collect();
        assert_eq!(ids, [id(1), id(2), id(4)]);
        assert_eq!(hits[0].phash_distance, Some(0));
        assert!(hits[0].same_site && hits[0].nearby);
        assert!(!hits[1].same_site && !hits[1].nearby);
        assert!(hits[2].nearby && hits[2].phash_distance.is_none());
    }

    #[test]
    fn the_time_window_bounds_place_lookups() {
        let cfg = DedupConfig {
            candidate_window_days: 5.0,
            ..DedupConfig::default()
        };
        let mut index = CandidateIndex::new();
        index
            .insert(id(1), &keys("E001", Some("P1"), 36.8, 1, 0x11))
            .unwrap();
        let hits = index.query(&keys("E001", Some("P1"), 36.8, 20, 0x22), &cfg);
        assert!(hits.is_empty(), "{hits:?}");
        let hits = index.query(&keys("E001", Some("P1"), 36.8, 5, 0x22), &cfg);
        assert_eq!(hits.len(), 1);
    }

    #[test]
    fn remove_and_reuse_keep_buckets_consistent() {
        let cfg = DedupConfig::default();
        let mut index = CandidateIndex::new();
        for n in 0..50 {
            index
                .insert(id(n), &keys("E001", Some("P1"), 36.8, 1, 0x11))
                .unwrap();
        }
        assert_eq!(
            index.query(&keys("E001", None, 0.0, 1, 0x11), &cfg).len(),
            50
        );
        for n in 0..49 {
            assert!(index.remove(id(n)));
        }
        assert!(!index.remove(id(0)));
        let hits = index.query(&keys("E001", Some("P1"), 36.8, 1, 0x11), &cfg);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].report_id, id(49));
        // Re-inserting the same id replaces it.
        index
            .insert(id(49), &keys("E001", Some("P2"), 10.0, 1, 0x33))
            .unwrap();
        assert_eq!(index.len(), 1);
        assert!(
            index
                .query(&keys("E001", Some("P1"), 36.8, 1, 0x11), &cfg)
                .is_empty()
        );
        index.remove(id(49));
        assert!(index.is_empty());
        assert!(index.hash_buckets.is_empty());
        assert!(index.places.is_empty());
    }

    #[test]
    fn chance_band_collisions_are_verified_away() {
        let cfg = DedupConfig::default();
        let mut index = CandidateIndex::new();
        let mut far = [0u8; 32];
        far[0] = 0xAB;
        far[1] = 0xCD;
        let mut k = keys("E001", None, 36.8, 1, 0);
        k.phashes = vec![far];
        index.insert(id(1), &k).unwrap();
        // Shares band 0 exactly but differs in 240 bits elsewhere.
        let mut q = [0xFFu8; 32];
        q[0] = 0xAB;
        q[1] = 0xCD;
        let mut qk = keys("E001", None, -30.0, 1, 0);
        qk.phashes = vec![q];
        assert!(index.query(&qk, &cfg).is_empty());
    }
}
