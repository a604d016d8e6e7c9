use actix_web::HttpResponse;
use anyhow::Context as _;
use serde::Serialize;
use tera::Context;

use super::comments::{rows, Row};
use super::Desk;
use crate::comments::discussion;
use crate::comments::retention::{self, Forecast, Purged};
use crate::comments::rules::Rules;
use crate::db;
use crate::domain::CommentStatus;
use crate::error::AppError;

/// How far ahead the dashboard tells of comments waiting for moderation
/// that the purge will delete.
const FORECAST_DAYS: i64 = 7;

/// What the retention settings will remove, in words for the dashboard.
#[derive(Serialize)]
struct RetentionView {
    /// The next purge, within the hour.
    next: String,
    /// The comments waiting for moderation deleted in the week after, if any.
    later: Option<String>,
    /// Nothing waiting for moderation is ever deleted.
    pending_kept: bool,
}

impl RetentionView {
    fn of(rules: &Rules, forecast: &Forecast, zone: chrono_tz::Tz) -> Self {
        let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
        let Purged { addresses, pending } = forecast.next;
        let next = match (pending, addresses) {
            (0, 0) => "The next purge, within the hour, removes nothing.".to_owned(),
            (pending, addresses) => {
                let mut parts = Vec::new();
                if pending > 0 {
                    parts.push(format!(
                        "deletes {} that waited for moderation over {} days",
                        plural(pending, "comment", "comments"),
                        rules.pending_retention_days
                    ));
                }
                if addresses > 0 {
                    parts.push(format!(
                        "forgets the address hashes and browsers of {}",
                        plural(addresses, "comment", "comments")
                    ));
                }
                format!("The next purge, within the hour, {}.", parts.join(" and "))
            }
        };
        let later = forecast.first_pending_goes.map(|first| {
            format!(
                "In the {FORECAST_DAYS} days after, it deletes {} waiting for moderation, the first on {}, unless you \
                 moderate them first.",
                plural(forecast.pending_later, "more comment", "more comments"),
                crate::content::desk_time(first, zone)
            )
        });
        Self { next, later, pending_kept: rules.pending_retention_days == 0 }
    }
}

/// `GET /admin`: counts, the to-do list, what the retention settings will
/// remove next, and the latest comments.
pub async fn show(desk: Desk) -> Result<HttpResponse, AppError> {
    let next_purge = db::now() + chrono::Duration::from_std(retention::EVERY).unwrap_or_default();
    let library = desk.state.library();
    let (counts, latest, parents, paths, to_review, rules, forecast) = {
        let (library, settings) = (library.clone(), desk.state.settings.answers.clone());
        db::run(&desk.state.pool, move |conn| {
            let counts = db::comments::status_counts(conn)?;
            let latest = db::comments::latest(conn, 10)?;
            let parents = db::comments::parents_of(conn, &latest)?;
            let rules = discussion::load_rules(conn)?;
            let paths = discussion::comment_paths(conn, &latest, &rules)?;
            let to_review = crate::answers::due_count(conn, &library, &settings)?;
            let forecast = retention::forecast(conn, &rules, next_purge, FORECAST_DAYS)?;
            Ok((counts, latest, parents, paths, to_review, rules, forecast))
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
    context.insert("retention", &RetentionView::of(&rules, &forecast, desk.state.zone));
    context.insert("return_to", "/admin");
    desk.render("admin/dashboard.html", "Dashboard", context)
}
