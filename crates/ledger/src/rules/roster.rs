//! Applying an organisation roster (组织名册导入).
//!
//! Importing the same roster twice changes nothing, and a changed roster updates rows but
//! never deletes one: reports, devices and ledger entries refer to enterprises, codes and
//! officers that a later roster may drop, so whatever left the roster is deactivated. The
//! roster carries each officer's *initial* password: one an officer changed is kept on every
//! later import; a different initial password in the roster is the administrator's reset,
//! which replaces it and ends that officer's sessions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hazardsnap_model::Roster;

use crate::error::{LedgerResult, RepoError};
use crate::repo::rows::{EnterpriseRow, SitePoint, TownRow, UserRow, WorkerRow};
use crate::service::Ledger;

/// An officer's password as the import hands it over: already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

/// What an import does with one officer's password (密码).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterPassword {
    /// The roster's initial password is the one imported before: leave both hashes alone.
    Unchanged,
    /// A new officer, or a reset: this hash becomes both the initial and the current password.
    Set(PasswordHash),
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Towns in the roster.
    pub towns: usize,
    /// Enterprises in the roster.
    pub enterprises: usize,
    /// Officers in the roster.
    pub users: usize,
    /// Enrollment codes in the roster.
    pub enrollment_codes: usize,
    /// Workers in the roster.
    pub workers: usize,
    /// Rows inserted, updated or deactivated: 0 when the same roster is imported again.
    pub changed_rows: usize,
}

fn codes<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    items.map(str::to_owned).collect()
}

impl Ledger {
    /// Whether no organisation was ever imported (for `--demo`).
    pub async fn has_no_organisation(&self) -> LedgerResult<bool> {
        self.repo.read(|tx| Ok(tx.has_no_organisation()?)).await
    }

    /// The hash of the initial password each officer got from the last import, by username,
    /// so a re-import can tell an unchanged roster password from a reset.
    pub async fn roster_password_hashes(&self) -> LedgerResult<HashMap<String, String>> {
        self.repo.read(|tx| Ok(tx.roster_password_hashes()?)).await
    }

    /// Loads or updates the roster in one transaction. `passwords` says, for every officer,
    /// whether their password is set from the roster or left as it is.
    pub async fn apply_roster(
        &self,
        roster: Roster,
        passwords: HashMap<String, RosterPassword>,
        now: DateTime<Utc>,
    ) -> LedgerResult<ImportSummary> {
        self.repo
            .write(move |tx| {
                let mut changed = tx.set_district_name(&roster.district.name)?;
                for t in &roster.towns {
                    changed += tx.upsert_town(&TownRow {
                        code: t.code.clone(),
                        name: t.name.clone(),
                    })?;
                }
                changed +=
                    tx.deactivate_towns(&codes(roster.towns.iter().map(|t| t.code.as_str())))?;
                for e in &roster.enterprises {
                    changed += tx.upsert_enterprise(&EnterpriseRow {
                        code: e.code.clone(),
                        name: e.name.clone(),
                        town: e.town.clone(),
                        industry: e.industry,
                        private_sme: e.private_sme,
                        active: true,
                    })?;
                    for (wpos, w) in e.workshops.iter().enumerate() {
                        changed += tx.upsert_workshop(&e.code, &w.name, wpos)?;
                        for (tpos, team) in w.teams.iter().enumerate() {
                            changed += tx.upsert_team(&e.code, &w.name, team, tpos)?;
                        }
                        changed += tx.deactivate_teams(&e.code, &w.name, &w.teams)?;
                    }
                    changed += tx.deactivate_workshops(
                        &e.code,
                        &codes(e.workshops.iter().map(|w| w.name.as_str())),
                    )?;
                    for p in &e.site_points {
                        changed += tx.upsert_site_point(&SitePoint {
                            code: p.code.clone(),
                            enterprise: e.code.clone(),
                            name: p.name.clone(),
                            lat: p.lat,
                            lon: p.lon,
                            radius_m: p.radius_m,
                        })?;
                    }
                }
                changed += tx.deactivate_enterprises(&codes(
                    roster.enterprises.iter().map(|e| e.code.as_str()),
                ))?;
                changed += tx.deactivate_site_points(&codes(
                    roster
                        .enterprises
                        .iter()
                        .flat_map(|e| e.site_points.iter().map(|p| p.code.as_str())),
                ))?;
                for u in &roster.users {
                    let password = passwords.get(&u.username).ok_or_else(|| {
                        RepoError::Corrupt(format!(
                            "no password decision given for user {}",
                            u.username
                        ))
                    })?;
                    let row = UserRow {
                        username: u.username.clone(),
                        password_hash: String::new(),
                        role: u.role,
                        scope: u.scope.clone(),
                        active: true,
                    };
                    match password {
                        RosterPassword::Set(hash) => {
                            changed += tx.upsert_user(&row, Some(&hash.0))?;
                            // A reset: whoever held the old password may hold a session.
                            tx.revoke_sessions_of(&u.username, None, now)?;
                        }
                        RosterPassword::Unchanged => changed += tx.upsert_user(&row, None)?,
                    }
                }
                changed +=
                    tx.deactivate_users(&codes(roster.users.iter().map(|u| u.username.as_str())))?;
                for c in &roster.enrollment_codes {
                    changed += tx.upsert_enrollment_code(&c.code, &c.enterprise)?;
                }
                changed += tx.deactivate_enrollment_codes(&codes(
                    roster.enrollment_codes.iter().map(|c| c.code.as_str()),
                ))?;
                for w in &roster.workers {
                    changed += tx.upsert_worker(&WorkerRow {
                        code: w.code.clone(),
                        name: w.name.clone(),
                        enterprise: w.enterprise.clone(),
                        workshop: w.workshop.clone(),
                        team: w.team.clone(),
                        active: true,
                    })?;
                }
                changed +=
                    tx.deactivate_workers(&codes(roster.workers.iter().map(|w| w.code.as_str())))?;
                Ok(ImportSummary {
                    workers: roster.workers.len(),
                    towns: roster.towns.len(),
                    enterprises: roster.enterprises.len(),
                    users: roster.users.len(),
                    enrollment_codes: roster.enrollment_codes.len(),
                    changed_rows: changed,
                })
            })
            .await
    }
}
