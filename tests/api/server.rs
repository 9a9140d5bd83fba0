//! Behaviour that needs a real socket: the header-read timeout and graceful shutdown.

use std::time::{Duration, Instant};

use libtest_mimic::{Failed, Trial};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn check(cond: bool, msg: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(Failed::from(msg.into()))
    }
}

async fn start(
    timeout: Duration,
) -> Result<
    (
        std::net::SocketAddr,
        pacts::db::Db,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
        tempfile::TempDir,
    ),
    Failed,
> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let db = pacts::db::Db::connect(&url)
        .await
        .map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    db.seed().await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = pacts::app(db.clone());
    let opts = pacts::serve::ServeOptions {
        header_read_timeout: timeout,
        shutdown_grace: Duration::from_secs(10),
    };
    let handle = tokio::spawn(pacts::serve::serve(listener, app, opts, async move {
        let _ = rx.await;
    }));
    Ok((addr, db, tx, handle, dir))
}

async fn read_all(s: &mut TcpStream, limit: Duration) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(limit, s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).to_string()
}

fn rt() -> Result<tokio::runtime::Runtime, Failed> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(e.to_string()))
}

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "server::a_write_blocked_by_another_sqlite_writer_gets_503_and_reads_go_on",
            || {
                rt()?.block_on(async {
                let (addr, db, stop, handle, dir) = start(Duration::from_secs(5)).await?;
                let token = pacts::db::tokens::create(&db, "t").await.map_err(|e| e.to_string())?.token;
                let url = format!("sqlite://{}", dir.path().join("s.db").display());
                let blocker = pacts::db::Db::connect(&url).await.map_err(|e| e.to_string())?;
                let held = blocker.begin_write().await.map_err(|e| e.to_string())?;
                let body = r#"{"slug":"blocked","title":"T"}"#;
                let req = format!(
                    "POST /v1/sources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let mut client = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                client.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
                // Reads are not blocked by the writer (WAL).
                let mut reader = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                reader.write_all(b"GET /v1/states/KZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.map_err(|e| e.to_string())?;
                let t = Instant::now();
                let got = read_all(&mut reader, Duration::from_secs(3)).await;
                check(got.starts_with("HTTP/1.1 200") && t.elapsed() < Duration::from_secs(1), format!("read during a write lock: {got}"))?;
                let got = read_all(&mut client, Duration::from_secs(12)).await;
                check(got.starts_with("HTTP/1.1 503"), format!("blocked write: {got}"))?;
                check(got.to_lowercase().contains("retry-after:"), "Retry-After")?;
                check(!got.to_lowercase().contains("locked"), format!("no driver text: {got}"))?;
                drop(held);
                let _ = stop.send(());
                let _ = handle.await;
                Ok(())
            })
            },
        ),
        Trial::test(
            "server::a_client_that_never_finishes_its_headers_is_cut_off",
            || {
                rt()?.block_on(async {
                    let (addr, _db, stop, handle, _dir) = start(Duration::from_millis(500)).await?;
                    let mut slow = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                    slow.write_all(b"GET /v1/states/KZ HTTP/1.1\r\nHost: x\r\n")
                        .await
                        .map_err(|e| e.to_string())?;
                    let t = Instant::now();
                    let got = read_all(&mut slow, Duration::from_secs(5)).await;
                    check(
                        t.elapsed() < Duration::from_secs(3),
                        format!("connection held {:?}", t.elapsed()),
                    )?;
                    check(
                        !got.contains("200 OK"),
                        format!("no answer to half a request: {got}"),
                    )?;
                    // Meanwhile a normal client is served.
                    let mut ok = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                    ok.write_all(
                        b"GET /v1/states/KZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                    let got = read_all(&mut ok, Duration::from_secs(5)).await;
                    check(got.starts_with("HTTP/1.1 200"), got.clone())?;
                    let _ = stop.send(());
                    let _ = handle.await;
                    Ok(())
                })
            },
        ),
        Trial::test("server::shutdown_lets_a_request_in_flight_finish", || {
            rt()?.block_on(async {
                let (addr, db, stop, handle, dir) = start(Duration::from_secs(5)).await?;
                let token = pacts::db::tokens::create(&db, "t").await.map_err(|e| e.to_string())?.token;
                // Hold SQLite's write lock from outside, so the POST waits in flight.
                let url = format!("sqlite://{}", dir.path().join("s.db").display());
                let blocker = pacts::db::Db::connect(&url).await.map_err(|e| e.to_string())?;
                let held = blocker.begin_write().await.map_err(|e| e.to_string())?;
                let body = r#"{"slug":"in-flight","title":"T"}"#;
                let req = format!(
                    "POST /v1/sources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let mut client = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                client.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = stop.send(());
                tokio::time::sleep(Duration::from_millis(300)).await;
                // New connections are refused once shutdown began…
                check(TcpStream::connect(addr).await.is_err(), "listener closed")?;
                // …and the request in flight completes once the lock is released.
                held.commit().await.map_err(|e| e.to_string())?;
                let got = read_all(&mut client, Duration::from_secs(8)).await;
                check(got.starts_with("HTTP/1.1 201"), format!("in-flight answer: {got}"))?;
                tokio::time::timeout(Duration::from_secs(5), handle).await.map_err(|_| "server did not stop")?.map_err(|e| e.to_string())?;
                Ok(())
            })
        }),
    ]
}
