//! Asking for the link: the form, and the message it queues.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tera::Context;

use super::{private_meta, respond, see_other, verified_visitor};
use super::{FORM_UNCONFIRMED, NOT_STORED};
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::domain::Email;
use crate::error::AppError;
use crate::mail::outbox::{self, MessageKind, NewMessage};
use crate::state::AppState;

/// Link requests for one address within this many seconds share one
/// message: asking again and again cannot flood an inbox.
const LINK_REQUEST_WINDOW_SECS: i64 = 600;

#[derive(Deserialize)]
pub struct AskQuery {
    sent: Option<String>,
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf_token: String,
}

/// The ask form as shown: what was typed and what is wrong with it.
#[derive(Default, Serialize)]
struct AskPage<'a> {
    email: &'a str,
    error: Option<String>,
    message: Option<&'a str>,
    sent: bool,
}

/// `GET /comments/manage`: the form that asks for a link.
pub async fn ask_form(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<AskQuery>,
) -> Result<HttpResponse, AppError> {
    let visitor = Visitor::from_request(&request, &state.keys);
    let shown = AskPage { sent: query.sent.is_some(), ..AskPage::default() };
    render_ask(&state, visitor, shown, StatusCode::OK)
}

/// `POST /comments/manage`: queues a request for the link, whatever the
/// address; the mail sender sends it only to an address that has comments
/// here. The answer, and the work done before it, are the same either way,
/// so that nobody learns from it (nor from how long it took) whether an
/// address commented.
pub async fn ask(
    state: web::Data<AppState>,
    request: HttpRequest,
    form: web::Form<AskForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let now = Utc::now();
    let visitor = match verified_visitor(&state, &request, &form.csrf_token, now.timestamp()) {
        Some(visitor) => visitor,
        None => {
            let visitor = Visitor::from_request(&request, &state.keys);
            let shown = AskPage { email: &form.email, message: Some(FORM_UNCONFIRMED), ..AskPage::default() };
            return render_ask(&state, visitor, shown, StatusCode::FORBIDDEN);
        }
    };
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(error) => {
            let shown = AskPage { email: &form.email, error: Some(error), ..AskPage::default() };
            return render_ask(&state, visitor, shown, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let address = email.key().clone();
    let dedupe_key = format!("manage:{address}:{}", now.timestamp() / LINK_REQUEST_WINDOW_SECS);
    let queued = state
        .write(move |conn| {
            let link = NewMessage::new(MessageKind::ManageLink, address.as_str(), dedupe_key, now.naive_utc());
            outbox::enqueue(conn, &link)?;
            anyhow::Ok(())
        })
        .await;
    if let Err(error) = queued {
        tracing::error!(error = format!("{error:#}"), "a manage link could not be queued");
        let shown = AskPage { email: &form.email, message: Some(NOT_STORED), ..AskPage::default() };
        return render_ask(&state, visitor, shown, StatusCode::SERVICE_UNAVAILABLE);
    }
    Ok(see_other("/comments/manage?sent=1"))
}

fn render_ask(
    state: &AppState,
    visitor: Visitor,
    shown: AskPage,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut context = Context::new();
    context.insert("form", &shown);
    context.insert("csrf_token", &visitor.form_token(&state.keys, FormPurpose::Manage, Utc::now().timestamp()));
    let meta = private_meta("Manage my comments", "/comments/manage");
    respond(state, "manage/ask.html", &meta, context, status, &visitor)
}
