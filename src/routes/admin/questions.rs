use actix_web::{web, HttpResponse};
use anyhow::Context as _;
use tera::Context;

use super::comments::rows;
use super::{AdminForm, Desk};
use crate::comments::discussion;
use crate::comments::moderation;
use crate::db;
use crate::domain::CommentId;
use crate::error::AppError;

/// Questions listed at once.
const LIMIT: i64 = 100;

#[derive(serde::Deserialize)]
pub struct ListQuery {
    /// `private`: only the private questions.
    show: Option<String>,
}

/// `GET /admin/questions[?show=private]`: readers' comments that no author
/// reply answers yet, urgent ones first, then oldest first, each with a
/// reply box.
pub async fn list(desk: Desk, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let private_only = query.show.as_deref() == Some("private");
    let (questions, parents, paths, saved_replies) = db::run(&desk.state.pool, move |conn| {
        let questions = db::comments::unanswered(conn, LIMIT, private_only)?;
        let parents = db::comments::parents_of(conn, &questions)?;
        let rules = discussion::load_rules(conn)?;
        let paths = discussion::comment_paths(conn, &questions, &rules)?;
        let saved_replies = super::replies::choices(conn)?;
        Ok((questions, parents, paths, saved_replies))
    })
    .await
    .context("loading the unanswered questions")?;
    let library = desk.state.library();
    let mut context = Context::new();
    context.insert("rows", &rows(&library, &super::comments::Trust::of(&desk.state), &questions, &parents, &paths));
    context.insert("saved_replies", &saved_replies);
    context.insert("private_only", &private_only);
    context.insert("return_to", if private_only { "/admin/questions?show=private" } else { "/admin/questions" });
    desk.render("admin/questions.html", "Unanswered questions", context)
}

/// `POST /admin/comments/{id}/no-answer`: off the to-do list, unanswered.
pub async fn no_answer_needed(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let (actor, id) = (desk.user.actor(), id.into_inner());
    db::run(&desk.state.pool, move |conn| moderation::no_answer_needed(conn, &actor, id))
        .await
        .map_err(AppError::NotStored)?;
    Ok(desk.redirect(&form.return_to("/admin/questions"), &format!("Comment {id} needs no answer.")))
}
