//! Bad input (SCENARIO.md section 1, "Bad input" and "Validation rules"; section 8, exit codes):
//! one clear message that names the file, the line and column where the TOML parser has them, the
//! key and the value; exit status 2; no panic; nothing on standard output; no report file.
//!
//! Each case is one edit of `common::FULL`, a scenario that is itself accepted (see
//! `the_unedited_scenario_is_valid`), so every refusal below is caused by the edit alone.

mod common;

use common::*;

/// Runs `solve` (with a `--json` file and with `--json -`) and `check` on `text` written as
/// `file_name`. Each must exit 2 without panicking, write nothing to stdout and no report file,
/// and print a message containing the file name and every needle (compared case-insensitively).
/// Returns the stderr of `solve`.
fn refused(file_name: &str, text: &str, needles: &[&str]) -> String {
    let s = Scenario::new(file_name, text);
    let report = s.out("report.json");
    let report_arg = report.to_str().expect("UTF-8 path").to_owned();
    let runs = [
        (
            "solve --json FILE",
            s.solve(&["--backend", "cpu", "--json", &report_arg]),
        ),
        (
            "solve --json -",
            s.solve(&["--backend", "cpu", "--json", "-"]),
        ),
        ("check", s.check()),
    ];
    for (what, r) in &runs {
        assert_eq!(
            r.code,
            Some(2),
            "{what}: exit status\n--- stdout:\n{}\n--- stderr:\n{}",
            r.stdout,
            r.stderr
        );
        assert!(
            !r.stderr.contains("panicked"),
            "{what} panicked:\n{}",
            r.stderr
        );
        if what.starts_with("solve") {
            assert!(
                r.stdout.is_empty(),
                "{what}: bad input must not produce output on stdout, got:\n{}",
                r.stdout
            );
        }
        let lower = r.stderr.to_lowercase();
        for needle in std::iter::once(&file_name).chain(needles) {
            assert!(
                lower.contains(&needle.to_lowercase()),
                "{what}: the message should mention {needle:?}; stderr was:\n{}",
                r.stderr
            );
        }
    }
    assert!(
        !report.exists(),
        "a report file was written for bad input: {}",
        read(&report)
    );
    runs.into_iter()
        .next()
        .map(|(_, r)| r.stderr)
        .unwrap_or_default()
}

/// `refused`, and the message cites the line of the first occurrence of `marker` (the offending
/// key) as ":L:" (file:line:col) or "line L".
fn refused_at(file_name: &str, text: &str, marker: &str, needles: &[&str]) {
    let (line, _) = position(text, marker);
    let stderr = refused(file_name, text, needles);
    let lower = stderr.to_lowercase();
    assert!(
        lower.contains(&format!(":{line}:")) || lower.contains(&format!("line {line}")),
        "the message should cite line {line} ({marker:?}); stderr was:\n{stderr}"
    );
}

/// The 1-based line and column at which `needle` first occurs in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// The message gives the position as "L:C" (file:line:col) or as "line L" and "column C".
fn assert_position(stderr: &str, line: usize, col: usize) {
    let lower = stderr.to_lowercase();
    let colon = lower.contains(&format!(":{line}:{col}"));
    let words = lower.contains(&format!("line {line}")) && lower.contains(&format!("column {col}"));
    assert!(
        colon || words,
        "the message should give line {line}, column {col}; stderr was:\n{stderr}"
    );
}

#[test]
fn the_unedited_scenario_is_valid() {
    // The control for every test below.
    let s = Scenario::new("valid.toml", FULL);
    s.check().expect_code(0);
    let (r, v) = s.solve_json();
    r.expect_code(0);
    assert_eq!(v["verdict"], "pass");
}

// ---- syntax and structure --------------------------------------------------------------------

#[test]
fn toml_syntax_error_gives_line_and_column() {
    let text = edit(FULL, "albedo = 0.30", "albedo = = 0.30");
    // The parser stops at the second '='.
    let (line, col) = position(&text, "= 0.30");
    let stderr = refused("syntax_error.toml", &text, &[]);
    assert_position(&stderr, line, col);
}

#[test]
fn unclosed_table_header_gives_line_and_column() {
    let text = edit(FULL, "[coatings.white]", "[coatings.white");
    let (line, _) = position(&text, "[coatings.white");
    // The parser reports the end of the header line, where ']' is missing.
    let col = "[coatings.white".len() + 1;
    let stderr = refused("unclosed.toml", &text, &[]);
    assert_position(&stderr, line, col);
}

#[test]
fn unknown_key_is_refused_with_its_position() {
    let text = edit(FULL, "sink_k = 2.725", "sink_temperature = 2.725");
    let (line, col) = position(&text, "sink_temperature");
    let stderr = refused("unknown_key.toml", &text, &["sink_temperature"]);
    assert_position(&stderr, line, col);
}

#[test]
fn unknown_key_in_a_panel_is_refused() {
    let text = edit(FULL, "thickness_m = 0.003", "thickness = 0.003");
    let (line, col) = position(&text, "thickness = 0.003");
    let stderr = refused("unknown_panel_key.toml", &text, &["thickness"]);
    assert_position(&stderr, line, col);
}

#[test]
fn unknown_table_is_refused() {
    let text = format!("{FULL}\n[radiators]\ncount = 2\n");
    refused("unknown_table.toml", &text, &["radiators"]);
}

#[test]
fn wrong_value_type_is_refused_with_its_position() {
    let text = edit(FULL, "emissivity = 0.85", "emissivity = \"high\"");
    let (line, _) = position(&text, "emissivity = \"high\"");
    let stderr = refused("wrong_type.toml", &text, &["emissivity"]);
    let lower = stderr.to_lowercase();
    assert!(
        lower.contains(&format!(":{line}:")) || lower.contains(&format!("line {line}")),
        "the message should give line {line}:\n{stderr}"
    );
}

#[test]
fn an_array_with_an_extra_item_is_refused() {
    // Serde's fixed-size arrays stop reading at their length; the extra item must not be dropped.
    let text = edit(FULL, "cells = [10, 8]", "cells = [10, 8, 5]");
    refused_at(
        "extra_item.toml",
        &text,
        "cells = [10, 8, 5]",
        &["panels[0].cells", "length 3", "length 2"],
    );
    let text = edit(
        FULL,
        "sun_direction = [0.0, 0.6, 0.8]",
        "sun_direction = [0.0, 0.6, 0.8, 7.0]",
    );
    refused_at(
        "extra_component.toml",
        &text,
        "sun_direction = [",
        &["environment.sun_direction", "length 4", "length 3"],
    );
}

#[test]
fn a_wrong_type_inside_an_array_names_the_item() {
    let text = edit(FULL, "cells = [10, 8]", "cells = [10, \"ten\"]");
    refused_at(
        "item_type.toml",
        &text,
        "cells = [10, \"ten\"]",
        &["panels[0].cells[1]", "ten"],
    );
}

#[test]
fn a_duplicate_key_is_named() {
    let text = edit(FULL, "sink_k = 2.725", "sink_k = 2.725\nsink_k = 3.0");
    refused_at(
        "duplicate.toml",
        &text,
        "sink_k = 3.0",
        &["duplicate key `sink_k`"],
    );
}

#[test]
fn missing_name_is_refused() {
    let text = edit(FULL, "name = \"valid base\"\n", "");
    refused("no_name.toml", &text, &["name"]);
}

#[test]
fn quiet_still_prints_the_error() {
    let text = edit(FULL, "emissivity = 0.80", "emissivity = 1.2");
    let s = Scenario::new("quiet_error.toml", &text);
    let r = s.solve(&["--backend", "cpu", "--quiet", "--json", "-"]);
    r.expect_code(2);
    assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
    assert!(
        r.stderr.contains("quiet_error.toml") && r.stderr.contains("emissivity"),
        "stderr: {}",
        r.stderr
    );
}

#[test]
fn missing_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("does_not_exist.toml");
    let p = path.to_str().expect("UTF-8");
    for args in [
        vec!["solve", p, "--backend", "cpu", "--json", "-"],
        vec!["check", p],
    ] {
        let r = run(&args);
        r.expect_code(2);
        assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
        assert!(
            r.stderr.contains("does_not_exist.toml"),
            "the message should name the file:\n{}",
            r.stderr
        );
    }
}

// ---- values out of range ---------------------------------------------------------------------

#[test]
fn emissivity_above_one_is_refused() {
    let text = edit(FULL, "emissivity = 0.80", "emissivity = 1.2");
    refused_at(
        "emissivity.toml",
        &text,
        "emissivity = 1.2",
        &["emissivity", "1.2"],
    );
}

#[test]
fn negative_absorptivity_is_refused() {
    let text = edit(FULL, "absorptivity = 0.20", "absorptivity = -0.1");
    refused_at(
        "absorptivity.toml",
        &text,
        "absorptivity = -0.1",
        &["absorptivity", "-0.1"],
    );
}

#[test]
fn nan_is_refused() {
    let text = edit(FULL, "emissivity = 0.80", "emissivity = nan");
    refused_at(
        "nan.toml",
        &text,
        "emissivity = nan",
        &["emissivity", "nan"],
    );
}

#[test]
fn infinity_is_refused() {
    let text = edit(FULL, "conductivity_w_mk = 167.0", "conductivity_w_mk = inf");
    refused_at(
        "inf.toml",
        &text,
        "conductivity_w_mk = inf",
        &["conductivity_w_mk", "inf"],
    );
}

#[test]
fn negative_thickness_is_refused() {
    let text = edit(FULL, "thickness_m = 0.002", "thickness_m = -0.002");
    refused_at(
        "thickness.toml",
        &text,
        "thickness_m = -0.002",
        &["thickness_m", "-0.002"],
    );
}

#[test]
fn zero_conductance_is_refused() {
    let text = edit(FULL, "conductance_w_k = 2.0", "conductance_w_k = 0.0");
    refused_at(
        "conductance.toml",
        &text,
        "conductance_w_k = 0.0",
        &["conductance_w_k"],
    );
}

#[test]
fn negative_required_margin_is_refused() {
    let text = edit(FULL, "required_margin_k = 0.0", "required_margin_k = -5.0");
    refused_at(
        "margin.toml",
        &text,
        "required_margin_k = -5.0",
        &["required_margin_k", "-5"],
    );
}

#[test]
fn zero_max_iterations_is_refused() {
    let text = edit(FULL, "max_iterations = 200", "max_iterations = 0");
    refused_at(
        "iterations.toml",
        &text,
        "max_iterations = 0",
        &["max_iterations"],
    );
}

#[test]
fn zero_payload_count_is_refused() {
    let text = edit(FULL, "count = 2", "count = 0");
    refused_at("count.toml", &text, "count = 0", &["count"]);
}

#[test]
fn lower_limit_not_below_upper_limit_is_refused() {
    let text = edit(
        FULL,
        "limit_c = 120.0",
        "limit_c = 120.0\nmin_limit_c = 130.0",
    );
    refused_at(
        "limits.toml",
        &text,
        "min_limit_c = 130.0",
        &["min_limit_c", "130"],
    );
}

#[test]
fn non_positive_fixed_temperature_is_refused() {
    let text = edit(FULL, "temperature_k = 290.0", "temperature_k = -10.0");
    refused_at(
        "fixed_temperature.toml",
        &text,
        "temperature_k = -10.0",
        &["temperature_k", "-10"],
    );
}

// ---- geometry and meshes ---------------------------------------------------------------------

#[test]
fn u_and_v_not_perpendicular_is_refused() {
    let text = edit(FULL, "v_m = [0.0, 0.8, 0.0]", "v_m = [0.1, 0.8, 0.0]");
    refused_at("skewed.toml", &text, "v_m = [0.1", &["perpendicular"]);
}

#[test]
fn zero_length_edge_is_refused() {
    let text = edit(FULL, "u_m = [1.0, 0.0, 0.0]", "u_m = [0.0, 0.0, 0.0]");
    refused_at("zero_edge.toml", &text, "u_m = [0.0, 0.0, 0.0]", &["u_m"]);
}

#[test]
fn cells_too_large_for_numbers_are_refused() {
    // 1e300 m edges: each is a length, but a cell's area overflows.
    let text = edit(
        FULL,
        "u_m = [1.0, 0.0, 0.0]\nv_m = [0.0, 0.8, 0.0]",
        "u_m = [1e300, 0.0, 0.0]\nv_m = [0.0, 1e300, 0.0]",
    );
    refused("huge_cells.toml", &text, &["panels[0]", "area", "u_m"]);
}

#[test]
fn an_extreme_value_is_quoted_in_scientific_notation() {
    let text = edit(FULL, "thickness_m = 0.002", "thickness_m = -1e-300");
    let stderr = refused(
        "tiny.toml",
        &text,
        &["thickness_m", "-1e-300 is not allowed"],
    );
    assert!(!stderr.contains("0.00000000000000000000"), "{stderr}");
}

#[test]
fn panel_with_zero_cells_is_refused() {
    let text = edit(FULL, "cells = [10, 8]", "cells = [0, 8]");
    refused_at("zero_cells.toml", &text, "cells = [0, 8]", &["cells"]);
}

#[test]
fn fractional_cell_count_is_refused() {
    let text = edit(FULL, "cells = [10, 8]", "cells = [10.5, 8]");
    refused_at(
        "fractional_cells.toml",
        &text,
        "cells = [10.5, 8]",
        &["cells"],
    );
}

#[test]
fn zero_sun_direction_is_refused() {
    let text = edit(
        FULL,
        "sun_direction = [0.0, 0.6, 0.8]",
        "sun_direction = [0.0, 0.0, 0.0]",
    );
    refused("zero_sun.toml", &text, &["sun_direction"]);
}

#[test]
fn nadir_without_altitude_is_refused() {
    let text = edit(FULL, "altitude_km = 650.0\n", "");
    refused("no_altitude.toml", &text, &["altitude_km"]);
}

#[test]
fn payload_footprint_outside_its_panel_is_refused() {
    // The radiator is 1.0 m along u; a 0.1 m footprint centred at 0.97 reaches 1.02 m.
    let text = edit(FULL, "center_m = [0.2, 0.4]", "center_m = [0.97, 0.4]");
    refused_at(
        "footprint.toml",
        &text,
        "center_m = [0.97, 0.4]",
        &["radiator"],
    );
}

#[test]
fn a_footprint_touching_the_panel_edge_is_accepted() {
    // 1.0 m panel, 0.1 m footprint centred at 0.95: its edge is the panel's edge (tolerance 1e-9
    // of the length); 1e-6 m further is outside.
    let touching = edit(FULL, "center_m = [0.2, 0.4]", "center_m = [0.95, 0.4]");
    Scenario::new("touching.toml", &touching)
        .check()
        .expect_code(0);
    let beyond = edit(FULL, "center_m = [0.2, 0.4]", "center_m = [0.950001, 0.4]");
    refused_at(
        "beyond.toml",
        &beyond,
        "center_m = [0.950001",
        &["radiator"],
    );
}

#[test]
fn heat_pipe_end_outside_its_panel_is_refused() {
    let text = edit(FULL, "to_m = [0.95, 0.4]", "to_m = [1.25, 0.4]");
    refused_at(
        "pipe_end.toml",
        &text,
        "to_m = [1.25, 0.4]",
        &["to_m", "1.25", "radiator"],
    );
}

#[test]
fn link_end_outside_its_panel_is_refused() {
    let text = edit(
        FULL,
        "b = { panel = \"radiator\", from_m = [0.0, 0.0], to_m = [1.0, 0.0] }",
        "b = { panel = \"radiator\", from_m = [0.0, 0.0], to_m = [1.5, 0.0] }",
    );
    refused_at(
        "link_end.toml",
        &text,
        "to_m = [1.5, 0.0]",
        &["to_m", "1.5", "radiator"],
    );
}

#[test]
fn fixed_region_holding_no_cell_is_refused() {
    // Bus cell centres along u are 0.125, 0.375, 0.625, 0.875: [0.475, 0.525] holds none.
    let text = edit(FULL, "size_m = [1.0, 0.125]", "size_m = [0.05, 0.05]");
    refused("empty_region.toml", &text, &["loop"]);
}

#[test]
fn two_regions_holding_a_cell_at_different_temperatures_are_refused() {
    let text = format!(
        "{FULL}\n[[fixed_temperatures]]\nname = \"clash\"\npanel = \"bus\"\n\
         center_m = [0.5, 0.0625]\nsize_m = [0.5, 0.125]\ntemperature_k = 300.0\n"
    );
    refused("clash.toml", &text, &["clash"]);
}

// ---- references and names --------------------------------------------------------------------

#[test]
fn heat_pipe_on_a_missing_panel_is_refused() {
    let text = edit(
        FULL,
        "panel = \"radiator\"\nfrom_m = [0.05, 0.4]",
        "panel = \"ghost\"\nfrom_m = [0.05, 0.4]",
    );
    refused_at(
        "ghost_pipe.toml",
        &text,
        "panel = \"ghost\"",
        &["panel", "ghost"],
    );
}

#[test]
fn unknown_material_is_refused() {
    let text = edit(FULL, "material = \"al6061\"", "material = \"unobtainium\"");
    refused_at(
        "material.toml",
        &text,
        "unobtainium",
        &["material", "unobtainium"],
    );
}

#[test]
fn unknown_coating_is_refused() {
    let text = edit(FULL, "back = \"white\"", "back = \"gold\"");
    refused_at("coating.toml", &text, "back = \"gold\"", &["back", "gold"]);
}

#[test]
fn unknown_payload_model_is_refused() {
    let text = edit(FULL, "model = \"custom\"", "model = \"h200-nvl\"");
    refused_at("model.toml", &text, "h200-nvl", &["model", "h200-nvl"]);
}

#[test]
fn two_panels_with_the_same_name_are_refused() {
    let text = format!(
        "{FULL}\n[[panels]]\nname = \"bus\"\norigin_m = [0.0, 2.0, 0.0]\n\
         u_m = [1.0, 0.0, 0.0]\nv_m = [0.0, 1.0, 0.0]\ncells = [2, 2]\nthickness_m = 0.002\n\
         material = \"al6061\"\nfront = \"osr\"\nback = \"osr\"\n"
    );
    refused("duplicate.toml", &text, &["bus"]);
}

#[test]
fn names_need_only_be_unique_within_their_kind() {
    // A payload, a heat pipe and a fixed region may share a panel's name.
    let mut text = edit(FULL, "name = \"gpu0\"", "name = \"radiator\"");
    text = edit(&text, "name = \"hp1\"", "name = \"radiator\"");
    text = edit(&text, "name = \"loop\"", "name = \"bus\"");
    Scenario::new("shared_names.toml", &text)
        .check()
        .expect_code(0);
}

#[test]
fn name_with_a_space_is_refused() {
    let text = edit(FULL, "name = \"gpu0\"", "name = \"gpu 0\"");
    refused("bad_name.toml", &text, &["gpu 0"]);
}

#[test]
fn coating_named_none_is_refused() {
    let text = edit(
        FULL,
        "[coatings.osr]",
        "[coatings.none]\nabsorptivity = 0.1\nemissivity = 0.1\n\n[coatings.osr]",
    );
    refused("none_coating.toml", &text, &["none"]);
}

#[test]
fn custom_payload_without_power_is_refused() {
    let text = edit(FULL, "power_w = 150.0\n", "");
    refused("no_power.toml", &text, &["power_w"]);
}

#[test]
fn payload_without_junction_resistance_is_refused() {
    let text = edit(FULL, "junction_to_panel_k_w = 0.03\n", "");
    refused("no_rjc.toml", &text, &["junction_to_panel_k_w"]);
}

// ---- modes -----------------------------------------------------------------------------------

#[test]
fn initial_temperature_in_a_steady_solve_is_refused() {
    let text = edit(
        FULL,
        "mode = \"steady\"",
        "mode = \"steady\"\ninitial_k = 290.0",
    );
    refused("initial.toml", &text, &["initial_k"]);
}

#[test]
fn unknown_mode_is_refused() {
    let text = edit(FULL, "mode = \"steady\"", "mode = \"steady-ish\"");
    refused("mode.toml", &text, &["steady-ish"]);
}

#[test]
fn orbit_together_with_environment_directions_is_refused() {
    let text = format!(
        "{FULL}\n[orbit]\naltitude_km = 650.0\nbeta_deg = 70.0\n\
         attitude = {{ nadir_axis = [0.0, 0.0, -1.0], velocity_axis = [1.0, 0.0, 0.0] }}\n"
    );
    refused("orbit_conflict.toml", &text, &["orbit"]);
}

// ---- a group that cannot radiate -------------------------------------------------------------

const LONE_PANEL: &str = r#"name = "nothing radiates"
[materials.al]
conductivity_w_mk = 167.0
density_kg_m3 = 2700.0
specific_heat_j_kgk = 896.0

[coatings.black]
absorptivity = 0.9
emissivity = 0.9

[[panels]]
name = "box"
origin_m = [0.0, 0.0, 0.0]
u_m = [0.5, 0.0, 0.0]
v_m = [0.0, 0.5, 0.0]
cells = [2, 2]
thickness_m = 0.002
material = "al"
front = "none"
back = "none"

[[payloads]]
name = "chip"
model = "custom"
panel = "box"
center_m = [0.25, 0.25]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.1
power_w = 50.0
limit_c = 85.0

[solve]
mode = "steady"
"#;

const SECOND_PANEL: &str = r#"
[[panels]]
name = "lid"
origin_m = [0.5, 0.0, 0.0]
u_m = [0.5, 0.0, 0.0]
v_m = [0.0, 0.5, 0.0]
cells = [2, 2]
thickness_m = 0.002
material = "al"
front = "none"
back = "none"

[[links]]
name = "strap"
a = { panel = "box", at_m = [0.4, 0.25] }
b = { panel = "lid", at_m = [0.1, 0.25] }
conductance_w_k = 1.0
"#;

#[test]
fn a_panel_that_cannot_radiate_is_refused() {
    refused("lone.toml", LONE_PANEL, &["box"]);
}

#[test]
fn coatings_with_zero_emissivity_cannot_radiate() {
    // A side radiates only with a coating other than "none" AND emissivity > 0.
    let text = LONE_PANEL
        .replace("emissivity = 0.9", "emissivity = 0.0")
        .replace("front = \"none\"", "front = \"black\"")
        .replace("back = \"none\"", "back = \"black\"");
    assert!(text.contains("emissivity = 0.0") && !text.contains("\"none\""));
    refused("zero_eps.toml", &text, &["box"]);
}

#[test]
fn a_group_that_cannot_radiate_names_its_panels() {
    let text = format!("{LONE_PANEL}{SECOND_PANEL}");
    refused("group.toml", &text, &["box", "lid"]);
}

#[test]
fn a_panel_that_cannot_radiate_is_accepted_when_linked_to_one_that_can() {
    // The group rule, not a per-panel rule: the same two panels with one radiating side.
    let text = format!("{LONE_PANEL}{SECOND_PANEL}").replace(
        "front = \"none\"\nback = \"none\"\n\n[[links]]",
        "front = \"black\"\nback = \"none\"\n\n[[links]]",
    );
    assert_ne!(text, format!("{LONE_PANEL}{SECOND_PANEL}"), "edit applied");
    let s = Scenario::new("group_ok.toml", &text);
    s.check().expect_code(0);
}

#[test]
fn a_panel_that_cannot_radiate_is_accepted_with_a_fixed_region() {
    let text = format!(
        "{LONE_PANEL}\n[[fixed_temperatures]]\nname = \"clamp\"\npanel = \"box\"\n\
         center_m = [0.125, 0.125]\nsize_m = [0.25, 0.25]\ntemperature_k = 300.0\n"
    );
    let s = Scenario::new("lone_fixed.toml", &text);
    s.check().expect_code(0);
}

// ---- command-line usage ----------------------------------------------------------------------

#[test]
fn usage_errors_exit_2() {
    let s = Scenario::new("valid.toml", FULL);
    let p = s.path_str();
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["solve"],
        vec!["solve", p, "--backend", "quantum"],
        vec!["solve", p, "--no-such-flag"],
        vec!["check"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, Some(2), "skysink {args:?}: stderr:\n{}", r.stderr);
        assert!(!r.stderr.is_empty(), "skysink {args:?}: no message");
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

#[test]
fn an_output_onto_the_scenario_or_onto_another_output_is_refused() {
    let s = Scenario::new("keep_me.toml", FULL);
    let scenario = s.path_str().to_owned();
    let r = s.solve(&["--backend", "cpu", "--json", &scenario]);
    r.expect_code(2);
    assert!(r.stderr.contains("input file"), "{}", r.stderr);
    assert_eq!(
        read(std::path::Path::new(&scenario)),
        FULL,
        "the scenario is unchanged"
    );
    let out = s.out("both.out");
    let out = out.to_str().expect("UTF-8 path");
    let r = s.solve(&["--backend", "cpu", "--json", out, "--csv", out]);
    r.expect_code(2);
    assert!(
        r.stderr.contains("--csv") && r.stderr.contains("--json"),
        "{}",
        r.stderr
    );
    assert!(!std::path::Path::new(out).exists(), "nothing written");
}

/// `viewfactors --json` onto its scenario, `--json` onto a hard link of the scenario, and a
/// transient's `--vtu` series whose frames (`<stem>_0000.vtu`, ...) would land on the input or
/// on another output are refused before anything runs, and nothing is overwritten.
#[test]
fn outputs_onto_the_input_by_any_name_are_refused() {
    let s = Scenario::new("keep_me.toml", FULL);
    let scenario = s.path_str().to_owned();
    let r = run([
        "viewfactors",
        &scenario,
        "--backend",
        "cpu",
        "--json",
        &scenario,
    ]);
    r.expect_code(2);
    assert!(r.stderr.contains("input file"), "{}", r.stderr);
    assert_eq!(read(&s.path), FULL, "the scenario is unchanged");

    let link = s.out("link.json");
    std::fs::hard_link(&s.path, &link).expect("hard link");
    let r = s.solve(&["--backend", "cpu", "--json", link.to_str().expect("UTF-8")]);
    r.expect_code(2);
    assert!(r.stderr.contains("input file"), "{}", r.stderr);
    assert_eq!(read(&s.path), FULL, "the scenario is unchanged");

    let transient = edit(
        FULL,
        "mode = \"steady\"",
        "mode = \"transient\"\ntime_step_s = 60.0\nduration_s = 120.0",
    );
    let t = Scenario::new("series_0001.vtu", &transient);
    let pvd = t.out("series.pvd");
    let r = t.solve(&["--backend", "cpu", "--vtu", pvd.to_str().expect("UTF-8")]);
    r.expect_code(2);
    assert!(r.stderr.contains("series_0001.vtu"), "{}", r.stderr);
    assert_eq!(read(&t.path), transient, "the scenario is unchanged");
    let csv = t.out("series_0000.vtu");
    let r = t.solve(&[
        "--backend",
        "cpu",
        "--vtu",
        pvd.to_str().expect("UTF-8"),
        "--csv",
        csv.to_str().expect("UTF-8"),
    ]);
    r.expect_code(2);
    assert!(r.stderr.contains("--csv"), "{}", r.stderr);
    assert!(!pvd.exists() && !csv.exists(), "nothing written");
}

/// A reader that stops early (`skysink solve x 2>&1 | head -1`) closes the pipe: the exit
/// status is still the contract's (3 for a solve that did not converge), not a panic's 101.
#[test]
fn a_closed_output_pipe_keeps_the_exit_status() {
    let s = Scenario::new(
        "short.toml",
        &edit(FULL, "max_iterations = 200", "max_iterations = 1"),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_skysink"))
        .args(["solve", s.path_str(), "--backend", "cpu"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start skysink");
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().expect("skysink ran");
    assert_eq!(status.code(), Some(3));
}
