//! "Add to the article": a reader's question and the author's published
//! answer lifted into the article's "Readers' questions" section
//! (`/admin/comments/{id}/feature`), and the section's order and removals
//! (`/admin/articles/{id}/questions`). Each change is a new revision of the
//! article, saved as the editor saves it.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use anyhow::Context as _;
use serde::Serialize;
use tera::Context;

use super::{AdminForm, Desk};
use crate::content::store::{self, Saved};
use crate::content::ArticleKind;
use crate::db;
use crate::db::articles::StoredArticle;
use crate::db::comments::Comment;
use crate::db::log::{LogAction, NewLogEntry};
use crate::domain::{CommentBody, CommentId, CommentStatus};
use crate::error::AppError;
use crate::exchanges::{self, Change, NewExchange};

/// A reader's approved question, the author's published answer to it and
/// the article they are under.
struct Exchange {
    question: Comment,
    answer: Comment,
    article: StoredArticle,
}

/// The exchange of comment `id`: the question itself, or the author's
/// answer (then its question). Not found unless both are published.
async fn find_exchange(desk: &Desk, id: CommentId) -> Result<Exchange, AppError> {
    let found = db::run(&desk.state.pool, move |conn| {
        let Some(comment) = db::comments::find(conn, id)? else { return Ok(None) };
        let question = match comment.parent_id {
            Some(parent) if comment.is_by_author() => db::comments::find(conn, parent)?,
            _ => Some(comment),
        };
        let Some(question) = question.filter(|q| q.status == CommentStatus::Approved && !q.is_by_author()) else {
            return Ok(None);
        };
        let answers = db::comments::published_answers(conn, question.id)?;
        // The answer clicked, or the first one.
        let answer = answers.iter().find(|a| a.id == id).or(answers.first()).cloned();
        let Some(answer) = answer else { return Ok(None) };
        let article = db::articles::find_by_slug(conn, ArticleKind::Post, &question.post_slug)?;
        Ok(article.map(|article| Exchange { question, answer, article }))
    })
    .await
    .with_context(|| format!("loading the exchange of comment {id}"))?;
    found.ok_or(AppError::NotFound)
}

/// What the form shows.
struct Featuring<'a> {
    question: &'a str,
    answer: &'a str,
    keep_name: bool,
    errors: HashMap<&'static str, String>,
    status: StatusCode,
}

fn feature_page(desk: &Desk, exchange: &Exchange, page: Featuring<'_>) -> Result<HttpResponse, AppError> {
    let featured = exchanges::featured(&exchange.article.manuscript.body);
    let mut context = Context::new();
    context.insert("id", &exchange.question.id);
    context.insert("asker", &exchange.question.author_name);
    context.insert("article_title", &exchange.article.manuscript.title);
    context.insert("article_id", &exchange.article.id);
    context.insert("thread", &format!("/posts/{}#comment-{}", exchange.question.post_slug, exchange.question.id));
    context.insert("already", &featured.iter().any(|f| f.comment == exchange.question.id.0));
    context.insert("question", page.question);
    context.insert("answer", page.answer);
    context.insert("keep_name", &page.keep_name);
    context.insert("errors", &page.errors);
    let mut response = desk.render("admin/feature.html", "Add to the article", context)?;
    *response.status_mut() = page.status;
    Ok(response)
}

/// `GET /admin/comments/{id}/feature`: the question and the answer, to
/// shorten before they go into the article.
pub async fn form(desk: Desk, id: web::Path<CommentId>) -> Result<HttpResponse, AppError> {
    let exchange = find_exchange(&desk, id.into_inner()).await?;
    let page = Featuring {
        question: &exchange.question.body_markdown,
        answer: &exchange.answer.body_markdown,
        keep_name: false,
        errors: HashMap::new(),
        status: StatusCode::OK,
    };
    feature_page(&desk, &exchange, page)
}

/// `POST /admin/comments/{id}/feature` with `question`, `answer` and
/// `keep_name`: the exchange at the end of the article's "Readers'
/// questions", as a new revision.
pub async fn add(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let exchange = find_exchange(&desk, id.into_inner()).await?;
    let (question_text, answer_text) = (form.text("question"), form.text("answer"));
    let keep_name = form.get("keep_name").is_some();
    let mut errors = HashMap::new();
    let question = CommentBody::parse(&question_text).map_err(|e| errors.insert("question", e)).ok();
    let answer = CommentBody::parse(&answer_text).map_err(|e| errors.insert("answer", e)).ok();
    let (Some(question), Some(answer)) = (question, answer) else {
        let page = Featuring {
            question: &question_text,
            answer: &answer_text,
            keep_name,
            errors,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        };
        return feature_page(&desk, &exchange, page);
    };
    let article = &exchange.article;
    let body = exchanges::add(
        &article.manuscript.body,
        &NewExchange {
            comment: exchange.question.id,
            slug: &article.manuscript.slug,
            question: question.as_str(),
            asker: keep_name.then_some(exchange.question.author_name.as_str()),
            answer: answer.as_str(),
        },
    );
    let detail = format!("added to the readers' questions of “{}”", article.manuscript.title);
    let log = NewLogEntry::new(Some(desk.user.id), &desk.user.display_name, LogAction::QuestionAdd)
        .comment(exchange.question.id, None, None)
        .detail(detail);
    save_body(&desk, article, body, log, "The exchange is in the article's readers' questions.").await
}

/// Saves `article` with `body` as a new revision, then back to its list.
async fn save_body(
    desk: &Desk,
    article: &StoredArticle,
    body: String,
    log: NewLogEntry,
    message: &str,
) -> Result<HttpResponse, AppError> {
    let manuscript = crate::domain::Manuscript { body, ..article.manuscript.clone() };
    let (id, base, who) = (article.id, article.current_revision, desk.user.username.clone());
    let saved = desk
        .state
        .write(move |conn| store::save(conn, ArticleKind::Post, Some(id), Some(base), &manuscript, &who, &log))
        .await
        .map_err(AppError::NotStored)?;
    let target = questions_path(id);
    match saved {
        Saved::Stored { .. } => {
            crate::workers::reload_library(&desk.state).await;
            Ok(desk.redirect(&target, message))
        }
        Saved::Conflict(_) => Ok(desk.redirect(
            &target,
            "The article was saved from elsewhere meanwhile: nothing was changed. Look at it and try again.",
        )),
        Saved::SlugTaken | Saved::NotFound => Err(AppError::NotFound),
    }
}

fn questions_path(id: i32) -> String {
    format!("/admin/articles/{id}/questions")
}

async fn load_post(desk: &Desk, id: i32) -> Result<StoredArticle, AppError> {
    let article = db::run(&desk.state.pool, move |conn| Ok(db::articles::find(conn, id)?))
        .await
        .with_context(|| format!("loading article {id}"))?;
    article.filter(|a| a.kind == ArticleKind::Post).ok_or(AppError::NotFound)
}

#[derive(Serialize)]
struct Row {
    comment: i32,
    question: String,
    thread: String,
    first: bool,
    last: bool,
}

/// `GET /admin/articles/{id}/questions`: the exchanges in the article, in
/// order, each with Move up, Move down and Remove.
pub async fn list(desk: Desk, id: web::Path<i32>) -> Result<HttpResponse, AppError> {
    let article = load_post(&desk, id.into_inner()).await?;
    let featured = exchanges::featured(&article.manuscript.body);
    let count = featured.len();
    let rows: Vec<Row> = featured
        .into_iter()
        .enumerate()
        .map(|(at, f)| Row {
            comment: f.comment,
            question: crate::markdown::text_of_comment(&f.question),
            thread: format!("/posts/{}#comment-{}", article.manuscript.slug, f.comment),
            first: at == 0,
            last: at + 1 == count,
        })
        .collect();
    let mut context = Context::new();
    context.insert("article_id", &article.id);
    context.insert("article_title", &article.manuscript.title);
    context.insert("public_path", &ArticleKind::Post.path(&article.manuscript.slug));
    context.insert("rows", &rows);
    desk.render("admin/featured.html", "Readers' questions in the article", context)
}

/// `POST /admin/articles/{id}/questions/{comment}` with `action` `up`,
/// `down` or `remove`: a new revision with the section changed.
pub async fn change(desk: Desk, path: web::Path<(i32, i32)>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let (id, comment) = path.into_inner();
    let article = load_post(&desk, id).await?;
    let (how, log_action, verb) = match form.get("action") {
        Some("up") => (Change::Up, LogAction::QuestionMove, "moved up"),
        Some("down") => (Change::Down, LogAction::QuestionMove, "moved down"),
        Some("remove") => (Change::Remove, LogAction::QuestionRemove, "removed"),
        _ => return Ok(desk.redirect(&questions_path(id), "Choose Move up, Move down or Remove.")),
    };
    let Some(body) = exchanges::change(&article.manuscript.body, comment, how) else {
        return Ok(desk.redirect(&questions_path(id), "That exchange is not in the article, or cannot move that way."));
    };
    let detail = format!("{verb} in the readers' questions of “{}”", article.manuscript.title);
    let log = NewLogEntry::new(Some(desk.user.id), &desk.user.display_name, log_action)
        .comment(CommentId(comment), None, None)
        .detail(detail);
    let message = format!("Exchange {comment} {verb}.");
    save_body(&desk, &article, body, log, &message).await
}
