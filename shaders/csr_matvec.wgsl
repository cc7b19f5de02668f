// csr_matvec.wgsl: y = A x (csr_matvec) or y += A x (csr_matvec_add) for a CSR matrix, one
// thread per row of at most LONG_ROW entries. Longer rows (heat-pipe vapour nodes, payload
// junctions, a dense coarsest inverse) are skipped here and summed by csr_matvec_long /
// csr_matvec_add_long, one workgroup per row from a list the host builds at upload (stored after
// the row pointers, CsrParams): a single
// thread walking a vapour row's 10^5 entries would stall the whole product.
// One dispatch covers one row block (CsrParams): row_ptr, col and val hold the block's rows only,
// x and y the whole vectors; the long-row kernels' CsrParams count the block's long rows.

@group(0) @binding(0) var<uniform> params: CsrParams;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> col: array<u32>;
@group(0) @binding(3) var<storage, read> val: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

// Entries first, first + step, ... before end, times x.
fn strided_sum(first: u32, end: u32, step: u32) -> f32 {
    var acc = 0.0;
    for (var k = first; k < end; k += step) {
        acc += val[k] * x[col[k]];
    }
    return acc;
}

fn store(row: u32, value: f32, accumulate: bool) {
    let i = params.first_row + row;
    if accumulate {
        y[i] += value;
    } else {
        y[i] = value;
    }
}

fn short_row(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, accumulate: bool) {
    let row = linear_index(wid, nwg, lid);
    if row < params.n_rows {
        let start = row_ptr[row];
        let end = row_ptr[row + 1u];
        if end - start <= LONG_ROW {
            store(row, strided_sum(start, end, 1u), accumulate);
        }
    }
}

// params.row_threads invocations sum one listed row: strided loads, then segment_sum. Every
// invocation reaches every barrier, those past the list with nothing to add.
fn long_row(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, accumulate: bool) {
    let width = params.row_threads;
    let q = group_index(wid, nwg) * (WG / width) + lid / width;
    let lane = lid % width;
    var row = 0u;
    var partial = 0.0;
    if q < params.n_rows {
        row = row_ptr[params.long_first + q];
        partial = strided_sum(row_ptr[row] + lane, row_ptr[row + 1u], width);
    }
    let total = segment_sum(lid, partial, width);
    if q < params.n_rows && lane == 0u {
        store(row, total, accumulate);
    }
}

@compute @workgroup_size(WG)
fn csr_matvec(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    short_row(wid, nwg, lid, false);
}

@compute @workgroup_size(WG)
fn csr_matvec_add(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    short_row(wid, nwg, lid, true);
}

@compute @workgroup_size(WG)
fn csr_matvec_long(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    long_row(wid, nwg, lid, false);
}

@compute @workgroup_size(WG)
fn csr_matvec_add_long(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    long_row(wid, nwg, lid, true);
}
