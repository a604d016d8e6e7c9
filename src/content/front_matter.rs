//! Splitting a post file into TOML front matter and Markdown body.

use serde::Deserialize;
use toml::value::Datetime;

/// The keys a post may set between its `+++` lines. Unknown keys are an
/// error, so that a typo never vanishes silently.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    pub date: Datetime,
    #[serde(default)]
    pub updated: Option<Datetime>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub draft: bool,
    /// Whether readers may comment; `comments = false` closes the form.
    #[serde(default = "comments_open_by_default")]
    pub comments: bool,
    #[serde(default)]
    pub reviewed: Option<Datetime>,
    #[serde(default)]
    pub reviewed_by: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
}

fn comments_open_by_default() -> bool {
    true
}

/// A problem at a line of the file (1-based).
#[derive(Debug, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl LineError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        Self { line, message: message.into() }
    }
}

/// The parts of a post file.
#[derive(Debug)]
pub struct Split<'a> {
    /// The TOML between the `+++` lines.
    pub front: &'a str,
    pub body: &'a str,
}

/// Splits `source` at its `+++` lines. The front matter starts on line 2.
pub fn split(source: &str) -> Result<Split<'_>, LineError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let Some(rest) = strip_delimiter_line(source) else {
        return Err(LineError::new(1, "the file must start with a `+++` line that opens the front matter"));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Ok(Split { front: &rest[..offset], body: &rest[offset + line.len()..] });
        }
        offset += line.len();
    }
    Err(LineError::new(1, "the front matter opened here is never closed by a `+++` line"))
}

fn strip_delimiter_line(source: &str) -> Option<&str> {
    let first_line_end = source.find('\n').map_or(source.len(), |i| i + 1);
    (source[..first_line_end].trim_end() == "+++").then(|| &source[first_line_end..])
}

/// Parses the TOML, reporting errors at their line in the file.
pub fn parse(front: &str) -> Result<FrontMatter, LineError> {
    toml::from_str(front).map_err(|error| {
        let line = error.span().map_or(1, |span| line_in_file(front, span.start));
        LineError::new(line, format!("front matter: {}", error.message().trim_end()))
    })
}

/// The file line of byte `offset` of the front matter (which starts on line 2).
pub fn line_in_file(front: &str, offset: usize) -> usize {
    2 + front[..offset.min(front.len())].matches('\n').count()
}

/// The file line on which `key` is set, or the opening line when it is not.
pub fn line_of_key(front: &str, key: &str) -> usize {
    let mut offset = 0;
    for line in front.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(after) = trimmed.strip_prefix(key) {
            if after.trim_start().starts_with('=') {
                return line_in_file(front, offset);
            }
        }
        offset += line.len();
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_from_body() {
        let split = split("+++\ntitle = \"A\"\n+++\nBody\n").unwrap();
        assert_eq!(split.front, "title = \"A\"\n");
        assert_eq!(split.body, "Body\n");
    }

    #[test]
    fn a_missing_opening_or_closing_line_is_reported() {
        assert_eq!(split("title = 1\n").unwrap_err().line, 1);
        assert!(split("+++\ntitle = 1\n").unwrap_err().message.contains("never closed"));
    }

    #[test]
    fn toml_errors_point_at_the_file_line() {
        let error = parse("title = \"A\"\ndate = 2020-01-01\ncolour = \"red\"\n").unwrap_err();
        assert_eq!(error.line, 4);
        assert!(error.message.contains("colour"), "{}", error.message);
    }

    #[test]
    fn finds_the_line_of_a_key() {
        assert_eq!(line_of_key("title = \"A\"\n  tags = []\n", "tags"), 3);
        assert_eq!(line_of_key("title = \"A\"\n", "slug"), 1);
    }
}
