//! The one "GPU or skip" rule of every GPU test, unit and end to end (tests/common re-exports
//! it): a test runs on the adapter `--backend gpu` would take; without one it prints a notice
//! and passes, unless SKYSINK_REQUIRE_GPU=1 (CI), where a missing adapter is a failure.

use super::{Candidate, Choice, ContextOptions, GpuContext, pick};
use crate::error::{Error, Result};

fn required() -> bool {
    std::env::var("SKYSINK_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

fn or_skip<T>(what: &str, found: Result<T>) -> Option<T> {
    match found {
        Ok(found) => Some(found),
        Err(err) if required() => panic!("SKYSINK_REQUIRE_GPU=1 but no usable GPU adapter: {err}"),
        Err(err) => {
            eprintln!("notice: {what} skipped, no usable GPU adapter: {err}");
            None
        }
    }
}

/// The adapter `--backend gpu` takes, or None (after the notice) for the test `what`.
pub fn adapter_or_skip(what: &str) -> Option<Candidate> {
    let found = pick(Choice::Gpu)
        .and_then(|c| c.ok_or_else(|| Error::Solver("wgpu finds no adapter".to_string())));
    or_skip(what, found)
}

/// A device opened with `options` on that adapter, or None (after the notice).
pub fn context_or_skip(what: &str, options: ContextOptions) -> Option<GpuContext> {
    let candidate = adapter_or_skip(what)?;
    or_skip(what, GpuContext::new(&candidate, options))
}

/// [`context_or_skip`] with the default options, for unit tests.
pub fn context() -> Option<GpuContext> {
    context_or_skip("GPU test", ContextOptions::default())
}

/// [`context_or_skip`] for unit tests.
pub fn context_with(options: ContextOptions) -> Option<GpuContext> {
    context_or_skip("GPU test", options)
}
