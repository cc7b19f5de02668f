//! The points of a sweep: a grid (the last parameter varying fastest) or a Latin hypercube
//! (SCENARIO.md section 7).

use super::hash::SplitMix64;
use crate::scenario::{Sweep, SweepMethod};

/// The values of a grid range [first, last, count]: equally spaced, both ends exact.
pub fn grid_values(range: &[f64]) -> Vec<f64> {
    let (first, last, count) = (range[0], range[1], range[2] as usize);
    if count <= 1 {
        return vec![first];
    }
    (0..count)
        .map(|k| {
            if k + 1 == count {
                last
            } else {
                first + (last - first) * (k as f64 / (count - 1) as f64)
            }
        })
        .collect()
}

/// Each parameter's list of values in a grid.
pub fn grid_axes(sweep: &Sweep) -> Vec<Vec<f64>> {
    sweep
        .parameters
        .iter()
        .map(|p| match (&p.values, &p.range) {
            (Some(values), _) => values.clone(),
            (None, Some(range)) => grid_values(range),
            (None, None) => Vec::new(),
        })
        .collect()
}

/// Number of points of the design.
pub fn point_count(sweep: &Sweep) -> usize {
    match sweep.method {
        SweepMethod::Grid => grid_axes(sweep)
            .iter()
            .map(Vec::len)
            .fold(1usize, usize::saturating_mul),
        SweepMethod::LatinHypercube => sweep.samples.unwrap_or(0).max(0) as usize,
    }
}

/// The parameter values of point `index` of a grid: the last parameter varies fastest.
pub fn grid_point(axes: &[Vec<f64>], mut index: usize) -> Vec<f64> {
    let mut values = vec![0.0; axes.len()];
    for (k, axis) in axes.iter().enumerate().rev() {
        values[k] = axis[index % axis.len()];
        index /= axis.len();
    }
    values
}

/// Every point of a Latin hypercube: each range cut into `samples` equal strata; each parameter
/// takes its own seeded permutation of the strata and a seeded position inside each stratum.
/// `integer[k]` rounds parameter k to a whole number.
pub fn latin_hypercube(sweep: &Sweep, integer: &[bool]) -> Vec<Vec<f64>> {
    let n = sweep.samples.unwrap_or(0).max(0) as usize;
    let seed = sweep.seed.unwrap_or(1) as u64;
    let mut points = vec![vec![0.0; sweep.parameters.len()]; n];
    for (k, param) in sweep.parameters.iter().enumerate() {
        let range = param.range.as_deref().unwrap_or(&[0.0, 0.0]);
        let (low, high) = (range[0], range[1]);
        let mut rng = SplitMix64::new(seed, k as u64);
        let mut strata: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            strata.swap(i, j);
        }
        for (i, point) in points.iter_mut().enumerate() {
            let u = rng.next_f64();
            let x = low + (high - low) * ((strata[i] as f64 + u) / n as f64);
            let x = x.clamp(low.min(high), high.max(low));
            point[k] = if integer.get(k).copied().unwrap_or(false) {
                x.round()
            } else {
                x
            };
        }
    }
    points
}

/// Every point of the design, in point order.
pub fn points(sweep: &Sweep, integer: &[bool]) -> Vec<Vec<f64>> {
    match sweep.method {
        SweepMethod::Grid => {
            let axes = grid_axes(sweep);
            (0..point_count(sweep))
                .map(|i| grid_point(&axes, i))
                .collect()
        }
        SweepMethod::LatinHypercube => latin_hypercube(sweep, integer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SweepParameter;

    fn sweep(method: SweepMethod, ranges: &[&[f64]], samples: Option<i64>) -> Sweep {
        Sweep {
            method,
            samples,
            seed: Some(7),
            parameters: ranges
                .iter()
                .map(|r| SweepParameter {
                    path: "x".into(),
                    values: None,
                    range: Some(r.to_vec()),
                })
                .collect(),
        }
    }

    #[test]
    fn grid_numbers_points_with_the_last_parameter_fastest() {
        let s = sweep(
            SweepMethod::Grid,
            &[&[0.0, 1.0, 2.0], &[10.0, 30.0, 3.0]],
            None,
        );
        let p = points(&s, &[false, false]);
        assert_eq!(p.len(), 6);
        assert_eq!(p[0], vec![0.0, 10.0]);
        assert_eq!(p[1], vec![0.0, 20.0]);
        assert_eq!(p[2], vec![0.0, 30.0]);
        assert_eq!(p[3], vec![1.0, 10.0]);
        assert_eq!(grid_values(&[0.5, 2.0, 7.0])[6], 2.0);
    }

    #[test]
    fn latin_hypercube_puts_one_sample_in_each_stratum_of_each_range() {
        let n = 50;
        let s = sweep(
            SweepMethod::LatinHypercube,
            &[&[0.0, 1.0], &[-5.0, 5.0]],
            Some(n),
        );
        let p = points(&s, &[false, false]);
        assert_eq!(p, points(&s, &[false, false]), "same seed, same design");
        for (k, (low, high)) in [(0.0, 1.0), (-5.0, 5.0)].into_iter().enumerate() {
            let mut seen = vec![0; n as usize];
            for point in &p {
                let stratum = ((point[k] - low) / (high - low) * n as f64).floor() as usize;
                seen[stratum.min(n as usize - 1)] += 1;
            }
            assert!(seen.iter().all(|&c| c == 1), "parameter {k}: {seen:?}");
        }
        let other = Sweep {
            seed: Some(8),
            ..s.clone()
        };
        assert_ne!(
            points(&other, &[false, false]),
            p,
            "another seed, another design"
        );
    }
}
