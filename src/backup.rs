//! `healthblog backup DIR` and `healthblog restore DIR`: a consistent copy
//! of the SQLite database, `content/` and `static/uploads/`, taken while the
//! blog serves, and putting it back. On PostgreSQL, `pg_dump` is the tool:
//! `postgres_commands` says how.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::db::schema::comments;
use crate::db::DatabaseUrl;

/// The backup's description, written last: a folder without it is not a
/// finished backup.
pub const MANIFEST_FILE: &str = "manifest.toml";
/// The database snapshot inside a backup folder.
pub const DATABASE_FILE: &str = "healthblog.db";
const CONTENT_FOLDER: &str = "content";
const UPLOADS_FOLDER: &str = "uploads";
/// The layout of a backup folder; a newer one is refused by an older binary.
const FORMAT: u32 = 1;

/// What a backup folder holds, when it was taken and by which version.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub healthblog_version: String,
    /// When the snapshot started, RFC 3339 in UTC.
    pub created_at: String,
    /// The database file, relative to the backup folder.
    pub database: String,
    /// The content folder, relative to the backup folder.
    pub content: String,
    /// `static/uploads`, when the site had one.
    pub uploads: Option<String>,
    /// Comments in the snapshot, to compare with the restored site.
    pub comments: i64,
}

/// Writes a backup of the site into `dir`, which must not exist or be empty.
/// The database is copied by SQLite's `VACUUM INTO`, which reads one
/// consistent snapshot while the server goes on writing.
pub fn backup(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    let live = sqlite_path(settings, "backup")?;
    if !live.is_file() {
        bail!("there is no database at {} to back up", live.display());
    }
    refuse_unless_empty(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating the backup folder {}", dir.display()))?;

    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let snapshot = dir.join(DATABASE_FILE);
    let mut conn = open_sqlite(&live)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(snapshot.to_string_lossy())
        .execute(&mut conn)
        .with_context(|| format!("copying the database {} into {}", live.display(), snapshot.display()))?;
    drop(conn);
    let comments = count_comments(&snapshot)?;

    copy_folder(&settings.content_dir, &dir.join(CONTENT_FOLDER))?;
    let uploads = settings.uploads_dir();
    let uploads = if uploads.is_dir() {
        copy_folder(&uploads, &dir.join(UPLOADS_FOLDER))?;
        Some(UPLOADS_FOLDER.to_owned())
    } else {
        None
    };

    let manifest = Manifest {
        format: FORMAT,
        healthblog_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at,
        database: DATABASE_FILE.to_owned(),
        content: CONTENT_FOLDER.to_owned(),
        uploads,
        comments,
    };
    let text = toml::to_string(&manifest).context("writing the manifest")?;
    let path = dir.join(MANIFEST_FILE);
    std::fs::write(
        &path,
        format!("# A healthblog backup: `healthblog restore {}` puts it back.\n{text}", dir.display()),
    )
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(manifest)
}

/// What `restore` did, for the user.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// The files and folders moved aside, never deleted.
    pub kept: Vec<PathBuf>,
}

/// Puts the backup in `dir` back: the current database, content and uploads
/// are moved aside (`….before-restore-TIMESTAMP`), never deleted. The server
/// must be restarted afterwards: a running one keeps the old file open and,
/// noticing it was replaced, refuses to write.
pub fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<Restored> {
    let live = sqlite_path(settings, "restore")?;
    let manifest = read_manifest(dir)?;
    let snapshot = dir.join(&manifest.database);
    check_integrity(&snapshot)?;
    let content = dir.join(&manifest.content);
    if !content.is_dir() {
        bail!("the backup in {} has no {} folder", dir.display(), manifest.content);
    }

    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let aside = |path: &Path| aside_name(path, &stamp);
    let mut kept = Vec::new();

    if let Some(folder) = live.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    }
    if live.exists() {
        let old = aside(&live);
        rename(&live, &old)?;
        // The write-ahead log goes with the file it belongs to, under the
        // matching name, so that the set put aside opens complete.
        let wal = sibling(&live, "-wal");
        if wal.exists() {
            rename(&wal, &sibling(&old, "-wal"))?;
        }
        kept.push(old);
    }
    let shm = sibling(&live, "-shm");
    if shm.exists() {
        // Only an index of the log, rebuilt on open; stale, it would
        // describe a log that is gone.
        std::fs::remove_file(&shm).with_context(|| format!("removing the stale {}", shm.display()))?;
    }
    let stale_wal = sibling(&live, "-wal");
    if stale_wal.exists() {
        rename(&stale_wal, &sibling(&aside(&live), "-wal"))?;
    }
    let incoming = sibling(&live, ".restoring");
    std::fs::copy(&snapshot, &incoming)
        .with_context(|| format!("copying {} to {}", snapshot.display(), incoming.display()))?;
    std::fs::File::open(&incoming).and_then(|f| f.sync_all()).context("flushing the restored database")?;
    rename(&incoming, &live)?;

    kept.extend(replace_folder(&content, &settings.content_dir, &aside)?);
    if let Some(uploads) = &manifest.uploads {
        kept.extend(replace_folder(&dir.join(uploads), &settings.uploads_dir(), &aside)?);
    }
    Ok(Restored { manifest, kept })
}

/// What to run instead on PostgreSQL, where `pg_dump` takes the consistent
/// snapshot and `pg_restore` puts it back.
pub fn postgres_commands(settings: &Settings, dir: &Path) -> anyhow::Result<String> {
    let DatabaseUrl::Postgres(url) = DatabaseUrl::parse(&settings.database_url)? else {
        bail!("the database is not PostgreSQL");
    };
    let mut url = url::Url::parse(&url).context("reading the PostgreSQL URL")?;
    let had_password = url.password().is_some();
    let _ = url.set_password(None);
    let url = quote(url.as_str());
    let dump = quote(&dir.join("healthblog.dump").to_string_lossy());
    let (dir, content) = (quote(&dir.to_string_lossy()), quote(&settings.content_dir.to_string_lossy()));
    let uploads = quote(&settings.uploads_dir().to_string_lossy());
    let mut text = format!(
        "On PostgreSQL, back up with pg_dump: it takes a consistent snapshot while the blog serves.\n\
         \n\
         Back up:\n  \
           mkdir {dir}\n  \
           pg_dump --format=custom --file={dump} {url}\n  \
           cp -a {content} {dir}/content\n  \
           cp -a {uploads} {dir}/uploads    # when the site has uploads\n\
         \n\
         Restore (stop every instance first, then start them again):\n  \
           pg_restore --clean --if-exists --no-owner --single-transaction --dbname={url} {dump}\n  \
           mv {content} {content}.before-restore && cp -a {dir}/content {content}\n  \
           mv {uploads} {uploads}.before-restore && cp -a {dir}/uploads {uploads}    # when backed up\n"
    );
    if had_password {
        text.push_str(
            "\nThe password is left out of the URL: pg_dump and pg_restore read it from PGPASSWORD or ~/.pgpass.\n",
        );
    }
    Ok(text)
}

fn sqlite_path(settings: &Settings, what: &str) -> anyhow::Result<PathBuf> {
    match DatabaseUrl::parse(&settings.database_url)? {
        DatabaseUrl::Sqlite(path) => Ok(path),
        DatabaseUrl::Postgres(_) => {
            bail!("`healthblog {what}` works on SQLite; on PostgreSQL use pg_dump and pg_restore")
        }
    }
}

fn refuse_unless_empty(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!("{} exists and is not empty: give a new or empty folder for the backup", dir.display());
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("reading {}", dir.display())),
    }
}

fn open_sqlite(path: &Path) -> anyhow::Result<SqliteConnection> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .with_context(|| format!("opening the database {}", path.display()))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;").context("setting the busy timeout")?;
    Ok(conn)
}

fn count_comments(database: &Path) -> anyhow::Result<i64> {
    let mut conn = open_sqlite(database)?;
    comments::table
        .count()
        .get_result(&mut conn)
        .with_context(|| format!("counting the comments in {}", database.display()))
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Refuses a snapshot that is missing or that SQLite finds damaged.
fn check_integrity(database: &Path) -> anyhow::Result<()> {
    if !database.is_file() {
        bail!("the backup has no database file {}", database.display());
    }
    let mut conn = open_sqlite(database)?;
    let rows: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .with_context(|| format!("checking {}", database.display()))?;
    let problems: Vec<String> = rows.into_iter().map(|r| r.integrity_check).filter(|r| r != "ok").collect();
    if !problems.is_empty() {
        bail!("the backup database {} is damaged: {}", database.display(), problems.join("; "));
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("{} is not a finished healthblog backup: it has no readable {MANIFEST_FILE}", dir.display())
    })?;
    let manifest: Manifest = toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    if manifest.format > FORMAT {
        bail!(
            "the backup in {} was written by healthblog {} in a newer layout; restore it with that version or later",
            dir.display(),
            manifest.healthblog_version
        );
    }
    Ok(manifest)
}

/// Moves `target` aside (when it exists) and copies `source` in its place.
fn replace_folder(source: &Path, target: &Path, aside: &impl Fn(&Path) -> PathBuf) -> anyhow::Result<Option<PathBuf>> {
    let kept = if target.exists() {
        let old = aside(target);
        rename(target, &old)?;
        Some(old)
    } else {
        None
    };
    copy_folder(source, target)?;
    Ok(kept)
}

fn copy_folder(source: &Path, target: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(target).with_context(|| format!("creating {}", target.display()))?;
    let entries = std::fs::read_dir(source).with_context(|| format!("reading {}", source.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", source.display()))?;
        let (from, to) = (entry.path(), target.join(entry.file_name()));
        let kind = entry.file_type().with_context(|| format!("reading {}", from.display()))?;
        if kind.is_dir() {
            copy_folder(&from, &to)?;
        } else {
            std::fs::copy(&from, &to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

fn rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to).with_context(|| format!("moving {} to {}", from.display(), to.display()))
}

/// A name beside `path` for keeping it: `….before-restore-STAMP`, with a
/// number added when a restore in the same second took that name already.
fn aside_name(path: &Path, stamp: &str) -> PathBuf {
    let base = format!("{}.before-restore-{stamp}", path.display());
    let taken = |name: &str| Path::new(name).exists() || Path::new(&format!("{name}-wal")).exists();
    let mut name = base.clone();
    let mut number = 1;
    while taken(&name) {
        number += 1;
        name = format!("{base}-{number}");
    }
    PathBuf::from(name)
}

/// `path` with `suffix` appended to its file name: `blog.db` → `blog.db-wal`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// Quotes `text` for a POSIX shell.
fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-:@=+,".contains(c)) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_plain_paths_and_quotes_the_rest() {
        assert_eq!(quote("/var/backups/blog-1"), "/var/backups/blog-1");
        assert_eq!(quote("my backups"), "'my backups'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
