//! `spawn_app()`: the whole application on a fresh database, on SQLite or on
//! the PostgreSQL server named by `TEST_POSTGRES_URL` when
//! `TEST_DATABASE=postgres` (as `scripts/test` runs it).

use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::RunQueryDsl;
use healthblog::comments::submit::{Author, Draft};
use healthblog::config::Settings;
use healthblog::db::{self, DbPool};
pub use healthblog::domain::{CommentBody, CommentId, CommentStatus, UserId};
use healthblog::startup::Application;
use rand::Rng;
use tempfile::TempDir;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A pool on the app's database, for arranging and checking what is stored.
    pub pool: DbPool,
    pub database: db::DatabaseUrl,
    /// The server's shared state, to change as one of its requests would.
    pub state: actix_web::web::Data<healthblog::state::AppState>,
    _dir: TempDir,
}

/// A response read to the end.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts the body contains every one of `needles`.
    #[track_caller]
    pub fn assert_contains(&self, needles: &[&str]) {
        for needle in needles {
            assert!(self.body.contains(needle), "expected {needle:?} in the page:\n{}", self.body);
        }
    }

    #[track_caller]
    pub fn assert_lacks(&self, needles: &[&str]) {
        for needle in needles {
            assert!(!self.body.contains(needle), "did not expect {needle:?} in the page:\n{}", self.body);
        }
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn test_settings(dir: &Path) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        base_url: "http://blog.test".into(),
        database_url: fresh_database_url(dir),
        data_dir: dir.join("data"),
        secret_key: Some("a test secret that is long enough to derive every key".into()),
        content_dir: repo_path("content"),
        pool_size: 3,
        workers: 1,
        ..Settings::default()
    }
}

/// The app on the sample content.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The app with settings changed by `customize` first.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut settings = test_settings(dir.path());
    customize(&mut settings);
    let application = Application::build(settings.clone()).await.expect("the application starts");
    let address = format!("http://127.0.0.1:{}", application.port());
    let state = application.state();
    tokio::spawn(application.run_until_stopped());

    let url = db::DatabaseUrl::parse(&settings.database_url).expect("a database URL");
    let pool = db::connect(&url, 2).expect("a pool on the test database");
    TestApp { address, client: new_browser(), pool, database: url, state, _dir: dir }
}

/// How every test client starts: a redirect is shown, not followed, so that
/// a test sees each 303 and where it leads.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

/// A browser of its own: its cookies are kept from one request to the next.
pub fn new_browser() -> reqwest::Client {
    client_builder().cookie_store(true).build().expect("an HTTP client")
}

impl TestApp {
    pub async fn get(&self, path: &str) -> Page {
        let response = self.client.get(format!("{}{path}", self.address)).send().await.expect("GET succeeds");
        read(response).await
    }

    /// Runs `work` on the app's database.
    pub fn with_db<T>(&self, work: impl FnOnce(&mut db::AnyConnection) -> T) -> T {
        let mut conn = self.pool.get().expect("a test database connection");
        work(&mut conn)
    }

    /// Stores a comment through the comment service (rendered and cleaned
    /// like any other) and returns its id.
    pub fn insert_comment(&self, slug: &str, status: CommentStatus, name: &str) -> CommentId {
        self.store_comment(slug, None, status, name)
    }

    fn store_comment(&self, slug: &str, parent: Option<CommentId>, status: CommentStatus, name: &str) -> CommentId {
        let body = CommentBody::parse("A question").expect("a valid comment");
        let email = format!("{}@example.org", name.to_lowercase());
        let draft = Draft { parent, ..reader_draft(slug, name, &email, &body, status) };
        self.with_db(|conn| healthblog::comments::submit::store(conn, draft)).expect("the comment is stored")
    }
}

/// A reader's comment on `slug`, written now, ready for
/// `comments::submit::store` (the road every comment takes); change any
/// field with `Draft { field, ..reader_draft(…) }`.
pub fn reader_draft<'a>(
    slug: &str,
    name: &str,
    email: &str,
    body: &'a CommentBody,
    status: CommentStatus,
) -> Draft<'a> {
    let author = Author::Reader { name: name.to_owned(), email: email.to_owned(), website: None };
    Draft::written_now(slug, None, author, body, status, db::now())
}

/// The `healthblog` binary, with none of the `HEALTHBLOG_*` variables of
/// the tests' own environment: it gets only the settings a test gives it.
pub fn healthblog_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_healthblog"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("HEALTHBLOG_")) {
        command.env_remove(name);
    }
    command
}

/// `healthblog check` on `content_dir`, as a user runs it.
pub fn run_check(content_dir: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_healthblog"))
        .arg("check")
        .env("HEALTHBLOG_CONTENT_DIR", content_dir)
        .env_remove("HEALTHBLOG_CONFIG")
        .current_dir(repo_path(""))
        .output()
        .expect("healthblog check runs")
}

/// The error with which the application refuses to start on `content`.
pub async fn start_error(content: &Content) -> String {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut settings = test_settings(dir.path());
    settings.content_dir = content.path();
    match Application::build(settings).await {
        Ok(_) => panic!("the application started on content it should refuse"),
        Err(error) => format!("{error:#}"),
    }
}

pub async fn read(response: reqwest::Response) -> Page {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("a readable body");
    Page { status, headers, body }
}

/// Writes a content folder of posts for one test.
pub struct Content {
    dir: TempDir,
}

impl Content {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir(dir.path().join("posts")).expect("a posts folder");
        Self { dir }
    }

    /// Adds `posts/{file}.md` with the given front matter lines and body.
    pub fn post(self, file: &str, front: &str, body: &str) -> Self {
        let text = format!("+++\n{}\n+++\n{body}\n", front.trim());
        std::fs::write(self.dir.path().join("posts").join(format!("{file}.md")), text).expect("the post is written");
        self
    }

    /// Adds `pages/{file}.md` with the given front matter lines and body.
    pub fn page(self, file: &str, front: &str, body: &str) -> Self {
        let pages = self.dir.path().join("pages");
        std::fs::create_dir_all(&pages).expect("a pages folder");
        let text = format!("+++\n{}\n+++\n{body}\n", front.trim());
        std::fs::write(pages.join(format!("{file}.md")), text).expect("the page is written");
        self
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

/// A fresh, empty database for one test.
pub fn fresh_database_url(dir: &Path) -> String {
    match std::env::var("TEST_DATABASE").as_deref() {
        Ok("postgres") => {
            let server = std::env::var("TEST_POSTGRES_URL")
                .expect("TEST_DATABASE=postgres needs TEST_POSTGRES_URL (scripts/test starts a server and sets it)");
            let name = format!("healthblog_test_{:016x}", rand::thread_rng().gen::<u64>());
            let mut conn = PgConnection::establish(&server).expect("the test PostgreSQL server answers");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("a test database");
            let (base, _) = server.rsplit_once('/').expect("a database name in TEST_POSTGRES_URL");
            format!("{base}/{name}")
        }
        Ok("sqlite") | Err(_) => format!("sqlite://{}", dir.join("test.db").display()),
        Ok(other) => panic!("TEST_DATABASE must be sqlite or postgres, not {other}"),
    }
}

/// A headless Chromium session, through the chromedriver that `scripts/test`
/// starts (`TEST_WEBDRIVER_URL`). Chromium may only resolve loopback names.
pub struct Browser {
    pub client: fantoccini::Client,
    webdriver: String,
    _profile: TempDir,
}

impl Browser {
    pub async fn open() -> Self {
        let webdriver = std::env::var("TEST_WEBDRIVER_URL")
            .expect("browser tests need TEST_WEBDRIVER_URL: run them through scripts/test, which starts chromedriver");
        let chromium = std::env::var("TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1200,900",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                ],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("an object literal") };
        let client = fantoccini::ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .expect("chromedriver starts a Chromium session");
        Self { client, webdriver, _profile: profile }
    }

    /// Makes the pages in this session see `prefers-color-scheme: dark`, as
    /// on a system set to dark. It lasts for the session, across navigations.
    pub async fn prefer_dark_color_scheme(&self) {
        self.devtools(
            "Emulation.setEmulatedMedia",
            serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
        )
        .await;
    }

    /// Makes the page area exactly `width` × `height` CSS pixels, as on a
    /// screen of that size (a phone's when it is narrow).
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({
                "width": width, "height": height, "screenWidth": width, "screenHeight": height,
                "deviceScaleFactor": 1, "mobile": width < 600,
            }),
        )
        .await;
        // The screen, not the window: a page without a viewport tag is laid
        // out 980 px wide on a phone.
        let size = self.eval("return [screen.width, screen.height];").await;
        let size: (u32, u32) = serde_json::from_value(size).expect("the screen's size");
        assert_eq!(size, (width, height), "the browser's screen is {width}×{height}");
    }

    /// Sends a DevTools command through chromedriver's passthrough.
    async fn devtools(&self, command: &str, params: serde_json::Value) {
        let session = self.client.session_id().await.expect("a session id").expect("an open session");
        let response = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.webdriver))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::json!({ "cmd": command, "params": params }).to_string())
            .send()
            .await
            .expect("chromedriver answers");
        let status = response.status();
        let reply = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "chromedriver refused {command}: {status} {reply}");
    }

    /// Signs in through the desk's sign-in form, as the author does.
    pub async fn sign_in(&self, app: &TestApp, name: &str, password: &str) {
        let client = &self.client;
        client.goto(&format!("{}/admin/login", app.address)).await.expect("the sign-in page opens");
        type_into(client, "username", name).await;
        type_into(client, "password", password).await;
        click(client, ".login-form button[type=submit]").await;
        client.wait().for_element(fantoccini::Locator::Css(".signed-in")).await.expect("signed in");
    }

    /// Runs `script` in the page and returns its result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.expect("the script runs")
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Types `text` into the field whose id is `id`, on the page open in `client`.
pub async fn type_into(client: &fantoccini::Client, id: &str, text: &str) {
    let field = client.find(fantoccini::Locator::Id(id)).await.unwrap_or_else(|e| panic!("the {id} field: {e}"));
    field.send_keys(text).await.unwrap_or_else(|e| panic!("typing into {id} works: {e}"));
}

/// Clicks what `css` finds, once the page open in `client` shows it.
pub async fn click(client: &fantoccini::Client, css: &str) {
    let found = client.wait().for_element(fantoccini::Locator::Css(css)).await;
    let element = found.unwrap_or_else(|e| panic!("{css} appears: {e}"));
    element.click().await.unwrap_or_else(|e| panic!("{css} is clickable: {e}"));
}

/// The text of what `css` finds, once the page open in `client` shows it.
pub async fn text_of(client: &fantoccini::Client, css: &str) -> String {
    let found = client.wait().for_element(fantoccini::Locator::Css(css)).await;
    let element = found.unwrap_or_else(|e| panic!("{css} appears: {e}"));
    element.text().await.expect("the element has text")
}

/// A comment form's fields, with sensible values to change per test.
pub fn comment_fields(name: &str, email: &str, body: &str) -> Vec<(String, String)> {
    [
        ("author_name", name),
        ("author_email", email),
        ("author_url", ""),
        ("body", body),
        ("parent_id", ""),
        ("consent", "on"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Sets a field in a list of form fields, adding it when absent.
pub fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// The value of the hidden `csrf_token` input in a page.
pub fn csrf_token(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker).expect("a CSRF token in the page") + marker.len();
    html[start..start + html[start..].find('"').expect("the token ends")].to_owned()
}

impl TestApp {
    /// Stores a moderation rule, as the author's settings page does: the
    /// change is counted for every instance, and this one's kept pages and
    /// rules are emptied, as after the page's `POST`.
    pub fn set_rule(&self, name: &str, value: &str) {
        let pages = self
            .with_db(|conn| {
                healthblog::db::settings::save(conn, name, value)?;
                healthblog::db::change_counters::get(conn, healthblog::db::change_counters::PAGES)
            })
            .expect("the rule is stored");
        // As a desk save through this instance does: its pages are rendered
        // anew at once, and the change counter's tick later is no news.
        self.state.set_pages_version(pages);
        self.state.page_cache.clear();
    }

    /// Opens the article (getting a fresh form token) and posts `fields` to
    /// its comment form, as a browser would.
    pub async fn post_comment(&self, slug: &str, fields: &[(String, String)]) -> Page {
        let form = self.get(&format!("/posts/{slug}")).await;
        let mut fields = fields.to_vec();
        if !fields.iter().any(|(k, _)| k == "csrf_token") {
            fields.push(("csrf_token".into(), csrf_token(&form.body)));
        }
        self.post_form(&format!("/posts/{slug}/comments"), &fields).await
    }

    pub async fn post_form(&self, path: &str, fields: &[(String, String)]) -> Page {
        let response =
            self.client.post(format!("{}{path}", self.address)).form(fields).send().await.expect("POST succeeds");
        read(response).await
    }

    /// A client with no cookies: another reader.
    pub fn stranger(&self) -> reqwest::Client {
        client_builder().build().expect("an HTTP client")
    }
}

// Comments: arranging threads, reading back what is stored, and reading the
// comment form as a browser would show it.

/// The comment id at the end of a successful post's `Location`
/// (`/posts/{slug}#comment-{id}`).
#[track_caller]
pub fn posted_comment_id(page: &Page) -> CommentId {
    assert_eq!(page.status, 303, "the comment should be accepted:\n{}", page.body);
    let location = page.header("location");
    let (_, id) = location.rsplit_once("#comment-").unwrap_or_else(|| panic!("a comment permalink, not {location:?}"));
    id.parse().unwrap_or_else(|_| panic!("a numeric comment id in {location:?}"))
}

impl TestApp {
    /// Lets a form be sent as soon as it is shown: tests never wait.
    pub fn accept_instant_posts(&self) {
        self.set_rule("min_seconds_to_submit", "0");
    }

    /// GETs `path` as another reader: no cookies, so none of our pending comments.
    pub async fn get_as_stranger(&self, path: &str) -> Page {
        let response = self.stranger().get(format!("{}{path}", self.address)).send().await.expect("GET succeeds");
        read(response).await
    }

    pub fn stored_comment(&self, id: CommentId) -> healthblog::db::comments::Comment {
        self.with_db(|conn| healthblog::db::comments::find(conn, id))
            .expect("the comments table answers")
            .unwrap_or_else(|| panic!("comment {id} is stored"))
    }

    /// Every stored comment, oldest first.
    pub fn stored_comments(&self) -> Vec<healthblog::db::comments::Comment> {
        use healthblog::db::comments::Comment;
        use healthblog::db::schema::comments::dsl as c;
        self.with_db(|conn| c::comments.order(c::id.asc()).select(Comment::as_select()).load(conn))
            .expect("the comments table answers")
    }

    /// Moderates a comment, as the author would from the desk: the change
    /// is counted for every instance, and this one's kept pages are
    /// emptied, as after the desk's `POST`.
    pub fn set_status(&self, id: CommentId, status: CommentStatus) {
        let updated = self.with_db(|conn| db::comments::set_status(conn, id, status)).expect("the status is stored");
        assert_eq!(updated, 1, "comment {id} exists");
        self.state.page_cache.clear();
    }

    /// Stores a reply to `parent` through the comment service and returns its id.
    pub fn insert_reply(&self, slug: &str, parent: CommentId, status: CommentStatus, name: &str) -> CommentId {
        self.store_comment(slug, Some(parent), status, name)
    }
}

/// Undoes the app's HTML escaping (`crate::markdown::escape_html`).
pub fn unescape_html(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The opening tag that contains `marker`, and where it ends in `html`.
#[track_caller]
fn opening_tag<'a>(html: &'a str, marker: &str) -> (&'a str, usize) {
    let at = html.find(marker).unwrap_or_else(|| panic!("{marker:?} in the page:\n{html}"));
    let start = html[..at].rfind('<').expect("the tag starts");
    let end = at + html[at..].find('>').expect("the tag ends") + 1;
    (&html[start..end], end)
}

/// The opening tag of the element with `id` in `html`.
#[track_caller]
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    opening_tag(html, &format!(" id=\"{id}\"")).0
}

/// The value the page gives the `<input>` with `id`, as the browser shows it.
#[track_caller]
pub fn input_value(html: &str, id: &str) -> String {
    let tag = tag_with_id(html, id);
    let Some(start) = tag.find(" value=\"") else { return String::new() };
    let rest = &tag[start + " value=\"".len()..];
    unescape_html(&rest[..rest.find('"').expect("the value ends")])
}

/// The text of the `<textarea>` with `id`, as the browser shows it.
#[track_caller]
pub fn textarea_text(html: &str, id: &str) -> String {
    let (_, start) = opening_tag(html, &format!(" id=\"{id}\""));
    let end = start + html[start..].find("</textarea>").expect("the textarea ends");
    unescape_html(&html[start..end])
}

#[track_caller]
pub fn is_checked(html: &str, id: &str) -> bool {
    tag_with_id(html, id).contains(" checked")
}

/// Whether the element whose opening tag contains `marker` (say
/// `<p class="cancel-reply"`) carries the `hidden` attribute.
#[track_caller]
pub fn is_hidden(html: &str, marker: &str) -> bool {
    let (tag, _) = opening_tag(html, marker);
    tag.contains(" hidden>") || tag.contains(" hidden ")
}

/// The message shown beside a form field (`<p class="field-error" id="{field}-error">`).
pub fn field_error(html: &str, field: &str) -> Option<String> {
    let marker = format!("<p class=\"field-error\" id=\"{field}-error\">");
    let start = html.find(&marker)? + marker.len();
    Some(unescape_html(&html[start..start + html[start..].find("</p>")?]))
}

/// How deep the comment `id` sits in the page's thread: 1 for a comment
/// in the top list, 2 for a reply shown nested under it, and so on.
#[track_caller]
pub fn thread_level(html: &str, id: CommentId) -> usize {
    let start = html.find("<ol class=\"comment-list\">").expect("a comment list in the page");
    let item = format!("<li id=\"comment-{id}\"");
    let end = html.find(&item).unwrap_or_else(|| panic!("comment {id} in the page:\n{html}"));
    let before = &html[start..end];
    before.matches("<ol").count() - before.matches("</ol>").count()
}

impl Page {
    /// Asserts the re-shown comment form holds every value that was typed.
    #[track_caller]
    pub fn assert_form_keeps(&self, fields: &[(String, String)]) {
        let typed = |name: &str| fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
        for field in ["author_name", "author_email", "author_url"] {
            assert_eq!(input_value(&self.body, field), typed(field), "the form keeps what was typed in {field}");
        }
        assert_eq!(textarea_text(&self.body, "body"), typed("body"), "the form keeps the comment's text");
        assert_eq!(is_checked(&self.body, "notify"), typed("notify") == "on", "the form keeps the notify choice");
        assert_eq!(is_checked(&self.body, "consent"), typed("consent") == "on", "the form keeps the consent given");
    }

    /// Asserts `message` is shown beside `field`, which is marked invalid, and
    /// that no other field is marked.
    #[track_caller]
    pub fn assert_only_field_error(&self, field: &str, message: &str) {
        let shown = field_error(&self.body, field).unwrap_or_else(|| panic!("an error beside {field}:\n{}", self.body));
        assert!(shown.contains(message), "beside {field}: expected {message:?}, found {shown:?}");
        assert!(tag_with_id(&self.body, field).contains("aria-invalid=\"true\""), "{field} is marked invalid");
        assert_eq!(self.body.matches("class=\"field-error\"").count(), 1, "only {field} is marked:\n{}", self.body);
    }

    /// The card of comment `id` (its header, notice and text, without replies).
    #[track_caller]
    pub fn comment_card(&self, id: CommentId) -> &str {
        let start =
            self.body.find(&format!("<li id=\"comment-{id}\"")).unwrap_or_else(|| panic!("comment {id} in the page"));
        let end = start + self.body[start..].find("</article>").expect("the comment card ends");
        &self.body[start..end]
    }
}

/// Serves `html` at `/` of a new loopback address, with no security headers
/// at all, so that a browser runs whatever scripts the markup carries.
/// Every other path is 404. The server lives as long as the test binary.
pub fn serve_without_csp(html: String) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = format!("http://{}", listener.local_addr().expect("a bound address"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request_line = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("a second handle on the socket"));
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Read the headers to the blank line so the browser sees a clean reply.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let (status, body) =
                if request_line.starts_with("GET / ") { ("200 OK", html.as_str()) } else { ("404 Not Found", "") };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.as_bytes()));
        }
    });
    address
}

/// Ends the test early, with one line saying what to set, when a tool it
/// needs (Chromium's driver, a checker, the SMTP server's Python) is not
/// configured: plain `cargo test` runs on a machine without them. Under
/// `scripts/test` (`TEST_REQUIRE_ALL=1`) a missing tool is a failure.
macro_rules! require {
    ($($variable:literal),+) => {
        if !crate::helpers::tools_configured(&[$($variable),+]) {
            return;
        }
    };
}
pub(crate) use require;

/// What each tool variable names, for the line a skipped test prints.
const TOOLS: [(&str, &str); 5] = [
    ("TEST_WEBDRIVER_URL", "a chromedriver's address"),
    ("TEST_AXE_JS", "axe-core's axe.min.js"),
    ("TEST_VNU_JAR", "the Nu HTML checker's vnu.jar"),
    ("TEST_LIGHTHOUSE", "Lighthouse's CLI"),
    ("TEST_SMTP_PYTHON", "a python3 that can import aiosmtpd"),
];

/// Whether every variable in `variables` is set; if not, says so once on
/// stderr (or fails the test under `TEST_REQUIRE_ALL=1`).
pub fn tools_configured(variables: &[&str]) -> bool {
    use std::io::Write as _;
    let missing: Vec<String> = variables
        .iter()
        .filter(|variable| std::env::var_os(variable).is_none_or(|value| value.is_empty()))
        .map(|variable| {
            let what = TOOLS.iter().find(|(name, _)| name == variable).map_or("", |(_, what)| what);
            format!("{variable} ({what})")
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let test = std::thread::current().name().unwrap_or("this test").to_owned();
    let missing = missing.join(", ");
    assert!(
        std::env::var_os("TEST_REQUIRE_ALL").is_none(),
        "{test} needs {missing}, and TEST_REQUIRE_ALL says that no test may be skipped"
    );
    // Straight to stderr, past the test harness's capture, so that the line
    // shows in a run that passes.
    let _ = writeln!(std::io::stderr(), "{test} skipped: set {missing}; scripts/test sets them all");
    false
}

/// Waits for something another task or process does: evaluates `$found`
/// (an `Option`, which may `.await`) every 50 ms until it is `Some`, and
/// gives its value; fails with `$what` once `$within` has passed. The one
/// way the tests wait: never a bare sleep.
macro_rules! eventually {
    ($within:expr, $what:expr, $found:expr $(,)?) => {{
        let within: std::time::Duration = $within;
        let started = std::time::Instant::now();
        loop {
            if let Some(found) = $found {
                break found;
            }
            assert!(started.elapsed() < within, "{} (waited {:?})", $what, within);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }};
}
pub(crate) use eventually;
