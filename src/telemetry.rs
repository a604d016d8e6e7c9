//! Logs: one line per request (with its request id) and per event.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{web, HttpMessage};
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

use crate::state::AppState;

/// Logs to standard error; `RUST_LOG` overrides `default_filter`. Colours
/// only on a terminal, and never when `NO_COLOR` is set: a journal or a
/// file gets plain text.
pub fn init(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(colours_wanted(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR")))
        .with_writer(std::io::stderr)
        // A log that cannot be written (a full disk, a closed pipe) loses
        // its lines, never a reader's request: the fallback would print the
        // failure to the same standard error and panic on it.
        .log_internal_errors(false)
        .try_init();
}

/// <https://no-color.org>: a non-empty `NO_COLOR` turns colours off.
fn colours_wanted(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

/// When a request arrived, for the time its line shows.
struct Arrived(Instant);

/// The span every request's log lines belong to. tracing-actix-web's
/// default carries the raw client address and the whole user agent; we
/// promise readers that their addresses are kept only as keyed hashes, so
/// this one names the client by the first characters of that hash (what
/// the desk shows beside a comment) and leaves the user agent out. The
/// `log_client_addresses` setting puts the raw address back, for debugging.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let span = tracing::info_span!(
            "request",
            request_id = Empty,
            client.address_hash = Empty,
            http.client_ip = Empty,
            http.status_code = Empty,
            otel.status_code = Empty,
            exception.message = Empty,
            exception.details = Empty,
        );
        if span.is_disabled() {
            // Request lines are filtered out (`RUST_LOG=warn`, say): nothing
            // to time, hash or name.
            return span;
        }
        request.extensions_mut().insert(Arrived(Instant::now()));
        if let Some(request_id) = request.extensions().get::<RequestId>() {
            span.record("request_id", tracing::field::display(request_id));
        }
        if let Some(state) = request.app_data::<web::Data<AppState>>() {
            let ip = state.client_ip(request.request());
            if state.settings.log_client_addresses {
                span.record("http.client_ip", tracing::field::display(&ip));
            } else {
                let hash: String = state.keys.hash_ip(&ip).chars().take(8).collect();
                span.record("client.address_hash", tracing::field::display(&hash));
            }
        }
        span
    }

    /// The request's one line: `GET /posts/x?page=2 200 3.1 ms`, after the
    /// span's request id and address-hash prefix.
    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        if span.is_disabled() {
            return;
        }
        match outcome {
            Ok(response) => {
                let request = response.request();
                let took = request.extensions().get::<Arrived>().map(|arrived| arrived.0.elapsed());
                let target = request.uri().path_and_query().map_or("", |p| p.as_str());
                let status = response.status().as_u16();
                let ms = took.map_or(0.0, |took| took.as_secs_f64() * 1000.0);
                span.in_scope(|| tracing::info!("{} {target} {status} {ms:.1} ms", request.method()));
            }
            Err(error) => {
                let status = error.as_response_error().status_code().as_u16();
                span.in_scope(|| tracing::info!("{status} {error}"));
            }
        }
        // The status and any error, recorded as the default builder does.
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::colours_wanted;

    #[test]
    fn colours_only_on_a_terminal_and_never_with_no_color() {
        assert!(colours_wanted(true, None));
        assert!(!colours_wanted(false, None), "a pipe or a file gets plain text");
        assert!(!colours_wanted(true, Some("1".into())));
        assert!(colours_wanted(true, Some("".into())), "an empty NO_COLOR is as if unset");
    }
}
