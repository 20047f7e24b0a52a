//! Capture, reading, editing, deleting, pruning and recovery, through the core's public API on
//! a real data folder (SQLite file and photo folder in a temp dir).

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::Utc;
use common::{files_under, jpeg, jpeg_file};
use hazardsnap_core::{
    CaptureRequest, HazardCore, HazardError, ListQuery, LocalState, PhotoSource, Progress,
    ProgressListener, ReportContent,
};
use hazardsnap_model::{
    Category, ErrorBody, LedgerStatus, Location, ReportChange, ReportKind, Severity, SubmitOutcome,
    SubmitResult,
};
use uuid::Uuid;

async fn core(dir: &Path) -> Arc<HazardCore> {
    HazardCore::open(dir.to_string_lossy().into_owned())
        .await
        .expect("open core")
}

fn request(photos: Vec<PhotoSource>, note: &str, draft: bool) -> CaptureRequest {
    let mut content = ReportContent::hazard(Category::EquipmentGuarding);
    content.note = note.into();
    content.severity = Severity::Major;
    content.workshop = Some("一车间".into());
    content.location = Some(Location {
        lat: 36.8,
        lon: 117.87,
        accuracy_m: Some(5.0),
    });
    CaptureRequest {
        photos,
        content,
        captured_at: None,
        draft,
    }
}

struct Recorder(Mutex<Vec<Progress>>);

impl ProgressListener for Recorder {
    fn on_progress(&self, p: Progress) {
        self.0.lock().unwrap().push(p);
    }
}

#[tokio::test]
async fn capture_stores_photos_and_row_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let core = core(&data).await;
    let rec = Arc::new(Recorder(Mutex::new(Vec::new())));
    let id = core
        .capture(
            request(
                vec![
                    PhotoSource::Path {
                        path: jpeg_file(src.path(), "a.jpg", 1),
                    },
                    PhotoSource::Bytes {
                        bytes: jpeg(800, 600, 2),
                    },
                ],
                "液氯储罐区阀门泄漏",
                false,
            ),
            Some(rec.clone()),
        )
        .await
        .unwrap();
    assert_eq!(Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    let steps = rec.0.lock().unwrap().clone();
    assert_eq!(steps.last().map(|p| (p.done, p.total)), Some((2, 2)));

    let d = core.get_report(id.clone()).await.unwrap();
    assert_eq!(d.local_state, LocalState::Queued);
    assert_eq!(d.content.note, "液氯储罐区阀门泄漏");
    assert_eq!(d.photos.len(), 2);
    for p in &d.photos {
        let full = std::fs::read(p.path.as_ref().unwrap()).unwrap();
        assert_eq!(full.len() as u64, p.bytes);
        use sha2::Digest;
        assert_eq!(hex::encode(sha2::Sha256::digest(&full)), p.sha256);
        let thumb = core.thumbnail(p.sha256.clone()).await.unwrap();
        assert_eq!(thumb, std::fs::read(&p.thumbnail_path).unwrap());
        assert!(p.thumb_width <= 320 && p.thumb_height <= 320);
    }
    let events: Vec<_> = d.history.iter().map(|h| h.event.as_str()).collect();
    assert_eq!(events, ["created", "queued"]);

    let page = core.list_reports(ListQuery::default()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].photo_count, 2);
    assert!(page.items[0].thumbnail_path.is_some());
    assert!(page.next_cursor.is_none());

    let use_ = core.storage_use().await.unwrap();
    assert_eq!(use_.report_count, 1);
    assert_eq!(use_.photo_count, 2);
    assert_eq!(
        use_.photo_bytes,
        d.photos.iter().map(|p| p.bytes).sum::<u64>()
    );
    assert!(use_.database_bytes > 0 && use_.thumbnail_bytes > 0);

    // A queued report is immutable.
    let err = core.edit_draft(id.clone(), d.content.clone()).await;
    assert!(
        matches!(err, Err(HazardError::NotEditable { .. })),
        "{err:?}"
    );
    let err = core.delete_report(id.clone()).await;
    assert!(
        matches!(err, Err(HazardError::NotEditable { .. })),
        "{err:?}"
    );
    assert!(matches!(
        core.thumbnail("../../etc/passwd".into()).await,
        Err(HazardError::NotFound { .. })
    ));
}

#[tokio::test]
async fn drafts_edit_queue_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path()).await;
    let id = core
        .capture(
            request(
                vec![PhotoSource::Bytes {
                    bytes: jpeg(640, 480, 3),
                }],
                "初稿",
                true,
            ),
            None,
        )
        .await
        .unwrap();
    let mut content = core.get_report(id.clone()).await.unwrap().content;
    content.note = "改过的说明".into();
    content.category = Category::Ppe;
    content.anonymous = true;
    core.edit_draft(id.clone(), content.clone()).await.unwrap();
    let d = core.get_report(id.clone()).await.unwrap();
    assert_eq!(d.content, content);
    assert_eq!(d.local_state, LocalState::Draft);

    // An edit that breaks a rule is refused and changes nothing.
    let mut bad = content.clone();
    bad.note = "漏".repeat(10_000);
    let err = core.edit_draft(id.clone(), bad).await.unwrap_err();
    assert_eq!(err.code(), "note_too_long");
    assert_eq!(core.get_report(id.clone()).await.unwrap().content, content);

    core.queue_report(id.clone()).await.unwrap();
    assert!(core.edit_draft(id.clone(), content.clone()).await.is_err());
    assert!(matches!(
        core.queue_report(id.clone()).await,
        Err(HazardError::NotEditable { .. })
    ));

    // Deleting a draft removes its files, unless another report shows the same photo.
    let shared = jpeg(640, 480, 4);
    let a = core
        .capture(
            request(
                vec![PhotoSource::Bytes {
                    bytes: shared.clone(),
                }],
                "a",
                true,
            ),
            None,
        )
        .await
        .unwrap();
    let b = core
        .capture(
            request(vec![PhotoSource::Bytes { bytes: shared }], "b", true),
            None,
        )
        .await
        .unwrap();
    let photo = core.get_report(a.clone()).await.unwrap().photos[0].clone();
    core.delete_report(a.clone()).await.unwrap();
    assert!(Path::new(photo.path.as_ref().unwrap()).exists());
    core.delete_report(b).await.unwrap();
    assert!(!Path::new(photo.path.as_ref().unwrap()).exists());
    assert!(!Path::new(&photo.thumbnail_path).exists());
    assert!(matches!(
        core.get_report(a).await,
        Err(HazardError::NotFound { .. })
    ));
    assert!(matches!(
        core.delete_report("not-a-uuid".into()).await,
        Err(HazardError::NotFound { .. })
    ));
}

#[tokio::test]
async fn list_filters_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path()).await;
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_000_000);
    let mut ids = Vec::new();
    for i in 0..23u64 {
        let mut content = ReportContent::hazard(Category::Other);
        content.kind = ReportKind::Suggestion;
        content.note = format!("建议 {i}");
        let id = core
            .capture(
                CaptureRequest {
                    photos: vec![],
                    content,
                    captured_at: Some(base + Duration::from_secs(60 * i)),
                    draft: i % 2 == 0,
                },
                None,
            )
            .await
            .unwrap();
        ids.push(id);
    }
    // All, newest first, in pages of 10.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = core
            .list_reports(ListQuery {
                limit: 10,
                cursor,
                ..Default::default()
            })
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|r| r.id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    let drafts = core
        .list_reports(ListQuery {
            states: vec![LocalState::Draft],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(drafts.items.len(), 12);
    assert!(
        drafts
            .items
            .iter()
            .all(|r| r.local_state == LocalState::Draft)
    );

    let window = core
        .list_reports(ListQuery {
            captured_from: Some(base + Duration::from_secs(60 * 5)),
            captured_before: Some(base + Duration::from_secs(60 * 8)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        window
            .items
            .iter()
            .map(|r| r.id.clone())
            .collect::<Vec<_>>(),
        [ids[7].clone(), ids[6].clone(), ids[5].clone()]
    );
    let hazards = core
        .list_reports(ListQuery {
            kind: Some(ReportKind::Hazard),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(hazards.items.is_empty());
    let bad = core
        .list_reports(ListQuery {
            cursor: Some("garbage".into()),
            ..Default::default()
        })
        .await;
    assert!(matches!(bad, Err(HazardError::InvalidArgument { .. })));
    let counts = core.outbox_counts().await.unwrap();
    assert_eq!((counts.draft, counts.queued), (12, 11));
}

#[tokio::test]
async fn server_answers_move_queued_reports_and_status_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path()).await;
    let mut ids = Vec::new();
    for seed in 10..13 {
        ids.push(
            core.capture(
                request(
                    vec![PhotoSource::Bytes {
                        bytes: jpeg(640, 480, seed),
                    }],
                    "x",
                    false,
                ),
                None,
            )
            .await
            .unwrap(),
        );
    }
    let uuid = |s: &String| Uuid::parse_str(s).unwrap();
    let entry = Uuid::now_v7();
    core.store_blocking(|s| {
        s.apply_submit_result(&SubmitResult {
            id: uuid(&ids[0]),
            outcome: SubmitOutcome::Accepted,
            entry_id: Some(entry),
            entry_number: Some("E001-2026-0001".into()),
            status: Some(LedgerStatus::PendingReview),
            missing_photos: vec![],
            error: None,
        })?;
        s.apply_submit_result(&SubmitResult {
            id: uuid(&ids[1]),
            outcome: SubmitOutcome::Invalid,
            entry_id: None,
            entry_number: None,
            status: None,
            missing_photos: vec![],
            error: Some(ErrorBody::new(
                "invalid_location",
                "纬度超出范围 / latitude out of range",
            )),
        })?;
        s.record_transient_failure(&ids[2], "network down", None)?;
        s.apply_change(&ReportChange {
            report_id: uuid(&ids[0]),
            status: LedgerStatus::Closed,
            entry_id: Some(entry),
            entry_number: Some("E001-2026-0001".into()),
            merged_into: None,
            reason: None,
            suggestion: None,
            changed_at: Utc::now() - chrono::Duration::days(40),
        })
    })
    .unwrap();
    let a = core.get_report(ids[0].clone()).await.unwrap();
    assert_eq!(a.local_state, LocalState::Synced);
    assert_eq!(a.server.status, Some(LedgerStatus::Closed));
    assert_eq!(a.server.entry_number.as_deref(), Some("E001-2026-0001"));
    let events: Vec<_> = a.history.iter().map(|h| h.event.as_str()).collect();
    assert_eq!(events, ["created", "queued", "synced", "closed"]);
    let b = core.get_report(ids[1].clone()).await.unwrap();
    assert_eq!(b.local_state, LocalState::Failed);
    assert_eq!(b.fail_code.as_deref(), Some("invalid_location"));
    let c = core.get_report(ids[2].clone()).await.unwrap();
    assert_eq!((c.local_state, c.retry_count), (LocalState::Queued, 1));

    // Pruning: the closed report loses its full-size photo, keeps its thumbnail.
    let before = core.storage_use().await.unwrap();
    let out = core.prune_photos(30).await.unwrap();
    assert_eq!(out.photos_pruned, 1);
    let a = core.get_report(ids[0].clone()).await.unwrap();
    assert!(a.photos[0].path.is_none());
    assert!(Path::new(&a.photos[0].thumbnail_path).exists());
    let after = core.storage_use().await.unwrap();
    assert_eq!(before.photo_bytes - after.photo_bytes, out.bytes_freed);
    assert_eq!(after.pruned_photo_count, 1);
    assert_eq!(core.prune_photos(30).await.unwrap().photos_pruned, 0);

    // A failed report can be dismissed.
    core.delete_report(ids[1].clone()).await.unwrap();
}

#[tokio::test]
async fn a_second_core_on_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = core(dir.path()).await;
    let second = HazardCore::open(dir.path().to_string_lossy().into_owned()).await;
    assert!(
        matches!(second, Err(HazardError::Busy { .. })),
        "{second:?}"
    );
    drop(first);
    core(dir.path()).await;
}

#[tokio::test]
async fn leftovers_of_a_crash_are_swept_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let kept = {
        let core = core(dir.path()).await;
        core.capture(
            request(
                vec![PhotoSource::Bytes {
                    bytes: jpeg(640, 480, 20),
                }],
                "x",
                false,
            ),
            None,
        )
        .await
        .unwrap()
    };
    // What a crash mid-capture leaves: a half-written temp file, and complete files whose row
    // was never committed.
    std::fs::write(dir.path().join("tmp/abc.part"), b"half a jpeg").unwrap();
    let orphan = "f".repeat(64);
    std::fs::write(dir.path().join(format!("photos/{orphan}.jpg")), b"x").unwrap();
    std::fs::write(dir.path().join(format!("thumbs/{orphan}.jpg")), b"x").unwrap();
    let core = core(dir.path()).await;
    let swept = core.store_blocking(|s| Ok(s.swept())).unwrap();
    assert_eq!((swept.temp_files, swept.orphans), (1, 2));
    assert!(files_under(&dir.path().join("tmp")).is_empty());
    let d = core.get_report(kept).await.unwrap();
    assert!(Path::new(d.photos[0].path.as_ref().unwrap()).exists());
}

#[tokio::test]
async fn a_damaged_database_is_moved_aside_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let core = core(dir.path()).await;
        core.capture(
            request(
                vec![PhotoSource::Bytes {
                    bytes: jpeg(640, 480, 30),
                }],
                "x",
                false,
            ),
            None,
        )
        .await
        .unwrap()
    };
    let db = dir.path().join("hazardsnap.db");
    let original = std::fs::read(&db).unwrap();
    // Garbage over the header: SQLite no longer recognises the file.
    let mut damaged = original.clone();
    damaged[..100].fill(0xAB);
    std::fs::write(&db, &damaged).unwrap();

    let core = core(dir.path()).await;
    let notice = core
        .damage_notice()
        .await
        .unwrap()
        .expect("told about damage");
    let moved = Path::new(&notice.moved_to);
    assert_eq!(std::fs::read(moved.join("hazardsnap.db")).unwrap(), damaged);
    assert!(
        !files_under(&moved.join("photos")).is_empty(),
        "photos kept"
    );
    assert!(notice.reason.contains(" / "));
    assert!(
        core.list_reports(ListQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(
        core.get_report(id).await,
        Err(HazardError::NotFound { .. })
    ));
    // The fresh database works, and the notice stays until acknowledged.
    core.capture(
        request(
            vec![PhotoSource::Bytes {
                bytes: jpeg(640, 480, 31),
            }],
            "y",
            false,
        ),
        None,
    )
    .await
    .unwrap();
    drop(core);
    let core = self::core(dir.path()).await;
    assert!(core.damage_notice().await.unwrap().is_some());
    core.acknowledge_damage().await.unwrap();
    assert!(core.damage_notice().await.unwrap().is_none());
    assert_eq!(core.outbox_counts().await.unwrap().queued, 1);
}
