//! `healthblog user add|passwd|list|remove`, run as the real binary against
//! the test's database, with the running app to prove the result.

use std::process::{Output, Stdio};

use diesel::prelude::*;
use healthblog::db::schema::users;

use super::{
    cookie_pair, get_with_cookies, set_cookie, sign_in, sign_in_with, spawn_app_keeping_settings, AUTHOR, DISPLAY,
    PASSWORD,
};
use crate::helpers::{new_browser, TestApp};

/// Runs `healthblog ARGS` on `database_url`, writing `stdin` to it.
async fn healthblog(database_url: &str, args: &[&str], stdin: &str) -> Output {
    let (database_url, stdin) = (database_url.to_owned(), stdin.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        // An empty working folder: no healthblog.toml of the developer's.
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut command = crate::helpers::healthblog_command();
        let mut child = command
            .args(&args)
            .current_dir(dir.path())
            .env("HEALTHBLOG_DATABASE_URL", &database_url)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the healthblog binary starts");
        // A command that stops before reading its input (a refusal) closes the
        // pipe: what it said is in its output, which the test reads.
        let _ = child.stdin.take().expect("stdin").write_all(stdin.as_bytes());
        child.wait_with_output().expect("the command ends")
    })
    .await
    .expect("the command ran")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// (username, display name, password hash) of every account.
fn accounts(app: &TestApp) -> Vec<(String, String, String)> {
    app.with_db(|conn| {
        users::table
            .order(users::username)
            .select((users::username, users::display_name, users::password_hash))
            .load(conn)
    })
    .expect("the users table answers")
}

async fn add_author(url: &str) -> Output {
    healthblog(url, &["user", "add", AUTHOR, "--display-name", DISPLAY, "--password-stdin"], &format!("{PASSWORD}\n"))
        .await
}

#[tokio::test]
async fn user_add_refuses_a_weak_password_and_creates_nothing() {
    let (app, settings) = spawn_app_keeping_settings(|_| {}).await;
    for (password, problem) in [
        ("short pass", "at least 12 characters"),
        ("doc-and-a-long-tail", "must not contain the user's name"),
        ("lindqvist-rules-here", "must not contain the user's name"),
    ] {
        let output = healthblog(
            &settings.database_url,
            &["user", "add", AUTHOR, "--display-name", "Lindqvist", "--password-stdin"],
            &format!("{password}\n"),
        )
        .await;
        assert!(!output.status.success(), "{password:?} is refused");
        assert!(text(&output.stderr).contains(problem), "{password:?}: {}", text(&output.stderr));
        assert!(accounts(&app).is_empty(), "no account for {password:?}");
    }
}

#[tokio::test]
async fn user_add_stores_an_argon2id_hash_and_the_author_can_sign_in() {
    let (app, settings) = spawn_app_keeping_settings(|_| {}).await;

    let output = add_author(&settings.database_url).await;

    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&format!("created author {AUTHOR} ({DISPLAY})")), "{}", text(&output.stdout));
    let [(name, display, hash)] = accounts(&app).try_into().expect("one account");
    assert_eq!((name.as_str(), display.as_str()), (AUTHOR, DISPLAY));
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
    assert_eq!(sign_in(&app, AUTHOR, PASSWORD).await.status, 303);
    app.get("/admin").await.assert_contains(&[&format!("Signed in as {DISPLAY}")]);

    let again = add_author(&settings.database_url).await;
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("exists already"), "{}", text(&again.stderr));
    assert_eq!(accounts(&app).len(), 1);
}

#[tokio::test]
async fn user_passwd_changes_the_password_and_signs_out_every_session() {
    let (app, settings) = spawn_app_keeping_settings(|_| {}).await;
    let url = settings.database_url.as_str();
    assert!(add_author(url).await.status.success());
    let session = cookie_pair(set_cookie(&sign_in(&app, AUTHOR, PASSWORD).await, "hb_session").expect("a session"));
    assert_eq!(get_with_cookies(&app, "/admin", &session).await.status, 200);
    let old_hash = accounts(&app)[0].2.clone();

    let weak = healthblog(url, &["user", "passwd", AUTHOR, "--password-stdin"], "tooshort\n").await;
    assert!(!weak.status.success());
    assert!(text(&weak.stderr).contains("at least 12 characters"), "{}", text(&weak.stderr));
    assert_eq!(accounts(&app)[0].2, old_hash, "the password is unchanged");

    let new_password = "a different and longer phrase";
    let output = healthblog(url, &["user", "passwd", AUTHOR, "--password-stdin"], &format!("{new_password}\n")).await;

    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(accounts(&app)[0].2.starts_with("$argon2id$"));
    assert_eq!(get_with_cookies(&app, "/admin", &session).await.status, 303, "the old session is over");
    assert_eq!(sign_in_with(&app, &new_browser(), AUTHOR, PASSWORD).await.status, 401, "the old password fails");
    assert_eq!(sign_in_with(&app, &new_browser(), AUTHOR, new_password).await.status, 303);

    let nobody = healthblog(url, &["user", "passwd", "nobody", "--password-stdin"], &format!("{new_password}\n")).await;
    assert!(!nobody.status.success());
    assert!(text(&nobody.stderr).contains("there is no user nobody"), "{}", text(&nobody.stderr));
}

#[tokio::test]
async fn user_list_shows_the_accounts_and_user_remove_takes_one_away() {
    let (app, settings) = spawn_app_keeping_settings(|_| {}).await;
    let url = settings.database_url.as_str();
    assert!(add_author(url).await.status.success());
    let moderator = healthblog(
        url,
        &["user", "add", "sam", "--display-name", "Sam Moderator", "--role", "moderator", "--password-stdin"],
        "another long pass phrase\n",
    )
    .await;
    assert!(moderator.status.success(), "{}", text(&moderator.stderr));

    let listed = text(&healthblog(url, &["user", "list"], "").await.stdout);
    let lines: Vec<Vec<&str>> = listed.lines().map(|line| line.split('\t').take(3).collect()).collect();
    assert_eq!(lines, [vec![AUTHOR, "author", DISPLAY], vec!["sam", "moderator", "Sam Moderator"]], "{listed}");

    let browser = new_browser();
    let signed_in = sign_in_with(&app, &browser, "sam", "another long pass phrase").await;
    let session = cookie_pair(set_cookie(&signed_in, "hb_session").expect("a session"));
    let removed = healthblog(url, &["user", "remove", "sam"], "").await;

    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert!(text(&removed.stdout).contains("removed sam"));
    let listed = text(&healthblog(url, &["user", "list"], "").await.stdout);
    assert!(listed.starts_with(&format!("{AUTHOR}\t")) && !listed.contains("sam"), "{listed}");
    assert_eq!(get_with_cookies(&app, "/admin", &session).await.status, 303, "the removed user's session is over");
    let refused = sign_in_with(&app, &new_browser(), "sam", "another long pass phrase").await;
    assert_eq!(refused.status, 401);
    refused.assert_contains(&["The name or the password is wrong."]);

    let everyone = text(&healthblog(url, &["user", "list", "--all"], "").await.stdout);
    let closed: Vec<Vec<&str>> = everyone.lines().map(|line| line.split('\t').collect()).collect();
    assert_eq!(closed.len(), 2, "{everyone}");
    assert_eq!(closed[0].last(), Some(&closed[0][4]), "{AUTHOR} is open: no mark after the date:\n{everyone}");
    assert_eq!((closed[1][0], closed[1].last().copied()), ("sam", Some("closed")), "{everyone}");

    let again = healthblog(url, &["user", "remove", "sam"], "").await;
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("there is no user sam"), "{}", text(&again.stderr));
}

#[tokio::test]
async fn an_accounts_notice_address_is_set_at_creation_and_changed_later_and_a_bad_one_is_refused() {
    let (app, settings) = spawn_app_keeping_settings(|_| {}).await;
    let url = settings.database_url.as_str();
    let email_of = || -> String {
        app.with_db(|conn| users::table.filter(users::username.eq(AUTHOR)).select(users::email).first(conn))
            .expect("the account is stored")
    };
    let refused = healthblog(
        url,
        &["user", "add", AUTHOR, "--display-name", DISPLAY, "--password-stdin", "--email", "not-an-address"],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("--email"), "{}", text(&refused.stderr));
    assert!(accounts(&app).is_empty(), "nothing is created with a bad address");

    let added = healthblog(
        url,
        &["user", "add", AUTHOR, "--display-name", DISPLAY, "--password-stdin", "--email", "doc@clinic.test"],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert_eq!(email_of(), "doc@clinic.test");

    let changed = healthblog(url, &["user", "email", AUTHOR, "desk@clinic.test"], "").await;
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    assert_eq!(email_of(), "desk@clinic.test");
    let listed = healthblog(url, &["user", "list"], "").await;
    assert!(text(&listed.stdout).contains("desk@clinic.test"), "{}", text(&listed.stdout));
}

#[tokio::test]
async fn the_help_explains_every_command_the_environment_and_the_password_rule() {
    let top = healthblog("sqlite://unused.db", &["--help"], "").await;
    assert!(top.status.success());
    let top = text(&top.stdout);
    for variable in [
        "HEALTHBLOG_DATABASE_URL",
        "HEALTHBLOG_BIND",
        "HEALTHBLOG_CONTENT_DIR",
        "HEALTHBLOG_SECRET_KEY",
        "HEALTHBLOG_MAIL__HOST",
        "HEALTHBLOG_CONFIG",
    ] {
        assert!(top.contains(variable), "the help names {variable}:\n{top}");
    }
    let rule = format!("at least {} characters", healthblog::auth::password::MIN_PASSWORD_CHARS);
    let add = text(&healthblog("sqlite://unused.db", &["user", "add", "--help"], "").await.stdout);
    assert!(add.contains(&rule) && add.contains("must not contain the sign-in name"), "{add}");

    // Every subcommand, and every argument of each, says what it is for.
    let commands = [
        vec!["serve"],
        vec!["migrate"],
        vec!["check"],
        vec!["backup"],
        vec!["restore"],
        vec!["export", "wordpress"],
        vec!["import", "wordpress"],
        vec!["user", "add"],
        vec!["user", "email"],
        vec!["user", "passwd"],
        vec!["user", "list"],
        vec!["user", "remove"],
    ];
    for command in commands {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let help = text(&healthblog("sqlite://unused.db", &args, "").await.stdout);
        let lines: Vec<&str> = help.lines().collect();
        let indent = |line: &str| line.len() - line.trim_start().len();
        for (i, line) in lines.iter().enumerate() {
            let entry = line.trim_start();
            let is_entry = indent(line) > 0 && indent(line) <= 6 && (entry.starts_with('-') || entry.starts_with('<'));
            if !is_entry {
                continue;
            }
            // Either `--flag <VALUE>  What it does`, or the text on the next, deeper line.
            let same_line = entry.contains("  ");
            let next_line = lines.get(i + 1).is_some_and(|next| !next.trim().is_empty() && indent(next) > indent(line));
            assert!(same_line || next_line, "`healthblog {}`: {entry:?} has no help text:\n{help}", command.join(" "));
        }
        assert!(help.contains("Usage:"), "{help}");
    }
}
