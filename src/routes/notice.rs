//! A page that says one thing, perhaps with a button: where email links
//! lead, and where a request that cannot be carried out gives back what
//! the person typed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use tera::Context;

use crate::comments::visitor::{FormPurpose, Visitor};
use crate::domain::MAX_BODY_CHARS;
use crate::error::AppError;
use crate::state::{AppState, PageMeta};

/// What the page shows: a title, a few sentences, and perhaps a form.
#[derive(Serialize, Default)]
pub struct Notice {
    pub title: String,
    pub message: String,
    /// The button, when there is something to do.
    pub button: Option<String>,
    /// The comment the page is about.
    pub comment: Option<CommentView>,
    /// The author's answer being written, for the "answer" action.
    pub answer: Option<String>,
    pub error: Option<String>,
    /// Words the person typed that could not be used, given back to copy.
    pub kept_text: Option<String>,
    /// Personal details found in the author's answer, for him to confirm.
    pub found: Vec<crate::trust::personal::Finding>,
    /// The author's saved replies, for the "answer" action.
    pub saved_replies: Vec<crate::answers::Choice>,
}

#[derive(Serialize)]
pub struct CommentView {
    pub author_name: String,
    pub html: crate::markdown::SafeHtml,
    pub article_title: String,
    pub permalink: String,
}

pub fn render(
    state: &AppState,
    request: &HttpRequest,
    status: StatusCode,
    notice: Notice,
) -> Result<HttpResponse, AppError> {
    let visitor = Visitor::from_request(request, &state.keys);
    let mut context = Context::new();
    context.insert("notice", &notice);
    context.insert("action", request.path());
    context.insert("max_body_chars", &MAX_BODY_CHARS);
    context.insert(
        "csrf_token",
        &visitor.form_token(&state.keys, FormPurpose::Comment, crate::db::now().and_utc().timestamp()),
    );
    let mut meta = PageMeta::new(notice.title.clone(), "", request.path());
    meta.noindex = true;
    let body = state.render("notice.html", &meta, context)?;
    let mut response = HttpResponse::build(status);
    response.content_type(actix_web::http::header::ContentType::html());
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.cookie(cookie);
    }
    Ok(response.body(body))
}
