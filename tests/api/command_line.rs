//! The `healthblog` binary as a person at a terminal meets it: its flags,
//! the messages of a mistyped configuration, how it starts and what it logs.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::helpers::{repo_path, Content};
use crate::server::Server;

/// `healthblog ARGS` in `folder`, with only `settings` from the environment.
fn healthblog_in(folder: &Path, args: &[&str], settings: &[(&str, &str)]) -> Output {
    let mut command = crate::helpers::healthblog_command();
    command
        .args(args)
        .current_dir(folder)
        .env("HEALTHBLOG_CONTENT_DIR", repo_path("content"))
        .env_remove("RUST_LOG")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the healthblog binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn serve_bind_overrides_the_configured_address() {
    let data = tempfile::tempdir().expect("a data folder");
    let mut command = Server::command(
        &repo_path(""),
        &["serve", "--bind", "127.0.0.1:0"],
        &repo_path("content"),
        data.path(),
        &Server::sqlite_url(data.path()),
        &[("HEALTHBLOG_BIND", "not-an-address")],
    );
    command.stdout(Stdio::null());
    let server = Server::spawn(command);
    assert!(server.address.starts_with("http://127.0.0.1:"), "{}", server.address);
}

#[test]
fn a_mistyped_configuration_key_names_the_file_the_line_and_the_nearest_key() {
    let folder = tempfile::tempdir().expect("a working folder");
    let file = folder.path().join("healthblog.toml");
    #[rustfmt::skip]
    let cases = [
        ("databse_url = \"sqlite://x.db\"\n", 1, "unknown key `databse_url`: did you mean `database_url`?"),
        ("bind = \"127.0.0.1:8080\"\n\n[site]\ntitel = \"Notes\"\n", 4, "unknown key `site.titel`: did you mean `site.title`?"),
        ("[mail]\nsecurity = \"ssl\"\n", 2, "`mail.security` cannot be \"ssl\"; use one of none, starttls, tls"),
        ("[site]\nposts_per_page = \"ten\"\n", 2, "`site.posts_per_page` must be a whole number, 0 or more"),
        ("bind = \n", 1, "invalid string"),
    ];
    for (toml, line, message) in cases {
        std::fs::write(&file, toml).expect("the file is written");
        let output = healthblog_in(folder.path(), &["check"], &[]);
        assert_eq!(output.status.code(), Some(1), "{toml:?}");
        let stderr = text(&output.stderr);
        // The file as the user named it: here the default, in the working folder.
        let expected = format!("error: healthblog.toml:{line}: {message}");
        assert!(stderr.starts_with(&expected), "{toml:?}: expected {expected:?}, got:\n{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        for internals in ["figment", "Figment", "unknown field", "expected one of", "usize", "TOML parse error"] {
            assert!(!stderr.contains(internals), "no library words ({internals}): {stderr}");
        }
    }

    std::fs::remove_file(&file).expect("the file is removed");
    let output = healthblog_in(folder.path(), &["check"], &[("HEALTHBLOG_BNID", "0.0.0.0:80")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: the environment variable HEALTHBLOG_BNID: unknown key `bnid`: did you mean `bind`?"),
        "{stderr}"
    );
}

#[test]
fn a_correct_configuration_file_is_read() {
    let folder = tempfile::tempdir().expect("a working folder");
    let content = Content::new().post("only", "title = \"Only\"\ndate = 2024-01-01", "Body.");
    let toml = format!("content_dir = {:?}\n[site]\ntitle = \"Notes\"\n", content.path().display().to_string());
    std::fs::write(folder.path().join("healthblog.toml"), toml).expect("the file is written");
    let output =
        crate::helpers::healthblog_command().arg("check").current_dir(folder.path()).output().expect("check runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("1 article, 0 drafts and 0 pages, no problems"), "{}", text(&output.stdout));
}

/// The stderr lines of a finished command, and how long it ran.
fn run_timed(mut command: Command) -> (Output, std::time::Duration) {
    let started = std::time::Instant::now();
    let output = command.stdout(Stdio::piped()).output().expect("the healthblog binary runs");
    (output, started.elapsed())
}

#[test]
fn a_port_in_use_is_found_before_the_database_is_touched() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = taken.local_addr().expect("its address").to_string();
    let data = tempfile::tempdir().expect("a data folder");
    let database = data.path().join("blog.db");
    let url = format!("sqlite://{}", database.display());
    let command = Server::command(
        &repo_path(""),
        &["serve"],
        &repo_path("content"),
        data.path(),
        &url,
        &[("HEALTHBLOG_BIND", &address)],
    );

    let (output, _) = run_timed(command);

    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("error: cannot listen on {address}: another program already uses that port")),
        "{stderr}"
    );
    assert!(!database.exists(), "nothing was migrated: {stderr}");
}

#[test]
fn a_missing_content_or_theme_folder_is_found_before_the_database_is_touched() {
    let data = tempfile::tempdir().expect("a data folder");
    let database = data.path().join("blog.db");
    let url = format!("sqlite://{}", database.display());
    let missing = data.path().join("no-such-content");
    let command = Server::command(&repo_path(""), &["serve"], &missing, data.path(), &url, &[]);

    let (output, _) = run_timed(command);

    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("error: the content folder {} does not exist; set `content_dir`", missing.display())),
        "{stderr}"
    );
    assert!(!database.exists(), "nothing was migrated: {stderr}");

    let theme = data.path().join("no-such-theme");
    let settings = [("HEALTHBLOG_TEMPLATES_DIR", theme.to_str().expect("a UTF-8 path"))];
    let command = Server::command(&repo_path(""), &["serve"], &repo_path("content"), data.path(), &url, &settings);
    let (output, _) = run_timed(command);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("templates_dir: the folder {} does not exist", theme.display())), "{stderr}");
    assert!(!database.exists(), "nothing was migrated: {stderr}");

    let check = healthblog_in(data.path(), &["check"], &[("HEALTHBLOG_CONTENT_DIR", data.path().to_str().unwrap())]);
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check.stderr).contains("has no posts/ folder"), "{}", text(&check.stderr));
}

#[test]
fn an_unreachable_postgresql_is_retried_with_growing_waits_then_given_up_with_a_clear_error() {
    // Nothing listens on port 1: every attempt is refused at once.
    let folder = tempfile::tempdir().expect("a working folder");
    let url = "postgres://blog:hunter2secret@127.0.0.1:1/blog";
    let mut command = crate::helpers::healthblog_command();
    command
        .arg("migrate")
        .current_dir(folder.path())
        .env("HEALTHBLOG_DATABASE_URL", url)
        .env("HEALTHBLOG_DATABASE_WAIT_SECONDS", "3")
        .env_remove("RUST_LOG");

    let (output, took) = run_timed(command);

    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let retries: Vec<&str> = stderr.lines().filter(|line| line.contains("does not answer")).collect();
    assert_eq!(retries.len(), 3, "{stderr}");
    let waits: Vec<f64> = retries
        .iter()
        .map(|line| {
            assert!(line.contains("postgres://blog:xxxxx@127.0.0.1:1/blog"), "the address, not the password: {line}");
            let seconds = line.rsplit_once("trying again in ").and_then(|(_, wait)| wait.strip_suffix(" s"));
            seconds.and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("a wait in seconds: {line:?}"))
        })
        .collect();
    // Each wait twice the one before, and the last only what is left of the
    // 3 s (a little less than 1.5 s, by the time the attempts took).
    assert_eq!(waits[..2], [0.5, 1.0], "{stderr}");
    assert!(waits[2] > 1.0 && waits[2] <= 1.5, "the last wait is what is left of the patience: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(
            "error: gave up reaching the PostgreSQL database postgres://blog:xxxxx@127.0.0.1:1/blog after 3 s"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2secret"), "{stderr}");
    assert!(took < std::time::Duration::from_secs(10), "bounded: {took:?}");
}

#[test]
fn one_shot_commands_print_their_result_without_log_noise() {
    let folder = tempfile::tempdir().expect("a working folder");
    let url = format!("sqlite://{}", folder.path().join("blog.db").display());
    let secret = ("HEALTHBLOG_SECRET_KEY", "a secret that is long enough for every key here");
    let migrate = healthblog_in(folder.path(), &["migrate"], &[("HEALTHBLOG_DATABASE_URL", &url), secret]);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    assert_eq!(text(&migrate.stdout), "the database is up to date\n");
    assert_eq!(text(&migrate.stderr), "", "no log lines");
    let list = healthblog_in(folder.path(), &["user", "list"], &[("HEALTHBLOG_DATABASE_URL", &url), secret]);
    assert!(list.status.success());
    assert_eq!(text(&list.stderr), "", "no log lines");
}

#[tokio::test]
async fn the_log_has_no_colour_codes_off_a_terminal_and_one_compact_line_per_request() {
    let data = tempfile::tempdir().expect("a data folder");
    let mut command = Server::command(
        &repo_path(""),
        &["serve"],
        &repo_path("content"),
        data.path(),
        &Server::sqlite_url(data.path()),
        &[],
    );
    command.env_remove("NO_COLOR");
    let mut server = Server::spawn(command);
    let page = reqwest::get(format!("{}/archive?colour-probe=1", server.address)).await.expect("GET succeeds");
    assert_eq!(page.status(), 200);

    let line = crate::server::wait_for(&mut server.log, "colour-probe");
    assert!(!line.contains('\u{1b}'), "no escape codes in a piped log: {line:?}");
    let (context, request) = line.split_once("}: ").expect("the request's context, then its line");
    assert!(context.contains(" INFO request{request_id=") && context.contains(" client.address_hash="), "{line}");
    let words: Vec<&str> = request.split(' ').collect();
    assert_eq!(words[..3], ["GET", "/archive?colour-probe=1", "200"], "{line}");
    assert!(words[3].parse::<f64>().is_ok() && words[4] == "ms" && words.len() == 5, "{line}");
}

/// One file to deploy: started where there is no `templates/` or `static/`,
/// the binary serves its pages and files from what is built into it.
#[tokio::test]
async fn the_binary_alone_serves_pages_and_static_files_from_an_empty_folder() {
    let empty = tempfile::tempdir().expect("an empty working folder");
    let data = tempfile::tempdir().expect("a data folder");
    let command = Server::command(
        empty.path(),
        &["serve"],
        &repo_path("content"),
        data.path(),
        &Server::sqlite_url(data.path()),
        &[],
    );
    let server = Server::spawn(command);

    let home = reqwest::get(&server.address).await.expect("GET /");
    assert_eq!(home.status(), 200);
    let html = home.text().await.expect("a page");
    let start = html.find("/static/style.css?v=").expect("the stylesheet's address");
    let stylesheet = &html[start..start + html[start..].find('"').expect("the address ends")];
    let css = reqwest::get(format!("{}{stylesheet}", server.address)).await.expect("GET the stylesheet");
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let built_in = std::fs::read_to_string(repo_path("static/style.css")).expect("the repository's stylesheet");
    assert_eq!(css.text().await.expect("the stylesheet"), built_in);
    let article = reqwest::get(format!("{}/archive", server.address)).await.expect("GET /archive");
    assert_eq!(article.status(), 200);
    let entries: Vec<_> = std::fs::read_dir(empty.path()).expect("the folder").collect();
    assert!(entries.is_empty(), "nothing was written into the working folder: {entries:?}");
}

/// A theme: folders given in the settings are laid over the built-in
/// templates and files, one file at a time; an uploads folder left by an
/// earlier import is neither read nor served, and start-up says what to do.
#[tokio::test]
async fn folders_in_the_settings_override_the_built_in_templates_and_files() {
    let theme = tempfile::tempdir().expect("a theme folder");
    std::fs::create_dir_all(theme.path().join("templates")).expect("a templates folder");
    std::fs::write(theme.path().join("templates/tags.html"), "Topics, themed").expect("a template");
    std::fs::create_dir_all(theme.path().join("static/uploads/2016")).expect("a static folder");
    std::fs::write(theme.path().join("static/style.css"), "body { color: teal }").expect("a stylesheet");
    std::fs::write(theme.path().join("static/uploads/2016/scan.png"), "not really a png").expect("an upload");
    let data = tempfile::tempdir().expect("a data folder");
    let (templates, files) = (theme.path().join("templates"), theme.path().join("static"));
    let settings = [
        ("HEALTHBLOG_TEMPLATES_DIR", templates.to_str().expect("a UTF-8 path")),
        ("HEALTHBLOG_STATIC_DIR", files.to_str().expect("a UTF-8 path")),
    ];
    let command = Server::command(
        theme.path(),
        &["serve"],
        &repo_path("content"),
        data.path(),
        &Server::sqlite_url(data.path()),
        &settings,
    );
    let server = Server::spawn(command);

    let get = |path: &str| reqwest::get(format!("{}{path}", server.address));
    assert_eq!(get("/tags").await.expect("GET").text().await.expect("a page"), "Topics, themed");
    assert!(get("/archive").await.expect("GET").text().await.expect("a page").contains("<h1"), "the rest built in");
    assert_eq!(get("/static/style.css").await.expect("GET").text().await.expect("css"), "body { color: teal }");
    assert_eq!(get("/static/site.js").await.expect("GET").status(), 200, "what the theme lacks stays built in");
    assert_eq!(get("/static/uploads/2016/scan.png").await.expect("GET").status(), 404);
    let uploads = files.join("uploads");
    let warning = server
        .start_log
        .iter()
        .find(|line| line.contains(&uploads.display().to_string()))
        .unwrap_or_else(|| panic!("a warning naming {} in:\n{}", uploads.display(), server.start_log.join("\n")));
    assert!(warning.contains("WARN") && warning.contains("--uploads") && warning.contains("desk"), "{warning}");
    assert!(theme.path().join("static/uploads/2016/scan.png").exists(), "the old folder is not deleted");
}

/// The `HEALTHBLOG_*` assignments in a deploy file, commented examples included.
fn deploy_settings(file: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_path(file)).expect("the deploy file");
    text.lines()
        .map(|line| line.trim_start_matches(['#', ' ']).trim_start_matches("Environment="))
        .filter(|line| line.starts_with("HEALTHBLOG_"))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// The files in `deploy/` set only settings that exist, with values the
/// binary accepts, and the proxies forward to where the service listens.
#[test]
fn the_deploy_files_use_real_settings_and_agree_on_the_address() {
    let mut settings = deploy_settings("deploy/healthblog.service");
    settings.extend(deploy_settings("deploy/env.example"));
    let names: Vec<&str> = settings.iter().map(|(name, _)| name.as_str()).collect();
    for needed in ["HEALTHBLOG_SECRET_KEY", "HEALTHBLOG_BIND", "HEALTHBLOG_BEHIND_PROXY", "HEALTHBLOG_DATABASE_URL"] {
        assert!(names.contains(&needed), "{needed} in the deploy files: {names:?}");
    }
    let folder = tempfile::tempdir().expect("a working folder");
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let output = healthblog_in(folder.path(), &["check"], &pairs);
    assert!(output.status.success(), "{}", text(&output.stderr));

    let bind = &settings.iter().find(|(name, _)| name == "HEALTHBLOG_BIND").expect("a bind address").1;
    let nginx = std::fs::read_to_string(repo_path("deploy/nginx.conf")).expect("the nginx site");
    assert!(nginx.contains(&format!("server {bind};")), "nginx forwards to {bind}");
    assert!(nginx.contains("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"), "{nginx}");
    let caddy = std::fs::read_to_string(repo_path("deploy/Caddyfile")).expect("the Caddy site");
    assert!(caddy.contains(&format!("reverse_proxy {bind}")), "Caddy forwards to {bind}");
}

#[test]
fn commands_other_than_serve_and_migrate_never_create_a_new_empty_database() {
    let folder = tempfile::tempdir().expect("a working folder");
    let database = folder.path().join("data").join("blog.db");
    let url = format!("sqlite://{}", database.display());
    let content = repo_path("content");
    let export = folder.path().join("export");
    let environment = [
        ("HEALTHBLOG_DATABASE_URL", url.as_str()),
        ("HEALTHBLOG_SECRET_KEY", "a secret that is long enough for every key here"),
        ("HEALTHBLOG_CONTENT_DIR", content.to_str().expect("a UTF-8 path")),
    ];
    for args in [vec!["reload"], vec!["user", "list"], vec!["export", "markdown", export.to_str().expect("UTF-8")]] {
        let output = healthblog_in(folder.path(), &args, &environment);
        assert!(!output.status.success(), "{args:?} refuses");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&format!("the database {} does not exist", database.display())), "{args:?}: {stderr}");
        assert!(!database.exists(), "{args:?} created nothing");
    }
    let migrate = healthblog_in(folder.path(), &["migrate"], &environment);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    let reload = healthblog_in(folder.path(), &["reload"], &environment);
    assert!(reload.status.success(), "{}", text(&reload.stderr));
}
