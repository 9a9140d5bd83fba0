//! Health, readiness and the OpenAPI document.

use crate::cases;
use crate::harness::{Case, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        health_and_readiness_answer,
        openapi_document_covers_every_route,
        problem_types_resolve,
        cors_allows_reads_anywhere_and_writes_from_listed_origins,
        openapi_documents_every_question_and_its_parameters,
        dashboard_and_docs_are_self_contained,
        large_answers_are_compressed_when_accepted_cached_ones_too,
    ]
}

async fn health_and_readiness_answer(app: TestApp) {
    let h = app.get("/healthz").await;
    assert_eq!(h.status, 200);
    assert_eq!(h.body["status"], "ok");
    let r = app.get("/readyz").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["migrations"], "applied");
    assert_eq!(r.body["database"], app.db.backend());
    let idx = app.get("/v1").await;
    assert_eq!(idx.body["collections"].as_array().unwrap().len(), 7);
}

async fn openapi_document_covers_every_route(app: TestApp) {
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc = &r.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for res in pacts::model::RESOURCES {
        let list = &paths[&format!("/v1/{}", res.name)];
        assert!(
            list["get"].is_object() && list["post"].is_object(),
            "{}",
            res.name
        );
        let params: Vec<&str> = list["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for f in res
            .fields
            .iter()
            .filter(|f| f.kind != pacts::model::Kind::Strings)
        {
            assert!(params.contains(&f.name), "{} filter {}", res.name, f.name);
        }
        assert!(params.contains(&"limit") && params.contains(&"cursor"));
        let item = &paths[&format!("/v1/{}/{{key}}", res.name)];
        for m in ["get", "put", "patch", "delete"] {
            assert!(item[m].is_object(), "{} {m}", res.name);
            assert!(
                item[m]["responses"]["404"].is_object(),
                "{} {m} documents 404",
                res.name
            );
        }
        assert!(item["put"]["responses"]["422"]["content"]["application/problem+json"].is_object());
        let schema = &doc["components"]["schemas"];
        let ref_name = |v: &serde_json::Value| {
            v["$ref"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        };
        let envelope =
            ref_name(&list["get"]["responses"]["200"]["content"]["application/json"]["schema"]);
        assert_eq!(
            schema[envelope.as_str()]["required"],
            serde_json::json!(["data", "page"])
        );
        // A row is the whole item, or (with fields=) part of it.
        let items = &schema[envelope.as_str()]["properties"]["data"]["items"]["anyOf"];
        assert_eq!(
            ref_name(&items[1]),
            format!("{}Fields", ref_name(&items[0]))
        );
        let name = &ref_name(&items[0]);
        let name = name.as_str();
        let props = schema[name]["properties"].as_object().unwrap();
        for f in res.fields {
            assert!(props.contains_key(f.name), "{name}.{}", f.name);
        }
        // The served item has exactly the documented properties.
        let one = app.get(&format!("/v1/{}?limit=1", res.name)).await;
        let item = one.body["data"][0].as_object().unwrap();
        let mut served: Vec<&String> = item.keys().collect();
        let mut documented: Vec<&String> = props.keys().collect();
        served.sort();
        documented.sort();
        assert_eq!(served, documented, "{}", res.name);
    }
    for p in ["/healthz", "/readyz", "/openapi.json"] {
        assert!(paths.contains_key(p), "{p}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

/// Every problem `type` a response carries resolves to a description.
async fn problem_types_resolve(app: TestApp) {
    for path in ["/v1/states/QQ", "/v1/states?limit=0"] {
        let r = app.get(path).await;
        let t = r.body["type"].as_str().unwrap().to_string();
        let d = app.get(&t).await;
        assert_eq!(d.status, 200, "{t}");
        assert_eq!(d.body["title"], r.body["title"]);
    }
    app.get("/problems/nonsense").await.assert_problem(404);
}

/// Reads are open to every origin; writes only to the configured ones, and preflights are
/// answered without the database.
async fn cors_allows_reads_anywhere_and_writes_from_listed_origins(app: TestApp) {
    use axum::body::Body;
    use axum::http::{Method, Request};
    let router = pacts::app_with(
        app.db.clone(),
        pacts::Options {
            cors_origins: vec!["https://curators.example".parse().unwrap()],
            ..Default::default()
        },
    );
    let app = TestApp { router, ..app };
    let preflight = |origin: &str, method: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/sources")
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .body(Body::empty())
            .unwrap()
    };
    let r = app.send(preflight("https://anyone.example", "GET")).await;
    assert!(r.status.is_success());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://anyone.example")
    );
    let r = app.send(preflight("https://anyone.example", "POST")).await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        None,
        "writes from unlisted origins are not allowed"
    );
    let r = app
        .send(preflight("https://curators.example", "DELETE"))
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://curators.example")
    );
    assert!(
        r.header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
    let get = Request::builder()
        .uri("/v1/states/KZ")
        .header("origin", "https://anyone.example")
        .body(Body::empty())
        .unwrap();
    let r = app.send(get).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://anyone.example")
    );
}

/// Each question endpoint documents exactly the parameters it accepts, and both formats.
async fn openapi_documents_every_question_and_its_parameters(app: TestApp) {
    let doc = app.get("/openapi.json").await.body;
    for (path, concrete) in [
        (
            "/v1/organisations/{key}/members",
            "/v1/organisations/csto/members",
        ),
        (
            "/v1/organisations/{key}/history",
            "/v1/organisations/csto/history",
        ),
        ("/v1/states/{key}/memberships", "/v1/states/KZ/memberships"),
        ("/v1/states/{key}/agreements", "/v1/states/KZ/agreements"),
        ("/v1/agreements/{key}/parties", "/v1/agreements/cst/parties"),
        ("/v1/shared", "/v1/shared"),
        ("/v1/overlap", "/v1/overlap"),
        ("/v1/matrix", "/v1/matrix"),
    ] {
        let op = &doc["paths"][path]["get"];
        assert!(op.is_object(), "{path} documented");
        let mut documented: Vec<String> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        documented.sort();
        // The 400 for an unknown parameter lists what the endpoint takes.
        let r = app.get(&format!("{concrete}?zzz=1")).await;
        r.assert_problem(400);
        let detail = r.body["detail"].as_str().unwrap();
        let list = detail
            .split("takes: ")
            .nth(1)
            .unwrap()
            .trim_end_matches('.');
        let mut accepted: Vec<String> = list.split(", ").map(String::from).collect();
        accepted.sort();
        assert_eq!(documented, accepted, "{path}");
        // JSON and CSV are separate operations: one 200 body each, so generated clients
        // parse JSON typed and fetch CSV as text.
        let content = op["responses"]["200"]["content"].as_object().unwrap();
        assert_eq!(
            content.keys().collect::<Vec<_>>(),
            ["application/json"],
            "{path}"
        );
        assert!(op["responses"]["404"].is_object() && op["responses"]["400"].is_object());
        let twin = &doc["paths"][format!("{path}.csv")]["get"];
        let content = twin["responses"]["200"]["content"].as_object().unwrap();
        assert_eq!(content.keys().collect::<Vec<_>>(), ["text/csv"], "{path}");
        let csv = app
            .get(&format!(
                "{concrete}.csv?{}",
                if path.contains("shared") {
                    "states=KZ,KG"
                } else if path.contains("overlap") {
                    "organisations=csto,sco"
                } else {
                    ""
                }
            ))
            .await;
        assert_eq!(csv.status, 200, "{path}.csv: {}", csv.text);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        // The twin takes no format parameter: it is CSV.
        app.get(&format!("{concrete}.csv?format=json"))
            .await
            .assert_problem(400);
    }
    // The row schemas list exactly the fields the answers carry.
    for (schema, path) in [
        (
            "MembershipRow",
            "/v1/organisations/csto/members?as_of=2013-01-01",
        ),
        ("PartyRow", "/v1/agreements/cst/parties"),
    ] {
        let mut documented: Vec<&String> = doc["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        let row = app.get(path).await.body["data"][0].clone();
        let mut served: Vec<&String> = row.as_object().unwrap().keys().collect();
        documented.sort();
        served.sort();
        assert_eq!(served, documented, "{schema}");
    }
}

/// The dashboard and the reference are served from the binary and load nothing from
/// outside (no CDN): every script and style is local and the CSP says so.
async fn dashboard_and_docs_are_self_contained(app: TestApp) {
    for (path, kind) in [
        ("/", "text/html"),
        ("/docs", "text/html"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/docs.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
        assert!(
            r.header("content-security-policy")
                .unwrap()
                .contains("default-src 'none'")
        );
        // The SVG namespace is a name, not an address that is fetched.
        let text = r.text.replace("http://www.w3.org/2000/svg", "");
        for outside in ["http://", "https://", "//cdn", "unpkg", "jsdelivr"] {
            assert!(!text.contains(outside), "{path} refers to {outside}");
        }
        let tag = r.header("etag").unwrap().to_string();
        let again = app
            .send(
                axum::http::Request::builder()
                    .uri(path)
                    .header("if-none-match", &tag)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(again.status, 304);
    }
    let page = app.get("/").await.text;
    assert!(page.contains("/assets/app.js") && page.contains("/assets/app.css"));
    app.get("/assets/index.html").await.assert_problem(404);
    app.get("/assets/../Cargo.toml").await.assert_problem(404);
    app.get("/assets/nope.js").await.assert_problem(404);
}

async fn large_answers_are_compressed_when_accepted_cached_ones_too(app: TestApp) {
    use axum::body::Body;
    use axum::http::Request;
    use std::io::Read;
    let get = |path: &str, enc: Option<&str>| {
        let mut r = Request::builder().uri(path);
        if let Some(e) = enc {
            r = r.header("accept-encoding", e);
        }
        r.body(Body::empty()).unwrap()
    };
    let decode = |enc: &str, bytes: &[u8]| -> String {
        let mut out = String::new();
        match enc {
            "gzip" => {
                flate2::read::GzDecoder::new(bytes)
                    .read_to_string(&mut out)
                    .unwrap();
            }
            "br" => {
                brotli::Decompressor::new(bytes, 4096)
                    .read_to_string(&mut out)
                    .unwrap();
            }
            other => panic!("unexpected encoding {other}"),
        }
        out
    };
    let path = "/v1/memberships?limit=200";
    let plain = app.send(get(path, None)).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.text.len() > 10_000);
    for (accept, enc) in [
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
    ] {
        // The first two answers come from the handler (the second is kept), the third
        // from the cache.
        for round in 0..3 {
            let r = app.send(get(path, Some(accept))).await;
            assert_eq!(r.status, 200);
            assert_eq!(
                r.header("content-encoding"),
                Some(enc),
                "{accept} round {round}"
            );
            let vary = r
                .headers
                .get_all("vary")
                .iter()
                .map(|v| v.to_str().unwrap().to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(",");
            assert!(vary.contains("accept-encoding"), "{vary}");
            let raw = r.headers.clone();
            let body = crate::harness::raw_body(&app, get(path, Some(accept))).await;
            assert!(
                body.len() * 3 < plain.text.len(),
                "compressed: {} of {}",
                body.len(),
                plain.text.len()
            );
            assert_eq!(decode(enc, &body), plain.text, "{accept} round {round}");
            assert_eq!(
                raw.get("etag"),
                plain.headers.get("etag"),
                "the ETag names the content"
            );
        }
    }
    // Small answers are sent as they are.
    let small = app.send(get("/v1/states/KZ", Some("gzip, br"))).await;
    assert_eq!(small.status, 200);
    assert_eq!(small.header("content-encoding"), None);
    assert_eq!(small.body["code"], "KZ");
}
