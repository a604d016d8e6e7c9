//! `healthblog backup DIR` and `healthblog restore DIR`: a consistent copy
//! of the site — the SQLite database, `content/` and `static/uploads/` —
//! taken while the blog serves, and putting it back all or nothing. On
//! PostgreSQL the database is `pg_dump`'s and `pg_restore`'s work
//! (`postgres_commands` says how) and these commands copy the folders.
//!
//! A backup folder is not trusted on the way back. Every path in it stays
//! inside it (no absolute path, no `..`, no symbolic link followed, the
//! file's own or a folder's on the way); everything is copied into staging
//! places beside the live ones, on the same file system, and checked
//! against the manifest; only then are the live database and folders
//! switched by renaming. Any failure before or during the switch leaves the
//! live site as it was.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::{row_counts, snapshots, AnyConnection, DatabaseUrl};

/// The backup's description, written last: a folder without it is not a
/// finished backup.
pub const MANIFEST_FILE: &str = "manifest.toml";
/// The database snapshot inside a backup folder of a SQLite site.
pub const DATABASE_FILE: &str = "healthblog.db";
/// `pg_dump`'s file inside a backup folder of a PostgreSQL site.
pub const DUMP_FILE: &str = "healthblog.dump";
const CONTENT_FOLDER: &str = "content";
const UPLOADS_FOLDER: &str = "uploads";
/// The layout of a backup folder; a newer one is refused by an older binary.
/// Format 2 added the rows of each table and a checksum of every file; a
/// backup of format 1 is still restored, checked by its comment count.
const FORMAT: u32 = 2;
/// Why a backup holds only plain files and folders.
const PLAIN_ONLY: &str = "a backup holds only plain files and folders";

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
    /// What the site held that the backup did not copy (symbolic links and
    /// other things that are not plain files), by path in the backup folder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
    /// Rows of each table in the snapshot (format 2).
    #[serde(default)]
    pub rows: BTreeMap<String, i64>,
    /// The SHA-256 of every file, by its path in the backup folder (format 2).
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

/// Something in the site's folders that a backup does not copy.
#[derive(Debug)]
pub struct LeftOut {
    /// Its path as it would be in the backup folder (`uploads/2016/a.png`).
    pub path: String,
    pub what: &'static str,
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "left out {}: {}, and {PLAIN_ONLY}", self.path, self.what)
    }
}

/// The folders a backup copied.
#[derive(Debug)]
pub struct Folders {
    /// Whether the site had `static/uploads`.
    pub uploads: bool,
    pub left_out: Vec<LeftOut>,
    files: BTreeMap<String, String>,
}

/// What `backup` wrote.
#[derive(Debug)]
pub struct BackedUp {
    pub manifest: Manifest,
    pub left_out: Vec<LeftOut>,
}

/// Writes a backup of the site into `dir`, which must not exist or be empty.
/// The database is copied by SQLite's `VACUUM INTO`, which reads one
/// consistent snapshot while the server goes on writing.
pub fn backup(settings: &Settings, dir: &Path) -> anyhow::Result<BackedUp> {
    let live = sqlite_path(settings, "backup")?;
    if !live.is_file() {
        bail!("there is no database at {} to back up", live.display());
    }
    refuse_unless_empty(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating the backup folder {}", dir.display()))?;

    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let snapshot = dir.join(DATABASE_FILE);
    let mut conn = open_sqlite(&live)?;
    snapshots::vacuum_into(&mut conn, &snapshot)
        .with_context(|| format!("copying the database {} into {}", live.display(), snapshot.display()))?;
    drop(conn);
    let rows = row_counts::count_all(&mut AnyConnection::Sqlite(open_sqlite(&snapshot)?))
        .with_context(|| format!("counting the rows in {}", snapshot.display()))?;
    let comments = rows.get("comments").copied().unwrap_or_default();
    let database_checksum = checksum(&snapshot)?;

    let folders = copy_folders(settings, dir)?;
    let mut files = folders.files;
    files.insert(DATABASE_FILE.to_owned(), database_checksum);
    let manifest = Manifest {
        format: FORMAT,
        healthblog_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at,
        database: DATABASE_FILE.to_owned(),
        content: CONTENT_FOLDER.to_owned(),
        uploads: folders.uploads.then(|| UPLOADS_FOLDER.to_owned()),
        comments,
        left_out: folders.left_out.iter().map(|left| left.path.clone()).collect(),
        rows,
        files,
    };
    let text = toml::to_string(&manifest).context("writing the manifest")?;
    let path = dir.join(MANIFEST_FILE);
    std::fs::write(
        &path,
        format!("# A healthblog backup: `healthblog restore {}` puts it back.\n{text}", dir.display()),
    )
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(BackedUp { manifest, left_out: folders.left_out })
}

/// On PostgreSQL, where `pg_dump` copies the database: copies `content/`
/// and `static/uploads/` into `dir`, which must not exist or be empty.
pub fn backup_folders(settings: &Settings, dir: &Path) -> anyhow::Result<Folders> {
    refuse_unless_empty(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating the backup folder {}", dir.display()))?;
    copy_folders(settings, dir)
}

/// Copies the site's content and uploads into the backup folder `dir`,
/// leaving out (and naming) whatever is not a plain file or folder.
fn copy_folders(settings: &Settings, dir: &Path) -> anyhow::Result<Folders> {
    let mut copy = TreeCopy::new(Strangers::LeaveOut);
    copy.copy(&settings.content_dir, &dir.join(CONTENT_FOLDER), CONTENT_FOLDER)?;
    let uploads = settings.uploads_dir();
    let had_uploads = uploads.is_dir();
    if had_uploads {
        copy.copy(&uploads, &dir.join(UPLOADS_FOLDER), UPLOADS_FOLDER)?;
    }
    Ok(Folders { uploads: had_uploads, left_out: copy.left_out, files: copy.files })
}

/// What `restore` did, for the user.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// The files and folders moved aside, never deleted.
    pub kept: Vec<PathBuf>,
}

/// Puts the backup in `dir` back, all or nothing: the database, content and
/// uploads are copied beside the live ones and checked against the manifest
/// (rows of each table, checksums of every file), then switched in; what was
/// there is moved aside (`….before-restore-TIMESTAMP`), never deleted. The
/// server must be restarted afterwards: a running one keeps the old file
/// open and, noticing it was replaced, refuses to write.
pub fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<Restored> {
    let live = sqlite_path(settings, "restore")?;
    let manifest = read_manifest(dir)?;
    let kept = restore_checked(settings, dir, &live, &manifest).map_err(|error| not_restored(error, dir))?;
    Ok(Restored { manifest, kept })
}

fn restore_checked(settings: &Settings, dir: &Path, live: &Path, manifest: &Manifest) -> anyhow::Result<Vec<PathBuf>> {
    let database = inside(dir, &manifest.database)?;
    require_kind(&database, &manifest.database, Kind::File)?;
    let content = inside(dir, &manifest.content)?;
    require_kind(&content, &manifest.content, Kind::Folder)?;
    let uploads = match &manifest.uploads {
        Some(name) => {
            let path = inside(dir, name)?;
            require_kind(&path, name, Kind::Folder)?;
            Some((path, name))
        }
        None => None,
    };
    let checksums = (manifest.format >= 2).then_some(&manifest.files);
    if checksums.is_some_and(|files| !files.contains_key(&manifest.database)) {
        bail!("the manifest has no checksum for {}", manifest.database);
    }

    let mut staging = Staging::new();
    let (staged, database_checksum) = staging.database(&database, live)?;
    if let Some(files) = checksums {
        compare_checksum(&manifest.database, &database_checksum, files)?;
    }
    check_integrity(&staged, &manifest.database)?;
    check_rows(&staged, manifest)?;
    staging.folder(&content, &settings.content_dir, &manifest.content, checksums)?;
    if let Some((path, name)) = &uploads {
        staging.folder(path, &settings.uploads_dir(), name, checksums)?;
    }
    staging.switch()
}

/// On PostgreSQL, where `pg_restore` puts the database back: puts back the
/// backup's `content/` and `uploads/` from `dir` the same way, all or
/// nothing, and returns what was moved aside.
pub fn restore_folders(settings: &Settings, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let checked = || -> anyhow::Result<Vec<PathBuf>> {
        let dump = inside(dir, DUMP_FILE).context("a backup of a PostgreSQL site holds pg_dump's file")?;
        require_kind(&dump, DUMP_FILE, Kind::File)?;
        let content = inside(dir, CONTENT_FOLDER)?;
        require_kind(&content, CONTENT_FOLDER, Kind::Folder)?;
        let uploads = match std::fs::symlink_metadata(dir.join(UPLOADS_FOLDER)) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            _ => {
                let path = inside(dir, UPLOADS_FOLDER)?;
                require_kind(&path, UPLOADS_FOLDER, Kind::Folder)?;
                Some(path)
            }
        };
        let mut staging = Staging::new();
        staging.folder(&content, &settings.content_dir, CONTENT_FOLDER, None)?;
        if let Some(uploads) = &uploads {
            staging.folder(uploads, &settings.uploads_dir(), UPLOADS_FOLDER, None)?;
        }
        staging.switch()
    };
    checked().map_err(|error| not_restored(error, dir))
}

fn not_restored(error: anyhow::Error, dir: &Path) -> anyhow::Error {
    if error.is::<SwitchFailed>() {
        error
    } else {
        error.context(format!("the backup in {} was not restored, and nothing was changed", dir.display()))
    }
}

/// The commands that back up and restore a PostgreSQL database, where
/// `pg_dump` takes the consistent snapshot and `pg_restore` puts it back.
pub struct PostgresCommands {
    pub dump: String,
    pub restore: String,
    /// Set when the URL had a password, left out of the commands.
    pub password_note: Option<&'static str>,
}

pub fn postgres_commands(settings: &Settings, dir: &Path) -> anyhow::Result<PostgresCommands> {
    let DatabaseUrl::Postgres(url) = DatabaseUrl::parse(&settings.database_url)? else {
        bail!("the database is not PostgreSQL");
    };
    let mut url = url::Url::parse(&url).context("reading the PostgreSQL URL")?;
    let had_password = url.password().is_some();
    let _ = url.set_password(None);
    let url = quote(url.as_str());
    let dump = quote(&dir.join(DUMP_FILE).to_string_lossy());
    Ok(PostgresCommands {
        dump: format!("pg_dump --format=custom --file={dump} {url}"),
        restore: format!("pg_restore --clean --if-exists --no-owner --single-transaction --dbname={url} {dump}"),
        password_note: had_password.then_some(
            "The password is left out of the URL: pg_dump and pg_restore read it from PGPASSWORD or ~/.pgpass.",
        ),
    })
}

fn sqlite_path(settings: &Settings, what: &str) -> anyhow::Result<PathBuf> {
    match DatabaseUrl::parse(&settings.database_url)? {
        DatabaseUrl::Sqlite(path) => Ok(path),
        DatabaseUrl::Postgres(_) => {
            bail!("`healthblog {what}` copies a SQLite database; on PostgreSQL use pg_dump and pg_restore")
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

/// Refuses a copy of the database that SQLite finds damaged.
fn check_integrity(database: &Path, name: &str) -> anyhow::Result<()> {
    let mut conn = open_sqlite(database)?;
    let problems =
        snapshots::integrity_problems(&mut conn).with_context(|| format!("checking the backup's database {name}"))?;
    if !problems.is_empty() {
        bail!("the backup's database {name} is damaged: {}", problems.join("; "));
    }
    Ok(())
}

/// Refuses a copy of the database that does not hold the rows its manifest
/// promises (a manifest of format 1 promises only the comments).
fn check_rows(database: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let mut promised = manifest.rows.clone();
    match promised.get("comments") {
        None if manifest.format < 2 => {
            promised.insert("comments".to_owned(), manifest.comments);
        }
        Some(&comments) if comments == manifest.comments => {}
        None => bail!("the manifest counts no rows in `comments`"),
        Some(_) => bail!("the manifest contradicts itself: its comment count is not its count of rows in `comments`"),
    }
    let mut conn = AnyConnection::Sqlite(open_sqlite(database)?);
    for (table, &rows) in &promised {
        let promise = || format!("its manifest promises {rows} rows in `{table}`");
        let found = row_counts::count(&mut conn, table)
            .with_context(|| format!("reading the backup's database {}, whose {}", manifest.database, promise()))?
            .ok_or_else(|| anyhow!("{}, a table this version does not know", promise()))?;
        if found != rows {
            bail!(
                "the backup's database {} holds {found} rows in `{table}`, but {}: the copy is incomplete or damaged",
                manifest.database,
                promise()
            );
        }
    }
    Ok(())
}

fn compare_checksum(name: &str, found: &str, files: &BTreeMap<String, String>) -> anyhow::Result<()> {
    match files.get(name) {
        Some(listed) if listed == found => Ok(()),
        Some(_) => bail!("{name} does not match its checksum in the manifest: it is damaged or was changed"),
        None => bail!("{name} is in the backup but not in its manifest"),
    }
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

/// `name`, a path from a manifest, inside the backup folder `dir`: refused
/// when absolute, when it climbs out with `..`, or when any part of it is a
/// symbolic link.
fn inside(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let relative = Path::new(name);
    if name.is_empty() || !relative.components().all(|part| matches!(part, Component::Normal(_))) {
        bail!("`{name}` in the manifest is not a path inside the backup folder (no absolute path, no `..`)");
    }
    let mut path = dir.to_owned();
    let mut shown = PathBuf::new();
    for part in relative.components() {
        path.push(part);
        shown.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                bail!("{} is a symbolic link, and {PLAIN_ONLY}", shown.display())
            }
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                bail!("the backup has no {}", shown.display())
            }
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }
    Ok(path)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    File,
    Folder,
}

fn require_kind(path: &Path, name: &str, kind: Kind) -> anyhow::Result<()> {
    let metadata = std::fs::symlink_metadata(path).with_context(|| format!("reading {}", path.display()))?;
    match kind {
        Kind::File if !metadata.is_file() => bail!("{name} in the backup is not a file"),
        Kind::Folder if !metadata.is_dir() => bail!("{name} in the backup is not a folder"),
        _ => Ok(()),
    }
}

/// What a copy does with what is neither a plain file nor a folder.
#[derive(Clone, Copy, PartialEq)]
enum Strangers {
    /// Backing up: leave it out and say so.
    LeaveOut,
    /// Restoring: refuse the backup.
    Refuse,
}

/// Copies a folder, file by file, never following a symbolic link.
struct TreeCopy {
    strangers: Strangers,
    /// The SHA-256 of each file copied, by its path in the backup folder.
    files: BTreeMap<String, String>,
    left_out: Vec<LeftOut>,
}

impl TreeCopy {
    fn new(strangers: Strangers) -> Self {
        Self { strangers, files: BTreeMap::new(), left_out: Vec::new() }
    }

    /// Copies `source` into `target`, which must not exist yet; `name` is
    /// the folder's path in the backup folder.
    fn copy(&mut self, source: &Path, target: &Path, name: &str) -> anyhow::Result<()> {
        std::fs::create_dir(target).with_context(|| format!("creating {}", target.display()))?;
        let entries = std::fs::read_dir(source).with_context(|| format!("reading {}", source.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", source.display()))?;
            let entry_name = format!("{name}/{}", entry.file_name().to_string_lossy());
            let (from, to) = (entry.path(), target.join(entry.file_name()));
            // The entry's own type: a symbolic link is not followed here.
            let kind = entry.file_type().with_context(|| format!("reading {}", from.display()))?;
            if kind.is_dir() {
                self.copy(&from, &to, &entry_name)?;
            } else if kind.is_file() {
                let checksum = copy_file(&from, &to)?;
                self.files.insert(entry_name, checksum);
            } else {
                let what = if kind.is_symlink() { "a symbolic link" } else { "neither a file nor a folder" };
                match self.strangers {
                    Strangers::LeaveOut => self.left_out.push(LeftOut { path: entry_name, what }),
                    Strangers::Refuse => bail!("{entry_name} is {what}, and {PLAIN_ONLY}"),
                }
            }
        }
        Ok(())
    }
}

/// Opens `path` for reading only if it is a plain file itself: not through
/// a symbolic link (refused by the system, not merely checked before), and
/// without waiting on a named pipe.
fn open_plain_file(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).with_context(|| format!("opening {} (a plain file, not a link)", path.display()))?;
    let metadata = file.metadata().with_context(|| format!("reading {}", path.display()))?;
    if !metadata.is_file() {
        bail!("{} is not a plain file", path.display());
    }
    Ok(file)
}

/// Copies one plain file to `to`, which must not exist, flushed to the
/// disk, and returns the SHA-256 of what was copied.
fn copy_file(from: &Path, to: &Path) -> anyhow::Result<String> {
    let mut source = open_plain_file(from)?;
    let permissions = plain_permissions(&source.metadata().with_context(|| format!("reading {}", from.display()))?);
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .with_context(|| format!("creating {}", to.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = source.read(&mut buffer).with_context(|| format!("reading {}", from.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        target.write_all(&buffer[..read]).with_context(|| format!("writing {}", to.display()))?;
    }
    target.set_permissions(permissions).with_context(|| format!("setting the permissions of {}", to.display()))?;
    target.sync_all().with_context(|| format!("flushing {}", to.display()))?;
    Ok(crate::keys::hex(&hasher.finalize()))
}

/// The file's permissions without the set-user, set-group and sticky bits
/// and without write access for others: a crafted backup restored by root
/// must not leave a set-user-id program or a file anyone may change.
fn plain_permissions(metadata: &std::fs::Metadata) -> std::fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(metadata.permissions().mode() & 0o755)
    }
    #[cfg(not(unix))]
    {
        metadata.permissions()
    }
}

fn checksum(path: &Path) -> anyhow::Result<String> {
    let mut file = open_plain_file(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).with_context(|| format!("reading {}", path.display()))?;
    Ok(crate::keys::hex(&hasher.finalize()))
}

/// Copies waiting beside the live files they are to replace, checked. If
/// it is dropped before `switch` succeeds, it removes them and any folder
/// it had to create: the live site is left as it was.
struct Staging {
    stamp: String,
    /// (staged, live) pairs, in the order they are switched.
    pending: Vec<Pending>,
    /// What was created, removed again (last first) unless switched.
    made: Vec<Made>,
}

struct Pending {
    staged: PathBuf,
    live: PathBuf,
    /// A SQLite database, whose `-wal` and `-shm` files go with it.
    database: bool,
}

enum Made {
    File(PathBuf),
    Tree(PathBuf),
    Folder(PathBuf),
}

impl Staging {
    fn new() -> Self {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        Self { stamp, pending: Vec::new(), made: Vec::new() }
    }

    /// Copies the backup's database beside `live`, and returns the copy's
    /// path and checksum.
    fn database(&mut self, source: &Path, live: &Path) -> anyhow::Result<(PathBuf, String)> {
        self.make_parent(live)?;
        let staged = free_name(live, "restoring", &self.stamp);
        self.made.push(Made::File(staged.clone()));
        // Opening the copy to check it may leave these beside it.
        self.made.push(Made::File(sibling(&staged, "-wal")));
        self.made.push(Made::File(sibling(&staged, "-shm")));
        self.made.push(Made::File(sibling(&staged, "-journal")));
        let checksum = copy_file(source, &staged)?;
        self.pending.push(Pending { staged: staged.clone(), live: live.to_owned(), database: true });
        Ok((staged, checksum))
    }

    /// Copies the backup's folder `source` (`name` in the backup) beside
    /// `live`, refusing anything that is not a plain file or folder, and
    /// compares it with the manifest's checksums when there are some.
    fn folder(
        &mut self,
        source: &Path,
        live: &Path,
        name: &str,
        checksums: Option<&BTreeMap<String, String>>,
    ) -> anyhow::Result<()> {
        self.make_parent(live)?;
        let staged = free_name(live, "restoring", &self.stamp);
        self.made.push(Made::Tree(staged.clone()));
        let mut copy = TreeCopy::new(Strangers::Refuse);
        copy.copy(source, &staged, name)?;
        if let Some(listed) = checksums {
            let prefix = format!("{name}/");
            for (file, found) in &copy.files {
                compare_checksum(file, found, listed)?;
            }
            if let Some(missing) = listed.keys().find(|f| f.starts_with(&prefix) && !copy.files.contains_key(*f)) {
                bail!("{missing} is in the manifest but not in the backup");
            }
        }
        self.pending.push(Pending { staged, live: live.to_owned(), database: false });
        Ok(())
    }

    /// Creates the folders missing above `path`, to be removed again if the
    /// restore does not happen.
    fn make_parent(&mut self, path: &Path) -> anyhow::Result<()> {
        let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(());
        };
        let missing: Vec<&Path> = parent.ancestors().take_while(|p| !p.as_os_str().is_empty() && !p.exists()).collect();
        for folder in missing.into_iter().rev() {
            std::fs::create_dir(folder).with_context(|| format!("creating {}", folder.display()))?;
            self.made.push(Made::Folder(folder.to_owned()));
        }
        Ok(())
    }

    /// Moves each live file or folder aside and its checked copy in its
    /// place; if one move fails, every move done is undone.
    fn switch(mut self) -> anyhow::Result<Vec<PathBuf>> {
        let mut moves = Moves::default();
        let mut kept = Vec::new();
        let result = self.pending.iter().try_for_each(|item| {
            let aside = aside_name(&item.live, &self.stamp);
            if exists(&item.live) {
                moves.rename(&item.live, &aside)?;
                kept.push(aside.clone());
            }
            if item.database {
                // The write-ahead log and its index go with the file they
                // belong to, under matching names, so that the set put aside
                // opens complete and the restored file finds none of them.
                for suffix in ["-wal", "-shm"] {
                    let file = sibling(&item.live, suffix);
                    if exists(&file) {
                        moves.rename(&file, &sibling(&aside, suffix))?;
                    }
                }
            }
            moves.rename(&item.staged, &item.live)
        });
        if let Err(error) = result {
            let undone = moves.undo();
            return Err(SwitchFailed { error, undone }.into());
        }
        for item in self.pending.iter().filter(|item| item.database) {
            sync_folder(&item.live);
        }
        // What was made is in place now; only files left beside the checked
        // copy of the database (an empty `-shm`) are still to go.
        self.made.retain(|made| matches!(made, Made::File(_)));
        Ok(kept)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Best effort: each of these is ours, made by this restore.
        for made in self.made.iter().rev() {
            let _ = match made {
                Made::File(path) => std::fs::remove_file(path),
                Made::Tree(path) => std::fs::remove_dir_all(path),
                Made::Folder(path) => std::fs::remove_dir(path),
            };
        }
    }
}

/// A switch that failed part way, and whether everything it had moved was
/// moved back.
#[derive(Debug)]
struct SwitchFailed {
    error: anyhow::Error,
    undone: Result<(), String>,
}

impl std::fmt::Display for SwitchFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.undone {
            Ok(()) => write!(f, "the restore stopped, and the live site is as it was: {:#}", self.error),
            Err(left) => write!(f, "the restore stopped part way ({:#}), and {left}", self.error),
        }
    }
}

impl std::error::Error for SwitchFailed {}

/// Renames done, to undo in reverse.
#[derive(Default)]
struct Moves {
    done: Vec<(PathBuf, PathBuf)>,
}

impl Moves {
    fn rename(&mut self, from: &Path, to: &Path) -> anyhow::Result<()> {
        std::fs::rename(from, to).with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
        self.done.push((from.to_owned(), to.to_owned()));
        Ok(())
    }

    fn undo(self) -> Result<(), String> {
        let failed: Vec<String> = self
            .done
            .iter()
            .rev()
            .filter_map(|(from, to)| {
                std::fs::rename(to, from)
                    .err()
                    .map(|error| format!("{} is still at {} ({error})", from.display(), to.display()))
            })
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("moving it back failed too: {}", failed.join("; ")))
        }
    }
}

/// Whether anything, even a dangling link, is at `path`.
fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Flushes the renames in the folder holding `path` to the disk.
fn sync_folder(path: &Path) {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::File::open(folder).and_then(|f| f.sync_all());
    }
}

/// A name beside `path` for keeping it: `….before-restore-STAMP`.
fn aside_name(path: &Path, stamp: &str) -> PathBuf {
    free_name(path, "before-restore", stamp)
}

/// `….LABEL-STAMP` beside `path`, with a number added when a restore in
/// the same second took that name (or a `-wal` or `-shm` under it) already.
fn free_name(path: &Path, label: &str, stamp: &str) -> PathBuf {
    let base = format!("{}.{label}-{stamp}", path.display());
    let taken =
        |name: &str| [name, &format!("{name}-wal"), &format!("{name}-shm")].iter().any(|n| exists(Path::new(n)));
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

    #[test]
    fn a_manifest_path_stays_inside_the_backup_folder() {
        let dir = tempfile::tempdir().expect("a folder");
        std::fs::create_dir(dir.path().join("content")).expect("a folder");
        assert_eq!(inside(dir.path(), "content").expect("inside"), dir.path().join("content"));
        for name in ["", "/etc", "../content", "content/../content", "./content"] {
            let error = inside(dir.path(), name).expect_err(name).to_string();
            assert!(error.contains("not a path inside the backup folder"), "{name}: {error}");
        }
    }
}
