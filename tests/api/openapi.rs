//! docs/openapi.yaml against the routers: the same paths and methods, and security declared on
//! exactly the operations that need a signed-in caller.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::TestApp;
use crate::support::routes::{Answer, METHODS as SERVABLE, probe};

fn document() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.yaml");
    let text = std::fs::read_to_string(&path).expect("read docs/openapi.yaml");
    serde_norway::from_str(&text).expect("docs/openapi.yaml is YAML")
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test]
async fn the_document_describes_exactly_the_routed_operations() {
    let doc = document();
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (key, operation) in item.as_object().expect("path item") {
            if !METHODS.contains(&key.as_str()) {
                continue;
            }
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            documented.insert((path.clone(), key.to_ascii_uppercase(), secured));
        }
    }
    let app = TestApp::spawn().await;
    let mut routed = BTreeSet::new();
    for path in doc["paths"].as_object().expect("paths").keys() {
        for method in SERVABLE {
            match probe(&app, functions::routes(), method, path).await {
                Answer::NoPath => panic!("{path}: documented, but no router serves it"),
                Answer::NotServed => {}
                answer => {
                    routed.insert((
                        path.clone(),
                        method.to_string(),
                        answer == Answer::Protected,
                    ));
                }
            }
        }
    }
    assert_eq!(
        documented, routed,
        "docs/openapi.yaml and the routers disagree"
    );
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut missing = Vec::new();
    walk(&doc, &doc, &mut missing);
    assert!(missing.is_empty(), "unresolved $ref: {missing:?}");
}

fn walk(node: &Value, doc: &Value, missing: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let pointer = reference.trim_start_matches('#');
                if doc.pointer(pointer).is_none() {
                    missing.push(reference.clone());
                }
            }
            map.values().for_each(|v| walk(v, doc, missing));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, doc, missing)),
        _ => {}
    }
}
