//! `skysink sweep`, `--shard` and `sweep-merge` (SCENARIO.md section 7): one CSV row per point
//! in point order, rows equal to solving the edited scenario by hand, failed points as rows,
//! bad `[sweep]` refused before solving, shards that merge back to the unsharded sweep.

mod common;

use common::panels::Panel;
use common::*;
use std::ffi::OsStr;
use std::path::Path;

const GRID: &str = r#"
[sweep]
method = "grid"
[[sweep.parameters]]
path = "payloads.gpu0.power_w"
values = [100.0, 150.0, 250.0]
[[sweep.parameters]]
path = "panels.radiator.length_u_m"
range = [0.8, 1.2, 2]
"#;

fn sweep_run(s: &Scenario, csv: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("sweep"),
        s.path.as_os_str(),
        OsStr::new("--csv"),
        csv.as_os_str(),
        OsStr::new("--backend"),
        OsStr::new("cpu"),
    ];
    args.extend(extra.iter().map(OsStr::new));
    run(args)
}

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn a_grid_writes_one_row_per_point_in_order_with_the_contract_columns() {
    let s = Scenario::new("grid.toml", &format!("{FULL}{GRID}"));
    let csv = s.out("grid.csv");
    let r = sweep_run(&s, &csv, &[]);
    r.expect_code(0);
    assert!(r.stderr.starts_with("skysink: backend cpu"), "{}", r.stderr);
    let text = read(&csv);
    let table = rows(&text);
    assert_eq!(
        table[0].join(","),
        "sweep_id,point,points,payloads.gpu0.power_w,panels.radiator.length_u_m,status,verdict,gpu0_junction_c,gpu0_margin_k,t_max_k,mass_kg,heater_w,iterations,converged,message"
    );
    assert_eq!(table.len(), 1 + 6);
    let id = &table[1][0];
    assert_eq!(id.len(), 16);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let expected = [
        (100.0, 0.8),
        (100.0, 1.2),
        (150.0, 0.8),
        (150.0, 1.2),
        (250.0, 0.8),
        (250.0, 1.2),
    ];
    for (k, row) in table[1..].iter().enumerate() {
        assert_eq!(&row[0], id);
        assert_eq!(row[1], k.to_string());
        assert_eq!(row[2], "6");
        assert_eq!(row[3].parse::<f64>().unwrap(), expected[k].0);
        assert_eq!(row[4].parse::<f64>().unwrap(), expected[k].1);
        assert_eq!(row[5], "ok");
        // mass_kg empty (the materials give no density), heater_w 0, converged, no message.
        assert_eq!(row[10], "");
        assert_eq!(row[11], "0");
        assert_eq!(row[13], "true");
        assert_eq!(row[14], "");
    }
    // Numbers are Rust's shortest round-trip form: "100", not "100.0".
    assert_eq!(table[1][3], "100");
}

#[test]
fn a_row_equals_the_solve_of_the_scenario_edited_by_hand() {
    let s = Scenario::new("grid.toml", &format!("{FULL}{GRID}"));
    let csv = s.out("grid.csv");
    sweep_run(&s, &csv, &[]).expect_code(0);
    let table = rows(&read(&csv));
    // Point 3: power 150 W (the file's own value), radiator 1.2 m along u. Stretching u by 1.2
    // moves every position on the radiator along u (payload centre, pipe ends, link ends).
    let by_hand = edit(
        &edit(
            &edit(
                &edit(
                    FULL,
                    "u_m = [1.0, 0.0, 0.0]\nv_m = [0.0, 0.8, 0.0]",
                    "u_m = [1.2, 0.0, 0.0]\nv_m = [0.0, 0.8, 0.0]",
                ),
                "from_m = [0.05, 0.4]\nto_m = [0.95, 0.4]",
                "from_m = [0.06, 0.4]\nto_m = [1.14, 0.4]",
            ),
            "b = { panel = \"radiator\", from_m = [0.0, 0.0], to_m = [1.0, 0.0] }",
            "b = { panel = \"radiator\", from_m = [0.0, 0.0], to_m = [1.2, 0.0] }",
        ),
        "center_m = [0.2, 0.4]",
        "center_m = [0.24, 0.4]",
    );
    let v = solve_ok(&by_hand);
    let junction: f64 = table[4][7].parse().unwrap();
    assert_rel(
        junction,
        num(payload(&v, "gpu0"), "junction_c"),
        1e-12,
        "point 3 junction",
    );
    let t_max: f64 = table[4][9].parse().unwrap();
    let hand_t_max = v["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| num(p, "t_max_k"))
        .fold(f64::MIN, f64::max);
    assert_rel(t_max, hand_t_max, 1e-12, "point 3 t_max_k");
    assert_eq!(table[4][6], v["verdict"].as_str().unwrap());
}

#[test]
fn invalid_and_non_converged_points_are_rows_not_crashes() {
    let sweep = r#"
[sweep]
[[sweep.parameters]]
path = "payloads.gpu0.center_m.0"
values = [0.2, 0.99]
[[sweep.parameters]]
path = "solve.max_iterations"
values = [1, 200]
"#;
    let s = Scenario::new("odd.toml", &format!("{FULL}{sweep}"));
    let csv = s.out("odd.csv");
    sweep_run(&s, &csv, &["--quiet"]).expect_code(0);
    let text = read(&csv);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[1].contains(",not-converged,,"), "{}", lines[1]);
    assert!(lines[1].contains(",false,"), "{}", lines[1]);
    assert!(lines[2].contains(",ok,pass,"), "{}", lines[2]);
    // A footprint centred 0.01 m from the edge sticks out of the panel: invalid, with the rule.
    assert!(lines[3].contains(",invalid,,"), "{}", lines[3]);
    assert!(lines[3].contains("outside panel"), "{}", lines[3]);
    assert!(lines[4].contains(",invalid,,"), "{}", lines[4]);
}

fn refused(sweep: &str, needles: &[&str]) {
    let text = format!("{FULL}{sweep}");
    // Line (1-based) of the first parameter's path: where a bad path is reported.
    let path_line = text
        .lines()
        .position(|l| l.starts_with("path = "))
        .map_or(0, |p| p + 1);
    let needles: Vec<String> = needles
        .iter()
        .map(|n| n.replace("{path_line}", &path_line.to_string()))
        .collect();
    let s = Scenario::new("bad.toml", &text);
    let csv = s.out("never.csv");
    let r = sweep_run(&s, &csv, &[]);
    r.expect_code(2);
    assert!(!csv.exists(), "a refused sweep writes no CSV");
    assert!(
        !r.stderr.contains("backend cpu"),
        "refused before choosing a backend"
    );
    for n in &needles {
        assert!(
            r.stderr.contains(n.as_str()),
            "expected {n:?} in:\n{}",
            r.stderr
        );
    }
}

#[test]
fn a_bad_sweep_is_refused_before_solving() {
    refused(
        "\n[sweep]\n[[sweep.parameters]]\npath = \"payloads.gpu1.power_w\"\nvalues = [1.0]\n",
        &["bad.toml:{path_line}:", "gpu1", "allowed: [gpu0]"],
    );
    refused(
        "\n[sweep]\n[[sweep.parameters]]\npath = \"panels.radiator.cells.0\"\nvalues = [4, 4.5]\n",
        &["whole values"],
    );
    refused(
        "\n[sweep]\n[[sweep.parameters]]\npath = \"panels.radiator.thickness_m\"\nrange = [0.001, 0.002, 0]\n",
        &["count must be a whole number >= 1"],
    );
    refused(
        "\n[sweep]\nmethod = \"latin-hypercube\"\n[[sweep.parameters]]\npath = \"payloads.gpu0.power_w\"\nrange = [1.0, 2.0]\n",
        &["needs samples"],
    );
    refused("\n[sweep]\nmethod = \"random\"\n", &["random"]);
    refused(
        "\n[sweep]\n[[sweep.parameters]]\npath = \"panels.radiator.name\"\nvalues = [1.0]\n",
        &["not a number"],
    );
    refused(
        "\n[sweep]\n[[sweep.parameters]]\npath = \"panels.radiator.length_v_m\"\nvalues = [1.0, -1.0]\n",
        &["a length must be > 0"],
    );
    // Designs too large to hold: refused at once (they used to abort on allocation).
    refused(
        "\n[sweep]\n[[sweep.parameters]]\npath = \"payloads.gpu0.power_w\"\nrange = [100.0, 200.0, 1e12]\n",
        &["sweep.parameters", "1e12 points", "GiB"],
    );
    refused(
        "\n[sweep]\n[[sweep.parameters]]\npath = \"payloads.gpu0.power_w\"\nrange = [100.0, 200.0, 100000]\n[[sweep.parameters]]\npath = \"payloads.gpu0.junction_to_panel_k_w\"\nrange = [0.01, 0.02, 100000]\n",
        &["sweep.parameters", "1e10 points"],
    );
    refused(
        "\n[sweep]\nmethod = \"latin-hypercube\"\nsamples = 1000000000000\n[[sweep.parameters]]\npath = \"payloads.gpu0.power_w\"\nrange = [1.0, 2.0]\n",
        &["sweep.samples", "1e12 points"],
    );
}

#[test]
fn shards_merge_back_to_the_unsharded_sweep_and_merge_refuses_bad_parts() {
    let s = Scenario::new("grid.toml", &format!("{FULL}{GRID}"));
    let whole = s.out("whole.csv");
    sweep_run(&s, &whole, &["--quiet"]).expect_code(0);
    let mut parts = Vec::new();
    for i in 1..=4 {
        let part = s.out(&format!("part-{i}.csv"));
        sweep_run(&s, &part, &["--quiet", "--shard", &format!("{i}/4")]).expect_code(0);
        let text = read(&part);
        let points: Vec<usize> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(
            points.iter().all(|p| p % 4 == i - 1),
            "shard {i}: {points:?}"
        );
        parts.push(part);
    }
    let merged = s.out("merged.csv");
    let merge = |parts: &[&Path], out: &Path| {
        let mut args: Vec<&OsStr> = vec![OsStr::new("sweep-merge")];
        args.extend(parts.iter().map(|p| p.as_os_str()));
        args.extend([OsStr::new("--csv"), out.as_os_str()]);
        run(args)
    };
    let all: Vec<&Path> = parts.iter().map(|p| p.as_path()).collect();
    merge(&[all[2], all[0], all[3], all[1]], &merged).expect_code(0);
    assert_eq!(read(&merged), read(&whole));

    let r = merge(&[all[0], all[1], all[3]], &s.out("gap.csv"));
    r.expect_code(2);
    assert!(r.stderr.contains("missing: 2"), "{}", r.stderr);
    let r = merge(&[all[0], all[1], all[2], all[3], all[1]], &s.out("dup.csv"));
    r.expect_code(2);
    assert!(r.stderr.contains("duplicated points 1, 5"), "{}", r.stderr);

    let other = Scenario::new(
        "other.toml",
        &format!("{}{GRID}", edit(FULL, "valid base", "another base")),
    );
    let foreign = other.out("part-1.csv");
    sweep_run(&other, &foreign, &["--quiet", "--shard", "1/4"]).expect_code(0);
    let r = merge(
        &[foreign.as_path(), all[1], all[2], all[3]],
        &s.out("mix.csv"),
    );
    r.expect_code(2);
    assert!(r.stderr.contains("different sweeps"), "{}", r.stderr);
    let r = merge(
        &[all[0], Path::new("/nonexistent/part.csv")],
        &s.out("x.csv"),
    );
    r.expect_code(2);
    assert!(r.stderr.contains("/nonexistent/part.csv"), "{}", r.stderr);

    for bad in ["0/4", "5/4", "1/0", "x"] {
        let r = sweep_run(&s, &s.out("bad.csv"), &["--shard", bad]);
        r.expect_code(2);
        assert!(r.stderr.contains("--shard"), "{}", r.stderr);
    }
}

#[test]
fn a_latin_hypercube_is_repeatable_and_independent_of_threads_and_shards() {
    let lhs = r#"
[sweep]
method = "latin-hypercube"
samples = 6
seed = 42
[[sweep.parameters]]
path = "payloads.gpu0.power_w"
range = [50.0, 300.0]
[[sweep.parameters]]
path = "panels.radiator.cells.0"
range = [4, 12]
"#;
    let s = Scenario::new("lhs.toml", &format!("{FULL}{lhs}"));
    let a = s.out("a.csv");
    let b = s.out("b.csv");
    sweep_run(&s, &a, &["--quiet"]).expect_code(0);
    let args: Vec<&OsStr> = vec![
        OsStr::new("sweep"),
        s.path.as_os_str(),
        OsStr::new("--csv"),
        b.as_os_str(),
        OsStr::new("--backend"),
        OsStr::new("cpu"),
        OsStr::new("--quiet"),
    ];
    let r = run_env(args, &[("RAYON_NUM_THREADS", "1")]);
    r.expect_code(0);
    assert_eq!(read(&a), read(&b), "thread count changed the CSV");
    let text = read(&a);
    let mut strata = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let power: f64 = f[3].parse().unwrap();
        let cells: f64 = f[4].parse().unwrap();
        assert_eq!(
            cells.fract(),
            0.0,
            "an integer key takes whole values: {cells}"
        );
        assert!((50.0..=300.0).contains(&power));
        strata.push(((power - 50.0) / 250.0 * 6.0).floor() as usize);
        assert_eq!(f[5], "ok", "{line}");
    }
    strata.sort();
    assert_eq!(strata, vec![0, 1, 2, 3, 4, 5], "one sample per stratum");
}

#[test]
fn sweep_png_needs_a_grid_of_one_or_two_parameters() {
    let three =
        format!("{GRID}[[sweep.parameters]]\npath = \"environment.albedo\"\nvalues = [0.3]\n");
    let s = Scenario::new("three.toml", &format!("{FULL}{three}"));
    let r = sweep_run(
        &s,
        &s.out("x.csv"),
        &["--png", s.out("x.png").to_str().unwrap()],
    );
    r.expect_code(2);
    assert!(r.stderr.contains("one or two parameters"), "{}", r.stderr);
    assert!(!s.out("x.csv").exists());

    let s = Scenario::new("grid.toml", &format!("{FULL}{GRID}"));
    let png_path = s.out("plot.png");
    sweep_run(
        &s,
        &s.out("g.csv"),
        &["--quiet", "--png", png_path.to_str().unwrap()],
    )
    .expect_code(0);
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert!(info.width >= 400 && info.height >= 300);
    let pixels = &buf[..info.buffer_size()];
    // The limit line (120 C, red) and the lines of the two series are drawn.
    let count = |c: [u8; 3]| pixels.chunks(3).filter(|p| *p == c).count();
    assert!(count([214, 39, 40]) > 100, "limit line missing");
    assert!(
        count([31, 119, 180]) > 100 && count([255, 127, 14]) > 100,
        "series missing"
    );
}

/// A point that did not converge is drawn as an open marker joined to nothing: on a sweep of
/// two points, one of them not converged, the series colour covers one filled marker (7 x 7)
/// and one open one (the 32 pixels around 9 x 9), and no line between them.
#[test]
fn sweep_png_marks_points_that_did_not_converge() {
    let sweep = r#"
[sweep]
method = "grid"
[[sweep.parameters]]
path = "solve.max_iterations"
values = [1, 200]
"#;
    let s = Scenario::new("marks.toml", &format!("{FULL}{sweep}"));
    let (csv, png_path) = (s.out("m.csv"), s.out("m.png"));
    sweep_run(&s, &csv, &["--quiet", "--png", png_path.to_str().unwrap()]).expect_code(0);
    let text = read(&csv);
    assert!(
        text.contains(",not-converged,") && text.contains(",ok,"),
        "{text}"
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let series = buf[..info.buffer_size()]
        .chunks(3)
        .filter(|p| *p == [31, 119, 180])
        .count();
    assert_eq!(series, 49 + 32, "series pixels");
}

/// Points that do not move any panel share one ray trace: a sweep over a coating and a power on
/// a `[radiation]` scenario gives the same CSV, byte for byte, as tracing every point anew
/// (`--retrace-view-factors`).
#[test]
fn points_with_the_same_geometry_share_their_view_factors() {
    let hot = Panel::plate("hot", [0.5, 0.5], [8, 8], "white", "white").toml("al", 0.002);
    let text = format!(
        r#"name = "two facing plates, one dissipating"
[environment]
sink_k = 3.0
[materials.al]
conductivity_w_mk = 167.0
[coatings.white]
absorptivity = 0.2
emissivity = 0.85
{hot}[[panels]]
name = "cold"
origin_m = [0.0, 0.0, 0.5]
u_m = [0.0, 0.5, 0.0]
v_m = [0.5, 0.0, 0.0]
cells = [8, 8]
thickness_m = 0.002
material = "al"
front = "white"
back = "white"
[[payloads]]
name = "chip"
model = "custom"
power_w = 50.0
limit_c = 100.0
panel = "hot"
center_m = [0.25, 0.25]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.1
[radiation]
rays_per_side = 256
[sweep]
method = "grid"
[[sweep.parameters]]
path = "coatings.white.emissivity"
values = [0.6, 0.85]
[[sweep.parameters]]
path = "payloads.chip.power_w"
values = [20.0, 50.0]
"#
    );
    let s = Scenario::new("radiation_sweep.toml", &text);
    let csv = |flags: &[&str]| {
        let out = s.out(&format!("reuse-{}.csv", flags.len()));
        let mut args = vec![
            "sweep",
            s.path_str(),
            "--backend",
            "cpu",
            "--quiet",
            "--csv",
            out.to_str().expect("utf-8"),
        ];
        args.extend(flags);
        run_env(args, &[]).expect_code(0);
        std::fs::read_to_string(out).expect("csv")
    };
    let shared = csv(&[]);
    assert_eq!(shared, csv(&["--retrace-view-factors"]));
    assert_eq!(shared.matches(",ok,").count(), 4, "{shared}");
}

/// A scenario that no point can repair (a fixed region that holds no cell) is refused before
/// solving, exit 2, as `check` and `solve` refuse it: not a CSV of `invalid` rows.
#[test]
fn a_sweep_of_a_broken_scenario_is_refused_before_solving() {
    let broken = edit(
        FULL,
        "size_m = [1.0, 0.125]\ntemperature_k = 290.0",
        "size_m = [0.001, 0.001]\ntemperature_k = 290.0",
    );
    let sweep = r#"
[sweep]
[[sweep.parameters]]
path = "payloads.gpu0.power_w"
values = [100.0, 150.0]
"#;
    let s = Scenario::new("broken.toml", &format!("{broken}{sweep}"));
    s.check().expect_code(2);
    let csv = s.out("broken.csv");
    let r = sweep_run(&s, &csv, &["--quiet"]);
    r.expect_code(2);
    assert!(r.stderr.contains("holds no cell"), "{}", r.stderr);
    assert!(!csv.exists(), "no CSV");
}
