//! Shadows for the external loads: the lit fraction of each cell side for a Sun direction, and
//! the fraction of each cell side's Earth view that other surfaces do not block. Both are cheap
//! enough to call once per orbit position: `s^2` samples per cell side (`s = min(m, 8)`, see
//! rng.rs), traced in parallel, each sample an any-hit test.

use rayon::prelude::*;

use super::rng;
use super::scene::{Ray, Scene};
use crate::vec3::dot;

/// Runs `f(panel, side, i, j, cell_key)` for every cell side; the result per cell side at index
/// `2 cell + side`.
fn per_cell_side(
    scene: &Scene,
    seed: u32,
    n_cells: usize,
    f: impl Fn(usize, usize, u32, u32, u32) -> f64 + Sync,
) -> Vec<f64> {
    let mut out = vec![0.0; 2 * n_cells];
    for (index, sp) in scene.panels.iter().enumerate() {
        let keys = [
            rng::side_key(seed, index as u32, 0),
            rng::side_key(seed, index as u32, 1),
        ];
        let range = 2 * sp.first_cell..2 * (sp.first_cell + sp.cell_count());
        out[range]
            .par_chunks_mut(2)
            .enumerate()
            .for_each(|(local, pair)| {
                let (i, j) = (
                    (local % sp.cells[0] as usize) as u32,
                    (local / sp.cells[0] as usize) as u32,
                );
                for (side, value) in pair.iter_mut().enumerate() {
                    *value = f(index, side, i, j, rng::cell_key(keys[side], local as u32));
                }
            });
    }
    out
}

/// Per cell side (index 2 cell + side): the fraction of the side lit by a Sun in direction
/// `sun` (unit, towards the Sun). 0 for a side facing away from the Sun.
pub fn sun_lit_fraction(
    scene: &Scene,
    seed: u32,
    rays: u32,
    n_cells: usize,
    sun: [f64; 3],
) -> Vec<f64> {
    let s = rng::shadow_grid(rays);
    let samples = s * s;
    per_cell_side(scene, seed, n_cells, |panel, side, i, j, key| {
        if dot(scene.panels[panel].side_normal(side), sun) <= 0.0 {
            return 0.0;
        }
        let lit = (0..samples)
            .filter(|&k| {
                let (p, _) = rng::shadow_sample(key, k, s);
                let ray = Ray {
                    origin: scene.point(panel, i, j, p),
                    dir: sun,
                };
                !scene.blocked(&ray, panel)
            })
            .count();
        lit as f64 / f64::from(samples)
    })
}

/// Per cell side: the fraction of its view of the Earth's disc (nadir unit vector, disc of
/// angular radius with cosine `cos_rho`) not blocked by other surfaces, each direction weighted
/// by its cosine to the side normal (directions are sampled uniformly in the disc's cone, with
/// stratification). Sides that cannot see the disc get 1 (their Earth view factor is 0 anyway).
pub fn earth_unblocked_fraction(
    scene: &Scene,
    seed: u32,
    rays: u32,
    n_cells: usize,
    nadir: [f64; 3],
    cos_rho: f64,
) -> Vec<f64> {
    let s = rng::shadow_grid(rays);
    let samples = s * s;
    let (e1, e2) = basis(nadir);
    per_cell_side(scene, seed, n_cells, |panel, side, i, j, key| {
        let n = scene.panels[panel].side_normal(side);
        let (mut seen, mut open) = (0.0, 0.0);
        for k in 0..samples {
            let (p, x) = rng::shadow_sample(key, k, s);
            let cos_t = 1.0 - x[0] * (1.0 - cos_rho);
            let sin_t = (1.0 - cos_t * cos_t).max(0.0).sqrt();
            let phi = std::f64::consts::TAU * x[1];
            let (c, sn) = (phi.cos(), phi.sin());
            let dir: [f64; 3] =
                std::array::from_fn(|k| cos_t * nadir[k] + sin_t * (c * e1[k] + sn * e2[k]));
            let w = dot(n, dir);
            if w <= 0.0 {
                continue;
            }
            seen += w;
            let ray = Ray {
                origin: scene.point(panel, i, j, p),
                dir,
            };
            if !scene.blocked(&ray, panel) {
                open += w;
            }
        }
        if seen > 0.0 { open / seen } else { 1.0 }
    })
}

/// Two unit vectors completing `n` (unit) to an orthonormal frame.
pub fn basis(n: [f64; 3]) -> ([f64; 3], [f64; 3]) {
    let a = if n[0].abs() < 0.9 {
        [1.0, 0.0, 0.0]
    } else {
        [0.0, 1.0, 0.0]
    };
    let d = dot(a, n);
    let e1 = [a[0] - d * n[0], a[1] - d * n[1], a[2] - d * n[2]];
    let l = dot(e1, e1).sqrt();
    let e1 = e1.map(|x| x / l);
    let e2 = [
        n[1] * e1[2] - n[2] * e1[1],
        n[2] * e1[0] - n[0] * e1[2],
        n[0] * e1[1] - n[1] * e1[0],
    ];
    (e1, e2)
}
