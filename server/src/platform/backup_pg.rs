//! `backup` and `restore` on PostgreSQL (ADR 0036): Debian's `pg_dump
//! --format=custom` and `pg_restore --clean --if-exists --no-owner`, found
//! in `PATH` or `/usr/lib/postgresql/15/bin`. The URL's password is given
//! to them in `PGPASSWORD`, never on their command line, and never printed
//! (their messages are shown with it masked).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// Where Debian's PostgreSQL 15 puts its programs (not in `PATH` when only
/// the server package is installed).
const DEBIAN_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Dumps the database of `url` to `out` (created 0600; an existing file is
/// replaced once the dump is complete). Safe while the servers serve: the
/// dump is one snapshot.
pub fn backup(url: &str, out: &Path) -> anyhow::Result<()> {
    let tmp = out.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    crate::platform::private_file(&tmp)
        .with_context(|| format!("impossible de créer {}", tmp.display()))?;
    let dumped = run("pg_dump", url, |bare| {
        vec![
            "--format=custom".into(),
            "--file".into(),
            tmp.clone().into(),
            bare.into(),
        ]
    });
    if let Err(e) = dumped {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, out).with_context(|| format!("impossible d'écrire {}", out.display()))?;
    Ok(())
}

/// Replaces the content of the database of `url` with the dump `from`
/// (every object of the dump dropped first, then recreated; stops at the
/// first error). Stop the servers first.
pub fn restore(url: &str, from: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        from.is_file(),
        "sauvegarde introuvable : {}",
        from.display()
    );
    run("pg_restore", url, |bare| {
        vec![
            "--clean".into(),
            "--if-exists".into(),
            "--no-owner".into(),
            "--exit-on-error".into(),
            "--dbname".into(),
            bare.into(),
            from.into(),
        ]
    })
}

/// Runs the program `name` with `args(url without its password)`, the
/// password in `PGPASSWORD`; its error message with the password masked.
fn run(
    name: &str,
    url: &str,
    args: impl FnOnce(String) -> Vec<std::ffi::OsString>,
) -> anyhow::Result<()> {
    let (bare, password) = split_password(url);
    let mut cmd = Command::new(tool(name)?);
    cmd.args(args(bare));
    if let Some(p) = &password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd
        .output()
        .with_context(|| format!("impossible de lancer {name}"))?;
    if out.status.success() {
        return Ok(());
    }
    let mut message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    for p in [password.as_deref(), raw_password(url)]
        .into_iter()
        .flatten()
    {
        if !p.is_empty() {
            message = message.replace(p, "***");
        }
    }
    Err(anyhow::anyhow!(
        "{name} a échoué ({}) : {message}",
        out.status
            .code()
            .map_or_else(|| "interrompu".to_owned(), |c| format!("code {c}"))
    ))
}

/// The program `name` from `PATH`, else from Debian's PostgreSQL 15.
fn tool(name: &str) -> anyhow::Result<PathBuf> {
    let dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    dirs.into_iter()
        .chain([PathBuf::from(DEBIAN_BIN)])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{name} introuvable (ni dans le PATH ni dans {DEBIAN_BIN}) : installez le paquet Debian postgresql-client-15"
            )
        })
}

/// The password of a `postgres://user:password@host/…` URL, as written
/// (percent-encoded).
fn raw_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    Some(userinfo.split_once(':')?.1)
}

/// The URL without its password, and the password (percent-decoded). A
/// URL with none (or a `key=value` string) is returned unchanged.
pub(crate) fn split_password(url: &str) -> (String, Option<String>) {
    let Some(raw) = raw_password(url) else {
        return (url.to_owned(), None);
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let at = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..at];
    let Some(cut) = authority.rfind('@') else {
        return (url.to_owned(), None);
    };
    let user = authority[..cut].split_once(':').map_or("", |(u, _)| u);
    let bare = format!("{scheme}://{user}@{}{}", &authority[cut + 1..], &rest[at..]);
    (bare, Some(percent_decode(raw)))
}

fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_taken_out_of_the_url() {
        assert_eq!(
            split_password("postgres://u:p%40ss@h:5432/db?sslmode=disable"),
            (
                "postgres://u@h:5432/db?sslmode=disable".to_owned(),
                Some("p@ss".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://u@h/db"),
            ("postgres://u@h/db".to_owned(), None)
        );
        assert_eq!(
            split_password("host=h dbname=db"),
            ("host=h dbname=db".to_owned(), None)
        );
    }
}
