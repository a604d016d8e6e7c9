//! Erasing everything an address wrote.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use tera::Context;

use super::{private_meta, respond, see_other, Done, ManageForm, ManageLink, TokenOnly};
use crate::comments::ownership::{self};
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::db;
use crate::error::AppError;
use crate::state::AppState;

/// `GET /comments/manage/{token}/erase`: what erasing does, and the button.
pub async fn erase_form(
    state: web::Data<AppState>,
    request: HttpRequest,
    link: ManageLink,
) -> Result<HttpResponse, AppError> {
    let visitor = Visitor::from_request(&request, &state.keys);
    let ManageLink { token, email } = link;
    let mut context = Context::new();
    context.insert("email", &email);
    context.insert("token", token.as_str());
    context.insert("csrf_token", &visitor.form_token(&state.keys, FormPurpose::Manage, Utc::now().timestamp()));
    let meta = private_meta("Erase everything", "/comments/manage");
    respond(&state, "manage/erase.html", &meta, context, StatusCode::OK, &visitor)
}

/// `POST /comments/manage/{token}/erase`: every comment, notice choice and
/// message of the address, gone.
pub async fn erase(
    state: web::Data<AppState>,
    link: ManageLink,
    _form: ManageForm<TokenOnly>,
) -> Result<HttpResponse, AppError> {
    let ManageLink { token, email } = link;
    let now = db::now();
    let erased = state
        .write(move |conn| anyhow::Ok(ownership::erase_all(conn, &email, now)?))
        .await
        .map_err(AppError::NotStored)?;
    tracing::info!(deleted = erased.deleted, kept_for_replies = erased.tombstones, "a writer erased their comments");
    Ok(see_other(&format!("/comments/manage/{token}?done={}", Done::Erased.as_str())))
}
