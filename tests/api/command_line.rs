//! The `healthblog` binary as a person at a terminal meets it: its flags,
//! the messages of a mistyped configuration, how it starts and what it logs.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::helpers::{repo_path, Content};
use crate::server::Server;

/// `healthblog ARGS` in `folder`, with only `settings` from the environment.
fn healthblog_in(folder: &Path, args: &[&str], settings: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_healthblog"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("HEALTHBLOG_")) {
        command.env_remove(name);
    }
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
    let mut command = Command::new(env!("CARGO_BIN_EXE_healthblog"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("HEALTHBLOG_")) {
        command.env_remove(name);
    }
    let output = command.arg("check").current_dir(folder.path()).output().expect("check runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("1 article, 0 drafts and 0 pages, no problems"), "{}", text(&output.stdout));
}
