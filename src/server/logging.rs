//! Logs as hclog JSON lines on stderr, which Terraform's plugin client reads line by line and
//! folds into its own log at each line's `@level` (visible with `TF_LOG=debug`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// Installs the global subscriber. The level comes from `TF_LOG_PROVIDER`, then `TF_LOG`;
/// Terraform discards provider lines below its own level, so an unset level logs warnings only.
pub fn init() {
    let level = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .or_else(|| std::env::var("TF_LOG").ok())
        .and_then(|v| parse_level(&v))
        .unwrap_or(Level::WARN);
    let _ = tracing_subscriber::registry()
        .with(HclogLayer.with_filter(filter(level)))
        .try_init();
}

/// Crates whose debug and trace events print whole requests and responses, which carry
/// secret values (auth tokens, composed connection strings): capped at INFO at any level.
const WIRE_TARGETS: &[&str] = &[
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_smithy_http",
    // Canonical requests, and whole bodies when a user sets LOG_SIGNABLE_BODY=true.
    "aws_sigv4",
    "aws_runtime",
    "aws_sdk_secretsmanager",
    "aws_sdk_elasticache",
    "aws_sdk_rds",
    "aws_config",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
];

fn filter(level: Level) -> tracing_subscriber::filter::Targets {
    let capped = level.min(Level::INFO);
    WIRE_TARGETS.iter().fold(
        tracing_subscriber::filter::Targets::new().with_default(level),
        |targets, target| targets.with_target(*target, capped),
    )
}

#[cfg(test)]
mod filter_tests {
    use super::*;
    use tracing_subscriber::filter::Targets;

    fn enabled(targets: &Targets, target: &str, level: Level) -> bool {
        targets.would_enable(target, &level)
    }

    #[test]
    fn wire_logs_stay_capped_at_trace() {
        let targets = filter(Level::TRACE);
        assert!(enabled(
            &targets,
            "terraform_provider_platform::aws",
            Level::TRACE
        ));
        assert!(!enabled(
            &targets,
            "aws_smithy_runtime::client",
            Level::TRACE
        ));
        assert!(!enabled(&targets, "aws_smithy_runtime", Level::DEBUG));
        assert!(enabled(&targets, "aws_smithy_runtime", Level::INFO));
        assert!(!enabled(
            &targets,
            "aws_sigv4::http_request::sign",
            Level::TRACE
        ));
        let quiet = filter(Level::WARN);
        assert!(!enabled(&quiet, "aws_smithy_runtime", Level::INFO));
    }
}

fn parse_level(text: &str) -> Option<Level> {
    match text.trim().to_ascii_lowercase().as_str() {
        "trace" | "json" => Some(Level::TRACE),
        "debug" => Some(Level::DEBUG),
        "info" => Some(Level::INFO),
        "warn" => Some(Level::WARN),
        "error" => Some(Level::ERROR),
        "off" | "" => None,
        _ => Some(Level::TRACE),
    }
}

/// Formats each event as one hclog JSON object.
pub struct HclogLayer;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = FieldMap(Map::new());
        // Span fields (such as the node key of an executor step) give context to each line.
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(stored) = span.extensions().get::<SpanFields>() {
                    for (k, v) in &stored.0 {
                        fields.0.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        event.record(&mut fields);
        let line = format_line(
            event.metadata().level(),
            event.metadata().target(),
            fields.0,
        );
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = FieldMap(Map::new());
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.0));
        }
    }
}

struct SpanFields(Map<String, Json>);

struct FieldMap(Map<String, Json>);

impl Visit for FieldMap {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), Json::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_string(), Json::String(value.to_string()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }
}

/// One hclog line: `@level`, `@message`, `@module`, `@timestamp`, then the event's fields.
pub fn format_line(level: &Level, module: &str, mut fields: Map<String, Json>) -> String {
    let message = fields
        .remove("message")
        .map(|m| match m {
            Json::String(s) => s,
            other => other.to_string(),
        })
        .unwrap_or_default();
    let mut object = Map::new();
    object.insert(
        "@level".into(),
        Json::from(level.as_str().to_ascii_lowercase()),
    );
    object.insert("@message".into(), Json::from(message));
    object.insert(
        "@module".into(),
        Json::from(format!("platform.{}", module.replace("::", "."))),
    );
    object.insert("@timestamp".into(), Json::from(rfc3339_now()));
    for (k, v) in fields {
        object.insert(k, v);
    }
    let mut line = Json::Object(object).to_string();
    line.push('\n');
    line
}

/// UTC time as `2006-01-02T15:04:05.000000Z`, without a date crate.
fn rfc3339_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = String::with_capacity(27);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_micros()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_is_hclog_json() {
        let mut fields = Map::new();
        fields.insert("message".into(), Json::from("creating VPC"));
        fields.insert("node".into(), Json::from("ec2.vpc"));
        let line = format_line(&Level::DEBUG, "terraform_provider_platform::apply", fields);
        assert!(line.ends_with('\n'));
        let json: Json = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(json["@level"], "debug");
        assert_eq!(json["@message"], "creating VPC");
        assert_eq!(
            json["@module"],
            "platform.terraform_provider_platform.apply"
        );
        assert_eq!(json["node"], "ec2.vpc");
        let ts = json["@timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), 27, "{ts}");
        assert!(ts.starts_with("20"));
    }

    #[test]
    fn levels() {
        assert_eq!(parse_level("DEBUG"), Some(Level::DEBUG));
        assert_eq!(parse_level("off"), None);
    }
}
