//! The HTTP server loop: hyper's HTTP/1 connection builder with a header-read timeout
//! (axum::serve has none, so a client that sends half a request would hold a connection
//! for ever), the client's address for per-address limits, requests refused on their
//! head and hyper's own error answers made problem+json (`http::edge`), and graceful
//! shutdown that lets requests in flight finish.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A client must send a request's headers within this time.
    pub header_read_timeout: Duration,
    /// How long requests in flight may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Serve `app` on `listener` until `shutdown` completes, then finish what is in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, addr) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let svc = tower::service_fn(move |mut req: axum::http::Request<Incoming>| {
                    let app = app.clone();
                    async move {
                        if let Some(refused) = crate::http::edge::refuse(&req) {
                            return Ok(refused);
                        }
                        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(addr));
                        tower::ServiceExt::oneshot(app, req).await
                    }
                });
                let io = TokioIo::new(crate::http::edge::ProblemIo::new(stream));
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(options.header_read_timeout)
                    .serve_connection(io, TowerToHyperService::new(svc));
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = watched.await {
                        tracing::debug!(error = %e, client = %addr, "connection ended with an error");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections closed"),
        _ = tokio::time::sleep(options.shutdown_grace) => tracing::warn!("shutdown grace period over; closing remaining connections"),
    }
}
