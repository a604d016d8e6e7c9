use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;
use atom_syndication::{Content, Entry, Link, Person, Text};
use serde::Deserialize;

use super::feed::atom_response;
use super::post::{self, CommentForm, CommentValues};
use super::private;
use crate::auth::{signed_in_user, TypedSession};
use crate::comments::discussion::load_rules;
use crate::comments::moderation::Actor;
use crate::comments::outlines;
use crate::comments::pages::Outline;
use crate::comments::remembered::RememberedCommenter;
use crate::comments::submit::{FormTicket, Reader};
use crate::comments::visitor::{FormPurpose, TokenProblem, Visitor};
use crate::comments::{self, Refusal, Stored, Submission, SubmitError, Writer};
use crate::content::{Article, ArticleKind, Library};
use crate::db::{self, users::User};
use crate::domain::{AuthorName, CommentBody, CommentId, CommentStatus, Email, WebsiteUrl};
use crate::error::AppError;
use crate::routes::cached_pages;
use crate::routes::notice::{self, Notice};
use crate::state::AppState;
use crate::trust::personal;
use crate::trust::red_flags::RedFlags;

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
    /// The signed-in author's "Insert" button: a saved reply into his answer.
    #[serde(default)]
    insert: Option<String>,
    #[serde(default)]
    saved_reply: Option<String>,
}

/// `POST /posts/{slug}/comments`: a reader asks a question or replies, or
/// a signed-in author answers. Any problem shows the article again with
/// everything they typed.
pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: TypedSession,
    slug: web::Path<String>,
    submission: web::Form<CommentSubmission>,
) -> Result<HttpResponse, AppError> {
    // Until a comment is published, the shared pages stay as they are.
    cached_pages::leaves_shared_pages(&request);
    let library = state.library();
    let Some(article) = library.discussed(&slug) else {
        return article_missing(&state, &request, submission.into_inner().values.body);
    };
    let author = signed_in_user(&state.pool, &session, state.settings.session_timeouts())
        .await
        .context("finding who is signed in")?;
    let CommentSubmission { values, csrf_token, url: honeypot, insert, saved_reply } = submission.into_inner();
    let (visitor, issued_at) = checked_visitor(&state, &request, &csrf_token);
    let answer = Answer { state: &state, library: &library, article, author: author.as_ref() };
    let issued_at = match issued_at {
        Ok(issued_at) => issued_at,
        Err(refusal) => return answer.refusal(visitor, values, refusal).await,
    };
    if let (Some(_), Some(_)) = (&author, &insert) {
        return answer.with_saved_reply(visitor, values, saved_reply).await;
    }
    let values = match screen_personal(&state, author.as_ref(), values) {
        Ok(values) => values,
        Err(form) => return answer.page(visitor, *form, UNPROCESSABLE).await,
    };
    let sender = Sender::of(&state, &request, &honeypot);
    let checks = Checks { require_consent: state.settings.trust.require_consent, red_flags: &state.red_flags };
    let ticket = FormTicket { token: csrf_token, issued_at };
    let submission = match parse(&values, author.as_ref(), ticket, sender, &checks) {
        Ok(submission) => submission,
        Err(errors) => return answer.page(visitor, CommentForm::with_errors(values, errors), UNPROCESSABLE).await,
    };
    let written = Written::of(&submission, &values);
    let (held, outlines, now) = (library.clone(), state.outlines(), db::now());
    let slug = article.slug.clone();
    match state.write(move |conn| comments::store_comment(conn, &held, &outlines, &slug, submission, now)).await {
        Ok(stored) => answer.stored(&request, &session, visitor, stored, written).await,
        Err(SubmitError::Refused(refusal)) => answer.refusal(visitor, values, refusal).await,
        Err(SubmitError::NotStored(error)) => {
            let error = error.context(format!("storing a comment on {}", article.slug));
            answer.not_stored(visitor, values, error).await
        }
    }
}

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The article is not on this instance (perhaps another one behind the load
/// balancer showed the form of an article this one does not have yet): the
/// text is kept.
fn article_missing(state: &AppState, request: &HttpRequest, body: String) -> Result<HttpResponse, AppError> {
    let notice = Notice {
        title: "This article is not available".into(),
        message: "Your comment was not posted: the article is not on this site right now (it may have been \
                  published or taken down a moment ago). Your text is kept below: copy it, and try again in a \
                  minute."
            .into(),
        kept_text: Some(body),
        ..Notice::default()
    };
    notice::render(state, request, StatusCode::NOT_FOUND, notice)
}

/// The visitor the form came from (the cookie is decrypted once: a form
/// without one still gets a visitor), and when their form was issued, or
/// why the form is refused.
fn checked_visitor(state: &AppState, request: &HttpRequest, token: &str) -> (Visitor, Result<i64, Refusal>) {
    let existing = Visitor::existing(request, &state.keys);
    let now = chrono::Utc::now().timestamp();
    let issued_at = match existing.as_ref().map(|v| v.verify_form_token(&state.keys, FormPurpose::Comment, token, now))
    {
        Some(Ok(issued)) => Ok(issued),
        Some(Err(TokenProblem::Expired)) => Err(Refusal::FormExpired),
        Some(Err(TokenProblem::Invalid)) | None => Err(Refusal::FormUnconfirmed),
    };
    (existing.unwrap_or_else(Visitor::first_visit), issued_at)
}

/// Personal details in the text (and, in the author's answer, words that
/// say the reader is his patient): shown before anything is stored, to
/// remove (here, for them) or to keep as written. The values to go on
/// with, or the form to show again.
fn screen_personal(
    state: &AppState,
    author: Option<&User>,
    mut values: CommentValues,
) -> Result<CommentValues, Box<CommentForm>> {
    let country = &state.settings.trust.country;
    let found = match author {
        // Nobody but the author reads a private question: nothing to warn of.
        None if values.private.is_some() => Vec::new(),
        None => personal::find(&values.body, &values.author_name, country),
        Some(_) => personal::find_in_answer(&values.body, country),
    };
    match values.personal.as_deref() {
        Some("remove") => values.body = personal::redact(&values.body, &found),
        Some("keep") => {}
        _ if !found.is_empty() => {
            let message = if author.is_some() { ANSWER_SHOWS_DETAILS } else { PERSONAL_FOUND };
            return Err(Box::new(CommentForm {
                values,
                errors: HashMap::new(),
                message: Some(message.to_owned()),
                personal: found,
            }));
        }
        _ => {}
    }
    Ok(values)
}

/// What the answer to a stored comment needs to know of what was sent.
struct Written {
    /// What "Save my name, email and website" keeps: the details as parsed.
    to_remember: Option<RememberedCommenter>,
    by_reader: bool,
    answering: bool,
}

impl Written {
    fn of(submission: &Submission, values: &CommentValues) -> Self {
        let to_remember = match &submission.writer {
            Writer::Reader(reader) if values.remember.is_some() => Some(RememberedCommenter {
                name: reader.name.as_str().to_owned(),
                email: reader.email.as_str().to_owned(),
                website: reader.website.as_ref().map(|w| w.as_str().to_owned()).unwrap_or_default(),
            }),
            _ => None,
        };
        let by_reader = matches!(submission.writer, Writer::Reader(_));
        Self { to_remember, by_reader, answering: submission.parent.is_some() }
    }
}

/// The text being typed, as `site.js` sends it while the reader writes.
#[derive(Deserialize)]
pub struct TypedText {
    #[serde(default)]
    body: String,
    #[serde(default)]
    author_name: String,
}

/// What `POST /comments/check` finds in a text being typed.
#[derive(serde::Serialize)]
struct TypingCheck {
    safety: Option<crate::trust::SafetyNotice>,
    personal: Vec<personal::Finding>,
}

/// `POST /comments/check`: the emergency signs and personal details in a
/// comment being typed, for the notices beside the form (the same checks
/// the comment gets when it is sent). It stores nothing and changes nothing.
pub async fn check_typed(
    state: web::Data<AppState>,
    request: HttpRequest,
    typed: web::Form<TypedText>,
) -> Result<HttpResponse, AppError> {
    cached_pages::leaves_shared_pages(&request);
    let country = &state.settings.trust.country;
    let check = TypingCheck {
        safety: crate::trust::SafetyNotice::for_hits(&state.red_flags, state.red_flags.check(&typed.body), country),
        personal: personal::find(&typed.body, &typed.author_name, country),
    };
    let json = serde_json::to_string(&check).context("writing the check as JSON")?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(json))
}

/// What the request says about a reader besides the form's fields.
struct Sender {
    ip_hash: String,
    user_agent: String,
    honeypot_filled: bool,
}

impl Sender {
    fn of(state: &AppState, request: &HttpRequest, honeypot: &str) -> Self {
        Self {
            ip_hash: state.keys.hash_ip(&state.client_ip(request)),
            user_agent: user_agent(request),
            honeypot_filled: !honeypot.trim().is_empty(),
        }
    }
}

/// What a reader's comment is checked for besides its fields.
struct Checks<'a> {
    require_consent: bool,
    red_flags: &'a RedFlags,
}

/// Said above the form when the text shows personal details.
pub const PERSONAL_FOUND: &str = "Your comment shows personal details that everyone could read once it is \
                                  published. Nothing was sent yet: choose below, or edit your text.";

/// Said above the author's answer when it shows personal details.
pub const ANSWER_SHOWS_DETAILS: &str = "Before this is public: your answer shows what is listed below. A public reply \
                                        that shows a reader's details, or that they are your patient, discloses it. \
                                        Edit the text, or send it as written.";

/// Asked beside the box when consent is required and not given.
pub const CONSENT_NEEDED: &str = "Please tick this box to agree that your comment and the health information in it                                   are published and kept. Without it the comment cannot be posted; your text is                                   kept below.";

/// Parses the form into a submission: a signed-in author sends only the
/// text; a reader their details too, checked for emergency signs.
fn parse(
    values: &CommentValues,
    author: Option<&User>,
    form: FormTicket,
    sender: Sender,
    checks: &Checks,
) -> Result<Submission, HashMap<&'static str, String>> {
    let mut errors = HashMap::new();
    let body = CommentBody::parse(&values.body).map_err(|e| errors.insert("body", e)).ok();
    let parent = match values.parent_id.trim() {
        "" => Ok(None),
        id => id.parse::<CommentId>().map(Some).map_err(|_| {
            errors.insert("parent_id", Refusal::ParentUnavailable.message().to_owned());
        }),
    };
    let writer = match author {
        Some(author) => Some(Writer::Staff(Actor { user_id: author.id, name: author.display_name.clone() })),
        None => {
            let name = AuthorName::parse(&values.author_name).map_err(|e| errors.insert("author_name", e)).ok();
            let email = Email::parse(&values.author_email).map_err(|e| errors.insert("author_email", e)).ok();
            let website = WebsiteUrl::parse(&values.author_url).map_err(|e| errors.insert("author_url", e)).ok();
            let consent = values.consent.is_some().then(crate::trust::consent::version);
            if checks.require_consent && consent.is_none() {
                errors.insert("consent", CONSENT_NEEDED.to_owned());
            }
            let urgent = match &body {
                Some(body) => checks.red_flags.check(body.as_str()).into_iter().map(|hit| hit.rule).collect(),
                None => Vec::new(),
            };
            match (name, email, website) {
                (Some(name), Some(email), Some(website)) => Some(Writer::Reader(Reader {
                    urgent,
                    consent,
                    private: values.private.is_some(),
                    name,
                    email,
                    website,
                    notify: values.notify.is_some(),
                    notify_replies: values.notify_replies.is_some(),
                    ip_hash: sender.ip_hash,
                    user_agent: sender.user_agent,
                    honeypot_filled: sender.honeypot_filled,
                    form,
                })),
                _ => None,
            }
        }
    };
    match (body, parent, writer) {
        (Some(body), Ok(parent), Some(writer)) if errors.is_empty() => Ok(Submission { parent, body, writer }),
        _ => Err(errors),
    }
}

/// The article page shown again after a comment was not taken.
struct Answer<'a> {
    state: &'a AppState,
    library: &'a Library,
    article: &'a Article,
    author: Option<&'a User>,
}

impl Answer<'_> {
    async fn refusal(
        &self,
        visitor: Visitor,
        values: CommentValues,
        refusal: Refusal,
    ) -> Result<HttpResponse, AppError> {
        let form = match refusal {
            Refusal::ParentUnavailable | Refusal::ParentNotRestored => {
                CommentForm::with_errors(values, HashMap::from([("parent_id", refusal.message().to_owned())]))
            }
            _ => CommentForm {
                values,
                errors: HashMap::new(),
                message: Some(refusal.message().to_owned()),
                personal: Vec::new(),
            },
        };
        let mut response = self.page(visitor, form, refusal_status(refusal)).await?;
        if refusal == Refusal::TooFrequent {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
        }
        Ok(response)
    }

    /// The database did not store the comment: say so, log it, and give the
    /// text back. The page is shown even if the comments cannot be read.
    async fn not_stored(
        &self,
        visitor: Visitor,
        values: CommentValues,
        error: anyhow::Error,
    ) -> Result<HttpResponse, AppError> {
        tracing::error!(error = format!("{error:#}"), "a comment could not be stored");
        let form = CommentForm {
            values,
            errors: HashMap::new(),
            message: Some(
                "Sorry, your comment could not be saved: the site cannot store anything right now. It was not \
                 posted. Your text is kept below: please copy it and try again in a few minutes."
                    .to_owned(),
            ),
            personal: Vec::new(),
        };
        let mut response = self.page(visitor, form, StatusCode::SERVICE_UNAVAILABLE).await?;
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("120"));
        Ok(response)
    }

    /// The author put a saved reply into his answer: the page comes back
    /// with it under what he typed, and nothing is published.
    async fn with_saved_reply(
        &self,
        visitor: Visitor,
        mut values: CommentValues,
        saved_reply: Option<String>,
    ) -> Result<HttpResponse, AppError> {
        let settings = self.state.settings.answers.clone();
        let typed = values.body.clone();
        let inserted = db::run(&self.state.pool, move |conn| {
            crate::answers::insert_saved(conn, &settings, &typed, saved_reply.as_deref())
        })
        .await
        .context("inserting a saved reply")?;
        let (message, status) = match inserted {
            Ok(text) => {
                values.body = text;
                (None, StatusCode::OK)
            }
            Err(message) => (Some(message.to_owned()), StatusCode::UNPROCESSABLE_ENTITY),
        };
        let form = CommentForm { values, errors: HashMap::new(), message, personal: Vec::new() };
        self.page(visitor, form, status).await
    }

    /// The comment is stored: its writer goes to it (a private question to
    /// a page of its own), with the cookies that remember them.
    async fn stored(
        &self,
        request: &HttpRequest,
        session: &TypedSession,
        mut visitor: Visitor,
        stored: Stored,
        written: Written,
    ) -> Result<HttpResponse, AppError> {
        let (state, slug) = (self.state, &self.article.slug);
        if stored.status == CommentStatus::Approved {
            cached_pages::changed_shared_pages(request);
        }
        if self.author.is_none() && stored.status != CommentStatus::Approved {
            // The commenter sees their comment as "awaiting moderation", whether
            // it waits for the author or was filtered as spam; a private question
            // on a page of its own, that says where the answer will come.
            visitor.remember_pending(stored.id);
        }
        let location = if stored.status == CommentStatus::Private {
            // On no page of the discussion: the reader is told so on a page of
            // their own, the author in the desk.
            if self.author.is_some() {
                session.set_flash(crate::comments::private::PRIVATE_ANSWER_SENT);
                "/admin/comments?status=private".to_owned()
            } else {
                private::sent_path(stored.id)
            }
        } else {
            // The comment is stored: should its page not be found, the article
            // itself is the next best place to send the writer.
            post::comment_path(state, self.article, stored.id, &[stored.id]).await.unwrap_or_else(|error| {
                tracing::warn!(error = %error, "sending a writer to the article instead of their comment's page");
                format!("/posts/{slug}#comment-{}", stored.id)
            })
        };
        if self.author.is_some() && stored.status != CommentStatus::Private {
            let message = if written.answering { "Your answer is published:" } else { "Your comment is published:" };
            session.set_flash_with_link(message, "view it", &location);
        }
        let secure = state.settings.is_https();
        let mut response = HttpResponse::SeeOther();
        response.insert_header((header::LOCATION, location));
        if let Some(cookie) = visitor.cookie(&state.keys, secure) {
            response.cookie(cookie);
        }
        match written.to_remember {
            Some(details) => {
                if let Some(cookie) = details.cookie(&state.keys, secure) {
                    response.cookie(cookie);
                }
            }
            // The box left unticked: the browser forgets what it kept.
            None if written.by_reader && RememberedCommenter::sent_with(request) => {
                response.cookie(RememberedCommenter::removal(secure));
            }
            None => {}
        }
        Ok(response.finish())
    }

    /// The article page again, with the form as sent.
    async fn page(&self, visitor: Visitor, form: CommentForm, status: StatusCode) -> Result<HttpResponse, AppError> {
        let again = post::FormAgain { library: self.library, article: self.article, author: self.author };
        post::with_form(self.state, again, visitor, form, status).await
    }
}

fn refusal_status(refusal: Refusal) -> StatusCode {
    match refusal {
        Refusal::Closed | Refusal::FormExpired | Refusal::FormUnconfirmed => StatusCode::FORBIDDEN,
        Refusal::TooQuick | Refusal::ParentUnavailable | Refusal::ParentNotRestored => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::TooFrequent => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Duplicate | Refusal::FormUsed => StatusCode::CONFLICT,
    }
}

fn user_agent(request: &HttpRequest) -> String {
    let agent = request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    agent.chars().take(MAX_USER_AGENT_CHARS).collect()
}

/// `GET /posts/{slug}/comments.xml`: the article's approved comments as Atom.
pub async fn feed(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let article = library.discussed(&slug).ok_or(AppError::NotFound)?;
    let is_page = library.is_page(article);
    let slug = article.slug.clone();
    let (comments, outline) = db::run(&state.pool, move |conn| {
        let comments = db::comments::latest_approved(conn, &slug, FEED_COMMENTS)?;
        let rules = load_rules(conn)?;
        let outline = outlines::read_outline(conn, &slug, &[], &rules)?;
        Ok((comments, outline))
    })
    .await
    .with_context(|| format!("loading the comment feed of {}", article.slug))?;
    Ok(atom_response(comment_feed(&state, article, is_page, &comments, &outline)))
}

fn comment_feed(
    state: &AppState,
    article: &Article,
    is_page: bool,
    comments: &[db::comments::Comment],
    outline: &Outline,
) -> String {
    let kind = if is_page { ArticleKind::Page } else { ArticleKind::Post };
    let page = format!("{}{}", state.base_url(), kind.path(&article.slug));
    let own = format!("{}/posts/{}/comments.xml", state.base_url(), ArticleKind::encoded(&article.slug));
    let entries: Vec<Entry> = comments
        .iter()
        .map(|comment| {
            let link = format!("{}{}", state.base_url(), outline.path(&article.slug, comment.id));
            let when = crate::content::When::in_zone(comment.created_at, state.zone).zoned;
            let mut entry = Entry::default();
            entry.set_id(link.clone());
            entry.set_title(format!("{} on “{}”", comment.author_name, article.title));
            entry.set_links(vec![Link { href: link, ..Link::default() }]);
            // The name only: a commenter's email never leaves the desk.
            entry.set_authors(vec![Person { name: comment.author_name.clone(), ..Person::default() }]);
            entry.set_published(Some(when));
            entry.set_updated(comment.edited_at.map_or(when, |e| crate::content::When::in_zone(e, state.zone).zoned));
            entry.set_content(Some(Content {
                value: Some(comment.body_html.as_str().to_owned()),
                content_type: Some("html".into()),
                ..Content::default()
            }));
            entry
        })
        .collect();
    let updated =
        entries.iter().map(|e| *e.updated()).max().unwrap_or_else(|| super::feed::timestamp(article.modified()));
    let mut feed = atom_syndication::Feed::default();
    feed.set_id(own.clone());
    feed.set_title(format!("Comments on “{}”", article.title));
    feed.set_subtitle(Some(Text::plain(state.settings.site.title.clone())));
    feed.set_updated(updated);
    feed.set_links(vec![
        Link { href: own, rel: "self".into(), mime_type: Some("application/atom+xml".into()), ..Link::default() },
        Link { href: page, mime_type: Some("text/html".into()), ..Link::default() },
    ]);
    feed.set_entries(entries);
    feed.to_string()
}
