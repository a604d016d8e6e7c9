//! "Manage my comments". Readers have no accounts: a commenter asks for a
//! signed link to their address and, from it, sees everything they wrote
//! here, edits, deletes, downloads or erases it, and stops every notice.
//! The browser that wrote a comment still awaiting moderation may edit or
//! delete it without the link. Every form carries the visitor cookie's
//! token; link pages carry the link in their path.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use tera::Context;

use crate::comments::discussion::{self, load_rules};
use crate::comments::ownership::{self, EditRefusal, Owner, OwnershipError, Removed};
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::content::When;
use crate::db;
use crate::domain::{CommentBody, CommentId, CommentStatus, Email, EmailKey, MAX_BODY_CHARS};
use crate::error::AppError;
use crate::mail::outbox::{self, MessageKind, NewMessage};
use crate::mail::subscribers::{self, AddressState};
use crate::markdown::SafeHtml;
use crate::routes::page;
use crate::signed_links::{self, LinkProblem, Purpose};
use crate::state::{AppState, PageMeta};

/// Link requests for one address within this many seconds share one
/// message: asking again and again cannot flood an inbox.
const LINK_REQUEST_WINDOW_SECS: i64 = 600;

const FORM_UNCONFIRMED: &str = "We could not confirm that this form came from this site (it may be too old, or \
                                cookies may be off). Please try again.";
const NOT_STORED: &str = "Sorry, nothing was changed: the site cannot store anything right now. Please try again \
                          in a few minutes.";

/// Mounts the commenters' own pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/comments/manage").route(page().to(ask_form)).route(web::post().to(ask)))
        .service(web::resource("/comments/manage/{token}").route(page().to(show)))
        .service(web::resource("/comments/manage/{token}/export").route(page().to(export)))
        .service(web::resource("/comments/manage/{token}/stop").route(web::post().to(stop)))
        .service(
            web::resource("/comments/manage/{token}/erase").route(page().to(erase_form)).route(web::post().to(erase)),
        )
        .service(
            web::resource("/comments/manage/{token}/comments/{id}/edit")
                .route(page().to(edit_form_by_link))
                .route(web::post().to(edit_by_link)),
        )
        .service(web::resource("/comments/manage/{token}/comments/{id}/delete").route(web::post().to(delete_by_link)))
        .service(
            web::resource("/posts/{slug}/comments/{id}/edit")
                .route(page().to(edit_form_by_cookie))
                .route(web::post().to(edit_by_cookie)),
        )
        .service(web::resource("/posts/{slug}/comments/{id}/delete").route(web::post().to(delete_by_cookie)));
}

// ---------------------------------------------------------------------------
// Asking for the link

#[derive(Deserialize)]
pub struct AskQuery {
    sent: Option<String>,
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf_token: String,
}

/// The ask form as shown: what was typed and what is wrong with it.
#[derive(Default, Serialize)]
struct AskPage<'a> {
    email: &'a str,
    error: Option<String>,
    message: Option<&'a str>,
    sent: bool,
}

/// `GET /comments/manage`: the form that asks for a link.
pub async fn ask_form(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<AskQuery>,
) -> Result<HttpResponse, AppError> {
    let visitor = Visitor::from_request(&request, &state.keys);
    let shown = AskPage { sent: query.sent.is_some(), ..AskPage::default() };
    render_ask(&state, visitor, shown, StatusCode::OK)
}

/// `POST /comments/manage`: queues a request for the link, whatever the
/// address; the mail sender sends it only to an address that has comments
/// here. The answer, and the work done before it, are the same either way,
/// so that nobody learns from it (nor from how long it took) whether an
/// address commented.
pub async fn ask(
    state: web::Data<AppState>,
    request: HttpRequest,
    form: web::Form<AskForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let now = Utc::now();
    let visitor = match verified_visitor(&state, &request, &form.csrf_token, now.timestamp()) {
        Some(visitor) => visitor,
        None => {
            let visitor = Visitor::from_request(&request, &state.keys);
            let shown = AskPage { email: &form.email, message: Some(FORM_UNCONFIRMED), ..AskPage::default() };
            return render_ask(&state, visitor, shown, StatusCode::FORBIDDEN);
        }
    };
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(error) => {
            let shown = AskPage { email: &form.email, error: Some(error), ..AskPage::default() };
            return render_ask(&state, visitor, shown, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let address = email.key().clone();
    let dedupe_key = format!("manage:{address}:{}", now.timestamp() / LINK_REQUEST_WINDOW_SECS);
    let queued = state
        .write(move |conn| {
            let link = NewMessage::new(MessageKind::ManageLink, address.as_str(), dedupe_key, now.naive_utc());
            outbox::enqueue(conn, &link)?;
            anyhow::Ok(())
        })
        .await;
    if let Err(error) = queued {
        tracing::error!(error = format!("{error:#}"), "a manage link could not be queued");
        let shown = AskPage { email: &form.email, message: Some(NOT_STORED), ..AskPage::default() };
        return render_ask(&state, visitor, shown, StatusCode::SERVICE_UNAVAILABLE);
    }
    Ok(see_other("/comments/manage?sent=1"))
}

fn render_ask(
    state: &AppState,
    visitor: Visitor,
    shown: AskPage,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut context = Context::new();
    context.insert("form", &shown);
    context.insert("csrf_token", &visitor.form_token(&state.keys, FormPurpose::Manage, Utc::now().timestamp()));
    let meta = private_meta("Manage my comments", "/comments/manage");
    respond(state, "manage/ask.html", &meta, context, status, &visitor)
}

// ---------------------------------------------------------------------------
// The page behind the link

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// One of the writer's comments as their page lists it.
#[derive(Serialize)]
struct ManagedComment {
    id: CommentId,
    article_title: String,
    href: String,
    posted: When,
    status: &'static str,
    edited: bool,
    can_edit: bool,
    body: SafeHtml,
    /// Asked privately: only the author and its writer can read it.
    private: bool,
    /// The author's answers to it, when it is private (a public one's are on
    /// the page).
    answers: Vec<PrivateAnswer>,
}

/// The author's private answer, as its asker reads it on their page.
#[derive(Serialize)]
struct PrivateAnswer {
    author_name: String,
    posted: When,
    body: SafeHtml,
}

/// `GET /comments/manage/{token}`: every comment written with the link's
/// address, newest first, each with what may be done to it.
pub async fn show(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let visitor = Visitor::from_request(&request, &state.keys);
    let email = match open_link(&state, &token) {
        Ok(email) => email,
        Err(problem) => return link_problem(&state, visitor, problem),
    };
    let now = Utc::now().naive_utc();
    let address = email.clone();
    let (comments, answered, rules, notices, mut paths, private_answers) = db::run(&state.pool, move |conn| {
        let comments = db::comments::by_email(conn, &address)?;
        let ids: Vec<CommentId> = comments.iter().map(|c| c.id).collect();
        let answered = db::comments::answered_by_staff(conn, &ids)?;
        let private: Vec<CommentId> =
            comments.iter().filter(|c| c.status == CommentStatus::Private).map(|c| c.id).collect();
        let private_answers = db::comments::private_answers(conn, &private)?;
        let rules = load_rules(conn)?;
        let notices = subscribers::state(conn, &address)?;
        let paths = discussion::comment_paths(conn, &comments, &rules)?;
        Ok((comments, answered, rules, notices, paths, private_answers))
    })
    .await
    .context("loading a writer's comments")?;
    let library = state.library();
    let rows: Vec<ManagedComment> = comments
        .into_iter()
        .map(|comment| ManagedComment {
            id: comment.id,
            article_title: library
                .discussed(&comment.post_slug)
                .map_or_else(|| comment.post_slug.clone(), |a| a.title.clone()),
            href: match comment.status {
                CommentStatus::Private => format!("/posts/{}", comment.post_slug),
                _ => paths
                    .remove(&comment.id)
                    .unwrap_or_else(|| format!("/posts/{}#comment-{}", comment.post_slug, comment.id)),
            },
            private: comment.status == CommentStatus::Private,
            answers: private_answers
                .iter()
                .filter(|answer| answer.parent_id == Some(comment.id))
                .map(|answer| PrivateAnswer {
                    author_name: answer.author_name.clone(),
                    posted: When::in_zone(answer.created_at, state.zone),
                    body: answer.body_html.clone(),
                })
                .collect(),
            posted: When::in_zone(comment.created_at, state.zone),
            status: ownership::status_in_words(&comment),
            edited: comment.edited_at.is_some(),
            can_edit: ownership::edit_refusal(&comment, &rules, answered.contains(&comment.id), now).is_none(),
            body: comment.body_html,
        })
        .collect();
    let done = query.done.as_deref().and_then(Done::parse).map(Done::message);
    let mut context = Context::new();
    context.insert("email", &email);
    context.insert("token", token.as_str());
    context.insert("comments", &rows);
    context.insert("notices", &ownership::notices_in_words(notices));
    context.insert("notices_stopped", &(notices == AddressState::Stopped));
    context.insert("edit_window_minutes", &rules.edit_window_minutes);
    context.insert("done", &done);
    context.insert("csrf_token", &visitor.form_token(&state.keys, FormPurpose::Manage, Utc::now().timestamp()));
    let meta = private_meta("Your comments", "/comments/manage");
    respond(&state, "manage/list.html", &meta, context, StatusCode::OK, &visitor)
}

/// What the writer just did, said on the page they land on (`?done=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Done {
    Edited,
    /// Edited, and waiting for moderation again.
    Held,
    Deleted,
    /// Deleted, its place kept for its replies.
    Removed,
    Stopped,
    Erased,
}

impl Done {
    const ALL: [Done; 6] = [Self::Edited, Self::Held, Self::Deleted, Self::Removed, Self::Stopped, Self::Erased];

    fn as_str(self) -> &'static str {
        match self {
            Self::Edited => "edited",
            Self::Held => "held",
            Self::Deleted => "deleted",
            Self::Removed => "removed",
            Self::Stopped => "stopped",
            Self::Erased => "erased",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|done| done.as_str() == text)
    }

    fn message(self) -> &'static str {
        match self {
            Self::Edited => "Your changes are saved.",
            Self::Held => {
                "Your changes are saved. The comment waits for the author's approval again before it is shown."
            }
            Self::Deleted => "The comment is deleted.",
            Self::Removed => {
                "The comment is removed. Its replies stay, under “Comment removed at the writer's request”."
            }
            Self::Stopped => "You will get no more notices from this site.",
            Self::Erased => "Everything you wrote here is erased, and this address is forgotten.",
        }
    }
}

/// `GET /comments/manage/{token}/export`: everything kept about the
/// address, as a JSON file.
pub async fn export(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let email = match open_link(&state, &token) {
        Ok(email) => email,
        Err(problem) => return link_problem(&state, Visitor::from_request(&request, &state.keys), problem),
    };
    let now = db::now();
    let export = db::run(&state.pool, move |conn| Ok(ownership::export(conn, &email, now)?))
        .await
        .context("exporting a writer's comments")?;
    let json = serde_json::to_string_pretty(&export).context("writing an export as JSON")?;
    Ok(HttpResponse::Ok()
        .content_type("application/json; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"my-comments.json\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(json))
}

#[derive(Deserialize)]
pub struct TokenOnly {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /comments/manage/{token}/stop`: no more notices of any kind.
pub async fn stop(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
    form: web::Form<TokenOnly>,
) -> Result<HttpResponse, AppError> {
    let email = match link_action(&state, &request, &token, &form.csrf_token) {
        Ok(email) => email,
        Err(refused) => return refused.answer(&state, &request),
    };
    let now = db::now();
    state.write(move |conn| anyhow::Ok(subscribers::stop(conn, &email, now)?)).await.map_err(AppError::NotStored)?;
    Ok(see_other(&format!("/comments/manage/{token}?done={}", Done::Stopped.as_str())))
}

/// `GET /comments/manage/{token}/erase`: what erasing does, and the button.
pub async fn erase_form(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let visitor = Visitor::from_request(&request, &state.keys);
    let email = match open_link(&state, &token) {
        Ok(email) => email,
        Err(problem) => return link_problem(&state, visitor, problem),
    };
    let mut context = Context::new();
    context.insert("email", &email);
    context.insert("token", token.as_str());
    context.insert("csrf_token", &visitor.form_token(&state.keys, FormPurpose::Manage, Utc::now().timestamp()));
    let meta = private_meta("Erase everything", "/comments/manage");
    respond(&state, "manage/erase.html", &meta, context, StatusCode::OK, &visitor)
}

/// `POST /comments/manage/{token}/erase`: every comment, notice choice and
/// message of the address, gone.
pub async fn erase(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
    form: web::Form<TokenOnly>,
) -> Result<HttpResponse, AppError> {
    let email = match link_action(&state, &request, &token, &form.csrf_token) {
        Ok(email) => email,
        Err(refused) => return refused.answer(&state, &request),
    };
    let now = db::now();
    let erased = state
        .write(move |conn| anyhow::Ok(ownership::erase_all(conn, &email, now)?))
        .await
        .map_err(AppError::NotStored)?;
    tracing::info!(deleted = erased.deleted, kept_for_replies = erased.tombstones, "a writer erased their comments");
    Ok(see_other(&format!("/comments/manage/{token}?done={}", Done::Erased.as_str())))
}

// ---------------------------------------------------------------------------
// Editing and deleting one comment, by link or from the writing browser

/// How the writer proves a comment is theirs.
enum Via {
    /// A manage link for this address.
    Link { token: String, email: EmailKey },
    /// The browser that wrote the comment, under article `slug`.
    Cookie { slug: String, pending: Vec<CommentId> },
}

impl Via {
    /// Who claims the comment, in a form that can move to the database thread.
    fn claim(&self) -> Claim {
        match self {
            Self::Link { email, .. } => Claim::Address(email.clone()),
            Self::Cookie { pending, .. } => Claim::Browser(pending.clone()),
        }
    }

    fn edit_action(&self, id: CommentId) -> String {
        match self {
            Self::Link { token, .. } => format!("/comments/manage/{token}/comments/{id}/edit"),
            Self::Cookie { slug, .. } => format!("/posts/{slug}/comments/{id}/edit"),
        }
    }

    fn delete_action(&self, id: CommentId) -> String {
        match self {
            Self::Link { token, .. } => format!("/comments/manage/{token}/comments/{id}/delete"),
            Self::Cookie { slug, .. } => format!("/posts/{slug}/comments/{id}/delete"),
        }
    }

    /// Where the writer goes back to, and what the link says.
    fn back(&self, editing: &Editing) -> (String, &'static str) {
        match self {
            Self::Link { token, .. } => (format!("/comments/manage/{token}"), "Back to all your comments"),
            Self::Cookie { .. } => (editing.path.clone(), "Back to the article"),
        }
    }

    /// Where the writer lands after a change to the comment at `path`.
    fn after(&self, path: &str, done: Done) -> String {
        match self {
            Self::Link { token, .. } => format!("/comments/manage/{token}?done={}", done.as_str()),
            Self::Cookie { .. } if done == Done::Deleted => {
                format!("{}#comments", path.split('#').next().unwrap_or(path))
            }
            Self::Cookie { .. } => path.to_owned(),
        }
    }
}

/// A comment the writer is editing, as the edit page shows it.
struct Editing {
    id: CommentId,
    slug: String,
    posted: NaiveDateTime,
    refusal: Option<EditRefusal>,
    /// Its Markdown as stored.
    stored: String,
    /// Where it is shown, on its page of the discussion.
    path: String,
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    csrf_token: String,
}

/// `GET /comments/manage/{token}/comments/{id}/edit`.
pub async fn edit_form_by_link(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, CommentId)>,
) -> Result<HttpResponse, AppError> {
    let (token, id) = path.into_inner();
    let visitor = Visitor::from_request(&request, &state.keys);
    let email = match open_link(&state, &token) {
        Ok(email) => email,
        Err(problem) => return link_problem(&state, visitor, problem),
    };
    edit_form(&state, visitor, Via::Link { token, email }, id).await
}

/// `POST /comments/manage/{token}/comments/{id}/edit`.
pub async fn edit_by_link(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, CommentId)>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    let (token, id) = path.into_inner();
    let email = match open_link(&state, &token) {
        Ok(email) => email,
        Err(problem) => return link_problem(&state, Visitor::from_request(&request, &state.keys), problem),
    };
    save_edit(&state, &request, Via::Link { token, email }, id, form.into_inner()).await
}

/// `POST /comments/manage/{token}/comments/{id}/delete`.
pub async fn delete_by_link(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, CommentId)>,
    form: web::Form<TokenOnly>,
) -> Result<HttpResponse, AppError> {
    let (token, id) = path.into_inner();
    let email = match link_action(&state, &request, &token, &form.csrf_token) {
        Ok(email) => email,
        Err(refused) => return refused.answer(&state, &request),
    };
    delete(&state, Via::Link { token, email }, id).await
}

/// `GET /posts/{slug}/comments/{id}/edit`: the writing browser's own
/// comment, while it awaits moderation.
pub async fn edit_form_by_cookie(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, CommentId)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let visitor = Visitor::existing(&request, &state.keys).ok_or(AppError::NotFound)?;
    let via = Via::Cookie { slug, pending: visitor.pending().to_vec() };
    edit_form(&state, visitor, via, id).await
}

/// `POST /posts/{slug}/comments/{id}/edit`.
pub async fn edit_by_cookie(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, CommentId)>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let visitor = Visitor::existing(&request, &state.keys).ok_or(AppError::NotFound)?;
    let via = Via::Cookie { slug, pending: visitor.pending().to_vec() };
    save_edit(&state, &request, via, id, form.into_inner()).await
}

/// `POST /posts/{slug}/comments/{id}/delete`.
pub async fn delete_by_cookie(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, CommentId)>,
    form: web::Form<TokenOnly>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let visitor = verified_visitor(&state, &request, &form.csrf_token, Utc::now().timestamp())
        .ok_or_else(|| AppError::Forbidden(FORM_UNCONFIRMED.to_owned()))?;
    let via = Via::Cookie { slug, pending: visitor.pending().to_vec() };
    delete(&state, via, id).await
}

/// The comment `id` when `via`'s writer owns it (under the article the
/// address names, for the browser), with whether it may still be edited.
async fn load_editing(state: &AppState, via: &Via, id: CommentId) -> Result<Editing, AppError> {
    let claim = via.claim();
    let slug = match via {
        Via::Link { .. } => None,
        Via::Cookie { slug, .. } => Some(slug.clone()),
    };
    let now = db::now();
    let found = db::run(&state.pool, move |conn| {
        let Some(comment) = ownership::find_owned(conn, claim.owner(), id)? else { return Ok(None) };
        let answered = !db::comments::answered_by_staff(conn, &[id])?.is_empty();
        let rules = load_rules(conn)?;
        let refusal = ownership::edit_refusal(&comment, &rules, answered, now);
        let path = discussion::comment_path(conn, &comment.post_slug, id, &rules)?;
        Ok(Some((comment, refusal, path)))
    })
    .await
    .with_context(|| format!("loading comment {id} for its writer"))?;
    let (comment, refusal, path) = found.ok_or(AppError::NotFound)?;
    if slug.is_some_and(|slug| slug != comment.post_slug) {
        return Err(AppError::NotFound);
    }
    Ok(Editing {
        id,
        slug: comment.post_slug,
        posted: comment.created_at,
        refusal,
        stored: comment.body_markdown,
        path,
    })
}

async fn edit_form(state: &AppState, visitor: Visitor, via: Via, id: CommentId) -> Result<HttpResponse, AppError> {
    let editing = load_editing(state, &via, id).await?;
    let message = editing.refusal.map(EditRefusal::message);
    let shown = EditPage { body: &editing.stored, error: None, message };
    render_edit(state, visitor, &via, &editing, shown, StatusCode::OK)
}

async fn save_edit(
    state: &AppState,
    request: &HttpRequest,
    via: Via,
    id: CommentId,
    form: EditForm,
) -> Result<HttpResponse, AppError> {
    let editing = load_editing(state, &via, id).await?;
    let now = Utc::now();
    let Some(mut visitor) = verified_visitor(state, request, &form.csrf_token, now.timestamp()) else {
        let visitor = Visitor::from_request(request, &state.keys);
        let shown = EditPage { body: &form.body, error: None, message: Some(FORM_UNCONFIRMED) };
        return render_edit(state, visitor, &via, &editing, shown, StatusCode::FORBIDDEN);
    };
    let body = match CommentBody::parse(&form.body) {
        Ok(body) => body,
        Err(error) => {
            let shown = EditPage { body: &form.body, error: Some(error), message: None };
            return render_edit(state, visitor, &via, &editing, shown, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let claim = via.claim();
    let outcome = state
        .write(move |conn| {
            let rules = load_rules(conn)?;
            ownership::edit(conn, &rules, claim.owner(), id, &body, now.naive_utc())
        })
        .await;
    let status = match outcome {
        Ok(status) => status,
        Err(OwnershipError::NotFound) => return Err(AppError::NotFound),
        Err(OwnershipError::Refused(refusal)) => {
            let shown = EditPage { body: &form.body, error: None, message: Some(refusal.message()) };
            return render_edit(state, visitor, &via, &editing, shown, StatusCode::FORBIDDEN);
        }
        Err(OwnershipError::NotStored(error)) => {
            tracing::error!(error = format!("{error:#}"), "a writer's edit could not be stored");
            let shown = EditPage { body: &form.body, error: None, message: Some(NOT_STORED) };
            return render_edit(state, visitor, &via, &editing, shown, StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    // A private question waits for nobody's approval: it stays private.
    let held = !matches!(status, CommentStatus::Approved | CommentStatus::Private);
    if held && !visitor.pending().contains(&id) {
        // Held again: this browser sees it in place, awaiting moderation.
        visitor.remember_pending(id);
    }
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, via.after(&editing.path, if held { Done::Held } else { Done::Edited })));
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.cookie(cookie);
    }
    Ok(response.finish())
}

async fn delete(state: &AppState, via: Via, id: CommentId) -> Result<HttpResponse, AppError> {
    // The comment must be under the article the address names.
    let path = match via {
        Via::Cookie { .. } => load_editing(state, &via, id).await?.path,
        Via::Link { .. } => String::new(),
    };
    let claim = via.claim();
    let now = db::now();
    let removed = match state.write(move |conn| ownership::delete(conn, claim.owner(), id, now)).await {
        Ok(removed) => removed,
        Err(OwnershipError::NotFound | OwnershipError::Refused(_)) => return Err(AppError::NotFound),
        Err(OwnershipError::NotStored(error)) => return Err(AppError::NotStored(error)),
    };
    let done = match removed {
        Removed::Deleted => Done::Deleted,
        Removed::Tombstone => Done::Removed,
    };
    Ok(see_other(&via.after(&path, done)))
}

/// The owner, in a form that can move to the database thread.
enum Claim {
    Address(EmailKey),
    Browser(Vec<CommentId>),
}

impl Claim {
    fn owner(&self) -> Owner<'_> {
        match self {
            Self::Address(email) => Owner::Address(email),
            Self::Browser(ids) => Owner::Browser(ids),
        }
    }
}

#[derive(Serialize)]
struct EditPage<'a> {
    body: &'a str,
    error: Option<String>,
    message: Option<&'a str>,
}

fn render_edit(
    state: &AppState,
    visitor: Visitor,
    via: &Via,
    editing: &Editing,
    shown: EditPage,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let title = library.discussed(&editing.slug).map_or_else(|| editing.slug.clone(), |a| a.title.clone());
    let (back_href, back_label) = via.back(editing);
    let mut context = Context::new();
    context.insert("form", &shown);
    context.insert("article_title", &title);
    context.insert("posted", &When::in_zone(editing.posted, state.zone));
    context.insert("can_edit", &editing.refusal.is_none());
    context.insert("edit_action", &via.edit_action(editing.id));
    context.insert("delete_action", &via.delete_action(editing.id));
    context.insert("back_href", &back_href);
    context.insert("back_label", back_label);
    context.insert("max_body_chars", &MAX_BODY_CHARS);
    context.insert("csrf_token", &visitor.form_token(&state.keys, FormPurpose::Manage, Utc::now().timestamp()));
    let meta = private_meta("Edit your comment", "/comments/manage");
    respond(state, "manage/edit.html", &meta, context, status, &visitor)
}

// ---------------------------------------------------------------------------
// Shared

/// The address a manage link was made for.
fn open_link(state: &AppState, token: &str) -> Result<EmailKey, LinkProblem> {
    signed_links::open::<String>(&state.keys, Purpose::Manage, token, Utc::now().timestamp())
        .map(|email| EmailKey::of(&email))
}

/// Why an action from the manage page was not taken.
enum ActionRefused {
    Link(LinkProblem),
    /// The form's token is missing, forged or from another browser.
    Form,
}

impl ActionRefused {
    /// The page that says why.
    fn answer(self, state: &AppState, request: &HttpRequest) -> Result<HttpResponse, AppError> {
        match self {
            Self::Link(problem) => link_problem(state, Visitor::from_request(request, &state.keys), problem),
            Self::Form => Err(AppError::Forbidden(FORM_UNCONFIRMED.to_owned())),
        }
    }
}

/// The address of a link action whose form token checks out.
fn link_action(
    state: &AppState,
    request: &HttpRequest,
    token: &str,
    csrf_token: &str,
) -> Result<EmailKey, ActionRefused> {
    let email = open_link(state, token).map_err(ActionRefused::Link)?;
    verified_visitor(state, request, csrf_token, Utc::now().timestamp()).ok_or(ActionRefused::Form)?;
    Ok(email)
}

/// The visitor of this request when `csrf_token` is one of its forms' tokens.
fn verified_visitor(state: &AppState, request: &HttpRequest, csrf_token: &str, now: i64) -> Option<Visitor> {
    let visitor = Visitor::existing(request, &state.keys)?;
    visitor.verify_form_token(&state.keys, FormPurpose::Manage, csrf_token, now).ok()?;
    Some(visitor)
}

/// An expired or broken manage link: what happened, and how to get a new one.
fn link_problem(state: &AppState, visitor: Visitor, problem: LinkProblem) -> Result<HttpResponse, AppError> {
    let (status, heading, message) = match problem {
        LinkProblem::Expired => (
            StatusCode::GONE,
            "This link has expired",
            "Links to manage your comments work for 24 hours, and this one is older. Ask for a new one: it \
             takes a minute.",
        ),
        LinkProblem::Invalid => (
            StatusCode::NOT_FOUND,
            "This link does not work",
            "The link may have been cut short or changed on its way (some mail programs break long links). Ask \
             for a new one, or copy the whole link from the message into the address bar.",
        ),
    };
    let mut context = Context::new();
    context.insert("heading", heading);
    context.insert("message", message);
    let meta = private_meta(heading, "/comments/manage");
    respond(state, "manage/link.html", &meta, context, status, &visitor)
}

/// Pages about one writer: never indexed, never cached, and their address
/// (which holds the link) never sent to another page as a referrer.
fn private_meta(title: &str, path: &str) -> PageMeta {
    PageMeta { noindex: true, ..PageMeta::new(title, "", path) }
}

fn respond(
    state: &AppState,
    template: &str,
    meta: &PageMeta,
    context: Context,
    status: StatusCode,
    visitor: &Visitor,
) -> Result<HttpResponse, AppError> {
    let mut response = state.page(template, meta, context)?;
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.add_cookie(&cookie).context("setting the visitor cookie")?;
    }
    Ok(response)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish()
}
