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
