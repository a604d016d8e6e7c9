//! A cached page's compressed forms, computed once when the page is kept.
//!
//! A page without a form token is compressed whole, with gzip and (a moment
//! later, off the request path) brotli. A page with a token cannot be: the
//! token differs for every reader. Its gzip is therefore built from pieces
//! compressed once — each part of the page between two tokens as its own
//! deflate run, ended by a sync flush so that the next run can follow it
//! byte for byte — and for each request the token goes between them as a
//! stored (uncompressed) deflate block, and the checksum of the whole page
//! is combined from the parts' checksums. Every reader gets a valid gzip
//! stream without the page being compressed again.

use std::io::Write;

use actix_web::http::header;
use actix_web::{web, HttpRequest};

/// How a response's body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The `Content-Encoding` value, and the suffix that keeps each
    /// encoding's `ETag` distinct.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// The best coding the reader accepts among those at hand: brotli, then
/// gzip, else the page as it is.
pub fn negotiate(request: &HttpRequest, brotli_at_hand: bool) -> Coding {
    let mut gzip = false;
    let mut brotli = false;
    for value in request.headers().get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()) {
        for coding in value.split(',') {
            let mut fields = coding.split(';');
            let name = fields.next().unwrap_or("").trim();
            let refused = fields.any(|param| {
                param.trim().strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            if refused {
                continue;
            }
            gzip |= name.eq_ignore_ascii_case("gzip");
            brotli |= name.eq_ignore_ascii_case("br");
        }
    }
    if brotli && brotli_at_hand {
        Coding::Brotli
    } else if gzip {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// The gzip form of a page cut around its form tokens (see the module's
/// note). With one part (no token), it is the page's gzip as it stands.
pub struct SplicedGzip {
    /// The gzip header with the first part's deflate run, then each later
    /// part's run.
    runs: Vec<web::Bytes>,
    /// Each part's CRC-32 and length, for the checksum of the whole.
    sums: Vec<(u32, u64)>,
}

/// gzip's fixed header: magic, deflate, no flags, no time, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/// A deflate stream's last block: final, stored, empty.
const LAST_BLOCK: [u8; 5] = [0x01, 0x00, 0x00, 0xff, 0xff];

impl SplicedGzip {
    pub fn new(parts: &[web::Bytes]) -> std::io::Result<Self> {
        let mut runs = Vec::with_capacity(parts.len());
        let mut sums = Vec::with_capacity(parts.len());
        for (n, part) in parts.iter().enumerate() {
            let start = if n == 0 { GZIP_HEADER.to_vec() } else { Vec::new() };
            let mut encoder = flate2::write::DeflateEncoder::new(start, flate2::Compression::best());
            encoder.write_all(part)?;
            // A sync flush ends the run on a byte boundary without a final block.
            encoder.flush()?;
            runs.push(web::Bytes::from(std::mem::take(encoder.get_mut())));
            let mut crc = crc32fast::Hasher::new();
            crc.update(part);
            sums.push((crc.finalize(), part.len() as u64));
        }
        Ok(Self { runs, sums })
    }

    /// The gzip stream of the page with `token` between each two parts, as
    /// chunks to send one after the other.
    /// The bytes it holds.
    pub fn bytes_held(&self) -> usize {
        self.runs.iter().map(web::Bytes::len).sum()
    }

    pub fn with_token(&self, token: &[u8]) -> Vec<web::Bytes> {
        let mut chunks = Vec::with_capacity(self.runs.len() * 2 + 1);
        let mut crc = crc32fast::Hasher::new();
        let mut size: u64 = 0;
        let stored = stored_block(token);
        for (n, (run, &(part_crc, part_len))) in self.runs.iter().zip(&self.sums).enumerate() {
            if n > 0 {
                chunks.push(stored.clone());
                crc.update(token);
                size += token.len() as u64;
            }
            chunks.push(run.clone());
            crc.combine(&crc32fast::Hasher::new_with_initial_len(part_crc, part_len));
            size += part_len;
        }
        let mut tail = Vec::with_capacity(LAST_BLOCK.len() + 8);
        tail.extend_from_slice(&LAST_BLOCK);
        tail.extend_from_slice(&crc.finalize().to_le_bytes());
        // gzip keeps the length modulo 2^32.
        tail.extend_from_slice(&(size as u32).to_le_bytes());
        chunks.push(web::Bytes::from(tail));
        chunks
    }
}

/// `bytes` as one stored deflate block (a token is far below its 64 KiB limit).
fn stored_block(bytes: &[u8]) -> web::Bytes {
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    let mut block = Vec::with_capacity(5 + usize::from(len));
    block.push(0x00);
    block.extend_from_slice(&len.to_le_bytes());
    block.extend_from_slice(&(!len).to_le_bytes());
    block.extend_from_slice(&bytes[..usize::from(len)]);
    web::Bytes::from(block)
}

/// The page compressed with brotli at its best setting: slow, so it runs
/// once per page, off the request path.
pub fn brotli(bytes: &[u8]) -> std::io::Result<web::Bytes> {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes)?;
        writer.flush()?;
    }
    Ok(web::Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(chunks: &[web::Bytes]) -> String {
        let stream: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        let mut page = String::new();
        flate2::read::GzDecoder::new(&stream[..]).read_to_string(&mut page).expect("a valid gzip stream");
        page
    }

    #[test]
    fn each_reader_gets_a_valid_gzip_with_their_token() {
        let page = "<p>before</p>".repeat(500);
        let parts: Vec<web::Bytes> =
            [page.as_str(), "<p>between</p>", ""].iter().map(|p| web::Bytes::copy_from_slice(p.as_bytes())).collect();
        let gzip = SplicedGzip::new(&parts).expect("compresses");
        for token in ["1764000000.0011223344556677.aabb", "another-token"] {
            assert_eq!(gunzip(&gzip.with_token(token.as_bytes())), format!("{page}{token}<p>between</p>{token}"));
        }
        let compressed: usize = gzip.with_token(b"t").iter().map(web::Bytes::len).sum();
        assert!(compressed < page.len() / 10, "the parts are compressed: {compressed} bytes");
    }

    #[test]
    fn a_page_without_a_token_is_one_gzip() {
        let parts = [web::Bytes::from_static(b"<h1>Hello</h1>")];
        assert_eq!(gunzip(&SplicedGzip::new(&parts).expect("compresses").with_token(b"")), "<h1>Hello</h1>");
    }

    #[test]
    fn brotli_round_trips() {
        let page = "<p>magnesium</p>".repeat(100);
        let compressed = brotli(page.as_bytes()).expect("compresses");
        let mut back = String::new();
        brotli::Decompressor::new(&compressed[..], 4096).read_to_string(&mut back).expect("decompresses");
        assert_eq!(back, page);
    }

    #[test]
    fn the_reader_s_preference_and_refusals_are_kept() {
        use actix_web::test::TestRequest;
        let with =
            |value: &str| TestRequest::default().insert_header((header::ACCEPT_ENCODING, value)).to_http_request();
        assert_eq!(negotiate(&with("gzip, deflate, br"), true), Coding::Brotli);
        assert_eq!(negotiate(&with("gzip, deflate, br"), false), Coding::Gzip);
        assert_eq!(negotiate(&with("br;q=0, gzip"), true), Coding::Gzip);
        assert_eq!(negotiate(&with("gzip;q=0"), true), Coding::Identity);
        assert_eq!(negotiate(&TestRequest::default().to_http_request(), true), Coding::Identity);
    }
}
