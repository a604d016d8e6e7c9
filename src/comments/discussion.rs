//! What an article page shows below the article: the visible comments and
//! the rules that govern its form.

use std::collections::HashMap;

use anyhow::Context;

use crate::comments::rules::Rules;
use crate::content::Article;
use crate::db::comments::Comment;
use crate::db::{self, AnyConnection};
use crate::domain::{CommentId, CommentStatus, Role, UserId};

pub struct Discussion {
    /// Oldest first: every approved comment, and the visitor's own that
    /// still await moderation.
    pub comments: Vec<Comment>,
    /// The role of each desk account that wrote one of them.
    pub staff_roles: HashMap<UserId, Role>,
    pub rules: Rules,
}

impl Discussion {
    /// The rules and the visible comments of article `slug`, in two queries.
    pub fn load(conn: &mut AnyConnection, slug: &str, own_pending: &[CommentId]) -> anyhow::Result<Self> {
        let rows = db::comments::for_article(conn, slug, own_pending)
            .with_context(|| format!("loading the comments of {slug}"))?;
        let rules = load_rules(conn)?;
        let staff_roles = rows.iter().filter_map(|(c, role)| Some((c.user_id?, (*role)?))).collect();
        let comments = rows.into_iter().map(|(comment, _)| comment).collect();
        Ok(Self { comments, staff_roles, rules })
    }

    /// Nothing to show, for a page that must appear while the database
    /// cannot be read (the form, with the visitor's text, still can).
    pub fn unavailable() -> Self {
        Self { comments: Vec::new(), staff_roles: HashMap::new(), rules: Rules::default() }
    }

    /// An approved comment of this article that a reply may answer.
    pub fn answerable(&self, id: CommentId) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id && c.status == CommentStatus::Approved && c.erased_at.is_none())
    }

    pub fn approved_count(&self) -> usize {
        self.comments.iter().filter(|c| c.status == CommentStatus::Approved && c.erased_at.is_none()).count()
    }
}

/// The moderation rules as the author last saved them.
pub fn load_rules(conn: &mut AnyConnection) -> anyhow::Result<Rules> {
    let stored = db::settings::load_all(conn).context("loading the moderation rules")?;
    Ok(Rules::from_stored(&stored))
}

/// Whether readers may comment on `article` under `rules` at `now`.
pub fn comments_open(article: &Article, rules: &Rules, now: chrono::NaiveDateTime) -> bool {
    let too_old =
        rules.close_after_days > 0 && (now - article.published.at).num_days() > i64::from(rules.close_after_days);
    article.comments_open && !too_old
}
