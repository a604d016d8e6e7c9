//! `/admin/settings`: saved rules apply at once, bad values come back with
//! what was typed and store nothing, and every save is logged.

use super::{
    desk_token, flash, location, log_entries, reader_comments, settings_form, signed_in_app, status_of,
    stored_settings, Stored, SLUG,
};
use crate::helpers::{input_value, textarea_text, thread_level, Page, TestApp};
use healthblog::domain::CommentStatus;

async fn save(app: &TestApp, changes: &[(&str, &str)]) -> Page {
    let token = desk_token(app).await;
    app.post_form("/admin/settings", &settings_form(&token, changes)).await
}

async fn article_as_reader(app: &TestApp) -> Page {
    app.get_as_stranger(&format!("/posts/{SLUG}")).await
}

#[tokio::test]
async fn a_new_moderation_policy_applies_to_the_next_comment() {
    let (app, user_id) = signed_in_app().await;
    app.set_rule("min_seconds_to_submit", "0");
    let held = reader_comments(&app, SLUG, "Early Reader", "Does magnesium help with sleep too?").await;
    assert_eq!(status_of(&app, held), CommentStatus::Pending, "every comment waits by default");

    let response = save(&app, &[("moderation_policy", "approve_all")]).await;

    assert_eq!(location(&response), "/admin/settings");
    let form = app.get("/admin/settings").await;
    assert_eq!(flash(&form).as_deref(), Some("Settings saved. They apply at once."));
    assert!(form.body.contains(r#"id="policy-approve_all" name="moderation_policy" value="approve_all" checked"#));
    let live = reader_comments(&app, SLUG, "Later Reader", "Which form of magnesium is gentlest?").await;
    assert_eq!(status_of(&app, live), CommentStatus::Approved);
    let article = article_as_reader(&app).await;
    assert!(article.comment_card(live).contains("Which form of magnesium is gentlest?"));
    assert!(!article.body.contains("Does magnesium help with sleep too?"), "the earlier comment still waits");

    let entry = log_entries(&app).pop().expect("a log entry");
    assert_eq!((entry.action.as_str(), entry.user_id), ("settings", Some(user_id)));
    assert!(entry.detail.contains("moderation_policy=approve_all"), "{}", entry.detail);
}

#[tokio::test]
async fn a_new_reply_depth_applies_to_the_article_at_once() {
    let (app, _) = signed_in_app().await;
    let question = Stored { status: CommentStatus::Approved, minutes_ago: 10, ..Stored::default() }.insert(&app);
    let reply =
        Stored { status: CommentStatus::Approved, name: "Second Reader", parent: Some(question), ..Stored::default() }
            .insert(&app);
    assert_eq!(thread_level(&article_as_reader(&app).await.body, reply), 2);

    assert_eq!(location(&save(&app, &[("thread_depth", "1")]).await), "/admin/settings");

    let article = article_as_reader(&app).await;
    assert_eq!(thread_level(&article.body, reply), 1, "replies no longer nest");
    assert!(article.comment_card(reply).contains("in reply to Maria Reader"));
    assert_eq!(stored_settings(&app).get("thread_depth").map(String::as_str), Some("1"));
}

#[tokio::test]
async fn a_new_disclaimer_shows_under_every_article() {
    let (app, _) = signed_in_app().await;
    let configured = "This article is general information, not medical advice for you.";
    assert!(article_as_reader(&app).await.body.contains(configured));
    let disclaimer = "Ask your own doctor before you change any dose.";

    assert_eq!(location(&save(&app, &[("disclaimer", disclaimer)]).await), "/admin/settings");

    for slug in [SLUG, "cluster-headache-treatment"] {
        let article = app.get_as_stranger(&format!("/posts/{slug}")).await;
        assert!(article.body.contains(&format!("<p>{disclaimer}</p>")), "{slug}:\n{}", article.body);
        assert!(!article.body.contains(configured), "{slug} no longer shows the configured text");
    }
    assert_eq!(textarea_text(&app.get("/admin/settings").await.body, "disclaimer"), disclaimer);
}

#[tokio::test]
async fn invalid_settings_come_back_with_what_was_typed_and_store_nothing() {
    let (app, _) = signed_in_app().await;
    assert_eq!(location(&save(&app, &[("disclaimer", "The first disclaimer.")]).await), "/admin/settings");
    let stored_before = stored_settings(&app);
    let logged = log_entries(&app).len();

    let response = save(
        &app,
        &[
            ("moderation_policy", "approve_all"),
            ("rate_limit_per_minute", "abc"),
            ("thread_depth", "99"),
            ("max_links", "7"),
            ("hold_words", "cure\nmiracle"),
            ("disclaimer", "A second disclaimer that is not saved."),
        ],
    )
    .await;

    assert_eq!(response.status, 422, "{}", response.body);
    response.assert_contains(&[
        "Nothing was saved.",
        "Comments per minute from one address: enter a whole number from 1 to 1000.",
        "Reply depth: enter a whole number from 1 to 10.",
    ]);
    assert!(response.body.contains("id=\"rate_limit_per_minute-error\""), "the message is at the field");
    assert!(response.body.contains("id=\"thread_depth-error\""), "the message is at the field");
    assert_eq!(input_value(&response.body, "rate_limit_per_minute"), "abc");
    assert_eq!(input_value(&response.body, "thread_depth"), "99");
    assert_eq!(input_value(&response.body, "max_links"), "7");
    assert_eq!(textarea_text(&response.body, "hold_words"), "cure\nmiracle");
    assert_eq!(textarea_text(&response.body, "disclaimer"), "A second disclaimer that is not saved.");
    assert!(response.body.contains(r#"value="approve_all" checked"#), "the chosen policy stays chosen");

    assert_eq!(stored_settings(&app), stored_before, "nothing is stored");
    assert_eq!(log_entries(&app).len(), logged, "nothing is logged");
    let article = article_as_reader(&app).await;
    assert!(article.body.contains("The first disclaimer."));
}

#[tokio::test]
async fn threads_per_page_and_their_order_apply_to_the_article_at_once() {
    let (app, _) = signed_in_app().await;
    let older = Stored { status: CommentStatus::Approved, minutes_ago: 10, ..Stored::default() }.insert(&app);
    let newer = Stored { status: CommentStatus::Approved, name: "Second Reader", minutes_ago: 5, ..Stored::default() }
        .insert(&app);
    let form = app.get("/admin/settings").await;
    assert_eq!(input_value(&form.body, "threads_per_page"), "50");
    assert!(form.body.contains(r#"id="thread_order-oldest" name="thread_order" value="oldest" checked"#));

    let refused = save(&app, &[("threads_per_page", "0"), ("thread_order", "random")]).await;
    assert_eq!(refused.status, 422);
    refused.assert_contains(&[
        "Threads per page: enter a whole number from 1 to 1000.",
        "Choose which threads come first.",
    ]);
    assert_eq!(input_value(&refused.body, "threads_per_page"), "0", "what was typed comes back");
    assert!(!stored_settings(&app).contains_key("threads_per_page"), "nothing is stored");

    assert_eq!(
        location(&save(&app, &[("threads_per_page", "1"), ("thread_order", "newest")]).await),
        "/admin/settings"
    );
    let first = article_as_reader(&app).await;
    assert!(first.body.contains(&format!("id=\"comment-{newer}\"")), "the newest thread on the article");
    assert!(!first.body.contains(&format!("id=\"comment-{older}\"")));
    let second = app.get_as_stranger(&format!("/posts/{SLUG}/comment-page-2")).await;
    assert!(second.body.contains(&format!("id=\"comment-{older}\"")), "the older thread on page 2");
}
