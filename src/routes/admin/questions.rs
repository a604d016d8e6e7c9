use actix_web::{web, HttpResponse};
use anyhow::Context as _;
use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;
use tera::Context;

use super::comments::rows;
use super::{AdminForm, Desk};
use crate::comments::discussion;
use crate::comments::moderation;
use crate::db;
use crate::domain::CommentId;
use crate::error::AppError;
use crate::routes::pagination::Pagination;

/// Questions a page.
const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<usize>,
    order: Option<String>,
    /// `private`: only the private questions.
    show: Option<String>,
}

/// `GET /admin/questions?order=oldest|newest&page=N[&show=private]`:
/// readers' comments that no author reply answers yet, urgent ones first,
/// then oldest first unless asked otherwise, a page at a time with the
/// total, each with a reply box and a box to check.
pub async fn list(desk: Desk, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let newest_first = match query.order.as_deref() {
        None | Some("oldest") => false,
        Some("newest") => true,
        Some(_) => return Err(AppError::NotFound),
    };
    let private_only = query.show.as_deref() == Some("private");
    let order = if newest_first { "newest" } else { "oldest" };
    let page = query.page.unwrap_or(1).clamp(1, super::MAX_PAGE);
    let offset = (page as i64 - 1) * PER_PAGE;
    let (questions, total, parents, paths, saved_replies) = db::run(&desk.state.pool, move |conn| {
        let (questions, total) = db::comments::unanswered_page(conn, newest_first, private_only, offset, PER_PAGE)?;
        let parents = db::comments::parents_of(conn, &questions)?;
        let rules = discussion::load_rules(conn)?;
        let paths = discussion::comment_paths(conn, &questions, &rules)?;
        let saved_replies = super::replies::choices(conn)?;
        Ok((questions, total, parents, paths, saved_replies))
    })
    .await
    .context("loading the unanswered questions")?;
    let pages = (total as usize).div_ceil(PER_PAGE as usize).max(1);
    let link = |n: usize| {
        let mut query = Vec::new();
        if private_only {
            query.push("show=private".to_owned());
        }
        if newest_first {
            query.push("order=newest".to_owned());
        }
        if n > 1 || newest_first {
            query.push(format!("page={n}"));
        }
        match query.is_empty() {
            true => "/admin/questions".to_owned(),
            false => format!("/admin/questions?{}", query.join("&")),
        }
    };
    let (earlier, later) =
        if newest_first { ("Newer questions", "Older questions") } else { ("Older questions", "Newer questions") };
    let library = desk.state.library();
    let mut context = Context::new();
    context.insert("rows", &rows(&library, &super::comments::Trust::of(&desk.state), &questions, &parents, &paths));
    context.insert("saved_replies", &saved_replies);
    context.insert("private_only", &private_only);
    context.insert("total", &total);
    context.insert("page", &page.min(pages));
    context.insert("pages", &pages);
    context.insert("order", order);
    context.insert("pagination", &Pagination::new(page, pages, link).labelled(earlier, later));
    context.insert("return_to", &link(page.min(pages)));
    desk.render("admin/questions.html", "Unanswered questions", context)
}

/// `POST /admin/comments/{id}/no-answer`: off the to-do list, unanswered.
pub async fn no_answer_needed(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let (actor, id) = (desk.user.actor(), id.into_inner());
    desk.state.write(move |conn| moderation::no_answer_needed(conn, &actor, id)).await.map_err(AppError::NotStored)?;
    Ok(desk.redirect(&form.return_to("/admin/questions"), &format!("Comment {id} needs no answer.")))
}

/// `POST /admin/questions/no-answer`: the checked questions (`ids`), or every
/// unanswered question sent before the day `before` (on the site's clock),
/// need no answer; each is logged.
pub async fn no_answer_needed_for_many(desk: Desk, form: AdminForm) -> Result<HttpResponse, AppError> {
    let return_to = form.return_to("/admin/questions");
    let before = match form.get("before").map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(text) => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
            let midnight =
                day.and_then(|d| desk.state.zone.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN)).earliest());
            match midnight {
                Some(midnight) => Some(midnight.naive_utc()),
                None => {
                    return Ok(desk.redirect(
                        &return_to,
                        &format!("“{text}” is not a date: give it as 2024-05-31. Nothing was changed."),
                    ))
                }
            }
        }
    };
    let checked: Vec<CommentId> = form.all("ids").filter_map(|id| id.parse().ok()).collect();
    if before.is_none() && checked.is_empty() {
        return Ok(desk.redirect(&return_to, "Check the questions that need no answer first, or give a date."));
    }
    let actor = desk.user.actor();
    let marked = desk
        .state
        .write(move |conn| {
            let ids = match before {
                Some(before) => db::comments::unanswered_before(conn, before)?,
                None => checked,
            };
            moderation::no_answer_needed_for_all(conn, &actor, &ids)
        })
        .await
        .map_err(AppError::NotStored)?;
    let message = match marked {
        1 => "1 question needs no answer.".to_owned(),
        n => format!("{n} questions need no answer."),
    };
    Ok(desk.redirect(&return_to, &message))
}
