//! template.yaml against the route table: the same (method, path, access) served by the same
//! binary, every binary a function that `sam build` builds, and the authorizer wired the way the
//! 401-in-the-envelope design needs. Both the local server and the functions route with the
//! table, so this closes the loop with what API Gateway will do.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use functions::{Access, Function};
use serde_norway::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn template() -> Value {
    let path = root().join("template.yaml");
    let text = std::fs::read_to_string(&path).expect("read template.yaml");
    // SAM's short intrinsics (!Ref, !Sub, !GetAtt...) parse as tagged values.
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

/// Whether `value` is the short-form intrinsic `!<tag> <target>`.
fn is_intrinsic(value: &Value, tag: &str, target: &str) -> bool {
    match value {
        Value::Tagged(t) => t.tag == tag && t.value.as_str() == Some(target),
        _ => false,
    }
}

/// The template's serverless functions: (logical id, resource).
fn functions(template: &Value) -> Vec<(String, &Value)> {
    let resources = template["Resources"]
        .as_mapping()
        .expect("template has Resources");
    resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(id, r)| (id.as_str().expect("logical id").to_string(), r))
        .collect()
}

fn binary_of(resource: &Value) -> &str {
    resource["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .expect("function without Metadata.BuildProperties.Binary")
}

/// The binaries in functions/src/bin.
fn binaries() -> BTreeSet<String> {
    let dir = root().join("functions/src/bin");
    std::fs::read_dir(&dir)
        .expect("read functions/src/bin")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p: PathBuf| file_stem(&p))
        .collect()
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("file name")
        .to_string()
}

type Route = (String, String, String, &'static str);

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Public => "public",
        Access::Protected => "protected",
    }
}

#[test]
fn template_routes_match_the_route_table() {
    let template = template();
    let mut declared: BTreeSet<Route> = BTreeSet::new();
    let mut default_routes = 0;
    for (id, function) in functions(&template) {
        let binary = binary_of(function);
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, event) in events {
            let name = name.as_str().unwrap_or_default();
            assert_eq!(
                event["Type"].as_str(),
                Some("HttpApi"),
                "{id}.{name}: only HttpApi events expected"
            );
            let props = &event["Properties"];
            assert!(
                is_intrinsic(&props["ApiId"], "Ref", "HttpApi"),
                "{id}.{name}: ApiId must be !Ref HttpApi (else SAM creates an implicit API)"
            );
            let access = match &props["Auth"]["Authorizer"] {
                Value::Null => Access::Protected,
                v if v.as_str() == Some("NONE") => Access::Public,
                other => panic!("{id}.{name}: unexpected Auth.Authorizer {other:?}"),
            };
            let method = props["Method"]
                .as_str()
                .expect("Method")
                .to_ascii_uppercase();
            let path = props["Path"].as_str().expect("Path").to_string();
            if path == "$default" {
                assert_eq!(
                    (binary, method.as_str(), access),
                    ("not-found", "ANY", Access::Public),
                    "{id}.{name}: the $default route is the public not-found function, for any method"
                );
                default_routes += 1;
                continue;
            }
            let route = (binary.to_string(), method, path, access_name(access));
            assert!(declared.insert(route.clone()), "{route:?} declared twice");
        }
    }
    let expected: BTreeSet<Route> = Function::ALL
        .iter()
        .flat_map(|f| {
            f.methods().iter().map(move |(method, access)| {
                (
                    f.binary().to_string(),
                    method.to_string(),
                    f.path().to_string(),
                    access_name(*access),
                )
            })
        })
        .collect();
    assert_eq!(
        default_routes, 1,
        "one $default route, so that unmatched requests get the envelope rather than API Gateway's bare 404"
    );
    let missing: Vec<_> = expected.difference(&declared).collect();
    let extra: Vec<_> = declared.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "template.yaml and functions/src/routes.rs disagree\n  missing from the template: {missing:#?}\n  not in the route table: {extra:#?}"
    );
}

#[test]
fn every_binary_is_a_function_that_sam_builds() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Handler"].as_str(), Some("bootstrap"));
    // One CodeUri for all: every build shares the workspace and its target directory.
    assert_eq!(globals["CodeUri"].as_str(), Some("./"));
    let mut built = BTreeSet::new();
    for (id, function) in functions(&template) {
        assert_eq!(
            function["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id}: BuildMethod"
        );
        assert!(
            function["Properties"]["CodeUri"].is_null()
                && function["Properties"]["Runtime"].is_null(),
            "{id}: CodeUri and Runtime come from Globals"
        );
        assert!(
            built.insert(binary_of(function).to_string()),
            "{id}: binary {} built twice",
            binary_of(function)
        );
    }
    assert_eq!(
        built,
        binaries(),
        "functions in template.yaml vs functions/src/bin"
    );
    let table: BTreeSet<String> = Function::ALL
        .iter()
        .map(|f| f.binary().to_string())
        .collect();
    assert!(
        table.is_subset(&built),
        "every routed function has a binary"
    );
}

#[test]
fn the_authorizer_runs_on_every_protected_request_and_is_never_cached() {
    let template = template();
    let auth = &template["Resources"]["HttpApi"]["Properties"]["Auth"];
    let name = auth["DefaultAuthorizer"]
        .as_str()
        .expect("HttpApi has a DefaultAuthorizer, so routes are protected unless they opt out");
    let authorizer = &auth["Authorizers"][name];
    let (authorizer_id, _) = functions(&template)
        .into_iter()
        .find(|(_, f)| binary_of(f) == "authorizer")
        .expect("a function built from the authorizer binary");
    match &authorizer["FunctionArn"] {
        Value::Tagged(t) => {
            assert!(t.tag == "GetAtt", "FunctionArn must be !GetAtt");
            assert_eq!(
                t.value.as_str(),
                Some(format!("{authorizer_id}.Arn").as_str())
            );
        }
        other => panic!("FunctionArn: {other:?}"),
    }
    assert_eq!(
        authorizer["AuthorizerPayloadFormatVersion"].as_str(),
        Some("2.0")
    );
    assert_eq!(authorizer["EnableSimpleResponses"].as_bool(), Some(true));
    assert_eq!(
        authorizer["EnableFunctionDefaultPermissions"].as_bool(),
        Some(true),
        "without the invoke permission every protected request is a 500"
    );
    let identity = &authorizer["Identity"];
    assert_eq!(
        identity["ReauthorizeEvery"].as_u64(),
        Some(0),
        "HTTP APIs cache authorizer answers for 300 s unless told otherwise"
    );
    for source in ["Headers", "QueryStrings", "StageVariables", "Context"] {
        assert!(
            identity[source].is_null(),
            "identity source {source}: a request without it would get a bare 401 before the authorizer runs"
        );
    }
}
