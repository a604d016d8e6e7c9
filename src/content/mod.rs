//! The articles (`content/posts/*.md`) and pages (`content/pages/*.md`),
//! read once at start-up (and on reload) into an in-memory library.

mod article;
pub mod files;
pub mod front_matter;
mod manuscript;
pub mod pictures;
mod search;
pub mod store;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDateTime};
use serde::Serialize;

pub use article::{desk_time, is_slug, slug_from_title, Article, When};
pub use front_matter::{write as post_file, FrontMatter};
pub use manuscript::{ArticleKind, FieldError, Manuscript};
pub use search::Query;
use search::{Indexable, SearchIndex};

/// A problem in a post file, printed as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Every problem found in `content/`, one per line.
#[derive(Debug)]
pub struct ContentErrors(pub Vec<ContentError>);

impl fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContentErrors {}

/// The first path segments the site's own routes answer, which no page may
/// take: a page is served at `/{slug}`, after every other route. The old
/// WordPress addresses that keep working (`/feed/`, `/category/…`, `/tag/…`,
/// `/wp-admin/`…) are kept free too.
pub const RESERVED_PAGE_SLUGS: &[&str] = &[
    "admin",
    "posts",
    "tags",
    "archive",
    "search",
    "static",
    "media",
    "feed.xml",
    "sitemap.xml",
    "robots.txt",
    "healthz",
    "feed",
    "comments",
    "category",
    "tag",
    "wp-admin",
    "wp-content",
    "wp-includes",
    "wp-login.php",
];

/// The published articles, newest first, with their tags and search index,
/// and the published pages.
#[derive(Debug, Default)]
pub struct Library {
    articles: Vec<Arc<Article>>,
    by_slug: HashMap<String, usize>,
    tags: BTreeMap<String, Vec<usize>>,
    index: SearchIndex,
    drafts: usize,
    /// Pages by slug: not in the lists, the feed or the search.
    pages: BTreeMap<String, Arc<Article>>,
    /// Drafts and articles scheduled for later, by slug: shown to a
    /// signed-in author only.
    unpublished_posts: HashMap<String, Arc<Article>>,
    unpublished_pages: HashMap<String, Arc<Article>>,
    /// When the next scheduled article or page is due.
    next_due: Option<NaiveDateTime>,
}

/// One year of the archive.
#[derive(Debug, Serialize)]
pub struct ArchiveYear<'a> {
    pub year: i32,
    pub months: Vec<ArchiveMonth<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ArchiveMonth<'a> {
    pub name: String,
    /// `2016-06`.
    pub id: String,
    pub articles: Vec<&'a Article>,
}

/// A search result with the matching words marked.
#[derive(Debug, Serialize)]
pub struct SearchResult<'a> {
    pub article: &'a Article,
    pub title: crate::markdown::SafeHtml,
    pub snippet: crate::markdown::SafeHtml,
}

impl Library {
    /// Reads and checks every `posts/*.md` and `pages/*.md` file under `dir`
    /// (the pages folder may be absent).
    /// Every article dated in the future counts as published here: this is
    /// what `healthblog check` reports.
    pub fn load(dir: &Path) -> Result<Self, ContentErrors> {
        let posts = dir.join("posts");
        let (articles, mut errors) = parse_folder(&posts)?;
        let pages = dir.join("pages");
        let (pages, page_errors) = if pages.is_dir() { parse_folder(&pages)? } else { (Vec::new(), Vec::new()) };
        errors.extend(page_errors);
        let articles = articles.into_iter().map(|(_, a)| a).collect();
        match Self::build(articles, pages.into_iter().map(|(_, a)| a).collect(), NaiveDateTime::MAX) {
            Ok(library) if errors.is_empty() => Ok(library),
            Ok(_) => Err(ContentErrors(errors)),
            Err(ContentErrors(more)) => {
                errors.extend(more);
                Err(ContentErrors(errors))
            }
        }
    }

    /// The library of `posts` and `pages` as readers see them at `now`:
    /// drafts, and what is dated after `now`, are kept aside for a
    /// signed-in author.
    pub fn build(posts: Vec<Article>, pages: Vec<Article>, now: NaiveDateTime) -> Result<Self, ContentErrors> {
        let (posts_library, post_errors) = match Self::from_articles(posts, now) {
            Ok(library) => (library, Vec::new()),
            Err(ContentErrors(errors)) => (Self::default(), errors),
        };
        match posts_library.with_pages(pages, now) {
            Ok(library) if post_errors.is_empty() => Ok(library),
            Ok(_) => Err(ContentErrors(post_errors)),
            Err(ContentErrors(more)) => Err(ContentErrors(post_errors.into_iter().chain(more).collect())),
        }
    }

    /// Adds the pages, refusing a slug that a route or another page has;
    /// draft and scheduled pages are kept aside.
    pub(crate) fn with_pages(mut self, pages: Vec<Article>, now: NaiveDateTime) -> Result<Self, ContentErrors> {
        let mut seen: HashMap<String, &Article> = HashMap::new();
        let mut errors = Vec::new();
        for page in &pages {
            if RESERVED_PAGE_SLUGS.contains(&page.slug.as_str()) {
                errors.push(ContentError {
                    file: page.source.clone(),
                    line: page.slug_line,
                    message: format!(
                        "the page slug `{}` is taken by the site's own /{} address; choose another `slug`",
                        page.slug, page.slug
                    ),
                });
            } else if let Some(first) = seen.get(&page.slug) {
                errors.push(duplicate_slug("page slug", page, first));
            } else {
                seen.insert(page.slug.clone(), page);
            }
        }
        if !errors.is_empty() {
            return Err(ContentErrors(errors));
        }
        for page in pages {
            let scheduled = !page.draft && page.published.at > now;
            if scheduled {
                self.next_due = self.next_due.min(Some(page.published.at)).or(Some(page.published.at));
            }
            if page.draft || scheduled {
                self.unpublished_pages.insert(page.slug.clone(), Arc::new(page));
            } else {
                self.pages.insert(page.slug.clone(), Arc::new(page));
            }
        }
        Ok(self)
    }

    /// Builds the library from parsed articles; drafts are counted and kept
    /// aside, and so are articles dated after `now`.
    pub(crate) fn from_articles(articles: Vec<Article>, now: NaiveDateTime) -> Result<Self, ContentErrors> {
        let mut seen: HashMap<String, &Article> = HashMap::new();
        let mut errors = Vec::new();
        for article in &articles {
            if let Some(first) = seen.get(&article.slug) {
                errors.push(duplicate_slug("slug", article, first));
            } else {
                seen.insert(article.slug.clone(), article);
            }
        }
        if !errors.is_empty() {
            return Err(ContentErrors(errors));
        }

        let drafts = articles.iter().filter(|a| a.draft).count();
        let next_due = articles.iter().filter(|a| !a.draft && a.published.at > now).map(|a| a.published.at).min();
        let (articles, unpublished): (Vec<Article>, Vec<Article>) =
            articles.into_iter().partition(|a| !a.draft && a.published.at <= now);
        let unpublished_posts = unpublished.into_iter().map(|a| (a.slug.clone(), Arc::new(a))).collect();
        let mut articles: Vec<Arc<Article>> = articles.into_iter().map(Arc::new).collect();
        articles.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.slug.cmp(&b.slug)));

        let by_slug = articles.iter().enumerate().map(|(i, a)| (a.slug.clone(), i)).collect();
        let mut tags: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, article) in articles.iter().enumerate() {
            for tag in &article.tags {
                tags.entry(tag.clone()).or_default().push(i);
            }
        }
        let index = SearchIndex::build(articles.iter().map(|a| Indexable {
            title: &a.title,
            tags: &a.tags,
            summary: &a.summary,
            body: &a.plain_text,
        }));
        Ok(Self {
            articles,
            by_slug,
            tags,
            index,
            drafts,
            pages: BTreeMap::new(),
            unpublished_posts,
            unpublished_pages: HashMap::new(),
            next_due,
        })
    }

    /// When the next scheduled article or page is due to appear.
    pub fn next_due(&self) -> Option<NaiveDateTime> {
        self.next_due
    }

    /// A draft or scheduled article, for a signed-in author's preview.
    pub fn unpublished(&self, slug: &str) -> Option<&Arc<Article>> {
        self.unpublished_posts.get(slug)
    }

    /// A draft or scheduled page, for a signed-in author's preview.
    pub fn unpublished_page(&self, slug: &str) -> Option<&Arc<Article>> {
        self.unpublished_pages.get(slug)
    }

    /// Published articles, newest first.
    pub fn articles(&self) -> &[Arc<Article>] {
        &self.articles
    }

    pub fn drafts(&self) -> usize {
        self.drafts
    }

    pub fn get(&self, slug: &str) -> Option<&Arc<Article>> {
        self.by_slug.get(slug).map(|&i| &self.articles[i])
    }

    /// The published page served at `/{slug}`.
    pub fn page_at(&self, slug: &str) -> Option<&Arc<Article>> {
        self.pages.get(slug)
    }

    /// The published article, or else the published page, whose
    /// discussion is kept under `slug`: a page may have comments too.
    pub fn discussed(&self, slug: &str) -> Option<&Arc<Article>> {
        self.get(slug).or_else(|| self.page_at(slug))
    }

    /// Whether `article` is one of the pages (published or not).
    pub fn is_page(&self, article: &Article) -> bool {
        let same = |page: &Arc<Article>| std::ptr::eq(page.as_ref(), article);
        self.page_at(&article.slug).is_some_and(same) || self.unpublished_page(&article.slug).is_some_and(same)
    }

    /// Published pages, by slug.
    pub fn pages(&self) -> impl Iterator<Item = &Arc<Article>> {
        self.pages.values()
    }

    /// The article published before and the one published after `slug`.
    pub fn neighbours(&self, slug: &str) -> (Option<&Article>, Option<&Article>) {
        let Some(&i) = self.by_slug.get(slug) else { return (None, None) };
        let older = self.articles.get(i + 1).map(|a| a.as_ref());
        let newer = i.checked_sub(1).map(|j| self.articles[j].as_ref());
        (older, newer)
    }

    /// Page `number` (from 1) of `per_page` articles, or `None` past the end.
    pub fn page(&self, number: usize, per_page: usize) -> Option<&[Arc<Article>]> {
        let per_page = per_page.max(1);
        let start = number.checked_sub(1)?.checked_mul(per_page)?;
        if start >= self.articles.len() && !(number == 1 && self.articles.is_empty()) {
            return None;
        }
        Some(&self.articles[start..(start + per_page).min(self.articles.len())])
    }

    pub fn page_count(&self, per_page: usize) -> usize {
        self.articles.len().div_ceil(per_page.max(1)).max(1)
    }

    /// Articles with `tag`, newest first.
    pub fn tagged(&self, tag: &str) -> Option<Vec<&Arc<Article>>> {
        self.tags.get(tag).map(|indices| indices.iter().map(|&i| &self.articles[i]).collect())
    }

    /// Every tag with how many articles carry it, alphabetically.
    pub fn tags(&self) -> impl Iterator<Item = (&str, usize)> {
        self.tags.iter().map(|(tag, indices)| (tag.as_str(), indices.len()))
    }

    /// The articles matching `query`, best first, `skip`ped and cut to
    /// `take`, with how many match in all: only the results shown are
    /// highlighted.
    pub fn search(&self, query: &Query, skip: usize, take: usize) -> (Vec<SearchResult<'_>>, usize) {
        let hits = self.index.search(query);
        let total = hits.len();
        let results = hits
            .into_iter()
            .skip(skip)
            .take(take)
            .map(|hit| {
                let article = &self.articles[hit.index];
                SearchResult {
                    article,
                    title: query.highlight(&article.title),
                    snippet: query.snippet(if query.matches_any(&article.summary) {
                        &article.summary
                    } else {
                        &article.plain_text
                    }),
                }
            })
            .collect();
        (results, total)
    }
}

/// Two files want one address: the message names both, and where each
/// slug comes from.
fn duplicate_slug(what: &str, second: &Article, first: &Article) -> ContentError {
    let origin = |article: &Article| {
        if article.slug_line > 1 {
            format!("{}:{}", article.source.display(), article.slug_line)
        } else {
            format!("{} (from its file name)", article.source.display())
        }
    };
    ContentError {
        file: second.source.clone(),
        line: second.slug_line,
        message: format!(
            "the {what} `{}` is used by this file and by {}; give one of them another `slug`",
            second.slug,
            origin(first)
        ),
    }
}

/// Every article and every page, drafts included, in file order: what the
/// export writes (after `Library::load` has checked them).
pub fn read_all(dir: &Path) -> Result<(Vec<Article>, Vec<Article>), ContentErrors> {
    let (posts, mut errors) = parse_folder(&dir.join("posts"))?;
    let pages = dir.join("pages");
    let (pages, page_errors) = if pages.is_dir() { parse_folder(&pages)? } else { (Vec::new(), Vec::new()) };
    errors.extend(page_errors);
    if errors.is_empty() {
        Ok((posts.into_iter().map(|(_, a)| a).collect(), pages.into_iter().map(|(_, a)| a).collect()))
    } else {
        Err(ContentErrors(errors))
    }
}

/// A file's text and the article parsed from it.
type ReadFile = (String, Article);

/// Every `*.md` file in `folder`, parsed (with the text it was read from),
/// with the problems found in them.
fn parse_folder(folder: &Path) -> Result<(Vec<ReadFile>, Vec<ContentError>), ContentErrors> {
    let entries = std::fs::read_dir(folder).map_err(|e| {
        ContentErrors(vec![ContentError {
            file: folder.to_owned(),
            line: 0,
            message: format!("cannot read the folder: {e}"),
        }])
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    paths.sort();

    let mut articles = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| vec![front_matter::LineError::new(0, format!("cannot read the file: {e}"))])
            .and_then(|source| Article::parse(&path, &source).map(|article| (source, article)));
        match parsed {
            Ok(read) => articles.push(read),
            Err(problems) => errors.extend(problems.into_iter().map(|p| ContentError {
                file: path.clone(),
                line: p.line,
                message: p.message,
            })),
        }
    }
    Ok((articles, errors))
}

/// `articles` (newest first) grouped by year and month.
pub fn archive(articles: &[Arc<Article>]) -> Vec<ArchiveYear<'_>> {
    let month_of = |a: &Arc<Article>| a.published.local.format("%Y-%m").to_string();
    articles
        .chunk_by(|a, b| a.published.local.year() == b.published.local.year())
        .map(|year| ArchiveYear {
            year: year[0].published.local.year(),
            months: year
                .chunk_by(|a, b| month_of(a) == month_of(b))
                .map(|month| ArchiveMonth {
                    name: month[0].published.local.format("%B").to_string(),
                    id: month_of(&month[0]),
                    articles: month.iter().map(|a| a.as_ref()).collect(),
                })
                .collect(),
        })
        .collect()
}
