//! STUB (being written): the PostgreSQL counterpart of `crate::sqlite::records`.
#![allow(unused_variables, unused_imports, dead_code)]

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hazardsnap_ledger::repo::query::*;
use hazardsnap_ledger::repo::rows::*;
use hazardsnap_ledger::{RepoError, RepoResult};
use uuid::Uuid;

use super::pg::Pg;

fn pending() -> RepoError {
    RepoError::Worker("PostgreSQL backend: records not written yet".into())
}

pub(crate) fn teams(pg: &mut Pg<'_>, enterprises: &[String]) -> RepoResult<Vec<TeamRow>> {
    Err(pending())
}

pub(crate) fn workers(pg: &mut Pg<'_>, f: &WorkerFilter) -> RepoResult<Vec<WorkerRow>> {
    Err(pending())
}

pub(crate) fn worker(pg: &mut Pg<'_>, code: &str) -> RepoResult<Option<WorkerRow>> {
    Err(pending())
}

pub(crate) fn upsert_worker(pg: &mut Pg<'_>, w: &WorkerRow) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn deactivate_workers(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    Err(pending())
}


pub(crate) fn devices_where(
    pg: &mut Pg<'_>,
    condition: &str,
    args: &[rusqlite::types::Value],
) -> RepoResult<Vec<DeviceRow>> {
    Err(pending())
}

pub(crate) fn device(pg: &mut Pg<'_>, id: Uuid) -> RepoResult<Option<DeviceRow>> {
    Err(pending())
}

pub(crate) fn devices_of_workers(pg: &mut Pg<'_>, workers: &[String]) -> RepoResult<Vec<DeviceRow>> {
    Err(pending())
}

pub(crate) fn officer_devices(pg: &mut Pg<'_>) -> RepoResult<HashSet<Uuid>> {
    Err(pending())
}

pub(crate) fn insert_desk_device(pg: &mut Pg<'_>, d: &DeviceRow) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn set_device_worker(
    pg: &mut Pg<'_>,
    device: Uuid,
    worker: Option<&str>,
) -> RepoResult<bool> {
    Err(pending())
}

pub(crate) fn records(pg: &mut Pg<'_>, query: &RecordQuery) -> RepoResult<Vec<RecordRow>> {
    Err(pending())
}

pub(crate) fn record(pg: &mut Pg<'_>, kind: RecordKind, id: Uuid) -> RepoResult<Option<RecordRow>> {
    Err(pending())
}

pub(crate) fn record_by_key(
    pg: &mut Pg<'_>,
    kind: RecordKind,
    key: &str,
) -> RepoResult<Option<RecordRow>> {
    Err(pending())
}

pub(crate) fn put_record(pg: &mut Pg<'_>, r: &RecordRow) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn history_after(
    pg: &mut Pg<'_>,
    after: i64,
    limit: u64,
) -> RepoResult<Vec<HistoryItem>> {
    Err(pending())
}

pub(crate) fn history_last(pg: &mut Pg<'_>) -> RepoResult<i64> {
    Err(pending())
}

pub(crate) fn webhook_cursor(pg: &mut Pg<'_>, target: &str) -> RepoResult<Option<WebhookCursor>> {
    Err(pending())
}

pub(crate) fn put_webhook_cursor(
    pg: &mut Pg<'_>,
    target: &str,
    w: &WebhookCursor,
) -> RepoResult<()> {
    Err(pending())
}

/// A campaign record by key, loaded `FOR UPDATE`.
pub(crate) fn lock_record(pg: &mut Pg<'_>, kind: RecordKind, key: &str) -> RepoResult<Option<RecordRow>> {
    Err(pending())
}
