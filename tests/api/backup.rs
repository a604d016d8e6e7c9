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
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_healthblog"));
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("HEALTHBLOG_")) {
            command.env_remove(name);
        }
        command.args(&args).current_dir(dir.path()).env("RUST_LOG", "warn");
        command.envs(settings).output().expect("the healthblog binary runs")
    })
    .await
    .expect("the command ran")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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

            let restored_db = restored_site.path().join("data/healthblog.db");
            let target = [
                ("HEALTHBLOG_DATABASE_URL", Path::new(&format!("sqlite://{}", restored_db.display())).to_owned()),
                ("HEALTHBLOG_CONTENT_DIR", restored_site.path().join("content")),
                ("HEALTHBLOG_STATIC_DIR", restored_site.path().join("static")),
            ];
            let target: Vec<(&str, &Path)> = target.iter().map(|(k, v)| (*k, v.as_path())).collect();
            let output = healthblog(&["restore", &backup_dir.to_string_lossy()], &target).await;
            assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
            assert!(text(&output.stdout).contains("Restart the server"), "{}", text(&output.stdout));
            assert_eq!(
                std::fs::read(restored_site.path().join("static/uploads/2016/scan.png")).expect("the upload is back"),
                b"not really a png"
            );

            // Restoring over a site keeps what was there, however quickly it is done again.
            for _ in 0..2 {
                let output = healthblog(&["restore", &backup_dir.to_string_lossy()], &target).await;
                assert!(output.status.success(), "{}", text(&output.stderr));
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
            format!("sqlite://{}", restored_db.display())
        }
        DatabaseUrl::Postgres(_) => {
            // What `healthblog backup` prints is what the user runs.
            let output = healthblog(&["backup", &backup_dir.to_string_lossy()], &site).await;
            assert!(!output.status.success(), "nothing is written on PostgreSQL");
            let commands = text(&output.stdout);
            assert!(text(&output.stderr).contains("this site runs on PostgreSQL"), "{}", text(&output.stderr));
            std::fs::create_dir(&backup_dir).expect("the backup folder");
            run_printed(&commands, "pg_dump ").await;
            let during = comment_texts(&app).len();
            assert!(writers.stop().await > BEFORE);
            assert!(during > before.len(), "readers kept commenting during the backup");

            let url = fresh_database_url(restored_site.path());
            let output = healthblog(
                &["restore", &backup_dir.to_string_lossy()],
                &[("HEALTHBLOG_DATABASE_URL", Path::new(&url))],
            )
            .await;
            assert!(!output.status.success());
            run_printed(&text(&output.stdout), "pg_restore ").await;
            url
        }
    };

    let restored_content = match &app.database {
        DatabaseUrl::Sqlite(_) => restored_site.path().join("content"),
        DatabaseUrl::Postgres(_) => repo_path("content"),
    };
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

/// Runs the line of `commands` that starts with `program`, as a user would paste it.
async fn run_printed(commands: &str, program: &str) {
    let line = commands
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(program))
        .unwrap_or_else(|| panic!("a {program}command in:\n{commands}"))
        .to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh").arg("-c").arg(&line).output().expect("sh runs")
    })
    .await
    .expect("the command ran");
    assert!(output.status.success(), "{}", text(&output.stderr));
}
