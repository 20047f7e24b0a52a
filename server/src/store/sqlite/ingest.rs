//! Report ingest: the idempotency rules of `POST /api/v1/reports`, inside the batch's
//! transaction.
//!
//! A report id is the phone's idempotency key. Seen before from the same device with the same
//! content hash: the stored outcome again (`already_accepted`), so a phone that lost the answer
//! can simply resend. Seen with other content, or from another device: `conflict`, never
//! overwritten. Photos must all be recorded (uploaded and verified) before the report is
//! accepted, so a ledger entry never points at a photo the server does not hold.

use chrono::{DateTime, Utc};
use hazardsnap_model::{ErrorBody, Labelled, SubmitOutcome, SubmitResult};
use rusqlite::{OptionalExtension, Transaction, params};

use super::filing::{self, Filed};
use super::ts;
use crate::store::{CheckedReport, Device, StoreResult};

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

/// Handles one report of a batch.
pub(super) fn submit_one(
    tx: &Transaction<'_>,
    device: &Device,
    report: &CheckedReport,
    now: DateTime<Utc>,
    dedup: &hazardsnap_dedup::DedupConfig,
) -> StoreResult<SubmitResult> {
    let s = &report.submission;
    let id = s.id.to_string();

    let existing: Option<(String, String)> = tx
        .query_row(
            "SELECT device_id, content_sha256 FROM reports WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((device_id, content)) = existing {
        if device_id == device.id.to_string() && content == report.content_sha256 {
            return Ok(match filing::where_filed(tx, &id)? {
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

    let mut missing = Vec::new();
    for p in &s.photos {
        let bytes: Option<i64> = tx
            .query_row(
                "SELECT bytes FROM photos WHERE sha256 = ?1",
                [&p.sha256],
                |r| r.get(0),
            )
            .optional()?;
        match bytes {
            None => missing.push(p.sha256.clone()),
            Some(b) if b as u64 != p.bytes => {
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
    // employer must not be traceable through the server's rows.
    tx.execute(
        "INSERT INTO reports (id, device_id, enterprise, kind, category, severity, anonymous,
                              note, site_code, workshop, team, lat, lon, captured_at,
                              received_at, content_sha256, submission)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            id,
            device.id.to_string(),
            device.enterprise,
            s.kind.wire_name(),
            s.category.wire_name(),
            s.severity.wire_name(),
            s.anonymous,
            s.note,
            s.site_code,
            s.workshop,
            s.team,
            s.location.map(|l| l.lat),
            s.location.map(|l| l.lon),
            ts(s.captured_at),
            ts(now),
            report.content_sha256,
            serde_json::to_string(s)
                .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?,
        ],
    )?;
    for (position, p) in s.photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO report_photos (report_id, position, sha256) VALUES (?1, ?2, ?3)",
            params![id, position as i64, p.sha256],
        )?;
    }
    let f = filing::file_report(tx, device, report, now, dedup)?;
    Ok(filed(report, SubmitOutcome::Accepted, f))
}
