#!/usr/bin/env python3
"""Generate src/fluids/tables.rs, the working-fluid catalog, from CoolProp 8.0.0.

    pip install CoolProp==8.0.0
    python3 tools/fluid_tables.py            # rewrites src/fluids/tables.rs
    python3 tools/fluid_tables.py --stdout   # prints it instead (to diff two runs)

The Rust build never runs this: its output is committed. The output depends only on the
CoolProp version, so the script refuses any other. Before writing anything it checks the
tables against the numbers of FACTS-2 sections 2 and 3 (docs/fluids.md repeats them) and
reports the comparison on stderr.

Labels in the source strings follow FACTS-2: [computed] from CoolProp or a formula here,
[unverified] a commonly quoted value, [GUESS] a judgement; a value that is neither [src] nor
[computed] says "assumed".
"""

import math
import os
import sys

import CoolProp
from CoolProp.CoolProp import PropsSI

COOLPROP_VERSION = "8.0.0"
STEP_K = 5.0
ZERO_C = 273.15
ATMOSPHERE_PA = 101325.0

# Acetone: CoolProp has no viscosity model. These liquid viscosities (Pa s at 0/20/40 C) are
# the assumed values of FACTS-2 section 2; Andrade's ln(mu) = A + B/T is fitted through them.
ACETONE_VISCOSITY_POINTS = [(273.15, 0.395e-3), (293.15, 0.32e-3), (313.15, 0.27e-3)]

# name, CoolProp fluid, usual working range (C), its source.
HEAT_PIPE_FLUIDS = [
    ("ammonia", "Ammonia", -60.0, 100.0, "Reay & Kew table"),
    ("water", "Water", 30.0, 200.0, "commonly quoted"),
    ("acetone", "Acetone", 0.0, 120.0, "commonly quoted"),
    ("methanol", "Methanol", 10.0, 130.0, "commonly quoted"),
]

# FACTS-2 section 2: N in 1e10 W/m^2 at T in C, [computed] with CoolProp (acetone with the
# assumed viscosities taken point by point, so the Andrade fit may differ by its residual).
FACTS_TRANSPORT = {
    "ammonia": [(-60, 10.6), (-40, 12.2), (-20, 12.8), (0, 12.5), (20, 11.3), (40, 9.54),
                (60, 7.33), (80, 4.87), (100, 2.48)],
    "water": [(20, 17.8), (40, 25.5), (60, 33.0), (80, 39.7), (100, 45.2), (150, 51.6)],
    "acetone": [(0, 2.97), (20, 3.11), (40, 3.07)],
    "methanol": [(-40, 1.68), (0, 2.94), (20, 3.59), (40, 4.18), (60, 4.67), (80, 4.98),
                 (100, 5.09)],
}

# FACTS-2 section 3: density kg/m^3 and c_p J/kg/K at 20 C.
FACTS_LOOP_20C = {
    "ammonia": (610.8, 4734.0),
    "water": (998.3, 4184.0),
    "pg50": (1039.1, 3530.0),
    "hfe-7100": (1493.0, 1173.0),
}


def rust_float(x):
    """A Rust f64 literal with 6 significant digits (enough for 5 K tables, no clippy noise)."""
    text = f"{x:.6g}".replace("e+", "e")
    if "e" in text:
        mantissa, exponent = text.split("e")
        exponent = str(int(exponent))
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{exponent}"
    return text if "." in text else text + ".0"


def rust_temperature(t_k):
    """Grid temperatures are a start plus 5 K steps: print them to 0.001 K, exactly."""
    text = f"{round(t_k, 3):.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def rust_array(name, values, render, per_line=6):
    lines = [f"#[rustfmt::skip]\nconst {name}: &[f64] = &["]
    for start in range(0, len(values), per_line):
        chunk = values[start:start + per_line]
        lines.append("    " + ", ".join(render(v) for v in chunk) + ",")
    lines.append("];\n")
    return "\n".join(lines)


def rust_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def grid(start_k, end_k, limit_k):
    """start_k, start_k + 5, ...: up to the first point at or past end_k, all below limit_k."""
    points = []
    t_k = start_k
    while t_k < limit_k:
        points.append(t_k)
        if t_k >= end_k:
            break
        t_k = start_k + STEP_K * len(points)
    return points


def andrade_fit(points):
    """Least-squares A, B of ln(mu) = A + B/T."""
    xs = [1.0 / t for t, _ in points]
    ys = [math.log(mu) for _, mu in points]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    b = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum(
        (x - mean_x) ** 2 for x in xs)
    return mean_y - b * mean_x, b


ACETONE_A, ACETONE_B = andrade_fit(ACETONE_VISCOSITY_POINTS)


def saturated_liquid_viscosity(fluid, t_k):
    if fluid == "Acetone":
        return math.exp(ACETONE_A + ACETONE_B / t_k)
    return PropsSI("V", "T", t_k, "Q", 0, fluid)


def transport_factor(fluid, t_k):
    """N = rho_l sigma h_fg / mu_l of the saturated liquid, W/m^2."""
    rho = PropsSI("D", "T", t_k, "Q", 0, fluid)
    sigma = PropsSI("I", "T", t_k, "Q", 0, fluid)
    h_fg = PropsSI("H", "T", t_k, "Q", 1, fluid) - PropsSI("H", "T", t_k, "Q", 0, fluid)
    return rho * sigma * h_fg / saturated_liquid_viscosity(fluid, t_k)


def transport_source(coolprop_name):
    base = (f"N = rho_l sigma h_fg / mu_l of the saturated liquid, CoolProp "
            f"{COOLPROP_VERSION} {coolprop_name}")
    if coolprop_name != "Acetone":
        return base + " [computed]"
    fit = ", ".join(f"{mu * 1e3:g}" for _, mu in ACETONE_VISCOSITY_POINTS)
    return (base + " [computed] except mu_l, which CoolProp lacks: Andrade ln(mu_l) = A + B/T "
            f"with A = {ACETONE_A:.4f}, B = {ACETONE_B:.1f} K (mu_l in Pa s), fitted to assumed "
            f"{fit} mPa s at 0, 20, 40 C; extrapolated outside 0-40 C; assumed")


def heat_pipe_entry(name, coolprop_name, min_c, max_c, range_origin):
    triple_k = PropsSI("Ttriple", coolprop_name)
    critical_k = PropsSI("Tcrit", coolprop_name)
    min_k, max_k = min_c + ZERO_C, max_c + ZERO_C
    temperatures = grid(triple_k, max_k + 20.0, critical_k)
    factors = [transport_factor(coolprop_name, t) for t in temperatures]
    ident = name.upper().replace("-", "_")
    return {
        "name": name,
        "ident": ident,
        "freeze_k": triple_k,
        "freeze_source": f"triple point, CoolProp {COOLPROP_VERSION} {coolprop_name} [computed]",
        "min_k": min_k,
        "max_k": max_k,
        "range_source": (f"usual working range {min_c:g} to {max_c:g} C, {range_origin} "
                         f"[unverified], assumed"),
        "t_k": temperatures,
        "transport": factors,
        "transport_source": transport_source(coolprop_name),
    }


def saturated_liquid_row(fluid, t_k):
    return [PropsSI(key, "T", t_k, "Q", 0, fluid) for key in ("D", "C", "V", "L")]


def fit_row(fluid, t_k):
    return [PropsSI(key, "T", t_k, "P", ATMOSPHERE_PA, fluid) for key in ("D", "C", "V", "L")]


def property_rows(row, fluid, start_k, limit_k):
    """Rows every 5 K from start_k up to limit_k, or until CoolProp refuses a temperature."""
    temperatures, rows = [], []
    t_k = start_k
    while t_k <= limit_k:
        try:
            values = row(fluid, t_k)
        except ValueError:
            break
        if not all(math.isfinite(v) and v > 0 for v in values):
            break
        temperatures.append(t_k)
        rows.append(values)
        t_k = start_k + STEP_K * len(temperatures)
    return temperatures, rows


def saturation_curve(fluid):
    """T every 5 K from the triple point, then the critical point, with p_sat."""
    triple_k = PropsSI("Ttriple", fluid)
    critical_k = PropsSI("Tcrit", fluid)
    temperatures = grid(triple_k, critical_k, critical_k)
    pressures = [PropsSI("P", "T", t, "Q", 0, fluid) for t in temperatures]
    return temperatures + [critical_k], pressures + [PropsSI("pcrit", fluid)]


def pure_loop_entry(name, fluid):
    triple_k = PropsSI("Ttriple", fluid)
    critical_k = PropsSI("Tcrit", fluid)
    # Saturated-liquid c_p diverges at the critical point; the table stops 5 K short of it.
    temperatures, rows = property_rows(saturated_liquid_row, fluid, triple_k,
                                       critical_k - STEP_K)
    sat_t, sat_p = saturation_curve(fluid)
    freeze_source = f"triple point, CoolProp {COOLPROP_VERSION} {fluid} [computed]"
    return {
        "name": name, "ident": name.upper().replace("-", "_"), "coolprop": fluid,
        "freeze_k": triple_k, "freeze_source": freeze_source,
        "min_k": triple_k, "min_source": freeze_source,
        "t_k": temperatures, "rows": rows,
        "properties_source": (f"saturated liquid, CoolProp {COOLPROP_VERSION} {fluid} "
                              "[computed]"),
        "boiling": ("saturation", sat_t, sat_p,
                    f"saturation temperature at the loop's pressure, CoolProp "
                    f"{COOLPROP_VERSION} {fluid}, interpolated in ln p [computed]"),
    }


def pg50_entry():
    fluid = "INCOMP::MPG[0.5]"
    # Rounded to 0.1 K (240.96 -> 241.0 K) as SCENARIO-2 section 14 states it; CoolProp
    # accepts 241.0 K, so the table can start there.
    coolprop_freeze_k = PropsSI("T_freeze", fluid)
    freeze_k = round(coolprop_freeze_k, 1)
    freeze_source = (f"freezing point {coolprop_freeze_k:.2f} K of CoolProp {COOLPROP_VERSION} "
                     f"{fluid}, to 0.1 K [computed]")
    temperatures, rows = property_rows(fit_row, fluid, freeze_k, PropsSI("Tmax", fluid))
    return {
        "name": "pg50", "ident": "PG50", "coolprop": fluid,
        "freeze_k": freeze_k, "freeze_source": freeze_source,
        "min_k": freeze_k, "min_source": freeze_source,
        "t_k": temperatures, "rows": rows,
        "properties_source": f"CoolProp {COOLPROP_VERSION} {fluid} fit [computed]",
        "boiling": ("normal", 106.0 + ZERO_C,
                    "normal boiling point about 106 C [GUESS], assumed"),
    }


def hfe7100_entry():
    fluid = "INCOMP::HFE2"
    fit_start_k = PropsSI("Tmin", fluid)
    min_k = -80.0 + ZERO_C
    temperatures, rows = property_rows(fit_row, fluid, min_k, PropsSI("Tmax", fluid))
    return {
        "name": "hfe-7100", "ident": "HFE_7100", "coolprop": fluid,
        "freeze_k": -135.0 + ZERO_C,
        "freeze_source": "pour point about -135 C [unverified], assumed",
        "min_k": min_k,
        "min_source": (f"-80 C, the low end of the CoolProp {COOLPROP_VERSION} {fluid} fit "
                       f"(which starts at {fit_start_k:.2f} K) [computed]"),
        "t_k": temperatures, "rows": rows,
        "properties_source": f"CoolProp {COOLPROP_VERSION} {fluid} fit [computed]",
        "boiling": ("normal", 61.0 + ZERO_C,
                    "normal boiling point 61 C, 3M datasheet [unverified], assumed"),
    }


def loop_entries():
    return [pure_loop_entry("ammonia", "Ammonia"), pure_loop_entry("water", "Water"),
            pg50_entry(), hfe7100_entry()]


def interpolate(xs, ys, x):
    for i in range(len(xs) - 1):
        if xs[i] <= x <= xs[i + 1]:
            return ys[i] + (x - xs[i]) / (xs[i + 1] - xs[i]) * (ys[i + 1] - ys[i])
    raise ValueError(f"{x} outside the table")


def check_against_facts(heat_pipes, loops):
    """The tables, interpolated as the Rust code does, against FACTS-2; raises on a miss."""
    failures = []

    def compare(what, got, expected, tolerance):
        error = got / expected - 1.0
        print(f"  {what}: {got:.4g} (FACTS-2 {expected:g}, {error:+.2%})", file=sys.stderr)
        if abs(error) > tolerance:
            failures.append(what)

    print("checks against FACTS-2:", file=sys.stderr)
    for entry in heat_pipes:
        for t_c, expected in FACTS_TRANSPORT[entry["name"]]:
            got = interpolate(entry["t_k"], entry["transport"], t_c + ZERO_C) / 1e10
            compare(f"{entry['name']} N at {t_c} C, 1e10 W/m^2", got, expected, 0.01)
    for entry in loops:
        density, specific_heat = FACTS_LOOP_20C[entry["name"]]
        column = list(zip(*entry["rows"]))
        compare(f"{entry['name']} density at 20 C", interpolate(entry["t_k"], column[0], 293.15),
                density, 0.01)
        compare(f"{entry['name']} c_p at 20 C", interpolate(entry["t_k"], column[1], 293.15),
                specific_heat, 0.01)
    if failures:
        raise SystemExit("fluid_tables.py: tables disagree with FACTS-2: " + "; ".join(failures))


def render_heat_pipe(entry):
    ident = entry["ident"]
    return "\n".join([
        rust_array(f"{ident}_HEAT_PIPE_T_K", entry["t_k"], rust_temperature),
        rust_array(f"{ident}_TRANSPORT_W_M2", entry["transport"], rust_float),
        "#[rustfmt::skip]",
        f"static {ident}_HEAT_PIPE: HeatPipeFluid = HeatPipeFluid {{",
        f"    name: {rust_string(entry['name'])},",
        f"    freeze_k: {rust_temperature(entry['freeze_k'])},",
        f"    freeze_source: {rust_string(entry['freeze_source'])},",
        f"    min_k: {rust_temperature(entry['min_k'])},",
        f"    max_k: {rust_temperature(entry['max_k'])},",
        f"    range_source: {rust_string(entry['range_source'])},",
        f"    transport: Table {{ t_k: {ident}_HEAT_PIPE_T_K, value: {ident}_TRANSPORT_W_M2 }},",
        f"    transport_source: {rust_string(entry['transport_source'])},",
        "};\n",
    ])


def render_boiling(ident, boiling):
    if boiling[0] == "normal":
        _, t_k, source = boiling
        return [f"    boiling: Boiling::Normal {{ k: {rust_temperature(t_k)}, "
                f"source: {rust_string(source)} }},"]
    _, _, _, source = boiling
    return [
        "    boiling: Boiling::Saturation {",
        f"        t_k: {ident}_SATURATION_T_K,",
        f"        pressure_pa: {ident}_SATURATION_PRESSURE_PA,",
        f"        source: {rust_string(source)},",
        "    },",
    ]


def render_loop(entry):
    ident = entry["ident"]
    columns = list(zip(*entry["rows"]))
    arrays = [rust_array(f"{ident}_LOOP_T_K", entry["t_k"], rust_temperature)]
    names = ["DENSITY_KG_M3", "SPECIFIC_HEAT_J_KGK", "VISCOSITY_PA_S", "CONDUCTIVITY_W_MK"]
    for name, column in zip(names, columns):
        arrays.append(rust_array(f"{ident}_{name}", list(column), rust_float))
    if entry["boiling"][0] == "saturation":
        _, sat_t, sat_p, _ = entry["boiling"]
        arrays.append(rust_array(f"{ident}_SATURATION_T_K", sat_t, rust_temperature))
        arrays.append(rust_array(f"{ident}_SATURATION_PRESSURE_PA", sat_p, rust_float))

    def table(name):
        return f"Table {{ t_k: {ident}_LOOP_T_K, value: {ident}_{name} }}"

    fields = [
        "#[rustfmt::skip]",
        f"static {ident}_LOOP: LoopFluid = LoopFluid {{",
        f"    name: {rust_string(entry['name'])},",
        f"    coolprop_name: {rust_string(entry['coolprop'])},",
        f"    freeze_k: {rust_temperature(entry['freeze_k'])},",
        f"    freeze_source: {rust_string(entry['freeze_source'])},",
        f"    min_k: {rust_temperature(entry['min_k'])},",
        f"    min_source: {rust_string(entry['min_source'])},",
        f"    density: {table('DENSITY_KG_M3')},",
        f"    specific_heat: {table('SPECIFIC_HEAT_J_KGK')},",
        f"    viscosity: {table('VISCOSITY_PA_S')},",
        f"    conductivity: {table('CONDUCTIVITY_W_MK')},",
        f"    properties_source: {rust_string(entry['properties_source'])},",
        *render_boiling(ident, entry["boiling"]),
        "};\n",
    ]
    return "\n".join(arrays + ["\n".join(fields)])


def render(heat_pipes, loops):
    def names(entries):
        return ", ".join(rust_string(e["name"]) for e in entries)

    def refs(entries, suffix):
        return ", ".join(f"&{e['ident']}_{suffix}" for e in entries)

    header = [
        f"// Generated by tools/fluid_tables.py with CoolProp {COOLPROP_VERSION}. Do not edit.",
        f"// Regenerate: pip install CoolProp=={COOLPROP_VERSION} && python3 tools/fluid_tables.py",
        "// docs/fluids.md says what each number is and where it comes from.",
        "",
        "use super::{Boiling, HeatPipeFluid, LoopFluid, Table};",
        "",
        "/// Heat-pipe working fluids, in catalog order.",
        f"pub const HEAT_PIPE_FLUIDS: &[&str] = &[{names(heat_pipes)}];",
        "",
        "/// Pumped-loop fluids, in catalog order.",
        f"pub const LOOP_FLUIDS: &[&str] = &[{names(loops)}];",
        "",
        "#[rustfmt::skip]",
        f"pub(super) static HEAT_PIPE_CATALOG: &[&HeatPipeFluid] = &[{refs(heat_pipes, 'HEAT_PIPE')}];",
        "",
        "#[rustfmt::skip]",
        f"pub(super) static LOOP_CATALOG: &[&LoopFluid] = &[{refs(loops, 'LOOP')}];",
        "",
    ]
    body = [render_heat_pipe(e) for e in heat_pipes] + [render_loop(e) for e in loops]
    return "\n".join(header) + "\n" + "\n".join(body)


def main():
    if CoolProp.__version__ != COOLPROP_VERSION:
        raise SystemExit(f"fluid_tables.py needs CoolProp {COOLPROP_VERSION} "
                         f"(found {CoolProp.__version__}): pip install CoolProp=={COOLPROP_VERSION}")
    heat_pipes = [heat_pipe_entry(*fluid) for fluid in HEAT_PIPE_FLUIDS]
    loops = loop_entries()
    check_against_facts(heat_pipes, loops)
    text = render(heat_pipes, loops)
    if sys.argv[1:] == ["--stdout"]:
        sys.stdout.write(text)
        return
    if sys.argv[1:]:
        raise SystemExit("usage: python3 tools/fluid_tables.py [--stdout]")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "fluids",
                        "tables.rs")
    # Written in one go after every check passed, so a failed run leaves the old file intact.
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(path + ".tmp", path)
    print(f"wrote {os.path.normpath(path)}", file=sys.stderr)


if __name__ == "__main__":
    main()
