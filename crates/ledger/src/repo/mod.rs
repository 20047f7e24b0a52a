//! The repository: the narrow line below the rules. A backend (the embedded SQLite, later
//! PostgreSQL) implements [`Repository`], which runs a unit of work in one transaction, and
//! the two transaction traits [`ReadTx`] and [`WriteTx`], which load and save rows.
//!
//! **No business rule below this line.** A backend never decides a status, a number, who may
//! see what or what goes into the history: it stores the rows it is given and answers the
//! questions of [`query`] by translating each primitive predicate mechanically. What a row
//! means is decided in [`crate::rules`], once, for every backend.
//!
//! Units of work are synchronous closures, run by the backend on a thread where blocking is
//! allowed (SQLite's calls block; a PostgreSQL backend drives its async driver to completion
//! there). One unit is one transaction: it commits when the closure returns `Ok` and rolls
//! back otherwise, so a refused action leaves nothing behind. [`WriteTx::lock_entry`] is the
//! load-for-update the rules use before changing an entry; in a backend with one writer
//! (SQLite) every write transaction already holds the lock, a multi-writer backend takes a row
//! lock there.
//!
//! The conformance suite (`crate::conformance`, feature `conformance`) states what every
//! backend must do, and runs unchanged against each.

pub mod query;
pub mod rows;

use std::any::Any;
use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{LedgerError, LedgerResult, RepoResult};
use query::{
    CandidateQuery, EnterpriseFilter, EntryGroup, EntryPredicate, EntryQuery, RecordQuery, Scope,
    SuggestionQuery, WorkerFilter,
};
use rows::{
    CandidateHits, DeviceRow, DrawRecord, EnrollmentCodeRow, EnterpriseRow, EntryRecord, EntryRow,
    FeedEvent, HistoryEvent, HistoryItem, NewReport, PhotoRecord, PhotoUploads, RecordKind,
    RecordRow, ReportLink, ReportRow, RevealRecord, SessionRow, SitePoint, StoreCounts,
    StoredFacts, StoredReportKey, SuggestionRecord, SuggestionRow, Tally, TeamRow, TownRow,
    UserRow, WebhookCursor, WorkerRow,
};

/// A unit of work's result, type-erased to cross the object-safe trait.
pub type Erased = Box<dyn Any + Send>;
/// A read unit of work, type-erased.
pub type ReadWork = Box<dyn FnOnce(&mut dyn ReadTx) -> LedgerResult<Erased> + Send>;
/// A write unit of work, type-erased.
pub type WriteWork = Box<dyn FnOnce(&mut dyn WriteTx) -> LedgerResult<Erased> + Send>;

/// A storage backend.
#[async_trait]
pub trait Repository: Send + Sync + 'static {
    /// Runs `work` in one read transaction (a consistent snapshot).
    async fn read_erased(&self, work: ReadWork) -> LedgerResult<Erased>;

    /// Runs `work` in one write transaction: committed when it returns `Ok`, rolled back
    /// otherwise.
    async fn write_erased(&self, work: WriteWork) -> LedgerResult<Erased>;

    /// Whether the backend answers (for `/healthz`).
    async fn ping(&self) -> RepoResult<()>;
}

fn unerase<T: 'static>(v: Erased) -> LedgerResult<T> {
    v.downcast::<T>().map(|b| *b).map_err(|_| {
        LedgerError::Repo(crate::error::RepoError::Worker(
            "unit of work returned another type".into(),
        ))
    })
}

impl dyn Repository {
    /// Runs `work` in one read transaction.
    pub async fn read<T, F>(&self, work: F) -> LedgerResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn ReadTx) -> LedgerResult<T> + Send + 'static,
    {
        let out = self
            .read_erased(Box::new(move |tx| work(tx).map(|v| Box::new(v) as Erased)))
            .await?;
        unerase(out)
    }

    /// Runs `work` in one write transaction.
    pub async fn write<T, F>(&self, work: F) -> LedgerResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn WriteTx) -> LedgerResult<T> + Send + 'static,
    {
        let out = self
            .write_erased(Box::new(move |tx| work(tx).map(|v| Box::new(v) as Erased)))
            .await?;
        unerase(out)
    }
}

/// What a unit of work may read.
pub trait ReadTx {
    // --- the organisation

    /// Whether no enterprise was ever stored.
    fn has_no_organisation(&mut self) -> RepoResult<bool>;
    /// Enterprises, in code order.
    fn enterprises(&mut self, filter: &EnterpriseFilter) -> RepoResult<Vec<EnterpriseRow>>;
    /// Town names by code (every town ever stored).
    fn town_names(&mut self) -> RepoResult<HashMap<String, String>>;
    /// Every town ever stored, with whether it is still in the roster, in code order.
    fn towns(&mut self) -> RepoResult<Vec<(TownRow, bool)>>;
    /// Every officer account, in username order.
    fn users(&mut self) -> RepoResult<Vec<UserRow>>;
    /// Every enrollment code, in code order.
    fn enrollment_codes(&mut self) -> RepoResult<Vec<EnrollmentCodeRow>>;
    /// Enrolled devices, newest first, at most `limit`.
    fn devices(&mut self, limit: u64) -> RepoResult<Vec<DeviceRow>>;
    /// An active site point by code.
    fn site_point(&mut self, code: &str) -> RepoResult<Option<SitePoint>>;
    /// Active site points inside a latitude/longitude box, in code order.
    fn site_points_in_box(
        &mut self,
        lat: (f64, f64),
        lon: (f64, f64),
    ) -> RepoResult<Vec<SitePoint>>;
    /// An officer account.
    fn user(&mut self, username: &str) -> RepoResult<Option<UserRow>>;
    /// The initial password hash each officer got from the last roster import, by username.
    fn roster_password_hashes(&mut self) -> RepoResult<HashMap<String, String>>;
    /// An enrollment code.
    fn enrollment_code(&mut self, code: &str) -> RepoResult<Option<EnrollmentCodeRow>>;
    /// A device by its token's hash.
    fn device_by_token(&mut self, token_sha256: &[u8; 32]) -> RepoResult<Option<DeviceRow>>;
    /// A session by its token's hash.
    fn session(&mut self, token_sha256: &[u8; 32]) -> RepoResult<Option<SessionRow>>;
    /// The active teams of these enterprises' active workshops, in roster order.
    fn teams(&mut self, enterprises: &[String]) -> RepoResult<Vec<TeamRow>>;
    /// Workers, in code order.
    fn workers(&mut self, filter: &WorkerFilter) -> RepoResult<Vec<WorkerRow>>;
    /// A worker by code (active or not).
    fn worker(&mut self, code: &str) -> RepoResult<Option<WorkerRow>>;
    /// A device by id (revoked or not).
    fn device(&mut self, id: Uuid) -> RepoResult<Option<DeviceRow>>;
    /// The ids of the officers' desks (`rules::desk`).
    fn officer_devices(&mut self) -> RepoResult<HashSet<Uuid>>;
    /// Devices of these workers, revoked or not.
    fn devices_of_workers(&mut self, workers: &[String]) -> RepoResult<Vec<DeviceRow>>;

    // --- outgoing webhooks

    /// History events after sequence `after`, oldest first, at most `limit`.
    fn history_after(&mut self, after: i64, limit: u64) -> RepoResult<Vec<HistoryItem>>;
    /// The last history sequence (0 when there is none).
    fn history_last(&mut self) -> RepoResult<i64>;
    /// A webhook target's cursor.
    fn webhook_cursor(&mut self, target: &str) -> RepoResult<Option<WebhookCursor>>;

    // --- campaign records

    /// Campaign records matching a query, in (day, created, id) order.
    fn records(&mut self, query: &RecordQuery) -> RepoResult<Vec<RecordRow>>;
    /// A campaign record by id.
    fn record(&mut self, kind: RecordKind, id: Uuid) -> RepoResult<Option<RecordRow>>;
    /// A campaign record by its key.
    fn record_by_key(&mut self, kind: RecordKind, key: &str) -> RepoResult<Option<RecordRow>>;

    // --- photos

    /// The sizes of those of these photos that are recorded.
    fn photo_sizes(&mut self, sha256: &[String]) -> RepoResult<HashMap<String, u64>>;
    /// The fingerprints of these photos, in the order given; an unrecorded one is skipped.
    fn photo_fingerprints(
        &mut self,
        sha256: &[String],
    ) -> RepoResult<Vec<hazardsnap_photo::Fingerprint>>;
    /// Whether a photo belongs to a report or an entry inside `scope`.
    fn photo_in_scope(&mut self, scope: &Scope, sha256: &str) -> RepoResult<bool>;
    /// The photos `device` uploaded at or after `since` (by [`PhotoRecord::uploaded_by`]).
    fn photo_uploads_since(
        &mut self,
        device: Uuid,
        since: DateTime<Utc>,
    ) -> RepoResult<PhotoUploads>;

    // --- reports

    /// How a report was stored, if it was.
    fn report_key(&mut self, id: Uuid) -> RepoResult<Option<StoredReportKey>>;
    /// A report inside `scope`.
    fn report(&mut self, scope: &Scope, id: Uuid) -> RepoResult<Option<ReportRow>>;
    /// The reports filed in these entries.
    fn reports_of_entries(&mut self, entries: &[Uuid]) -> RepoResult<Vec<ReportRow>>;
    /// The light rows of the reports filed in these entries.
    fn report_links(&mut self, entries: &[Uuid]) -> RepoResult<Vec<ReportLink>>;
    /// Which of these reports had their reporter revealed (for rewards).
    fn revealed(&mut self, reports: &[Uuid]) -> RepoResult<HashSet<Uuid>>;
    /// The recorded reveals of a report's reporter (who, why, when), oldest first.
    fn reveals(&mut self, report: Uuid) -> RepoResult<Vec<RevealRecord>>;
    /// Distinct devices that sent reports received in `[from, to)`, by the report's
    /// enterprise or by that enterprise's town.
    fn count_reporters(
        &mut self,
        received: (DateTime<Utc>, DateTime<Utc>),
        by_town: bool,
    ) -> RepoResult<Tally>;

    // --- entries

    /// An entry inside `scope`, with its enterprise's name and town.
    fn entry(&mut self, scope: &Scope, id: Uuid) -> RepoResult<Option<EntryRecord>>;
    /// Entries inside the query's scope matching its filter, ordered and paged.
    fn entries(&mut self, query: &EntryQuery) -> RepoResult<Vec<EntryRecord>>;
    /// Distinct entries inside `scope` with one of `statuses` that hold a report made at each
    /// site point, by site point code.
    fn count_entries_by_site(
        &mut self,
        scope: &Scope,
        statuses: &[hazardsnap_model::LedgerStatus],
    ) -> RepoResult<Tally>;
    /// Counts of entries inside `scope` matching all of `filter`, grouped.
    fn count_entries(
        &mut self,
        scope: &Scope,
        filter: &[EntryPredicate],
        group: EntryGroup,
    ) -> RepoResult<Tally>;
    /// The histories of these entries, each oldest first.
    fn history_of(&mut self, entries: &[Uuid]) -> RepoResult<HashMap<Uuid, Vec<HistoryEvent>>>;
    /// The after-photos (整改后照片) of these entries, each in the order added.
    fn entry_photos_of(&mut self, entries: &[Uuid]) -> RepoResult<HashMap<Uuid, Vec<String>>>;

    // --- suggestions

    /// A suggestion (unscoped).
    fn suggestion(&mut self, id: Uuid) -> RepoResult<Option<SuggestionRow>>;
    /// Suggestions with their reports.
    fn suggestions(&mut self, query: &SuggestionQuery) -> RepoResult<Vec<SuggestionRecord>>;
    /// A suggestion inside `scope`.
    fn suggestion_in(&mut self, scope: &Scope, id: Uuid) -> RepoResult<Option<SuggestionRow>>;
    /// Suggestions received in `[from, to)`, by enterprise.
    fn count_suggestions(&mut self, created: (DateTime<Utc>, DateTime<Utc>)) -> RepoResult<Tally>;

    // --- the change feed, draws, the open-entry index

    /// A device's feed events after the cursor `after`, at most `limit`, with their cursors.
    fn feed_events(
        &mut self,
        device: Uuid,
        after: i64,
        limit: usize,
    ) -> RepoResult<Vec<(i64, FeedEvent)>>;
    /// A recorded draw.
    fn draw(&mut self, id: Uuid) -> RepoResult<Option<DrawRecord>>;
    /// Recorded draws (of one town, when given), newest first, at most `limit`.
    fn draws(&mut self, town: Option<&str>, limit: u64) -> RepoResult<Vec<DrawRecord>>;
    /// The candidate lookup of filing.
    fn candidates(&mut self, query: &CandidateQuery) -> RepoResult<CandidateHits>;
    /// What scoring needs of a report of an open entry of `enterprise`.
    fn open_facts(&mut self, enterprise: &str, report: Uuid) -> RepoResult<StoredFacts>;

    // --- for tests and operators

    /// Row counts.
    fn counts(&mut self) -> RepoResult<StoreCounts>;
    /// How the backend's derived structures (indexes kept beside the rows) differ from the
    /// rows, one line per difference; empty when they agree.
    fn integrity_problems(&mut self) -> RepoResult<Vec<String>>;
}

/// What a write unit of work may do besides reading. Every method stores exactly what it is
/// given.
pub trait WriteTx: ReadTx {
    // --- the organisation (upserts write only what differs and report how many rows changed)

    /// Sets the district's name.
    fn set_district_name(&mut self, name: &str) -> RepoResult<usize>;
    /// Inserts or updates (and reactivates) a town.
    fn upsert_town(&mut self, town: &TownRow) -> RepoResult<usize>;
    /// Inserts or updates (and reactivates) an enterprise (its `active` is ignored).
    fn upsert_enterprise(&mut self, enterprise: &EnterpriseRow) -> RepoResult<usize>;
    /// Inserts or updates (and reactivates) a workshop.
    fn upsert_workshop(
        &mut self,
        enterprise: &str,
        name: &str,
        position: usize,
    ) -> RepoResult<usize>;
    /// Inserts or updates (and reactivates) a team.
    fn upsert_team(
        &mut self,
        enterprise: &str,
        workshop: &str,
        name: &str,
        position: usize,
    ) -> RepoResult<usize>;
    /// Inserts or updates (and reactivates) a site point.
    fn upsert_site_point(&mut self, point: &SitePoint) -> RepoResult<usize>;
    /// Inserts or updates (and reactivates) an enrollment code.
    fn upsert_enrollment_code(&mut self, code: &str, enterprise: &str) -> RepoResult<usize>;
    /// Inserts or updates (and reactivates) an officer; with `password`, it becomes both the
    /// current and the roster's initial password.
    fn upsert_user(&mut self, user: &UserRow, password: Option<&str>) -> RepoResult<usize>;
    /// Deactivates the active towns not in `keep`.
    fn deactivate_towns(&mut self, keep: &[String]) -> RepoResult<usize>;
    /// Deactivates the active enterprises not in `keep`.
    fn deactivate_enterprises(&mut self, keep: &[String]) -> RepoResult<usize>;
    /// Deactivates the active workshops of `enterprise` not in `keep`, and their teams.
    fn deactivate_workshops(&mut self, enterprise: &str, keep: &[String]) -> RepoResult<usize>;
    /// Deactivates the active teams of a workshop not in `keep`.
    fn deactivate_teams(
        &mut self,
        enterprise: &str,
        workshop: &str,
        keep: &[String],
    ) -> RepoResult<usize>;
    /// Deactivates the active site points not in `keep`.
    fn deactivate_site_points(&mut self, keep: &[String]) -> RepoResult<usize>;
    /// Deactivates the active officers not in `keep`.
    fn deactivate_users(&mut self, keep: &[String]) -> RepoResult<usize>;
    /// Deactivates the active enrollment codes not in `keep`.
    fn deactivate_enrollment_codes(&mut self, keep: &[String]) -> RepoResult<usize>;
    /// Sets an officer's current password hash.
    fn set_password_hash(&mut self, username: &str, hash: &str) -> RepoResult<bool>;

    // --- devices and sessions

    /// Stores a new device.
    fn insert_device(&mut self, device: &DeviceRow) -> RepoResult<()>;
    /// Marks a device revoked; `false` when no such unrevoked device exists.
    fn revoke_device(&mut self, id: Uuid, at: DateTime<Utc>) -> RepoResult<bool>;
    /// Stores a new session.
    fn insert_session(&mut self, session: &SessionRow) -> RepoResult<()>;
    /// Marks a session revoked; `false` when it was already.
    fn revoke_session(&mut self, token_sha256: &[u8; 32], at: DateTime<Utc>) -> RepoResult<bool>;
    /// Records that a session was used at `at`.
    fn touch_session(&mut self, token_sha256: &[u8; 32], at: DateTime<Utc>) -> RepoResult<()>;
    /// Marks every unrevoked session of `username` revoked, except `keep`.
    fn revoke_sessions_of(
        &mut self,
        username: &str,
        keep: Option<&[u8; 32]>,
        at: DateTime<Utc>,
    ) -> RepoResult<usize>;

    // --- photos, reports, entries, suggestions

    /// Records a verified photo (nothing when already recorded).
    fn insert_photo(&mut self, photo: &PhotoRecord, at: DateTime<Utc>) -> RepoResult<()>;
    /// Stores a report and its photo links, filed nowhere yet.
    fn insert_report(&mut self, report: &NewReport) -> RepoResult<()>;
    /// Sets where a report is filed: its ledger's enterprise and its location cell (written
    /// before it joins an entry).
    fn set_report_place(
        &mut self,
        report: Uuid,
        enterprise: &str,
        location_cell: Option<i64>,
    ) -> RepoResult<()>;
    /// Files a report in an entry.
    fn set_report_entry(&mut self, report: Uuid, entry: Uuid) -> RepoResult<()>;
    /// Files a report as a suggestion.
    fn set_report_suggestion(&mut self, report: Uuid, suggestion: Uuid) -> RepoResult<()>;
    /// Moves every report of entry `from` to entry `to`; how many moved.
    fn move_reports(&mut self, from: Uuid, to: Uuid) -> RepoResult<usize>;
    /// The next number of a per-enterprise, per-year series (starting at 1; never reused).
    fn next_seq(&mut self, enterprise: &str, year: i32, series: &str) -> RepoResult<i64>;
    /// An entry, loaded for update: nobody else changes it until this transaction ends.
    fn lock_entry(&mut self, scope: &Scope, id: Uuid) -> RepoResult<Option<EntryRecord>>;
    /// Stores a new entry.
    fn insert_entry(&mut self, entry: &EntryRow) -> RepoResult<()>;
    /// Saves an entry's changeable columns (everything but id, number, enterprise, year, seq
    /// and created_at).
    fn update_entry(&mut self, entry: &EntryRow) -> RepoResult<()>;
    /// Adds an after-photo to an entry (nothing when already there).
    fn add_entry_photo(
        &mut self,
        entry: Uuid,
        sha256: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> RepoResult<()>;
    /// Appends to an entry's history.
    fn append_history(&mut self, entry: Uuid, event: &HistoryEvent) -> RepoResult<()>;
    /// Appends to a device's change feed.
    fn append_feed(&mut self, event: &FeedEvent) -> RepoResult<()>;
    /// Stores a new suggestion.
    fn insert_suggestion(&mut self, suggestion: &SuggestionRow) -> RepoResult<()>;
    /// Saves a suggestion's changeable columns (status, updated, adoption).
    fn update_suggestion(&mut self, suggestion: &SuggestionRow) -> RepoResult<()>;
    /// Records that a reporter was revealed, by whom, why.
    fn append_reveal(
        &mut self,
        report: Uuid,
        actor: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> RepoResult<()>;
    /// Records a draw.
    fn insert_draw(&mut self, draw: &DrawRecord) -> RepoResult<()>;

    // --- workers and campaign records

    /// Inserts or updates a worker (making it active); changed rows.
    fn upsert_worker(&mut self, worker: &WorkerRow) -> RepoResult<usize>;
    /// Deactivates the active workers not in `keep`.
    fn deactivate_workers(&mut self, keep: &[String]) -> RepoResult<usize>;
    /// Stores an officer's desk (`rules::desk`): a device no token opens, outside the
    /// enrollment codes.
    fn insert_desk_device(&mut self, device: &DeviceRow) -> RepoResult<()>;
    /// Links a device to a worker (or unlinks it); `false` when no such device.
    fn set_device_worker(&mut self, device: Uuid, worker: Option<&str>) -> RepoResult<bool>;
    /// A campaign record by its key, loaded for update: nobody else changes it until this
    /// transaction ends.
    fn lock_record(&mut self, kind: RecordKind, key: &str) -> RepoResult<Option<RecordRow>>;
    /// Saves a webhook target's cursor.
    fn put_webhook_cursor(&mut self, target: &str, cursor: &WebhookCursor) -> RepoResult<()>;
    /// Stores a campaign record, new or changed (by id; a key taken by another record of its
    /// kind is a conflict).
    fn put_record(&mut self, record: &RecordRow) -> RepoResult<()>;
}
