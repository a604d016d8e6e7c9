//! The articles and pages in the database: the files of `content/` read
//! into it, the library built from it, and the desk's saves.

use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDateTime;

use super::files::ContentFile;
use super::{Article, ArticleKind, FieldError, Library, Manuscript};
use crate::db::articles::{self, Origin, StoredArticle, FROM_DESK, FROM_FILE};
use crate::db::{self, change_counters, AnyConnection};

/// What reading `content/` into the store did.
#[derive(Debug, Default)]
pub struct FilesRead {
    /// New articles and pages.
    pub added: usize,
    /// Files changed since they were last read.
    pub changed: usize,
    /// Articles changed both in the desk and in their file, by path.
    pub conflicts: Vec<String>,
}

impl FilesRead {
    pub fn changed_anything(&self) -> bool {
        self.added + self.changed > 0
    }
}

/// Each file that is new, or whose text changed since it was last read,
/// becomes a new revision of its article (the article whose file it is,
/// else the one of its kind and slug); an unchanged file does nothing.
/// When the desk changed the article since its file was last read, both
/// versions are kept and the newer one is shown. Every instance reloads
/// when anything changed.
pub fn read_files(conn: &mut AnyConnection, content_dir: &Path, files: &[ContentFile]) -> anyhow::Result<FilesRead> {
    crate::db::write(conn, |conn| {
        db::articles::lock_for_writing(conn)?;
        let mut read = FilesRead::default();
        for file in files {
            read_file(conn, content_dir, file, &mut read)
                .with_context(|| format!("reading {} into the database", file.path.display()))?;
        }
        if read.changed_anything() {
            change_counters::touch(conn, change_counters::CONTENT)?;
        }
        Ok(read)
    })
}

fn read_file(
    conn: &mut AnyConnection,
    content_dir: &Path,
    file: &ContentFile,
    read: &mut FilesRead,
) -> anyhow::Result<()> {
    let path = file.path.strip_prefix(content_dir).unwrap_or(&file.path).to_string_lossy().into_owned();
    let origin = Origin {
        source: FROM_FILE,
        saved_by: FROM_FILE.into(),
        saved_at: db::now(),
        file: Some((path.clone(), file.hash.clone())),
    };
    let known = match articles::find_by_file(conn, file.kind, &path)? {
        Some(article) => Some(article),
        None => articles::find_by_slug(conn, file.kind, &file.manuscript.slug)?,
    };
    let Some(article) = known else {
        let (id, revision) = articles::create(conn, file.kind, &file.manuscript, &origin)?;
        articles::set_file(conn, id, revision, &path, &file.hash, "")?;
        read.added += 1;
        return Ok(());
    };
    if article.file_hash.as_deref() == Some(file.hash.as_str()) {
        return Ok(());
    }
    read.changed += 1;
    let revision = articles::add_revision(conn, article.id, &file.manuscript, &origin)?;
    let desk_changed = article.file_revision != Some(article.current_revision);
    let mut conflict = String::new();
    if desk_changed {
        let current_saved = articles::revision(conn, article.current_revision)?.map(|r| r.saved_at);
        let file_is_newer = current_saved.is_none_or(|saved| file.modified > saved);
        if file_is_newer {
            articles::set_current(conn, article.id, &file.manuscript, revision)?;
        }
        conflict = format!(
            "The file {path} changed while this {} was also changed here: both versions are kept in its revisions, \
             and the newer one ({}) is shown.",
            file.kind.as_str(),
            if file_is_newer { "the file's" } else { "the one saved here" }
        );
        read.conflicts.push(path.clone());
    } else {
        articles::set_current(conn, article.id, &file.manuscript, revision)?;
    }
    articles::set_file(conn, article.id, revision, &path, &file.hash, &conflict)?;
    Ok(())
}

/// Names every size of this site's pictures in `article`'s body, and points
/// its feature image at a mid-size one, with that size's width and height.
fn dress(article: &mut Article, pictures: &crate::media::Catalog) {
    article.body = crate::markdown::dress_pictures(&article.body, pictures);
    if let Some(mid) = pictures.mid_size_of(&article.image) {
        if let Some(sizes) = pictures.get(&mid.hash) {
            article.image_width = mid.width;
            article.image_height = crate::media::process::scaled_height(sizes.width, sizes.height, mid.width);
        }
        article.image = mid.path();
    }
}

/// `manuscript` as readers will see it once it is saved: with its author's
/// name and its pictures at every size (the desk's preview).
pub fn render_as_saved(
    conn: &mut AnyConnection,
    kind: ArticleKind,
    manuscript: &Manuscript,
) -> anyhow::Result<Result<Article, Vec<FieldError>>> {
    let mut article = match manuscript.render(kind) {
        Ok(article) => article,
        Err(errors) => return Ok(Err(errors)),
    };
    article.byline = db::users::find_by_username(conn, &article.author)
        .context("loading the author")?
        .map(|user| user.display_name)
        .unwrap_or_default();
    let pictures = db::media::catalog(conn).context("loading the pictures' sizes")?;
    dress(&mut article, &pictures);
    Ok(Ok(article))
}

/// The library of everything the database holds, as readers see it at `now`.
/// Publication times are shown on the clock of `zone`.
pub fn load_library(conn: &mut AnyConnection, now: NaiveDateTime, zone: chrono_tz::Tz) -> anyhow::Result<Library> {
    let stored = articles::all(conn).context("loading the articles")?;
    let names: std::collections::HashMap<String, String> = db::users::list_all(conn)
        .context("loading the accounts")?
        .into_iter()
        .map(|user| (user.username, user.display_name))
        .collect();
    let pictures = db::media::catalog(conn).context("loading the pictures' sizes")?;
    let (mut posts, mut pages) = (Vec::new(), Vec::new());
    for article in stored {
        let rendered = article.manuscript.render(article.kind).map(|mut rendered| {
            rendered.byline = names.get(&rendered.author).cloned().unwrap_or_default();
            dress(&mut rendered, &pictures);
            rendered.in_zone(zone)
        });
        match rendered {
            Ok(rendered) if article.kind == ArticleKind::Post => posts.push(rendered),
            Ok(rendered) => pages.push(rendered),
            Err(errors) => tracing::error!(
                id = article.id,
                slug = article.manuscript.slug,
                ?errors,
                "an article in the database does not pass the checks and is not served"
            ),
        }
    }
    drop(pictures);
    crate::memory::give_back();
    Library::build(posts, pages, now).map_err(|errors| anyhow::anyhow!("{errors}"))
}

/// Every article and page, drafts included, as written.
pub fn manuscripts(conn: &mut AnyConnection) -> anyhow::Result<Vec<(ArticleKind, Manuscript)>> {
    Ok(articles::all(conn).context("loading the articles")?.into_iter().map(|a| (a.kind, a.manuscript)).collect())
}

/// What a save from the desk did.
#[derive(Debug)]
pub enum Saved {
    /// Stored as revision `revision` of article `id`.
    Stored { id: i32, revision: i32 },
    /// Another revision was saved since the one the form was based on:
    /// nothing was stored.
    Conflict(Box<StoredArticle>),
    /// Another article of this kind has the slug.
    SlugTaken,
    /// No article `id`.
    NotFound,
}

/// A save from the desk of article `id` (a new one when `None`), based on
/// revision `base`; `log` is written with it. A published article whose
/// slug changes keeps its old address as a permanent redirect, with its
/// comments following it. Every instance reloads.
pub fn save(
    conn: &mut AnyConnection,
    kind: ArticleKind,
    id: Option<i32>,
    base: Option<i32>,
    manuscript: &Manuscript,
    saved_by: &str,
    log: &db::log::NewLogEntry,
) -> anyhow::Result<Saved> {
    crate::db::write(conn, |conn| {
        db::articles::lock_for_writing(conn)?;
        let now = db::now();
        let origin = Origin { source: FROM_DESK, saved_by: saved_by.to_owned(), saved_at: now, file: None };
        let existing = match id {
            Some(id) => match articles::find(conn, id)? {
                Some(article) if article.kind == kind => Some(article),
                _ => return Ok(Saved::NotFound),
            },
            None => None,
        };
        if let Some(article) = &existing {
            if base != Some(article.current_revision) {
                return Ok(Saved::Conflict(Box::new(article.clone())));
            }
        }
        if articles::find_by_slug(conn, kind, &manuscript.slug)?
            .is_some_and(|other| Some(other.id) != existing.as_ref().map(|a| a.id))
        {
            return Ok(Saved::SlugTaken);
        }
        let (id, revision) = match &existing {
            None => articles::create(conn, kind, manuscript, &origin)?,
            Some(article) => {
                let old = &article.manuscript;
                if old.slug != manuscript.slug {
                    if !old.draft && old.date <= now {
                        db::redirects::move_address(
                            conn,
                            &kind.decoded_path(&old.slug),
                            &kind.decoded_path(&manuscript.slug),
                            &kind.path(&manuscript.slug),
                        )?;
                    }
                    if kind == ArticleKind::Post {
                        articles::move_comments(conn, &old.slug, &manuscript.slug)?;
                    }
                }
                let revision = articles::add_revision(conn, article.id, manuscript, &origin)?;
                articles::set_current(conn, article.id, manuscript, revision)?;
                articles::clear_conflict(conn, article.id)?;
                (article.id, revision)
            }
        };
        db::log::write(conn, log)?;
        change_counters::touch(conn, change_counters::CONTENT)?;
        change_counters::touch(conn, change_counters::PAGES)?;
        Ok(Saved::Stored { id, revision })
    })
}

/// Reads the files of `content/` into the database (see `read_files`).
pub fn store_files(conn: &mut AnyConnection, content_dir: &Path, files: &[ContentFile]) -> anyhow::Result<()> {
    let read = read_files(conn, content_dir, files)?;
    tracing::info!(
        files = files.len(),
        new = read.added,
        changed = read.changed,
        "read the content folder {} into the database",
        content_dir.display()
    );
    for path in &read.conflicts {
        tracing::warn!("{path} changed while its article was also changed in the desk: both versions are kept");
    }
    Ok(())
}
