//! Warnings for likely mistakes (SCENARIO-2 section 19): each in the JSON's `warnings`,
//! starting with `file:line: key: `, printed at the top of the human report, and never changing
//! the exit status.

mod common;

use common::panels::Panel;
use common::*;

/// A sunlit 1 m^2 plate with a 50 W chip, a valid steady scenario without warnings; `extra` is
/// appended, `edits` replace text.
fn plate(edits: &[(&str, &str)], extra: &str) -> String {
    let mut text = format!(
        "name = \"warnings\"\n[environment]\nsun_direction = [0.0, 0.0, 1.0]\nsink_k = 3.0\n{}\
         [coatings.white]\nabsorptivity = 0.2\nemissivity = 0.85\n{}\
         [[payloads]]\nname = \"chip\"\nmodel = \"custom\"\npower_w = 50.0\nlimit_c = 90.0\n\
         panel = \"plate\"\ncenter_m = [0.5, 0.5]\nsize_m = [0.1, 0.1]\njunction_to_panel_k_w = 0.1\n{extra}",
        material("al", 167.0),
        Panel::plate("plate", [1.0, 1.0], [4, 4], "white", "white").toml("al", 0.002),
    );
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    text
}

/// The line of the first occurrence of `needle` in `text`, 1-based.
fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).expect("in the text")]
        .matches('\n')
        .count()
        + 1
}

#[test]
fn a_clean_scenario_has_no_warning() {
    let v = solve_expect(&plate(&[], ""), 0);
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn each_likely_mistake_is_warned_with_its_file_line_and_key() {
    let fixed = "[[fixed_temperatures]]\nname = \"mount\"\npanel = \"plate\"\ncenter_m = [0.9, 0.9]\nsize_m = [0.2, 0.2]\ntemperature_k = 20.0\n";
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            plate(&[("sun_direction = [0.0, 0.0, 1.0]\n", "")], ""),
            "[environment]",
            "environment",
            "eclipse: no sun_direction given",
        ),
        (
            plate(&[("limit_c = 90.0", "limit_c = 360.0")], ""),
            "limit_c = 360.0",
            "payloads[0].limit_c",
            "looks like kelvin",
        ),
        (
            plate(&[("thickness_m = 0.002", "thickness_m = 0.2")], ""),
            "thickness_m = 0.2",
            "panels[0].thickness_m",
            "thickness_m is in metres",
        ),
        (
            plate(&[], fixed),
            "temperature_k = 20.0",
            "fixed_temperatures[0].temperature_k",
            "looks like Celsius",
        ),
    ];
    for (text, needle, key, message) in cases {
        let s = Scenario::new("w.toml", &text);
        let (r, v) = s.solve_json();
        let code = r.code.expect("an exit status");
        assert!(
            code == 0 || code == 1,
            "a warning does not change the status: {code}"
        );
        let expected = format!("w.toml:{}: {key}: ", line_of(&text, needle));
        let warnings: Vec<&str> = v["warnings"]
            .as_array()
            .expect("a warnings array")
            .iter()
            .filter_map(|w| w.as_str())
            .collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&expected) && w.contains(message)),
            "{expected}{message} not in {warnings:?}"
        );
        // The human report shows them right under the verdict.
        let human = s.solve(&["--backend", "cpu"]);
        let lines: Vec<&str> = human.stdout.lines().collect();
        assert!(
            lines[2].starts_with("warning: ") && lines[2].contains(message),
            "{lines:?}"
        );
    }
}

#[test]
fn a_transient_starting_at_a_celsius_looking_temperature_is_warned() {
    let solve =
        "[solve]\nmode = \"transient\"\nduration_s = 600.0\ntime_step_s = 60.0\ninitial_k = 25.0\n";
    let text = plate(&[], solve);
    let v = solve_expect(&text, 0);
    let expected = format!(
        "scenario.toml:{}: solve.initial_k: 25 K looks like Celsius",
        line_of(&text, "initial_k")
    );
    let found = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w.as_str().is_some_and(|w| w.contains(&expected)));
    assert!(found, "{}", v["warnings"]);
}
