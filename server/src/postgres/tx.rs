//! [`Pg`] as the ledger's [`ReadTx`] and [`WriteTx`]. Each method delegates to the module that
//! holds its SQL, except what several writers need: the filing lock before the candidate
//! lookup, row locks for `lock_entry`/`lock_record`, and the feed and history kept until
//! commit (flushed first when the same transaction reads them).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hazardsnap_ledger::RepoResult;
use hazardsnap_ledger::repo::query::{
    CandidateQuery, EnterpriseFilter, EntryGroup, EntryPredicate, EntryQuery, RecordQuery, Scope,
    SuggestionQuery, WorkerFilter,
};
use hazardsnap_ledger::repo::rows::{
    CandidateHits, DeviceRow, DrawRecord, EnrollmentCodeRow, EnterpriseRow, EntryRecord, EntryRow,
    FeedEvent, HistoryEvent, HistoryItem, NewReport, PhotoRecord, PhotoUploads, RecordKind,
    RecordRow, ReportLink, ReportRow, RevealRecord, SessionRow, SitePoint, StoreCounts,
    StoredFacts, StoredReportKey, SuggestionRecord, SuggestionRow, Tally, TeamRow, TownRow,
    UserRow, WebhookCursor, WorkerRow,
};
use hazardsnap_ledger::repo::{ReadTx, WriteTx};
use hazardsnap_photo::Fingerprint;
use uuid::Uuid;

use super::pg::Pg;
use super::{dedup, entries, org, records, reports};

impl ReadTx for Pg<'_> {
    fn has_no_organisation(&mut self) -> RepoResult<bool> {
        org::has_no_organisation(self)
    }
    fn enterprises(&mut self, filter: &EnterpriseFilter) -> RepoResult<Vec<EnterpriseRow>> {
        org::enterprises(self, filter)
    }
    fn town_names(&mut self) -> RepoResult<HashMap<String, String>> {
        org::town_names(self)
    }
    fn towns(&mut self) -> RepoResult<Vec<(TownRow, bool)>> {
        org::towns(self)
    }
    fn users(&mut self) -> RepoResult<Vec<UserRow>> {
        org::users(self)
    }
    fn enrollment_codes(&mut self) -> RepoResult<Vec<EnrollmentCodeRow>> {
        org::enrollment_codes(self)
    }
    fn devices(&mut self, limit: u64) -> RepoResult<Vec<DeviceRow>> {
        org::devices(self, limit)
    }
    fn site_point(&mut self, code: &str) -> RepoResult<Option<SitePoint>> {
        org::site_point(self, code)
    }
    fn site_points_in_box(
        &mut self,
        lat: (f64, f64),
        lon: (f64, f64),
    ) -> RepoResult<Vec<SitePoint>> {
        org::site_points_in_box(self, lat, lon)
    }
    fn user(&mut self, username: &str) -> RepoResult<Option<UserRow>> {
        org::user(self, username)
    }
    fn roster_password_hashes(&mut self) -> RepoResult<HashMap<String, String>> {
        org::roster_password_hashes(self)
    }
    fn enrollment_code(&mut self, code: &str) -> RepoResult<Option<EnrollmentCodeRow>> {
        org::enrollment_code(self, code)
    }
    fn device_by_token(&mut self, token_sha256: &[u8; 32]) -> RepoResult<Option<DeviceRow>> {
        org::device_by_token(self, token_sha256)
    }
    fn session(&mut self, token_sha256: &[u8; 32]) -> RepoResult<Option<SessionRow>> {
        org::session(self, token_sha256)
    }
    fn photo_sizes(&mut self, sha256: &[String]) -> RepoResult<HashMap<String, u64>> {
        reports::photo_sizes(self, sha256)
    }
    fn photo_fingerprints(&mut self, sha256: &[String]) -> RepoResult<Vec<Fingerprint>> {
        reports::fingerprints(self, sha256)
    }
    fn photo_in_scope(&mut self, scope: &Scope, sha256: &str) -> RepoResult<bool> {
        reports::photo_in_scope(self, scope, sha256)
    }
    fn photo_uploads_since(
        &mut self,
        device: Uuid,
        since: DateTime<Utc>,
    ) -> RepoResult<PhotoUploads> {
        reports::photo_uploads_since(self, device, since)
    }
    fn report_key(&mut self, id: Uuid) -> RepoResult<Option<StoredReportKey>> {
        reports::key(self, id)
    }
    fn report(&mut self, scope: &Scope, id: Uuid) -> RepoResult<Option<ReportRow>> {
        reports::report(self, scope, id)
    }
    fn reports_of_entries(&mut self, entries: &[Uuid]) -> RepoResult<Vec<ReportRow>> {
        reports::of_entries(self, entries)
    }
    fn report_links(&mut self, entries: &[Uuid]) -> RepoResult<Vec<ReportLink>> {
        reports::links(self, entries)
    }
    fn revealed(&mut self, reports: &[Uuid]) -> RepoResult<HashSet<Uuid>> {
        reports::revealed(self, reports)
    }
    fn reveals(&mut self, report: Uuid) -> RepoResult<Vec<RevealRecord>> {
        reports::reveals(self, report)
    }
    fn count_reporters(
        &mut self,
        received: (DateTime<Utc>, DateTime<Utc>),
        by_town: bool,
    ) -> RepoResult<Tally> {
        reports::count_reporters(self, received, by_town)
    }
    fn entry(&mut self, scope: &Scope, id: Uuid) -> RepoResult<Option<EntryRecord>> {
        entries::entry(self, scope, id)
    }
    fn entries(&mut self, query: &EntryQuery) -> RepoResult<Vec<EntryRecord>> {
        entries::entries(self, query)
    }
    fn count_entries(
        &mut self,
        scope: &Scope,
        filter: &[EntryPredicate],
        group: EntryGroup,
    ) -> RepoResult<Tally> {
        entries::count(self, scope, filter, group)
    }
    fn count_entries_by_site(
        &mut self,
        scope: &Scope,
        statuses: &[hazardsnap_model::LedgerStatus],
    ) -> RepoResult<Tally> {
        entries::count_by_site(self, scope, statuses)
    }
    fn history_of(&mut self, entries: &[Uuid]) -> RepoResult<HashMap<Uuid, Vec<HistoryEvent>>> {
        self.flush()?;
        entries::history_of(self, entries)
    }
    fn entry_photos_of(&mut self, entries: &[Uuid]) -> RepoResult<HashMap<Uuid, Vec<String>>> {
        entries::photos_of(self, entries)
    }
    fn suggestion(&mut self, id: Uuid) -> RepoResult<Option<SuggestionRow>> {
        reports::suggestion(self, &Scope::All, id)
    }
    fn suggestions(&mut self, query: &SuggestionQuery) -> RepoResult<Vec<SuggestionRecord>> {
        reports::suggestions(self, query)
    }
    fn suggestion_in(&mut self, scope: &Scope, id: Uuid) -> RepoResult<Option<SuggestionRow>> {
        reports::suggestion(self, scope, id)
    }
    fn count_suggestions(&mut self, created: (DateTime<Utc>, DateTime<Utc>)) -> RepoResult<Tally> {
        reports::count_suggestions(self, created)
    }
    fn feed_events(
        &mut self,
        device: Uuid,
        after: i64,
        limit: usize,
    ) -> RepoResult<Vec<(i64, FeedEvent)>> {
        self.flush()?;
        reports::feed(self, device, after, limit)
    }
    fn teams(&mut self, enterprises: &[String]) -> RepoResult<Vec<TeamRow>> {
        records::teams(self, enterprises)
    }
    fn workers(&mut self, filter: &WorkerFilter) -> RepoResult<Vec<WorkerRow>> {
        records::workers(self, filter)
    }
    fn worker(&mut self, code: &str) -> RepoResult<Option<WorkerRow>> {
        records::worker(self, code)
    }
    fn device(&mut self, id: Uuid) -> RepoResult<Option<DeviceRow>> {
        records::device(self, id)
    }
    fn officer_devices(&mut self) -> RepoResult<HashSet<Uuid>> {
        records::officer_devices(self)
    }
    fn devices_of_workers(&mut self, workers: &[String]) -> RepoResult<Vec<DeviceRow>> {
        records::devices_of_workers(self, workers)
    }
    fn history_after(&mut self, after: i64, limit: u64) -> RepoResult<Vec<HistoryItem>> {
        self.flush()?;
        records::history_after(self, after, limit)
    }
    fn history_last(&mut self) -> RepoResult<i64> {
        self.flush()?;
        records::history_last(self)
    }
    fn webhook_cursor(&mut self, target: &str) -> RepoResult<Option<WebhookCursor>> {
        records::webhook_cursor(self, target)
    }
    fn records(&mut self, query: &RecordQuery) -> RepoResult<Vec<RecordRow>> {
        records::records(self, query)
    }
    fn record(&mut self, kind: RecordKind, id: Uuid) -> RepoResult<Option<RecordRow>> {
        records::record(self, kind, id)
    }
    fn record_by_key(&mut self, kind: RecordKind, key: &str) -> RepoResult<Option<RecordRow>> {
        records::record_by_key(self, kind, key)
    }
    fn draw(&mut self, id: Uuid) -> RepoResult<Option<DrawRecord>> {
        reports::draw(self, id)
    }
    fn draws(&mut self, town: Option<&str>, limit: u64) -> RepoResult<Vec<DrawRecord>> {
        reports::draws(self, town, limit)
    }
    fn candidates(&mut self, query: &CandidateQuery) -> RepoResult<CandidateHits> {
        // Filing into this enterprise's ledger: one replica at a time, until commit.
        self.lock_filing(&query.enterprise)?;
        dedup::candidates(self, query)
    }
    fn open_facts(&mut self, enterprise: &str, report: Uuid) -> RepoResult<StoredFacts> {
        dedup::open_facts(self, enterprise, report)
    }
    fn counts(&mut self) -> RepoResult<StoreCounts> {
        org::counts(self)
    }
    fn integrity_problems(&mut self) -> RepoResult<Vec<String>> {
        dedup::open_index_drift(self)
    }
}

impl WriteTx for Pg<'_> {
    fn upsert_worker(&mut self, worker: &WorkerRow) -> RepoResult<usize> {
        records::upsert_worker(self, worker)
    }
    fn deactivate_workers(&mut self, keep: &[String]) -> RepoResult<usize> {
        records::deactivate_workers(self, keep)
    }
    fn insert_desk_device(&mut self, device: &DeviceRow) -> RepoResult<()> {
        records::insert_desk_device(self, device)
    }
    fn set_device_worker(&mut self, device: Uuid, worker: Option<&str>) -> RepoResult<bool> {
        records::set_device_worker(self, device, worker)
    }
    fn lock_record(&mut self, kind: RecordKind, key: &str) -> RepoResult<Option<RecordRow>> {
        records::lock_record(self, kind, key)
    }
    fn put_webhook_cursor(&mut self, target: &str, cursor: &WebhookCursor) -> RepoResult<()> {
        records::put_webhook_cursor(self, target, cursor)
    }
    fn put_record(&mut self, record: &RecordRow) -> RepoResult<()> {
        records::put_record(self, record)
    }
    fn set_district_name(&mut self, name: &str) -> RepoResult<usize> {
        org::set_district_name(self, name)
    }
    fn upsert_town(&mut self, town: &TownRow) -> RepoResult<usize> {
        org::upsert_town(self, town)
    }
    fn upsert_enterprise(&mut self, enterprise: &EnterpriseRow) -> RepoResult<usize> {
        org::upsert_enterprise(self, enterprise)
    }
    fn upsert_workshop(
        &mut self,
        enterprise: &str,
        name: &str,
        position: usize,
    ) -> RepoResult<usize> {
        org::upsert_workshop(self, enterprise, name, position)
    }
    fn upsert_team(
        &mut self,
        enterprise: &str,
        workshop: &str,
        name: &str,
        position: usize,
    ) -> RepoResult<usize> {
        org::upsert_team(self, enterprise, workshop, name, position)
    }
    fn upsert_site_point(&mut self, point: &SitePoint) -> RepoResult<usize> {
        org::upsert_site_point(self, point)
    }
    fn upsert_enrollment_code(&mut self, code: &str, enterprise: &str) -> RepoResult<usize> {
        org::upsert_enrollment_code(self, code, enterprise)
    }
    fn upsert_user(&mut self, user: &UserRow, password: Option<&str>) -> RepoResult<usize> {
        org::upsert_user(self, user, password)
    }
    fn deactivate_towns(&mut self, keep: &[String]) -> RepoResult<usize> {
        org::deactivate_towns(self, keep)
    }
    fn deactivate_enterprises(&mut self, keep: &[String]) -> RepoResult<usize> {
        org::deactivate_enterprises(self, keep)
    }
    fn deactivate_workshops(&mut self, enterprise: &str, keep: &[String]) -> RepoResult<usize> {
        org::deactivate_workshops(self, enterprise, keep)
    }
    fn deactivate_teams(
        &mut self,
        enterprise: &str,
        workshop: &str,
        keep: &[String],
    ) -> RepoResult<usize> {
        org::deactivate_teams(self, enterprise, workshop, keep)
    }
    fn deactivate_site_points(&mut self, keep: &[String]) -> RepoResult<usize> {
        org::deactivate_site_points(self, keep)
    }
    fn deactivate_users(&mut self, keep: &[String]) -> RepoResult<usize> {
        org::deactivate_users(self, keep)
    }
    fn deactivate_enrollment_codes(&mut self, keep: &[String]) -> RepoResult<usize> {
        org::deactivate_enrollment_codes(self, keep)
    }
    fn set_password_hash(&mut self, username: &str, hash: &str) -> RepoResult<bool> {
        org::set_password_hash(self, username, hash)
    }
    fn insert_device(&mut self, device: &DeviceRow) -> RepoResult<()> {
        org::insert_device(self, device)
    }
    fn revoke_device(&mut self, id: Uuid, at: DateTime<Utc>) -> RepoResult<bool> {
        org::revoke_device(self, id, at)
    }
    fn insert_session(&mut self, session: &SessionRow) -> RepoResult<()> {
        org::insert_session(self, session)
    }
    fn revoke_session(&mut self, token_sha256: &[u8; 32], at: DateTime<Utc>) -> RepoResult<bool> {
        org::revoke_session(self, token_sha256, at)
    }
    fn touch_session(&mut self, token_sha256: &[u8; 32], at: DateTime<Utc>) -> RepoResult<()> {
        org::touch_session(self, token_sha256, at)
    }
    fn revoke_sessions_of(
        &mut self,
        username: &str,
        keep: Option<&[u8; 32]>,
        at: DateTime<Utc>,
    ) -> RepoResult<usize> {
        org::revoke_sessions_of(self, username, keep, at)
    }
    fn insert_photo(&mut self, photo: &PhotoRecord, at: DateTime<Utc>) -> RepoResult<()> {
        reports::insert_photo(self, photo, at)
    }
    fn insert_report(&mut self, report: &NewReport) -> RepoResult<()> {
        reports::insert(self, report)
    }
    fn set_report_place(
        &mut self,
        report: Uuid,
        enterprise: &str,
        location_cell: Option<i64>,
    ) -> RepoResult<()> {
        reports::set_place(self, report, enterprise, location_cell)
    }
    fn set_report_entry(&mut self, report: Uuid, entry: Uuid) -> RepoResult<()> {
        reports::set_entry(self, report, entry)
    }
    fn set_report_suggestion(&mut self, report: Uuid, suggestion: Uuid) -> RepoResult<()> {
        reports::set_suggestion(self, report, suggestion)
    }
    fn move_reports(&mut self, from: Uuid, to: Uuid) -> RepoResult<usize> {
        reports::move_all(self, from, to)
    }
    fn next_seq(&mut self, enterprise: &str, year: i32, series: &str) -> RepoResult<i64> {
        entries::next_seq(self, enterprise, year, series)
    }
    fn lock_entry(&mut self, scope: &Scope, id: Uuid) -> RepoResult<Option<EntryRecord>> {
        entries::lock_entry(self, scope, id)
    }
    fn insert_entry(&mut self, entry: &EntryRow) -> RepoResult<()> {
        entries::insert(self, entry)
    }
    fn update_entry(&mut self, entry: &EntryRow) -> RepoResult<()> {
        entries::update(self, entry)
    }
    fn add_entry_photo(
        &mut self,
        entry: Uuid,
        sha256: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> RepoResult<()> {
        entries::add_photo(self, entry, sha256, actor, at)
    }
    fn append_history(&mut self, entry: Uuid, event: &HistoryEvent) -> RepoResult<()> {
        self.defer_history(entry, event);
        Ok(())
    }
    fn append_feed(&mut self, event: &FeedEvent) -> RepoResult<()> {
        self.defer_feed(event);
        Ok(())
    }
    fn insert_suggestion(&mut self, suggestion: &SuggestionRow) -> RepoResult<()> {
        reports::insert_suggestion(self, suggestion)
    }
    fn update_suggestion(&mut self, suggestion: &SuggestionRow) -> RepoResult<()> {
        reports::update_suggestion(self, suggestion)
    }
    fn append_reveal(
        &mut self,
        report: Uuid,
        actor: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> RepoResult<()> {
        reports::append_reveal(self, report, actor, reason, at)
    }
    fn insert_draw(&mut self, draw: &DrawRecord) -> RepoResult<()> {
        reports::insert_draw(self, draw)
    }
}
