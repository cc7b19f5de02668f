//! Panels of the test scenarios: one panel of a scenario and its TOML (an axis-aligned plate is
//! the common case), the coatings of the radiation tests, and pairs of facing rectangles (the
//! parallel rectangles of reference case C3, the plates of C5).

use super::{tf, tv};

/// One panel of a test scenario.
pub struct Panel<'a> {
    pub name: &'a str,
    pub origin: [f64; 3],
    pub u: [f64; 3],
    pub v: [f64; 3],
    pub cells: [usize; 2],
    pub front: &'a str,
    pub back: &'a str,
}

impl<'a> Panel<'a> {
    /// An axis-aligned `size_m[0]` x `size_m[1]` panel with its corner at the origin: u along
    /// +x, v along +y (front facing +z), `cells` along u and v.
    pub fn plate(
        name: &'a str,
        size_m: [f64; 2],
        cells: [usize; 2],
        front: &'a str,
        back: &'a str,
    ) -> Panel<'a> {
        Panel {
            name,
            origin: [0.0, 0.0, 0.0],
            u: [size_m[0], 0.0, 0.0],
            v: [0.0, size_m[1], 0.0],
            cells,
            front,
            back,
        }
    }

    /// This panel moved so that its corner is at `origin`.
    pub fn at(self, origin: [f64; 3]) -> Panel<'a> {
        Panel { origin, ..self }
    }
}

impl Panel<'_> {
    /// The `[[panels]]` table of this panel, of `material` at `thickness_m`.
    pub fn toml(&self, material: &str, thickness_m: f64) -> String {
        format!(
            "[[panels]]\nname = \"{}\"\norigin_m = {}\nu_m = {}\nv_m = {}\ncells = [{}, {}]\n\
             thickness_m = {}\nmaterial = \"{material}\"\nfront = \"{}\"\nback = \"{}\"\n",
            self.name,
            tv(&self.origin),
            tv(&self.u),
            tv(&self.v),
            self.cells[0],
            self.cells[1],
            tf(thickness_m),
            self.front,
            self.back
        )
    }
}

/// Coatings of the radiation tests: black (1, 1), grey8 (0.5, 0.8), grey5 (0.5, 0.5), white
/// (0.3, 0.85).
pub const COATINGS: &str = r#"
[coatings.black]
absorptivity = 1.0
emissivity = 1.0
[coatings.grey8]
absorptivity = 0.5
emissivity = 0.8
[coatings.grey5]
absorptivity = 0.5
emissivity = 0.5
[coatings.white]
absorptivity = 0.3
emissivity = 0.85
"#;

/// Two `x` x `y` rectangles 1 m apart, fronts facing (the first at z = 0 facing +z, the
/// second at z = 1 facing -z), `cells` x `cells` each; `sides` gives each one's name, front
/// and back coatings.
pub fn facing_pair<'a>(
    x: f64,
    y: f64,
    cells: usize,
    sides: [(&'a str, &'a str, &'a str); 2],
) -> [Panel<'a>; 2] {
    let [(a, a_front, a_back), (b, b_front, b_back)] = sides;
    [
        Panel {
            name: a,
            origin: [0.0, 0.0, 0.0],
            u: [x, 0.0, 0.0],
            v: [0.0, y, 0.0],
            cells: [cells, cells],
            front: a_front,
            back: a_back,
        },
        Panel {
            name: b,
            origin: [0.0, 0.0, 1.0],
            u: [0.0, y, 0.0],
            v: [x, 0.0, 0.0],
            cells: [cells, cells],
            front: b_front,
            back: b_back,
        },
    ]
}

/// The C3 pair: [`facing_pair`] of black panels "a" and "b".
pub fn parallel_panels(x: f64, y: f64, cells: usize) -> [Panel<'static>; 2] {
    facing_pair(
        x,
        y,
        cells,
        [("a", "black", "black"), ("b", "black", "black")],
    )
}
