//! The command line only: parse, call the library, print, map errors to exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use skysink::report::files::{
    ResultFiles, Results, check_frames, check_outputs, check_writable, is_stdout, write_file,
    write_json,
};
use skysink::run::{ExchangeCache, RunOptions};
use skysink::scenario::BackendChoice;
use skysink::sweep::run::SweepOptions;
use skysink::sweep::size::Judge;
use skysink::{Error, Result};

// Printing that ignores a closed pipe (`skysink solve x | head -1`): the exit status stays the
// one the contract gives, where `print!` would panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! err {
    ($($arg:tt)*) => {{
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! errln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[global_allocator]
static ALLOCATOR: skysink::huge_pages::HugePageAllocator = skysink::huge_pages::HugePageAllocator;

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
enum JudgeArg {
    Upper,
    Lower,
    All,
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
        /// Write the cell field for ParaView (VTK XML UnstructuredGrid).
        #[arg(long, value_name = "FILE")]
        vtu: Option<PathBuf>,
        /// Write temperature maps of the panels as a PNG image.
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
        /// No first line, progress or human report; errors and requested files still appear.
        #[arg(long)]
        quiet: bool,
        /// Trace the view factors of every load case, even where cases share a geometry.
        #[arg(long)]
        retrace_view_factors: bool,
    },
    /// Run the scenario's [sweep]: one CSV row per design point.
    Sweep {
        scenario: PathBuf,
        #[arg(long, value_name = "FILE", required = true)]
        csv: PathBuf,
        /// Run only the points with point mod N = I - 1 (1 <= I <= N).
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
        /// Plot the hottest junction against the first parameter (a grid of 1 or 2 parameters).
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
        #[arg(long)]
        quiet: bool,
        /// Solve the points one after another instead of in parallel (CPU backend).
        #[arg(long)]
        sequential: bool,
        /// Points solved together per GPU batch (steady scenarios without load cases); 1 solves
        /// them one at a time through the same code. The rows do not depend on it.
        #[arg(long, value_name = "N", default_value_t = skysink::solve::batch::DEFAULT_BATCH as u64, value_parser = clap::value_parser!(u64).range(1..))]
        gpu_batch: u64,
        /// Trace the view factors of every point, even where points share a geometry.
        #[arg(long)]
        retrace_view_factors: bool,
    },
    /// Merge the CSV parts of a sharded sweep into one, refusing gaps, duplicates and mismatches.
    SweepMerge {
        #[arg(required = true, value_name = "PART.csv")]
        parts: Vec<PathBuf>,
        #[arg(long, value_name = "FILE", required = true)]
        csv: PathBuf,
    },
    /// Find the smallest value of one key for which every payload passes, by bisection.
    Size {
        scenario: PathBuf,
        /// Dotted path of the key to vary (as in sweeps).
        #[arg(long, value_name = "PATH", required = true)]
        vary: String,
        #[arg(long, num_args = 2, value_names = ["LOW", "HIGH"], required = true, allow_negative_numbers = true)]
        between: Vec<f64>,
        /// Required margin to each limit, K; overrides solve.required_margin_k.
        #[arg(long, value_name = "M", allow_negative_numbers = true)]
        margin_k: Option<f64>,
        /// Stop when the bracket is narrower than T (default (HIGH - LOW)/1000).
        #[arg(long, value_name = "T", allow_negative_numbers = true)]
        tol: Option<f64>,
        /// Limits that decide the bisection: upper (limits, capacities, hot/over pipes), lower
        /// (lower limits, frozen/cold pipes) or all; the answer is judged in full.
        #[arg(long, value_enum, default_value = "all")]
        judge: JudgeArg,
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        #[arg(long)]
        quiet: bool,
        /// Trace the view factors of every trial, even where trials share a geometry.
        #[arg(long)]
        retrace_view_factors: bool,
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
            vtu,
            png,
            quiet,
            retrace_view_factors,
        } => solve(
            &scenario,
            backend,
            SolveFiles {
                json: json.as_deref(),
                results: ResultFiles {
                    csv: csv.as_deref(),
                    vtu: vtu.as_deref(),
                    png: png.as_deref(),
                },
            },
            &ExchangeCache::new(!retrace_view_factors),
            quiet,
        ),
        Command::Sweep {
            scenario,
            csv,
            shard,
            backend,
            png,
            quiet,
            sequential,
            gpu_batch,
            retrace_view_factors,
        } => sweep(
            &scenario,
            &csv,
            shard.as_deref(),
            backend,
            png.as_deref(),
            &SweepOptions {
                parallel: !sequential,
                gpu_batch: usize::try_from(gpu_batch).unwrap_or(usize::MAX),
                exchanges: ExchangeCache::new(!retrace_view_factors),
            },
            quiet,
        ),
        Command::SweepMerge { parts, csv } => sweep_merge(&parts, &csv),
        Command::Size {
            scenario,
            vary,
            between,
            margin_k,
            tol,
            judge,
            backend,
            json,
            quiet,
            retrace_view_factors,
        } => size(
            &scenario,
            skysink::sweep::size::SizeRequest {
                path: vary,
                low: between.first().copied().unwrap_or(f64::NAN),
                high: between.get(1).copied().unwrap_or(f64::NAN),
                tolerance: tol,
                margin_k,
                judge: match judge {
                    JudgeArg::Upper => Judge::Upper,
                    JudgeArg::Lower => Judge::Lower,
                    JudgeArg::All => Judge::All,
                },
            },
            backend,
            json.as_deref(),
            &ExchangeCache::new(!retrace_view_factors),
            quiet,
        ),
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
            errln!("skysink: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn check(path: &Path) -> Result<u8> {
    let loaded = skysink::load(path)?;
    // With load cases `solve` builds and runs each case, never the file's own settings alone.
    let (model, counted) = match skysink::run::check_cases(&loaded)? {
        Some(model) => (
            model,
            format!(
                " ({} load case{}, each built and checked; counts of case \"{}\")",
                loaded.scenario.cases.len(),
                if loaded.scenario.cases.len() == 1 {
                    ""
                } else {
                    "s"
                },
                loaded.scenario.cases[0].name
            ),
        ),
        None => {
            let model = skysink::build(&loaded)?;
            skysink::run::check_run_fits(&loaded, &model)?;
            (model, String::new())
        }
    };
    outln!(
        "{}: valid: \"{}\"{counted}, {} panels, {} cells, {} heat pipes, {} links, {} fixed regions, {} payloads",
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
        errln!("{}", backend.describe());
    }
    let rows = skysink::bench::run(cells, &backend, |row| {
        if !quiet {
            errln!(
                "skysink: bench: {} cells solved in {:.3} s",
                row.cells,
                row.wall_s
            );
        }
    })?;
    let text = skysink::bench::table(&rows);
    let to_stdout = json.is_some_and(is_stdout);
    if !quiet {
        if to_stdout {
            err!("{text}");
        } else {
            out!("{text}");
        }
    }
    if let Some(json) = json {
        let document = serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
        if to_stdout {
            out!("{document}");
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
    let list = skysink::gpu::devices();
    let auto_pick = list.iter().position(|d| !d.is_cpu());
    let text = skysink::report::devices_table(&list, auto_pick);
    match json {
        Some(json) => {
            let document = skysink::report::devices_json(&list, auto_pick);
            if is_stdout(json) {
                err!("{text}");
                outln!("{document}");
            } else {
                write_file(json, (document + "\n").as_bytes(), "json")?;
                out!("{text}");
            }
        }
        None => out!("{text}"),
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
    check_outputs(&[path], &[(json, "json")])?;
    let model = skysink::build(&loaded)?;
    let choice = backend.map_or(loaded.scenario.solve.backend, backend_choice);
    let backend = skysink::choose_backend(choice)?;
    if !quiet {
        errln!("{}", backend.describe());
    }
    let started = std::time::Instant::now();
    let exchange = skysink::run::trace_exchange(&loaded, &model, &backend)?;
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
            err!("{text}");
        } else {
            out!("{text}");
        }
    }
    Ok(0)
}

struct SolveFiles<'a> {
    json: Option<&'a Path>,
    results: ResultFiles<'a>,
}

/// Print the human report to stdout, or to stderr when stdout carries the JSON.
fn print_report(text: &str, json_on_stdout: bool) {
    if json_on_stdout {
        err!("{text}");
    } else {
        out!("{text}");
    }
}

fn solve(
    path: &Path,
    backend: Option<BackendArg>,
    files: SolveFiles,
    exchanges: &ExchangeCache,
    quiet: bool,
) -> Result<u8> {
    let start = std::time::Instant::now();
    let loaded = skysink::load(path)?;
    skysink::trace::phase("load", start);
    check_outputs(
        &[path],
        &[
            (files.json, "json"),
            (files.results.csv, "csv"),
            (files.results.vtu, "vtu"),
            (files.results.png, "png"),
        ],
    )?;
    if let Some(vtu) = files.results.vtu
        && loaded.scenario.solve.mode == skysink::scenario::Mode::Transient
    {
        check_frames(
            vtu,
            &[
                (Some(path), "the input file"),
                (files.json, "the --json file"),
                (files.results.csv, "the --csv file"),
                (files.results.png, "the --png file"),
            ],
        )?;
    }
    let choice = backend.map_or(loaded.scenario.solve.backend, backend_choice);
    // Build before choosing a backend so that mesh errors come first (exit 2); load cases
    // build one model each, later. The GPU adapters are found meanwhile: a driver's instance
    // takes 0.1 to 0.7 s on an H100 host.
    let built = std::thread::scope(|scope| {
        if choice != skysink::scenario::BackendChoice::Cpu {
            scope.spawn(|| {
                let start = std::time::Instant::now();
                skysink::gpu::devices();
                skysink::trace::phase("GPU adapters found (beside the build)", start);
            });
        }
        if loaded.scenario.cases.is_empty() {
            let start = std::time::Instant::now();
            let model = skysink::build(&loaded)?;
            skysink::trace::phase("build", start);
            Ok::<_, skysink::Error>(Some(model))
        } else {
            // A case that cannot be built or run is refused before any case is solved.
            skysink::run::check_cases(&loaded)?;
            Ok(None)
        }
    })?;
    if let Some(model) = &built {
        skysink::run::check_run_fits(&loaded, model)?;
    }
    let backend_start = std::time::Instant::now();
    let backend = skysink::choose_backend(choice)?;
    skysink::trace::phase("backend choice", backend_start);
    if !quiet {
        errln!("{}", backend.describe());
    }
    let options = RunOptions {
        exchanges,
        keep_frames: files.results.vtu.is_some(),
    };
    let evaluation = match built {
        Some(model) => skysink::run::evaluate_built(&loaded, model, &backend, options)?,
        None => skysink::run::evaluate(&loaded, &[], &backend, options)?,
    };
    skysink::trace::phase("solve (from start)", start);
    let report = evaluation.report();
    let run = evaluation.governing_run();
    let (model, outcome) = (&run.model, &run.outcome);

    if let Some(json) = files.json {
        write_json(json, &report.to_json())?;
    }
    if outcome.converged {
        let results = Results {
            scenario: &run.loaded.scenario,
            model,
            temperatures_k: &outcome.temperatures_k,
            series: outcome.series.as_ref(),
            frames: &outcome.frames,
        };
        files.results.write(&results)?;
    }
    if !quiet {
        print_report(
            &skysink::report::human_report(&report),
            files.json.is_some_and(is_stdout),
        );
    }
    if let Some(message) = &outcome.failure {
        errln!("skysink: error: the solve did not converge: {message}");
    }
    Ok(report.verdict.exit_code() as u8)
}

fn sweep(
    path: &Path,
    csv: &Path,
    shard: Option<&str>,
    backend: Option<BackendArg>,
    png: Option<&Path>,
    options: &SweepOptions,
    quiet: bool,
) -> Result<u8> {
    use skysink::report::sweep_table as table;
    use skysink::sweep::run;
    let loaded = skysink::load(path)?;
    let shard = shard.map(run::parse_shard).transpose()?;
    let plan = run::Plan::new(&loaded)?;
    if png.is_some() && !(plan.grid && (1..=2).contains(&plan.parameters.len())) {
        return Err(Error::Input(format!(
            "--png: the plot needs a grid of one or two parameters; this sweep is {} of {} parameters",
            if plan.grid {
                "a grid"
            } else {
                "a Latin hypercube"
            },
            plan.parameters.len()
        )));
    }
    if png.is_some() && shard.is_some() {
        return Err(Error::Input(
            "--png needs every point; plot the unsharded sweep, not a shard".into(),
        ));
    }
    check_outputs(&[path], &[(Some(csv), "csv"), (png, "png")])?;
    run::check_some_point_builds(&loaded, &plan)?;
    let choice = backend.map_or(loaded.scenario.solve.backend, backend_choice);
    let backend = skysink::choose_backend(choice)?;
    if !quiet {
        errln!("{}", backend.describe());
    }
    let points = plan.shard(shard);
    let bar = skysink::sweep::progress::bar(points.len() as u64, quiet);
    let rows = run::run(&loaded, &plan, &points, &backend, options, &|| bar.inc(1));
    bar.finish_and_clear();
    let mut text = plan.header() + "\n";
    for row in &rows {
        text.push_str(&table::row_line(&plan.sweep_id, plan.points.len(), row));
        text.push('\n');
    }
    write_file(csv, text.as_bytes(), "csv")?;
    if let Some(png) = png {
        let bytes = skysink::report::plot::sweep_plot_png(&plan.parameters, plan.grid, &rows)?;
        write_file(png, &bytes, "png")?;
    }
    if !quiet {
        let count = |s: table::Status| rows.iter().filter(|r| r.status == s).count();
        let pass = rows
            .iter()
            .filter(|r| r.verdict == Some(skysink::Verdict::Pass))
            .count();
        errln!(
            "skysink: sweep {}: {} points{} -> {}: {} ok ({pass} pass), {} not converged, {} invalid, {} failed",
            plan.sweep_id,
            rows.len(),
            shard.map_or(String::new(), |(i, n)| format!(
                " (shard {i}/{n} of {})",
                plan.points.len()
            )),
            csv.display(),
            count(table::Status::Ok),
            count(table::Status::NotConverged),
            count(table::Status::Invalid),
            count(table::Status::Failed),
        );
    }
    Ok(0)
}

fn sweep_merge(parts: &[PathBuf], csv: &Path) -> Result<u8> {
    let parts: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    check_outputs(&parts, &[(Some(csv), "csv")])?;
    let text = skysink::report::sweep_table::merge(&parts)?;
    write_file(csv, text.as_bytes(), "csv")?;
    Ok(0)
}

fn size(
    path: &Path,
    request: skysink::sweep::size::SizeRequest,
    backend: Option<BackendArg>,
    json: Option<&Path>,
    exchanges: &ExchangeCache,
    quiet: bool,
) -> Result<u8> {
    let loaded = skysink::load(path)?;
    skysink::sweep::size::check(&loaded, &request)?;
    check_outputs(&[path], &[(json, "json")])?;
    let choice = backend.map_or(loaded.scenario.solve.backend, backend_choice);
    let backend = skysink::choose_backend(choice)?;
    if !quiet {
        errln!("{}", backend.describe());
    }
    let outcome = skysink::sweep::size::size(&loaded, &request, &backend, exchanges, |t| {
        if !quiet {
            errln!(
                "skysink: size: {} = {} -> {}, smallest margin {:.3} K",
                request.path,
                t.value,
                serde_json::to_string(&t.verdict)
                    .unwrap_or_default()
                    .trim_matches('"'),
                t.min_margin_k
            );
        }
    })?;
    if let Some(json) = json {
        write_json(json, &outcome.to_json())?;
    }
    if !quiet {
        print_report(&outcome.human(), json.is_some_and(is_stdout));
    }
    Ok(outcome.exit_code())
}
