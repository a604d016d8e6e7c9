//! Where the links in emails lead. Opening a link never acts: a link
//! scanner that fetches every URL of a message must not confirm, stop or
//! approve anything. The page says what the button will do; the button
//! POSTs. Mail clients may also stop notices with the one-click POST of
//! RFC 8058 (`List-Unsubscribe=One-Click`), which needs no page.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use crate::db::now;
use crate::routes::public::comments::ANSWER_SHOWS_DETAILS;
use crate::trust::personal;
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use anyhow::Context as _;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::comments::discussion::{self, load_rules};
use crate::comments::moderation::{self, Action, Actor};
use crate::comments::private::PRIVATE_ANSWER_SENT;
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::comments::{self, Submission, SubmitError, Writer};
use crate::db::comments::Comment;
use crate::db::{self, spent_tokens, users, AnyConnection};
use crate::domain::{CommentBody, CommentStatus, EmailKey, NoticeChoice};
use crate::error::AppError;
use crate::mail::links::{DeskAction, DeskVerb, Stop, DESK_ACTION_LIFETIME_SECS};
use crate::mail::outbox::MessageKind;
use crate::mail::subscribers;
use crate::routes::notice::{render, CommentView, Notice};
use crate::routes::{app_state, judge_any_form, judge_form, page, FormFuture};
use crate::signed_links::{self, LinkProblem, Purpose};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/mail/confirm/{token}", page().to(show_confirm))
        .route("/mail/confirm/{token}", web::post().to(confirm))
        .route("/mail/unsubscribe/{token}", page().to(show_unsubscribe))
        .route("/mail/unsubscribe/{token}", web::post().to(unsubscribe))
        .route("/mail/act/{token}", page().to(show_action))
        .route("/mail/act/{token}", web::post().to(act));
}

/// A POST from one of these pages.
#[derive(Deserialize)]
struct LinkForm {
    #[serde(default)]
    csrf_token: String,
    /// Sent by mail clients for a one-click unsubscribe (RFC 8058).
    #[serde(default, rename = "List-Unsubscribe")]
    list_unsubscribe: String,
    /// The author's answer, for the "answer" action.
    #[serde(default)]
    body: String,
    /// `keep`: publish the answer though it shows personal details.
    #[serde(default)]
    personal: Option<String>,
    /// The "Insert" button: a saved reply put into the answer.
    #[serde(default)]
    insert: Option<String>,
    #[serde(default)]
    saved_reply: Option<String>,
}

fn refused(
    state: &AppState,
    request: &HttpRequest,
    problem: LinkProblem,
    what: &str,
) -> Result<HttpResponse, AppError> {
    let (status, message) = match problem {
        LinkProblem::Expired => (StatusCode::GONE, format!("This link has expired. {what}")),
        LinkProblem::Invalid => (
            StatusCode::NOT_FOUND,
            "This link is not valid: it may have been cut short when it was copied. Open it from the email again."
                .to_owned(),
        ),
    };
    render(state, request, status, Notice { title: "This link does not work".into(), message, ..Notice::default() })
}

/// Whether the POST came from a page of this site.
fn form_is_ours(state: &AppState, request: &HttpRequest, form: &LinkForm) -> bool {
    let now = now().and_utc().timestamp();
    Visitor::existing(request, &state.keys)
        .is_some_and(|v| v.verify_form_token(&state.keys, FormPurpose::Comment, &form.csrf_token, now).is_ok())
}

fn stale_form(state: &AppState, request: &HttpRequest) -> Result<HttpResponse, AppError> {
    let notice = Notice {
        title: "Please press the button again".into(),
        message: "We could not confirm that this came from this site's page (it may have been open too long, or \
                  cookies may be off). Open the link from the email again and press the button."
            .into(),
        ..Notice::default()
    };
    render(state, request, StatusCode::FORBIDDEN, notice)
}

/// `j…@example.org`: enough for its owner to recognise.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}…@{domain}", local.chars().next().unwrap_or('?')),
        None => "this address".into(),
    }
}

fn not_stored(error: anyhow::Error) -> AppError {
    AppError::NotStored(error)
}

/// A request answered with a page of its own rather than by the handler.
fn answered(cause: &'static str, response: Result<HttpResponse, AppError>) -> actix_web::Error {
    match response {
        Ok(response) => InternalError::from_response(cause, response).into(),
        Err(error) => error.into(),
    }
}

/// What a kind of link in an email carries, and what it was made for.
trait MailLink: DeserializeOwned {
    const PURPOSE: Purpose;
    /// How to get a link that works, said when this one has expired.
    const HINT: &'static str;
}

/// A link of kind `T`, opened from the address's `{token}`: its payload.
/// A link that does not open (expired, cut short, made for something else)
/// is answered with the page that says so.
struct Opened<T> {
    token: String,
    payload: T,
}

impl<T: MailLink> FromRequest for Opened<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::open(request))
    }
}

impl<T: MailLink> Opened<T> {
    fn open(request: &HttpRequest) -> Result<Self, actix_web::Error> {
        let state = app_state(request)?;
        let token = request.match_info().get("token").unwrap_or_default().to_owned();
        match signed_links::open(&state.keys, T::PURPOSE, &token, now().and_utc().timestamp()) {
            Ok(payload) => Ok(Self { token, payload }),
            Err(problem) => {
                Err(answered("the link in an email does not open", refused(state, request, problem, T::HINT)))
            }
        }
    }
}

/// A POST from one of these pages whose form token checks out against the
/// visitor cookie. Any other is answered 403 with a page that asks to
/// press the button again; but with `ONE_CLICK` (a "stop" link), a mail
/// client's one-click unsubscribe (RFC 8058), which has no page and carries
/// no token, is let through as `one_click`, whether the client sends it
/// urlencoded or as `multipart/form-data` (which the RFC prefers).
struct PagePost<const ONE_CLICK: bool = false> {
    one_click: bool,
}

impl<const ONE_CLICK: bool> FromRequest for PagePost<ONE_CLICK> {
    type Error = actix_web::Error;
    type Future = FormFuture<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let judge = |request: &HttpRequest, form: LinkForm| {
            if ONE_CLICK && form.list_unsubscribe == "One-Click" {
                return Ok(Self { one_click: true });
            }
            let state = app_state(request)?;
            if !form_is_ours(state, request, &form) {
                return Err(answered("the form did not come from this site", stale_form(state, request)));
            }
            Ok(Self { one_click: false })
        };
        if ONE_CLICK {
            judge_any_form(request, payload, judge)
        } else {
            judge_form(request, payload, judge)
        }
    }
}

// Confirming an address.

/// The address a "confirm" link was sent to.
#[derive(Deserialize)]
#[serde(transparent)]
struct ConfirmAddress(String);

impl MailLink for ConfirmAddress {
    const PURPOSE: Purpose = Purpose::Confirm;
    const HINT: &'static str = "Leave a new comment with the box ticked to get another one.";
}

async fn show_confirm(
    state: web::Data<AppState>,
    request: HttpRequest,
    link: Opened<ConfirmAddress>,
) -> Result<HttpResponse, AppError> {
    let ConfirmAddress(email) = link.payload;
    let notice = Notice {
        title: "Confirm email notices".into(),
        message: format!(
            "Press the button to confirm that {} wants an email when the author answers. Nothing is sent to it \
             until then.",
            masked(&email)
        ),
        button: Some("Yes, send me notices".into()),
        ..Notice::default()
    };
    render(&state, &request, StatusCode::OK, notice)
}

async fn confirm(
    state: web::Data<AppState>,
    request: HttpRequest,
    link: Opened<ConfirmAddress>,
    _post: PagePost,
) -> Result<HttpResponse, AppError> {
    let ConfirmAddress(email) = link.payload;
    state
        .write(move |conn| anyhow::Ok(subscribers::confirm(conn, &EmailKey::of(&email), now())?))
        .await
        .context("confirming an address")
        .map_err(not_stored)?;
    let notice = Notice {
        title: "Notices confirmed".into(),
        message: "Thank you. You will get an email when the author answers; every email has a link to stop them."
            .into(),
        ..Notice::default()
    };
    render(&state, &request, StatusCode::OK, notice)
}

// Stopping notices.

impl MailLink for Stop {
    const PURPOSE: Purpose = Purpose::Unsubscribe;
    const HINT: &'static str = "Use the link in a newer email.";
}

fn describe(stop: &Stop) -> String {
    match stop {
        Stop::Thread { .. } => "the email notices about this comment".into(),
        Stop::Address { email } => format!("every email from this site to {}", masked(email)),
        Stop::Account { .. } => "the notices of new comments to your desk account".into(),
    }
}

async fn show_unsubscribe(
    state: web::Data<AppState>,
    request: HttpRequest,
    link: Opened<Stop>,
) -> Result<HttpResponse, AppError> {
    let notice = Notice {
        title: "Stop email notices".into(),
        message: format!("Press the button to stop {}.", describe(&link.payload)),
        button: Some("Stop them".into()),
        ..Notice::default()
    };
    render(&state, &request, StatusCode::OK, notice)
}

async fn unsubscribe(
    state: web::Data<AppState>,
    request: HttpRequest,
    link: Opened<Stop>,
    post: PagePost<true>,
) -> Result<HttpResponse, AppError> {
    let stop = link.payload;
    let what = describe(&stop);
    state.write(move |conn| apply_stop(conn, &stop)).await.context("stopping notices").map_err(not_stored)?;
    if post.one_click {
        return Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("Unsubscribed.\n"));
    }
    let notice =
        Notice { title: "Notices stopped".into(), message: format!("Done: {what} stopped."), ..Notice::default() };
    render(&state, &request, StatusCode::OK, notice)
}

/// Stops what `stop` names; call it in a write.
fn apply_stop(conn: &mut AnyConnection, stop: &Stop) -> anyhow::Result<()> {
    match stop {
        Stop::Thread { email, comment } => {
            let email = EmailKey::of(email);
            db::comments::stop_thread_notices(conn, *comment, &email)?;
            db::outbox::drop_unsent_replies_to(conn, &email, *comment)?;
        }
        Stop::Address { email } => subscribers::stop(conn, &EmailKey::of(email), now())?,
        Stop::Account { user } => {
            users::set_notify_on(conn, *user, NoticeChoice::Nothing)?;
            db::outbox::drop_unsent_to_account(conn, *user, &[MessageKind::NewComment, MessageKind::Digest])?;
        }
    }
    Ok(())
}

// The author's one-click actions.

impl MailLink for DeskAction {
    const PURPOSE: Purpose = Purpose::DeskAction;
    const HINT: &'static str = "Open the desk to moderate this comment.";
}

/// An action link that can still act: not used yet, its comment still
/// there and its account still able to sign in. Any other is answered 410
/// with a page that says why.
struct ActionLink {
    token: String,
    action: DeskAction,
    comment: Comment,
    actor: Actor,
    /// Where the comment is shown, on its page of the discussion.
    path: String,
}

impl FromRequest for ActionLink {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let Opened { token, payload: action } = Opened::<DeskAction>::open(&request)?;
            let state = app_state(&request)?;
            let (used, comment, actor, path) = load_target(state, &token, &action).await?;
            let message = match (used, comment, actor) {
                (false, Some(comment), Some(actor)) => return Ok(Self { token, action, comment, actor, path }),
                (true, _, _) => {
                    "This link was already used: each link in a notice works once. Open the desk to do more."
                }
                (false, None, _) => "That comment is not there any more.",
                (false, Some(_), None) => "The account this notice was sent to cannot sign in any more.",
            };
            let notice = Notice {
                title: "This link does not work any more".into(),
                message: message.into(),
                ..Notice::default()
            };
            Err(answered("the action link cannot act", render(state, &request, StatusCode::GONE, notice)))
        })
    }
}

/// What an action link acts on, as it is now: whether the link was used,
/// the comment (unless erased), the account (if it may still act) and
/// where the comment is shown.
async fn load_target(
    state: &AppState,
    token: &str,
    action: &DeskAction,
) -> Result<(bool, Option<Comment>, Option<Actor>, String), AppError> {
    let (token, action) = (token.to_owned(), action.clone());
    let target = db::run(&state.pool, move |conn| {
        let used = spent_tokens::is_spent(conn, &token)?;
        let comment = db::comments::find(conn, action.comment)?.filter(|c| c.erased_at.is_none());
        let actor = users::find(conn, action.user)?
            .filter(users::User::is_active)
            .map(|u| Actor { user_id: u.id, name: u.display_name });
        let path = match &comment {
            Some(comment) => {
                let rules = load_rules(conn)?;
                discussion::comment_path(conn, &comment.post_slug, comment.id, &rules)?
            }
            None => String::new(),
        };
        Ok((used, comment, actor, path))
    })
    .await
    .context("loading the comment of an email action")?;
    Ok(target)
}

fn action_notice(state: &AppState, action: &DeskAction, comment: &Comment, path: &str) -> Notice {
    let library = state.library();
    let article_title =
        library.discussed(&comment.post_slug).map_or_else(|| comment.post_slug.clone(), |a| a.title.clone());
    let private = comment.status == CommentStatus::Private;
    let (title, button) = match action.verb {
        DeskVerb::Approve => ("Approve this comment?", "Approve"),
        DeskVerb::Spam => ("Mark this comment as spam?", "Mark as spam"),
        DeskVerb::Answer if private => ("Answer this private question", "Send the answer by email"),
        DeskVerb::Answer => ("Answer this comment", "Publish the answer"),
    };
    Notice {
        title: title.into(),
        message: format!("{} on “{article_title}”:", comment.author_name),
        button: Some(button.into()),
        comment: Some(CommentView {
            author_name: comment.author_name.clone(),
            html: comment.body_html.clone(),
            article_title,
            permalink: path.to_owned(),
        }),
        answer: (action.verb == DeskVerb::Answer).then(String::new),
        ..Notice::default()
    }
}

async fn show_action(
    state: web::Data<AppState>,
    request: HttpRequest,
    link: ActionLink,
) -> Result<HttpResponse, AppError> {
    let mut notice = action_notice(&state, &link.action, &link.comment, &link.path);
    if link.action.verb == DeskVerb::Answer {
        notice.saved_replies = saved_reply_choices(&state).await?;
    }
    render(&state, &request, StatusCode::OK, notice)
}

/// The saved replies, for the answer box of the "answer" action.
async fn saved_reply_choices(state: &AppState) -> Result<Vec<crate::answers::Choice>, AppError> {
    Ok(db::run(&state.pool, crate::answers::choices).await?)
}

async fn act(
    state: web::Data<AppState>,
    request: HttpRequest,
    link: ActionLink,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    let ActionLink { token, action, comment, actor, path } = link;
    let mut notice = action_notice(&state, &action, &comment, &path);
    // Refused on the action's own page, which keeps the typed answer.
    if !form_is_ours(&state, &request, &form) {
        notice.answer = notice.answer.map(|_| form.body.clone());
        notice.error =
            Some("We could not confirm that this came from this site's page. Please press the button again.".into());
        return render(&state, &request, StatusCode::FORBIDDEN, notice);
    }
    if action.verb == DeskVerb::Answer {
        notice.saved_replies = saved_reply_choices(&state).await?;
    }
    if let (DeskVerb::Answer, Some(_)) = (action.verb, &form.insert) {
        // A saved reply put under the typed answer; nothing is published and
        // the link is not used up.
        let settings = state.settings.answers.clone();
        let (typed, chosen) = (form.body.clone(), form.saved_reply.clone());
        let inserted =
            db::run(&state.pool, move |conn| crate::answers::insert_saved(conn, &settings, &typed, chosen.as_deref()))
                .await
                .context("inserting a saved reply")?;
        let status = match inserted {
            Ok(text) => {
                notice.answer = Some(text);
                StatusCode::OK
            }
            Err(message) => {
                notice.answer = Some(form.body.clone());
                notice.error = Some(message.to_owned());
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        return render(&state, &request, status, notice);
    }
    let body = match action.verb {
        DeskVerb::Answer => match CommentBody::parse(&form.body) {
            Ok(body) if form.personal.as_deref() != Some("keep") => {
                let found = personal::find_in_answer(body.as_str(), &state.settings.trust.country);
                if !found.is_empty() {
                    notice.answer = Some(form.body.clone());
                    notice.error = Some(ANSWER_SHOWS_DETAILS.to_owned());
                    notice.found = found;
                    return render(&state, &request, StatusCode::UNPROCESSABLE_ENTITY, notice);
                }
                Some(body)
            }
            Ok(body) => Some(body),
            Err(error) => {
                notice.answer = Some(form.body.clone());
                notice.error = Some(error);
                return render(&state, &request, StatusCode::UNPROCESSABLE_ENTITY, notice);
            }
        },
        _ => None,
    };
    let outcome = {
        let (token, verb, library, outlines) = (token, action.verb, state.library(), state.outlines());
        let comment = comment.clone();
        state
            .write(move |conn| {
                let now = now();
                let expires = now + chrono::Duration::seconds(DESK_ACTION_LIFETIME_SECS);
                if !spent_tokens::spend(conn, &token, expires)? {
                    return Ok(Err("This link was already used: each link in a notice works once.".to_owned()));
                }
                match (verb, body) {
                    (DeskVerb::Approve, _) => {
                        moderation::apply(conn, &actor, Action::Approve, comment.id)?;
                    }
                    (DeskVerb::Spam, _) => {
                        moderation::apply(conn, &actor, Action::Spam, comment.id)?;
                    }
                    (DeskVerb::Answer, Some(body)) => {
                        let submission =
                            Submission { parent: Some(comment.id), body, writer: Writer::Staff(actor.clone()) };
                        match comments::store_comment(conn, &library, &outlines, &comment.post_slug, submission, now) {
                            Ok(_) => {}
                            Err(SubmitError::Refused(refusal)) => return Ok(Err(refusal.message().to_owned())),
                            Err(SubmitError::NotStored(error)) => return Err(error),
                        }
                    }
                    (DeskVerb::Answer, None) => return Ok(Err("Write the answer first.".to_owned())),
                }
                anyhow::Ok(Ok(()))
            })
            .await
    };
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(message)) => {
            notice.answer = notice.answer.map(|_| form.body.clone());
            notice.error = Some(message);
            return render(&state, &request, StatusCode::CONFLICT, notice);
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "an email action could not be stored");
            notice.answer = notice.answer.map(|_| form.body.clone());
            notice.error = Some(
                "Nothing was saved: the site cannot store anything right now. Your text is kept below; please try \
                 again in a few minutes."
                    .into(),
            );
            return render(&state, &request, StatusCode::SERVICE_UNAVAILABLE, notice);
        }
    }
    let done = match action.verb {
        DeskVerb::Approve => "Approved: the comment is on the page.",
        DeskVerb::Spam => "Marked as spam.",
        DeskVerb::Answer if comment.status == CommentStatus::Private => PRIVATE_ANSWER_SENT,
        DeskVerb::Answer => "Your answer is published under the comment.",
    };
    let done = Notice { title: "Done".into(), message: done.into(), comment: notice.comment, ..Notice::default() };
    render(&state, &request, StatusCode::OK, done)
}
