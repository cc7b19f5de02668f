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
