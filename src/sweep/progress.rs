//! The sweep's progress bar: on standard error, only on a terminal, never with `--quiet`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `points` with the time left; hidden when quiet or when stderr is not a terminal.
pub fn bar(points: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(points), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "skysink: {bar:40} {pos}/{len} points, {elapsed} elapsed, about {eta} left",
    ) {
        bar.set_style(style);
    }
    bar
}
