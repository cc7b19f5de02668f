//! Result files (SCENARIO.md section 8): the cell field for ParaView (`--vtu`), temperature maps of
//! the panels (`solve --png`) and the sweep plot (`sweep --png`). Writers only format: every number
//! comes from the Model and the solved temperatures.

mod canvas;
pub mod maps;
pub mod plot;
pub mod vtu;
