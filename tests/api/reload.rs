//! `healthblog serve` reloads the articles on SIGHUP, and keeps the ones it
//! has when the new files are broken. Runs the real binary; it says in its
//! log when each reload is done, and the test waits for that line.

use crate::helpers::Content;
use crate::server::{wait_for, Server};

fn post(title: &str) -> String {
    format!("title = \"{title}\"\ndate = 2024-01-01")
}

#[tokio::test]
async fn sighup_reloads_the_articles_and_a_broken_file_keeps_the_old_ones() {
    let content = Content::new().post("dose", &post("Old title"), "Body.");
    let data = tempfile::tempdir().expect("a data folder");
    let mut server = Server::start(&content.path(), data.path(), &Server::sqlite_url(data.path()));
    assert_eq!(server.title_of("dose").await, "Old title");

    let content = content.post("dose", &post("New title"), "Body.");
    server.hang_up();
    wait_for(&mut server.log, "reloaded the articles");
    assert_eq!(server.title_of("dose").await, "New title");

    let content = content.post("dose", "title = \"Broken\"\ndate = 2024-01-01\ncolour = \"red\"", "Body.");
    server.hang_up();
    let line = wait_for(&mut server.log, "kept the current articles");
    assert!(line.contains("dose.md:4: front matter: unknown key `colour`"), "{line}");
    assert_eq!(server.title_of("dose").await, "New title");
    drop(content);
}

#[tokio::test]
async fn sighup_reloads_the_pages_too() {
    let content = Content::new().post("dose", &post("Dose"), "Body.");
    let data = tempfile::tempdir().expect("a data folder");
    let server = Server::start(&content.path(), data.path(), &Server::sqlite_url(data.path()));
    let status = |path: &'static str| {
        let url = format!("{}{path}", server.address);
        async move { reqwest::get(url).await.expect("GET").status().as_u16() }
    };
    assert_eq!(status("/contact").await, 404);

    let content = content.page("contact", &post("Contact"), "Write to the clinic.");
    server.hang_up();
    let mut server = server;
    wait_for(&mut server.log, "reloaded the articles");
    let page = reqwest::get(format!("{}/contact", server.address)).await.expect("GET");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.expect("a body").contains("Write to the clinic."));
    drop(content);
}

/// A database both servers of a test share: SQLite or the test PostgreSQL.
fn shared_database(data: &std::path::Path) -> String {
    match crate::helpers::fresh_database_url(data) {
        url if url.starts_with("sqlite://") => Server::sqlite_url(data),
        url => url,
    }
}

/// `healthblog reload`, as an operator runs it after changing `content`.
fn run_reload(content: &Content, data: &std::path::Path, database_url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_healthblog"))
        .arg("reload")
        .env("HEALTHBLOG_CONTENT_DIR", content.path())
        .env("HEALTHBLOG_DATABASE_URL", database_url)
        .env("HEALTHBLOG_DATA_DIR", data)
        .env_remove("HEALTHBLOG_CONFIG")
        .current_dir(crate::helpers::repo_path(""))
        .output()
        .expect("healthblog reload runs")
}

#[tokio::test]
async fn healthblog_reload_and_a_sighup_to_one_instance_reach_every_instance_on_the_database() {
    let content = Content::new().post("dose", &post("Old title"), "Body.");
    let data = tempfile::tempdir().expect("a data folder");
    let database_url = shared_database(data.path());
    let mut a = Server::start(&content.path(), data.path(), &database_url);
    let mut b = Server::start(&content.path(), data.path(), &database_url);

    let content = content.post("dose", &post("New title"), "Body.");
    let reload = run_reload(&content, data.path(), &database_url);
    assert!(reload.status.success(), "{}", String::from_utf8_lossy(&reload.stderr));
    wait_for(&mut a.log, "reloaded the articles");
    wait_for(&mut b.log, "reloaded the articles");
    assert_eq!((a.title_of("dose").await, b.title_of("dose").await), ("New title".into(), "New title".into()));

    // A SIGHUP to one instance reloads the other too.
    let content = content.post("dose", &post("Newest title"), "Body.");
    a.hang_up();
    wait_for(&mut a.log, "reloaded the articles");
    wait_for(&mut b.log, "reloaded the articles");
    assert_eq!(b.title_of("dose").await, "Newest title");

    // A broken folder is reported and reloads nothing.
    let content = content.post("dose", "title = \"Broken\"\ndate = 2024-01-01\ncolour = \"red\"", "Body.");
    let refused = run_reload(&content, data.path(), &database_url);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stdout).contains("unknown key `colour`"));
    drop(content);
}
