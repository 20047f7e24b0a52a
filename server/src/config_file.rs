//! The configuration file of `serve` (`--config FILE` or `HAZARDSNAP_CONFIG`): a TOML table
//! whose keys are the flags' names (`database_url = "postgres://…"`, `listen = "0.0.0.0:8080"`,
//! `demo = true`). It is folded into the command line before it is parsed, so every value goes
//! through the same checks as a flag, and the order of precedence is the usual one: the command
//! line, then the environment (`HAZARDSNAP_…`), then the file, then the defaults. An unknown key
//! is an error naming it, not silently ignored.

use std::ffi::OsString;
use std::path::PathBuf;

/// The keys a file may set: `serve`'s flags, with the environment variable that overrides each.
pub const KEYS: &[(&str, Option<&str>)] = &[
    ("data", Some("HAZARDSNAP_DATA")),
    ("listen", Some("HAZARDSNAP_LISTEN")),
    ("demo", None),
    ("time_zone", Some("HAZARDSNAP_TIME_ZONE")),
    ("map_tiles", Some("HAZARDSNAP_MAP_TILES")),
    ("map_attribution", Some("HAZARDSNAP_MAP_ATTRIBUTION")),
    ("monthly_due_day", Some("HAZARDSNAP_MONTHLY_DUE_DAY")),
    ("webhook_url", Some("HAZARDSNAP_WEBHOOK_URL")),
    ("webhook_secret", Some("HAZARDSNAP_WEBHOOK_SECRET")),
    (
        "client_rate_per_sec",
        Some("HAZARDSNAP_CLIENT_RATE_PER_SEC"),
    ),
    ("client_burst", Some("HAZARDSNAP_CLIENT_BURST")),
    (
        "device_photos_per_day",
        Some("HAZARDSNAP_DEVICE_PHOTOS_PER_DAY"),
    ),
    (
        "device_photo_mib_per_day",
        Some("HAZARDSNAP_DEVICE_PHOTO_MIB_PER_DAY"),
    ),
    ("database_url", Some("HAZARDSNAP_DATABASE_URL")),
    ("photos", Some("HAZARDSNAP_PHOTOS")),
];

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The file could not be read.
    #[error("无法读取配置文件 {0}：{1} / cannot read the configuration file {0}: {1}")]
    Read(String, std::io::Error),
    /// The file is not TOML.
    #[error(
        "配置文件 {0} 不是有效的 TOML：{1} / the configuration file {0} is not valid TOML: {1}"
    )]
    Toml(String, String),
    /// A key no flag has.
    #[error("配置文件 {0} 中的未知设置项 {1} / unknown setting {1} in the configuration file {0}")]
    UnknownKey(String, String),
    /// A value that is not a string, number or boolean.
    #[error(
        "配置文件 {0} 中 {1} 的值应为字符串、数字或布尔值 / {1} in the configuration file {0} must be a string, a number or a boolean"
    )]
    BadValue(String, String),
}

fn flag_given(args: &[OsString], flag: &str) -> bool {
    let with_value = format!("{flag}=");
    args.iter().any(|a| {
        a.to_str()
            .is_some_and(|a| a == flag || a.starts_with(&with_value))
    })
}

fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(s) = a.to_str() else { continue };
        if s == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = s.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os("HAZARDSNAP_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The command line with the configuration file's settings folded in (for `serve` only):
/// each setting not already on the command line nor in its environment variable becomes a
/// flag right after the subcommand.
pub fn args_with_file(args: Vec<OsString>) -> Result<Vec<OsString>, ConfigFileError> {
    if args.get(1).and_then(|a| a.to_str()) != Some("serve") {
        return Ok(args);
    }
    let Some(path) = config_path(&args[2..]) else {
        return Ok(args);
    };
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(&path).map_err(|e| ConfigFileError::Read(shown.clone(), e))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| ConfigFileError::Toml(shown.clone(), e.to_string()))?;
    let mut added: Vec<OsString> = Vec::new();
    for (key, value) in &table {
        let Some((_, env)) = KEYS.iter().find(|(k, _)| k == key) else {
            return Err(ConfigFileError::UnknownKey(shown, key.clone()));
        };
        let flag = format!("--{}", key.replace('_', "-"));
        let in_env = env.is_some_and(|e| std::env::var_os(e).is_some_and(|v| !v.is_empty()));
        if in_env || flag_given(&args[2..], &flag) {
            continue;
        }
        match value {
            toml::Value::Boolean(true) => added.push(flag.into()),
            toml::Value::Boolean(false) => {}
            toml::Value::String(s) => added.extend([flag.into(), s.into()]),
            toml::Value::Integer(i) => added.extend([flag.into(), i.to_string().into()]),
            _ => return Err(ConfigFileError::BadValue(shown, key.clone())),
        }
    }
    let mut out = args[..2].to_vec();
    out.extend(added);
    out.extend_from_slice(&args[2..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_file_fills_what_the_command_line_leaves_out() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("server.toml");
        std::fs::write(
            &f,
            "listen = \"127.0.0.1:9000\"\ndemo = true\nmonthly_due_day = 20\n\
             database_url = \"postgres://db/hz\"\n",
        )
        .unwrap();
        let out = args_with_file(args(&[
            "hazardsnap-server",
            "serve",
            "--config",
            f.to_str().unwrap(),
            "--listen=127.0.0.1:7000",
        ]))
        .unwrap();
        let out: Vec<String> = out.iter().map(|a| a.to_str().unwrap().to_owned()).collect();
        // The command line's listen wins; the rest comes from the file.
        assert!(!out.contains(&"127.0.0.1:9000".to_owned()), "{out:?}");
        assert!(out.contains(&"--demo".to_owned()));
        let due = out.iter().position(|a| a == "--monthly-due-day").unwrap();
        assert_eq!(out[due + 1], "20");
        let db = out.iter().position(|a| a == "--database-url").unwrap();
        assert_eq!(out[db + 1], "postgres://db/hz");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("server.toml");
        std::fs::write(&f, "databse_url = \"x\"\n").unwrap();
        let e = args_with_file(args(&["s", "serve", "--config", f.to_str().unwrap()]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("databse_url") && e.contains("未知"), "{e}");
    }

    #[test]
    fn other_commands_are_left_alone() {
        let a = args(&["s", "backup", "--config", "x"]);
        assert_eq!(args_with_file(a.clone()).unwrap(), a);
    }
}
