use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tera::Context;

use super::{safe_return_path, AdminForm, Desk};
use crate::auth::{password, throttle, TypedSession};
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::db;
use crate::db::log::{LogAction, NewLogEntry};
use crate::error::AppError;
use crate::state::{AppState, PageMeta};

/// The same words for an unknown name and a wrong password.
const WRONG: &str = "The name or the password is wrong.";

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
    let throttled = {
        let (username, ip_hash) = (username.clone(), ip_hash.clone());
        db::run(&state.pool, move |conn| Ok(throttle::is_throttled(conn, &username, &ip_hash)?)).await?
    };
    if throttled {
        tracing::warn!(username, "sign-in throttled");
        let entry = NewLogEntry::new(None, &username, LogAction::SignInThrottled)
            .detail(format!("address hash {}", ip_hash.chars().take(8).collect::<String>()));
        db::run(&state.pool, move |conn| Ok(db::log::write(conn, &entry)?)).await?;
        let message =
            format!("Too many failed sign-ins. Please wait {} minutes and try again.", throttle::WINDOW_MINUTES);
        let mut response = page(&state, &request, values, Some(&message), StatusCode::TOO_MANY_REQUESTS).await?;
        let retry = (throttle::WINDOW_MINUTES * 60).to_string();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_str(&retry).map_err(anyhow::Error::from)?);
        return Ok(response);
    }

    let user = {
        let username = username.clone();
        db::run(&state.pool, move |conn| {
            Ok(db::users::find_by_username(conn, &username)?.filter(db::users::User::is_active))
        })
        .await?
    };
    // An unknown name is checked against a dummy hash, so that it takes as
    // long as a wrong password and timing tells nothing.
    let stored = user.as_ref().map_or_else(|| password::dummy_hash().to_owned(), |u| u.password_hash.clone());
    let typed = values.password.clone();
    let matches = web::block(move || password::verify(&typed, &stored)).await.map_err(anyhow::Error::from)??;
    let signed_in = user.filter(|_| matches);

    let (record_name, record_ip) = (username.clone(), ip_hash.clone());
    let succeeded = signed_in.is_some();
    let entry = match &signed_in {
        Some(user) => NewLogEntry::new(Some(user.id), &user.display_name, LogAction::SignIn),
        None => NewLogEntry::new(None, &username, LogAction::SignInFailed)
            .detail(format!("address hash {}", ip_hash.chars().take(8).collect::<String>())),
    };
    db::run(&state.pool, move |conn| {
        throttle::record(conn, &record_name, &record_ip, succeeded)?;
        db::log::write(conn, &entry)?;
        Ok(())
    })
    .await?;

    let Some(user) = signed_in else {
        tracing::warn!(username, "sign-in failed");
        return page(&state, &request, values, Some(WRONG), StatusCode::UNAUTHORIZED).await;
    };
    session.sign_in(user.id, now).map_err(|e| anyhow::anyhow!("starting a session: {e}"))?;
    tracing::info!(username = user.username, "signed in");
    let target = safe_return_path(Some(&values.next)).unwrap_or_else(|| "/admin".into());
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish())
}

/// `POST /admin/logout`.
pub async fn logout(desk: Desk, _form: AdminForm) -> Result<HttpResponse, AppError> {
    let entry = NewLogEntry::new(Some(desk.user.id), &desk.user.display_name, LogAction::SignOut);
    db::run(&desk.state.pool, move |conn| Ok(db::log::write(conn, &entry)?)).await?;
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
    let users = db::run(&state.pool, |conn| Ok(db::users::count(conn)?)).await?;
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
