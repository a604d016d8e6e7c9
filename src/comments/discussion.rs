//! What an article page shows below the article: the visible comments and
//! the rules that govern its form.

use std::collections::HashMap;

use anyhow::Context;

use crate::comments::outlines::{self, OutlinesAt};
use crate::comments::rules::Rules;
use crate::comments::tally::Tally;
use crate::content::Article;
use crate::db::comments::Comment;
use crate::db::{self, AnyConnection};
use crate::domain::{CommentId, CommentStatus, Role, UserId};

pub struct Discussion {
    /// Oldest first: the page's approved comments, and the visitor's own
    /// there that still await moderation.
    pub comments: Vec<Comment>,
    /// The role of each desk account that wrote one of them.
    pub staff_roles: HashMap<UserId, Role>,
    pub rules: Rules,
    /// Which page of the discussion this is, from 1.
    pub page: usize,
    pub page_count: usize,
    /// Every published comment of the article, on every page, by kind.
    pub tally: Tally,
    /// The notes the author added under his answers on this page.
    pub notes: Vec<crate::db::answers::AnswerNote>,
}

impl Discussion {
    /// The rules and page `page` of the comments of article `slug` that a
    /// visitor with `own_pending` comments sees, in four queries whatever
    /// the size of the discussion, and two when `outlines` still have the
    /// rules and the approved comments' outline; `None` past the last page.
    pub fn load(
        conn: &mut AnyConnection,
        outlines: &OutlinesAt,
        slug: &str,
        own_pending: &[CommentId],
        page: usize,
    ) -> anyhow::Result<Option<Self>> {
        let rules = outlines.rules(conn)?;
        let outline = outlines.outline(conn, slug, own_pending, &rules)?;
        if page == 0 || page > outline.page_count() {
            return Ok(None);
        }
        let rows = db::comments::with_roles(conn, &outline.comments_on(page))
            .with_context(|| format!("loading page {page} of the comments of {slug}"))?;
        let staff_roles = rows.iter().filter_map(|(c, role)| Some((c.user_id?, (*role)?))).collect();
        let comments: Vec<Comment> = rows.into_iter().map(|(comment, _)| comment).collect();
        // Notes are only ever under the author's answers: most pages need no query.
        let answers: Vec<CommentId> =
            comments.iter().filter(|c| c.is_by_author() && c.parent_id.is_some()).map(|c| c.id).collect();
        let notes = db::answers::notes_of(conn, &answers)
            .with_context(|| format!("loading the notes under the answers on {slug}"))?;
        Ok(Some(Self {
            comments,
            staff_roles,
            rules,
            page,
            page_count: outline.page_count(),
            tally: outline.tally(),
            notes,
        }))
    }

    /// Nothing to show, for a page that must appear while the database
    /// cannot be read (the form, with the visitor's text, still can).
    pub fn unavailable() -> Self {
        Self {
            comments: Vec::new(),
            staff_roles: HashMap::new(),
            rules: Rules::default(),
            page: 1,
            page_count: 1,
            tally: Tally::default(),
            notes: Vec::new(),
        }
    }

    /// An approved comment of this article that a reply may answer.
    pub fn answerable(&self, id: CommentId) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id && c.status == CommentStatus::Approved && c.erased_at.is_none())
    }
}

/// The address of comment `id` of article `slug`: `/posts/{slug}#comment-{id}`
/// when its thread is on the article's own page, else
/// `/posts/{slug}/comment-page-N#comment-{id}`. Every link to a comment is
/// made here (a fragment never reaches the server, so it cannot find the
/// page by itself).
pub fn comment_path(conn: &mut AnyConnection, slug: &str, id: CommentId, rules: &Rules) -> anyhow::Result<String> {
    // The comment itself is placed even while it awaits moderation: its
    // writer, the author and the desk's mail links all go to it.
    Ok(outlines::read_outline(conn, slug, &[id], rules)?.path(slug, id))
}

pub use super::rules::load as load_rules;

/// Whether readers may comment on `article` under `rules` at `now`.
pub fn comments_open(article: &Article, rules: &Rules, now: chrono::NaiveDateTime) -> bool {
    let too_old =
        rules.close_after_days > 0 && (now - article.published.at).num_days() > i64::from(rules.close_after_days);
    article.comments_open && !too_old
}

/// `comment_paths` under the rules as the author last saved them.
pub fn current_comment_paths(
    conn: &mut AnyConnection,
    comments: &[Comment],
) -> anyhow::Result<HashMap<CommentId, String>> {
    let rules = load_rules(conn)?;
    comment_paths(conn, comments, &rules)
}

/// `comment_path` for each of `comments`, which may belong to many articles:
/// one query per article among them.
pub fn comment_paths(
    conn: &mut AnyConnection,
    comments: &[Comment],
    rules: &Rules,
) -> anyhow::Result<HashMap<CommentId, String>> {
    let mut by_article: HashMap<&str, Vec<CommentId>> = HashMap::new();
    for comment in comments {
        by_article.entry(&comment.post_slug).or_default().push(comment.id);
    }
    let mut paths = HashMap::new();
    for (slug, ids) in by_article {
        let outline = outlines::read_outline(conn, slug, &ids, rules)?;
        paths.extend(ids.iter().map(|&id| (id, outline.path(slug, id))));
    }
    Ok(paths)
}
