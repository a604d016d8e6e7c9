//! The author's desk under `/admin`: every route but the sign-in page needs
//! a signed-in user, and every form carries the session's CSRF token.

pub mod articles;
pub mod comments;
pub mod dashboard;
pub mod featured;
pub mod log;
pub mod login;
pub mod mail;
pub mod media;
pub mod questions;
pub mod replies;
pub mod review;
pub mod settings;

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use tera::Context;

use crate::auth::{CurrentUser, TypedSession};
use crate::comments::moderation::Actor;
use crate::error::AppError;
use crate::routes::{encode_query_value, page};
use crate::state::{AppState, PageMeta};

/// Page numbers in desk lists stop here, far beyond any real list, so that
/// offsets cannot overflow.
pub const MAX_PAGE: usize = 100_000;

/// Every route of the desk that needs a signed-in user, as mounted by
/// `configure`: (method, path).
pub const GUARDED_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin"),
    ("GET", "/admin/comments"),
    ("POST", "/admin/comments/bulk"),
    ("POST", "/admin/comments/{id}/moderate"),
    ("GET", "/admin/comments/{id}/edit"),
    ("POST", "/admin/comments/{id}/edit"),
    ("GET", "/admin/comments/{id}/reply"),
    ("POST", "/admin/comments/{id}/reply"),
    ("POST", "/admin/comments/{id}/no-answer"),
    ("POST", "/admin/comments/{id}/seen-to"),
    ("POST", "/admin/comments/{id}/redact"),
    ("GET", "/admin/comments/{id}/anonymise"),
    ("POST", "/admin/comments/{id}/anonymise"),
    ("GET", "/admin/comments/{id}/feature"),
    ("POST", "/admin/comments/{id}/feature"),
    ("GET", "/admin/questions"),
    ("POST", "/admin/questions/no-answer"),
    ("GET", "/admin/answers/review"),
    ("POST", "/admin/answers/{id}/still-right"),
    ("POST", "/admin/answers/{id}/note"),
    ("GET", "/admin/replies"),
    ("GET", "/admin/replies/new"),
    ("POST", "/admin/replies"),
    ("GET", "/admin/replies/{id}"),
    ("POST", "/admin/replies/{id}"),
    ("POST", "/admin/replies/{id}/delete"),
    ("GET", "/admin/settings"),
    ("POST", "/admin/settings"),
    ("GET", "/admin/log"),
    ("GET", "/admin/mail"),
    ("POST", "/admin/mail"),
    ("POST", "/admin/logout"),
    ("GET", "/admin/articles"),
    ("GET", "/admin/articles/new"),
    ("POST", "/admin/articles"),
    ("GET", "/admin/articles/{id}"),
    ("POST", "/admin/articles/{id}"),
    ("GET", "/admin/articles/{id}/revisions"),
    ("GET", "/admin/articles/{id}/compare"),
    ("POST", "/admin/articles/{id}/revisions/{revision}/restore"),
    ("GET", "/admin/articles/{id}/questions"),
    ("POST", "/admin/articles/{id}/questions/{comment}"),
    ("GET", "/admin/pages"),
    ("GET", "/admin/pages/new"),
    ("POST", "/admin/pages"),
    ("GET", "/admin/pages/{id}"),
    ("POST", "/admin/pages/{id}"),
    ("GET", "/admin/pages/{id}/revisions"),
    ("GET", "/admin/pages/{id}/compare"),
    ("POST", "/admin/pages/{id}/revisions/{revision}/restore"),
    ("GET", "/admin/media"),
    ("POST", "/admin/media"),
    ("POST", "/admin/media/{hash}"),
    ("POST", "/admin/media/{hash}/delete"),
];

/// Mounts the sign-in page, then the guarded desk.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/admin/login").route(page().to(login::form)).route(web::post().to(login::submit)));
    let mut scope = web::scope("/admin").wrap(from_fn(require_sign_in));
    for &(method, path) in GUARDED_ROUTES {
        let local = &path["/admin".len()..];
        let route = match (method, path) {
            ("GET", "/admin") => page().to(dashboard::show),
            ("GET", "/admin/comments") => page().to(comments::list),
            ("POST", "/admin/comments/bulk") => web::post().to(comments::bulk),
            ("POST", "/admin/comments/{id}/moderate") => web::post().to(comments::moderate),
            ("GET", "/admin/comments/{id}/edit") => page().to(comments::edit_form),
            ("POST", "/admin/comments/{id}/edit") => web::post().to(comments::edit),
            ("GET", "/admin/comments/{id}/reply") => page().to(comments::reply_form),
            ("POST", "/admin/comments/{id}/reply") => web::post().to(comments::reply),
            ("GET", "/admin/answers/review") => page().to(review::list),
            ("POST", "/admin/answers/{id}/still-right") => web::post().to(review::still_right),
            ("POST", "/admin/answers/{id}/note") => web::post().to(review::add_note),
            ("GET", "/admin/replies") => page().to(replies::list),
            ("GET", "/admin/replies/new") => page().to(replies::new),
            ("POST", "/admin/replies") => web::post().to(replies::create),
            ("GET", "/admin/replies/{id}") => page().to(replies::edit),
            ("POST", "/admin/replies/{id}") => web::post().to(replies::save),
            ("POST", "/admin/replies/{id}/delete") => web::post().to(replies::delete),
            ("POST", "/admin/comments/{id}/no-answer") => web::post().to(questions::no_answer_needed),
            ("POST", "/admin/comments/{id}/seen-to") => web::post().to(comments::seen_to),
            ("POST", "/admin/comments/{id}/redact") => web::post().to(comments::redact),
            ("GET", "/admin/comments/{id}/anonymise") => page().to(comments::anonymise_form),
            ("POST", "/admin/comments/{id}/anonymise") => web::post().to(comments::anonymise),
            ("GET", "/admin/comments/{id}/feature") => page().to(featured::form),
            ("POST", "/admin/comments/{id}/feature") => web::post().to(featured::add),
            ("GET", "/admin/articles/{id}/questions") => page().to(featured::list),
            ("POST", "/admin/articles/{id}/questions/{comment}") => web::post().to(featured::change),
            ("GET", "/admin/questions") => page().to(questions::list),
            ("POST", "/admin/questions/no-answer") => web::post().to(questions::no_answer_needed_for_many),
            ("GET", "/admin/settings") => page().to(settings::form),
            ("POST", "/admin/settings") => web::post().to(settings::save),
            ("GET", "/admin/log") => page().to(log::list),
            ("GET", "/admin/mail") => page().to(mail::show),
            ("POST", "/admin/mail") => web::post().to(mail::save),
            ("POST", "/admin/logout") => web::post().to(login::logout),
            ("GET", "/admin/articles") => page().to(articles::list),
            ("GET", "/admin/articles/new") => page().to(articles::new),
            ("POST", "/admin/articles") => web::post().to(articles::create),
            ("GET", "/admin/articles/{id}") => page().to(articles::edit),
            ("POST", "/admin/articles/{id}") => web::post().to(articles::save),
            ("GET", "/admin/articles/{id}/revisions") => page().to(articles::revisions),
            ("GET", "/admin/articles/{id}/compare") => page().to(articles::compare),
            ("POST", "/admin/articles/{id}/revisions/{revision}/restore") => web::post().to(articles::restore),
            ("GET", "/admin/pages") => page().to(articles::list),
            ("GET", "/admin/pages/new") => page().to(articles::new),
            ("POST", "/admin/pages") => web::post().to(articles::create),
            ("GET", "/admin/pages/{id}") => page().to(articles::edit),
            ("POST", "/admin/pages/{id}") => web::post().to(articles::save),
            ("GET", "/admin/pages/{id}/revisions") => page().to(articles::revisions),
            ("GET", "/admin/pages/{id}/compare") => page().to(articles::compare),
            ("POST", "/admin/pages/{id}/revisions/{revision}/restore") => web::post().to(articles::restore),
            ("GET", "/admin/media") => page().to(media::list),
            ("POST", "/admin/media") => web::post().to(media::upload),
            ("POST", "/admin/media/{hash}") => web::post().to(media::describe),
            ("POST", "/admin/media/{hash}/delete") => web::post().to(media::delete),
            _ => unreachable!("every guarded route has a handler"),
        };
        scope = scope.route(if local.is_empty() { "" } else { local }, route);
    }
    config.service(scope);
}

/// Unanswered questions counted in the desk's top bar at most.
const QUEUE_COUNT_LIMIT: i64 = 500;

/// What waits for the author, shown in the desk's top bar on every page.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Queue {
    pub pending: i64,
    pub unanswered: usize,
}

/// Lets signed-in users through with a `CurrentUser` and the `Queue`; sends
/// everyone else to the sign-in page.
async fn require_sign_in(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned().ok_or(AppError::NotFound)?;
    let session = TypedSession::new(request.get_session());
    let user = crate::auth::signed_in_user(&state.pool, &session, state.settings.session_timeouts())
        .await
        .map_err(AppError::Unexpected)?;
    match user {
        Some(user) => {
            let queue = crate::db::run(&state.pool, |conn| {
                let counts = crate::db::comments::status_counts(conn)?;
                let unanswered = crate::db::comments::unanswered(conn, QUEUE_COUNT_LIMIT, false)?.len();
                let pending = counts.get(&crate::domain::CommentStatus::Pending).copied().unwrap_or(0);
                Ok(Queue { pending, unanswered })
            })
            .await
            .map_err(AppError::Unexpected)?;
            request.extensions_mut().insert(queue);
            request.extensions_mut().insert(CurrentUser {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
                role: user.role,
                csrf_token: session.csrf_token(),
            });
            let mut response = next.call(request).await?;
            // Desk pages show emails and address hashes: keep them out of caches.
            response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            Ok(response.map_into_left_body())
        }
        None => {
            session.sign_out();
            let target = if request.method() == actix_web::http::Method::GET {
                let wanted = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/admin");
                format!("/admin/login?next={}", encode_query_value(wanted))
            } else {
                "/admin/login".to_owned()
            };
            let response = HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish();
            Ok(request.into_response(response).map_into_right_body())
        }
    }
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor { user_id: self.id, name: self.display_name.clone() }
    }
}

/// The fields of a desk form, accepted only with the session's CSRF token.
/// Repeated fields (check-boxes) keep every value.
pub struct AdminForm(Vec<(String, String)>);

impl AdminForm {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Where to go back to: a desk page, never another site.
    pub fn return_to(&self, fallback: &str) -> String {
        safe_return_path(self.get("return_to")).unwrap_or_else(|| fallback.to_owned())
    }
}

/// `path` when it is a page of the desk.
pub fn safe_return_path(path: Option<&str>) -> Option<String> {
    let path = path?;
    let safe = path.starts_with("/admin") && !path.contains("//") && !path.contains('\\') && !path.contains(':');
    safe.then(|| path.to_owned())
}

impl FromRequest for AdminForm {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(request, payload);
        let session = TypedSession::new(request.get_session());
        Box::pin(async move {
            let body = body.await?;
            let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
            let token = fields.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str()).unwrap_or("");
            if !session.csrf_matches(token) {
                return Err(AppError::Forbidden(
                    "This form could not be confirmed as yours (it may have expired). Go back, reload the page and try again."
                        .into(),
                )
                .into());
            }
            Ok(Self(fields))
        })
    }
}

/// What every desk handler works with: the app, the signed-in user (put in
/// place by the sign-in guard) and their session.
pub struct Desk {
    pub state: web::Data<AppState>,
    pub user: CurrentUser,
    pub session: TypedSession,
    pub queue: Queue,
}

impl FromRequest for Desk {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The user is cloned out first: the session borrows the same extensions.
        let user = request.extensions().get::<CurrentUser>().cloned();
        let queue = request.extensions().get::<Queue>().copied().unwrap_or_default();
        let desk = match (request.app_data::<web::Data<AppState>>(), user) {
            (Some(state), Some(user)) => {
                Ok(Desk { state: state.clone(), user, session: TypedSession::new(request.get_session()), queue })
            }
            _ => Err(actix_web::error::ErrorUnauthorized("not signed in")),
        };
        std::future::ready(desk)
    }
}

impl Desk {
    /// Renders a desk page with the user and the flash message.
    pub fn render(&self, template: &str, title: &str, mut context: Context) -> Result<HttpResponse, AppError> {
        context.insert("user", &self.user);
        context.insert("queue", &self.queue);
        context.insert("flash", &self.session.take_flash());
        let return_query = context.get("return_to").and_then(|v| v.as_str()).map(encode_query_value);
        context.insert("return_to_query", &return_query.unwrap_or_default());
        let meta = PageMeta { noindex: true, ..PageMeta::new(title, "", "/admin") };
        self.state.page(template, &meta, context)
    }

    /// 303 to `target`, with a message for the next page.
    pub fn redirect(&self, target: &str, message: &str) -> HttpResponse {
        self.session.set_flash(message);
        HttpResponse::SeeOther().insert_header((header::LOCATION, target.to_owned())).finish()
    }

    /// 303 to `target`, with a message and a link to what it is about.
    pub fn redirect_with_link(&self, target: &str, message: &str, label: &str, href: &str) -> HttpResponse {
        self.session.set_flash_with_link(message, label, href);
        HttpResponse::SeeOther().insert_header((header::LOCATION, target.to_owned())).finish()
    }
}

/// "3 hours ago", for the desk.
pub fn age(at: chrono::NaiveDateTime) -> String {
    let seconds = (chrono::Utc::now().naive_utc() - at).num_seconds().max(0);
    let (value, unit) = match seconds {
        s if s < 60 => return "just now".into(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 30 * 86_400 => (s / 86_400, "day"),
        s if s < 365 * 86_400 => (s / (30 * 86_400), "month"),
        s => (s / (365 * 86_400), "year"),
    };
    format!("{value} {unit}{} ago", if value == 1 { "" } else { "s" })
}
