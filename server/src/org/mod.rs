//! Loading the organisation roster (组织名册): `hazardsnap-server org import FILE` and the demo
//! district of `serve --demo`.
//!
//! Officers' passwords are hashed with Argon2id at OWASP's recommended parameters (19 MiB, two
//! passes, one lane) before they reach the store; plain text is never stored. A stored hash is
//! kept when the roster's password still verifies against it and its parameters are current,
//! so importing the same file again rewrites nothing (the hash's salt would otherwise change).

use std::collections::HashMap;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash as Phc, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use hazardsnap_model::{Roster, RosterError};

use hazardsnap_ledger::{ImportSummary, Ledger, LedgerError, PasswordHash, RosterPassword};

/// The demo district's roster (two towns, enterprises of several industries, officers of every
/// role, enrollment codes).
pub const DEMO_ROSTER: &str = include_str!("demo-roster.toml");

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The roster file is invalid; the message names line, column and field.
    #[error("{0}")]
    Roster(#[from] RosterError),
    /// Hashing a password failed.
    #[error("密码哈希失败 / password hashing failed: {0}")]
    Hash(String),
    /// The ledger refused or the storage failed.
    #[error("{0}")]
    Store(#[from] LedgerError),
    /// The hashing thread died.
    #[error("后台任务失败 / background task failed")]
    Worker(#[from] tokio::task::JoinError),
}

/// Argon2id with OWASP's minimum recommendation (m = 19 MiB, t = 2, p = 1).
fn hasher() -> Result<Argon2<'static>, ImportError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| ImportError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, ImportError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ImportError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string `stored`.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match Phc::new(stored) {
        Ok(phc) => Argon2::default()
            .verify_password(password.as_bytes(), &phc)
            .is_ok(),
        Err(_) => false,
    }
}

/// Loads or updates a roster from its TOML text.
pub async fn import_roster_text(ledger: &Ledger, text: &str) -> Result<ImportSummary, ImportError> {
    let roster = Roster::parse(text)?;
    import_roster(ledger, roster).await
}

/// Loads or updates a parsed roster.
pub async fn import_roster(ledger: &Ledger, roster: Roster) -> Result<ImportSummary, ImportError> {
    let stored = ledger.roster_password_hashes().await?;
    let users: Vec<(String, String)> = roster
        .users
        .iter()
        .map(|u| (u.username.clone(), u.password.clone()))
        .collect();
    // Argon2 is deliberately slow (tens of ms each): keep it off the async threads.
    let passwords = tokio::task::spawn_blocking(move || {
        users
            .into_iter()
            .map(|(username, password)| {
                // The roster's initial password as imported before: the officer's own password
                // (changed through the API, perhaps) stays. Anything else is a new officer or
                // the administrator's reset.
                let unchanged = stored
                    .get(&username)
                    .is_some_and(|h| verify_password(&password, h));
                let decision = if unchanged {
                    RosterPassword::Unchanged
                } else {
                    RosterPassword::Set(PasswordHash(hash_password(&password)?))
                };
                Ok((username, decision))
            })
            .collect::<Result<HashMap<_, _>, ImportError>>()
    })
    .await??;
    Ok(ledger
        .apply_roster(roster, passwords, chrono::Utc::now())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn the_demo_roster_parses() {
        let r = Roster::parse(DEMO_ROSTER).unwrap();
        assert_eq!(r.towns.len(), 2);
        for role in ["district", "town", "enterprise", "bureau"] {
            assert!(
                r.users.iter().any(|u| u.role.to_string() == role
                    || hazardsnap_model::Labelled::wire_name(u.role) == role),
                "no {role} officer"
            );
        }
        assert!(
            r.enterprises
                .iter()
                .any(|e| e.industry == hazardsnap_model::Industry::HazardousChemicals)
        );
        assert!(!r.enrollment_codes.is_empty());
    }
}
