//! The traced geometry: every panel as a rectangle in the body frame, its patch grid on each
//! side, and the ray tests (first hit, any hit) that the CPU tracer and the shadow rays use.
//! shaders/trace.wgsl implements the same tests in f32.

use crate::gpu::shaders;
use crate::model::{Model, PanelMesh};
use crate::vec3::dot;

/// Patches per panel edge: each side is cut into at most `MAX_PATCHES_PER_EDGE` x
/// `MAX_PATCHES_PER_EDGE` patches (fewer where the panel has fewer cells).
pub const MAX_PATCHES_PER_EDGE: u32 = 16;

/// Target code of a ray that escapes to space.
pub const SPACE: u32 = shaders::RAY_TO_SPACE;
/// Target code of a ray that escapes into the Earth's disc.
pub const EARTH: u32 = shaders::RAY_TO_EARTH;

/// Front side (outward normal = panel normal) is 0, back side is 1.
pub const FRONT: usize = 0;
pub const BACK: usize = 1;

#[derive(Clone, Debug)]
pub struct ScenePanel {
    pub origin: [f64; 3],
    pub u: [f64; 3],
    pub v: [f64; 3],
    pub n: [f64; 3],
    pub length: [f64; 2],
    pub cells: [u32; 2],
    pub first_cell: usize,
    pub cell_area: f64,
    /// Patches along u and v (the same on both sides).
    pub patches: [u32; 2],
    /// First patch id of the front and of the back side.
    pub patch_base: [u32; 2],
    /// Cells in each patch column (along u) and each patch row (along v).
    pub patch_cols: Vec<u32>,
    pub patch_rows: Vec<u32>,
    /// First cell index of each patch column / row.
    pub col_start: Vec<u32>,
    pub row_start: Vec<u32>,
}

impl ScenePanel {
    pub fn cell_count(&self) -> usize {
        self.cells[0] as usize * self.cells[1] as usize
    }

    /// Outward normal of a side.
    pub fn side_normal(&self, side: usize) -> [f64; 3] {
        if side == FRONT {
            self.n
        } else {
            self.n.map(|x| -x)
        }
    }

    /// Patch id of cell (i, j) on `side`.
    #[inline]
    pub fn patch_of(&self, side: usize, i: u32, j: u32) -> u32 {
        let pi = (u64::from(i) * u64::from(self.patches[0]) / u64::from(self.cells[0])) as u32;
        let pj = (u64::from(j) * u64::from(self.patches[1]) / u64::from(self.cells[1])) as u32;
        self.patch_base[side] + pi + self.patches[0] * pj
    }

    pub fn patch_count(&self) -> u32 {
        self.patches[0] * self.patches[1]
    }
}

/// What one patch is: its panel, side, cell rectangle and area.
#[derive(Clone, Copy, Debug)]
pub struct PatchInfo {
    pub panel: u32,
    pub side: u32,
    pub i0: u32,
    pub i1: u32,
    pub j0: u32,
    pub j1: u32,
    pub area: f64,
}

#[derive(Clone, Debug)]
pub struct Scene {
    pub panels: Vec<ScenePanel>,
    pub patches: Vec<PatchInfo>,
    /// Minimum hit distance, m: 1e-6 of the scene's size, so that f32 and f64 agree about a
    /// ray leaving a panel that touches the emitting one.
    pub t_min: f64,
}

/// Cells of patch `p` of `n` patches over `cells` cells: the cells i with i * n / cells == p.
fn split(cells: u32, n: u32) -> (Vec<u32>, Vec<u32>) {
    let mut counts = vec![0u32; n as usize];
    for i in 0..cells {
        counts[(u64::from(i) * u64::from(n) / u64::from(cells)) as usize] += 1;
    }
    let mut start = Vec::with_capacity(n as usize);
    let mut s = 0;
    for &c in &counts {
        start.push(s);
        s += c;
    }
    (counts, start)
}

impl Scene {
    pub fn new(model: &Model) -> Scene {
        let mut panels = Vec::with_capacity(model.panels.len());
        let mut patches = Vec::new();
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for (index, p) in model.panels.iter().enumerate() {
            let scene_panel = Self::panel(p, patches.len() as u32);
            for side in 0..2u32 {
                for pj in 0..scene_panel.patches[1] {
                    for pi in 0..scene_panel.patches[0] {
                        let (i0, j0) = (
                            scene_panel.col_start[pi as usize],
                            scene_panel.row_start[pj as usize],
                        );
                        let (ni, nj) = (
                            scene_panel.patch_cols[pi as usize],
                            scene_panel.patch_rows[pj as usize],
                        );
                        patches.push(PatchInfo {
                            panel: index as u32,
                            side,
                            i0,
                            i1: i0 + ni,
                            j0,
                            j1: j0 + nj,
                            area: f64::from(ni) * f64::from(nj) * p.cell_area,
                        });
                    }
                }
            }
            for corner in 0..4 {
                let (a, b) = ((corner & 1) as f64, (corner >> 1) as f64);
                for k in 0..3 {
                    let x =
                        p.origin[k] + a * p.length[0] * p.u_dir[k] + b * p.length[1] * p.v_dir[k];
                    lo[k] = lo[k].min(x);
                    hi[k] = hi[k].max(x);
                }
            }
            panels.push(scene_panel);
        }
        let size = (0..3)
            .map(|k| (hi[k] - lo[k]).max(0.0))
            .fold(0.0f64, f64::max);
        Scene {
            panels,
            patches,
            t_min: 1e-6 * size.max(f64::MIN_POSITIVE),
        }
    }

    fn panel(p: &PanelMesh, base: u32) -> ScenePanel {
        let cells = [p.cells[0] as u32, p.cells[1] as u32];
        let patches = [
            cells[0].min(MAX_PATCHES_PER_EDGE),
            cells[1].min(MAX_PATCHES_PER_EDGE),
        ];
        let (patch_cols, col_start) = split(cells[0], patches[0]);
        let (patch_rows, row_start) = split(cells[1], patches[1]);
        let per_side = patches[0] * patches[1];
        ScenePanel {
            origin: p.origin,
            u: p.u_dir,
            v: p.v_dir,
            n: p.normal,
            length: p.length,
            cells,
            first_cell: p.first_cell,
            cell_area: p.cell_area,
            patches,
            patch_base: [base, base + per_side],
            patch_cols,
            patch_rows,
            col_start,
            row_start,
        }
    }

    pub fn patch_count(&self) -> usize {
        self.patches.len()
    }

    /// Start point and direction of hemisphere ray `k` from cell (i, j) of `side` of `panel`.
    #[inline]
    pub fn ray(&self, panel: usize, side: usize, i: u32, j: u32, x: [f64; 2], p: [f64; 2]) -> Ray {
        let sp = &self.panels[panel];
        let local = super::rng::cosine_direction(x);
        let n = sp.side_normal(side);
        let dir =
            std::array::from_fn(|k| local[0] * sp.u[k] + local[1] * sp.v[k] + local[2] * n[k]);
        Ray {
            origin: self.point(panel, i, j, p),
            dir,
        }
    }

    /// A point of cell (i, j) of `panel` at fractions `p` of the cell.
    #[inline]
    pub fn point(&self, panel: usize, i: u32, j: u32, p: [f64; 2]) -> [f64; 3] {
        let sp = &self.panels[panel];
        let du = sp.length[0] / f64::from(sp.cells[0]);
        let dv = sp.length[1] / f64::from(sp.cells[1]);
        let x = (f64::from(i) + p[0]) * du;
        let y = (f64::from(j) + p[1]) * dv;
        std::array::from_fn(|k| sp.origin[k] + x * sp.u[k] + y * sp.v[k])
    }

    /// The first panel (not `skip`) the ray meets: (panel, t, x, y along u and v, front side?).
    #[inline]
    pub fn first_hit(&self, ray: &Ray, skip: usize) -> Option<Hit> {
        let mut best: Option<Hit> = None;
        let mut t_best = f64::INFINITY;
        for (q, sp) in self.panels.iter().enumerate() {
            if q == skip {
                continue;
            }
            if let Some((t, x, y, denom)) = intersect(sp, ray, self.t_min, t_best) {
                t_best = t;
                best = Some(Hit {
                    panel: q,
                    x,
                    y,
                    front: denom < 0.0,
                });
            }
        }
        best
    }

    /// Whether any panel (not `skip`) blocks the ray.
    #[inline]
    pub fn blocked(&self, ray: &Ray, skip: usize) -> bool {
        self.panels
            .iter()
            .enumerate()
            .any(|(q, sp)| q != skip && intersect(sp, ray, self.t_min, f64::INFINITY).is_some())
    }

    /// The target code of a hit: the patch of the cell hit, on the side the ray arrives at.
    #[inline]
    pub fn target(&self, hit: &Hit) -> u32 {
        let sp = &self.panels[hit.panel];
        let i = ((hit.x / sp.length[0] * f64::from(sp.cells[0])) as u32).min(sp.cells[0] - 1);
        let j = ((hit.y / sp.length[1] * f64::from(sp.cells[1])) as u32).min(sp.cells[1] - 1);
        sp.patch_of(if hit.front { FRONT } else { BACK }, i, j)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Ray {
    pub origin: [f64; 3],
    pub dir: [f64; 3],
}

#[derive(Clone, Copy, Debug)]
pub struct Hit {
    pub panel: usize,
    pub x: f64,
    pub y: f64,
    pub front: bool,
}

/// Ray against one rectangle: (t, x, y, n.dir) when it meets it at t_min < t < t_max.
#[inline]
fn intersect(sp: &ScenePanel, ray: &Ray, t_min: f64, t_max: f64) -> Option<(f64, f64, f64, f64)> {
    let denom = dot(sp.n, ray.dir);
    if denom == 0.0 {
        return None;
    }
    let to = [
        sp.origin[0] - ray.origin[0],
        sp.origin[1] - ray.origin[1],
        sp.origin[2] - ray.origin[2],
    ];
    let t = dot(sp.n, to) / denom;
    if !(t > t_min && t < t_max) {
        return None;
    }
    let rel = [
        ray.dir[0] * t - to[0],
        ray.dir[1] * t - to[1],
        ray.dir[2] * t - to[2],
    ];
    let x = dot(rel, sp.u);
    let y = dot(rel, sp.v);
    if x < 0.0 || x > sp.length[0] || y < 0.0 || y > sp.length[1] {
        return None;
    }
    Some((t, x, y, denom))
}
