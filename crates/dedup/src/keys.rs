//! Lookup keys for finding duplicate candidates without scanning the ledger (候选检索键).
//!
//! Two families of keys, both exact-match so that any store with an ordinary index can use
//! them (the in-memory [`crate::CandidateIndex`] and the server's SQLite columns compute them
//! with these same functions):
//!
//! - **Perceptual-hash bands** (multi-index hashing): the 256-bit hash is cut into
//!   [`PHASH_BANDS`] bands of 16 bits. Two hashes within Hamming distance 15 agree exactly on
//!   at least one band (pigeonhole), and at the distances a re-encoded photo shows (≈ 10–30)
//!   at least one band survives with high probability. A lookup reads 16 exact buckets and
//!   verifies the full distance of what it finds.
//! - **Place cells**: a grid over latitude/longitude. A report is stored under its own cell and
//!   looked up in that cell and its eight neighbours, which covers every position within
//!   [`CELL_GUARANTEED_RADIUS_M`] regardless of where the cell borders fall. Site point codes
//!   need no function: the code itself is the key.
//!
//! The key layouts are part of what the server stores: changing them needs a rebuild of the
//! stored keys.

use hazardsnap_model::Location;

/// Bands of the perceptual hash.
pub const PHASH_BANDS: usize = 16;

/// Cell height in degrees of latitude (≈ 167 m).
pub const CELL_LAT_DEG: f64 = 0.0015;
/// Cell width in degrees of longitude (≈ 167 m at 60° N, ≈ 267 m at 37° N).
pub const CELL_LON_DEG: f64 = 0.003;
/// Every position at most this far away lies in the 3 × 3 cells around a point, anywhere
/// between 60° S and 60° N.
pub const CELL_GUARANTEED_RADIUS_M: f64 = 160.0;

const LAT_CELLS: i64 = (180.0 / CELL_LAT_DEG) as i64 + 1;
const LON_CELLS: i64 = (360.0 / CELL_LON_DEG) as i64;

/// The band keys of a perceptual hash: `(band, value)`, one per band, band in `0..16`.
pub fn phash_band_keys(phash: &[u8; 32]) -> Vec<(u8, u32)> {
    phash
        .chunks_exact(2)
        .enumerate()
        .map(|(band, b)| (band as u8, u32::from(u16::from_be_bytes([b[0], b[1]]))))
        .collect()
}

/// The band keys of a perceptual hash packed for one integer column: `band << 16 | value`.
pub fn phash_keys(phash: &[u8; 32]) -> Vec<i64> {
    band_keys(phash).to_vec()
}

/// [`phash_keys`] without an allocation, for the in-memory index.
pub(crate) fn band_keys(phash: &[u8; 32]) -> [i64; PHASH_BANDS] {
    let mut keys = [0i64; PHASH_BANDS];
    for (band, (key, b)) in keys.iter_mut().zip(phash.chunks_exact(2)).enumerate() {
        *key = ((band as i64) << 16) | i64::from(u16::from_be_bytes([b[0], b[1]]));
    }
    keys
}

fn cell_indices(loc: &Location) -> Option<(i64, i64)> {
    // `contains` is false for NaN, so this also refuses NaN.
    if !((-90.0..=90.0).contains(&loc.lat) && (-180.0..=180.0).contains(&loc.lon)) {
        return None;
    }
    let lat = ((loc.lat + 90.0) / CELL_LAT_DEG).floor() as i64;
    let lon = ((loc.lon + 180.0) / CELL_LON_DEG).floor() as i64;
    Some((lat.min(LAT_CELLS - 1), lon.rem_euclid(LON_CELLS)))
}

fn pack(lat: i64, lon: i64) -> i64 {
    (lat << 20) | lon
}

/// The cell a report is stored under; `None` for a position out of range (NaN included).
pub fn location_cell(loc: &Location) -> Option<i64> {
    cell_indices(loc).map(|(lat, lon)| pack(lat, lon))
}

/// The cells to look up for a report: its own and the eight around it (fewer at the poles,
/// wrapping at the antimeridian); empty for a position out of range.
pub fn location_cells(loc: &Location) -> Vec<i64> {
    let Some((lat, lon)) = cell_indices(loc) else {
        return Vec::new();
    };
    let mut cells = Vec::with_capacity(9);
    for dlat in -1..=1 {
        let la = lat + dlat;
        if !(0..LAT_CELLS).contains(&la) {
            continue;
        }
        for dlon in -1..=1 {
            let cell = pack(la, (lon + dlon).rem_euclid(LON_CELLS));
            if !cells.contains(&cell) {
                cells.push(cell);
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> Location {
        Location {
            lat,
            lon,
            accuracy_m: None,
        }
    }

    #[test]
    fn band_keys_cover_the_hash() {
        let mut h = [0u8; 32];
        h[0] = 0xAB;
        h[1] = 0xCD;
        h[31] = 7;
        let keys = phash_band_keys(&h);
        assert_eq!(keys.len(), PHASH_BANDS);
        assert_eq!(keys[0], (0, 0xABCD));
        assert_eq!(keys[15], (15, 7));
        assert_eq!(phash_keys(&h)[15], (15 << 16) | 7);
    }

    #[test]
    fn hashes_within_15_bits_share_a_band() {
        let a = [0x5Au8; 32];
        let mut b = a;
        // 15 flips, one in each of the first 15 bands: band 15 must still match.
        for band in 0..15 {
            b[band * 2] ^= 1;
        }
        let (ka, kb) = (phash_keys(&a), phash_keys(&b));
        assert!(ka.iter().any(|k| kb.contains(k)));
    }

    #[test]
    fn neighbours_find_every_point_within_the_guaranteed_radius() {
        let centre = at(36.8001, 117.8702);
        let cells = location_cells(&centre);
        assert_eq!(cells.len(), 9);
        assert!(cells.contains(&location_cell(&centre).unwrap()));
        for step in 0..72 {
            let bearing = f64::from(step) * 5f64.to_radians();
            // Move CELL_GUARANTEED_RADIUS_M along the bearing.
            let dlat = CELL_GUARANTEED_RADIUS_M * bearing.cos() / 111_195.0;
            let dlon = CELL_GUARANTEED_RADIUS_M * bearing.sin()
                / (111_195.0 * centre.lat.to_radians().cos());
            let p = at(centre.lat + dlat, centre.lon + dlon);
            assert!(centre.distance_m(&p) <= CELL_GUARANTEED_RADIUS_M + 0.5);
            assert!(
                cells.contains(&location_cell(&p).unwrap()),
                "bearing {step}"
            );
        }
        let high = at(59.9, 10.0);
        let p = at(
            59.9,
            10.0 + CELL_GUARANTEED_RADIUS_M / (111_195.0 * 59.9f64.to_radians().cos()),
        );
        assert!(location_cells(&high).contains(&location_cell(&p).unwrap()));
    }

    #[test]
    fn edges_of_the_world_do_not_panic() {
        assert_eq!(location_cell(&at(f64::NAN, 0.0)), None);
        assert!(location_cells(&at(91.0, 0.0)).is_empty());
        assert_eq!(location_cells(&at(90.0, 0.0)).len(), 6);
        let east = location_cells(&at(0.0, 180.0));
        let west = location_cell(&at(0.0, -180.0)).unwrap();
        assert!(east.contains(&west));
        assert_eq!(location_cells(&at(-90.0, -180.0)).len(), 6);
    }
}
