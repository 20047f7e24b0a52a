//! Fuzz target: the officers' multipart after-photo upload (`POST /entries/{id}/rectified`)
//! through the whole application in-process, with the demo district behind it. Each input
//! goes as the whole multipart body and as the one photo of a well-formed form; a 5xx or an
//! inconsistent data folder is a crash. The driver is the stable test's own
//! (`server/tests/common/upload_driver.rs`, run over `fuzz/corpus/upload/` by
//! `server/tests/upload_hardening.rs`), built once per process.
#![no_main]

#[path = "../../server/tests/common/upload_driver.rs"]
#[allow(dead_code)]
mod upload_driver;

use std::sync::OnceLock;

static DRIVER: OnceLock<upload_driver::UploadDriver> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let driver = DRIVER.get_or_init(upload_driver::UploadDriver::new);
    if let Err(finding) = driver.run(data) {
        panic!("{finding}");
    }
});
