//! `healthblog export wordpress`: the whole site as a WXR 1.2 file, the
//! format of WordPress's own *Tools → Export*, which WordPress's importer
//! (and `healthblog import wordpress`) reads back.
//!
//! Every article and page is an item, with its body rendered to HTML; every
//! comment of it goes with it, in every status, with its thread and the
//! desk account that wrote it. Times are UTC: healthblog keeps no time zone,
//! so the local dates and the `_gmt` ones are the same.
//!
//! Every picture of the media library is an attachment item whose
//! `wp:attachment_url` is the absolute address of its full size here, with
//! its description (`_wp_attachment_image_alt`) and caption; the articles'
//! links to any of its sizes point at that same address, and a featured
//! image is the article's `_thumbnail_id`. WordPress's importer, with
//! "Download and import file attachments", fetches each file from this
//! site (which must answer at `base_url` meanwhile), makes its own sizes
//! and rewrites the links to its copies.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Context;
use chrono::NaiveDateTime;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::config::Settings;
use crate::content::Article;
use crate::db::comments::Comment;
use crate::db::media::Picture;
use crate::db::users::{self, User};
use crate::db::AnyConnection;
use crate::domain::{CommentStatus, Role};
use crate::media::Address;

const NAMESPACES: [(&str, &str); 5] = [
    ("xmlns:excerpt", "http://wordpress.org/export/1.2/excerpt/"),
    ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
    ("xmlns:wfw", "http://wellformedweb.org/CommentAPI/"),
    ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
    ("xmlns:wp", "http://wordpress.org/export/1.2/"),
];

/// What the site holds, as the export reads it.
pub struct Site<'a> {
    pub settings: &'a Settings,
    /// Every article, drafts included.
    pub posts: &'a [Article],
    /// Every page, drafts included.
    pub pages: &'a [Article],
    /// Every picture of the media library, with its full size, oldest first.
    pub pictures: &'a [(Picture, Address)],
}

/// What was written, for the user.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Exported {
    pub posts: usize,
    pub pages: usize,
    pub comments: usize,
    /// Pictures, as attachment items.
    pub pictures: usize,
    /// Links to `/media/…` addresses that are not in the library, by article.
    pub unknown_pictures: Vec<String>,
    /// Comments of articles that are no longer in `content/`: WXR has no
    /// place for a comment without its post.
    pub orphaned_comments: usize,
    /// Private questions to the author and his answers: WordPress has no
    /// status that keeps a comment from every reader, so they stay here.
    pub private_comments: usize,
}

/// Reads the accounts and comments from `conn` and writes the WXR file to `out`.
pub fn export(conn: &mut AnyConnection, site: &Site<'_>, out: impl Write) -> anyhow::Result<Exported> {
    let accounts = users::list(conn).context("reading the accounts")?;
    let all = crate::db::exports::all_comments(conn).context("reading the comments")?;
    write(site, &accounts, &all, out)
}

/// Writes the WXR file for `site`, its desk `accounts` and its `comments`.
pub fn write(site: &Site<'_>, accounts: &[User], comments: &[Comment], out: impl Write) -> anyhow::Result<Exported> {
    let mut by_slug: HashMap<&str, Vec<&Comment>> = HashMap::new();
    let mut private_comments = 0;
    for comment in comments {
        if comment.status == CommentStatus::Private {
            private_comments += 1;
            continue;
        }
        by_slug.entry(comment.post_slug.as_str()).or_default().push(comment);
    }
    let settings = site.settings;
    let base = settings.base_url();
    // The articles' author: the first author account, as WordPress names
    // every item's author by login.
    let creator = accounts
        .iter()
        .find(|a| a.role == Role::Author)
        .or(accounts.first())
        .map(|a| a.username.clone())
        .unwrap_or_default();
    let mut tags: Vec<&str> = site.posts.iter().flat_map(|a| a.tags.iter().map(String::as_str)).collect();
    tags.sort_unstable();
    tags.dedup();

    let mut xml = Wxr { xml: Writer::new_with_indent(out, b'\t', 1) };
    xml.xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    xml.xml.write_event(Event::Comment(BytesText::from_escaped(
        " A WordPress eXtended RSS (WXR 1.2) file written by healthblog. WordPress imports it with \
         Tools, Import, WordPress. ",
    )))?;
    let mut rss = BytesStart::new("rss").with_attributes([("version", "2.0")]);
    rss.extend_attributes(NAMESPACES);
    xml.xml.write_event(Event::Start(rss))?;
    xml.start("channel")?;
    xml.text("title", &settings.site.title)?;
    xml.text("link", base)?;
    xml.text("description", &settings.site.description)?;
    xml.text("pubDate", &rfc2822(chrono::Utc::now().naive_utc()))?;
    xml.text("language", &settings.site.language)?;
    xml.text("wp:wxr_version", "1.2")?;
    xml.text("wp:base_site_url", base)?;
    xml.text("wp:base_blog_url", base)?;

    for account in accounts {
        xml.start("wp:author")?;
        xml.text("wp:author_id", &account.id.to_string())?;
        xml.cdata("wp:author_login", &account.username)?;
        xml.cdata("wp:author_email", "")?;
        xml.cdata("wp:author_display_name", &account.display_name)?;
        xml.cdata("wp:author_first_name", "")?;
        xml.cdata("wp:author_last_name", "")?;
        xml.end("wp:author")?;
    }
    for (i, tag) in tags.iter().enumerate() {
        xml.start("wp:tag")?;
        xml.text("wp:term_id", &(i + 1).to_string())?;
        xml.cdata("wp:tag_slug", tag)?;
        xml.cdata("wp:tag_name", tag)?;
        xml.end("wp:tag")?;
    }

    let mut exported = Exported { private_comments, ..Exported::default() };
    let items: Vec<(&Article, &str)> =
        site.pages.iter().map(|a| (a, "page")).chain(site.posts.iter().map(|a| (a, "post"))).collect();
    // The attachments are numbered after the articles and pages.
    let attachment_id = |index: usize| items.len() + index + 1;
    let full_url = |link: &str| {
        site.pictures
            .iter()
            .find(|(p, _)| link.contains(&p.hash))
            .map(|(_, address)| format!("{base}{}", address.path()))
    };
    // The first article that shows each picture, which WordPress lists it under.
    let mut parents: HashMap<&str, usize> = HashMap::new();
    for (post_id, (article, kind)) in items.iter().copied().enumerate() {
        let link = match kind {
            "page" => format!("{base}/{}", article.slug),
            _ => format!("{base}/posts/{}", article.slug),
        };
        // A page keeps its comments too (WordPress allows them there).
        let comments = by_slug.remove(article.slug.as_str()).unwrap_or_default();
        xml.start("item")?;
        xml.cdata("title", &article.title)?;
        xml.text("link", &link)?;
        xml.text("pubDate", &rfc2822(article.published.at))?;
        let author = if article.author.is_empty() { creator.as_str() } else { article.author.as_str() };
        xml.cdata("dc:creator", author)?;
        xml.xml
            .create_element("guid")
            .with_attribute(("isPermaLink", "false"))
            .write_text_content(BytesText::new(&link))?;
        xml.text("description", "")?;
        let mut unknown = std::collections::BTreeSet::new();
        let body = crate::content::pictures::rewrite(article.body.as_str(), &mut |link| full_url(link), &mut unknown);
        exported.unknown_pictures.extend(unknown.into_iter().map(|link| format!("{}: {link}", article.slug)));
        for (picture, _) in
            site.pictures.iter().filter(|(p, _)| body.contains(&p.hash) || article.image.contains(&p.hash))
        {
            parents.entry(picture.hash.as_str()).or_insert(post_id + 1);
        }
        xml.cdata("content:encoded", &body)?;
        xml.cdata("excerpt:encoded", &article.summary)?;
        xml.text("wp:post_id", &(post_id + 1).to_string())?;
        xml.cdata("wp:post_date", &wordpress_date(article.published.at))?;
        xml.cdata("wp:post_date_gmt", &wordpress_date(article.published.at))?;
        xml.cdata("wp:post_modified", &wordpress_date(article.modified().at))?;
        xml.cdata("wp:post_modified_gmt", &wordpress_date(article.modified().at))?;
        // Pages here have comments on by default, unlike WordPress's: a page
        // is open there only when it has comments here and takes more.
        let open = article.comments_open && (kind == "post" || !comments.is_empty());
        xml.cdata("wp:comment_status", if open { "open" } else { "closed" })?;
        xml.cdata("wp:ping_status", "closed")?;
        xml.cdata("wp:post_name", &article.slug)?;
        xml.cdata("wp:status", if article.draft { "draft" } else { "publish" })?;
        xml.text("wp:post_parent", "0")?;
        xml.text("wp:menu_order", "0")?;
        xml.cdata("wp:post_type", kind)?;
        xml.cdata("wp:post_password", "")?;
        xml.text("wp:is_sticky", "0")?;
        for tag in &article.tags {
            let category = BytesStart::new("category").with_attributes([("domain", "post_tag"), ("nicename", tag)]);
            xml.xml.write_event(Event::Start(category))?;
            xml.cdata_parts(tag)?;
            xml.end("category")?;
        }
        let featured =
            site.pictures.iter().position(|(p, _)| !article.image.is_empty() && article.image.contains(&p.hash));
        if let Some(index) = featured {
            xml.meta("_thumbnail_id", &attachment_id(index).to_string())?;
        }
        for comment in &comments {
            xml.comment(comment)?;
        }
        xml.end("item")?;
        exported.comments += comments.len();
        match kind {
            "page" => exported.pages += 1,
            _ => exported.posts += 1,
        }
    }
    exported.orphaned_comments = by_slug.values().map(Vec::len).sum();
    for (index, (picture, address)) in site.pictures.iter().enumerate() {
        let url = format!("{base}{}", address.path());
        xml.start("item")?;
        xml.text("title", &picture.name)?;
        xml.text("link", &url)?;
        xml.text("pubDate", &rfc2822(picture.uploaded_at))?;
        xml.cdata("dc:creator", &creator)?;
        xml.xml
            .create_element("guid")
            .with_attribute(("isPermaLink", "false"))
            .write_text_content(BytesText::new(&url))?;
        xml.text("description", "")?;
        xml.cdata("content:encoded", "")?;
        xml.cdata("excerpt:encoded", &picture.caption)?;
        xml.text("wp:post_id", &attachment_id(index).to_string())?;
        xml.cdata("wp:post_date", &wordpress_date(picture.uploaded_at))?;
        xml.cdata("wp:post_date_gmt", &wordpress_date(picture.uploaded_at))?;
        xml.cdata("wp:comment_status", "closed")?;
        xml.cdata("wp:ping_status", "closed")?;
        xml.cdata("wp:post_name", &picture.hash)?;
        xml.cdata("wp:status", "inherit")?;
        xml.text("wp:post_parent", &parents.get(picture.hash.as_str()).copied().unwrap_or(0).to_string())?;
        xml.text("wp:menu_order", "0")?;
        xml.cdata("wp:post_type", "attachment")?;
        xml.cdata("wp:post_password", "")?;
        xml.text("wp:is_sticky", "0")?;
        xml.cdata("wp:attachment_url", &url)?;
        if !picture.alt.is_empty() {
            xml.meta("_wp_attachment_image_alt", &picture.alt)?;
        }
        xml.end("item")?;
        exported.pictures += 1;
    }

    xml.end("channel")?;
    xml.end("rss")?;
    xml.xml.get_mut().write_all(b"\n")?;
    xml.xml.get_mut().flush().context("writing the export")?;
    Ok(exported)
}

/// WordPress's word for a comment's status.
pub fn approved_value(status: CommentStatus) -> &'static str {
    match status {
        CommentStatus::Approved => "1",
        CommentStatus::Pending => "0",
        CommentStatus::Trash => "trash",
        CommentStatus::Spam => "spam",
        // Never written (see `write`); were it ever, WordPress would hold it.
        CommentStatus::Private => "0",
    }
}

struct Wxr<W: Write> {
    xml: Writer<W>,
}

impl<W: Write> Wxr<W> {
    fn start(&mut self, name: &str) -> std::io::Result<()> {
        self.xml.write_event(Event::Start(BytesStart::new(name)))
    }

    fn end(&mut self, name: &str) -> std::io::Result<()> {
        self.xml.write_event(Event::End(BytesEnd::new(name)))
    }

    /// `<name>text</name>`, escaped.
    fn text(&mut self, name: &str, text: &str) -> std::io::Result<()> {
        self.xml.create_element(name).write_text_content(BytesText::new(text)).map(|_| ())
    }

    /// `<name><![CDATA[text]]></name>`, as WordPress writes it; a `]]>` in
    /// the text is split across two sections.
    fn cdata(&mut self, name: &str, text: &str) -> std::io::Result<()> {
        self.start(name)?;
        self.cdata_parts(text)?;
        self.end(name)
    }

    fn cdata_parts(&mut self, text: &str) -> std::io::Result<()> {
        for part in BytesCData::escaped(text) {
            self.xml.write_event(Event::CData(part))?;
        }
        Ok(())
    }

    /// `<wp:postmeta>` with its key and value.
    fn meta(&mut self, key: &str, value: &str) -> std::io::Result<()> {
        self.start("wp:postmeta")?;
        self.cdata("wp:meta_key", key)?;
        self.cdata("wp:meta_value", value)?;
        self.end("wp:postmeta")
    }

    fn comment(&mut self, comment: &Comment) -> std::io::Result<()> {
        self.start("wp:comment")?;
        self.text("wp:comment_id", &comment.id.to_string())?;
        self.cdata("wp:comment_author", &comment.author_name)?;
        self.cdata("wp:comment_author_email", &comment.author_email)?;
        self.text("wp:comment_author_url", comment.author_url.as_deref().unwrap_or(""))?;
        // Only a keyed hash of the address is stored.
        self.cdata("wp:comment_author_IP", "")?;
        self.cdata("wp:comment_date", &wordpress_date(comment.created_at))?;
        self.cdata("wp:comment_date_gmt", &wordpress_date(comment.created_at))?;
        self.cdata("wp:comment_content", comment.body_html.as_str())?;
        self.cdata("wp:comment_approved", approved_value(comment.status))?;
        self.cdata("wp:comment_type", "comment")?;
        self.text("wp:comment_parent", &comment.parent_id.map_or(0, |id| id.0).to_string())?;
        self.text("wp:comment_user_id", &comment.user_id.map_or(0, |id| id.0).to_string())?;
        self.end("wp:comment")
    }
}

/// `2021-06-14 08:15:00`.
fn wordpress_date(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `Mon, 14 Jun 2021 12:15:00 +0000`.
fn rfc2822(at: NaiveDateTime) -> String {
    at.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_wordpress_writes_them() {
        let at = chrono::NaiveDate::from_ymd_opt(2021, 6, 14).unwrap().and_hms_opt(8, 15, 0).unwrap();
        assert_eq!(wordpress_date(at), "2021-06-14 08:15:00");
        assert_eq!(rfc2822(at), "Mon, 14 Jun 2021 08:15:00 +0000");
    }
}
