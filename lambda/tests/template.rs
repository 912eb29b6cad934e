//! The deployment template (`lambda/template.yaml`), in each of its modes: every coverage
//! (a list of log groups, the whole account) with every delivery (direct, Kinesis, Firehose) is
//! rendered (the modes' parameters set as the defaults) and must pass `cfn-lint`, SAM's
//! transform included; and the template holds what a platform engineer relies on: the account
//! policy, the on-failure destination, the alarms, the key read from SSM or Secrets Manager.
//!
//! Needs `cfn-lint` on PATH (`scripts/test.sh` installs it); its Python module reads the
//! template's YAML (CloudFormation's short tags included).

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn template_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml")
}

/// The template as JSON, read by cfn-lint's own decoder.
fn template() -> Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys\n\
             from cfnlint.decode import decode\n\
             t, errors = decode(sys.argv[1])\n\
             assert not errors, errors\n\
             json.dump(t, sys.stdout)",
        ])
        .arg(template_path())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "cfn-lint's decoder (pip install cfn-lint; scripts/test.sh does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The resources of a type: (logical id, resource).
fn resources<'a>(t: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// cfn-lint's findings on the template with `params` as its parameters' defaults.
fn lint_mode(name: &str, params: &[(&str, &str)]) -> String {
    let mut t = template();
    for (k, v) in params {
        assert!(t["Parameters"].get(*k).is_some(), "no parameter {k}");
        t["Parameters"][*k]["Default"] = json!(v);
    }
    let dir = std::env::temp_dir().join(format!("tokenscrub-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&t).unwrap()).unwrap();
    let out = Command::new("cfn-lint")
        .arg(&path)
        .output()
        .expect("cfn-lint not found: pip install cfn-lint (scripts/test.sh does)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
    // Fails while another test's file is in it; the last one out removes it.
    let _ = std::fs::remove_dir(&dir);
    if out.status.success() {
        String::new()
    } else {
        report
    }
}

#[test]
fn every_mode_passes_cfn_lint() {
    let groups = ("LogGroupNames", "/aws/lambda/shop-api,/ecs/web");
    let modes: [(&str, Vec<(&str, &str)>); 7] = [
        (
            "groups-direct",
            vec![("Coverage", "LogGroups"), ("Delivery", "Direct"), groups],
        ),
        (
            "groups-kinesis",
            vec![("Coverage", "LogGroups"), ("Delivery", "Kinesis"), groups],
        ),
        (
            "groups-firehose",
            vec![("Coverage", "LogGroups"), ("Delivery", "Firehose"), groups],
        ),
        (
            "account-direct",
            vec![
                ("Coverage", "Account"),
                ("Delivery", "Direct"),
                ("HmacKeyParameter", "/tokenscrub/hmac-key"),
                ("ReservedConcurrency", "20"),
            ],
        ),
        (
            "account-kinesis",
            vec![
                ("Coverage", "Account"),
                ("Delivery", "Kinesis"),
                (
                    "HmacKeySecretArn",
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:tokenscrub-AbCdEf",
                ),
                ("TokenscrubConfigParameter", "/tokenscrub/config"),
            ],
        ),
        (
            "account-firehose",
            vec![("Coverage", "Account"), ("Delivery", "Firehose")],
        ),
        ("as-shipped", vec![]),
    ];
    let mut failures = Vec::new();
    for (name, params) in &modes {
        let report = lint_mode(name, params);
        if !report.is_empty() {
            failures.push(format!("== {name}\n{report}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_broken_mode_is_caught() {
    // The check can fail: a delivery the template does not know is an error.
    let report = lint_mode("bogus", &[("Delivery", "Carrier-Pigeon")]);
    assert!(report.contains("AllowedValues"), "{report}");
}

#[test]
fn account_mode_subscribes_every_log_group_but_the_functions_own() {
    let t = template();
    let policies = resources(&t, "AWS::Logs::AccountPolicy");
    assert_eq!(policies.len(), 1);
    let (_, policy) = policies[0];
    assert_eq!(policy["Condition"], "AccountWide");
    let p = &policy["Properties"];
    assert_eq!(p["PolicyType"], "SUBSCRIPTION_FILTER_POLICY");
    assert_eq!(p["Scope"], "ALL");
    let selection = p["SelectionCriteria"]["Fn::Sub"].as_str().unwrap();
    assert!(
        selection.starts_with("LogGroupName NOT IN [")
            && selection.contains("${FunctionLogGroupName}")
            && selection.contains("${FindingsLogGroupName}"),
        "{selection}"
    );
    assert_eq!(
        t["Conditions"]["AccountWide"],
        json!({"Fn::Equals": [{"Ref": "Coverage"}, "Account"]})
    );
}

#[test]
fn failed_batches_go_to_a_queue_that_an_alarm_watches() {
    let t = template();
    let invoke = resources(&t, "AWS::Lambda::EventInvokeConfig");
    assert_eq!(invoke.len(), 1);
    let p = &invoke[0].1["Properties"];
    let queue = json!({"Fn::GetAtt": ["FailureQueue", "Arn"]});
    assert_eq!(p["DestinationConfig"]["OnFailure"]["Destination"], queue);
    assert!(p["MaximumEventAgeInSeconds"].is_object());
    let mapping = resources(&t, "AWS::Lambda::EventSourceMapping");
    assert_eq!(mapping.len(), 1);
    let m = &mapping[0].1["Properties"];
    assert_eq!(m["DestinationConfig"]["OnFailure"]["Destination"], queue);
    assert_eq!(m["BisectBatchOnFunctionError"], true);
    assert_eq!(
        m["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );

    let alarms = resources(&t, "AWS::CloudWatch::Alarm");
    let watches = |namespace: &str, metric: &str| {
        alarms.iter().any(|(_, a)| {
            a["Properties"]["Namespace"] == namespace && a["Properties"]["MetricName"] == metric
        })
    };
    assert!(watches("AWS/Lambda", "Errors"));
    assert!(watches("AWS/Lambda", "Throttles"));
    assert!(watches("AWS/SQS", "ApproximateNumberOfMessagesVisible"));
    assert!(watches("tokenscrub", "FindingsDeliveryFailures"));
    for (id, a) in &alarms {
        assert_eq!(
            a["Properties"]["AlarmActions"],
            json!([{"Ref": "AlertTopic"}]),
            "{id} pages no one"
        );
    }
    let function = &t["Resources"]["Function"]["Properties"];
    assert_eq!(
        function["ReservedConcurrentExecutions"]["Fn::If"][0],
        "HasReservedConcurrency"
    );
}

#[test]
fn the_key_is_read_from_ssm_or_secrets_manager_never_put_in_the_environment() {
    let t = template();
    let function = &t["Resources"]["Function"]["Properties"];
    let env = &function["Environment"]["Variables"];
    assert!(env.get("TOKENSCRUB_HMAC_KEY").is_none());
    assert_eq!(
        env["TOKENSCRUB_HMAC_KEY_PARAMETER"],
        json!({"Ref": "HmacKeyParameter"})
    );
    assert_eq!(
        env["TOKENSCRUB_HMAC_KEY_SECRET"],
        json!({"Ref": "HmacKeySecretArn"})
    );
    // Read access to exactly that parameter and that secret, each only when it is given.
    let statements = function["Policies"][0]["Statement"].as_array().unwrap();
    let conditional = |condition: &str| -> &Value {
        statements
            .iter()
            .find(|s| s["Fn::If"][0] == condition)
            .map(|s| &s["Fn::If"][1])
            .unwrap_or_else(|| panic!("no statement under {condition}"))
    };
    let ssm = conditional("HasKeyParameter");
    assert_eq!(ssm["Action"], "ssm:GetParameter");
    assert!(
        ssm["Resource"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .ends_with(":parameter${HmacKeyParameter}")
    );
    let secret = conditional("HasKeySecret");
    assert_eq!(secret["Action"], "secretsmanager:GetSecretValue");
    assert_eq!(secret["Resource"], json!({"Ref": "HmacKeySecretArn"}));
    for p in ["HmacKeyParameter", "TokenscrubConfigParameter"] {
        assert_eq!(
            t["Parameters"][p]["AllowedPattern"], "^(/[A-Za-z0-9_.\\-/]+)?$",
            "{p}: a name starting with / makes the ARN parameter/<name>"
        );
    }
}
