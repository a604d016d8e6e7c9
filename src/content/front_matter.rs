//! Splitting a post file into TOML front matter and Markdown body.

use serde::{Deserialize, Serialize};
use toml::value::Datetime;

/// The keys a post may set between its `+++` lines. Unknown keys are an
/// error, so that a typo never vanishes silently. Read by `parse` and
/// written by `write`: one type for both, so that what is written reads back
/// the same (keys left at their default are left out).
#[derive(Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    pub date: Datetime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Datetime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub draft: bool,
    /// Whether readers may comment; `comments = false` closes the form.
    #[serde(default = "comments_open_by_default", skip_serializing_if = "is_true")]
    pub comments: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<Datetime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The sign-in name of the desk account whose byline the article
    /// carries; without it, the site's author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The article's picture (an address) and its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_alt: Option<String>,
}

fn comments_open_by_default() -> bool {
    true
}

fn is_false(flag: &bool) -> bool {
    !*flag
}

fn is_true(flag: &bool) -> bool {
    *flag
}

/// The text of a post file: `front` between `+++` lines, with `comment` as a
/// TOML comment on the first of them, then `body`. The file is read back
/// with `split` and `parse` before it is returned: a value that would end
/// the front matter early (a `+++` line inside a multi-line string) or read
/// back differently is refused, so that no file written here stops `serve`.
pub fn write(front: &FrontMatter, comment: Option<&str>, body: &str) -> Result<String, String> {
    let toml = toml::to_string(front).map_err(|error| one_line(&error.to_string()))?;
    let mut text = String::from("+++\n");
    if let Some(comment) = comment {
        if comment.contains(['\n', '\r']) {
            return Err("a front-matter comment must fit on one line".into());
        }
        text.push_str(&format!("# {comment}\n"));
    }
    text.push_str(&toml);
    // The body follows as it is, so that a file written from what was read
    // reads back the same, however often.
    text.push_str("+++\n");
    text.push_str(body);
    let read_back = split(&text).map_err(|error| error.message).and_then(|parts| {
        let (read, errors) = parse(parts.front);
        match (read, errors.first()) {
            (_, Some(error)) => Err(error.message.clone()),
            (None, None) => Err("the front matter cannot be read back".into()),
            (Some(read), None) => Ok((read, parts.body)),
        }
    });
    match read_back {
        Ok((read, written_body)) if read == *front && written_body == body => Ok(text),
        Ok(_) => Err("the file would not read back as written (a value holds a `+++` line)".into()),
        Err(message) => Err(format!("the file would not read back: {message}")),
    }
}

/// The front matter as TOML, one key a line, for the lines between `+++`.
pub fn to_toml(front: &FrontMatter) -> Result<String, toml::ser::Error> {
    toml::to_string(front)
}

/// The key set on line `line` of a file whose front matter is `front` (or on
/// the nearest line above it): where a problem found in a written file
/// belongs in a form.
pub fn key_at_line(front: &str, line: usize) -> Option<&'static str> {
    let lines: Vec<&str> = front.split_inclusive('\n').collect();
    let last = line.checked_sub(2)?.min(lines.len().checked_sub(1)?);
    lines[..=last].iter().rev().find_map(|text| {
        let key = text.split_once('=')?.0.trim();
        KEYS.iter().find(|(known, _)| *known == key).map(|(known, _)| *known)
    })
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

/// What each front-matter key holds, for messages in plain words.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Date,
    Flag,
    List,
}

/// Every key `FrontMatter` reads, in the order the README lists them.
const KEYS: &[(&str, Kind)] = &[
    ("title", Kind::Text),
    ("date", Kind::Date),
    ("updated", Kind::Date),
    ("slug", Kind::Text),
    ("summary", Kind::Text),
    ("tags", Kind::List),
    ("draft", Kind::Flag),
    ("comments", Kind::Flag),
    ("reviewed", Kind::Date),
    ("reviewed_by", Kind::Text),
    ("references", Kind::List),
    ("author", Kind::Text),
    ("image", Kind::Text),
    ("image_alt", Kind::Text),
];

const REQUIRED: &[&str] = &["title", "date"];

/// Parses the TOML and reports every problem at its line in the file: each
/// unknown key (with the nearest known one), each value of the wrong kind,
/// each missing key. The front matter comes back without the faulty keys,
/// so that the rest of the file can still be checked, unless a key it
/// cannot do without is missing or unreadable.
pub fn parse(front: &str) -> (Option<FrontMatter>, Vec<LineError>) {
    let mut errors = Vec::new();
    let (mut table, skipped_lines) = parse_table(front, &mut errors);
    let mut unreadable = skipped_lines;

    let keys: Vec<String> = table.keys().cloned().collect();
    for key in keys {
        let line = line_of_key(front, &key);
        let Some(&(_, kind)) = KEYS.iter().find(|(known, _)| *known == key) else {
            errors.push(LineError::new(line, format!("front matter: {}", unknown_key_message(&key))));
            table.remove(&key);
            continue;
        };
        if let Some(problem) = wrong_kind(&key, kind, &table[&key]) {
            errors.push(LineError::new(line, problem));
            table.remove(&key);
            unreadable.push(key);
        }
    }
    for key in REQUIRED {
        if !table.contains_key(*key) {
            if !unreadable.iter().any(|k| k == key || k.is_empty()) {
                errors.push(LineError::new(1, format!("front matter: `{key}` is missing")));
            }
            // A stand-in, reported above, so that the other keys are still checked.
            let stand_in = match *key {
                "date" => toml::Value::Datetime(Datetime {
                    date: Some(toml::value::Date { year: 1970, month: 1, day: 1 }),
                    time: None,
                    offset: None,
                }),
                _ => toml::Value::String("untitled".into()),
            };
            table.insert((*key).to_owned(), stand_in);
        }
    }
    // Through text: toml 0.8 reads a datetime from a `Value` only as a string.
    let read = toml::to_string(&table)
        .map_err(|error| one_line(&error.to_string()))
        .and_then(|text| toml::from_str::<FrontMatter>(&text).map_err(|error| one_line(error.message())));
    match read {
        Ok(front) => (Some(front), errors),
        Err(message) => {
            if errors.is_empty() {
                errors.push(LineError::new(1, format!("front matter: {message}")));
            }
            (None, errors)
        }
    }
}

/// The front matter as a TOML table. A syntax error is reported and its line
/// left out, so that the lines after it are still read, as long as it is a
/// line of its own (`key = value`); returns the keys whose lines were left
/// out (an empty name when the key could not be told).
fn parse_table(front: &str, errors: &mut Vec<LineError>) -> (toml::Table, Vec<String>) {
    let mut lines: Vec<&str> = front.split_inclusive('\n').collect();
    let mut skipped = Vec::new();
    loop {
        let text: String = lines.concat();
        let error = match text.parse::<toml::Table>() {
            Ok(table) => return (table, skipped),
            Err(error) => error,
        };
        let line = error.span().map_or(1, |span| line_in_file(&text, span.start));
        let key = lines.get(line.wrapping_sub(2)).and_then(|l| simple_key(l));
        errors.push(LineError::new(line, syntax_message(key.as_deref(), error.message())));
        match key {
            // A value that fits on its line: leave the line out and read on.
            Some(key) if !skipped.contains(&key) && line >= 2 => {
                lines[line - 2] = "\n";
                skipped.push(key);
            }
            _ => {
                skipped.push(String::new());
                return (toml::Table::new(), skipped);
            }
        }
    }
}

/// The key of a `key = value` line whose value ends on the same line.
fn simple_key(line: &str) -> Option<String> {
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    let is_bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let value = value.trim();
    let opens_more =
        value.starts_with('[') && !value.ends_with(']') || value.starts_with("\"\"\"") || value.starts_with("'''");
    (is_bare && !opens_more).then(|| key.to_owned())
}

fn syntax_message(key: Option<&str>, message: &str) -> String {
    match key {
        Some(key) if KEYS.iter().any(|(k, kind)| *k == key && matches!(kind, Kind::Date)) => format!(
            "`{key}` is not a real date ({}): write it as 2024-05-31, or 2024-05-31T08:30:00 with a time",
            one_line(message)
        ),
        _ => format!("front matter: {}", one_line(message)),
    }
}

/// toml's messages run over several lines; `file:line: message` wants one.
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(": ")
}

fn unknown_key_message(key: &str) -> String {
    match nearest_key(key) {
        Some(known) => format!("unknown key `{key}`: did you mean `{known}`?"),
        None => {
            let all: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            format!("unknown key `{key}`; the keys are {}", all.join(", "))
        }
    }
}

/// The known key closest to a mistyped one, when it is close enough to be
/// what was meant.
fn nearest_key(key: &str) -> Option<&'static str> {
    crate::config::nearest(key, KEYS.iter().map(|(k, _)| *k))
}

fn wrong_kind(key: &str, kind: Kind, value: &toml::Value) -> Option<String> {
    use toml::Value;
    let fits = match kind {
        Kind::Text => value.is_str(),
        Kind::Date => value.is_datetime(),
        Kind::Flag => value.is_bool(),
        Kind::List => value.as_array().is_some_and(|items| items.iter().all(Value::is_str)),
    };
    if fits {
        return None;
    }
    Some(match (kind, value) {
        (Kind::Date, Value::String(text)) => {
            format!("`{key}` must be a date without quotes: {key} = {}", text.trim())
        }
        (Kind::Date, _) => format!("`{key}` must be a date such as 2024-05-31"),
        (Kind::Text, _) => format!("`{key}` must be text in quotes"),
        (Kind::Flag, _) => format!("`{key}` must be true or false, without quotes"),
        (Kind::List, _) => format!("`{key}` must be a list of texts in quotes, such as [\"a\", \"b\"]"),
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
        let (front, errors) = parse("title = \"A\"\ndate = 2020-01-01\ncolour = \"red\"\n");
        assert!(front.is_some(), "the known keys are still read");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 4);
        assert!(errors[0].message.contains("unknown key `colour`; the keys are title, date"), "{errors:?}");
    }

    #[test]
    fn every_problem_in_the_front_matter_is_reported_and_a_typo_gets_a_suggestion() {
        let (front, errors) =
            parse("title = \"A\"\ndate = 2024-02-30\nsumary = \"s\"\ndraft = \"yes\"\ntagz = [\"x\"]\n");
        assert!(front.is_some(), "the other keys are still read");
        let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(found[0].0, 3);
        assert!(found[0].1.starts_with("`date` is not a real date (") && !found[0].1.contains('\n'), "{found:?}");
        assert!(found.contains(&(4, "front matter: unknown key `sumary`: did you mean `summary`?")), "{found:?}");
        assert!(found.contains(&(5, "`draft` must be true or false, without quotes")), "{found:?}");
        assert!(found.contains(&(6, "front matter: unknown key `tagz`: did you mean `tags`?")), "{found:?}");
    }

    #[test]
    fn a_missing_title_is_named() {
        let (_, errors) = parse("date = 2024-01-01\n");
        assert_eq!(errors, [LineError::new(1, "front matter: `title` is missing")]);
    }

    fn front(title: &str) -> FrontMatter {
        FrontMatter {
            title: title.into(),
            date: "2021-06-14T12:15:00Z".parse().unwrap(),
            updated: None,
            slug: Some("a".into()),
            summary: None,
            tags: vec!["x".into()],
            draft: true,
            comments: false,
            reviewed: None,
            reviewed_by: None,
            references: Vec::new(),
            author: None,
            image: None,
            image_alt: None,
        }
    }

    #[test]
    fn a_written_file_reads_back_as_written() {
        let written = front("A \"quoted\" title \\ with a backslash");
        let text = write(&written, Some("Imported from WordPress post 7."), "Body\n+++\nmore\n").unwrap();
        assert!(text.starts_with("+++\n# Imported from WordPress post 7.\ntitle = "), "{text}");
        let parts = split(&text).unwrap();
        assert_eq!(parse(parts.front).0, Some(written));
        assert_eq!(parts.body, "Body\n+++\nmore\n");
    }

    #[test]
    fn a_value_with_a_closing_line_in_it_is_refused() {
        let error = write(&front("Before\n+++\nAfter"), None, "Body\n").unwrap_err();
        assert!(error.contains("would not read back"), "{error}");
        assert!(write(&front("A"), Some("two\nlines"), "").is_err());
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let (front, errors) = parse(
            "title = \"A \\\"quoted\\\" title\"\ndate = 2024-05-31T08:30:00\ntags = [\"a\", \"b\"]\ndraft = true\nauthor = \"ann\"\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let text = write(&front.unwrap(), None, "Body\n").unwrap();
        let split = split(&text).unwrap();
        let (again, errors) = parse(split.front);
        assert!(errors.is_empty(), "{errors:?}");
        let again = again.unwrap();
        assert_eq!(again.title, "A \"quoted\" title");
        assert_eq!(again.date.to_string(), "2024-05-31T08:30:00");
        assert_eq!(
            (again.tags, again.draft, again.author.as_deref()),
            (vec!["a".into(), "b".into()], true, Some("ann"))
        );
        assert_eq!(split.body, "Body\n");
        assert_eq!(key_at_line(split.front, 3), Some("date"));
    }

    #[test]
    fn finds_the_line_of_a_key() {
        assert_eq!(line_of_key("title = \"A\"\n  tags = []\n", "tags"), 3);
        assert_eq!(line_of_key("title = \"A\"\n", "slug"), 1);
    }
}
