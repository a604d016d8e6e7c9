//! The import: a plan made from the export, the content folder and the
//! database; then, unless it is a dry run, the comments and redirects in one
//! transaction and the article files after it commits.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::convert;
use super::report::{Report, Skip};
use super::wxr::{Export, Item, WpComment};
use crate::comments::submit::{self, Author, Draft};
use crate::db::schema::{comments, redirects, users};
use crate::db::AnyConnection;
use crate::domain::{CommentBody, CommentId, CommentStatus, UserId};
use crate::keys::Keys;

/// What the command line asked for.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub dry_run: bool,
    /// A copy of `wp-content/uploads`, whose referenced files are copied
    /// under `static/uploads/`.
    pub uploads: Option<PathBuf>,
    /// WordPress login → healthblog account name.
    pub authors: Vec<(String, String)>,
    pub content_dir: PathBuf,
    /// Where the site's uploads live (`static/uploads` by default).
    pub uploads_dir: PathBuf,
}

/// Addresses that are routes of the site, which a page may not take.
const RESERVED_SLUGS: [&str; 10] =
    ["admin", "posts", "tags", "archive", "search", "static", "healthz", "feed.xml", "sitemap.xml", "robots.txt"];

/// Marks a file written by the import, so that a second run knows it.
fn marker(id: i64) -> String {
    format!("# Imported from WordPress post {id}.")
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
    text: String,
    state: FileState,
    draft: bool,
}

struct PlannedComment<'a> {
    comment: &'a WpComment,
    slug: String,
    status: CommentStatus,
    body: CommentBody,
    created_at: NaiveDateTime,
    staff: Option<(UserId, String)>,
}

/// Reads what is there, decides everything, and (unless `dry_run`) applies
/// it. The report says what was (or would be) done.
pub fn run(conn: &mut AnyConnection, keys: &Keys, export: &Export, options: &Options) -> anyhow::Result<Report> {
    let mut report = Report::new(options.dry_run);
    let mut items = plan_items(export, options, &mut report)?;
    let uploads = plan_uploads(export, &mut items, options, &mut report);

    let already: HashMap<i32, CommentId> = comments::table
        .filter(comments::wordpress_id.is_not_null())
        .select((comments::wordpress_id.assume_not_null(), comments::id))
        .load::<(i32, CommentId)>(conn)
        .context("reading the comments of earlier imports")?
        .into_iter()
        .collect();
    let accounts = resolve_accounts(conn, export, &items, options, &mut report)?;
    let planned = plan_comments(&items, &already, &accounts, &mut report);
    let routes = plan_redirects(export, &items);

    let known_paths: HashSet<String> =
        redirects::table.select(redirects::old_path).load::<String>(conn)?.into_iter().collect();
    let new_redirects: Vec<(String, String)> =
        routes.into_iter().filter(|(old, _)| !known_paths.contains(old)).collect();
    report.redirects_new = new_redirects.len();
    report.redirects_known = known_paths.len();

    if options.dry_run {
        report.comments_stored = planned.len();
        return Ok(report);
    }
    if !report.missing_accounts.is_empty() {
        bail!(
            "{report}\nnothing was imported: create the accounts listed above (or map them with --author \
             LOGIN=ACCOUNT), then run the import again"
        );
    }

    if let AnyConnection::Sqlite(sqlite) = conn {
        // The whole import is one transaction: let SQLite keep it in memory
        // (64 MiB), savepoints included, instead of spilling pages to disk.
        diesel::connection::SimpleConnection::batch_execute(
            sqlite,
            "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY",
        )?;
    }
    let progress = super::progress_bar(planned.len() as u64);
    let (stored, renumbered) =
        crate::db::write(conn, |conn| apply(conn, keys, &planned, &already, &new_redirects, &progress))
            .context("importing the comments and redirects (nothing was stored)")?;
    progress.finish_and_clear();
    report.comments_stored = stored;
    report.renumbered = renumbered;
    report.applied = true;

    for planned in items.iter().filter(|p| p.state == FileState::New) {
        write_atomically(&planned.path, &planned.text)?;
        report.files_written += 1;
    }
    for (from, to) in &uploads {
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::copy(from, to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
        report.uploads_copied += 1;
    }
    Ok(report)
}

fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let temporary = path.with_extension("md.importing");
    std::fs::write(&temporary, text).with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}

fn plan_items<'a>(export: &'a Export, options: &Options, report: &mut Report) -> anyhow::Result<Vec<PlannedItem<'a>>> {
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
                "{} {}: the slug `{wp_slug}` becomes `{slug}` (slugs here are lower-case ASCII letters, digits and \
                 hyphens); its old address still redirects",
                item.post_type, item.id
            ));
        }
        if kind == Kind::Page && RESERVED_SLUGS.contains(&slug.as_str()) {
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
        let (text, losses) = article_file(item, &slug, draft);
        for loss in losses {
            report.losses.push(format!("{} {} ({slug}): {loss}", item.post_type, item.id));
        }
        if !converter_base.is_empty() && options.uploads.is_none() {
            let prefix = format!("{converter_base}/wp-content/uploads/");
            for url in urls_with_prefix(&text, &prefix) {
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
        planned.push(PlannedItem { item, kind, slug, path, text, state, draft });
    }
    Ok(planned)
}

/// The slug: WordPress's (percent-decoded, without a trash suffix), else one
/// made from the title.
fn slug_of(item: &Item) -> String {
    let decoded = percent_encoding::percent_decode_str(&item.name).decode_utf8_lossy().to_lowercase();
    let decoded = decoded.trim_end_matches("__trashed");
    let from = if decoded.is_empty() { item.title.as_str() } else { decoded };
    let slug = slugify(from);
    if slug.is_empty() {
        format!("post-{}", item.id)
    } else {
        slug
    }
}

/// Lower-case ASCII letters, digits and single hyphens (what `check`
/// accepts); accented Latin letters lose their accent.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        let c = fold_accent(c);
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn wp_time(gmt: &str, local: &str) -> Option<NaiveDateTime> {
    [gmt, local]
        .into_iter()
        .filter(|t| !t.starts_with("0000"))
        .find_map(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
}

fn toml_time(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The Markdown file of an item, and what could not be carried over.
fn article_file(item: &Item, slug: &str, draft: bool) -> (String, Vec<String>) {
    let body = convert::article(&item.content);
    let date = wp_time(&item.date_gmt, &item.date).unwrap_or_else(|| crate::db::now().with_nanosecond_zero());
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
        .map(|t| {
            let decoded = percent_encoding::percent_decode_str(&t.nicename).decode_utf8_lossy().into_owned();
            let slug = slugify(&decoded);
            if slug.is_empty() {
                slugify(&t.name)
            } else {
                slug
            }
        })
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();

    let mut text = String::from("+++\n");
    text.push_str(&marker(item.id));
    text.push('\n');
    text.push_str(&format!("title = {}\n", toml_string(item.title.trim())));
    text.push_str(&format!("date = {}\n", toml_time(date)));
    if let Some(updated) = wp_time(&item.modified_gmt, "").filter(|u| *u > date) {
        text.push_str(&format!("updated = {}\n", toml_time(updated)));
    }
    text.push_str(&format!("slug = {}\n", toml_string(slug)));
    if !summary.is_empty() {
        text.push_str(&format!("summary = {}\n", toml_string(&summary)));
    }
    if !tags.is_empty() {
        let list: Vec<String> = tags.iter().map(|t| toml_string(t)).collect();
        text.push_str(&format!("tags = [{}]\n", list.join(", ")));
    }
    if draft {
        text.push_str("draft = true\n");
    }
    if item.comment_status == "closed" {
        text.push_str("comments = false\n");
    }
    text.push_str("+++\n\n");
    text.push_str(&body.markdown);
    (text, body.losses)
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

/// With `--uploads`, each referenced file that exists there is to be copied
/// under `static/uploads/` and its address in the new article rewritten;
/// those missing are listed.
fn plan_uploads(
    export: &Export,
    items: &mut [PlannedItem],
    options: &Options,
    report: &mut Report,
) -> Vec<(PathBuf, PathBuf)> {
    let Some(dir) = options.uploads.as_ref() else { return Vec::new() };
    let prefix = format!("{}/wp-content/uploads/", export.base_url);
    let mut copies = Vec::new();
    for planned in items.iter_mut().filter(|p| p.state == FileState::New) {
        for url in urls_with_prefix(&planned.text, &prefix) {
            let relative = url[prefix.len()..].to_owned();
            let source = dir.join(&relative);
            if source.is_file() && !relative.split('/').any(|part| part == "..") {
                planned.text = planned.text.replace(&url, &format!("/static/uploads/{relative}"));
                copies.push((source, options.uploads_dir.join(&relative)));
            } else {
                report.old_images.push(format!("{}: {url} (not in {})", planned.slug, dir.display()));
            }
        }
    }
    copies.sort();
    copies.dedup();
    copies
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
        let found = users::table
            .filter(users::username.eq(account))
            .select((users::id, users::display_name))
            .first::<(UserId, String)>(conn)
            .optional()
            .context("reading the accounts")?;
        match found {
            Some((user_id, display_name)) => {
                report.accounts.push(format!(
                    "{} ({}): {count} comment(s) → account {account} ({display_name})",
                    author.login, author.display_name
                ));
                resolved.insert(wp_id, (user_id, display_name));
            }
            None => report.missing_accounts.push(format!(
                "{} ({}): {count} comment(s) need the account `{account}`; create it with: healthblog user add \
                 {account} --display-name {}",
                author.login,
                author.display_name,
                shell_quote(&author.display_name)
            )),
        }
    }
    Ok(resolved)
}

fn shell_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$").replace('`', "\\`"))
}

fn plan_comments<'a>(
    items: &[PlannedItem<'a>],
    already: &HashMap<i32, CommentId>,
    accounts: &HashMap<i64, (UserId, String)>,
    report: &mut Report,
) -> Vec<PlannedComment<'a>> {
    let mut planned = Vec::new();
    for item in items {
        for comment in &item.item.comments {
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
            let status = match comment.approved.as_str() {
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
            let Some(body) = CommentBody::imported(&converted.markdown) else {
                report.skip(Skip::Comment, "with no text".into());
                continue;
            };
            let Some(created_at) = wp_time(&comment.date_gmt, &comment.date) else {
                report.skip(Skip::Comment, "with no readable date".into());
                continue;
            };
            let staff = (comment.user_id != 0).then(|| accounts.get(&comment.user_id).cloned()).flatten();
            report.count_stored(status, staff.is_some());
            planned.push(PlannedComment { comment, slug: item.slug.clone(), status, body, created_at, staff });
        }
    }
    let ours: HashSet<i64> = planned.iter().map(|p| p.comment.id).collect();
    for p in &planned {
        let parent = p.comment.parent;
        let known =
            parent == 0 || ours.contains(&parent) || i32::try_from(parent).is_ok_and(|id| already.contains_key(&id));
        if !known {
            report.note(format!(
                "comment {} answers comment {parent}, which is not imported; it is shown as a new question",
                p.comment.id
            ));
        }
    }
    order_parents_first(planned)
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
            at = index.get(&planned[i].comment.parent).copied();
        }
        for &i in chain.iter().rev() {
            placed[i] = true;
            order.push(i);
        }
    }
    let mut slots: Vec<Option<PlannedComment>> = planned.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
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
        let tag = slugify(&percent_encoding::percent_decode_str(category).decode_utf8_lossy());
        if !tag.is_empty() && category != "uncategorized" {
            routes.insert(format!("/category/{category}"), format!("/tags/{tag}"));
        }
    }
    for tag_slug in &export.tags {
        let tag = slugify(&percent_encoding::percent_decode_str(tag_slug).decode_utf8_lossy());
        if !tag.is_empty() {
            routes.insert(format!("/tag/{tag_slug}"), format!("/tags/{tag}"));
        }
    }
    for planned in items.iter().filter(|p| !p.draft) {
        for term in &planned.item.terms {
            let tag = slugify(&percent_encoding::percent_decode_str(&term.nicename).decode_utf8_lossy());
            let prefix = match term.domain.as_str() {
                "category" if term.nicename != "uncategorized" => "category",
                "post_tag" => "tag",
                _ => continue,
            };
            if !tag.is_empty() {
                routes.entry(format!("/{prefix}/{}", term.nicename)).or_insert(format!("/tags/{tag}"));
            }
        }
    }
    // A path that is already the new address would redirect to itself.
    routes.into_iter().filter(|(old, new)| old != new && old.len() > 1).collect()
}

/// Stores the comments and redirects; inside the caller's transaction.
/// Returns how many comments were stored, and how many of them could not
/// keep their WordPress number because a comment here already had it.
fn apply(
    conn: &mut AnyConnection,
    keys: &Keys,
    planned: &[PlannedComment],
    already: &HashMap<i32, CommentId>,
    new_redirects: &[(String, String)],
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<(usize, usize)> {
    // Take the write lock first, so that no comment posted meanwhile can take
    // an id this import keeps.
    match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::sql_query("LOCK TABLE comments IN EXCLUSIVE MODE").execute(pg)?;
        }
        AnyConnection::Sqlite(sqlite) => {
            diesel::sql_query("UPDATE comments SET id = id WHERE 0").execute(sqlite)?;
        }
    }
    for (old_path, target) in new_redirects {
        diesel::insert_into(redirects::table)
            .values((redirects::old_path.eq(old_path), redirects::target.eq(target)))
            .execute(conn)
            .with_context(|| format!("storing the redirect from {old_path}"))?;
    }

    let mut taken: HashSet<i32> =
        comments::table.select(comments::id).load::<CommentId>(conn)?.into_iter().map(|id| id.0).collect();
    let mut ids: HashMap<i64, CommentId> = HashMap::new();
    let mut deferred = Vec::new();
    for (index, p) in planned.iter().enumerate() {
        match i32::try_from(p.comment.id).ok().filter(|id| *id > 0 && !taken.contains(id)) {
            Some(id) => {
                taken.insert(id);
                ids.insert(p.comment.id, CommentId(id));
            }
            None => deferred.push(index),
        }
    }
    // New numbers come after every number in use and every WordPress number
    // in the file, so that they never take one a newer export will bring.
    let highest_in_file = planned.iter().filter_map(|p| i32::try_from(p.comment.id).ok()).max().unwrap_or(0);
    let mut next_free = taken.iter().max().copied().unwrap_or(0).max(highest_in_file) + 1;
    let renumbered = deferred.len();
    for index in deferred {
        while taken.contains(&next_free) {
            next_free += 1;
        }
        taken.insert(next_free);
        ids.insert(planned[index].comment.id, CommentId(next_free));
    }

    for p in planned {
        let c = p.comment;
        let parent = match c.parent {
            0 => None,
            wp => ids.get(&wp).copied().or_else(|| i32::try_from(wp).ok().and_then(|id| already.get(&id).copied())),
        };
        let author = match &p.staff {
            Some((user_id, name)) => Author::Staff { name: name.clone(), user_id: *user_id },
            None => Author::Reader {
                name: if c.author.trim().is_empty() { "Anonymous".into() } else { c.author.trim().to_owned() },
                email: c.email.clone(),
                website: Some(c.url.clone()).filter(|u| u.starts_with("http://") || u.starts_with("https://")),
            },
        };
        submit::store(
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
                kept_id: ids.get(&c.id).copied(),
                wordpress_id: i32::try_from(c.id).ok(),
            },
        )
        .with_context(|| format!("storing WordPress comment {}", c.id))?;
        progress.inc(1);
    }
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(
            "SELECT setval(pg_get_serial_sequence('comments', 'id'), GREATEST((SELECT MAX(id) FROM comments), 1))",
        )
        .execute(pg)?;
    }
    Ok((planned.len(), renumbered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, title: &str) -> Item {
        Item { id: 7, name: name.into(), title: title.into(), ..Item::default() }
    }

    #[test]
    fn slugs_are_decoded_and_made_acceptable_to_check() {
        assert_eq!(slug_of(&item("caf%c3%a9-au-lait", "")), "cafe-au-lait");
        assert_eq!(slug_of(&item("clinic-closed__trashed", "")), "clinic-closed");
        assert_eq!(slug_of(&item("", "Vestibular migraine: a short guide")), "vestibular-migraine-a-short-guide");
        assert_eq!(slug_of(&item("%d0%bc%d0%b0%d0%b3%d0%bd%d0%b8%d0%b9", "")), "post-7");
    }

    #[test]
    fn front_matter_strings_are_escaped() {
        let mut wp = item("a", "A \"quoted\" title \\ with a backslash");
        wp.date_gmt = "2021-06-14 12:15:00".into();
        let (text, _) = article_file(&wp, "a", false);
        let front = text.split("+++\n").nth(1).unwrap();
        let table: toml::Table = toml::from_str(front).unwrap();
        assert_eq!(table["title"].as_str(), Some("A \"quoted\" title \\ with a backslash"));
        assert!(table["date"].is_datetime());
    }
}
