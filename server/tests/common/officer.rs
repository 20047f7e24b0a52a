//! Helpers of the officer-side tests: a district of two towns with officers of every role,
//! logins, filing hazards through an enrolled device, and plain JSON calls.

use chrono::{Duration, Utc};
use hazardsnap_model::{Severity, SubmitOutcome};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{TestServer, hazard, jpeg, photo_ref, sha256_hex};

/// Two towns; T01 holds E001 and E002, T02 holds E003. One officer per role and scope.
pub const DISTRICT: &str = r#"
[district]
name = "周村区"

[[towns]]
code = "T01"
name = "丝绸路街道"

[[towns]]
code = "T02"
name = "永安街道"

[[enterprises]]
code = "E001"
name = "某化工有限公司"
town = "T01"
industry = "hazardous_chemicals"
private_sme = true

[[enterprises]]
code = "E002"
name = "某纺织厂"
town = "T01"
industry = "other"

[[enterprises]]
code = "E003"
name = "某建材公司"
town = "T02"
industry = "building_materials"
private_sme = true

[[users]]
username = "qu"
password = "district-pass-1"
role = "district"

[[users]]
username = "ajj"
password = "bureau-pass-1"
role = "bureau"

[[users]]
username = "t01"
password = "town-pass-1"
role = "town"
scope = "T01"

[[users]]
username = "t02"
password = "town-pass-2"
role = "town"
scope = "T02"

[[users]]
username = "e001"
password = "enterprise-pass-1"
role = "enterprise"
scope = "E001"

[[users]]
username = "e003"
password = "enterprise-pass-3"
role = "enterprise"
scope = "E003"

[[enrollment_codes]]
code = "E001-JOIN"
enterprise = "E001"

[[enrollment_codes]]
code = "E002-JOIN"
enterprise = "E002"

[[enrollment_codes]]
code = "E003-JOIN"
enterprise = "E003"
"#;

/// Every officer of [`DISTRICT`]: username, password.
pub const OFFICERS: &[(&str, &str)] = &[
    ("qu", "district-pass-1"),
    ("ajj", "bureau-pass-1"),
    ("t01", "town-pass-1"),
    ("t02", "town-pass-2"),
    ("e001", "enterprise-pass-1"),
    ("e003", "enterprise-pass-3"),
];

/// The town of each enterprise of [`DISTRICT`].
pub fn town_of(enterprise: &str) -> &'static str {
    match enterprise {
        "E003" => "T02",
        _ => "T01",
    }
}

/// Starts a server with [`DISTRICT`].
pub async fn start() -> TestServer {
    TestServer::start_roster(DISTRICT, |_| {}).await
}

/// Logs in; the session token.
pub async fn login(ts: &TestServer, username: &str, password: &str) -> String {
    let r = ts
        .http
        .post(ts.url("/api/v1/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200, "login {username}");
    let v: Value = r.json().await.expect("login body");
    v["token"].as_str().expect("token").to_owned()
}

/// A GET as an officer: status and body text.
pub async fn get(ts: &TestServer, token: &str, path: &str) -> (u16, String) {
    let r = ts
        .http
        .get(ts.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    let body = r.bytes().await.expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A JSON POST as an officer: status and body.
pub async fn post(ts: &TestServer, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = ts
        .http
        .post(ts.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    let text = r.text().await.expect("text");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A hazard filed through a device.
#[derive(Debug, Clone)]
pub struct Filed {
    pub report_id: Uuid,
    pub entry_id: Uuid,
    pub number: String,
    pub photo: String,
}

/// Uploads a generated photo and files a hazard with it from `device_token`.
pub async fn file_hazard(
    ts: &TestServer,
    device_token: &str,
    seed: u32,
    severity: Severity,
    anonymous: bool,
    note: &str,
) -> Filed {
    let photo = jpeg(seed, 96, 72);
    let r = ts.put_photo(device_token, &photo).await;
    assert!(r.status().is_success(), "photo upload {}", r.status());
    let mut report = hazard(vec![photo_ref(&photo, 96, 72)]);
    report.severity = severity;
    report.anonymous = anonymous;
    report.note = note.to_owned();
    report.site_code = None;
    let results = ts.submit(device_token, vec![report.clone()]).await;
    let res = &results.results[0];
    assert_eq!(res.outcome, SubmitOutcome::Accepted, "{res:?}");
    Filed {
        report_id: report.id,
        entry_id: res.entry_id.expect("entry"),
        number: res.entry_number.clone().expect("number"),
        photo: sha256_hex(&photo),
    }
}

/// Uploads an after-photo as an officer; its name.
pub async fn after_photo(ts: &TestServer, officer_token: &str, seed: u32) -> String {
    let photo = jpeg(seed, 80, 60);
    let r = ts.put_photo(officer_token, &photo).await;
    assert!(r.status().is_success(), "after-photo upload {}", r.status());
    sha256_hex(&photo)
}

/// A complete plan (五到位) due in `days` days.
pub fn plan(days: i64) -> Value {
    let deadline = (Utc::now() + Duration::hours(8) + Duration::days(days)).date_naive();
    json!({
        "responsible": "设备科 王工",
        "measures": "更换阀门密封件",
        "funds": "800.00",
        "deadline": deadline.to_string(),
        "contingency": "关闭上游阀门，设置警戒区",
        "level": "workshop"
    })
}
