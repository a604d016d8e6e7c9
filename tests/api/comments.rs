//! Readers' comments through the HTTP API: moderation rules, validation that
//! keeps what was typed, spam defences, threads, counts, the comment feed and
//! the commenters' privacy. Every test runs on SQLite and on PostgreSQL.

use std::str::FromStr;
use std::time::Instant;

use diesel::prelude::*;
use healthblog::db;
use healthblog::db::schema::comments::dsl as c;

use crate::helpers::{
    client_builder, comment_fields, csrf_token, input_value, is_hidden, new_browser, posted_comment_id, reader_draft,
    set_field, spawn_app, spawn_app_with, textarea_text, thread_level, Content, TestApp,
};
use healthblog::comments::submit::{store, Draft};
use healthblog::domain::{CommentBody, CommentId, CommentStatus};

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
const TITLE: &str = "Oral magnesium for migraine prevention: forms, doses and side effects";
const OTHER_SLUG: &str = "cluster-headache-treatment";

fn article() -> String {
    format!("/posts/{SLUG}")
}

/// The app with the form's minimum fill-in time off, as most tests need.
async fn spawn_commenting_app() -> TestApp {
    let app = spawn_app().await;
    app.accept_instant_posts();
    app
}

fn question(body: &str) -> Vec<(String, String)> {
    comment_fields("Ann Reader", "ann@example.org", body)
}

// ---------------------------------------------------------------------------
// Who sees a comment, under each moderation policy

#[tokio::test]
async fn a_pending_comment_is_shown_only_to_the_browser_that_wrote_it() {
    let app = spawn_commenting_app().await;

    let posted = app.post_comment(SLUG, &question("Does magnesium glycinate upset the stomach?")).await;
    let id = posted_comment_id(&posted);
    assert_eq!(posted.header("location"), format!("/posts/{SLUG}#comment-{id}"));
    assert_eq!(app.stored_comment(id).status, CommentStatus::Pending);

    let mine = app.get(&article()).await;
    assert_eq!(mine.status, 200);
    let card = mine.comment_card(id);
    assert!(card.contains("Your comment is awaiting moderation"), "{card}");
    assert!(card.contains("Does magnesium glycinate upset the stomach?"), "{card}");
    assert!(!card.contains("reply-link"), "a comment awaiting moderation cannot be answered yet: {card}");
    mine.assert_contains(&[r#"<h2 id="comments-heading">No questions yet</h2>"#]);

    let theirs = app.get_as_stranger(&article()).await;
    assert_eq!(theirs.status, 200);
    theirs.assert_lacks(&[
        &format!("comment-{id}"),
        "Does magnesium glycinate upset the stomach?",
        "awaiting moderation",
    ]);
}

#[tokio::test]
async fn a_writers_pending_comment_takes_its_place_among_the_approved_ones() {
    let app = spawn_commenting_app().await;
    let older = posted_comment_id(&app.post_comment(SLUG, &question("Is 400 mg a day enough?")).await);
    let mine = posted_comment_id(&app.post_comment(SLUG, &question("Does glycinate upset the stomach?")).await);
    let newer = posted_comment_id(&app.post_comment(SLUG, &question("Can children take it too?")).await);
    let elsewhere = posted_comment_id(&app.post_comment(OTHER_SLUG, &question("Does oxygen help at night?")).await);
    app.set_status(older, CommentStatus::Approved);
    app.set_status(newer, CommentStatus::Approved);

    let page = app.get(&article()).await;
    let at = |id: CommentId| page.body.find(&format!(r#"id="comment-{id}""#));
    let (older_at, mine_at, newer_at) = (at(older), at(mine), at(newer));
    assert!(older_at.is_some() && mine_at.is_some() && newer_at.is_some(), "all three shown to their writer");
    assert!(older_at < mine_at && mine_at < newer_at, "in the order they were written");
    assert!(at(elsewhere).is_none(), "a pending comment on another article stays there");
}

#[tokio::test]
async fn an_approved_comment_is_shown_to_every_reader() {
    let app = spawn_commenting_app().await;
    let id = posted_comment_id(&app.post_comment(SLUG, &question("Is 400 mg a day enough?")).await);

    app.set_status(id, CommentStatus::Approved);

    let theirs = app.get_as_stranger(&article()).await;
    let card = theirs.comment_card(id);
    assert!(card.contains("Ann Reader") && card.contains("Is 400 mg a day enough?"), "{card}");
    assert!(!card.contains("awaiting moderation"), "{card}");
    assert!(card.contains("reply-link"), "an approved comment can be answered: {card}");
    theirs.assert_contains(&[r#"<h2 id="comments-heading">1 question</h2>"#]);
}

#[tokio::test]
async fn hold_all_holds_even_a_commenter_with_an_approved_comment() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "hold_all");
    let first = posted_comment_id(&app.post_comment(SLUG, &question("First question")).await);
    app.set_status(first, CommentStatus::Approved);

    let second = posted_comment_id(&app.post_comment(SLUG, &question("Second question")).await);

    assert_eq!(app.stored_comment(second).status, CommentStatus::Pending);
    app.get_as_stranger(&article()).await.assert_lacks(&["Second question"]);
}

#[tokio::test]
async fn approve_all_publishes_a_comment_at_once() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");

    let id = posted_comment_id(&app.post_comment(SLUG, &question("Shown at once?")).await);

    assert_eq!(app.stored_comment(id).status, CommentStatus::Approved);
    let theirs = app.get_as_stranger(&article()).await;
    assert!(theirs.comment_card(id).contains("Shown at once?"));
    theirs.assert_contains(&[r#"<h2 id="comments-heading">1 question</h2>"#]);
}

#[tokio::test]
async fn trust_returning_publishes_only_commenters_with_an_approved_comment() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "trust_returning");

    let first = posted_comment_id(&app.post_comment(SLUG, &question("My first question")).await);
    assert_eq!(app.stored_comment(first).status, CommentStatus::Pending, "a first-time commenter waits");
    app.set_status(first, CommentStatus::Approved);

    let returning = posted_comment_id(&app.post_comment(SLUG, &question("A follow-up")).await);
    let newcomer = comment_fields("Bob Newcomer", "bob@example.org", "A first question from Bob");
    let newcomer = posted_comment_id(&app.post_comment(SLUG, &newcomer).await);

    assert_eq!(app.stored_comment(returning).status, CommentStatus::Approved);
    assert_eq!(app.stored_comment(newcomer).status, CommentStatus::Pending);
    let theirs = app.get_as_stranger(&article()).await;
    theirs.assert_contains(&["A follow-up"]);
    theirs.assert_lacks(&["A first question from Bob"]);
}

#[tokio::test]
async fn a_form_sent_too_quickly_is_refused_with_its_text_kept_and_accepted_when_resent() {
    let app = spawn_app().await; // the default rule: 3 seconds
    let mut fields = question("Sent the moment the page opened");
    set_field(&mut fields, "notify", "on");

    let refused = app.post_comment(SLUG, &fields).await;
    assert_eq!(refused.status, 422);
    refused.assert_contains(&["That was very quick"]);
    refused.assert_form_keeps(&fields);
    assert!(app.stored_comments().is_empty());

    app.accept_instant_posts();
    let accepted = app.post_comment(SLUG, &fields).await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    assert_eq!(app.stored_comments().len(), 1);
}

// ---------------------------------------------------------------------------
// Validation: a message at the field and every typed value back in the form

fn typed_everything() -> Vec<(String, String)> {
    let mut fields =
        comment_fields("Ann \"Maggie\" O'Reilly", "ann@example.org", "Line one & <two>\n\nAnd a second paragraph.");
    set_field(&mut fields, "author_url", "https://ann.example.org/blog?x=1&y=2");
    set_field(&mut fields, "notify", "on");
    fields
}

/// Each bad value alone, as a reader might type it: 422, its message beside
/// its field and no other, every other value typed back in the form, and
/// nothing stored.
#[tokio::test]
async fn each_bad_field_is_refused_at_the_field_with_the_typed_values_kept() {
    let app = spawn_commenting_app().await;
    let cases: Vec<(&str, String, &str)> = vec![
        ("author_name", "   ".into(), "Please enter your name"),
        ("author_name", "\t\r\n".into(), "Please enter your name"),
        ("author_name", "Ann ".repeat(21), "Please shorten your name to 80 characters or fewer."),
        ("author_email", "ann@example".into(), "Please enter a valid email address"),
        ("author_email", "ann.example.org".into(), "Please enter a valid email address"),
        ("author_email", "ann@example..org".into(), "Please enter a valid email address"),
        ("author_email", "ann <ann@example.org>".into(), "Please enter a valid email address"),
        ("author_email", "  ".into(), "Please enter your email address."),
        ("author_email", format!("{}@example.org", "a".repeat(250)), "Please enter a valid email address"),
        ("author_url", "javascript:alert(document.cookie)".into(), "starting with http:// or https://"),
        ("author_url", " JavaScript:alert(1)".into(), "starting with http:// or https://"),
        ("author_url", "data:text/html,<script>alert(1)</script>".into(), "starting with http:// or https://"),
        ("author_url", "ftp://files.example.org/".into(), "starting with http:// or https://"),
        ("author_url", "http://localhost/".into(), "starting with http:// or https://"),
        (
            "author_url",
            format!("https://example.org/{}", "a".repeat(500)),
            "Please shorten the web address to 500 characters or fewer.",
        ),
        ("body", " \r\n  ".into(), "Please write your comment or question."),
        ("body", "é".repeat(10_001), "Your comment is 10001 characters long; the limit is 10000"),
    ];
    let mut cases: Vec<(&str, Option<String>, &str)> =
        cases.into_iter().map(|(field, bad, message)| (field, Some(bad), message)).collect();
    // A box left unticked is not sent at all.
    cases.push(("consent", None, "Please tick this box"));
    for (field, bad, message) in &cases {
        let mut fields = typed_everything();
        match bad {
            Some(bad) => set_field(&mut fields, field, bad),
            None => fields.retain(|(name, _)| name != field),
        }
        let case = format!("{field} = {bad:?}");
        let page = app.post_comment(SLUG, &fields).await;
        assert_eq!(page.status, 422, "{case}:\n{}", page.body);
        assert!(page.header("content-type").starts_with("text/html"), "{case}");
        page.assert_contains(&["Please correct the field marked below."]);
        page.assert_only_field_error(field, message);
        page.assert_form_keeps(&fields);
        assert!(app.stored_comments().is_empty(), "{case}: nothing is stored");
    }
}

#[tokio::test]
async fn a_comment_of_exactly_ten_thousand_characters_is_accepted() {
    let app = spawn_commenting_app().await;
    let mut fields = typed_everything();
    set_field(&mut fields, "body", &"é".repeat(10_000));
    let accepted = app.post_comment(SLUG, &fields).await;
    assert_eq!(accepted.status, 303, "exactly the limit is accepted");
}

#[tokio::test]
async fn every_mistake_is_marked_at_once() {
    let app = spawn_commenting_app().await;
    let fields = comment_fields("", "not an email", "");
    let page = app.post_comment(SLUG, &fields).await;
    assert_eq!(page.status, 422);
    page.assert_contains(&["Please correct the 3 fields marked below."]);
    for field in ["author_name", "author_email", "body"] {
        assert!(crate::helpers::field_error(&page.body, field).is_some(), "an error beside {field}");
    }
    page.assert_form_keeps(&fields);
}

#[tokio::test]
async fn a_form_larger_than_64_kib_is_refused_with_413() {
    let app = spawn_commenting_app().await;
    let page = app.post_comment(SLUG, &question(&"x".repeat(70 * 1024))).await;
    assert_eq!(page.status, 413);
    assert!(page.header("content-type").starts_with("text/html"));
    page.assert_contains(&["Too much text"]);
    assert!(app.stored_comments().is_empty());
}

#[tokio::test]
async fn posting_to_an_unknown_article_is_404() {
    let app = spawn_commenting_app().await;
    let page = app.get(&article()).await;
    let mut fields = question("Where did it go?");
    set_field(&mut fields, "csrf_token", &csrf_token(&page.body));
    assert_eq!(app.post_form("/posts/no-such-article/comments", &fields).await.status, 404);
    assert_eq!(app.get("/posts/no-such-article/comments.xml").await.status, 404);
    assert!(app.stored_comments().is_empty());
}

// ---------------------------------------------------------------------------
// Replies: which comments can be answered

/// Posts a reply to `parent` and expects it refused at the reply, text kept.
async fn assert_reply_refused(app: &TestApp, parent: CommentId) {
    let mut fields = question("Replying to something I cannot answer");
    set_field(&mut fields, "parent_id", &parent.to_string());
    let before = app.stored_comments().len();
    let page = app.post_comment(SLUG, &fields).await;
    assert_eq!(page.status, 422, "{}", page.body);
    page.assert_contains(&["The comment you were replying to is not available any more"]);
    page.assert_form_keeps(&fields);
    assert_eq!(app.stored_comments().len(), before, "nothing is stored");
}

#[tokio::test]
async fn a_reply_to_a_comment_on_another_article_is_refused() {
    let app = spawn_commenting_app().await;
    let elsewhere = app.insert_comment(OTHER_SLUG, CommentStatus::Approved, "Carol");
    assert_reply_refused(&app, elsewhere).await;
}

#[tokio::test]
async fn a_reply_to_a_comment_awaiting_moderation_is_refused_even_from_its_writer() {
    let app = spawn_commenting_app().await;
    let own_pending = posted_comment_id(&app.post_comment(SLUG, &question("My pending question")).await);
    assert_reply_refused(&app, own_pending).await;
    let spam = app.insert_comment(SLUG, CommentStatus::Spam, "Spammer");
    assert_reply_refused(&app, spam).await;
}

#[tokio::test]
async fn a_reply_to_a_comment_that_does_not_exist_is_refused() {
    let app = spawn_commenting_app().await;
    assert_reply_refused(&app, CommentId(987_654)).await;
}

#[tokio::test]
async fn the_reply_link_without_javascript_opens_the_form_as_a_reply() {
    let app = spawn_commenting_app().await;
    let parent = app.insert_comment(SLUG, CommentStatus::Approved, "Ann");

    let page = app.get(&format!("/posts/{SLUG}?replyto={parent}")).await;
    assert_eq!(page.status, 200);
    page.assert_contains(&[
        r#"<h2 id="respond-title">Reply to Ann</h2>"#,
        &format!(r##"<a class="reply-link" href="/posts/{SLUG}?replyto={parent}#respond""##),
        r#"id="cancel-reply">Cancel reply</a>"#,
    ]);
    assert!(!is_hidden(&page.body, r#"<p class="cancel-reply""#), "Cancel reply is offered");
    assert_eq!(input_value(&page.body, "parent_id"), parent.to_string());

    let mut fields = comment_fields("Bob", "bob@example.org", "Same question here");
    set_field(&mut fields, "parent_id", &input_value(&page.body, "parent_id"));
    let reply = app.stored_comment(posted_comment_id(&app.post_comment(SLUG, &fields).await));
    assert_eq!(reply.parent_id, Some(parent));
}

#[tokio::test]
async fn a_reply_link_to_a_comment_that_cannot_be_answered_gives_a_form_that_posts() {
    let app = spawn_commenting_app().await;
    let pending = app.insert_comment(SLUG, CommentStatus::Pending, "Ann");

    let page = app.get(&format!("/posts/{SLUG}?replyto={pending}")).await;
    assert_eq!(page.status, 200);
    page.assert_contains(&[r#"<h2 id="respond-title">Ask a question or leave a comment</h2>"#]);

    // The reader sends the form as the page shows it: a new question.
    let mut fields = question("A question of my own");
    set_field(&mut fields, "parent_id", &input_value(&page.body, "parent_id"));
    let sent = app.post_comment(SLUG, &fields).await;
    assert_eq!(sent.status, 303, "the form titled “Ask a question” must post a question:\n{}", sent.body);
}

#[tokio::test]
async fn a_refused_reply_can_be_resent_from_the_page_as_a_new_comment() {
    let app = spawn_commenting_app().await;
    let mut fields = question("Words I do not want to lose");
    set_field(&mut fields, "parent_id", "987654");
    let refused = app.post_comment(SLUG, &fields).await;
    assert_eq!(refused.status, 422);
    refused.assert_contains(&["send it again to post it as a new comment"]);

    // Without JavaScript the reader can only send the form again as it is.
    set_field(&mut fields, "parent_id", &input_value(&refused.body, "parent_id"));
    let resent = app.post_comment(SLUG, &fields).await;
    assert_eq!(resent.status, 303, "the reader is stuck with a reply they cannot clear:\n{}", resent.body);
}

// ---------------------------------------------------------------------------
// Threads

fn reply_to(parent: CommentId, name: &str, body: &str) -> Vec<(String, String)> {
    let mut fields = comment_fields(name, &format!("{}@example.org", name.to_lowercase()), body);
    set_field(&mut fields, "parent_id", &parent.to_string());
    fields
}

#[tokio::test]
async fn replies_nest_under_the_comment_they_answer() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    let ann = posted_comment_id(&app.post_comment(SLUG, &question("The first question")).await);
    let bob = posted_comment_id(&app.post_comment(SLUG, &reply_to(ann, "Bob", "Bob answers Ann")).await);
    let cat = posted_comment_id(&app.post_comment(SLUG, &reply_to(bob, "Cat", "Cat answers Bob")).await);
    let dan = posted_comment_id(&app.post_comment(SLUG, &comment_fields("Dan", "dan@example.org", "New")).await);

    let stored: Vec<_> = [ann, bob, cat, dan].iter().map(|&id| app.stored_comment(id).parent_id).collect();
    assert_eq!(stored, [None, Some(ann), Some(bob), None]);

    let page = app.get_as_stranger(&article()).await;
    let levels: Vec<_> = [ann, bob, cat, dan].iter().map(|&id| thread_level(&page.body, id)).collect();
    assert_eq!(levels, [1, 2, 3, 1]);
    page.assert_lacks(&["in-reply-to"]);
}

#[tokio::test]
async fn replies_beyond_the_thread_depth_show_at_the_last_level_saying_whom_they_answer() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    app.set_rule("thread_depth", "2");
    let ann = posted_comment_id(&app.post_comment(SLUG, &question("Top question")).await);
    let bob = posted_comment_id(&app.post_comment(SLUG, &reply_to(ann, "Bob", "Level two")).await);
    let cat = posted_comment_id(&app.post_comment(SLUG, &reply_to(bob, "Cat", "Would be three")).await);
    let dan = posted_comment_id(&app.post_comment(SLUG, &reply_to(cat, "Dan", "Would be four")).await);
    assert_eq!(app.stored_comment(dan).parent_id, Some(cat), "the stored parent is the real one");

    let page = app.get_as_stranger(&article()).await;
    let levels: Vec<_> = [ann, bob, cat, dan].iter().map(|&id| thread_level(&page.body, id)).collect();
    assert_eq!(levels, [1, 2, 2, 2]);
    assert!(page.comment_card(cat).contains(r#"<span class="in-reply-to">in reply to Bob</span>"#));
    assert!(page.comment_card(dan).contains(r#"<span class="in-reply-to">in reply to Cat</span>"#));
    assert!(!page.comment_card(bob).contains("in-reply-to"), "a reply shown nested needs no label");
}

#[tokio::test]
async fn a_thread_seven_deep_as_wordpress_kept_it_shows_seven_levels_and_ten_is_the_deepest_setting() {
    let app = spawn_app().await;
    let mut ids = vec![app.insert_comment(SLUG, CommentStatus::Approved, "Level One")];
    for level in 2..=12 {
        let parent = *ids.last().expect("a parent");
        ids.push(app.insert_reply(SLUG, parent, CommentStatus::Approved, &format!("Level {level}")));
    }
    app.set_rule("thread_depth", "7");
    let page = app.get_as_stranger(&article()).await;
    let levels: Vec<_> = ids.iter().map(|&id| thread_level(&page.body, id)).collect();
    assert_eq!(levels, [1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7], "seven levels, the deeper replies at the seventh");

    app.set_rule("thread_depth", "10");
    let page = app.get_as_stranger(&article()).await;
    assert_eq!(thread_level(&page.body, ids[9]), 10);
    assert_eq!(thread_level(&page.body, ids[11]), 10, "ten is the deepest, as in WordPress");
    assert_eq!(app.stored_comment(ids[11]).parent_id, Some(ids[10]), "storage keeps every level");
}

#[tokio::test]
async fn a_thread_of_500_comments_loads() {
    let app = spawn_app().await;
    let started = Instant::now();
    let stamp = db::now();
    app.with_db(|conn| {
        db::write(conn, |conn| {
            let mut previous = None;
            for n in 0..500 {
                // Every fifth comment starts a thread; the others answer the one before.
                let parent = if n % 5 == 0 { None } else { previous };
                let body = CommentBody::parse(&format!("Question {n}")).expect("a valid comment");
                let email = format!("reader{n}@example.org");
                let draft = reader_draft(SLUG, &format!("Reader {n}"), &email, &body, CommentStatus::Approved);
                let id = store(conn, Draft { parent, created_at: stamp, ..draft })?;
                previous = Some(id);
            }
            diesel::QueryResult::Ok(())
        })
    })
    .expect("500 comments are stored");
    let stored = started.elapsed();

    let started = Instant::now();
    let page = app.get_as_stranger(&article()).await;
    let loaded = started.elapsed();
    eprintln!("500 comments: stored in {stored:?}, page served in {loaded:?}");

    // 100 threads: the default 50 a page, whole, on the article and page 2.
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches(r#"<li id="comment-"#).count(), 250);
    page.assert_contains(&[
        r#"<h2 id="comments-heading">100 questions, 400 replies</h2>"#,
        "Question 0<",
        "Question 249<",
    ]);
    page.assert_lacks(&["Question 250<"]);
    assert_eq!(page.body.matches(r#"<ol class="children">"#).count(), 200, "four replies nest under each question");
    let second = app.get_as_stranger(&format!("/posts/{SLUG}/comment-page-2")).await;
    assert_eq!(second.body.matches(r#"<li id="comment-"#).count(), 250);
    second.assert_contains(&[
        r#"<h2 id="comments-heading">100 questions, 400 replies</h2>"#,
        "Question 250<",
        "Question 499<",
    ]);
}

// ---------------------------------------------------------------------------
// Forged forms and spam

#[tokio::test]
async fn a_comment_without_a_form_token_is_refused_with_its_text_kept() {
    let app = spawn_commenting_app().await;
    app.get(&article()).await; // the visitor cookie, but no token sent
    let mut fields = question("Posted by a page on another site");
    set_field(&mut fields, "notify", "on");

    let page = app.post_form(&format!("/posts/{SLUG}/comments"), &fields).await;

    assert_eq!(page.status, 403);
    page.assert_contains(&["We could not confirm that this form came from this site"]);
    page.assert_form_keeps(&fields);
    assert!(app.stored_comments().is_empty());
}

#[tokio::test]
async fn a_form_token_from_another_browser_is_refused() {
    let app = spawn_commenting_app().await;
    let other_browser = new_browser();
    let theirs = other_browser.get(format!("{}{}", app.address, article())).send().await.expect("GET succeeds");
    let their_token = csrf_token(&theirs.text().await.expect("a page"));
    app.get(&article()).await;
    let mut fields = question("Sent with someone else's token");
    set_field(&mut fields, "csrf_token", &their_token);

    let page = app.post_form(&format!("/posts/{SLUG}/comments"), &fields).await;

    assert_eq!(page.status, 403);
    page.assert_form_keeps(&fields);
    assert!(app.stored_comments().is_empty());
}

#[tokio::test]
async fn a_bot_filling_the_hidden_field_is_sent_on_but_stored_as_spam() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    let mut fields = question("Great post, visit my site");
    set_field(&mut fields, "url", "http://spam.example");

    let id = posted_comment_id(&app.post_comment(SLUG, &fields).await);

    assert_eq!(app.stored_comment(id).status, CommentStatus::Spam);
    app.get_as_stranger(&article()).await.assert_lacks(&["Great post, visit my site"]);
}

#[tokio::test]
async fn a_comment_with_a_blocked_word_is_stored_as_spam_and_hidden_from_others() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    app.set_rule("block_list", "casino\npills");

    let id = posted_comment_id(&app.post_comment(SLUG, &question("Cheap PILLS without prescription")).await);
    let fine = posted_comment_id(&app.post_comment(SLUG, &question("Which magnesium is gentlest?")).await);

    assert_eq!(app.stored_comment(id).status, CommentStatus::Spam);
    assert_eq!(app.stored_comment(fine).status, CommentStatus::Approved);
    let theirs = app.get_as_stranger(&article()).await;
    theirs.assert_lacks(&["Cheap PILLS"]);
    theirs.assert_contains(&["Which magnesium is gentlest?"]);
}

#[tokio::test]
async fn a_comment_filtered_as_spam_is_shown_to_its_writer_as_awaiting_moderation() {
    let app = spawn_commenting_app().await;
    app.set_rule("block_list", "pills");

    let id = posted_comment_id(&app.post_comment(SLUG, &question("Where can I buy pills?")).await);
    assert_eq!(app.stored_comment(id).status, CommentStatus::Spam);

    // The writer is not told their words were filtered: they see them waiting.
    let mine = app.get(&article()).await;
    mine.assert_contains(&[&format!(r#"<li id="comment-{id}""#)]);
    assert!(mine.comment_card(id).contains("Your comment is awaiting moderation"));
}

#[tokio::test]
async fn blocked_emails_and_domains_are_stored_as_spam() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    app.set_rule("block_list", "spammer@example.com\n@junk.example");

    let by_email = comment_fields("Sam", "Spammer@Example.com", "Hello from a blocked address");
    let by_domain = comment_fields("Sid", "anyone@JUNK.example", "Hello from a blocked domain");
    let by_email = posted_comment_id(&app.post_comment(SLUG, &by_email).await);
    let by_domain = posted_comment_id(&app.post_comment(SLUG, &by_domain).await);
    let fine = posted_comment_id(&app.post_comment(SLUG, &comment_fields("Ann", "ann@notjunk.example", "Hi")).await);

    assert_eq!(app.stored_comment(by_email).status, CommentStatus::Spam);
    assert_eq!(app.stored_comment(by_domain).status, CommentStatus::Spam);
    assert_eq!(app.stored_comment(fine).status, CommentStatus::Approved);
    app.get_as_stranger(&article()).await.assert_lacks(&["blocked address", "blocked domain"]);
}

#[tokio::test]
async fn a_blocked_ip_hash_sends_every_comment_from_that_address_to_spam() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    let first = posted_comment_id(&app.post_comment(SLUG, &question("Before the block")).await);
    let ip_hash = app.stored_comment(first).ip_hash;
    assert_eq!(app.stored_comment(first).status, CommentStatus::Approved);

    app.set_rule("block_list", &format!("something else\n{ip_hash}"));
    let fields = comment_fields("Another Name", "other@example.org", "After the block");
    let second = posted_comment_id(&app.post_comment(SLUG, &fields).await);

    assert_eq!(app.stored_comment(second).status, CommentStatus::Spam);
    app.get_as_stranger(&article()).await.assert_lacks(&["After the block"]);
}

#[tokio::test]
async fn hold_words_hold_a_comment_even_under_approve_all() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    app.set_rule("hold_words", "dosage chart\nmiracle");

    let in_body = posted_comment_id(&app.post_comment(SLUG, &question("Is there a Dosage Chart?")).await);
    let in_name = comment_fields("Miracle Cures Ltd", "mc@example.org", "Nice article");
    let in_name = posted_comment_id(&app.post_comment(SLUG, &in_name).await);
    let plain = posted_comment_id(&app.post_comment(SLUG, &question("Is there a table of doses?")).await);

    assert_eq!(app.stored_comment(in_body).status, CommentStatus::Pending);
    assert_eq!(app.stored_comment(in_name).status, CommentStatus::Pending);
    assert_eq!(app.stored_comment(plain).status, CommentStatus::Approved);
    let theirs = app.get_as_stranger(&article()).await;
    theirs.assert_lacks(&["Dosage Chart", "Miracle Cures"]);
    theirs.assert_contains(&["Is there a table of doses?"]);
}

#[tokio::test]
async fn more_links_than_allowed_hold_a_comment_even_under_approve_all() {
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    app.set_rule("max_links", "2");

    let two = question("See https://a.example/x and [this](http://b.example/y)");
    let three = question("See https://a.example/x, http://b.example/y and www.c.example");
    let two = posted_comment_id(&app.post_comment(SLUG, &two).await);
    let three = posted_comment_id(&app.post_comment(SLUG, &three).await);

    assert_eq!(app.stored_comment(two).status, CommentStatus::Approved);
    assert_eq!(app.stored_comment(three).status, CommentStatus::Pending);
    app.get_as_stranger(&article()).await.assert_lacks(&["www.c.example"]);
}

#[tokio::test]
async fn the_sixth_comment_within_a_minute_from_one_address_is_refused_with_429() {
    let app = spawn_commenting_app().await;
    for n in 1..=5 {
        let page = app.post_comment(SLUG, &question(&format!("Question number {n}"))).await;
        assert_eq!(page.status, 303, "comment {n} of 5 is accepted");
    }
    let mut sixth = question("Question number 6");
    set_field(&mut sixth, "notify", "on");

    let page = app.post_comment(SLUG, &sixth).await;

    assert_eq!(page.status, 429);
    assert_eq!(page.header("retry-after"), "60");
    page.assert_contains(&["You are posting too quickly"]);
    page.assert_form_keeps(&sixth);
    assert_eq!(app.stored_comments().len(), 5);
}

#[tokio::test]
async fn the_same_comment_twice_is_refused_as_a_duplicate() {
    let app = spawn_commenting_app().await;
    let fields = question("Can I take magnesium with iron?");
    posted_comment_id(&app.post_comment(SLUG, &fields).await);

    let again = app.post_comment(SLUG, &fields).await;

    assert_eq!(again.status, 409);
    again.assert_contains(&["already said that"]);
    again.assert_form_keeps(&fields);
    assert_eq!(app.stored_comments().len(), 1);

    // The same words from someone else, or on another article, are not duplicates.
    let someone_else = comment_fields("Bob", "bob@example.org", "Can I take magnesium with iron?");
    assert_eq!(app.post_comment(SLUG, &someone_else).await.status, 303);
    assert_eq!(app.post_comment(OTHER_SLUG, &fields).await.status, 303);
}

// ---------------------------------------------------------------------------
// Closed comments

fn closed_and_open_articles() -> Content {
    let today = chrono::Utc::now().date_naive().format("%Y-%m-%d");
    Content::new()
        .post("closed", "title = \"Comments off\"\ndate = 2024-01-01\ncomments = false", "No discussion here.")
        .post("old", "title = \"An old article\"\ndate = 2015-01-01", "Written long ago.")
        .post("fresh", &format!("title = \"A fresh article\"\ndate = {today}"), "Written today.")
}

#[tokio::test]
async fn an_article_with_comments_off_shows_no_form_and_refuses_posts() {
    let content = closed_and_open_articles();
    let app = spawn_app_with(|s| s.content_dir = content.path()).await;
    app.accept_instant_posts();
    app.insert_comment("closed", CommentStatus::Approved, "Ann");

    let page = app.get("/posts/closed").await;
    assert_eq!(page.status, 200);
    page.assert_contains(&["Comments are closed on this article.", "A question"]);
    page.assert_lacks(&["<form class=\"comment-form\"", "reply-link"]);

    let sent = app.post_form("/posts/closed/comments", &question("Can I still ask?")).await;
    assert_eq!(sent.status, 403);
    sent.assert_contains(&["Comments are closed on this article."]);
    assert_eq!(app.stored_comments().len(), 1, "nothing new is stored");
}

#[tokio::test]
async fn a_post_to_a_closed_article_gives_back_the_typed_text() {
    let content = closed_and_open_articles();
    let app = spawn_app_with(|s| s.content_dir = content.path()).await;
    app.accept_instant_posts();
    let fields = comment_fields("Ann Reader", "ann@example.org", "A long question I typed before it closed");

    let sent = app.post_form("/posts/closed/comments", &fields).await;

    assert_eq!(sent.status, 403);
    sent.assert_contains(&["Your text is kept below", "A long question I typed before it closed"]);
}

#[tokio::test]
async fn comments_close_on_articles_older_than_close_after_days() {
    let content = closed_and_open_articles();
    let app = spawn_app_with(|s| s.content_dir = content.path()).await;
    app.accept_instant_posts();
    assert_eq!(app.post_comment("old", &question("Before the rule")).await.status, 303);

    app.set_rule("close_after_days", "30");

    let old = app.get("/posts/old").await;
    old.assert_contains(&["Comments are closed on this article."]);
    old.assert_lacks(&["<form class=\"comment-form\""]);
    let sent = app.post_form("/posts/old/comments", &question("After the rule")).await;
    assert_eq!(sent.status, 403);
    assert_eq!(app.stored_comments().len(), 1);

    let fresh = app.post_comment("fresh", &question("On a new article")).await;
    assert_eq!(fresh.status, 303, "a new article stays open");
}

// ---------------------------------------------------------------------------
// The author's badge

#[tokio::test]
async fn only_the_signed_in_author_gets_the_author_badge() {
    use healthblog::db::schema::users::dsl as u;
    let app = spawn_commenting_app().await;
    app.set_rule("moderation_policy", "approve_all");
    let doctor = healthblog::config::Settings::default().site.author_name;
    let user_id: i32 = app
        .with_db(|conn| {
            diesel::insert_into(u::users)
                .values((
                    u::username.eq("doctor"),
                    u::display_name.eq(&doctor),
                    u::password_hash.eq("not used here"),
                    u::role.eq("author"),
                    u::created_at.eq(db::now()),
                ))
                .returning(u::id)
                .get_result(conn)
        })
        .expect("the author is stored");
    let answer = app.insert_comment(SLUG, CommentStatus::Approved, &doctor);
    let doctors_email = "doctor@example.org";
    app.with_db(|conn| {
        diesel::update(c::comments.find(answer))
            .set((c::user_id.eq(user_id), c::author_email.eq(doctors_email)))
            .execute(conn)
    })
    .expect("the answer is the author's");

    let impostor = comment_fields(&doctor, doctors_email, "Trust me, I am the doctor");
    let impostor = posted_comment_id(&app.post_comment(SLUG, &impostor).await);
    assert_eq!(app.stored_comment(impostor).status, CommentStatus::Approved);

    let page = app.get_as_stranger(&article()).await;
    assert!(page.comment_card(answer).contains(r#"<span class="badge">Author</span>"#));
    assert!(page.comment_card(answer).contains(r#"class="comment by-author""#));
    let impostor_card = page.comment_card(impostor);
    assert!(impostor_card.contains("Trust me, I am the doctor"));
    assert!(!impostor_card.contains("badge") && !impostor_card.contains("by-author"), "{impostor_card}");
    assert_eq!(page.body.matches(r#"<span class="badge">Author</span>"#).count(), 1);
}

// ---------------------------------------------------------------------------
// What is stored, and what never leaves it

#[tokio::test]
async fn what_a_commenter_types_is_stored_cleaned_and_rendered() {
    let app = spawn_commenting_app().await;
    let mut fields = comment_fields(
        "  Ann   Lee ",
        " Ann.Lee@Example.ORG ",
        "Does **magnesium glycinate** help?\r\n\r\n<b>really</b> [see](javascript:alert(1))",
    );
    set_field(&mut fields, "author_url", "ann.example.org");
    set_field(&mut fields, "notify", "on");

    let stored = app.stored_comment(posted_comment_id(&app.post_comment(SLUG, &fields).await));

    assert_eq!(stored.post_slug, SLUG);
    assert_eq!(stored.author_name, "Ann Lee");
    assert_eq!(stored.author_email, "Ann.Lee@example.org");
    assert_eq!(stored.author_url.as_deref(), Some("https://ann.example.org/"));
    assert_eq!(stored.body_markdown, "Does **magnesium glycinate** help?\n\n<b>really</b> [see](javascript:alert(1))");
    assert!(stored.body_html.as_str().contains("<strong>magnesium glycinate</strong>"), "{}", stored.body_html);
    assert!(
        stored.body_html.as_str().contains("&lt;b&gt;really&lt;/b&gt;"),
        "raw HTML is kept as text: {}",
        stored.body_html
    );
    assert!(
        !stored.body_html.as_str().contains("<b>") && !stored.body_html.as_str().contains("href=\"javascript"),
        "{}",
        stored.body_html
    );
    assert!(stored.notify);
    assert_eq!((stored.status, stored.parent_id, stored.user_id), (CommentStatus::Pending, None, None));
}

#[tokio::test]
async fn the_ip_is_stored_as_a_keyed_hash_with_the_user_agent() {
    const SECRET: &str = "another secret that is long enough for every key";
    let mut app = spawn_app_with(|s| s.secret_key = Some(SECRET.into())).await;
    app.accept_instant_posts();
    app.client = client_builder()
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) HealthblogTest/1.0")
        .build()
        .expect("an HTTP client");

    let stored = app.stored_comment(posted_comment_id(&app.post_comment(SLUG, &question("Where is my IP?")).await));

    assert!(!stored.ip_hash.is_empty());
    assert!(!stored.ip_hash.contains("127.0.0.1"), "{}", stored.ip_hash);
    let keys = healthblog::keys::Keys::from_secret(SECRET).expect("keys from the secret");
    assert_eq!(stored.ip_hash, keys.hash_ip("127.0.0.1"), "the IP is hashed with the site's key");
    assert_eq!(stored.user_agent, "Mozilla/5.0 (X11; Linux x86_64) HealthblogTest/1.0");
}

#[tokio::test]
async fn commenters_emails_never_appear_in_a_public_response() {
    let app = spawn_commenting_app().await;
    let pending = comment_fields("Ann", "ann.private@example.net", "Is magnesium safe in pregnancy?");
    let approved = comment_fields("Bob", "bob.private@example.net", "Magnesium helped my migraines");
    let pending_response = app.post_comment(SLUG, &pending).await;
    let pending_id = posted_comment_id(&pending_response);
    let approved_id = posted_comment_id(&app.post_comment(SLUG, &approved).await);
    app.set_status(approved_id, CommentStatus::Approved);

    let mine = app.get(&article()).await;
    assert!(mine.comment_card(pending_id).contains("awaiting moderation"), "the pending comment is on the page");
    let theirs = app.get_as_stranger(&article()).await;
    assert!(theirs.comment_card(approved_id).contains("Magnesium helped"), "the approved comment is on the page");
    let mut pages = vec![("the 303", pending_response), ("own article page", mine), ("article page", theirs)];
    for path in [
        format!("/posts/{SLUG}?replyto={approved_id}"),
        format!("/posts/{SLUG}/comments.xml"),
        "/".into(),
        "/feed.xml".into(),
        "/tags/magnesium".into(),
        "/archive".into(),
        "/search?q=magnesium".into(),
        "/sitemap.xml".into(),
    ] {
        pages.push(("own view", app.get(&path).await));
        pages.push(("public view", app.get_as_stranger(&path).await));
    }
    for (what, page) in &pages {
        let headers = format!("{:?}", page.headers);
        for secret in ["ann.private", "bob.private", "@example.net"] {
            assert!(
                !page.body.contains(secret) && !headers.contains(secret),
                "{secret} leaked in {what}:\n{}",
                page.body
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Counts and the comment feed

#[tokio::test]
async fn comment_counts_include_only_approved_comments() {
    let app = spawn_app().await;
    use CommentStatus::{Approved, Pending, Spam, Trash};
    for status in [Approved, Approved, Pending, Spam, Trash] {
        app.insert_comment(SLUG, status, "Ann");
    }
    app.insert_comment(OTHER_SLUG, CommentStatus::Approved, "Bob");
    let card =
        |slug: &str, count: &str| format!(r#"<a href="/posts/{slug}#comments" class="comment-count">{count}</a>"#);

    let home = app.get_as_stranger("/").await;
    home.assert_contains(&[
        &card(SLUG, "2 questions"),
        &card(OTHER_SLUG, "1 question"),
        &card("rbc-magnesium-blood-test", "No questions yet"),
    ]);
    let tag = app.get_as_stranger("/tags/migraine").await;
    tag.assert_contains(&[&card(SLUG, "2 questions")]);
    let page = app.get_as_stranger(&article()).await;
    page.assert_contains(&[
        r##"<a href="#comments">2 questions</a>"##,
        r#"<h2 id="comments-heading">2 questions</h2>"#,
    ]);
    assert_eq!(page.body.matches(r#"<li id="comment-"#).count(), 2);
}

#[tokio::test]
async fn the_comment_feed_carries_approved_comments_only_without_emails() {
    let app = spawn_app().await;
    let approved = app.insert_comment(SLUG, CommentStatus::Approved, "Ann");
    app.insert_comment(SLUG, CommentStatus::Pending, "Bob");
    app.insert_comment(SLUG, CommentStatus::Spam, "Sam");
    app.insert_comment(OTHER_SLUG, CommentStatus::Approved, "Carol");

    let page = app.get(&format!("/posts/{SLUG}/comments.xml")).await;

    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("application/atom+xml"));
    let feed = atom_syndication::Feed::from_str(&page.body).expect("the comment feed is valid Atom");
    assert_eq!(feed.title().as_str(), format!("Comments on “{TITLE}”"));
    let names: Vec<_> = feed.entries().iter().map(|e| e.authors()[0].name().to_owned()).collect();
    assert_eq!(names, ["Ann"]);
    let entry = &feed.entries()[0];
    assert_eq!(entry.title().as_str(), format!("Ann on “{TITLE}”"));
    let permalink = format!("http://blog.test/posts/{SLUG}#comment-{approved}");
    assert_eq!(entry.links()[0].href(), permalink);
    assert_eq!(entry.content().and_then(|c| c.value()), Some("<p>A question</p>\n"));
    assert!(entry.authors().iter().all(|a| a.email().is_none()));
    page.assert_lacks(&["@example.org", "Bob", "Sam", "Carol"]);
    let article_page = app.get(&article()).await;
    article_page.assert_contains(&[&format!(r#"href="/posts/{SLUG}/comments.xml""#)]);
}

#[tokio::test]
async fn a_comment_for_an_article_this_instance_does_not_have_keeps_its_text() {
    let app = spawn_app().await;
    let page = app
        .post_form(
            "/posts/an-article-published-a-moment-ago/comments",
            &comment_fields("Ann", "ann@example.org", "My words, which must not be lost."),
        )
        .await;
    assert_eq!(page.status, 404);
    assert_eq!(textarea_text(&page.body, "kept-text"), "My words, which must not be lost.");
    assert!(app.stored_comments().is_empty());
}

#[tokio::test]
async fn each_comment_shows_its_writers_initials_and_no_says() {
    let app = spawn_app().await;
    let id = app.insert_comment("oral-magnesium-for-migraine-prevention", CommentStatus::Approved, "Ann");
    let page = app.get("/posts/oral-magnesium-for-migraine-prevention").await;
    let card = page.comment_card(id);
    assert!(card.contains("<span class=\"avatar\" aria-hidden=\"true\">A</span>"), "{card}");
    assert!(!card.contains("says:"), "{card}");
}
