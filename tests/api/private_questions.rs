//! A private question to the doctor: "Only the doctor may read this". It is
//! on no public page, feed, count or export, before and after the doctor
//! acts on it; his answer reaches the asker by email and on their own page;
//! he may publish an anonymised version while the original stays private.

use healthblog::config::{MailSecurity, Settings};
use healthblog::db::log::LogAction;
use healthblog::domain::NoticeChoice;

use crate::admin::{
    answer, create_user, desk_token, fields, flash, get_with, location, log_entries, moderate, post_with, row_ids,
    sign_in, spawn_app_keeping_settings, AUTHOR, PASSWORD,
};
use crate::helpers::{
    comment_fields, csrf_token, field_error, is_checked, new_browser, set_field, CommentId, CommentStatus, Page,
    TestApp,
};
use crate::manage::manage_path;
use crate::smtp::SmtpServer;

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
const DOCTOR: &str = "doctor@clinic.test";
const ASKER: &str = "wren@example.org";
/// Words that appear only in the private question and the private answer.
const SECRET_QUESTION: &str = "Is Zorblaxine safe with magnesium after my kidney transplant?";
const SECRET_WORD: &str = "Zorblaxine";
const SECRET_NAME: &str = "Wren Quillfeather";
const SECRET_ANSWER: &str = "Ask your transplant team about Quantivorum dosing first.";
const SECRET_ANSWER_WORD: &str = "Quantivorum";

/// An app that mails through `smtp` to a doctor who asked to hear of
/// nothing; he is signed in with `app.client`.
async fn app_mailing(smtp: &SmtpServer) -> (TestApp, Settings) {
    let port = smtp.port;
    let (app, settings) = spawn_app_keeping_settings(move |settings: &mut Settings| {
        settings.mail.host = Some("127.0.0.1".into());
        settings.mail.port = port;
        settings.mail.security = MailSecurity::None;
        settings.mail.poll_seconds = 1;
        settings.mail.retry_seconds = 1;
    })
    .await;
    let doctor = create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    app.with_db(|conn| {
        healthblog::db::users::set_email(conn, AUTHOR, DOCTOR)?;
        healthblog::db::users::set_notify_on(conn, doctor, NoticeChoice::Questions)
    })
    .expect("the doctor's address and choice are stored");
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    app.accept_instant_posts();
    (app, settings)
}

/// The form of a private question, as a reader fills it in (no "email me":
/// a private question implies it).
fn private_fields(body: &str) -> Vec<(String, String)> {
    let mut form = comment_fields(SECRET_NAME, ASKER, body);
    set_field(&mut form, "private", "on");
    form
}

/// `reader` (a browser of their own) asks privately; the id, and the page
/// they are sent to.
async fn ask_privately(app: &TestApp, reader: &reqwest::Client, body: &str) -> (CommentId, Page) {
    let page = get_with(app, reader, &format!("/posts/{SLUG}")).await;
    let mut form = private_fields(body);
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let sent = post_with(app, reader, &format!("/posts/{SLUG}/comments"), &form).await;
    let target = location(&sent);
    let id = target
        .strip_prefix("/comments/private/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a private question's own page, not {target}"));
    (id, get_with(app, reader, &target).await)
}

/// Every public surface, as a stranger (and so the page cache) sees it.
async fn public_surfaces(app: &TestApp, id: CommentId) -> Vec<(String, Page)> {
    let paths = [
        format!("/posts/{SLUG}"),
        format!("/posts/{SLUG}/comments.xml"),
        format!("/posts/{SLUG}?comment={id}"),
        format!("/posts/{SLUG}?replyto={id}"),
        "/".to_owned(),
        "/feed.xml".to_owned(),
        "/sitemap.xml".to_owned(),
        "/tags/magnesium".to_owned(),
        "/tags/magnesium/feed.xml".to_owned(),
        "/archive".to_owned(),
        // Echoed back, the query would show itself: a word of the question
        // that is not one of the secret words.
        "/search?q=transplant".to_owned(),
        "/search?q=magnesium".to_owned(),
    ];
    let mut pages = Vec::new();
    for path in paths {
        let mut page = app.get_as_stranger(&path).await;
        // A link that names a comment leads on to its page of the discussion.
        if page.status == 302 {
            page = app.get_as_stranger(page.header("location")).await;
        }
        pages.push((path, page));
    }
    pages
}

/// The comment counts a page shows: on cards, in the article's heading and
/// in its structured data.
fn counts(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (marker, end) in
        [("class=\"comment-count\">", "<"), ("id=\"comments-heading\">", "<"), ("\"commentCount\":", ",")]
    {
        for (at, _) in body.match_indices(marker) {
            let rest = &body[at + marker.len()..];
            found.push(format!("{marker}{}", &rest[..rest.find(end).unwrap_or(rest.len())]));
        }
    }
    found
}

/// Asserts that no public surface shows any of `words`, and that each
/// counts the comments as `before` did.
#[track_caller]
fn assert_nothing_public(pages: &[(String, Page)], before: &[(String, Page)], words: &[&str], when: &str) {
    for (path, page) in pages {
        assert!(page.status < 400, "{path} answers ({when}): {}", page.status);
        for word in words {
            assert!(!page.body.contains(word), "{path} shows {word:?} {when}:\n{}", page.body);
        }
    }
    for ((path, page), (_, earlier)) in pages.iter().zip(before) {
        assert_eq!(counts(&page.body), counts(&earlier.body), "{path} counts the same {when}");
    }
    let article = &pages[0].1.body;
    assert!(article.contains("\"commentCount\":"), "the article's structured data counts its comments");
}

#[tokio::test]
async fn a_private_question_and_its_answer_appear_on_no_public_surface_whatever_the_doctor_does() {
    let smtp = SmtpServer::start();
    let (app, settings) = app_mailing(&smtp).await;
    // One public exchange already, so that counts show.
    let public = crate::admin::reader_comments(&app, SLUG, "Ann", "Which magnesium is gentlest?").await;
    app.set_status(public, CommentStatus::Approved);
    // The page cache is warm: every surface kept before the question.
    let before = public_surfaces(&app, CommentId(0)).await;
    public_surfaces(&app, CommentId(0)).await;

    let reader = new_browser();
    let (id, _) = ask_privately(&app, &reader, SECRET_QUESTION).await;
    let stored = app.stored_comment(id);
    assert_eq!(stored.status, CommentStatus::Private);
    assert!(stored.notify, "a private question is answered by email");
    let secrets = [SECRET_WORD, SECRET_NAME, SECRET_ANSWER_WORD];
    assert_nothing_public(&public_surfaces(&app, id).await, &before, &secrets, "once asked");
    // The asker's own browser sees the article as everyone does.
    let own = get_with(&app, &reader, &format!("/posts/{SLUG}")).await;
    assert!(!own.body.contains(SECRET_WORD), "the article shows the private question to its writer:\n{}", own.body);

    // Whatever the desk does to it, it stays private.
    for action in ["approve", "unapprove", "spam", "not-spam", "trash", "restore"] {
        let done = moderate(&app, id, action, "/admin/comments?status=private").await;
        assert_eq!(done.status, 303, "{action}");
        assert_eq!(app.stored_comment(id).status, CommentStatus::Private, "{action} leaves it private");
    }
    assert_nothing_public(&public_surfaces(&app, id).await, &before, &secrets, "after moderation");

    // The doctor answers it: the answer is private too.
    let answered = answer(&app, id, SECRET_ANSWER, "/admin/comments?status=private").await;
    assert_eq!(location(&answered), "/admin/comments?status=private");
    let answer_row = app.stored_comments().into_iter().find(|c| c.parent_id == Some(id)).expect("the answer");
    assert_eq!(answer_row.status, CommentStatus::Private);
    assert_eq!(app.stored_comment(id).status, CommentStatus::Private, "answering does not approve it");
    assert_nothing_public(&public_surfaces(&app, id).await, &before, &secrets, "after the answer");
    // Neither question nor answer is among the unanswered public ones, nor
    // answered in public.
    let desk = app.get("/admin/questions").await;
    assert!(!row_ids(&desk.body).contains(&id), "an answered private question is off the to-do list");

    // The WordPress export leaves both out, and says so.
    let folder = tempfile::tempdir().expect("a folder");
    let output = crate::export::export_command(&settings, folder.path(), &["wordpress"]);
    let xml = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(xml.contains("Which magnesium is gentlest?"), "the public question is exported");
    for word in secrets {
        assert!(!xml.contains(word), "the export holds {word:?}");
    }
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(report.contains("left out 2 private questions and answers"), "{report}");
}

#[tokio::test]
async fn the_asker_is_told_it_is_private_and_reads_the_doctors_answer_in_their_email_and_on_their_page() {
    let smtp = SmtpServer::start();
    let (app, _) = app_mailing(&smtp).await;
    let reader = new_browser();
    let (id, sent) = ask_privately(&app, &reader, SECRET_QUESTION).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    sent.assert_contains(&[
        "Your private question was sent",
        "only Dr. Alexander Mauskop can read it",
        "The answer comes by email",
        SECRET_WORD,
    ]);
    assert!(sent.header("cache-control").contains("no-store"), "{}", sent.header("cache-control"));
    // Nobody else can open that page.
    assert_eq!(app.get_as_stranger(&format!("/comments/private/{id}")).await.status, 404);

    // The doctor hears of it as a private question, with no public link.
    let to_doctor = smtp.wait_for(DOCTOR, 1).await;
    assert!(to_doctor[0].subject.contains("New private question from Wren Quillfeather"), "{}", to_doctor[0].subject);
    assert!(to_doctor[0].text.contains(SECRET_WORD), "{}", to_doctor[0].text);
    // The desk shows it, marked private, in its own tab, the inbox and the dashboard.
    let tab = app.get("/admin/comments?status=private").await;
    assert_eq!(row_ids(&tab.body), [id]);
    tab.assert_contains(&["Private: only you may read it", "Answer privately", "Publish an anonymised version"]);
    assert_eq!(row_ids(&app.get("/admin/questions?show=private").await.body), [id]);
    assert!(row_ids(&app.get("/admin/questions").await.body).contains(&id));
    assert_eq!(row_ids(&app.get("/admin/comments?status=pending").await.body), Vec::<CommentId>::new());
    app.get("/admin").await.assert_contains(&["<strong>1</strong> private"]);

    // The asker confirms their address (their first notice), then the answer goes out.
    let confirmation = smtp.wait_for(ASKER, 1).await;
    let link = confirmation[0].link("http://blog.test/mail/confirm/");
    let page = get_with(&app, &reader, &link).await;
    post_with(&app, &reader, &link, &fields(&[("csrf_token", &csrf_token(&page.body))])).await;
    let answered = answer(&app, id, SECRET_ANSWER, "/admin/comments?status=private").await;
    assert!(flash(&app.get(&location(&answered)).await).is_some_and(|f| f.contains("by email")));
    let mail = smtp.wait_for(ASKER, 2).await;
    let answer_mail = &mail[1];
    assert!(answer_mail.subject.contains("answered your private question"), "{}", answer_mail.subject);
    assert!(answer_mail.text.contains(SECRET_ANSWER_WORD), "{}", answer_mail.text);
    assert!(answer_mail.text.contains(SECRET_WORD), "the mail quotes the question:\n{}", answer_mail.text);
    assert!(!answer_mail.text.contains("#comment-"), "no public link:\n{}", answer_mail.text);

    // Their own page shows both, marked private.
    let own = app.get_as_stranger(&manage_path(ASKER)).await;
    own.assert_contains(&[
        SECRET_WORD,
        SECRET_ANSWER_WORD,
        "private: only the author can read it",
        "answered privately",
    ]);
}

#[tokio::test]
async fn an_urgent_private_question_shows_the_emergency_notice_sorts_first_and_mails_the_doctor_at_once() {
    let smtp = SmtpServer::start();
    let (app, _) = app_mailing(&smtp).await;
    app.with_db(|conn| {
        let doctor = healthblog::db::users::find_by_username(conn, AUTHOR)?.expect("the doctor").id;
        healthblog::db::users::set_notify_on(conn, doctor, NoticeChoice::Nothing)
    })
    .expect("the doctor hears of nothing");
    let (calm, _) = ask_privately(&app, &new_browser(), "Can I take magnesium with my thyroid tablet?").await;
    let urgent_text = "It came on in seconds an hour ago, the worst headache of my life, and now my neck is stiff \
                       and I have a fever of 39.";
    let (urgent, sent) = ask_privately(&app, &new_browser(), urgent_text).await;
    sent.assert_contains(&["Please don't wait for an answer", "Your private question was sent"]);
    assert!(app.stored_comment(urgent).urgent.is_some());
    let mail = smtp.wait_for(DOCTOR, 1).await;
    assert_eq!(mail.len(), 1, "only the urgent one is mailed to a doctor who asked for nothing");
    assert!(mail[0].text.contains("worst headache of my life"), "{}", mail[0].text);
    assert_eq!(row_ids(&app.get("/admin/comments?status=private").await.body), [urgent, calm]);
    assert_eq!(row_ids(&app.get("/admin/questions?show=private").await.body), [urgent, calm]);
}

#[tokio::test]
async fn a_private_question_with_a_bad_email_comes_back_with_every_field_kept() {
    let smtp = SmtpServer::start();
    let (app, _) = app_mailing(&smtp).await;
    let reader = new_browser();
    let page = get_with(&app, &reader, &format!("/posts/{SLUG}")).await;
    let mut form = private_fields(SECRET_QUESTION);
    set_field(&mut form, "author_email", "wren@example");
    set_field(&mut form, "author_url", "https://wren.example.org");
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let refused = post_with(&app, &reader, &format!("/posts/{SLUG}/comments"), &form).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    refused.assert_form_keeps(&form);
    assert!(is_checked(&refused.body, "private"), "the private choice is kept");
    assert!(field_error(&refused.body, "author_email").is_some(), "the address is marked");
    assert!(app.stored_comments().is_empty(), "nothing is stored");
}

#[tokio::test]
async fn the_doctor_publishes_an_anonymised_version_and_the_original_stays_private() {
    let smtp = SmtpServer::start();
    let (app, _) = app_mailing(&smtp).await;
    let (id, _) = ask_privately(&app, &new_browser(), SECRET_QUESTION).await;
    assert_eq!(answer(&app, id, SECRET_ANSWER, "/admin").await.status, 303);

    let form = app.get(&format!("/admin/comments/{id}/anonymise")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains(SECRET_WORD) && form.body.contains(SECRET_ANSWER_WORD), "both texts to edit");
    let token = desk_token(&app).await;
    let anonymised_question = "Is a new supplement safe with magnesium after an organ transplant?";
    let anonymised_answer = "Check with your transplant team before adding anything.";
    let path = format!("/admin/comments/{id}/anonymise");

    // An empty answer comes back with both texts kept.
    let refused = app
        .post_form(&path, &fields(&[("question", anonymised_question), ("answer", " "), ("csrf_token", &token)]))
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(anonymised_question), "the question is kept");
    assert!(field_error(&refused.body, "answer").is_some(), "the answer is marked");

    let published = app
        .post_form(
            &path,
            &fields(&[("question", anonymised_question), ("answer", anonymised_answer), ("csrf_token", &token)]),
        )
        .await;
    assert_eq!(location(&published), "/admin/comments?status=private");

    let article = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    article.assert_contains(&[anonymised_question, anonymised_answer, "A reader"]);
    article.assert_lacks(&[SECRET_WORD, SECRET_ANSWER_WORD, SECRET_NAME]);
    let stored = app.stored_comments();
    let copy = stored.iter().find(|c| c.body_markdown == anonymised_question).expect("the public question");
    assert_eq!(
        (copy.status, copy.author_name.as_str(), copy.author_email.as_str()),
        (CommentStatus::Approved, "A reader", "")
    );
    let reply = stored.iter().find(|c| c.body_markdown == anonymised_answer).expect("the public answer");
    assert_eq!(
        (reply.status, reply.parent_id, reply.user_id.is_some()),
        (CommentStatus::Approved, Some(copy.id), true)
    );
    assert_eq!(app.stored_comment(id).status, CommentStatus::Private, "the original stays private");
    let logged = log_entries(&app);
    let entry = logged.iter().find(|e| e.action == LogAction::PublishAnonymised).expect("in the log");
    assert_eq!(entry.comment_id, Some(id));
}

#[tokio::test]
async fn the_asker_edits_their_private_question_and_it_stays_private() {
    let smtp = SmtpServer::start();
    let (app, _) = app_mailing(&smtp).await;
    let reader = new_browser();
    let (id, _) = ask_privately(&app, &reader, SECRET_QUESTION).await;
    let edit = format!("{}/comments/{id}/edit", manage_path(ASKER));
    let form = get_with(&app, &reader, &edit).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let changed = "Is Zorblaxine safe with magnesium two years after a kidney transplant?";
    let saved =
        post_with(&app, &reader, &edit, &fields(&[("body", changed), ("csrf_token", &csrf_token(&form.body))])).await;
    assert!(location(&saved).ends_with("?done=edited"), "not told it waits for approval: {}", location(&saved));
    let stored = app.stored_comment(id);
    assert_eq!((stored.status, stored.body_markdown.as_str()), (CommentStatus::Private, changed));
    app.get_as_stranger(&format!("/posts/{SLUG}")).await.assert_lacks(&[SECRET_WORD]);
}
