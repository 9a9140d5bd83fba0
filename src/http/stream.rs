//! `limit=all` on a list: the whole collection (with its filters and sort) in one
//! answer, written while it is read. The rows are read in keyset pages of
//! [`MAX_LIMIT`] (the same queries and order as paging by hand), so the server holds one
//! page at a time however large the collection is. The total is counted first and sent
//! in `X-Total-Count`; a row written during the download is in it or not, as with pages,
//! but no row is repeated or skipped. If the database fails part-way, the connection is
//! cut rather than the file ending early as if it were complete.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use http_body_util::channel::Channel;
use hyper::body::Frame;
use serde_json::Value;

use super::AppState;
use super::error::ApiResult;
use super::format::{Format, csv_response, to_csv};
use super::list::ListRequest;
use super::params::MAX_LIMIT;
use crate::db::read;
use crate::model::Resource;

/// Answer `req` whole, streamed.
pub async fn all(
    state: &AppState,
    res: &'static Resource,
    mut req: ListRequest,
) -> ApiResult<Response> {
    req.query.limit = MAX_LIMIT;
    // The first page is read before answering, so that a failing database is a clean 503.
    let first = read::list(&state.db, res, &req.query).await?;
    let total = first.total;
    let (mut tx, body) = Channel::<Bytes, std::io::Error>::new(4);
    let state = state.clone();
    let db = state.db.clone();
    tokio::spawn(async move {
        let csv = req.format == Format::Csv;
        let columns = req.fields.clone();
        let mut page = first;
        let mut n = 0usize;
        if !csv
            && tx
                .send_data(Bytes::from_static(b"{\"data\":["))
                .await
                .is_err()
        {
            return;
        }
        loop {
            let mut items = page.items;
            if req.embed_sources
                && let Err(e) = super::items::embed_sources(&state, &mut items).await
            {
                tracing::warn!(error = ?e, collection = res.name, rows = n, "a streamed export failed part-way; the connection is cut");
                tx.abort(std::io::Error::other("export failed"));
                return;
            }
            let items = shape(items, columns.as_deref());
            let chunk = if csv {
                let cols = columns
                    .clone()
                    .unwrap_or_else(|| super::format::columns_of(&items, &[res.key]));
                let text = to_csv(&cols, &items);
                // The header line once, even when the first page is empty.
                match n {
                    0 => text,
                    _ => text
                        .split_once("\r\n")
                        .map(|x| x.1.to_string())
                        .unwrap_or_default(),
                }
            } else {
                let mut s = String::new();
                for (i, item) in items.iter().enumerate() {
                    if n + i > 0 {
                        s.push(',');
                    }
                    s.push_str(&item.to_string());
                }
                s
            };
            n += items.len();
            if tx.send_data(Bytes::from(chunk)).await.is_err() {
                return; // the client went away
            }
            let Some(after) = page.next else { break };
            req.query.after = Some(after);
            req.query.skip_total = true;
            page = match read::list(&db, res, &req.query).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, collection = res.name, rows = n, "a streamed export failed part-way; the connection is cut");
                    tx.abort(std::io::Error::other("export failed"));
                    return;
                }
            };
        }
        if !csv {
            let tail =
                format!("],\"page\":{{\"limit\":null,\"next_cursor\":null,\"total\":{n}}}}}");
            let _ = tx.send_data(Bytes::from(tail)).await;
        }
    });
    let mut resp = match req.format {
        Format::Csv => csv_response(String::new()),
        Format::Json => {
            let mut r = Response::new(Body::empty());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
    };
    *resp.body_mut() = Body::new(Fused(Some(body)));
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        resp.headers_mut().insert("x-total-count", v);
    }
    Ok(resp)
}

/// The channel's body, ended for good once it ends: `Channel` must not be polled after
/// it said so (its error receiver panics), and a compressing layer may ask again.
struct Fused(Option<Channel<Bytes, std::io::Error>>);

impl hyper::body::Body for Fused {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let Some(inner) = self.0.as_mut() else {
            return Poll::Ready(None);
        };
        let next = Pin::new(inner).poll_frame(cx);
        if matches!(next, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.0 = None;
        }
        next
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }
}

fn shape(items: Vec<Value>, fields: Option<&[String]>) -> Vec<Value> {
    match fields {
        Some(f) => items
            .into_iter()
            .map(|i| super::items::only_fields(i, f))
            .collect(),
        None => items,
    }
}
