//! Administration (系统管理), the district's alone: the officers and their scopes, the
//! enrollment codes, the enrolled phones (revoking a lost one), and a preview of what a roster
//! import would change before it is applied.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use hazardsnap_model::{Labelled, Role, Roster};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{LedgerError, LedgerResult};
use crate::repo::query::EnterpriseFilter;
use crate::repo::rows::EnrollmentCodeRow;
use crate::rules::access::Actor;
use crate::service::Ledger;

/// Phones listed at most.
const MAX_DEVICES: u64 = 2000;

/// An officer account as the administration page shows it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficerView {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Town or enterprise code.
    pub scope: Option<String>,
    /// Still in the roster.
    pub active: bool,
}

/// An enrolled phone as the administration page shows it (no token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceView {
    /// Id.
    pub id: Uuid,
    /// Enterprise code.
    pub enterprise: String,
    /// Name the worker gave it.
    pub name: String,
    /// Enrolled at.
    pub enrolled_at: DateTime<Utc>,
    /// Revoked at.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a roster import would do to one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterChange {
    /// `town`, `enterprise`, `officer`, `enrollment_code`, `site_point`.
    pub kind: &'static str,
    /// Its code or username.
    pub key: String,
    /// `add`, `update` or `deactivate`.
    pub change: &'static str,
    /// What differs (for updates), as text.
    pub detail: String,
}

fn district_only(actor: &Actor) -> LedgerResult<()> {
    if actor.role() == Role::District {
        Ok(())
    } else {
        Err(LedgerError::forbidden(
            "forbidden",
            "仅区总工会可以管理 / only the district may administer",
        ))
    }
}

/// The changes of `old` (key → (value, active)) into `new` (key → value).
fn diff(
    kind: &'static str,
    old: &HashMap<String, (String, bool)>,
    new: &BTreeMap<String, String>,
    out: &mut Vec<RosterChange>,
) {
    for (key, value) in new {
        match old.get(key) {
            None => out.push(RosterChange {
                kind,
                key: key.clone(),
                change: "add",
                detail: value.clone(),
            }),
            Some((was, active)) if was != value || !active => out.push(RosterChange {
                kind,
                key: key.clone(),
                change: "update",
                detail: if was == value {
                    format!("重新启用 / reactivated: {value}")
                } else {
                    format!("{was} → {value}")
                },
            }),
            Some(_) => {}
        }
    }
    let mut leaving: Vec<&String> = old
        .iter()
        .filter(|(k, (_, active))| *active && !new.contains_key(*k))
        .map(|(k, _)| k)
        .collect();
    leaving.sort();
    for key in leaving {
        out.push(RosterChange {
            kind,
            key: key.clone(),
            change: "deactivate",
            detail: old[key].0.clone(),
        });
    }
}

impl Ledger {
    /// Every officer account (district only).
    pub async fn officers(&self, actor: &Actor) -> LedgerResult<Vec<OfficerView>> {
        district_only(actor)?;
        self.repo
            .read(|tx| {
                Ok(tx
                    .users()?
                    .into_iter()
                    .map(|u| OfficerView {
                        username: u.username,
                        role: u.role,
                        scope: u.scope,
                        active: u.active,
                    })
                    .collect())
            })
            .await
    }

    /// Every enrollment code (district only).
    pub async fn enrollment_codes(&self, actor: &Actor) -> LedgerResult<Vec<EnrollmentCodeRow>> {
        district_only(actor)?;
        self.repo.read(|tx| Ok(tx.enrollment_codes()?)).await
    }

    /// The enrolled phones, newest first (district only).
    pub async fn devices(&self, actor: &Actor) -> LedgerResult<Vec<DeviceView>> {
        district_only(actor)?;
        self.repo
            .read(|tx| {
                Ok(tx
                    .devices(MAX_DEVICES)?
                    .into_iter()
                    .map(|d| DeviceView {
                        id: d.id,
                        enterprise: d.enterprise,
                        name: d.name,
                        enrolled_at: d.enrolled_at,
                        revoked_at: d.revoked_at,
                    })
                    .collect())
            })
            .await
    }

    /// Revokes a lost phone's token (district only); not found when there is no such live
    /// phone.
    pub async fn revoke_phone(
        &self,
        actor: &Actor,
        device: Uuid,
        now: DateTime<Utc>,
    ) -> LedgerResult<()> {
        district_only(actor)?;
        if self.revoke_device(device, now).await? {
            Ok(())
        } else {
            Err(LedgerError::NotFound)
        }
    }

    /// What importing `roster` would change (district only), before it is applied.
    /// Passwords are not compared here: a changed initial password is the import's own
    /// decision, made while hashing.
    pub async fn roster_preview(
        &self,
        actor: &Actor,
        roster: Roster,
    ) -> LedgerResult<Vec<RosterChange>> {
        district_only(actor)?;
        self.repo
            .read(move |tx| {
                let mut out = Vec::new();
                let towns: HashMap<String, (String, bool)> = tx
                    .towns()?
                    .into_iter()
                    .map(|(t, active)| (t.code, (t.name, active)))
                    .collect();
                let new_towns = roster
                    .towns
                    .iter()
                    .map(|t| (t.code.clone(), t.name.clone()))
                    .collect();
                diff("town", &towns, &new_towns, &mut out);
                let describe = |name: &str, town: &str, industry: &str, sme: bool| {
                    format!(
                        "{name}，{town}，{industry}{}",
                        if sme { "，非公中小企业" } else { "" }
                    )
                };
                let enterprises: HashMap<String, (String, bool)> = tx
                    .enterprises(&EnterpriseFilter::default())?
                    .into_iter()
                    .map(|e| {
                        let d = describe(&e.name, &e.town, e.industry.label_zh(), e.private_sme);
                        (e.code, (d, e.active))
                    })
                    .collect();
                let new_enterprises = roster
                    .enterprises
                    .iter()
                    .map(|e| {
                        let d = describe(&e.name, &e.town, e.industry.label_zh(), e.private_sme);
                        (e.code.clone(), d)
                    })
                    .collect();
                diff("enterprise", &enterprises, &new_enterprises, &mut out);
                let officer = |role: Role, scope: &Option<String>| {
                    format!(
                        "{}{}",
                        role.label_zh(),
                        scope
                            .as_deref()
                            .map(|s| format!(" {s}"))
                            .unwrap_or_default()
                    )
                };
                let users: HashMap<String, (String, bool)> = tx
                    .users()?
                    .into_iter()
                    .map(|u| (u.username, (officer(u.role, &u.scope), u.active)))
                    .collect();
                let new_users = roster
                    .users
                    .iter()
                    .map(|u| (u.username.clone(), officer(u.role, &u.scope)))
                    .collect();
                diff("officer", &users, &new_users, &mut out);
                let codes: HashMap<String, (String, bool)> = tx
                    .enrollment_codes()?
                    .into_iter()
                    .map(|c| (c.code, (c.enterprise, c.active)))
                    .collect();
                let new_codes = roster
                    .enrollment_codes
                    .iter()
                    .map(|c| (c.code.clone(), c.enterprise.clone()))
                    .collect();
                diff("enrollment_code", &codes, &new_codes, &mut out);
                let points: HashMap<String, (String, bool)> = tx
                    .site_points_in_box((-90.0, 90.0), (-180.0, 180.0))?
                    .into_iter()
                    .map(|p| {
                        let d = format!(
                            "{} {}，{:.5},{:.5}，{} m",
                            p.enterprise, p.name, p.lat, p.lon, p.radius_m
                        );
                        (p.code, (d, true))
                    })
                    .collect();
                let new_points = roster
                    .enterprises
                    .iter()
                    .flat_map(|e| {
                        e.site_points.iter().map(move |p| {
                            (
                                p.code.clone(),
                                format!(
                                    "{} {}，{:.5},{:.5}，{} m",
                                    e.code, p.name, p.lat, p.lon, p.radius_m
                                ),
                            )
                        })
                    })
                    .collect();
                diff("site_point", &points, &new_points, &mut out);
                Ok(out)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_names_additions_updates_and_departures() {
        let old: HashMap<String, (String, bool)> = [
            ("A".to_owned(), ("甲".to_owned(), true)),
            ("B".to_owned(), ("乙".to_owned(), true)),
            ("C".to_owned(), ("丙".to_owned(), false)),
            ("D".to_owned(), ("丁".to_owned(), true)),
        ]
        .into();
        let new: BTreeMap<String, String> = [
            ("A".to_owned(), "甲".to_owned()),
            ("B".to_owned(), "乙二".to_owned()),
            ("C".to_owned(), "丙".to_owned()),
            ("E".to_owned(), "戊".to_owned()),
        ]
        .into();
        let mut out = Vec::new();
        diff("town", &old, &new, &mut out);
        let got: Vec<(&str, &str)> = out.iter().map(|c| (c.key.as_str(), c.change)).collect();
        assert_eq!(
            got,
            [
                ("B", "update"),
                ("C", "update"),
                ("E", "add"),
                ("D", "deactivate")
            ]
        );
    }
}
