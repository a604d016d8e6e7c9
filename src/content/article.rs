//! An article as readers see it, built once from a post file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use chrono_tz::Tz;
use serde::Serialize;
use toml::value::Datetime;

use super::front_matter::{self, FrontMatter, LineError};
use crate::markdown::{self, Heading, SafeHtml};

/// Words a reader reads per minute, for the reading-time estimate.
const WORDS_PER_MINUTE: usize = 220;
/// Length of a summary made from the body when the front matter gives none.
const SUMMARY_WORDS: usize = 40;

#[derive(Clone, Debug, Serialize)]
pub struct Article {
    pub slug: String,
    pub title: String,
    pub published: When,
    pub updated: Option<When>,
    pub summary: String,
    pub tags: Vec<String>,
    #[serde(skip)]
    pub draft: bool,
    pub comments_open: bool,
    pub reviewed: Option<When>,
    pub reviewed_by: Option<String>,
    pub references: Vec<SafeHtml>,
    /// The sign-in name of the account whose byline this is; empty for the
    /// site's author.
    pub author: String,
    /// The display name of the `author` account, for the byline; empty for
    /// the site's author.
    pub byline: String,
    /// The article's picture and its description; empty when it has none.
    pub image: String,
    pub image_alt: String,
    /// The picture's size when it is one of the site's pictures; 0 otherwise.
    pub image_width: u32,
    pub image_height: u32,
    pub body: SafeHtml,
    pub toc: Vec<Heading>,
    pub word_count: usize,
    pub reading_minutes: usize,
    #[serde(skip)]
    pub plain_text: String,
    #[serde(skip)]
    pub source: PathBuf,
    /// The line that sets the slug, or 1 when it comes from the file name.
    #[serde(skip)]
    pub slug_line: usize,
    /// The readers' questions featured at the end of the body, for JSON-LD.
    #[serde(skip)]
    pub questions: Vec<crate::exchanges::QuestionText>,
}

/// A moment with the forms the pages need, formatted once, in the site's
/// time zone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct When {
    /// The moment in UTC, as stored.
    #[serde(skip)]
    pub at: NaiveDateTime,
    /// The same moment on the site's clock.
    #[serde(skip)]
    pub local: NaiveDateTime,
    /// The same moment with the site's offset then, for feeds.
    #[serde(skip)]
    pub zoned: DateTime<FixedOffset>,
    /// `2016-06-20`, for `<time datetime>`.
    pub iso_date: String,
    /// `2016-06-20T00:00:00Z` (or `…+02:00`), for feeds and JSON-LD.
    pub rfc3339: String,
    /// `June 20, 2016`, for people.
    pub display: String,
}

impl When {
    /// `at` (UTC) shown as it is.
    pub fn new(at: NaiveDateTime) -> Self {
        Self::in_zone(at, Tz::UTC)
    }

    /// `at` (UTC) shown on the clock of `zone`. Formats by hand: a page of
    /// 500 comments makes 2,000 of these, and chrono's `format` parses its
    /// pattern every time.
    pub fn in_zone(at: NaiveDateTime, zone: Tz) -> Self {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let zoned = at.and_utc().with_timezone(&zone).fixed_offset();
        let (local, offset_seconds) = (zoned.naive_local(), zoned.offset().local_minus_utc());
        let (year, month, day) = (local.year(), local.month(), local.day());
        let iso_date = format!("{year:04}-{month:02}-{day:02}");
        let zone_suffix = match offset_seconds {
            0 => "Z".to_owned(),
            seconds => {
                let sign = if seconds < 0 { '-' } else { '+' };
                let minutes = seconds.unsigned_abs() / 60;
                format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
            }
        };
        Self {
            at,
            local,
            zoned,
            rfc3339: format!("{iso_date}T{:02}:{:02}:{:02}{zone_suffix}", local.hour(), local.minute(), local.second()),
            display: format!("{} {day}, {year}", MONTHS[local.month0() as usize]),
            iso_date,
        }
    }

    /// The time of day for people: `3:39 pm`.
    pub fn time_of_day(&self) -> String {
        let (pm, hour) = self.local.hour12();
        format!("{hour}:{:02} {}", self.local.minute(), if pm { "pm" } else { "am" })
    }
}

/// `2024-05-01 01:30 CEST`: a stored (UTC) moment as the desk shows it,
/// on the clock of `zone`, with its abbreviation.
pub fn desk_time(at: NaiveDateTime, zone: Tz) -> String {
    at.and_utc().with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()
}

impl Article {
    /// Builds an article from a post file's text, or every problem found in it.
    pub fn parse(path: &Path, source: &str) -> Result<Self, Vec<LineError>> {
        let split = front_matter::split(source).map_err(|e| vec![e])?;
        let (front, mut errors) = front_matter::parse(split.front);
        let Some(front) = front else { return Err(errors) };
        let at = |key: &str| front_matter::line_of_key(split.front, key);

        let FrontMatter {
            title,
            date,
            updated,
            slug,
            summary,
            tags,
            draft,
            comments,
            reviewed,
            reviewed_by,
            references,
            author,
            image,
            image_alt,
        } = front;

        let title = title.trim().to_owned();
        if title.is_empty() {
            errors.push(LineError::new(at("title"), "`title` is empty"));
        }
        let published = to_datetime(&date).map_err(|m| LineError::new(at("date"), format!("`date` {m}")));
        let updated = updated
            .map(|d| to_datetime(&d).map_err(|m| LineError::new(at("updated"), format!("`updated` {m}"))))
            .transpose();
        let reviewed = reviewed
            .map(|d| to_datetime(&d).map_err(|m| LineError::new(at("reviewed"), format!("`reviewed` {m}"))))
            .transpose();
        let (published, updated, reviewed) = match (published, updated, reviewed) {
            (Ok(p), Ok(u), Ok(r)) => (p, u, r),
            (p, u, r) => {
                errors.extend(p.err());
                errors.extend(u.err());
                errors.extend(r.err());
                (NaiveDateTime::default(), None, None)
            }
        };
        if updated.is_some_and(|u| u < published) {
            errors.push(LineError::new(at("updated"), "`updated` is earlier than `date`"));
        }
        let reviewed_by = reviewed_by.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        if reviewed.is_some() != reviewed_by.is_some() {
            let key = if reviewed.is_some() { "reviewed" } else { "reviewed_by" };
            errors.push(LineError::new(at(key), "`reviewed` and `reviewed_by` go together: give both or neither"));
        }

        let image = image.map(|i| i.trim().to_owned()).unwrap_or_default();
        let image_alt = image_alt.map(|a| a.trim().to_owned()).unwrap_or_default();
        if !image.is_empty() && image_alt.is_empty() {
            errors.push(LineError::new(
                at("image"),
                "`image_alt` is missing: describe the picture for readers who cannot see it",
            ));
        }

        let slug = match slug {
            Some(slug) => slug,
            None => path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        };
        if !is_slug(&slug) {
            errors.push(LineError::new(
                at("slug"),
                format!(
                    "the slug `{slug}` must be lower-case letters, digits and hyphens (set `slug` or rename the file)"
                ),
            ));
        }
        for tag in &tags {
            if !is_slug(tag) {
                errors.push(LineError::new(
                    at("tags"),
                    format!("the tag `{tag}` must be lower-case letters, digits and hyphens"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let rendered = markdown::render_article(split.body, &slug);
        let word_count = rendered.plain_text.split_whitespace().count();
        let summary = summary
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| first_words(&rendered.plain_text, SUMMARY_WORDS));
        let mut tags = tags;
        tags.dedup();

        Ok(Self {
            slug,
            title,
            published: When::new(published),
            updated: updated.map(When::new),
            summary,
            tags,
            draft,
            comments_open: comments,
            reviewed: reviewed.map(When::new),
            reviewed_by,
            author: author.map(|a| a.trim().to_owned()).unwrap_or_default(),
            byline: String::new(),
            image,
            image_alt,
            image_width: 0,
            image_height: 0,
            references: references.iter().map(|r| markdown::render_inline(r)).collect(),
            body: rendered.html,
            toc: rendered.toc,
            word_count,
            reading_minutes: word_count.div_ceil(WORDS_PER_MINUTE).max(1),
            plain_text: rendered.plain_text,
            source: path.to_owned(),
            slug_line: at("slug"),
            questions: crate::exchanges::questions(split.body),
        })
    }

    /// Shows its publication on the clock of `zone`; `updated` and
    /// `reviewed` are days, written as days, and stay as they are.
    pub fn in_zone(mut self, zone: Tz) -> Self {
        self.published = When::in_zone(self.published.at, zone);
        self
    }

    /// When the article last changed: `updated`, or `date`.
    pub fn modified(&self) -> &When {
        self.updated.as_ref().unwrap_or(&self.published)
    }
}

pub(super) fn to_datetime(value: &Datetime) -> Result<NaiveDateTime, String> {
    let date = value.date.as_ref().ok_or("must be a date such as 2024-05-31")?;
    let date = NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
        .ok_or("is not a real calendar date")?;
    let time = match &value.time {
        Some(t) => NaiveTime::from_hms_opt(t.hour.into(), t.minute.into(), t.second.into())
            .ok_or("has an impossible time of day")?,
        None => NaiveTime::MIN,
    };
    Ok(date.and_time(time))
}

/// Lower-case letters of any script (as WordPress keeps them), emoji,
/// digits and hyphens, not at either end.
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('-')
        && !text.ends_with('-')
        && text.chars().all(|c| is_slug_letter(c) || c == '-')
}

fn is_slug_letter(c: char) -> bool {
    (c.is_alphanumeric() && !c.is_uppercase()) || is_emoji(c)
}

/// Pictographs and the characters that join or vary them: WordPress keeps
/// them in a slug (`🧠-five-myths`) as it keeps letters.
fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D | 0x20E3)
}

/// A slug made from a title: lower case, every run of other characters one
/// hyphen; letters of any script and emoji are kept.
pub fn slug_from_title(title: &str) -> String {
    let mut slug = String::new();
    for c in title.trim().to_lowercase().chars() {
        if is_slug_letter(c) {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') && c != '\'' && c != '’' {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn first_words(text: &str, count: usize) -> String {
    let mut words = text.split_whitespace();
    let mut summary = words.by_ref().take(count).collect::<Vec<_>>().join(" ");
    if words.next().is_some() {
        summary.push('…');
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Result<Article, Vec<LineError>> {
        Article::parse(Path::new("posts/sample-post.md"), source)
    }

    #[test]
    fn a_minimal_post_takes_its_slug_from_the_file_name() {
        let article = parse("+++\ntitle = \"Hi\"\ndate = 2020-02-03\n+++\nSome *words* here.\n").unwrap();
        assert_eq!(article.slug, "sample-post");
        assert_eq!(article.published.display, "February 3, 2020");
        assert_eq!(article.summary, "Some words here.");
        assert!(article.comments_open);
        assert_eq!(article.reading_minutes, 1);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let errors = parse(
            "+++\ntitle = \" \"\ndate = 2020-02-03\nupdated = 2019-01-01\ntags = [\"Bad Tag\"]\nreviewed_by = \"Dr. X\"\n+++\n",
        )
        .unwrap_err();
        let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 4, 6, 5], "{errors:?}");
    }

    #[test]
    fn moments_are_formatted_for_machines_and_people() {
        let at = NaiveDate::from_ymd_opt(2016, 7, 5).unwrap().and_hms_opt(15, 9, 2).unwrap();
        let when = When::new(at);
        assert_eq!(when.iso_date, "2016-07-05");
        assert_eq!(when.rfc3339, "2016-07-05T15:09:02Z");
        assert_eq!(when.display, "July 5, 2016");
        assert_eq!(when.time_of_day(), "3:09 pm");
        assert_eq!(When::new(at.date().and_hms_opt(0, 5, 0).unwrap()).time_of_day(), "12:05 am");
    }

    #[test]
    fn a_slug_is_made_from_a_title_in_any_script() {
        assert_eq!(slug_from_title("  Magnesium: what's the dose? "), "magnesium-whats-the-dose");
        assert_eq!(slug_from_title("Головная боль и магний"), "головная-боль-и-магний");
        assert!(is_slug("головная-боль") && !is_slug("Bad Tag"));
        assert!(is_slug("🧠-five-migraine-myths") && is_slug("片頭痛-10"));
        assert_eq!(slug_from_title("🧠 Five myths!"), "🧠-five-myths");
    }

    #[test]
    fn a_date_without_a_day_is_refused() {
        let errors = parse("+++\ntitle = \"Hi\"\ndate = 10:00:00\n+++\n").unwrap_err();
        assert_eq!(errors[0].line, 3);
    }
}
