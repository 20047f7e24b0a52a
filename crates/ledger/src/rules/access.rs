//! Who is asking (访问): enrolled phones and officers' sessions, and the rules of both — a
//! revoked phone is nobody, a session is live until it expires or is ended, a deactivated
//! officer has no session, a password change ends every other session.
//!
//! Tokens never reach this layer in plain text: the HTTP layer hashes them (SHA-256) and the
//! rules compare hashes. Passwords arrive already hashed (Argon2id) for the same reason.

use chrono::{DateTime, Utc};
use hazardsnap_model::{EnterpriseRef, Jurisdiction, Role};
use uuid::Uuid;

use crate::error::{LedgerError, LedgerResult};
use crate::repo::rows::{DeviceRow, SessionRow};
use crate::service::Ledger;

/// An enrolled phone (设备).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its id.
    pub id: Uuid,
    /// Code of the enterprise it is enrolled to.
    pub enterprise: String,
}

/// An officer (工会/安监 人员), as known from a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Town or enterprise code of the role's jurisdiction.
    pub scope: Option<String>,
}

impl Officer {
    /// The officer's jurisdiction (辖区); `None` for a role whose scope is missing (a roster
    /// error: such an account sees nothing rather than everything).
    pub fn jurisdiction(&self) -> Option<Jurisdiction> {
        match (self.role, self.scope.as_deref()) {
            (Role::District, _) => Some(Jurisdiction::District),
            (Role::Bureau, _) => Some(Jurisdiction::Bureau),
            (Role::Town, Some(t)) => Some(Jurisdiction::Town { town: t.to_owned() }),
            (Role::Enterprise, Some(e)) => Some(Jurisdiction::Enterprise {
                enterprise: e.to_owned(),
            }),
            _ => None,
        }
    }
}

/// An officer acting, with the jurisdiction every read and action of theirs is cut to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who.
    pub officer: Officer,
    /// Their jurisdiction.
    pub jurisdiction: Jurisdiction,
}

impl Actor {
    /// The actor of an officer; `None` when the officer's jurisdiction is unresolvable.
    pub fn of(officer: Officer) -> Option<Actor> {
        let jurisdiction = officer.jurisdiction()?;
        Some(Actor {
            officer,
            jurisdiction,
        })
    }

    /// The username, for the history.
    pub fn name(&self) -> &str {
        &self.officer.username
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.officer.role
    }
}

/// Who a bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A phone.
    Device(Device),
    /// An officer with a live session.
    Officer(Officer),
}

/// What a successful enrollment made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// The new device's id.
    pub device_id: Uuid,
    /// Its enterprise.
    pub enterprise: EnterpriseRef,
}

/// An active worker of `enterprise` by code, or the refusal naming it.
fn worker_of(
    tx: &mut dyn crate::repo::ReadTx,
    code: &str,
    enterprise: &str,
) -> LedgerResult<String> {
    match tx.worker(code)? {
        Some(w) if w.active && w.enterprise == enterprise => Ok(w.code),
        _ => Err(LedgerError::invalid(
            "unknown_worker",
            format!(
                "本企业名册中没有职工编码「{code}」/ no worker '{code}' in the enterprise's roster"
            ),
        )),
    }
}

/// Whether a session is live at `now`: not ended, not past its end, and used within the
/// idle timeout (counted from its opening until it is first used).
fn live(s: &SessionRow, now: DateTime<Utc>, idle: chrono::Duration) -> bool {
    let last = s.last_seen_at.unwrap_or(s.created_at);
    s.revoked_at.is_none() && s.expires_at > now && now - last < idle
}

/// A session's last use is recorded at most this often (one write per minute, not per
/// request).
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

impl Ledger {
    /// Turns an active enrollment code of an active enterprise into a device whose token
    /// hashes to `token_sha256`. `None` when the code is unknown or inactive.
    pub async fn enroll(
        &self,
        code: String,
        device_name: String,
        worker: Option<String>,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<Enrolled>> {
        self.repo
            .write(move |tx| {
                let Some(c) = tx.enrollment_code(&code)? else {
                    return Ok(None);
                };
                if !(c.active && c.enterprise_active) {
                    return Ok(None);
                }
                let worker = match worker.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
                    None => None,
                    Some(w) => Some(worker_of(tx, w, &c.enterprise)?),
                };
                let device_id = Uuid::now_v7();
                tx.insert_device(&DeviceRow {
                    id: device_id,
                    token_sha256,
                    enterprise: c.enterprise.clone(),
                    // The name is shown to the enterprise: a mobile number in it is masked.
                    name: hazardsnap_model::privacy::stored_text(&device_name),
                    enrollment_code: c.code,
                    enrolled_at: now,
                    revoked_at: None,
                    worker,
                    officer: None,
                })?;
                Ok(Some(Enrolled {
                    device_id,
                    enterprise: EnterpriseRef {
                        code: c.enterprise,
                        name: c.enterprise_name,
                    },
                }))
            })
            .await
    }

    /// Links an enrolled phone to a worker of its enterprise (or unlinks it), for an officer
    /// whose jurisdiction holds the phone's enterprise.
    pub async fn link_device_worker(
        &self,
        actor: &Actor,
        device: Uuid,
        worker: Option<String>,
    ) -> LedgerResult<()> {
        if actor.role() == Role::Bureau {
            return Err(LedgerError::forbidden(
                "forbidden",
                "安监局不管理手机 / the bureau does not manage phones",
            ));
        }
        let scope = actor.jurisdiction.scope();
        self.repo
            .write(move |tx| {
                let d = tx.device(device)?.ok_or(LedgerError::NotFound)?;
                let e = crate::rules::training::enterprise(tx, &d.enterprise)?
                    .ok_or(LedgerError::NotFound)?;
                if d.officer.is_some() || !crate::rules::training::in_scope(&scope, &e) {
                    return Err(LedgerError::NotFound);
                }
                let worker = match worker.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
                    None => None,
                    Some(w) => Some(worker_of(tx, w, &d.enterprise)?),
                };
                tx.set_device_worker(device, worker.as_deref())?;
                Ok(())
            })
            .await
    }

    /// Who the token with this hash belongs to, if it is live: an unrevoked device, else the
    /// live session of an active officer.
    pub async fn authenticate(
        &self,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<Principal>> {
        let idle = self.settings.session_idle;
        let (who, touch) = self
            .repo
            .read(move |tx| {
                if let Some(d) = tx.device_by_token(&token_sha256)? {
                    if d.revoked_at.is_none() {
                        let device = Principal::Device(Device {
                            id: d.id,
                            enterprise: d.enterprise,
                        });
                        return Ok((Some(device), false));
                    }
                    return Ok((None, false));
                }
                let Some(s) = tx.session(&token_sha256)? else {
                    return Ok((None, false));
                };
                if !live(&s, now, idle) {
                    return Ok((None, false));
                }
                let touch = s.last_seen_at.is_none_or(|t| now - t >= TOUCH_EVERY);
                let officer = tx.user(&s.username)?.filter(|u| u.active).map(|u| {
                    Principal::Officer(Officer {
                        username: u.username,
                        role: u.role,
                        scope: u.scope,
                    })
                });
                Ok((officer, touch))
            })
            .await?;
        if touch && who.is_some() {
            self.repo
                .write(move |tx| Ok(tx.touch_session(&token_sha256, now)?))
                .await?;
        }
        Ok(who)
    }

    /// Revokes a device's token (a lost phone). `false` when no such live device exists.
    pub async fn revoke_device(&self, device_id: Uuid, now: DateTime<Utc>) -> LedgerResult<bool> {
        self.repo
            .write(move |tx| Ok(tx.revoke_device(device_id, now)?))
            .await
    }

    /// The stored password hash of an active officer.
    pub async fn password_hash(&self, username: String) -> LedgerResult<Option<String>> {
        self.repo
            .read(move |tx| {
                Ok(tx
                    .user(&username)?
                    .filter(|u| u.active)
                    .map(|u| u.password_hash))
            })
            .await
    }

    /// Opens a session for an active officer; `None` when the officer is unknown or
    /// inactive, else who it belongs to.
    pub async fn open_session(
        &self,
        username: String,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> LedgerResult<Option<Officer>> {
        self.repo
            .write(move |tx| {
                let Some(u) = tx.user(&username)?.filter(|u| u.active) else {
                    return Ok(None);
                };
                tx.insert_session(&SessionRow {
                    token_sha256,
                    username: u.username.clone(),
                    created_at: now,
                    expires_at,
                    revoked_at: None,
                    last_seen_at: None,
                })?;
                Ok(Some(Officer {
                    username: u.username,
                    role: u.role,
                    scope: u.scope,
                }))
            })
            .await
    }

    /// Ends a session (logout). `false` when it was not live.
    pub async fn end_session(
        &self,
        token_sha256: [u8; 32],
        now: DateTime<Utc>,
    ) -> LedgerResult<bool> {
        self.repo
            .write(move |tx| Ok(tx.revoke_session(&token_sha256, now)?))
            .await
    }

    /// Replaces an officer's password hash and ends every other session of theirs: whoever
    /// knew the old password may hold one.
    pub async fn set_password(
        &self,
        username: String,
        password_hash: String,
        keep_session: [u8; 32],
        now: DateTime<Utc>,
    ) -> LedgerResult<bool> {
        self.repo
            .write(move |tx| {
                if tx.user(&username)?.is_none_or(|u| !u.active) {
                    return Ok(false);
                }
                let changed = tx.set_password_hash(&username, &password_hash)?;
                tx.revoke_sessions_of(&username, Some(&keep_session), now)?;
                Ok(changed)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_less_town_officer_sees_nothing() {
        let o = Officer {
            username: "t".into(),
            role: Role::Town,
            scope: None,
        };
        assert!(Actor::of(o).is_none());
        let d = Officer {
            username: "d".into(),
            role: Role::District,
            scope: None,
        };
        assert_eq!(
            Actor::of(d).map(|a| a.jurisdiction),
            Some(Jurisdiction::District)
        );
    }
}
