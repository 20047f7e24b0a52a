//! STUB (being written): the PostgreSQL counterpart of `crate::sqlite::org`.
#![allow(unused_variables, unused_imports, dead_code)]

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hazardsnap_ledger::repo::query::*;
use hazardsnap_ledger::repo::rows::*;
use hazardsnap_ledger::{RepoError, RepoResult};
use uuid::Uuid;

use super::pg::Pg;

fn pending() -> RepoError {
    RepoError::Worker("PostgreSQL backend: org not written yet".into())
}

pub(crate) fn has_no_organisation(pg: &mut Pg<'_>) -> RepoResult<bool> {
    Err(pending())
}

pub(crate) fn enterprises(pg: &mut Pg<'_>, f: &EnterpriseFilter) -> RepoResult<Vec<EnterpriseRow>> {
    Err(pending())
}

pub(crate) fn town_names(pg: &mut Pg<'_>) -> RepoResult<HashMap<String, String>> {
    Err(pending())
}

pub(crate) fn towns(pg: &mut Pg<'_>) -> RepoResult<Vec<(TownRow, bool)>> {
    Err(pending())
}

pub(crate) fn users(pg: &mut Pg<'_>) -> RepoResult<Vec<UserRow>> {
    Err(pending())
}

pub(crate) fn enrollment_codes(pg: &mut Pg<'_>) -> RepoResult<Vec<EnrollmentCodeRow>> {
    Err(pending())
}

pub(crate) fn devices(pg: &mut Pg<'_>, limit: u64) -> RepoResult<Vec<DeviceRow>> {
    Err(pending())
}

pub(crate) fn site_point(pg: &mut Pg<'_>, code: &str) -> RepoResult<Option<SitePoint>> {
    Err(pending())
}

pub(crate) fn site_points_in_box(
    pg: &mut Pg<'_>,
    lat: (f64, f64),
    lon: (f64, f64),
) -> RepoResult<Vec<SitePoint>> {
    Err(pending())
}

pub(crate) fn user(pg: &mut Pg<'_>, username: &str) -> RepoResult<Option<UserRow>> {
    Err(pending())
}

pub(crate) fn roster_password_hashes(pg: &mut Pg<'_>) -> RepoResult<HashMap<String, String>> {
    Err(pending())
}

pub(crate) fn enrollment_code(pg: &mut Pg<'_>, code: &str) -> RepoResult<Option<EnrollmentCodeRow>> {
    Err(pending())
}

pub(crate) fn device_by_token(pg: &mut Pg<'_>, token: &[u8; 32]) -> RepoResult<Option<DeviceRow>> {
    Err(pending())
}

pub(crate) fn session(pg: &mut Pg<'_>, token: &[u8; 32]) -> RepoResult<Option<SessionRow>> {
    Err(pending())
}

pub(crate) fn touch_session(pg: &mut Pg<'_>, token: &[u8; 32], at: DateTime<Utc>) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn set_district_name(pg: &mut Pg<'_>, name: &str) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn upsert_town(pg: &mut Pg<'_>, t: &TownRow) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn upsert_enterprise(pg: &mut Pg<'_>, e: &EnterpriseRow) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn upsert_workshop(
    pg: &mut Pg<'_>,
    enterprise: &str,
    name: &str,
    position: usize,
) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn upsert_team(
    pg: &mut Pg<'_>,
    enterprise: &str,
    workshop: &str,
    name: &str,
    position: usize,
) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn upsert_site_point(pg: &mut Pg<'_>, p: &SitePoint) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn upsert_enrollment_code(
    pg: &mut Pg<'_>,
    code: &str,
    enterprise: &str,
) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn upsert_user(
    pg: &mut Pg<'_>,
    u: &UserRow,
    password: Option<&str>,
) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn deactivate_towns(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn deactivate_enterprises(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn deactivate_workshops(
    pg: &mut Pg<'_>,
    enterprise: &str,
    keep: &[String],
) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn deactivate_teams(
    pg: &mut Pg<'_>,
    enterprise: &str,
    workshop: &str,
    keep: &[String],
) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn deactivate_site_points(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn deactivate_users(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn deactivate_enrollment_codes(pg: &mut Pg<'_>, keep: &[String]) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn set_password_hash(pg: &mut Pg<'_>, username: &str, hash: &str) -> RepoResult<bool> {
    Err(pending())
}

pub(crate) fn insert_device(pg: &mut Pg<'_>, d: &DeviceRow) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn revoke_device(pg: &mut Pg<'_>, id: Uuid, at: DateTime<Utc>) -> RepoResult<bool> {
    Err(pending())
}

pub(crate) fn insert_session(pg: &mut Pg<'_>, s: &SessionRow) -> RepoResult<()> {
    Err(pending())
}

pub(crate) fn revoke_session(
    pg: &mut Pg<'_>,
    token: &[u8; 32],
    at: DateTime<Utc>,
) -> RepoResult<bool> {
    Err(pending())
}

pub(crate) fn revoke_sessions_of(
    pg: &mut Pg<'_>,
    username: &str,
    keep: Option<&[u8; 32]>,
    at: DateTime<Utc>,
) -> RepoResult<usize> {
    Err(pending())
}

pub(crate) fn counts(pg: &mut Pg<'_>) -> RepoResult<StoreCounts> {
    Err(pending())
}
