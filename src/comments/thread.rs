//! Turns an article's comments (oldest first) into the nested thread shown
//! under it, in one pass.

use std::collections::HashMap;

use serde::Serialize;

use crate::content::When;
use crate::db::comments::Comment;
use crate::domain::CommentStatus;
use crate::markdown::SafeHtml;

/// A comment as readers see it: no email, no IP.
#[derive(Debug, Serialize)]
pub struct ShownComment {
    pub id: i32,
    pub author_name: String,
    pub author_url: Option<String>,
    pub by_author: bool,
    pub awaiting_moderation: bool,
    pub edited: bool,
    pub body: SafeHtml,
    pub posted: When,
    /// The time of day, for people: `3:39 pm`.
    pub time: String,
    /// Set when the comment is shown flattened below the deepest level.
    pub in_reply_to: Option<String>,
    pub replies: Vec<ShownComment>,
}

impl ShownComment {
    fn new(comment: &Comment) -> Self {
        Self {
            id: comment.id,
            author_name: comment.author_name.clone(),
            author_url: comment.author_url.clone(),
            by_author: comment.is_by_author(),
            // A writer's filtered comment looks pending to them: spammers learn nothing.
            awaiting_moderation: comment.status() != CommentStatus::Approved,
            edited: comment.edited_at.is_some(),
            body: SafeHtml::from_stored(comment.body_html.clone()),
            posted: When::new(comment.created_at),
            time: comment.created_at.format("%-I:%M %P").to_string(),
            in_reply_to: None,
            replies: Vec::new(),
        }
    }
}

/// Nests `comments` (oldest first) under their parents, at most `max_depth`
/// levels deep; replies below that level follow at the last level, marked
/// "in reply to". A reply whose parent is not shown starts a thread of its own.
pub fn build(comments: &[Comment], max_depth: usize) -> Vec<ShownComment> {
    let max_depth = max_depth.max(1);
    let position: HashMap<i32, usize> = comments.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); comments.len()];
    let mut roots = Vec::new();
    for (i, comment) in comments.iter().enumerate() {
        match comment.parent_id.and_then(|parent| position.get(&parent)) {
            Some(&parent) => children[parent].push(i),
            None => roots.push(i),
        }
    }
    let tree = Tree { comments, position: &position, children: &children, max_depth };
    tree.list(&roots, 1)
}

struct Tree<'a> {
    comments: &'a [Comment],
    position: &'a HashMap<i32, usize>,
    children: &'a [Vec<usize>],
    max_depth: usize,
}

impl Tree<'_> {
    /// The comments `items` shown at `level`, each with its replies.
    fn list(&self, items: &[usize], level: usize) -> Vec<ShownComment> {
        let mut shown = Vec::with_capacity(items.len());
        for &i in items {
            let mut node = ShownComment::new(&self.comments[i]);
            if level < self.max_depth {
                node.replies = self.list(&self.children[i], level + 1);
                shown.push(node);
            } else {
                // The deepest level: every descendant follows here, in
                // order, saying whom it answers.
                shown.push(node);
                let mut stack: Vec<usize> = self.children[i].iter().rev().copied().collect();
                while let Some(j) = stack.pop() {
                    let mut flat = ShownComment::new(&self.comments[j]);
                    flat.in_reply_to = self.comments[j]
                        .parent_id
                        .and_then(|parent| self.position.get(&parent))
                        .map(|&parent| self.comments[parent].author_name.clone());
                    shown.push(flat);
                    stack.extend(self.children[j].iter().rev());
                }
            }
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn comment(id: i32, parent: Option<i32>) -> Comment {
        let at = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().and_hms_opt(12, 0, id as u32).unwrap();
        Comment {
            id,
            post_slug: "post".into(),
            parent_id: parent,
            depth: 0,
            author_name: format!("Reader {id}"),
            author_email: format!("r{id}@example.org"),
            author_url: None,
            user_id: None,
            body_markdown: String::new(),
            body_html: format!("<p>comment {id}</p>"),
            status: "approved".into(),
            notify: false,
            no_answer_needed: false,
            ip_hash: String::new(),
            user_agent: String::new(),
            created_at: at,
            updated_at: at,
            edited_at: None,
        }
    }

    fn ids(nodes: &[ShownComment]) -> Vec<i32> {
        nodes.iter().map(|n| n.id).collect()
    }

    #[test]
    fn replies_nest_under_their_parents_in_order() {
        let comments =
            [comment(1, None), comment(2, Some(1)), comment(3, None), comment(4, Some(1)), comment(5, Some(2))];
        let thread = build(&comments, 5);
        assert_eq!(ids(&thread), [1, 3]);
        assert_eq!(ids(&thread[0].replies), [2, 4]);
        assert_eq!(ids(&thread[0].replies[0].replies), [5]);
    }

    #[test]
    fn replies_below_the_deepest_level_follow_it_and_say_whom_they_answer() {
        let comments =
            [comment(1, None), comment(2, Some(1)), comment(3, Some(2)), comment(4, Some(3)), comment(5, Some(2))];
        let thread = build(&comments, 2);
        let last_level = &thread[0].replies;
        assert_eq!(ids(last_level), [2, 3, 4, 5]);
        assert!(last_level.iter().all(|c| c.replies.is_empty()));
        let names: Vec<_> = last_level.iter().map(|r| r.in_reply_to.as_deref()).collect();
        assert_eq!(names, [None, Some("Reader 2"), Some("Reader 3"), Some("Reader 2")]);
    }

    #[test]
    fn a_reply_to_a_hidden_comment_starts_its_own_thread() {
        let thread = build(&[comment(7, Some(99))], 5);
        assert_eq!(ids(&thread), [7]);
    }
}
