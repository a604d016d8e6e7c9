//! The author's path in Chromium: sign in through the form, approve one
//! question, answer another from the queue; then a reader, in a browser of
//! their own, sees the question with the author's answer and badge.

use diesel::prelude::*;
use fantoccini::{Client, Locator};
use healthblog::db::schema::comments;

use super::{create_user, status_of, Stored, AUTHOR, DISPLAY, PASSWORD, SLUG};
use crate::helpers::{click, spawn_app, text_of, type_into, Browser, TestApp};
use healthblog::domain::CommentStatus;

/// The author, signed in through the form in Chromium, in the editor of a
/// new article.
async fn author_in_a_new_article(app: &TestApp) -> Browser {
    create_user(app, AUTHOR, DISPLAY, PASSWORD);
    let author = Browser::open().await;
    author.sign_in(app, AUTHOR, PASSWORD).await;
    author.client.goto(&format!("{}/admin/articles/new", app.address)).await.expect("the editor opens");
    author
}

/// The author types `title` and `text` into the editor of a new article,
/// open in `desk`; returns the text field.
async fn type_new_article(desk: &Client, title: &str, text: &str) -> fantoccini::elements::Element {
    desk.wait().for_element(Locator::Id("title")).await.expect("the title field");
    type_into(desk, "title", title).await;
    type_into(desk, "body", text).await;
    desk.find(Locator::Id("body")).await.expect("the text field")
}

#[tokio::test]
async fn the_author_signs_in_approves_and_answers_and_a_reader_sees_the_answer() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let approved = Stored {
        name: "Olga First",
        body: "Is magnesium oxide as good as glycinate?",
        minutes_ago: 10,
        ..Stored::default()
    }
    .insert(&app);
    let answered = Stored {
        name: "Pavel Second",
        body: "How long before it helps my migraines?",
        minutes_ago: 5,
        ..Stored::default()
    }
    .insert(&app);
    let answer = "Give it two to three months at a steady dose before you judge it.";

    let author = Browser::open().await;
    let desk = &author.client;
    desk.goto(&format!("{}/admin", app.address)).await.expect("the desk opens");
    assert!(desk.current_url().await.expect("a URL").path().ends_with("/admin/login"), "strangers sign in first");
    type_into(desk, "username", AUTHOR).await;
    type_into(desk, "password", PASSWORD).await;
    click(desk, ".login-form button[type=submit]").await;
    assert_eq!(text_of(desk, ".signed-in").await, format!("Signed in as {DISPLAY}"));

    // Each step starts on a freshly loaded queue, which shows no message
    // yet: the message waited for below can only be the new page's.
    let queue = format!("{}/admin/comments?status=pending", app.address);
    desk.goto(&queue).await.expect("the pending queue opens");
    assert!(desk.find(Locator::Css(".flash")).await.is_err(), "no message yet");
    click(desk, &format!("#row-{approved} button[value=approve]")).await;
    assert_eq!(text_of(desk, ".flash").await, format!("Comment {approved} approved. View it on the page"));
    assert_eq!(status_of(&app, approved), CommentStatus::Approved);

    desk.goto(&queue).await.expect("the pending queue opens");
    assert!(desk.find(Locator::Css(".flash")).await.is_err(), "the message showed once");
    click(desk, &format!("#row-{answered} details.reply-box summary")).await;
    let summary = text_of(desk, &format!("#row-{answered} details.reply-box summary")).await;
    assert_eq!(summary, "Approve and reply");
    let textarea = desk.find(Locator::Id(&format!("reply-{answered}"))).await.expect("the answer box");
    textarea.send_keys(answer).await.expect("typing works");
    click(desk, &format!("#row-{answered} details.reply-box button[type=submit]")).await;
    assert!(text_of(desk, ".flash").await.starts_with("Your answer is published"));
    author.close().await;

    let reply: i32 = app
        .with_db(|conn| comments::table.filter(comments::parent_id.eq(answered)).select(comments::id).first(conn))
        .expect("the answer is stored");

    let reader = Browser::open().await;
    let page = &reader.client;
    page.goto(&format!("{}/posts/{SLUG}", app.address)).await.expect("the article opens");
    assert_eq!(
        text_of(page, &format!("#comment-{approved} .comment-body")).await,
        "Is magnesium oxide as good as glycinate?"
    );
    assert_eq!(
        text_of(page, &format!("#comment-{answered} > article .comment-body")).await,
        "How long before it helps my migraines?"
    );
    let nested = format!("#comment-{answered} > ol.children > #comment-{reply}");
    assert_eq!(text_of(page, &format!("{nested} .comment-body")).await, answer);
    let badge = page.find(Locator::Css(&format!("{nested} .badge"))).await.expect("the author badge");
    assert!(badge.is_displayed().await.expect("a visible badge"), "the badge shows");
    assert_eq!(badge.prop("textContent").await.expect("the badge text").as_deref(), Some("Author"));
    assert_eq!(text_of(page, &format!("{nested} .comment-author")).await, DISPLAY);
    let cookies = page.get_all_cookies().await.expect("cookies");
    assert!(cookies.iter().all(|c| c.name() != "hb_session"), "the reader has no session");
    reader.close().await;
}

#[tokio::test]
async fn the_desk_works_from_the_keyboard() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let first = Stored { name: "Olga First", minutes_ago: 10, ..Stored::default() }.insert(&app);
    let second = Stored { name: "Pavel Second", minutes_ago: 5, ..Stored::default() }.insert(&app);
    let author = Browser::open().await;
    author.sign_in(&app, AUTHOR, PASSWORD).await;
    let desk = &author.client;
    desk.goto(&format!("{}/admin/comments?status=pending", app.address)).await.expect("the queue opens");
    let keys = |key: &'static str| async move {
        desk.active_element().await.expect("an element has the focus").send_keys(key).await.expect("the key goes");
    };
    // Newest first: j selects Pavel's, j again Olga's, k back to Pavel's.
    keys("j").await;
    keys("j").await;
    keys("k").await;
    assert_eq!(author.eval("return document.activeElement.id").await, format!("row-{second}"));
    keys("a").await;
    assert_eq!(text_of(desk, ".flash").await, format!("Comment {second} approved. View it on the page"));
    assert_eq!(status_of(&app, second), CommentStatus::Approved);
    // The next comment is selected: r opens its reply box with the focus in it.
    assert_eq!(author.eval("return document.activeElement.id").await, format!("row-{first}"));
    keys("r").await;
    assert_eq!(author.eval("return document.activeElement.id").await, format!("reply-{first}"));
    author.close().await;
}

#[tokio::test]
async fn the_author_writes_and_publishes_an_article_in_chromium_and_a_reader_reads_it() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    let author = Browser::open().await;
    author.sign_in(&app, AUTHOR, PASSWORD).await;
    let desk = &author.client;
    assert_eq!(text_of(desk, ".signed-in").await, format!("Signed in as {DISPLAY}"));

    click(desk, ".desk-nav a[href='/admin/articles']").await;
    click(desk, "a[href='/admin/articles/new']").await;
    type_new_article(desk, "Sleep and migraine", "Regular sleep is the **cheapest** preventive.").await;
    type_into(desk, "tags", "sleep, migraine").await;
    click(desk, "button[value=publish]").await;
    assert!(text_of(desk, ".flash").await.starts_with("Published."));
    author.close().await;

    let reader = Browser::open().await;
    let page = &reader.client;
    page.goto(&format!("{}/posts/sleep-and-migraine", app.address)).await.expect("the article opens");
    assert_eq!(text_of(page, "h1").await, "Sleep and migraine");
    assert_eq!(text_of(page, ".post-body strong").await, "cheapest");
    reader.close().await;
}

#[tokio::test]
async fn a_draft_is_saved_while_the_author_types_and_ctrl_s_saves_it() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    let author = author_in_a_new_article(&app).await;
    let desk = &author.client;
    let body = type_new_article(desk, "Typed, never lost", "Words kept by the autosave.").await;
    let note = text_of(desk, ".autosave-note:not(:empty)").await;
    assert!(note.starts_with("Draft saved at"), "{note}");
    let stored = app.with_db(|conn| {
        healthblog::db::articles::find_by_slug(conn, healthblog::content::ArticleKind::Post, "typed-never-lost")
    });
    let stored = stored.expect("the articles answer").expect("the draft is stored");
    assert!(stored.manuscript.draft);
    assert_eq!(stored.manuscript.body, "Words kept by the autosave.");

    // More words, then Ctrl+S: the draft is saved at once, on the same article.
    body.send_keys(" And a few more.").await.expect("typing works");
    body.send_keys(&format!("{}s", fantoccini::key::Key::Control)).await.expect("Ctrl+S");
    assert!(text_of(desk, ".flash").await.starts_with("Draft saved."));
    let stored = app.with_db(|conn| healthblog::db::articles::find(conn, stored.id));
    let stored = stored.expect("the articles answer").expect("the draft");
    assert_eq!(stored.manuscript.body, "Words kept by the autosave. And a few more.");
    author.close().await;
}

#[tokio::test]
async fn the_editor_shows_the_article_as_readers_will_see_it_beside_the_text_while_the_author_types() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let app = spawn_app().await;
    let author = author_in_a_new_article(&app).await;
    let desk = &author.client;
    type_new_article(desk, "Seen as it is written", "Rest is *the* cure.").await;
    // The server's rendering, with the article template: emphasis as <em>.
    assert_eq!(text_of(desk, ".live-preview article.post .post-body em").await, "the");
    assert_eq!(text_of(desk, ".live-preview article.post h1").await, "Seen as it is written");
    author.close().await;
}
