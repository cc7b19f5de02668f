//! The CPU steady solve (build + Newton + AMG-preconditioned CG) on generated radiators with two
//! heat pipes and four H100s, at 10^4, 10^5 and 10^6 cells.

use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn steady_cpu(c: &mut Criterion) {
    let mut group = c.benchmark_group("steady_cpu");
    group.sample_size(10);
    for cells in [10_000usize, 100_000, 1_000_000] {
        let text = skysink::bench::radiator_scenario(cells);
        let loaded = match skysink::scenario::parse(Path::new("generated.toml"), text) {
            Ok(loaded) => loaded,
            Err(e) => panic!("generated scenario is invalid: {e}"),
        };
        let backend = skysink::Backend::Cpu {
            threads: rayon::current_num_threads(),
        };
        group.measurement_time(Duration::from_secs(if cells >= 1_000_000 {
            60
        } else {
            10
        }));
        group.bench_with_input(BenchmarkId::from_parameter(cells), &loaded, |b, loaded| {
            b.iter(|| {
                let model = skysink::build(loaded).expect("generated model builds");
                let (solution, _report) =
                    skysink::run::solve_steady(loaded, &model, &backend).expect("solves");
                assert!(solution.converged);
                solution.iterations
            })
        });
    }
    group.finish();
}

criterion_group!(benches, steady_cpu);
criterion_main!(benches);
