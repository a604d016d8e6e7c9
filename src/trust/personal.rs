//! Personal details in a comment, caught before it is public: phone
//! numbers (checked against the numbering plans of the site's country, or
//! any with a `+`), email addresses, dates of birth (a date near "born",
//! "DOB", "birthday"), NHS numbers (with their check digit), payment card
//! numbers (Luhn), street addresses and postcodes, hospital and insurance
//! record numbers, and the writer's own full name in the text.
//!
//! Finding one never blocks: the reader is offered "remove them for me",
//! and the desk can redact each in one click.

use std::ops::Range;

use serde::Serialize;

use super::words::{words, Word};

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Phone,
    Email,
    DateOfBirth,
    HealthNumber,
    CardNumber,
    Address,
    RecordNumber,
    FullName,
    /// Words of the author's that say the reader is their patient.
    PatientRelationship,
}

impl Kind {
    /// How the reader and the desk are told about it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Phone => "a phone number",
            Self::Email => "an email address",
            Self::DateOfBirth => "a date of birth",
            Self::HealthNumber => "a health service number",
            Self::CardNumber => "a payment card number",
            Self::Address => "a street address or postcode",
            Self::RecordNumber => "a record or insurance number",
            Self::FullName => "your full name",
            Self::PatientRelationship => "words that say the reader is your patient",
        }
    }
}

/// One personal detail: what it is, and where it stands in the text (bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub label: &'static str,
    #[serde(skip)]
    pub span: Range<usize>,
    /// The text found, for the desk's highlighting (never logged).
    pub text: String,
}

/// What in an author's answer says the reader is their patient: a public
/// reply that confirms it discloses it.
const PATIENT_PHRASES: &[&str] = &[
    "my patient",
    "as your doctor",
    "your appointment",
    "your last appointment",
    "your next appointment",
    "your visit",
    "your last visit",
    "when i saw you",
    "when we met",
    "at my clinic",
    "in my clinic",
    "at my practice",
    "in my practice",
    "your scan",
    "your test results",
    "your results",
    "your records",
    "your chart",
    "your notes",
    "i treated you",
    "i examined you",
    "your prescription",
    "i prescribed you",
];

/// The personal details in an answer the author is about to publish, and
/// any words that say the reader is his patient: a warning before it is
/// public, never a block.
pub fn find_in_answer(text: &str, country: &str) -> Vec<Finding> {
    let mut found = find(text, "", country);
    let words = words(text);
    for phrase in PATIENT_PHRASES {
        for span in spans_of(&words, &super::words::words(phrase)) {
            let kind = Kind::PatientRelationship;
            found.push(Finding { kind, label: kind.label(), text: text[span.clone()].to_owned(), span });
        }
    }
    found.sort_by_key(|f| f.span.start);
    found
}

/// What replaces each detail when it is removed.
pub const REMOVED: &str = "[removed]";

/// Every personal detail in `text`, in order. `name` is what the writer
/// typed as their name; `country` (an ISO code such as `GB`) decides how
/// phone numbers without `+` are read.
pub fn find(text: &str, name: &str, country: &str) -> Vec<Finding> {
    let words = words(text);
    let mut spans: Vec<(Kind, Range<usize>)> = Vec::new();
    spans.extend(emails(text).into_iter().map(|s| (Kind::Email, s)));
    spans.extend(numbers(text, country));
    spans.extend(dates_of_birth(text, &words).into_iter().map(|s| (Kind::DateOfBirth, s)));
    spans.extend(addresses(text, &words).into_iter().map(|s| (Kind::Address, s)));
    spans.extend(record_numbers(&words).into_iter().map(|s| (Kind::RecordNumber, s)));
    spans.extend(full_name(&words, name).into_iter().map(|s| (Kind::FullName, s)));
    spans.sort_by_key(|(_, span)| (span.start, std::cmp::Reverse(span.end)));
    // An overlap is one detail (a card number is not also a phone number).
    let mut findings: Vec<Finding> = Vec::new();
    for (kind, span) in spans {
        if findings.last().is_some_and(|last| span.start < last.span.end) {
            continue;
        }
        findings.push(Finding { kind, label: kind.label(), text: text[span.clone()].to_owned(), span });
    }
    findings
}

/// `text` with every finding replaced by `REMOVED`.
pub fn redact(text: &str, findings: &[Finding]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for finding in findings {
        if finding.span.start < at || finding.span.end > text.len() {
            continue;
        }
        out.push_str(&text[at..finding.span.start]);
        out.push_str(REMOVED);
        at = finding.span.end;
    }
    out.push_str(&text[at..]);
    out
}

fn emails(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b".-".contains(&b);
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = (0..at).rev().take_while(|&i| local(bytes[i])).last().unwrap_or(at);
        let mut end = (at + 1..bytes.len()).take_while(|&i| domain(bytes[i])).last().map_or(at + 1, |i| i + 1);
        while end > at + 1 && bytes[end - 1] == b'.' {
            end -= 1;
        }
        let host = &text[at + 1..end];
        let tld_ok = host.rsplit_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
        });
        if start < at && tld_ok {
            found.push(start..end);
        }
    }
    found
}

/// Runs of digits with the separators people write numbers with.
fn digit_runs(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let starts = bytes[at].is_ascii_digit()
            || (matches!(bytes[at], b'+' | b'(') && bytes.get(at + 1).is_some_and(u8::is_ascii_digit));
        let after_word = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'/');
        if !starts || after_word {
            at += 1;
            continue;
        }
        let mut end = at;
        let mut last_digit = at;
        while end < bytes.len() {
            let b = bytes[end];
            let separator = matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'+')
                && bytes.get(end + 1).is_some_and(|n| n.is_ascii_digit() || *n == b'(' || *n == b' ')
                && !(b == b' ' && bytes.get(end + 1) == Some(&b' '));
            if b.is_ascii_digit() {
                last_digit = end;
            } else if !separator {
                break;
            }
            end += 1;
        }
        let run = at..last_digit + 1;
        // A number glued to letters ("400mg", "b12") is not one of these.
        if !bytes.get(run.end).is_some_and(u8::is_ascii_alphabetic) {
            runs.push(run.clone());
        }
        at = end.max(at + 1);
    }
    runs
}

fn numbers(text: &str, country: &str) -> Vec<(Kind, Range<usize>)> {
    let region: Option<phonenumber::country::Id> = country.to_ascii_uppercase().parse().ok();
    let mut found = Vec::new();
    for run in digit_runs(text) {
        let written = &text[run.clone()];
        let digits: Vec<u8> = written.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        let plain_groups = written.bytes().all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
        if (13..=19).contains(&digits.len()) && plain_groups && luhn(&digits) {
            found.push((Kind::CardNumber, run));
        } else if digits.len() == 10 && plain_groups && nhs_number(&digits) {
            found.push((Kind::HealthNumber, run));
        } else if (7..=15).contains(&digits.len()) && is_phone(written, region) {
            found.push((Kind::Phone, run));
        }
    }
    found
}

fn is_phone(written: &str, region: Option<phonenumber::country::Id>) -> bool {
    // A date or a decimal is not a phone number.
    if written.contains('.') && !written.contains(' ') {
        return false;
    }
    let region = if written.starts_with('+') { None } else { region };
    phonenumber::parse(region, written).is_ok_and(|number| phonenumber::is_valid(&number))
}

/// The Luhn check of payment card numbers.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0 && digits.iter().any(|&d| d != 0)
}

/// The NHS number's modulus-11 check digit (NHS Data Dictionary).
fn nhs_number(digits: &[u8]) -> bool {
    if digits.len() != 10 || digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    let sum: u32 = digits[..9].iter().enumerate().map(|(i, &d)| u32::from(d) * (10 - i as u32)).sum();
    let check = 11 - sum % 11;
    let check = if check == 11 { 0 } else { check };
    check != 10 && check == u32::from(digits[9])
}

const MONTHS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
];

/// Dates written shortly after "born", "DOB", "date of birth" or "birthday".
fn dates_of_birth(text: &str, words: &[Word]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for (at, word) in words.iter().enumerate() {
        let next = |n: usize| words.get(at + n).map_or("", |w| w.text.as_str());
        let cue = match word.text.as_str() {
            "born" | "dob" | "birthday" | "birthdate" => Some(at + 1),
            "d" if next(1) == "o" && next(2) == "b" => Some(at + 3),
            "date" if next(1) == "of" && next(2) == "birth" => Some(at + 3),
            "birth" if next(1) == "date" => Some(at + 2),
            _ => None,
        };
        let Some(from) = cue else { continue };
        for start in from..(from + 5).min(words.len()) {
            if let Some(end) = date_at(text, words, start) {
                found.push(words[start].span.start..end);
                break;
            }
        }
    }
    found
}

/// The end (in bytes) of a date written from word `at`: `12/03/1980`,
/// `1980-03-12`, `12 March 1980`, `12th of March`, `March 12, 1980`.
fn date_at(text: &str, words: &[Word], at: usize) -> Option<usize> {
    let word = |n: usize| words.get(at + n).map(|w| w.text.as_str());
    let is_day = |w: Option<&str>| {
        w.map(|w| w.trim_end_matches(|c: char| c.is_alphabetic()))
            .and_then(|d| d.parse::<u32>().ok())
            .is_some_and(|d| (1..=31).contains(&d))
    };
    let is_month = |w: Option<&str>| w.is_some_and(|w| MONTHS.contains(&w));
    let is_year = |w: Option<&str>| w.and_then(|y| y.parse::<u32>().ok()).is_some_and(|y| (1900..=2100).contains(&y));
    let end_of = |n: usize| words[at + n].span.end;
    // Numbers with separators: the whole run must be digits and / . -
    let first = &words[at];
    let run_end = text[first.span.start..]
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '/' | '.' | '-')))
        .map_or(text.len(), |n| first.span.start + n);
    let run = text[first.span.start..run_end].trim_end_matches(['.', '-', '/']);
    let parts: Vec<&str> = run.split(['/', '.', '-']).collect();
    if parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.len() <= 4) {
        return Some(first.span.start + run.len());
    }
    if is_day(word(0)) && is_month(word(1)) {
        return Some(if is_year(word(2)) { end_of(2) } else { end_of(1) });
    }
    if is_day(word(0)) && word(1) == Some("of") && is_month(word(2)) {
        return Some(if is_year(word(3)) { end_of(3) } else { end_of(2) });
    }
    if is_month(word(0)) && is_day(word(1)) {
        return Some(if is_year(word(2)) { end_of(2) } else { end_of(1) });
    }
    None
}

const STREET_WORDS: &[&str] = &[
    "street",
    "st",
    "road",
    "rd",
    "avenue",
    "ave",
    "lane",
    "ln",
    "drive",
    "dr",
    "close",
    "way",
    "boulevard",
    "blvd",
    "court",
    "ct",
    "place",
    "pl",
    "crescent",
    "terrace",
    "gardens",
    "grove",
    "square",
    "mews",
    "row",
    "hill",
    "straße",
    "strasse",
    "str",
    "weg",
    "gasse",
    "allee",
    "platz",
];

/// `12 Acacia Avenue`, `Hauptstraße 5`, and UK postcodes (`SW1A 1AA`).
fn addresses(text: &str, words: &[Word]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let house = |w: &Word| {
        let digits = w.text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        !digits.is_empty()
            && digits.len() <= 4
            && digits.bytes().all(|b| b.is_ascii_digit())
            && w.text.len() - digits.len() <= 1
    };
    let capitalised = |w: &Word| text[w.span.clone()].chars().next().is_some_and(char::is_uppercase);
    for (at, word) in words.iter().enumerate() {
        if house(word) {
            for length in 1..=3 {
                let Some(last) = words.get(at + length) else { break };
                if !capitalised(last) {
                    break;
                }
                if STREET_WORDS.contains(&last.text.as_str()) && length >= 2 {
                    found.push(word.span.start..last.span.end);
                    break;
                }
            }
        }
        let glued_street = ["straße", "strasse", "weg", "gasse", "allee"].iter().any(|s| word.text.ends_with(s));
        if glued_street && capitalised(word) && words.get(at + 1).is_some_and(house) {
            found.push(word.span.start..words[at + 1].span.end);
        }
        if let Some(end) = uk_postcode(text, words, at) {
            found.push(word.span.start..end);
        }
    }
    found
}

/// A UK postcode at word `at`: outward code (`SW1A`, `M1`, `B33`) then
/// inward code (`1AA`), written in capitals as addresses are.
fn uk_postcode(text: &str, words: &[Word], at: usize) -> Option<usize> {
    let outward = &text[words[at].span.clone()];
    let inward_word = words.get(at + 1)?;
    let inward = &text[inward_word.span.clone()];
    let o = outward.as_bytes();
    let i = inward.as_bytes();
    let outward_ok = (2..=4).contains(&o.len())
        && o[0].is_ascii_uppercase()
        && o.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && o.iter().any(u8::is_ascii_digit);
    let inward_ok = i.len() == 3 && i[0].is_ascii_digit() && i[1].is_ascii_uppercase() && i[2].is_ascii_uppercase();
    (outward_ok && inward_ok).then_some(inward_word.span.end)
}

const RECORD_CUES: &[&[&str]] = &[
    &["mrn"],
    &["hospital", "number"],
    &["hospital", "no"],
    &["patient", "number"],
    &["patient", "id"],
    &["patient", "no"],
    &["record", "number"],
    &["medical", "record"],
    &["nhs", "number"],
    &["nhs", "no"],
    &["insurance", "number"],
    &["insurance", "no"],
    &["member", "id"],
    &["membership", "number"],
    &["policy", "number"],
    &["case", "number"],
    &["chi", "number"],
    &["ssn"],
    &["social", "security"],
];

/// A number (five digits or more, letters allowed) within three words after
/// a cue such as "MRN", "hospital number" or "insurance number".
fn record_numbers(words: &[Word]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for at in 0..words.len() {
        let Some(cue) = RECORD_CUES
            .iter()
            .find(|cue| cue.iter().enumerate().all(|(n, part)| words.get(at + n).is_some_and(|w| w.text == *part)))
        else {
            continue;
        };
        let after = at + cue.len();
        let mut start: Option<usize> = None;
        let mut end = after;
        for (n, word) in words.iter().enumerate().skip(after).take(6) {
            let digits = word.text.bytes().filter(u8::is_ascii_digit).count();
            if digits > 0 && word.text.bytes().all(|b| b.is_ascii_alphanumeric()) {
                start.get_or_insert(n);
                end = n + 1;
            } else if start.is_some() || n >= after + 3 {
                break;
            }
        }
        if let Some(start) = start {
            let digits: usize =
                words[start..end].iter().map(|w| w.text.bytes().filter(u8::is_ascii_digit).count()).sum();
            if digits >= 5 {
                found.push(words[start].span.start..words[end - 1].span.end);
            }
        }
    }
    found
}

/// The writer's full name (two words or more, as typed in the name field)
/// written in the text.
fn full_name(words: &[Word], name: &str) -> Vec<Range<usize>> {
    let wanted: Vec<Word> = super::words::words(name);
    if wanted.len() < 2 || wanted.iter().any(|w| w.text.chars().count() < 2) {
        return Vec::new();
    }
    spans_of(words, &wanted)
}

/// Where the words `wanted` (one or more) stand in `words`, one after another.
fn spans_of(words: &[Word], wanted: &[Word]) -> Vec<Range<usize>> {
    if wanted.is_empty() {
        return Vec::new();
    }
    (0..words.len().saturating_sub(wanted.len() - 1))
        .filter(|&at| wanted.iter().enumerate().all(|(n, w)| words[at + n].text == w.text))
        .map(|at| words[at].span.start..words[at + wanted.len() - 1].span.end)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        find(text, "Ann Reader", "GB").into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn each_kind_is_found() {
        let cases: &[(&str, Kind)] = &[
            ("call me on 07911 123456 after six", Kind::Phone),
            ("my mobile is +44 7911 123456", Kind::Phone),
            ("or (020) 7946 0018 at work", Kind::Phone),
            ("write to ann.reader+blog@example.co.uk please", Kind::Email),
            ("I was born on 12/03/1980 and", Kind::DateOfBirth),
            ("DOB 3rd of March 1975", Kind::DateOfBirth),
            ("my birthday is March 12 so", Kind::DateOfBirth),
            ("NHS 943 476 5919 if you need it", Kind::HealthNumber),
            ("card 4111 1111 1111 1111 was charged", Kind::CardNumber),
            ("I live at 12 Acacia Avenue in town", Kind::Address),
            ("postcode SW1A 1AA", Kind::Address),
            ("Hauptstraße 5 in Berlin", Kind::Address),
            ("my hospital number is RX12345 at the clinic", Kind::RecordNumber),
            ("insurance number: 123 456 789", Kind::RecordNumber),
            ("this is ann reader writing again", Kind::FullName),
        ];
        for (text, kind) in cases {
            assert_eq!(kinds(text), [*kind], "{text}");
        }
    }

    #[test]
    fn doses_years_times_and_wrong_check_digits_are_not_details() {
        for text in [
            "I take 400 mg magnesium, 2 x 200mg, since 2019, at 10:30 pm",
            "my migraines started in 1998 and got worse in 2015-2016",
            "NHS 943 476 5918 has the wrong check digit",
            "the card 4111 1111 1111 1112 fails Luhn",
            "I am 45 years old, 180 cm, 75 kg",
            "born in 1975",
            "Ann had a headache",
            "page 12 of 200, chapter 3",
        ] {
            assert!(kinds(text).is_empty(), "{text}: {:?}", find(text, "Ann Reader", "GB"));
        }
    }

    #[test]
    fn removing_the_details_keeps_the_rest_of_the_text() {
        let text = "Ring 07911 123456 or mail ann@example.org, NHS 943 476 5919. Thanks!";
        let found = find(text, "", "GB");
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(redact(text, &found), "Ring [removed] or mail [removed], NHS [removed]. Thanks!");
    }

    #[test]
    fn an_answer_that_says_the_reader_is_a_patient_is_caught() {
        let found = find_in_answer("As we discussed at your last visit, keep the dose. Ring 07911 123456.", "GB");
        let kinds: Vec<Kind> = found.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [Kind::PatientRelationship, Kind::Phone]);
        assert_eq!(found[0].text, "your last visit");
        assert!(find_in_answer("Most people do well on 400 mg a day.", "GB").is_empty());
    }

    #[test]
    fn a_phone_number_is_read_by_the_sites_country() {
        assert_eq!(find("ruf mich an: 030 901820", "", "DE").len(), 1);
        assert_eq!(find("call (212) 555 0100", "", "US").iter().map(|f| f.kind).collect::<Vec<_>>(), [Kind::Phone]);
    }
}
