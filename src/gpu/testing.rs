//! Test support: the device every GPU unit test runs on. Without an adapter a test prints a
//! notice and passes, unless SKYSINK_REQUIRE_GPU=1 (CI), where that is a failure.

use super::{Choice, ContextOptions, GpuContext, pick};
use crate::error::Error;

pub fn context() -> Option<GpuContext> {
    context_with(ContextOptions::default())
}

pub fn context_with(options: ContextOptions) -> Option<GpuContext> {
    let require = std::env::var("SKYSINK_REQUIRE_GPU").is_ok_and(|v| v == "1");
    let opened = pick(Choice::Gpu)
        .and_then(|c| c.ok_or_else(|| Error::Solver("no adapter".to_string())))
        .and_then(|c| GpuContext::new(&c, options));
    match opened {
        Ok(ctx) => Some(ctx),
        Err(err) if require => panic!("SKYSINK_REQUIRE_GPU=1 but no usable GPU adapter: {err}"),
        Err(err) => {
            eprintln!("notice: GPU test skipped, no usable adapter: {err}");
            None
        }
    }
}
