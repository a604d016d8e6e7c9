//! Every kind of page, public and desk, passes the Nu HTML checker (the W3C
//! validator's engine, run offline; `scripts/test` installs it and sets
//! `TEST_VNU_JAR`), with comments, answers and pending questions in place.

use healthblog::keys::Keys;
use healthblog::signed_links::{self, Purpose};

use crate::admin::{answer, signed_in_app};
use crate::helpers::{CommentId, CommentStatus};

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
/// The test app's secret (`test_settings`).
const SECRET: &str = "a test secret that is long enough to derive every key";

#[tokio::test]
async fn every_kind_of_page_passes_the_nu_html_checker() {
    crate::helpers::require!("TEST_VNU_JAR");
    let jar = std::env::var("TEST_VNU_JAR")
        .expect("TEST_VNU_JAR names vnu.jar: run the tests through scripts/test, which installs it");
    let (app, author) = signed_in_app().await;
    let question = app.insert_comment(SLUG, CommentStatus::Approved, "Ann");
    // An old answer waiting for review, and a saved reply for the answer boxes.
    let old_question = app.insert_comment(SLUG, CommentStatus::Approved, "Cy");
    crate::answers::staff_answer(&app, author, old_question, "Yes, with food.", 2000);
    let saved_reply = crate::answers::store_saved_reply(&app);
    // That exchange added to the article: its section and the desk's list.
    let token = crate::admin::desk_token(&app).await;
    let added = app
        .post_form(
            &format!("/admin/comments/{old_question}/feature"),
            &crate::admin::fields(&[
                ("csrf_token", &token),
                ("question", "Is it safe?"),
                ("answer", "Yes, with food."),
            ]),
        )
        .await;
    let featured = crate::admin::location(&added);
    let pending = app.insert_comment(SLUG, CommentStatus::Pending, "Bea");
    // A private question, answered: in the desk's private views and on its
    // asker's own page.
    let private = app.insert_comment(SLUG, CommentStatus::Private, "Ann");
    assert_eq!(answer(&app, private, "Privately: *yes*.", "/admin").await.status, 303);
    // A page with a question of its own shows it, and the form.
    app.insert_comment("about", CommentStatus::Approved, "Dora");
    assert_eq!(answer(&app, question, "Yes, with food, **every week**.", "/admin").await.status, 303);
    let with_pictures = crate::media::publish_article_with_pictures(&app).await;
    let keys = Keys::from_secret(SECRET).expect("keys");
    let in_a_day = chrono::Utc::now().timestamp() + 24 * 3600;
    let manage = signed_links::sign(&keys, Purpose::Manage, &"ann@example.org".to_owned(), in_a_day);
    let confirm = signed_links::sign(&keys, Purpose::Confirm, &"ann@example.org".to_owned(), in_a_day);

    let mut signed_in = desk_pages(pending, private, saved_reply);
    signed_in.extend([
        "/admin/comments?status=approved".to_owned(),
        format!("/admin/comments/{old_question}/feature"),
        featured,
        format!("/posts/{SLUG}"),
    ]);
    let reader = [
        "/".to_owned(),
        format!("/posts/{SLUG}"),
        format!("/posts/{SLUG}?replyto={question}"),
        with_pictures.clone(),
        "/archive".to_owned(),
        "/tags".to_owned(),
        "/tags/magnesium".to_owned(),
        "/search?q=magnesium".to_owned(),
        "/search?q=".to_owned(),
        "/about".to_owned(),
        "/comments/manage".to_owned(),
        format!("/comments/manage/{manage}"),
        format!("/mail/confirm/{confirm}"),
        "/admin/login".to_owned(),
        "/no-such-page".to_owned(),
    ];
    let dir = tempfile::tempdir().expect("a folder for the pages");
    let mut files = Vec::new();
    for (n, path) in signed_in.iter().enumerate() {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        files.push(write(dir.path(), &format!("desk-{n}"), path, &page.body));
    }
    for (n, path) in reader.iter().enumerate() {
        let page =
            crate::helpers::read(app.stranger().get(format!("{}{path}", app.address)).send().await.expect("GET")).await;
        files.push(write(dir.path(), &format!("reader-{n}"), path, &page.body));
    }

    // What a reader sees after asking privately.
    app.accept_instant_posts();
    let reader_browser = crate::helpers::new_browser();
    let form = crate::admin::get_with(&app, &reader_browser, &format!("/posts/{SLUG}")).await;
    let mut fields = crate::helpers::comment_fields("Cleo", "cleo@example.org", "Only for the doctor, please.");
    crate::helpers::set_field(&mut fields, "private", "on");
    crate::helpers::set_field(&mut fields, "csrf_token", &crate::helpers::csrf_token(&form.body));
    let sent = crate::admin::post_with(&app, &reader_browser, &format!("/posts/{SLUG}/comments"), &fields).await;
    let sent_path = crate::admin::location(&sent);
    let page = crate::admin::get_with(&app, &reader_browser, &sent_path).await;
    assert_eq!(page.status, 200, "{sent_path}");
    files.push(write(dir.path(), "reader-private-sent", &sent_path, &page.body));

    let output = std::process::Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--format", "gnu"])
        .args(&files)
        .output()
        .expect("java runs the Nu checker (scripts/test installs it)");
    let report = String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && report.trim().is_empty(), "the Nu checker found errors:\n{report}");
}

/// Every page of the desk that needs no particular state, for the checks of
/// every kind of page: `comment` is the one edited and answered, `private`
/// a private question, `saved_reply` one of the saved replies.
pub fn desk_pages(comment: CommentId, private: CommentId, saved_reply: i32) -> Vec<String> {
    vec![
        "/admin".to_owned(),
        "/admin/comments?status=pending".to_owned(),
        "/admin/questions".to_owned(),
        "/admin/settings".to_owned(),
        "/admin/log".to_owned(),
        "/admin/articles".to_owned(),
        "/admin/articles/new".to_owned(),
        "/admin/articles/1".to_owned(),
        "/admin/articles/1/revisions".to_owned(),
        "/admin/articles/1/compare?from=1&to=1".to_owned(),
        "/admin/pages".to_owned(),
        "/admin/mail".to_owned(),
        "/admin/media".to_owned(),
        format!("/admin/comments/{comment}/edit"),
        format!("/admin/comments/{comment}/reply"),
        "/admin/replies".to_owned(),
        "/admin/replies/new".to_owned(),
        format!("/admin/replies/{saved_reply}"),
        "/admin/answers/review".to_owned(),
        "/admin/comments?status=private".to_owned(),
        "/admin/questions?show=private".to_owned(),
        format!("/admin/comments/{private}/anonymise"),
    ]
}

/// Writes a page to a file whose name says where it came from.
fn write(dir: &std::path::Path, name: &str, path: &str, body: &str) -> std::path::PathBuf {
    let file = dir.join(format!("{name}{}.html", path.replace(['/', '?', '=', '&'], "_")));
    std::fs::write(&file, body).expect("the page is written");
    file
}
