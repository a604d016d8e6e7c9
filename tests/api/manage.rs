//! Commenters in control: the "manage my comments" link, editing and
//! deleting one's own comments (by link, or from the browser that wrote a
//! pending one), downloading and erasing everything, and retention. Every
//! test runs on SQLite and on PostgreSQL.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use healthblog::comments::retention::{self, Purged};
use healthblog::comments::rules::Rules;
use healthblog::comments::submit::{store, Author, Draft};
use healthblog::db;
use healthblog::db::log::{LogAction, LogEntry};
use healthblog::db::schema::{moderation_log, outbox, subscribers};
use healthblog::keys::Keys;
use healthblog::mail::outbox::{Message, MessageKind, NewMessage};
use healthblog::signed_links::{self, Purpose};

use crate::admin::{create_user, AUTHOR, DISPLAY, PASSWORD};
use crate::helpers::{
    csrf_token, field_error, input_value, new_browser, posted_comment_id, read, reader_draft, spawn_app, textarea_text,
    CommentBody, CommentId, CommentStatus, Page, TestApp,
};

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
const TITLE: &str = "Oral magnesium for migraine prevention: forms, doses and side effects";
const OTHER_SLUG: &str = "cluster-headache-treatment";
const ANN: &str = "ann@example.org";
/// The test app's secret (`test_settings`).
const SECRET: &str = "a test secret that is long enough to derive every key";

fn keys() -> Keys {
    Keys::from_secret(SECRET).expect("the test secret makes keys")
}

/// A manage link's token for `email`, valid until `expires_at` (Unix seconds).
pub fn manage_token(email: &str, expires_at: i64) -> String {
    signed_links::sign(&keys(), Purpose::Manage, &email.to_owned(), expires_at)
}

/// The manage page's address for `email`, valid for a day.
pub fn manage_path(email: &str) -> String {
    format!("/comments/manage/{}", manage_token(email, Utc::now().timestamp() + 24 * 3600))
}

/// A reader's comment by `email`, stored as the comment service stores it.
fn comment(app: &TestApp, slug: &str, name: &str, email: &str, text: &str, status: CommentStatus) -> CommentId {
    comment_with(app, slug, name, email, text, status, |draft| draft)
}

fn comment_with(
    app: &TestApp,
    slug: &str,
    name: &str,
    email: &str,
    text: &str,
    status: CommentStatus,
    change: impl for<'a> FnOnce(Draft<'a>) -> Draft<'a>,
) -> CommentId {
    let body = CommentBody::parse(text).expect("a valid comment");
    let draft = change(Draft {
        ip_hash: format!("iphash-of-{name}"),
        user_agent: "ReaderBrowser/1.0".into(),
        ..reader_draft(slug, name, email, &body, status)
    });
    app.with_db(|conn| store(conn, draft)).expect("the comment is stored")
}

/// The author's answer to `parent`, stored as the desk stores it.
fn author_answer(app: &TestApp, parent: CommentId, text: &str) -> CommentId {
    let user_id = create_user(app, AUTHOR, DISPLAY, PASSWORD);
    let body = CommentBody::parse(text).expect("a valid comment");
    let draft = Draft {
        parent: Some(parent),
        author: Author::Staff { name: DISPLAY.into(), user_id },
        ..reader_draft(SLUG, "", "", &body, CommentStatus::Approved)
    };
    app.with_db(|conn| store(conn, draft)).expect("the answer is stored")
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn outbox_rows(app: &TestApp) -> Vec<Message> {
    app.with_db(|conn| outbox::table.order(outbox::id.asc()).select(Message::as_select()).load(conn))
        .expect("the outbox answers")
}

fn log(app: &TestApp) -> Vec<LogEntry> {
    app.with_db(|conn| moderation_log::table.order(moderation_log::id.asc()).select(LogEntry::as_select()).load(conn))
        .expect("the log answers")
}

fn find(app: &TestApp, id: CommentId) -> Option<healthblog::db::comments::Comment> {
    app.with_db(|conn| db::comments::find(conn, id)).expect("the comments table answers")
}

/// GETs `path` and returns the page's form token.
async fn token_from(app: &TestApp, path: &str) -> String {
    let page = app.get(path).await;
    assert_eq!(page.status, 200, "{path} opens:\n{}", page.body);
    csrf_token(&page.body)
}

/// Asks for a manage link for `email` through the form, as a browser would.
async fn ask_for_link(app: &TestApp, email: &str) -> Page {
    let token = token_from(app, "/comments/manage").await;
    app.post_form("/comments/manage", &fields(&[("email", email), ("csrf_token", &token)])).await
}

/// Sends the edit form of comment `id` on the manage page at `manage`.
async fn edit_by_link(app: &TestApp, manage: &str, id: CommentId, text: &str) -> Page {
    let edit = format!("{manage}/comments/{id}/edit");
    let token = token_from(app, &edit).await;
    app.post_form(&edit, &fields(&[("body", text), ("csrf_token", &token)])).await
}

// ---------------------------------------------------------------------------
// Asking for the link

#[tokio::test]
async fn asking_for_a_link_queues_one_message_for_an_address_with_comments_and_answers_every_address_alike() {
    let app = spawn_app().await;
    comment(&app, SLUG, "Ann Reader", "Ann@example.org", "Is 400 mg enough?", CommentStatus::Approved);

    let known = ask_for_link(&app, " ann@EXAMPLE.org ").await;
    let again = ask_for_link(&app, "ann@example.org").await;
    let unknown = ask_for_link(&app, "nobody@example.org").await;

    for answer in [&known, &again, &unknown] {
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.header("location"), "/comments/manage?sent=1");
    }
    // Every address's request is queued alike (the mail sender drops the
    // ones for addresses without comments, see `mail.rs`), once per address.
    let rows: Vec<Message> = outbox_rows(&app).into_iter().filter(|row| row.recipient == ANN).collect();
    assert_eq!(rows.len(), 1, "one message for the two requests: {rows:?}");
    assert_eq!(rows[0].kind, MessageKind::ManageLink);
    assert!(rows[0].dedupe_key.starts_with("manage:ann@example.org:"), "{}", rows[0].dedupe_key);

    let sent = app.get("/comments/manage?sent=1").await;
    assert_eq!(sent.status, 200);
    sent.assert_contains(&["If this address has comments here, a link is on its way; it works for 24 hours"]);
}

#[tokio::test]
async fn a_bad_address_comes_back_at_the_field_with_what_was_typed() {
    let app = spawn_app().await;
    let page = ask_for_link(&app, "ann@example").await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(field_error(&page.body, "email").is_some_and(|e| e.contains("valid email address")), "{}", page.body);
    assert_eq!(input_value(&page.body, "email"), "ann@example");
    assert!(outbox_rows(&app).is_empty());
}

#[tokio::test]
async fn a_link_request_without_the_form_token_is_refused() {
    let app = spawn_app().await;
    comment(&app, SLUG, "Ann Reader", ANN, "A question", CommentStatus::Approved);
    app.get("/comments/manage").await; // the visitor cookie, but no token sent
    let page = app.post_form("/comments/manage", &fields(&[("email", ANN)])).await;
    assert_eq!(page.status, 403);
    assert_eq!(input_value(&page.body, "email"), ANN, "the address is kept");
    assert!(outbox_rows(&app).is_empty());
}

// ---------------------------------------------------------------------------
// The page behind the link

#[tokio::test]
async fn the_manage_page_lists_every_comment_of_the_address_newest_first_with_its_status_in_words() {
    let app = spawn_app().await;
    let older = comment_with(&app, SLUG, "Ann Reader", ANN, "My published question", CommentStatus::Approved, |d| {
        Draft { created_at: db::now() - Duration::hours(2), ..d }
    });
    let newer = comment(&app, OTHER_SLUG, "Ann R.", "ANN@example.org", "My waiting question", CommentStatus::Pending);
    let filtered = comment_with(&app, SLUG, "Ann Reader", ANN, "My filtered words", CommentStatus::Spam, |d| Draft {
        created_at: db::now() - Duration::hours(3),
        ..d
    });
    comment(&app, SLUG, "Bob Other", "bob@example.org", "Bob's own question", CommentStatus::Approved);

    let page = app.get(&manage_path(ANN)).await;

    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), "no-store");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    page.assert_contains(&[
        "My published question",
        "My waiting question",
        "My filtered words",
        TITLE,
        &format!("/posts/{SLUG}#comment-{older}"),
        &format!("/posts/{OTHER_SLUG}#comment-{newer}"),
        "published",
        "waiting for moderation",
        "not published",
    ]);
    page.assert_lacks(&["Bob's own question", "spam", "iphash-of"]);
    let at = |id: CommentId| page.body.find(&format!("id=\"managed-{id}\"")).expect("the comment is listed");
    assert!(at(newer) < at(older) && at(older) < at(filtered), "newest first");
}

#[tokio::test]
async fn an_expired_link_says_so_and_offers_a_new_one_and_a_changed_link_is_refused() {
    let app = spawn_app().await;
    comment(&app, SLUG, "Ann Reader", ANN, "A question", CommentStatus::Approved);

    let expired = app.get(&format!("/comments/manage/{}", manage_token(ANN, Utc::now().timestamp() - 1))).await;
    assert_eq!(expired.status, 410);
    expired.assert_contains(&["This link has expired", "href=\"/comments/manage\""]);
    expired.assert_lacks(&["A question"]);

    let token = manage_token(ANN, Utc::now().timestamp() + 3600);
    let mut tampered = token.clone().into_bytes();
    tampered[3] = if tampered[3] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).expect("hex");
    let other_purpose =
        signed_links::sign(&keys(), Purpose::Unsubscribe, &ANN.to_owned(), Utc::now().timestamp() + 3600);
    for bad in [tampered, other_purpose, "not-a-link".to_owned()] {
        let page = app.get(&format!("/comments/manage/{bad}")).await;
        assert_eq!(page.status, 404, "{bad}");
        page.assert_contains(&["This link does not work"]);
        page.assert_lacks(&["A question"]);
        assert_eq!(app.get(&format!("/comments/manage/{bad}/export")).await.status, 404);
    }
}

// ---------------------------------------------------------------------------
// Editing

#[tokio::test]
async fn an_edit_within_the_window_is_stored_marked_edited_and_moderated_again() {
    let app = spawn_app().await;
    app.set_rule("moderation_policy", "approve_all");
    let id = comment(&app, SLUG, "Ann Reader", ANN, "Is 400 mg enough?", CommentStatus::Approved);
    let manage = manage_path(ANN);

    let saved = edit_by_link(&app, &manage, id, "Is 400 mg a day enough for migraine?").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.header("location").ends_with("?done=edited"), "{}", saved.header("location"));
    let stored = app.stored_comment(id);
    assert_eq!(stored.body_markdown, "Is 400 mg a day enough for migraine?");
    assert!(stored.body_html.as_str().contains("Is 400 mg a day enough for migraine?"));
    assert!(stored.edited_at.is_some());
    assert_eq!(stored.status, CommentStatus::Approved, "approve_all still publishes it");
    let article = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    let card = article.comment_card(id);
    assert!(card.contains("Is 400 mg a day enough for migraine?") && card.contains("Edited"), "{card}");
    app.get(saved.header("location")).await.assert_contains(&["edited", "Your changes are saved."]);

    let links = "See https://a.example, https://b.example and https://c.example";
    let held = edit_by_link(&app, &manage, id, links).await;
    assert_eq!(held.status, 303, "{}", held.body);
    assert!(held.header("location").ends_with("?done=held"));
    assert_eq!(app.stored_comment(id).status, CommentStatus::Pending, "too many links: held again");
    app.get_as_stranger(&format!("/posts/{SLUG}")).await.assert_lacks(&["https://a.example", "Is 400 mg"]);
    let edits: Vec<_> = log(&app).into_iter().filter(|e| e.action == LogAction::WriterEdit).collect();
    assert_eq!(edits.len(), 2);
    assert_eq!(edits[1].comment_id, Some(id));
    assert_eq!(edits[1].to_status.as_deref(), Some("pending"));
}

#[tokio::test]
async fn an_edit_after_the_window_is_refused_with_the_text_kept() {
    let app = spawn_app().await;
    let id = comment_with(&app, SLUG, "Ann Reader", ANN, "The old words", CommentStatus::Approved, |d| Draft {
        created_at: db::now() - Duration::minutes(16),
        ..d
    });
    let manage = manage_path(ANN);
    assert!(!app.get(&manage).await.body.contains(&format!("/comments/{id}/edit")), "no Edit offered");

    let page = edit_by_link(&app, &manage, id, "The new words I typed").await;

    assert_eq!(page.status, 403, "{}", page.body);
    page.assert_contains(&["The time for editing this comment has passed"]);
    assert_eq!(textarea_text(&page.body, "body"), "The new words I typed");
    assert_eq!(app.stored_comment(id).body_markdown, "The old words");
}

#[tokio::test]
async fn an_edit_after_the_author_answered_is_refused_with_the_text_kept() {
    let app = spawn_app().await;
    let id = comment(&app, SLUG, "Ann Reader", ANN, "The old words", CommentStatus::Approved);
    author_answer(&app, id, "Yes, it is.");

    let page = edit_by_link(&app, &manage_path(ANN), id, "Words that would change the question").await;

    assert_eq!(page.status, 403, "{}", page.body);
    page.assert_contains(&["The author has answered this comment"]);
    assert_eq!(textarea_text(&page.body, "body"), "Words that would change the question");
    assert_eq!(app.stored_comment(id).body_markdown, "The old words");
}

#[tokio::test]
async fn an_empty_or_unconfirmed_edit_comes_back_with_the_text_kept_and_changes_nothing() {
    let app = spawn_app().await;
    let id = comment(&app, SLUG, "Ann Reader", ANN, "The old words", CommentStatus::Approved);
    let manage = manage_path(ANN);

    let empty = edit_by_link(&app, &manage, id, "  \n ").await;
    assert_eq!(empty.status, 422);
    assert_eq!(field_error(&empty.body, "body").as_deref(), Some("Please write your comment or question."));

    let edit = format!("{manage}/comments/{id}/edit");
    let no_token = app.post_form(&edit, &fields(&[("body", "Sent from another site")])).await;
    assert_eq!(no_token.status, 403);
    assert_eq!(textarea_text(&no_token.body, "body"), "Sent from another site");
    assert_eq!(app.stored_comment(id).body_markdown, "The old words");
    assert!(app.stored_comment(id).edited_at.is_none());
}

// ---------------------------------------------------------------------------
// Deleting and erasing

#[tokio::test]
async fn deleting_a_comment_without_replies_removes_it_and_with_replies_leaves_its_place() {
    let app = spawn_app().await;
    let lonely = comment(&app, SLUG, "Ann Reader", ANN, "Nobody answered this", CommentStatus::Approved);
    let answered = comment(&app, SLUG, "Ann Reader", ANN, "Bob answered this", CommentStatus::Approved);
    let reply = comment_with(&app, SLUG, "Bob Other", "bob@example.org", "Bob's reply", CommentStatus::Approved, |d| {
        Draft { parent: Some(answered), ..d }
    });
    let manage = manage_path(ANN);
    let token = token_from(&app, &manage).await;

    let no_token = app.post_form(&format!("{manage}/comments/{lonely}/delete"), &[]).await;
    assert_eq!(no_token.status, 403, "a delete without the form token is refused");
    assert!(find(&app, lonely).is_some());

    let deleted =
        app.post_form(&format!("{manage}/comments/{lonely}/delete"), &fields(&[("csrf_token", &token)])).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert!(find(&app, lonely).is_none(), "a comment without replies is gone");

    let removed =
        app.post_form(&format!("{manage}/comments/{answered}/delete"), &fields(&[("csrf_token", &token)])).await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let tombstone = app.stored_comment(answered);
    assert!(tombstone.erased_at.is_some());
    assert_eq!(
        (tombstone.author_name.as_str(), tombstone.author_email.as_str(), tombstone.body_markdown.as_str()),
        ("", "", "")
    );
    assert_eq!((tombstone.ip_hash.as_str(), tombstone.user_agent.as_str()), ("", ""));
    assert_eq!(app.stored_comment(reply).parent_id, Some(answered), "the reply keeps its thread");

    let article = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    article.assert_contains(&["Comment removed at the writer's request", "Bob's reply"]);
    article.assert_lacks(&["Nobody answered this", "Bob answered this", "Ann Reader"]);
    article.assert_contains(&[r#"<h2 id="comments-heading">1 reply</h2>"#]);
    let deletes: Vec<_> = log(&app).into_iter().filter(|e| e.action == LogAction::WriterDelete).collect();
    assert_eq!(deletes.iter().map(|e| e.comment_id).collect::<Vec<_>>(), [Some(lonely), Some(answered)]);

    // Once its last reply goes, the empty place goes too.
    let bob = manage_path("bob@example.org");
    let token = token_from(&app, &bob).await;
    let gone = app.post_form(&format!("{bob}/comments/{reply}/delete"), &fields(&[("csrf_token", &token)])).await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert!(find(&app, reply).is_none() && find(&app, answered).is_none());
    app.get_as_stranger(&format!("/posts/{SLUG}")).await.assert_lacks(&["Comment removed at the writer's request"]);
}

#[tokio::test]
async fn erasing_everything_leaves_nothing_the_writer_said_anywhere() {
    let app = spawn_app().await;
    let asked = comment(&app, SLUG, "Ann Reader", ANN, "Ann's private worry", CommentStatus::Approved);
    let reply =
        comment_with(&app, SLUG, "Bob Other", "bob@example.org", "Bob's kind reply", CommentStatus::Approved, |d| {
            Draft { parent: Some(asked), ..d }
        });
    let waiting = comment(&app, OTHER_SLUG, "Ann Reader", ANN, "Ann's second worry", CommentStatus::Pending);
    let actor = healthblog::comments::moderation::Actor {
        user_id: create_user(&app, AUTHOR, DISPLAY, PASSWORD),
        name: DISPLAY.into(),
    };
    app.with_db(|conn| {
        healthblog::comments::moderation::apply(
            conn,
            &actor,
            healthblog::comments::moderation::Action::Unapprove,
            asked,
        )?;
        healthblog::comments::moderation::apply(
            conn,
            &actor,
            healthblog::comments::moderation::Action::Approve,
            asked,
        )?;
        healthblog::mail::subscribers::ask(conn, &healthblog::domain::EmailKey::of(ANN), db::now())?;
        healthblog::mail::outbox::enqueue(
            conn,
            &NewMessage::new(MessageKind::Answer, ANN, "answer:test".into(), db::now()).about(asked),
        )?;
        anyhow::Ok(())
    })
    .expect("the history is arranged");
    assert!(log(&app).iter().any(|e| e.detail.contains("Ann Reader")), "the log named her before");
    let manage = manage_path(ANN);

    let confirm = app.get(&format!("{manage}/erase")).await;
    assert_eq!(confirm.status, 200);
    confirm.assert_contains(&["Yes, erase everything"]);
    let no_token = app.post_form(&format!("{manage}/erase"), &[]).await;
    assert_eq!(no_token.status, 403);
    assert!(find(&app, waiting).is_some(), "nothing erased without the form token");
    let erased =
        app.post_form(&format!("{manage}/erase"), &fields(&[("csrf_token", &csrf_token(&confirm.body))])).await;
    assert_eq!(erased.status, 303, "{}", erased.body);

    // The database.
    for stored in app.stored_comments() {
        let row = format!("{stored:?}");
        for said in ["Ann", "ann@", "worry", "iphash-of-Ann"] {
            assert!(!row.contains(said), "{said:?} is left in {row}");
        }
    }
    assert!(find(&app, waiting).is_none(), "a comment without replies is deleted");
    assert!(app.stored_comment(asked).erased_at.is_some(), "a comment with replies keeps its place");
    assert_eq!(app.stored_comment(reply).parent_id, Some(asked));
    let subscribed: i64 = app.with_db(|conn| subscribers::table.count().get_result(conn)).expect("subscribers answer");
    assert_eq!(subscribed, 0, "the address is forgotten");
    assert!(outbox_rows(&app).iter().all(|m| m.recipient != ANN && m.sent_at.is_some()), "{:?}", outbox_rows(&app));
    let entries = log(&app);
    assert!(entries.iter().all(|e| !e.detail.contains("Ann") && !e.actor.contains("Ann")), "{entries:?}");
    let erasures: Vec<_> = entries.iter().filter(|e| e.action == LogAction::WriterErase).collect();
    let mut ids: Vec<_> = erasures.iter().filter_map(|e| e.comment_id).collect();
    ids.sort();
    assert_eq!(ids, [asked, waiting]);
    assert!(erasures.iter().all(|e| e.detail.is_empty()));

    // The pages.
    let article = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    article.assert_contains(&["Comment removed at the writer's request", "Bob's kind reply"]);
    article.assert_lacks(&["Ann Reader", "private worry"]);
    let feed = app.get(&format!("/posts/{SLUG}/comments.xml")).await;
    assert_eq!(feed.status, 200);
    feed.assert_contains(&["kind reply"]);
    feed.assert_lacks(&["Ann", "private worry"]);
    assert_eq!(feed.body.matches("<entry>").count(), 1, "the tombstone is not an entry");
    let desk = new_browser();
    let signed = crate::admin::sign_in_with(&app, &desk, AUTHOR, PASSWORD).await;
    assert_eq!(signed.status, 303);
    for tab in ["approved", "pending"] {
        let list = read(desk.get(format!("{}/admin/comments?status={tab}", app.address)).send().await.unwrap()).await;
        assert_eq!(list.status, 200);
        list.assert_lacks(&["Ann Reader", "worry", ANN]);
    }
    let questions = read(desk.get(format!("{}/admin/questions", app.address)).send().await.unwrap()).await;
    questions.assert_lacks(&["Ann Reader", "worry"]);
    let done = app.get(&format!("{manage}?done=erased")).await;
    done.assert_contains(&["Everything you wrote here is erased", "There are no comments from this address here."]);
}

// ---------------------------------------------------------------------------
// Downloading and stopping notices

#[tokio::test]
async fn the_export_holds_every_comment_and_the_notice_state_but_no_address_hash() {
    let app = spawn_app().await;
    let first = comment(&app, SLUG, "Ann Reader", ANN, "First *words*", CommentStatus::Approved);
    let second = comment_with(&app, OTHER_SLUG, "Ann Reader", ANN, "Second words", CommentStatus::Pending, |d| Draft {
        notify: true,
        ..d
    });
    app.with_db(|conn| healthblog::mail::subscribers::ask(conn, &healthblog::domain::EmailKey::of(ANN), db::now()))
        .expect("asked for notices");

    let response = app.client.get(format!("{}{}/export", app.address, manage_path(ANN))).send().await.unwrap();
    let export = read(response).await;

    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export.header("content-type").starts_with("application/json"));
    assert!(export.header("content-disposition").starts_with("attachment"));
    let json: serde_json::Value = serde_json::from_str(&export.body).expect("valid JSON");
    assert_eq!(json["email"], ANN);
    assert_eq!(json["notices"], "waiting for confirmation");
    let comments = json["comments"].as_array().expect("a list of comments");
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0]["id"], second.0);
    assert_eq!(comments[0]["article"], OTHER_SLUG);
    assert_eq!(comments[0]["status"], "waiting for moderation");
    assert_eq!(comments[0]["notify_answers"], true);
    assert_eq!(comments[1]["id"], first.0);
    assert_eq!(comments[1]["text"], "First *words*");
    assert_eq!(comments[1]["name"], "Ann Reader");
    assert!(comments[1]["created_at"].is_string());
    assert!(!export.body.contains("iphash") && !export.body.contains("ip_hash"), "{}", export.body);
    assert!(!export.body.contains("ReaderBrowser"), "{}", export.body);
}

#[tokio::test]
async fn stopping_all_notices_turns_every_choice_off() {
    let app = spawn_app().await;
    let id = comment_with(&app, SLUG, "Ann Reader", ANN, "Tell me", CommentStatus::Approved, |d| Draft {
        notify: true,
        notify_replies: true,
        ..d
    });
    let manage = manage_path(ANN);
    let token = token_from(&app, &manage).await;

    let stopped = app.post_form(&format!("{manage}/stop"), &fields(&[("csrf_token", &token)])).await;

    assert_eq!(stopped.status, 303, "{}", stopped.body);
    let stored = app.stored_comment(id);
    assert!(!stored.notify && !stored.notify_replies);
    assert_eq!(stopped.header("location"), format!("{manage}?done=stopped"));
    app.get(stopped.header("location"))
        .await
        .assert_contains(&["You will get no more notices", "<strong>stopped</strong>"]);
}

// ---------------------------------------------------------------------------
// The browser that wrote a pending comment

#[tokio::test]
async fn the_writing_browser_edits_and_deletes_its_pending_comment_and_another_browser_cannot() {
    let app = spawn_app().await;
    app.accept_instant_posts();
    let posted = app.post_comment(SLUG, &crate::helpers::comment_fields("Ann Reader", ANN, "Words with a tpyo")).await;
    let id = posted_comment_id(&posted);
    let edit = format!("/posts/{SLUG}/comments/{id}/edit");
    let delete = format!("/posts/{SLUG}/comments/{id}/delete");
    assert!(app.get(&format!("/posts/{SLUG}")).await.comment_card(id).contains(&edit), "Edit is offered");

    // Another browser, with a cookie and form tokens of its own.
    let other = new_browser();
    let get = |path: String| {
        let other = other.clone();
        async move { read(other.get(path).send().await.expect("GET succeeds")).await }
    };
    let own_token = csrf_token(&get(format!("{}/comments/manage", app.address)).await.body);
    assert_eq!(get(format!("{}{edit}", app.address)).await.status, 404);
    let theirs = |path: &str, form: Vec<(String, String)>| {
        let request = other.post(format!("{}{path}", app.address)).form(&form);
        async move { read(request.send().await.expect("POST succeeds")).await }
    };
    let body = fields(&[("body", "Vandalised"), ("csrf_token", &own_token)]);
    assert_eq!(theirs(&edit, body).await.status, 404);
    assert_eq!(theirs(&delete, fields(&[("csrf_token", &own_token)])).await.status, 404);
    assert_eq!(app.stored_comment(id).body_markdown, "Words with a tpyo");

    // The writer.
    let token = token_from(&app, &edit).await;
    let saved = app.post_form(&edit, &fields(&[("body", "Words without a typo"), ("csrf_token", &token)])).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.header("location"), format!("/posts/{SLUG}#comment-{id}"));
    let stored = app.stored_comment(id);
    assert_eq!((stored.body_markdown.as_str(), stored.status), ("Words without a typo", CommentStatus::Pending));
    let mine = app.get(&format!("/posts/{SLUG}")).await;
    assert!(mine.comment_card(id).contains("Words without a typo") && mine.comment_card(id).contains("Edited"));
    assert!(log(&app).iter().any(|e| e.action == LogAction::WriterEdit && e.comment_id == Some(id)));

    let token = token_from(&app, &edit).await;
    let deleted = app.post_form(&delete, &fields(&[("csrf_token", &token)])).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert!(find(&app, id).is_none());
    assert!(log(&app).iter().any(|e| e.action == LogAction::WriterDelete && e.comment_id == Some(id)));
}

#[tokio::test]
async fn the_comment_form_says_what_is_kept_for_how_long_and_how_to_erase_it() {
    let app = spawn_app().await;
    let page = app.get(&format!("/posts/{SLUG}")).await;
    page.assert_contains(&[
        "your email address (never shown",
        "a keyed hash of your IP address and your browser's user agent",
        "erased after 90 days",
        "deleted after 60 days",
        "<a href=\"/comments/manage\">Manage my comments</a>",
    ]);
}

// ---------------------------------------------------------------------------
// Retention

#[tokio::test]
async fn the_purge_forgets_old_address_hashes_and_deletes_comments_never_moderated() {
    let app = spawn_app().await;
    let published = comment(&app, SLUG, "Ann Reader", ANN, "Published long ago", CommentStatus::Approved);
    let waiting = comment(&app, SLUG, "Bob Other", "bob@example.org", "Never looked at", CommentStatus::Pending);
    let rules = Rules::default();
    let purge = |days: i64, rules: &Rules| {
        let now: NaiveDateTime = db::now() + Duration::days(days);
        app.with_db(|conn| retention::purge(conn, rules, now)).expect("the purge runs")
    };

    assert_eq!(purge(30, &rules), Purged::default(), "nothing is old enough yet");
    assert!(log(&app).iter().all(|e| e.action != LogAction::Purge), "nothing purged, nothing logged");

    assert_eq!(purge(61, &rules), Purged { addresses: 0, pending: 1 });
    assert!(find(&app, waiting).is_none(), "a comment waiting 60 days is deleted");
    assert_eq!(app.stored_comment(published).ip_hash, "iphash-of-Ann Reader");

    assert_eq!(purge(91, &rules), Purged { addresses: 1, pending: 0 });
    let stored = app.stored_comment(published);
    assert_eq!((stored.ip_hash.as_str(), stored.user_agent.as_str()), ("", ""));
    assert_eq!(stored.body_markdown, "Published long ago", "the comment itself stays");

    let purges: Vec<_> = log(&app).into_iter().filter(|e| e.action == LogAction::Purge).collect();
    assert_eq!(purges.len(), 2);
    assert!(purges[0].detail.contains("deleted 1 comments"), "{}", purges[0].detail);
    assert!(purges.iter().all(|e| !e.detail.contains("Bob") && !e.detail.contains("Never looked")));

    let keep_all = Rules { ip_retention_days: 0, pending_retention_days: 0, ..Rules::default() };
    let fresh = comment(&app, SLUG, "Cy", "cy@example.org", "Kept", CommentStatus::Pending);
    assert_eq!(purge(10_000, &keep_all), Purged::default(), "0 keeps everything");
    assert_eq!(app.stored_comment(fresh).ip_hash, "iphash-of-Cy");
}

#[tokio::test]
async fn the_purge_forgets_spent_tokens_once_they_would_be_refused_as_too_old() {
    let app = spawn_app().await;
    let now = db::now();
    let spend = |token: &str, expires_at: NaiveDateTime| {
        app.with_db(|conn| db::spent_tokens::spend(conn, token, expires_at)).expect("the token is recorded")
    };
    assert!(spend("expires-tomorrow", now + Duration::days(1)));
    assert!(spend("expires-next-week", now + Duration::days(7)));
    assert!(!spend("expires-tomorrow", now + Duration::days(1)), "a token is spent once");

    let in_two_days = now + Duration::days(2);
    app.with_db(|conn| retention::purge(conn, &Rules::default(), in_two_days)).expect("the purge runs");
    let spent = |token: &str| app.with_db(|conn| db::spent_tokens::is_spent(conn, token)).expect("reads");
    assert!(!spent("expires-tomorrow"), "an expired token is forgotten");
    assert!(spent("expires-next-week"), "a token that could still be sent stays spent");
}
