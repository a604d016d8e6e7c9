//! Every kind of page, checked in Chromium with axe-core (the accessibility
//! engine browsers' developer tools use): labels, landmarks, contrast, names,
//! ARIA. `scripts/test` installs a pinned axe-core and sets `TEST_AXE_JS`.
//! The same pages are checked twice: in the light palette, and with the
//! browser set to prefer dark pages.

use fantoccini::Locator;

use crate::admin::{create_user, AUTHOR, PASSWORD};
use crate::helpers::{click, spawn_app, type_into, Browser};
use crate::html_checker::desk_pages;
use crate::manage::{manage_path, manage_token};
use healthblog::domain::CommentStatus;

const SLUG: &str = "iv-magnesium-post-concussion-syndrome";

/// The rules axe finds broken on the page open in `browser`, as
/// "rule (impact): first elements".
pub async fn violations(browser: &Browser, axe: &str) -> Vec<String> {
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

/// The relative luminance (WCAG: 0 black, 1 white) of the page's background.
async fn background_luminance(browser: &Browser) -> f64 {
    let luminance = browser
        .eval(
            "const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/[\\d.]+/g).map(Number);
             const linear = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
             return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);",
        )
        .await;
    luminance.as_f64().expect("a number")
}

/// What one page looked like to the checks.
struct Checked {
    page: String,
    violations: Vec<String>,
    background_luminance: f64,
}

/// How the browser shows the pages.
enum Look {
    Light,
    Dark,
    /// Light, on a phone's screen, 390 px wide.
    Phone,
}

/// Opens every kind of page, public and desk, in a browser set to `look`,
/// and runs axe on each.
async fn check_every_kind_of_page(look: Look) -> Vec<Checked> {
    let axe_path = std::env::var("TEST_AXE_JS")
        .expect("TEST_AXE_JS names axe.min.js: run the tests through scripts/test, which installs it");
    let axe = std::fs::read_to_string(&axe_path).expect("axe.min.js is readable");
    let app = spawn_app().await;
    app.set_rule("min_seconds_to_submit", "0");
    let question = app.insert_comment(SLUG, CommentStatus::Approved, "Ann");
    app.insert_comment(SLUG, CommentStatus::Pending, "Bob");
    // A private question: in the desk's private views and on Ann's own page.
    let private = app.insert_comment(SLUG, CommentStatus::Private, "Ann");
    // A second thread, on a page of its own.
    app.insert_comment(SLUG, CommentStatus::Approved, "Cy");
    app.set_rule("threads_per_page", "1");
    let author = create_user(&app, AUTHOR, "Dr. Ada Lindqvist", PASSWORD);
    // An old answer waiting for review, and a saved reply for the answer boxes.
    crate::answers::staff_answer(&app, author, question, "Yes, with food.", 2000);
    let saved_reply = crate::answers::store_saved_reply(&app);
    // A page with a question of its own shows it, and the form.
    app.insert_comment("about", CommentStatus::Approved, "Dora");
    assert_eq!(crate::admin::sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let with_pictures = crate::media::publish_article_with_pictures(&app).await;
    let browser = Browser::open().await;
    match look {
        Look::Light => {}
        Look::Dark => browser.prefer_dark_color_scheme().await,
        Look::Phone => browser.set_viewport(390, 844).await,
    }
    let client = &browser.client;
    let manage = manage_path("ann@example.org");
    let mut checked = Vec::new();
    let check = async |page: String| Checked {
        page,
        violations: violations(&browser, &axe).await,
        background_luminance: background_luminance(&browser).await,
    };

    let public = [
        "/".to_owned(),
        format!("/posts/{SLUG}"),
        format!("/posts/{SLUG}?replyto={question}"),
        format!("/posts/{SLUG}/comment-page-2"),
        with_pictures.clone(),
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
        checked.push(check(path).await);
    }

    // The comment form showing its errors.
    client.goto(&format!("{}/posts/{SLUG}", app.address)).await.expect("the article opens");
    type_into(client, "author_name", "Ann").await;
    type_into(client, "author_email", "ann@example").await;
    type_into(client, "body", "A question").await;
    click(client, "#consent").await;
    click(client, ".comment-form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".field-error")).await.expect("the form comes back with an error");
    checked.push(check("the comment form with errors".into()).await);

    // A private question sent: the page that says so.
    client.find(Locator::Id("author_email")).await.expect("an email field").clear().await.expect("clearing");
    type_into(client, "author_email", "cleo@example.org").await;
    click(client, "#private").await;
    if !client.find(Locator::Id("consent")).await.expect("the consent box").is_selected().await.expect("read") {
        click(client, "#consent").await;
    }
    click(client, ".comment-form button[type=submit]").await;
    if client.wait().for_element(Locator::Css(".private-notice")).await.is_err() {
        panic!("the private question is sent:\n{}", client.source().await.unwrap_or_default());
    }
    checked.push(check("a private question sent".into()).await);

    // The author's desk.
    browser.sign_in(&app, AUTHOR, PASSWORD).await;
    let mut desk = desk_pages(question, private, saved_reply);
    // The exchange's page last: its button is pressed below.
    desk.extend([
        "/admin/comments?status=approved&q=question".to_owned(),
        format!("/admin/comments/{question}/feature"),
    ]);
    for path in desk {
        client.goto(&format!("{}{path}", app.address)).await.expect("the desk page opens");
        checked.push(check(path).await);
    }
    // The exchange added to the article: its readers' questions page, with a row.
    click(client, "form[action$='/feature'] button[type=submit]").await;
    if client.wait().for_element(Locator::Css(".featured-questions")).await.is_err() {
        panic!("the exchange is added:\n{}", client.source().await.unwrap_or_default());
    }
    checked.push(check("the article's readers' questions".into()).await);
    browser.close().await;
    checked
}

/// Every violation of every page, one line each.
fn problems(checked: &[Checked]) -> Vec<String> {
    checked.iter().flat_map(|c| c.violations.iter().map(|v| format!("{}: {v}", c.page))).collect()
}

#[tokio::test]
async fn every_kind_of_page_passes_axe_core() {
    crate::helpers::require!("TEST_AXE_JS", "TEST_WEBDRIVER_URL");
    let problems = problems(&check_every_kind_of_page(Look::Light).await);
    assert!(problems.is_empty(), "accessibility problems:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn every_kind_of_page_is_dark_and_passes_axe_core_when_the_reader_prefers_dark() {
    crate::helpers::require!("TEST_AXE_JS", "TEST_WEBDRIVER_URL");
    let checked = check_every_kind_of_page(Look::Dark).await;
    let light: Vec<String> = checked
        .iter()
        .filter(|c| c.background_luminance > 0.05)
        .map(|c| format!("{}: background luminance {:.3}", c.page, c.background_luminance))
        .collect();
    assert!(light.is_empty(), "pages that stay light when the reader prefers dark:\n{}", light.join("\n"));
    let problems = problems(&checked);
    assert!(problems.is_empty(), "accessibility problems in dark mode:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn every_kind_of_page_passes_axe_core_on_a_phone() {
    crate::helpers::require!("TEST_AXE_JS", "TEST_WEBDRIVER_URL");
    let problems = problems(&check_every_kind_of_page(Look::Phone).await);
    assert!(problems.is_empty(), "accessibility problems on a phone:\n{}", problems.join("\n"));
}
