//! Every route of the desk, walked from the list the app mounts: nobody
//! without a session gets in, and no form is accepted without the session's
//! CSRF token.

use healthblog::routes::admin::GUARDED_ROUTES;

use super::{create_user, desk_token, fields, get_with, sign_in_with, signed_in_app, snapshot, Stored};
use crate::helpers::{csrf_token, new_browser, read, Page, TestApp};
use healthblog::domain::{CommentId, CommentStatus};

/// What a form of each POST route would plausibly carry, so that a route
/// that let the request through would change something.
fn form_for(path: &str, id: CommentId, token: Option<&str>) -> Vec<(String, String)> {
    let id = id.to_string();
    let mut form = match path {
        "/admin/comments/bulk" => fields(&[("bulk_action", "approve"), ("ids", &id)]),
        "/admin/comments/{id}/moderate" => fields(&[("action", "approve")]),
        "/admin/comments/{id}/edit" => fields(&[("body", "Rewritten by somebody else")]),
        "/admin/comments/{id}/reply" => fields(&[("body", "An answer the author never wrote")]),
        "/admin/replies" | "/admin/replies/{id}" => fields(&[("title", "Not his"), ("body", "A reply he never saved")]),
        "/admin/answers/{id}/note" => fields(&[("note", "A note he never wrote")]),
        "/admin/comments/{id}/feature" => fields(&[("question", "Not his choice?"), ("answer", "Never added by him.")]),
        "/admin/articles/{id}/questions/{comment}" => fields(&[("action", "remove")]),
        "/admin/comments/{id}/anonymise" => {
            fields(&[("question", "A question nobody asked"), ("answer", "An answer the author never wrote")])
        }
        "/admin/settings" => fields(&[
            ("moderation_policy", "approve_all"),
            ("max_links", "9"),
            ("hold_words", ""),
            ("block_list", ""),
            ("close_after_days", "0"),
            ("rate_limit_per_minute", "9"),
            ("thread_depth", "2"),
            ("min_seconds_to_submit", "0"),
            ("disclaimer", "Changed by somebody else"),
        ]),
        _ => Vec::new(),
    };
    form.push(("return_to".into(), "/admin".into()));
    if let Some(token) = token {
        form.push(("csrf_token".into(), token.into()));
    }
    form
}

/// `route` with real ids in it: the comment's (a private question's, for
/// the routes that take only those), or for the desk's pages the About
/// page's, and its first revision.
fn path_of(app: &TestApp, route: &str, id: CommentId) -> String {
    let id = if route.ends_with("/anonymise") {
        let private = app.stored_comments().into_iter().find(|c| c.status == CommentStatus::Private);
        private.expect("a private question (`with_private_question`)").id.to_string()
    } else if route.ends_with("/feature") {
        // The author's published answer: its exchange (`with_exchange`).
        let answer = app.stored_comments().into_iter().find(|c| c.user_id.is_some() && c.parent_id.is_some());
        answer.expect("an exchange (`with_exchange`)").id.to_string()
    } else if route.starts_with("/admin/articles/{id}/questions") {
        let post = app.with_db(|conn| {
            healthblog::db::articles::find_by_slug(conn, healthblog::content::ArticleKind::Post, super::SLUG)
        });
        post.expect("the articles answer").expect("the article").id.to_string()
    } else if route.starts_with("/admin/pages/") {
        let about = app.with_db(|conn| {
            healthblog::db::articles::find_by_slug(conn, healthblog::content::ArticleKind::Page, "about")
        });
        about.expect("the pages answer").expect("the About page").id.to_string()
    } else if route.starts_with("/admin/replies/{id}") {
        let fields = healthblog::db::answers::SavedReplyFields {
            title: "Magnesium".into(),
            body: "Take it with food.".into(),
            add_disclaimer: false,
        };
        let saved = app.with_db(|conn| match healthblog::db::answers::saved_replies(conn)?.first() {
            Some(reply) => Ok(reply.id),
            None => healthblog::db::answers::create_saved_reply(conn, &fields),
        });
        saved.expect("the saved replies answer").to_string()
    } else {
        id.to_string()
    };
    route.replace("{id}", &id).replace("{revision}", "1").replace("{comment}", &id)
}

/// An approved question with the author's published answer, for the
/// routes of "Add to the article".
fn with_exchange(app: &TestApp, author: healthblog::domain::UserId) {
    let asked = Stored { status: CommentStatus::Approved, body: "Is it safe?", ..Stored::default() }.insert(app);
    crate::answers::staff_answer(app, author, asked, "Yes, at the usual dose.", 0);
}

/// A private question beside comment `id`, for the routes that take only those.
fn with_private_question(app: &TestApp, id: CommentId) {
    let slug = app.stored_comment(id).post_slug;
    app.insert_comment(&slug, CommentStatus::Private, "Pia");
}

async fn send(app: &TestApp, client: &reqwest::Client, method: &str, path: &str, form: &[(String, String)]) -> Page {
    let url = format!("{}{path}", app.address);
    let request = match method {
        "GET" => client.get(url),
        "POST" => client.post(url).form(form),
        other => panic!("a guarded route with method {other}"),
    };
    read(request.send().await.expect("the request is answered")).await
}

#[tokio::test]
async fn without_a_session_every_desk_route_leads_to_the_sign_in_page_and_changes_nothing() {
    let (app, author) = signed_in_app().await;
    let id = Stored::default().insert(&app);
    with_private_question(&app, id);
    with_exchange(&app, author);
    // Even the author's real token is worthless without the author's cookie.
    let token = desk_token(&app).await;
    let before = snapshot(&app);

    let stranger = app.stranger();
    for &(method, route) in GUARDED_ROUTES {
        let path = path_of(&app, route, id);
        let response = send(&app, &stranger, method, &path, &form_for(route, id, Some(&token))).await;
        assert_eq!(response.status, 303, "{method} {path} without a session:\n{}", response.body);
        let expected = match method {
            "GET" => format!("/admin/login?next={}", healthblog::routes::encode_query_value(&path)),
            _ => "/admin/login".to_owned(),
        };
        assert_eq!(response.header("location"), expected, "{method} {path}");
    }
    assert_eq!(snapshot(&app), before, "nothing changed");

    // The walk is real: signed in, every page of the list opens.
    for &(method, route) in GUARDED_ROUTES.iter().filter(|(method, _)| *method == "GET") {
        let path = path_of(&app, route, id);
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{method} {path} signed in:\n{}", page.body);
    }
}

#[tokio::test]
async fn signed_in_no_desk_form_is_accepted_without_the_sessions_token() {
    let (app, author) = signed_in_app().await;
    let id = Stored::default().insert(&app);
    with_private_question(&app, id);
    with_exchange(&app, author);
    // A real token, but of somebody else's session.
    create_user(&app, "editor", "Sam Editor", "another long pass phrase");
    let other = new_browser();
    assert_eq!(sign_in_with(&app, &other, "editor", "another long pass phrase").await.status, 303);
    let others_token = csrf_token(&get_with(&app, &other, "/admin").await.body);
    assert_ne!(others_token, desk_token(&app).await);
    let before = snapshot(&app);

    for &(method, route) in GUARDED_ROUTES.iter().filter(|(method, _)| *method == "POST") {
        let path = path_of(&app, route, id);
        for token in [None, Some(""), Some("0123456789abcdef"), Some(others_token.as_str())] {
            let response = send(&app, &app.client, method, &path, &form_for(route, id, token)).await;
            assert_eq!(response.status, 403, "{method} {path} with token {token:?}:\n{}", response.body);
        }
    }

    assert_eq!(snapshot(&app), before, "nothing changed");
    assert_eq!(app.get("/admin").await.status, 200, "the author is still signed in");
}
