//! Officer sessions over real HTTP: login answers a token and an HttpOnly, SameSite=Lax
//! cookie, both authenticate; logout ends the session; a password change needs the old
//! password and ends other sessions; re-importing the roster keeps a changed password and
//! resets it only when the roster's initial password changed; a cookie-authenticated change
//! must come from the server's own origin (CSRF), and officers may upload after-photos with
//! the cookie; repeated failures are slowed down with 429; devices get 403 on officer routes.

mod common;

use common::officer::{self, DISTRICT, get, login};
use common::{TestServer, assert_error, jpeg, sha256_hex};
use serde_json::json;

async fn try_login(ts: &TestServer, user: &str, pw: &str) -> reqwest::Response {
    ts.http
        .post(ts.url("/api/v1/session"))
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .expect("login")
}

#[tokio::test]
async fn login_gives_a_token_and_a_strict_http_only_cookie() {
    let ts = officer::start().await;
    let r = try_login(&ts, "e001", "enterprise-pass-1").await;
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("hazardsnap_session=hss_"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(body["role"], "enterprise");
    assert_eq!(body["scope"], "E001");

    // Bearer works.
    let (s, _) = get(&ts, &token, "/api/v1/ledger").await;
    assert_eq!(s, 200);
    // The cookie alone works too.
    let pair = cookie.split(';').next().unwrap().to_owned();
    let r = ts
        .http
        .get(ts.url("/api/v1/ledger"))
        .header("cookie", pair.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Logout ends the session for both ways of presenting it.
    let r = ts
        .http
        .delete(ts.url("/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = ts
        .http
        .get(ts.url("/api/v1/ledger"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "unauthorized").await;
    let r = ts
        .http
        .get(ts.url("/api/v1/ledger"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "unauthorized").await;
    ts.stop().await;
}

#[tokio::test]
async fn wrong_and_unknown_logins_look_the_same_and_get_slowed_down() {
    let ts = officer::start().await;
    let a = assert_error(
        try_login(&ts, "e001", "wrong").await,
        401,
        "invalid_credentials",
    )
    .await;
    let b = assert_error(
        try_login(&ts, "nobody", "wrong").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(a["message"], b["message"]);
    // Five free failures in all for e001, then every attempt waits, even with the right password.
    for _ in 0..4 {
        assert_error(
            try_login(&ts, "e001", "wrong").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    let r = try_login(&ts, "e001", "enterprise-pass-1").await;
    assert!(r.headers().get("retry-after").is_some());
    assert_error(r, 429, "too_many_attempts").await;
    // Another officer from the same client is not locked out by e001's failures.
    assert_eq!(
        try_login(&ts, "e003", "enterprise-pass-3").await.status(),
        200
    );
    // Bad bodies are refused with the API's shape.
    let r = ts
        .http
        .post(ts.url("/api/v1/session"))
        .json(&json!({"username": "e001"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "missing_field").await;
    ts.stop().await;
}

#[tokio::test]
async fn password_change_needs_the_old_one_and_ends_other_sessions() {
    let ts = officer::start().await;
    let first = login(&ts, "t01", "town-pass-1").await;
    let second = login(&ts, "t01", "town-pass-1").await;
    let change = |token: String, old: &'static str, new: &'static str| {
        let ts = &ts;
        async move {
            ts.http
                .post(ts.url("/api/v1/session/password"))
                .bearer_auth(token)
                .json(&json!({"old_password": old, "new_password": new}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_error(
        change(first.clone(), "nope", "a-new-password").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_error(
        change(first.clone(), "town-pass-1", "short").await,
        400,
        "weak_password",
    )
    .await;
    assert_eq!(
        change(first.clone(), "town-pass-1", "a-new-password")
            .await
            .status(),
        204
    );
    // The session that changed it lives on; the other one is gone.
    assert_eq!(get(&ts, &first, "/api/v1/ledger").await.0, 200);
    assert_eq!(get(&ts, &second, "/api/v1/ledger").await.0, 401);
    assert_error(
        try_login(&ts, "t01", "town-pass-1").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(try_login(&ts, "t01", "a-new-password").await.status(), 200);
    ts.stop().await;
}

#[tokio::test]
async fn roster_reimport_keeps_a_changed_password_and_a_changed_roster_resets_it() {
    let ts = officer::start().await;
    let import = |text: String| {
        let ts = &ts;
        async move {
            hazardsnap_server::org::import_roster_text(&ts.state.ledger, &text)
                .await
                .expect("import")
        }
    };
    let token = login(&ts, "t01", "town-pass-1").await;
    let r = ts
        .http
        .post(ts.url("/api/v1/session/password"))
        .bearer_auth(&token)
        .json(&json!({"old_password": "town-pass-1", "new_password": "my-own-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // The same roster again changes nothing: the officer's own password and session stay.
    let again = import(DISTRICT.to_owned()).await;
    assert_eq!(again.changed_rows, 0, "{again:?}");
    assert_eq!(try_login(&ts, "t01", "my-own-password").await.status(), 200);
    assert_eq!(try_login(&ts, "t01", "town-pass-1").await.status(), 401);
    assert_eq!(get(&ts, &token, "/api/v1/ledger").await.0, 200);

    // The administrator gives t01 a new initial password in the roster: that is a reset, and
    // it ends t01's sessions. Other officers are untouched.
    let other = login(&ts, "t02", "town-pass-2").await;
    let reset = DISTRICT.replace("\"town-pass-1\"", "\"reset-pass-1\"");
    assert_ne!(reset, DISTRICT);
    let summary = import(reset.clone()).await;
    assert_eq!(summary.changed_rows, 1, "{summary:?}");
    assert_eq!(get(&ts, &token, "/api/v1/ledger").await.0, 401);
    assert_eq!(try_login(&ts, "t01", "my-own-password").await.status(), 401);
    assert_eq!(try_login(&ts, "t01", "reset-pass-1").await.status(), 200);
    assert_eq!(get(&ts, &other, "/api/v1/ledger").await.0, 200);
    assert_eq!(import(reset).await.changed_rows, 0);
    ts.stop().await;
}

/// The `name=value` pair of the session cookie a login sets.
async fn login_cookie(ts: &TestServer, user: &str, pw: &str) -> String {
    let r = try_login(ts, user, pw).await;
    assert_eq!(r.status(), 200);
    let set = r
        .headers()
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn cookie_changes_need_the_servers_own_origin_and_cookie_uploads_work() {
    let ts = officer::start().await;
    let cookie = login_cookie(&ts, "t01", "town-pass-1").await;
    let own = ts.base.clone();
    let photo = jpeg(7, 320, 240);
    let put = |origin: Option<&str>| {
        let mut r = ts
            .http
            .put(ts.url(&format!("/api/v1/photos/{}", sha256_hex(&photo))))
            .header("cookie", cookie.clone())
            .header("content-type", "image/jpeg")
            .body(photo.clone());
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.send()
    };
    // No origin, another site's origin, an opaque origin: refused, and nothing stored.
    for origin in [None, Some("https://evil.example"), Some("null")] {
        assert_error(put(origin).await.unwrap(), 403, "csrf_rejected").await;
    }
    assert_eq!(ts.counts().await.photos, 0);
    // From the server's own pages the after-photo goes in.
    let r = put(Some(&own)).await.unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
    assert_eq!(ts.counts().await.photos, 1);

    // Reading with the cookie needs no origin; logging out (a change) does.
    let read = ts
        .http
        .get(ts.url("/api/v1/ledger"))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let logout = |origin: &'static str| {
        ts.http
            .delete(ts.url("/api/v1/session"))
            .header("cookie", cookie.clone())
            .header("referer", origin)
            .send()
    };
    assert_error(
        logout("https://evil.example/page").await.unwrap(),
        403,
        "csrf_rejected",
    )
    .await;
    let r = ts
        .http
        .delete(ts.url("/api/v1/session"))
        .header("cookie", cookie.clone())
        .header("referer", format!("{own}/ledger"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    ts.stop().await;
}

#[tokio::test]
async fn devices_and_strangers_are_kept_off_officer_routes() {
    let ts = officer::start().await;
    let device = ts.enroll("E001-JOIN").await;
    for path in [
        "/api/v1/ledger",
        "/api/v1/reports/0190f0e0-0000-7000-8000-000000000001",
    ] {
        let r = ts
            .http
            .get(ts.url(path))
            .bearer_auth(&device.token)
            .send()
            .await
            .unwrap();
        assert_error(r, 403, "forbidden").await;
        let r = ts.http.get(ts.url(path)).send().await.unwrap();
        assert_error(r, 401, "unauthorized").await;
        let r = ts
            .http
            .get(ts.url(path))
            .bearer_auth("hss_made_up")
            .send()
            .await
            .unwrap();
        assert_error(r, 401, "unauthorized").await;
    }
    ts.stop().await;
}
