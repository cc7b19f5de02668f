//! The command line only: parse, call the library, print, map errors to exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use skysink::scenario::BackendChoice;
use skysink::{Error, Result};

#[derive(Parser)]
#[command(
    name = "skysink",
    version,
    about = "Thermal verdicts for spacecraft radiators carrying AI chips"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Auto,
    Cpu,
    Gpu,
}

#[derive(Subcommand)]
enum Command {
    /// Solve a scenario and report a verdict per payload.
    Solve {
        scenario: PathBuf,
        /// Backend; overrides solve.backend in the scenario.
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
        /// Write the JSON report to FILE, or to standard output with "-".
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Write one row per cell (panel, i, j, centre, temperature, absorbed, emitted).
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// No first line, progress or human report; errors and requested files still appear.
        #[arg(long)]
        quiet: bool,
    },
    /// Validate a scenario without solving it.
    Check { scenario: PathBuf },
    /// Trace the view factors between panel sides (the scenario's [radiation], or its defaults).
    Viewfactors {
        scenario: PathBuf,
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
        /// Write the view factors as JSON to FILE, or to standard output with "-".
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        #[arg(long)]
        quiet: bool,
    },
    /// Solve generated radiators (two heat pipes, four H100s) of the given sizes and time them.
    Bench {
        /// Cell counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [10_000usize, 100_000, 1_000_000])]
        cells: Vec<usize>,
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendArg,
        /// Write the table as JSON to FILE, or to standard output with "-".
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        #[arg(long)]
        quiet: bool,
    },
    /// List the GPU adapters, best first, and say which one each backend choice takes.
    Devices {
        /// Write the list as JSON to FILE, or to standard output with "-".
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
}

/// The Vulkan and EGL loaders print "error: XDG_RUNTIME_DIR is invalid or not set" on standard
/// error when that folder is missing, which would break the contract that our first line comes
/// first. Point it at the temporary folder when it is unset or not a folder.
fn quiet_graphics_loaders() {
    let valid = std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| Path::new(&dir).is_dir());
    if !valid {
        // SAFETY: called first thing in main, before any other thread exists.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
}

fn main() -> ExitCode {
    quiet_graphics_loaders();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Solve {
            scenario,
            backend,
            json,
            csv,
            quiet,
        } => solve(&scenario, backend, json.as_deref(), csv.as_deref(), quiet),
        Command::Check { scenario } => check(&scenario),
        Command::Viewfactors {
            scenario,
            backend,
            json,
            quiet,
        } => viewfactors(&scenario, backend, json.as_deref(), quiet),
        Command::Devices { json } => devices(json.as_deref()),
        Command::Bench {
            cells,
            backend,
            json,
            quiet,
        } => bench(&cells, backend, json.as_deref(), quiet),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("skysink: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn check(path: &Path) -> Result<u8> {
    let loaded = skysink::load(path)?;
    let model = skysink::build(&loaded)?;
    println!(
        "{}: valid: \"{}\", {} panels, {} cells, {} heat pipes, {} links, {} fixed regions, {} payloads",
        path.display(),
        loaded.scenario.name,
        model.panels.len(),
        model.n_cells,
        model.heat_pipes.len(),
        model.links.len(),
        model.fixed_regions.len(),
        model.payloads.len()
    );
    Ok(0)
}

fn backend_choice(arg: BackendArg) -> BackendChoice {
    match arg {
        BackendArg::Auto => BackendChoice::Auto,
        BackendArg::Cpu => BackendChoice::Cpu,
        BackendArg::Gpu => BackendChoice::Gpu,
    }
}

fn bench(cells: &[usize], backend: BackendArg, json: Option<&Path>, quiet: bool) -> Result<u8> {
    if let Some(bad) = cells.iter().find(|&&n| n == 0) {
        return Err(Error::Input(format!(
            "--cells {bad}: each size must be at least 1 cell"
        )));
    }
    if let Some(json) = json {
        check_writable(json, "json")?;
    }
    let backend = skysink::choose_backend(backend_choice(backend))?;
    if !quiet {
        eprintln!("{}", backend.describe());
    }
    let rows = skysink::bench::run(cells, &backend, |row| {
        if !quiet {
            eprintln!(
                "skysink: bench: {} cells solved in {:.3} s",
                row.cells, row.wall_s
            );
        }
    })?;
    let text = skysink::bench::table(&rows);
    let to_stdout = json.is_some_and(is_stdout);
    if !quiet {
        if to_stdout {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }
    if let Some(json) = json {
        let document = serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
        if to_stdout {
            print!("{document}");
        } else {
            write_file(json, document.as_bytes(), "json")?;
        }
    }
    Ok(0)
}

fn devices(json: Option<&Path>) -> Result<u8> {
    if let Some(json) = json {
        check_writable(json, "json")?;
    }
    let list = skysink::solve::gpu::devices();
    let auto_pick = list.iter().position(|d| !d.is_cpu());
    let text = skysink::report::devices_table(&list, auto_pick);
    match json {
        Some(json) => {
            let document = skysink::report::devices_json(&list, auto_pick);
            if is_stdout(json) {
                eprint!("{text}");
                println!("{document}");
            } else {
                print!("{text}");
                write_file(json, (document + "\n").as_bytes(), "json")?;
            }
        }
        None => print!("{text}"),
    }
    Ok(0)
}

fn viewfactors(
    path: &Path,
    backend: Option<BackendArg>,
    json: Option<&Path>,
    quiet: bool,
) -> Result<u8> {
    let loaded = skysink::load(path)?;
    if let Some(json) = json {
        check_writable(json, "json")?;
    }
    let model = skysink::build(&loaded)?;
    let choice = backend.map_or(loaded.scenario.solve.backend, backend_choice);
    let backend = skysink::choose_backend(choice)?;
    if !quiet {
        eprintln!("{}", backend.describe());
    }
    let started = std::time::Instant::now();
    let exchange = skysink::trace_exchange(&loaded, &model, &backend)?;
    let seconds = started.elapsed().as_secs_f64();
    let report = exchange.view_factor_report(&model);
    if let Some(json) = json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::Solver(format!("cannot write the view factors as JSON: {e}")))?
            + "\n";
        if is_stdout(json) {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        } else {
            write_file(json, text.as_bytes(), "json")?;
        }
    }
    if !quiet {
        let rays = exchange.rays_traced();
        let text = skysink::radiation::report::human_table(&report, rays, seconds);
        if json.is_some_and(is_stdout) {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }
    Ok(0)
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Refuse an output path that cannot be written, before any solving (exit 2).
fn check_writable(path: &Path, flag: &str) -> Result<()> {
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

fn write_file(path: &Path, contents: &[u8], flag: &str) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| {
        Error::Input(format!(
            "--{flag} {}: cannot be written: {e}",
            path.display()
        ))
    })
}

fn solve(
    path: &Path,
    backend: Option<BackendArg>,
    json: Option<&Path>,
    csv: Option<&Path>,
    quiet: bool,
) -> Result<u8> {
    let loaded = skysink::load(path)?;
    if let Some(csv) = csv
        && is_stdout(csv)
    {
        return Err(Error::Input(
            "--csv needs a file name; \"-\" is allowed only for --json".into(),
        ));
    }
    for (file, flag) in [(json, "json"), (csv, "csv")] {
        if let Some(file) = file {
            check_writable(file, flag)?;
        }
    }
    let mut model = skysink::build(&loaded)?;
    let choice = backend.map_or(loaded.scenario.solve.backend, backend_choice);
    let backend = skysink::choose_backend(choice)?;
    if !quiet {
        eprintln!("{}", backend.describe());
    }
    let outcome = skysink::run(&loaded, &mut model, &backend)?;
    let report = &outcome.report;

    if let Some(json) = json {
        let text = report.to_json() + "\n";
        if is_stdout(json) {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        } else {
            write_file(json, text.as_bytes(), "json")?;
        }
    }
    if let Some(csv) = csv
        && outcome.converged
    {
        let mut buffer = Vec::new();
        match &outcome.series {
            Some(series) => skysink::report::write_series_csv(series, &mut buffer),
            None => skysink::report::write_cell_csv(&model, &outcome.temperatures_k, &mut buffer),
        }
        .map_err(|e| Error::Input(format!("--csv {}: {e}", csv.display())))?;
        write_file(csv, &buffer, "csv")?;
    }
    if !quiet {
        let text = skysink::report::human_report(report);
        if json.is_some_and(is_stdout) {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }
    if let Some(message) = &outcome.failure {
        eprintln!("skysink: error: the solve did not converge: {message}");
    }
    Ok(report.verdict.exit_code() as u8)
}
