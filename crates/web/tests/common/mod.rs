//! A Tegoed server on a free port with a fresh demo database, users of
//! every role, and a small HTTP/1.1 client over a TCP socket.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use tegoed_app::access::{self, NewUser, Role};
use tegoed_app::config::Config;
use tegoed_app::demo::{self, DemoConfig};
use tegoed_core::{Date, Language};
use tegoed_store::Store;
use tegoed_store_sqlite::SqliteStore;

pub const PASSWORD: &str = "correct horse battery";
pub const AS_OF: &str = "2026-11-25";

pub struct Server {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    /// Where the database is: a SQLite file or a PostgreSQL URL.
    pub db: Db,
    pub sales_email: String,
    pub state: Arc<tegoed_web::AppState>,
    /// The settings file, when the server runs on one.
    pub settings: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// The database of a test server: a SQLite file, or with
/// `TEGOED_TEST_BACKEND=postgres` a throw-away PostgreSQL database (so
/// every web test runs on either backend).
pub enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(tegoed_store_postgres::testing::Scratch),
}

impl Db {
    fn new(dir: &std::path::Path) -> Db {
        if tegoed_store_postgres::testing::suites_on_postgres() {
            Db::Postgres(tegoed_store_postgres::testing::required())
        } else {
            Db::Sqlite(dir.join("t.db"))
        }
    }

    /// Opens it (again: a second process would have its own handle);
    /// writers give up after `wait`.
    pub fn open(&self, wait: std::time::Duration) -> Arc<dyn Store> {
        match self {
            Db::Sqlite(path) => Arc::new(SqliteStore::open(path).unwrap().with_busy_wait(wait)),
            Db::Postgres(scratch) => Arc::new(
                tegoed_store_postgres::PostgresStore::open(&scratch.url)
                    .unwrap()
                    .with_lock_wait(wait),
            ),
        }
    }
}

/// The test harness acting as the command line would.
pub fn system() -> access::Actor {
    access::Actor::system("test", 0)
}

/// Imports a demo bank statement of `entries` payments (a realistic mix,
/// some of them for the payments queue; deterministic for `seed`).
#[allow(dead_code)]
pub fn import_demo_statement(
    server: &Server,
    entries: u32,
    seed: u64,
) -> tegoed_app::bank::StatementSummary {
    let statement = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::demo::statement(tx, as_of(), entries, seed)
    })
    .unwrap();
    tegoed_app::write_tx(server.store.as_ref(), |tx| {
        tegoed_app::bank::import_statement(
            tx,
            &system(),
            "bank.xml",
            statement.as_bytes(),
            &tegoed_app::Silent,
        )
    })
    .unwrap()
}

pub fn as_of() -> Date {
    Date::parse_iso(AS_OF).unwrap()
}

pub fn start(customers: u32) -> Server {
    start_with(customers, false)
}

/// [`start`], with `settings_file`: the server runs on a copy of the shipped
/// `tegoed.toml` in its folder (`Server::settings`), so settings can be
/// saved.
pub fn start_with(customers: u32, settings_file: bool) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::new(dir.path());
    // Writers give up after half a second (ten in production), so the
    // tests of a busy database need not wait long.
    let store = db.open(std::time::Duration::from_millis(500));
    let actor = system();
    tegoed_app::write_tx(store.as_ref(), |tx| {
        demo::fill(
            tx,
            &actor,
            &DemoConfig {
                customers,
                seed: 7,
                as_of: as_of(),
            },
            &tegoed_app::Silent,
        )
    })
    .unwrap();
    let settings = dir.path().join("tegoed.toml");
    let config = if settings_file {
        std::fs::write(&settings, tegoed_app::config::DEFAULT_CONFIG).unwrap();
        Config::load(&settings).unwrap()
    } else {
        Config::default_in(dir.path())
    };
    tegoed_app::risk::train(store.as_ref(), &actor, &config.risk, as_of(), None, None).unwrap();
    let sales_email = {
        let mut tx = store.read().unwrap();
        tx.account_managers()
            .unwrap()
            .into_iter()
            .find_map(|(_, m)| m.email.map(|e| e.as_str().to_string()))
            .unwrap()
    };
    for (email, role) in [
        ("admin@t.example", Role::Admin),
        ("credit@t.example", Role::CreditManager),
        ("collector@t.example", Role::Collector),
        (sales_email.as_str(), Role::Sales),
    ] {
        tegoed_app::write_tx(store.as_ref(), |tx| {
            access::add_user(
                tx,
                &actor,
                &NewUser {
                    email,
                    name: None,
                    role,
                    language: Language::En,
                    password: PASSWORD,
                    account_manager: None,
                },
            )
        })
        .unwrap();
    }
    let state = tegoed_web::AppState::new(tegoed_web::Settings {
        store: store.clone(),
        config,
        config_path: settings_file.then(|| settings.clone()),
        as_of: Some(as_of()),
        secure_cookies: false,
    })
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let serving = state.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(tegoed_web::serve(
                serving,
                "127.0.0.1:0".parse().unwrap(),
                move |addr| {
                    tx.send(addr).unwrap();
                },
            ))
            .unwrap();
    });
    let addr = rx.recv().unwrap();
    Server {
        addr,
        store,
        db,
        sales_email,
        state,
        settings,
        _dir: dir,
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn cookies(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| {
                v.split(';')
                    .next()?
                    .split_once('=')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
            })
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> Resp {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some((content_type, body)) = body {
        text.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        text.push_str("\r\n");
    }
    stream.write_all(text.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut rest = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let end = at + rest[at..].windows(2).position(|w| w == b"\r\n").unwrap();
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[at..end]).unwrap().trim(), 16)
                    .unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[end + 2..end + 2 + size]);
            at = end + 2 + size + 2;
        }
        rest = out;
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&rest).to_string(),
    }
}

/// Percent-encodes a form value.
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A logged-in browser: the session cookie and the CSRF token.
pub struct Client {
    pub addr: SocketAddr,
    pub cookie: String,
    pub csrf: String,
}

pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..start + html[start..].find('"')?].to_string())
}

pub fn login(addr: SocketAddr, email: &str) -> Client {
    let page = request(addr, "GET", "/login", &[], None);
    let token = hidden(&page.body, "login_token").unwrap();
    let cookie = format!("tegoed_login={token}");
    let resp = request(
        addr,
        "POST",
        "/login",
        &[("Cookie", &cookie)],
        Some((
            "application/x-www-form-urlencoded",
            &form(&[
                ("login_token", &token),
                ("email", email),
                ("password", PASSWORD),
                ("next", "/customers"),
            ]),
        )),
    );
    assert_eq!(resp.status, 303, "login of {email}: {}", resp.body);
    let session = resp
        .cookies()
        .into_iter()
        .find(|(k, _)| k == "tegoed_session")
        .expect("a session cookie");
    let cookie = format!("tegoed_session={}", session.1);
    let page = request(addr, "GET", "/customers", &[("Cookie", &cookie)], None);
    let csrf = hidden(&page.body, "csrf").expect("a CSRF token on the page");
    Client { addr, cookie, csrf }
}

impl Client {
    pub fn get(&self, path: &str) -> Resp {
        request(self.addr, "GET", path, &[("Cookie", &self.cookie)], None)
    }

    /// Posts a form with the CSRF token.
    pub fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        request(
            self.addr,
            "POST",
            path,
            &[("Cookie", &self.cookie)],
            Some(("application/x-www-form-urlencoded", &form(&all))),
        )
    }

    /// Posts a form without the CSRF token.
    pub fn post_bare(&self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        request(
            self.addr,
            "POST",
            path,
            &[("Cookie", &self.cookie)],
            Some(("application/x-www-form-urlencoded", &form(pairs))),
        )
    }
}

/// Waits until the dunning run started from `client`'s server has ended
/// (the progress page says `done` or `failed`) and returns that page.
pub fn wait_for_run(client: &Client) -> Resp {
    for _ in 0..600 {
        let page = client.get("/dunning/progress");
        if !page.body.contains("data-state=\"running\"") {
            return page;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the dunning run did not end within a minute");
}
