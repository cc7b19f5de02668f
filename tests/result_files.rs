//! Result files of a steady solve, read back with independent readers: the VTU with an XML parser
//! (xml-rs), the PNG with the png crate's decoder.

mod common;

use common::panels::Panel;
use common::*;
use std::collections::HashMap;
use std::path::Path;
use xml::reader::{EventReader, XmlEvent};

/// Every DataArray of a VTU file: Name (or the parent element for unnamed ones) -> numbers.
fn vtu_arrays(path: &Path) -> (HashMap<String, Vec<f64>>, HashMap<String, String>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("vtu"));
    let mut arrays = HashMap::new();
    let mut piece = HashMap::new();
    let mut stack: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for event in EventReader::new(file) {
        match event.expect("well-formed XML") {
            XmlEvent::StartElement {
                name, attributes, ..
            } => {
                let attr = |k: &str| {
                    attributes
                        .iter()
                        .find(|a| a.name.local_name == k)
                        .map(|a| a.value.clone())
                };
                if name.local_name == "Piece" || name.local_name == "VTKFile" {
                    for a in &attributes {
                        piece.insert(a.name.local_name.clone(), a.value.clone());
                    }
                }
                if name.local_name == "DataArray" {
                    current = Some(
                        attr("Name").unwrap_or_else(|| stack.last().cloned().unwrap_or_default()),
                    );
                }
                stack.push(name.local_name);
            }
            XmlEvent::Characters(text) => {
                if let Some(name) = &current {
                    let numbers: Vec<f64> = text
                        .split_whitespace()
                        .map(|x| x.parse().expect("number"))
                        .collect();
                    arrays
                        .entry(name.clone())
                        .or_insert_with(Vec::new)
                        .extend(numbers);
                }
            }
            XmlEvent::EndElement { name } => {
                if name.local_name == "DataArray" {
                    current = None;
                }
                stack.pop();
            }
            _ => {}
        }
    }
    (arrays, piece)
}

#[test]
fn the_vtu_holds_one_quad_per_cell_with_the_solved_fields() {
    let s = Scenario::new("full.toml", FULL);
    let (vtu, csv) = (s.out("field.vtu"), s.out("cells.csv"));
    s.solve(&[
        "--backend",
        "cpu",
        "--quiet",
        "--vtu",
        vtu.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ])
    .expect_code(0);
    let (arrays, piece) = vtu_arrays(&vtu);
    assert_eq!(piece["type"], "UnstructuredGrid");
    let n_cells: usize = piece["NumberOfCells"].parse().unwrap();
    let n_points: usize = piece["NumberOfPoints"].parse().unwrap();
    assert_eq!(n_cells, 10 * 8 + 4 * 4);
    assert_eq!(n_points, 11 * 9 + 5 * 5);
    let points = &arrays["Points"];
    assert_eq!(points.len(), 3 * n_points);
    let connectivity = &arrays["connectivity"];
    assert_eq!(connectivity.len(), 4 * n_cells);
    assert!(connectivity.iter().all(|&i| (i as usize) < n_points));
    assert_eq!(
        arrays["offsets"].last().copied(),
        Some(4.0 * n_cells as f64)
    );
    assert!(arrays["types"].iter().all(|&t| t == 9.0), "VTK_QUAD");
    for name in [
        "temperature_k",
        "absorbed_w",
        "absorbed_w_m2",
        "emitted_w",
        "panel_id",
    ] {
        assert_eq!(arrays[name].len(), n_cells, "{name}");
    }
    // Cell by cell against the cell CSV: the quad's centroid is the cell centre, the fields match.
    let text = read(&csv);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), n_cells);
    for (c, row) in rows.iter().enumerate() {
        let corner = |k: usize| {
            let p = connectivity[4 * c + k] as usize;
            [points[3 * p], points[3 * p + 1], points[3 * p + 2]]
        };
        for axis in 0..3 {
            let centroid = (0..4).map(|k| corner(k)[axis]).sum::<f64>() / 4.0;
            let expected: f64 = row[3 + axis].parse().unwrap();
            assert_abs(centroid, expected, 1e-12, "cell centre");
        }
        assert_eq!(arrays["temperature_k"][c], row[6].parse::<f64>().unwrap());
        assert_eq!(arrays["absorbed_w"][c], row[7].parse::<f64>().unwrap());
        assert_eq!(arrays["emitted_w"][c], row[8].parse::<f64>().unwrap());
        let panel_id = if row[0] == "radiator" { 0.0 } else { 1.0 };
        assert_eq!(arrays["panel_id"][c], panel_id);
    }
}

fn hot_spot() -> String {
    format!(
        r#"name = "hot spot"
[environment]
sink_k = 3.0

[materials.al]
conductivity_w_mk = 20.0

[coatings.white]
absorptivity = 0.2
emissivity = 0.9

{plate}
{cold}
[[payloads]]
name = "chip"
model = "custom"
panel = "plate"
center_m = [0.7, 0.2]
size_m = [0.12, 0.1]
junction_to_panel_k_w = 0.0
power_w = 200.0
limit_c = 500.0
"#,
        plate = Panel::plate("plate", [1.0, 0.6], [50, 30], "white", "white").toml("al", 0.001),
        cold = Panel::plate("cold", [0.5, 0.5], [5, 5], "white", "white")
            .at([0.0, 0.0, -1.0])
            .toml("al", 0.001),
    )
}

fn decode(path: &Path) -> (png::OutputInfo, Vec<u8>, HashMap<String, String>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("one frame");
    let text = reader
        .info()
        .uncompressed_latin1_text
        .iter()
        .map(|t| (t.keyword.clone(), t.text.clone()))
        .collect();
    buf.truncate(info.buffer_size());
    (info, buf, text)
}

#[test]
fn the_png_map_is_hottest_on_the_payload_footprint() {
    let s = Scenario::new("hot.toml", &hot_spot());
    let png_path = s.out("map.png");
    s.solve(&[
        "--backend",
        "cpu",
        "--quiet",
        "--png",
        png_path.to_str().unwrap(),
    ])
    .expect_code(0);
    let (info, pixels, text) = decode(&png_path);
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let at = |x: usize, y: usize| {
        let k = 3 * (y * info.width as usize + x);
        [pixels[k], pixels[k + 1], pixels[k + 2]]
    };
    let nums = |key: &str| -> Vec<f64> {
        text.get(key)
            .unwrap_or_else(|| panic!("no text chunk {key}: {text:?}"))
            .split(' ')
            .map(|x| x.parse().unwrap())
            .collect()
    };
    let bar = nums("skysink:colorbar");
    let hottest_colour = at(bar[0] as usize + 2, bar[1] as usize);
    let coldest_colour = at(bar[0] as usize + 2, (bar[1] + bar[3] - 1.0) as usize);
    assert_ne!(
        hottest_colour, coldest_colour,
        "the colour bar spans the range"
    );
    let p = nums("skysink:panel:plate");
    let (x0, y0, w, h, lu, lv) = (p[0], p[1], p[2], p[3], p[4], p[5]);
    assert_eq!((lu, lv), (1.0, 0.6));
    assert!(nums("skysink:panel:cold").len() == 6);
    let mut hot = Vec::new();
    for y in y0 as usize..(y0 + h) as usize {
        for x in x0 as usize..(x0 + w) as usize {
            if at(x, y) == hottest_colour {
                // Back to panel coordinates: u to the right, v upwards.
                let u = (x as f64 + 0.5 - x0) / w * lu;
                let v = lv - (y as f64 + 0.5 - y0) / h * lv;
                hot.push((u, v));
            }
        }
    }
    assert!(
        !hot.is_empty(),
        "no pixel has the colour of the top of the colour bar"
    );
    for (u, v) in &hot {
        assert!(
            (u - 0.7).abs() <= 0.06 + 0.02 && (v - 0.2).abs() <= 0.05 + 0.02,
            "hottest pixel at ({u}, {v}) is off the footprint centred at (0.7, 0.2)"
        );
    }
    // The footprint is outlined: white pixels along its edge inside the map.
    let edge_y = (y0 + (lv - 0.25) / lv * h) as usize;
    let whites = (edge_y - 1..=edge_y + 1)
        .flat_map(|y| (x0 as usize..(x0 + w) as usize).map(move |x| (x, y)))
        .filter(|&(x, y)| at(x, y) == [255, 255, 255])
        .count();
    assert!(whites >= 5, "no footprint outline on row {edge_y}");
}

#[test]
fn unwritable_file_paths_are_refused_before_solving() {
    let s = Scenario::new("full.toml", FULL);
    for flag in ["--vtu", "--png"] {
        let r = s.solve(&["--backend", "cpu", flag, "/nonexistent-folder/x.out"]);
        r.expect_code(2);
        assert!(
            r.stderr.contains(flag) && r.stderr.contains("does not exist"),
            "{}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("backend cpu"),
            "refused before solving: {}",
            r.stderr
        );
        let r = s.solve(&["--backend", "cpu", flag, "-"]);
        r.expect_code(2);
    }
}
