//! The one road by which a comment reaches the database, whoever sends it:
//! a reader's form, the author's answer, and later the importer and edits.
//! `submit` applies the rules of the site; `store` renders and cleans the
//! text and writes the row. Handlers parse the request, call these, and turn
//! the result into a page.

use anyhow::anyhow;
use chrono::{Duration, NaiveDateTime};
use diesel::result::Error as DieselError;

use super::discussion::comments_open;
use super::moderation::{Action, Actor};
use super::outlines::OutlinesAt;
use super::policy::{self, Arrival};
use super::rules::{ModerationPolicy, Rules};
use crate::content::{Article, Library};
use crate::db::comments::{self, NewComment};
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::db::{spent_tokens, AnyConnection};
use crate::domain::{AuthorName, CommentBody, CommentId, CommentStatus, Email, EmailKey, UserId, WebsiteUrl};
use crate::mail::notices;
use crate::markdown;

/// How long a comment form may be open; a spent token is remembered as long.
pub const FORM_LIFETIME_SECS: i64 = 7 * 24 * 3600;

/// A comment someone sends.
pub struct Submission {
    /// The comment it answers, if any.
    pub parent: Option<CommentId>,
    pub body: CommentBody,
    pub writer: Writer,
}

/// Who sends it.
pub enum Writer {
    /// A reader, through the form under an article.
    Reader(Reader),
    /// A signed-in author or moderator: published at once with their badge,
    /// approving the comment it answers.
    Staff(Actor),
}

/// A reader's details, as parsed from the form.
pub struct Reader {
    pub name: AuthorName,
    pub email: Email,
    pub website: Option<WebsiteUrl>,
    /// Email me when the author answers.
    pub notify: bool,
    /// Email me when another reader replies, too.
    pub notify_replies: bool,
    pub ip_hash: String,
    pub user_agent: String,
    /// The hidden field that people never see and bots fill in.
    pub honeypot_filled: bool,
    /// The form's token, already checked against the visitor's cookie; a
    /// successful comment spends it.
    pub form: FormTicket,
    /// The emergency signs its text shows (red-flag rule ids), if any.
    pub urgent: Vec<String>,
    /// The consent wording's version the reader ticked, if they did.
    pub consent: Option<String>,
    /// "Only the doctor may read this": stored private, and answered by
    /// email (so `notify` is implied).
    pub private: bool,
}

/// A verified form token and when its form was shown.
pub struct FormTicket {
    pub token: String,
    pub issued_at: i64,
}

/// A stored comment: its id, the status the rules gave it, and whether it
/// queued mail (the sender need not look otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: CommentId,
    pub status: CommentStatus,
    pub mail_queued: bool,
}

/// Why a comment was not taken. Each is shown with the sender's text kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Closed,
    FormExpired,
    FormUnconfirmed,
    FormUsed,
    TooQuick,
    TooFrequent,
    Duplicate,
    /// The comment it answers is gone, or may not be answered.
    ParentUnavailable,
    /// The author must restore a comment from spam or the trash first.
    ParentNotRestored,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::Closed => "Comments are closed on this article. Your text is kept below so that you can copy it.",
            Self::FormExpired => {
                "This form was open too long to be accepted safely. Your text is kept below: please send it again."
            }
            Self::FormUnconfirmed => {
                "We could not confirm that this form came from this site (it may be too old, or cookies may be \
                 off). Your text is kept below: please send it again."
            }
            Self::FormUsed => {
                "This form was already used to send a comment. If you pressed the button twice, the first one \
                 went through; if not, your text is kept below: please send it again."
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
            Self::ParentUnavailable => {
                "The comment you were replying to is not available any more. Your text is kept below: send it \
                 again to post it as a new comment."
            }
            Self::ParentNotRestored => "Restore this comment before answering it.",
        }
    }
}

/// What went wrong with a submission.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{}", .0.message())]
    Refused(Refusal),
    /// The database did not store it (it may be full, read-only or down).
    #[error("the comment could not be stored")]
    NotStored(#[source] anyhow::Error),
}

impl From<DieselError> for SubmitError {
    fn from(error: DieselError) -> Self {
        Self::NotStored(error.into())
    }
}

impl From<anyhow::Error> for SubmitError {
    fn from(error: anyhow::Error) -> Self {
        Self::NotStored(error)
    }
}

impl From<Refusal> for SubmitError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

/// Stores a comment or an answer under the article `slug` as `library`
/// holds it now, by the discussions' rules: what each way of writing one
/// calls (the article's form, the desk, the link in a notice), inside its
/// write (`AppState::write`).
pub fn store_comment(
    conn: &mut AnyConnection,
    library: &Library,
    outlines: &OutlinesAt,
    slug: &str,
    submission: Submission,
    now: NaiveDateTime,
) -> Result<Stored, SubmitError> {
    let article = library.discussed(slug).ok_or_else(|| anyhow!("the article {slug} is not on the site now"))?;
    let rules = outlines.rules(conn)?;
    submit(conn, article, &rules, submission, now)
}

/// Checks `submission` against the site's `rules` and stores it, in one
/// transaction: either every check passed and the comment (with its log
/// entry and spent form token) is committed, or nothing is.
pub fn submit(
    conn: &mut AnyConnection,
    article: &Article,
    rules: &Rules,
    submission: Submission,
    now: NaiveDateTime,
) -> Result<Stored, SubmitError> {
    let Submission { parent, body, writer } = submission;
    match writer {
        Writer::Reader(reader) => submit_as_reader(conn, article, rules, parent, body, reader, now),
        Writer::Staff(actor) => submit_as_staff(conn, &article.slug, parent, body, &actor, now),
    }
}

fn submit_as_reader(
    conn: &mut AnyConnection,
    article: &Article,
    rules: &Rules,
    parent: Option<CommentId>,
    body: CommentBody,
    reader: Reader,
    now: NaiveDateTime,
) -> Result<Stored, SubmitError> {
    if !comments_open(article, rules, now) {
        return Err(Refusal::Closed.into());
    }
    if now.and_utc().timestamp() - reader.form.issued_at < i64::from(rules.min_seconds_to_submit) {
        return Err(Refusal::TooQuick.into());
    }
    // Only the "trust returning commenters" policy asks who wrote before.
    let returning =
        rules.policy == ModerationPolicy::TrustReturning && comments::has_approved_from(conn, reader.email.key())?;
    let decision = policy::decide(
        rules,
        &Arrival {
            author_name: reader.name.as_str(),
            email: reader.email.key(),
            url: reader.website.as_ref().map(WebsiteUrl::as_str),
            body: body.as_str(),
            ip_hash: &reader.ip_hash,
            honeypot_filled: reader.honeypot_filled,
            returning,
        },
    );
    if let Some(reason) = decision.reason {
        tracing::info!(status = %decision.status, reason, private = reader.private, "comment held or filtered");
    }
    // A private question is private whatever the filters say: a status that
    // a later action could make public would be a way out.
    let status = if reader.private { CommentStatus::Private } else { decision.status };
    let slug = article.slug.as_str();
    crate::db::write(conn, |conn| {
        spend_form_token(conn, &reader.form)?;
        // Instances on one database take turns per address, so that the
        // rate limit below holds under parallel posts.
        comments::take_turn_of_address(conn, &reader.ip_hash)?;
        let parent = match parent {
            Some(id) => Some(
                comments::find(conn, id)?
                    .filter(|p| p.post_slug == slug && p.status == CommentStatus::Approved && p.erased_at.is_none())
                    .ok_or(Refusal::ParentUnavailable)?,
            ),
            None => None,
        };
        // Already in this transaction: no savepoint of its own.
        let stored = insert(
            conn,
            Draft {
                slug: slug.to_owned(),
                parent: parent.as_ref().map(|p| p.id),
                author: Author::Reader {
                    name: reader.name.as_str().to_owned(),
                    email: reader.email.as_str().to_owned(),
                    website: reader.website.as_ref().map(|w| w.as_str().to_owned()),
                },
                body: &body,
                status,
                notify: reader.notify || reader.private,
                notify_replies: reader.notify_replies,
                ip_hash: reader.ip_hash.clone(),
                user_agent: reader.user_agent.clone(),
                created_at: now,
                arrived_at: now,
                kept_id: None,
                wordpress_id: None,
                urgent: (!reader.urgent.is_empty()).then(|| reader.urgent.join(",")),
                consent: reader.consent.clone().map(|version| Consent {
                    version,
                    at: now,
                    method: crate::trust::consent::THROUGH_COMMENT_FORM.to_owned(),
                }),
            },
        )?;
        // Checked after the insert, inside the transaction: parallel posts
        // from one address cannot all slip under the limit.
        let checks = comments::arrival_checks(conn, &stored, now - Duration::minutes(1), rules.rate_limit_per_minute)?;
        if checks.too_frequent {
            return Err(Refusal::TooFrequent.into());
        }
        if checks.duplicate {
            return Err(Refusal::Duplicate.into());
        }
        let mut mail_queued = notices::comment_arrived(conn, &stored, parent.as_ref(), now)?;
        if let Some(rules) = &stored.urgent {
            let entry = NewLogEntry::new(None, "red-flag check", LogAction::RedFlag)
                .comment(stored.id, None, Some(stored.status.as_str()))
                .detail(format!("emergency signs: {}", rules.replace(',', ", ")));
            log::write(conn, &entry)?;
            mail_queued |= notices::urgent_comment(conn, &stored, now)?;
        }
        Ok(Stored { id: stored.id, status, mail_queued })
    })
}

/// Remembers that `form`'s token was used; a second use is refused.
fn spend_form_token(conn: &mut AnyConnection, form: &FormTicket) -> Result<(), SubmitError> {
    let expires_at = chrono::DateTime::from_timestamp(form.issued_at + FORM_LIFETIME_SECS, 0)
        .ok_or_else(|| SubmitError::NotStored(anyhow!("a form token from an impossible time")))?
        .naive_utc();
    if spent_tokens::spend(conn, &form.token, expires_at)? {
        Ok(())
    } else {
        Err(Refusal::FormUsed.into())
    }
}

fn submit_as_staff(
    conn: &mut AnyConnection,
    slug: &str,
    parent: Option<CommentId>,
    body: CommentBody,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Stored, SubmitError> {
    crate::db::write(conn, |conn| {
        let parent = match parent {
            Some(id) => {
                // Its writer cannot be editing it while it is answered.
                comments::take_for_change(conn, id)?;
                let parent = comments::find(conn, id)?.filter(|p| p.post_slug == slug);
                let parent = parent.ok_or(Refusal::ParentUnavailable)?;
                if matches!(parent.status, CommentStatus::Spam | CommentStatus::Trash) {
                    return Err(Refusal::ParentNotRestored.into());
                }
                Some(parent)
            }
            None => None,
        };
        let mut mail_queued = false;
        // The answer to a private question is private too, and the question
        // stays so: the asker reads it in their email and on their page.
        let private = parent.as_ref().is_some_and(|p| p.status == CommentStatus::Private);
        let status = if private { CommentStatus::Private } else { CommentStatus::Approved };
        if let Some(parent) = parent.as_ref().filter(|p| !private && p.status != CommentStatus::Approved) {
            comments::set_status(conn, parent.id, CommentStatus::Approved)?;
            let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, Action::Approve.into())
                .comment(parent.id, Some(parent.status.as_str()), Some(CommentStatus::Approved.as_str()))
                .detail("approved by replying");
            log::write(conn, &entry)?;
            mail_queued |= notices::comment_approved(conn, parent.id, now)?;
        }
        let answer = insert(
            conn,
            Draft::written_now(
                slug,
                parent.as_ref().map(|p| p.id),
                Author::Staff { name: actor.name.clone(), user_id: actor.user_id },
                &body,
                status,
                now,
            ),
        )?;
        let id = answer.id;
        let detail = match &parent {
            Some(parent) if private => {
                format!("answered {}'s private question (comment {}) on {slug}", parent.author_name, parent.id)
            }
            Some(parent) => format!("answered {} (comment {}) on {slug}", parent.author_name, parent.id),
            None => format!("commented on {slug}"),
        };
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::Reply)
            .comment(id, None, Some(status.as_str()))
            .detail(detail);
        log::write(conn, &entry)?;
        mail_queued |= notices::comment_published(conn, &answer, parent.as_ref(), now)?;
        Ok(Stored { id, status, mail_queued })
    })
}

/// Who wrote a stored comment.
pub enum Author {
    Reader { name: String, email: String, website: Option<String> },
    Staff { name: String, user_id: UserId },
}

/// A comment ready to store, whose rules were already applied (by `submit`,
/// or by a faithful copy of another site's comments).
pub struct Draft<'a> {
    pub slug: String,
    pub parent: Option<CommentId>,
    pub author: Author,
    pub body: &'a CommentBody,
    pub status: CommentStatus,
    pub notify: bool,
    pub notify_replies: bool,
    pub ip_hash: String,
    pub user_agent: String,
    pub created_at: NaiveDateTime,
    /// When it came into this blog: `created_at` for a comment sent here,
    /// the moment of the import for one brought from another site. Time
    /// waiting for moderation (and so the retention purge) counts from it.
    pub arrived_at: NaiveDateTime,
    /// The id to keep (an imported comment's old id, when free); `None`
    /// lets the database choose.
    pub kept_id: Option<CommentId>,
    /// The WordPress comment this is a copy of.
    pub wordpress_id: Option<i32>,
    /// The emergency signs it showed (rule ids, comma-separated).
    pub urgent: Option<String>,
    /// The reader's consent, when they gave it.
    pub consent: Option<Consent>,
}

impl<'a> Draft<'a> {
    /// A comment written on this site now, asking for no notices, with no
    /// address, signs or consent recorded: the author's answers, and the
    /// anonymised copies he publishes.
    pub fn written_now(
        slug: &str,
        parent: Option<CommentId>,
        author: Author,
        body: &'a CommentBody,
        status: CommentStatus,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            slug: slug.to_owned(),
            parent,
            author,
            body,
            status,
            notify: false,
            notify_replies: false,
            ip_hash: String::new(),
            user_agent: String::new(),
            created_at: now,
            arrived_at: now,
            kept_id: None,
            wordpress_id: None,
            urgent: None,
            consent: None,
        }
    }
}

/// A reader's consent as recorded with their comment.
pub struct Consent {
    pub version: String,
    pub at: NaiveDateTime,
    pub method: String,
}

/// Renders and cleans the draft's Markdown and writes the row. Runs in a
/// transaction (a savepoint inside the caller's), so that a failed commit
/// is an error and never an id.
pub fn store(conn: &mut AnyConnection, draft: Draft) -> Result<CommentId, DieselError> {
    crate::db::write(conn, |conn| insert(conn, draft).map(|comment| comment.id))
}

/// `store` for a caller that is in a transaction already; returns the row
/// as stored.
fn insert(conn: &mut AnyConnection, draft: Draft) -> Result<comments::Comment, DieselError> {
    let (author_name, author_email, author_url, user_id) = match draft.author {
        Author::Reader { name, email, website } => (name, email, website, None),
        Author::Staff { name, user_id } => (name, String::new(), None, Some(user_id)),
    };
    let row = NewComment {
        post_slug: draft.slug,
        parent_id: draft.parent,
        author_name,
        author_email_key: EmailKey::of(&author_email),
        author_email,
        author_url,
        user_id,
        body_html: markdown::render_comment(draft.body.as_str()),
        body_markdown: draft.body.as_str().to_owned(),
        status: draft.status,
        notify: draft.notify,
        notify_replies: draft.notify_replies,
        ip_hash: draft.ip_hash,
        user_agent: draft.user_agent,
        created_at: draft.created_at,
        updated_at: draft.arrived_at,
        wordpress_id: draft.wordpress_id,
        urgent: draft.urgent,
        consent_version: draft.consent.as_ref().map(|c| c.version.clone()),
        consent_at: draft.consent.as_ref().map(|c| c.at),
        consent_method: draft.consent.map(|c| c.method),
    };
    comments::insert(conn, &row, draft.kept_id)
}
