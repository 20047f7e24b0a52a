//! The campaign's records as spreadsheets (活动记录导出): a month's reports (the district's
//! roll-up, then each town, the figures in the API's order), a year's trainings, drills and
//! coverage, and the reward register. Chinese headers first, English after; text always
//! written as text, never as a formula.

use chrono::{DateTime, Utc};
use hazardsnap_ledger::Calendar;
use hazardsnap_ledger::rules::monthly::{MonthlyFigures, MonthlyOverview, MonthlyStatus};
use hazardsnap_ledger::rules::training::{Coverage, TrainingView};
use hazardsnap_model::Labelled;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

/// The figures' rows: Chinese, English, and how to read them from the figures.
type FigureRow = (&'static str, &'static str, fn(&MonthlyFigures) -> f64);

const FIGURES: &[FigureRow] = &[
    ("发现一般隐患", "General hazards found", |f| {
        f64::from(f.found_general)
    }),
    ("发现重大隐患", "Major hazards found", |f| {
        f64::from(f.found_major)
    }),
    (
        "本月整改销号",
        "Rectified (closed) in the month",
        |f| f64::from(f.rectified),
    ),
    ("整改率", "Rectification rate", |f| f.rectification_rate),
    ("月末未整改", "Open at month end", |f| {
        f64::from(f.open_at_month_end)
    }),
    ("其中逾期", "Of which overdue", |f| f64::from(f.overdue)),
    ("其中挂牌督办", "Of which escalated", |f| {
        f64::from(f.escalated)
    }),
    ("合理化建议", "Suggestions received", |f| {
        f64::from(f.suggestions)
    }),
    ("建议采纳", "Suggestions adopted", |f| {
        f64::from(f.suggestions_adopted)
    }),
    ("参与职工", "Workers taking part", |f| {
        f64::from(f.participants)
    }),
    ("安全培训（次）", "Training sessions", |f| {
        f64::from(f.trainings)
    }),
    ("培训人数", "Trainees", |f| f64::from(f.trainees)),
    ("应急演练（次）", "Drills", |f| f64::from(f.drills)),
];

struct Formats {
    header: Format,
    cell: Format,
    percent: Format,
}

fn formats() -> Formats {
    Formats {
        header: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border(FormatBorder::Thin),
        cell: Format::new().set_text_wrap().set_border(FormatBorder::Thin),
        percent: Format::new()
            .set_num_format("0.0%")
            .set_border(FormatBorder::Thin),
    }
}

fn about(wb: &mut Workbook, fm: &Formats, lines: Vec<(&str, String)>) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("说明 About")?;
    ws.set_column_width(0, 22)?;
    ws.set_column_width(1, 70)?;
    for (i, (k, v)) in lines.into_iter().enumerate() {
        ws.write_string_with_format(i as u32, 0, k, &fm.header)?;
        ws.write_string_with_format(i as u32, 1, v, &fm.cell)?;
    }
    Ok(())
}

fn figure_cells(
    ws: &mut Worksheet,
    fm: &Formats,
    row: u32,
    first_col: u16,
    f: &MonthlyFigures,
) -> Result<(), XlsxError> {
    for (j, (_, en, get)) in FIGURES.iter().enumerate() {
        let c = first_col + j as u16;
        let fmt = if *en == "Rectification rate" {
            &fm.percent
        } else {
            &fm.cell
        };
        ws.write_number_with_format(row, c, get(f), fmt)?;
    }
    Ok(())
}

fn status_text(s: MonthlyStatus, late: bool) -> String {
    let base = match s {
        MonthlyStatus::Draft => "未报送 / not submitted",
        MonthlyStatus::Submitted => "已报送 / submitted",
    };
    if late {
        format!("{base}（逾期 / late）")
    } else {
        base.to_owned()
    }
}

/// A month's reports: one sheet with the roll-up and every town, figures as columns.
pub fn monthly(
    o: &MonthlyOverview,
    calendar: &Calendar,
    exported_by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let fm = formats();
    let ws = wb.add_worksheet();
    ws.set_name(format!("月报 {}", o.month))?;
    let lead = [
        ("镇街", "Town", 18.0),
        ("状态", "Status", 18.0),
        ("报送时间", "Submitted at", 17.0),
    ];
    for (c, (zh, en, w)) in lead.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, format!("{zh}\n{en}"), &fm.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (j, (zh, en, _)) in FIGURES.iter().enumerate() {
        let c = (lead.len() + j) as u16;
        ws.write_string_with_format(0, c, format!("{zh}\n{en}"), &fm.header)?;
        ws.set_column_width(c, 12)?;
    }
    ws.set_row_height(0, 48)?;
    ws.set_freeze_panes(1, 1)?;
    let first = lead.len() as u16;
    let mut r = 1;
    for t in &o.towns {
        ws.write_string_with_format(r, 0, format!("{}（{}）", t.name, t.town), &fm.cell)?;
        ws.write_string_with_format(r, 1, status_text(t.status, t.late), &fm.cell)?;
        ws.write_string_with_format(
            r,
            2,
            t.submitted_at
                .map(|at| calendar.local_minute(at))
                .unwrap_or_default(),
            &fm.cell,
        )?;
        figure_cells(ws, &fm, r, first, &t.figures)?;
        r += 1;
    }
    if o.towns.len() > 1 {
        ws.write_string_with_format(r, 0, "全区合计 / District total", &fm.header)?;
        ws.write_string_with_format(
            r,
            1,
            format!("{} / {} 已报送 submitted", o.submitted, o.towns.len()),
            &fm.cell,
        )?;
        ws.write_blank(r, 2, &fm.cell)?;
        figure_cells(ws, &fm, r, first, &o.district)?;
    }
    about(
        &mut wb,
        &fm,
        vec![
            ("月份 / Month", o.month.clone()),
            ("截止日期 / Due", o.due.to_string()),
            ("导出时间 / Exported at", calendar.local_minute(now)),
            ("导出人 / Exported by", exported_by.to_owned()),
            (
                "口径 / Definitions",
                "整改销号：本月销号的隐患（不论何时发现）；整改率＝本月销号 ÷（本月销号＋月末未整改）；\
                 已报送的月报数字为报送时的数字。 / Rectified: closed in the month, whenever found; \
                 rate = rectified / (rectified + open at month end); a submitted report keeps the \
                 figures it was submitted with."
                    .to_owned(),
            ),
        ],
    )?;
    wb.save_to_buffer()
}

/// A year's trainings and drills (one row each) and the coverage per enterprise.
pub fn trainings(
    records: &[TrainingView],
    coverage: &Coverage,
    calendar: &Calendar,
    exported_by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let fm = formats();

    let ws = wb.add_worksheet();
    ws.set_name("培训演练 Records")?;
    let cols = [
        ("日期", "Date", 11.0),
        ("企业", "Enterprise", 22.0),
        ("类型", "Kind", 14.0),
        ("主题", "Topic", 28.0),
        ("学时", "Hours", 7.0),
        ("授课/组织", "Trainer", 14.0),
        ("参加职工", "Workers", 9.0),
        ("外部人员", "Outside", 9.0),
        ("参演班组", "Teams", 24.0),
        ("演练发现", "Findings", 30.0),
        ("登记人", "Recorded by", 14.0),
    ];
    for (c, (zh, en, w)) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, format!("{zh}\n{en}"), &fm.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_row_height(0, 32)?;
    ws.set_freeze_panes(1, 0)?;
    for (i, t) in records.iter().enumerate() {
        let r = i as u32 + 1;
        let rec = &t.record;
        let texts = [
            rec.date.to_string(),
            format!("{}（{}）", t.enterprise_name, t.enterprise),
            format!("{} / {}", rec.kind.label_zh(), rec.kind.label_en()),
            rec.topic.clone(),
        ];
        for (c, text) in texts.into_iter().enumerate() {
            ws.write_string_with_format(r, c as u16, text, &fm.cell)?;
        }
        ws.write_number_with_format(r, 4, rec.hours, &fm.cell)?;
        ws.write_string_with_format(r, 5, rec.trainer.clone().unwrap_or_default(), &fm.cell)?;
        ws.write_number_with_format(r, 6, rec.attendees.len() as f64, &fm.cell)?;
        ws.write_number_with_format(r, 7, f64::from(rec.outside_trainees), &fm.cell)?;
        let teams: Vec<String> = rec
            .teams
            .iter()
            .map(|t| format!("{}/{}", t.workshop, t.team))
            .collect();
        ws.write_string_with_format(r, 8, teams.join("、"), &fm.cell)?;
        let findings: Vec<String> = rec
            .findings
            .iter()
            .map(|f| match &f.entry_number {
                Some(n) => format!("{}（{n}）", f.note),
                None => f.note.clone(),
            })
            .collect();
        ws.write_string_with_format(r, 9, findings.join("；"), &fm.cell)?;
        ws.write_string_with_format(r, 10, t.created_by.clone(), &fm.cell)?;
    }

    let cv = wb.add_worksheet();
    cv.set_name("覆盖 Coverage")?;
    let cols = [
        ("企业", "Enterprise", 22.0),
        ("镇街", "Town", 8.0),
        ("职工", "Workers", 8.0),
        ("已培训", "Trained", 8.0),
        ("培训覆盖率", "Training rate", 10.0),
        ("培训次数", "Sessions", 8.0),
        ("演练次数", "Drills", 8.0),
        ("班组", "Teams", 8.0),
        ("已演练班组", "Teams drilled", 10.0),
        ("未演练班组", "Teams not drilled", 26.0),
        ("达标", "On plan", 8.0),
    ];
    for (c, (zh, en, w)) in cols.iter().enumerate() {
        cv.write_string_with_format(0, c as u16, format!("{zh}\n{en}"), &fm.header)?;
        cv.set_column_width(c as u16, *w)?;
    }
    cv.set_row_height(0, 32)?;
    for (i, e) in coverage.enterprises.iter().enumerate() {
        let r = i as u32 + 1;
        cv.write_string_with_format(r, 0, format!("{}（{}）", e.name, e.enterprise), &fm.cell)?;
        cv.write_string_with_format(r, 1, e.town.clone(), &fm.cell)?;
        cv.write_number_with_format(r, 2, f64::from(e.workers), &fm.cell)?;
        cv.write_number_with_format(r, 3, f64::from(e.trained), &fm.cell)?;
        cv.write_number_with_format(r, 4, e.training_rate, &fm.percent)?;
        cv.write_number_with_format(r, 5, f64::from(e.trainings), &fm.cell)?;
        cv.write_number_with_format(r, 6, f64::from(e.drills), &fm.cell)?;
        cv.write_number_with_format(r, 7, f64::from(e.teams), &fm.cell)?;
        cv.write_number_with_format(r, 8, f64::from(e.teams_drilled), &fm.cell)?;
        let missing: Vec<String> = e
            .teams_missing
            .iter()
            .map(|t| format!("{}/{}", t.workshop, t.team))
            .collect();
        cv.write_string_with_format(r, 9, missing.join("、"), &fm.cell)?;
        cv.write_string_with_format(
            r,
            10,
            if e.on_plan { "是 / yes" } else { "否 / no" },
            &fm.cell,
        )?;
    }
    about(
        &mut wb,
        &fm,
        vec![
            ("年度 / Year", coverage.year.to_string()),
            ("导出时间 / Exported at", calendar.local_minute(now)),
            ("导出人 / Exported by", exported_by.to_owned()),
            (
                "达标 / On plan",
                "全体职工年内至少培训一次；每年至少两次应急演练且班组全部参与。 / Every worker trained \
                 at least once a year; at least two drills a year with every team taking part."
                    .to_owned(),
            ),
        ],
    )?;
    wb.save_to_buffer()
}

/// The reward register (奖励发放登记): one row per reward, newest first; an anonymous finder is
/// 匿名, never a name.
pub fn rewards_register(
    lines: &[hazardsnap_ledger::rules::rewards::RewardView],
    calendar: &Calendar,
    exported_by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, XlsxError> {
    use hazardsnap_ledger::views::RewardKind;
    let mut wb = Workbook::new();
    let fm = formats();
    let money = Format::new()
        .set_num_format("#,##0.00")
        .set_border(FormatBorder::Thin);
    let ws = wb.add_worksheet();
    ws.set_name("奖励发放登记 Register")?;
    let cols = [
        ("编号", "No.", 18.0),
        ("奖励类别", "For", 24.0),
        ("企业", "Enterprise", 10.0),
        ("获奖人", "Rewarded", 16.0),
        ("职工编号", "Worker code", 12.0),
        ("金额（元）", "Amount (yuan)", 12.0),
        ("审批人", "Approved by", 12.0),
        ("发放登记时间", "Granted at", 17.0),
        ("兑付日期", "Paid on", 11.0),
        ("兑付人", "Paid by", 12.0),
    ];
    for (c, (zh, en, w)) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, format!("{zh}\n{en}"), &fm.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_row_height(0, 32)?;
    ws.set_freeze_panes(1, 1)?;
    let mut total = 0i64;
    for (i, l) in lines.iter().enumerate() {
        let r = i as u32 + 1;
        let kind = match l.kind {
            RewardKind::MajorHazard => "发现并整改的重大隐患 / major hazard found and fixed",
            RewardKind::AdoptedSuggestion => "被采纳的合理化建议 / adopted suggestion",
        };
        let (who, code) = if l.anonymous {
            ("匿名 / anonymous".to_owned(), String::new())
        } else {
            (
                l.worker_name.clone().unwrap_or_default(),
                l.worker.clone().unwrap_or_default(),
            )
        };
        let texts = [
            l.number.clone(),
            kind.to_owned(),
            l.enterprise.clone(),
            who,
            code,
        ];
        for (c, text) in texts.into_iter().enumerate() {
            ws.write_string_with_format(r, c as u16, text, &fm.cell)?;
        }
        ws.write_number_with_format(r, 5, l.amount.0 as f64 / 100.0, &money)?;
        total += l.amount.0;
        let rest = [
            l.approved_by.clone(),
            calendar.local_minute(l.granted_at),
            l.paid_on.map(|d| d.to_string()).unwrap_or_default(),
            l.paid_by.clone().unwrap_or_default(),
        ];
        for (j, text) in rest.into_iter().enumerate() {
            ws.write_string_with_format(r, 6 + j as u16, text, &fm.cell)?;
        }
    }
    let r = lines.len() as u32 + 1;
    ws.write_string_with_format(r, 0, "合计 / Total", &fm.header)?;
    ws.write_number_with_format(r, 5, total as f64 / 100.0, &money)?;
    let paid = lines.iter().filter(|l| l.paid_on.is_some()).count();
    about(
        &mut wb,
        &fm,
        vec![
            ("导出时间 / Exported at", calendar.local_minute(now)),
            ("导出人 / Exported by", exported_by.to_owned()),
            (
                "笔数 / Rewards",
                format!("{}（已兑付 {paid} / paid {paid}）", lines.len()),
            ),
            (
                "匿名 / Anonymous",
                "匿名奖励不记姓名，凭手机收到的兑奖码兑付。 / An anonymous reward names no one: it is paid against the code the finder's phone received."
                    .to_owned(),
            ),
        ],
    )?;
    wb.save_to_buffer()
}
