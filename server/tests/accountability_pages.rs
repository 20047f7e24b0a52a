//! The accountability pages over real HTTP, with the session cookie and the pages' own CSRF
//! token: a form shows only to an officer the rules would let through (the bureau decides an
//! escalation; the enterprise has no verify form on a listed entry, and its post is refused
//! anyway); the bureau's accept lists the entry, shown as 挂牌 in the ledger list; the notices
//! page names what waits; the bureau files nothing; the reward register exports as a
//! spreadsheet.

mod common;

use chrono::{Duration, Utc};
use common::officer::{DISTRICT, login, plan, post};
use common::{TestServer, hazard, jpeg, photo_ref, sha256_hex};
use hazardsnap_model::Severity;
use serde_json::json;
use uuid::Uuid;

/// A browser of one officer: the session cookie, no redirects followed.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Browser {
    async fn login(ts: &TestServer, user: &str, pw: &str) -> Browser {
        let r = ts
            .http
            .post(ts.url("/api/v1/session"))
            .json(&json!({"username": user, "password": pw}))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 200);
        let cookie = r
            .headers()
            .get("set-cookie")
            .expect("cookie")
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: ts.url(""),
            cookie,
        }
    }

    async fn get(&self, path: &str) -> (u16, String, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get");
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, kind, r.text().await.unwrap_or_default())
    }

    /// Posts a form from a page (its CSRF token, our own origin): the status and the
    /// redirect's target or the body.
    async fn post(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let (_, _, html) = self.get(page).await;
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf")
            .to_owned();
        let body = std::iter::once(("csrf", csrf.as_str()))
            .chain(fields.iter().copied())
            .map(|(k, v)| format!("{k}={}", urlencoding::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let origin = self.base.trim_end_matches('/').to_owned();
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = r.text().await.unwrap_or_default();
        (status, location.unwrap_or(text))
    }
}

async fn step(ts: &TestServer, token: &str, id: Uuid, action: &str, body: serde_json::Value) {
    let (s, v) = post(ts, token, &format!("/api/v1/ledger/{id}/{action}"), &body).await;
    assert_eq!(s, 200, "{action}: {v}");
}

#[tokio::test]
async fn listed_supervision_on_the_pages_follows_the_rules() {
    let ts = TestServer::start_roster(DISTRICT, |_| {}).await;
    let phone = ts.enroll("E001-JOIN").await;
    let photo = jpeg(31, 96, 72);
    assert!(
        ts.put_photo(&phone.token, &photo)
            .await
            .status()
            .is_success()
    );
    let mut r = hazard(vec![photo_ref(&photo, 96, 72)]);
    r.severity = Severity::Major;
    r.site_code = None;
    r.captured_at = Utc::now() - Duration::minutes(3);
    let id = ts.submit(&phone.token, vec![r]).await.results[0]
        .entry_id
        .expect("entry");
    let e001 = login(&ts, "e001", "enterprise-pass-1").await;
    let t01 = login(&ts, "t01", "town-pass-1").await;
    step(&ts, &e001, id, "confirm", plan(10)).await;
    step(&ts, &t01, id, "escalate", json!({"reason": "整改不力"})).await;

    let bureau = Browser::login(&ts, "ajj", "bureau-pass-1").await;
    let enterprise = Browser::login(&ts, "e001", "enterprise-pass-1").await;
    let town = Browser::login(&ts, "t01", "town-pass-1").await;
    let page = format!("/entries/{id}");

    // The escalation waits in the bureau's notices; only the bureau has the decision's forms.
    let (s, _, html) = bureau.get("/notices").await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("href=\"/entries/{id}\"")), "{html}");
    let (_, _, html) = bureau.get(&page).await;
    assert!(html.contains("id=\"accept_supervision\""));
    assert!(!html.contains("id=\"reclassify\"") && !html.contains("id=\"rectified\""));
    let (_, _, html) = town.get(&page).await;
    assert!(!html.contains("id=\"accept_supervision\""));
    assert!(html.contains("id=\"reclassify\"") && html.contains("id=\"transfer\""));
    let (_, _, html) = enterprise.get(&page).await;
    assert!(!html.contains("id=\"reclassify\"") && !html.contains("id=\"escalate\""));

    // A past deadline is refused on the form; a right one lists the entry.
    let (s, body) = bureau
        .post(
            &page,
            &format!("{page}/act/accept_supervision"),
            &[("unit", "区安监局执法大队"), ("deadline", "2020-01-01")],
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("督办时限早于今天"), "{body}");
    let deadline = (Utc::now() + Duration::days(20)).date_naive().to_string();
    let (s, to) = bureau
        .post(
            &page,
            &format!("{page}/act/accept_supervision"),
            &[("unit", "区安监局执法大队"), ("deadline", &deadline)],
        )
        .await;
    assert_eq!(
        (s, to.as_str()),
        (303, format!("{page}?done=accept_supervision").as_str())
    );
    let (_, _, html) = town.get("/ledger").await;
    assert!(
        html.contains("badge sv-accepted"),
        "挂牌 in the ledger list"
    );

    // Rectified by the enterprise: no verify form for it, and its post is refused.
    let after = jpeg(32, 80, 60);
    assert!(ts.put_photo(&e001, &after).await.status().is_success());
    step(
        &ts,
        &e001,
        id,
        "rectified",
        json!({"note": "已整改", "photos": [sha256_hex(&after)]}),
    )
    .await;
    let (_, _, html) = enterprise.get(&page).await;
    assert!(
        !html.contains("id=\"verify\""),
        "no verify form for the enterprise"
    );
    let (s, body) = enterprise
        .post(
            &page,
            &format!("{page}/act/verify"),
            &[("accepted", "true")],
        )
        .await;
    assert_eq!(s, 403, "{body}");
    let (_, _, html) = bureau.get(&page).await;
    assert!(html.contains("id=\"verify\"") && html.contains("摘牌"));
    let (s, to) = bureau
        .post(
            &page,
            &format!("{page}/act/verify"),
            &[("accepted", "true")],
        )
        .await;
    assert_eq!(
        (s, to.as_str()),
        (303, format!("{page}?done=verify_accept").as_str())
    );
    let (_, _, html) = bureau.get(&page).await;
    assert!(html.contains("badge sv-lifted"));
}

#[tokio::test]
async fn the_bureau_files_nothing_and_the_register_exports() {
    let ts = TestServer::start_roster(DISTRICT, |_| {}).await;
    let bureau = Browser::login(&ts, "ajj", "bureau-pass-1").await;
    let (s, _, _) = bureau.get("/ledger/new").await;
    assert_eq!(s, 403);
    let (_, _, html) = bureau.get("/ledger").await;
    assert!(!html.contains("href=\"/ledger/new\""));
    let district = Browser::login(&ts, "qu", "district-pass-1").await;
    let (s, _, html) = district.get("/ledger/new").await;
    assert_eq!(s, 200);
    assert!(html.contains("enctype=\"multipart/form-data\""));
    let (s, kind, _) = district.get("/rewards/register.xlsx").await;
    assert_eq!(s, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let (s, _, html) = district.get("/rewards/register").await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"redeem\""));
    // A code nobody holds is refused next to the field.
    let (s, body) = district
        .post(
            "/rewards/register",
            "/rewards/redeem",
            &[("code", "ZZZZ-ZZZZ")],
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("兑奖码无效"), "{body}");
}
