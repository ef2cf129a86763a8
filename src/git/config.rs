//! The user's git configuration and identity, found as the `git` command finds them.
//!
//! libgit2 reads the system, XDG and global files but not the environment variables that
//! redirect them (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM`, `GIT_CONFIG_NOSYSTEM`) unless a
//! repository is opened "from the environment", which would also let `GIT_DIR` and
//! `GIT_INDEX_FILE` point svcgen at another repository. So the files are assembled here, and a
//! commit's author and committer follow git's order: `GIT_AUTHOR_*`/`GIT_COMMITTER_*`, then
//! `author.*`/`committer.*`, then `user.*` (and `EMAIL`), then svcgen's own fallback.

use std::ffi::OsString;
use std::path::PathBuf;

use git2::{Config, ConfigLevel, Repository, Signature, Time};

use crate::error::{Error, Result};

/// Used when no name or email is configured, so generation never fails on a fresh CI machine.
const FALLBACK_NAME: &str = "svcgen";
const FALLBACK_EMAIL: &str = "svcgen@localhost";

/// Where git's environment variables are read from: the process's environment, or in tests a
/// fixed set (the process's is shared by every test thread).
pub struct Env(Box<Lookup>);

type Lookup = dyn Fn(&str) -> Option<OsString>;

impl Env {
    pub fn process() -> Env {
        Env(Box::new(|name| std::env::var_os(name)))
    }

    #[cfg(test)]
    pub fn fixed(pairs: &[(&str, &str)]) -> Env {
        let vars: std::collections::HashMap<String, OsString> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), OsString::from(value)))
            .collect();
        Env(Box::new(move |name| vars.get(name).cloned()))
    }

    /// A variable's value; an empty one counts as unset.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        (self.0)(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    }

    pub fn string(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .and_then(|value| value.into_string().ok())
            .filter(|value| !value.is_empty())
    }

    /// A boolean as git reads one (`1`, `true`, `yes`, `on`).
    fn flag(&self, name: &str) -> bool {
        self.string(name)
            .is_some_and(|value| Config::parse_bool(value).unwrap_or(false))
    }

    /// `$XDG_CONFIG_HOME`, else `$HOME/.config`.
    fn config_home(&self) -> Option<PathBuf> {
        self.path("XDG_CONFIG_HOME")
            .or_else(|| Some(self.path("HOME")?.join(".config")))
    }
}

/// The system, XDG and global configuration files that git would read outside a repository.
pub fn user_config(env: &Env) -> Result<Config> {
    let failed = |err| Error::git("reading the git configuration", err);
    let mut config = Config::new().map_err(failed)?;
    let mut files = Vec::new();
    if !env.flag("GIT_CONFIG_NOSYSTEM") {
        let system = env
            .path("GIT_CONFIG_SYSTEM")
            .or_else(|| Config::find_system().ok());
        files.push((system, ConfigLevel::System));
    }
    match env.path("GIT_CONFIG_GLOBAL") {
        // As in git, a global file named by the environment replaces both the XDG and the home
        // file.
        Some(global) => files.push((Some(global), ConfigLevel::Global)),
        None => {
            let xdg = env.config_home().map(|dir| dir.join("git/config"));
            files.push((xdg, ConfigLevel::XDG));
            let home = env
                .path("HOME")
                .map(|home| home.join(".gitconfig"))
                .or_else(|| Config::find_global().ok());
            files.push((home, ConfigLevel::Global));
        }
    }
    for (path, level) in files {
        if let Some(path) = path.filter(|path| path.is_file()) {
            config.add_file(&path, level, false).map_err(failed)?;
        }
    }
    Ok(config)
}

/// The user's configuration with `repo`'s own `config` file on top, as git reads it inside
/// that repository.
pub fn repo_config(repo: &Repository, env: &Env) -> Result<Config> {
    let mut config = user_config(env)?;
    let local = repo.commondir().join("config");
    if local.is_file() {
        config
            .add_file(&local, ConfigLevel::Local, false)
            .map_err(|err| Error::git("reading the repository's git configuration", err))?;
    }
    Ok(config)
}

/// The global excludes file: `core.excludesFile`, else git's default,
/// `$XDG_CONFIG_HOME/git/ignore`.
pub fn excludes_file(config: &Config, env: &Env) -> Option<PathBuf> {
    config
        .get_path("core.excludesFile")
        .ok()
        .or_else(|| Some(env.config_home()?.join("git/ignore")))
}

/// The user's attributes file: `core.attributesFile`, else git's default beside its ignore file.
pub fn attributes_file(config: &Config, env: &Env) -> Option<PathBuf> {
    config
        .get_path("core.attributesFile")
        .ok()
        .or_else(|| Some(env.config_home()?.join("git/attributes")))
}

/// The author and committer of a commit made now.
pub fn signatures(config: &Config, env: &Env) -> Result<(Signature<'static>, Signature<'static>)> {
    Ok((
        signature(config, env, Role::Author)?,
        signature(config, env, Role::Committer)?,
    ))
}

#[derive(Clone, Copy)]
enum Role {
    Author,
    Committer,
}

impl Role {
    fn env(self, env: &Env, what: &str) -> Option<String> {
        let role = match self {
            Role::Author => "AUTHOR",
            Role::Committer => "COMMITTER",
        };
        env.string(&format!("GIT_{role}_{what}"))
    }

    fn config(self, config: &Config, what: &str) -> Option<String> {
        let role = match self {
            Role::Author => "author",
            Role::Committer => "committer",
        };
        [format!("{role}.{what}"), format!("user.{what}")]
            .iter()
            .find_map(|key| config.get_string(key).ok())
            .filter(|value| !value.is_empty())
    }
}

/// One identity, each field on its own: an empty value counts as unset (git would refuse the
/// commit, which for `svcgen new` would throw away the service just rendered).
fn signature(config: &Config, env: &Env, role: Role) -> Result<Signature<'static>> {
    let name = role
        .env(env, "NAME")
        .or_else(|| role.config(config, "name"))
        .unwrap_or_else(|| FALLBACK_NAME.to_owned());
    let email = role
        .env(env, "EMAIL")
        .or_else(|| role.config(config, "email"))
        .or_else(|| env.string("EMAIL"))
        .unwrap_or_else(|| FALLBACK_EMAIL.to_owned());
    let failed = |err| Error::git("creating the commit's author", err);
    match role.env(env, "DATE") {
        None => Signature::now(&name, &email).map_err(failed),
        Some(date) => {
            let (seconds, offset_minutes) = parse_date(&date).ok_or_else(|| {
                failed(git2::Error::from_str(&format!(
                    "the date `{date}` in the environment is not in a format git reads (`1700000000 +0100`, RFC 2822 or ISO 8601)"
                )))
            })?;
            Signature::new(&name, &email, &Time::new(seconds, offset_minutes)).map_err(failed)
        }
    }
}

/// The date formats git documents for `GIT_AUTHOR_DATE` and `GIT_COMMITTER_DATE` (git-commit(1),
/// "DATE FORMATS"): its internal `1700000000 +0100` (or `@1700000000`), RFC 2822
/// (`Thu, 07 Apr 2005 22:13:13 +0200`) and ISO 8601 (`2005-04-07T22:13:13+02:00`). Returns the
/// seconds since the epoch and the zone's offset in minutes. (git also takes looser forms, such
/// as `yesterday`; those are refused here.)
fn parse_date(text: &str) -> Option<(i64, i32)> {
    let text = text.trim();
    let words: Vec<&str> = text.split_whitespace().collect();
    // Internal format.
    if let [seconds, zone @ ..] = &words[..]
        && zone.len() <= 1
        && let Ok(seconds) = seconds.trim_start_matches('@').parse()
    {
        return match zone {
            [zone] => Some((seconds, parse_zone(zone)?)),
            _ => Some((seconds, 0)),
        };
    }
    // RFC 2822: an optional weekday, then `day month year hh:mm[:ss] zone`.
    let rfc = match words.first() {
        Some(first) if first.ends_with(',') => &words[1..],
        _ => &words[..],
    };
    if let [day, month, year, time, zone] = rfc {
        const MONTHS: [&str; 12] = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        let month = MONTHS
            .iter()
            .position(|name| month.eq_ignore_ascii_case(name))?;
        let offset = parse_zone(zone)?;
        let date = (year.parse().ok()?, month as u32 + 1, day.parse().ok()?);
        return Some((timestamp(date, parse_time(time)?, offset)?, offset));
    }
    // ISO 8601: `YYYY-MM-DD`, `T` or a space, `hh:mm[:ss]`, then `Z`, `±hh:mm`, `±hhmm` or
    // nothing (UTC here; git would take the local zone).
    let (date, rest) = text.split_at_checked(10)?;
    let mut parts = date.split('-').map(|part| part.parse::<u32>().ok());
    let date = (i64::from(parts.next()??), parts.next()??, parts.next()??);
    let rest = rest.strip_prefix(['T', ' '])?;
    let zone_start = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_start);
    let offset = match zone.trim() {
        "" | "Z" => 0,
        zone => parse_zone(&zone.replace(':', ""))?,
    };
    Some((timestamp(date, parse_time(time.trim())?, offset)?, offset))
}

/// `+0200` or `-0530` as minutes east of UTC.
fn parse_zone(zone: &str) -> Option<i32> {
    let (sign, digits) = match zone.split_at_checked(1)? {
        ("+", digits) => (1, digits),
        ("-", digits) => (-1, digits),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some(sign * (hours * 60 + minutes))
}

fn parse_time(time: &str) -> Option<(u32, u32, u32)> {
    let mut parts = time.split(':').map(|part| part.parse::<u32>().ok());
    let hour = parts.next()??;
    let minute = parts.next()??;
    let second = parts.next().unwrap_or(Some(0))?;
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some((hour, minute, second))
}

/// Seconds since the epoch of a civil date and time in a zone `offset` minutes east of UTC
/// (the days-from-civil algorithm of Howard Hinnant's date library).
fn timestamp(
    (year, month, day): (i64, u32, u32),
    (hour, minute, second): (u32, u32, u32),
    offset: i32,
) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = i64::from(hour * 3600 + minute * 60 + second);
    Some(days * 86_400 + seconds - i64::from(offset) * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_formats_git_documents() {
        // What `git log -1 --format='%at %ai'` shows of commits made with each GIT_AUTHOR_DATE.
        assert_eq!(parse_date("1700000000 +0100"), Some((1_700_000_000, 60)));
        assert_eq!(parse_date("@1700000000"), Some((1_700_000_000, 0)));
        let april_7 = Some((1_112_904_793, 120));
        assert_eq!(parse_date("Thu, 07 Apr 2005 22:13:13 +0200"), april_7);
        assert_eq!(parse_date("7 Apr 2005 22:13:13 +0200"), april_7);
        assert_eq!(parse_date("2005-04-07T22:13:13+02:00"), april_7);
        assert_eq!(
            parse_date("2005-04-07 20:13:13 Z"),
            Some((1_112_904_793, 0))
        );
        assert_eq!(
            parse_date("2005-04-07T15:43:13-0430"),
            Some((1_112_904_793, -270))
        );
        assert_eq!(parse_date("1969-12-31T23:59:59Z"), Some((-1, 0)));
        assert_eq!(parse_date("2024-02-29T00:00:00Z"), Some((1_709_164_800, 0)));
        for bad in [
            "yesterday",
            "",
            "1700000000 0100",
            "2005-13-07T22:13:13Z",
            "2005-04-07T25:13:13Z",
            "Thu, 07 Foo 2005 22:13:13 +0200",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn identity_comes_from_the_environment_then_config_then_the_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let global = dir.path().join("gitconfig");
        std::fs::write(
            &global,
            "[user]\n\tname = Config Name\n\temail = config@example.com\n[committer]\n\tname = Committer Config\n",
        )
        .unwrap();
        let global = global.to_str().unwrap();
        let none = dir.path().join("missing");
        let none = none.to_str().unwrap();
        let identity = |pairs: &[(&str, &str)]| {
            let env = Env::fixed(pairs);
            let (author, committer) = signatures(&user_config(&env).unwrap(), &env).unwrap();
            let show =
                |s: &Signature<'_>| format!("{} <{}>", s.name().unwrap(), s.email().unwrap());
            (show(&author), show(&committer))
        };
        let isolated = [("GIT_CONFIG_NOSYSTEM", "1"), ("HOME", none)];

        assert_eq!(
            identity(&[isolated[0], isolated[1], ("GIT_CONFIG_GLOBAL", none)]),
            (
                "svcgen <svcgen@localhost>".to_owned(),
                "svcgen <svcgen@localhost>".to_owned()
            )
        );
        assert_eq!(
            identity(&[isolated[0], isolated[1], ("GIT_CONFIG_GLOBAL", global)]),
            (
                "Config Name <config@example.com>".to_owned(),
                "Committer Config <config@example.com>".to_owned()
            )
        );
        assert_eq!(
            identity(&[
                isolated[0],
                isolated[1],
                ("GIT_CONFIG_GLOBAL", global),
                ("GIT_AUTHOR_NAME", "Ada"),
                ("GIT_AUTHOR_EMAIL", "ada@example.com"),
                ("GIT_COMMITTER_EMAIL", ""),
            ]),
            (
                "Ada <ada@example.com>".to_owned(),
                "Committer Config <config@example.com>".to_owned()
            )
        );
        assert_eq!(
            identity(&[
                isolated[0],
                isolated[1],
                ("GIT_CONFIG_GLOBAL", none),
                ("GIT_AUTHOR_NAME", "Ada"),
                ("EMAIL", "mail@example.com"),
            ])
            .0,
            "Ada <mail@example.com>"
        );
    }

    #[test]
    fn dates_come_from_the_environment() {
        let env = Env::fixed(&[
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("GIT_CONFIG_GLOBAL", "/nonexistent"),
            ("GIT_AUTHOR_DATE", "1700000000 +0100"),
            ("GIT_COMMITTER_DATE", "2005-04-07T22:13:13+02:00"),
        ]);
        let (author, committer) = signatures(&user_config(&env).unwrap(), &env).unwrap();
        assert_eq!(
            (author.when().seconds(), author.when().offset_minutes()),
            (1_700_000_000, 60)
        );
        assert_eq!(committer.when().seconds(), 1_112_904_793);

        let env = Env::fixed(&[("GIT_AUTHOR_DATE", "last tuesday")]);
        let Err(err) = signatures(&user_config(&env).unwrap(), &env) else {
            panic!("an unreadable date is refused");
        };
        assert!(err.to_string().contains("last tuesday"), "{err}");
    }
}
