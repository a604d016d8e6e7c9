//! `/admin/mail`: where the signed-in account's notices go and what it
//! wants to hear of, and how the site's mail is doing: where it goes, what
//! waits, and what could not be delivered.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use anyhow::Context as _;
use serde::Serialize;
use tera::Context;

use super::{AdminForm, Desk};
use crate::db::{self, users};
use crate::domain::{Email, NoticeChoice};
use crate::error::AppError;
use crate::mail::outbox;

/// Undelivered messages listed at most.
const FAILED_SHOWN: i64 = 50;

#[derive(Serialize)]
struct ChoiceOption {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct FailedRow {
    kind: String,
    recipient: String,
    when: String,
    error: String,
}

/// `GET /admin/mail`.
pub async fn show(desk: Desk) -> Result<HttpResponse, AppError> {
    page(&desk, None, None, StatusCode::OK).await
}

async fn page(
    desk: &Desk,
    typed: Option<(String, String)>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = desk.user.id;
    let (user, mail) = db::run(&desk.state.pool, move |conn| {
        let user = users::find(conn, id)?.context("the signed-in account is gone")?;
        Ok((user, outbox::status(conn, FAILED_SHOWN)?))
    })
    .await
    .context("loading the mail settings")?;
    let (email, choice) = typed.unwrap_or((user.email.clone(), user.notify_on.as_str().to_owned()));
    let failed: Vec<FailedRow> = mail
        .failed
        .iter()
        .map(|m| FailedRow {
            kind: m.kind.to_string(),
            recipient: m.recipient.clone(),
            when: super::age(m.failed_at.unwrap_or(m.created_at)),
            error: m.last_error.clone(),
        })
        .collect();
    let choices: Vec<ChoiceOption> =
        NoticeChoice::ALL.iter().map(|c| ChoiceOption { value: c.as_str(), label: c.describe() }).collect();
    let mut context = Context::new();
    context.insert("email", &email);
    context.insert("choice", &choice);
    context.insert("choices", &choices);
    context.insert("error", &error);
    context.insert("transport", &desk.state.mailer.describe());
    context.insert("writes_files", &desk.state.mailer.writes_files());
    context.insert("waiting", &mail.waiting);
    context.insert("held", &mail.held);
    context.insert("failed", &failed);
    let mut response = desk.render("admin/mail.html", "Email", context)?;
    *response.status_mut() = status;
    Ok(response)
}

/// `POST /admin/mail`: the account's address and notice choice.
pub async fn save(desk: Desk, form: AdminForm) -> Result<HttpResponse, AppError> {
    let (email, choice) = (form.text("email").trim().to_owned(), form.text("notify_on"));
    let parsed_choice = choice.parse::<NoticeChoice>();
    let parsed_email = if email.is_empty() { Ok(None) } else { Email::parse(&email).map(Some) };
    let (parsed_email, parsed_choice) = match (parsed_email, parsed_choice) {
        (Ok(e), Ok(c)) => (e, c),
        (Err(error), _) => {
            return page(&desk, Some((email, choice)), Some(error), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        (_, Err(_)) => {
            let error = "Choose what you want to hear of.".to_owned();
            return page(&desk, Some((email, choice)), Some(error), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let (id, username) = (desk.user.id, desk.user.username.clone());
    let address = parsed_email.map(|e| e.as_str().to_owned()).unwrap_or_default();
    let stored = desk
        .state
        .write(move |conn| {
            users::set_email(conn, &username, &address)?;
            users::set_notify_on(conn, id, parsed_choice)?;
            anyhow::Ok(())
        })
        .await;
    if let Err(error) = stored.context("saving the mail settings") {
        tracing::error!(error = format!("{error:#}"), "the mail settings could not be stored");
        let message = "Nothing was saved: the site cannot store anything right now. Please try again.".to_owned();
        return page(&desk, Some((email, choice)), Some(message), StatusCode::SERVICE_UNAVAILABLE).await;
    }
    Ok(desk.redirect("/admin/mail", "Your email settings are saved."))
}
