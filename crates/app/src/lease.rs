//! Run leases: at most one dunning run at a time, across processes and
//! servers that share a database.
//!
//! A run takes the lease before it touches any message and gives it up when
//! it ends; a second run finds it taken and reports who started the first
//! and when. The holder renews the lease while it works. A lease may be
//! taken over only when its holder is verifiably gone: it expired (nobody
//! renewed it for [`TTL_SECONDS`]), or it was taken on this host by a process
//! that is no longer running (a run killed with `kill -9`, say, so that the
//! next run can go on at once).
//!
//! The lease is the first guard; the second is that a deliverer claims each
//! message with a conditional update before sending it
//! ([`tegoed_store::CollectionTx::claim_message`]), so even two deliverers
//! that both believe they hold the lease cannot send one message twice.
//!
//! Times are Unix seconds from a clock the edge hands in: this crate does
//! not read the clock itself.

use tegoed_store::{Lease, Store};

use crate::{AppError, Result};

/// How long a lease lasts without renewal. A run renews it at least every
/// few seconds while it delivers; two minutes leave room for a slow SMTP
/// server (whose timeout is 30 s) without keeping a crashed run's lease long.
pub const TTL_SECONDS: i64 = 120;

/// A clock in Unix seconds, given by the edge (CLI or web).
pub type Clock = fn() -> i64;

/// A lease held by this process; given up when dropped.
pub struct Held<'s> {
    store: &'s dyn Store,
    lease: Lease,
    clock: Clock,
    renewed_at: i64,
}

/// This machine's name, to tell whether a lease holder's process can be
/// checked here.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "localhost".into())
}

/// Whether process `pid` runs on this machine. Where that cannot be told
/// (no `/proc`), it is assumed to run, so only expiry frees its lease.
fn process_runs(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

/// A Unix time as `2026-12-02 10:02 UTC`.
pub fn format_unix(seconds: i64) -> String {
    let day = tegoed_core::Date::from_days_since_epoch(seconds.div_euclid(86_400) as i32);
    let in_day = seconds.rem_euclid(86_400);
    format!("{day} {:02}:{:02} UTC", in_day / 3_600, in_day % 3_600 / 60)
}

/// Takes the lease `name` for `who` (a user or the OS user of the CLI), or
/// fails with [`AppError::Busy`] naming the holder and when they started.
pub fn acquire<'s>(store: &'s dyn Store, name: &str, who: &str, clock: Clock) -> Result<Held<'s>> {
    let host = host_name();
    let pid = std::process::id();
    let now = clock();
    let lease = Lease {
        name: name.to_string(),
        token: crate::access::random_hex(16)?,
        holder: format!("{who} ({host}, process {pid})"),
        host: host.clone(),
        pid,
        started_at: now,
        expires_at: now + TTL_SECONDS,
    };
    let in_progress = |current: &Lease| {
        AppError::Busy(format!(
            "a {name} run is in progress, started by {} at {}; try again when it has finished",
            current.holder,
            format_unix(current.started_at)
        ))
    };
    let mut tx = store.write()?;
    let taken = match tx.lease(name)? {
        None => tx.put_lease(&lease, None)?,
        Some(current) => {
            let gone = current.expires_at <= now
                || (current.host == host && current.pid != pid && !process_runs(current.pid));
            if !gone {
                return Err(in_progress(&current));
            }
            tx.put_lease(&lease, Some(&current.token))?
        }
    };
    if !taken {
        // Someone else took it between our look and our write (writers run
        // side by side on PostgreSQL): say who, as for a run in progress.
        return Err(match tx.lease(name)? {
            Some(current) => in_progress(&current),
            None => AppError::Busy(format!(
                "another {name} run started at the same moment; try again when it has finished"
            )),
        });
    }
    tx.commit()?;
    Ok(Held {
        store,
        lease,
        clock,
        renewed_at: now,
    })
}

impl Held<'_> {
    /// The token claims are made with.
    pub fn token(&self) -> &str {
        &self.lease.token
    }

    /// Renews the lease when a few seconds have passed since the last time;
    /// fails when it was lost (expired and taken over), so the run stops
    /// before it delivers anything more.
    pub fn renew(&mut self) -> Result<()> {
        let now = (self.clock)();
        if now - self.renewed_at < 5 {
            return Ok(());
        }
        let mut renewed = self.lease.clone();
        renewed.expires_at = now + TTL_SECONDS;
        let mut tx = self.store.write()?;
        if !tx.put_lease(&renewed, Some(&self.lease.token))? {
            return Err(AppError::Busy(format!(
                "this {} run lost its lease (it was not renewed for {TTL_SECONDS} s and another run took over); it stopped delivering",
                self.lease.name
            )));
        }
        tx.commit()?;
        self.lease = renewed;
        self.renewed_at = now;
        Ok(())
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Ok(mut tx) = self.store.write()
            && tx
                .release_lease(&self.lease.name, &self.lease.token)
                .is_ok()
        {
            let _ = tx.commit();
        }
    }
}
