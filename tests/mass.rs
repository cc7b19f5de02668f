//! Mass and figures of merit (SCENARIO-2 section 17) against hand sums: panels, heat pipes over
//! all their segments, the items without a mass, W/kg and W/m^2; the sweep CSV's `mass_kg`; bad
//! input.

mod common;

use common::*;

/// Two panels (al 2700 kg/m^3; the second with 1.5 kg/m^2 of face sheets and core), a pipe over
/// both (0.4 kg/m), a 200 W chip; `pipe_mass` is the pipe's mass key.
fn design(pipe_mass: &str) -> String {
    format!(
        r#"name = "mass"
[environment]
sun_direction = [0.0, 0.0, 1.0]
sink_k = 3.0
{}
[coatings.white]
absorptivity = 0.2
emissivity = 0.85
[[panels]]
name = "plate"
origin_m = [0.0, 0.0, 0.0]
u_m = [0.5, 0.0, 0.0]
v_m = [0.0, 0.4, 0.0]
cells = [5, 4]
thickness_m = 0.003
material = "al"
front = "white"
back = "none"
[[panels]]
name = "wing"
origin_m = [0.5, 0.0, 0.0]
u_m = [2.0, 0.0, 0.0]
v_m = [0.0, 0.4, 0.0]
cells = [20, 4]
thickness_m = 0.001
material = "al"
front = "white"
back = "white"
areal_mass_kg_m2 = 1.5
[[heat_pipes]]
name = "hp"
segments = [
  {{ panel = "plate", from_m = [0.1, 0.2], to_m = [0.5, 0.2] }},
  {{ panel = "wing", from_m = [0.0, 0.2], to_m = [1.9, 0.2] }},
]
width_m = 0.02
film_coefficient_w_m2k = 5000.0
capacity_w_m = 500.0
{pipe_mass}
[[payloads]]
name = "chip"
model = "custom"
power_w = 200.0
limit_c = 150.0
panel = "plate"
center_m = [0.25, 0.2]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.05
"#,
        material("al", 167.0)
    )
}

#[test]
fn the_mass_block_sums_panels_and_pipes_and_gives_the_figures_of_merit() {
    let v = solve_expect(&design("mass_kg_m = 0.4"), 0);
    let m = &v["mass"];
    let plate = 2700.0 * 0.003 * 0.5 * 0.4;
    let wing = 2700.0 * 0.001 * 2.0 * 0.4 + 1.5 * 2.0 * 0.4;
    let pipe = 0.4 * (0.4 + 1.9);
    assert_rel(num(m, "panels_kg"), plate + wing, 1e-12, "panels");
    assert_rel(num(m, "heat_pipes_kg"), pipe, 1e-12, "heat pipes");
    assert_eq!(num(m, "loops_kg"), 0.0);
    let total = plate + wing + pipe;
    assert_rel(num(m, "total_kg"), total, 1e-12, "total");
    assert_eq!(m["missing"], serde_json::json!([]));
    assert_rel(num(m, "specific_power_w_kg"), 200.0 / total, 1e-12, "W/kg");
    // Radiating: the plate's front and both wing sides.
    let radiating = 0.5 * 0.4 + 2.0 * 2.0 * 0.4;
    assert_rel(
        num(m, "power_per_area_w_m2"),
        200.0 / radiating,
        1e-12,
        "W/m^2",
    );
}

#[test]
fn an_item_without_a_mass_is_named_and_left_out_of_the_total() {
    let v = solve_expect(&design(""), 0);
    let m = &v["mass"];
    assert_eq!(
        m["missing"],
        serde_json::json!(["heat pipe \"hp\" (no mass_kg_m)"])
    );
    assert_eq!(num(m, "heat_pipes_kg"), 0.0);
    let s = Scenario::new("mass.toml", &design(""));
    let human = s.solve(&["--backend", "cpu"]);
    let line = human
        .stdout
        .lines()
        .find(|l| l.starts_with("mass: "))
        .expect("a mass line");
    assert!(
        line.contains("without a mass (not counted): heat pipe \"hp\""),
        "{line}"
    );
}

#[test]
fn the_sweep_csv_gives_the_mass_after_the_hottest_temperature() {
    let sweep = "[sweep]\nmethod = \"grid\"\n[[sweep.parameters]]\npath = \"panels.wing.thickness_m\"\nvalues = [0.001, 0.002]\n";
    let s = Scenario::new(
        "sweep.toml",
        &format!("{}{sweep}", design("mass_kg_m = 0.4")),
    );
    let csv = s.out("out.csv");
    run([
        "sweep",
        s.path_str(),
        "--backend",
        "cpu",
        "--quiet",
        "--csv",
        csv.to_str().expect("utf-8"),
    ])
    .expect_code(0);
    let text = read(&csv);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let at = |name: &str| header.iter().position(|c| *c == name).expect(name);
    assert_eq!(at("mass_kg"), at("t_max_k") + 1);
    assert_eq!(at("heater_w"), at("t_max_k") + 2);
    for (line, wing_t) in lines.zip([0.001, 0.002]) {
        let fields: Vec<&str> = line.split(',').collect();
        let mass: f64 = fields[at("mass_kg")].parse().expect("a mass");
        let expected = 2700.0 * 0.003 * 0.2 + 2700.0 * wing_t * 0.8 + 1.5 * 0.8 + 0.4 * 2.3;
        assert_rel(mass, expected, 1e-12, "mass of the point");
        assert_eq!(fields[at("heater_w")], "0");
    }
}

#[test]
fn negative_masses_are_refused() {
    for (text, key) in [
        (design("mass_kg_m = -0.4"), "heat_pipes[0].mass_kg_m"),
        (
            design("").replace("areal_mass_kg_m2 = 1.5", "areal_mass_kg_m2 = -1.5"),
            "panels[1].areal_mass_kg_m2",
        ),
    ] {
        let s = Scenario::new("bad.toml", &text);
        let r = s.check();
        r.expect_code(2);
        assert!(
            r.stderr.contains(key) && r.stderr.contains(">= 0"),
            "{}",
            r.stderr
        );
    }
}
