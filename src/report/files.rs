//! Output files of the command line: each refused before any solving (exit 2) when it cannot be
//! written, when it would overwrite an input or another output, or when a transient's `.pvd`
//! series would write its frames over one of them; and the result files a solve writes.

use std::path::{Path, PathBuf};

use super::transient::{Frame, TimeSeries};
use super::vtu::{write_pvd, write_vtu};
use super::{maps, write_cell_csv, write_series_csv};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::scenario::Scenario;
use crate::solve::transient::MAX_FRAMES;

/// Write a JSON document (one line break after it) to `json`, or to standard output for "-".
pub fn write_json(json: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let text = format!("{text}\n");
    if is_stdout(json) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe is the reader's choice, not an error of the run.
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        Ok(())
    } else {
        write_file(json, text.as_bytes(), "json")
    }
}

/// The result files a solve writes beside its report: `--csv` (cells, or a transient's time
/// series), `--vtu` (the cell field, or a transient's `.pvd` series of frames) and `--png`
/// (panel maps).
pub struct ResultFiles<'a> {
    pub csv: Option<&'a Path>,
    pub vtu: Option<&'a Path>,
    pub png: Option<&'a Path>,
}

/// What the result files are made of: the model and temperatures at the end, and a
/// transient's series and frames.
pub struct Results<'a> {
    pub scenario: &'a Scenario,
    pub model: &'a Model,
    pub temperatures_k: &'a [f64],
    pub series: Option<&'a TimeSeries>,
    pub frames: &'a [Frame],
}

impl ResultFiles<'_> {
    pub fn write(&self, results: &Results) -> Result<()> {
        let (model, t) = (results.model, results.temperatures_k);
        if let Some(csv) = self.csv {
            let mut buffer = Vec::new();
            match results.series {
                Some(series) => write_series_csv(series, &mut buffer),
                None => write_cell_csv(model, t, &mut buffer),
            }
            .map_err(|e| Error::Input(format!("--csv {}: {e}", csv.display())))?;
            write_file(csv, &buffer, "csv")?;
        }
        if let Some(vtu) = self.vtu {
            if results.frames.is_empty() {
                let mut buffer = Vec::new();
                write_vtu(model, t, &mut buffer)
                    .map_err(|e| Error::Input(format!("--vtu {}: {e}", vtu.display())))?;
                write_file(vtu, &buffer, "vtu")?;
            } else {
                write_series(vtu, model, results.frames)?;
            }
        }
        if let Some(png) = self.png {
            let bytes = maps::panel_maps_png(results.scenario, model, t)?;
            write_file(png, &bytes, "png")?;
        }
        Ok(())
    }
}

/// The folder and name of a `.pvd` series' frame `k`.
pub fn frame_file(pvd: &Path, k: usize) -> (PathBuf, String) {
    let stem = pvd
        .file_stem()
        .map_or_else(|| "frame".into(), |s| s.to_string_lossy().into_owned());
    let folder = pvd.parent().unwrap_or(Path::new("")).to_path_buf();
    (folder, format!("{stem}_{k:04}.vtu"))
}

/// Refuse a transient's `--vtu` series whose frame files would overwrite the input or another
/// output (exit 2, before solving).
pub fn check_frames(pvd: &Path, others: &[(Option<&Path>, &str)]) -> Result<()> {
    let taken: Vec<(FileIdentity, &Path, &str)> = others
        .iter()
        .filter_map(|&(path, what)| {
            let path = path.filter(|p| !is_stdout(p))?;
            Some((file_identity(path)?, path, what))
        })
        .collect();
    for k in 0..=MAX_FRAMES + 1 {
        let (folder, name) = frame_file(pvd, k);
        let Some(frame) = file_identity(&folder.join(&name)) else {
            continue;
        };
        if let Some((_, path, what)) = taken.iter().find(|(other, ..)| *other == frame) {
            return Err(Error::Input(format!(
                "--vtu {}: the series writes its frames beside it ({name} among them), which would overwrite {what} {}; give another file name",
                pvd.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Refuse an output path that cannot be written, before any solving (exit 2).
pub fn check_writable(path: &Path, flag: &str) -> Result<()> {
    if is_stdout(path) {
        return Ok(());
    }
    let refuse = |why: String| Error::Input(format!("--{flag} {}: {why}", path.display()));
    if path.is_dir() {
        return Err(refuse("is a folder; give a file name".into()));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(refuse(format!(
            "the folder {} does not exist",
            parent.display()
        )));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| refuse(format!("cannot be written: {e}")))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

pub fn write_file(path: &Path, contents: &[u8], flag: &str) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| {
        Error::Input(format!(
            "--{flag} {}: cannot be written: {e}",
            path.display()
        ))
    })
}

/// Refuse "-" for a file flag other than --json, unwritable paths, an output that would
/// overwrite an input file, and two outputs to one file, before solving.
pub fn check_outputs(inputs: &[&Path], files: &[(Option<&Path>, &str)]) -> Result<()> {
    let mut taken: Vec<(FileIdentity, String)> = inputs
        .iter()
        .filter_map(|input| Some((file_identity(input)?, input.display().to_string())))
        .collect();
    let inputs_len = taken.len();
    for &(file, flag) in files {
        if let Some(file) = file {
            if flag != "json" && is_stdout(file) {
                return Err(Error::Input(format!(
                    "--{flag} needs a file name; \"-\" is allowed only for --json"
                )));
            }
            let Some(identity) = file_identity(file).filter(|_| !is_stdout(file)) else {
                check_writable(file, flag)?;
                continue;
            };
            if let Some(k) = taken.iter().position(|(other, _)| *other == identity) {
                let what = if k < inputs_len {
                    format!("is the input file {}; it would be overwritten", taken[k].1)
                } else {
                    format!("is also the file of {}", taken[k].1)
                };
                return Err(Error::Input(format!(
                    "--{flag} {}: {what}; give another file name",
                    file.display()
                )));
            }
            check_writable(file, flag)?;
            taken.push((identity, format!("--{flag}")));
        }
    }
    Ok(())
}

/// What a file name stands for, so that two spellings of one file compare equal: an existing
/// file's device and inode (hard links included), else the absolute path with its folder
/// resolved (links included); None when the folder does not exist.
#[derive(PartialEq)]
pub enum FileIdentity {
    Existing(u64, u64),
    Path(PathBuf),
}

pub fn file_identity(path: &Path) -> Option<FileIdentity> {
    if let Ok(existing) = path.canonicalize() {
        #[cfg(unix)]
        if let Ok(meta) = std::fs::metadata(&existing) {
            use std::os::unix::fs::MetadataExt;
            return Some(FileIdentity::Existing(meta.dev(), meta.ino()));
        }
        return Some(FileIdentity::Path(existing));
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(FileIdentity::Path(
        folder.canonicalize().ok()?.join(path.file_name()?),
    ))
}

/// A transient's `--vtu FILE`: FILE is a ParaView `.pvd` collection of one `.vtu` per kept
/// frame, written next to it as `<stem>_<k>.vtu`.
fn write_series(path: &Path, model: &Model, frames: &[Frame]) -> Result<()> {
    let mut frame_model = model.clone();
    let mut entries = Vec::new();
    for (k, frame) in frames.iter().enumerate() {
        let (folder, name) = frame_file(path, k);
        let t: Vec<f64> = frame.temperatures_k.iter().map(|&x| f64::from(x)).collect();
        for (a, &w) in frame_model.absorbed_w.iter_mut().zip(&frame.absorbed_w) {
            *a = f64::from(w);
        }
        frame_model.outer_absorbed_w = frame
            .outer_absorbed_w
            .iter()
            .map(|s| s.map(f64::from))
            .collect();
        let mut buffer = Vec::new();
        write_vtu(&frame_model, &t, &mut buffer)
            .map_err(|e| Error::Input(format!("--vtu {}: {e}", path.display())))?;
        write_file(&folder.join(&name), &buffer, "vtu")?;
        entries.push((frame.time_s, name));
    }
    let mut buffer = Vec::new();
    write_pvd(&entries, &mut buffer)
        .map_err(|e| Error::Input(format!("--vtu {}: {e}", path.display())))?;
    write_file(path, &buffer, "vtu")
}
