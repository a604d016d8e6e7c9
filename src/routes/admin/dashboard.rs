use actix_web::HttpResponse;
use anyhow::Context as _;
use tera::Context;

use super::comments::{rows, Row};
use super::Desk;
use crate::comments::discussion;
use crate::db;
use crate::domain::CommentStatus;
use crate::error::AppError;

/// `GET /admin`: counts, the to-do list, and the latest comments.
pub async fn show(desk: Desk) -> Result<HttpResponse, AppError> {
    let library = desk.state.library();
    let (counts, latest, parents, paths, to_review) = {
        let (library, settings) = (library.clone(), desk.state.settings.answers.clone());
        db::run(&desk.state.pool, move |conn| {
            let counts = db::comments::status_counts(conn)?;
            let latest = db::comments::latest(conn, 10)?;
            let parents = db::comments::parents_of(conn, &latest)?;
            let rules = discussion::load_rules(conn)?;
            let paths = discussion::comment_paths(conn, &latest, &rules)?;
            let to_review = crate::answers::due_count(conn, &library, &settings)?;
            Ok((counts, latest, parents, paths, to_review))
        })
        .await
        .context("loading the dashboard")?
    };
    let latest: Vec<Row> = rows(&library, &super::comments::Trust::of(&desk.state), &latest, &parents, &paths);
    let count = |status: CommentStatus| counts.get(&status).copied().unwrap_or(0);

    let mut context = Context::new();
    context.insert("pending", &count(CommentStatus::Pending));
    context.insert("approved", &count(CommentStatus::Approved));
    context.insert("spam", &count(CommentStatus::Spam));
    context.insert("trash", &count(CommentStatus::Trash));
    context.insert("private", &count(CommentStatus::Private));
    context.insert("unanswered", &desk.queue.unanswered);
    context.insert("to_review", &to_review);
    context.insert("rows", &latest);
    context.insert("return_to", "/admin");
    desk.render("admin/dashboard.html", "Dashboard", context)
}
