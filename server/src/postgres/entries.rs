//! STUB (being written): the PostgreSQL counterpart of `crate::sqlite::entries`.
#![allow(unused_variables, unused_imports, dead_code)]

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hazardsnap_ledger::repo::query::*;
use hazardsnap_ledger::repo::rows::*;
use hazardsnap_ledger::{RepoError, RepoResult};
use uuid::Uuid;

use super::pg::Pg;

fn pending() -> RepoError {
    RepoError::Worker("PostgreSQL backend: entries not written yet".into())
}

pub(crate) fn entry(pg: &mut Pg<'_>, scope: &Scope, id: Uuid) -> RepoResult<Option<EntryRecord>> {
    Err(pending())
}

pub(crate) fn entries(pg: &mut Pg<'_>, query: &EntryQuery) -> RepoResult<Vec<EntryRecord>> {
    Err(pending())
}

pub(crate) fn count(
    pg: &mut Pg<'_>,
    scope: &Scope,
    filter: &[EntryPredicate],
    group: EntryGroup,
) -> RepoResult<Tally> {
    Err(pending())
}

pub(crate) fn count_by_site(
    pg: &mut Pg<'_>,
    scope: &Scope,
    statuses: &[hazardsnap_model::LedgerStatus],
) -> RepoResult<Tally> {
    Err(pending())
}

pub(crate) fn history_of(
    pg: &mut Pg<'_>,
    ids: &[Uuid],
) -> RepoResult<HashMap<Uuid, Vec<HistoryEvent>>> {
    Err(pending())
}

pub(crate) fn photos_of(pg: &mut Pg<'_>, ids: &[Uuid]) -> RepoResult<HashMap<Uuid, Vec<String>>> {
    Err(pending())
}

pub(crate) fn insert(pg: &mut Pg<'_>, e: &EntryRow) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn update(pg: &mut Pg<'_>, e: &EntryRow) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn add_photo(
    pg: &mut Pg<'_>,
    entry: Uuid,
    sha256: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    Err(pending())
}


pub(crate) fn next_seq(
    pg: &mut Pg<'_>,
    enterprise: &str,
    year: i32,
    series: &str,
) -> RepoResult<i64> {
    Err(pending())
}

/// Inserts one history event (called at commit by `Pg::flush`, under the history lock).
pub(crate) fn insert_history(pg: &mut Pg<'_>, entry: Uuid, event: &HistoryEvent) -> RepoResult<()> {
    Err(pending())
}

/// An entry inside `scope`, loaded `FOR UPDATE OF le`.
pub(crate) fn lock_entry(pg: &mut Pg<'_>, scope: &Scope, id: Uuid) -> RepoResult<Option<EntryRecord>> {
    Err(pending())
}
