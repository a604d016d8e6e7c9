//! The doctor's answers stay right: saved replies in every answer box,
//! earlier answers to similar questions, review dates and the review
//! queue. Every test runs on SQLite and on PostgreSQL.

use healthblog::comments::submit::{Author, Draft};
use healthblog::mail::links::{DeskAction, DeskVerb, Links};

use crate::admin::{desk_token, fields, get_with, location, log_entries, post_with, signed_in_app_with, Stored, SLUG};
use crate::helpers::{csrf_token, new_browser, reader_draft, CommentBody, CommentId, CommentStatus, TestApp, UserId};

const DISCLAIMER: &str = "General information only: see your own doctor about your case.";
const SAVED_TITLE: &str = "Magnesium forms and doses";
const SAVED_BODY: &str = "Most people do well on 400 mg of magnesium glycinate a day, taken with food.";

async fn app() -> (TestApp, UserId) {
    let (app, author) = signed_in_app_with(|settings| {
        settings.answers.disclaimer = DISCLAIMER.into();
        settings.answers.review_months_by_tag.insert("magnesium".into(), 12);
    })
    .await;
    app.accept_instant_posts();
    (app, author)
}

/// The doctor writes a saved reply in the desk; returns its id.
async fn save_reply(app: &TestApp) -> i32 {
    let token = desk_token(app).await;
    let form =
        fields(&[("csrf_token", &token), ("title", SAVED_TITLE), ("body", SAVED_BODY), ("add_disclaimer", "on")]);
    let saved = app.post_form("/admin/replies", &form).await;
    assert_eq!(location(&saved), "/admin/replies");
    let list = app.get("/admin/replies").await;
    list.assert_contains(&[SAVED_TITLE, "(with the disclaimer)"]);
    let marker = "<a href=\"/admin/replies/";
    let start = list.body.find(marker).expect("a link to the reply") + marker.len();
    list.body[start..].split('"').next().and_then(|id| id.parse().ok()).expect("the reply's id")
}

/// A saved reply stored straight in the database; returns its id.
pub fn store_saved_reply(app: &TestApp) -> i32 {
    let fields = healthblog::db::answers::SavedReplyFields {
        title: SAVED_TITLE.into(),
        body: SAVED_BODY.into(),
        add_disclaimer: true,
    };
    app.with_db(|conn| healthblog::db::answers::create_saved_reply(conn, &fields)).expect("the saved reply is stored")
}

/// An answer of the author's to `parent`, written `days_ago`.
pub fn staff_answer(app: &TestApp, author: UserId, parent: CommentId, body: &str, days_ago: i64) -> CommentId {
    let body = CommentBody::parse(body).expect("a valid answer");
    let at = healthblog::db::now() - chrono::Duration::days(days_ago);
    let draft = Draft {
        parent: Some(parent),
        author: Author::Staff { name: crate::admin::DISPLAY.into(), user_id: author },
        created_at: at,
        arrived_at: at,
        ..reader_draft(SLUG, crate::admin::DISPLAY, "", &body, CommentStatus::Approved)
    };
    app.with_db(|conn| healthblog::comments::submit::store(conn, draft)).expect("the answer is stored")
}

fn question(app: &TestApp, body: &str, days_ago: i64) -> CommentId {
    Stored { status: CommentStatus::Approved, body, minutes_ago: days_ago * 24 * 60, ..Stored::default() }.insert(app)
}

fn textarea(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("a text box {id} in:\n{html}"));
    let open = start + html[start..].find('>').expect("the tag ends") + 1;
    let close = open + html[open..].find("</textarea>").expect("the text box ends");
    crate::helpers::unescape_html(&html[open..close])
}

#[tokio::test]
async fn a_saved_reply_is_written_changed_and_deleted_in_the_desk_and_logged() {
    let (app, _) = app().await;
    let id = save_reply(&app).await;
    let token = desk_token(&app).await;

    let refused = app
        .post_form(
            &format!("/admin/replies/{id}"),
            &fields(&[("csrf_token", &token), ("title", " "), ("body", "Kept text")]),
        )
        .await;
    assert_eq!(refused.status, 422);
    refused.assert_contains(&["Give the reply a title", "Kept text"]);

    let changed = fields(&[("csrf_token", &token), ("title", "Magnesium, short"), ("body", SAVED_BODY)]);
    assert_eq!(location(&app.post_form(&format!("/admin/replies/{id}"), &changed).await), "/admin/replies");
    let list = app.get("/admin/replies").await;
    list.assert_contains(&["Magnesium, short"]);
    list.assert_lacks(&["(with the disclaimer)"]);

    let deleted = app.post_form(&format!("/admin/replies/{id}/delete"), &fields(&[("csrf_token", &token)])).await;
    assert_eq!(location(&deleted), "/admin/replies");
    app.get("/admin/replies").await.assert_contains(&["No saved replies yet."]);
    assert_eq!(app.get(&format!("/admin/replies/{id}")).await.status, 404);

    let logged: Vec<String> =
        log_entries(&app).into_iter().filter(|e| e.action == "saved-reply").map(|e| e.detail).collect();
    assert_eq!(
        logged,
        [
            format!("wrote the saved reply “{SAVED_TITLE}”"),
            "changed the saved reply “Magnesium, short”".to_owned(),
            "deleted the saved reply “Magnesium, short”".to_owned(),
        ]
    );
}

#[tokio::test]
async fn a_saved_reply_goes_into_the_desk_answer_box_under_the_typed_text_and_is_published() {
    let (app, _) = app().await;
    let id = save_reply(&app).await;
    let asked = question(&app, "Which magnesium should I take for migraine?", 0);

    let page = app.get(&format!("/admin/comments/{asked}/reply?return_to=/admin/questions")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains(&[SAVED_TITLE, "Insert into the answer"]);
    let token = csrf_token(&page.body);
    let typed = "Thank you for asking.";
    let form = fields(&[
        ("csrf_token", &token),
        ("return_to", "/admin/questions"),
        ("body", typed),
        ("saved_reply", &id.to_string()),
        ("insert", "saved_reply"),
    ]);
    let inserted = app.post_form(&format!("/admin/comments/{asked}/reply"), &form).await;
    assert_eq!(inserted.status, 200, "{}", inserted.body);
    let text = textarea(&inserted.body, "body");
    assert_eq!(text, format!("{typed}\n\n{SAVED_BODY}\n\n{DISCLAIMER}"));
    assert!(crate::admin::replies_of(&app, asked).is_empty(), "inserting publishes nothing");

    let publish = fields(&[("csrf_token", &token), ("return_to", "/admin/questions"), ("body", &text)]);
    assert_eq!(location(&app.post_form(&format!("/admin/comments/{asked}/reply"), &publish).await), "/admin/questions");
    let answer = crate::admin::replies_of(&app, asked)[0];
    assert_eq!(crate::admin::stored(&app, answer).expect("the answer").body_markdown, text);
}

#[tokio::test]
async fn a_saved_reply_goes_into_the_answer_box_of_the_article_page() {
    let (app, _) = app().await;
    let id = save_reply(&app).await;
    let asked = question(&app, "Which magnesium should I take for migraine?", 0);

    let article = app.get(&format!("/posts/{SLUG}?replyto={asked}")).await;
    article.assert_contains(&[SAVED_TITLE, "Insert into the answer"]);
    let form = fields(&[
        ("csrf_token", &csrf_token(&article.body)),
        ("parent_id", &asked.to_string()),
        ("body", ""),
        ("saved_reply", &id.to_string()),
        ("insert", "saved_reply"),
    ]);
    let inserted = app.post_form(&format!("/posts/{SLUG}/comments"), &form).await;
    assert_eq!(inserted.status, 200, "{}", inserted.body);
    let text = textarea(&inserted.body, "body");
    assert_eq!(text, format!("{SAVED_BODY}\n\n{DISCLAIMER}"));
    assert!(crate::admin::replies_of(&app, asked).is_empty(), "inserting publishes nothing");

    let mut publish = form.clone();
    publish.retain(|(name, _)| name != "insert");
    crate::helpers::set_field(&mut publish, "body", &text);
    let sent = app.post_form(&format!("/posts/{SLUG}/comments"), &publish).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let answer = crate::admin::replies_of(&app, asked)[0];
    assert_eq!(crate::admin::stored(&app, answer).expect("the answer").body_markdown, text);
}

#[tokio::test]
async fn a_saved_reply_goes_into_the_answer_box_of_the_emails_answer_page() {
    let (app, author) = app().await;
    let id = save_reply(&app).await;
    let asked = question(&app, "Which magnesium should I take for migraine?", 0);
    let links = Links { keys: &app.state.keys, base_url: "", now: chrono::Utc::now().timestamp() };
    let link = links.desk_action(&DeskAction { verb: DeskVerb::Answer, comment: asked, user: author, message: 1 });

    let phone = new_browser();
    let page = get_with(&app, &phone, &link).await;
    page.assert_contains(&["Answer this comment", SAVED_TITLE]);
    let token = csrf_token(&page.body);
    let typed = "Short answer first.";
    let form =
        fields(&[("csrf_token", &token), ("body", typed), ("saved_reply", &id.to_string()), ("insert", "saved_reply")]);
    let inserted = post_with(&app, &phone, &link, &form).await;
    assert_eq!(inserted.status, 200, "{}", inserted.body);
    let text = textarea(&inserted.body, "body");
    assert_eq!(text, format!("{typed}\n\n{SAVED_BODY}\n\n{DISCLAIMER}"));
    assert!(crate::admin::replies_of(&app, asked).is_empty(), "inserting publishes nothing");

    let done = post_with(&app, &phone, &link, &fields(&[("csrf_token", &token), ("body", &text)])).await;
    assert_eq!(done.status, 200, "the link still works after an insert:\n{}", done.body);
    let answer = crate::admin::replies_of(&app, asked)[0];
    assert_eq!(crate::admin::stored(&app, answer).expect("the answer").body_markdown, text);
}

#[tokio::test]
async fn a_repeated_question_shows_the_earlier_answer_and_a_link_to_it_can_be_inserted() {
    let (app, author) = app().await;
    let earlier = question(&app, "How much magnesium should I take, and which form is best?", 30);
    let earlier_answer = staff_answer(&app, author, earlier, "Glycinate, 400 mg a day, is where I start.", 29);
    let unrelated = question(&app, "Does riboflavin colour the urine?", 20);
    staff_answer(&app, author, unrelated, "Yes, bright yellow, and it is harmless.", 19);
    let repeated = question(&app, "Which form of magnesium is best, and how much should I take?", 0);

    let page = app.get(&format!("/admin/comments/{repeated}/reply")).await;
    page.assert_contains(&[
        "Your answers to similar questions",
        "Glycinate, 400 mg a day, is where I start.",
        &format!("/posts/{SLUG}#comment-{earlier_answer}"),
    ]);
    page.assert_lacks(&["bright yellow"]);

    let form = fields(&[
        ("csrf_token", &csrf_token(&page.body)),
        ("body", "Please see below."),
        ("insert", &format!("answer-{earlier_answer}")),
    ]);
    let inserted = app.post_form(&format!("/admin/comments/{repeated}/reply"), &form).await;
    assert_eq!(inserted.status, 200, "{}", inserted.body);
    let link = format!("/posts/{SLUG}#comment-{earlier_answer}");
    assert_eq!(
        textarea(&inserted.body, "body"),
        format!("Please see below.\n\nSee my answer to a similar question: [{link}]({link})")
    );
}

/// The article's JSON-LD.
fn json_ld(html: &str) -> serde_json::Value {
    let marker = r#"<script type="application/ld+json">"#;
    let start = html.find(marker).expect("JSON-LD in the page") + marker.len();
    let end = start + html[start..].find("</script>").expect("the JSON-LD ends");
    serde_json::from_str(&html[start..end]).expect("JSON-LD parses")
}

/// Ids of the answers in the review queue, in its order.
async fn queue(app: &TestApp) -> Vec<CommentId> {
    let page = app.get("/admin/answers/review").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
        .match_indices("<article class=\"desk-row review-row\" id=\"answer-")
        .map(|(at, marker)| {
            let rest = &page.body[at + marker.len()..];
            rest[..rest.find('"').expect("the id ends")].parse().expect("an id")
        })
        .collect()
}

fn month_year(at: chrono::NaiveDateTime) -> String {
    at.format("%B %Y").to_string()
}

/// Three old answers (under an article tagged `magnesium`, reviewed every 12
/// months here) and one recent one.
async fn old_answers(app: &TestApp, author: UserId) -> ([CommentId; 3], CommentId) {
    let mut old = Vec::new();
    for (n, days) in [(1, 1200), (2, 700), (3, 500)] {
        let asked = question(app, &format!("Old question number {n} about magnesium?"), days + 1);
        old.push(staff_answer(app, author, asked, &format!("Old answer number {n}."), days));
    }
    let asked = question(app, "A recent question about magnesium?", 31);
    let recent = staff_answer(app, author, asked, "A recent answer.", 30);
    ([old[0], old[1], old[2]], recent)
}

#[tokio::test]
async fn answers_past_their_review_date_are_queued_oldest_first_and_leave_with_each_action() {
    let (app, author) = app().await;
    let ([oldest, edited, noted], recent) = old_answers(&app, author).await;
    assert_eq!(queue(&app).await, [oldest, edited, noted], "the recent answer is not due");
    app.get("/admin").await.assert_contains(&["<strong>3</strong> answers to review"]);
    let answered = healthblog::db::now() - chrono::Duration::days(1200);
    let reader = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    assert!(
        reader.comment_card(oldest).contains(&format!(
            "Reviewed <time datetime=\"{}\">{}</time>",
            answered.format("%Y-%m"),
            month_year(answered)
        )),
        "{}",
        reader.comment_card(oldest)
    );
    assert!(reader.comment_card(recent).contains("Reviewed"));
    let token = desk_token(&app).await;

    // Still right.
    let kept = app
        .post_form(
            &format!("/admin/answers/{oldest}/still-right"),
            &fields(&[("csrf_token", &token), ("return_to", "/admin/answers/review")]),
        )
        .await;
    assert_eq!(location(&kept), "/admin/answers/review");
    assert_eq!(queue(&app).await, [edited, noted]);
    let today = month_year(healthblog::db::now());
    let reader = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    assert!(reader.comment_card(oldest).contains(&format!(">{today}</time>")), "{}", reader.comment_card(oldest));
    let shown = json_ld(&reader.body)["comment"].as_array().expect("the answers in the JSON-LD").clone();
    let entry = shown
        .iter()
        .find(|c| c["url"].as_str().is_some_and(|u| u.ends_with(&format!("#comment-{oldest}"))))
        .expect("the answer's entry");
    assert_eq!(entry["@type"], "Comment");
    assert!(
        entry["dateModified"]
            .as_str()
            .expect("a date")
            .starts_with(&healthblog::db::now().format("%Y-%m-%d").to_string()),
        "{entry}"
    );
    assert!(
        entry["dateCreated"].as_str().expect("a date").starts_with(&answered.format("%Y-%m-%d").to_string()),
        "{entry}"
    );

    // Edit.
    let edit = app.get(&format!("/admin/comments/{edited}/edit?return_to=/admin/answers/review")).await;
    assert_eq!(edit.status, 200);
    let saved = app
        .post_form(
            &format!("/admin/comments/{edited}/edit"),
            &fields(&[
                ("csrf_token", &token),
                ("return_to", "/admin/answers/review"),
                ("body", "Old answer number 2, brought up to date."),
            ]),
        )
        .await;
    assert_eq!(location(&saved), "/admin/answers/review");
    assert_eq!(queue(&app).await, [noted]);
    let reader = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    let card = reader.comment_card(edited);
    assert!(card.contains("Updated <time") && card.contains(&format!(">{today}</time>")), "{card}");

    // Add a note: an empty one comes back, a real one is shown dated.
    let empty = app
        .post_form(&format!("/admin/answers/{noted}/note"), &fields(&[("csrf_token", &token), ("note", "   ")]))
        .await;
    assert_eq!(empty.status, 422);
    assert_eq!(queue(&app).await, [noted], "nothing changed");
    let note = "Since 2025 the guidance is to start lower.";
    let added = app
        .post_form(
            &format!("/admin/answers/{noted}/note"),
            &fields(&[("csrf_token", &token), ("return_to", "/admin/answers/review"), ("note", note)]),
        )
        .await;
    assert_eq!(location(&added), "/admin/answers/review");
    assert!(queue(&app).await.is_empty());
    app.get("/admin/answers/review").await.assert_contains(&["No answer waits for review."]);
    let reader = app.get_as_stranger(&format!("/posts/{SLUG}")).await;
    let card = reader.comment_card(noted);
    assert!(card.contains(note) && card.contains("Note added <time"), "{card}");

    let actions: Vec<String> = log_entries(&app).into_iter().map(|e| e.action.as_str().to_owned()).collect();
    for action in ["answer-reviewed", "edit", "answer-note"] {
        assert!(actions.iter().any(|a| a == action), "{action} is logged: {actions:?}");
    }
}

#[tokio::test]
async fn the_shorter_period_of_a_tag_applies_and_without_it_the_default_does() {
    let (app, author) = signed_in_app_with(|_| {}).await;
    let (old, _) = old_answers(&app, author).await;
    // 36 months by default: only the 1200-day-old answer is due.
    assert_eq!(queue(&app).await, [old[0]]);
}

#[tokio::test]
async fn an_article_edit_marks_the_older_answers_under_it_for_review_with_a_link_to_its_revisions() {
    let (app, author) = app().await;
    let asked = question(&app, "Does magnesium help at night?", 11);
    let older = staff_answer(&app, author, asked, "Take it with dinner.", 10);
    assert!(queue(&app).await.is_empty());
    let id: i32 = app
        .with_db(|conn| {
            use diesel::prelude::*;
            use healthblog::db::schema::articles;
            articles::table.filter(articles::slug.eq(SLUG)).select(articles::id).first(conn)
        })
        .expect("the article is stored");
    let path = format!("/admin/articles/{id}");

    // A change of title only leaves the answers alone.
    let retitled = crate::desk::save(&app, &path, "publish", &[("title", "Magnesium for migraine")]).await;
    assert_eq!(retitled.status, 303, "{}", retitled.body);
    assert!(queue(&app).await.is_empty(), "only the text counts");

    let editor = app.get(&path).await;
    let body = textarea(&editor.body, "body");
    let changed =
        crate::desk::save(&app, &path, "publish", &[("body", &format!("{body}\n\nUpdated dosing advice."))]).await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let later_question = question(&app, "And in the morning?", 0);
    let later = staff_answer(&app, author, later_question, "Either is fine.", 0);

    assert_eq!(queue(&app).await, [older], "the answer written after the change is not marked ({later})");
    let page = app.get("/admin/answers/review").await;
    let today = healthblog::db::now().format("%-d %B %Y").to_string();
    page.assert_contains(&[
        &format!("Review: the article changed on {today}"),
        &format!("/admin/articles/{id}/compare?to="),
    ]);
    // The link shows what the change did, word by word.
    let marker = format!("/admin/articles/{id}/compare?to=");
    let start = page.body.find(&marker).expect("the link");
    let link = &page.body[start..start + page.body[start..].find('"').expect("the link ends")];
    let diff = app.get(link).await;
    assert_eq!(diff.status, 200, "{}", diff.body);
    diff.assert_contains(&["<ins>", "dosing advice."]);
}

/// The stored article's id and its body as the desk has it.
fn stored_article(app: &TestApp) -> (i32, String) {
    let article = app
        .with_db(|conn| healthblog::db::articles::find_by_slug(conn, healthblog::content::ArticleKind::Post, SLUG))
        .expect("the article is read")
        .expect("the article is stored");
    (article.id, article.manuscript.body)
}

/// The doctor adds the exchange of `comment` to the article from its form.
async fn feature(app: &TestApp, comment: CommentId, question: &str, answer: &str, keep_name: bool) -> String {
    let form = app.get(&format!("/admin/comments/{comment}/feature")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = csrf_token(&form.body);
    let mut pairs = vec![("csrf_token", token.as_str()), ("question", question), ("answer", answer)];
    if keep_name {
        pairs.push(("keep_name", "on"));
    }
    location(&app.post_form(&format!("/admin/comments/{comment}/feature"), &fields(&pairs)).await)
}

/// The questions' comment ids, in the order the article shows them.
fn featured_order(app: &TestApp) -> Vec<i32> {
    healthblog::exchanges::featured(&stored_article(app).1).iter().map(|f| f.comment).collect()
}

#[tokio::test]
async fn an_exchange_added_to_the_article_shows_in_its_section_in_json_ld_and_in_the_export() {
    let (app, author) = app().await;
    let asked = question(&app, "Can I take magnesium with my thyroid tablet? I am 54 and live in Uppsala.", 3);
    let answer = staff_answer(&app, author, asked, "Yes, but **four hours apart** from levothyroxine.", 2);

    // The desk offers it under the answer.
    let desk = app.get("/admin/comments?status=approved").await;
    desk.assert_contains(&[&format!(
        "<a class=\"button secondary\" href=\"/admin/comments/{answer}/feature\">Add to the article</a>"
    )]);
    // The form has both texts to shorten, and the name is left out unless kept.
    let form = app.get(&format!("/admin/comments/{answer}/feature")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(textarea(&form.body, "question").starts_with("Can I take magnesium with my thyroid tablet? I am 54"));
    assert_eq!(textarea(&form.body, "answer"), "Yes, but **four hours apart** from levothyroxine.");
    assert!(!form.body.contains(" checked"), "keeping the name is off by default");

    let (id, before) = stored_article(&app);
    let target =
        feature(&app, asked, "Can I take magnesium with my thyroid tablet?", "Yes, four hours apart.", false).await;
    assert_eq!(target, format!("/admin/articles/{id}/questions"));
    let (_, body) = stored_article(&app);
    assert!(body.starts_with(before.trim_end()), "the article's own text is kept");
    assert!(body.contains("<!-- readers-questions -->") && body.contains("<!-- /readers-questions -->"), "{body}");
    assert!(!body.contains("Maria Reader") && !body.contains("Asked by"), "the asker's name is left out: {body}");

    let page = app.stranger().get(format!("{}/posts/{SLUG}", app.address)).send().await.expect("GET");
    let page = page.text().await.expect("the page");
    let section = &page[page.find("<h2 id=\"readers-questions\">Readers’ questions</h2>").expect("the section")..];
    for text in [
        "Can I take magnesium with my thyroid tablet?",
        "Yes, four hours apart.",
        &format!("<a href=\"/posts/{SLUG}#comment-{asked}\" rel=\"noopener noreferrer\">Read the whole thread</a>"),
    ] {
        assert!(section.contains(text), "{text} in the section:\n{section}");
    }
    let data = json_ld(&page);
    assert_ne!(data["@type"], "FAQPage");
    let part = &data["hasPart"][0];
    assert_eq!(part["@type"], "Question");
    assert_eq!(part["name"], "Can I take magnesium with my thyroid tablet?");
    assert_eq!(part["acceptedAnswer"]["@type"], "Answer");
    assert_eq!(part["acceptedAnswer"]["text"], "Yes, four hours apart.");
    assert!(log_entries(&app).iter().any(|e| e.action == "question-add" && e.comment_id == Some(asked)));

    // `export markdown` writes the section with the article.
    let (_out, dir) = crate::desk::export_markdown(&app);
    let written = walk(&dir).into_iter().find_map(|path| {
        let text = std::fs::read_to_string(&path).ok()?;
        text.contains(&format!("slug: {SLUG}")).then_some(text).or_else(|| {
            path.file_stem().is_some_and(|stem| stem == SLUG).then(|| std::fs::read_to_string(&path).ok()).flatten()
        })
    });
    let written = written.expect("the article is exported");
    assert!(written.contains("<!-- readers-questions -->"), "{written}");
    assert!(written.contains("### Can I take magnesium with my thyroid tablet?"), "{written}");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the folder reads").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn featured_exchanges_are_ordered_removed_and_survive_a_revision_restore() {
    let (app, author) = app().await;
    let first = question(&app, "Which form of magnesium is best?", 5);
    staff_answer(&app, author, first, "Glycinate is gentle on the stomach.", 4);
    let second = question(&app, "Can children take it?", 3);
    staff_answer(&app, author, second, "Ask their paediatrician first.", 2);
    let (id, _) = stored_article(&app);
    feature(&app, first, "Which form is best?", "Glycinate.", false).await;
    feature(&app, second, "Can children take it?", "Ask their paediatrician.", true).await;
    assert_eq!(featured_order(&app), [first.0, second.0]);
    assert!(stored_article(&app).1.contains("*Asked by Maria Reader*"), "the name is kept when asked");

    let list_path = format!("/admin/articles/{id}/questions");
    let list = app.get(&list_path).await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.assert_contains(&["Which form is best?", "Can children take it?", "Move up", "Move down", "Remove"]);
    app.get(&format!("/admin/articles/{id}")).await.assert_contains(&[&list_path]);

    let token = csrf_token(&list.body);
    let change = |comment: CommentId, action: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            let path = format!("/admin/articles/{id}/questions/{comment}");
            app.post_form(&path, &fields(&[("csrf_token", &token), ("action", action)])).await
        }
    };
    assert_eq!(location(&change(second, "up").await), list_path);
    assert_eq!(featured_order(&app), [second.0, first.0]);
    let with_both = app.with_db(|conn| healthblog::db::articles::revisions(conn, id)).expect("revisions")[0].id;
    assert_eq!(location(&change(second, "down").await), list_path);
    assert_eq!(featured_order(&app), [first.0, second.0]);
    assert_eq!(location(&change(first, "remove").await), list_path);
    assert_eq!(featured_order(&app), [second.0]);
    assert_eq!(location(&change(second, "remove").await), list_path);
    assert!(featured_order(&app).is_empty());
    assert!(!stored_article(&app).1.contains("readers-questions"), "an empty section goes");
    let actions: Vec<String> = log_entries(&app).iter().map(|e| e.action.as_str().to_owned()).collect();
    for action in ["question-add", "question-move", "question-remove"] {
        assert!(actions.iter().any(|a| a == action), "{action} is in the log: {actions:?}");
    }

    // Restoring a revision brings its questions back, in its order.
    let restored = app
        .post_form(
            &format!("/admin/articles/{id}/revisions/{with_both}/restore"),
            &fields(&[("csrf_token", &token), ("base_revision", "")]),
        )
        .await;
    assert_eq!(restored.status, 303, "{}", restored.body);
    assert_eq!(featured_order(&app), [second.0, first.0]);
    let page = app.stranger().get(format!("{}/posts/{SLUG}", app.address)).send().await.expect("GET");
    let page = page.text().await.expect("the page");
    assert!(page.contains("Which form is best?") && page.contains("Asked by Maria Reader"), "{page}");
}

#[tokio::test]
async fn only_a_published_exchange_can_be_added_and_an_empty_question_is_refused() {
    let (app, author) = app().await;
    let unanswered = question(&app, "Nobody answered this yet?", 1);
    assert_eq!(app.get(&format!("/admin/comments/{unanswered}/feature")).await.status, 404);
    let asked = question(&app, "Is it safe in pregnancy?", 2);
    staff_answer(&app, author, asked, "Usually, at normal doses.", 1);
    let form = app.get(&format!("/admin/comments/{asked}/feature")).await;
    let token = csrf_token(&form.body);
    let (_, before) = stored_article(&app);
    let refused = app
        .post_form(
            &format!("/admin/comments/{asked}/feature"),
            &fields(&[("csrf_token", &token), ("question", "  "), ("answer", "Usually.")]),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(textarea(&refused.body, "answer"), "Usually.", "what was typed is kept");
    assert_eq!(stored_article(&app).1, before, "nothing is saved");
}
