// stencil_matvec.wgsl: y = (K + D) x on one structured panel, one dispatch per panel.
// K is the conduction matrix of the 5-point stencil (row c: sum over neighbours of G (x_c - x_nb),
// the sign of the Newton matrix -dr/dT), D a diagonal array (e.g. 4 sigma e T^3).

@group(0) @binding(0) var<uniform> panel: Panel;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> d: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn stencil_matvec(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = linear_index(wid, nwg, lid);
    if k >= panel.nu * panel.nv {
        return;
    }
    let i = k % panel.nu;
    let j = k / panel.nu;
    let c = panel.first + k;
    let xc = x[c];
    // A missing neighbour reads the cell itself: its term is exactly zero, without a branch.
    let west = select(c, c - 1u, i > 0u);
    let east = select(c, c + 1u, i + 1u < panel.nu);
    let south = select(c, c - panel.nu, j > 0u);
    let north = select(c, c + panel.nu, j + 1u < panel.nv);
    let acc = d[c] * xc + panel.g_u * ((xc - x[west]) + (xc - x[east]))
        + panel.g_v * ((xc - x[south]) + (xc - x[north]));
    y[c] = acc;
}
