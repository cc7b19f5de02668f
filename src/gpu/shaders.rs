//! The WGSL sources, embedded in the binary, and the one function that composes a loadable
//! module from them. build.rs includes this file too (`#[path]`), so the build validates exactly
//! what the runtime loads: keep it free of `crate::` paths.

/// Threads per workgroup of every kernel (`WG` in shaders/common.wgsl; build.rs checks every value in [`SHARED`]).
pub const WORKGROUP_SIZE: u32 = 256;

/// Items one workgroup folds in the first pass of a reduction (`REDUCE_CHUNK` in common.wgsl).
pub const REDUCE_CHUNK: u32 = 2048;

/// CSR rows with more entries than this are summed by a whole workgroup, one row per group
/// (`LONG_ROW` in common.wgsl; csr.rs lists them at upload).
pub const LONG_ROW: u32 = 32;

/// Listed long rows of up to this many entries are summed by `MEDIUM_ROW_THREADS` invocations
/// each (eight rows per workgroup); longer ones by a whole workgroup. Coarse levels of a model
/// with many heat pipes have thousands of rows of 33 to a few hundred entries, for which a whole
/// workgroup (and its eight-step tree) per row wasted most of its threads.
pub const MEDIUM_ROW: u32 = 512;
pub const MEDIUM_ROW_THREADS: u32 = 32;

/// A scalar slot left empty: the factor it stands for is 1 (`NO_SCALAR` in common.wgsl).
pub const NO_SCALAR: u32 = u32::MAX;

/// Target code of a traced ray that escapes to space (`SPACE` in trace.wgsl).
pub const RAY_TO_SPACE: u32 = u32::MAX;
/// Target code of a traced ray that escapes into the Earth's disc (`EARTH` in trace.wgsl).
pub const RAY_TO_EARTH: u32 = u32::MAX - 1;
/// The ray generator's key constants (`GOLDEN`, `PAIRING` in trace.wgsl; src/radiation/rng.rs).
pub const RAY_GOLDEN: u32 = 0x9e37_79b9;
pub const RAY_PAIRING: u32 = 0x68e3_1da4;

/// Every constant the host shares with the WGSL: (file, the WGSL `const`, the host's value).
/// build.rs fails when a file's constant differs from the host's or is missing.
pub const SHARED: [(&str, &str, u32); 8] = [
    ("common.wgsl", "WG", WORKGROUP_SIZE),
    ("common.wgsl", "REDUCE_CHUNK", REDUCE_CHUNK),
    ("common.wgsl", "LONG_ROW", LONG_ROW),
    ("common.wgsl", "NO_SCALAR", NO_SCALAR),
    ("trace.wgsl", "SPACE", RAY_TO_SPACE),
    ("trace.wgsl", "EARTH", RAY_TO_EARTH),
    ("trace.wgsl", "GOLDEN", RAY_GOLDEN),
    ("trace.wgsl", "PAIRING", RAY_PAIRING),
];

/// The file prepended to every other shader.
pub const COMMON: (&str, &str) = ("common.wgsl", include_str!("../../shaders/common.wgsl"));

/// Every kernel file in shaders/ except common.wgsl. build.rs fails if one is missing here.
pub const FILES: [(&str, &str); 11] = [
    (
        "chebyshev.wgsl",
        include_str!("../../shaders/chebyshev.wgsl"),
    ),
    ("copy.wgsl", include_str!("../../shaders/copy.wgsl")),
    (
        "csr_matvec.wgsl",
        include_str!("../../shaders/csr_matvec.wgsl"),
    ),
    ("diagonal.wgsl", include_str!("../../shaders/diagonal.wgsl")),
    ("grid.wgsl", include_str!("../../shaders/grid.wgsl")),
    (
        "grid_rest.wgsl",
        include_str!("../../shaders/grid_rest.wgsl"),
    ),
    ("reduce.wgsl", include_str!("../../shaders/reduce.wgsl")),
    ("residual.wgsl", include_str!("../../shaders/residual.wgsl")),
    (
        "stencil_matvec.wgsl",
        include_str!("../../shaders/stencil_matvec.wgsl"),
    ),
    ("trace.wgsl", include_str!("../../shaders/trace.wgsl")),
    ("vector.wgsl", include_str!("../../shaders/vector.wgsl")),
];

/// The module text for one kernel file: common.wgsl, then the file.
pub fn compose(common: &str, body: &str) -> String {
    let mut text = String::with_capacity(common.len() + body.len() + 1);
    text.push_str(common);
    if !common.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(body);
    text
}

/// One compute entry point and the file that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kernel {
    Residual,
    StencilMatvec,
    CsrMatvec,
    CsrMatvecAdd,
    CsrMatvecLong,
    CsrMatvecAddLong,
    SetDiagonal,
    Axpy,
    Xpay,
    Mul,
    VecCopy,
    DotPartial,
    MaxAbsPartial,
    SumFinal,
    MaxFinal,
    CopyBandwidth,
    ChebStart,
    ChebCorrection,
    ChebCorrectionLong,
    GridMatvec,
    GridResidual,
    GridChebCorrection,
    GridRest,
    GridRestLong,
    TraceRays,
}

impl Kernel {
    pub const ALL: [Kernel; 25] = [
        Kernel::Residual,
        Kernel::StencilMatvec,
        Kernel::CsrMatvec,
        Kernel::CsrMatvecAdd,
        Kernel::CsrMatvecLong,
        Kernel::CsrMatvecAddLong,
        Kernel::SetDiagonal,
        Kernel::Axpy,
        Kernel::Xpay,
        Kernel::Mul,
        Kernel::VecCopy,
        Kernel::DotPartial,
        Kernel::MaxAbsPartial,
        Kernel::SumFinal,
        Kernel::MaxFinal,
        Kernel::CopyBandwidth,
        Kernel::ChebStart,
        Kernel::ChebCorrection,
        Kernel::ChebCorrectionLong,
        Kernel::GridMatvec,
        Kernel::GridResidual,
        Kernel::GridChebCorrection,
        Kernel::GridRest,
        Kernel::GridRestLong,
        Kernel::TraceRays,
    ];

    /// The kernels of a CG solve preconditioned by a V-cycle (solve/gpu/solver/, solve/gpu/vcycle/).
    pub const SOLVE: [Kernel; 18] = [
        Kernel::CsrMatvec,
        Kernel::CsrMatvecAdd,
        Kernel::CsrMatvecLong,
        Kernel::CsrMatvecAddLong,
        Kernel::SetDiagonal,
        Kernel::Axpy,
        Kernel::Xpay,
        Kernel::VecCopy,
        Kernel::DotPartial,
        Kernel::SumFinal,
        Kernel::ChebStart,
        Kernel::ChebCorrection,
        Kernel::ChebCorrectionLong,
        Kernel::GridMatvec,
        Kernel::GridResidual,
        Kernel::GridChebCorrection,
        Kernel::GridRest,
        Kernel::GridRestLong,
    ];

    /// The shader file (a name in `FILES`).
    pub fn file(self) -> &'static str {
        match self {
            Kernel::Residual => "residual.wgsl",
            Kernel::StencilMatvec => "stencil_matvec.wgsl",
            Kernel::CsrMatvec
            | Kernel::CsrMatvecAdd
            | Kernel::CsrMatvecLong
            | Kernel::CsrMatvecAddLong => "csr_matvec.wgsl",
            Kernel::SetDiagonal => "diagonal.wgsl",
            Kernel::Axpy | Kernel::Xpay | Kernel::Mul | Kernel::VecCopy => "vector.wgsl",
            Kernel::DotPartial | Kernel::MaxAbsPartial | Kernel::SumFinal | Kernel::MaxFinal => {
                "reduce.wgsl"
            }
            Kernel::CopyBandwidth => "copy.wgsl",
            Kernel::ChebStart | Kernel::ChebCorrection | Kernel::ChebCorrectionLong => {
                "chebyshev.wgsl"
            }
            Kernel::GridMatvec | Kernel::GridResidual | Kernel::GridChebCorrection => "grid.wgsl",
            Kernel::GridRest | Kernel::GridRestLong => "grid_rest.wgsl",
            Kernel::TraceRays => "trace.wgsl",
        }
    }

    /// The WGSL entry point.
    pub fn entry(self) -> &'static str {
        match self {
            Kernel::Residual => "residual",
            Kernel::StencilMatvec => "stencil_matvec",
            Kernel::CsrMatvec => "csr_matvec",
            Kernel::CsrMatvecAdd => "csr_matvec_add",
            Kernel::CsrMatvecLong => "csr_matvec_long",
            Kernel::CsrMatvecAddLong => "csr_matvec_add_long",
            Kernel::SetDiagonal => "set_diagonal",
            Kernel::Axpy => "vec_axpy",
            Kernel::Xpay => "vec_xpay",
            Kernel::Mul => "vec_mul",
            Kernel::VecCopy => "vec_copy",
            Kernel::DotPartial => "dot_partial",
            Kernel::MaxAbsPartial => "max_abs_partial",
            Kernel::SumFinal => "sum_final",
            Kernel::MaxFinal => "max_final",
            Kernel::CopyBandwidth => "copy_bandwidth",
            Kernel::ChebStart => "cheb_start",
            Kernel::ChebCorrection => "cheb_correction",
            Kernel::ChebCorrectionLong => "cheb_correction_long",
            Kernel::GridMatvec => "grid_matvec",
            Kernel::GridResidual => "grid_residual",
            Kernel::GridChebCorrection => "grid_cheb_correction",
            Kernel::GridRest => "grid_rest",
            Kernel::GridRestLong => "grid_rest_long",
            Kernel::TraceRays => "trace_rays",
        }
    }
}

/// The composed module text of a kernel file, or None for a name not in `FILES`.
pub fn module_source(file: &str) -> Option<String> {
    FILES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, body)| compose(COMMON.1, body))
}
