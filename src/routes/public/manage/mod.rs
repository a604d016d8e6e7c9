//! "Manage my comments". Readers have no accounts: a commenter asks for a
//! signed link to their address and, from it, sees everything they wrote
//! here, edits, deletes, downloads or erases it, and stops every notice.
//! The browser that wrote a comment still awaiting moderation may edit or
//! delete it without the link. Every form carries the visitor cookie's
//! token; link pages carry the link in their path.

mod ask;
mod edit;
mod erase;
mod list;

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use anyhow::Context as _;
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tera::Context;

use crate::comments::visitor::{FormPurpose, Visitor};
use crate::domain::EmailKey;
use crate::error::AppError;
use crate::routes::{app_state, judge_form, page, FormFuture};
use crate::signed_links::{self, LinkProblem, Purpose};
use crate::state::{AppState, PageMeta};

pub(super) const FORM_UNCONFIRMED: &str =
    "We could not confirm that this form came from this site (it may be too old, or \
                                cookies may be off). Please try again.";
pub(super) const NOT_STORED: &str =
    "Sorry, nothing was changed: the site cannot store anything right now. Please try again \
                          in a few minutes.";

/// Mounts the commenters' own pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/comments/manage").route(page().to(ask::ask_form)).route(web::post().to(ask::ask)))
        .service(web::resource("/comments/manage/{token}").route(page().to(list::show)))
        .service(web::resource("/comments/manage/{token}/export").route(page().to(list::export)))
        .service(web::resource("/comments/manage/{token}/stop").route(web::post().to(list::stop)))
        .service(
            web::resource("/comments/manage/{token}/erase")
                .route(page().to(erase::erase_form))
                .route(web::post().to(erase::erase)),
        )
        .service(
            web::resource("/comments/manage/{token}/comments/{id}/edit")
                .route(page().to(edit::edit_form_by_link))
                .route(web::post().to(edit::edit_by_link)),
        )
        .service(
            web::resource("/comments/manage/{token}/comments/{id}/delete").route(web::post().to(edit::delete_by_link)),
        )
        .service(
            web::resource("/posts/{slug}/comments/{id}/edit")
                .route(page().to(edit::edit_form_by_cookie))
                .route(web::post().to(edit::edit_by_cookie)),
        )
        .service(web::resource("/posts/{slug}/comments/{id}/delete").route(web::post().to(edit::delete_by_cookie)));
}

/// What the writer just did, said on the page they land on (`?done=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
pub(super) enum Done {
    Edited,
    /// Edited, and waiting for moderation again.
    Held,
    Deleted,
    /// Deleted, its place kept for its replies.
    Removed,
    Stopped,
    Erased,
}

impl Done {
    pub(super) fn as_str(self) -> &'static str {
        self.into()
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    pub(super) fn message(self) -> &'static str {
        match self {
            Self::Edited => "Your changes are saved.",
            Self::Held => {
                "Your changes are saved. The comment waits for the author's approval again before it is shown."
            }
            Self::Deleted => "The comment is deleted.",
            Self::Removed => {
                "The comment is removed. Its replies stay, under “Comment removed at the writer's request”."
            }
            Self::Stopped => "You will get no more notices from this site.",
            Self::Erased => "Everything you wrote here is erased, and this address is forgotten.",
        }
    }
}

#[derive(Deserialize)]
pub(super) struct TokenOnly {
    #[serde(default)]
    csrf_token: String,
}

impl CarriesToken for TokenOnly {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// A manage link, opened from the address's `{token}`: the address it was
/// made for. A link that does not open (expired, cut short) is answered
/// with the page that says why and how to get a new one.
pub(super) struct ManageLink {
    token: String,
    email: EmailKey,
}

impl FromRequest for ManageLink {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::open(request))
    }
}

impl ManageLink {
    fn open(request: &HttpRequest) -> Result<Self, actix_web::Error> {
        let state = app_state(request)?;
        let token = request.match_info().get("token").unwrap_or_default().to_owned();
        match signed_links::open::<String>(&state.keys, Purpose::Manage, &token, Utc::now().timestamp()) {
            Ok(email) => Ok(Self { token, email: EmailKey::of(&email) }),
            Err(problem) => {
                let response = link_problem(state, Visitor::from_request(request, &state.keys), problem)?;
                Err(InternalError::from_response("the manage link does not open", response).into())
            }
        }
    }
}

/// A form of the manage pages whose `csrf_token` checks out against the
/// visitor cookie, with that visitor; 403 otherwise.
pub(super) struct ManageForm<T> {
    pub(super) visitor: Visitor,
    form: PhantomData<T>,
}

/// A form that carries the visitor's form token.
pub(super) trait CarriesToken {
    fn csrf_token(&self) -> &str;
}

impl<T: CarriesToken + DeserializeOwned + 'static> FromRequest for ManageForm<T> {
    type Error = actix_web::Error;
    type Future = FormFuture<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        judge_form(request, payload, |request, form: T| {
            let state = app_state(request)?;
            let visitor = verified_visitor(state, request, form.csrf_token(), Utc::now().timestamp())
                .ok_or_else(|| AppError::Forbidden(FORM_UNCONFIRMED.to_owned()))?;
            Ok(Self { visitor, form: PhantomData })
        })
    }
}

// ---------------------------------------------------------------------------
// Shared

/// The visitor of this request when `csrf_token` is one of its forms' tokens.
pub(super) fn verified_visitor(state: &AppState, request: &HttpRequest, csrf_token: &str, now: i64) -> Option<Visitor> {
    let visitor = Visitor::existing(request, &state.keys)?;
    visitor.verify_form_token(&state.keys, FormPurpose::Manage, csrf_token, now).ok()?;
    Some(visitor)
}

/// An expired or broken manage link: what happened, and how to get a new one.
pub(super) fn link_problem(state: &AppState, visitor: Visitor, problem: LinkProblem) -> Result<HttpResponse, AppError> {
    let (status, heading, message) = match problem {
        LinkProblem::Expired => (
            StatusCode::GONE,
            "This link has expired",
            "Links to manage your comments work for 24 hours, and this one is older. Ask for a new one: it \
             takes a minute.",
        ),
        LinkProblem::Invalid => (
            StatusCode::NOT_FOUND,
            "This link does not work",
            "The link may have been cut short or changed on its way (some mail programs break long links). Ask \
             for a new one, or copy the whole link from the message into the address bar.",
        ),
    };
    let mut context = Context::new();
    context.insert("heading", heading);
    context.insert("message", message);
    let meta = private_meta(heading, "/comments/manage");
    respond(state, "manage/link.html", &meta, context, status, &visitor)
}

/// Pages about one writer: never indexed, never cached, and their address
/// (which holds the link) never sent to another page as a referrer.
pub(super) fn private_meta(title: &str, path: &str) -> PageMeta {
    PageMeta { noindex: true, ..PageMeta::new(title, "", path) }
}

pub(super) fn respond(
    state: &AppState,
    template: &str,
    meta: &PageMeta,
    context: Context,
    status: StatusCode,
    visitor: &Visitor,
) -> Result<HttpResponse, AppError> {
    let mut response = state.page(template, meta, context)?;
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.add_cookie(&cookie).context("setting the visitor cookie")?;
    }
    Ok(response)
}

pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_is_read_back_from_its_address() {
        let pinned = [
            (Done::Edited, "edited"),
            (Done::Held, "held"),
            (Done::Deleted, "deleted"),
            (Done::Removed, "removed"),
            (Done::Stopped, "stopped"),
            (Done::Erased, "erased"),
        ];
        for (done, text) in pinned {
            assert_eq!(done.as_str(), text);
            assert_eq!(Done::parse(text), Some(done));
        }
        assert_eq!(Done::parse("Edited"), None);
        assert_eq!(Done::parse("published"), None);
    }
}
