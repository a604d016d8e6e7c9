//! Email, delivered to a real SMTP server on loopback and read back: the
//! doctor hears of questions, the asker of the answer (once, after
//! confirming the address), every notice can be stopped in one click, and
//! nothing is lost or doubled while the mail server is down.

use diesel::prelude::*;
use healthblog::config::{MailSecurity, Settings};
use healthblog::db::schema::outbox;

use crate::admin::{answer, create_user, fields, sign_in, AUTHOR, PASSWORD};
use crate::helpers::{
    click, comment_fields, csrf_token, posted_comment_id, set_field, spawn_app_with, type_into, CommentId, TestApp,
};
use crate::smtp::SmtpServer;

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
const DOCTOR: &str = "doctor@clinic.test";
const READER: &str = "reader@example.org";

fn mail_to(smtp: &SmtpServer) -> impl FnOnce(&mut Settings) {
    let port = smtp.port;
    move |settings: &mut Settings| {
        settings.mail.host = Some("127.0.0.1".into());
        settings.mail.port = port;
        settings.mail.security = MailSecurity::None;
        settings.mail.poll_seconds = 1;
        settings.mail.retry_seconds = 1;
    }
}

/// An app that mails through `smtp`, whose author gets every question at
/// `DOCTOR` and is signed in with `app.client`.
async fn app_mailing(smtp: &SmtpServer) -> TestApp {
    let app = spawn_app_with(mail_to(smtp)).await;
    create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    app.with_db(|conn| healthblog::db::users::set_email(conn, AUTHOR, DOCTOR)).expect("the address is stored");
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    app.accept_instant_posts();
    app
}

/// A reader (a browser of their own) asks on `SLUG`, ticking "email me".
async fn ask(app: &TestApp, reader: &reqwest::Client, body: &str) -> CommentId {
    let page = crate::admin::get_with(app, reader, &format!("/posts/{SLUG}")).await;
    let mut form = comment_fields("Ann Reader", READER, body);
    set_field(&mut form, "notify", "on");
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    posted_comment_id(&crate::admin::post_with(app, reader, &format!("/posts/{SLUG}/comments"), &form).await)
}

/// Opens a link from an email in `browser` and presses its button.
async fn follow_and_press(app: &TestApp, browser: &reqwest::Client, link: &str) -> crate::helpers::Page {
    let page = crate::admin::get_with(app, browser, link).await;
    assert_eq!(page.status, 200, "the link opens a page:\n{}", page.body);
    crate::admin::post_with(app, browser, link, &fields(&[("csrf_token", &csrf_token(&page.body))])).await
}

/// The "Answer" link of the doctor's notice of a question, opened on his
/// phone: a browser without a desk session.
struct AnswerLink {
    question: CommentId,
    link: String,
    phone: reqwest::Client,
    page: crate::helpers::Page,
}

/// A reader asks `text` on `SLUG`; the doctor opens the "Answer" link of
/// the notice he gets on his phone.
async fn answer_link_on_phone(app: &TestApp, smtp: &SmtpServer, text: &str) -> AnswerLink {
    let reader = crate::helpers::new_browser();
    let question = ask(app, &reader, text).await;
    let link = smtp.wait_for(DOCTOR, 1).await[0].link_after("Answer: ");
    let phone = crate::helpers::new_browser();
    let page = crate::admin::get_with(app, &phone, &link).await;
    AnswerLink { question, link, phone, page }
}

impl AnswerLink {
    /// Sends `fields` (an answer, its form token…) to `path` from the phone.
    async fn send(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> crate::helpers::Page {
        crate::admin::post_with(app, &self.phone, path, &fields(form)).await
    }

    /// How many answers the question has.
    fn answers(&self, app: &TestApp) -> usize {
        app.stored_comments().iter().filter(|c| c.parent_id == Some(self.question)).count()
    }
}

fn unsent(app: &TestApp) -> i64 {
    app.with_db(|conn| outbox::table.filter(outbox::sent_at.is_null()).count().get_result(conn))
        .expect("the outbox answers")
}

/// A reader with a browser of their own asks `body` on `SLUG` at `address`
/// (one instance of the site), without asking for notices; it is taken.
async fn ask_at(address: &str, name: &str, email: &str, body: &str) {
    let reader = crate::helpers::new_browser();
    let page = reader.get(format!("{address}/posts/{SLUG}")).send().await.expect("GET").text().await.expect("a page");
    let mut form = comment_fields(name, email, body);
    set_field(&mut form, "csrf_token", &csrf_token(&page));
    let posted = reader.post(format!("{address}/posts/{SLUG}/comments")).form(&form).send().await.expect("POST");
    assert_eq!(posted.status().as_u16(), 303, "{name}'s question is taken at {address}");
}

/// The site run as a process of its own, so that a test can kill it (-9)
/// and start it again on the same data. It mails through an SMTP server,
/// and its author gets every question at `DOCTOR`.
struct OwnProcess {
    data: tempfile::TempDir,
    database_url: String,
    /// The mail settings, as `HEALTHBLOG_MAIL__*` variables.
    mail: Vec<(&'static str, String)>,
    pool: healthblog::db::DbPool,
}

impl OwnProcess {
    /// Starts the site mailing through `smtp` (with `more_mail` settings),
    /// and creates the author's account.
    fn start(smtp: &SmtpServer, more_mail: &[(&'static str, &str)]) -> (Self, crate::server::Server) {
        use healthblog::db::{self, DatabaseUrl};

        let data = tempfile::tempdir().expect("a data folder");
        let database_url = match crate::helpers::fresh_database_url(data.path()) {
            url if url.starts_with("sqlite://") => crate::server::Server::sqlite_url(data.path()),
            url => url,
        };
        let mut mail = vec![
            ("HEALTHBLOG_MAIL__HOST", "127.0.0.1".to_owned()),
            ("HEALTHBLOG_MAIL__PORT", smtp.port.to_string()),
            ("HEALTHBLOG_MAIL__SECURITY", "none".to_owned()),
            ("HEALTHBLOG_MAIL__POLL_SECONDS", "1".to_owned()),
        ];
        mail.extend(more_mail.iter().map(|&(name, value)| (name, value.to_owned())));
        let server = serve(data.path(), &database_url, &mail);
        let pool = db::connect(&DatabaseUrl::parse(&database_url).expect("a URL"), 2).expect("a pool");
        {
            let mut conn = pool.get().expect("a connection");
            db::settings::save(&mut conn, "min_seconds_to_submit", "0").expect("the rule is stored");
            let role = healthblog::domain::Role::Author;
            healthblog::auth::accounts::create(&mut conn, AUTHOR, "Dr. Test", role, PASSWORD)
                .expect("the account is created");
            db::users::set_email(&mut conn, AUTHOR, DOCTOR).expect("the address is stored");
        }
        (Self { data, database_url, mail, pool }, server)
    }

    /// The site started again on the same data, after it was killed.
    fn restart(&self) -> crate::server::Server {
        serve(self.data.path(), &self.database_url, &self.mail)
    }
}

fn serve(data: &std::path::Path, database_url: &str, mail: &[(&'static str, String)]) -> crate::server::Server {
    let mail: Vec<(&str, &str)> = mail.iter().map(|(name, value)| (*name, value.as_str())).collect();
    crate::server::Server::start_with(&crate::helpers::repo_path("content"), data, database_url, &mail)
}

#[tokio::test]
async fn the_doctor_hears_of_a_question_and_the_asker_of_the_answer_once() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let reader = crate::helpers::new_browser();
    let question = ask(&app, &reader, "Does magnesium glycinate upset the stomach less?").await;

    let to_doctor = smtp.wait_for(DOCTOR, 1).await;
    let notice = &to_doctor[0];
    assert!(notice.subject.contains("New question from Ann Reader"), "{}", notice.subject);
    assert!(notice.text.contains("Does magnesium glycinate upset the stomach less?"), "{}", notice.text);
    assert!(!notice.html.is_empty(), "an HTML part too");
    assert!(notice.text.contains("http://blog.test/admin/comments?status="), "a link to the desk:\n{}", notice.text);
    assert!(notice.header("In-Reply-To").is_some_and(|v| v.contains(SLUG)), "threads by article");

    // The asker's address is confirmed once; nothing else went to it before.
    let confirmation = smtp.wait_for(READER, 1).await;
    assert!(confirmation[0].subject.contains("Please confirm"), "{}", confirmation[0].subject);
    let confirmed = follow_and_press(&app, &reader, &confirmation[0].link("http://blog.test/mail/confirm/")).await;
    assert_eq!(confirmed.status, 200);
    confirmed.assert_contains(&["Notices confirmed"]);

    let page = answer(&app, question, "Usually, yes: glycinate is gentler than oxide.", "/admin").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let to_reader = smtp.wait_for(READER, 2).await;
    let answered = &to_reader[1];
    assert!(answered.subject.contains("Dr. Test answered your question"), "{}", answered.subject);
    assert!(answered.text.contains("Usually, yes: glycinate is gentler than oxide."), "{}", answered.text);
    assert_eq!(answered.header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    let unsubscribe = answered.header("List-Unsubscribe").expect("a List-Unsubscribe header");
    let unsubscribe = unsubscribe.trim_matches(['<', '>']).trim_start_matches("http://blog.test");

    // A mail client's one-click unsubscribe (RFC 8058): no page, no cookie.
    let one_click = app
        .stranger()
        .post(format!("{}{unsubscribe}", app.address))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("the POST is answered");
    assert_eq!(one_click.status().as_u16(), 200);

    // A second answer in that thread is not mailed; a later question to the
    // doctor is, so the sender has passed the answer by when it arrives.
    answer(&app, question, "One more thing: take it with food.", "/admin").await;
    ask(&app, &reader, "And what about magnesium threonate?").await;
    smtp.wait_for(DOCTOR, 2).await;
    assert_eq!(smtp.wait_for(READER, 2).await.len(), 2, "nothing more to the reader after unsubscribing");
    assert!(!app.stored_comment(question).notify, "the thread's notices are off");
}

/// A reader asks on `SLUG` and confirms notices, and the doctor answers:
/// the question, and the `List-Unsubscribe` address of the answer's email
/// (a path). The reader has had two emails, the doctor one.
async fn answered_with_unsubscribe_link(app: &TestApp, smtp: &SmtpServer) -> (CommentId, String) {
    let reader = crate::helpers::new_browser();
    let question = ask(app, &reader, "Does magnesium glycinate upset the stomach less?").await;
    let confirmation = smtp.wait_for(READER, 1).await;
    let confirmed = follow_and_press(app, &reader, &confirmation[0].link("http://blog.test/mail/confirm/")).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    answer(app, question, "Usually, yes: glycinate is gentler than oxide.", "/admin").await;
    let answered = smtp.wait_for(READER, 2).await;
    let unsubscribe = answered[1].header("List-Unsubscribe").expect("a List-Unsubscribe header");
    (question, unsubscribe.trim_matches(['<', '>']).trim_start_matches("http://blog.test").to_owned())
}

/// POSTs `body` to `path` as a mail client does: no cookie, no form token.
async fn post_as_mail_client(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> crate::helpers::Page {
    let response = app
        .stranger()
        .post(format!("{}{path}", app.address))
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("the POST is answered");
    crate::helpers::read(response).await
}

#[tokio::test]
async fn a_mail_clients_one_click_unsubscribe_sent_as_multipart_form_data_stops_the_notices() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let (question, unsubscribe) = answered_with_unsubscribe_link(&app, &smtp).await;

    // RFC 8058 asks mail clients to send multipart/form-data.
    let (content_type, body) = crate::media::multipart(&[("List-Unsubscribe", "One-Click")], &[]);
    let one_click = post_as_mail_client(&app, &unsubscribe, &content_type, body).await;
    assert_eq!(one_click.status, 200, "{}", one_click.body);
    assert!(!app.stored_comment(question).notify, "the thread's notices are off");

    // A second answer is not mailed; a later question to the doctor is, so
    // the sender has passed the answer by when it arrives.
    answer(&app, question, "One more thing: take it with food.", "/admin").await;
    ask(&app, &crate::helpers::new_browser(), "And what about magnesium threonate?").await;
    smtp.wait_for(DOCTOR, 2).await;
    assert_eq!(smtp.wait_for(READER, 2).await.len(), 2, "nothing more to the reader after unsubscribing");
}

#[tokio::test]
async fn a_multipart_post_without_the_one_click_field_or_a_token_or_unreadable_stops_nothing() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let (question, unsubscribe) = answered_with_unsubscribe_link(&app, &smtp).await;

    // Other fields, no token: as the same fields urlencoded, the page asks
    // to press its button.
    let (content_type, body) = crate::media::multipart(&[("List-Unsubscribe", "Later"), ("junk", "x")], &[]);
    let refused = post_as_mail_client(&app, &unsubscribe, &content_type, body).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    refused.assert_contains(&["Please press the button again"]);

    // Bodies that cannot be read are refused whole, even with the field.
    let (content_type, body) = crate::media::multipart(&[("List-Unsubscribe", "One-Click")], &[]);
    let malformed: [(&str, Vec<u8>); 4] = [
        ("multipart/form-data", body.clone()),
        (&content_type, b"List-Unsubscribe=One-Click".to_vec()),
        (&content_type, Vec::new()),
        // Cut short of its closing boundary: the whole body has come, and
        // the answer does not wait for the rest.
        (&content_type, body[..body.len() - 8].to_vec()),
    ];
    for (content_type, body) in malformed {
        let page = post_as_mail_client(&app, &unsubscribe, content_type, body).await;
        assert_eq!(page.status, 400, "{content_type}: {}", page.body);
    }
    let (content_type, body) =
        crate::media::multipart(&[("List-Unsubscribe", "One-Click"), ("junk", &"x".repeat(10_000))], &[]);
    assert_eq!(post_as_mail_client(&app, &unsubscribe, &content_type, body).await.status, 413);

    assert!(app.stored_comment(question).notify, "the thread's notices are still on");
    answer(&app, question, "One more thing: take it with food.", "/admin").await;
    assert_eq!(smtp.wait_for(READER, 3).await.len(), 3, "the next answer reaches the reader");
}

#[tokio::test]
async fn without_confirmation_no_notice_is_sent_and_after_it_the_answer_goes_out() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let reader = crate::helpers::new_browser();
    let question = ask(&app, &reader, "Can teenagers take riboflavin for migraine?").await;
    let confirmation = smtp.wait_for(READER, 1).await;

    answer(&app, question, "Yes, at the doses studied in adults.", "/admin").await;
    let held: i64 = app
        .with_db(|conn| outbox::table.filter(outbox::held.eq(true)).count().get_result(conn))
        .expect("the outbox answers");
    assert_eq!(held, 1, "the answer's notice waits for the confirmation");
    // A later notice to the doctor is delivered: the held one was passed by.
    ask(&app, &reader, "And for children under twelve?").await;
    smtp.wait_for(DOCTOR, 2).await;
    assert_eq!(smtp.wait_for(READER, 1).await.len(), 1, "only the confirmation reached the reader");

    // Opening the link is not confirming (a link scanner must not act).
    let link = confirmation[0].link("http://blog.test/mail/confirm/");
    crate::admin::get_with(&app, &reader, &link).await;
    assert_eq!(held, 1);
    follow_and_press(&app, &reader, &link).await;
    let to_reader = smtp.wait_for(READER, 2).await;
    assert!(to_reader[1].text.contains("Yes, at the doses studied in adults."), "{}", to_reader[1].text);
}

#[tokio::test]
async fn messages_queued_while_the_mail_server_is_down_are_each_delivered_once_when_it_is_back() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let mut smtp = SmtpServer::down();
    let app = app_mailing(&smtp).await;
    let reader = crate::helpers::new_browser();
    for n in 0..3 {
        // Mail being down never refuses a comment.
        ask(&app, &reader, &format!("Question number {n} about magnesium and sleep?")).await;
    }
    // Every notice was tried and failed, and waits for another try.
    let tried = || -> i64 {
        app.with_db(|conn| {
            outbox::table.filter(outbox::attempts.gt(0)).filter(outbox::last_error.ne("")).count().get_result(conn)
        })
        .expect("the outbox answers")
    };
    crate::helpers::eventually!(
        std::time::Duration::from_secs(20),
        "the sender tries while the server is down",
        (tried() >= 4).then_some(())
    );
    assert_eq!(unsent(&app), 4, "three notices to the doctor and one confirmation wait");

    smtp.resume();
    let to_doctor = smtp.wait_for(DOCTOR, 3).await;
    smtp.wait_for(READER, 1).await;
    crate::helpers::eventually!(
        std::time::Duration::from_secs(20),
        "the outbox empties",
        (unsent(&app) == 0).then_some(())
    );
    assert_eq!(smtp.delivered().len(), 4, "each message once");
    let mut subjects: Vec<&str> = to_doctor.iter().map(|m| m.text.as_str()).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 3, "three different questions");
}

#[tokio::test]
async fn the_doctors_one_click_approve_asks_first_and_works_once() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    app.set_rule("moderation_policy", "hold_all");
    let reader = crate::helpers::new_browser();
    let question = ask(&app, &reader, "Is 400 mg of magnesium too much for a pregnant woman?").await;
    let notice = &smtp.wait_for(DOCTOR, 1).await[0];
    let approve = notice.link("http://blog.test/mail/act/");

    // The doctor's phone has no desk session: a fresh browser.
    let phone = crate::helpers::new_browser();
    let page = crate::admin::get_with(&app, &phone, &approve).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains(&["Approve this comment?", "Is 400 mg of magnesium too much"]);
    assert_eq!(app.stored_comment(question).status, crate::helpers::CommentStatus::Pending, "opening is not acting");

    let done =
        crate::admin::post_with(&app, &phone, &approve, &fields(&[("csrf_token", &csrf_token(&page.body))])).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(app.stored_comment(question).status, crate::helpers::CommentStatus::Approved);
    let again =
        crate::admin::post_with(&app, &phone, &approve, &fields(&[("csrf_token", &csrf_token(&page.body))])).await;
    assert_eq!(again.status, 410, "a second use is refused:\n{}", again.body);

    let mut tampered = approve.clone();
    tampered.replace_range(tampered.len() - 2.., if approve.ends_with("00") { "11" } else { "00" });
    assert_eq!(crate::admin::get_with(&app, &phone, &tampered).await.status, 404);
}

#[tokio::test]
async fn two_instances_on_one_database_deliver_each_message_once() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let mut smtp = SmtpServer::down();
    let (a, settings) = crate::admin::spawn_app_keeping_settings(mail_to(&smtp)).await;
    let b = crate::admin::instances::second_instance(&settings).await;
    create_user(&a, AUTHOR, "Dr. Test", PASSWORD);
    a.with_db(|conn| healthblog::db::users::set_email(conn, AUTHOR, DOCTOR)).expect("the address is stored");
    a.accept_instant_posts();
    a.set_rule("rate_limit_per_minute", "1000");
    const QUESTIONS: usize = 12;
    for n in 0..QUESTIONS {
        // Half the readers reach one instance, half the other.
        let address = if n % 2 == 0 { &a.address } else { &b };
        ask_at(address, &format!("Reader {n}"), &format!("reader{n}@example.org"), &format!("Question {n}?")).await;
    }
    // Both senders find the whole backlog waiting when the server comes up.
    smtp.resume();
    smtp.wait_for(DOCTOR, QUESTIONS).await;
    crate::helpers::eventually!(
        std::time::Duration::from_secs(20),
        "the outbox empties",
        (unsent(&a) == 0).then_some(())
    );
    let delivered = smtp.delivered();
    let mut ids: Vec<&str> = delivered.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((delivered.len(), ids.len()), (QUESTIONS, QUESTIONS), "each message once");
}

#[tokio::test]
async fn a_message_committed_before_a_kill_9_is_delivered_after_the_restart() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let mut smtp = SmtpServer::down();
    // Long enough that the server is killed before it tries again.
    let (site, server) = OwnProcess::start(&smtp, &[("HEALTHBLOG_MAIL__RETRY_SECONDS", "5")]);
    // The comment is taken while mail is down.
    ask_at(&server.address, "Ann Reader", READER, "Is magnesium safe with kidney stones?").await;

    // The server tried, failed and recorded it; then it dies. (A server
    // killed in the middle of a delivery leaves its claim, which the next
    // sender takes over when the two-minute lease runs out.)
    let tried = || -> i64 {
        let mut conn = site.pool.get().expect("a connection");
        outbox::table
            .filter(outbox::last_error.ne(""))
            .filter(outbox::lease_until.is_null())
            .count()
            .get_result(&mut conn)
            .expect("the outbox answers")
    };
    crate::helpers::eventually!(std::time::Duration::from_secs(20), "the sender tries", (tried() > 0).then_some(()));
    drop(server); // SIGKILL

    smtp.resume();
    let _restarted = site.restart();
    let delivered = smtp.wait_for(DOCTOR, 1).await;
    assert!(delivered[0].text.contains("Is magnesium safe with kidney stones?"), "{}", delivered[0].text);
}

#[tokio::test]
async fn a_notice_the_mail_server_took_is_not_sent_again_after_a_kill_9_while_it_hangs_up() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    const FIRST: &str = "Does magnesium help restless legs?";
    const SECOND: &str = "And at what time of day?";
    let mut smtp = SmtpServer::slow_to_quit();
    let (site, server) = OwnProcess::start(&smtp, &[]);
    let recorded_sent = || -> i64 {
        let mut conn = site.pool.get().expect("a connection");
        outbox::table.filter(outbox::sent_at.is_not_null()).count().get_result(&mut conn).expect("the outbox answers")
    };

    ask_at(&server.address, "Ann Reader", READER, FIRST).await;
    smtp.wait_for(DOCTOR, 1).await;
    // The server has the message; the sender either recorded it or is
    // waiting for the server's goodbye, which never comes. It dies there.
    crate::helpers::eventually!(
        std::time::Duration::from_secs(20),
        "the sender goes on after the server's OK",
        (recorded_sent() > 0 || smtp.quits_asked() > 0).then_some(())
    );
    drop(server); // SIGKILL
                  // Two minutes on, the lease of a sender that died runs out.
    {
        let mut conn = site.pool.get().expect("a connection");
        diesel::update(outbox::table.filter(outbox::lease_until.is_not_null()))
            .set(outbox::lease_until.eq(healthblog::db::now() - chrono::Duration::seconds(1)))
            .execute(&mut conn)
            .expect("the lease is over");
    }

    smtp.restart_answering_quit();
    let restarted = site.restart();
    ask_at(&restarted.address, "Ann Reader", READER, SECOND).await;
    // Messages go out in the order they were queued: once the second
    // question's notice is in, the first one was sent again or never will be.
    let mut count = 2;
    let delivered = loop {
        let delivered = smtp.wait_for(DOCTOR, count).await;
        if delivered.iter().any(|m| m.text.contains(SECOND)) {
            break delivered;
        }
        count += 1;
    };
    let first = delivered.iter().filter(|m| m.text.contains(FIRST)).count();
    assert_eq!(first, 1, "the first question's notice reached the doctor once");
}

#[tokio::test]
async fn without_a_mail_server_messages_are_written_as_files_and_the_desk_says_so() {
    let (app, settings) = crate::admin::spawn_app_keeping_settings(|s| s.mail.poll_seconds = 1).await;
    create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    app.with_db(|conn| healthblog::db::users::set_email(conn, AUTHOR, DOCTOR)).expect("the address is stored");
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    app.accept_instant_posts();
    let reader = crate::helpers::new_browser();
    ask(&app, &reader, "Where do these notices go?").await;

    let folder = settings.data_dir.join("mail");
    let files = crate::helpers::eventually!(std::time::Duration::from_secs(20), "the two messages are written", {
        let files: Vec<String> = std::fs::read_dir(&folder)
            .map(|entries| {
                entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
            })
            .unwrap_or_default();
        (files.iter().filter(|f| f.ends_with(".eml")).count() >= 2).then_some(files)
    });
    let notice = files.iter().find(|f| f.ends_with("new-comment.eml")).expect("the doctor's notice as a file");
    let text = std::fs::read_to_string(folder.join(notice)).expect("the file is readable");
    assert!(text.contains(&format!("To: {DOCTOR}")), "{text}");
    let desk = app.get("/admin/mail").await;
    desk.assert_contains(&["no mail server is configured", "[mail] host"]);
}

#[tokio::test]
async fn in_chromium_a_reader_asks_for_notices_confirms_and_follows_the_answer_from_the_email() {
    crate::helpers::require!("TEST_SMTP_PYTHON", "TEST_WEBDRIVER_URL");
    use fantoccini::Locator;

    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let browser = crate::helpers::Browser::open().await;
    let client = &browser.client;
    client.goto(&format!("{}/posts/{SLUG}", app.address)).await.expect("the article opens");
    for (id, text) in
        [("author_name", "Ann Reader"), ("author_email", READER), ("body", "Should I take magnesium at night?")]
    {
        type_into(client, id, text).await;
    }
    click(client, "#notify").await;
    click(client, "#consent").await;
    click(client, "form.comment-form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".moderation-notice")).await.expect("the comment is taken");

    let confirmation = smtp.wait_for(READER, 1).await;
    let link = confirmation[0].link("http://blog.test/mail/confirm/");
    client.goto(&format!("{}{link}", app.address)).await.expect("the confirmation page opens");
    let button = client.find(Locator::Css("form.comment-form button[type=submit]")).await.expect("the button");
    assert_eq!(button.text().await.expect("text"), "Yes, send me notices");
    button.click().await.expect("pressed");
    client
        .wait()
        .for_element(Locator::XPath("//h1[text()='Notices confirmed']"))
        .await
        .expect("the address is confirmed");

    let question = app.stored_comments()[0].id;
    answer(&app, question, "Yes: in the evening it may also help you sleep.", "/admin").await;
    let answered = &smtp.wait_for(READER, 2).await[1];
    let link = answered.link("http://blog.test/posts/");
    client.goto(&format!("{}{link}", app.address)).await.expect("the answer's link opens");
    let answer_id = app.stored_comments().iter().find(|c| c.parent_id == Some(question)).expect("the answer").id;
    let shown = client
        .find(Locator::Css(&format!("#comment-{answer_id} .comment-body")))
        .await
        .expect("the answer is on the page");
    assert_eq!(shown.text().await.expect("text"), "Yes: in the evening it may also help you sleep.");
    browser.close().await;
}

#[tokio::test]
async fn a_doctor_who_chose_the_daily_digest_gets_one_email_listing_the_days_comments() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    use healthblog::db::schema::users;

    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    app.with_db(|conn| healthblog::db::users::set_email(conn, AUTHOR, DOCTOR)).expect("the address is stored");
    // Until now the doctor heard of nothing: arrange a day's comments.
    app.with_db(|conn| {
        diesel::update(users::table).set(users::notify_on.eq(healthblog::domain::NoticeChoice::Nothing)).execute(conn)
    })
    .expect("the choice is stored");
    app.insert_comment(SLUG, crate::helpers::CommentStatus::Pending, "Bea");
    let carl = app.insert_comment(SLUG, crate::helpers::CommentStatus::Approved, "Carl");
    // An answer of his from long ago is due for review.
    let doctor = app.with_db(|conn| users::table.select(users::id).first(conn)).expect("the doctor's account");
    crate::answers::staff_answer(&app, doctor, carl, "An answer from long ago.", 2000);
    // The doctor chose the digest yesterday: today's is due.
    let yesterday = healthblog::db::now() - chrono::Duration::hours(25);
    app.with_db(|conn| {
        diesel::update(users::table)
            .set((
                users::notify_on.eq(healthblog::domain::NoticeChoice::Digest),
                users::digest_sent_at.eq(Some(yesterday)),
            ))
            .execute(conn)
    })
    .expect("the choice is stored");
    let digest = &smtp.wait_for(DOCTOR, 1).await[0];
    assert!(digest.subject.starts_with("2 new comments on "), "{}", digest.subject);
    assert!(digest.text.contains("Bea on") && digest.text.contains("Carl on"), "{}", digest.text);
    assert!(digest.text.contains("1 waiting for your approval"), "{}", digest.text);
    assert!(
        digest.text.contains("1 of your answers is due for review: http://blog.test/admin/answers/review"),
        "{}",
        digest.text
    );
    // A later notice proves the sender went round again without a second digest.
    let reader = crate::helpers::new_browser();
    ask(&app, &reader, "Is there a magnesium spray?").await;
    smtp.wait_for(READER, 1).await;
    assert_eq!(smtp.wait_for(DOCTOR, 1).await.len(), 1, "one digest a day, and no instant notice");
}

#[tokio::test]
async fn an_address_the_mail_server_refuses_is_given_up_at_once_and_shown_in_the_desk() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    app.with_db(|conn| healthblog::db::users::set_email(conn, AUTHOR, "nobody@clinic.test")).expect("stored");
    let reader = crate::helpers::new_browser();
    ask(&app, &reader, "Does this reach anyone?").await;
    smtp.wait_for(READER, 1).await;
    let failed = crate::helpers::eventually!(std::time::Duration::from_secs(20), "the message is given up", {
        let failed: Vec<(i32, String)> = app
            .with_db(|conn| {
                outbox::table
                    .filter(outbox::failed_at.is_not_null())
                    .select((outbox::attempts, outbox::last_error))
                    .load(conn)
            })
            .expect("the outbox answers");
        (!failed.is_empty()).then_some(failed)
    });
    assert_eq!(failed[0].0, 1, "a permanent refusal is not tried again");
    assert!(failed[0].1.contains("no such mailbox"), "{}", failed[0].1);
    let desk = app.get("/admin/mail").await;
    desk.assert_contains(&["Not delivered", "nobody@clinic.test", "no such mailbox"]);
    app.get("/admin/log").await.assert_contains(&["mail-failed"]);
}

#[tokio::test]
async fn another_readers_reply_is_mailed_only_to_those_who_ticked_the_second_box() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    app.set_rule("moderation_policy", "approve_all");
    let asker = crate::helpers::new_browser();
    let page = crate::admin::get_with(&app, &asker, &format!("/posts/{SLUG}")).await;
    let mut form = comment_fields("Ann Reader", READER, "Which form of magnesium do you all take?");
    set_field(&mut form, "notify", "on");
    set_field(&mut form, "notify_replies", "on");
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    let question =
        posted_comment_id(&crate::admin::post_with(&app, &asker, &format!("/posts/{SLUG}/comments"), &form).await);
    let confirmation = smtp.wait_for(READER, 1).await;
    follow_and_press(&app, &asker, &confirmation[0].link("http://blog.test/mail/confirm/")).await;

    let other = crate::helpers::new_browser();
    let page = crate::admin::get_with(&app, &other, &format!("/posts/{SLUG}")).await;
    let mut reply = comment_fields("Bo Other", "bo@example.org", "Glycinate, at night.");
    set_field(&mut reply, "parent_id", &question.to_string());
    set_field(&mut reply, "csrf_token", &csrf_token(&page.body));
    posted_comment_id(&crate::admin::post_with(&app, &other, &format!("/posts/{SLUG}/comments"), &reply).await);

    let to_reader = smtp.wait_for(READER, 2).await;
    assert!(to_reader[1].subject.contains("Bo Other replied to your comment"), "{}", to_reader[1].subject);
    assert!(to_reader[1].text.contains("Glycinate, at night."), "{}", to_reader[1].text);
    assert!(!to_reader[1].text.contains("bo@example.org"), "another reader's address is never mailed");
}

#[tokio::test]
async fn the_desk_keeps_a_mistyped_notice_address_with_a_message_and_stores_a_good_one() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let token = csrf_token(&app.get("/admin/mail").await.body);
    let page = app
        .post_form("/admin/mail", &fields(&[("email", "doc@@clinic"), ("notify_on", "every"), ("csrf_token", &token)]))
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(crate::helpers::input_value(&page.body, "email"), "doc@@clinic", "the typed address is kept");
    assert!(crate::helpers::is_checked(&page.body, "notify_on-every"), "the typed choice is kept");
    let page = app
        .post_form(
            "/admin/mail",
            &fields(&[("email", "desk@clinic.test"), ("notify_on", "every"), ("csrf_token", &token)]),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let user = app
        .with_db(|conn| healthblog::db::users::find_by_username(conn, AUTHOR))
        .expect("stored")
        .expect("the account");
    assert_eq!((user.email.as_str(), user.notify_on), ("desk@clinic.test", healthblog::domain::NoticeChoice::Every));

    // Every comment now reaches the desk, not only questions.
    app.set_rule("moderation_policy", "approve_all");
    let question = app.insert_comment(SLUG, crate::helpers::CommentStatus::Approved, "Ann");
    let reader = crate::helpers::new_browser();
    let page = crate::admin::get_with(&app, &reader, &format!("/posts/{SLUG}")).await;
    let mut reply = comment_fields("Bo Other", "bo@example.org", "Same question here.");
    set_field(&mut reply, "parent_id", &question.to_string());
    set_field(&mut reply, "csrf_token", &csrf_token(&page.body));
    crate::admin::post_with(&app, &reader, &format!("/posts/{SLUG}/comments"), &reply).await;
    let notice = &smtp.wait_for("desk@clinic.test", 1).await[0];
    assert!(notice.subject.contains("New comment from Bo Other"), "{}", notice.subject);
}

#[tokio::test]
async fn manage_my_comments_mails_a_link_that_opens_the_writers_comments() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let reader = crate::helpers::new_browser();
    ask(&app, &reader, "Can I split the magnesium dose in two?").await;
    smtp.wait_for(READER, 1).await; // the confirmation

    let stranger = crate::helpers::new_browser();
    let form = crate::admin::get_with(&app, &stranger, "/comments/manage").await;
    let fields = fields(&[("email", "Reader@Example.org"), ("csrf_token", &csrf_token(&form.body))]);
    let asked = crate::admin::post_with(&app, &stranger, "/comments/manage", &fields).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let mail = &smtp.wait_for(READER, 2).await[1];
    assert!(mail.subject.contains("manage your comments"), "{}", mail.subject);
    let link = mail.link("http://blog.test/comments/manage/");
    let page = crate::admin::get_with(&app, &stranger, &link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains(&["Can I split the magnesium dose in two?"]);
}

#[tokio::test]
async fn the_retention_settings_are_applied_when_an_instance_starts_and_hourly() {
    use healthblog::db::schema::comments;

    let (app, settings) = crate::admin::spawn_app_keeping_settings(|_| {}).await;
    let old = app.insert_comment(SLUG, crate::helpers::CommentStatus::Approved, "Old");
    let forgotten = app.insert_comment(SLUG, crate::helpers::CommentStatus::Pending, "Forgotten");
    let long_ago = healthblog::db::now() - chrono::Duration::days(400);
    app.with_db(|conn| {
        diesel::update(comments::table.filter(comments::id.eq_any([old, forgotten])))
            .set((
                comments::created_at.eq(long_ago),
                comments::updated_at.eq(long_ago),
                comments::ip_hash.eq("abcdef"),
                comments::user_agent.eq("Agent"),
            ))
            .execute(conn)
    })
    .expect("the comments are aged");
    crate::admin::instances::second_instance(&settings).await;
    let kept = crate::helpers::eventually!(std::time::Duration::from_secs(20), "the new instance purges at start", {
        let gone = app
            .with_db(|conn| comments::table.find(forgotten).select(comments::id).first::<CommentId>(conn).optional());
        let kept = app.stored_comment(old);
        (gone.expect("the comments table answers").is_none() && kept.ip_hash.is_empty()).then_some(kept)
    });
    assert!(kept.user_agent.is_empty(), "the browser string is forgotten with the address hash");
}

#[tokio::test]
async fn the_doctor_answers_from_the_email_and_a_mistake_keeps_the_text() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let phone = answer_link_on_phone(&app, &smtp, "How long before magnesium helps with migraine?").await;
    let (link, question) = (phone.link.as_str(), phone.question);
    phone.page.assert_contains(&["Answer this comment", "How long before magnesium helps with migraine?"]);
    let token = csrf_token(&phone.page.body);
    let empty = phone.send(&app, link, &[("csrf_token", &token), ("body", "  ")]).await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    let answer_text = "Give it two to three months at a steady dose.";
    let done = phone.send(&app, link, &[("csrf_token", &token), ("body", answer_text)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let stored = app.stored_comments();
    let answer = stored.iter().find(|c| c.parent_id == Some(question)).expect("the answer is stored");
    assert_eq!((answer.body_markdown.as_str(), answer.user_id.is_some()), (answer_text, true));
    assert_eq!(app.stored_comment(question).status, crate::helpers::CommentStatus::Approved, "answering approves");
    app.get_as_stranger(&format!("/posts/{SLUG}")).await.assert_contains(&[answer_text]);
}

#[tokio::test]
async fn a_used_answer_link_cannot_be_sent_again_in_another_spelling() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let phone = answer_link_on_phone(&app, &smtp, "Is magnesium glycinate better tolerated than the oxide?").await;
    let link = phone.link.as_str();
    let token = csrf_token(&phone.page.body);
    let first = "Usually, yes: fewer stomach complaints.";
    let done = phone.send(&app, link, &[("csrf_token", &token), ("body", first)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(phone.answers(&app), 1);

    let (path, link_token) = link.rsplit_once('/').expect("the link ends with its token");
    let (data, signature) = link_token.split_once('.').expect("a signed link");
    let respellings = [
        format!("{path}/{}", link_token.to_uppercase()),
        format!("{path}/{data}.{}", signature.to_uppercase()),
        format!("{path}/{}.{signature}", data.to_uppercase()),
    ];
    for respelled in respellings {
        let again = "A second answer under the doctor's name";
        let replay = phone.send(&app, &respelled, &[("csrf_token", &token), ("body", again)]).await;
        assert!(replay.status >= 400, "{respelled} was refused: {} {}", replay.status, replay.body);
        assert_eq!(phone.answers(&app), 1, "no second answer through {respelled}");
    }
}

#[tokio::test]
async fn a_manage_link_is_sent_only_to_an_address_that_commented_though_both_requests_are_queued_alike() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let reader = crate::helpers::new_browser();
    let page = crate::admin::get_with(&app, &reader, &format!("/posts/{SLUG}")).await;
    let mut form = comment_fields("Ann Reader", READER, "Does magnesium help children with migraine?");
    set_field(&mut form, "csrf_token", &csrf_token(&page.body));
    posted_comment_id(&crate::admin::post_with(&app, &reader, &format!("/posts/{SLUG}/comments"), &form).await);

    let stranger = crate::helpers::new_browser();
    for address in [READER, "nobody@example.org"] {
        let page = crate::admin::get_with(&app, &stranger, "/comments/manage").await;
        let form = fields(&[("email", address), ("csrf_token", &csrf_token(&page.body))]);
        let asked = crate::admin::post_with(&app, &stranger, "/comments/manage", &form).await;
        assert_eq!((asked.status, asked.header("location")), (303, "/comments/manage?sent=1"), "{address}");
    }

    let link = smtp.wait_for(READER, 1).await;
    assert!(link[0].subject.contains("manage your comments"), "{}", link[0].subject);
    crate::helpers::eventually!(
        std::time::Duration::from_secs(10),
        "the sender went through the outbox",
        (unsent(&app) == 0).then_some(())
    );
    let to_nobody = smtp.delivered().into_iter().filter(|m| m.to.contains("nobody@example.org")).count();
    assert_eq!(to_nobody, 0, "an address without comments gets no mail");
    let kept = app.with_db(|conn| {
        outbox::table.filter(outbox::recipient.eq("nobody@example.org")).count().get_result::<i64>(conn)
    });
    assert_eq!(kept.expect("the outbox answers"), 0, "nor is it kept");
}

#[tokio::test]
async fn an_answer_from_the_email_that_says_the_reader_is_a_patient_is_held_for_the_doctor_to_confirm() {
    crate::helpers::require!("TEST_SMTP_PYTHON");
    let smtp = SmtpServer::start();
    let app = app_mailing(&smtp).await;
    let phone = answer_link_on_phone(&app, &smtp, "Is 400 mg enough for me?").await;
    let link = phone.link.as_str();
    let token = csrf_token(&phone.page.body);
    let text = "As we discussed at your last visit, 400 mg is right for you.";
    let warned = phone.send(&app, link, &[("csrf_token", &token), ("body", text)]).await;
    assert_eq!(warned.status, 422, "{}", warned.body);
    warned.assert_contains(&["Before this is public", "<mark>your last visit</mark>", "Publish as written", text]);
    assert_eq!(phone.answers(&app), 0, "nothing is published, and the link is not spent");

    let token = csrf_token(&warned.body);
    let kept = phone.send(&app, link, &[("csrf_token", &token), ("body", text), ("personal", "keep")]).await;
    assert_eq!(kept.status, 200);
    assert_eq!(phone.answers(&app), 1, "a warning, never a block");
}
