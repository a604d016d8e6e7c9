//! The device cookie (OWASP's "device cookies" against lock-out): a browser
//! in which an account has signed in gets a long-lived, encrypted cookie
//! naming that account and a random device id. A later sign-in for that
//! account from that browser is counted against the device rather than the
//! name, so strangers who guess at the author's name lock out only
//! themselves.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::keys::{hex, Keys};

pub const COOKIE_NAME: &str = "hb_device";
/// The browser sends it to the sign-in form only.
const COOKIE_PATH: &str = "/admin/login";
const LIFETIME_DAYS: i64 = 365;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceCookie {
    username: String,
    device: String,
    /// When it was issued, in seconds since the epoch: the browser's expiry
    /// is not to be trusted with a copied cookie.
    issued: i64,
}

impl DeviceCookie {
    /// The cookie to give a browser in which `username` just signed in,
    /// keeping the device id the browser already had for that account.
    pub fn issue(request: &HttpRequest, keys: &Keys, username: &str, now: i64) -> Self {
        let device = Self::from_request(request, keys, now)
            .filter(|cookie| cookie.username == username)
            .map(|cookie| cookie.device)
            .unwrap_or_else(|| {
                let mut id = [0u8; 16];
                rand::thread_rng().fill_bytes(&mut id);
                hex(&id)
            });
        Self { username: username.to_owned(), device, issued: now }
    }

    /// The device id from a genuine, unexpired cookie issued for `username`.
    pub fn device_for(request: &HttpRequest, keys: &Keys, username: &str, now: i64) -> Option<String> {
        Self::from_request(request, keys, now).filter(|cookie| cookie.username == username).map(|cookie| cookie.device)
    }

    fn from_request(request: &HttpRequest, keys: &Keys, now: i64) -> Option<Self> {
        let cookie: Self = keys.open_cookie(request, COOKIE_NAME)?;
        (now - cookie.issued < LIFETIME_DAYS * 24 * 3600).then_some(cookie)
    }

    /// Encrypted and signed with the app's cookie key; `HttpOnly`,
    /// `SameSite=Strict`, `Secure` on an https site.
    pub fn cookie(&self, keys: &Keys, secure: bool) -> Option<Cookie<'static>> {
        let value = serde_json::to_string(self).ok()?;
        let cookie = Cookie::build(COOKIE_NAME, value)
            .path(COOKIE_PATH)
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .max_age(CookieDuration::days(LIFETIME_DAYS))
            .finish();
        keys.seal_cookie(cookie)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    use crate::keys::test_keys as keys;

    #[test]
    fn a_cookie_names_its_account_and_expires() {
        let keys = keys();
        let issued = DeviceCookie::issue(&TestRequest::default().to_http_request(), &keys, "doc", 1_000);
        let request = TestRequest::default().cookie(issued.cookie(&keys, false).unwrap()).to_http_request();

        assert_eq!(DeviceCookie::device_for(&request, &keys, "doc", 2_000), Some(issued.device.clone()));
        assert_eq!(DeviceCookie::device_for(&request, &keys, "editor", 2_000), None, "another account");
        assert_eq!(DeviceCookie::device_for(&request, &keys, "doc", 1_000 + LIFETIME_DAYS * 24 * 3600), None);
        let other_keys = Keys::from_secret(&"x".repeat(40)).unwrap();
        assert_eq!(DeviceCookie::device_for(&request, &other_keys, "doc", 2_000), None, "another site's key");

        let again = DeviceCookie::issue(&request, &keys, "doc", 3_000);
        assert_eq!(again.device, issued.device, "signing in again keeps the device id");
        assert_ne!(DeviceCookie::issue(&request, &keys, "editor", 3_000).device, issued.device);
    }

    #[test]
    fn a_forged_cookie_is_worth_nothing() {
        let forged = Cookie::new(COOKIE_NAME, r#"{"username":"doc","device":"d","issued":1000}"#);
        let request = TestRequest::default().cookie(forged).to_http_request();
        assert_eq!(DeviceCookie::device_for(&request, &keys(), "doc", 2_000), None);
    }
}
