//! The built binary as a user or Terraform starts it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

#[test]
fn started_by_hand_it_says_it_is_a_plugin() {
    let output = Command::new(BINARY)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn refuses_a_client_without_protocol_six() {
    let output = Command::new(BINARY)
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("speaks only version 6"));
}

#[test]
fn handshake_line_with_tls_certificate() {
    let client = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let started = Instant::now();
    let mut child = Command::new(BINARY)
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "6,5")
        .env("PLUGIN_MIN_PORT", "20000")
        .env("PLUGIN_MAX_PORT", "29999")
        .env("PLUGIN_CLIENT_CERT", client.cert.pem())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let elapsed = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "{line}");
    assert_eq!(&fields[..3], ["1", "6", "tcp"]);
    let port: u16 = fields[3]
        .strip_prefix("127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert!((20000..=29999).contains(&port));
    assert_eq!(fields[4], "grpc");
    assert!(
        fields[5].len() > 50 && !fields[5].contains('='),
        "unpadded base64 certificate"
    );
    assert!(elapsed < Duration::from_secs(30));
}

#[test]
fn debug_mode_prints_reattach_configuration() {
    let mut child = Command::new(BINARY)
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = BufReader::new(child.stdout.take().unwrap());
    let line = reader
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("TF_REATTACH_PROVIDERS"))
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let json = line.split_once('\'').unwrap().1.trim_end_matches('\'');
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let entry = &value["example.local/acme/platform"];
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Addr"]["Network"], "tcp");
}
