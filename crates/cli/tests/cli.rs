//! The `hazardsnap` command line as scripts see it (CONTRACT.md): capture prints the id alone
//! on its line, `list --json` has the contract's fields, and every failure exits non-zero with
//! exactly one line on stderr, for each kind of bad input.

use std::io::Cursor;
use std::path::Path;
use std::process::{Command, Output};

use image::{ImageFormat, Rgb, RgbImage};

fn hazardsnap(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hazardsnap"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("run hazardsnap")
}

fn jpeg(path: &Path, seed: u8) -> String {
    let img = RgbImage::from_fn(640, 480, |x, y| {
        Rgb([(x as u8) ^ seed, (y as u8).wrapping_mul(seed), seed])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .unwrap();
    std::fs::write(path, out).unwrap();
    path.to_string_lossy().into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts a failure: non-zero exit, one line on stderr, bilingual.
fn fails(o: &Output) -> String {
    assert!(!o.status.success(), "expected failure, got {o:?}");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line on stderr: {err:?}"
    );
    assert!(err.contains('/') && !err.is_ascii(), "bilingual: {err}");
    err
}

fn list(data: &Path) -> Vec<serde_json::Value> {
    let o = hazardsnap(data, &["list", "--json"]);
    assert!(o.status.success(), "{o:?}");
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn capture_list_edit_queue_delete() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let photo = jpeg(&dir.path().join("a.jpg"), 3);
    let o = hazardsnap(
        &data,
        &[
            "capture",
            &photo,
            "--note",
            "护栏缺失",
            "--category",
            "equipment_guarding",
            "--severity",
            "major",
            "--anonymous",
            "--site",
            "E001-P01",
            "--lat",
            "36.8",
            "--lon",
            "117.87",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "the id alone: {out:?}");
    let id = out.trim().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);

    let photo2 = jpeg(&dir.path().join("b.jpg"), 9);
    let o = hazardsnap(&data, &["capture", &photo2, "--draft", "--kind", "hazard"]);
    assert!(o.status.success(), "{o:?}");
    let draft = stdout(&o).trim().to_owned();

    let items = list(&data);
    assert_eq!(items.len(), 2);
    for item in &items {
        for key in ["id", "local_state", "server_status", "entry_number"] {
            assert!(item.get(key).is_some(), "{key} missing in {item}");
        }
        assert!(item["server_status"].is_null() && item["entry_number"].is_null());
    }
    let state = |id: &str| {
        list(&data)
            .into_iter()
            .find(|r| r["id"] == id)
            .map(|r| r["local_state"].as_str().unwrap().to_owned())
    };
    assert_eq!(state(&id).as_deref(), Some("queued"));
    assert_eq!(state(&draft).as_deref(), Some("draft"));

    let o = hazardsnap(
        &data,
        &["edit", &draft, "--note", "补充说明", "--category", "ppe"],
    );
    assert!(o.status.success(), "{o:?}");
    let o = hazardsnap(&data, &["show", &draft, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(shown["note"], "补充说明");
    assert_eq!(shown["category"], "ppe");

    let err = fails(&hazardsnap(&data, &["edit", &id, "--note", "x"]));
    assert!(err.contains("queued"), "{err}");
    fails(&hazardsnap(&data, &["delete", &id]));
    assert!(hazardsnap(&data, &["queue", &draft]).status.success());
    assert_eq!(state(&draft).as_deref(), Some("queued"));

    let o = hazardsnap(
        &data,
        &[
            "capture",
            "--kind",
            "suggestion",
            "--note",
            "加装反光镜",
            "--draft",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    let s = stdout(&o).trim().to_owned();
    assert!(hazardsnap(&data, &["delete", &s]).status.success());
    assert_eq!(state(&s), None);

    let o = hazardsnap(&data, &["list", "--state", "queued"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).lines().count(), 2);
    let o = hazardsnap(&data, &["storage", "--json"]);
    let u: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(u["report_count"], 2);
}

#[test]
fn bad_input_fails_with_one_line_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = jpeg(&dir.path().join("good.jpg"), 5);
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.jpg");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let html = dir.path().join("page.jpg");
    std::fs::write(&html, "<html><body>not a photo</body></html>").unwrap();
    let giant = dir.path().join("giant.jpg");
    std::fs::File::create(&giant)
        .unwrap()
        .set_len(300 * 1024 * 1024)
        .unwrap();
    let long = "漏".repeat(10_000);
    let p = |p: &Path| p.to_string_lossy().into_owned();
    let missing = p(&dir.path().join("missing.jpg"));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["capture".into(), missing], "photo_not_found"),
        (vec!["capture".into(), p(&html)], ""),
        (vec!["capture".into(), p(&cut)], ""),
        (vec!["capture".into(), p(&giant)], ""),
        (vec!["capture".into()], ""),
        (
            vec!["capture".into(), good.clone(), "--note".into(), long],
            "",
        ),
        (
            vec![
                "capture".into(),
                good.clone(),
                "--lat".into(),
                "91".into(),
                "--lon".into(),
                "117".into(),
            ],
            "",
        ),
        (
            vec!["capture".into(), good.clone(), "--lat".into(), "36".into()],
            "",
        ),
        (
            vec![
                "capture".into(),
                good.clone(),
                "--category".into(),
                "valve".into(),
            ],
            "",
        ),
        (vec!["show".into(), "not-an-id".into()], ""),
        (vec!["sync".into()], ""),
        (
            vec![
                "enroll".into(),
                "--server".into(),
                "http://127.0.0.1:9".into(),
                "--code".into(),
                "X".into(),
            ],
            "",
        ),
    ];
    for (args, _) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = fails(&hazardsnap(&data, &args));
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(list(&data).is_empty());
    for sub in ["photos", "thumbs", "tmp"] {
        assert_eq!(
            std::fs::read_dir(data.join(sub)).unwrap().count(),
            0,
            "{sub}"
        );
    }
}

#[test]
fn a_data_path_that_is_a_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    fails(&hazardsnap(&not_a_dir, &["list"]));
}
