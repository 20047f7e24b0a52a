//! Capture metadata read from EXIF (拍摄信息) before the pipeline drops every metadata block.
//!
//! The report needs the capture time and GPS position as evidence of when and where a hazard
//! was seen, but the stored photo must carry no metadata at all (camera serials and maker notes
//! identify the worker's phone). So the facts are lifted out here, handed to the app as plain
//! fields, and the app decides what to keep. Missing or malformed EXIF is not an error: a
//! screenshot or a PNG simply has no capture metadata.

use chrono::{FixedOffset, NaiveDateTime};
use exif::{In, Tag, Value};

use crate::CaptureMetadata;

/// Reads capture time, offset, GPS and orientation; never fails.
pub(crate) fn read(bytes: &[u8]) -> CaptureMetadata {
    let mut cursor = std::io::Cursor::new(bytes);
    match exif::Reader::new().read_from_container(&mut cursor) {
        Ok(ex) => from_exif(&ex),
        Err(_) => CaptureMetadata::default(),
    }
}

fn ascii(ex: &exif::Exif, tag: Tag) -> Option<String> {
    let field = ex.get_field(tag, In::PRIMARY)?;
    match &field.value {
        Value::Ascii(parts) => {
            let first = parts.first()?;
            Some(String::from_utf8_lossy(first).trim().to_owned())
        }
        _ => None,
    }
}

fn from_exif(ex: &exif::Exif) -> CaptureMetadata {
    let orientation = ex
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1);
    let captured_at = ascii(ex, Tag::DateTimeOriginal)
        .or_else(|| ascii(ex, Tag::DateTime))
        .and_then(|s| NaiveDateTime::parse_from_str(&s, "%Y:%m:%d %H:%M:%S").ok());
    let offset = ascii(ex, Tag::OffsetTimeOriginal)
        .or_else(|| ascii(ex, Tag::OffsetTime))
        .and_then(|s| parse_offset(&s));
    CaptureMetadata {
        captured_at,
        offset,
        gps: gps(ex),
        orientation,
    }
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

fn dms(ex: &exif::Exif, tag: Tag) -> Option<f64> {
    match &ex.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(r) if r.len() >= 3 && r.iter().take(3).all(|x| x.denom != 0) => {
            Some(r[0].to_f64() + r[1].to_f64() / 60.0 + r[2].to_f64() / 3600.0)
        }
        _ => None,
    }
}

fn gps(ex: &exif::Exif) -> Option<(f64, f64)> {
    let mut lat = dms(ex, Tag::GPSLatitude)?;
    let mut lon = dms(ex, Tag::GPSLongitude)?;
    if ascii(ex, Tag::GPSLatitudeRef).is_some_and(|r| r.eq_ignore_ascii_case("S")) {
        lat = -lat;
    }
    if ascii(ex, Tag::GPSLongitudeRef).is_some_and(|r| r.eq_ignore_ascii_case("W")) {
        lon = -lon;
    }
    let valid = lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0;
    valid.then_some((lat, lon))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+08:00"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(
            parse_offset("-05:30"),
            FixedOffset::east_opt(-(5 * 3600 + 1800))
        );
        assert_eq!(parse_offset("08:00"), None);
        assert_eq!(parse_offset("+99:00"), None);
    }

    #[test]
    fn garbage_gives_defaults() {
        let m = read(b"\xFF\xD8\xFF\xE1\x00\x08Exif\x00\x00");
        assert_eq!(m.orientation, 1);
        assert!(m.gps.is_none());
    }
}
