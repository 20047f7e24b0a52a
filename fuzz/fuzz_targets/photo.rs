//! Fuzz target: a photo through the capture pipeline and the server's stored-photo check (`hazardsnap_tests::fuzz_inputs::photo`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = hazardsnap_tests::fuzz_inputs::photo(data);
});
