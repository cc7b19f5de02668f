//! Test matrices shaped like the thermal model: five-point conduction on panel grids, a positive
//! radiation diagonal, heat-pipe vapour nodes, links, Dirichlet (identity) rows.

use super::super::sparse::{CsrMatrix, GridRows};

/// Small deterministic pseudo-random generator (uniform in `[0, 1)`).
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

/// Triplets of a symmetric matrix under assembly.
#[derive(Default)]
pub(crate) struct Assembly {
    pub(crate) n: usize,
    pub(crate) triplets: Vec<(usize, usize, f64)>,
    /// The grids added, which the built matrix names (`CsrMatrix::grids`).
    pub(crate) grids: Vec<GridRows>,
}

impl Assembly {
    /// Adds a conductance `g` between `i` and `j` (Laplacian stamp).
    pub(crate) fn couple(&mut self, i: usize, j: usize, g: f64) {
        self.triplets.push((i, i, g));
        self.triplets.push((j, j, g));
        self.triplets.push((i, j, -g));
        self.triplets.push((j, i, -g));
    }

    /// Adds `d` to the diagonal of `i`.
    pub(crate) fn shift(&mut self, i: usize, d: f64) {
        self.triplets.push((i, i, d));
    }

    /// Adds a grid of `nx x ny` cells (conductances `gx`, `gy` scaled by `scale`, radiation
    /// shift uniform in `[1e-3, 1e-1]` times `scale`); returns the first cell's index.
    pub(crate) fn grid(
        &mut self,
        nx: usize,
        ny: usize,
        gx: f64,
        gy: f64,
        scale: f64,
        rng: &mut Lcg,
    ) -> usize {
        let first = self.n;
        self.n += nx * ny;
        self.grids.push(GridRows {
            first,
            nu: nx,
            nv: ny,
            g: [gx * scale, gy * scale],
        });
        let id = |x: usize, y: usize| first + y * nx + x;
        for y in 0..ny {
            for x in 0..nx {
                if x + 1 < nx {
                    self.couple(id(x, y), id(x + 1, y), gx * scale);
                }
                if y + 1 < ny {
                    self.couple(id(x, y), id(x, y + 1), gy * scale);
                }
                self.shift(id(x, y), (1e-3 + 0.099 * rng.next()) * scale);
            }
        }
        first
    }

    /// Adds a vapour node coupled with conductance `g` to each of `cells`; returns its index.
    pub(crate) fn vapour(&mut self, cells: impl IntoIterator<Item = usize>, g: f64) -> usize {
        let v = self.n;
        self.n += 1;
        self.shift(v, 0.0);
        for c in cells {
            self.couple(v, c, g);
        }
        v
    }

    pub(crate) fn build(&self) -> CsrMatrix {
        match CsrMatrix::from_triplets(self.n, &self.triplets) {
            Ok(mut a) => {
                a.grids = self.grids.clone();
                a
            }
            Err(e) => panic!("test matrix: {e}"),
        }
    }
}

/// The benchmark case: an `nx x ny` grid with conductance 0.33 (`aniso` times stronger along
/// x), shifts in `[1e-3, 1e-1]`, and two vapour nodes each coupled with conductance 0.1 to a
/// `2 x nx` band of cells (at a third and two thirds of the height).
pub(crate) fn panel_with_heat_pipes(nx: usize, ny: usize, aniso: f64, seed: u64) -> CsrMatrix {
    let mut rng = Lcg(seed);
    let mut asm = Assembly::default();
    let g = 0.33;
    let first = asm.grid(nx, ny, g * aniso, g, 1.0, &mut rng);
    if ny >= 6 {
        for band in [ny / 3, 2 * ny / 3] {
            asm.vapour((band * nx..(band + 2) * nx).map(|c| first + c), 0.1);
        }
    }
    asm.build()
}

/// Two disconnected panels whose conductances and shifts differ by `1e6`, one with a vapour
/// node, plus a link between two distant cells of the first and a few identity rows.
pub(crate) fn disconnected_scales(nx: usize, ny: usize, seed: u64) -> CsrMatrix {
    let mut rng = Lcg(seed);
    let mut asm = Assembly::default();
    let a0 = asm.grid(nx, ny, 0.33, 0.33, 1e3, &mut rng);
    let b0 = asm.grid(nx, ny, 0.33, 3.3, 1e-3, &mut rng);
    asm.couple(a0, a0 + nx * ny - 1, 50.0);
    asm.vapour((0..nx).map(|x| b0 + x), 1e-2);
    for _ in 0..5 {
        let d = asm.n;
        asm.n += 1;
        asm.shift(d, 1.0);
    }
    asm.build()
}

/// A random sparse symmetric M-matrix: random couplings, positive shifts (some zero).
pub(crate) fn random_m_matrix(n: usize, couplings: usize, seed: u64) -> CsrMatrix {
    let mut rng = Lcg(seed);
    let mut asm = Assembly {
        n,
        ..Assembly::default()
    };
    for i in 0..n {
        let shift = if rng.next() < 0.3 { 0.0 } else { rng.next() };
        asm.shift(i, shift + 1e-3);
    }
    for _ in 0..couplings {
        let i = (rng.next() * n as f64) as usize % n;
        let j = (rng.next() * n as f64) as usize % n;
        if i != j {
            asm.couple(i, j, rng.next() * 10f64.powf(3.0 * rng.next() - 1.5));
        }
    }
    asm.build()
}

/// Deterministic right-hand side with entries in `[0, 1)`.
pub(crate) fn rhs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Lcg(seed);
    (0..n).map(|_| rng.next()).collect()
}
