//! `kill -9` while readers post: every comment the server acknowledged is
//! still there after a restart, on either database.

use std::collections::HashMap;

use healthblog::db::{self, DatabaseUrl};
use healthblog::domain::CommentId;
use tokio::sync::mpsc;

use crate::helpers::{csrf_token, fresh_database_url, repo_path};
use crate::server::Server;

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
const WRITERS: usize = 4;
const POSTS_PER_WRITER: usize = 100;
/// The server is killed once this many comments were acknowledged.
const KILL_AFTER: usize = 40;

#[tokio::test]
async fn every_comment_acknowledged_before_a_kill_9_is_there_after_a_restart() {
    let data = tempfile::tempdir().expect("a data folder");
    let database_url = match fresh_database_url(data.path()) {
        url if url.starts_with("sqlite://") => Server::sqlite_url(data.path()),
        url => url,
    };
    let content = repo_path("content");
    let server = Server::start(&content, data.path(), &database_url);
    let pool = db::connect(&DatabaseUrl::parse(&database_url).expect("a URL"), 2).expect("a pool");
    {
        let mut conn = pool.get().expect("a connection");
        for (name, value) in
            [("moderation_policy", "approve_all"), ("min_seconds_to_submit", "0"), ("rate_limit_per_minute", "100000")]
        {
            db::settings::save(&mut conn, name, value).expect("the rule is stored");
        }
    }

    let (acks, mut acknowledged) = mpsc::unbounded_channel::<(CommentId, String)>();
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (address, acks) = (server.address.clone(), acks.clone());
        writers.spawn(async move { write_until_refused(&address, writer, acks).await });
    }
    drop(acks);

    let mut stored_before_kill = HashMap::new();
    let mut server = Some(server);
    while let Some((id, body)) = acknowledged.recv().await {
        stored_before_kill.insert(id, body);
        if stored_before_kill.len() == KILL_AFTER {
            drop(server.take()); // SIGKILL, with writes in flight.
        }
    }
    writers.join_all().await;
    assert!(stored_before_kill.len() >= KILL_AFTER, "the writers got {} answers", stored_before_kill.len());
    assert!(server.is_none(), "the server was killed under load");

    let restarted = Server::start(&content, data.path(), &database_url);
    let page =
        reqwest::get(format!("{}/posts/{SLUG}", restarted.address)).await.expect("GET").text().await.expect("a page");
    let mut conn = pool.get().expect("a connection");
    for (id, body) in &stored_before_kill {
        let stored = db::comments::find(&mut conn, *id).expect("the comments table answers");
        assert_eq!(stored.map(|c| c.body_markdown).as_deref(), Some(body.as_str()), "acknowledged comment {id}");
        assert!(page.contains(&format!("id=\"comment-{id}\"")), "comment {id} is on the page after the restart");
    }
}

/// Posts comments one after another until the server stops answering,
/// sending each acknowledged one (its id from the `Location`) to `acks`.
async fn write_until_refused(address: &str, writer: usize, acks: mpsc::UnboundedSender<(CommentId, String)>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("an HTTP client");
    for n in 0..POSTS_PER_WRITER {
        let Ok(form) = client.get(format!("{address}/posts/{SLUG}")).send().await else { return };
        let Ok(form) = form.text().await else { return };
        if !form.contains("name=\"csrf_token\"") {
            return; // The page was cut off by the kill.
        }
        let body = format!("Question {n} from writer {writer}: does the dose depend on body weight?");
        let fields = [
            ("author_name", format!("Writer {writer}")),
            ("author_email", format!("writer{writer}@example.org")),
            ("consent", "on".to_owned()),
            ("author_url", String::new()),
            ("body", body.clone()),
            ("parent_id", String::new()),
            ("csrf_token", csrf_token(&form)),
        ];
        let Ok(response) = client.post(format!("{address}/posts/{SLUG}/comments")).form(&fields).send().await else {
            return;
        };
        if response.status() != 303 {
            return;
        }
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let id = location.rsplit_once("#comment-").and_then(|(_, id)| id.parse().ok()).expect("a comment permalink");
        if acks.send((id, body)).is_err() {
            return;
        }
    }
}

/// `healthblog serve` whose log goes to a full disk (`/dev/full`): it starts,
/// answers, and stores comments, losing only its log lines.
#[tokio::test]
async fn a_log_that_cannot_be_written_loses_its_lines_not_the_readers_requests() {
    let data = tempfile::tempdir().expect("a data folder");
    let database_url = match fresh_database_url(data.path()) {
        url if url.starts_with("sqlite://") => Server::sqlite_url(data.path()),
        url => url,
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its port").port();
    let bind = format!("127.0.0.1:{port}");
    let mut command = Server::command(
        &repo_path(""),
        &["serve"],
        &repo_path("content"),
        data.path(),
        &database_url,
        &[("HEALTHBLOG_BIND", &bind)],
    );
    command.stderr(std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full"));
    let mut child = command.spawn().expect("healthblog serve starts");
    let address = format!("http://{bind}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("an HTTP client");
    crate::helpers::eventually!(std::time::Duration::from_secs(60), "the server listens", {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server ended with {status} when its log could not be written");
        }
        client.get(format!("{address}/healthz")).send().await.is_ok_and(|r| r.status() == 200).then_some(())
    });

    let pool = db::connect(&DatabaseUrl::parse(&database_url).expect("a URL"), 1).expect("a pool");
    db::settings::save(&mut pool.get().expect("a connection"), "min_seconds_to_submit", "0").expect("stored");
    let form = client.get(format!("{address}/posts/{SLUG}")).send().await.expect("GET").text().await.expect("a page");
    let body = "Does the answer still come when the log disk is full?";
    let fields = [
        ("author_name", "Ann Reader"),
        ("author_email", "ann@example.org"),
        ("consent", "on"),
        ("body", body),
        ("csrf_token", &csrf_token(&form)),
    ];
    let answer = client.post(format!("{address}/posts/{SLUG}/comments")).form(&fields).send().await.expect("answered");
    assert_eq!(answer.status(), 303, "the comment is acknowledged");
    let location = answer.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let id: i32 = location.rsplit_once("#comment-").and_then(|(_, id)| id.parse().ok()).expect("the comment's id");
    let stored = db::comments::find(&mut pool.get().expect("a connection"), CommentId(id)).expect("the table answers");
    assert_eq!(stored.map(|comment| comment.body_markdown).as_deref(), Some(body), "and stored");
    assert!(child.try_wait().expect("the process").is_none(), "the server still runs");
    let _ = child.kill();
    let _ = child.wait();
}
