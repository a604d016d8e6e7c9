//! `healthblog export wordpress`, run as the real binary on a site with
//! threaded comments in every status and an answer by the author, read back
//! with an XML parser as WordPress's importer would read it.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::admin::{answer, create_user, sign_in, spawn_app_keeping_settings, AUTHOR, DISPLAY, PASSWORD};
use crate::helpers::{comment_fields, posted_comment_id, CommentStatus, Content};

/// One `<item>` of the file: its fields, its tags and its comments.
#[derive(Debug, Default)]
struct Item {
    fields: HashMap<String, String>,
    tags: Vec<String>,
    comments: Vec<HashMap<String, String>>,
}

impl Item {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// The channel's own fields (`wp:author_login`…, repeated ones joined by
/// newlines) and its items, by `wp:post_name`.
fn parse(xml: &str) -> (HashMap<String, String>, HashMap<String, Item>) {
    let mut reader = Reader::from_str(xml);
    let (mut channel, mut items) = (HashMap::<String, String>::new(), HashMap::new());
    let (mut item, mut comment): (Option<Item>, Option<HashMap<String, String>>) = (None, None);
    let mut text = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                text.clear();
                match start.name().as_ref() {
                    b"item" => item = Some(Item::default()),
                    b"wp:comment" => comment = Some(HashMap::new()),
                    _ => {}
                }
            }
            Event::Text(t) => text.push_str(&t.decode().expect("UTF-8")),
            Event::CData(c) => text.push_str(&c.decode().expect("UTF-8")),
            Event::GeneralRef(r) => match r.resolve_char_ref().expect("a character reference") {
                Some(c) => text.push(c),
                None => text.push_str(
                    quick_xml::escape::resolve_predefined_entity(&r.decode().expect("UTF-8")).expect("a known entity"),
                ),
            },
            Event::End(end) => {
                let name = String::from_utf8_lossy(end.name().as_ref()).into_owned();
                let value = std::mem::take(&mut text);
                if name == "wp:comment" {
                    let done = comment.take().expect("a comment was open");
                    item.as_mut().expect("an item holds the comment").comments.push(done);
                } else if name == "item" {
                    let done = item.take().expect("an item was open");
                    items.insert(done.field("wp:post_name").to_owned(), done);
                } else if let Some(comment) = comment.as_mut() {
                    comment.insert(name, value);
                } else if let Some(item) = item.as_mut() {
                    if name == "category" {
                        item.tags.push(value);
                    } else {
                        item.fields.insert(name, value);
                    }
                } else {
                    let entry = channel.entry(name).or_default();
                    if !entry.is_empty() {
                        entry.push('\n');
                    }
                    entry.push_str(&value);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (channel, items)
}

#[tokio::test]
async fn the_export_holds_every_article_page_and_comment_with_threads_statuses_and_the_authors_answers() {
    let content = Content::new()
        .post(
            "dose",
            "title = \"Magnesium: the dose ]]> the myths\"\ndate = 2024-01-02T08:30:00\nupdated = 2024-03-04\n\
             summary = \"Doses ]]> myths, in «one» page\"\ntags = [\"magnesium\", \"migraine\"]",
            "A body that ends a CDATA section: <abbr title=\"x ]]> y\">CDATA</abbr>, and «Grüße» from Zürich.",
        )
        .post("later", "title = \"Not yet\"\ndate = 2024-02-01\ndraft = true", "A draft.")
        .post("closed", "title = \"Closed\"\ndate = 2023-01-01\ncomments = false", "No comments here.")
        .page("about", "title = \"About the doctor\"\ndate = 2020-01-01", "Who writes here.");
    let (app, settings) = spawn_app_keeping_settings(|s| s.content_dir = content.path()).await;
    app.accept_instant_posts();
    let question = posted_comment_id(
        &app.post_comment("dose", &comment_fields("Zoë ]]> Ünal", "zoe@example.org", "Is 400 mg «safe»? ]]> 東京"))
            .await,
    );
    let author = create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    app.set_status(question, CommentStatus::Approved);
    let reply = app.insert_reply("dose", question, CommentStatus::Approved, "Ann");
    let deep = app.insert_reply("dose", reply, CommentStatus::Pending, "Bob");
    let spam = app.insert_comment("dose", CommentStatus::Spam, "Spammer");
    let trash = app.insert_comment("dose", CommentStatus::Trash, "Tom");
    assert_eq!(answer(&app, question, "Yes, for most adults.", "/admin").await.status, 303);
    let stored = app.stored_comments();
    let answer_id = stored.iter().find(|c| c.user_id.is_some()).expect("the answer is stored").id;

    let output = export_command(&settings, &content.path(), &["wordpress"]);
    let xml = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(xml.contains("<wp:wxr_version>1.2</wp:wxr_version>"), "{xml}");
    assert!(xml.contains(r#"xmlns:wp="http://wordpress.org/export/1.2/""#));
    assert!(xml.contains("<![CDATA[Magnesium: the dose ]]]]><![CDATA[> the myths]]>"), "]]> is split:\n{xml}");

    let (channel, items) = parse(&xml);
    assert_eq!(channel["wp:author_login"], AUTHOR);
    assert_eq!(channel["wp:author_id"], author.to_string());
    assert_eq!(channel["wp:tag_slug"], "magnesium\nmigraine");

    let mut names: Vec<&str> = items.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["about", "closed", "dose", "later"]);
    let kinds: Vec<(&str, &str, &str)> = ["about", "closed", "dose", "later"]
        .iter()
        .map(|slug| {
            let item = &items[*slug];
            (item.field("wp:post_type"), item.field("wp:status"), item.field("wp:comment_status"))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("page", "publish", "closed"),
            ("post", "publish", "closed"),
            ("post", "publish", "open"),
            ("post", "draft", "open")
        ]
    );

    let dose = &items["dose"];
    assert_eq!(dose.field("title"), "Magnesium: the dose ]]> the myths");
    // The body as the site shows it: ammonia writes `>` in an attribute as `&gt;`.
    assert!(dose.field("content:encoded").contains(r#"<abbr title="x ]]&gt; y">CDATA</abbr>"#), "{dose:?}");
    assert_eq!(dose.field("excerpt:encoded"), "Doses ]]> myths, in «one» page");
    assert!(dose.field("content:encoded").contains("«Grüße» from Zürich"), "{dose:?}");
    assert_eq!(dose.field("link"), "http://blog.test/posts/dose");
    assert_eq!(items["about"].field("link"), "http://blog.test/about");
    assert_eq!(dose.field("wp:post_date_gmt"), "2024-01-02 08:30:00");
    assert_eq!(dose.field("wp:post_modified_gmt"), "2024-03-04 00:00:00");
    assert_eq!(dose.tags, ["magnesium", "migraine"]);
    assert!(items.values().filter(|i| i.field("wp:post_name") != "dose").all(|i| i.comments.is_empty()));

    // (id, parent, approved, user id, author)
    let mut comments: Vec<(String, String, String, String, String)> = dose
        .comments
        .iter()
        .map(|c| {
            let get = |k: &str| c.get(k).cloned().unwrap_or_default();
            (
                get("wp:comment_id"),
                get("wp:comment_parent"),
                get("wp:comment_approved"),
                get("wp:comment_user_id"),
                get("wp:comment_author"),
            )
        })
        .collect();
    comments.sort_by_key(|c| c.0.parse::<i32>().expect("a numeric id"));
    let row = |id: healthblog::domain::CommentId, parent: String, approved: &str, user: String, name: &str| {
        (id.to_string(), parent, approved.to_owned(), user, name.to_owned())
    };
    let zero = || "0".to_owned();
    assert_eq!(
        comments,
        [
            row(question, zero(), "1", zero(), "Zoë ]]> Ünal"),
            row(reply, question.to_string(), "1", zero(), "Ann"),
            row(deep, reply.to_string(), "0", zero(), "Bob"),
            row(spam, zero(), "spam", zero(), "Spammer"),
            row(trash, zero(), "trash", zero(), "Tom"),
            row(answer_id, question.to_string(), "1", author.to_string(), DISPLAY),
        ]
    );
    let text_of = |id: healthblog::domain::CommentId| {
        dose.comments.iter().find(|c| c["wp:comment_id"] == id.to_string()).expect("the comment")["wp:comment_content"]
            .clone()
    };
    assert!(text_of(question).contains("<p>Is 400 mg «safe»? ]]&gt; 東京</p>"), "{}", text_of(question));
    assert!(text_of(answer_id).contains("Yes, for most adults."));
    let zoe = dose.comments.iter().find(|c| c["wp:comment_id"] == question.to_string()).expect("the question");
    assert_eq!(zoe["wp:comment_author_email"], "zoe@example.org");
}

/// Runs `healthblog export ARGS` in `folder` on the site of `settings`; it works.
pub fn export_command(
    settings: &healthblog::config::Settings,
    folder: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_healthblog"))
        .arg("export")
        .args(args)
        .env("HEALTHBLOG_DATABASE_URL", &settings.database_url)
        .env("HEALTHBLOG_CONTENT_DIR", &settings.content_dir)
        .env("HEALTHBLOG_BASE_URL", &settings.base_url)
        .env("RUST_LOG", "warn")
        .env_remove("HEALTHBLOG_CONFIG")
        .current_dir(folder)
        .output()
        .expect("healthblog export runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    output
}

#[tokio::test]
async fn both_exports_carry_the_pictures_and_their_links_lead_to_them() {
    let card = crate::media::two_colour_jpeg(1000, 500);
    let hash = healthblog::media::process::hash_of(&card);
    let content = Content::new().post(
        "pictured",
        &format!("title = \"Pictured\"\ndate = 2024-01-02\nimage = \"/media/{hash}-960.jpg\"\nimage_alt = \"A card\""),
        &format!("Before.\n\n![A red and blue card](/media/{hash}-480.jpg)\n\nAnd ![gone](/media/ffffffffffffffffffff-480.jpg)."),
    );
    let (app, settings) = spawn_app_keeping_settings(|s| s.content_dir = content.path()).await;
    create_user(&app, AUTHOR, DISPLAY, PASSWORD);
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    let uploaded = crate::media::upload(&app, "A red and blue card", &[("card.jpg", &card)]).await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let full = format!("{hash}-1000.jpg");
    let served = app.stranger().get(format!("{}/media/{full}", app.address)).send().await.expect("GET");
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.expect("the picture").to_vec();

    let out = tempfile::tempdir().expect("a folder");
    let dir = out.path().join("export");
    let output = export_command(&settings, out.path(), &["markdown", dir.to_str().expect("UTF-8")]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("1 picture"), "{said}");
    assert!(said.contains("pictured: /media/ffffffffffffffffffff-480.jpg"), "the unknown link is named: {said}");
    let article = std::fs::read_to_string(dir.join("posts/pictured.md")).expect("the article");
    assert!(article.contains(&format!("![A red and blue card](../media/{full})")), "{article}");
    assert!(article.contains(&format!("image = \"../media/{full}\"")), "{article}");
    let linked = dir.join("posts").join(format!("../media/{full}"));
    assert!(std::fs::read(&linked).expect("the link leads to the file") == served, "the full size, as served");

    let output = export_command(&settings, out.path(), &["wordpress"]);
    let xml = String::from_utf8(output.stdout).expect("UTF-8");
    let (_, items) = parse(&xml);
    let url = format!("{}/media/{full}", settings.base_url.trim_end_matches('/'));
    let attachment = &items[&hash];
    assert_eq!(attachment.field("wp:post_type"), "attachment");
    assert_eq!(attachment.field("wp:attachment_url"), url);
    assert_eq!(attachment.field("wp:meta_key"), "_wp_attachment_image_alt");
    assert_eq!(attachment.field("wp:meta_value"), "A red and blue card");
    let post = &items["pictured"];
    assert_eq!(attachment.field("wp:post_parent"), post.field("wp:post_id"));
    assert!(post.field("content:encoded").contains(&format!("src=\"{url}\"")), "{post:?}");
    assert_eq!(post.field("wp:meta_key"), "_thumbnail_id");
    assert_eq!(post.field("wp:meta_value"), attachment.field("wp:post_id"), "the featured image");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("1 picture"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
