//! The questions the rules ask the repository, as data: which things ([`Scope`]), matching
//! what ([`EntryPredicate`]), in which order, grouped how.
//!
//! These are primitive, rule-free predicates on stored columns. The rules compose them: an
//! officer's jurisdiction becomes a [`Scope`] in one function (`Jurisdiction::scope`), "overdue" is
//! `StatusIn(open) AND DeadlineBefore(today)` in one function (`rules::overdue`), and a
//! backend only translates each variant mechanically into its query language, in one place.

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::{Category, LedgerStatus, Severity};
use uuid::Uuid;

use super::rows::RecordKind;
pub use hazardsnap_model::Scope;

/// A condition on a ledger entry's stored columns. A list of them means all must hold.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryPredicate {
    /// Its enterprise is this one.
    Enterprise(String),
    /// Its enterprise is in this town.
    Town(String),
    /// Its status is one of these.
    StatusIn(Vec<LedgerStatus>),
    /// Its severity.
    Severity(Severity),
    /// Its category.
    Category(Category),
    /// Escalated or not.
    Escalated(bool),
    /// It has a deadline, before this date.
    DeadlineBefore(NaiveDate),
    /// It has a deadline within these dates (inclusive).
    DeadlineWithin(NaiveDate, NaiveDate),
    /// Filed in `[from, to)`.
    CreatedIn(DateTime<Utc>, DateTime<Utc>),
    /// Closed in `[from, to)`.
    ClosedIn(DateTime<Utc>, DateTime<Utc>),
    /// These are the entries' ids.
    IdIn(Vec<Uuid>),
    /// Its ledger number.
    Number(String),
    /// None of the inner conditions' conjunction holds.
    Not(Vec<EntryPredicate>),
}

/// How a list of entries is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntryOrder {
    /// Newest filed first (then number, descending).
    #[default]
    NewestFirst,
    /// Oldest filed first.
    OldestFirst,
    /// Nearest deadline first; entries without one last; then number.
    Deadline,
    /// By ledger number.
    Number,
    /// By closing time, then number.
    ClosedAt,
}

/// A list of entries.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryQuery {
    /// Which entries may be touched at all.
    pub scope: Scope,
    /// All of these hold.
    pub filter: Vec<EntryPredicate>,
    /// Order.
    pub order: EntryOrder,
    /// Entries skipped.
    pub offset: u64,
    /// Entries at most.
    pub limit: u64,
}

/// What entry counts are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryGroup {
    /// One total, under the key `""`.
    Total,
    /// Enterprise code.
    Enterprise,
    /// Town code.
    Town,
    /// Status wire name.
    Status,
    /// Category wire name.
    Category,
    /// Severity wire name.
    Severity,
}

/// A list of suggestions.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionQuery {
    /// Which may be touched.
    pub scope: Scope,
    /// Only this one.
    pub id: Option<Uuid>,
    /// Only adopted in `[from, to)`, ordered by adoption; else all, newest first.
    pub adopted_in: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Suggestions at most.
    pub limit: u64,
}

/// Which enterprises.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnterpriseFilter {
    /// Of this town only.
    pub town: Option<String>,
    /// These codes only.
    pub codes: Option<Vec<String>>,
    /// Only those still in the roster.
    pub active_only: bool,
}

/// The candidate lookup of one arriving report in the open-entry index (在办条目查重索引):
/// three index searches, each bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateQuery {
    /// The enterprise whose open entries are searched.
    pub enterprise: String,
    /// The arriving report (excluded from the hits).
    pub report_id: Uuid,
    /// Perceptual-hash band keys of its photos.
    pub phash_keys: Vec<i64>,
    /// Its site point.
    pub site_code: Option<String>,
    /// Location cells around it.
    pub location_cells: Vec<i64>,
    /// Place hits must be captured in `[from, to]`.
    pub captured_within: (DateTime<Utc>, DateTime<Utc>),
    /// Hits by photo at most.
    pub max_by_photo: usize,
    /// Hits by place (each of site and cell) at most.
    pub max_by_place: usize,
}

/// Which campaign records a read wants: of one kind, inside a scope (a record with a town is
/// in a town's scope; one with an enterprise in that enterprise's; the bureau's scope holds
/// none), about days in `[from, to)`, in (day, created) order, at most `limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordQuery {
    /// Kind.
    pub kind: RecordKind,
    /// Scope.
    pub scope: Scope,
    /// Only this enterprise's, when set.
    pub enterprise: Option<String>,
    /// Days from (inclusive).
    pub from: Option<NaiveDate>,
    /// Days to (exclusive).
    pub to: Option<NaiveDate>,
    /// At most.
    pub limit: u64,
}

/// Which workers a read wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerFilter {
    /// Of this town's enterprises.
    pub town: Option<String>,
    /// Of this enterprise.
    pub enterprise: Option<String>,
    /// Only workers still in the roster.
    pub active_only: bool,
}
