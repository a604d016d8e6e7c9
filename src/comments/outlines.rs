//! The rules of the discussions and the approved comments of each article,
//! as the outline of its discussion reads them, kept in memory for as long
//! as the page cache keeps its pages (the same generation: emptied by the
//! same changes, a setting saved among them, on this instance at once and
//! on the others within a second). The redirect after a comment and every
//! page rendered for one reader then read only that reader's own comments,
//! however long the discussion, and not the settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use chrono::NaiveDateTime;

use super::pages::Outline;
use super::rules::load as load_rules;
use super::rules::Rules;
use crate::db::comments::{self, Placement};
use crate::db::AnyConnection;
use crate::domain::CommentId;

/// Articles whose outline is kept at most; beyond, the store is emptied and refilled.
const MAX_ARTICLES: usize = 2_000;

/// A comment's place, with the time that orders it.
type Dated = (NaiveDateTime, Placement);

/// The kept rules, and the kept approved comments of each article.
#[derive(Default)]
pub struct KeptOutlines {
    rules: Mutex<Option<(u64, Rules)>>,
    articles: Mutex<HashMap<String, Kept>>,
}

struct Kept {
    /// The page cache's generation when they were read.
    generation: u64,
    approved: Arc<[Dated]>,
}

/// The kept outlines as they stand at one generation of the page cache,
/// taken before the database is read: what is read through it is kept for
/// as long as the cache stays at that generation.
pub struct OutlinesAt {
    kept: Arc<KeptOutlines>,
    generation: u64,
}

impl OutlinesAt {
    pub fn new(kept: Arc<KeptOutlines>, generation: u64) -> Self {
        Self { kept, generation }
    }

    /// The rules of the discussions, as the author last saved them.
    pub fn rules(&self, conn: &mut AnyConnection) -> anyhow::Result<Rules> {
        if let Some((generation, rules)) = &*self.kept.rules.lock().unwrap_or_else(PoisonError::into_inner) {
            if *generation == self.generation {
                return Ok(rules.clone());
            }
        }
        let rules = load_rules(conn)?;
        *self.kept.rules.lock().unwrap_or_else(PoisonError::into_inner) = Some((self.generation, rules.clone()));
        Ok(rules)
    }

    /// The pages of article `slug`'s discussion as a visitor with
    /// `own_pending` comments sees them.
    pub fn outline(
        &self,
        conn: &mut AnyConnection,
        slug: &str,
        own_pending: &[CommentId],
        rules: &Rules,
    ) -> anyhow::Result<Outline> {
        let approved = match self.kept.kept(slug, self.generation) {
            Some(approved) => approved,
            None => {
                let approved: Arc<[Dated]> = read_approved(conn, slug)?.into();
                self.kept.keep(slug, self.generation, Arc::clone(&approved));
                approved
            }
        };
        Ok(Outline::new(&placements(conn, slug, &approved, own_pending)?, rules))
    }
}

/// The pages of article `slug`'s discussion as a visitor with
/// `own_pending` comments sees them, read from the database alone.
pub fn read_outline(
    conn: &mut AnyConnection,
    slug: &str,
    own_pending: &[CommentId],
    rules: &Rules,
) -> anyhow::Result<Outline> {
    let approved = read_approved(conn, slug)?;
    Ok(Outline::new(&placements(conn, slug, &approved, own_pending)?, rules))
}

fn read_approved(conn: &mut AnyConnection, slug: &str) -> anyhow::Result<Vec<Dated>> {
    comments::approved_with_times(conn, slug).with_context(|| format!("loading the outline of the comments of {slug}"))
}

/// The `approved` comments of article `slug` with the visitor's own among
/// them, oldest first.
fn placements(
    conn: &mut AnyConnection,
    slug: &str,
    approved: &[Dated],
    own_pending: &[CommentId],
) -> anyhow::Result<Vec<Placement>> {
    let own = comments::own_with_times(conn, slug, own_pending)
        .with_context(|| format!("finding the visitor's own comments on {slug}"))?;
    Ok(merge(approved, own))
}

impl KeptOutlines {
    fn kept(&self, slug: &str, generation: u64) -> Option<Arc<[Dated]>> {
        let articles = self.articles.lock().unwrap_or_else(PoisonError::into_inner);
        articles.get(slug).filter(|kept| kept.generation == generation).map(|kept| Arc::clone(&kept.approved))
    }

    fn keep(&self, slug: &str, generation: u64, approved: Arc<[Dated]>) {
        let mut articles = self.articles.lock().unwrap_or_else(PoisonError::into_inner);
        if articles.len() >= MAX_ARTICLES && !articles.contains_key(slug) {
            articles.clear();
        }
        articles.insert(slug.to_owned(), Kept { generation, approved });
    }
}

/// The approved comments and the visitor's own, both in the order of
/// (created_at, id), as one list in that order. A comment of the visitor's
/// that is among the approved ones (approved since) is placed once.
fn merge(approved: &[Dated], mut own: Vec<Dated>) -> Vec<Placement> {
    let key = |(at, placement): &Dated| (*at, placement.id);
    own.sort_by_key(key);
    own.retain(|mine| approved.binary_search_by_key(&key(mine), key).is_err());
    let mut own = own.into_iter().peekable();
    let mut placed = Vec::with_capacity(approved.len() + own.len());
    for shown in approved {
        while let Some((_, earlier)) = own.next_if(|mine| key(mine) < key(shown)) {
            placed.push(earlier);
        }
        placed.push(shown.1);
    }
    placed.extend(own.map(|(_, placement)| placement));
    placed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CommentStatus;

    fn dated(minute: u32, id: i32, status: CommentStatus) -> Dated {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).and_then(|d| d.and_hms_opt(0, minute, 0)).expect("a time");
        (at, Placement { id: CommentId(id), parent_id: None, status, erased_at: None, user_id: None })
    }

    #[test]
    fn the_visitors_own_comments_take_their_places_in_time_and_once() {
        let approved = [dated(1, 1, CommentStatus::Approved), dated(3, 3, CommentStatus::Approved)];
        let own = vec![
            dated(4, 4, CommentStatus::Pending),
            dated(2, 2, CommentStatus::Pending),
            dated(3, 3, CommentStatus::Approved),
        ];
        let ids: Vec<i32> = merge(&approved, own).iter().map(|p| p.id.0).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
    }
}
