//! The pictures in the desk: `POST /admin/media` takes one or several files
//! (a plain multipart form, so it works without JavaScript), `GET
//! /admin/media` lists them with where each is used, and each can have its
//! description changed, or be deleted when no article uses it.

use actix_multipart::Multipart;
use actix_session::SessionExt;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use serde::Serialize;
use tera::Context;

use super::{safe_return_path, AdminForm, Desk};
use crate::auth::TypedSession;
use crate::db;
use crate::db::log::{LogAction, NewLogEntry};
use crate::db::media::{Description, Picture};
use crate::error::AppError;
use crate::media::process::{self, Processed, Refused, MAX_UPLOAD_BYTES};
use crate::media::{Address, Sizes};
use crate::routes::multipart::{Part, Parts, Unreadable};

/// Files one upload may carry.
const MAX_FILES: usize = 10;
/// The most a text field of the form may hold.
const MAX_TEXT_FIELD: usize = 16 * 1024;
/// Fields one upload may carry in all.
const MAX_FIELDS: usize = 32;
/// The longest description kept.
const MAX_ALT_CHARS: usize = 1000;

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf_token: String,
    alt: String,
    caption: String,
    return_to: Option<String>,
    files: Vec<(String, Vec<u8>)>,
}

/// The values and errors the upload form is shown again with.
#[derive(Default, Serialize)]
struct UploadForm {
    alt: String,
    caption: String,
    errors: std::collections::HashMap<&'static str, String>,
}

/// One row of the media library.
#[derive(Serialize)]
struct Row {
    picture: Picture,
    thumbnail: String,
    thumbnail_height: u32,
    markdown: String,
    stored_kb: i64,
    used_in: Vec<(String, String)>,
}

/// `GET /admin/media`.
pub async fn list(desk: Desk) -> Result<HttpResponse, AppError> {
    show(&desk, UploadForm::default(), StatusCode::OK).await
}

async fn show(desk: &Desk, form: UploadForm, status: StatusCode) -> Result<HttpResponse, AppError> {
    let (pictures, totals, catalog, articles) = db::run(&desk.state.pool, |conn| {
        Ok((
            db::media::list(conn)?,
            db::media::stored_bytes(conn)?,
            db::media::catalog(conn)?,
            db::articles::all(conn)?,
        ))
    })
    .await
    .context("loading the pictures")?;
    let rows: Vec<Row> = pictures
        .into_iter()
        .map(|picture| {
            let sizes = catalog.get(&picture.hash);
            let thumbnail = sizes.and_then(|s| smallest(&picture.hash, s)).map(|a| a.path()).unwrap_or_default();
            let markdown = sizes
                .and_then(|s| s.mid(&picture.hash))
                .map(|a| format!("![{}]({})", picture.alt.replace(['[', ']'], ""), a.path()))
                .unwrap_or_default();
            let used_in = articles
                .iter()
                .filter(|a| a.manuscript.body.contains(&picture.hash) || a.manuscript.image.contains(&picture.hash))
                .map(|a| {
                    let base = match a.kind {
                        crate::content::ArticleKind::Post => "/admin/articles",
                        crate::content::ArticleKind::Page => "/admin/pages",
                    };
                    (a.manuscript.title.clone(), format!("{base}/{}", a.id))
                })
                .collect();
            let stored_kb = totals.get(&picture.hash).copied().unwrap_or(0).saturating_add(1023) / 1024;
            let thumbnail_height =
                process::scaled_height(picture.width.unsigned_abs(), picture.height.unsigned_abs(), 120);
            Row { picture, thumbnail, thumbnail_height, markdown, stored_kb, used_in }
        })
        .collect();
    let mut context = Context::new();
    context.insert("rows", &rows);
    context.insert("form", &form);
    context.insert("max_mb", &(MAX_UPLOAD_BYTES / (1024 * 1024)));
    let mut response = desk.render("admin/media.html", "Pictures", context)?;
    *response.status_mut() = status;
    Ok(response)
}

fn smallest(hash: &str, sizes: &Sizes) -> Option<Address> {
    let format = sizes.main_format()?;
    let (width, _) = sizes.widths(format).first().copied()?;
    Some(Address { hash: hash.to_owned(), width, format })
}

/// `POST /admin/media`: fields `file` (one or several), `alt`, `caption`.
pub async fn upload(desk: Desk, request: HttpRequest, payload: Multipart) -> Result<HttpResponse, AppError> {
    let session = TypedSession::new(request.get_session());
    let mut upload = Upload::default();
    let unreadable = read_upload(payload, &mut upload).await.err();
    // The token first: a form that is not the author's learns nothing more.
    if !session.csrf_matches(&upload.csrf_token) {
        let message =
            "This form could not be confirmed as yours (it may have expired). Go back, reload the page and try again.";
        if wants_json(&request) {
            return Ok(HttpResponse::Forbidden().json(serde_json::json!({ "errors": { "file": message } })));
        }
        return Err(AppError::Forbidden(message.into()));
    }
    if let Some(message) = unreadable {
        let form = UploadForm { errors: [("file", message)].into(), ..UploadForm::default() };
        return refuse(&desk, &request, form, StatusCode::BAD_REQUEST).await;
    }
    let alt = upload.alt.trim().to_owned();
    let caption = upload.caption.trim().to_owned();
    let mut form = UploadForm { alt: alt.clone(), caption: caption.clone(), ..UploadForm::default() };
    if upload.files.is_empty() {
        form.errors.insert("file", "Choose a picture to upload.".into());
    }
    if alt.is_empty() {
        form.errors.insert(
            "alt",
            "Describe the picture for readers who cannot see it (for example “Magnesium tablets on a table”).".into(),
        );
    } else if alt.chars().count() > MAX_ALT_CHARS {
        form.errors.insert("alt", format!("Keep the description to {MAX_ALT_CHARS} characters or fewer."));
    }
    if !form.errors.is_empty() {
        if !upload.files.is_empty() && !wants_json(&request) {
            form.errors.insert("file", "Choose the file again: a browser does not keep it.".into());
        }
        return refuse(&desk, &request, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    let mut made = Vec::new();
    let mut refused = Vec::new();
    for (name, bytes) in upload.files {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let outcome = web::block(move || process::process(&bytes)).await.context("making the picture's sizes")?;
        match outcome {
            Ok(picture) => made.push((name, size, picture)),
            Err(Refused(reason)) => refused.push(format!("{}: {reason}", display_name(&name))),
        }
    }
    if !refused.is_empty() {
        form.errors.insert("file", format!("Nothing was stored. {}", refused.join(" · ")));
        return refuse(&desk, &request, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    let user = desk.user.clone();
    let stored: Vec<(String, Address)> = {
        let (alt, caption) = (alt.clone(), caption.clone());
        desk.state.write(move |conn| store(conn, &made, &alt, &caption, &user)).await.map_err(AppError::NotStored)?
    };
    let _ = web::block(crate::memory::give_back).await;
    let markdown: Vec<String> = stored.iter().map(|(_, address)| format!("![{alt}]({})", address.path())).collect();
    if wants_json(&request) {
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "markdown": markdown.join("\n\n") })));
    }
    let target = upload.return_to.as_deref().and_then(|p| safe_return_path(Some(p))).unwrap_or("/admin/media".into());
    Ok(desk.redirect(
        &target,
        &format!(
            "{} stored. Put it in an article with: {}",
            if stored.len() == 1 { "The picture is".to_owned() } else { format!("{} pictures are", stored.len()) },
            markdown.join("  ")
        ),
    ))
}

/// Stores each picture (or finds it stored already), logs it, and has every
/// instance load the articles again so that they show it at every size.
fn store(
    conn: &mut db::AnyConnection,
    made: &[(String, i64, Processed)],
    alt: &str,
    caption: &str,
    user: &crate::auth::CurrentUser,
) -> anyhow::Result<Vec<(String, Address)>> {
    let mut stored = Vec::new();
    for (name, size, picture) in made {
        let description = Description {
            name: display_name(name),
            alt: alt.to_owned(),
            caption: caption.to_owned(),
            uploaded_by: user.username.clone(),
            uploaded_bytes: *size,
        };
        let new = db::media::insert(conn, picture, &description)?;
        if new {
            db::log::write(
                conn,
                &NewLogEntry::new(Some(user.id), &user.display_name, LogAction::MediaUpload)
                    .detail(format!("uploaded {} ({})", description.name, picture.hash)),
            )?;
        }
        let sizes = Sizes {
            width: picture.width,
            height: picture.height,
            variants: picture.variants.iter().map(|v| (v.width, v.height, v.format)).collect(),
        };
        let address = sizes.mid(&picture.hash).context("a picture without sizes")?;
        stored.push((description.name, address));
    }
    db::change_counters::touch(conn, db::change_counters::CONTENT)?;
    Ok(stored)
}

/// A refused upload: the form again with its errors, or, to the editor's
/// script, the errors alone (`{"errors": {"file": …, "alt": …}}`).
async fn refuse(
    desk: &Desk,
    request: &HttpRequest,
    form: UploadForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    if wants_json(request) {
        return Ok(HttpResponse::build(status).json(serde_json::json!({ "errors": form.errors })));
    }
    show(desk, form, status).await
}

fn wants_json(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.starts_with("application/json"))
}

/// The file's own name, without any folder, at most 200 characters.
fn display_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let base = if base.is_empty() { "picture" } else { base };
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Reads the multipart form into `upload` within its limits, or says which
/// one it crossed (what was read before stays in `upload`).
async fn read_upload(payload: Multipart, upload: &mut Upload) -> Result<(), String> {
    let mut parts =
        Parts::new(payload, MAX_FIELDS, |name| if name == "file" { MAX_UPLOAD_BYTES } else { MAX_TEXT_FIELD });
    while let Some(part) = parts.next_part().await {
        let Part { name, file_name, bytes } = part.map_err(|unreadable| match unreadable {
            Unreadable::Broken(e) => format!("The upload could not be read ({e}). Try again."),
            Unreadable::TooManyFields => "The form sent too many fields.".into(),
            Unreadable::TooLong { name, file_name } if name == "file" => format!(
                "{} is larger than {} MB: scale it down first.",
                display_name(file_name.as_deref().unwrap_or("The file")),
                MAX_UPLOAD_BYTES / (1024 * 1024)
            ),
            Unreadable::TooLong { name, .. } => format!("The field {name} is too long."),
        })?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "file" if bytes.is_empty() => {} // The field left empty.
            "file" => {
                if upload.files.len() == MAX_FILES {
                    return Err(format!("At most {MAX_FILES} pictures at a time."));
                }
                upload.files.push((file_name.unwrap_or_default(), bytes));
            }
            "csrf_token" => upload.csrf_token = text(),
            "alt" => upload.alt = text(),
            "caption" => upload.caption = text(),
            "return_to" => upload.return_to = Some(text()),
            _ => {}
        }
    }
    Ok(())
}

/// `POST /admin/media/{hash}`: a new description.
pub async fn describe(desk: Desk, hash: web::Path<String>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let hash = hash.into_inner();
    let alt = form.text("alt").trim().to_owned();
    let caption = form.text("caption").trim().to_owned();
    if alt.is_empty() {
        return Ok(desk.redirect(
            "/admin/media",
            "The description was not changed: describe the picture for readers who cannot see it.",
        ));
    }
    if alt.chars().count() > MAX_ALT_CHARS {
        return Ok(desk.redirect(
            "/admin/media",
            &format!("The description was not changed: keep it to {MAX_ALT_CHARS} characters or fewer."),
        ));
    }
    let user = desk.user.clone();
    let changed = desk
        .state
        .write(move |conn| {
            let changed = db::media::set_description(conn, &hash, &alt, &caption)?;
            if changed > 0 {
                db::log::write(
                    conn,
                    &NewLogEntry::new(Some(user.id), &user.display_name, LogAction::MediaEdit)
                        .detail(format!("described {hash} as “{alt}”")),
                )?;
            }
            Ok::<_, anyhow::Error>(changed)
        })
        .await
        .map_err(AppError::NotStored)?;
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    Ok(desk.redirect("/admin/media", "The description is saved."))
}

/// `POST /admin/media/{hash}/delete`: only a picture no article uses.
pub async fn delete(desk: Desk, hash: web::Path<String>, _form: AdminForm) -> Result<HttpResponse, AppError> {
    let hash = hash.into_inner();
    let deleted = hash.clone();
    let user = desk.user.clone();
    let outcome = desk
        .state
        .write(move |conn| {
            let Some(picture) = db::media::find(conn, &hash)? else { return Ok(None) };
            let users: Vec<String> = db::articles::all(conn)?
                .into_iter()
                .filter(|a| a.manuscript.body.contains(&hash) || a.manuscript.image.contains(&hash))
                .map(|a| a.manuscript.title)
                .collect();
            if !users.is_empty() {
                return Ok(Some(Err(users)));
            }
            db::media::delete(conn, &hash)?;
            db::log::write(
                conn,
                &NewLogEntry::new(Some(user.id), &user.display_name, LogAction::MediaDelete)
                    .detail(format!("deleted {} ({hash})", picture.name)),
            )?;
            Ok::<_, anyhow::Error>(Some(Ok(picture.name)))
        })
        .await
        .map_err(AppError::NotStored)?;
    match outcome {
        None => Err(AppError::NotFound),
        Some(Err(users)) => {
            Ok(desk
                .redirect("/admin/media", &format!("The picture was not deleted: it is used in {}.", users.join(", "))))
        }
        Some(Ok(name)) => {
            desk.state.hot_media.forget(&deleted);
            Ok(desk.redirect("/admin/media", &format!("{name} is deleted.")))
        }
    }
}
