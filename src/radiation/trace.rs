//! The hemisphere trace on the CPU (the twin of shaders/trace.wgsl) and the tally both backends
//! reduce their rays into: per cell side the rays that escaped to space and to the Earth, and per
//! (source patch, target patch) the rays that went from one to the other.

use rayon::prelude::*;

use super::rng;
use super::scene::{EARTH, SPACE, Scene};
use crate::vec3::dot;

/// The Earth as an escape target: unit nadir and the cosine of the disc's angular radius.
#[derive(Clone, Copy, Debug)]
pub struct EarthCone {
    pub nadir: [f64; 3],
    pub cos_rho: f64,
}

/// What every traced ray ended on, reduced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Per cell side (index 2 cell + side): rays to space and to the Earth.
    pub space: Vec<u32>,
    pub earth: Vec<u32>,
    /// (source patch, target patch, rays), sorted, each pair once.
    pub pairs: Vec<(u32, u32, u64)>,
}

/// Parameters of one trace.
#[derive(Clone, Copy, Debug)]
pub struct TraceParams {
    pub rays: u32,
    pub seed: u32,
    pub earth: Option<EarthCone>,
}

impl TraceParams {
    pub fn strata(&self) -> u32 {
        rng::isqrt(self.rays)
    }
}

/// The target code of hemisphere ray `k` of cell `[i, j]` of `side` of `panel`: a patch id,
/// `SPACE` or `EARTH`.
#[inline]
pub fn trace_one(
    scene: &Scene,
    params: &TraceParams,
    panel: usize,
    side: usize,
    [i, j]: [u32; 2],
    cell_key: u32,
    k: u32,
) -> u32 {
    let (x, p) = rng::hemisphere_sample(cell_key, k, params.strata());
    let ray = scene.ray(panel, side, i, j, x, p);
    match scene.first_hit(&ray, panel) {
        Some(hit) => scene.target(&hit),
        None => match params.earth {
            Some(e) if dot(ray.dir, e.nadir) > e.cos_rho => EARTH,
            _ => SPACE,
        },
    }
}

/// A sparse accumulator over target patches: a dense array touched sparsely, reset by its list.
pub struct Accumulator {
    counts: Vec<u64>,
    touched: Vec<u32>,
}

impl Accumulator {
    pub fn new(n: usize) -> Accumulator {
        Accumulator {
            counts: vec![0; n],
            touched: Vec::new(),
        }
    }

    #[inline]
    pub fn add(&mut self, target: u32, n: u64) {
        let c = &mut self.counts[target as usize];
        if *c == 0 {
            self.touched.push(target);
        }
        *c += n;
    }

    /// The (target, count) pairs, sorted, and a reset accumulator.
    pub fn drain(&mut self) -> Vec<(u32, u64)> {
        self.touched.sort_unstable();
        let out = self
            .touched
            .iter()
            .map(|&t| (t, std::mem::take(&mut self.counts[t as usize])))
            .collect();
        self.touched.clear();
        out
    }
}

/// Per source patch: its cells' escape counts and its row of target counts.
pub struct PatchRow {
    pub cells: Vec<(u32, u32, u32)>,
    pub targets: Vec<(u32, u64)>,
}

/// Reduces per-patch rows (in patch order) into a tally over `n_cells` cells.
pub fn assemble(n_cells: usize, rows: Vec<PatchRow>) -> Tally {
    let mut space = vec![0u32; 2 * n_cells];
    let mut earth = vec![0u32; 2 * n_cells];
    let mut pairs = Vec::new();
    for (p, row) in rows.into_iter().enumerate() {
        for (cs, s, e) in row.cells {
            space[cs as usize] = s;
            earth[cs as usize] = e;
        }
        pairs.extend(row.targets.into_iter().map(|(q, n)| (p as u32, q, n)));
    }
    Tally {
        space,
        earth,
        pairs,
    }
}

/// Traces every ray of every cell side on the CPU, in parallel over source patches.
pub fn trace_cpu(scene: &Scene, params: &TraceParams, n_cells: usize) -> Tally {
    let n_patches = scene.patch_count();
    let rows: Vec<PatchRow> = (0..n_patches)
        .into_par_iter()
        .map_init(
            || Accumulator::new(n_patches),
            |acc, p| {
                let info = scene.patches[p];
                let (panel, side) = (info.panel as usize, info.side as usize);
                let sp = &scene.panels[panel];
                let side_key = rng::side_key(params.seed, info.panel, info.side);
                let mut cells =
                    Vec::with_capacity(((info.i1 - info.i0) * (info.j1 - info.j0)) as usize);
                for j in info.j0..info.j1 {
                    for i in info.i0..info.i1 {
                        let local = i + sp.cells[0] * j;
                        let key = rng::cell_key(side_key, local);
                        let (mut to_space, mut to_earth) = (0u32, 0u32);
                        for k in 0..params.rays {
                            match trace_one(scene, params, panel, side, [i, j], key, k) {
                                SPACE => to_space += 1,
                                EARTH => to_earth += 1,
                                q => acc.add(q, 1),
                            }
                        }
                        let cs = 2 * (sp.first_cell + local as usize) + side;
                        cells.push((cs as u32, to_space, to_earth));
                    }
                }
                PatchRow {
                    cells,
                    targets: acc.drain(),
                }
            },
        )
        .collect();
    assemble(n_cells, rows)
}
