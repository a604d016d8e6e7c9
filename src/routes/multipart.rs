//! Reading a `multipart/form-data` body field by field, each within its
//! limit: the desk's picture upload, and a mail client's one-click
//! unsubscribe (RFC 8058).

use std::future::poll_fn;
use std::pin::Pin;

use actix_multipart::{Field, Multipart, MultipartError};
use futures_core::Stream;

/// One field of the form, read whole.
pub(crate) struct Part {
    pub name: String,
    /// The file's own name, for a file field.
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// Why the form could not be read to its end.
pub(crate) enum Unreadable {
    /// Not a multipart form, or one cut short or malformed.
    Broken(MultipartError),
    /// More fields than the form may carry.
    TooManyFields,
    /// A field longer than its limit.
    TooLong { name: String, file_name: Option<String> },
}

/// The fields of a multipart form, read one at a time: at most
/// `max_fields` of them, each at most `limit(name)` bytes.
pub(crate) struct Parts<L> {
    payload: Multipart,
    read: usize,
    max_fields: usize,
    limit: L,
}

impl<L: Fn(&str) -> usize> Parts<L> {
    pub(crate) fn new(payload: Multipart, max_fields: usize, limit: L) -> Self {
        Self { payload, read: 0, max_fields, limit }
    }

    /// The next field, or `None` after the last one.
    pub(crate) async fn next_part(&mut self) -> Option<Result<Part, Unreadable>> {
        let field = poll_fn(|cx| Pin::new(&mut self.payload).poll_next(cx)).await?;
        Some(self.read_field(field).await)
    }

    async fn read_field(&mut self, field: Result<Field, MultipartError>) -> Result<Part, Unreadable> {
        let mut field = field.map_err(Unreadable::Broken)?;
        self.read += 1;
        if self.read > self.max_fields {
            return Err(Unreadable::TooManyFields);
        }
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        let limit = (self.limit)(&name);
        let mut bytes = Vec::new();
        while let Some(chunk) = poll_fn(|cx| Pin::new(&mut field).poll_next(cx)).await {
            let chunk = chunk.map_err(Unreadable::Broken)?;
            if bytes.len() + chunk.len() > limit {
                return Err(Unreadable::TooLong { name, file_name });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Part { name, file_name, bytes })
    }
}
