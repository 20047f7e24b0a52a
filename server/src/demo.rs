//! The living demo (演示数据) of `serve --demo`: after the demo roster is loaded, enrolled demo
//! phones send a few dozen reports with generated photos, and the district officer drives them
//! over every status of the loop, with overdue and escalated ones among them, so a newcomer
//! opening the ledger sees a system in use rather than an empty table.
//!
//! Everything goes through the same ledger calls as real traffic (enrollment, photo record,
//! report ingest and filing, officer actions through the workflow), so the demo cannot show a
//! state the real paths could not reach. Photos are small generated pictures passed through
//! the phone's own photo pipeline, so they are what a phone would have uploaded.

use chrono::{DateTime, Duration, Utc};
use hazardsnap_ledger::views::LedgerFilter;
use hazardsnap_ledger::{Actor, CheckedReport, Device, LedgerError, Officer, OfficerAction};
use hazardsnap_model::{
    AtRisk, Category, CheckSource, Funds, Labelled, RectificationLevel, RectificationPlan,
    ReportKind, ReportSubmission, Role, Roster, Severity,
};
use hazardsnap_photo::PipelineConfig;
use uuid::Uuid;

use crate::auth::{DEVICE_TOKEN_PREFIX, new_token, token_sha256};
use crate::state::AppState;

/// Why the demo reports could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A ledger call failed.
    #[error("{0}")]
    Store(#[from] LedgerError),
    /// A generated photo could not be encoded or processed.
    #[error("演示照片生成失败 / demo photo failed: {0}")]
    Photo(String),
    /// Writing a photo failed.
    #[error("演示照片写入失败 / cannot write a demo photo: {0}")]
    Io(#[from] std::io::Error),
}

/// Reports the demo sends.
pub const DEMO_REPORTS: usize = 36;

const NOTES: &[(&str, Category)] = &[
    ("液氯储罐区阀门有泄漏，有刺激性气味", Category::KeyPoints),
    ("压缩机皮带防护罩缺失", Category::EquipmentGuarding),
    ("巡检人员未戴防护面罩", Category::Ppe),
    ("通道堆放原料桶，消防通道不畅", Category::FixedPosition),
    ("动火作业未办理作业票", Category::Rules),
    ("配电柜门未关，线缆裸露", Category::EquipmentGuarding),
    ("窑炉观察孔附近高温无警示", Category::KeyPoints),
    ("粉尘较大，除尘器未开启", Category::OccupationalHealth),
    ("叉车超速行驶", Category::StandardWork),
    ("应急照明灯不亮", Category::Other),
];

/// A small generated photo (320×240), different for every `seed`, as the phone pipeline
/// stores it.
fn photo(seed: u32) -> Result<hazardsnap_photo::ProcessedPhoto, DemoError> {
    let s = seed.wrapping_mul(2_654_435_761);
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        let band = ((x / (12 + s % 29)) + (y / (9 + (s >> 5) % 23))) % 2;
        let v = (x.wrapping_mul(3 + s % 7) ^ y.wrapping_mul(5 + (s >> 3) % 11)) & 0xff;
        image::Rgb([
            (v as u8).wrapping_add((s >> 8) as u8),
            if band == 0 { 200 } else { 40 },
            ((x + y + (s >> 16)) & 0xff) as u8,
        ])
    });
    let mut jpeg = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85);
    img.write_with_encoder(enc)
        .map_err(|e| DemoError::Photo(e.to_string()))?;
    hazardsnap_photo::process(&jpeg, &PipelineConfig::default())
        .map_err(|e| DemoError::Photo(e.to_string()))
}

/// Stores a photo as an upload would, returning its name and size.
async fn store_photo(
    state: &AppState,
    seed: u32,
    now: DateTime<Utc>,
) -> Result<(String, u64, u32, u32), DemoError> {
    let p = tokio::task::spawn_blocking(move || photo(seed))
        .await
        .map_err(|e| DemoError::Photo(e.to_string()))??;
    let r = crate::routes::photos::keep_processed(state, &p, now)
        .await
        .map_err(|e| DemoError::Photo(e.to_string()))?;
    Ok((r.sha256, r.bytes, r.width, r.height))
}

fn demo_plan(deadline: chrono::NaiveDate) -> RectificationPlan {
    RectificationPlan {
        responsible: "车间主任 李工".into(),
        measures: "停机检修，更换损坏部件，班前会通报".into(),
        funds: Funds(120_000),
        deadline,
        contingency: "设置警戒区，专人监护，备好应急器材".into(),
        level: RectificationLevel::Workshop,
    }
}

/// The officer who marks an enterprise's hazards rectified in the demo: its enterprise union's
/// officer, else its town's.
fn rectifier_of(roster: &Roster, enterprise: &str) -> Option<Actor> {
    let town = roster.enterprise(enterprise).map(|e| e.town.clone());
    let user = roster
        .users
        .iter()
        .find(|u| u.role == Role::Enterprise && u.scope.as_deref() == Some(enterprise))
        .or_else(|| {
            roster
                .users
                .iter()
                .find(|u| u.role == Role::Town && u.scope == town)
        })?;
    Actor::of(Officer {
        username: user.username.clone(),
        role: user.role,
        scope: user.scope.clone(),
    })
}

/// Enrolls demo phones, sends [`DEMO_REPORTS`] reports and moves them over the loop. Returns
/// how many entries ended in each status, for the start-up message.
pub async fn load_demo_reports(
    state: &AppState,
    roster: &Roster,
) -> Result<Vec<(String, usize)>, DemoError> {
    let now = Utc::now();
    let ledger = &state.ledger;
    let mut devices = Vec::new();
    for (i, code) in roster.enrollment_codes.iter().enumerate() {
        for k in 1..=2 {
            let token = new_token(DEVICE_TOKEN_PREFIX);
            let name = format!("演示手机-{}-{k}", code.enterprise);
            let enrolled_at = now - Duration::days(60 + i as i64);
            if let Some(e) = ledger
                .enroll(
                    code.code.clone(),
                    name,
                    None,
                    token_sha256(&token),
                    enrolled_at,
                )
                .await?
            {
                devices.push(Device {
                    id: e.device_id,
                    enterprise: e.enterprise.code,
                });
            }
        }
    }
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    let username = roster
        .users
        .iter()
        .find(|u| u.role == Role::District)
        .map_or_else(|| "demo".to_owned(), |u| u.username.clone());
    let Some(district) = Actor::of(Officer {
        username,
        role: Role::District,
        scope: None,
    }) else {
        return Ok(Vec::new());
    };
    let today = ledger.calendar().today(now);
    let mut last_pending: Option<(String, Uuid)> = None;
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for i in 0..DEMO_REPORTS {
        let mut device = devices[(i * 7) % devices.len()].clone();
        if i % 6 == 5 {
            // A second worker of the same enterprise reports the same hazard again.
            if let Some((ent, _)) = &last_pending
                && let Some(d) = devices.iter().find(|d| &d.enterprise == ent)
            {
                device = d.clone();
            }
        }
        let days_ago = (DEMO_REPORTS - i) as i64;
        let received = now - Duration::days(days_ago) + Duration::minutes(i as i64 * 7);
        let (sha, bytes, width, height) = store_photo(state, 1000 + i as u32, received).await?;
        let (note, category) = NOTES[i % NOTES.len()];
        let severity = if i % 4 == 0 {
            Severity::Major
        } else {
            Severity::General
        };
        let kind = if i % 9 == 8 {
            ReportKind::Suggestion
        } else {
            ReportKind::Hazard
        };
        let submission = ReportSubmission {
            id: Uuid::now_v7(),
            kind,
            category,
            severity: if kind == ReportKind::Suggestion {
                Severity::General
            } else {
                severity
            },
            at_risk: vec![AtRisk::Oneself, AtRisk::Equipment],
            source: CheckSource::WorkerCheck,
            note: if kind == ReportKind::Suggestion {
                "建议在储罐区增设风向标和洗眼器".to_owned()
            } else {
                note.to_owned()
            },
            captured_at: received - Duration::minutes(30),
            photos: vec![hazardsnap_model::PhotoRef {
                sha256: sha,
                bytes,
                width,
                height,
                phash: None,
            }],
            location: None,
            site_code: None,
            workshop: None,
            team: None,
            anonymous: i % 3 == 1,
        };
        let results = ledger
            .submit_reports(
                device.clone(),
                vec![CheckedReport::new(submission)],
                received,
            )
            .await?;
        let Some(entry) = results.first().and_then(|r| r.entry_id) else {
            continue;
        };
        if kind == ReportKind::Suggestion {
            continue;
        }
        // Spread over the loop; older reports have travelled further.
        let mut steps: Vec<OfficerAction> = Vec::new();
        if severity == Severity::Major && i % 8 == 0 {
            steps.push(OfficerAction::Escalate {
                reason: Some("企业整改不力，提请挂牌督办".into()),
            });
        }
        let after = |state: &AppState, seed: u32| {
            let state = state.clone();
            async move { store_photo(&state, seed, now).await.map(|p| p.0) }
        };
        match i % 6 {
            0 => {}
            1 => {
                // Some deadlines already passed: overdue entries.
                let deadline = if i % 12 == 1 {
                    today - Duration::days(3)
                } else {
                    today + Duration::days(10)
                };
                steps.push(OfficerAction::Confirm(demo_plan(deadline)));
            }
            2 => {
                steps.push(OfficerAction::Confirm(demo_plan(today + Duration::days(5))));
                steps.push(OfficerAction::Rectified {
                    note: "已更换部件并试运行".into(),
                    photos: vec![after(state, 5000 + i as u32).await?],
                });
            }
            3 => {
                steps.push(OfficerAction::Confirm(demo_plan(today + Duration::days(2))));
                steps.push(OfficerAction::Rectified {
                    note: "已整改".into(),
                    photos: vec![after(state, 5000 + i as u32).await?],
                });
                steps.push(OfficerAction::Verify {
                    accepted: true,
                    note: Some("现场复查合格，销号".into()),
                });
            }
            4 => steps.push(OfficerAction::Reject {
                reason: "属正常工艺现象，非安全隐患".into(),
            }),
            _ => match &last_pending {
                Some((ent, into)) if *into != entry && *ent == device.enterprise => {
                    steps.push(OfficerAction::Merge {
                        into: *into,
                        reason: Some("同一隐患重复上报".into()),
                    })
                }
                _ => {}
            },
        }
        // Separated duties: the enterprise's union (or its town's) marks the work done, the
        // district confirms, rejects, merges and verifies.
        let rectifier =
            rectifier_of(roster, &device.enterprise).unwrap_or_else(|| district.clone());
        for step in steps {
            let who = if matches!(step, OfficerAction::Rectified { .. }) {
                &rectifier
            } else {
                &district
            };
            match ledger.act(who, entry, step, received).await {
                Ok(_) => {}
                Err(LedgerError::Repo(e)) => return Err(LedgerError::Repo(e).into()),
                Err(refused) => tracing::warn!(error = %refused, "demo step refused"),
            }
        }
        if i % 6 == 0 {
            last_pending = Some((device.enterprise.clone(), entry));
        }
    }
    let listed = ledger
        .list_entries(
            &district,
            LedgerFilter {
                per_page: 1000,
                page: 1,
                ..Default::default()
            },
            now,
        )
        .await?;
    for e in &listed {
        *counts.entry(e.status.label_zh().to_owned()).or_default() += 1;
        if e.overdue {
            *counts.entry("逾期".to_owned()).or_default() += 1;
        }
        if e.escalated {
            *counts.entry("挂牌督办".to_owned()).or_default() += 1;
        }
    }
    Ok(counts.into_iter().collect())
}
