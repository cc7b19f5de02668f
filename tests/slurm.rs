//! A sharded sweep through a real Slurm scheduler: start a single-node cluster (munge, slurmctld,
//! slurmd) in a temporary folder on private ports, submit the sweep as a job array of shards with
//! `sbatch --wait`, merge the parts with `skysink sweep-merge`, and compare with the unsharded
//! sweep byte for byte. The job script is the README's.
//!
//! Without Slurm and munge installed, or when not root (the minimal configuration runs the daemons
//! as root), the test prints a notice and skips, unless SKYSINK_REQUIRE_SLURM=1 (set by .ci/run,
//! which installs them): then it fails.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The job script shown in the README (the test checks that the README carries it verbatim).
const JOB_SCRIPT: &str = r#"#!/bin/bash
#SBATCH --job-name=skysink-sweep
#SBATCH --array=1-4
#SBATCH --cpus-per-task=1
#SBATCH --output=parts/shard-%a.log
# One shard of the sweep per array task; SCENARIO names the scenario file.
set -euo pipefail
skysink sweep "$SCENARIO" --backend cpu --quiet \
    --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" \
    --csv "parts/part-$SLURM_ARRAY_TASK_ID.csv"
"#;

const SWEEP: &str = r#"
[sweep]
[[sweep.parameters]]
path = "payloads.gpu0.power_w"
values = [100.0, 150.0, 200.0, 300.0]
[[sweep.parameters]]
path = "panels.radiator.length_v_m"
range = [0.6, 1.0, 3]
"#;

fn skip(why: &str) {
    if std::env::var("SKYSINK_REQUIRE_SLURM").as_deref() == Ok("1") {
        panic!("SKYSINK_REQUIRE_SLURM=1 but the Slurm test cannot run: {why}");
    }
    eprintln!("NOTICE: skipping the Slurm test: {why}");
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn sh(cmd: &mut Command) -> std::process::Output {
    cmd.output().expect("start a command")
}

/// The daemons started for this test, stopped (by their pid files) when it ends, pass or fail.
struct Cluster {
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for pid_file in ["slurmd.pid", "slurmctld.pid", "munge/munged.pid"] {
            if let Ok(pid) = std::fs::read_to_string(self.dir.join(pid_file)) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_cluster(dir: &Path) -> Result<Cluster, String> {
    for sub in ["state", "spool", "log", "munge", "parts"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|e| e.to_string())?;
    }
    let key_path = dir.join("munge/munge.key");
    let out = sh(Command::new("dd").args([
        "if=/dev/urandom",
        &format!("of={}", key_path.display()),
        "bs=128",
        "count=1",
    ]));
    if !out.status.success() {
        return Err(format!(
            "cannot make a munge key: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let _ = sh(Command::new("chmod").args(["400", key_path.to_str().unwrap()]));
    let socket = dir.join("munge/socket");
    let d = dir.display();
    let out = sh(Command::new("munged").args([
        "--force",
        &format!("--socket={}", socket.display()),
        &format!("--key-file={}", key_path.display()),
        &format!("--log-file={d}/log/munged.log"),
        &format!("--pid-file={d}/munge/munged.pid"),
        &format!("--seed-file={d}/munge/seed"),
    ]));
    let cluster = Cluster {
        dir: dir.to_path_buf(),
    };
    if !out.status.success() {
        return Err(format!(
            "munged did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let host = String::from_utf8_lossy(&sh(Command::new("hostname").arg("-s")).stdout)
        .trim()
        .to_string();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem_mib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map_or(1024, |kib| kib / 1024 * 9 / 10);
    let conf = format!(
        "ClusterName=skysinktest\nSlurmctldHost={host}\nSlurmctldPort={}\nSlurmdPort={}\n\
AuthType=auth/munge\nAuthInfo=socket={}\nCredType=cred/munge\nProctrackType=proctrack/linuxproc\n\
TaskPlugin=task/none\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\nSlurmUser=root\n\
SlurmdUser=root\nStateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\n\
SlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\n\
SlurmctldLogFile={d}/log/slurmctld.log\nSlurmdLogFile={d}/log/slurmd.log\nReturnToService=2\n\
MpiDefault=none\nJobCompType=jobcomp/none\nAccountingStorageType=accounting_storage/none\n\
NodeName={host} CPUs={cpus} RealMemory={mem_mib} State=UNKNOWN\n\
PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
        free_port(),
        free_port(),
        socket.display(),
    );
    let conf_path = dir.join("slurm.conf");
    std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
    for daemon in ["slurmctld", "slurmd"] {
        let out = sh(Command::new(daemon)
            .arg("-f")
            .arg(&conf_path)
            .env("SLURM_CONF", &conf_path));
        if !out.status.success() {
            return Err(format!(
                "{daemon} did not start: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let start = Instant::now();
    loop {
        let out = sh(Command::new("sinfo")
            .args(["-h", "-o", "%T"])
            .env("SLURM_CONF", &conf_path));
        let state = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if state == "idle" {
            return Ok(cluster);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let log = std::fs::read_to_string(dir.join("log/slurmctld.log")).unwrap_or_default();
            return Err(format!(
                "the node is not idle after 60 s (state {state:?}); slurmctld log:\n{log}"
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_sweep_sharded_as_a_slurm_job_array_merges_to_the_unsharded_sweep() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains(JOB_SCRIPT),
        "the README must show the job script this test runs"
    );

    let missing: Vec<&str> = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        return skip(&format!(
            "{} not installed (apt-get install slurm-wlm munge)",
            missing.join(", ")
        ));
    }
    let uid = String::from_utf8_lossy(&sh(Command::new("id").arg("-u")).stdout)
        .trim()
        .to_string();
    if uid != "0" {
        return skip("not root: the single-node test cluster runs its daemons as root");
    }
    let s = Scenario::new("sweep.toml", &format!("{FULL}{SWEEP}"));
    let dir = s.dir.path().to_path_buf();
    let cluster = match start_cluster(&dir) {
        Ok(c) => c,
        Err(why) => return skip(&why),
    };
    let conf = dir.join("slurm.conf");
    std::fs::write(dir.join("sweep.sbatch"), JOB_SCRIPT).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_skysink"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sbatch")
        .args(["--wait", "--export=ALL", "sweep.sbatch"])
        .current_dir(&dir)
        .env("SLURM_CONF", &conf)
        .env("PATH", &path)
        .env("SCENARIO", &s.path)
        .output()
        .expect("sbatch");
    let logs: String = (1..=4)
        .map(|i| {
            std::fs::read_to_string(dir.join(format!("parts/shard-{i}.log"))).unwrap_or_default()
        })
        .collect();
    assert!(
        out.status.success(),
        "sbatch --wait failed: {}\n{}\nshard logs:\n{logs}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let parts: Vec<PathBuf> = (1..=4)
        .map(|i| dir.join(format!("parts/part-{i}.csv")))
        .collect();
    let merged = dir.join("merged.csv");
    let mut args = vec!["sweep-merge".to_string()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    args.extend(["--csv".to_string(), merged.display().to_string()]);
    run(&args).expect_code(0);

    let whole = dir.join("whole.csv");
    run([
        "sweep",
        s.path_str(),
        "--csv",
        whole.to_str().unwrap(),
        "--backend",
        "cpu",
        "--quiet",
    ])
    .expect_code(0);
    let merged_text = read(&merged);
    assert_eq!(
        merged_text,
        read(&whole),
        "merged shards differ from the unsharded sweep"
    );
    assert_eq!(merged_text.lines().count(), 1 + 12);
    drop(cluster);
}
