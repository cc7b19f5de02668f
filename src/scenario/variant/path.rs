//! Dotted paths to number-valued keys of a scenario (SCENARIO.md sections 6 and 7), applied to
//! the TOML document so that the normal parse and validation then judge the changed scenario.
//!
//! A path names tables by key, array items by their `name` (or by index where items have no
//! name), and vector components by index: `payloads.gpu0.center_m.0`. Two derived keys,
//! `panels.<name>.length_u_m` and `length_v_m`, stretch a panel's edge and scale the positions on
//! that panel with it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use toml_edit::{DocumentMut, Item, Value};

use crate::scenario::Scenario;

/// Whether the value at `path` must be a whole number.
pub fn is_integer_key(doc: &DocumentMut, path: &str) -> Result<bool, String> {
    match resolve(doc, path)? {
        Target::PanelLength { .. } => Ok(false),
        target => Ok(key_kind(doc, &target) == Some(Kind::Integer)),
    }
}

/// The kind of number a key takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Float,
    Integer,
}

/// The kind of number the key of `target` takes, asked of the scenario's serde schema itself
/// (never of how the file writes its number: `absorptivity = 0` is a float key written without a
/// point): the key set to 0.5, then to 1, in a copy of the document that is deserialized. None
/// where neither deserializes: the schema has no number there (an unknown key, a string, a
/// table). A key's kind depends only on its place in the schema, so each place is asked once
/// per process.
fn key_kind(doc: &DocumentMut, target: &Target) -> Option<Kind> {
    static KNOWN: Mutex<BTreeMap<String, Option<Kind>>> = Mutex::new(BTreeMap::new());
    let place = schema_place(target);
    if let Some(known) = KNOWN.lock().ok().and_then(|k| k.get(&place).copied()) {
        return known;
    }
    let takes = |value: Value| {
        let mut trial = doc.clone();
        write_target(&mut trial, target, value).is_ok()
            && toml::from_str::<Scenario>(&trial.to_string()).is_ok()
    };
    let kind = if takes(Value::from(0.5)) {
        Some(Kind::Float)
    } else if takes(Value::from(1)) {
        Some(Kind::Integer)
    } else {
        None
    };
    if let Ok(mut known) = KNOWN.lock() {
        known.insert(place, kind);
    }
    kind
}

/// Whether a key the file leaves out can be written as `end` asks.
fn takes(doc: &DocumentMut, missing: &Target, end: End) -> bool {
    match end {
        End::Number => key_kind(doc, missing).is_some(),
        End::Value(value) => {
            // A key the schema has: written even with a value of the wrong type, so that the
            // changed scenario's parse says what the key takes.
            let mut trial = doc.clone();
            (write_target(&mut trial, missing, value.clone()).is_ok()
                && toml::from_str::<Scenario>(&trial.to_string()).is_ok())
                || key_kind(doc, missing).is_some()
        }
        End::Existing => false,
    }
}

/// Replace the value at `path` whole with `value` (any type the key accepts; a case's `set`).
/// Numbers go through [`set`], so integer keys keep their rule.
pub fn set_value(doc: &mut DocumentMut, path: &str, value: &toml::Value) -> Result<(), String> {
    match value {
        toml::Value::Float(x) => return set(doc, path, *x),
        toml::Value::Integer(i) => return set(doc, path, *i as f64),
        _ => {}
    }
    let new = edit_value(value);
    match resolve_to(doc, path, End::Value(&new))? {
        Target::PanelLength { .. } => Err(format!("{path} takes a number")),
        target => write_target(doc, &target, new)
            .map_err(|()| format!("{path} does not exist in the scenario")),
    }
}

/// Remove the optional key at `path` (a case's `unset`).
pub fn unset(doc: &mut DocumentMut, path: &str) -> Result<(), String> {
    let target = resolve_to(doc, path, End::Existing)
        .map_err(|m| format!("{m}; unset removes keys the file gives"))?;
    let Target::Existing(mut steps) = target else {
        return Err(format!(
            "{path} is not a key the file gives; nothing to unset"
        ));
    };
    let Some(Step::Key(key)) = steps.pop() else {
        return Err(format!("{path} is an array item; unset removes keys"));
    };
    walk_mut(doc.as_item_mut(), &steps)
        .and_then(Item::as_table_like_mut)
        .and_then(|table| table.remove(&key))
        .map(|_| ())
        .ok_or_else(|| format!("{path} is not a key the file gives; nothing to unset"))
}

/// A TOML value as an editable one.
fn edit_value(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(x) => Value::from(*x),
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(d) => d
            .to_string()
            .parse::<toml_edit::Datetime>()
            .map_or_else(|_| Value::from(d.to_string()), Value::from),
        toml::Value::Array(items) => Value::Array(items.iter().map(edit_value).collect()),
        toml::Value::Table(table) => {
            let mut inline = toml_edit::InlineTable::new();
            for (k, v) in table {
                inline.insert(k, edit_value(v));
            }
            Value::InlineTable(inline)
        }
    }
}

/// The place of a target in the schema: its keys, with every array item as `*`.
fn schema_place(target: &Target) -> String {
    let step = |s: &Step| match s {
        Step::Key(k) => k.clone(),
        Step::Index(_) => "*".to_string(),
    };
    match target {
        Target::Existing(steps) => steps.iter().map(step).collect::<Vec<_>>().join("."),
        Target::Missing { table, key, top } => {
            let mut parts: Vec<String> = table.iter().map(step).collect();
            parts.extend(top.map(str::to_string));
            parts.push(key.clone());
            parts.join(".")
        }
        Target::PanelLength { .. } => String::new(),
    }
}

/// Check that `path` names a number-valued key of the document, without changing it.
pub fn check(doc: &DocumentMut, path: &str) -> Result<(), String> {
    resolve(doc, path).map(|_| ())
}

/// Whether two paths change the same number: equal, one inside the other (`u_m` and `u_m.0`),
/// or a panel's edge by either spelling (`length_u_m` sets the length of `u_m`).
pub fn overlap(a: &str, b: &str) -> bool {
    fn canonical(path: &str) -> Vec<&str> {
        let mut segments: Vec<&str> = path.split('.').collect();
        if let ["panels", _, last, ..] = segments.as_mut_slice() {
            match *last {
                "length_u_m" => *last = "u_m",
                "length_v_m" => *last = "v_m",
                _ => {}
            }
        }
        segments
    }
    let (a, b) = (canonical(a), canonical(b));
    let shared = a.len().min(b.len());
    a[..shared] == b[..shared]
}

/// Set the number at `path` to `value` (a whole number for an integer key).
pub fn set(doc: &mut DocumentMut, path: &str, value: f64) -> Result<(), String> {
    if !value.is_finite() {
        return Err(format!(
            "{value} is not allowed; every number must be finite"
        ));
    }
    match resolve(doc, path)? {
        Target::PanelLength { panel, axis } => set_panel_length(doc, panel, axis, value),
        target => {
            let integer = key_kind(doc, &target) == Some(Kind::Integer);
            let new = number(path, value, integer)?;
            write_target(doc, &target, new)
                .map_err(|()| format!("{path} does not exist in the scenario"))
        }
    }
}

/// Write `new` at an existing or missing key (a missing top-level table is made).
fn write_target(doc: &mut DocumentMut, target: &Target, new: Value) -> Result<(), ()> {
    match target {
        Target::Existing(steps) => {
            let item = walk_mut(doc.as_item_mut(), steps).ok_or(())?;
            replace_value(item, new);
            Ok(())
        }
        Target::Missing {
            top: Some(top),
            key,
            ..
        } => {
            let mut t = toml_edit::Table::new();
            t.insert(key, Item::Value(new));
            doc.insert(top, Item::Table(t));
            Ok(())
        }
        Target::Missing {
            table,
            key,
            top: None,
        } => {
            let parent = walk_mut(doc.as_item_mut(), table).ok_or(())?;
            parent
                .as_table_like_mut()
                .ok_or(())?
                .insert(key, Item::Value(new));
            Ok(())
        }
        Target::PanelLength { .. } => Err(()),
    }
}

fn number(path: &str, value: f64, integer: bool) -> Result<Value, String> {
    if integer {
        if value.fract() != 0.0 || value.abs() > 9.0e15 {
            return Err(format!(
                "{path} = {value} is not allowed; {path} is an integer key and takes whole values only"
            ));
        }
        Ok(Value::from(value as i64))
    } else {
        Ok(Value::from(value))
    }
}

fn replace_value(item: &mut Item, new: Value) {
    if let Item::Value(old) = item {
        let decor = old.decor().clone();
        *old = new;
        *old.decor_mut() = decor;
    } else {
        *item = Item::Value(new);
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

enum Target<'p> {
    Existing(Vec<Step>),
    /// `table` leads to an existing table; `top` names a top-level table the file leaves out.
    Missing {
        table: Vec<Step>,
        key: String,
        top: Option<&'p str>,
    },
    PanelLength {
        panel: &'p str,
        axis: usize,
    },
}

fn walk_mut<'a>(mut item: &'a mut Item, steps: &[Step]) -> Option<&'a mut Item> {
    for step in steps {
        item = match step {
            Step::Key(k) => {
                item.get(k.as_str())?;
                item.get_mut(k.as_str())?
            }
            Step::Index(i) => item.get_mut(*i)?,
        };
    }
    Some(item)
}

fn kind_of(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) | Item::Value(Value::InlineTable(_)) => "a table",
        Item::ArrayOfTables(_) | Item::Value(Value::Array(_)) => "an array",
        Item::Value(Value::String(_)) => "a string",
        Item::Value(Value::Boolean(_)) => "a boolean",
        Item::Value(Value::Datetime(_)) => "a date",
        Item::Value(Value::Integer(_)) | Item::Value(Value::Float(_)) => "a number",
    }
}

/// The names (or indices) of the items of an array, for messages.
fn item_names(item: &Item) -> Vec<String> {
    let count = match item {
        Item::ArrayOfTables(a) => a.len(),
        Item::Value(Value::Array(a)) => a.len(),
        _ => 0,
    };
    (0..count)
        .map(|i| {
            item.get(i)
                .and_then(|x| x.get("name"))
                .and_then(Item::as_str)
                .map_or(i.to_string(), str::to_string)
        })
        .collect()
}

fn number_keys(item: &Item) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(t) = item.as_table_like() {
        for (k, v) in t.iter() {
            if matches!(
                v.as_value(),
                Some(Value::Integer(_) | Value::Float(_) | Value::Array(_))
            ) {
                keys.push(k.to_string());
            }
        }
    }
    keys
}

/// What a path must end at.
#[derive(Clone, Copy)]
enum End<'v> {
    /// A number, existing or an optional key the schema has a number for (sweeps, sizing).
    Number,
    /// Any key that takes this value whole, existing or optional (a case's `set`).
    Value(&'v Value),
    /// An existing key (a case's `unset`).
    Existing,
}

fn resolve<'p>(doc: &DocumentMut, path: &'p str) -> Result<Target<'p>, String> {
    resolve_to(doc, path, End::Number)
}

fn resolve_to<'p>(doc: &DocumentMut, path: &'p str, end: End) -> Result<Target<'p>, String> {
    let root = doc.as_item();
    let segments: Vec<&str> = path.split('.').collect();
    if path.is_empty() || segments.iter().any(|s| s.is_empty()) {
        return Err(format!(
            "\"{path}\" is not a path; write dotted keys such as \"payloads.gpu0.power_w\""
        ));
    }
    if let ["panels", panel, which @ ("length_u_m" | "length_v_m")] = segments.as_slice() {
        let names = item_names(root.get("panels").unwrap_or(&Item::None));
        if !names.iter().any(|n| n == panel) {
            return Err(format!(
                "{path}: panel \"{panel}\" does not exist; allowed: one of [{}]",
                names.join(", ")
            ));
        }
        let axis = usize::from(*which == "length_v_m");
        return Ok(Target::PanelLength { panel, axis });
    }
    let kind = segments[0];
    let mut steps = Vec::new();
    let mut item = root;
    for (depth, segment) in segments.iter().enumerate() {
        let here = if depth == 0 {
            "the scenario".to_string()
        } else {
            segments[..depth].join(".")
        };
        let next = match item {
            Item::Table(_) | Item::Value(Value::InlineTable(_)) => match item.get(*segment) {
                Some(next) => {
                    steps.push(Step::Key(segment.to_string()));
                    next
                }
                None => {
                    // A key the file leaves out (it has a default, or is optional) can still be
                    // set when the schema has a number there.
                    let missing = if depth > 0 && depth + 1 == segments.len() {
                        Some(Target::Missing {
                            table: steps,
                            key: segment.to_string(),
                            top: None,
                        })
                    } else if depth == 0 && segments.len() == 2 {
                        Some(Target::Missing {
                            table: Vec::new(),
                            key: segments[1].to_string(),
                            top: Some(kind),
                        })
                    } else {
                        None
                    };
                    if let Some(missing) = missing
                        && takes(doc, &missing, end)
                    {
                        return Ok(missing);
                    }
                    let keys = if depth == 0 {
                        "environment, materials, coatings, panels, heat_pipes, links, fixed_temperatures, payloads, solve".to_string()
                    } else {
                        let mut keys = number_keys(item);
                        if segments.first() == Some(&"panels") && depth == 2 {
                            keys.extend(["length_u_m".to_string(), "length_v_m".to_string()]);
                        }
                        keys.join(", ")
                    };
                    return Err(format!(
                        "{path}: {here} has no key \"{segment}\"; allowed here: [{keys}]"
                    ));
                }
            },
            Item::ArrayOfTables(_) | Item::Value(Value::Array(_)) => {
                let names = item_names(item);
                let index = names
                    .iter()
                    .position(|n| n == segment)
                    .or_else(|| segment.parse::<usize>().ok().filter(|&i| i < names.len()));
                match index {
                    Some(i) => {
                        steps.push(Step::Index(i));
                        item.get(i).unwrap_or(&Item::None)
                    }
                    None => {
                        return Err(format!(
                            "{path}: {here} has no item \"{segment}\"; allowed: [{}]",
                            names.join(", ")
                        ));
                    }
                }
            }
            other => {
                return Err(format!(
                    "{path}: {here} is {}, which has no key \"{segment}\"",
                    kind_of(other)
                ));
            }
        };
        item = next;
    }
    match (item, end) {
        (Item::Value(Value::Integer(_) | Value::Float(_)), _) => Ok(Target::Existing(steps)),
        (_, End::Value(_) | End::Existing) => Ok(Target::Existing(steps)),
        (other, End::Number) => Err(format!(
            "{path} is {}, not a number; a path must end at a number, or at a vector component by its index (e.g. \"{path}.0\")",
            kind_of(other)
        )),
    }
}

fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Float(f) => Some(*f.value()),
        Value::Integer(i) => Some(*i.value() as f64),
        _ => None,
    }
}

/// Multiply component `axis` of the vector at `key` of a table-like item by `factor`.
fn scale_component(table: &mut Item, key: &str, axis: usize, factor: f64) {
    if table.get(key).is_none() {
        return;
    }
    if let Some(component) = table.get_mut(key).and_then(|v| v.get_mut(axis))
        && let Some(x) = component.as_value().and_then(as_f64)
    {
        replace_value(component, Value::from(x * factor));
    }
}

fn on_panel(item: &Item, panel: &str) -> bool {
    item.get("panel").and_then(Item::as_str) == Some(panel)
}

/// Set |u_m| or |v_m| of a panel, keeping direction and origin, and scale the positions on that
/// panel along the stretched edge (SCENARIO.md section 7). Sizes do not scale.
fn set_panel_length(
    doc: &mut DocumentMut,
    panel: &str,
    axis: usize,
    length: f64,
) -> Result<(), String> {
    let edge_key = ["u_m", "v_m"][axis];
    let path = format!("panels.{panel}.length_{}_m", ["u", "v"][axis]);
    if length <= 0.0 {
        return Err(format!(
            "{path} = {length} is not allowed; a length must be > 0"
        ));
    }
    let panels = doc
        .as_item_mut()
        .get_mut("panels")
        .ok_or(format!("{path}: no panels"))?;
    let index = item_names(panels)
        .iter()
        .position(|n| n == panel)
        .ok_or(format!("{path}: panel \"{panel}\" does not exist"))?;
    let edge = panels
        .get_mut(index)
        .and_then(|p| p.get_mut(edge_key))
        .ok_or(format!("{path}: panel \"{panel}\" has no {edge_key}"))?;
    let components: Vec<f64> = (0..3)
        .map(|k| {
            edge.get(k)
                .and_then(Item::as_value)
                .and_then(as_f64)
                .unwrap_or(f64::NAN)
        })
        .collect();
    let old = components.iter().map(|x| x * x).sum::<f64>().sqrt();
    if !(old.is_finite() && old > 0.0) {
        return Err(format!(
            "{path}: panel \"{panel}\" has a zero or malformed {edge_key}, which cannot be stretched"
        ));
    }
    let factor = length / old;
    for (k, component) in components.iter().enumerate() {
        if let Some(c) = edge.get_mut(k) {
            replace_value(c, Value::from(component * factor));
        }
    }
    let count =
        |doc: &DocumentMut, key: &str| item_names(doc.get(key).unwrap_or(&Item::None)).len();
    for list in ["payloads", "fixed_temperatures"] {
        for i in 0..count(doc, list) {
            if let Some(item) = doc.as_item_mut().get_mut(list).and_then(|l| l.get_mut(i))
                && on_panel(item, panel)
            {
                scale_component(item, "center_m", axis, factor);
            }
        }
    }
    for i in 0..count(doc, "heat_pipes") {
        let Some(pipe) = doc
            .as_item_mut()
            .get_mut("heat_pipes")
            .and_then(|l| l.get_mut(i))
        else {
            continue;
        };
        if on_panel(pipe, panel) {
            scale_component(pipe, "from_m", axis, factor);
            scale_component(pipe, "to_m", axis, factor);
        }
        if pipe.get("segments").is_some()
            && let Some(segments) = pipe.get_mut("segments")
        {
            for k in 0..item_names(segments).len() {
                if let Some(segment) = segments.get_mut(k)
                    && on_panel(segment, panel)
                {
                    scale_component(segment, "from_m", axis, factor);
                    scale_component(segment, "to_m", axis, factor);
                }
            }
        }
    }
    for i in 0..count(doc, "links") {
        let Some(link) = doc
            .as_item_mut()
            .get_mut("links")
            .and_then(|l| l.get_mut(i))
        else {
            continue;
        };
        for end in ["a", "b"] {
            if link.get(end).is_some()
                && let Some(end) = link.get_mut(end)
                && on_panel(end, panel)
            {
                for key in ["from_m", "to_m", "at_m"] {
                    scale_component(end, key, axis, factor);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid scenario: a key's type is asked of the schema by deserializing the document.
    const BASE: &str = r#"name = "x"
[materials.al]
conductivity_w_mk = 167.0
[coatings.white]
absorptivity = 0
emissivity = 0.85
[[panels]]
name = "r"
origin_m = [0.0, 0.0, 0.0]
u_m = [2.0, 0.0, 0.0]
v_m = [0, 1, 0]
cells = [4, 2]
thickness_m = 0.002
material = "al"
front = "white"
back = "white"
[[panels]]
name = "q"
origin_m = [0.0, 2.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 1.0, 0.0]
cells = [2, 2]
thickness_m = 0.002
material = "al"
front = "white"
back = "white"
[[payloads]]
name = "g"
model = "custom"
power_w = 100
limit_c = 90.0
panel = "r"
center_m = [1.0, 0.5]
size_m = [0.2, 0.2]
junction_to_panel_k_w = 0.1
[[links]]
name = "l"
a = { panel = "r", at_m = [0.5, 0.5] }
b = { panel = "q", at_m = [0.5, 0.5] }
conductance_w_k = 1.0
"#;

    fn doc() -> DocumentMut {
        BASE.parse().unwrap()
    }

    #[test]
    fn paths_overlap_when_they_change_the_same_number() {
        assert!(overlap("payloads.gpu0.power_w", "payloads.gpu0.power_w"));
        assert!(overlap("panels.r.u_m", "panels.r.u_m.0"));
        assert!(overlap("panels.r.length_u_m", "panels.r.u_m.2"));
        assert!(overlap("panels.r.v_m.1", "panels.r.length_v_m"));
        assert!(!overlap("panels.r.length_u_m", "panels.r.v_m.0"));
        assert!(!overlap("panels.r.length_u_m", "panels.s.u_m.0"));
        assert!(!overlap("payloads.gpu0.power_w", "payloads.gpu1.power_w"));
        assert!(!overlap(
            "payloads.gpu0.center_m.0",
            "payloads.gpu0.center_m.1"
        ));
    }

    #[test]
    fn sets_named_items_components_and_missing_optional_keys() {
        let mut d = doc();
        set(&mut d, "payloads.g.center_m.1", 0.25).unwrap();
        set(&mut d, "payloads.g.power_w", 300.0).unwrap();
        set(&mut d, "environment.solar_flux_w_m2", 1414.0).unwrap();
        set(&mut d, "panels.r.cells.0", 8.0).unwrap();
        let text = d.to_string();
        assert!(text.contains("center_m = [1.0, 0.25]"), "{text}");
        assert!(text.contains("power_w = 300.0"), "{text}");
        assert!(
            text.contains("[environment]\nsolar_flux_w_m2 = 1414.0"),
            "{text}"
        );
        assert!(text.contains("cells = [8, 2]"), "{text}");
    }

    /// A float key that the file writes without a point (`v_m = [0, 1, 0]`, `absorptivity =
    /// 0`) takes fractions; integer keys are the schema's, whatever the file writes.
    #[test]
    fn keys_are_integers_by_the_schema_not_by_how_the_file_writes_them() {
        let mut d = doc();
        assert!(!is_integer_key(&d, "panels.r.v_m.1").unwrap());
        assert!(is_integer_key(&d, "panels.r.cells.0").unwrap());
        assert!(is_integer_key(&d, "payloads.g.count").unwrap());
        assert!(!is_integer_key(&d, "payloads.g.power_w").unwrap());
        assert!(!is_integer_key(&d, "coatings.white.absorptivity").unwrap());
        assert!(is_integer_key(&d, "radiation.rays_per_side").unwrap());
        assert!(is_integer_key(&d, "solve.max_iterations").unwrap());
        set(&mut d, "panels.r.v_m.1", 0.5).unwrap();
        assert!(d.to_string().contains("v_m = [0, 0.5, 0]"), "{d}");
    }

    #[test]
    fn refuses_unknown_paths_non_numbers_and_fractional_integers() {
        let mut d = doc();
        assert!(
            set(&mut d, "payloads.h.power_w", 1.0)
                .unwrap_err()
                .contains("no item \"h\"")
        );
        assert!(
            set(&mut d, "payloads.g.name", 1.0)
                .unwrap_err()
                .contains("a string")
        );
        assert!(
            set(&mut d, "payloads.g.nope", 1.0)
                .unwrap_err()
                .contains("no key \"nope\"")
        );
        assert!(
            set(&mut d, "panels.r.cells.0", 2.5)
                .unwrap_err()
                .contains("whole values")
        );
        assert!(
            set(&mut d, "payloads.g.count", 1.5)
                .unwrap_err()
                .contains("whole values")
        );
        assert!(set(&mut d, "payloads..x", 1.0).is_err());
        assert_eq!(d.to_string(), BASE, "a refused path changes nothing");
    }

    #[test]
    fn panel_length_scales_positions_on_that_panel_only() {
        let mut d = doc();
        set(&mut d, "panels.r.length_u_m", 4.0).unwrap();
        let text = d.to_string();
        assert!(text.contains("u_m = [4.0, 0.0, 0.0]"), "{text}");
        assert!(text.contains("center_m = [2.0, 0.5]"), "{text}");
        assert!(text.contains("size_m = [0.2, 0.2]"), "{text}");
        assert!(
            text.contains("a = { panel = \"r\", at_m = [1.0, 0.5] }"),
            "{text}"
        );
        assert!(
            text.contains("b = { panel = \"q\", at_m = [0.5, 0.5] }"),
            "{text}"
        );
        assert!(set(&mut d, "panels.r.length_v_m", 0.0).is_err());
        assert!(set(&mut d, "panels.zz.length_v_m", 1.0).is_err());
    }
}
