//! Progress reporting for long use cases, without knowing about terminals:
//! the CLI plugs in a progress bar, tests and the web plug in nothing.

/// Receives progress of a long piece of work.
pub trait Progress {
    /// A new phase begins with `total` units of work (0 = unknown).
    fn start(&self, what: &str, total: u64);
    fn advance(&self, units: u64);
    fn finish(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _what: &str, _total: u64) {}
    fn advance(&self, _units: u64) {}
    fn finish(&self) {}
}
