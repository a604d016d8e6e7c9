//! The author's session: who is signed in, since when, and the CSRF token
//! of the desk's forms. The state lives in the database (`DbSessionStore`);
//! the cookie holds only an encrypted, signed key.

use std::future::{ready, Ready};

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use rand::RngCore;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::config::Settings;
use crate::domain::{Role, UserId};
use crate::keys::hex;

pub struct TypedSession(Session);

const USER_ID: &str = "user_id";
const SIGNED_IN_AT: &str = "signed_in_at";
const LAST_SEEN: &str = "last_seen";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
/// `last_seen` is rewritten at most this often, to spare the database.
const LAST_SEEN_RESOLUTION_SECS: i64 = 60;

/// A message shown once, on the next desk page.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Flash {
    pub message: String,
    pub link: Option<FlashLink>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FlashLink {
    pub label: String,
    /// A path on this site.
    pub href: String,
}

/// How long a session lasts.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Ends after this long without a request.
    pub idle_secs: i64,
    /// Ends this long after signing in, whatever happens.
    pub absolute_secs: i64,
}

impl From<&Settings> for Timeouts {
    fn from(settings: &Settings) -> Self {
        Self {
            idle_secs: i64::from(settings.session_idle_minutes) * 60,
            absolute_secs: i64::from(settings.session_max_days) * 24 * 3600,
        }
    }
}

// Written here rather than in `config`, which then depends on nothing: the
// session reads its settings, the settings know nothing of sessions.
impl Settings {
    /// How long a desk session lasts, as configured.
    pub fn session_timeouts(&self) -> Timeouts {
        Timeouts::from(self)
    }
}

impl TypedSession {
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// A one-time message for the next page.
    pub fn set_flash(&self, message: &str) {
        let _ = self.0.insert(FLASH, Flash { message: message.to_owned(), link: None });
    }

    /// A one-time message for the next page, with a link to what it is about
    /// ("Your answer is published. View it").
    pub fn set_flash_with_link(&self, message: &str, label: &str, href: &str) {
        let link = Some(FlashLink { label: label.to_owned(), href: href.to_owned() });
        let _ = self.0.insert(FLASH, Flash { message: message.to_owned(), link });
    }

    pub fn take_flash(&self) -> Option<Flash> {
        self.0.remove_as::<Flash>(FLASH).and_then(Result::ok)
    }

    /// Starts a session for `user_id` under a new key (the old key, which
    /// someone may have planted, becomes worthless).
    pub fn sign_in(&self, user_id: UserId, now: i64) -> Result<(), actix_session::SessionInsertError> {
        self.0.renew();
        self.0.insert(USER_ID, user_id)?;
        self.0.insert(SIGNED_IN_AT, now)?;
        self.0.insert(LAST_SEEN, now)?;
        self.0.insert(CSRF, random_token())?;
        Ok(())
    }

    pub fn sign_out(&self) {
        self.0.purge();
    }

    /// The signed-in user, if the session is still within its timeouts.
    /// An expired session is ended.
    pub fn user_id(&self, timeouts: Timeouts, now: i64) -> Option<UserId> {
        let user_id = self.0.get::<UserId>(USER_ID).ok().flatten()?;
        let signed_in = self.0.get::<i64>(SIGNED_IN_AT).ok().flatten().unwrap_or(0);
        let last_seen = self.0.get::<i64>(LAST_SEEN).ok().flatten().unwrap_or(0);
        if now - signed_in > timeouts.absolute_secs || now - last_seen > timeouts.idle_secs {
            self.0.purge();
            return None;
        }
        if now - last_seen >= LAST_SEEN_RESOLUTION_SECS {
            let _ = self.0.insert(LAST_SEEN, now);
        }
        Some(user_id)
    }

    /// The token every form of the desk carries.
    pub fn csrf_token(&self) -> String {
        self.0.get::<String>(CSRF).ok().flatten().unwrap_or_default()
    }

    pub fn csrf_matches(&self, token: &str) -> bool {
        let expected = self.csrf_token();
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(request.get_session())))
    }
}

/// The signed-in user of a desk request, put in place by the sign-in guard
/// (see `routes::admin::Desk`).
#[derive(Clone, Debug, Serialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub csrf_token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_come_from_the_settings_in_seconds() {
        let settings = Settings { session_idle_minutes: 30, session_max_days: 2, ..Settings::default() };
        let timeouts = settings.session_timeouts();
        assert_eq!((timeouts.idle_secs, timeouts.absolute_secs), (30 * 60, 2 * 24 * 3600));
    }
}
