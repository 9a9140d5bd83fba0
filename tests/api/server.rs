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
        Trial::test("server::the_http_edge_answers_in_problem_json", || {
            rt()?.block_on(async {
                let (addr, db, stop, handle, _dir) = start(Duration::from_secs(5)).await?;
                let token = pacts::db::tokens::create(&db, "t").await.map_err(|e| e.to_string())?.token;
                let raw = |bytes: Vec<u8>, wait: u64| async move {
                    let mut c = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                    c.write_all(&bytes).await.map_err(|e| e.to_string())?;
                    let t = Instant::now();
                    let got = read_all(&mut c, Duration::from_secs(wait)).await;
                    Ok::<_, String>((got, t.elapsed()))
                };
                let problem = |got: &str, status: &str, kind: &str| {
                    check(
                        got.starts_with(&format!("HTTP/1.1 {status} "))
                            && got.contains("content-type: application/problem+json")
                            && got.contains(&format!("\"type\":\"/problems/{kind}\"")),
                        format!("want {status} {kind}: {got}"),
                    )
                };
                // Answers hyper makes by itself, before any handler.
                let (got, _) = raw(b"GARBAGE\r\n\r\n".to_vec(), 3).await?;
                problem(&got, "400", "bad-request")?;
                let mut long = b"GET /v1/states?q=".to_vec();
                long.extend(std::iter::repeat_n(b'a', 70_000));
                long.extend(b" HTTP/1.1\r\nHost: x\r\n\r\n");
                let (got, _) = raw(long, 3).await?;
                problem(&got, "414", "uri-too-long")?;
                let mut many = b"GET /v1/states/KZ HTTP/1.1\r\nHost: x\r\n".to_vec();
                for i in 0..120 {
                    many.extend(format!("X-H{i}: y\r\n").bytes());
                }
                many.extend(b"\r\n");
                let (got, _) = raw(many, 3).await?;
                problem(&got, "431", "headers-too-large")?;
                // Host: none, or two, on HTTP/1.1 is 400; HTTP/1.0 needs none.
                let (got, _) = raw(b"GET /v1/states/KZ HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(), 3).await?;
                problem(&got, "400", "bad-request")?;
                let (got, _) = raw(b"GET /v1/states/KZ HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n".to_vec(), 3).await?;
                problem(&got, "400", "bad-request")?;
                let (got, _) = raw(b"GET /v1/states/KZ HTTP/1.0\r\n\r\n".to_vec(), 3).await?;
                check(got.starts_with("HTTP/1.0 200"), format!("HTTP/1.0 without Host: {got}"))?;
                // A declared oversized body: 413 at once, and never 100 Continue.
                let (got, took) = raw(format!("POST /v1/sources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n").into_bytes(), 3).await?;
                problem(&got, "413", "payload-too-large")?;
                check(!got.contains("100 Continue") && took < Duration::from_secs(1), format!("{took:?}: {got}"))?;
                // A body shorter than declared: the client's 408, not a 503.
                let (got, took) = raw(format!("POST /v1/sources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"slug\":").into_bytes(), 12).await?;
                problem(&got, "408", "request-timeout")?;
                check(took < Duration::from_secs(8), format!("408 after {took:?}"))?;
                let _ = stop.send(());
                let _ = handle.await;
                Ok(())
            })
        }),
        Trial::test(
            "server::a_write_blocked_by_another_sqlite_writer_gets_503_and_reads_go_on",
            || {
                rt()?.block_on(async {
                let (addr, db, stop, handle, dir) = start(Duration::from_secs(5)).await?;
                let token = pacts::db::tokens::create(&db, "t").await.map_err(|e| e.to_string())?.token;
                let url = format!("sqlite://{}", dir.path().join("s.db").display());
                let blocker = pacts::db::Db::connect(&url).await.map_err(|e| e.to_string())?;
                let held = blocker.begin_write(pacts::db::Scope::Keys).await.map_err(|e| e.to_string())?;
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
                let held = blocker.begin_write(pacts::db::Scope::Keys).await.map_err(|e| e.to_string())?;
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

/// One HTTP/1.1 exchange over a fresh connection: (status, raw head, body).
async fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String, String), Failed> {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let raw = read_all(&mut s, Duration::from_secs(10)).await;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, head.to_lowercase(), body.to_string()))
}

fn header_of(head: &str, name: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
        .unwrap_or_default()
}

/// Two pacts processes over one PostgreSQL database, started at the same moment: the
/// migrations run once, both become ready, and a write through one is served (with a new
/// ETag) through the other within a second.
pub fn scale_out_trial(pg: Option<String>) -> Trial {
    let t = Trial::test("server::two_processes_share_one_postgres", move || {
        let url = pg.clone().ok_or("TEST_DATABASE_URL is not set")?;
        rt()?.block_on(async move {
            let admin = pacts::db::Db::connect(&url)
                .await
                .map_err(|e| e.to_string())?;
            let name = format!("pacts_two_{}", crate::harness::random_hex());
            admin
                .admin_exec(&format!("create database {name}"))
                .await
                .map_err(|e| e.to_string())?;
            let mut u = url::Url::parse(&url).map_err(|e| e.to_string())?;
            u.set_path(&name);
            let db_url = u.to_string();
            let ports = [free_port(), free_port()];
            let mut procs: Vec<std::process::Child> = ports
                .iter()
                .map(|p| {
                    std::process::Command::new(env!("CARGO_BIN_EXE_pacts"))
                        .env("DATABASE_URL", &db_url)
                        .env("PACTS_BIND", format!("127.0.0.1:{p}"))
                        .env("PACTS_LOG", "warn")
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null())
                        .spawn()
                })
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            let outcome = async {
                for p in ports {
                    let t0 = Instant::now();
                    loop {
                        if let Ok((200, _, _)) = http(p, "GET", "/readyz", &[], "").await {
                            break;
                        }
                        check(
                            t0.elapsed() < Duration::from_secs(30),
                            format!("process on {p} never ready"),
                        )?;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                let db = pacts::db::Db::connect(&db_url)
                    .await
                    .map_err(|e| e.to_string())?;
                let applied = db
                    .fetch_one_int("select count(*) from _sqlx_migrations", &[])
                    .await
                    .map_err(|e| e.to_string())?;
                let files =
                    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
                        .map_err(|e| e.to_string())?
                        .count() as i64;
                check(
                    applied == files,
                    format!("{applied} migrations recorded, {files} files"),
                )?;
                check(
                    db.fetch_one_int("select count(*) from states", &[])
                        .await
                        .map_err(|e| e.to_string())?
                        == 88,
                    "seeded once",
                )?;
                let token = pacts::db::tokens::create(&db, "two")
                    .await
                    .map_err(|e| e.to_string())?
                    .token;
                let (_, head_b, body_b) = http(ports[1], "GET", "/v1/states/KZ", &[], "").await?;
                let (_, list_head_b, _) = http(
                    ports[1],
                    "GET",
                    "/v1/organisations/csto/members?as_of=2013-01-01",
                    &[],
                    "",
                )
                .await?;
                let auth = format!("Bearer {token}");
                let (st, _, _) = http(
                    ports[0],
                    "PATCH",
                    "/v1/states/KZ",
                    &[
                        ("Authorization", &auth),
                        ("Content-Type", "application/merge-patch+json"),
                    ],
                    r#"{"note":"written through A"}"#,
                )
                .await?;
                check(st == 200, format!("PATCH through A: {st}"))?;
                let t0 = Instant::now();
                loop {
                    let (_, head, body) = http(ports[1], "GET", "/v1/states/KZ", &[], "").await?;
                    if body.contains("written through A") {
                        check(
                            header_of(&head, "etag") != header_of(&head_b, "etag"),
                            "item ETag changed on B",
                        )?;
                        check(body != body_b, "B serves the new item")?;
                        break;
                    }
                    check(
                        t0.elapsed() < Duration::from_secs(1),
                        "B did not see A's write within 1 s",
                    )?;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                // The list's ETag names B's data version, which B re-reads within the
                // version bound (the item above is read from the database directly).
                loop {
                    let (_, list_head, _) = http(
                        ports[1],
                        "GET",
                        "/v1/organisations/csto/members?as_of=2013-01-01",
                        &[],
                        "",
                    )
                    .await?;
                    if header_of(&list_head, "etag") != header_of(&list_head_b, "etag") {
                        break;
                    }
                    check(
                        t0.elapsed() < Duration::from_secs(1),
                        "list ETag did not change on B within 1 s",
                    )?;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok::<(), Failed>(())
            }
            .await;
            for p in &mut procs {
                let _ = p.kill();
                let _ = p.wait();
            }
            admin
                .admin_exec(&format!("drop database if exists {name} with (force)"))
                .await
                .map_err(|e| e.to_string())?;
            outcome
        })
    });
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        t
    } else {
        t.with_ignored_flag(true)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}
