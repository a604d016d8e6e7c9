use crate::helpers::{repo_path, run_check, start_error, Content};

fn broken_content() -> Content {
    Content::new()
        .post("fine", "title = \"Fine\"\ndate = 2024-01-01", "Body.")
        .post("typo", "title = \"Typo\"\ndate = 2024-01-02\ntagz = [\"x\"]", "Body.")
        .post("bad-date", "title = \"Bad date\"\ndate = 2024-02-30", "Body.")
        .post("Bad Name", "title = \"Bad name\"\ndate = 2024-01-03\nsummary = \"s\"", "Body.")
}

#[test]
fn check_reports_every_problem_as_file_line_message() {
    let content = broken_content();
    let output = run_check(&content.path());
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
    let output = run_check(&repo_path("content"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("6 articles, 1 draft and 1 page, no problems"), "{stdout}");
}

#[tokio::test]
async fn serve_refuses_to_start_on_a_broken_article() {
    let error = start_error(&broken_content()).await;
    assert!(error.contains("typo.md:4: front matter: unknown field `tagz`"), "{error}");
}
