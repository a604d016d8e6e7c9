//! "Answers to review" (`/admin/answers/review`): the author's answers past
//! their review period, or written before their article changed, oldest
//! review first, each with **Still right**, **Edit** and **Add a note**.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use anyhow::Context as _;
use serde::Serialize;
use tera::Context;

use super::{AdminForm, Desk};
use crate::db;
use crate::db::answers;
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::domain::{CommentBody, CommentId};
use crate::error::AppError;
use crate::markdown::{self, SafeHtml};

pub const QUEUE: &str = "/admin/answers/review";

/// An answer waiting in the queue.
#[derive(Serialize)]
struct Due {
    id: CommentId,
    article_title: String,
    href: String,
    question: String,
    answer: SafeHtml,
    answered: String,
    last_reviewed: String,
    /// Why it is here: its age, or the article's change.
    reasons: Vec<String>,
    /// The article's revisions, when it changed.
    revisions_href: Option<String>,
}

/// A note that was refused, given back in its answer's box.
#[derive(Serialize)]
struct KeptNote {
    id: CommentId,
    text: String,
    error: String,
}

/// `GET /admin/answers/review`.
pub async fn list(desk: Desk) -> Result<HttpResponse, AppError> {
    queue_page(&desk, None, StatusCode::OK).await
}

async fn queue_page(desk: &Desk, kept: Option<KeptNote>, status: StatusCode) -> Result<HttpResponse, AppError> {
    let library = desk.state.library();
    let settings = desk.state.settings.answers.clone();
    let (due, questions, articles) = {
        let library = library.clone();
        db::run(&desk.state.pool, move |conn| {
            let due = crate::answers::due_answers(conn, &library, &settings, db::now())?;
            let mut questions = std::collections::HashMap::new();
            let mut articles = std::collections::HashMap::new();
            for answer in &due {
                if let Some(parent) = answer.parent_id {
                    if let Some(question) = db::comments::find(conn, parent)? {
                        questions.insert(answer.id, question);
                    }
                }
                if answer.review_revision.is_some() && !articles.contains_key(&answer.post_slug) {
                    let stored =
                        db::articles::find_by_slug(conn, crate::content::ArticleKind::Post, &answer.post_slug)?;
                    articles.insert(answer.post_slug.clone(), stored.map(|a| a.id));
                }
            }
            Ok((due, questions, articles))
        })
        .await
        .context("loading the answers to review")?
    };
    let settings = &desk.state.settings.answers;
    let rows: Vec<Due> = due
        .iter()
        .map(|answer| {
            let article = library.get(&answer.post_slug);
            let months =
                crate::answers::review_months(settings, article.map(|a| a.tags.as_slice()).unwrap_or_default());
            let mut reasons = Vec::new();
            if crate::answers::due_at(answer, months) <= db::now() {
                reasons.push(format!("Not reviewed for {months} months or more"));
            }
            if !answer.review_reason.is_empty() {
                reasons.push(format!("Review: {}", answer.review_reason));
            }
            let revisions_href = answer.review_revision.and_then(|revision| {
                let id = articles.get(&answer.post_slug).copied().flatten()?;
                Some(format!("/admin/articles/{id}/compare?to={revision}"))
            });
            let question = questions
                .get(&answer.id)
                .map(|q| format!("{}: {}", q.author_name, markdown::text_of_comment(&q.body_markdown)))
                .unwrap_or_default();
            Due {
                id: answer.id,
                article_title: article.map_or_else(|| answer.post_slug.clone(), |a| a.title.clone()),
                href: format!("/posts/{}#comment-{}", answer.post_slug, answer.id),
                question,
                answer: markdown::render_comment(&answer.body_markdown),
                answered: answer.created_at.format("%-d %B %Y").to_string(),
                last_reviewed: crate::answers::month_year(answer.last_reviewed()),
                reasons,
                revisions_href,
            }
        })
        .collect();
    let mut context = Context::new();
    context.insert("answers", &rows);
    context.insert("return_to", QUEUE);
    context.insert("kept", &kept);
    let mut response = desk.render("admin/review.html", "Answers to review", context)?;
    *response.status_mut() = status;
    Ok(response)
}

/// `POST /admin/answers/{id}/still-right`: reviewed today.
pub async fn still_right(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let (actor, id) = (desk.user.actor(), id.into_inner());
    let changed = desk
        .state
        .write(move |conn| {
            let changed = answers::mark_reviewed(conn, id, db::now())?;
            if changed {
                let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::AnswerReviewed)
                    .comment(id, None, None)
                    .detail("still right");
                log::write(conn, &entry)?;
            }
            anyhow::Ok(changed)
        })
        .await
        .map_err(AppError::NotStored)?;
    let message = if changed {
        format!("Answer {id} is marked reviewed today.")
    } else {
        format!("Comment {id} is not one of your answers.")
    };
    Ok(desk.redirect(&form.return_to(QUEUE), &message))
}

/// `POST /admin/answers/{id}/note` with `note`: a dated note shown under
/// the answer; it counts as a review.
pub async fn add_note(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let text = form.text("note");
    let note = match CommentBody::parse(&text) {
        Ok(note) => note,
        Err(error) => {
            // The note comes back in its box, with what is wrong.
            let kept = KeptNote { id, text, error };
            return queue_page(&desk, Some(kept), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = desk.user.actor();
    let added = desk
        .state
        .write(move |conn| {
            let Some(answer) = db::comments::find(conn, id)?.filter(|c| c.is_by_author()) else {
                return anyhow::Ok(false);
            };
            let html = markdown::render_comment(note.as_str());
            answers::add_note(conn, answer.id, note.as_str(), &html)?;
            let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::AnswerNote)
                .comment(id, None, None)
                .detail("added a note under the answer");
            log::write(conn, &entry)?;
            Ok(true)
        })
        .await
        .map_err(AppError::NotStored)?;
    let message = if added {
        format!("Your note is shown under answer {id}.")
    } else {
        format!("Comment {id} is not one of your answers.")
    };
    Ok(desk.redirect(&form.return_to(QUEUE), &message))
}
