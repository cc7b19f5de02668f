//! Phase timings on standard error when `SKYSINK_TRACE` is set: where a run spends its time
//! (load, build, multigrid set-up, uploads, Newton steps), for profiling large meshes.

use std::sync::OnceLock;
use std::time::Instant;

/// Whether `SKYSINK_TRACE` is set (read once).
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("SKYSINK_TRACE").is_some())
}

/// Prints how long `what` took since `start`, when tracing.
pub fn phase(what: &str, start: Instant) {
    if enabled() {
        eprintln!("trace: {what}: {:.3} s", start.elapsed().as_secs_f64());
    }
}

/// Durations of the consecutive steps of one task, printed on one line when tracing.
pub struct Steps {
    last: Instant,
    parts: Vec<(&'static str, f64)>,
}

impl Default for Steps {
    fn default() -> Self {
        Steps {
            last: Instant::now(),
            parts: Vec::new(),
        }
    }
}

impl Steps {
    /// Records step `what` as the time since the previous step ended (or since `default`).
    pub fn end(&mut self, what: &'static str) {
        let now = Instant::now();
        self.parts.push((what, (now - self.last).as_secs_f64()));
        self.last = now;
    }

    /// Prints `heading: step 0.123 s, step 0.456 s, ...`, when tracing.
    pub fn print(&self, heading: &str) {
        if enabled() {
            let parts: Vec<String> = self
                .parts
                .iter()
                .map(|(what, seconds)| format!("{what} {seconds:.3} s"))
                .collect();
            eprintln!("trace: {heading}: {}", parts.join(", "));
        }
    }
}
