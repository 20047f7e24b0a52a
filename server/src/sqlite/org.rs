//! The organisation (towns, enterprises, workshops, teams, site points, enrollment codes),
//! officers, devices and sessions on SQLite. Upserts write only when a value differs, so
//! importing the same roster again counts 0 changed rows; nothing here is ever deleted.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hazardsnap_ledger::RepoResult;
use hazardsnap_ledger::repo::query::EnterpriseFilter;
use hazardsnap_ledger::repo::rows::{
    DeviceRow, EnrollmentCodeRow, EnterpriseRow, SessionRow, SitePoint, StoreCounts, TownRow,
    UserRow,
};
use hazardsnap_model::Labelled;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use uuid::Uuid;

use super::sql::Q;
use super::{db, parse_ts, parse_ts_opt, parse_wire, ts};

/// Codes as a JSON array, for `NOT IN (SELECT value FROM json_each(?))`.
fn json_list(items: &[String]) -> String {
    serde_json::Value::Array(
        items
            .iter()
            .map(|s| serde_json::Value::from(s.as_str()))
            .collect(),
    )
    .to_string()
}

fn exec(c: &Connection, sql: &str, p: impl rusqlite::Params) -> RepoResult<usize> {
    c.prepare_cached(sql).map_err(db)?.execute(p).map_err(db)
}

pub(super) fn has_no_organisation(c: &Connection) -> RepoResult<bool> {
    let n: i64 = c
        .query_row("SELECT count(*) FROM enterprises", [], |r| r.get(0))
        .map_err(db)?;
    Ok(n == 0)
}

pub(super) fn enterprises(c: &Connection, f: &EnterpriseFilter) -> RepoResult<Vec<EnterpriseRow>> {
    let mut q =
        Q::new("SELECT code, name, town, industry, private_sme, active FROM enterprises WHERE 1");
    if let Some(t) = &f.town {
        q.push(" AND town = ").arg(t.clone());
    }
    if let Some(codes) = &f.codes {
        q.push(" AND code IN ").list(codes.iter().cloned());
    }
    if f.active_only {
        q.push(" AND active = 1");
    }
    q.push(" ORDER BY code");
    let mut stmt = c.prepare_cached(&q.sql).map_err(db)?;
    let rows = stmt
        .query_map(params_from_iter(q.args.iter()), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (code, name, town, industry, private_sme, active) = row.map_err(db)?;
        out.push(EnterpriseRow {
            code,
            name,
            town,
            industry: parse_wire(&industry)?,
            private_sme,
            active,
        });
    }
    Ok(out)
}

pub(super) fn town_names(c: &Connection) -> RepoResult<HashMap<String, String>> {
    let mut stmt = c
        .prepare_cached("SELECT code, name FROM towns")
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(super) fn towns(c: &Connection) -> RepoResult<Vec<(TownRow, bool)>> {
    let mut stmt = c
        .prepare_cached("SELECT code, name, active FROM towns ORDER BY code")
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                TownRow {
                    code: r.get(0)?,
                    name: r.get(1)?,
                },
                r.get(2)?,
            ))
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(super) fn users(c: &Connection) -> RepoResult<Vec<UserRow>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT username, password_hash, role, scope, active FROM users ORDER BY username",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (username, password_hash, role, scope, active) = row.map_err(db)?;
        out.push(UserRow {
            username,
            password_hash,
            role: parse_wire(&role)?,
            scope,
            active,
        });
    }
    Ok(out)
}

pub(super) fn enrollment_codes(c: &Connection) -> RepoResult<Vec<EnrollmentCodeRow>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT c.code, c.enterprise, e.name, c.active, e.active FROM enrollment_codes c
             JOIN enterprises e ON e.code = c.enterprise ORDER BY c.code",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(EnrollmentCodeRow {
                code: r.get(0)?,
                enterprise: r.get(1)?,
                enterprise_name: r.get(2)?,
                active: r.get(3)?,
                enterprise_active: r.get(4)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(super) fn devices(c: &Connection, limit: u64) -> RepoResult<Vec<DeviceRow>> {
    super::records::devices_where(
        c,
        "1 ORDER BY enrolled_at DESC, id DESC LIMIT ?",
        &[super::sql::int(limit).into()],
    )
}

fn site_point_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SitePoint> {
    Ok(SitePoint {
        code: r.get(0)?,
        enterprise: r.get(1)?,
        name: r.get(2)?,
        lat: r.get(3)?,
        lon: r.get(4)?,
        radius_m: r.get(5)?,
    })
}

pub(super) fn site_point(c: &Connection, code: &str) -> RepoResult<Option<SitePoint>> {
    c.prepare_cached(
        "SELECT code, enterprise, name, lat, lon, radius_m FROM site_points
         WHERE code = ?1 AND active = 1",
    )
    .map_err(db)?
    .query_row([code], site_point_row)
    .optional()
    .map_err(db)
}

pub(super) fn site_points_in_box(
    c: &Connection,
    lat: (f64, f64),
    lon: (f64, f64),
) -> RepoResult<Vec<SitePoint>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT code, enterprise, name, lat, lon, radius_m FROM site_points
             WHERE active = 1 AND lat BETWEEN ?1 AND ?2 AND lon BETWEEN ?3 AND ?4
             ORDER BY code",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(params![lat.0, lat.1, lon.0, lon.1], site_point_row)
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(super) fn user(c: &Connection, username: &str) -> RepoResult<Option<UserRow>> {
    let row: Option<(String, String, String, Option<String>, bool)> = c
        .prepare_cached(
            "SELECT username, password_hash, role, scope, active FROM users WHERE username = ?1",
        )
        .map_err(db)?
        .query_row([username], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()
        .map_err(db)?;
    row.map(|(username, password_hash, role, scope, active)| {
        Ok(UserRow {
            username,
            password_hash,
            role: parse_wire(&role)?,
            scope,
            active,
        })
    })
    .transpose()
}

pub(super) fn roster_password_hashes(c: &Connection) -> RepoResult<HashMap<String, String>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT username, roster_password_hash FROM users WHERE roster_password_hash IS NOT NULL",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(super) fn enrollment_code(c: &Connection, code: &str) -> RepoResult<Option<EnrollmentCodeRow>> {
    c.prepare_cached(
        "SELECT c.code, c.enterprise, e.name, c.active, e.active FROM enrollment_codes c
         JOIN enterprises e ON e.code = c.enterprise WHERE c.code = ?1",
    )
    .map_err(db)?
    .query_row([code], |r| {
        Ok(EnrollmentCodeRow {
            code: r.get(0)?,
            enterprise: r.get(1)?,
            enterprise_name: r.get(2)?,
            active: r.get(3)?,
            enterprise_active: r.get(4)?,
        })
    })
    .optional()
    .map_err(db)
}

pub(super) fn device_by_token(c: &Connection, token: &[u8; 32]) -> RepoResult<Option<DeviceRow>> {
    Ok(
        super::records::devices_where(c, "token_sha256 = ?", &[token.to_vec().into()])?
            .into_iter()
            .next(),
    )
}

pub(super) fn session(c: &Connection, token: &[u8; 32]) -> RepoResult<Option<SessionRow>> {
    type Row = (String, String, String, Option<String>, Option<String>);
    let row: Option<Row> = c
        .prepare_cached(
            "SELECT username, created_at, expires_at, revoked_at, last_seen_at FROM sessions
             WHERE token_sha256 = ?1",
        )
        .map_err(db)?
        .query_row([&token[..]], |r| r.try_into())
        .optional()
        .map_err(db)?;
    row.map(|(username, created, expires, revoked, seen)| {
        Ok(SessionRow {
            token_sha256: *token,
            username,
            created_at: parse_ts(&created)?,
            expires_at: parse_ts(&expires)?,
            revoked_at: parse_ts_opt(revoked)?,
            last_seen_at: parse_ts_opt(seen)?,
        })
    })
    .transpose()
}

pub(super) fn touch_session(c: &Connection, token: &[u8; 32], at: DateTime<Utc>) -> RepoResult<()> {
    exec(
        c,
        "UPDATE sessions SET last_seen_at = ?2 WHERE token_sha256 = ?1",
        params![&token[..], ts(at)],
    )?;
    Ok(())
}

pub(super) fn set_district_name(c: &Connection, name: &str) -> RepoResult<usize> {
    exec(
        c,
        "INSERT INTO meta (key, value) VALUES ('district_name', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value IS NOT excluded.value",
        [name],
    )
}

pub(super) fn upsert_town(c: &Connection, t: &TownRow) -> RepoResult<usize> {
    exec(
        c,
        "INSERT INTO towns (code, name) VALUES (?1, ?2)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, active = 1
         WHERE towns.name IS NOT excluded.name OR towns.active = 0",
        params![t.code, t.name],
    )
}

pub(super) fn upsert_enterprise(c: &Connection, e: &EnterpriseRow) -> RepoResult<usize> {
    exec(
        c,
        "INSERT INTO enterprises (code, name, town, industry, private_sme) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, town = excluded.town,
             industry = excluded.industry, private_sme = excluded.private_sme, active = 1
         WHERE (enterprises.name, enterprises.town, enterprises.industry, enterprises.private_sme, enterprises.active)
            IS NOT (excluded.name, excluded.town, excluded.industry, excluded.private_sme, 1)",
        params![e.code, e.name, e.town, e.industry.wire_name(), e.private_sme],
    )
}

pub(super) fn upsert_workshop(
    c: &Connection,
    enterprise: &str,
    name: &str,
    position: usize,
) -> RepoResult<usize> {
    exec(
        c,
        "INSERT INTO workshops (enterprise, name, position) VALUES (?1, ?2, ?3)
         ON CONFLICT (enterprise, name) DO UPDATE SET position = excluded.position, active = 1
         WHERE (workshops.position, workshops.active) IS NOT (excluded.position, 1)",
        params![enterprise, name, position as i64],
    )
}

pub(super) fn upsert_team(
    c: &Connection,
    enterprise: &str,
    workshop: &str,
    name: &str,
    position: usize,
) -> RepoResult<usize> {
    exec(
        c,
        "INSERT INTO teams (enterprise, workshop, name, position) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (enterprise, workshop, name) DO UPDATE SET position = excluded.position, active = 1
         WHERE (teams.position, teams.active) IS NOT (excluded.position, 1)",
        params![enterprise, workshop, name, position as i64],
    )
}

pub(super) fn upsert_site_point(c: &Connection, p: &SitePoint) -> RepoResult<usize> {
    exec(
        c,
        "INSERT INTO site_points (code, enterprise, name, lat, lon, radius_m) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (code) DO UPDATE SET enterprise = excluded.enterprise, name = excluded.name,
             lat = excluded.lat, lon = excluded.lon, radius_m = excluded.radius_m, active = 1
         WHERE (site_points.enterprise, site_points.name, site_points.lat, site_points.lon, site_points.radius_m, site_points.active)
            IS NOT (excluded.enterprise, excluded.name, excluded.lat, excluded.lon, excluded.radius_m, 1)",
        params![p.code, p.enterprise, p.name, p.lat, p.lon, p.radius_m],
    )
}

pub(super) fn upsert_enrollment_code(
    c: &Connection,
    code: &str,
    enterprise: &str,
) -> RepoResult<usize> {
    exec(
        c,
        "INSERT INTO enrollment_codes (code, enterprise) VALUES (?1, ?2)
         ON CONFLICT (code) DO UPDATE SET enterprise = excluded.enterprise, active = 1
         WHERE (enrollment_codes.enterprise, enrollment_codes.active) IS NOT (excluded.enterprise, 1)",
        params![code, enterprise],
    )
}

pub(super) fn upsert_user(
    c: &Connection,
    u: &UserRow,
    password: Option<&str>,
) -> RepoResult<usize> {
    match password {
        Some(hash) => exec(
            c,
            "INSERT INTO users (username, password_hash, roster_password_hash, role, scope)
             VALUES (?1, ?2, ?2, ?3, ?4)
             ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
                 roster_password_hash = excluded.roster_password_hash,
                 role = excluded.role, scope = excluded.scope, active = 1
             WHERE (users.password_hash, users.roster_password_hash, users.role, users.scope, users.active)
                IS NOT (excluded.password_hash, excluded.roster_password_hash, excluded.role, excluded.scope, 1)",
            params![u.username, hash, u.role.wire_name(), u.scope],
        ),
        None => exec(
            c,
            "UPDATE users SET role = ?2, scope = ?3, active = 1
             WHERE username = ?1 AND (role, scope, active) IS NOT (?2, ?3, 1)",
            params![u.username, u.role.wire_name(), u.scope],
        ),
    }
}

/// Deactivates the active rows of `table` whose `key` is not in `keep`, among those matching
/// `within` (a fixed condition with its arguments).
fn deactivate(
    c: &Connection,
    table: &str,
    key: &str,
    within: &str,
    within_args: &[&str],
    keep: &[String],
) -> RepoResult<usize> {
    let sql = format!(
        "UPDATE {table} SET active = 0
         WHERE active = 1 AND {within} AND {key} NOT IN (SELECT value FROM json_each(?))"
    );
    let list = json_list(keep);
    let args: Vec<&str> = within_args.iter().copied().chain([list.as_str()]).collect();
    exec(c, &sql, params_from_iter(args))
}

pub(super) fn deactivate_towns(c: &Connection, keep: &[String]) -> RepoResult<usize> {
    deactivate(c, "towns", "code", "1", &[], keep)
}

pub(super) fn deactivate_enterprises(c: &Connection, keep: &[String]) -> RepoResult<usize> {
    deactivate(c, "enterprises", "code", "1", &[], keep)
}

pub(super) fn deactivate_workshops(
    c: &Connection,
    enterprise: &str,
    keep: &[String],
) -> RepoResult<usize> {
    Ok(deactivate(
        c,
        "workshops",
        "name",
        "enterprise = ?",
        &[enterprise],
        keep,
    )? + deactivate(
        c,
        "teams",
        "workshop",
        "enterprise = ?",
        &[enterprise],
        keep,
    )?)
}

pub(super) fn deactivate_teams(
    c: &Connection,
    enterprise: &str,
    workshop: &str,
    keep: &[String],
) -> RepoResult<usize> {
    deactivate(
        c,
        "teams",
        "name",
        "enterprise = ? AND workshop = ?",
        &[enterprise, workshop],
        keep,
    )
}

pub(super) fn deactivate_site_points(c: &Connection, keep: &[String]) -> RepoResult<usize> {
    deactivate(c, "site_points", "code", "1", &[], keep)
}

pub(super) fn deactivate_users(c: &Connection, keep: &[String]) -> RepoResult<usize> {
    deactivate(c, "users", "username", "1", &[], keep)
}

pub(super) fn deactivate_enrollment_codes(c: &Connection, keep: &[String]) -> RepoResult<usize> {
    deactivate(c, "enrollment_codes", "code", "1", &[], keep)
}

pub(super) fn set_password_hash(c: &Connection, username: &str, hash: &str) -> RepoResult<bool> {
    Ok(exec(
        c,
        "UPDATE users SET password_hash = ?2 WHERE username = ?1",
        params![username, hash],
    )? == 1)
}

pub(super) fn insert_device(c: &Connection, d: &DeviceRow) -> RepoResult<()> {
    exec(
        c,
        "INSERT INTO devices (id, token_sha256, enterprise, name, enrollment_code, enrolled_at, revoked_at, worker, officer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            d.id.to_string(),
            &d.token_sha256[..],
            d.enterprise,
            d.name,
            d.enrollment_code,
            ts(d.enrolled_at),
            d.revoked_at.map(ts),
            d.worker,
            d.officer
        ],
    )?;
    Ok(())
}

pub(super) fn revoke_device(c: &Connection, id: Uuid, at: DateTime<Utc>) -> RepoResult<bool> {
    Ok(exec(
        c,
        "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id.to_string(), ts(at)],
    )? == 1)
}

pub(super) fn insert_session(c: &Connection, s: &SessionRow) -> RepoResult<()> {
    exec(
        c,
        "INSERT INTO sessions (token_sha256, username, created_at, expires_at, revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            &s.token_sha256[..],
            s.username,
            ts(s.created_at),
            ts(s.expires_at),
            s.revoked_at.map(ts)
        ],
    )?;
    Ok(())
}

pub(super) fn revoke_session(
    c: &Connection,
    token: &[u8; 32],
    at: DateTime<Utc>,
) -> RepoResult<bool> {
    Ok(exec(
        c,
        "UPDATE sessions SET revoked_at = ?2 WHERE token_sha256 = ?1 AND revoked_at IS NULL",
        params![&token[..], ts(at)],
    )? == 1)
}

pub(super) fn revoke_sessions_of(
    c: &Connection,
    username: &str,
    keep: Option<&[u8; 32]>,
    at: DateTime<Utc>,
) -> RepoResult<usize> {
    exec(
        c,
        "UPDATE sessions SET revoked_at = ?3
         WHERE username = ?1 AND (?2 IS NULL OR token_sha256 != ?2) AND revoked_at IS NULL",
        params![username, keep.map(|k| k.to_vec()), ts(at)],
    )
}

pub(super) fn counts(c: &Connection) -> RepoResult<StoreCounts> {
    let n = |table: &str| -> RepoResult<u64> {
        let v: i64 = c
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(db)?;
        Ok(v as u64)
    };
    Ok(StoreCounts {
        devices: n("devices")?,
        photos: n("photos")?,
        reports: n("reports")?,
        ledger_entries: n("ledger_entries")?,
        suggestions: n("suggestions")?,
        report_events: n("report_events")?,
    })
}
