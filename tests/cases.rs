//! Load cases (SCENARIO.md section 6): each case is the scenario with `set` applied, every case is
//! solved, the governing case (non-converged or failing first, then the smallest margin) fills
//! the report, and a bad path or value is exit 2 naming file:line:col.

mod common;

use common::*;
use serde_json::Value;

const CASES: &str = r#"
[[cases]]
name = "hot"
set = { "environment.solar_flux_w_m2" = 1414.0, "coatings.white.absorptivity" = 0.35 }

[[cases]]
name = "cold"
set = { "environment.solar_flux_w_m2" = 1322, "payloads.gpu0.power_w" = 40.0 }
"#;

fn with_cases(cases: &str) -> String {
    format!("{FULL}{cases}")
}

#[test]
fn every_case_is_solved_and_the_smallest_margin_governs() {
    let v = solve_ok(&with_cases(CASES));
    assert_eq!(v["case"], "hot");
    let cases = v["cases"].as_array().expect("cases array");
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0]["name"], "hot");
    assert_eq!(cases[1]["name"], "cold");
    for c in cases {
        assert_eq!(c["verdict"], "pass");
        assert_eq!(c["payloads"][0]["name"], "gpu0");
    }
    let hot = num(&cases[0]["payloads"][0], "margin_k");
    let cold = num(&cases[1]["payloads"][0], "margin_k");
    assert!(hot < cold, "hot margin {hot} should be below cold {cold}");
    // The top-level fields are the governing case's.
    assert_eq!(num(payload(&v, "gpu0"), "margin_k"), hot);
    assert_eq!(
        num(payload(&v, "gpu0"), "junction_c"),
        num(&cases[0]["payloads"][0], "junction_c")
    );
    assert_energy_closes(&v);
}

#[test]
fn a_case_equals_the_same_edits_made_by_hand() {
    let v = solve_ok(&with_cases(CASES));
    let by_hand = edit(
        &edit(FULL, "solar_flux_w_m2 = 1361.0", "solar_flux_w_m2 = 1414.0"),
        "absorptivity = 0.20",
        "absorptivity = 0.35",
    );
    let h = solve_ok(&by_hand);
    assert_eq!(
        payload(&v, "gpu0")["junction_c"],
        payload(&h, "gpu0")["junction_c"],
        "the hot case must be bit-identical to the hand-edited file"
    );
    let cold = edit(
        &edit(FULL, "solar_flux_w_m2 = 1361.0", "solar_flux_w_m2 = 1322.0"),
        "power_w = 150.0",
        "power_w = 40.0",
    );
    let c = solve_ok(&cold);
    assert_eq!(
        v["cases"][1]["payloads"][0]["junction_c"],
        payload(&c, "gpu0")["junction_c"]
    );
}

#[test]
fn a_failing_case_governs_and_sets_the_exit_status() {
    let text = with_cases(
        r#"
[[cases]]
name = "idle"
set = { "payloads.gpu0.power_w" = 10.0 }
[[cases]]
name = "overload"
set = { "payloads.gpu0.power_w" = 2000.0 }
"#,
    );
    let v = solve_expect(&text, 1);
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["case"], "overload");
    assert_eq!(v["cases"][0]["verdict"], "pass");
    assert_eq!(v["cases"][1]["verdict"], "fail");
    assert_eq!(payload(&v, "gpu0")["power_w"], 2000.0);
}

#[test]
fn a_non_converged_case_governs_with_exit_3() {
    let text = with_cases(
        r#"
[[cases]]
name = "fine"
set = { "payloads.gpu0.power_w" = 2000.0 }
[[cases]]
name = "starved"
set = { "solve.max_iterations" = 1 }
"#,
    );
    let v = solve_expect(&text, 3);
    assert_eq!(v["case"], "starved");
    assert_eq!(v["verdict"], "not-converged");
}

#[test]
fn the_human_report_shows_a_case_table() {
    let s = Scenario::new("cases.toml", &with_cases(CASES));
    let r = s.solve(&["--backend", "cpu"]);
    r.expect_code(0);
    assert!(r.stdout.contains("load cases"), "{}", r.stdout);
    assert!(r.stdout.contains("governing case: hot"), "{}", r.stdout);
    let table_rows = r
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("hot ") || l.trim_start().starts_with("cold "))
        .count();
    assert_eq!(table_rows, 2, "{}", r.stdout);
}

fn refused(cases: &str, needles: &[&str]) {
    let text = with_cases(cases);
    // Line (1-based) of the first `set = ` entry: where a bad path is reported.
    let set_line = text.lines().position(|l| l.starts_with("set = ")).unwrap() + 1;
    let needles: Vec<String> = needles
        .iter()
        .map(|n| n.replace("{set_line}", &set_line.to_string()))
        .collect();
    let s = Scenario::new("bad.toml", &text);
    let r = s.check();
    r.expect_code(2);
    for n in &needles {
        assert!(
            r.stderr.contains(n.as_str()),
            "expected {n:?} in:\n{}",
            r.stderr
        );
    }
    let r = s.solve(&["--backend", "cpu", "--json", "-", "--quiet"]);
    r.expect_code(2);
    assert!(r.stdout.is_empty(), "no JSON for bad input");
}

#[test]
fn bad_paths_and_values_are_refused_with_file_line_and_column() {
    refused(
        "\n[[cases]]\nname = \"x\"\nset = { \"payloads.gpu9.power_w\" = 1.0 }\n",
        &["bad.toml:{set_line}:", "gpu9", "allowed: [gpu0]"],
    );
    refused(
        "\n[[cases]]\nname = \"x\"\nset = { \"environment.no_such_key\" = 1.0 }\n",
        &["no_such_key", "bad.toml:{set_line}:"],
    );
    refused(
        "\n[[cases]]\nname = \"x\"\nset = { \"coatings.osr.absorptivity\" = 1.5 }\n",
        &["case \"x\"", "coatings.osr.absorptivity", "0 <= value <= 1"],
    );
    refused(
        "\n[[cases]]\nname = \"x\"\nset = { \"panels.radiator.material\" = 1.0 }\n",
        &["not a number"],
    );
    refused(
        "\n[[cases]]\nname = \"x\"\nset = { \"panels.radiator.cells.0\" = 2.5 }\n",
        &["whole values"],
    );
    refused(
        "\n[[cases]]\nname = \"x\"\nset = { \"environment.albedo\" = \"high\" }\n",
        &[
            "case \"x\" makes the scenario invalid",
            "environment.albedo: invalid type: string \"high\"",
        ],
    );
    refused(
        "\n[[cases]]\nname = \"a b\"\nset = { \"environment.albedo\" = 0.3 }\n",
        &["case name \"a b\""],
    );
    refused(
        "\n[[cases]]\nname = \"a\"\nset = { \"environment.albedo\" = 0.3 }\n[[cases]]\nname = \"a\"\nset = { \"environment.albedo\" = 0.2 }\n",
        &["two cases are named \"a\""],
    );
    refused(
        "\n[[cases]]\nname = \"a\"\nset = { \"environment.albedo\" = 0.3 }\nextra = 1\n",
        &["extra"],
    );
    // A sweep of a panel's length while a case sets a component of the same edge.
    refused(
        "\n[[cases]]\nname = \"x\"\nset = { \"panels.radiator.u_m.0\" = 1.2 }\n[sweep]\n[[sweep.parameters]]\npath = \"panels.radiator.length_u_m\"\nvalues = [0.8, 1.0]\n",
        &["both swept and set by case \"x\"", "panels.radiator.u_m.0"],
    );
}

#[test]
fn without_cases_the_report_has_no_case_fields() {
    let v: Value = solve_ok(FULL);
    assert!(v.get("case").is_none() && v.get("cases").is_none(), "{v:#}");
}

/// `check` refuses what `solve` refuses for a scenario with cases, and accepts what it solves:
/// a case that builds a mesh too large for the machine is exit 2 from both, before any case is
/// solved; a base time step too small to run, which every case overrides, is never run by
/// `solve`, so neither refuses it.
#[test]
fn check_and_solve_judge_each_case_alike() {
    let huge = with_cases(
        r#"
[[cases]]
name = "fine"
set = { "payloads.gpu0.power_w" = 10.0 }
[[cases]]
name = "enormous"
set = { "panels.radiator.cells.0" = 1e12 }
"#,
    );
    let s = Scenario::new("huge_case.toml", &huge);
    for r in [s.check(), s.solve(&["--backend", "cpu", "--json", "-"])] {
        r.expect_code(2);
        assert!(
            r.stderr.contains("case \"enormous\"") && r.stderr.contains("cells"),
            "{}",
            r.stderr
        );
        assert!(
            r.stdout.is_empty() && !r.stderr.contains("backend"),
            "{}",
            r.stderr
        );
    }

    let overridden = with_cases(
        r#"
[[cases]]
name = "only"
set = { "solve.time_step_s" = 100.0 }
"#,
    )
    .replace(
        "mode = \"steady\"",
        "mode = \"transient\"\ntime_step_s = 1e-7\nduration_s = 600.0",
    );
    let s = Scenario::new("overridden.toml", &overridden);
    s.check().expect_code(0);
    let (r, v) = s.solve_json();
    assert!(r.code == Some(0) || r.code == Some(1), "{}", r.stderr);
    assert_eq!(v["solver"]["converged"], Value::Bool(true));
}

/// A case may set any value a key accepts, replacing it whole, and unset optional keys
/// (SCENARIO-2 section 18). Each case's result equals the same file edited by hand.
#[test]
fn cases_set_booleans_tables_and_unset_keys_as_the_edited_file_would() {
    let base = &pipe_radiator("sun_direction = [0.0, 0.0, 1.0]\nsink_k = 3.0", "", 60.0);
    let junction = |v: &Value| num(payload(v, "chip"), "junction_c");
    let solve_case = |case: &str, code: i32| {
        solve_expect(&format!("{base}[[cases]]\nname = \"c\"\n{case}\n"), code)
    };
    // A boolean: the pipe fails in that case.
    let failed = solve_case(r#"set = { "heat_pipes.hp.failed" = true }"#, 1);
    assert_eq!(heat_pipe(&failed, "hp")["status"], "failed");
    let edited = solve_expect(
        &base.replace(
            "capacity_w_m = 143.0",
            "capacity_w_m = 143.0\nfailed = true",
        ),
        1,
    );
    assert_eq!(junction(&failed), junction(&edited));
    // unset: an eclipse case, as the file without sun_direction.
    let eclipse = solve_case(r#"unset = ["environment.sun_direction"]"#, 0);
    let edited = solve_expect(&base.replace("sun_direction = [0.0, 0.0, 1.0]\n", ""), 0);
    assert_eq!(junction(&eclipse), junction(&edited));
    // A table replaced whole.
    let black = solve_case(
        r#"set = { "coatings.white" = { absorptivity = 0.9, emissivity = 0.9 } }"#,
        0,
    );
    let edited = solve_expect(
        &base.replace(
            "absorptivity = 0.2\nemissivity = 0.85",
            "absorptivity = 0.9\nemissivity = 0.9",
        ),
        0,
    );
    assert_eq!(junction(&black), junction(&edited));
    // A string: a side switched to an insulated one.
    let insulated = solve_case(r#"set = { "panels.rad.back" = "none" }"#, 0);
    let edited = solve_expect(&base.replace("back = \"white\"", "back = \"none\""), 0);
    assert_eq!(junction(&insulated), junction(&edited));
    // Unsetting a required key, or one the file does not give, is refused.
    for (case, message) in [
        (
            r#"unset = ["panels.rad.material"]"#,
            "missing field `material`",
        ),
        (
            r#"unset = ["environment.albedo"]"#,
            "unset removes keys the file gives",
        ),
    ] {
        let s = Scenario::new(
            "bad.toml",
            &format!("{base}[[cases]]\nname = \"c\"\n{case}\n"),
        );
        let r = s.check();
        r.expect_code(2);
        assert!(r.stderr.contains(message), "{}", r.stderr);
    }
}
