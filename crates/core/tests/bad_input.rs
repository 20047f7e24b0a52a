//! Bad input through the core's public API: each case is a typed error with a stable code, a
//! bilingual message without the worker's content, and nothing stored, not even half.

mod common;

use std::path::Path;

use common::{files_under, jpeg};
use hazardsnap_core::{
    CaptureRequest, HazardCore, HazardError, ListQuery, PhotoSource, ReportContent,
};
use hazardsnap_model::{Category, Location, ReportKind};

/// A PNG whose header declares `w`×`h` pixels, with almost no data: a decompression bomb as
/// far as a naive decoder is concerned.
pub fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn hazard(photos: Vec<PhotoSource>) -> CaptureRequest {
    let mut content = ReportContent::hazard(Category::KeyPoints);
    content.note = "秘密的说明".into();
    CaptureRequest {
        photos,
        content,
        captured_at: None,
        draft: false,
    }
}

async fn refused(core: &HazardCore, data: &Path, req: CaptureRequest) -> HazardError {
    let err = core
        .capture(req, None)
        .await
        .expect_err("bad input must be refused");
    let text = err.to_string();
    assert!(text.contains('/') && !text.is_ascii(), "bilingual: {text}");
    assert!(
        !text.contains("秘密"),
        "the note leaked into the error: {text}"
    );
    assert!(
        !text.contains("/tmp"),
        "a path leaked into the error: {text}"
    );
    // Nothing stored, not even half.
    let page = core.list_reports(ListQuery::default()).await.unwrap();
    assert!(page.items.is_empty());
    for sub in ["photos", "thumbs", "tmp"] {
        assert!(files_under(&data.join(sub)).is_empty(), "{sub} not empty");
    }
    err
}

fn code_of(e: &HazardError) -> (&'static str, String) {
    let kind = match e {
        HazardError::InvalidReport { .. } => "report",
        HazardError::InvalidPhoto { .. } => "photo",
        _ => "other",
    };
    (kind, e.code().to_owned())
}

#[tokio::test]
async fn every_kind_of_bad_input_is_a_typed_error_and_stores_nothing() {
    let data = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let core = HazardCore::open(data.path().to_string_lossy().into_owned())
        .await
        .unwrap();
    let path = |name: &str, bytes: &[u8]| {
        let p = src.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        PhotoSource::Path {
            path: p.to_string_lossy().into_owned(),
        }
    };
    let good = jpeg(640, 480, 77);

    let missing = PhotoSource::Path {
        path: src.path().join("nope.jpg").to_string_lossy().into_owned(),
    };
    let e = refused(&core, data.path(), hazard(vec![missing])).await;
    assert_eq!(code_of(&e), ("photo", "photo_not_found".into()));

    let e = refused(
        &core,
        data.path(),
        hazard(vec![path("notes.jpg", b"<html>not a photo</html>")]),
    )
    .await;
    assert_eq!(code_of(&e), ("photo", "photo_unsupported".into()));

    // The second photo is bad: the first, already processed, must not be stored either.
    let e = refused(
        &core,
        data.path(),
        hazard(vec![
            PhotoSource::Bytes {
                bytes: good.clone(),
            },
            path("cut.jpg", &good[..good.len() / 2]),
        ]),
    )
    .await;
    assert!(
        matches!(&e, HazardError::InvalidPhoto { index: 1, .. }),
        "{e:?}"
    );
    assert!(
        ["photo_truncated", "photo_corrupt"].contains(&e.code()),
        "{e:?}"
    );

    let e = refused(
        &core,
        data.path(),
        hazard(vec![PhotoSource::Bytes {
            bytes: png_declaring(60_000, 60_000),
        }]),
    )
    .await;
    assert_eq!(code_of(&e), ("photo", "photo_too_many_pixels".into()));

    // A giant file is refused before it is read (sparse: costs no disk).
    let giant = src.path().join("giant.jpg");
    std::fs::File::create(&giant)
        .unwrap()
        .set_len(200 * 1024 * 1024)
        .unwrap();
    let e = refused(
        &core,
        data.path(),
        hazard(vec![PhotoSource::Path {
            path: giant.to_string_lossy().into_owned(),
        }]),
    )
    .await;
    assert_eq!(code_of(&e), ("photo", "photo_file_too_large".into()));

    let mut empty = hazard(vec![]);
    empty.content.note = "   ".into();
    let e = refused(&core, data.path(), empty).await;
    assert_eq!(code_of(&e), ("report", "empty_report".into()));

    let e = refused(&core, data.path(), hazard(vec![])).await;
    assert_eq!(code_of(&e), ("report", "hazard_without_photo".into()));

    let mut long = hazard(vec![PhotoSource::Bytes {
        bytes: good.clone(),
    }]);
    long.content.note = "漏".repeat(10_000);
    let e = refused(&core, data.path(), long).await;
    assert_eq!(code_of(&e), ("report", "note_too_long".into()));

    for (lat, lon) in [
        (91.0, 117.0),
        (36.0, 181.0),
        (f64::NAN, 117.0),
        (36.0, f64::INFINITY),
    ] {
        let mut bad = hazard(vec![PhotoSource::Bytes {
            bytes: good.clone(),
        }]);
        bad.content.location = Some(Location {
            lat,
            lon,
            accuracy_m: None,
        });
        let e = refused(&core, data.path(), bad).await;
        assert_eq!(code_of(&e), ("report", "invalid_location".into()));
    }

    let mut twice = hazard(vec![
        PhotoSource::Bytes {
            bytes: good.clone(),
        },
        PhotoSource::Bytes {
            bytes: good.clone(),
        },
    ]);
    twice.content.kind = ReportKind::Hazard;
    let e = refused(&core, data.path(), twice).await;
    assert_eq!(code_of(&e), ("report", "duplicate_photo".into()));

    let ten = hazard(
        (0..10)
            .map(|i| PhotoSource::Bytes {
                bytes: jpeg(64, 64, 100 + i),
            })
            .collect(),
    );
    let e = refused(&core, data.path(), ten).await;
    assert_eq!(code_of(&e), ("report", "too_many_photos".into()));

    // And after all that, a good report still goes in.
    core.capture(hazard(vec![PhotoSource::Bytes { bytes: good }]), None)
        .await
        .unwrap();
}
