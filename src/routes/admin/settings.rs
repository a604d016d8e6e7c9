use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use anyhow::Context as _;
use serde::Serialize;
use tera::Context;

use super::{AdminForm, Desk};
use crate::comments::rules::{keys, ModerationPolicy, Rules, ThreadOrder};
use crate::db;
use crate::db::log::{LogAction, NewLogEntry};
use crate::error::AppError;

const MAX_DISCLAIMER_CHARS: usize = 2_000;

/// A number the form accepts, with its bounds and what it is called.
struct NumberField {
    key: &'static str,
    label: &'static str,
    min: u32,
    max: u32,
}

const NUMBERS: [NumberField; 9] = [
    NumberField { key: keys::MAX_LINKS, label: "Links before a comment is held", min: 0, max: 100 },
    NumberField { key: keys::CLOSE_AFTER_DAYS, label: "Close comments after (days)", min: 0, max: 36_500 },
    NumberField { key: keys::RATE_LIMIT, label: "Comments per minute from one address", min: 1, max: 1_000 },
    NumberField { key: keys::THREAD_DEPTH, label: "Reply depth", min: 1, max: 10 },
    NumberField { key: keys::MIN_SECONDS, label: "Seconds before a form may be sent", min: 0, max: 600 },
    NumberField { key: keys::EDIT_WINDOW, label: "Minutes a writer may edit their comment", min: 0, max: 10_080 },
    NumberField { key: keys::IP_RETENTION, label: "Keep address hashes and browsers (days)", min: 0, max: 36_500 },
    NumberField { key: keys::PENDING_RETENTION, label: "Keep unmoderated comments (days)", min: 0, max: 36_500 },
    NumberField { key: keys::THREADS_PER_PAGE, label: "Threads per page", min: 1, max: 1_000 },
];
const TEXTS: [&str; 3] = [keys::HOLD_WORDS, keys::BLOCK_LIST, keys::DISCLAIMER];

#[derive(Serialize)]
struct PolicyOption {
    value: &'static str,
    label: &'static str,
}

/// `GET /admin/settings`.
pub async fn form(desk: Desk) -> Result<HttpResponse, AppError> {
    let stored =
        db::run(&desk.state.pool, |conn| Ok(db::settings::load_all(conn)?)).await.context("loading the settings")?;
    let rules = Rules::from_stored(&stored);
    let values: HashMap<&str, String> = [
        (keys::POLICY, rules.policy.as_str().to_owned()),
        (keys::MAX_LINKS, rules.max_links.to_string()),
        (keys::HOLD_WORDS, rules.hold_words.join("\n")),
        (keys::BLOCK_LIST, rules.block_list.join("\n")),
        (keys::CLOSE_AFTER_DAYS, rules.close_after_days.to_string()),
        (keys::RATE_LIMIT, rules.rate_limit_per_minute.to_string()),
        (keys::THREAD_DEPTH, rules.thread_depth.to_string()),
        (keys::MIN_SECONDS, rules.min_seconds_to_submit.to_string()),
        (keys::DISCLAIMER, rules.disclaimer.clone()),
        (keys::EDIT_WINDOW, rules.edit_window_minutes.to_string()),
        (keys::IP_RETENTION, rules.ip_retention_days.to_string()),
        (keys::PENDING_RETENTION, rules.pending_retention_days.to_string()),
        (keys::THREADS_PER_PAGE, rules.threads_per_page.to_string()),
        (keys::THREAD_ORDER, rules.thread_order.as_str().to_owned()),
    ]
    .into_iter()
    .collect();
    page(&desk, values, HashMap::new(), StatusCode::OK)
}

/// `POST /admin/settings`: checks every value, then stores them all; they
/// apply at once on every instance.
pub async fn save(desk: Desk, form: AdminForm) -> Result<HttpResponse, AppError> {
    let mut values: HashMap<&str, String> = HashMap::new();
    let mut errors: HashMap<&str, String> = HashMap::new();

    let policy = form.text(keys::POLICY);
    if policy.parse::<ModerationPolicy>().is_err() {
        errors.insert(keys::POLICY, "Choose one of the policies.".into());
    }
    values.insert(keys::POLICY, policy);
    let order = form.text(keys::THREAD_ORDER);
    if order.parse::<ThreadOrder>().is_err() {
        errors.insert(keys::THREAD_ORDER, "Choose which threads come first.".into());
    }
    values.insert(keys::THREAD_ORDER, order);
    for field in &NUMBERS {
        let text = form.text(field.key).trim().to_owned();
        match text.parse::<u32>() {
            Ok(n) if (field.min..=field.max).contains(&n) => {}
            _ => {
                errors.insert(
                    field.key,
                    format!("{}: enter a whole number from {} to {}.", field.label, field.min, field.max),
                );
            }
        }
        values.insert(field.key, text);
    }
    for key in TEXTS {
        values.insert(key, form.text(key).replace("\r\n", "\n").trim().to_owned());
    }
    if values[keys::DISCLAIMER].chars().count() > MAX_DISCLAIMER_CHARS {
        errors.insert(keys::DISCLAIMER, format!("The disclaimer can be at most {MAX_DISCLAIMER_CHARS} characters."));
    }
    if !errors.is_empty() {
        return page(&desk, values, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }

    let to_store: Vec<(String, String)> = values.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    let entry = NewLogEntry::new(Some(desk.user.id), &desk.user.display_name, LogAction::Settings)
        .detail(to_store.iter().map(|(k, v)| format!("{k}={}", v.replace('\n', ", "))).collect::<Vec<_>>().join("; "));
    let saved = desk
        .state
        .write(move |conn| {
            for (name, value) in &to_store {
                db::settings::save(conn, name, value)?;
            }
            db::log::write(conn, &entry)?;
            anyhow::Ok(())
        })
        .await;
    if let Err(error) = saved {
        tracing::error!(error = format!("{error:#}"), "the settings could not be stored");
        let mut response = page(&desk, values, errors, StatusCode::SERVICE_UNAVAILABLE)?;
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("120"));
        return Ok(response);
    }
    Ok(desk.redirect("/admin/settings", "Settings saved. They apply at once."))
}

fn page(
    desk: &Desk,
    values: HashMap<&str, String>,
    errors: HashMap<&str, String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let policies: Vec<PolicyOption> =
        ModerationPolicy::ALL.iter().map(|p| PolicyOption { value: p.as_str(), label: p.describe() }).collect();
    let mut context = Context::new();
    context.insert("values", &values);
    context.insert("errors", &errors);
    context.insert("policies", &policies);
    let orders: Vec<PolicyOption> =
        ThreadOrder::ALL.iter().map(|o| PolicyOption { value: o.as_str(), label: o.describe() }).collect();
    context.insert("thread_orders", &orders);
    context.insert("default_disclaimer", &desk.state.settings.site.disclaimer);
    context.insert("not_stored", &(status == StatusCode::SERVICE_UNAVAILABLE));
    let mut response = desk.render("admin/settings.html", "Settings", context)?;
    *response.status_mut() = status;
    Ok(response)
}
