//! Applying an organisation roster (组织名册) to the database.
//!
//! Importing the same roster twice must change nothing, and a changed roster updates rows but
//! never deletes one: reports, devices and ledger entries refer to enterprises, codes and users
//! that a later roster may drop. Every upsert therefore only writes when a value differs (so
//! the second import counts 0 changed rows) and whatever left the roster is deactivated.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hazardsnap_model::{Labelled, Roster};
use rusqlite::{Transaction, params};

use super::ts;
use crate::store::{ImportSummary, RosterPassword, StoreError, StoreResult};

/// Codes as a JSON array, for `NOT IN (SELECT value FROM json_each(?))`.
fn json_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    serde_json::Value::Array(items.map(serde_json::Value::from).collect()).to_string()
}

/// Applies the roster; counts the rows that changed.
pub(super) fn apply(
    tx: &Transaction<'_>,
    roster: &Roster,
    passwords: &HashMap<String, RosterPassword>,
    now: DateTime<Utc>,
) -> StoreResult<ImportSummary> {
    let mut changed = 0usize;

    changed += tx.execute(
        "INSERT INTO meta (key, value) VALUES ('district_name', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value IS NOT excluded.value",
        [&roster.district.name],
    )?;

    for t in &roster.towns {
        changed += tx.execute(
            "INSERT INTO towns (code, name) VALUES (?1, ?2)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, active = 1
             WHERE towns.name IS NOT excluded.name OR towns.active = 0",
            params![t.code, t.name],
        )?;
    }
    changed += tx.execute(
        "UPDATE towns SET active = 0
         WHERE active = 1 AND code NOT IN (SELECT value FROM json_each(?1))",
        [json_list(roster.towns.iter().map(|t| t.code.as_str()))],
    )?;

    for e in &roster.enterprises {
        changed += tx.execute(
            "INSERT INTO enterprises (code, name, town, industry, private_sme) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, town = excluded.town,
                 industry = excluded.industry, private_sme = excluded.private_sme, active = 1
             WHERE (enterprises.name, enterprises.town, enterprises.industry, enterprises.private_sme, enterprises.active)
                IS NOT (excluded.name, excluded.town, excluded.industry, excluded.private_sme, 1)",
            params![e.code, e.name, e.town, e.industry.wire_name(), e.private_sme],
        )?;

        for (wpos, w) in e.workshops.iter().enumerate() {
            changed += tx.execute(
                "INSERT INTO workshops (enterprise, name, position) VALUES (?1, ?2, ?3)
                 ON CONFLICT (enterprise, name) DO UPDATE SET position = excluded.position, active = 1
                 WHERE (workshops.position, workshops.active) IS NOT (excluded.position, 1)",
                params![e.code, w.name, wpos as i64],
            )?;
            for (tpos, team) in w.teams.iter().enumerate() {
                changed += tx.execute(
                    "INSERT INTO teams (enterprise, workshop, name, position) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (enterprise, workshop, name) DO UPDATE SET position = excluded.position, active = 1
                     WHERE (teams.position, teams.active) IS NOT (excluded.position, 1)",
                    params![e.code, w.name, team, tpos as i64],
                )?;
            }
            changed += tx.execute(
                "UPDATE teams SET active = 0
                 WHERE enterprise = ?1 AND workshop = ?2 AND active = 1
                   AND name NOT IN (SELECT value FROM json_each(?3))",
                params![
                    e.code,
                    w.name,
                    json_list(w.teams.iter().map(String::as_str))
                ],
            )?;
        }
        changed += tx.execute(
            "UPDATE workshops SET active = 0
             WHERE enterprise = ?1 AND active = 1 AND name NOT IN (SELECT value FROM json_each(?2))",
            params![e.code, json_list(e.workshops.iter().map(|w| w.name.as_str()))],
        )?;
        changed += tx.execute(
            "UPDATE teams SET active = 0
             WHERE enterprise = ?1 AND active = 1 AND workshop NOT IN (SELECT value FROM json_each(?2))",
            params![e.code, json_list(e.workshops.iter().map(|w| w.name.as_str()))],
        )?;

        for p in &e.site_points {
            changed += tx.execute(
                "INSERT INTO site_points (code, enterprise, name, lat, lon, radius_m) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (code) DO UPDATE SET enterprise = excluded.enterprise, name = excluded.name,
                     lat = excluded.lat, lon = excluded.lon, radius_m = excluded.radius_m, active = 1
                 WHERE (site_points.enterprise, site_points.name, site_points.lat, site_points.lon, site_points.radius_m, site_points.active)
                    IS NOT (excluded.enterprise, excluded.name, excluded.lat, excluded.lon, excluded.radius_m, 1)",
                params![p.code, e.code, p.name, p.lat, p.lon, p.radius_m],
            )?;
        }
    }
    changed += tx.execute(
        "UPDATE enterprises SET active = 0
         WHERE active = 1 AND code NOT IN (SELECT value FROM json_each(?1))",
        [json_list(
            roster.enterprises.iter().map(|e| e.code.as_str()),
        )],
    )?;
    changed += tx.execute(
        "UPDATE site_points SET active = 0
         WHERE active = 1 AND code NOT IN (SELECT value FROM json_each(?1))",
        [json_list(roster.enterprises.iter().flat_map(|e| {
            e.site_points.iter().map(|p| p.code.as_str())
        }))],
    )?;

    for u in &roster.users {
        let password = passwords.get(&u.username).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "no password decision given for user {}",
                u.username
            ))
        })?;
        match password {
            RosterPassword::Set(hash) => {
                let n = tx.execute(
                    "INSERT INTO users (username, password_hash, roster_password_hash, role, scope)
                     VALUES (?1, ?2, ?2, ?3, ?4)
                     ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
                         roster_password_hash = excluded.roster_password_hash,
                         role = excluded.role, scope = excluded.scope, active = 1",
                    params![u.username, hash.0, u.role.wire_name(), u.scope],
                )?;
                // A reset: whoever held the old password may hold a session.
                tx.execute(
                    "UPDATE sessions SET revoked_at = ?2 WHERE username = ?1 AND revoked_at IS NULL",
                    params![u.username, ts(now)],
                )?;
                changed += n;
            }
            RosterPassword::Unchanged => {
                changed += tx.execute(
                    "UPDATE users SET role = ?2, scope = ?3, active = 1
                     WHERE username = ?1
                       AND (role, scope, active) IS NOT (?2, ?3, 1)",
                    params![u.username, u.role.wire_name(), u.scope],
                )?;
            }
        }
    }
    changed += tx.execute(
        "UPDATE users SET active = 0
         WHERE active = 1 AND username NOT IN (SELECT value FROM json_each(?1))",
        [json_list(roster.users.iter().map(|u| u.username.as_str()))],
    )?;

    for c in &roster.enrollment_codes {
        changed += tx.execute(
            "INSERT INTO enrollment_codes (code, enterprise) VALUES (?1, ?2)
             ON CONFLICT (code) DO UPDATE SET enterprise = excluded.enterprise, active = 1
             WHERE (enrollment_codes.enterprise, enrollment_codes.active) IS NOT (excluded.enterprise, 1)",
            params![c.code, c.enterprise],
        )?;
    }
    changed += tx.execute(
        "UPDATE enrollment_codes SET active = 0
         WHERE active = 1 AND code NOT IN (SELECT value FROM json_each(?1))",
        [json_list(
            roster.enrollment_codes.iter().map(|c| c.code.as_str()),
        )],
    )?;

    Ok(ImportSummary {
        towns: roster.towns.len(),
        enterprises: roster.enterprises.len(),
        users: roster.users.len(),
        enrollment_codes: roster.enrollment_codes.len(),
        changed_rows: changed,
    })
}
