//! Scenario -> Model: meshing, loads, footprints, heat-pipe strips, links and fixed regions.

use std::collections::HashMap;

use super::geometry::{self, CellOverlap, Rect, Strip};
use super::loads::Exposure;
use super::*;
use crate::error::{Error, Result};
use crate::fluids::{self, HeatPipeFluid};
use crate::memory;
use crate::scenario::groups::{panel_groups, pipe_panels};
use crate::scenario::place::{Invalid, Place};
use crate::scenario::validate::INSIDE_TOLERANCE;
use crate::scenario::warnings::{likely_mistakes, located};
use crate::scenario::{CAPACITY_REFERENCE_K, Capacity, HeatPipe};
use crate::scenario::{LoadedScenario, Mode, Payload, Scenario, catalog};
use crate::vec3::{cross, norm, unit};

/// Tolerance (m) for "a cell centre lies inside a fixed region" (SCENARIO.md section 3).
const REGION_CENTRE_TOLERANCE_M: f64 = 1e-9;

pub fn build(loaded: &LoadedScenario) -> Result<Model> {
    let s = &loaded.scenario;
    let exposure = Exposure::from_environment(&s.environment);
    check_memory(loaded)?;
    let panels = mesh_panels(s, &exposure);
    let n_cells: usize = panels.iter().map(|p| p.cell_count()).sum();
    let panel_index: HashMap<&str, usize> = panels
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let n_nodes = n_cells + s.heat_pipes.iter().filter(|p| !p.failed).count();
    let cell_loads = CellLoads::new(&panels, n_cells, n_nodes);

    let mut warnings = likely_mistakes(loaded);
    let mut couplings = Vec::new();
    let heat_pipes = build_heat_pipes(loaded, &panels, &panel_index, n_cells);
    for pipe in &heat_pipes {
        if let Some(node) = pipe.node {
            couplings.extend(pipe.contacts.iter().map(|c| Coupling {
                a: c.cell,
                b: node,
                conductance: c.conductance,
            }));
        }
    }
    let links = build_links(s, &panels, &panel_index, &mut warnings);
    for link in &links {
        couplings.extend_from_slice(&link.couplings);
    }

    let (fixed_k, fixed_regions) = build_fixed_regions(loaded, &panels, &panel_index, n_nodes)?;

    let payloads: Vec<PayloadModel> = s
        .payloads
        .iter()
        .map(|p| build_payload(p, &panels, &panel_index, exposure.in_eclipse()))
        .collect();
    let powers: Vec<f64> = payloads.iter().map(|p| p.power_w).collect();

    let mut model = Model {
        panels,
        n_cells,
        n_nodes,
        emissive_area: cell_loads.emissive_area,
        absorbed_w: cell_loads.absorbed_w,
        outer_absorbed_w: Vec::new(),
        dissipated_w: vec![0.0; n_cells],
        capacitance_j_k: cell_loads.capacitance_j_k,
        fixed_k,
        couplings,
        heat_pipes,
        links,
        fixed_regions,
        payloads,
        sink_k: s.environment.sink_k,
        in_eclipse: exposure.in_eclipse(),
        stranded: stranded_groups(s),
        warnings,
        exchange: None,
    };
    model.set_payload_powers(&powers);
    Ok(model)
}

/// The per-cell radiating area and absorbed heat, and the per-node heat capacity (zero at the
/// heat-pipe nodes).
struct CellLoads {
    emissive_area: Vec<f64>,
    absorbed_w: Vec<f64>,
    capacitance_j_k: Vec<f64>,
}

impl CellLoads {
    fn new(panels: &[PanelMesh], n_cells: usize, n_nodes: usize) -> CellLoads {
        let mut emissive_area = vec![0.0; n_cells];
        let mut absorbed_w = vec![0.0; n_cells];
        let mut capacitance_j_k = vec![0.0; n_nodes];
        for panel in panels {
            let (e, a) = (panel.emissive_area_per_cell(), panel.absorbed_per_cell());
            emissive_area[panel.cells_range()].fill(e);
            absorbed_w[panel.cells_range()].fill(a);
            capacitance_j_k[panel.cells_range()].fill(panel.heat_capacity_per_cell);
        }
        CellLoads {
            emissive_area,
            absorbed_w,
            capacitance_j_k,
        }
    }
}

/// An input error at `place` of the scenario, rendered with its source line. The document is
/// parsed only here, on the way out.
fn invalid(loaded: &LoadedScenario, place: Place, message: String) -> Error {
    let document = toml_edit::Document::parse(loaded.source.text.as_str()).ok();
    Error::Input(Invalid::new(place, message).render(&loaded.source, document.as_ref()))
}

/// The fixed regions in file order and the held temperature of each node (None where free); a
/// cell held by several regions keeps the first one's value.
fn build_fixed_regions(
    loaded: &LoadedScenario,
    panels: &[PanelMesh],
    panel_index: &HashMap<&str, usize>,
    n_nodes: usize,
) -> Result<(Vec<Option<f64>>, Vec<FixedModel>)> {
    let s = &loaded.scenario;
    let mut fixed_k = vec![None; n_nodes];
    let mut fixed_regions: Vec<FixedModel> = Vec::new();
    for (r, region) in s.fixed_temperatures.iter().enumerate() {
        let place = Place::root().key("fixed_temperatures").index(r);
        let panel = &panels[panel_index[region.panel.as_str()]];
        // A steady solve holds a scheduled region at its value at t = 0. validate() guarantees
        // exactly one of the two is given.
        let temperature_k = match (region.temperature_k, &region.schedule) {
            (Some(t), _) => t,
            (None, Some(schedule)) => {
                schedule_value(&schedule.time_s, &schedule.temperature_k, 0.0)
            }
            (None, None) => f64::NAN,
        };
        let cells = cells_with_centre_in(
            panel,
            Rect::from_center_size(region.center_m, region.size_m),
        );
        if cells.is_empty() {
            return Err(invalid(
                loaded,
                place.key("center_m"),
                format!(
                    "fixed region \"{}\" holds no cell of panel \"{}\": no cell centre lies inside it; enlarge size_m or move center_m",
                    region.name, panel.name
                ),
            ));
        }
        let schedule = region
            .schedule
            .as_ref()
            .map(|s| Schedule::new(&s.time_s, &s.temperature_k));
        let fixed = FixedModel {
            name: region.name.clone(),
            temperature_k,
            schedule,
            cells,
        };
        check_overlaps(loaded, place, &fixed, &fixed_regions, &fixed_k)?;
        for &cell in &fixed.cells {
            fixed_k[cell].get_or_insert(temperature_k);
        }
        fixed_regions.push(fixed);
    }
    Ok((fixed_k, fixed_regions))
}

/// Each earlier region that shares a cell with `region` must hold the same temperature at all
/// times (a steady solve holds schedules at t = 0): compared once per pair of regions.
fn check_overlaps(
    loaded: &LoadedScenario,
    place: Place,
    region: &FixedModel,
    earlier: &[FixedModel],
    fixed_k: &[Option<f64>],
) -> Result<()> {
    let shares_cell = |q: &FixedModel| {
        region
            .cells
            .iter()
            .any(|&c| fixed_k[c].is_some() && q.cells.binary_search(&c).is_ok())
    };
    let held = |q_schedule: Option<&Schedule>, constant: f64, t: f64| {
        q_schedule.map_or(constant, |q| q.at(t))
    };
    for other in earlier.iter().filter(|q| shares_cell(q)) {
        let times = if loaded.scenario.solve.mode == Mode::Transient {
            breakpoints(&[other.schedule.as_ref(), region.schedule.as_ref()])
        } else {
            vec![0.0]
        };
        for t in times {
            let (theirs, ours) = (
                held(other.schedule.as_ref(), other.temperature_k, t),
                held(region.schedule.as_ref(), region.temperature_k, t),
            );
            if theirs != ours {
                return Err(invalid(
                    loaded,
                    place,
                    format!(
                        "fixed region \"{}\" holds a cell that region \"{}\" already holds at a different temperature ({ours} K against {theirs} K at t = {t} s); regions may overlap only where they hold the same temperature at all times",
                        region.name, other.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Refuse a mesh the machine cannot hold, before allocating anything for it. Cell counts are
/// multiplied in u128 so that absurd counts are refused rather than overflowing.
fn check_memory(loaded: &LoadedScenario) -> Result<()> {
    let n_cells: u128 = loaded
        .scenario
        .panels
        .iter()
        .map(|p| p.cells[0].max(1) as u128 * p.cells[1].max(1) as u128)
        .sum();
    let irregular = loaded.scenario.heat_pipes.len() * memory::COUPLINGS_PER_HEAT_PIPE
        + loaded.scenario.links.len() * memory::COUPLINGS_PER_LINK;
    let needed = usize::try_from(n_cells)
        .ok()
        .map(|n| memory::solve_bytes(n, irregular))
        .unwrap_or(u64::MAX);
    let available = memory::available_bytes();
    if needed > available.unwrap_or(u64::MAX) || needed == u64::MAX {
        let have = available.map_or("an unknown amount".to_string(), |a| {
            format!("{:.1} GiB", a as f64 / 1024f64.powi(3))
        });
        let need = if needed == u64::MAX {
            "more memory than a 64-bit machine can address".to_string()
        } else {
            format!("about {:.1} GiB", needed as f64 / 1024f64.powi(3))
        };
        return Err(Error::Input(format!(
            "{}: the mesh has {n_cells} cells; solving it needs {need} but this machine has {have} available; use fewer cells",
            loaded.source.path.display(),
        )));
    }
    Ok(())
}

fn side(s: &Scenario, coating: &str, normal: [f64; 3], exposure: &Exposure) -> Side {
    match s.coatings.get(coating).filter(|_| coating != "none") {
        Some(c) => Side {
            coating: Some(coating.to_string()),
            absorptivity: c.absorptivity,
            emissivity: c.emissivity,
            effective_emittance: c.effective_emittance,
            absorbed_w_m2: exposure.absorbed_w_m2(normal, c.absorptivity, c.emissivity),
        },
        None => Side {
            coating: None,
            absorptivity: 0.0,
            emissivity: 0.0,
            effective_emittance: None,
            absorbed_w_m2: 0.0,
        },
    }
}

fn mesh_panels(s: &Scenario, exposure: &Exposure) -> Vec<PanelMesh> {
    let mut first_cell = 0;
    s.panels
        .iter()
        .map(|p| {
            let cells = [p.cells[0].max(1) as usize, p.cells[1].max(1) as usize];
            let length = [norm(p.u_m), norm(p.v_m)];
            let (u_dir, v_dir) = (unit(p.u_m), unit(p.v_m));
            let normal = unit(cross(u_dir, v_dir));
            let back_normal = normal.map(|x| -x);
            let (du, dv) = (length[0] / cells[0] as f64, length[1] / cells[1] as f64);
            let material = s.materials.get(&p.material);
            let kt = material.map_or(0.0, |m| m.conductivity_w_mk) * p.thickness_m;
            // rho c t A; zero where the material gives no density or specific heat (a steady
            // solve does without, and validation requires both for a transient).
            let rho_c = material
                .and_then(|m| Some(m.density_kg_m3? * m.specific_heat_j_kgk?))
                .unwrap_or(0.0);
            let mesh = PanelMesh {
                name: p.name.clone(),
                first_cell,
                cells,
                origin: p.origin_m,
                u_dir,
                v_dir,
                normal,
                length,
                cell_area: du * dv,
                heat_capacity_per_cell: rho_c * p.thickness_m * du * dv,
                // Equal neighbours: G = L / (d_i/(k t) + d_j/(k t)) with d = half the cell size.
                conductance: [kt * dv / du, kt * du / dv],
                front: side(s, &p.front, normal, exposure),
                back: side(s, &p.back, back_normal, exposure),
            };
            first_cell += mesh.cell_count();
            mesh
        })
        .collect()
}

/// Cells of `panel` whose centres lie inside `region` or on its boundary.
fn cells_with_centre_in(panel: &PanelMesh, region: Rect) -> Vec<usize> {
    let grid = panel.grid();
    let size = grid.cell_size();
    let tol = REGION_CENTRE_TOLERANCE_M;
    let range = |axis: usize| {
        let n = grid.cells[axis] as f64;
        let low = ((region.min[axis] - tol) / size[axis] - 0.5)
            .ceil()
            .clamp(0.0, n);
        let high = ((region.max[axis] + tol) / size[axis] - 0.5)
            .floor()
            .clamp(-1.0, n - 1.0);
        (low as i64, high as i64)
    };
    let ((i0, i1), (j0, j1)) = (range(0), range(1));
    let mut cells = Vec::new();
    for j in j0.max(0)..=j1 {
        for i in i0.max(0)..=i1 {
            let c = grid.cell_center(i as usize, j as usize);
            let inside = (0..2).all(|a| c[a] >= region.min[a] - tol && c[a] <= region.max[a] + tol);
            if inside {
                cells.push(panel.cell_index(i as usize, j as usize));
            }
        }
    }
    cells
}

/// Every time at which one of `schedules` changes slope, in increasing order, and t = 0: two
/// piecewise-linear schedules (constant outside their times) that agree at all of them agree
/// at all times.
fn breakpoints(schedules: &[Option<&Schedule>]) -> Vec<f64> {
    let mut times: Vec<f64> = schedules
        .iter()
        .flatten()
        .flat_map(|s| s.time_s.iter().copied())
        .chain([0.0])
        .collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    times
}

/// Piecewise-linear schedule value, holding the end values outside the times.
pub fn schedule_value(times: &[f64], values: &[f64], t: f64) -> f64 {
    let n = times.len().min(values.len());
    if n == 0 {
        return f64::NAN;
    }
    if t <= times[0] {
        return values[0];
    }
    if t >= times[n - 1] {
        return values[n - 1];
    }
    let k = times[..n].partition_point(|&x| x <= t).saturating_sub(1);
    let (t0, t1) = (times[k], times[k + 1]);
    values[k] + (values[k + 1] - values[k]) * (t - t0) / (t1 - t0)
}

fn build_payload(
    p: &Payload,
    panels: &[PanelMesh],
    panel_index: &HashMap<&str, usize>,
    in_eclipse: bool,
) -> PayloadModel {
    let entry = catalog::lookup(&p.model);
    let nominal = p.power_w.or(entry.map(|e| e.power_w)).unwrap_or(0.0);
    let schedule = p
        .schedule
        .as_ref()
        .map(|s| Schedule::new(&s.time_s, &s.power_w));
    let power_w = PayloadModel::power_of(
        nominal,
        p.eclipse_power_w,
        schedule.as_ref(),
        0.0,
        in_eclipse,
    );
    let panel = panel_index[p.panel.as_str()];
    let mesh = &panels[panel];
    let rect = Rect::from_center_size(p.center_m, p.size_m);
    let cells = geometry::rect_overlaps(&mesh.grid(), &rect)
        .into_iter()
        .map(|o: CellOverlap| (mesh.cell_index(o.i, o.j), o.area))
        .collect();
    // A value given in the scenario carries the scenario's `source`; a catalog value carries the
    // catalog's, followed by the scenario's own note when there is one.
    let given = || p.source.clone().or(Some("given in the scenario".into()));
    let from_catalog = |catalog: &str| match &p.source {
        Some(own) => Some(format!("{catalog}; scenario: {own}")),
        None => Some(catalog.to_string()),
    };
    let (power_source, limit_source) = match entry {
        Some(e) => (
            if p.power_w.is_some() || p.schedule.is_some() {
                given()
            } else {
                from_catalog(e.power_source)
            },
            if p.limit_c.is_some() {
                given()
            } else {
                from_catalog(e.limit_source)
            },
        ),
        None => (p.source.clone(), p.source.clone()),
    };
    PayloadModel {
        name: p.name.clone(),
        model: p.model.clone(),
        count: p.count.max(1) as usize,
        panel,
        power_w,
        nominal_power_w: nominal,
        eclipse_power_w: p.eclipse_power_w,
        schedule,
        junction_to_panel_k_w: p.junction_to_panel_k_w,
        limit_c: p.limit_c.or(entry.map(|e| e.limit_c)).unwrap_or(f64::NAN),
        min_limit_c: p.min_limit_c,
        power_source,
        limit_source,
        cells,
    }
}

/// A pipe's capacity against its vapour temperature (SCENARIO-2 section 13): a table as given;
/// a number scaled by the fluid's transport factor from `capacity_at_k`; else constant.
fn pipe_capacity(pipe: &HeatPipe, fluid: Option<&'static HeatPipeFluid>) -> PipeCapacity {
    match (&pipe.capacity_w_m, fluid) {
        (Capacity::Table(table), _) => PipeCapacity::Table {
            t_k: table.temperature_k.clone(),
            value: table.value.clone(),
        },
        (Capacity::Constant(c), Some(fluid)) => PipeCapacity::Scaled {
            capacity_w_m: *c,
            reference_k: pipe.capacity_at_k.unwrap_or(CAPACITY_REFERENCE_K),
            fluid,
        },
        (Capacity::Constant(c), None) => PipeCapacity::Constant(*c),
    }
}

/// The groups that only failed pipes joined to a way of losing heat, with those pipes.
fn stranded_groups(s: &Scenario) -> Vec<StrandedGroup> {
    if !s.heat_pipes.iter().any(|p| p.failed) {
        return Vec::new();
    }
    panel_groups(s, false)
        .into_iter()
        .filter(|g| !g.can_lose_heat)
        .map(|g| {
            let panels: Vec<&str> = g
                .panels
                .iter()
                .map(|&k| s.panels[k].name.as_str())
                .collect();
            let pipes = s
                .heat_pipes
                .iter()
                .filter(|p| p.failed && pipe_panels(p).iter().any(|n| panels.contains(n)))
                .map(|p| p.name.clone())
                .collect();
            StrandedGroup {
                panels: panels.into_iter().map(str::to_string).collect(),
                pipes,
            }
        })
        .collect()
}

fn build_heat_pipes(
    loaded: &LoadedScenario,
    panels: &[PanelMesh],
    panel_index: &HashMap<&str, usize>,
    n_cells: usize,
) -> Vec<HeatPipeModel> {
    let s = &loaded.scenario;
    // Only a pipe with a fluid has range warnings; the file is parsed for their lines.
    let places: Vec<Place> = if s.heat_pipes.iter().any(|p| p.fluid.is_some()) {
        (0..s.heat_pipes.len())
            .map(|i| Place::root().key("heat_pipes").index(i))
            .collect()
    } else {
        Vec::new()
    };
    let mut locations = located(loaded, &places).into_iter();
    let mut next_node = n_cells;
    s.heat_pipes
        .iter()
        .map(|pipe| {
            let node = (!pipe.failed).then(|| {
                next_node += 1;
                next_node - 1
            });
            let segments: Vec<(&str, [f64; 2], [f64; 2])> =
                match (&pipe.segments, &pipe.panel, pipe.from_m, pipe.to_m) {
                    (Some(segments), _, _, _) => segments
                        .iter()
                        .map(|g| (g.panel.as_str(), g.from_m, g.to_m))
                        .collect(),
                    (None, Some(panel), Some(from), Some(to)) => vec![(panel.as_str(), from, to)],
                    _ => Vec::new(),
                };
            let mut contacts = Vec::new();
            let mut start = 0.0;
            for (panel, from, to) in segments {
                let mesh = &panels[panel_index[panel]];
                let axis = [to[0] - from[0], to[1] - from[1]];
                let length = (axis[0] * axis[0] + axis[1] * axis[1]).sqrt();
                let strip = Strip {
                    p0: from,
                    p1: to,
                    half_width: 0.5 * pipe.width_m,
                };
                for o in geometry::strip_overlaps(&mesh.grid(), &strip) {
                    let along = ((o.centroid[0] - from[0]) * axis[0]
                        + (o.centroid[1] - from[1]) * axis[1])
                        / length;
                    contacts.push(PipeContact {
                        cell: mesh.cell_index(o.i, o.j),
                        conductance: pipe.film_coefficient_w_m2k * o.area,
                        position_m: start + along.clamp(0.0, length),
                    });
                }
                start += length;
            }
            if pipe.failed {
                contacts.clear();
            }
            let fluid = pipe.fluid.as_deref().and_then(fluids::heat_pipe_fluid);
            HeatPipeModel {
                name: pipe.name.clone(),
                node,
                length_m: start,
                capacity: pipe_capacity(pipe, fluid),
                fluid,
                contacts,
                location: locations.next().unwrap_or_default(),
            }
        })
        .collect()
}

/// One end of a link, on its panel: a line from -> to, or a single point.
struct JointEnd<'a> {
    mesh: &'a PanelMesh,
    from: [f64; 2],
    to: [f64; 2],
}

impl JointEnd<'_> {
    fn point(&self, s: f64) -> [f64; 2] {
        [
            self.from[0] + s * (self.to[0] - self.from[0]),
            self.from[1] + s * (self.to[1] - self.from[1]),
        ]
    }

    fn cell_at(&self, s: f64) -> usize {
        let grid = self.mesh.grid();
        let tol = INSIDE_TOLERANCE * self.mesh.length[0].max(self.mesh.length[1]);
        let (i, j) = grid.cell_containing(self.point(s), tol).unwrap_or((0, 0));
        self.mesh.cell_index(i, j)
    }

    fn breakpoints(&self) -> Vec<f64> {
        if self.from == self.to {
            vec![0.0, 1.0]
        } else {
            geometry::segment_breakpoints(&self.mesh.grid(), self.from, self.to)
        }
    }
}

fn build_links(
    s: &Scenario,
    panels: &[PanelMesh],
    panel_index: &HashMap<&str, usize>,
    warnings: &mut Vec<String>,
) -> Vec<LinkModel> {
    s.links
        .iter()
        .map(|link| {
            let end = |e: &crate::scenario::LinkEnd| {
                let mesh = &panels[panel_index[e.panel.as_str()]];
                let (from, to) = match (e.from_m, e.to_m, e.at_m) {
                    (Some(from), Some(to), _) => (from, to),
                    (_, _, Some(at)) => (at, at),
                    _ => ([0.0, 0.0], [0.0, 0.0]),
                };
                JointEnd { mesh, from, to }
            };
            let (a, b) = (end(&link.a), end(&link.b));
            if link.a.at_m.is_some() || link.b.at_m.is_some() {
                warnings.push(format!(
                    "link \"{}\" is a point joint: it joins whole cells, so its effect depends on the mesh",
                    link.name
                ));
            }
            let mut breaks: Vec<f64> = a.breakpoints().into_iter().chain(b.breakpoints()).collect();
            breaks.sort_by(f64::total_cmp);
            breaks.dedup_by(|x, y| (*x - *y).abs() < 1e-12);
            let mut couplings: Vec<Coupling> = Vec::new();
            for piece in breaks.windows(2) {
                let ds = piece[1] - piece[0];
                if ds <= 0.0 {
                    continue;
                }
                let mid = 0.5 * (piece[0] + piece[1]);
                let (ca, cb) = (a.cell_at(mid), b.cell_at(mid));
                let conductance = link.conductance_w_k * ds;
                match couplings.last_mut() {
                    Some(last) if last.a == ca && last.b == cb => last.conductance += conductance,
                    _ => couplings.push(Coupling { a: ca, b: cb, conductance }),
                }
            }
            LinkModel {
                name: link.name.clone(),
                couplings,
            }
        })
        .collect()
}
