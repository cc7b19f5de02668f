// reduce.wgsl: deterministic dot product and max-abs reductions in two passes.
// Pass 1 (dot_partial, max_abs_partial): workgroup g folds the fixed chunk
// [g * REDUCE_CHUNK, (g + 1) * REDUCE_CHUNK): thread l takes items l, l + WG, ... in order, then a
// workgroup-memory tree (no subgroup operations) combines the WG values; the result goes to
// partials[g]. Pass 2 (sum_final, max_final): one workgroup folds the partials the same way and
// writes s[out_index]. The order of every operation depends only on n, so results repeat bit
// for bit on one adapter.

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> scalars: array<f32>;

// Maximum of tree[0..WG]; every invocation of the workgroup must call it.
fn tree_max(lid: u32, value: f32) -> f32 {
    tree[lid] = value;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        if lid < stride {
            tree[lid] = max(tree[lid], tree[lid + stride]);
        }
        workgroupBarrier();
    }
    return tree[0];
}

@compute @workgroup_size(WG)
fn dot_partial(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    let base = g * REDUCE_CHUNK;
    var acc = 0.0;
    for (var k = 0u; k < REDUCE_ITEMS; k += 1u) {
        let i = base + k * WG + lid;
        if i < params.n {
            acc += x[i] * y[i];
        }
    }
    let total = tree_sum(lid, acc);
    if lid == 0u && base < params.n {
        partials[g] = total;
    }
}

@compute @workgroup_size(WG)
fn max_abs_partial(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    let base = g * REDUCE_CHUNK;
    var acc = 0.0;
    for (var k = 0u; k < REDUCE_ITEMS; k += 1u) {
        let i = base + k * WG + lid;
        if i < params.n {
            acc = max(acc, abs(x[i]));
        }
    }
    let total = tree_max(lid, acc);
    if lid == 0u && base < params.n {
        partials[g] = total;
    }
}

// One workgroup: params.n is the number of partials.
@compute @workgroup_size(WG)
fn sum_final(@builtin(local_invocation_index) lid: u32) {
    var acc = 0.0;
    for (var i = lid; i < params.n; i += WG) {
        acc += partials[i];
    }
    let total = tree_sum(lid, acc);
    if lid == 0u {
        scalars[params.out_index] = total;
    }
}

// One workgroup: params.n is the number of partials.
@compute @workgroup_size(WG)
fn max_final(@builtin(local_invocation_index) lid: u32) {
    var acc = 0.0;
    for (var i = lid; i < params.n; i += WG) {
        acc = max(acc, partials[i]);
    }
    let total = tree_max(lid, acc);
    if lid == 0u {
        scalars[params.out_index] = total;
    }
}
