//! A request body must arrive within a deadline. actix-web bounds the time
//! a client may take to send a request's head (`client_request_timeout`),
//! but not its body: a client that announces a body and never sends it
//! would hold its connection, and a file descriptor, for ever. With the
//! deadline, reading the body fails once it passes, the handler answers
//! with an error, and the connection is closed (its body was not read).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpMessage;
use futures_core::Stream;
use tokio::time::Sleep;

use crate::state::AppState;

/// Puts a deadline (`body_timeout_seconds` from now) on reading `request`'s body.
pub async fn limit_body_time(
    mut request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let seconds = request.app_data::<web::Data<AppState>>().map_or(30, |state| state.settings.body_timeout_seconds);
    let limit = Duration::from_secs(seconds.max(1));
    let body = request.take_payload();
    let timed = TimedBody { body, deadline: Box::pin(tokio::time::sleep(limit)), expired: false };
    let timed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(timed);
    request.set_payload(Payload::from(timed));
    next.call(request).await
}

struct TimedBody {
    body: Payload,
    deadline: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for TimedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(next) = Pin::new(&mut self.body).poll_next(cx) {
            return Poll::Ready(next);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired = true;
                let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body did not arrive in time");
                Poll::Ready(Some(Err(PayloadError::Io(late))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
