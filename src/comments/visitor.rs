//! The visitor cookie: an encrypted, signed cookie that ties a comment
//! form's CSRF token to one browser and remembers which of that browser's
//! comments still await moderation, so that it alone sees them.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::submit::FORM_LIFETIME_SECS;
use crate::domain::CommentId;
use crate::keys::{hex, Keys};

pub const COOKIE_NAME: &str = "hb_visitor";
/// Pending comments remembered per browser; older ones drop off.
const MAX_REMEMBERED: usize = 20;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Visitor {
    id: String,
    #[serde(default)]
    pending: Vec<CommentId>,
    /// Whether the cookie must be (re)sent with the response.
    #[serde(skip)]
    changed: bool,
}

/// Which form a token is for: a token of one is worthless for the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormPurpose {
    Comment,
    SignIn,
    /// A commenter's own actions: asking for a link, editing, deleting, erasing.
    Manage,
}

/// Why a form's token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenProblem {
    /// Missing, forged, or from another browser.
    Invalid,
    /// Too old to trust.
    Expired,
}

impl Visitor {
    /// The visitor of this request, or a new one (whose cookie is then sent).
    pub fn from_request(request: &HttpRequest, keys: &Keys) -> Self {
        Self::existing(request, keys).unwrap_or_else(Self::first_visit)
    }

    /// A visitor seen for the first time (whose cookie is then sent).
    pub fn first_visit() -> Self {
        let mut id = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut id);
        Self { id: hex(&id), pending: Vec::new(), changed: true }
    }

    /// The visitor whose cookie came with this request, if any and genuine.
    pub fn existing(request: &HttpRequest, keys: &Keys) -> Option<Self> {
        keys.open_cookie(request, COOKIE_NAME)
    }

    /// Comments of this browser that await moderation.
    pub fn pending(&self) -> &[CommentId] {
        &self.pending
    }

    pub fn remember_pending(&mut self, comment_id: CommentId) {
        self.pending.push(comment_id);
        if self.pending.len() > MAX_REMEMBERED {
            self.pending.remove(0);
        }
        self.changed = true;
    }

    /// The cookie to send, when it changed.
    pub fn cookie(&self, keys: &Keys, secure: bool) -> Option<Cookie<'static>> {
        if !self.changed {
            return None;
        }
        let value = serde_json::to_string(self).ok()?;
        let cookie = Cookie::build(COOKIE_NAME, value)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        keys.seal_cookie(cookie)
    }

    /// A CSRF token for a form (`purpose` names which) shown now; it also
    /// records when the form was shown. Each token is different (a random
    /// nonce), so that spending one never spends another.
    pub fn form_token(&self, keys: &Keys, purpose: FormPurpose, now: i64) -> String {
        let mut nonce = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut nonce);
        let nonce = hex(&nonce);
        format!("{now}.{nonce}.{}", hex(&self.mac(keys, purpose, now, &nonce)))
    }

    /// Checks a token from a submitted form and returns when the form was shown.
    pub fn verify_form_token(
        &self,
        keys: &Keys,
        purpose: FormPurpose,
        token: &str,
        now: i64,
    ) -> Result<i64, TokenProblem> {
        let mut parts = token.splitn(3, '.');
        let (Some(issued), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TokenProblem::Invalid);
        };
        // One spelling per token: "+1000" or "01000" would be another,
        // unspent, token for the same form.
        let issued = match issued.parse::<i64>() {
            Ok(number) if number.to_string() == issued => number,
            _ => return Err(TokenProblem::Invalid),
        };
        let expected = hex(&self.mac(keys, purpose, issued, nonce));
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            return Err(TokenProblem::Invalid);
        }
        if now - issued > FORM_LIFETIME_SECS || issued > now + 60 {
            return Err(TokenProblem::Expired);
        }
        Ok(issued)
    }

    fn mac(&self, keys: &Keys, purpose: FormPurpose, issued: i64, nonce: &str) -> [u8; 32] {
        keys.csrf_mac(format!("{purpose:?}|{}|{issued}|{nonce}", self.id).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    use crate::keys::test_keys as keys;

    #[test]
    fn a_token_is_valid_only_for_its_visitor_and_records_when_it_was_issued() {
        let keys = keys();
        let request = TestRequest::default().to_http_request();
        let ann = Visitor::from_request(&request, &keys);
        let bob = Visitor::from_request(&request, &keys);
        let token = ann.form_token(&keys, FormPurpose::Comment, 1_000);
        assert_eq!(ann.verify_form_token(&keys, FormPurpose::Comment, &token, 1_005), Ok(1_000));
        assert_eq!(bob.verify_form_token(&keys, FormPurpose::Comment, &token, 1_005), Err(TokenProblem::Invalid));
        assert_eq!(ann.verify_form_token(&keys, FormPurpose::Comment, "1000.00", 1_005), Err(TokenProblem::Invalid));
        assert_ne!(token, ann.form_token(&keys, FormPurpose::Comment, 1_000), "every form gets its own token");
        let (issued, rest) = token.split_once('.').unwrap();
        assert_eq!(issued, "1000");
        for respelled in [format!("+{token}"), format!("0{token}"), token.to_uppercase()] {
            assert_eq!(
                ann.verify_form_token(&keys, FormPurpose::Comment, &respelled, 1_005),
                Err(TokenProblem::Invalid),
                "{respelled}"
            );
        }
        let forged = format!("999.{rest}");
        assert_eq!(ann.verify_form_token(&keys, FormPurpose::Comment, &forged, 1_005), Err(TokenProblem::Invalid));
        assert_eq!(ann.verify_form_token(&keys, FormPurpose::SignIn, &token, 1_005), Err(TokenProblem::Invalid));
        assert_eq!(
            ann.verify_form_token(&keys, FormPurpose::Comment, &token, 1_000 + FORM_LIFETIME_SECS + 1),
            Err(TokenProblem::Expired)
        );
    }

    #[test]
    fn the_cookie_round_trips_and_cannot_be_forged() {
        let keys = keys();
        let mut visitor = Visitor::from_request(&TestRequest::default().to_http_request(), &keys);
        visitor.remember_pending(CommentId(42));
        let cookie = visitor.cookie(&keys, false).unwrap();
        let request = TestRequest::default().cookie(cookie.clone()).to_http_request();
        let back = Visitor::existing(&request, &keys).unwrap();
        assert_eq!(back.pending(), [CommentId(42)]);

        let forged = Cookie::new(COOKIE_NAME, r#"{"id":"x","pending":[1,2,3]}"#);
        let request = TestRequest::default().cookie(forged).to_http_request();
        assert!(Visitor::existing(&request, &keys).is_none());
    }
}
