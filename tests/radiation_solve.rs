//! Radiation between surfaces end to end through the `skysink` binary (SCENARIO.md sections 5, 8,
//! 9 and 10; issue 4 items 4-7): `[radiation]` in `solve` and the `viewfactors` command.
//!
//! - C5 of shared/validation/REFERENCE_CASES.md as a scenario with fixed-temperature regions.
//! - `viewfactors --json -`: C3 parallel and perpendicular rectangles, reciprocity on unequal
//!   panels, closure of every side, the Earth's share against C3's plate-to-Earth view factor,
//!   determinism.
//! - Shadows through `solve`: full and half shading against alpha S A.
//! - Free temperatures with exchange against a two-node black-body network.
//! - The GPU tracer and solve against the CPU (skipped with a notice without an adapter, unless
//!   SKYSINK_REQUIRE_GPU=1).
//! - Bad `[radiation]` values: exit 2 naming the key and the file.
//!
//! Every expected number is either from REFERENCE_CASES.md or computed in the test from a stated
//! formula; Monte Carlo tolerances are 3 binomial standard errors, as REFERENCE_CASES.md asks.

mod common;

use common::panels::{COATINGS, Panel, facing_pair, parallel_panels};
use common::*;
use serde_json::Value;

/// C3, parallel directly opposed rectangles a x b at distance c (REFERENCE_CASES.md).
fn c3_parallel(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let (x2, y2) = (x * x, y * y);
    2.0 / (PI * x * y)
        * ((((1.0 + x2) * (1.0 + y2)) / (1.0 + x2 + y2)).sqrt().ln()
            + x * (1.0 + y2).sqrt() * (x / (1.0 + y2).sqrt()).atan()
            + y * (1.0 + x2).sqrt() * (y / (1.0 + x2).sqrt()).atan()
            - x * x.atan()
            - y * y.atan())
}

/// A scenario: `environment` lines, a material of conductivity `k` (W/m/K), the panels at
/// thickness `t` (m), and `extra` (fixed regions, payloads, `[radiation]`, `[solve]`).
fn scenario(environment: &str, k: f64, t: f64, panels: &[Panel<'_>], extra: &str) -> String {
    let mut text = format!(
        "name = \"radiation end to end\"\n[environment]\n{environment}\n\
         [materials.plate]\nconductivity_w_mk = {}\n{COATINGS}",
        tf(k)
    );
    for p in panels {
        text.push_str(&p.toml("plate", t));
    }
    text.push_str(extra);
    text
}

/// Perpendicular rectangles sharing the 1 m edge along x: a (the emitter, `w` wide, in z = 0,
/// front +z) and b (`h` high, in y = 0, front +y). Square cells of 1/`n` m.
fn perpendicular_panels(w: f64, h: f64, n: usize) -> [Panel<'static>; 2] {
    let cells = |len: f64| (len * n as f64).round() as usize;
    [
        Panel {
            name: "a",
            origin: [0.0, 0.0, 0.0],
            u: [1.0, 0.0, 0.0],
            v: [0.0, w, 0.0],
            cells: [n, cells(w)],
            front: "black",
            back: "black",
        },
        Panel {
            name: "b",
            origin: [0.0, 0.0, 0.0],
            u: [0.0, 0.0, h],
            v: [1.0, 0.0, 0.0],
            cells: [cells(h), n],
            front: "black",
            back: "none",
        },
    ]
}

/// `skysink viewfactors <text> --backend <backend> --json - --quiet`: exit 0, the JSON.
fn viewfactors(text: &str, backend: &str) -> Value {
    let s = Scenario::new("viewfactors.toml", text);
    let r = run([
        "viewfactors",
        s.path_str(),
        "--backend",
        backend,
        "--json",
        "-",
        "--quiet",
    ]);
    r.expect_code(0);
    r.json()
}

/// The pair (from, from_side) -> (to, to_side): (f, std_error); (0, 0) when not listed.
fn pair(report: &Value, from: &str, from_side: &str, to: &str, to_side: &str) -> (f64, f64) {
    let pairs = report["pairs"].as_array().expect("pairs");
    let found: Vec<&Value> = pairs
        .iter()
        .filter(|p| {
            p["from"] == from
                && p["from_side"] == from_side
                && p["to"] == to
                && p["to_side"] == to_side
        })
        .collect();
    assert!(found.len() <= 1, "pair listed twice: {found:?}");
    found
        .first()
        .map_or((0.0, 0.0), |p| (num(p, "f"), num(p, "std_error")))
}

/// F within 3 reported standard errors and within 0.5 % of `expected`; the reported standard
/// error is the binomial sqrt(f (1 - f) / N), N = cells x rays_per_side (SCENARIO.md section 9).
fn assert_factor(what: &str, (f, se): (f64, f64), expected: f64, rays: f64) {
    eprintln!("{what}: F = {f:.6}, expected {expected:.6}, std error {se:.2e}");
    assert!(
        (f - expected).abs() <= 3.0 * se,
        "{what}: F = {f}, expected {expected} +- 3 x {se}"
    );
    assert!(
        (f - expected).abs() <= 0.005 * expected,
        "{what}: F = {f}, expected {expected} within 0.5 %"
    );
    assert_rel(se, (f * (1.0 - f) / rays).sqrt(), 1e-9, "std_error");
}

/// The residuals are present, finite, in [0, 1]; every side's space + earth + pairs = 1 within
/// the reported closure residual; that residual is at rounding level, since every ray ends in
/// exactly one place; every side of every panel is listed.
fn check_sides_and_residuals(report: &Value, panels: &[&str]) {
    for key in ["reciprocity_residual", "closure_residual"] {
        let r = num(report, key);
        assert!(r.is_finite() && (0.0..=1.0).contains(&r), "{key} = {r}");
    }
    let closure = num(report, "closure_residual");
    assert!(closure <= 1e-12, "closure residual {closure}");
    let sides = report["sides"].as_array().expect("sides");
    assert_eq!(sides.len(), 2 * panels.len(), "{sides:?}");
    for name in panels {
        for side in ["front", "back"] {
            let s: Vec<&Value> = sides
                .iter()
                .filter(|s| s["panel"] == *name && s["side"] == side)
                .collect();
            assert_eq!(s.len(), 1, "side {name} {side} in {sides:?}");
            let to_surfaces: f64 = report["pairs"]
                .as_array()
                .expect("pairs")
                .iter()
                .filter(|p| p["from"] == *name && p["from_side"] == side)
                .map(|p| num(p, "f"))
                .sum();
            let total = num(s[0], "space") + num(s[0], "earth") + to_surfaces;
            assert!(
                (total - 1.0).abs() <= closure + 1e-12,
                "{name} {side}: space + earth + pairs = {total}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// C5: grey exchange between two held plates.

/// REFERENCE_CASES.md C5 as a scenario: plate 1 (eps 0.8) held at 400 K facing plate 2 (eps 0.5)
/// held at 300 K, 1 m x 1 m, 1 m apart, backs insulated, 0 K space, 20 x 20 cells each.
fn c5_text(radiation: &str) -> String {
    let panels = facing_pair(
        1.0,
        1.0,
        20,
        [("p1", "grey8", "none"), ("p2", "grey5", "none")],
    );
    let extra = format!(
        r#"
[[fixed_temperatures]]
name = "hot"
panel = "p1"
center_m = [0.5, 0.5]
size_m = [1.0, 1.0]
temperature_k = 400.0

[[fixed_temperatures]]
name = "cold"
panel = "p2"
center_m = [0.5, 0.5]
size_m = [1.0, 1.0]
temperature_k = 300.0
{radiation}
[solve]
mode = "steady"
tolerance_k = 1.0e-6
"#
    );
    scenario("sink_k = 0.0", 167.0, 0.002, &panels, &extra)
}

#[test]
fn c5_two_plate_exchange_through_solve() {
    let v = solve_ok(&c5_text("\n[radiation]\nrays_per_side = 4096\nseed = 1\n"));
    let q1 = num(fixed(&v, "hot"), "heat_in_w");
    let q2 = num(fixed(&v, "cold"), "heat_in_w");
    let to_space = num(&v, "energy.emitted_w");
    eprintln!("C5: Q1 = {q1:.3} W (1105.811), Q2 = {q2:.3} W (112.237), space {to_space:.3} W");
    assert_rel(q1, 1105.811, 0.005, "C5 Q1");
    assert_rel(q2, 112.237, 0.005, "C5 Q2");
    assert_rel(to_space, 1218.048, 0.005, "C5 to space");
    assert_eq!(num(&v, "energy.absorbed_w"), 0.0, "no Sun, no Earth");
    assert_energy_closes(&v);

    // The default [radiation] (4096 rays, seed 1) is the same run; without [radiation] each
    // plate radiates eps sigma A T^4 to space alone.
    let d = solve_ok(&c5_text("\n[radiation]\n"));
    assert_eq!(num(fixed(&d, "hot"), "heat_in_w"), q1, "defaults");
    let alone = solve_ok(&c5_text(""));
    assert_rel(
        num(fixed(&alone, "hot"), "heat_in_w"),
        0.8 * SIGMA * 400f64.powi(4),
        1e-9,
        "plate 1 without [radiation]",
    );
    assert_rel(
        num(fixed(&alone, "cold"), "heat_in_w"),
        0.5 * SIGMA * 300f64.powi(4),
        1e-9,
        "plate 2 without [radiation]",
    );
}

// ---------------------------------------------------------------------------------------------
// C3 through `viewfactors`.

/// Default ray count (4096), 20 x 20 cells on each 1 m of edge.
const RAYS: f64 = 4096.0;

#[test]
fn c3_parallel_rectangles_through_viewfactors() {
    for (x, y, expected) in [
        (1.0, 1.0, 0.199825),
        (2.0, 3.0, 0.475576),
        (5.0, 5.0, 0.690245),
    ] {
        assert_rel(c3_parallel(x, y), expected, 5e-6, "C3 formula");
        // The Earth below a's back (nadir -z) in the first case: C3's plate facing the Earth.
        let environment = if x == 1.0 {
            "nadir_direction = [0.0, 0.0, -1.0]\naltitude_km = 650.0"
        } else {
            ""
        };
        let text = scenario(
            environment,
            167.0,
            0.002,
            &parallel_panels(x, y, 20),
            "\n[radiation]\n",
        );
        let report = viewfactors(&text, "cpu");
        let what = format!("C3 parallel X = {x}, Y = {y}");
        let n = 400.0 * RAYS;
        assert_factor(
            &what,
            pair(&report, "a", "front", "b", "front"),
            expected,
            n,
        );
        assert_factor(
            &what,
            pair(&report, "b", "front", "a", "front"),
            expected,
            n,
        );
        check_sides_and_residuals(&report, &["a", "b"]);
        if x == 1.0 {
            // Rays from a's back inside the Earth's disc: 1/H^2 at 650 km (C3, lambda = 0).
            let back = report["sides"]
                .as_array()
                .expect("sides")
                .iter()
                .find(|s| s["panel"] == "a" && s["side"] == "back")
                .expect("a back");
            let earth = num(back, "earth");
            let h = (R_E_KM + 650.0) / R_E_KM;
            assert_rel(1.0 / (h * h), 0.823583, 1e-6, "1/H^2");
            let se = (0.823583 * (1.0 - 0.823583) / n).sqrt();
            eprintln!("a back: Earth {earth:.6}, expected 0.823583 +- 3 x {se:.1e}");
            assert!((earth - 0.823583).abs() <= 3.0 * se, "Earth share {earth}");
            assert_abs(
                num(back, "space") + earth,
                1.0,
                1e-12,
                "a back sees no panel",
            );
        }
    }
}

#[test]
fn c3_perpendicular_rectangles_and_reciprocity_on_unequal_panels() {
    // H = W = 1.
    let text = scenario(
        "",
        167.0,
        0.002,
        &perpendicular_panels(1.0, 1.0, 20),
        "\n[radiation]\n",
    );
    let report = viewfactors(&text, "cpu");
    let n = 400.0 * RAYS;
    assert_factor(
        "C3 perpendicular H = W = 1",
        pair(&report, "a", "front", "b", "front"),
        0.200044,
        n,
    );
    check_sides_and_residuals(&report, &["a", "b"]);

    // H = 2, W = 1: a is 1 m x 1 m (20 x 20 cells), b 1 m x 2 m (40 x 20). Seen from b, the
    // same pair is C3's H = 1, W = 2.
    let text = scenario(
        "",
        167.0,
        0.002,
        &perpendicular_panels(1.0, 2.0, 20),
        "\n[radiation]\n",
    );
    let report = viewfactors(&text, "cpu");
    let ab = pair(&report, "a", "front", "b", "front");
    let ba = pair(&report, "b", "front", "a", "front");
    assert_factor("C3 perpendicular H = 2, W = 1", ab, 0.232853, n);
    assert_factor("C3 perpendicular H = 1, W = 2", ba, 0.116426, 2.0 * n);
    check_sides_and_residuals(&report, &["a", "b"]);
    // Reciprocity A_a F_ab = A_b F_ba within the combined statistical error.
    let (area_a, area_b) = (1.0, 2.0);
    let diff = area_a * ab.0 - area_b * ba.0;
    let bound = 3.0 * ((area_a * ab.1).powi(2) + (area_b * ba.1).powi(2)).sqrt();
    eprintln!("reciprocity: A_a F_ab - A_b F_ba = {diff:.2e}, bound {bound:.2e}");
    assert!(diff.abs() <= bound, "{diff} > {bound}");
    // The reported residual (the largest over all pairs) is at least this pair's.
    let residual = num(&report, "reciprocity_residual");
    let this = diff.abs() / (area_a * ab.0).max(area_b * ba.0);
    assert!(residual >= this - 1e-12, "{residual} < {this}");
}

#[test]
fn viewfactors_are_deterministic_and_follow_the_seed() {
    let text = |seed: u32| {
        scenario(
            "",
            167.0,
            0.002,
            &parallel_panels(1.0, 1.0, 8),
            &format!("\n[radiation]\nrays_per_side = 64\nseed = {seed}\n"),
        )
    };
    let one = Scenario::new("seed1.toml", &text(1));
    let two = Scenario::new("seed2.toml", &text(2));
    let json = |s: &Scenario| {
        let r = run([
            "viewfactors",
            s.path_str(),
            "--backend",
            "cpu",
            "--json",
            "-",
            "--quiet",
        ]);
        r.expect_code(0);
        r.stdout
    };
    let first = json(&one);
    assert_eq!(first, json(&one), "the same seed gives the same numbers");
    assert_ne!(first, json(&two), "another seed traces other rays");
}

// ---------------------------------------------------------------------------------------------
// Shadows through `solve`.

/// Solar flux (W/m^2) and the target's absorptivity (the `white` coating).
const S: f64 = 1361.0;
const ALPHA: f64 = 0.3;

/// A 1 m x 1 m target (white front facing the Sun at +z, back insulated) under a black shade
/// 1 m above it, no Earth. The shade absorbs everything that reaches it, so nothing returns to
/// the target in the solar band: the target absorbs exactly alpha S (lit area).
fn shadow_text(shade_origin: [f64; 3], shade_u: [f64; 3], shade_v: [f64; 3]) -> String {
    let panels = [
        Panel {
            name: "target",
            origin: [0.0, 0.0, 0.0],
            u: [1.0, 0.0, 0.0],
            v: [0.0, 1.0, 0.0],
            cells: [20, 20],
            front: "white",
            back: "none",
        },
        Panel {
            name: "shade",
            origin: shade_origin,
            u: shade_u,
            v: shade_v,
            cells: [10, 10],
            front: "black",
            back: "black",
        },
    ];
    scenario(
        "solar_flux_w_m2 = 1361.0\nsink_k = 0.0\nsun_direction = [0.0, 0.0, 1.0]",
        167.0,
        0.002,
        &panels,
        "\n[radiation]\n\n[solve]\nmode = \"steady\"\ntolerance_k = 1.0e-6\n",
    )
}

#[test]
fn shadows_through_solve_full_half_and_none() {
    let hand = ALPHA * S * 1.0;
    // Unshaded: the shade moved 2 m aside.
    let v = solve_ok(&shadow_text(
        [1.95, -0.05, 1.0],
        [1.1, 0.0, 0.0],
        [0.0, 1.1, 0.0],
    ));
    assert_energy_closes(&v);
    let unshaded = num(panel(&v, "target"), "absorbed_w");
    assert_rel(unshaded, hand, 1e-9, "unshaded target: alpha S A");

    // Fully shaded: a 1.1 m x 1.1 m shade right above.
    let v = solve_ok(&shadow_text(
        [-0.05, -0.05, 1.0],
        [1.1, 0.0, 0.0],
        [0.0, 1.1, 0.0],
    ));
    assert_energy_closes(&v);
    let full = num(panel(&v, "target"), "absorbed_w");
    eprintln!(
        "target absorbs {unshaded:.3} W unshaded (alpha S A = {hand}), {full} W in full shade"
    );
    assert_eq!(full, 0.0, "a fully shaded target gets no sunlight");
    assert_rel(
        num(panel(&v, "shade"), "absorbed_w"),
        S * 1.1 * 1.1,
        1e-9,
        "the black shade takes the whole beam",
    );

    // Half shaded: the shade's edge runs along the target's diagonal x + y = 1 and covers the
    // triangle x + y > 1 (a 1.414 m x 0.85 m rectangle turned by 45 deg). The edge cuts the 20
    // diagonal cells in half; every other cell is wholly lit or wholly dark. A cut cell's lit
    // fraction is an average over s^2 = min(rays_per_side, 64) stratified sun rays (shadow.rs),
    // so its standard error is at most that of s^2 independent samples, 1/(2 s); over the 20 cut
    // cells of A_c = 1/400 m^2: sqrt(20) A_c / (2 s) (stratification only lowers it).
    let v = solve_ok(&shadow_text(
        [1.0, 0.0, 1.0],
        [-1.0, 1.0, 0.0],
        [0.6, 0.6, 0.0],
    ));
    assert_energy_closes(&v);
    let half = num(panel(&v, "target"), "absorbed_w");
    let s = 8.0;
    let se = ALPHA * S * 20f64.sqrt() * (1.0 / 400.0) / (2.0 * s);
    eprintln!(
        "half-shaded target absorbs {half:.3} W, alpha S A / 2 = {:.3} W +- 3 x {se:.3}",
        hand / 2.0
    );
    assert!(
        (half - hand / 2.0).abs() <= 3.0 * se,
        "half shade: {half} W, expected {} +- {}",
        hand / 2.0,
        3.0 * se
    );
    assert!(
        (half - unshaded / 2.0).abs() <= 3.0 * se,
        "half of the unshaded run"
    );
}

// ---------------------------------------------------------------------------------------------
// Free temperatures with exchange.

/// A plate dissipating `power` W (uniformly: a payload footprint covering it) 1 m below a passive
/// plate of the same size, both 1 m x 1 m, black on both sides, 0 K space, no Sun or Earth.
/// Thick, highly conducting plates (k t = 40 W/K) keep each plate nearly isothermal.
fn two_plates_text(power: f64, cells: usize, radiation: &str) -> String {
    let panels = facing_pair(
        1.0,
        1.0,
        cells,
        [("hot", "black", "black"), ("passive", "black", "black")],
    );
    let extra = format!(
        r#"
[[payloads]]
name = "heater"
model = "custom"
panel = "hot"
center_m = [0.5, 0.5]
size_m = [1.0, 1.0]
junction_to_panel_k_w = 0.0
power_w = {power}
limit_c = 150.0
{radiation}
[solve]
mode = "steady"
tolerance_k = 1.0e-6
"#,
        power = tf(power)
    );
    scenario("sink_k = 0.0", 2000.0, 0.02, &panels, &extra)
}

#[test]
fn free_temperatures_match_a_two_node_network() {
    // Hand model: two isothermal black plates of area A with view factor F (C3, X = Y = 1).
    // Black surfaces have radiosity sigma T^4, uniform on an isothermal plate, so the two-node
    // network is exact for them:
    //   hot:     P = 2 sigma A T1^4 - F sigma A T2^4    (both faces emit, one absorbs F of T2's)
    //   passive: 0 = 2 sigma A T2^4 - F sigma A T1^4
    // => T1^4 = P / (sigma A (2 - F^2 / 2)), T2^4 = F T1^4 / 2.
    let (power, area, cells) = (1000.0, 1.0, 20usize);
    let f = c3_parallel(1.0, 1.0);
    let t1 = (power / (SIGMA * area * (2.0 - f * f / 2.0))).powf(0.25);
    let t2 = (f / 2.0 * t1.powi(4)).powf(0.25);
    let v = solve_ok(&two_plates_text(power, cells, "\n[radiation]\n"));
    assert_energy_closes(&v);
    let (hot, passive) = (panel(&v, "hot"), panel(&v, "passive"));
    // Tolerance: (1) the Monte Carlo error of F, 3 standard errors at N = cells x 4096 rays,
    // through dT2/T2 = dF/(4F) (T1 moves far less: dT1/T1 = F dF / (4 (2 - F^2/2)));
    // (2) the plates are not exactly isothermal: their measured spread bounds what the
    // isothermal assumption can be off by.
    let se = (f * (1.0 - f) / ((cells * cells) as f64 * RAYS)).sqrt();
    let spread = |p: &Value| num(p, "t_max_k") - num(p, "t_min_k");
    let spreads = spread(hot) + spread(passive);
    let tol2 = t2 * 3.0 * se / (4.0 * f) + spreads;
    let tol1 = t1 * f * 3.0 * se / (4.0 * (2.0 - f * f / 2.0)) + spreads;
    let (m1, m2) = (num(hot, "t_mean_k"), num(passive, "t_mean_k"));
    eprintln!(
        "two plates: hot {m1:.3} K (hand {t1:.3} +- {tol1:.3}), passive {m2:.3} K \
         (hand {t2:.3} +- {tol2:.3}); spreads {spreads:.3} K"
    );
    assert!(spreads < 0.5, "plates far from isothermal: {spreads} K");
    assert_abs(m2, t2, tol2, "passive plate temperature");
    assert_abs(m1, t1, tol1, "dissipating plate temperature");
    // Junction = footprint mean (junction_to_panel 0) = the hot plate's mean.
    assert_abs(
        num(payload(&v, "heater"), "junction_c") + C_TO_K,
        m1,
        1e-9,
        "junction",
    );
    // What leaves to space is the dissipation; the passive plate's net IR loss is zero.
    assert_rel(
        num(&v, "energy.emitted_w"),
        power,
        1e-6,
        "emitted = dissipated",
    );
    assert_abs(
        num(passive, "emitted_w"),
        0.0,
        1e-6 * power,
        "passive net IR",
    );
}

// ---------------------------------------------------------------------------------------------
// GPU against CPU.

#[test]
fn gpu_view_factors_agree_with_the_cpu_pair_by_pair() {
    if adapter_or_skip("GPU radiation test").is_none() {
        return;
    }
    // 2 x 2 x 400 cell sides x 1024 rays: about 1.6 x 10^6 rays, ~1 s on lavapipe.
    let text = scenario(
        "nadir_direction = [0.0, -1.0, 0.0]\naltitude_km = 650.0",
        167.0,
        0.002,
        &perpendicular_panels(1.0, 1.0, 20),
        "\n[radiation]\nrays_per_side = 1024\n",
    );
    let cpu = viewfactors(&text, "cpu");
    let gpu = viewfactors(&text, "gpu");
    check_sides_and_residuals(&gpu, &["a", "b"]);
    let key = |p: &Value| {
        format!(
            "{} {} -> {} {}",
            p["from"], p["from_side"], p["to"], p["to_side"]
        )
    };
    let list = |r: &Value| r["pairs"].as_array().expect("pairs").clone();
    let mut keys: Vec<String> = list(&cpu).iter().chain(&list(&gpu)).map(key).collect();
    keys.sort();
    keys.dedup();
    for k in &keys {
        let find = |r: &Value| {
            list(r)
                .into_iter()
                .find(|p| key(p) == *k)
                .map_or((0.0, 0.0), |p| (num(&p, "f"), num(&p, "std_error")))
        };
        let ((fc, sc), (fg, sg)) = (find(&cpu), find(&gpu));
        let bound = 3.0 * (sc * sc + sg * sg).sqrt();
        eprintln!("{k}: CPU {fc:.6}, GPU {fg:.6}, bound {bound:.1e}");
        assert!((fc - fg).abs() <= bound, "{k}: CPU {fc}, GPU {fg}");
    }
    assert!(keys.len() >= 2, "{keys:?}");
    let sides = |r: &Value| r["sides"].as_array().expect("sides").clone();
    for (c, g) in sides(&cpu).iter().zip(&sides(&gpu)) {
        assert_eq!((&c["panel"], &c["side"]), (&g["panel"], &g["side"]));
        for key in ["space", "earth"] {
            let (fc, fg) = (num(c, key), num(g, key));
            // Per side N = 400 x 1024 rays on both backends.
            let se = |x: f64| (x * (1.0 - x) / (400.0 * 1024.0)).sqrt();
            let bound = 3.0 * (se(fc).powi(2) + se(fg).powi(2)).sqrt();
            assert!(
                (fc - fg).abs() <= bound,
                "{} {} {key}: CPU {fc}, GPU {fg}",
                c["panel"],
                c["side"]
            );
        }
    }
}

#[test]
fn gpu_solve_with_exchange_agrees_with_the_cpu() {
    if adapter_or_skip("GPU radiation test").is_none() {
        return;
    }
    // The two-plate network, 16 x 16 cells per plate, 1024 rays, with Sun and Earth added so
    // that shadows and reflected loads are part of the comparison.
    let text = two_plates_text(1000.0, 16, "\n[radiation]\nrays_per_side = 1024\n").replace(
        "sink_k = 0.0",
        "sink_k = 0.0\nsun_direction = [0.3, 0.0, 0.9539392014169456]\n\
         nadir_direction = [0.0, -1.0, 0.0]\naltitude_km = 650.0",
    );
    let s = Scenario::new("gpu.toml", &text);
    let solve = |backend: &str| {
        let r = s.solve(&["--backend", backend, "--json", "-", "--quiet"]);
        r.expect_code(0);
        r.json()
    };
    let (gpu, cpu) = (solve("gpu"), solve("cpu"));
    assert_eq!(gpu["backend"]["kind"], "gpu");
    assert_eq!(gpu["solver"]["converged"], Value::Bool(true));
    assert_energy_closes(&cpu);
    let e = |k: &str| num(&gpu, &format!("energy.{k}"));
    let budget = e("dissipated_w") + e("absorbed_w") + e("fixed_in_w").abs();
    assert!(
        e("imbalance_w").abs() <= 1e-5 * budget,
        "GPU imbalance {} W of {budget} W",
        e("imbalance_w")
    );
    let mut worst: f64 = 0.0;
    for name in ["hot", "passive"] {
        for key in ["t_min_k", "t_mean_k", "t_max_k"] {
            let (g, c) = (num(panel(&gpu, name), key), num(panel(&cpu, name), key));
            worst = worst.max((g - c).abs());
            assert_abs(g, c, 0.05, &format!("{name} {key}: GPU against CPU"));
        }
    }
    let (g, c) = (
        num(payload(&gpu, "heater"), "junction_c"),
        num(payload(&cpu, "heater"), "junction_c"),
    );
    assert_abs(g, c, 0.05, "junction: GPU against CPU");
    eprintln!("GPU against CPU: largest panel temperature difference {worst:.2e} K");
}

// ---------------------------------------------------------------------------------------------
// Bad input.

#[test]
fn bad_radiation_values_are_exit_2_naming_the_key_and_file() {
    let base = c5_text("\n[radiation]\nrays_per_side = 4096\nseed = 1\n");
    for (from, to, key) in [
        ("rays_per_side = 4096", "rays_per_side = 0", "rays_per_side"),
        (
            "rays_per_side = 4096",
            "rays_per_side = -1",
            "rays_per_side",
        ),
        (
            "rays_per_side = 4096",
            "rays_per_side = 1.5",
            "rays_per_side",
        ),
        ("seed = 1\n", "seed = -1\n", "seed"),
    ] {
        let text = edit(&base, from, to);
        let s = Scenario::new("bad_radiation.toml", &text);
        let runs = [
            ("check", s.check()),
            (
                "solve",
                s.solve(&["--backend", "cpu", "--json", "-", "--quiet"]),
            ),
            (
                "viewfactors",
                run([
                    "viewfactors",
                    s.path_str(),
                    "--backend",
                    "cpu",
                    "--json",
                    "-",
                ]),
            ),
        ];
        for (what, r) in runs {
            r.expect_code(2);
            assert!(r.stdout.is_empty(), "{what} {to}: stdout {}", r.stdout);
            for needle in ["bad_radiation.toml", key] {
                assert!(
                    r.stderr.contains(needle),
                    "{what} with {to}: the message should name {needle:?}:\n{}",
                    r.stderr
                );
            }
        }
    }
}
