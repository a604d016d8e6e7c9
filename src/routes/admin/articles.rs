//! Writing in the desk: `/admin/articles` and `/admin/pages`, their lists,
//! the editor (save, preview, publish, schedule, unpublish) and the
//! revisions. Every form works without JavaScript.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tera::Context;

use super::{AdminForm, Desk};
use crate::comments::visitor::Visitor;
use crate::comments::Discussion;
use crate::content::store::{self, Saved};
use crate::content::{self, ArticleKind, Manuscript, RESERVED_PAGE_SLUGS};
use crate::db;
use crate::db::articles::StoredArticle;
use crate::db::log::{LogAction, NewLogEntry};
use crate::error::AppError;
use crate::routes::public::post::{self, ArticlePage, CommentForm};
use crate::state::PageMeta;

/// Articles a page of the list shows.
const PER_PAGE: usize = 25;

/// The kind the address is about: `/admin/pages…` or `/admin/articles…`.
fn kind_of(request: &HttpRequest) -> ArticleKind {
    if request.path().starts_with("/admin/pages") {
        ArticleKind::Page
    } else {
        ArticleKind::Post
    }
}

/// `/admin/articles` or `/admin/pages`.
fn desk_path(kind: ArticleKind) -> &'static str {
    match kind {
        ArticleKind::Post => "/admin/articles",
        ArticleKind::Page => "/admin/pages",
    }
}

fn plural(kind: ArticleKind) -> &'static str {
    match kind {
        ArticleKind::Post => "Articles",
        ArticleKind::Page => "Pages",
    }
}

/// Where an article stands for readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Scheduled,
    Published,
}

impl Status {
    fn of(manuscript: &Manuscript, now: NaiveDateTime) -> Self {
        if manuscript.draft {
            Self::Draft
        } else if manuscript.date > now {
            Self::Scheduled
        } else {
            Self::Published
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(Self::Draft),
            "scheduled" => Some(Self::Scheduled),
            "published" => Some(Self::Published),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

#[derive(Serialize)]
struct ListRow {
    id: i32,
    title: String,
    path: String,
    status: Status,
    author: String,
    date: String,
    comments: i64,
}

/// `GET /admin/articles` (and `/admin/pages`): newest first, by status, by
/// words of the title, a page at a time.
pub async fn list(desk: Desk, request: HttpRequest, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let kind = kind_of(&request);
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(Status::parse(text).ok_or(AppError::NotFound)?),
    };
    let number = match query.page.as_deref() {
        None => 1,
        Some(text) => {
            text.parse::<usize>().ok().filter(|n| (1..=super::MAX_PAGE).contains(n)).ok_or(AppError::NotFound)?
        }
    };
    let search = query.q.clone().unwrap_or_default().trim().to_owned();
    let (stored, counts) =
        db::run(&desk.state.pool, |conn| Ok((db::articles::all(conn)?, db::articles::comment_counts(conn)?)))
            .await
            .context("loading the articles")?;
    let now = db::now();
    let words: Vec<String> = search.to_lowercase().split_whitespace().map(str::to_owned).collect();
    let mut rows: Vec<(NaiveDateTime, ListRow)> = stored
        .into_iter()
        .filter(|a| a.kind == kind)
        .filter(|a| status.is_none_or(|s| Status::of(&a.manuscript, now) == s))
        .filter(|a| {
            let title = a.manuscript.title.to_lowercase();
            words.iter().all(|w| title.contains(w.as_str()))
        })
        .map(|a| {
            let m = &a.manuscript;
            let author =
                if m.author.is_empty() { desk.state.settings.site.author_name.clone() } else { m.author.clone() };
            let row = ListRow {
                id: a.id,
                path: kind.path(&m.slug),
                title: m.title.clone(),
                status: Status::of(m, now),
                author,
                date: local_moment(m.date, desk.state.zone).format("%Y-%m-%d %H:%M").to_string(),
                comments: counts.get(&m.slug).copied().filter(|_| kind == ArticleKind::Post).unwrap_or(0),
            };
            (m.date, row)
        })
        .collect();
    rows.sort_by_key(|(date, _)| std::cmp::Reverse(*date));
    let rows: Vec<ListRow> = rows.into_iter().map(|(_, row)| row).collect();
    let pages = crate::routes::pagination::page_count(rows.len(), PER_PAGE);
    let shown = crate::routes::pagination::page_of(&rows, number, PER_PAGE).ok_or(AppError::NotFound)?;
    let query_for = |n: usize| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(status) = &query.status {
            pairs.append_pair("status", status);
        }
        if !search.is_empty() {
            pairs.append_pair("q", &search);
        }
        pairs.append_pair("page", &n.to_string());
        format!("{}?{}", desk_path(kind), pairs.finish())
    };
    let mut context = Context::new();
    context.insert("kind", &kind);
    context.insert("base", desk_path(kind));
    context.insert("heading", plural(kind));
    context.insert("rows", shown);
    context.insert("status", &query.status.clone().unwrap_or_default());
    context.insert("q", &search);
    context.insert("previous", &(number > 1).then(|| query_for(number - 1)));
    context.insert("next", &(number < pages).then(|| query_for(number + 1)));
    context.insert("page_number", &number);
    context.insert("page_count", &pages);
    desk.render("admin/articles.html", plural(kind), context)
}

/// What the editor's fields hold, as typed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Values {
    title: String,
    slug: String,
    body: String,
    summary: String,
    tags: String,
    author: String,
    publish_at: String,
    updated: String,
    reviewed: String,
    reviewed_by: String,
    references: String,
    comments: bool,
    image: String,
    image_alt: String,
    base_revision: String,
}

impl Values {
    /// The form of `manuscript`, its publication time on the clock of `zone`.
    fn of(manuscript: &Manuscript, base_revision: Option<i32>, zone: Tz) -> Self {
        let day = |at: Option<NaiveDateTime>| at.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
        Self {
            title: manuscript.title.clone(),
            slug: manuscript.slug.clone(),
            body: manuscript.body.clone(),
            summary: manuscript.summary.clone(),
            tags: manuscript.tags.join(", "),
            author: manuscript.author.clone(),
            publish_at: local_moment(manuscript.date, zone).format("%Y-%m-%dT%H:%M").to_string(),
            updated: day(manuscript.updated),
            reviewed: day(manuscript.reviewed),
            reviewed_by: manuscript.reviewed_by.clone(),
            references: manuscript.references.join("\n"),
            comments: manuscript.comments,
            image: manuscript.image.clone(),
            image_alt: manuscript.image_alt.clone(),
            base_revision: base_revision.map(|r| r.to_string()).unwrap_or_default(),
        }
    }

    fn from_form(form: &AdminForm) -> Self {
        let text = |name: &str| form.text(name).replace("\r\n", "\n");
        Self {
            title: text("title"),
            slug: text("slug"),
            body: text("body"),
            summary: text("summary"),
            tags: text("tags"),
            author: text("author"),
            publish_at: text("publish_at"),
            updated: text("updated"),
            reviewed: text("reviewed"),
            reviewed_by: text("reviewed_by"),
            references: text("references"),
            comments: form.get("comments").is_some(),
            image: text("image"),
            image_alt: text("image_alt"),
            base_revision: text("base_revision"),
        }
    }

    /// The manuscript these values describe, or what is wrong with each
    /// field, by the rules `healthblog check` applies to a file. The
    /// publication time is read on the clock of `zone`.
    fn manuscript(
        &self,
        kind: ArticleKind,
        draft: bool,
        accounts: &[String],
        zone: Tz,
    ) -> Result<Manuscript, HashMap<&'static str, String>> {
        let mut errors = HashMap::new();
        let title = self.title.trim().to_owned();
        let slug = match self.slug.trim() {
            "" => content::slug_from_title(&title),
            slug => slug.to_owned(),
        };
        if slug.is_empty() && !title.is_empty() {
            errors.insert("slug", "Give the address in lower-case letters, digits and hyphens.".to_owned());
        }
        if kind == ArticleKind::Page && RESERVED_PAGE_SLUGS.contains(&slug.as_str()) {
            errors.insert("slug", format!("The address /{slug} belongs to the site itself: choose another."));
        }
        let date = match self.publish_at.trim() {
            "" => db::now().with_nanosecond_zero(),
            text => match parse_moment(text) {
                None => {
                    errors.insert("publish_at", "Give the date and time as 2024-05-31T08:30.".to_owned());
                    NaiveDateTime::default()
                }
                // The earlier of a time the clocks pass twice.
                Some(local) => match zone.from_local_datetime(&local).earliest() {
                    Some(moment) => moment.naive_utc(),
                    None => {
                        errors.insert(
                            "publish_at",
                            format!("{text} does not exist in {zone}: the clocks skip it. Give another time."),
                        );
                        NaiveDateTime::default()
                    }
                },
            },
        };
        let mut day = |name: &'static str, text: &str| match text.trim() {
            "" => None,
            text => {
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN)).map_or_else(
                    |_| {
                        errors.insert(name, "Give the date as 2024-05-31.".to_owned());
                        None
                    },
                    Some,
                )
            }
        };
        let updated = day("updated", &self.updated);
        let reviewed = day("reviewed", &self.reviewed);
        let author = self.author.trim().to_owned();
        if !author.is_empty() && !accounts.contains(&author) {
            errors.insert(
                "author",
                format!("There is no desk account named “{author}”: give an account's sign-in name."),
            );
        }
        let manuscript = Manuscript {
            slug,
            title,
            body: self.body.clone(),
            summary: self.summary.trim().to_owned(),
            tags: self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
            author,
            date,
            updated,
            reviewed,
            reviewed_by: self.reviewed_by.trim().to_owned(),
            references: self.references.lines().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect(),
            comments: self.comments,
            draft,
            image: self.image.trim().to_owned(),
            image_alt: self.image_alt.trim().to_owned(),
        };
        if let Err(problems) = manuscript.render(kind) {
            for problem in problems {
                let field = problem.field.unwrap_or("body");
                // A date that could not be read is already marked at its
                // field; "give both or neither" would only mislead then.
                if field.starts_with("reviewed") && errors.contains_key("reviewed") {
                    continue;
                }
                errors.entry(field).or_insert_with(|| sentence(&problem.message));
            }
        }
        if errors.is_empty() {
            Ok(manuscript)
        } else {
            Err(errors)
        }
    }
}

trait WholeSeconds {
    fn with_nanosecond_zero(self) -> Self;
}

impl WholeSeconds for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
    }
}

/// A stored (UTC) moment on the clock of `zone`.
fn local_moment(at: NaiveDateTime, zone: Tz) -> NaiveDateTime {
    at.and_utc().with_timezone(&zone).naive_local()
}

/// `2024-05-31T08:30` (what `<input type="datetime-local">` sends), with
/// seconds or not.
fn parse_moment(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

/// A check's message as a sentence for the form.
fn sentence(message: &str) -> String {
    let mut text = message.to_owned();
    if let Some(first) = text.get(..1) {
        text.replace_range(..1, &first.to_uppercase());
    }
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// What the editor shows besides the fields.
#[derive(Default)]
struct Editor {
    article: Option<StoredArticle>,
    values: Values,
    errors: HashMap<&'static str, String>,
    /// The version saved meanwhile, shown beside the doctor's own.
    conflict: Option<Values>,
    status: Option<StatusCode>,
}

fn editor_page(desk: &Desk, kind: ArticleKind, editor: Editor) -> Result<HttpResponse, AppError> {
    let Editor { article, values, errors, conflict, status } = editor;
    let now = db::now();
    let mut context = Context::new();
    let (action, title) = match &article {
        Some(a) => (format!("{}/{}", desk_path(kind), a.id), format!("Edit “{}”", a.manuscript.title)),
        None => {
            (desk_path(kind).to_owned(), format!("New {}", if kind == ArticleKind::Post { "article" } else { "page" }))
        }
    };
    context.insert("status", "new");
    context.insert(
        "publish_at_hint",
        &format!(
            "Date and time in the site's time zone ({}). Publishing with a time to come schedules it.",
            desk.state.zone.name()
        ),
    );
    if let Some(article) = &article {
        context.insert("id", &article.id);
        context.insert("status", &Status::of(&article.manuscript, now));
        context.insert("public_path", &kind.path(&article.manuscript.slug));
        context.insert("file_conflict", &article.file_conflict);
    }
    context.insert("kind", &kind);
    context.insert("base", desk_path(kind));
    context.insert("action", &action);
    context.insert("heading", &title);
    context.insert("values", &values);
    context.insert("errors", &errors);
    context.insert("conflict", &conflict);
    // The picture upload under the editor comes back here once stored.
    context.insert("media_return_to", &action);
    context.insert("form", &serde_json::json!({ "alt": "", "caption": "", "errors": {} }));
    context.insert("max_mb", &(crate::media::process::MAX_UPLOAD_BYTES / (1024 * 1024)));
    let mut response = desk.render("admin/article.html", &title, context)?;
    *response.status_mut() = status.unwrap_or(StatusCode::OK);
    Ok(response)
}

async fn load(desk: &Desk, kind: ArticleKind, id: i32) -> Result<StoredArticle, AppError> {
    let article = db::run(&desk.state.pool, move |conn| Ok(db::articles::find(conn, id)?))
        .await
        .context("loading the article")?;
    article.filter(|a| a.kind == kind).ok_or(AppError::NotFound)
}

/// `GET /admin/articles/new`.
pub async fn new(desk: Desk, request: HttpRequest) -> Result<HttpResponse, AppError> {
    let values = Values { comments: true, ..Values::default() };
    editor_page(&desk, kind_of(&request), Editor { values, ..Editor::default() })
}

/// `GET /admin/articles/{id}`.
pub async fn edit(desk: Desk, request: HttpRequest, id: web::Path<i32>) -> Result<HttpResponse, AppError> {
    let kind = kind_of(&request);
    let article = load(&desk, kind, id.into_inner()).await?;
    let values = Values::of(&article.manuscript, Some(article.current_revision), desk.state.zone);
    editor_page(&desk, kind, Editor { article: Some(article), values, ..Editor::default() })
}

/// `POST /admin/articles`: a new article.
pub async fn create(desk: Desk, request: HttpRequest, form: AdminForm) -> Result<HttpResponse, AppError> {
    submit(desk, request, None, form).await
}

/// `POST /admin/articles/{id}`: a save of the editor.
pub async fn save(
    desk: Desk,
    request: HttpRequest,
    id: web::Path<i32>,
    form: AdminForm,
) -> Result<HttpResponse, AppError> {
    submit(desk, request, Some(id.into_inner()), form).await
}

async fn submit(desk: Desk, request: HttpRequest, id: Option<i32>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let kind = kind_of(&request);
    let article = match id {
        Some(id) => Some(load(&desk, kind, id).await?),
        None => None,
    };
    let values = Values::from_form(&form);
    let action = form.text("action");
    let was_draft = article.as_ref().is_none_or(|a| a.manuscript.draft);
    let draft = match action.as_str() {
        "draft" | "unpublish" => true,
        "publish" => false,
        // A preview, or a form sent without a button (Enter in a field),
        // leaves it published or not as it was.
        _ => was_draft,
    };
    let accounts = db::run(&desk.state.pool, |conn| Ok(db::users::list_all(conn)?))
        .await
        .context("loading the accounts")?
        .into_iter()
        .map(|u| u.username)
        .collect::<Vec<_>>();
    let manuscript = match values.manuscript(kind, draft, &accounts, desk.state.zone) {
        Ok(manuscript) => manuscript,
        Err(errors) => {
            let editor =
                Editor { article, values, errors, status: Some(StatusCode::UNPROCESSABLE_ENTITY), ..Editor::default() };
            return editor_page(&desk, kind, editor);
        }
    };
    if action == "preview" {
        return preview(&desk, &request, kind, &manuscript).await;
    }
    let base = values.base_revision.trim().parse::<i32>().ok();
    let (log_action, verb) = match action.as_str() {
        "publish" if was_draft && manuscript.date > db::now() => (LogAction::Publish, "scheduled"),
        "publish" if was_draft => (LogAction::Publish, "published"),
        "unpublish" if !was_draft => (LogAction::Unpublish, "unpublished"),
        _ => (LogAction::ArticleSave, "saved"),
    };
    let log = NewLogEntry::new(Some(desk.user.id), &desk.user.display_name, log_action).detail(format!(
        "{} {} “{}” ({})",
        verb,
        kind.as_str(),
        manuscript.title,
        kind.path(&manuscript.slug)
    ));
    let (who, to_save) = (desk.user.username.clone(), manuscript.clone());
    let saved = desk
        .state
        .write(move |conn| store::save(conn, kind, id, base, &to_save, &who, &log))
        .await
        .context("saving the article")?;
    match saved {
        Saved::Stored { id, .. } => {
            crate::workers::reload_library(&desk.state).await;
            let message = match (verb, kind) {
                ("scheduled", _) => format!("Scheduled for {}.", content::desk_time(manuscript.date, desk.state.zone)),
                ("published", _) => "Published.".to_owned(),
                ("unpublished", _) => "Unpublished: it is a draft again, seen by you alone.".to_owned(),
                _ if manuscript.draft => "Draft saved.".to_owned(),
                _ => "Saved: readers see the change.".to_owned(),
            };
            let target = format!("{}/{id}", desk_path(kind));
            Ok(desk.redirect_with_link(&target, &message, "View it", &kind.path(&manuscript.slug)))
        }
        Saved::Conflict(current) => {
            let conflict = Some(Values::of(&current.manuscript, Some(current.current_revision), desk.state.zone));
            let values = Values { base_revision: current.current_revision.to_string(), ..values };
            let editor = Editor {
                article: Some(*current),
                values,
                conflict,
                status: Some(StatusCode::CONFLICT),
                ..Editor::default()
            };
            editor_page(&desk, kind, editor)
        }
        Saved::SlugTaken => {
            let mut errors = HashMap::new();
            errors.insert(
                "slug",
                format!("Another {} has the address {}: choose another.", kind.as_str(), kind.path(&manuscript.slug)),
            );
            let editor =
                Editor { article, values, errors, status: Some(StatusCode::UNPROCESSABLE_ENTITY), ..Editor::default() };
            editor_page(&desk, kind, editor)
        }
        Saved::NotFound => Err(AppError::NotFound),
    }
}

/// The article as readers will see it, with a band that says it is not
/// published; nothing is saved.
async fn preview(
    desk: &Desk,
    request: &HttpRequest,
    kind: ArticleKind,
    manuscript: &Manuscript,
) -> Result<HttpResponse, AppError> {
    let state = &desk.state;
    let (kind_read, read) = (kind, manuscript.clone());
    let article = db::run(&state.pool, move |conn| store::render_as_saved(conn, kind_read, &read))
        .await
        .context("preparing the preview")?
        .map_err(|errors| AppError::Unexpected(anyhow::anyhow!("{errors:?}")))?;
    let article = article.in_zone(state.zone);
    crate::routes::cached_pages::leaves_shared_pages(request);
    if kind == ArticleKind::Page {
        let meta = PageMeta {
            noindex: true,
            ..PageMeta::new(article.title.clone(), article.summary.clone(), kind.path(&article.slug))
        };
        let mut context = Context::new();
        context.insert("page", &article);
        context.insert("preview", &true);
        return state.page("page.html", &meta, context);
    }
    let visitor = Visitor::from_request(request, &state.keys);
    let discussion = post::load_discussion(state, &article, &visitor, 1).await?.unwrap_or_else(Discussion::unavailable);
    let library = state.library();
    let page = ArticlePage {
        library: &library,
        article: &article,
        discussion: &discussion,
        author: None,
        form: CommentForm::default(),
        flash: None,
        for_cache: false,
        preview: true,
        saved_replies: Vec::new(),
    };
    post::render(state, page, visitor, StatusCode::OK)
}

#[derive(Serialize)]
struct RevisionRow {
    id: i32,
    saved_at: String,
    saved_by: String,
    source: String,
    file_path: Option<String>,
    title: String,
    /// Words of the text added and removed since the revision before.
    added: usize,
    removed: usize,
    current: bool,
    /// The revision saved before this one, if any.
    previous: Option<i32>,
}

/// How many words `after` has that `before` has not, and the other way
/// round, each word counted as often as it occurs.
fn words_changed(before: &str, after: &str) -> (usize, usize) {
    let mut counts: HashMap<&str, isize> = HashMap::new();
    for word in after.split_whitespace() {
        *counts.entry(word).or_default() += 1;
    }
    for word in before.split_whitespace() {
        *counts.entry(word).or_default() -= 1;
    }
    let added = counts.values().filter(|n| **n > 0).map(|n| n.unsigned_abs()).sum();
    let removed = counts.values().filter(|n| **n < 0).map(|n| n.unsigned_abs()).sum();
    (added, removed)
}

/// `GET /admin/articles/{id}/revisions`: every saved version, newest first.
pub async fn revisions(desk: Desk, request: HttpRequest, id: web::Path<i32>) -> Result<HttpResponse, AppError> {
    let kind = kind_of(&request);
    let article = load(&desk, kind, id.into_inner()).await?;
    let article_id = article.id;
    let revisions = db::run(&desk.state.pool, move |conn| Ok(db::articles::revisions(conn, article_id)?))
        .await
        .context("loading the revisions")?;
    let previous: Vec<Option<i32>> = (0..revisions.len()).map(|i| revisions.get(i + 1).map(|r| r.id)).collect();
    let changes: Vec<(usize, usize)> = (0..revisions.len())
        .map(|i| match revisions.get(i + 1) {
            Some(older) => words_changed(&older.manuscript.body, &revisions[i].manuscript.body),
            None => (revisions[i].manuscript.body.split_whitespace().count(), 0),
        })
        .collect();
    let rows: Vec<RevisionRow> = revisions
        .into_iter()
        .zip(changes)
        .zip(previous)
        .map(|((r, (added, removed)), previous)| RevisionRow {
            added,
            removed,
            previous,
            current: r.id == article.current_revision,
            id: r.id,
            saved_at: content::desk_time(r.saved_at, desk.state.zone),
            saved_by: r.saved_by,
            source: r.source,
            file_path: r.file_path,
            title: r.manuscript.title,
        })
        .collect();
    let mut context = Context::new();
    context.insert("base", desk_path(kind));
    context.insert("id", &article.id);
    context.insert("title", &article.manuscript.title);
    context.insert("current_revision", &article.current_revision);
    context.insert("revisions", &rows);
    desk.render("admin/revisions.html", &format!("Revisions of “{}”", article.manuscript.title), context)
}

/// One field's change between two revisions, as stretches of words: kept,
/// added or removed.
#[derive(Serialize)]
struct FieldDiff {
    label: &'static str,
    pieces: Vec<DiffPiece>,
}

#[derive(Serialize)]
struct DiffPiece {
    /// `same`, `added` or `removed`.
    change: &'static str,
    text: String,
}

/// The words of `before` and `after` side by side, each stretch marked.
fn word_diff(before: &str, after: &str) -> Vec<DiffPiece> {
    let diff = similar::TextDiff::from_words(before, after);
    let mut pieces: Vec<DiffPiece> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            similar::ChangeTag::Equal => "same",
            similar::ChangeTag::Insert => "added",
            similar::ChangeTag::Delete => "removed",
        };
        match pieces.last_mut() {
            Some(last) if last.change == kind => last.text.push_str(change.value()),
            _ => pieces.push(DiffPiece { change: kind, text: change.value().to_owned() }),
        }
    }
    pieces
}

/// The fields that differ between two versions, each as a word diff.
fn manuscript_diff(before: &Manuscript, after: &Manuscript) -> Vec<FieldDiff> {
    let fields: [(&'static str, String, String); 7] = [
        ("Title", before.title.clone(), after.title.clone()),
        ("Slug", before.slug.clone(), after.slug.clone()),
        ("Summary", before.summary.clone(), after.summary.clone()),
        ("Tags", before.tags.join(", "), after.tags.join(", ")),
        ("Author", before.author.clone(), after.author.clone()),
        ("Reviewed by", before.reviewed_by.clone(), after.reviewed_by.clone()),
        ("Text", before.body.clone(), after.body.clone()),
    ];
    fields
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(label, old, new)| FieldDiff { label, pieces: word_diff(&old, &new) })
        .collect()
}

#[derive(Deserialize)]
pub struct CompareQuery {
    from: Option<i32>,
    to: Option<i32>,
}

/// `GET /admin/articles/{id}/compare?from=A&to=B`: what changed between
/// any two revisions, word by word (by default, `to` is the version shown
/// now and `from` the one saved just before `to`).
pub async fn compare(
    desk: Desk,
    request: HttpRequest,
    id: web::Path<i32>,
    query: web::Query<CompareQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = kind_of(&request);
    let article = load(&desk, kind, id.into_inner()).await?;
    let article_id = article.id;
    let revisions = db::run(&desk.state.pool, move |conn| Ok(db::articles::revisions(conn, article_id)?))
        .await
        .context("loading the revisions")?;
    // Newest first: the default pair is the current version and the one saved before it.
    // (by default, `to` against the revision saved just before it).
    let to_id = query.to.unwrap_or(article.current_revision);
    let before_to = revisions.iter().position(|r| r.id == to_id).and_then(|i| revisions.get(i + 1));
    let from_id = query.from.or_else(|| before_to.map(|r| r.id)).unwrap_or(to_id);
    let find = |wanted: i32| revisions.iter().find(|r| r.id == wanted);
    let (Some(from), Some(to)) = (find(from_id), find(to_id)) else {
        return Err(AppError::NotFound);
    };
    let choices: Vec<serde_json::Value> = revisions
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "label": format!(
                    "revision {} · {} · {} · {}",
                    r.id,
                    content::desk_time(r.saved_at, desk.state.zone),
                    r.saved_by,
                    r.source
                ),
            })
        })
        .collect();
    let mut context = Context::new();
    context.insert("base", desk_path(kind));
    context.insert("id", &article.id);
    context.insert("title", &article.manuscript.title);
    context.insert("choices", &choices);
    context.insert("from", &from.id);
    context.insert("to", &to.id);
    context.insert("fields", &manuscript_diff(&from.manuscript, &to.manuscript));
    desk.render("admin/compare.html", &format!("Changes to “{}”", article.manuscript.title), context)
}

/// `POST /admin/articles/{id}/revisions/{revision}/restore`: the old
/// version's text becomes a new revision; whether it is published stays as
/// it is.
pub async fn restore(
    desk: Desk,
    request: HttpRequest,
    path: web::Path<(i32, i32)>,
    form: AdminForm,
) -> Result<HttpResponse, AppError> {
    let kind = kind_of(&request);
    let (id, revision_id) = path.into_inner();
    let article = load(&desk, kind, id).await?;
    let revision = db::run(&desk.state.pool, move |conn| Ok(db::articles::revision(conn, revision_id)?))
        .await
        .context("loading the revision")?
        .filter(|r| r.article_id == article.id)
        .ok_or(AppError::NotFound)?;
    let manuscript =
        Manuscript { draft: article.manuscript.draft, date: article.manuscript.date, ..revision.manuscript };
    let base = form.text("base_revision").parse::<i32>().ok().or(Some(article.current_revision));
    let log = NewLogEntry::new(Some(desk.user.id), &desk.user.display_name, LogAction::ArticleSave).detail(format!(
        "restored revision {revision_id} of {} “{}” ({})",
        kind.as_str(),
        manuscript.title,
        kind.path(&manuscript.slug)
    ));
    let who = desk.user.username.clone();
    let to_save = manuscript.clone();
    let saved = desk
        .state
        .write(move |conn| store::save(conn, kind, Some(id), base, &to_save, &who, &log))
        .await
        .context("restoring the revision")?;
    let target = format!("{}/{id}", desk_path(kind));
    match saved {
        Saved::Stored { .. } => {
            crate::workers::reload_library(&desk.state).await;
            Ok(desk.redirect(&target, &format!("Revision {revision_id} restored as a new revision.")))
        }
        Saved::Conflict(_) => Ok(desk.redirect(
            &format!("{target}/revisions"),
            "The article changed meanwhile: nothing was restored. Look at the newest revision, then choose again.",
        )),
        Saved::SlugTaken => Ok(desk.redirect(
            &format!("{target}/revisions"),
            "Another article now has that version's address: nothing was restored.",
        )),
        Saved::NotFound => Err(AppError::NotFound),
    }
}
