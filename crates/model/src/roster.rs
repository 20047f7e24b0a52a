//! The organisation roster (`CONTRACT.md`): district, towns, enterprises with their workshops,
//! teams and site points, officers, enrollment codes, and the enterprises' workers (职工: the
//! people a phone, a training record or a reward belongs to), as a TOML file.
//!
//! [`Roster::parse`] reads and validates it. Every error names the line, the column and the
//! field, because the file is written by hand by a district clerk who needs to find the typo.
//! Passwords stay in plain text only inside this struct; the server hashes them on import and
//! the struct is dropped.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::{Industry, Labelled, Role};

/// A validated roster.
#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    /// The district (区).
    pub district: District,
    /// Towns and subdistricts (镇、街道).
    pub towns: Vec<Town>,
    /// Enterprises (企业).
    pub enterprises: Vec<Enterprise>,
    /// Officers.
    pub users: Vec<User>,
    /// Codes that enroll a phone to an enterprise.
    pub enrollment_codes: Vec<EnrollmentCode>,
    /// The enterprises' workers (职工).
    pub workers: Vec<Worker>,
}

/// A worker (职工) of an enterprise: who a phone, a training and a reward belong to. No phone
/// number and no ID-card number: the roster names people only as far as the campaign needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// Code, unique in the district, e.g. `E001-W0001` (the enterprise's employee number).
    pub code: String,
    /// Name.
    pub name: String,
    /// The enterprise's code.
    pub enterprise: String,
    /// The workshop (车间), one of the enterprise's.
    pub workshop: Option<String>,
    /// The team (班组), one of the workshop's.
    pub team: Option<String>,
}

/// The district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct District {
    /// Its name, e.g. `周村区`.
    pub name: String,
}

/// A town or subdistrict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Town {
    /// Roster code, e.g. `T01`.
    pub code: String,
    /// Name, e.g. `丝绸路街道`.
    pub name: String,
}

/// An enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct Enterprise {
    /// Roster code, e.g. `E001`.
    pub code: String,
    /// Name.
    pub name: String,
    /// The code of its town.
    pub town: String,
    /// Its industry.
    pub industry: Industry,
    /// A small or medium private enterprise (非公中小企业): a supervision priority.
    pub private_sme: bool,
    /// Workshops (车间) and their teams (班组).
    pub workshops: Vec<Workshop>,
    /// Key control points (现场关键点), often marked with a QR code.
    pub site_points: Vec<SitePoint>,
}

/// A workshop and its teams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workshop {
    /// Name, e.g. `一车间`.
    pub name: String,
    /// Team names, e.g. `甲班`.
    pub teams: Vec<String>,
}

/// A site point: a key control point with a geofence.
#[derive(Debug, Clone, PartialEq)]
pub struct SitePoint {
    /// Code, unique in the district, e.g. `E001-P01`.
    pub code: String,
    /// Name, e.g. `液氯储罐区`.
    pub name: String,
    /// Latitude of the centre.
    pub lat: f64,
    /// Longitude of the centre.
    pub lon: f64,
    /// Radius of the geofence in metres.
    pub radius_m: f64,
}

/// An officer.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub username: String,
    /// Initial password in plain text, to be hashed on import.
    pub password: String,
    /// Role.
    pub role: Role,
    /// A town code for a town officer, an enterprise code for an enterprise officer.
    pub scope: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("role", &self.role)
            .field("scope", &self.scope)
            .finish()
    }
}

/// An enrollment code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentCode {
    /// The code a worker types or scans.
    pub code: String,
    /// The enterprise it enrolls to.
    pub enterprise: String,
}

/// A roster that cannot be used, with where the fault is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "第 {line} 行第 {column} 列，{field}：{message_zh} / line {line}, column {column}, {field}: {message_en}"
)]
pub struct RosterError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The field, e.g. `enterprises[2].town`.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message_zh: String,
    /// What is wrong, in English.
    pub message_en: String,
}

/// Password length an officer's initial password must have.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Length an enrollment code must have: codes are guessable secrets.
pub const MIN_ENROLLMENT_CODE_CHARS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoster {
    district: RawDistrict,
    #[serde(default)]
    towns: Vec<RawTown>,
    #[serde(default)]
    enterprises: Vec<RawEnterprise>,
    #[serde(default)]
    users: Vec<RawUser>,
    #[serde(default)]
    enrollment_codes: Vec<RawCode>,
    #[serde(default)]
    workers: Vec<RawWorker>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorker {
    code: Spanned<String>,
    name: Spanned<String>,
    enterprise: Spanned<String>,
    workshop: Option<Spanned<String>>,
    team: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDistrict {
    name: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTown {
    code: Spanned<String>,
    name: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnterprise {
    code: Spanned<String>,
    name: Spanned<String>,
    town: Spanned<String>,
    industry: Industry,
    #[serde(default)]
    private_sme: bool,
    #[serde(default)]
    workshops: Vec<RawWorkshop>,
    #[serde(default)]
    site_points: Vec<RawSitePoint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkshop {
    name: Spanned<String>,
    #[serde(default)]
    teams: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSitePoint {
    code: Spanned<String>,
    name: Spanned<String>,
    lat: Spanned<f64>,
    lon: Spanned<f64>,
    radius_m: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    username: Spanned<String>,
    password: Spanned<String>,
    role: Spanned<Role>,
    scope: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    code: Spanned<String>,
    enterprise: Spanned<String>,
}

/// Turns byte offsets into line and column for error messages.
struct Locator<'a> {
    src: &'a str,
}

impl Locator<'_> {
    fn error(&self, span: Range<usize>, field: String, zh: String, en: String) -> RosterError {
        let start = span.start.min(self.src.len());
        let before = &self.src[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        RosterError {
            line,
            column,
            field,
            message_zh: zh,
            message_en: en,
        }
    }
}

fn nonempty(
    loc: &Locator<'_>,
    field: impl Fn() -> String,
    v: &Spanned<String>,
) -> Result<String, RosterError> {
    let s = v.get_ref().trim();
    if s.is_empty() {
        return Err(loc.error(
            v.span(),
            field(),
            "不能为空".into(),
            "must not be empty".into(),
        ));
    }
    Ok(s.to_owned())
}

/// A code: letters, digits, `-`, `_`, `.`; no spaces (they are typed on phones and in URLs).
fn code(
    loc: &Locator<'_>,
    field: impl Fn() -> String,
    v: &Spanned<String>,
) -> Result<String, RosterError> {
    let s = nonempty(loc, &field, v)?;
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(loc.error(
            v.span(),
            field(),
            format!("编码「{s}」只能包含字母、数字和 - _ ."),
            format!("code '{s}' may contain only letters, digits and - _ ."),
        ));
    }
    Ok(s)
}

impl Roster {
    /// Parses and validates a roster file's text.
    pub fn parse(src: &str) -> Result<Roster, RosterError> {
        let loc = Locator { src };
        let raw: RawRoster = toml::from_str(src).map_err(|e| {
            let msg = e.message().trim().to_owned();
            loc.error(
                e.span().unwrap_or(0..0),
                "roster".into(),
                format!("无法解析：{msg}"),
                format!("cannot parse: {msg}"),
            )
        })?;

        let district = District {
            name: nonempty(&loc, || "district.name".into(), &raw.district.name)?,
        };

        let mut towns = Vec::new();
        let mut town_codes = HashSet::new();
        for (i, t) in raw.towns.iter().enumerate() {
            let c = code(&loc, || format!("towns[{i}].code"), &t.code)?;
            if !town_codes.insert(c.clone()) {
                return Err(loc.error(
                    t.code.span(),
                    format!("towns[{i}].code"),
                    format!("镇/街道编码「{c}」重复"),
                    format!("duplicate town code '{c}'"),
                ));
            }
            towns.push(Town {
                code: c,
                name: nonempty(&loc, || format!("towns[{i}].name"), &t.name)?,
            });
        }

        let mut enterprises = Vec::new();
        let mut enterprise_codes = HashSet::new();
        let mut site_codes = HashSet::new();
        for (i, e) in raw.enterprises.iter().enumerate() {
            let c = code(&loc, || format!("enterprises[{i}].code"), &e.code)?;
            if !enterprise_codes.insert(c.clone()) {
                return Err(loc.error(
                    e.code.span(),
                    format!("enterprises[{i}].code"),
                    format!("企业编码「{c}」重复"),
                    format!("duplicate enterprise code '{c}'"),
                ));
            }
            let town = e.town.get_ref().trim().to_owned();
            if !town_codes.contains(&town) {
                return Err(loc.error(
                    e.town.span(),
                    format!("enterprises[{i}].town"),
                    format!("未知的镇/街道「{town}」"),
                    format!("unknown town '{town}'"),
                ));
            }
            let mut workshops = Vec::new();
            let mut workshop_names = HashSet::new();
            for (w, ws) in e.workshops.iter().enumerate() {
                let field = || format!("enterprises[{i}].workshops[{w}].name");
                let name = nonempty(&loc, field, &ws.name)?;
                if !workshop_names.insert(name.clone()) {
                    return Err(loc.error(
                        ws.name.span(),
                        field(),
                        format!("车间「{name}」重复"),
                        format!("duplicate workshop '{name}'"),
                    ));
                }
                let mut teams = Vec::new();
                for (t, team) in ws.teams.iter().enumerate() {
                    let field = || format!("enterprises[{i}].workshops[{w}].teams[{t}]");
                    let name = nonempty(&loc, field, team)?;
                    if teams.contains(&name) {
                        return Err(loc.error(
                            team.span(),
                            field(),
                            format!("班组「{name}」重复"),
                            format!("duplicate team '{name}'"),
                        ));
                    }
                    teams.push(name);
                }
                workshops.push(Workshop { name, teams });
            }
            let mut site_points = Vec::new();
            for (p, sp) in e.site_points.iter().enumerate() {
                let field = |f: &str| format!("enterprises[{i}].site_points[{p}].{f}");
                let pc = code(&loc, || field("code"), &sp.code)?;
                if !site_codes.insert(pc.clone()) {
                    return Err(loc.error(
                        sp.code.span(),
                        field("code"),
                        format!("现场点位编码「{pc}」重复"),
                        format!("duplicate site point code '{pc}'"),
                    ));
                }
                let (lat, lon, r) = (*sp.lat.get_ref(), *sp.lon.get_ref(), *sp.radius_m.get_ref());
                if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                    return Err(loc.error(
                        sp.lat.span(),
                        field("lat"),
                        format!("纬度 {lat} 超出范围 −90…90"),
                        format!("latitude {lat} out of range -90..90"),
                    ));
                }
                if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                    return Err(loc.error(
                        sp.lon.span(),
                        field("lon"),
                        format!("经度 {lon} 超出范围 −180…180"),
                        format!("longitude {lon} out of range -180..180"),
                    ));
                }
                if !(r.is_finite() && r > 0.0 && r <= 10_000.0) {
                    return Err(loc.error(
                        sp.radius_m.span(),
                        field("radius_m"),
                        format!("半径 {r} 米无效（应为 0…10000）"),
                        format!("radius {r} m invalid (expected 0..10000)"),
                    ));
                }
                site_points.push(SitePoint {
                    code: pc,
                    name: nonempty(&loc, || field("name"), &sp.name)?,
                    lat,
                    lon,
                    radius_m: r,
                });
            }
            enterprises.push(Enterprise {
                code: c,
                name: nonempty(&loc, || format!("enterprises[{i}].name"), &e.name)?,
                town,
                industry: e.industry,
                private_sme: e.private_sme,
                workshops,
                site_points,
            });
        }

        let mut users = Vec::new();
        let mut usernames = HashSet::new();
        for (i, u) in raw.users.iter().enumerate() {
            let username = code(&loc, || format!("users[{i}].username"), &u.username)?;
            if !usernames.insert(username.to_lowercase()) {
                return Err(loc.error(
                    u.username.span(),
                    format!("users[{i}].username"),
                    format!("用户名「{username}」重复"),
                    format!("duplicate username '{username}'"),
                ));
            }
            if u.password.get_ref().chars().count() < MIN_PASSWORD_CHARS {
                return Err(loc.error(
                    u.password.span(),
                    format!("users[{i}].password"),
                    format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"),
                    format!("password must have at least {MIN_PASSWORD_CHARS} characters"),
                ));
            }
            let role = *u.role.get_ref();
            let scope = u.scope.as_ref().map(|s| s.get_ref().trim().to_owned());
            let field = format!("users[{i}].scope");
            match (role.scope_kind(), &scope, &u.scope) {
                (None, None, _) => {}
                (None, Some(_), Some(s)) => {
                    return Err(loc.error(
                        s.span(),
                        field,
                        format!("角色 {} 不需要管辖范围", role.wire_name()),
                        format!("role '{}' takes no scope", role.wire_name()),
                    ));
                }
                (Some(kind), None, _) => {
                    return Err(loc.error(
                        u.role.span(),
                        field,
                        format!("角色 {} 需要管辖范围（{kind} 编码）", role.wire_name()),
                        format!("role '{}' needs a scope (a {kind} code)", role.wire_name()),
                    ));
                }
                (Some(kind), Some(s), Some(span)) => {
                    let known = if kind == "town" {
                        town_codes.contains(s)
                    } else {
                        enterprise_codes.contains(s)
                    };
                    if !known {
                        return Err(loc.error(
                            span.span(),
                            field,
                            format!(
                                "管辖范围「{s}」不是已知的{}编码",
                                if kind == "town" {
                                    "镇/街道"
                                } else {
                                    "企业"
                                }
                            ),
                            format!("scope '{s}' is not a known {kind} code"),
                        ));
                    }
                }
                _ => unreachable!("scope and its span are both present or both absent"),
            }
            users.push(User {
                username,
                password: u.password.get_ref().clone(),
                role,
                scope,
            });
        }

        let mut enrollment_codes = Vec::new();
        let mut codes: HashMap<String, ()> = HashMap::new();
        for (i, c) in raw.enrollment_codes.iter().enumerate() {
            let value = code(&loc, || format!("enrollment_codes[{i}].code"), &c.code)?;
            if value.chars().count() < MIN_ENROLLMENT_CODE_CHARS {
                return Err(loc.error(
                    c.code.span(),
                    format!("enrollment_codes[{i}].code"),
                    format!("注册码至少 {MIN_ENROLLMENT_CODE_CHARS} 个字符"),
                    format!(
                        "enrollment code must have at least {MIN_ENROLLMENT_CODE_CHARS} characters"
                    ),
                ));
            }
            if codes.insert(value.clone(), ()).is_some() {
                return Err(loc.error(
                    c.code.span(),
                    format!("enrollment_codes[{i}].code"),
                    format!("注册码「{value}」重复"),
                    format!("duplicate enrollment code '{value}'"),
                ));
            }
            let enterprise = c.enterprise.get_ref().trim().to_owned();
            if !enterprise_codes.contains(&enterprise) {
                return Err(loc.error(
                    c.enterprise.span(),
                    format!("enrollment_codes[{i}].enterprise"),
                    format!("未知的企业「{enterprise}」"),
                    format!("unknown enterprise '{enterprise}'"),
                ));
            }
            enrollment_codes.push(EnrollmentCode {
                code: value,
                enterprise,
            });
        }

        let mut workers = Vec::new();
        let mut worker_codes = HashSet::new();
        for (i, w) in raw.workers.iter().enumerate() {
            let field = |f: &str| format!("workers[{i}].{f}");
            let value = code(&loc, || field("code"), &w.code)?;
            if !worker_codes.insert(value.clone()) {
                return Err(loc.error(
                    w.code.span(),
                    field("code"),
                    format!("职工编码「{value}」重复"),
                    format!("duplicate worker code '{value}'"),
                ));
            }
            let name = nonempty(&loc, || field("name"), &w.name)?;
            let enterprise = code(&loc, || field("enterprise"), &w.enterprise)?;
            let Some(e) = enterprises.iter().find(|e| e.code == enterprise) else {
                return Err(loc.error(
                    w.enterprise.span(),
                    field("enterprise"),
                    format!("企业编码「{enterprise}」不存在"),
                    format!("unknown enterprise code '{enterprise}'"),
                ));
            };
            let workshop = match &w.workshop {
                None => None,
                Some(ws) => {
                    let n = nonempty(&loc, || field("workshop"), ws)?;
                    if !e.workshops.iter().any(|x| x.name == n) {
                        return Err(loc.error(
                            ws.span(),
                            field("workshop"),
                            format!("企业 {enterprise} 没有车间「{n}」"),
                            format!("enterprise {enterprise} has no workshop '{n}'"),
                        ));
                    }
                    Some(n)
                }
            };
            let team = match (&w.team, &workshop) {
                (None, _) => None,
                (Some(t), None) => {
                    return Err(loc.error(
                        t.span(),
                        field("team"),
                        "填写班组时须同时填写车间".into(),
                        "a team needs its workshop".into(),
                    ));
                }
                (Some(t), Some(ws)) => {
                    let n = nonempty(&loc, || field("team"), t)?;
                    let known = e
                        .workshops
                        .iter()
                        .any(|x| &x.name == ws && x.teams.contains(&n));
                    if !known {
                        return Err(loc.error(
                            t.span(),
                            field("team"),
                            format!("车间「{ws}」没有班组「{n}」"),
                            format!("workshop '{ws}' has no team '{n}'"),
                        ));
                    }
                    Some(n)
                }
            };
            workers.push(Worker {
                code: value,
                name,
                enterprise,
                workshop,
                team,
            });
        }

        Ok(Roster {
            district,
            towns,
            enterprises,
            users,
            enrollment_codes,
            workers,
        })
    }

    /// The enterprise with this code.
    pub fn enterprise(&self, code: &str) -> Option<&Enterprise> {
        self.enterprises.iter().find(|e| e.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of `CONTRACT.md`, verbatim.
    const CONTRACT_EXAMPLE: &str = r#"
[district]
name = "周村区"

[[towns]]
code = "T01"
name = "丝绸路街道"

[[enterprises]]
code = "E001"
name = "某化工有限公司"
town = "T01"
industry = "chemicals"  # chemicals | non_coal_mining | metallurgy | construction | transport
                        # | building_materials | hazardous_chemicals | other
private_sme = true
workshops = [{ name = "一车间", teams = ["甲班", "乙班"] }]
site_points = [{ code = "E001-P01", name = "液氯储罐区", lat = 36.80, lon = 117.87, radius_m = 50 }]

[[users]]
username = "zhang.san"
password = "initial password, hashed on import"
role = "enterprise"     # district | town | enterprise | bureau
scope = "E001"          # a town code for town, an enterprise code for enterprise; none otherwise

[[enrollment_codes]]
code = "E001-JOIN-7H3K"
enterprise = "E001"
"#;

    #[test]
    fn the_contract_example_parses() {
        let r = Roster::parse(CONTRACT_EXAMPLE).unwrap();
        assert_eq!(r.district.name, "周村区");
        assert_eq!(r.towns[0].code, "T01");
        let e = r.enterprise("E001").unwrap();
        assert_eq!(e.industry, Industry::Chemicals);
        assert!(e.private_sme);
        assert_eq!(e.workshops[0].teams, ["甲班", "乙班"]);
        assert_eq!(e.site_points[0].radius_m, 50.0);
        assert_eq!(r.users[0].role, Role::Enterprise);
        assert_eq!(r.users[0].scope.as_deref(), Some("E001"));
        assert_eq!(r.enrollment_codes[0].enterprise, "E001");
        assert!(!format!("{:?}", r.users[0]).contains("initial password"));
    }

    fn err(src: &str) -> RosterError {
        Roster::parse(src).unwrap_err()
    }

    #[test]
    fn workers_belong_to_a_known_enterprise_workshop_and_team() {
        let with = |w: &str| format!("{CONTRACT_EXAMPLE}\n[[workers]]\n{w}\n");
        let ok = Roster::parse(&with(
            "code = \"E001-W0001\"\nname = \"王强\"\nenterprise = \"E001\"\nworkshop = \"一车间\"\nteam = \"甲班\"",
        ))
        .unwrap();
        assert_eq!(ok.workers[0].name, "王强");
        assert_eq!(ok.workers[0].team.as_deref(), Some("甲班"));
        let e = err(&with(
            "code = \"E001-W0001\"\nname = \"王强\"\nenterprise = \"E009\"",
        ));
        assert_eq!(e.field, "workers[0].enterprise", "{e}");
        let e = err(&with(
            "code = \"E001-W0001\"\nname = \"王强\"\nenterprise = \"E001\"\nworkshop = \"一车间\"\nteam = \"丙班\"",
        ));
        assert_eq!(e.field, "workers[0].team", "{e}");
        let e = err(&with(
            "code = \"E001-W0001\"\nname = \"王强\"\nenterprise = \"E001\"\nteam = \"甲班\"",
        ));
        assert_eq!(e.field, "workers[0].team", "{e}");
        let twice = format!(
            "{}\n[[workers]]\ncode = \"E001-W0001\"\nname = \"李四\"\nenterprise = \"E001\"\n",
            with("code = \"E001-W0001\"\nname = \"王强\"\nenterprise = \"E001\"")
        );
        assert_eq!(err(&twice).field, "workers[1].code");
    }

    #[test]
    fn syntax_error_names_the_line() {
        let bad = CONTRACT_EXAMPLE.replace("name = \"丝绸路街道\"", "name = \"丝绸路街道");
        let e = err(&bad);
        assert_eq!(e.line, 7, "{e}");
        assert!(e.to_string().contains("第 7 行"), "{e}");
        assert!(e.to_string().contains("line 7"), "{e}");
    }

    #[test]
    fn unknown_town_names_line_and_field() {
        let e = err(&CONTRACT_EXAMPLE.replace("town = \"T01\"", "town = \"T99\""));
        assert_eq!(
            (e.line, e.field.as_str()),
            (12, "enterprises[0].town"),
            "{e}"
        );
        assert!(e.message_en.contains("unknown town 'T99'"));
    }

    #[test]
    fn unknown_industry_names_the_line() {
        let e = err(&CONTRACT_EXAMPLE.replace("industry = \"chemicals\"", "industry = \"bakery\""));
        assert_eq!(e.line, 13, "{e}");
        assert!(e.to_string().contains("bakery"), "{e}");
    }

    #[test]
    fn duplicate_enterprise_code() {
        let extra = "\n[[enterprises]]\ncode = \"E001\"\nname = \"另一家\"\ntown = \"T01\"\nindustry = \"other\"\n";
        let e = err(&format!("{CONTRACT_EXAMPLE}{extra}"));
        assert_eq!(e.field, "enterprises[1].code");
        assert_eq!(e.line, CONTRACT_EXAMPLE.lines().count() + 3, "{e}");
    }

    #[test]
    fn user_scope_must_exist_and_fit_the_role() {
        let e = err(&CONTRACT_EXAMPLE.replace("scope = \"E001\"", "scope = \"E404\""));
        assert_eq!((e.line, e.field.as_str()), (23, "users[0].scope"), "{e}");
        let e = err(&CONTRACT_EXAMPLE.replace("role = \"enterprise\"", "role = \"district\""));
        assert_eq!(e.field, "users[0].scope", "{e}");
        assert!(e.message_en.contains("takes no scope"));
        let e = err(&CONTRACT_EXAMPLE.replace("role = \"enterprise\"", "role = \"town\""));
        assert!(e.message_en.contains("not a known town code"), "{e}");
    }

    #[test]
    fn unknown_field_is_an_error_not_ignored() {
        let e = err(&CONTRACT_EXAMPLE.replace("private_sme = true", "privat_sme = true"));
        assert_eq!(e.line, 15, "{e}");
        assert!(e.to_string().contains("privat_sme"), "{e}");
    }

    #[test]
    fn bad_site_point_and_code() {
        let e = err(&CONTRACT_EXAMPLE.replace("radius_m = 50", "radius_m = -5"));
        assert_eq!(e.field, "enterprises[0].site_points[0].radius_m", "{e}");
        assert_eq!(e.line, 17);
        let e = err(&CONTRACT_EXAMPLE.replace("E001-JOIN-7H3K", "SHORT"));
        assert_eq!(e.field, "enrollment_codes[0].code", "{e}");
        let e = err(&CONTRACT_EXAMPLE.replace("enterprise = \"E001\"", "enterprise = \"E002\""));
        assert_eq!(e.field, "enrollment_codes[0].enterprise", "{e}");
    }

    #[test]
    fn empty_file_says_district_is_missing() {
        let e = err("");
        assert_eq!(e.line, 1);
        assert!(e.to_string().contains("district"), "{e}");
    }
}
