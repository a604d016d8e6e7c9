//! What a reader sees after asking the author privately: that nobody else
//! can read the question, and that the answer comes by email. The page is
//! for the browser that sent it only (its visitor cookie holds the id).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use tera::Context;

use crate::comments::visitor::Visitor;
use crate::db;
use crate::domain::{CommentId, CommentStatus};
use crate::error::AppError;
use crate::state::{AppState, PageMeta};
use crate::trust::SafetyNotice;

/// Where the writer of private question `id` is sent after sending it.
pub fn sent_path(id: CommentId) -> String {
    format!("/comments/private/{id}")
}

/// `GET /comments/private/{id}`: "Your private question was sent", with the
/// emergency notice when its text showed emergency signs.
pub async fn sent(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.parse::<CommentId>().map_err(|_| AppError::NotFound)?;
    let visitor = Visitor::from_request(&request, &state.keys);
    if !visitor.pending().contains(&id) {
        return Err(AppError::NotFound);
    }
    let comment = db::run(&state.pool, move |conn| Ok(db::comments::find(conn, id)?))
        .await
        .with_context(|| format!("loading private question {id}"))?
        .filter(|c| c.status == CommentStatus::Private && c.erased_at.is_none())
        .ok_or(AppError::NotFound)?;
    let library = state.library();
    let article_title = library.get(&comment.post_slug).map_or_else(|| comment.post_slug.clone(), |a| a.title.clone());
    let safety = comment
        .urgent
        .as_deref()
        .and_then(|urgent| SafetyNotice::for_rules(&state.red_flags, urgent, &state.settings.trust.country));
    let mut context = Context::new();
    context.insert("article_title", &article_title);
    context.insert("article_slug", &comment.post_slug);
    context.insert("body", &comment.body_html);
    context.insert("safety", &safety);
    context.insert("author_name", &state.settings.site.author_name);
    let meta = PageMeta { noindex: true, ..PageMeta::new("Your private question was sent", "", sent_path(id)) };
    let mut response = state.page("private_sent.html", &meta, context)?;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    Ok(response)
}
