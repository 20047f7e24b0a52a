//! Ingest and filing (接收与归档): what becomes of a report a phone sends.
//!
//! **Idempotency.** A report id is the phone's idempotency key. Seen before from the same
//! device with the same content hash: the stored outcome again (`already_accepted`), so a
//! phone that lost the answer can simply resend. Seen with other content, or from another
//! device: `conflict`, never overwritten. Every photo must be recorded (uploaded and
//! verified) first, so an entry never points at a photo the server does not hold.
//!
//! **Assignment.** A report goes to the ledger of the enterprise of the site point the worker
//! scanned or chose (a contractor may report on a host's site), else of the nearest site
//! point whose geofence holds its location, else of the enterprise its device is enrolled to.
//!
//! **Duplicates.** A hazard is scored against the reports of that enterprise's open entries
//! that share a key with it (a perceptual-hash band of a photo, the site point, a nearby
//! location cell in the time window) — never by scanning the ledger. The score and its two
//! thresholds are `hazardsnap_dedup`'s: above the upper one the report joins the entry (it
//! still counts: its worker took part), in the grey zone it opens a new entry flagged
//! "possible duplicate", below it opens a new entry. A suggestion is never merged.
//!
//! All of it runs in the transaction that stores the report, so two phones sending the same
//! hazard at once are filed one after the other and cannot both open an entry.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use hazardsnap_dedup::{Candidate, DedupConfig, ReportFacts, Verdict, keys};
use hazardsnap_model::{
    ErrorBody, LedgerStatus, Location, ReportKind, ReportSubmission, Scope, Severity,
    SubmitOutcome, SubmitResult, SuggestionStatus,
};
use uuid::Uuid;

use super::history::{self, Step};
use super::numbering::{self, Series};
use crate::error::{LedgerResult, RepoError, RepoResult};
use crate::repo::WriteTx;
use crate::repo::query::CandidateQuery;
use crate::repo::rows::{
    EntryRow, FeedEvent, NewReport, PhotoRecord, PhotoUploads, StoredFacts, SuggestionRow,
};
use crate::rules::access::Device;
use crate::service::{Ledger, Settings};

/// Candidates scored per arriving report at most: the newest matches win. Keeps a pathological
/// ledger (every report at one site point) from making ingest quadratic.
pub const MAX_CANDIDATES: usize = 256;
/// Of those, candidates found by place alone (same site point or location cell): each costs a
/// keypoint comparison, and a site point with more open entries than this in the time window
/// is far beyond what one enterprise's union officer could review anyway.
pub const MAX_PLACE_CANDIDATES: usize = 64;
/// Reports of one entry scored per arriving report at most, the newest first. An entry scores
/// as its best-matching report, and the reports of one entry show the same hazard: the tenth
/// worker's photo is as good a witness as the hundredth. Without this cap an entry that keeps
/// gathering duplicates (a hazard everyone walks past) makes each new duplicate cost more
/// than the last.
pub const MAX_REPORTS_PER_ENTRY: usize = 8;
/// Geofences are at most 10 km (the roster's limit): a box of that size narrows the site
/// points before the exact distance.
const GEOFENCE_BOX_M: f64 = 10_000.0;

/// A report that passed protocol validation, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedReport {
    /// The report as submitted.
    pub submission: ReportSubmission,
    /// SHA-256 of its canonical JSON: what "the same content" means for idempotency.
    pub content_sha256: String,
}

impl CheckedReport {
    /// Wraps a validated submission, computing its content hash.
    pub fn new(submission: ReportSubmission) -> Self {
        use sha2::Digest;
        // The struct's own serialization is canonical: field order is fixed and floats
        // round-trip, so equal reports give equal bytes whatever JSON the phone sent.
        let canonical = serde_json::to_vec(&submission).unwrap_or_default();
        let content_sha256 = hex::encode(sha2::Sha256::digest(&canonical));
        CheckedReport {
            submission,
            content_sha256,
        }
    }
}

/// Where a report was filed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Filed {
    id: Uuid,
    number: String,
    status: LedgerStatus,
}

fn result(report: &CheckedReport, outcome: SubmitOutcome) -> SubmitResult {
    SubmitResult {
        id: report.submission.id,
        outcome,
        entry_id: None,
        entry_number: None,
        status: None,
        missing_photos: Vec::new(),
        error: None,
    }
}

fn filed(report: &CheckedReport, outcome: SubmitOutcome, f: Filed) -> SubmitResult {
    SubmitResult {
        entry_id: Some(f.id),
        entry_number: Some(f.number),
        status: Some(f.status),
        ..result(report, outcome)
    }
}

impl Ledger {
    /// Whether a verified photo with this name is recorded.
    pub async fn has_photo(&self, sha256: String) -> LedgerResult<bool> {
        self.repo
            .read(move |tx| Ok(tx.photo_sizes(&[sha256])?.len() == 1))
            .await
    }

    /// The photos `device` was the first to store at or after `since`: what its photo quota
    /// counts (a photo already stored, by whichever device, is never stored or counted again).
    pub async fn photo_uploads_since(
        &self,
        device: Uuid,
        since: DateTime<Utc>,
    ) -> LedgerResult<PhotoUploads> {
        self.repo
            .read(move |tx| Ok(tx.photo_uploads_since(device, since)?))
            .await
    }

    /// Records a verified photo (idempotent).
    pub async fn record_photo(&self, photo: PhotoRecord, now: DateTime<Utc>) -> LedgerResult<()> {
        self.repo
            .write(move |tx| Ok(tx.insert_photo(&photo, now)?))
            .await
    }

    /// Stores a batch of validated reports from `device` in one transaction and files each
    /// accepted one; one result per report, in order. Idempotent by report id.
    pub async fn submit_reports(
        &self,
        device: Device,
        reports: Vec<CheckedReport>,
        now: DateTime<Utc>,
    ) -> LedgerResult<Vec<SubmitResult>> {
        let settings = self.settings.clone();
        self.repo
            .write(move |tx| {
                reports
                    .iter()
                    .map(|r| submit_one(tx, &settings, &device, r, now))
                    .collect()
            })
            .await
    }
}

/// Handles one report of a batch.
pub(crate) fn submit_one(
    tx: &mut dyn WriteTx,
    settings: &Settings,
    device: &Device,
    report: &CheckedReport,
    now: DateTime<Utc>,
) -> LedgerResult<SubmitResult> {
    let s = &report.submission;
    if let Some(k) = tx.report_key(s.id)? {
        if k.device_id == device.id && k.content_sha256 == report.content_sha256 {
            return Ok(match where_filed(tx, k.entry_id, k.suggestion_id)? {
                Some(f) => filed(report, SubmitOutcome::AlreadyAccepted, f),
                None => result(report, SubmitOutcome::AlreadyAccepted),
            });
        }
        return Ok(SubmitResult {
            error: Some(ErrorBody::new(
                "report_conflict",
                "该报告编号已被其他内容使用，不会覆盖 / this report id was already used with other content; it is not overwritten",
            )),
            ..result(report, SubmitOutcome::Conflict)
        });
    }

    let names: Vec<String> = s.photos.iter().map(|p| p.sha256.clone()).collect();
    let sizes = tx.photo_sizes(&names)?;
    let mut missing = Vec::new();
    for p in &s.photos {
        match sizes.get(&p.sha256) {
            None => missing.push(p.sha256.clone()),
            Some(b) if *b != p.bytes => {
                return Ok(SubmitResult {
                    error: Some(ErrorBody::new(
                        "photo_mismatch",
                        format!(
                            "照片 {} 的大小与服务器上的不符 / photo {} differs in size from the server's copy",
                            p.sha256, p.sha256
                        ),
                    )),
                    ..result(report, SubmitOutcome::Invalid)
                });
            }
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        return Ok(SubmitResult {
            missing_photos: missing,
            error: Some(ErrorBody::new(
                "missing_photos",
                "照片尚未上传，请先上传照片 / photos not uploaded yet: upload them first",
            )),
            ..result(report, SubmitOutcome::MissingPhotos)
        });
    }

    // Neither the client's address nor its user agent is stored: workers who report their own
    // employer must not be traceable through the server's rows. A mobile number typed into
    // the note is masked and deceiving characters (controls, bidi overrides) dropped (the
    // content hash stays the one of what the phone sent, so a resend is still recognised as
    // the same report).
    let mut s = s.clone();
    s.note = hazardsnap_model::privacy::stored_text(&s.note);
    tx.insert_report(&NewReport {
        submission: s.clone(),
        device_id: device.id,
        enterprise: device.enterprise.clone(),
        received_at: now,
        content_sha256: report.content_sha256.clone(),
    })?;
    let f = file_report(tx, settings, device, &s, &names, now)?;
    Ok(filed(report, SubmitOutcome::Accepted, f))
}

/// Where an already stored report is filed now.
fn where_filed(
    tx: &mut dyn WriteTx,
    entry: Option<Uuid>,
    suggestion: Option<Uuid>,
) -> RepoResult<Option<Filed>> {
    if let Some(id) = entry {
        return Ok(tx.entry(&Scope::All, id)?.map(|r| Filed {
            id,
            number: r.entry.number,
            status: r.entry.status,
        }));
    }
    if let Some(id) = suggestion {
        return Ok(tx.suggestion(id)?.map(|s| Filed {
            id,
            number: s.number,
            status: s.status,
        }));
    }
    Ok(None)
}

/// The enterprise whose ledger receives the report.
fn assign_enterprise(
    tx: &mut dyn WriteTx,
    s: &ReportSubmission,
    device: &Device,
) -> RepoResult<String> {
    if let Some(code) = &s.site_code
        && let Some(p) = tx.site_point(code)?
    {
        return Ok(p.enterprise);
    }
    if let Some(loc) = &s.location {
        let dlat = GEOFENCE_BOX_M / 111_000.0;
        let dlon = dlat / loc.lat.to_radians().cos().max(0.01);
        let mut best: Option<(f64, String)> = None;
        for p in tx.site_points_in_box(
            (loc.lat - dlat, loc.lat + dlat),
            (loc.lon - dlon, loc.lon + dlon),
        )? {
            let centre = Location {
                lat: p.lat,
                lon: p.lon,
                accuracy_m: None,
            };
            let d = loc.distance_m(&centre);
            if d <= p.radius_m && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, p.enterprise));
            }
        }
        if let Some((_, enterprise)) = best {
            return Ok(enterprise);
        }
    }
    Ok(device.enterprise.clone())
}

/// The location cell a report is stored under.
pub fn location_cell(s: &ReportSubmission) -> Option<i64> {
    s.location.as_ref().and_then(keys::location_cell)
}

/// The facts scoring reads of a report.
fn facts(
    enterprise: String,
    s: &ReportSubmission,
    photos: Vec<hazardsnap_photo::Fingerprint>,
) -> ReportFacts {
    ReportFacts {
        report_id: s.id,
        enterprise,
        kind: s.kind,
        category: s.category,
        site_code: s.site_code.clone(),
        location: s.location,
        captured_at: s.captured_at,
        note: s.note.clone(),
        photos,
    }
}

/// Files a freshly inserted report.
fn file_report(
    tx: &mut dyn WriteTx,
    settings: &Settings,
    device: &Device,
    s: &ReportSubmission,
    photo_names: &[String],
    now: DateTime<Utc>,
) -> LedgerResult<Filed> {
    let enterprise = assign_enterprise(tx, s, device)?;
    // The location cell goes in with the enterprise, before the report joins an entry: a
    // backend's open-entry index is then refreshed once, when it joins.
    tx.set_report_place(s.id, &enterprise, location_cell(s))?;
    let filed = match s.kind {
        ReportKind::Hazard => {
            let incoming = facts(enterprise.clone(), s, tx.photo_fingerprints(photo_names)?);
            // With several writers (PostgreSQL replicas) an officer may close the chosen entry
            // between the lookup and its lock: then the decision is taken again on what is
            // open now, as if the close had come first (one server could file in no other way).
            let decision = loop {
                let candidates = candidates(tx, &incoming, &settings.dedup)?;
                let decision = hazardsnap_dedup::decide(&incoming, &candidates, &settings.dedup);
                if let Verdict::AutoMerge { entry, .. } = &decision.verdict {
                    let open = tx
                        .lock_entry(&Scope::All, *entry)?
                        .is_some_and(|e| e.entry.status.is_open());
                    if !open {
                        continue;
                    }
                }
                break decision;
            };
            let detail = serde_json::json!({ "report_id": s.id.to_string(), "decision": decision })
                .to_string();
            match &decision.verdict {
                Verdict::AutoMerge { entry, .. } => join_entry(tx, s, *entry, &detail, now)?,
                Verdict::PossibleDuplicate { entry, .. } => {
                    let (mut row, filed) = open_entry(tx, settings, s, &enterprise, now)?;
                    row.possible_duplicate_of = Some(*entry);
                    row.dedup_decision = Some(detail.clone());
                    tx.update_entry(&row)?;
                    history::note_unchanged(
                        tx,
                        &row,
                        "possible_duplicate",
                        Step::filing(detail),
                        now,
                    )?;
                    filed
                }
                Verdict::New => open_entry(tx, settings, s, &enterprise, now)?.1,
            }
        }
        ReportKind::Suggestion => {
            let n = numbering::next(tx, &settings.calendar, &enterprise, Series::Suggestion, now)?;
            let id = Uuid::now_v7();
            let status = LedgerStatus::PendingReview;
            tx.insert_suggestion(&SuggestionRow {
                id,
                number: n.text.clone(),
                enterprise: enterprise.clone(),
                year: n.year,
                seq: n.seq,
                status,
                created_at: now,
                updated_at: now,
                adopted_at: None,
                adopted_by: None,
                adopted_note: None,
                review: SuggestionStatus::Received,
                reply: None,
            })?;
            tx.set_report_suggestion(s.id, id)?;
            Filed {
                id,
                number: n.text,
                status,
            }
        }
    };
    tx.append_feed(&FeedEvent {
        report_id: s.id,
        device_id: device.id,
        status: filed.status,
        entry_id: filed.id,
        entry_number: filed.number.clone(),
        merged_into: None,
        reason: None,
        suggestion: (s.kind == ReportKind::Suggestion).then_some(SuggestionStatus::Received),
        at: now,
    })?;
    Ok(filed)
}

/// Opens a new hazard ledger entry for the report.
fn open_entry(
    tx: &mut dyn WriteTx,
    settings: &Settings,
    s: &ReportSubmission,
    enterprise: &str,
    now: DateTime<Utc>,
) -> LedgerResult<(EntryRow, Filed)> {
    let n = numbering::next(tx, &settings.calendar, enterprise, Series::Hazard, now)?;
    let row = new_entry(n, enterprise, s.severity, s.category, now);
    tx.insert_entry(&row)?;
    history::opened(tx, &row, "reported", Step::filing(s.id.to_string()), now)?;
    tx.set_report_entry(s.id, row.id)?;
    let filed = Filed {
        id: row.id,
        number: row.number.clone(),
        status: row.status,
    };
    Ok((row, filed))
}

/// A fresh entry, pending review.
pub(crate) fn new_entry(
    n: numbering::Number,
    enterprise: &str,
    severity: Severity,
    category: hazardsnap_model::Category,
    now: DateTime<Utc>,
) -> EntryRow {
    EntryRow {
        id: Uuid::now_v7(),
        number: n.text,
        enterprise: enterprise.to_owned(),
        year: n.year,
        seq: n.seq,
        status: LedgerStatus::PendingReview,
        severity,
        category,
        escalated: false,
        extension_pending: false,
        requested_deadline: None,
        plan: None,
        deadline: None,
        rectified_note: None,
        merged_into: None,
        possible_duplicate_of: None,
        dedup_decision: None,
        closed_at: None,
        created_at: now,
        updated_at: now,
        supervision: None,
    }
}

/// Files the report into an existing open entry (自动合并), locked and found open by the
/// caller: the report still counts (its worker took part, and may be the first finder), the
/// ledger keeps one entry. A major report raises a general entry to major: the officer must not
/// miss that a worker judged it major.
fn join_entry(
    tx: &mut dyn WriteTx,
    s: &ReportSubmission,
    entry: Uuid,
    detail: &str,
    now: DateTime<Utc>,
) -> LedgerResult<Filed> {
    let mut row = tx
        .lock_entry(&Scope::All, entry)?
        .ok_or_else(|| RepoError::corrupt(format!("candidate entry {entry} vanished")))?
        .entry;
    tx.set_report_entry(s.id, entry)?;
    history::note_unchanged(tx, &row, "auto_merged", Step::filing(detail), now)?;
    if s.severity == Severity::Major && row.severity != Severity::Major {
        row.severity = Severity::Major;
        history::note(
            tx,
            &mut row,
            "severity_raised",
            Step::filing(s.id.to_string()),
            now,
        )?;
    }
    Ok(Filed {
        id: row.id,
        number: row.number,
        status: row.status,
    })
}

/// The reports of open entries of `incoming.enterprise` that share a key with it, oldest
/// entry first, as scoring candidates.
fn candidates(
    tx: &mut dyn WriteTx,
    incoming: &ReportFacts,
    cfg: &DedupConfig,
) -> RepoResult<Vec<Candidate>> {
    let window = Duration::seconds((cfg.candidate_window_days * 86_400.0) as i64);
    let hits = tx.candidates(&CandidateQuery {
        enterprise: incoming.enterprise.clone(),
        report_id: incoming.report_id,
        phash_keys: incoming
            .photos
            .iter()
            .flat_map(|p| keys::phash_keys(&p.phash))
            .collect(),
        site_code: incoming.site_code.clone(),
        location_cells: incoming
            .location
            .as_ref()
            .map(keys::location_cells)
            .unwrap_or_default(),
        captured_within: (incoming.captured_at - window, incoming.captured_at + window),
        max_by_photo: MAX_CANDIDATES,
        max_by_place: MAX_PLACE_CANDIDATES,
    })?;
    let mut picked = Vec::new();
    let mut seen: HashSet<Uuid> = HashSet::new();
    let mut per_entry: HashMap<Uuid, usize> = HashMap::new();
    for h in hits
        .by_photo
        .into_iter()
        .chain(hits.by_site)
        .chain(hits.by_cell)
    {
        if seen.contains(&h.report_id) {
            continue;
        }
        let n = per_entry.entry(h.entry_id).or_default();
        if *n >= MAX_REPORTS_PER_ENTRY {
            continue;
        }
        *n += 1;
        seen.insert(h.report_id);
        picked.push(h);
    }
    picked.truncate(MAX_CANDIDATES);
    // Oldest entry first: `decide` breaks ties towards the first candidate, and the oldest
    // entry is the one the first finder opened.
    picked.sort_by(|a, b| a.entry_number.cmp(&b.entry_number));
    picked
        .into_iter()
        .map(|h| {
            let StoredFacts { submission, photos } =
                tx.open_facts(&incoming.enterprise, h.report_id)?;
            Ok(Candidate {
                entry_id: h.entry_id,
                entry_number: h.entry_number,
                report: facts(incoming.enterprise.clone(), &submission, photos),
            })
        })
        .collect()
}

/// The candidate lookup of filing, run on its own in a transaction that is rolled back: for
/// the scale benchmark and its plan check.
#[doc(hidden)]
pub fn lookup_candidates(
    tx: &mut dyn WriteTx,
    incoming: &ReportFacts,
    cfg: &DedupConfig,
) -> RepoResult<Vec<Candidate>> {
    candidates(tx, incoming, cfg)
}
