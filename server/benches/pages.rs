//! The officers' pages with 100 000 ledger entries (十万条台账下的页面基准): server time of the
//! workbench, the ledger (default and filtered), the statistics and the review inbox, for a
//! district, a town and an enterprise officer, over real HTTP on loopback, next to the JSON
//! API's ledger list as the reference; and each page's weight without photos (HTML plus the
//! CSS and JS it links, uncompressed and gzip as served).
//!
//! Run: `cargo bench -p hazardsnap-server --bench pages` (`-- --rebuild` rebuilds the cached
//! district, `-- --keep` keeps the data folder for `EXPLAIN QUERY PLAN` afterwards). Results go
//! to `server/BENCH-pages.md` by hand.
//!
//! The district is `dedup_scale`'s (`district/mod.rs`: 100 000 entries over 316 enterprises
//! in 10 towns, 316 days of history, 110 000 reports), taken from its cache under
//! `$CARGO_TARGET_DIR/dedup-scale/` (built first if missing) and copied, so the cache stays as
//! it is. The copy then gets what the officers' side leaves on entries, which the bulk load
//! has not: a rectification plan and deadline on every confirmed entry, the history of each
//! step (confirm, rectified, verify_accept, reject, escalate), `closed_at` on closed entries,
//! escalation on a quarter of the overdue ones; and three officers through the real roster
//! import. The server's clock is set to the last evening of the generated history
//! (2026-10-31 23:30 China time), so "this month" is a full month.
//!
//! Timed: the real server (`AppState::open`, `Server::bind_state`) in this process on
//! 127.0.0.1, its real login (`POST /api/v1/session`); each request from sending to the last
//! byte of the body received, with `Accept-Encoding: gzip` as a browser sends it. Every
//! endpoint gets its warm-up requests first, then the timed ones in rounds (each round asks
//! every role's every endpoint once), so a burst of load on the shared machine hits all alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hazardsnap_ledger::Calendar;
use hazardsnap_model::{Funds, Labelled, LedgerAction, RectificationLevel, RectificationPlan};
use hazardsnap_server::clock::Clock;
use hazardsnap_server::{AppState, Config, Server};
use reqwest::header::{ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, COOKIE};
use rusqlite::{Connection, params};

// The district: its generator, bulk loader and cache, shared with `dedup_scale`.
#[path = "district/mod.rs"]
mod district;

use district::{Rng, Scale, ts};

/// Ledger entries in the district.
const ENTRIES: usize = 100_000;
/// Untimed requests per endpoint before the timed ones.
const WARMUP: usize = 5;
/// Timed requests per endpoint.
const TIMED: usize = 41;
/// The goals of the issue: server time per page, page weight without photos.
const GOAL_MS: f64 = 100.0;
const GOAL_KB: f64 = 150.0;

/// The three officers: what the table calls them, login, password, role, scope.
const OFFICERS: [(&str, &str, &str, &str, Option<&str>); 3] = [
    (
        "district",
        "district.bench",
        "bench-district-2026",
        "district",
        None,
    ),
    ("town", "town.t01", "bench-town01-2026", "town", Some("T01")),
    (
        "enterprise",
        "union.e0001",
        "bench-e0001-2026",
        "enterprise",
        Some("E0001"),
    ),
];

/// How an endpoint is asked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An officers' page, with the session cookie.
    Page,
    /// The JSON API, with the session token as a bearer token.
    Api,
}

/// The endpoints timed for each officer.
const ENDPOINTS: [(&str, &str, Kind); 6] = [
    ("workbench", "/", Kind::Page),
    ("ledger", "/ledger", Kind::Page),
    (
        "ledger, overdue rectifying",
        "/ledger?status=rectifying&overdue=true",
        Kind::Page,
    ),
    ("statistics", "/stats", Kind::Page),
    ("review inbox", "/review", Kind::Page),
    ("API ledger list (reference)", "/api/v1/ledger", Kind::Api),
];

/// "Now" for the server: the last evening of the generated history, 23:30 China time, so that
/// the month of the workbench and the statistics page is a full one. (The generated history
/// runs 8½ hours further, to 08:00 on 1 November: about 110 of the 100 000 entries lie after
/// this clock.)
fn bench_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 31, 15, 30, 0)
        .single()
        .unwrap_or_else(district::end_of_history)
}

/// The server's clock: running, from [`bench_now`] at start.
struct BenchClock {
    offset: Duration,
}

impl Clock for BenchClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// The district's roster with the three officers: the same towns, enterprises, site points
/// and enrollment codes as the cached district, so the import adds the officers only.
fn roster_with_officers(scale: Scale) -> String {
    let mut t = district::roster(scale);
    for (_, username, password, role, scope) in OFFICERS {
        t += &format!(
            "[[users]]\nusername = \"{username}\"\npassword = \"{password}\"\nrole = \"{role}\"\n"
        );
        if let Some(s) = scope {
            t += &format!("scope = \"{s}\"\n");
        }
    }
    t
}

/// A step of the officers' side, as the workflow records it in the entry's history.
struct Step<'a> {
    action: &'a str,
    actor: &'a str,
    from: &'a str,
    to: &'a str,
    detail: String,
    at: DateTime<Utc>,
}

/// Gives the copied district what the officers' side leaves on entries: a plan and deadline
/// on every confirmed entry, `closed_at` on closed ones, the history of each step, and
/// escalation on a quarter of the overdue ones. Deterministic.
fn add_officers_work(db: &Path, now: DateTime<Utc>) -> anyhow::Result<()> {
    let calendar = Calendar::default();
    let today = calendar.today(now);
    let mut conn = Connection::open(db).context("open the copied district")?;
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;")?;
    type Entry = (String, String, String, String, String, String);
    let entries: Vec<Entry> = {
        let mut stmt = conn.prepare(
            "SELECT le.id, le.enterprise, en.town, le.status, le.severity, le.created_at
             FROM ledger_entries le JOIN enterprises en ON en.code = le.enterprise
             ORDER BY le.created_at",
        )?;
        stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?
    };
    let mut rng = Rng(0x9A6E_5EED);
    let tx = conn.transaction()?;
    for (id, enterprise, town, status, severity, created) in &entries {
        let created = DateTime::parse_from_rfc3339(created)
            .with_context(|| format!("created_at {created:?}"))?
            .with_timezone(&Utc);
        // The enterprise's union officer takes the steps; the town's asks for escalation.
        let union = format!("union.{}", enterprise.to_lowercase());
        let town_officer = format!("town.{}", town.to_lowercase());
        // Reviewed within two days; never after the clock for an entry before it.
        let mut reviewed = created + Duration::minutes(60 + rng.below(47 * 60) as i64);
        if created < now {
            reviewed = reviewed.min(now - Duration::minutes(30)).max(created);
        }
        let mut steps = Vec::new();
        let mut updated = reviewed;
        if status == "rejected" {
            steps.push(Step {
                action: LedgerAction::Reject.wire_name(),
                actor: &union,
                from: "pending_review",
                to: "rejected",
                detail: "不属于隐患：已按规程操作 / not a hazard".into(),
                at: reviewed,
            });
        }
        let confirmed = matches!(
            status.as_str(),
            "rectifying" | "awaiting_verification" | "closed"
        );
        let (mut deadline, mut plan, mut closed_at, mut rectified_note) = (None, None, None, None);
        if confirmed {
            let days = if severity == "major" {
                30 + rng.below(31)
            } else {
                7 + rng.below(24)
            };
            let due: NaiveDate = calendar.today(reviewed) + Duration::days(days as i64);
            deadline = Some(due);
            let p = RectificationPlan {
                responsible: "车间主任 王建国".into(),
                measures: "更换损坏部件，班前检查并记录，全员培训一次".into(),
                funds: Funds((200 + rng.below(4_800)) as i64 * 100),
                deadline: due,
                contingency: "设置警戒区，专人监护，停用相关设备".into(),
                level: [
                    RectificationLevel::Team,
                    RectificationLevel::Workshop,
                    RectificationLevel::Enterprise,
                ][rng.below(3)],
            };
            plan = Some(serde_json::to_string(&p)?);
            steps.push(Step {
                action: LedgerAction::Confirm.wire_name(),
                actor: &union,
                from: "pending_review",
                to: "rectifying",
                detail: format!("整改方案：时限 {due} / plan: deadline {due}"),
                at: reviewed,
            });
            if status != "rectifying" {
                // Most are rectified in time, some late (up to 15 % past the deadline).
                let share = 0.2 + rng.unit() * 0.95;
                let mut rectified =
                    reviewed + Duration::minutes((days as f64 * share * 1_440.0) as i64);
                if created < now {
                    rectified = rectified
                        .min(now - Duration::hours(3))
                        .max(reviewed + Duration::hours(1));
                }
                rectified_note = Some("已整改完毕，附整改后照片".to_owned());
                steps.push(Step {
                    action: LedgerAction::Rectified.wire_name(),
                    actor: &union,
                    from: "rectifying",
                    to: "awaiting_verification",
                    detail: "已整改完毕 / rectified".into(),
                    at: rectified,
                });
                updated = rectified;
                if status == "closed" {
                    let mut closed =
                        rectified + Duration::minutes(30 + rng.below(3 * 1_440) as i64);
                    if created < now {
                        closed = closed
                            .min(now - Duration::hours(1))
                            .max(rectified + Duration::minutes(30));
                    }
                    steps.push(Step {
                        action: LedgerAction::VerifyAccept.wire_name(),
                        actor: &union,
                        from: "awaiting_verification",
                        to: "closed",
                        detail: "验收合格，销号 / verified, closed".into(),
                        at: closed,
                    });
                    closed_at = Some(closed);
                    updated = closed;
                }
            }
        }
        let overdue = matches!(status.as_str(), "rectifying" | "awaiting_verification")
            && deadline.is_some_and(|d| d < today);
        let escalated = overdue && rng.chance(0.25);
        if escalated {
            let at = (deadline.map_or(reviewed, |d| {
                calendar.day_start(d + Duration::days(1)) + Duration::hours(2)
            }))
            .min(now - Duration::minutes(10));
            steps.push(Step {
                action: LedgerAction::Escalate.wire_name(),
                actor: &town_officer,
                from: status,
                to: status,
                detail: "逾期未整改，提请挂牌督办 / overdue: escalated".into(),
                at,
            });
            updated = updated.max(at);
        }
        if steps.is_empty() {
            continue;
        }
        tx.prepare_cached(
            "UPDATE ledger_entries SET plan = ?2, deadline = ?3, rectified_note = ?4,
                 closed_at = ?5, escalated = ?6, updated_at = ?7
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            plan,
            deadline.map(|d| d.to_string()),
            rectified_note,
            closed_at.map(ts),
            escalated,
            ts(updated)
        ])?;
        for s in steps {
            tx.prepare_cached(
                "INSERT INTO entry_history (entry_id, action, actor, from_status, to_status,
                                            detail, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                s.action,
                s.actor,
                s.from,
                s.to,
                s.detail,
                ts(s.at)
            ])?;
        }
    }
    tx.commit()?;
    // No ANALYZE: the server never runs it, so its plans are those of a database without
    // statistics.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}

/// What the district holds, as the pages will count it.
struct Mix {
    statuses: Vec<(String, i64)>,
    open: i64,
    overdue: i64,
    escalated: i64,
    /// Per month (China time): filed, closed.
    months: Vec<(String, i64, i64)>,
    /// Entries in each officer's jurisdiction.
    in_scope: Vec<(&'static str, i64)>,
    history: i64,
}

fn mix(db: &Path, now: DateTime<Utc>) -> anyhow::Result<Mix> {
    let conn = Connection::open(db).context("open the district for its mix")?;
    let today = Calendar::default().today(now).to_string();
    let statuses = conn
        .prepare("SELECT status, count(*) FROM ledger_entries GROUP BY status ORDER BY 2 DESC")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let open_sql = "status IN ('pending_review', 'rectifying', 'awaiting_verification')";
    let one = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<i64> {
        conn.query_row(sql, p, |r| r.get(0))
    };
    let open = one(
        &format!("SELECT count(*) FROM ledger_entries WHERE {open_sql}"),
        &[],
    )?;
    let overdue = one(
        &format!(
            "SELECT count(*) FROM ledger_entries WHERE {open_sql} AND deadline IS NOT NULL AND deadline < ?1"
        ),
        &[&today],
    )?;
    let escalated = one(
        &format!("SELECT count(*) FROM ledger_entries WHERE {open_sql} AND escalated = 1"),
        &[],
    )?;
    let history = one("SELECT count(*) FROM entry_history", &[])?;
    let months = conn
        .prepare(
            "SELECT m, sum(f), sum(c) FROM (
                 SELECT substr(datetime(created_at, '+8 hours'), 1, 7) AS m,
                        status NOT IN ('rejected', 'merged') AS f, 0 AS c FROM ledger_entries
                 UNION ALL
                 SELECT substr(datetime(closed_at, '+8 hours'), 1, 7), 0, 1 FROM ledger_entries
                 WHERE closed_at IS NOT NULL)
             GROUP BY m ORDER BY m",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let in_scope = vec![
        ("district", one("SELECT count(*) FROM ledger_entries", &[])?),
        (
            "town",
            one(
                "SELECT count(*) FROM ledger_entries le JOIN enterprises en
                 ON en.code = le.enterprise WHERE en.town = 'T01'",
                &[],
            )?,
        ),
        (
            "enterprise",
            one(
                "SELECT count(*) FROM ledger_entries WHERE enterprise = 'E0001'",
                &[],
            )?,
        ),
    ];
    Ok(Mix {
        statuses,
        open,
        overdue,
        escalated,
        months,
        in_scope,
        history,
    })
}

/// The shared machine, as the tables quote it.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| format!(", {:.0} GiB RAM", kb / 1_048_576.0))
        .unwrap_or_default();
    format!("{model}, {cores} cores{mem}")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// An officer logged in.
struct Officer {
    label: &'static str,
    token: String,
}

/// One response: status, whether it came gzipped, the body's bytes.
struct Got {
    status: reqwest::StatusCode,
    gzip: bool,
    body: Vec<u8>,
}

async fn get(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    auth: Option<(&str, Kind)>,
    gzip: bool,
) -> anyhow::Result<Got> {
    let mut req = http.get(format!("{base}{path}"));
    match auth {
        Some((token, Kind::Page)) => {
            req = req.header(
                COOKIE,
                format!("{}={token}", hazardsnap_server::auth::SESSION_COOKIE),
            );
        }
        Some((token, Kind::Api)) => req = req.header(AUTHORIZATION, format!("Bearer {token}")),
        None => {}
    }
    if gzip {
        req = req.header(ACCEPT_ENCODING, "gzip");
    }
    let r = req.send().await.with_context(|| format!("GET {path}"))?;
    let status = r.status();
    let gzip = r
        .headers()
        .get(CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes() == b"gzip");
    let body = r
        .bytes()
        .await
        .with_context(|| format!("body of GET {path}"))?;
    Ok(Got {
        status,
        gzip,
        body: body.to_vec(),
    })
}

/// One timed request: from sending to the last byte of the body.
async fn timed(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    kind: Kind,
) -> anyhow::Result<StdDuration> {
    let t = Instant::now();
    let got = get(http, base, path, Some((token, kind)), true).await?;
    let d = t.elapsed();
    anyhow::ensure!(got.status.is_success(), "GET {path}: {}", got.status);
    Ok(d)
}

/// The value of `name="…"` inside one tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[at..].split('"').next()
}

/// The files a page makes the browser fetch besides photos: `<link href>` of stylesheets and
/// icons, `<script src>`. `<img>` (photos, thumbnails) are left out on purpose.
fn linked_assets(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, attr) in [("<link ", "href"), ("<script ", "src")] {
        for (i, _) in html.match_indices(open) {
            let tag = &html[i..html[i..].find('>').map_or(html.len(), |e| i + e)];
            if open == "<link " && !matches!(attribute(tag, "rel"), Some("stylesheet" | "icon")) {
                continue;
            }
            if let Some(url) = attribute(tag, attr)
                && !out.iter().any(|u| u == url)
            {
                out.push(url.to_owned());
            }
        }
    }
    out
}

/// A page's weight without photos, in bytes.
struct Weight {
    html: usize,
    html_gzip: usize,
    assets: usize,
    assets_gzip: usize,
    files: Vec<String>,
}

async fn weigh(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
) -> anyhow::Result<Weight> {
    let plain = get(http, base, path, Some((token, Kind::Page)), false).await?;
    let zipped = get(http, base, path, Some((token, Kind::Page)), true).await?;
    anyhow::ensure!(
        plain.status.is_success() && zipped.status.is_success(),
        "GET {path}: {} / {}",
        plain.status,
        zipped.status
    );
    anyhow::ensure!(
        zipped.gzip,
        "GET {path} with Accept-Encoding: gzip came uncompressed"
    );
    let html = String::from_utf8(plain.body.clone()).context("the page is UTF-8")?;
    let files = linked_assets(&html);
    let mut w = Weight {
        html: plain.body.len(),
        html_gzip: zipped.body.len(),
        assets: 0,
        assets_gzip: 0,
        files: files.clone(),
    };
    for f in &files {
        let a = get(http, base, f, None, false).await?;
        let z = get(http, base, f, None, true).await?;
        anyhow::ensure!(a.status.is_success(), "GET {f}: {}", a.status);
        w.assets += a.body.len();
        w.assets_gzip += z.body.len();
    }
    Ok(w)
}

/// Median and 90th percentile.
fn median_p90(mut d: Vec<StdDuration>) -> (f64, f64) {
    d.sort();
    let at = |q: f64| d[((d.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.9))
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rebuild = args.iter().any(|a| a == "--rebuild");
    let keep = args.iter().any(|a| a == "--keep");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let scale = Scale::new(ENTRIES);
    let cache = district::target_dir().join("dedup-scale");
    std::fs::create_dir_all(&cache).with_context(|| format!("create {}", cache.display()))?;
    let cached = district::ensure_cached(&rt, scale, &cache, rebuild)?;

    // A copy: the cache stays as `dedup_scale` expects it.
    let data: PathBuf = district::target_dir().join("bench-pages");
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("clear {}", data.display()))?;
    }
    std::fs::create_dir_all(&data).with_context(|| format!("create {}", data.display()))?;
    let db = data.join(hazardsnap_server::state::DB_FILE);
    let t = Instant::now();
    std::fs::copy(&cached.district, &db)
        .with_context(|| format!("copy {} to {}", cached.district.display(), db.display()))?;
    let now = bench_now();
    add_officers_work(&db, now)?;
    eprintln!(
        "district copied and given the officers' work in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let mix = mix(&db, now)?;
    let db_mib = std::fs::metadata(&db)?.len() as f64 / (1 << 20) as f64;

    let results = rt.block_on(async {
        let config = Config {
            data_dir: data.clone(),
            listen: "127.0.0.1:0".parse()?,
            // Every request comes from loopback: the limit per client address would measure
            // itself, not the pages.
            client_rate_per_sec: std::num::NonZeroU32::new(1_000_000).expect("nonzero"),
            client_burst: std::num::NonZeroU32::new(1_000_000).expect("nonzero"),
            ..Config::new()
        };
        let clock = Arc::new(BenchClock {
            offset: now - Utc::now(),
        });
        let state = AppState::open(config)?.with_clock(clock);
        let imported =
            hazardsnap_server::org::import_roster_text(&state.ledger, &roster_with_officers(scale))
                .await?;
        anyhow::ensure!(imported.users == 3, "three officers imported");
        let server = Server::bind_state(state, "127.0.0.1:0".parse()?).await?;
        let base = format!("http://{}", server.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let result = measure(&base, &db).await;
        let _ = stop.send(());
        serving.await??;
        result
    });
    let (times, weights, load_before, load_after) = results?;

    println!("## Officers' pages with {ENTRIES} ledger entries");
    println!();
    println!("machine: {}", machine());
    println!(
        "database: {db_mib:.0} MiB; clock {} ({} China time)",
        now.to_rfc3339(),
        Calendar::default().today(now)
    );
    println!("load average before: {load_before}; after: {load_after}");
    println!();
    println!("### The district");
    println!();
    println!(
        "entries per status: {}",
        mix.statuses
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "open {}, of which overdue {} (escalated {}); history rows {}",
        mix.open, mix.overdue, mix.escalated, mix.history
    );
    println!(
        "in each officer's jurisdiction: {}",
        mix.in_scope
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "per month (China time), found / closed: {}",
        mix.months
            .iter()
            .map(|(m, f, c)| format!("{m} {f}/{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!();
    println!(
        "### Server time ({WARMUP} warm-up, {TIMED} timed requests each; gzip as a browser asks)"
    );
    println!();
    println!(
        "| officer | page | median | p90 | median / {GOAL_MS:.0} ms goal | median / API list | goal met |"
    );
    println!("|---|---|---:|---:|---:|---:|---|");
    for (role, rows) in &times {
        let api = rows
            .iter()
            .find(|(name, ..)| name.starts_with("API"))
            .map_or(f64::NAN, |r| r.1);
        for (name, median, p90) in rows {
            println!(
                "| {role} | {name} | {median:.1} ms | {p90:.1} ms | {:.2} | {:.1} | {} |",
                median / GOAL_MS,
                median / api,
                if *median < GOAL_MS { "yes" } else { "**no**" }
            );
        }
    }
    println!();
    println!("### Page weight without photos (HTML + linked CSS, JS and icon)");
    println!();
    println!(
        "| officer | page | HTML | HTML gzip | assets | assets gzip | total | total gzip | goal < {GOAL_KB:.0} KB met |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---|");
    for (role, rows) in &weights {
        for (name, w) in rows {
            let (total, total_gzip) = (w.html + w.assets, w.html_gzip + w.assets_gzip);
            println!(
                "| {role} | {name} | {:.1} KB | {:.1} KB | {:.1} KB | {:.1} KB | {:.1} KB | {:.1} KB | {} |",
                kb(w.html),
                kb(w.html_gzip),
                kb(w.assets),
                kb(w.assets_gzip),
                kb(total),
                kb(total_gzip),
                match (kb(total) < GOAL_KB, kb(total_gzip) < GOAL_KB) {
                    (true, _) => "yes",
                    (false, true) => "gzip only",
                    (false, false) => "**no**",
                }
            );
        }
    }
    if let Some((_, rows)) = weights.first()
        && let Some((_, w)) = rows.first()
    {
        println!();
        println!("assets linked: {}", w.files.join(", "));
    }
    if keep {
        println!();
        println!("data folder kept: {}", data.display());
    } else {
        std::fs::remove_dir_all(&data).with_context(|| format!("remove {}", data.display()))?;
    }
    Ok(())
}

/// Per officer: (page, median ms, p90 ms).
type Times = Vec<(&'static str, Vec<(&'static str, f64, f64)>)>;
/// Per officer: (page, weight).
type Weights = Vec<(&'static str, Vec<(&'static str, Weight)>)>;

/// Logs the officers in, checks every endpoint answers them, times them, weighs the pages.
async fn measure(base: &str, db: &Path) -> anyhow::Result<(Times, Weights, String, String)> {
    let http = reqwest::Client::builder()
        // A page that sends to the login form must fail here, not be timed as the form.
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut officers = Vec::new();
    for (label, username, password, ..) in OFFICERS {
        let r = http
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .context("POST /api/v1/session")?;
        anyhow::ensure!(r.status().is_success(), "login {username}: {}", r.status());
        let v: serde_json::Value = r.json().await.context("the login's answer")?;
        let token = v["token"]
            .as_str()
            .context("the login answers a token")?
            .to_owned();
        officers.push(Officer { label, token });
    }
    // The pages answer each officer with their own page, not the login form.
    for o in &officers {
        for (name, path, kind) in ENDPOINTS {
            let got = get(&http, base, path, Some((&o.token, kind)), false).await?;
            anyhow::ensure!(
                got.status == reqwest::StatusCode::OK,
                "{} {name}: {}",
                o.label,
                got.status
            );
            if kind == Kind::Page {
                let html = String::from_utf8_lossy(&got.body);
                anyhow::ensure!(
                    html.contains("action=\"/logout\""),
                    "{} {name}: not an officer's page",
                    o.label
                );
            }
        }
    }
    // A server that has been running holds its database in the OS page cache.
    district::warm(db).context("read the database once")?;
    for o in &officers {
        for (_, path, kind) in ENDPOINTS {
            for _ in 0..WARMUP {
                timed(&http, base, path, &o.token, kind).await?;
            }
        }
    }
    let load_before = load_average();
    let mut samples: Vec<Vec<Vec<StdDuration>>> =
        vec![vec![Vec::with_capacity(TIMED); ENDPOINTS.len()]; officers.len()];
    for _ in 0..TIMED {
        for (o, per_officer) in officers.iter().zip(samples.iter_mut()) {
            for ((_, path, kind), s) in ENDPOINTS.iter().zip(per_officer.iter_mut()) {
                s.push(timed(&http, base, path, &o.token, *kind).await?);
            }
        }
    }
    let load_after = load_average();
    let times = officers
        .iter()
        .zip(samples)
        .map(|(o, per_officer)| {
            let rows = ENDPOINTS
                .iter()
                .zip(per_officer)
                .map(|((name, ..), s)| {
                    let (m, p) = median_p90(s);
                    (*name, m, p)
                })
                .collect();
            (o.label, rows)
        })
        .collect();
    let mut weights = Vec::new();
    for o in &officers {
        let mut rows = Vec::new();
        for (name, path, kind) in ENDPOINTS {
            if kind == Kind::Page {
                rows.push((name, weigh(&http, base, path, &o.token).await?));
            }
        }
        weights.push((o.label, rows));
    }
    Ok((times, weights, load_before, load_after))
}
