//! What keeps a health conversation safe, checked on the server for every
//! question and reply: emergency signs (`red_flags`) and personal details
//! (`personal`). Both only ever warn and mark; neither blocks a comment.

pub mod consent;
pub mod personal;
pub mod red_flags;
mod words;

use serde::Serialize;

use red_flags::{Helpline, RedFlags};

/// What a reader whose comment showed emergency signs is told, beside it:
/// each sign's notice, and the numbers to call in the site's country.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SafetyNotice {
    pub signs: Vec<Sign>,
    pub helplines: Vec<Helpline>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Sign {
    pub title: String,
    pub notice: String,
}

impl SafetyNotice {
    /// The notice for the rules `urgent` names (as stored with a comment:
    /// rule ids, comma-separated), or `None` when it names none.
    pub fn for_rules(red_flags: &RedFlags, urgent: &str, country: &str) -> Option<Self> {
        let signs = urgent
            .split(',')
            .filter_map(|id| red_flags.rule(id.trim()))
            .map(|(title, notice)| Sign { title: title.to_owned(), notice: notice.to_owned() });
        Self::of(red_flags, signs.collect(), country)
    }

    /// The notice for the rules that fired on a text, or `None` when none did.
    pub fn for_hits(red_flags: &RedFlags, hits: Vec<red_flags::Hit>, country: &str) -> Option<Self> {
        let signs = hits.into_iter().map(|hit| Sign { title: hit.title, notice: hit.notice });
        Self::of(red_flags, signs.collect(), country)
    }

    fn of(red_flags: &RedFlags, signs: Vec<Sign>, country: &str) -> Option<Self> {
        (!signs.is_empty())
            .then(|| Self { signs, helplines: red_flags.helplines(country).into_iter().cloned().collect() })
    }
}
