//! API and browser tests: one binary, one fresh database per test.

mod articles;
mod browse;
mod browser;
mod content_check;
mod errors;
mod feeds;
mod helpers;
mod rendering;
mod security;
