// csr_matvec.wgsl: y = A x (csr_matvec) or y += A x (csr_matvec_add) for a CSR matrix, one
// thread per row: coarse multigrid levels and irregular couplings. Rows with very many entries
// (heat-pipe vapour nodes) want a segmented workgroup sum instead; that is a separate kernel.
// One dispatch covers one row block (CsrParams): row_ptr, col and val hold the block's rows only,
// x and y the whole vectors.

@group(0) @binding(0) var<uniform> params: CsrParams;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> col: array<u32>;
@group(0) @binding(3) var<storage, read> val: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

fn row_times_x(row: u32) -> f32 {
    var acc = 0.0;
    let end = row_ptr[row + 1u];
    for (var k = row_ptr[row]; k < end; k += 1u) {
        acc += val[k] * x[col[k]];
    }
    return acc;
}

@compute @workgroup_size(WG)
fn csr_matvec(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let row = linear_index(wid, nwg, lid);
    if row < params.n_rows {
        y[params.first_row + row] = row_times_x(row);
    }
}

@compute @workgroup_size(WG)
fn csr_matvec_add(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let row = linear_index(wid, nwg, lid);
    if row < params.n_rows {
        y[params.first_row + row] += row_times_x(row);
    }
}
