//! An article or page as written: its kind, its front-matter fields and its
//! Markdown body. What the database stores and the desk edits; reading and
//! writing it as a file is `content::manuscript`'s.

use chrono::NaiveDateTime;
use serde::Serialize;

/// Posts are listed, fed and searched; pages are served at `/{slug}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum ArticleKind {
    Post,
    Page,
}

impl ArticleKind {
    /// As stored and as front matter writes it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// The folder of `content/` that holds this kind.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Post => "posts",
            Self::Page => "pages",
        }
    }

    /// The public address of an article of this kind, as a link or a
    /// `Location` header has it (letters beyond ASCII percent-encoded).
    pub fn path(self, slug: &str) -> String {
        self.decoded_path(&Self::encoded(slug))
    }

    /// The address as the server sees it once decoded (the redirects
    /// table's `old_path`).
    pub fn decoded_path(self, slug: &str) -> String {
        match self {
            Self::Post => format!("/posts/{slug}"),
            Self::Page => format!("/{slug}"),
        }
    }

    /// A slug (lower-case letters, digits, hyphens) as it goes in an
    /// address: every letter beyond ASCII percent-encoded.
    pub fn encoded(slug: &str) -> String {
        percent_encoding::utf8_percent_encode(slug, percent_encoding::CONTROLS).to_string()
    }
}

/// Every field of the front matter, and the body. Texts are empty when not
/// set (`summary` is then made from the body, `author` is the site's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Manuscript {
    pub slug: String,
    pub title: String,
    pub body: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub author: String,
    /// The front matter's `date`: when it is (or was, or will be) published.
    pub date: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
    pub reviewed: Option<NaiveDateTime>,
    pub reviewed_by: String,
    pub references: Vec<String>,
    pub comments: bool,
    pub draft: bool,
    pub image: String,
    pub image_alt: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_article_kind_keeps_its_stored_string() {
        for (kind, text) in [(ArticleKind::Post, "post"), (ArticleKind::Page, "page")] {
            assert_eq!(kind.as_str(), text);
            assert_eq!(ArticleKind::parse(text), Some(kind));
        }
        assert_eq!(ArticleKind::parse("Post"), None);
        assert_eq!(ArticleKind::parse("article"), None);
    }
}
