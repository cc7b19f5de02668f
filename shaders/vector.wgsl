// vector.wgsl: the vector operations of Krylov methods, over n items.
// vec_axpy: y = y + a x; vec_xpay: y = x + a y; vec_mul: y = w * x (pointwise); vec_copy: y = x.
// The coefficient a is params.coef times a ratio of device scalars (see VecParams), so that
// alpha = rz / pAp and beta = rz_new / rz_old never travel to the host.

@group(0) @binding(0) var<uniform> params: VecParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> scalars: array<f32>;

fn coefficient() -> f32 {
    var a = params.coef;
    if params.num != NO_SCALAR {
        a *= scalars[params.num];
    }
    if params.den != NO_SCALAR {
        let d = scalars[params.den];
        a = select(0.0, a / d, d != 0.0);
    }
    return a;
}

@compute @workgroup_size(WG)
fn vec_axpy(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n {
        y[i] += coefficient() * x[i];
    }
}

@compute @workgroup_size(WG)
fn vec_xpay(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n {
        y[i] = x[i] + coefficient() * y[i];
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
