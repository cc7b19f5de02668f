//! `--csv` on a steady solve: one row per cell (SCENARIO.md section 8).

use std::io::Write;

use crate::model::Model;

pub fn write_cell_csv(model: &Model, t: &[f64], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "panel,i,j,x_m,y_m,z_m,t_k,absorbed_w,emitted_w")?;
    let emitted = crate::model::balance::emitted_w(model, t);
    let absorbed = crate::model::balance::absorbed_w(model);
    for panel in &model.panels {
        for j in 0..panel.cells[1] {
            for i in 0..panel.cells[0] {
                let cell = panel.cell_index(i, j);
                let [x, y, z] = panel.cell_center_body(i, j);
                writeln!(
                    out,
                    "{},{i},{j},{x:?},{y:?},{z:?},{:?},{:?},{:?}",
                    panel.name, t[cell], absorbed[cell], emitted[cell]
                )?;
            }
        }
    }
    Ok(())
}

/// `--csv` on a transient: the time series, one row for t = 0 and one per step. `in_eclipse`
/// is written as 0 or 1.
pub fn write_series_csv(
    series: &super::transient::TimeSeries,
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(out, "{}", series.header.join(","))?;
    let eclipse_column = series.header.iter().position(|h| h == "in_eclipse");
    for row in &series.rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(k, v)| {
                if Some(k) == eclipse_column {
                    format!("{}", *v as u8)
                } else {
                    format!("{v:?}")
                }
            })
            .collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}
