//! The fuzz targets' seed corpus (`fuzz/corpus/`) run on stable as ordinary tests: every file
//! through its target's input function (`hazardsnap_tests::fuzz_inputs`) ends in a value or a
//! typed error, never a panic; the valid seeds are accepted and the hostile ones (decompression
//! bombs, truncated and mislabelled files, deep nesting, unknown fields) refused.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hazardsnap_tests::fuzz_inputs;

/// The corpus of one target, by file name.
fn corpus(target: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let files: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|f| {
            let f = f.unwrap();
            (
                f.file_name().to_string_lossy().into_owned(),
                std::fs::read(f.path()).unwrap(),
            )
        })
        .collect();
    assert!(
        files.len() >= 5,
        "{target}: a corpus of at least five seeds"
    );
    files
}

#[test]
fn photos() {
    for (name, bytes) in corpus("photo") {
        let accepted = fuzz_inputs::photo(&bytes);
        let valid = name.starts_with("valid");
        assert_eq!(accepted, valid, "{name}");
    }
}

#[test]
fn report_batches() {
    for (name, bytes) in corpus("report_json") {
        let valid = fuzz_inputs::report_json(&bytes);
        // A NUL or a bidi override in a note is the worker's text: stored as sent, escaped
        // wherever it is shown. An unknown field passes the wire type alone (the server's
        // `ApiJson` refuses it, naming the field, before the type is read).
        let expected = matches!(
            name.as_str(),
            "valid.json" | "nul-and-bidi.json" | "unknown-field.json"
        );
        assert_eq!(valid, usize::from(expected), "{name}");
    }
}

#[test]
fn rosters() {
    for (name, bytes) in corpus("roster") {
        assert_eq!(fuzz_inputs::roster(&bytes), name == "demo.toml", "{name}");
    }
}

#[test]
fn server_answers() {
    for (name, bytes) in corpus("server_answers") {
        let kinds = fuzz_inputs::server_answer(&bytes);
        let hostile =
            name.starts_with("html") || name.contains("unknown") || name.starts_with("huge");
        assert_eq!(kinds == 0, hostile, "{name}: parsed as {kinds} kinds");
    }
}
