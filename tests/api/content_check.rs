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
        format!("{}:4: front matter: unknown key `tagz`: did you mean `tags`?", posts.join("typo.md").display()),
        format!("{}:3: `date` is not a real date (", posts.join("bad-date.md").display()),
        format!("{}:1: the slug `Bad Name` must be lower-case", posts.join("Bad Name.md").display()),
    ];
    for line in &expect {
        assert!(
            stdout.lines().any(|l| l.starts_with(line.as_str())),
            "expected a line starting {line:?} in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("fine.md"), "{stdout}");
    assert_eq!(stdout.lines().count(), 3, "one line per problem, each on one line:\n{stdout}");
}

#[test]
fn check_reports_every_problem_in_a_file_not_only_the_first() {
    let content = Content::new().post(
        "many",
        "title = \"Many\"\ndate = 2024-02-30\nsumary = \"s\"\ndraft = \"yes\"\ntags = [\"Bad Tag\"]",
        "Body.",
    );
    let output = run_check(&content.path());
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let file = content.path().join("posts/many.md").display().to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for expected in [
        format!("{file}:3: `date` is not a real date ("),
        format!("{file}:4: front matter: unknown key `sumary`: did you mean `summary`?"),
        format!("{file}:5: `draft` must be true or false, without quotes"),
        format!("{file}:6: the tag `Bad Tag` must be lower-case letters, digits and hyphens"),
    ] {
        assert!(lines.iter().any(|l| l.starts_with(&expected)), "expected a line starting {expected:?} in:\n{stdout}");
    }
    assert!(String::from_utf8_lossy(&output.stderr).contains("4 problems found"), "{output:?}");
}

#[test]
fn a_duplicate_slug_names_both_files() {
    let content = Content::new().post("magnesium", "title = \"One\"\ndate = 2024-01-01", "Body.").post(
        "zinc",
        "title = \"Two\"\ndate = 2024-01-02\nslug = \"magnesium\"",
        "Body.",
    );
    let output = run_check(&content.path());
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let posts = content.path().join("posts");
    let expected = format!(
        "{}:4: the slug `magnesium` is used by this file and by {} (from its file name); give one of them another `slug`",
        posts.join("zinc.md").display(),
        posts.join("magnesium.md").display()
    );
    assert_eq!(stdout.trim_end(), expected);
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
    assert!(error.contains("typo.md:4: front matter: unknown key `tagz`: did you mean `tags`?"), "{error}");
}
