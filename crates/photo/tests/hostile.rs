//! Hostile and broken files: decompression bombs, truncation, corruption, wrong types, size
//! limits. Each must give its typed error, allocate little (a counting allocator measures the
//! peak) and never panic; a mutation loop checks the last point on many damaged files.
//!
//! The cases run sequentially inside one test so that the allocator's peak belongs to one case.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use hazardsnap_photo::*;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the heap growth at its peak.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// A syntactically complete baseline JPEG of 8×8 pixels whose frame header is then patched.
fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let tiny = Rgb {
        w: 8,
        h: 8,
        data: vec![128; 8 * 8 * 3],
    };
    let mut bytes = jpeg(&tiny, 80, None, false);
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("SOF0");
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png_rgba(1, 1, &[1, 2, 3, 255]);
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    bytes
}

fn webp_vp8x_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    b.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    b.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let len = (b.len() - 8) as u32;
    b[4..8].copy_from_slice(&len.to_le_bytes());
    b
}

const SMALL_HEAP: usize = 4 * 1024 * 1024;

#[test]
fn hostile_inputs_fail_typed_small_and_without_panic() {
    let cfg = PipelineConfig::default();

    // Decompression bombs: tiny files declaring 60000×60000 (3.6 gigapixels).
    for (name, bomb) in [
        ("jpeg", jpeg_declaring(60000, 60000)),
        ("png", png_declaring(60000, 60000)),
        ("webp", webp_vp8x_declaring(16384, 16384)),
    ] {
        assert!(bomb.len() < 1024, "{name} bomb is small");
        let (r, peak) = measured(|| process(&bomb, &cfg));
        let err = r.expect_err(name);
        assert!(
            matches!(err, PhotoError::TooManyPixels { .. }),
            "{name}: {err:?}"
        );
        assert_eq!(err.code(), "photo_too_many_pixels");
        assert!(peak < SMALL_HEAP, "{name} bomb allocated {peak} bytes");
        let (r, peak) = measured(|| verify_stored(&bomb, &cfg.limits));
        assert!(r.is_err() && peak < SMALL_HEAP, "{name} verify");
    }

    // Truncated: a real photo cut in its entropy-coded data, in its headers, and to nothing.
    let photo = jpeg(
        &photo(9, 640, 480),
        90,
        Some(&exif_blob(1, Some((1.0, 2.0)))),
        false,
    );
    for cut in [photo.len() * 6 / 10, photo.len() - 2, 300, 40, 3, 2] {
        let (r, peak) = measured(|| process(&photo[..cut], &cfg));
        assert_eq!(r.map(|_| ()), Err(PhotoError::Truncated), "cut at {cut}");
        assert!(peak < SMALL_HEAP, "truncated at {cut} allocated {peak}");
        assert_eq!(
            verify_stored(&photo[..cut], &cfg.limits).map(|_| ()),
            Err(PhotoError::Truncated)
        );
    }
    let png = png_rgba(64, 64, &[90; 64 * 64 * 4]);
    assert_eq!(
        process(&png[..png.len() / 2], &cfg).map(|_| ()),
        Err(PhotoError::Truncated)
    );

    // Not an image, or not one we take.
    for junk in [
        &b""[..],
        b"hello",
        b"GIF89a\x01\x00\x01\x00",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
    ] {
        assert_eq!(
            process(junk, &cfg).map(|_| ()),
            Err(PhotoError::Unsupported),
            "{junk:?}"
        );
    }

    // Over the byte limit: refused before any parsing.
    let tight = PipelineConfig {
        limits: Limits {
            max_input_bytes: 1000,
            ..Limits::default()
        },
        ..PipelineConfig::default()
    };
    let err = process(&photo, &tight).expect_err("too large");
    assert_eq!(
        err,
        PhotoError::TooLarge {
            bytes: photo.len(),
            max: 1000
        }
    );
    assert!(err.to_string().starts_with("图片文件过大"));

    // Zero-sized frame.
    assert_eq!(
        process(&jpeg_declaring(0, 8), &cfg).map(|_| ()),
        Err(PhotoError::BadDimensions {
            width: 0,
            height: 8
        })
    );

    // A CPU bomb: thousands of scans in one progressive-looking file.
    let mut scans = jpeg(&photo_small(), 80, None, true);
    let sos = scans
        .windows(2)
        .rposition(|w| w == [0xFF, 0xDA])
        .expect("sos");
    let eoi = scans.len() - 2;
    let last_scan = scans[sos..eoi].to_vec();
    scans.truncate(eoi);
    for _ in 0..500 {
        scans.extend_from_slice(&last_scan);
    }
    scans.extend_from_slice(&[0xFF, 0xD9]);
    let err = process(&scans, &cfg).expect_err("too many scans");
    assert_eq!(err.code(), "photo_corrupt");

    // Damaged files: random byte flips must give Ok or a typed error, never a panic.
    let silence = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let webp_bytes = webp(&photo_small());
    let png_bytes = png_rgba(48, 32, &[7; 48 * 32 * 4]);
    let jpeg_bytes = jpeg(
        &photo_small(),
        85,
        Some(&exif_blob(6, Some((3.0, 4.0)))),
        false,
    );
    let prog_bytes = jpeg(&photo_small(), 85, None, true);
    let mut rng = Rng::new(42);
    let mut outcomes = std::collections::BTreeMap::new();
    for (name, original) in [
        ("jpeg", &jpeg_bytes),
        ("progressive", &prog_bytes),
        ("png", &png_bytes),
        ("webp", &webp_bytes),
    ] {
        for _ in 0..100 {
            let mut damaged = original.clone();
            let flips = 1 + rng.next() % 8;
            for _ in 0..flips {
                let at = (rng.next() % damaged.len() as u64) as usize;
                damaged[at] = (rng.next() & 0xFF) as u8;
            }
            let r = std::panic::catch_unwind(|| process(&damaged, &cfg));
            let code = match r {
                Ok(Ok(_)) => "ok",
                Ok(Err(e)) => e.code(),
                Err(_) => panic!("{name}: a damaged file made the pipeline panic"),
            };
            *outcomes.entry(code).or_insert(0u32) += 1;
            if let Ok(Ok(out)) = std::panic::catch_unwind(|| verify_stored(&damaged, &cfg.limits)) {
                assert!(out.width > 0);
            }
        }
    }
    std::panic::set_hook(silence);
    eprintln!("damaged-file outcomes: {outcomes:?}");
    assert!(
        !outcomes.contains_key("photo_internal"),
        "a decoder panicked: {outcomes:?}"
    );
}

fn photo_small() -> Rgb {
    photo(4, 160, 120)
}
