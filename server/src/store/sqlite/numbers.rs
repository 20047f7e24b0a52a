//! Lists and numbers for the district (统计与名单): the monthly progress report per town and
//! enterprise, the reward lists (奖励名单), suggestions and their adoption (金点子采纳), and
//! the recorded supervision draws (督导随机抽查).
//!
//! Like every officer read, each query carries the jurisdiction as a SQL condition; the bureau
//! sees only what was escalated to it (and so no suggestions).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use hazardsnap_model::supervision::{DrawCandidate, draw};
use hazardsnap_model::{Industry, Jurisdiction};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::{parse_ts, parse_uuid, parse_wire, ts};
use crate::store::officer::{
    AdoptOutcome, DrawCandidateView, DrawRecord, MonthlyRow, MonthlyStats, ReporterView,
    RewardLine, SuggestionView, china_day_start, china_today,
};
use crate::store::{StoreError, StoreResult};

/// The jurisdiction as a condition on an enterprise `en`, and on its entries `le` (to be put
/// in a join), with the value of `:scope`.
fn enterprise_scope(j: &Jurisdiction) -> (&'static str, &'static str, Option<String>) {
    match j {
        Jurisdiction::District => ("1", "1", None),
        Jurisdiction::Town { town } => ("en.town = :scope", "1", Some(town.clone())),
        Jurisdiction::Enterprise { enterprise } => {
            ("en.code = :scope", "1", Some(enterprise.clone()))
        }
        Jurisdiction::Bureau => (
            "en.code IN (SELECT enterprise FROM ledger_entries WHERE escalated = 1)",
            "le.escalated = 1",
            None,
        ),
    }
}

fn next_month(month: NaiveDate) -> NaiveDate {
    let (y, m) = if month.month() == 12 {
        (month.year() + 1, 1)
    } else {
        (month.year(), month.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(month)
}

fn rate(done: u32, of: u32) -> f64 {
    if of == 0 {
        0.0
    } else {
        // Two decimals are what the report prints; round here so every client agrees.
        (f64::from(done) / f64::from(of) * 10_000.0).round() / 10_000.0
    }
}

/// The monthly statistics.
pub(super) fn monthly(
    c: &Connection,
    j: &Jurisdiction,
    month: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<MonthlyStats> {
    let start = ts(china_day_start(month));
    let end = ts(china_day_start(next_month(month)));
    let today = china_today(now).to_string();
    let (en_cond, le_cond, value) = enterprise_scope(j);
    let sql = format!(
        "SELECT en.code, en.name, en.town, t.name,
            COALESCE(SUM(le.severity = 'general'), 0), COALESCE(SUM(le.severity = 'major'), 0),
            COALESCE(SUM(le.status = 'closed'), 0),
            COALESCE(SUM(le.deadline IS NOT NULL AND le.deadline < :today
                AND le.status IN ('pending_review','rectifying','awaiting_verification')), 0),
            COALESCE(SUM(le.escalated), 0)
         FROM enterprises en JOIN towns t ON t.code = en.town
         LEFT JOIN ledger_entries le ON le.enterprise = en.code
             AND le.created_at >= :start AND le.created_at < :end
             AND le.status NOT IN ('rejected', 'merged') AND {le_cond}
         WHERE {en_cond}
         GROUP BY en.code ORDER BY en.town, en.code"
    );
    let mut stmt = c.prepare(&sql)?;
    let mut p: Vec<(&str, &dyn rusqlite::ToSql)> =
        vec![(":start", &start), (":end", &end), (":today", &today)];
    if let Some(v) = &value {
        p.push((":scope", v));
    }
    type Row = (String, String, String, String, u32, u32, u32, u32, u32);
    let rows: Vec<Row> = stmt
        .query_map(p.as_slice(), |r| r.try_into())?
        .collect::<Result<_, _>>()?;
    // The bureau receives escalated hazards, not the enterprises' suggestions or workers.
    let bureau = matches!(j, Jurisdiction::Bureau);
    let count_by = |sql: &str| -> StoreResult<HashMap<String, u32>> {
        if bureau {
            return Ok(HashMap::new());
        }
        let mut stmt = c.prepare(sql)?;
        let map = stmt
            .query_map(params![start, end], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(map)
    };
    let suggestions = count_by(
        "SELECT enterprise, count(*) FROM suggestions
         WHERE created_at >= ?1 AND created_at < ?2 GROUP BY enterprise",
    )?;
    let workers = count_by(
        "SELECT enterprise, count(DISTINCT device_id) FROM reports
         WHERE received_at >= ?1 AND received_at < ?2 GROUP BY enterprise",
    )?;
    let town_workers = count_by(
        "SELECT en.town, count(DISTINCT r.device_id) FROM reports r
         JOIN enterprises en ON en.code = r.enterprise
         WHERE r.received_at >= ?1 AND r.received_at < ?2 GROUP BY en.town",
    )?;
    let mut enterprises = Vec::new();
    let mut towns: Vec<MonthlyRow> = Vec::new();
    for (code, name, town, town_name, general, major, closed, overdue, escalated) in rows {
        let found = general + major;
        let row = MonthlyRow {
            suggestions: suggestions.get(&code).copied().unwrap_or(0),
            participating_workers: workers.get(&code).copied().unwrap_or(0),
            code,
            name,
            town: Some(town.clone()),
            found_general: general,
            found_major: major,
            rectified: closed,
            rectification_rate: rate(closed, found),
            overdue,
            escalated,
        };
        if towns.last().is_none_or(|t| t.code != town) {
            towns.push(MonthlyRow {
                participating_workers: if matches!(j, Jurisdiction::Enterprise { .. }) {
                    // An enterprise officer sees only their own workers, not the town's.
                    row.participating_workers
                } else {
                    town_workers.get(&town).copied().unwrap_or(0)
                },
                code: town,
                name: town_name,
                ..MonthlyRow::default()
            });
        }
        if let Some(t) = towns.last_mut() {
            t.found_general += row.found_general;
            t.found_major += row.found_major;
            t.rectified += row.rectified;
            t.overdue += row.overdue;
            t.escalated += row.escalated;
            t.suggestions += row.suggestions;
            t.rectification_rate = rate(t.rectified, t.found_general + t.found_major);
        }
        enterprises.push(row);
    }
    Ok(MonthlyStats {
        month: month.format("%Y-%m").to_string(),
        towns,
        enterprises,
    })
}

/// The finder as a reward list shows it: 匿名, unless a district officer already revealed
/// this report (recorded) and the reader is the district.
fn finder(
    c: &Connection,
    j: &Jurisdiction,
    report_id: &str,
    device: &str,
    name: String,
    anonymous: bool,
) -> StoreResult<ReporterView> {
    let revealed = anonymous
        && j.may_reveal_for_reward()
        && c.query_row(
            "SELECT EXISTS (SELECT 1 FROM reveal_audit WHERE report_id = ?1)",
            [report_id],
            |r| r.get::<_, bool>(0),
        )?;
    Ok(ReporterView::new(
        anonymous && !revealed,
        parse_uuid(device)?,
        name,
    ))
}

/// The reward lists.
pub(super) fn rewards(
    c: &Connection,
    j: &Jurisdiction,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<RewardLine>> {
    let start = ts(china_day_start(from));
    let end = ts(china_day_start(to + Duration::days(1)));
    let (en_cond, le_cond, value) = enterprise_scope(j);
    let mut out = Vec::new();
    let sql = format!(
        "SELECT le.id, le.number, le.enterprise, MAX(h.at)
         FROM ledger_entries le JOIN enterprises en ON en.code = le.enterprise
         JOIN entry_history h ON h.entry_id = le.id AND h.action = 'verify_accept'
         WHERE le.severity = 'major' AND le.status = 'closed' AND {en_cond} AND {le_cond}
         GROUP BY le.id HAVING MAX(h.at) >= :start AND MAX(h.at) < :end
         ORDER BY MAX(h.at), le.number"
    );
    let mut p: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":start", &start), (":end", &end)];
    if let Some(v) = &value {
        p.push((":scope", v));
    }
    let mut stmt = c.prepare(&sql)?;
    let entries: Vec<(String, String, String, String)> = stmt
        .query_map(p.as_slice(), |r| r.try_into())?
        .collect::<Result<_, _>>()?;
    for (id, number, enterprise, at) in entries {
        let first: Option<(String, String, String, bool)> = c
            .query_row(
                "SELECT r.id, r.device_id, d.name, r.anonymous FROM reports r
                 JOIN devices d ON d.id = r.device_id WHERE r.entry_id = ?1
                 ORDER BY r.captured_at, r.received_at, r.id LIMIT 1",
                [&id],
                |r| r.try_into(),
            )
            .optional()?;
        let (credited, who) = match first {
            Some((rid, dev, name, anon)) => (
                Some(parse_uuid(&rid)?),
                Some(finder(c, j, &rid, &dev, name, anon)?),
            ),
            None => (None, None),
        };
        out.push(RewardLine {
            kind: "major_hazard",
            id: parse_uuid(&id)?,
            number,
            enterprise,
            credited_report_id: credited,
            finder: who,
            at: parse_ts(&at)?,
        });
    }
    if matches!(j, Jurisdiction::Bureau) {
        return Ok(out);
    }
    let sql = format!(
        "SELECT s.id, s.number, s.enterprise, s.adopted_at, r.id, r.device_id, d.name, r.anonymous
         FROM suggestions s JOIN enterprises en ON en.code = s.enterprise
         JOIN reports r ON r.suggestion_id = s.id JOIN devices d ON d.id = r.device_id
         WHERE s.adopted_at >= :start AND s.adopted_at < :end AND {en_cond}
         ORDER BY s.adopted_at, s.number"
    );
    let mut stmt = c.prepare(&sql)?;
    type S = (String, String, String, String, String, String, String, bool);
    let rows: Vec<S> = stmt
        .query_map(p.as_slice(), |r| r.try_into())?
        .collect::<Result<_, _>>()?;
    for (id, number, enterprise, at, rid, dev, name, anon) in rows {
        out.push(RewardLine {
            kind: "adopted_suggestion",
            id: parse_uuid(&id)?,
            number,
            enterprise,
            credited_report_id: Some(parse_uuid(&rid)?),
            finder: Some(finder(c, j, &rid, &dev, name, anon)?),
            at: parse_ts(&at)?,
        });
    }
    Ok(out)
}

fn suggestion_scope(j: &Jurisdiction) -> (&'static str, Option<String>) {
    match j {
        Jurisdiction::Bureau => ("0", None),
        other => {
            let (c, _, v) = enterprise_scope(other);
            (c, v)
        }
    }
}

/// The suggestions of the jurisdiction.
pub(super) fn suggestions(c: &Connection, j: &Jurisdiction) -> StoreResult<Vec<SuggestionView>> {
    let (cond, value) = suggestion_scope(j);
    let sql = format!(
        "SELECT s.id, s.number, s.enterprise, r.id, r.note, r.category, r.device_id, d.name,
                r.anonymous, s.created_at, s.adopted_at, s.adopted_by
         FROM suggestions s JOIN enterprises en ON en.code = s.enterprise
         JOIN reports r ON r.suggestion_id = s.id JOIN devices d ON d.id = r.device_id
         WHERE {cond} ORDER BY s.created_at DESC, s.number DESC LIMIT 1000"
    );
    let mut p: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
    if let Some(v) = &value {
        p.push((":scope", v));
    }
    let mut stmt = c.prepare(&sql)?;
    let mut rows = stmt.query(p.as_slice())?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let rid: String = r.get(3)?;
        let category: String = r.get(5)?;
        let device: String = r.get(6)?;
        let created: String = r.get(9)?;
        let adopted: Option<String> = r.get(10)?;
        out.push(SuggestionView {
            id: parse_uuid(&id)?,
            number: r.get(1)?,
            enterprise: r.get(2)?,
            report_id: parse_uuid(&rid)?,
            note: r.get(4)?,
            category: parse_wire(&category)?,
            reporter: ReporterView::new(r.get(8)?, parse_uuid(&device)?, r.get(7)?),
            created_at: parse_ts(&created)?,
            adopted_at: adopted.as_deref().map(parse_ts).transpose()?,
            adopted_by: r.get(11)?,
        });
    }
    Ok(out)
}

/// Adopts a suggestion.
pub(super) fn adopt(
    tx: &Transaction<'_>,
    j: &Jurisdiction,
    id: Uuid,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<AdoptOutcome> {
    let (cond, value) = suggestion_scope(j);
    let sql = format!(
        "SELECT s.adopted_at FROM suggestions s JOIN enterprises en ON en.code = s.enterprise
         WHERE s.id = :id AND {cond}"
    );
    let id_s = id.to_string();
    let mut p: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":id", &id_s)];
    if let Some(v) = &value {
        p.push((":scope", v));
    }
    let found: Option<Option<String>> =
        tx.query_row(&sql, p.as_slice(), |r| r.get(0)).optional()?;
    match found {
        None => Ok(AdoptOutcome::NotFound),
        Some(Some(_)) => Ok(AdoptOutcome::AlreadyAdopted),
        Some(None) => {
            tx.execute(
                "UPDATE suggestions SET adopted_at = ?2, adopted_by = ?3, adopted_note = ?4,
                        updated_at = ?2 WHERE id = ?1",
                params![id_s, ts(now), actor, note],
            )?;
            Ok(AdoptOutcome::Adopted)
        }
    }
}

/// Draws and records.
pub(super) fn create_draw(
    tx: &Transaction<'_>,
    town: Option<&str>,
    n: u32,
    seed: u64,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<DrawRecord> {
    let mut stmt = tx.prepare(
        "SELECT code, industry, private_sme FROM enterprises
         WHERE active = 1 AND (?1 IS NULL OR town = ?1) ORDER BY code",
    )?;
    let raw: Vec<(String, String, bool)> = stmt
        .query_map([town], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let candidates = raw
        .into_iter()
        .map(|(code, industry, private_sme)| {
            Ok(DrawCandidate {
                code,
                industry: parse_wire::<Industry>(&industry)?,
                private_sme,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let result = draw(&candidates, n as usize, seed);
    let views: Vec<DrawCandidateView> = candidates
        .iter()
        .map(|c| DrawCandidateView {
            weight: c.weight(),
            code: c.code.clone(),
            industry: c.industry,
            private_sme: c.private_sme,
        })
        .collect();
    let record = DrawRecord {
        id: Uuid::now_v7(),
        seed: seed.to_string(),
        n,
        town: town.map(str::to_owned),
        actor: actor.to_owned(),
        at: now,
        candidates: views,
        result,
    };
    tx.execute(
        "INSERT INTO supervision_draws (id, seed, n, town, actor, at, candidates, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            record.id.to_string(),
            record.seed,
            n,
            record.town,
            actor,
            ts(now),
            json(&record.candidates)?,
            json(&record.result)?,
        ],
    )?;
    Ok(record)
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A recorded draw, if the jurisdiction may see it.
pub(super) fn get_draw(
    c: &Connection,
    j: &Jurisdiction,
    id: Uuid,
) -> StoreResult<Option<DrawRecord>> {
    let town = match j {
        Jurisdiction::District => None,
        Jurisdiction::Town { town } => Some(town.clone()),
        _ => return Ok(None),
    };
    type Row = (String, u32, Option<String>, String, String, String, String);
    let row: Option<Row> = c
        .query_row(
            "SELECT seed, n, town, actor, at, candidates, result FROM supervision_draws
             WHERE id = ?1 AND (?2 IS NULL OR town = ?2)",
            params![id.to_string(), town],
            |r| r.try_into(),
        )
        .optional()?;
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
    row.map(|(seed, n, town, actor, at, candidates, result)| {
        Ok(DrawRecord {
            id,
            seed,
            n,
            town,
            actor,
            at: parse_ts(&at)?,
            candidates: serde_json::from_str(&candidates).map_err(corrupt)?,
            result: serde_json::from_str(&result).map_err(corrupt)?,
        })
    })
    .transpose()
}
