//! The moderation queue: every action on one comment and in bulk, where each
//! leads back to, the flash message, the stored status, the log; search,
//! pages, what each row tells the author, and the log page.

use super::{
    desk_token, fields, flash, location, log_entries, moderate, row, row_ids, signed_in_app, status_of, stored, Stored,
    DISPLAY, SLUG, TITLE,
};
use healthblog::domain::{CommentId, CommentStatus};
use CommentStatus::{Approved, Pending, Spam, Trash};

/// (status before, action, status after or `None` for gone, past tense).
const ACTIONS: [(CommentStatus, &str, Option<CommentStatus>, &str); 8] = [
    (Pending, "approve", Some(Approved), "approved"),
    (Approved, "unapprove", Some(Pending), "unapproved"),
    (Pending, "spam", Some(Spam), "marked as spam"),
    (Spam, "not-spam", Some(Pending), "marked as not spam"),
    (Approved, "trash", Some(Trash), "moved to the trash"),
    (Trash, "restore", Some(Pending), "restored"),
    (Spam, "delete", None, "deleted permanently"),
    (Trash, "delete", None, "deleted permanently"),
];

#[tokio::test]
async fn each_action_changes_the_comment_logs_it_and_returns_to_the_same_tab() {
    let (app, user_id) = signed_in_app().await;
    for (from, action, to, done) in ACTIONS {
        let id = Stored { status: from, ..Stored::default() }.insert(&app);
        let tab = format!("/admin/comments?status={from}&page=1");
        let queue = app.get(&tab).await;
        let offered = row(&queue.body, id);
        assert!(offered.contains(&format!("value=\"{action}\"")), "{from} offers {action}:\n{offered}");
        assert!(offered.contains(&format!("name=\"return_to\" value=\"{}\"", tab.replace('&', "&amp;"))));

        let response = moderate(&app, id, action, &tab).await;

        assert_eq!(location(&response), tab, "{action} leads back to the tab");
        let back = app.get(&tab).await;
        let expected = match action {
            // An approved comment is on the page: the message links to it.
            "approve" => format!("Comment {id} {done}. <a href=\"/posts/{SLUG}#comment-{id}\">View it on the page</a>"),
            _ => format!("Comment {id} {done}."),
        };
        assert_eq!(flash(&back).as_deref(), Some(expected.as_str()), "{action}");
        assert!(!row_ids(&back.body).contains(&id), "the comment left the {from} tab");
        assert_eq!(flash(&app.get(&tab).await), None, "the message shows once");
        assert_eq!(stored(&app, id).map(|c| c.status), to, "{action} on a {from} comment");

        let entry = log_entries(&app).pop().expect("a log entry");
        assert_eq!(
            (entry.actor.as_str(), entry.user_id, entry.action.as_str(), entry.comment_id),
            (DISPLAY, Some(user_id), action, Some(id))
        );
        assert_eq!(
            (entry.from_status.as_deref(), entry.to_status.as_deref()),
            (Some(from.as_str()), Some(to.map_or("deleted", CommentStatus::as_str))),
            "{action}"
        );
    }
}

#[tokio::test]
async fn only_spam_and_trash_can_be_deleted_permanently() {
    let (app, _) = signed_in_app().await;
    for from in [Pending, Approved] {
        let id = Stored { status: from, ..Stored::default() }.insert(&app);
        let tab = format!("/admin/comments?status={from}&page=1");
        assert!(!row(&app.get(&tab).await.body, id).contains("value=\"delete\""), "no delete button on {from}");
        let logged = log_entries(&app).len();

        let response = moderate(&app, id, "delete", &tab).await;

        assert_eq!(location(&response), tab);
        let message = format!("Comment {id} was not changed: it could not be deleted permanently.");
        assert_eq!(flash(&app.get(&tab).await).as_deref(), Some(message.as_str()));
        assert_eq!(status_of(&app, id), from, "the {from} comment is still there");
        assert_eq!(log_entries(&app).len(), logged, "nothing is logged");
    }
}

#[tokio::test]
async fn an_action_never_returns_to_another_site() {
    let (app, _) = signed_in_app().await;
    let id = Stored::default().insert(&app);
    let response = moderate(&app, id, "approve", "https://evil.example/admin").await;
    assert_eq!(location(&response), "/admin/comments");
    assert_eq!(status_of(&app, id), CommentStatus::Approved);
}

#[tokio::test]
async fn bulk_actions_apply_to_the_checked_comments_only() {
    let (app, _) = signed_in_app().await;
    let [a, b, c] = [0, 1, 2].map(|n| Stored { minutes_ago: n, ..Stored::default() }.insert(&app));
    let tab = "/admin/comments?status=pending&page=1";
    let queue = app.get(tab).await;
    for id in [a, b, c] {
        assert!(row(&queue.body, id).contains(&format!("name=\"ids\" value=\"{id}\" form=\"bulk-form\"")));
    }
    let token = desk_token(&app).await;
    let logged = log_entries(&app).len();

    let form = [("bulk_action", "approve"), ("ids", &a.to_string()), ("ids", &c.to_string())];
    let response = app.post_form("/admin/comments/bulk", &with_token(&form, &token, tab)).await;

    assert_eq!(location(&response), tab);
    assert_eq!(flash(&app.get(tab).await).as_deref(), Some("2 comments approved."));
    assert_eq!([a, b, c].map(|id| status_of(&app, id)), [Approved, Pending, Approved]);
    let entries = log_entries(&app);
    let logged_ids: Vec<_> = entries[logged..].iter().map(|e| (e.action.as_str(), e.comment_id)).collect();
    assert_eq!(logged_ids, [("approve", Some(a)), ("approve", Some(c))]);

    // From the trash, two go for good.
    for id in [a, b] {
        app.with_db(|conn| healthblog::db::comments::set_status(conn, id, healthblog::domain::CommentStatus::Trash))
            .expect("moved to the trash");
    }
    let trash = "/admin/comments?status=trash&page=1";
    let form = [("bulk_action", "delete"), ("ids", &a.to_string()), ("ids", &b.to_string())];
    let response = app.post_form("/admin/comments/bulk", &with_token(&form, &token, trash)).await;
    assert_eq!(location(&response), trash);
    assert_eq!(flash(&app.get(trash).await).as_deref(), Some("2 comments deleted permanently."));
    assert!(stored(&app, a).is_none() && stored(&app, b).is_none(), "both are gone");
    assert_eq!(status_of(&app, c), CommentStatus::Approved);
}

#[tokio::test]
async fn a_bulk_action_without_a_choice_or_without_comments_changes_nothing() {
    let (app, _) = signed_in_app().await;
    let id = Stored::default().insert(&app);
    let tab = "/admin/comments?status=pending&page=1";
    let token = desk_token(&app).await;

    let no_action = app.post_form("/admin/comments/bulk", &with_token(&[("ids", &id.to_string())], &token, tab)).await;
    assert_eq!(location(&no_action), tab);
    assert_eq!(flash(&app.get(tab).await).as_deref(), Some("Choose an action for the checked comments."));

    let no_ids = app.post_form("/admin/comments/bulk", &with_token(&[("bulk_action", "spam")], &token, tab)).await;
    assert_eq!(location(&no_ids), tab);
    assert_eq!(flash(&app.get(tab).await).as_deref(), Some("Check the comments to act on first."));
    assert_eq!(status_of(&app, id), CommentStatus::Pending);
}

fn with_token(pairs: &[(&str, &str)], token: &str, return_to: &str) -> Vec<(String, String)> {
    let mut form = fields(pairs);
    form.extend(fields(&[("csrf_token", token), ("return_to", return_to)]));
    form
}

#[tokio::test]
async fn the_queue_searches_text_name_and_email_whatever_the_case() {
    let (app, _) = signed_in_app().await;
    let alice = Stored {
        name: "Alice Moreau",
        email: "alice@example.org",
        body: "Does magnesium glycinate help with aura?",
        ..Stored::default()
    }
    .insert(&app);
    let bob = Stored {
        name: "Bob Stone",
        email: "bstone@clinic.example.net",
        body: "What dose for a child?",
        ..Stored::default()
    }
    .insert(&app);
    let carla = Stored {
        name: "Carla",
        email: "carla@example.org",
        body: "Is riboflavin safe in pregnancy?",
        ..Stored::default()
    }
    .insert(&app);
    // Approved: not in the pending tab, whatever it says.
    Stored { status: CommentStatus::Approved, name: "Alice Other", body: "Magnesium again", ..Stored::default() }
        .insert(&app);

    for (query, expected) in [
        ("MAGNESIUM", vec![alice]),
        ("alice", vec![alice]),
        ("Stone", vec![bob]),
        ("EXAMPLE.NET", vec![bob]),
        ("Riboflavin", vec![carla]),
        ("example", vec![carla, bob, alice]),
        ("%", vec![]),
        ("nothing like this", vec![]),
    ] {
        let page = app.get(&format!("/admin/comments?status=pending&q={}", encode(query))).await;
        assert_eq!(page.status, 200);
        assert_eq!(row_ids(&page.body), expected, "search {query:?}");
        assert!(page.body.contains(&format!("value=\"{query}\"")), "the search box keeps {query:?}");
    }
}

/// Readers write from everywhere: case must not matter beyond ASCII either,
/// and on both databases alike.
#[tokio::test]
async fn the_queue_search_ignores_case_in_accented_names_and_words() {
    let (app, _) = signed_in_app().await;
    let elodie =
        Stored { name: "Élodie Ørsted", body: "Ça marche pour les migraines?", ..Stored::default() }.insert(&app);

    for query in ["Élodie", "élodie", "ÉLODIE", "ørsted", "ØRSTED", "ça marche"] {
        let page = app.get(&format!("/admin/comments?status=pending&q={}", encode(query))).await;
        assert_eq!(row_ids(&page.body), [elodie], "search {query:?}");
    }
}

fn encode(text: &str) -> String {
    healthblog::routes::encode_query_value(text)
}

#[tokio::test]
async fn the_queue_shows_twenty_comments_a_page_newest_first() {
    let (app, _) = signed_in_app().await;
    let ids: Vec<CommentId> =
        (0..25).map(|n| Stored { minutes_ago: 25 - n, ..Stored::default() }.insert(&app)).collect::<Vec<_>>();
    let newest_first: Vec<CommentId> = ids.iter().rev().copied().collect();

    let first = app.get("/admin/comments?status=pending").await;
    let second = app.get("/admin/comments?status=pending&page=2").await;

    assert_eq!(row_ids(&first.body), newest_first[..20]);
    assert_eq!(row_ids(&second.body), newest_first[20..]);
    first.assert_contains(&["25 comments", "Page 1 of 2", "href=\"/admin/comments?status=pending&amp;page=2\""]);
    second.assert_contains(&["Page 2 of 2", "href=\"/admin/comments?status=pending&amp;page=1\""]);
}

#[tokio::test]
async fn each_row_tells_the_author_who_wrote_what_where_and_in_reply_to_whom() {
    let (app, _) = signed_in_app().await;
    let long_question = "My neurologist suggested magnesium glycinate at night, but I also take a calcium \
                         supplement in the evening and wonder whether the two compete for absorption at all";
    let parent =
        Stored { status: CommentStatus::Approved, name: "Nadia Parent", body: long_question, ..Stored::default() }
            .insert(&app);
    let reply = Stored {
        name: "Tomas Replier",
        email: "tomas@example.org",
        url: Some("https://tomas.example.org/"),
        body: "Same question here.",
        parent: Some(parent),
        ..Stored::default()
    }
    .insert(&app);

    let page = app.get("/admin/comments?status=pending").await;
    let shown = row(&page.body, reply);

    for needle in [
        "Tomas Replier",
        "href=\"mailto:tomas@example.org\"",
        "https://tomas.example.org/",
        "<code>5e1f0a9c</code>",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        &format!("href=\"/posts/{SLUG}#comment-{reply}\""),
        TITLE,
        "In reply to",
        "Nadia Parent",
        "My neurologist suggested magnesium glycinate at night",
        "Same question here.",
    ] {
        assert!(shown.contains(needle), "{needle:?} in the row:\n{shown}");
    }
    assert!(!shown.contains("5e1f0a9c33d2b7e4"), "only a prefix of the address hash");
    assert!(!shown.contains("compete for absorption at all"), "only an excerpt of the parent:\n{shown}");
    assert!(shown.contains('…'), "the excerpt is marked as cut");
}

#[tokio::test]
async fn the_log_page_lists_actions_newest_first() {
    let (app, _) = signed_in_app().await;
    let first = Stored::default().insert(&app);
    let second = Stored { minutes_ago: 1, ..Stored::default() }.insert(&app);
    moderate(&app, first, "approve", "/admin").await;
    moderate(&app, second, "trash", "/admin").await;

    let page = app.get("/admin/log").await;

    assert_eq!(page.status, 200);
    let position = |needle: &str| page.body.find(needle).unwrap_or_else(|| panic!("{needle:?} in:\n{}", page.body));
    let trash = position("<td data-label=\"What\">trash</td>");
    let approve = position("<td data-label=\"What\">approve</td>");
    let sign_in = position("<td data-label=\"What\">sign-in</td>");
    assert!(trash < approve && approve < sign_in, "newest first:\n{}", page.body);
    page.assert_contains(&[
        &format!("<td data-label=\"Who\">{DISPLAY}</td>"),
        &format!("<td data-label=\"Comment\">{second}</td>"),
        "pending → trash",
    ]);
    // Valid `<time datetime>` values (an HTML checker refuses "… UTC").
    for value in page.body.split("datetime=\"").skip(1).map(|rest| &rest[..rest.find('"').expect("the value ends")]) {
        assert!(chrono::DateTime::parse_from_rfc3339(value).is_ok(), "{value}");
    }
    let dashboard = app.get("/admin").await;
    assert!(!dashboard.body.contains(" UTC\" title="), "the desk's rows carry valid datetimes too");
}

#[tokio::test]
async fn absurd_page_numbers_show_an_empty_page_instead_of_failing() {
    let (app, _) = super::signed_in_app().await;
    for path in ["/admin/comments?status=pending&page=18446744073709551615", "/admin/log?page=9223372036854775808"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
    }
}

#[tokio::test]
async fn a_row_quotes_what_it_answers_as_text_and_keeps_the_senders_details_folded() {
    let (app, _) = signed_in_app().await;
    let parent = Stored {
        body: "Take it **every week**, or [daily](https://example.org)?",
        status: CommentStatus::Approved,
        ..Stored::default()
    }
    .insert(&app);
    let reply = Stored { body: "Daily.", parent: Some(parent), ..Stored::default() }.insert(&app);
    let page = app.get("/admin/comments?status=pending").await;
    let shown = row(&page.body, reply);
    assert!(shown.contains("<q>Take it every week, or daily?</q>"), "{shown}");
    assert!(!shown.contains("**"), "no raw Markdown:\n{shown}");
    let folded = &shown[shown.find("<details class=\"desk-more\">").expect("the sender's details fold away")..];
    assert!(folded.contains("mailto:maria@example.org"), "{shown}");

    let answer = crate::admin::answer(&app, parent, "Weekly is enough.", "/admin").await;
    assert_eq!(answer.status, 303);
    let approved = app.get("/admin/comments?status=approved").await;
    let own =
        approved.body.split("class=\"desk-row ").find(|r| r.contains("Weekly is enough.")).expect("the answer's row");
    assert!(!own.contains("desk-more"), "no sender's details on the author's own answer");
}

#[tokio::test]
async fn the_dashboard_says_what_the_next_purge_removes_and_when_and_the_purge_does_just_that() {
    use diesel::prelude::*;
    use healthblog::comments::retention::{self, Purged};
    use healthblog::comments::rules::Rules;
    use healthblog::db::schema::comments::dsl as c;

    let (app, _) = signed_in_app().await;
    let days = |n: i64| 60 * 24 * n;
    let waited = |id: CommentId| {
        let created = stored(&app, id).expect("stored").created_at;
        app.with_db(|conn| diesel::update(c::comments.find(id)).set(c::updated_at.eq(created)).execute(conn))
            .expect("untouched since it was sent");
        created
    };
    let stale = Stored { status: Pending, minutes_ago: days(61), ..Stored::default() }.insert(&app);
    waited(stale);
    let soon = Stored { status: Pending, minutes_ago: days(57), ..Stored::default() }.insert(&app);
    let soon_sent = waited(soon);
    Stored { status: Pending, minutes_ago: 60, ..Stored::default() }.insert(&app);
    Stored { status: Approved, minutes_ago: days(100), ..Stored::default() }.insert(&app);

    let dashboard = app.get("/admin").await;

    let soon_goes = (soon_sent + chrono::Duration::days(60)).format("%Y-%m-%d %H:%M UTC").to_string();
    dashboard.assert_contains(&[
        "The next purge, within the hour, deletes 1 comment that waited for moderation over 60 days and forgets \
         the address hashes and browsers of 1 comment.",
        &format!("In the 7 days after, it deletes 1 more comment waiting for moderation, the first on {soon_goes}"),
    ]);
    let within_the_hour = healthblog::db::now() + chrono::Duration::minutes(59);
    let purged = app.with_db(|conn| retention::purge(conn, &Rules::default(), within_the_hour)).expect("it runs");
    assert_eq!(purged, Purged { addresses: 1, pending: 1 }, "the purge removes what the dashboard said");
    assert!(stored(&app, stale).is_none() && stored(&app, soon).is_some());

    app.get("/admin").await.assert_contains(&["The next purge, within the hour, removes nothing."]);
}
