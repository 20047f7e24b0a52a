//! `hazardsnap-server`: the command line of `CONTRACT.md` around the server library.
//!
//! ```text
//! hazardsnap-server serve [--data DIR] [--listen ADDR] [--demo] [--time-zone TZ]
//!                          [--map-tiles URL [--map-attribution TEXT]] [--monthly-due-day N]
//!                          [--webhook-url URL --webhook-secret SECRET]
//!                          [--client-rate-per-sec N] [--client-burst N]
//!                          [--device-photos-per-day N] [--device-photo-mib-per-day N]
//!                          [--database-url postgres://...] [--photos s3://BUCKET/PREFIX]
//!                          [--config FILE]
//! hazardsnap-server org import [--data DIR] [--database-url URL] FILE
//! hazardsnap-server migrate-store --from DIR|URL --to URL|DIR [--photos s3://BUCKET/PREFIX]
//! hazardsnap-server backup [--data DIR] FILE
//! ```
//!
//! Every `serve` flag may also come from its environment variable (`HAZARDSNAP_` and the flag's
//! name, e.g. `HAZARDSNAP_DATABASE_URL`) or from a TOML file (`--config FILE` or
//! `HAZARDSNAP_CONFIG`, keys named like the flags: `database_url = "postgres://…"`); the command
//! line wins over the environment, the environment over the file
//! (`hazardsnap_server::config_file`).
//!
//! Logs go to standard error, filtered by `RUST_LOG` (default `info`), as JSON lines when
//! `HAZARDSNAP_LOG_FORMAT=json`.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hazardsnap_ledger::Calendar;
use hazardsnap_model::{Labelled, Roster};
use hazardsnap_server::org::{DEMO_ROSTER, import_roster, import_roster_text};
use hazardsnap_server::{AppState, Config, Server, shutdown_signal};

fn parse_calendar(name: &str) -> Result<Calendar, String> {
    Calendar::from_name(name)
}

fn parse_tiles(url: &str) -> Result<String, String> {
    hazardsnap_server::web::check_tile_url(url).map(str::to_owned)
}

/// 隐患随手拍 服务端 / hazardsnap server.
#[derive(Parser)]
#[command(name = "hazardsnap-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 启动服务 / run the server.
    Serve {
        /// 数据目录（SQLite 数据库与照片）/ data folder (SQLite database and photos).
        #[arg(long, default_value = "./hazardsnap-data", env = "HAZARDSNAP_DATA")]
        data: PathBuf,
        /// 监听地址 / address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "HAZARDSNAP_LISTEN")]
        listen: SocketAddr,
        /// 空数据库时载入演示区县并打印登录名与注册码 / on an empty database, load a demo district
        /// and print its logins and enrollment codes.
        #[arg(long)]
        demo: bool,
        /// 辖区时区（IANA 名称），决定“今天”、整改时限与台账年度 / the district's time zone (an IANA
        /// name): it decides "today", deadlines and the year of ledger numbers.
        #[arg(long, default_value = "Asia/Shanghai", env = "HAZARDSNAP_TIME_ZONE", value_parser = parse_calendar)]
        time_zone: Calendar,
        /// 地图瓦片服务地址（含 {z} {x} {y}），配置后关键点页显示在办隐患地图；不配置则只显示列表 /
        /// the map's tile server URL template (with {z}, {x}, {y}): the site points page then
        /// shows the open entries on a map; without it, a list.
        #[arg(long, env = "HAZARDSNAP_MAP_TILES", value_parser = parse_tiles)]
        map_tiles: Option<String>,
        /// 地图署名（瓦片服务许可要求显示的文字）/ the attribution the tile server's licence asks for.
        #[arg(long, env = "HAZARDSNAP_MAP_ATTRIBUTION", requires = "map_tiles")]
        map_attribution: Option<String>,
        /// 月报截止日（次月几号，1–28）/ the day of the following month the towns' monthly
        /// reports are due (1–28).
        #[arg(long, default_value_t = 25, env = "HAZARDSNAP_MONTHLY_DUE_DAY", value_parser = clap::value_parser!(u32).range(1..=28))]
        monthly_due_day: u32,
        /// 事件推送地址（可选）：台账每一步以 JSON 推送，HMAC-SHA256 签名 / push every ledger step as
        /// signed JSON to this URL (optional).
        #[arg(long, env = "HAZARDSNAP_WEBHOOK_URL", requires = "webhook_secret")]
        webhook_url: Option<String>,
        /// 推送签名密钥 / the webhook's signing secret.
        #[arg(long, env = "HAZARDSNAP_WEBHOOK_SECRET", hide_env_values = true)]
        webhook_secret: Option<String>,
        /// 每个客户端地址每秒请求数（默认 100；反向代理之后所有客户端共用代理的地址，应调高）/
        /// sustained requests per second from one client address (default 100; behind a
        /// reverse proxy every client shares the proxy's address: raise it).
        #[arg(long, env = "HAZARDSNAP_CLIENT_RATE_PER_SEC")]
        client_rate_per_sec: Option<NonZeroU32>,
        /// 每个客户端地址可突发的请求数（默认 5000）/ requests one client address may burst
        /// (default 5000).
        #[arg(long, env = "HAZARDSNAP_CLIENT_BURST")]
        client_burst: Option<NonZeroU32>,
        /// 每台设备 24 小时内可存储的新照片张数（默认 2000）/ new photos one device may store
        /// over 24 hours (default 2000).
        #[arg(long, env = "HAZARDSNAP_DEVICE_PHOTOS_PER_DAY")]
        device_photos_per_day: Option<u64>,
        /// 每台设备 24 小时内可存储的新照片总量，MiB（默认 2048）/ MiB of new photos one device
        /// may store over 24 hours (default 2048).
        #[arg(long, env = "HAZARDSNAP_DEVICE_PHOTO_MIB_PER_DAY")]
        device_photo_mib_per_day: Option<u64>,
        /// PostgreSQL 数据库（代替内置 SQLite；多副本共用）/ PostgreSQL instead of the embedded
        /// SQLite file (shared by several replicas).
        #[arg(long, env = "HAZARDSNAP_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
        /// S3 兼容对象存储中的照片位置（代替数据目录中的照片；地址与密钥取自 AWS_* 环境变量）/
        /// photos in S3-compatible storage instead of the data folder (endpoint and
        /// credentials from the AWS_* environment).
        #[arg(long, env = "HAZARDSNAP_PHOTOS")]
        photos: Option<String>,
        /// 配置文件（TOML，键名同参数名；命令行与环境变量优先）/ a TOML configuration file (keys
        /// named like the flags; the command line and the environment win over it).
        #[arg(long, env = "HAZARDSNAP_CONFIG")]
        config: Option<PathBuf>,
    },
    /// 把一个区县的全部数据复制到另一存储并逐表校验（可重复执行）/ copy a district's whole store
    /// to another and verify it table by table (safe to re-run).
    MigrateStore {
        /// 来源：数据目录或 postgres:// 地址 / from: a data folder or a postgres:// URL.
        #[arg(long)]
        from: String,
        /// 目标：postgres:// 地址或数据目录 / to: a postgres:// URL or a data folder.
        #[arg(long)]
        to: String,
        /// 照片复制到此 S3 位置（不给则照片留在数据目录）/ copy the photos to this S3 location
        /// (without it the photos stay in the data folder).
        #[arg(long)]
        photos: Option<String>,
    },
    /// 在线备份数据库（服务运行时也可），照片目录随后复制 / back the database up while the server
    /// runs; copy the photo folder after it.
    Backup {
        /// 数据目录 / data folder.
        #[arg(long, default_value = "./hazardsnap-data", env = "HAZARDSNAP_DATA")]
        data: PathBuf,
        /// 备份文件 / the backup file (replaced atomically).
        file: PathBuf,
    },
    /// 组织名册 / the organisation roster.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// 导入或更新名册（重复导入无变化）/ load or update the roster (importing twice changes nothing).
    Import {
        /// 数据目录 / data folder.
        #[arg(long, default_value = "./hazardsnap-data", env = "HAZARDSNAP_DATA")]
        data: PathBuf,
        /// PostgreSQL 数据库（代替内置 SQLite）/ PostgreSQL instead of the embedded SQLite file.
        #[arg(long, env = "HAZARDSNAP_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
        /// 名册 TOML 文件 / roster TOML file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let filter = hazardsnap_server::log_filter(std::env::var("RUST_LOG").ok().as_deref());
    // `HAZARDSNAP_LOG_FORMAT=json`: one JSON object per line (time, level, target, the
    // event's fields and its request span) for a log collector; else lines for people.
    let json = std::env::var("HAZARDSNAP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.init();
    }
    let args = match hazardsnap_server::config_file::args_with_file(std::env::args_os().collect()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cli = Cli::parse_from(args);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            data,
            listen,
            demo,
            time_zone,
            map_tiles,
            map_attribution,
            monthly_due_day,
            webhook_url,
            webhook_secret,
            client_rate_per_sec,
            client_burst,
            device_photos_per_day,
            device_photo_mib_per_day,
            database_url,
            photos,
            config: _,
        } => {
            let shutdown = shutdown_signal();
            let defaults = Config::new();
            let config = Config {
                client_rate_per_sec: client_rate_per_sec.unwrap_or(defaults.client_rate_per_sec),
                client_burst: client_burst.unwrap_or(defaults.client_burst),
                device_photos_per_day: device_photos_per_day
                    .unwrap_or(defaults.device_photos_per_day),
                device_photo_bytes_per_day: device_photo_mib_per_day
                    .map_or(defaults.device_photo_bytes_per_day, |m| {
                        m.saturating_mul(1 << 20)
                    }),
                data_dir: data,
                listen,
                calendar: time_zone,
                map_tiles,
                map_attribution,
                monthly_due_day,
                webhook: webhook_url.zip(webhook_secret).map(|(url, secret)| {
                    hazardsnap_server::webhooks::WebhookTarget { url, secret }
                }),
                database_url,
                photos,
                ..defaults
            };
            let state = AppState::start(config).await?;
            if demo {
                load_demo(&state).await?;
            }
            let server = Server::bind_state(state, listen).await?;
            // Scripts and tests read this line to learn the port when listening on port 0.
            println!("listening on http://{}", server.local_addr());
            server.run(shutdown).await?;
            Ok(())
        }
        Command::MigrateStore { from, to, photos } => {
            let report =
                hazardsnap_server::migrate::migrate_store(&from, &to, photos.as_deref()).await?;
            print!("{report}");
            Ok(())
        }
        Command::Backup { data, file } => {
            let s = tokio::task::spawn_blocking(move || {
                hazardsnap_server::backup::backup(&data, &file)
            })
            .await??;
            println!(
                "已备份 {}（{} 字节，架构版本 {}）：{} 条报告，{} 个台账条目，{} 张照片；\
                 照片目录只增不改，请在此后复制（rsync -a）/ backed up to {} ({} bytes, schema {}): \
                 {} reports, {} ledger entries, {} photos; the photo folder only grows: copy it \
                 after this (rsync -a)",
                s.file.display(),
                s.bytes,
                s.schema_version,
                s.reports,
                s.entries,
                s.photos,
                s.file.display(),
                s.bytes,
                s.schema_version,
                s.reports,
                s.entries,
                s.photos
            );
            if s.photos_missing > 0 {
                anyhow::bail!(
                    "备份中 {} 张照片在照片目录中找不到 / {} photos the backup names are missing from the photo folder",
                    s.photos_missing,
                    s.photos_missing
                );
            }
            Ok(())
        }
        Command::Org {
            command:
                OrgCommand::Import {
                    data,
                    database_url,
                    file,
                },
        } => {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                anyhow::anyhow!(
                    "无法读取 {} / cannot read {}: {e}",
                    file.display(),
                    file.display()
                )
            })?;
            let state = AppState::start(Config {
                data_dir: data,
                database_url,
                ..Config::new()
            })
            .await?;
            let s = import_roster_text(&state.ledger, &text).await?;
            println!(
                "名册已导入：{} 个镇/街道，{} 家企业，{} 名工作人员，{} 个注册码；{} 行有变化 / roster imported: {} towns, {} enterprises, {} officers, {} enrollment codes; {} rows changed",
                s.towns,
                s.enterprises,
                s.users,
                s.enrollment_codes,
                s.changed_rows,
                s.towns,
                s.enterprises,
                s.users,
                s.enrollment_codes,
                s.changed_rows
            );
            Ok(())
        }
    }
}

async fn load_demo(state: &AppState) -> anyhow::Result<()> {
    if !state.ledger.has_no_organisation().await? {
        println!(
            "数据库已有组织数据，未载入演示数据 / the database already holds an organisation: demo not loaded"
        );
        return Ok(());
    }
    let roster = Roster::parse(DEMO_ROSTER)?;
    import_roster(&state.ledger, roster.clone()).await?;
    println!(
        "已载入演示区县「{}」/ demo district loaded",
        roster.district.name
    );
    let made = hazardsnap_server::demo::load_demo_reports(state, &roster).await?;
    println!(
        "已生成 {} 份演示报告 / {} demo reports made: {}",
        hazardsnap_server::demo::DEMO_REPORTS,
        hazardsnap_server::demo::DEMO_REPORTS,
        made.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join("，")
    );
    println!("工作人员登录 / officer logins:");
    for u in &roster.users {
        println!(
            "  {:<16} {:<22} {} ({}) {}",
            u.username,
            u.password,
            u.role.label_zh(),
            u.role.wire_name(),
            u.scope.as_deref().unwrap_or("")
        );
    }
    println!("注册码 / enrollment codes:");
    for c in &roster.enrollment_codes {
        let name = roster
            .enterprise(&c.enterprise)
            .map_or("", |e| e.name.as_str());
        println!("  {:<16} {} {}", c.code, c.enterprise, name);
    }
    Ok(())
}
