//! Links to the pages before and after the current one, for the article
//! lists and the desk's lists alike.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Pagination {
    pub current: usize,
    pub total: usize,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// What the links say.
    pub newer_label: &'static str,
    pub older_label: &'static str,
}

impl Pagination {
    /// `link(n)` makes the address of page `n`.
    pub fn new(current: usize, total: usize, link: impl Fn(usize) -> String) -> Self {
        Self {
            current,
            total,
            newer: (current > 1).then(|| link(current - 1)),
            older: (current < total).then(|| link(current + 1)),
            newer_label: "Newer articles",
            older_label: "Older articles",
        }
    }

    /// The same links for a list of something other than articles.
    pub fn labelled(mut self, newer: &'static str, older: &'static str) -> Self {
        (self.newer_label, self.older_label) = (newer, older);
        self
    }
}
