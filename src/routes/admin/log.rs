use actix_web::{web, HttpResponse};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use tera::Context;

use super::Desk;
use crate::db;
use crate::domain::CommentId;
use crate::error::AppError;
use crate::routes::pagination::Pagination;

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct LogQuery {
    page: Option<usize>,
}

#[derive(Serialize)]
struct Entry {
    when: String,
    /// `when` as a valid `<time datetime>`.
    iso: String,
    actor: String,
    action: &'static str,
    comment_id: Option<CommentId>,
    from_status: Option<String>,
    to_status: Option<String>,
    detail: String,
}

/// `GET /admin/log`: every moderation action and sign-in, newest first.
pub async fn list(desk: Desk, query: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let page = query.page.unwrap_or(1).clamp(1, super::MAX_PAGE);
    let offset = (page as i64 - 1) * PER_PAGE;
    let (entries, total) =
        db::run(&desk.state.pool, move |conn| Ok((db::log::page(conn, offset, PER_PAGE)?, db::log::count(conn)?)))
            .await
            .context("loading the moderation log")?;
    let entries: Vec<Entry> = entries
        .into_iter()
        .map(|e| Entry {
            when: crate::content::desk_time(e.created_at, desk.state.zone),
            iso: e.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            actor: e.actor,
            action: e.action.as_str(),
            comment_id: e.comment_id,
            from_status: e.from_status,
            to_status: e.to_status,
            detail: e.detail,
        })
        .collect();
    let pages = (total as usize).div_ceil(PER_PAGE as usize).max(1);
    let mut context = Context::new();
    context.insert("entries", &entries);
    context.insert(
        "pagination",
        &Pagination::new(page, pages, |n| format!("/admin/log?page={n}")).labelled("Newer entries", "Older entries"),
    );
    desk.render("admin/log.html", "Moderation log", context)
}
