//! Pages such as `/about`: served at `/{slug}`, linked from the header, in
//! the sitemap, and nowhere an article list is.

use healthblog::domain::CommentStatus;

use crate::admin::{get_with, signed_in_app_with};
use crate::helpers::{
    comment_fields, csrf_token, posted_comment_id, run_check, spawn_app, spawn_app_with, start_error, thread_level,
    Content, Page,
};

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
    let as_article = app.get("/posts/about").await;
    assert_eq!((as_article.status, as_article.header("location")), (301, "/about"), "a page is not an article");
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

/// A page with comments (WordPress allows them; an import brings them).
fn ask_content() -> Content {
    Content::new()
        .post("dose", "title = \"Dose\"\ndate = 2024-01-01", "Body.")
        .page("ask", "title = \"Ask a physio\"\ndate = 2024-01-01", "Ask here.")
        .page("old-questions", "title = \"Old questions\"\ndate = 2024-01-01\ncomments = false", "The archive.")
}

#[tokio::test]
async fn a_page_with_comments_shows_its_threads_and_the_form_only_while_open() {
    let content = ask_content();
    let app = spawn_app_with(|settings| settings.content_dir = content.path()).await;
    app.accept_instant_posts();
    let question = app.insert_comment("ask", CommentStatus::Approved, "Ann");
    let answer = app.insert_reply("ask", question, CommentStatus::Approved, "Bo");
    let closed = app.insert_comment("old-questions", CommentStatus::Approved, "Cy");

    let ask = app.get("/ask").await;
    assert_eq!(ask.status, 200);
    ask.assert_contains(&[
        "<h1>Ask a physio</h1>",
        "Ask here.",
        "<h2 id=\"comments-heading\">",
        &format!("id=\"comment-{question}\""),
        "class=\"comment-form\"",
        "href=\"/posts/ask/comments.xml\"",
        r#"<link rel="canonical" href="http://blog.test/ask">"#,
    ]);
    assert_eq!(thread_level(&ask.body, answer), 2, "the answer is shown under the question");

    let old = app.get("/old-questions").await;
    assert_eq!(old.status, 200);
    old.assert_contains(&[&format!("id=\"comment-{closed}\""), "Comments are closed on this page."]);
    old.assert_lacks(&["class=\"comment-form\""]);

    // A reader asks on the page; the question is kept for the page.
    let mut fields = comment_fields("Dee", "dee@example.org", "Is ice better than heat?");
    fields.push(("csrf_token".into(), csrf_token(&ask.body)));
    let posted = app.post_form("/posts/ask/comments", &fields).await;
    let id = posted_comment_id(&posted);
    assert_eq!(app.stored_comment(id).post_slug, "ask");

    let feed = app.get("/posts/ask/comments.xml").await;
    assert_eq!(feed.status, 200);
    feed.assert_contains(&["Ann on “Ask a physio”", "<link href=\"http://blog.test/ask\""]);
}

#[tokio::test]
async fn the_desk_links_to_a_pages_comments_and_they_lead_to_the_page() {
    let content = ask_content();
    let (app, _) = signed_in_app_with(|settings| settings.content_dir = content.path()).await;
    let question = app.insert_comment("ask", CommentStatus::Approved, "Ann");

    let desk = get_with(&app, &app.client, "/admin/comments?status=approved").await;
    assert_eq!(desk.status, 200);
    let title_at = desk.body.find(">Ask a physio</a>").expect("the desk names the page");
    let href_at = desk.body[..title_at].rfind("href=\"").expect("a link to the comment") + 6;
    let href = desk.body[href_at..title_at - 1].replace("&amp;", "&");
    let (path, _) = href.split_once('#').unwrap_or((&href, ""));
    let mut followed = app.get(path).await;
    while followed.status == 301 || followed.status == 302 {
        followed = app.get(followed.header("location")).await;
    }
    assert_eq!(followed.status, 200, "{href} leads to the page");
    followed.assert_contains(&["<h1>Ask a physio</h1>", &format!("id=\"comment-{question}\"")]);
    let replying = app.get(&format!("/posts/ask?replyto={question}")).await;
    assert_eq!(replying.header("location"), format!("/ask?replyto={question}"));
}
