//! Signing in and out: the answer to right and wrong credentials, the
//! throttle, the sign-in log, the session cookie, and when a session ends.

use healthblog::auth::throttle;

use super::{
    backdate_attempts, backdate_session, cookie_pair, create_user, fields, get_with, get_with_cookies, location,
    log_entries, post_with, record_failures, session_count, set_cookie, sign_in, sign_in_token, sign_in_with,
    signed_in_app_with, AUTHOR, DISPLAY, PASSWORD,
};
use crate::helpers::{csrf_token, input_value, new_browser, read, spawn_app, spawn_app_with, Page, TestApp};

const WRONG: &str = "The name or the password is wrong.";
const THROTTLED: &str = "Too many failed sign-ins.";

#[track_caller]
fn assert_sends_to_sign_in(page: &Page) {
    assert_eq!(page.status, 303, "expected a redirect to the sign-in page:\n{}", page.body);
    assert!(page.header("location").starts_with("/admin/login"), "redirected to {:?}", page.header("location"));
}

#[tokio::test]
async fn the_author_signs_in_and_the_desk_names_them() {
    let app = spawn_app().await;
    let user_id = create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    assert_sends_to_sign_in(&app.get("/admin").await);

    let response = sign_in(&app, AUTHOR, PASSWORD).await;

    assert_eq!(location(&response), "/admin");
    let desk = app.get("/admin").await;
    assert_eq!(desk.status, 200);
    desk.assert_contains(&[&format!("Signed in as {DISPLAY}")]);
    let entry = log_entries(&app).pop().expect("a log entry");
    assert_eq!((entry.action.as_str(), entry.actor.as_str(), entry.user_id), ("sign-in", DISPLAY, Some(user_id)));
}

#[tokio::test]
async fn signing_in_returns_to_the_desk_page_that_was_asked_for() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);

    let asked = app.get("/admin/questions").await;
    let login_url = location(&asked);
    assert_eq!(login_url, "/admin/login?next=%2Fadmin%2Fquestions");
    let form = app.get(&login_url).await;
    assert_eq!(input_value(&form.body, "username"), "");
    assert!(form.body.contains(r#"name="next" value="/admin/questions""#), "the form carries next:\n{}", form.body);
    let token = csrf_token(&form.body);
    let signed_in = app
        .post_form(
            "/admin/login",
            &fields(&[
                ("username", AUTHOR),
                ("password", PASSWORD),
                ("next", "/admin/questions"),
                ("csrf_token", &token),
            ]),
        )
        .await;
    assert_eq!(location(&signed_in), "/admin/questions");
    assert_eq!(app.get("/admin/questions").await.status, 200);
}

#[tokio::test]
async fn signing_in_never_leads_off_the_desk() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    for next in
        ["https://evil.example/admin", "//evil.example/admin", "/\\evil.example", "/posts/x", "javascript:alert(1)"]
    {
        let browser = new_browser();
        let token = sign_in_token(&app, &browser).await;
        let form = fields(&[("username", AUTHOR), ("password", PASSWORD), ("next", next), ("csrf_token", &token)]);
        let response = post_with(&app, &browser, "/admin/login", &form).await;
        assert_eq!(location(&response), "/admin", "next={next:?}");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_name_get_the_same_refusal() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);

    let mut messages = Vec::new();
    for (name, password) in [(AUTHOR, "not the password at all"), ("nobody-here", PASSWORD)] {
        let response = sign_in(&app, name, password).await;
        assert_eq!(response.status, 401, "{name}/{password}:\n{}", response.body);
        response.assert_contains(&[WRONG]);
        assert_eq!(input_value(&response.body, "username"), name, "the name stays in the form");
        assert_eq!(input_value(&response.body, "password"), "", "the password is never sent back");
        assert!(set_cookie(&response, "hb_session").is_none(), "no session is started");
        let message = response.body.split("role=\"alert\">").nth(1).and_then(|m| m.split("</p>").next());
        messages.push(message.expect("a message").to_owned());
    }
    assert_eq!(messages[0], messages[1], "both refusals read alike");
    assert_sends_to_sign_in(&app.get("/admin").await);

    let failures: Vec<_> =
        log_entries(&app).into_iter().filter(|e| e.action == "sign-in-failed").map(|e| (e.actor, e.user_id)).collect();
    assert_eq!(failures, [(AUTHOR.to_owned(), None), ("nobody-here".to_owned(), None)]);
    assert!(log_entries(&app).iter().all(|e| e.action != "sign-in"), "nobody signed in");
}

#[tokio::test]
async fn a_sign_in_form_without_its_token_is_refused() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    sign_in_token(&app, &app.client).await;
    for token in ["", "1700000000.forged"] {
        let form = fields(&[("username", AUTHOR), ("password", PASSWORD), ("csrf_token", token)]);
        let response = app.post_form("/admin/login", &form).await;
        assert_eq!(response.status, 403, "token {token:?}");
        assert!(set_cookie(&response, "hb_session").is_none(), "no session is started");
    }
    assert_sends_to_sign_in(&app.get("/admin").await);
}

#[tokio::test]
async fn five_failures_for_a_name_lock_it_even_with_the_right_password() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);

    for _ in 1..throttle::MAX_FAILURES {
        assert_eq!(sign_in(&app, AUTHOR, "a wrong guess of a password").await.status, 401);
    }
    // Four failures: the author still gets in.
    let still_open = new_browser();
    assert_eq!(sign_in_with(&app, &still_open, AUTHOR, PASSWORD).await.status, 303);

    assert_eq!(sign_in(&app, AUTHOR, "a wrong guess of a password").await.status, 401);
    let locked = sign_in(&app, AUTHOR, PASSWORD).await;

    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(locked.header("retry-after"), (throttle::WINDOW_MINUTES * 60).to_string());
    locked.assert_contains(&[THROTTLED]);
    assert_eq!(input_value(&locked.body, "username"), AUTHOR);
    assert!(set_cookie(&locked, "hb_session").is_none(), "no session is started");
    assert_sends_to_sign_in(&app.get("/admin").await);
}

#[tokio::test]
async fn failures_for_a_name_from_other_addresses_lock_that_name_only() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    create_user(&app, "editor", "Sam Editor", "another long pass phrase");
    let elsewhere = "0123456789abcdef0123456789abcdef";

    record_failures(&app, "editor", elsewhere, throttle::MAX_FAILURES as usize);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303, "another name's failures do not lock the author");

    record_failures(&app, AUTHOR, elsewhere, throttle::MAX_FAILURES as usize);
    let locked = sign_in_with(&app, &new_browser(), AUTHOR, PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(!locked.header("retry-after").is_empty(), "Retry-After is sent");
}

#[tokio::test]
async fn five_failures_from_an_address_lock_every_name_from_it() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    for n in 1..=throttle::MAX_FAILURES {
        let response = sign_in(&app, &format!("guess{n}"), "a wrong guess of a password").await;
        assert_eq!(response.status, 401);
    }

    let locked = sign_in_with(&app, &new_browser(), AUTHOR, PASSWORD).await;

    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(locked.header("retry-after"), (throttle::WINDOW_MINUTES * 60).to_string());
    locked.assert_contains(&[THROTTLED]);
}

#[tokio::test]
async fn the_lock_lifts_when_the_failures_are_older_than_the_window() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    for _ in 0..throttle::MAX_FAILURES {
        sign_in(&app, AUTHOR, "a wrong guess of a password").await;
    }
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 429);

    backdate_attempts(&app, throttle::WINDOW_MINUTES - 1);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 429, "still within the window");
    backdate_attempts(&app, throttle::WINDOW_MINUTES + 1);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303, "the window has passed");
}

/// Behind a load balancer every request comes from the balancer's address:
/// the throttle must count the reader's address, or five bad guesses by
/// anyone lock the author out.
#[tokio::test]
async fn behind_a_proxy_the_throttle_counts_the_forwarded_address() {
    let app = spawn_app_with(|s| s.behind_proxy = true).await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let attacker = "203.0.113.7";
    for n in 1..=throttle::MAX_FAILURES {
        assert_eq!(sign_in_from(&app, attacker, &format!("guess{n}"), "a wrong guess").await.status, 401);
    }
    assert_eq!(sign_in_from(&app, attacker, AUTHOR, PASSWORD).await.status, 429, "the attacker's address is locked");

    let author = sign_in_from(&app, "198.51.100.20", AUTHOR, PASSWORD).await;
    assert_eq!(author.status, 303, "the author, at another address, still gets in:\n{}", author.body);
}

/// nginx with `$proxy_add_x_forwarded_for` appends the address it saw to
/// whatever `X-Forwarded-For` the client sent, and passes `Forwarded` on as
/// it came. An attacker who makes up a new leftmost address for every guess
/// is still counted at the one address nginx saw.
#[tokio::test]
async fn behind_a_proxy_forged_forwarding_headers_do_not_escape_the_throttle() {
    let app = spawn_app_with(|s| s.behind_proxy = true).await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let seen_by_nginx = "203.0.113.7";
    for n in 1..=throttle::MAX_FAILURES {
        let forged = format!("198.18.0.{n}");
        let headers =
            [("X-Forwarded-For", format!("{forged}, {seen_by_nginx}")), ("Forwarded", format!("for={forged}"))];
        let response = sign_in_with_headers(&app, &headers, &format!("guess{n}"), "a wrong guess").await;
        assert_eq!(response.status, 401, "guess {n}:\n{}", response.body);
    }

    let headers =
        [("X-Forwarded-For", format!("198.18.1.1, {seen_by_nginx}")), ("Forwarded", "for=198.18.1.1".to_owned())];
    let again = sign_in_with_headers(&app, &headers, AUTHOR, PASSWORD).await;
    assert_eq!(again.status, 429, "a fresh forged address changes nothing:\n{}", again.body);
    again.assert_contains(&[THROTTLED]);
    assert_eq!(sign_in_from(&app, "198.51.100.20", AUTHOR, PASSWORD).await.status, 303, "the author elsewhere gets in");
}

/// A client that reaches the site directly, not through a trusted proxy,
/// is its own address, whatever forwarding headers it sends.
#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with(|s| {
        s.behind_proxy = true;
        s.trusted_proxies = vec!["10.0.0.0/8".into()];
    })
    .await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    for n in 1..=throttle::MAX_FAILURES {
        let response = sign_in_from(&app, &format!("198.18.0.{n}"), &format!("guess{n}"), "a wrong guess").await;
        assert_eq!(response.status, 401);
    }
    let locked = sign_in_from(&app, "198.18.1.1", AUTHOR, PASSWORD).await;
    assert_eq!(locked.status, 429, "every guess came from 127.0.0.1:\n{}", locked.body);
}

/// Signs in from a new browser behind the proxy, which forwards `ip`.
async fn sign_in_from(app: &TestApp, ip: &str, name: &str, password: &str) -> Page {
    sign_in_with_headers(app, &[("X-Forwarded-For", ip.to_owned())], name, password).await
}

/// Signs in from a new browser whose requests carry `headers`.
async fn sign_in_with_headers(app: &TestApp, headers: &[(&str, String)], name: &str, password: &str) -> Page {
    sign_in_behind_proxy(app, &new_browser(), headers, name, password).await
}

/// Signs in from `browser`, whose requests carry `headers`.
async fn sign_in_behind_proxy(
    app: &TestApp,
    browser: &reqwest::Client,
    headers: &[(&str, String)],
    name: &str,
    password: &str,
) -> Page {
    let url = format!("{}/admin/login", app.address);
    let with_headers = |mut request: reqwest::RequestBuilder| {
        for (header, value) in headers {
            request = request.header(*header, value);
        }
        request
    };
    let form = read(with_headers(browser.get(&url)).send().await.expect("GET succeeds")).await;
    let form = fields(&[("username", name), ("password", password), ("csrf_token", &csrf_token(&form.body))]);
    read(with_headers(browser.post(&url)).form(&form).send().await.expect("POST succeeds")).await
}

/// Thirty wrong passwords for one name, sent at once, used to be checked
/// all thirty: each checked the throttle before any had recorded its
/// failure.
#[tokio::test]
async fn simultaneous_wrong_passwords_for_one_name_are_checked_at_most_five_times() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let mut browsers = Vec::new();
    for _ in 0..30 {
        let browser = new_browser();
        let token = sign_in_token(&app, &browser).await;
        browsers.push((browser, token));
    }

    let guesses: Vec<_> = browsers
        .into_iter()
        .map(|(browser, token)| {
            let url = format!("{}/admin/login", app.address);
            let form =
                fields(&[("username", AUTHOR), ("password", "a wrong guess of a password"), ("csrf_token", &token)]);
            tokio::spawn(async move { browser.post(url).form(&form).send().await.expect("POST succeeds").status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.expect("the guess finishes").as_u16());
    }

    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(checked + refused, statuses.len(), "only 401 and 429: {statuses:?}");
    assert!(checked <= throttle::MAX_FAILURES as usize, "{checked} passwords were checked: {statuses:?}");
    let logged = log_entries(&app).iter().filter(|e| e.action == "sign-in-failed").count();
    assert_eq!(logged, checked, "the log names every checked password");
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 429, "the name is locked");
}

/// Anyone could lock the author out by typing five wrong passwords for the
/// author's name. The author's own browser, in which they signed in before,
/// still gets in; a browser that never signed in does not.
#[tokio::test]
async fn the_authors_own_browser_signs_in_while_strangers_have_locked_the_name() {
    let app = spawn_app_with(|s| s.behind_proxy = true).await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let home = [("X-Forwarded-For", "198.51.100.20".to_owned())];
    let authors_browser = new_browser();
    let first = sign_in_behind_proxy(&app, &authors_browser, &home, AUTHOR, PASSWORD).await;
    let device = set_cookie(&first, "hb_device").expect("a device cookie").to_lowercase();
    for wanted in ["httponly", "samesite=strict", "path=/admin/login"] {
        assert!(device.split(';').any(|a| a.trim() == wanted), "{wanted} in {device}");
    }
    sign_out(&app, &authors_browser).await;

    for n in 1..=throttle::MAX_FAILURES {
        let guess = sign_in_from(&app, &format!("203.0.113.{n}"), AUTHOR, "a wrong guess").await;
        assert_eq!(guess.status, 401);
    }
    let stranger = sign_in_from(&app, "198.51.100.20", AUTHOR, PASSWORD).await;
    assert_eq!(stranger.status, 429, "a browser without the cookie is locked out:\n{}", stranger.body);

    let author = sign_in_behind_proxy(&app, &authors_browser, &home, AUTHOR, PASSWORD).await;
    assert_eq!(location(&author), "/admin", "the author's browser gets in");
    assert_eq!(get_with(&app, &authors_browser, "/admin").await.status, 200);
}

/// The device cookie lifts the lock on the name, not the limit: its own
/// failures lock that browser, wherever it connects from.
#[tokio::test]
async fn a_known_browser_is_locked_by_its_own_failures_and_only_itself() {
    let app = spawn_app_with(|s| s.behind_proxy = true).await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let known = new_browser();
    let at = |n: u8| [("X-Forwarded-For", format!("198.51.100.{n}"))];
    assert_eq!(sign_in_behind_proxy(&app, &known, &at(1), AUTHOR, PASSWORD).await.status, 303);
    sign_out(&app, &known).await;

    for n in 1..=throttle::MAX_FAILURES as u8 {
        let guess = sign_in_behind_proxy(&app, &known, &at(10 + n), AUTHOR, "a wrong guess").await;
        assert_eq!(guess.status, 401);
    }
    let locked = sign_in_behind_proxy(&app, &known, &at(30), AUTHOR, PASSWORD).await;
    assert_eq!(locked.status, 429, "five failures with the cookie lock that browser:\n{}", locked.body);
    let other = sign_in_from(&app, "198.51.100.31", AUTHOR, PASSWORD).await;
    assert_eq!(other.status, 303, "its failures do not lock the name for other browsers:\n{}", other.body);
}

/// Signs `browser` out from the desk.
async fn sign_out(app: &TestApp, browser: &reqwest::Client) {
    let desk = get_with(app, browser, "/admin").await;
    let out = post_with(app, browser, "/admin/logout", &fields(&[("csrf_token", &csrf_token(&desk.body))])).await;
    assert_eq!(location(&out), "/admin/login");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_strict_and_not_secure_on_http() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let response = sign_in(&app, AUTHOR, PASSWORD).await;
    let cookie = set_cookie(&response, "hb_session").expect("a session cookie").to_lowercase();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attributes.contains(&"httponly"), "{cookie}");
    assert!(attributes.contains(&"samesite=strict"), "{cookie}");
    assert!(!attributes.contains(&"secure"), "{cookie}");
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_site_is_https() {
    let app = spawn_app_with(|s| s.base_url = "https://blog.test".into()).await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    // A browser would not send `Secure` cookies over plain http: pass the
    // visitor cookie by hand, as it would over https.
    let form = app.get_as_stranger("/admin/login").await;
    let visitor = cookie_pair(set_cookie(&form, "hb_visitor").expect("a visitor cookie"));
    let response = read(
        app.stranger()
            .post(format!("{}/admin/login", app.address))
            .header(reqwest::header::COOKIE, &visitor)
            .form(&fields(&[("username", AUTHOR), ("password", PASSWORD), ("csrf_token", &csrf_token(&form.body))]))
            .send()
            .await
            .expect("POST succeeds"),
    )
    .await;

    assert_eq!(location(&response), "/admin");
    let cookie = set_cookie(&response, "hb_session").expect("a session cookie").to_lowercase();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for wanted in ["secure", "httponly", "samesite=strict"] {
        assert!(attributes.contains(&wanted), "{wanted} in {cookie}");
    }
}

/// Someone signs in on a shared computer (or plants their cookie) and keeps
/// the key; then the author signs in in the same browser.
#[tokio::test]
async fn signing_in_replaces_the_session_key_and_the_old_one_opens_nothing() {
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    create_user(&app, "editor", "Sam Editor", "another long pass phrase");
    let token = sign_in_token(&app, &app.client).await;
    let sign_in_as =
        |name: &str, password: &str| fields(&[("username", name), ("password", password), ("csrf_token", &token)]);

    let first = app.post_form("/admin/login", &sign_in_as("editor", "another long pass phrase")).await;
    let before = cookie_pair(set_cookie(&first, "hb_session").expect("a session cookie"));
    assert_eq!(get_with_cookies(&app, "/admin", &before).await.status, 200, "the first key opens the desk");

    // The browser sends the key it holds with the author's sign-in.
    let second = app.post_form("/admin/login", &sign_in_as(AUTHOR, PASSWORD)).await;
    let after = cookie_pair(set_cookie(&second, "hb_session").expect("a new session cookie"));

    assert_ne!(before, after, "signing in issues a new key");
    assert_sends_to_sign_in(&get_with_cookies(&app, "/admin", &before).await);
    let desk = get_with_cookies(&app, "/admin", &after).await;
    assert_eq!(desk.status, 200);
    desk.assert_contains(&[&format!("Signed in as {DISPLAY}")]);
    assert_eq!(session_count(&app), 1, "the old session is gone from the store");
}

#[tokio::test]
async fn signing_out_ends_the_session_for_that_cookie_too() {
    let app = spawn_app().await;
    let user_id = create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let signed_in = sign_in(&app, AUTHOR, PASSWORD).await;
    // The cookie the browser holds, as a thief would copy it.
    let copied = cookie_pair(set_cookie(&signed_in, "hb_session").expect("a session cookie"));
    assert_eq!(get_with_cookies(&app, "/admin", &copied).await.status, 200);
    let desk = app.get("/admin").await;

    let out = app.post_form("/admin/logout", &fields(&[("csrf_token", &csrf_token(&desk.body))])).await;

    assert_eq!(location(&out), "/admin/login");
    assert_sends_to_sign_in(&app.get("/admin").await);
    assert_sends_to_sign_in(&get_with_cookies(&app, "/admin", &copied).await);
    assert_eq!(session_count(&app), 0, "the session is deleted from the store");
    let entry = log_entries(&app).pop().expect("a log entry");
    assert_eq!((entry.action.as_str(), entry.user_id), ("sign-out", Some(user_id)));
}

#[tokio::test]
async fn a_session_ends_after_the_idle_time() {
    let (app, _) = signed_in_app_with(|s| s.session_idle_minutes = 30).await;

    backdate_session(&app, "last_seen", 29 * 60);
    assert_eq!(app.get("/admin").await.status, 200, "29 idle minutes: still signed in");
    backdate_session(&app, "last_seen", 31 * 60);
    assert_sends_to_sign_in(&app.get("/admin").await);
    assert_eq!(session_count(&app), 0, "the expired session is deleted");
}

#[tokio::test]
async fn a_session_ends_after_its_maximum_age_however_busy() {
    let (app, _) = signed_in_app_with(|s| s.session_max_days = 2).await;
    let two_days = 2 * 24 * 3600;

    backdate_session(&app, "signed_in_at", two_days - 3600);
    assert_eq!(app.get("/admin").await.status, 200, "an hour short of two days: still signed in");
    backdate_session(&app, "signed_in_at", two_days + 60);
    assert_sends_to_sign_in(&app.get("/admin").await);
    assert_eq!(session_count(&app), 0, "the expired session is deleted");
}

#[tokio::test]
async fn with_no_account_yet_the_sign_in_page_explains_how_to_create_one() {
    let app = spawn_app().await;
    let page = app.get("/admin/login").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&["healthblog user add"]);

    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let page = get_with(&app, &new_browser(), "/admin/login").await;
    page.assert_lacks(&["healthblog user add"]);
}
