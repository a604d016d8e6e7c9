//! Emergency signs in a reader's question or reply. The rules are data, not
//! code: a versioned TOML file shipped in the binary (`red-flags.toml`
//! beside this file), or the site's own (`[trust] red_flags`), each rule
//! with its phrases, the notice to show and its sources, and the helplines
//! of each country with the date each number was last checked.
//!
//! A rule fires on one of its `phrases`, or when every group of one of its
//! `together` sets is mentioned. A mention does not count when, within a
//! few words before it in the same clause, the reader denies it ("no
//! fever", "never had a stiff neck"), asks about it in general ("what
//! signs of a stroke…", "if I get…"), or speaks of the past ("years ago",
//! "was checked, all normal"), in the manner of NegEx and ConText.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::words::{words, Word};

/// The rules shipped with healthblog.
pub const SHIPPED: &str = include_str!("red-flags.toml");

/// A rules file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    version: String,
    context: ContextFile,
    #[serde(rename = "rule")]
    rules: Vec<RuleEntry>,
    #[serde(rename = "helpline", default)]
    helplines: Vec<Helpline>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    /// How many words before a mention a trigger may stand.
    window: usize,
    negation: Vec<String>,
    hypothetical: Vec<String>,
    past_before: Vec<String>,
    past_after: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    id: String,
    title: String,
    notice: String,
    sources: Vec<String>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    together: Vec<Vec<Vec<String>>>,
    /// This rule's own context window, when it needs a shorter one.
    window: Option<usize>,
}

/// A number to call, for one country.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Helpline {
    /// ISO 3166 code, e.g. `GB`.
    pub country: String,
    /// `emergency` (an ambulance), `urgent` (advice now) or `crisis` (someone to talk to).
    pub kind: String,
    pub name: String,
    pub number: String,
    /// When the number was last checked, `YYYY-MM-DD`.
    pub checked: String,
}

/// The rules, ready to match.
#[derive(Debug, Clone)]
pub struct RedFlags {
    pub version: String,
    rules: Vec<Rule>,
    helplines: Vec<Helpline>,
    window: usize,
    negation: Vec<Pattern>,
    hypothetical: Vec<Pattern>,
    past_before: Vec<Pattern>,
    past_after: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Rule {
    id: String,
    title: String,
    notice: String,
    sources: Vec<String>,
    phrases: Vec<Pattern>,
    together: Vec<Vec<Vec<Pattern>>>,
    window: Option<usize>,
}

/// A rule that fired on a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub rule: String,
    pub title: String,
    pub notice: String,
    pub sources: Vec<String>,
    /// The words that made it fire, as byte ranges of the text.
    #[serde(skip)]
    pub spans: Vec<Range<usize>>,
}

impl RedFlags {
    /// The rules shipped with healthblog.
    pub fn shipped() -> Self {
        // The shipped file is checked by the tests; should it ever fail to
        // parse, no rule is better than no server.
        Self::parse(SHIPPED).unwrap_or_else(|error| {
            tracing::error!("the shipped red-flag rules do not parse: {error}");
            Self::empty()
        })
    }

    fn empty() -> Self {
        Self {
            version: String::new(),
            rules: Vec::new(),
            helplines: Vec::new(),
            window: 0,
            negation: Vec::new(),
            hypothetical: Vec::new(),
            past_before: Vec::new(),
            past_after: Vec::new(),
        }
    }

    /// Rules from the text of a rules file, or what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: RuleFile = toml::from_str(text).map_err(|error| error.to_string())?;
        let patterns = |list: &[String], what: &str| -> Result<Vec<Pattern>, String> {
            list.iter()
                .map(|p| Pattern::parse(p).ok_or_else(|| format!("{what}: the phrase {p:?} has no words")))
                .collect()
        };
        let mut rules = Vec::with_capacity(file.rules.len());
        for entry in &file.rules {
            if entry.phrases.is_empty() && entry.together.is_empty() {
                return Err(format!("rule {}: it has neither phrases nor together", entry.id));
            }
            let mut together = Vec::new();
            for set in &entry.together {
                let groups = set.iter().map(|group| patterns(group, &entry.id)).collect::<Result<Vec<_>, _>>()?;
                if groups.len() < 2 || groups.iter().any(Vec::is_empty) {
                    return Err(format!("rule {}: each `together` needs two or more non-empty groups", entry.id));
                }
                together.push(groups);
            }
            rules.push(Rule {
                id: entry.id.clone(),
                title: entry.title.clone(),
                notice: entry.notice.clone(),
                sources: entry.sources.clone(),
                phrases: patterns(&entry.phrases, &entry.id)?,
                together,
                window: entry.window,
            });
        }
        Ok(Self {
            version: file.version,
            rules,
            helplines: file.helplines,
            window: file.context.window,
            negation: patterns(&file.context.negation, "negation")?,
            hypothetical: patterns(&file.context.hypothetical, "hypothetical")?,
            past_before: patterns(&file.context.past_before, "past_before")?,
            past_after: patterns(&file.context.past_after, "past_after")?,
        })
    }

    /// The numbers to show readers in `country` (an ISO code), emergency first.
    pub fn helplines(&self, country: &str) -> Vec<&Helpline> {
        let mut found: Vec<&Helpline> =
            self.helplines.iter().filter(|h| h.country.eq_ignore_ascii_case(country)).collect();
        found.sort_by_key(|h| match h.kind.as_str() {
            "emergency" => 0,
            "urgent" => 1,
            _ => 2,
        });
        found
    }

    /// The title and notice of rule `id`.
    pub fn rule(&self, id: &str) -> Option<(&str, &str)> {
        self.rules.iter().find(|rule| rule.id == id).map(|rule| (rule.title.as_str(), rule.notice.as_str()))
    }

    /// Every rule that fires on `text`, in the file's order.
    pub fn check(&self, text: &str) -> Vec<Hit> {
        let words = words(text);
        let mut hits = Vec::new();
        for rule in &self.rules {
            let mut spans: Vec<Range<usize>> = Vec::new();
            for phrase in &rule.phrases {
                if let Some(found) = self.first_live(&words, phrase, rule.window) {
                    spans.push(span_of(&words, found));
                    break;
                }
            }
            if spans.is_empty() {
                for set in &rule.together {
                    let found: Option<Vec<Range<usize>>> = set
                        .iter()
                        .map(|group| {
                            group
                                .iter()
                                .find_map(|p| self.first_live(&words, p, rule.window))
                                .map(|f| span_of(&words, f))
                        })
                        .collect();
                    if let Some(found) = found {
                        spans = found;
                        break;
                    }
                }
            }
            if !spans.is_empty() {
                hits.push(Hit {
                    rule: rule.id.clone(),
                    title: rule.title.clone(),
                    notice: rule.notice.clone(),
                    sources: rule.sources.clone(),
                    spans,
                });
            }
        }
        hits
    }

    /// The first mention of `pattern` that is not denied, hypothetical or past.
    fn first_live(&self, words: &[Word], pattern: &Pattern, window: Option<usize>) -> Option<Range<usize>> {
        let window = window.unwrap_or(self.window);
        (0..words.len()).filter_map(|at| pattern.match_at(words, at).map(|end| at..end)).find(|found| {
            let before = clause_before(words, found.start, window);
            let after = clause_after(words, found.end);
            !(self
                .negation
                .iter()
                .chain(&self.hypothetical)
                .chain(&self.past_before)
                .any(|t| t.occurs_in(words, before.clone()))
                || self.past_after.iter().any(|t| t.occurs_in(words, after.clone())))
        })
    }
}

/// The words before `at` within `window`, back to the start of its clause.
fn clause_before(words: &[Word], at: usize, window: usize) -> Range<usize> {
    let mut from = at;
    while from > 0 && at - from < window && !words[from].starts_clause {
        from -= 1;
    }
    from..at
}

/// The words after `at`, up to the end of its clause (at most 8).
fn clause_after(words: &[Word], at: usize) -> Range<usize> {
    let mut to = at;
    while to < words.len() && to - at < 8 && !words[to].starts_clause {
        to += 1;
    }
    at..to
}

fn span_of(words: &[Word], found: Range<usize>) -> Range<usize> {
    words[found.start].span.start..words[found.end - 1].span.end
}

/// One phrase: words to match in order. A word ending in `*` matches any
/// word it begins; `...` lets up to three other words stand between.
#[derive(Debug, Clone)]
struct Pattern(Vec<Step>);

/// Each step compares a word without its apostrophes.
#[derive(Debug, Clone)]
enum Step {
    Word(String),
    Prefix(String),
    Gap,
}

const GAP_WORDS: usize = 3;

/// Words that may not stand in a phrase's gap: "neck ... stiff" does not
/// match "my neck isn't stiff".
fn denies(word: &str) -> bool {
    matches!(
        word,
        "no" | "not"
            | "never"
            | "without"
            | "isnt"
            | "wasnt"
            | "arent"
            | "werent"
            | "dont"
            | "doesnt"
            | "didnt"
            | "hasnt"
            | "havent"
            | "hadnt"
    )
}

impl Pattern {
    /// Cut into words as texts are (`self-harm` is two words), so that a
    /// phrase matches what it looks like.
    fn parse(text: &str) -> Option<Self> {
        let mut steps: Vec<Step> = Vec::new();
        for token in text.split_whitespace() {
            if token == "..." {
                steps.push(Step::Gap);
                continue;
            }
            let prefix = token.len() > 1 && token.ends_with('*');
            let parts = words(token.trim_end_matches('*'));
            let last = parts.len().saturating_sub(1);
            for (n, part) in parts.into_iter().enumerate() {
                steps.push(if prefix && n == last { Step::Prefix(part.bare) } else { Step::Word(part.bare) });
            }
        }
        let has_word = steps.iter().any(|s| !matches!(s, Step::Gap));
        (has_word && !matches!(steps.first(), Some(Step::Gap)) && !matches!(steps.last(), Some(Step::Gap)))
            .then_some(Self(steps))
    }

    /// Where a match that starts at word `at` ends (exclusive), if one does.
    fn match_at(&self, words: &[Word], at: usize) -> Option<usize> {
        fn go(steps: &[Step], words: &[Word], at: usize) -> Option<usize> {
            let Some((step, rest)) = steps.split_first() else { return Some(at) };
            match step {
                Step::Gap => (0..=GAP_WORDS).find_map(|skip| {
                    let next = at + skip;
                    (next <= words.len() && words[at..next].iter().all(|w| !w.starts_clause && !denies(&w.bare)))
                        .then(|| go(rest, words, next))
                        .flatten()
                }),
                Step::Word(expected) => {
                    let word = words.get(at)?;
                    (word.bare == *expected).then(|| go(rest, words, at + 1)).flatten()
                }
                Step::Prefix(prefix) => {
                    let word = words.get(at)?;
                    word.bare.starts_with(prefix.as_str()).then(|| go(rest, words, at + 1)).flatten()
                }
            }
        }
        go(&self.0, words, at)
    }

    /// Whether the pattern occurs wholly within `range` of `words`.
    fn occurs_in(&self, words: &[Word], range: Range<usize>) -> bool {
        let slice = &words[..range.end];
        range.clone().any(|at| self.match_at(slice, at).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(text: &str) -> Vec<String> {
        RedFlags::shipped().check(text).into_iter().map(|hit| hit.rule).collect()
    }

    #[test]
    fn the_shipped_rules_parse_and_name_their_sources_and_helplines() {
        let flags = RedFlags::parse(SHIPPED).expect("the shipped rules parse");
        assert!(!flags.version.is_empty());
        for rule in &flags.rules {
            assert!(!rule.sources.is_empty(), "{} names its sources", rule.id);
            assert!(!rule.notice.trim().is_empty(), "{} has a notice", rule.id);
        }
        for helpline in &flags.helplines {
            assert!(chrono::NaiveDate::parse_from_str(&helpline.checked, "%Y-%m-%d").is_ok(), "{helpline:?}");
        }
        let gb: Vec<&str> = flags.helplines("gb").iter().map(|h| h.number.as_str()).collect();
        assert_eq!(gb.first(), Some(&"999"), "emergency first: {gb:?}");
        assert!(!flags.helplines("US").is_empty());
    }

    #[test]
    fn each_family_fires_and_its_negation_does_not() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "thunderclap",
                "It came on in seconds, the worst headache of my life, an hour ago.",
                "Not the worst headache of my life, just my usual migraine.",
            ),
            (
                "meningitis",
                "I have a headache, a high fever and my neck is so stiff I can't look down.",
                "Headache again today, no fever and no stiff neck, just the usual.",
            ),
            (
                "stroke",
                "Since this morning my left arm is weak and my speech is slurred.",
                "I have never had slurred speech or weakness with my migraines.",
            ),
            (
                "head-injury",
                "I hit my head on a cupboard yesterday and have been vomiting since.",
                "I hit my head months ago; I was not sick and there was no confusion.",
            ),
            (
                "chest-pain",
                "Tight chest pain and I'm short of breath after taking the tablet.",
                "No chest pain and no shortness of breath, just the headache.",
            ),
            ("suicide", "Honestly I don't see the point of going on anymore.", "This deadline is killing me."),
        ];
        for (rule, fires, quiet) in cases {
            assert!(fired(fires).contains(&(*rule).to_owned()), "{rule} fires on {fires:?}: {:?}", fired(fires));
            assert!(fired(quiet).is_empty(), "nothing fires on {quiet:?}: {:?}", fired(quiet));
        }
    }

    #[test]
    fn a_denial_in_an_earlier_clause_does_not_hide_a_later_sign() {
        assert_eq!(
            fired("No fever at first, but now my neck is stiff and I have a temperature of 39."),
            ["meningitis"]
        );
    }

    #[test]
    fn a_hit_points_at_the_words_that_made_it() {
        let text = "Help: I can't lift my right arm and my face is drooping";
        let hits = RedFlags::shipped().check(text);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(hits[0].spans.iter().all(|span| text.get(span.clone()).is_some()));
    }

    #[test]
    fn a_rules_file_without_phrases_is_refused_with_the_rule_named() {
        let text = r#"
            version = "1"
            [context]
            window = 5
            negation = ["no"]
            hypothetical = []
            past_before = []
            past_after = []
            [[rule]]
            id = "empty"
            title = "Empty"
            notice = "…"
            sources = ["none"]
        "#;
        assert!(RedFlags::parse(text).unwrap_err().contains("empty"));
    }
}

/// The rules measured on a labelled set of reader comments written for the
/// purpose (`tests/fixtures/red-flags-labelled.toml`): half describe an
/// emergency sign, half use the same words in safe ways.
#[cfg(test)]
mod labelled_set {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Deserialize)]
    struct Set {
        comment: Vec<Labelled>,
    }

    #[derive(Deserialize)]
    struct Labelled {
        text: String,
        flags: Vec<String>,
    }

    /// Read from the files at run time, so that a change to the rules is
    /// measured without a rebuild.
    fn read(relative: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    #[test]
    fn every_red_flag_comment_fires_and_no_rule_fires_on_more_than_5_percent_of_the_ordinary_ones() {
        let flags = RedFlags::parse(&read("src/trust/red-flags.toml")).expect("the rules parse");
        let set: Set = toml::from_str(&read("tests/fixtures/red-flags-labelled.toml")).expect("the set parses");
        let (urgent, ordinary): (Vec<&Labelled>, Vec<&Labelled>) =
            set.comment.iter().partition(|c| !c.flags.is_empty());
        assert!(urgent.len() >= 100 && ordinary.len() >= 100, "{} urgent, {} ordinary", urgent.len(), ordinary.len());

        // Per rule: true positives, false positives, false negatives.
        let mut counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
        let mut missed = Vec::new();
        let mut false_alarms = Vec::new();
        for comment in &set.comment {
            let fired: Vec<String> = flags.check(&comment.text).into_iter().map(|hit| hit.rule).collect();
            for rule in flags.rules.iter().map(|r| &r.id) {
                let (expected, got) = (comment.flags.contains(rule), fired.contains(rule));
                let entry = counts.entry(rule.clone()).or_default();
                match (expected, got) {
                    (true, true) => entry.0 += 1,
                    (false, true) => entry.1 += 1,
                    (true, false) => entry.2 += 1,
                    (false, false) => {}
                }
            }
            if !comment.flags.is_empty() && fired.is_empty() {
                missed.push(format!("{:?} {}", comment.flags, comment.text));
            }
            if comment.flags.is_empty() && !fired.is_empty() {
                false_alarms.push(format!("{fired:?} {}", comment.text));
            }
        }
        println!(
            "red-flag rules {} on {} comments ({} urgent, {} ordinary):",
            flags.version,
            set.comment.len(),
            urgent.len(),
            ordinary.len()
        );
        println!("{:<12} {:>9} {:>7} {:>21}", "rule", "precision", "recall", "fired on ordinary");
        let mut too_noisy = Vec::new();
        for (rule, (tp, fp, fne)) in &counts {
            let precision = *tp as f64 / (*tp + *fp).max(1) as f64;
            let recall = *tp as f64 / (*tp + *fne).max(1) as f64;
            let on_ordinary = ordinary.iter().filter(|c| flags.check(&c.text).iter().any(|h| &h.rule == rule)).count();
            let rate = on_ordinary as f64 / ordinary.len() as f64;
            println!("{rule:<12} {precision:>9.2} {recall:>7.2} {on_ordinary:>6} ({:>4.1}%)", rate * 100.0);
            if rate > 0.05 {
                too_noisy.push(rule.clone());
            }
        }
        let fired_any = urgent.len() - missed.len();
        let quiet = ordinary.len() - false_alarms.len();
        println!(
            "urgent comments that fired: {fired_any}/{}; ordinary ones left quiet: {quiet}/{}",
            urgent.len(),
            ordinary.len()
        );
        for line in &missed {
            println!("MISSED {line}");
        }
        for line in &false_alarms {
            println!("FALSE ALARM {line}");
        }
        assert!(missed.is_empty(), "every red-flag comment fires: {} missed", missed.len());
        assert!(too_noisy.is_empty(), "rules firing on more than 5% of ordinary comments: {too_noisy:?}");
    }
}
