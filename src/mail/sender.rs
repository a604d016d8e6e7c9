//! Delivers the outbox. Each instance runs one sender: it claims due
//! messages with a lease, composes each from what the database holds now,
//! hands it to the SMTP server (or writes it as an `.eml` file when no
//! server is configured), and records the outcome in the row. A refused
//! address is given up at once and shown in the desk; anything else (the
//! server down, a timeout) is tried again later, waiting longer each time.
//!
//! The row is marked sent as soon as the server has taken the message (its
//! "OK" to the end of the data), before the sender says goodbye (`QUIT`),
//! which a slow server may take long to answer. Delivery is still at least
//! once: a sender killed between that "OK" and the row's update leaves a
//! row that is sent again when its lease runs out. Its `Message-ID` is the
//! same both times, so mail clients show one.

use std::path::PathBuf;
use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use super::compose::{self, Composed, Site};
use super::outbox::{self, Message};
use crate::config::{MailSecurity, MailSettings, Settings};
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::db::AnyConnection;

/// How long a claimed message is this sender's alone: far longer than one
/// delivery may take (the SMTP timeout below).
const LEASE: Duration = Duration::minutes(2);
const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(30);
/// How long the server may take to answer the goodbye of a message it took.
const QUIT_TIMEOUT: StdDuration = StdDuration::from_secs(5);
/// Messages claimed at a time.
const BATCH: i64 = 20;
/// The longest wait between two tries of one message.
const MAX_BACKOFF_SECS: i64 = 3600;

/// Where mail goes.
pub enum Transport {
    Smtp(Box<SmtpServer>),
    /// No mail server configured: each message becomes a file here.
    Folder(PathBuf),
}

/// The mail server of the `[mail]` settings, one connection per message.
pub struct SmtpServer {
    host: String,
    port: u16,
    /// TLS from the first byte (`security = "tls"`).
    wrapped: Option<TlsParameters>,
    /// TLS after `STARTTLS` (`security = "starttls"`).
    starttls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    /// This machine's name, in `EHLO`.
    hello: ClientId,
}

impl SmtpServer {
    fn new(settings: &MailSettings, host: &str) -> anyhow::Result<Self> {
        let tls = || TlsParameters::new(host.to_owned()).with_context(|| format!("setting up TLS to {host}"));
        let (wrapped, starttls) = match settings.security {
            MailSecurity::None => (None, None),
            MailSecurity::Starttls => (None, Some(tls()?)),
            MailSecurity::Tls => (Some(tls()?), None),
        };
        let credentials = match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.clone())),
            _ => None,
        };
        Ok(Self {
            host: host.to_owned(),
            port: settings.port(),
            wrapped,
            starttls,
            credentials,
            hello: ClientId::default(),
        })
    }

    /// Connects, says hello, and signs in: ready for a message.
    fn connect(&self) -> Result<SmtpConnection, lettre::transport::smtp::Error> {
        let address = (self.host.as_str(), self.port);
        let mut connection =
            SmtpConnection::connect(address, Some(SMTP_TIMEOUT), &self.hello, self.wrapped.as_ref(), None)?;
        if let Some(tls) = &self.starttls {
            connection.starttls(tls, &self.hello)?;
        }
        if let Some(credentials) = &self.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials)?;
        }
        Ok(connection)
    }
}

/// A message the transport has taken; `close` ends the conversation.
enum Handed {
    /// The server said "OK" to the message; `QUIT` is still to be said.
    Smtp(Box<SmtpConnection>),
    Written,
}

impl Handed {
    /// Says goodbye to the server. The message is the server's already,
    /// whatever it answers, or if it never does: the sender waits little.
    fn close(self) {
        if let Self::Smtp(mut connection) = self {
            let _ = connection.set_timeout(Some(QUIT_TIMEOUT));
            if let Err(error) = connection.quit() {
                tracing::debug!(%error, "the mail server did not answer QUIT");
            }
        }
    }
}

/// The site's way of sending mail, built once at start.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// The host part of `Message-ID`s.
    domain: String,
    retry: Duration,
    max_attempts: i32,
}

impl Mailer {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let mail = &settings.mail;
        let from: Mailbox = settings
            .mail_from()
            .parse()
            .or_else(|_| -> anyhow::Result<Mailbox> {
                // A site title with characters an unquoted name may not hold.
                let default = format!("blog@{}", host_of(settings.base_url()));
                Ok(Mailbox::new(Some(settings.site.title.clone()), default.parse()?))
            })
            .with_context(|| format!("[mail] from = {:?} is not an email address", settings.mail_from()))?;
        let transport = match mail.host.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            None => Transport::Folder(settings.data_dir.join("mail")),
            Some(host) => Transport::Smtp(Box::new(SmtpServer::new(mail, host)?)),
        };
        Ok(Self {
            transport,
            from,
            domain: host_of(settings.base_url()),
            retry: Duration::seconds(i64::try_from(mail.retry_seconds.max(1)).unwrap_or(60)),
            max_attempts: mail.max_attempts.max(1),
        })
    }

    /// Where mail goes, in words for the desk.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "sent through the SMTP server in the [mail] settings".into(),
            Transport::Folder(dir) => format!(
                "not sent: no mail server is configured ([mail] host), so each message is written as a file in {}",
                dir.display()
            ),
        }
    }

    pub fn writes_files(&self) -> bool {
        matches!(self.transport, Transport::Folder(_))
    }

    /// Delivers every due message; returns how many were sent.
    pub fn deliver_due(&self, conn: &mut AnyConnection, site: &Site) -> anyhow::Result<usize> {
        let mut sent = 0;
        loop {
            let now = crate::db::now();
            let batch = outbox::claim(conn, now, LEASE, BATCH).context("claiming messages to send")?;
            if batch.is_empty() {
                return Ok(sent);
            }
            for message in &batch {
                if self.deliver(conn, site, message)? {
                    sent += 1;
                }
            }
        }
    }

    /// Sends one claimed message and records what happened; true when sent.
    fn deliver(&self, conn: &mut AnyConnection, site: &Site, message: &Message) -> anyhow::Result<bool> {
        let composed = match compose::compose(conn, site, message) {
            Ok(Some(composed)) => composed,
            Ok(None) => {
                outbox::cancel(conn, message.id)?;
                return Ok(false);
            }
            Err(error) => {
                self.failed(conn, message, &format!("{error:#}"), false)?;
                return Ok(false);
            }
        };
        let result = self.build(message, &composed).and_then(|email| self.send(message, &email));
        match result {
            Ok(handed) => {
                // Recorded before the goodbye: a sender killed while the
                // server takes its time to answer QUIT sends nothing twice.
                let marked = outbox::mark_sent(conn, message.id, crate::db::now());
                handed.close();
                marked?;
                tracing::info!(message = message.id, kind = %message.kind, "mail sent");
                Ok(true)
            }
            Err(Failure { error, permanent }) => {
                self.failed(conn, message, &error, permanent)?;
                Ok(false)
            }
        }
    }

    fn failed(&self, conn: &mut AnyConnection, message: &Message, error: &str, permanent: bool) -> anyhow::Result<()> {
        let now = crate::db::now();
        if permanent || message.attempts >= self.max_attempts {
            tracing::error!(message = message.id, kind = %message.kind, error, "mail given up");
            outbox::mark_failed(conn, message.id, now, error)?;
            let entry = NewLogEntry::new(None, "mail", LogAction::MailFailed)
                .detail(format!("{} message {} not delivered: {error}", message.kind, message.id));
            log::write(conn, &entry)?;
        } else {
            let wait = backoff(self.retry, message.attempts);
            tracing::warn!(message = message.id, kind = %message.kind, error, retry_in_s = wait.num_seconds(), "mail not sent yet");
            outbox::retry_at(conn, message.id, now + wait, error)?;
        }
        Ok(())
    }

    fn build(&self, message: &Message, composed: &Composed) -> Result<lettre::Message, Failure> {
        let to: Mailbox = message.recipient.parse().map_err(|e| Failure {
            error: format!("{:?} is not an address: {e}", message.recipient),
            permanent: true,
        })?;
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(composed.subject.clone())
            .message_id(Some(format!("<outbox-{}.{}@{}>", message.id, message.kind, self.domain)))
            .header(ListUnsubscribe(format!("<{}>", composed.unsubscribe)))
            .header(ListUnsubscribePost);
        if let Some(slug) = &composed.article {
            // Every notice about one article answers the same imaginary
            // first message, so a mail client threads them together.
            let root = format!("<article.{slug}@{}>", self.domain);
            builder = builder.in_reply_to(root.clone()).references(root);
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(composed.text.clone()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(composed.html.clone())),
            )
            .map_err(|e| Failure { error: format!("building the email: {e}"), permanent: true })
    }

    /// Hands `email` to the mail server, or writes it as a file.
    fn send(&self, message: &Message, email: &lettre::Message) -> Result<Handed, Failure> {
        match &self.transport {
            Transport::Smtp(server) => {
                let refused = |e: lettre::transport::smtp::Error| Failure {
                    permanent: e.is_permanent(),
                    error: format!(
                        "{e}{}",
                        std::error::Error::source(&e).map(|s| format!(": {s}")).unwrap_or_default()
                    ),
                };
                // A connection that fails says goodbye and closes itself.
                let mut connection = server.connect().map_err(refused)?;
                let taken = connection.send(email.envelope(), &email.formatted());
                taken.map(|_| Handed::Smtp(Box::new(connection))).map_err(refused)
            }
            Transport::Folder(dir) => write_file(dir, message, email)
                .map(|()| Handed::Written)
                .map_err(|e| Failure { error: format!("{e:#}"), permanent: false }),
        }
    }
}

struct Failure {
    error: String,
    permanent: bool,
}

/// `retry`, doubled for each attempt after the first, at most an hour.
fn backoff(retry: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let seconds = retry.num_seconds().saturating_mul(1_i64 << doublings);
    Duration::seconds(seconds.min(MAX_BACKOFF_SECS))
}

/// Writes `email` as `dir/<time>-<id>-<kind>.eml`, whole or not at all.
fn write_file(dir: &std::path::Path, message: &Message, email: &lettre::Message) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = format!("{}-{}-{}.eml", message.created_at.format("%Y%m%dT%H%M%S"), message.id, message.kind);
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, email.formatted()).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, dir.join(&name)).with_context(|| format!("writing {name} in {}", dir.display()))
}

fn host_of(base_url: &str) -> String {
    url::Url::parse(base_url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| "localhost".into())
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): a mail
/// client may stop the notices with one POST, without opening a page.
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// Queues each daily digest that is due: one per account that chose the
/// digest, a day after the last. The account's row is updated first and
/// only if nobody else did, so two instances queue one digest.
pub fn queue_digests(conn: &mut AnyConnection, now: NaiveDateTime) -> anyhow::Result<usize> {
    let day_ago = now - Duration::days(1);
    let due = crate::db::users::digests_due(conn, day_ago)?;
    let mut queued = 0;
    for (user, email, last) in due {
        let done = crate::db::write::<_, anyhow::Error, _>(conn, |conn| {
            // Only if still due: another instance may have just done it.
            let claimed = crate::db::users::claim_digest(conn, user, day_ago, now)?;
            // An account that just chose the digest starts counting now.
            let Some(since) = last.filter(|_| claimed > 0) else { return Ok(false) };
            let mut message = outbox::NewMessage::new(
                outbox::MessageKind::Digest,
                &email,
                format!("digest:{user}:{}", now.format("%Y-%m-%dT%H:%M:%S")),
                now,
            )
            .for_user(user);
            message.since = Some(since);
            Ok(outbox::enqueue(conn, &message)?)
        })?;
        queued += usize::from(done);
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let retry = Duration::seconds(60);
        assert_eq!(backoff(retry, 1), Duration::seconds(60));
        assert_eq!(backoff(retry, 2), Duration::seconds(120));
        assert_eq!(backoff(retry, 4), Duration::seconds(480));
        assert_eq!(backoff(retry, 30), Duration::seconds(3600));
    }
}
