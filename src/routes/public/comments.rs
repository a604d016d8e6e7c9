use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use atom_syndication::{Content, Entry, Link, Person, Text};
use chrono::Duration;
use serde::Deserialize;

use super::feed::atom_response;
use super::post::{self, comments_open, CommentForm, CommentValues, Discussion};
use crate::auth::{signed_in_user, TypedSession};
use crate::comments::moderation::{self, Actor};
use crate::comments::policy::{self, Arrival};
use crate::comments::visitor::{FormPurpose, TokenProblem, Visitor};
use crate::content::Article;
use crate::db::comments::{Comment, NewComment};
use crate::db::{self, users::User};
use crate::domain::{AuthorName, CommentBody, CommentStatus, Email, WebsiteUrl};
use crate::error::AppError;
use crate::markdown;
use crate::state::AppState;

/// Approved comments in an article's comment feed.
const FEED_COMMENTS: i64 = 50;
const MAX_USER_AGENT_CHARS: usize = 500;

/// The comment form as sent.
#[derive(Deserialize)]
pub struct CommentSubmission {
    #[serde(flatten)]
    values: CommentValues,
    #[serde(default)]
    csrf_token: String,
    /// The hidden field people never see; bots fill it in.
    #[serde(default)]
    url: String,
}

/// `POST /posts/{slug}/comments`: a reader asks a question or replies.
/// Any problem shows the article again with everything they typed.
pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: TypedSession,
    slug: web::Path<String>,
    submission: web::Form<CommentSubmission>,
) -> Result<HttpResponse, AppError> {
    let author = signed_in_user(&state.pool, &session, state.settings.session_timeouts()).await?;
    let library = state.library();
    let article = library.get(&slug).ok_or(AppError::NotFound)?;
    let CommentSubmission { values, csrf_token, url: honeypot } = submission.into_inner();
    let existing_visitor = Visitor::existing(&request, &state.keys);
    // The cookie is decrypted once: a form without one still gets a visitor.
    let mut visitor = existing_visitor.clone().unwrap_or_else(Visitor::first_visit);
    let discussion = Discussion::load(&state, article.slug.clone(), &visitor).await?;
    let rules = &discussion.rules;

    // Every refusal shows the page again, with the text as typed.
    let refuse = |visitor: Visitor, values: CommentValues, refusal: Refusal| {
        let form = CommentForm { values, errors: Default::default(), message: Some(refusal.message().to_owned()) };
        let mut response =
            post::render(&state, &library, article, &discussion, visitor, author.as_ref(), form, refusal.status())?;
        if refusal == Refusal::TooFrequent {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
        }
        Ok(response)
    };

    if !comments_open(article, rules) {
        return refuse(visitor, values, Refusal::Closed);
    }
    let now = chrono::Utc::now();
    let issued = match existing_visitor
        .as_ref()
        .map(|v| v.verify_form_token(&state.keys, FormPurpose::Comment, &csrf_token, now.timestamp()))
    {
        Some(Ok(issued)) => issued,
        Some(Err(TokenProblem::Expired)) => return refuse(visitor, values, Refusal::FormExpired),
        Some(Err(TokenProblem::Invalid)) | None => return refuse(visitor, values, Refusal::FormUnconfirmed),
    };
    if let Some(author) = &author {
        return publish_as_author(&state, article, &discussion, visitor, author, values).await;
    }
    if now.timestamp() - issued < i64::from(rules.min_seconds_to_submit) {
        return refuse(visitor, values, Refusal::TooQuick);
    }

    let mut errors = std::collections::HashMap::new();
    let name = AuthorName::parse(&values.author_name).map_err(|e| errors.insert("author_name", e)).ok();
    let email = Email::parse(&values.author_email).map_err(|e| errors.insert("author_email", e)).ok();
    let website = WebsiteUrl::parse(&values.author_url).map_err(|e| errors.insert("author_url", e)).ok();
    let body = CommentBody::parse(&values.body).map_err(|e| errors.insert("body", e)).ok();
    let parent = parent_of(&values, &discussion).map_err(|e| errors.insert("parent_id", e));
    let (Some(name), Some(email), Some(website), Some(body), Ok(parent)) = (name, email, website, body, parent) else {
        let form = CommentForm::with_errors(values, errors);
        return post::render(
            &state,
            &library,
            article,
            &discussion,
            visitor,
            None,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };

    let ip_hash = state.keys.hash_ip(&state.client_ip(&request));
    let (recent, duplicate, returning) = {
        let (ip_hash, email, slug, text) =
            (ip_hash.clone(), email.as_str().to_owned(), article.slug.clone(), body.as_str().to_owned());
        let since = (now - Duration::minutes(1)).naive_utc();
        db::run(&state.pool, move |conn| {
            Ok((
                db::comments::count_from_ip_since(conn, &ip_hash, since)?,
                db::comments::is_duplicate(conn, &slug, &email, &text)?,
                db::comments::has_approved_from(conn, &email)?,
            ))
        })
        .await?
    };
    if recent >= i64::from(rules.rate_limit_per_minute) {
        return refuse(visitor, values, Refusal::TooFrequent);
    }
    if duplicate {
        return refuse(visitor, values, Refusal::Duplicate);
    }

    let decision = policy::decide(
        rules,
        &Arrival {
            author_name: name.as_str(),
            email: email.as_str(),
            url: website.as_ref().map(|w| w.as_str()),
            body: body.as_str(),
            ip_hash: &ip_hash,
            honeypot_filled: !honeypot.trim().is_empty(),
            returning,
        },
    );
    if let Some(reason) = decision.reason {
        tracing::info!(status = %decision.status, reason, "comment held or filtered");
    }
    let stamp = now.naive_utc();
    let new = NewComment {
        post_slug: article.slug.clone(),
        parent_id: parent.map(|p| p.id),
        depth: parent.map_or(0, |p| p.depth + 1),
        author_name: name.into_string(),
        author_email: email.into_string(),
        author_url: website.map(WebsiteUrl::into_string),
        user_id: None,
        body_html: markdown::render_comment(body.as_str()).into_string(),
        body_markdown: body.into_string(),
        status: decision.status.as_str().to_owned(),
        notify: values.notify.is_some(),
        ip_hash,
        user_agent: user_agent(&request),
        created_at: stamp,
        updated_at: stamp,
    };
    let id = db::run(&state.pool, move |conn| Ok(db::comments::insert(conn, &new)?)).await?;
    if decision.status != CommentStatus::Approved {
        // The commenter sees their comment as "awaiting moderation", whether
        // it waits for the author or was filtered as spam.
        visitor.remember_pending(id);
    }

    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, format!("/posts/{}#comment-{id}", article.slug)));
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.cookie(cookie);
    }
    Ok(response.finish())
}

/// Why a comment was refused before its fields were looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Closed,
    FormExpired,
    FormUnconfirmed,
    TooQuick,
    TooFrequent,
    Duplicate,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Self::Closed | Self::FormExpired | Self::FormUnconfirmed => StatusCode::FORBIDDEN,
            Self::TooQuick => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooFrequent => StatusCode::TOO_MANY_REQUESTS,
            Self::Duplicate => StatusCode::CONFLICT,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::Closed => "Comments are closed on this article. Your text is kept below so that you can copy it.",
            Self::FormExpired => {
                "This form was open too long to be accepted safely. Your text is kept below: please send it again."
            }
            Self::FormUnconfirmed => {
                "We could not confirm that this form came from this site (it may be too old, or cookies may be \
                 off). Your text is kept below: please send it again."
            }
            Self::TooQuick => "That was very quick. Please check your comment, then send it again.",
            Self::TooFrequent => {
                "You are posting too quickly. Please wait a minute, then send your comment again; your text is \
                 kept below."
            }
            Self::Duplicate => {
                "It looks as though you've already said that: the same comment from the same email is already \
                 on this article."
            }
        }
    }
}

/// The comment a submission answers: none, or an approved one of this article.
fn parent_of<'a>(values: &CommentValues, discussion: &'a Discussion) -> Result<Option<&'a Comment>, String> {
    match values.parent_id.trim() {
        "" => Ok(None),
        id => id.parse::<i32>().ok().and_then(|id| discussion.answerable(id)).map(Some).ok_or_else(|| {
            "The comment you were replying to is not available any more. Your text is kept below: \
             send it again to post it as a new comment."
                .to_owned()
        }),
    }
}

/// A signed-in author comments from the article page: published at once,
/// with the author badge, approving the comment it answers.
async fn publish_as_author(
    state: &AppState,
    article: &Article,
    discussion: &Discussion,
    visitor: Visitor,
    author: &User,
    values: CommentValues,
) -> Result<HttpResponse, AppError> {
    let mut errors = std::collections::HashMap::new();
    let body = CommentBody::parse(&values.body).map_err(|e| errors.insert("body", e)).ok();
    let parent = parent_of(&values, discussion).map_err(|e| errors.insert("parent_id", e));
    let (Some(body), Ok(parent)) = (body, parent) else {
        let form = CommentForm::with_errors(values, errors);
        let library = state.library();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return post::render(state, &library, article, discussion, visitor, Some(author), form, status);
    };
    let actor = Actor { user_id: author.id, name: author.display_name.clone() };
    let (slug, parent) = (article.slug.clone(), parent.cloned());
    let id = db::run(&state.pool, move |conn| moderation::author_comment(conn, &actor, &slug, parent.as_ref(), &body))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/posts/{}#comment-{id}", article.slug)))
        .finish())
}

fn user_agent(request: &HttpRequest) -> String {
    let agent = request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    agent.chars().take(MAX_USER_AGENT_CHARS).collect()
}

/// `GET /posts/{slug}/comments.xml`: the article's approved comments as Atom.
pub async fn feed(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let article = library.get(&slug).ok_or(AppError::NotFound)?;
    let slug = article.slug.clone();
    let comments =
        db::run(&state.pool, move |conn| Ok(db::comments::latest_approved(conn, &slug, FEED_COMMENTS)?)).await?;
    Ok(atom_response(comment_feed(&state, article, &comments)))
}

fn comment_feed(state: &AppState, article: &Article, comments: &[db::comments::Comment]) -> String {
    let page = format!("{}/posts/{}", state.base_url(), article.slug);
    let entries: Vec<Entry> = comments
        .iter()
        .map(|comment| {
            let link = format!("{page}#comment-{}", comment.id);
            let when = atom_syndication::FixedDateTime::from(comment.created_at.and_utc());
            let mut entry = Entry::default();
            entry.set_id(link.clone());
            entry.set_title(format!("{} on “{}”", comment.author_name, article.title));
            entry.set_links(vec![Link { href: link, ..Link::default() }]);
            // The name only: a commenter's email never leaves the desk.
            entry.set_authors(vec![Person { name: comment.author_name.clone(), ..Person::default() }]);
            entry.set_published(Some(when));
            entry.set_updated(comment.edited_at.map_or(when, |e| atom_syndication::FixedDateTime::from(e.and_utc())));
            entry.set_content(Some(Content {
                value: Some(comment.body_html.clone()),
                content_type: Some("html".into()),
                ..Content::default()
            }));
            entry
        })
        .collect();
    let updated =
        entries.iter().map(|e| *e.updated()).max().unwrap_or_else(|| super::feed::timestamp(article.modified()));
    let mut feed = atom_syndication::Feed::default();
    feed.set_id(format!("{page}/comments.xml"));
    feed.set_title(format!("Comments on “{}”", article.title));
    feed.set_subtitle(Some(Text::plain(state.settings.site.title.clone())));
    feed.set_updated(updated);
    feed.set_links(vec![
        Link {
            href: format!("{page}/comments.xml"),
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Link::default()
        },
        Link { href: page, mime_type: Some("text/html".into()), ..Link::default() },
    ]);
    feed.set_entries(entries);
    feed.to_string()
}
