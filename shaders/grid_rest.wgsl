// grid_rest.wgsl: the rest E of the grid operator (grid.wgsl), applied after the grid pass:
// a short list of rows in CSR form whose sums go into y (RestParams.mode: 0 adds E x, 1
// subtracts it, 2 subtracts c_new * inv_diag * (E x) from a Chebyshev correction d, which is
// what the grid pass left out of d = c_prev d + c_new inv_diag (b - A x)). A listed row appears
// once, so no two threads write one item. Rows of more than LONG_ROW entries (a heat pipe's
// vapour node touches every cell along the pipe) are summed by grid_rest_long, one workgroup
// per row, as in csr_matvec.wgsl.

@group(0) @binding(0) var<uniform> params: RestParams;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read> col: array<u32>;
@group(0) @binding(3) var<storage, read> val: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> inv_diag: array<f32>;
@group(0) @binding(7) var<storage, read> coefs: array<vec2<f32>>;

// Entries first, first + step, ... before end, times x.
fn strided_sum(first: u32, end: u32, step: u32) -> f32 {
    var acc = 0.0;
    for (var k = first; k < end; k += step) {
        acc += val[k] * x[col[k]];
    }
    return acc;
}

fn apply(q: u32, sum: f32) {
    let r = index[params.rows_first + q];
    if params.mode == 0u {
        y[r] += sum;
    } else if params.mode == 1u {
        y[r] -= sum;
    } else {
        let c = coefs[params.coef_index + r / params.stride];
        y[r] -= c.y * inv_diag[r] * sum;
    }
}

@compute @workgroup_size(WG)
fn grid_rest(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let q = linear_index(wid, nwg, lid);
    if q < params.rows {
        let start = index[q];
        let end = index[q + 1u];
        if end - start <= LONG_ROW {
            apply(q, strided_sum(start, end, 1u));
        }
    }
}

// The row index is the same for every thread of the workgroup, so all reach every barrier.
@compute @workgroup_size(WG)
fn grid_rest_long(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if g >= params.long_rows {
        return;
    }
    let q = index[params.long_first + g];
    let total = tree_sum(lid, strided_sum(index[q] + lid, index[q + 1u], WG));
    if lid == 0u {
        apply(q, total);
    }
}
