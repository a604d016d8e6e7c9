//! The page behind the link: every comment of the address, its download,
//! and stopping every notice.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tera::Context;

use super::{private_meta, respond, see_other, Done, ManageForm, ManageLink, TokenOnly};
use crate::comments::discussion::{self, load_rules};
use crate::comments::ownership::{self};
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::content::When;
use crate::db;
use crate::domain::{CommentId, CommentStatus};
use crate::error::AppError;
use crate::mail::subscribers::{self, AddressState};
use crate::markdown::SafeHtml;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// One of the writer's comments as their page lists it.
#[derive(Serialize)]
pub(super) struct ManagedComment {
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
pub(super) struct PrivateAnswer {
    author_name: String,
    posted: When,
    body: SafeHtml,
}

/// `GET /comments/manage/{token}`: every comment written with the link's
/// address, newest first, each with what may be done to it.
pub async fn show(
    state: web::Data<AppState>,
    request: HttpRequest,
    link: ManageLink,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let visitor = Visitor::from_request(&request, &state.keys);
    let ManageLink { token, email } = link;
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

/// `GET /comments/manage/{token}/export`: everything kept about the
/// address, as a JSON file.
pub async fn export(state: web::Data<AppState>, link: ManageLink) -> Result<HttpResponse, AppError> {
    let email = link.email;
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

/// `POST /comments/manage/{token}/stop`: no more notices of any kind.
pub async fn stop(
    state: web::Data<AppState>,
    link: ManageLink,
    _form: ManageForm<TokenOnly>,
) -> Result<HttpResponse, AppError> {
    let ManageLink { token, email } = link;
    let now = db::now();
    state.write(move |conn| anyhow::Ok(subscribers::stop(conn, &email, now)?)).await.map_err(AppError::NotStored)?;
    Ok(see_other(&format!("/comments/manage/{token}?done={}", Done::Stopped.as_str())))
}
