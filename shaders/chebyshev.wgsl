// chebyshev.wgsl: one step of Chebyshev smoothing on D^-1 A for a CSR matrix A (the multigrid
// smoother of src/solve/cpu/amg/smoother.rs), one thread per row; rows of more than LONG_ROW
// entries are left to cheb_correction_long, one workgroup per row (as in csr_matvec.wgsl).
// cheb_start:      d = c_new * inv_diag * b; x = d                  (the first step from x = 0)
// cheb_correction: d = c_prev * d + c_new * inv_diag * (b - A x)    (then x += d: vec_axpy)
// x is only read by cheb_correction; the update x += d is a separate dispatch because other
// rows read x. cheb_correction covers one row block of A (ChebParams): row_ptr, col and val hold
// the block's rows only, the vectors are whole. cheb_start covers every row (first_row is 0).
// (c_prev, c_new) come from coefs, one pair per lane (ChebParams): stacked systems of a batch
// each smooth with their own eigenvalue bounds.

@group(0) @binding(0) var<uniform> params: ChebParams;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> col: array<u32>;
@group(0) @binding(3) var<storage, read> val: array<f32>;
@group(0) @binding(4) var<storage, read> inv_diag: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read_write> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> d: array<f32>;
@group(0) @binding(8) var<storage, read> coefs: array<vec2<f32>>;

// (c_prev, c_new) of row i's lane.
fn coefficients(i: u32) -> vec2<f32> {
    return coefs[params.coef_index + i / params.stride];
}

@compute @workgroup_size(WG)
fn cheb_start(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n_rows {
        let v = coefficients(i).y * inv_diag[i] * b[i];
        d[i] = v;
        x[i] = v;
    }
}

// Entries first, first + step, ... before end, times x.
fn strided_sum(first: u32, end: u32, step: u32) -> f32 {
    var ax = 0.0;
    for (var k = first; k < end; k += step) {
        ax += val[k] * x[col[k]];
    }
    return ax;
}

fn correct(local: u32, ax: f32) {
    let i = params.first_row + local;
    let c = coefficients(i);
    d[i] = c.x * d[i] + c.y * inv_diag[i] * (b[i] - ax);
}

@compute @workgroup_size(WG)
fn cheb_correction(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let local = linear_index(wid, nwg, lid);
    if local < params.n_rows {
        let start = row_ptr[local];
        let end = row_ptr[local + 1u];
        if end - start <= LONG_ROW {
            correct(local, strided_sum(start, end, 1u));
        }
    }
}

// params.row_threads invocations per listed row (as long_row in csr_matvec.wgsl);
// params.n_rows counts the listed rows.
@compute @workgroup_size(WG)
fn cheb_correction_long(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let width = params.row_threads;
    let q = group_index(wid, nwg) * (WG / width) + lid / width;
    let lane = lid % width;
    var local = 0u;
    var partial = 0.0;
    if q < params.n_rows {
        local = row_ptr[params.long_first + q];
        partial = strided_sum(row_ptr[local] + lane, row_ptr[local + 1u], width);
    }
    let ax = segment_sum(lid, partial, width);
    if q < params.n_rows && lane == 0u {
        correct(local, ax);
    }
}
