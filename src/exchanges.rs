//! "Readers' questions": exchanges (a reader's question and the author's
//! answer) lifted into the article body, in a section at its end between
//! two HTML-comment markers. The section is plain Markdown in the body, so
//! it is saved as a revision, restored and exported with the article.

use serde::Serialize;

use crate::domain::CommentId;

/// Where the section starts and ends in the body.
pub const START: &str = "<!-- readers-questions -->";
pub const END: &str = "<!-- /readers-questions -->";
const HEADING: &str = "## Readers' questions";
const EXCHANGE: &str = "<!-- exchange ";
const EXCHANGE_END: &str = "<!-- /exchange -->";
const THREAD_LINK: &str = "[Read the whole thread](";

/// An exchange as it is written into the article.
pub struct NewExchange<'a> {
    pub comment: CommentId,
    pub slug: &'a str,
    pub question: &'a str,
    /// The asker's name, when the author keeps it.
    pub asker: Option<&'a str>,
    pub answer: &'a str,
}

/// An exchange found in the section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Featured {
    pub comment: i32,
    /// The question (the `###` heading's text).
    pub question: String,
    /// The answer's Markdown, without the asker's line and the thread link.
    pub answer: String,
    /// The whole block, as stored.
    block: String,
}

/// The body cut around the section: before it, its exchanges, after it.
struct Parts<'a> {
    before: &'a str,
    exchanges: Vec<Featured>,
    after: &'a str,
}

fn parts(body: &str) -> Parts<'_> {
    let Some(start) = body.find(START) else {
        return Parts { before: body, exchanges: Vec::new(), after: "" };
    };
    let inner_start = start + START.len();
    let (inner, after) = match body[inner_start..].find(END) {
        Some(end) => (&body[inner_start..inner_start + end], &body[inner_start + end + END.len()..]),
        None => (&body[inner_start..], ""),
    };
    let mut exchanges = Vec::new();
    let mut rest = inner;
    while let Some(at) = rest.find(EXCHANGE) {
        let block_and_more = &rest[at..];
        let next = block_and_more[EXCHANGE.len()..].find(EXCHANGE).map(|n| n + EXCHANGE.len());
        let block = next.map_or(block_and_more, |n| &block_and_more[..n]);
        if let Some(featured) = parse_block(block) {
            exchanges.push(featured);
        }
        rest = next.map_or("", |n| &block_and_more[n..]);
    }
    Parts { before: &body[..start], exchanges, after }
}

fn parse_block(block: &str) -> Option<Featured> {
    let id_text = block[EXCHANGE.len()..].split("-->").next()?.trim();
    let comment = id_text.parse::<i32>().ok()?;
    let mut question = String::new();
    let mut answer_lines = Vec::new();
    for line in block.lines().skip(1) {
        if question.is_empty() {
            if let Some(heading) = line.strip_prefix("### ") {
                question = heading.trim().to_owned();
                continue;
            }
        }
        let trimmed = line.trim();
        if trimmed == EXCHANGE_END || trimmed.starts_with(THREAD_LINK) || trimmed.starts_with("*Asked by ") {
            continue;
        }
        answer_lines.push(line);
    }
    let block = block.trim_end().to_owned();
    Some(Featured { comment, question, answer: answer_lines.join("\n").trim().to_owned(), block })
}

/// The exchanges featured in `body`, in their order.
pub fn featured(body: &str) -> Vec<Featured> {
    parts(body).exchanges
}

/// A featured exchange in plain text, for the article's JSON-LD: worked
/// out once, when the article is loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionText {
    pub comment: i32,
    pub question: String,
    pub answer: String,
}

/// The featured exchanges of `body` in plain text.
pub fn questions(body: &str) -> Vec<QuestionText> {
    featured(body)
        .into_iter()
        .map(|f| QuestionText {
            comment: f.comment,
            question: crate::markdown::text_of_comment(&f.question),
            answer: crate::markdown::text_of_comment(&f.answer),
        })
        .collect()
}

/// One line of text: a question heading cannot span lines.
fn one_line(text: &str) -> String {
    no_markers(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `text` unable to open or close a marker of the section: a reader's
/// `<!--` is shown as typed.
fn no_markers(text: &str) -> String {
    text.replace("<!--", "&lt;!--")
}

fn block_of(exchange: &NewExchange<'_>) -> String {
    let mut block = format!("{EXCHANGE}{} -->\n### {}\n\n", exchange.comment, one_line(exchange.question));
    if let Some(asker) = exchange.asker {
        block.push_str(&format!("*Asked by {}*\n\n", one_line(asker)));
    }
    block.push_str(&no_markers(exchange.answer.trim()));
    block.push_str(&format!(
        "\n\n{THREAD_LINK}/posts/{}#comment-{})\n\n{EXCHANGE_END}",
        exchange.slug, exchange.comment
    ));
    block
}

fn assemble(before: &str, exchanges: &[Featured], after: &str) -> String {
    let before = before.trim_end();
    let after = after.trim_start();
    if exchanges.is_empty() {
        return match (before.is_empty(), after.is_empty()) {
            (_, true) => format!("{before}\n"),
            (true, false) => after.to_owned(),
            (false, false) => format!("{before}\n\n{after}"),
        };
    }
    let mut body = String::new();
    if !before.is_empty() {
        body.push_str(before);
        body.push_str("\n\n");
    }
    body.push_str(START);
    body.push_str("\n\n");
    body.push_str(HEADING);
    body.push_str("\n\n");
    for exchange in exchanges {
        body.push_str(&exchange.block);
        body.push_str("\n\n");
    }
    body.push_str(END);
    body.push('\n');
    if !after.is_empty() {
        body.push('\n');
        body.push_str(after);
    }
    body
}

/// `body` with `exchange` at the end of its section (made if need be); an
/// exchange already featured is replaced where it stands.
pub fn add(body: &str, exchange: &NewExchange<'_>) -> String {
    let Parts { before, mut exchanges, after } = parts(body);
    let block = block_of(exchange);
    let new = parse_block(&block).unwrap_or_else(|| Featured {
        comment: exchange.comment.0,
        question: String::new(),
        answer: String::new(),
        block: block.clone(),
    });
    match exchanges.iter_mut().find(|e| e.comment == exchange.comment.0) {
        Some(existing) => *existing = new,
        None => exchanges.push(new),
    }
    assemble(before, &exchanges, after)
}

/// How an exchange moves in the section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Up,
    Down,
    Remove,
}

/// `body` with the exchange of comment `comment` moved or removed; `None`
/// when it is not featured or cannot move that way.
pub fn change(body: &str, comment: i32, change: Change) -> Option<String> {
    let Parts { before, mut exchanges, after } = parts(body);
    let at = exchanges.iter().position(|e| e.comment == comment)?;
    match change {
        Change::Up if at > 0 => exchanges.swap(at, at - 1),
        Change::Down if at + 1 < exchanges.len() => exchanges.swap(at, at + 1),
        Change::Remove => {
            exchanges.remove(at);
        }
        _ => return None,
    }
    Some(assemble(before, &exchanges, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(id: i32, question: &str) -> NewExchange<'_> {
        NewExchange { comment: CommentId(id), slug: "salt", question, asker: None, answer: "Less.\n\nMuch less." }
    }

    #[test]
    fn adds_moves_and_removes_keeping_the_rest_of_the_body() {
        let body = "Intro.\n\n## More\n\nText.\n";
        let one = add(body, &exchange(3, "How much\nsalt?"));
        assert!(one.starts_with("Intro.\n\n## More\n\nText.\n\n<!-- readers-questions -->"), "{one}");
        assert!(
            one.contains("### How much salt?\n\nLess.\n\nMuch less.\n\n[Read the whole thread](/posts/salt#comment-3)")
        );
        let two = add(&one, &exchange(5, "And sugar?"));
        let found = featured(&two);
        assert_eq!(found.iter().map(|f| f.comment).collect::<Vec<_>>(), vec![3, 5]);
        assert_eq!(found[0].question, "How much salt?");
        assert_eq!(found[0].answer, "Less.\n\nMuch less.");
        let moved = change(&two, 5, Change::Up).unwrap();
        assert_eq!(featured(&moved).iter().map(|f| f.comment).collect::<Vec<_>>(), vec![5, 3]);
        assert_eq!(change(&moved, 5, Change::Up), None);
        let removed = change(&moved, 5, Change::Remove).unwrap();
        let removed = change(&removed, 3, Change::Remove).unwrap();
        assert_eq!(removed, body);
    }

    #[test]
    fn a_marker_typed_in_the_texts_cannot_cut_the_section() {
        let tricky = NewExchange {
            answer: "Fine. <!-- exchange 9 --> <!-- /readers-questions -->",
            ..exchange(2, "<!-- x -->?")
        };
        let body = add("A.\n", &tricky);
        let found = featured(&body);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].comment, 2);
        assert_eq!(change(&body, 2, Change::Remove).as_deref(), Some("A.\n"));
    }

    #[test]
    fn keeps_text_after_the_section() {
        let body = format!("A.\n\n{START}\n\n{HEADING}\n\n{END}\n\nAfter.\n");
        let added = add(&body, &exchange(1, "Q?"));
        assert!(added.ends_with(&format!("{END}\n\nAfter.\n")), "{added}");
        assert_eq!(featured(&added).len(), 1);
    }
}
