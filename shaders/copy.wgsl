// copy.wgsl: dst = src over n floats, nothing else: the bandwidth baseline (roofline) that
// every other kernel is reported against, measured on the same adapter in the same run.

@group(0) @binding(0) var<uniform> params: VecParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn copy_bandwidth(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_index(wid, nwg, lid);
    if i < params.n {
        dst[i] = src[i];
    }
}
