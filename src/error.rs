//! Errors that end a request: the status they answer with, the message a
//! reader may see, and every cause for the logs. `routes::error_pages` turns
//! them into the site's HTML error pages.

use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(thiserror::Error)]
pub enum AppError {
    #[error("That page does not exist.")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    /// A write the database did not keep (full disk, read-only files, the
    /// database down): nothing was saved, and the person is told so.
    #[error("Nothing was saved: the site cannot store anything right now. Please try again in a few minutes.")]
    NotStored(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

/// The message an error page may show; anything else stays in the logs.
#[derive(Clone, Debug)]
struct PublicMessage(String);

/// What an `AppError` answered with `response` lets the reader see, if anything.
pub fn public_message<B>(response: &HttpResponse<B>) -> Option<String> {
    response.extensions().get::<PublicMessage>().map(|m| m.0.clone())
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotStored(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Self::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                None
            }
            Self::NotStored(error) => {
                tracing::error!(error = format!("{error:#}"), "a write was not stored");
                Some(self.to_string())
            }
            other => Some(other.to_string()),
        };
        let mut response = HttpResponse::build(self.status_code())
            .content_type(ContentType::plaintext())
            .body(message.clone().unwrap_or_else(|| "Internal Server Error".into()));
        if let Some(message) = message {
            response.extensions_mut().insert(PublicMessage(message));
        }
        response
    }
}

/// Writes an error with every cause, for the logs.
pub fn error_chain_fmt(error: &impl std::error::Error, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    writeln!(f, "{error}")?;
    let mut current = error.source();
    while let Some(cause) = current {
        writeln!(f, "Caused by:\n\t{cause}")?;
        current = cause.source();
    }
    Ok(())
}
