//! template.yaml against the routers: every served (method, path) routed to the function whose
//! router serves it, behind the authorizer exactly when that router wants a signed-in caller;
//! every binary a function that `sam build` builds; and the authorizer wired the way the
//! 401-in-the-envelope design needs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_norway::Value;

use crate::support::TestApp;
use crate::support::routes::{Answer, METHODS, probe};

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

/// One HttpApi event of the template: (binary, method, path, public).
type Route = (String, String, String, bool);

fn routes(template: &Value) -> (Vec<Route>, usize) {
    let mut declared = Vec::new();
    let mut default_routes = 0;
    for (id, function) in functions(template) {
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
            let public = match &props["Auth"]["Authorizer"] {
                Value::Null => false,
                v if v.as_str() == Some("NONE") => true,
                other => panic!("{id}.{name}: unexpected Auth.Authorizer {other:?}"),
            };
            let method = props["Method"]
                .as_str()
                .expect("Method")
                .to_ascii_uppercase();
            let path = props["Path"].as_str().expect("Path").to_string();
            if path == "$default" {
                assert_eq!(
                    (binary, method.as_str(), public),
                    ("not-found", "ANY", true),
                    "{id}.{name}: the $default route is the public not-found function, for any method"
                );
                default_routes += 1;
                continue;
            }
            let route = (binary.to_string(), method, path, public);
            assert!(!declared.contains(&route), "{route:?} declared twice");
            declared.push(route);
        }
    }
    (declared, default_routes)
}

fn routes_of(binary: &str) -> functions::Routes {
    functions::FUNCTIONS
        .iter()
        .find(|(name, _)| *name == binary)
        .map(|(_, routes)| *routes)
        .unwrap_or_else(|| panic!("{binary}: routed in template.yaml, but not an API function"))
}

/// For every method a router serves, the route API Gateway picks (the method's own, else the
/// path's ANY) goes to that router's function, with the authorizer exactly when the router
/// wants a signed-in caller; and every path of the template is served by its function.
#[tokio::test]
async fn template_routes_match_the_routers() {
    let (declared, default_routes) = routes(&template());
    assert_eq!(
        default_routes, 1,
        "one $default route, so that unmatched requests get the envelope rather than API Gateway's bare 404"
    );
    let app = TestApp::spawn().await;
    let paths: BTreeSet<&String> = declared.iter().map(|(_, _, path, _)| path).collect();
    for path in paths {
        for method in METHODS {
            let picked = declared
                .iter()
                .find(|(_, m, p, _)| p == path && m == method)
                .or_else(|| declared.iter().find(|(_, m, p, _)| p == path && m == "ANY"));
            let everywhere = probe(&app, functions::routes(), method, path).await;
            let Some((binary, _, _, public)) = picked else {
                assert!(
                    matches!(everywhere, Answer::NotServed | Answer::NoPath),
                    "{method} {path}: served, but no route of the template sends it to a function"
                );
                continue;
            };
            let own = probe(&app, routes_of(binary)(), method, path).await;
            assert_eq!(
                own, everywhere,
                "{method} {path}: {binary} answers otherwise than the local server"
            );
            assert_ne!(
                own,
                Answer::NoPath,
                "{method} {path}: {binary} does not serve this path"
            );
            if own == Answer::NotServed {
                continue;
            }
            assert_eq!(
                *public,
                own == Answer::Public,
                "{method} {path}: the template's authorizer setting vs what {binary} asks of its caller"
            );
        }
    }
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
    let table: BTreeSet<String> = functions::FUNCTIONS
        .iter()
        .map(|(binary, _)| binary.to_string())
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
