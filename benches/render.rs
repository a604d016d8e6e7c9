//! Rendering what a reader sees: the article page with 100 comments through
//! the site's templates (`routes::public::post::render`, as for a reader who
//! is not served from the page cache), and one comment's Markdown through
//! `markdown::render_comment` (done once, when a comment is stored).
//!
//! `cargo bench --bench render`

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;

use actix_web::http::StatusCode;
use criterion::{criterion_group, criterion_main, Criterion};
use healthblog::comments::rules::Rules;
use healthblog::comments::tally::Tally;
use healthblog::comments::visitor::Visitor;
use healthblog::comments::Discussion;
use healthblog::config::Settings;
use healthblog::db::comments::Comment;
use healthblog::db::{self, DatabaseUrl};
use healthblog::domain::{CommentId, Role, UserId};
use healthblog::keys::Keys;
use healthblog::markdown;
use healthblog::routes::public::post::{self, ArticlePage, CommentForm};
use healthblog::state::AppState;
use healthblog::static_files::StaticFiles;
use healthblog::templates;

mod common;

use common::SLUG;

/// A reader's question as people write them: a paragraph, a list, a link.
const QUESTION: &str = "I had a concussion in March and the headaches never really stopped. My neurologist \
suggested **IV magnesium**, but I am worried about the side effects:\n\n\
- is it safe with my blood pressure pills?\n\
- how many infusions did your patients need?\n\
- does oral magnesium (*glycinate*) do anything similar?\n\n\
I read [the 2019 review](https://example.org/review) you cited, but it is about migraine, not \
post-concussion syndrome. Thank you for writing this!";

fn comments(count: i32) -> Vec<Comment> {
    // Every fifth is the author's answer to the question before it.
    (1..=count).map(|i| common::comment(i, (i % 5 == 0).then_some(CommentId(i - 1)), i % 5 == 0, QUESTION)).collect()
}

/// The site as `healthblog serve` sets it up, on a throwaway database that
/// rendering never reads.
fn state(data: &Path) -> AppState {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let settings = Settings {
        database_url: format!("sqlite://{}", data.join("bench.db").display()),
        content_dir: root.join("content"),
        data_dir: data.to_owned(),
        pool_size: 1,
        ..Settings::default()
    };
    let library = healthblog::content::Library::load(&settings.content_dir).expect("the sample articles load");
    let templates = templates::load(None).expect("the templates compile");
    let static_files = StaticFiles::load(None).expect("the static files load");
    let keys = Keys::from_secret("a benchmark secret that is long enough for every key").expect("a valid key");
    let url = DatabaseUrl::parse(&settings.database_url).expect("a SQLite URL");
    let pool = db::connect(&url, 1).expect("a SQLite database opens");
    AppState::new(settings, library, templates, pool, keys, static_files).expect("the state builds")
}

fn render_page(c: &mut Criterion) {
    let data = tempfile::tempdir().expect("a temporary folder");
    let state = state(data.path());
    let library = state.library();
    let article = library.get(SLUG).expect("the sample article");
    let discussion = Discussion {
        comments: comments(100),
        staff_roles: HashMap::from([(UserId(1), Role::Author)]),
        rules: Rules::default(),
        page: 1,
        page_count: 1,
        tally: Tally { questions: 80, answers: 0, replies: 20 },
        notes: Vec::new(),
    };
    let visitor = Visitor::first_visit();
    c.bench_function("article page, 100 comments", |b| {
        b.iter(|| {
            let page = ArticlePage {
                library: &library,
                article,
                discussion: &discussion,
                author: None,
                form: CommentForm::default(),
                flash: None,
                for_cache: false,
                preview: false,
                saved_replies: Vec::new(),
            };
            post::render(&state, page, black_box(visitor.clone()), StatusCode::OK).expect("the page renders")
        })
    });
}

fn render_comment(c: &mut Criterion) {
    c.bench_function("markdown::render_comment", |b| b.iter(|| markdown::render_comment(black_box(QUESTION))));
}

criterion_group!(benches, render_page, render_comment);
criterion_main!(benches);
