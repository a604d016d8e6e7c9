//! Pages such as `/about`: served at `/{slug}`, linked from the header, in
//! the sitemap, and nowhere an article list is.

use crate::helpers::{run_check, spawn_app, spawn_app_with, start_error, Content, Page};

/// The part of a page inside `<main>`: the header links every page.
fn main_part(page: &Page) -> &str {
    let start = page.body.find("<main").expect("a main element");
    let end = page.body.find("</main>").expect("the main element ends");
    &page.body[start..end]
}

#[tokio::test]
async fn the_about_page_is_served_at_its_slug_without_comments_and_linked_from_the_header() {
    let app = spawn_app().await;

    let page = app.get("/about").await;

    assert_eq!(page.status, 200);
    page.assert_contains(&[
        "<h1>About the doctor</h1>",
        "<h2 id=\"your-questions\">Your questions</h2>",
        r#"<link rel="canonical" href="http://blog.test/about">"#,
        r#"<a href="/about" aria-current="page">About the doctor</a>"#,
    ]);
    page.assert_lacks(&["comment-form", "id=\"comments\"", "/about/comments"]);
    assert_eq!(app.get("/about/").await.status, 200, "an old link with a slash still works");
    app.get("/").await.assert_contains(&[r#"<a href="/about">About the doctor</a>"#]);
    assert_eq!(app.get("/posts/about").await.status, 404, "a page is not an article");
}

#[tokio::test]
async fn pages_are_in_the_sitemap_but_not_in_the_feed_home_archive_topics_or_search() {
    let app = spawn_app().await;

    app.get("/sitemap.xml")
        .await
        .assert_contains(&["<loc>http://blog.test/about</loc>\n    <lastmod>2026-11-24</lastmod>"]);
    let feed = app.get("/feed.xml").await;
    assert_eq!(feed.status, 200);
    feed.assert_lacks(&["About the doctor", "blog.test/about"]);
    // "contradictory" is a word of the about page alone.
    for path in ["/", "/archive", "/tags", "/search?q=contradictory"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        let main = main_part(&page);
        assert!(!main.contains("/about") && !main.contains("About the doctor"), "{path} lists the page:\n{main}");
    }
}

#[tokio::test]
async fn a_draft_page_is_not_served_and_other_addresses_still_answer_404() {
    let content = Content::new()
        .post("dose", "title = \"Dose\"\ndate = 2024-01-01", "Body.")
        .page("contact", "title = \"Contact\"\ndate = 2024-01-01", "Write to us.")
        .page("plans", "title = \"Plans\"\ndate = 2024-01-01\ndraft = true", "Not yet.");
    let app = spawn_app_with(|settings| settings.content_dir = content.path()).await;

    let contact = app.get("/contact").await;
    assert_eq!(contact.status, 200);
    contact.assert_contains(&["<h1>Contact</h1>", "Write to us."]);
    assert_eq!(app.get("/plans").await.status, 404);
    assert_eq!(app.get("/no-such-page").await.status, 404);
    assert_eq!(app.get("/contact/more").await.status, 404);
    app.get("/").await.assert_lacks(&["/plans"]);
    assert_eq!(app.get("/archive").await.status, 200, "the archive is not taken for a page");
}

fn clashing_pages() -> Content {
    Content::new()
        .post("dose", "title = \"Dose\"\ndate = 2024-01-01", "Body.")
        .page("admin", "title = \"Admin\"\ndate = 2024-01-01", "Body.")
        .page("topics", "title = \"Topics\"\ndate = 2024-01-01\nslug = \"tags\"", "Body.")
        .page("about", "title = \"About\"\ndate = 2024-01-01", "Body.")
        .page("about-us", "title = \"About us\"\ndate = 2024-01-01\nslug = \"about\"", "Body.")
}

#[test]
fn check_reports_a_page_slug_taken_by_a_route_or_another_page() {
    let content = clashing_pages();
    let output = run_check(&content.path());

    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let pages = content.path().join("pages");
    let expect = [
        format!(
            "{}:1: the page slug `admin` is taken by the site's own /admin address",
            pages.join("admin.md").display()
        ),
        format!(
            "{}:4: the page slug `tags` is taken by the site's own /tags address",
            pages.join("topics.md").display()
        ),
        format!(
            "{}:1: the page slug `about` is used by this file and by {}:4; give one of them another `slug`",
            pages.join("about.md").display(),
            pages.join("about-us.md").display()
        ),
    ];
    let found: Vec<&str> = stdout.lines().collect();
    assert_eq!(found.len(), expect.len(), "{stdout}");
    for line in &expect {
        assert!(found.iter().any(|l| l.starts_with(line.as_str())), "expected a line starting {line:?} in:\n{stdout}");
    }
}

#[tokio::test]
async fn serve_refuses_to_start_on_a_page_that_takes_a_route() {
    let error = start_error(&clashing_pages()).await;
    assert!(error.contains("admin.md:1: the page slug `admin` is taken by the site's own /admin address"), "{error}");
}
