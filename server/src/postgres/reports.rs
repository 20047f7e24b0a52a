//! STUB (being written): the PostgreSQL counterpart of `crate::sqlite::reports`.
#![allow(unused_variables, unused_imports, dead_code)]

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hazardsnap_ledger::repo::query::*;
use hazardsnap_ledger::repo::rows::*;
use hazardsnap_ledger::{RepoError, RepoResult};
use uuid::Uuid;

use hazardsnap_photo::Fingerprint;

use super::pg::Pg;

fn pending() -> RepoError {
    RepoError::Worker("PostgreSQL backend: reports not written yet".into())
}

pub(crate) fn fingerprint(sha: String, phash: Vec<u8>, scene: Vec<u8>) -> RepoResult<Fingerprint> {
    Err(pending())
}

pub(crate) fn photo_sizes(pg: &mut Pg<'_>, names: &[String]) -> RepoResult<HashMap<String, u64>> {
    Err(pending())
}

pub(crate) fn fingerprints(pg: &mut Pg<'_>, names: &[String]) -> RepoResult<Vec<Fingerprint>> {
    Err(pending())
}

pub(crate) fn photo_in_scope(pg: &mut Pg<'_>, scope: &Scope, sha256: &str) -> RepoResult<bool> {
    Err(pending())
}

pub(crate) fn insert_photo(pg: &mut Pg<'_>, p: &PhotoRecord, at: DateTime<Utc>) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn photo_uploads_since(
    pg: &mut Pg<'_>,
    device: Uuid,
    since: DateTime<Utc>,
) -> RepoResult<PhotoUploads> {
    Err(pending())
}

pub(crate) fn key(pg: &mut Pg<'_>, id: Uuid) -> RepoResult<Option<StoredReportKey>> {
    Err(pending())
}

pub(crate) fn report(pg: &mut Pg<'_>, scope: &Scope, id: Uuid) -> RepoResult<Option<ReportRow>> {
    Err(pending())
}

pub(crate) fn of_entries(pg: &mut Pg<'_>, entries: &[Uuid]) -> RepoResult<Vec<ReportRow>> {
    Err(pending())
}

pub(crate) fn links(pg: &mut Pg<'_>, entries: &[Uuid]) -> RepoResult<Vec<ReportLink>> {
    Err(pending())
}

pub(crate) fn revealed(pg: &mut Pg<'_>, reports: &[Uuid]) -> RepoResult<HashSet<Uuid>> {
    Err(pending())
}

pub(crate) fn reveals(pg: &mut Pg<'_>, report: Uuid) -> RepoResult<Vec<RevealRecord>> {
    Err(pending())
}

pub(crate) fn count_reporters(
    pg: &mut Pg<'_>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    by_town: bool,
) -> RepoResult<Tally> {
    Err(pending())
}

pub(crate) fn insert(pg: &mut Pg<'_>, r: &NewReport) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn set_place(
    pg: &mut Pg<'_>,
    report: Uuid,
    enterprise: &str,
    cell: Option<i64>,
) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn set_entry(pg: &mut Pg<'_>, report: Uuid, entry: Uuid) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn set_suggestion(pg: &mut Pg<'_>, report: Uuid, suggestion: Uuid) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn move_all(pg: &mut Pg<'_>, from: Uuid, to: Uuid) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn feed(
    pg: &mut Pg<'_>,
    device: Uuid,
    after: i64,
    limit: usize,
) -> RepoResult<Vec<(i64, FeedEvent)>> {
    Err(pending())
}


pub(crate) fn suggestion(
    pg: &mut Pg<'_>,
    scope: &Scope,
    id: Uuid,
) -> RepoResult<Option<SuggestionRow>> {
    Err(pending())
}

pub(crate) fn suggestions(
    pg: &mut Pg<'_>,
    query: &SuggestionQuery,
) -> RepoResult<Vec<SuggestionRecord>> {
    Err(pending())
}

pub(crate) fn count_suggestions(
    pg: &mut Pg<'_>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> RepoResult<Tally> {
    Err(pending())
}

pub(crate) fn insert_suggestion(pg: &mut Pg<'_>, s: &SuggestionRow) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn update_suggestion(pg: &mut Pg<'_>, s: &SuggestionRow) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn append_reveal(
    pg: &mut Pg<'_>,
    report: Uuid,
    actor: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn insert_draw(pg: &mut Pg<'_>, d: &DrawRecord) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn draw(pg: &mut Pg<'_>, id: Uuid) -> RepoResult<Option<DrawRecord>> {
    Err(pending())
}

pub(crate) fn draws(pg: &mut Pg<'_>, town: Option<&str>, limit: u64) -> RepoResult<Vec<DrawRecord>> {
    Err(pending())
}

/// Inserts one change-feed event (called at commit by `Pg::flush`, under the device's lock).
pub(crate) fn insert_feed(pg: &mut Pg<'_>, event: &FeedEvent) -> RepoResult<()> {
    Err(pending())
}
