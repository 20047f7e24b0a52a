//! Structured logs (结构化日志): the server binary with `HAZARDSNAP_LOG_FORMAT=json` writes
//! one JSON object per line — time, level, target, the event's fields and the request's span
//! (method, route path, request id) — that a log collector reads without parsing text; and
//! still no client address in any of them.

mod common;

use common::{ROSTER, ServerProcess, org_import_text};
use serde_json::Value;

#[tokio::test]
async fn with_the_json_format_every_log_line_is_an_object_with_its_request() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    org_import_text(&data, ROSTER);
    let log = work.path().join("server.log");
    let server =
        ServerProcess::start_logged_env(&data, &log, "info", &[("HAZARDSNAP_LOG_FORMAT", "json")]);
    let http = reqwest::Client::new();
    // A failed login logs at info inside the request's span.
    let r = http
        .post(format!("{}/api/v1/session", server.base()))
        .json(&serde_json::json!({"username": "zhang.san", "password": "wrong"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 401);
    server.kill();

    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty(), "nothing logged");
    for l in &lines {
        assert!(l["timestamp"].is_string() && l["level"].is_string(), "{l}");
        assert!(l["target"].is_string() && l["fields"].is_object(), "{l}");
    }
    let login = lines
        .iter()
        .find(|l| l["fields"]["message"] == "failed officer login")
        .unwrap_or_else(|| panic!("no login line in {text}"));
    assert_eq!(login["fields"]["user"], "zhang.san", "{login}");
    assert_eq!(login["span"]["path"], "/api/v1/session", "{login}");
    assert!(login["span"]["request_id"].is_string(), "{login}");
    assert!(!text.contains("127.0.0.1:"), "a client address in the log");
}
