//! Safe to ask: a question that shows emergency signs tells its writer what
//! to do now and reaches the doctor first; every comment carries the
//! reader's recorded consent.

use healthblog::config::{MailSecurity, Settings};
use healthblog::db::log::LogAction;
use healthblog::domain::NoticeChoice;

use crate::admin::{create_user, fields, get_with, post_with, sign_in, AUTHOR, PASSWORD};
use crate::helpers::{
    comment_fields, csrf_token, field_error, new_browser, posted_comment_id, set_field, spawn_app_with, CommentId,
    TestApp,
};
use crate::smtp::SmtpServer;

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
const DOCTOR: &str = "doctor@clinic.test";
const URGENT: &str = "It came on in seconds an hour ago, the worst headache of my life, and now my neck is stiff \
                      and I have a fever of 39.";

/// An app in `country` that mails through `smtp` to a doctor who asked to
/// hear of nothing.
async fn app_in(country: &str, smtp: &SmtpServer) -> TestApp {
    let (port, country) = (smtp.port, country.to_owned());
    let app = spawn_app_with(move |settings: &mut Settings| {
        settings.mail.host = Some("127.0.0.1".into());
        settings.mail.port = port;
        settings.mail.security = MailSecurity::None;
        settings.mail.poll_seconds = 1;
        settings.mail.retry_seconds = 1;
        settings.trust.country = country;
    })
    .await;
    let doctor = create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    app.with_db(|conn| {
        healthblog::db::users::set_email(conn, AUTHOR, DOCTOR)?;
        healthblog::db::users::set_notify_on(conn, doctor, NoticeChoice::Nothing)
    })
    .expect("the doctor's address and choice are stored");
    app.accept_instant_posts();
    app
}

/// A reader (a browser of their own) sends `body` and follows the answer.
async fn ask(app: &TestApp, reader: &reqwest::Client, body: &str) -> (CommentId, crate::helpers::Page) {
    let page = get_with(app, reader, &format!("/posts/{SLUG}")).await;
    let mut form = comment_fields("Ann Reader", "ann@example.org", body);
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let sent = post_with(app, reader, &format!("/posts/{SLUG}/comments"), &form).await;
    let id = posted_comment_id(&sent);
    let location = sent.header("location").to_owned();
    (id, get_with(app, reader, &location).await)
}

#[tokio::test]
async fn a_question_with_emergency_signs_shows_its_writer_what_to_do_now_and_reaches_the_doctor_first() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_in("GB", &smtp).await;
    let reader = new_browser();
    let (ordinary, _) = ask(&app, &reader, "Which form of magnesium is gentlest on the stomach?").await;
    let (urgent, page) = ask(&app, &new_browser(), URGENT).await;

    // The writer, at once: what to do now, and the numbers of the site's country.
    page.assert_contains(&[
        "Please don't wait for an answer here",
        "A sudden, very severe headache",
        "Headache with fever and a stiff neck",
        "href=\"tel:999\"",
        "NHS 111",
        "href=\"tel:116123\"",
    ]);
    page.assert_lacks(&["tel:911"]);
    let stored = app.stored_comment(urgent);
    assert_eq!(stored.urgent.as_deref(), Some("thunderclap,meningitis"));
    assert_eq!(app.stored_comment(ordinary).urgent, None);
    app.get_as_stranger(&format!("/posts/{SLUG}")).await.assert_lacks(&["worst headache of my life"]);

    // The doctor, at once, though he asked to hear of nothing.
    let mail = smtp.wait_for(DOCTOR, 1).await;
    assert!(mail[0].text.contains("worst headache of my life"), "{}", mail[0].text);
    assert_eq!(smtp.wait_for(DOCTOR, 1).await.len(), 1, "only the urgent question was mailed");

    // First in the desk, with the signs named; cleared once seen to.
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let desk = app.get("/admin/comments?status=pending").await;
    let (first, second) = (
        desk.body.find(&format!("id=\"row-{urgent}\"")).expect("the urgent row"),
        desk.body.find(&format!("id=\"row-{ordinary}\"")).expect("the ordinary row"),
    );
    assert!(first < second, "the urgent question comes first though it is newer");
    desk.assert_contains(&["Urgent:</strong> A sudden, very severe headache; Headache with fever and a stiff neck"]);
    let dashboard = app.get("/admin").await;
    assert!(dashboard.body.find(&format!("row-{urgent}")) < dashboard.body.find(&format!("row-{ordinary}")));

    let form = fields(&[("csrf_token", &csrf_token(&desk.body)), ("return_to", "/admin/comments")]);
    let seen = app.post_form(&format!("/admin/comments/{urgent}/seen-to"), &form).await;
    assert_eq!(seen.status, 303, "{}", seen.body);
    assert_eq!(app.stored_comment(urgent).urgent, None);
    let log: Vec<(LogAction, Option<CommentId>)> = app
        .with_db(|conn| healthblog::db::log::page(conn, 0, 50))
        .expect("the log answers")
        .into_iter()
        .map(|entry| (entry.action, entry.comment_id))
        .collect();
    assert!(log.contains(&(LogAction::RedFlag, Some(urgent))), "{log:?}");
    assert!(log.contains(&(LogAction::RedFlagCleared, Some(urgent))), "{log:?}");
}

#[tokio::test]
async fn the_notice_names_the_numbers_of_the_sites_country() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_in("US", &smtp).await;
    let (_, page) = ask(&app, &new_browser(), "Honestly I don't see the point of going on anymore.").await;
    page.assert_contains(&["Thoughts of suicide or self-harm", "href=\"tel:911\"", "href=\"tel:988\""]);
    page.assert_lacks(&["tel:999"]);
}

#[tokio::test]
async fn an_ordinary_question_with_the_same_words_denied_gets_no_notice() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_in("GB", &smtp).await;
    let (id, page) = ask(&app, &new_browser(), "No fever and no stiff neck, just my usual migraine. Magnesium?").await;
    page.assert_contains(&["Your comment is awaiting moderation"]);
    page.assert_lacks(&["Please don't wait for an answer here"]);
    assert_eq!(app.stored_comment(id).urgent, None);
}

#[tokio::test]
async fn without_consent_a_comment_comes_back_with_the_box_and_every_word_kept() {
    let app = spawn_app_with(|_| {}).await;
    app.accept_instant_posts();
    let page = app.get(&format!("/posts/{SLUG}")).await;
    page.assert_contains(&["id=\"consent\"", "I agree that this site publishes my comment and keeps the health"]);
    let mut form = comment_fields("Ann Reader", "ann@example.org", "My question, sent without the box ticked.");
    form.retain(|(name, _)| name != "consent");
    set_field(&mut form, "notify", "on");
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let refused = app.post_form(&format!("/posts/{SLUG}/comments"), &form).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let message = field_error(&refused.body, "consent").expect("a message beside the box");
    assert!(message.contains("Please tick this box"), "{message}");
    refused.assert_form_keeps(&form);
    assert!(app.stored_comments().is_empty());

    set_field(&mut form, "consent", "on");
    set_field(&mut form, "csrf_token", &csrf_token(&refused.body));
    let id = posted_comment_id(&app.post_form(&format!("/posts/{SLUG}/comments"), &form).await);
    let stored = app.stored_comment(id);
    assert_eq!(stored.consent_version, Some(healthblog::trust::consent::version()));
    assert_eq!(stored.consent_method.as_deref(), Some("comment form"));
    assert!(stored.consent_at.is_some_and(|at| (at - stored.created_at).num_seconds().abs() < 5));

    // The writer's own download says what they agreed to, and when.
    let export = app
        .with_db(|conn| {
            healthblog::comments::ownership::export(
                conn,
                &healthblog::domain::EmailKey::of("ann@example.org"),
                healthblog::db::now(),
            )
        })
        .expect("the export is made");
    let json = serde_json::to_value(&export).expect("JSON");
    assert_eq!(json["comments"][0]["consent"]["wording_version"], healthblog::trust::consent::version());
    assert_eq!(json["comments"][0]["consent"]["given_through"], "comment form");

    // And the desk shows it beside the comment.
    create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let desk = app.get("/admin/comments?status=pending").await;
    desk.assert_contains(&[&format!("Consent (wording {}) given", healthblog::trust::consent::version())]);
}

#[tokio::test]
async fn a_site_that_does_not_require_consent_shows_no_box_and_records_none() {
    let app = spawn_app_with(|settings| settings.trust.require_consent = false).await;
    app.accept_instant_posts();
    let page = app.get(&format!("/posts/{SLUG}")).await;
    page.assert_lacks(&["id=\"consent\""]);
    let mut form = comment_fields("Ann Reader", "ann@example.org", "A question on a site that asks no consent.");
    form.retain(|(name, _)| name != "consent");
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let id = posted_comment_id(&app.post_form(&format!("/posts/{SLUG}/comments"), &form).await);
    assert_eq!(app.stored_comment(id).consent_version, None);
}

const WITH_DETAILS: &str = "Ann Reader here, DOB 12/03/1980. Call me on 07911 123456 about my magnesium dose?";

#[tokio::test]
async fn personal_details_are_shown_to_the_reader_before_anything_is_stored_and_removed_if_they_wish() {
    let app = spawn_app_with(|settings| settings.trust.country = "GB".into()).await;
    app.accept_instant_posts();
    let page = app.get(&format!("/posts/{SLUG}")).await;
    let mut form = comment_fields("Ann Reader", "ann@example.org", WITH_DETAILS);
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let warned = app.post_form(&format!("/posts/{SLUG}/comments"), &form).await;
    assert_eq!(warned.status, 422, "{}", warned.body);
    warned.assert_contains(&[
        "Found in your text",
        "your full name: <mark>Ann Reader</mark>",
        "a date of birth: <mark>12/03/1980</mark>",
        "a phone number: <mark>07911 123456</mark>",
        "Remove them for me and send",
        "Send as written",
    ]);
    warned.assert_form_keeps(&form);
    assert!(app.stored_comments().is_empty(), "nothing is stored before the reader chooses");

    set_field(&mut form, "personal", "remove");
    set_field(&mut form, "csrf_token", &csrf_token(&warned.body));
    let id = posted_comment_id(&app.post_form(&format!("/posts/{SLUG}/comments"), &form).await);
    assert_eq!(
        app.stored_comment(id).body_markdown,
        "[removed] here, DOB [removed]. Call me on [removed] about my magnesium dose?"
    );
}

#[tokio::test]
async fn details_sent_as_written_are_shown_to_the_desk_and_redacted_in_one_click() {
    let app = spawn_app_with(|settings| settings.trust.country = "GB".into()).await;
    app.accept_instant_posts();
    let page = app.get(&format!("/posts/{SLUG}")).await;
    let mut form = comment_fields("Ann Reader", "ann@example.org", WITH_DETAILS);
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    set_field(&mut form, "personal", "keep");
    let id = posted_comment_id(&app.post_form(&format!("/posts/{SLUG}/comments"), &form).await);
    assert_eq!(app.stored_comment(id).body_markdown, WITH_DETAILS, "kept as written, as asked");

    create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let desk = app.get("/admin/comments?status=pending").await;
    desk.assert_contains(&["Personal details:", "a phone number: <mark>07911 123456</mark>", "Redact"]);
    let form = fields(&[("csrf_token", &csrf_token(&desk.body)), ("return_to", "/admin/comments")]);
    assert_eq!(app.post_form(&format!("/admin/comments/{id}/redact"), &form).await.status, 303);
    let stored = app.stored_comment(id);
    assert!(
        !stored.body_markdown.contains("07911") && !stored.body_markdown.contains("1980"),
        "{}",
        stored.body_markdown
    );
    assert!(stored.redacted_at.is_some());
    let log = app.with_db(|conn| healthblog::db::log::page(conn, 0, 10)).expect("the log answers");
    let entry = log.iter().find(|e| e.action == LogAction::Redact).expect("the redaction is logged");
    assert!(entry.detail.contains("a phone number") && !entry.detail.contains("07911"), "{}", entry.detail);

    app.set_status(id, healthblog::domain::CommentStatus::Approved);
    let public = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    public.assert_contains(&["Edited to remove personal details", "about my magnesium dose?"]);
    public.assert_lacks(&["07911 123456"]);
}

#[tokio::test]
async fn the_check_while_typing_answers_what_sending_would_find_and_keeps_the_cached_pages() {
    let app = spawn_app_with(|settings| settings.trust.country = "GB".into()).await;
    let reader = new_browser();
    assert_eq!(get_with(&app, &reader, "/archive").await.status, 200);
    let kept = app.state.page_cache.kept_bytes();
    assert!(kept > 0);
    let check = |text: &str| {
        let form = fields(&[("body", text), ("author_name", "Ann Reader")]);
        let app = &app;
        async move { post_with(app, &new_browser(), "/comments/check", &form).await }
    };
    let urgent = check(URGENT).await;
    assert_eq!(urgent.status, 200);
    let json: serde_json::Value = serde_json::from_str(&urgent.body).expect("JSON");
    assert_eq!(json["safety"]["signs"][0]["title"], "A sudden, very severe headache");
    assert_eq!(json["safety"]["helplines"][0]["number"], "999");
    let json: serde_json::Value =
        serde_json::from_str(&check("I'm Ann Reader, ring 07911 123456").await.body).expect("JSON");
    assert_eq!(json["safety"], serde_json::Value::Null);
    let kinds: Vec<&str> =
        json["personal"].as_array().expect("a list").iter().filter_map(|f| f["kind"].as_str()).collect();
    assert_eq!(kinds, ["full-name", "phone"]);
    assert_eq!(app.state.page_cache.kept_bytes(), kept, "checking a text leaves the kept pages");
    assert!(app.stored_comments().is_empty());
}

#[tokio::test]
async fn the_doctor_is_warned_before_an_answer_that_says_the_reader_is_his_patient_is_published() {
    let app = spawn_app_with(|settings| settings.trust.country = "GB".into()).await;
    let question = app.insert_comment(SLUG, healthblog::domain::CommentStatus::Pending, "Ann");
    create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let desk = app.get("/admin/comments?status=pending").await;
    let answer = "As we discussed at your last visit, keep to 400 mg.";
    let mut form = fields(&[("csrf_token", &csrf_token(&desk.body)), ("body", answer), ("return_to", "/admin")]);
    let warned = app.post_form(&format!("/admin/comments/{question}/reply"), &form).await;
    assert_eq!(warned.status, 422, "{}", warned.body);
    warned.assert_contains(&[
        "Before this is public",
        "words that say the reader is your patient: <mark>your last visit</mark>",
        "Publish as written",
        answer,
    ]);
    let answers = || app.stored_comments().iter().filter(|c| c.parent_id == Some(question)).count();
    assert_eq!(answers(), 0, "nothing is published before he confirms");

    set_field(&mut form, "personal", "keep");
    assert_eq!(app.post_form(&format!("/admin/comments/{question}/reply"), &form).await.status, 303);
    assert_eq!(answers(), 1, "a warning, never a block");
}

#[tokio::test]
async fn an_answer_from_the_article_page_that_says_the_reader_is_a_patient_is_held_for_the_doctor_to_confirm() {
    let app = spawn_app_with(|settings| settings.trust.country = "GB".into()).await;
    app.accept_instant_posts();
    let question = app.insert_comment(SLUG, healthblog::domain::CommentStatus::Approved, "Ann");
    create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let page = app.get(&format!("/posts/{SLUG}?replyto={question}")).await;
    let text = "Your results from the clinic were fine; keep to 400 mg.";
    let mut form = fields(&[("body", text), ("parent_id", &question.to_string())]);
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let warned = app.post_form(&format!("/posts/{SLUG}/comments"), &form).await;
    assert_eq!(warned.status, 422, "{}", warned.body);
    warned.assert_contains(&[
        "Before this is public",
        "words that say the reader is your patient: <mark>Your results</mark>",
    ]);
    let answers = || app.stored_comments().iter().filter(|c| c.parent_id == Some(question)).count();
    assert_eq!(answers(), 0);

    set_field(&mut form, "personal", "keep");
    set_field(&mut form, "csrf_token", &csrf_token(&warned.body));
    assert_eq!(app.post_form(&format!("/posts/{SLUG}/comments"), &form).await.status, 303);
    assert_eq!(answers(), 1, "a warning, never a block");
}
