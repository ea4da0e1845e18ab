//! The go-plugin handshake: environment checks and the one line Terraform reads on stdout.

use base64::Engine;

/// go-plugin's magic cookie for Terraform providers.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The only plugin protocol we serve.
pub const PROTOCOL_VERSION: u32 = 6;

/// Shown when the binary is started by hand.
pub const NOT_A_PROGRAM: &str = "This binary is a plugin. These are not meant to be executed directly.\n\
Please execute the program that consumes these plugins, which will load any plugins automatically.\n\
terraform-provider-platform is a Terraform provider: declare it in a configuration's required_providers \
and run `terraform init`. To debug it, run it with --debug and export the printed TF_REATTACH_PROVIDERS.";

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("{NOT_A_PROGRAM}")]
    NotLaunchedByTerraform,
    #[error("Terraform offered plugin protocol versions {offered:?}; this provider speaks only version 6 (Terraform 0.15.0 or newer)")]
    NoCommonVersion { offered: String },
}

/// Checks the magic cookie.
pub fn check_cookie(cookie: Option<&str>) -> Result<(), HandshakeError> {
    match cookie {
        Some(value) if value == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(HandshakeError::NotLaunchedByTerraform),
    }
}

/// Picks protocol 6 from `PLUGIN_PROTOCOL_VERSIONS` (comma-separated, in any order). Absent
/// means the client predates negotiation and we offer our own.
pub fn negotiate_version(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(offered) = offered else {
        return Ok(PROTOCOL_VERSION);
    };
    let speaks_ours = offered
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .any(|v| v == PROTOCOL_VERSION);
    if speaks_ours {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::NoCommonVersion {
            offered: offered.to_string(),
        })
    }
}

/// `1|6|tcp|127.0.0.1:PORT|grpc|CERT`: CERT is unpadded standard base64 of the DER, or empty
/// when serving plaintext.
pub fn handshake_line(version: u32, address: &str, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("1|{version}|tcp|{address}|grpc|{cert}")
}

/// The `TF_REATTACH_PROVIDERS` value for debug mode. `Test: true` is required by Terraform
/// 1.0.3 for protocol 6, and stops Terraform from killing the process.
pub fn reattach_config(source_address: &str, address: &str, pid: u32) -> String {
    serde_json::json!({
        source_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": {"Network": "tcp", "String": address},
        }
    })
    .to_string()
}

/// The port range go-plugin asks for, defaulting as Terraform does.
pub fn port_range(min: Option<&str>, max: Option<&str>) -> (u16, u16) {
    let min = min.and_then(|v| v.parse().ok()).unwrap_or(10000);
    let max = max.and_then(|v| v.parse().ok()).unwrap_or(25000);
    if min <= max {
        (min, max)
    } else {
        (max, min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_six_in_any_order() {
        assert_eq!(negotiate_version(Some("5,6")), Ok(6));
        assert_eq!(negotiate_version(Some("6,5")), Ok(6));
        assert_eq!(negotiate_version(None), Ok(6));
        assert!(matches!(
            negotiate_version(Some("5")),
            Err(HandshakeError::NoCommonVersion { .. })
        ));
        assert!(matches!(
            negotiate_version(Some("")),
            Err(HandshakeError::NoCommonVersion { .. })
        ));
    }

    #[test]
    fn cookie_is_required() {
        assert!(check_cookie(Some(MAGIC_COOKIE_VALUE)).is_ok());
        assert_eq!(
            check_cookie(None),
            Err(HandshakeError::NotLaunchedByTerraform)
        );
        assert_eq!(
            check_cookie(Some("x")),
            Err(HandshakeError::NotLaunchedByTerraform)
        );
    }

    #[test]
    fn line_has_unpadded_cert() {
        let line = handshake_line(6, "127.0.0.1:1234", Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|tcp|127.0.0.1:1234|grpc|AQIDBA");
        assert_eq!(
            handshake_line(6, "127.0.0.1:1", None),
            "1|6|tcp|127.0.0.1:1|grpc|"
        );
    }

    #[test]
    fn reattach_has_test_flag() {
        let json: serde_json::Value = serde_json::from_str(&reattach_config(
            "example.local/acme/platform",
            "127.0.0.1:9",
            42,
        ))
        .unwrap();
        let entry = &json["example.local/acme/platform"];
        assert_eq!(entry["Test"], true);
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Addr"]["String"], "127.0.0.1:9");
    }

    #[test]
    fn port_range_defaults() {
        assert_eq!(port_range(None, None), (10000, 25000));
        assert_eq!(port_range(Some("20000"), Some("20010")), (20000, 20010));
        assert_eq!(port_range(Some("bad"), None), (10000, 25000));
    }
}
