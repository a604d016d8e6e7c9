//! `/admin/settings`: saved rules apply at once, bad values come back with
//! what was typed and store nothing, and every save is logged.

use super::{
    desk_token, flash, location, log_entries, reader_comments, settings_form, signed_in_app, status_of,
    stored_settings, Stored, SLUG,
};
use crate::helpers::{field_error, input_value, is_checked, textarea_text, thread_level, Page, TestApp};
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

/// Every value the desk's settings form can hold, none of them the default,
/// so that a value coming back is what was typed.
const TYPED: [(&str, &str); 14] = [
    ("moderation_policy", "approve_all"),
    ("max_links", "7"),
    ("hold_words", "cure\nmiracle"),
    ("block_list", "casino\n@spam.example"),
    ("close_after_days", "30"),
    ("rate_limit_per_minute", "9"),
    ("thread_depth", "3"),
    ("min_seconds_to_submit", "4"),
    ("disclaimer", "A second disclaimer that is not saved."),
    ("edit_window_minutes", "20"),
    ("ip_retention_days", "30"),
    ("pending_retention_days", "14"),
    ("threads_per_page", "25"),
    ("thread_order", "newest"),
];

/// The value `field` shows in the re-shown form: a radio group's checked
/// choice, a text box's text or a number box's value.
fn shown(html: &str, field: &str) -> String {
    let choices: &[&str] = match field {
        "moderation_policy" => &["hold_all", "trust_returning", "approve_all"],
        "thread_order" => &["oldest", "newest"],
        "hold_words" | "block_list" | "disclaimer" => return textarea_text(html, field),
        _ => return input_value(html, field),
    };
    let prefix = if field == "moderation_policy" { "policy" } else { field };
    choices.iter().find(|c| is_checked(html, &format!("{prefix}-{c}"))).map_or_else(String::new, |c| (*c).to_owned())
}

/// Each bad value alone: 422, "Nothing was saved.", its message beside its
/// field and no other, every other value as typed, and nothing stored or
/// logged.
#[tokio::test]
async fn each_bad_setting_is_refused_at_its_field_with_every_other_value_kept() {
    let (app, _) = signed_in_app().await;
    let stored_before = stored_settings(&app);
    let logged = log_entries(&app).len();
    let whole = |label: &str, min: u32, max: u32| format!("{label}: enter a whole number from {min} to {max}.");
    let numbers = [
        ("max_links", "Links before a comment is held", 0, 100),
        ("close_after_days", "Close comments after (days)", 0, 36_500),
        ("rate_limit_per_minute", "Comments per minute from one address", 1, 1_000),
        ("thread_depth", "Reply depth", 1, 10),
        ("min_seconds_to_submit", "Seconds before a form may be sent", 0, 600),
        ("edit_window_minutes", "Minutes a writer may edit their comment", 0, 10_080),
        ("ip_retention_days", "Keep address hashes and browsers (days)", 0, 36_500),
        ("pending_retention_days", "Keep unmoderated comments (days)", 0, 36_500),
        ("threads_per_page", "Threads per page", 1, 1_000),
    ];
    let mut cases: Vec<(&str, String, String)> = vec![
        ("rate_limit_per_minute", "abc".into(), whole("Comments per minute from one address", 1, 1_000)),
        ("thread_depth", "99".into(), whole("Reply depth", 1, 10)),
        ("threads_per_page", "0".into(), whole("Threads per page", 1, 1_000)),
        ("thread_order", "random".into(), "Choose which threads come first.".into()),
        ("thread_order", "".into(), "Choose which threads come first.".into()),
        ("thread_order", "Newest".into(), "Choose which threads come first.".into()),
        ("moderation_policy", "publish_everything".into(), "Choose one of the policies.".into()),
        ("moderation_policy", "".into(), "Choose one of the policies.".into()),
        ("disclaimer", "é".repeat(2_001), "The disclaimer can be at most 2000 characters.".into()),
    ];
    for (field, label, min, max) in numbers {
        for bad in [(max + 1).to_string(), "-1".into(), "2.5".into(), "   ".into(), "1e3".into()] {
            cases.push((field, bad, whole(label, min, max)));
        }
        if min > 0 {
            cases.push((field, (min - 1).to_string(), whole(label, min, max)));
        }
    }

    for (field, bad, message) in &cases {
        let changes: Vec<(&str, &str)> =
            TYPED.iter().map(|&(name, value)| (name, if name == *field { bad.as_str() } else { value })).collect();
        let refused = save(&app, &changes).await;
        let case = format!("{field} = {bad:?}");
        assert_eq!(refused.status, 422, "{case}:\n{}", refused.body);
        refused.assert_contains(&["Please correct the fields marked below. Nothing was saved."]);
        assert_eq!(field_error(&refused.body, field).as_deref(), Some(message.as_str()), "{case}");
        assert_eq!(refused.body.matches("class=\"field-error\"").count(), 1, "{case}: only {field} is marked");
        for (name, value) in TYPED.iter().filter(|(name, _)| name != field) {
            assert_eq!(shown(&refused.body, name), *value, "{case}: {name} comes back as typed");
        }
        // A choice the form does not offer leaves the group unchosen.
        let kept = if matches!(*field, "moderation_policy" | "thread_order") { "" } else { bad.trim() };
        assert_eq!(shown(&refused.body, field), kept, "{case}: what was typed comes back");
        assert_eq!(stored_settings(&app), stored_before, "{case}: nothing is stored");
        assert_eq!(log_entries(&app).len(), logged, "{case}: nothing is logged");
    }
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
