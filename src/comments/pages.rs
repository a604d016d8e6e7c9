//! Long discussions in pages of whole threads, as WordPress pages them:
//! page 1 is the article itself, page N is `/posts/{slug}/comment-page-N`.
//! A thread is a comment on the article with all its replies, and never
//! splits across pages. Pages are counted in the threads every reader sees,
//! so that a page's address means the same to everyone; a visitor's own
//! comment still awaiting moderation shows on the page where it belongs.

use std::collections::{HashMap, HashSet};

use crate::comments::rules::{Rules, ThreadOrder};
use crate::comments::tally::Tally;
use crate::db::comments::Placement;
use crate::domain::{CommentId, CommentStatus};

/// The address of page `number` of an article's discussion.
pub fn page_path(slug: &str, number: usize) -> String {
    let slug = crate::content::ArticleKind::encoded(slug);
    if number <= 1 {
        format!("/posts/{slug}")
    } else {
        format!("/posts/{slug}/comment-page-{number}")
    }
}

/// Which page shows each comment of one article.
#[derive(Debug)]
pub struct Outline {
    /// The page of each comment in the outline.
    page_of: HashMap<CommentId, usize>,
    /// Oldest first, as read.
    order: Vec<CommentId>,
    page_count: usize,
    tally: Tally,
}

impl Outline {
    /// Pages `placements` (oldest first, as `comments::outlines` gives
    /// them) by `rules`.
    pub fn new(placements: &[Placement], rules: &Rules) -> Self {
        let per_page = rules.threads_per_page.max(1);
        let approved: HashSet<CommentId> =
            placements.iter().filter(|p| p.status == CommentStatus::Approved).map(|p| p.id).collect();
        let parent: HashMap<CommentId, Option<CommentId>> = placements.iter().map(|p| (p.id, p.parent_id)).collect();
        // A thread starts at an approved comment whose parent nobody sees
        // (none, or one taken down since it was answered).
        let starts_thread = |p: &Placement| {
            p.status == CommentStatus::Approved && p.parent_id.is_none_or(|parent| !approved.contains(&parent))
        };
        let roots: Vec<CommentId> = placements.iter().filter(|p| starts_thread(p)).map(|p| p.id).collect();
        let threads = roots.len();
        let page_count = threads.div_ceil(per_page).max(1);
        let page_of_index = |index: usize| {
            let shown_at = match rules.thread_order {
                ThreadOrder::Oldest => index,
                ThreadOrder::Newest => threads.saturating_sub(index + 1),
            };
            (shown_at / per_page + 1).min(page_count)
        };
        let mut page_of: HashMap<CommentId, usize> =
            roots.iter().enumerate().map(|(index, &root)| (root, page_of_index(index))).collect();

        // Every other comment goes where the thread it belongs to goes; the
        // visitor's own comment that starts a thread goes where it would
        // stand among the others (the last page, oldest first; the first,
        // newest first).
        let mut threads_before = 0;
        for placement in placements {
            if starts_thread(placement) {
                threads_before += 1;
                continue;
            }
            let page = match thread_root(placement.id, &parent, &approved).and_then(|root| page_of.get(&root)) {
                Some(&page) => page,
                None => {
                    let shown_at = match rules.thread_order {
                        ThreadOrder::Oldest => threads_before,
                        ThreadOrder::Newest => threads - threads_before,
                    };
                    (shown_at / per_page + 1).min(page_count)
                }
            };
            page_of.insert(placement.id, page);
        }
        Self { page_of, order: placements.iter().map(|p| p.id).collect(), page_count, tally: Tally::of(placements) }
    }

    /// At least 1, for a discussion without comments.
    pub fn page_count(&self) -> usize {
        self.page_count
    }

    /// Every published comment, however many pages they take, by kind.
    pub fn tally(&self) -> Tally {
        self.tally
    }

    /// The page that shows comment `id`, when it is shown at all.
    pub fn page_of(&self, id: CommentId) -> Option<usize> {
        self.page_of.get(&id).copied()
    }

    /// The comments on page `number`, oldest first.
    pub fn comments_on(&self, number: usize) -> Vec<CommentId> {
        self.order.iter().copied().filter(|id| self.page_of.get(id) == Some(&number)).collect()
    }

    /// The address of comment `id` under article `slug`: its page, and its
    /// anchor there. A comment nobody sees gets page 1.
    pub fn path(&self, slug: &str, id: CommentId) -> String {
        format!("{}#comment-{id}", page_path(slug, self.page_of(id).unwrap_or(1)))
    }
}

/// The approved comment that starts the thread of `id`, walking up through
/// approved parents; `None` when `id` itself starts a thread nobody else
/// sees (a visitor's own comment on the article).
fn thread_root(
    id: CommentId,
    parent: &HashMap<CommentId, Option<CommentId>>,
    approved: &HashSet<CommentId>,
) -> Option<CommentId> {
    let mut current = id;
    let mut root = approved.contains(&id).then_some(id);
    // At most one step per comment: stored parents cannot loop, but a
    // page must not hang on a database that says they do.
    for _ in 0..parent.len() {
        match parent.get(&current).copied().flatten() {
            Some(up) if approved.contains(&up) => {
                current = up;
                root = Some(up);
            }
            _ => break,
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(id: i32, parent: Option<i32>, status: CommentStatus) -> Placement {
        Placement { id: CommentId(id), parent_id: parent.map(CommentId), status, erased_at: None, user_id: None }
    }

    fn approved(id: i32, parent: Option<i32>) -> Placement {
        placed(id, parent, CommentStatus::Approved)
    }

    fn rules(per_page: usize, order: ThreadOrder) -> Rules {
        Rules { threads_per_page: per_page, thread_order: order, ..Rules::default() }
    }

    fn ids(list: &[i32]) -> Vec<CommentId> {
        list.iter().copied().map(CommentId).collect()
    }

    #[test]
    fn threads_fill_pages_whole_oldest_first() {
        // Three threads: 1 (with 2, and 4 answering 2), 3, 5 (with 6).
        let placements = [
            approved(1, None),
            approved(2, Some(1)),
            approved(3, None),
            approved(4, Some(2)),
            approved(5, None),
            approved(6, Some(5)),
        ];
        let outline = Outline::new(&placements, &rules(2, ThreadOrder::Oldest));
        assert_eq!(outline.page_count(), 2);
        assert_eq!(outline.comments_on(1), ids(&[1, 2, 3, 4]));
        assert_eq!(outline.comments_on(2), ids(&[5, 6]));
        assert_eq!(outline.path("p", CommentId(6)), "/posts/p/comment-page-2#comment-6");
        assert_eq!(outline.path("p", CommentId(4)), "/posts/p#comment-4");
        assert_eq!(outline.tally().total(), 6);
    }

    #[test]
    fn newest_first_puts_the_newest_threads_on_page_one() {
        let placements = [approved(1, None), approved(2, None), approved(3, None), approved(4, Some(1))];
        let outline = Outline::new(&placements, &rules(2, ThreadOrder::Newest));
        assert_eq!(outline.comments_on(1), ids(&[2, 3]));
        assert_eq!(outline.comments_on(2), ids(&[1, 4]));
    }

    #[test]
    fn a_visitors_own_comment_goes_where_it_belongs() {
        let placements = [
            approved(1, None),
            approved(2, None),
            approved(3, None),
            placed(4, Some(1), CommentStatus::Pending),
            placed(5, None, CommentStatus::Pending),
        ];
        let oldest = Outline::new(&placements, &rules(2, ThreadOrder::Oldest));
        assert_eq!((oldest.page_of(CommentId(4)), oldest.page_of(CommentId(5))), (Some(1), Some(2)));
        let newest = Outline::new(&placements, &rules(2, ThreadOrder::Newest));
        assert_eq!((newest.page_of(CommentId(4)), newest.page_of(CommentId(5))), (Some(2), Some(1)));
        // Pages are counted in what everyone sees: the visitor's comment
        // never opens a page of its own.
        let full = Outline::new(
            &placements[..2].iter().chain(&placements[4..]).copied().collect::<Vec<_>>(),
            &rules(2, ThreadOrder::Oldest),
        );
        assert_eq!((full.page_count(), full.page_of(CommentId(5))), (1, Some(1)));
    }

    #[test]
    fn replies_to_a_comment_taken_down_start_a_thread() {
        let placements = [approved(1, None), approved(3, Some(2)), approved(4, Some(3))];
        let outline = Outline::new(&placements, &rules(1, ThreadOrder::Oldest));
        assert_eq!(outline.comments_on(2), ids(&[3, 4]));
    }

    #[test]
    fn no_comments_is_one_page() {
        let outline = Outline::new(&[], &Rules::default());
        assert_eq!((outline.page_count(), outline.comments_on(1)), (1, Vec::new()));
    }
}
