//! The repository conformance suite (存储后端一致性测试): what every backend of
//! [`Repository`] must do, written against the trait alone, run unchanged against each
//! backend by [`repository_conformance!`](crate::repository_conformance).
//!
//! A backend's test module calls the macro with a factory that opens a fresh, empty,
//! migrated repository in a given folder:
//!
//! ```ignore
//! hazardsnap_ledger::repository_conformance!(|dir: &std::path::Path| {
//!     std::sync::Arc::new(MyRepository::open(dir)?) as std::sync::Arc<dyn Repository>
//! });
//! ```
//!
//! The suite checks rows round-trip exactly, every scope and predicate selects what its
//! documentation says, orders and pages hold, counters never repeat, logs keep their order,
//! the open-entry index follows every change of an entry, and a failed unit of work leaves
//! nothing behind. The last tests drive the rules ([`Ledger`]) over the backend, so the whole
//! loop is proven on it too.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hazardsnap_dedup::keys;
use hazardsnap_model::{
    AtRisk, Category, CheckSource, Funds, Industry, LedgerStatus, Location, PhotoRef,
    RectificationLevel, RectificationPlan, ReportKind, ReportSubmission, Role, Scope, Severity,
    SuggestionStatus,
};
use hazardsnap_photo::SceneSignature;
use uuid::Uuid;

use crate::error::LedgerError;
use crate::repo::query::{
    CandidateQuery, EnterpriseFilter, EntryGroup, EntryOrder, EntryPredicate, EntryQuery,
    RecordQuery, SuggestionQuery, WorkerFilter,
};
use crate::repo::rows::{
    DeviceRow, DrawCandidateView, DrawRecord, EnterpriseRow, EntryRow, FeedEvent, HistoryEvent,
    NewReport, PhotoRecord, PhotoUploads, RecordKind, RecordRow, SessionRow, SitePoint,
    SuggestionRow, TownRow, UserRow, WorkerRow,
};
use crate::repo::{Repository, WriteTx};
use crate::rules::access::{Actor, Device, Officer};
use crate::rules::filing::CheckedReport;
use crate::rules::workflow::OfficerAction;
use crate::service::{Ledger, Settings};
use crate::views::LedgerFilter;

/// Runs the whole suite against the repositories `$open` makes: one `#[tokio::test]` per
/// check, each in a fresh folder.
#[macro_export]
macro_rules! repository_conformance {
    ($open:expr) => {
        $crate::repository_conformance!(@tests $open;
            organisation_round_trips_and_upserts_are_idempotent,
            devices_and_sessions_round_trip,
            entries_round_trip_and_keep_their_number,
            scopes_select_their_owners,
            predicates_orders_and_pages,
            counters_never_repeat,
            reports_photos_and_links,
            photo_uploads_count_per_device_since_a_moment,
            history_and_feed_keep_their_order,
            cursors_never_skip_a_late_commit,
            suggestions_reveals_and_draws,
            the_open_index_follows_every_change,
            a_failed_unit_of_work_leaves_nothing,
            the_loop_runs_on_the_backend,
            workers_and_their_devices,
            campaign_records_by_kind_scope_and_day,
        );
    };
    (@tests $open:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let dir = $crate::conformance::TempDir::new();
                let open = $open;
                let repo: std::sync::Arc<dyn $crate::Repository> = open(dir.path());
                $crate::conformance::$name(repo).await;
            }
        )*
    };
}

/// A folder removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh empty folder under the system's temporary folder.
    #[allow(clippy::new_without_default)]
    pub fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!("hazardsnap-conformance-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
}

async fn write<T: Send + 'static>(
    repo: &Arc<dyn Repository>,
    f: impl FnOnce(&mut dyn WriteTx) -> crate::RepoResult<T> + Send + 'static,
) -> T {
    repo.write(move |tx| Ok(f(tx)?)).await.expect("write")
}

async fn read<T: Send + 'static>(
    repo: &Arc<dyn Repository>,
    f: impl FnOnce(&mut dyn crate::repo::ReadTx) -> crate::RepoResult<T> + Send + 'static,
) -> T {
    repo.read(move |tx| Ok(f(tx)?)).await.expect("read")
}

/// The organisation, one pending entry of E001 and one report of a device filed nowhere yet:
/// the entry's id, the report's, the device's.
async fn one_report_in_one_entry(repo: &Arc<dyn Repository>) -> (Uuid, Uuid, Uuid) {
    write(repo, organisation).await;
    let p = photo(1);
    write(repo, move |tx| {
        tx.insert_photo(&p, t(1, 0))?;
        let dev = device(tx, "E001", 4)?;
        let e = entry("E001", 1, LedgerStatus::PendingReview, t(5, 0));
        tx.insert_entry(&e)?;
        let s = submission(ReportKind::Hazard, &p, t(5, 0));
        tx.insert_report(&NewReport {
            submission: s.clone(),
            device_id: dev,
            enterprise: "E001".into(),
            received_at: t(5, 0),
            content_sha256: "c".into(),
        })?;
        Ok((e.id, s.id, dev))
    })
    .await
}

/// Two towns, three enterprises (two in T01), a site point, an officer, a code.
fn organisation(tx: &mut dyn WriteTx) -> crate::RepoResult<usize> {
    let mut n = tx.set_district_name("周村区")?;
    for (code, name) in [("T01", "丝绸路街道"), ("T02", "城北路街道")] {
        n += tx.upsert_town(&TownRow {
            code: code.into(),
            name: name.into(),
        })?;
    }
    for (code, town, industry) in [
        ("E001", "T01", Industry::HazardousChemicals),
        ("E002", "T01", Industry::Other),
        ("E003", "T02", Industry::Metallurgy),
    ] {
        n += tx.upsert_enterprise(&EnterpriseRow {
            code: code.into(),
            name: format!("企业{code}"),
            town: town.into(),
            industry,
            private_sme: code == "E002",
            active: true,
        })?;
        n += tx.upsert_enrollment_code(&format!("{code}-JOIN"), code)?;
    }
    n += tx.upsert_workshop("E001", "一车间", 0)?;
    n += tx.upsert_team("E001", "一车间", "甲班", 0)?;
    n += tx.upsert_site_point(&SitePoint {
        code: "E001-P01".into(),
        enterprise: "E001".into(),
        name: "液氯储罐区".into(),
        lat: 36.80,
        lon: 117.87,
        radius_m: 50.0,
    })?;
    n += tx.upsert_user(
        &UserRow {
            username: "zhang.san".into(),
            password_hash: String::new(),
            role: Role::Enterprise,
            scope: Some("E001".into()),
            active: true,
        },
        Some("$argon2id$hash-1"),
    )?;
    Ok(n)
}

/// A device of `enterprise`, inserted.
fn device(tx: &mut dyn WriteTx, enterprise: &str, seed: u8) -> crate::RepoResult<Uuid> {
    let id = Uuid::now_v7();
    tx.insert_device(&DeviceRow {
        id,
        token_sha256: [seed; 32],
        enterprise: enterprise.into(),
        name: format!("手机{seed}"),
        enrollment_code: format!("{enterprise}-JOIN"),
        enrolled_at: t(1, 0),
        revoked_at: None,
        worker: None,
        officer: None,
    })?;
    Ok(id)
}

fn photo(seed: u8) -> PhotoRecord {
    let mut phash = [0u8; 32];
    for (i, b) in phash.iter_mut().enumerate() {
        *b = (i as u8)
            .wrapping_mul(29)
            .wrapping_add(seed.wrapping_mul(97))
            ^ 0x3C;
    }
    PhotoRecord {
        sha256: hex::encode([seed; 32]),
        bytes: 1000 + u64::from(seed),
        width: 640,
        height: 480,
        phash,
        scene: SceneSignature::default().to_bytes(),
        uploaded_by: None,
    }
}

fn submission(kind: ReportKind, photo: &PhotoRecord, at: DateTime<Utc>) -> ReportSubmission {
    ReportSubmission {
        id: Uuid::now_v7(),
        kind,
        category: Category::EquipmentGuarding,
        severity: Severity::General,
        at_risk: vec![AtRisk::Oneself, AtRisk::Equipment],
        source: CheckSource::WorkerCheck,
        note: "阀门泄漏".into(),
        captured_at: at,
        photos: vec![PhotoRef {
            sha256: photo.sha256.clone(),
            bytes: photo.bytes,
            width: photo.width,
            height: photo.height,
            phash: None,
        }],
        location: Some(Location {
            lat: 36.8,
            lon: 117.87,
            accuracy_m: Some(8.0),
        }),
        site_code: Some("E001-P01".into()),
        workshop: Some("一车间".into()),
        team: Some("甲班".into()),
        anonymous: false,
    }
}

fn entry(enterprise: &str, seq: i64, status: LedgerStatus, at: DateTime<Utc>) -> EntryRow {
    EntryRow {
        id: Uuid::now_v7(),
        number: format!("{enterprise}-2026-{seq:04}"),
        enterprise: enterprise.into(),
        year: 2026,
        seq,
        status,
        severity: Severity::General,
        category: Category::Ppe,
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
        created_at: at,
        updated_at: at,
        supervision: None,
    }
}

/// Organisation rows round-trip; the same upserts again change nothing; what leaves the
/// roster is deactivated, not deleted.
pub async fn organisation_round_trips_and_upserts_are_idempotent(repo: Arc<dyn Repository>) {
    assert!(read(&repo, |tx| tx.has_no_organisation()).await);
    assert!(write(&repo, organisation).await > 0);
    assert_eq!(
        write(&repo, organisation).await,
        0,
        "a second import changes nothing"
    );
    assert!(!read(&repo, |tx| tx.has_no_organisation()).await);
    let all = read(&repo, |tx| tx.enterprises(&EnterpriseFilter::default())).await;
    assert_eq!(
        all.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
        ["E001", "E002", "E003"]
    );
    assert_eq!(all[0].industry, Industry::HazardousChemicals);
    assert!(all[1].private_sme && all[1].active);
    let t01 = read(&repo, |tx| {
        tx.enterprises(&EnterpriseFilter {
            town: Some("T01".into()),
            ..Default::default()
        })
    })
    .await;
    assert_eq!(t01.len(), 2);
    let names = read(&repo, |tx| tx.town_names()).await;
    assert_eq!(names.get("T02").map(String::as_str), Some("城北路街道"));
    let towns = read(&repo, |tx| tx.towns()).await;
    assert_eq!(towns.len(), 2);
    assert!(towns.iter().all(|(_, active)| *active));
    assert_eq!(read(&repo, |tx| tx.users()).await.len(), 1);
    let codes = read(&repo, |tx| tx.enrollment_codes()).await;
    assert_eq!(
        codes.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(),
        ["E001-JOIN", "E002-JOIN", "E003-JOIN"]
    );

    let p = read(&repo, |tx| tx.site_point("E001-P01")).await.unwrap();
    assert_eq!((p.enterprise.as_str(), p.radius_m), ("E001", 50.0));
    let near = read(&repo, |tx| {
        tx.site_points_in_box((36.7, 36.9), (117.8, 117.9))
    })
    .await;
    assert_eq!(near.len(), 1);
    let far = read(&repo, |tx| {
        tx.site_points_in_box((30.0, 31.0), (117.8, 117.9))
    })
    .await;
    assert!(far.is_empty());

    let u = read(&repo, |tx| tx.user("zhang.san")).await.unwrap();
    assert_eq!(
        (u.password_hash.as_str(), u.role, u.scope.as_deref()),
        ("$argon2id$hash-1", Role::Enterprise, Some("E001"))
    );
    let hashes = read(&repo, |tx| tx.roster_password_hashes()).await;
    assert_eq!(hashes["zhang.san"], "$argon2id$hash-1");
    assert!(
        write(&repo, |tx| tx
            .set_password_hash("zhang.san", "$argon2id$own"))
        .await
    );
    let hashes = read(&repo, |tx| tx.roster_password_hashes()).await;
    assert_eq!(
        hashes["zhang.san"], "$argon2id$hash-1",
        "the roster's initial stays"
    );

    let code = read(&repo, |tx| tx.enrollment_code("E002-JOIN"))
        .await
        .unwrap();
    assert_eq!(
        (
            code.enterprise.as_str(),
            code.active,
            code.enterprise_active
        ),
        ("E002", true, true)
    );

    // E003, T02, its code, the site point, the team and the officer leave the roster.
    let changed = write(&repo, |tx| {
        Ok(tx.deactivate_enterprises(&["E001".into(), "E002".into()])?
            + tx.deactivate_towns(&["T01".into()])?
            + tx.deactivate_enrollment_codes(&["E001-JOIN".into()])?
            + tx.deactivate_site_points(&[])?
            + tx.deactivate_teams("E001", "一车间", &[])?
            + tx.deactivate_users(&[])?)
    })
    .await;
    assert_eq!(changed, 1 + 1 + 2 + 1 + 1 + 1);
    assert_eq!(
        write(&repo, |tx| tx
            .deactivate_enterprises(&["E001".into(), "E002".into()]))
        .await,
        0
    );
    let active = read(&repo, |tx| {
        tx.enterprises(&EnterpriseFilter {
            active_only: true,
            ..Default::default()
        })
    })
    .await;
    assert_eq!(active.len(), 2);
    let towns = read(&repo, |tx| tx.towns()).await;
    assert_eq!(
        towns
            .iter()
            .map(|(t, a)| (t.code.as_str(), *a))
            .collect::<Vec<_>>(),
        [("T01", true), ("T02", false)]
    );
    assert!(read(&repo, |tx| tx.site_point("E001-P01")).await.is_none());
    assert!(!read(&repo, |tx| tx.user("zhang.san")).await.unwrap().active);
    let code = read(&repo, |tx| tx.enrollment_code("E003-JOIN"))
        .await
        .unwrap();
    assert!(!code.active && !code.enterprise_active);
    // Back in the roster: reactivated by the upsert, which counts as a change.
    assert!(write(&repo, organisation).await > 0);
    assert_eq!(
        write(&repo, |tx| tx
            .deactivate_workshops("E001", &["一车间".into()]))
        .await,
        0
    );
}

/// Devices and sessions: found by their token's hash, revoked once.
pub async fn devices_and_sessions_round_trip(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let id = write(&repo, |tx| device(tx, "E002", 7)).await;
    let dev = read(&repo, |tx| tx.device_by_token(&[7; 32]))
        .await
        .unwrap();
    assert_eq!((dev.id, dev.enterprise.as_str()), (id, "E002"));
    assert!(dev.revoked_at.is_none());
    assert!(
        read(&repo, |tx| tx.device_by_token(&[8; 32]))
            .await
            .is_none()
    );
    assert!(write(&repo, move |tx| tx.revoke_device(id, t(2, 0))).await);
    assert!(!write(&repo, move |tx| tx.revoke_device(id, t(2, 1))).await);
    let dev = read(&repo, |tx| tx.device_by_token(&[7; 32]))
        .await
        .unwrap();
    assert_eq!(dev.revoked_at, Some(t(2, 0)));
    let listed = read(&repo, |tx| tx.devices(10)).await;
    assert_eq!(listed, [dev]);
    assert!(read(&repo, |tx| tx.devices(0)).await.is_empty());

    for seed in [1u8, 2] {
        write(&repo, move |tx| {
            tx.insert_session(&SessionRow {
                token_sha256: [seed; 32],
                username: "zhang.san".into(),
                created_at: t(3, 0),
                expires_at: t(3, 12),
                revoked_at: None,
                last_seen_at: None,
            })
        })
        .await;
    }
    let s = read(&repo, |tx| tx.session(&[1; 32])).await.unwrap();
    assert_eq!((s.username.as_str(), s.expires_at), ("zhang.san", t(3, 12)));
    assert_eq!(s.last_seen_at, None);
    write(&repo, |tx| tx.touch_session(&[1; 32], t(3, 5))).await;
    let s = read(&repo, |tx| tx.session(&[1; 32])).await.unwrap();
    assert_eq!(s.last_seen_at, Some(t(3, 5)));
    assert_eq!(
        write(&repo, |tx| tx.revoke_sessions_of(
            "zhang.san",
            Some(&[1; 32]),
            t(3, 1)
        ))
        .await,
        1
    );
    assert!(
        read(&repo, |tx| tx.session(&[2; 32]))
            .await
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert!(write(&repo, |tx| tx.revoke_session(&[1; 32], t(3, 2))).await);
    assert!(!write(&repo, |tx| tx.revoke_session(&[1; 32], t(3, 3))).await);
}

/// An entry comes back exactly as stored; saving changes every changeable column and never
/// the number.
pub async fn entries_round_trip_and_keep_their_number(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let other = entry("E001", 2, LedgerStatus::PendingReview, t(4, 7));
    let mut e = entry("E001", 1, LedgerStatus::PendingReview, t(4, 8));
    e.possible_duplicate_of = Some(other.id);
    e.dedup_decision = Some("{\"score\":0.7}".into());
    let stored = e.clone();
    write(&repo, move |tx| {
        tx.insert_entry(&other)?;
        tx.insert_entry(&stored)
    })
    .await;
    let id = e.id;
    let got = read(&repo, move |tx| tx.entry(&Scope::All, id))
        .await
        .unwrap();
    assert_eq!(got.entry, e);
    assert_eq!(
        (got.enterprise_name.as_str(), got.town.as_str()),
        ("企业E001", "T01")
    );

    e.status = LedgerStatus::Closed;
    e.severity = Severity::Major;
    e.category = Category::Rules;
    e.escalated = true;
    e.extension_pending = true;
    e.requested_deadline = Some(d(30));
    e.plan = Some(RectificationPlan {
        responsible: "设备科".into(),
        measures: "更换".into(),
        funds: Funds(12_345),
        deadline: d(20),
        contingency: "警戒".into(),
        level: RectificationLevel::Workshop,
    });
    e.deadline = Some(d(20));
    e.rectified_note = Some("已更换".into());
    e.merged_into = e.possible_duplicate_of;
    e.closed_at = Some(t(10, 9));
    e.supervision = Some(crate::repo::rows::Supervision {
        state: crate::repo::rows::SupervisionState::Accepted,
        unit: Some("区安监局执法大队".into()),
        deadline: Some(d(30)),
        by: Some("ajj".into()),
        at: t(10, 8),
        note: Some("限期整改".into()),
    });
    e.updated_at = t(10, 9);
    let mut saved = e.clone();
    saved.number = "E001-2026-9999".into();
    write(&repo, move |tx| tx.update_entry(&saved)).await;
    let locked = write(&repo, move |tx| tx.lock_entry(&Scope::All, id))
        .await
        .unwrap();
    assert_eq!(
        locked.entry, e,
        "every changeable column saved, the number kept"
    );
    assert!(
        read(&repo, |tx| tx.entry(&Scope::All, Uuid::now_v7()))
            .await
            .is_none()
    );
}

/// Every scope selects exactly the things of its owners, for entries, reports, photos and
/// suggestions.
pub async fn scopes_select_their_owners(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let p = photo(1);
    let (e1, e3, r1, sug) = write(&repo, move |tx| {
        let dev = device(tx, "E001", 1)?;
        tx.insert_photo(&p, t(1, 0))?;
        let mut e1 = entry("E001", 1, LedgerStatus::Rectifying, t(4, 0));
        e1.escalated = true;
        let e3 = entry("E003", 1, LedgerStatus::PendingReview, t(4, 0));
        tx.insert_entry(&e1)?;
        tx.insert_entry(&e3)?;
        let s = submission(ReportKind::Hazard, &p, t(4, 0));
        tx.insert_report(&NewReport {
            submission: s.clone(),
            device_id: dev,
            enterprise: "E001".into(),
            received_at: t(4, 1),
            content_sha256: "c1".into(),
        })?;
        tx.set_report_entry(s.id, e1.id)?;
        let idea = submission(ReportKind::Suggestion, &p, t(4, 0));
        tx.insert_report(&NewReport {
            submission: idea.clone(),
            device_id: dev,
            enterprise: "E002".into(),
            received_at: t(4, 1),
            content_sha256: "c2".into(),
        })?;
        let sug = Uuid::now_v7();
        tx.insert_suggestion(&SuggestionRow {
            id: sug,
            number: "E002-2026-S0001".into(),
            enterprise: "E002".into(),
            year: 2026,
            seq: 1,
            status: LedgerStatus::PendingReview,
            created_at: t(4, 1),
            updated_at: t(4, 1),
            adopted_at: None,
            adopted_by: None,
            adopted_note: None,
            review: SuggestionStatus::Received,
            reply: None,
        })?;
        tx.set_report_suggestion(idea.id, sug)?;
        tx.add_entry_photo(e3.id, &p.sha256, "officer", t(5, 0))?;
        Ok((e1.id, e3.id, s.id, sug))
    })
    .await;
    let cases = [
        (Scope::All, [true, true, true, true]),
        (Scope::Town("T01".into()), [true, false, true, true]),
        (Scope::Town("T02".into()), [false, true, false, false]),
        (Scope::Enterprise("E001".into()), [true, false, true, false]),
        (
            Scope::Enterprise("E002".into()),
            [false, false, false, true],
        ),
        (Scope::Escalated, [true, false, true, false]),
    ];
    for (scope, [sees_e1, sees_e3, sees_r1, sees_sug]) in cases {
        let s = scope.clone();
        let (a, b, c, dd, photo_seen) = read(&repo, move |tx| {
            Ok((
                tx.entry(&s, e1)?.is_some(),
                tx.entry(&s, e3)?.is_some(),
                tx.report(&s, r1)?.is_some(),
                tx.suggestion_in(&s, sug)?.is_some(),
                tx.photo_in_scope(&s, &hex::encode([1u8; 32]))?,
            ))
        })
        .await;
        assert_eq!(
            [a, b, c, dd],
            [sees_e1, sees_e3, sees_r1, sees_sug],
            "{scope:?}"
        );
        // The photo belongs to r1 (E001, escalated entry) and to the suggestion's report
        // (E002), and is an after-photo of e3 (T02).
        assert_eq!(photo_seen, sees_r1 || sees_e3 || sees_sug, "{scope:?}");
        let s = scope.clone();
        let listed = read(&repo, move |tx| {
            tx.entries(&EntryQuery {
                scope: s,
                filter: vec![],
                order: EntryOrder::Number,
                offset: 0,
                limit: 100,
            })
        })
        .await;
        assert_eq!(
            listed.len(),
            usize::from(sees_e1) + usize::from(sees_e3),
            "{scope:?}"
        );
        let s = scope.clone();
        let sugs = read(&repo, move |tx| {
            tx.suggestions(&SuggestionQuery {
                scope: s,
                id: None,
                adopted_in: None,
                limit: 10,
            })
        })
        .await;
        assert_eq!(sugs.len(), usize::from(sees_sug), "{scope:?}");
    }
    assert!(
        !read(&repo, move |tx| tx
            .photo_in_scope(&Scope::All, &"f".repeat(64)))
        .await
    );
    // Open entries per site point: r1 (at E001-P01) is in e1, which is open and escalated.
    let open = vec![LedgerStatus::PendingReview, LedgerStatus::Rectifying];
    let o = open.clone();
    let by_site = read(&repo, move |tx| tx.count_entries_by_site(&Scope::All, &o)).await;
    assert_eq!(by_site.get("E001-P01"), Some(&1));
    let by_site = read(&repo, move |tx| {
        tx.count_entries_by_site(&Scope::Town("T02".into()), &open)
    })
    .await;
    assert!(by_site.is_empty());
    let by_site = read(&repo, |tx| {
        tx.count_entries_by_site(&Scope::All, &[LedgerStatus::Closed])
    })
    .await;
    assert!(by_site.is_empty());
}

/// Each predicate, the orders and the pages of a list; counts grouped.
pub async fn predicates_orders_and_pages(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let rows = write(&repo, |tx| {
        let mut rows = Vec::new();
        let specs = [
            (
                "E001",
                LedgerStatus::Rectifying,
                Some(d(3)),
                Severity::Major,
                true,
            ),
            (
                "E001",
                LedgerStatus::Rectifying,
                Some(d(20)),
                Severity::General,
                false,
            ),
            (
                "E002",
                LedgerStatus::Closed,
                Some(d(2)),
                Severity::Major,
                false,
            ),
            (
                "E003",
                LedgerStatus::PendingReview,
                None,
                Severity::General,
                false,
            ),
            (
                "E001",
                LedgerStatus::Rejected,
                None,
                Severity::General,
                false,
            ),
        ];
        for (i, (ent, status, deadline, severity, escalated)) in specs.into_iter().enumerate() {
            let mut e = entry(ent, i as i64 + 1, status, t(1 + i as u32, 0));
            e.deadline = deadline;
            e.severity = severity;
            e.escalated = escalated;
            if status == LedgerStatus::Closed {
                e.closed_at = Some(t(15, 0));
            }
            if i == 3 {
                e.category = Category::Rules;
            }
            tx.insert_entry(&e)?;
            rows.push(e.id);
        }
        Ok(rows)
    })
    .await;
    let list = |filter: Vec<EntryPredicate>, order: EntryOrder, offset: u64, limit: u64| {
        let repo = repo.clone();
        async move {
            read(&repo, move |tx| {
                tx.entries(&EntryQuery {
                    scope: Scope::All,
                    filter,
                    order,
                    offset,
                    limit,
                })
            })
            .await
            .into_iter()
            .map(|r| r.entry.id)
            .collect::<Vec<_>>()
        }
    };
    let open = vec![
        LedgerStatus::PendingReview,
        LedgerStatus::Rectifying,
        LedgerStatus::AwaitingVerification,
    ];
    let overdue = vec![
        EntryPredicate::StatusIn(open.clone()),
        EntryPredicate::DeadlineBefore(d(10)),
    ];
    use EntryOrder as O;
    use EntryPredicate as P;
    assert_eq!(list(overdue.clone(), O::Number, 0, 10).await, [rows[0]]);
    let mut not_overdue = list(vec![P::Not(overdue)], O::Number, 0, 10).await;
    not_overdue.sort();
    assert_eq!(not_overdue, [rows[1], rows[2], rows[3], rows[4]]);
    // A condition on a column that is not set does not hold, so its `Not` does: the entries
    // never closed are "not closed in March".
    let mut not_closed = list(
        vec![P::Not(vec![P::ClosedIn(t(1, 0), t(31, 0))])],
        O::Number,
        0,
        10,
    )
    .await;
    not_closed.sort();
    assert_eq!(not_closed, [rows[0], rows[1], rows[3], rows[4]]);
    assert_eq!(
        list(vec![P::Enterprise("E001".into())], O::Number, 0, 10).await,
        [rows[0], rows[1], rows[4]]
    );
    assert_eq!(
        list(vec![P::Town("T02".into())], O::Number, 0, 10).await,
        [rows[3]]
    );
    assert_eq!(
        list(vec![P::Severity(Severity::Major)], O::Number, 0, 10).await,
        [rows[0], rows[2]]
    );
    assert_eq!(
        list(vec![P::Category(Category::Rules)], O::Number, 0, 10).await,
        [rows[3]]
    );
    assert_eq!(
        list(vec![P::Escalated(true)], O::Number, 0, 10).await,
        [rows[0]]
    );
    assert_eq!(
        list(vec![P::DeadlineWithin(d(3), d(20))], O::Number, 0, 10).await,
        [rows[0], rows[1]]
    );
    assert_eq!(
        list(vec![P::CreatedIn(t(2, 0), t(4, 0))], O::Number, 0, 10).await,
        [rows[1], rows[2]]
    );
    assert_eq!(
        list(vec![P::ClosedIn(t(15, 0), t(16, 0))], O::Number, 0, 10).await,
        [rows[2]]
    );
    assert_eq!(
        list(vec![P::IdIn(vec![rows[4], rows[1]])], O::Number, 0, 10).await,
        [rows[1], rows[4]]
    );
    assert_eq!(
        list(vec![P::Number("E002-2026-0003".into())], O::Number, 0, 10).await,
        [rows[2]]
    );
    assert_eq!(
        list(vec![P::StatusIn(vec![])], O::Number, 0, 10).await,
        Vec::<Uuid>::new()
    );
    // Orders and pages.
    assert_eq!(list(vec![], O::NewestFirst, 0, 2).await, [rows[4], rows[3]]);
    assert_eq!(list(vec![], O::NewestFirst, 2, 2).await, [rows[2], rows[1]]);
    assert_eq!(list(vec![], O::OldestFirst, 4, 2).await, [rows[4]]);
    assert_eq!(
        list(vec![], O::Deadline, 0, 10).await,
        [rows[2], rows[0], rows[1], rows[4], rows[3]],
        "nearest deadline first, none last, then number (E001-2026-0005 before E003-2026-0004)"
    );
    let counts = read(&repo, |tx| {
        tx.count_entries(&Scope::All, &[], EntryGroup::Enterprise)
    })
    .await;
    assert_eq!((counts["E001"], counts["E002"], counts["E003"]), (3, 1, 1));
    let by_town = read(&repo, |tx| {
        tx.count_entries(&Scope::Town("T01".into()), &[], EntryGroup::Town)
    })
    .await;
    assert_eq!(by_town.len(), 1);
    assert_eq!(by_town["T01"], 4);
    let total = read(&repo, |tx| {
        tx.count_entries(
            &Scope::All,
            &[P::Severity(Severity::Major)],
            EntryGroup::Total,
        )
    })
    .await;
    assert_eq!(total[""], 2);
    for (group, key) in [
        (EntryGroup::Status, "rectifying"),
        (EntryGroup::Severity, "general"),
        (EntryGroup::Category, "ppe"),
    ] {
        let c = read(&repo, move |tx| tx.count_entries(&Scope::All, &[], group)).await;
        assert!(c[key] >= 2, "{group:?}: {c:?}");
    }
}

/// Number counters start at 1 and never repeat, per enterprise, year and series.
pub async fn counters_never_repeat(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let got = write(&repo, |tx| {
        Ok([
            tx.next_seq("E001", 2026, "H")?,
            tx.next_seq("E001", 2026, "H")?,
            tx.next_seq("E001", 2026, "S")?,
            tx.next_seq("E002", 2026, "H")?,
            tx.next_seq("E001", 2027, "H")?,
        ])
    })
    .await;
    assert_eq!(got, [1, 2, 1, 1, 1]);
    // A number given out in a unit of work that failed is not given out.
    let failed = repo
        .write(|tx| {
            tx.next_seq("E001", 2026, "H")?;
            Err::<(), _>(LedgerError::NotFound)
        })
        .await;
    assert!(matches!(failed, Err(LedgerError::NotFound)));
    assert_eq!(write(&repo, |tx| tx.next_seq("E001", 2026, "H")).await, 3);
}

/// Reports, their photos and links.
pub async fn reports_photos_and_links(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let (p1, p2) = (photo(1), photo(2));
    let (a, b) = (p1.clone(), p2.clone());
    write(&repo, move |tx| {
        tx.insert_photo(&a, t(1, 0))?;
        tx.insert_photo(&a, t(1, 1))?;
        tx.insert_photo(&b, t(1, 0))
    })
    .await;
    let names = vec![p2.sha256.clone(), "0".repeat(64), p1.sha256.clone()];
    let n = names.clone();
    let sizes = read(&repo, move |tx| tx.photo_sizes(&n)).await;
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[&p1.sha256], p1.bytes);
    let prints = read(&repo, move |tx| tx.photo_fingerprints(&names)).await;
    assert_eq!(prints.len(), 2);
    assert_eq!(
        prints[0].phash, p2.phash,
        "in the order asked, unknown skipped"
    );
    assert_eq!(prints[1].sha256, [1u8; 32]);

    let mut s = submission(ReportKind::Hazard, &p1, t(5, 8));
    s.photos.push(s.photos[0].clone());
    s.photos[1].sha256 = p2.sha256.clone();
    s.anonymous = true;
    let sub = s.clone();
    let (dev, e1, e2) = write(&repo, move |tx| {
        let dev = device(tx, "E001", 3)?;
        tx.insert_report(&NewReport {
            submission: sub.clone(),
            device_id: dev,
            enterprise: "E001".into(),
            received_at: t(5, 9),
            content_sha256: "content".into(),
        })?;
        tx.set_report_place(sub.id, "E002", Some(4242))?;
        let e1 = entry("E002", 1, LedgerStatus::PendingReview, t(5, 9));
        let e2 = entry("E002", 2, LedgerStatus::PendingReview, t(5, 9));
        tx.insert_entry(&e1)?;
        tx.insert_entry(&e2)?;
        tx.set_report_entry(sub.id, e1.id)?;
        Ok((dev, e1.id, e2.id))
    })
    .await;
    let id = s.id;
    let key = read(&repo, move |tx| tx.report_key(id)).await.unwrap();
    assert_eq!(
        (
            key.device_id,
            key.content_sha256.as_str(),
            key.entry_id,
            key.suggestion_id
        ),
        (dev, "content", Some(e1), None)
    );
    let r = read(&repo, move |tx| tx.report(&Scope::All, id))
        .await
        .unwrap();
    assert_eq!(r.submission, s);
    assert_eq!(
        (r.enterprise.as_str(), r.device_name.as_str(), r.received_at),
        ("E002", "手机3", t(5, 9))
    );
    let links = read(&repo, move |tx| tx.report_links(&[e1, e2])).await;
    assert_eq!(links.len(), 1);
    assert!(links[0].anonymous && links[0].captured_at == t(5, 8));
    assert_eq!(write(&repo, move |tx| tx.move_reports(e1, e2)).await, 1);
    assert_eq!(write(&repo, move |tx| tx.move_reports(e1, e2)).await, 0);
    let moved = read(&repo, move |tx| tx.reports_of_entries(&[e2])).await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].entry_id, Some(e2));
    let reporters = read(&repo, |tx| tx.count_reporters((t(5, 0), t(6, 0)), false)).await;
    assert_eq!(reporters.get("E002"), Some(&1));
    let by_town = read(&repo, |tx| tx.count_reporters((t(5, 0), t(6, 0)), true)).await;
    assert_eq!(by_town.get("T01"), Some(&1));
    assert!(
        read(&repo, |tx| tx.count_reporters((t(6, 0), t(7, 0)), false))
            .await
            .is_empty()
    );
    let counts = read(&repo, |tx| tx.counts()).await;
    assert_eq!((counts.reports, counts.photos, counts.devices), (1, 2, 1));
}

/// The photos a device uploaded since a moment: its own only, from that moment on (the
/// moment included), counted once however often the same photo is recorded again, by it or
/// by another device.
pub async fn photo_uploads_count_per_device_since_a_moment(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let (a, b) = write(&repo, |tx| {
        Ok((device(tx, "E001", 1)?, device(tx, "E002", 2)?))
    })
    .await;
    let by = |seed: u8, dev: Option<Uuid>| PhotoRecord {
        uploaded_by: dev,
        ..photo(seed)
    };
    let (p1, p2, p3, p4, p5) = (
        by(1, Some(a)),
        by(2, Some(a)),
        by(3, Some(a)),
        by(4, Some(b)),
        by(5, None),
    );
    let again = by(2, Some(b));
    write(&repo, move |tx| {
        tx.insert_photo(&p1, t(1, 8))?;
        tx.insert_photo(&p2, t(2, 8))?;
        tx.insert_photo(&p3, t(2, 9))?;
        tx.insert_photo(&p4, t(2, 9))?;
        tx.insert_photo(&p5, t(2, 9))?;
        // The same photo again, from the other device, later: already stored.
        tx.insert_photo(&again, t(3, 0))
    })
    .await;
    let of_a = read(&repo, move |tx| tx.photo_uploads_since(a, t(2, 8))).await;
    assert_eq!(
        of_a,
        PhotoUploads {
            photos: 2,
            bytes: (1000 + 2) + (1000 + 3),
            oldest: Some(t(2, 8)),
        }
    );
    let all_of_a = read(&repo, move |tx| tx.photo_uploads_since(a, t(1, 0))).await;
    assert_eq!((all_of_a.photos, all_of_a.oldest), (3, Some(t(1, 8))));
    let of_b = read(&repo, move |tx| tx.photo_uploads_since(b, t(1, 0))).await;
    assert_eq!(
        (of_b.photos, of_b.bytes),
        (1, 1004),
        "the photo it re-sent is not its"
    );
    let none = read(&repo, move |tx| tx.photo_uploads_since(a, t(2, 10))).await;
    assert_eq!(none, PhotoUploads::default());
}

/// The history and the feed keep their order; the feed's cursor only grows.
pub async fn history_and_feed_keep_their_order(repo: Arc<dyn Repository>) {
    let (e, report, dev) = one_report_in_one_entry(&repo).await;
    let steps = ["reported", "confirm", "rectified", "verify_accept"];
    write(&repo, move |tx| {
        for (i, action) in steps.iter().enumerate() {
            tx.append_history(
                e,
                &HistoryEvent {
                    at: t(5, i as u32),
                    actor: (i > 0).then(|| "officer".to_owned()),
                    action: (*action).into(),
                    from_status: (i > 0).then_some(LedgerStatus::PendingReview),
                    to_status: LedgerStatus::Rectifying,
                    details: Some(format!("第{i}步")),
                },
            )?;
            tx.append_feed(&FeedEvent {
                report_id: report,
                device_id: dev,
                status: LedgerStatus::Rectifying,
                entry_id: e,
                entry_number: "E001-2026-0001".into(),
                merged_into: (i == 3).then(|| "E001-2026-0002".to_owned()),
                reason: Some(format!("r{i}")),
                suggestion: (i == 2).then_some(SuggestionStatus::UnderReview),
                at: t(5, i as u32),
            })?;
        }
        Ok(())
    })
    .await;
    let h = read(&repo, move |tx| tx.history_of(&[e, Uuid::now_v7()])).await;
    assert_eq!(h.len(), 1);
    let actions: Vec<&str> = h[&e].iter().map(|x| x.action.as_str()).collect();
    assert_eq!(actions, steps);
    assert_eq!(h[&e][0].actor, None);
    assert_eq!(h[&e][2].details.as_deref(), Some("第2步"));
    let all = read(&repo, move |tx| tx.feed_events(dev, 0, 100)).await;
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "cursors grow");
    assert_eq!(all[3].1.merged_into.as_deref(), Some("E001-2026-0002"));
    let after = all[1].0;
    let rest = read(&repo, move |tx| tx.feed_events(dev, after, 1)).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].1.reason.as_deref(), Some("r2"));
    assert_eq!(rest[0].1.suggestion, Some(SuggestionStatus::UnderReview));
    assert_eq!(all[3].1.suggestion, None);
    let other = read(&repo, |tx| tx.feed_events(Uuid::now_v7(), 0, 100)).await;
    assert!(other.is_empty());

    // The whole history in order, for the outgoing webhooks, and a target's cursor.
    let items = read(&repo, |tx| tx.history_after(0, 100)).await;
    assert_eq!(
        items
            .iter()
            .map(|i| i.event.action.as_str())
            .collect::<Vec<_>>(),
        steps
    );
    assert!(
        items.windows(2).all(|w| w[0].seq < w[1].seq),
        "sequences grow"
    );
    assert!(
        items
            .iter()
            .all(|i| i.entry_id == e && i.number == "E001-2026-0001")
    );
    assert_eq!(items[0].enterprise, "E001");
    let last = read(&repo, |tx| tx.history_last()).await;
    assert_eq!(last, items.last().unwrap().seq);
    let from = items[1].seq;
    let tail = read(&repo, move |tx| tx.history_after(from, 1)).await;
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].seq, items[2].seq);
    assert!(read(&repo, |tx| tx.webhook_cursor("hook")).await.is_none());
    let cursor = crate::repo::rows::WebhookCursor {
        last: from,
        attempts: 3,
        next_at: Some(t(9, 1)),
        last_error: Some("HTTP 503".into()),
    };
    let saved = cursor.clone();
    write(&repo, move |tx| tx.put_webhook_cursor("hook", &saved)).await;
    assert_eq!(
        read(&repo, |tx| tx.webhook_cursor("hook")).await,
        Some(cursor)
    );
}

/// The change feed's and the history's cursors with several writers at once: a reader that
/// follows them (`feed_events(after)`, `history_after(after)`) while the writers commit sees
/// every event exactly once. A backend with concurrent writers must hand out cursors in commit
/// order: with a plain sequence, a writer that draws its number first and commits last is
/// skipped by a reader who already moved past a later number.
pub async fn cursors_never_skip_a_late_commit(repo: Arc<dyn Repository>) {
    const WRITERS: usize = 6;
    const UNITS: usize = 30;
    let (e, report, dev) = one_report_in_one_entry(&repo).await;
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (repo, done) = (repo.clone(), done.clone());
        tokio::spawn(async move {
            let (mut feed_cursor, mut history_cursor) = (0i64, 0i64);
            let (mut feed, mut history) = (Vec::new(), Vec::new());
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let (f, h) = read(&repo, move |tx| {
                    Ok((
                        tx.feed_events(dev, feed_cursor, 1000)?,
                        tx.history_after(history_cursor, 1000)?,
                    ))
                })
                .await;
                if let Some(last) = f.last() {
                    feed_cursor = last.0;
                }
                if let Some(last) = h.last() {
                    history_cursor = last.seq;
                }
                feed.extend(f.into_iter().map(|(_, ev)| ev.reason.unwrap_or_default()));
                history.extend(h.into_iter().map(|i| i.event.details.unwrap_or_default()));
                if finished {
                    return (feed, history);
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let repo = repo.clone();
            tokio::spawn(async move {
                for u in 0..UNITS {
                    let name = format!("w{w}-u{u}");
                    write(&repo, move |tx| {
                        tx.append_history(
                            e,
                            &HistoryEvent {
                                at: t(6, 0),
                                actor: Some("officer".into()),
                                action: "note".into(),
                                from_status: None,
                                to_status: LedgerStatus::PendingReview,
                                details: Some(name.clone()),
                            },
                        )?;
                        tx.append_feed(&FeedEvent {
                            report_id: report,
                            device_id: dev,
                            status: LedgerStatus::PendingReview,
                            entry_id: e,
                            entry_number: "E001-2026-0001".into(),
                            merged_into: None,
                            reason: Some(name),
                            suggestion: None,
                            at: t(6, 0),
                        })
                    })
                    .await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut feed, mut history) = reader.await.expect("reader");
    let expected: Vec<String> = {
        let mut v: Vec<String> = (0..WRITERS)
            .flat_map(|w| (0..UNITS).map(move |u| format!("w{w}-u{u}")))
            .collect();
        v.sort();
        v
    };
    feed.sort();
    history.sort();
    assert_eq!(feed, expected, "the feed's reader saw each event once");
    assert_eq!(
        history, expected,
        "the history's reader saw each event once"
    );
}

/// Suggestions, reveals and draws.
pub async fn suggestions_reveals_and_draws(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let p = photo(1);
    let (sug, report) = write(&repo, move |tx| {
        tx.insert_photo(&p, t(1, 0))?;
        let dev = device(tx, "E001", 5)?;
        let s = submission(ReportKind::Suggestion, &p, t(6, 0));
        tx.insert_report(&NewReport {
            submission: s.clone(),
            device_id: dev,
            enterprise: "E001".into(),
            received_at: t(6, 1),
            content_sha256: "c".into(),
        })?;
        let sug = SuggestionRow {
            id: Uuid::now_v7(),
            number: "E001-2026-S0001".into(),
            enterprise: "E001".into(),
            year: 2026,
            seq: 1,
            status: LedgerStatus::PendingReview,
            created_at: t(6, 1),
            updated_at: t(6, 1),
            adopted_at: None,
            adopted_by: None,
            adopted_note: None,
            review: SuggestionStatus::Received,
            reply: None,
        };
        tx.insert_suggestion(&sug)?;
        tx.set_report_suggestion(s.id, sug.id)?;
        Ok((sug, s.id))
    })
    .await;
    let id = sug.id;
    assert_eq!(
        read(&repo, move |tx| tx.suggestion(id)).await,
        Some(sug.clone())
    );
    let mut adopted = sug.clone();
    adopted.adopted_at = Some(t(8, 0));
    adopted.adopted_by = Some("district".into());
    adopted.adopted_note = Some("好建议".into());
    adopted.review = SuggestionStatus::Adopted;
    adopted.reply = Some("好建议，已在全厂推广".into());
    adopted.status = LedgerStatus::Closed;
    adopted.updated_at = t(8, 0);
    let a = adopted.clone();
    write(&repo, move |tx| tx.update_suggestion(&a)).await;
    assert_eq!(
        read(&repo, move |tx| tx.suggestion(id)).await,
        Some(adopted)
    );
    let listed = read(&repo, |tx| {
        tx.suggestions(&SuggestionQuery {
            scope: Scope::All,
            id: None,
            adopted_in: Some((t(8, 0), t(9, 0))),
            limit: 10,
        })
    })
    .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].report.id, report);
    assert_eq!(
        (listed[0].note.as_str(), listed[0].category),
        ("阀门泄漏", Category::EquipmentGuarding)
    );
    let outside = read(&repo, |tx| {
        tx.suggestions(&SuggestionQuery {
            scope: Scope::All,
            id: None,
            adopted_in: Some((t(9, 0), t(10, 0))),
            limit: 10,
        })
    })
    .await;
    assert!(outside.is_empty());
    let one = read(&repo, move |tx| {
        tx.suggestions(&SuggestionQuery {
            scope: Scope::All,
            id: Some(id),
            adopted_in: None,
            limit: 10,
        })
    })
    .await;
    assert_eq!(one.len(), 1);
    assert_eq!(
        one[0].suggestion.reply.as_deref(),
        Some("好建议，已在全厂推广")
    );
    let none = read(&repo, |tx| {
        tx.suggestions(&SuggestionQuery {
            scope: Scope::All,
            id: Some(Uuid::now_v7()),
            adopted_in: None,
            limit: 10,
        })
    })
    .await;
    assert!(none.is_empty());
    let counted = read(&repo, |tx| tx.count_suggestions((t(6, 0), t(7, 0)))).await;
    assert_eq!(counted.get("E001"), Some(&1));

    assert!(
        read(&repo, move |tx| tx.revealed(&[report]))
            .await
            .is_empty()
    );
    write(&repo, move |tx| {
        tx.append_reveal(report, "district", "奖励", t(9, 0))
    })
    .await;
    assert_eq!(
        read(&repo, move |tx| tx.revealed(&[report, Uuid::now_v7()])).await,
        HashSet::from([report])
    );
    let log = read(&repo, move |tx| tx.reveals(report)).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].actor.as_str(), log[0].reason.as_str(), log[0].at),
        ("district", "奖励", t(9, 0))
    );

    let draw = DrawRecord {
        id: Uuid::now_v7(),
        seed: "18446744073709551615".into(),
        n: 2,
        town: Some("T01".into()),
        actor: "town".into(),
        at: t(9, 0),
        candidates: vec![DrawCandidateView {
            code: "E001".into(),
            industry: Industry::HazardousChemicals,
            private_sme: false,
            weight: 9,
        }],
        result: vec!["E001".into()],
    };
    let dr = draw.clone();
    write(&repo, move |tx| tx.insert_draw(&dr)).await;
    let id = draw.id;
    assert_eq!(read(&repo, move |tx| tx.draw(id)).await, Some(draw.clone()));
    assert_eq!(
        read(&repo, |tx| tx.draws(None, 10)).await,
        std::slice::from_ref(&draw)
    );
    assert_eq!(read(&repo, |tx| tx.draws(Some("T01"), 10)).await, [draw]);
    assert!(read(&repo, |tx| tx.draws(Some("T02"), 10)).await.is_empty());
}

/// The candidate lookup finds reports of open entries by photo key, site point and location
/// cell, and follows every change: a closed entry's reports are no candidates, a reopened
/// entry's are again, a moved report is found under its new entry.
pub async fn the_open_index_follows_every_change(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let p = photo(9);
    let s = submission(ReportKind::Hazard, &p, t(10, 8));
    let (pp, ss) = (p.clone(), s.clone());
    let (e1, e2) = write(&repo, move |tx| {
        tx.insert_photo(&pp, t(10, 0))?;
        let dev = device(tx, "E001", 6)?;
        tx.insert_report(&NewReport {
            submission: ss.clone(),
            device_id: dev,
            enterprise: "E001".into(),
            received_at: t(10, 9),
            content_sha256: "c".into(),
        })?;
        let loc = ss.location.as_ref().and_then(keys::location_cell);
        tx.set_report_place(ss.id, "E001", loc)?;
        let e1 = entry("E001", 1, LedgerStatus::PendingReview, t(10, 9));
        let e2 = entry("E001", 2, LedgerStatus::Rectifying, t(10, 9));
        tx.insert_entry(&e1)?;
        tx.insert_entry(&e2)?;
        tx.set_report_entry(ss.id, e1.id)?;
        Ok((e1, e2))
    })
    .await;
    let query =
        |enterprise: &str, keys_of: Option<&PhotoRecord>, site: bool, cells: bool| CandidateQuery {
            enterprise: enterprise.into(),
            report_id: Uuid::now_v7(),
            phash_keys: keys_of
                .map(|p| keys::phash_keys(&p.phash))
                .unwrap_or_default(),
            site_code: site.then(|| "E001-P01".to_owned()),
            location_cells: if cells {
                keys::location_cells(s.location.as_ref().unwrap())
            } else {
                Vec::new()
            },
            captured_within: (t(1, 0), t(30, 0)),
            max_by_photo: 256,
            max_by_place: 64,
        };
    let found = |q: CandidateQuery| {
        let repo = repo.clone();
        async move { read(&repo, move |tx| tx.candidates(&q)).await }
    };
    let hits = found(query("E001", Some(&p), true, true)).await;
    assert_eq!(hits.by_photo.len(), 1);
    assert_eq!(hits.by_site.len(), 1);
    assert_eq!(hits.by_cell.len(), 1);
    assert_eq!(
        (
            hits.by_photo[0].report_id,
            hits.by_photo[0].entry_id,
            hits.by_photo[0].entry_number.as_str()
        ),
        (s.id, e1.id, "E001-2026-0001")
    );
    assert!(
        found(query("E002", Some(&p), true, true))
            .await
            .by_photo
            .is_empty()
    );
    let mut other = query("E001", None, false, false);
    other.phash_keys = keys::phash_keys(&[0xFF; 32]);
    assert!(found(other).await.by_photo.is_empty());
    let mut late = query("E001", None, true, true);
    late.captured_within = (t(20, 0), t(30, 0));
    let h = found(late).await;
    assert!(
        h.by_site.is_empty() && h.by_cell.is_empty(),
        "outside the time window"
    );
    let mut me = query("E001", Some(&p), true, false);
    me.report_id = s.id;
    assert!(
        found(me).await.by_photo.is_empty(),
        "a report is not its own candidate"
    );

    let id = s.id;
    let facts = read(&repo, move |tx| tx.open_facts("E001", id)).await;
    assert_eq!(facts.submission, s);
    assert_eq!(facts.photos.len(), 1);
    assert_eq!(facts.photos[0].phash, p.phash);

    // Closed: no candidate. Reopened: a candidate again. Moved: under the new entry.
    let mut closed = e1.clone();
    closed.status = LedgerStatus::Closed;
    write(&repo, move |tx| tx.update_entry(&closed)).await;
    assert!(
        found(query("E001", Some(&p), true, true))
            .await
            .by_photo
            .is_empty()
    );
    let reopened = e1.clone();
    write(&repo, move |tx| tx.update_entry(&reopened)).await;
    assert_eq!(
        found(query("E001", Some(&p), false, false))
            .await
            .by_photo
            .len(),
        1
    );
    let (from, to) = (e1.id, e2.id);
    write(&repo, move |tx| tx.move_reports(from, to)).await;
    let h = found(query("E001", Some(&p), false, false)).await;
    assert_eq!(
        (h.by_photo[0].entry_id, h.by_photo[0].entry_number.as_str()),
        (e2.id, "E001-2026-0002")
    );
    assert_eq!(
        read(&repo, |tx| tx.integrity_problems()).await,
        Vec::<String>::new()
    );
}

/// A unit of work that fails leaves nothing behind; one that succeeds is seen by the next
/// read.
pub async fn a_failed_unit_of_work_leaves_nothing(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let e = entry("E001", 1, LedgerStatus::PendingReview, t(3, 0));
    let id = e.id;
    let failed = repo
        .write(move |tx| {
            tx.insert_entry(&e)?;
            tx.append_history(
                id,
                &HistoryEvent {
                    at: t(3, 0),
                    actor: None,
                    action: "reported".into(),
                    from_status: None,
                    to_status: LedgerStatus::PendingReview,
                    details: None,
                },
            )?;
            Err::<(), _>(LedgerError::MergeIntoSelf)
        })
        .await;
    assert!(matches!(failed, Err(LedgerError::MergeIntoSelf)));
    assert!(
        read(&repo, move |tx| tx.entry(&Scope::All, id))
            .await
            .is_none()
    );
    assert!(read(&repo, move |tx| tx.history_of(&[id])).await.is_empty());
    assert_eq!(read(&repo, |tx| tx.counts()).await.ledger_entries, 0);
    repo.ping().await.expect("ping");
}

/// Workers upsert idempotently, deactivate when they leave the roster, filter by town and
/// enterprise; a device links to a worker and unlinks.
pub async fn workers_and_their_devices(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let worker = |code: &str, enterprise: &str, team: Option<&str>| WorkerRow {
        code: code.into(),
        name: format!("职工{code}"),
        enterprise: enterprise.into(),
        workshop: team.map(|_| "一车间".to_owned()),
        team: team.map(str::to_owned),
        active: true,
    };
    let (a, b, c) = (
        worker("E001-W1", "E001", Some("甲班")),
        worker("E001-W2", "E001", None),
        worker("E003-W1", "E003", None),
    );
    let rows = [a.clone(), b.clone(), c.clone()];
    let first = write(&repo, move |tx| {
        let mut n = 0;
        for w in &rows {
            n += tx.upsert_worker(w)?;
        }
        Ok(n)
    })
    .await;
    assert_eq!(first, 3);
    let rows = [a.clone(), b.clone(), c.clone()];
    let again = write(&repo, move |tx| {
        let mut n = 0;
        for w in &rows {
            n += tx.upsert_worker(w)?;
        }
        Ok(n)
    })
    .await;
    assert_eq!(again, 0, "the same workers again change nothing");
    let t01 = read(&repo, |tx| {
        tx.workers(&WorkerFilter {
            town: Some("T01".into()),
            ..Default::default()
        })
    })
    .await;
    assert_eq!(
        t01.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(),
        ["E001-W1", "E001-W2"]
    );
    assert_eq!(t01[0], a);
    let gone = write(&repo, |tx| tx.deactivate_workers(&["E001-W1".into()])).await;
    assert_eq!(gone, 2);
    let active = read(&repo, |tx| {
        tx.workers(&WorkerFilter {
            active_only: true,
            ..Default::default()
        })
    })
    .await;
    assert_eq!(active.len(), 1);
    assert!(!read(&repo, |tx| tx.worker("E003-W1")).await.unwrap().active);
    let dev = write(&repo, |tx| device(tx, "E001", 7)).await;
    assert!(write(&repo, move |tx| tx.set_device_worker(dev, Some("E001-W1"))).await);
    assert_eq!(
        read(&repo, move |tx| tx.device(dev))
            .await
            .unwrap()
            .worker
            .as_deref(),
        Some("E001-W1")
    );
    let of = read(&repo, |tx| tx.devices_of_workers(&["E001-W1".into()])).await;
    assert_eq!(of.iter().map(|d| d.id).collect::<Vec<_>>(), [dev]);
    assert!(write(&repo, move |tx| tx.set_device_worker(dev, None)).await);
    assert_eq!(
        read(&repo, move |tx| tx.device(dev)).await.unwrap().worker,
        None
    );
    assert!(!write(&repo, |tx| tx.set_device_worker(Uuid::now_v7(), None)).await);

    // An officer's desk: stored outside the enrollment codes, known as a desk, never enrolls.
    let desk = DeviceRow {
        id: Uuid::now_v7(),
        token_sha256: [42; 32],
        enterprise: "E001".into(),
        name: "工作人员 qu".into(),
        enrollment_code: "desk:qu".into(),
        enrolled_at: t(2, 0),
        revoked_at: Some(t(2, 0)),
        worker: None,
        officer: Some("qu".into()),
    };
    let (id, again) = (desk.id, desk.clone());
    write(&repo, move |tx| tx.insert_desk_device(&desk)).await;
    let mut second = again.clone();
    second.id = Uuid::now_v7();
    second.token_sha256 = [43; 32];
    second.enterprise = "E002".into();
    write(&repo, move |tx| tx.insert_desk_device(&second)).await;
    assert_eq!(read(&repo, move |tx| tx.device(id)).await, Some(again));
    assert!(read(&repo, |tx| tx.officer_devices()).await.contains(&id));
    assert!(!read(&repo, |tx| tx.officer_devices()).await.contains(&dev));
    let code = read(&repo, |tx| tx.enrollment_code("desk:qu")).await;
    assert!(
        code.is_none_or(|c| !c.active),
        "a desk's code enrolls no phone"
    );
}

/// Campaign records round-trip their JSON body exactly, are found by kind, scope and days in
/// day order, by key (locked for update too), and a key belongs to one record of its kind.
pub async fn campaign_records_by_kind_scope_and_day(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let record = |kind: RecordKind,
                  key: Option<&str>,
                  town: Option<&str>,
                  enterprise: Option<&str>,
                  day: u32| RecordRow {
        kind,
        id: Uuid::now_v7(),
        key: key.map(str::to_owned),
        town: town.map(str::to_owned),
        enterprise: enterprise.map(str::to_owned),
        day: d(day),
        body: serde_json::json!({"主题": format!("第{day}天"), "n": day, "list": [1, 2.5, null]}),
        created_by: "qu".into(),
        created_at: t(day, 1),
        updated_at: t(day, 1),
    };
    let report = record(
        RecordKind::MonthlyReport,
        Some("2026-03/T01"),
        Some("T01"),
        None,
        1,
    );
    let training_late = record(RecordKind::Training, None, Some("T01"), Some("E001"), 20);
    let training_early = record(RecordKind::Training, None, Some("T01"), Some("E002"), 5);
    let training_t02 = record(RecordKind::Training, None, Some("T02"), Some("E003"), 10);
    let visit = record(RecordKind::Visit, None, Some("T01"), Some("E001"), 12);
    let all = [
        &report,
        &training_late,
        &training_early,
        &training_t02,
        &visit,
    ]
    .map(|r| r.clone());
    write(&repo, move |tx| {
        for r in &all {
            tx.put_record(r)?;
        }
        Ok(())
    })
    .await;
    let q = |scope: Scope, from: Option<u32>, to: Option<u32>| RecordQuery {
        kind: RecordKind::Training,
        scope,
        enterprise: None,
        from: from.map(d),
        to: to.map(d),
        limit: 100,
    };
    let ids = |rows: Vec<RecordRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let q1 = q(Scope::All, None, None);
    assert_eq!(
        ids(read(&repo, move |tx| tx.records(&q1)).await),
        [training_early.id, training_t02.id, training_late.id],
        "every training, by day"
    );
    let q2 = q(Scope::Town("T01".into()), None, None);
    assert_eq!(
        ids(read(&repo, move |tx| tx.records(&q2)).await),
        [training_early.id, training_late.id]
    );
    let q3 = q(Scope::Enterprise("E001".into()), None, None);
    assert_eq!(
        ids(read(&repo, move |tx| tx.records(&q3)).await),
        [training_late.id]
    );
    let q4 = q(Scope::Escalated, None, None);
    assert!(
        read(&repo, move |tx| tx.records(&q4)).await.is_empty(),
        "the bureau holds none"
    );
    let q5 = q(Scope::All, Some(5), Some(20));
    assert_eq!(
        ids(read(&repo, move |tx| tx.records(&q5)).await),
        [training_early.id, training_t02.id],
        "days in [from, to)"
    );
    let q6 = RecordQuery {
        enterprise: Some("E002".into()),
        ..q(Scope::All, None, None)
    };
    assert_eq!(
        ids(read(&repo, move |tx| tx.records(&q6)).await),
        [training_early.id]
    );
    let id = training_late.id;
    let back = read(&repo, move |tx| tx.record(RecordKind::Training, id)).await;
    assert_eq!(
        back.as_ref(),
        Some(&training_late),
        "the body comes back as it went"
    );
    assert!(
        read(&repo, move |tx| tx.record(RecordKind::Visit, id))
            .await
            .is_none()
    );
    let by_key = read(&repo, |tx| {
        tx.record_by_key(RecordKind::MonthlyReport, "2026-03/T01")
    })
    .await;
    assert_eq!(by_key.map(|r| r.id), Some(report.id));

    // Changed under a lock, by id.
    let mut changed = report.clone();
    changed.body = serde_json::json!({"status": "submitted"});
    changed.updated_at = t(25, 0);
    let saved = changed.clone();
    write(&repo, move |tx| {
        let locked = tx.lock_record(RecordKind::MonthlyReport, "2026-03/T01")?;
        assert!(locked.is_some());
        tx.put_record(&saved)
    })
    .await;
    let back = read(&repo, |tx| {
        tx.record_by_key(RecordKind::MonthlyReport, "2026-03/T01")
    })
    .await;
    assert_eq!(back, Some(changed));
    assert!(
        write(&repo, |tx| tx
            .lock_record(RecordKind::MonthlyReport, "2026-04/T01"))
        .await
        .is_none()
    );
    // A second record with a taken key is refused, and nothing of it stays.
    let clash = record(
        RecordKind::MonthlyReport,
        Some("2026-03/T01"),
        Some("T01"),
        None,
        2,
    );
    let clash_id = clash.id;
    assert!(
        repo.write(move |tx| Ok(tx.put_record(&clash)?))
            .await
            .is_err()
    );
    assert!(
        read(&repo, move |tx| tx
            .record(RecordKind::MonthlyReport, clash_id))
        .await
        .is_none()
    );
}

/// The rules over this backend: filing numbers entries and joins a duplicate, the loop
/// closes an entry, a merge moves reports, the jurisdiction cuts every read.
pub async fn the_loop_runs_on_the_backend(repo: Arc<dyn Repository>) {
    write(&repo, organisation).await;
    let ledger = Ledger::new(repo.clone(), Settings::default());
    let p = photo(3);
    let pp = p.clone();
    let dev = write(&repo, move |tx| {
        tx.insert_photo(&pp, t(1, 0))?;
        device(tx, "E001", 9)
    })
    .await;
    let device = Device {
        id: dev,
        enterprise: "E001".into(),
    };
    let now = Utc::now();
    let first = submission(ReportKind::Hazard, &p, now - Duration::hours(2));
    let mut again = submission(ReportKind::Hazard, &p, now - Duration::hours(1));
    again.note = "同一个阀门还在漏".into();
    let results = ledger
        .submit_reports(
            device.clone(),
            vec![
                CheckedReport::new(first.clone()),
                CheckedReport::new(again.clone()),
            ],
            now,
        )
        .await
        .expect("submit");
    assert_eq!(
        results[0].entry_number.as_deref(),
        Some(&*format!("E001-{}-0001", ledger.calendar().year(now)))
    );
    assert_eq!(
        results[1].entry_id, results[0].entry_id,
        "the same photo joins the entry"
    );
    let entry_id = results[0].entry_id.unwrap();
    // Sent again: the same outcome, nothing new.
    let resent = ledger
        .submit_reports(device.clone(), vec![CheckedReport::new(first.clone())], now)
        .await
        .unwrap();
    assert_eq!(
        resent[0].outcome,
        hazardsnap_model::SubmitOutcome::AlreadyAccepted
    );

    let actor = |role: Role, scope: Option<&str>| {
        Actor::of(Officer {
            username: format!("{role:?}"),
            role,
            scope: scope.map(str::to_owned),
        })
        .unwrap()
    };
    let district = actor(Role::District, None);
    let other = actor(Role::Enterprise, Some("E002"));
    assert!(matches!(
        ledger.entry_detail(&other, entry_id, now).await,
        Err(LedgerError::NotFound)
    ));
    assert!(matches!(
        ledger
            .act(
                &other,
                entry_id,
                OfficerAction::Reject { reason: "x".into() },
                now
            )
            .await,
        Err(LedgerError::NotFound)
    ));
    let plan = RectificationPlan {
        responsible: "设备科".into(),
        measures: "更换阀门".into(),
        funds: Funds(80_000),
        deadline: ledger.calendar().today(now) + Duration::days(10),
        contingency: "警戒".into(),
        level: RectificationLevel::Workshop,
    };
    ledger
        .act(&district, entry_id, OfficerAction::Confirm(plan), now)
        .await
        .expect("confirm");
    let detail = ledger.entry_detail(&district, entry_id, now).await.unwrap();
    assert_eq!(detail.summary.status, LedgerStatus::Rectifying);
    assert_eq!(detail.reports.len(), 2);
    assert_eq!(detail.summary.credited_report_id, Some(first.id));
    let listed = ledger
        .list_entries(
            &district,
            LedgerFilter {
                page: 1,
                per_page: 10,
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reporters, 1);
    let feed = ledger.changes(dev, 0, 100).await.unwrap();
    assert_eq!(feed.changes.len(), 2);
    assert!(
        feed.changes
            .iter()
            .all(|c| c.status == LedgerStatus::Rectifying)
    );
    assert_eq!(
        read(&repo, |tx| tx.integrity_problems()).await,
        Vec::<String>::new()
    );
}
