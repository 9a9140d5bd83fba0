//! The framework's ceiling for the load benchmark: a bare axum handler that returns a
//! fixed JSON body of a given size, no database, no middleware.
//!
//!   CEILING_BIND=127.0.0.1:9100 CEILING_BYTES=2048 cargo run --release --example ceiling

use axum::Router;
use axum::http::header;
use axum::routing::get;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bind = std::env::var("CEILING_BIND").unwrap_or_else(|_| "127.0.0.1:9100".into());
    let size: usize = std::env::var("CEILING_BYTES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    // A JSON document of about `size` bytes.
    let filler = "x".repeat(size.saturating_sub(16));
    let body: &'static str = Box::leak(format!("{{\"data\":\"{filler}\"}}").into_boxed_str());
    let app = Router::new().route(
        "/",
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
