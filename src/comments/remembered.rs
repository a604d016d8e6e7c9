//! "Save my name, email and website in this browser": when a commenter asks
//! for it, an encrypted cookie keeps their details for a year, and the
//! comment form comes pre-filled. The page that shows them is that
//! browser's alone: a request carrying this cookie never gets, nor fills, a
//! cached page (`page_cache::personal`).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};

use crate::keys::Keys;

pub const COOKIE_NAME: &str = "hb_commenter";
const LIFETIME_DAYS: i64 = 365;

/// A commenter's details, as they last sent them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedCommenter {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub website: String,
}

impl RememberedCommenter {
    /// The details this browser asked to keep, if its cookie is genuine.
    pub fn from_request(request: &HttpRequest, keys: &Keys) -> Option<Self> {
        keys.open_cookie(request, COOKIE_NAME)
    }

    /// Whether the request carries the cookie at all (genuine or not): the
    /// page cache's quick test, without decrypting it.
    pub fn sent_with(request: &HttpRequest) -> bool {
        request.cookie(COOKIE_NAME).is_some()
    }

    /// The encrypted cookie that keeps these details for a year.
    pub fn cookie(&self, keys: &Keys, secure: bool) -> Option<Cookie<'static>> {
        let value = serde_json::to_string(self).ok()?;
        keys.seal_cookie(base(Cookie::new(COOKIE_NAME, value), secure))
    }

    /// The cookie that makes the browser forget the details.
    pub fn removal(secure: bool) -> Cookie<'static> {
        let mut cookie = base(Cookie::new(COOKIE_NAME, ""), secure);
        cookie.make_removal();
        cookie
    }
}

fn base(mut cookie: Cookie<'static>, secure: bool) -> Cookie<'static> {
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_secure(secure);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_max_age(actix_web::cookie::time::Duration::days(LIFETIME_DAYS));
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    use crate::keys::test_keys as keys;

    #[test]
    fn the_details_round_trip_encrypted_and_cannot_be_forged() {
        let keys = keys();
        let ann = RememberedCommenter {
            name: "Ann".into(),
            email: "ann@example.org".into(),
            website: "https://ann.example".into(),
        };
        let cookie = ann.cookie(&keys, false).unwrap();
        assert!(!cookie.value().contains("ann@example.org"), "the address is not readable in the cookie");
        assert!(cookie.http_only() == Some(true) && cookie.same_site() == Some(SameSite::Lax));
        let request = TestRequest::default().cookie(cookie).to_http_request();
        assert_eq!(RememberedCommenter::from_request(&request, &keys), Some(ann));

        let forged = Cookie::new(COOKIE_NAME, r#"{"name":"x","email":"x@example.org"}"#);
        let request = TestRequest::default().cookie(forged).to_http_request();
        assert!(RememberedCommenter::from_request(&request, &keys).is_none());
        assert!(RememberedCommenter::sent_with(&request), "still enough to skip the page cache");
    }
}
