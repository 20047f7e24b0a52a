//! The end-to-end suite of hazardsnap (端到端测试), as a crate of its own so that what crosses
//! the boundary between the phone and the server is tested with both real parts and neither
//! depends on the other: the server's crate never links the phone core, the phone core never
//! links the server.
//!
//! - `e2e/sync_faults.rs`: the real phone core syncing 500 and 1 000 reports through a
//!   fault proxy that cuts connections, and against the real server binary killed with SIGKILL
//!   and restarted; every report on the server exactly once, every photo byte-identical.
//! - `chaos/soak.rs`: the chaos soak — phones in several processes (the `hazardsnap` CLI)
//!   capture and sync through the [`fault_proxy`] while the server is killed and restarted,
//!   phones are killed and reopened and officers work the ledgers; at the end every report is
//!   on the server exactly once and the ledgers equal a fault-free replay.
//! - `e2e/privacy_sweep.rs`: after a worker and officers used the server from a marked
//!   address and user agent, with a mobile number typed into names and notes, none of them is
//!   in the database, the log or any export, and no served photo carries metadata.
//! - `e2e/fuzz_corpus.rs`: every fuzz target's input function ([`fuzz_inputs`]) over the
//!   seed corpus in `fuzz/corpus/` (photos, report JSON, rosters, server answers), on stable.
//! - `benches/sync_vs_curl.rs`: the phone core's sync of 1 000 reports against `curl`
//!   uploading the same photo files (`cargo bench -p hazardsnap-tests --bench sync_vs_curl`).
//!
//! They share the server's test helpers (`server/tests/common`) by path. The Python FFI
//! tests (`tests/python/`) and the API fuzzing (`tests/api/`) live beside them, driven by
//! `scripts/test.sh`.

#![forbid(unsafe_code)]

pub mod fault_proxy;
pub mod fuzz_inputs;
