//! Editing and deleting one comment, by link or from the writing browser.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use tera::Context;

use super::{private_meta, respond, see_other, verified_visitor, Done, ManageForm, ManageLink, TokenOnly};
use super::{FORM_UNCONFIRMED, NOT_STORED};
use crate::comments::discussion::{self, load_rules};
use crate::comments::ownership::{self, EditRefusal, Owner, OwnershipError, Removed};
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::content::When;
use crate::db;
use crate::domain::{CommentBody, CommentId, CommentStatus, EmailKey, MAX_BODY_CHARS};
use crate::error::AppError;
use crate::state::AppState;

/// How the writer proves a comment is theirs.
enum Via {
    /// A manage link for this address.
    Link { token: String, email: EmailKey },
    /// The browser that wrote the comment, under article `slug`.
    Cookie { slug: String, pending: Vec<CommentId> },
}

impl From<ManageLink> for Via {
    fn from(link: ManageLink) -> Self {
        Self::Link { token: link.token, email: link.email }
    }
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
    link: ManageLink,
) -> Result<HttpResponse, AppError> {
    let visitor = Visitor::from_request(&request, &state.keys);
    edit_form(&state, visitor, Via::from(link), path.1).await
}

/// `POST /comments/manage/{token}/comments/{id}/edit`.
pub async fn edit_by_link(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, CommentId)>,
    link: ManageLink,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    save_edit(&state, &request, Via::from(link), path.1, form.into_inner()).await
}

/// `POST /comments/manage/{token}/comments/{id}/delete`.
pub async fn delete_by_link(
    state: web::Data<AppState>,
    path: web::Path<(String, CommentId)>,
    link: ManageLink,
    _form: ManageForm<TokenOnly>,
) -> Result<HttpResponse, AppError> {
    delete(&state, Via::from(link), path.1).await
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
    path: web::Path<(String, CommentId)>,
    form: ManageForm<TokenOnly>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let via = Via::Cookie { slug, pending: form.visitor.pending().to_vec() };
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
