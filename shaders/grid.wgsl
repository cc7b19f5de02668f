// grid.wgsl: the finest multigrid level's operator without its CSR matrix, A = D + S + E:
// D the diagonal (one value per row), S the 5-point stencils of the structured panels (one
// conductance per direction and panel, from a small table), E the rest in CSR form
// (grid_rest.wgsl: heat-pipe and link couplings, and the rows that differ from their panel's
// stencil). A row reads x at itself and its four neighbours and no matrix entry, a third of the
// traffic of its CSR row (src/solve/gpu/grid.rs). One thread per row over every row of every
// stacked lane; rows outside the panels (vapour nodes, padding) have D only.
// grid_matvec:          y = (D + S) x
// grid_residual:        y = b - (D + S) x
// grid_cheb_correction: y = c_prev * y + c_new * inv_diag * (b - (D + S) x)   (y is d)
// Each is followed by the grid_rest pass with the matching mode.

@group(0) @binding(0) var<uniform> params: GridParams;
@group(0) @binding(1) var<storage, read> panels: array<GridPanel>;
@group(0) @binding(2) var<storage, read> diag: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read> inv_diag: array<f32>;
@group(0) @binding(7) var<storage, read> coefs: array<vec2<f32>>;

// (D + S) x at row r: the panel holding r is the last one whose first row is <= r (a binary
// search of the sorted table), if r lies inside it.
fn grid_row(r: u32) -> f32 {
    var acc = diag[r] * x[r];
    if params.panels == 0u {
        return acc;
    }
    var lo = 0u;
    var hi = params.panels;
    while hi - lo > 1u {
        let mid = (lo + hi) / 2u;
        if panels[mid].first <= r {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let p = panels[lo];
    if r < p.first || r - p.first >= p.nu * p.nv {
        return acc;
    }
    let k = r - p.first;
    let i = k % p.nu;
    let j = k / p.nu;
    // A missing neighbour reads x[r] and adds zero.
    let west = select(0.0, x[select(r, r - 1u, i > 0u)], i > 0u);
    let east = select(0.0, x[select(r, r + 1u, i + 1u < p.nu)], i + 1u < p.nu);
    let south = select(0.0, x[select(r, r - p.nu, j > 0u)], j > 0u);
    let north = select(0.0, x[select(r, r + p.nu, j + 1u < p.nv)], j + 1u < p.nv);
    return acc - p.g_u * (west + east) - p.g_v * (south + north);
}

@compute @workgroup_size(WG)
fn grid_matvec(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let r = linear_index(wid, nwg, lid);
    if r < params.n_rows {
        y[r] = grid_row(r);
    }
}

@compute @workgroup_size(WG)
fn grid_residual(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let r = linear_index(wid, nwg, lid);
    if r < params.n_rows {
        y[r] = b[r] - grid_row(r);
    }
}

@compute @workgroup_size(WG)
fn grid_cheb_correction(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let r = linear_index(wid, nwg, lid);
    if r < params.n_rows {
        let c = coefs[params.coef_index + r / params.stride];
        y[r] = c.x * y[r] + c.y * inv_diag[r] * (b[r] - grid_row(r));
    }
}
