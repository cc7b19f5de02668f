//! `skysink size` (SCENARIO.md sections 7 and 8) against a closed-form answer: a one-cell plate,
//! radiating from both sides to a 0 K sink in eclipse, carries a chip of power P. Its temperature
//! is T = (P / (2 eps sigma A))^(1/4) with A = 1 m x L, so the smallest L that keeps the junction
//! at the limit less the margin is L* = P / (2 eps sigma T*^4).

mod common;

use common::panels::Panel;
use common::*;
use serde_json::Value;

const P: f64 = 1000.0;
const EPS: f64 = 0.9;
const LIMIT_C: f64 = 60.0;

fn plate() -> String {
    format!(
        r#"name = "sizing plate"
[environment]
sink_k = 0.0

[materials.al]
conductivity_w_mk = 167.0

[coatings.white]
absorptivity = 0.2
emissivity = {EPS:?}

{plate}
[[payloads]]
name = "chip"
model = "custom"
panel = "plate"
center_m = [0.5, 0.25]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.0
power_w = {P:?}
limit_c = {LIMIT_C:?}

[solve]
tolerance_k = 1.0e-8
"#,
        plate = Panel::plate("plate", [1.0, 1.0], [1, 1], "white", "white").toml("al", 0.002),
    )
}

fn exact_length(margin_k: f64) -> f64 {
    let t = LIMIT_C - margin_k + C_TO_K;
    P / (2.0 * EPS * SIGMA * t.powi(4))
}

fn size(s: &Scenario, extra: &[&str]) -> (Run, Value) {
    let mut args = vec![
        "size",
        s.path_str(),
        "--vary",
        "panels.plate.length_v_m",
        "--backend",
        "cpu",
        "--json",
        "-",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let r = run(args);
    let v = if r.stdout.is_empty() {
        Value::Null
    } else {
        r.json()
    };
    (r, v)
}

#[test]
fn bisection_finds_the_closed_form_length_within_the_tolerance() {
    let s = Scenario::new("plate.toml", &plate());
    for margin in [0.0, 10.0] {
        let (r, v) = size(
            &s,
            &[
                "--between",
                "0.5",
                "4.0",
                "--tol",
                "0.001",
                "--margin-k",
                &margin.to_string(),
            ],
        );
        r.expect_code(0);
        let answer = num(&v, "answer");
        let exact = exact_length(margin);
        assert!(
            answer >= exact && answer - exact < 0.001,
            "margin {margin}: answer {answer}, exact {exact}"
        );
        assert_eq!(v["verdict"], "pass");
        assert_eq!(num(&v, "required_margin_k"), margin);
        let low = num(&v, "bracket_low");
        assert!(
            low < exact && answer - low < 0.001,
            "bracket [{low}, {answer}] around {exact}"
        );
        let margin_at_answer = num(&v["report"]["payloads"][0], "margin_k");
        assert!(margin_at_answer >= margin, "{margin_at_answer}");
    }
}

#[test]
fn a_passing_low_end_is_the_answer_and_a_failing_high_end_exits_1() {
    let s = Scenario::new("plate.toml", &plate());
    let (r, v) = size(&s, &["--between", "3.0", "4.0"]);
    r.expect_code(0);
    assert_eq!(num(&v, "answer"), 3.0);
    assert_eq!(v["trials"].as_array().unwrap().len(), 1);

    let (r, v) = size(&s, &["--between", "0.3", "0.6"]);
    r.expect_code(1);
    assert_eq!(v["answer"], Value::Null);
    assert_eq!(v["verdict"], "fail");
    let at_high = num(&v["report"]["payloads"][0], "margin_k");
    let t_high = (P / (2.0 * EPS * SIGMA * 0.6)).powf(0.25);
    assert_abs(at_high, LIMIT_C + C_TO_K - t_high, 1e-6, "margin at HIGH");

    // The human answer gives each payload's junction and margin, here at HIGH.
    let r = run(vec![
        "size",
        s.path_str(),
        "--vary",
        "panels.plate.length_v_m",
        "--between",
        "0.3",
        "0.6",
        "--backend",
        "cpu",
    ]);
    r.expect_code(1);
    let payload = v["report"]["payloads"][0]["name"]
        .as_str()
        .unwrap_or_default();
    let line = format!("margin {at_high:.2} K");
    assert!(
        r.stdout.contains(payload) && r.stdout.contains(&line),
        "{line} for {payload} in:\n{}",
        r.stdout
    );
}

#[test]
fn bad_requests_exit_2_before_solving() {
    let s = Scenario::new("plate.toml", &plate());
    for (args, needle) in [
        (
            vec![
                "size",
                s.path_str(),
                "--vary",
                "panels.nope.length_v_m",
                "--between",
                "1",
                "2",
            ],
            "nope",
        ),
        (
            vec![
                "size",
                s.path_str(),
                "--vary",
                "panels.plate.length_v_m",
                "--between",
                "2",
                "1",
            ],
            "LOW < HIGH",
        ),
        (
            vec![
                "size",
                s.path_str(),
                "--vary",
                "panels.plate.length_v_m",
                "--between",
                "1",
                "2",
                "--tol",
                "0",
            ],
            "--tol",
        ),
        (
            vec![
                "size",
                s.path_str(),
                "--vary",
                "panels.plate.length_v_m",
                "--between",
                "1",
                "2",
                "--margin-k",
                "-1",
            ],
            "--margin-k",
        ),
        (
            vec![
                "size",
                s.path_str(),
                "--vary",
                "panels.plate.material",
                "--between",
                "1",
                "2",
            ],
            "not a number",
        ),
        // LOW passes, but HIGH is no valid scenario: refused, not answered with LOW.
        (
            vec![
                "size",
                s.path_str(),
                "--vary",
                "coatings.white.emissivity",
                "--between",
                "0.5",
                "2.0",
            ],
            "at HIGH = 2",
        ),
    ] {
        let r = run(args);
        r.expect_code(2);
        assert!(
            r.stderr.contains(needle),
            "expected {needle:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("backend"), "{}", r.stderr);
    }
}

#[test]
fn a_trial_that_does_not_converge_exits_3() {
    let s = Scenario::new(
        "full.toml",
        &edit(FULL, "max_iterations = 200", "max_iterations = 1"),
    );
    let r = run([
        "size",
        s.path_str(),
        "--vary",
        "panels.radiator.thickness_m",
        "--between",
        "0.001",
        "0.01",
        "--backend",
        "cpu",
        "--quiet",
    ]);
    r.expect_code(3);
    assert!(r.stderr.contains("did not converge"), "{}", r.stderr);
}

/// `--judge` (SCENARIO-2, "What changes in part 1"): a plate that is too hot when small and too
/// cold when large has a window of lengths that pass. Nearly isothermal (k = 10000 W/m/K, 40 mm),
/// both sides at emissivity 0.85 to a 3 K sink, 500 W: T^4 = P / (2 eps sigma L) + 3^4, so the
/// upper limit (60 C) holds from L_u = 0.4211 m and the lower (-20 C) up to L_l = 1.263 m.
#[test]
fn judge_upper_finds_the_window_that_the_whole_verdict_cannot_bracket() {
    let text = r#"name = "window"
[environment]
sink_k = 3.0
[materials.core]
conductivity_w_mk = 10000.0
[coatings.white]
absorptivity = 0.2
emissivity = 0.85
[[panels]]
name = "plate"
origin_m = [0.0, 0.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 1.0, 0.0]
cells = [20, 10]
thickness_m = 0.04
material = "core"
front = "white"
back = "white"
[[payloads]]
name = "chip"
model = "custom"
power_w = 500.0
limit_c = 60.0
min_limit_c = -20.0
panel = "plate"
center_m = [0.5, 0.5]
size_m = [0.2, 0.6]
junction_to_panel_k_w = 0.0
"#;
    let s = Scenario::new("window.toml", text);
    let size = |judge: &str| {
        run([
            "size",
            s.path_str(),
            "--vary",
            "panels.plate.length_u_m",
            "--between",
            "0.2",
            "3.0",
            "--tol",
            "0.001",
            "--backend",
            "cpu",
            "--judge",
            judge,
            "--json",
            "-",
            "--quiet",
        ])
    };
    let sigma_eps = 2.0 * 0.85 * SIGMA;
    let upper_from = 500.0 / (sigma_eps * ((60.0 + C_TO_K).powi(4) - 81.0));
    // The whole verdict fails at both ends: no bracket.
    let all = size("all");
    all.expect_code(1);
    assert_eq!(all.json()["answer"], serde_json::Value::Null);
    // Upper limits alone bracket the hot end; the answer passes in full.
    let upper = size("upper");
    upper.expect_code(0);
    let v = upper.json();
    assert_rel(
        num(&v, "answer"),
        upper_from,
        0.005,
        "smallest length cool enough",
    );
    assert_eq!(v["judge"], "upper");
    assert_eq!(v["verdict"], "pass");
    // Lower limits hold at LOW already, where the plate is too hot: exit 1, the violation named.
    let lower = size("lower");
    lower.expect_code(1);
    let v = lower.json();
    assert_eq!(num(&v, "answer"), 0.2);
    assert_eq!(v["verdict"], "fail");
    let s2 = Scenario::new("window.toml", text);
    let human = run([
        "size",
        s2.path_str(),
        "--vary",
        "panels.plate.length_u_m",
        "--between",
        "0.2",
        "3.0",
        "--backend",
        "cpu",
        "--judge",
        "lower",
    ]);
    assert!(
        human.stdout.contains("--judge lower does not look at")
            && human.stdout.contains("payload \"chip\""),
        "{}",
        human.stdout
    );
}
