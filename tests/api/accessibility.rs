//! Every kind of page, checked in Chromium with axe-core (the accessibility
//! engine browsers' developer tools use): labels, landmarks, contrast, names,
//! ARIA. `scripts/test` installs a pinned axe-core and sets `TEST_AXE_JS`.

use fantoccini::Locator;

use crate::admin::{create_user, AUTHOR, PASSWORD};
use crate::helpers::{spawn_app, Browser};
use crate::manage::{manage_path, manage_token};
use healthblog::domain::CommentStatus;

const SLUG: &str = "iv-magnesium-post-concussion-syndrome";

/// The rules axe finds broken on the page open in `browser`, as
/// "rule (impact): first elements".
async fn violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.client.execute(axe, vec![]).await.expect("axe-core loads");
    let found = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(r => done(r.violations.map(v =>
                 `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    serde_json::from_value(found).expect("a list of violations")
}

#[tokio::test]
async fn every_kind_of_page_passes_axe_core() {
    let axe_path = std::env::var("TEST_AXE_JS")
        .expect("TEST_AXE_JS names axe.min.js: run the tests through scripts/test, which installs it");
    let axe = std::fs::read_to_string(&axe_path).expect("axe.min.js is readable");
    let app = spawn_app().await;
    app.set_rule("min_seconds_to_submit", "0");
    let question = app.insert_comment(SLUG, CommentStatus::Approved, "Ann");
    app.insert_comment(SLUG, CommentStatus::Pending, "Bob");
    // A second thread, on a page of its own.
    app.insert_comment(SLUG, CommentStatus::Approved, "Cy");
    app.set_rule("threads_per_page", "1");
    create_user(&app, AUTHOR, "Dr. Ada Lindqvist", PASSWORD);
    let browser = Browser::open().await;
    let client = &browser.client;
    let manage = manage_path("ann@example.org");
    let mut problems = Vec::new();
    let mut check =
        |page: String, found: Vec<String>| problems.extend(found.into_iter().map(|v| format!("{page}: {v}")));

    let public = [
        "/".to_owned(),
        format!("/posts/{SLUG}"),
        format!("/posts/{SLUG}?replyto={question}"),
        format!("/posts/{SLUG}/comment-page-2"),
        "/tags".to_owned(),
        "/tags/magnesium".to_owned(),
        "/archive".to_owned(),
        "/about".to_owned(),
        "/search?q=magnesium".to_owned(),
        "/search?q=zebra".to_owned(),
        "/no-such-page".to_owned(),
        "/admin/login".to_owned(),
        "/comments/manage".to_owned(),
        "/comments/manage?sent=1".to_owned(),
        format!("{manage}?done=edited"),
        format!("{manage}/comments/{question}/edit"),
        format!("{manage}/erase"),
        format!("/comments/manage/{}", manage_token("ann@example.org", 1)),
    ];
    for path in public {
        client.goto(&format!("{}{path}", app.address)).await.expect("the page opens");
        check(path, violations(&browser, &axe).await);
    }

    // The comment form showing its errors.
    client.goto(&format!("{}/posts/{SLUG}", app.address)).await.expect("the article opens");
    client.find(Locator::Id("author_name")).await.expect("a name field").send_keys("Ann").await.expect("typing");
    client
        .find(Locator::Id("author_email"))
        .await
        .expect("an email field")
        .send_keys("ann@example")
        .await
        .expect("typing");
    client.find(Locator::Id("body")).await.expect("a comment box").send_keys("A question").await.expect("typing");
    client
        .find(Locator::Css(".comment-form button[type=submit]"))
        .await
        .expect("a button")
        .click()
        .await
        .expect("send");
    client.wait().for_element(Locator::Css(".field-error")).await.expect("the form comes back with an error");
    check("the comment form with errors".into(), violations(&browser, &axe).await);

    // The author's desk.
    client.goto(&format!("{}/admin/login", app.address)).await.expect("the sign-in page opens");
    client.find(Locator::Id("username")).await.expect("a name field").send_keys(AUTHOR).await.expect("typing");
    client.find(Locator::Id("password")).await.expect("a password field").send_keys(PASSWORD).await.expect("typing");
    client
        .find(Locator::Css(".login-form button[type=submit]"))
        .await
        .expect("a button")
        .click()
        .await
        .expect("sign in");
    client.wait().for_element(Locator::Css(".signed-in")).await.expect("signed in");
    for path in [
        "/admin".to_owned(),
        "/admin/comments?status=pending".to_owned(),
        "/admin/comments?status=approved&q=question".to_owned(),
        format!("/admin/comments/{question}/edit"),
        "/admin/questions".to_owned(),
        "/admin/settings".to_owned(),
        "/admin/log".to_owned(),
    ] {
        client.goto(&format!("{}{path}", app.address)).await.expect("the desk page opens");
        check(path, violations(&browser, &axe).await);
    }
    browser.close().await;
    assert!(problems.is_empty(), "accessibility problems:\n{}", problems.join("\n"));
}
