//! The global perceptual hash (感知哈希): 256 bits in the manner of Facebook's PDQ.
//!
//! Luma is box-averaged to 64×64, a 2-D DCT keeps the 16×16 lowest frequencies, and each bit
//! says whether a coefficient is above the median. Recompression, resizing and brightness
//! changes barely move it; crops, shifts and rotations do (see BENCH.md), which is why the
//! scene signature exists beside it.

/// Side of the averaged luma grid.
const GRID: usize = 64;
/// Kept frequencies per axis: 16×16 = 256 bits.
const FREQ: usize = 16;

fn dct_matrix() -> [[f32; GRID]; FREQ] {
    let mut m = [[0f32; GRID]; FREQ];
    for (k, row) in m.iter_mut().enumerate() {
        for (n, v) in row.iter_mut().enumerate() {
            let arg = std::f64::consts::PI / GRID as f64 * (n as f64 + 0.5) * k as f64;
            *v = (arg.cos() * (2.0 / GRID as f64).sqrt()) as f32;
        }
    }
    m
}

/// Averages `luma` (w×h) into a 64×64 grid; each cell covers its share of source pixels.
fn grid(luma: &[u8], w: usize, h: usize) -> Vec<f32> {
    let mut sums = vec![0f32; GRID * GRID];
    let mut counts = vec![0u32; GRID * GRID];
    for y in 0..h {
        let gy = y * GRID / h;
        let row = &luma[y * w..(y + 1) * w];
        for (x, &v) in row.iter().enumerate() {
            let i = gy * GRID + x * GRID / w;
            sums[i] += f32::from(v);
            counts[i] += 1;
        }
    }
    // Sources smaller than the grid leave holes; fill each from the nearest source pixel.
    for gy in 0..GRID {
        for gx in 0..GRID {
            let i = gy * GRID + gx;
            if counts[i] == 0 {
                let sx = (gx * w / GRID).min(w - 1);
                let sy = (gy * h / GRID).min(h - 1);
                sums[i] = f32::from(luma[sy * w + sx]);
                counts[i] = 1;
            }
        }
    }
    sums.iter()
        .zip(&counts)
        .map(|(s, &c)| s / c as f32)
        .collect()
}

/// Computes the 256-bit hash of a w×h luma image. An empty image hashes to all zeros.
pub(crate) fn phash(luma: &[u8], w: usize, h: usize) -> [u8; 32] {
    let mut out = [0u8; 32];
    if w == 0 || h == 0 || luma.len() < w * h {
        return out;
    }
    let g = grid(luma, w, h);
    let d = dct_matrix();
    // tmp = D · G  (FREQ×GRID), then coeffs = tmp · Dᵀ (FREQ×FREQ).
    let mut tmp = vec![0f32; FREQ * GRID];
    for k in 0..FREQ {
        for x in 0..GRID {
            let mut acc = 0f32;
            for y in 0..GRID {
                acc += d[k][y] * g[y * GRID + x];
            }
            tmp[k * GRID + x] = acc;
        }
    }
    let mut coeffs = [0f32; FREQ * FREQ];
    for k in 0..FREQ {
        for l in 0..FREQ {
            let mut acc = 0f32;
            for x in 0..GRID {
                acc += tmp[k * GRID + x] * d[l][x];
            }
            coeffs[k * FREQ + l] = acc;
        }
    }
    let mut sorted = coeffs;
    sorted.sort_unstable_by(f32::total_cmp);
    let median = (sorted[FREQ * FREQ / 2 - 1] + sorted[FREQ * FREQ / 2]) / 2.0;
    for (i, c) in coeffs.iter().enumerate() {
        if *c > median {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

/// Number of differing bits between two hashes (0 = identical, 128 ≈ unrelated).
pub fn phash_distance(a: &[u8; 32], b: &[u8; 32]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_and_flat_images_do_not_panic() {
        let _ = phash(&[7], 1, 1);
        let _ = phash(&[0; 3], 3, 1);
        assert_eq!(phash(&[], 0, 0), [0; 32]);
    }

    #[test]
    fn distance_is_hamming() {
        let a = [0u8; 32];
        let mut b = [0u8; 32];
        b[0] = 0b1011;
        b[31] = 0x80;
        assert_eq!(phash_distance(&a, &b), 4);
        assert_eq!(phash_distance(&b, &b), 0);
    }
}
