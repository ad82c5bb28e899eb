//! `tegoed serve` as a child process, and a browser's requests to it over
//! plain HTTP/1.1 (login with the double-submit token, forms with the
//! session's CSRF token).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use serde_json::Value;

use super::Sandbox;

/// A server, killed when dropped (also on a failure).
pub struct Running {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The ready line `serve --json` prints.
    pub ready: Value,
    /// What it wrote to stderr before it was ready.
    pub said: String,
    /// Where its stderr goes.
    log: std::path::PathBuf,
}

impl Running {
    /// Everything it wrote to stderr so far (its log).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tegoed [global…] --json serve [serve…] --addr 127.0.0.1:0` in the
/// sandbox and waits for its ready line.
pub fn serve(sandbox: &Sandbox, global: &[&str], serve: &[&str]) -> Running {
    static SERVERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let log = sandbox.dir().join(format!(
        "serve-{}-{}.err",
        std::process::id(),
        SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut args: Vec<&str> = global.to_vec();
    args.extend(["--json", "serve"]);
    args.extend(serve);
    args.extend(["--addr", "127.0.0.1:0"]);
    let mut child = sandbox
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("tegoed starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    let ready: Value = match serde_json::from_str(&line) {
        Ok(ready) => ready,
        Err(e) => {
            let _ = child.kill();
            panic!("no ready line ({e}): {line:?}; stderr: {said}")
        }
    };
    let addr = ready["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    Running {
        child,
        addr,
        ready,
        said,
        log,
    }
}

/// One HTTP/1.1 request; returns status, head and body.
pub fn http(addr: &str, request: &str) -> (u16, String, String) {
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

pub fn get(addr: &str, path: &str, cookie: &str) -> (u16, String, String) {
    http(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    )
}

/// Posts a form (already encoded).
pub fn post(addr: &str, path: &str, cookie: &str, form: &str) -> (u16, String, String) {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    )
}

pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of a hidden form field.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_string)
}

fn set_cookies(head: &str) -> impl Iterator<Item = &str> {
    head.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .filter_map(|c| c.split(';').next())
}

/// Logs in like a browser; returns the session cookie.
pub fn login(addr: &str, email: &str, password: &str) -> String {
    let (_, head, body) = get(addr, "/login", "");
    let token = hidden(&body, "login_token").expect("a login token");
    let pre_cookie = set_cookies(&head).collect::<Vec<_>>().join("; ");
    let form = format!(
        "login_token={}&email={}&password={}",
        enc(&token),
        enc(email),
        enc(password)
    );
    let (status, head, _) = post(addr, "/login", &pre_cookie, &form);
    assert_eq!(status, 303, "login of {email}: {head}");
    set_cookies(&head)
        .find(|c| c.starts_with("tegoed_session="))
        .expect("a session cookie")
        .to_string()
}

/// The session's CSRF token, read from a page.
pub fn csrf(addr: &str, cookie: &str) -> String {
    let (_, _, body) = get(addr, "/customers", cookie);
    hidden(&body, "csrf").expect("a CSRF token on the page")
}
