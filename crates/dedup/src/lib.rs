//! Deduplication of hazard reports (隐患去重): ten workers photograph the same leaking valve, the
//! ledger must hold one entry.
//!
//! Pure logic, no I/O: the server calls it inside its filing step and keeps the candidates in
//! its own database.
//!
//! - [`decide`] scores an arriving report ([`IncomingReport`]) against the reports of open
//!   entries ([`Candidate`]) and returns a [`Decision`]: merge automatically, file as a new
//!   entry flagged "possible duplicate of N", or file as a new entry, with the [`Evidence`]
//!   the officer sees. Thresholds and weights are in [`DedupConfig`].
//! - [`keys`] computes the lookup keys (perceptual-hash bands, place cells) the server stores in
//!   indexed columns; [`CandidateIndex`] is the same lookup in memory.
//! - [`framing`] tells a re-shot hazard from a different hazard against the same background.
//! - [`text`] compares notes by character n-grams; [`category`] says which categories can
//!   describe one hazard.
//!
//! The rule that shapes everything: place, time and category (and the note) never merge two
//! reports by themselves. Two different hazards at one site point on one day share all of them;
//! only photo evidence can make a merge automatic.

#![forbid(unsafe_code)]

pub mod category;
pub mod config;
pub mod framing;
pub mod index;
pub mod keys;
pub mod score;
pub mod text;

pub use category::{CategoryAffinity, category_affinity};
pub use config::{ConfigError, DedupConfig, Weights};
pub use index::{CandidateIndex, Hit, IndexError, IndexKeys};
pub use keys::{location_cell, location_cells, phash_band_keys, phash_keys};
pub use score::{
    Candidate, Decision, Evidence, IncomingReport, PairScore, ReportFacts, Signal, Verdict, decide,
    decide_exhaustive, score_pair,
};
pub use text::note_similarity;
