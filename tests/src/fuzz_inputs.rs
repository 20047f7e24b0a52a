//! One input of each fuzz target (模糊测试输入): what the phone and the server do with bytes
//! from outside — a photo through the pipeline and the server's stored-photo check, a report
//! batch's JSON and its validation, a roster file, an answer of the server as the phone's sync
//! client reads it. Each must end in a value or a typed error, never a panic, never unbounded
//! work. `fuzz/` (cargo-fuzz, nightly) calls these with generated inputs; on stable,
//! `e2e/fuzz_corpus.rs` runs them over the seed corpus in `fuzz/corpus/`.

use chrono::{TimeZone, Utc};
use hazardsnap_model::{
    ChangeFeed, DeviceTrainings, EnrollResponse, ErrorBody, Roster, SubmitReports, SubmitResults,
};
use hazardsnap_photo::{Limits, PipelineConfig};

/// A photo, as the phone captures it and as the server checks a stored one. Returns whether
/// the pipeline accepted it; a refusal must carry a stable code.
pub fn photo(data: &[u8]) -> bool {
    let processed = hazardsnap_photo::process(data, &PipelineConfig::default());
    if let Err(e) = &processed {
        assert!(!e.code().is_empty());
    }
    if let Err(e) = hazardsnap_photo::verify_stored(data, &Limits::default()) {
        assert!(!e.code().is_empty());
    }
    processed.is_ok()
}

/// A report batch's JSON, as `POST /api/v1/reports` reads it, then every report's
/// validation. Returns how many reports were valid.
pub fn report_json(data: &[u8]) -> usize {
    let Ok(batch) = serde_json::from_slice::<SubmitReports>(data) else {
        return 0;
    };
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    batch
        .reports
        .iter()
        .filter(|r| match r.validate(now) {
            Ok(()) => true,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                false
            }
        })
        .count()
}

/// A roster file (TOML), as `org import` reads it. Returns whether it was accepted; a refusal
/// names where.
pub fn roster(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    match Roster::parse(&text) {
        Ok(_) => true,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    }
}

/// An answer of the server (or of whatever stands in its place, a proxy's error page), as the
/// phone's sync client reads each kind. Returns how many kinds it parsed as.
pub fn server_answer(data: &[u8]) -> usize {
    usize::from(serde_json::from_slice::<ChangeFeed>(data).is_ok())
        + usize::from(serde_json::from_slice::<SubmitResults>(data).is_ok())
        + usize::from(serde_json::from_slice::<EnrollResponse>(data).is_ok())
        + usize::from(serde_json::from_slice::<DeviceTrainings>(data).is_ok())
        + usize::from(serde_json::from_slice::<ErrorBody>(data).is_ok())
}
