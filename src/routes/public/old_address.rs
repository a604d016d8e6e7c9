//! Old WordPress addresses answer with a 301 to their new home: those the
//! import recorded (`/?p=12`, `/2016/07/05/slug/`, `/tag/x/`, …) and those
//! every WordPress site had (`/feed/`, `/wp-admin/`, `?replytocom=N`,
//! `/?s=term`, `/2020/05/`, `/author/name/`, `/page/2/`), each to the
//! nearest page here.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use std::sync::Arc;

use chrono::Datelike;

use super::tags::ARTICLES_PER_LIST_PAGE;
use crate::comments::discussion::{self, load_rules};
use crate::content::{Article, Library};
use crate::db;
use crate::error::AppError;
use crate::routes::encode_query_value;
use crate::routes::pagination::page_link;
use crate::state::AppState;

/// Addresses every WordPress site had, whatever it held.
fn fixed(path: &str) -> Option<&'static str> {
    match path {
        "/feed" | "/rss" | "/feed/rss2" | "/feed/atom" | "/comments/feed" => Some("/feed.xml"),
        "/wp-login.php" | "/wp-admin" => Some("/admin"),
        _ if path.starts_with("/wp-admin/") => Some("/admin"),
        _ => None,
    }
}

fn query_number(query: &str, key: &str) -> Option<i64> {
    query_text(query, key).and_then(|v| v.parse().ok())
}

fn query_text(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// WordPress's lists: a day, month or year of posts (`/2020/05/`) leads to
/// that month or year in the archive, on the archive's page that shows it;
/// a writer's posts (`/author/name/`) to the about page, or home; a page of
/// the home list (`/page/2/`) to the same page here.
fn listing(path: &str, library: &Library) -> Option<String> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let number = |text: &str, digits: usize| {
        (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<u32>().ok()).flatten()
    };
    match parts.as_slice() {
        ["author", _] => Some(if library.page_at("about").is_some() { "/about" } else { "/" }.to_owned()),
        ["page", n] => match n.parse::<usize>().ok()? {
            0 => None,
            1 => Some("/".to_owned()),
            n => Some(format!("/?page={n}")),
        },
        [year, rest @ ..] if rest.len() <= 2 => {
            let year = number(year, 4)?;
            let month = match rest.first() {
                Some(month) => Some(number(month, 2).filter(|m| (1..=12).contains(m))?),
                None => None,
            };
            if let Some(day) = rest.get(1) {
                number(day, 2).filter(|d| (1..=31).contains(d))?;
            }
            let in_year = |a: &&Arc<Article>| a.published.local.year() == year as i32;
            let articles = library.articles();
            let first_of_month = month.and_then(|month| {
                articles.iter().position(|a| in_year(&a) && a.published.local.month() == month).map(|i| (i, month))
            });
            Some(match (first_of_month, articles.iter().position(|a| in_year(&a))) {
                (Some((i, month)), _) => format!("{}#month-{year:04}-{month:02}", archive_page(i)),
                (None, Some(i)) => format!("{}#year-{year}", archive_page(i)),
                (None, None) => "/archive".to_owned(),
            })
        }
        _ => None,
    }
}

/// The archive's page that shows the article at `index` (newest first).
fn archive_page(index: usize) -> String {
    page_link("/archive", index / ARTICLES_PER_LIST_PAGE + 1)
}

/// The new address of the old one asked for, when there is one.
pub async fn find(state: &web::Data<AppState>, req: &HttpRequest) -> Result<Option<String>, AppError> {
    let decoded = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy().into_owned();
    let path = match decoded.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    };
    let query = req.query_string();
    if let Some(old_comment) = query_number(query, "replytocom").and_then(|n| i32::try_from(n).ok()) {
        let library = state.library();
        let found = db::run(&state.pool, move |conn| {
            let Some((slug, id)) = db::redirects::imported_comment(conn, old_comment)? else { return Ok(None) };
            if library.get(&slug).is_none() {
                return Ok(Some(format!("/{slug}#comment-{id}")));
            }
            let rules = load_rules(conn)?;
            Ok(Some(discussion::comment_path(conn, &slug, id, &rules)?))
        })
        .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let keys = if path == "/" {
        // WordPress answers `?p=` with a page too, whose import recorded `?page_id=`.
        match (query_number(query, "p"), query_number(query, "page_id"), query_text(query, "s")) {
            (Some(id), _, _) => vec![format!("/?p={id}"), format!("/?page_id={id}")],
            (None, Some(id), _) => vec![format!("/?page_id={id}")],
            (None, None, Some(term)) => return Ok(Some(format!("/search?q={}", encode_query_value(&term)))),
            (None, None, None) => return Ok(None),
        }
    } else if let Some(target) = fixed(&path) {
        return Ok(Some(target.to_owned()));
    } else {
        // `/slug/comment-page-2/` was the second page of an article's comments.
        vec![match path.rfind("/comment-page-") {
            Some(at) if path[at + 14..].chars().all(|c| c.is_ascii_digit()) => path[..at].to_owned(),
            _ => path.clone(),
        }]
    };
    let recorded = db::run(&state.pool, move |conn| {
        for key in &keys {
            if let Some(target) = db::redirects::target(conn, key)? {
                return Ok(Some(target));
            }
        }
        Ok(None)
    })
    .await?;
    Ok(recorded.or_else(|| listing(&path, &state.library())))
}

/// A 301 to `target`, whose letters of any script go percent-encoded, as
/// a header must carry them.
pub fn moved_permanently(target: &str) -> HttpResponse {
    const IN_A_HEADER: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b' ');
    let location = percent_encoding::utf8_percent_encode(target, IN_A_HEADER).to_string();
    HttpResponse::MovedPermanently().insert_header((header::LOCATION, location)).finish()
}

/// What no route matched: an old address, or not found.
pub async fn not_found(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    if matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD) {
        if let Some(target) = find(&state, &req).await? {
            return Ok(moved_permanently(&target));
        }
    }
    Err(AppError::NotFound)
}
