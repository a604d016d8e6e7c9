//! An article or page as written: its front-matter fields and its Markdown
//! body, before rendering. What the database stores, what the desk edits,
//! and what a file in `content/` holds, one field for each key.

use std::path::Path;

use chrono::{Datelike, NaiveDateTime, NaiveTime, Timelike};
use serde::Serialize;
use toml::value::Datetime;

use super::article::{to_datetime, Article};
use super::front_matter::{self, FrontMatter, LineError};
pub use crate::domain::{ArticleKind, Manuscript};

/// A problem with one field of a manuscript (`None`: not of one field).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: Option<&'static str>,
    pub message: String,
}

impl Manuscript {
    /// The fields of a file's text, which `Article::parse` has accepted.
    pub fn from_file(path: &Path, text: &str) -> Result<Self, Vec<LineError>> {
        let split = front_matter::split(text).map_err(|e| vec![e])?;
        let (front, errors) = front_matter::parse(split.front);
        let Some(front) = front.filter(|_| errors.is_empty()) else { return Err(errors) };
        let date = |value: &Datetime, key: &str| {
            to_datetime(value).map_err(|m| vec![LineError::new(front_matter::line_of_key(split.front, key), m)])
        };
        Ok(Self {
            slug: front
                .slug
                .clone()
                .unwrap_or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()),
            date: date(&front.date, "date")?,
            updated: front.updated.as_ref().map(|d| date(d, "updated")).transpose()?,
            reviewed: front.reviewed.as_ref().map(|d| date(d, "reviewed")).transpose()?,
            title: front.title,
            body: split.body.to_owned(),
            summary: front.summary.unwrap_or_default(),
            tags: front.tags,
            author: front.author.unwrap_or_default(),
            reviewed_by: front.reviewed_by.unwrap_or_default(),
            references: front.references,
            comments: front.comments,
            draft: front.draft,
            image: front.image.unwrap_or_default(),
            image_alt: front.image_alt.unwrap_or_default(),
        })
    }

    /// The front matter, through the type that reads it.
    pub fn front_matter(&self) -> FrontMatter {
        let text = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        FrontMatter {
            title: self.title.clone(),
            date: toml_datetime(self.date),
            updated: self.updated.map(toml_datetime),
            slug: Some(self.slug.clone()),
            summary: text(&self.summary),
            tags: self.tags.clone(),
            draft: self.draft,
            comments: self.comments,
            reviewed: self.reviewed.map(toml_datetime),
            reviewed_by: text(&self.reviewed_by),
            references: self.references.clone(),
            author: text(&self.author),
            image: text(&self.image),
            image_alt: text(&self.image_alt),
        }
    }

    /// The file that holds this manuscript, as `healthblog check` reads it.
    pub fn to_file_text(&self) -> String {
        // Only strings, dates, flags and lists of strings: TOML can write them all.
        front_matter::write(&self.front_matter(), None, &self.body).unwrap_or_else(|error| {
            tracing::error!(%error, slug = self.slug, "writing front matter");
            String::new()
        })
    }

    /// The article readers see, checked by the rules `healthblog check`
    /// applies to a file, with each problem at its field.
    pub fn render(&self, kind: ArticleKind) -> Result<Article, Vec<FieldError>> {
        let text = self.to_file_text();
        let path = format!("{}/{}.md", kind.folder(), self.slug);
        Article::parse(Path::new(&path), &text).map_err(|errors| {
            let front = front_matter::split(&text).map(|s| s.front).unwrap_or_default();
            errors
                .into_iter()
                .map(|error| FieldError {
                    field: front_matter::key_at_line(front, error.line).map(field_of_key),
                    message: error.message,
                })
                .collect()
        })
    }
}

/// The desk's form field for a front-matter key.
fn field_of_key(key: &'static str) -> &'static str {
    match key {
        "date" => "publish_at",
        key => key,
    }
}

/// A date as TOML writes it: the day alone at midnight, else to the second.
fn toml_datetime(at: NaiveDateTime) -> Datetime {
    let date = toml::value::Date {
        year: u16::try_from(at.year()).unwrap_or_default(),
        month: u8::try_from(at.month()).unwrap_or_default(),
        day: u8::try_from(at.day()).unwrap_or_default(),
    };
    let time = (at.time() != NaiveTime::MIN).then(|| toml::value::Time {
        hour: u8::try_from(at.hour()).unwrap_or_default(),
        minute: u8::try_from(at.minute()).unwrap_or_default(),
        second: u8::try_from(at.second()).unwrap_or_default(),
        nanosecond: 0,
    });
    Datetime { date: Some(date), time, offset: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_read_and_written_again_is_the_same_manuscript() {
        let text = "+++\ntitle = \"Dose\"\ndate = 2024-01-02T08:30:00\ntags = [\"migraine\"]\ncomments = false\n+++\n# Body\n\nText.\n";
        let manuscript = Manuscript::from_file(Path::new("posts/dose.md"), text).unwrap();
        assert_eq!(manuscript.slug, "dose");
        let again = Manuscript::from_file(Path::new("posts/other-name.md"), &manuscript.to_file_text()).unwrap();
        assert_eq!(again, manuscript);
        assert_eq!(manuscript.render(ArticleKind::Post).unwrap().title, "Dose");
    }

    #[test]
    fn a_problem_is_reported_at_its_field() {
        let text = "+++\ntitle = \"Dose\"\ndate = 2024-01-02\n+++\nText.\n";
        let mut manuscript = Manuscript::from_file(Path::new("posts/dose.md"), text).unwrap();
        manuscript.tags = vec!["Bad Tag".into()];
        manuscript.updated = Some(manuscript.date - chrono::Duration::days(1));
        let errors = manuscript.render(ArticleKind::Post).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, [Some("updated"), Some("tags")], "{errors:?}");
    }
}
