//! What a comment is to a discussion: a question, an answer or a reply.

/// What a comment is to the author.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentKind {
    /// A reader's comment on the article, or a reader's follow-up to an
    /// answer of the author's: something the author is asked.
    Question,
    /// Written by the author or a moderator (signed in): the author's word,
    /// usually in reply to a question.
    Answer,
    /// A reader answering another reader: asks the author nothing.
    Reply,
}

impl CommentKind {
    /// The one definition of a question, an answer and a reply. `by_staff`:
    /// written by a desk account; `parent_by_staff`: `None` for a comment on
    /// the article, else whether the comment it answers was written by a desk
    /// account. `db::comments::unanswered` asks the same in SQL (a test holds
    /// the two together).
    pub fn of(by_staff: bool, parent_by_staff: Option<bool>) -> Self {
        match (by_staff, parent_by_staff) {
            (true, _) => Self::Answer,
            (false, None | Some(true)) => Self::Question,
            (false, Some(false)) => Self::Reply,
        }
    }
}
