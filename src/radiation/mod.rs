//! Radiation between surfaces (SCENARIO.md section 5, issue 4): Monte Carlo view factors traced
//! on the CPU or the GPU, shadows, and grey diffuse exchange in the solar and infrared bands.
//!
//! # API (what the solver calls)
//! ```text
//! let settings = RadiationSettings { rays_per_side: 4096, seed: 1 };
//! let loads = ExternalLoads::from_environment(&scenario.environment);
//! let exchange = Exchange::trace(&model, &settings, loads.earth, &Tracer::Cpu)?;   // once
//! let absorbed = exchange.external_absorbed(&model, &loads)?;     // W per cell; per orbit point
//! exchange.net_infrared(&model, &t, &mut q_ir)?;                  // W per cell, per residual
//! exchange.emission_derivative(&model, &t, &mut d);               // W/K per cell, Jacobian
//! let report = exchange.view_factor_report(&model);               // `viewfactors` JSON
//! ```
//! - `external_absorbed` replaces `Model::absorbed_w` (sunlight, albedo and Earth IR after
//!   shadows and reflections, both sides summed). It traces shadow rays for `loads.sun` and
//!   `loads.earth` at every call (about 64 any-hit rays per cell side, parallel), so it may be
//!   called once per orbit position.
//! - `net_infrared(t)` is the heat INTO each cell from infrared exchange at temperatures `t`
//!   (length `n_cells` or more; vapour nodes ignored): IR absorbed from other surfaces, plus the
//!   sink's `sigma sink_k^4` over each side's view of space (and its reflections), minus the
//!   emission `eps sigma A T^4`. It replaces the no-radiation term
//!   `-eps sigma A (T^4 - sink_k^4)`. Earth IR is an external load (in `external_absorbed`).
//!   The report's `emitted_w` of a panel is minus the sum of `net_infrared` over its cells.
//! - `emission_derivative(t)` is `4 eps sigma A T^3` per cell (both sides): the derivative of
//!   the emission alone, without the fraction that returns through other surfaces, which would
//!   only make the diagonal smaller. With it the Newton iteration converges linearly at the
//!   rate of the returned fraction.
//! - MLI blankets (SCENARIO-2 section 15): the outer layer's balance is linear in its sigma
//!   T_o^4 at a given irradiance, so it is eliminated inside the radiosity exactly: the side
//!   takes part as a grey side of emissivity e* eps / (e* + eps) at the cell's temperature, and
//!   the part of the solar load its outer layer absorbs but does not pass to the cell is emitted
//!   in the infrared band of `external_absorbed` (derivation at `external_absorbed_split`).
//!   `blanket_net_infrared` is the part of `net_infrared` through blanketed sides (reports' MLI
//!   leak). Residual and derivative thus use the irradiance of the current temperatures.
//! - The Earth direction given to `trace` only decides which escaping rays count as Earth
//!   rather than space (reported `earth` fraction; the sink's return uses the space fraction).
//!   The external loads take the Earth direction of each call, so a rotating nadir needs no
//!   new trace.
//!
//! # Model
//! - Rays: rng.rs documents the generator (counter-based lowbias32 hash keyed by seed, panel,
//!   side, cell, ray; 24-bit uniforms exact in f32; m x m stratification, m = floor(sqrt(R));
//!   cosine-weighted directions). scene.rs and shaders/trace.wgsl trace them: first hit over all
//!   panels other than the emitting one, brute force (scenes have tens of panels); the hit cell
//!   from the hit point's panel coordinates; the side hit is front when dir . normal < 0;
//!   escaping rays inside the Earth's disc (nadir, half-angle asin(R_E / (R_E + h))) go to the
//!   Earth, the others to space. Every side is traced, "none" sides included.
//! - Storage without O(N^2): each panel side is cut into at most 16 x 16 patches (fewer where it
//!   has fewer cells). Per cell side we keep the rays to space and to the Earth (8 bytes); per
//!   (source patch, target patch) the rays between them (sparse). The energy a cell side sends
//!   to surfaces, `A_c f_c J_c` with `f_c` its own traced fraction, is split over target patches
//!   in the proportions of its patch's row, and arrives uniformly over each target patch. So the
//!   emission and the escape to space are resolved per cell, only the place where exchanged
//!   energy lands is averaged over a patch (1/256 of a side), and energy is conserved exactly.
//!   Memory: two sides of 10^6 cells x 2 panels hold 4x10^6 cell sides (32 MB of counts) and at
//!   most 1024^2 patch pairs; 16 x 16 keeps the pairs of a scene of tens of panels (~10^4
//!   patches) sparse and small, while resolving the gradients a radiator sees (a patch of a
//!   1 m panel is ~6 cm).
//! - Reciprocity and closure: exchange.rs `enforce`: symmetrise A_p F_pq (exact reciprocity
//!   between patches), then scale each cell's fraction to surfaces so that its patch sends
//!   exactly its symmetric row sum, the space fraction taking the remainder (exact closure per
//!   cell). The report's residuals are before enforcement, per panel side.
//! - Radiosity (grey, diffuse), on patches: with H_q the irradiance from other surfaces,
//!   IR: `J_c = eps sigma T_c^4 + (1 - eps)(H_q + G_c)`, G_c the external IR on the side;
//!   solar: `B_c = (1 - alpha)(E_c + H_q)`. Because eps and alpha are uniform over a panel side,
//!   `O_p = sum_{c in p} A_c f_c J_c` and `H_q = sum_p w_pq O_p / A_q` close on patches;
//!   Gauss-Seidel to 1e-13 relative, an error after 20 000 sweeps (a closed enclosure of
//!   reflecting sides). "none" sides: alpha = eps = 0, they reflect everything.
//!
//! # Measured (2-core shared VM, release build; timings move up to 2x with the load)
//! - CPU tracer: 1.1-2.2x10^7 rays/s (two facing 100 x 100-cell panels, 256 rays per side;
//!   `cargo test --release --test radiation throughput -- --ignored --nocapture`).
//! - GPU tracer on lavapipe (llvmpipe, Vulkan): 2.4-4.4x10^6 rays/s on the same case, readback
//!   and host reduction included; the CPU and GPU tallies had identical escape counts on every
//!   cell side of the test cases.
//! - Two facing 1 m panels of 10^6 cells each at 64 rays per side (2.6x10^8 rays): trace 21-30 s,
//!   peak resident memory 165-177 MiB (`/usr/bin/time -v`, test `megacell_panels_at_64_rays`),
//!   one `net_infrared` 0.2 s.

pub mod exchange;
pub mod gpu;
pub mod report;
pub mod rng;
pub mod scene;
pub mod shadow;
pub mod trace;

#[cfg(test)]
mod tests;

use rayon::prelude::*;

pub use crate::model::loads::{EarthView, ExternalLoads};
pub use report::{PairFactor, SideFactor, ViewFactorReport};

use crate::error::{Error, Result};
use crate::model::earth::{earth_angular_radius, earth_view_factor_dirs};
use crate::model::{ExternalAbsorbed, Model, SIGMA, Side, SurfaceExchange};
use crate::vec3::{dot, unit};
use exchange::PatchExchange;
use scene::Scene;
use trace::{EarthCone, Tally, TraceParams};

/// `[radiation]` of SCENARIO.md section 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RadiationSettings {
    pub rays_per_side: u32,
    pub seed: u32,
}

impl Default for RadiationSettings {
    fn default() -> Self {
        RadiationSettings {
            rays_per_side: 4096,
            seed: 1,
        }
    }
}

/// Which backend traces the hemisphere rays.
pub enum Tracer<'a> {
    Cpu,
    /// shaders/trace.wgsl on an open device (f32).
    Gpu(&'a crate::gpu::GpuContext),
}

/// The cone of the Earth's disc as the tracer tests escaping rays against it.
fn earth_cone(earth: &EarthView) -> EarthCone {
    EarthCone {
        nadir: unit(earth.nadir),
        cos_rho: earth_angular_radius(earth.altitude_km).cos(),
    }
}

/// Traced view factors of a model: per-cell-side escape fractions and the patch exchange.
#[derive(Clone, Debug)]
pub struct Exchange {
    scene: Scene,
    settings: RadiationSettings,
    n_cells: usize,
    tally: Tally,
    patches: PatchExchange,
}

impl Exchange {
    /// Traces `rays_per_side` rays from every side of every cell of `model`.
    pub fn trace(
        model: &Model,
        settings: &RadiationSettings,
        earth: Option<EarthView>,
        tracer: &Tracer<'_>,
    ) -> Result<Exchange> {
        if settings.rays_per_side == 0 {
            return Err(Error::Input(
                "radiation.rays_per_side must be at least 1".to_string(),
            ));
        }
        let scene = Scene::new(model);
        let params = TraceParams {
            rays: settings.rays_per_side,
            seed: settings.seed,
            earth: earth.map(|e| earth_cone(&e)),
        };
        let tally = match tracer {
            Tracer::Cpu => trace::trace_cpu(&scene, &params, model.n_cells),
            Tracer::Gpu(context) => gpu::trace_gpu(context, &scene, &params, model.n_cells)?,
        };
        let patches = exchange::enforce(&scene, &tally, settings.rays_per_side);
        Ok(Exchange {
            scene,
            settings: *settings,
            n_cells: model.n_cells,
            tally,
            patches,
        })
    }

    pub fn settings(&self) -> &RadiationSettings {
        &self.settings
    }

    /// The raw ray counts (identical for the same seed, backend and adapter).
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    pub fn rays_traced(&self) -> u64 {
        2 * self.n_cells as u64 * u64::from(self.settings.rays_per_side)
    }

    /// What the enforcement of reciprocity and closure changed: the largest relative change of
    /// a patch's fraction to surfaces, and the number of cell sides clamped (exchange.rs).
    pub fn enforcement(&self) -> (f64, usize) {
        (self.patches.largest_change, self.patches.clamped)
    }

    pub fn view_factor_report(&self, model: &Model) -> ViewFactorReport {
        report::build(model, &self.scene, &self.tally, self.settings.rays_per_side)
    }

    /// Per cell side (index 2 cell + side): view factor to space after enforcement.
    pub fn space_fraction(&self, cell_side: usize) -> f64 {
        1.0 - self.surface_fraction(cell_side) - self.earth_fraction(cell_side)
    }

    /// Per cell side: view factor to the Earth's disc (as traced).
    pub fn earth_fraction(&self, cell_side: usize) -> f64 {
        f64::from(self.tally.earth[cell_side]) / f64::from(self.settings.rays_per_side)
    }

    /// Per cell side: view factor to other surfaces after enforcement.
    pub fn surface_fraction(&self, cell_side: usize) -> f64 {
        self.patches.cell_surface[cell_side]
    }

    /// Lit fraction of every cell side (index 2 cell + side) for a Sun direction (unit).
    pub fn sun_lit_fraction(&self, sun: [f64; 3]) -> Vec<f64> {
        let s = &self.settings;
        shadow::sun_lit_fraction(
            &self.scene,
            s.seed,
            s.rays_per_side,
            self.n_cells,
            unit(sun),
        )
    }

    /// Per cell side: its exact Earth view factor times the fraction of that view that other
    /// surfaces leave open.
    pub fn earth_view(&self, earth: &EarthView) -> Vec<f64> {
        let s = &self.settings;
        let cone = earth_cone(earth);
        let open = shadow::earth_unblocked_fraction(
            &self.scene,
            s.seed,
            s.rays_per_side,
            self.n_cells,
            cone.nadir,
            cone.cos_rho,
        );
        let mut out = open;
        for sp in &self.scene.panels {
            let f = [0, 1].map(|side| {
                earth_view_factor_dirs(sp.side_normal(side), cone.nadir, earth.altitude_km)
            });
            let range = 2 * sp.first_cell..2 * (sp.first_cell + sp.cell_count());
            for (k, value) in out[range].iter_mut().enumerate() {
                *value *= f[k % 2];
            }
        }
        out
    }

    fn check(&self, model: &Model) -> Result<()> {
        if model.n_cells != self.n_cells || model.panels.len() != self.scene.panels.len() {
            return Err(Error::Solver(format!(
                "radiation: the exchange was traced for {} cells on {} panels, the model has {} \
                 on {}",
                self.n_cells,
                self.scene.panels.len(),
                model.n_cells,
                model.panels.len()
            )));
        }
        Ok(())
    }

    fn side<'m>(&self, model: &'m Model, patch: usize) -> &'m Side {
        let info = &self.scene.patches[patch];
        let panel = &model.panels[info.panel as usize];
        if info.side == 0 {
            &panel.front
        } else {
            &panel.back
        }
    }

    /// Per-patch optical property of a band.
    fn per_patch_property(&self, model: &Model, f: impl Fn(&Side) -> f64) -> Vec<f64> {
        (0..self.scene.patch_count())
            .map(|p| f(self.side(model, p)))
            .collect()
    }

    /// Writes `f(panel, side, cell side index, patch)` summed over both sides into `out`, per
    /// cell, in parallel.
    fn per_cell(&self, out: &mut [f64], f: impl Fn(usize, usize, usize, usize) -> f64 + Sync) {
        for (index, sp) in self.scene.panels.iter().enumerate() {
            let nu = sp.cells[0] as usize;
            out[sp.first_cell..sp.first_cell + sp.cell_count()]
                .par_iter_mut()
                .enumerate()
                .for_each(|(local, value)| {
                    let (i, j) = ((local % nu) as u32, (local / nu) as u32);
                    let cell = sp.first_cell + local;
                    *value = (0..2)
                        .map(|side| {
                            f(
                                index,
                                side,
                                2 * cell + side,
                                sp.patch_of(side, i, j) as usize,
                            )
                        })
                        .sum();
                });
        }
    }

    fn side_of(model: &Model, panel: usize, side: usize) -> &Side {
        if side == 0 {
            &model.panels[panel].front
        } else {
            &model.panels[panel].back
        }
    }

    /// Absorbed power per cell (W, both sides) from sunlight, albedo and Earth IR, after
    /// shadows and inter-reflections in both bands (through a blanket, the share that reaches
    /// the cell).
    pub fn external_absorbed(&self, model: &Model, loads: &ExternalLoads) -> Result<Vec<f64>> {
        Ok(self.external_absorbed_split(model, loads)?.cells)
    }

    /// As [`Exchange::external_absorbed`], with what each blanket's outer layer absorbs.
    ///
    /// A blanket's outer layer (no heat capacity) balances alpha E + eps (H + G) + e* (b - b_o)
    /// = eps b_o, with E the solar irradiance, H + G the infrared one, b = sigma T^4 of the cell
    /// and b_o of the layer. Put into its radiosity eps b_o + (1 - eps)(H + G), the side acts in
    /// the infrared as a grey side of emissivity e* eps / (e* + eps) at the cell's temperature
    /// (`Side::emissivity_seen_by_cell`) that also emits eps / (e* + eps) alpha E, and the cell
    /// receives e* / (e* + eps) of what the layer absorbs. That is exact at every irradiance,
    /// so the outer layer needs no unknown of its own.
    pub fn external_absorbed_split(
        &self,
        model: &Model,
        loads: &ExternalLoads,
    ) -> Result<ExternalAbsorbed> {
        self.check(model)?;
        let n2 = 2 * self.n_cells;
        let lit = match loads.sun {
            Some(sun) => self.sun_lit_fraction(sun),
            None => vec![0.0; n2],
        };
        let earth_view = match &loads.earth {
            Some(e) => self.earth_view(e),
            None => vec![0.0; n2],
        };
        let sun = loads.sun.map(unit);
        let zenith = match (sun, &loads.earth) {
            (Some(s), Some(e)) => (-dot(s, unit(e.nadir))).max(0.0),
            _ => 0.0,
        };
        let s_flux = loads.solar_flux_w_m2;
        // Incident flux per cell side (W/m^2): solar band and infrared band.
        let normals: Vec<[[f64; 3]; 2]> = self
            .scene
            .panels
            .iter()
            .map(|p| [p.side_normal(0), p.side_normal(1)])
            .collect();
        let solar = |cell_side: usize, panel: usize| -> f64 {
            let direct = sun.map_or(0.0, |s| {
                s_flux * dot(normals[panel][cell_side % 2], s).max(0.0) * lit[cell_side]
            });
            direct + s_flux * loads.albedo * zenith * earth_view[cell_side]
        };
        let infrared = |cell_side: usize| loads.earth_ir_w_m2 * earth_view[cell_side];

        let reflect_sol = self.per_patch_property(model, |s| 1.0 - s.absorptivity);
        let reflect_ir = self.per_patch_property(model, |s| 1.0 - s.emissivity_seen_by_cell());
        let cell_area = |p: usize| self.scene.panels[p].cell_area;
        let src_sol = self.patches.per_patch(&self.scene, |cs| {
            let panel = self.panel_of(cs);
            let side = Self::side_of(model, panel, cs % 2);
            cell_area(panel)
                * self.surface_fraction(cs)
                * (1.0 - side.absorptivity)
                * solar(cs, panel)
        });
        let h_sol = self.patches.solve_band(&reflect_sol, &src_sol)?;
        // Solar irradiance (W/m^2) per cell side: what a blanket's outer layer re-emits in the
        // infrared comes from it.
        let irradiance_sol = self.per_cell_side(|panel, _, cs, q| solar(cs, panel) + h_sol[q]);
        let src_ir = self.patches.per_patch(&self.scene, |cs| {
            let panel = self.panel_of(cs);
            let side = Self::side_of(model, panel, cs % 2);
            let re_emitted = (1.0 - side.absorbed_share()) * side.absorptivity * irradiance_sol[cs];
            cell_area(panel)
                * self.surface_fraction(cs)
                * ((1.0 - side.emissivity_seen_by_cell()) * infrared(cs) + re_emitted)
        });
        let h_ir = self.patches.solve_band(&reflect_ir, &src_ir)?;
        // What each side's coating absorbs, W: the outer layer's on a blanketed side.
        let outer = self.per_cell_side(|panel, side, cs, q| {
            let s = Self::side_of(model, panel, side);
            cell_area(panel)
                * (s.absorptivity * irradiance_sol[cs] + s.emissivity * (infrared(cs) + h_ir[q]))
        });
        let mut cells = vec![0.0; self.n_cells];
        self.per_cell(&mut cells, |panel, side, cs, _| {
            Self::side_of(model, panel, side).absorbed_share() * outer[cs]
        });
        let blanketed = |panel: usize, side: usize| {
            Self::side_of(model, panel, side)
                .effective_emittance
                .is_some()
        };
        let any_blanket = (0..self.scene.panels.len()).any(|p| blanketed(p, 0) || blanketed(p, 1));
        let outer_layers = if any_blanket {
            let mut sides = vec![[0.0; 2]; self.n_cells];
            for (panel, sp) in self.scene.panels.iter().enumerate() {
                for cell in sp.first_cell..sp.first_cell + sp.cell_count() {
                    for side in 0..2 {
                        if blanketed(panel, side) {
                            sides[cell][side] = outer[2 * cell + side];
                        }
                    }
                }
            }
            sides
        } else {
            Vec::new()
        };
        Ok(ExternalAbsorbed {
            cells,
            outer_layers,
        })
    }

    /// The panel of a cell side (index 2 cell + side).
    fn panel_of(&self, cell_side: usize) -> usize {
        let cell = cell_side / 2;
        self.scene
            .panels
            .partition_point(|p| p.first_cell + p.cell_count() <= cell)
    }

    /// `f(panel, side, cell side index, patch)` for every cell side, indexed 2 cell + side.
    fn per_cell_side(&self, f: impl Fn(usize, usize, usize, usize) -> f64 + Sync) -> Vec<f64> {
        let mut out = vec![0.0; 2 * self.n_cells];
        for (index, sp) in self.scene.panels.iter().enumerate() {
            let nu = sp.cells[0] as usize;
            out[2 * sp.first_cell..2 * (sp.first_cell + sp.cell_count())]
                .par_iter_mut()
                .enumerate()
                .for_each(|(k, value)| {
                    let (local, side) = (k / 2, k % 2);
                    let (i, j) = ((local % nu) as u32, (local / nu) as u32);
                    let cs = 2 * (sp.first_cell + local) + side;
                    *value = f(index, side, cs, sp.patch_of(side, i, j) as usize);
                });
        }
        out
    }

    /// Infrared irradiance from other surfaces per patch (W/m^2) at temperatures `t`: the
    /// exchange of emission and the sink's return. A blanketed side takes part as a grey side
    /// of the emissivity its cell sees (see [`Exchange::external_absorbed_split`]; what its
    /// outer layer re-emits of external loads is in that band).
    fn infrared_irradiance(&self, model: &Model, t: &[f64]) -> Result<Vec<f64>> {
        self.check(model)?;
        if t.len() < self.n_cells {
            return Err(Error::Solver(format!(
                "radiation: {} temperatures for {} cells",
                t.len(),
                self.n_cells
            )));
        }
        let sink = SIGMA * model.sink_k.powi(4);
        let reflect = self.per_patch_property(model, |s| 1.0 - s.emissivity_seen_by_cell());
        let source = self.patches.per_patch(&self.scene, |cs| {
            let panel = self.panel_of(cs);
            let eps = Self::side_of(model, panel, cs % 2).emissivity_seen_by_cell();
            let tc = t[cs / 2];
            self.scene.panels[panel].cell_area
                * self.surface_fraction(cs)
                * (eps * (SIGMA * (tc * tc) * (tc * tc))
                    + (1.0 - eps) * sink * self.space_fraction(cs))
        });
        self.patches.solve_band(&reflect, &source)
    }

    /// Net infrared heat INTO each cell (W) at temperatures `t` over the sides `sides` admits:
    /// absorbed from other surfaces and from the sink over the space view, minus emission.
    fn net_infrared_over(
        &self,
        model: &Model,
        t: &[f64],
        out: &mut [f64],
        sides: impl Fn(&Side) -> bool + Sync,
    ) -> Result<()> {
        if out.len() < self.n_cells {
            return Err(Error::Solver(format!(
                "radiation: {} outputs for {} cells",
                out.len(),
                self.n_cells
            )));
        }
        let h = self.infrared_irradiance(model, t)?;
        let sink = SIGMA * model.sink_k.powi(4);
        self.per_cell(&mut out[..self.n_cells], |panel, side, cs, q| {
            let s = Self::side_of(model, panel, side);
            if !sides(s) {
                return 0.0;
            }
            let tc = t[cs / 2];
            s.emissivity_seen_by_cell()
                * self.scene.panels[panel].cell_area
                * (h[q] + sink * self.space_fraction(cs) - SIGMA * (tc * tc) * (tc * tc))
        });
        Ok(())
    }

    /// Net infrared heat INTO each cell (W, both sides) at temperatures `t`: absorbed from other
    /// surfaces and from the sink over the space view, minus emission. Writes `out[..n_cells]`.
    pub fn net_infrared(&self, model: &Model, t: &[f64], out: &mut [f64]) -> Result<()> {
        self.net_infrared_over(model, t, out, |_| true)
    }

    /// The part of [`Exchange::net_infrared`] through blanketed sides.
    pub fn blanket_net_infrared(&self, model: &Model, t: &[f64], out: &mut [f64]) -> Result<()> {
        self.net_infrared_over(model, t, out, |s| s.effective_emittance.is_some())
    }

    /// d(emission)/dT per cell: `4 eps sigma A T^3` summed over both sides, eps the emissivity
    /// the cell sees (the returned fraction is left out; see the module documentation).
    /// Writes `out[..n_cells]`.
    pub fn emission_derivative(&self, model: &Model, t: &[f64], out: &mut [f64]) {
        for (c, value) in out.iter_mut().enumerate().take(self.n_cells.min(t.len())) {
            let tc = t[c];
            *value = 4.0 * SIGMA * model.emissive_area[c] * tc * tc * tc;
        }
    }
}

impl SurfaceExchange for Exchange {
    fn external_absorbed(&self, model: &Model, loads: &ExternalLoads) -> Result<ExternalAbsorbed> {
        self.external_absorbed_split(model, loads)
    }

    fn net_infrared(&self, model: &Model, t: &[f64], out: &mut [f64]) -> Result<()> {
        Exchange::net_infrared(self, model, t, out)
    }

    fn blanket_net_infrared(&self, model: &Model, t: &[f64], out: &mut [f64]) -> Result<()> {
        Exchange::blanket_net_infrared(self, model, t, out)
    }
}
