//! Generated radiator scenarios for benchmarks: one square two-sided panel of about `cells`
//! cells with two heat pipes and four H100 SXM footprints, at 650 km with the Sun edge-on.

/// TOML text of the benchmark radiator with about `cells` cells (a square mesh).
pub fn radiator_scenario(cells: usize) -> String {
    let side = ((cells as f64).sqrt().round() as usize).max(4);
    format!(
        r#"name = "generated radiator, {side} x {side} cells, two heat pipes, four H100 SXM"

[environment]
sun_direction = [0.0, 0.0, 1.0]     # in the panel's plane: edge-on to the Sun
nadir_direction = [0.0, -1.0, 0.0]  # Earth below the panel's edge: both sides see it edge-on
altitude_km = 650.0

[materials.al6061]
conductivity_w_mk = 167.0
density_kg_m3 = 2700.0
specific_heat_j_kgk = 896.0

[coatings.white]
absorptivity = 0.20
emissivity = 0.85

[[panels]]
name = "radiator"
origin_m = [0.0, 0.0, 0.0]
u_m = [0.0, 2.0, 0.0]
v_m = [0.0, 0.0, 2.0]
cells = [{side}, {side}]
thickness_m = 0.003
material = "al6061"
front = "white"
back = "white"

[[heat_pipes]]
name = "hp-low"
panel = "radiator"
from_m = [0.1, 0.7]
to_m = [1.9, 0.7]
width_m = 0.05
film_coefficient_w_m2k = 15000.0
capacity_w_m = 1000.0

[[heat_pipes]]
name = "hp-high"
panel = "radiator"
from_m = [0.1, 1.3]
to_m = [1.9, 1.3]
width_m = 0.05
film_coefficient_w_m2k = 15000.0
capacity_w_m = 1000.0

[[payloads]]
name = "gpu0"
model = "h100-sxm"
panel = "radiator"
center_m = [0.6, 0.7]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03

[[payloads]]
name = "gpu1"
model = "h100-sxm"
panel = "radiator"
center_m = [1.4, 0.7]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03

[[payloads]]
name = "gpu2"
model = "h100-sxm"
panel = "radiator"
center_m = [0.6, 1.3]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03

[[payloads]]
name = "gpu3"
model = "h100-sxm"
panel = "radiator"
center_m = [1.4, 1.3]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03
"#
    )
}
