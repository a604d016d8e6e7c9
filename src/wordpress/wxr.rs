//! Reading a WordPress export (WXR 1.0 to 1.2) into a plain model, in one
//! streaming pass. Only the fields the import uses are kept; everything
//! else in the file is read past.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use quick_xml::events::Event;
use quick_xml::Reader;

/// What a WordPress export holds.
#[derive(Debug, Default)]
pub struct Export {
    pub wxr_version: String,
    /// The WordPress site's own address (`wp:base_site_url`), which may
    /// tell its country.
    pub site_url: String,
    /// The site's address, e.g. `https://example.org` (no trailing slash).
    pub base_url: String,
    pub authors: Vec<WpAuthor>,
    /// Category and tag slugs listed in the channel, for their old archive
    /// addresses.
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub items: Vec<Item>,
}

#[derive(Debug, Default, Clone)]
pub struct WpAuthor {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub email: String,
}

/// A post, page, attachment or any other post type.
#[derive(Debug, Default)]
pub struct Item {
    pub title: String,
    pub link: String,
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub id: i64,
    /// Local time of the site, `YYYY-MM-DD HH:MM:SS`.
    pub date: String,
    pub date_gmt: String,
    pub modified_gmt: String,
    pub comment_status: String,
    pub name: String,
    pub status: String,
    pub parent: i64,
    pub post_type: String,
    pub attachment_url: String,
    /// `wp:postmeta` as (key, value), in the file's order.
    pub meta: Vec<(String, String)>,
    pub terms: Vec<Term>,
    pub comments: Vec<WpComment>,
    /// The line of the file where the item starts.
    pub line: usize,
}

impl Item {
    /// The value of the first `wp:postmeta` named `key`.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A category or tag on an item.
#[derive(Debug, Default, Clone)]
pub struct Term {
    /// `category` or `post_tag` (other taxonomies are kept but unused).
    pub domain: String,
    pub nicename: String,
    pub name: String,
}

#[derive(Debug, Default, Clone)]
pub struct WpComment {
    pub id: i64,
    pub author: String,
    pub email: String,
    pub url: String,
    pub ip: String,
    pub date: String,
    pub date_gmt: String,
    pub content: String,
    /// `1`, `0`, `spam`, `trash`, `post-trashed`.
    pub approved: String,
    /// `comment` (or empty in old exports), `pingback`, `trackback`, …
    pub comment_type: String,
    pub parent: i64,
    pub user_id: i64,
}

/// Why a file could not be read as a WordPress export, at a line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ReadError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Reads `path` as a WordPress export.
pub fn read_file(path: &Path) -> Result<Export, ReadError> {
    let file = File::open(path).map_err(|e| ReadError {
        file: path.display().to_string(),
        line: 0,
        message: format!("cannot open the file: {e}"),
    })?;
    let mut lines = LineCounter::new(BufReader::with_capacity(1 << 16, file));
    read(&mut lines).map_err(|(offset, message)| ReadError {
        file: path.display().to_string(),
        line: lines.line_of(offset),
        message,
    })
}

/// Reads an export from memory (for tests); errors carry `<memory>`.
pub fn read_str(text: &str) -> Result<Export, ReadError> {
    let mut lines = LineCounter::new(text.as_bytes());
    read(&mut lines).map_err(|(offset, message)| ReadError {
        file: "<memory>".into(),
        line: lines.line_of(offset),
        message,
    })
}

/// Counts the newlines that pass through, so that a byte offset of the
/// parser becomes a line number without a second read of the file.
struct LineCounter<R> {
    inner: R,
    /// Byte offsets at which each line after the first starts, as read so far.
    newline_offsets: Vec<u64>,
    consumed: u64,
}

impl<R: BufRead> LineCounter<R> {
    fn new(inner: R) -> Self {
        Self { inner, newline_offsets: Vec::new(), consumed: 0 }
    }

    fn line_of(&self, offset: u64) -> usize {
        1 + self.newline_offsets.partition_point(|&o| o <= offset)
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buffer) = self.inner.fill_buf() {
            let start = self.consumed;
            for (i, byte) in buffer[..amount.min(buffer.len())].iter().enumerate() {
                if *byte == b'\n' {
                    self.newline_offsets.push(start + i as u64 + 1);
                }
            }
        }
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
}

type Failure = (u64, String);

fn read<R: BufRead>(source: &mut LineCounter<R>) -> Result<Export, Failure> {
    let mut reader = Reader::from_reader(source);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut export = Export::default();
    // The names of the open elements, as written (`wp:comment_id`).
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut item: Option<Item> = None;
    let mut comment: Option<WpComment> = None;
    let mut author: Option<WpAuthor> = None;
    let mut term: Option<Term> = None;
    let mut saw_root = false;

    loop {
        let position = reader.buffer_position();
        let event = reader.read_event_into(&mut buf).map_err(|e| (reader.error_position(), describe(&e)))?;
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                if path.is_empty() {
                    if name != "rss" {
                        return Err((
                            position,
                            format!("not a WordPress export: the file starts with <{name}>, not <rss>"),
                        ));
                    }
                    saw_root = true;
                }
                match name.as_str() {
                    "item" => item = Some(Item { line: 0, ..Item::default() }),
                    "wp:comment" if item.is_some() => comment = Some(WpComment::default()),
                    "wp:author" if item.is_none() => author = Some(WpAuthor::default()),
                    "category" if item.is_some() => {
                        let mut found = Term::default();
                        for attribute in start.attributes().flatten() {
                            let value = attribute
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(|v| v.into_owned())
                                .unwrap_or_else(|_| String::from_utf8_lossy(&attribute.value).into_owned());
                            match attribute.key.as_ref() {
                                b"domain" => found.domain = value,
                                b"nicename" => found.nicename = value,
                                _ => {}
                            }
                        }
                        term = Some(found);
                    }
                    _ => {}
                }
                if let (Some(item), "item") = (item.as_mut(), name.as_str()) {
                    item.line = position as usize; // turned into a line below
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(start) if path.is_empty() => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                return Err((position, format!("not a WordPress export: the file starts with <{name}/>")));
            }
            Event::End(_) => {
                let Some(name) = path.pop() else {
                    return Err((position, "a closing tag with no opening tag".into()));
                };
                let value = std::mem::take(&mut text);
                let parent = path.last().map(String::as_str).unwrap_or("");
                if let Some(c) = comment.as_mut() {
                    if name == "wp:comment" {
                        if let (Some(c), Some(item)) = (comment.take(), item.as_mut()) {
                            item.comments.push(c);
                        }
                    } else if parent == "wp:comment" {
                        set_comment_field(c, &name, value);
                    }
                } else if let Some(a) = author.as_mut() {
                    if name == "wp:author" {
                        export.authors.extend(author.take());
                    } else {
                        match name.as_str() {
                            "wp:author_id" => a.id = value.trim().parse().unwrap_or(0),
                            "wp:author_login" => a.login = value,
                            "wp:author_display_name" => a.display_name = value,
                            "wp:author_email" => a.email = value.trim().to_owned(),
                            _ => {}
                        }
                    }
                } else if let Some(it) = item.as_mut() {
                    if name == "item" {
                        export.items.extend(item.take());
                    } else if name == "category" && parent == "item" {
                        if let Some(mut t) = term.take() {
                            t.name = value;
                            it.terms.push(t);
                        }
                    } else if parent == "item" {
                        set_item_field(it, &name, value);
                    } else if parent == "wp:postmeta" && name == "wp:meta_key" {
                        it.meta.push((value.trim().to_owned(), String::new()));
                    } else if parent == "wp:postmeta" && name == "wp:meta_value" {
                        if let Some(meta) = it.meta.last_mut() {
                            meta.1 = value;
                        }
                    }
                } else if parent == "channel" {
                    match name.as_str() {
                        "wp:wxr_version" => export.wxr_version = value.trim().to_owned(),
                        "wp:base_blog_url" => export.base_url = value.trim().trim_end_matches('/').to_owned(),
                        "wp:base_site_url" => {
                            export.site_url = value.trim().trim_end_matches('/').to_owned();
                            if export.base_url.is_empty() {
                                export.base_url = export.site_url.clone();
                            }
                        }
                        "link" if export.base_url.is_empty() => {
                            export.base_url = value.trim().trim_end_matches('/').to_owned()
                        }
                        _ => {}
                    }
                } else {
                    match (parent, name.as_str()) {
                        ("wp:category", "wp:category_nicename") => export.categories.push(value),
                        ("wp:tag", "wp:tag_slug") => export.tags.push(value),
                        _ => {}
                    }
                }
            }
            Event::Text(t) => text
                .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0).map_err(|e| (position, e.to_string()))?),
            Event::CData(t) => text.push_str(&t.decode().map_err(|e| (position, e.to_string()))?),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| (position, describe(&e)))? {
                    text.push(c);
                } else {
                    let name = r.decode().map_err(|e| (position, e.to_string()))?;
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(v) => text.push_str(v),
                        None => return Err((position, format!("unknown entity &{name};"))),
                    }
                }
            }
            Event::Eof => {
                if !saw_root {
                    return Err((position, "not a WordPress export: the file holds no XML elements".into()));
                }
                if let Some(open) = path.last() {
                    return Err((
                        position,
                        format!("the file ends before <{open}> is closed: it looks truncated (export it again)"),
                    ));
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    if export.wxr_version.is_empty() {
        return Err((0, "not a WordPress export: the RSS feed has no <wp:wxr_version>".into()));
    }
    // Item lines were recorded as byte offsets while reading.
    let offsets: Vec<u64> = export.items.iter().map(|i| i.line as u64).collect();
    let source = reader.into_inner();
    for (item, offset) in export.items.iter_mut().zip(offsets) {
        item.line = source.line_of(offset);
    }
    Ok(export)
}

fn describe(error: &quick_xml::Error) -> String {
    match error {
        quick_xml::Error::Syntax(_) | quick_xml::Error::IllFormed(_) => {
            format!("not well-formed XML ({error}); is the file complete, and is it a WordPress export?")
        }
        other => other.to_string(),
    }
}

fn number(value: &str) -> i64 {
    value.trim().parse().unwrap_or(0)
}

fn set_item_field(item: &mut Item, name: &str, value: String) {
    match name {
        "title" => item.title = value,
        "link" => item.link = value.trim().to_owned(),
        "dc:creator" => item.creator = value,
        "content:encoded" => item.content = value,
        "excerpt:encoded" => item.excerpt = value,
        "wp:post_id" => item.id = number(&value),
        "wp:post_date" => item.date = value.trim().to_owned(),
        "wp:post_date_gmt" => item.date_gmt = value.trim().to_owned(),
        "wp:post_modified_gmt" => item.modified_gmt = value.trim().to_owned(),
        "wp:comment_status" => item.comment_status = value.trim().to_owned(),
        "wp:post_name" => item.name = value.trim().to_owned(),
        "wp:status" => item.status = value.trim().to_owned(),
        "wp:post_parent" => item.parent = number(&value),
        "wp:post_type" => item.post_type = value.trim().to_owned(),
        "wp:attachment_url" => item.attachment_url = value.trim().to_owned(),
        _ => {}
    }
}

fn set_comment_field(comment: &mut WpComment, name: &str, value: String) {
    match name {
        "wp:comment_id" => comment.id = number(&value),
        "wp:comment_author" => comment.author = value,
        "wp:comment_author_email" => comment.email = value.trim().to_owned(),
        "wp:comment_author_url" => comment.url = value.trim().to_owned(),
        "wp:comment_author_IP" => comment.ip = value.trim().to_owned(),
        "wp:comment_date" => comment.date = value.trim().to_owned(),
        "wp:comment_date_gmt" => comment.date_gmt = value.trim().to_owned(),
        "wp:comment_content" => comment.content = value,
        "wp:comment_approved" => comment.approved = value.trim().to_owned(),
        "wp:comment_type" => comment.comment_type = value.trim().to_owned(),
        "wp:comment_parent" => comment.parent = number(&value),
        "wp:comment_user_id" => comment.user_id = number(&value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "<?xml version=\"1.0\"?>\n<rss xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel>\
        <wp:wxr_version>1.2</wp:wxr_version><wp:base_blog_url>https://a.example/</wp:base_blog_url>\n\
        <item><title>A &amp; B</title><wp:post_id>4</wp:post_id><wp:comment><wp:comment_id>9</wp:comment_id>\
        <wp:comment_content><![CDATA[x ]]]]><![CDATA[> y]]></wp:comment_content></wp:comment></item>\
        </channel></rss>";

    #[test]
    fn reads_items_comments_entities_and_split_cdata() {
        let export = read_str(TINY).unwrap();
        assert_eq!(export.base_url, "https://a.example");
        assert_eq!(export.items[0].title, "A & B");
        assert_eq!(export.items[0].line, 3);
        assert_eq!(export.items[0].comments[0].content, "x ]]> y");
    }

    #[test]
    fn a_truncated_file_is_an_error_at_its_last_line() {
        let error = read_str(&TINY[..TINY.len() - 40]).unwrap_err();
        assert_eq!(error.line, 3, "{error}");
        assert!(error.message.contains("truncated") || error.message.contains("well-formed"), "{error}");
    }

    #[test]
    fn other_xml_and_text_are_not_exports() {
        assert!(read_str("<html><body/></html>").unwrap_err().message.contains("not a WordPress export"));
        assert!(read_str("hello\nworld").unwrap_err().message.contains("not a WordPress export"));
        let plain_rss = "<rss><channel><title>t</title></channel></rss>";
        assert!(read_str(plain_rss).unwrap_err().message.contains("wxr_version"));
    }
}
