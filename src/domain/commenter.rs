//! What a commenter types: each value parsed once, with a message fit to
//! show beside the field when it is wrong.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

/// The longest comment accepted, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
const MAX_NAME_CHARS: usize = 80;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_URL_CHARS: usize = 500;

/// A commenter's name as shown above their comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorName(String);

impl AuthorName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err("Please enter your name (it is shown with your comment).".into());
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(format!("Please shorten your name to {MAX_NAME_CHARS} characters or fewer."));
        }
        if name.chars().any(char::is_control) {
            return Err("Your name contains characters that cannot be shown.".into());
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A commenter's email address: stored for the author, never shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    address: String,
    key: EmailKey,
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        const MESSAGE: &str = "Please enter a valid email address, such as name@example.com. It is never shown.";
        let email = input.trim();
        if email.is_empty() {
            return Err("Please enter your email address. It is never shown.".into());
        }
        let Some((local, domain)) = email.rsplit_once('@') else { return Err(MESSAGE.into()) };
        let valid = email.chars().count() <= MAX_EMAIL_CHARS
            && !local.is_empty()
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c));
        if valid {
            // The domain is case-insensitive; the local part is left as typed.
            let address = format!("{local}@{}", domain.to_lowercase());
            Ok(Self { key: EmailKey::of(&address), address })
        } else {
            Err(MESSAGE.into())
        }
    }

    /// The address as typed (its domain in lower case): where mail goes.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// What the address is stored under and looked up by.
    pub fn key(&self) -> &EmailKey {
        &self.key
    }

    pub fn into_string(self) -> String {
        self.address
    }
}

/// An address as the site compares it: trimmed and in lower case, the local
/// part too, so that `Ann@Example.org` finds what `ann@example.org` wrote.
/// Every comment stores its writer's key beside the address (indexed), the
/// notice choices and queued notices are kept under it, and every look-up
/// by address goes through it: this is the one normalisation of addresses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, AsExpression, FromSqlRow, serde::Serialize)]
#[diesel(sql_type = Text)]
#[serde(transparent)]
pub struct EmailKey(String);

impl EmailKey {
    /// The key of any address: typed into a form, stored, imported from
    /// another site (where it need not be valid), or signed into a link.
    pub fn of(address: &str) -> Self {
        Self(address.trim().to_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for EmailKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<DB: Backend> ToSql<Text, DB> for EmailKey
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.as_str().to_sql(out)
    }
}

/// A stored key was made by `EmailKey::of` when its row was written.
impl<DB: Backend> FromSql<Text, DB> for EmailKey
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(bytes).map(Self)
    }
}

/// A commenter's website: http or https only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebsiteUrl(String);

impl WebsiteUrl {
    /// `None` when the field was left empty. A bare domain gets `https://`.
    pub fn parse(input: &str) -> Result<Option<Self>, String> {
        const MESSAGE: &str = "Please enter a web address starting with http:// or https://, or leave this empty.";
        let text = input.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > MAX_URL_CHARS {
            return Err(format!("Please shorten the web address to {MAX_URL_CHARS} characters or fewer."));
        }
        let has_scheme =
            text.split_once(':').is_some_and(|(scheme, _)| {
                !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            }) && !text.split_once(':').is_some_and(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit()));
        let candidate = if has_scheme { text.to_owned() } else { format!("https://{text}") };
        let url = url::Url::parse(&candidate).map_err(|_| MESSAGE.to_owned())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(|h| !h.contains('.')) {
            return Err(MESSAGE.into());
        }
        Ok(Some(Self(url.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The Markdown a commenter wrote, within the length limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    pub fn parse(input: &str) -> Result<Self, String> {
        let body = input.trim();
        if body.is_empty() {
            return Err("Please write your comment or question.".into());
        }
        let length = body.chars().count();
        if length > MAX_BODY_CHARS {
            return Err(format!(
                "Your comment is {length} characters long; the limit is {MAX_BODY_CHARS}. Please shorten it."
            ));
        }
        Ok(Self(body.replace("\r\n", "\n")))
    }

    /// A comment copied from another site, where it was already accepted:
    /// only emptiness is refused. (The import cuts a longer one to
    /// `MAX_BODY_CHARS` first and keeps its whole text aside.)
    pub fn imported(input: &str) -> Option<Self> {
        let body = input.trim();
        (!body.is_empty()).then(|| Self(body.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parser = fn(&str) -> Result<(), String>;
    const NAME: Parser = |text| AuthorName::parse(text).map(drop);
    const EMAIL: Parser = |text| Email::parse(text).map(drop);
    const WEBSITE: Parser = |text| WebsiteUrl::parse(text).map(drop);
    const BODY: Parser = |text| CommentBody::parse(text).map(drop);

    #[test]
    fn every_bad_value_is_refused_with_what_to_do() {
        const NEED_NAME: &str = "Please enter your name (it is shown with your comment).";
        const BAD_EMAIL: &str = "Please enter a valid email address, such as name@example.com. It is never shown.";
        const NEED_EMAIL: &str = "Please enter your email address. It is never shown.";
        const BAD_WEBSITE: &str = "Please enter a web address starting with http:// or https://, or leave this empty.";
        let cases: Vec<(&str, Parser, String, &str)> = vec![
            ("name", NAME, "".into(), NEED_NAME),
            ("name", NAME, "   ".into(), NEED_NAME),
            ("name", NAME, "\t\n\u{a0}".into(), NEED_NAME),
            ("name", NAME, "x".repeat(81), "Please shorten your name to 80 characters or fewer."),
            ("name", NAME, "é".repeat(81), "Please shorten your name to 80 characters or fewer."),
            ("name", NAME, "Ann\u{7}Lee".into(), "Your name contains characters that cannot be shown."),
            ("name", NAME, "Ann\u{0}".into(), "Your name contains characters that cannot be shown."),
            ("email", EMAIL, "".into(), NEED_EMAIL),
            ("email", EMAIL, " \t ".into(), NEED_EMAIL),
            ("email", EMAIL, "ann".into(), BAD_EMAIL),
            ("email", EMAIL, "ann@".into(), BAD_EMAIL),
            ("email", EMAIL, "@example.org".into(), BAD_EMAIL),
            ("email", EMAIL, "ann@example".into(), BAD_EMAIL),
            ("email", EMAIL, "ann@@example.org".into(), BAD_EMAIL),
            ("email", EMAIL, "a b@example.org".into(), BAD_EMAIL),
            ("email", EMAIL, "ann@example..org".into(), BAD_EMAIL),
            ("email", EMAIL, "ann@.example.org".into(), BAD_EMAIL),
            ("email", EMAIL, "ann@example.org.".into(), BAD_EMAIL),
            ("email", EMAIL, "Ann <ann@example.org>".into(), BAD_EMAIL),
            ("email", EMAIL, "ann@example.org\nBcc: eve@example.org".into(), BAD_EMAIL),
            ("email", EMAIL, format!("{}@example.org", "a".repeat(243)), BAD_EMAIL),
            ("website", WEBSITE, "javascript:alert(1)".into(), BAD_WEBSITE),
            ("website", WEBSITE, "JavaScript:alert(1)".into(), BAD_WEBSITE),
            ("website", WEBSITE, " javascript:alert(1) ".into(), BAD_WEBSITE),
            ("website", WEBSITE, "data:text/html,x".into(), BAD_WEBSITE),
            ("website", WEBSITE, "ftp://example.org".into(), BAD_WEBSITE),
            ("website", WEBSITE, "http://".into(), BAD_WEBSITE),
            ("website", WEBSITE, "vbscript:x".into(), BAD_WEBSITE),
            ("website", WEBSITE, "http://localhost/".into(), BAD_WEBSITE),
            (
                "website",
                WEBSITE,
                format!("https://example.org/{}", "a".repeat(481)),
                "Please shorten the web address to 500 characters or fewer.",
            ),
            ("body", BODY, "".into(), "Please write your comment or question."),
            ("body", BODY, "  \n ".into(), "Please write your comment or question."),
            (
                "body",
                BODY,
                "x".repeat(MAX_BODY_CHARS + 1),
                "Your comment is 10001 characters long; the limit is 10000. Please shorten it.",
            ),
        ];
        for (field, parse, bad, message) in &cases {
            assert_eq!(parse(bad), Err((*message).to_owned()), "{field} {bad:?}");
        }
    }

    #[test]
    fn values_at_the_limits_are_accepted() {
        assert!(NAME(&"é".repeat(80)).is_ok());
        assert!(EMAIL(&format!("{}@example.org", "a".repeat(242))).is_ok());
        assert!(WEBSITE(&format!("https://example.org/{}", "a".repeat(480))).is_ok());
        assert!(BODY(&"x".repeat(MAX_BODY_CHARS)).is_ok());
    }

    #[test]
    fn names_are_trimmed_and_their_spaces_collapsed() {
        assert_eq!(AuthorName::parse("  Ann   Lee ").unwrap().as_str(), "Ann Lee");
    }

    #[test]
    fn an_email_keeps_its_local_part_and_lowers_its_domain() {
        let email = Email::parse(" Ann@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "Ann@example.org");
        assert_eq!(email.key().as_str(), "ann@example.org");
    }

    #[test]
    fn an_address_is_keyed_in_lower_case_whatever_was_typed() {
        assert_eq!(EmailKey::of("  JÖRG@Example.ORG "), EmailKey::of("jörg@example.org"));
        assert_eq!(Email::parse("JÖRG@Example.ORG").unwrap().key(), &EmailKey::of("jörg@example.org"));
        // An imported address that would not parse has a key all the same.
        assert_eq!(EmailKey::of("Old Address").as_str(), "old address");
    }

    #[test]
    fn websites_may_be_left_empty_and_a_bare_domain_gets_https() {
        assert_eq!(WebsiteUrl::parse("").unwrap(), None);
        assert_eq!(WebsiteUrl::parse("   ").unwrap(), None);
        assert_eq!(WebsiteUrl::parse("example.org").unwrap().unwrap().as_str(), "https://example.org/");
        assert_eq!(
            WebsiteUrl::parse("http://example.org/a?b=1").unwrap().unwrap().as_str(),
            "http://example.org/a?b=1"
        );
    }
}
