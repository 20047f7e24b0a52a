//! Fuzz target: a report batch's JSON and every report's validation (`hazardsnap_tests::fuzz_inputs::report_json`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = hazardsnap_tests::fuzz_inputs::report_json(data);
});
