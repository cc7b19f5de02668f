//! The hemisphere trace on the GPU (shaders/trace.wgsl, f32): one thread per ray writes its
//! target code (a patch id, SPACE or EARTH); the host reduces the codes into the same `Tally`
//! as the CPU tracer (integer counts, so the order of reduction does not matter and the result
//! is bit-identical run after run on one adapter).
//!
//! Batches: the rays of consecutive cells of one panel side, at most 2^24 rays (64 MiB of
//! codes) and never more than one storage binding; the dispatch is folded into 2-D
//! (`GpuContext::groups_per_item`), so no dimension exceeds the adapter's limit.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bytemuck::{Pod, Zeroable};
use rayon::prelude::*;

use super::rng;
use super::scene::{EARTH, SPACE, Scene};
use super::trace::{Tally, TraceParams};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Kernel};

/// Largest number of rays in one dispatch.
pub const MAX_BATCH_RAYS: u64 = 1 << 24;

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct GpuParams {
    nadir: [f32; 4],
    n_panels: u32,
    panel: u32,
    side: u32,
    side_key: u32,
    first_cell: u32,
    cells: u32,
    rays: u32,
    m: u32,
    has_earth: u32,
    t_min: f32,
    pad0: u32,
    pad1: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct GpuPanel {
    origin: [f32; 4],
    u: [f32; 4],
    v: [f32; 4],
    n: [f32; 4],
    dims: [u32; 4],
    base: [u32; 4],
}

fn f4(v: [f64; 3], w: f64) -> [f32; 4] {
    [v[0] as f32, v[1] as f32, v[2] as f32, w as f32]
}

/// A multiplicative hasher for u64 keys (the keys are already well spread).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (x ^ (x >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type PairMap = HashMap<u64, u64, BuildHasherDefault<KeyHasher>>;

/// Traces every ray of every cell side on the device of `context`.
pub fn trace_gpu(
    context: &GpuContext,
    scene: &Scene,
    params: &TraceParams,
    n_cells: usize,
) -> Result<Tally> {
    let rays = params.rays;
    let max_rays = MAX_BATCH_RAYS.min(context.binding_limit() / 4);
    if u64::from(rays) > max_rays {
        return Err(Error::Solver(format!(
            "radiation: {rays} rays per side exceed the {max_rays} one GPU dispatch traces"
        )));
    }
    let panels: Vec<GpuPanel> = scene
        .panels
        .iter()
        .map(|p| GpuPanel {
            origin: f4(p.origin, 0.0),
            u: f4(p.u, p.length[0]),
            v: f4(p.v, p.length[1]),
            n: f4(p.n, 0.0),
            dims: [p.cells[0], p.cells[1], p.patches[0], p.patches[1]],
            base: [p.patch_base[0], p.patch_base[1], 0, 0],
        })
        .collect();
    let panel_buffer = context.upload("trace panels", &panels)?;
    let cells_per_batch = (max_rays / u64::from(rays)).max(1);
    let out = context.zeroed("trace targets", cells_per_batch * u64::from(rays) * 4)?;
    let (nadir, has_earth) = match params.earth {
        Some(e) => (f4(e.nadir, e.cos_rho), 1),
        None => ([0.0; 4], 0),
    };

    let mut space = vec![0u32; 2 * n_cells];
    let mut earth = vec![0u32; 2 * n_cells];
    let mut pairs = PairMap::default();
    for (index, sp) in scene.panels.iter().enumerate() {
        for side in 0..2usize {
            let side_key = rng::side_key(params.seed, index as u32, side as u32);
            let total = sp.cell_count() as u64;
            let mut first = 0u64;
            while first < total {
                let count = cells_per_batch.min(total - first);
                let gpu_params = GpuParams {
                    nadir,
                    n_panels: panels.len() as u32,
                    panel: index as u32,
                    side: side as u32,
                    side_key,
                    first_cell: first as u32,
                    cells: count as u32,
                    rays,
                    m: params.strata(),
                    has_earth,
                    t_min: scene.t_min as f32,
                    pad0: 0,
                    pad1: 0,
                };
                let uniform = context.uniform("trace params", &gpu_params)?;
                let n_rays = count * u64::from(rays);
                let groups = context.groups_per_item(n_rays)?;
                let dispatch = context.dispatch(
                    Kernel::TraceRays,
                    &[(0, &uniform), (1, &panel_buffer), (2, &out)],
                    groups,
                )?;
                context.run(&[&dispatch])?;
                let codes: Vec<u32> = context.read(&out, 0, n_rays as usize)?;
                let batch = reduce_batch(
                    scene,
                    index,
                    side,
                    first as u32,
                    rays,
                    &codes,
                    &mut space,
                    &mut earth,
                );
                for (key, n) in batch {
                    *pairs.entry(key).or_default() += n;
                }
                first += count;
            }
        }
    }
    let mut pairs: Vec<(u32, u32, u64)> = pairs
        .into_iter()
        .map(|(key, n)| ((key >> 32) as u32, key as u32, n))
        .collect();
    pairs.sort_unstable();
    Ok(Tally {
        space,
        earth,
        pairs,
    })
}

/// Reduces the codes of one batch (cells `first ..` of `side` of `panel`, `rays` codes each):
/// the escape counts go into `space`/`earth`, the pair counts are returned.
#[allow(clippy::too_many_arguments)]
fn reduce_batch(
    scene: &Scene,
    panel: usize,
    side: usize,
    first: u32,
    rays: u32,
    codes: &[u32],
    space: &mut [u32],
    earth: &mut [u32],
) -> PairMap {
    let sp = &scene.panels[panel];
    let per_cell: Vec<(u32, u32, PairMap)> = codes
        .par_chunks(rays as usize)
        .enumerate()
        .map(|(c, chunk)| {
            let local = first + c as u32;
            let source = u64::from(sp.patch_of(side, local % sp.cells[0], local / sp.cells[0]));
            let (mut s, mut e) = (0u32, 0u32);
            let mut map = PairMap::default();
            for &code in chunk {
                match code {
                    SPACE => s += 1,
                    EARTH => e += 1,
                    q => *map.entry((source << 32) | u64::from(q)).or_default() += 1,
                }
            }
            (s, e, map)
        })
        .collect();
    let mut merged = PairMap::default();
    for (c, (s, e, map)) in per_cell.into_iter().enumerate() {
        let cs = 2 * (sp.first_cell + first as usize + c) + side;
        space[cs] = s;
        earth[cs] = e;
        for (key, n) in map {
            *merged.entry(key).or_default() += n;
        }
    }
    merged
}
