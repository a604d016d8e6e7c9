use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use tera::Context;

use super::{safe_return_path, AdminForm, Desk};
use crate::auth::device::DeviceCookie;
use crate::auth::password::CheckError;
use crate::auth::throttle::{self, Admission};
use crate::auth::TypedSession;
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::db;
use crate::db::log::{LogAction, NewLogEntry};
use crate::error::AppError;
use crate::state::{AppState, PageMeta};

/// The same words for an unknown name and a wrong password.
const WRONG: &str = "The name or the password is wrong.";
/// How long a sign-in refused for lack of a free password check slot is
/// asked to wait.
const BUSY_RETRY_SECS: i64 = 5;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Default, Deserialize, Serialize)]
pub struct SignIn {
    #[serde(default)]
    username: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, skip_serializing)]
    csrf_token: String,
}

/// `GET /admin/login`.
pub async fn form(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: TypedSession,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if session.user_id(state.settings.session_timeouts(), chrono::Utc::now().timestamp()).is_some() {
        return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/admin")).finish());
    }
    let values = SignIn { next: query.next.clone().unwrap_or_default(), ..SignIn::default() };
    page(&state, &request, values, None, StatusCode::OK).await
}

/// `POST /admin/login`.
pub async fn submit(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: TypedSession,
    form: web::Form<SignIn>,
) -> Result<HttpResponse, AppError> {
    let values = form.into_inner();
    let now = chrono::Utc::now().timestamp();
    let genuine = Visitor::existing(&request, &state.keys)
        .is_some_and(|v| v.verify_form_token(&state.keys, FormPurpose::SignIn, &values.csrf_token, now).is_ok());
    if !genuine {
        let message =
            "This form could not be confirmed (it may be too old, or cookies may be off). Please sign in again.";
        return page(&state, &request, values, Some(message), StatusCode::FORBIDDEN).await;
    }

    let username: String = values.username.trim().chars().take(100).collect();
    let ip_hash = state.keys.hash_ip(&state.client_ip(&request));
    let address = format!("address hash {}", ip_hash.chars().take(8).collect::<String>());
    let attempt = throttle::Attempt {
        username: username.clone(),
        ip_hash,
        device: DeviceCookie::device_for(&request, &state.keys, &username, now),
    };
    // Counted before the password is checked, so that simultaneous guesses
    // cannot all slip in under the limit.
    let admission = {
        let attempt = attempt.clone();
        db::run(&state.pool, move |conn| Ok(throttle::admit(conn, &attempt)?))
            .await
            .context("recording a sign-in attempt")?
    };
    let admitted = match admission {
        Admission::Admitted(admitted) => admitted,
        Admission::Throttled => {
            tracing::warn!(username, from_known_device = attempt.device.is_some(), "sign-in throttled");
            let entry = NewLogEntry::new(None, &username, LogAction::SignInThrottled).detail(address);
            db::run(&state.pool, move |conn| Ok(db::log::write(conn, &entry)?))
                .await
                .context("logging a throttled sign-in")?;
            let message =
                format!("Too many failed sign-ins. Please wait {} minutes and try again.", throttle::WINDOW_MINUTES);
            let retry = throttle::WINDOW_MINUTES * 60;
            return too_many(&state, &request, values, &message, retry).await;
        }
    };

    let user = {
        let username = username.clone();
        db::run(&state.pool, move |conn| {
            Ok(db::users::find_by_username(conn, &username)?.filter(db::users::User::is_active))
        })
        .await
        .context("looking up the account signing in")?
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = match state.passwords.check(values.password.clone(), stored).await {
        Ok(matches) => matches,
        Err(CheckError::Busy) => {
            tracing::warn!(username, "sign-in refused: every password check slot is busy");
            db::run(&state.pool, move |conn| Ok(throttle::withdraw(conn, admitted)?))
                .await
                .context("withdrawing an unchecked sign-in attempt")?;
            let message = "The server is busy. Please try again in a few seconds.";
            return too_many(&state, &request, values, message, BUSY_RETRY_SECS).await;
        }
        Err(CheckError::Failed(error)) => return Err(error.context("checking a password").into()),
    };
    let signed_in = user.filter(|_| matches);

    let entry = match &signed_in {
        Some(user) => NewLogEntry::new(Some(user.id), &user.display_name, LogAction::SignIn),
        None => NewLogEntry::new(None, &username, LogAction::SignInFailed).detail(address),
    };
    let succeeded = signed_in.is_some();
    db::run(&state.pool, move |conn| {
        if succeeded {
            throttle::mark_succeeded(conn, admitted)?;
        }
        db::log::write(conn, &entry)?;
        Ok(())
    })
    .await
    .context("recording the outcome of a sign-in")?;

    let Some(user) = signed_in else {
        tracing::warn!(username, "sign-in failed");
        return page(&state, &request, values, Some(WRONG), StatusCode::UNAUTHORIZED).await;
    };
    session.sign_in(user.id, now).map_err(|e| anyhow::anyhow!("starting a session: {e}"))?;
    tracing::info!(username = user.username, "signed in");
    let target = safe_return_path(Some(&values.next)).unwrap_or_else(|| "/admin".into());
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, target));
    // This browser is now known for this account: guesses at the name from
    // elsewhere no longer lock it out.
    if let Some(cookie) =
        DeviceCookie::issue(&request, &state.keys, &user.username, now).cookie(&state.keys, state.settings.is_https())
    {
        response.cookie(cookie);
    }
    Ok(response.finish())
}

/// The sign-in form again, with 429 and `Retry-After: retry_secs`.
async fn too_many(
    state: &AppState,
    request: &HttpRequest,
    values: SignIn,
    message: &str,
    retry_secs: i64,
) -> Result<HttpResponse, AppError> {
    let mut response = page(state, request, values, Some(message), StatusCode::TOO_MANY_REQUESTS).await?;
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry_secs));
    Ok(response)
}

/// `POST /admin/logout`.
pub async fn logout(desk: Desk, _form: AdminForm) -> Result<HttpResponse, AppError> {
    let entry = NewLogEntry::new(Some(desk.user.id), &desk.user.display_name, LogAction::SignOut);
    db::run(&desk.state.pool, move |conn| Ok(db::log::write(conn, &entry)?)).await.context("logging a sign-out")?;
    desk.session.sign_out();
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/admin/login")).finish())
}

async fn page(
    state: &AppState,
    request: &HttpRequest,
    values: SignIn,
    message: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let users = db::run(&state.pool, |conn| Ok(db::users::count(conn)?))
        .await
        .context("counting accounts for the sign-in page")?;
    let visitor = Visitor::from_request(request, &state.keys);
    let mut context = Context::new();
    context.insert("values", &values);
    context.insert("message", &message);
    context.insert("no_users", &(users == 0));
    context.insert("csrf_token", &visitor.form_token(&state.keys, FormPurpose::SignIn, chrono::Utc::now().timestamp()));
    let meta = PageMeta { noindex: true, ..PageMeta::new("Sign in", "", "/admin/login") };
    let body = state.render("admin/login.html", &meta, context)?;
    let mut response = HttpResponse::build(status);
    response.content_type(header::ContentType::html()).insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.cookie(cookie);
    }
    Ok(response.body(body))
}
