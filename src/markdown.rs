//! The one boundary between Markdown and HTML. Everything that becomes
//! `SafeHtml` has been through ammonia here (or was, before it was stored),
//! so templates may print it raw.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

/// HTML that has been cleaned by one of this module's ammonia policies. The
/// only ways to make one are this module's renderers and reading a column
/// that only ever stores their output (`comments.body_html`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(transparent)]
pub struct SafeHtml(String);

impl<DB: Backend> ToSql<Text, DB> for SafeHtml
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.as_str().to_sql(out)
    }
}

impl<DB: Backend> FromSql<Text, DB> for SafeHtml
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(bytes).map(Self)
    }
}

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Escapes `text` and marks every word that matches `is_match` with
    /// `<mark>`, leaving the punctuation around the word outside the mark.
    pub fn highlight(text: &str, is_match: impl Fn(&str) -> bool) -> Self {
        let mut out = String::with_capacity(text.len() + 32);
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let core = word.trim_matches(|c: char| !c.is_alphanumeric());
            if core.is_empty() || !is_match(core) {
                out.push_str(&escape_html(word));
                continue;
            }
            let start = word.len() - word.trim_start_matches(|c: char| !c.is_alphanumeric()).len();
            out.push_str(&escape_html(&word[..start]));
            out.push_str("<mark>");
            out.push_str(&escape_html(core));
            out.push_str("</mark>");
            out.push_str(&escape_html(&word[start + core.len()..]));
        }
        Self(MARK_CLEANER.clean(&out).to_string())
    }
}

impl std::fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An entry of an article's table of contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// An article rendered once at start-up.
#[derive(Clone, Debug, Default)]
pub struct RenderedArticle {
    pub html: SafeHtml,
    pub toc: Vec<Heading>,
    /// The words a reader reads, for search, summaries and reading time.
    pub plain_text: String,
}

static ARTICLE_CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["id", "class"])
        .add_tags(["figure", "figcaption", "section", "picture", "source"])
        .add_tag_attributes("img", ["loading", "decoding", "srcset", "sizes"])
        .add_tag_attributes("source", ["type", "srcset", "sizes"])
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"));
    builder
});

static COMMENT_CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(["p", "br", "em", "strong", "del", "a", "ul", "ol", "li", "blockquote", "code", "pre"].into())
        .add_tag_attributes("a", ["href"])
        .url_schemes(["http", "https"].into())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("nofollow ugc noopener noreferrer"));
    builder
});

static INLINE_CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(["em", "strong", "del", "a", "code"].into())
        .add_tag_attributes("a", ["href"])
        .url_schemes(["http", "https"].into())
        .link_rel(Some("noopener noreferrer"));
    builder
});

static MARK_CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder.tags(["mark"].into());
    builder
});

fn article_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// The words of a reader's Markdown without its markup, on one line: for
/// quoting a comment in a list ("**every week**" reads "every week").
pub fn text_of_comment(markdown: &str) -> String {
    let mut words = String::new();
    for event in Parser::new_ext(markdown, Options::empty()) {
        match event {
            Event::Text(text) | Event::Code(text) => words.push_str(&text),
            Event::SoftBreak | Event::HardBreak => words.push(' '),
            Event::End(end)
                if !matches!(end, TagEnd::Emphasis | TagEnd::Strong | TagEnd::Link | TagEnd::Strikethrough) =>
            {
                words.push(' ')
            }
            _ => {}
        }
    }
    words.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Renders the author's Markdown: tables, footnotes, strikethrough, smart
/// punctuation and an id on every heading. Scripts, event handlers and
/// `javascript:` links are removed even here. Footnotes are anchored under
/// `anchor_prefix` (the article's slug), so that articles shown together, as
/// in a feed, keep their notes apart.
pub fn render_article(markdown: &str, anchor_prefix: &str) -> RenderedArticle {
    let mut events: Vec<Event> = Parser::new_ext(markdown, article_options()).collect();
    let toc = assign_heading_ids(&mut events);
    name_footnotes(&mut events, anchor_prefix);
    let plain_text = plain_text(&events);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    RenderedArticle { html: SafeHtml(ARTICLE_CLEANER.clean(&raw).to_string()), toc, plain_text }
}

/// The width an article's pictures take on the page, for `sizes`: the
/// column (`--measure`, 42rem) or the screen less its margins.
pub const PICTURE_SIZES: &str = "(max-width: 44rem) calc(100vw - 2rem), 42rem";

/// Gives every picture of this site in an article (`<img src="/media/…">`)
/// all its sizes (`srcset`), its proportions (`width`, `height`), its WebP
/// sizes when it has them (`<picture>`), `decoding="async"`, and
/// `loading="lazy"` from the second picture on. The sizes come from
/// `catalog`, loaded with the articles; a picture it does not know is left
/// as it is.
pub fn dress_pictures(html: &SafeHtml, catalog: &crate::media::Catalog) -> SafeHtml {
    let text = html.as_str();
    let mut out = String::with_capacity(text.len() + 512);
    let mut rest = text;
    let mut first = true;
    while let Some(at) = rest.find("<img ") {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let Some((attributes, length)) = img_attributes(tag) else {
            out.push_str(tag);
            rest = "";
            break;
        };
        let value = |name: &str| attributes.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        let dressed = value("src")
            .and_then(crate::media::Address::from_link)
            .and_then(|address| Some((catalog.get(&address.hash)?, address)))
            .and_then(|(sizes, address)| picture_markup(&address.hash, sizes, &attributes, first));
        match dressed {
            Some(markup) => {
                out.push_str(&markup);
                first = false;
            }
            None => {
                if value("src").is_some() {
                    first = false;
                }
                out.push_str(&tag[..length]);
            }
        }
        rest = &tag[length..];
    }
    out.push_str(rest);
    SafeHtml(out)
}

/// The attributes of the `<img …>` at the start of `tag`, as ammonia wrote
/// them (names, then values in double quotes with `"` escaped), and the
/// tag's length.
fn img_attributes(tag: &str) -> Option<(Vec<(&str, String)>, usize)> {
    let bytes = tag.as_bytes();
    let mut i = "<img".len();
    let mut attributes = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i)? {
            b'>' => return Some((attributes, i + 1)),
            b'/' if bytes.get(i + 1) == Some(&b'>') => return Some((attributes, i + 2)),
            _ => {}
        }
        let start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b'>' | b' ' | b'/') {
            i += 1;
        }
        let name = &tag[start..i];
        if bytes.get(i) == Some(&b'=') && bytes.get(i + 1) == Some(&b'"') {
            let value_start = i + 2;
            let end = tag[value_start..].find('"')? + value_start;
            attributes.push((name, tag[value_start..end].to_owned()));
            i = end + 1;
        } else {
            attributes.push((name, String::new()));
        }
    }
}

/// The markup of a stored picture; attribute values taken from the article
/// (`alt`, `title`) stay as ammonia escaped them.
fn picture_markup(
    hash: &str,
    sizes: &crate::media::Sizes,
    attributes: &[(&str, String)],
    first: bool,
) -> Option<String> {
    use crate::media::{Address, Format};
    let main = sizes.main_format()?;
    let srcset = |format: Format| {
        sizes
            .widths(format)
            .iter()
            .map(|(width, _)| format!("{} {width}w", Address { hash: hash.to_owned(), width: *width, format }.path()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mid = sizes.mid(hash)?;
    let mut img = format!(
        r#"<img src="{}" srcset="{}" sizes="{PICTURE_SIZES}" width="{}" height="{}""#,
        mid.path(),
        srcset(main),
        sizes.width,
        sizes.height
    );
    for name in ["alt", "title"] {
        if let Some((_, value)) = attributes.iter().find(|(n, _)| *n == name) {
            img.push_str(&format!(r#" {name}="{value}""#));
        }
    }
    img.push_str(r#" decoding="async""#);
    if !first {
        img.push_str(r#" loading="lazy""#);
    }
    img.push('>');
    if main == Format::Webp || sizes.widths(Format::Webp).is_empty() {
        return Some(img);
    }
    Some(format!(
        r#"<picture><source type="image/webp" srcset="{}" sizes="{PICTURE_SIZES}">{img}</picture>"#,
        srcset(Format::Webp)
    ))
}

/// Renders one line of the author's Markdown (a reference, say) without
/// wrapping it in a paragraph.
pub fn render_inline(markdown: &str) -> SafeHtml {
    let events = Parser::new_ext(markdown, Options::ENABLE_SMART_PUNCTUATION | Options::ENABLE_STRIKETHROUGH)
        .filter(|event| !matches!(event, Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph)));
    let mut raw = String::new();
    html::push_html(&mut raw, events);
    SafeHtml(INLINE_CLEANER.clean(raw.trim()).to_string())
}

/// Renders a reader's Markdown. Raw HTML is shown as text, never interpreted,
/// and only plain formatting and http(s) links survive.
pub fn render_comment(markdown: &str) -> SafeHtml {
    let events = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    SafeHtml(COMMENT_CLEANER.clean(&raw).to_string())
}

/// Gives every heading without an explicit `{#id}` one made from its text,
/// unique within the article, and returns the table of contents.
fn assign_heading_ids(events: &mut [Event]) -> Vec<Heading> {
    let mut used = HashSet::new();
    let mut toc = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i] {
            let level = *level;
            let explicit = id.as_ref().map(|id| id.to_string());
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            let base = explicit.unwrap_or_else(|| slugify(&text));
            let base = if base.is_empty() { "section".to_owned() } else { base };
            let mut unique = base.clone();
            let mut n = 1;
            while !used.insert(unique.clone()) {
                n += 1;
                unique = format!("{base}-{n}");
            }
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(CowStr::from(unique.clone()));
            }
            if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                toc.push(Heading { level: level as u8, id: unique, text });
            }
            i = j;
        }
        i += 1;
    }
    toc
}

/// Names each footnote `{prefix}-fn-{n}`, numbered as pulldown-cmark numbers
/// them (by first appearance), instead of by its label: ids that the
/// article's own labels (`[^1]`) would share with every other article's.
/// Labels match whatever their case, as Markdown links them.
fn name_footnotes(events: &mut [Event], prefix: &str) {
    let mut numbers: HashMap<String, usize> = HashMap::new();
    for event in events {
        let (Event::FootnoteReference(label) | Event::Start(Tag::FootnoteDefinition(label))) = event else {
            continue;
        };
        let next = numbers.len() + 1;
        let number = *numbers.entry(label.to_lowercase()).or_insert(next);
        *label = CowStr::from(format!("{prefix}-fn-{number}"));
    }
}

fn plain_text(events: &[Event]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower-case ASCII letters, digits and single hyphens.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Escapes the five characters that matter in HTML text and attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_unique_ids_and_a_table_of_contents() {
        let rendered = render_article("## Dose\n\ntext\n\n## Dose\n\n### Side effects {#side}\n", "dose");
        assert!(rendered.html.as_str().contains(r#"<h2 id="dose">Dose</h2>"#));
        assert!(rendered.html.as_str().contains(r#"<h2 id="dose-2">Dose</h2>"#));
        assert!(rendered.html.as_str().contains(r#"<h3 id="side">"#));
        let ids: Vec<_> = rendered.toc.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["dose", "dose-2", "side"]);
    }

    #[test]
    fn footnotes_are_named_after_the_article_and_numbered() {
        let html = render_article("One[^b], two[^a], again[^B].\n\n[^a]: First.\n[^b]: Second.\n", "zinc").html;
        let html = html.as_str();
        assert_eq!(html.matches(r##"href="#zinc-fn-1""##).count(), 2, "{html}");
        assert!(html.contains(r##"href="#zinc-fn-2""##), "{html}");
        assert!(html.contains(r#"id="zinc-fn-1""#) && html.contains(r#"id="zinc-fn-2""#), "{html}");
        assert!(!html.contains("\"#a\"") && !html.contains("\"#b\""), "{html}");
    }

    #[test]
    fn articles_lose_scripts_handlers_and_javascript_links() {
        let html = render_article(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))",
            "x",
        )
        .html;
        assert!(!html.as_str().contains("<script"), "{}", html.as_str());
        assert!(!html.as_str().contains("onerror"), "{}", html.as_str());
        assert!(!html.as_str().contains("javascript:"), "{}", html.as_str());
    }

    #[test]
    fn comments_show_raw_html_as_text() {
        let html = render_comment("Hi <b onclick=x>there</b> [a](javascript:alert(1)) [b](https://example.org)");
        assert_eq!(
            html.as_str(),
            "<p>Hi &lt;b onclick=x&gt;there&lt;/b&gt; <a rel=\"nofollow ugc noopener noreferrer\">a</a> \
             <a href=\"https://example.org\" rel=\"nofollow ugc noopener noreferrer\">b</a></p>\n"
        );
    }

    #[test]
    fn highlight_escapes_and_marks() {
        let html = SafeHtml::highlight("take <magnesium>, daily", |w| w == "magnesium");
        assert_eq!(html.as_str(), "take &lt;<mark>magnesium</mark>&gt;, daily");
    }

    #[test]
    fn stored_pictures_name_every_size_and_survive_cleaning() {
        use crate::media::{Catalog, Format, Sizes};
        let hash = "0123456789abcdef0123";
        let sizes = Sizes {
            width: 1200,
            height: 600,
            variants: vec![
                (480, 240, Format::Png),
                (960, 480, Format::Png),
                (1200, 600, Format::Png),
                (480, 240, Format::Webp),
                (1200, 600, Format::Webp),
            ],
        };
        let catalog = Catalog::new([(hash.to_owned(), sizes)].into());
        let markdown =
            format!("![A \"chart\"](/media/{hash}-960.png)\n\n![Again](/media/{hash}-480.png)\n\n![x](/other.png)");
        let html = dress_pictures(&render_article(&markdown, "x").html, &catalog);
        let html = html.as_str();
        assert!(html.contains(&format!(
            r#"<img src="/media/{hash}-960.png" srcset="/media/{hash}-480.png 480w, /media/{hash}-960.png 960w, /media/{hash}-1200.png 1200w" sizes="{PICTURE_SIZES}" width="1200" height="600" alt="A “chart”" decoding="async">"#
        )), "{html}");
        assert!(
            html.contains(&format!(
                r#"<source type="image/webp" srcset="/media/{hash}-480.webp 480w, /media/{hash}-1200.webp 1200w""#
            )),
            "{html}"
        );
        assert_eq!(html.matches(r#"loading="lazy""#).count(), 1, "{html}");
        assert!(html.contains(r#"<img src="/other.png" alt="x">"#), "{html}");
        let cleaned = ARTICLE_CLEANER.clean(html).to_string();
        assert!(
            cleaned.contains("srcset=") && cleaned.contains("<picture>") && cleaned.contains("sizes="),
            "{cleaned}"
        );
    }

    #[test]
    fn slugs_are_ascii_and_hyphenated() {
        assert_eq!(slugify("Magnesium: forms & doses!"), "magnesium-forms-doses");
    }
}
