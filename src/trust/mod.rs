//! What keeps a health conversation safe, checked on the server for every
//! question and reply: emergency signs (`red_flags`) and personal details
//! (`personal`). Both only ever warn and mark; neither blocks a comment.

pub mod personal;
pub mod red_flags;
mod words;
