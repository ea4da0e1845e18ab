//! IAM policy documents of the children, as canonical JSON so comparison is semantic.

use serde_json::{json, Value as Json};

/// Keys sorted at every level, no whitespace: two documents that mean the same compare equal
/// (whatever order AWS returns keys in).
pub fn canonical_json(document: &Json) -> String {
    fn sorted(value: &Json) -> Json {
        match value {
            Json::Object(map) => {
                let mut entries: Vec<(&String, &Json)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Json::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Json::Array(items) => Json::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(document).to_string()
}

/// The AWS partition of a region: `aws`, `aws-cn` or `aws-us-gov`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Lets VPC Flow Logs assume the role.
pub fn flow_logs_trust_policy() -> Json {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "vpc-flow-logs.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }]
    })
}

/// Writes to exactly the flow-log group (any account: the region's own is the only one the
/// service delivers to).
pub fn flow_logs_write_policy(region: &str, log_group: &str) -> Json {
    let partition = partition(region);
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [
                    format!("arn:{partition}:logs:{region}:*:log-group:{log_group}"),
                    format!("arn:{partition}:logs:{region}:*:log-group:{log_group}:*")
                ]
            },
            {
                "Effect": "Allow",
                "Action": "logs:DescribeLogGroups",
                "Resource": "*"
            }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_ignores_key_order_and_whitespace() {
        let a: Json =
            serde_json::from_str(r#"{"b": 1, "a": {"d": [1, {"y": 2, "x": 1}], "c": 0}}"#).unwrap();
        let b: Json = serde_json::from_str(r#"{"a":{"c":0,"d":[1,{"x":1,"y":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&b),
            r#"{"a":{"c":0,"d":[1,{"x":1,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
