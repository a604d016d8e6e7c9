//! `/admin/questions`: readers' comments still waiting for an answer,
//! oldest first, until the author answers or says none is needed.

use super::{
    answer, desk_token, fields, flash, location, log_entries, moderate, row_ids, signed_in_app, status_of, stored,
    Stored,
};
use healthblog::domain::CommentStatus;

#[tokio::test]
async fn the_questions_page_lists_unanswered_reader_comments_oldest_first() {
    let (app, user_id) = signed_in_app().await;
    let newest = Stored { status: CommentStatus::Approved, minutes_ago: 60, ..Stored::default() }.insert(&app);
    let oldest = Stored { status: CommentStatus::Approved, minutes_ago: 300, ..Stored::default() }.insert(&app);
    let pending = Stored { status: CommentStatus::Pending, minutes_ago: 120, ..Stored::default() }.insert(&app);
    let answered = Stored { status: CommentStatus::Approved, minutes_ago: 200, ..Stored::default() }.insert(&app);
    let spam = Stored { status: CommentStatus::Spam, minutes_ago: 250, ..Stored::default() }.insert(&app);
    let trash = Stored { status: CommentStatus::Trash, minutes_ago: 260, ..Stored::default() }.insert(&app);
    // The author's answer to `answered`, stored as the desk stores one.
    let reply =
        Stored { status: CommentStatus::Approved, parent: Some(answered), minutes_ago: 100, ..Stored::default() }
            .insert(&app);
    app.with_db(|conn| {
        use diesel::prelude::*;
        use healthblog::db::schema::comments::dsl as c;
        diesel::update(c::comments.find(reply)).set(c::user_id.eq(user_id)).execute(conn)
    })
    .expect("the reply becomes the author's");

    let page = app.get("/admin/questions").await;

    assert_eq!(page.status, 200);
    assert_eq!(row_ids(&page.body), [oldest, pending, newest], "unanswered, oldest first");
    for left_out in [answered, reply, spam, trash] {
        assert!(!row_ids(&page.body).contains(&left_out), "comment {left_out} is not a question to answer");
    }
}

#[tokio::test]
async fn answering_a_question_takes_it_off_the_list() {
    let (app, _) = signed_in_app().await;
    let first = Stored { minutes_ago: 30, ..Stored::default() }.insert(&app);
    let second = Stored { minutes_ago: 20, ..Stored::default() }.insert(&app);
    assert_eq!(row_ids(&app.get("/admin/questions").await.body), [first, second]);

    let response = answer(&app, first, "Take it at night, with water.", "/admin/questions").await;

    assert_eq!(location(&response), "/admin/questions");
    let page = app.get("/admin/questions").await;
    assert!(flash(&page).is_some_and(|m| m.starts_with("Your answer is published")), "{:?}", flash(&page));
    assert_eq!(row_ids(&page.body), [second], "the answered question and the answer are off the list");
}

#[tokio::test]
async fn no_answer_needed_takes_a_question_off_the_list_unanswered() {
    let (app, user_id) = signed_in_app().await;
    let thanks = Stored { status: CommentStatus::Approved, body: "Thank you for this article!", ..Stored::default() }
        .insert(&app);
    let question = Stored { minutes_ago: 5, ..Stored::default() }.insert(&app);
    let page = app.get("/admin/questions").await;
    assert_eq!(row_ids(&page.body), [question, thanks]);
    assert!(page.body.contains(&format!("action=\"/admin/comments/{thanks}/no-answer\"")), "a button per question");

    let response = app
        .post_form(
            &format!("/admin/comments/{thanks}/no-answer"),
            &fields(&[("csrf_token", &desk_token(&app).await), ("return_to", "/admin/questions")]),
        )
        .await;

    assert_eq!(location(&response), "/admin/questions");
    let page = app.get("/admin/questions").await;
    assert_eq!(flash(&page).as_deref(), Some(format!("Comment {thanks} needs no answer.").as_str()));
    assert_eq!(row_ids(&page.body), [question]);
    let comment = stored(&app, thanks).expect("still stored");
    assert!(comment.no_answer_needed);
    assert_eq!(status_of(&app, thanks), CommentStatus::Approved, "it stays on the article");
    let entry = log_entries(&app).pop().expect("a log entry");
    assert_eq!(
        (entry.action.as_str(), entry.comment_id, entry.user_id),
        ("no-answer-needed", Some(thanks), Some(user_id))
    );
}

/// Readers no longer see an answer the author moved to the trash: the
/// question is unanswered again and must come back to the author's list.
#[tokio::test]
async fn a_question_whose_answer_went_to_the_trash_is_unanswered_again() {
    let (app, _) = signed_in_app().await;
    let question = Stored { status: CommentStatus::Approved, ..Stored::default() }.insert(&app);
    assert_eq!(location(&answer(&app, question, "A first answer with a mistake.", "/admin").await), "/admin");
    let reply = super::replies_of(&app, question).pop().expect("the answer is stored");
    assert!(row_ids(&app.get("/admin/questions").await.body).is_empty(), "answered");

    assert_eq!(location(&moderate(&app, reply, "trash", "/admin").await), "/admin");

    let article = app.get_as_stranger(&format!("/posts/{}", super::SLUG)).await;
    assert!(!article.body.contains("A first answer with a mistake."), "readers see no answer");
    assert_eq!(row_ids(&app.get("/admin/questions").await.body), [question], "the question waits for an answer again");
}

#[tokio::test]
async fn a_reader_answering_another_reader_asks_the_author_nothing_but_a_follow_up_does() {
    let (app, _) = signed_in_app().await;
    let question = Stored { status: CommentStatus::Approved, minutes_ago: 60, ..Stored::default() }.insert(&app);
    let other_reader = Stored {
        status: CommentStatus::Approved,
        name: "Helpful Reader",
        email: "helpful@example.org",
        body: "I had the same trouble; taking it with dinner helped me.",
        parent: Some(question),
        minutes_ago: 50,
        ..Stored::default()
    }
    .insert(&app);

    assert_eq!(row_ids(&app.get("/admin/questions").await.body), [question], "only the reader's question");
    let dashboard = app.get("/admin").await;
    dashboard.assert_contains(&["<strong>1</strong> unanswered question</a>"]);

    answer(&app, question, "Two hours apart from the tablet is enough.", "/admin/questions").await;
    let doctors_answer = *super::replies_of(&app, question).last().expect("the answer is stored");
    let follow_up = Stored {
        status: CommentStatus::Approved,
        body: "Thank you. Does the same go for iron tablets?",
        parent: Some(doctors_answer),
        ..Stored::default()
    }
    .insert(&app);

    let listed = row_ids(&app.get("/admin/questions").await.body);
    assert_eq!(listed, [follow_up], "a follow-up to the author's answer is a question again");
    assert!(!listed.contains(&other_reader));
}

#[tokio::test]
async fn every_desk_page_has_its_own_bar_with_what_waits_and_none_of_the_public_header() {
    let (app, _) = super::signed_in_app().await;
    app.insert_comment(super::SLUG, CommentStatus::Pending, "Ann");
    app.insert_comment(super::SLUG, CommentStatus::Pending, "Bea");
    for path in ["/admin", "/admin/settings", "/admin/log"] {
        let page = app.get(path).await;
        page.assert_contains(&[
            "<header class=\"desk-bar\">",
            "2<span class=\"visually-hidden\"> pending</span>",
            "2<span class=\"visually-hidden\"> unanswered</span>",
        ]);
        page.assert_lacks(&["site-search", "Subscribe (Atom feed)", "class=\"site-header\""]);
    }
}

/// `count` approved questions asked about a year ago, oldest first.
fn old_questions(app: &crate::helpers::TestApp, count: i64) -> Vec<healthblog::domain::CommentId> {
    let year_ago = 60 * 24 * 400;
    (0..count)
        .map(|i| Stored { status: CommentStatus::Approved, minutes_ago: year_ago - i, ..Stored::default() }.insert(app))
        .collect()
}

#[tokio::test]
async fn a_long_inbox_goes_page_by_page_with_its_total_either_way_and_this_weeks_question_is_in_it() {
    let (app, _) = signed_in_app().await;
    let old = old_questions(&app, 105);
    let this_week =
        Stored { status: CommentStatus::Approved, minutes_ago: 60 * 24 * 2, ..Stored::default() }.insert(&app);

    let first = app.get("/admin/questions").await;
    first.assert_contains(&["106 questions, page 1 of 3."]);
    assert_eq!(row_ids(&first.body), old[..50], "oldest first, fifty a page");
    let second = app.get("/admin/questions?page=2").await;
    second.assert_contains(&["106 questions, page 2 of 3.", "href=\"/admin/questions?page=3\""]);
    assert_eq!(row_ids(&second.body), old[50..100]);
    let last = app.get("/admin/questions?page=3").await;
    assert_eq!(row_ids(&last.body), [&old[100..], &[this_week]].concat(), "this week's question is on the last page");

    let newest = app.get("/admin/questions?order=newest").await;
    newest.assert_contains(&["106 questions, page 1 of 3.", "href=\"/admin/questions?order=newest&amp;page=2\""]);
    assert_eq!(row_ids(&newest.body)[..2], [this_week, old[104]], "newest first");
    assert_eq!(app.get("/admin/questions?order=sideways").await.status, 404);
}

#[tokio::test]
async fn the_checked_questions_or_all_before_a_day_need_no_answer_in_one_post() {
    let (app, user_id) = signed_in_app().await;
    let old = old_questions(&app, 3);
    let recent = Stored { status: CommentStatus::Approved, minutes_ago: 60, ..Stored::default() }.insert(&app);
    let page = app.get("/admin/questions").await;
    page.assert_contains(&["action=\"/admin/questions/no-answer\"", "name=\"before\""]);
    assert!(page.body.contains(&format!("name=\"ids\" value=\"{}\" form=\"bulk-form\"", old[0])), "a box per question");
    let token = desk_token(&app).await;

    let checked = fields(&[("csrf_token", &token), ("return_to", "/admin/questions"), ("ids", &old[0].to_string())]);
    let response = app.post_form("/admin/questions/no-answer", &checked).await;

    assert_eq!(location(&response), "/admin/questions");
    let page = app.get("/admin/questions").await;
    assert_eq!(flash(&page).as_deref(), Some("1 question needs no answer."));
    assert_eq!(row_ids(&page.body), [old[1], old[2], recent]);

    let bad = fields(&[("csrf_token", &token), ("before", "last spring")]);
    app.post_form("/admin/questions/no-answer", &bad).await;
    let page = app.get("/admin/questions").await;
    assert!(flash(&page).is_some_and(|m| m.contains("is not a date") && m.contains("Nothing was changed")));
    assert_eq!(row_ids(&page.body).len(), 3);

    let month_ago = (chrono::Utc::now() - chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    let before = fields(&[("csrf_token", &token), ("return_to", "/admin/questions"), ("before", &month_ago)]);
    app.post_form("/admin/questions/no-answer", &before).await;
    let page = app.get("/admin/questions").await;
    assert_eq!(flash(&page).as_deref(), Some("2 questions need no answer."));
    assert_eq!(row_ids(&page.body), [recent]);
    assert!(old.iter().all(|&id| stored(&app, id).is_some_and(|c| c.no_answer_needed)));
    let logged: Vec<_> = log_entries(&app)
        .into_iter()
        .filter(|e| e.action == "no-answer-needed" && e.user_id == Some(user_id))
        .filter_map(|e| e.comment_id)
        .collect();
    assert_eq!(logged.len(), 3, "each is in the log: {logged:?}");
}
