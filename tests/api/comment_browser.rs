//! A reader asks and replies through the comment form in headless Chromium,
//! with the page's own script running.

use fantoccini::{Client, Locator};

use crate::helpers::{spawn_app, type_into, Browser, TestApp};
use healthblog::domain::CommentStatus;

const SLUG: &str = "oral-magnesium-for-migraine-prevention";

/// The app ready for a browser to post at once, and a browser on the article.
async fn open_article() -> (TestApp, Browser) {
    let app = spawn_app().await;
    app.accept_instant_posts();
    let browser = Browser::open().await;
    browser.client.goto(&format!("{}/posts/{SLUG}", app.address)).await.expect("the article opens");
    (app, browser)
}

async fn value_of(client: &Client, id: &str) -> String {
    let field = client.find(Locator::Id(id)).await.unwrap_or_else(|_| panic!("the {id} field"));
    field.prop("value").await.expect("a value").unwrap_or_default()
}

async fn submit(client: &Client) {
    // The consent every comment needs (its refusal is tested without a browser).
    client
        .execute("const c = document.getElementById('consent'); if (c && !c.checked) { c.click(); }", vec![])
        .await
        .expect("the consent box can be ticked");
    let button = client.find(Locator::Css("form.comment-form button[type=submit]")).await.expect("a submit button");
    button.click().await.expect("the form is sent");
}

#[tokio::test]
async fn a_reader_asks_a_question_through_the_form_and_sees_it_awaiting_moderation() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let (app, browser) = open_article().await;
    let client = &browser.client;

    type_into(client, "author_name", "Ann Reader").await;
    type_into(client, "author_email", "ann@example.org").await;
    type_into(client, "body", "Does magnesium glycinate cause drowsiness?").await;
    submit(client).await;

    let notice = client.wait().for_element(Locator::Css(".moderation-notice")).await.expect("a moderation notice");
    assert!(notice.text().await.expect("notice text").contains("Your comment is awaiting moderation"));
    let stored = app.stored_comments();
    assert_eq!(stored.len(), 1);
    let comment = &stored[0];
    assert_eq!((comment.author_name.as_str(), comment.status.as_str()), ("Ann Reader", "pending"));
    let url = client.current_url().await.expect("a URL");
    assert_eq!(
        (url.path(), url.fragment()),
        (format!("/posts/{SLUG}").as_str(), Some(format!("comment-{}", comment.id).as_str()))
    );
    let shown = client.find(Locator::Css(&format!("#comment-{} .comment-body", comment.id))).await.expect("my comment");
    assert_eq!(shown.text().await.expect("comment text"), "Does magnesium glycinate cause drowsiness?");

    app.get_as_stranger(&format!("/posts/{SLUG}")).await.assert_lacks(&["Does magnesium glycinate cause drowsiness?"]);
    browser.close().await;
}

#[tokio::test]
async fn reply_moves_the_form_under_the_comment_and_the_reply_is_stored_nested() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    app.accept_instant_posts();
    let ann = app.insert_comment(SLUG, CommentStatus::Approved, "Ann");
    let browser = Browser::open().await;
    let client = &browser.client;
    client.goto(&format!("{}/posts/{SLUG}", app.address)).await.expect("the article opens");
    let form_home = "return document.getElementById('respond').closest('li.comment') === null";
    assert_eq!(browser.eval(form_home).await, true, "the form starts below the thread");

    let reply = client.find(Locator::Css(&format!("#comment-{ann} a.reply-link"))).await.expect("a Reply link");
    reply.click().await.expect("Reply is clickable");

    let position = browser
        .eval("const r = document.getElementById('respond'); return [r.parentElement.id, r.previousElementSibling.className]")
        .await;
    assert_eq!(
        position,
        serde_json::json!([format!("comment-{ann}"), "comment-card"]),
        "the form sits under Ann's comment"
    );
    let title = client.find(Locator::Id("respond-title")).await.expect("the form title");
    assert_eq!(title.text().await.expect("title text"), "Reply to Ann");
    assert!(client.find(Locator::Css(".cancel-reply")).await.expect("cancel").is_displayed().await.expect("shown"));
    assert_eq!(value_of(client, "parent_id").await, ann.to_string());
    assert_eq!(client.current_url().await.expect("a URL").query(), None, "the page did not follow the link");

    type_into(client, "author_name", "Bob").await;
    type_into(client, "author_email", "bob@example.org").await;
    type_into(client, "body", "I had the same question").await;
    submit(client).await;
    client.wait().for_element(Locator::Css(".moderation-notice")).await.expect("the reply awaits moderation");

    let stored = app.stored_comments();
    let bob = stored.iter().find(|c| c.author_name == "Bob").expect("the reply is stored");
    assert_eq!(bob.parent_id, Some(ann));
    let nested =
        format!("return document.querySelector('#comment-{ann} > ol.children > li#comment-{}') !== null", bob.id);
    assert_eq!(browser.eval(&nested).await, true, "the reply shows nested under Ann's comment");
    browser.close().await;
}

#[tokio::test]
async fn an_email_the_server_refuses_comes_back_with_every_typed_value_and_the_message() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let (app, browser) = open_article().await;
    let client = &browser.client;
    let name = "Ann \"Maggie\" O'Reilly";
    let website = "https://ann.example.org/notes?a=1&b=2";
    let body = "Two questions:\n\n1. <dose> & timing?\n2. With food?";

    type_into(client, "author_name", name).await;
    // Chromium's type=email accepts this; the server wants a dot in the domain.
    type_into(client, "author_email", "ann@example").await;
    type_into(client, "author_url", website).await;
    type_into(client, "body", body).await;
    client.find(Locator::Id("notify")).await.expect("the notify box").click().await.expect("it can be ticked");
    submit(client).await;

    let error = client.wait().for_element(Locator::Id("author_email-error")).await.expect("a message at the email");
    assert!(error.text().await.expect("error text").contains("Please enter a valid email address"));
    assert!(error.is_displayed().await.expect("shown"));
    assert_eq!(value_of(client, "author_name").await, name);
    assert_eq!(value_of(client, "author_email").await, "ann@example");
    assert_eq!(value_of(client, "author_url").await, website);
    assert_eq!(value_of(client, "body").await, body);
    assert_eq!(browser.eval("return document.getElementById('notify').checked").await, true);
    let invalid = client.find(Locator::Id("author_email")).await.expect("the email field");
    assert_eq!(invalid.attr("aria-invalid").await.expect("attributes"), Some("true".into()));
    assert!(app.stored_comments().is_empty());
    browser.close().await;
}

#[tokio::test]
async fn a_long_comment_is_counted_not_cut_and_a_refusal_takes_the_focus() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let (app, browser) = open_article().await;
    let client = &browser.client;
    type_into(client, "author_name", "Ann Reader").await;
    type_into(client, "author_email", "ann@example.org").await;
    browser
        .eval("const b = document.getElementById('body'); b.value = 'x'.repeat(10050); b.dispatchEvent(new Event('input'));")
        .await;
    let counter = client.find(Locator::Id("body-count")).await.expect("the counter");
    assert_eq!(
        counter.text().await.expect("text"),
        "50 characters over the limit of 10000: please shorten your comment."
    );
    assert_eq!(value_of(client, "body").await.len(), 10050, "nothing is cut");

    submit(client).await;
    let message = client.wait().for_element(Locator::Css("#form-message[tabindex]")).await.expect("the refusal");
    assert!(message.text().await.expect("text").contains("Please correct"), "{:?}", message.text().await);
    assert_eq!(browser.eval("return document.activeElement.id").await, "form-message", "the summary has the focus");
    assert_eq!(value_of(client, "body").await.len(), 10050, "the text is kept");
    assert!(app.stored_comments().is_empty());
    browser.close().await;
}

#[tokio::test]
async fn while_a_reader_types_emergency_signs_and_personal_details_are_shown_beside_the_box() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let (app, browser) = open_article().await;
    let client = &browser.client;
    type_into(client, "author_name", "Ann Reader").await;
    type_into(client, "body", "Sudden worst headache of my life, my neck is stiff and I have a fever. ").await;
    let notice = client.wait().for_element(Locator::Css("#typing-check .safety-notice")).await.expect("a notice");
    let text = notice.text().await.expect("its text");
    assert!(text.contains("A sudden, very severe headache"), "{text}");
    assert!(text.contains("Emergency services: 911"), "the site's country's numbers: {text}");

    type_into(client, "body", "Call me on (212) 555-0123, Ann Reader.").await;
    let found = client.wait().for_element(Locator::Css("#typing-check .personal-found")).await.expect("the details");
    let text = found.text().await.expect("its text");
    assert!(text.contains("your full name: Ann Reader"), "{text}");
    assert!(app.stored_comments().is_empty(), "typing stores nothing");
    browser.close().await;
}
