//! `platform_bucket`: typed input and validation.

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::plan::node::Tags;

use super::validate_app_name;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsSpec {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
}

/// A CloudFront distribution in front of the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdnSpec {
    /// Sorted, unique.
    pub aliases: Vec<String>,
    /// An ACM certificate in us-east-1 covering every alias.
    pub certificate_arn: Option<String>,
    pub price_class: String,
    /// Seconds; `None`: the managed CachingOptimized policy.
    pub default_ttl: Option<u32>,
    /// Creates and updates wait until CloudFront reports `Deployed`.
    pub wait_for_deployment: bool,
}

/// CloudFront's price classes, cheapest first.
pub const PRICE_CLASSES: &[&str] = &["PriceClass_100", "PriceClass_200", "PriceClass_All"];
pub const DEFAULT_PRICE_CLASS: &str = "PriceClass_100";
/// CloudFront's longest TTL (a year).
pub const MAX_TTL: u32 = 31_536_000;
/// CloudFront allows 100 alternate domain names per distribution.
pub const MAX_ALIASES: usize = 100;

impl CdnSpec {
    /// The first alias, or CloudFront's own domain name once known.
    pub fn url(&self, cdn_domain_name: &str) -> String {
        match self.aliases.first() {
            Some(alias) => format!("https://{alias}"),
            None => format!("https://{cdn_domain_name}"),
        }
    }
}

/// True when a certificate name (`example.com`, `*.example.com`) covers `host`: equal, or a
/// wildcard matching exactly one label (case-insensitive).
pub fn certificate_covers(name: &str, host: &str) -> bool {
    let (name, host) = (name.to_ascii_lowercase(), host.to_ascii_lowercase());
    match name.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => name == host,
    }
}

/// The region an ACM certificate ARN names (`arn:aws:acm:us-east-1:…`).
pub fn certificate_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_), Some("acm"), Some(region)) if !region.is_empty() => Some(region),
        _ => None,
    }
}

/// A host name CloudFront accepts as an alias: labels of letters, digits and `-`, a leading
/// `*.` wildcard allowed.
fn valid_alias(alias: &str) -> bool {
    let host = alias.strip_prefix("*.").unwrap_or(alias);
    alias.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpec {
    pub environment: String,
    pub name: String,
    /// The account and region the bucket's name carries; empty while unknown (validate).
    pub account_id: String,
    pub region: String,
    pub versioning: bool,
    /// Days a noncurrent version is kept (with versioning).
    pub noncurrent_days: u32,
    pub abort_multipart_days: u32,
    pub cors: Vec<CorsSpec>,
    pub kms_key_arn: Option<String>,
    pub force_destroy: bool,
    pub cdn: Option<CdnSpec>,
    pub tags: Tags,
}

impl BucketSpec {
    pub fn owner(&self) -> String {
        format!("bucket/{}/{}", self.environment, self.name)
    }

    /// `<environment>-<name>-<account id>-<region>`: S3 names are global.
    pub fn bucket_name(&self) -> String {
        bucket_name(
            &self.environment,
            &self.name,
            &self.account_id,
            &self.region,
        )
    }
}

pub fn bucket_name(environment: &str, name: &str, account_id: &str, region: &str) -> String {
    format!("{environment}-{name}-{account_id}-{region}")
}

/// S3 allows 63 characters in a bucket name.
pub const MAX_BUCKET_NAME: usize = 63;

const CORS_METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

pub fn validate_bucket(spec: &BucketSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    diags.extend(validate_app_name(&spec.name, &at(&["name"])));
    let name = spec.bucket_name();
    if !spec.account_id.is_empty() && name.len() > MAX_BUCKET_NAME {
        diags.error_at(
            at(&["name"]),
            "Bucket name too long",
            format!("the bucket's name {name:?} has {} characters; S3 allows {MAX_BUCKET_NAME}. Shorten the name (or the environment's) by {}.", name.len(), name.len() - MAX_BUCKET_NAME),
        );
    }
    if spec.versioning && spec.noncurrent_days == 0 {
        diags.error_at(
            at(&["lifecycle", "noncurrent_days"]),
            "Invalid lifecycle",
            "noncurrent_days must be at least 1.",
        );
    }
    if spec.abort_multipart_days == 0 {
        diags.error_at(
            at(&["lifecycle", "abort_multipart_days"]),
            "Invalid lifecycle",
            "abort_multipart_days must be at least 1.",
        );
    }
    for rule in &spec.cors {
        if rule.allowed_origins.is_empty() {
            diags.error_at(
                at(&["cors", "allowed_origins"]),
                "No origins",
                "a cors rule needs at least one origin (`*` for any).",
            );
        }
        for method in &rule.allowed_methods {
            if !CORS_METHODS.contains(&method.as_str()) {
                diags.error_at(
                    at(&["cors", "allowed_methods"]),
                    "Invalid method",
                    format!("{method:?} is not one of {}.", CORS_METHODS.join(", ")),
                );
            }
        }
    }
    if let Some(arn) = &spec.kms_key_arn {
        if !(arn.starts_with("arn:") && arn.contains(":kms:")) {
            diags.error_at(
                at(&["kms_key_arn"]),
                "Invalid KMS key ARN",
                format!("{arn:?} is not a KMS key ARN."),
            );
        }
    }
    if let Some(cdn) = &spec.cdn {
        diags.extend(validate_cdn(cdn));
    }
    diags
}

fn validate_cdn(cdn: &CdnSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |name: &str| AttrPath::attrs(&["cdn", name]);
    if !PRICE_CLASSES.contains(&cdn.price_class.as_str()) {
        diags.error_at(
            at("price_class"),
            "Invalid price class",
            format!(
                "{:?} is not one of {}.",
                cdn.price_class,
                PRICE_CLASSES.join(", ")
            ),
        );
    }
    if cdn.default_ttl.is_some_and(|ttl| ttl > MAX_TTL) {
        diags.error_at(
            at("default_ttl"),
            "TTL too long",
            format!("CloudFront caches for at most {MAX_TTL} seconds (a year)."),
        );
    }
    if cdn.aliases.len() > MAX_ALIASES {
        diags.error_at(
            at("aliases"),
            "Too many aliases",
            format!(
                "a distribution takes at most {MAX_ALIASES} aliases; {} are given.",
                cdn.aliases.len()
            ),
        );
    }
    for alias in cdn.aliases.iter().filter(|a| !valid_alias(a)) {
        diags.error_at(
            at("aliases"),
            "Invalid alias",
            format!("{alias:?} is not a domain name (such as `cdn.example.com`)."),
        );
    }
    match (&cdn.certificate_arn, cdn.aliases.is_empty()) {
        (None, false) => diags.error_at(
            at("aliases"),
            "Certificate needed",
            "aliases need a certificate_arn: an ACM certificate in us-east-1 covering them (CloudFront serves only names its certificate covers).",
        ),
        (Some(_), true) => diags.error_at(
            at("aliases"),
            "Aliases needed",
            "a certificate_arn is used only for aliases; name the aliases it serves, or remove it to use CloudFront's own domain name.",
        ),
        (Some(arn), false) => match certificate_region(arn) {
            Some("us-east-1") => {}
            Some(region) => diags.error_at(
                at("certificate_arn"),
                "Certificate not in us-east-1",
                format!("CloudFront uses certificates from ACM in us-east-1 only; {arn:?} is in {region}. Request or import it in us-east-1."),
            ),
            None => diags.error_at(
                at("certificate_arn"),
                "Invalid certificate ARN",
                format!("{arn:?} is not an ACM certificate ARN."),
            ),
        },
        (None, true) => {}
    }
    diags
}

/// The plan-time check of a known certificate: every alias is covered by one of its names.
pub fn check_certificate_names(cdn: &CdnSpec, names: &[String]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let uncovered: Vec<&str> = cdn
        .aliases
        .iter()
        .filter(|alias| !names.iter().any(|name| certificate_covers(name, alias)))
        .map(String::as_str)
        .collect();
    if !uncovered.is_empty() {
        diags.error_at(
            AttrPath::attrs(&["cdn", "certificate_arn"]),
            "Certificate does not cover the aliases",
            format!(
                "the certificate covers {} but not {}.",
                names.join(", "),
                uncovered.join(", ")
            ),
        );
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(env: &str, name: &str) -> BucketSpec {
        BucketSpec {
            environment: env.into(),
            name: name.into(),
            account_id: "123456789012".into(),
            region: "ap-southeast-2".into(),
            versioning: true,
            noncurrent_days: 30,
            abort_multipart_days: 7,
            cors: Vec::new(),
            kms_key_arn: None,
            force_destroy: false,
            cdn: None,
            tags: Tags::new(),
        }
    }

    fn cdn(aliases: &[&str], certificate_arn: Option<&str>) -> CdnSpec {
        CdnSpec {
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            certificate_arn: certificate_arn.map(str::to_string),
            price_class: DEFAULT_PRICE_CLASS.into(),
            default_ttl: None,
            wait_for_deployment: true,
        }
    }

    fn summaries(cdn: CdnSpec) -> Vec<(String, Option<AttrPath>)> {
        let spec = BucketSpec {
            cdn: Some(cdn),
            ..spec("prod", "assets")
        };
        validate_bucket(&spec)
            .0
            .into_iter()
            .map(|d| (d.summary, d.path))
            .collect()
    }

    const EAST: &str = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

    #[test]
    fn cdn_settings_are_checked_on_their_attribute() {
        assert!(summaries(cdn(&[], None)).is_empty());
        assert!(summaries(cdn(&["cdn.example.com"], Some(EAST))).is_empty());
        let path = |name: &str| Some(AttrPath::attrs(&["cdn", name]));
        assert_eq!(
            summaries(cdn(&["cdn.example.com"], None)),
            vec![("Certificate needed".to_string(), path("aliases"))]
        );
        assert_eq!(
            summaries(cdn(&[], Some(EAST))),
            vec![("Aliases needed".to_string(), path("aliases"))]
        );
        let west = EAST.replace("us-east-1", "eu-west-1");
        assert_eq!(
            summaries(cdn(&["cdn.example.com"], Some(&west))),
            vec![(
                "Certificate not in us-east-1".to_string(),
                path("certificate_arn")
            )]
        );
        assert_eq!(
            summaries(cdn(&["cdn.example.com"], Some("not-an-arn"))),
            vec![(
                "Invalid certificate ARN".to_string(),
                path("certificate_arn")
            )]
        );
        assert_eq!(
            summaries(cdn(&["not a host"], Some(EAST))),
            vec![("Invalid alias".to_string(), path("aliases"))]
        );
        let mut bad = cdn(&[], None);
        bad.price_class = "PriceClass_50".into();
        bad.default_ttl = Some(MAX_TTL + 1);
        assert_eq!(
            summaries(bad),
            vec![
                ("Invalid price class".to_string(), path("price_class")),
                ("TTL too long".to_string(), path("default_ttl")),
            ]
        );
    }

    #[test]
    fn a_certificate_covers_its_names_and_one_wildcard_label() {
        assert!(certificate_covers("cdn.example.com", "CDN.example.com"));
        assert!(certificate_covers("*.example.com", "cdn.example.com"));
        assert!(!certificate_covers("*.example.com", "example.com"));
        assert!(!certificate_covers("*.example.com", "a.cdn.example.com"));
        assert!(!certificate_covers("www.example.com", "cdn.example.com"));
        let cdn = cdn(&["cdn.example.com", "static.example.org"], Some(EAST));
        let diags = check_certificate_names(&cdn, &["*.example.com".to_string()]);
        assert_eq!(diags.0.len(), 1);
        assert!(
            diags.0[0].detail.contains("static.example.org"),
            "{diags:?}"
        );
        assert!(!diags.0[0].detail.contains("but not cdn"), "{diags:?}");
        assert!(check_certificate_names(
            &cdn,
            &[
                "*.example.com".to_string(),
                "static.example.org".to_string()
            ]
        )
        .is_empty());
    }

    #[test]
    fn the_url_is_the_first_alias_or_cloudfronts_name() {
        assert_eq!(
            cdn(&["a.example.com"], Some(EAST)).url("d1.cloudfront.net"),
            "https://a.example.com"
        );
        assert_eq!(
            cdn(&[], None).url("d1.cloudfront.net"),
            "https://d1.cloudfront.net"
        );
    }

    #[test]
    fn the_name_limit_is_reported_on_name() {
        assert!(validate_bucket(&spec("prod", "assets")).is_empty());
        let long = spec("production-eu", "customer-uploads-v2-eu");
        let diags = validate_bucket(&long);
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        assert_eq!(diags.0[0].summary, "Bucket name too long");
        assert_eq!(diags.0[0].path, Some(AttrPath::attrs(&["name"])));
        // Before the account is known (validate), the length is not judged.
        let unknown = BucketSpec {
            account_id: String::new(),
            ..long
        };
        assert!(validate_bucket(&unknown).is_empty());
    }
}
