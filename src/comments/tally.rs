//! What each comment is to a discussion (a question, an answer, or a
//! reader's reply to another reader) and the count readers see: "3
//! questions, 2 answers, 1 reply".

use std::collections::HashMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::db::comments::Placement;
pub use crate::domain::CommentKind;
use crate::domain::{CommentId, CommentStatus};

/// How many published comments of each kind a discussion has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub questions: usize,
    pub answers: usize,
    pub replies: usize,
}

impl Tally {
    /// Counts the published comments among `placements` (one article's, in
    /// any order). A parent that is not among them counts as a reader's.
    pub fn of(placements: &[Placement]) -> Self {
        let by_staff: HashMap<CommentId, bool> = placements.iter().map(|p| (p.id, p.user_id.is_some())).collect();
        let mut tally = Self::default();
        for placement in placements {
            if placement.status != CommentStatus::Approved || placement.erased_at.is_some() {
                continue;
            }
            let parent = placement.parent_id.map(|parent| by_staff.get(&parent).copied().unwrap_or(false));
            match CommentKind::of(placement.user_id.is_some(), parent) {
                CommentKind::Question => tally.questions += 1,
                CommentKind::Answer => tally.answers += 1,
                CommentKind::Reply => tally.replies += 1,
            }
        }
        tally
    }

    /// Every published comment.
    pub fn total(&self) -> usize {
        self.questions + self.answers + self.replies
    }
}

/// "3 questions, 2 answers, 1 reply"; "No questions yet" for none. Kinds
/// without a comment are left out.
impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.total() == 0 {
            return f.write_str("No questions yet");
        }
        let parts = [
            (self.questions, "question", "questions"),
            (self.answers, "answer", "answers"),
            (self.replies, "reply", "replies"),
        ];
        let words: Vec<String> = parts
            .iter()
            .filter(|(count, _, _)| *count > 0)
            .map(|&(count, one, many)| format!("{count} {}", if count == 1 { one } else { many }))
            .collect();
        f.write_str(&words.join(", "))
    }
}

/// Templates get the words, and the total for anything else.
impl Serialize for Tally {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("Tally", 2)?;
        state.serialize_field("words", &self.to_string())?;
        state.serialize_field("total", &self.total())?;
        state.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

    fn placed(id: i32, parent: Option<i32>, staff: bool) -> Placement {
        Placement {
            id: CommentId(id),
            parent_id: parent.map(CommentId),
            status: CommentStatus::Approved,
            erased_at: None,
            user_id: staff.then_some(UserId(1)),
        }
    }

    #[test]
    fn questions_answers_and_replies_are_told_apart() {
        assert_eq!(CommentKind::of(false, None), CommentKind::Question);
        assert_eq!(CommentKind::of(false, Some(true)), CommentKind::Question, "a follow-up to an answer");
        assert_eq!(CommentKind::of(false, Some(false)), CommentKind::Reply);
        assert_eq!(CommentKind::of(true, Some(false)), CommentKind::Answer);
    }

    #[test]
    fn a_discussion_is_counted_in_words() {
        let placements = [
            placed(1, None, false),
            placed(2, None, false),
            placed(3, Some(1), true),
            placed(4, Some(1), false),
            placed(5, Some(3), false),
            Placement { status: CommentStatus::Pending, ..placed(6, None, false) },
            Placement { erased_at: Some(chrono::NaiveDateTime::default()), ..placed(7, None, false) },
        ];
        let tally = Tally::of(&placements);
        assert_eq!(tally, Tally { questions: 3, answers: 1, replies: 1 });
        assert_eq!(tally.to_string(), "3 questions, 1 answer, 1 reply");
        assert_eq!(Tally::of(&placements[..1]).to_string(), "1 question");
        assert_eq!(Tally::of(&placements[5..]).to_string(), "No questions yet");
        assert_eq!(Tally { questions: 0, answers: 2, replies: 3 }.to_string(), "2 answers, 3 replies");
    }
}
