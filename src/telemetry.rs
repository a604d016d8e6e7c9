//! Logs: one line per request (with its request id) and per event.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{web, HttpMessage};
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

use crate::state::AppState;

/// Logs to standard error; `RUST_LOG` overrides `default_filter`.
pub fn init(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The span every request's log lines belong to. tracing-actix-web's
/// default carries the raw client address and the whole user agent; we
/// promise readers that their addresses are kept only as keyed hashes, so
/// this one names the client by the first characters of that hash (what
/// the desk shows beside a comment) and leaves the user agent out. The
/// `log_client_addresses` setting puts the raw address back, for debugging.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        let span = tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.target = %request.uri().path_and_query().map_or("", |p| p.as_str()),
            client.address_hash = Empty,
            http.client_ip = Empty,
            request_id = %request_id,
            http.status_code = Empty,
            otel.status_code = Empty,
            exception.message = Empty,
            exception.details = Empty,
        );
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

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        // The status and any error, recorded as the default builder does.
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
