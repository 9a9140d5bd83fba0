//! Health, readiness and the OpenAPI document.

use crate::cases;
use crate::harness::{Case, TestApp};

pub fn cases() -> Vec<Case> {
    cases![
        health_and_readiness_answer,
        openapi_document_covers_every_route,
        problem_types_resolve,
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
        let name =
            list["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
                ["data"]["items"]["$ref"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap();
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
