//! template.yaml's deploy-time guards: the CloudFormation Rules that refuse a stack which would
//! deploy and then fail every request, evaluated here for the parameter combinations that
//! matter, and the settings that would stop a stack from being created at all.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_norway::Value;

fn template() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    let text = std::fs::read_to_string(path).expect("read template.yaml");
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

/// Evaluates a Rules condition or assertion (`!Equals`, `!Not`, `!And`, `!Or` over `!Ref`s of
/// parameters and literals), as CloudFormation does before it creates anything.
fn holds(expr: &Value, params: &HashMap<String, String>) -> bool {
    let Value::Tagged(tagged) = expr else {
        panic!("not an intrinsic: {expr:?}");
    };
    let args = || tagged.value.as_sequence().expect("a list of arguments");
    let tag = &tagged.tag;
    if *tag == "Equals" {
        value(&args()[0], params) == value(&args()[1], params)
    } else if *tag == "Not" {
        !holds(&args()[0], params)
    } else if *tag == "And" {
        args().iter().all(|a| holds(a, params))
    } else if *tag == "Or" {
        args().iter().any(|a| holds(a, params))
    } else {
        panic!("unsupported in Rules here: {tag}")
    }
}

fn value(expr: &Value, params: &HashMap<String, String>) -> String {
    match expr {
        Value::String(s) => s.clone(),
        Value::Tagged(t) if t.tag == "Ref" => {
            let name = t.value.as_str().expect("a parameter name");
            params
                .get(name)
                .cloned()
                .unwrap_or_else(|| panic!("parameter {name} not given"))
        }
        other => panic!("unsupported value in Rules here: {other:?}"),
    }
}

/// The template's parameter defaults overridden by `given`.
fn parameters(template: &Value, given: &[(&str, &str)]) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = template["Parameters"]
        .as_mapping()
        .expect("Parameters")
        .iter()
        .filter_map(|(name, p)| {
            let default = match &p["Default"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((name.as_str()?.to_string(), default))
        })
        .collect();
    for (name, v) in given {
        params.insert(name.to_string(), v.to_string());
    }
    params
}

/// The descriptions of every rule assertion that fails for `given`.
fn refusals(given: &[(&str, &str)]) -> Vec<String> {
    let template = template();
    let params = parameters(&template, given);
    let mut failed = Vec::new();
    for (name, rule) in template["Rules"].as_mapping().expect("Rules") {
        if let Some(condition) = rule.get("RuleCondition")
            && !holds(condition, &params)
        {
            continue;
        }
        for assertion in rule["Assertions"].as_sequence().expect("Assertions") {
            if !holds(&assertion["Assert"], &params) {
                failed.push(format!(
                    "{}: {:?}",
                    name.as_str().unwrap_or("?"),
                    assertion["AssertDescription"]
                ));
            }
        }
    }
    failed
}

/// A valid set of answers for the parameters without a default.
const BASE: &[(&str, &str)] = &[
    ("AllowedOrigins", "https://app.example.com"),
    ("JwtSecretId", "booking-api/jwt"),
    ("DbHost", "db.example.internal"),
    ("DbAuthMode", "iam"),
    ("DbResourceId", "prx-0123456789abcdef0"),
];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    BASE.iter().chain(extra).copied().collect()
}

#[test]
fn a_direct_database_without_the_rds_ca_bundle_is_refused() {
    let refused = refusals(&with(&[("DbEndpointType", "direct")]));
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("DirectDatabaseNeedsCaBundle"),
        "{refused:?}"
    );
}

#[test]
fn a_direct_database_with_the_bundle_and_a_proxy_without_it_are_accepted() {
    let layer = "arn:aws:lambda:us-east-1:123456789012:layer:rds-ca:1";
    for given in [
        with(&[("DbEndpointType", "direct"), ("DbCaBundleLayerArn", layer)]),
        with(&[("DbEndpointType", "proxy")]),
    ] {
        assert_eq!(refusals(&given), Vec::<String>::new(), "{given:?}");
    }
}

#[test]
fn the_database_endpoint_type_must_be_chosen() {
    // No default: whoever deploys says whether the endpoint is a proxy or a direct database.
    let template = template();
    let param = &template["Parameters"]["DbEndpointType"];
    assert!(
        param.get("Default").is_none(),
        "DbEndpointType has a default"
    );
}

#[test]
fn a_custom_domain_without_a_certificate_is_refused() {
    let refused = refusals(&with(&[
        ("DbEndpointType", "proxy"),
        ("ApiDomainName", "api.example.com"),
    ]));
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("ApiDomainNeedsCertificate"),
        "{refused:?}"
    );
}

#[test]
fn no_function_reserves_concurrency() {
    // Any reservation comes out of the account's unreserved pool, which AWS keeps at 10 or more;
    // on a new account (a quota of 10) even a reservation of 1 makes the stack fail to create.
    let template = template();
    for (id, resource) in template["Resources"].as_mapping().expect("Resources") {
        assert!(
            resource["Properties"]
                .get("ReservedConcurrentExecutions")
                .is_none(),
            "{id:?} reserves concurrency"
        );
    }
}

#[test]
fn every_function_may_read_the_secrets_it_reads_at_start_up() {
    // A function without GetSecretValue on its secrets fails every cold start.
    let template = template();
    for (id, resource) in template["Resources"].as_mapping().expect("Resources") {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = id.as_str().expect("logical id");
        let expected = match id {
            "AuthorizerFunction" => "JwtSecretPolicy",
            "MigrateFunction" | "NotFoundFunction" => continue,
            _ => "ApiSecretsPolicy",
        };
        let policies = resource["Properties"]["Policies"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{id} has no Policies"));
        assert!(
            policies.iter().any(|p| matches!(p, Value::Tagged(t)
                if t.tag == "Ref" && t.value.as_str() == Some(expected))),
            "{id} lacks {expected}"
        );
    }
}
