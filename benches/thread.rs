//! Building an article's comment thread from its comments (oldest first),
//! as every article page does: `comments::thread::build`.
//!
//! `cargo bench --bench thread`

mod common;

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use healthblog::comments::rules::{Rules, ThreadOrder};
use healthblog::comments::thread;
use healthblog::db::comments::Comment;
use healthblog::domain::{CommentId, Role, UserId};

/// `count` approved comments a minute apart: every fifth answers the one
/// before it, every seventh the reply two before it (so threads nest a few
/// levels deep), and every tenth is the author's.
fn discussion(count: i32) -> Vec<Comment> {
    (1..=count)
        .map(|i| {
            let parent = if i % 5 == 0 {
                Some(CommentId(i - 1))
            } else if i % 7 == 0 && i > 2 {
                Some(CommentId(i - 2))
            } else {
                None
            };
            let body = format!("Question {i}: does *magnesium* help with headaches after a concussion?");
            common::comment(i, parent, i % 10 == 0, &body)
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
            b.iter(|| thread::build(black_box(comments), &roles, depth, ThreadOrder::Oldest, chrono_tz::UTC))
        });
    }
    group.finish();
}

criterion_group!(benches, build_thread);
criterion_main!(benches);
