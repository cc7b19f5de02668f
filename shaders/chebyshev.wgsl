// chebyshev.wgsl: one step of Chebyshev smoothing on D^-1 A for a CSR matrix A (the multigrid
// smoother of src/solve/cpu/amg/smoother.rs), one thread per row.
// cheb_start:      d = c_new * inv_diag * b; x = d                  (the first step from x = 0)
// cheb_correction: d = c_prev * d + c_new * inv_diag * (b - A x)    (then x += d: vec_axpy)
// x is only read by cheb_correction; the update x += d is a separate dispatch because other
// rows read x. cheb_correction covers one row block of A (ChebParams): row_ptr, col and val hold
// the block's rows only, the vectors are whole. cheb_start covers every row (first_row is 0).

@group(0) @binding(0) var<uniform> params: ChebParams;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> col: array<u32>;
@group(0) @binding(3) var<storage, read> val: array<f32>;
@group(0) @binding(4) var<storage, read> inv_diag: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read_write> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> d: array<f32>;

@compute @workgroup_size(WG)
fn cheb_start(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n_rows {
        let v = params.c_new * inv_diag[i] * b[i];
        d[i] = v;
        x[i] = v;
    }
}

@compute @workgroup_size(WG)
fn cheb_correction(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let local = linear_index(wid, nwg, lid);
    if local < params.n_rows {
        var ax = 0.0;
        let end = row_ptr[local + 1u];
        for (var k = row_ptr[local]; k < end; k += 1u) {
            ax += val[k] * x[col[k]];
        }
        let i = params.first_row + local;
        d[i] = params.c_prev * d[i] + params.c_new * inv_diag[i] * (b[i] - ax);
    }
}
