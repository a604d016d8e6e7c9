//! Settings from an optional `healthblog.toml`, overridden by `HEALTHBLOG_*`
//! environment variables, with defaults that run the sample blog as it is.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use figment::error::Kind;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Source};
use serde::{Deserialize, Serialize};

use crate::client_address::{ProxyHeader, ProxyPolicy};

/// Uploaded files (images of imported articles) live in this subfolder of
/// the static folder; they belong to the site, not to the build.
pub const UPLOADS: &str = "uploads";

/// Every setting, with the secrets (the key, the mail password, a
/// database password) shown as `…`.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.clone();
        shown.secret_key = shown.secret_key.map(|_| Secret::from("…"));
        shown.mail.password = shown.mail.password.map(|_| "…".to_owned());
        if let Ok(mut url) = url::Url::parse(&shown.database_url) {
            if url.password().is_some() && url.set_password(Some("…")).is_ok() {
                shown.database_url = url.to_string();
            }
        }
        match serde_json::to_value(&shown) {
            Ok(serde_json::Value::Object(fields)) => f.debug_map().entries(fields.iter()).finish(),
            _ => f.write_str("Settings { … }"),
        }
    }
}

/// A value that must never be printed: `Debug` shows `…`, and only
/// `expose` gives the text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"…\"")
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://path` or `postgres://…`.
    pub database_url: String,
    /// Address and port the server listens on.
    pub bind: String,
    /// The public address of the site, used in feeds, the sitemap and canonical links.
    pub base_url: String,
    pub content_dir: PathBuf,
    /// A folder of templates laid over the built-in ones (a theme); unset,
    /// the templates built into the binary are used as they are.
    pub templates_dir: Option<PathBuf>,
    /// A folder of static files laid over the built-in ones; unset, the
    /// built-in files are served, and the uploads from `static/uploads`.
    pub static_dir: Option<PathBuf>,
    /// Where the generated development key is kept when no secret key is configured.
    pub data_dir: PathBuf,
    /// Signs and encrypts cookies and keys the IP hashes; `keys` refuses one
    /// shorter than its `MIN_SECRET_CHARS`.
    pub secret_key: Option<Secret>,
    /// Database connections per instance.
    pub pool_size: u32,
    /// How long to keep trying a PostgreSQL server that does not answer at
    /// start-up before giving up.
    pub database_wait_seconds: u64,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Take the client's address from the header named by `proxy_header`
    /// when the connection comes from one of `trusted_proxies`.
    pub behind_proxy: bool,
    /// Addresses or CIDR ranges of the proxies in front of the site. Behind
    /// them, the client is the rightmost `X-Forwarded-For` entry that is not
    /// one of these; every entry left of it was chosen by the client.
    pub trusted_proxies: Vec<String>,
    /// `x-forwarded-for` (the default) or `forwarded` (RFC 7239); the other
    /// header is ignored, since a proxy that sets one passes the other on
    /// untouched from the client.
    pub proxy_header: ProxyHeader,
    /// Write readers' raw addresses into the request log, for debugging.
    /// Off, a request line carries only a short prefix of the keyed address
    /// hash, the same one the desk shows.
    pub log_client_addresses: bool,
    /// A desk session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// A desk session ends this many days after signing in.
    pub session_max_days: u32,
    /// Memory for the rendered pages kept for readers (with their gzip and
    /// brotli forms), in MiB; past it the oldest kept pages are let go.
    pub page_cache_mb: usize,
    /// Memory for the most-read picture sizes, in MiB; the others are read
    /// from the database as they are asked for (and not kept in SQLite's
    /// page cache either).
    pub media_cache_mb: usize,
    /// A request's body must arrive within this many seconds of its head;
    /// past it the request is refused and its connection closed.
    pub body_timeout_seconds: u64,
    pub site: SiteSettings,
    pub mail: MailSettings,
    pub trust: TrustSettings,
    pub answers: AnswerSettings,
}

/// How the author's answers are kept right (see `answers`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerSettings {
    /// Added under a saved reply that asks for it.
    pub disclaimer: String,
    /// An answer is due for review this many months after he last said it
    /// is right.
    pub review_months: u32,
    /// Shorter (or longer) periods for answers under articles with a tag,
    /// e.g. `{ doses = 12 }`; the shortest of an article's tags applies.
    pub review_months_by_tag: std::collections::BTreeMap<String, u32>,
}

impl Default for AnswerSettings {
    fn default() -> Self {
        Self {
            disclaimer: "General information, not advice for your own case: please see your own doctor.".into(),
            review_months: 36,
            review_months_by_tag: std::collections::BTreeMap::new(),
        }
    }
}

/// What keeps a health conversation safe (see `trust`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrustSettings {
    /// The readers' country (ISO code, e.g. `GB`): which emergency and
    /// crisis numbers a notice shows, and how phone numbers are read.
    pub country: String,
    /// The site's own red-flag rules file; unset, the shipped rules.
    pub red_flags: Option<PathBuf>,
    /// A comment needs the reader's explicit consent to publish and keep
    /// the health information it shares.
    pub require_consent: bool,
}

impl Default for TrustSettings {
    fn default() -> Self {
        Self { country: "US".into(), red_flags: None, require_consent: true }
    }
}

/// How the site sends email. Without a `host`, messages are written as
/// `.eml` files under `data_dir/mail/` instead: nothing is lost, and the
/// desk says so.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The SMTP server; unset writes files instead.
    pub host: Option<String>,
    /// 0 picks the usual port for `security`: 25, 587 or 465.
    pub port: u16,
    pub security: MailSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `"Dr. Mauskop's blog <blog@example.org>"`; by
    /// default `blog@` the public address's host.
    pub from: Option<String>,
    /// The first retry after a failed delivery waits this long; each next
    /// one twice as long, up to an hour.
    pub retry_seconds: u64,
    /// How often the sender looks for due messages when nothing wakes it.
    pub poll_seconds: u64,
    /// A message that still could not be delivered after this many
    /// attempts is given up and shown in the desk.
    pub max_attempts: i32,
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailSecurity {
    /// Plain SMTP, for a relay on the same machine.
    None,
    /// SMTP upgraded with STARTTLS (port 587).
    #[default]
    Starttls,
    /// SMTP inside TLS from the start (port 465).
    Tls,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            host: None,
            port: 0,
            security: MailSecurity::default(),
            username: None,
            password: None,
            from: None,
            retry_seconds: 60,
            poll_seconds: 30,
            max_attempts: 12,
        }
    }
}

// The password stays out of logs and error messages.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl MailSettings {
    /// The port to connect to.
    pub fn port(&self) -> u16 {
        match (self.port, self.security) {
            (0, MailSecurity::None) => 25,
            (0, MailSecurity::Starttls) => 587,
            (0, MailSecurity::Tls) => 465,
            (port, _) => port,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteSettings {
    pub title: String,
    pub tagline: String,
    pub description: String,
    pub language: String,
    pub author_name: String,
    pub author_credentials: String,
    pub author_bio: String,
    /// Shown under every article.
    pub disclaimer: String,
    pub posts_per_page: usize,
    /// The newest articles in `/feed.xml`: a feed stays small however many
    /// articles the site has.
    pub feed_articles: usize,
    /// Past this many addresses, `/sitemap.xml` becomes an index of
    /// `/sitemap-1.xml`, `/sitemap-2.xml`, … of this many each (the
    /// sitemaps protocol allows 50,000).
    pub sitemap_urls_per_file: usize,
    /// The site's time zone (an IANA name such as `Europe/Berlin`): every
    /// date and time shown, and the desk's publication times, are on its clock.
    pub timezone: String,
}

impl SiteSettings {
    /// The site's time zone; a name the time-zone database does not know is refused.
    pub fn zone(&self) -> anyhow::Result<chrono_tz::Tz> {
        self.timezone.trim().parse::<chrono_tz::Tz>().map_err(|_| {
            anyhow!(
                "`site.timezone` cannot be {:?}: use a time-zone name of the IANA database, such as \"Europe/Berlin\", \
                 \"America/New_York\" or \"UTC\"",
                self.timezone
            )
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/healthblog.db".into(),
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            content_dir: "content".into(),
            templates_dir: None,
            static_dir: None,
            data_dir: "data".into(),
            secret_key: None,
            pool_size: 8,
            database_wait_seconds: 60,
            workers: 0,
            behind_proxy: false,
            trusted_proxies: vec!["127.0.0.1/8".into(), "::1".into()],
            proxy_header: ProxyHeader::default(),
            log_client_addresses: false,
            session_idle_minutes: 120,
            session_max_days: 7,
            page_cache_mb: 64,
            media_cache_mb: 64,
            body_timeout_seconds: 30,
            site: SiteSettings::default(),
            mail: MailSettings::default(),
            trust: TrustSettings::default(),
            answers: AnswerSettings::default(),
        }
    }
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            title: "Headache & Neurology Notes".into(),
            tagline: "Evidence-based notes on headache, migraine and concussion".into(),
            description: "A neurologist writes about migraine, cluster headache, concussion and \
                          magnesium, and answers readers' questions."
                .into(),
            language: "en".into(),
            author_name: "Dr. Alexander Mauskop".into(),
            author_credentials: "MD, neurologist and headache specialist".into(),
            author_bio: "A neurologist who has treated headache, migraine and post-concussion \
                         symptoms for decades."
                .into(),
            disclaimer: "This article is general information, not medical advice for you. \
                         Talk to your own doctor before you start or change any treatment. \
                         In an emergency, call your local emergency number."
                .into(),
            posts_per_page: 10,
            feed_articles: 20,
            sitemap_urls_per_file: 10_000,
            timezone: "UTC".into(),
        }
    }
}

impl Settings {
    /// Reads `path` (or `healthblog.toml` when it exists) and the environment.
    /// A mistake is reported in plain words: which key, in which file or
    /// variable, and the nearest valid key.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let file = match path {
            Some(path) if !path.exists() => bail!("the configuration file {} does not exist", path.display()),
            Some(path) => Some(path.to_owned()),
            None => Some(PathBuf::from("healthblog.toml")).filter(|default| default.exists()),
        };
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = &file {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            if let Err(error) = text.parse::<toml::Table>() {
                let line = error.span().map_or(1, |span| 1 + text[..span.start].matches('\n').count());
                bail!("{}:{line}: {}", file.display(), one_line(error.message()));
            }
            figment = figment.merge(Toml::file(file));
        }
        let settings: Self = figment
            .merge(Env::prefixed("HEALTHBLOG_").split("__").ignore(&["config"]))
            .extract()
            .map_err(|error| anyhow!(explain(error, file.as_deref())))?;
        settings.site.zone()?;
        Ok(settings)
    }

    /// Where the site's uploaded files live: `uploads/` in `static_dir`, or
    /// in `static/` of the working folder when it is unset.
    pub fn uploads_dir(&self) -> PathBuf {
        self.static_dir.clone().unwrap_or_else(|| PathBuf::from("static")).join(UPLOADS)
    }

    /// Cookies are marked `Secure` when the public address is https.
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// How to tell the client's address, refusing a malformed proxy list.
    pub fn proxy_policy(&self) -> anyhow::Result<ProxyPolicy> {
        ProxyPolicy::new(self.behind_proxy, &self.trusted_proxies, self.proxy_header)
            .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))
    }

    /// Who the site's email comes from.
    pub fn mail_from(&self) -> String {
        if let Some(from) = self.mail.from.as_deref().filter(|f| !f.trim().is_empty()) {
            return from.trim().to_owned();
        }
        let host = url::Url::parse(self.base_url())
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into());
        format!("{} <blog@{host}>", self.site.title.replace(['<', '>', '"'], ""))
    }

    /// The public address without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}

/// Every problem figment found, one per line, as `file:line: message` for
/// the configuration file and naming the variable for the environment.
fn explain(errors: figment::Error, file: Option<&Path>) -> String {
    let text = file.and_then(|file| std::fs::read_to_string(file).ok()).unwrap_or_default();
    let mut lines = Vec::new();
    for error in errors {
        let key = error.path.clone();
        let dotted = key.join(".");
        let message = match &error.kind {
            Kind::UnknownField(field, expected) => match nearest(field, expected.iter().copied()) {
                Some(known) => format!("unknown key `{dotted}`: did you mean `{}`?", replace_last(&key, known)),
                None => format!("unknown key `{dotted}`; the keys here are {}", expected.join(", ")),
            },
            Kind::InvalidType(actual, expected) | Kind::InvalidValue(actual, expected) => {
                format!("`{dotted}` must be {}, not {actual}", plain_type(expected))
            }
            Kind::UnknownVariant(actual, expected) => {
                format!("`{dotted}` cannot be {actual:?}; use one of {}", expected.join(", "))
            }
            Kind::Message(message) => format!("`{dotted}`: {}", one_line(message)),
            other => format!("`{dotted}`: {other}"),
        };
        let origin = match &error.metadata {
            Some(metadata) => match &metadata.source {
                Some(Source::File(path)) => format!("{}:{}", file.unwrap_or(path).display(), line_of(&text, &key)),
                _ if metadata.name.contains("environment") => {
                    format!("the environment variable HEALTHBLOG_{}", key.join("__").to_uppercase())
                }
                _ => metadata.name.to_string(),
            },
            None => "the configuration".into(),
        };
        lines.push(format!("{origin}: {message}"));
    }
    if lines.is_empty() {
        lines.push("the configuration could not be read".into());
    }
    lines.join("\n")
}

/// serde's names for what a key holds, in words.
fn plain_type(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "a boolean" | "bool" => "true or false",
        "a string" | "string" => "text in quotes",
        other => other,
    }
}

/// `site.titel` with its last part replaced: `site.title`.
fn replace_last(key: &[String], last: &str) -> String {
    let mut key = key.to_vec();
    key.pop();
    key.push(last.to_owned());
    key.join(".")
}

/// The line of the configuration file that sets `key` (its last part, after
/// its `[section]` when it has one), or 1.
fn line_of(text: &str, key: &[String]) -> usize {
    let Some((name, sections)) = key.split_last() else { return 1 };
    let mut in_section = sections.is_empty();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = section.trim() == sections.join(".");
        } else if in_section && line.split_once('=').is_some_and(|(k, _)| k.trim().trim_matches('"') == name) {
            return i + 1;
        }
    }
    1
}

fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(": ")
}

/// The one of `known` closest to a mistyped `word`, when it is close enough
/// to be what was meant: a typo, a letter too many or too few, two swapped.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let allowed = (word.chars().count() / 3).clamp(1, 3);
    known
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(&word, candidate), candidate))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_file_overrides_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("healthblog.toml");
        std::fs::write(&path, "base_url = \"https://blog.example.org/\"\n[site]\ntitle = \"Notes\"\n").unwrap();
        let settings = Settings::load(Some(&path)).unwrap();
        assert_eq!(settings.base_url(), "https://blog.example.org");
        assert!(settings.is_https());
        assert_eq!(settings.site.title, "Notes");
        assert_eq!(settings.site.posts_per_page, 10, "unset keys keep their defaults");
    }

    #[test]
    fn proxies_are_read_and_a_malformed_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("healthblog.toml");
        std::fs::write(
            &path,
            "behind_proxy = true\ntrusted_proxies = [\"10.0.0.0/8\"]\nproxy_header = \"forwarded\"\n",
        )
        .unwrap();
        let settings = Settings::load(Some(&path)).unwrap();
        assert_eq!(settings.proxy_header, ProxyHeader::Forwarded);
        assert!(settings.proxy_policy().is_ok());
        let defaults = Settings::default();
        assert!(!defaults.behind_proxy && defaults.proxy_header == ProxyHeader::XForwardedFor);

        let broken = Settings { trusted_proxies: vec!["10.0.0.0/40".into()], ..Settings::default() };
        let error = format!("{:#}", broken.proxy_policy().unwrap_err());
        assert!(error.contains("10.0.0.0/40"), "{error}");
    }

    #[test]
    fn a_misspelt_key_or_a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("healthblog.toml");
        std::fs::write(&path, "databse_url = \"sqlite://x.db\"\n").unwrap();
        let error = format!("{:#}", Settings::load(Some(&path)).unwrap_err());
        assert_eq!(error, format!("{}:1: unknown key `databse_url`: did you mean `database_url`?", path.display()));
        assert!(Settings::load(Some(&dir.path().join("missing.toml"))).is_err());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut settings =
            Settings { secret_key: Some("a very secret key that nobody may read".into()), ..Settings::default() };
        settings.mail.password = Some("mail-password-123".into());
        settings.database_url = "postgres://blog:db-password-456@127.0.0.1/blog".into();
        let printed = format!("{settings:?}");
        for secret in ["a very secret key", "mail-password-123", "db-password-456"] {
            assert!(!printed.contains(secret), "{secret} printed in {printed}");
        }
        assert!(printed.contains("127.0.0.1/blog"), "the rest is shown: {printed}");
    }

    #[test]
    fn the_time_zone_is_a_name_of_the_iana_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("healthblog.toml");
        std::fs::write(&path, "[site]\ntimezone = \"Europe/Berlin\"\n").unwrap();
        assert_eq!(Settings::load(Some(&path)).unwrap().site.zone().unwrap(), chrono_tz::Europe::Berlin);
        assert_eq!(Settings::default().site.zone().unwrap(), chrono_tz::UTC);
        std::fs::write(&path, "[site]\ntimezone = \"Europe/Berlim\"\n").unwrap();
        let error = format!("{:#}", Settings::load(Some(&path)).unwrap_err());
        assert!(error.contains("`site.timezone` cannot be \"Europe/Berlim\""), "{error}");
    }
}
