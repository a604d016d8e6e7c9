//! Building an article's comment thread from its comments (oldest first),
//! as every article page does: `comments::thread::build`.
//!
//! `cargo bench --bench thread`

use std::collections::HashMap;
use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use healthblog::comments::rules::{Rules, ThreadOrder};
use healthblog::comments::thread;
use healthblog::db::comments::Comment;
use healthblog::domain::{CommentId, CommentStatus, Role, UserId};
use healthblog::markdown;

/// `count` approved comments a minute apart: every fifth answers the one
/// before it, every seventh the reply two before it (so threads nest a few
/// levels deep), and every tenth is the author's.
fn discussion(count: i32) -> Vec<Comment> {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).and_then(|d| d.and_hms_opt(8, 0, 0)).unwrap_or_default();
    (1..=count)
        .map(|i| {
            let parent = if i % 5 == 0 {
                Some(CommentId(i - 1))
            } else if i % 7 == 0 && i > 2 {
                Some(CommentId(i - 2))
            } else {
                None
            };
            let by_author = i % 10 == 0;
            let when = start + chrono::Duration::minutes(i64::from(i));
            let body = format!("Question {i}: does *magnesium* help with headaches after a concussion?");
            Comment {
                id: CommentId(i),
                post_slug: "iv-magnesium-post-concussion-syndrome".into(),
                parent_id: parent,
                author_name: if by_author { "Dr. Jane Doe".into() } else { format!("Reader Number {i}") },
                author_email: if by_author { String::new() } else { format!("reader{i}@example.org") },
                author_url: None,
                user_id: by_author.then_some(UserId(1)),
                body_html: markdown::render_comment(&body),
                body_markdown: body,
                status: CommentStatus::Approved,
                notify: false,
                no_answer_needed: false,
                ip_hash: String::new(),
                user_agent: String::new(),
                created_at: when,
                updated_at: when,
                edited_at: None,
                notify_replies: false,
                erased_at: None,
            }
        })
        .collect()
}

fn build_thread(c: &mut Criterion) {
    let roles = HashMap::from([(UserId(1), Role::Author)]);
    let depth = Rules::default().thread_depth;
    let mut group = c.benchmark_group("thread::build");
    for count in [100, 1_000, 10_000] {
        let comments = discussion(count);
        group.throughput(Throughput::Elements(comments.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(count), &comments, |b, comments| {
            b.iter(|| thread::build(black_box(comments), &roles, depth, ThreadOrder::Oldest))
        });
    }
    group.finish();
}

criterion_group!(benches, build_thread);
criterion_main!(benches);
