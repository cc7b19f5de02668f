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
