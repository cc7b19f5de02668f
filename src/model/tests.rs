use std::path::Path;

use super::*;
use crate::scenario;

fn model_of(text: &str) -> crate::Result<Model> {
    let loaded = scenario::parse(Path::new("test.toml"), text.to_string())?;
    build(&loaded)
}

const TWO_PANELS: &str = r#"
name = "two panels"
[materials.al]
conductivity_w_mk = 100.0
[coatings.black]
absorptivity = 1.0
emissivity = 1.0
[[panels]]
name = "a"
origin_m = [0.0, 0.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 0.5, 0.0]
cells = [5, 2]
thickness_m = 0.002
material = "al"
front = "black"
back = "none"
[[panels]]
name = "b"
origin_m = [0.0, 0.5, 0.0]
u_m = [0.4, 0.0, 0.0]
v_m = [0.0, 0.4, 0.0]
cells = [4, 4]
thickness_m = 0.001
material = "al"
front = "black"
back = "black"
"#;

fn with(extra: &str) -> String {
    format!("{TWO_PANELS}\n{extra}")
}

#[test]
fn conductances_follow_k_t_and_the_cell_aspect() {
    let model = model_of(TWO_PANELS).expect("builds");
    let a = &model.panels[0];
    // du = 0.2, dv = 0.25, k t = 0.2 W/K: G_u = k t dv / du, G_v = k t du / dv.
    assert!((a.conductance[0] - 0.2 * 0.25 / 0.2).abs() < 1e-15);
    assert!((a.conductance[1] - 0.2 * 0.2 / 0.25).abs() < 1e-15);
    assert_eq!(a.normal, [0.0, 0.0, 1.0]);
    assert!((a.emissive_area_per_cell() - 0.05).abs() < 1e-15);
    assert!((model.panels[1].emissive_area_per_cell() - 2.0 * 0.01).abs() < 1e-15);
    assert_eq!(model.n_cells, 10 + 16);
}

#[test]
fn a_line_joint_shares_its_conductance_by_length() {
    let model = model_of(&with(
        r#"[[links]]
name = "hinge"
a = { panel = "a", from_m = [0.0, 0.5], to_m = [1.0, 0.5] }
b = { panel = "b", from_m = [0.0, 0.0], to_m = [0.4, 0.0] }
conductance_w_k = 2.0"#,
    ))
    .expect("builds");
    let link = &model.links[0];
    let total: f64 = link.couplings.iter().map(|c| c.conductance).sum();
    assert!((total - 2.0).abs() < 1e-12);
    // a is cut at s = 0.2, 0.4, 0.6, 0.8 and b at 0.25, 0.5, 0.75: 8 pieces.
    assert_eq!(link.couplings.len(), 8);
    let first = link.couplings[0];
    assert_eq!((first.a, first.b), (5, 10));
    assert!((first.conductance - 0.4).abs() < 1e-12);
    let second = link.couplings[1];
    assert_eq!((second.a, second.b), (6, 10));
    assert!((second.conductance - 0.1).abs() < 1e-12);
}

#[test]
fn a_fixed_region_holds_the_cells_whose_centres_it_contains() {
    let model = model_of(&with(
        r#"[[fixed_temperatures]]
name = "corner"
panel = "b"
center_m = [0.35, 0.35]
size_m = [0.1, 0.1]
temperature_k = 280.0
[[fixed_temperatures]]
name = "edge"
panel = "b"
center_m = [0.05, 0.2]
size_m = [0.0, 0.1]
temperature_k = 290.0"#,
    ))
    .expect("builds");
    // Cell centres of b are at 0.05, 0.15, 0.25, 0.35 along each axis.
    assert_eq!(model.fixed_regions[0].cells, vec![10 + 3 + 4 * 3]);
    // A zero-width region on the centre line of a column holds the centres on its boundary.
    assert_eq!(model.fixed_regions[1].cells, vec![10 + 4, 10 + 8]);
}

#[test]
fn a_region_holding_no_cell_is_refused() {
    let err = model_of(&with(
        r#"[[fixed_temperatures]]
name = "between"
panel = "b"
center_m = [0.2, 0.2]
size_m = [0.05, 0.05]
temperature_k = 280.0"#,
    ))
    .expect_err("refused");
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("holds no cell"), "{err}");
    assert!(err.to_string().contains("test.toml:"), "{err}");
}

#[test]
fn a_footprint_spreads_its_power_by_overlap_area() {
    let model = model_of(&with(
        r#"[[payloads]]
name = "chip"
model = "custom"
power_w = 100.0
count = 3
limit_c = 90.0
panel = "a"
center_m = [0.3, 0.25]
size_m = [0.2, 0.1]
junction_to_panel_k_w = 0.0"#,
    ))
    .expect("builds");
    // The footprint [0.2, 0.4] x [0.2, 0.3] lies in column 1 and straddles rows 0 and 1 equally.
    assert!((model.dissipated_w[1] - 150.0).abs() < 1e-9);
    assert!((model.dissipated_w[6] - 150.0).abs() < 1e-9);
    assert!((model.dissipated_w.iter().sum::<f64>() - 300.0).abs() < 1e-9);
}

#[test]
fn a_footprint_far_smaller_than_a_cell_keeps_its_power_on_a_cell_corner() {
    let model = model_of(&with(
        r#"[[payloads]]
name = "speck"
model = "custom"
power_w = 100.0
limit_c = 90.0
panel = "a"
center_m = [0.4, 0.25]
size_m = [1e-13, 1e-13]
junction_to_panel_k_w = 0.0"#,
    ))
    .expect("builds");
    // On the corner of cells 1, 2, 6 and 7 (u = 0.4, v = 0.25): a quarter each.
    // (The cell edges are rounded to about 1e-16 m, a thousandth of the footprint's width.)
    for cell in [1, 2, 6, 7] {
        let w = model.dissipated_w[cell];
        assert!((w - 25.0).abs() < 0.1, "cell {cell}: {w} W");
    }
    assert!((model.dissipated_w.iter().sum::<f64>() - 100.0).abs() < 1e-9);
}

/// Two fixed regions on the same cells of panel b, in a transient when `transient`.
fn overlapping_regions(first: &str, second: &str, transient: bool) -> crate::Result<Model> {
    let solve = if transient {
        "[solve]\nmode = \"transient\"\ntime_step_s = 10.0\nduration_s = 600.0\ninitial_k = 300.0"
    } else {
        ""
    };
    let text = with(&format!(
        r#"{solve}
[[fixed_temperatures]]
name = "first"
panel = "b"
center_m = [0.2, 0.2]
size_m = [0.2, 0.2]
{first}
[[fixed_temperatures]]
name = "second"
panel = "b"
center_m = [0.2, 0.2]
size_m = [0.2, 0.2]
{second}"#
    ));
    let heat_capacity =
        "conductivity_w_mk = 100.0\ndensity_kg_m3 = 2700.0\nspecific_heat_j_kgk = 900.0";
    model_of(&text.replace("conductivity_w_mk = 100.0", heat_capacity))
}

#[test]
fn overlapping_fixed_regions_must_agree_at_all_times() {
    let rising = "schedule = { time_s = [0.0, 600.0], temperature_k = [300.0, 320.0] }";
    let faster = "schedule = { time_s = [0.0, 300.0], temperature_k = [300.0, 400.0] }";
    let flat = "schedule = { time_s = [0.0, 100.0, 200.0], temperature_k = [300.0, 300.0, 300.0] }";
    let err = overlapping_regions(rising, faster, true).expect_err("refused");
    assert_eq!(err.exit_code(), 2);
    let message = err.to_string();
    assert!(message.contains("\"second\""), "{message}");
    assert!(message.contains("\"first\""), "{message}");
    assert!(message.contains("at t = 300 s"), "{message}");
    let err = overlapping_regions("temperature_k = 300.0", rising, true).expect_err("refused");
    assert!(err.to_string().contains("at t = 600 s"), "{err}");
    // The same history written two ways is fine.
    overlapping_regions("temperature_k = 300.0", flat, true).expect("the same temperature");
    overlapping_regions(rising, rising, true).expect("the same schedule");
    // A steady solve holds a schedule at its value at t = 0, where the two agree.
    overlapping_regions(rising, faster, false).expect("equal at t = 0");
    let err = overlapping_regions("temperature_k = 290.0", rising, false).expect_err("refused");
    assert!(
        err.to_string().contains("(300 K against 290 K at t = 0 s)"),
        "{err}"
    );
}

#[test]
fn schedules_interpolate_and_hold_their_ends() {
    let times = [0.0, 10.0, 30.0];
    let values = [1.0, 3.0, -1.0];
    assert_eq!(build::schedule_value(&times, &values, -5.0), 1.0);
    assert!((build::schedule_value(&times, &values, 5.0) - 2.0).abs() < 1e-15);
    assert!((build::schedule_value(&times, &values, 20.0) - 1.0).abs() < 1e-15);
    assert_eq!(build::schedule_value(&times, &values, 99.0), -1.0);
}

#[test]
fn a_mesh_too_large_for_the_machine_is_refused_before_allocating() {
    let large = TWO_PANELS.replacen("cells = [5, 2]", "cells = [200000, 200000]", 1);
    let err = model_of(&large).expect_err("refused");
    assert!(
        err.to_string()
            .contains("the mesh has 40000000016 cells; solving it needs about"),
        "{err}"
    );

    let huge = TWO_PANELS.replacen("cells = [5, 2]", "cells = [4000000000, 4000000000]", 1);
    let err = model_of(&huge).expect_err("refused");
    assert_eq!(err.exit_code(), 2);
    let message = err.to_string();
    // 4e9 x 4e9 cells on the first panel plus the second panel's 16.
    assert!(message.contains("16000000000000000016 cells"), "{message}");
    assert!(message.contains("available; use fewer cells"), "{message}");
}
