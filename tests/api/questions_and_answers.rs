//! Readers see a discussion counted as questions, answers and replies, by
//! the desk's own definition of a question; the author answering from the
//! article page gets a confirmation once.

use crate::admin::{answer, fields, flash, location, row_ids, signed_in_app, Stored, SLUG};
use crate::helpers::{csrf_token, CommentStatus};

/// Ann asks; the author answers her; Bob, a reader, replies to Ann; Cy
/// follows the author's answer up with a question of her own.
async fn a_discussion(app: &crate::helpers::TestApp) -> [crate::helpers::CommentId; 4] {
    app.set_rule("min_seconds_to_submit", "0");
    let approved = |name, email, parent, minutes_ago| Stored {
        status: CommentStatus::Approved,
        name,
        email,
        parent,
        minutes_ago,
        ..Stored::default()
    };
    let ann = approved("Ann Reader", "ann@example.org", None, 50).insert(app);
    assert_eq!(answer(app, ann, "Yes, with food.", "/admin").await.status, 303);
    let author_answer = app
        .stored_comments()
        .into_iter()
        .find(|c| c.parent_id == Some(ann) && c.user_id.is_some())
        .expect("the author's answer is stored")
        .id;
    let bob = approved("Bob Reader", "bob@example.org", Some(ann), 0).insert(app);
    let cy = approved("Cy Reader", "cy@example.org", Some(author_answer), 0).insert(app);
    [ann, author_answer, bob, cy]
}

#[tokio::test]
async fn a_discussion_is_counted_as_questions_answers_and_replies_wherever_its_count_shows() {
    let (app, _) = signed_in_app().await;
    let [ann, author_answer, bob, cy] = a_discussion(&app).await;
    // A comment readers do not see yet counts for nothing on their pages.
    let pending = Stored { status: CommentStatus::Pending, ..Stored::default() }.insert(&app);

    let words = "2 questions, 1 answer, 1 reply";
    let article = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    article.assert_contains(&[
        &format!(r##"<a href="#comments">{words}</a>"##),
        &format!(r#"<h2 id="comments-heading">{words}</h2>"#),
        r#""commentCount":4"#,
    ]);
    let card = format!(r#"<a href="/posts/{SLUG}#comments" class="comment-count">{words}</a>"#);
    app.get_as_stranger("/").await.assert_contains(&[&card]);
    app.get_as_stranger("/tags/migraine").await.assert_contains(&[&card]);

    // The desk asks the same question: Cy's follow-up waits for an answer
    // (as does the pending question), Ann's was answered, and Bob's reply to
    // a reader asks the author nothing.
    let questions = row_ids(&app.get("/admin/questions").await.body);
    assert_eq!(questions, [cy, pending], "answer {author_answer}, Ann {ann}, Bob {bob}");
}

#[tokio::test]
async fn one_of_each_is_said_in_the_singular_and_none_as_no_questions_yet() {
    let (app, _) = signed_in_app().await;
    let ann = Stored { status: CommentStatus::Approved, ..Stored::default() }.insert(&app);
    let asked = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    asked.assert_contains(&[r#"<h2 id="comments-heading">1 question</h2>"#]);
    let other = app.get_as_stranger("/posts/rbc-magnesium-blood-test").await;
    other.assert_contains(&[r#"<h2 id="comments-heading">No questions yet</h2>"#, "Be the first to ask."]);

    assert_eq!(answer(&app, ann, "It can be.", "/admin").await.status, 303);
    Stored { status: CommentStatus::Approved, parent: Some(ann), ..Stored::default() }.insert(&app);
    let article = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    article.assert_contains(&[r#"<h2 id="comments-heading">1 question, 1 answer, 1 reply</h2>"#]);
}

#[tokio::test]
async fn the_author_answering_on_the_article_page_is_told_once_where_the_answer_is() {
    let (app, _) = signed_in_app().await;
    app.set_rule("min_seconds_to_submit", "0");
    let question = Stored { status: CommentStatus::Approved, ..Stored::default() }.insert(&app);

    let article = app.get(&format!("/posts/{SLUG}?replyto={question}")).await;
    let form = fields(&[
        ("body", "Take them four hours apart."),
        ("parent_id", &question.to_string()),
        ("csrf_token", &csrf_token(&article.body)),
    ]);
    let posted = app.post_form(&format!("/posts/{SLUG}/comments"), &form).await;
    let target = location(&posted);
    let (path, fragment) = target.split_once('#').expect("the answer's anchor");
    let answer_id = fragment.strip_prefix("comment-").expect("a comment anchor");

    // A reader never sees it.
    let reader = app.get_as_stranger(path).await;
    assert_eq!(flash(&reader), None);
    assert!(reader.body.contains("Take them four hours apart."));

    let shown = app.get(path).await;
    assert_eq!(shown.status, 200);
    let message = flash(&shown).unwrap_or_default();
    assert!(message.starts_with("Your answer is published: <a href="), "{message:?}");
    // In the card of the answer itself, where the browser lands.
    let card = shown.comment_card(answer_id.parse().expect("a comment id"));
    assert!(card.contains(&format!(r#"Your answer is published: <a href="{target}">view it</a>"#)), "{card}");
    let followed = app.get(path).await;
    assert_eq!(followed.status, 200);
    assert!(followed.body.contains(&format!(r#"<li id="comment-{answer_id}""#)), "the link leads to the answer");
    assert_eq!(flash(&followed), None, "shown once: reloading does not show it again");
}
