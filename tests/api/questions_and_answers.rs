//! Readers see a discussion counted as questions, answers and replies, by
//! the desk's own definition of a question.

use crate::admin::{answer, row_ids, signed_in_app, Stored, SLUG};
use crate::helpers::CommentStatus;

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
