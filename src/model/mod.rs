//! Model: the discrete problem as plain arrays, the same for every backend (DESIGN.md).
//!
//! Nodes are the cells of every panel (panel after panel, cell (i, j) of a panel at
//! `first_cell + i + nu * j`) followed by one vapour node per heat pipe. Conduction inside a panel
//! is a 5-point stencil with one conductance per direction (panels are uniform); everything else
//! (heat-pipe contacts, links) is a short list of irregular couplings.

pub mod balance;
pub mod build;
pub mod earth;
pub mod exchange;
pub mod geometry;
mod instant;
pub mod loads;

pub use build::build;
pub use earth::earth_view_factor;
pub use exchange::{ExternalAbsorbed, SurfaceExchange};
pub use instant::Schedule;
pub use loads::Exposure;

use geometry::Grid;

use crate::fluids::{self, HeatPipeFluid};

/// Stefan–Boltzmann constant, W/m^2/K^4 (SCENARIO.md section 1).
pub const SIGMA: f64 = 5.670374419e-8;
/// Kelvin at 0 C.
pub const ZERO_CELSIUS_K: f64 = 273.15;

/// Optical properties of one side of a panel.
#[derive(Clone, Debug)]
pub struct Side {
    /// Coating name; `None` for an insulated ("none") side.
    pub coating: Option<String>,
    pub absorptivity: f64,
    pub emissivity: f64,
    /// With an MLI blanket, e* between the cell and the blanket's outer layer, whose
    /// absorptivity and emissivity are the two above (SCENARIO-2 section 15).
    pub effective_emittance: Option<f64>,
    /// Absorbed external flux on this side, W/m^2 (sunlight, Earth IR, albedo); on a blanket,
    /// what its outer layer absorbs.
    pub absorbed_w_m2: f64,
}

impl Side {
    /// The emissivity the cell sees towards the sink. A blanket's outer layer has no heat
    /// capacity and no lateral conduction, so its balance, absorbed + e* sigma (T^4 - T_o^4) =
    /// eps sigma (T_o^4 - T_sink^4), gives T_o^4 in closed form; eliminated, the cell loses
    /// e* eps / (e* + eps) sigma (T^4 - T_sink^4) and receives e* / (e* + eps) of what the outer
    /// layer absorbs. Exact, with an exact derivative for Newton.
    pub fn emissivity_seen_by_cell(&self) -> f64 {
        match self.effective_emittance {
            Some(e) if e + self.emissivity > 0.0 => e * self.emissivity / (e + self.emissivity),
            Some(_) => 0.0,
            None => self.emissivity,
        }
    }

    /// The share of the side's absorbed flux that reaches the cell (1 without a blanket).
    pub fn absorbed_share(&self) -> f64 {
        match self.effective_emittance {
            Some(e) if e + self.emissivity > 0.0 => e / (e + self.emissivity),
            _ => 1.0,
        }
    }

    /// W/m^2 a blanket's outer layer absorbs and radiates straight back out without reaching
    /// the cell (0 without a blanket): reported as absorbed and as emitted.
    pub fn outer_layer_w_m2(&self) -> f64 {
        self.absorbed_w_m2 * (1.0 - self.absorbed_share())
    }

    /// Heat from a cell at `t_k` into the blanket's outer layer, W/m^2 (positive out of the
    /// panel; 0 without a blanket): e* sigma (T^4 - T_o^4) with T_o eliminated as above.
    pub fn mli_leak_w_m2(&self, t_k: f64, sink_k: f64) -> f64 {
        if self.effective_emittance.is_none() {
            return 0.0;
        }
        let (t2, s2) = (t_k * t_k, sink_k * sink_k);
        SIGMA * self.emissivity_seen_by_cell() * (t2 * t2 - s2 * s2)
            - self.absorbed_share() * self.absorbed_w_m2
    }
}

#[derive(Clone, Debug)]
pub struct PanelMesh {
    pub name: String,
    pub first_cell: usize,
    pub cells: [usize; 2],
    pub origin: [f64; 3],
    /// Unit vectors along u and v, and the front normal u x v.
    pub u_dir: [f64; 3],
    pub v_dir: [f64; 3],
    pub normal: [f64; 3],
    pub length: [f64; 2],
    pub cell_area: f64,
    /// rho c t A of one cell, J/K (zero when the material has no density or specific heat).
    pub heat_capacity_per_cell: f64,
    /// Conductance between neighbouring cells along u and along v, W/K.
    pub conductance: [f64; 2],
    pub front: Side,
    pub back: Side,
}

impl PanelMesh {
    pub fn cell_count(&self) -> usize {
        self.cells[0] * self.cells[1]
    }

    pub fn grid(&self) -> Grid {
        Grid {
            length: self.length,
            cells: self.cells,
        }
    }

    pub fn cell_index(&self, i: usize, j: usize) -> usize {
        self.first_cell + i + self.cells[0] * j
    }

    pub fn cells_range(&self) -> std::ops::Range<usize> {
        self.first_cell..self.first_cell + self.cell_count()
    }

    /// Centre of cell (i, j) in the body frame.
    pub fn cell_center_body(&self, i: usize, j: usize) -> [f64; 3] {
        let du = self.length[0] / self.cells[0] as f64;
        let dv = self.length[1] / self.cells[1] as f64;
        let x = (i as f64 + 0.5) * du;
        let y = (j as f64 + 0.5) * dv;
        std::array::from_fn(|k| self.origin[k] + x * self.u_dir[k] + y * self.v_dir[k])
    }

    pub fn area(&self) -> f64 {
        self.length[0] * self.length[1]
    }

    pub fn radiating_area(&self) -> f64 {
        let sides = [&self.front, &self.back]
            .iter()
            .filter(|s| s.coating.is_some())
            .count();
        sides as f64 * self.area()
    }

    /// Sum over both sides of the emissivity the cell sees times cell area (m^2).
    pub fn emissive_area_per_cell(&self) -> f64 {
        (self.front.emissivity_seen_by_cell() + self.back.emissivity_seen_by_cell())
            * self.cell_area
    }

    /// External heat reaching one cell, W (through a blanket, its share).
    pub fn absorbed_per_cell(&self) -> f64 {
        (self.front.absorbed_w_m2 * self.front.absorbed_share()
            + self.back.absorbed_w_m2 * self.back.absorbed_share())
            * self.cell_area
    }

    /// What the blankets of one cell's sides absorb and radiate straight back out, W.
    pub fn outer_layer_per_cell(&self) -> f64 {
        (self.front.outer_layer_w_m2() + self.back.outer_layer_w_m2()) * self.cell_area
    }
}

/// A conductance between two nodes (W/K).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coupling {
    pub a: usize,
    pub b: usize,
    pub conductance: f64,
}

/// One cell's contact with a heat pipe's vapour.
#[derive(Clone, Copy, Debug)]
pub struct PipeContact {
    pub cell: usize,
    pub conductance: f64,
    /// Distance along the pipe to the centroid of the contact area, m.
    pub position_m: f64,
}

#[derive(Clone, Debug)]
pub struct HeatPipeModel {
    pub name: String,
    /// The vapour node; None for a failed pipe, which joins nothing (SCENARIO-2 section 13).
    pub node: Option<usize>,
    pub length_m: f64,
    pub capacity: PipeCapacity,
    /// The working fluid: its range decides the pipe's status.
    pub fluid: Option<&'static HeatPipeFluid>,
    pub contacts: Vec<PipeContact>,
    /// `file:line: heat_pipes[i]`, for warnings about the pipe.
    pub location: String,
}

/// A heat pipe's transport capacity against its vapour temperature, W m.
#[derive(Clone, Debug)]
pub enum PipeCapacity {
    /// The same at every temperature (part 1; no fluid).
    Constant(f64),
    /// `capacity_w_m` at `reference_k`, scaled by the fluid's transport factor N(T) / N(ref).
    Scaled {
        capacity_w_m: f64,
        reference_k: f64,
        fluid: &'static HeatPipeFluid,
    },
    /// Given by the user against temperature (linear, end values held).
    Table { t_k: Vec<f64>, value: Vec<f64> },
}

impl HeatPipeModel {
    /// The capacity at vapour temperature `vapour_k`, W m.
    pub fn capacity_w_m(&self, vapour_k: f64) -> f64 {
        match &self.capacity {
            PipeCapacity::Constant(c) => *c,
            PipeCapacity::Scaled {
                capacity_w_m,
                reference_k,
                fluid,
            } => capacity_w_m * fluid.capacity_ratio(vapour_k, *reference_k),
            PipeCapacity::Table { t_k, value } => fluids::interpolate(t_k, value, vapour_k),
        }
    }

    pub fn failed(&self) -> bool {
        self.node.is_none()
    }
}

/// Panels that cannot lose heat because a failed pipe no longer joins them to a radiator: the
/// case fails without a solve (SCENARIO-2 "What changes in part 1", Groups).
#[derive(Clone, Debug)]
pub struct StrandedGroup {
    pub panels: Vec<String>,
    /// The failed pipes that joined them to the rest.
    pub pipes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct LinkModel {
    pub name: String,
    /// Couplings from a cell of end `a` to a cell of end `b`.
    pub couplings: Vec<Coupling>,
}

#[derive(Clone, Debug)]
pub struct FixedModel {
    pub name: String,
    /// The held temperature at the solved instant.
    pub temperature_k: f64,
    pub schedule: Option<Schedule>,
    pub cells: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct PayloadModel {
    pub name: String,
    pub model: String,
    pub count: usize,
    pub panel: usize,
    /// Power per chip at the solved instant, W.
    pub power_w: f64,
    /// Power per chip in sunlight (catalog or `power_w`), in eclipse, or on a schedule.
    pub nominal_power_w: f64,
    pub eclipse_power_w: Option<f64>,
    pub schedule: Option<Schedule>,
    pub junction_to_panel_k_w: f64,
    pub limit_c: f64,
    pub min_limit_c: Option<f64>,
    pub power_source: Option<String>,
    pub limit_source: Option<String>,
    /// Cells under the footprint with their overlap areas a_c (m^2).
    pub cells: Vec<(usize, f64)>,
}

impl PayloadModel {
    pub fn total_power_w(&self) -> f64 {
        self.power_w * self.count as f64
    }
}

#[derive(Clone, Debug)]
pub struct Model {
    pub panels: Vec<PanelMesh>,
    pub n_cells: usize,
    /// Cells plus heat-pipe vapour nodes.
    pub n_nodes: usize,
    /// Per cell: sum over its radiating sides of emissivity times area, m^2.
    pub emissive_area: Vec<f64>,
    /// Per cell: absorbed external power, W.
    pub absorbed_w: Vec<f64>,
    /// With `[radiation]`: per cell, [front, back], W the outer layer of a blanket on that side
    /// absorbs from external loads (traced, so it varies from cell to cell); empty without
    /// blankets. Without `[radiation]` the sides' uniform `absorbed_w_m2` say it instead.
    pub outer_absorbed_w: Vec<[f64; 2]>,
    /// Per cell: payload power dissipated, W.
    pub dissipated_w: Vec<f64>,
    /// Per node: heat capacity rho c t A, J/K (vapour nodes have none).
    pub capacitance_j_k: Vec<f64>,
    /// Per node: the held temperature, or None for a free node.
    pub fixed_k: Vec<Option<f64>>,
    /// Every irregular coupling: heat-pipe contacts (cell to vapour node) and links.
    pub couplings: Vec<Coupling>,
    pub heat_pipes: Vec<HeatPipeModel>,
    pub links: Vec<LinkModel>,
    pub fixed_regions: Vec<FixedModel>,
    pub payloads: Vec<PayloadModel>,
    pub sink_k: f64,
    pub in_eclipse: bool,
    /// Groups left without a way to lose heat by failed pipes; non-empty: not solved.
    pub stranded: Vec<StrandedGroup>,
    /// Things the user should know that do not stop the solve (e.g. mesh-dependent point joints).
    pub warnings: Vec<String>,
    /// With `[radiation]`: the traced exchange between sides, which replaces each cell's
    /// emission to the sink (attached after tracing; see `radiation`).
    pub exchange: Option<std::sync::Arc<dyn SurfaceExchange>>,
}

impl Model {
    pub fn is_fixed(&self, node: usize) -> bool {
        self.fixed_k[node].is_some()
    }

    /// Takes the traced external loads of an instant (see [`ExternalAbsorbed`]).
    pub fn set_external(&mut self, absorbed: ExternalAbsorbed) {
        self.absorbed_w = absorbed.cells;
        self.outer_absorbed_w = absorbed.outer_layers;
    }
}

#[cfg(test)]
mod tests;
