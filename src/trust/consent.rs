//! The reader's explicit consent to publish and keep the health information
//! they share (GDPR Art. 9(2)(a)). The wording is versioned by its own
//! text: changing a word makes a new version, and each comment keeps the
//! version its writer agreed to, when, and how.

use sha2::{Digest, Sha256};

/// What the reader agrees to, beside the comment form.
pub const WORDING: &str = "I agree that this site publishes my comment and keeps the health information in it, \
                           as the privacy notice below explains. I can withdraw this at any time by erasing my \
                           comments.";

/// How consent given with the comment form is recorded.
pub const THROUGH_COMMENT_FORM: &str = "comment form";

/// The version of `WORDING`: the first 12 hex digits of its SHA-256.
pub fn version() -> String {
    crate::keys::hex(&Sha256::digest(WORDING.as_bytes())[..6])
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_follows_the_wording() {
        assert_eq!(super::version().len(), 12);
        assert_eq!(super::version(), super::version());
    }
}
