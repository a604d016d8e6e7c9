//! API and browser tests: one binary, one fresh database per test.

mod accessibility;
mod admin;
mod articles;
mod backup;
mod browse;
mod browser;
mod comment_browser;
mod comment_pages;
mod comments;
mod content_check;
mod crash;
mod errors;
mod export;
mod feeds;
mod helpers;
mod import;
mod injection;
mod mail;
mod manage;
mod pages;
mod reload;
mod rendering;
mod security;
mod server;
mod smtp;
mod write_safety;
