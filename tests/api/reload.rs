//! `healthblog serve` reloads the articles on SIGHUP, and keeps the ones it
//! has when the new files are broken. Runs the real binary; it says in its
//! log when each reload is done, and the test waits for that line.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::helpers::{repo_path, Content};

/// The server process, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) log: Lines<BufReader<ChildStderr>>,
    pub(crate) address: String,
    /// Tells the watchdog the process is gone, so that it never kills a
    /// later process that got the same id.
    stopped: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stopped.store(true, Ordering::SeqCst);
    }
}

impl Server {
    fn start(content: &Content, data: &std::path::Path) -> Self {
        Self::start_with(content, data, &[])
    }

    /// Starts `healthblog serve` with `settings` as extra `HEALTHBLOG_*` variables.
    pub(crate) fn start_with(content: &Content, data: &std::path::Path, settings: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_healthblog"))
            .arg("serve")
            .current_dir(repo_path(""))
            .env("HEALTHBLOG_BIND", "127.0.0.1:0")
            .env("HEALTHBLOG_CONTENT_DIR", content.path())
            .env("HEALTHBLOG_DATA_DIR", data)
            .env("HEALTHBLOG_DATABASE_URL", format!("sqlite://{}", data.join("blog.db").display()))
            .env("HEALTHBLOG_WORKERS", "1")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .envs(settings.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("healthblog serve starts");
        // A watchdog, not a synchronisation: should the server never log
        // what a test waits for, it is ended and the test fails instead of
        // hanging.
        let pid = child.id().to_string();
        let stopped = Arc::new(AtomicBool::new(false));
        let watched = Arc::clone(&stopped);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(120));
            if !watched.load(Ordering::SeqCst) {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
            }
        });
        let mut log = BufReader::new(child.stderr.take().expect("the log")).lines();
        let line = wait_for(&mut log, "serving on http://");
        let start = line.find("http://").expect("an address");
        let address = line[start..].split_whitespace().next().expect("an address").to_owned();
        Self { child, log, address, stopped }
    }

    fn hang_up(&self) {
        let status = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status().expect("kill runs");
        assert!(status.success());
    }

    async fn title_of(&self, slug: &str) -> String {
        let body =
            reqwest::get(format!("{}/posts/{slug}", self.address)).await.expect("GET").text().await.expect("a body");
        let start = body.find("<h1>").expect("a heading") + 4;
        body[start..start + body[start..].find("</h1>").expect("the heading ends")].to_owned()
    }
}

/// Reads the log until a line contains `needle`, and returns that line.
pub(crate) fn wait_for(log: &mut Lines<BufReader<ChildStderr>>, needle: &str) -> String {
    for line in log.by_ref() {
        let line = line.expect("a log line");
        if line.contains(needle) {
            return line;
        }
    }
    panic!("the server ended before logging {needle:?}");
}

fn post(title: &str) -> String {
    format!("title = \"{title}\"\ndate = 2024-01-01")
}

#[tokio::test]
async fn sighup_reloads_the_articles_and_a_broken_file_keeps_the_old_ones() {
    let content = Content::new().post("dose", &post("Old title"), "Body.");
    let data = tempfile::tempdir().expect("a data folder");
    let mut server = Server::start(&content, data.path());
    assert_eq!(server.title_of("dose").await, "Old title");

    let content = content.post("dose", &post("New title"), "Body.");
    server.hang_up();
    wait_for(&mut server.log, "reloaded the articles");
    assert_eq!(server.title_of("dose").await, "New title");

    let content = content.post("dose", "title = \"Broken\"\ndate = 2024-01-01\ncolour = \"red\"", "Body.");
    server.hang_up();
    let line = wait_for(&mut server.log, "kept the current articles");
    assert!(line.contains("dose.md:4: front matter: unknown field `colour`"), "{line}");
    assert_eq!(server.title_of("dose").await, "New title");
    drop(content);
}
