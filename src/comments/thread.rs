//! Turns an article's comments (oldest first) into the thread shown under
//! it, in one pass: a flat list in reading order, each comment saying how
//! deep it sits and which nested lists open and close after it, so that the
//! template renders it with one loop.

use std::collections::HashMap;

use chrono_tz::Tz;
use serde::Serialize;

use crate::comments::rules::ThreadOrder;
use crate::content::When;
use crate::db::comments::Comment;
use crate::domain::{CommentId, CommentStatus, Role, UserId};
use crate::markdown::SafeHtml;

/// A comment as readers see it: no email, no IP.
#[derive(Debug, Serialize)]
pub struct ShownComment {
    pub id: CommentId,
    pub author_name: String,
    /// One or two letters for the avatar beside the name (no picture leaves
    /// the site, and no address hash either).
    pub initials: String,
    pub author_url: Option<String>,
    pub by_author: bool,
    /// "Author" or "Moderator": only ever from a signed-in account.
    pub badge: Option<&'static str>,
    pub awaiting_moderation: bool,
    pub edited: bool,
    /// The author removed personal details from it.
    pub redacted: bool,
    /// Erased at the writer's request: only its place is shown, for its replies.
    pub erased: bool,
    /// The visitor's own comment, awaiting moderation: they may edit or delete it.
    pub own: bool,
    /// What its writer should do now, when its text showed emergency signs
    /// (shown to them alone, with their own comment).
    pub safety: Option<crate::trust::SafetyNotice>,
    pub body: SafeHtml,
    pub posted: When,
    /// The time of day, for people: `3:39 pm`.
    pub time: String,
    /// Set when the comment is shown flattened below the deepest level.
    pub in_reply_to: Option<String>,
    /// 1 for a comment on the article, 2 for a reply, and so on.
    pub level: usize,
    /// Its replies follow, in a nested list.
    pub opens_replies: bool,
    /// How many nested lists end after it.
    pub closes: usize,
    /// An answer of the author's: when he last said it is right, and when
    /// he last changed it.
    pub review: Option<AnswerDates>,
    /// Dated notes the author added under his answer, oldest first.
    pub notes: Vec<ShownNote>,
}

/// The dates shown beside an answer of the author's.
#[derive(Debug, Serialize)]
pub struct AnswerDates {
    /// "March 2026", and `2026-03` for `<time datetime>`.
    pub reviewed: String,
    pub reviewed_iso: String,
    /// The same, for JSON-LD.
    pub reviewed_rfc3339: String,
    /// When he edited it.
    pub updated: Option<When>,
}

/// A note under an answer.
#[derive(Debug, Serialize)]
pub struct ShownNote {
    pub added: When,
    pub body: SafeHtml,
}

impl ShownComment {
    fn new(comment: &Comment, staff_roles: &HashMap<UserId, Role>, level: usize, zone: Tz) -> Self {
        let posted = When::in_zone(comment.created_at, zone);
        let badge = comment.user_id.map(|user| staff_roles.get(&user).copied().unwrap_or(Role::Author).badge());
        Self {
            id: comment.id,
            author_name: comment.author_name.clone(),
            initials: initials(&comment.author_name),
            author_url: comment.author_url.clone(),
            by_author: comment.is_by_author(),
            badge,
            // A writer's filtered comment looks pending to them: spammers learn nothing.
            awaiting_moderation: comment.status != CommentStatus::Approved,
            edited: comment.edited_at.is_some(),
            redacted: comment.redacted_at.is_some(),
            erased: comment.erased_at.is_some(),
            own: false,
            safety: None,
            body: comment.body_html.clone(),
            time: posted.time_of_day(),
            posted,
            in_reply_to: None,
            level,
            opens_replies: false,
            closes: 0,
            review: answer_dates(comment),
            notes: Vec::new(),
        }
    }
}

/// The dates of an answer of the author's (a reply from a desk account).
fn answer_dates(comment: &Comment) -> Option<AnswerDates> {
    if !comment.is_by_author() || comment.parent_id.is_none() || comment.erased_at.is_some() {
        return None;
    }
    let reviewed = [Some(comment.created_at), comment.edited_at, comment.reviewed_at]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(comment.created_at);
    Some(AnswerDates {
        reviewed: crate::answers::month_year(reviewed),
        reviewed_iso: reviewed.format("%Y-%m").to_string(),
        reviewed_rfc3339: When::new(reviewed).rfc3339,
        updated: comment.edited_at.map(When::new),
    })
}

/// "Ann Reader" → "AR", "dr. oz" → "DO", "Ann" → "A".
fn initials(name: &str) -> String {
    let words: Vec<&str> =
        name.split_whitespace().filter(|w| w.chars().next().is_some_and(char::is_alphanumeric)).collect();
    let picked: Vec<&str> = match words.as_slice() {
        [] => return "?".into(),
        [one] => vec![*one],
        [first, .., last] => vec![*first, *last],
    };
    picked.iter().filter_map(|w| w.chars().next()).flat_map(char::to_uppercase).collect()
}

/// Nests `comments` (oldest first) under their parents, at most `max_depth`
/// levels deep; replies below that level follow at the last level, marked
/// "in reply to". A reply whose parent is not shown starts a thread of its
/// own. Threads come in `order`; replies always oldest first. Times are
/// shown on the clock of `zone`.
pub fn build(
    comments: &[Comment],
    staff_roles: &HashMap<UserId, Role>,
    max_depth: usize,
    order: ThreadOrder,
    zone: Tz,
) -> Vec<ShownComment> {
    let max_depth = max_depth.max(1);
    let position: HashMap<CommentId, usize> = comments.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); comments.len()];
    let mut roots = Vec::new();
    for (i, comment) in comments.iter().enumerate() {
        match comment.parent_id.and_then(|parent| position.get(&parent)) {
            Some(&parent) => children[parent].push(i),
            None => roots.push(i),
        }
    }
    if order == ThreadOrder::Newest {
        roots.reverse();
    }
    let tree = Tree { comments, staff_roles, position: &position, children: &children, max_depth, zone };
    let mut thread = Vec::with_capacity(comments.len());
    tree.emit(&roots, 1, &mut thread);
    thread
}

struct Tree<'a> {
    comments: &'a [Comment],
    staff_roles: &'a HashMap<UserId, Role>,
    position: &'a HashMap<CommentId, usize>,
    children: &'a [Vec<usize>],
    max_depth: usize,
    zone: Tz,
}

impl Tree<'_> {
    /// Appends the comments `items`, shown at `level`, each followed by its
    /// replies.
    fn emit(&self, items: &[usize], level: usize, out: &mut Vec<ShownComment>) {
        for &i in items {
            let mut shown = ShownComment::new(&self.comments[i], self.staff_roles, level, self.zone);
            let replies = &self.children[i];
            if level < self.max_depth {
                shown.opens_replies = !replies.is_empty();
                out.push(shown);
                if !replies.is_empty() {
                    self.emit(replies, level + 1, out);
                    if let Some(last) = out.last_mut() {
                        last.closes += 1;
                    }
                }
            } else {
                // The deepest level: every descendant follows here, in
                // order, saying whom it answers.
                out.push(shown);
                let mut stack: Vec<usize> = replies.iter().rev().copied().collect();
                while let Some(j) = stack.pop() {
                    let mut flat = ShownComment::new(&self.comments[j], self.staff_roles, level, self.zone);
                    flat.in_reply_to = self.comments[j]
                        .parent_id
                        .and_then(|parent| self.position.get(&parent))
                        .map(|&parent| &self.comments[parent])
                        .map(|parent| match parent.erased_at {
                            Some(_) => "a removed comment".to_owned(),
                            None => parent.author_name.clone(),
                        });
                    out.push(flat);
                    stack.extend(self.children[j].iter().rev());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_and_last_words() {
        assert_eq!(initials("Ann Reader"), "AR");
        assert_eq!(initials("dr. maria de la cruz"), "DC");
        assert_eq!(initials("Émile"), "É");
        assert_eq!(initials("  "), "?");
        assert_eq!(initials("— Bo"), "B");
    }
    use chrono::NaiveDate;

    fn comment(id: i32, parent: Option<i32>) -> Comment {
        let at = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().and_hms_opt(12, 0, id as u32).unwrap();
        Comment {
            id: CommentId(id),
            post_slug: "post".into(),
            parent_id: parent.map(CommentId),
            author_name: format!("Reader {id}"),
            author_email: format!("r{id}@example.org"),
            author_email_key: crate::domain::EmailKey::of(&format!("r{id}@example.org")),
            author_url: None,
            user_id: None,
            body_markdown: String::new(),
            body_html: crate::markdown::render_comment(&format!("comment {id}")),
            status: CommentStatus::Approved,
            notify: false,
            no_answer_needed: false,
            ip_hash: String::new(),
            user_agent: String::new(),
            created_at: at,
            updated_at: at,
            edited_at: None,
            notify_replies: false,
            erased_at: None,
            urgent: None,
            consent_version: None,
            consent_at: None,
            consent_method: None,
            redacted_at: None,
            reviewed_at: None,
        }
    }

    /// (id, level, opens replies, lists closed after it), in reading order.
    fn shape(thread: &[ShownComment]) -> Vec<(i32, usize, bool, usize)> {
        thread.iter().map(|c| (c.id.0, c.level, c.opens_replies, c.closes)).collect()
    }

    #[test]
    fn replies_nest_under_their_parents_in_order() {
        let comments =
            [comment(1, None), comment(2, Some(1)), comment(3, None), comment(4, Some(1)), comment(5, Some(2))];
        let thread = build(&comments, &HashMap::new(), 5, ThreadOrder::Oldest, Tz::UTC);
        assert_eq!(
            shape(&thread),
            [(1, 1, true, 0), (2, 2, true, 0), (5, 3, false, 1), (4, 2, false, 1), (3, 1, false, 0)]
        );
    }

    #[test]
    fn replies_below_the_deepest_level_follow_it_and_say_whom_they_answer() {
        let comments =
            [comment(1, None), comment(2, Some(1)), comment(3, Some(2)), comment(4, Some(3)), comment(5, Some(2))];
        let thread = build(&comments, &HashMap::new(), 2, ThreadOrder::Oldest, Tz::UTC);
        assert_eq!(
            shape(&thread),
            [(1, 1, true, 0), (2, 2, false, 0), (3, 2, false, 0), (4, 2, false, 0), (5, 2, false, 1)]
        );
        let names: Vec<_> = thread.iter().map(|r| r.in_reply_to.as_deref()).collect();
        assert_eq!(names, [None, None, Some("Reader 2"), Some("Reader 3"), Some("Reader 2")]);
    }

    #[test]
    fn a_reply_to_a_hidden_comment_starts_its_own_thread() {
        let thread = build(&[comment(7, Some(99))], &HashMap::new(), 5, ThreadOrder::Oldest, Tz::UTC);
        assert_eq!(shape(&thread), [(7, 1, false, 0)]);
    }
}
