//! The organisation (towns, enterprises, workshops, teams, site points, enrollment codes),
//! officers, devices and sessions on PostgreSQL, statement for statement the twin of
//! `crate::sqlite::org`. Upserts write only when a value differs (`IS DISTINCT FROM` in the
//! conflict clause), so importing the same roster again counts 0 changed rows; nothing here is
//! ever deleted. Flags are `BIGINT` 0/1 as in SQLite; a roster's "keep" list is bound as one
//! text array (`key <> ALL(?)`, true for an empty list as SQLite's `NOT IN` of an empty set).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hazardsnap_ledger::repo::query::EnterpriseFilter;
use hazardsnap_ledger::repo::rows::{
    DeviceRow, EnrollmentCodeRow, EnterpriseRow, SessionRow, SitePoint, StoreCounts, TownRow,
    UserRow,
};
use hazardsnap_ledger::{RepoError, RepoResult};
use hazardsnap_model::Labelled;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::pg::{Pg, changed, flag, get};
use super::sql::{Q, int};
use crate::sqlite::{parse_ts, parse_ts_opt, parse_uuid, parse_wire, ts};

pub(crate) fn has_no_organisation(pg: &mut Pg<'_>) -> RepoResult<bool> {
    let r = pg.query_one("SELECT count(*) FROM enterprises", &[])?;
    Ok(get::<i64>(&r, 0)? == 0)
}

pub(crate) fn enterprises(pg: &mut Pg<'_>, f: &EnterpriseFilter) -> RepoResult<Vec<EnterpriseRow>> {
    let mut q = Q::new(
        "SELECT code, name, town, industry, private_sme, active FROM enterprises WHERE TRUE",
    );
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
    pg.query_q(&q)?
        .iter()
        .map(|r| {
            Ok(EnterpriseRow {
                code: get(r, 0)?,
                name: get(r, 1)?,
                town: get(r, 2)?,
                industry: parse_wire(get(r, 3)?)?,
                private_sme: flag(r, 4)?,
                active: flag(r, 5)?,
            })
        })
        .collect()
}

pub(crate) fn town_names(pg: &mut Pg<'_>) -> RepoResult<HashMap<String, String>> {
    pg.query("SELECT code, name FROM towns", &[])?
        .iter()
        .map(|r| Ok((get(r, 0)?, get(r, 1)?)))
        .collect()
}

pub(crate) fn towns(pg: &mut Pg<'_>) -> RepoResult<Vec<(TownRow, bool)>> {
    pg.query("SELECT code, name, active FROM towns ORDER BY code", &[])?
        .iter()
        .map(|r| {
            Ok((
                TownRow {
                    code: get(r, 0)?,
                    name: get(r, 1)?,
                },
                flag(r, 2)?,
            ))
        })
        .collect()
}

const USER_COLUMNS: &str = "username, password_hash, role, scope, active";

/// A user row from [`USER_COLUMNS`].
fn user_row(r: &Row) -> RepoResult<UserRow> {
    Ok(UserRow {
        username: get(r, 0)?,
        password_hash: get(r, 1)?,
        role: parse_wire(get(r, 2)?)?,
        scope: get(r, 3)?,
        active: flag(r, 4)?,
    })
}

pub(crate) fn users(pg: &mut Pg<'_>) -> RepoResult<Vec<UserRow>> {
    pg.query(
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"),
        &[],
    )?
    .iter()
    .map(user_row)
    .collect()
}

const ENROLLMENT_CODE_SELECT: &str =
    "SELECT c.code, c.enterprise, e.name, c.active, e.active FROM enrollment_codes c
     JOIN enterprises e ON e.code = c.enterprise";

/// An enrollment code row from [`ENROLLMENT_CODE_SELECT`].
fn enrollment_code_row(r: &Row) -> RepoResult<EnrollmentCodeRow> {
    Ok(EnrollmentCodeRow {
        code: get(r, 0)?,
        enterprise: get(r, 1)?,
        enterprise_name: get(r, 2)?,
        active: flag(r, 3)?,
        enterprise_active: flag(r, 4)?,
    })
}

pub(crate) fn enrollment_codes(pg: &mut Pg<'_>) -> RepoResult<Vec<EnrollmentCodeRow>> {
    pg.query(&format!("{ENROLLMENT_CODE_SELECT} ORDER BY c.code"), &[])?
        .iter()
        .map(enrollment_code_row)
        .collect()
}

/// The columns of a device, in the order [`device_row`] reads them (those of
/// `crate::sqlite::records`).
pub(crate) const DEVICE_COLUMNS: &str =
    "id, token_sha256, enterprise, name, enrollment_code, enrolled_at, revoked_at, worker, officer";

/// A device row from [`DEVICE_COLUMNS`].
pub(crate) fn device_row(r: &Row) -> RepoResult<DeviceRow> {
    let token: Vec<u8> = get(r, 1)?;
    Ok(DeviceRow {
        id: parse_uuid(get(r, 0)?)?,
        token_sha256: token
            .try_into()
            .map_err(|_| RepoError::Corrupt("device token".into()))?,
        enterprise: get(r, 2)?,
        name: get(r, 3)?,
        enrollment_code: get(r, 4)?,
        enrolled_at: parse_ts(get(r, 5)?)?,
        revoked_at: parse_ts_opt(get(r, 6)?)?,
        worker: get(r, 7)?,
        officer: get(r, 8)?,
    })
}

pub(crate) fn devices(pg: &mut Pg<'_>, limit: u64) -> RepoResult<Vec<DeviceRow>> {
    pg.query(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at DESC, id DESC LIMIT ?"),
        &[&int(limit)],
    )?
    .iter()
    .map(device_row)
    .collect()
}

const SITE_POINT_COLUMNS: &str = "code, enterprise, name, lat, lon, radius_m";

/// A site point from [`SITE_POINT_COLUMNS`].
fn site_point_row(r: &Row) -> RepoResult<SitePoint> {
    Ok(SitePoint {
        code: get(r, 0)?,
        enterprise: get(r, 1)?,
        name: get(r, 2)?,
        lat: get(r, 3)?,
        lon: get(r, 4)?,
        radius_m: get(r, 5)?,
    })
}

pub(crate) fn site_point(pg: &mut Pg<'_>, code: &str) -> RepoResult<Option<SitePoint>> {
    pg.query_opt(
        &format!("SELECT {SITE_POINT_COLUMNS} FROM site_points WHERE code = ?1 AND active = 1"),
        &[&code],
    )?
    .as_ref()
    .map(site_point_row)
    .transpose()
}

pub(crate) fn site_points_in_box(
    pg: &mut Pg<'_>,
    lat: (f64, f64),
    lon: (f64, f64),
) -> RepoResult<Vec<SitePoint>> {
    pg.query(
        &format!(
            "SELECT {SITE_POINT_COLUMNS} FROM site_points
             WHERE active = 1 AND lat BETWEEN ?1 AND ?2 AND lon BETWEEN ?3 AND ?4
             ORDER BY code"
        ),
        &[&lat.0, &lat.1, &lon.0, &lon.1],
    )?
    .iter()
    .map(site_point_row)
    .collect()
}

pub(crate) fn user(pg: &mut Pg<'_>, username: &str) -> RepoResult<Option<UserRow>> {
    pg.query_opt(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
        &[&username],
    )?
    .as_ref()
    .map(user_row)
    .transpose()
}

pub(crate) fn roster_password_hashes(pg: &mut Pg<'_>) -> RepoResult<HashMap<String, String>> {
    pg.query(
        "SELECT username, roster_password_hash FROM users WHERE roster_password_hash IS NOT NULL",
        &[],
    )?
    .iter()
    .map(|r| Ok((get(r, 0)?, get(r, 1)?)))
    .collect()
}

pub(crate) fn enrollment_code(
    pg: &mut Pg<'_>,
    code: &str,
) -> RepoResult<Option<EnrollmentCodeRow>> {
    pg.query_opt(
        &format!("{ENROLLMENT_CODE_SELECT} WHERE c.code = ?1"),
        &[&code],
    )?
    .as_ref()
    .map(enrollment_code_row)
    .transpose()
}

pub(crate) fn device_by_token(pg: &mut Pg<'_>, token: &[u8; 32]) -> RepoResult<Option<DeviceRow>> {
    // `token_sha256` is UNIQUE: at most one row.
    pg.query_opt(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_sha256 = ?1"),
        &[&token.as_slice()],
    )?
    .as_ref()
    .map(device_row)
    .transpose()
}

pub(crate) fn session(pg: &mut Pg<'_>, token: &[u8; 32]) -> RepoResult<Option<SessionRow>> {
    pg.query_opt(
        "SELECT username, created_at, expires_at, revoked_at, last_seen_at FROM sessions
         WHERE token_sha256 = ?1",
        &[&token.as_slice()],
    )?
    .map(|r| {
        Ok(SessionRow {
            token_sha256: *token,
            username: get(&r, 0)?,
            created_at: parse_ts(get(&r, 1)?)?,
            expires_at: parse_ts(get(&r, 2)?)?,
            revoked_at: parse_ts_opt(get(&r, 3)?)?,
            last_seen_at: parse_ts_opt(get(&r, 4)?)?,
        })
    })
    .transpose()
}

pub(crate) fn touch_session(
    pg: &mut Pg<'_>,
    token: &[u8; 32],
    at: DateTime<Utc>,
) -> RepoResult<()> {
    pg.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE token_sha256 = ?1",
        &[&token.as_slice(), &ts(at)],
    )?;
    Ok(())
}

pub(crate) fn set_district_name(pg: &mut Pg<'_>, name: &str) -> RepoResult<usize> {
    pg.execute(
        "INSERT INTO meta (key, value) VALUES ('district_name', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value
         WHERE meta.value IS DISTINCT FROM excluded.value",
        &[&name],
    )
    .map(changed)
}

pub(crate) fn upsert_town(pg: &mut Pg<'_>, t: &TownRow) -> RepoResult<usize> {
    pg.execute(
        "INSERT INTO towns (code, name) VALUES (?1, ?2)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, active = 1
         WHERE towns.name IS DISTINCT FROM excluded.name OR towns.active = 0",
        &[&t.code, &t.name],
    )
    .map(changed)
}

pub(crate) fn upsert_enterprise(pg: &mut Pg<'_>, e: &EnterpriseRow) -> RepoResult<usize> {
    pg.execute(
        "INSERT INTO enterprises (code, name, town, industry, private_sme)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, town = excluded.town,
             industry = excluded.industry, private_sme = excluded.private_sme, active = 1
         WHERE (enterprises.name, enterprises.town, enterprises.industry,
                enterprises.private_sme, enterprises.active)
            IS DISTINCT FROM (excluded.name, excluded.town, excluded.industry,
                excluded.private_sme, 1::BIGINT)",
        &[
            &e.code,
            &e.name,
            &e.town,
            &e.industry.wire_name(),
            &i64::from(e.private_sme),
        ],
    )
    .map(changed)
}

pub(crate) fn upsert_workshop(
    pg: &mut Pg<'_>,
    enterprise: &str,
    name: &str,
    position: usize,
) -> RepoResult<usize> {
    pg.execute(
        "INSERT INTO workshops (enterprise, name, position) VALUES (?1, ?2, ?3)
         ON CONFLICT (enterprise, name) DO UPDATE SET position = excluded.position, active = 1
         WHERE (workshops.position, workshops.active)
            IS DISTINCT FROM (excluded.position, 1::BIGINT)",
        &[&enterprise, &name, &(position as i64)],
    )
    .map(changed)
}

pub(crate) fn upsert_team(
    pg: &mut Pg<'_>,
    enterprise: &str,
    workshop: &str,
    name: &str,
    position: usize,
) -> RepoResult<usize> {
    pg.execute(
        "INSERT INTO teams (enterprise, workshop, name, position) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (enterprise, workshop, name) DO UPDATE
             SET position = excluded.position, active = 1
         WHERE (teams.position, teams.active) IS DISTINCT FROM (excluded.position, 1::BIGINT)",
        &[&enterprise, &workshop, &name, &(position as i64)],
    )
    .map(changed)
}

pub(crate) fn upsert_site_point(pg: &mut Pg<'_>, p: &SitePoint) -> RepoResult<usize> {
    pg.execute(
        "INSERT INTO site_points (code, enterprise, name, lat, lon, radius_m)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (code) DO UPDATE SET enterprise = excluded.enterprise, name = excluded.name,
             lat = excluded.lat, lon = excluded.lon, radius_m = excluded.radius_m, active = 1
         WHERE (site_points.enterprise, site_points.name, site_points.lat, site_points.lon,
                site_points.radius_m, site_points.active)
            IS DISTINCT FROM (excluded.enterprise, excluded.name, excluded.lat, excluded.lon,
                excluded.radius_m, 1::BIGINT)",
        &[&p.code, &p.enterprise, &p.name, &p.lat, &p.lon, &p.radius_m],
    )
    .map(changed)
}

pub(crate) fn upsert_enrollment_code(
    pg: &mut Pg<'_>,
    code: &str,
    enterprise: &str,
) -> RepoResult<usize> {
    pg.execute(
        "INSERT INTO enrollment_codes (code, enterprise) VALUES (?1, ?2)
         ON CONFLICT (code) DO UPDATE SET enterprise = excluded.enterprise, active = 1
         WHERE (enrollment_codes.enterprise, enrollment_codes.active)
            IS DISTINCT FROM (excluded.enterprise, 1::BIGINT)",
        &[&code, &enterprise],
    )
    .map(changed)
}

pub(crate) fn upsert_user(
    pg: &mut Pg<'_>,
    u: &UserRow,
    password: Option<&str>,
) -> RepoResult<usize> {
    let role = u.role.wire_name();
    match password {
        Some(hash) => pg.execute(
            "INSERT INTO users (username, password_hash, roster_password_hash, role, scope)
             VALUES (?1, ?2, ?2, ?3, ?4)
             ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
                 roster_password_hash = excluded.roster_password_hash,
                 role = excluded.role, scope = excluded.scope, active = 1
             WHERE (users.password_hash, users.roster_password_hash, users.role, users.scope,
                    users.active)
                IS DISTINCT FROM (excluded.password_hash, excluded.roster_password_hash,
                    excluded.role, excluded.scope, 1::BIGINT)",
            &[&u.username, &hash, &role, &u.scope],
        ),
        None => pg.execute(
            "UPDATE users SET role = ?2::TEXT, scope = ?3::TEXT, active = 1
             WHERE username = ?1
               AND (role, scope, active) IS DISTINCT FROM (?2::TEXT, ?3::TEXT, 1::BIGINT)",
            &[&u.username, &role, &u.scope],
        ),
    }
    .map(changed)
}

/// Deactivates the active rows of `table` whose `key` is not in `keep`, among those matching
/// `within` (a fixed condition whose `?N` placeholders are bound to `within_args`, in order;
/// `keep` is bound after them).
fn deactivate(
    pg: &mut Pg<'_>,
    table: &str,
    key: &str,
    within: &str,
    within_args: &[&str],
    keep: &[String],
) -> RepoResult<usize> {
    let keep_at = within_args.len() + 1;
    let sql = format!(
        "UPDATE {table} SET active = 0
         WHERE active = 1 AND {within} AND {key} <> ALL(?{keep_at}::TEXT[])"
    );
    let mut args: Vec<&(dyn ToSql + Sync)> = within_args
        .iter()
        .map(|a| a as &(dyn ToSql + Sync))
        .collect();
    args.push(&keep);
    pg.execute(&sql, &args).map(changed)
}

pub(crate) fn deactivate_towns(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    deactivate(pg, "towns", "code", "TRUE", &[], keep)
}

pub(crate) fn deactivate_enterprises(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    deactivate(pg, "enterprises", "code", "TRUE", &[], keep)
}

pub(crate) fn deactivate_workshops(
    pg: &mut Pg<'_>,
    enterprise: &str,
    keep: &[String],
) -> RepoResult<usize> {
    Ok(deactivate(
        pg,
        "workshops",
        "name",
        "enterprise = ?1",
        &[enterprise],
        keep,
    )? + deactivate(
        pg,
        "teams",
        "workshop",
        "enterprise = ?1",
        &[enterprise],
        keep,
    )?)
}

pub(crate) fn deactivate_teams(
    pg: &mut Pg<'_>,
    enterprise: &str,
    workshop: &str,
    keep: &[String],
) -> RepoResult<usize> {
    deactivate(
        pg,
        "teams",
        "name",
        "enterprise = ?1 AND workshop = ?2",
        &[enterprise, workshop],
        keep,
    )
}

pub(crate) fn deactivate_site_points(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    deactivate(pg, "site_points", "code", "TRUE", &[], keep)
}

pub(crate) fn deactivate_users(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    deactivate(pg, "users", "username", "TRUE", &[], keep)
}

pub(crate) fn deactivate_enrollment_codes(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    deactivate(pg, "enrollment_codes", "code", "TRUE", &[], keep)
}

pub(crate) fn set_password_hash(pg: &mut Pg<'_>, username: &str, hash: &str) -> RepoResult<bool> {
    Ok(pg.execute(
        "UPDATE users SET password_hash = ?2 WHERE username = ?1",
        &[&username, &hash],
    )? == 1)
}

pub(crate) fn insert_device(pg: &mut Pg<'_>, d: &DeviceRow) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO devices (id, token_sha256, enterprise, name, enrollment_code, enrolled_at,
             revoked_at, worker, officer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            &d.id.to_string(),
            &d.token_sha256.as_slice(),
            &d.enterprise,
            &d.name,
            &d.enrollment_code,
            &ts(d.enrolled_at),
            &d.revoked_at.map(ts),
            &d.worker,
            &d.officer,
        ],
    )?;
    Ok(())
}

pub(crate) fn revoke_device(pg: &mut Pg<'_>, id: Uuid, at: DateTime<Utc>) -> RepoResult<bool> {
    Ok(pg.execute(
        "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        &[&id.to_string(), &ts(at)],
    )? == 1)
}

pub(crate) fn insert_session(pg: &mut Pg<'_>, s: &SessionRow) -> RepoResult<()> {
    pg.execute(
        "INSERT INTO sessions (token_sha256, username, created_at, expires_at, revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            &s.token_sha256.as_slice(),
            &s.username,
            &ts(s.created_at),
            &ts(s.expires_at),
            &s.revoked_at.map(ts),
        ],
    )?;
    Ok(())
}

pub(crate) fn revoke_session(
    pg: &mut Pg<'_>,
    token: &[u8; 32],
    at: DateTime<Utc>,
) -> RepoResult<bool> {
    Ok(pg.execute(
        "UPDATE sessions SET revoked_at = ?2 WHERE token_sha256 = ?1 AND revoked_at IS NULL",
        &[&token.as_slice(), &ts(at)],
    )? == 1)
}

pub(crate) fn revoke_sessions_of(
    pg: &mut Pg<'_>,
    username: &str,
    keep: Option<&[u8; 32]>,
    at: DateTime<Utc>,
) -> RepoResult<usize> {
    pg.execute(
        "UPDATE sessions SET revoked_at = ?3
         WHERE username = ?1 AND (?2::BYTEA IS NULL OR token_sha256 <> ?2::BYTEA)
           AND revoked_at IS NULL",
        &[&username, &keep.map(|k| k.as_slice()), &ts(at)],
    )
    .map(changed)
}

pub(crate) fn counts(pg: &mut Pg<'_>) -> RepoResult<StoreCounts> {
    let r = pg.query_one(
        "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM photos),
                (SELECT count(*) FROM reports), (SELECT count(*) FROM ledger_entries),
                (SELECT count(*) FROM suggestions), (SELECT count(*) FROM report_events)",
        &[],
    )?;
    let n = |i: usize| -> RepoResult<u64> { Ok(get::<i64>(&r, i)? as u64) };
    Ok(StoreCounts {
        devices: n(0)?,
        photos: n(1)?,
        reports: n(2)?,
        ledger_entries: n(3)?,
        suggestions: n(4)?,
        report_events: n(5)?,
    })
}

#[cfg(test)]
mod tests {
    //! The same organisation script on both backends: every answer and every count of changed
    //! rows must agree (orders, tie-breaks and NULL handling included).

    use std::sync::Arc;

    use chrono::TimeZone;
    use hazardsnap_ledger::Repository;
    use hazardsnap_ledger::repo::WriteTx;
    use hazardsnap_model::{Industry, Role};

    use super::*;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    fn sorted(m: HashMap<String, String>) -> Vec<(String, String)> {
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort();
        v
    }

    fn enterprise(code: &str, town: &str, industry: Industry, sme: bool) -> EnterpriseRow {
        EnterpriseRow {
            code: code.into(),
            name: format!("企业{code}"),
            town: town.into(),
            industry,
            private_sme: sme,
            active: true,
        }
    }

    fn user_row(name: &str, role: Role, scope: Option<&str>) -> UserRow {
        UserRow {
            username: name.into(),
            password_hash: String::new(),
            role,
            scope: scope.map(str::to_owned),
            active: true,
        }
    }

    fn device(id: u128, seed: u8, enterprise: &str, at: DateTime<Utc>) -> DeviceRow {
        DeviceRow {
            id: Uuid::from_u128(id),
            token_sha256: [seed; 32],
            enterprise: enterprise.into(),
            name: format!("手机{seed}"),
            enrollment_code: format!("{enterprise}-JOIN"),
            enrolled_at: at,
            revoked_at: (seed == 3).then(|| t(2, 0)),
            worker: None,
            officer: (seed == 4).then(|| "li.si".to_owned()),
        }
    }

    /// The roster of a district; `second` is the next import (some rows changed or gone).
    fn import(tx: &mut dyn WriteTx, second: bool, out: &mut Vec<String>) -> RepoResult<()> {
        let mut n = vec![tx.set_district_name(if second { "周村区" } else { "张店区" })?];
        let towns: &[(&str, &str)] = if second {
            &[("T01", "丝绸路街道"), ("t00", "北郊镇")]
        } else {
            &[("T01", "丝绸路"), ("T02", "城北路街道"), ("t00", "北郊镇")]
        };
        for (code, name) in towns {
            n.push(tx.upsert_town(&TownRow {
                code: (*code).into(),
                name: (*name).into(),
            })?);
        }
        let mut enterprises = vec![
            enterprise("E001", "T01", Industry::HazardousChemicals, false),
            enterprise("E002", "T01", Industry::Other, second),
            enterprise("Ä010", "t00", Industry::Metallurgy, true),
        ];
        if !second {
            enterprises.push(enterprise("E003", "T02", Industry::Metallurgy, false));
            enterprises.push(enterprise("e004", "T02", Industry::Other, false));
        }
        let codes: Vec<String> = enterprises.iter().map(|e| e.code.clone()).collect();
        for e in &enterprises {
            n.push(tx.upsert_enterprise(e)?);
            n.push(tx.upsert_enrollment_code(&format!("{}-JOIN", e.code), &e.code)?);
        }
        let workshops: &[&str] = if second {
            &["一车间"]
        } else {
            &["一车间", "二车间"]
        };
        for (i, w) in workshops.iter().enumerate() {
            n.push(tx.upsert_workshop("E001", w, i + usize::from(second))?);
            n.push(tx.upsert_team("E001", w, "甲班", 0)?);
            if !second {
                n.push(tx.upsert_team("E001", w, "乙班", 1)?);
            }
        }
        for (code, lat, lon) in [("E001-P01", 36.80, 117.87), ("E001-P02", 36.9, 117.5)] {
            if second && code == "E001-P02" {
                continue;
            }
            n.push(tx.upsert_site_point(&SitePoint {
                code: code.into(),
                enterprise: "E001".into(),
                name: format!("点{code}"),
                lat,
                lon,
                radius_m: if second { 60.0 } else { 50.0 },
            })?);
        }
        n.push(tx.upsert_user(
            &user_row("zhang.san", Role::Enterprise, Some("E001")),
            Some(if second { "$h2" } else { "$h1" }),
        )?);
        n.push(tx.upsert_user(&user_row("admin", Role::District, None), Some("$a"))?);
        // Without a password: an existing user only, scope to NULL and back.
        n.push(tx.upsert_user(
            &user_row("admin", Role::District, second.then_some("T01")),
            None,
        )?);
        n.push(tx.upsert_user(&user_row("nobody", Role::Town, Some("T01")), None)?);
        if !second {
            n.push(tx.upsert_user(&user_row("wang.wu", Role::Bureau, None), Some("$w"))?);
        }
        let users: Vec<String> = if second {
            vec!["zhang.san".into(), "admin".into()]
        } else {
            vec!["zhang.san".into(), "admin".into(), "wang.wu".into()]
        };
        let town_codes: Vec<String> = towns.iter().map(|(c, _)| (*c).to_owned()).collect();
        let points: Vec<String> = if second {
            vec!["E001-P01".into()]
        } else {
            vec![]
        };
        n.push(tx.deactivate_towns(&town_codes)?);
        n.push(tx.deactivate_enterprises(&codes)?);
        let ws: Vec<String> = workshops.iter().map(|w| (*w).to_owned()).collect();
        n.push(tx.deactivate_workshops("E001", &ws)?);
        n.push(tx.deactivate_teams("E001", "一车间", &["甲班".to_owned()])?);
        n.push(tx.deactivate_site_points(&points)?);
        n.push(tx.deactivate_users(&users)?);
        let join: Vec<String> = codes.iter().map(|c| format!("{c}-JOIN")).collect();
        n.push(tx.deactivate_enrollment_codes(&join)?);
        out.push(format!("{n:?}"));
        Ok(())
    }

    /// Every read of the module.
    fn reads(
        tx: &mut dyn hazardsnap_ledger::repo::ReadTx,
        out: &mut Vec<String>,
    ) -> RepoResult<()> {
        out.push(format!("{:?}", tx.has_no_organisation()?));
        for f in [
            EnterpriseFilter::default(),
            EnterpriseFilter {
                town: Some("T01".into()),
                codes: None,
                active_only: true,
            },
            EnterpriseFilter {
                town: None,
                codes: Some(vec!["E003".into(), "Ä010".into(), "E404".into()]),
                active_only: false,
            },
            EnterpriseFilter {
                town: None,
                codes: Some(vec![]),
                active_only: false,
            },
        ] {
            out.push(format!("{:?}", tx.enterprises(&f)?));
        }
        out.push(format!("{:?}", sorted(tx.town_names()?)));
        out.push(format!("{:?}", tx.towns()?));
        out.push(format!("{:?}", tx.users()?));
        out.push(format!("{:?}", tx.enrollment_codes()?));
        for l in [0, 2, 10] {
            out.push(format!("{:?}", tx.devices(l)?));
        }
        out.push(format!("{:?}", tx.site_point("E001-P01")?));
        out.push(format!("{:?}", tx.site_point("E001-P02")?));
        out.push(format!(
            "{:?}",
            tx.site_points_in_box((36.0, 37.0), (117.0, 118.0))?
        ));
        out.push(format!(
            "{:?}",
            tx.site_points_in_box((36.80, 36.80), (117.87, 117.87))?
        ));
        for u in ["zhang.san", "admin", "nobody"] {
            out.push(format!("{:?}", tx.user(u)?));
        }
        out.push(format!("{:?}", sorted(tx.roster_password_hashes()?)));
        for c in ["E002-JOIN", "E003-JOIN", "nope"] {
            out.push(format!("{:?}", tx.enrollment_code(c)?));
        }
        for s in [1u8, 3, 9] {
            out.push(format!("{:?}", tx.device_by_token(&[s; 32])?));
        }
        for s in [1u8, 2, 3, 9] {
            out.push(format!("{:?}", tx.session(&[s; 32])?));
        }
        out.push(format!("{:?}", tx.counts()?));
        Ok(())
    }

    fn devices_and_sessions(tx: &mut dyn WriteTx, out: &mut Vec<String>) -> RepoResult<()> {
        // Two enrolled at the same moment: the id breaks the tie.
        tx.insert_device(&device(5, 1, "E001", t(1, 0)))?;
        tx.insert_device(&device(9, 2, "E002", t(1, 0)))?;
        tx.insert_device(&device(7, 3, "E001", t(1, 5)))?;
        tx.insert_device(&device(1, 4, "Ä010", t(1, 1)))?;
        out.push(format!(
            "{:?}",
            [
                tx.revoke_device(Uuid::from_u128(5), t(2, 1))?,
                tx.revoke_device(Uuid::from_u128(5), t(2, 2))?,
                tx.revoke_device(Uuid::from_u128(7), t(2, 2))?,
                tx.revoke_device(Uuid::from_u128(42), t(2, 2))?,
            ]
        ));
        for seed in [1u8, 2, 3] {
            tx.insert_session(&SessionRow {
                token_sha256: [seed; 32],
                username: if seed == 3 { "admin" } else { "zhang.san" }.into(),
                created_at: t(3, 0),
                expires_at: t(3, 12),
                revoked_at: (seed == 2).then(|| t(3, 1)),
                last_seen_at: None,
            })?;
        }
        tx.touch_session(&[1; 32], t(3, 4))?;
        tx.touch_session(&[9; 32], t(3, 4))?;
        out.push(format!(
            "{:?}",
            (
                tx.revoke_sessions_of("zhang.san", None, t(3, 6))?,
                tx.revoke_sessions_of("admin", Some(&[3; 32]), t(3, 6))?,
                tx.revoke_sessions_of("admin", Some(&[1; 32]), t(3, 7))?,
                tx.revoke_session(&[3; 32], t(3, 8))?,
                tx.revoke_session(&[3; 32], t(3, 9))?,
                tx.set_password_hash("zhang.san", "$changed")?,
                tx.set_password_hash("nobody", "$x")?,
            )
        ));
        Ok(())
    }

    async fn script(repo: Arc<dyn Repository>) -> Vec<String> {
        repo.write(|tx| {
            let mut out = Vec::new();
            reads(tx, &mut out)?;
            import(tx, false, &mut out)?;
            reads(tx, &mut out)?;
            import(tx, false, &mut out)?;
            Ok(out)
        })
        .await
        .expect("first import")
        .into_iter()
        .chain(
            repo.write(|tx| {
                let mut out = Vec::new();
                import(tx, true, &mut out)?;
                devices_and_sessions(tx, &mut out)?;
                import(tx, true, &mut out)?;
                Ok(out)
            })
            .await
            .expect("second import"),
        )
        .chain(
            repo.read(|tx| {
                let mut out = Vec::new();
                reads(tx, &mut out)?;
                Ok(out)
            })
            .await
            .expect("reads"),
        )
        .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn organisation_answers_as_on_sqlite() {
        let Some(server) = crate::postgres::testing::server_url() else {
            return;
        };
        let dir = hazardsnap_ledger::conformance::TempDir::new();
        let sqlite = crate::sqlite::SqliteRepository::open(dir.path().join("o.sqlite3"))
            .expect("open SQLite");
        let pg = crate::postgres::testing::fresh_repository(&server).await;
        let expected = script(Arc::new(sqlite)).await;
        let got = script(Arc::new(pg)).await;
        assert_eq!(expected.len(), got.len());
        for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
            assert_eq!(e, g, "answer {i} differs");
        }
    }
}
