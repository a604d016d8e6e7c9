//! Nothing is acknowledged until it is stored: a write the database does
//! not keep is a 503 with the writer's text given back, `/healthz` says so,
//! and a database file deleted under the server is noticed. A form token
//! works once, and the rate limit holds under parallel posts.

use diesel::connection::SimpleConnection;
use healthblog::db::{AnyConnection, DatabaseUrl};
use healthblog::domain::CommentStatus;

use crate::admin::{answer, signed_in_app, Stored};
use crate::helpers::{comment_fields, csrf_token, posted_comment_id, set_field, spawn_app, textarea_text, TestApp};

const SLUG: &str = "oral-magnesium-for-migraine-prevention";

/// Makes every commit that wrote a row of `table` fail, the way a full disk
/// or read-only files make SQLite's COMMIT fail: the statement itself works,
/// the commit does not.
fn refuse_commits_on(app: &TestApp, table: &str, event: &str) {
    app.with_db(|conn| match conn {
        AnyConnection::Sqlite(conn) => conn.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS commit_refusals (
                 user_id INTEGER REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED
             );
             CREATE TRIGGER refuse_{table}_commits AFTER {event} ON {table}
             BEGIN INSERT INTO commit_refusals VALUES (-1); END;"
        )),
        AnyConnection::Postgresql(conn) => conn.batch_execute(&format!(
            "CREATE OR REPLACE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
             CREATE CONSTRAINT TRIGGER refuse_{table}_commits AFTER {event} ON {table}
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();"
        )),
    })
    .expect("the commit-refusing trigger is installed");
}

fn allow_commits_on(app: &TestApp, table: &str) {
    app.with_db(|conn| match conn {
        AnyConnection::Sqlite(conn) => conn.batch_execute(&format!("DROP TRIGGER refuse_{table}_commits")),
        AnyConnection::Postgresql(conn) => {
            conn.batch_execute(&format!("DROP TRIGGER refuse_{table}_commits ON {table}"))
        }
    })
    .expect("the trigger is dropped");
}

/// A server that accepts instant posts, and its database file; `None` on
/// PostgreSQL.
async fn app_on_sqlite() -> Option<(TestApp, std::path::PathBuf)> {
    let app = spawn_app().await;
    let DatabaseUrl::Sqlite(path) = app.database.clone() else { return None };
    app.accept_instant_posts();
    Some((app, path))
}

fn question(body: &str) -> Vec<(String, String)> {
    let mut fields = comment_fields("Ann Reader", "ann@example.org", body);
    fields.push(("notify".into(), "on".into()));
    fields
}

#[tokio::test]
async fn a_comment_whose_commit_fails_comes_back_with_503_and_every_word() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    refuse_commits_on(&app, "comments", "INSERT");
    let fields = question("Does magnesium glycinate interact with my blood pressure tablets?");

    let page = app.post_comment(SLUG, &fields).await;

    assert_eq!(page.status, 503, "a comment that was not stored is not acknowledged:\n{}", page.body);
    assert!(page.header("retry-after").parse::<u32>().is_ok(), "it says when to try again");
    page.assert_contains(&["your comment could not be saved", "It was not posted"]);
    page.assert_form_keeps(&fields);
    assert!(app.stored_comments().is_empty(), "nothing is stored");

    allow_commits_on(&app, "comments");
    let again = app.post_comment(SLUG, &fields).await;
    let id = posted_comment_id(&again);
    assert_eq!(app.stored_comment(id).body_markdown, fields[3].1, "sent again, it is stored");
}

#[tokio::test]
async fn an_answer_whose_commit_fails_comes_back_with_503_and_the_text() {
    let (app, _) = signed_in_app().await;
    let question = Stored::default().insert(&app);
    refuse_commits_on(&app, "comments", "INSERT");

    let response = answer(&app, question, "Take it two hours apart from the tablet.", "/admin").await;

    assert_eq!(response.status, 503, "{}", response.body);
    response.assert_contains(&["could not be saved", "Nothing was"]);
    assert_eq!(textarea_text(&response.body, "body"), "Take it two hours apart from the tablet.");
    assert_eq!(app.stored_comments().len(), 1, "only the question is stored");
    assert_eq!(crate::admin::status_of(&app, question), CommentStatus::Pending, "approving it was undone too");
}

#[tokio::test]
async fn health_is_503_while_the_database_cannot_write_and_200_again_after() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status, 200);

    refuse_commits_on(&app, "heartbeat", "UPDATE");
    let health = app.get("/healthz").await;
    assert_eq!(health.status, 503, "{}", health.body);

    allow_commits_on(&app, "heartbeat");
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn a_database_file_deleted_under_the_server_refuses_writes_and_fails_health() {
    let Some((app, path)) = app_on_sqlite().await else {
        return; // Only SQLite keeps the database in a file the server opened.
    };
    assert_eq!(app.get("/healthz").await.status, 200);
    let form = app.get(&format!("/posts/{SLUG}")).await;

    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }

    let health = app.get("/healthz").await;
    assert_eq!(health.status, 503, "the deleted file is noticed:\n{}", health.body);
    let mut fields = question("Is it safe during pregnancy?");
    fields.push(("csrf_token".into(), csrf_token(&form.body)));
    let page = app.post_form(&format!("/posts/{SLUG}/comments"), &fields).await;
    assert_eq!(page.status, 503, "a comment written to a deleted file is not acknowledged:\n{}", page.body);
    page.assert_form_keeps(&fields);
}

#[tokio::test]
async fn a_comment_reaches_the_database_file_itself_within_seconds_of_its_commit() {
    let Some((app, path)) = app_on_sqlite().await else {
        return; // Only SQLite commits to a log that is copied back later.
    };
    let text = "Does the checkpoint copy this question into the file?";
    posted_comment_id(&app.post_comment(SLUG, &question(text)).await);

    // Committed to the log at once; copied into the file itself by the
    // server's own checkpoints, long before the log reaches the backstop.
    crate::helpers::eventually!(
        std::time::Duration::from_secs(5),
        "the comment is in the database file",
        (std::fs::read(&path).expect("the database file").windows(text.len()).any(|w| w == text.as_bytes()))
            .then_some(())
    );
}

/// An app where a reader has sent a first question; the form token that
/// question was sent with.
async fn a_question_sent() -> (TestApp, String) {
    let app = spawn_app().await;
    app.accept_instant_posts();
    let form = app.get(&format!("/posts/{SLUG}")).await;
    let token = csrf_token(&form.body);
    let mut first = question("First question");
    first.push(("csrf_token".into(), token.clone()));
    posted_comment_id(&app.post_form(&format!("/posts/{SLUG}/comments"), &first).await);
    (app, token)
}

#[tokio::test]
async fn a_form_token_is_spent_by_the_comment_it_sent() {
    let (app, token) = a_question_sent().await;

    let mut second = question("A second question with the same, spent form");
    second.push(("csrf_token".into(), token));
    let refused = app.post_form(&format!("/posts/{SLUG}/comments"), &second).await;

    assert_eq!(refused.status, 409, "{}", refused.body);
    refused.assert_contains(&["This form was already used to send a comment"]);
    refused.assert_form_keeps(&second);
    assert_eq!(app.stored_comments().len(), 1, "the spent token stored nothing");
    let fresh = csrf_token(&refused.body);
    set_field(&mut second, "csrf_token", &fresh);
    posted_comment_id(&app.post_form(&format!("/posts/{SLUG}/comments"), &second).await);
}

#[tokio::test]
async fn a_spent_form_token_cannot_be_sent_again_in_another_spelling() {
    let (app, token) = a_question_sent().await;

    for respelled in [format!("+{token}"), format!("0{token}"), format!("00{token}")] {
        let mut again = question("The same form, sent again with its token respelled");
        again.push(("csrf_token".into(), respelled.clone()));
        let refused = app.post_form(&format!("/posts/{SLUG}/comments"), &again).await;
        assert!(refused.status >= 400, "{respelled}: {} {}", refused.status, refused.body);
        refused.assert_form_keeps(&again);
    }
    assert_eq!(app.stored_comments().len(), 1, "no respelled token stored a comment");
}

#[tokio::test]
async fn parallel_posts_from_one_address_stop_at_the_rate_limit() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    app.set_rule("rate_limit_per_minute", "5");
    // Every post gets a form of its own, as twenty open tabs would.
    let mut posts = Vec::new();
    for n in 0..20 {
        let form = app.get(&format!("/posts/{SLUG}")).await;
        let mut fields = question(&format!("Question number {n} from one address"));
        fields.push(("csrf_token".into(), csrf_token(&form.body)));
        posts.push(fields);
    }

    let mut sending = tokio::task::JoinSet::new();
    for fields in posts {
        let (client, url) = (app.client.clone(), format!("{}/posts/{SLUG}/comments", app.address));
        sending.spawn(async move { client.post(url).form(&fields).send().await.expect("POST succeeds").status() });
    }
    let statuses: Vec<u16> = sending.join_all().await.into_iter().map(|s| s.as_u16()).collect();

    let accepted = statuses.iter().filter(|&&s| s == 303).count();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((accepted, limited), (5, 15), "{statuses:?}");
    assert_eq!(app.stored_comments().len(), 5, "exactly the limit is stored");
}

#[tokio::test]
async fn the_desk_approves_every_comment_while_readers_post_at_the_same_time() {
    const APPROVERS: usize = 3;
    const APPROVALS_EACH: usize = 20;
    const READERS: usize = 2;
    const POSTS_EACH: usize = 30;
    let (app, _) = signed_in_app().await;
    app.accept_instant_posts();
    app.set_rule("rate_limit_per_minute", "1000");
    let waiting: Vec<_> = (0..APPROVERS * APPROVALS_EACH)
        .map(|n| Stored { body: &format!("Waiting question {n}"), ..Stored::default() }.insert(&app))
        .collect();
    let token = crate::admin::desk_token(&app).await;
    let mut work = tokio::task::JoinSet::new();
    for ids in waiting.chunks(APPROVALS_EACH) {
        let (desk, address, token, ids) = (app.client.clone(), app.address.clone(), token.clone(), ids.to_vec());
        work.spawn(async move {
            let mut answers = Vec::new();
            for id in ids {
                let form = [("action", "approve"), ("csrf_token", token.as_str()), ("return_to", "/admin/comments")];
                let sent = desk.post(format!("{address}/admin/comments/{id}/moderate")).form(&form).send().await;
                answers.push(("approve", sent.expect("POST succeeds").status().as_u16()));
            }
            answers
        });
    }
    for reader in 0..READERS {
        let (browser, address) = (crate::helpers::new_browser(), app.address.clone());
        work.spawn(async move {
            let mut answers = Vec::new();
            for n in 0..POSTS_EACH {
                let form = browser.get(format!("{address}/posts/{SLUG}")).send().await.expect("GET succeeds");
                let form = form.text().await.expect("a page");
                let mut fields = comment_fields(
                    &format!("Reader {reader}"),
                    "reader@example.org",
                    &format!("Reader {reader}, question {n}?"),
                );
                fields.push(("csrf_token".into(), csrf_token(&form)));
                let sent = browser.post(format!("{address}/posts/{SLUG}/comments")).form(&fields).send().await;
                answers.push(("post", sent.expect("POST succeeds").status().as_u16()));
            }
            answers
        });
    }
    let answers: Vec<(&str, u16)> = work.join_all().await.into_iter().flatten().collect();

    let refused: Vec<_> = answers.iter().filter(|(_, status)| *status != 303).collect();
    assert!(refused.is_empty(), "{} of {} requests refused: {refused:?}", refused.len(), answers.len());
    let approved = waiting.iter().filter(|&&id| crate::admin::status_of(&app, id) == CommentStatus::Approved);
    assert_eq!(approved.count(), waiting.len(), "every approval is stored");
    assert_eq!(app.stored_comments().len(), waiting.len() + READERS * POSTS_EACH, "every question is stored");
}

#[tokio::test]
async fn the_server_will_not_start_on_a_database_folder_it_cannot_write() {
    if std::env::var("TEST_DATABASE").as_deref() == Ok("postgres") {
        return; // The folder matters to SQLite only.
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let folder = dir.path().join("data");
    std::fs::create_dir(&folder).expect("the data folder");
    let locked = ReadOnlyFolder::new(&folder);
    let mut settings = crate::helpers::test_settings(dir.path());
    settings.database_url = format!("sqlite://{}", folder.join("blog.db").display());

    let refused = healthblog::startup::Application::build(settings).await;

    let error = format!("{:#}", refused.err().expect("the server refuses to start"));
    assert!(error.contains("is not writable"), "{error}");
    assert!(error.contains(&folder.display().to_string()), "the error names the folder: {error}");
    drop(locked);
}

/// A folder nobody may write to, not even root (which ignores permission
/// bits, so the folder is also made immutable), until dropped.
struct ReadOnlyFolder<'a>(&'a std::path::Path);

impl<'a> ReadOnlyFolder<'a> {
    fn new(folder: &'a std::path::Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        if can_write(folder) {
            let status = std::process::Command::new("chattr").arg("+i").arg(folder).status();
            assert!(status.is_ok_and(|s| s.success()), "chattr +i makes the folder read-only for root");
        }
        assert!(!can_write(folder), "the folder is read-only now");
        Self(folder)
    }
}

impl Drop for ReadOnlyFolder<'_> {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::process::Command::new("chattr").arg("-i").arg(self.0).status();
        let _ = std::fs::set_permissions(self.0, std::fs::Permissions::from_mode(0o755));
    }
}

fn can_write(folder: &std::path::Path) -> bool {
    let probe = folder.join("probe");
    let written = std::fs::write(&probe, b"x").is_ok();
    let _ = std::fs::remove_file(probe);
    written
}

#[tokio::test]
async fn a_full_disk_gives_503_with_the_text_kept_until_space_is_freed() {
    if std::env::var("TEST_DATABASE").as_deref() == Ok("postgres") {
        return; // The SQLite file is the one on this machine's disk.
    }
    let Some(disk) = TinyDisk::mount() else {
        eprintln!("skipped: mounting a small tmpfs needs root (scripts/test runs as root in CI)");
        return;
    };
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.database_url = format!("sqlite://{}", disk.path().join("blog.db").display());
    })
    .await;
    app.accept_instant_posts();
    let form = app.get(&format!("/posts/{SLUG}")).await;
    // Once copied back into the file, the log's space is written over
    // again: a full disk shows when the log must grow, so it starts empty.
    app.with_db(|conn| conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")).expect("the log is emptied");
    let filler = disk.fill();

    let mut fields = question(&"Does the dose change with kidney disease? ".repeat(200));
    fields.push(("csrf_token".into(), csrf_token(&form.body)));
    let page = app.post_form(&format!("/posts/{SLUG}/comments"), &fields).await;
    assert_eq!(page.status, 503, "{}", page.body);
    page.assert_form_keeps(&fields);
    assert_eq!(app.get("/healthz").await.status, 503, "health says the disk is full");

    std::fs::remove_file(filler).expect("space is freed");
    assert_eq!(app.get("/healthz").await.status, 200);
    set_field(&mut fields, "csrf_token", &csrf_token(&page.body));
    let id = posted_comment_id(&app.post_form(&format!("/posts/{SLUG}/comments"), &fields).await);
    assert_eq!(app.stored_comments().iter().map(|c| c.id).collect::<Vec<_>>(), [id], "one comment, stored once");
}

/// A 4 MiB tmpfs, unmounted when dropped.
struct TinyDisk(tempfile::TempDir);

impl TinyDisk {
    fn mount() -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Self(dir))
    }

    fn path(&self) -> &std::path::Path {
        self.0.path()
    }

    /// Takes every free byte, and returns the file that holds them.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("a filler file");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let small = [0u8; 512];
        while file.write_all(&small).is_ok() {}
        let _ = file.flush();
        path
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}
