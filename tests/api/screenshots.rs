//! The README's pictures, taken from the running app on a sample discussion.
//! Ignored in normal runs: `scripts/screenshots` runs it with
//! `SCREENSHOT_DIR` naming the folder to write into (docs/screenshots).

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use healthblog::comments::submit::{store, Author, Draft};

use crate::admin::{create_user, AUTHOR, PASSWORD};
use crate::helpers::{reader_draft, spawn_app_with, Browser, CommentBody, CommentId, CommentStatus, TestApp, UserId};

const ARTICLE: &str = "iv-magnesium-post-concussion-syndrome";
const MIGRAINE_ARTICLE: &str = "oral-magnesium-for-migraine-prevention";

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// Who writes a sample comment.
enum Writer<'a> {
    Reader(&'a str),
    Doctor(UserId, &'a str),
}

/// One sample comment, stored through the comment service like any other.
fn comment(
    app: &TestApp,
    slug: &str,
    writer: Writer<'_>,
    parent: Option<CommentId>,
    status: CommentStatus,
    created_at: NaiveDateTime,
    text: &str,
) -> CommentId {
    let body = CommentBody::parse(text).expect("a valid comment");
    let (author, name, email) = match writer {
        Writer::Reader(name) => {
            let email = format!("{}@example.org", name.split_whitespace().next().unwrap_or("reader").to_lowercase());
            (Author::Reader { name: name.to_owned(), email: email.clone(), website: None }, name, email)
        }
        Writer::Doctor(user_id, name) => (Author::Staff { name: name.to_owned(), user_id }, name, String::new()),
    };
    let draft = Draft {
        parent,
        author,
        created_at,
        ip_hash: "3f9c0e7a51b24d6c8e1f2a3b4c5d6e7f".into(),
        user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1".into(),
        ..reader_draft(slug, name, &email, &body, status)
    };
    app.with_db(|conn| store(conn, draft)).expect("the sample comment is stored")
}

/// A fixed moment, so that the article's pictures do not change from one
/// run to the next.
fn on(when: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(when, "%Y-%m-%d %H:%M").expect("a sample date")
}

/// A moment `minutes` ago: questions wait in the queue for days at most
/// (older ones are purged).
fn ago(minutes: i64) -> NaiveDateTime {
    healthblog::db::now() - chrono::Duration::minutes(minutes)
}

/// Readers' questions under the article, the doctor's answers, and a few new
/// questions waiting in the desk's queue.
fn sample_discussion(app: &TestApp, doctor: UserId, doctor_name: &str) {
    use CommentStatus::{Approved, Pending};
    let doctor = || Writer::Doctor(doctor, doctor_name);

    let marta = comment(
        app,
        ARTICLE,
        Writer::Reader("Marta Kowalczyk"),
        None,
        Approved,
        on("2024-03-18 08:41"),
        "I hit my head skiing in January and the headaches still turn up most afternoons, along with a \
         foggy feeling when I read. I already take 250 mg of magnesium oxide a day. Is that the same \
         thing as what you describe here, or should I change something?",
    );
    let answer = comment(
        app,
        ARTICLE,
        doctor(),
        Some(marta),
        Approved,
        on("2024-03-18 19:05"),
        "Not quite the same. Magnesium oxide is inexpensive but poorly absorbed, and 250 mg is a low dose. \
         Most of my patients do better on about **400 mg a day of magnesium glycinate**, taken with a meal. \
         Give it two to three months before you judge it.\n\n\
         If the afternoons are no better by then, an infusion is worth discussing with your doctor. And if \
         the headaches are getting worse rather than better, please be examined first.",
    );
    comment(
        app,
        ARTICLE,
        Writer::Reader("Marta Kowalczyk"),
        Some(answer),
        Approved,
        on("2024-03-19 07:30"),
        "Thank you, I'll switch to glycinate and keep a headache diary so I can tell whether it helps.",
    );

    let daniel = comment(
        app,
        ARTICLE,
        Writer::Reader("Daniel Osei"),
        None,
        Approved,
        on("2024-03-21 14:12"),
        "Did the people in the UCLA report need more than one infusion? And how long does it take? I'd \
         have to come in on my lunch break.",
    );
    comment(
        app,
        ARTICLE,
        doctor(),
        Some(daniel),
        Approved,
        on("2024-03-21 17:48"),
        "In the report each person had a single 2 g dose. In our office the injection itself is given \
         slowly over several minutes, and the whole visit takes a little longer than that, so a lunch \
         break is usually enough. Some people notice a change the same day; others need a few monthly \
         infusions before we can tell.",
    );

    let priya = comment(
        app,
        ARTICLE,
        Writer::Reader("Priya Raman"),
        None,
        Approved,
        on("2024-04-02 10:03"),
        "My son is 15 and three months after a football concussion he still can't concentrate at school. \
         Is magnesium safe for a teenager?",
    );
    comment(
        app,
        ARTICLE,
        doctor(),
        Some(priya),
        Approved,
        on("2024-04-02 18:20"),
        "Magnesium is generally well tolerated by teenagers, at a dose adjusted for body weight. Please \
         have his paediatrician or neurologist set the dose and see him first: three months of poor \
         concentration deserves a proper assessment, and a gradual return to school and sport matters as \
         much as any supplement.",
    );

    for (slug, name, minutes_ago, text) in [
        (
            ARTICLE,
            "Helen Brandt",
            340,
            "I felt light-headed and very warm during my first infusion last week. Is that normal, and \
             should it be given more slowly next time?",
        ),
        (
            ARTICLE,
            "Tomás Ferreira",
            185,
            "Would magnesium help with the dizziness after a concussion too, or mainly with the headaches?",
        ),
        (
            ARTICLE,
            "Grace Liu",
            72,
            "I have mild kidney disease (stage 2). Can I still try the oral supplement, or should I ask for \
             a blood test first?",
        ),
        (
            MIGRAINE_ARTICLE,
            "Sam Whitfield",
            18,
            "Which form would you pick for migraine if glycinate upsets my stomach too: citrate or \
             something else?",
        ),
    ] {
        comment(app, slug, Writer::Reader(name), None, Pending, ago(minutes_ago), text);
    }
}

/// Makes the page area exactly `width` × `height` CSS pixels.
async fn set_viewport(browser: &Browser, (width, height): (u32, u32)) {
    browser.set_viewport(width, height).await;
}

/// Scrolls the open article so that its questions start near the top.
async fn scroll_to_questions(browser: &Browser) {
    browser.eval("document.getElementById('comments').scrollIntoView(); window.scrollBy(0, -16);").await;
}

/// Saves what the browser shows as `dir/name`, checking its size.
async fn save(browser: &Browser, dir: &Path, name: &str, (width, height): (u32, u32)) {
    let png = browser.client.screenshot().await.expect("a screenshot");
    // A PNG's IHDR chunk holds its width and height at bytes 16..24.
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("four bytes"));
    assert_eq!((size(16), size(20)), (width, height), "{name} is {width}×{height}");
    let path = dir.join(name);
    std::fs::write(&path, &png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("wrote {} ({width}×{height}, {} KB)", path.display(), png.len() / 1024);
}

#[tokio::test]
#[ignore = "writes the README's screenshots: run scripts/screenshots"]
async fn readme_screenshots() {
    crate::helpers::require!("TEST_WEBDRIVER_URL");
    let dir = PathBuf::from(
        std::env::var("SCREENSHOT_DIR")
            .expect("SCREENSHOT_DIR names the folder for the pictures: run scripts/screenshots"),
    );
    std::fs::create_dir_all(&dir).expect("the screenshot folder exists");
    // A made-up doctor: the sample answers are ours, not a real physician's.
    let doctor_name = "Dr. Ada Lindqvist";
    let app = spawn_app_with(|settings| settings.site.author_name = doctor_name.to_owned()).await;
    let doctor = create_user(&app, AUTHOR, doctor_name, PASSWORD);
    sample_discussion(&app, doctor, doctor_name);

    // The article as a reader sees it, on a desktop and on a phone.
    let reader = Browser::open().await;
    let article = format!("{}/posts/{ARTICLE}", app.address);
    for (name, size) in [("article.png", DESKTOP), ("article-phone.png", PHONE)] {
        set_viewport(&reader, size).await;
        reader.client.goto(&article).await.expect("the article opens");
        scroll_to_questions(&reader).await;
        save(&reader, &dir, name, size).await;
    }
    reader.prefer_dark_color_scheme().await;
    set_viewport(&reader, DESKTOP).await;
    reader.client.goto(&article).await.expect("the article opens");
    scroll_to_questions(&reader).await;
    save(&reader, &dir, "article-dark.png", DESKTOP).await;
    reader.close().await;

    // The doctor's moderation queue.
    let desk = Browser::open().await;
    desk.sign_in(&app, AUTHOR, PASSWORD).await;
    let queue = format!("{}/admin/comments?status=pending", app.address);
    for (name, size) in [("desk.png", DESKTOP), ("desk-phone.png", PHONE)] {
        set_viewport(&desk, size).await;
        desk.client.goto(&queue).await.expect("the queue opens");
        save(&desk, &dir, name, size).await;
    }

    // The editor, with the article as readers will see it beside the text.
    let article = app
        .with_db(|conn| healthblog::db::articles::find_by_slug(conn, healthblog::content::ArticleKind::Post, ARTICLE))
        .expect("the articles answer")
        .expect("the sample article is stored");
    set_viewport(&desk, DESKTOP).await;
    desk.client.goto(&format!("{}/admin/articles/{}", app.address, article.id)).await.expect("the editor opens");
    desk.client
        .wait()
        .for_element(fantoccini::Locator::Css(".live-preview article.post"))
        .await
        .expect("the live preview shows");
    save(&desk, &dir, "editor.png", DESKTOP).await;
    desk.close().await;
}
