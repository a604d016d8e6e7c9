//! Full-text search over the articles, held in memory.
//!
//! The articles are already in memory, every instance loads the same
//! `content/`, and a few hundred articles score in microseconds, so an
//! in-memory index answers the same way on SQLite and PostgreSQL and needs no
//! synchronisation with the database.

use std::collections::HashMap;

use crate::markdown::SafeHtml;

/// Weight of a match in each field: a word in the title counts most.
const TITLE: f64 = 6.0;
const TAGS: f64 = 4.0;
const SUMMARY: f64 = 2.0;
const BODY: f64 = 1.0;
/// Query words beyond this are ignored.
const MAX_TERMS: usize = 8;
/// Words of body text shown around the first match.
const SNIPPET_WORDS: usize = 36;

#[derive(Debug, Default)]
pub struct SearchIndex {
    documents: Vec<Document>,
}

#[derive(Debug)]
struct Document {
    /// Weighted occurrences of each word of the article.
    terms: HashMap<String, f64>,
}

/// What the index needs of one article.
pub struct Indexable<'a> {
    pub title: &'a str,
    pub tags: &'a [String],
    pub summary: &'a str,
    pub body: &'a str,
}

/// A matching article, by its position in the indexed list.
#[derive(Debug)]
pub struct Hit {
    pub index: usize,
    pub score: f64,
}

/// The words of a query, normalised as the index normalises articles.
#[derive(Clone, Debug, Default)]
pub struct Query {
    terms: Vec<String>,
}

impl Query {
    pub fn parse(text: &str) -> Self {
        let mut terms: Vec<String> = words(text).collect();
        terms.dedup();
        terms.truncate(MAX_TERMS);
        Self { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether a word of text matches one of the query's terms.
    pub fn matches_word(&self, word: &str) -> bool {
        words(word).any(|w| self.terms.iter().any(|t| term_matches(t, &w) > 0.0))
    }

    /// Whether any word of `text` matches.
    pub fn matches_any(&self, text: &str) -> bool {
        text.split_whitespace().any(|w| self.matches_word(w))
    }

    /// `text` escaped, with the matching words marked.
    pub fn highlight(&self, text: &str) -> SafeHtml {
        SafeHtml::highlight(text, |w| self.matches_word(w))
    }

    /// About `SNIPPET_WORDS` words of `text` around the first match, marked.
    pub fn snippet(&self, text: &str) -> SafeHtml {
        let all: Vec<&str> = text.split_whitespace().collect();
        let first = all.iter().position(|w| self.matches_word(w)).unwrap_or(0);
        let start = first.saturating_sub(SNIPPET_WORDS / 4);
        let end = (start + SNIPPET_WORDS).min(all.len());
        let mut excerpt = all[start..end].join(" ");
        if start > 0 {
            excerpt.insert_str(0, "… ");
        }
        if end < all.len() {
            excerpt.push_str(" …");
        }
        self.highlight(&excerpt)
    }
}

impl SearchIndex {
    pub fn build<'a>(articles: impl IntoIterator<Item = Indexable<'a>>) -> Self {
        let documents = articles
            .into_iter()
            .map(|article| {
                let mut terms = HashMap::new();
                let mut add = |text: &str, weight: f64| {
                    for word in words(text) {
                        *terms.entry(word).or_insert(0.0) += weight;
                    }
                };
                add(article.title, TITLE);
                for tag in article.tags {
                    add(tag, TAGS);
                }
                add(article.summary, SUMMARY);
                add(article.body, BODY);
                Document { terms }
            })
            .collect();
        Self { documents }
    }

    /// Articles that contain every word of the query (a word also matches the
    /// longer words it begins), best first.
    pub fn search(&self, query: &Query) -> Vec<Hit> {
        if query.is_empty() {
            return Vec::new();
        }
        let total = self.documents.len() as f64;
        let per_term: Vec<Vec<f64>> =
            query.terms.iter().map(|term| self.documents.iter().map(|doc| doc.weight_of(term)).collect()).collect();
        let mut hits: Vec<Hit> = (0..self.documents.len())
            .filter(|&i| per_term.iter().all(|weights| weights[i] > 0.0))
            .map(|i| {
                let score = per_term
                    .iter()
                    .map(|weights| {
                        let containing = weights.iter().filter(|w| **w > 0.0).count() as f64;
                        let rarity = (1.0 + total / containing).ln();
                        (1.0 + weights[i]).ln() * rarity
                    })
                    .sum();
                Hit { index: i, score }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        hits
    }
}

impl Document {
    fn weight_of(&self, term: &str) -> f64 {
        self.terms.iter().map(|(word, weight)| term_matches(term, word) * weight).sum()
    }
}

/// 1 for the same word, ½ when the term begins a longer word, else 0.
fn term_matches(term: &str, word: &str) -> f64 {
    if word == term {
        1.0
    } else if term.chars().count() >= 3 && word.starts_with(term) {
        0.5
    } else {
        0.0
    }
}

/// Lower-cased words, with a plural "s" dropped so that "headaches" finds
/// "headache".
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| {
        let mut w = w.to_lowercase();
        if w.len() > 4 && w.ends_with('s') && !w.ends_with("ss") {
            w.pop();
        }
        w
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SearchIndex {
        let tags = vec!["migraine".to_owned()];
        let none: Vec<String> = Vec::new();
        SearchIndex::build([
            Indexable { title: "Magnesium for migraines", tags: &tags, summary: "", body: "oral doses" },
            Indexable { title: "Cluster headache", tags: &none, summary: "", body: "magnesium helps some" },
            Indexable { title: "Sleep", tags: &none, summary: "", body: "nothing relevant" },
        ])
    }

    #[test]
    fn ranks_title_matches_first_and_requires_every_word() {
        let hits = index().search(&Query::parse("Magnesium"));
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), [0, 1]);
        let hits = index().search(&Query::parse("magnesium cluster"));
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn prefixes_and_plurals_match() {
        assert_eq!(index().search(&Query::parse("magnes")).len(), 2);
        assert_eq!(index().search(&Query::parse("headaches")).len(), 1);
        assert!(index().search(&Query::parse("")).is_empty());
    }

    #[test]
    fn snippets_mark_the_matching_words() {
        let query = Query::parse("magnesium");
        assert_eq!(query.snippet("Take Magnesium, daily.").as_str(), "Take <mark>Magnesium</mark>, daily.");
    }
}
