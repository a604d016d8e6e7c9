//! Links to the pages before and after the current one, for the article
//! lists and the desk's lists alike.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// `?page=N` on a public list.
#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    /// The page asked for, from 1; anything but a whole number from 1 is
    /// not a page of the list.
    pub fn number(&self) -> Result<usize, AppError> {
        match self.page.as_deref() {
            None => Ok(1),
            Some(text) => text.parse::<usize>().ok().filter(|n| *n >= 1).ok_or(AppError::NotFound),
        }
    }
}

/// Page `number` (from 1) of `items`, `per_page` at a time; `None` past the
/// end. The first page of an empty list is empty, not missing.
pub fn page_of<T>(items: &[T], number: usize, per_page: usize) -> Option<&[T]> {
    let per_page = per_page.max(1);
    let start = number.checked_sub(1)?.checked_mul(per_page)?;
    if start >= items.len() && !(number == 1 && items.is_empty()) {
        return None;
    }
    Some(&items[start..(start + per_page).min(items.len())])
}

/// How many pages `count` items take, at least 1.
pub fn page_count(count: usize, per_page: usize) -> usize {
    count.div_ceil(per_page.max(1)).max(1)
}

/// The address of page `number` of the list at `path` (which may carry a
/// query already): `path` itself for page 1, so that it has one address.
pub fn page_link(path: &str, number: usize) -> String {
    match (number, path.contains('?')) {
        (0 | 1, _) => path.to_owned(),
        (_, true) => format!("{path}&page={number}"),
        (_, false) => format!("{path}?page={number}"),
    }
}

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
