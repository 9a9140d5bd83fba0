//! Compressed answers. Answers over 1 KiB are sent gzip- or brotli-encoded when the client
//! accepts it (`Accept-Encoding`; brotli preferred), with `Vary: Accept-Encoding`. Cached
//! answers carry both encodings, made once when stored, so the hot path never compresses;
//! everything else goes through tower-http's compression layer. ETags name the content,
//! not its encoding (as tower-http does): `If-Match` keeps working on any encoding.

use std::io::Write;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Answers smaller than this are sent as they are.
pub const MIN_BYTES: usize = 1024;

/// An encoding a client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    pub fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        })
    }
}

/// The encoding to answer in: brotli if accepted, else gzip, else none (`q=0` refuses).
pub fn preferred(headers: &HeaderMap) -> Option<Encoding> {
    let mut br = false;
    let mut gzip = false;
    for v in headers.get_all(header::ACCEPT_ENCODING) {
        for item in v.to_str().unwrap_or_default().split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match name.as_str() {
                "br" => br = true,
                "gzip" | "x-gzip" => gzip = true,
                "*" => br = true,
                _ => {}
            }
        }
    }
    if br {
        Some(Encoding::Brotli)
    } else if gzip {
        Some(Encoding::Gzip)
    } else {
        None
    }
}

/// Both encodings of a body worth compressing: `(gzip, brotli)`.
pub fn precompress(body: &[u8], content_type: Option<&HeaderValue>) -> Option<(Bytes, Bytes)> {
    let compressible = content_type
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json") || t.starts_with("text/"));
    if body.len() < MIN_BYTES || !compressible {
        return None;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body).ok()?;
    let gzip = gz.finish().ok()?;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
        w.write_all(body).ok()?;
    }
    Some((Bytes::from(gzip), Bytes::from(br)))
}

/// The layer for answers that are not served from the cache.
pub fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .quality(CompressionLevel::Default)
        .compress_when(
            SizeAbove::new(MIN_BYTES as u64)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::const_new("text/event-stream")),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, v.parse().unwrap());
        h
    }

    #[test]
    fn brotli_is_preferred_and_q0_refuses() {
        assert_eq!(
            preferred(&accept("gzip, deflate, br")),
            Some(Encoding::Brotli)
        );
        assert_eq!(preferred(&accept("gzip")), Some(Encoding::Gzip));
        assert_eq!(
            preferred(&accept("br;q=0, gzip;q=0.5")),
            Some(Encoding::Gzip)
        );
        assert_eq!(preferred(&accept("identity")), None);
        assert_eq!(preferred(&HeaderMap::new()), None);
    }

    #[test]
    fn small_or_binary_bodies_are_left_alone() {
        let json = HeaderValue::from_static("application/json");
        assert!(precompress(b"{}", Some(&json)).is_none());
        let big = vec![b'a'; 4096];
        assert!(precompress(&big, Some(&HeaderValue::from_static("image/png"))).is_none());
        let (gz, br) = precompress(&big, Some(&json)).unwrap();
        assert!(gz.len() < 200 && br.len() < 200);
    }
}
