//! The edge of the HTTP server, before the router: requests refused on their head alone
//! (no `Host`, two of them, a declared body over the limit) and the answers hyper makes
//! by itself (400, 414, 431 with empty bodies) turned into problem+json.
//!
//! A declared oversized body is refused before anything reads it, so a client sending
//! `Expect: 100-continue` gets the 413 at once and never a `100 Continue`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::http::{HeaderValue, Request, StatusCode, Version, header};
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::MAX_BODY_BYTES;
use super::error::problem_response;
use super::problems::{self, ProblemType};

/// The answer to a request whose head alone is unacceptable, if it is.
pub fn refuse<B>(req: &Request<B>) -> Option<Response> {
    let hosts = req.headers().get_all(header::HOST).iter().count();
    // RFC 9112 §3.2: an HTTP/1.1 request without Host, or any with more than one, is 400.
    if hosts > 1 || (hosts == 0 && req.version() == Version::HTTP_11) {
        let detail = if hosts > 1 {
            "The request has more than one Host header; send exactly one."
        } else {
            "An HTTP/1.1 request needs a Host header."
        };
        return Some(closing(
            &problems::BAD_REQUEST,
            StatusCode::BAD_REQUEST,
            detail,
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Some(closing(
            &problems::PAYLOAD_TOO_LARGE,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    None
}

fn closing(kind: &ProblemType, status: StatusCode, detail: &str) -> Response {
    let mut resp = problem_response(kind, status, detail.to_string(), None);
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// A connection's stream, watching what hyper writes: a response hyper made by itself
/// for a request it could not parse (status 400, 414 or 431, `content-length: 0`, head
/// only; every answer pacts makes with those statuses has a problem body) is replaced by
/// the same status with a problem+json body.
pub struct ProblemIo<S> {
    inner: S,
    /// Bytes of a replacement still to be written, and how many are written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> ProblemIo<S> {
    pub fn new(inner: S) -> Self {
        ProblemIo {
            inner,
            pending: None,
        }
    }
}

/// The replacement for one of hyper's bare error answers, if `buf` is one.
fn replacement(buf: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(buf).ok()?;
    if !(head.starts_with("HTTP/1.1 ") || head.starts_with("HTTP/1.0 "))
        || !head.ends_with("\r\n\r\n")
    {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let (kind, detail) = match head.get(9..12)? {
        "400" => (
            &problems::BAD_REQUEST,
            "The request is not valid HTTP/1.1: its request line or a header could not be parsed.",
        ),
        "414" => (
            &problems::URI_TOO_LONG,
            "The request target (path and query) is too long.",
        ),
        "431" => (
            &problems::HEADERS_TOO_LARGE,
            "The request has too many headers, or they are too large.",
        ),
        _ => return None,
    };
    let body = serde_json::json!({
        "type": format!("/problems/{}", kind.slug),
        "title": kind.title,
        "status": kind.status.as_u16(),
        "detail": detail,
    })
    .to_string();
    let reason = kind.status.canonical_reason().unwrap_or("Error");
    Some(
        format!(
            "HTTP/1.1 {} {reason}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n{body}",
            kind.status.as_u16(),
            body.len()
        )
        .into_bytes(),
    )
}

impl<S: AsyncWrite + Unpin> ProblemIo<S> {
    /// Write out a pending replacement; ready when none is left.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            if *done == bytes.len() {
                self.pending = None;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *done += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other.map(|r| r.map(|_| 0)),
        }
        if let Some(bytes) = replacement(buf) {
            self.pending = Some((bytes, 0));
            // The replacement stands for all of hyper's bytes; it is written below or on
            // the next flush.
            let _ = self.drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let only = bufs.iter().filter(|b| !b.is_empty()).count() == 1;
        if only && let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            return self.poll_write(cx, first);
        }
        match self.drain(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other.map(|r| r.map(|_| 0)),
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    fn only_hypers_bare_error_heads_are_replaced() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Thu, 03 Dec 2026 13:14:21 GMT\r\n\r\n";
        let out = String::from_utf8(replacement(bare).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 "));
        assert!(out.contains("application/problem+json"));
        assert!(out.ends_with("}"));
        // A 400 of pacts' own has a body (and is never only a head).
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 90\r\n\r\n";
        assert!(replacement(ours).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement(ok).is_none());
    }
}
