//! STUB (being written): the PostgreSQL counterpart of `crate::sqlite::dedup`.
#![allow(unused_variables, unused_imports, dead_code)]

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hazardsnap_ledger::repo::query::*;
use hazardsnap_ledger::repo::rows::*;
use hazardsnap_ledger::{RepoError, RepoResult};
use uuid::Uuid;

use super::pg::Pg;

fn pending() -> RepoError {
    RepoError::Worker("PostgreSQL backend: dedup not written yet".into())
}

pub(crate) fn candidates(pg: &mut Pg<'_>, q: &CandidateQuery) -> RepoResult<CandidateHits> {
    Err(pending())
}

pub(crate) fn open_facts(
    pg: &mut Pg<'_>,
    enterprise: &str,
    report: Uuid,
) -> RepoResult<StoredFacts> {
    Err(pending())
}



pub(crate) fn open_index_drift(pg: &mut Pg<'_>) -> RepoResult<Vec<String>> {
    Err(pending())
}
