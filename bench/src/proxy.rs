//! The AWS call proxy (`scripts/aws-proxy.py`) between both providers and moto: it counts
//! calls (mutating or read, by action) and can add a fixed latency to each.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use acceptance_tests::repo_root;
use serde_json::Value;

/// One proxy process, killed on drop.
pub struct Proxy {
    child: Child,
    port: u16,
    /// The proxy's JSON-lines call log, read for the HTTP status of each call.
    log: PathBuf,
    /// Where the log stood at the last reset.
    log_offset: Cell<u64>,
}

/// Calls seen since the last reset.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    pub total: u64,
    pub mutating: u64,
    pub read: u64,
    pub faults: u64,
    /// Answers other than 2xx, as (`service:Action status`, count), from the log.
    pub errors: Vec<(String, u64)>,
    /// `service:Action`-style keys as the proxy reports them, with counts.
    pub by_action: Value,
}

impl Proxy {
    /// Starts the proxy in front of `upstream`, logging each call to `log`.
    pub fn start(upstream: &str, log: &Path, latency_ms: u64) -> Proxy {
        let mut command = Command::new(repo_root().join(".tools/venv/bin/python"));
        command
            .arg(repo_root().join("scripts/aws-proxy.py"))
            .args(["--upstream", upstream, "--host", "127.0.0.1", "--port", "0"])
            .arg("--log")
            .arg(log);
        if latency_ms > 0 {
            command.args(["--latency-ms", &latency_ms.to_string()]);
        }
        let stderr = std::fs::File::create(log.with_extension("stderr")).expect("proxy stderr");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start scripts/aws-proxy.py");
        let mut stdout = BufReader::new(child.stdout.take().expect("proxy stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("proxy start line");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("aws-proxy.py printed {line:?}, not `listening on <port>`"));
        // Keep draining stdout so the proxy never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stdout.read_to_end(&mut sink);
        });
        Proxy {
            child,
            port,
            log: log.to_path_buf(),
            log_offset: Cell::new(0),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Zeroes the counters.
    pub fn reset(&self) {
        request(self.port, "POST", "/__proxy/reset").expect("reset the proxy");
        let end = std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0);
        self.log_offset.set(end);
    }

    /// Counters since the last reset.
    pub fn calls(&self) -> Calls {
        let body = request(self.port, "GET", "/__proxy/stats").expect("proxy stats");
        let stats: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("proxy stats are not JSON ({e}): {body}"));
        let n = |k: &str| stats[k].as_u64().unwrap_or(0);
        let (errors, _) = errors_since(&self.log, self.log_offset.get());
        Calls {
            errors,
            total: n("calls"),
            mutating: n("mutating"),
            read: n("read"),
            faults: n("faults"),
            by_action: stats["by_action"].clone(),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with `Connection: close`; the body of a 2xx answer.
fn request(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let ok = head
        .split_whitespace()
        .nth(1)
        .is_some_and(|code| code.starts_with('2'));
    if !ok {
        return Err(std::io::Error::other(format!(
            "{method} {path}: {}",
            head.lines().next().unwrap_or_default()
        )));
    }
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Ok(dechunk(body));
    }
    Ok(body.to_string())
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Non-2xx answers in the proxy's JSON-lines log from byte `from` on, by action, and the new
/// end offset. The log is the proxy's; its `status` field is the upstream's HTTP status.
pub fn errors_since(log: &Path, from: u64) -> (Vec<(String, u64)>, u64) {
    let text = std::fs::read(log).unwrap_or_default();
    let end = text.len() as u64;
    let start = (from as usize).min(text.len());
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for line in String::from_utf8_lossy(&text[start..]).lines() {
        let Ok(call) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let status = call["status"].as_u64().unwrap_or(0);
        if !(200..300).contains(&status) {
            let key = format!(
                "{}:{} {status}",
                call["service"].as_str().unwrap_or("?"),
                call["action"].as_str().unwrap_or("?")
            );
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    (counts.into_iter().collect(), end)
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), "abcde");
    }
}
