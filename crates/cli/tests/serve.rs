//! `tegoed serve --demo`, the README's main command: demo data, a risk
//! model, demo users and a settings file on a fresh folder, the app
//! answering on the address it prints, and a second start that reuses all
//! of it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use common::Sandbox;
use serde_json::Value;

/// The server, killed when the test ends (also on a failure).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve --demo` on a free port; returns the server, its ready
/// line and what it wrote to stderr before it.
fn start(sandbox: &Sandbox) -> (Running, Value, String) {
    let log = sandbox.dir().join("serve.err");
    let mut child = sandbox
        .command(&[
            "--as-of",
            "2026-11-25",
            "--json",
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("tegoed starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let running = Running(child);
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    let ready: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("no ready line ({e}): {line:?}; stderr: {said}"));
    (running, ready, said)
}

/// One HTTP/1.1 request; returns status, headers and body.
fn http(addr: &str, request: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn get(addr: &str, path: &str, cookie: &str) -> (u16, String, String) {
    http(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    )
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Logs in like a browser; returns the session cookie.
fn login(addr: &str, email: &str, password: &str) -> String {
    let (_, head, body) = get(addr, "/login", "");
    let token = body
        .split("name=\"login_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a login token");
    let pre_cookie = head
        .lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let form = format!(
        "login_token={}&email={}&password={}",
        enc(token),
        enc(email),
        enc(password)
    );
    let (status, head, _) = http(
        addr,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {addr}\r\nCookie: {pre_cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    assert_eq!(status, 303, "login of {email}: {head}");
    head.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .filter_map(|c| c.split(';').next())
        .find(|c| c.starts_with("tegoed_session="))
        .expect("a session cookie")
        .to_string()
}

#[test]
fn serve_demo_is_all_a_fresh_folder_needs() {
    let sandbox = Sandbox::new();
    let (server, ready, said) = start(&sandbox);
    let url = ready["url"].as_str().unwrap();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let password = ready["password"].as_str().unwrap();
    let roles: Vec<&str> = ready["logins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l[1].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["admin", "credit_manager", "collector", "sales"]);
    assert!(said.contains("Demo data written"), "{said}");
    assert!(
        sandbox.dir().join("tegoed.toml").exists(),
        "a settings file to edit"
    );

    assert_eq!(get(&addr, "/healthz", "").0, 200);
    let credit = login(&addr, "credit@tegoed.example", password);
    let (status, _, today) = get(&addr, "/today", &credit);
    assert_eq!(status, 200);
    assert!(today.contains("<svg"), "the aging chart");
    let (status, _, settings) = get(&addr, "/settings", &credit);
    assert_eq!(status, 200);
    assert!(
        settings.contains("tegoed.toml"),
        "settings are saved to the file"
    );
    let sales_email = ready["logins"][3][0].as_str().unwrap();
    let sales = login(&addr, sales_email, password);
    assert_eq!(get(&addr, "/my", &sales).0, 200);
    drop(server);

    // A second start reuses the data, the users and the settings.
    let (_server, ready, said) = start(&sandbox);
    assert!(!said.contains("Demo data written"), "{said}");
    assert_eq!(ready["logins"].as_array().unwrap().len(), 4);
}
