//! Saved replies (`/admin/replies`): answers the author writes once and
//! puts into any answer box, with the standard disclaimer under them when
//! he asks for it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use anyhow::Context as _;
use tera::Context;

use super::{AdminForm, Desk};
use crate::db;
use crate::db::answers::{self, SavedReply, SavedReplyFields};
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::domain::MAX_BODY_CHARS;
use crate::error::AppError;

const MAX_TITLE_CHARS: usize = 200;

pub use crate::answers::{choices, insert_saved, Choice};

/// `GET /admin/replies`.
pub async fn list(desk: Desk) -> Result<HttpResponse, AppError> {
    let replies = db::run(&desk.state.pool, |conn| Ok(answers::saved_replies(conn)?))
        .await
        .context("loading the saved replies")?;
    let mut context = Context::new();
    context.insert("replies", &replies);
    context.insert("disclaimer", &desk.state.settings.answers.disclaimer);
    desk.render("admin/replies.html", "Saved replies", context)
}

/// `GET /admin/replies/new`.
pub async fn new(desk: Desk) -> Result<HttpResponse, AppError> {
    form_page(
        &desk,
        None,
        &SavedReplyFields { add_disclaimer: true, ..SavedReplyFields::default() },
        &[],
        StatusCode::OK,
    )
}

/// `GET /admin/replies/{id}`.
pub async fn edit(desk: Desk, id: web::Path<i32>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let reply = find(&desk, id).await?;
    let fields = SavedReplyFields { title: reply.title, body: reply.body, add_disclaimer: reply.add_disclaimer };
    form_page(&desk, Some(id), &fields, &[], StatusCode::OK)
}

/// `POST /admin/replies`: a new saved reply.
pub async fn create(desk: Desk, form: AdminForm) -> Result<HttpResponse, AppError> {
    store(desk, None, form).await
}

/// `POST /admin/replies/{id}`: saves the changes.
pub async fn save(desk: Desk, id: web::Path<i32>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    find(&desk, id).await?;
    store(desk, Some(id), form).await
}

/// `POST /admin/replies/{id}/delete`.
pub async fn delete(desk: Desk, id: web::Path<i32>, _form: AdminForm) -> Result<HttpResponse, AppError> {
    let reply = find(&desk, id.into_inner()).await?;
    let actor = desk.user.actor();
    let title = reply.title.clone();
    desk.state
        .write(move |conn| {
            answers::delete_saved_reply(conn, reply.id)?;
            let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::SavedReply)
                .detail(format!("deleted the saved reply “{}”", reply.title));
            log::write(conn, &entry)?;
            anyhow::Ok(())
        })
        .await
        .map_err(AppError::NotStored)?;
    Ok(desk.redirect("/admin/replies", &format!("The saved reply “{title}” is deleted.")))
}

async fn find(desk: &Desk, id: i32) -> Result<SavedReply, AppError> {
    db::run(&desk.state.pool, move |conn| Ok(answers::saved_reply(conn, id)?))
        .await
        .with_context(|| format!("loading saved reply {id}"))?
        .ok_or(AppError::NotFound)
}

async fn store(desk: Desk, id: Option<i32>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let fields = SavedReplyFields {
        title: form.text("title").trim().to_owned(),
        body: form.text("body"),
        add_disclaimer: form.get("add_disclaimer").is_some(),
    };
    let mut errors = Vec::new();
    if fields.title.is_empty() {
        errors.push(("title", "Give the reply a title, to find it in the list.".to_owned()));
    } else if fields.title.chars().count() > MAX_TITLE_CHARS {
        errors.push(("title", format!("Keep the title under {MAX_TITLE_CHARS} characters.")));
    }
    if fields.body.trim().is_empty() {
        errors.push(("body", "Write the reply's text.".to_owned()));
    } else if fields.body.chars().count() > MAX_BODY_CHARS {
        errors.push(("body", format!("An answer holds at most {MAX_BODY_CHARS} characters.")));
    }
    if !errors.is_empty() {
        return form_page(&desk, id, &fields, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let actor = desk.user.actor();
    let stored = {
        let fields = fields.clone();
        desk.state
            .write(move |conn| {
                let (id, verb) = match id {
                    Some(id) => {
                        answers::update_saved_reply(conn, id, &fields)?;
                        (id, "changed")
                    }
                    None => (answers::create_saved_reply(conn, &fields)?, "wrote"),
                };
                let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::SavedReply)
                    .detail(format!("{verb} the saved reply “{}”", fields.title));
                log::write(conn, &entry)?;
                anyhow::Ok(id)
            })
            .await
    };
    match stored {
        Ok(_) => Ok(desk.redirect("/admin/replies", &format!("The saved reply “{}” is saved.", fields.title))),
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "a saved reply could not be stored");
            let errors = [("form", "Nothing was saved: the site cannot store anything right now. Your text is kept below; try again in a few minutes.".to_owned())];
            form_page(&desk, id, &fields, &errors, StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

fn form_page(
    desk: &Desk,
    id: Option<i32>,
    fields: &SavedReplyFields,
    errors: &[(&str, String)],
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut context = Context::new();
    context.insert("id", &id);
    context.insert("title", &fields.title);
    context.insert("body", &fields.body);
    context.insert("add_disclaimer", &fields.add_disclaimer);
    context.insert("disclaimer", &desk.state.settings.answers.disclaimer);
    context.insert("errors", &errors.iter().cloned().collect::<std::collections::HashMap<_, _>>());
    context.insert("max_body_chars", &MAX_BODY_CHARS);
    let title = if id.is_some() { "Edit a saved reply" } else { "New saved reply" };
    let mut response = desk.render("admin/saved_reply.html", title, context)?;
    *response.status_mut() = status;
    Ok(response)
}
