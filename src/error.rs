//! The library's one error type. `main` maps it to an exit status: input problems are 2,
//! solver and device problems are 3.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario or the command line is wrong; the message says where and what is allowed.
    #[error("{0}")]
    Input(String),
    /// The model was valid but could not be solved (or the device refused it).
    #[error("{0}")]
    Solver(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) => 2,
            Error::Solver(_) => 3,
        }
    }

    pub fn io(path: &Path, what: &str, err: &std::io::Error) -> Error {
        Error::Input(format!("{}: cannot {what}: {err}", path.display()))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Where in a scenario file something is: the file and the key path.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

/// A number as a message quotes it: Rust's shortest round-trip form, in scientific notation when
/// very small or large (1e-300 rather than three hundred zeros).
pub struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x != 0.0 && x.is_finite() && !(1e-4..1e9).contains(&x.abs()) {
            write!(f, "{x:e}")
        } else {
            write!(f, "{x}")
        }
    }
}

/// Bytes as a message quotes them in GiB: one decimal, in scientific notation beyond a million.
pub fn gib(bytes: f64) -> String {
    let gib = bytes / 1024f64.powi(3);
    if gib < 1e6 {
        format!("{gib:.1}")
    } else {
        format!("{gib:.1e}")
    }
}
