//! The campaign's records over real HTTP, on a test clock (no sleeping): a simulated month of
//! two towns — reports, confirmations, the rectification of older hazards, a rejection,
//! suggestions, training and drills — whose monthly report is checked against figures this
//! test computes on its own, from what it did, not from the server's queries; submission that
//! freezes the figures, reopening by the district only and with a reason, late submission and
//! the reminder window; training, drill and visit coverage against a hand-made roster; a drill's
//! and a visit's findings filed as hazards (by the officer's desk: no worker, no reward);
//! a phone that sees its worker's training; and every record cut to the jurisdiction.

mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::officer::{get, login, post};
use common::{TestServer, hazard, jpeg, photo_ref, suggestion};
use hazardsnap_model::{Severity, SubmitOutcome};
use serde_json::{Value, json};
use uuid::Uuid;

const ROSTER: &str = r#"
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
workshops = [{ name = "一车间", teams = ["甲班", "乙班"] }]

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
workshops = [{ name = "窑炉车间", teams = ["丙班"] }]

[[users]]
username = "qu"
password = "district-pass-1"
role = "district"

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
username = "ajj"
password = "bureau-pass-1"
role = "bureau"

[[enrollment_codes]]
code = "E001-JOIN"
enterprise = "E001"

[[enrollment_codes]]
code = "E002-JOIN"
enterprise = "E002"

[[enrollment_codes]]
code = "E003-JOIN"
enterprise = "E003"

[[workers]]
code = "E001-W01"
name = "王强"
enterprise = "E001"
workshop = "一车间"
team = "甲班"

[[workers]]
code = "E001-W02"
name = "李娜"
enterprise = "E001"
workshop = "一车间"
team = "乙班"

[[workers]]
code = "E001-W03"
name = "赵磊"
enterprise = "E001"

[[workers]]
code = "E003-W01"
name = "孙涛"
enterprise = "E003"
workshop = "窑炉车间"
team = "丙班"
"#;

/// A district time as UTC.
fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    // China has one offset all year: UTC+8.
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap() - Duration::hours(8)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// What this test did to one hazard, to compute the month's figures on its own.
#[derive(Debug, Clone)]
struct Done {
    id: Uuid,
    town: &'static str,
    severity: Severity,
    filed: DateTime<Utc>,
    closed: Option<DateTime<Utc>>,
    rejected: bool,
    escalated: bool,
    deadline: Option<NaiveDate>,
}

/// The figures of a town's month as the plan defines them, from the test's own record.
fn expected(
    done: &[Done],
    town: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    last_day: NaiveDate,
) -> Value {
    let mine: Vec<&Done> = done
        .iter()
        .filter(|d| d.town == town && !d.rejected)
        .collect();
    let found = |s: Severity| {
        mine.iter()
            .filter(|d| d.severity == s && d.filed >= start && d.filed < end)
            .count()
    };
    let rectified = mine
        .iter()
        .filter(|d| d.closed.is_some_and(|c| c >= start && c < end))
        .count();
    let open: Vec<&&Done> = mine
        .iter()
        .filter(|d| d.filed < end && d.closed.is_none_or(|c| c >= end))
        .collect();
    let overdue = open
        .iter()
        .filter(|d| d.deadline.is_some_and(|dl| dl < last_day))
        .count();
    let escalated = open.iter().filter(|d| d.escalated).count();
    json!({
        "found_general": found(Severity::General),
        "found_major": found(Severity::Major),
        "rectified": rectified,
        "open_at_month_end": open.len(),
        "overdue": overdue,
        "escalated": escalated,
        "rate": if rectified + open.len() == 0 { 0.0 } else {
            ((rectified as f64 / (rectified + open.len()) as f64) * 10_000.0).round() / 10_000.0
        },
    })
}

struct Sim {
    ts: TestServer,
    qu: String,
    t01: String,
    t02: String,
    e001: String,
    ajj: String,
    phones: Vec<(&'static str, &'static str, String)>,
    seed: u32,
}

impl Sim {
    async fn new() -> Sim {
        let ts = TestServer::start_roster(ROSTER, |_| {}).await;
        ts.clock.set(at(2026, 9, 1, 9));
        let qu = login(&ts, "qu", "district-pass-1").await;
        let t01 = login(&ts, "t01", "town-pass-1").await;
        let t02 = login(&ts, "t02", "town-pass-2").await;
        let e001 = login(&ts, "e001", "enterprise-pass-1").await;
        let ajj = login(&ts, "ajj", "bureau-pass-1").await;
        let mut phones = Vec::new();
        for (code, enterprise, town) in [
            ("E001-JOIN", "E001", "T01"),
            ("E002-JOIN", "E002", "T01"),
            ("E003-JOIN", "E003", "T02"),
        ] {
            let p = ts.enroll_named(code, &format!("{enterprise} 的手机")).await;
            phones.push((enterprise, town, p.token));
        }
        Sim {
            ts,
            qu,
            t01,
            t02,
            e001,
            ajj,
            phones,
            seed: 100,
        }
    }

    /// Moves the clock to `t` and logs every officer in again (sessions end after an idle
    /// hour, and the clock jumps days).
    async fn at(&mut self, t: DateTime<Utc>) {
        self.ts.clock.set(t);
        self.qu = login(&self.ts, "qu", "district-pass-1").await;
        self.t01 = login(&self.ts, "t01", "town-pass-1").await;
        self.t02 = login(&self.ts, "t02", "town-pass-2").await;
        self.e001 = login(&self.ts, "e001", "enterprise-pass-1").await;
        self.ajj = login(&self.ts, "ajj", "bureau-pass-1").await;
    }

    fn phone(&self, enterprise: &str) -> (&'static str, String) {
        let (_, town, token) = self
            .phones
            .iter()
            .find(|(e, _, _)| *e == enterprise)
            .expect("phone");
        (town, token.clone())
    }

    /// Files a hazard from the enterprise's phone at the clock's time.
    async fn file(&mut self, enterprise: &str, severity: Severity) -> Done {
        let (town, token) = self.phone(enterprise);
        self.seed += 1;
        let photo = jpeg(self.seed, 96, 72);
        assert!(
            self.ts
                .put_photo(&token, &photo)
                .await
                .status()
                .is_success()
        );
        let mut r = hazard(vec![photo_ref(&photo, 96, 72)]);
        let now = self.ts.clock_now();
        r.captured_at = now - Duration::minutes(10);
        r.severity = severity;
        r.site_code = None;
        r.workshop = None;
        r.team = None;
        r.note = format!("模拟隐患 {}", self.seed);
        let res = self.ts.submit(&token, vec![r]).await;
        assert_eq!(res.results[0].outcome, SubmitOutcome::Accepted, "{res:?}");
        Done {
            id: res.results[0].entry_id.expect("entry"),
            town,
            severity,
            filed: now,
            closed: None,
            rejected: false,
            escalated: false,
            deadline: None,
        }
    }

    async fn act(&self, entry: Uuid, action: &str, body: Value) {
        let (s, v) = post(
            &self.ts,
            &self.qu,
            &format!("/api/v1/ledger/{entry}/{action}"),
            &body,
        )
        .await;
        assert_eq!(s, 200, "{action}: {v}");
    }

    async fn confirm(&self, d: &mut Done, deadline: NaiveDate) {
        self.act(
            d.id,
            "confirm",
            json!({"responsible": "设备科 王工", "measures": "更换部件", "funds": "100",
                   "deadline": deadline.to_string(), "contingency": "设置警戒区", "level": "workshop"}),
        )
        .await;
        d.deadline = Some(deadline);
    }

    async fn close(&mut self, d: &mut Done) {
        self.seed += 1;
        let photo = jpeg(self.seed, 80, 60);
        assert!(
            self.ts
                .put_photo(&self.qu, &photo)
                .await
                .status()
                .is_success()
        );
        let sha = common::sha256_hex(&photo);
        self.act(
            d.id,
            "rectified",
            json!({"note": "已整改", "photos": [sha]}),
        )
        .await;
        // Another officer verifies: the town's (whoever marked it rectified may not).
        let town = if d.town == "T01" {
            &self.t01
        } else {
            &self.t02
        };
        let (s, v) = post(
            &self.ts,
            town,
            &format!("/api/v1/ledger/{}/verify", d.id),
            &json!({"accepted": true}),
        )
        .await;
        assert_eq!(s, 200, "verify: {v}");
        d.closed = Some(self.ts.clock_now());
    }
}

trait ClockNow {
    fn clock_now(&self) -> DateTime<Utc>;
}

impl ClockNow for TestServer {
    fn clock_now(&self) -> DateTime<Utc> {
        use hazardsnap_server::clock::Clock;
        self.clock.now()
    }
}

fn figures_of(v: &Value) -> &Value {
    &v["figures"]
}

fn assert_figures(report: &Value, want: &Value, what: &str) {
    let f = figures_of(report);
    for k in [
        "found_general",
        "found_major",
        "rectified",
        "open_at_month_end",
        "overdue",
        "escalated",
    ] {
        assert_eq!(f[k], want[k], "{what}: {k} in {f}");
    }
    assert_eq!(f["rectification_rate"], want["rate"], "{what}: rate in {f}");
}

#[tokio::test]
async fn a_simulated_month_is_reported_frozen_reopened_and_late() {
    let mut sim = Sim::new().await;
    let mut done: Vec<Done> = Vec::new();

    // September: older hazards, confirmed.
    sim.at(at(2026, 9, 10, 9)).await;
    let mut a = sim.file("E001", Severity::General).await;
    sim.confirm(&mut a, day(2026, 10, 30)).await;
    let mut b = sim.file("E003", Severity::Major).await;
    sim.confirm(&mut b, day(2026, 10, 8)).await;
    let mut old_open = sim.file("E002", Severity::General).await;
    sim.confirm(&mut old_open, day(2026, 9, 20)).await;

    // October.
    sim.at(at(2026, 10, 5, 9)).await;
    let mut c = sim.file("E001", Severity::General).await;
    let mut d = sim.file("E002", Severity::Major).await;
    let e = sim.file("E003", Severity::General).await;
    let mut f = sim.file("E002", Severity::General).await;
    let mut g = sim.file("E001", Severity::General).await;
    let (_, e001_phone) = sim.phone("E001");
    let mut sug = suggestion();
    sug.captured_at = sim.ts.clock_now() - Duration::minutes(5);
    let res = sim.ts.submit(&e001_phone, vec![sug]).await;
    let sug_id = res.results[0].entry_id.expect("suggestion");
    sim.at(at(2026, 10, 12, 10)).await;
    sim.close(&mut a).await; // found in September, rectified in October
    sim.confirm(&mut c, day(2026, 10, 20)).await; // overdue by the end of October
    sim.act(f.id, "reject", json!({"reason": "不属于隐患"}))
        .await;
    f.rejected = true;
    sim.at(at(2026, 10, 15, 10)).await;
    let (s, v) = post(
        &sim.ts,
        &sim.qu,
        &format!("/api/v1/suggestions/{sug_id}/adopt"),
        &json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    sim.at(at(2026, 10, 20, 10)).await;
    sim.act(d.id, "escalate", json!({"reason": "企业整改不力"}))
        .await;
    d.escalated = true;
    sim.at(at(2026, 10, 28, 10)).await;
    sim.close(&mut b).await;

    // Training and drills in October.
    let (s, v) = post(
        &sim.ts,
        &sim.e001,
        "/api/v1/trainings",
        &json!({"enterprise": "E001", "kind": "training", "date": "2026-10-16", "topic": "危化品泄漏处置",
                "hours": 2, "trainer": "李工", "attendees": ["E001-W01", "E001-W02"], "outside_trainees": 3}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = post(
        &sim.ts,
        &sim.t01,
        "/api/v1/trainings",
        &json!({"enterprise": "E001", "kind": "drill", "date": "2026-10-18", "topic": "氯气泄漏应急演练",
                "hours": 1.5, "attendees": ["E001-W01"], "scenario": "储罐区阀门泄漏",
                "teams": [{"workshop": "一车间", "team": "甲班"}], "findings": ["洗眼器水压不足"]}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let drill_id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = post(
        &sim.ts,
        &sim.t02,
        "/api/v1/trainings",
        &json!({"enterprise": "E003", "kind": "drill", "date": "2026-10-19", "topic": "窑炉烫伤应急",
                "hours": 1, "attendees": ["E003-W01"], "teams": [{"workshop": "窑炉车间", "team": "丙班"}]}),
    )
    .await;
    assert_eq!(s, 201, "{v}");

    done.extend([
        g.clone(),
        a.clone(),
        b.clone(),
        old_open.clone(),
        c.clone(),
        d.clone(),
        e.clone(),
        f.clone(),
    ]);
    let (start, end) = (at(2026, 10, 1, 0), at(2026, 11, 1, 0));
    let last_day = day(2026, 10, 31);

    // A month not over cannot be submitted; its live figures are already right.
    let (s, v) = post(
        &sim.ts,
        &sim.t01,
        "/api/v1/monthly/2026-10/T01/submit",
        &json!({}),
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("month_not_over")),
        "{v}"
    );
    let (s, body) = get(&sim.ts, &sim.t01, "/api/v1/monthly/2026-10/T01").await;
    assert_eq!(s, 200, "{body}");
    let live: Value = serde_json::from_str(&body).unwrap();
    assert_figures(
        &live,
        &expected(&done, "T01", start, end, last_day),
        "T01 live",
    );
    let f01 = figures_of(&live);
    assert_eq!(f01["suggestions"], 1);
    assert_eq!(f01["suggestions_adopted"], 1);
    assert_eq!(f01["participants"], 2, "the phones of E001 and E002");
    assert_eq!(f01["trainings"], 1);
    assert_eq!(f01["trainees"], 5, "two workers and three from outside");
    assert_eq!(f01["drills"], 1);
    assert_eq!(live["status"], "draft");
    assert_eq!(live["due"], "2026-11-25");

    // November 3: T01 submits; the figures are kept.
    sim.at(at(2026, 11, 3, 9)).await;
    let (s, v) = post(
        &sim.ts,
        &sim.qu,
        "/api/v1/monthly/2026-10/T01/submit",
        &json!({}),
    )
    .await;
    assert_eq!(s, 403, "the district does not submit a town's report: {v}");
    let (s, v) = post(
        &sim.ts,
        &sim.t02,
        "/api/v1/monthly/2026-10/T01/submit",
        &json!({}),
    )
    .await;
    assert_eq!(s, 404, "another town's report does not exist for T02: {v}");
    let (s, submitted) = post(
        &sim.ts,
        &sim.t01,
        "/api/v1/monthly/2026-10/T01/submit",
        &json!({"remarks": "本月开展危化品专项检查"}),
    )
    .await;
    assert_eq!(s, 200, "{submitted}");
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["late"], false);
    assert_eq!(submitted["figures"], live["figures"]);
    let (s, v) = post(
        &sim.ts,
        &sim.t01,
        "/api/v1/monthly/2026-10/T01/submit",
        &json!({}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("already_submitted")));

    // The ledger changes afterwards: an October hazard of T01 is rejected, one of T02 too.
    sim.act(g.id, "reject", json!({"reason": "复核为误报"}))
        .await;
    g.rejected = true;
    sim.act(e.id, "reject", json!({"reason": "复核为误报"}))
        .await;
    let mut after = e.clone();
    after.rejected = true;
    let done_after: Vec<Done> = done
        .iter()
        .map(|x| {
            if x.id == g.id {
                g.clone()
            } else if x.id == e.id {
                after.clone()
            } else {
                x.clone()
            }
        })
        .collect();
    let (_, body) = get(&sim.ts, &sim.qu, "/api/v1/monthly/2026-10/T01").await;
    let frozen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        frozen["figures"], submitted["figures"],
        "a submitted report does not move"
    );
    let (_, body) = get(&sim.ts, &sim.qu, "/api/v1/monthly/2026-10/T02").await;
    let t02_live: Value = serde_json::from_str(&body).unwrap();
    assert_figures(
        &t02_live,
        &expected(&done_after, "T02", start, end, last_day),
        "T02 live after",
    );

    // Reopening: the district only, with a reason; the report is live again, its history kept.
    let (s, _) = post(
        &sim.ts,
        &sim.t01,
        "/api/v1/monthly/2026-10/T01/reopen",
        &json!({"reason": "x"}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, v) = post(
        &sim.ts,
        &sim.qu,
        "/api/v1/monthly/2026-10/T01/reopen",
        &json!({"reason": "  "}),
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("missing_field")),
        "{v}"
    );
    let (s, reopened) = post(
        &sim.ts,
        &sim.qu,
        "/api/v1/monthly/2026-10/T01/reopen",
        &json!({"reason": "C 条目复核为误报，请更正"}),
    )
    .await;
    assert_eq!(s, 200, "{reopened}");
    assert_eq!(reopened["status"], "draft");
    assert_figures(
        &reopened,
        &expected(&done_after, "T01", start, end, last_day),
        "T01 reopened",
    );
    let history: Vec<&str> = reopened["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["submit", "reopen"]);
    assert_eq!(reopened["history"][1]["text"], "C 条目复核为误报，请更正");
    let (s, v) = post(
        &sim.ts,
        &sim.qu,
        "/api/v1/monthly/2026-10/T02/reopen",
        &json!({"reason": "x"}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("not_submitted")));

    // Reminders from the 20th; late after the 25th.
    sim.at(at(2026, 11, 19, 9)).await;
    let qu_actor = actor(&sim.ts, "qu").await;
    assert!(
        sim.ts
            .state
            .ledger
            .monthly_reminder(&qu_actor, sim.ts.clock_now())
            .await
            .unwrap()
            .is_none()
    );
    sim.at(at(2026, 11, 20, 9)).await;
    let r = sim
        .ts
        .state
        .ledger
        .monthly_reminder(&qu_actor, sim.ts.clock_now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.month.as_str(), r.late), ("2026-10", false));
    assert_eq!(
        r.towns_missing.len(),
        2,
        "T01 reopened, T02 never submitted: {r:?}"
    );
    let (s, v) = post(
        &sim.ts,
        &sim.t01,
        "/api/v1/monthly/2026-10/T01/submit",
        &json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let t01_actor = actor(&sim.ts, "t01").await;
    assert!(
        sim.ts
            .state
            .ledger
            .monthly_reminder(&t01_actor, sim.ts.clock_now())
            .await
            .unwrap()
            .is_none()
    );
    sim.at(at(2026, 11, 26, 9)).await;
    let (_, body) = get(&sim.ts, &sim.qu, "/api/v1/monthly/2026-10").await;
    let overview: Value = serde_json::from_str(&body).unwrap();
    let line = |t: &str| {
        overview["towns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["town"] == t)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (line("T01")["status"].clone(), line("T01")["late"].clone()),
        (json!("submitted"), json!(false))
    );
    assert_eq!(
        (line("T02")["status"].clone(), line("T02")["late"].clone()),
        (json!("draft"), json!(true))
    );
    assert_eq!(overview["late"], 1);
    let t02_actor = actor(&sim.ts, "t02").await;
    let r = sim
        .ts
        .state
        .ledger
        .monthly_reminder(&t02_actor, sim.ts.clock_now())
        .await
        .unwrap()
        .unwrap();
    assert!(r.late);
    let (s, v) = post(
        &sim.ts,
        &sim.t02,
        "/api/v1/monthly/2026-10/T02/submit",
        &json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["late"], true, "submitted after the 25th");
    // The roll-up is the sum of the towns.
    let (_, body) = get(&sim.ts, &sim.qu, "/api/v1/monthly/2026-10").await;
    let overview: Value = serde_json::from_str(&body).unwrap();
    for k in [
        "found_general",
        "found_major",
        "rectified",
        "open_at_month_end",
        "trainings",
        "drills",
    ] {
        let sum: u64 = overview["towns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["figures"][k].as_u64().unwrap())
            .sum();
        assert_eq!(overview["district"][k].as_u64().unwrap(), sum, "{k}");
    }
    assert_eq!(overview["submitted"], 2);

    // Jurisdiction: a town sees only its own; an enterprise and the bureau have no report.
    let (_, body) = get(&sim.ts, &sim.t02, "/api/v1/monthly/2026-10").await;
    assert!(body.contains("T02") && !body.contains("\"T01\""), "{body}");
    let (s, _) = get(&sim.ts, &sim.t02, "/api/v1/monthly/2026-10/T01").await;
    assert_eq!(s, 404);
    let (s, _) = get(&sim.ts, &sim.e001, "/api/v1/monthly/2026-10").await;
    assert_eq!(s, 403);
    let (s, _) = get(&sim.ts, &sim.ajj, "/api/v1/monthly/2026-10").await;
    assert_eq!(s, 403);
    let (s, _) = get(&sim.ts, &sim.qu, "/api/v1/monthly/2026-13").await;
    assert_eq!(s, 400);

    // The export: one row per town and the district total, Chinese headers first.
    let r = sim
        .ts
        .http
        .get(sim.ts.url("/api/v1/monthly/2026-10/export.xlsx"))
        .bearer_auth(&sim.qu)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let text = shared_strings(&bytes);
    assert!(
        text.contains("发现一般隐患")
            && text.contains("全区合计")
            && text.contains("永安街道（T02）"),
        "{text}"
    );

    // The drill's finding becomes a hazard of E001, filed by the town officer's desk.
    sim.at(at(2026, 11, 27, 9)).await;
    let (s, v) = post(
        &sim.ts,
        &sim.t01,
        &format!("/api/v1/trainings/{drill_id}/findings/0/file"),
        &json!({"category": "ppe", "severity": "general"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let number = v["findings"][0]["entry_number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(number.starts_with("E001-2026-"), "{number}");
    let (s, v) = post(
        &sim.ts,
        &sim.t01,
        &format!("/api/v1/trainings/{drill_id}/findings/0/file"),
        &json!({"category": "ppe", "severity": "general"}),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("already_filed")));
    let entry = v_entry(&sim, &number).await;
    assert!(
        entry.contains("洗眼器水压不足") && entry.contains("工作人员 t01"),
        "{entry}"
    );
    let (_, body) = get(&sim.ts, &sim.qu, "/api/v1/stats/monthly?month=2026-11").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let e001 = v["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "E001")
        .unwrap();
    assert_eq!(e001["participating_workers"], 0, "a desk is not a worker");
}

async fn actor(ts: &TestServer, name: &str) -> hazardsnap_ledger::Actor {
    let password = match name {
        "qu" => "district-pass-1",
        "t01" => "town-pass-1",
        _ => "town-pass-2",
    };
    let token = login(ts, name, password).await;
    match ts
        .state
        .ledger
        .authenticate(
            hazardsnap_server::auth::token_sha256(&token),
            ts.clock_now(),
        )
        .await
        .unwrap()
    {
        Some(hazardsnap_ledger::Principal::Officer(o)) => hazardsnap_ledger::Actor::of(o).unwrap(),
        other => panic!("not an officer: {other:?}"),
    }
}

async fn v_entry(sim: &Sim, number: &str) -> String {
    let (_, body) = get(&sim.ts, &sim.qu, "/api/v1/ledger?per_page=200").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let id = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["number"] == number)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    get(&sim.ts, &sim.qu, &format!("/api/v1/ledger/{id}"))
        .await
        .1
}

fn shared_strings(xlsx: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut f = zip.by_name("xl/sharedStrings.xml").unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut f, &mut s).unwrap();
    s
}

#[tokio::test]
async fn coverage_visits_phones_and_jurisdiction() {
    let sim = Sim::new().await;
    sim.ts.clock.set(at(2026, 6, 10, 9));
    let ts = &sim.ts;
    // E001: W01 and W02 trained, W03 not; one drill with 甲班 only (乙班 missing): behind.
    // E003: its only worker trained, two drills with its only team: on plan.
    for (who, body) in [
        (
            &sim.e001,
            json!({"enterprise": "E001", "kind": "training", "date": "2026-03-02", "topic": "安全生产法",
                           "hours": 2, "attendees": ["E001-W01", "E001-W02"]}),
        ),
        (
            &sim.t01,
            json!({"enterprise": "E001", "kind": "drill", "date": "2026-04-02", "topic": "消防疏散",
                          "hours": 1, "attendees": ["E001-W01"], "teams": [{"workshop": "一车间", "team": "甲班"}]}),
        ),
        (
            &sim.t02,
            json!({"enterprise": "E003", "kind": "training", "date": "2026-03-05", "topic": "高温作业防护",
                          "hours": 3, "attendees": ["E003-W01"]}),
        ),
        (
            &sim.t02,
            json!({"enterprise": "E003", "kind": "drill", "date": "2026-04-05", "topic": "烫伤急救",
                          "hours": 1, "attendees": ["E003-W01"], "teams": [{"workshop": "窑炉车间", "team": "丙班"}]}),
        ),
        (
            &sim.qu,
            json!({"enterprise": "E003", "kind": "drill", "date": "2026-05-05", "topic": "粉尘爆炸",
                         "hours": 1, "outside_trainees": 4, "teams": [{"workshop": "窑炉车间", "team": "丙班"}]}),
        ),
        // Last year's training does not count this year.
        (
            &sim.qu,
            json!({"enterprise": "E001", "kind": "training", "date": "2025-12-30", "topic": "去年",
                         "hours": 1, "attendees": ["E001-W03"]}),
        ),
    ] {
        let (s, v) = post(ts, who, "/api/v1/trainings", &body).await;
        assert_eq!(s, 201, "{v}");
    }
    // Refusals: another town's enterprise, a worker not of the roster, an unknown team, a
    // future date, the bureau.
    for (who, body, status, code) in [
        (
            &sim.t02,
            json!({"enterprise": "E001", "kind": "training", "date": "2026-03-02", "topic": "x", "hours": 1, "attendees": ["E001-W01"]}),
            404,
            "not_found",
        ),
        (
            &sim.e001,
            json!({"enterprise": "E001", "kind": "training", "date": "2026-03-02", "topic": "x", "hours": 1, "attendees": ["E003-W01"]}),
            400,
            "unknown_workers",
        ),
        (
            &sim.e001,
            json!({"enterprise": "E001", "kind": "drill", "date": "2026-03-02", "topic": "x", "hours": 1, "attendees": ["E001-W01"], "teams": [{"workshop": "一车间", "team": "丙班"}]}),
            400,
            "unknown_team",
        ),
        (
            &sim.e001,
            json!({"enterprise": "E001", "kind": "training", "date": "2026-07-02", "topic": "x", "hours": 1, "attendees": ["E001-W01"]}),
            400,
            "date_in_future",
        ),
        (
            &sim.e001,
            json!({"enterprise": "E001", "kind": "training", "date": "2026-03-02", "topic": "x", "hours": 0, "attendees": ["E001-W01"]}),
            400,
            "invalid_hours",
        ),
        (
            &sim.e001,
            json!({"enterprise": "E001", "kind": "training", "date": "2026-03-02", "topic": "x", "hours": 1, "photos": ["ab".repeat(32)], "attendees": ["E001-W01"]}),
            422,
            "missing_photos",
        ),
        (
            &sim.ajj,
            json!({"enterprise": "E001", "kind": "training", "date": "2026-03-02", "topic": "x", "hours": 1, "attendees": ["E001-W01"]}),
            403,
            "forbidden",
        ),
    ] {
        let (s, v) = post(ts, who, "/api/v1/trainings", &body).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (status, Some(code)),
            "{body}: {v}"
        );
    }

    let (s, body) = get(ts, &sim.qu, "/api/v1/trainings/coverage?year=2026").await;
    assert_eq!(s, 200, "{body}");
    let cov: Value = serde_json::from_str(&body).unwrap();
    let line = |code: &str| {
        cov["enterprises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["enterprise"] == code)
            .unwrap()
            .clone()
    };
    let e001 = line("E001");
    assert_eq!(
        (e001["workers"].clone(), e001["trained"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(e001["untrained"][0]["code"], "E001-W03");
    assert_eq!(
        (
            e001["drills"].clone(),
            e001["teams"].clone(),
            e001["teams_drilled"].clone()
        ),
        (json!(1), json!(2), json!(1))
    );
    assert_eq!(
        e001["teams_missing"],
        json!([{"workshop": "一车间", "team": "乙班"}])
    );
    assert_eq!(e001["on_plan"], false);
    let e003 = line("E003");
    assert_eq!(
        (
            e003["trained"].clone(),
            e003["drills"].clone(),
            e003["on_plan"].clone()
        ),
        (json!(1), json!(2), json!(true))
    );
    assert_eq!(
        cov["enterprises"][0]["on_plan"], false,
        "behind the plan first"
    );
    let t02 = cov["towns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["town"] == "T02")
        .unwrap();
    assert_eq!(
        (
            t02["enterprises_on_plan"].clone(),
            t02["training_rate"].clone()
        ),
        (json!(1), json!(1.0))
    );

    // Jurisdiction: T02 sees E003's records only; E001's officer only E001's.
    let (_, body) = get(ts, &sim.t02, "/api/v1/trainings").await;
    let list: Value = serde_json::from_str(&body).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t["enterprise"] == "E003")
            && list.as_array().unwrap().len() == 3
    );
    let (_, body) = get(ts, &sim.e001, "/api/v1/trainings/coverage").await;
    assert!(body.contains("E001") && !body.contains("E003"), "{body}");
    let foreign = list[0]["id"].as_str().unwrap();
    let (s, _) = get(ts, &sim.e001, &format!("/api/v1/trainings/{foreign}")).await;
    assert_eq!(s, 404);

    // A phone that names its worker at enrollment sees that worker's training.
    let r = ts
        .http
        .post(ts.url("/api/v1/enroll"))
        .json(&json!({"code": "E001-JOIN", "device_name": "王强的手机", "worker": "E001-W01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let phone: Value = r.json().await.unwrap();
    let token = phone["token"].as_str().unwrap();
    let v: Value = ts
        .http
        .get(ts.url("/api/v1/device/trainings"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["worker"], "E001-W01");
    let topics: Vec<&str> = v["trainings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["消防疏散", "安全生产法"]);
    let r = ts
        .http
        .post(ts.url("/api/v1/enroll"))
        .json(&json!({"code": "E001-JOIN", "device_name": "冒名", "worker": "E003-W01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a worker of another enterprise");
    // An unlinked phone, linked later by its enterprise's officer.
    let other = ts.enroll_named("E001-JOIN", "李娜的手机").await;
    let v: Value = ts
        .http
        .get(ts.url("/api/v1/device/trainings"))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            v["worker"].clone(),
            v["trainings"].as_array().unwrap().len()
        ),
        (Value::Null, 0)
    );
    let (s, _) = post(
        ts,
        &sim.t02,
        &format!("/api/v1/devices/{}/worker", other.device_id),
        &json!({"worker": "E001-W02"}),
    )
    .await;
    assert_eq!(s, 404, "another town's phone");
    let (s, v) = post(
        ts,
        &sim.e001,
        &format!("/api/v1/devices/{}/worker", other.device_id),
        &json!({"worker": "E001-W02"}),
    )
    .await;
    assert_eq!(s, 204, "{v}");
    let v: Value = ts
        .http
        .get(ts.url("/api/v1/device/trainings"))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["trainings"][0]["topic"], "安全生产法");

    // Supervision: a draw, a visit of a drawn enterprise, its finding filed as a hazard;
    // coverage puts the high-risk industries first.
    let (s, draw) = post(
        ts,
        &sim.qu,
        "/api/v1/supervision/draws",
        &json!({"n": 3, "seed": 7}),
    )
    .await;
    assert_eq!(s, 201, "{draw}");
    let (s, draws) = get(ts, &sim.qu, "/api/v1/supervision/draws").await;
    assert_eq!(s, 200);
    assert!(draws.contains(draw["id"].as_str().unwrap()));
    let (s, v) = post(
        ts,
        &sim.t02,
        "/api/v1/supervision/visits",
        &json!({"enterprise": "E003", "date": "2026-06-09", "draw_id": draw["id"], "team": ["区总工会 张三", "区安监局 李四"],
                "checked": "隐患台账、应急预案", "findings": ["消防通道堆放杂物"], "rating": "fair"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let visit = v["id"].as_str().unwrap().to_owned();
    let (s, v) = post(
        ts,
        &sim.e001,
        "/api/v1/supervision/visits",
        &json!({"enterprise": "E001", "date": "2026-06-09",
        "team": ["x"], "checked": "x", "rating": "good"}),
    )
    .await;
    assert_eq!(s, 403, "the visited do not record visits: {v}");
    let (s, v) = post(
        ts,
        &sim.t02,
        &format!("/api/v1/supervision/visits/{visit}/findings/0/file"),
        &json!({"category": "fixed_position", "severity": "major"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(
        v["findings"][0]["entry_number"]
            .as_str()
            .unwrap()
            .starts_with("E003-")
    );
    let (s, _) = get(ts, &sim.t01, &format!("/api/v1/supervision/visits/{visit}")).await;
    assert_eq!(s, 404, "another town's visit");
    let (s, body) = get(ts, &sim.qu, "/api/v1/supervision/coverage?year=2026").await;
    assert_eq!(s, 200, "{body}");
    let cov: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (cov["high_risk"].clone(), cov["high_risk_visited"].clone()),
        (json!(2), json!(1))
    );
    let order: Vec<&str> = cov["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["enterprise"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["E001", "E003", "E002"],
        "high-risk first, the unvisited first within"
    );
    // A hazard the desk found is in no reward list, even when major and closed.
    let (_, body) = get(ts, &sim.qu, "/api/v1/rewards?from=2026-01-01&to=2026-12-31").await;
    assert!(!body.contains("工作人员"), "{body}");
}
