//! Writing in the desk: an article written, previewed, published, corrected,
//! scheduled, unpublished and restored in the browser, on one instance or
//! two, with files and the desk side by side, and nothing typed ever lost.

use std::time::Duration;

use chrono::Timelike as _;

use healthblog::content::{store, ArticleKind, Manuscript};

use crate::admin::instances::second_instance;
use crate::admin::{
    create_user, desk_token, fields, location, log_entries, sign_in, signed_in_app, signed_in_app_with,
    spawn_app_keeping_settings, AUTHOR, DISPLAY, PASSWORD,
};
use crate::helpers::{input_value, read, repo_path, run_check, spawn_app_with, Content, Page, TestApp};

const BAND: &str = "Preview — not published";

/// The editor's fields: everything empty but the given ones.
fn article_form(token: &str, base_revision: &str, action: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form = fields(&[
        ("csrf_token", token),
        ("base_revision", base_revision),
        ("action", action),
        ("title", ""),
        ("slug", ""),
        ("body", ""),
        ("summary", ""),
        ("tags", ""),
        ("author", ""),
        ("publish_at", ""),
        ("updated", ""),
        ("reviewed", ""),
        ("reviewed_by", ""),
        ("references", ""),
        ("image", ""),
        ("image_alt", ""),
        ("comments", "on"),
    ]);
    for (name, value) in changes {
        match form.iter_mut().find(|(k, _)| k == name) {
            Some(field) => field.1 = (*value).to_owned(),
            None => form.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    form
}

/// The editor of `path`'s article as it stands: its token and fields.
async fn editor(app: &TestApp, path: &str) -> Page {
    let page = app.get(path).await;
    assert_eq!(page.status, 200, "the editor opens:\n{}", page.body);
    page
}

/// Saves the article at `path` with the editor's current fields changed by
/// `changes`.
pub(crate) async fn save(app: &TestApp, path: &str, action: &str, changes: &[(&str, &str)]) -> Page {
    let page = editor(app, path).await;
    let mut form = article_form(&crate::helpers::csrf_token(&page.body), &base_revision(&page), action, &[]);
    for (name, _) in form.clone() {
        if !["csrf_token", "base_revision", "action", "body", "references", "summary", "comments"]
            .contains(&name.as_str())
        {
            let value = input_value(&page.body, &name);
            form.iter_mut().find(|(k, _)| *k == name).expect("a field").1 = value;
        }
    }
    for area in ["body", "references", "summary"] {
        form.iter_mut().find(|(k, _)| k == area).expect("a field").1 = textarea(&page.body, area);
    }
    for (name, value) in changes {
        form.iter_mut().find(|(k, _)| k == name).expect("a known field").1 = (*value).to_owned();
    }
    app.post_form(path, &form).await
}

fn base_revision(page: &Page) -> String {
    let marker = r#"name="base_revision" value=""#;
    let start = page.body.find(marker).expect("a base revision") + marker.len();
    page.body[start..start + page.body[start..].find('"').expect("its end")].to_owned()
}

/// The text of the textarea named `name`.
fn textarea(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("a textarea {name}"));
    let start = at + html[at..].find('>').expect("the tag ends") + 1;
    crate::helpers::unescape_html(&html[start..start + html[start..].find("</textarea>").expect("it ends")])
}

/// Writes a new article as a draft; returns its editor's address.
async fn new_draft(app: &TestApp, title: &str, body: &str) -> String {
    let token = desk_token(app).await;
    let created =
        app.post_form("/admin/articles", &article_form(&token, "", "draft", &[("title", title), ("body", body)])).await;
    location(&created)
}

async fn reader_status(app: &TestApp, path: &str) -> u16 {
    read(app.stranger().get(format!("{}{path}", app.address)).send().await.expect("GET")).await.status
}

async fn reader_page(app: &TestApp, path: &str) -> Page {
    read(app.stranger().get(format!("{}{path}", app.address)).send().await.expect("GET")).await
}

fn revision_count(app: &TestApp, editor_path: &str) -> usize {
    let id: i32 = editor_path.rsplit('/').next().and_then(|id| id.parse().ok()).expect("an article id");
    app.with_db(|conn| healthblog::db::articles::revisions(conn, id)).expect("the revisions").len()
}

#[tokio::test]
async fn the_doctor_writes_previews_publishes_corrects_unpublishes_and_restores_an_article() {
    let (app, _) = signed_in_app().await;
    let new = editor(&app, "/admin/articles/new").await;
    new.assert_contains(&[
        "name=\"title\"",
        "name=\"body\"",
        "name=\"publish_at\"",
        "value=\"draft\"",
        "value=\"publish\"",
    ]);

    let path = new_draft(&app, "Riboflavin and sleep", "The first words.").await;
    assert!(path.starts_with("/admin/articles/"), "{path}");
    let public = "/posts/riboflavin-and-sleep";
    assert_eq!(reader_status(&app, public).await, 404, "a draft is no reader's");
    let own = app.get(public).await;
    assert_eq!(own.status, 200, "the signed-in author sees the draft at its address");
    own.assert_contains(&[BAND, "The first words."]);
    assert!(app.state.page_cache.get(public).is_none(), "a draft never enters the page cache");

    // Preview renders the article template from the form; nothing is stored.
    let previewed = save(&app, &path, "preview", &[("body", "Words *being* written.")]).await;
    assert_eq!(previewed.status, 200, "{}", previewed.body);
    previewed.assert_contains(&[BAND, "Words <em>being</em> written.", "<article class=\"post\">"]);
    assert_eq!(revision_count(&app, &path), 1, "a preview saves nothing");

    let published = save(&app, &path, "publish", &[]).await;
    assert_eq!(location(&published), path);
    let page = reader_page(&app, public).await;
    assert_eq!(page.status, 200);
    page.assert_contains(&["Riboflavin and sleep", "The first words."]);
    page.assert_lacks(&[BAND]);
    reader_page(&app, "/").await.assert_contains(&["Riboflavin and sleep"]);
    reader_page(&app, "/feed.xml").await.assert_contains(&["Riboflavin and sleep"]);

    let fixed = save(&app, &path, "publish", &[("body", "The first word, spelt right.")]).await;
    assert_eq!(location(&fixed), path);
    reader_page(&app, public).await.assert_contains(&["The first word, spelt right."]);

    assert_eq!(location(&save(&app, &path, "unpublish", &[]).await), path);
    assert_eq!(reader_status(&app, public).await, 404, "unpublished");
    assert_eq!(revision_count(&app, &path), 4);

    // The first version comes back as a new revision; it stays a draft.
    let revisions = editor(&app, &format!("{path}/revisions")).await;
    revisions.assert_contains(&["Restore this version", "desk", AUTHOR]);
    // "The first words." became "The first word, spelt right.": 3 words in, 1 out.
    revisions.assert_contains(&["<span class=\"words-added\">+3</span> <span class=\"words-removed\">−1</span>"]);
    let first =
        revisions.body.rsplit("/restore\"").nth(1).and_then(|before| before.rsplit('/').next()).expect("a revision");
    let token = crate::helpers::csrf_token(&revisions.body);
    let restored = app
        .post_form(
            &format!("{path}/revisions/{first}/restore"),
            &fields(&[("csrf_token", &token), ("base_revision", "")]),
        )
        .await;
    assert_eq!(location(&restored), path);
    assert_eq!(revision_count(&app, &path), 5, "a restore adds a revision, rewriting none");
    assert_eq!(textarea(&editor(&app, &path).await.body, "body"), "The first words.");
    assert_eq!(reader_status(&app, public).await, 404);

    let actions: Vec<String> = log_entries(&app).iter().map(|e| e.action.as_str().to_owned()).collect();
    for action in ["publish", "unpublish", "article-save"] {
        assert!(actions.iter().any(|a| a == action), "{action} is in the log: {actions:?}");
    }
}

/// Each mistake alone in an otherwise complete article: 422, its message
/// beside the field it concerns and no other, every field as typed, and
/// nothing stored or published.
#[tokio::test]
async fn a_refused_save_answers_422_with_every_field_kept_and_stores_nothing() {
    let (app, _) = signed_in_app().await;
    let typed = [
        ("title", "Kept <title>"),
        ("slug", "kept-title"),
        ("body", "Every word I typed\nstays here."),
        ("summary", "A summary."),
        ("tags", "sleep, magnesium"),
        ("author", AUTHOR),
        ("publish_at", "2024-05-31T08:30"),
        ("updated", "2024-06-01"),
        ("reviewed", "2024-06-02"),
        ("reviewed_by", "Dr. Who"),
        ("references", "Smith 2020"),
        ("image", "/static/picture.png"),
        ("image_alt", "A magnesium tablet"),
    ];
    let articles = article_count(&app);
    const TOGETHER: &str = "`reviewed` and `reviewed_by` go together: give both or neither.";
    // (field, what is typed there, the field marked, the message beside it)
    let cases = [
        ("tags", "Bad Tag, sleep", "tags", "The tag `Bad Tag` must be lower-case letters, digits and hyphens."),
        ("publish_at", "next tuesday", "publish_at", "Give the date and time as 2024-05-31T08:30."),
        ("publish_at", "2024-02-30T08:30", "publish_at", "Give the date and time as 2024-05-31T08:30."),
        ("reviewed", "", "reviewed_by", TOGETHER),
        ("reviewed_by", "  ", "reviewed", TOGETHER),
        ("image_alt", "", "image", "`image_alt` is missing: describe the picture for readers who cannot see it."),
        ("image_alt", "   ", "image", "`image_alt` is missing: describe the picture for readers who cannot see it."),
        ("title", "   ", "title", "`title` is empty."),
        (
            "slug",
            "Bad Slug",
            "slug",
            "The slug `Bad Slug` must be lower-case letters, digits and hyphens (set `slug` or rename the file).",
        ),
        ("updated", "yesterday", "updated", "Give the date as 2024-05-31."),
        ("reviewed", "last spring", "reviewed", "Give the date as 2024-05-31."),
        ("updated", "2024-05-30", "updated", "`updated` is earlier than `date`."),
        ("author", "nobody", "author", "There is no desk account named “nobody”: give an account's sign-in name."),
    ];
    for (field, bad, marked, message) in cases {
        let token = desk_token(&app).await;
        let changes: Vec<(&str, &str)> =
            typed.iter().map(|&(name, value)| (name, if name == field { bad } else { value })).collect();
        let refused = app.post_form("/admin/articles", &article_form(&token, "", "publish", &changes)).await;
        assert_eq!(refused.status, 422, "{field} = {bad:?}:\n{}", refused.body);
        refused.assert_contains(&["Nothing was saved; everything you typed is kept."]);
        refused.assert_only_field_error(marked, message);
        for (name, value) in &changes {
            let kept = match *name {
                "body" | "summary" | "references" => textarea(&refused.body, name),
                _ => input_value(&refused.body, name),
            };
            assert_eq!(kept, *value, "{field} = {bad:?}: {name} is kept");
        }
        assert_eq!(article_count(&app), articles, "{field} = {bad:?}: nothing is stored");
    }
    assert_eq!(reader_status(&app, "/posts/kept-title").await, 404);
}

fn article_count(app: &TestApp) -> i64 {
    use diesel::{QueryDsl, RunQueryDsl};
    app.with_db(|conn| healthblog::db::schema::articles::table.count().get_result(conn)).expect("the articles count")
}

#[tokio::test]
async fn a_second_save_on_the_same_revision_is_not_applied_and_shows_both_texts() {
    let (app, _) = signed_in_app().await;
    let path = new_draft(&app, "Two tabs", "The opening text.").await;
    let first_tab = editor(&app, &path).await;
    let second_tab = editor(&app, &path).await;
    let token = crate::helpers::csrf_token(&first_tab.body);
    let base = base_revision(&first_tab);
    assert_eq!(base, base_revision(&second_tab));

    let first = app
        .post_form(
            &path,
            &article_form(&token, &base, "draft", &[("title", "Two tabs"), ("body", "Written in the first tab.")]),
        )
        .await;
    assert_eq!(location(&first), path);
    let second = app
        .post_form(
            &path,
            &article_form(&token, &base, "draft", &[("title", "Two tabs"), ("body", "Written in the second tab.")]),
        )
        .await;
    assert_eq!(second.status, 409, "{}", second.body);
    assert_eq!(textarea(&second.body, "body"), "Written in the second tab.", "the doctor's text is in the form");
    second.assert_contains(&["Written in the first tab.", "was saved elsewhere"]);
    assert_eq!(
        textarea(&editor(&app, &path).await.body, "body"),
        "Written in the first tab.",
        "nothing was overwritten"
    );

    // Saving again from the conflict page keeps his version, on purpose.
    let again = app
        .post_form(
            &path,
            &article_form(
                &token,
                &base_revision(&second),
                "draft",
                &[("title", "Two tabs"), ("body", "Written in the second tab.")],
            ),
        )
        .await;
    assert_eq!(location(&again), path);
    assert_eq!(revision_count(&app, &path), 3, "every text is a revision");
}

#[tokio::test]
async fn a_published_slug_renamed_keeps_its_old_address_and_a_taken_slug_is_refused() {
    let (app, _) = signed_in_app().await;
    let path = new_draft(&app, "Magnesium for sleep", "Text.").await;
    assert_eq!(location(&save(&app, &path, "publish", &[]).await), path);
    app.insert_comment("magnesium-for-sleep", crate::helpers::CommentStatus::Approved, "Reader");

    assert_eq!(location(&save(&app, &path, "publish", &[("slug", "magnesium-and-sleep")]).await), path);
    let old = reader_page(&app, "/posts/magnesium-for-sleep").await;
    assert_eq!(old.status, 301);
    assert_eq!(old.header("location"), "/posts/magnesium-and-sleep");
    let new = reader_page(&app, "/posts/magnesium-and-sleep").await;
    assert_eq!(new.status, 200);
    new.assert_contains(&["A question"]);

    let other = new_draft(&app, "Another one", "Text.").await;
    let clash = save(&app, &other, "draft", &[("slug", "magnesium-and-sleep")]).await;
    assert_eq!(clash.status, 422, "{}", clash.body);
    assert!(clash.body.contains("id=\"slug-error\""), "{}", clash.body);
    assert_eq!(input_value(&clash.body, "title"), "Another one");
}

#[tokio::test]
async fn a_slug_is_made_from_a_title_in_any_script() {
    let (app, _) = signed_in_app().await;
    let path = new_draft(&app, "Магний и мигрень", "Текст.").await;
    assert_eq!(location(&save(&app, &path, "publish", &[]).await), path);
    assert_eq!(input_value(&editor(&app, &path).await.body, "slug"), "магний-и-мигрень");
    let encoded = "/posts/%D0%BC%D0%B0%D0%B3%D0%BD%D0%B8%D0%B9-%D0%B8-%D0%BC%D0%B8%D0%B3%D1%80%D0%B5%D0%BD%D1%8C";
    reader_page(&app, encoded).await.assert_contains(&["Текст."]);

    assert_eq!(location(&save(&app, &path, "publish", &[("slug", "магний")]).await), path);
    let moved = reader_page(&app, encoded).await;
    assert_eq!(moved.status, 301);
    assert_eq!(moved.header("location"), "/posts/%D0%BC%D0%B0%D0%B3%D0%BD%D0%B8%D0%B9");
}

#[tokio::test]
async fn an_article_scheduled_seconds_ahead_appears_when_its_time_comes_and_once_in_the_feed() {
    let (app, _) = signed_in_app().await;
    let path = new_draft(&app, "Later this minute", "Scheduled words.").await;
    // Whole seconds, as the form sends them.
    let at = chrono::Utc::now().naive_utc().with_nanosecond(0).expect("a time") + chrono::Duration::seconds(3);
    let scheduled = save(&app, &path, "publish", &[("publish_at", &at.format("%Y-%m-%dT%H:%M:%S").to_string())]).await;
    assert_eq!(location(&scheduled), path);
    let public = "/posts/later-this-minute";
    assert_eq!(reader_status(&app, public).await, 404, "not before its time");
    reader_page(&app, "/").await.assert_lacks(&["Later this minute"]);
    reader_page(&app, "/feed.xml").await.assert_lacks(&["Later this minute"]);
    reader_page(&app, "/sitemap.xml").await.assert_lacks(&["later-this-minute"]);
    app.get(public).await.assert_contains(&[BAND]);

    crate::helpers::eventually!(
        Duration::from_secs(8),
        "it appears when its time comes",
        (reader_status(&app, public).await == 200).then_some(())
    );
    assert!(chrono::Utc::now().naive_utc() >= at, "shown before its time, {at}");
    reader_page(&app, "/").await.assert_contains(&["Later this minute"]);
    let feed = reader_page(&app, "/feed.xml").await;
    assert_eq!(feed.body.matches("<title>Later this minute</title>").count(), 1, "{}", feed.body);
}

#[tokio::test]
async fn an_article_published_on_one_instance_is_served_by_the_other_within_a_second() {
    let (a, settings) = spawn_app_keeping_settings(|_| {}).await;
    let b = second_instance(&settings).await;
    create_user(&a, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&a, AUTHOR, PASSWORD).await.status, 303);
    let reader = crate::helpers::new_browser();
    let on_b = |path: &'static str| {
        let (reader, url) = (reader.clone(), format!("{b}{path}"));
        async move { read(reader.get(url).send().await.expect("GET")).await }
    };
    assert_eq!(on_b("/posts/shared-by-both").await.status, 404);

    let path = new_draft(&a, "Shared by both", "On every instance.").await;
    assert_eq!(location(&save(&a, &path, "publish", &[("slug", "shared-by-both")]).await), path);
    let page = crate::helpers::eventually!(Duration::from_secs(3), "B serves it within a second", {
        let page = on_b("/posts/shared-by-both").await;
        (page.status == 200).then_some(page)
    });
    page.assert_contains(&["On every instance."]);
}

#[tokio::test]
async fn a_file_changed_while_the_desk_changed_the_article_keeps_both_versions() {
    let content = Content::new().post("dose", "title = \"Dose\"\ndate = 2024-01-01", "The file's first text.");
    let dir = content.path();
    let (app, _) = signed_in_app_with(|settings| settings.content_dir = dir.clone()).await;
    let path = {
        let list = editor(&app, "/admin/articles").await;
        let at = list.body.find("/admin/articles/1\"").expect("the article is listed");
        assert!(at > 0);
        "/admin/articles/1".to_owned()
    };
    assert_eq!(location(&save(&app, &path, "publish", &[("body", "Changed in the desk.")]).await), path);
    let content = content.post("dose", "title = \"Dose\"\ndate = 2024-01-01", "Changed in the file.");
    // Saved in the editor a moment after the desk's save (a file's time is
    // kept to the clock's coarse tick, which may not have moved yet).
    let file = std::fs::File::options().append(true).open(dir.join("posts/dose.md")).expect("the file opens");
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(1)).expect("its time is set");

    // What a start, `healthblog reload` or SIGHUP does.
    let files = healthblog::startup::read_content_folder(&dir).expect("the folder reads");
    app.with_db(|conn| healthblog::startup::store_files(conn, &dir, &files)).expect("the files are read in");
    crate::helpers::eventually!(
        Duration::from_secs(3),
        "the newer version, the file's, is shown",
        (reader_page(&app, "/posts/dose").await.body.contains("Changed in the file.")).then_some(())
    );
    editor(&app, &path)
        .await
        .assert_contains(&["The file posts/dose.md changed while this post was also changed here"]);
    let revisions = editor(&app, &format!("{path}/revisions")).await;
    revisions.assert_contains(&["file (posts/dose.md)", "desk"]);
    assert_eq!(revision_count(&app, &path), 3, "the file's first text, the desk's, the file's second");

    // An unchanged file does nothing.
    let files = healthblog::startup::read_content_folder(&dir).expect("the folder reads");
    app.with_db(|conn| healthblog::startup::store_files(conn, &dir, &files)).expect("the files are read in");
    assert_eq!(revision_count(&app, &path), 3);
    drop(content);
}

/// Every article and page the database holds, by kind and slug.
fn manuscripts(app: &TestApp) -> Vec<(ArticleKind, Manuscript)> {
    let mut all = app.with_db(store::manuscripts).expect("the articles");
    all.sort_by(|a, b| (a.0.as_str(), &a.1.slug).cmp(&(b.0.as_str(), &b.1.slug)));
    all
}

/// `healthblog export markdown` of `app`'s database, into the folder it
/// returns (kept while the first value lives); it works.
pub fn export_markdown(app: &TestApp) -> (tempfile::TempDir, std::path::PathBuf) {
    let out = tempfile::tempdir().expect("a folder");
    let dir = out.path().join("export");
    let database_url = match &app.database {
        healthblog::db::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        healthblog::db::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let export = std::process::Command::new(env!("CARGO_BIN_EXE_healthblog"))
        .args(["export", "markdown"])
        .arg(&dir)
        .env("HEALTHBLOG_DATABASE_URL", &database_url)
        .env("HEALTHBLOG_CONTENT_DIR", repo_path("content"))
        .env_remove("HEALTHBLOG_CONFIG")
        .current_dir(out.path())
        .output()
        .expect("healthblog export runs");
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    (out, dir)
}

#[tokio::test]
async fn export_markdown_writes_files_that_check_accepts_and_a_fresh_site_loads_unchanged() {
    let (app, _) = signed_in_app().await;
    new_draft(&app, "Still a draft", "Unfinished \"words\".\n\n+++\n").await;
    let published = new_draft(&app, "Published here", "Done.").await;
    assert_eq!(
        location(
            &save(
                &app,
                &published,
                "publish",
                &[("tags", "sleep, vitamins"), ("reviewed", "2024-03-01"), ("reviewed_by", "Dr. B")]
            )
            .await
        ),
        published
    );

    let (_out, dir) = export_markdown(&app);
    assert!(dir.join("posts/still-a-draft.md").is_file());
    let check = run_check(&dir);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));

    let fresh = spawn_app_with(|settings| settings.content_dir = dir.clone()).await;
    assert_eq!(manuscripts(&fresh), manuscripts(&app));
    assert_eq!(reader_status(&fresh, "/posts/published-here").await, 200);
    assert_eq!(reader_status(&fresh, "/posts/still-a-draft").await, 404);
}

#[tokio::test]
async fn an_article_carries_the_byline_of_its_author_account() {
    let (app, _) = signed_in_app().await;
    create_user(&app, "ann", "Dr. Ann Other", "another long pass phrase");
    let path = new_draft(&app, "Written by Ann", "Her words.").await;
    let unknown = save(&app, &path, "publish", &[("author", "nobody")]).await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert!(unknown.body.contains("id=\"author-error\""));

    assert_eq!(location(&save(&app, &path, "publish", &[("author", "ann")]).await), path);
    let page = reader_page(&app, "/posts/written-by-ann").await;
    page.assert_contains(&["By <span class=\"author\">Dr. Ann Other</span>", "\"name\":\"Dr. Ann Other\""]);
    // The others keep the site's author.
    let other = reader_page(&app, "/posts/oral-magnesium-for-migraine-prevention").await;
    other.assert_lacks(&["Dr. Ann Other"]);
}

#[tokio::test]
async fn a_page_is_written_in_the_desk_previewed_at_its_address_and_published() {
    let (app, _) = signed_in_app().await;
    editor(&app, "/admin/pages").await.assert_contains(&["About"]);
    let token = desk_token(&app).await;
    let created = app
        .post_form(
            "/admin/pages",
            &article_form(&token, "", "draft", &[("title", "Office hours"), ("body", "Mondays.")]),
        )
        .await;
    let path = location(&created);
    assert!(path.starts_with("/admin/pages/"), "{path}");
    assert_eq!(reader_status(&app, "/office-hours").await, 404, "a draft page is no reader's");
    app.get("/office-hours").await.assert_contains(&[BAND, "Mondays."]);
    assert!(app.state.page_cache.get("/office-hours").is_none());

    let reserved = save(&app, &path, "draft", &[("slug", "admin")]).await;
    assert_eq!(reserved.status, 422, "{}", reserved.body);
    assert!(reserved.body.contains("id=\"slug-error\""));

    assert_eq!(location(&save(&app, &path, "publish", &[]).await), path);
    let page = reader_page(&app, "/office-hours").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&["Mondays.", "href=\"/office-hours\""]);
    page.assert_lacks(&[BAND]);
}

#[tokio::test]
async fn a_file_dated_in_the_future_is_on_no_public_page_before_its_time() {
    let content = Content::new()
        .post("later", "title = \"Published later\"\ndate = 2999-01-01", "Not yet, zanzibar.")
        .post("now", "title = \"Published now\"\ndate = 2024-01-01", "Already out.");
    let dir = content.path();
    let app = spawn_app_with(|settings| settings.content_dir = dir.clone()).await;
    assert_eq!(reader_status(&app, "/posts/now").await, 200);
    assert_eq!(reader_status(&app, "/posts/later").await, 404);
    for path in ["/", "/feed.xml", "/sitemap.xml", "/archive", "/search?q=zanzibar"] {
        reader_page(&app, path).await.assert_lacks(&["Published later", "/posts/later"]);
    }
    drop(content);
}

#[tokio::test]
async fn the_doctor_sees_what_changed_between_any_two_revisions_word_by_word() {
    let (app, _) = signed_in_app().await;
    let path = new_draft(&app, "Vitamin D in winter", "Take it daily with a meal.").await;
    save(&app, &path, "draft", &[("body", "Take it weekly with a meal.")]).await;
    save(
        &app,
        &path,
        "draft",
        &[("body", "Take it weekly with a fatty meal."), ("title", "Vitamin D when it is dark")],
    )
    .await;
    let ids: Vec<i32> = {
        let id: i32 = path.rsplit('/').next().and_then(|id| id.parse().ok()).expect("an article id");
        let revisions = app.with_db(|conn| healthblog::db::articles::revisions(conn, id)).expect("the revisions");
        revisions.iter().map(|r| r.id).collect()
    };
    let (newest, middle, first) = (ids[0], ids[1], ids[2]);

    // Each row of the list links to its own changes.
    let list = editor(&app, &format!("{path}/revisions")).await;
    list.assert_contains(&[&format!("{path}/compare?from={middle}&amp;to={newest}"), "Compare any two versions"]);

    // By default: the version shown now against the one before it.
    let latest = editor(&app, &format!("{path}/compare")).await;
    latest.assert_contains(&["<ins>fatty </ins>", "<h2 id=\"diff-1\">Title</h2>", "<del>winter</del><ins>dark</ins>"]);
    latest.assert_lacks(&["<del>daily</del>"]);

    // Any two: the first against the newest shows both edits, each field once.
    let both = editor(&app, &format!("{path}/compare?from={first}&to={newest}")).await;
    both.assert_contains(&["<del>daily</del>", "<ins>weekly</ins>", "<ins>fatty </ins>"]);
    let same = editor(&app, &format!("{path}/compare?from={middle}&to={middle}")).await;
    same.assert_contains(&["nothing changed"]);

    // A revision of another article is not this one's.
    let other = new_draft(&app, "Iron and tea", "Not with the meal.").await;
    let other_id: i32 = other.rsplit('/').next().and_then(|id| id.parse().ok()).expect("an article id");
    let foreign = app.with_db(|conn| healthblog::db::articles::revisions(conn, other_id)).expect("revisions")[0].id;
    assert_eq!(app.get(&format!("{path}/compare?from={foreign}&to={newest}")).await.status, 404);
}

#[tokio::test]
async fn publish_at_is_read_and_shown_on_the_sites_clock() {
    let (app, _) = signed_in_app_with(|settings| settings.site.timezone = "Europe/Berlin".into()).await;
    let path = new_draft(&app, "Late evening", "Words.").await;

    let saved = save(&app, &path, "publish", &[("publish_at", "2024-06-01T01:30")]).await;

    assert_eq!(location(&saved), path);
    let stored = app.with_db(healthblog::db::articles::all).expect("the articles");
    let stored = stored.iter().find(|a| a.manuscript.slug == "late-evening").expect("the article is stored");
    assert_eq!(stored.manuscript.date.to_string(), "2024-05-31 23:30:00", "stored in UTC");
    let form = editor(&app, &path).await;
    assert_eq!(input_value(&form.body, "publish_at"), "2024-06-01T01:30");
    form.assert_contains(&["the site&#39;s time zone (Europe/Berlin)"]);
    reader_page(&app, "/posts/late-evening")
        .await
        .assert_contains(&[r#"<time datetime="2024-06-01">June 1, 2024</time>"#]);
}
