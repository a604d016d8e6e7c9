//! The import: a plan made from the export, the content folder and the
//! database; then, unless it is a dry run, all of it or nothing: every file
//! is staged and checked first, and placed inside the database transaction
//! that stores the comments and redirects, just before it commits
//! (`staging`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::convert;
use super::pictures::{self, Pictures, Taken, ToStore};
use super::report::{Report, Skip};
use super::staging::Staging;
use super::timezone::{self, Observed};
use super::wxr::{Export, Item, WpAuthor, WpComment};
use crate::comments::submit::{self, Author, Draft};
use crate::content::{self, Article, FrontMatter, Library, RESERVED_PAGE_SLUGS};
use crate::db::imports::{self, Imported};
use crate::db::AnyConnection;
use crate::domain::{CommentBody, CommentId, CommentStatus, UserId, MAX_BODY_CHARS};
use crate::keys::Keys;

/// What the command line asked for.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub dry_run: bool,
    /// A copy of `wp-content/uploads`, whose referenced pictures are stored
    /// in the database and served at `/media/…`.
    pub uploads: Option<PathBuf>,
    /// WordPress login → healthblog account name.
    pub authors: Vec<(String, String)>,
    pub content_dir: PathBuf,
    /// Readers' questions written before this moment (UTC) that are still
    /// unanswered come in marked "no answer needed".
    pub questions_before: Option<NaiveDateTime>,
}

/// Where, under the content folder, the whole text of a comment too long
/// for the comment form is kept.
const WHOLE_COMMENTS: &str = "imported-comments";

/// Ends a comment cut to the comment form's limit.
const CUT_NOTE: &str = "*(Shortened when this blog moved; the whole comment is kept.)*";

/// Marks a file written by the import, so that a second run knows it.
fn marker(id: i64) -> String {
    format!("# {}", marker_text(id))
}

fn marker_text(id: i64) -> String {
    format!("Imported from WordPress post {id}.")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Post,
    Page,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Self::Post => "posts",
            Self::Page => "pages",
        }
    }

    fn public_path(self, slug: &str) -> String {
        match self {
            Self::Post => format!("/posts/{slug}"),
            Self::Page => format!("/{slug}"),
        }
    }
}

/// What becomes of an article file.
#[derive(Debug, PartialEq, Eq)]
enum FileState {
    New,
    /// Written by an earlier import: left as it is (the doctor may have
    /// edited it since).
    AlreadyThere,
}

struct PlannedItem<'a> {
    item: &'a Item,
    kind: Kind,
    slug: String,
    path: PathBuf,
    front: FrontMatter,
    body: String,
    /// The file's text, made once the body's image addresses are final.
    text: String,
    state: FileState,
    draft: bool,
}

struct PlannedComment<'a> {
    comment: &'a WpComment,
    slug: String,
    /// The WordPress comment it answers (0 for none), once checked.
    parent: i64,
    status: CommentStatus,
    body: CommentBody,
    created_at: NaiveDateTime,
    staff: Option<(UserId, String)>,
    /// Where the whole text is kept, when the stored one is cut.
    whole_text: Option<PathBuf>,
}

/// The articles and pages in the content folder now, which `serve` loads
/// together with what the import writes.
struct Existing {
    posts: Vec<Article>,
    pages: Vec<Article>,
}

impl Existing {
    fn read(content_dir: &Path) -> anyhow::Result<Self> {
        if !content_dir.join("posts").is_dir() {
            return Ok(Self { posts: Vec::new(), pages: Vec::new() });
        }
        let (posts, pages) = content::read_all(content_dir).map_err(|errors| {
            anyhow!(
                "{errors}\nthe content folder has problems that stop the site (`healthblog check` lists them): fix \
                 them, then run the import again"
            )
        })?;
        Ok(Self { posts, pages })
    }

    /// The file already answering at `slug`, other than `path`.
    fn taken(&self, kind: Kind, slug: &str, path: &Path) -> Option<&Path> {
        let articles = match kind {
            Kind::Post => &self.posts,
            Kind::Page => &self.pages,
        };
        articles.iter().find(|a| a.slug == slug && a.source != path).map(|a| a.source.as_path())
    }
}

/// Reads what is there, decides everything, and (unless `dry_run`) applies
/// it. The report says what was (or would be) done. An error means nothing
/// was imported: the database is as it was, and no file was written.
/// `keys` hash the commenters' addresses; a dry run needs none.
pub fn run(
    conn: &mut AnyConnection,
    keys: Option<&Keys>,
    export: &Export,
    options: &Options,
) -> anyhow::Result<Report> {
    let mut staging = Staging::default();
    match import(conn, keys, export, options, &mut staging) {
        Ok(mut report) => {
            for left in staging.finish() {
                report.note(format!("the staging folder {left} could not be removed: remove it by hand"));
            }
            Ok(report)
        }
        Err(error) => {
            let left = staging.undo();
            if left.is_empty() {
                Err(anyhow!("{error:#}\nnothing was imported: the database is as it was, and no file was written"))
            } else {
                Err(anyhow!(
                    "{error:#}\nnothing was stored in the database, but these files and folders could not be taken \
                     back: remove them by hand, then run the import again:\n  {}",
                    left.join("\n  ")
                ))
            }
        }
    }
}

fn import(
    conn: &mut AnyConnection,
    keys: Option<&Keys>,
    export: &Export,
    options: &Options,
    staging: &mut Staging,
) -> anyhow::Result<Report> {
    let mut report = Report::new(options.dry_run);
    let observed = timezone::observed(export);
    report.timezone = timezone::suggestion(&observed, &export.site_url);
    let existing = Existing::read(&options.content_dir)?;
    let mut items = plan_items(export, options, &existing, &observed, &mut report)?;
    let pictures = plan_pictures(conn, export, &mut items, options, &mut report)?;
    assign_authors(conn, export, &mut items, options, &mut report)?;
    write_texts(&mut items)?;

    let already = imports::imported_comments(conn).context("reading the comments of earlier imports")?;
    let accounts = resolve_accounts(conn, export, &items, options, &mut report)?;
    let planned = plan_comments(&items, &already, &accounts, options, &observed, &mut report);
    let dismissed = questions_needing_no_answer(&planned, options.questions_before);
    report.questions_dismissed = dismissed.len();
    report.questions_before = options.questions_before;
    note_retention(conn, &planned, &mut report)?;
    let routes = plan_redirects(export, &items);

    let known_paths = imports::redirect_paths(conn).context("reading the redirects")?;
    let new_redirects: Vec<(String, String)> =
        routes.into_iter().filter(|(old, _)| !known_paths.contains(old)).collect();
    report.redirects_new = new_redirects.len();
    report.redirects_known = known_paths.len();

    if options.dry_run {
        report.comments_stored = planned.len();
        report.pictures_stored = pictures.len();
        return Ok(report);
    }
    if !report.missing_accounts.is_empty() {
        bail!(
            "{report}\ncreate the accounts listed above (or map them with --author LOGIN=ACCOUNT), then run the \
             import again"
        );
    }

    stage(staging, &items, &planned, options)?;
    check_staged(staging, &items, existing)?;

    if let AnyConnection::Sqlite(sqlite) = conn {
        // The whole import is one transaction: let SQLite keep it in memory
        // (64 MiB), savepoints included, instead of spilling pages to disk.
        diesel::connection::SimpleConnection::batch_execute(
            sqlite,
            "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY",
        )?;
    }
    let keys = keys.ok_or_else(|| anyhow!("the secret key is needed to store the comments"))?;
    let progress = super::progress_bar(planned.len() as u64);
    let applied = crate::db::write::<_, anyhow::Error, _>(conn, |conn| {
        imports::lock_comments(conn)?;
        // The files go into place last before the commit: if storing fails,
        // or the commit does, they are taken back.
        staging.place()?;
        let applied = apply(conn, keys, &planned, &already, &dismissed, &new_redirects, &progress)?;
        let pictures = pictures::store(conn, pictures)?;
        // The articles and pages go into the store with their comments:
        // every running instance shows them within a second.
        let files = crate::content::files::read_content_folder(&options.content_dir)?;
        crate::content::store::store_files(conn, &options.content_dir, &files)?;
        Ok((applied, pictures))
    });
    progress.finish_and_clear();
    let ((stored, renumbered), pictures) =
        applied.context("importing the comments, the redirects, the pictures and the files")?;
    report.comments_stored = stored;
    report.renumbered = renumbered;
    report.applied = true;
    report.files_written = items.iter().filter(|p| p.state == FileState::New).count();
    report.pictures_stored = pictures;
    Ok(report)
}

/// What the retention settings will do with the comments imported: the
/// pending ones wait from the import on; the address hashes of old ones
/// go at the next purge, as for any comment that old.
fn note_retention(conn: &mut AnyConnection, planned: &[PlannedComment], report: &mut Report) -> anyhow::Result<()> {
    let rules = crate::comments::discussion::load_rules(conn)?;
    report.pending_retention_days = rules.pending_retention_days;
    report.ip_retention_days = rules.ip_retention_days;
    if rules.ip_retention_days > 0 {
        let now = crate::db::now();
        let kept_for = i64::from(rules.ip_retention_days);
        report.addresses_forgotten =
            planned.iter().filter(|p| !p.comment.ip.is_empty() && (now - p.created_at).num_days() > kept_for).count();
    }
    Ok(())
}

/// Writes every new file to the staging folders.
fn stage(
    staging: &mut Staging,
    items: &[PlannedItem],
    planned: &[PlannedComment],
    options: &Options,
) -> anyhow::Result<()> {
    let content_dir = &options.content_dir;
    for item in items.iter().filter(|p| p.state == FileState::New) {
        let relative = item.path.strip_prefix(content_dir).unwrap_or(&item.path);
        staging.write(content_dir, relative, item.text.as_bytes())?;
    }
    for p in planned {
        if let Some(path) = &p.whole_text {
            if !path.exists() && staging.staged(path).is_none() {
                let relative = path.strip_prefix(content_dir).unwrap_or(path);
                staging.write(content_dir, relative, p.comment.content.as_bytes())?;
            }
        }
    }
    Ok(())
}

/// Reads every staged article back as `serve` will, alone and with the
/// articles already there: an import never writes what stops the site.
fn check_staged(staging: &Staging, items: &[PlannedItem], existing: Existing) -> anyhow::Result<()> {
    let Existing { mut posts, mut pages } = existing;
    let mut problems = Vec::new();
    for item in items.iter().filter(|p| p.state == FileState::New) {
        let staged = staging.staged(&item.path).ok_or_else(|| anyhow!("{} was not staged", item.path.display()))?;
        let text = std::fs::read_to_string(staged).with_context(|| format!("reading {}", staged.display()))?;
        match Article::parse(&item.path, &text) {
            Ok(article) if item.kind == Kind::Post => posts.push(article),
            Ok(article) => pages.push(article),
            Err(errors) => problems.extend(errors.into_iter().map(|e| {
                format!("{} {} ({}): line {}: {}", item.item.post_type, item.item.id, item.slug, e.line, e.message)
            })),
        }
    }
    let now = crate::db::now();
    if let Err(errors) = Library::from_articles(posts, now).and_then(|library| library.with_pages(pages, now)) {
        problems.push(errors.to_string());
    }
    if !problems.is_empty() {
        bail!("the files the import would write do not read back as the site needs:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

fn plan_items<'a>(
    export: &'a Export,
    options: &Options,
    existing: &Existing,
    observed: &[Observed],
    report: &mut Report,
) -> anyhow::Result<Vec<PlannedItem<'a>>> {
    let mut planned: Vec<PlannedItem> = Vec::new();
    let mut taken: HashSet<(Kind, String)> = HashSet::new();
    let converter_base = export.base_url.clone();
    for item in &export.items {
        report.count_item(&item.post_type, &item.status);
        for comment in &item.comments {
            report.count_comment(&comment.comment_type, &comment.approved);
        }
        let kind = match item.post_type.as_str() {
            "post" => Kind::Post,
            "page" => Kind::Page,
            "attachment" => {
                report.skip(
                    Skip::Item,
                    format!("attachment {} ({}): an uploaded file, not an article", item.id, item.title),
                );
                continue;
            }
            other => {
                report.skip(Skip::Item, format!("{other} {} ({}): not a post or page", item.id, item.title));
                report.skip_comments_of(item, "their item was not imported");
                continue;
            }
        };
        let draft = match item.status.as_str() {
            "publish" => false,
            "draft" | "pending" | "private" | "future" => true,
            "trash" => {
                report.skip(Skip::Item, format!("post {} ({}): in the WordPress trash", item.id, item.title));
                report.skip_comments_of(item, "their post is in the WordPress trash");
                continue;
            }
            other => {
                report.skip(Skip::Item, format!("post {} ({}): status `{other}`", item.id, item.title));
                report.skip_comments_of(item, "their post was not imported");
                continue;
            }
        };
        let mut slug = slug_of(item);
        let wp_slug = percent_encoding::percent_decode_str(&item.name).decode_utf8_lossy().into_owned();
        if !wp_slug.is_empty() && !wp_slug.ends_with("__trashed") && wp_slug != slug {
            report.note(format!(
                "{} {}: the slug `{wp_slug}` becomes `{slug}` (slugs here are lower-case letters, digits and \
                 hyphens); its old address still redirects",
                item.post_type, item.id
            ));
        }
        if kind == Kind::Page && RESERVED_PAGE_SLUGS.contains(&slug.as_str()) {
            report.note(format!(
                "page {}: `/{slug}` is one of the site's own addresses; it becomes `/{slug}-page`",
                item.id
            ));
            slug = format!("{slug}-page");
        }
        if !taken.insert((kind, slug.clone())) {
            let renamed = format!("{slug}-{}", item.id);
            report.note(format!(
                "{} {}: the slug `{slug}` is used twice in the file; this one becomes `{renamed}`",
                item.post_type, item.id
            ));
            slug = renamed;
            taken.insert((kind, slug.clone()));
        }
        let path = options.content_dir.join(kind.folder()).join(format!("{slug}.md"));
        let state = match std::fs::read_to_string(&path) {
            Ok(existing) if existing.contains(&marker(item.id)) => FileState::AlreadyThere,
            Ok(_) => {
                report.clashes.push(format!(
                    "{} {} ({}): {} already exists and was not imported from it; the item and its comments are \
                     left out (rename one of them and run again)",
                    item.post_type,
                    item.id,
                    item.title,
                    path.display()
                ));
                report.skip_comments_of(item, "their article's slug clashes with an existing file");
                continue;
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => FileState::New,
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        if let Some(other) = existing.taken(kind, &slug, &path) {
            report.clashes.push(format!(
                "{} {} ({}): the slug `{slug}` is taken by {}; the item and its comments are left out (give one of \
                 them another slug and run again)",
                item.post_type,
                item.id,
                item.title,
                other.display()
            ));
            report.skip_comments_of(item, "their article's slug clashes with an existing file");
            continue;
        }
        let (front, body, losses) = article_file(item, &slug, draft, observed, report);
        for loss in losses {
            report.losses.push(format!("{} {} ({slug}): {loss}", item.post_type, item.id));
        }
        if !converter_base.is_empty() && options.uploads.is_none() {
            let prefix = format!("{converter_base}/wp-content/uploads/");
            for url in urls_with_prefix(&body, &prefix) {
                report.old_images.push(format!("{slug}: {url}"));
            }
        }
        match (kind, draft) {
            (Kind::Page, _) => report.pages += 1,
            (Kind::Post, false) => report.articles += 1,
            (Kind::Post, true) => report.drafts += 1,
        }
        if state == FileState::AlreadyThere {
            report.files_already_there += 1;
        }
        planned.push(PlannedItem { item, kind, slug, path, front, body, text: String::new(), state, draft });
    }
    Ok(planned)
}

/// The slug: WordPress's as it had it (percent-decoded, letters of any
/// script kept, without a trash suffix), else one made from the title.
fn slug_of(item: &Item) -> String {
    let decoded = percent_encoding::percent_decode_str(&item.name).decode_utf8_lossy().to_lowercase();
    let decoded = decoded.trim_end_matches("__trashed");
    if content::is_slug(decoded) {
        return decoded.to_owned();
    }
    let from = if decoded.is_empty() { convert::decode_entities(&item.title) } else { decoded.to_owned() };
    let slug = slugify(&from);
    if slug.is_empty() {
        format!("post-{}", item.id)
    } else {
        slug
    }
}

/// A slug `check` accepts, made from any text: lower-case letters of any
/// script, digits and single hyphens.
pub fn slugify(text: &str) -> String {
    content::slug_from_title(text)
}

/// A WordPress term's slug, as WordPress had it (percent-decoded), else one
/// made from its name.
fn term_slug(nicename: &str, name: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(nicename).decode_utf8_lossy().to_lowercase();
    if content::is_slug(&decoded) {
        decoded
    } else {
        let slug = slugify(&decoded);
        if slug.is_empty() {
            slugify(&convert::decode_entities(name))
        } else {
            slug
        }
    }
}

/// The UTC instant of a WordPress date: its UTC form, else its local form
/// at the site's offset then.
fn wp_time(gmt: &str, local: &str, observed: &[Observed]) -> Option<NaiveDateTime> {
    let parse = |t: &str| {
        Some(t)
            .filter(|t| !t.starts_with("0000"))
            .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
    };
    parse(gmt).or_else(|| parse(local).map(|local| timezone::local_to_utc(observed, local)))
}

/// A time as front matter holds it (UTC), when TOML can say it.
fn toml_time(time: NaiveDateTime) -> Option<toml::value::Datetime> {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string().parse().ok()
}

/// The front matter and Markdown body of an item, and what could not be
/// carried over.
fn article_file(
    item: &Item,
    slug: &str,
    draft: bool,
    observed: &[Observed],
    report: &mut Report,
) -> (FrontMatter, String, Vec<String>) {
    let body = convert::article(&item.content);
    let now = crate::db::now().with_nanosecond_zero();
    let date = match wp_time(&item.date_gmt, &item.date, observed).and_then(|d| toml_time(d).map(|t| (d, t))) {
        Some(date) => date,
        None => {
            report.note(format!(
                "{} {}: no date that can be used (`{}`); it is dated today",
                item.post_type, item.id, item.date_gmt
            ));
            (
                now,
                toml_time(now).unwrap_or(toml::value::Datetime {
                    date: Some(toml::value::Date { year: 1970, month: 1, day: 1 }),
                    time: None,
                    offset: None,
                }),
            )
        }
    };
    let updated = wp_time(&item.modified_gmt, "", observed).filter(|u| *u > date.0).and_then(toml_time);
    let summary = if !item.excerpt.trim().is_empty() {
        convert::plain_text(&item.excerpt)
    } else {
        convert::before_more(&item.content).map(convert::plain_text).unwrap_or_default()
    };
    let mut tags: Vec<String> = item
        .terms
        .iter()
        .filter(|t| t.domain == "category" || t.domain == "post_tag")
        .filter(|t| t.nicename != "uncategorized")
        .map(|t| term_slug(&t.nicename, &t.name))
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();

    // A title is one line on every page: one that runs over several lines
    // is joined, so that no line of it can end the front matter.
    // WordPress keeps some titles HTML-escaped (`&amp;`, from the filters
    // of writers without `unfiltered_html`): decoded once, as it showed them.
    let decoded_title = convert::decode_entities(&item.title);
    let title = decoded_title.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = if title.is_empty() {
        report.note(format!(
            "{} {}: it has no title; it is called \"(no title)\", as WordPress showed it",
            item.post_type, item.id
        ));
        "(no title)".to_owned()
    } else {
        if title != decoded_title.trim() {
            report.note(format!("{} {}: its title ran over several lines; it is kept on one", item.post_type, item.id));
        }
        title
    };
    let front = FrontMatter {
        title,
        date: date.1,
        updated,
        slug: Some(slug.to_owned()),
        summary: Some(summary).filter(|s| !s.is_empty()),
        tags,
        draft,
        comments: item.comment_status != "closed",
        reviewed: None,
        reviewed_by: None,
        references: Vec::new(),
        author: None,
        image: None,
        image_alt: None,
    };
    (front, body.markdown, body.losses)
}

/// The text of each new file, through the same front-matter type that reads
/// it (`content::post_file` reads it back before it is used).
fn write_texts(items: &mut [PlannedItem]) -> anyhow::Result<()> {
    for planned in items.iter_mut().filter(|p| p.state == FileState::New) {
        planned.text = content::post_file(&planned.front, Some(&marker_text(planned.item.id)), &planned.body).map_err(
            |problem| anyhow!("{} {} ({}): {problem}", planned.item.post_type, planned.item.id, planned.slug),
        )?;
    }
    Ok(())
}

trait ZeroNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl ZeroNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
    }
}

fn urls_with_prefix(text: &str, prefix: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(prefix) {
        let tail = &rest[start..];
        let end = tail.find(['"', '\'', ')', ' ', '\n', '<', '>']).unwrap_or(tail.len());
        urls.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    urls
}

/// With `--uploads`, each picture an article shows (and its featured
/// image) is made ready to store, and its address in the new article
/// rewritten to `/media/…`; those missing are listed, and those refused
/// (not a picture, or refused by the pipeline) are listed with the reason
/// and keep their link to the old site. Returns the pictures to store.
fn plan_pictures(
    conn: &mut AnyConnection,
    export: &Export,
    items: &mut [PlannedItem],
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<Vec<ToStore>> {
    // WordPress's own description of each uploaded file, by address and by number.
    let attachments: HashMap<i64, &Item> =
        export.items.iter().filter(|i| i.post_type == "attachment").map(|i| (i.id, i)).collect();
    let Some(dir) = options.uploads.as_ref() else {
        for planned in items.iter().filter(|p| p.state == FileState::New) {
            if let Some(featured) = featured_image(planned.item, &attachments) {
                report.old_images.push(format!(
                    "{}: {} (the featured image: not set without --uploads)",
                    planned.slug, featured.attachment_url
                ));
            }
        }
        return Ok(Vec::new());
    };
    let mut pictures = Pictures::open(dir, options.dry_run)?;
    let prefix = format!("{}/wp-content/uploads/", export.base_url);
    let attachment_alt: HashMap<&str, &str> = attachments
        .values()
        .map(|a| (a.attachment_url.as_str(), a.meta("_wp_attachment_image_alt").unwrap_or("").trim()))
        .collect();
    for planned in items.iter_mut().filter(|p| p.state == FileState::New) {
        let described: HashMap<String, String> = convert::images(&planned.item.content).into_iter().rev().collect();
        let mut urls = urls_with_prefix(&planned.body, &prefix);
        // Longest first: an address is never rewritten inside a longer one.
        urls.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        urls.dedup();
        for url in urls {
            let alt = described
                .get(&url)
                .map(String::as_str)
                .filter(|alt| !alt.is_empty())
                .or_else(|| attachment_alt.get(url.as_str()).copied())
                .unwrap_or("");
            match pictures.take(conn, &url[prefix.len()..], alt)? {
                Taken::Stored(address) => planned.body = planned.body.replace(&url, &address.path()),
                Taken::Missing => report.old_images.push(format!("{}: {url} (not in {})", planned.slug, dir.display())),
                Taken::Refused(reason) => report.refused_uploads.push(format!(
                    "{} {} ({}): {url}: {reason}",
                    planned.item.post_type, planned.item.id, planned.slug
                )),
            }
        }
        let Some(featured) = featured_image(planned.item, &attachments) else { continue };
        let Some(relative) = featured.attachment_url.strip_prefix(&prefix) else {
            report.old_images.push(format!(
                "{}: {} (the featured image, not under {prefix}: not set)",
                planned.slug, featured.attachment_url
            ));
            continue;
        };
        let alt = featured.meta("_wp_attachment_image_alt").unwrap_or("").trim();
        let what = format!("{} {} ({})", planned.item.post_type, planned.item.id, planned.slug);
        match pictures.take(conn, relative, alt)? {
            Taken::Stored(address) if !alt.is_empty() => {
                planned.front.image = Some(address.path());
                planned.front.image_alt = Some(alt.to_owned());
            }
            Taken::Stored(_) => report.notes.push(format!(
                "{what}: its featured image {relative} has no description, so it is not set as the article's                  image: describe it in the desk's Pictures page, then choose it in the editor"
            )),
            Taken::Missing => report.old_images.push(format!(
                "{}: {} (the featured image; not in {})",
                planned.slug,
                featured.attachment_url,
                dir.display()
            )),
            Taken::Refused(reason) => report.refused_uploads.push(format!(
                "{what}: {} (the featured image, not set): {reason}",
                featured.attachment_url
            )),
        }
    }
    report.pictures_known = pictures.already_there;
    report.pictures_without_description =
        pictures.to_store.iter().filter(|p| p.alt.is_empty()).map(|p| p.name.clone()).collect();
    Ok(pictures.to_store)
}

/// The attachment WordPress showed as an item's featured image.
fn featured_image<'a>(item: &Item, attachments: &HashMap<i64, &'a Item>) -> Option<&'a Item> {
    let id = item.meta("_thumbnail_id")?.trim().parse::<i64>().ok()?;
    attachments.get(&id).copied()
}

/// Each WordPress author whose comments are imported, with the account
/// their answers will belong to.
fn resolve_accounts(
    conn: &mut AnyConnection,
    export: &Export,
    items: &[PlannedItem],
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<HashMap<i64, (UserId, String)>> {
    let mut needed: BTreeMap<i64, usize> = BTreeMap::new();
    for planned in items {
        for comment in planned.item.comments.iter().filter(|c| c.user_id != 0) {
            *needed.entry(comment.user_id).or_default() += 1;
        }
    }
    let mut resolved = HashMap::new();
    for (wp_id, count) in needed {
        let Some(author) = export.authors.iter().find(|a| a.id == wp_id) else {
            report.note(format!(
                "{count} comment(s) by WordPress user {wp_id}, who is not among the export's authors, come in as \
                 readers' comments"
            ));
            continue;
        };
        let account = options
            .authors
            .iter()
            .find(|(login, _)| *login == author.login)
            .map_or(author.login.as_str(), |(_, account)| account.as_str());
        let found = imports::account(conn, account).context("reading the accounts")?;
        match found {
            Some((user_id, display_name)) => {
                report.accounts.push(format!(
                    "{} ({}): {count} comment(s) → account {account} ({display_name})",
                    author.login, author.display_name
                ));
                resolved.insert(wp_id, (user_id, display_name));
            }
            None => report.missing_accounts.push(format!(
                "{} ({}): {count} comment(s) need the account `{account}`; create it with: {}",
                author.login,
                author.display_name,
                user_add_command(account, author)
            )),
        }
    }
    Ok(resolved)
}

/// The command that creates `account` for a WordPress author, complete.
fn user_add_command(account: &str, author: &WpAuthor) -> String {
    let display_name = if author.display_name.trim().is_empty() { account } else { author.display_name.trim() };
    let email = if author.email.is_empty() { "\"\"".to_owned() } else { shell_quote(&author.email) };
    format!("healthblog user add {} --display-name {} --email {email}", shell_quote(account), shell_quote(display_name))
}

/// Each article's author: its WordPress writer (`dc:creator`), through
/// `--author LOGIN=ACCOUNT` (default: the same name), when that account
/// exists; otherwise the site's author, and the report says how to create
/// the account.
fn assign_authors(
    conn: &mut AnyConnection,
    export: &Export,
    items: &mut [PlannedItem],
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut found: HashMap<String, Option<String>> = HashMap::new();
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for planned in items.iter_mut() {
        let login = planned.item.creator.trim();
        if login.is_empty() {
            continue;
        }
        let account = options
            .authors
            .iter()
            .find(|(wp_login, _)| wp_login == login)
            .map_or(login, |(_, account)| account.as_str())
            .to_owned();
        let exists = match found.get(&account) {
            Some(exists) => exists.clone(),
            None => {
                let there = imports::account(conn, &account).context("reading the accounts")?.map(|(_, name)| name);
                found.insert(account.clone(), there.clone());
                there
            }
        };
        match exists {
            Some(display_name) => {
                report
                    .article_authors
                    .entry(format!("{login} → account {account} ({display_name})"))
                    .or_default()
                    .push(planned.slug.clone());
                planned.front.author = Some(account);
            }
            None => missing
                .entry(login.to_owned())
                .or_default()
                .push(format!("{} {} ({})", planned.item.post_type, planned.item.id, planned.slug)),
        }
    }
    for (login, articles) in missing {
        let account = options.authors.iter().find(|(l, _)| *l == login).map_or(login.as_str(), |(_, a)| a.as_str());
        let author = export
            .authors
            .iter()
            .find(|a| a.login == login)
            .cloned()
            .unwrap_or_else(|| WpAuthor { login: login.clone(), ..WpAuthor::default() });
        report.missing_article_authors.push(format!(
            "{login} wrote {}: there is no account `{account}`, so they name the site's author; to name {} \
             instead, create the account ({}) before the import, or after it and add `author = \"{account}\"` to \
             their front matter",
            articles.join(", "),
            if author.display_name.is_empty() { login.as_str() } else { author.display_name.as_str() },
            user_add_command(account, &author)
        ));
    }
    Ok(())
}

/// The readers' questions to leave out of the questions inbox: written
/// before `before`, pending or published, and not answered by one of the
/// blog's accounts in the import (the inbox's own rule: a reader's comment on
/// the article, or a reader's reply to an answer). By WordPress id.
fn questions_needing_no_answer(planned: &[PlannedComment], before: Option<NaiveDateTime>) -> HashSet<i64> {
    let Some(before) = before else { return HashSet::new() };
    let by_id: HashMap<i64, &PlannedComment> = planned.iter().map(|p| (p.comment.id, p)).collect();
    let answered: HashSet<i64> = planned
        .iter()
        .filter(|p| p.staff.is_some() && p.status == CommentStatus::Approved && p.parent != 0)
        .map(|p| p.parent)
        .collect();
    planned
        .iter()
        .filter(|p| p.staff.is_none() && p.created_at < before)
        .filter(|p| matches!(p.status, CommentStatus::Pending | CommentStatus::Approved))
        .filter(|p| p.parent == 0 || by_id.get(&p.parent).is_some_and(|parent| parent.staff.is_some()))
        .filter(|p| !answered.contains(&p.comment.id))
        .map(|p| p.comment.id)
        .collect()
}

fn shell_quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || "-_.@+".contains(c)) {
        return text.to_owned();
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$").replace('`', "\\`"))
}

fn plan_comments<'a>(
    items: &[PlannedItem<'a>],
    already: &HashMap<i32, Imported>,
    accounts: &HashMap<i64, (UserId, String)>,
    options: &Options,
    observed: &[Observed],
    report: &mut Report,
) -> Vec<PlannedComment<'a>> {
    let mut planned = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    for item in items {
        for comment in &item.item.comments {
            if !seen.insert(comment.id) {
                report.skip(Skip::Comment, "whose number is used twice in the file".into());
                report.note(format!(
                    "comment {}: its number is used twice in the file; the first is imported",
                    comment.id
                ));
                continue;
            }
            match comment.comment_type.as_str() {
                "" | "comment" => {}
                "pingback" => {
                    report.skip(Skip::Pingback, "pingback".into());
                    continue;
                }
                "trackback" => {
                    report.skip(Skip::Trackback, "trackback".into());
                    continue;
                }
                other => {
                    report.skip(Skip::Comment, format!("of type `{other}`"));
                    continue;
                }
            }
            let mut status = match comment.approved.as_str() {
                "1" | "approve" => CommentStatus::Approved,
                "0" | "hold" => CommentStatus::Pending,
                "spam" => CommentStatus::Spam,
                "trash" => CommentStatus::Trash,
                "post-trashed" => {
                    report.skip(Skip::Comment, "marked `post-trashed` (their post was trashed)".into());
                    continue;
                }
                other => {
                    report.note(format!("comment {}: unknown status `{other}`, held for moderation", comment.id));
                    CommentStatus::Pending
                }
            };
            if i32::try_from(comment.id).is_ok_and(|id| already.contains_key(&id)) {
                report.already_imported += 1;
                continue;
            }
            let converted = convert::comment(&comment.content);
            for loss in converted.losses {
                report.losses.push(format!("comment {}: {loss}", comment.id));
            }
            let length = converted.markdown.chars().count();
            let mut whole_text = None;
            let markdown = if length > MAX_BODY_CHARS {
                let path = options.content_dir.join(WHOLE_COMMENTS).join(whole_text_name(comment));
                let held = if status == CommentStatus::Approved {
                    status = CommentStatus::Pending;
                    " and held for moderation"
                } else {
                    ""
                };
                report.cut_comments.push(format!(
                    "comment {} ({}): {length} characters; stored cut to the comment form's limit of \
                     {MAX_BODY_CHARS}{held}; the whole text as exported is in {}",
                    comment.id,
                    item.slug,
                    path.display()
                ));
                whole_text = Some(path);
                cut_to_form_limit(&converted.markdown)
            } else {
                converted.markdown
            };
            let Some(body) = CommentBody::imported(&markdown) else {
                report.skip(Skip::Comment, "with no text".into());
                continue;
            };
            let Some(created_at) = wp_time(&comment.date_gmt, &comment.date, observed) else {
                report.skip(Skip::Comment, "with no readable date".into());
                continue;
            };
            let staff = (comment.user_id != 0).then(|| accounts.get(&comment.user_id).cloned()).flatten();
            report.count_stored(status, staff.is_some());
            planned.push(PlannedComment {
                comment,
                slug: item.slug.clone(),
                parent: comment.parent,
                status,
                body,
                created_at,
                staff,
                whole_text,
            });
        }
    }
    check_parents(&mut planned, already, report);
    break_loops(&mut planned, report);
    order_parents_first(planned)
}

/// The file name of a comment's whole text: its number and a hash of the
/// text, so that a second import of the same comment finds it there.
fn whole_text_name(comment: &WpComment) -> String {
    let hash = Sha256::digest(comment.content.as_bytes());
    format!("comment-{}-{}.html", comment.id, crate::keys::hex(&hash[..4]))
}

/// The first characters of `markdown` that fit the comment form's limit
/// with `CUT_NOTE` after them.
fn cut_to_form_limit(markdown: &str) -> String {
    let room = MAX_BODY_CHARS - CUT_NOTE.chars().count() - 2;
    let kept: String = markdown.chars().take(room).collect();
    format!("{}\n\n{CUT_NOTE}", kept.trim_end())
}

/// A comment answers one of this file or of an earlier import, on the same
/// article; any other is shown as a new question, and said so.
fn check_parents(planned: &mut [PlannedComment], already: &HashMap<i32, Imported>, report: &mut Report) {
    let ours: HashMap<i64, String> = planned.iter().map(|p| (p.comment.id, p.slug.clone())).collect();
    for p in planned.iter_mut().filter(|p| p.parent != 0) {
        let parent = p.parent;
        let slug = ours
            .get(&parent)
            .map(String::as_str)
            .or_else(|| i32::try_from(parent).ok().and_then(|id| already.get(&id)).map(|i| i.slug.as_str()));
        let problem = match slug {
            None => "which is not imported",
            Some(slug) if slug != p.slug => "which is under another article",
            Some(_) => continue,
        };
        report.note(format!(
            "comment {} answers comment {parent}, {problem}; it is shown as a new question",
            p.comment.id
        ));
        p.parent = 0;
    }
}

/// A thread must lead up to a question: a comment that answers itself, or
/// a chain of answers that comes back round, is broken where it repeats
/// (walking up from the lowest number), and that comment becomes a new
/// question.
fn break_loops(planned: &mut [PlannedComment], report: &mut Report) {
    let index: HashMap<i64, usize> = planned.iter().enumerate().map(|(i, p)| (p.comment.id, i)).collect();
    let mut starts: Vec<usize> = (0..planned.len()).collect();
    starts.sort_by_key(|&i| planned[i].comment.id);
    let mut leads_up = vec![false; planned.len()];
    let mut in_chain = vec![false; planned.len()];
    for start in starts {
        let mut chain: Vec<usize> = Vec::new();
        let mut at = start;
        loop {
            if leads_up[at] {
                break;
            }
            chain.push(at);
            in_chain[at] = true;
            let parent = match planned[at].parent {
                0 => break,
                wp => match index.get(&wp) {
                    Some(&parent) => parent,
                    None => break,
                },
            };
            if in_chain[parent] {
                let (id, parent_id) = (planned[at].comment.id, planned[parent].comment.id);
                report.note(if id == parent_id {
                    format!("comment {id} answers itself; it is shown as a new question")
                } else {
                    format!(
                        "comment {id} answers comment {parent_id}, which leads back to it; comment {id} is shown as \
                         a new question"
                    )
                });
                planned[at].parent = 0;
                break;
            }
            at = parent;
        }
        for i in chain {
            leads_up[i] = true;
            in_chain[i] = false;
        }
    }
}

/// Parents before their replies, otherwise by WordPress id.
fn order_parents_first(mut planned: Vec<PlannedComment>) -> Vec<PlannedComment> {
    planned.sort_by_key(|p| p.comment.id);
    let index: HashMap<i64, usize> = planned.iter().enumerate().map(|(i, p)| (p.comment.id, i)).collect();
    let mut order = Vec::with_capacity(planned.len());
    let mut placed = vec![false; planned.len()];
    for start in 0..planned.len() {
        let mut chain = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at.filter(|&i| !placed[i] && !chain.contains(&i)) {
            chain.push(i);
            at = index.get(&planned[i].parent).copied();
        }
        for &i in chain.iter().rev() {
            placed[i] = true;
            order.push(i);
        }
    }
    let mut slots: Vec<Option<PlannedComment>> = planned.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// A WordPress address part as the old-address look-up sees it: decoded.
fn decoded(part: &str) -> String {
    percent_encoding::percent_decode_str(part).decode_utf8_lossy().into_owned()
}

fn plan_redirects(export: &Export, items: &[PlannedItem]) -> Vec<(String, String)> {
    let mut routes: BTreeMap<String, String> = BTreeMap::new();
    let base_path =
        url::Url::parse(&export.base_url).map(|u| u.path().trim_end_matches('/').to_owned()).unwrap_or_default();
    for planned in items.iter().filter(|p| !p.draft) {
        let item = planned.item;
        let target = planned.kind.public_path(&planned.slug);
        let query = match planned.kind {
            Kind::Post => format!("/?p={}", item.id),
            Kind::Page => format!("/?page_id={}", item.id),
        };
        routes.insert(query, target.clone());
        let wp_slug = percent_encoding::percent_decode_str(&item.name).decode_utf8_lossy().into_owned();
        let mut paths = vec![format!("/{wp_slug}")];
        if planned.kind == Kind::Post {
            if let Ok(local) = NaiveDateTime::parse_from_str(&item.date, "%Y-%m-%d %H:%M:%S") {
                paths.push(format!("{}/{wp_slug}", local.format("/%Y/%m/%d")));
                paths.push(format!("{}/{wp_slug}", local.format("/%Y/%m")));
            }
        }
        if let Ok(link) = url::Url::parse(&item.link) {
            let decoded = percent_encoding::percent_decode_str(link.path()).decode_utf8_lossy().into_owned();
            let path = decoded.strip_prefix(&base_path).unwrap_or(&decoded).trim_end_matches('/').to_owned();
            if !path.is_empty() && link.query().is_none() {
                paths.push(path);
            }
        }
        for path in paths {
            if planned.kind == Kind::Post {
                routes.insert(format!("{path}/feed"), format!("/posts/{}/comments.xml", planned.slug));
            }
            routes.insert(path, target.clone());
        }
    }
    for category in &export.categories {
        let tag = term_slug(category, "");
        if !tag.is_empty() && category != "uncategorized" {
            routes.insert(format!("/category/{}", decoded(category)), format!("/tags/{tag}"));
        }
    }
    for tag_slug in &export.tags {
        let tag = term_slug(tag_slug, "");
        if !tag.is_empty() {
            routes.insert(format!("/tag/{}", decoded(tag_slug)), format!("/tags/{tag}"));
        }
    }
    for planned in items.iter().filter(|p| !p.draft) {
        for term in &planned.item.terms {
            let tag = term_slug(&term.nicename, &term.name);
            let prefix = match term.domain.as_str() {
                "category" if term.nicename != "uncategorized" => "category",
                "post_tag" => "tag",
                _ => continue,
            };
            if !tag.is_empty() {
                routes.entry(format!("/{prefix}/{}", decoded(&term.nicename))).or_insert(format!("/tags/{tag}"));
            }
        }
    }
    // A path that is already the new address would redirect to itself.
    routes.into_iter().filter(|(old, new)| old != new && old.len() > 1).collect()
}

/// Stores the comments and redirects; inside the caller's transaction,
/// which holds the write lock on the comments. Returns how many comments
/// were stored, and how many of them could not keep their WordPress number
/// because a comment here has, or had, it.
fn apply(
    conn: &mut AnyConnection,
    keys: &Keys,
    planned: &[PlannedComment],
    already: &HashMap<i32, Imported>,
    no_answer_needed: &HashSet<i64>,
    new_redirects: &[(String, String)],
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<(usize, usize)> {
    for (old_path, target) in new_redirects {
        imports::insert_redirect(conn, old_path, target)
            .with_context(|| format!("storing the redirect from {old_path}"))?;
    }

    // A number deleted here may still be in its writer's cookie or in a
    // link in an email: only numbers above every one ever used are kept.
    let highest_ever = imports::highest_comment_id_ever(conn).context("reading the comment numbers")?;
    let mut taken = imports::comment_ids(conn).context("reading the comment numbers")?;
    let mut ids: HashMap<i64, CommentId> = HashMap::new();
    let mut deferred = Vec::new();
    for (index, p) in planned.iter().enumerate() {
        match i32::try_from(p.comment.id).ok().filter(|id| *id > highest_ever && !taken.contains(id)) {
            Some(id) => {
                taken.insert(id);
                ids.insert(p.comment.id, CommentId(id));
            }
            None => deferred.push(index),
        }
    }
    // New numbers come after every number used and every WordPress number
    // in the file, so that they never take one a newer export will bring.
    let highest_in_file = planned.iter().filter_map(|p| i32::try_from(p.comment.id).ok()).max().unwrap_or(0);
    let highest_taken = taken.iter().max().copied().unwrap_or(0);
    let mut next_free = highest_ever.max(highest_taken).max(highest_in_file).saturating_add(1);
    let renumbered = deferred.len();
    for index in deferred {
        while taken.contains(&next_free) {
            next_free += 1;
        }
        taken.insert(next_free);
        ids.insert(planned[index].comment.id, CommentId(next_free));
    }

    let arrived = crate::db::now();
    for p in planned {
        let c = p.comment;
        let parent = match p.parent {
            0 => None,
            wp => {
                ids.get(&wp).copied().or_else(|| i32::try_from(wp).ok().and_then(|id| already.get(&id)).map(|i| i.id))
            }
        };
        let author = match &p.staff {
            Some((user_id, name)) => Author::Staff { name: name.clone(), user_id: *user_id },
            None => Author::Reader {
                name: if c.author.trim().is_empty() { "Anonymous".into() } else { c.author.trim().to_owned() },
                email: c.email.clone(),
                website: Some(c.url.clone()).filter(|u| u.starts_with("http://") || u.starts_with("https://")),
            },
        };
        let stored = submit::store(
            conn,
            Draft {
                slug: p.slug.clone(),
                parent,
                author,
                body: &p.body,
                status: p.status,
                notify: false,
                notify_replies: false,
                ip_hash: if c.ip.is_empty() { String::new() } else { keys.hash_ip(&c.ip) },
                user_agent: String::new(),
                created_at: p.created_at,
                // Waiting for the doctor from now, not from its WordPress
                // date: the retention purge never takes what he has not seen.
                arrived_at: arrived,
                kept_id: ids.get(&c.id).copied(),
                wordpress_id: i32::try_from(c.id).ok(),
                urgent: None,
                consent: None,
            },
        )
        .with_context(|| format!("storing WordPress comment {}", c.id))?;
        if no_answer_needed.contains(&c.id) {
            crate::db::comments::set_no_answer_needed(conn, stored)
                .with_context(|| format!("marking WordPress comment {} as needing no answer", c.id))?;
        }
        progress.inc(1);
    }
    imports::keep_comment_ids_ahead(conn).context("moving the comment numbers on")?;
    Ok((planned.len(), renumbered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, title: &str) -> Item {
        Item { id: 7, name: name.into(), title: title.into(), post_type: "post".into(), ..Item::default() }
    }

    #[test]
    fn slugs_are_kept_as_wordpress_had_them_decoded() {
        assert_eq!(slug_of(&item("caf%c3%a9-au-lait", "")), "café-au-lait");
        assert_eq!(slug_of(&item("clinic-closed__trashed", "")), "clinic-closed");
        assert_eq!(slug_of(&item("", "Vestibular migraine: a short guide")), "vestibular-migraine-a-short-guide");
        assert_eq!(slug_of(&item("%d0%bc%d0%b0%d0%b3%d0%bd%d0%b8%d0%b9", "")), "магний");
        assert_eq!(slug_of(&item("%f0%9f%a7%a0-five-myths", "")), "🧠-five-myths");
        assert_eq!(slug_of(&item("", "Sleep &amp; migraine")), "sleep-migraine");
        assert_eq!(slug_of(&item("", "!!!")), "post-7");
    }

    #[test]
    fn a_title_over_several_lines_is_kept_on_one_and_said_so() {
        let mut wp = item("a", " Before\n+++\nAfter ");
        wp.date_gmt = "2021-06-14 12:15:00".into();
        let mut report = Report::default();
        let (front, _, _) = article_file(&wp, "a", false, &[], &mut report);
        assert_eq!(front.title, "Before +++ After");
        assert_eq!(front.date.to_string(), "2021-06-14T12:15:00Z");
        assert_eq!(report.notes, ["post 7: its title ran over several lines; it is kept on one"]);
    }

    #[test]
    fn a_cut_comment_fits_the_form() {
        let cut = cut_to_form_limit(&"é".repeat(3 * MAX_BODY_CHARS));
        assert!(CommentBody::parse(&cut).is_ok());
        assert!(cut.ends_with(CUT_NOTE));
    }
}
