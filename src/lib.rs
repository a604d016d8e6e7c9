//! healthblog: a doctor's Markdown articles and readers' moderated questions.

pub mod auth;
pub mod backup;
pub mod client_address;
pub mod comments;
pub mod config;
pub mod content;
pub mod db;
pub mod domain;
pub mod error;
pub mod keys;
pub mod mail;
pub mod markdown;
pub mod media;
pub mod page_cache;
pub mod routes;
pub mod signed_links;
pub mod startup;
pub mod state;
pub mod static_files;
pub mod structured_data;
pub mod telemetry;
pub mod templates;
pub mod trust;
pub mod wordpress;
pub mod wordpress_export;
