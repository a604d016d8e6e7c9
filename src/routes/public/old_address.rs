//! Old WordPress addresses answer with a 301 to their new home: those the
//! import recorded (`/?p=12`, `/2016/07/05/slug/`, `/tag/x/`, …) and a few
//! every WordPress site had (`/feed/`, `/wp-admin/`, `?replytocom=N`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::comments::discussion::{self, load_rules};
use crate::db;
use crate::error::AppError;
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
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == key).and_then(|(_, v)| v.parse().ok())
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
    let key = if path == "/" {
        match (query_number(query, "p"), query_number(query, "page_id")) {
            (Some(id), _) => format!("/?p={id}"),
            (None, Some(id)) => format!("/?page_id={id}"),
            (None, None) => return Ok(None),
        }
    } else if let Some(target) = fixed(&path) {
        return Ok(Some(target.to_owned()));
    } else {
        // `/slug/comment-page-2/` was the second page of an article's comments.
        match path.rfind("/comment-page-") {
            Some(at) if path[at + 14..].chars().all(|c| c.is_ascii_digit()) => path[..at].to_owned(),
            _ => path,
        }
    };
    Ok(db::run(&state.pool, move |conn| Ok(db::redirects::target(conn, &key)?)).await?)
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
