//! The real `healthblog serve` binary in a process of its own, for tests of
//! what only a process shows: signals, its log, a crash.

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::helpers::repo_path;

/// The server process, ended with SIGKILL when dropped: dropping it mid-work
/// is a crash.
pub struct Server {
    child: Child,
    pub log: Lines<BufReader<ChildStderr>>,
    /// What it logged before it listened.
    pub start_log: Vec<String>,
    pub address: String,
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
    /// A database in `data` for a server on SQLite.
    pub fn sqlite_url(data: &Path) -> String {
        format!("sqlite://{}", data.join("blog.db").display())
    }

    /// Starts `healthblog serve` on `content`, keeping its files in `data`,
    /// on `database_url`, and waits until it listens.
    pub fn start(content: &Path, data: &Path, database_url: &str) -> Self {
        Self::start_with(content, data, database_url, &[])
    }

    /// `start`, with `settings` as extra `HEALTHBLOG_*` variables.
    pub fn start_with(content: &Path, data: &Path, database_url: &str, settings: &[(&str, &str)]) -> Self {
        let command = Self::command(&repo_path(""), &["serve"], content, data, database_url, settings);
        Self::spawn(command)
    }

    /// `healthblog ARGS` in `folder`, on `content`, `data` and `database_url`,
    /// with `settings` as extra `HEALTHBLOG_*` variables, its log piped.
    pub fn command(
        folder: &Path,
        args: &[&str],
        content: &Path,
        data: &Path,
        database_url: &str,
        settings: &[(&str, &str)],
    ) -> Command {
        let mut command = crate::helpers::healthblog_command();
        command
            .args(args)
            .current_dir(folder)
            .env("HEALTHBLOG_BIND", "127.0.0.1:0")
            .env("HEALTHBLOG_CONTENT_DIR", content)
            .env("HEALTHBLOG_DATA_DIR", data)
            .env("HEALTHBLOG_DATABASE_URL", database_url)
            .env("HEALTHBLOG_WORKERS", "1")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .envs(settings.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null());
        command
    }

    /// Starts `command` and waits until it listens.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command.spawn().expect("healthblog serve starts");
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
        let mut start_log = Vec::new();
        let line = loop {
            let line = log.next().expect("the server logs until it listens").expect("a log line");
            if line.contains("serving on http://") {
                break line;
            }
            start_log.push(line);
        };
        let start = line.find("http://").expect("an address");
        let address = line[start..].split_whitespace().next().expect("an address").to_owned();
        Self { child, log, start_log, address, stopped }
    }

    pub fn hang_up(&self) {
        let status = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status().expect("kill runs");
        assert!(status.success());
    }

    pub async fn title_of(&self, slug: &str) -> String {
        let body =
            reqwest::get(format!("{}/posts/{slug}", self.address)).await.expect("GET").text().await.expect("a body");
        let start = body.find("<h1>").expect("a heading") + 4;
        body[start..start + body[start..].find("</h1>").expect("the heading ends")].to_owned()
    }
}

/// Reads the log until a line contains `needle`, and returns that line.
pub fn wait_for(log: &mut Lines<BufReader<ChildStderr>>, needle: &str) -> String {
    for line in log.by_ref() {
        let line = line.expect("a log line");
        if line.contains(needle) {
            return line;
        }
    }
    panic!("the server ended before logging {needle:?}");
}
