//! The ledger spreadsheet (隐患台账导出) over real HTTP: an officer's export holds exactly the
//! entries of their jurisdiction with the five-in-place plan, Chinese headers first, anonymous
//! finders as 匿名, a note that looks like a formula stays text, and the filters and errors of
//! the list apply.

mod common;

use std::io::Read;

use common::officer::{self, file_hazard, login, plan, post};
use common::{TestServer, assert_error};
use hazardsnap_model::Severity;

/// The ledger sheet's XML and the shared strings, the two parts a reader needs.
fn unpack(xlsx: &[u8]) -> (String, String) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("an xlsx is a zip");
    let mut part = |name: &str| {
        let mut s = String::new();
        zip.by_name(name)
            .unwrap_or_else(|_| panic!("{name} in the workbook"))
            .read_to_string(&mut s)
            .expect("utf-8 xml");
        s
    };
    (
        part("xl/worksheets/sheet1.xml"),
        part("xl/sharedStrings.xml"),
    )
}

async fn export(ts: &TestServer, token: &str, query: &str) -> reqwest::Response {
    ts.http
        .get(ts.url(&format!("/api/v1/ledger/export.xlsx{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("export")
}

#[tokio::test]
async fn an_officer_exports_their_ledger_as_a_spreadsheet() {
    let ts = officer::start().await;
    let e001 = ts.enroll_named("E001-JOIN", "王师傅的手机").await;
    let e003 = ts.enroll_named("E003-JOIN", "李师傅的手机").await;
    let named = file_hazard(
        &ts,
        &e001.token,
        11,
        Severity::Major,
        false,
        "=SUM(A1) 阀门泄漏",
    )
    .await;
    let anon = file_hazard(
        &ts,
        &e001.token,
        12,
        Severity::General,
        true,
        "配电箱门未关",
    )
    .await;
    let other = file_hazard(&ts, &e003.token, 13, Severity::General, false, "叉车超速").await;

    let officer = login(&ts, "e001", "enterprise-pass-1").await;
    let (s, body) = post(
        &ts,
        &officer,
        &format!("/api/v1/ledger/{}/confirm", named.entry_id),
        &plan(10),
    )
    .await;
    assert_eq!(s, 200, "{body}");

    let r = export(&ts, &officer, "").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"hazard-ledger-")
    );
    let (sheet, strings) = unpack(&r.bytes().await.unwrap());

    // Chinese headers first, English under them.
    for h in [
        "台账编号\nLedger no.",
        "整改措施\nMeasures",
        "销号时间\nClosed at",
    ] {
        assert!(strings.contains(h), "header {h:?} missing");
    }
    // Exactly this enterprise's entries, with the plan of the confirmed one.
    assert!(strings.contains(&named.number) && strings.contains(&anon.number));
    assert!(
        !strings.contains(&other.number),
        "another jurisdiction's entry leaked"
    );
    assert!(!strings.contains("叉车超速"));
    assert!(strings.contains("更换阀门密封件") && strings.contains("设备科 王工"));
    assert!(sheet.contains("<v>800</v>"), "funds as a number of yuan");
    // The anonymous finder is 匿名; the named one by device name.
    assert!(strings.contains("匿名"));
    assert!(strings.contains("王师傅的手机"));
    // A note that looks like a formula is text: no formula anywhere in the sheet.
    assert!(strings.contains("=SUM(A1) 阀门泄漏"));
    assert!(!sheet.contains("<f>"), "a cell became a formula");

    // The list's filters apply: only the major one.
    let r = export(&ts, &officer, "?severity=major").await;
    let (_, strings) = unpack(&r.bytes().await.unwrap());
    assert!(strings.contains(&named.number) && !strings.contains(&anon.number));

    // The district sees both enterprises; a bad filter is a 400; no login is a 401.
    let district = login(&ts, "qu", "district-pass-1").await;
    let (_, strings) = unpack(&export(&ts, &district, "").await.bytes().await.unwrap());
    assert!(strings.contains(&named.number) && strings.contains(&other.number));
    assert_error(
        export(&ts, &officer, "?status=nope").await,
        400,
        "invalid_query",
    )
    .await;
    let r = ts
        .http
        .get(ts.url("/api/v1/ledger/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "unauthorized").await;
    ts.stop().await;
}
