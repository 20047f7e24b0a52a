//! Fuzz target: an answer of the server as the phone's sync client reads it (`hazardsnap_tests::fuzz_inputs::server_answer`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = hazardsnap_tests::fuzz_inputs::server_answer(data);
});
