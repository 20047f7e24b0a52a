//! The two error types of the core and the one place that converts between them.
//!
//! [`Error`] is internal: rich, with `#[from]` for rusqlite, io and serde, and free to change.
//! [`HazardError`] is what crosses the FFI into Kotlin, Swift and Python: a small, stable enum
//! the app can `when`/`switch` on, each variant with a stable snake_case `code` and a message in
//! Chinese first, then English. The conversion in `From<Error> for HazardError` is the only place
//! where one becomes the other, so it is the only place to check that no personal data (notes,
//! file paths that carry user names, coordinates) leaks into error text that apps may log or
//! send to crash reporters.

use hazardsnap_model::ReportInvalid;
use hazardsnap_photo::PhotoError;

use crate::outbox::LocalState;

/// Internal error of the core. Never crosses the FFI as is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Invalid(#[from] ReportInvalid),
    /// The photo at `index` (0-based, in the order given) could not be read from its file.
    #[error("photo {index} unreadable: {source}")]
    PhotoUnreadable {
        index: usize,
        #[source]
        source: std::io::Error,
    },
    /// The photo at `index` is larger than the core will read into memory.
    #[error("photo {index} file too large: {bytes} bytes")]
    PhotoFileTooLarge { index: usize, bytes: u64 },
    /// The photo pipeline refused the photo at `index`.
    #[error("photo {index}: {source}")]
    Photo {
        index: usize,
        #[source]
        source: PhotoError,
    },
    #[error("no such report")]
    NotFound,
    #[error("report id is not a UUID")]
    BadId,
    #[error("list cursor unreadable")]
    BadCursor,
    #[error("report is {0:?}, not editable")]
    NotEditable(LocalState),
    #[error("data folder used by another process")]
    Busy,
    #[error("stored value unreadable: {0}")]
    Corrupt(String),
    #[error("background task failed: {0}")]
    Task(String),
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// Attaches a description of the operation to an io error.
    pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::Io { what, source }
    }
}

/// Result of the internal API.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error as the app sees it (错误). Every variant carries a stable `code` (snake_case, for
/// program logic and analytics) and a `message` (Chinese first, then English, for the worker).
/// Messages never contain what the worker wrote, where they were or file paths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HazardError {
    /// The report breaks a rule (empty, note too long, bad coordinates…): fix and try again.
    #[error("{message}")]
    InvalidReport { code: String, message: String },
    /// A photo cannot be used: missing file, not an image, truncated, too large. `index` is its
    /// 0-based position among the photos given.
    #[error("{message}")]
    InvalidPhoto {
        index: u32,
        code: String,
        message: String,
    },
    /// An argument the app passed is malformed (a list cursor not from a previous page).
    #[error("{message}")]
    InvalidArgument { code: String, message: String },
    /// No report with that id (or it was deleted).
    #[error("{message}")]
    NotFound { code: String, message: String },
    /// The report is no longer a draft: queued reports cannot be changed or deleted.
    #[error("{message}")]
    NotEditable { code: String, message: String },
    /// Another process (or another `HazardCore`) has the data folder open.
    #[error("{message}")]
    Busy { code: String, message: String },
    /// The phone's storage failed: disk full, permission, I/O error.
    #[error("{message}")]
    Storage { code: String, message: String },
    /// The server could not be reached or answered with an error; try again later.
    #[error("{message}")]
    Network { code: String, message: String },
    /// The device is not enrolled yet, or its token was revoked.
    #[error("{message}")]
    NotEnrolled { code: String, message: String },
    /// The operation was cancelled by the app.
    #[error("{message}")]
    Cancelled { code: String, message: String },
    /// A bug or an unexpected state; the text is safe to log.
    #[error("{message}")]
    Internal { code: String, message: String },
}

impl HazardError {
    /// The stable snake_case code of the error.
    pub fn code(&self) -> &str {
        match self {
            HazardError::InvalidReport { code, .. }
            | HazardError::InvalidPhoto { code, .. }
            | HazardError::InvalidArgument { code, .. }
            | HazardError::NotFound { code, .. }
            | HazardError::NotEditable { code, .. }
            | HazardError::Busy { code, .. }
            | HazardError::Storage { code, .. }
            | HazardError::Network { code, .. }
            | HazardError::NotEnrolled { code, .. }
            | HazardError::Cancelled { code, .. }
            | HazardError::Internal { code, .. } => code,
        }
    }

    pub(crate) fn not_enrolled() -> Self {
        HazardError::NotEnrolled {
            code: "not_enrolled".into(),
            message: "本设备尚未注册或已被注销，请用企业工会发放的注册码注册 / this device is not enrolled (or was revoked): enroll it with a code from the enterprise union".into(),
        }
    }
}

fn s(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

impl From<Error> for HazardError {
    fn from(e: Error) -> Self {
        // Logged here, once, with the internal detail (which may name a path); the app gets only
        // the sanitized variant below.
        tracing::debug!(error = %e, "core error");
        match e {
            Error::Invalid(inv) => HazardError::InvalidReport {
                code: inv.code().to_owned(),
                message: inv.to_string(),
            },
            Error::PhotoUnreadable { index, source } => {
                let (code, message) = match source.kind() {
                    std::io::ErrorKind::NotFound => {
                        s("photo_not_found", "找不到照片文件 / photo file not found")
                    }
                    std::io::ErrorKind::PermissionDenied => s(
                        "photo_not_readable",
                        "没有读取照片文件的权限 / no permission to read the photo file",
                    ),
                    _ => s(
                        "photo_not_readable",
                        "无法读取照片文件 / the photo file cannot be read",
                    ),
                };
                HazardError::InvalidPhoto {
                    index: index as u32,
                    code,
                    message: format!("第 {n} 张照片 / photo {n}: {message}", n = index + 1),
                }
            }
            Error::PhotoFileTooLarge { index, bytes } => HazardError::InvalidPhoto {
                index: index as u32,
                code: "photo_file_too_large".into(),
                message: format!(
                    "第 {n} 张照片：文件过大（{mb} MB）/ photo {n}: file too large ({mb} MB)",
                    n = index + 1,
                    mb = bytes / (1024 * 1024),
                ),
            },
            Error::Photo { index, source } => HazardError::InvalidPhoto {
                index: index as u32,
                code: source.code().to_owned(),
                message: format!("第 {n} 张照片 / photo {n}: {source}", n = index + 1),
            },
            Error::NotFound | Error::BadId => HazardError::NotFound {
                code: "report_not_found".into(),
                message: "找不到该报告 / no such report".into(),
            },
            Error::BadCursor => HazardError::InvalidArgument {
                code: "invalid_cursor".into(),
                message: "分页游标无效 / invalid page cursor".into(),
            },
            Error::NotEditable(state) => HazardError::NotEditable {
                code: "report_not_editable".into(),
                message: format!(
                    "报告已{}，不能再修改或删除 / the report is {} and can no longer be changed or deleted",
                    state.label_zh(),
                    state.wire_name()
                ),
            },
            Error::Busy => HazardError::Busy {
                code: "data_folder_busy".into(),
                message:
                    "数据目录正被另一个程序使用 / the data folder is in use by another process"
                        .into(),
            },
            Error::Io { source, .. } if is_disk_full(&source) => HazardError::Storage {
                code: "storage_full".into(),
                message: "手机存储空间已满 / the phone's storage is full".into(),
            },
            Error::Io { what, source } => HazardError::Storage {
                code: "storage_error".into(),
                message: format!("存储读写失败 / storage error: {what} ({:?})", source.kind()),
            },
            Error::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::DiskFull =>
            {
                HazardError::Storage {
                    code: "storage_full".into(),
                    message: "手机存储空间已满 / the phone's storage is full".into(),
                }
            }
            Error::Sqlite(err) => HazardError::Storage {
                code: "database_error".into(),
                // rusqlite's text names the failing SQLite code and constraint, never row values.
                message: format!("数据库错误 / database error: {}", sqlite_kind(&err)),
            },
            Error::Cancelled => HazardError::Cancelled {
                code: "cancelled".into(),
                message: "操作已取消 / cancelled".into(),
            },
            Error::Json(_) | Error::Corrupt(_) | Error::Task(_) => HazardError::Internal {
                code: "internal".into(),
                message: "内部错误 / internal error".into(),
            },
        }
    }
}

fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
}

fn sqlite_kind(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => format!("{:?}", f.code),
        other => format!("{:?}", std::mem::discriminant(other)),
    }
}
