//! `--vtu`: the cell field as a VTK XML UnstructuredGrid (ASCII) that ParaView opens. One quad
//! per cell, corners in the body frame (shared within a panel); cell data `temperature_k`,
//! `absorbed_w`, `absorbed_w_m2`, `emitted_w` and `panel_id` (the panel's index in the scenario file,
//! from 0).
//!
//! A transient can write one file per output time with [`write_vtu`] and list them with
//! [`write_pvd`] (a ParaView collection).

use std::io::{self, Write};

use crate::model::Model;

/// Write one VTU file of `model` at temperatures `t` (K, per node; only cells are written).
pub fn write_vtu(model: &Model, t: &[f64], out: &mut impl Write) -> io::Result<()> {
    let n_points: usize = model
        .panels
        .iter()
        .map(|p| (p.cells[0] + 1) * (p.cells[1] + 1))
        .sum();
    let n_cells = model.n_cells;
    writeln!(out, "<?xml version=\"1.0\"?>")?;
    writeln!(
        out,
        "<VTKFile type=\"UnstructuredGrid\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">"
    )?;
    writeln!(out, "<UnstructuredGrid>")?;
    writeln!(
        out,
        "<Piece NumberOfPoints=\"{n_points}\" NumberOfCells=\"{n_cells}\">"
    )?;
    writeln!(out, "<Points>")?;
    writeln!(
        out,
        "<DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">"
    )?;
    for p in &model.panels {
        let du = p.length[0] / p.cells[0] as f64;
        let dv = p.length[1] / p.cells[1] as f64;
        for j in 0..=p.cells[1] {
            for i in 0..=p.cells[0] {
                let (x, y) = (i as f64 * du, j as f64 * dv);
                let c: [f64; 3] =
                    std::array::from_fn(|k| p.origin[k] + x * p.u_dir[k] + y * p.v_dir[k]);
                writeln!(out, "{:?} {:?} {:?}", c[0], c[1], c[2])?;
            }
        }
    }
    writeln!(out, "</DataArray>")?;
    writeln!(out, "</Points>")?;
    writeln!(out, "<Cells>")?;
    writeln!(
        out,
        "<DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">"
    )?;
    let mut base = 0usize;
    for p in &model.panels {
        let row = p.cells[0] + 1;
        for j in 0..p.cells[1] {
            for i in 0..p.cells[0] {
                let a = base + i + row * j;
                writeln!(out, "{} {} {} {}", a, a + 1, a + 1 + row, a + row)?;
            }
        }
        base += row * (p.cells[1] + 1);
    }
    writeln!(out, "</DataArray>")?;
    writeln!(
        out,
        "<DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">"
    )?;
    for k in 1..=n_cells {
        writeln!(out, "{}", 4 * k)?;
    }
    writeln!(out, "</DataArray>")?;
    writeln!(
        out,
        "<DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">"
    )?;
    for _ in 0..n_cells {
        // VTK_QUAD
        writeln!(out, "9")?;
    }
    writeln!(out, "</DataArray>")?;
    writeln!(out, "</Cells>")?;
    writeln!(out, "<CellData Scalars=\"temperature_k\">")?;
    let cell_loop = |out: &mut dyn Write, f: &dyn Fn(usize, usize) -> String| -> io::Result<()> {
        for (pi, p) in model.panels.iter().enumerate() {
            for cell in p.cells_range() {
                writeln!(out, "{}", f(pi, cell))?;
            }
        }
        Ok(())
    };
    let emitted = crate::model::balance::emitted_w(model, t);
    let absorbed = crate::model::balance::absorbed_w(model);
    type CellValue<'a> = &'a dyn Fn(usize, usize) -> String;
    let arrays: [(&str, &str, CellValue); 5] = [
        ("temperature_k", "Float64", &|_, c| format!("{:?}", t[c])),
        ("absorbed_w", "Float64", &|_, c| {
            format!("{:?}", absorbed[c])
        }),
        ("absorbed_w_m2", "Float64", &|pi, c| {
            format!("{:?}", absorbed[c] / model.panels[pi].cell_area)
        }),
        ("emitted_w", "Float64", &|_, c| format!("{:?}", emitted[c])),
        ("panel_id", "Int32", &|pi, _| pi.to_string()),
    ];
    for (name, ty, f) in arrays {
        writeln!(
            out,
            "<DataArray type=\"{ty}\" Name=\"{name}\" format=\"ascii\">"
        )?;
        cell_loop(out, f)?;
        writeln!(out, "</DataArray>")?;
    }
    writeln!(out, "</CellData>")?;
    writeln!(out, "</Piece>")?;
    writeln!(out, "</UnstructuredGrid>")?;
    writeln!(out, "</VTKFile>")?;
    Ok(())
}

/// A ParaView collection (`.pvd`) listing VTU files by time (s): the series of a transient.
pub fn write_pvd(entries: &[(f64, String)], out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "<?xml version=\"1.0\"?>")?;
    writeln!(
        out,
        "<VTKFile type=\"Collection\" version=\"1.0\" byte_order=\"LittleEndian\">"
    )?;
    writeln!(out, "<Collection>")?;
    for (time, file) in entries {
        let file = file
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;");
        writeln!(
            out,
            "<DataSet timestep=\"{time:?}\" part=\"0\" file=\"{file}\"/>"
        )?;
    }
    writeln!(out, "</Collection>")?;
    writeln!(out, "</VTKFile>")?;
    Ok(())
}
