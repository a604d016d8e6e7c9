use actix_web::{web, HttpResponse};
use tera::Context;

use super::comments::rows;
use super::{redirect_with_flash, AdminForm};
use crate::auth::{CurrentUser, TypedSession};
use crate::comments::moderation;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;

/// Questions listed at once.
const LIMIT: i64 = 100;

/// `GET /admin/questions`: readers' comments that no author reply answers
/// yet, oldest first, each with a reply box.
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    let (questions, parents) = db::run(&state.pool, |conn| {
        let questions = db::comments::unanswered(conn, LIMIT)?;
        let parents = db::comments::parents_of(conn, &questions)?;
        Ok((questions, parents))
    })
    .await?;
    let library = state.library();
    let mut context = Context::new();
    context.insert("rows", &rows(&library, &questions, &parents));
    context.insert("return_to", "/admin/questions");
    super::render(&state, &user, &session, "admin/questions.html", "Unanswered questions", context)
}

/// `POST /admin/comments/{id}/no-answer`: off the to-do list, unanswered.
pub async fn no_answer_needed(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<i32>,
    form: AdminForm,
) -> Result<HttpResponse, AppError> {
    let (actor, id) = (user.actor(), id.into_inner());
    db::run(&state.pool, move |conn| moderation::no_answer_needed(conn, &actor, id)).await?;
    Ok(redirect_with_flash(&session, &form.return_to("/admin/questions"), &format!("Comment {id} needs no answer.")))
}
