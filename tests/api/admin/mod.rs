//! Tests of the author's desk: signing in and out, the guard on every desk
//! route, moderation, answers, questions, settings, the log, two instances
//! on one database, the `healthblog user` commands, and the author's whole
//! path in Chromium. Every test runs on SQLite and on PostgreSQL.

mod answers;
mod browser;
mod cli;
mod guard;
pub mod instances;
mod login;
mod moderation;
mod questions;
mod settings;

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use healthblog::comments::submit::{Author, Draft};
use healthblog::config::Settings;
use healthblog::db::comments::Comment;
use healthblog::db::log::LogEntry;
use healthblog::db::schema::{comments, login_attempts, moderation_log, sessions, users};
use healthblog::domain::Role;

use crate::helpers::{
    csrf_token, new_browser, posted_comment_id, read, reader_draft, spawn_app_with, unescape_html, CommentBody,
    CommentId, CommentStatus, Page, TestApp, UserId,
};

/// The author's account in most tests.
pub const AUTHOR: &str = "doc";
pub const DISPLAY: &str = "Dr. Ada Lindqvist";
pub const PASSWORD: &str = "a long and unusual phrase";

/// An article of the sample content, and its title.
pub const SLUG: &str = "oral-magnesium-for-migraine-prevention";
pub const TITLE: &str = "Oral magnesium for migraine prevention: forms, doses and side effects";

/// Creates an account straight in the database, as `healthblog user add`
/// would, and returns its id.
pub fn create_user(app: &TestApp, name: &str, display: &str, password: &str) -> UserId {
    let hash = healthblog::auth::password::hash(password).expect("the password is hashed");
    app.with_db(|conn| healthblog::db::users::insert(conn, name, display, Role::Author, &hash))
        .expect("the user is stored")
}

/// Form fields from pairs.
pub fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

pub async fn get_with(app: &TestApp, client: &reqwest::Client, path: &str) -> Page {
    read(client.get(format!("{}{path}", app.address)).send().await.expect("GET succeeds")).await
}

pub async fn post_with(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(String, String)]) -> Page {
    read(client.post(format!("{}{path}", app.address)).form(form).send().await.expect("POST succeeds")).await
}

/// Opens the sign-in page in `client` and returns its form token.
pub async fn sign_in_token(app: &TestApp, client: &reqwest::Client) -> String {
    let form = get_with(app, client, "/admin/login").await;
    assert_eq!(form.status, 200, "the sign-in page opens:\n{}", form.body);
    csrf_token(&form.body)
}

/// Signs in through the form with `client`, as a browser would; returns the
/// answer to the POST.
pub async fn sign_in_with(app: &TestApp, client: &reqwest::Client, name: &str, password: &str) -> Page {
    let token = sign_in_token(app, client).await;
    post_with(
        app,
        client,
        "/admin/login",
        &fields(&[("username", name), ("password", password), ("csrf_token", &token)]),
    )
    .await
}

/// Signs in through the form with the app's own client.
pub async fn sign_in(app: &TestApp, name: &str, password: &str) -> Page {
    sign_in_with(app, &app.client, name, password).await
}

/// An app whose author is signed in with `app.client`; returns the author's id.
pub async fn signed_in_app() -> (TestApp, UserId) {
    signed_in_app_with(|_| {}).await
}

pub async fn signed_in_app_with(customize: impl FnOnce(&mut Settings)) -> (TestApp, UserId) {
    let app = spawn_app_with(customize).await;
    let id = create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let response = sign_in(&app, AUTHOR, PASSWORD).await;
    assert_eq!(response.status, 303, "the author signs in:\n{}", response.body);
    (app, id)
}

/// The app with the settings it was built with (its database URL, its key).
pub async fn spawn_app_keeping_settings(customize: impl FnOnce(&mut Settings)) -> (TestApp, Settings) {
    let mut kept = None;
    let app = spawn_app_with(|settings| {
        customize(settings);
        kept = Some(settings.clone());
    })
    .await;
    (app, kept.expect("the settings were seen"))
}

/// The CSRF token of the desk's forms, from the dashboard.
pub async fn desk_token(app: &TestApp) -> String {
    let desk = app.get("/admin").await;
    assert_eq!(desk.status, 200, "the desk opens:\n{}", desk.body);
    csrf_token(&desk.body)
}

/// Sends `action` on comment `id` from the desk.
pub async fn moderate(app: &TestApp, id: CommentId, action: &str, return_to: &str) -> Page {
    let token = desk_token(app).await;
    app.post_form(
        &format!("/admin/comments/{id}/moderate"),
        &fields(&[("action", action), ("csrf_token", &token), ("return_to", return_to)]),
    )
    .await
}

/// Posts the author's answer to comment `id` from the desk.
pub async fn answer(app: &TestApp, id: CommentId, body: &str, return_to: &str) -> Page {
    let token = desk_token(app).await;
    app.post_form(
        &format!("/admin/comments/{id}/reply"),
        &fields(&[("body", body), ("csrf_token", &token), ("return_to", return_to)]),
    )
    .await
}

/// Where a 303 leads.
#[track_caller]
pub fn location(page: &Page) -> String {
    assert_eq!(page.status, 303, "a redirect, not:\n{}", page.body);
    page.header("location").to_owned()
}

/// The flash message a desk page shows, if any.
pub fn flash(page: &Page) -> Option<String> {
    let marker = "<p class=\"flash\" role=\"status\">";
    let start = page.body.find(marker)? + marker.len();
    Some(unescape_html(&page.body[start..start + page.body[start..].find("</p>")?]))
}

/// The desk rows (`<article … id="row-{id}">`) of a page, in page order.
pub fn row_ids(html: &str) -> Vec<CommentId> {
    html.match_indices("class=\"desk-row ")
        .filter_map(|(at, _)| {
            let rest = &html[at..];
            let start = rest.find("id=\"row-")? + "id=\"row-".len();
            rest[start..start + rest[start..].find('"')?].parse().ok()
        })
        .collect()
}

/// The desk row of comment `id`.
#[track_caller]
pub fn row(html: &str, id: CommentId) -> &str {
    let start = html.find(&format!("id=\"row-{id}\"")).unwrap_or_else(|| panic!("row {id} in the page:\n{html}"));
    let end = start + html[start..].find("</article>").expect("the row ends");
    &html[start..end]
}

/// `name=value` of the cookie `name` that `page` sets, if it sets one.
pub fn set_cookie<'a>(page: &'a Page, name: &str) -> Option<&'a str> {
    page.headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// The `name=value` part of a `Set-Cookie` line.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().trim().to_owned()
}

/// GETs `path` from a browser that sends only `cookies` (`name=value; …`).
pub async fn get_with_cookies(app: &TestApp, path: &str, cookies: &str) -> Page {
    let response = app
        .stranger()
        .get(format!("{}{path}", app.address))
        .header(reqwest::header::COOKIE, cookies)
        .send()
        .await
        .expect("GET succeeds");
    read(response).await
}

/// A reader posts `body` under `slug` from a browser of their own (never the
/// author's, who would publish as the author); returns the new comment's id.
pub async fn reader_comments(app: &TestApp, slug: &str, name: &str, body: &str) -> CommentId {
    reader_replies(app, slug, name, body, None).await
}

pub async fn reader_replies(app: &TestApp, slug: &str, name: &str, body: &str, parent: Option<CommentId>) -> CommentId {
    let reader = new_browser();
    let article = get_with(app, &reader, &format!("/posts/{slug}")).await;
    let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
    let parent = parent.map(|id| id.to_string()).unwrap_or_default();
    let form = fields(&[
        ("author_name", name),
        ("author_email", &email),
        ("author_url", ""),
        ("body", body),
        ("parent_id", &parent),
        ("consent", "on"),
        ("csrf_token", &csrf_token(&article.body)),
    ]);
    posted_comment_id(&post_with(app, &reader, &format!("/posts/{slug}/comments"), &form).await)
}

/// A reader's comment stored through the comment service, with the status
/// given; `minutes_ago` sets when it was written.
pub struct Stored<'a> {
    pub status: CommentStatus,
    pub name: &'a str,
    pub email: &'a str,
    pub url: Option<&'a str>,
    pub body: &'a str,
    pub parent: Option<CommentId>,
    pub minutes_ago: i64,
}

impl Default for Stored<'_> {
    fn default() -> Self {
        Self {
            status: CommentStatus::Pending,
            name: "Maria Reader",
            email: "maria@example.org",
            url: None,
            body: "Can I take magnesium with my thyroid tablet?",
            parent: None,
            minutes_ago: 0,
        }
    }
}

impl Stored<'_> {
    pub fn insert(&self, app: &TestApp) -> CommentId {
        let body = CommentBody::parse(self.body).expect("a valid comment");
        let draft = Draft {
            parent: self.parent,
            author: Author::Reader {
                name: self.name.into(),
                email: self.email.into(),
                website: self.url.map(str::to_owned),
            },
            ip_hash: "5e1f0a9c33d2b7e4aa90c1d2e3f40516".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0".into(),
            created_at: healthblog::db::now() - chrono::Duration::minutes(self.minutes_ago),
            ..reader_draft(SLUG, self.name, self.email, &body, self.status)
        };
        app.with_db(|conn| healthblog::comments::submit::store(conn, draft)).expect("the comment is stored")
    }
}

/// The ids of the replies to comment `parent`, oldest first.
pub fn replies_of(app: &TestApp, parent: CommentId) -> Vec<CommentId> {
    app.with_db(|conn| {
        comments::table.filter(comments::parent_id.eq(parent)).order(comments::id).select(comments::id).load(conn)
    })
    .expect("the comments table answers")
}

pub fn stored(app: &TestApp, id: CommentId) -> Option<Comment> {
    app.with_db(|conn| healthblog::db::comments::find(conn, id)).expect("the comments table answers")
}

#[track_caller]
pub fn status_of(app: &TestApp, id: CommentId) -> CommentStatus {
    stored(app, id).unwrap_or_else(|| panic!("comment {id} is stored")).status
}

/// The moderation log, oldest first.
pub fn log_entries(app: &TestApp) -> Vec<LogEntry> {
    app.with_db(|conn| moderation_log::table.order(moderation_log::id.asc()).select(LogEntry::as_select()).load(conn))
        .expect("the log answers")
}

/// The settings stored by the desk.
pub fn stored_settings(app: &TestApp) -> BTreeMap<String, String> {
    app.with_db(healthblog::db::settings::load_all).expect("the settings answer").into_iter().collect()
}

/// Everything the desk could change, to compare before and after.
pub fn snapshot(app: &TestApp) -> String {
    app.with_db(|conn| {
        let comments: Vec<Comment> = comments::table.order(comments::id).select(Comment::as_select()).load(conn)?;
        let settings: BTreeMap<String, String> = healthblog::db::settings::load_all(conn)?.into_iter().collect();
        let log: Vec<LogEntry> =
            moderation_log::table.order(moderation_log::id).select(LogEntry::as_select()).load(conn)?;
        let users: Vec<(String, String)> =
            users::table.order(users::id).select((users::username, users::password_hash)).load(conn)?;
        QueryResult::Ok(format!("{comments:#?}\n{settings:#?}\n{log:#?}\n{users:#?}"))
    })
    .expect("the database answers")
}

pub fn session_count(app: &TestApp) -> i64 {
    app.with_db(|conn| sessions::table.count().get_result(conn)).expect("the sessions table answers")
}

/// Moves `key` (`signed_in_at` or `last_seen`) of the one stored session to
/// `seconds_ago`: time passes without waiting.
pub fn backdate_session(app: &TestApp, key: &str, seconds_ago: i64) {
    let when = chrono::Utc::now().timestamp() - seconds_ago;
    app.with_db(|conn| {
        let rows: Vec<(String, String)> = sessions::table.select((sessions::id, sessions::state)).load(conn)?;
        assert_eq!(rows.len(), 1, "exactly one stored session");
        let (id, state) = &rows[0];
        let mut state: HashMap<String, String> = serde_json::from_str(state).expect("the session state is JSON");
        assert!(state.contains_key(key), "the session holds {key}: {state:?}");
        state.insert(key.to_owned(), when.to_string());
        let state = serde_json::to_string(&state).expect("JSON");
        diesel::update(sessions::table.find(id)).set(sessions::state.eq(state)).execute(conn)
    })
    .expect("the session is updated");
}

/// Records failed sign-ins for `username` from another address.
pub fn record_failures(app: &TestApp, username: &str, ip_hash: &str, count: usize) {
    for _ in 0..count {
        app.with_db(|conn| healthblog::auth::throttle::record(conn, username, ip_hash, false))
            .expect("the attempt is stored");
    }
}

/// Moves every recorded sign-in attempt `minutes` into the past.
pub fn backdate_attempts(app: &TestApp, minutes: i64) {
    let when = healthblog::db::now() - chrono::Duration::minutes(minutes);
    app.with_db(|conn| diesel::update(login_attempts::table).set(login_attempts::created_at.eq(when)).execute(conn))
        .expect("the attempts are updated");
}

/// The settings form as the desk shows it by default, with `changes`.
pub fn settings_form(token: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("moderation_policy", "hold_all"),
        ("max_links", "2"),
        ("hold_words", ""),
        ("block_list", ""),
        ("close_after_days", "0"),
        ("rate_limit_per_minute", "5"),
        ("thread_depth", "5"),
        ("min_seconds_to_submit", "0"),
        ("disclaimer", ""),
        ("edit_window_minutes", "15"),
        ("ip_retention_days", "90"),
        ("pending_retention_days", "60"),
        ("threads_per_page", "50"),
        ("thread_order", "oldest"),
        ("csrf_token", token),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (name, value) in changes {
        form.iter_mut().find(|(k, _)| k == name).expect("a field of the form").1 = (*value).to_owned();
    }
    form
}
