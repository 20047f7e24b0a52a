//! Fuzz target: a roster file (TOML) as org import reads it (`hazardsnap_tests::fuzz_inputs::roster`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = hazardsnap_tests::fuzz_inputs::roster(data);
});
