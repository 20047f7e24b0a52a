//! The hazard ledger's rules (隐患台账规则), in one place, above a narrow storage line.
//!
//! ```text
//!  HTTP handlers (server/src/routes)   web pages (server/src/web)   demo, roster import
//!                   │ translate only        │                           │
//!                   └──────────────► Ledger (service) ◄─────────────────┘
//!                                     rules/: filing, workflow, history, numbering,
//!                                     reads, feed, access, roster, campaign
//!                                     Calendar (district time zone)
//!                         ─────────── Repository / ReadTx / WriteTx ───────────  no rule below
//!                                     SQLite (server/src/sqlite) | PostgreSQL (later)
//! ```
//!
//! [`Ledger`] is what the server's handlers and pages call. Each of its methods is one unit of
//! work in one transaction, applying the rules of [`rules`] and answering a view of
//! [`views`] or a [`LedgerError`] — a domain error with a stable code, never an HTTP status.
//! Below it, [`repo::Repository`] loads and saves rows; a backend translates the primitive
//! predicates of [`repo::query`] and stores what it is given, nothing more. The conformance
//! suite (feature `conformance`) holds every backend to the same behaviour.

#![forbid(unsafe_code)]

pub mod calendar;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
pub mod repo;
pub mod rules;
pub mod service;
pub mod views;

pub use calendar::Calendar;
pub use error::{ErrorKind, LedgerError, LedgerResult, RepoError, RepoResult};
pub use repo::Repository;
pub use rules::access::{Actor, Device, Enrolled, Officer, Principal};
pub use rules::campaign::{DrawView, MAX_DRAW};
pub use rules::filing::CheckedReport;
pub use rules::roster::{ImportSummary, PasswordHash, RosterPassword};
pub use rules::workflow::OfficerAction;
pub use service::{Ledger, Settings};
