//! Every kind of page, public and desk, passes the Nu HTML checker (the W3C
//! validator's engine, run offline; `scripts/test` installs it and sets
//! `TEST_VNU_JAR`), with comments, answers and pending questions in place.

use healthblog::keys::Keys;
use healthblog::signed_links::{self, Purpose};

use crate::admin::{answer, signed_in_app};
use crate::helpers::CommentStatus;

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
/// The test app's secret (`test_settings`).
const SECRET: &str = "a test secret that is long enough to derive every key";

#[tokio::test]
async fn every_kind_of_page_passes_the_nu_html_checker() {
    let jar = std::env::var("TEST_VNU_JAR")
        .expect("TEST_VNU_JAR names vnu.jar: run the tests through scripts/test, which installs it");
    let (app, _) = signed_in_app().await;
    let question = app.insert_comment(SLUG, CommentStatus::Approved, "Ann");
    let pending = app.insert_comment(SLUG, CommentStatus::Pending, "Bea");
    assert_eq!(answer(&app, question, "Yes, with food, **every week**.", "/admin").await.status, 303);
    let with_pictures = crate::media::publish_article_with_pictures(&app).await;
    let keys = Keys::from_secret(SECRET).expect("keys");
    let in_a_day = chrono::Utc::now().timestamp() + 24 * 3600;
    let manage = signed_links::sign(&keys, Purpose::Manage, &"ann@example.org".to_owned(), in_a_day);
    let confirm = signed_links::sign(&keys, Purpose::Confirm, &"ann@example.org".to_owned(), in_a_day);

    let signed_in = [
        "/admin".to_owned(),
        "/admin/comments?status=pending".to_owned(),
        "/admin/comments?status=approved".to_owned(),
        "/admin/questions".to_owned(),
        "/admin/settings".to_owned(),
        "/admin/log".to_owned(),
        "/admin/articles".to_owned(),
        "/admin/articles/new".to_owned(),
        "/admin/articles/1".to_owned(),
        "/admin/articles/1/revisions".to_owned(),
        "/admin/pages".to_owned(),
        "/admin/mail".to_owned(),
        "/admin/media".to_owned(),
        format!("/admin/comments/{pending}/edit"),
        format!("/posts/{SLUG}"),
    ];
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

    let output = std::process::Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--format", "gnu"])
        .args(&files)
        .output()
        .expect("java runs the Nu checker (scripts/test installs it)");
    let report = String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && report.trim().is_empty(), "the Nu checker found errors:\n{report}");
}

/// Writes a page to a file whose name says where it came from.
fn write(dir: &std::path::Path, name: &str, path: &str, body: &str) -> std::path::PathBuf {
    let file = dir.join(format!("{name}{}.html", path.replace(['/', '?', '=', '&'], "_")));
    std::fs::write(&file, body).expect("the page is written");
    file
}
