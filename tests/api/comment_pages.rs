//! Long discussions in pages of whole threads (`/posts/{slug}/comment-page-N`),
//! and every link to a comment finding the page that shows it.

use fantoccini::Locator;

use crate::helpers::{
    comment_fields, posted_comment_id, set_field, spawn_app, Browser, CommentId, CommentStatus, TestApp,
};

const SLUG: &str = "oral-magnesium-for-migraine-prevention";
const BODY_SENTENCE: &str = "Magnesium";

fn page(n: usize) -> String {
    if n == 1 {
        format!("/posts/{SLUG}")
    } else {
        format!("/posts/{SLUG}/comment-page-{n}")
    }
}

fn canonical(path: &str) -> String {
    format!(r#"<link rel="canonical" href="http://blog.test{path}">"#)
}

/// Five threads, two a page: Ann's (with Bob's reply and Cy's reply to it),
/// Dee's, Eve's (with Fay's reply), Gil's and Hal's.
struct Threads {
    app: TestApp,
    roots: Vec<CommentId>,
    bob: CommentId,
    cy: CommentId,
    fay: CommentId,
}

async fn five_threads(order: &str) -> Threads {
    five_threads_in(spawn_app().await, order)
}

fn five_threads_in(app: TestApp, order: &str) -> Threads {
    app.accept_instant_posts();
    app.set_rule("threads_per_page", "2");
    app.set_rule("thread_order", order);
    let ann = app.insert_comment(SLUG, CommentStatus::Approved, "Ann");
    let dee = app.insert_comment(SLUG, CommentStatus::Approved, "Dee");
    let bob = app.insert_reply(SLUG, ann, CommentStatus::Approved, "Bob");
    let eve = app.insert_comment(SLUG, CommentStatus::Approved, "Eve");
    let cy = app.insert_reply(SLUG, bob, CommentStatus::Approved, "Cy");
    let gil = app.insert_comment(SLUG, CommentStatus::Approved, "Gil");
    let fay = app.insert_reply(SLUG, eve, CommentStatus::Approved, "Fay");
    let hal = app.insert_comment(SLUG, CommentStatus::Approved, "Hal");
    Threads { app, roots: vec![ann, dee, eve, gil, hal], bob, cy, fay }
}

fn shows(page: &crate::helpers::Page, id: CommentId) -> bool {
    page.body.contains(&format!("<li id=\"comment-{id}\""))
}

#[tokio::test]
async fn a_long_discussion_is_paged_by_whole_threads_with_canonical_links() {
    let Threads { app, roots, bob, cy, fay } = five_threads("oldest").await;

    let first = app.get(&page(1)).await;
    assert_eq!(first.status, 200);
    first.assert_contains(&[
        &canonical(&page(1)),
        r#"<h2 id="comments-heading">5 questions, 3 replies</h2>"#,
        &format!(r#"<a rel="next" href="{}">Later comments →</a>"#, page(2)),
        "Page 1 of 3",
        r#"<div class="post-body">"#,
    ]);
    first.assert_lacks(&["Earlier comments"]);
    let on_first: Vec<bool> =
        [roots[0], bob, cy, roots[1], roots[2], fay].iter().map(|&id| shows(&first, id)).collect();
    assert_eq!(on_first, [true, true, true, true, false, false], "Ann's whole thread and Dee's, nothing more");

    let second = app.get(&page(2)).await;
    assert_eq!(second.status, 200);
    second.assert_contains(&[
        &canonical(&page(2)),
        r#"<h2 id="comments-heading">5 questions, 3 replies</h2>"#,
        &format!(r#"<a rel="prev" href="{}">← Earlier comments</a>"#, page(1)),
        &format!(r#"<a rel="next" href="{}">Later comments →</a>"#, page(3)),
        "Page 2 of 3",
        &format!(r#"<a href="/posts/{SLUG}">Read the article</a>"#),
        r#"<form class="comment-form""#,
        &format!(r#"href="{}?replyto={}#respond""#, page(2), roots[2]),
    ]);
    second.assert_lacks(&[r#"<div class="post-body">"#]);
    let on_second: Vec<bool> =
        [roots[0], roots[1], roots[2], fay, roots[3], roots[4]].iter().map(|&id| shows(&second, id)).collect();
    assert_eq!(on_second, [false, false, true, true, true, false], "Eve's thread with Fay's reply, and Gil's");

    let third = app.get(&page(3)).await;
    assert!(shows(&third, roots[4]));
    third.assert_contains(&[&canonical(&page(3)), &format!(r#"<a rel="prev" href="{}">"#, page(2))]);
    third.assert_lacks(&["Later comments"]);

    assert_eq!(app.get(&page(4)).await.status, 404, "a page past the end");
    assert_eq!(app.get(&format!("/posts/{SLUG}/comment-page-0")).await.status, 404);
    assert_eq!(app.get(&format!("/posts/{SLUG}/comment-page-two")).await.status, 404);
    assert_eq!(app.get("/posts/no-such-article/comment-page-2").await.status, 404);
    let one = app.get(&format!("/posts/{SLUG}/comment-page-1")).await;
    assert_eq!((one.status, one.header("location")), (301, page(1).as_str()));
}

#[tokio::test]
async fn newest_first_puts_the_newest_threads_on_the_article() {
    let Threads { app, roots, fay, .. } = five_threads("newest").await;
    let first = app.get(&page(1)).await;
    let hal = first.body.find(&format!("id=\"comment-{}\"", roots[4])).expect("Hal's thread on page 1");
    let gil = first.body.find(&format!("id=\"comment-{}\"", roots[3])).expect("Gil's thread on page 1");
    assert!(hal < gil, "the newest thread comes first");
    assert!(!shows(&first, roots[2]));
    first.assert_contains(&[&format!(r#"<a rel="next" href="{}">Older comments →</a>"#, page(2))]);
    let second = app.get(&page(2)).await;
    assert!(shows(&second, roots[2]) && shows(&second, fay) && shows(&second, roots[1]));
    let third = app.get(&page(3)).await;
    assert!(shows(&third, roots[0]));
}

#[tokio::test]
async fn every_link_to_a_comment_lands_on_its_page() {
    let Threads { app, roots, cy, fay, .. } = five_threads("oldest").await;

    // Old links: `?comment=N` goes to the page that shows N.
    let found = app.get(&format!("{}?comment={fay}", page(1))).await;
    assert_eq!((found.status, found.header("location")), (302, format!("{}#comment-{fay}", page(2)).as_str()));
    let found = app.get(&format!("{}?comment={cy}", page(1))).await;
    assert_eq!(found.header("location"), format!("{}#comment-{cy}", page(1)));
    assert_eq!(app.get(&format!("{}?comment=abc", page(1))).await.status, 404);
    // A comment awaiting moderation is found for nobody but its writer.
    let held = app.insert_reply(SLUG, roots[2], CommentStatus::Pending, "Kim");
    let stranger = app.get_as_stranger(&format!("{}?comment={held}", page(1))).await;
    assert_eq!(stranger.header("location"), format!("{}#comment-{held}", page(1)));

    // "Reply" links made anywhere open the form on the comment's page.
    let reply = app.get(&format!("{}?replyto={}", page(1), roots[3])).await;
    assert_eq!(
        (reply.status, reply.header("location")),
        (303, format!("{}?replyto={}#respond", page(2), roots[3]).as_str())
    );
    let form = app.get(&format!("{}?replyto={}", page(2), roots[3])).await;
    assert_eq!(form.status, 200);
    form.assert_contains(&[r#"<h2 id="respond-title">Reply to Gil</h2>"#]);

    // The comment feed links each comment where it is.
    let feed = app.get(&format!("/posts/{SLUG}/comments.xml")).await;
    feed.assert_contains(&[
        &format!("http://blog.test{}#comment-{fay}", page(2)),
        &format!("http://blog.test{}#comment-{}", page(3), roots[4]),
        &format!("http://blog.test{}#comment-{cy}\"", page(1)),
    ]);
}

#[tokio::test]
async fn a_reply_to_a_thread_on_page_three_returns_to_page_two_and_shows_there_to_its_writer() {
    let Threads { app, roots, .. } = five_threads("oldest").await;
    let mut fields = comment_fields("Ivy Reader", "ivy@example.org", "Does this apply to children as well?");
    set_field(&mut fields, "parent_id", &roots[2].to_string());
    let posted = app.post_comment(SLUG, &fields).await;
    let id = posted_comment_id(&posted);
    assert_eq!(posted.header("location"), format!("{}#comment-{id}", page(2)));

    let mine = app.get(&page(2)).await;
    let card = mine.comment_card(id);
    assert!(card.contains("Your comment is awaiting moderation"), "{card}");
    assert!(card.contains("Does this apply to children as well?"), "{card}");
    assert!(!app.get(&page(1)).await.body.contains("Does this apply to children"), "only on its thread's page");
    assert!(!app.get_as_stranger(&page(2)).await.body.contains("Does this apply to children"));

    // A new question goes to the end: the last page, which it does not
    // overflow into a page of its own.
    let posted = app.post_comment(SLUG, &comment_fields("Jo", "jo@example.org", "And for teenagers?")).await;
    let question = posted_comment_id(&posted);
    assert_eq!(posted.header("location"), format!("{}#comment-{question}", page(3)));
    assert!(app.get(&page(3)).await.body.contains("And for teenagers?"));
    assert_eq!(app.get_as_stranger(&page(4)).await.status, 404);
}

#[tokio::test]
async fn newest_first_a_new_question_shows_on_the_article() {
    let Threads { app, .. } = five_threads("newest").await;
    let posted = app.post_comment(SLUG, &comment_fields("Jo", "jo@example.org", "And for teenagers?")).await;
    let question = posted_comment_id(&posted);
    assert_eq!(posted.header("location"), format!("{}#comment-{question}", page(1)));
    let mine = app.get(&page(1)).await;
    assert!(mine.comment_card(question).contains("And for teenagers?"));
    assert!(mine.body.contains(BODY_SENTENCE));
}

#[tokio::test]
async fn a_reader_follows_later_comments_and_a_permalink_in_chromium() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let Threads { app, roots, fay, .. } = five_threads("oldest").await;
    let browser = Browser::open().await;
    let client = &browser.client;
    client.goto(&format!("{}{}", app.address, page(1))).await.expect("the article opens");

    let next = client.find(Locator::Css("nav.pagination a[rel=next]")).await.expect("a link to the next page");
    next.click().await.expect("the link is followed");
    client.wait().for_element(Locator::Id(&format!("comment-{}", roots[2]))).await.expect("Eve's thread");
    let url = client.current_url().await.expect("a URL");
    assert_eq!(url.path(), page(2));

    // An old permalink finds the page and the comment.
    client.goto(&format!("{}{}?comment={fay}", app.address, page(1))).await.expect("the permalink opens");
    let card = client.wait().for_element(Locator::Id(&format!("comment-{fay}"))).await.expect("Fay's reply");
    assert!(card.text().await.expect("its text").contains("A question"));
    let url = client.current_url().await.expect("a URL");
    assert_eq!((url.path(), url.fragment()), (page(2).as_str(), Some(format!("comment-{fay}").as_str())));

    // So does a permalink from before the pages, `#comment-N` on the
    // article, through the page's script.
    client.goto(&format!("{}{}#comment-{}", app.address, page(1), roots[3])).await.expect("the old permalink opens");
    client
        .wait()
        .for_url(&url::Url::parse(&format!("{}{}#comment-{}", app.address, page(2), roots[3])).expect("a URL"))
        .await
        .expect("the script finds the page");
    client.find(Locator::Id(&format!("comment-{}", roots[3]))).await.expect("Gil's comment");
    browser.close().await;
}

#[tokio::test]
async fn the_desk_and_the_doctors_email_link_to_the_page_of_a_comment() {
    use crate::admin::{answer, create_user, flash, sign_in, spawn_app_keeping_settings, AUTHOR, PASSWORD};
    let (app, settings) = spawn_app_keeping_settings(|s| s.mail.poll_seconds = 1).await;
    create_user(&app, AUTHOR, "Dr. Test", PASSWORD);
    app.with_db(|conn| healthblog::db::users::set_email(conn, AUTHOR, "doctor@example.org"))
        .expect("the address is stored");
    let Threads { app, .. } = five_threads_in(app, "oldest");

    // A reader asks a new question: it goes to the end, on page 3.
    let reader = crate::helpers::new_browser();
    let form = reader.get(format!("{}{}", app.address, page(1))).send().await.expect("the article");
    let mut fields = comment_fields("Ivy Reader", "ivy@example.org", "Is this true at night too?");
    fields.push(("csrf_token".into(), crate::helpers::csrf_token(&form.text().await.expect("a page"))));
    let posted = reader.post(format!("{}/posts/{SLUG}/comments", app.address)).form(&fields).send().await;
    let posted = crate::helpers::read(posted.expect("POST succeeds")).await;
    let ivy = posted_comment_id(&posted);
    let on_page_three = format!("{}#comment-{ivy}", page(3));

    // The doctor's notice links to page 3.
    let folder = settings.data_dir.join("mail");
    let notice = crate::helpers::eventually!(std::time::Duration::from_secs(20), "the doctor's notice is written", {
        std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().ends_with("new-comment.eml"))
    });
    let notice = std::fs::read_to_string(notice.path()).expect("the message is readable");
    let unfolded = notice.replace("=\r\n", "").replace("=\n", "");
    assert!(unfolded.contains(&format!("http://blog.test{on_page_three}")), "{notice}");

    // The desk's row links there too, and so does the answer's message.
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let desk = app.get("/admin/comments?status=pending").await;
    desk.assert_contains(&[&format!("href=\"{on_page_three}\"")]);
    let tab = "/admin/comments?status=pending&page=1";
    answer(&app, ivy, "Yes, at night too.", tab).await;
    let message = flash(&app.get(tab).await).expect("a message");
    assert!(message.contains(&format!("href=\"{}#comment-", page(3))), "{message}");
}
