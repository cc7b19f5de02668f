//! Every bundled scenario (scenarios/*.toml, whatever is there) is valid, solves to convergence on
//! the CPU backend, reports a verdict that matches its exit status, and closes its global energy
//! balance: |imbalance_w| <= 1e-6 of dissipated + absorbed + |fixed_in| (SCENARIO.md section 3),
//! with imbalance_w = dissipated + absorbed + fixed_in - emitted - stored (section 10) and the
//! totals equal to the sums over payloads, panels and fixtures.

mod common;

use common::*;
use std::path::PathBuf;

fn bundled() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no scenarios/*.toml: the project ships example scenarios"
    );
    files
}

#[test]
fn every_bundled_scenario_passes_check() {
    let mut bad = Vec::new();
    for path in bundled() {
        let r = run([std::ffi::OsStr::new("check"), path.as_os_str()]);
        if r.code != Some(0) {
            bad.push(format!(
                "{}: check exit {:?}\n{}",
                path.display(),
                r.code,
                r.stderr
            ));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn every_bundled_scenario_converges_and_closes_its_energy_balance() {
    let mut bad = Vec::new();
    for path in bundled() {
        let name = path.display().to_string();
        let r = run([
            "solve",
            name.as_str(),
            "--backend",
            "cpu",
            "--json",
            "-",
            "--quiet",
        ]);
        let verdict = match r.code {
            Some(0) => "pass",
            Some(1) => "fail",
            other => {
                bad.push(format!("{name}: exit {other:?}\n{}", r.stderr));
                continue;
            }
        };
        let v: serde_json::Value = match serde_json::from_str(&r.stdout) {
            Ok(v) => v,
            Err(e) => {
                bad.push(format!("{name}: stdout is not JSON ({e})"));
                continue;
            }
        };
        if v["verdict"] != verdict {
            bad.push(format!(
                "{name}: exit {:?} but verdict {}",
                r.code, v["verdict"]
            ));
        }
        if v["solver"]["converged"] != true {
            bad.push(format!(
                "{name}: solver.converged is {}",
                v["solver"]["converged"]
            ));
        }
        bad.extend(
            energy_problems(&v)
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}
