//! What the stacked hierarchy allocates on the device, array by array, before anything is
//! uploaded: the solver checks it against the adapter's limits (solver/stack.rs).

use super::super::grid_split::GridSplit;
use super::upload::strides;
use crate::solve::linalg::amg::{AmgExport, CoarseExport};

/// One array of the device memory estimate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceArray {
    pub name: String,
    pub bytes: u64,
    /// Whether the upload splits it into row blocks (CSR arrays; csr.rs) rather than binding
    /// it whole (vectors).
    pub split: bool,
}

/// Every array the device hierarchy allocates, for the memory estimate (the finest level as
/// CSR).
pub fn array_bytes(export: &AmgExport<'_>) -> Vec<DeviceArray> {
    stack_array_bytes(&[export], None)
}

/// Every array the stacked hierarchy of `exports` allocates, its finest level in the grid form
/// `finest_grid` or, with `None`, as CSR.
pub fn stack_array_bytes(
    exports: &[&AmgExport<'_>],
    finest_grid: Option<&GridSplit>,
) -> Vec<DeviceArray> {
    let lanes = exports.len() as u64;
    let strides = strides(exports);
    let mut arrays = Vec::new();
    let mut grid_arrays = Vec::new();
    let mut csr = |what: String, rows: u64, nnz: u64| {
        for (part, bytes) in [
            ("row pointers", 4 * (rows + 1)),
            ("column indices", 4 * nnz),
            ("values", 4 * nnz),
        ] {
            arrays.push(DeviceArray {
                name: format!("{what} {part}"),
                bytes,
                split: true,
            });
        }
    };
    let total =
        |f: &dyn Fn(&AmgExport<'_>) -> usize| -> u64 { exports.iter().map(|e| f(e) as u64).sum() };
    for (l, &stride) in strides.iter().enumerate() {
        let rows = lanes * stride as u64;
        match finest_grid.filter(|_| l == 0) {
            Some(split) => {
                let rest = &split.rest;
                for (part, bytes) in [
                    ("diagonal", 4 * split.diag.len()),
                    ("panels", 32 * split.panels.len()),
                    ("rest rows", 4 * (rest.row_ptr.len() + 2 * rest.rows.len())),
                    ("rest entries", 8 * rest.col.len()),
                ] {
                    grid_arrays.push(DeviceArray {
                        name: format!("level 0 grid {part}"),
                        bytes: bytes as u64,
                        split: false,
                    });
                }
            }
            None => csr(
                format!("level {l} matrix"),
                rows,
                total(&|e| e.levels.get(l).map_or(0, |x| x.a.values.len())),
            ),
        }
        let transfer = |e: &AmgExport<'_>, which: usize| {
            e.levels
                .get(l)
                .and_then(|x| x.transfer.as_ref())
                .map_or(0, |(p, r)| [p, r][which].values.len())
        };
        if let Some(&next) = strides.get(l + 1) {
            csr(
                format!("level {l} prolongation"),
                rows,
                total(&|e| transfer(e, 0)),
            );
            csr(
                format!("level {l} restriction"),
                lanes * next as u64,
                total(&|e| transfer(e, 1)),
            );
        }
    }
    if let Some(&coarsest) = strides.last() {
        let dense = |e: &AmgExport<'_>| match &e.coarse {
            CoarseExport::DenseInverse(values) => values.len(),
            CoarseExport::Sweeps(_) => 0,
        };
        let entries = total(&dense);
        if entries > 0 {
            csr(
                "coarsest inverse".to_string(),
                lanes * coarsest as u64,
                entries,
            );
        }
    }
    arrays.extend(grid_arrays);
    for (l, &stride) in strides.iter().enumerate() {
        for name in ["inverse diagonal", "b", "x", "r", "d"] {
            arrays.push(DeviceArray {
                name: format!("level {l} {name}"),
                bytes: 4 * lanes * stride as u64,
                split: false,
            });
        }
    }
    arrays
}
