use std::process::Command;

use healthblog::startup::Application;

use crate::helpers::{repo_path, test_settings, Content};

fn broken_content() -> Content {
    Content::new()
        .post("fine", "title = \"Fine\"\ndate = 2024-01-01", "Body.")
        .post("typo", "title = \"Typo\"\ndate = 2024-01-02\ntagz = [\"x\"]", "Body.")
        .post("bad-date", "title = \"Bad date\"\ndate = 2024-02-30", "Body.")
        .post("Bad Name", "title = \"Bad name\"\ndate = 2024-01-03\nsummary = \"s\"", "Body.")
}

fn check(content_dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_healthblog"))
        .arg("check")
        .env("HEALTHBLOG_CONTENT_DIR", content_dir)
        .env_remove("HEALTHBLOG_CONFIG")
        .current_dir(repo_path(""))
        .output()
        .expect("healthblog check runs")
}

#[test]
fn check_reports_every_problem_as_file_line_message() {
    let content = broken_content();
    let output = check(&content.path());
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let posts = content.path().join("posts");
    let expect = [
        format!("{}:4: front matter: unknown field `tagz`", posts.join("typo.md").display()),
        format!("{}:3: ", posts.join("bad-date.md").display()),
        format!("{}:1: the slug `Bad Name` must be lower-case", posts.join("Bad Name.md").display()),
    ];
    for line in &expect {
        assert!(
            stdout.lines().any(|l| l.starts_with(line.as_str())),
            "expected a line starting {line:?} in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("fine.md"), "{stdout}");
}

#[test]
fn check_passes_on_the_sample_content() {
    let output = check(&repo_path("content"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("6 articles, 1 draft and 1 page, no problems"), "{stdout}");
}

#[tokio::test]
async fn serve_refuses_to_start_on_a_broken_article() {
    let content = broken_content();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut settings = test_settings(dir.path());
    settings.content_dir = content.path();
    let error = match Application::build(settings).await {
        Ok(_) => panic!("the application started on broken content"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("typo.md:4: front matter: unknown field `tagz`"), "{error}");
}
