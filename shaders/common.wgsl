// common.wgsl: prepended to every other shaders/*.wgsl file, at run time (src/gpu/shaders.rs)
// and by build.rs, in exactly the same way. Constants, parameter structs and the workgroup tree
// sum: no bindings.

// Threads per workgroup of every kernel (WORKGROUP_SIZE in shaders.rs; build.rs checks the
// constants the host shares, listed in shaders.rs SHARED).
const WG: u32 = 256u;

// Items each thread folds in the first pass of a reduction, before the workgroup tree:
// one workgroup reduces one fixed chunk of REDUCE_CHUNK items, whatever the hardware.
const REDUCE_ITEMS: u32 = 8u;
const REDUCE_CHUNK: u32 = 2048u; // WG * REDUCE_ITEMS

// CSR rows with more entries than this (heat-pipe vapour nodes, payload junctions, the rows
// their aggregates leave on coarse levels, a dense coarsest inverse) are summed by several
// invocations each: 32, or a whole workgroup for rows of more than MEDIUM_ROW entries
// (csr_matvec.wgsl, chebyshev.wgsl; LONG_ROW in shaders.rs).
const LONG_ROW: u32 = 32u;

// "No scalar": a coefficient index that is not used.
const NO_SCALAR: u32 = 0xffffffffu;

// Index of this workgroup in a dispatch that the host may have folded into 2-D (x fastest).
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// Index of this invocation in a folded 1-D dispatch. Folding may add workgroups past the end:
// every kernel checks the index against its length.
fn linear_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return group_index(wid, nwg) * WG + lid;
}

// One structured panel: cells first .. first + nu * nv, cell (i, j) at first + i + nu * j,
// uniform conductances g_u between (i, j) and (i + 1, j), g_v between (i, j) and (i, j + 1), W/K.
// sigma is the Stefan-Boltzmann constant and ts4 the sink temperature to the fourth power.
struct Panel {
    first: u32,
    nu: u32,
    nv: u32,
    pad0: u32,
    g_u: f32,
    g_v: f32,
    sigma: f32,
    ts4: f32,
}

// A vector operation over n items with coefficient a = coef * s[num] / s[den] (an index equal
// to NO_SCALAR stands for 1; a zero denominator gives a = 0), s the device scalar buffer.
// Lanes: the items are the stacked vectors of independent systems (a batch of sweep points),
// item i in lane i / stride, whose scalars are s[lane * slots ..]. A gate slot (not NO_SCALAR)
// whose value is 0 leaves the lane's items untouched: a system whose solve has stopped.
// One system is one lane: stride n, slots 0.
struct VecParams {
    n: u32,
    num: u32,
    den: u32,
    coef: f32,
    stride: u32,
    slots: u32,
    gate: u32,
    pad0: u32,
}

// A CSR matrix-vector product over rows first_row .. first_row + n_rows: one row block of a
// matrix split over several bindings (src/solve/gpu/csr.rs), its row pointers rebased to the
// block's first entry. The block's rows of more than LONG_ROW entries are listed in the same
// u32 array as its row pointers, from index long_first (the long-row kernels' n_rows counts
// them): one binding fewer, so that the Chebyshev kernels stay within 8 storage buffers. The
// long-row kernels sum each listed row with row_threads invocations (32 for rows of up to
// MEDIUM_ROW entries, WG for longer ones), WG / row_threads rows per workgroup.
struct CsrParams {
    n_rows: u32,
    first_row: u32,
    long_first: u32,
    row_threads: u32,
}

// Rows first_row .. first_row + n_rows of a CSR row block whose first row is block_first_row
// (diagonal.wgsl).
struct DiagonalParams {
    n_rows: u32,
    first_row: u32,
    block_first_row: u32,
    pad0: u32,
}

// A reduction over lanes: lane p's n items start at item p * stride, its result goes to
// s[p * slots + out_index]. Each lane is folded in chunks counted from its own first item, so a
// lane's result does not depend on the other lanes.
struct ReduceParams {
    n: u32,
    out_index: u32,
    stride: u32,
    lanes: u32,
    slots: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// One Chebyshev smoothing step over rows first_row .. first_row + n_rows (one row block, as in
// CsrParams). The coefficients of the previous correction and of the new preconditioned
// residual, (c_prev, c_new), are per lane: row i reads coefs[coef_index + i / stride]. Long rows
// are listed from row_ptr[long_first] and summed by row_threads invocations each, as in
// CsrParams.
struct ChebParams {
    n_rows: u32,
    first_row: u32,
    stride: u32,
    coef_index: u32,
    long_first: u32,
    row_threads: u32,
    pad1: u32,
    pad2: u32,
}

// One structured panel of the finest multigrid level's operator (grid.wgsl): rows first ..
// first + nu * nv, row (i, j) at first + i + nu * j, coupled to its grid neighbours by -g_u
// along i and -g_v along j.
struct GridPanel {
    first: u32,
    nu: u32,
    nv: u32,
    pad0: u32,
    g_u: f32,
    g_v: f32,
    pad1: f32,
    pad2: f32,
}

// The grid operator over n_rows rows with a table of `panels` panels sorted by first row; a
// Chebyshev step's (c_prev, c_new) are coefs[coef_index + i / stride] (as in ChebParams).
struct GridParams {
    n_rows: u32,
    panels: u32,
    stride: u32,
    coef_index: u32,
}

// The rest of the grid operator (grid_rest.wgsl): `rows` listed rows with their entries in CSR
// form. One u32 array holds the row pointers (rows + 1), then each listed row's index in the
// vectors (from rows_first), then the listed rows of more than LONG_ROW entries (from
// long_first; `long_rows` of them). mode: 0 y += E x, 1 y -= E x, 2 a Chebyshev correction
// d -= c_new * inv_diag * E x.
struct RestParams {
    rows: u32,
    rows_first: u32,
    long_first: u32,
    long_rows: u32,
    mode: u32,
    stride: u32,
    coef_index: u32,
    pad0: u32,
}

// Workgroup memory of the tree reductions (reduce.wgsl, the long-row CSR kernels).
var<workgroup> tree: array<f32, WG>;

// Sum of every invocation's value in a fixed order (a tree over workgroup memory, no subgroup
// operations); every invocation of the workgroup must call it.
fn tree_sum(lid: u32, value: f32) -> f32 {
    tree[lid] = value;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        if lid < stride {
            tree[lid] += tree[lid + stride];
        }
        workgroupBarrier();
    }
    return tree[0];
}

// Sums of the values of consecutive segments of `width` invocations (a power of two dividing
// WG, the same for the whole workgroup: a uniform), each in a fixed order; every invocation
// gets its own segment's sum. Every invocation of the workgroup must call it.
fn segment_sum(lid: u32, value: f32, width: u32) -> f32 {
    tree[lid] = value;
    workgroupBarrier();
    for (var stride = width / 2u; stride > 0u; stride /= 2u) {
        if lid % width < stride {
            tree[lid] += tree[lid + stride];
        }
        workgroupBarrier();
    }
    return tree[lid - lid % width];
}
