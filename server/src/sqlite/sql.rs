//! The shared translation of scopes and predicates (`crate::sqltext`, one SQL text for both
//! backends) with SQLite's bound values.

use hazardsnap_ledger::repo::query::{EntryPredicate, Scope};

pub(crate) use crate::sqltext::{
    ENTRY, Owner, REPORT, SUGGESTION, group, int, needs_enterprise, order,
};

/// A piece of SQL with SQLite's bound values.
pub(crate) type Q = crate::sqltext::Q<rusqlite::types::Value>;

/// The scope as a condition on a thing's owner.
pub(crate) fn scope(s: &Scope, owner: &Owner) -> Q {
    crate::sqltext::scope(s, owner)
}

/// All predicates, as one condition.
pub(crate) fn all(ps: &[EntryPredicate]) -> Q {
    crate::sqltext::all(ps)
}
