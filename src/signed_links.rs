//! Links that carry their own authority: an email's "confirm", "stop",
//! "manage my comments" and the author's one-click actions. A link holds
//! its purpose's payload and an expiry, signed with a key of the site's
//! secret; anyone may read it, nobody can change or extend it.
//!
//! Format: `hex(json payload and expiry)` `.` `hex(first 16 bytes of the
//! HMAC over purpose and json)`. Hex keeps it safe in a URL path.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::keys::{hex, Keys};

/// What a link is for: a link made for one purpose is refused for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms an address that asked for notices.
    Confirm,
    /// Stops notices: of one thread, or all of them.
    Unsubscribe,
    /// Opens a commenter's "manage my comments" page.
    Manage,
    /// One of the author's actions on a comment, from a notice.
    DeskAction,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Unsubscribe => "unsubscribe",
            Self::Manage => "manage",
            Self::DeskAction => "desk-action",
        }
    }
}

/// Why a link was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("this link is not valid: it may have been cut short or changed")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    #[serde(rename = "p")]
    payload: T,
    /// Unix seconds after which the link is refused.
    #[serde(rename = "e")]
    expires_at: i64,
}

/// A link token for `payload`, valid for `purpose` until `expires_at`
/// (Unix seconds).
pub fn sign<T: Serialize>(keys: &Keys, purpose: Purpose, payload: &T, expires_at: i64) -> String {
    let json = serde_json::to_vec(&Envelope { payload, expires_at }).unwrap_or_default();
    format!("{}.{}", hex(&json), hex(&mac(keys, purpose, &json)))
}

/// The payload of `token` when it was made by this site for `purpose` and
/// has not expired at `now` (Unix seconds).
pub fn open<T: DeserializeOwned>(keys: &Keys, purpose: Purpose, token: &str, now: i64) -> Result<T, LinkProblem> {
    let (data, signature) = token.split_once('.').ok_or(LinkProblem::Invalid)?;
    let json = unhex(data).ok_or(LinkProblem::Invalid)?;
    let signature = unhex(signature).ok_or(LinkProblem::Invalid)?;
    if !bool::from(signature.ct_eq(&mac(keys, purpose, &json))) {
        return Err(LinkProblem::Invalid);
    }
    let envelope: Envelope<T> = serde_json::from_slice(&json).map_err(|_| LinkProblem::Invalid)?;
    if now > envelope.expires_at {
        return Err(LinkProblem::Expired);
    }
    Ok(envelope.payload)
}

/// A short, stable fingerprint of a token, to remember that a single-use
/// link was used without keeping the link itself.
pub fn fingerprint(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(token.as_bytes()))
}

fn mac(keys: &Keys, purpose: Purpose, json: &[u8]) -> Vec<u8> {
    let mut message = purpose.label().as_bytes().to_vec();
    message.push(0);
    message.extend_from_slice(json);
    keys.link_mac(&message)[..16].to_vec()
}

/// The bytes of `text`, written as `hex` writes them: lower-case digits
/// only. Any other spelling of the same bytes (upper case, a sign) is
/// refused, so that a link has one form and a spent one cannot be sent
/// again in another.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || text.len() > 4096 {
        return None;
    }
    let digit = |byte: u8| match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    };
    text.as_bytes().chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> Keys {
        Keys::from_secret(&secret.repeat(40)).unwrap()
    }

    #[test]
    fn a_link_opens_for_its_purpose_until_it_expires() {
        let keys = keys("a");
        let token = sign(&keys, Purpose::Manage, &"reader@example.org", 1_000);
        assert_eq!(open::<String>(&keys, Purpose::Manage, &token, 999).unwrap(), "reader@example.org");
        assert_eq!(open::<String>(&keys, Purpose::Manage, &token, 1_001), Err(LinkProblem::Expired));
        assert_eq!(open::<String>(&keys, Purpose::Unsubscribe, &token, 999), Err(LinkProblem::Invalid));
    }

    #[test]
    fn a_changed_or_foreign_link_is_refused() {
        let keys = keys("a");
        let token = sign(&keys, Purpose::Manage, &"reader@example.org", 1_000);
        assert_eq!(open::<String>(&self::keys("b"), Purpose::Manage, &token, 0), Err(LinkProblem::Invalid));
        // Another address with the old signature.
        let (_, signature) = token.split_once('.').unwrap();
        let forged = format!("{}.{signature}", hex(br#"{"p":"other@example.org","e":1000}"#));
        assert_eq!(open::<String>(&keys, Purpose::Manage, &forged, 0), Err(LinkProblem::Invalid));
        // A later expiry with the old signature.
        let longer = format!("{}.{signature}", hex(br#"{"p":"reader@example.org","e":99999}"#));
        assert_eq!(open::<String>(&keys, Purpose::Manage, &longer, 0), Err(LinkProblem::Invalid));
        for broken in ["", ".", "zz.zz", &token[..token.len() - 2]] {
            assert_eq!(open::<String>(&keys, Purpose::Manage, broken, 0), Err(LinkProblem::Invalid), "{broken}");
        }
    }

    #[test]
    fn a_link_opens_only_as_it_was_written() {
        let keys = keys("a");
        let token = sign(&keys, Purpose::DeskAction, &42, 1_000);
        assert_eq!(open::<i32>(&keys, Purpose::DeskAction, &token, 0), Ok(42));
        // The same bytes in other spellings would be other "unused" links.
        let upper = token.to_uppercase();
        let (data, signature) = token.split_once('.').unwrap();
        let signed = format!("{data}.+{}", &signature[1..]);
        let upper_signature = format!("{data}.{}", signature.to_uppercase());
        for respelled in [upper.as_str(), &signed, &upper_signature] {
            assert_ne!(respelled, token);
            assert_eq!(open::<i32>(&keys, Purpose::DeskAction, respelled, 0), Err(LinkProblem::Invalid), "{respelled}");
        }
    }
}
