// vector.wgsl: the vector operations of Krylov methods, over n items.
// vec_axpy: y = y + a x; vec_xpay: y = x + a y; vec_mul: y = w * x (pointwise); vec_copy: y = x.
// The coefficient a is params.coef times a ratio of device scalars (see VecParams), so that
// alpha = rz / pAp and beta = rz_new / rz_old never travel to the host. Over stacked lanes each
// lane reads its own scalars, and a lane whose gate is 0 is not written.

@group(0) @binding(0) var<uniform> params: VecParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> scalars: array<f32>;

// First scalar of item i's lane.
fn lane_base(i: u32) -> u32 {
    return (i / params.stride) * params.slots;
}

fn coefficient(i: u32) -> f32 {
    let base = lane_base(i);
    var a = params.coef;
    if params.num != NO_SCALAR {
        a *= scalars[base + params.num];
    }
    if params.den != NO_SCALAR {
        let d = scalars[base + params.den];
        a = select(0.0, a / d, d != 0.0);
    }
    return a;
}

// Whether item i's lane is written: no gate, or a gate that is not 0.
fn open_lane(i: u32) -> bool {
    return params.gate == NO_SCALAR || scalars[lane_base(i) + params.gate] != 0.0;
}

@compute @workgroup_size(WG)
fn vec_axpy(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n && open_lane(i) {
        y[i] += coefficient(i) * x[i];
    }
}

@compute @workgroup_size(WG)
fn vec_xpay(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n && open_lane(i) {
        y[i] = x[i] + coefficient(i) * y[i];
    }
}

@compute @workgroup_size(WG)
fn vec_mul(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n {
        y[i] = w[i] * x[i];
    }
}

@compute @workgroup_size(WG)
fn vec_copy(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n {
        y[i] = x[i];
    }
}
