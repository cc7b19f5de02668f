//! The command line and the JSON report as SCENARIO.md sections 3, 8 and 10 define them: exit
//! codes 0/1/3, stream separation with `--json -`, `--quiet`, `check`, output paths checked before
//! solving, the steady `--csv` cell table, the JSON fields and their definitions (heat balance,
//! margins, violations, catalog entries, payload counts), and determinism.

mod common;

use common::panels::Panel;
use common::*;
use serde_json::Value;

/// Earth view factor of a plate edge-on to the nadir at 650 km, REFERENCE_CASES.md C3.
const F_EDGE_ON_650: f64 = 0.240691;
const H650: f64 = (R_E_KM + 650.0) / R_E_KM;

// ---- the full scenario: exit 0, fields and definitions -----------------------------------------

#[test]
fn pass_exits_0_with_every_report_field() {
    let s = Scenario::new("full.toml", FULL);
    let (r, v) = s.solve_json();
    r.expect_code(0);

    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["scenario"], "valid base");
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["backend"]["kind"], "cpu");
    assert_eq!(v["backend"]["precision"], "f64");

    let solver = &v["solver"];
    assert_eq!(solver["converged"], Value::Bool(true));
    let iterations = solver["iterations"]
        .as_u64()
        .expect("iterations is an integer");
    assert!((1..=200).contains(&iterations), "iterations {iterations}");
    assert!(
        solver["linear_iterations"].is_u64(),
        "linear_iterations {}",
        solver["linear_iterations"]
    );
    assert_eq!(
        num(solver, "tolerance_k"),
        1.0e-6,
        "f64 backend applies tolerance_k as given"
    );
    assert!(
        num(solver, "max_change_k") <= 1.0e-6,
        "max_change_k within tolerance at convergence"
    );
    assert!(num(solver, "wall_s") >= 0.0);

    // Heat balance: identity, sums, closure; a steady state stores nothing.
    assert_energy_closes(&v);
    assert_eq!(num(&v, "energy.stored_w"), 0.0);
    assert_rel(
        num(&v, "energy.dissipated_w"),
        300.0,
        1e-12,
        "dissipated = count x power",
    );

    // Panels: cells, planform and radiating areas.
    let rad = panel(&v, "radiator");
    assert_eq!(rad["cells"], 80);
    assert_rel(num(rad, "area_m2"), 0.8, 1e-12, "radiator area");
    assert_rel(
        num(rad, "radiating_area_m2"),
        1.6,
        1e-12,
        "radiator: two radiating sides",
    );
    let bus = panel(&v, "bus");
    assert_eq!(bus["cells"], 16);
    assert_rel(num(bus, "area_m2"), 0.5, 1e-12, "bus area");
    assert_rel(
        num(bus, "radiating_area_m2"),
        0.5,
        1e-12,
        "bus: back is none",
    );
    for p in [rad, bus] {
        assert!(num(p, "t_min_k") <= num(p, "t_mean_k") && num(p, "t_mean_k") <= num(p, "t_max_k"));
    }

    // Absorbed loads, by hand (SCENARIO.md section 3). s = (0, 0.6, 0.8), nadir -z, 650 km.
    // Radiator front (+z, OSR 0.07/0.80): sunlight at n.s = 0.8. Radiator back (-z, white
    // 0.20/0.85) faces the nadir: F = 1/H^2, Earth IR and albedo with c = s.(-nadir) = 0.8.
    // Bus front (-y, white) is edge-on to the nadir (F from C3) and turned from the Sun (n.s < 0).
    let (s, alb, ir, c) = (1361.0, 0.30, 237.0, 0.8);
    let f0 = 1.0 / (H650 * H650);
    let rad_abs = 0.07 * s * 0.8 * 0.8 + (0.85 * ir * f0 + 0.20 * s * alb * f0 * c) * 0.8;
    let bus_abs = (0.85 * ir * F_EDGE_ON_650 + 0.20 * s * alb * F_EDGE_ON_650 * c) * 0.5;
    assert_rel(num(rad, "absorbed_w"), rad_abs, 1e-9, "radiator absorbed");
    assert_rel(
        num(bus, "absorbed_w"),
        bus_abs,
        1e-5,
        "bus absorbed (F published to 6 digits)",
    );

    // Payload: per-chip and total power, limits, margin definition.
    let gpu = payload(&v, "gpu0");
    assert_eq!(gpu["model"], "custom");
    assert_eq!(gpu["count"], 2);
    assert_eq!(num(gpu, "power_w"), 150.0);
    assert_eq!(num(gpu, "total_power_w"), 300.0);
    assert_eq!(num(gpu, "limit_c"), 120.0);
    assert_eq!(gpu["min_limit_c"], Value::Null);
    assert_abs(
        num(gpu, "margin_k"),
        120.0 - num(gpu, "junction_c"),
        1e-9,
        "margin = limit - junction",
    );
    assert_eq!(gpu["within_limit"], Value::Bool(true));
    assert_eq!(gpu["violation"], Value::Null);

    // Heat pipe: definitions of load, effective length and capacity.
    let hp = heat_pipe(&v, "hp1");
    let (load, transport) = (num(hp, "load_w"), num(hp, "transport_w_m"));
    assert!(
        load > 0.0 && transport > 0.0,
        "the pipe carries the chip's heat"
    );
    assert_rel(
        num(hp, "effective_length_m"),
        transport / load,
        1e-12,
        "effective length",
    );
    assert_eq!(num(hp, "capacity_w_m"), 400.0);
    assert_rel(
        num(hp, "capacity_w"),
        400.0 / (transport / load),
        1e-12,
        "capacity_w",
    );
    assert_eq!(hp["within_capacity"], Value::Bool(transport <= 400.0));
    assert_eq!(hp["violation"], Value::Null);
    // The vapour lies between the coldest and hottest radiator cells.
    let vap = num(hp, "vapour_k");
    assert!(
        num(rad, "t_min_k") <= vap && vap <= num(rad, "t_max_k"),
        "vapour_k {vap}"
    );

    // Link and fixture: the bus (end a of the hinge) has no payload or pipe, so in steady state
    // what it absorbs plus what the loop supplies, less what it emits, leaves through the hinge
    // towards end b (README: heat_w is the heat from end a to end b). To the convergence test's
    // imbalance, 1e-6 of dissipated + absorbed + |fixed_in|.
    let loop_in = num(fixed(&v, "loop"), "heat_in_w");
    let budget = num(&v, "energy.dissipated_w") + num(&v, "energy.absorbed_w") + loop_in.abs();
    assert_abs(
        num(link(&v, "hinge"), "heat_w"),
        num(bus, "absorbed_w") + loop_in - num(bus, "emitted_w"),
        1e-6 * budget,
        "hinge heat from the bus balance",
    );

    // Materials and coatings are echoed with their sources.
    let al = named(&v, "materials", "al6061");
    assert_eq!(num(al, "conductivity_w_mk"), 167.0);
    assert_eq!(num(al, "density_kg_m3"), 2700.0);
    assert_eq!(num(al, "specific_heat_j_kgk"), 896.0);
    assert_eq!(al["source"], "Al 6061-T6 typical values");
    let osr = named(&v, "coatings", "osr");
    assert_eq!(
        (num(osr, "absorptivity"), num(osr, "emissivity")),
        (0.07, 0.80)
    );
    assert_eq!(osr["source"], Value::Null);
    assert_eq!(named(&v, "coatings", "white")["source"], "assumed");
}

// ---- streams -----------------------------------------------------------------------------------

/// "skysink: backend cpu (f64, N threads)" (SCENARIO.md section 8, first line).
fn assert_cpu_first_line(stderr: &str) {
    let first = stderr.lines().next().unwrap_or("");
    let rest = first
        .strip_prefix("skysink: backend cpu (f64, ")
        .unwrap_or_else(|| panic!("first line of stderr: {first:?}"));
    let n = rest
        .strip_suffix(" threads)")
        .or_else(|| rest.strip_suffix(" thread)"))
        .unwrap_or_else(|| panic!("first line of stderr: {first:?}"));
    let n: u32 = n
        .parse()
        .unwrap_or_else(|_| panic!("thread count in {first:?}"));
    assert!(n >= 1);
}

#[test]
fn json_dash_puts_only_the_json_on_stdout_and_the_report_on_stderr() {
    let s = Scenario::new("full.toml", FULL);
    let r = s.solve(&["--backend", "cpu", "--json", "-"]);
    r.expect_code(0);
    let v = r.json(); // the whole of stdout is one JSON document
    assert_eq!(v["verdict"], "pass");
    assert_cpu_first_line(&r.stderr);
    assert!(
        r.stderr.contains("gpu0"),
        "human report on stderr:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("PASS"),
        "human report on stderr:\n{}",
        r.stderr
    );
}

#[test]
fn without_json_the_human_report_goes_to_stdout() {
    let s = Scenario::new("full.toml", FULL);
    let r = s.solve(&["--backend", "cpu"]);
    r.expect_code(0);
    assert_cpu_first_line(&r.stderr);
    assert!(
        r.stdout.contains("gpu0") && r.stdout.contains("radiator"),
        "stdout:\n{}",
        r.stdout
    );
    assert!(r.stdout.contains("PASS"), "stdout:\n{}", r.stdout);
}

#[test]
fn quiet_prints_nothing_but_still_writes_the_files() {
    let s = Scenario::new("full.toml", FULL);
    let json = s.out("report.json");
    let csv = s.out("cells.csv");
    let r = s.solve(&[
        "--backend",
        "cpu",
        "--quiet",
        "--json",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    r.expect_code(0);
    assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
    assert!(r.stderr.is_empty(), "stderr: {}", r.stderr);
    let v: Value = serde_json::from_str(&read(&json)).expect("report file is JSON");
    assert_eq!(v["verdict"], "pass");
    assert!(read(&csv).starts_with("panel,"));
}

// ---- exit codes 1 and 3 ------------------------------------------------------------------------

#[test]
fn a_payload_over_its_limit_exits_1_with_a_report() {
    let text = edit(FULL, "limit_c = 120.0", "limit_c = 5.0");
    let v = solve_expect(&text, 1);
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["solver"]["converged"], Value::Bool(true));
    let gpu = payload(&v, "gpu0");
    let j = num(gpu, "junction_c");
    assert!(j > 5.0, "this scenario's chip runs above 5 C: {j}");
    assert_eq!(gpu["within_limit"], Value::Bool(false));
    assert_abs(num(gpu, "margin_k"), 5.0 - j, 1e-9, "negative margin");
    let violation = gpu["violation"].as_str().expect("violation sentence");
    assert!(
        violation.contains("5.0"),
        "violation names the limit: {violation}"
    );
    assert!(
        violation.contains(&format!("{j:.1}")),
        "violation names the junction temperature {j:.1}: {violation}"
    );
}

/// FULL with one Newton iteration allowed and a tolerance no first step can meet.
fn one_iteration() -> String {
    let t = edit(FULL, "max_iterations = 200", "max_iterations = 1");
    edit(&t, "tolerance_k = 1.0e-6", "tolerance_k = 1.0e-9")
}

#[test]
fn not_converged_exits_3_and_still_writes_the_json() {
    let s = Scenario::new("one_iteration.toml", &one_iteration());
    let file = s.out("report.json");
    let r = s.solve(&[
        "--backend",
        "cpu",
        "--quiet",
        "--json",
        file.to_str().unwrap(),
    ]);
    r.expect_code(3);
    let (r2, v) = s.solve_json();
    r2.expect_code(3);
    let from_file: Value = serde_json::from_str(&read(&file)).expect("JSON file written");
    for v in [&v, &from_file] {
        assert_eq!(v["verdict"], "not-converged");
        assert_eq!(v["solver"]["converged"], Value::Bool(false));
        assert_eq!(v["solver"]["iterations"], 1);
        assert_eq!(payload(v, "gpu0")["within_limit"], Value::Null);
    }
}

#[test]
fn check_validates_without_solving() {
    // Neither a failing chip nor a solve that cannot converge is check's business.
    for text in [
        one_iteration(),
        edit(FULL, "limit_c = 120.0", "limit_c = 5.0"),
    ] {
        let s = Scenario::new("valid.toml", &text);
        s.check().expect_code(0);
    }
}

// ---- output paths ------------------------------------------------------------------------------

#[test]
fn unwritable_output_paths_are_refused_before_solving() {
    // The scenario would not converge (exit 3) if solved: exit 2 shows the path check came first,
    // and an empty stdout shows no human report was printed.
    let s = Scenario::new("one_iteration.toml", &one_iteration());
    let missing_dir = s.out("no_such_dir").join("report.json");
    let a_directory = s.dir.path().to_path_buf();
    let cases = [
        ("--json", missing_dir.clone()),
        ("--json", a_directory.clone()),
        ("--csv", s.out("no_such_dir").join("cells.csv")),
    ];
    for (flag, path) in cases {
        let p = path.to_str().unwrap();
        let r = s.solve(&["--backend", "cpu", flag, p]);
        assert_eq!(r.code, Some(2), "{flag} {p}: stderr:\n{}", r.stderr);
        assert!(r.stdout.is_empty(), "{flag} {p}: stdout:\n{}", r.stdout);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            r.stderr.contains(name),
            "{flag}: the message names the path:\n{}",
            r.stderr
        );
    }
    assert!(!missing_dir.exists());
}

// ---- the steady --csv cell table ---------------------------------------------------------------

#[test]
fn csv_has_one_row_per_cell_with_centres_and_heat() {
    let s = Scenario::new("full.toml", FULL);
    let csv = s.out("cells.csv");
    let r = s.solve(&[
        "--backend",
        "cpu",
        "--quiet",
        "--json",
        "-",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    r.expect_code(0);
    let v = r.json();
    let text = read(&csv);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("panel,i,j,x_m,y_m,z_m,t_k,absorbed_w,emitted_w")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 80 + 16, "one row per cell");
    let f = |x: &str| {
        x.parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number: {x:?}"))
    };
    let idx = |x: &str| {
        x.parse::<i64>()
            .unwrap_or_else(|_| panic!("not an index: {x:?}"))
    };
    // Panel geometry from FULL: origin, u, v, cells.
    type Geometry = ([f64; 3], [f64; 3], [f64; 3], (i64, i64));
    let panels: [(&str, Geometry); 2] = [
        (
            "radiator",
            ([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.8, 0.0], (10, 8)),
        ),
        (
            "bus",
            ([0.0, 0.0, -0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 0.5], (4, 4)),
        ),
    ];
    // Indices are 0- or 1-based (not fixed by the contract), the same for all rows. The number
    // format is not fixed either: values are compared to 1e-6 (K, m, relative).
    let base = rows.iter().map(|r| idx(r[1]).min(idx(r[2]))).min().unwrap();
    assert!(base == 0 || base == 1, "index base {base}");
    for (name, (o, u, vv, (nx, ny))) in panels {
        let mine: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == name).collect();
        assert_eq!(mine.len() as i64, nx * ny, "{name}: rows");
        let mut seen = std::collections::BTreeSet::new();
        let (mut absorbed, mut emitted, mut t_sum) = (0.0, 0.0, 0.0);
        let (mut t_min, mut t_max) = (f64::INFINITY, f64::NEG_INFINITY);
        for row in &mine {
            assert_eq!(row.len(), 9, "{row:?}");
            let (i, j) = (idx(row[1]) - base, idx(row[2]) - base);
            assert!(
                (0..nx).contains(&i) && (0..ny).contains(&j),
                "{name}: ({i}, {j})"
            );
            assert!(seen.insert((i, j)), "{name}: cell ({i}, {j}) twice");
            let (a, b) = ((i as f64 + 0.5) / nx as f64, (j as f64 + 0.5) / ny as f64);
            for k in 0..3 {
                let want = o[k] + a * u[k] + b * vv[k];
                assert_abs(
                    f(row[3 + k]),
                    want,
                    1e-6,
                    &format!("{name} ({i}, {j}) centre[{k}]"),
                );
            }
            let t = f(row[6]);
            t_sum += t;
            t_min = t_min.min(t);
            t_max = t_max.max(t);
            absorbed += f(row[7]);
            emitted += f(row[8]);
        }
        let p = panel(&v, name);
        assert_abs(t_min, num(p, "t_min_k"), 1e-6, &format!("{name} t_min"));
        assert_abs(t_max, num(p, "t_max_k"), 1e-6, &format!("{name} t_max"));
        // Equal cells: the mean is the plain average.
        assert_abs(
            t_sum / (nx * ny) as f64,
            num(p, "t_mean_k"),
            1e-6,
            &format!("{name} t_mean"),
        );
        assert_rel(
            absorbed,
            num(p, "absorbed_w"),
            1e-6,
            &format!("{name} absorbed"),
        );
        assert_rel(
            emitted,
            num(p, "emitted_w"),
            1e-6,
            &format!("{name} emitted"),
        );
    }
}

// ---- payload definitions: count, margins, violations, catalog -----------------------------------

/// A 1 m x 1 m plate radiating from both faces (eps 0.9) to a 0 K sink, no Sun, no Earth, with
/// `payload` (a TOML `[[payloads]]` block over the whole plate) and `required_margin_k`.
fn plate_with(payload: &str, required_margin_k: f64) -> String {
    format!(
        r#"name = "payload plate"
[environment]
sink_k = 0.0

{al}
[coatings.white]
absorptivity = 0.2
emissivity = 0.9

{plate}
[[payloads]]
name = "chip"
panel = "plate"
center_m = [0.5, 0.5]
size_m = [1.0, 1.0]
{payload}

[solve]
mode = "steady"
required_margin_k = {margin}
tolerance_k = 1.0e-7
"#,
        al = material("al", 167.0),
        plate = Panel::plate("plate", [1.0, 1.0], [2, 2], "white", "white").toml("al", 0.002),
        margin = tf(required_margin_k),
    )
}

/// Plate temperature [K] of `plate_with` dissipating `total_w`: 2 eps sigma T^4 = q.
fn plate_t(total_w: f64) -> f64 {
    (total_w / (2.0 * 0.9 * SIGMA)).powf(0.25)
}

#[test]
fn payload_count_multiplies_the_power() {
    let v = solve_ok(&plate_with(
        "model = \"custom\"\ncount = 3\npower_w = 400.0\njunction_to_panel_k_w = 0.05\nlimit_c = 200.0",
        0.0,
    ));
    let chip = payload(&v, "chip");
    assert_eq!(chip["count"], 3);
    assert_eq!(num(chip, "power_w"), 400.0);
    assert_eq!(num(chip, "total_power_w"), 1200.0);
    assert_eq!(num(&v, "energy.dissipated_w"), 1200.0);
    // The panel takes 3 x 400 W; the junction adds one chip's 400 W x 0.05 K/W.
    let t = plate_t(1200.0);
    assert_abs(num(panel(&v, "plate"), "t_mean_k"), t, 1e-3, "plate T");
    assert_abs(num(chip, "junction_c"), t + 20.0 - C_TO_K, 1e-3, "junction");
}

/// The C1 dissipating plate (1400 W/m^2, eps 0.9, 342.22 K = 69.07 C), junction = plate.
fn margin_case(limits: &str, required: f64, code: i32) -> (Value, f64) {
    let v = solve_expect(
        &plate_with(
            &format!("model = \"custom\"\npower_w = 1400.0\njunction_to_panel_k_w = 0.0\n{limits}"),
            required,
        ),
        code,
    );
    let j = plate_t(1400.0) - C_TO_K;
    assert_abs(num(payload(&v, "chip"), "junction_c"), j, 1e-3, "junction");
    (v, j)
}

#[test]
fn within_the_limit_and_the_required_margin_passes() {
    let (v, j) = margin_case("limit_c = 75.0", 5.0, 0);
    let chip = payload(&v, "chip");
    assert_eq!(v["verdict"], "pass");
    assert_eq!(chip["within_limit"], Value::Bool(true));
    assert_eq!(chip["violation"], Value::Null);
    assert_abs(num(chip, "margin_k"), 75.0 - j, 1e-3, "margin");
}

#[test]
fn inside_the_limit_but_not_the_required_margin_fails() {
    // 69.07 C against 75 C less 10 K: fails, though the margin to the limit itself is +5.93 K.
    let (v, j) = margin_case("limit_c = 75.0", 10.0, 1);
    let chip = payload(&v, "chip");
    assert_eq!(v["verdict"], "fail");
    assert_eq!(chip["within_limit"], Value::Bool(false));
    assert_abs(num(chip, "margin_k"), 75.0 - j, 1e-3, "margin to the limit");
    let s = chip["violation"].as_str().expect("violation sentence");
    for part in ["69.1", "75.0", "10"] {
        assert!(s.contains(part), "violation should contain {part:?}: {s}");
    }
    assert!(
        s.contains("margin"),
        "violation names the required margin: {s}"
    );
}

#[test]
fn below_the_lower_limit_fails_with_a_negative_margin() {
    // 69.07 C with limits [70, 150] C: the smaller distance is to the lower limit, -0.93 K.
    let (v, j) = margin_case("limit_c = 150.0\nmin_limit_c = 70.0", 0.0, 1);
    let chip = payload(&v, "chip");
    assert_eq!(num(chip, "min_limit_c"), 70.0);
    assert_eq!(chip["within_limit"], Value::Bool(false));
    assert_abs(
        num(chip, "margin_k"),
        j - 70.0,
        1e-3,
        "margin to the lower limit",
    );
    let s = chip["violation"].as_str().expect("violation sentence");
    assert!(s.contains("69.1") && s.contains("70.0"), "violation: {s}");
}

#[test]
fn the_required_margin_applies_to_the_lower_limit_too() {
    // 69.07 C, lower limit 60 C, 10 K required: 69.07 < 70 fails; margin +9.07 K.
    let (v, j) = margin_case("limit_c = 150.0\nmin_limit_c = 60.0", 10.0, 1);
    let chip = payload(&v, "chip");
    assert_eq!(chip["within_limit"], Value::Bool(false));
    assert_abs(
        num(chip, "margin_k"),
        j - 60.0,
        1e-3,
        "margin to the lower limit",
    );
    assert!(chip["violation"].is_string());
}

#[test]
fn catalog_models_carry_their_power_limit_and_sources() {
    // SCENARIO.md section 3, payload catalog: (model, power_w, limit_c, limit assumed).
    for (model, power, limit, assumed) in [
        ("h100-sxm", 700.0, 87.0, false),
        ("h100-pcie", 350.0, 87.0, true),
        ("b200", 1000.0, 87.0, true),
        ("tpu-v4", 192.0, 85.0, true),
    ] {
        let v = solve_ok(&plate_with(
            &format!("model = \"{model}\"\njunction_to_panel_k_w = 0.03"),
            0.0,
        ));
        let chip = payload(&v, "chip");
        assert_eq!(chip["model"], model);
        assert_eq!(num(chip, "power_w"), power, "{model} power");
        assert_eq!(num(chip, "limit_c"), limit, "{model} limit");
        let j = plate_t(power) + power * 0.03 - C_TO_K;
        assert_abs(
            num(chip, "junction_c"),
            j,
            1e-3,
            &format!("{model} junction"),
        );
        assert_abs(
            num(chip, "margin_k"),
            limit - j,
            1e-3,
            &format!("{model} margin"),
        );
        let ps = chip["power_source"]
            .as_str()
            .unwrap_or_else(|| panic!("{model} power_source"));
        let ls = chip["limit_source"]
            .as_str()
            .unwrap_or_else(|| panic!("{model} limit_source"));
        assert!(
            ps.contains(&format!("{power:.0}")),
            "{model} power_source: {ps}"
        );
        if assumed {
            assert!(
                ls.to_lowercase().contains("assumed"),
                "{model} limit_source: {ls}"
            );
        } else {
            assert!(ls.contains("87"), "{model} limit_source: {ls}");
        }
    }
}

#[test]
fn a_steady_solve_uses_the_payload_schedule_at_t_0() {
    // SCENARIO.md section 3: schedules are sampled at t = 0 in a steady solve.
    let v = solve_ok(&plate_with(
        "model = \"custom\"\ncount = 2\nschedule = { time_s = [0.0, 100.0], power_w = [50.0, 500.0] }\n\
         junction_to_panel_k_w = 0.1\nlimit_c = 200.0",
        0.0,
    ));
    let chip = payload(&v, "chip");
    assert_eq!(num(chip, "power_w"), 50.0);
    assert_eq!(num(chip, "total_power_w"), 100.0);
    assert_abs(
        num(chip, "junction_c"),
        plate_t(100.0) + 5.0 - C_TO_K,
        1e-3,
        "junction",
    );
}

#[test]
fn without_a_sun_direction_payloads_run_at_their_eclipse_power() {
    // SCENARIO.md section 3: no sun_direction means eclipse; payloads dissipate eclipse_power_w.
    let v = solve_ok(&plate_with(
        "model = \"custom\"\ncount = 2\npower_w = 400.0\neclipse_power_w = 100.0\n\
         junction_to_panel_k_w = 0.1\nlimit_c = 200.0",
        0.0,
    ));
    let chip = payload(&v, "chip");
    assert_eq!(num(chip, "power_w"), 100.0);
    assert_eq!(num(chip, "total_power_w"), 200.0);
    assert_abs(
        num(chip, "junction_c"),
        plate_t(200.0) + 10.0 - C_TO_K,
        1e-3,
        "junction",
    );
}

#[test]
fn power_and_limit_override_the_catalog() {
    let v = solve_ok(&plate_with(
        "model = \"h100-sxm\"\npower_w = 500.0\nlimit_c = 80.0\njunction_to_panel_k_w = 0.03",
        0.0,
    ));
    let chip = payload(&v, "chip");
    assert_eq!(num(chip, "power_w"), 500.0);
    assert_eq!(num(chip, "limit_c"), 80.0);
    assert_abs(
        num(chip, "junction_c"),
        plate_t(500.0) + 15.0 - C_TO_K,
        1e-3,
        "junction at the overriding power",
    );
}

// ---- determinism -------------------------------------------------------------------------------

#[test]
fn same_scenario_gives_bit_identical_numbers_whatever_the_thread_count() {
    // A finer mesh so that parallel reductions split into several chunks.
    let text = edit(FULL, "cells = [10, 8]", "cells = [120, 96]");
    let s = Scenario::new("fine.toml", &text);
    let mut reports = Vec::new();
    for threads in ["1", "3", "3"] {
        let r = run_env(
            [
                "solve",
                s.path_str(),
                "--backend",
                "cpu",
                "--json",
                "-",
                "--quiet",
            ],
            &[("RAYON_NUM_THREADS", threads)],
        );
        r.expect_code(0);
        let mut v = r.json();
        v["solver"]
            .as_object_mut()
            .expect("solver block")
            .remove("wall_s");
        reports.push(v);
    }
    assert_eq!(reports[0], reports[1], "1 thread vs 3 threads");
    assert_eq!(reports[1], reports[2], "two runs with 3 threads");
}

// ---- payload footprint: power in proportion to overlap, junction an overlap-weighted mean --------

#[test]
fn payload_power_and_junction_follow_the_footprint_overlap() {
    // A 1 m x 0.25 m strip of 4 cells (0.25 m each), k t = 0.02 W/K, both faces eps 0.9, 0 K sink,
    // no Sun. The 20 W footprint spans x in [0.2, 0.4]: 0.05 m over cell 0, 0.15 m over cell 1.
    // From the CSV, the power put into each cell is what the cell's own balance needs:
    // emitted - absorbed - conduction in, with G = k t L / dx = k t between equal square cells.
    // SCENARIO.md section 3: power in proportion to the overlap a_c; the junction is the
    // a_c-weighted mean cell temperature plus power x junction_to_panel_k_w.
    let text = format!(
        r#"name = "footprint"
[environment]
sink_k = 0.0

{poor}
[coatings.white]
absorptivity = 0.2
emissivity = 0.9

{strip}
[[payloads]]
name = "chip"
model = "custom"
panel = "strip"
center_m = [0.3, 0.125]
size_m = [0.2, 0.25]
junction_to_panel_k_w = 0.1
power_w = 20.0
limit_c = 200.0

[solve]
mode = "steady"
tolerance_k = 1.0e-9
"#,
        poor = material("poor", 10.0),
        strip = Panel::plate("strip", [1.0, 0.25], [4, 1], "white", "white").toml("poor", 0.002),
    );
    let s = Scenario::new("footprint.toml", &text);
    let csv = s.out("cells.csv");
    let r = s.solve(&[
        "--backend",
        "cpu",
        "--quiet",
        "--json",
        "-",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    r.expect_code(0);
    let v = r.json();
    let table = read(&csv);
    let mut cells: Vec<(i64, f64, f64, f64)> = table
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let f = |x: &str| x.parse::<f64>().expect("number");
            (c[1].parse().expect("i"), f(c[6]), f(c[7]), f(c[8]))
        })
        .collect();
    cells.sort_by_key(|c| c.0);
    assert_eq!(cells.len(), 4);
    let t: Vec<f64> = cells.iter().map(|c| c.1).collect();
    let g = 10.0 * 0.002;
    let cell_area = 0.25 * 0.25;
    let expected_power = [5.0, 15.0, 0.0, 0.0];
    for i in 0..4 {
        let (_, ti, absorbed, emitted) = cells[i];
        assert_abs(absorbed, 0.0, 1e-12, "no Sun, no Earth");
        assert_rel(
            emitted,
            2.0 * 0.9 * SIGMA * cell_area * ti.powi(4),
            1e-9,
            "cell emission",
        );
        let mut conduction_in = 0.0;
        if i > 0 {
            conduction_in += g * (t[i - 1] - ti);
        }
        if i < 3 {
            conduction_in += g * (t[i + 1] - ti);
        }
        let power = emitted - absorbed - conduction_in;
        assert_abs(
            power,
            expected_power[i],
            1e-6,
            &format!("payload power into cell {i}"),
        );
    }
    let mean = (0.05 * t[0] + 0.15 * t[1]) / 0.2;
    assert_abs(
        num(payload(&v, "chip"), "junction_c"),
        mean + 20.0 * 0.1 - C_TO_K,
        1e-6,
        "junction: overlap-weighted mean + P R",
    );
}

// ---- backend selection ---------------------------------------------------------------------------

#[test]
fn the_command_line_backend_overrides_the_scenario() {
    // The scenario asks for the GPU; --backend cpu must run on the CPU regardless of adapters.
    let text = edit(
        FULL,
        "mode = \"steady\"",
        "mode = \"steady\"\nbackend = \"gpu\"",
    );
    let v = solve_ok(&text);
    assert_eq!(v["backend"]["kind"], "cpu");
    assert_eq!(v["backend"]["precision"], "f64");
}

#[test]
fn auto_backend_solves_and_matches_the_cpu_when_it_picks_the_cpu() {
    let s = Scenario::new("full.toml", FULL);
    let auto = s.solve(&["--backend", "auto", "--json", "-", "--quiet"]);
    auto.expect_code(0);
    let mut a = auto.json();
    let (_, mut c) = s.solve_json();
    match a["backend"]["kind"].as_str() {
        Some("cpu") => {
            for v in [&mut a, &mut c] {
                v["solver"]
                    .as_object_mut()
                    .expect("solver")
                    .remove("wall_s");
            }
            assert_eq!(a, c, "auto on the CPU gives the CPU's numbers");
        }
        Some("gpu") => {
            // An f32 GPU agrees with the f64 reference to its own tolerance; the verdict is shared.
            assert_eq!(a["verdict"], c["verdict"]);
        }
        other => panic!("backend.kind {other:?}"),
    }
}

#[test]
fn a_point_joint_is_reported_with_a_warning() {
    // SCENARIO.md section 3: a point joint depends on the mesh, and the report warns.
    let text = edit(
        FULL,
        "a = { panel = \"bus\", from_m = [0.0, 0.5], to_m = [1.0, 0.5] }\n\
         b = { panel = \"radiator\", from_m = [0.0, 0.0], to_m = [1.0, 0.0] }",
        "a = { panel = \"bus\", at_m = [0.5, 0.45] }\nb = { panel = \"radiator\", at_m = [0.5, 0.05] }",
    );
    let s = Scenario::new("point.toml", &text);
    let r = s.solve(&["--backend", "cpu"]);
    r.expect_code(0);
    let all = format!("{}{}", r.stdout, r.stderr).to_lowercase();
    let warned = all
        .lines()
        .any(|l| l.contains("warn") && l.contains("hinge"));
    assert!(
        warned,
        "no warning naming the point joint \"hinge\":\n{all}"
    );
}

#[test]
fn a_fixed_region_holds_the_cells_whose_centres_lie_on_its_boundary() {
    // Bus cell centres along v: 0.0625, 0.1875, 0.3125, 0.4375. A region spanning v in
    // [0.0625, 0.1875] shifted by 4e-10 m (inside the 1e-9 m tolerance) holds rows 0 and 1.
    let text = edit(
        FULL,
        "center_m = [0.5, 0.0625]\nsize_m = [1.0, 0.125]",
        "center_m = [0.5, 0.1250000004]\nsize_m = [1.0, 0.125]",
    );
    let s = Scenario::new("boundary.toml", &text);
    let csv = s.out("cells.csv");
    let r = s.solve(&[
        "--backend",
        "cpu",
        "--quiet",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    r.expect_code(0);
    let table = read(&csv);
    let bus: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[0] == "bus")
        .collect();
    assert_eq!(bus.len(), 16);
    let base = bus
        .iter()
        .map(|c| c[2].parse::<i64>().unwrap())
        .min()
        .unwrap();
    for c in &bus {
        let j = c[2].parse::<i64>().unwrap() - base;
        let t: f64 = c[6].parse().unwrap();
        if j <= 1 {
            assert_abs(t, 290.0, 1e-9, &format!("bus cell ({}, {j}) held", c[1]));
        } else {
            assert!(
                (t - 290.0).abs() > 1e-6,
                "bus cell ({}, {j}) is free but at {t}",
                c[1]
            );
        }
    }
}

#[test]
fn the_part_of_a_fixed_region_outside_its_panel_is_ignored() {
    // Widening the loop far beyond the 1 m bus holds the same cells: identical numbers.
    let wide = edit(FULL, "size_m = [1.0, 0.125]", "size_m = [5.0, 0.125]");
    let mut reports = Vec::new();
    for text in [FULL.to_string(), wide] {
        let mut v = solve_ok(&text);
        v["solver"]
            .as_object_mut()
            .expect("solver")
            .remove("wall_s");
        reports.push(v);
    }
    assert_eq!(reports[0], reports[1]);
}

/// Graphics loaders complain on stderr when XDG_RUNTIME_DIR is missing; with `auto` the
/// program enumerates adapters, and the contract's first line must still come first.
#[test]
fn first_line_comes_first_without_xdg_runtime_dir() {
    let s = Scenario::new("plain.toml", FULL);
    for args in [
        vec!["solve", s.path_str()],
        vec!["solve", s.path_str(), "--backend", "auto"],
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_skysink"));
        cmd.args(&args).env_remove("XDG_RUNTIME_DIR");
        let out = cmd.output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr
                .lines()
                .next()
                .is_some_and(|l| l.starts_with("skysink: backend ")),
            "{args:?}: stderr starts with something else:\n{stderr}"
        );
        let mut quiet = std::process::Command::new(env!("CARGO_BIN_EXE_skysink"));
        quiet
            .args(&args)
            .arg("--quiet")
            .env_remove("XDG_RUNTIME_DIR");
        let out = quiet.output().expect("runs");
        assert!(
            out.stderr.is_empty(),
            "--quiet printed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A heat pipe film of 1e300 W/m2K leaves a matrix no solver can use: the residual stays put
/// while the updates vanish. Newton says it stalled, exit 3, well before `max_iterations`
/// (the run took minutes on a large model before), and never reports a pass.
#[test]
fn a_newton_that_cannot_progress_stops_early_with_exit_3() {
    let text = edit(
        FULL,
        "film_coefficient_w_m2k = 5000.0",
        "film_coefficient_w_m2k = 1e300",
    );
    let v = solve_expect(&text, 3);
    assert_eq!(v["verdict"], "not-converged");
    let message = v["solver"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("stalled"), "{message}");
    assert!(num(&v, "solver.iterations") < 100.0, "{}", v["solver"]);
}
