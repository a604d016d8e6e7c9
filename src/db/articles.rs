//! The articles and pages, and every saved version of each.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{article_revisions, articles, comments};
use super::AnyConnection;
use crate::domain::{ArticleKind, Manuscript};

/// Where a revision came from.
pub const FROM_DESK: &str = "desk";
pub const FROM_FILE: &str = "file";
pub const FROM_IMPORT: &str = "import";

/// The columns a manuscript fills, in both tables.
macro_rules! manuscript_columns {
    ($name:ident, $table:ident) => {
        #[derive(Debug, Insertable, AsChangeset)]
        #[diesel(table_name = $table, treat_none_as_null = true)]
        struct $name {
            slug: String,
            title: String,
            body: String,
            summary: String,
            tags: String,
            author: String,
            publish_at: NaiveDateTime,
            updated: Option<NaiveDateTime>,
            reviewed: Option<NaiveDateTime>,
            reviewed_by: String,
            article_references: String,
            comments_open: bool,
            draft: bool,
            image: String,
            image_alt: String,
        }

        impl $name {
            fn of(m: &Manuscript) -> Self {
                Self {
                    slug: m.slug.clone(),
                    title: m.title.clone(),
                    body: m.body.clone(),
                    summary: m.summary.clone(),
                    tags: list_text(&m.tags),
                    author: m.author.clone(),
                    publish_at: m.date,
                    updated: m.updated,
                    reviewed: m.reviewed,
                    reviewed_by: m.reviewed_by.clone(),
                    article_references: list_text(&m.references),
                    comments_open: m.comments,
                    draft: m.draft,
                    image: m.image.clone(),
                    image_alt: m.image_alt.clone(),
                }
            }
        }
    };
}

manuscript_columns!(ArticleColumns, articles);
manuscript_columns!(RevisionColumns, article_revisions);

/// A list field, stored as a JSON array of texts.
fn list_text(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn list_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

type ManuscriptRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    String,
    String,
    bool,
    bool,
    String,
    String,
);

fn manuscript_of(row: ManuscriptRow) -> Manuscript {
    let (
        slug,
        title,
        body,
        summary,
        tags,
        author,
        date,
        updated,
        reviewed,
        reviewed_by,
        references,
        comments,
        draft,
        image,
        image_alt,
    ) = row;
    Manuscript {
        slug,
        title,
        body,
        summary,
        tags: list_of(&tags),
        author,
        date,
        updated,
        reviewed,
        reviewed_by,
        references: list_of(&references),
        comments,
        draft,
        image,
        image_alt,
    }
}

macro_rules! manuscript_select {
    ($table:ident) => {
        (
            $table::slug,
            $table::title,
            $table::body,
            $table::summary,
            $table::tags,
            $table::author,
            $table::publish_at,
            $table::updated,
            $table::reviewed,
            $table::reviewed_by,
            $table::article_references,
            $table::comments_open,
            $table::draft,
            $table::image,
            $table::image_alt,
        )
    };
}

/// An article as the store keeps it.
#[derive(Clone, Debug)]
pub struct StoredArticle {
    pub id: i32,
    pub kind: ArticleKind,
    pub manuscript: Manuscript,
    pub current_revision: i32,
    pub file_revision: Option<i32>,
    pub file_path: Option<String>,
    pub file_hash: Option<String>,
    pub file_conflict: String,
    pub created_at: NaiveDateTime,
}

type ArticleRow = (i32, String, ManuscriptRow, i32, Option<i32>, Option<String>, Option<String>, String, NaiveDateTime);

/// The article of `row`; an error naming it when its stored kind is
/// neither a post nor a page.
fn article_of(row: ArticleRow) -> QueryResult<StoredArticle> {
    let (id, kind, manuscript, current_revision, file_revision, file_path, file_hash, file_conflict, created_at) = row;
    let manuscript = manuscript_of(manuscript);
    let Some(kind) = ArticleKind::parse(&kind) else {
        let problem =
            format!("the article {:?} is stored with the kind {kind:?}, neither post nor page", manuscript.slug);
        return Err(diesel::result::Error::DeserializationError(problem.into()));
    };
    Ok(StoredArticle {
        id,
        kind,
        manuscript,
        current_revision,
        file_revision,
        file_path,
        file_hash,
        file_conflict,
        created_at,
    })
}

macro_rules! article_select {
    () => {
        (
            articles::id,
            articles::kind,
            manuscript_select!(articles),
            articles::current_revision,
            articles::file_revision,
            articles::file_path,
            articles::file_hash,
            articles::file_conflict,
            articles::created_at,
        )
    };
}

/// Every article and page, oldest first.
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<StoredArticle>> {
    let rows: Vec<ArticleRow> = articles::table.order(articles::id).select(article_select!()).load(conn)?;
    rows.into_iter().map(article_of).collect()
}

pub fn find(conn: &mut AnyConnection, id: i32) -> QueryResult<Option<StoredArticle>> {
    let row: Option<ArticleRow> = articles::table.find(id).select(article_select!()).first(conn).optional()?;
    row.map(article_of).transpose()
}

pub fn find_by_slug(conn: &mut AnyConnection, kind: ArticleKind, slug: &str) -> QueryResult<Option<StoredArticle>> {
    let row: Option<ArticleRow> = articles::table
        .filter(articles::kind.eq(kind.as_str()))
        .filter(articles::slug.eq(slug))
        .select(article_select!())
        .first(conn)
        .optional()?;
    row.map(article_of).transpose()
}

/// Where a new revision comes from.
#[derive(Clone, Debug)]
pub struct Origin {
    pub source: &'static str,
    /// The desk account's sign-in name, or what wrote it (`file`, `import`).
    pub saved_by: String,
    pub saved_at: NaiveDateTime,
    /// A file's path and hash.
    pub file: Option<(String, String)>,
}

#[derive(Insertable)]
#[diesel(table_name = article_revisions)]
struct RevisionOrigin {
    article_id: i32,
    source: String,
    saved_by: String,
    saved_at: NaiveDateTime,
    file_path: Option<String>,
    file_hash: Option<String>,
}

/// A new article with `manuscript` as its first revision; returns the
/// article's id and the revision's.
pub fn create(
    conn: &mut AnyConnection,
    kind: ArticleKind,
    manuscript: &Manuscript,
    origin: &Origin,
) -> QueryResult<(i32, i32)> {
    let id: i32 = diesel::insert_into(articles::table)
        .values((
            ArticleColumns::of(manuscript),
            articles::kind.eq(kind.as_str()),
            articles::current_revision.eq(0),
            articles::file_conflict.eq(""),
            articles::created_at.eq(origin.saved_at),
        ))
        .returning(articles::id)
        .get_result(conn)?;
    let revision = add_revision(conn, id, manuscript, origin)?;
    set_current(conn, id, manuscript, revision)?;
    Ok((id, revision))
}

/// Keeps `manuscript` as a revision of article `id`, without making it current.
pub fn add_revision(conn: &mut AnyConnection, id: i32, manuscript: &Manuscript, origin: &Origin) -> QueryResult<i32> {
    let (file_path, file_hash) = origin.file.clone().unzip();
    diesel::insert_into(article_revisions::table)
        .values((
            RevisionColumns::of(manuscript),
            RevisionOrigin {
                article_id: id,
                source: origin.source.to_owned(),
                saved_by: origin.saved_by.clone(),
                saved_at: origin.saved_at,
                file_path,
                file_hash,
            },
        ))
        .returning(article_revisions::id)
        .get_result(conn)
}

/// Makes `revision` (which holds `manuscript`) what article `id` shows.
/// When the text of a published article changes, the author's answers
/// under it written before are marked for his review.
pub fn set_current(conn: &mut AnyConnection, id: i32, manuscript: &Manuscript, revision: i32) -> QueryResult<()> {
    let before: Option<(String, String, bool)> =
        articles::table.find(id).select((articles::slug, articles::body, articles::draft)).first(conn).optional()?;
    if let Some((slug, body, draft)) = before {
        if !draft && !manuscript.draft && body.trim() != manuscript.body.trim() {
            let now = super::now();
            let reason = format!("the article changed on {}", now.format("%-d %B %Y"));
            super::answers::mark_article_changed(conn, &slug, now, revision, &reason)?;
        }
    }
    diesel::update(articles::table.find(id))
        .set((ArticleColumns::of(manuscript), articles::current_revision.eq(revision)))
        .execute(conn)
        .map(drop)
}

/// Records the file last read into article `id`, and what the desk says of it.
pub fn set_file(
    conn: &mut AnyConnection,
    id: i32,
    revision: i32,
    path: &str,
    hash: &str,
    conflict: &str,
) -> QueryResult<()> {
    diesel::update(articles::table.find(id))
        .set((
            articles::file_revision.eq(Some(revision)),
            articles::file_path.eq(Some(path)),
            articles::file_hash.eq(Some(hash)),
            articles::file_conflict.eq(conflict),
        ))
        .execute(conn)
        .map(drop)
}

/// Clears what the desk says of a file read while the article was edited.
pub fn clear_conflict(conn: &mut AnyConnection, id: i32) -> QueryResult<()> {
    diesel::update(articles::table.find(id)).set(articles::file_conflict.eq("")).execute(conn).map(drop)
}

/// One saved version, without its body.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Revision {
    pub id: i32,
    pub article_id: i32,
    pub source: String,
    pub saved_by: String,
    pub saved_at: NaiveDateTime,
    pub file_path: Option<String>,
    #[serde(skip)]
    pub manuscript: Manuscript,
}

type RevisionRow = (i32, i32, ManuscriptRow, String, String, NaiveDateTime, Option<String>);

fn revision_of(row: RevisionRow) -> Revision {
    let (id, article_id, manuscript, source, saved_by, saved_at, file_path) = row;
    Revision { id, article_id, manuscript: manuscript_of(manuscript), source, saved_by, saved_at, file_path }
}

macro_rules! revision_select {
    () => {
        (
            article_revisions::id,
            article_revisions::article_id,
            manuscript_select!(article_revisions),
            article_revisions::source,
            article_revisions::saved_by,
            article_revisions::saved_at,
            article_revisions::file_path,
        )
    };
}

/// Every revision of article `id`, newest first.
pub fn revisions(conn: &mut AnyConnection, id: i32) -> QueryResult<Vec<Revision>> {
    let rows: Vec<RevisionRow> = article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .order(article_revisions::id.desc())
        .select(revision_select!())
        .load(conn)?;
    Ok(rows.into_iter().map(revision_of).collect())
}

pub fn revision(conn: &mut AnyConnection, id: i32) -> QueryResult<Option<Revision>> {
    let row: Option<RevisionRow> =
        article_revisions::table.find(id).select(revision_select!()).first(conn).optional()?;
    Ok(row.map(revision_of))
}

/// How many comments each article has, by slug (every status but trash and spam).
pub fn comment_counts(conn: &mut AnyConnection) -> QueryResult<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = comments::table
        .filter(comments::status.eq_any(["approved", "pending"]))
        .group_by(comments::post_slug)
        .select((comments::post_slug, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Moves an article's comments to its new slug.
pub fn move_comments(conn: &mut AnyConnection, from: &str, to: &str) -> QueryResult<usize> {
    diesel::update(comments::table.filter(comments::post_slug.eq(from))).set(comments::post_slug.eq(to)).execute(conn)
}

/// The article whose file is `path` (relative to the content folder).
pub fn find_by_file(conn: &mut AnyConnection, kind: ArticleKind, path: &str) -> QueryResult<Option<StoredArticle>> {
    let row: Option<ArticleRow> = articles::table
        .filter(articles::kind.eq(kind.as_str()))
        .filter(articles::file_path.eq(path))
        .select(article_select!())
        .first(conn)
        .optional()?;
    row.map(article_of).transpose()
}

/// Within a transaction: one writer of articles at a time. PostgreSQL's
/// instances start together and may read the same files at once; SQLite
/// writes one transaction at a time anyway.
pub fn lock_for_writing(conn: &mut AnyConnection) -> QueryResult<()> {
    const ARTICLES_LOCK: i64 = 0x6172_7469_636c;
    match conn {
        AnyConnection::Postgresql(conn) => {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({ARTICLES_LOCK})")).execute(conn).map(drop)
        }
        AnyConnection::Sqlite(_) => Ok(()),
    }
}
