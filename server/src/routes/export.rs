//! The hazard ledger as a spreadsheet (隐患台账导出): `GET /api/v1/ledger/export.xlsx`, for
//! inspections and archives.
//!
//! The export is the officer's own ledger list — same filters, same jurisdiction, same
//! anonymity (an anonymous first finder is 匿名, to everyone) — with the five-in-place plan
//! (五到位), the rectification and the closing date of each entry. Headers and values are
//! Simplified Chinese first, English after. Text cells are written as text, never as formulas,
//! so a worker's note that starts with `=` stays a note.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hazardsnap_ledger::Calendar;
use hazardsnap_ledger::views::EntryDetail;
use hazardsnap_model::{ErrorBody, Labelled, LedgerStatus};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};

use crate::auth::OfficerAuth;
use crate::error::AppError;
use crate::routes::ledger::LedgerQuery;
use crate::state::AppState;

/// Most entries one export holds; a larger ledger is exported in parts by date or town.
pub const MAX_EXPORT_ENTRIES: usize = 20_000;

/// The columns: Chinese header, English header, width in characters.
const COLUMNS: &[(&str, &str, f64)] = &[
    ("序号", "No.", 6.0),
    ("台账编号", "Ledger no.", 16.0),
    ("企业", "Enterprise", 22.0),
    ("镇街", "Town", 8.0),
    ("隐患类别", "Category", 16.0),
    ("隐患等级", "Severity", 10.0),
    ("隐患描述", "Description", 36.0),
    ("地点", "Place", 18.0),
    ("发现时间", "Found at", 17.0),
    ("首报人", "First finder", 14.0),
    ("参与职工", "Reporters", 8.0),
    ("状态", "Status", 14.0),
    ("整改责任", "Responsible", 16.0),
    ("整改措施", "Measures", 30.0),
    ("整改资金（元）", "Funds (yuan)", 12.0),
    ("整改时限", "Deadline", 11.0),
    ("应急预案", "Contingency", 24.0),
    ("整改层级", "Level", 12.0),
    ("逾期", "Overdue", 6.0),
    ("挂牌督办", "Escalated", 8.0),
    ("整改说明", "Rectification note", 24.0),
    ("销号时间", "Closed at", 17.0),
];

fn both<L: Labelled>(v: L) -> String {
    format!("{} / {}", v.label_zh(), v.label_en())
}

fn yes_no(b: bool) -> &'static str {
    if b { "是 / yes" } else { "否 / no" }
}

/// One row of text cells (numbers are written apart).
fn row_of(d: &EntryDetail, calendar: &Calendar) -> Vec<String> {
    let s = &d.summary;
    let first = d.reports.first();
    let note = d
        .reports
        .iter()
        .map(|r| r.note.trim())
        .find(|n| !n.is_empty())
        .unwrap_or_default()
        .to_owned();
    let place = first
        .map(|r| {
            [
                r.workshop.as_deref(),
                r.team.as_deref(),
                r.site_code.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
        })
        .unwrap_or_default();
    let plan = d.plan.as_ref();
    let closed_at = d
        .history
        .iter()
        .rev()
        .find(|h| h.to_status == LedgerStatus::Closed)
        .map(|h| calendar.local_minute(h.at))
        .unwrap_or_default();
    vec![
        s.number.clone(),
        format!("{}（{}）", s.enterprise_name, s.enterprise),
        s.town.clone(),
        both(s.category),
        both(s.severity),
        note,
        place,
        first
            .map(|r| calendar.local_minute(r.captured_at))
            .unwrap_or_default(),
        s.first_reporter
            .as_ref()
            .map(|r| r.display.clone())
            .unwrap_or_default(),
        String::new(), // reporters: a number, written apart
        both(s.status),
        plan.map(|p| p.responsible.clone()).unwrap_or_default(),
        plan.map(|p| p.measures.clone()).unwrap_or_default(),
        String::new(), // funds: a number, written apart
        s.deadline.map(|d| d.to_string()).unwrap_or_default(),
        plan.map(|p| p.contingency.clone()).unwrap_or_default(),
        plan.map(|p| both(p.level)).unwrap_or_default(),
        yes_no(s.overdue).to_owned(),
        yes_no(s.escalated).to_owned(),
        d.rectified_note.clone().unwrap_or_default(),
        closed_at,
    ]
}

/// Builds the workbook: the ledger sheet and a sheet saying what was exported, by whom, when.
fn workbook(
    entries: &[EntryDetail],
    calendar: &Calendar,
    exported_by: &str,
    filter_text: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_text_wrap().set_border(FormatBorder::Thin);
    let money = Format::new()
        .set_num_format("#,##0.00")
        .set_border(FormatBorder::Thin);

    let ws = wb.add_worksheet();
    ws.set_name("隐患台账")?;
    for (c, (zh, en, width)) in COLUMNS.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, format!("{zh}\n{en}"), &header)?;
        ws.set_column_width(c, *width)?;
    }
    ws.set_row_height(0, 32)?;
    ws.set_freeze_panes(1, 2)?;
    for (i, d) in entries.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number_with_format(r, 0, r as f64, &cell)?;
        for (j, text) in row_of(d, calendar).into_iter().enumerate() {
            let c = j as u16 + 1;
            match COLUMNS[c as usize].1 {
                "Reporters" => {
                    ws.write_number_with_format(r, c, f64::from(d.summary.reporters), &cell)?;
                }
                "Funds (yuan)" => match d.plan.as_ref() {
                    Some(p) => {
                        ws.write_number_with_format(r, c, p.funds.0 as f64 / 100.0, &money)?;
                    }
                    None => {
                        ws.write_blank(r, c, &cell)?;
                    }
                },
                // write_string never turns text into a formula.
                _ => {
                    ws.write_string_with_format(r, c, text, &cell)?;
                }
            }
        }
    }
    let last_col = COLUMNS.len() as u16 - 1;
    ws.autofilter(0, 0, entries.len().max(1) as u32, last_col)?;

    let about = wb.add_worksheet();
    about.set_name("说明 About")?;
    about.set_column_width(0, 22)?;
    about.set_column_width(1, 60)?;
    let lines = [
        ("导出时间 / Exported at", calendar.local_minute(now)),
        ("导出人 / Exported by", exported_by.to_owned()),
        ("筛选条件 / Filter", filter_text.to_owned()),
        ("条目数 / Entries", entries.len().to_string()),
        (
            "说明 / Note",
            format!(
                "时间为辖区当地时间（{zone}）；匿名上报人不显示身份。 / Times are the district's \
                 local time ({zone}); anonymous reporters are not named.",
                zone = calendar.zone().name()
            ),
        ),
    ];
    for (i, (k, v)) in lines.into_iter().enumerate() {
        about.write_string_with_format(i as u32, 0, k, &header)?;
        about.write_string_with_format(i as u32, 1, v, &cell)?;
    }
    wb.save_to_buffer()
}

/// The entries an export holds: the list's filters and jurisdiction, every page, at most
/// [`MAX_EXPORT_ENTRIES`]; with the filter as text and the time of the export.
async fn exported(
    state: &AppState,
    who: &OfficerAuth,
    query: Result<Query<LedgerQuery>, QueryRejection>,
) -> Result<(Vec<EntryDetail>, String, DateTime<Utc>), AppError> {
    let Query(q) = query.map_err(|e| {
        AppError::bad_request(
            "invalid_query",
            format!("查询参数无效 / invalid query: {}", e.body_text()),
        )
    })?;
    let filter = q.filter()?;
    let now = state.now();
    let details = state
        .ledger
        .export_entries(&who.actor, filter, MAX_EXPORT_ENTRIES, now)
        .await?
        .ok_or_else(|| AppError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "export_too_large",
            message: format!(
                "条目超过 {MAX_EXPORT_ENTRIES} 条，请按日期或镇街分批导出 / more than \
                 {MAX_EXPORT_ENTRIES} entries: export in parts by date or town"
            ),
        })?;
    Ok((details, q.describe(), now))
}

/// The ledger as an `.xlsx` spreadsheet.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/export.xlsx",
    tag = "officer",
    params(LedgerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "隐患台账电子表格（中文表头在前）/ the ledger as a spreadsheet, Chinese headers first", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, description = "查询参数无效 / invalid query (`invalid_query`)", body = ErrorBody),
        (status = 422, description = "条目过多，请按日期或镇街分批导出 / too many entries (`export_too_large`)", body = ErrorBody),
    )
)]
pub async fn ledger_xlsx(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<LedgerQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let (details, filter_text, now) = exported(&state, &who, query).await?;
    let calendar = *state.ledger.calendar();
    let exported_by = who.actor.name().to_owned();
    let bytes = tokio::task::spawn_blocking(move || {
        workbook(&details, &calendar, &exported_by, &filter_text, now)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    let name = format!(
        "hazard-ledger-{}.xlsx",
        calendar.today(now).format("%Y%m%d")
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{name}\"; filename*=UTF-8''%E9%9A%90%E6%82%A3%E5%8F%B0%E8%B4%A6-{}",
                    &name["hazard-ledger-".len()..]
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The ledger as CSV (`GET /api/v1/ledger/export.csv`): the spreadsheet's columns and rows,
/// UTF-8 with a byte-order mark so that Excel opens it in Chinese; the same filters,
/// jurisdiction and anonymity as the list.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/export.csv",
    tag = "officer",
    params(LedgerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "隐患台账 CSV（UTF-8，带 BOM）/ the ledger as CSV, UTF-8 with BOM", content_type = "text/csv"),
        (status = 400, description = "查询参数无效 / invalid query (`invalid_query`)", body = ErrorBody),
        (status = 422, description = "条目过多，请按日期或镇街分批导出 / too many entries (`export_too_large`)", body = ErrorBody),
    )
)]
pub async fn ledger_csv(
    State(state): State<AppState>,
    who: OfficerAuth,
    query: Result<Query<LedgerQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let (details, _, now) = exported(&state, &who, query).await?;
    let calendar = *state.ledger.calendar();
    let bytes = tokio::task::spawn_blocking(move || csv_of(&details, &calendar))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"hazard-ledger-{d}.csv\"; filename*=UTF-8''%E9%9A%90%E6%82%A3%E5%8F%B0%E8%B4%A6-{d}.csv",
                    d = calendar.today(now).format("%Y%m%d")
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The CSV bytes: a byte-order mark, the bilingual header row, one row per entry.
fn csv_of(entries: &[EntryDetail], calendar: &Calendar) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(COLUMNS.iter().map(|(zh, en, _)| format!("{zh} {en}")))?;
    for (i, d) in entries.iter().enumerate() {
        let mut cells = vec![(i + 1).to_string()];
        for (j, text) in row_of(d, calendar).into_iter().enumerate() {
            cells.push(match COLUMNS[j + 1].1 {
                "Reporters" => d.summary.reporters.to_string(),
                "Funds (yuan)" => d
                    .plan
                    .as_ref()
                    .map(|p| p.funds.to_string())
                    .unwrap_or_default(),
                // A cell that a spreadsheet would read as a formula stays text.
                _ if text.starts_with(['=', '+', '-', '@']) => format!("'{text}"),
                _ => text,
            });
        }
        w.write_record(cells)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
