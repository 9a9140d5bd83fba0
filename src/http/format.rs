//! Response formats for lists and queries: the JSON envelope, or CSV (RFC 4180) with a
//! header row and the same rows, chosen by `?format=` or the `Accept` header.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// `?format=json|csv` wins; otherwise CSV when the client accepts `text/csv` and not JSON
/// ahead of it.
pub fn negotiate(headers: &HeaderMap, format: Option<&str>) -> ApiResult<Format> {
    match format {
        Some("json") => return Ok(Format::Json),
        Some("csv") => return Ok(Format::Csv),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format must be json or csv (got {other:?})."
            )));
        }
        None => {}
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let pos = |m: &str| accept.find(m);
    Ok(match (pos("text/csv"), pos("application/json")) {
        (Some(c), Some(j)) if c < j => Format::Csv,
        (Some(_), None) => Format::Csv,
        _ => Format::Json,
    })
}

/// Text a spreadsheet would run as a formula starts with one of these (OWASP's list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Quote a CSV field where RFC 4180 needs it.
fn quoted(raw: String) -> String {
    if raw.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", raw.replace('"', "\"\""))
    } else {
        raw
    }
}

/// Text as one CSV field. Text that a spreadsheet would take for a formula gets a leading
/// `'` (OWASP's rule for CSV injection), so it opens as text; the JSON answers keep the
/// exact value.
pub fn csv_text(s: &str) -> String {
    if s.starts_with(FORMULA_STARTS) {
        quoted(format!("'{s}"))
    } else {
        quoted(s.to_string())
    }
}

/// One CSV field: arrays joined with `;`, null empty, text as [`csv_text`].
fn csv_field(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => csv_text(s),
        Value::Array(items) => csv_text(
            &items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(";"),
        ),
        other => quoted(other.to_string()),
    }
}

/// Rows (JSON objects) as CSV with the given columns, CRLF line ends (RFC 4180).
pub fn to_csv(columns: &[String], rows: &[Value]) -> String {
    let mut out = columns
        .iter()
        .map(|c| csv_field(&Value::String(c.clone())))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in rows {
        let line = columns
            .iter()
            .map(|c| csv_field(row.get(c).unwrap_or(&Value::Null)))
            .collect::<Vec<_>>()
            .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

/// The columns of a list of objects: the keys of the first row in order, or `fallback`.
pub fn columns_of(rows: &[Value], fallback: &[&str]) -> Vec<String> {
    match rows.first().and_then(Value::as_object) {
        Some(o) => o.keys().cloned().collect(),
        None => fallback.iter().map(|s| s.to_string()).collect(),
    }
}

/// A list or query answer in the requested format. JSON: `{"data": rows, "page": page,
/// …extra}`; CSV: the rows only.
pub fn respond(
    format: Format,
    columns: Vec<String>,
    rows: Vec<Value>,
    page: Value,
    extra: Map<String, Value>,
) -> Response {
    match format {
        Format::Csv => csv_response(to_csv(&columns, &rows)),
        Format::Json => {
            let mut m = Map::new();
            m.insert("data".into(), Value::Array(rows));
            m.insert("page".into(), page);
            m.extend(extra);
            axum::Json(Value::Object(m)).into_response()
        }
    }
}

/// A CSV body with its media type.
pub fn csv_response(body: String) -> Response {
    let mut resp = body.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    resp
}

/// The `page` object of an answer that is not paginated: every row is in it.
pub fn whole_page(n: usize) -> Value {
    json!({"limit": null, "next_cursor": null, "total": n})
}

/// A CSV answer's download headers: `Content-Disposition` with a file name from the
/// path (`/v1/organisations/csto/members.csv` → `organisations-csto-members.csv`), and
/// `X-Total-Count`, the number of rows, where the answer did not set it.
pub async fn download_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    let is_csv = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/csv"));
    if !is_csv || !resp.status().is_success() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let name: String = path
        .trim_start_matches("/v1/")
        .trim_end_matches(".csv")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\"")) {
        parts.headers.insert(header::CONTENT_DISPOSITION, v);
    }
    let exact = axum::body::HttpBody::size_hint(&body).exact().is_some();
    if parts.headers.contains_key("x-total-count") || !exact {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let rows = super::paging::csv_records(&String::from_utf8_lossy(&bytes))
        .len()
        .saturating_sub(1);
    parts
        .headers
        .insert("x-total-count", HeaderValue::from(rows));
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
