//! The author answers and edits: "Approve and reply" publishes an answer with
//! the author badge under the question; an edit is rendered and cleaned
//! again; empty or over-long text comes back with what was typed.

use diesel::prelude::*;
use healthblog::db::comments::Comment;
use healthblog::db::log::LogAction;
use healthblog::db::schema::comments;
use healthblog::domain::{CommentId, CommentStatus, Role, MAX_BODY_CHARS};

use super::{
    answer, desk_token, fields, flash, location, log_entries, moderate, reader_comments, signed_in_app, status_of,
    stored, Stored, DISPLAY, SLUG,
};
use crate::helpers::{new_browser, textarea_text, thread_level, Page, TestApp};

const BADGE: &str = "<span class=\"badge\">Author</span>";

fn replies_to(app: &TestApp, parent: CommentId) -> Vec<Comment> {
    app.with_db(|conn| comments::table.filter(comments::parent_id.eq(parent)).select(Comment::as_select()).load(conn))
        .expect("the comments table answers")
}

async fn article_as_reader(app: &TestApp) -> Page {
    let page = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    assert_eq!(page.status, 200);
    page
}

#[tokio::test]
async fn approve_and_reply_publishes_the_answer_under_the_question_with_the_author_badge() {
    let (app, user_id) = signed_in_app().await;
    app.set_rule("min_seconds_to_submit", "0");
    let question = reader_comments(&app, SLUG, "Maria Reader", "Can I take magnesium with my thyroid tablet?").await;
    assert_eq!(status_of(&app, question), CommentStatus::Pending);
    assert!(!article_as_reader(&app).await.body.contains("my thyroid tablet"), "held until approved");
    let tab = "/admin/comments?status=pending&page=1";
    let logged = log_entries(&app).len();

    let response = answer(&app, question, "Yes, but take them **four hours** apart.", tab).await;

    assert_eq!(location(&response), tab);
    let message = flash(&app.get(tab).await).expect("a message");
    let [reply] = replies_to(&app, question).try_into().expect("one reply");
    assert_eq!(
        message,
        format!("Your answer is published. <a href=\"/posts/{SLUG}#comment-{}\">View it on the page</a>", reply.id)
    );
    assert_eq!(
        (reply.user_id, reply.status.as_str(), reply.author_name.as_str()),
        (Some(user_id), "approved", DISPLAY)
    );
    assert!(reply.body_html.as_str().contains("<strong>four hours</strong>"), "{}", reply.body_html);
    assert_eq!(status_of(&app, question), CommentStatus::Approved, "answering approves the question");

    let entries: Vec<_> = log_entries(&app)[logged..]
        .iter()
        .map(|e| (e.action, e.comment_id, e.from_status.clone(), e.to_status.clone(), e.user_id))
        .collect();
    assert_eq!(
        entries,
        [
            (LogAction::Approve, Some(question), Some("pending".into()), Some("approved".into()), Some(user_id)),
            (LogAction::Reply, Some(reply.id), None, Some("approved".into()), Some(user_id)),
        ]
    );

    let article = article_as_reader(&app).await;
    assert!(article.comment_card(question).contains("my thyroid tablet"));
    assert!(!article.comment_card(question).contains(BADGE), "the reader gets no badge");
    let shown = article.comment_card(reply.id);
    assert!(shown.contains(BADGE) && shown.contains(DISPLAY), "the answer carries the badge:\n{shown}");
    assert!(shown.contains("<strong>four hours</strong>"));
    assert_eq!(thread_level(&article.body, question), 1);
    assert_eq!(thread_level(&article.body, reply.id), 2, "the answer is nested under the question");
}

#[tokio::test]
async fn an_empty_or_too_long_answer_comes_back_with_what_was_typed() {
    let (app, _) = signed_in_app().await;
    let question = Stored::default().insert(&app);
    let logged = log_entries(&app).len();
    let too_long = format!("A careful answer. {}", "x".repeat(MAX_BODY_CHARS));

    for (typed, message) in
        [("  \n  ", "Please write your comment or question."), (too_long.as_str(), "the limit is 10000")]
    {
        let response = answer(&app, question, typed, "/admin/questions").await;
        assert_eq!(response.status, 422, "{message}");
        response.assert_contains(&[message]);
        assert_eq!(textarea_text(&response.body, "body"), typed, "the typed answer is kept");
        assert!(response.body.contains(r#"name="return_to" value="/admin/questions""#));
    }
    assert!(replies_to(&app, question).is_empty(), "no answer is stored");
    assert_eq!(status_of(&app, question), CommentStatus::Pending, "the question still waits");
    assert_eq!(log_entries(&app).len(), logged, "nothing is logged");
}

#[tokio::test]
async fn a_comment_in_spam_or_trash_is_restored_before_it_is_answered() {
    let (app, _) = signed_in_app().await;
    for status in [CommentStatus::Spam, CommentStatus::Trash] {
        let id = Stored { status, ..Stored::default() }.insert(&app);
        let response = answer(&app, id, "An answer typed too early.", "/admin").await;
        assert_eq!(response.status, 422);
        response.assert_contains(&["Restore this comment before answering it."]);
        assert_eq!(textarea_text(&response.body, "body"), "An answer typed too early.");
        assert!(replies_to(&app, id).is_empty());
        assert_eq!(status_of(&app, id), status);
    }
}

#[tokio::test]
async fn an_edit_is_rendered_and_cleaned_again_and_marked_on_the_article() {
    let (app, user_id) = signed_in_app().await;
    let id = Stored { status: CommentStatus::Approved, body: "Original wording of the question", ..Stored::default() }
        .insert(&app);
    let return_to = "/admin/comments?status=approved";

    let form = app.get(&format!("/admin/comments/{id}/edit?return_to=%2Fadmin%2Fcomments%3Fstatus%3Dapproved")).await;
    assert_eq!(form.status, 200);
    assert_eq!(textarea_text(&form.body, "body"), "Original wording of the question");
    assert!(form.body.contains(&format!("name=\"return_to\" value=\"{return_to}\"")), "{}", form.body);
    assert!(!article_as_reader(&app).await.comment_card(id).contains("Edited"));

    let typed = "**bold** <script>alert(1)</script>";
    let saved = app
        .post_form(
            &format!("/admin/comments/{id}/edit"),
            &fields(&[("body", typed), ("csrf_token", &desk_token(&app).await), ("return_to", return_to)]),
        )
        .await;

    assert_eq!(location(&saved), return_to);
    assert_eq!(flash(&app.get(return_to).await).as_deref(), Some(format!("Comment {id} saved.").as_str()));
    let comment = stored(&app, id).expect("the comment is still there");
    assert_eq!(comment.body_markdown, typed);
    assert!(comment.body_html.as_str().contains("<strong>bold</strong>"), "{}", comment.body_html);
    assert!(!comment.body_html.as_str().contains("<script"), "{}", comment.body_html);
    assert!(comment.body_html.as_str().contains("&lt;script&gt;"), "the tag shows as text: {}", comment.body_html);
    assert!(comment.edited_at.is_some());

    let card = article_as_reader(&app).await.comment_card(id).to_owned();
    assert!(card.contains("Edited") && card.contains("<strong>bold</strong>"), "{card}");
    assert!(!card.contains("<script") && !card.contains("Original wording"), "{card}");
    let entry = log_entries(&app).pop().expect("a log entry");
    assert_eq!((entry.action.as_str(), entry.comment_id, entry.user_id), ("edit", Some(id), Some(user_id)));
}

#[tokio::test]
async fn an_empty_or_too_long_edit_comes_back_with_what_was_typed_and_stores_nothing() {
    let (app, _) = signed_in_app().await;
    let id = Stored { status: CommentStatus::Approved, body: "Original wording of the question", ..Stored::default() }
        .insert(&app);
    let before = stored(&app, id).expect("stored");
    let logged = log_entries(&app).len();
    let too_long = format!("Reworded. {}", "y".repeat(MAX_BODY_CHARS));

    for (typed, message) in
        [("   ", "Please write your comment or question."), (too_long.as_str(), "the limit is 10000")]
    {
        let response = app
            .post_form(
                &format!("/admin/comments/{id}/edit"),
                &fields(&[("body", typed), ("csrf_token", &desk_token(&app).await), ("return_to", "/admin")]),
            )
            .await;
        assert_eq!(response.status, 422, "{message}");
        response.assert_contains(&[message]);
        assert_eq!(textarea_text(&response.body, "body"), typed, "the typed text is kept");
    }
    let after = stored(&app, id).expect("stored");
    assert_eq!((after.body_markdown, after.edited_at), (before.body_markdown, before.edited_at), "nothing stored");
    assert_eq!(log_entries(&app).len(), logged, "nothing is logged");
}

/// A line that opens with `<script>` is, by CommonMark, an HTML block to its
/// end: the Markdown after the tag on that line is not rendered. The whole
/// line must still be shown as text, never run.
#[tokio::test]
async fn an_edit_that_opens_with_a_script_tag_is_shown_as_text() {
    let (app, _) = signed_in_app().await;
    let id = Stored { status: CommentStatus::Approved, ..Stored::default() }.insert(&app);
    let typed = "<script>alert(1)</script> **bold**";

    let saved = app
        .post_form(
            &format!("/admin/comments/{id}/edit"),
            &fields(&[("body", typed), ("csrf_token", &desk_token(&app).await), ("return_to", "/admin")]),
        )
        .await;

    assert_eq!(location(&saved), "/admin");
    let html = stored(&app, id).expect("stored").body_html.into_string();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    let card = article_as_reader(&app).await.comment_card(id).to_owned();
    assert!(!card.contains("<script") && card.contains("&lt;script&gt;alert(1)"), "{card}");
}

#[tokio::test]
async fn a_signed_in_author_answers_straight_from_the_article_page() {
    let (app, user_id) = signed_in_app().await;
    app.set_rule("min_seconds_to_submit", "0");
    let question = reader_comments(&app, SLUG, "Paul Reader", "Is 400 mg of citrate enough?").await;
    assert_eq!(moderate(&app, question, "approve", "/admin").await.status, 303);

    let article = app.get(&format!("/posts/{SLUG}?replyto={question}")).await;
    article.assert_contains(&["You are signed in as <strong>", "published at once, with the Author badge"]);
    article.assert_lacks(&[r#"id="author_email""#, r#"id="author_name""#]);
    let form = fields(&[
        ("body", "For most people, yes: take it **with food**."),
        ("parent_id", &question.to_string()),
        ("csrf_token", &crate::helpers::csrf_token(&article.body)),
    ]);
    let posted = app.post_form(&format!("/posts/{SLUG}/comments"), &form).await;
    assert_eq!(posted.status, 303, "{}", posted.body);

    let replies = replies_to(&app, question);
    assert_eq!(replies.len(), 1);
    let reply = &replies[0];
    assert_eq!(
        (reply.user_id, reply.status.as_str(), reply.author_name.as_str()),
        (Some(user_id), "approved", DISPLAY)
    );
    assert!(reply.body_html.as_str().contains("<strong>with food</strong>"));

    let public = article_as_reader(&app).await;
    let card = public.comment_card(reply.id);
    assert!(card.contains(BADGE) && card.contains("with food"), "{card}");
    assert_eq!(thread_level(&public.body, reply.id), thread_level(&public.body, question) + 1);
    assert!(log_entries(&app).iter().any(|e| e.action == "reply" && e.comment_id == Some(reply.id)));
}

#[tokio::test]
async fn a_moderators_answer_says_moderator_and_a_closed_account_keeps_its_badges() {
    let (app, _) = signed_in_app().await;
    app.set_rule("min_seconds_to_submit", "0");
    let question = reader_comments(&app, SLUG, "Rita Reader", "Does magnesium interact with antibiotics?").await;
    let answered = answer(&app, question, "Yes: take them apart.", "/admin").await;
    assert_eq!(answered.status, 303);

    let hash = healthblog::auth::password::hash("a moderator pass phrase").expect("a hash");
    app.with_db(|conn| healthblog::db::users::insert(conn, "mo", "Mo Moderator", Role::Moderator, &hash))
        .expect("the moderator is stored");
    let moderator = new_browser();
    assert_eq!(super::sign_in_with(&app, &moderator, "mo", "a moderator pass phrase").await.status, 303);
    let queue = super::get_with(&app, &moderator, "/admin").await;
    let form = fields(&[
        ("body", "Thank you for asking."),
        ("csrf_token", &crate::helpers::csrf_token(&queue.body)),
        ("return_to", "/admin"),
    ]);
    let page = super::post_with(&app, &moderator, &format!("/admin/comments/{question}/reply"), &form).await;
    assert_eq!(page.status, 303, "{}", page.body);

    let replies = replies_to(&app, question);
    let (author_reply, moderator_reply) = (&replies[0], &replies[1]);
    let public = article_as_reader(&app).await;
    assert!(public.comment_card(author_reply.id).contains(BADGE));
    assert!(public.comment_card(moderator_reply.id).contains("<span class=\"badge\">Moderator</span>"));

    // Closing the author's account keeps what they published as theirs.
    app.with_db(|conn| healthblog::db::users::remove(conn, super::AUTHOR)).expect("the account is closed");
    let public = article_as_reader(&app).await;
    assert!(public.comment_card(author_reply.id).contains(BADGE));
    assert_eq!(app.get("/admin").await.status, 303, "the closed account's session no longer opens the desk");
}
