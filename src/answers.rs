//! Keeping the author's answers right: saved replies put into an answer
//! box, earlier answers to similar questions, and when an answer is due
//! for review.

use std::collections::HashSet;

use chrono::{Months, NaiveDateTime};

use anyhow::Context as _;
use serde::Serialize;

use crate::config::AnswerSettings;
use crate::content::Library;
use crate::db::answers::{AnswerUnderReview, AnsweredQuestion, SavedReply};
use crate::db::AnyConnection;

/// Earlier answers suggested beside a question at most.
pub const SIMILAR_SHOWN: usize = 3;
/// Below this share of common words, two questions are not alike.
const MIN_SIMILARITY: f64 = 0.2;
/// Words too common to tell questions apart.
const COMMON_WORDS: &[&str] = &[
    "the", "and", "for", "you", "your", "are", "was", "with", "that", "this", "have", "has", "had", "but", "not",
    "what", "which", "when", "how", "can", "could", "would", "should", "does", "did", "from", "about", "there",
    "their", "they", "them", "any", "all", "been", "will", "just", "also", "than", "then", "its", "our", "out", "who",
    "why", "doctor", "thank", "thanks", "please", "hello", "dear",
];

/// The text a saved reply puts into an answer box: its body, with the
/// standard disclaimer under it when it asks for one.
pub fn saved_reply_text(reply: &SavedReply, settings: &AnswerSettings) -> String {
    let body = reply.body.trim_end();
    let disclaimer = settings.disclaimer.trim();
    if reply.add_disclaimer && !disclaimer.is_empty() {
        format!("{body}\n\n{disclaimer}")
    } else {
        body.to_owned()
    }
}

/// `typed` with `addition` under it: nothing the author typed is lost.
pub fn append(typed: &str, addition: &str) -> String {
    let typed = typed.trim_end();
    if typed.is_empty() {
        addition.to_owned()
    } else {
        format!("{typed}\n\n{addition}")
    }
}

/// The sentence that links to an earlier answer.
pub fn link_to_answer(slug: &str, answer: crate::domain::CommentId) -> String {
    format!("See my answer to a similar question: [/posts/{slug}#comment-{answer}](/posts/{slug}#comment-{answer})")
}

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|word| !COMMON_WORDS.contains(&word.as_str()))
        .collect()
}

/// How alike two sets of words are: the share they have in common
/// (Jaccard), from 0 to 1.
fn overlap(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let common = a.intersection(b).count();
    let all = a.union(b).count();
    if all == 0 {
        0.0
    } else {
        common as f64 / all as f64
    }
}

/// The earlier answers to the questions most like `question`, best first
/// (at most `SIMILAR_SHOWN`), leaving out `question_id`'s own.
pub fn similar<'a>(
    question: &str,
    question_id: crate::domain::CommentId,
    answered: &'a [AnsweredQuestion],
) -> Vec<&'a AnsweredQuestion> {
    let asked = words(question);
    let mut scored: Vec<(f64, &AnsweredQuestion)> = answered
        .iter()
        .filter(|earlier| earlier.question_id != question_id)
        .map(|earlier| (overlap(&asked, &words(&earlier.question)), earlier))
        .filter(|(score, _)| *score >= MIN_SIMILARITY)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(SIMILAR_SHOWN).map(|(_, earlier)| earlier).collect()
}

/// Months between reviews of an answer under an article with `tags`.
pub fn review_months(settings: &AnswerSettings, tags: &[String]) -> u32 {
    tags.iter()
        .filter_map(|tag| settings.review_months_by_tag.get(tag).copied())
        .min()
        .unwrap_or(settings.review_months)
}

/// When the answer is due for review.
pub fn due_at(answer: &AnswerUnderReview, months: u32) -> NaiveDateTime {
    let last = answer.last_reviewed();
    last.checked_add_months(Months::new(months)).unwrap_or(NaiveDateTime::MAX)
}

/// Whether the answer waits for the author's review at `now`: its period
/// is over, or the article changed since it was written.
pub fn needs_review(answer: &AnswerUnderReview, months: u32, now: NaiveDateTime) -> bool {
    !answer.review_reason.is_empty() || due_at(answer, months) <= now
}

/// The answers due for review at `now`, oldest review first.
pub fn due_answers(
    conn: &mut AnyConnection,
    library: &Library,
    settings: &AnswerSettings,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<Vec<AnswerUnderReview>> {
    let mut due: Vec<AnswerUnderReview> = crate::db::answers::published_answers(conn)
        .context("loading the author's answers")?
        .into_iter()
        .filter(|answer| {
            let tags = library.get(&answer.post_slug).map(|a| a.tags.as_slice()).unwrap_or_default();
            needs_review(answer, review_months(settings, tags), now)
        })
        .collect();
    due.sort_by_key(|answer| (answer.last_reviewed(), answer.id));
    Ok(due)
}

/// How many answers wait for review, for the dashboard and the digest.
pub fn due_count(conn: &mut AnyConnection, library: &Library, settings: &AnswerSettings) -> anyhow::Result<usize> {
    Ok(due_answers(conn, library, settings, crate::db::now())?.len())
}

/// "March 2026".
pub fn month_year(at: NaiveDateTime) -> String {
    at.format("%B %Y").to_string()
}

/// A saved reply as an answer box offers it.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub id: i32,
    pub title: String,
}

/// The saved replies to choose from in an answer box.
pub fn choices(conn: &mut AnyConnection) -> anyhow::Result<Vec<Choice>> {
    let replies = crate::db::answers::saved_replies(conn).context("loading the saved replies")?;
    Ok(replies.into_iter().map(|reply| Choice { id: reply.id, title: reply.title }).collect())
}

/// What an answer box holds after its "Insert" button: the typed text with
/// the chosen saved reply under it, or, when none was chosen or it is gone,
/// the typed text and why nothing was added.
pub fn insert_saved(
    conn: &mut AnyConnection,
    settings: &crate::config::AnswerSettings,
    typed: &str,
    chosen: Option<&str>,
) -> anyhow::Result<Result<String, &'static str>> {
    let Some(id) = chosen.and_then(|id| id.trim().parse::<i32>().ok()) else {
        return Ok(Err("Choose a saved reply to insert."));
    };
    match crate::db::answers::saved_reply(conn, id).context("loading a saved reply")? {
        Some(reply) => Ok(Ok(append(typed, &saved_reply_text(&reply, settings)))),
        None => Ok(Err("That saved reply is not there any more.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CommentId;

    fn answered(id: i32, question: &str) -> AnsweredQuestion {
        AnsweredQuestion {
            question_id: CommentId(id),
            question: question.into(),
            post_slug: "magnesium".into(),
            answer_id: CommentId(id + 100),
            answer: "An answer".into(),
        }
    }

    #[test]
    fn a_repeated_question_finds_the_earlier_one_first() {
        let earlier = [
            answered(1, "Which form of magnesium should I take, and how much of it?"),
            answered(2, "Is riboflavin safe during pregnancy?"),
        ];
        let found = similar("How much magnesium, and which form, should I take?", CommentId(9), &earlier);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].question_id, CommentId(1));
    }

    #[test]
    fn the_shortest_period_of_an_articles_tags_applies() {
        let mut settings = AnswerSettings::default();
        settings.review_months_by_tag.insert("doses".into(), 12);
        assert_eq!(review_months(&settings, &["doses".into(), "sleep".into()]), 12);
        assert_eq!(review_months(&settings, &["sleep".into()]), 36);
    }
}
