// reduce.wgsl: deterministic dot product and max-abs reductions in two passes.
// Every lane (ReduceParams: one system of a stacked batch, or the only one) is reduced on its
// own. Pass 1 (dot_partial, max_abs_partial): workgroup g = lane * chunks + c folds the lane's
// fixed chunk [c * REDUCE_CHUNK, (c + 1) * REDUCE_CHUNK): thread l takes items l, l + WG, ... in
// order, then a workgroup-memory tree (no subgroup operations) combines the WG values; the
// result goes to partials[g]. Pass 2 (sum_final, max_final): workgroup `lane` folds the lane's
// partials the same way and writes s[lane * slots + out_index]. The order of every operation
// depends only on n, so a lane's result repeats bit for bit on one adapter whatever the other
// lanes hold.

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

// Chunks of one lane's items (at least 1, so that lane = g / chunks is defined).
fn lane_chunks() -> u32 {
    return max((params.n + REDUCE_CHUNK - 1u) / REDUCE_CHUNK, 1u);
}

// Index into x and y of item k of chunk g's lane, or past every lane when the item is not one.
fn chunk_item(g: u32, k: u32) -> u32 {
    let chunks = lane_chunks();
    let lane = g / chunks;
    let local = (g % chunks) * REDUCE_CHUNK + k;
    if lane >= params.lanes || local >= params.n {
        return 0xffffffffu;
    }
    return lane * params.stride + local;
}

// Whether workgroup g's chunk holds items (it then writes partials[g]).
fn chunk_is_used(g: u32) -> bool {
    let chunks = lane_chunks();
    return g / chunks < params.lanes && (g % chunks) * REDUCE_CHUNK < params.n;
}

@compute @workgroup_size(WG)
fn dot_partial(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    var acc = 0.0;
    for (var k = 0u; k < REDUCE_ITEMS; k += 1u) {
        let i = chunk_item(g, k * WG + lid);
        if i != 0xffffffffu {
            acc += x[i] * y[i];
        }
    }
    let total = tree_sum(lid, acc);
    if lid == 0u && chunk_is_used(g) {
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
    var acc = 0.0;
    for (var k = 0u; k < REDUCE_ITEMS; k += 1u) {
        let i = chunk_item(g, k * WG + lid);
        if i != 0xffffffffu {
            acc = max(acc, abs(x[i]));
        }
    }
    let total = tree_max(lid, acc);
    if lid == 0u && chunk_is_used(g) {
        partials[g] = total;
    }
}

// First partial of workgroup `lane`'s lane and how many there are.
fn lane_partials(lane: u32) -> vec2<u32> {
    return vec2<u32>(lane * lane_chunks(), (params.n + REDUCE_CHUNK - 1u) / REDUCE_CHUNK);
}

fn store_lane(lane: u32, lid: u32, total: f32) {
    if lid == 0u && lane < params.lanes {
        scalars[lane * params.slots + params.out_index] = total;
    }
}

// One workgroup per lane.
@compute @workgroup_size(WG)
fn sum_final(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let lane = group_index(wid, nwg);
    let range = lane_partials(lane);
    var acc = 0.0;
    if lane < params.lanes {
        for (var i = lid; i < range.y; i += WG) {
            acc += partials[range.x + i];
        }
    }
    store_lane(lane, lid, tree_sum(lid, acc));
}

// One workgroup per lane.
@compute @workgroup_size(WG)
fn max_final(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let lane = group_index(wid, nwg);
    let range = lane_partials(lane);
    var acc = 0.0;
    if lane < params.lanes {
        for (var i = lid; i < range.y; i += WG) {
            acc = max(acc, partials[range.x + i]);
        }
    }
    store_lane(lane, lid, tree_max(lid, acc));
}
