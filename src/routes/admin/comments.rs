use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use tera::Context;

use anyhow::Context as _;

use super::{age, AdminForm, Desk};
use crate::comments::discussion;
use crate::comments::moderation::{self, Action};
use crate::comments::private::{self, AnonymiseError, PRIVATE_ANSWER_SENT};
use crate::comments::{self, Refusal, Submission, SubmitError, Writer};
use crate::content::Library;
use crate::db::{self, comments::Comment};
use crate::domain::{CommentBody, CommentId, CommentStatus, MAX_BODY_CHARS};
use crate::error::AppError;
use crate::markdown::SafeHtml;
use crate::routes::encode_query_value;
use crate::routes::pagination::Pagination;
use crate::state::AppState;
use crate::trust::personal::{self, Finding};
use crate::trust::red_flags::RedFlags;

/// What the desk's rows are checked with: the red-flag rules, and the
/// readers' country for personal details.
pub struct Trust<'a> {
    pub red_flags: &'a RedFlags,
    pub country: &'a str,
    /// The site's time zone, for the times shown.
    pub zone: chrono_tz::Tz,
}

impl<'a> Trust<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Self { red_flags: &state.red_flags, country: &state.settings.trust.country, zone: state.zone }
    }
}

const PER_PAGE: i64 = 20;
const EXCERPT_CHARS: usize = 120;

/// A comment as the desk shows it: everything, email and address hash included.
#[derive(Serialize)]
pub struct Row {
    id: CommentId,
    status: CommentStatus,
    author_name: String,
    author_email: String,
    author_url: Option<String>,
    by_author: bool,
    ip_prefix: String,
    user_agent: String,
    article_slug: String,
    article_title: String,
    /// Where the comment is shown, on its page of the discussion.
    href: String,
    in_reply_to: Option<ParentExcerpt>,
    body: SafeHtml,
    edited: bool,
    age: String,
    created: String,
    /// `created` as a valid `<time datetime>`.
    created_iso: String,
    /// The emergency signs it showed, until the author has seen to it.
    urgent: Vec<String>,
    /// "Consent v… given 2026-12-06 14:03 UTC through the comment form".
    consent: Option<String>,
    /// Personal details its text shows (a reader's comment only).
    personal: Vec<Finding>,
    /// When the author removed personal details from it.
    redacted: bool,
}

#[derive(Serialize)]
struct ParentExcerpt {
    id: CommentId,
    author_name: String,
    excerpt: String,
}

/// Rows for `comments`, with excerpts of their `parents` and links to where
/// they are shown (`discussion::comment_paths`); without a path, a link
/// that the article answers by sending the reader on to the right page.
pub fn rows(
    library: &Library,
    trust: &Trust,
    comments: &[Comment],
    parents: &[Comment],
    paths: &HashMap<CommentId, String>,
) -> Vec<Row> {
    let parents: HashMap<CommentId, &Comment> = parents.iter().map(|p| (p.id, p)).collect();
    comments
        .iter()
        .map(|c| Row {
            id: c.id,
            status: c.status,
            author_name: c.author_name.clone(),
            author_email: c.author_email.clone(),
            author_url: c.author_url.clone(),
            by_author: c.is_by_author(),
            ip_prefix: c.ip_hash.chars().take(8).collect(),
            user_agent: c.user_agent.clone(),
            article_title: library.discussed(&c.post_slug).map_or_else(|| c.post_slug.clone(), |a| a.title.clone()),
            article_slug: c.post_slug.clone(),
            href: if c.status == CommentStatus::Private {
                // On no page of the discussion: its article, then.
                format!("/posts/{}", c.post_slug)
            } else {
                paths.get(&c.id).cloned().unwrap_or_else(|| format!("/posts/{}?comment={}", c.post_slug, c.id))
            },
            in_reply_to: c.parent_id.and_then(|id| parents.get(&id)).map(|p| ParentExcerpt {
                id: p.id,
                author_name: p.author_name.clone(),
                excerpt: excerpt(&crate::markdown::text_of_comment(&p.body_markdown)),
            }),
            body: c.body_html.clone(),
            edited: c.edited_at.is_some(),
            age: age(c.created_at),
            created: crate::content::desk_time(c.created_at, trust.zone),
            created_iso: c.created_at.format("%Y-%m-%dT%H:%MZ").to_string(),
            urgent: c
                .urgent
                .iter()
                .flat_map(|ids| ids.split(','))
                .map(|id| trust.red_flags.rule(id).map_or_else(|| id.to_owned(), |(title, _)| title.to_owned()))
                .collect(),
            consent: c.consent_version.as_ref().map(|version| {
                let at = c.consent_at.map(|at| at.format(" %Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
                let how = c.consent_method.as_deref().map(|how| format!(" through the {how}")).unwrap_or_default();
                format!("Consent (wording {version}) given{at}{how}")
            }),
            // A private question is published only as the author rewrites it.
            personal: if c.is_by_author() || c.erased_at.is_some() || c.status == CommentStatus::Private {
                Vec::new()
            } else {
                personal::find(&c.body_markdown, &c.author_name, trust.country)
            },
            redacted: c.redacted_at.is_some(),
        })
        .collect()
}

fn excerpt(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > EXCERPT_CHARS {
        format!("{}…", flat.chars().take(EXCERPT_CHARS).collect::<String>())
    } else {
        flat
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<usize>,
    q: Option<String>,
}

#[derive(Serialize)]
struct Tab {
    status: &'static str,
    label: &'static str,
    count: i64,
    current: bool,
}

/// `GET /admin/comments?status=pending|approved|spam|trash|private&q=&page=`.
pub async fn list(desk: Desk, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let status: CommentStatus = query.status.as_deref().unwrap_or("pending").parse().map_err(|_| AppError::NotFound)?;
    let page = query.page.unwrap_or(1).clamp(1, super::MAX_PAGE);
    let search = query.q.clone().unwrap_or_default().trim().chars().take(200).collect::<String>();
    let offset = (page as i64 - 1) * PER_PAGE;
    let (comments, total, counts, parents, paths, saved_replies) = {
        let search = search.clone();
        db::run(&desk.state.pool, move |conn| {
            let (comments, total) = db::comments::moderation_page(conn, status, &search, offset, PER_PAGE)?;
            let counts = db::comments::status_counts(conn)?;
            let parents = db::comments::parents_of(conn, &comments)?;
            let rules = discussion::load_rules(conn)?;
            let paths = discussion::comment_paths(conn, &comments, &rules)?;
            let saved_replies = super::replies::choices(conn)?;
            Ok((comments, total, counts, parents, paths, saved_replies))
        })
        .await
        .context("loading the moderation queue")?
    };
    let library = desk.state.library();
    let tabs: Vec<Tab> = [
        (CommentStatus::Pending, "Pending"),
        (CommentStatus::Approved, "Approved"),
        (CommentStatus::Spam, "Spam"),
        (CommentStatus::Trash, "Trash"),
        (CommentStatus::Private, "Private"),
    ]
    .into_iter()
    .map(|(s, label)| Tab {
        status: s.as_str(),
        label,
        count: counts.get(&s).copied().unwrap_or(0),
        current: s == status,
    })
    .collect();
    let pages = (total as usize).div_ceil(PER_PAGE as usize).max(1);
    let link = |n: usize| {
        let mut url = format!("/admin/comments?status={status}&page={n}");
        if !search.is_empty() {
            url.push_str(&format!("&q={}", encode_query_value(&search)));
        }
        url
    };
    let mut return_to = link(page);
    if page > pages {
        return_to = link(pages);
    }

    let mut context = Context::new();
    context.insert("tabs", &tabs);
    context.insert("status", status.as_str());
    context.insert("search", &search);
    context.insert("total", &total);
    context.insert("rows", &rows(&library, &Trust::of(&desk.state), &comments, &parents, &paths));
    context.insert("pagination", &Pagination::new(page, pages, link).labelled("Newer comments", "Older comments"));
    context.insert("saved_replies", &saved_replies);
    context.insert("return_to", &return_to);
    desk.render("admin/comments.html", "Comments", context)
}

/// `POST /admin/comments/{id}/moderate` with `action`: one comment.
pub async fn moderate(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let action = form.get("action").and_then(Action::parse).ok_or(AppError::NotFound)?;
    let (actor, id) = (desk.user.actor(), id.into_inner());
    let changed =
        desk.state.write(move |conn| moderation::apply(conn, &actor, action, id)).await.map_err(AppError::NotStored)?;
    let return_to = form.return_to("/admin/comments");
    if !changed {
        let message = format!("Comment {id} was not changed: it could not be {}.", action.done());
        return Ok(desk.redirect(&return_to, &message));
    }
    let message = format!("Comment {id} {}.", action.done());
    if action != Action::Approve {
        return Ok(desk.redirect(&return_to, &message));
    }
    // An approved comment is on the page now: say where.
    let path = db::run(&desk.state.pool, move |conn| {
        let comment = db::comments::find(conn, id)?.context("the comment went away")?;
        let rules = discussion::load_rules(conn)?;
        discussion::comment_path(conn, &comment.post_slug, id, &rules)
    })
    .await;
    match path {
        Ok(path) => Ok(desk.redirect_with_link(&return_to, &message, "View it on the page", &path)),
        Err(_) => Ok(desk.redirect(&return_to, &message)),
    }
}

/// `POST /admin/comments/bulk` with `action` and the checked `ids`.
pub async fn bulk(desk: Desk, form: AdminForm) -> Result<HttpResponse, AppError> {
    let return_to = form.return_to("/admin/comments");
    let Some(action) = form.get("bulk_action").and_then(Action::parse) else {
        return Ok(desk.redirect(&return_to, "Choose an action for the checked comments."));
    };
    let ids: Vec<CommentId> = form.all("ids").filter_map(|id| id.parse().ok()).collect();
    if ids.is_empty() {
        return Ok(desk.redirect(&return_to, "Check the comments to act on first."));
    }
    let actor = desk.user.actor();
    let changed = desk
        .state
        .write(move |conn| {
            let mut changed = 0;
            for id in ids {
                changed += usize::from(moderation::apply(conn, &actor, action, id)?);
            }
            anyhow::Ok(changed)
        })
        .await
        .map_err(AppError::NotStored)?;
    let message = format!("{changed} comment{} {}.", if changed == 1 { "" } else { "s" }, action.done());
    Ok(desk.redirect(&return_to, &message))
}

/// `POST /admin/comments/{id}/seen-to`: the author saw to an urgent
/// comment; its mark is cleared (and logged).
pub async fn seen_to(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let (actor, id) = (desk.user.actor(), id.into_inner());
    let cleared =
        desk.state.write(move |conn| moderation::clear_urgent(conn, &actor, id)).await.map_err(AppError::NotStored)?;
    let message = if cleared {
        format!("Comment {id} is no longer marked urgent.")
    } else {
        format!("Comment {id} was not marked urgent.")
    };
    Ok(desk.redirect(&form.return_to("/admin/comments"), &message))
}

/// `POST /admin/comments/{id}/redact`: every personal detail found in the
/// comment becomes "[removed]", and "Edited to remove personal details" is
/// shown under it.
pub async fn redact(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let comment = find_comment(&desk.state, id.into_inner()).await?;
    let (actor, country) = (desk.user.actor(), desk.state.settings.trust.country.clone());
    let id = comment.id;
    let removed = desk
        .state
        .write(move |conn| moderation::redact(conn, &actor, &comment, &country))
        .await
        .map_err(AppError::NotStored)?;
    let message = if removed {
        format!("Personal details removed from comment {id}.")
    } else {
        format!("Comment {id} shows no personal details to remove.")
    };
    Ok(desk.redirect(&form.return_to("/admin/comments"), &message))
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    return_to: Option<String>,
}

async fn find_comment(state: &AppState, id: CommentId) -> Result<Comment, AppError> {
    db::run(&state.pool, move |conn| Ok(db::comments::find(conn, id)?))
        .await
        .with_context(|| format!("loading comment {id}"))?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/comments/{id}/edit`.
pub async fn edit_form(
    desk: Desk,
    id: web::Path<CommentId>,
    query: web::Query<ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let comment = find_comment(&desk.state, id.into_inner()).await?;
    let return_to = super::safe_return_path(query.return_to.as_deref()).unwrap_or_else(|| "/admin/comments".into());
    let page = TextBox::editing(&comment.body_markdown, None, &return_to, StatusCode::OK);
    text_box_page(&desk, &comment, page)
}

/// `POST /admin/comments/{id}/edit` with `body`: the text is rendered and
/// cleaned again, and the comment is marked edited.
pub async fn edit(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let comment = find_comment(&desk.state, id.into_inner()).await?;
    let return_to = form.return_to("/admin/comments");
    let text = form.text("body");
    let body = match CommentBody::parse(&text) {
        Ok(body) => body,
        Err(message) => {
            let page = TextBox::editing(&text, Some(&message), &return_to, StatusCode::UNPROCESSABLE_ENTITY);
            return text_box_page(&desk, &comment, page);
        }
    };
    let (actor, id, stored) = (desk.user.actor(), comment.id, comment.clone());
    let saved = desk.state.write(move |conn| moderation::edit(conn, &actor, &stored, &body)).await;
    if let Err(error) = saved {
        tracing::error!(error = format!("{error:#}"), "an edit could not be stored");
        let page = TextBox::editing(&text, Some(NOT_STORED), &return_to, StatusCode::SERVICE_UNAVAILABLE);
        return text_box_page(&desk, &comment, page);
    }
    Ok(desk.redirect(&return_to, &format!("Comment {id} saved.")))
}

/// `POST /admin/comments/{id}/reply` with `body`: the author answers; the
/// reply is approved at once and approves a pending parent.
pub async fn reply(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let parent = find_comment(&desk.state, id.into_inner()).await?;
    let return_to = form.return_to("/admin/comments");
    let mut text = form.text("body");
    let helps = answer_helps(&desk, &parent).await?;
    if let Some(insert) = form.get("insert") {
        // "Insert": the page comes back with the text put under what was
        // typed, and nothing is published.
        let inserted = insert_into_answer(&desk, insert, &text, form.get("saved_reply")).await?;
        let error = match inserted {
            Ok(with_insert) => {
                text = with_insert;
                None
            }
            Err(message) => Some(message),
        };
        let page = TextBox {
            template: "admin/reply.html",
            title: "Answer a comment",
            text: &text,
            error,
            return_to: &return_to,
            status: if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
            personal: Vec::new(),
        };
        return text_box_page_with(&desk, &parent, page, helps);
    }
    // The typed answer is kept, in a page of its own, whatever goes wrong.
    let answer_again = |error: &str, status| {
        let page = TextBox {
            template: "admin/reply.html",
            title: "Answer a comment",
            text: &text,
            error: Some(error),
            return_to: &return_to,
            status,
            personal: Vec::new(),
        };
        text_box_page_with(&desk, &parent, page, helps.clone())
    };
    let body = match CommentBody::parse(&text) {
        Ok(body) => body,
        Err(message) => return answer_again(&message, StatusCode::UNPROCESSABLE_ENTITY),
    };
    // A public answer that shows a reader's details, or that they are his
    // patient, discloses them: said before it is published, never refused.
    // A private answer goes to the asker alone.
    let private = parent.status == CommentStatus::Private;
    let found = if private { Vec::new() } else { personal::find_in_answer(&text, &desk.state.settings.trust.country) };
    if !found.is_empty() && form.get("personal") != Some("keep") {
        let page = TextBox {
            template: "admin/reply.html",
            title: "Answer a comment",
            text: &text,
            error: Some(BEFORE_PUBLISHING),
            return_to: &return_to,
            status: StatusCode::UNPROCESSABLE_ENTITY,
            personal: found,
        };
        return text_box_page_with(&desk, &parent, page, helps.clone());
    }
    let library = desk.state.library();
    let Some(article) = library.discussed(&parent.post_slug) else {
        return answer_again("The article of this comment is not published any more.", StatusCode::CONFLICT);
    };
    let submission = Submission { parent: Some(parent.id), body, writer: Writer::Staff(desk.user.actor()) };
    let (held, outlines, slug) = (library.clone(), desk.state.outlines(), article.slug.clone());
    let outcome = desk
        .state
        .write(move |conn| comments::store_comment(conn, &held, &outlines, &slug, submission, db::now()))
        .await;
    let stored = match outcome {
        Ok(stored) => stored,
        Err(SubmitError::Refused(refusal)) => {
            let status = match refusal {
                Refusal::ParentUnavailable | Refusal::ParentNotRestored => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::CONFLICT,
            };
            return answer_again(refusal.message(), status);
        }
        Err(SubmitError::NotStored(error)) => {
            tracing::error!(error = format!("{error:#}"), "an answer could not be stored");
            return answer_again(NOT_STORED, StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    if stored.status == CommentStatus::Private {
        return Ok(desk.redirect(&return_to, PRIVATE_ANSWER_SENT));
    }
    let (slug, id) = (article.slug.clone(), stored.id);
    let path = db::run(&desk.state.pool, move |conn| {
        let rules = discussion::load_rules(conn)?;
        discussion::comment_path(conn, &slug, id, &rules)
    })
    .await
    .unwrap_or_else(|_| format!("/posts/{}#comment-{id}", article.slug));
    Ok(desk.redirect_with_link(&return_to, "Your answer is published.", "View it on the page", &path))
}

/// Shown above an answer that shows personal details.
const BEFORE_PUBLISHING: &str = "Before this is public: your answer shows what is listed below. A public reply that \
                                 shows a reader's details, or that they are your patient, discloses it. Edit the \
                                 text, or publish it as written.";

/// Shown above the kept text when the database did not store it.
const NOT_STORED: &str = "Your text could not be saved: the site cannot store anything right now. Nothing was \
                          published. Your text is kept below: try again in a few minutes.";

/// A page with one comment and a text box: editing it, or answering it.
struct TextBox<'a> {
    template: &'static str,
    title: &'static str,
    text: &'a str,
    error: Option<&'a str>,
    return_to: &'a str,
    status: StatusCode,
    /// Personal details found in an answer, for the author to confirm.
    personal: Vec<Finding>,
}

impl<'a> TextBox<'a> {
    fn editing(text: &'a str, error: Option<&'a str>, return_to: &'a str, status: StatusCode) -> Self {
        Self {
            template: "admin/edit.html",
            title: "Edit comment",
            text,
            error,
            return_to,
            status,
            personal: Vec::new(),
        }
    }
}

/// `GET /admin/comments/{id}/reply`: the answer box on a page of its own,
/// with the saved replies and the author's earlier answers to similar
/// questions.
pub async fn reply_form(
    desk: Desk,
    id: web::Path<CommentId>,
    query: web::Query<ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let comment = find_comment(&desk.state, id.into_inner()).await?;
    let return_to = super::safe_return_path(query.return_to.as_deref()).unwrap_or_else(|| "/admin/comments".into());
    let helps = answer_helps(&desk, &comment).await?;
    let page = TextBox {
        template: "admin/reply.html",
        title: "Answer a comment",
        text: "",
        error: None,
        return_to: &return_to,
        status: StatusCode::OK,
        personal: Vec::new(),
    };
    text_box_page_with(&desk, &comment, page, helps)
}

/// An earlier answer of the author's to a question like this one.
#[derive(Serialize)]
struct SimilarAnswer {
    question: String,
    answer: String,
    answer_id: CommentId,
    href: String,
}

/// What helps the author answer `comment`: his saved replies, and his
/// earlier answers to similar questions.
async fn answer_helps(desk: &Desk, comment: &Comment) -> Result<Context, AppError> {
    let (question, question_id) = (comment.body_markdown.clone(), comment.id);
    let (choices, similar) = db::run(&desk.state.pool, move |conn| {
        let choices = super::replies::choices(conn)?;
        let answered = db::answers::answered_questions(conn)?;
        let similar: Vec<SimilarAnswer> = crate::answers::similar(&question, question_id, &answered)
            .into_iter()
            .map(|earlier| SimilarAnswer {
                question: excerpt(&crate::markdown::text_of_comment(&earlier.question)),
                answer: excerpt(&crate::markdown::text_of_comment(&earlier.answer)),
                answer_id: earlier.answer_id,
                href: format!("/posts/{}#comment-{}", earlier.post_slug, earlier.answer_id),
            })
            .collect();
        Ok((choices, similar))
    })
    .await
    .context("loading the saved replies and similar answers")?;
    let mut context = Context::new();
    context.insert("saved_replies", &choices);
    context.insert("similar", &similar);
    Ok(context)
}

/// The answer box's text after its "Insert" button `insert`: a saved reply
/// (`saved_reply`), or a link to an earlier answer (`answer-{id}`), put
/// under `typed`; or why nothing was inserted.
pub async fn insert_into_answer(
    desk: &Desk,
    insert: &str,
    typed: &str,
    saved_reply: Option<&str>,
) -> Result<Result<String, &'static str>, AppError> {
    let (insert, typed, saved_reply) = (insert.to_owned(), typed.to_owned(), saved_reply.map(str::to_owned));
    let settings = desk.state.settings.answers.clone();
    let inserted = db::run(&desk.state.pool, move |conn| {
        if let Some(id) = insert.strip_prefix("answer-") {
            let answer = id.parse::<CommentId>().ok().map(|id| db::comments::find(conn, id)).transpose()?.flatten();
            return Ok(match answer {
                Some(answer) if answer.is_by_author() && answer.status == CommentStatus::Approved => {
                    Ok(crate::answers::append(&typed, &crate::answers::link_to_answer(&answer.post_slug, answer.id)))
                }
                _ => Err("That answer is not on the site any more."),
            });
        }
        super::replies::insert_saved(conn, &settings, &typed, saved_reply.as_deref())
    })
    .await
    .context("inserting into an answer")?;
    Ok(inserted)
}

fn text_box_page(desk: &Desk, comment: &Comment, page: TextBox) -> Result<HttpResponse, AppError> {
    text_box_page_with(desk, comment, page, Context::new())
}

fn text_box_page_with(desk: &Desk, comment: &Comment, page: TextBox, extra: Context) -> Result<HttpResponse, AppError> {
    let library = desk.state.library();
    let mut context = extra;
    context.insert(
        "row",
        &rows(&library, &Trust::of(&desk.state), std::slice::from_ref(comment), &[], &HashMap::new()).pop(),
    );
    context.insert("text", page.text);
    context.insert("error", &page.error);
    context.insert("return_to", page.return_to);
    context.insert("max_body_chars", &MAX_BODY_CHARS);
    context.insert("found", &page.personal);
    let mut response = desk.render(page.template, page.title, context)?;
    *response.status_mut() = page.status;
    Ok(response)
}

/// The anonymised exchange being written from a private question.
struct Anonymising<'a> {
    question: &'a str,
    answer: &'a str,
    errors: HashMap<&'static str, String>,
    /// What in the texts could still tell who asked, for the author to
    /// confirm.
    found: Vec<Finding>,
    status: StatusCode,
}

fn anonymise_page(desk: &Desk, original: &Comment, page: Anonymising) -> Result<HttpResponse, AppError> {
    let library = desk.state.library();
    let mut context = Context::new();
    context.insert(
        "row",
        &rows(&library, &Trust::of(&desk.state), std::slice::from_ref(original), &[], &HashMap::new()).pop(),
    );
    context.insert("question", page.question);
    context.insert("answer", page.answer);
    context.insert("errors", &page.errors);
    context.insert("found", &page.found);
    context.insert("anonymous_name", private::ANONYMOUS_NAME);
    context.insert("max_body_chars", &MAX_BODY_CHARS);
    context.insert("return_to", "/admin/comments?status=private");
    let mut response = desk.render("admin/anonymise.html", "Publish an anonymised version", context)?;
    *response.status_mut() = page.status;
    Ok(response)
}

/// The private question `id` (a reader's, not erased), or 404.
async fn find_private_question(state: &AppState, id: CommentId) -> Result<Comment, AppError> {
    let comment = find_comment(state, id).await?;
    let question = comment.status == CommentStatus::Private && !comment.is_by_author() && comment.erased_at.is_none();
    question.then_some(comment).ok_or(AppError::NotFound)
}

/// `GET /admin/comments/{id}/anonymise`: the private question's text and
/// the author's private answer, to edit into a public exchange.
pub async fn anonymise_form(desk: Desk, id: web::Path<CommentId>) -> Result<HttpResponse, AppError> {
    let original = find_private_question(&desk.state, id.into_inner()).await?;
    let asked = original.id;
    let answers = db::run(&desk.state.pool, move |conn| Ok(db::comments::private_answers(conn, &[asked])?))
        .await
        .with_context(|| format!("loading the answers to private question {asked}"))?;
    let answer = answers.last().map(|a| a.body_markdown.clone()).unwrap_or_default();
    let found = personal::find(&original.body_markdown, &original.author_name, &desk.state.settings.trust.country);
    let page = Anonymising {
        question: &original.body_markdown,
        answer: &answer,
        errors: HashMap::new(),
        found,
        status: StatusCode::OK,
    };
    anonymise_page(&desk, &original, page)
}

/// `POST /admin/comments/{id}/anonymise` with `question` and `answer`: a new
/// public question by "A reader" and the author's answer under the same
/// article; the original stays private. Personal details still in the
/// texts are shown first (a warning, not a refusal).
pub async fn anonymise(desk: Desk, id: web::Path<CommentId>, form: AdminForm) -> Result<HttpResponse, AppError> {
    let original = find_private_question(&desk.state, id.into_inner()).await?;
    let (question_text, answer_text) = (form.text("question"), form.text("answer"));
    let again = |errors: HashMap<&'static str, String>, found: Vec<Finding>, status| {
        let page = Anonymising { question: &question_text, answer: &answer_text, errors, found, status };
        anonymise_page(&desk, &original, page)
    };
    let mut errors = HashMap::new();
    let question = CommentBody::parse(&question_text).map_err(|e| errors.insert("question", e)).ok();
    let answer = CommentBody::parse(&answer_text).map_err(|e| errors.insert("answer", e)).ok();
    let (Some(question), Some(answer)) = (question, answer) else {
        return again(errors, Vec::new(), StatusCode::UNPROCESSABLE_ENTITY);
    };
    let country = &desk.state.settings.trust.country;
    let mut found = personal::find(question.as_str(), &original.author_name, country);
    found.extend(personal::find_in_answer(answer.as_str(), country));
    if !found.is_empty() && form.get("personal") != Some("keep") {
        errors.insert("question", BEFORE_PUBLISHING_ANONYMISED.to_owned());
        return again(errors, found, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (actor, asked) = (desk.user.actor(), original.id);
    let outcome = desk
        .state
        .write(move |conn| private::publish_anonymised(conn, &actor, asked, &question, &answer, db::now()))
        .await;
    let published = match outcome {
        Ok(published) => published,
        Err(AnonymiseError::NotPrivate) => return Err(AppError::NotFound),
        Err(AnonymiseError::NotStored(error)) => {
            tracing::error!(error = format!("{error:#}"), "an anonymised version could not be stored");
            errors.insert("question", NOT_STORED.to_owned());
            return again(errors, Vec::new(), StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    let slug = original.post_slug.clone();
    let path = db::run(&desk.state.pool, move |conn| {
        let rules = discussion::load_rules(conn)?;
        discussion::comment_path(conn, &slug, published.question, &rules)
    })
    .await
    .unwrap_or_else(|_| format!("/posts/{}#comment-{}", original.post_slug, published.question));
    let message = "The anonymised question and your answer are published. The original stays private.";
    Ok(desk.redirect_with_link("/admin/comments?status=private", message, "View it on the page", &path))
}

/// Shown above an anonymised version that still shows personal details.
const BEFORE_PUBLISHING_ANONYMISED: &str = "Before this is public: the texts still show what is listed below, which \
                                            could tell who asked. Edit them, or publish as written.";
