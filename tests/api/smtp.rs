//! A real SMTP server on loopback for one test: aiosmtpd with its Maildir
//! handler (`scripts/test` installs it and sets `TEST_SMTP_PYTHON`). Tests
//! read what it delivered, as a person reads their inbox, and may stop and
//! start it again on the same port.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a test waits for mail it expects.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(20);

pub struct SmtpServer {
    pub port: u16,
    maildir: TempDir,
    process: Option<std::process::Child>,
    /// The aiosmtpd handler, `module.Class` under `tests/fixtures/smtp`.
    handler: &'static str,
}

const REFUSING: &str = "refusing.RefusingMailbox";

/// One delivered email.
pub struct Delivered {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub headers: Vec<(String, String)>,
}

impl Delivered {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first link in the text part that starts with `prefix`
    /// (e.g. `http://blog.test/mail/confirm/`), as a path for the test app.
    #[track_caller]
    pub fn link(&self, prefix: &str) -> String {
        let start = self.text.find(prefix).unwrap_or_else(|| panic!("a link {prefix}… in:\n{}", self.text));
        Self::path_of(&self.text[start..])
    }

    /// The path of the link written after `label` (e.g. "Answer: ").
    pub fn link_after(&self, label: &str) -> String {
        let start = self.text.find(label).unwrap_or_else(|| panic!("{label}… in:\n{}", self.text)) + label.len();
        Self::path_of(&self.text[start..])
    }

    /// The first word of `text`, a link, without the site's address.
    fn path_of(text: &str) -> String {
        let end = text.find(|c: char| c.is_whitespace()).unwrap_or(text.len());
        text[..end].trim_start_matches("http://blog.test").to_owned()
    }
}

impl SmtpServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let maildir = tempfile::tempdir().expect("a mail folder");
        let mut server = Self { port, maildir, process: None, handler: REFUSING };
        server.resume();
        server
    }

    /// A server that takes each message and then never answers `QUIT`, as
    /// one slow to hang up; `quits_asked` counts the goodbyes it was sent.
    pub fn slow_to_quit() -> Self {
        let mut server = Self::down();
        server.handler = "slow_quit.SlowQuitMailbox";
        server.resume();
        server
    }

    /// How many times a client said `QUIT` to a server `slow_to_quit`.
    pub fn quits_asked(&self) -> usize {
        std::fs::read_to_string(self.maildir.path().join("quits")).map_or(0, |quits| quits.lines().count())
    }

    /// Restarts the server on its port, with its mail, answering as servers do.
    pub fn restart_answering_quit(&mut self) {
        self.stop();
        self.handler = REFUSING;
        self.resume();
    }

    /// A port nobody listens on, for a server that is down from the start.
    pub fn down() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        Self { port, maildir: tempfile::tempdir().expect("a mail folder"), process: None, handler: REFUSING }
    }

    /// (Re)starts the server on its port, returning once it accepts.
    pub fn resume(&mut self) {
        assert!(self.process.is_none(), "the SMTP server already runs");
        let python = std::env::var("TEST_SMTP_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        // The handler is aiosmtpd's Maildir one, refusing addresses that
        // start with "nobody" as a real server refuses an unknown mailbox.
        let child = std::process::Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", self.port)])
            .args(["-c", self.handler])
            .env("PYTHONPATH", crate::helpers::repo_path("tests/fixtures/smtp"))
            .arg(self.maildir_path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{python} -m aiosmtpd starts (scripts/test installs it): {e}"));
        self.process = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(15), "the SMTP server listens within 15 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server: deliveries fail until `resume`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn maildir_path(&self) -> PathBuf {
        self.maildir.path().join("Maildir")
    }

    /// Every message delivered so far, oldest first.
    pub fn delivered(&self) -> Vec<Delivered> {
        let dir = self.maildir_path().join("new");
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), e.path()))
                .collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        files.iter().map(|(_, path)| parse(path)).collect()
    }

    /// Waits until `count` messages to `to` were delivered and returns them.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Delivered> {
        let what = format!("{count} message(s) to {to} are delivered");
        crate::helpers::eventually!(DELIVERY_DEADLINE, what, {
            let found: Vec<Delivered> = self.delivered().into_iter().filter(|m| m.to.contains(to)).collect();
            (found.len() >= count).then_some(found)
        })
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn parse(path: &Path) -> Delivered {
    let raw = std::fs::read(path).expect("a delivered message is readable");
    let message = mail_parser::MessageParser::default().parse(&raw).expect("a delivered message parses");
    let headers = message
        .headers_raw()
        .map(|(name, value)| (name.to_owned(), value.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect();
    Delivered {
        to: message.to().and_then(|to| to.first()).and_then(|a| a.address()).unwrap_or_default().to_owned(),
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: message.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        message_id: message.message_id().unwrap_or_default().to_owned(),
        headers,
    }
}
