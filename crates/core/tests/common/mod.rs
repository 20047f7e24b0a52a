//! Test helpers shared by the core's integration tests: real photos made on the fly.
//!
//! Photos are generated rather than checked in so that each test gets distinct content (and so
//! distinct hashes) and the repository stays small.

#![allow(dead_code)]

use std::io::Cursor;
use std::path::Path;

use hazardsnap_core::store::Store;
use image::{ImageFormat, Rgb, RgbImage};

/// A JPEG of `w`×`h` pixels whose content depends on `seed`: a gradient with a few blocks, so
/// the pipeline's encoders and hashes see something photo-like.
pub fn jpeg(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut img = RgbImage::new(w, h);
    let s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let block = ((x / 37) ^ (y / 29)).wrapping_add(s as u32) as u64;
        let n = (block.wrapping_mul(s | 1) >> 13) as u8;
        *p = Rgb([
            (x * 255 / w.max(1)) as u8 ^ n,
            (y * 255 / h.max(1)) as u8,
            n.wrapping_add((x + y) as u8),
        ]);
    }
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .expect("encode test jpeg");
    out
}

/// Writes a generated JPEG to `dir/name` and returns its path as a string.
pub fn jpeg_file(dir: &Path, name: &str, seed: u64) -> String {
    let p = dir.join(name);
    std::fs::write(&p, jpeg(640, 480, seed)).expect("write test jpeg");
    p.to_string_lossy().into_owned()
}

/// Every file under `dir`, recursively, relative names.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Reports in the store.
pub fn report_count(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM reports", [], |r| r.get(0))
        .expect("count reports")
}
