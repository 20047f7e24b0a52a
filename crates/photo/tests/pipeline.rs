//! End-to-end tests of `process` and `verify_stored` on generated photos: every EXIF
//! orientation, metadata stripping (checked by exiftool when installed), PNG with alpha, CMYK,
//! progressive, WebP, extreme shapes (1×1, 20000×20) and the byte budget.

mod common;

use common::*;
use hazardsnap_photo::*;

fn decode_rgb(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let img = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("output decodes")
        .into_rgb8();
    (img.width() as usize, img.height() as usize, img.into_raw())
}

fn px(img: &(usize, usize, Vec<u8>), x: usize, y: usize) -> [u8; 3] {
    let i = (y * img.0 + x) * 3;
    [img.2[i], img.2[i + 1], img.2[i + 2]]
}

fn near(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= tol)
}

const RED: [u8; 3] = [220, 30, 30];
const GREEN: [u8; 3] = [30, 200, 40];
const BLUE: [u8; 3] = [30, 40, 210];
const WHITE: [u8; 3] = [235, 235, 235];

/// An upright 96×64 picture with a distinct colour in each quadrant.
fn quadrants() -> image::RgbImage {
    image::RgbImage::from_fn(96, 64, |x, y| {
        image::Rgb(match (x < 48, y < 32) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

/// How a camera would store `upright` so that EXIF orientation `o` displays it upright: the
/// inverse of the display transform, built with the `image` crate's own operations.
fn stored_for(upright: &image::RgbImage, o: u16) -> image::RgbImage {
    use image::imageops::*;
    match o {
        2 => flip_horizontal(upright),
        3 => rotate180(upright),
        4 => flip_vertical(upright),
        5 => flip_horizontal(&rotate90(upright)),
        6 => rotate270(upright), // displayed by rotating 90° clockwise
        7 => flip_horizontal(&rotate270(upright)),
        8 => rotate90(upright),
        _ => upright.clone(),
    }
}

#[test]
fn every_exif_orientation_is_applied() {
    let upright = quadrants();
    for o in 1..=8u16 {
        let raw = stored_for(&upright, o);
        let rgb = Rgb {
            w: raw.width() as usize,
            h: raw.height() as usize,
            data: raw.into_raw(),
        };
        let input = jpeg(&rgb, 95, Some(&exif_blob(o, None)), false);
        let out = process(&input, &PipelineConfig::default()).expect("process");
        assert_eq!(out.metadata.orientation, o as u8);
        assert_eq!((out.width, out.height), (96, 64), "orientation {o}");
        let img = decode_rgb(&out.stored);
        for (x, y, want) in [
            (20, 14, RED),
            (76, 14, GREEN),
            (20, 50, BLUE),
            (76, 50, WHITE),
        ] {
            let got = px(&img, x, y);
            assert!(
                near(got, want, 24),
                "orientation {o} at ({x},{y}): {got:?} vs {want:?}"
            );
        }
        let thumb = decode_rgb(&out.thumbnail);
        assert_eq!((thumb.0, thumb.1), (96, 64));
    }
}

#[test]
fn gps_time_and_maker_notes_are_read_then_dropped() {
    let photo = photo(7, 1200, 900);
    let input = jpeg(
        &photo,
        92,
        Some(&exif_blob(1, Some((36.8031, 117.8712)))),
        false,
    );
    assert!(
        contains(&input, MAKER_NOTE),
        "fixture carries the maker note"
    );
    let out = process(&input, &PipelineConfig::default()).expect("process");

    let m = &out.metadata;
    let (lat, lon) = m.gps.expect("gps read");
    assert!(
        (lat - 36.8031).abs() < 1e-4 && (lon - 117.8712).abs() < 1e-4,
        "{lat} {lon}"
    );
    assert_eq!(
        m.captured_at.map(|t| t.to_string()).as_deref(),
        Some("2026-03-14 09:26:53")
    );
    assert_eq!(m.offset.map(|o| o.local_minus_utc()), Some(8 * 3600));

    for (name, bytes) in [("stored", &out.stored), ("thumbnail", &out.thumbnail)] {
        for needle in [
            MAKER_NOTE,
            CAMERA_MAKE.as_bytes(),
            BODY_SERIAL.as_bytes(),
            b"Exif",
            b"http://ns.adobe.com",
        ] {
            assert!(
                !contains(bytes, needle),
                "{name} leaks {:?}",
                String::from_utf8_lossy(needle)
            );
        }
        let v = verify_stored(bytes, &Limits::default()).expect("verify");
        assert!(v.metadata_free, "{name} has a metadata segment");
    }
    let v = verify_stored(&input, &Limits::default()).expect("input is a valid JPEG");
    assert!(!v.metadata_free, "the camera input does carry metadata");

    exiftool_finds_nothing(&input, &out.stored, &out.thumbnail);
}

/// Second opinion from exiftool (Debian `libimage-exiftool-perl`), skipped when not installed.
fn exiftool_finds_nothing(input: &[u8], stored: &[u8], thumb: &[u8]) {
    let probe = std::process::Command::new("exiftool").arg("-ver").output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIPPED exiftool check: exiftool not installed (apt-get install libimage-exiftool-perl)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let out = std::process::Command::new("exiftool")
            .args(["-a", "-u", "-G1", "-s"])
            .arg(&path)
            .output()
            .expect("exiftool runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = run("input.jpg", input);
    assert!(
        before.contains("GPSLatitude") && before.contains("MakerNote"),
        "exiftool sees the input's tags:\n{before}"
    );
    for (name, bytes) in [("stored.jpg", stored), ("thumb.jpg", thumb)] {
        let report = run(name, bytes);
        for group in [
            "[GPS]",
            "[IFD0]",
            "[ExifIFD]",
            "[XMP",
            "[ICC",
            "MakerNote",
            "Serial",
            "HazardCam",
            "[IFD1]",
        ] {
            assert!(
                !report.contains(group),
                "exiftool finds {group} in {name}:\n{report}"
            );
        }
    }
}

#[test]
fn png_with_alpha_is_flattened_on_white() {
    let (w, h) = (300u32, 200u32);
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            // Left half opaque red, right half fully transparent (black underneath).
            let a = if x < w / 2 { 255 } else { 0 };
            rgba.extend_from_slice(&[200, (y % 50) as u8, 20, a]);
        }
    }
    let input = png_rgba(w, h, &rgba);
    let out = process(&input, &PipelineConfig::default()).expect("process");
    assert_eq!(out.source_format, SourceFormat::Png);
    assert_eq!((out.width, out.height), (300, 200));
    let img = decode_rgb(&out.stored);
    assert!(
        near(px(&img, 250, 100), [255, 255, 255], 6),
        "transparent becomes white"
    );
    assert!(near(px(&img, 50, 100), [200, 0, 20], 40));
}

#[test]
fn cmyk_jpeg_keeps_its_colours() {
    let mut rgb = Rgb {
        w: 200,
        h: 100,
        data: Vec::new(),
    };
    for _y in 0..100 {
        for x in 0..200 {
            rgb.data
                .extend_from_slice(if x < 100 { &RED } else { &BLUE });
        }
    }
    let input = jpeg_cmyk(&rgb, 95);
    let out = process(&input, &PipelineConfig::default()).expect("process");
    let img = decode_rgb(&out.stored);
    assert!(near(px(&img, 50, 50), RED, 24), "{:?}", px(&img, 50, 50));
    assert!(near(px(&img, 150, 50), BLUE, 24), "{:?}", px(&img, 150, 50));
}

#[test]
fn progressive_and_webp_match_the_baseline_picture() {
    let p = photo(11, 800, 600);
    let cfg = PipelineConfig::default();
    let base = process(&jpeg(&p, 92, None, false), &cfg).expect("baseline");
    let prog = process(&jpeg(&p, 92, None, true), &cfg).expect("progressive");
    let webp = process(&webp(&p), &cfg).expect("webp");
    assert_eq!(webp.source_format, SourceFormat::WebP);
    for other in [&prog, &webp] {
        assert_eq!((other.width, other.height), (800, 600));
        let s = compare(&base.fingerprint, &other.fingerprint);
        assert!(s.phash_distance <= 16 && s.same_scene, "{s:?}");
    }
}

#[test]
fn one_pixel_and_panorama() {
    let cfg = PipelineConfig::default();
    let one = Rgb {
        w: 1,
        h: 1,
        data: vec![10, 200, 30],
    };
    for input in [
        jpeg(&one, 90, None, false),
        png_rgba(1, 1, &[10, 200, 30, 255]),
    ] {
        let out = process(&input, &cfg).expect("1×1");
        assert_eq!(
            (out.width, out.height, out.thumb_width, out.thumb_height),
            (1, 1, 1, 1)
        );
        assert!(out.fingerprint.scene.is_empty());
    }
    let pano = Rgb {
        w: 20000,
        h: 20,
        data: (0..20000 * 20)
            .flat_map(|i| [(i % 251) as u8, (i % 13 * 19) as u8, 90])
            .collect(),
    };
    let out = process(&jpeg(&pano, 85, None, false), &cfg).expect("panorama");
    assert_eq!((out.width, out.height), (1920, 2));
    assert_eq!((out.thumb_width, out.thumb_height), (320, 1));
    assert_eq!(
        verify_stored(&out.stored, &cfg.limits)
            .expect("verify")
            .width,
        1920
    );
}

#[test]
fn large_photo_is_bounded_and_budget_holds() {
    let p = photo(3, 2400, 1800);
    let input = jpeg(&p, 92, Some(&exif_blob(6, None)), false);
    let out = process(&input, &PipelineConfig::default()).expect("process");
    // Orientation 6 turns landscape into portrait.
    assert_eq!((out.width, out.height), (1440, 1920));
    assert_eq!((out.thumb_width, out.thumb_height), (240, 320));
    assert!(out.stored.len() <= PipelineConfig::default().max_stored_bytes);

    // Debug builds on a loaded machine are slow; the wall-clock limit is not under test here.
    let patient = Limits {
        max_decode_time: std::time::Duration::from_secs(3600),
        ..Limits::default()
    };
    let tight = PipelineConfig {
        max_stored_bytes: 120_000,
        limits: patient.clone(),
        ..PipelineConfig::default()
    };
    let small = process(&input, &tight).expect("re-encoded within budget");
    assert!(small.stored.len() <= 120_000, "{}", small.stored.len());
    let (w, h, _) = decode_rgb(&small.stored);
    assert_eq!((w as u32, h as u32), (small.width, small.height));

    let impossible = PipelineConfig {
        max_stored_bytes: 2_000,
        limits: patient,
        ..PipelineConfig::default()
    };
    let err = process(&input, &impossible).expect_err("cannot fit");
    assert_eq!(err.code(), "photo_over_budget");

    // The time limit is enforced: with no time at all, the first check fails.
    let hurried = PipelineConfig {
        limits: Limits {
            max_decode_time: std::time::Duration::ZERO,
            ..Limits::default()
        },
        ..PipelineConfig::default()
    };
    assert_eq!(
        process(&input, &hurried).map(|_| ()),
        Err(PhotoError::Timeout)
    );
}

#[test]
fn server_recomputes_the_same_fingerprints() {
    let p = photo(5, 1600, 1200);
    let out = process(&jpeg(&p, 90, None, false), &PipelineConfig::default()).expect("process");
    let v = verify_stored(&out.stored, &Limits::default()).expect("verify");
    assert_eq!((v.width, v.height), (out.width, out.height));
    assert_eq!(v.fingerprint, out.fingerprint);
    assert_eq!(v.fingerprint.sha256_hex().len(), 64);
    assert_eq!(v.fingerprint.phash_hex().len(), 64);
    assert!(
        v.fingerprint.scene.len() >= 100,
        "a textured photo has many keypoints"
    );
    let blob = v.fingerprint.scene.to_bytes();
    let back = SceneSignature::from_bytes(&blob).expect("blob");
    assert_eq!(back.len(), v.fingerprint.scene.len());
    let self_sim = compare(&out.fingerprint, &v.fingerprint);
    assert!(self_sim.identical && self_sim.score == 1.0);
    // The server accepts only JPEG.
    let png = png_rgba(2, 2, &[0; 16]);
    assert_eq!(
        verify_stored(&png, &Limits::default()).map(|_| ()),
        Err(PhotoError::Unsupported)
    );
}

#[test]
fn same_scene_is_recognised_and_other_scenes_are_not() {
    let w0 = world(21, 1400, 1050);
    let w1 = world(22, 1400, 1050);
    let cfg = PipelineConfig::default();
    let shot = |wd: &Rgb, cx: f32, zoom: f32, angle: f32, seed: u64| {
        let v = view(wd, 1000, 750, cx, 0.5, zoom, angle, 6.0, 0.0, seed);
        process(&jpeg(&v, 90, None, false), &cfg)
            .expect("process")
            .fingerprint
    };
    let a = shot(&w0, 0.5, 1.3, 0.0, 1);
    let reshoot = shot(&w0, 0.56, 1.17, 3.0, 2); // a step aside, 10 % closer, 3° tilt
    let other = shot(&w1, 0.5, 1.3, 0.0, 3);
    let same = compare(&a, &reshoot);
    let diff = compare(&a, &other);
    assert!(
        same.same_scene && same.scene_inliers >= SAME_SCENE_MIN_INLIERS,
        "{same:?}"
    );
    assert!(!diff.same_scene && diff.score < 0.5, "{diff:?}");
    assert!(same.score > diff.score);
}
