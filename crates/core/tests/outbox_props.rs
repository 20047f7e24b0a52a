//! Property test of the outbox (发件箱) on a real SQLite store: random sequences of worker
//! actions and server answers, checked against a model after every step.
//!
//! The properties: a report leaves `queued` only by a server answer (accepted, refused, or a
//! status from the change feed); the content of a queued report never changes; edits and
//! deletions after queueing are refused with `NotEditable`; nothing a refused action touched
//! changed in the database.

mod common;

use std::collections::BTreeMap;

use chrono::Utc;
use hazardsnap_core::error::Error;
use hazardsnap_core::outbox::{LocalState, OutboxEvent, Transition, transition};
use hazardsnap_core::store::{NewReport, Store};
use hazardsnap_core::types::ReportContent;
use hazardsnap_model::{
    Category, ErrorBody, LedgerStatus, ReportChange, ReportKind, ReportSubmission, SubmitOutcome,
    SubmitResult,
};
use proptest::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Op {
    Capture { draft: bool },
    Edit(usize),
    Delete(usize),
    Queue(usize),
    Answer(usize, SubmitOutcome),
    Transient(usize),
    Change(usize, LedgerStatus),
}

fn op() -> impl Strategy<Value = Op> {
    let outcome = prop_oneof![
        Just(SubmitOutcome::Accepted),
        Just(SubmitOutcome::AlreadyAccepted),
        Just(SubmitOutcome::Conflict),
        Just(SubmitOutcome::MissingPhotos),
        Just(SubmitOutcome::Invalid),
    ];
    let status = prop_oneof![
        Just(LedgerStatus::PendingReview),
        Just(LedgerStatus::Rectifying),
        Just(LedgerStatus::Closed),
        Just(LedgerStatus::Rejected),
        Just(LedgerStatus::Merged),
    ];
    prop_oneof![
        2 => any::<bool>().prop_map(|draft| Op::Capture { draft }),
        2 => any::<usize>().prop_map(Op::Edit),
        1 => any::<usize>().prop_map(Op::Delete),
        2 => any::<usize>().prop_map(Op::Queue),
        2 => (any::<usize>(), outcome).prop_map(|(i, o)| Op::Answer(i, o)),
        1 => any::<usize>().prop_map(Op::Transient),
        1 => (any::<usize>(), status).prop_map(|(i, s)| Op::Change(i, s)),
    ]
}

fn suggestion(n: usize) -> ReportContent {
    let mut c = ReportContent::hazard(Category::Other);
    c.kind = ReportKind::Suggestion;
    c.note = format!("建议 {n}");
    c
}

/// The content the server would see, without the fields the server's answers may fill.
fn content(store: &Store, id: &str) -> ReportSubmission {
    store.submission(id).expect("submission")
}

fn event_of(op: &Op) -> Option<OutboxEvent> {
    Some(match op {
        Op::Edit(_) => OutboxEvent::Edit,
        Op::Delete(_) => OutboxEvent::Delete,
        Op::Queue(_) => OutboxEvent::Queue,
        Op::Answer(_, o) if o.is_delivered() => OutboxEvent::ServerAccepted,
        Op::Answer(_, o) if o.is_permanent_failure() => OutboxEvent::ServerRefused,
        Op::Answer(..) | Op::Transient(_) => OutboxEvent::TransientFailure,
        Op::Change(..) => OutboxEvent::ServerStatus,
        Op::Capture { .. } => return None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_outbox_follows_its_rules(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        // Model: id -> state, and the content frozen when the report was queued.
        let mut model: BTreeMap<String, LocalState> = BTreeMap::new();
        let mut frozen: BTreeMap<String, ReportSubmission> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut n = 0;
        for op in ops {
            let pick = |i: usize| (!order.is_empty()).then(|| order[i % order.len()].clone());
            let target = match &op {
                Op::Capture { draft } => {
                    n += 1;
                    let id = Uuid::now_v7();
                    let state = if *draft { LocalState::Draft } else { LocalState::Queued };
                    store.insert(&NewReport {
                        id,
                        content: suggestion(n),
                        captured_at: Utc::now(),
                        photos: vec![],
                        state,
                    }).unwrap();
                    let id = id.to_string();
                    model.insert(id.clone(), state);
                    order.push(id.clone());
                    if state == LocalState::Queued {
                        frozen.insert(id.clone(), content(&store, &id));
                    }
                    continue;
                }
                Op::Edit(i) | Op::Delete(i) | Op::Queue(i) | Op::Answer(i, _)
                | Op::Transient(i) | Op::Change(i, _) => pick(*i),
            };
            let Some(id) = target else { continue };
            let Some(&before) = model.get(&id) else {
                // Deleted earlier: every action must say "not found" or do nothing.
                let r = match &op {
                    Op::Edit(_) => store.edit_draft(&id, &suggestion(0)).map(|_| ()),
                    Op::Delete(_) => store.delete(&id),
                    Op::Queue(_) => store.queue(&id),
                    _ => Err(Error::NotFound),
                };
                prop_assert!(matches!(r, Err(Error::NotFound)), "{r:?}");
                continue;
            };
            let expected = transition(before, event_of(&op).unwrap());
            let uuid = Uuid::parse_str(&id).unwrap();
            let result: Result<(), Error> = match &op {
                Op::Edit(_) => store.edit_draft(&id, &suggestion(1000 + n)),
                Op::Delete(_) => store.delete(&id),
                Op::Queue(_) => store.queue(&id),
                Op::Answer(_, outcome) => store
                    .apply_submit_result(&SubmitResult {
                        id: uuid,
                        outcome: *outcome,
                        entry_id: None,
                        entry_number: Some("E001-2026-0001".into()),
                        status: outcome.is_delivered().then_some(LedgerStatus::PendingReview),
                        missing_photos: vec![],
                        error: (!outcome.is_delivered())
                            .then(|| ErrorBody::new("refused", "拒收 / refused")),
                    })
                    .map(|_| ()),
                Op::Transient(_) => store.record_transient_failure(&id, "offline", None).map(|_| ()),
                Op::Change(_, status) => store
                    .apply_change(&ReportChange {
                        report_id: uuid,
                        status: *status,
                        entry_id: None,
                        entry_number: Some("E001-2026-0001".into()),
                        merged_into: None,
                        reason: None,
                        suggestion: None,
                        changed_at: Utc::now(),
                    })
                    .map(|_| ()),
                Op::Capture { .. } => unreachable!(),
            };
            match expected {
                Transition::Refused => {
                    // Worker actions are refused loudly; server answers that do not apply are
                    // ignored. Either way nothing changes.
                    if matches!(op, Op::Edit(_) | Op::Delete(_) | Op::Queue(_)) {
                        prop_assert!(matches!(result, Err(Error::NotEditable(s)) if s == before),
                            "{op:?} on {before:?}: {result:?}");
                    } else {
                        prop_assert!(result.is_ok(), "{result:?}");
                    }
                }
                Transition::Deleted => {
                    prop_assert!(result.is_ok(), "{result:?}");
                    model.remove(&id);
                    frozen.remove(&id);
                }
                Transition::To(next) => {
                    prop_assert!(result.is_ok(), "{op:?} on {before:?}: {result:?}");
                    model.insert(id.clone(), next);
                    if next == LocalState::Queued && before == LocalState::Draft {
                        frozen.insert(id.clone(), content(&store, &id));
                    }
                }
            }
            // The store agrees with the model, for every report.
            for (rid, state) in &model {
                let stored = store.get(rid).unwrap();
                prop_assert_eq!(stored.local_state, *state);
                if before == LocalState::Queued && rid == &id {
                    prop_assert!(
                        matches!(event_of(&op), Some(OutboxEvent::ServerAccepted
                            | OutboxEvent::ServerRefused | OutboxEvent::ServerStatus
                            | OutboxEvent::TransientFailure))
                            || stored.local_state == LocalState::Queued,
                        "left queued without a server answer"
                    );
                }
                if let Some(f) = frozen.get(rid) {
                    prop_assert_eq!(&content(&store, rid), f, "content of a sent report changed");
                }
            }
            prop_assert_eq!(common::report_count(&store) as usize, model.len());
        }
    }
}
