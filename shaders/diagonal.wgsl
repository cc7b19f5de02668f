// diagonal.wgsl: d_i into the diagonal entry of rows first_row .. first_row + n_rows of one CSR
// row block. Between multigrid refreshes a Newton step changes only the diagonal of its matrix,
// so n values cross the bus instead of every entry. A row's diagonal is the entry whose column
// equals its (global) row; the scan does not assume sorted columns.

@group(0) @binding(0) var<uniform> params: DiagonalParams;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> col: array<u32>;
@group(0) @binding(3) var<storage, read> d: array<f32>;
@group(0) @binding(4) var<storage, read_write> val: array<f32>;

@compute @workgroup_size(WG)
fn set_diagonal(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = linear_index(wid, nwg, lid);
    if k >= params.n_rows {
        return;
    }
    let row = params.first_row + k;
    let local = row - params.block_first_row;
    for (var e = row_ptr[local]; e < row_ptr[local + 1u]; e++) {
        if col[e] == row {
            val[e] = d[row];
        }
    }
}
