//! Heat-pipe working fluids and failed pipes (SCENARIO-2 section 13), end to end: the capacity
//! at the vapour temperature against FACTS-2's transport factors, the statuses and their
//! verdicts, a failed pipe that strands a cold plate (a failing case, not solved), a failed
//! pipe on both backends, and the bad input of the new keys.

mod common;

use common::*;
use serde_json::Value;

/// The shared pipe radiator of tests/common, to a sink of `sink_k` without sunlight.
fn radiator(pipe: &str, sink_k: f64, power_w: f64) -> String {
    pipe_radiator(&format!("sink_k = {sink_k:?}"), pipe, power_w)
}

/// FACTS-2 section 2: ammonia's liquid transport factor N, 10^10 W/m^2, every 20 C from -60 C
/// (CoolProp, computed there), for an independent capacity ratio.
const AMMONIA_N: [(f64, f64); 9] = [
    (-60.0, 10.6),
    (-40.0, 12.2),
    (-20.0, 12.8),
    (0.0, 12.5),
    (20.0, 11.3),
    (40.0, 9.54),
    (60.0, 7.33),
    (80.0, 4.87),
    (100.0, 2.48),
];

fn ammonia_n(t_k: f64) -> f64 {
    let c = t_k - C_TO_K;
    let k = AMMONIA_N
        .windows(2)
        .position(|w| c <= w[1].0)
        .unwrap_or(AMMONIA_N.len() - 2);
    let (a, b) = (AMMONIA_N[k], AMMONIA_N[k + 1]);
    a.1 + (c - a.0) / (b.0 - a.0) * (b.1 - a.1)
}

#[test]
fn an_ammonia_pipe_carries_its_capacity_scaled_to_the_vapour_temperature() {
    for (sink_k, reference) in [(250.0, 293.15), (250.0, 313.15), (3.0, 293.15)] {
        let text = radiator(
            &format!("fluid = \"ammonia\"\ncapacity_at_k = {reference:?}"),
            sink_k,
            60.0,
        );
        let v = solve_expect(&text, 0);
        let hp = heat_pipe(&v, "hp");
        let vapour = num(hp, "vapour_k");
        let expected = 143.0 * ammonia_n(vapour) / ammonia_n(reference);
        // FACTS-2's 20 K spacing against the catalog's 5 K: within 1 % where N bends.
        assert_rel(
            num(hp, "capacity_w_m"),
            expected,
            1e-2,
            "capacity at the vapour",
        );
        assert_eq!(hp["fluid"], "ammonia");
        assert_eq!(hp["status"], "ok");
    }
    // Without a fluid the capacity is the number given, at any temperature (part 1).
    let v = solve_expect(&radiator("", 250.0, 60.0), 0);
    assert_eq!(num(heat_pipe(&v, "hp"), "capacity_w_m"), 143.0);
    assert_eq!(heat_pipe(&v, "hp")["fluid"], Value::Null);
}

#[test]
fn a_cold_pipe_is_frozen_cold_or_ok_by_its_vapour_and_fails_the_verdict() {
    // Unpowered, to a 150 K sink: the radiator settles near 150 K, below ammonia's triple
    // point (195.5 K); with water (triple point 273.16 K) too.
    for fluid in ["ammonia", "water"] {
        let text = radiator(&format!("fluid = \"{fluid}\""), 150.0, 0.001);
        let v = solve_expect(&text, 1);
        let hp = heat_pipe(&v, "hp");
        assert!(num(hp, "vapour_k") < 160.0);
        assert_eq!(hp["status"], "frozen", "{hp}");
        let violation = hp["violation"].as_str().unwrap_or_default();
        assert!(violation.contains("triple point"), "{violation}");
        assert_eq!(v["verdict"], "fail");
    }
    // Acetone freezes at 178.5 K but works from 0 C: at ~215 K it is cold, not frozen.
    let text = radiator("fluid = \"acetone\"", 215.0, 0.001);
    let v = solve_expect(&text, 1);
    assert_eq!(heat_pipe(&v, "hp")["status"], "cold");
    // A table capacity is read at the vapour temperature, its ends held.
    let table = "capacity_w_m = { temperature_k = [200.0, 400.0], value = [300.0, 100.0] }";
    let text = radiator("", 250.0, 60.0).replace("capacity_w_m = 143.0", table);
    let v = solve_expect(&text, 0);
    let hp = heat_pipe(&v, "hp");
    let expected = 300.0 - (num(hp, "vapour_k") - 200.0);
    assert_abs(num(hp, "capacity_w_m"), expected, 1e-9, "table capacity");
}

/// In a transient every step time of the reported interval is judged (section 13): a radiator
/// warming from 180 K passes ammonia's triple point (195.5 K) during the run and ends warm, yet
/// the pipe is `frozen`: it was at the first step times.
#[test]
fn a_transient_judges_the_pipe_at_every_step() {
    let solve = "[solve]\nmode = \"transient\"\nduration_s = 1800.0\ntime_step_s = 60.0\n";
    let stores = "conductivity_w_mk = 167.0\ndensity_kg_m3 = 2700.0\nspecific_heat_j_kgk = 896.0";
    let radiator = |sink_k, power_w| {
        radiator("fluid = \"ammonia\"", sink_k, power_w)
            .replace("conductivity_w_mk = 167.0", stores)
    };
    let warm = format!("{}{solve}initial_k = 300.0\n", radiator(250.0, 60.0));
    let v = solve_expect(&warm, 0);
    assert_eq!(heat_pipe(&v, "hp")["status"], "ok");
    let cold = format!("{}{solve}initial_k = 180.0\n", radiator(250.0, 60.0));
    let v = solve_expect(&cold, 1);
    let hp = heat_pipe(&v, "hp");
    assert_eq!(hp["status"], "frozen", "{hp}");
    assert!(num(panel(&v, "rad"), "t_max_k") > 200.0, "{v}");
    assert!(
        hp["violation"]
            .as_str()
            .unwrap_or_default()
            .contains("triple point")
    );
}

/// A working pipe within 5 K of its fluid's range is warned (SCENARIO-2 section 19), with the
/// pipe's line, and still passes. Water works from 30 C (303.15 K): a radiator held near it by
/// its sink is `ok` and close to `cold`.
#[test]
fn a_pipe_near_a_bound_of_its_range_is_warned() {
    let text = radiator("fluid = \"water\"", 300.0, 10.0);
    let v = solve_expect(&text, 0);
    let hp = heat_pipe(&v, "hp");
    let vapour = num(hp, "vapour_k");
    assert!(
        (303.15..=308.15).contains(&vapour),
        "adjust the sink: vapour {vapour} K"
    );
    let line = text[..text.find("[[heat_pipes]]").expect("a pipe")]
        .matches('\n')
        .count()
        + 1;
    let expected = format!("scenario.toml:{line}: heat_pipes[0]: vapour");
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains(&expected) && warnings.contains("within 5 K of the bottom"),
        "{warnings}"
    );
}

#[test]
fn a_failed_pipe_carries_nothing_and_fails_the_case() {
    let text = radiator("failed = true", 250.0, 60.0);
    let v = solve_expect(&text, 1);
    let hp = heat_pipe(&v, "hp");
    assert_eq!(hp["status"], "failed");
    assert_eq!(hp["vapour_k"], Value::Null);
    assert_eq!(num(hp, "load_w"), 0.0);
    assert_eq!(v["solver"]["converged"], Value::Bool(true));
    assert_energy_closes(&v);
    // Without the pipe the chip's end runs hotter than with it.
    let working = solve_expect(&radiator("", 250.0, 60.0), 0);
    assert!(
        num(payload(&v, "chip"), "junction_c") > num(payload(&working, "chip"), "junction_c") + 1.0
    );
}

/// A cold plate that only radiates through a pipe to a radiator: with the pipe failed it has
/// no way to lose heat. Not bad input: the case fails (exit 1) and is not solved.
#[test]
fn a_failed_pipe_that_strands_a_cold_plate_fails_without_a_solve() {
    let text = r#"name = "stranded cold plate"
[environment]
sink_k = 3.0
[materials.al]
conductivity_w_mk = 167.0
[coatings.white]
absorptivity = 0.2
emissivity = 0.85
[[panels]]
name = "plate"
origin_m = [0.0, 0.0, 0.0]
u_m = [0.3, 0.0, 0.0]
v_m = [0.0, 0.3, 0.0]
cells = [6, 6]
thickness_m = 0.005
material = "al"
front = "none"
back = "none"
[[panels]]
name = "rad"
origin_m = [0.0, 0.0, 1.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 1.0, 0.0]
cells = [10, 10]
thickness_m = 0.001
material = "al"
front = "white"
back = "white"
[[heat_pipes]]
name = "hp"
segments = [
  { panel = "plate", from_m = [0.05, 0.15], to_m = [0.25, 0.15] },
  { panel = "rad", from_m = [0.05, 0.5], to_m = [0.95, 0.5] },
]
width_m = 0.02
film_coefficient_w_m2k = 5000.0
capacity_w_m = 143.0
failed = true
[[payloads]]
name = "chip"
model = "custom"
power_w = 50.0
limit_c = 90.0
panel = "plate"
center_m = [0.15, 0.15]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.1
"#;
    let v = solve_expect(text, 1);
    assert_eq!(v["verdict"], "fail");
    let hp = heat_pipe(&v, "hp");
    assert_eq!(hp["status"], "failed");
    let violation = hp["violation"].as_str().unwrap_or_default();
    assert!(
        violation.contains("\"plate\"") && violation.contains("not solved"),
        "{violation}"
    );
    assert_eq!(payload(&v, "chip")["junction_c"], Value::Null);
    assert_eq!(v["solver"]["iterations"], 0);
    // With the pipe working the same file is a valid, solvable design.
    let working = text.replace("failed = true", "failed = false");
    solve_expect(&working, 0);
    // Every pipe joining, a group that still cannot lose heat is bad input (exit 2).
    let unfixable = text.replace(
        "front = \"white\"\nback = \"white\"",
        "front = \"none\"\nback = \"none\"",
    );
    let s = Scenario::new("unfixable.toml", &unfixable);
    let r = s.check();
    r.expect_code(2);
    assert!(r.stderr.contains("cannot lose heat"), "{}", r.stderr);
}

#[test]
fn a_failed_pipe_gives_the_same_field_on_both_backends() {
    let Some(_) = adapter_or_skip("GPU failed-pipe test") else {
        return;
    };
    let s = Scenario::new("failed.toml", &radiator("failed = true", 250.0, 60.0));
    let cpu = s.solve(&["--backend", "cpu", "--json", "-", "--quiet"]);
    let gpu = s.solve(&["--backend", "gpu", "--json", "-", "--quiet"]);
    let (c, g) = (cpu.expect_code(1).json(), gpu.expect_code(1).json());
    assert_abs(
        num(payload(&g, "chip"), "junction_c"),
        num(payload(&c, "chip"), "junction_c"),
        0.05,
        "GPU against CPU",
    );
    assert_eq!(heat_pipe(&g, "hp")["status"], "failed");
}

#[test]
fn the_new_keys_refuse_bad_input_with_place_and_what_is_allowed() {
    let cases = [
        (
            "fluid = \"helium\"".to_string(),
            vec![
                "heat_pipes[0].fluid",
                "unknown heat-pipe fluid \"helium\"",
                "ammonia, water, acetone, methanol",
            ],
        ),
        (
            "capacity_at_k = -5.0".to_string(),
            vec!["heat_pipes[0].capacity_at_k", "must be > 0"],
        ),
    ];
    for (keys, expected) in cases {
        let s = Scenario::new("bad.toml", &radiator(&keys, 250.0, 60.0));
        let r = s.check();
        r.expect_code(2);
        for part in expected {
            assert!(r.stderr.contains(part), "{part:?} missing: {}", r.stderr);
        }
        assert!(r.stderr.contains("bad.toml:"), "{}", r.stderr);
    }
    let tables = [
        (
            "capacity_w_m = { temperature_k = [300.0, 250.0], value = [1.0, 2.0] }",
            "temperatures must strictly increase",
        ),
        (
            "capacity_w_m = { temperature_k = [250.0, 300.0], value = [1.0] }",
            "1 values for 2 temperatures",
        ),
        (
            "capacity_w_m = { temperature_k = [250.0], value = [0.0] }",
            "must be > 0",
        ),
        ("capacity_w_m = \"lots\"", "expected a number or a table"),
    ];
    for (line, message) in tables {
        let text = radiator("", 250.0, 60.0).replace("capacity_w_m = 143.0", line);
        let s = Scenario::new("bad.toml", &text);
        let r = s.check();
        r.expect_code(2);
        assert!(
            r.stderr.contains(message),
            "{message:?} missing: {}",
            r.stderr
        );
        assert!(r.stderr.contains("capacity_w_m"), "{}", r.stderr);
    }
    let both = radiator("capacity_at_k = 300.0", 250.0, 60.0).replace(
        "capacity_w_m = 143.0",
        "capacity_w_m = { temperature_k = [250.0], value = [100.0] }",
    );
    let s = Scenario::new("bad.toml", &both);
    let r = s.check();
    r.expect_code(2);
    assert!(r.stderr.contains("remove capacity_at_k"), "{}", r.stderr);
}
