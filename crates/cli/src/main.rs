//! `hazardsnap`: the phone core on a desktop (隐患随手拍命令行).
//!
//! The very same `HazardCore` the apps call, driven from the command line: capture reports
//! offline, list and edit them, and (with the sync part) enroll and send them. The subcommands
//! and their output are a contract (`CONTRACT.md`): `capture` prints the new id alone on its
//! line, `list --json` prints an array with `id`, `local_state`, `server_status`,
//! `entry_number`, and every failure exits non-zero with exactly one line on stderr, so scripts
//! can rely on both.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Parser, Subcommand};
use hazardsnap_core::{
    CaptureRequest, HazardCore, HazardError, ListQuery, LocalState, PhotoSource, Progress,
    ProgressListener, ProgressStage, ReportContent, ReportSummary, SyncOptions,
};
use hazardsnap_model::{AtRisk, Category, CheckSource, Labelled, Location, ReportKind, Severity};
use indicatif::{ProgressBar, ProgressStyle};

/// 隐患随手拍：离线拍照上报安全隐患 / hazard snapshots: report safety hazards offline.
#[derive(Debug, Parser)]
#[command(name = "hazardsnap", version)]
struct Cli {
    /// 数据目录 / data folder (database and photos)
    #[arg(
        long,
        global = true,
        default_value = "./hazardsnap-data",
        env = "HAZARDSNAP_DATA"
    )]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 用注册码注册本设备 / enroll this device with an enrollment code
    Enroll {
        /// 服务器地址 / server URL, e.g. http://127.0.0.1:8080
        #[arg(long)]
        server: String,
        /// 企业工会发放的注册码 / enrollment code from the enterprise union
        #[arg(long)]
        code: String,
        /// 设备名称 / device name shown to officers
        #[arg(long)]
        name: Option<String>,
    },
    /// 拍照上报（离线可用）/ capture a report (works offline)
    Capture(CaptureArgs),
    /// 发送待发送的报告并获取状态 / send queued reports and fetch their status
    Sync {
        /// 输出 JSON / print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// 列出报告（最新在前）/ list reports, newest first
    List {
        /// 输出 JSON / print a JSON array
        #[arg(long)]
        json: bool,
        /// 只列出这些状态 / only these local states (draft, queued, synced, failed)
        #[arg(long = "state", value_parser = parse_state)]
        states: Vec<LocalState>,
        /// 只列出此类型 / only this kind
        #[arg(long, value_parser = parse_wire::<ReportKind>)]
        kind: Option<ReportKind>,
        /// 最多列出几条 / at most this many (default: all)
        #[arg(long)]
        limit: Option<u32>,
    },
    /// 显示一条报告的详情 / show one report with its photos and history
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// 修改草稿 / edit a draft (only the fields given change)
    Edit(EditArgs),
    /// 将草稿加入待发送 / queue a draft for sending
    Queue { id: String },
    /// 删除草稿（或被服务器拒收的报告）/ delete a draft (or a refused report)
    Delete { id: String },
    /// 存储占用 / storage use
    Storage {
        #[arg(long)]
        json: bool,
    },
    /// 我的培训与演练（上次同步所得，离线可看）/ my trainings and drills, as the last sync
    /// brought them (works offline)
    Trainings {
        #[arg(long)]
        json: bool,
    },
    /// 清理已销号报告的原图 / prune full-size photos of reports closed on the server
    Prune {
        /// 销号多少天后清理 / days after closing
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

#[derive(Debug, Args)]
struct CaptureArgs {
    /// 照片文件 / photo files (JPEG, PNG, WebP)
    photos: Vec<PathBuf>,
    #[command(flatten)]
    content: ContentArgs,
    /// 保存为草稿，不加入待发送 / keep as an editable draft
    #[arg(long)]
    draft: bool,
}

#[derive(Debug, Args)]
struct EditArgs {
    id: String,
    #[command(flatten)]
    content: ContentArgs,
    /// 取消匿名 / no longer anonymous
    #[arg(long, conflicts_with = "anonymous")]
    named: bool,
}

#[derive(Debug, Args)]
struct ContentArgs {
    /// 说明 / what you saw
    #[arg(long)]
    note: Option<String>,
    /// hazard | suggestion
    #[arg(long, value_parser = parse_wire::<ReportKind>)]
    kind: Option<ReportKind>,
    /// rules | standard_work | equipment_guarding | ppe | fixed_position | key_points |
    /// occupational_health | other
    #[arg(long, value_parser = parse_wire::<Category>)]
    category: Option<Category>,
    /// general | major
    #[arg(long, value_parser = parse_wire::<Severity>)]
    severity: Option<Severity>,
    /// 匿名 / hide the reporter at enterprise level
    #[arg(long)]
    anonymous: bool,
    /// 现场点编码 / site point code
    #[arg(long)]
    site: Option<String>,
    /// 纬度 / latitude in degrees
    #[arg(long, requires = "lon", allow_negative_numbers = true)]
    lat: Option<f64>,
    /// 经度 / longitude in degrees
    #[arg(long, requires = "lat", allow_negative_numbers = true)]
    lon: Option<f64>,
    /// 四保：oneself, others, equipment, environment (comma-separated)
    #[arg(long, value_delimiter = ',', value_parser = parse_wire::<AtRisk>)]
    at_risk: Vec<AtRisk>,
    /// 四查：worker_check | expert_check | representative_patrol | team_cross_check
    #[arg(long, value_parser = parse_wire::<CheckSource>)]
    source: Option<CheckSource>,
    /// 车间 / workshop
    #[arg(long)]
    workshop: Option<String>,
    /// 班组 / team
    #[arg(long)]
    team: Option<String>,
}

impl ContentArgs {
    /// Applies the flags given onto `c`; flags not given leave `c` as it is.
    fn apply(&self, c: &mut ReportContent) {
        if let Some(n) = &self.note {
            c.note = n.clone();
        }
        if let Some(k) = self.kind {
            c.kind = k;
        }
        if let Some(v) = self.category {
            c.category = v;
        }
        if let Some(v) = self.severity {
            c.severity = v;
        }
        if self.anonymous {
            c.anonymous = true;
        }
        if self.site.is_some() {
            c.site_code = self.site.clone();
        }
        if let (Some(lat), Some(lon)) = (self.lat, self.lon) {
            c.location = Some(Location {
                lat,
                lon,
                accuracy_m: None,
            });
        }
        if !self.at_risk.is_empty() {
            c.at_risk = self.at_risk.clone();
        }
        if let Some(v) = self.source {
            c.source = v;
        }
        if self.workshop.is_some() {
            c.workshop = self.workshop.clone();
        }
        if self.team.is_some() {
            c.team = self.team.clone();
        }
    }
}

fn parse_wire<T: std::str::FromStr<Err = hazardsnap_model::UnknownValue>>(
    s: &str,
) -> Result<T, String> {
    s.parse::<T>().map_err(|e| e.to_string())
}

fn parse_state(s: &str) -> Result<LocalState, String> {
    s.parse::<LocalState>()
}

/// A failure of the CLI: one line for stderr.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Core(#[from] HazardError),
    #[error("{0}")]
    Output(String),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // clap prints usage over several lines; the contract is one line.
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            eprintln!("hazardsnap: 参数错误 / usage error: {first} (hazardsnap --help)");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hazardsnap: 无法启动运行时 / cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = e.to_string().replace('\n', " ");
            eprintln!("hazardsnap: {line}");
            ExitCode::FAILURE
        }
    }
}

async fn open(data: &std::path::Path) -> Result<Arc<HazardCore>, CliError> {
    let core = HazardCore::open(data.to_string_lossy().into_owned()).await?;
    if let Some(notice) = core.damage_notice().await? {
        eprintln!(
            "hazardsnap: 警告 / warning: {} → {}",
            notice.reason, notice.moved_to
        );
        core.acknowledge_damage().await?;
    }
    Ok(core)
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Enroll { server, code, name } => {
            let core = open(&cli.data).await?;
            let name = name.unwrap_or_else(|| "hazardsnap-cli".into());
            let e = core.enroll(server, code, name).await?;
            println!(
                "已注册到 {}（{}）/ enrolled with {} ({}), device {}",
                e.enterprise_name,
                e.enterprise_code,
                e.enterprise_name,
                e.enterprise_code,
                e.device_id
            );
            Ok(())
        }
        Command::Sync { json } => sync(&cli.data, json).await,
        Command::Capture(args) => capture(&cli.data, args).await,
        Command::List {
            json,
            states,
            kind,
            limit,
        } => list(&cli.data, json, states, kind, limit).await,
        Command::Show { id, json } => show(&cli.data, &id, json).await,
        Command::Trainings { json } => trainings(&cli.data, json).await,
        Command::Edit(args) => {
            let core = open(&cli.data).await?;
            let mut content = core.get_report(args.id.clone()).await?.content;
            args.content.apply(&mut content);
            if args.named {
                content.anonymous = false;
            }
            core.edit_draft(args.id, content).await?;
            Ok(())
        }
        Command::Queue { id } => Ok(open(&cli.data).await?.queue_report(id).await?),
        Command::Delete { id } => Ok(open(&cli.data).await?.delete_report(id).await?),
        Command::Storage { json } => {
            let u = open(&cli.data).await?.storage_use().await?;
            if json {
                print_json(&serde_json::json!({
                    "database_bytes": u.database_bytes,
                    "photo_bytes": u.photo_bytes,
                    "thumbnail_bytes": u.thumbnail_bytes,
                    "report_count": u.report_count,
                    "photo_count": u.photo_count,
                    "pruned_photo_count": u.pruned_photo_count,
                }))
            } else {
                println!(
                    "报告 reports: {}  照片 photos: {} ({} 已清理 pruned)\n数据库 database: {}  原图 photos: {}  缩略图 thumbnails: {}",
                    u.report_count,
                    u.photo_count,
                    u.pruned_photo_count,
                    human_bytes(u.database_bytes),
                    human_bytes(u.photo_bytes),
                    human_bytes(u.thumbnail_bytes)
                );
                Ok(())
            }
        }
        Command::Prune { days } => {
            let out = open(&cli.data).await?.prune_photos(days).await?;
            println!(
                "已清理 {} 张原图，释放 {} / pruned {} photos, freed {}",
                out.photos_pruned,
                human_bytes(out.bytes_freed),
                out.photos_pruned,
                human_bytes(out.bytes_freed)
            );
            Ok(())
        }
    }
}

/// Drives an indicatif bar from the core's progress callback.
struct BarListener(ProgressBar);

impl ProgressListener for BarListener {
    fn on_progress(&self, p: Progress) {
        self.0.set_length(p.total);
        self.0.set_position(p.done);
    }
}

fn bar(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

async fn capture(data: &std::path::Path, args: CaptureArgs) -> Result<(), CliError> {
    let core = open(data).await?;
    let mut content = ReportContent::hazard(Category::Other);
    args.content.apply(&mut content);
    let photos = args
        .photos
        .iter()
        .map(|p| PhotoSource::Path {
            path: p.to_string_lossy().into_owned(),
        })
        .collect::<Vec<_>>();
    // A bar only where the wait is noticeable; indicatif hides it when stderr is not a terminal.
    let progress = (photos.len() > 1).then(|| bar("处理照片 / processing photos"));
    let listener = progress
        .clone()
        .map(|b| Arc::new(BarListener(b)) as Arc<dyn ProgressListener>);
    let id = core
        .capture(
            CaptureRequest {
                photos,
                content,
                captured_at: None,
                draft: args.draft,
            },
            listener,
        )
        .await;
    if let Some(b) = progress {
        b.finish_and_clear();
    }
    println!("{}", id?);
    Ok(())
}

async fn sync(data: &std::path::Path, json: bool) -> Result<(), CliError> {
    let core = open(data).await?;
    let progress = bar("同步 / syncing");
    let listener = Arc::new(SyncBar(progress.clone())) as Arc<dyn ProgressListener>;
    let out = core
        .sync(
            SyncOptions {
                metered_network: false,
                ignore_backoff: true,
            },
            Some(listener),
            None,
        )
        .await;
    progress.finish_and_clear();
    let out = out?;
    if json {
        return print_json(&serde_json::json!({
            "uploaded": out.uploaded,
            "failed": out.failed,
            "pending": out.pending,
            "photos_uploaded": out.photos_uploaded,
            "bytes_uploaded": out.bytes_uploaded,
            "changes_applied": out.changes_applied,
            "last_error": out.last_error,
        }));
    }
    println!(
        "已发送 {} 条，失败 {} 条，待发送 {} 条，状态更新 {} 条 / uploaded {}, failed {}, pending {}, status changes {}",
        out.uploaded,
        out.failed,
        out.pending,
        out.changes_applied,
        out.uploaded,
        out.failed,
        out.pending,
        out.changes_applied
    );
    if let Some(e) = out.last_error {
        eprintln!("hazardsnap: 部分未完成，稍后重试 / partly done, retry later: {e}");
    }
    Ok(())
}

/// A bar whose message follows the sync stage.
struct SyncBar(ProgressBar);

impl ProgressListener for SyncBar {
    fn on_progress(&self, p: Progress) {
        let msg = match p.stage {
            ProgressStage::ProcessingPhotos => "处理照片 / photos",
            ProgressStage::UploadingPhotos => "上传照片 / uploading photos (bytes)",
            ProgressStage::SendingReports => "发送报告 / sending reports",
            ProgressStage::FetchingChanges => "获取状态 / fetching status",
        };
        self.0.set_message(msg);
        self.0.set_length(p.total);
        self.0.set_position(p.done);
    }
}

fn rfc3339(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn summary_json(r: &ReportSummary) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "local_state": r.local_state,
        "server_status": r.server.status,
        "entry_number": r.server.entry_number,
        "merged_into": r.server.merged_into,
        "server_reason": r.server.reason,
        "suggestion_status": r.server.suggestion_status,
        "kind": r.kind,
        "category": r.category,
        "severity": r.severity,
        "captured_at": rfc3339(r.captured_at),
        "photo_count": r.photo_count,
        "note": r.note_preview,
        "retry_count": r.retry_count,
        "fail_reason": r.fail_reason,
    })
}

fn print_json(v: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(v).map_err(|e| CliError::Output(e.to_string()))?;
    println!("{text}");
    Ok(())
}

async fn list(
    data: &std::path::Path,
    json: bool,
    states: Vec<LocalState>,
    kind: Option<ReportKind>,
    limit: Option<u32>,
) -> Result<(), CliError> {
    let core = open(data).await?;
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = core
            .list_reports(ListQuery {
                states: states.clone(),
                kind,
                captured_from: None,
                captured_before: None,
                limit: 500,
                cursor,
            })
            .await?;
        items.extend(page.items);
        if let Some(max) = limit
            && items.len() >= max as usize
        {
            items.truncate(max as usize);
            break;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    if json {
        return print_json(&serde_json::Value::Array(
            items.iter().map(summary_json).collect(),
        ));
    }
    if items.is_empty() {
        println!("没有报告 / no reports");
    }
    for r in &items {
        println!(
            "{}  {:<6}  {:<22}  {:<16}  {}  {}  {}",
            r.id,
            r.local_state.wire_name(),
            r.server
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            r.server.entry_number.as_deref().unwrap_or("-"),
            DateTime::<Utc>::from(r.captured_at).format("%Y-%m-%d %H:%M"),
            r.category,
            r.note_preview.replace('\n', " ")
        );
    }
    Ok(())
}

async fn trainings(data: &std::path::Path, json: bool) -> Result<(), CliError> {
    let mine = open(data).await?.my_trainings().await?;
    if json {
        return print_json(&serde_json::json!({
            "worker": mine.worker,
            "hours_this_year": mine.hours_this_year,
            "synced_at": mine.synced_at.map(rfc3339),
            "trainings": mine.trainings.iter().map(|t| serde_json::json!({
                "id": t.id,
                "kind": t.kind,
                "date": t.date,
                "topic": t.topic,
                "hours": t.hours,
            })).collect::<Vec<_>>(),
        }));
    }
    match &mine.worker {
        None => println!(
            "本机尚未关联职工，请企业工会在管理页关联 / this phone is not linked to a worker yet: ask the enterprise union to link it"
        ),
        Some(w) => println!(
            "职工 {w}：今年培训与演练 {} 小时 / worker {w}: {} hours this year",
            mine.hours_this_year, mine.hours_this_year
        ),
    }
    if mine.synced_at.is_none() {
        println!("尚未同步 / not synced yet");
    }
    for t in &mine.trainings {
        println!(
            "{}  {}  {} 小时/h  {}",
            t.date,
            t.kind.label(hazardsnap_model::Lang::Zh),
            t.hours,
            t.topic
        );
    }
    Ok(())
}

async fn show(data: &std::path::Path, id: &str, json: bool) -> Result<(), CliError> {
    let core = open(data).await?;
    let d = core.get_report(id.to_owned()).await?;
    let c = &d.content;
    let value = serde_json::json!({
        "id": d.id,
        "local_state": d.local_state,
        "server_status": d.server.status,
        "entry_number": d.server.entry_number,
        "merged_into": d.server.merged_into,
        "server_reason": d.server.reason,
        "kind": c.kind,
        "category": c.category,
        "severity": c.severity,
        "at_risk": c.at_risk,
        "source": c.source,
        "note": c.note,
        "workshop": c.workshop,
        "team": c.team,
        "site_code": c.site_code,
        "location": c.location,
        "anonymous": c.anonymous,
        "captured_at": rfc3339(d.captured_at),
        "created_at": rfc3339(d.created_at),
        "updated_at": rfc3339(d.updated_at),
        "retry_count": d.retry_count,
        "last_error": d.last_error,
        "fail_code": d.fail_code,
        "fail_reason": d.fail_reason,
        "photos": d.photos.iter().map(|p| serde_json::json!({
            "sha256": p.sha256, "bytes": p.bytes, "width": p.width, "height": p.height,
            "path": p.path, "thumbnail_path": p.thumbnail_path,
        })).collect::<Vec<_>>(),
        "history": d.history.iter().map(|h| serde_json::json!({
            "at": rfc3339(h.at), "event": h.event, "detail": h.detail,
        })).collect::<Vec<_>>(),
    });
    if json {
        return print_json(&value);
    }
    println!("{} [{}]", d.id, d.local_state.label_zh());
    println!(
        "{} · {} · {}",
        hazardsnap_model::Labelled::label_zh(c.kind),
        hazardsnap_model::Labelled::label_zh(c.category),
        hazardsnap_model::Labelled::label_zh(c.severity)
    );
    if !c.note.is_empty() {
        println!("{}", c.note);
    }
    if let Some(s) = d.server.status {
        println!(
            "台账 ledger: {} {}",
            hazardsnap_model::Labelled::label_zh(s),
            d.server.entry_number.as_deref().unwrap_or("")
        );
    }
    for p in &d.photos {
        println!(
            "照片 photo {} {}×{} {}",
            p.sha256,
            p.width,
            p.height,
            p.path.as_deref().unwrap_or("(已清理 pruned)")
        );
    }
    for h in &d.history {
        println!(
            "  {}  {}  {}",
            rfc3339(h.at),
            h.event,
            h.detail.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

fn human_bytes(b: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if b as f64 >= MB {
        format!("{:.1} MB", b as f64 / MB)
    } else {
        format!("{:.1} KB", b as f64 / 1024.0)
    }
}
