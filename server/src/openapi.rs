//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` annotations so it
//! cannot drift from the routes. Served at `GET /api/openapi.json`.

use chrono::{Days, TimeZone, Utc};
use hazardsnap_model::{
    AtRisk, Category, ChangeFeed, CheckSource, EnrollRequest, EnrollResponse, EnterpriseRef,
    ErrorBody, Funds, LedgerStatus, Location, PROTOCOL_VERSION, PhotoRef, RectificationLevel,
    RectificationPlan, ReportChange, ReportKind, ReportSubmission, Severity, SubmitOutcome,
    SubmitReports, SubmitResult, SubmitResults,
};
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};
use uuid::Uuid;

use crate::routes::{
    accountability, campaign, changes, enroll, export, ledger, numbers, photos, reports, session,
    system,
};
use hazardsnap_ledger::Calendar;

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hazardsnap 隐患随手拍",
        description = "隐患随手拍同步接口：设备注册、照片上传（可续传）、报告提交、状态变更推送。错误一律为 `{\"error\": code, \"message\": 中文 / English}`。\n\nSync API of hazardsnap: device enrollment, resumable photo upload, report ingest, change feed. Every error is `{\"error\": code, \"message\": text}`."
    ),
    paths(
        system::healthz,
        crate::metrics::metrics,
        system::openapi_json,
        enroll::enroll,
        photos::head_photo,
        photos::put_photo,
        reports::submit_reports,
        changes::device_changes,
        session::login,
        session::logout,
        session::change_password,
        ledger::list,
        export::ledger_xlsx,
        export::ledger_csv,
        ledger::detail,
        ledger::report,
        ledger::confirm,
        ledger::reject,
        ledger::merge,
        ledger::split,
        ledger::rectified,
        ledger::verify,
        ledger::escalate,
        ledger::request_extension,
        ledger::decide_extension,
        ledger::reveal,
        ledger::photo,
        numbers::monthly,
        numbers::rewards,
        numbers::suggestions,
        numbers::adopt,
        numbers::review_suggestion,
        numbers::create_draw,
        numbers::get_draw,
        campaign::list_draws,
        campaign::monthly_overview,
        campaign::monthly_report,
        campaign::submit_monthly,
        campaign::reopen_monthly,
        campaign::monthly_xlsx,
        campaign::record_training,
        campaign::trainings,
        campaign::training,
        campaign::file_training_finding,
        campaign::training_coverage,
        campaign::trainings_xlsx,
        campaign::record_visit,
        campaign::visits,
        campaign::visit,
        campaign::file_visit_finding,
        campaign::visit_coverage,
        campaign::device_trainings,
        campaign::link_worker,
        accountability::file_entry,
        accountability::accept_supervision,
        accountability::decline_supervision,
        accountability::reclassify,
        accountability::transfer,
        accountability::register,
        accountability::grant,
        accountability::paid,
        accountability::redeem,
        accountability::notices,
    ),
    modifiers(&BearerAuth, &WireExamples, &CommonErrors),
    tags(
        (name = "system", description = "健康检查与文档 / health and documentation"),
        (name = "device", description = "手机端同步 / the phone's sync"),
        (name = "campaign", description = "活动记录：月报、培训演练、督导检查（仅限辖区）/ the campaign's records: monthly reports, training and drills, supervision visits (own jurisdiction only)"),
        (name = "officer", description = "工作人员：登录、隐患台账、闭环管理（仅限辖区）/ officers: sessions, the hazard ledger, the closed loop (own jurisdiction only)"),
    )
)]
pub struct ApiDoc;

/// The document as served, made afresh for each request (the examples' dates move with the
/// day). utoipa names the unsigned formats `u-int32` and `u-int64`; they are renamed to `uint32`
/// and `uint64`, the names other tools know.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    rename_unsigned_formats(&mut doc);
    doc
}

fn rename_unsigned_formats(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    serde_json::Value::String(f) if key == "format" => {
                        if let Some(bits) = f.strip_prefix("u-int") {
                            *f = format!("uint{bits}");
                        }
                    }
                    _ => rename_unsigned_formats(child),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(rename_unsigned_formats),
        _ => {}
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "设备令牌（注册所得）或工作人员会话令牌 / device token from enrollment, or an officer's session token",
                    ))
                    .build(),
            ),
        );
    }
}

/// Fills the JSON examples of the device routes by serializing the model's own wire types, so
/// the document shows exactly what the server sends and expects, never a hand-copied drift.
struct WireExamples;

fn example<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Sets the example of a JSON content, keeping its schema; adds the content when absent.
fn set_example(
    existing: Option<&mut Content>,
    value: Option<serde_json::Value>,
) -> Option<Content> {
    match existing {
        Some(c) => {
            c.example = value;
            None
        }
        None => {
            let mut c = Content::new(None::<RefOr<utoipa::openapi::schema::Schema>>);
            c.example = value;
            Some(c)
        }
    }
}

const JSON: &str = "application/json";

fn wire_samples() -> (
    EnrollRequest,
    EnrollResponse,
    SubmitReports,
    SubmitResults,
    ChangeFeed,
) {
    let at = Utc
        .with_ymd_and_hms(2026, 3, 14, 9, 30, 0)
        .single()
        .unwrap_or_default();
    let report_id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
    let entry_id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00e1);
    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let enterprise = EnterpriseRef {
        code: "E001".into(),
        name: "某化工有限公司".into(),
    };
    (
        EnrollRequest {
            code: "E001-JOIN-7H3K".into(),
            device_name: "张三的手机".into(),
            worker: Some("E001-W0001".into()),
        },
        EnrollResponse {
            device_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00d1),
            token: "hsd_…".into(),
            enterprise,
        },
        SubmitReports {
            version: PROTOCOL_VERSION,
            reports: vec![ReportSubmission {
                id: report_id,
                kind: ReportKind::Hazard,
                category: Category::EquipmentGuarding,
                severity: Severity::Major,
                at_risk: vec![AtRisk::Oneself, AtRisk::Equipment],
                source: CheckSource::WorkerCheck,
                note: "液氯储罐区阀门泄漏".into(),
                captured_at: at,
                photos: vec![PhotoRef {
                    sha256: sha.into(),
                    bytes: 412_345,
                    width: 1920,
                    height: 1440,
                    phash: None,
                }],
                location: Some(Location {
                    lat: 36.8012,
                    lon: 117.8703,
                    accuracy_m: Some(8.0),
                }),
                site_code: Some("E001-P01".into()),
                workshop: Some("一车间".into()),
                team: Some("甲班".into()),
                anonymous: true,
            }],
        },
        SubmitResults {
            results: vec![SubmitResult {
                id: report_id,
                outcome: SubmitOutcome::Accepted,
                entry_id: Some(entry_id),
                entry_number: Some("E001-2026-0042".into()),
                status: Some(LedgerStatus::PendingReview),
                missing_photos: vec![],
                error: None,
            }],
        },
        ChangeFeed {
            changes: vec![ReportChange {
                report_id,
                status: LedgerStatus::Rejected,
                entry_id: Some(entry_id),
                entry_number: Some("E001-2026-0042".into()),
                merged_into: None,
                reason: Some("非安全隐患".into()),
                suggestion: None,
                changed_at: at,
            }],
            cursor: "17".into(),
            more: false,
        },
    )
}

impl Modify for WireExamples {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let (enroll_req, enroll_resp, submit, results, feed) = wire_samples();
        // A plan whose deadline stays valid: a month from the day the document is made.
        let plan = RectificationPlan {
            responsible: "设备科 王工".into(),
            measures: "更换阀门密封件".into(),
            funds: Funds(80_000),
            deadline: Calendar::default().today(Utc::now()) + Days::new(30),
            contingency: "关闭上游阀门，设置警戒区".into(),
            level: RectificationLevel::Workshop,
        };
        let error = example(&ErrorBody::new(
            "unauthorized",
            "未授权：令牌缺失、无效或已吊销 / unauthorized: token missing, invalid or revoked",
        ));
        for (path, item) in openapi.paths.paths.iter_mut() {
            let (op, request, ok) = match path.as_str() {
                "/api/v1/enroll" => (
                    item.post.as_mut(),
                    example(&enroll_req),
                    example(&enroll_resp),
                ),
                "/api/v1/reports" => (item.post.as_mut(), example(&submit), example(&results)),
                "/api/v1/device/changes" => (item.get.as_mut(), None, example(&feed)),
                "/api/v1/ledger/{id}/confirm" => (item.post.as_mut(), example(&plan), None),
                _ => continue,
            };
            let Some(op) = op else { continue };
            if let (Some(body), Some(_)) = (op.request_body.as_mut(), &request)
                && let Some(c) = set_example(body.content.get_mut(JSON), request)
            {
                body.content.insert(JSON.to_owned(), c);
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    let value = match status.as_str() {
                        "200" => ok.clone(),
                        "401" => error.clone(),
                        _ => continue,
                    };
                    if let Some(c) = set_example(response.content.get_mut(JSON), value) {
                        response.content.insert(JSON.to_owned(), c);
                    }
                }
            }
        }
    }
}

/// Documents the answers every route can give besides its own, from what the route reads: 401
/// where a token is needed, 403 on officers' routes (a phone's token, a cross-site cookie), 429
/// on every route (each client address has its request rate, and each phone's token its own),
/// and 400, 413 and 415 where a JSON body is read. Every error answer gets the one `ErrorBody` schema. `tests/api` fuzzes every
/// route against the document, so an answer missing here fails there.
struct CommonErrors;

const COMMON_ERRORS: [(&str, &str); 6] = [
    (
        "401",
        "令牌缺失、无效或已吊销 / token missing, invalid or revoked (`unauthorized`)",
    ),
    (
        "403",
        "不是工作人员令牌，或跨站请求 / not an officer's token (`forbidden`), or a cross-site request (`csrf_rejected`)",
    ),
    (
        "400",
        "请求体不是有效的 JSON（`invalid_json`），或某字段未知（`unknown_field`）、缺失（`missing_field`）、取值无效（`invalid_field`），消息中写明字段 / invalid JSON body, or a field unknown, missing or with a wrong value, the field named in the message",
    ),
    ("413", "请求体过大 / body too large (`payload_too_large`)"),
    (
        "429",
        "请求过于频繁（每个客户端地址、每个设备令牌各有限速），`Retry-After` 秒后再试 / too many requests from this client address or this device token: retry after `Retry-After` seconds (`rate_limited`)",
    ),
    (
        "415",
        "请求体必须是 application/json / the body must be application/json (`unsupported_media_type`)",
    ),
];

fn common_errors_of(op: &Operation) -> impl Iterator<Item = (&'static str, &'static str)> + use<> {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let officer = op
        .tags
        .as_ref()
        .is_some_and(|t| t.iter().any(|t| t == "officer"));
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key(JSON));
    COMMON_ERRORS
        .into_iter()
        .filter(move |(status, _)| match *status {
            "401" => secured,
            "403" => secured && officer,
            "429" => true,
            _ => json_body,
        })
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert(ErrorBody::name().into_owned(), ErrorBody::schema());
        let error_ref = || RefOr::Ref(Ref::from_schema_name(ErrorBody::name()));
        for item in openapi.paths.paths.values_mut() {
            for (is_head, op) in [
                (false, &mut item.get),
                (false, &mut item.put),
                (false, &mut item.post),
                (false, &mut item.delete),
                (false, &mut item.patch),
                (true, &mut item.head),
            ] {
                let Some(op) = op else { continue };
                for (status, description) in common_errors_of(op) {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(Response::new(description)));
                }
                // A HEAD answer has no body.
                if is_head {
                    continue;
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    let content = response.content.entry(JSON.to_owned()).or_insert_with(|| {
                        Content::new(None::<RefOr<utoipa::openapi::schema::Schema>>)
                    });
                    content.schema = Some(error_ref());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document with what moves by itself (the confirm example's deadline, a month from
    /// today) pinned, so that the snapshot changes only when the API does.
    fn pinned() -> serde_json::Value {
        let mut doc = document();
        let example = &mut doc["paths"]["/api/v1/ledger/{id}/confirm"]["post"]["requestBody"]["content"]
            ["application/json"]["example"];
        assert!(
            example["deadline"].is_string(),
            "the confirm example has a deadline"
        );
        example["deadline"] = "2026-04-13".into();
        doc
    }

    /// Every JSON answer of the document, as (route, method, status, schema).
    fn json_answers(doc: &serde_json::Value) -> Vec<(String, String, String, serde_json::Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                for (status, resp) in op["responses"].as_object().into_iter().flatten() {
                    if let Some(schema) = resp["content"][JSON].get("schema") {
                        out.push((path.clone(), method.clone(), status.clone(), schema.clone()));
                    }
                }
            }
        }
        out
    }

    /// The document is a reviewed artefact: any change to a route, a body or an answer shows
    /// in `src/snapshots/` and must be accepted on purpose (`cargo insta review`).
    #[test]
    fn the_document_is_as_reviewed() {
        insta::assert_json_snapshot!("openapi", pinned());
    }

    /// Every answer names its type: no success answer is a bare `object` (the document
    /// itself excepted), every error answer is the one `ErrorBody`.
    #[test]
    fn every_answer_is_typed() {
        let doc = pinned();
        let answers = json_answers(&doc);
        assert!(answers.len() > 60, "{} answers", answers.len());
        for (path, method, status, schema) in answers {
            let bare = schema.get("$ref").is_none()
                && schema.get("properties").is_none()
                && schema.get("allOf").is_none()
                && schema.get("oneOf").is_none()
                && schema.get("items").is_none();
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    schema["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            } else if path != "/api/openapi.json" {
                assert!(
                    !bare,
                    "{method} {path} {status} answers an untyped {schema}"
                );
            }
        }
        for name in [
            "EntryDetail",
            "EntrySummary",
            "ReportView",
            "MonthlyStats",
            "DrawView",
        ] {
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{name} is documented"
            );
        }
    }

    /// The ledger list's filters are query parameters, optional, as generated clients need.
    #[test]
    fn list_filters_are_query_parameters() {
        let doc = pinned();
        for path in ["/api/v1/ledger", "/api/v1/ledger/export.xlsx"] {
            let params = doc["paths"][path]["get"]["parameters"]
                .as_array()
                .expect("parameters");
            assert!(params.len() >= 13, "{path}");
            for p in params {
                assert_eq!(p["in"], "query", "{path}: {p}");
                assert_ne!(p["required"], true, "{path}: {p}");
            }
        }
    }
}
