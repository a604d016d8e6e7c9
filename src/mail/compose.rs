//! Turns a queued message into an email at the moment it is sent, from what
//! the database holds then: a comment deleted or erased in the meantime is
//! never mailed, and an answer edited since goes out as it reads now.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use tera::Context;

use super::links::{DeskAction, DeskVerb, Links, Stop};
use super::outbox::{Message, MessageKind};
use crate::content::Library;
use crate::db::comments::{self, Comment};
use crate::db::users::{self, User};
use crate::db::AnyConnection;
use crate::domain::{CommentId, CommentStatus, EmailKey};
use crate::markdown::SafeHtml;

/// The comments a digest lists, at most.
const DIGEST_MAX_COMMENTS: i64 = 100;

/// An email ready for the transport.
#[derive(Debug)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The article it is about: its notices thread together in a mail client.
    pub article: Option<String>,
    /// The one-click "stop" link of RFC 8058, for `List-Unsubscribe`.
    pub unsubscribe: String,
}

/// What a template can show of a comment.
#[derive(Serialize)]
struct CommentView {
    author_name: String,
    text: String,
    /// The first lines of the text, on one line.
    excerpt: String,
    /// The first lines of the text, each behind `> `.
    quote: String,
    html: SafeHtml,
    permalink: String,
    article_title: String,
    pending: bool,
    by_author: bool,
    /// Only the author and its writer may read it.
    private: bool,
}

/// Renders `template` (`mail/x.txt` or `mail/x.html`) with a context.
pub trait Render {
    fn render_mail(&self, template: &str, context: &Context) -> anyhow::Result<String>;
}

/// Where each of some comments is read on the site (the page of its
/// discussion it is on). Given by the caller, so that mail needs not know
/// how discussions are paged.
pub type CommentPaths = fn(&mut AnyConnection, &[Comment]) -> anyhow::Result<HashMap<CommentId, String>>;

/// What composing needs besides the database.
pub struct Site<'a> {
    pub title: &'a str,
    pub author_name: &'a str,
    pub base_url: &'a str,
    pub library: &'a Library,
    /// When the author's answers are due for review, for the digest.
    pub answers: &'a crate::config::AnswerSettings,
    pub links: Links<'a>,
    pub templates: &'a dyn Render,
    pub comment_paths: CommentPaths,
}

impl Site<'_> {
    /// The comment as a message shows it, linked to its page of the discussion.
    fn view(&self, conn: &mut AnyConnection, comment: &Comment) -> anyhow::Result<CommentView> {
        let path = (self.comment_paths)(conn, std::slice::from_ref(comment))?.remove(&comment.id);
        Ok(self.view_at(comment, path))
    }

    /// The comment as a message shows it, linked to `path` (or to the
    /// article's page when it has none).
    fn view_at(&self, comment: &Comment, path: Option<String>) -> CommentView {
        let path = path.unwrap_or_else(|| format!("/posts/{}#comment-{}", comment.post_slug, comment.id));
        let article_title =
            self.library.discussed(&comment.post_slug).map_or_else(|| comment.post_slug.clone(), |a| a.title.clone());
        CommentView {
            author_name: comment.author_name.clone(),
            text: comment.body_markdown.clone(),
            excerpt: excerpt(&comment.body_markdown).split_whitespace().collect::<Vec<_>>().join(" "),
            quote: excerpt(&comment.body_markdown)
                .lines()
                .map(|line| format!("> {line}"))
                .collect::<Vec<_>>()
                .join("\n"),
            html: comment.body_html.clone(),
            permalink: format!("{}{path}", self.base_url),
            article_title,
            pending: comment.status == CommentStatus::Pending,
            by_author: comment.is_by_author(),
            private: comment.status == CommentStatus::Private,
        }
    }

    fn render(
        &self,
        name: &str,
        mut context: Context,
        subject: String,
        article: Option<String>,
        unsubscribe: String,
    ) -> anyhow::Result<Composed> {
        context.insert("site_title", self.title);
        context.insert("base_url", self.base_url);
        context.insert("subject", &subject);
        context.insert("unsubscribe", &unsubscribe);
        let text = self.templates.render_mail(&format!("mail/{name}.txt"), &context)?;
        let html = self.templates.render_mail(&format!("mail/{name}.html"), &context)?;
        Ok(Composed { subject, text, html, article, unsubscribe })
    }
}

/// At most 300 characters of `text`, with "…" when cut.
fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_owned(),
    }
}

/// The email for `message`, or `None` when it has nothing left to say (its
/// comment is gone, erased or no longer public, its account closed): the
/// sender then drops it.
pub fn compose(conn: &mut AnyConnection, site: &Site, message: &Message) -> anyhow::Result<Option<Composed>> {
    match message.kind {
        MessageKind::NewComment => new_comment(conn, site, message),
        MessageKind::Digest => digest(conn, site, message),
        MessageKind::Answer | MessageKind::Reply => answer(conn, site, message),
        MessageKind::Confirm => Ok(Some(confirm(site, message)?)),
        // Asked for by anyone: sent only to an address that commented here.
        MessageKind::ManageLink if comments::any_from_email(conn, &EmailKey::of(&message.recipient))? => {
            Ok(Some(manage_link(site, message)?))
        }
        MessageKind::ManageLink => Ok(None),
    }
}

/// The desk account a message is for, while it is open and still wants mail.
fn account(conn: &mut AnyConnection, message: &Message) -> anyhow::Result<Option<User>> {
    let Some(id) = message.user_id else { return Ok(None) };
    Ok(users::find(conn, id)?.filter(|u| u.is_active() && !u.email.is_empty()))
}

fn new_comment(conn: &mut AnyConnection, site: &Site, message: &Message) -> anyhow::Result<Option<Composed>> {
    let Some(user) = account(conn, message)? else { return Ok(None) };
    let Some(comment) = message.comment_id.map(|id| comments::find(conn, id)).transpose()?.flatten() else {
        return Ok(None);
    };
    let to_see = matches!(comment.status, CommentStatus::Pending | CommentStatus::Approved | CommentStatus::Private);
    if comment.erased_at.is_some() || !to_see {
        return Ok(None);
    }
    let parent = comment.parent_id.map(|id| comments::find(conn, id)).transpose()?.flatten();
    let view = site.view(conn, &comment)?;
    let question = view.private || parent.as_ref().is_none_or(Comment::is_by_author);
    let action =
        |verb| site.links.desk_action(&DeskAction { verb, comment: comment.id, user: user.id, message: message.id });
    let mut context = Context::new();
    context.insert("comment", &view);
    context.insert("parent", &parent.as_ref().map(|p| site.view(conn, p)).transpose()?);
    context.insert("question", &question);
    context.insert("approve_url", &view.pending.then(|| action(DeskVerb::Approve)));
    context.insert("spam_url", &action(DeskVerb::Spam));
    context.insert("answer_url", &action(DeskVerb::Answer));
    context.insert("desk_url", &format!("{}/admin/comments?status={}", site.base_url, comment.status));
    context.insert("settings_url", &format!("{}/admin/settings", site.base_url));
    let what = match (view.private, question) {
        (true, _) => "private question",
        (false, true) => "question",
        (false, false) => "comment",
    };
    let waiting = if view.pending { " (waiting for you)" } else { "" };
    let subject = format!("New {what} from {} on “{}”{waiting}", view.author_name, view.article_title);
    let unsubscribe = site.links.unsubscribe(&Stop::Account { user: user.id });
    site.render("new_comment", context, subject, Some(comment.post_slug.clone()), unsubscribe).map(Some)
}

fn digest(conn: &mut AnyConnection, site: &Site, message: &Message) -> anyhow::Result<Option<Composed>> {
    let Some(user) = account(conn, message)? else { return Ok(None) };
    let since = message.since.unwrap_or(NaiveDateTime::MIN);
    let arrived = comments::arrived_between(
        conn,
        &[CommentStatus::Pending, CommentStatus::Approved, CommentStatus::Private],
        since,
        message.created_at,
        DIGEST_MAX_COMMENTS,
    )?;
    if arrived.is_empty() {
        return Ok(None);
    }
    let mut paths = (site.comment_paths)(conn, &arrived)?;
    let views: Vec<CommentView> = arrived.iter().map(|c| site.view_at(c, paths.remove(&c.id))).collect();
    let waiting = views.iter().filter(|v| v.pending).count();
    let to_review = crate::answers::due_count(conn, site.library, site.answers)?;
    let mut context = Context::new();
    context.insert("comments", &views);
    context.insert("waiting", &waiting);
    context.insert("to_review", &to_review);
    context.insert("review_url", &format!("{}/admin/answers/review", site.base_url));
    context.insert("desk_url", &format!("{}/admin", site.base_url));
    context.insert("settings_url", &format!("{}/admin/settings", site.base_url));
    let count = if views.len() == 1 { "1 new comment".to_owned() } else { format!("{} new comments", views.len()) };
    let subject = format!("{count} on {}", site.title);
    let unsubscribe = site.links.unsubscribe(&Stop::Account { user: user.id });
    site.render("digest", context, subject, None, unsubscribe).map(Some)
}

fn answer(conn: &mut AnyConnection, site: &Site, message: &Message) -> anyhow::Result<Option<Composed>> {
    let Some(reply) = message.comment_id.map(|id| comments::find(conn, id)).transpose()?.flatten() else {
        return Ok(None);
    };
    if !matches!(reply.status, CommentStatus::Approved | CommentStatus::Private) || reply.erased_at.is_some() {
        return Ok(None);
    }
    let Some(asked) = reply.parent_id.map(|id| comments::find(conn, id)).transpose()?.flatten() else {
        return Ok(None);
    };
    // A private answer goes only to the one who asked privately.
    let private = reply.status == CommentStatus::Private;
    if asked.erased_at.is_some() || private != (asked.status == CommentStatus::Private) {
        return Ok(None);
    }
    let mut reply_view = site.view(conn, &reply)?;
    let mut asked_view = site.view(conn, &asked)?;
    if private {
        // On no page but the asker's own: that is where the links lead.
        let own_page = format!("{}/comments/manage", site.base_url);
        reply_view.permalink.clone_from(&own_page);
        asked_view.permalink = own_page;
    }
    let mut context = Context::new();
    context.insert("reply", &reply_view);
    context.insert("asked", &asked_view);
    context.insert("stop_all", &site.links.unsubscribe(&Stop::Address { email: message.recipient.clone() }));
    context.insert("manage_url", &format!("{}/comments/manage", site.base_url));
    let subject = if private {
        format!("{} answered your private question on “{}”", reply_view.author_name, reply_view.article_title)
    } else if message.kind == MessageKind::Answer {
        format!("{} answered your question on “{}”", reply_view.author_name, reply_view.article_title)
    } else {
        format!("{} replied to your comment on “{}”", reply_view.author_name, reply_view.article_title)
    };
    let unsubscribe = site.links.unsubscribe(&Stop::Thread { email: message.recipient.clone(), comment: asked.id });
    site.render("answer", context, subject, Some(asked.post_slug.clone()), unsubscribe).map(Some)
}

fn confirm(site: &Site, message: &Message) -> anyhow::Result<Composed> {
    let mut context = Context::new();
    context.insert("confirm_url", &site.links.confirm(&message.recipient));
    context.insert("author_name", site.author_name);
    let subject = format!("Please confirm: email notices from {}", site.title);
    let unsubscribe = site.links.unsubscribe(&Stop::Address { email: message.recipient.clone() });
    site.render("confirm", context, subject, None, unsubscribe)
}

fn manage_link(site: &Site, message: &Message) -> anyhow::Result<Composed> {
    let mut context = Context::new();
    context.insert("manage_url", &site.links.manage(&message.recipient));
    context.insert("hours", &(super::links::MANAGE_LIFETIME_SECS / 3600));
    let subject = format!("Your link to manage your comments on {}", site.title);
    let unsubscribe = site.links.unsubscribe(&Stop::Address { email: message.recipient.clone() });
    site.render("manage_link", context, subject, None, unsubscribe)
}
