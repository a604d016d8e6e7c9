//! Text cut into lower-case words, each with where it stands in the
//! original, and the sentence boundaries between them: what the red-flag
//! rules and the personal-details check match against.

use std::ops::Range;

/// One word of a text, lower-cased, with typographic apostrophes made plain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// The word without apostrophes, as matching compares it ("dont" is "don't").
    pub bare: String,
    /// Where it stands in the original text, in bytes.
    pub span: Range<usize>,
    /// Whether a sentence (or a clause after "but") ends before this word.
    pub starts_clause: bool,
}

/// Words that start a new clause: what was denied before them is not
/// denied after ("no fever, but my neck is stiff").
const CLAUSE_WORDS: &[&str] = &["but", "however", "although", "though", "except", "yet"];

/// The words of `text`. Letters, digits and apostrophes inside a word make
/// up words; `.`, `!`, `?`, `;`, `:`, a line break, or one of
/// `CLAUSE_WORDS` starts a new clause.
pub fn words(text: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut boundary = true;
    let mut start: Option<usize> = None;
    let flush = |out: &mut Vec<Word>, from: usize, to: usize, boundary: &mut bool| {
        let text: String = text[from..to].trim_end_matches(['\'', '’']).replace('’', "'").to_lowercase();
        if text.is_empty() || text.chars().all(|c| c == '\'') {
            return;
        }
        let clause = *boundary || CLAUSE_WORDS.contains(&text.as_str());
        let bare = text.replace('\'', "");
        out.push(Word { text, bare, span: from..to, starts_clause: clause });
        *boundary = false;
    };
    for (at, c) in text.char_indices() {
        let in_word = c.is_alphanumeric() || ((c == '\'' || c == '’') && start.is_some());
        match (in_word, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                flush(&mut out, from, at, &mut boundary);
                start = None;
            }
            _ => {}
        }
        if !in_word && matches!(c, '.' | '!' | '?' | ';' | ':' | '\n') {
            boundary = true;
        }
    }
    if let Some(from) = start {
        flush(&mut out, from, text.len(), &mut boundary);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_with_plain_apostrophes_and_clauses_marked() {
        let found = words("No fever. But I DON’T feel right; it's 3am");
        let texts: Vec<&str> = found.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["no", "fever", "but", "i", "don't", "feel", "right", "it's", "3am"]);
        let clauses: Vec<bool> = found.iter().map(|w| w.starts_clause).collect();
        assert_eq!(clauses, [true, false, true, false, false, false, false, true, false]);
        assert_eq!(&"No fever. But I DON’T"[found[4].span.clone()], "DON’T");
    }
}
