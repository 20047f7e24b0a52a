//! The hazardsnap domain model, shared by the phone core and the server.
//!
//! This crate has no I/O: no files, no network, no database. It holds the vocabulary of the
//! campaign (查保促: report kinds, the "six checks" categories, severities, the "four protects",
//! the "four checks", ledger statuses, rectification levels, roles, industries), the wire types
//! of the sync protocol between phone and server, and the organisation roster format of
//! `CONTRACT.md`. Both sides speak only these types to each other; a change here is a change to
//! the protocol, which is why every wire type has a JSON snapshot test.

#![forbid(unsafe_code)]

pub mod access;
pub mod enums;
pub mod label;
pub mod link;
pub mod privacy;
pub mod roster;
pub mod supervision;
pub mod wire;
pub mod workflow;

pub use access::{Jurisdiction, Scope};
pub use enums::{
    AtRisk, Category, CheckSource, Industry, LedgerStatus, RectificationLevel, ReportKind, Role,
    Severity, SuggestionStatus, TrainingKind, VisitRating,
};
pub use label::{Labelled, Lang, UnknownValue};
pub use link::EnrollmentLink;
pub use roster::{Roster, RosterError};
pub use wire::*;
pub use workflow::{EntryState, Funds, IllegalMove, LedgerAction, RectificationPlan};
