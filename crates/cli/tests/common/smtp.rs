//! A real SMTP server for delivery tests: Python's aiosmtpd (which
//! `.ci/run` installs), storing what it receives in a Maildir.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server, stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts aiosmtpd on a free port, or says why it cannot (and fails under
/// `CI=true`, where it must run).
pub fn start(dir: &Path) -> Option<SmtpServer> {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        let why =
            "python3 with aiosmtpd is not installed (`pip install aiosmtpd`; .ci/run does this)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the SMTP test cannot run under CI=true: {why}"
        );
        eprintln!("skipped: the SMTP delivery test needs {why}");
        return None;
    }
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let maildir = dir.join("maildir");
    let child = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(SmtpServer {
        child,
        port,
        maildir,
    })
}

impl SmtpServer {
    /// A settings file that sends e-mail through this server.
    pub fn config(&self) -> String {
        format!(
            "[delivery]\noutbox = \"outbox\"\nletters = \"letters\"\nclaims = \"claims\"\n\n\
             [delivery.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"debiteuren@tegoed.example\"\n",
            self.port
        )
    }

    /// Every mail received so far.
    pub fn mails(&self) -> Vec<String> {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|entries| {
                entries
                    .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How often each Message-ID arrived.
    pub fn message_ids(&self) -> BTreeMap<String, usize> {
        let mut ids = BTreeMap::new();
        for mail in self.mails() {
            let id = mail
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID:"))
                .expect("every mail has a Message-ID")
                .trim()
                .to_string();
            *ids.entry(id).or_default() += 1;
        }
        ids
    }
}
