//! `healthblog backup DIR` and `healthblog restore DIR`, run as the real
//! binary while the app takes comments from several readers at once. On
//! PostgreSQL the commands they print (pg_dump, pg_restore) are run instead.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use diesel::prelude::*;
use diesel::sql_types::Text;
use healthblog::db::{AnyConnection, DatabaseUrl};

use crate::admin::spawn_app_keeping_settings;
use crate::helpers::{comment_fields, csrf_token, fresh_database_url, repo_path, spawn_app_with, TestApp};

const SLUG: &str = "iv-magnesium-post-concussion-syndrome";
const WRITERS: usize = 4;
/// Comments acknowledged before the backup starts.
const BEFORE: usize = 20;

/// Runs `healthblog ARGS` in an empty folder with `settings` as
/// `HEALTHBLOG_*` variables.
async fn healthblog(args: &[&str], settings: &[(&str, &Path)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let settings: Vec<(String, String)> =
        settings.iter().map(|(k, v)| ((*k).to_owned(), v.to_string_lossy().into_owned())).collect();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut command = crate::helpers::healthblog_command();
        command.args(&args).current_dir(dir.path()).env("RUST_LOG", "warn");
        command.envs(settings).output().expect("the healthblog binary runs")
    })
    .await
    .expect("the command ran")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `healthblog restore` of the backup in `backup` to a site in the folder
/// `site` (its `content` and `static` folders) on `database_url`; it works.
async fn restore_into(backup: &Path, site: &Path, database_url: &str) -> Output {
    let target = [
        ("HEALTHBLOG_DATABASE_URL", Path::new(database_url).to_owned()),
        ("HEALTHBLOG_CONTENT_DIR", site.join("content")),
        ("HEALTHBLOG_STATIC_DIR", site.join("static")),
    ];
    let target: Vec<(&str, &Path)> = target.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let output = healthblog(&["restore", &backup.to_string_lossy()], &target).await;
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    output
}

/// Readers posting questions through HTTP until told to stop; each
/// acknowledged comment is reported on the channel.
struct Writers {
    stop: Arc<AtomicBool>,
    running: tokio::task::JoinSet<usize>,
    acknowledged: tokio::sync::mpsc::UnboundedReceiver<()>,
}

impl Writers {
    fn start(app: &TestApp) -> Self {
        app.accept_instant_posts();
        app.set_rule("rate_limit_per_minute", "1000000");
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, acknowledged) = tokio::sync::mpsc::unbounded_channel();
        let mut running = tokio::task::JoinSet::new();
        for writer in 0..WRITERS {
            let (client, address, stop, sender) =
                (crate::helpers::new_browser(), app.address.clone(), stop.clone(), sender.clone());
            running.spawn(async move {
                let mut sent = 0;
                while !stop.load(Ordering::SeqCst) {
                    let form = client.get(format!("{address}/posts/{SLUG}")).send().await.expect("GET");
                    let form = form.text().await.expect("the article");
                    let mut fields = comment_fields(
                        &format!("Zoë {writer}"),
                        &format!("reader{writer}@example.org"),
                        &format!("Question {sent} from reader {writer}: is 1–2 g of magnesium safe? ]]> «ok»"),
                    );
                    fields.push(("csrf_token".into(), csrf_token(&form)));
                    let response = client
                        .post(format!("{address}/posts/{SLUG}/comments"))
                        .form(&fields)
                        .send()
                        .await
                        .expect("POST");
                    assert_eq!(response.status().as_u16(), 303, "the comment is accepted");
                    sent += 1;
                    let _ = sender.send(());
                }
                sent
            });
        }
        Self { stop, running, acknowledged }
    }

    async fn wait_for_acknowledged(&mut self, count: usize) {
        for _ in 0..count {
            self.acknowledged.recv().await.expect("the writers are running");
        }
    }

    async fn stop(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.running.join_all().await.into_iter().sum()
    }
}

/// Every stored comment's id and text.
fn comment_texts(app: &TestApp) -> BTreeMap<i32, String> {
    app.stored_comments().into_iter().map(|c| (c.id.0, c.body_markdown)).collect()
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[tokio::test]
async fn a_backup_taken_while_readers_comment_restores_every_comment_committed_before_it() {
    let static_dir = tempfile::tempdir().expect("a static folder");
    std::fs::create_dir_all(static_dir.path().join("uploads/2016")).expect("an uploads folder");
    std::fs::write(static_dir.path().join("uploads/2016/scan.png"), b"not really a png").expect("an upload");
    let (app, settings) = spawn_app_keeping_settings(|_| {}).await;
    let backups = tempfile::tempdir().expect("a folder for backups");
    let backup_dir = backups.path().join("nightly");
    let content = settings.content_dir.clone();

    let mut writers = Writers::start(&app);
    writers.wait_for_acknowledged(BEFORE).await;
    let before = comment_texts(&app);
    let database = Path::new(&settings.database_url).to_owned();
    let site = [
        ("HEALTHBLOG_DATABASE_URL", database.as_path()),
        ("HEALTHBLOG_CONTENT_DIR", content.as_path()),
        ("HEALTHBLOG_STATIC_DIR", static_dir.path()),
    ];

    let restored_site = tempfile::tempdir().expect("a fresh data folder");
    let mut snapshot_comments = None;
    let restored_url = match &app.database {
        DatabaseUrl::Sqlite(_) => {
            let output = healthblog(&["backup", &backup_dir.to_string_lossy()], &site).await;
            let during = comment_texts(&app).len();
            let written = writers.stop().await;
            assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
            assert!(during > before.len(), "readers kept commenting during the backup");
            assert!(written > BEFORE);
            let manifest = std::fs::read_to_string(backup_dir.join("manifest.toml")).expect("a manifest");
            assert!(
                manifest.contains(&format!("healthblog_version = \"{}\"", env!("CARGO_PKG_VERSION"))),
                "{manifest}"
            );
            let line = manifest.lines().find(|l| l.starts_with("comments = ")).expect("a comment count");
            snapshot_comments = Some(line["comments = ".len()..].parse::<usize>().expect("a number"));

            let again = healthblog(&["backup", &backup_dir.to_string_lossy()], &site).await;
            assert!(!again.status.success(), "a folder that is not empty is refused");
            assert!(text(&again.stderr).contains("exists and is not empty"), "{}", text(&again.stderr));

            // A folder that is not a finished backup is refused, and nothing is touched.
            let not_a_backup = backups.path().join("half");
            std::fs::create_dir_all(not_a_backup.join("content")).expect("a folder");
            let settled = comment_texts(&app);
            let refused = healthblog(&["restore", &not_a_backup.to_string_lossy()], &site).await;
            assert!(!refused.status.success());
            assert!(text(&refused.stderr).contains("is not a finished healthblog backup"), "{}", text(&refused.stderr));
            assert_eq!(comment_texts(&app), settled, "the site's database is untouched");

            let restored_url = format!("sqlite://{}", restored_site.path().join("data/healthblog.db").display());
            let output = restore_into(&backup_dir, restored_site.path(), &restored_url).await;
            assert!(text(&output.stdout).contains("Restart the server"), "{}", text(&output.stdout));
            assert_eq!(
                std::fs::read(restored_site.path().join("static/uploads/2016/scan.png")).expect("the upload is back"),
                b"not really a png"
            );

            // Restoring over a site keeps what was there, however quickly it is done again.
            for _ in 0..2 {
                restore_into(&backup_dir, restored_site.path(), &restored_url).await;
            }
            let kept: Vec<String> = std::fs::read_dir(restored_site.path().join("data"))
                .expect("the data folder")
                .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("healthblog.db.before-restore-") && !name.ends_with("-wal"))
                .collect();
            assert_eq!(kept.len(), 2, "each earlier database is kept: {kept:?}");
            assert!(restored_site.path().read_dir().expect("the site").any(|e| e
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .starts_with("content.before-restore-")));
            restored_url
        }
        DatabaseUrl::Postgres(_) => {
            // `healthblog backup` copies the folders; the pg_dump it prints is what the user runs.
            let output = healthblog(&["backup", &backup_dir.to_string_lossy()], &site).await;
            assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
            run_printed(&text(&output.stdout), "pg_dump ").await;
            let during = comment_texts(&app).len();
            assert!(writers.stop().await > BEFORE);
            assert!(during > before.len(), "readers kept commenting during the backup");

            let url = fresh_database_url(restored_site.path());
            let output = restore_into(&backup_dir, restored_site.path(), &url).await;
            assert_eq!(
                std::fs::read(restored_site.path().join("static/uploads/2016/scan.png")).expect("the upload is back"),
                b"not really a png"
            );
            run_printed(&text(&output.stdout), "pg_restore ").await;
            url
        }
    };

    let restored_content = restored_site.path().join("content");
    let restored = spawn_app_with(|settings| {
        settings.database_url = restored_url.clone();
        settings.content_dir = restored_content.clone();
    })
    .await;
    let after = comment_texts(&restored);
    for (id, body) in &before {
        assert_eq!(after.get(id), Some(body), "comment {id}, committed before the backup, is restored");
    }
    if let Some(count) = snapshot_comments {
        assert!(count >= before.len());
        assert_eq!(after.len(), count, "the restored site holds the snapshot, whole");
    }
    if let DatabaseUrl::Sqlite(_) = &app.database {
        let checks: Vec<Row> = restored
            .with_db(|conn| match conn {
                AnyConnection::Sqlite(conn) => diesel::sql_query("PRAGMA integrity_check").load(conn),
                AnyConnection::Postgresql(_) => unreachable!("a SQLite site"),
            })
            .expect("the integrity check runs");
        assert_eq!(checks.iter().map(|r| r.integrity_check.as_str()).collect::<Vec<_>>(), ["ok"]);
    }
    let page = restored.get(&format!("/posts/{SLUG}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(restored.get("/about").await.status, 200, "the pages came back with the content");
}

/// The pictures are in the database: a backup carries them, the manifest
/// counts them, and a restored site serves the same bytes at the same address.
#[tokio::test]
async fn a_picture_uploaded_in_the_desk_is_served_the_same_by_the_restored_site() {
    use crate::admin::{create_user, sign_in, AUTHOR, DISPLAY, PASSWORD};
    let (app, settings) = spawn_app_keeping_settings(|_| {}).await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let card = crate::media::two_colour_jpeg(1000, 500);
    let uploaded = crate::media::upload(&app, "A red and blue card", &[("card.jpg", &card)]).await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let hash = app.with_db(healthblog::db::media::list).expect("the pictures")[0].hash.clone();
    let address = format!("/media/{hash}-960.jpg");
    let fetch = |app: &TestApp| {
        let request = app.stranger().get(format!("{}{address}", app.address));
        async move {
            let response = request.send().await.expect("GET");
            (response.status().as_u16(), response.bytes().await.expect("a body").to_vec())
        }
    };
    let (status, original) = fetch(&app).await;
    assert_eq!(status, 200);

    let backups = tempfile::tempdir().expect("a folder for backups");
    let backup_dir = backups.path().join("nightly");
    let static_dir = tempfile::tempdir().expect("a static folder");
    let database = Path::new(&settings.database_url).to_owned();
    let site = [
        ("HEALTHBLOG_DATABASE_URL", database.as_path()),
        ("HEALTHBLOG_CONTENT_DIR", settings.content_dir.as_path()),
        ("HEALTHBLOG_STATIC_DIR", static_dir.path()),
    ];
    let restored_site = tempfile::tempdir().expect("a fresh data folder");
    let output = healthblog(&["backup", &backup_dir.to_string_lossy()], &site).await;
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    let url = match &app.database {
        DatabaseUrl::Sqlite(_) => {
            let manifest = std::fs::read_to_string(backup_dir.join("manifest.toml")).expect("a manifest");
            assert!(manifest.lines().any(|l| l == "media = 1"), "the pictures are counted:\n{manifest}");
            assert!(manifest.lines().any(|l| l.starts_with("media_variants = ")), "{manifest}");
            format!("sqlite://{}", restored_site.path().join("data/healthblog.db").display())
        }
        DatabaseUrl::Postgres(_) => {
            run_printed(&text(&output.stdout), "pg_dump ").await;
            fresh_database_url(restored_site.path())
        }
    };
    let output = restore_into(&backup_dir, restored_site.path(), &url).await;
    if let DatabaseUrl::Postgres(_) = &app.database {
        run_printed(&text(&output.stdout), "pg_restore ").await;
    }

    let restored_content = restored_site.path().join("content");
    let restored = spawn_app_with(|settings| {
        settings.database_url = url.clone();
        settings.content_dir = restored_content.clone();
    })
    .await;
    let (status, bytes) = fetch(&restored).await;
    assert_eq!(status, 200, "the restored site serves the picture at {address}");
    assert!(bytes == original, "the same bytes");
}

/// Runs the line of `commands` that starts with `program`, as a user would
/// paste it, and asserts that it succeeds.
async fn run_printed(commands: &str, program: &str) {
    let output = run_printed_line(commands, program).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
}

async fn run_printed_line(commands: &str, program: &str) -> Output {
    let line = commands
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(program))
        .unwrap_or_else(|| panic!("a {program}command in:\n{commands}"))
        .to_owned();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh").arg("-c").arg(&line).output().expect("sh runs")
    })
    .await
    .expect("the command ran")
}

/// A site of its own on disk, for restoring over: the sample content copied,
/// an upload, and a fresh database of the backend the tests run on (on
/// SQLite, `data/healthblog.db`). Its server runs, as a live site's would.
struct Site {
    root: tempfile::TempDir,
    app: TestApp,
    database_url: String,
}

impl Site {
    async fn start() -> Self {
        let root = tempfile::tempdir().expect("a site folder");
        copy_plain_folder(&repo_path("content"), &root.path().join("content"));
        std::fs::create_dir_all(root.path().join("static/uploads/2016")).expect("an uploads folder");
        std::fs::write(root.path().join("static/uploads/2016/scan.png"), b"the site's scan").expect("an upload");
        let path = root.path().to_owned();
        let (app, settings) = spawn_app_keeping_settings(|settings| {
            settings.content_dir = path.join("content");
            settings.static_dir = Some(path.join("static"));
            if settings.database_url.starts_with("sqlite://") {
                settings.database_url = format!("sqlite://{}", path.join("data/healthblog.db").display());
            }
        })
        .await;
        app.insert_comment(SLUG, healthblog::domain::CommentStatus::Approved, "Ana");
        app.insert_comment(SLUG, healthblog::domain::CommentStatus::Pending, "Ben");
        Self { root, app, database_url: settings.database_url }
    }

    fn is_sqlite(&self) -> bool {
        matches!(self.app.database, DatabaseUrl::Sqlite(_))
    }

    /// The site's settings, as `HEALTHBLOG_*` variables for the binary.
    fn vars(&self) -> Vec<(&'static str, std::path::PathBuf)> {
        vec![
            ("HEALTHBLOG_DATABASE_URL", self.database_url.clone().into()),
            ("HEALTHBLOG_CONTENT_DIR", self.root.path().join("content")),
            ("HEALTHBLOG_STATIC_DIR", self.root.path().join("static")),
        ]
    }

    async fn run(&self, args: &[&str]) -> Output {
        let vars = self.vars();
        let vars: Vec<(&str, &Path)> = vars.iter().map(|(k, v)| (*k, v.as_path())).collect();
        healthblog(args, &vars).await
    }

    /// Backs the site up into `dir` the way its backend is backed up.
    async fn back_up(&self, dir: &Path) {
        let output = self.run(&["backup", &dir.to_string_lossy()]).await;
        assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
        if !self.is_sqlite() {
            run_printed(&text(&output.stdout), "pg_dump ").await;
        }
    }

    /// Every file of the site but its database, by path, with its bytes.
    fn files(&self) -> BTreeMap<String, String> {
        files_under(self.root.path()).into_iter().filter(|(name, _)| !name.starts_with("data/")).collect()
    }

    /// The comments in the database the site's URL names now, read through
    /// a connection of its own (the running server may hold a file that was
    /// moved away).
    fn stored_comments(&self) -> i64 {
        use healthblog::db::schema::comments;
        if let DatabaseUrl::Sqlite(path) = &self.app.database {
            assert!(path.is_file(), "the site's database {} is where it was", path.display());
        }
        let pool = healthblog::db::connect(&self.app.database, 1).expect("the site's database opens");
        let mut conn = pool.get().expect("a connection");
        comments::table.count().get_result(&mut conn).expect("the comments table answers")
    }

    /// Asserts that a refused restore left the site exactly as it was.
    #[track_caller]
    fn assert_unchanged(&self, files: &BTreeMap<String, String>, comments: i64) {
        assert_eq!(&self.files(), files, "the site's files are as they were");
        assert_eq!(self.stored_comments(), comments, "the site's database is as it was");
        let everything = files_under(self.root.path());
        let leftovers: Vec<&String> =
            everything.keys().filter(|name| name.contains("before-restore") || name.contains("restoring")).collect();
        assert!(leftovers.is_empty(), "nothing was moved aside or left half-done: {leftovers:?}");
    }
}

/// Every file under `root`, by its path relative to it, with its text;
/// a symbolic link is listed as `-> TARGET`, never followed.
fn files_under(root: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a folder") {
            let entry = entry.expect("an entry");
            let path = entry.path();
            let name = path.strip_prefix(root).expect("under the root").to_string_lossy().into_owned();
            let kind = entry.file_type().expect("a file type");
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).expect("a link");
                files.insert(name, format!("-> {}", target.display()));
            } else if kind.is_dir() {
                folders.push(path);
            } else {
                files.insert(name, text(&std::fs::read(&path).expect("a file")));
            }
        }
    }
    files
}

fn copy_plain_folder(from: &Path, to: &Path) {
    for (name, bytes) in files_under(from) {
        let path = to.join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
        std::fs::write(path, bytes).expect("a copy");
    }
}

/// A private file outside every site and backup, which no restore may copy.
struct Outside {
    dir: tempfile::TempDir,
}

const SECRET: &str = "-----BEGIN OPENSSH PRIVATE KEY----- not for the web";

impl Outside {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("an outside folder");
        std::fs::write(dir.path().join("id_ed25519"), SECRET).expect("a private key");
        Self { dir }
    }

    fn key(&self) -> std::path::PathBuf {
        self.dir.path().join("id_ed25519")
    }

    #[track_caller]
    fn assert_untouched_and_not_in(&self, site: &Site) {
        assert_eq!(std::fs::read_to_string(self.key()).expect("the key is still there"), SECRET);
        assert_eq!(std::fs::read_dir(self.dir.path()).expect("the folder").count(), 1, "nothing was added beside it");
        let copied: Vec<String> = files_under(site.root.path())
            .into_iter()
            .filter(|(_, text)| text.contains(SECRET))
            .map(|(name, _)| name)
            .collect();
        assert!(copied.is_empty(), "the private key was copied into the site: {copied:?}");
    }
}

fn replace_line(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).expect("the file");
    assert!(text.contains(from), "{from:?} in {text}");
    std::fs::write(file, text.replacen(from, to, 1)).expect("the file is written");
}

#[tokio::test]
async fn restore_refuses_a_manifest_path_outside_the_backup_folder_and_changes_nothing() {
    let site = Site::start().await;
    if !site.is_sqlite() {
        return; // A PostgreSQL backup has no manifest: its folders have fixed names.
    }
    let backups = tempfile::tempdir().expect("a folder for backups");
    let backup = backups.path().join("nightly");
    site.back_up(&backup).await;
    let outside = Outside::new();
    std::os::unix::fs::symlink(outside.dir.path(), backups.path().join("elsewhere")).expect("a link");
    let (files, comments) = (site.files(), site.stored_comments());

    let manifest = backup.join("manifest.toml");
    let original = std::fs::read_to_string(&manifest).expect("the manifest");
    let crafted = [
        ("uploads", outside.dir.path().to_string_lossy().into_owned()),
        ("uploads", "../elsewhere".to_owned()),
        ("content", outside.dir.path().to_string_lossy().into_owned()),
        ("database", outside.key().to_string_lossy().into_owned()),
    ];
    for (field, path) in crafted {
        std::fs::write(&manifest, &original).expect("the manifest");
        let line = original.lines().find(|l| l.starts_with(&format!("{field} = "))).expect("the field");
        replace_line(&manifest, line, &format!("{field} = {path:?}"));

        let output = site.run(&["restore", &backup.to_string_lossy()]).await;
        let said = text(&output.stderr);
        assert!(!output.status.success(), "{field} = {path:?} is refused:\n{}", text(&output.stdout));
        assert!(said.contains(&path) && said.contains("nothing was changed"), "{field} = {path:?}: {said}");
        outside.assert_untouched_and_not_in(&site);
        site.assert_unchanged(&files, comments);
    }
}

#[tokio::test]
async fn restore_refuses_a_symbolic_link_in_the_backup_folder_and_changes_nothing() {
    let site = Site::start().await;
    let backups = tempfile::tempdir().expect("a folder for backups");
    let backup = backups.path().join("nightly");
    site.back_up(&backup).await;
    let outside = Outside::new();
    let (files, comments) = (site.files(), site.stored_comments());

    let uploads = backup.join("uploads");
    type Step<'a> = Box<dyn Fn() + 'a>;
    let cases: [(&str, Step, Step); 4] = [
        (
            "uploads/2016/key.png",
            Box::new(|| std::os::unix::fs::symlink(outside.key(), uploads.join("2016/key.png")).expect("a link")),
            Box::new(|| std::fs::remove_file(uploads.join("2016/key.png")).expect("the link goes")),
        ),
        (
            "uploads/private",
            Box::new(|| std::os::unix::fs::symlink(outside.dir.path(), uploads.join("private")).expect("a link")),
            Box::new(|| std::fs::remove_file(uploads.join("private")).expect("the link goes")),
        ),
        (
            "content/posts/key.md",
            Box::new(|| {
                std::os::unix::fs::symlink(outside.key(), backup.join("content/posts/key.md")).expect("a link")
            }),
            Box::new(|| std::fs::remove_file(backup.join("content/posts/key.md")).expect("the link goes")),
        ),
        (
            "uploads",
            Box::new(|| {
                std::fs::rename(&uploads, backup.join("real-uploads")).expect("moved");
                std::os::unix::fs::symlink(outside.dir.path(), &uploads).expect("a link");
            }),
            Box::new(|| {
                std::fs::remove_file(&uploads).expect("the link goes");
                std::fs::rename(backup.join("real-uploads"), &uploads).expect("moved back");
            }),
        ),
    ];
    for (name, craft, mend) in cases {
        craft();
        let output = site.run(&["restore", &backup.to_string_lossy()]).await;
        let said = text(&output.stderr);
        assert!(!output.status.success(), "a link at {name} is refused:\n{}", text(&output.stdout));
        assert!(
            said.contains(&format!("{name} is a symbolic link")) && said.contains("nothing was changed"),
            "{name}: {said}"
        );
        outside.assert_untouched_and_not_in(&site);
        site.assert_unchanged(&files, comments);
        mend();
    }

    // The same folder, mended, restores; a file's set-user-id bit and
    // write access for others are not carried over.
    use std::os::unix::fs::PermissionsExt;
    let scan = uploads.join("2016/scan.png");
    std::fs::set_permissions(&scan, std::fs::Permissions::from_mode(0o6777)).expect("a crafted mode");
    let output = site.run(&["restore", &backup.to_string_lossy()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let restored = std::fs::metadata(site.root.path().join("static/uploads/2016/scan.png")).expect("the upload");
    assert_eq!(restored.permissions().mode() & 0o7777, 0o755, "no set-user-id file, none anyone may change");
    let in_place = |files: BTreeMap<String, String>| -> BTreeMap<String, String> {
        files
            .into_iter()
            .filter(|(name, _)| name.starts_with("content/") || name.starts_with("static/uploads/"))
            .collect()
    };
    assert_eq!(in_place(site.files()), in_place(files), "the backup holds the site as it was");
}

#[tokio::test]
async fn a_restore_that_fails_part_way_leaves_the_live_site_as_it_was() {
    let site = Site::start().await;
    if !site.is_sqlite() {
        return; // On PostgreSQL, pg_restore --single-transaction is all or nothing itself.
    }
    let backups = tempfile::tempdir().expect("a folder for backups");
    let backup = backups.path().join("nightly");
    site.back_up(&backup).await;
    // The site lives on after the backup: a newer question, a newer page.
    site.app.insert_comment(SLUG, healthblog::domain::CommentStatus::Approved, "Cleo");
    std::fs::write(site.root.path().join("content/pages/newer.md"), "+++\ntitle = \"Newer\"\n+++\nNewer.\n")
        .expect("a page");
    let (files, comments) = (site.files(), site.stored_comments());
    assert_eq!(comments, 3);

    // The last folder to copy cannot be read: everything before it would be in place already.
    std::fs::remove_dir_all(backup.join("uploads")).expect("the uploads go");
    let output = site.run(&["restore", &backup.to_string_lossy()]).await;
    let said = text(&output.stderr);
    assert!(!output.status.success(), "{}", text(&output.stdout));
    site.assert_unchanged(&files, comments);
    assert!(said.contains("uploads") && said.contains("nothing was changed"), "{said}");
}

#[tokio::test]
async fn a_backup_whose_database_is_empty_is_refused_and_the_site_keeps_its_comments() {
    let site = Site::start().await;
    let backups = tempfile::tempdir().expect("a folder for backups");
    let backup = backups.path().join("nightly");
    site.back_up(&backup).await;
    site.app.insert_comment(SLUG, healthblog::domain::CommentStatus::Approved, "Cleo");
    let (files, comments) = (site.files(), site.stored_comments());
    if !site.is_sqlite() {
        // The database is pg_restore's, which refuses a dump cut short and changes nothing.
        let dump = backup.join("healthblog.dump");
        let whole = std::fs::read(&dump).expect("the dump");
        std::fs::write(&dump, &whole[..whole.len() / 2]).expect("cut short");
        let output = site.run(&["restore", &backup.to_string_lossy()]).await;
        assert!(output.status.success(), "the folders are put back: {}", text(&output.stderr));
        let refused = run_printed_line(&text(&output.stdout), "pg_restore ").await;
        assert!(!refused.status.success(), "pg_restore refuses the dump");
        assert_eq!(site.stored_comments(), comments, "the site keeps its comments");
        return;
    }
    let database = backup.join("healthblog.db");
    let snapshot = std::fs::read(&database).expect("the snapshot");

    // Emptied, under today's manifest.
    std::fs::write(&database, b"").expect("emptied");
    let output = site.run(&["restore", &backup.to_string_lossy()]).await;
    let said = text(&output.stderr);
    assert!(!output.status.success(), "{}", text(&output.stdout));
    assert!(said.contains("healthblog.db") && said.contains("nothing was changed"), "{said}");
    site.assert_unchanged(&files, comments);

    // Emptied, under a manifest of the first format, which records only the comments.
    let first_format = "format = 1\nhealthblog_version = \"0.1.0\"\ncreated_at = \"2026-11-24T03:00:00Z\"\n\
         database = \"healthblog.db\"\ncontent = \"content\"\nuploads = \"uploads\"\ncomments = 2\n";
    std::fs::write(backup.join("manifest.toml"), first_format).expect("an older manifest");
    let output = site.run(&["restore", &backup.to_string_lossy()]).await;
    let said = text(&output.stderr);
    assert!(!output.status.success(), "{}", text(&output.stdout));
    assert!(said.contains("promises 2 rows in `comments`") && said.contains("nothing was changed"), "{said}");
    site.assert_unchanged(&files, comments);

    // The whole snapshot under the older manifest is still a backup that restores.
    std::fs::write(&database, &snapshot).expect("the snapshot is back");
    let output = site.run(&["restore", &backup.to_string_lossy()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(site.stored_comments(), 2, "the backup's two comments are the site's now");
}

#[tokio::test]
async fn backup_copies_no_symbolic_link_and_names_each_one_it_left_out() {
    let site = Site::start().await;
    let outside = Outside::new();
    let uploads = site.root.path().join("static/uploads");
    std::os::unix::fs::symlink(outside.key(), uploads.join("2016/key.png")).expect("a link");
    std::os::unix::fs::symlink(outside.dir.path(), uploads.join("private")).expect("a link");
    std::os::unix::fs::symlink(outside.key(), site.root.path().join("content/key.txt")).expect("a link");

    let backups = tempfile::tempdir().expect("a folder for backups");
    let backup = backups.path().join("nightly");
    let output = site.run(&["backup", &backup.to_string_lossy()]).await;
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    let said = text(&output.stderr);
    for name in ["uploads/2016/key.png", "uploads/private", "content/key.txt"] {
        assert!(said.contains(&format!("left out {name}: a symbolic link")), "{name}: {said}");
    }
    let copied = files_under(&backup);
    assert!(copied.contains_key("uploads/2016/scan.png"), "the plain files are copied: {:?}", copied.keys());
    let leaked: Vec<&String> = copied
        .iter()
        .filter(|(_, text)| text.contains(SECRET) || text.starts_with("-> "))
        .map(|(name, _)| name)
        .collect();
    assert!(leaked.is_empty(), "neither the key nor a link is in the backup: {leaked:?}");
}
